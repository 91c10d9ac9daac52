#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include "../../mailsync-folder.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_MAILDIR_FOLDER:
 *
 * The #GType of #MailsyncMaildirFolder, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_MAILDIR_FOLDER (mailsync_maildir_folder_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncMaildirFolder, mailsync_maildir_folder, MAILSYNC, MAILDIR_FOLDER, MailsyncFolder)

MAILSYNC_AVAILABLE_IN_ALL
const char *mailsync_maildir_folder_get_path (MailsyncMaildirFolder *self);

G_END_DECLS
