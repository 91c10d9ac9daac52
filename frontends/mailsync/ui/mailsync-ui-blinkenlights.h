#pragma once

#include "mailsync-ui.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_UI_BLINKENLIGHTS (mailsync_ui_blinkenlights_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncUiBlinkenlights, mailsync_ui_blinkenlights, MAILSYNC, UI_BLINKENLIGHTS, MailsyncUi)

/* the key the user pressed since the last call, as mailsync_ui_poll_request() */
int mailsync_ui_blinkenlights_poll (MailsyncUiBlinkenlights *self);

G_END_DECLS
