#pragma once

#include <libmailsync/mailsync.h>
#include "mailsync-ui.h"

G_BEGIN_DECLS

/* The run modes other than a sync: --info, --delete-folder and
 * --migrate-fmd5-using-nametrans.  Each returns the process exit status
 * and reports through the UI. */
int mailsync_mode_info          (MailsyncConfig      *config,
                                 MailsyncUi          *ui,
                                 const char * const  *accounts);
int mailsync_mode_delete_folder (MailsyncConfig      *config,
                                 MailsyncUi          *ui,
                                 const char * const  *accounts,
                                 const char          *folder,
                                 gboolean             dry_run);
int mailsync_mode_migrate_fmd5  (MailsyncConfig      *config,
                                 MailsyncUi          *ui,
                                 const char * const  *accounts,
                                 gboolean             dry_run);

G_END_DECLS
