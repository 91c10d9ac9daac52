#pragma once

#include "mailsync-ui.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_UI_QUIET (mailsync_ui_quiet_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncUiQuiet, mailsync_ui_quiet, MAILSYNC, UI_QUIET, MailsyncUi)

G_END_DECLS
