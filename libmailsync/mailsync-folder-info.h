#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib-object.h>
#include "mailsync-version-macros.h"
#include "mailsync-enums.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_FOLDER_INFO:
 *
 * The #GType of #MailsyncFolderInfo, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_FOLDER_INFO (mailsync_folder_info_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncFolderInfo, mailsync_folder_info, MAILSYNC, FOLDER_INFO, GObject)

MAILSYNC_AVAILABLE_IN_ALL
const char         *mailsync_folder_info_get_name         (MailsyncFolderInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
const char         *mailsync_folder_info_get_display_name (MailsyncFolderInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
char                mailsync_folder_info_get_separator    (MailsyncFolderInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
gint64              mailsync_folder_info_get_total        (MailsyncFolderInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
gint64              mailsync_folder_info_get_unseen       (MailsyncFolderInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
gint64              mailsync_folder_info_get_recent       (MailsyncFolderInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncFolderRole  mailsync_folder_info_get_role         (MailsyncFolderInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_folder_info_is_subscribed    (MailsyncFolderInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_folder_info_is_selectable    (MailsyncFolderInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_folder_info_has_children     (MailsyncFolderInfo *self);

G_END_DECLS
