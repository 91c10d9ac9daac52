#include "config.h"

#include "mailsync-folder.h"
#include "mailsync-worker.h"
#include "mailsync-repository.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

/**
 * MailsyncFolder:
 *
 * One mailbox of a #MailsyncRepository: the abstract base class a backend
 * derives to plug its storage into the sync engine.
 *
 * Since: 0.1
 */

typedef struct
{
  char *name;
  MailsyncRepository *repository;
  gboolean watching;        /* a watch has its first listing; on the watch's context */
  gboolean watch_running;   /* a watch was started and has not ended */
} MailsyncFolderPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (MailsyncFolder, mailsync_folder, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_REPOSITORY,
  PROP_WATCHING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_FOLDER_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mailsync_folder_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MailsyncFolderPrivate *priv = mailsync_folder_get_instance_private (MAILSYNC_FOLDER (object));

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_REPOSITORY:
      g_value_set_object (value, priv->repository);
      break;
    case PROP_WATCHING:
      g_value_set_boolean (value, priv->watching);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_folder_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MailsyncFolderPrivate *priv = mailsync_folder_get_instance_private (MAILSYNC_FOLDER (object));

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      if (priv->name == NULL)
        priv->name = g_strdup ("");
      break;
    case PROP_REPOSITORY:
      priv->repository = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_folder_dispose (GObject *object)
{
  MailsyncFolderPrivate *priv = mailsync_folder_get_instance_private (MAILSYNC_FOLDER (object));

  g_clear_object (&priv->repository);
  G_OBJECT_CLASS (mailsync_folder_parent_class)->dispose (object);
}

static void
mailsync_folder_finalize (GObject *object)
{
  MailsyncFolderPrivate *priv = mailsync_folder_get_instance_private (MAILSYNC_FOLDER (object));

  g_free (priv->name);
  G_OBJECT_CLASS (mailsync_folder_parent_class)->finalize (object);
}

static guint32
mailsync_folder_real_get_uidvalidity (MailsyncFolder *self)
{
  return 0;
}

static gboolean
mailsync_folder_real_is_read_only (MailsyncFolder *self)
{
  return FALSE;
}

static void
mailsync_folder_real_wait_for_changes_async (MailsyncFolder      *self,
                                             guint                timeout_seconds,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_folder_real_wait_for_changes_async);
  g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                           "Folder %s cannot report changes as they happen", mailsync_folder_get_name (self));
}

static gboolean
mailsync_folder_real_wait_for_changes_finish (MailsyncFolder  *self,
                                              GAsyncResult    *result,
                                              gboolean        *changed,
                                              GError         **error)
{
  gboolean ok;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  ok = g_task_propagate_boolean (G_TASK (result), error);
  if (changed != NULL)
    *changed = ok;
  return ok;
}

/**
 * MailsyncFolderClass::transfer_messages_async:
 * @self: a folder
 * @uids: (array length=n_uids): the messages to copy or move
 * @n_uids: how many
 * @destination: another folder of the same repository (not @self when
 *   @delete_originals is set)
 * @delete_originals: %TRUE to move (remove the messages from @self), %FALSE
 *   to copy
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * The backend's copy or move inside its store, which
 * mailsync_folder_copy_messages_async() and
 * mailsync_folder_move_messages_async() call once they have checked their
 * arguments: @n_uids is at least 1 and @destination belongs to the same
 * repository. The default fails with %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */

/**
 * MailsyncFolderClass::transfer_messages_finish:
 * @self: a folder
 * @result: the result
 * @new_uids: (out) (array length=n_new_uids) (transfer full): the new UID
 *   of each given UID in @destination, in the order given, 0 where the
 *   store does not tell
 * @n_new_uids: (out): how many (the number of UIDs given)
 * @error: return location for a #GError
 *
 * Finishes the transfer_messages_async virtual method. The new UIDs are
 * out parameters (a C array) rather than a #GArray so that a backend
 * written in Python or JavaScript can give a list;
 * mailsync_folder_copy_messages_finish() and
 * mailsync_folder_move_messages_finish() hand them on as a #GArray.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 0.1
 */

/* Backends that cannot copy, move or expunge (a read-only mapping, a test
 * backend) say so with G_IO_ERROR_NOT_SUPPORTED, which a client can test
 * for before falling back to fetch + append + delete itself. */
static void
mailsync_folder_real_transfer_messages_async (MailsyncFolder      *self,
                                              const guint32       *uids,
                                              guint                n_uids,
                                              MailsyncFolder      *destination,
                                              gboolean             delete_originals,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_folder_real_transfer_messages_async);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Folder %s cannot %s messages", mailsync_folder_get_name (self),
                           delete_originals ? "move" : "copy");
}

static gboolean
mailsync_folder_real_transfer_messages_finish (MailsyncFolder  *self,
                                               GAsyncResult    *result,
                                               guint32        **new_uids,
                                               guint           *n_new_uids,
                                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return _mailsync_folder_take_new_uids (g_task_propagate_pointer (G_TASK (result), error), new_uids, n_new_uids);
}

gboolean
_mailsync_folder_take_new_uids (GArray   *uids,
                                guint32 **new_uids,
                                guint    *n_new_uids)
{
  g_autoptr(GArray) array = uids;
  gsize len = 0;

  *new_uids = NULL;
  *n_new_uids = 0;
  if (array == NULL)
    return FALSE;
  *new_uids = g_array_steal (array, &len);
  *n_new_uids = len;
  return TRUE;
}

static void
mailsync_folder_real_expunge_async (MailsyncFolder      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_folder_real_expunge_async);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Folder %s cannot expunge", mailsync_folder_get_name (self));
}

static gboolean
mailsync_folder_real_expunge_finish (MailsyncFolder  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
mailsync_folder_class_init (MailsyncFolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = mailsync_folder_get_property;
  object_class->set_property = mailsync_folder_set_property;
  object_class->dispose = mailsync_folder_dispose;
  object_class->finalize = mailsync_folder_finalize;
  klass->get_uidvalidity = mailsync_folder_real_get_uidvalidity;
  klass->wait_for_changes_async = mailsync_folder_real_wait_for_changes_async;
  klass->wait_for_changes_finish = mailsync_folder_real_wait_for_changes_finish;
  klass->is_read_only = mailsync_folder_real_is_read_only;
  klass->transfer_messages_async = mailsync_folder_real_transfer_messages_async;
  klass->transfer_messages_finish = mailsync_folder_real_transfer_messages_finish;
  klass->expunge_async = mailsync_folder_real_expunge_async;
  klass->expunge_finish = mailsync_folder_real_expunge_finish;

  /**
   * MailsyncFolder:name: (attributes org.gtk.Property.get=mailsync_folder_get_name)
   *
   * The folder's native name in its repository ("" for a Maildir root).
   *
   * Since: 0.1
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncFolder:repository: (attributes org.gtk.Property.get=mailsync_folder_get_repository)
   *
   * The repository that holds the folder.
   *
   * Since: 0.1
   */
  properties[PROP_REPOSITORY] =
    g_param_spec_object ("repository", NULL, NULL, MAILSYNC_TYPE_REPOSITORY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncFolder:watching: (attributes org.gtk.Property.get=mailsync_folder_is_watching)
   *
   * Whether a watch (mailsync_folder_watch_async()) has taken its first
   * look at the folder: from then on every change is reported by
   * #MailsyncFolder::folder-changed. Notified on the watch's context.
   *
   * Since: 0.1
   */
  properties[PROP_WATCHING] =
    g_param_spec_boolean ("watching", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MailsyncFolder::folder-changed:
   * @self: the folder
   * @changes: what changed
   *
   * Emitted while the folder is watched (mailsync_folder_watch_async()),
   * on the thread-default context the watch was started from, each time
   * messages arrived, changed flags or went away. Never emitted with
   * nothing in @changes.
   *
   * Since: 0.1
   */
  signals[SIGNAL_FOLDER_CHANGED] =
    g_signal_new ("folder-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, MAILSYNC_TYPE_FOLDER_CHANGES);
}

static void
mailsync_folder_init (MailsyncFolder *self)
{
}

/**
 * mailsync_folder_get_name:
 * @self: a folder
 *
 * Gets the value of the #MailsyncFolder:name property.
 *
 * Returns: the native name
 *
 * Since: 0.1
 */
const char *
mailsync_folder_get_name (MailsyncFolder *self)
{
  MailsyncFolderPrivate *priv = mailsync_folder_get_instance_private (self);

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  return priv->name;
}

/**
 * mailsync_folder_get_repository:
 * @self: a folder
 *
 * Gets the value of the #MailsyncFolder:repository property.
 *
 * Returns: (transfer none): the repository
 *
 * Since: 0.1
 */
MailsyncRepository *
mailsync_folder_get_repository (MailsyncFolder *self)
{
  MailsyncFolderPrivate *priv = mailsync_folder_get_instance_private (self);

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  return priv->repository;
}

/**
 * mailsync_folder_get_visible_name:
 * @self: a folder
 *
 * The name after the repository's name translation (offlineimap's
 * `visiblename`).
 *
 * Returns: (transfer full): the visible name
 *
 * Since: 0.1
 */
char *
mailsync_folder_get_visible_name (MailsyncFolder *self)
{
  MailsyncFolderPrivate *priv = mailsync_folder_get_instance_private (self);

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  if (priv->repository == NULL)
    return g_strdup (priv->name);
  return mailsync_repository_translate_name (priv->repository, priv->name);
}

/**
 * mailsync_folder_get_uidvalidity:
 * @self: a folder
 *
 * Gets the UIDVALIDITY the folder's last listing saw; the status is only
 * valid for messages of that value.
 *
 * Returns: the UIDVALIDITY seen by the last listing (0 if unknown)
 *
 * Since: 0.1
 */
guint32
mailsync_folder_get_uidvalidity (MailsyncFolder *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), 0);
  return MAILSYNC_FOLDER_GET_CLASS (self)->get_uidvalidity (self);
}

/* The async entry points only dispatch: every backend implements them. */

/**
 * mailsync_folder_list_messages_async:
 * @self: a folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Lists every message of the folder.
 *
 * Since: 0.1
 */
void
mailsync_folder_list_messages_async (MailsyncFolder      *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  MAILSYNC_FOLDER_GET_CLASS (self)->list_messages_async (self, cancellable, callback, user_data);
}

/**
 * mailsync_folder_list_messages_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * The array holds a reference to each message and drops it when it is
 * freed (its free function is g_object_unref()): free the array, never
 * the messages. For bindings that is (transfer container); the
 * list_messages_finish virtual method is (transfer full) instead, see
 * #MailsyncFolderClass.
 *
 * Returns: (transfer container) (element-type MailsyncMessageInfo): the messages
 *
 * Since: 0.1
 */
GPtrArray *
mailsync_folder_list_messages_finish (MailsyncFolder  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  GPtrArray *messages;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  messages = MAILSYNC_FOLDER_GET_CLASS (self)->list_messages_finish (self, result, error);
  /* The vfunc gives us a reference to each element (transfer full); an
   * array built by a binding (a backend in Python) has no free function
   * to drop them, so it gets ours: callers always free the array only.
   * Why the vfunc and this invoker differ: bindings/gir-fixup.awk. */
  if (messages != NULL)
    g_ptr_array_set_free_func (messages, g_object_unref);
  return messages;
}

/**
 * mailsync_folder_list_messages:
 * @self: a folder
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_list_messages_async(). Like every
 * sync call of the library it blocks the calling thread, which may be any
 * thread, with or without a main loop running.
 *
 * Returns: (transfer container) (element-type MailsyncMessageInfo): the messages
 *
 * Since: 0.1
 */
GPtrArray *
mailsync_folder_list_messages (MailsyncFolder  *self,
                               GCancellable    *cancellable,
                               GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_list_messages_async (self, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_list_messages_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_fetch_message_async:
 * @self: a folder
 * @info: the message
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Opens a message's content for reading.
 *
 * Since: 0.1
 */
void
mailsync_folder_fetch_message_async (MailsyncFolder      *self,
                                     MailsyncMessageInfo *info,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  MAILSYNC_FOLDER_GET_CLASS (self)->fetch_message_async (self, info, cancellable, callback, user_data);
}

/**
 * mailsync_folder_fetch_message_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_fetch_message_async(); @result is the
 * #GAsyncResult its callback got. Call it on the thread-default main
 * context the operation was started from.
 *
 * Returns: (transfer full): the content stream
 *
 * Since: 0.1
 */
GInputStream *
mailsync_folder_fetch_message_finish (MailsyncFolder  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  return MAILSYNC_FOLDER_GET_CLASS (self)->fetch_message_finish (self, result, error);
}

/**
 * mailsync_folder_append_message_async:
 * @self: a folder
 * @info: uid (when the folder stores the other side's UIDs), flags and date
 * @content: the message
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Stores a new message.
 *
 * Since: 0.1
 */
void
mailsync_folder_append_message_async (MailsyncFolder      *self,
                                      MailsyncMessageInfo *info,
                                      GInputStream        *content,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  MAILSYNC_FOLDER_GET_CLASS (self)->append_message_async (self, info, content, cancellable, callback, user_data);
}

/**
 * mailsync_folder_append_message_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_append_message_async(); @result is the
 * #GAsyncResult its callback got. Call it on the thread-default main
 * context the operation was started from.
 *
 * Returns: (transfer full): the stored message (uid 0 if the backend cannot tell it)
 *
 * Since: 0.1
 */
MailsyncMessageInfo *
mailsync_folder_append_message_finish (MailsyncFolder  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  return MAILSYNC_FOLDER_GET_CLASS (self)->append_message_finish (self, result, error);
}

/**
 * mailsync_folder_set_flags_async:
 * @self: a folder
 * @uids: (array length=n_uids): the messages
 * @n_uids: how many
 * @add: flags to add
 * @remove: flags to remove
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Changes flags on a set of messages.
 *
 * Since: 0.1
 */
void
mailsync_folder_set_flags_async (MailsyncFolder      *self,
                                 const guint32       *uids,
                                 guint                n_uids,
                                 MailsyncFlags        add,
                                 MailsyncFlags        remove,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  MAILSYNC_FOLDER_GET_CLASS (self)->set_flags_async (self, uids, n_uids, add, remove, cancellable, callback, user_data);
}

/**
 * mailsync_folder_set_flags_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_set_flags_async(); @result is the #GAsyncResult
 * its callback got. Call it on the thread-default main context the
 * operation was started from.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_set_flags_finish (MailsyncFolder  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  return MAILSYNC_FOLDER_GET_CLASS (self)->set_flags_finish (self, result, error);
}

/**
 * mailsync_folder_delete_messages_async:
 * @self: a folder
 * @uids: (array length=n_uids): the messages
 * @n_uids: how many
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Deletes (and expunges) messages.
 *
 * Since: 0.1
 */
void
mailsync_folder_delete_messages_async (MailsyncFolder      *self,
                                       const guint32       *uids,
                                       guint                n_uids,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  MAILSYNC_FOLDER_GET_CLASS (self)->delete_messages_async (self, uids, n_uids, cancellable, callback, user_data);
}

/**
 * mailsync_folder_delete_messages_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_delete_messages_async(); @result is the
 * #GAsyncResult its callback got. Call it on the thread-default main
 * context the operation was started from.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_delete_messages_finish (MailsyncFolder  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  return MAILSYNC_FOLDER_GET_CLASS (self)->delete_messages_finish (self, result, error);
}

/**
 * mailsync_folder_set_message_uid_async:
 * @self: a folder
 * @info: a message listed with uid 0
 * @uid: its UID from now on
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Records the UID that the other side gave an uploaded message.
 *
 * Since: 0.1
 */
void
mailsync_folder_set_message_uid_async (MailsyncFolder      *self,
                                       MailsyncMessageInfo *info,
                                       guint32              uid,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  MAILSYNC_FOLDER_GET_CLASS (self)->set_message_uid_async (self, info, uid, cancellable, callback, user_data);
}

/**
 * mailsync_folder_set_message_uid_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_set_message_uid_async(); @result is the
 * #GAsyncResult its callback got. Call it on the thread-default main
 * context the operation was started from.
 *
 * Returns: (transfer full): the message under its new UID
 *
 * Since: 0.1
 */
MailsyncMessageInfo *
mailsync_folder_set_message_uid_finish (MailsyncFolder  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  return MAILSYNC_FOLDER_GET_CLASS (self)->set_message_uid_finish (self, result, error);
}

/**
 * mailsync_folder_flush_async:
 * @self: a folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Makes every change so far durable. The engine commits the status of a
 * batch only after this returns.
 *
 * Since: 0.1
 */
void
mailsync_folder_flush_async (MailsyncFolder      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  MAILSYNC_FOLDER_GET_CLASS (self)->flush_async (self, cancellable, callback, user_data);
}

/**
 * mailsync_folder_flush_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_flush_async(); @result is the #GAsyncResult its
 * callback got. Call it on the thread-default main context the operation
 * was started from.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_flush_finish (MailsyncFolder  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  return MAILSYNC_FOLDER_GET_CLASS (self)->flush_finish (self, result, error);
}

/**
 * mailsync_folder_wait_for_changes_async:
 * @self: a folder
 * @timeout_seconds: give up after this long, 0 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the store reported a change, or
 *   on timeout
 * @user_data: closure data
 *
 * Waits until the store says the folder changed (new, expunged or
 * re-flagged messages), as IMAP IDLE does; this is what offlineimap's
 * `idlefolders` uses between syncs. The wait holds the repository's
 * connection: start no other operation of the repository until it is
 * over (cancel it to end it early).
 *
 * Folders that cannot watch (the default, Maildir) fail with
 * %MAILSYNC_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */
void
mailsync_folder_wait_for_changes_async (MailsyncFolder      *self,
                                        guint                timeout_seconds,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  MAILSYNC_FOLDER_GET_CLASS (self)->wait_for_changes_async (self, timeout_seconds, cancellable, callback, user_data);
}

/**
 * mailsync_folder_wait_for_changes_finish:
 * @self: a folder
 * @result: the result
 * @changed: (out) (optional): %TRUE when the store reported a change,
 *   %FALSE when the timeout passed first
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_wait_for_changes_async(); @result is the
 * #GAsyncResult its callback got. Call it on the thread-default main
 * context the operation was started from.
 *
 * Returns: %TRUE when the wait ended normally (a change or the timeout)
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_wait_for_changes_finish (MailsyncFolder  *self,
                                         GAsyncResult    *result,
                                         gboolean        *changed,
                                         GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  if (changed != NULL)
    *changed = FALSE;
  return MAILSYNC_FOLDER_GET_CLASS (self)->wait_for_changes_finish (self, result, changed, error);
}

/**
 * mailsync_folder_fetch_message:
 * @self: a folder
 * @info: the message
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_fetch_message_async().
 *
 * Returns: (transfer full): the message's content, or %NULL on error
 *
 * Since: 0.1
 */
GInputStream *
mailsync_folder_fetch_message (MailsyncFolder       *self,
                               MailsyncMessageInfo  *info,
                               GCancellable         *cancellable,
                               GError              **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_fetch_message_async (self, info, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_fetch_message_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_append_message:
 * @self: a folder
 * @info: the message's flags and date
 * @content: the message
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_append_message_async().
 *
 * Returns: (transfer full): the stored message, or %NULL on error
 *
 * Since: 0.1
 */
MailsyncMessageInfo *
mailsync_folder_append_message (MailsyncFolder       *self,
                                MailsyncMessageInfo  *info,
                                GInputStream         *content,
                                GCancellable         *cancellable,
                                GError              **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_append_message_async (self, info, content, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_append_message_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_set_flags:
 * @self: a folder
 * @uids: (array length=n_uids): the messages
 * @n_uids: how many
 * @add: flags to set
 * @remove: flags to clear
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_set_flags_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_set_flags (MailsyncFolder  *self,
                           const guint32   *uids,
                           guint            n_uids,
                           MailsyncFlags    add,
                           MailsyncFlags    remove,
                           GCancellable    *cancellable,
                           GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_set_flags_async (self, uids, n_uids, add, remove, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_set_flags_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_delete_messages:
 * @self: a folder
 * @uids: (array length=n_uids): the messages
 * @n_uids: how many
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_delete_messages_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_delete_messages (MailsyncFolder  *self,
                                 const guint32   *uids,
                                 guint            n_uids,
                                 GCancellable    *cancellable,
                                 GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_delete_messages_async (self, uids, n_uids, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_delete_messages_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_set_message_uid:
 * @self: a folder
 * @info: the message
 * @uid: the UID to record
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_set_message_uid_async().
 *
 * Returns: (transfer full): the message with its new UID, or %NULL on error
 *
 * Since: 0.1
 */
MailsyncMessageInfo *
mailsync_folder_set_message_uid (MailsyncFolder       *self,
                                 MailsyncMessageInfo  *info,
                                 guint32               uid,
                                 GCancellable         *cancellable,
                                 GError              **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_set_message_uid_async (self, info, uid, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_set_message_uid_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_flush:
 * @self: a folder
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_flush_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_flush (MailsyncFolder  *self,
                       GCancellable    *cancellable,
                       GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_flush_async (self, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_flush_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_wait_for_changes:
 * @self: a folder
 * @timeout_seconds: give up after this long, 0 for no limit
 * @changed: (out) (optional): %TRUE when the store reported a change
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_wait_for_changes_async().
 *
 * Returns: %TRUE when the wait ended normally (a change or the timeout)
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_wait_for_changes (MailsyncFolder  *self,
                                  guint            timeout_seconds,
                                  gboolean        *changed,
                                  GCancellable    *cancellable,
                                  GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_wait_for_changes_async (self, timeout_seconds, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_wait_for_changes_finish (self, _mailsync_sync_call_wait (&call), changed, error);
}

/**
 * mailsync_folder_is_read_only:
 * @self: a folder
 *
 * Whether the store refuses changes to this folder, as seen by the last
 * listing (an IMAP mailbox without write rights SELECTs [READ-ONLY]). The
 * engine then writes nothing to it and warns about each change it skips,
 * as offlineimap does. Unrelated to #MailsyncRepository:readonly, which
 * is the user's choice.
 *
 * Returns: %TRUE if the folder is read-only
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_is_read_only (MailsyncFolder *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  return MAILSYNC_FOLDER_GET_CLASS (self)->is_read_only (self);
}

/* Spooled content a Maildir destination may adopt: see mailsync-private.h. */
static GQuark
spool_fd_quark (void)
{
  return g_quark_from_static_string ("mailsync-spool-fd");
}

void
_mailsync_spool_set_fd (GInputStream *stream, int fd)
{
  g_object_set_qdata (G_OBJECT (stream), spool_fd_quark (), GINT_TO_POINTER (fd + 1));
}

int
_mailsync_spool_get_fd (GInputStream *stream)
{
  if (stream == NULL)
    return -1;
  return GPOINTER_TO_INT (g_object_get_qdata (G_OBJECT (stream), spool_fd_quark ())) - 1;
}

/* Listing warnings: see mailsync-private.h. A listing runs in a worker
 * thread while the runner may take the previous set: one lock for all
 * folders is enough for something this rare. */
static GMutex listing_warnings_lock;

static GQuark
listing_warnings_quark (void)
{
  return g_quark_from_static_string ("mailsync-listing-warnings");
}

void
_mailsync_folder_set_listing_warnings (MailsyncFolder *self, GPtrArray *warnings)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  if (warnings != NULL && warnings->len == 0)
    g_clear_pointer (&warnings, g_ptr_array_unref);
  g_mutex_lock (&listing_warnings_lock);
  g_object_set_qdata_full (G_OBJECT (self), listing_warnings_quark (), warnings,
                           warnings ? (GDestroyNotify) g_ptr_array_unref : NULL);
  g_mutex_unlock (&listing_warnings_lock);
}

GPtrArray *
_mailsync_folder_take_listing_warnings (MailsyncFolder *self)
{
  GPtrArray *warnings;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  g_mutex_lock (&listing_warnings_lock);
  warnings = g_object_steal_qdata (G_OBJECT (self), listing_warnings_quark ());
  g_mutex_unlock (&listing_warnings_lock);
  return warnings;
}

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
  MailsyncFolderPrivate *priv = mailsync_folder_get_instance_private (self);
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
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WATCHING]);
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
  MailsyncFolderPrivate *priv = mailsync_folder_get_instance_private (self);
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
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WATCHING]);
    }
  else if (added != NULL && (added->len > 0 || changed->len > 0 || removed->len > 0))
    {
      g_autoptr(MailsyncFolderChanges) changes =
        _mailsync_folder_changes_new (g_steal_pointer (&added), g_steal_pointer (&changed),
                                      g_steal_pointer (&removed));

      g_signal_emit (self, signals[SIGNAL_FOLDER_CHANGED], 0, changes);
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
  priv = mailsync_folder_get_instance_private (self);
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
  priv = mailsync_folder_get_instance_private (self);
  return priv->watching;
}

/* ---- copy, move, expunge -------------------------------------------------- */

/* What the wrappers refuse before asking the backend: another repository's
 * folder (a transfer is one store's operation; across stores the caller
 * fetches and appends), a move onto itself, nothing to do. */
static gboolean
transfer_precheck (MailsyncFolder      *self,
                   guint                n_uids,
                   MailsyncFolder      *destination,
                   gboolean             delete_originals,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  if (n_uids > 0 && mailsync_folder_get_repository (self) == mailsync_folder_get_repository (destination) &&
      !(delete_originals && destination == self))
    return FALSE;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, transfer_precheck);
  if (n_uids == 0)
    g_task_return_pointer (task, g_array_new (FALSE, FALSE, sizeof (guint32)), (GDestroyNotify) g_array_unref);
  else if (destination == self)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                             "Cannot move messages of %s into itself", mailsync_folder_get_name (self));
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                             "Folder %s is not in the repository of %s", mailsync_folder_get_name (destination),
                             mailsync_folder_get_name (self));
  return TRUE;
}

/* The vfunc gives a C array (out parameters, which PyGObject and GJS fill
 * from a backend's list; a GArray returned by a Python vfunc crashed
 * PyGObject 3.42); the public functions keep giving a GArray. */
static GArray *
transfer_finish (MailsyncFolder  *self,
                 GAsyncResult    *result,
                 GError         **error)
{
  g_autofree guint32 *new_uids = NULL;
  guint n_new_uids = 0;
  GArray *out;

  if (g_async_result_is_tagged (result, transfer_precheck))
    {
      g_return_val_if_fail (g_task_is_valid (result, self), NULL);
      return g_task_propagate_pointer (G_TASK (result), error);
    }
  if (!MAILSYNC_FOLDER_GET_CLASS (self)->transfer_messages_finish (self, result, &new_uids, &n_new_uids, error))
    return NULL;
  out = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n_new_uids);
  if (n_new_uids > 0)
    g_array_append_vals (out, new_uids, n_new_uids);
  return out;
}

/**
 * mailsync_folder_copy_messages_async:
 * @self: a folder
 * @uids: (array length=n_uids): the messages to copy
 * @n_uids: how many
 * @destination: another folder of the same repository
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Copies messages into @destination inside the store, without fetching
 * them: UID COPY on IMAP, a new file in the destination's `cur/` on
 * Maildir. Flags and internal dates are kept. A backend that cannot fails
 * with %G_IO_ERROR_NOT_SUPPORTED; a folder of another repository is
 * %G_IO_ERROR_INVALID_ARGUMENT.
 *
 * Since: 0.1
 */
void
mailsync_folder_copy_messages_async (MailsyncFolder      *self,
                                     const guint32       *uids,
                                     guint                n_uids,
                                     MailsyncFolder      *destination,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  g_return_if_fail (MAILSYNC_IS_FOLDER (destination));
  g_return_if_fail (uids != NULL || n_uids == 0);
  if (transfer_precheck (self, n_uids, destination, FALSE, cancellable, callback, user_data))
    return;
  MAILSYNC_FOLDER_GET_CLASS (self)->transfer_messages_async (self, uids, n_uids, destination, FALSE,
                                                             cancellable, callback, user_data);
}

/**
 * mailsync_folder_copy_messages_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_copy_messages_async(). Call it on the
 * thread-default main context the operation was started from.
 *
 * Returns: (transfer full) (element-type guint32): the new UID of each
 *   copied message, in the order of the given UIDs; 0 where the store did
 *   not tell (an IMAP server without UIDPLUS, a Maildir destination, which
 *   gives UIDs only when the other side of a sync does). %NULL on error
 *
 * Since: 0.1
 */
GArray *
mailsync_folder_copy_messages_finish (MailsyncFolder  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  return transfer_finish (self, result, error);
}

/**
 * mailsync_folder_copy_messages:
 * @self: a folder
 * @uids: (array length=n_uids): the messages to copy
 * @n_uids: how many
 * @destination: another folder of the same repository
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_copy_messages_async().
 *
 * Returns: (transfer full) (element-type guint32): the new UIDs (0 where
 *   unknown), or %NULL on error
 *
 * Since: 0.1
 */
GArray *
mailsync_folder_copy_messages (MailsyncFolder  *self,
                               const guint32   *uids,
                               guint            n_uids,
                               MailsyncFolder  *destination,
                               GCancellable    *cancellable,
                               GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_copy_messages_async (self, uids, n_uids, destination, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_copy_messages_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_move_messages_async:
 * @self: a folder
 * @uids: (array length=n_uids): the messages to move
 * @n_uids: how many
 * @destination: another folder of the same repository
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Moves messages into @destination inside the store, without fetching
 * them. On IMAP: UID MOVE when the server has MOVE, else UID COPY, then
 * UID STORE +FLAGS.SILENT (\Deleted) and UID EXPUNGE of exactly those
 * UIDs (a server without UIDPLUS gets a plain EXPUNGE only when no other
 * message is marked \Deleted, else the originals stay marked). On
 * Maildir: rename(2) into the destination's `cur/` keeping the flags.
 * A backend that cannot fails with %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */
void
mailsync_folder_move_messages_async (MailsyncFolder      *self,
                                     const guint32       *uids,
                                     guint                n_uids,
                                     MailsyncFolder      *destination,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  g_return_if_fail (MAILSYNC_IS_FOLDER (destination));
  g_return_if_fail (uids != NULL || n_uids == 0);
  if (transfer_precheck (self, n_uids, destination, TRUE, cancellable, callback, user_data))
    return;
  MAILSYNC_FOLDER_GET_CLASS (self)->transfer_messages_async (self, uids, n_uids, destination, TRUE,
                                                             cancellable, callback, user_data);
}

/**
 * mailsync_folder_move_messages_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_move_messages_async(). Call it on the
 * thread-default main context the operation was started from.
 *
 * Returns: (transfer full) (element-type guint32): the new UID of each
 *   moved message in @destination, in the order of the given UIDs; 0 where
 *   the store did not tell. %NULL on error
 *
 * Since: 0.1
 */
GArray *
mailsync_folder_move_messages_finish (MailsyncFolder  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  return transfer_finish (self, result, error);
}

/**
 * mailsync_folder_move_messages:
 * @self: a folder
 * @uids: (array length=n_uids): the messages to move
 * @n_uids: how many
 * @destination: another folder of the same repository
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_move_messages_async().
 *
 * Returns: (transfer full) (element-type guint32): the new UIDs (0 where
 *   unknown), or %NULL on error
 *
 * Since: 0.1
 */
GArray *
mailsync_folder_move_messages (MailsyncFolder  *self,
                               const guint32   *uids,
                               guint            n_uids,
                               MailsyncFolder  *destination,
                               GCancellable    *cancellable,
                               GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_move_messages_async (self, uids, n_uids, destination, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_move_messages_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_expunge_async:
 * @self: a folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Removes every message of the folder marked %MAILSYNC_FLAG_DELETED for
 * good: EXPUNGE on IMAP, the files with the `T` (trashed) flag on
 * Maildir. A backend that cannot fails with %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */
void
mailsync_folder_expunge_async (MailsyncFolder      *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  MAILSYNC_FOLDER_GET_CLASS (self)->expunge_async (self, cancellable, callback, user_data);
}

/**
 * mailsync_folder_expunge_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_expunge_async(). Call it on the thread-default
 * main context the operation was started from.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_expunge_finish (MailsyncFolder  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  return MAILSYNC_FOLDER_GET_CLASS (self)->expunge_finish (self, result, error);
}

/**
 * mailsync_folder_expunge:
 * @self: a folder
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronous form of mailsync_folder_expunge_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_expunge (MailsyncFolder  *self,
                         GCancellable    *cancellable,
                         GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_expunge_async (self, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_expunge_finish (self, _mailsync_sync_call_wait (&call), error);
}
