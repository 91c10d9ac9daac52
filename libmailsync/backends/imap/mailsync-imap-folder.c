/* An IMAP mailbox as a MailsyncFolder. Every operation is one or a few
 * UID commands sent through the repository's connection without waiting
 * for earlier ones: the runner's 64 fetches become 64 pipelined
 * UID FETCH commands on one connection.
 *
 * This file holds the object, its properties and what every operation
 * shares (the job queue, SELECT, the untagged-response router); the
 * operations are in mailsync-imap-folder-*.c, one subject each, with
 * what they share in mailsync-imap-folder-private.h. */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-folder-engine-private.h"
#include "mailsync-imap-gmail.h"

#include <string.h>

/**
 * MailsyncImapFolder:
 *
 * A mailbox on an IMAP server.
 *
 * Since: 0.1
 */

enum
{
  PROP_0,
  PROP_KNOWN_MESSAGES,
  PROP_KNOWN_STATE,
  PROP_SYNC_STATE,
  PROP_FAST_LISTING,
  PROP_WINDOW_SINCE,
  PROP_WINDOW_MAX_SIZE,
  PROP_WINDOW_MIN_UID,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (MailsyncImapFolder, mailsync_imap_folder, MAILSYNC_TYPE_FOLDER)

MailsyncImapRepository *
_mailsync_imap_folder_repo_of (MailsyncImapFolder *self)
{
  return MAILSYNC_IMAP_REPOSITORY (mailsync_folder_get_repository (MAILSYNC_FOLDER (self)));
}

/* The connection the folder's jobs run on: its lease's, else the
 * repository's own. */
MailsyncImapSlot *
_mailsync_imap_folder_slot (MailsyncImapFolder *self)
{
  return _mailsync_imap_repository_slot_of (_mailsync_imap_folder_repo_of (self), self);
}

MailsyncImapConnection *
_mailsync_imap_folder_connection_of (MailsyncImapFolder *self)
{
  return _mailsync_imap_folder_slot (self)->connection;
}

/* On the worker, at the start of every job: a repository nobody opened
 * is opened (a pooled connection logs in with its first job); a lost
 * connection fails the job. */
gboolean
_mailsync_imap_folder_check_connected (MailsyncImapFolder *self, GTask *task)
{
  GError *error = NULL;

  if (_mailsync_imap_repository_ensure_slot (_mailsync_imap_folder_repo_of (self), _mailsync_imap_folder_slot (self),
                                             g_task_get_cancellable (task), &error))
    return TRUE;
  g_task_return_error (task, error);
  return FALSE;
}

/* Every operation is a job on the repository's worker (mailsync-worker.h):
 * the call returns at once, jobs of one repository run one at a time on
 * the connection's thread, and a FETCH job only sends its command, so
 * many fetches are in flight at once. */
void
_mailsync_imap_folder_queue_job (MailsyncImapFolder *self, GTask *task, gpointer tag, MailsyncWorkerFunc job)
{
  g_task_set_source_tag (task, tag);
  _mailsync_worker_run (_mailsync_imap_folder_slot (self)->worker, task, job);
  g_object_unref (task);
}

/* A fetch task's data (MailsyncImapFetched), with the task. */
void
_mailsync_imap_fetched_free (gpointer data)
{
  MailsyncImapFetched *fetched = data;

  g_clear_pointer (&fetched->bytes, g_bytes_unref);
  g_clear_object (&fetched->stream);
  g_free (fetched);
}

/* The content for a fetch task: a large body was spooled to a file by
 * the connection as it arrived and is read back from there; a small one
 * is in memory. A spool that cannot be reopened fails the fetch. */
static void
set_fetched_body (GTask *task, const MailsyncImapFetchBody *body)
{
  MailsyncImapFetched *fetched;
  g_autoptr(GError) error = NULL;
  GInputStream *content = NULL;

  if (body->stream != NULL)
    {
      content = _mailsync_imap_spool_reopen (body->stream, &error);
      if (content == NULL)
        {
          g_object_set_data_full (G_OBJECT (task), "mailsync-fetch-error", g_steal_pointer (&error),
                                  (GDestroyNotify) g_error_free);
          return;
        }
    }
  /* the bytes as they are: a stream is made only for a caller of
   * fetch_message_finish (MailsyncImapFetched) */
  fetched = g_new0 (MailsyncImapFetched, 1);
  fetched->stream = content;
  fetched->bytes = content == NULL ? g_bytes_ref (body->data) : NULL;
  g_task_set_task_data (task, fetched, _mailsync_imap_fetched_free);
}

/* Every untagged response while one of our commands is in flight comes
 * here: FETCH data is routed by UID (pipelined commands' responses may
 * interleave), the rest updates the mailbox state. */
void
_mailsync_imap_folder_on_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  MailsyncImapFolder *self = user_data;

  switch (response->data_kind)
    {
    case MAILSYNC_IMAP_DATA_EXISTS:
      self->exists = response->u.number;
      if (self->listing != NULL)
        self->listing_exists_max = MAX (self->listing_exists_max, self->exists);
      return;
    case MAILSYNC_IMAP_DATA_EXPUNGE:
      if (self->exists > 0)
        self->exists--;
      return;
    case MAILSYNC_IMAP_DATA_VANISHED:
      _mailsync_imap_folder_note_vanished (self, response->u.vanished);
      return;
    case MAILSYNC_IMAP_DATA_FETCH:
      {
        MailsyncImapFetch *fetch = response->u.fetch;
        const MailsyncImapFetchBody *body;
        GTask *task;

        /* Another client's change reported after the listing and not in
         * our STORE's answer: our STOREs are no longer provably the only
         * changes (mailsync-imap-folder-store.c, store_own; a STORE's own
         * `UID MODSEQ` answers do not come here). */
        if (self->listing == NULL
            && ((fetch->present & MAILSYNC_IMAP_FETCH_FLAGS)
                || ((fetch->present & MAILSYNC_IMAP_FETCH_MODSEQ) && fetch->modseq > self->own_modseq)))
          _mailsync_imap_folder_forget_own_stores (self);
        if (!(fetch->present & MAILSYNC_IMAP_FETCH_UID))
          return; /* an unsolicited flag change: the next sync sees it */
        body = mailsync_imap_fetch_get_body (fetch, "BODY[]");
        task = body ? g_hash_table_lookup (self->fetching, GUINT_TO_POINTER (fetch->uid)) : NULL;
        /* A part (<origin>) is the prefetch's (<0>), never a fetch's whole
         * body; or the rest of a prefetched part, from where that part
         * ends, for the fetch that asked for it (mailsync-imap-folder-
         * prefetch.c), with its length (fetch_answered checks it). */
        if (body != NULL && body->has_origin)
          {
            if (task == NULL || body->origin == 0 || body->origin != _mailsync_imap_folder_rest_origin (task))
              {
                if (body->origin == 0)
                  _mailsync_imap_folder_prefetch_note (self, fetch, body);
                body = NULL;
                task = NULL;
              }
            else
              g_object_set_data (G_OBJECT (task), "mailsync-fetch-rest", GSIZE_TO_POINTER ((gsize) body->size));
          }
        if (task != NULL && (body->data != NULL || body->stream != NULL))
          set_fetched_body (task, body);
        else if (self->listing != NULL && (fetch->present & MAILSYNC_IMAP_FETCH_FLAGS))
          _mailsync_imap_folder_listing_add (self, fetch);
        return;
      }
    default:
      break;
    }
  if (response->code)
    switch (response->code->kind)
      {
      case MAILSYNC_IMAP_CODE_UIDVALIDITY:
        self->uidvalidity = response->code->number;
        break;
      case MAILSYNC_IMAP_CODE_UIDNEXT:
        self->uidnext = response->code->number;
        break;
      case MAILSYNC_IMAP_CODE_HIGHESTMODSEQ:
        self->highestmodseq = response->code->modseq;
        /* a SELECT again after our STOREs that says more than they left
         * (the listing's own SELECT sets own_modseq after this) */
        if (response->code->modseq > self->own_modseq)
          _mailsync_imap_folder_forget_own_stores (self);
        break;
      case MAILSYNC_IMAP_CODE_PERMANENTFLAGS:
        {
          g_autoptr(GStrvBuilder) keywords = g_strv_builder_new ();

          self->permanent_known = TRUE;
          self->permanent_any = FALSE;
          for (char **f = response->code->strv; f != NULL && *f != NULL; f++)
            if (strcmp (*f, "\\*") == 0)
              self->permanent_any = TRUE;
            else if (**f != '\\')
              g_strv_builder_add (keywords, *f);
          g_strfreev (self->permanent_keywords);
          self->permanent_keywords = g_strv_builder_end (keywords);
        }
        break;
      default:
        break;
      }
}

/* The untagged responses of a SELECT sent while another mailbox was
 * selected, with QRESYNC on: until its [CLOSED] (RFC 7162 §3.2.11), FETCH,
 * EXPUNGE and VANISHED are the previous mailbox's news, not this
 * folder's; the next sync of that folder finds them through its own
 * CHANGEDSINCE. Only the SELECT's own handler filters: once it is
 * answered, its followers' responses (routed to them) are this folder's. */
static void
on_select_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  MailsyncImapFolder *self = user_data;

  if (self->awaiting_closed)
    {
      if (response->code != NULL && response->code->kind == MAILSYNC_IMAP_CODE_CLOSED)
        {
          /* What came before is the previous mailbox's: an EXISTS (let
           * through, in case no [CLOSED] comes) or a response code must
           * not stay as this folder's, nor widen the listing's FETCH
           * bound. */
          self->awaiting_closed = FALSE;
          self->uidvalidity = 0;
          self->uidnext = 0;
          self->highestmodseq = 0;
          self->exists = 0;
          self->listing_exists_max = 0;
          return;
        }
      if (response->data_kind == MAILSYNC_IMAP_DATA_FETCH || response->data_kind == MAILSYNC_IMAP_DATA_EXPUNGE ||
          response->data_kind == MAILSYNC_IMAP_DATA_VANISHED)
        return;
    }
  _mailsync_imap_folder_on_untagged (response, self);
}

MailsyncImapCommand *
_mailsync_imap_folder_command (MailsyncImapFolder *self, const char *name)
{
  return _mailsync_imap_command_new (_mailsync_imap_folder_connection_of (self), name);
}

MailsyncImapRequest *
_mailsync_imap_folder_request (MailsyncImapFolder *self, MailsyncImapCommand *cmd, GError **error)
{
  MailsyncImapRequest *request = mailsync_imap_request_new_from_command (cmd, error);

  if (request != NULL)
    mailsync_imap_request_set_untagged_handler (request, _mailsync_imap_folder_on_untagged, self);
  return request;
}

/* Sends @request on the folder's connection and waits for its tagged
 * answer (on the worker). */
MailsyncImapResponse *
_mailsync_imap_folder_send (MailsyncImapFolder   *self,
                            MailsyncImapRequest  *request,
                            GCancellable         *cancellable,
                            GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  MailsyncImapConnection *connection = _mailsync_imap_folder_connection_of (self);

  mailsync_imap_connection_send_async (connection, request, cancellable, _mailsync_store_result, &result);
  return mailsync_imap_connection_send_finish (connection, _mailsync_await (&result), error);
}

MailsyncImapResponse *
_mailsync_imap_folder_run (MailsyncImapFolder *self, MailsyncImapCommand *cmd, GCancellable *cancellable,
                           GError **error)
{
  MailsyncImapRequest *request = _mailsync_imap_folder_request (self, cmd, error);

  return request != NULL ? _mailsync_imap_folder_send (self, request, cancellable, error) : NULL;
}

/* QRESYNC (RFC 7162 §3.2.3) must be enabled once per connection before it
 * changes anything: from then on the server reports expunges as VANISHED
 * and accepts the VANISHED modifier of UID FETCH. */
#define QRESYNC_ENABLED_KEY "mailsync-imap-qresync-enabled"

gboolean
_mailsync_imap_folder_qresync_enabled (MailsyncImapFolder *self)
{
  return g_object_get_data (G_OBJECT (_mailsync_imap_folder_connection_of (self)), QRESYNC_ENABLED_KEY) != NULL;
}

/* The ENABLE QRESYNC the connection still needs, or NULL. It is sent in
 * one burst with the first SELECT (issue 13: one round trip less per
 * connection): the server runs them in order, so the SELECT is made with
 * QRESYNC on. */
static MailsyncImapRequest *
qresync_request (MailsyncImapFolder *self, GError **error)
{
  MailsyncImapConnection *connection = _mailsync_imap_folder_connection_of (self);
  g_autoptr(MailsyncImapCommand) cmd = NULL;

  if (_mailsync_imap_folder_qresync_enabled (self) || !mailsync_imap_connection_has_capability (connection, "QRESYNC")
      || !mailsync_imap_connection_has_capability (connection, "ENABLE"))
    return NULL;
  cmd = _mailsync_imap_folder_command (self, "ENABLE");
  mailsync_imap_command_add_atom (cmd, "QRESYNC", NULL);
  return _mailsync_imap_folder_request (self, cmd, error);
}

/* A repository the user made read-only is only EXAMINEd: not even \Recent
 * or a server-side \Seen changes because of us. */
static const char *
select_verb (MailsyncImapFolder *self)
{
  return mailsync_repository_get_readonly (MAILSYNC_REPOSITORY (_mailsync_imap_folder_repo_of (self))) ? "EXAMINE"
                                                                                                      : "SELECT";
}

/* SELECT once; later operations on the same folder reuse it. With
 * CONDSTORE the SELECT also returns HIGHESTMODSEQ, what the fast resync
 * compares with the saved state. With @as_listed, a SELECT again after
 * another folder's (the move pre-pass lists several folders before the
 * folder loop uses their listings, issue 13) must find the UIDVALIDITY
 * of the listing the caller works from: under another one its UIDs name
 * other messages, so nothing is done with them (the next run's listing
 * sees the change and the runner refuses the folder as usual). */
/* @followers (may be NULL) go out in the same burst, right behind the
 * SELECT (issue 13: the listing's UID FETCH costs no round trip of its
 * own); each one is sent (its result to be awaited by the caller with
 * _mailsync_imap_folder_follower_finish) or freed here. */
static void
send_followers (MailsyncImapFolder *self, MailsyncImapFollower *followers, guint n_followers, gboolean send,
                GCancellable *cancellable)
{
  MailsyncImapConnection *connection = _mailsync_imap_folder_connection_of (self);

  for (guint i = 0; i < n_followers; i++)
    {
      MailsyncImapRequest *request = g_steal_pointer (&followers[i].request);

      if (request == NULL)
        continue;
      if (!send)
        {
          mailsync_imap_request_free (request);
          continue;
        }
      followers[i].sent = TRUE;
      mailsync_imap_connection_send_async (connection, request, cancellable, _mailsync_store_result,
                                           &followers[i].result);
    }
}

MailsyncImapResponse *
_mailsync_imap_folder_follower_finish (MailsyncImapFolder *self, MailsyncImapFollower *follower, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (!follower->sent)
    {
      g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED, "Command not sent: the SELECT failed");
      return NULL;
    }
  follower->sent = FALSE;
  _mailsync_await (&follower->result);
  result = g_steal_pointer (&follower->result);
  return mailsync_imap_connection_send_finish (_mailsync_imap_folder_connection_of (self), result, error);
}

/* An ENABLE QRESYNC in flight (sent with a SELECT whose answer is not
 * awaited yet, in a listing burst): later SELECTs of the burst are
 * written as after it, and fail if it fails. */
#define QRESYNC_ENABLING_KEY "mailsync-imap-qresync-enabling"

gboolean
_mailsync_imap_folder_select_send (MailsyncImapFolder    *self,
                                   MailsyncImapSelecting *selecting,
                                   MailsyncImapFollower  *followers,
                                   guint                  n_followers,
                                   GCancellable          *cancellable,
                                   GError               **error)
{
  MailsyncImapConnection *connection = _mailsync_imap_folder_connection_of (self);
  g_autoptr(MailsyncImapCommand) cmd = NULL;
  g_autoptr(GError) local_error = NULL;
  MailsyncImapRequest *enable, *select;
  gboolean enabling = g_object_get_data (G_OBJECT (connection), QRESYNC_ENABLING_KEY) != NULL;

  enable = enabling ? NULL : qresync_request (self, &local_error);
  if (enable == NULL && local_error != NULL)
    {
      send_followers (self, followers, n_followers, FALSE, cancellable);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  cmd = _mailsync_imap_folder_command (self, select_verb (self));
  mailsync_imap_command_add_wire_mailbox (cmd, self->wire_name, NULL);
  /* With QRESYNC enabled (or being enabled just before), CONDSTORE is on
   * already. */
  if (mailsync_imap_connection_has_capability (connection, "CONDSTORE") && enable == NULL && !enabling &&
      !_mailsync_imap_folder_qresync_enabled (self))
    mailsync_imap_command_add_raw (cmd, "(CONDSTORE)", NULL);
  if ((select = _mailsync_imap_folder_request (self, cmd, error)) == NULL)
    {
      if (enable != NULL)
        mailsync_imap_request_free (enable);
      send_followers (self, followers, n_followers, FALSE, cancellable);
      return FALSE;
    }
  self->uidvalidity = 0;
  self->uidnext = 0;
  self->highestmodseq = 0;
  self->exists = 0;
  /* Another mailbox selected and QRESYNC on: its last news may come
   * before this SELECT's [CLOSED] (doc/design.md, "The previous mailbox's
   * news before [CLOSED]"). Without QRESYNC there is no [CLOSED]. */
  self->awaiting_closed = _mailsync_imap_folder_slot (self)->last_selected_name != NULL &&
                          (enable != NULL || enabling || _mailsync_imap_folder_qresync_enabled (self));
  if (self->awaiting_closed)
    mailsync_imap_request_set_untagged_handler (select, on_select_untagged, self);
  _mailsync_imap_slot_note_selected_name (_mailsync_imap_folder_slot (self), self->wire_name);
  selecting->after_enable = enabling;
  if (enable != NULL)
    {
      g_object_set_data (G_OBJECT (connection), QRESYNC_ENABLING_KEY, GINT_TO_POINTER (1));
      selecting->enable_sent = TRUE;
      mailsync_imap_connection_send_async (connection, enable, cancellable, _mailsync_store_result,
                                           &selecting->enable_result);
    }
  selecting->select_sent = TRUE;
  mailsync_imap_connection_send_async (connection, select, cancellable, _mailsync_store_result,
                                       &selecting->select_result);
  send_followers (self, followers, n_followers, TRUE, cancellable);
  return TRUE;
}

gboolean
_mailsync_imap_folder_select_finish (MailsyncImapFolder    *self,
                                     MailsyncImapSelecting *selecting,
                                     gboolean               as_listed,
                                     GError               **error)
{
  MailsyncImapSlot *slot = _mailsync_imap_folder_slot (self);
  MailsyncImapConnection *connection = slot->connection;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(MailsyncImapResponse) enabled = NULL;
  g_autoptr(GAsyncResult) enable_result = NULL;
  g_autoptr(GAsyncResult) select_result = NULL;
  g_autoptr(GError) enable_error = NULL;

  if (selecting->enable_sent)
    {
      selecting->enable_sent = FALSE;
      _mailsync_await (&selecting->enable_result);
      enable_result = g_steal_pointer (&selecting->enable_result);
      enabled = mailsync_imap_connection_send_finish (connection, enable_result, &enable_error);
      g_object_set_data (G_OBJECT (connection), QRESYNC_ENABLING_KEY, NULL);
      if (enabled != NULL)
        g_object_set_data (G_OBJECT (connection), QRESYNC_ENABLED_KEY, GINT_TO_POINTER (1));
    }
  if (!selecting->select_sent)
    {
      g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED, "SELECT not sent");
      return FALSE;
    }
  selecting->select_sent = FALSE;
  _mailsync_await (&selecting->select_result);
  select_result = g_steal_pointer (&selecting->select_result);
  ok = mailsync_imap_connection_send_finish (connection, select_result, error);
  /* answered: a server that sent no [CLOSED] had nothing selected */
  self->awaiting_closed = FALSE;
  if (ok != NULL && enable_error != NULL)
    {
      /* selected, but without the QRESYNC the SELECT was written for */
      g_clear_pointer (&ok, mailsync_imap_response_unref);
      g_propagate_error (error, g_steal_pointer (&enable_error));
    }
  else if (ok != NULL && selecting->after_enable && !_mailsync_imap_folder_qresync_enabled (self))
    {
      /* written behind another folder's ENABLE QRESYNC (a listing burst),
       * which failed */
      g_clear_pointer (&ok, mailsync_imap_response_unref);
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                   "Folder %s: selected without the QRESYNC its SELECT was written for (ENABLE QRESYNC failed)",
                   mailsync_folder_get_name (MAILSYNC_FOLDER (self)));
    }
  if (ok == NULL)
    {
      _mailsync_imap_slot_set_selected (slot, NULL);
      return FALSE;
    }
  self->read_only = ok->code && ok->code->kind == MAILSYNC_IMAP_CODE_READ_ONLY;
  if (as_listed && self->listed_uidvalidity != 0 && self->uidvalidity != self->listed_uidvalidity)
    {
      /* not recorded as selected: every later operation asks again */
      _mailsync_imap_slot_set_selected (slot, NULL);
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED,
                   "Folder %s: its UIDVALIDITY changed from %u to %u since it was listed; nothing done by UID",
                   mailsync_folder_get_name (MAILSYNC_FOLDER (self)), self->listed_uidvalidity, self->uidvalidity);
      return FALSE;
    }
  /* Selected now only if no other SELECT went out behind this one (a
   * listing burst selects folder after folder before their answers are
   * read): the connection's mailbox is the last one sent. */
  if (_mailsync_imap_slot_may_have_selected (slot, self->wire_name))
    _mailsync_imap_slot_set_selected (slot, self);
  return TRUE;
}

static gboolean
ensure_selected_with (MailsyncImapFolder *self, gboolean as_listed, MailsyncImapFollower *followers,
                      guint n_followers, GCancellable *cancellable, GError **error)
{
  MailsyncImapSelecting selecting = MAILSYNC_IMAP_SELECTING_INIT;

  if (_mailsync_imap_slot_get_selected (_mailsync_imap_folder_slot (self)) == self)
    {
      send_followers (self, followers, n_followers, TRUE, cancellable);
      return TRUE;
    }
  if (!_mailsync_imap_folder_select_send (self, &selecting, followers, n_followers, cancellable, error))
    return FALSE;
  return _mailsync_imap_folder_select_finish (self, &selecting, as_listed, error);
}

gboolean
_mailsync_imap_folder_ensure_selected (MailsyncImapFolder *self, GCancellable *cancellable, GError **error)
{
  return ensure_selected_with (self, TRUE, NULL, 0, cancellable, error);
}

gboolean
_mailsync_imap_folder_select_with (MailsyncImapFolder *self, MailsyncImapFollower *followers, guint n_followers,
                                   GCancellable *cancellable, GError **error)
{
  return ensure_selected_with (self, TRUE, followers, n_followers, cancellable, error);
}

gboolean
_mailsync_imap_folder_select_any_validity (MailsyncImapFolder *self, GCancellable *cancellable, GError **error)
{
  return ensure_selected_with (self, FALSE, NULL, 0, cancellable, error);
}

gboolean
_mailsync_imap_folder_bool_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
_mailsync_imap_folder_collect_search (MailsyncImapResponse *response, gpointer user_data)
{
  GArray *found = user_data;

  if (response->data_kind == MAILSYNC_IMAP_DATA_SEARCH && response->u.search->numbers)
    g_array_append_vals (found, response->u.search->numbers->data, response->u.search->numbers->len);
}

static void
folder_set_message_uid_async (MailsyncFolder *folder, MailsyncMessageInfo *info, guint32 uid,
                              GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, folder_set_message_uid_async);
  g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                           "An IMAP folder assigns its own UIDs");
}

static MailsyncMessageInfo *
folder_set_message_uid_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
folder_flush_async (MailsyncFolder *folder, GCancellable *cancellable, GAsyncReadyCallback callback,
                    gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, folder_flush_async);
  /* A tagged OK means the server has it (RFC 3501 §6.3.11/§6.4.7). */
  g_task_return_boolean (task, TRUE);
}

static gboolean
folder_is_read_only (MailsyncFolder *folder)
{
  return MAILSYNC_IMAP_FOLDER (folder)->read_only;
}

static guint32
folder_get_uidvalidity (MailsyncFolder *folder)
{
  return MAILSYNC_IMAP_FOLDER (folder)->uidvalidity;
}

static void
mailsync_imap_folder_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (object);

  switch (prop_id)
    {
    case PROP_SYNC_STATE:
      g_value_set_string (value, self->sync_state);
      break;
    case PROP_FAST_LISTING:
      g_value_set_boolean (value, self->fast_listing);
      break;
    case PROP_WINDOW_SINCE:
      g_value_set_int64 (value, self->window_since);
      break;
    case PROP_WINDOW_MAX_SIZE:
      g_value_set_uint64 (value, self->window_max_size);
      break;
    case PROP_WINDOW_MIN_UID:
      g_value_set_uint (value, self->window_min_uid);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_imap_folder_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (object);

  switch (prop_id)
    {
    case PROP_KNOWN_MESSAGES:
      g_clear_pointer (&self->known, g_hash_table_unref);
      self->known = g_value_dup_boxed (value);
      break;
    case PROP_KNOWN_STATE:
      g_free (self->known_state);
      self->known_state = g_value_dup_string (value);
      break;
    case PROP_WINDOW_SINCE:
      self->window_since = g_value_get_int64 (value);
      break;
    case PROP_WINDOW_MAX_SIZE:
      self->window_max_size = g_value_get_uint64 (value);
      break;
    case PROP_WINDOW_MIN_UID:
      self->window_min_uid = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_imap_folder_finalize (GObject *object)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (object);

  g_clear_pointer (&self->known, g_hash_table_unref);
  g_clear_pointer (&self->unchanged, g_array_unref);
  g_free (self->known_state);
  g_free (self->sync_state);
  g_strfreev (self->permanent_keywords);
  g_free (self->listing_stamp);
  g_free (self->list_status);
  g_clear_error (&self->listing_error);
  g_free (self->wire_name);
  g_hash_table_unref (self->fetching);
  g_queue_clear (&self->fetch_order);
  g_hash_table_unref (self->stalled);
  g_clear_pointer (&self->held, g_ptr_array_unref);
  g_clear_pointer (&self->held_appends, g_ptr_array_unref);
  g_clear_pointer (&self->prefetch_pending, g_hash_table_unref);
  g_clear_pointer (&self->prefetched, g_hash_table_unref);
  g_mutex_clear (&self->hold_lock);
  G_OBJECT_CLASS (mailsync_imap_folder_parent_class)->finalize (object);
}

static void
mailsync_imap_folder_dispose (GObject *object)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (object);
  MailsyncRepository *repo = mailsync_folder_get_repository (MAILSYNC_FOLDER (self));

  if (repo != NULL)
    {
      /* a lease held to the end is released: its slot would stay leased
       * to a folder that is gone */
      _mailsync_imap_repository_release (MAILSYNC_IMAP_REPOSITORY (repo), self);
      _mailsync_imap_repository_forget_selected (MAILSYNC_IMAP_REPOSITORY (repo), self);
    }
  G_OBJECT_CLASS (mailsync_imap_folder_parent_class)->dispose (object);
}

/* The optional members of MailsyncFolderClass (issue 14 item 3): keywords,
 * Gmail labels, Message-IDs, the change stamps. */

static void
folder_set_keywords_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids, const char * const *add,
                           const char * const *remove, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  /* the keyword code takes space-separated lists (a keyword is an atom) */
  g_autofree char *added = add != NULL ? g_strjoinv (" ", (char **) add) : NULL;
  g_autofree char *removed = remove != NULL ? g_strjoinv (" ", (char **) remove) : NULL;

  _mailsync_imap_folder_set_keywords_async (folder, uids, n_uids, added, removed, cancellable, callback, user_data);
}

static void
folder_store_labels_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids,
                           MailsyncLabelOperation operation, const char * const *labels, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  char sign = operation == MAILSYNC_LABEL_OPERATION_ADD ? '+' : operation == MAILSYNC_LABEL_OPERATION_REMOVE ? '-' : 0;

  _mailsync_imap_folder_store_labels_async (folder, uids, n_uids, sign, labels, cancellable, callback, user_data);
}

static void
folder_probe_stamp_async (MailsyncFolder *folder, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  _mailsync_imap_folder_probe_state_async (MAILSYNC_IMAP_FOLDER (folder), cancellable, callback, user_data);
}

static char *
folder_probe_stamp_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  return _mailsync_imap_folder_probe_state_finish (MAILSYNC_IMAP_FOLDER (folder), result, error);
}

static char *
folder_dup_listing_stamp (MailsyncFolder *folder)
{
  return _mailsync_imap_folder_dup_listing_stamp (MAILSYNC_IMAP_FOLDER (folder));
}

/* maxsize: the folder lists by UID SEARCH SMALLER ("window-max-size");
 * the engine's private table has nothing else of IMAP's */
static gboolean
engine_size_search (MailsyncFolder *folder)
{
  (void) folder;
  return TRUE;
}

static const _MailsyncFolderEngineVTable engine_vtable = {
  .size_search = engine_size_search,
  .hold_fetches = _mailsync_imap_folder_hold_fetches,
  .hold_appends = _mailsync_imap_folder_hold_appends,
  .appends_in_bursts = _mailsync_imap_folder_appends_in_bursts,
  .hold_listings = _mailsync_imap_folder_hold_listings,
  .stamp_kept_all = _mailsync_imap_folder_stamp_kept_all,
  .dup_own_stamp = _mailsync_imap_folder_dup_own_stamp,
  .list_changes_only = _mailsync_imap_folder_list_changes_only,
  .fetch_finish_bytes = _mailsync_imap_folder_fetch_finish_bytes,
};

static void
mailsync_imap_folder_class_init (MailsyncImapFolderClass *klass)
{
  MailsyncFolderClass *folder_class = MAILSYNC_FOLDER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = mailsync_imap_folder_finalize;
  G_OBJECT_CLASS (klass)->dispose = mailsync_imap_folder_dispose;
  G_OBJECT_CLASS (klass)->get_property = mailsync_imap_folder_get_property;
  G_OBJECT_CLASS (klass)->set_property = mailsync_imap_folder_set_property;

  /**
   * MailsyncImapFolder:known-messages: (type GLib.HashTable(guint,utf8))
   *
   * What the caller's status knows of this folder, for the next listing
   * only: UID -> flags as Maildir letters (`GUINT_TO_POINTER` keys). With
   * #MailsyncImapFolder:known-state it lets the listing fetch only what
   * changed since (CONDSTORE). The caller promises that every message the
   * server had at that state is in the table, under the server's flags.
   *
   * Since: 0.1
   */
  props[PROP_KNOWN_MESSAGES] =
    g_param_spec_boxed ("known-messages", NULL, NULL, G_TYPE_HASH_TABLE,
                        G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:known-state:
   *
   * A #MailsyncImapFolder:sync-state saved after an earlier sync that
   * completed, for the next listing only.
   *
   * Since: 0.1
   */
  props[PROP_KNOWN_STATE] =
    g_param_spec_string ("known-state", NULL, NULL, NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:sync-state:
   *
   * The mailbox state the last listing started from (UIDVALIDITY and
   * HIGHESTMODSEQ, opaque), or %NULL without CONDSTORE. Save it only once
   * every message of that listing is in the status.
   *
   * Since: 0.1
   */
  props[PROP_SYNC_STATE] =
    g_param_spec_string ("sync-state", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:fast-listing:
   *
   * Whether the last listing fetched only the changes since the known state.
   *
   * Since: 0.1
   */
  props[PROP_FAST_LISTING] =
    g_param_spec_boolean ("fast-listing", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:window-since:
   *
   * offlineimap's maxage as a time: listings name the messages the server
   * finds with UID SEARCH SINCE this time's day (UTC), and every message
   * with a higher UID than the lowest of them, as offlineimap lists them
   * (so older messages may be listed). 0 for no limit.
   *
   * Since: 0.1
   */
  props[PROP_WINDOW_SINCE] =
    g_param_spec_int64 ("window-since", NULL, NULL, 0, G_MAXINT64, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:window-max-size:
   *
   * offlineimap's maxsize: listings leave out messages larger than this
   * many bytes (UID SEARCH SMALLER). 0 for no limit.
   *
   * Since: 0.1
   */
  props[PROP_WINDOW_MAX_SIZE] =
    g_param_spec_uint64 ("window-max-size", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:window-min-uid:
   *
   * offlineimap's maxage when the server had nothing since the window's
   * day: listings name only messages from this UID on (UID SEARCH UID
   * n:*) instead of searching by #MailsyncImapFolder:window-since. 0 for
   * none.
   *
   * Since: 0.1
   */
  props[PROP_WINDOW_MIN_UID] =
    g_param_spec_uint ("window-min-uid", NULL, NULL, 0, G_MAXUINT32, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, props);
  _mailsync_imap_folder_list_class_init (folder_class);
  _mailsync_imap_folder_fetch_class_init (folder_class);
  _mailsync_imap_folder_append_class_init (folder_class);
  _mailsync_imap_folder_store_class_init (folder_class);
  _mailsync_imap_folder_expunge_class_init (folder_class);
  _mailsync_imap_folder_idle_class_init (folder_class);
  folder_class->set_message_uid_async = folder_set_message_uid_async;
  folder_class->set_message_uid_finish = folder_set_message_uid_finish;
  folder_class->flush_async = folder_flush_async;
  folder_class->flush_finish = _mailsync_imap_folder_bool_finish;
  folder_class->get_uidvalidity = folder_get_uidvalidity;
  folder_class->is_read_only = folder_is_read_only;
  folder_class->can_store_keyword = _mailsync_imap_folder_can_store_keyword;
  folder_class->set_keywords_async = folder_set_keywords_async;
  folder_class->set_keywords_finish = _mailsync_imap_folder_set_keywords_finish;
  folder_class->fetch_labels_async = _mailsync_imap_folder_fetch_labels_async;
  folder_class->fetch_labels_finish = _mailsync_imap_folder_fetch_labels_finish;
  folder_class->store_labels_async = folder_store_labels_async;
  folder_class->store_labels_finish = _mailsync_imap_folder_store_labels_finish;
  folder_class->fetch_message_ids_async = _mailsync_imap_folder_fetch_message_ids_async;
  folder_class->fetch_message_ids_finish = _mailsync_imap_folder_fetch_message_ids_finish;
  folder_class->probe_stamp_async = folder_probe_stamp_async;
  folder_class->probe_stamp_finish = folder_probe_stamp_finish;
  folder_class->dup_listing_stamp = folder_dup_listing_stamp;
  _mailsync_folder_class_set_engine (klass, &engine_vtable);
}

static void
mailsync_imap_folder_init (MailsyncImapFolder *self)
{
  self->fetching = g_hash_table_new (NULL, NULL);
  self->stalled = g_hash_table_new (NULL, NULL);
  g_mutex_init (&self->hold_lock);
}

MailsyncImapFolder *
_mailsync_imap_folder_new (MailsyncImapRepository *repository, const char *name, const char *wire_name)
{
  MailsyncImapFolder *self = g_object_new (MAILSYNC_TYPE_IMAP_FOLDER, "name", name, "repository", repository, NULL);

  self->wire_name = g_strdup (wire_name);
  return self;
}
