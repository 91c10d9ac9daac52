/* A password the configuration gives, refused by the server (session 23,
 * audit F2), against a private Dovecot that really authenticates:
 *
 *  - the repository's interaction is not asked for another, whatever it
 *    would answer: the sync fails with MAILSYNC_ERROR_AUTHENTICATION_FAILED
 *    naming where the password came from (remotepass, remotepassfile,
 *    remotepasscmd, ~/.netrc), never the password; the account's next
 *    sync sends the configured one again, and again asks nobody
 *    (offlineimap 8's rule, its autorefresh alike);
 *  - a client re-asks when it wants: after the error it sets the
 *    repository's "password" (its user's answer) and syncs again; that
 *    password is the client's, and refused it is asked through the
 *    client's interaction as a library client's always is.
 *
 * The mailsync command's side (machineui with its stdin left open, each
 * source, the prompt without a configured password): check-cli-refused.py.
 * Dovecot is started once, by main(), before the tests fork. Without it
 * the cases are skipped. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync.h"
#include "interaction-fixtures.h"

#include <string.h>
#include <glib/gstdio.h>

#define WRONG "Wr0ng-configured"

static MailsyncTestServer server;

static const char *
env (const char *key)
{
  return mailsync_test_server_env (&server, key);
}

/* Account A in @base: a Maildir and the server's user as repository
 * Remote (STARTTLS), its password given by @password_lines. HOME is
 * @base, for the netrc case. */
static MailsyncAccount *
configured_account (const char *base, const char *password_lines, MailsyncConfig **config_out)
{
  g_autofree char *mail = g_build_filename (base, "Mail", NULL);
  g_autofree char *data = NULL;
  g_autoptr(MailsyncConfigFile) file = mailsync_config_file_new ();
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  MailsyncAccount *account;

  data = g_strdup_printf ("[general]\naccounts = A\nmetadata = %s/meta\n"
                          "[Account A]\nlocalrepository = L\nremoterepository = Remote\n"
                          "[Repository L]\ntype = Maildir\nlocalfolders = %s\n"
                          "[Repository Remote]\ntype = IMAP\nremotehost = %s\nremoteport = %s\nremoteuser = %s\n"
                          "ssl = no\nstarttls = yes\nsslcacertfile = %s\n%s",
                          base, mail, env ("DOVECOT_HOST"), env ("DOVECOT_PORT"), env ("DOVECOT_USER"),
                          env ("DOVECOT_CA"), password_lines);
  ck_assert_int_eq (g_mkdir_with_parents (mail, 0700), 0);
  g_setenv ("HOME", base, TRUE);
  ck_assert_msg (mailsync_config_file_load_from_data (file, data, -1, "t", &error), "%s", error->message);
  config = mailsync_config_new (file, &error);
  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  account = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  if (config_out != NULL)
    *config_out = g_steal_pointer (&config);
  return account;
}

/* The sync fails as a refused configured password: no question, the
 * source named, the password not shown. */
static void
assert_refused (MailsyncAccount *account, TestInteraction *interaction, const char *source)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *named = g_strdup_printf ("the password comes from %s", source);

  ck_assert (!mailsync_account_sync (account, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s: %s", source,
                 error->message);
  ck_assert_msg (strstr (error->message, named) != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, WRONG) == NULL, "%s", error->message);
  ck_assert_msg (interaction->password_asks == 0, "%s: asked %u times", source, interaction->password_asks);
}

/* Each source of a configured password, refused: the interaction, which
 * would give the right one, is never asked; the next sync tries the
 * configured one again (offlineimap's autorefresh) and asks nobody. */
START_TEST (test_configured_refused_not_asked)
{
  static const struct
  {
    const char *source;
    const char *lines;
  } cases[] = {
    { "remotepass", "remotepass = " WRONG "\n" },
    { "remotepassfile", "remotepassfile = ~/pass\n" },
    { "remotepasscmd", "remotepasscmd = echo " WRONG "\n" },
    { "~/.netrc", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *base = mailsync_test_mkdtemp ();
      g_autofree char *pass = g_build_filename (base, "pass", NULL);
      g_autofree char *netrc = g_build_filename (base, ".netrc", NULL);
      g_autofree char *entry = g_strdup_printf ("machine %s login %s password " WRONG "\n", env ("DOVECOT_HOST"),
                                                env ("DOVECOT_USER"));
      g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
      const char *answers[] = { env ("DOVECOT_PASS"), NULL };
      g_autoptr(MailsyncAccount) account = NULL;

      mailsync_test_write_file (pass, WRONG "\n");
      if (*cases[i].lines == '\0')
        {
          mailsync_test_write_file (netrc, entry);
          ck_assert_int_eq (g_chmod (netrc, 0600), 0);
        }
      account = configured_account (base, cases[i].lines, NULL);
      interaction->mode = ANSWER_PASSWORD;
      interaction->passwords = answers;
      mailsync_repository_set_interaction (mailsync_account_get_remote (account), MAILSYNC_INTERACTION (interaction));
      assert_refused (account, interaction, cases[i].source);
      assert_refused (account, interaction, cases[i].source);
      g_clear_object (&account);
      mailsync_test_rm_rf (base);
    }
}
END_TEST

/* The client decides when to ask: after the error it sets "password"
 * (its user's answer) and syncs again, without an interaction. A wrong
 * one is the client's own: refused, its interaction is asked with the
 * refusal, as for a repository the client built itself. */
START_TEST (test_client_reasks_when_it_wants)
{
  g_autofree char *base = mailsync_test_mkdtemp ();
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  const char *answers[] = { env ("DOVECOT_PASS"), NULL };
  g_autoptr(MailsyncAccount) account = configured_account (base, "remotepass = " WRONG "\n", NULL);
  MailsyncRepository *remote = mailsync_account_get_remote (account);
  g_autoptr(GError) error = NULL;

  interaction->mode = ANSWER_UNHANDLED;
  mailsync_repository_set_interaction (remote, MAILSYNC_INTERACTION (interaction));
  assert_refused (account, interaction, "remotepass");

  /* the client's own password, wrong: asked through its interaction */
  g_object_set (remote, "password", "Wr0ng-client", NULL);
  interaction->mode = ANSWER_PASSWORD;
  interaction->passwords = answers;
  ck_assert_msg (mailsync_account_sync (account, NULL, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->password_asks, 1);
  ck_assert (g_error_matches (interaction->previous_errors[0], MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED));
  ck_assert (strstr (interaction->previous_errors[0]->message, "comes from") == NULL);

  /* its user's right answer set after a refusal: synced, nobody asked */
  g_clear_object (&account);
  g_clear_object (&interaction);
  interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  account = configured_account (base, "remotepass = " WRONG "\n", NULL);
  remote = mailsync_account_get_remote (account);
  mailsync_repository_set_interaction (remote, MAILSYNC_INTERACTION (interaction));
  assert_refused (account, interaction, "remotepass");
  g_object_set (remote, "password", env ("DOVECOT_PASS"), NULL);
  ck_assert_msg (mailsync_account_sync (account, NULL, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->password_asks, 0);
  g_clear_object (&account);
  mailsync_test_rm_rf (base);
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("interaction-configured");
  TCase *tc = tcase_create ("imap");
  g_autofree char *base = NULL;
  gboolean have_server;
  int status;

  base = g_dir_make_tmp ("mailsync-configured-XXXXXX", NULL);
  g_assert (base != NULL);
  /* The harness wants every ancestor searchable by Dovecot's users. */
  g_chmod (base, 0755);
  have_server = g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE) &&
                mailsync_test_server_start (&server, "default", base);
  /* the syncs below have their own deadline (the repository's timeout) */
  tcase_set_timeout (tc, 3 * DEADLINE_SECONDS);
  if (have_server)
    {
      tcase_add_test (tc, test_configured_refused_not_asked);
      tcase_add_test (tc, test_client_reasks_when_it_wants);
    }
  else
    {
      mailsync_test_add_skipped_test (tc, test_configured_refused_not_asked, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_client_reasks_when_it_wants, MAILSYNC_TEST_NO_DOVECOT);
    }
  suite_add_tcase (suite, tc);
  status = mailsync_test_run (suite);
  mailsync_test_server_stop (&server);
  g_rmdir (base);
  return status;
}
