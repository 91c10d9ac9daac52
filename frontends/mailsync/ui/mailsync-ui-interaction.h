/* The mailsync command's MailsyncInteraction: the library's questions go
 * to the UI's prompt (ttyui, blinkenlights, machineui ask; the others
 * cannot, and answer nothing, as offlineimap's). */
#pragma once

#include "mailsync-ui.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_UI_INTERACTION (mailsync_ui_interaction_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncUiInteraction, mailsync_ui_interaction, MAILSYNC, UI_INTERACTION, MailsyncInteraction)

/* Asks through @ui for the account named @account (its prompt names the
 * account's thread, machineui's getpass line too). */
MailsyncInteraction *mailsync_ui_interaction_new (MailsyncUi *ui,
                                                  const char *account);

G_END_DECLS
