/* IDLE (RFC 2177): wait_for_changes holds the connection in IDLE until
 * the server reports a change, the caller's timeout or cancel, renewing
 * it before the server may drop it. */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-imap-command.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

/* ---- IDLE (RFC 2177) ------------------------------------------------------ */

/* RFC 2177 §3: servers may drop an IDLE after 30 minutes. The tests
 * shorten it to see the renewal (MAILSYNC_TEST_REIDLE_SECONDS, in a
 * build with test hooks). */
#define REIDLE_SECONDS (29 * 60)

static guint
reidle_seconds (void)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  /* a test hook (configure --enable-test-hooks): never read by a release */
  const char *test = g_getenv ("MAILSYNC_TEST_REIDLE_SECONDS");
  guint64 n = test ? g_ascii_strtoull (test, NULL, 10) : 0;

  if (n > 0 && n < REIDLE_SECONDS)
    return (guint) n;
#endif
  return REIDLE_SECONDS;
}

typedef struct
{
  MailsyncImapFolder *self;
  GTask *task;              /* borrowed: this struct is its task data */
  gint64 deadline;          /* monotonic µs, 0 for none */
  GSource *timer;
  GSource *cancel_source;
  gboolean idling;          /* the server said "+" */
  gboolean done_sent;
  gboolean changed;
  gboolean timed_out;
  gboolean cancelled;
  gboolean over;            /* the task was returned: the job may end */
} IdleData;

static void idle_start (IdleData *data);

static void
idle_clear_timer (IdleData *data)
{
  if (data->timer != NULL)
    {
      g_source_destroy (data->timer);
      g_clear_pointer (&data->timer, g_source_unref);
    }
}

static void
idle_data_free (IdleData *data)
{
  idle_clear_timer (data);
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_source_unref (data->cancel_source);
    }
  g_object_unref (data->self);
  g_free (data);
}

static void
idle_send_done (IdleData *data)
{
  if (!data->idling || data->done_sent)
    return;
  data->done_sent = TRUE;
  mailsync_imap_connection_send_continuation_line (_mailsync_imap_folder_connection_of (data->self), "DONE");
}

static char *
idle_plus (const char *text, gpointer user_data, GError **error)
{
  IdleData *data = user_data;

  data->idling = TRUE;
  /* A change, timeout or cancel that came before the "+" ends it now. */
  if (data->changed || data->timed_out || data->cancelled)
    idle_send_done (data);
  return NULL;
}

static void
idle_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  IdleData *data = user_data;

  switch (response->data_kind)
    {
    case MAILSYNC_IMAP_DATA_EXISTS:
    case MAILSYNC_IMAP_DATA_EXPUNGE:
    case MAILSYNC_IMAP_DATA_FETCH:
    case MAILSYNC_IMAP_DATA_VANISHED:
      data->changed = TRUE;
      idle_send_done (data);
      break;
    default:
      break;
    }
  _mailsync_imap_folder_on_untagged (response, data->self);
}

static gboolean
idle_timer_fired (gpointer user_data)
{
  IdleData *data = user_data;

  g_clear_pointer (&data->timer, g_source_unref);
  if (data->deadline != 0 && g_get_monotonic_time () >= data->deadline)
    data->timed_out = TRUE;
  /* Either the caller's timeout or the 29-minute renewal: end this IDLE;
   * idle_done decides whether to start another. */
  idle_send_done (data);
  return G_SOURCE_REMOVE;
}

static gboolean
idle_cancelled (GCancellable *cancellable, gpointer user_data)
{
  IdleData *data = user_data;

  data->cancelled = TRUE;
  idle_send_done (data);
  return G_SOURCE_REMOVE;
}

static void
idle_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  IdleData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);

  idle_clear_timer (data);
  data->over = ok == NULL || data->cancelled || data->changed || data->timed_out;
  if (ok == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (data->cancelled)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  else if (data->changed || data->timed_out)
    g_task_return_boolean (task, TRUE);
  else
    idle_start (data);
}

static void
idle_start (IdleData *data)
{
  MailsyncImapRequest *request = mailsync_imap_request_new_simple ("IDLE", NULL);
  guint seconds = reidle_seconds ();

  data->idling = FALSE;
  data->done_sent = FALSE;
  if (data->deadline != 0)
    {
      gint64 left = (data->deadline - g_get_monotonic_time () + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
      seconds = (guint) CLAMP (left, 0, (gint64) seconds);
    }
  data->timer = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (data->timer, idle_timer_fired, data, NULL);
  g_source_attach (data->timer, g_main_context_get_thread_default ());
  mailsync_imap_request_set_untagged_handler (request, idle_untagged, data);
  mailsync_imap_request_set_continuation_handler (request, idle_plus, data);
  mailsync_imap_request_set_no_timeout (request, TRUE);
  mailsync_imap_connection_send_async (_mailsync_imap_folder_connection_of (data->self), request, NULL, idle_done,
                                       g_object_ref (data->task));
}

/* The IDLE holds the connection (no command may go out during it), so
 * the job holds the worker until the IDLE is over: later jobs of the
 * repository wait behind it, as the documentation of
 * mailsync_folder_wait_for_changes_async() says. */
static void
wait_for_changes_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  MailsyncFolder *folder = source;
  guint timeout_seconds = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mailsync-idle-timeout"));
  g_autoptr(GError) error = NULL;
  IdleData *data;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  if (!mailsync_imap_connection_has_capability (_mailsync_imap_folder_connection_of (self), "IDLE"))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                               "The server of %s does not support IDLE", mailsync_folder_get_name (folder));
      return;
    }
  data = g_new0 (IdleData, 1);
  data->self = g_object_ref (self);
  data->task = task;
  g_task_set_task_data (task, data, (GDestroyNotify) idle_data_free);
  if (self->stale)
    {
      self->stale = FALSE;
      data->changed = TRUE;
      data->over = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!_mailsync_imap_folder_select_any_validity (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data->deadline = timeout_seconds ? g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC : 0;
  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (idle_cancelled), data, NULL);
      g_source_attach (data->cancel_source, g_main_context_get_thread_default ());
    }
  idle_start (data);
  while (!data->over)
    _mailsync_await_iteration ();
}

static void
folder_wait_for_changes_async (MailsyncFolder *folder, guint timeout_seconds, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);

  g_object_set_data (G_OBJECT (task), "mailsync-idle-timeout", GUINT_TO_POINTER (timeout_seconds));
  _mailsync_imap_folder_queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_wait_for_changes_async,
                                   wait_for_changes_job);
}

static gboolean
folder_wait_for_changes_finish (MailsyncFolder *folder, GAsyncResult *result, gboolean *changed, GError **error)
{
  IdleData *data;

  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  data = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (changed != NULL)
    *changed = data->changed;
  return TRUE;
}

void
_mailsync_imap_folder_idle_class_init (MailsyncFolderClass *folder_class)
{
  folder_class->wait_for_changes_async = folder_wait_for_changes_async;
  folder_class->wait_for_changes_finish = folder_wait_for_changes_finish;
}
