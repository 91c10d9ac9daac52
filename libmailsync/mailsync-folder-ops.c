/* MailsyncFolder's message operations: the public wrappers around the
 * backend's vfuncs for fetch, append, flags, delete, UID, and the store's
 * own copy, move and expunge. Moved from mailsync-folder.c (issue 14
 * item 1); the class, its properties and the listing stay there. */
#include "config.h"

#include "mailsync-folder.h"
#include "mailsync-folder-private.h"
#include "mailsync-worker.h"
#include "mailsync-repository.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

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

/* Copy and move differ only in @delete_originals, which the backend's one
 * vfunc takes: the public functions are thin wrappers around these. */
static void
transfer_async (MailsyncFolder      *self,
                const guint32       *uids,
                guint                n_uids,
                MailsyncFolder      *destination,
                gboolean             delete_originals,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  if (transfer_precheck (self, n_uids, destination, delete_originals, cancellable, callback, user_data))
    return;
  MAILSYNC_FOLDER_GET_CLASS (self)->transfer_messages_async (self, uids, n_uids, destination, delete_originals,
                                                             cancellable, callback, user_data);
}

static GArray *
transfer_sync (MailsyncFolder  *self,
               const guint32   *uids,
               guint            n_uids,
               MailsyncFolder  *destination,
               gboolean         delete_originals,
               GCancellable    *cancellable,
               GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  _mailsync_sync_call_begin (&call);
  transfer_async (self, uids, n_uids, destination, delete_originals, cancellable, _mailsync_sync_call_done, &call);
  return transfer_finish (self, _mailsync_sync_call_wait (&call), error);
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
  transfer_async (self, uids, n_uids, destination, FALSE, cancellable, callback, user_data);
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
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (destination), NULL);
  g_return_val_if_fail (uids != NULL || n_uids == 0, NULL);
  return transfer_sync (self, uids, n_uids, destination, FALSE, cancellable, error);
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
  transfer_async (self, uids, n_uids, destination, TRUE, cancellable, callback, user_data);
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
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (destination), NULL);
  g_return_val_if_fail (uids != NULL || n_uids == 0, NULL);
  return transfer_sync (self, uids, n_uids, destination, TRUE, cancellable, error);
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
