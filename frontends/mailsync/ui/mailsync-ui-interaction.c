/* The UI's password prompt as a MailsyncInteraction (issue 10 item 1):
 * the library asks through it when it needs a password (when an account
 * connects without one, through the config's password function, and
 * after the server refused one), as offlineimap's UIs prompt. */
#include "config.h"

#include "mailsync-ui-interaction.h"

struct _MailsyncUiInteraction
{
  MailsyncInteraction parent_instance;

  MailsyncUi *ui;
  char *account;
};

G_DEFINE_FINAL_TYPE (MailsyncUiInteraction, mailsync_ui_interaction, MAILSYNC_TYPE_INTERACTION)

/* Blocking, on the thread that syncs the account: the prompt reads the
 * terminal or stdin, and the UI's lock holds other threads' output. */
static MailsyncInteractionResult
ui_ask_password (MailsyncInteraction *interaction, const char *repository, const char *user, const char *host,
                 const GError *previous_error, GCancellable *cancellable, char **password, GError **error)
{
  MailsyncUiInteraction *self = MAILSYNC_UI_INTERACTION (interaction);
  g_autofree char *thread = mailsync_ui_account_thread (self->account);

  /* offlineimap shows why before it asks again */
  if (previous_error != NULL)
    mailsync_ui_warn (self->ui, thread, "%s", previous_error->message);
  *password = mailsync_ui_ask_password (self->ui, self->account, user ? user : "");
  return *password != NULL ? MAILSYNC_INTERACTION_HANDLED : MAILSYNC_INTERACTION_UNHANDLED;
}

static void
mailsync_ui_interaction_finalize (GObject *object)
{
  MailsyncUiInteraction *self = MAILSYNC_UI_INTERACTION (object);

  g_clear_object (&self->ui);
  g_free (self->account);
  G_OBJECT_CLASS (mailsync_ui_interaction_parent_class)->finalize (object);
}

static void
mailsync_ui_interaction_class_init (MailsyncUiInteractionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_ui_interaction_finalize;
  /* No OAuth2 flow and no certificate prompt in offlineimap's UIs: the
   * defaults answer nothing, and the error stands. */
  MAILSYNC_INTERACTION_CLASS (klass)->ask_password = ui_ask_password;
}

static void
mailsync_ui_interaction_init (MailsyncUiInteraction *self)
{
}

MailsyncInteraction *
mailsync_ui_interaction_new (MailsyncUi *ui, const char *account)
{
  MailsyncUiInteraction *self = g_object_new (MAILSYNC_TYPE_UI_INTERACTION, NULL);

  self->ui = g_object_ref (ui);
  self->account = g_strdup (account);
  return MAILSYNC_INTERACTION (self);
}
