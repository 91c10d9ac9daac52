#pragma once

#include <libmailsync/mailsync.h>

G_BEGIN_DECLS

/* -P DIR: what one account's syncs cost, per phase and per folder (wall
 * and CPU time, messages and flag changes moved each way), written as a
 * tab-separated text file DIR/<YYYYmmddHHMMSS>_<account>.prof that
 * mailsync(1) documents. */
typedef struct _MailsyncProfile MailsyncProfile;

MailsyncProfile *mailsync_profile_new         (const char        *account);
void             mailsync_profile_free        (MailsyncProfile   *self);
void             mailsync_profile_phase_begin (MailsyncProfile   *self,
                                               const char        *phase);
void             mailsync_profile_phase_end   (MailsyncProfile   *self);
void             mailsync_profile_event       (MailsyncProfile   *self,
                                               MailsyncSyncEvent *event);
void             mailsync_profile_set_account (MailsyncProfile   *self,
                                               MailsyncAccount   *account);
gboolean         mailsync_profile_write       (MailsyncProfile   *self,
                                               const char        *dir,
                                               GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncProfile, mailsync_profile_free)

G_END_DECLS
