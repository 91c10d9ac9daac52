/* The move pre-pass: moves the server made between the account's folders,
 * found before the folders are synced (issue 10 item 4; the rules are in
 * the comment below). Split from mailsync-sync-runner.c (issue 14 item 1). */
#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- moves the server made (issue 10 item 4) --------------------------- */

/* A message another client moved on the server (INBOX uid u gone, Archive
 * uid v new) would be downloaded again into Archive and deleted from the
 * local INBOX. Folders are synced one at a time, in name order, so
 * neither side of a move sees the other: before the folders are synced,
 * every folder that changed is listed and planned once without executing
 * anything (no events), its remote-vanished local messages (DELETE_LOCAL)
 * and new remote messages (DOWNLOAD) are collected, and pairs found by
 * identity are executed as one rename of the local file into the other
 * local folder under U=v. The folders are then synced as always: the
 * existing three-way rules record v in Archive (on both sides, no row)
 * and forget u in INBOX (on neither side). A kill before the rename
 * changes nothing; after it, the next run finds exactly that state; no
 * status row is ever written ahead of the file.
 *
 * Identity: the Message-ID header, the size with CRLF line ends (the local
 * file has LF; RFC822.SIZE counts CRLF) and the internal date (the file's
 * mtime is set to INTERNALDATE on download). Only a key that one local
 * and one remote candidate have, and nothing else, is a move: two
 * copies of one message, a message without Message-ID, a file whose
 * mtime another program changed are downloaded and deleted as before.
 *
 * Where the server offers OBJECTID (RFC 8474) the identity is the
 * EMAILID instead: the listing has it for every arrived message, and the
 * status meta keeps it for a message it was recorded for when it was
 * listed and downloaded (mailsync-sync-emailid.c). A vanished message
 * with a recorded EMAILID pairs only with the one arrived message that
 * has the same EMAILID, never by Message-ID (a copy with the same headers
 * is another message); one without (a status row older than the record,
 * a server without OBJECTID) pairs by the key above. */
typedef struct
{
  guint folder;        /* index in the pairs */
  guint32 uid;
  guint64 size;        /* CRLF size */
  gint64 date;
  char *message_id;    /* NULL until known; "" when there is none */
  char *email_id;      /* RFC 8474 EMAILID: an arrived one's listing's, a vanished one's record; or NULL */
  gboolean paired;     /* an arrived one already taken by a pair */
  MailsyncStatusRecord *row; /* a vanished one's status row, the last synced state */
} MoveCandidate;

static void
move_candidate_free (MoveCandidate *c)
{
  g_free (c->message_id);
  g_free (c->email_id);
  g_clear_pointer (&c->row, mailsync_status_record_free);
  g_free (c);
}

/* A local message without a file (a local IMAP server behind a UID map),
 * read through the folder: from the local server, never the remote. */
static gboolean
read_local_message (Runner *r, MailsyncMessageInfo *info, char **contents, gsize *length)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  mailsync_folder_fetch_message_async (r->local, info, r->config->cancellable, _mailsync_store_result, &result);
  stream = mailsync_folder_fetch_message_finish (r->local, _mailsync_await (&result), &error);
  if (stream == NULL ||
      g_output_stream_splice (out, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE, r->config->cancellable, &error) < 0 ||
      !g_output_stream_write_all (out, "", 1, NULL, r->config->cancellable, &error) ||
      !g_output_stream_close (out, r->config->cancellable, &error))
    {
      g_debug ("move detection: local message %u of %s not read: %s", mailsync_message_info_get_uid (info),
               mailsync_folder_get_name (r->local), error->message);
      return FALSE;
    }
  *length = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)) - 1;
  *contents = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
  return TRUE;
}

/* What a local candidate is: its Message-ID and CRLF size, from the file
 * (or the local store's copy, for a local side without files) */
static gboolean
local_identity (Runner *r, MailsyncMessageInfo *info, MoveCandidate *c)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  mode_t mode = 0;
  guint64 bare_lf = 0;

  if (_mailsync_folder_get_directory (r->local) == NULL)
    {
      if (!read_local_message (r, info, &contents, &length))
        return FALSE;
    }
  else if ((path = _mailsync_sync_local_file (r, info)) == NULL ||
           !_mailsync_sync_read_local_file (path, &contents, &length, &mode, NULL))
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (contents[i] == '\n' && (i == 0 || contents[i - 1] != '\r'))
      bare_lf++;
  c->size = length + bare_lf;
  c->date = mailsync_message_info_get_internal_date (info);
  c->message_id = _mailsync_header_message_id (contents, length);
  return TRUE;
}

/* Whether the folder changed since its last sync, as its own sync will
 * check it (the STATUS answer is kept in quiet->remote_stamps for that
 * check), and if so whether its status has rows: a message can only have
 * left a folder that has some. Any error or doubt: FALSE, no candidates
 * from this folder. */
static gboolean
folder_changed (const MailsyncRunnerConfig *quiet,
                MailsyncFolder             *remote,
                MailsyncFolder             *local,
                const char                 *status_name,
                gboolean                   *has_rows)
{
  g_autoptr(Runner) r = _mailsync_sync_runner_new (quiet, remote, local, status_name);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GStatBuf st;
  gboolean unchanged = FALSE;

  *has_rows = FALSE;
  if (!_mailsync_sync_check_unchanged (r, &unchanged, &error) || unchanged)
    return FALSE;
  /* Both ends of a move changed on the server (an expunge, an arrival):
   * a folder whose server is as the unchanged record has it (only its
   * Maildir changed: local deletions, flags) takes no part in one, and
   * is not listed here (issue 13: a local-only change costs no listing
   * round trips before the folder's own sync). */
  if (r->remote_as_recorded)
    return FALSE;
  /* A move's source lost a message on the server. A folder whose server
   * only gained messages since the last sync recorded it (flags changed,
   * new mail: the usual changed folder) can be a move's destination, not
   * its source; with no source among the changed folders the pre-pass
   * lists none of them (issue 13 item 4: keeping every changed folder's
   * listings for the hand-over was the peak of such a resync, 4 MB of 18
   * at 10 x 1,000). A record missing or of another kind: a source, as
   * before. */
  if (r->remote_kept_all)
    return TRUE;
  /* A status file that is there is taken to have rows, unread (issue 13
   * item 2: the probe below reads it anyway); only a missing one (a new
   * folder, or a store that keeps no file) is loaded to count them. "Has
   * rows" only lets the pre-pass run: a wrong yes costs a probe, never a
   * wrong move. */
  path = mailsync_status_store_get_path (quiet->status, status_name);
  if (path != NULL && g_stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0)
    {
      *has_rows = TRUE;
      return TRUE;
    }
  if (!mailsync_status_store_load (quiet->status, status_name, &records, &r->meta, quiet->cancellable, &error))
    return FALSE;
  *has_rows = records->len > 0;
  return TRUE;
}

/* A local side without files that can say Message-IDs (a local IMAP
 * server behind a UID map): its vanished candidates are told by the
 * listing's size and date and by their Message-IDs, fetched in one round
 * trip, instead of reading each message whole (the move reads the one
 * that moved, once, for its pending map line: mailsync-mapped-move.c). */
static gboolean
ids_from_local_server (Runner *r)
{
  return _mailsync_folder_get_directory (r->local) == NULL &&
         mailsync_folder_supports (r->local, MAILSYNC_FOLDER_CAPABILITY_MESSAGE_IDS);
}

static void
fetch_local_ids (Runner *r, GPtrArray *waiting, GPtrArray *vanished)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GHashTable) ids = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (waiting->len == 0)
    return;
  for (guint i = 0; i < waiting->len; i++)
    g_array_append_val (uids, ((MoveCandidate *) waiting->pdata[i])->uid);
  mailsync_folder_fetch_message_ids_async (r->local, (guint32 *) uids->data, uids->len, r->config->cancellable,
                                           _mailsync_store_result, &result);
  ids = mailsync_folder_fetch_message_ids_finish (r->local, _mailsync_await (&result), &error);
  if (ids == NULL)
    g_debug ("move detection: no Message-ID of local %s: %s", mailsync_folder_get_name (r->local), error->message);
  /* each candidate goes to @vanished or is freed here */
  g_ptr_array_set_free_func (waiting, NULL);
  for (guint i = 0; i < waiting->len; i++)
    {
      MoveCandidate *c = waiting->pdata[i];
      const char *id = ids != NULL ? g_hash_table_lookup (ids, GUINT_TO_POINTER (c->uid)) : NULL;

      if (id == NULL || id[0] == '\0')
        {
          move_candidate_free (c);
          continue;
        }
      c->message_id = g_strdup (id);
      g_ptr_array_add (vanished, c);
    }
  g_ptr_array_set_size (waiting, 0);
}

/* Plans one folder without executing or saying anything, from @begun
 * (_mailsync_sync_runner_begin_quiet's, taken); adds its candidates. Any
 * error or doubt: no candidates from this folder. */
static void
probe_folder (Runner    *begun,
              guint      index,
              GPtrArray *vanished,
              GPtrArray *arrived)
{
  guint n_records = 0;
  /* The folder's own sync takes its listings instead of listing again
   * (issue 13), unless a move below changes either side. */
  g_autoptr(Runner) r = _mailsync_sync_runner_end_quiet (begun, &n_records);
  MailsyncFolder *remote, *local;
  g_autoptr(GPtrArray) plan = NULL;
  g_autoptr(MailsyncStatusBatch) scratch = mailsync_status_batch_new ();
  g_autoptr(GError) error = NULL;
  /* vanished candidates whose Message-ID the local server says (below) */
  g_autoptr(GPtrArray) waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) move_candidate_free);
  gboolean by_ids;

  if (r == NULL)
    return;
  remote = r->remote;
  local = r->local;
  if (_mailsync_sync_status_lost (r, n_records) ||
      !_mailsync_sync_check_one_validity (r, remote, META_UIDVALIDITY_REMOTE, scratch, &error) ||
      !_mailsync_sync_check_one_validity (r, local, META_UIDVALIDITY_LOCAL, scratch, &error) ||
      !_mailsync_sync_load_copy_ignore (r, &error))
    return;
  plan = _mailsync_sync_make_plan (r, TRUE);
  by_ids = ids_from_local_server (r);
  for (guint i = 0; i < plan->len; i++)
    {
      MailsyncAction *a = plan->pdata[i];
      MailsyncMessageInfo *info;
      MoveCandidate *c;

      if (a->kind == MAILSYNC_ACTION_DELETE_LOCAL &&
          (info = _mailsync_sync_local_info (r, a->uid)) != NULL)
        {
          const MailsyncStatusRecord *row = _mailsync_status_table_lookup (r->status_rows, a->uid);

          c = g_new0 (MoveCandidate, 1);
          c->folder = index;
          c->uid = a->uid;
          c->row = row ? mailsync_status_record_copy (row) : NULL;
          c->email_id = g_strdup (_mailsync_sync_recorded_email_id (r->meta, a->uid,
                                                                    mailsync_folder_get_uidvalidity (remote)));
          if (row == NULL)
            move_candidate_free (c);
          else if (c->email_id != NULL)
            g_ptr_array_add (vanished, c); /* pairs by its EMAILID only: nothing to read */
          else if (by_ids && mailsync_message_info_get_size (info) > 0)
            {
              c->size = mailsync_message_info_get_size (info);
              c->date = mailsync_message_info_get_internal_date (info);
              g_ptr_array_add (waiting, c);
            }
          else if (local_identity (r, info, c) && c->message_id[0] != '\0')
            g_ptr_array_add (vanished, c);
          else
            move_candidate_free (c);
        }
      else if (a->kind == MAILSYNC_ACTION_DOWNLOAD &&
               (info = _mailsync_sync_remote_info (r, a->uid)) != NULL)
        {
          c = g_new0 (MoveCandidate, 1);
          c->folder = index;
          c->uid = a->uid;
          c->size = mailsync_message_info_get_size (info);
          c->date = mailsync_message_info_get_internal_date (info);
          c->email_id = g_strdup (_mailsync_message_info_get_email_id (info));
          g_ptr_array_add (arrived, c);
        }
    }
  fetch_local_ids (r, waiting, vanished);
}

static char *
move_key (const MoveCandidate *c)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %s", c->size, c->date, c->message_id);
}

/* Fetches the Message-ID of the arrived candidates whose size and date
 * match a vanished one (one UID FETCH per remote folder that has some);
 * those without a Message-ID, or in a folder whose fetch failed, stay
 * without one and are no move. */
static void
fetch_arrived_ids (const MailsyncRunnerConfig *config,
                   GPtrArray                  *remotes,
                   GPtrArray                  *vanished,
                   GPtrArray                  *arrived)
{
  g_autoptr(GHashTable) sizes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < vanished->len; i++)
    {
      MoveCandidate *v = vanished->pdata[i];

      if (v->email_id != NULL)
        continue; /* pairs by its EMAILID only */
      g_hash_table_add (sizes, g_strdup_printf ("%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT, v->size, v->date));
    }
  for (guint f = 0; f < remotes->len; f++)
    {
      g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_autoptr(GHashTable) ids = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < arrived->len; i++)
        {
          MoveCandidate *a = arrived->pdata[i];
          g_autofree char *key = g_strdup_printf ("%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT, a->size, a->date);

          if (a->folder == f && g_hash_table_contains (sizes, key))
            g_array_append_val (uids, a->uid);
        }
      if (uids->len == 0)
        continue;
      mailsync_folder_fetch_message_ids_async (remotes->pdata[f], (guint32 *) uids->data, uids->len,
                                               config->cancellable, _mailsync_store_result, &result);
      ids = mailsync_folder_fetch_message_ids_finish (remotes->pdata[f], _mailsync_await (&result), &error);
      if (ids == NULL)
        {
          g_debug ("move detection: no Message-ID of %s: %s", mailsync_folder_get_name (remotes->pdata[f]),
                   error->message);
          continue;
        }
      for (guint i = 0; i < arrived->len; i++)
        {
          MoveCandidate *a = arrived->pdata[i];
          const char *id;

          if (a->folder == f && (id = g_hash_table_lookup (ids, GUINT_TO_POINTER (a->uid))) != NULL)
            a->message_id = g_strdup (id);
        }
    }
}

/* Counts @c under its EMAILID ("E <id>") when @by_email_id, else under
 * its Message-ID key ("M <size> <date> <Message-ID>"); nothing when it
 * has no such identity. */
static void
count_key (GHashTable *counts, GHashTable *which, MoveCandidate *c, gboolean by_email_id)
{
  g_autofree char *key = NULL;

  if (by_email_id)
    {
      if (c->email_id == NULL)
        return;
      key = g_strconcat ("E ", c->email_id, NULL);
    }
  else
    {
      g_autofree char *plain = NULL;

      if (c->message_id == NULL || c->message_id[0] == '\0')
        return;
      plain = move_key (c);
      key = g_strconcat ("M ", plain, NULL);
    }
  g_hash_table_insert (counts, g_strdup (key),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1));
  g_hash_table_insert (which, g_steal_pointer (&key), c);
}

static int
compare_keys (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static gboolean
flush_moved (const MailsyncRunnerConfig *config, MailsyncFolder *source, MailsyncFolder *dest, GError **error)
{
  MailsyncFolder *folders[] = { dest, source };

  for (guint i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;

      mailsync_folder_flush_async (folders[i], config->cancellable, _mailsync_store_result, &result);
      if (!mailsync_folder_flush_finish (folders[i], _mailsync_await (&result), error))
        return FALSE;
    }
  return TRUE;
}

static char *
move_intent_key (guint32 uid)
{
  return g_strdup_printf (MOVE_INTENT_PREFIX "%u", uid);
}

/* The destination's row, committed as an intent before the move: a kill
 * after the move but before commit_moved_row() would leave the moved
 * message in the destination on both sides with no row, and should the
 * server delete it before the next run, the local copy would stand as new
 * local mail and be uploaded again. The destination's next sync turns
 * the intent into the row if the message is there locally
 * (_mailsync_sync_reconcile_moves), else drops it. */
static gboolean
commit_move_intent (const MailsyncRunnerConfig *config,
                    const char                 *status_name,
                    MailsyncFolder             *remote,
                    const MoveCandidate        *to,
                    const MailsyncStatusRecord *row,
                    GError                    **error)
{
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autofree char *key = move_intent_key (to->uid);
  g_autofree char *value = g_strdup_printf ("%" G_GINT64_FORMAT "\t%u\t%s\t%s\t%s", row->mtime,
                                            mailsync_folder_get_uidvalidity (remote),
                                            to->email_id ? to->email_id : "", row->flags ? row->flags : "",
                                            row->labels ? row->labels : "");

  mailsync_status_batch_set_meta (batch, key, value);
  /* the destination's sync then looks for it (_mailsync_sync_settle_intents) */
  mailsync_status_batch_set_meta (batch, META_INTENTS, META_INTENTS_OPEN);
  return mailsync_status_store_commit (config->status, status_name, batch, config->cancellable, error);
}

static gboolean
commit_moved_row (const MailsyncRunnerConfig *config,
                  const char                 *status_name,
                  MailsyncFolder             *remote,
                  const MoveCandidate        *to,
                  const MailsyncStatusRecord *row,
                  GError                    **error)
{
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autofree char *key = move_intent_key (to->uid);

  mailsync_status_batch_put (batch, to->uid, row->flags, row->mtime, row->labels);
  _mailsync_sync_batch_email_id (batch, to->uid, mailsync_folder_get_uidvalidity (remote), to->email_id);
  mailsync_status_batch_set_meta (batch, key, NULL);
  return mailsync_status_store_commit (config->status, status_name, batch, config->cancellable, error);
}

/* A destination folder's sync, after its listings: the move intents of
 * an interrupted move pass (commit_move_intent) become the rows of the
 * moved messages that are there locally and have none; the others (the
 * move never happened, or its row was written) are dropped. */
gboolean
_mailsync_sync_reconcile_moves (Runner *r, GError **error)
{
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, r->meta);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto(GStrv) fields = NULL;
      guint64 uid;

      if (!g_str_has_prefix (key, MOVE_INTENT_PREFIX))
        continue;
      mailsync_status_batch_set_meta (batch, key, NULL);
      uid = g_ascii_strtoull ((const char *) key + strlen (MOVE_INTENT_PREFIX), NULL, 10);
      fields = g_strsplit (value, "\t", 5);
      if (uid == 0 || uid > G_MAXUINT32 || g_strv_length (fields) != 5 ||
          _mailsync_status_table_contains (r->status_rows, uid) ||
          !_mailsync_sync_local_has (r, (guint32) uid))
        continue;
      mailsync_status_batch_put (batch, uid, fields[3], g_ascii_strtoll (fields[0], NULL, 10),
                                 fields[4]);
      _mailsync_sync_batch_email_id (batch, uid, (guint32) g_ascii_strtoull (fields[1], NULL, 10),
                                     fields[2][0] != '\0' ? fields[2] : NULL);
      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, r->local, MAILSYNC_DIRECTION_TO_LOCAL, uid, 0, 0, NULL, NULL,
                           "recovered an interrupted move");
    }
  if (mailsync_status_batch_get_length (batch) == 0)
    return TRUE;
  return _mailsync_sync_commit (r, batch, error);
}

void
mailsync_sync_runner_find_moves (const MailsyncRunnerConfig *config,
                                 GPtrArray                  *remotes,
                                 GPtrArray                  *locals,
                                 GPtrArray                  *status_names)
{
  MailsyncRunnerConfig quiet;
  g_autoptr(GPtrArray) vanished = g_ptr_array_new_with_free_func ((GDestroyNotify) move_candidate_free);
  g_autoptr(GPtrArray) arrived = g_ptr_array_new_with_free_func ((GDestroyNotify) move_candidate_free);
  g_autoptr(GHashTable) local_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) local_which = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) remote_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) remote_which = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree gboolean *changed = NULL;
  g_autofree char **keys = NULL;
  guint moved = 0, n_changed = 0, n_sources = 0;

  if (config->dry_run || remotes->len < 2)
    return;
  for (guint i = 0; i < remotes->len; i++)
    if (!mailsync_folder_supports (remotes->pdata[i], MAILSYNC_FOLDER_CAPABILITY_MESSAGE_IDS) ||
        !mailsync_folder_supports (locals->pdata[i], MAILSYNC_FOLDER_CAPABILITY_MOVE_MESSAGE) ||
        _mailsync_labels_config_get (mailsync_folder_get_repository (locals->pdata[i])) != NULL)
      return;
  /* Planning only: no events, no progress, nothing recorded or forgotten. */
  _mailsync_sync_quiet_config (&quiet, config);
  changed = g_new0 (gboolean, remotes->len);
  for (guint i = 0; i < remotes->len; i++)
    {
      gboolean has_rows = FALSE;

      if (g_cancellable_is_cancelled (config->cancellable))
        return;
      changed[i] = folder_changed (&quiet, remotes->pdata[i], locals->pdata[i], status_names->pdata[i], &has_rows);
      n_changed += changed[i] ? 1 : 0;
      n_sources += changed[i] && has_rows ? 1 : 0;
    }
  /* A move leaves one folder, which has status rows, and arrives in
   * another: both changed. Short of that (a no-op resync, an initial sync,
   * one changed folder) no pair can be found, and listing the changed
   * folders here would only do the folder loop's work twice (issue 13). */
  if (n_changed < 2 || n_sources == 0)
    return;
  /* The changed folders are listed in groups of about the kept
   * listings' budget of messages (their statuses' rows, both sides): each
   * group's remote listings in one burst (issue 13 item 2: one round trip
   * instead of one per folder, hold_listings), and while the server
   * answers for the next folders the engine plans the first. */
  for (guint i = 0; i < remotes->len;)
    {
      g_autofree Runner **begun = g_new0 (Runner *, remotes->len);
      guint first = i, listed = 0;

      if (g_cancellable_is_cancelled (config->cancellable))
        return;
      _mailsync_folder_hold_listings (remotes->pdata[first], TRUE);
      for (; i < remotes->len && (i == first || listed < MAILSYNC_SYNC_KEPT_LISTINGS_BUDGET); i++)
        {
          guint n_records = 0;

          if (!changed[i])
            continue;
          begun[i] = _mailsync_sync_runner_begin_quiet (&quiet, remotes->pdata[i], locals->pdata[i],
                                                        status_names->pdata[i], FALSE, &n_records);
          /* A folder without rows (new on a side) is listed in full, of a
           * size its status cannot tell: it ends the group, as if it held
           * the whole budget, rather than count as nothing (N new folders
           * would otherwise all be listed and held at once). */
          listed += n_records > 0 ? 2 * n_records : MAILSYNC_SYNC_KEPT_LISTINGS_BUDGET;
        }
      _mailsync_folder_hold_listings (remotes->pdata[first], FALSE);
      /* each one begun is ended (its listings awaited), cancelled or not */
      for (guint j = first; j < i; j++)
        if (begun[j] != NULL)
          probe_folder (g_steal_pointer (&begun[j]), j, vanished, arrived);
    }
  if (g_cancellable_is_cancelled (config->cancellable))
    return;
  if (vanished->len == 0 || arrived->len == 0)
    return;
  fetch_arrived_ids (config, remotes, vanished, arrived);

  /* A vanished message counts under one key: its EMAILID if recorded,
   * else its Message-ID key; an arrived one under both it has. */
  for (guint i = 0; i < vanished->len; i++)
    {
      MoveCandidate *v = vanished->pdata[i];
      count_key (local_counts, local_which, v, v->email_id != NULL);
    }
  for (guint i = 0; i < arrived->len; i++)
    {
      count_key (remote_counts, remote_which, arrived->pdata[i], TRUE);
      count_key (remote_counts, remote_which, arrived->pdata[i], FALSE);
    }
  /* EMAILID pairs first ("E " sorts before "M "), and an arrived message
   * is taken by one pair at most. */
  keys = (char **) g_hash_table_get_keys_as_array (local_counts, NULL);
  qsort (keys, g_strv_length (keys), sizeof (char *), compare_keys);
  for (guint k = 0; keys[k] != NULL; k++)
    {
      MoveCandidate *from, *to;
      g_autoptr(GError) error = NULL;
      MailsyncFolder *source_local, *dest_local;
      gboolean ok;

      if (GPOINTER_TO_UINT (g_hash_table_lookup (local_counts, keys[k])) != 1 ||
          GPOINTER_TO_UINT (g_hash_table_lookup (remote_counts, keys[k])) != 1)
        continue;
      from = g_hash_table_lookup (local_which, keys[k]);
      to = g_hash_table_lookup (remote_which, keys[k]);
      if (from->folder == to->folder || to->paired)
        continue;
      to->paired = TRUE;
      source_local = locals->pdata[from->folder];
      dest_local = locals->pdata[to->folder];
      /* Both local folders change (and the destination's status): their
       * syncs list them again rather than plan from the listings above. */
      if (config->listings != NULL)
        {
          g_hash_table_remove (config->listings, status_names->pdata[from->folder]);
          g_hash_table_remove (config->listings, status_names->pdata[to->folder]);
        }
      if (!commit_move_intent (config, status_names->pdata[to->folder], remotes->pdata[to->folder], to, from->row,
                               &error))
        {
          g_debug ("move detection: no intent for %s uid %u: %s", mailsync_folder_get_name (dest_local), to->uid,
                   error->message);
          continue;
        }
      _mailsync_crash_point ("imap-move-before-rename");
      {
        /* Maildir: one rename; a mapped local IMAP side: the local
         * server's UID MOVE and the map entry (mailsync-mapped-move.c) */
        g_autoptr(GAsyncResult) result = NULL;

        mailsync_folder_move_message_async (source_local, from->uid, dest_local, to->uid, config->cancellable,
                                            _mailsync_store_result, &result);
        ok = mailsync_folder_move_message_finish (source_local, _mailsync_await (&result), &error);
      }
      if (!ok)
        {
          /* Nothing moved: the folders' syncs download and delete it. */
          g_debug ("move detection: %s uid %u -> %s uid %u not renamed: %s",
                   mailsync_folder_get_name (source_local), from->uid, mailsync_folder_get_name (dest_local),
                   to->uid, error->message);
          continue;
        }
      _mailsync_crash_point ("imap-move-moved");
      /* The destination's status row, as soon as the rename is durable:
       * without it, a message the server moves on or deletes before the
       * destination folder's sync (or before the next run, after a crash)
       * would stand as a new local message there and be uploaded again.
       * With it, the three-way rules see the last synced state (the
       * source's row) and propagate whatever happens next. */
      if (!flush_moved (config, source_local, dest_local, &error) ||
          !commit_moved_row (config, status_names->pdata[to->folder], remotes->pdata[to->folder], to, from->row,
                             &error))
        g_debug ("move detection: status row of %s uid %u not written: %s", mailsync_folder_get_name (dest_local),
                 to->uid, error->message);
      _mailsync_crash_point ("imap-move-renamed");
      moved++;
      if (config->emit != NULL)
        {
          g_autofree char *text = g_strdup_printf ("message %u of %s moved on the server to %s (uid %u): "
                                                   "renamed locally, not downloaded again", from->uid,
                                                   mailsync_folder_get_name (remotes->pdata[from->folder]),
                                                   mailsync_folder_get_name (remotes->pdata[to->folder]), to->uid);
          g_autoptr(MailsyncSyncEvent) event =
            _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_DEBUG, config->account_name,
                                      status_names->pdata[to->folder], NULL, MAILSYNC_DIRECTION_TO_LOCAL,
                                      to->uid, 0, 0, NULL, NULL, text);
          config->emit (event, config->emit_data);
        }
    }
  /* The renames are durable before the folders' syncs record them. */
  for (guint i = 0; moved > 0 && i < locals->len; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      mailsync_folder_flush_async (locals->pdata[i], config->cancellable, _mailsync_store_result, &result);
      if (!mailsync_folder_flush_finish (locals->pdata[i], _mailsync_await (&result), &error))
        g_debug ("move detection: flush of %s: %s", mailsync_folder_get_name (locals->pdata[i]), error->message);
    }
}
