/* Executes a folder's plan. Operations of one kind run up to
 * max_in_flight concurrent backend calls (so a network backend can
 * pipeline them): copies in a sliding window, the rest in batches; every
 * max_in_flight of them end with a flush of the changed folder and then
 * one status commit, so durability costs one fsync round per batch, not
 * per message (in a folder with only downloads to do, the last
 * downloads' rows, their files flushed, go into the folder's final commit
 * instead of one of their own). The order of the steps for each message is what makes a
 * crash at any point lose nothing and duplicate nothing:
 *
 *   download:  UIDs to download committed (META_DOWNLOADS) -> write local
 *              files -> flush -> status put (crash before the put: the
 *              next run finds the file by its U= and only records it, no
 *              second copy; one the server expunged meanwhile is deleted
 *              locally as a server deletion, not uploaded again)
 *   upload:    status intent (token, content digest) -> append remote ->
 *              flush -> give the local file its UID -> flush -> status put
 *              and intent removed (crash after the append: the next run
 *              finds the appended copy by digest before planning)
 *   deletions: delete -> flush -> status remove (crash before the remove:
 *              the message is gone on both sides, the next run forgets it)
 *   flags:     set flags -> flush -> status put (crash before the put: both
 *              sides already agree, the next run records it)
 *
 * This file lists, plans and executes one folder pair and retries it after
 * a dropped connection. The rest of the engine, one subject a file, shares
 * the Runner through mailsync-sync-private.h: mailsync-sync-ops.c (the
 * passes above), -events.c (events and progress counts), -make-plan.c
 * (the plan's inputs), -listing.c (both sides' listings and their hand-over),
 * -state.c (row columns, keywords stamp, listing state),
 * -window.c (maxsize/maxage/startdate), -unchanged.c (the no-op skip),
 * -rebuild.c (a lost status), -labels.c (Gmail labels), -moves.c (the
 * move pre-pass), -folders.c (the account's folders and folder loop),
 * -streams.c (a copy's stream at its destination) and -pending.c (a
 * killed run's uploads stored late).
 */
#include "config.h"

#include "sync/mailsync-sync-private.h"
#include "status/mailsync-status-base.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

/* Refuse to apply an "empty side" listing that would delete more than this
 * many messages: a missing mount or a broken server looks exactly so. */
#define EMPTY_LISTING_GUARD 5
/* The ratio guard only applies from this many deletions on. */
#define MASS_DELETE_MIN 10

void
_mailsync_sync_clear_lists (Runner *r)
{
  g_clear_pointer (&r->remote_by_uid, g_hash_table_unref);
  g_clear_pointer (&r->local_by_uid, g_hash_table_unref);
  g_clear_pointer (&r->local_by_key, g_hash_table_unref);
  g_clear_pointer (&r->local_by_identity, g_hash_table_unref);
  g_clear_pointer (&r->local_unfiltered, g_ptr_array_unref);
  g_clear_pointer (&r->remote_list, g_ptr_array_unref);
  g_clear_pointer (&r->local_list, g_ptr_array_unref);
  _mailsync_sync_clear_rows (r);
}

Runner *
_mailsync_sync_runner_new (const MailsyncRunnerConfig *config,
                           MailsyncFolder             *remote,
                           MailsyncFolder             *local,
                           const char                 *status_name)
{
  Runner *r = g_new0 (Runner, 1);

  r->config = config;
  r->context = g_main_context_ref_thread_default ();
  g_main_context_unref (r->context); /* borrowed: the caller keeps it alive */
  r->remote = remote;
  r->local = local;
  r->status_name = g_strdup (status_name);
  r->folder_label = mailsync_folder_get_visible_name (remote);
  return r;
}

void
_mailsync_sync_runner_free (Runner *r)
{
  /* A listing still running would store its result into freed memory. */
  _mailsync_sync_wait_local_listing (r);
  _mailsync_sync_wait_remote_listing (r);
  /* Done with the folder's status for this pass: its database handle (or
   * the plain store's rows) would otherwise stay open for the rest of the
   * run, one per folder the run touched (issue 13 item 4). */
  if (r->config->status != NULL)
    _mailsync_status_store_release (r->config->status, r->status_name);
  g_clear_object (&r->local_result);
  _mailsync_sync_clear_lists (r);
  g_clear_pointer (&r->status_rows, _mailsync_status_table_unref);
  g_clear_pointer (&r->meta, g_hash_table_unref);
  g_clear_pointer (&r->copy_ignore, g_hash_table_unref);
  g_clear_pointer (&r->remote_flagged, g_hash_table_unref);
  g_clear_pointer (&r->remote_labels, g_hash_table_unref);
  g_clear_pointer (&r->listing_warnings, g_ptr_array_unref);
  g_clear_pointer (&r->kept_listings, _mailsync_sync_listings_free);
  g_clear_pointer (&r->prepared, _mailsync_sync_listings_free);
  g_clear_pointer (&r->loaded_meta, g_hash_table_unref);
  g_clear_pointer (&r->pending_uploads, g_hash_table_unref);
  g_clear_pointer (&r->pending_gone, g_hash_table_unref);
  g_clear_pointer (&r->downloading, g_array_unref);
  g_clear_pointer (&r->downloading_stems, g_strfreev);
  g_clear_pointer (&r->dry_found, g_hash_table_unref);
  g_clear_pointer (&r->dry_found_uids, g_hash_table_unref);
  g_free (r->last_upload_before);
  g_free (r->status_name);
  g_free (r->folder_label);
  g_free (r);
}


void
_mailsync_sync_runner_wait (Runner *r)
{
  while (r->pending > 0)
    _mailsync_await_iteration ();
}

gboolean
_mailsync_sync_flush_folder (Runner *r, MailsyncFolder *folder, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mailsync_folder_flush_async (folder, r->config->cancellable, _mailsync_store_result, &result);
  return mailsync_folder_flush_finish (folder, _mailsync_await (&result), error);
}

gboolean
_mailsync_sync_commit (Runner *r, MailsyncStatusBatch *batch, GError **error)
{
  guint n;
  gboolean opens = FALSE;

  _mailsync_sync_note_email_ids (r, batch);
  n = mailsync_status_batch_get_length (batch);
  /* An intent is written with the word that the status may hold one
   * (META_INTENTS), in the same atomic commit. */
  for (guint i = 0; i < n && !opens; i++)
    {
      const MailsyncStatusRecord *record;
      const char *key, *value;
      guint32 uid;

      opens = mailsync_status_batch_get_op (batch, i, &record, &uid, &key, &value) == MAILSYNC_STATUS_OP_SET_META &&
              value != NULL && _mailsync_sync_is_intent_key (key);
    }
  if (opens && g_strcmp0 (g_hash_table_lookup (r->meta, META_INTENTS), META_INTENTS_OPEN) != 0)
    {
      mailsync_status_batch_set_meta (batch, META_INTENTS, META_INTENTS_OPEN);
      n = mailsync_status_batch_get_length (batch);
    }
  if (!mailsync_status_store_commit (r->config->status, r->status_name, batch,
                                     r->config->cancellable, error))
    return FALSE;
  /* Mirror the batch in memory so later steps plan from the truth. */
  for (guint i = 0; i < n; i++)
    {
      const MailsyncStatusRecord *record;
      const char *key, *value;
      guint32 uid;

      switch (mailsync_status_batch_get_op (batch, i, &record, &uid, &key, &value))
        {
        case MAILSYNC_STATUS_OP_PUT:
          _mailsync_status_table_put (r->status_rows, record->uid, record->flags, record->mtime, record->labels);
          break;
        case MAILSYNC_STATUS_OP_REMOVE:
          _mailsync_status_table_remove (r->status_rows, uid);
          break;
        case MAILSYNC_STATUS_OP_SET_META:
          if (r->intents_known && _mailsync_sync_is_intent_key (key) &&
              (value != NULL) != g_hash_table_contains (r->meta, key))
            {
              if (value != NULL)
                r->n_intents++;
              else if (r->n_intents > 0)
                r->n_intents--;
            }
          if (value)
            g_hash_table_replace (r->meta, g_strdup (key), g_strdup (value));
          else
            g_hash_table_remove (r->meta, key);
          break;
        }
    }
  return TRUE;
}

/* offlineimap's warnings when the server refuses writes to a folder
 * (SELECT answered [READ-ONLY]): each skipped change is named, and nothing
 * is written to the folder. They carry MAILSYNC_ERROR_READ_ONLY, so that a
 * UI can leave them out (offlineimap's ignore-readonly). */
static void
warn_read_only (Runner *r, GPtrArray *plan)
{
  g_autoptr(GString) flagged_remote = g_string_new (NULL);
  g_autoptr(GString) flagged_local = g_string_new (NULL);
  g_autoptr(GString) deleted_remote = g_string_new (NULL);
  g_autoptr(GString) deleted_local = g_string_new (NULL);
  gboolean remote_ro = mailsync_folder_is_read_only (r->remote);
  gboolean local_ro = mailsync_folder_is_read_only (r->local);
  struct { GString *list; MailsyncFolder *folder; gboolean ro; const char *format; } groups[] = {
    { flagged_remote, r->remote, remote_ro, "Attempted to modify flags for messages %s in folder %s[%s], but that "
                                            "folder is read-only.  No flags have been modified for that message." },
    { flagged_local, r->local, local_ro, "Attempted to modify flags for messages %s in folder %s[%s], but that "
                                         "folder is read-only.  No flags have been modified for that message." },
    { deleted_remote, r->remote, remote_ro, "Attempted to delete messages %s in folder %s[%s], but that folder is "
                                            "read-only.  No messages have been deleted." },
    { deleted_local, r->local, local_ro, "Attempted to delete messages %s in folder %s[%s], but that folder is "
                                         "read-only.  No messages have been deleted." },
  };

  for (guint i = 0; i < plan->len; i++)
    {
      MailsyncAction *a = plan->pdata[i];
      MailsyncFolder *to = NULL;
      GString *list = NULL;

      switch (a->kind)
        {
        case MAILSYNC_ACTION_UPLOAD: to = remote_ro ? r->remote : NULL; break;
        case MAILSYNC_ACTION_DOWNLOAD: to = local_ro ? r->local : NULL; break;
        case MAILSYNC_ACTION_FLAGS_REMOTE: list = remote_ro ? flagged_remote : NULL; break;
        case MAILSYNC_ACTION_FLAGS_LOCAL: list = local_ro ? flagged_local : NULL; break;
        case MAILSYNC_ACTION_DELETE_REMOTE: list = remote_ro ? deleted_remote : NULL; break;
        case MAILSYNC_ACTION_DELETE_LOCAL: list = local_ro ? deleted_local : NULL; break;
        default: break;
        }
      if (list != NULL)
        g_string_append_printf (list, "%s%u", list->len ? ", " : "", a->uid);
      if (to != NULL)
        {
          g_autofree char *name = mailsync_folder_get_visible_name (to);
          g_autofree char *text = NULL;
          g_autoptr(GError) read_only = NULL;

          if (a->uid != 0)
            text = g_strdup_printf ("Attempted to synchronize message %u to folder %s[%s], but that folder is "
                                    "read-only.  The message will not be copied to that folder.",
                                    a->uid, _mailsync_type_label (to), name);
          else
            text = g_strdup_printf ("Attempted to synchronize message %s to folder %s[%s], but that folder is "
                                    "read-only.  The message will not be copied to that folder.",
                                    a->key ? a->key : "?", _mailsync_type_label (to), name);
          read_only = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY, text);
          _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, to, MAILSYNC_DIRECTION_NONE, a->uid, 0, 0, NULL, read_only, text);
        }
    }
  for (gsize g = 0; g < G_N_ELEMENTS (groups); g++)
    if (groups[g].ro && groups[g].list->len > 0)
      {
        g_autofree char *name = mailsync_folder_get_visible_name (groups[g].folder);
        g_autofree char *text = NULL;
        g_autoptr(GError) read_only = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        text = g_strdup_printf (groups[g].format, groups[g].list->str, _mailsync_type_label (groups[g].folder), name);
#pragma GCC diagnostic pop
        read_only = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY, text);
        _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, groups[g].folder, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, read_only,
              text);
      }
}

/* Rule 1 and 6: an empty listing against a full status, or a deletion of
 * most of a folder, is far likelier a broken mount or server than a user's
 * wish. Refuse unless the account allows any ratio (ratio >= 1). */
gboolean
_mailsync_sync_guard_deletions (Runner *r, guint n_delete_local, guint n_delete_remote, GError **error)
{
  /* a killed run's downloads planned with their rows count as known */
  guint n_status = _mailsync_status_table_size (r->status_rows) + r->n_unrecorded;
  guint n_delete = n_delete_local + n_delete_remote;

  if (r->config->max_delete_ratio >= 1.0 || n_delete == 0)
    return TRUE;
  if ((_mailsync_sync_remote_count (r) == 0 && n_delete_local > EMPTY_LISTING_GUARD) ||
      (_mailsync_sync_local_count (r) == 0 && n_delete_remote > EMPTY_LISTING_GUARD))
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MASS_DELETE,
                   "Folder %s: one side lists no message while %u are known; refusing to delete %u messages "
                   "(a missing mount or a broken server looks like this; raise the delete ratio to force)",
                   r->folder_label, n_status, n_delete);
      return FALSE;
    }
  if (n_delete >= MASS_DELETE_MIN && n_delete > r->config->max_delete_ratio * n_status)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MASS_DELETE,
                   "Folder %s: refusing to delete %u of %u messages in one run (limit %.0f%%; raise the delete ratio to force)",
                   r->folder_label, n_delete, n_status, r->config->max_delete_ratio * 100);
      return FALSE;
    }
  return TRUE;
}

/* offlineimap's dry run: per direction one "[DRYRUN] Copy N messages from
 * F[R] to DR" line, then the deletions and flag changes in the words of a
 * real run (its UI prefixes the deletions), nothing per message. */
static void
emit_dry_run_pass (Runner *r, MailsyncFolder *source, MailsyncFolder *destination,
                   GPtrArray *copies, GPtrArray *deletes, GPtrArray *flags)
{
  MailsyncDirection direction = destination == r->local ? MAILSYNC_DIRECTION_TO_LOCAL
                                                        : MAILSYNC_DIRECTION_TO_REMOTE;

  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES, destination, direction, 0, 0, 0, NULL, NULL, NULL);
  if (copies->len > 0)
    {
      g_autofree char *text =
        g_strdup_printf ("[DRYRUN] Copy %u messages from %s[%s] to %s", copies->len,
                         mailsync_folder_get_name (source),
                         mailsync_repository_get_name (mailsync_folder_get_repository (source)),
                         mailsync_repository_get_name (mailsync_folder_get_repository (destination)));

      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, NULL, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, text);
    }
  if (deletes->len > 0)
    {
      g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_autoptr(GString) list = g_string_new (NULL);

      for (guint i = 0; i < deletes->len; i++)
        {
          MailsyncAction *action = deletes->pdata[i];
          g_array_append_val (uids, action->uid);
          g_string_append_printf (list, "%s%u", i ? ", " : "", action->uid);
        }
      _mailsync_sync_emit_full (r, MAILSYNC_SYNC_EVENT_MESSAGES_DELETED, destination, direction, 0, uids->len, uids->len,
                 NULL, NULL, list->str, (const guint32 *) uids->data, uids->len);
    }
  _mailsync_sync_emit_flag_counts (r, flags, destination);
}

static gboolean
execute (Runner *r, GPtrArray *plan, GError **error)
{
  g_autoptr(GPtrArray) downloads = g_ptr_array_new ();
  g_autoptr(GPtrArray) uploads = g_ptr_array_new ();
  g_autoptr(GPtrArray) delete_local = g_ptr_array_new ();
  g_autoptr(GPtrArray) delete_remote = g_ptr_array_new ();
  g_autoptr(GPtrArray) flags_local = g_ptr_array_new ();
  g_autoptr(GPtrArray) flags_remote = g_ptr_array_new ();
  g_autoptr(GPtrArray) status_puts = g_ptr_array_new ();
  g_autoptr(GHashTable) not_stored = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_strfreev);
  g_autoptr(MailsyncStatusBatch) status = mailsync_status_batch_new ();
  gboolean ok;

  for (guint i = 0; i < plan->len; i++)
    {
      MailsyncAction *a = plan->pdata[i];
      switch (a->kind)
        {
        case MAILSYNC_ACTION_DOWNLOAD: g_ptr_array_add (downloads, a); break;
        case MAILSYNC_ACTION_UPLOAD: g_ptr_array_add (uploads, a); break;
        case MAILSYNC_ACTION_DELETE_LOCAL: g_ptr_array_add (delete_local, a); break;
        case MAILSYNC_ACTION_DELETE_REMOTE: g_ptr_array_add (delete_remote, a); break;
        case MAILSYNC_ACTION_FLAGS_LOCAL: g_ptr_array_add (flags_local, a); break;
        case MAILSYNC_ACTION_FLAGS_REMOTE: g_ptr_array_add (flags_remote, a); break;
        case MAILSYNC_ACTION_STATUS_PUT: g_ptr_array_add (status_puts, a); break;
        case MAILSYNC_ACTION_STATUS_REMOVE: mailsync_status_batch_remove (status, a->uid); break;
        }
    }

  if (!_mailsync_sync_guard_deletions (r, delete_local->len, delete_remote->len, error))
    return FALSE;
  /* the killed run's downloads counted once: deleted below, or rows */
  r->n_unrecorded = 0;
  _mailsync_sync_progress_plan (r, downloads, uploads);
  if (r->config->dry_run)
    {
      emit_dry_run_pass (r, r->remote, r->local, downloads, delete_local, flags_local);
      emit_dry_run_pass (r, r->local, r->remote, uploads, delete_remote, flags_remote);
      return TRUE;
    }

  /* offlineimap's two passes, each announced before its copies. The
   * last downloads' rows go into the final commit (commit_downloads)
   * only when nothing that can be killed runs before it: no uploads, no
   * deletes, no flag changes either side. Otherwise a kill in those
   * passes leaves downloaded files without rows for as long as they
   * run, and a message the server expunges meanwhile would look new
   * locally and be uploaded again (review 1 of 190d7a9). */
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES, r->local, MAILSYNC_DIRECTION_TO_LOCAL, 0, 0, 0, NULL, NULL, NULL);
  if (uploads->len == 0 && delete_local->len == 0 && delete_remote->len == 0 &&
      flags_local->len == 0 && flags_remote->len == 0)
    r->download_rows = status;
  r->download_rows_held = FALSE;
  /* The pass whose server commands are the folder's last: once they are
   * answered the remote's lease can go to the next folder sync
   * (lease_remote) while this one writes its files and commits. Never
   * with labels or a killed run's uploads to look for again (both list
   * the server after execute()). */
  r->remote_last = r->config->lease_remote == NULL || r->labels != NULL || _mailsync_sync_n_kept (r) > 0
                     ? REMOTE_LAST_KEPT
                   : flags_remote->len > 0  ? REMOTE_LAST_FLAGS
                   : delete_remote->len > 0 ? REMOTE_LAST_DELETES
                   : uploads->len > 0       ? REMOTE_LAST_UPLOADS
                                            : REMOTE_LAST_DOWNLOADS;
  r->remote_fetched = 0;
  if (r->remote_last == REMOTE_LAST_DOWNLOADS && downloads->len == 0)
    _mailsync_sync_release_remote_early (r);
  ok = _mailsync_sync_run_downloads (r, downloads, error);
  r->download_rows = NULL;
  if (!ok)
    return FALSE;
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES, r->remote, MAILSYNC_DIRECTION_TO_REMOTE, 0, 0, 0, NULL, NULL, NULL);
  /* the uploads' pass hands the lease back itself, before its last
   * commit; the server deletion's too (_mailsync_sync_run_deletes) */
  if (!_mailsync_sync_run_uploads (r, uploads, error) ||
      !_mailsync_sync_run_deletes (r, delete_local, r->local, "runner-delete-local", error) ||
      !_mailsync_sync_run_deletes (r, delete_remote, r->remote, "runner-delete-remote", error) ||
      !_mailsync_sync_run_flags (r, flags_local, r->local, error) ||
      !_mailsync_sync_run_keywords (r, flags_local, r->local, not_stored, error))
    return FALSE;
  _mailsync_crash_point ("runner-flags-local-flushed");
  if (!_mailsync_sync_run_flags (r, flags_remote, r->remote, error) ||
      !_mailsync_sync_run_keywords (r, flags_remote, r->remote, not_stored, error))
    return FALSE;
  if (r->remote_last == REMOTE_LAST_FLAGS)
    _mailsync_sync_release_remote_early (r);
  _mailsync_crash_point ("runner-flags-remote-flushed");
  /* after the keyword passes: a new keyword has its letter now */
  for (guint i = 0; i < status_puts->len; i++)
    _mailsync_sync_put_status_row (r, status, status_puts->pdata[i], not_stored);
  _mailsync_sync_save_listing_state (r, status);
  _mailsync_sync_close_intents (r, status);
  _mailsync_sync_close_downloads (r, status);
  if (!_mailsync_sync_commit (r, status, error))
    return FALSE;
  if (r->download_rows_held)
    _mailsync_crash_point ("runner-download-committed");
  _mailsync_crash_point ("runner-status-committed");
  return TRUE;
}

/* The folder's sync completed: a status store that keeps a journal
 * makes its main file current now (the plain store: offlineimap reads
 * only that file), before the unchanged record takes the files' stamps.
 * A dry run writes nothing. */
static gboolean
checkpoint_status (Runner *r, GError **error)
{
  if (r->config->dry_run || r->config->status == NULL)
    return TRUE;
  return _mailsync_status_store_checkpoint (r->config->status, r->status_name, error);
}

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
/* MAILSYNC_TEST_HANDBACK_PAUSE=<seconds>: the first folder sync of the
 * process that hands its connection back early waits that long right
 * after, as a slow disk would, so a test sees another folder use the
 * connection before this folder's sync ends (check-imap-concurrent.py) */
static void
test_handback_pause (void)
{
  static gint paused;
  const char *text = g_getenv ("MAILSYNC_TEST_HANDBACK_PAUSE");
  gint64 seconds;

  if (text == NULL || !g_ascii_string_to_signed (text, 10, 1, 600, &seconds, NULL) ||
      !g_atomic_int_compare_and_exchange (&paused, 0, 1))
    return;
  g_usleep (seconds * G_USEC_PER_SEC);
}
#endif

/* The remote folder's lease handed back before the folder's sync ends
 * (lease_remote, set by the account's concurrent folder syncs): its
 * last server command is answered and what is left is local (files,
 * flags, status commits). Its jobs would run on the repository's own
 * connection from here, so none may follow: execute() says which pass
 * sends the plan's last server commands (r->remote_last), and only that
 * pass, once they are answered, calls this. */
void
_mailsync_sync_release_remote_early (Runner *r)
{
  if (r->remote_released || r->config->lease_remote == NULL)
    return;
  r->remote_released = TRUE;
  _mailsync_repository_release_folder (mailsync_folder_get_repository (r->remote), r->remote);
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  test_handback_pause ();
#endif
}

static gboolean
sync_folder_once (const MailsyncRunnerConfig *config,
                  MailsyncFolder             *remote,
                  MailsyncFolder             *local,
                  const char                 *status_name,
                  GError                    **error)
{
  g_autoptr(Runner) r = _mailsync_sync_runner_new (config, remote, local, status_name);
  g_autoptr(GPtrArray) plan = NULL;
  guint n_records = 0;
  g_autoptr(MailsyncStatusBatch) validity = mailsync_status_batch_new ();
  g_autofree char *rebuilt = NULL;
  gboolean rebuilding;
  gboolean unchanged = FALSE;

  r->max_age_set = _mailsync_max_age_compute (config->max_age_days, config->max_age_date,
                                              g_get_real_time () / G_USEC_PER_SEC, &r->max_age);

  if (!_mailsync_sync_check_unchanged (r, &unchanged, error))
    return FALSE;
  if (unchanged)
    return TRUE;
  /* Listed already by the move pre-pass of this run: not again. */
  r->prepared = _mailsync_sync_take_prepared (r);
  if (r->prepared == NULL)
    _mailsync_sync_start_local_listing (r);
  if (!_mailsync_sync_load_status (r, &n_records, error))
    return FALSE;

  if (!_mailsync_sync_list_both (r, error))
    return FALSE;
  if (!_mailsync_sync_load_remote_labels (r, error))
    return FALSE;
  rebuilding = _mailsync_sync_status_lost (r, n_records);
  if (rebuilding && !_mailsync_sync_verify_uid_pairs (r, error))
    return FALSE;
  if (!_mailsync_sync_check_one_validity (r, remote, META_UIDVALIDITY_REMOTE, validity, error) ||
      !_mailsync_sync_check_one_validity (r, local, META_UIDVALIDITY_LOCAL, validity, error))
    return FALSE;
  if (g_hash_table_remove (r->meta, META_START_UID_NEW))
    mailsync_status_batch_set_meta (validity, META_START_UID, g_hash_table_lookup (r->meta, META_START_UID));
  if (g_hash_table_remove (r->meta, META_LOCAL_START_UID_NEW))
    mailsync_status_batch_set_meta (validity, META_LOCAL_START_UID, g_hash_table_lookup (r->meta, META_LOCAL_START_UID));
  if (!config->dry_run && (!_mailsync_sync_save_validity_files (r, error) || !_mailsync_sync_commit (r, validity, error)))
    return FALSE;
  if (!config->dry_run && !_mailsync_sync_settle_intents (r, error))
    return FALSE;
  if (config->dry_run && !_mailsync_sync_hold_dry_run (r, error))
    return FALSE;
  _mailsync_sync_emit_listing_warnings (r);

  if (!_mailsync_sync_load_copy_ignore (r, error))
    return FALSE;
  plan = _mailsync_sync_make_plan (r, FALSE);
  if (mailsync_folder_is_read_only (remote) || mailsync_folder_is_read_only (local))
    {
      warn_read_only (r, plan);
      g_ptr_array_unref (plan);
      plan = _mailsync_sync_make_plan (r, TRUE);
    }
  if (rebuilding)
    rebuilt = _mailsync_sync_describe_rebuild (r, plan);
  /* offlineimap's quick sync skips a folder whose counts did not change;
   * here both sides were listed (the fast resync makes that one SELECT on
   * an unchanged server), so "not changed" means nothing to do at all,
   * flags included. */
  if (config->quick && plan->len == 0 && !_mailsync_sync_labels_changed_locally (r))
    {
      g_autoptr(MailsyncStatusBatch) state = mailsync_status_batch_new ();

      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED, NULL, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL,
            "not changed");
      _mailsync_sync_save_listing_state (r, state);
      _mailsync_sync_close_intents (r, state);
      _mailsync_sync_close_downloads (r, state);
      if (!config->dry_run && !_mailsync_sync_commit (r, state, error))
        return FALSE;
      if (!_mailsync_sync_recheck_pending (r, error) || !_mailsync_sync_save_keywords_stamp (r, error) ||
          !checkpoint_status (r, error))
        return FALSE;
      _mailsync_sync_record_unchanged (r);
      return TRUE;
    }
  if (!execute (r, plan, error))
    return FALSE;
  if (!_mailsync_sync_run_labels (r, error))
    return FALSE;
  /* after the folder's other work: a killed run's late copies */
  if (!_mailsync_sync_recheck_pending (r, error))
    return FALSE;
  if (!_mailsync_sync_save_keywords_stamp (r, error) || !checkpoint_status (r, error))
    return FALSE;
  _mailsync_sync_record_unchanged (r);
  /* Said once the copies are done, so the count is what happened. */
  if (rebuilt != NULL)
    _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, NULL, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, rebuilt);
  return TRUE;
}

/* ---- reconnecting ------------------------------------------------------ */

/* offlineimap's retrycount. Only a backend with a connection has it (the
 * IMAP repository's "retry-count"); the runner knows no backend, so it
 * asks for the property rather than for a type. */
static guint
retry_count (MailsyncFolder *folder)
{
  MailsyncRepository *repo = mailsync_folder_get_repository (folder);
  guint count = 0;

  if (repo != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (repo), "retry-count") != NULL)
    g_object_get (repo, "retry-count", &count, NULL);
  return count;
}

/* not counted: the account's open stands. The connection @folder leased
 * (maxconnections), the others' staying as they are; without a lease the
 * repository's one connection. */
static gboolean
reopen (const MailsyncRunnerConfig *config, MailsyncFolder *folder, GError **error)
{
  return _mailsync_repository_reopen_folder (mailsync_folder_get_repository (folder), folder, config->cancellable,
                                             error);
}

/* A dropped connection (EOF, reset, socktimeout) spoils the repository,
 * not the data: everything committed so far stays committed, so the
 * folder is simply synced again on a new connection. The new listing
 * re-SELECTs and checks UIDVALIDITY; messages already copied are found on
 * both sides and only recorded (downloads under their U=, uploads by their
 * intent), so only unfinished operations are redone. */
static gboolean
sync_folder_retrying (const MailsyncRunnerConfig *config,
                      MailsyncFolder             *remote,
                      MailsyncFolder             *local,
                      const char                 *status_name,
                      GError                    **error)
{
  guint retries = MAX (retry_count (remote), retry_count (local));
  guint throttled = 0;

  for (guint attempt = 1;; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *text = NULL;
      g_autofree char *label = NULL;
      gboolean limited;

      gboolean done = sync_folder_once (config, remote, local, status_name, &local_error);

      _mailsync_sync_progress_settle (config);
      if (done)
        return TRUE;
      /* A server that limits us (issue 12 item 9) is waited out by the
       * backend's reopen, within its own bounded budget (reopen fails
       * when it is spent), so it does not use up retrycount
       * (_mailsync_error_retry_throttled has the rule). */
      limited = _mailsync_error_is_throttled (local_error);
      if (limited)
        attempt--;
      if ((limited ? !_mailsync_error_retry_throttled (local_error, &throttled, config->cancellable)
                   : attempt > retries) ||
          !mailsync_error_is_transient (local_error) ||
          mailsync_error_get_scope (local_error) < MAILSYNC_ERROR_SCOPE_REPOSITORY ||
          g_cancellable_is_cancelled (config->cancellable))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (config->emit != NULL)
        {
          g_autoptr(MailsyncSyncEvent) event = NULL;

          label = mailsync_folder_get_visible_name (remote);
          if (limited)
            text = g_strdup_printf ("%s; the server limits this client: waiting, then resuming the folder "
                                    "where it stopped", local_error->message);
          else
            text = g_strdup_printf ("%s; reconnecting (attempt %u of %u)", local_error->message, attempt, retries);
          event = _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_WARNING, config->account_name, label, NULL,
                                            MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, local_error, text);
          config->emit (event, config->emit_data);
        }
      /* a lease taken late or handed back early (lease_remote) is held
       * again first: the reconnect and the retry are the folder's own
       * connection's */
      if (config->lease_remote != NULL && !config->lease_remote (config->emit_data, error))
        return FALSE;
      if (!reopen (config, remote, error) || !reopen (config, local, error))
        return FALSE;
    }
}

/* The folder's sync ends here, done or failed: what its folder objects
 * keep for operations on its listings goes (issue 13 item 4). The
 * account keeps every folder object for the whole run, so anything kept
 * past this point grows with the account, not with the folder. */
gboolean
mailsync_sync_runner_sync_folder (const MailsyncRunnerConfig *config,
                                  MailsyncFolder             *remote,
                                  MailsyncFolder             *local,
                                  const char                 *status_name,
                                  GError                    **error)
{
  gboolean ok = sync_folder_retrying (config, remote, local, status_name, error);

  _mailsync_folder_release_listing (remote);
  _mailsync_folder_release_listing (local);
  return ok;
}
