/* MULTIAPPEND (RFC 3502): the engine's uploads go out several to a
 * command. Dovecot stores each APPEND as a transaction of its own (2-7 ms
 * each on a loaded machine); one MULTIAPPEND of 16-64 messages is one
 * transaction (issue 13 item 5, bench/append-probe).
 *
 * The engine holds the appends while the local reads of the uploads it
 * started are under way (hold_appends, mailsync-folder-engine-private.h):
 * they are kept here, not queued, and go out as one job when it lets go
 * or when MULTIAPPEND_MAX_MESSAGES are held. The job makes each message
 * ready and sends them in groups (at most MULTIAPPEND_MAX_MESSAGES and
 * MULTIAPPEND_MAX_BYTES each, a larger message alone), as single APPENDs
 * when the server does not offer MULTIAPPEND.
 *
 * The answer: OK with an APPENDUID names the new UIDs in the order of the
 * messages; without one each message is found by its X-OfflineIMAP
 * header or left to the engine's intents, as after a single APPEND. A
 * tagged NO stored none of them (RFC 3502 §3: all or none): each is sent again as
 * an APPEND of its own, so that the refused one is named by its own
 * answer ([TOOBIG]: skipped) and the others are stored. A BAD or a lost
 * connection fails every message of the command, as it fails a single
 * APPEND; the engine's intents, durable before the appends were asked,
 * find what the server stored on the next run. */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <string.h>

/* Messages and bytes of one MULTIAPPEND: half the engine's default window
 * (64), so that one command is on the wire while the next one's messages
 * are read; the byte cap keeps a command within what a server reads
 * before it answers (a literal at a time, but all in one transaction). */
#define MULTIAPPEND_MAX_MESSAGES 32
#define MULTIAPPEND_MAX_BYTES (8 * 1024 * 1024)

#define BURST_KEY "mailsync-imap-append-burst"

static void
send_again_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  _mailsync_imap_append_send (self, task, TRUE, cancellable);
}

static void
multiappend_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GPtrArray) tasks = user_data;
  MailsyncImapFolder *self = g_task_get_source_object (tasks->pdata[0]);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);
  g_autofree guint32 *uids = NULL;

  if (ok == NULL && g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO))
    {
      g_debug ("%s: MULTIAPPEND of %u messages refused (%s): each sent again alone",
               mailsync_folder_get_name (MAILSYNC_FOLDER (self)), tasks->len, error->message);
      for (guint i = 0; i < tasks->len; i++)
        _mailsync_worker_run (_mailsync_imap_folder_slot (self)->worker, tasks->pdata[i], send_again_job);
      return;
    }
  if (ok == NULL)
    {
      for (guint i = 0; i < tasks->len; i++)
        g_task_return_error (tasks->pdata[i], g_error_copy (error));
      return;
    }
  _mailsync_crash_point ("imap-multiappend-answered");
  uids = g_new0 (guint32, tasks->len);
  if (!_mailsync_imap_append_uids (self, ok, uids, tasks->len))
    memset (uids, 0, tasks->len * sizeof (guint32));
  for (guint i = 0; i < tasks->len; i++)
    _mailsync_imap_append_settle (tasks->pdata[i], uids[i]);
}

/* @group: prepared tasks, sent as one command. */
static void
send_group (MailsyncImapFolder *self, GPtrArray *group, gboolean multi)
{
  GCancellable *cancellable = g_task_get_cancellable (group->pdata[0]);
  g_autoptr(GError) error = NULL;
  MailsyncImapRequest *request;

  if (!multi || group->len == 1)
    {
      for (guint i = 0; i < group->len; i++)
        _mailsync_imap_append_send (self, group->pdata[i], FALSE, g_task_get_cancellable (group->pdata[i]));
      return;
    }
  request = _mailsync_imap_append_request (self, (GTask *const *) group->pdata, group->len, FALSE, &error);
  if (request == NULL)
    {
      for (guint i = 0; i < group->len; i++)
        g_task_return_error (group->pdata[i], g_error_copy (error));
      return;
    }
  mailsync_imap_connection_send_async (_mailsync_imap_folder_connection_of (self), request, cancellable,
                                       multiappend_done, g_ptr_array_ref (group));
}

/* MULTIAPPEND is on (session 15): a run killed while a MULTIAPPEND was
 * on the wire leaves the whole command in the kernel's buffers, and the
 * server may store its messages after the next run listed the folder;
 * that run keeps their intents for a grace period instead of uploading
 * them again (doc/design.md "A killed run's last APPENDs",
 * sync/mailsync-sync-pending.c). MAILSYNC_TEST_MULTIAPPEND=0 (a test
 * hook) sends one APPEND per message, as against a server without it. */
static gboolean
multiappend_enabled (void)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  if (g_strcmp0 (g_getenv ("MAILSYNC_TEST_MULTIAPPEND"), "0") == 0)
    return FALSE;
#endif
  return TRUE;
}

/* The engine asks once per upload pass, after the listing: the
 * connection is the one the listing used and its capabilities are not
 * being changed by the worker then (they change at a login). */
gboolean
_mailsync_imap_folder_appends_in_bursts (MailsyncFolder *folder)
{
  MailsyncImapConnection *connection = _mailsync_imap_folder_connection_of (MAILSYNC_IMAP_FOLDER (folder));

  return multiappend_enabled () && connection != NULL &&
         mailsync_imap_connection_has_capability (connection, "MULTIAPPEND");
}

/* The appends held together: @task, the first, carries the others. */
static void
append_burst_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  g_autoptr(GPtrArray) others = g_object_steal_data (G_OBJECT (task), BURST_KEY);
  g_autoptr(GPtrArray) group = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean multi = FALSE;
  guint64 bytes = 0;

  for (guint i = 0; i <= (others != NULL ? others->len : 0); i++)
    {
      GTask *t = i == 0 ? task : others->pdata[i - 1];
      guint64 size;

      if (!_mailsync_imap_folder_check_connected (self, t) ||
          !_mailsync_imap_append_prepare (self, t, g_task_get_cancellable (t)))
        continue;
      multi = multiappend_enabled () &&
              mailsync_imap_connection_has_capability (_mailsync_imap_folder_connection_of (self), "MULTIAPPEND");
      size = _mailsync_imap_append_size (t);
      if (group->len > 0 && (group->len >= MULTIAPPEND_MAX_MESSAGES || bytes + size > MULTIAPPEND_MAX_BYTES))
        {
          /* the command keeps its group: the next one is a new array */
          send_group (self, group, multi);
          g_ptr_array_unref (group);
          group = g_ptr_array_new_with_free_func (g_object_unref);
          bytes = 0;
        }
      g_ptr_array_add (group, g_object_ref (t));
      bytes += size;
    }
  if (group->len > 0)
    send_group (self, group, multi);
}

static void
queue_burst (MailsyncImapFolder *self, GPtrArray *tasks)
{
  GTask *first = g_ptr_array_steal_index (tasks, 0);

  if (tasks->len > 0)
    g_object_set_data_full (G_OBJECT (first), BURST_KEY, g_ptr_array_ref (tasks), (GDestroyNotify) g_ptr_array_unref);
  _mailsync_imap_folder_queue_job (self, first, g_task_get_source_tag (first), append_burst_job);
}

gboolean
_mailsync_imap_folder_held_append (MailsyncImapFolder *self, GTask *task)
{
  g_autoptr(GPtrArray) full = NULL;

  g_mutex_lock (&self->hold_lock);
  if (!self->holding_appends)
    {
      g_mutex_unlock (&self->hold_lock);
      return FALSE;
    }
  if (self->held_appends == NULL)
    self->held_appends = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->held_appends, task);
  if (self->held_appends->len >= MULTIAPPEND_MAX_MESSAGES)
    full = g_steal_pointer (&self->held_appends);
  g_mutex_unlock (&self->hold_lock);
  if (full != NULL)
    queue_burst (self, full);
  return TRUE;
}

void
_mailsync_imap_folder_hold_appends (MailsyncFolder *folder, gboolean hold)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (folder);
  g_autoptr(GPtrArray) held = NULL;

  g_mutex_lock (&self->hold_lock);
  self->holding_appends = hold;
  if (!hold)
    held = g_steal_pointer (&self->held_appends);
  g_mutex_unlock (&self->hold_lock);
  if (held != NULL && held->len > 0)
    queue_burst (self, held);
}
