#pragma once

#include "mailsync-ui.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_UI_MACHINEUI (mailsync_ui_machineui_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncUiMachineui, mailsync_ui_machineui, MAILSYNC, UI_MACHINEUI, MailsyncUi)

G_END_DECLS
