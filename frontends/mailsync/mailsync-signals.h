#pragma once

#include "mailsync-runner.h"

G_BEGIN_DECLS

/* Signals of a sync run, as offlineimap(1) describes them: USR1 sync now,
 * USR2/ABRT finish the current sync then exit, TERM/INT/HUP stop at the
 * next folder boundary (the second one at once, the third aborts), QUIT
 * dumps where each account is and aborts.  Handled on the main loop:
 * the C handlers of ABRT and QUIT only write to a pipe. */
typedef struct _MailsyncSignals MailsyncSignals;

MailsyncSignals *mailsync_signals_install (MailsyncRunner *runner,
                                           MailsyncUi     *ui,
                                           gboolean        dump_on_stop);
void             mailsync_signals_remove  (MailsyncSignals *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncSignals, mailsync_signals_remove)

G_END_DECLS
