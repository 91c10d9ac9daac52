#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib-object.h>
#include "mailsync-version-macros.h"

G_BEGIN_DECLS

/**
 * MailsyncFlags:
 * @MAILSYNC_FLAG_NONE: no system flag
 * @MAILSYNC_FLAG_SEEN: `\Seen`, Maildir `S`
 * @MAILSYNC_FLAG_ANSWERED: `\Answered`, Maildir `R`
 * @MAILSYNC_FLAG_FLAGGED: `\Flagged`, Maildir `F`
 * @MAILSYNC_FLAG_DELETED: `\Deleted`, Maildir `T`
 * @MAILSYNC_FLAG_DRAFT: `\Draft`, Maildir `D`
 *
 * The IMAP system flags that every backend can store.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/
{
  MAILSYNC_FLAG_NONE     = 0,
  MAILSYNC_FLAG_SEEN     = 1 << 0,
  MAILSYNC_FLAG_ANSWERED = 1 << 1,
  MAILSYNC_FLAG_FLAGGED  = 1 << 2,
  MAILSYNC_FLAG_DELETED  = 1 << 3,
  MAILSYNC_FLAG_DRAFT    = 1 << 4,
} MailsyncFlags;

/**
 * MAILSYNC_TYPE_FLAGS:
 *
 * The #GType of #MailsyncFlags, for #GValue and property specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_FLAGS (mailsync_flags_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_flags_get_type (void) G_GNUC_CONST;

/**
 * MailsyncSyncEventKind:
 * @MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED: an account sync begins
 * @MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED: an account sync ended (error set if it failed)
 * @MAILSYNC_SYNC_EVENT_FOLDER_STARTED: a folder sync begins
 * @MAILSYNC_SYNC_EVENT_FOLDER_FINISHED: a folder sync ended (error set if it failed)
 * @MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED: a folder was skipped (text says why)
 * @MAILSYNC_SYNC_EVENT_FOLDER_CREATED: a folder was created on the destination
 * @MAILSYNC_SYNC_EVENT_MESSAGE_COPIED: one message was copied (uid, n of total)
 * @MAILSYNC_SYNC_EVENT_MESSAGES_DELETED: messages were deleted on the destination
 * @MAILSYNC_SYNC_EVENT_FLAGS_ADDED: a flag was added to n messages
 * @MAILSYNC_SYNC_EVENT_FLAGS_REMOVED: a flag was removed from n messages
 * @MAILSYNC_SYNC_EVENT_WARNING: something the user should know (text, error)
 * @MAILSYNC_SYNC_EVENT_ERROR: an error that skipped a message, folder or account
 * @MAILSYNC_SYNC_EVENT_DEBUG: debug chatter (text)
 * @MAILSYNC_SYNC_EVENT_CONNECTING: a connection to a server of the repository
 *   starts; text is "HOST:PORT", or "tunnel:COMMAND" for a tunnel
 * @MAILSYNC_SYNC_EVENT_SYNC_FOLDERS: the folder structure is compared
 *   (source and destination types set)
 * @MAILSYNC_SYNC_EVENT_STATUS_CREATED: a new status was started for a folder
 *   (repository: the local one)
 * @MAILSYNC_SYNC_EVENT_LIST_LOADING: the message list of a folder is being
 *   loaded (repository and destination type: the folder's)
 * @MAILSYNC_SYNC_EVENT_LIST_LOADED: the message list is loaded; n is the count
 * @MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES: a pass from the source folder to the
 *   destination begins
 * @MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM: the folder's UIDVALIDITY changed
 *   (saved and current values set); the folder is skipped
 * @MAILSYNC_SYNC_EVENT_MESSAGE_IGNORED: a message is never copied (the
 *   remote repository's copy_ignore_eval lists its uid)
 * @MAILSYNC_SYNC_EVENT_LABELS_ADDED: a Gmail label was added to n messages
 *   of the remote folder (text: offlineimap's line)
 * @MAILSYNC_SYNC_EVENT_LABELS_REMOVED: a Gmail label was removed from n
 *   messages of the remote folder (text: offlineimap's line)
 * @MAILSYNC_SYNC_EVENT_LABELS_SET: a local message (uid, n of total) was
 *   given the remote message's labels (text: offlineimap's line)
 * @MAILSYNC_SYNC_EVENT_COLLECTING_DATA: the label pass looks at n local
 *   messages changed since the last sync (text: offlineimap's line)
 * @MAILSYNC_SYNC_EVENT_FOLDER_PLANNED: a folder's plan is made, before its
 *   first copy: n messages of mailsync_sync_event_get_bytes() bytes are to
 *   be copied (both directions); the running totals of the folder and the
 *   account (mailsync_sync_event_get_account_bytes_total() and the other
 *   progress getters) now include them
 * @MAILSYNC_SYNC_EVENT_ACCOUNT_PLANNED: every folder of the account is
 *   planned, before the first folder's copies (only with
 *   #MailsyncAccount:plan-ahead): n messages of
 *   mailsync_sync_event_get_bytes() bytes are to be copied in the whole
 *   account, which the account's progress totals now are; each
 *   FOLDER_PLANNED after it replaces that folder's share with its own
 *   plan (the server may have changed meanwhile)
 *
 * What a #MailsyncSyncEvent reports.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED,
  MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED,
  MAILSYNC_SYNC_EVENT_FOLDER_STARTED,
  MAILSYNC_SYNC_EVENT_FOLDER_FINISHED,
  MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED,
  MAILSYNC_SYNC_EVENT_FOLDER_CREATED,
  MAILSYNC_SYNC_EVENT_MESSAGE_COPIED,
  MAILSYNC_SYNC_EVENT_MESSAGES_DELETED,
  MAILSYNC_SYNC_EVENT_FLAGS_ADDED,
  MAILSYNC_SYNC_EVENT_FLAGS_REMOVED,
  MAILSYNC_SYNC_EVENT_WARNING,
  MAILSYNC_SYNC_EVENT_ERROR,
  MAILSYNC_SYNC_EVENT_DEBUG,
  MAILSYNC_SYNC_EVENT_CONNECTING,
  MAILSYNC_SYNC_EVENT_SYNC_FOLDERS,
  MAILSYNC_SYNC_EVENT_STATUS_CREATED,
  MAILSYNC_SYNC_EVENT_LIST_LOADING,
  MAILSYNC_SYNC_EVENT_LIST_LOADED,
  MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES,
  MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM,
  MAILSYNC_SYNC_EVENT_MESSAGE_IGNORED,
  MAILSYNC_SYNC_EVENT_LABELS_ADDED,
  MAILSYNC_SYNC_EVENT_LABELS_REMOVED,
  MAILSYNC_SYNC_EVENT_LABELS_SET,
  MAILSYNC_SYNC_EVENT_COLLECTING_DATA,
  MAILSYNC_SYNC_EVENT_FOLDER_PLANNED,
  MAILSYNC_SYNC_EVENT_ACCOUNT_PLANNED,
} MailsyncSyncEventKind;

/**
 * MAILSYNC_TYPE_SYNC_EVENT_KIND:
 *
 * The #GType of #MailsyncSyncEventKind, for #GValue and property
 * specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_SYNC_EVENT_KIND (mailsync_sync_event_kind_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_sync_event_kind_get_type (void) G_GNUC_CONST;

/**
 * MailsyncDirection:
 * @MAILSYNC_DIRECTION_NONE: not about a direction
 * @MAILSYNC_DIRECTION_TO_LOCAL: from the remote repository to the local one
 * @MAILSYNC_DIRECTION_TO_REMOTE: from the local repository to the remote one
 *
 * Which way a change travels.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_DIRECTION_NONE,
  MAILSYNC_DIRECTION_TO_LOCAL,
  MAILSYNC_DIRECTION_TO_REMOTE,
} MailsyncDirection;

/**
 * MAILSYNC_TYPE_DIRECTION:
 *
 * The #GType of #MailsyncDirection, for #GValue and property specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_DIRECTION (mailsync_direction_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_direction_get_type (void) G_GNUC_CONST;

/**
 * MailsyncFolderRole:
 * @MAILSYNC_FOLDER_ROLE_NONE: an ordinary folder
 * @MAILSYNC_FOLDER_ROLE_INBOX: the inbox
 * @MAILSYNC_FOLDER_ROLE_SENT: sent mail (`\Sent`)
 * @MAILSYNC_FOLDER_ROLE_TRASH: deleted mail (`\Trash`)
 * @MAILSYNC_FOLDER_ROLE_DRAFTS: drafts (`\Drafts`)
 * @MAILSYNC_FOLDER_ROLE_JUNK: spam (`\Junk`, XLIST's `\Spam`)
 * @MAILSYNC_FOLDER_ROLE_ARCHIVE: archived mail (`\Archive`)
 * @MAILSYNC_FOLDER_ROLE_ALL: a virtual folder of all mail (`\All`, XLIST's
 *   `\AllMail`)
 * @MAILSYNC_FOLDER_ROLE_FLAGGED: a virtual folder of flagged mail
 *   (`\Flagged`, XLIST's `\Starred`)
 *
 * What a folder is for: the special use a server announces (RFC 6154
 * SPECIAL-USE, or Gmail's older XLIST), or, where the store says nothing
 * (a Maildir), what its name says (Maildir++ `Sent`, `Trash`, `Drafts`,
 * `Junk` or `Spam`, `Archive`). A folder has one role: where a server
 * gives several, the first in this list's order wins.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_FOLDER_ROLE_NONE,
  MAILSYNC_FOLDER_ROLE_INBOX,
  MAILSYNC_FOLDER_ROLE_SENT,
  MAILSYNC_FOLDER_ROLE_TRASH,
  MAILSYNC_FOLDER_ROLE_DRAFTS,
  MAILSYNC_FOLDER_ROLE_JUNK,
  MAILSYNC_FOLDER_ROLE_ARCHIVE,
  MAILSYNC_FOLDER_ROLE_ALL,
  MAILSYNC_FOLDER_ROLE_FLAGGED,
} MailsyncFolderRole;

/**
 * MAILSYNC_TYPE_FOLDER_ROLE:
 *
 * The #GType of #MailsyncFolderRole, for #GValue and property specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_FOLDER_ROLE (mailsync_folder_role_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_folder_role_get_type (void) G_GNUC_CONST;

/**
 * MailsyncFolderCapabilities:
 * @MAILSYNC_FOLDER_CAPABILITY_NONE: none of these
 * @MAILSYNC_FOLDER_CAPABILITY_KEYWORDS: the folder stores keywords
 *   (mailsync_folder_set_keywords_async()); the sync engine syncs them
 *   when both sides of a folder pair can
 * @MAILSYNC_FOLDER_CAPABILITY_LABELS: the folder has Gmail-style labels
 *   (mailsync_folder_fetch_labels_async(),
 *   mailsync_folder_store_labels_async()): synclabels. An IMAP folder has
 *   it whatever the server; one without Gmail's X-GM-EXT-1 refuses the
 *   commands
 * @MAILSYNC_FOLDER_CAPABILITY_MESSAGE_IDS: the folder gives the Message-ID
 *   of a set of messages in one round trip
 *   (mailsync_folder_fetch_message_ids_async()): a remote side of move
 *   detection
 * @MAILSYNC_FOLDER_CAPABILITY_MOVE_MESSAGE: a message can be moved to
 *   another folder of the same class under a UID the caller gives, at
 *   once (mailsync_folder_move_message_async(); mailsync_folder_move_message()
 *   for a store whose move is one rename): a local side of move detection
 * @MAILSYNC_FOLDER_CAPABILITY_CHANGE_STAMP: the folder can say whether it
 *   changed since its last listing in one round trip
 *   (mailsync_folder_probe_stamp_async(),
 *   mailsync_folder_dup_listing_stamp()): a remote side of the
 *   unchanged-folder skip
 *
 * What a folder can do beyond the operations every folder has, as
 * mailsync_folder_get_capabilities() gives it.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/
{
  MAILSYNC_FOLDER_CAPABILITY_NONE         = 0,
  MAILSYNC_FOLDER_CAPABILITY_KEYWORDS     = 1 << 0,
  MAILSYNC_FOLDER_CAPABILITY_LABELS       = 1 << 1,
  MAILSYNC_FOLDER_CAPABILITY_MESSAGE_IDS  = 1 << 2,
  MAILSYNC_FOLDER_CAPABILITY_MOVE_MESSAGE = 1 << 3,
  MAILSYNC_FOLDER_CAPABILITY_CHANGE_STAMP = 1 << 4,
} MailsyncFolderCapabilities;

/**
 * MAILSYNC_TYPE_FOLDER_CAPABILITIES:
 *
 * The #GType of #MailsyncFolderCapabilities, for #GValue and property
 * specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_FOLDER_CAPABILITIES (mailsync_folder_capabilities_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_folder_capabilities_get_type (void) G_GNUC_CONST;

/**
 * MailsyncLabelOperation:
 * @MAILSYNC_LABEL_OPERATION_SET: the labels given become the messages' labels
 * @MAILSYNC_LABEL_OPERATION_ADD: the labels given are added
 * @MAILSYNC_LABEL_OPERATION_REMOVE: the labels given are removed
 *
 * What mailsync_folder_store_labels_async() does with its labels.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_LABEL_OPERATION_SET,
  MAILSYNC_LABEL_OPERATION_ADD,
  MAILSYNC_LABEL_OPERATION_REMOVE,
} MailsyncLabelOperation;

/**
 * MAILSYNC_TYPE_LABEL_OPERATION:
 *
 * The #GType of #MailsyncLabelOperation, for #GValue and property
 * specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_LABEL_OPERATION (mailsync_label_operation_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_label_operation_get_type (void) G_GNUC_CONST;

MAILSYNC_AVAILABLE_IN_ALL
char          *mailsync_flags_to_maildir (MailsyncFlags flags);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncFlags  mailsync_flags_from_maildir (const char *letters);

G_END_DECLS
