#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include "../../mailsync-folder.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_IMAP_FOLDER:
 *
 * The #GType of #MailsyncImapFolder, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_IMAP_FOLDER (mailsync_imap_folder_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncImapFolder, mailsync_imap_folder, MAILSYNC, IMAP_FOLDER, MailsyncFolder)

G_END_DECLS
