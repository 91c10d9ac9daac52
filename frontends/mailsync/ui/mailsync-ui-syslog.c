/* syslog: offlineimap's Noninteractive.Syslog, the basic lines sent to the
 * system log as "mailsync[PID]: MSG"; nothing on the terminal, so that it
 * can run from cron or a unit.  Facility user, as Python's SysLogHandler
 * default that offlineimap uses, so existing log rules keep matching. */
#include "config.h"
#include "mailsync-ui-syslog.h"

#include <syslog.h>

struct _MailsyncUiSyslog
{
  MailsyncUi parent_instance;
};

G_DEFINE_FINAL_TYPE (MailsyncUiSyslog, mailsync_ui_syslog, MAILSYNC_TYPE_UI)

static void
mailsync_ui_syslog_render (MailsyncUi *ui, const MailsyncUiLine *line)
{
  if (line->text == NULL || !mailsync_ui_wants (ui, line->level))
    return;
  syslog (_mailsync_ui_level_priority (line->level), "%s", line->text);
}

static void
mailsync_ui_syslog_finalize (GObject *object)
{
  closelog ();
  G_OBJECT_CLASS (mailsync_ui_syslog_parent_class)->finalize (object);
}

static void
mailsync_ui_syslog_class_init (MailsyncUiSyslogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_ui_syslog_finalize;
  MAILSYNC_UI_CLASS (klass)->render = mailsync_ui_syslog_render;
}

static void
mailsync_ui_syslog_init (MailsyncUiSyslog *self)
{
  openlog ("mailsync", LOG_PID, LOG_USER);
  mailsync_ui_set_output (MAILSYNC_UI (self), NULL);
}
