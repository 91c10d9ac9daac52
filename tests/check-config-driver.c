/* Test driver for check-config-sync.py: loads a configuration file the
 * way the mailsync command does, builds its accounts with MailsyncConfig
 * and syncs them, printing one line per event.
 *
 *   check-config-driver [--load-only] CONFIG [ACCOUNT...]
 *
 * --load-only builds the accounts and prints "account NAME REMOTE-TYPE
 * LOCAL-TYPE" for each, without syncing: nothing is contacted, so a
 * config that names imap.gmail.com can be checked offline
 * (check-config-corpus.py).
 *
 * Warnings go to stderr as "warning: ..."; a password prompt, when the
 * configuration gives none, answers $MAILSYNC_TEST_PROMPT (and logs
 * "prompt: ACCOUNT REPO USER HOST" on stderr). */
#include "config.h"

#include <libmailsync/mailsync.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
on_event (MailsyncAccount *account, MailsyncSyncEvent *event, gpointer user_data)
{
  g_autoptr(GEnumClass) kinds = g_type_class_ref (MAILSYNC_TYPE_SYNC_EVENT_KIND);
  GEnumValue *kind = g_enum_get_value (kinds, mailsync_sync_event_get_kind (event));

  printf ("%s account=%s folder=%s uid=%u %s\n", kind->value_nick, mailsync_account_get_name (account),
          mailsync_sync_event_get_folder (event) ? mailsync_sync_event_get_folder (event) : "-",
          mailsync_sync_event_get_uid (event),
          mailsync_sync_event_get_text (event) ? mailsync_sync_event_get_text (event) : "");
  fflush (stdout);
}

static char *
prompt (const char *account, const char *repository, const char *user, const char *host, gpointer data)
{
  fprintf (stderr, "prompt: %s %s %s %s\n", account, repository, user ? user : "-", host ? host : "-");
  return g_strdup (g_getenv ("MAILSYNC_TEST_PROMPT"));
}

int
main (int argc, char **argv)
{
  g_autoptr(MailsyncConfigFile) file = mailsync_config_file_new ();
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  g_auto(GStrv) warnings = NULL;
  gboolean load_only = FALSE;
  int status = 0;

  if (argc >= 2 && strcmp (argv[1], "--load-only") == 0)
    {
      load_only = TRUE;
      argv++;
      argc--;
    }
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s [--load-only] CONFIG [ACCOUNT...]\n", argv[0]);
      return 2;
    }
  if (!mailsync_config_file_load_from_file (file, argv[1], &error) ||
      (config = mailsync_config_new (file, &error)) == NULL)
    {
      fprintf (stderr, "ERROR: %s\n", error->message);
      return 1;
    }
  if (g_getenv ("MAILSYNC_TEST_PROMPT"))
    mailsync_config_set_password_func (config, prompt, NULL, NULL);
  names = argc > 2 ? g_strdupv (argv + 2) : mailsync_config_get_account_names (config, &error);
  if (names == NULL)
    {
      fprintf (stderr, "ERROR: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(MailsyncAccount) account = mailsync_config_create_account (config, names[i], NULL, &error);

      if (account == NULL)
        {
          fprintf (stderr, "ERROR: %s\n", error->message);
          g_clear_error (&error);
          status = 1;
          continue;
        }
      if (load_only)
        {
          printf ("account %s %s %s\n", names[i],
                  G_OBJECT_TYPE_NAME (mailsync_account_get_remote (account)),
                  G_OBJECT_TYPE_NAME (mailsync_account_get_local (account)));
          continue;
        }
      g_signal_connect (account, "event", G_CALLBACK (on_event), NULL);
      if (!mailsync_account_sync (account, NULL, &error))
        {
          fprintf (stderr, "ERROR: %s\n", error->message);
          g_clear_error (&error);
          status = 1;
        }
    }
  warnings = mailsync_config_get_warnings (config);
  for (guint i = 0; warnings[i] != NULL; i++)
    fprintf (stderr, "warning: %s\n", warnings[i]);
  return status;
}
