#pragma once

#include <libmailsync/mailsync.h>
#include "mailsync-ui.h"

G_BEGIN_DECLS

/* offlineimap's mbnames: a "mailboxes" file for the MUA built from one
 * JSON cache per account (<metadata>/mbnames/<ACCOUNT>.json, the format
 * offlineimap writes, so either program can continue the other's file). */
typedef struct _MailsyncMbnames MailsyncMbnames;

MailsyncMbnames *mailsync_mbnames_new             (MailsyncConfig      *config,
                                                   const char          *metadata_dir,
                                                   MailsyncUi          *ui,
                                                   gboolean             dry_run,
                                                   GError             **error);
void             mailsync_mbnames_free            (MailsyncMbnames     *self);
gboolean         mailsync_mbnames_is_enabled      (MailsyncMbnames     *self);
gboolean         mailsync_mbnames_is_incremental  (MailsyncMbnames     *self);
gboolean         mailsync_mbnames_write_account   (MailsyncMbnames     *self,
                                                   const char          *account,
                                                   const char          *localfolders,
                                                   const char * const  *folders,
                                                   GError             **error);
gboolean         mailsync_mbnames_write           (MailsyncMbnames     *self,
                                                   GError             **error);
gboolean         mailsync_mbnames_prune           (MailsyncMbnames     *self,
                                                   const char * const  *keep_accounts,
                                                   GError             **error);

/* Exposed for the unit of the Python string-literal subset. */
char            *mailsync_mbnames_eval_string     (const char          *expression,
                                                   GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncMbnames, mailsync_mbnames_free)

G_END_DECLS
