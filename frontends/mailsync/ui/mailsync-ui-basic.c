/* basic: offlineimap's Noninteractive.Basic, every INFO line on stdout with
 * no thread information.  The base class's rendering is exactly that. */
#include "config.h"
#include "mailsync-ui-basic.h"

struct _MailsyncUiBasic
{
  MailsyncUi parent_instance;
};

G_DEFINE_FINAL_TYPE (MailsyncUiBasic, mailsync_ui_basic, MAILSYNC_TYPE_UI)

static void
mailsync_ui_basic_class_init (MailsyncUiBasicClass *klass)
{
}

static void
mailsync_ui_basic_init (MailsyncUiBasic *self)
{
  mailsync_ui_set_level (MAILSYNC_UI (self), MAILSYNC_UI_LEVEL_INFO);
  mailsync_ui_set_output (MAILSYNC_UI (self), stdout);
}
