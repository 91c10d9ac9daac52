/* Watching a MailsyncFolder: mailsync_folder_watch_async() and the chain
 * of listings behind it. Moved from mailsync-folder.c (issue 14 item 1). */
#include "config.h"

#include "mailsync-folder.h"
#include "mailsync-folder-private.h"
#include "mailsync-worker.h"
#include "mailsync-repository.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

/* ---- watching ------------------------------------------------------------- */

#define DEFAULT_POLL_SECONDS 60

/* A watch is a chain on the caller's context: list, then wait for the
 * store to say something changed (IDLE) or for the poll interval, list
 * again, and report the difference of the two listings. It uses only the
 * backend contract, so every folder can be watched; the store's push
 * (wait_for_changes) only saves the polls. */
typedef struct
{
  GHashTable *known;        /* message key -> MailsyncMessageInfo */
  guint poll_seconds;
  gboolean push;            /* wait_for_changes works here */
  GSource *timer;
  GSource *cancel_source;
  GMainContext *context;
} WatchData;

static void
watch_data_free (WatchData *data)
{
  if (data->timer != NULL)
    {
      g_source_destroy (data->timer);
      g_source_unref (data->timer);
    }
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_source_unref (data->cancel_source);
    }
  g_clear_pointer (&data->known, g_hash_table_unref);
  g_main_context_unref (data->context);
  g_free (data);
}

/* Messages are told apart by UID, or by key where there is none yet
 * (new local mail in a Maildir). */
static char *
message_key (MailsyncMessageInfo *info)
{
  guint32 uid = mailsync_message_info_get_uid (info);

  if (uid != 0)
    return g_strdup_printf ("u%u", uid);
  return g_strconcat ("k", mailsync_message_info_get_key (info), NULL);
}

static gboolean
same_flags (MailsyncMessageInfo *a, MailsyncMessageInfo *b)
{
  const char * const *ka = mailsync_message_info_get_keywords (a);
  const char * const *kb = mailsync_message_info_get_keywords (b);
  static const char * const none[] = { NULL };

  return mailsync_message_info_get_flags (a) == mailsync_message_info_get_flags (b) &&
         g_strv_equal ((const char * const *) (ka ? ka : none), (const char * const *) (kb ? kb : none));
}

static void watch_wait (GTask *task);

static void
watch_end (GTask *task, GError *error)
{
  MailsyncFolder *self = g_task_get_source_object (task);
  MailsyncFolderPrivate *priv = _mailsync_folder_get_private (self);
  WatchData *data = g_task_get_task_data (task);

  if (data->timer != NULL)
    {
      g_source_destroy (data->timer);
      g_clear_pointer (&data->timer, g_source_unref);
    }
  priv->watch_running = FALSE;
  if (priv->watching)
    {
      priv->watching = FALSE;
      _mailsync_folder_notify_watching (self);
    }
  g_task_return_error (task, error);
  g_object_unref (task);
}

static gboolean
watch_check_cancelled (GTask *task)
{
  GError *error = NULL;

  if (!g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    return FALSE;
  watch_end (task, error);
  return TRUE;
}

static void
watch_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncFolder *self = g_task_get_source_object (task);
  MailsyncFolderPrivate *priv = _mailsync_folder_get_private (self);
  WatchData *data = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GPtrArray) listing = mailsync_folder_list_messages_finish (self, result, &error);
  g_autoptr(GHashTable) now = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GPtrArray) changed = NULL;
  g_autoptr(GPtrArray) removed = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (listing == NULL)
    {
      watch_end (task, error);
      return;
    }
  if (watch_check_cancelled (task))
    return;
  now = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  for (guint i = 0; i < listing->len; i++)
    g_hash_table_replace (now, message_key (listing->pdata[i]), g_object_ref (listing->pdata[i]));
  if (data->known != NULL)
    {
      added = g_ptr_array_new_with_free_func (g_object_unref);
      changed = g_ptr_array_new_with_free_func (g_object_unref);
      removed = g_ptr_array_new_with_free_func (g_object_unref);
      /* In listing order, so a client sees new mail in the store's order. */
      for (guint i = 0; i < listing->len; i++)
        {
          MailsyncMessageInfo *info = listing->pdata[i];
          g_autofree char *k = message_key (info);
          MailsyncMessageInfo *before = g_hash_table_lookup (data->known, k);

          if (before == NULL)
            g_ptr_array_add (added, g_object_ref (info));
          else if (!same_flags (before, info))
            g_ptr_array_add (changed, g_object_ref (info));
        }
      g_hash_table_iter_init (&iter, data->known);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (!g_hash_table_contains (now, key))
          g_ptr_array_add (removed, g_object_ref (value));
    }
  g_clear_pointer (&data->known, g_hash_table_unref);
  data->known = g_steal_pointer (&now);
  if (!priv->watching)
    {
      priv->watching = TRUE;
      _mailsync_folder_notify_watching (self);
    }
  else if (added != NULL && (added->len > 0 || changed->len > 0 || removed->len > 0))
    {
      g_autoptr(MailsyncFolderChanges) changes =
        _mailsync_folder_changes_new (g_steal_pointer (&added), g_steal_pointer (&changed),
                                      g_steal_pointer (&removed));

      _mailsync_folder_emit_folder_changed (self, changes);
    }
  /* A handler may have cancelled the watch. */
  if (watch_check_cancelled (task))
    return;
  watch_wait (task);
}

static void
watch_list (GTask *task)
{
  mailsync_folder_list_messages_async (g_task_get_source_object (task), g_task_get_cancellable (task),
                                       watch_listed, task);
}

static gboolean
watch_tick (gpointer user_data)
{
  GTask *task = user_data;
  WatchData *data = g_task_get_task_data (task);

  g_clear_pointer (&data->timer, g_source_unref);
  watch_list (task);
  return G_SOURCE_REMOVE;
}

static gboolean
watch_cancelled (GCancellable *cancellable, gpointer user_data)
{
  GTask *task = user_data;
  WatchData *data = g_task_get_task_data (task);

  /* Only a poll's timer ends here: a listing or a push wait in flight
   * ends by itself with the cancellable, and its callback ends the watch. */
  if (data->timer != NULL)
    watch_check_cancelled (task);
  return G_SOURCE_REMOVE;
}

static void
watch_waited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncFolder *self = g_task_get_source_object (task);
  WatchData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean changed = FALSE;

  if (!mailsync_folder_wait_for_changes_finish (self, result, &changed, &error))
    {
      if (!g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED))
        {
          watch_end (task, error);
          return;
        }
      /* No push from this store (no IDLE, a Maildir): poll. */
      g_debug ("Folder %s: %s; polling every %u s", mailsync_folder_get_name (self), error->message,
               data->poll_seconds);
      g_error_free (error);
      data->push = FALSE;
      watch_wait (task);
      return;
    }
  if (watch_check_cancelled (task))
    return;
  if (changed)
    watch_list (task);
  else
    watch_wait (task);
}

static void
watch_wait (GTask *task)
{
  WatchData *data = g_task_get_task_data (task);

  if (data->push)
    {
      mailsync_folder_wait_for_changes_async (g_task_get_source_object (task), 0, g_task_get_cancellable (task),
                                              watch_waited, task);
      return;
    }
  data->timer = g_timeout_source_new_seconds (data->poll_seconds);
  g_source_set_callback (data->timer, watch_tick, task, NULL);
  g_source_attach (data->timer, data->context);
}

/**
 * mailsync_folder_watch_async:
 * @self: a folder
 * @poll_seconds: how often to look when the store cannot say when the
 *   folder changes; 0 for the default (60 s)
 * @cancellable: (nullable): a #GCancellable; cancel it to end the watch
 *   (without one, the watch ends only when it fails)
 * @callback: (scope async): called when the watch ends
 * @user_data: closure data
 *
 * Watches the folder and reports each change with
 * #MailsyncFolder::folder-changed on the thread-default context this
 * was called from, until @cancellable is cancelled or the watch fails.
 *
 * The watch lists the folder, then waits: with IMAP IDLE where the
 * server has it (mailsync_folder_wait_for_changes_async()), else for
 * @poll_seconds; then it lists again and reports the difference (new
 * messages, flag and keyword changes, messages gone). Once the first
 * listing is in, #MailsyncFolder:watching turns %TRUE: changes from
 * then on are reported.
 *
 * A waiting IMAP folder holds its repository's connection (as
 * mailsync_folder_wait_for_changes_async() does), so a client watches
 * through a repository of its own. A second watch of the same folder
 * fails with %G_IO_ERROR_PENDING.
 *
 * Since: 0.1
 */
void
mailsync_folder_watch_async (MailsyncFolder      *self,
                             guint                poll_seconds,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  MailsyncFolderPrivate *priv;
  GTask *task;
  WatchData *data;

  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  priv = _mailsync_folder_get_private (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mailsync_folder_watch_async);
  if (priv->watch_running)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "Folder %s is already watched",
                               mailsync_folder_get_name (self));
      g_object_unref (task);
      return;
    }
  priv->watch_running = TRUE;
  data = g_new0 (WatchData, 1);
  data->poll_seconds = poll_seconds ? poll_seconds : DEFAULT_POLL_SECONDS;
  data->push = TRUE;
  data->context = g_main_context_ref_thread_default ();
  g_task_set_task_data (task, data, (GDestroyNotify) watch_data_free);
  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (watch_cancelled), task, NULL);
      g_source_attach (data->cancel_source, data->context);
    }
  watch_list (task);
}

/**
 * mailsync_folder_watch_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_watch_async(). A watch only ends by its
 * cancellable (%G_IO_ERROR_CANCELLED) or a failure (a lost connection,
 * say), so this always returns %FALSE and sets @error.
 *
 * Returns: %FALSE, with @error set to why the watch ended
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_watch_finish (MailsyncFolder  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mailsync_folder_watch_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mailsync_folder_is_watching:
 * @self: a folder
 *
 * Gets the value of the #MailsyncFolder:watching property.
 *
 * Returns: whether a watch reports changes of the folder
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_is_watching (MailsyncFolder *self)
{
  MailsyncFolderPrivate *priv;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  priv = _mailsync_folder_get_private (self);
  return priv->watching;
}
