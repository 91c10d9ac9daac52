#pragma once

#include "mailsync-ui.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_UI_BASIC (mailsync_ui_basic_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncUiBasic, mailsync_ui_basic, MAILSYNC, UI_BASIC, MailsyncUi)

G_END_DECLS
