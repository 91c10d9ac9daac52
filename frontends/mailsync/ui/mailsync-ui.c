/* MailsyncUi: placeholder, the UIs land with issue 4. */
#include "config.h"
#include "mailsync-ui.h"

G_DEFINE_ABSTRACT_TYPE (MailsyncUi, mailsync_ui, G_TYPE_OBJECT)

static void
mailsync_ui_class_init (MailsyncUiClass *klass)
{
}

static void
mailsync_ui_init (MailsyncUi *self)
{
}
