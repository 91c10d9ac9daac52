/* machineui: offlineimap's Machine.MachineUI, protocol 7.2.0, for programs
 * that drive mailsync.  Every line is "severity:command:thread:payload"
 * with thread and payload encoded as Python's quote_plus() does, so that a
 * parser splits on the first three colons.  Parsers written for
 * offlineimap read mailsync's output unchanged. */
#include "config.h"
#include "mailsync-ui-machineui.h"

#include <string.h>

#define PROTOCOL "7.2.0"

struct _MailsyncUiMachineui
{
  MailsyncUi parent_instance;
};

G_DEFINE_FINAL_TYPE (MailsyncUiMachineui, mailsync_ui_machineui, MAILSYNC_TYPE_UI)

static const char *
severity (MailsyncUiLevel level)
{
  switch (level)
    {
    case MAILSYNC_UI_LEVEL_DEBUG: return "debug";
    case MAILSYNC_UI_LEVEL_INFO: return "msg";
    case MAILSYNC_UI_LEVEL_WARNING: return "warn";
    case MAILSYNC_UI_LEVEL_ERROR: return "error";
    default: return "critical";
    }
}

static void
print_line (MailsyncUi *ui, MailsyncUiLevel level, const char *command, const char *thread, const char *payload)
{
  FILE *out = mailsync_ui_get_output (ui);
  g_autofree char *t = mailsync_ui_quote_plus (thread);
  g_autofree char *p = mailsync_ui_quote_plus (payload);

  if (out == NULL || !mailsync_ui_wants (ui, level))
    return;
  fprintf (out, "%s:%s:%s:%s\n", severity (level), command, t, p);
  fflush (out);
}

static void
mailsync_ui_machineui_render (MailsyncUi *ui, const MailsyncUiLine *line)
{
  if (line->payload == NULL)
    return;
  print_line (ui, line->machine_level, line->command, line->thread, line->payload);
}

static void
mailsync_ui_machineui_banner (MailsyncUi *ui)
{
  FILE *out = mailsync_ui_get_output (ui);

  /* offlineimap logs the banner before it installs the encoding formatter:
   * parsers expect it raw, then the protocol line. */
  if (out != NULL && mailsync_ui_wants (ui, MAILSYNC_UI_LEVEL_INFO))
    fprintf (out, "%s\n", mailsync_ui_banner_text ());
  print_line (ui, MAILSYNC_UI_LEVEL_INFO, "protocol", "MainThread", PROTOCOL);
  MAILSYNC_UI_CLASS (mailsync_ui_machineui_parent_class)->banner (ui);
}

static void
mailsync_ui_machineui_terminate (MailsyncUi *ui, int status, const char *title, const char *text)
{
  g_autofree char *payload = g_strdup_printf ("%d\n%s\n%s", status, title ? title : "", text ? text : "");

  /* No recap: parsers saw every error as it happened. */
  print_line (ui, MAILSYNC_UI_LEVEL_INFO, "terminate", "MainThread", payload);
}

static char *
mailsync_ui_machineui_ask_password (MailsyncUi *ui, const char *account, const char *user)
{
  g_autoptr(GString) line = g_string_new (NULL);
  int c;

  g_autofree char *thread = account ? mailsync_ui_account_thread (account) : g_strdup ("MainThread");

  print_line (ui, MAILSYNC_UI_LEVEL_INFO, "getpass", thread, user ? user : "");
  /* The driving program answers with one line on our stdin. */
  while ((c = getchar ()) != EOF && c != '\n')
    g_string_append_c (line, (char) c);
  if (c == EOF && line->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static void
mailsync_ui_machineui_class_init (MailsyncUiMachineuiClass *klass)
{
  MailsyncUiClass *ui_class = MAILSYNC_UI_CLASS (klass);

  ui_class->render = mailsync_ui_machineui_render;
  ui_class->reads_payloads = TRUE;
  ui_class->banner = mailsync_ui_machineui_banner;
  ui_class->terminate = mailsync_ui_machineui_terminate;
  ui_class->ask_password = mailsync_ui_machineui_ask_password;
}

static void
mailsync_ui_machineui_init (MailsyncUiMachineui *self)
{
  mailsync_ui_set_output (MAILSYNC_UI (self), stdout);
}
