#include "config.h"

#include "mailsync-folder.h"
#include "mailsync-folder-private.h"
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

/* For the files that implement the rest of the base class
 * (mailsync-folder-watch.c): see mailsync-folder-private.h. */
MailsyncFolderPrivate *
_mailsync_folder_get_private (MailsyncFolder *self)
{
  return mailsync_folder_get_instance_private (self);
}

void
_mailsync_folder_notify_watching (MailsyncFolder *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WATCHING]);
}

void
_mailsync_folder_emit_folder_changed (MailsyncFolder        *self,
                                      MailsyncFolderChanges *changes)
{
  g_signal_emit (self, signals[SIGNAL_FOLDER_CHANGED], 0, changes);
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
