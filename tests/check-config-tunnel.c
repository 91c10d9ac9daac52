/* MailsyncConfig: TLS with a preauthtunnel or transporttunnel. Split
 * from check-config-credentials.c. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"
#include "config-fixtures.h"

#include <string.h>

/* starttls = yes through a transporttunnel without remotehost, to a
 * server without STARTTLS: no login, and the error names the tunnel
 * ("%s" of the NULL host printed "(null)"). */
START_TEST (test_tunnel_without_starttls)
{
  g_autofree char *script = g_build_filename (home, "refusing.sh", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  Prompt p = { 0 };

  ck_assert (g_file_set_contents (script, refusing_server, -1, NULL));
  data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\ntransporttunnel = sh %s\n"
                          "remoteuser = me\nremotepass = pw\nssl = no\nstarttls = yes\n", script);
  account = create_asking (data, prompt, &p, &config);
  ck_assert (!mailsync_repository_open (mailsync_account_get_remote (account), NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_MISSING_CAPABILITY), "%s",
                 error->message);
  ck_assert_msg (g_str_has_prefix (error->message, "the server of the transporttunnel does not offer STARTTLS;"),
                 "%s", error->message);
  ck_assert_uint_eq (p.calls, 0);
}
END_TEST

/* TLS through a transporttunnel without remotehost, ssl = yes (the
 * default) or STARTTLS offered: no name to check the certificate against,
 * a configuration error (before: the TLS stream refused the NULL name
 * with a critical and the open waited for ever). */
static const char starttls_server[] =
  "printf '* OK [CAPABILITY IMAP4rev1 STARTTLS] scripted\\r\\n'\n"
  "while IFS= read -r line; do\n"
  "  tag=${line%% *}\n"
  "  case \"$line\" in\n"
  "    *STARTTLS*) printf '%s OK begin TLS\\r\\n' \"$tag\" ;;\n"
  "    *) printf '%s BAD\\r\\n' \"$tag\" ;;\n"
  "  esac\n"
  "done\n";

START_TEST (test_tunnel_tls_without_host)
{
  g_autofree char *script = g_build_filename (home, "starttls.sh", NULL);
  const char *security[] = { "", "ssl = no\n" };

  ck_assert (g_file_set_contents (script, starttls_server, -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (security); i++)
    {
      g_autofree char *data = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncConfig) config = NULL;
      g_autoptr(MailsyncAccount) account = NULL;
      Prompt p = { 0 };

      data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\ntransporttunnel = sh %s\n"
                              "remoteuser = me\nremotepass = pw\n%s", script, security[i]);
      account = create_asking (data, prompt, &p, &config);
      ck_assert (!mailsync_repository_open (mailsync_account_get_remote (account), NULL, &error));
      ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG), "%s: %s",
                     security[i], error->message);
      ck_assert_msg (g_str_has_prefix (error->message, "TLS through the transporttunnel needs remotehost"), "%s",
                     error->message);
    }
}
END_TEST

static Suite *
config_suite (void)
{
  Suite *s = suite_create ("config-tunnel");
  TCase *tc = tcase_create ("config-tunnel");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_tunnel_without_starttls);
  tcase_add_test (tc, test_tunnel_tls_without_host);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (config_suite ());
}
