/* What a folder can do beyond the operations every folder has (issue 14
 * item 3): keywords, Gmail labels, the Message-IDs and local move of move
 * detection, the change stamps of the unchanged-folder skip. The invokers
 * of the optional members of MailsyncFolderClass, which answer "not
 * supported" for a class that leaves a member NULL; the sync engine calls
 * only these, so a backend outside the library takes part by implementing
 * the members. */
#include "config.h"

#include "mailsync-folder.h"
#include "mailsync-worker.h"

#include <string.h>

/* ---- capabilities --------------------------------------------------------- */

static MailsyncFolderCapabilities
capabilities_of_class (MailsyncFolderClass *klass)
{
  MailsyncFolderCapabilities caps = MAILSYNC_FOLDER_CAPABILITY_NONE;

  if (klass->set_keywords_async != NULL && klass->set_keywords_finish != NULL)
    caps |= MAILSYNC_FOLDER_CAPABILITY_KEYWORDS;
  if (klass->fetch_labels_async != NULL && klass->fetch_labels_finish != NULL &&
      klass->store_labels_async != NULL && klass->store_labels_finish != NULL)
    caps |= MAILSYNC_FOLDER_CAPABILITY_LABELS;
  if (klass->fetch_message_ids_async != NULL && klass->fetch_message_ids_finish != NULL)
    caps |= MAILSYNC_FOLDER_CAPABILITY_MESSAGE_IDS;
  if (klass->move_message != NULL || (klass->move_message_async != NULL && klass->move_message_finish != NULL))
    caps |= MAILSYNC_FOLDER_CAPABILITY_MOVE_MESSAGE;
  if (klass->probe_stamp_async != NULL && klass->probe_stamp_finish != NULL && klass->dup_listing_stamp != NULL)
    caps |= MAILSYNC_FOLDER_CAPABILITY_CHANGE_STAMP;
  return caps;
}

/**
 * mailsync_folder_get_capabilities:
 * @self: a folder
 *
 * What @self can do of the optional operations: keywords, labels, the
 * Message-IDs of a set of messages, a local move under a given UID, the
 * change stamps. A capability that is not there makes its operations
 * fail with %G_IO_ERROR_NOT_SUPPORTED.
 *
 * The #MailsyncFolderClass.get_capabilities() of the class, or, when it
 * has none, the capabilities whose virtual methods the class implements;
 * never more than those (a class cannot claim an operation it does not
 * implement).
 *
 * Returns: the capabilities
 *
 * Since: 0.1
 */
MailsyncFolderCapabilities
mailsync_folder_get_capabilities (MailsyncFolder *self)
{
  MailsyncFolderClass *klass;
  MailsyncFolderCapabilities caps;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), MAILSYNC_FOLDER_CAPABILITY_NONE);
  klass = MAILSYNC_FOLDER_GET_CLASS (self);
  caps = capabilities_of_class (klass);
  if (klass->get_capabilities != NULL)
    caps &= klass->get_capabilities (self);
  return caps;
}

/**
 * mailsync_folder_supports:
 * @self: a folder
 * @capabilities: one or more capabilities
 *
 * Whether @self has every one of @capabilities
 * (mailsync_folder_get_capabilities()).
 *
 * Returns: %TRUE if it has them all
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_supports (MailsyncFolder             *self,
                          MailsyncFolderCapabilities  capabilities)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  return (mailsync_folder_get_capabilities (self) & capabilities) == capabilities;
}

static void
report_not_supported (MailsyncFolder      *self,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data,
                      gpointer             source_tag,
                      const char          *what)
{
  g_task_report_new_error (self, callback, user_data, source_tag, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Folder %s has no %s", mailsync_folder_get_name (self), what);
}

/* ---- keywords ------------------------------------------------------------- */

/**
 * mailsync_folder_can_store_keyword:
 * @self: a folder
 * @keyword: a keyword (an IMAP atom such as `$Forwarded`)
 *
 * Whether @self can store @keyword: %FALSE for a folder without
 * %MAILSYNC_FOLDER_CAPABILITY_KEYWORDS, and for an IMAP mailbox whose
 * PERMANENTFLAGS lists neither @keyword nor `\*` (as of its last
 * listing).
 *
 * Returns: %TRUE if mailsync_folder_set_keywords_async() can add it
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_can_store_keyword (MailsyncFolder *self,
                                   const char     *keyword)
{
  MailsyncFolderClass *klass;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  g_return_val_if_fail (keyword != NULL, FALSE);
  if (!mailsync_folder_supports (self, MAILSYNC_FOLDER_CAPABILITY_KEYWORDS))
    return FALSE;
  klass = MAILSYNC_FOLDER_GET_CLASS (self);
  return klass->can_store_keyword == NULL || klass->can_store_keyword (self, keyword);
}

/**
 * mailsync_folder_set_keywords_async:
 * @self: a folder
 * @uids: (array length=n_uids): the messages
 * @n_uids: how many
 * @add: (array zero-terminated=1) (nullable): keywords to add, or %NULL
 * @remove: (array zero-terminated=1) (nullable): keywords to remove, or %NULL
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Adds and removes keywords on messages: `UID STORE +FLAGS`/`-FLAGS` on
 * IMAP, the letters of the file names on Maildir (customflag or
 * dovecot-keywords). A folder without
 * %MAILSYNC_FOLDER_CAPABILITY_KEYWORDS fails with
 * %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */
void
mailsync_folder_set_keywords_async (MailsyncFolder      *self,
                                    const guint32       *uids,
                                    guint                n_uids,
                                    const char * const  *add,
                                    const char * const  *remove,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  g_return_if_fail (uids != NULL || n_uids == 0);
  if (!mailsync_folder_supports (self, MAILSYNC_FOLDER_CAPABILITY_KEYWORDS))
    {
      report_not_supported (self, callback, user_data, mailsync_folder_set_keywords_async, "keywords");
      return;
    }
  MAILSYNC_FOLDER_GET_CLASS (self)->set_keywords_async (self, uids, n_uids, add, remove, cancellable, callback,
                                                        user_data);
}

/**
 * mailsync_folder_set_keywords_finish:
 * @self: a folder
 * @result: the result
 * @not_stored: (out) (optional) (transfer full) (array zero-terminated=1):
 *   the added keywords the folder could not store (an IMAP mailbox whose
 *   PERMANENTFLAGS does not allow them, a Maildir without a letter left),
 *   an empty array when it stored them all
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_set_keywords_async().
 *
 * Returns: %TRUE on success (some keywords may not be stored: see
 *   @not_stored)
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_set_keywords_finish (MailsyncFolder   *self,
                                     GAsyncResult     *result,
                                     char           ***not_stored,
                                     GError          **error)
{
  g_auto(GStrv) words = NULL;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  if (not_stored != NULL)
    *not_stored = NULL;
  if (g_async_result_is_tagged (result, mailsync_folder_set_keywords_async))
    {
      /* our own "not supported" report */
      g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
      return g_task_propagate_boolean (G_TASK (result), error);
    }
  if (!MAILSYNC_FOLDER_GET_CLASS (self)->set_keywords_finish (self, result, &words, error))
    return FALSE;
  if (not_stored != NULL)
    *not_stored = words != NULL ? g_steal_pointer (&words) : g_new0 (char *, 1);
  return TRUE;
}

/* ---- labels --------------------------------------------------------------- */

/**
 * mailsync_folder_fetch_labels_async:
 * @self: a folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Reads the Gmail labels of every message of the folder (`X-GM-LABELS`).
 * A folder without %MAILSYNC_FOLDER_CAPABILITY_LABELS fails with
 * %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */
void
mailsync_folder_fetch_labels_async (MailsyncFolder      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  if (!mailsync_folder_supports (self, MAILSYNC_FOLDER_CAPABILITY_LABELS))
    {
      report_not_supported (self, callback, user_data, mailsync_folder_fetch_labels_async, "labels");
      return;
    }
  MAILSYNC_FOLDER_GET_CLASS (self)->fetch_labels_async (self, cancellable, callback, user_data);
}

/**
 * mailsync_folder_fetch_labels_finish: (skip)
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_fetch_labels_async(). Not introspectable: a
 * hash table whose values are string arrays has no binding type; bindings
 * call mailsync_folder_fetch_labels_finish_joined() instead. For the same
 * reason the virtual method cannot be implemented through a binding: a
 * folder written in Python or JavaScript has no labels (C backends do).
 *
 * Returns: (transfer container) (element-type guint GStrv): UID
 *   (`GUINT_TO_POINTER`) -> its labels, a %NULL-terminated array of
 *   strings as the server sent them; the table frees its values
 *
 * Since: 0.1
 */
GHashTable *
mailsync_folder_fetch_labels_finish (MailsyncFolder  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  if (g_async_result_is_tagged (result, mailsync_folder_fetch_labels_async))
    {
      /* our own "not supported" report */
      g_return_val_if_fail (g_task_is_valid (result, self), NULL);
      return g_task_propagate_pointer (G_TASK (result), error);
    }
  return MAILSYNC_FOLDER_GET_CLASS (self)->fetch_labels_finish (self, result, error);
}

/**
 * mailsync_folder_fetch_labels_finish_joined:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_fetch_labels_async() as
 * mailsync_folder_fetch_labels_finish() does, each message's labels
 * joined into one string with a newline (`\n`) between two labels: the
 * introspectable form, for bindings. A label may contain spaces and
 * commas (Gmail's "My Label") but never a CR or LF (an IMAP string cannot
 * carry one), so splitting at `\n` gives the labels back; a message
 * without labels has "".
 *
 * Returns: (transfer container) (element-type guint utf8): UID
 *   (`GUINT_TO_POINTER`) -> its labels, newline-separated; the table frees
 *   its values
 *
 * Since: 0.1
 */
GHashTable *
mailsync_folder_fetch_labels_finish_joined (MailsyncFolder  *self,
                                            GAsyncResult    *result,
                                            GError         **error)
{
  g_autoptr(GHashTable) labels = NULL;
  GHashTable *joined;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  labels = mailsync_folder_fetch_labels_finish (self, result, error);
  if (labels == NULL)
    return NULL;
  joined = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_hash_table_iter_init (&iter, labels);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (joined, key, value != NULL ? g_strjoinv ("\n", value) : g_strdup (""));
  return joined;
}

/**
 * mailsync_folder_store_labels_async:
 * @self: a folder
 * @uids: (array length=n_uids): the messages
 * @n_uids: how many
 * @operation: whether @labels become the messages' labels, or are added
 *   or removed
 * @labels: (array zero-terminated=1): the labels
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Changes the Gmail labels of messages (`UID STORE X-GM-LABELS`,
 * `+X-GM-LABELS`, `-X-GM-LABELS`). A folder without
 * %MAILSYNC_FOLDER_CAPABILITY_LABELS fails with %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */
void
mailsync_folder_store_labels_async (MailsyncFolder         *self,
                                    const guint32          *uids,
                                    guint                   n_uids,
                                    MailsyncLabelOperation  operation,
                                    const char * const     *labels,
                                    GCancellable           *cancellable,
                                    GAsyncReadyCallback     callback,
                                    gpointer                user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  g_return_if_fail (uids != NULL || n_uids == 0);
  g_return_if_fail (labels != NULL);
  g_return_if_fail (operation <= MAILSYNC_LABEL_OPERATION_REMOVE);
  if (!mailsync_folder_supports (self, MAILSYNC_FOLDER_CAPABILITY_LABELS))
    {
      report_not_supported (self, callback, user_data, mailsync_folder_store_labels_async, "labels");
      return;
    }
  MAILSYNC_FOLDER_GET_CLASS (self)->store_labels_async (self, uids, n_uids, operation, labels, cancellable, callback,
                                                        user_data);
}

/**
 * mailsync_folder_store_labels_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_store_labels_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_store_labels_finish (MailsyncFolder  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  if (g_async_result_is_tagged (result, mailsync_folder_store_labels_async))
    {
      /* our own "not supported" report */
      g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
      return g_task_propagate_boolean (G_TASK (result), error);
    }
  return MAILSYNC_FOLDER_GET_CLASS (self)->store_labels_finish (self, result, error);
}

/* ---- move detection ------------------------------------------------------- */

/**
 * mailsync_folder_fetch_message_ids_async:
 * @self: a folder
 * @uids: (array length=n_uids): the messages
 * @n_uids: how many
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Reads the Message-ID of messages in one round trip (IMAP:
 * `UID FETCH BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]`). A folder without
 * %MAILSYNC_FOLDER_CAPABILITY_MESSAGE_IDS fails with
 * %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */
void
mailsync_folder_fetch_message_ids_async (MailsyncFolder      *self,
                                         const guint32       *uids,
                                         guint                n_uids,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  g_return_if_fail (uids != NULL || n_uids == 0);
  if (!mailsync_folder_supports (self, MAILSYNC_FOLDER_CAPABILITY_MESSAGE_IDS))
    {
      report_not_supported (self, callback, user_data, mailsync_folder_fetch_message_ids_async, "Message-IDs");
      return;
    }
  MAILSYNC_FOLDER_GET_CLASS (self)->fetch_message_ids_async (self, uids, n_uids, cancellable, callback, user_data);
}

/**
 * mailsync_folder_fetch_message_ids_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_fetch_message_ids_async().
 *
 * The table frees its values: that is (transfer container). The virtual
 * method is (transfer full) instead (bindings/gir-fixup.awk): a folder
 * written in a binding builds a table without destroy functions and gives
 * the caller its strings; this function moves them into one that frees
 * them.
 *
 * Returns: (transfer container) (element-type guint utf8): UID
 *   (`GUINT_TO_POINTER`) -> the value of the message's Message-ID header,
 *   unfolded and trimmed ("<a@b>"); "" or no entry for a message without
 *   one
 *
 * Since: 0.1
 */
GHashTable *
mailsync_folder_fetch_message_ids_finish (MailsyncFolder  *self,
                                          GAsyncResult    *result,
                                          GError         **error)
{
  GHashTable *ids, *owned;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  if (g_async_result_is_tagged (result, mailsync_folder_fetch_message_ids_async))
    {
      /* our own "not supported" report */
      g_return_val_if_fail (g_task_is_valid (result, self), NULL);
      return g_task_propagate_pointer (G_TASK (result), error);
    }
  ids = MAILSYNC_FOLDER_GET_CLASS (self)->fetch_message_ids_finish (self, result, error);
  if (ids == NULL)
    return NULL;
  /* stolen: a table that had a destroy function does not free them */
  owned = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_hash_table_iter_steal (&iter);
      g_hash_table_replace (owned, key, value != NULL ? value : g_strdup (""));
    }
  g_hash_table_unref (ids);
  return owned;
}

static gboolean
can_move (MailsyncFolder *self, MailsyncFolder *destination)
{
  return mailsync_folder_supports (self, MAILSYNC_FOLDER_CAPABILITY_MOVE_MESSAGE) &&
         G_OBJECT_TYPE (destination) == G_OBJECT_TYPE (self);
}

/**
 * mailsync_folder_move_message:
 * @self: a folder
 * @uid: the message
 * @destination: a folder of the same class (and repository)
 * @new_uid: the UID the message gets in @destination
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Moves a message into @destination under @new_uid, keeping its flags and
 * keywords: synchronous form of mailsync_folder_move_message_async(). For
 * a class with #MailsyncFolderClass.move_message() (Maildir: one rename()
 * of the file) it runs on the caller's thread and never waits (a
 * @cancellable cancelled before the call moves nothing and fails with
 * %G_IO_ERROR_CANCELLED); for one with only the asynchronous pair it
 * waits on a private context, as the other synchronous forms do, and
 * @cancellable is the asynchronous move's. Unlike
 * mailsync_folder_move_messages_async() the caller says the UID, which is
 * the remote side's. A folder without
 * %MAILSYNC_FOLDER_CAPABILITY_MOVE_MESSAGE, or a @destination of another
 * class, fails with %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_move_message (MailsyncFolder  *self,
                              guint32          uid,
                              MailsyncFolder  *destination,
                              guint32          new_uid,
                              GCancellable    *cancellable,
                              GError         **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (destination), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (!can_move (self, destination))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Cannot move a message from %s to %s",
                   mailsync_folder_get_name (self), mailsync_folder_get_name (destination));
      return FALSE;
    }
  if (MAILSYNC_FOLDER_GET_CLASS (self)->move_message != NULL)
    return !g_cancellable_set_error_if_cancelled (cancellable, error) &&
           MAILSYNC_FOLDER_GET_CLASS (self)->move_message (self, uid, destination, new_uid, cancellable, error);
  _mailsync_sync_call_begin (&call);
  mailsync_folder_move_message_async (self, uid, destination, new_uid, cancellable, _mailsync_sync_call_done, &call);
  return mailsync_folder_move_message_finish (self, _mailsync_sync_call_wait (&call), error);
}

/**
 * mailsync_folder_move_message_async:
 * @self: a folder
 * @uid: the message
 * @destination: a folder of the same class (and repository)
 * @new_uid: the UID the message gets in @destination
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Moves a message into @destination under @new_uid, keeping its flags and
 * keywords. The sync engine uses it when a message moved on the remote
 * side, so that the local copy follows rather than being downloaded
 * again: a Maildir renames the file (#MailsyncFolderClass.move_message(),
 * done before this returns, the callback still runs later), a local IMAP
 * server behind a UID map moves the message there and maps its new UID
 * to @new_uid (#MailsyncFolderClass.move_message_async()). Unlike
 * mailsync_folder_move_messages_async() the caller says the UID, which
 * is the remote side's. A folder without
 * %MAILSYNC_FOLDER_CAPABILITY_MOVE_MESSAGE, or a @destination of another
 * class, fails with %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */
void
mailsync_folder_move_message_async (MailsyncFolder      *self,
                                    guint32              uid,
                                    MailsyncFolder      *destination,
                                    guint32              new_uid,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  MailsyncFolderClass *klass;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  g_return_if_fail (MAILSYNC_IS_FOLDER (destination));
  klass = MAILSYNC_FOLDER_GET_CLASS (self);
  if (!can_move (self, destination))
    {
      report_not_supported (self, callback, user_data, mailsync_folder_move_message_async, "move to that folder");
      return;
    }
  if (klass->move_message_async != NULL && klass->move_message_finish != NULL)
    {
      klass->move_message_async (self, uid, destination, new_uid, cancellable, callback, user_data);
      return;
    }
  /* one rename, now; the callback runs from an idle as always. A
   * cancellation before it moves nothing; after it, the answer is what
   * happened (the file was renamed), not CANCELLED. */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mailsync_folder_move_message_async);
  g_task_set_check_cancellable (task, FALSE);
  if (!g_cancellable_set_error_if_cancelled (cancellable, &error) &&
      klass->move_message (self, uid, destination, new_uid, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * mailsync_folder_move_message_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_move_message_async().
 *
 * Returns: %TRUE when the message is in the destination under the new UID
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_move_message_finish (MailsyncFolder  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  if (g_async_result_is_tagged (result, mailsync_folder_move_message_async))
    {
      /* our own: "not supported", or the synchronous member's answer */
      g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
      return g_task_propagate_boolean (G_TASK (result), error);
    }
  return MAILSYNC_FOLDER_GET_CLASS (self)->move_message_finish (self, result, error);
}

/* ---- change stamps -------------------------------------------------------- */

/**
 * mailsync_folder_probe_stamp_async:
 * @self: a folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: closure data
 *
 * Asks the store for the folder's state now, in one round trip, as an
 * opaque line that differs whenever a message was added, removed or
 * changed (IMAP: `STATUS` UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES). The
 * sync engine compares it with mailsync_folder_dup_listing_stamp() as of
 * the last sync to skip a folder in which nothing changed. A folder
 * without %MAILSYNC_FOLDER_CAPABILITY_CHANGE_STAMP fails with
 * %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Since: 0.1
 */
void
mailsync_folder_probe_stamp_async (MailsyncFolder      *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_FOLDER (self));
  if (!mailsync_folder_supports (self, MAILSYNC_FOLDER_CAPABILITY_CHANGE_STAMP))
    {
      report_not_supported (self, callback, user_data, mailsync_folder_probe_stamp_async, "change stamp");
      return;
    }
  MAILSYNC_FOLDER_GET_CLASS (self)->probe_stamp_async (self, cancellable, callback, user_data);
}

/**
 * mailsync_folder_probe_stamp_finish:
 * @self: a folder
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_folder_probe_stamp_async().
 *
 * Returns: (transfer full) (nullable): the line, or %NULL: with @error set
 *   on failure, without when the store cannot tell this time (an IMAP
 *   server without CONDSTORE)
 *
 * Since: 0.1
 */
char *
mailsync_folder_probe_stamp_finish (MailsyncFolder  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  if (g_async_result_is_tagged (result, mailsync_folder_probe_stamp_async))
    {
      /* our own "not supported" report */
      g_return_val_if_fail (g_task_is_valid (result, self), NULL);
      return g_task_propagate_pointer (G_TASK (result), error);
    }
  return MAILSYNC_FOLDER_GET_CLASS (self)->probe_stamp_finish (self, result, error);
}

/**
 * mailsync_folder_dup_listing_stamp:
 * @self: a folder
 *
 * The line mailsync_folder_probe_stamp_async() would have given when the
 * last listing (mailsync_folder_list_messages_async()) was taken, or
 * %NULL (no listing yet, no change stamp, a store that could not tell).
 *
 * Returns: (transfer full) (nullable): the line
 *
 * Since: 0.1
 */
char *
mailsync_folder_dup_listing_stamp (MailsyncFolder *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (self), NULL);
  if (!mailsync_folder_supports (self, MAILSYNC_FOLDER_CAPABILITY_CHANGE_STAMP))
    return NULL;
  return MAILSYNC_FOLDER_GET_CLASS (self)->dup_listing_stamp (self);
}
