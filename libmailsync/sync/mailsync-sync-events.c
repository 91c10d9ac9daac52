/* What a folder's sync reports (split from mailsync-sync-runner.c): its
 * events, built with both ends of the pair named, and the progress
 * counts each event carries (issue 10 item 5): the plan's copies added
 * to the folder's and the account's totals, each copy done, and what an
 * attempt planned and did not do taken out again. The folder's half is
 * the folder sync's own (config->folder_progress); the account's half is
 * shared by the folder syncs running at once, under config->lock. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

MailsyncSyncEvent *
_mailsync_sync_new_event (Runner                *r,
                          MailsyncSyncEventKind  kind,
                          MailsyncFolder        *destination,
                          MailsyncDirection      direction,
                          guint32                uid,
                          guint                  n,
                          guint                  total,
                          const char            *flags,
                          const GError          *error,
                          const char            *text)
{
  MailsyncSyncEvent *event = NULL;
  const char *repo = NULL;
  guint to, from;

  if (destination == NULL || (destination != r->local && destination != r->remote))
    {
      if (destination != NULL)
        repo = mailsync_repository_get_name (mailsync_folder_get_repository (destination));
      return _mailsync_sync_event_new (kind, r->config->account_name, r->folder_label, repo,
                                       direction, uid, n, total, flags, error, text);
    }
  if (!r->sides_named)
    {
      MailsyncFolder *side[2] = { r->local, r->remote };

      for (guint i = 0; i < 2; i++)
        {
          r->side_repo[i] = mailsync_repository_get_name (mailsync_folder_get_repository (side[i]));
          r->side_type[i] = _mailsync_type_label (side[i]);
        }
      r->sides_named = TRUE;
    }
  to = destination == r->local ? 0 : 1;
  from = 1 - to;
  event = _mailsync_sync_event_new (kind, r->config->account_name, r->folder_label, r->side_repo[to],
                                    direction, uid, n, total, flags, error, text);
  /* The UIs name both ends ("Copy message UID 3 (1/2) Remote:INBOX ->
   * Local:INBOX"): the source is the other folder of the pair. */
  _mailsync_sync_event_set_source (event, r->side_repo[from], r->side_type[from]);
  _mailsync_sync_event_set_destination_type (event, r->side_type[to]);
  return event;
}

void
_mailsync_sync_emit_full (Runner                *r,
                          MailsyncSyncEventKind  kind,
                          MailsyncFolder        *destination,
                          MailsyncDirection      direction,
                          guint32                uid,
                          guint                  n,
                          guint                  total,
                          const char            *flags,
                          const GError          *error,
                          const char            *text,
                          const guint32         *uids,
                          guint                  n_uids)
{
  g_autoptr(MailsyncSyncEvent) event = NULL;

  if (r->config->emit == NULL)
    return;
  event = _mailsync_sync_new_event (r, kind, destination, direction, uid, n, total, flags, error, text);
  if (uids != NULL)
    _mailsync_sync_event_set_uids (event, uids, n_uids);
  r->config->emit (event, r->config->emit_data);
}

void
_mailsync_sync_emit (Runner                *r,
                     MailsyncSyncEventKind  kind,
                     MailsyncFolder        *destination,
                     MailsyncDirection      direction,
                     guint32                uid,
                     guint                  n,
                     guint                  total,
                     const char            *flags,
                     const GError          *error,
                     const char            *text)
{
  _mailsync_sync_emit_full (r, kind, destination, direction, uid, n, total, flags, error, text, NULL, 0);
}

/* ---- progress (issue 10 item 5) --------------------------------------- */

/* The size a copy counts for: the source's, as the plan counted it, so
 * that what is done adds up to what was planned exactly. */
guint64
_mailsync_sync_copy_size (MailsyncMessageInfo *source)
{
  return source != NULL ? mailsync_message_info_get_size (source) : 0;
}

/* Adds the plan's copies to the folder's and the account's totals, before
 * the first copy, and says so: a client knows the amount of work of the
 * folder (and of the account so far) before any of it is done. */
void
_mailsync_sync_progress_plan (Runner *r, GPtrArray *downloads, GPtrArray *uploads)
{
  MailsyncProgressCounts *p = r->config->progress;
  MailsyncProgressCounts *f = r->config->folder_progress;
  guint64 bytes = 0;
  guint n = downloads->len + uploads->len;
  g_autoptr(MailsyncSyncEvent) event = NULL;

  for (guint i = 0; i < downloads->len; i++)
    bytes += _mailsync_sync_copy_size (_mailsync_sync_remote_info (r, ((MailsyncAction *) downloads->pdata[i])->uid));
  for (guint i = 0; i < uploads->len; i++)
    bytes += _mailsync_sync_copy_size (_mailsync_sync_local_by_key (r, ((MailsyncAction *) uploads->pdata[i])->key));
  if (p != NULL && f != NULL)
    {
      /* planned ahead (ACCOUNT_PLANNED): the estimate leaves the account's
       * totals and the plan, which is the truth now, goes in */
      _mailsync_sync_take_estimate (r->config, r->status_name);
      f->folder_messages_total += n;
      f->folder_bytes_total += bytes;
      _mailsync_sync_config_lock (r->config);
      p->account_messages_total += n;
      p->account_bytes_total += bytes;
      _mailsync_sync_config_unlock (r->config);
    }
  if (r->config->emit == NULL)
    return;
  event = _mailsync_sync_new_event (r, MAILSYNC_SYNC_EVENT_FOLDER_PLANNED, NULL, MAILSYNC_DIRECTION_NONE, 0, n, n,
                     NULL, NULL, NULL);
  _mailsync_sync_event_set_bytes (event, bytes);
  r->config->emit (event, r->config->emit_data);
}

/* One copy is done (before its MESSAGE_COPIED event). */
/* Uploads added after the plan (held ones whose grace passed during the
 * folder's work, mailsync-sync-pending.c): into the totals, with no new
 * FOLDER_PLANNED event (the folder's plan was said once). */
void
_mailsync_sync_progress_more (Runner *r, GPtrArray *uploads)
{
  MailsyncProgressCounts *p = r->config->progress;
  MailsyncProgressCounts *f = r->config->folder_progress;
  guint64 bytes = 0;

  if (p == NULL || f == NULL)
    return;
  for (guint i = 0; i < uploads->len; i++)
    bytes += _mailsync_sync_copy_size (_mailsync_sync_local_by_key (r, ((MailsyncAction *) uploads->pdata[i])->key));
  f->folder_messages_total += uploads->len;
  f->folder_bytes_total += bytes;
  _mailsync_sync_config_lock (r->config);
  p->account_messages_total += uploads->len;
  p->account_bytes_total += bytes;
  _mailsync_sync_config_unlock (r->config);
}

void
_mailsync_sync_progress_copied (Runner *r, guint64 bytes)
{
  MailsyncProgressCounts *p = r->config->progress;
  MailsyncProgressCounts *f = r->config->folder_progress;

  if (p == NULL || f == NULL)
    return;
  f->folder_messages_done++;
  f->folder_bytes_done += bytes;
  _mailsync_sync_config_lock (r->config);
  p->account_messages_done++;
  p->account_bytes_done += bytes;
  _mailsync_sync_config_unlock (r->config);
}

/* An attempt at the folder ended (done, failed, or about to be resumed on
 * a new connection, which plans again what is left): what was planned and
 * not done leaves the totals, so that they never promise copies that will
 * not come, and the account's "done" reaches its "total" at the end. */
void
_mailsync_sync_progress_settle (const MailsyncRunnerConfig *config)
{
  MailsyncProgressCounts *p = config->progress;
  MailsyncProgressCounts *f = config->folder_progress;

  if (p == NULL || f == NULL)
    return;
  _mailsync_sync_config_lock (config);
  p->account_messages_total -= MIN (p->account_messages_total,
                                    f->folder_messages_total - MIN (f->folder_messages_total,
                                                                    f->folder_messages_done));
  p->account_bytes_total -= MIN (p->account_bytes_total,
                                 f->folder_bytes_total - MIN (f->folder_bytes_total, f->folder_bytes_done));
  _mailsync_sync_config_unlock (config);
  f->folder_messages_total = f->folder_messages_done;
  f->folder_bytes_total = f->folder_bytes_done;
}

/* MailsyncRunnerConfig.lock, when there is one: the account's totals and
 * the config's tables are shared by the folder syncs running at once. */
void
_mailsync_sync_config_lock (const MailsyncRunnerConfig *config)
{
  if (config->lock != NULL)
    g_mutex_lock (config->lock);
}

void
_mailsync_sync_config_unlock (const MailsyncRunnerConfig *config)
{
  if (config->lock != NULL)
    g_mutex_unlock (config->lock);
}
