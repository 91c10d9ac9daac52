#pragma once

#include <gio/gio.h>
#include "mailsync-ui.h"

G_BEGIN_DECLS

/* presynchook / postsynchook: a shell command run with /bin/sh -c, its
 * output reported through the UI after it exits (offlineimap's
 * "Calling hook", "Hook stdout", "Hook return code" messages); its exit
 * status never stops a sync.  @sync_mode is exported as
 * OFFLINEIMAPSYNCMODE (full, quick or idle) as offlineimap 8.0.1 does. */
int mailsync_hook_run (MailsyncUi *ui,
                       const char *thread,
                       const char *command,
                       const char *sync_mode,
                       gboolean    dry_run);

G_END_DECLS
