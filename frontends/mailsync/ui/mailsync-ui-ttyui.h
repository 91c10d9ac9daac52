#pragma once

#include "mailsync-ui.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_UI_TTYUI (mailsync_ui_ttyui_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncUiTtyui, mailsync_ui_ttyui, MAILSYNC, UI_TTYUI, MailsyncUi)

G_END_DECLS
