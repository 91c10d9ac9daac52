/* MailsyncConfig: where the password comes from (file, netrc, keyring,
 * prompt) and --update-keyring's store after the login. Split from
 * check-config.c. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"
#include "config-fixtures.h"
#include "config/mailsync-python-private.h"
#include "config/mailsync-config-private.h"
#include "backends/imap/mailsync-imap-repository-private.h"
#include "backends/imap/mailsync-imap-private.h"
#include "mailsync-worker.h"

#include <string.h>
#include <glib/gstdio.h>

/* How many times the password function was called while the account
 * was built (never, since session 20), then whether the remote would ask
 * it when it connects: its asker asked as the repository asks it. */
static guint
prompts_for (const char *data,
             char      **last)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  MailsyncImapRepository *remote;
  Prompt p = { 0 };

  account = create_asking (data, prompt, &p, &config);
  ck_assert_uint_eq (p.calls, 0);
  remote = MAILSYNC_IMAP_REPOSITORY (mailsync_account_get_remote (account));
  if (remote->password_asker != NULL)
    {
      g_autofree char *user = NULL, *host = NULL, *answer = NULL;

      g_object_get (remote, "user", &user, "host", &host, NULL);
      ck_assert_int_eq (mailsync_interaction_ask_password (remote->password_asker, "R", user, host, NULL, NULL,
                                                           &answer, &error), MAILSYNC_INTERACTION_HANDLED);
      ck_assert_str_eq (answer, "typed");
    }
  if (last != NULL)
    *last = p.last;
  else
    g_free (p.last);
  return p.calls;
}

/* A port nobody listens on (bound, never listening): a sync fails there
 * once it tries to connect. */
static GSocket *
closed_port (guint *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;
  GSocket *closed = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

  ck_assert_msg (closed != NULL, "%s", error ? error->message : "");
  ck_assert (g_socket_bind (closed, any, FALSE, &error));
  bound = g_socket_get_local_address (closed, &error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return closed;
}

/* The configuration of account A whose remote (user "me", no password)
 * is at 127.0.0.1:@port in clear text, after the [general] section
 * @general. */
static char *
config_at_port (const char *general,
                guint       port)
{
  return g_strdup_printf ("%s" ACCOUNT LOCAL "[Repository R]\ntype = IMAP\nremotehost = 127.0.0.1\n"
                          "remoteport = %u\nremoteuser = me\nssl = no\nstarttls = no\n", general, port);
}

#define GENERAL_KEYRING "[general]\naccounts = A\nmetadata = ~/meta\nupdate-keyring = yes\n"

/* offlineimap asks for a missing password when it connects (after the
 * "acct" and "connecting" lines), once per run: the function is called
 * by the first connect, not when the account is built, and its answer
 * serves the next syncs and the accounts built again for the same
 * account (the command's IDLE accounts). */
START_TEST (test_password_asked_at_connect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) closed = NULL;
  g_autoptr(MailsyncAccount) account = NULL, again = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autofree char *data = NULL;
  Prompt p = { 0 };
  guint port;

  closed = closed_port (&port);
  data = config_at_port (GENERAL, port);
  account = create_asking (data, prompt, &p, &config);
  ck_assert_uint_eq (p.calls, 0);
  /* asked before the connection (which fails: nobody listens) */
  ck_assert (!mailsync_account_sync (account, NULL, &error));
  ck_assert_msg (!g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED), "%s", error->message);
  ck_assert_uint_eq (p.calls, 1);
  ck_assert_str_eq (p.last, "A|R|me|127.0.0.1");
  g_clear_error (&error);
  ck_assert (!mailsync_account_sync (account, NULL, &error));
  g_clear_error (&error);
  again = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (again != NULL, "%s", error ? error->message : "");
  ck_assert (!mailsync_account_sync (again, NULL, &error));
  ck_assert_uint_eq (p.calls, 1);
  g_free (p.last);
}
END_TEST

/* The asker keeps the function's answer until the server refuses it: told
 * of a refusal (by the repository, at once), it calls the function again
 * for the next repository; an accepted login's password replaces it. */
START_TEST (test_asker_forgets_refused)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  MailsyncImapRepository *remote;
  guint generation = 0;
  Prompt p = { 0 };

  account = create_asking (GENERAL ACCOUNT LOCAL REMOTE_NOPASS, prompt, &p, &config);
  remote = MAILSYNC_IMAP_REPOSITORY (mailsync_account_get_remote (account));
  ck_assert (remote->password_asker != NULL);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *answer = NULL;

      if (i == 2)
        {
          g_autofree char *newer = NULL;

          /* what a refused login of the kept answer tells it (connect.c) */
          ck_assert (remote->password_sync (remote->password_asker, "typed", NULL, NULL, &generation, &newer));
          ck_assert (newer == NULL);
        }
      if (i == 3)
        {
          g_autofree char *taken = NULL;

          /* what a login the server accepted tells it (connect.c), from a
           * repository that took the current answer at its connect */
          ck_assert (remote->password_sync (remote->password_asker, NULL, NULL, NULL, &generation, &taken));
          ck_assert (!remote->password_sync (remote->password_asker, NULL, "accepted", NULL, &generation, NULL));
        }
      ck_assert_int_eq (mailsync_interaction_ask_password (remote->password_asker, "R", "me", "imap.example.org",
                                                           NULL, NULL, &answer, &error),
                        MAILSYNC_INTERACTION_HANDLED);
      ck_assert_str_eq (answer, i < 3 ? "typed" : "accepted");
      ck_assert_uint_eq (p.calls, i < 2 ? 1 : 2);
    }
  g_free (p.last);
}
END_TEST

/* review22 M3: the asker's answer and its generation, as two repositories
 * of the account (the command's IDLE accounts) see them. B took the
 * answer; A's login with it is refused, and A's interaction's password
 * is accepted: B's next connect takes the new one (its generation moved),
 * and B's refusal of the old one (it connected before) neither drops the
 * new one nor gets the old one back, but the new one. A refusal of a
 * password the asker does not keep changes nothing. */
START_TEST (test_asker_sync_generation)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  MailsyncImapRepository *remote;
  g_autofree char *old = NULL, *taken = NULL, *again = NULL;
  char *none = NULL;
  guint a = 0, b = 0, before;
  Prompt p = { 0 };

  account = create_asking (GENERAL ACCOUNT LOCAL REMOTE_NOPASS, prompt, &p, &config);
  remote = MAILSYNC_IMAP_REPOSITORY (mailsync_account_get_remote (account));
  ck_assert (remote->password_asker != NULL && remote->password_sync != NULL);
  /* nothing kept yet: nothing moved */
  ck_assert (!remote->password_sync (remote->password_asker, NULL, NULL, NULL, &b, &none));
  ck_assert_int_eq (mailsync_interaction_ask_password (remote->password_asker, "R", "me", "imap.example.org", NULL,
                                                       NULL, &old, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (old, "typed");
  /* B takes it; then nothing moves for it */
  ck_assert (remote->password_sync (remote->password_asker, NULL, NULL, NULL, &b, &taken));
  ck_assert_str_eq (taken, "typed");
  g_clear_pointer (&taken, g_free);
  ck_assert (!remote->password_sync (remote->password_asker, NULL, NULL, NULL, &b, &none));
  a = b;
  /* A refused "typed": forgotten; A gets no other */
  ck_assert (remote->password_sync (remote->password_asker, "typed", NULL, NULL, &a, &taken));
  ck_assert (taken == NULL);
  /* A's interaction's password accepted: kept, told at the login */
  ck_assert (!remote->password_sync (remote->password_asker, NULL, "new-one", NULL, &a, NULL));
  /* B's next connect takes it */
  before = b;
  ck_assert (remote->password_sync (remote->password_asker, NULL, NULL, NULL, &b, &taken));
  ck_assert_uint_ne (b, before);
  ck_assert_str_eq (taken, "new-one");
  g_clear_pointer (&taken, g_free);
  /* a login with the old one answered after the change (review23 H1: the
   * repository's copy is older than the answer): the new one stays */
  ck_assert (!remote->password_sync (remote->password_asker, NULL, "typed", NULL, &before, NULL));
  /* B refused the old one (it connected before): the new one stays, and B
   * gets it */
  ck_assert (remote->password_sync (remote->password_asker, "typed", NULL, NULL, &b, &taken));
  ck_assert_str_eq (taken, "new-one");
  ck_assert (!remote->password_sync (remote->password_asker, NULL, NULL, NULL, &b, &none));
  ck_assert_int_eq (mailsync_interaction_ask_password (remote->password_asker, "R", "me", "imap.example.org", NULL,
                                                       NULL, &again, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (again, "new-one");
  ck_assert_uint_eq (p.calls, 1);
  g_free (p.last);
}
END_TEST

/* review22 L6: the server refuses an OAuth2 token: the token's refusal
 * says nothing of the password the account's asker keeps (before: the
 * repository told the asker, which dropped it and called the function
 * again for the next repository). No config gives a repository both a
 * token and the asker today; the token is set as the config would. */
START_TEST (test_asker_kept_after_token_refused)
{
  g_autofree char *script = g_build_filename (home, "refusing.sh", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autofree char *answer = NULL, *again = NULL;
  MailsyncImapRepository *remote;
  Prompt p = { 0 };

  ck_assert (g_file_set_contents (script, refusing_server, -1, NULL));
  data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\ntransporttunnel = sh %s\n"
                          "remoteuser = me\nssl = no\nstarttls = no\n", script);
  account = create_asking (data, prompt, &p, &config);
  remote = MAILSYNC_IMAP_REPOSITORY (mailsync_account_get_remote (account));
  ck_assert (remote->password_asker != NULL);
  /* the account's password, kept (another repository asked it) */
  ck_assert_int_eq (mailsync_interaction_ask_password (remote->password_asker, "R", "me", NULL, NULL, NULL, &answer,
                                                       &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_uint_eq (p.calls, 1);
  _mailsync_imap_repository_set_oauth2 (remote, "tok-refused", NULL);
  ck_assert (!mailsync_repository_open (MAILSYNC_REPOSITORY (remote), NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  ck_assert_msg (strstr (error->message, "XOAUTH2") != NULL, "%s", error->message);
  g_clear_error (&error);
  ck_assert_int_eq (mailsync_interaction_ask_password (remote->password_asker, "R", "me", NULL, NULL, NULL, &again,
                                                       &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (again, "typed");
  ck_assert_uint_eq (p.calls, 1);
  g_free (p.last);
}
END_TEST

/* A server behind a transporttunnel (sh, in DIR): LOGIN succeeds with the
 * password in DIR/current; a login while DIR/hold exists takes that file,
 * makes DIR/held and is answered once DIR/gate exists (or after 1,200
 * looks, a minute and more: a test that failed before making it leaves
 * no shell behind). Each LOGIN line goes to DIR/logins. */
static const char gated_server[] =
  "dir=$1\n"
  "printf '* OK [CAPABILITY IMAP4rev1] scripted\\r\\n'\n"
  "while IFS= read -r line; do\n"
  "  tag=${line%% *}\n"
  "  case \"$line\" in\n"
  "    *' LOGIN '*)\n"
  "      printf '%s\\n' \"$line\" >> \"$dir/logins\"\n"
  "      if [ -e \"$dir/hold\" ]; then\n"
  "        rm -f \"$dir/hold\"; : > \"$dir/held\"\n"
  "        n=0; while [ ! -e \"$dir/gate\" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done\n"
  "      fi\n"
  "      case \"$line\" in\n"
  "        *\"$(cat \"$dir/current\")\"*) printf '%s OK [CAPABILITY IMAP4rev1] in\\r\\n' \"$tag\" ;;\n"
  "        *) printf '%s NO [AUTHENTICATIONFAILED] wrong\\r\\n' \"$tag\" ;;\n"
  "      esac ;;\n"
  "    *LOGOUT*) printf '* BYE\\r\\n%s OK\\r\\n' \"$tag\"; exit 0 ;;\n"
  "    *) printf '%s OK done\\r\\n' \"$tag\" ;;\n"
  "  esac\n"
  "done\n";

/* The function's answers: an old password, then the new one. */
static char *
old_then_new (const char *account, const char *repository, const char *user, const char *host, gpointer user_data)
{
  guint *calls = user_data;

  return g_strdup ((*calls)++ == 0 ? "Old-pass1" : "New-pass-22");
}

/* The waits' deadline: the test case's timeout is three times it, so a
 * wait that fails says what it waited for instead of check's timeout. */
#define DEADLINE_SECONDS 20

static void
wait_for_file (const char *path)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "no %s", path);
      g_usleep (G_USEC_PER_SEC / 20); /* a file another process makes */
    }
}

static gboolean
tick_continue (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* review22 M3, repositories of one account connecting at once: B sends
 * the old password, and while the server judges it, A is refused the
 * same and logs in with the function's new answer. B's refusal of the
 * old one does not drop the new one (before: it did, and B, with nobody
 * else to ask, failed); B logs in with it, the function not called
 * again. */
START_TEST (test_asker_newer_after_refusal)
{
  g_autofree char *script = g_build_filename (home, "gated.sh", NULL);
  g_autofree char *current = g_build_filename (home, "current", NULL);
  g_autofree char *hold = g_build_filename (home, "hold", NULL);
  g_autofree char *held = g_build_filename (home, "held", NULL);
  g_autofree char *gate = g_build_filename (home, "gate", NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *data = NULL, *kept = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) a = NULL;
  g_autoptr(MailsyncAccount) b = NULL;
  g_autoptr(GSource) tick = NULL;
  MailsyncRepository *ra, *rb;
  gint64 deadline;
  guint calls = 0;

  ck_assert (g_file_set_contents (script, gated_server, -1, NULL));
  ck_assert (g_file_set_contents (current, "Old-pass1", -1, NULL));
  data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\ntransporttunnel = sh %s %s\n"
                          "remoteuser = me\nssl = no\nstarttls = no\n", script, home);
  config = load_config (data, &error);
  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  mailsync_config_set_password_func (config, old_then_new, &calls, NULL);
  a = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  b = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (b != NULL, "%s", error ? error->message : "");
  ra = mailsync_account_get_remote (a);
  rb = mailsync_account_get_remote (b);
  ck_assert_msg (mailsync_repository_open (ra, NULL, &error), "A: %s", error ? error->message : "");
  ck_assert_msg (mailsync_repository_open (rb, NULL, &error), "B: %s", error ? error->message : "");
  ck_assert (mailsync_repository_close (rb, NULL, NULL));
  ck_assert_uint_eq (calls, 1);

  /* the password changes; B connects with the old one, held */
  ck_assert (g_file_set_contents (current, "New-pass-22", -1, NULL));
  ck_assert (g_file_set_contents (hold, "", -1, NULL));
  g_main_context_push_thread_default (context);
  mailsync_repository_open_async (rb, NULL, _mailsync_store_result, &result);
  g_main_context_pop_thread_default (context);
  wait_for_file (held);
  /* A: refused, then the function's new answer */
  ck_assert (mailsync_repository_close (ra, NULL, NULL));
  ck_assert (!mailsync_repository_open (ra, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  /* The error names the tunnel: no remotehost, and "%s" of NULL printed
   * "(null)" (glibc; other libcs crash). */
  ck_assert_msg (g_str_has_prefix (error->message,
                                   "Authentication to the server of the transporttunnel as me failed (LOGIN: "),
                 "%s", error->message);
  g_clear_error (&error);
  ck_assert_msg (mailsync_repository_open (ra, NULL, &error), "A again: %s", error ? error->message : "");
  ck_assert_uint_eq (calls, 2);
  /* B's old one refused now: B takes the new one (the timer wakes the
   * blocking iteration to look at the deadline) */
  ck_assert (g_file_set_contents (gate, "", -1, NULL));
  deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  tick = g_timeout_source_new (100);
  g_source_set_callback (tick, tick_continue, NULL, NULL);
  g_source_attach (tick, context);
  while (result == NULL)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "B's open did not finish");
      g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (tick);
  ck_assert_msg (mailsync_repository_open_finish (rb, result, &error), "B: %s", error ? error->message : "");
  ck_assert_uint_eq (calls, 2);
  ck_assert_int_eq (mailsync_interaction_ask_password (MAILSYNC_IMAP_REPOSITORY (rb)->password_asker, "R", "me",
                                                       NULL, NULL, NULL, &kept, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (kept, "New-pass-22");
  ck_assert_uint_eq (calls, 2);
  ck_assert (mailsync_repository_close (rb, NULL, NULL));
  ck_assert (mailsync_repository_close (ra, NULL, NULL));
}
END_TEST

/* How many logins of DIR/logins (gated_server) sent @password. */
static guint
logins_with (const char *dir, const char *password)
{
  g_autofree char *path = g_build_filename (dir, "logins", NULL);
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; (p = strstr (p, password)) != NULL; p++)
    n++;
  return n;
}

/* review23 H1: A holds its connection (the command's holdconnectionopen)
 * across a password change; B is refused the old one and logs in with the
 * function's new one. A is opened again (its next sync) and finds its
 * connection open: no login, so nothing is told to the asker. Before, the
 * "opened" of that open put A's old accepted password back into the
 * asker, and B's next connect and an account built then (the next IDLE
 * account) sent the refused old one. */
START_TEST (test_asker_held_connection_keeps_new)
{
  g_autofree char *dir = g_build_filename (home, "held-connection", NULL);
  g_autofree char *script = g_build_filename (dir, "server.sh", NULL);
  g_autofree char *current = g_build_filename (dir, "current", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) a = NULL, b = NULL, c = NULL;
  MailsyncRepository *ra, *rb, *rc;
  guint calls = 0;

  ck_assert_int_eq (g_mkdir_with_parents (dir, 0700), 0);
  ck_assert (g_file_set_contents (script, gated_server, -1, NULL));
  ck_assert (g_file_set_contents (current, "Old-pass1", -1, NULL));
  data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\ntransporttunnel = sh %s %s\n"
                          "remoteuser = me\nssl = no\nstarttls = no\n", script, dir);
  config = load_config (data, &error);
  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  mailsync_config_set_password_func (config, old_then_new, &calls, NULL);
  a = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  b = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (b != NULL, "%s", error ? error->message : "");
  ra = mailsync_account_get_remote (a);
  rb = mailsync_account_get_remote (b);
  ck_assert_msg (mailsync_repository_open (ra, NULL, &error), "A: %s", error ? error->message : "");
  ck_assert_uint_eq (calls, 1);
  /* the password changes; A's connection stays */
  ck_assert (g_file_set_contents (current, "New-pass-22", -1, NULL));
  ck_assert (!mailsync_repository_open (rb, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  g_clear_error (&error);
  ck_assert_msg (mailsync_repository_open (rb, NULL, &error), "B: %s", error ? error->message : "");
  ck_assert_uint_eq (calls, 2);
  ck_assert_uint_eq (logins_with (dir, "Old-pass1"), 2); /* A's, B's refused one */
  /* A opened again: its held connection */
  ck_assert_msg (mailsync_repository_open (ra, NULL, &error), "A again: %s", error ? error->message : "");
  /* B connects again, C is built: both with the new one, nobody asked */
  ck_assert (mailsync_repository_close (rb, NULL, NULL));
  ck_assert_msg (mailsync_repository_open (rb, NULL, &error), "B again: %s", error ? error->message : "");
  c = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (c != NULL, "%s", error ? error->message : "");
  rc = mailsync_account_get_remote (c);
  ck_assert_msg (mailsync_repository_open (rc, NULL, &error), "C: %s", error ? error->message : "");
  ck_assert_uint_eq (logins_with (dir, "Old-pass1"), 2);
  ck_assert_uint_eq (logins_with (dir, "New-pass-22"), 3);
  ck_assert_uint_eq (calls, 2);
  ck_assert (mailsync_repository_close (rc, NULL, NULL));
  ck_assert (mailsync_repository_close (rb, NULL, NULL));
  ck_assert (mailsync_repository_close (ra, NULL, NULL));
}
END_TEST

/* review23 M1: a client sets "password" on a repository a config built
 * without one, while the account's asker has an answer (another
 * repository asked the function): the repository logs in with the
 * client's, once (before: the asker's answer replaced it at the connect,
 * and the client's was never sent). */
START_TEST (test_client_password_kept)
{
  g_autofree char *dir = g_build_filename (home, "client-password", NULL);
  g_autofree char *script = g_build_filename (dir, "server.sh", NULL);
  g_autofree char *current = g_build_filename (dir, "current", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) a = NULL, b = NULL;
  MailsyncRepository *ra, *rb;
  guint calls = 0;

  ck_assert_int_eq (g_mkdir_with_parents (dir, 0700), 0);
  ck_assert (g_file_set_contents (script, gated_server, -1, NULL));
  ck_assert (g_file_set_contents (current, "Client-pass", -1, NULL));
  data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\ntransporttunnel = sh %s %s\n"
                          "remoteuser = me\nssl = no\nstarttls = no\n", script, dir);
  config = load_config (data, &error);
  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  mailsync_config_set_password_func (config, old_then_new, &calls, NULL);
  a = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  ra = mailsync_account_get_remote (a);
  /* the function's answer, refused */
  ck_assert (!mailsync_repository_open (ra, NULL, &error));
  g_clear_error (&error);
  b = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (b != NULL, "%s", error ? error->message : "");
  rb = mailsync_account_get_remote (b);
  g_object_set (rb, "password", "Client-pass", NULL);
  ck_assert_msg (mailsync_repository_open (rb, NULL, &error), "B: %s", error ? error->message : "");
  ck_assert_uint_eq (logins_with (dir, "Client-pass"), 1);
  ck_assert (mailsync_repository_close (rb, NULL, NULL));
}
END_TEST

/* The prompt is the last resort, after the file, netrc (and keyring). */
START_TEST (test_password_order)
{
  g_autofree char *netrc = g_build_filename (home, ".netrc", NULL);
  g_autofree char *passfile = g_build_filename (home, "pass", NULL);
  g_autofree char *last = NULL;

  ck_assert_int_eq (prompts_for (GENERAL ACCOUNT LOCAL REMOTE_NOPASS, &last), 1);
  ck_assert_str_eq (last, "A|R|me|imap.example.org");
  ck_assert_int_eq (prompts_for (GENERAL ACCOUNT LOCAL REMOTE_NOPASS "remotepass = x\n", NULL), 0);
  mailsync_test_write_file (passfile, "from-file\nsecond line\n");
  ck_assert_int_eq (prompts_for (GENERAL ACCOUNT LOCAL REMOTE_NOPASS "remotepassfile = ~/pass\n", NULL), 0);
  ck_assert_int_eq (prompts_for (GENERAL ACCOUNT LOCAL REMOTE_NOPASS "remotepasscmd = echo secret\n", NULL), 0);
  ck_assert_int_eq (prompts_for (GENERAL ACCOUNT LOCAL REMOTE_NOPASS "remotepasseval = 'secret'\n", NULL), 0);
  ck_assert_int_eq (prompts_for (GENERAL ACCOUNT LOCAL REMOTE_NOPASS "preauthtunnel = imapd\n", NULL), 0);
  ck_assert_int_eq (prompts_for (GENERAL ACCOUNT LOCAL REMOTE_NOPASS "oauth2_access_token_cmd = echo tok\n", NULL), 0);
  /* netrc: a matching entry, or one for another user, which does not count */
  mailsync_test_write_file (netrc, "machine imap.example.org login other password p1\n");
  g_chmod (netrc, 0600);
  ck_assert_int_eq (prompts_for (GENERAL ACCOUNT LOCAL REMOTE_NOPASS, NULL), 1);
  mailsync_test_write_file (netrc, "machine imap.example.org login me password p1\n");
  g_chmod (netrc, 0600);
  ck_assert_int_eq (prompts_for (GENERAL ACCOUNT LOCAL REMOTE_NOPASS, NULL), 0);
}
END_TEST

/* netrc also gives the login when remoteuser is unset */
START_TEST (test_netrc_user)
{
  g_autofree char *netrc = g_build_filename (home, ".netrc", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autofree char *user = NULL;

  mailsync_test_write_file (netrc, "machine h login netrc-user password p1\n");
  g_chmod (netrc, 0600);
  account = create (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\nremotehost = h\n", NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  g_object_get (mailsync_account_get_remote (account), "user", &user, NULL);
  ck_assert_str_eq (user, "netrc-user");
}

#ifdef HAVE_LIBSECRET
static GPtrArray *stored;

static gboolean
record_store (const char  *host,
              const char  *user,
              const char  *password,
              GError     **error)
{
  g_ptr_array_add (stored, g_strdup_printf ("%s %s %s", host, user, password));
  return TRUE;
}
#endif

/* The password function of the keyring tests. */
static char *
typed_password (const char *account,
                const char *repository,
                const char *user,
                const char *host,
                gpointer    user_data)
{
  return g_strdup ("s3cret");
}

/* What the repository does after a login the server accepted: it keeps
 * the password that logged in (the one asked when it connected, here
 * @asked, for a server nobody listens on) and says "opened". */
static void
fake_accepted_login (MailsyncAccount *account, const char *asked)
{
  MailsyncImapRepository *remote = MAILSYNC_IMAP_REPOSITORY (mailsync_account_get_remote (account));

  ck_assert_str_eq (remote->settings->password, asked);
  g_mutex_lock (&remote->accepted_lock);
  g_free (remote->accepted_password);
  remote->accepted_password = g_strdup (asked);
  g_mutex_unlock (&remote->accepted_lock);
  g_signal_emit_by_name (remote, "opened");
}

/* --update-keyring stores the password only once the server accepted it
 * (the repository opened): a failed login stores nothing. */
START_TEST (test_update_keyring_after_login)
{
#ifdef HAVE_LIBSECRET
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) closed = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autofree char *data = NULL;
  guint port;

  closed = closed_port (&port);
  data = config_at_port (GENERAL_KEYRING, port);
  stored = g_ptr_array_new_with_free_func (g_free);
  _mailsync_credentials_set_keyring_store_func (record_store);

  account = create_asking (data, typed_password, NULL, &config);
  ck_assert_uint_eq (stored->len, 0);
  ck_assert (!mailsync_account_sync (account, NULL, &error));
  ck_assert_uint_eq (stored->len, 0);

  /* nothing stored for an open without a login */
  g_signal_emit_by_name (mailsync_account_get_remote (account), "opened");
  ck_assert_uint_eq (stored->len, 0);
  /* an accepted login: stored once */
  fake_accepted_login (account, "s3cret");
  g_signal_emit_by_name (mailsync_account_get_remote (account), "opened");
  ck_assert_uint_eq (stored->len, 1);
  ck_assert_str_eq (g_ptr_array_index (stored, 0), "127.0.0.1 me s3cret");

  _mailsync_credentials_set_keyring_store_func (NULL);
  g_clear_pointer (&stored, g_ptr_array_unref);
#endif
}
END_TEST

static gboolean
refuse_store (const char  *host,
              const char  *user,
              const char  *password,
              GError     **error)
{
  g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED, "the keyring is locked");
  return FALSE;
}

static void
collect_warnings (MailsyncAccount *account, MailsyncSyncEvent *event, GPtrArray *texts)
{
  if (mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_WARNING)
    g_ptr_array_add (texts, g_strdup_printf ("%s: %s", mailsync_sync_event_get_repository (event),
                                             mailsync_sync_event_get_text (event)));
}

/* A keyring that refuses the store after the login is no failure of the
 * sync and the library prints nothing: the account's next sync reports
 * it once, as a warning event naming the repository (issue 14 item 3). */
START_TEST (test_update_keyring_store_fails)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) closed = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *data = NULL;
  guint port;

  closed = closed_port (&port);
  data = config_at_port (GENERAL_KEYRING, port);
  _mailsync_credentials_set_keyring_store_func (refuse_store);

  account = create_asking (data, typed_password, NULL, &config);
  g_signal_connect (account, "event", G_CALLBACK (collect_warnings), texts);

  /* the password is asked when the repository connects */
  ck_assert (!mailsync_account_sync (account, NULL, &error));
  ck_assert_uint_eq (texts->len, 0);
  g_clear_error (&error);
  fake_accepted_login (account, "s3cret");
  ck_assert (!mailsync_account_sync (account, NULL, &error));
  ck_assert_uint_eq (texts->len, 1);
  ck_assert_str_eq (g_ptr_array_index (texts, 0),
                    "R: Repository R: could not store the password in the keyring: the keyring is locked");
  /* said once */
  g_clear_error (&error);
  ck_assert (!mailsync_account_sync (account, NULL, &error));
  ck_assert_uint_eq (texts->len, 1);

  _mailsync_credentials_set_keyring_store_func (NULL);
}
END_TEST
/* No password anywhere and no prompt (-u basic, or machineui at EOF): the
 * account stops before connecting, as offlineimap does, instead of
 * logging in with an empty password on every run. Since session 20 the
 * account is built and stops when it connects (offlineimap's time), with
 * the same one-line error; without a password function alike. */
static char *
no_answer (const char *account,
           const char *repository,
           const char *user,
           const char *host,
           gpointer    user_data)
{
  guint *calls = user_data;

  (*calls)++;
  return NULL;
}

START_TEST (test_no_password)
{
  g_autoptr(GSocket) closed = NULL;
  g_autofree char *data = NULL;
  guint port, calls = 0;

  closed = closed_port (&port);
  data = config_at_port (GENERAL, port);
  for (guint with_func = 0; with_func < 2; with_func++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncConfig) config = load_config (data, &error);
      g_autoptr(MailsyncAccount) account = NULL;
      g_autofree char *expected = NULL;

      ck_assert_msg (config != NULL, "%s", error ? error->message : "");
      if (with_func)
        mailsync_config_set_password_func (config, no_answer, &calls, NULL);
      account = mailsync_config_create_account (config, "A", NULL, &error);
      ck_assert_msg (account != NULL, "%s", error ? error->message : "");
      ck_assert_uint_eq (calls, 0);
      /* not "connection refused": nothing was tried */
      ck_assert (!mailsync_account_sync (account, NULL, &error));
      ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED), "%s",
                     error->message);
      ck_assert_uint_eq (calls, with_func);
      expected = g_strdup ("t:10: section 'Repository R': no password for me@127.0.0.1 (account A): set "
                                  "remotepass, remotepassfile, remotepasscmd or remotepasseval, add it to ~/.netrc, "
                                  "or use a UI that asks for it (ttyui, blinkenlights, machineui)");
      ck_assert_str_eq (error->message, expected);
    }
}
END_TEST
static Suite *
config_suite (void)
{
  Suite *s = suite_create ("config-credentials");
  TCase *tc = tcase_create ("config-credentials");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 3 * DEADLINE_SECONDS);
  tcase_add_test (tc, test_password_order);
  tcase_add_test (tc, test_password_asked_at_connect);
  tcase_add_test (tc, test_asker_forgets_refused);
  tcase_add_test (tc, test_asker_sync_generation);
  tcase_add_test (tc, test_asker_kept_after_token_refused);
  tcase_add_test (tc, test_asker_newer_after_refusal);
  tcase_add_test (tc, test_asker_held_connection_keeps_new);
  tcase_add_test (tc, test_client_password_kept);
  tcase_add_test (tc, test_netrc_user);
  tcase_add_test (tc, test_update_keyring_after_login);
  tcase_add_test (tc, test_update_keyring_store_fails);
  tcase_add_test (tc, test_no_password);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (config_suite ());
}
