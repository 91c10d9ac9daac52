/* The unchanged-folder record (issue 13 item 1): what a no-op resync
 * compares instead of listing both sides. See mailsync-sync-unchanged.c. */
#pragma once

#include <glib.h>
#include "mailsync-status-store.h"
#include "mailsync-folder-engine-private.h"

G_BEGIN_DECLS

gint64   _mailsync_unchanged_now_ns    (void);

/* The record of status folder @name: `<status file>.mailsync-unchanged`. */
char    *_mailsync_unchanged_path      (MailsyncStatusStore *status, const char *name);
/* Everything the record compares: the remote stamp, the local folder's
 * directory and stamp, and the stat() of the status files. */
char    *_mailsync_unchanged_key       (MailsyncStatusStore        *status,
                                        const char                 *name,
                                        const char                 *remote_stamp,
                                        const char                 *maildir,
                                        const _MailsyncFolderStamp *local);
/* The record's key and message counts, or FALSE when there is none or it
 * does not read back. */
gboolean _mailsync_unchanged_read      (const char *path, char **key, guint *n_local, guint *n_remote);
void     _mailsync_unchanged_write     (const char *path, const char *key, guint n_local, guint n_remote);
/* Removes the record; TRUE when there was none or it is gone. */
gboolean _mailsync_unchanged_forget    (const char *path);

/* A folder to record once the account's folders are synced: everything
 * the record needs from the run (taken when the folder ended), and the
 * status rows as a digest (O(1) memory per folder) that the verifying
 * scan of the Maildir's file names must match. */
typedef struct _MailsyncUnchangedPending MailsyncUnchangedPending;

MailsyncUnchangedPending *_mailsync_unchanged_pending_new (MailsyncStatusStore *status,
                                                           const char          *name,
                                                           const char          *remote_stamp,
                                                           const char          *maildir,
                                                           MailsyncFolder      *local,
                                                           guint                n_local,
                                                           guint                n_remote);
/* One status row: its UID and its flags column (the file's letters). */
void     _mailsync_unchanged_pending_add_row (MailsyncUnchangedPending *pending,
                                              guint32                   uid,
                                              const char               *flags);
void     _mailsync_unchanged_pending_free    (MailsyncUnchangedPending *pending);
/* Verifies and writes the records of @pending (MailsyncUnchangedPending),
 * waiting at most once for the time stamps' granularity. */
void     _mailsync_unchanged_record_pending  (GPtrArray *pending);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncUnchangedPending, _mailsync_unchanged_pending_free)

G_END_DECLS
