/* The account's totals up front (issue 10 item 5): with plan_ahead, every
 * folder pair the account syncs is listed and planned once, without
 * executing anything, before the first folder's copies, so that a client
 * knows the messages and bytes of the whole sync (ACCOUNT_PLANNED) and
 * can draw one progress bar with an ETA for the account. The listings are
 * handed to the folders' own syncs (issue 13), so a changed folder is
 * still listed once (an unchanged one is skipped by its stamp, as its
 * sync will skip it); opt-in all the same: the listings of every changed
 * folder are held in memory until each folder's turn. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

/* One folder's copies as execute() will count them (progress_plan: the
 * source's size of each DOWNLOAD and UPLOAD). FALSE on any error or an
 * unchanged folder: it counts nothing up front, and its own plan adds
 * its copies when it is made, as without plan_ahead. */
static gboolean
estimate_folder (const MailsyncRunnerConfig *quiet,
                 MailsyncFolder             *remote,
                 MailsyncFolder             *local,
                 const char                 *status_name,
                 guint                      *n,
                 guint64                    *bytes)
{
  guint n_records = 0;
  /* the move pre-pass's listings, if it made them, serve here and are
   * handed on */
  g_autoptr(Runner) r = NULL;
  g_autoptr(GPtrArray) plan = NULL;
  g_autoptr(MailsyncStatusBatch) scratch = NULL;
  g_autoptr(GError) error = NULL;

  *n = 0;
  *bytes = 0;
  r = _mailsync_sync_runner_new_quiet (quiet, remote, local, status_name, TRUE, &n_records);
  if (r == NULL)
    return FALSE;
  scratch = mailsync_status_batch_new ();
  if (!_mailsync_sync_check_one_validity (r, remote, META_UIDVALIDITY_REMOTE, scratch, &error) ||
      !_mailsync_sync_check_one_validity (r, local, META_UIDVALIDITY_LOCAL, scratch, &error) ||
      !_mailsync_sync_load_copy_ignore (r, &error))
    return FALSE;
  plan = _mailsync_sync_make_plan (r, mailsync_folder_is_read_only (remote) || mailsync_folder_is_read_only (local));
  for (guint i = 0; i < plan->len; i++)
    {
      MailsyncAction *a = plan->pdata[i];

      if (a->kind == MAILSYNC_ACTION_DOWNLOAD)
        *bytes += _mailsync_sync_copy_size (_mailsync_sync_remote_info (r, a->uid));
      else if (a->kind == MAILSYNC_ACTION_UPLOAD)
        *bytes += _mailsync_sync_copy_size (_mailsync_sync_local_by_key (r, a->key));
      else
        continue;
      (*n)++;
    }
  return TRUE;
}

void
mailsync_sync_runner_plan_ahead (const MailsyncRunnerConfig *config,
                                 GPtrArray                  *remotes,
                                 GPtrArray                  *locals,
                                 GPtrArray                  *status_names)
{
  MailsyncRunnerConfig quiet;
  MailsyncProgressCounts *p = config->progress;
  g_autoptr(MailsyncSyncEvent) event = NULL;
  g_autofree char *text = NULL;
  guint folders = 0;

  if (!config->plan_ahead || config->estimates == NULL || p == NULL)
    return;
  /* Planning only, as the move pre-pass: no events, nothing recorded. */
  _mailsync_sync_quiet_config (&quiet, config);
  for (guint i = 0; i < remotes->len; i++)
    {
      guint n = 0;
      guint64 bytes = 0;
      guint64 *estimate;

      if (g_cancellable_is_cancelled (config->cancellable))
        break;
      if (!estimate_folder (&quiet, remotes->pdata[i], locals->pdata[i], status_names->pdata[i], &n, &bytes))
        continue;
      /* The folder's own plan replaces its estimate (progress_plan). */
      estimate = g_new (guint64, 2);
      estimate[0] = n;
      estimate[1] = bytes;
      g_hash_table_replace (config->estimates, g_strdup (status_names->pdata[i]), estimate);
      p->account_messages_total += n;
      p->account_bytes_total += bytes;
      folders += n > 0 ? 1 : 0;
    }
  if (config->emit == NULL)
    return;
  text = g_strdup_printf ("%u messages (%" G_GUINT64_FORMAT " bytes) to copy in %u folders", p->account_messages_total,
                          p->account_bytes_total, folders);
  event = _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_ACCOUNT_PLANNED, config->account_name, NULL, NULL,
                                    MAILSYNC_DIRECTION_NONE, 0, p->account_messages_total,
                                    p->account_messages_total, NULL, NULL, text);
  _mailsync_sync_event_set_bytes (event, p->account_bytes_total);
  config->emit (event, config->emit_data);
}

/* A folder's plan is made: its estimate leaves the account's totals (the
 * plan's own copies are added by the caller). TRUE if it had one. */
gboolean
_mailsync_sync_take_estimate (const MailsyncRunnerConfig *config, const char *status_name)
{
  MailsyncProgressCounts *p = config->progress;
  guint64 *estimate;

  if (config->estimates == NULL || p == NULL)
    return FALSE;
  _mailsync_sync_config_lock (config);
  estimate = g_hash_table_lookup (config->estimates, status_name);
  if (estimate != NULL)
    {
      p->account_messages_total -= MIN (p->account_messages_total, (guint) estimate[0]);
      p->account_bytes_total -= MIN (p->account_bytes_total, estimate[1]);
      g_hash_table_remove (config->estimates, status_name);
    }
  _mailsync_sync_config_unlock (config);
  return estimate != NULL;
}

void
mailsync_sync_runner_settle_estimates (const MailsyncRunnerConfig *config)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  if (config->estimates == NULL)
    return;
  /* Folders never planned (failed, skipped, cancelled): their copies will
   * not come, so that done reaches total at the end. */
  g_hash_table_iter_init (&iter, config->estimates);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  for (guint i = 0; i < names->len; i++)
    _mailsync_sync_take_estimate (config, names->pdata[i]);
}
