#pragma once

#include "mailsync-ui.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_UI_SYSLOG (mailsync_ui_syslog_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncUiSyslog, mailsync_ui_syslog, MAILSYNC, UI_SYSLOG, MailsyncUi)

G_END_DECLS
