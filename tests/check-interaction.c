/* Asking the user (issue 10 item 1): a MailsyncInteraction on an IMAP
 * repository, against a private Dovecot that really authenticates.
 *
 *  - a password nobody configured is asked, once, on the client's thread
 *    and context (not the repository's worker);
 *  - a wrong password is one failed login at the server (Dovecot's log
 *    counts the attempts of each connection), then the interaction is
 *    asked again with MAILSYNC_ERROR_AUTHENTICATION_FAILED; a client
 *    that stops answering gets that error, after one failed login;
 *  - a question can be cancelled while the interaction sits on it;
 *  - a certificate that fails verification (no harness CA: UNKNOWN_CA)
 *    is asked about with the host and PEM, rejected or accepted, and an
 *    accepted one is not asked about again in the process; nor is a login
 *    ever sent before the greeting after one (issue 13 item 6);
 *  - one question of a kind at a time (the async rule of the design): a
 *    client's second password question while one is out fails with
 *    G_IO_ERROR_PENDING (the library's own questions wait for their
 *    turn: check-interaction-question.c);
 *  - the config's password function (mailsync_config_set_password_func,
 *    asked at connect since session 20): an answer the server refused is
 *    not sent again by the accounts built after, which call it again;
 *    after a password change (Dovecot's passwd-file rewritten), another
 *    account's repository reconnects with the new password one of them
 *    logged in with, asking nobody (review22 M3);
 *  - a client's asked password, refused, is not sent again (review22 L4);
 *    a PREAUTH tunnel accepts no password (L5);
 *  - the "ask" signal and MailsyncQuestion: check-interaction-question.c.
 *
 * Dovecot is started once, by main(), before the tests fork. Without it
 * the IMAP cases are skipped. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync.h"
#include "mailsync-worker.h"
#include "mailsync-interaction-private.h"
#include "interaction-fixtures.h"
#include "backends/imap/mailsync-imap-private.h"

#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* The private Dovecot (mailsync-test.c's harness helpers), started by
 * main() before the tests fork. */
static MailsyncTestServer server;

static const char *
env (const char *key)
{
  return mailsync_test_server_env (&server, key);
}

/* STARTTLS with the harness CA; @password may be NULL. */
static MailsyncRepository *
imap_repository (const char *password)
{
  MailsyncRepository *repo = mailsync_imap_repository_new ("Remote", env ("DOVECOT_HOST"),
                                                           (guint16) atoi (env ("DOVECOT_PORT")));

  g_object_set (repo, "ssl", FALSE, "starttls", TRUE, "user", env ("DOVECOT_USER"),
                "ca-file", env ("DOVECOT_CA"), "timeout", 120u, NULL);
  if (password != NULL)
    g_object_set (repo, "password", password, NULL);
  return repo;
}

/* ---- the server's count of failed logins ------------------------------------ */

static goffset
log_size (void)
{
  GStatBuf st;

  ck_assert_int_eq (g_stat (env ("DOVECOT_LOG"), &st), 0);
  return st.st_size;
}

/* The server's log past @offset up to a marker: a login made now, as a
 * user of its own ("marker-PID-N", not in the passwd-file), refused.
 * Dovecot logs each login connection at its end; the connections of what
 * the test did were closed before its calls returned, and the marker's
 * connection (STARTTLS, then the login) starts after, so their lines come
 * before the marker's. The log is read (deadline) until the marker's
 * line is in it; the text returned ends where that line starts. A check
 * of what was logged then is exact: waiting for the first line of a kind
 * passed before a second could be logged (review25). */
static char *
log_until_marker (goffset offset)
{
  static guint markers;
  g_autofree char *user = g_strdup_printf ("marker-%d-%u", (int) getpid (), ++markers);
  g_autofree char *needle = g_strdup_printf ("user=<%s>,", user);
  g_autoptr(MailsyncRepository) repo = imap_repository ("Wr0ng-marker");
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  g_object_set (repo, "user", user, NULL);
  ck_assert (!mailsync_repository_open (repo, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  for (;;)
    {
      g_autofree char *text = NULL;
      gsize length = 0;
      char *found;

      ck_assert (g_file_get_contents (env ("DOVECOT_LOG"), &text, &length, NULL));
      ck_assert_uint_ge (length, offset);
      found = strstr (text + offset, needle);
      if (found != NULL)
        {
          while (found > text + offset && found[-1] != '\n')
            found--;
          return g_strndup (text + offset, (gsize) (found - (text + offset)));
        }
      ck_assert_msg (g_get_monotonic_time () < deadline, "the marker login %s was not logged", user);
      g_usleep (G_USEC_PER_SEC / 20); /* polling a file another process writes */
    }
}

/* Dovecot logs each login connection's end with "(auth failed, N
 * attempts in ...)": the sum of their N past @offset, up to a marker
 * (log_until_marker(); earlier markers' lines left out), and in
 * @connections (nullable) the number of such lines. */
static guint
failed_logins_since (goffset offset, guint *connections)
{
  g_autofree char *text = log_until_marker (offset);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint attempts = 0, failed = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *p = strstr (lines[i], "(auth failed, ");

      if (p == NULL || strstr (lines[i], "user=<marker-") != NULL)
        continue;
      failed++;
      attempts += (guint) strtoul (p + strlen ("(auth failed, "), NULL, 10);
    }
  if (connections != NULL)
    *connections = failed;
  return attempts;
}

/* The failed login attempts logged past @offset, counted once @logins
 * logins of @user are logged there: a barrier, the later success of the
 * same run (a repository closes a refused connection before it connects
 * again, and Dovecot logs the failure at that close, so a failure that
 * came before is logged before it; review23 L2). */
static guint
failed_logins_before_logins (goffset offset, const char *user, guint logins)
{
  g_autofree char *login = g_strdup_printf ("imap-login: Info: Login: user=<%s>,", user);
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *text = NULL;
      gsize length = 0;
      guint seen = 0, attempts = 0;
      const char *p;

      ck_assert (g_file_get_contents (env ("DOVECOT_LOG"), &text, &length, NULL));
      ck_assert_uint_ge (length, offset);
      for (p = text + offset; (p = strstr (p, login)) != NULL; p++)
        seen++;
      if (seen >= logins)
        {
          for (p = text + offset; (p = strstr (p, "(auth failed, ")) != NULL; p++)
            attempts += (guint) strtoul (p + strlen ("(auth failed, "), NULL, 10);
          return attempts;
        }
      ck_assert_msg (g_get_monotonic_time () < deadline, "only %u of %u logins of %s logged", seen, logins, user);
      g_usleep (G_USEC_PER_SEC / 20); /* polling a file another process writes */
    }
}

/* Whether @needle is in the server's log past @offset, up to a marker
 * (log_until_marker()). */
static gboolean
logged_since (goffset offset, const char *needle)
{
  g_autofree char *text = log_until_marker (offset);

  return strstr (text, needle) != NULL;
}

/* The scripted interaction (TestInteraction) is in interaction-fixtures.c. */

/* ---- opening from a client's main context ---------------------------------------- */

typedef struct
{
  GAsyncResult *result;
  TestInteraction *cancel_when_asked;
} Wait;

/* Opens @repo with open_async on a fresh context pushed by this thread,
 * iterating it until the open finishes (deadline). Returns its result. */
static gboolean
open_on_client_context (MailsyncRepository *repo, GCancellable *cancellable, TestInteraction *cancel_when_asked,
                        GMainContext **context_out, GError **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  gboolean ok;

  g_main_context_push_thread_default (context);
  mailsync_repository_open_async (repo, cancellable, _mailsync_store_result, &result);
  while (result == NULL)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "the open did not finish");
      if (cancel_when_asked != NULL && cancel_when_asked->password_asks > 0)
        {
          g_cancellable_cancel (cancellable);
          cancel_when_asked = NULL;
        }
      g_main_context_iteration (context, TRUE);
    }
  ok = mailsync_repository_open_finish (repo, result, error);
  g_main_context_pop_thread_default (context);
  if (context_out != NULL)
    *context_out = g_main_context_ref (context);
  return ok;
}

/* ---- the cases -------------------------------------------------------------------- */

START_TEST (test_password_asked_when_missing)
{
  g_autoptr(MailsyncRepository) repo = imap_repository (NULL);
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  const char *answers[] = { env ("DOVECOT_PASS"), NULL };
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();

  interaction->mode = ANSWER_PASSWORD;
  interaction->passwords = answers;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert_msg (open_on_client_context (repo, NULL, NULL, &context, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->password_asks, 1);
  ck_assert (interaction->previous_errors[0] == NULL);
  ck_assert_str_eq (interaction->user, env ("DOVECOT_USER"));
  ck_assert_str_eq (interaction->host, env ("DOVECOT_HOST"));
  /* asked on the client's thread and context, not on the worker's */
  ck_assert (interaction->thread == g_thread_self ());
  ck_assert (interaction->context == context);
  ck_assert_msg (mailsync_repository_close (repo, NULL, &error), "%s", error ? error->message : "");

  /* kept for the process: a second open asks nothing */
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->password_asks, 1);
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
  ck_assert_uint_eq (failed_logins_since (offset, NULL), 0);
}
END_TEST

/* Without an answer, the missing password is the client's to give. */
START_TEST (test_password_missing_unhandled)
{
  g_autoptr(MailsyncRepository) repo = imap_repository (NULL);
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GError) error = NULL;

  interaction->mode = ANSWER_UNHANDLED;
  g_object_set (repo, "interaction", interaction, NULL);
  ck_assert (!open_on_client_context (repo, NULL, NULL, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED), "%s",
                 error->message);
  ck_assert_uint_eq (interaction->password_asks, 1);
}
END_TEST

START_TEST (test_wrong_then_right_password)
{
  g_autoptr(MailsyncRepository) repo = imap_repository ("Wr0ng-first");
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  const char *answers[] = { "Wr0ng-second", env ("DOVECOT_PASS"), NULL };
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();
  guint connections = 0;

  interaction->mode = ANSWER_PASSWORD;
  interaction->passwords = answers;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert_msg (open_on_client_context (repo, NULL, NULL, NULL, &error), "%s", error ? error->message : "");
  /* asked twice, each time with the server's refusal */
  ck_assert_uint_eq (interaction->password_asks, 2);
  for (guint i = 0; i < 2; i++)
    {
      ck_assert (interaction->previous_errors[i] != NULL);
      ck_assert_msg (g_error_matches (interaction->previous_errors[i], MAILSYNC_ERROR,
                                      MAILSYNC_ERROR_AUTHENTICATION_FAILED),
                     "%s", interaction->previous_errors[i]->message);
      ck_assert (strstr (interaction->previous_errors[i]->message, "Wr0ng") == NULL);
    }
  /* two wrong passwords: two connections, one failed login each */
  ck_assert_uint_eq (failed_logins_since (offset, &connections), 2);
  ck_assert_uint_eq (connections, 2);
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
}
END_TEST

/* A client that stops answering: one failed login, the distinct error. */
START_TEST (test_wrong_password_one_failure)
{
  g_autoptr(MailsyncRepository) repo = imap_repository ("Wr0ng-only");
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();

  interaction->mode = ANSWER_UNHANDLED;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert (!mailsync_repository_open (repo, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  ck_assert_uint_eq (interaction->password_asks, 1);
  ck_assert_uint_eq (failed_logins_since (offset, NULL), 1);
  g_clear_error (&error);

  /* and without any interaction: the same, once (PLAIN failed: no LOGIN) */
  offset = log_size ();
  mailsync_repository_set_interaction (repo, NULL);
  ck_assert (!mailsync_repository_open (repo, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  ck_assert_uint_eq (failed_logins_since (offset, NULL), 1);
}
END_TEST

START_TEST (test_cancel_while_asking)
{
  g_autoptr(MailsyncRepository) repo = imap_repository (NULL);
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  interaction->mode = ANSWER_WAIT_CANCEL;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert (!open_on_client_context (repo, cancellable, interaction, NULL, &error));
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s", error->message);
  ck_assert_uint_eq (interaction->password_asks, 1);
  /* the interaction had the operation's cancellable */
  ck_assert (interaction->cancellable == cancellable);
}
END_TEST

/* Implicit TLS without the harness CA: the system store does not know it. */
static MailsyncRepository *
untrusted_repository (void)
{
  MailsyncRepository *repo = mailsync_imap_repository_new ("Remote", env ("DOVECOT_HOST"),
                                                           (guint16) atoi (env ("DOVECOT_IMAPS_PORT")));

  g_object_set (repo, "ssl", TRUE, "user", env ("DOVECOT_USER"), "password", env ("DOVECOT_PASS"),
                "timeout", 120u, NULL);
  return repo;
}

START_TEST (test_certificate_reject)
{
  g_autoptr(MailsyncRepository) repo = untrusted_repository ();
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();

  interaction->accept = FALSE;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert (!open_on_client_context (repo, NULL, NULL, NULL, &error));
  ck_assert_msg (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE), "%s", error->message);
  ck_assert_uint_eq (interaction->certificate_asks, 1);
  ck_assert (interaction->errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  ck_assert_str_eq (interaction->host, env ("DOVECOT_HOST"));
  ck_assert (g_str_has_prefix (interaction->pem, "-----BEGIN CERTIFICATE-----\n"));
  /* nothing was sent: no login at all */
  ck_assert (!logged_since (offset, "user=<alice>"));
  g_clear_error (&error);

  /* no interaction: the verification error as before, nobody asked */
  mailsync_repository_set_interaction (repo, NULL);
  ck_assert (!mailsync_repository_open (repo, NULL, &error));
  ck_assert_msg (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE), "%s", error->message);
  ck_assert_uint_eq (interaction->certificate_asks, 1);
}
END_TEST

START_TEST (test_certificate_accept)
{
  g_autoptr(MailsyncRepository) repo = untrusted_repository ();
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *expected_pem = NULL;

  interaction->accept = TRUE;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert_msg (open_on_client_context (repo, NULL, NULL, &context, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->certificate_asks, 1);
  ck_assert (interaction->errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  ck_assert_str_eq (interaction->host, env ("DOVECOT_HOST"));
  ck_assert (interaction->thread == g_thread_self ());
  ck_assert (interaction->context == context);
  /* the PEM is the server's certificate */
  {
    g_autofree char *path = g_build_filename (server.dir, "tls", "server.pem", NULL);
    g_autofree char *file = mailsync_test_read_file (path, NULL);
    char *end = strstr (file, "-----END CERTIFICATE-----\n");

    ck_assert (end != NULL);
    end[strlen ("-----END CERTIFICATE-----\n")] = '\0';
    ck_assert_str_eq (interaction->pem, strstr (file, "-----BEGIN CERTIFICATE-----"));
  }
  ck_assert (mailsync_repository_close (repo, NULL, NULL));

  /* accepted for the process: the next connection asks nothing */
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->certificate_asks, 1);
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
}
END_TEST

/* Counts the IMAP connection's "logging in before the greeting" debug
 * lines (any thread). */
static void
count_early_logins (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  if (strstr (message, "logging in before the greeting") != NULL)
    g_atomic_int_inc ((gint *) user_data);
}

/* Issue 13 item 6: a certificate the interaction accepted (even one
 * accepted before in the process) is never followed by a login before
 * the greeting: the user accepts after the handshake, so the login
 * waits for that decision and then for the greeting. The same server
 * through its CA, with the same capability cache, does log in early. */
START_TEST (test_certificate_accept_no_early_login)
{
  g_autoptr(MailsyncRepository) repo = untrusted_repository ();
  g_autoptr(MailsyncRepository) trusted = untrusted_repository ();
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autofree char *cache = g_build_filename (dir, "mailsync-capabilities", NULL);
  gint early = 0, seen;

  g_log_set_handler ("Mailsync-IMAP", G_LOG_LEVEL_DEBUG, count_early_logins, &early);
  interaction->accept = TRUE;
  g_object_set (repo, "capability-cache", cache, NULL);
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert_msg (open_on_client_context (repo, NULL, NULL, &context, &error), "%s", error ? error->message : "");
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
  ck_assert (g_file_test (cache, G_FILE_TEST_EXISTS));
  /* accepted for the process: not asked again, and still no early login */
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "%s", error ? error->message : "");
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
  ck_assert_uint_eq (interaction->certificate_asks, 1);
  seen = g_atomic_int_get (&early);
  ck_assert_int_eq (seen, 0);

  /* the counter counts: verified by the CA, the same file is used */
  g_object_set (trusted, "ca-file", env ("DOVECOT_CA"), "capability-cache", cache, NULL);
  ck_assert_msg (mailsync_repository_open (trusted, NULL, &error), "%s", error ? error->message : "");
  ck_assert (mailsync_repository_close (trusted, NULL, NULL));
  seen = g_atomic_int_get (&early);
  ck_assert_int_eq (seen, 1);
  mailsync_test_rm_rf (dir);
}
END_TEST

/* ---- the config's password function ---------------------------------------------- */

/* A client's prompt: a wrong password first, then the right one. */
static char *
wrong_then_right (const char *account, const char *repository, const char *user, const char *host,
                  gpointer user_data)
{
  guint *calls = user_data;

  return g_strdup ((*calls)++ == 0 ? "Wr0ng-func" : env ("DOVECOT_PASS"));
}

/* A client's prompt that is always wrong. */
static char *
always_wrong (const char *account, const char *repository, const char *user, const char *host, gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
  return g_strdup ("Wr0ng-func");
}

/* A config of account A: a Maildir in @base, the remote repository
 * @remote (its options), @func as the config's password function. */
static MailsyncConfig *
func_config_remote (const char *base, const char *remote, MailsyncPasswordFunc func, gpointer calls)
{
  g_autofree char *mail = g_build_filename (base, "Mail", NULL);
  g_autofree char *data = NULL;
  g_autoptr(MailsyncConfigFile) file = mailsync_config_file_new ();
  g_autoptr(GError) error = NULL;
  MailsyncConfig *config;

  data = g_strdup_printf ("[general]\naccounts = A\nmetadata = %s/meta\n"
                          "[Account A]\nlocalrepository = L\nremoterepository = Remote\n"
                          "[Repository L]\ntype = Maildir\nlocalfolders = %s\n"
                          "[Repository Remote]\ntype = IMAP\n%s",
                          base, mail, remote);
  ck_assert_int_eq (g_mkdir_with_parents (mail, 0700), 0);
  ck_assert_msg (mailsync_config_file_load_from_data (file, data, -1, "t", &error), "%s", error->message);
  config = mailsync_config_new (file, &error);
  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  mailsync_config_set_password_func (config, func, calls, NULL);
  return config;
}

/* The server's @user over STARTTLS without a password (the function's). */
static MailsyncConfig *
func_config_user (const char *base, const char *user, MailsyncPasswordFunc func, gpointer calls)
{
  g_autofree char *remote = g_strdup_printf ("remotehost = %s\nremoteport = %s\nremoteuser = %s\n"
                                             "ssl = no\nstarttls = yes\nsslcacertfile = %s\n",
                                             env ("DOVECOT_HOST"), env ("DOVECOT_PORT"), user, env ("DOVECOT_CA"));

  return func_config_remote (base, remote, func, calls);
}

static MailsyncConfig *
func_config (const char *base, MailsyncPasswordFunc func, guint *calls)
{
  return func_config_user (base, env ("DOVECOT_USER"), func, calls);
}

/* A client that builds its account for each sync (the command's IDLE
 * accounts alike), no interaction: the function's answer the server
 * refused is never sent again (session 20's asker kept it, so every
 * account built later logged in with it, failed, and never asked
 * again); the next account calls the function again, and its answer,
 * accepted, serves the accounts after it and the first account's own
 * next sync without a call. One failed login in all. */
START_TEST (test_config_func_refused_not_kept)
{
  g_autofree char *base = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) first = NULL;
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();
  guint calls = 0;

  config = func_config (base, wrong_then_right, &calls);
  first = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (first != NULL, "%s", error ? error->message : "");
  ck_assert (!mailsync_account_sync (first, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  g_clear_error (&error);
  ck_assert_uint_eq (calls, 1);
  ck_assert_uint_eq (failed_logins_since (offset, NULL), 1);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(MailsyncAccount) again = mailsync_config_create_account (config, "A", NULL, &error);

      ck_assert_msg (again != NULL, "%s", error ? error->message : "");
      ck_assert_msg (mailsync_account_sync (again, NULL, &error), "sync %u: %s", i + 2, error ? error->message : "");
      /* asked again after the refusal, once */
      ck_assert_uint_eq (calls, 2);
    }
  /* the first account's repository forgot the refused one too */
  ck_assert_msg (mailsync_account_sync (first, NULL, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (calls, 2);
  ck_assert_uint_eq (failed_logins_since (offset, NULL), 1);
  g_clear_object (&first);
  g_clear_object (&config);
  mailsync_test_rm_rf (base);
}
END_TEST

/* The function's answer refused, the repository's interaction gives the
 * right one: that one serves the accounts built after (the command's
 * IDLE accounts, which have no interaction of their own to ask), not the
 * function's again. */
START_TEST (test_config_func_accepted_kept)
{
  g_autofree char *base = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  const char *answers[] = { env ("DOVECOT_PASS"), NULL };
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();
  guint calls = 0;

  config = func_config (base, always_wrong, &calls);
  interaction->mode = ANSWER_PASSWORD;
  interaction->passwords = answers;
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(MailsyncAccount) account = mailsync_config_create_account (config, "A", NULL, &error);

      ck_assert_msg (account != NULL, "%s", error ? error->message : "");
      if (i == 0)
        mailsync_repository_set_interaction (mailsync_account_get_remote (account),
                                             MAILSYNC_INTERACTION (interaction));
      ck_assert_msg (mailsync_account_sync (account, NULL, &error), "sync %u: %s", i + 1,
                     error ? error->message : "");
      ck_assert_uint_eq (calls, 1);
      ck_assert_uint_eq (interaction->password_asks, 1);
    }
  ck_assert_uint_eq (failed_logins_since (offset, NULL), 1);
  g_clear_object (&config);
  mailsync_test_rm_rf (base);
}
END_TEST

/* ---- a password changed on the server (review22 M3) -------------------------------- */

#define OLD_PASS "Old-pass1"
#define NEW_PASS "New-pass-22" /* another length: Dovecot sees the file changed */

/* The harness's passwd-file: @user's password becomes @password (a new
 * file renamed over it, owned as the harness made it; Dovecot reads it
 * again when it changed, auth_cache_size = 0). */
static void
set_server_password (const char *user, const char *password)
{
  g_autofree char *path = g_build_filename (env ("DOVECOT_DIR"), "users", NULL);
  g_autofree char *next = g_strconcat (path, ".new", NULL);
  g_autofree char *prefix = g_strconcat (user, ":", NULL);
  g_autofree char *text = mailsync_test_read_file (path, NULL);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  struct group *dovecot = getgrnam ("dovecot");
  gboolean found = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      if (g_str_has_prefix (lines[i], prefix))
        {
          g_string_append_printf (out, "%s:{PLAIN}%s\n", user, password);
          found = TRUE;
        }
      else
        g_string_append_printf (out, "%s\n", lines[i]);
    }
  ck_assert (found);
  ck_assert (dovecot != NULL);
  ck_assert (g_file_set_contents (next, out->str, (gssize) out->len, NULL));
  ck_assert_int_eq (chown (next, 0, dovecot->gr_gid), 0);
  ck_assert_int_eq (g_chmod (next, 0640), 0);
  ck_assert_int_eq (g_rename (next, path), 0);
}

/* Dovecot's passwd-file is read again when its size or mtime changed,
 * looked at once a second at most (db-passwd-file.c passwd_file_sync():
 * not again in the second of the last look): a change is seen by the
 * lookups of the seconds after the one it was made in. */
static void
wait_for_next_second (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  while (g_get_real_time () / G_USEC_PER_SEC <= now)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline,
                     "the wall clock did not reach the next second in %d s (set back?)", DEADLINE_SECONDS);
      g_usleep (G_USEC_PER_SEC / 20);
    }
}

/* The function's prompt: OLD_PASS, then what the test did not expect. */
static char *
old_then_unexpected (const char *account, const char *repository, const char *user, const char *host,
                     gpointer user_data)
{
  guint *calls = user_data;

  return g_strdup ((*calls)++ == 0 ? OLD_PASS : "Unexpected-call");
}

/* Two accounts of one config share the asker, and each remote keeps its
 * own copy (the command's IDLE accounts). The password changes on the
 * server; A's login with the old one is refused (once) and A's
 * interaction gives the new one. B's connection dropped, B connects
 * again: with the new one, the server never sees the old one from B, and
 * nobody is asked (before: B sent the old one, a second failed login,
 * and its refusal dropped the asker's new answer: B's interaction asked,
 * and the function called again for the next account). */
START_TEST (test_config_func_new_password_taken)
{
  g_autofree char *base = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) a = NULL;
  g_autoptr(MailsyncAccount) b = NULL;
  g_autoptr(MailsyncAccount) c = NULL;
  g_autoptr(TestInteraction) asks_a = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(TestInteraction) asks_b = g_object_new (TEST_TYPE_INTERACTION, NULL);
  const char *answers[] = { NEW_PASS, NULL };
  g_autoptr(GError) error = NULL;
  MailsyncRepository *ra, *rb;
  goffset offset;
  guint calls = 0;

  ck_assert_msg (mailsync_test_harness (&server, &error, "adduser", "pwchange", OLD_PASS, NULL), "%s",
                 error ? error->message : "");
  wait_for_next_second ();
  config = func_config_user (base, "pwchange", old_then_unexpected, &calls);
  a = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  b = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (b != NULL, "%s", error ? error->message : "");
  ra = mailsync_account_get_remote (a);
  rb = mailsync_account_get_remote (b);
  asks_a->mode = ANSWER_PASSWORD;
  asks_a->passwords = answers;
  asks_b->mode = ANSWER_UNHANDLED;
  mailsync_repository_set_interaction (ra, MAILSYNC_INTERACTION (asks_a));
  mailsync_repository_set_interaction (rb, MAILSYNC_INTERACTION (asks_b));

  ck_assert_msg (mailsync_repository_open (ra, NULL, &error), "A: %s", error ? error->message : "");
  ck_assert_msg (mailsync_repository_open (rb, NULL, &error), "B: %s", error ? error->message : "");
  ck_assert_uint_eq (calls, 1);
  ck_assert_uint_eq (asks_a->password_asks + asks_b->password_asks, 0);

  set_server_password ("pwchange", NEW_PASS);
  wait_for_next_second ();
  offset = log_size ();
  ck_assert (mailsync_repository_close (ra, NULL, NULL));
  ck_assert_msg (mailsync_repository_open (ra, NULL, &error), "A again: %s", error ? error->message : "");
  ck_assert_uint_eq (asks_a->password_asks, 1);
  ck_assert_uint_eq (failed_logins_before_logins (offset, "pwchange", 1), 1);

  /* B's connection dropped: B connects again with A's new password */
  ck_assert (mailsync_repository_close (rb, NULL, NULL));
  ck_assert_msg (mailsync_repository_open (rb, NULL, &error), "B again: %s", error ? error->message : "");
  ck_assert_uint_eq (asks_b->password_asks, 0);
  ck_assert_uint_eq (calls, 1);
  /* and an account built now (the next IDLE account) asks nobody either */
  c = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (c != NULL, "%s", error ? error->message : "");
  ck_assert_msg (mailsync_repository_open (mailsync_account_get_remote (c), NULL, &error), "C: %s",
                 error ? error->message : "");
  ck_assert_uint_eq (calls, 1);
  ck_assert (mailsync_repository_close (mailsync_account_get_remote (c), NULL, NULL));
  ck_assert (mailsync_repository_close (rb, NULL, NULL));
  ck_assert (mailsync_repository_close (ra, NULL, NULL));
  /* the old one reached the server once after the change: A's (counted
   * after the logins of A, B and C since) */
  ck_assert_uint_eq (failed_logins_before_logins (offset, "pwchange", 3), 1);
  g_clear_object (&c);
  g_clear_object (&b);
  g_clear_object (&a);
  g_clear_object (&config);
  mailsync_test_rm_rf (base);
}
END_TEST

/* review22 L4: a library client's repository without a config: the
 * password its interaction gave, refused, is forgotten even when the
 * client declines to give another, so the next open asks again instead
 * of sending it (before: sent again, a second failed login). A password
 * the client set stays (test_wrong_password_one_failure). */
START_TEST (test_asked_password_refused_forgotten)
{
  g_autoptr(MailsyncRepository) repo = imap_repository (NULL);
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  const char *answers[] = { "Wr0ng-asked", NULL };
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();

  interaction->mode = ANSWER_PASSWORD;
  interaction->passwords = answers;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert (!mailsync_repository_open (repo, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  ck_assert_uint_eq (interaction->password_asks, 2);
  g_clear_error (&error);

  ck_assert (!mailsync_repository_open (repo, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED), "%s",
                 error->message);
  ck_assert_uint_eq (interaction->password_asks, 3);
  /* one failed login: counted after a later login of the user */
  g_clear_error (&error);
  g_object_set (repo, "password", env ("DOVECOT_PASS"), NULL);
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (failed_logins_before_logins (offset, env ("DOVECOT_USER"), 1), 1);
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
}
END_TEST

static char *
answer_unchecked (const char *account, const char *repository, const char *user, const char *host,
                  gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
  return g_strdup ("Never-checked");
}

/* review22 L5: a transporttunnel greeting with PREAUTH checks no
 * password: the function's answer is not the password of an accepted
 * login (what --update-keyring stores and the account's next repositories
 * keep; before: it was). */
START_TEST (test_preauth_tunnel_accepts_nothing)
{
  g_autofree char *base = mailsync_test_mkdtemp ();
  g_autofree char *remote = g_strdup_printf ("transporttunnel = %s %s\nremoteuser = %s\nssl = no\nstarttls = no\n",
                                             env ("DOVECOT_PREAUTH_CMD"), env ("DOVECOT_USER"),
                                             env ("DOVECOT_USER"));
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *accepted = NULL;
  MailsyncRepository *repo;
  guint calls = 0;

  config = func_config_remote (base, remote, answer_unchecked, &calls);
  account = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  repo = mailsync_account_get_remote (account);
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "%s", error ? error->message : "");
  /* asked: a tunnel may log in */
  ck_assert_uint_eq (calls, 1);
  accepted = _mailsync_imap_repository_dup_password (repo);
  ck_assert_msg (accepted == NULL, "a PREAUTH greeting accepted \"%s\"", accepted);
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
  g_clear_object (&account);
  g_clear_object (&config);
  mailsync_test_rm_rf (base);
}
END_TEST

/* The base class answers nothing, through every path. */
START_TEST (test_base_class_unhandled)
{
  g_autoptr(MailsyncInteraction) interaction = mailsync_interaction_new ();
  g_autoptr(GError) error = NULL;
  char *secret = (char *) "untouched";
  gboolean accept = TRUE;

  ck_assert_int_eq (mailsync_interaction_ask_password (interaction, "R", "u", "h", NULL, NULL, &secret, &error),
                    MAILSYNC_INTERACTION_UNHANDLED);
  ck_assert (secret == NULL && error == NULL);
  ck_assert_int_eq (mailsync_interaction_ask_oauth2_token (interaction, "R", NULL, NULL, NULL, NULL, &secret,
                                                           &error),
                    MAILSYNC_INTERACTION_UNHANDLED);
  ck_assert (secret == NULL && error == NULL);
  ck_assert_int_eq (mailsync_interaction_accept_certificate (interaction, "R", "h", "pem",
                                                             G_TLS_CERTIFICATE_UNKNOWN_CA, NULL, &accept, &error),
                    MAILSYNC_INTERACTION_UNHANDLED);
  ck_assert (!accept && error == NULL);
}
END_TEST

/* ---- one question of a kind at a time ------------------------------------------ */


/* A client's second password question while the first is out fails at
 * once with G_IO_ERROR_PENDING, without reaching the subclass; a question
 * of another kind is not held up; once the first is answered, the next
 * is asked. */
START_TEST (test_second_question_pending)
{
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  MailsyncInteraction *self = MAILSYNC_INTERACTION (interaction);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GAsyncResult) token = NULL;
  g_autoptr(GError) error = NULL;
  const char *answers[] = { "unused", "again", NULL };
  char *secret = NULL;

  interaction->mode = ANSWER_HOLD;
  g_main_context_push_thread_default (context);
  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &first);
  ck_assert_uint_eq (interaction->password_asks, 1);
  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &second);
  wait_for_result (context, &second);
  ck_assert (first == NULL);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, second, &secret, &error),
                    MAILSYNC_INTERACTION_FAILED);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING), "%s", error ? error->message : "none");
  ck_assert (secret == NULL);
  ck_assert_uint_eq (interaction->password_asks, 1);
  g_clear_error (&error);

  /* the blocking form too */
  ck_assert_int_eq (mailsync_interaction_ask_password (self, "Remote", "u", "h", NULL, NULL, &secret, &error),
                    MAILSYNC_INTERACTION_FAILED);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING), "%s", error ? error->message : "none");
  ck_assert_uint_eq (interaction->password_asks, 1);
  g_clear_error (&error);

  /* another kind: the base class answers it, unhandled */
  mailsync_interaction_ask_oauth2_token_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &token);
  wait_for_result (context, &token);
  ck_assert_int_eq (mailsync_interaction_ask_oauth2_token_finish (self, token, &secret, &error),
                    MAILSYNC_INTERACTION_UNHANDLED);
  ck_assert (error == NULL);

  answer_held (interaction, "s3cret");
  wait_for_result (context, &first);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, first, &secret, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (secret, "s3cret");
  g_free (secret);
  secret = NULL;

  /* the kind is free again */
  interaction->mode = ANSWER_PASSWORD;
  interaction->passwords = answers;
  ck_assert_int_eq (mailsync_interaction_ask_password (self, "Remote", "u", "h", NULL, NULL, &secret, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (secret, "again");
  g_free (secret);
  g_main_context_pop_thread_default (context);
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("interaction");
  TCase *tc;
  g_autofree char *base = NULL;
  gboolean have_server;
  int status;

  base = g_dir_make_tmp ("mailsync-interaction-XXXXXX", NULL);
  g_assert (base != NULL);
  /* The harness wants every ancestor searchable by Dovecot's users. */
  g_chmod (base, 0755);
  have_server = g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE) &&
                mailsync_test_server_start (&server, "default", base);

  tc = tcase_create ("base");
  /* the waits below have their own deadline, not check's 4 s default */
  tcase_set_timeout (tc, 3 * DEADLINE_SECONDS);
  tcase_add_test (tc, test_base_class_unhandled);
  tcase_add_test (tc, test_second_question_pending);
  suite_add_tcase (suite, tc);
  tc = tcase_create ("imap");
  tcase_set_timeout (tc, 3 * DEADLINE_SECONDS);
  {
    const TTest *imap_tests[] = {
      test_password_asked_when_missing, test_password_missing_unhandled, test_wrong_then_right_password,
      test_wrong_password_one_failure, test_cancel_while_asking, test_certificate_reject,
      test_certificate_accept, test_certificate_accept_no_early_login, test_config_func_refused_not_kept,
      test_config_func_accepted_kept, test_config_func_new_password_taken, test_asked_password_refused_forgotten,
      test_preauth_tunnel_accepts_nothing,
    };

    /* without Dovecot each IMAP case is a TAP SKIP, not a missing line */
    for (guint i = 0; i < G_N_ELEMENTS (imap_tests); i++)
      {
        if (have_server)
          tcase_add_test (tc, imap_tests[i]);
        else
          mailsync_test_add_skipped_test (tc, imap_tests[i], MAILSYNC_TEST_NO_DOVECOT);
      }
  }
  suite_add_tcase (suite, tc);
  status = mailsync_test_run (suite);
  mailsync_test_server_stop (&server);
  g_rmdir (base);
  return status;
}
