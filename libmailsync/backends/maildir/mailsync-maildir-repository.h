#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include "../../mailsync-repository.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_MAILDIR_REPOSITORY:
 *
 * The #GType of #MailsyncMaildirRepository, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_MAILDIR_REPOSITORY (mailsync_maildir_repository_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncMaildirRepository, mailsync_maildir_repository, MAILSYNC, MAILDIR_REPOSITORY, MailsyncRepository)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepository *mailsync_maildir_repository_new (const char *name,
                                                     const char *root,
                                                     char        separator);
MAILSYNC_AVAILABLE_IN_ALL
const char *mailsync_maildir_repository_get_root (MailsyncMaildirRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_maildir_repository_set_custom_flag (MailsyncMaildirRepository *self,
                                                         char                       letter,
                                                         const char                *keyword);

MAILSYNC_AVAILABLE_IN_ALL
char       *mailsync_maildir_repository_get_custom_flag (MailsyncMaildirRepository *self,
                                                         char                       letter);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_maildir_repository_get_assign_uids (MailsyncMaildirRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_maildir_repository_set_assign_uids (MailsyncMaildirRepository *self,
                                                         gboolean                   value);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_maildir_repository_get_fsync (MailsyncMaildirRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_maildir_repository_set_fsync (MailsyncMaildirRepository *self,
                                                   gboolean                   value);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_maildir_repository_get_windows_compatible (MailsyncMaildirRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_maildir_repository_set_windows_compatible (MailsyncMaildirRepository *self,
                                                                gboolean                   value);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_maildir_repository_get_utime_from_header (MailsyncMaildirRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_maildir_repository_set_utime_from_header (MailsyncMaildirRepository *self,
                                                               gboolean                   value);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_maildir_repository_get_filename_use_mail_timestamp (MailsyncMaildirRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_maildir_repository_set_filename_use_mail_timestamp (MailsyncMaildirRepository *self,
                                                                         gboolean                   value);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_maildir_repository_get_restore_atime (MailsyncMaildirRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_maildir_repository_set_restore_atime (MailsyncMaildirRepository *self,
                                                           gboolean                   value);

G_END_DECLS
