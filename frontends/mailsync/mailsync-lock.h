#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The per-account lock of offlineimap (<metadata>/<ACCOUNT>.lock, an
 * fcntl write lock held for one sync iteration), so that mailsync and
 * offlineimap exclude each other on the same metadata directory. */
typedef struct _MailsyncLock MailsyncLock;

MailsyncLock *mailsync_lock_acquire (const char  *metadata_dir,
                                     const char  *account,
                                     GError     **error);
void          mailsync_lock_release (MailsyncLock *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncLock, mailsync_lock_release)

G_END_DECLS
