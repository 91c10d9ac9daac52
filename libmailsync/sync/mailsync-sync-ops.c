/* The passes that execute a folder's plan: downloads, uploads (with the
 * intents that find an upload again after a crash, whose search is in
 * mailsync-sync-intents.c) in sliding windows, deletions, flags and
 * keywords in batches of concurrent backend calls (the deletions, flags
 * and keywords are in mailsync-sync-ops-stores.c). The order of the
 * steps that makes a crash lose nothing is in mailsync-sync-runner.c's
 * first comment. Split from mailsync-sync-runner.c (issue 14 item 1);
 * what a copy's stream becomes at its destination (filterheaders, the
 * labels header, an upload's date) is in mailsync-sync-streams.c. */
#include "config.h"

#include "sync/mailsync-sync-ops-private.h"

#include <string.h>

/* ---- one batch of concurrent operations ------------------------------ */

void
_mailsync_sync_op_free (Op *op)
{
  if (op == NULL)
    return;
  g_clear_object (&op->source);
  g_clear_object (&op->stored);
  g_clear_pointer (&op->delivery, _mailsync_folder_delivery_free);
  g_free (op->digest);
  g_free (op->token);
  g_clear_error (&op->error);
  g_free (op);
}

/* The copies finished so far, taken as one batch to commit; those that
 * end while it is committed go into a fresh array (the download and the
 * upload window share this step). */
static GPtrArray *
take_finished (Runner     *r,
               GPtrArray **finished)
{
  GPtrArray *batch = *finished;

  *finished = g_ptr_array_new_with_free_func ((GDestroyNotify) _mailsync_sync_op_free);
  r->finished = *finished;
  return batch;
}

void
_mailsync_sync_op_done (Op *op, GError *error)
{
  if (error != NULL)
    op->error = error;
  /* Copies hand each op over as it ends (the sliding windows). */
  if (op->runner->finished != NULL)
    g_ptr_array_add (op->runner->finished, op);
  op->runner->pending--;
  op->runner->pending_bytes -= op->weight;
  /* Completions are dispatched by the runner's own context, whose loop
   * looks at pending after every iteration: a wake-up is needed only if
   * one ever arrives from elsewhere (it was one write() per message). */
  if (!g_main_context_is_owner (op->runner->context))
    g_main_context_wakeup (op->runner->context);
}

static void
copy_appended (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Op *op = user_data;
  GError *error = NULL;

  op->stored = mailsync_folder_append_message_finish (MAILSYNC_FOLDER (source), result, &error);
  _mailsync_sync_op_done (op, error);
}

/* ---- a download on the engine-internal path -------------------------- */

/* Whether the downloads of this folder can go straight from the remote's
 * fetched bytes to the local folder's delivery (issue 13 item 5, session
 * 19): the engine-internal path, which makes no append task, content
 * stream or result info per message (3 of the 6 GObjects each message
 * cost; the fetch's task, the listing's info and the event stay). Only
 * where copy_read would hand the append the fetched stream as it is and
 * the source's own info: no labels header written in (synclabels), no
 * filterheaders, a local folder that delivers (a Maildir). Anything else
 * takes the public per-message calls. MAILSYNC_TEST_DOWNLOAD_PUBLIC=1 (a
 * test hook) takes them always, so that a test compares the two. */
static gboolean
downloads_direct (Runner *r)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  if (g_strcmp0 (g_getenv ("MAILSYNC_TEST_DOWNLOAD_PUBLIC"), "1") == 0)
    return FALSE;
#endif
  return r->remote_labels == NULL && r->labels == NULL && _mailsync_sync_filter_of (r->local) == NULL &&
         _mailsync_folder_get_directory (r->remote) == NULL && _mailsync_folder_can_deliver (r->local);
}

static void
copy_delivered (_MailsyncFolderDelivery *delivery)
{
  Op *op = delivery->user_data;

  _mailsync_sync_op_done (op, g_steal_pointer (&delivery->error));
}

/* copy_read's download on the internal path: the body's bytes (or a
 * spooled body's stream) go to the local folder's delivery with the
 * source's info, which is what the append would have been given. */
static void
copy_direct (Op *op, MailsyncFolder *source, GAsyncResult *result)
{
  Runner *r = op->runner;
  GError *error = NULL;
  GInputStream *stream = NULL;
  GBytes *bytes = _mailsync_folder_fetch_finish_bytes (source, result, &stream, &error);
  _MailsyncFolderDelivery *delivery;

  if (bytes == NULL && stream == NULL)
    {
      _mailsync_sync_op_done (op, error);
      return;
    }
  r->remote_fetched++;
  delivery = g_new0 (_MailsyncFolderDelivery, 1);
  delivery->info = g_object_ref (op->source);
  delivery->bytes = bytes;
  delivery->stream = stream;
  delivery->cancellable = r->config->cancellable != NULL ? g_object_ref (r->config->cancellable) : NULL;
  delivery->context = g_main_context_ref_thread_default ();
  delivery->done = copy_delivered;
  delivery->user_data = op;
  op->delivery = delivery;
  _mailsync_folder_deliver (r->local, delivery);
}

/* Whether the op's copy was stored, and the keywords it could store. */
static gboolean
op_stored (Op *op)
{
  if (op->delivery != NULL)
    return op->delivery->error == NULL && op->delivery->key != NULL;
  return op->stored != NULL;
}

static char *
op_stored_keywords (Op *op)
{
  if (op->delivery != NULL)
    return op->delivery->keywords != NULL ? g_strjoinv (" ", op->delivery->keywords) : NULL;
  return _mailsync_sync_info_keywords (op->stored);
}

static void
copy_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Op *op = user_data;
  Runner *r = op->runner;
  GError *error = NULL;
  g_autoptr(GInputStream) stream = NULL;
  MailsyncFolder *destination = MAILSYNC_FOLDER (source) == r->remote ? r->local : r->remote;
  g_autoptr(MailsyncMessageInfo) wanted = NULL;
  guint32 uid;
  gint64 date;

  if (op->direct)
    {
      copy_direct (op, MAILSYNC_FOLDER (source), result);
      return;
    }
  stream = mailsync_folder_fetch_message_finish (MAILSYNC_FOLDER (source), result, &error);
  if (stream == NULL)
    {
      _mailsync_sync_op_done (op, error);
      return;
    }
  if (MAILSYNC_FOLDER (source) == r->remote)
    r->remote_fetched++;
  /* synclabels: the file carries the message's labels in the labels
   * header, written in place of any the message had (GmailFolder's
   * getmessage) */
  if (destination == r->local && r->remote_labels != NULL)
    {
      g_autoptr(GInputStream) labelled =
        _mailsync_sync_labelled_stream (r, mailsync_message_info_get_uid (op->source), stream, &error);

      if (labelled == NULL)
        {
          _mailsync_sync_op_done (op, error);
          return;
        }
      g_set_object (&stream, labelled);
    }
  if (_mailsync_sync_filter_of (destination) != NULL)
    {
      g_autoptr(GInputStream) filtered = _mailsync_sync_filtered_stream (r, destination, stream, &error);

      if (filtered == NULL)
        {
          _mailsync_sync_op_done (op, error);
          return;
        }
      g_set_object (&stream, filtered);
    }
  /* A local Maildir stores the remote UID; a remote assigns its own. */
  uid = destination == r->local ? mailsync_message_info_get_uid (op->source) : 0;
  date = mailsync_message_info_get_internal_date (op->source);
  /* from a folder of files (a Maildir) to one that is not; not under
   * maxage: whether an upload is in the next run's window (SEARCH SINCE)
   * depends on its INTERNALDATE, and that window must select
   * offlineimap's message set (issue 11 item 3) */
  if (_mailsync_folder_get_directory (MAILSYNC_FOLDER (source)) != NULL &&
      _mailsync_folder_get_directory (destination) == NULL &&
      !r->max_age_set)
    date = _mailsync_sync_upload_date (&stream, date, r->config->cancellable);
  /* A download's copy would say what the source's info says (its UID,
   * flags, keywords, size and date, no key): the source's own is handed
   * on, not a new object per message (issue 13 item 5). */
  if (uid == mailsync_message_info_get_uid (op->source) && mailsync_message_info_get_key (op->source) == NULL &&
      date == mailsync_message_info_get_internal_date (op->source))
    wanted = g_object_ref (op->source);
  else
    wanted = mailsync_message_info_new (uid, NULL,
                                        mailsync_message_info_get_flags (op->source),
                                        mailsync_message_info_get_keywords (op->source),
                                        mailsync_message_info_get_size (op->source),
                                        date);
  mailsync_folder_append_message_async (destination, wanted, stream, r->config->cancellable,
                                        copy_appended, op);
}

/* An upload's local read ended and its append was asked (or it failed):
 * when it is the last one under way, the remote sends what it held
 * (hold_appends: one MULTIAPPEND for the uploads read meanwhile; only
 * when the remote sends held appends together, upload_bursts). */
static void
copy_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Op *op = user_data;
  Runner *r = op->runner;
  /* not the source object: a mapped local folder's fetch is its inner
   * folder's task */
  gboolean upload = op->reading;

  op->reading = FALSE;
  copy_read (source, result, user_data);
  if (upload && --r->uploads_reading == 0)
    _mailsync_folder_hold_appends (r->remote, FALSE);
}

static void
start_copy (Op *op, MailsyncFolder *from)
{
  op->runner->pending++;
  op->reading = from == op->runner->local && op->runner->upload_bursts;
  if (op->reading && op->runner->uploads_reading++ == 0)
    _mailsync_folder_hold_appends (op->runner->remote, TRUE);
  mailsync_folder_fetch_message_async (from, op->source, op->runner->config->cancellable,
                                       copy_fetched, op);
}

/* Collects the first error of a batch; message-scope errors are reported
 * and skipped, anything else stops the folder. */
gboolean
_mailsync_sync_batch_errors (Runner *r, GPtrArray *ops, MailsyncFolder *destination, GError **error)
{
  for (guint i = 0; i < ops->len; i++)
    {
      Op *op = ops->pdata[i];

      if (op->error == NULL || op->reported)
        continue;
      if (mailsync_error_get_scope (op->error) == MAILSYNC_ERROR_SCOPE_MESSAGE)
        {
          g_autofree char *text = NULL;
          const char *key = op->source ? mailsync_message_info_get_key (op->source) : NULL;

          r->incomplete = TRUE;
          /* A destination refusing a message (the server's APPENDLIMIT)
           * does not know the source file: name it, so that the line
           * says which message was skipped. */
          if (key != NULL && strstr (op->error->message, key) == NULL)
            text = g_strdup_printf ("%s (folder %s, %s message %s)", op->error->message, r->folder_label,
                                    mailsync_repository_get_name (mailsync_folder_get_repository (
                                      destination == r->remote ? r->local : r->remote)),
                                    key);
          _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, destination, MAILSYNC_DIRECTION_NONE,
                op->action->uid, 0, 0, NULL, op->error, text ? text : op->error->message);
          /* An upload's ops are looked at again after the copies. */
          op->reported = TRUE;
          continue;
        }
      g_propagate_error (error, g_steal_pointer (&op->error));
      return FALSE;
    }
  return TRUE;
}

/* ---- the passes ------------------------------------------------------- */

static gboolean
has_fatal_error (GPtrArray *ops)
{
  for (guint i = 0; i < ops->len; i++)
    {
      Op *op = ops->pdata[i];

      if (op->error != NULL && mailsync_error_get_scope (op->error) != MAILSYNC_ERROR_SCOPE_MESSAGE)
        return TRUE;
    }
  return FALSE;
}

/* Flushes the local folder and records the downloads in @batch_ops, which
 * all ended before the flush began: the flush covers their files. The
 * last batch of the pass (@last), when the folder has a final status
 * batch (r->download_rows: only when nothing that can be killed runs
 * before that commit, see execute()), puts its rows there instead of committing
 * them now: the folder's final commit records them with its flags and
 * listing state, one fdatasync per folder less (issue 13 item 2). Until
 * then a crash leaves those files durable without rows, as a crash
 * between the flush and the commit always could: the next run finds each
 * by the U= in its name and records it while the server still has that
 * UID; one the server expunged in between is deleted locally, as the
 * UIDs being downloaded were committed before the first flush
 * (META_DOWNLOADS, mailsync-sync-state.c; before that it was uploaded
 * again, as offlineimap does). */
static gboolean
commit_downloads (Runner *r, GPtrArray *batch_ops, guint *done, guint total, gboolean last, GError **error)
{
  g_autoptr(MailsyncStatusBatch) own = NULL;
  MailsyncStatusBatch *batch;

  if (last && r->download_rows != NULL)
    batch = r->download_rows;
  else
    batch = own = mailsync_status_batch_new ();

  if (!_mailsync_sync_batch_errors (r, batch_ops, r->local, error))
    return FALSE;
  _mailsync_crash_point ("runner-download-appended");
  if (!_mailsync_sync_flush_folder (r, r->local, error))
    return FALSE;
  _mailsync_crash_point ("runner-download-flushed");
  for (guint i = 0; i < batch_ops->len; i++)
    {
      Op *op = batch_ops->pdata[i];
      g_autofree char *stored_keywords = NULL;
      g_autofree char *row_flags = NULL;

      if (!op_stored (op))
        continue;
      /* the keywords the local side could store: the status records
       * those only, so that one it could not is never read as removed */
      stored_keywords = op_stored_keywords (op);
      row_flags = _mailsync_sync_status_flags (r, op->action->flags, stored_keywords);
      if (_mailsync_sync_keywords_on (r))
        _mailsync_sync_warn_not_stored (r, op->action->uid, op->action->keywords, stored_keywords);
      if (r->labels != NULL)
        {
          /* the labels now in the file, and its mtime (GmailFolder's copymessageto) */
          g_autofree char *labels = _mailsync_labels_status (_mailsync_sync_remote_labels_of (r, op->action->uid));

          mailsync_status_batch_put (batch, op->action->uid, row_flags, _mailsync_sync_local_mtime (r, op->stored), labels);
        }
      else
        _mailsync_sync_put_row (r, batch, op->action->uid, op->action->flags, stored_keywords);
      if (own == NULL)
        r->download_rows_held = TRUE;
      _mailsync_sync_progress_copied (r, _mailsync_sync_copy_size (op->source));
      if (r->config->emit != NULL)
        {
          g_autoptr(MailsyncSyncEvent) event =
            _mailsync_sync_new_event (r, MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, r->local, MAILSYNC_DIRECTION_TO_LOCAL,
                       op->action->uid, ++*done, total, op->action->flags, NULL, NULL);

          _mailsync_sync_event_set_bytes (event, _mailsync_sync_copy_size (op->source));
          r->config->emit (event, r->config->emit_data);
        }
    }
  if (own == NULL)
    {
      _mailsync_crash_point ("runner-download-held");
      return TRUE;
    }
  {
    g_autoptr(GArray) uids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), batch_ops->len);

    for (guint i = 0; i < batch_ops->len; i++)
      g_array_append_val (uids, ((Op *) batch_ops->pdata[i])->action->uid);
    _mailsync_sync_drop_downloads (r, uids, batch);
  }
  if (!_mailsync_sync_commit (r, batch, error))
    return FALSE;
  _mailsync_crash_point ("runner-download-committed");
  return TRUE;
}

/* The downloads of small messages run deeper than the window (issue 13
 * item 6): a copy holds its slot for a round trip before its bytes come,
 * so at a distant server 64 messages of 1-2 KB kept the connection idle
 * most of each round trip (10 x 1,000 small messages through a 20 ms
 * RTT: 64 -> 256 in flight took the initial sync from 4.0 to 2.6 s on
 * tmpfs). Up to DOWNLOAD_DEPTH windows of copies run while the sizes
 * they announce add up to at most a window of DOWNLOAD_SLOT_BYTES each:
 * what a window of average messages holds, so the bytes in flight, and
 * the memory the answers can take, stay those of a window; large
 * messages keep the window as it was. A size the listing did not give
 * (0) counts as a whole slot. The durability batch stays the window.
 * Only from a source without files (IMAP): a Maildir's fetch is an open
 * file until its copy is delivered, and it has no round trip to cover
 * (4 x 64 open files per folder, two folders at once, would reach the
 * usual limit of 1,024 descriptors). */
#define DOWNLOAD_DEPTH      4
#define DOWNLOAD_SLOT_BYTES (32 * 1024)

static guint64
download_weight (MailsyncMessageInfo *info)
{
  guint64 size = _mailsync_sync_copy_size (info);

  return size > 0 ? size : DOWNLOAD_SLOT_BYTES;
}

/* May one more download start, of @weight? Always below the window;
 * beyond it (up to DOWNLOAD_DEPTH windows, when @deep) while the bytes
 * allow. */
static gboolean
download_fits (Runner *r, guint window, gboolean deep, guint64 weight)
{
  if (r->pending < window)
    return TRUE;
  return deep && r->pending < window * DOWNLOAD_DEPTH &&
         r->pending_bytes + weight <= (guint64) window * DOWNLOAD_SLOT_BYTES;
}

/* The downloads' new keywords get their local letters in UID order,
 * before the first delivery: the window's deliveries run in parallel (a
 * Maildir's workers), and each took the next free letter as it ran. All
 * of the folder's downloads at once, so that the windows after the
 * first (which overlap it: DOWNLOAD_DEPTH) add nothing to the file. */
static void
reserve_download_keywords (Runner *r, GPtrArray *todo)
{
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GPtrArray) keywords = NULL;

  if (!_mailsync_keywords_has_letters (r->local))
    return;
  for (guint i = 0; i < todo->len; i++)
    {
      guint32 uid = ((MailsyncAction *) todo->pdata[i])->uid;
      const char * const *words = mailsync_message_info_get_keywords (_mailsync_sync_remote_info (r, uid));

      if (words == NULL || words[0] == NULL)
        continue;
      if (uids == NULL)
        {
          uids = g_array_new (FALSE, FALSE, sizeof (guint32));
          keywords = g_ptr_array_new_with_free_func (g_free);
        }
      g_array_append_val (uids, uid);
      g_ptr_array_add (keywords, g_strjoinv (" ", (char **) words));
    }
  if (uids != NULL)
    _mailsync_keywords_reserve (r->local, r->folder_label, (const guint32 *) uids->data,
                                (const char * const *) keywords->pdata, uids->len);
}

/* A sliding window: up to max_in_flight copies run at any time (more
 * for small messages: download_fits), and a new one starts as soon as
 * one ends, so the connection's pipeline never drains. Every
 * max_in_flight finished copies (and at the end) are made durable
 * together (one flush) and then committed together, while the next
 * copies are already under way. */
gboolean
_mailsync_sync_run_downloads (Runner *r, GPtrArray *todo, GError **error)
{
  g_autoptr(GPtrArray) finished = g_ptr_array_new_with_free_func ((GDestroyNotify) _mailsync_sync_op_free);
  guint window = MAX (r->config->max_in_flight, 1);
  guint total = todo->len, done = 0, next = 0;
  gboolean deep = _mailsync_folder_get_directory (r->remote) == NULL;
  gboolean direct = downloads_direct (r);
  guint direct_ops = 0;
  gboolean ok = TRUE, noted = FALSE;

  if (todo->len == 0)
    return TRUE;
  reserve_download_keywords (r, todo);
  r->finished = finished;
  while (ok)
    {
      /* The fetches of one refill go out together: the first window's
       * behind the SELECT of a folder selected again (one round trip),
       * each later refill (the copies one iteration saw end) as one job
       * of the connection's thread, one wake-up (issue 13 item 5). */
      _mailsync_folder_hold_fetches (r->remote, TRUE);
      while (next < todo->len && !has_fatal_error (finished))
        {
          MailsyncMessageInfo *source = _mailsync_sync_remote_info (r, ((MailsyncAction *) todo->pdata[next])->uid);
          guint64 weight = download_weight (source);
          Op *op;

          if (!download_fits (r, window, deep, weight))
            break;
          op = g_new0 (Op, 1);
          op->runner = r;
          op->action = todo->pdata[next++];
          op->source = g_object_ref (source);
          op->weight = weight;
          /* the source's info is the append's only without a key */
          op->direct = direct && mailsync_message_info_get_key (source) == NULL;
          direct_ops += op->direct;
          r->pending_bytes += weight;
          start_copy (op, r->remote);
        }
      _mailsync_folder_hold_fetches (r->remote, FALSE);
      /* while the first fetches are on the wire: the UIDs this run
       * downloads, durable before any of their files is (a kill between a
       * file's flush and its row, then a server expunge: the next run
       * deletes the file rather than upload it again) */
      if (!noted)
        {
          noted = TRUE;
          if (!_mailsync_sync_note_downloads (r, todo, error))
            {
              ok = FALSE;
              break;
            }
        }
      if (has_fatal_error (finished))
        {
          /* Whatever did land is on disk under its U=; the next run
           * records it without copying again. */
          _mailsync_sync_runner_wait (r);
          ok = _mailsync_sync_batch_errors (r, finished, r->local, error);
          break;
        }
      /* every body is in: the connection is free for another folder
       * while these deliveries are written and committed (lease_remote) */
      if (r->remote_last == REMOTE_LAST_DOWNLOADS && r->remote_fetched == todo->len)
        _mailsync_sync_release_remote_early (r);
      if (finished->len >= window || (r->pending == 0 && finished->len > 0))
        {
          g_autoptr(GPtrArray) batch_ops = take_finished (r, &finished);
          gboolean last = r->pending == 0 && next >= todo->len;

          ok = commit_downloads (r, batch_ops, &done, total, last, error);
          continue;
        }
      if (r->pending == 0 && next >= todo->len)
        break;
      /* The fetch answers one wait brings ask their deliveries together:
       * a Maildir wakes one worker for them (issue 13 item 5). */
      _mailsync_folder_hold_deliveries (r->local, TRUE);
      _mailsync_await_iteration ();
      _mailsync_folder_hold_deliveries (r->local, FALSE);
    }
  /* Never leave a copy running behind a failure. */
  _mailsync_sync_runner_wait (r);
  r->finished = NULL;
  g_debug ("Folder %s: %u downloads, %u of them on the internal path", r->folder_label, total, direct_ops);
  return ok;
}

/* GmailFolder.savemessage: an uploaded message gets the labels of its
 * file's labels header (ignored ones left out) on the server. */
static gboolean
upload_labels (Runner *r, MailsyncMessageInfo *local, guint32 uid, GError **error)
{
  g_autofree char *path = g_build_filename (_mailsync_folder_get_directory (r->local),
                                            mailsync_message_info_get_key (local), NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) own = NULL;
  g_auto(GStrv) wanted = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;
  own = _mailsync_labels_from_message (r->labels->header, contents, length);
  wanted = _mailsync_labels_clean (r->labels, (const char *const *) own);
  if (wanted[0] != NULL)
    {
      g_autoptr(GAsyncResult) result = NULL;

      mailsync_folder_store_labels_async (r->remote, &uid, 1, MAILSYNC_LABEL_OPERATION_SET,
                                          (const char *const *) wanted, r->config->cancellable,
                                          _mailsync_store_result, &result);
      if (!mailsync_folder_store_labels_finish (r->remote, _mailsync_await (&result), error))
        return FALSE;
    }
  return TRUE;
}

/* Writes the intents (rule 2: token -> digest + local key) of up to
 * @count uploads from todo[*next] on, commits them in one status batch and
 * queues their ops on @ready: from then on their APPENDs may be sent. A
 * message that cannot be read (a message-scope error) is reported and
 * skipped; anything else fails the folder. */
static gboolean
prepare_uploads (Runner *r, GPtrArray *todo, guint *next, guint count, GQueue *ready, GError **error)
{
  g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func ((GDestroyNotify) _mailsync_sync_op_free);
  g_autoptr(MailsyncStatusBatch) intents = mailsync_status_batch_new ();

  for (guint n = 0; n < count && *next < todo->len; n++)
    {
      Op *op = g_new0 (Op, 1);
      g_autofree char *value = NULL;
      g_autofree char *uuid = g_uuid_string_random ();

      op->runner = r;
      op->action = todo->pdata[(*next)++];
      op->source = g_object_ref (_mailsync_sync_local_by_key (r, op->action->key));
      g_ptr_array_add (ops, op);
      op->digest = _mailsync_sync_message_digest (r, r->local, op->source, r->remote, &op->error);
      if (op->digest == NULL)
        continue;
      op->token = g_strconcat (INTENT_PREFIX, uuid, NULL);
      value = _mailsync_sync_intent_value (op->digest, mailsync_message_info_get_size (op->source), op->action->key,
                                           TRUE);
      mailsync_status_batch_set_meta (intents, op->token, value);
    }
  if (!_mailsync_sync_batch_errors (r, ops, r->remote, error))
    return FALSE;
  if (mailsync_status_batch_get_length (intents) > 0)
    {
      _mailsync_sync_note_upload_time (r, intents);
      if (!_mailsync_sync_commit (r, intents, error))
        return FALSE;
    }
  _mailsync_crash_point ("runner-upload-intent");
  for (guint i = 0; i < ops->len; i++)
    {
      Op *op = ops->pdata[i];

      /* one that could not be read was reported (the run is incomplete) */
      if (op->token != NULL)
        g_queue_push_tail (ready, g_steal_pointer (&ops->pdata[i]));
    }
  return TRUE;
}

/* Settles uploads that ended (all before this call): the remote made
 * durable, each local original given the UID the remote assigned, the
 * local folder flushed, then the status rows put and the intents removed
 * in one batch. */
static gboolean
commit_uploads (Runner *r, GPtrArray *ops, guint *done, guint total, guint *pseudo, GError **error)
{
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();

  if (!_mailsync_sync_batch_errors (r, ops, r->remote, error))
    return FALSE;
  if (!_mailsync_sync_flush_folder (r, r->remote, error))
    return FALSE;
  _mailsync_crash_point ("runner-upload-appended");

  /* Give each local original the UID the remote assigned. */
  for (guint i = 0; i < ops->len; i++)
    {
      Op *op = ops->pdata[i];
      guint32 uid = op->stored ? mailsync_message_info_get_uid (op->stored) : 0;
      g_autoptr(MailsyncMessageInfo) renamed = NULL;

      if (op->stored == NULL && op->error != NULL)
        {
          /* Refused before anything was stored (a message-scope error,
           * reported by _mailsync_sync_batch_errors): nothing to find next run. */
          mailsync_status_batch_set_meta (batch, op->token, NULL);
          continue;
        }
      if (uid == 0)
        {
          /* The remote cannot tell the UID: keep the intent, the next
           * run finds the copy by content. */
          r->incomplete = TRUE;
          if (op->stored != NULL)
            _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, r->remote, MAILSYNC_DIRECTION_TO_REMOTE, 0, 0, 0,
                  NULL, NULL, "the server did not tell the new message's UID; it is matched on the next run");
          continue;
        }
      renamed = _mailsync_sync_set_uid_and_wait (r, op->source, uid, error);
      if (renamed == NULL)
        return FALSE;
      /* the status row starts without labels, as offlineimap's: the
       * label pass of this run then finds the file newer than it and
       * records (and adds again) its labels */
      if (r->labels != NULL && !upload_labels (r, renamed, uid, error))
        return FALSE;
      {
        /* the keywords the APPEND carried: one the server cannot
         * store is left out, so that it is not read as removed there */
        g_autofree char *sent = op->stored ? _mailsync_sync_info_keywords (op->stored) : NULL;

        _mailsync_sync_put_row (r, batch, uid, op->action->flags, sent ? sent : op->action->keywords);
      }
      mailsync_status_batch_set_meta (batch, op->token, NULL);
      _mailsync_sync_progress_copied (r, _mailsync_sync_copy_size (op->source));
      if (r->config->emit != NULL)
        {
          g_autoptr(MailsyncSyncEvent) event =
            _mailsync_sync_new_event (r, MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, r->remote, MAILSYNC_DIRECTION_TO_REMOTE,
                       uid, ++*done, total, op->action->flags, NULL, NULL);

          _mailsync_sync_event_set_bytes (event, _mailsync_sync_copy_size (op->source));
          _mailsync_sync_event_set_source_uid (event, op->action->uid != 0 ? (gint64) op->action->uid
                                                                            : -(gint64) (*pseudo)--);
          r->config->emit (event, r->config->emit_data);
        }
    }
  if (!_mailsync_sync_flush_folder (r, r->local, error))
    return FALSE;
  _mailsync_crash_point ("runner-upload-renamed");
  /* more APPENDs may be on the wire: the young intents' clock; none:
   * the clock is what it was before this run's uploads */
  if (r->pending > 0)
    _mailsync_sync_note_upload_time (r, batch);
  else
    _mailsync_sync_restore_upload_time (r, batch);
  if (!_mailsync_sync_commit (r, batch, error))
    return FALSE;
  _mailsync_crash_point ("runner-upload-committed");
  return TRUE;
}

static void
intent_unstarted (MailsyncStatusBatch *batch, Op *op)
{
  g_autofree char *value = _mailsync_sync_intent_value (op->digest, mailsync_message_info_get_size (op->source),
                                                        op->action->key, FALSE);

  mailsync_status_batch_set_meta (batch, op->token, value);
}

/* The upload pass stops on a failure, and every copy it started has
 * ended: the intents of uploads whose APPEND was never sent (never
 * started), or that ended by an answer or a failure of their own (not
 * the connection's, not a cancel: @fatal is the error _mailsync_sync_batch_errors took
 * from its op), lose their start. No dead connection of this run can
 * store them later, so the next run settles them at once instead of
 * waiting out the grace (mailsync-sync-pending.c). Best effort: the
 * folder fails anyway. */
static void
unsent_intents_old (Runner *r, GPtrArray *finished, GQueue *ready, const GError *fatal)
{
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GError) ignored = NULL;
  GList *l;

  for (guint i = 0; i < finished->len; i++)
    {
      Op *op = finished->pdata[i];
      const GError *why = op->error != NULL ? op->error : fatal;

      if (op->stored != NULL || op->token == NULL || why == NULL ||
          mailsync_error_get_scope (why) > MAILSYNC_ERROR_SCOPE_FOLDER)
        continue;
      intent_unstarted (batch, op);
    }
  for (l = ready->head; l != NULL; l = l->next)
    intent_unstarted (batch, l->data);
  if (mailsync_status_batch_get_length (batch) > 0)
    _mailsync_sync_commit (r, batch, &ignored);
}

/* Uploads run in a sliding window, as downloads do (issue 13 item 5):
 * up to max_in_flight copies at any time, new ones started as soon as
 * half a window has ended (one, when the remote sends no bursts). An
 * upload's intent must be durable before its APPEND is sent, so
 * the intents are committed in groups of half a window ahead of the
 * copies (the first group fills the window): a group is written while
 * the copies before it are still on the wire, and the pipeline does not
 * drain. Every max_in_flight finished copies (and at the end) are settled
 * together by commit_uploads while the next ones are under way. */
gboolean
_mailsync_sync_run_uploads (Runner *r, GPtrArray *todo, GError **error)
{
  g_autoptr(GPtrArray) finished = g_ptr_array_new_with_free_func ((GDestroyNotify) _mailsync_sync_op_free);
  g_autoptr(GQueue) ready = g_queue_new ();
  guint window = MAX (r->config->max_in_flight, 1);
  guint group = MAX (window / 2, 1);
  guint start_group;
  guint total = todo->len, done = 0, pseudo = 0, next = 0;
  gboolean ok = TRUE;

  if (todo->len == 0)
    return TRUE;
  /* Copies start in groups of half a window only when the uploads read
   * together go out together (hold_appends, one MULTIAPPEND): one started
   * alone would go out alone. Else one starts as each ends (review 3:
   * the groups only kept a quarter of the window idle). */
  r->upload_bursts = _mailsync_folder_appends_in_bursts (r->remote);
  start_group = r->upload_bursts ? group : 1;
  /* offlineimap numbers new local mail -1, -2, ... and copies in sorted
   * UID order, so its first copy is the lowest: -N, then -N+1 ... -1. */
  for (guint i = 0; i < todo->len; i++)
    if (((MailsyncAction *) todo->pdata[i])->uid == 0)
      pseudo++;

  r->finished = finished;
  while (ok)
    {
      if (g_queue_get_length (ready) < group && next < todo->len && !has_fatal_error (finished))
        {
          ok = prepare_uploads (r, todo, &next, next == 0 ? window : group, ready, error);
          continue;
        }
      if (r->pending == 0 || window - r->pending >= start_group)
        while (!g_queue_is_empty (ready) && r->pending < window && !has_fatal_error (finished))
          start_copy (g_queue_pop_head (ready), r->local);
      if (has_fatal_error (finished))
        {
          /* What did land is found by its intent's digest next run. */
          _mailsync_sync_runner_wait (r);
          ok = _mailsync_sync_batch_errors (r, finished, r->remote, error);
          break;
        }
      /* every APPEND is answered and the plan has nothing more for the
       * server: the connection is free for another folder while the
       * last copies are renamed and committed (lease_remote) */
      if (r->remote_last == REMOTE_LAST_UPLOADS && r->pending == 0 && g_queue_is_empty (ready) && next >= todo->len)
        _mailsync_sync_release_remote_early (r);
      if (finished->len >= window || (r->pending == 0 && finished->len > 0))
        {
          g_autoptr(GPtrArray) batch_ops = take_finished (r, &finished);

          ok = commit_uploads (r, batch_ops, &done, total, &pseudo, error);
          continue;
        }
      if (r->pending == 0 && g_queue_is_empty (ready) && next >= todo->len)
        break;
      _mailsync_await_iteration ();
    }
  /* Never leave a copy running behind a failure. Intents of copies that
   * never started stay, without their start: the next run finds no copy
   * and settles them at once. */
  _mailsync_sync_runner_wait (r);
  if (!ok)
    unsent_intents_old (r, finished, ready, error != NULL ? *error : NULL);
  r->finished = NULL;
  g_queue_free_full (g_steal_pointer (&ready), (GDestroyNotify) _mailsync_sync_op_free);
  return ok;
}
