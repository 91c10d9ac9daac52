#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <gio/gio.h>
#include "mailsync-version-macros.h"
#include "mailsync-enums.h"
#include "mailsync-message-info.h"
#include "mailsync-folder-changes.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_FOLDER:
 *
 * The #GType of #MailsyncFolder, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_FOLDER (mailsync_folder_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (MailsyncFolder, mailsync_folder, MAILSYNC, FOLDER, GObject)

/**
 * MailsyncFolderClass:
 * @list_messages_async: list every message (uid, key, flags, size, date);
 *   messages without a UID (new local mail) have uid 0 and a key
 * @list_messages_finish: finish; returns a #GPtrArray of #MailsyncMessageInfo
 *   and a reference to each (transfer full). The array need not have a free
 *   function (one built by a binding has none): if it has one, it must drop
 *   exactly those references, as g_object_unref() does;
 *   mailsync_folder_list_messages_finish() sets it
 * @fetch_message_async: open a message's content as a stream
 * @fetch_message_finish: finish; returns a #GInputStream
 * @append_message_async: store a new message with the flags and date of the
 *   given info. A backend that keeps the other side's UIDs (a local Maildir)
 *   stores it under info's uid; one that assigns its own returns the new UID,
 *   or 0 when it cannot tell
 * @append_message_finish: finish; returns the stored message's info
 * @set_flags_async: add and remove flags on a set of UIDs
 * @set_flags_finish: finish
 * @delete_messages_async: delete (and expunge) a set of UIDs
 * @delete_messages_finish: finish
 * @set_message_uid_async: give a message listed with uid 0 (by key) a UID
 * @set_message_uid_finish: finish; returns the renamed message's info
 * @flush_async: make every change so far durable (fsync directories...)
 * @flush_finish: finish
 * @get_uidvalidity: the UIDVALIDITY seen by the last listing
 * @wait_for_changes_async: return when the store reports a change of the
 *   folder (IMAP IDLE) or after a timeout; the default fails with
 *   %MAILSYNC_ERROR_NOT_SUPPORTED
 * @wait_for_changes_finish: finish; says whether a change was reported
 * @is_read_only: whether the last listing found the folder read-only
 *   (an IMAP mailbox that SELECTs [READ-ONLY]); the default is %FALSE
 * @transfer_messages_async: copy a set of UIDs into another folder of the
 *   same repository, and remove them from this one when delete_originals
 *   is set (a move); the default fails with %G_IO_ERROR_NOT_SUPPORTED
 * @transfer_messages_finish: finish; gives the new UID of each given UID
 *   in the same order, 0 where the store does not tell (no UIDPLUS, or a
 *   Maildir destination that gives UIDs only when the other side does), as
 *   a newly allocated C array (out parameters, not a #GArray, so that a
 *   backend written in Python or JavaScript can return a list)
 * @expunge_async: remove the messages marked \Deleted for good; the
 *   default fails with %G_IO_ERROR_NOT_SUPPORTED
 * @expunge_finish: finish
 * @get_capabilities: what the folder can do of what follows; the default
 *   says it from which of the members below the class sets (a class that
 *   sets set_keywords_async has %MAILSYNC_FOLDER_CAPABILITY_KEYWORDS...); a
 *   folder whose answer depends on the instance (one that hands its
 *   messages to another) overrides it
 * @can_store_keyword: whether the folder can store this keyword (an IMAP
 *   mailbox whose PERMANENTFLAGS lists neither it nor `\*` cannot); %NULL:
 *   every keyword
 * @set_keywords_async: add and remove keywords on a set of UIDs
 * @set_keywords_finish: finish; gives the added keywords the folder could
 *   not store (%NULL or empty: all were)
 * @fetch_labels_async: the Gmail labels of every message
 * @fetch_labels_finish: finish; returns UID (`GUINT_TO_POINTER`) -> labels
 *   (a %NULL-terminated array of strings, as the server sent them)
 * @store_labels_async: set, add or remove labels on a set of UIDs
 * @store_labels_finish: finish
 * @fetch_message_ids_async: the Message-ID of a set of UIDs, in one round
 *   trip
 * @fetch_message_ids_finish: finish; returns UID (`GUINT_TO_POINTER`) ->
 *   the Message-ID header's value (unfolded, trimmed: "<a@b>"); a message
 *   without one has "" or no entry
 * @move_message: move a message into another folder of the same class
 *   under a UID the caller gives, keeping its flags and keywords, at once
 *   (a local rename: it runs on the caller's thread)
 * @probe_stamp_async: the folder's state now, in one round trip, as an
 *   opaque line that differs whenever a message was added, removed or
 *   changed (IMAP: UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES of one
 *   STATUS)
 * @probe_stamp_finish: finish; returns the line, or %NULL without an error
 *   when the store cannot tell this time
 * @dup_listing_stamp: the same line as of the last listing, or %NULL
 * @move_message_async: the same move as move_message(), for a store
 *   whose move waits (a local IMAP server behind a UID map): the class
 *   implements this pair or move_message()
 * @move_message_finish: finish
 *
 * The backend contract for one folder. All I/O is asynchronous so that
 * a network backend can keep many operations in flight; local backends run
 * them in a thread. Operations on different messages may run concurrently.
 *
 * The members from get_capabilities on are optional: a class leaves
 * them %NULL when its store has no such thing, and their invokers then
 * fail with %G_IO_ERROR_NOT_SUPPORTED. The sync engine asks
 * mailsync_folder_get_capabilities() before it uses them, so a backend
 * written outside the library (in C or through a binding) takes part in
 * keyword, label and move sync and in the unchanged-folder skip by
 * implementing them.
 *
 * Callbacks and overlapping calls, for these members as for the others:
 * an asynchronous call returns at once and its callback runs later on the
 * thread-default main context of the thread that made the call, never
 * from within the call (the %G_IO_ERROR_NOT_SUPPORTED of a member a class
 * leaves %NULL is reported from an idle, with the invoker as the
 * #GTask's source tag); call the _finish function there. A backend
 * accepts a second call before the first one has completed, on the same
 * or on other messages: the engine keeps many in flight. IMAP queues them
 * on the repository's connection and completes them in the order they
 * were made; Maildir runs each in a thread, finding each file through
 * its locked index of file names (and a rescan when another rename moved
 * it). The order in which two overlapping changes of the
 * same message land is the store's: a caller that cares waits for the
 * first. move_message() is the one synchronous member: a single rename on
 * the caller's thread (its @cancellable, the caller's, was checked before
 * the call; a rename does not wait for it); a store whose move waits
 * implements move_message_async() and move_message_finish() instead
 * (mailsync_folder_move_message_async() calls either).
 *
 * Since: 0.1
 */
struct _MailsyncFolderClass
{
  GObjectClass parent_class;

  void                  (*list_messages_async)    (MailsyncFolder       *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  GPtrArray            *(*list_messages_finish)   (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  void                  (*fetch_message_async)    (MailsyncFolder       *self,
                                                   MailsyncMessageInfo  *info,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  GInputStream         *(*fetch_message_finish)   (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  void                  (*append_message_async)   (MailsyncFolder       *self,
                                                   MailsyncMessageInfo  *info,
                                                   GInputStream         *content,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  MailsyncMessageInfo  *(*append_message_finish)  (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  void                  (*set_flags_async)        (MailsyncFolder       *self,
                                                   const guint32        *uids,
                                                   guint                 n_uids,
                                                   MailsyncFlags         add,
                                                   MailsyncFlags         remove,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  gboolean              (*set_flags_finish)       (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  void                  (*delete_messages_async)  (MailsyncFolder       *self,
                                                   const guint32        *uids,
                                                   guint                 n_uids,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  gboolean              (*delete_messages_finish) (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  void                  (*set_message_uid_async)  (MailsyncFolder       *self,
                                                   MailsyncMessageInfo  *info,
                                                   guint32               uid,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  MailsyncMessageInfo  *(*set_message_uid_finish) (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  void                  (*flush_async)            (MailsyncFolder       *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  gboolean              (*flush_finish)           (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  guint32               (*get_uidvalidity)        (MailsyncFolder       *self);
  void                  (*wait_for_changes_async) (MailsyncFolder       *self,
                                                   guint                 timeout_seconds,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  gboolean              (*wait_for_changes_finish) (MailsyncFolder      *self,
                                                    GAsyncResult        *result,
                                                    gboolean            *changed,
                                                    GError             **error);
  gboolean              (*is_read_only)           (MailsyncFolder       *self);
  void                  (*transfer_messages_async) (MailsyncFolder      *self,
                                                    const guint32       *uids,
                                                    guint                n_uids,
                                                    MailsyncFolder      *destination,
                                                    gboolean             delete_originals,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
  gboolean              (*transfer_messages_finish) (MailsyncFolder     *self,
                                                     GAsyncResult       *result,
                                                     guint32           **new_uids,
                                                     guint              *n_new_uids,
                                                     GError            **error);
  void                  (*expunge_async)          (MailsyncFolder       *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  gboolean              (*expunge_finish)         (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

  MailsyncFolderCapabilities (*get_capabilities)  (MailsyncFolder       *self);
  gboolean              (*can_store_keyword)      (MailsyncFolder       *self,
                                                   const char           *keyword);
  void                  (*set_keywords_async)     (MailsyncFolder       *self,
                                                   const guint32        *uids,
                                                   guint                 n_uids,
                                                   const char * const   *add,
                                                   const char * const   *remove,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  gboolean              (*set_keywords_finish)    (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   char               ***not_stored,
                                                   GError              **error);
  void                  (*fetch_labels_async)     (MailsyncFolder       *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  GHashTable           *(*fetch_labels_finish)    (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  void                  (*store_labels_async)     (MailsyncFolder       *self,
                                                   const guint32        *uids,
                                                   guint                 n_uids,
                                                   MailsyncLabelOperation operation,
                                                   const char * const   *labels,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  gboolean              (*store_labels_finish)    (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  void                  (*fetch_message_ids_async) (MailsyncFolder      *self,
                                                    const guint32       *uids,
                                                    guint                n_uids,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
  GHashTable           *(*fetch_message_ids_finish) (MailsyncFolder     *self,
                                                     GAsyncResult       *result,
                                                     GError            **error);
  gboolean              (*move_message)           (MailsyncFolder       *self,
                                                   guint32               uid,
                                                   MailsyncFolder       *destination,
                                                   guint32               new_uid,
                                                   GCancellable         *cancellable,
                                                   GError              **error);
  void                  (*probe_stamp_async)      (MailsyncFolder       *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  char                 *(*probe_stamp_finish)     (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
  char                 *(*dup_listing_stamp)      (MailsyncFolder       *self);
  void                  (*move_message_async)     (MailsyncFolder       *self,
                                                   guint32               uid,
                                                   MailsyncFolder       *destination,
                                                   guint32               new_uid,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
  gboolean              (*move_message_finish)    (MailsyncFolder       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

  /*< private >*/
  /* Room for new virtual methods without an ABI break after 1.0
   * (doc/abi.md): eight, as MailsyncRepositoryClass and
   * MailsyncInteractionClass have. */
  gpointer padding[8];
};

MAILSYNC_AVAILABLE_IN_ALL
const char         *mailsync_folder_get_name       (MailsyncFolder *self);
MAILSYNC_AVAILABLE_IN_ALL
char               *mailsync_folder_get_visible_name (MailsyncFolder *self);
MAILSYNC_AVAILABLE_IN_ALL
guint32             mailsync_folder_get_uidvalidity (MailsyncFolder *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_folder_is_read_only   (MailsyncFolder *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_folder_is_watching    (MailsyncFolder *self);

MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_list_messages_async    (MailsyncFolder       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
GPtrArray           *mailsync_folder_list_messages_finish   (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
GPtrArray           *mailsync_folder_list_messages          (MailsyncFolder       *self,
                                                             GCancellable         *cancellable,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_fetch_message_async    (MailsyncFolder       *self,
                                                             MailsyncMessageInfo  *info,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
GInputStream        *mailsync_folder_fetch_message_finish   (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_append_message_async   (MailsyncFolder       *self,
                                                             MailsyncMessageInfo  *info,
                                                             GInputStream         *content,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncMessageInfo *mailsync_folder_append_message_finish  (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_set_flags_async        (MailsyncFolder       *self,
                                                             const guint32        *uids,
                                                             guint                 n_uids,
                                                             MailsyncFlags         add,
                                                             MailsyncFlags         remove,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_set_flags_finish       (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_delete_messages_async  (MailsyncFolder       *self,
                                                             const guint32        *uids,
                                                             guint                 n_uids,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_delete_messages_finish (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_set_message_uid_async  (MailsyncFolder       *self,
                                                             MailsyncMessageInfo  *info,
                                                             guint32               uid,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncMessageInfo *mailsync_folder_set_message_uid_finish (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_flush_async            (MailsyncFolder       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_flush_finish           (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);

MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_wait_for_changes_async  (MailsyncFolder       *self,
                                                              guint                 timeout_seconds,
                                                              GCancellable         *cancellable,
                                                              GAsyncReadyCallback   callback,
                                                              gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_wait_for_changes_finish (MailsyncFolder       *self,
                                                              GAsyncResult         *result,
                                                              gboolean             *changed,
                                                              GError              **error);

MAILSYNC_AVAILABLE_IN_ALL
GInputStream        *mailsync_folder_fetch_message    (MailsyncFolder       *self,
                                                       MailsyncMessageInfo  *info,
                                                       GCancellable         *cancellable,
                                                       GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncMessageInfo *mailsync_folder_append_message   (MailsyncFolder       *self,
                                                       MailsyncMessageInfo  *info,
                                                       GInputStream         *content,
                                                       GCancellable         *cancellable,
                                                       GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_set_flags        (MailsyncFolder       *self,
                                                       const guint32        *uids,
                                                       guint                 n_uids,
                                                       MailsyncFlags         add,
                                                       MailsyncFlags         remove,
                                                       GCancellable         *cancellable,
                                                       GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_delete_messages  (MailsyncFolder       *self,
                                                       const guint32        *uids,
                                                       guint                 n_uids,
                                                       GCancellable         *cancellable,
                                                       GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncMessageInfo *mailsync_folder_set_message_uid  (MailsyncFolder       *self,
                                                       MailsyncMessageInfo  *info,
                                                       guint32               uid,
                                                       GCancellable         *cancellable,
                                                       GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_flush            (MailsyncFolder       *self,
                                                       GCancellable         *cancellable,
                                                       GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_watch_async      (MailsyncFolder       *self,
                                                       guint                 poll_seconds,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_watch_finish     (MailsyncFolder       *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_wait_for_changes (MailsyncFolder       *self,
                                                       guint                 timeout_seconds,
                                                       gboolean             *changed,
                                                       GCancellable         *cancellable,
                                                       GError              **error);

MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_copy_messages_async    (MailsyncFolder       *self,
                                                             const guint32        *uids,
                                                             guint                 n_uids,
                                                             MailsyncFolder       *destination,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
GArray              *mailsync_folder_copy_messages_finish   (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
GArray              *mailsync_folder_copy_messages          (MailsyncFolder       *self,
                                                             const guint32        *uids,
                                                             guint                 n_uids,
                                                             MailsyncFolder       *destination,
                                                             GCancellable         *cancellable,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_move_messages_async    (MailsyncFolder       *self,
                                                             const guint32        *uids,
                                                             guint                 n_uids,
                                                             MailsyncFolder       *destination,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
GArray              *mailsync_folder_move_messages_finish   (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
GArray              *mailsync_folder_move_messages          (MailsyncFolder       *self,
                                                             const guint32        *uids,
                                                             guint                 n_uids,
                                                             MailsyncFolder       *destination,
                                                             GCancellable         *cancellable,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_expunge_async          (MailsyncFolder       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_expunge_finish         (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_expunge                (MailsyncFolder       *self,
                                                             GCancellable         *cancellable,
                                                             GError              **error);

MAILSYNC_AVAILABLE_IN_ALL
MailsyncFolderCapabilities mailsync_folder_get_capabilities (MailsyncFolder *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_supports               (MailsyncFolder             *self,
                                                             MailsyncFolderCapabilities  capabilities);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_can_store_keyword      (MailsyncFolder       *self,
                                                             const char           *keyword);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_set_keywords_async     (MailsyncFolder       *self,
                                                             const guint32        *uids,
                                                             guint                 n_uids,
                                                             const char * const   *add,
                                                             const char * const   *remove,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_set_keywords_finish    (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             char               ***not_stored,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_fetch_labels_async     (MailsyncFolder       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
GHashTable          *mailsync_folder_fetch_labels_finish    (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
GHashTable          *mailsync_folder_fetch_labels_finish_joined (MailsyncFolder  *self,
                                                                 GAsyncResult    *result,
                                                                 GError         **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_store_labels_async     (MailsyncFolder        *self,
                                                             const guint32         *uids,
                                                             guint                  n_uids,
                                                             MailsyncLabelOperation operation,
                                                             const char * const    *labels,
                                                             GCancellable          *cancellable,
                                                             GAsyncReadyCallback    callback,
                                                             gpointer               user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_store_labels_finish    (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_fetch_message_ids_async (MailsyncFolder      *self,
                                                              const guint32       *uids,
                                                              guint                n_uids,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
MAILSYNC_AVAILABLE_IN_ALL
GHashTable          *mailsync_folder_fetch_message_ids_finish (MailsyncFolder     *self,
                                                               GAsyncResult       *result,
                                                               GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_move_message           (MailsyncFolder       *self,
                                                             guint32               uid,
                                                             MailsyncFolder       *destination,
                                                             guint32               new_uid,
                                                             GCancellable         *cancellable,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_move_message_async     (MailsyncFolder       *self,
                                                             guint32               uid,
                                                             MailsyncFolder       *destination,
                                                             guint32               new_uid,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_folder_move_message_finish    (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_folder_probe_stamp_async      (MailsyncFolder       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
char                *mailsync_folder_probe_stamp_finish     (MailsyncFolder       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
char                *mailsync_folder_dup_listing_stamp      (MailsyncFolder       *self);

G_END_DECLS
