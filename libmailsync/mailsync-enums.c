#include "config.h"

#include "mailsync-enums.h"

#include <string.h>

G_DEFINE_FLAGS_TYPE (MailsyncFlags, mailsync_flags,
  G_DEFINE_ENUM_VALUE (MAILSYNC_FLAG_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FLAG_SEEN, "seen"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FLAG_ANSWERED, "answered"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FLAG_FLAGGED, "flagged"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FLAG_DELETED, "deleted"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FLAG_DRAFT, "draft"))

G_DEFINE_ENUM_TYPE (MailsyncSyncEventKind, mailsync_sync_event_kind,
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED, "account-started"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED, "account-finished"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_FOLDER_STARTED, "folder-started"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_FOLDER_FINISHED, "folder-finished"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED, "folder-skipped"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_FOLDER_CREATED, "folder-created"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, "message-copied"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_MESSAGES_DELETED, "messages-deleted"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_FLAGS_ADDED, "flags-added"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_FLAGS_REMOVED, "flags-removed"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_WARNING, "warning"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_ERROR, "error"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_DEBUG, "debug"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_SYNC_FOLDERS, "sync-folders"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_STATUS_CREATED, "status-created"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_LIST_LOADING, "list-loading"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_LIST_LOADED, "list-loaded"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES, "syncing-messages"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM, "validity-problem"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_MESSAGE_IGNORED, "message-ignored"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_LABELS_ADDED, "labels-added"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_LABELS_REMOVED, "labels-removed"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_LABELS_SET, "labels-set"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_COLLECTING_DATA, "collecting-data"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_FOLDER_PLANNED, "folder-planned"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_SYNC_EVENT_ACCOUNT_PLANNED, "account-planned"))

G_DEFINE_ENUM_TYPE (MailsyncDirection, mailsync_direction,
  G_DEFINE_ENUM_VALUE (MAILSYNC_DIRECTION_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_DIRECTION_TO_LOCAL, "to-local"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_DIRECTION_TO_REMOTE, "to-remote"))

G_DEFINE_ENUM_TYPE (MailsyncFolderRole, mailsync_folder_role,
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_ROLE_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_ROLE_INBOX, "inbox"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_ROLE_SENT, "sent"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_ROLE_TRASH, "trash"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_ROLE_DRAFTS, "drafts"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_ROLE_JUNK, "junk"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_ROLE_ARCHIVE, "archive"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_ROLE_ALL, "all"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_ROLE_FLAGGED, "flagged"))

G_DEFINE_FLAGS_TYPE (MailsyncFolderCapabilities, mailsync_folder_capabilities,
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_CAPABILITY_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_CAPABILITY_KEYWORDS, "keywords"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_CAPABILITY_LABELS, "labels"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_CAPABILITY_MESSAGE_IDS, "message-ids"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_CAPABILITY_MOVE_MESSAGE, "move-message"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_FOLDER_CAPABILITY_CHANGE_STAMP, "change-stamp"))

G_DEFINE_ENUM_TYPE (MailsyncLabelOperation, mailsync_label_operation,
  G_DEFINE_ENUM_VALUE (MAILSYNC_LABEL_OPERATION_SET, "set"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_LABEL_OPERATION_ADD, "add"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_LABEL_OPERATION_REMOVE, "remove"))

/* Ordered by ASCII: offlineimap writes flag letters sorted, and the status
 * store compares strings, so the order must be stable. */
static const struct
{
  char letter;
  MailsyncFlags flag;
} flag_letters[] = {
  { 'D', MAILSYNC_FLAG_DRAFT },
  { 'F', MAILSYNC_FLAG_FLAGGED },
  { 'R', MAILSYNC_FLAG_ANSWERED },
  { 'S', MAILSYNC_FLAG_SEEN },
  { 'T', MAILSYNC_FLAG_DELETED },
};

/**
 * mailsync_flags_to_maildir:
 * @flags: system flags
 *
 * Spells @flags as Maildir letters in ASCII order ("FS" for flagged+seen).
 *
 * Returns: (transfer full): the letters, "" for no flag
 *
 * Since: 0.1
 */
char *
mailsync_flags_to_maildir (MailsyncFlags flags)
{
  char buf[G_N_ELEMENTS (flag_letters) + 1];
  gsize n = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (flag_letters); i++)
    if (flags & flag_letters[i].flag)
      buf[n++] = flag_letters[i].letter;
  buf[n] = '\0';
  return g_strdup (buf);
}

/**
 * mailsync_flags_from_maildir:
 * @letters: (nullable): Maildir flag letters
 *
 * Reads the system flags among @letters; other letters are ignored.
 *
 * Returns: the flags
 *
 * Since: 0.1
 */
MailsyncFlags
mailsync_flags_from_maildir (const char *letters)
{
  MailsyncFlags flags = MAILSYNC_FLAG_NONE;

  for (const char *p = letters; p != NULL && *p; p++)
    for (gsize i = 0; i < G_N_ELEMENTS (flag_letters); i++)
      if (*p == flag_letters[i].letter)
        flags |= flag_letters[i].flag;
  return flags;
}
