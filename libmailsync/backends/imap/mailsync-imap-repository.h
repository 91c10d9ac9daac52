#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include "../../mailsync-repository.h"
#include "mailsync-imap-error.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_IMAP_REPOSITORY:
 *
 * The #GType of #MailsyncImapRepository, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_IMAP_REPOSITORY (mailsync_imap_repository_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncImapRepository, mailsync_imap_repository, MAILSYNC, IMAP_REPOSITORY, MailsyncRepository)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepository *mailsync_imap_repository_new (const char *name,
                                                  const char *host,
                                                  guint16     port);

MAILSYNC_AVAILABLE_IN_ALL
const char         *mailsync_imap_repository_get_greeting     (MailsyncImapRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
const char *const  *mailsync_imap_repository_get_capabilities (MailsyncImapRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void                mailsync_imap_repository_get_stats        (MailsyncImapRepository *self,
                                                               guint64                *bytes_read,
                                                               guint64                *bytes_written,
                                                               guint64                *commands_sent);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_imap_repository_get_decode_folder_names (MailsyncImapRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void                mailsync_imap_repository_set_decode_folder_names (MailsyncImapRepository *self,
                                                                      gboolean                decode);

G_END_DECLS
