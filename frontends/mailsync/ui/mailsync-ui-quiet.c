/* quiet: offlineimap's Noninteractive.Quiet, basic at WARNING level, so the
 * banner and the progress lines vanish and only problems are printed. */
#include "config.h"
#include "mailsync-ui-quiet.h"

struct _MailsyncUiQuiet
{
  MailsyncUi parent_instance;
};

G_DEFINE_FINAL_TYPE (MailsyncUiQuiet, mailsync_ui_quiet, MAILSYNC_TYPE_UI)

static void
mailsync_ui_quiet_class_init (MailsyncUiQuietClass *klass)
{
}

static void
mailsync_ui_quiet_init (MailsyncUiQuiet *self)
{
  mailsync_ui_set_level (MAILSYNC_UI (self), MAILSYNC_UI_LEVEL_WARNING);
  mailsync_ui_set_output (MAILSYNC_UI (self), stdout);
}
