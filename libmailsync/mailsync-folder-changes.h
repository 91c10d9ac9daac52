#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib-object.h>
#include "mailsync-version-macros.h"
#include "mailsync-message-info.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_FOLDER_CHANGES:
 *
 * The #GType of #MailsyncFolderChanges, for type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_FOLDER_CHANGES (mailsync_folder_changes_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncFolderChanges, mailsync_folder_changes, MAILSYNC, FOLDER_CHANGES, GObject)

MAILSYNC_AVAILABLE_IN_ALL
GPtrArray *mailsync_folder_changes_get_added         (MailsyncFolderChanges *self);
MAILSYNC_AVAILABLE_IN_ALL
GPtrArray *mailsync_folder_changes_get_flags_changed (MailsyncFolderChanges *self);
MAILSYNC_AVAILABLE_IN_ALL
GPtrArray *mailsync_folder_changes_get_removed       (MailsyncFolderChanges *self);

G_END_DECLS
