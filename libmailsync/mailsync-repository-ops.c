/* MailsyncRepository's operations: the public wrappers around the
 * backend's open, list, create, delete and close vfuncs, and the folder
 * info listing. Moved from mailsync-repository.c (issue 14 item 1); the
 * class, its properties, name policy and the engine's hooks stay there. */
#include "config.h"

#include "mailsync-repository.h"
#include "mailsync-repository-private.h"
#include "mailsync-private.h"
#include "mailsync-interaction-private.h"
#include "mailsync-error.h"
#include "mailsync-worker.h"

#define PRIV(self) (_mailsync_repository_get_private (MAILSYNC_REPOSITORY (self)))

/* The public calls wrap the backend's: the wrapper's GTask carries the
 * source tag, counts opens, and is what _finish checks. */
#define DISPATCH_ASYNC(tag, vfunc, done, ...) \
  G_STMT_START { \
    GTask *task_; \
    g_return_if_fail (MAILSYNC_IS_REPOSITORY (self)); \
    task_ = g_task_new (self, cancellable, callback, user_data); \
    g_task_set_source_tag (task_, tag); \
    MAILSYNC_REPOSITORY_GET_CLASS (self)->vfunc (self, __VA_ARGS__, cancellable, done, task_); \
  } G_STMT_END

static void
return_bool_or_error (GTask *task, gboolean ok, GError *error)
{
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/* "opened" handed to the context of the account's sync (an idle source
 * there), while the open waits: the first of the idle, the open's
 * cancellable and the end of that context takes the task. The open's
 * caller waits on its own context; a cancel wakes it at once, also when
 * the client has stopped iterating its context. */
typedef struct
{
  gint refs;
  GMutex lock;
  gboolean done;              /* under lock: the task was taken */
  GTask *task;                /* until done */
  GSource *idle;              /* under lock: attached, or NULL */
  GCancellable *cancellable;
  gulong handler;
} HandOff;

static HandOff *
hand_off_ref (HandOff *h)
{
  g_atomic_int_inc (&h->refs);
  return h;
}

static void
hand_off_unref (gpointer data)
{
  HandOff *h = data;

  if (!g_atomic_int_dec_and_test (&h->refs))
    return;
  g_clear_object (&h->task);
  g_clear_pointer (&h->idle, g_source_unref);
  g_clear_object (&h->cancellable);
  g_mutex_clear (&h->lock);
  g_free (h);
}

/* The task, if nobody took it yet; with @destroy_idle the idle source,
 * if attached, goes too (outside the lock: its destroy notify locks). */
static GTask *
hand_off_take (HandOff *h, gboolean destroy_idle)
{
  g_autoptr(GSource) idle = NULL;
  GTask *task = NULL;

  g_mutex_lock (&h->lock);
  if (!h->done)
    {
      h->done = TRUE;
      task = g_steal_pointer (&h->task);
      if (destroy_idle && h->idle != NULL)
        idle = g_source_ref (h->idle);
    }
  g_mutex_unlock (&h->lock);
  if (idle != NULL)
    g_source_destroy (idle);
  return task;
}

/* On the context an account's sync set: "opened", then the open's end. */
static gboolean
emit_opened_there (gpointer user_data)
{
  HandOff *h = user_data;
  g_autoptr(GTask) task = hand_off_take (h, FALSE);
  MailsyncRepository *self;

  if (task == NULL)
    return G_SOURCE_REMOVE;
  self = g_task_get_source_object (task);
  /* set before the idle was attached; its handler, if it runs now on
   * another thread, finds the task taken */
  if (h->handler != 0)
    g_cancellable_disconnect (h->cancellable, h->handler);
  _mailsync_repository_emit_opened (self);
  if (g_task_get_source_tag (task) == mailsync_repository_open_async)
    g_atomic_int_inc (&PRIV (self)->open_count);
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

/* Any thread: the open's caller stops waiting; no "opened", no open
 * counted. */
static void
hand_off_cancelled (GCancellable *cancellable, gpointer user_data)
{
  g_autoptr(GTask) task = hand_off_take (user_data, TRUE);

  if (task != NULL)
    g_task_return_error_if_cancelled (task);
}

/* The idle source goes: run, destroyed by the cancel, or its context was
 * freed before it ran (then the open fails). */
static void
hand_off_gone (gpointer user_data)
{
  HandOff *h = user_data;
  g_autoptr(GTask) task = hand_off_take (h, FALSE);

  if (task != NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                             "Repository %s: the client's main context went away before it heard of the open",
                             mailsync_repository_get_name (g_task_get_source_object (task)));
  hand_off_unref (h);
}

/* Takes @task. */
static void
hand_off (GTask *task, GMainContext *there)
{
  HandOff *h = g_new0 (HandOff, 1);
  GCancellable *cancellable = g_task_get_cancellable (task);

  h->refs = 1;
  g_mutex_init (&h->lock);
  h->task = task;
  if (cancellable != NULL)
    {
      h->cancellable = g_object_ref (cancellable);
      /* already cancelled: the handler runs right here and takes the task */
      h->handler = g_cancellable_connect (cancellable, G_CALLBACK (hand_off_cancelled), hand_off_ref (h),
                                          hand_off_unref);
    }
  g_mutex_lock (&h->lock);
  if (!h->done)
    {
      /* an idle source, not g_main_context_invoke(): that would emit
       * right here whenever the other context happens to be free */
      h->idle = g_idle_source_new ();
      g_source_set_callback (h->idle, emit_opened_there, hand_off_ref (h), hand_off_gone);
      g_source_set_static_name (h->idle, "[mailsync] repository opened");
      g_source_attach (h->idle, there);
    }
  g_mutex_unlock (&h->lock);
  hand_off_unref (h);
}

/* The callbacks take the repository from their task, not from @source: a
 * backend may hand the call on to another repository (the mapped one
 * does), whose result then comes back here.
 *
 * During an account's sync "opened" is emitted on the context the client
 * expects (mailsync-account.c), whichever thread opened: with
 * maxconnections a folder sync's own thread reopens the repository's
 * connection when it was lost. The open ends only after the signal, as
 * when it is emitted here, so that a handler (--update-keyring's store)
 * has run before the sync goes on; or when the open is cancelled while
 * it waits (an open not counted, no signal). */
static void
opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncRepository *self = g_task_get_source_object (task);
  GError *error = NULL;
  gboolean ok = MAILSYNC_REPOSITORY_GET_CLASS (self)->open_finish (self, result, &error);

  if (ok)
    {
      g_autoptr(GMainContext) there = _mailsync_repository_dup_opened_context (self);

      if (there != NULL)
        {
          hand_off (task, there);
          return;
        }
      if (g_task_get_source_tag (task) == mailsync_repository_open_async)
        g_atomic_int_inc (&PRIV (self)->open_count);
      _mailsync_repository_emit_opened (self);
    }
  return_bool_or_error (task, ok, error);
}

/**
 * mailsync_repository_open_async:
 * @self: a repository
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Connects to the store (an IMAP login, a Maildir root check) and checks
 * that it is usable. Opening an open repository checks its connection
 * and reconnects when it was lost.
 *
 * A repository may be shared: by a client and one or more
 * #MailsyncAccount objects, say. Each successful open must be matched by
 * one close; the connection is released by the last close
 * (mailsync_repository_close_async() of a repository opened several
 * times only counts down). Calls that need a connection
 * (mailsync_repository_list_folders_async() and the folder operations)
 * open the repository themselves when nobody did, without counting.
 *
 * Since: 0.1
 */
void
mailsync_repository_open_async (MailsyncRepository  *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mailsync_repository_open_async);
  MAILSYNC_REPOSITORY_GET_CLASS (self)->open_async (self, cancellable, opened, task);
}

/**
 * mailsync_repository_open_finish:
 * @self: a repository
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_repository_open_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_open_finish (MailsyncRepository  *self,
                                 GAsyncResult        *result,
                                 GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mailsync_repository_open_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mailsync_repository_open:
 * @self: a repository
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_repository_open_async(). Blocks the
 * calling thread, which need not run a main loop.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_open (MailsyncRepository  *self,
                          GCancellable        *cancellable,
                          GError             **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), FALSE);
  _mailsync_sync_call_begin (&call);
  mailsync_repository_open_async (self, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_repository_open_finish (self, _mailsync_sync_call_wait (&call), error);
}

/* The engine's reconnect after a dropped connection: an open that is
 * not counted (the account's own open still stands). */
void
_mailsync_repository_reopen_async (MailsyncRepository  *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _mailsync_repository_reopen_async);
  MAILSYNC_REPOSITORY_GET_CLASS (self)->open_async (self, cancellable, opened, task);
}

gboolean
_mailsync_repository_reopen_finish (MailsyncRepository  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
_mailsync_repository_reopen (MailsyncRepository  *self,
                             GCancellable        *cancellable,
                             GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _mailsync_repository_reopen_async (self, cancellable, _mailsync_store_result, &result);
  return _mailsync_repository_reopen_finish (self, _mailsync_await (&result), error);
}

static void
listed_folders (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncRepository *self = g_task_get_source_object (task);
  GError *error = NULL;
  GPtrArray *folders = MAILSYNC_REPOSITORY_GET_CLASS (self)->list_folders_finish (self, result, &error);

  /* The vfunc gives a reference to each folder (transfer full); a
   * binding's array has no free function to drop them: it gets ours (see
   * mailsync_folder_list_messages_finish()). */
  if (folders != NULL)
    {
      g_ptr_array_set_free_func (folders, g_object_unref);
      g_task_return_pointer (task, folders, (GDestroyNotify) g_ptr_array_unref);
    }
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/**
 * mailsync_repository_list_folders_async:
 * @self: a repository
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Lists the folders. A repository that is not open is opened first.
 *
 * Since: 0.1
 */
void
mailsync_repository_list_folders_async (MailsyncRepository  *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mailsync_repository_list_folders_async);
  MAILSYNC_REPOSITORY_GET_CLASS (self)->list_folders_async (self, cancellable, listed_folders, task);
}

/**
 * mailsync_repository_list_folders_finish:
 * @self: a repository
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_repository_list_folders_async().
 *
 * Returns: (transfer container) (element-type MailsyncFolder): the
 *   folders; the array holds a reference to each and drops it when it
 *   is freed.
 *
 * Since: 0.1
 */
GPtrArray *
mailsync_repository_list_folders_finish (MailsyncRepository  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mailsync_repository_list_folders_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mailsync_repository_list_folders:
 * @self: a repository
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_repository_list_folders_async().
 *
 * Returns: (transfer container) (element-type MailsyncFolder): the folders
 *
 * Since: 0.1
 */
GPtrArray *
mailsync_repository_list_folders (MailsyncRepository  *self,
                                  GCancellable        *cancellable,
                                  GError             **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  _mailsync_sync_call_begin (&call);
  mailsync_repository_list_folders_async (self, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_repository_list_folders_finish (self, _mailsync_sync_call_wait (&call), error);
}

static void
created_folder (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncRepository *self = g_task_get_source_object (task);
  GError *error = NULL;
  MailsyncFolder *folder = MAILSYNC_REPOSITORY_GET_CLASS (self)->create_folder_finish (self, result, &error);

  if (folder != NULL)
    g_task_return_pointer (task, folder, g_object_unref);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/**
 * mailsync_repository_create_folder_async:
 * @self: a repository
 * @name: native name of the folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Creates a folder (and the folders above it where the store needs them).
 *
 * Since: 0.1
 */
void
mailsync_repository_create_folder_async (MailsyncRepository  *self,
                                         const char          *name,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (name != NULL);
  DISPATCH_ASYNC (mailsync_repository_create_folder_async, create_folder_async, created_folder, name);
}

/**
 * mailsync_repository_create_folder_finish:
 * @self: a repository
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_repository_create_folder_async().
 *
 * Returns: (transfer full): the new folder
 *
 * Since: 0.1
 */
MailsyncFolder *
mailsync_repository_create_folder_finish (MailsyncRepository  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mailsync_repository_create_folder_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mailsync_repository_create_folder:
 * @self: a repository
 * @name: native name of the folder
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_repository_create_folder_async().
 *
 * Returns: (transfer full): the new folder, or %NULL on error
 *
 * Since: 0.1
 */
MailsyncFolder *
mailsync_repository_create_folder (MailsyncRepository  *self,
                                   const char          *name,
                                   GCancellable        *cancellable,
                                   GError             **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  _mailsync_sync_call_begin (&call);
  mailsync_repository_create_folder_async (self, name, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_repository_create_folder_finish (self, _mailsync_sync_call_wait (&call), error);
}

static void
deleted_folder (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MailsyncRepository *self = g_task_get_source_object (user_data);
  GError *error = NULL;
  gboolean ok = MAILSYNC_REPOSITORY_GET_CLASS (self)->delete_folder_finish (self, result, &error);

  return_bool_or_error (user_data, ok, error);
}

/**
 * mailsync_repository_delete_folder_async:
 * @self: a repository
 * @name: native name of the folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Deletes a folder.
 *
 * Since: 0.1
 */
void
mailsync_repository_delete_folder_async (MailsyncRepository  *self,
                                         const char          *name,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (name != NULL);
  DISPATCH_ASYNC (mailsync_repository_delete_folder_async, delete_folder_async, deleted_folder, name);
}

/**
 * mailsync_repository_delete_folder_finish:
 * @self: a repository
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_repository_delete_folder_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_delete_folder_finish (MailsyncRepository  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mailsync_repository_delete_folder_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mailsync_repository_delete_folder:
 * @self: a repository
 * @name: native name of the folder
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_repository_delete_folder_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_delete_folder (MailsyncRepository  *self,
                                   const char          *name,
                                   GCancellable        *cancellable,
                                   GError             **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), FALSE);
  _mailsync_sync_call_begin (&call);
  mailsync_repository_delete_folder_async (self, name, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_repository_delete_folder_finish (self, _mailsync_sync_call_wait (&call), error);
}

static void
closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MailsyncRepository *self = g_task_get_source_object (user_data);
  GError *error = NULL;
  gboolean ok = MAILSYNC_REPOSITORY_GET_CLASS (self)->close_finish (self, result, &error);

  return_bool_or_error (user_data, ok, error);
}

/**
 * mailsync_repository_close_async:
 * @self: a repository
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Releases one open (see mailsync_repository_open_async()): the last one
 * logs out and releases connections and other resources; an earlier one
 * only counts down and completes at once. Closing a repository nobody
 * opened releases whatever a call opened on its own.
 *
 * Since: 0.1
 */
void
mailsync_repository_close_async (MailsyncRepository  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  MailsyncRepositoryPrivate *priv;
  GTask *task;
  gint count;

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  priv = PRIV (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mailsync_repository_close_async);
  do
    count = g_atomic_int_get (&priv->open_count);
  while (count > 0 && !g_atomic_int_compare_and_exchange (&priv->open_count, count, count - 1));
  if (count > 1)
    {
      /* someone else still uses it */
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  MAILSYNC_REPOSITORY_GET_CLASS (self)->close_async (self, cancellable, closed, task);
}

/**
 * mailsync_repository_close_finish:
 * @self: a repository
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_repository_close_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_close_finish (MailsyncRepository  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mailsync_repository_close_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mailsync_repository_close:
 * @self: a repository
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_repository_close_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_close (MailsyncRepository  *self,
                           GCancellable        *cancellable,
                           GError             **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), FALSE);
  _mailsync_sync_call_begin (&call);
  mailsync_repository_close_async (self, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_repository_close_finish (self, _mailsync_sync_call_wait (&call), error);
}

/* ---- folder info ----------------------------------------------------------- */

static GQuark
folder_info_quark (void)
{
  return g_quark_from_static_string ("mailsync-folder-info-vtable");
}

void
_mailsync_repository_class_set_folder_info (gpointer klass, const _MailsyncFolderInfoVTable *vtable)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), folder_info_quark (), (gpointer) vtable);
}

static const _MailsyncFolderInfoVTable *
lookup_folder_info (MailsyncRepository *self)
{
  for (GType type = G_OBJECT_TYPE (self); type != MAILSYNC_TYPE_REPOSITORY; type = g_type_parent (type))
    {
      const _MailsyncFolderInfoVTable *vtable = g_type_get_qdata (type, folder_info_quark ());

      if (vtable != NULL)
        return vtable;
    }
  return NULL;
}

static void
listed_folder_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncRepository *self = g_task_get_source_object (task);
  GError *error = NULL;
  GPtrArray *infos = lookup_folder_info (self)->finish (self, result, &error);

  if (infos != NULL)
    g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/* A backend that knows nothing more than its folders: their names, roles
 * guessed from the names, counts unknown. */
static void
listed_folders_for_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncRepository *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(GPtrArray) folders = mailsync_repository_list_folders_finish (self, result, &error);
  GPtrArray *infos;
  char separator;

  if (folders == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  separator = mailsync_repository_get_separator (self);
  infos = g_ptr_array_new_full (folders->len, g_object_unref);
  for (guint i = 0; i < folders->len; i++)
    {
      const char *name = mailsync_folder_get_name (folders->pdata[i]);

      g_ptr_array_add (infos, g_object_new (MAILSYNC_TYPE_FOLDER_INFO, "name", name, "separator", separator,
                                            "role", _mailsync_folder_role_from_name (name, separator), NULL));
    }
  g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

/**
 * mailsync_repository_list_folder_info_async:
 * @self: a repository
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Lists the folders with what the store knows about each without a
 * sync: message counts, special use, subscription (see
 * #MailsyncFolderInfo). A repository that is not open is opened first,
 * as for mailsync_repository_list_folders_async().
 *
 * An IMAP server is asked once: `LIST ... RETURN (SUBSCRIBED CHILDREN
 * SPECIAL-USE STATUS (MESSAGES UNSEEN RECENT))` where it has LIST-STATUS,
 * else LIST (XLIST on servers that only have that), LSUB, and one
 * pipelined STATUS per folder. Every mailbox the server lists is
 * reported, subscribed or not (the repository's subscribed-only and
 * folder filter do not apply: a client shows them), hierarchy nodes
 * included as not selectable. A Maildir counts the files of each
 * folder's `cur/` and `new/` and takes roles from Maildir++ names.
 *
 * Since: 0.1
 */
void
mailsync_repository_list_folder_info_async (MailsyncRepository  *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  const _MailsyncFolderInfoVTable *vtable;
  GTask *task;

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mailsync_repository_list_folder_info_async);
  vtable = lookup_folder_info (self);
  if (vtable != NULL)
    vtable->async (self, cancellable, listed_folder_info, task);
  else
    mailsync_repository_list_folders_async (self, cancellable, listed_folders_for_info, task);
}

/**
 * mailsync_repository_list_folder_info_finish:
 * @self: a repository
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_repository_list_folder_info_async().
 *
 * Returns: (transfer container) (element-type MailsyncFolderInfo): the
 *   folders' info, in the store's order; the array holds a reference to
 *   each and drops it when it is freed.
 *
 * Since: 0.1
 */
GPtrArray *
mailsync_repository_list_folder_info_finish (MailsyncRepository  *self,
                                             GAsyncResult        *result,
                                             GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mailsync_repository_list_folder_info_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mailsync_repository_list_folder_info:
 * @self: a repository
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_repository_list_folder_info_async().
 *
 * Returns: (transfer container) (element-type MailsyncFolderInfo): the
 *   folders' info
 *
 * Since: 0.1
 */
GPtrArray *
mailsync_repository_list_folder_info (MailsyncRepository  *self,
                                      GCancellable        *cancellable,
                                      GError             **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  _mailsync_sync_call_begin (&call);
  mailsync_repository_list_folder_info_async (self, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_repository_list_folder_info_finish (self, _mailsync_sync_call_wait (&call), error);
}
