/* FETCH of message bodies: pipelined UID FETCH commands whose bodies
 * the folder's untagged-response router hands to their tasks, and the
 * check whether a message the server sent no body for is still there. */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-imap-command.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-task-returns.h"

#include <string.h>

/* ---- fetch ------------------------------------------------------------------- */

typedef struct
{
  MailsyncImapFolder *self;
  GTask *task;
  guint32 uid;
  char *reply;            /* the FETCH's tagged OK, when it brought no body */
  guint found;            /* UIDs the UID SEARCH that follows it found */
} FetchData;

static void
on_fetch_search (MailsyncImapResponse *response, gpointer user_data)
{
  FetchData *data = user_data;

  if (response->data_kind == MAILSYNC_IMAP_DATA_SEARCH && response->u.search->numbers != NULL)
    data->found += response->u.search->numbers->len;
}

static void
fetch_data_free (FetchData *data)
{
  g_object_unref (data->task);
  g_object_unref (data->self);
  g_free (data->reply);
  g_free (data);
}

/* The answer to "is the message still there?" after a FETCH without its
 * body (issue 12 item 7). An OK without the data is what RFC 3501 gives
 * for a UID that no longer exists, and also what a broken server gives
 * for one it cannot read: only the first is "gone" (a warning, nothing to
 * redo); the second is this message skipped, so that the run is not clean
 * and the next run fetches it again. */
static void
fetch_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FetchData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);
  const char *name = mailsync_folder_get_name (MAILSYNC_FOLDER (data->self));

  if (ok == NULL && !g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO) &&
      !g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_BAD))
    g_task_return_error (data->task, g_steal_pointer (&error));
  else if (ok != NULL && data->found == 0)
    g_task_return_new_error (data->task, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                             "Message UID %u is no longer in %s", data->uid, name);
  else
    g_task_return_new_error (data->task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                             "The server did not send message UID %u of %s (its UID FETCH answered \"OK %s\" "
                             "without the body; the message is still there): skipped, fetched again on the next run",
                             data->uid, name, data->reply ? data->reply : "");
  fetch_data_free (data);
}

static gboolean fetch_prepare (MailsyncImapFolder *self, GTask *task, MailsyncImapRequest **out_request,
                               FetchData **out_data);
static void fetch_answered (MailsyncImapConnection *connection, MailsyncImapResponse *ok, const GError *error,
                            gpointer user_data);

/* A rest that was not the message's (@data's fetch): the message is
 * fetched whole, as without the part, on the same connection (its
 * folder still selected: the rest was answered under it). */
static void
fetch_whole_again (MailsyncImapConnection *connection, FetchData *data)
{
  MailsyncImapFolder *self = data->self;
  GTask *task = data->task;
  MailsyncImapRequest *request;
  FetchData *again;

  g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "%s: UID %u: the rest of its part is not the message's: "
         "fetched whole", mailsync_folder_get_name (MAILSYNC_FOLDER (self)), data->uid);
  g_task_set_task_data (task, NULL, NULL);
  g_object_set_data (G_OBJECT (task), "mailsync-fetch-error", NULL);
  g_object_set_data (G_OBJECT (task), "mailsync-fetch-part", NULL);
  if (fetch_prepare (self, task, &request, &again))
    _mailsync_imap_connection_send_direct (connection, request, g_task_get_cancellable (task), fetch_answered,
                                           again);
  fetch_data_free (data);
}

/* The UID FETCH's tagged OK (@ok) or its @error. */
static void
fetch_answered (MailsyncImapConnection *connection, MailsyncImapResponse *ok, const GError *error,
                gpointer user_data)
{
  FetchData *data = user_data;
  MailsyncImapFetched *body = g_task_get_task_data (data->task);
  const GError *spool_error = g_object_get_data (G_OBJECT (data->task), "mailsync-fetch-error");
  /* The server answers in order: when socktimeout cuts the connection,
   * the oldest fetch still in flight is the one it never answered. */
  gboolean oldest = g_queue_peek_head (&data->self->fetch_order) == GUINT_TO_POINTER (data->uid);

  g_hash_table_remove (data->self->fetching, GUINT_TO_POINTER (data->uid));
  g_queue_remove (&data->self->fetch_order, GUINT_TO_POINTER (data->uid));
  /* The rest of a part fetched with the listing: joined to it when it
   * is the rest the listed size leaves; otherwise (refused, missing,
   * shorter, longer, not read back) the message is fetched whole. */
  if (_mailsync_imap_folder_rest_origin (data->task) > 0 &&
      (ok != NULL || g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO) ||
       g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_BAD)))
    {
      guint size = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (data->task), "mailsync-fetch-size"));
      gsize rest_size = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (data->task), "mailsync-fetch-rest"));
      MailsyncImapFetched *joined = ok != NULL && spool_error == NULL
                                      ? _mailsync_imap_folder_rest_joined (data->task, body, rest_size, size)
                                      : NULL;

      if (joined != NULL)
        {
          /* the task's data as a whole body's (the rest's goes): the
           * engine's downloads take it as they take any other */
          g_task_set_task_data (data->task, joined, _mailsync_imap_fetched_free);
          _mailsync_task_return_pointer_batched (&data->self->fetch_returns, data->task, joined, NULL);
          fetch_data_free (data);
          return;
        }
      fetch_whole_again (connection, data);
      return;
    }
  if (ok == NULL)
    {
      if (oldest && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_hash_table_add (data->self->stalled, GUINT_TO_POINTER (data->uid));
          /* The timeout fails every fetch in flight, oldest first: the
           * next one would find itself at the head in turn and be taken
           * for unanswered too, though it only waited behind this one.
           * Those are asked again on the new connection. */
          g_queue_clear (&data->self->fetch_order);
        }
      _mailsync_task_return_error_batched (&data->self->fetch_returns, data->task, g_error_copy (error));
    }
  else if (spool_error != NULL)
    _mailsync_task_return_error_batched (&data->self->fetch_returns, data->task, g_error_copy (spool_error));
  else if (body == NULL)
    {
      g_autoptr(MailsyncImapCommand) cmd = _mailsync_imap_command_new (connection, "UID SEARCH UID");
      MailsyncImapRequest *request;

      mailsync_imap_command_add_number (cmd, data->uid, NULL);
      request = mailsync_imap_request_new_from_command (cmd, NULL);

      data->reply = g_strdup (ok->text ? ok->text : "");
      mailsync_imap_request_set_untagged_handler (request, on_fetch_search, data);
      mailsync_imap_connection_send_async (connection, request, g_task_get_cancellable (data->task),
                                           fetch_checked, data);
      return;
    }
  else
    /* the connection answers a burst of fetches back to back: their
     * callers hear of them together (issue 13 item 5) */
    /* the task's data: alive until its caller's finish has run */
    _mailsync_task_return_pointer_batched (&data->self->fetch_returns, data->task, body, NULL);
  fetch_data_free (data);
}

static void
fetch_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);

  fetch_answered (MAILSYNC_IMAP_CONNECTION (source), ok, error, user_data);
}

static void folder_fetch_message_async (MailsyncFolder *folder, MailsyncMessageInfo *info, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);

/* The fetch of @task's message as a request in flight (its FetchData in
 * self->fetching and fetch_order), or FALSE with @task completed: a
 * message this connection's socktimeout already cut, a command that
 * cannot be built. */
static gboolean
fetch_prepare (MailsyncImapFolder *self, GTask *task, MailsyncImapRequest **out_request, FetchData **out_data)
{
  guint32 uid = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mailsync-fetch-uid"));
  char text[64], *p = text + sizeof text;
  const char *const head = "UID FETCH ";
  guint32 n = uid;
  guint32 origin = _mailsync_imap_folder_rest_origin (task);
  g_autofree char *rest = NULL;
  MailsyncImapRequest *request;
  FetchData *data;

  /* Asked before on a connection that socktimeout then cut: asking again
   * would cut this one too, and the folder would never finish. This run
   * skips it; the next one tries again (a new folder object). */
  if (g_hash_table_contains (self->stalled, GUINT_TO_POINTER (uid)))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                               "The server did not answer the fetch of message UID %u of %s within "
                               "socktimeout: skipped, fetched again on the next run",
                               uid, mailsync_folder_get_name (MAILSYNC_FOLDER (self)));
      return FALSE;
    }
  if (origin > 0)
    {
      guint size = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mailsync-fetch-size"));

      /* The rest after a part fetched with the listing, and one byte
       * more than the listed size leaves: a message longer than listed
       * shows (mailsync-imap-folder-prefetch.c). */
      rest = g_strdup_printf ("UID FETCH %u (UID BODY.PEEK[]<%u.%u>)", uid, origin, size - origin + 1);
      p = rest;
    }
  else
    {
      /* "UID FETCH <uid> (UID BODY.PEEK[])", written here: words and a
       * number, nothing for the command builder to quote or check, and
       * one command per downloaded message (issue 13 item 5). */
      p -= sizeof " (UID BODY.PEEK[])";
      memcpy (p, " (UID BODY.PEEK[])", sizeof " (UID BODY.PEEK[])");
      do
        *--p = (char) ('0' + n % 10);
      while ((n /= 10) != 0);
      p -= strlen (head);
      memcpy (p, head, strlen (head));
    }
  request = mailsync_imap_request_new (p);
  mailsync_imap_request_set_untagged_handler (request, _mailsync_imap_folder_on_untagged, self);
  data = g_new0 (FetchData, 1);
  data->self = g_object_ref (self);
  data->task = g_object_ref (task);
  data->uid = uid;
  g_hash_table_insert (self->fetching, GUINT_TO_POINTER (data->uid), task);
  g_queue_push_tail (&self->fetch_order, GUINT_TO_POINTER (data->uid));
  *out_request = request;
  *out_data = data;
  return TRUE;
}

/* A prepared fetch that is not sent (or whose answer is dropped) fails
 * with a copy of @error. */
static void
fetch_fail (FetchData *data, const GError *error)
{
  g_hash_table_remove (data->self->fetching, GUINT_TO_POINTER (data->uid));
  g_queue_remove (&data->self->fetch_order, GUINT_TO_POINTER (data->uid));
  g_task_return_error (data->task, g_error_copy (error));
  fetch_data_free (data);
}

/* The folder is selected again (another folder's SELECT came in between,
 * as after the move pre-pass): the FETCHes go out with the SELECT, in one
 * burst (issue 13: one round trip for the SELECT and all the fetches the
 * engine asked together, see hold_fetches), and they are awaited here, so
 * that their answers are taken only when the SELECT found the listing's
 * UIDVALIDITY; otherwise they are dropped (a BODY.PEEK changes nothing on
 * the server) and the fetches fail with the SELECT's error. Fetches asked
 * later go out when these are in, as they went out after the SELECT
 * before. */
static void
fetch_behind_select (MailsyncImapFolder *self, GPtrArray *requests, GPtrArray *datas, GCancellable *cancellable)
{
  MailsyncImapConnection *connection = _mailsync_imap_folder_connection_of (self);
  g_autofree MailsyncImapFollower *followers = g_new0 (MailsyncImapFollower, requests->len);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < requests->len; i++)
    followers[i].request = requests->pdata[i];
  if (_mailsync_imap_folder_select_with (self, followers, requests->len, cancellable, &error))
    {
      for (guint i = 0; i < datas->len; i++)
        {
          g_autoptr(GAsyncResult) fetched = NULL;

          _mailsync_await (&followers[i].result);
          fetched = g_steal_pointer (&followers[i].result);
          fetch_done (G_OBJECT (connection), fetched, datas->pdata[i]);
        }
      return;
    }
  for (guint i = 0; i < datas->len; i++)
    {
      if (followers[i].sent)
        {
          g_autoptr(MailsyncImapResponse) dropped = _mailsync_imap_folder_follower_finish (self, &followers[i], NULL);
        }
      fetch_fail (datas->pdata[i], error);
    }
}

/* Sends the UID FETCHes of @tasks and returns: each task completes in
 * fetch_done, while the next jobs (more fetches) already go out. */
static void
fetch_send (MailsyncImapFolder *self, GPtrArray *tasks, GCancellable *cancellable)
{
  g_autoptr(GPtrArray) requests = g_ptr_array_new ();
  g_autoptr(GPtrArray) datas = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = tasks->pdata[i];
      guint32 uid = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mailsync-fetch-uid"));
      guint size = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mailsync-fetch-size"));
      GBytes *part = NULL;
      GBytes *bytes = _mailsync_imap_folder_prefetch_take (self, uid, size, &part);
      MailsyncImapRequest *request;
      FetchData *data;

      /* fetched with the listing already (mailsync-imap-folder-prefetch.c) */
      if (bytes != NULL)
        {
          MailsyncImapFetched *body = g_new0 (MailsyncImapFetched, 1);

          body->bytes = bytes;
          g_task_set_task_data (task, body, _mailsync_imap_fetched_free);
          _mailsync_task_return_pointer_batched (&self->fetch_returns, task, body, NULL);
          continue;
        }
      /* or its start: the fetch asks for the rest only */
      if (part != NULL)
        g_object_set_data_full (G_OBJECT (task), "mailsync-fetch-part", part, (GDestroyNotify) g_bytes_unref);
      if (fetch_prepare (self, task, &request, &data))
        {
          g_ptr_array_add (requests, request);
          g_ptr_array_add (datas, data);
        }
    }
  if (datas->len == 0)
    return;
  if (_mailsync_imap_slot_get_selected (_mailsync_imap_folder_slot (self)) != self
      && self->listed_uidvalidity != 0)
    {
      fetch_behind_select (self, requests, datas, cancellable);
      return;
    }
  if (!_mailsync_imap_folder_ensure_selected (self, cancellable, &error))
    {
      for (guint i = 0; i < datas->len; i++)
        {
          mailsync_imap_request_free (requests->pdata[i]);
          fetch_fail (datas->pdata[i], error);
        }
      return;
    }
  /* no GTask per command: the fetch's own task is the caller's */
  for (guint i = 0; i < datas->len; i++)
    _mailsync_imap_connection_send_direct (_mailsync_imap_folder_connection_of (self), requests->pdata[i],
                                           cancellable, fetch_answered, datas->pdata[i]);
}

static void
fetch_message_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  g_autoptr(GPtrArray) tasks = g_ptr_array_new ();

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  g_ptr_array_add (tasks, task);
  fetch_send (self, tasks, cancellable);
}

/* The fetches the engine asked while it held them (hold_fetches): @task,
 * the first, carries the others. */
static void
fetch_burst_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  g_autoptr(GPtrArray) others = g_object_steal_data (G_OBJECT (task), "mailsync-fetch-burst");
  g_autoptr(GPtrArray) tasks = g_ptr_array_new ();

  if (_mailsync_imap_folder_check_connected (self, task))
    g_ptr_array_add (tasks, task);
  for (guint i = 0; others != NULL && i < others->len; i++)
    if (_mailsync_imap_folder_check_connected (self, others->pdata[i]))
      g_ptr_array_add (tasks, others->pdata[i]);
  fetch_send (self, tasks, cancellable);
  /* the engine's first window took what it wanted of the bodies fetched
   * with the listing: the rest are of messages it does not download */
  _mailsync_imap_folder_prefetch_drop (self);
}

void
_mailsync_imap_folder_hold_fetches (MailsyncFolder *folder, gboolean hold)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (folder);
  g_autoptr(GPtrArray) held = NULL;
  GTask *first;

  g_mutex_lock (&self->hold_lock);
  self->holding = hold;
  if (!hold)
    held = g_steal_pointer (&self->held);
  g_mutex_unlock (&self->hold_lock);
  if (held == NULL || held->len == 0)
    return;
  first = g_ptr_array_steal_index (held, 0);
  g_object_set_data_full (G_OBJECT (first), "mailsync-fetch-burst", g_steal_pointer (&held),
                          (GDestroyNotify) g_ptr_array_unref);
  _mailsync_imap_folder_queue_job (self, first, folder_fetch_message_async, fetch_burst_job);
}

static void
folder_fetch_message_async (MailsyncFolder *folder, MailsyncMessageInfo *info, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (folder);
  GTask *task = g_task_new (folder, cancellable, callback, user_data);

  /* The task data is the fetched body (set_fetched_body). */
  g_object_set_data (G_OBJECT (task), "mailsync-fetch-uid", GUINT_TO_POINTER (mailsync_message_info_get_uid (info)));
  /* the listed RFC822.SIZE, which a body fetched with the listing must
   * match (mailsync-imap-folder-prefetch.c); 0: unknown, or past any */
  g_object_set_data (G_OBJECT (task), "mailsync-fetch-size",
                     GUINT_TO_POINTER ((guint) MIN (mailsync_message_info_get_size (info), G_MAXUINT)));
  g_mutex_lock (&self->hold_lock);
  if (self->holding)
    {
      /* the function, not GLib's macro, which also names the task with a
       * copy of the tag's text: one task per message */
      (g_task_set_source_tag) (task, folder_fetch_message_async);
      if (self->held == NULL)
        self->held = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (self->held, task);
      g_mutex_unlock (&self->hold_lock);
      return;
    }
  g_mutex_unlock (&self->hold_lock);
  _mailsync_imap_folder_queue_job (self, task, folder_fetch_message_async, fetch_message_job);
}

static GInputStream *
folder_fetch_message_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  MailsyncImapFetched *body;

  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  body = g_task_propagate_pointer (G_TASK (result), error);
  if (body == NULL)
    return NULL;
  return body->stream != NULL ? g_object_ref (body->stream) : g_memory_input_stream_new_from_bytes (body->bytes);
}

/* The engine's downloads: the bytes, no stream (see the private header). */
GBytes *
_mailsync_imap_folder_fetch_finish_bytes (MailsyncFolder *folder, GAsyncResult *result, GInputStream **stream,
                                          GError **error)
{
  MailsyncImapFetched *body;

  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  body = g_task_propagate_pointer (G_TASK (result), error);
  if (body == NULL)
    return NULL;
  if (body->stream != NULL)
    {
      *stream = g_object_ref (body->stream);
      return NULL;
    }
  return g_bytes_ref (body->bytes);
}

void
_mailsync_imap_folder_fetch_class_init (MailsyncFolderClass *folder_class)
{
  folder_class->fetch_message_async = folder_fetch_message_async;
  folder_class->fetch_message_finish = folder_fetch_message_finish;
}
