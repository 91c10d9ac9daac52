/* MailsyncConfig: TLS with a preauthtunnel or transporttunnel. Split
 * from check-config-credentials.c. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"
#include "config-fixtures.h"
#include "config/mailsync-config-private.h"

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

/* TLS through a transporttunnel without remotehost: no name to check the
 * certificate against, a configuration error (before: the TLS stream
 * refused the NULL name with a critical and the open waited for ever).
 * TLS is there with ssl = no and STARTTLS offered, a tunnel that names
 * port 993, or an API client's ssl (the config's default ssl makes no
 * TLS through a tunnel since test_tunnel_rule). */
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
  static const struct { const char *tunnel_args, *lines; gboolean api_ssl; } cases[] = {
    { "", "ssl = no\n", FALSE },
    { " 993", "", FALSE },
    { "", "", TRUE },
  };

  ck_assert (g_file_set_contents (script, starttls_server, -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *data = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncConfig) config = NULL;
      g_autoptr(MailsyncAccount) account = NULL;
      Prompt p = { 0 };

      data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\ntransporttunnel = sh %s%s\n"
                              "remoteuser = me\nremotepass = pw\n%s", script, cases[i].tunnel_args, cases[i].lines);
      account = create_asking (data, prompt, &p, &config);
      if (cases[i].api_ssl)
        g_object_set (mailsync_account_get_remote (account), "ssl", TRUE, NULL);
      ck_assert (!mailsync_repository_open (mailsync_account_get_remote (account), NULL, &error));
      ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG), "case %u: %s", i,
                     error->message);
      ck_assert_msg (g_str_has_prefix (error->message, "TLS through the transporttunnel needs remotehost"), "%s",
                     error->message);
    }
}
END_TEST

/* What the rule reads of a tunnel's command line (doc/design.md "Tunnels
 * and TLS"): a word naming port 993, a stage that makes TLS itself, a
 * relay in clear to a host that is not a loopback one. */
START_TEST (test_tunnel_read)
{
  static const struct { const char *command; gboolean tls_port, tls_inside; const char *relay; } cases[] = {
    { "ssh host nc localhost 143", FALSE, FALSE, NULL },
    { "ssh mail.example.com /usr/lib/dovecot/imap", FALSE, FALSE, NULL },
    { "ssh -q bastion -W imap.example.com:143", FALSE, FALSE, "imap.example.com" },
    { "ssh -qW imap.example.com:993 bastion", TRUE, FALSE, "imap.example.com" },
    { "ssh -W localhost:143 host", FALSE, FALSE, NULL },
    { "ssh -p 2222 -l me bastion nc imap.example.com 143", FALSE, FALSE, "imap.example.com" },
    { "ssh bastion 'nc [::1] 143'", FALSE, FALSE, NULL },
    { "ssh -J jump mail.example.com /usr/lib/dovecot/imap", FALSE, FALSE, NULL },
    { "ssh -o 'ProxyCommand=nc proxy.example.com 22' host nc 127.0.0.1 143", FALSE, FALSE, NULL },
    { "ssh -p 9930 host nc localhost 143", FALSE, FALSE, NULL },
    { "nc imap.example.com 143", FALSE, FALSE, "imap.example.com" },
    { "/bin/nc -X connect -x proxy.example.com:3128 imap.example.com imap", FALSE, FALSE, "imap.example.com" },
    { "nc imap.example.com imaps", TRUE, FALSE, "imap.example.com" },
    { "nc 127.0.0.1 143", FALSE, FALSE, NULL },
    { "nc -U /run/dovecot/imap", FALSE, FALSE, NULL },
    { "ncat --ssl imap.example.com 993", TRUE, TRUE, "imap.example.com" },
    { "telnet imap.example.com 143", FALSE, FALSE, "imap.example.com" },
    { "corkscrew proxy.example.com 8080 imap.example.com 143", FALSE, FALSE, "imap.example.com" },
    { "proxytunnel -p proxy.example.com:8080 -d imap.example.com:143", FALSE, FALSE, "imap.example.com" },
    { "socat - TCP:imap.example.com:993,connect-timeout=5", TRUE, FALSE, "imap.example.com" },
    { "socat STDIO SOCKS4A:proxy.example.com:imap.example.com:143", FALSE, FALSE, "imap.example.com" },
    { "socat - OPENSSL:imap.example.com:993", TRUE, TRUE, NULL },
    { "openssl s_client -connect imap.example.com:993 -quiet", TRUE, TRUE, NULL },
    { "ssh bastion openssl s_client -quiet -connect imap.example.com:993", TRUE, TRUE, NULL },
    { "gnutls-cli --port 993 imap.example.com", TRUE, TRUE, NULL },
    { "sh -c 'exec nc imap.example.com 143'", FALSE, FALSE, "imap.example.com" },
    { "env LANG=C nc imap.example.com 143", FALSE, FALSE, "imap.example.com" },
    { "/usr/lib/dovecot/imap", FALSE, FALSE, NULL },
    { "unbalanced 'quote", FALSE, FALSE, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      MailsyncConfigTunnel tunnel;

      _mailsync_config_tunnel_read (cases[i].command, &tunnel);
      ck_assert_msg (tunnel.tls_port == cases[i].tls_port && tunnel.tls_inside == cases[i].tls_inside &&
                     g_strcmp0 (tunnel.relay_host, cases[i].relay) == 0, "%s: port %d, inside %d, relay %s",
                     cases[i].command, tunnel.tls_port, tunnel.tls_inside,
                     tunnel.relay_host != NULL ? tunnel.relay_host : "(none)");
      _mailsync_config_tunnel_clear (&tunnel);
    }
}
END_TEST

/* The rule and its warnings, case by case: the repository's ssl and
 * starttls, and the options warned about (one line each, in this order,
 * never the password). */
START_TEST (test_tunnel_rule)
{
  static const char secure[] = "ssh host nc localhost 143";
  static const char relay[] = "ssh bastion -W imap.example.com:143";
  static const struct {
    const char *key, *command, *lines;
    gboolean ssl, starttls;
    const char *warned;
  } cases[] = {
    /* offlineimap's rule: no TLS through a tunnel, quiet with the defaults */
    { "transporttunnel", secure, "", FALSE, FALSE, "" },
    { "transporttunnel", secure, "remotehost = mail.example.com\n", FALSE, FALSE, "" },
    { "transporttunnel", secure, "ssl = yes\n", FALSE, FALSE, "ssl" },
    { "transporttunnel", secure, "starttls = yes\n", FALSE, FALSE, "starttls" },
    { "transporttunnel", secure, "ssl = yes\nstarttls = yes\nsslcacertfile = OS-DEFAULT\ntls_level = tls_secure\n"
      "ssl_version = tls1_2\ncert_fingerprint = " "00112233445566778899aabbccddeeff00112233\n", FALSE, FALSE,
      "ssl starttls cert_fingerprint sslcacertfile tls_level ssl_version" },
    /* ssl = no written: STARTTLS as starttls says, as before */
    { "transporttunnel", secure, "ssl = no\n", FALSE, TRUE, "" },
    { "transporttunnel", relay, "ssl = no\n", FALSE, TRUE, "" },
    { "transporttunnel", secure, "ssl = no\nstarttls = no\n", FALSE, FALSE, "" },
    { "transporttunnel", secure, "ssl = no\nsslcacertfile = OS-DEFAULT\n", FALSE, TRUE, "" },
    /* a relay in clear past the tunnel's end */
    { "transporttunnel", relay, "", FALSE, FALSE, "transporttunnel" },
    { "transporttunnel", "nc imap.example.com 143", "ssl = yes\n", FALSE, FALSE, "ssl transporttunnel" },
    /* port 993 named: TLS through the tunnel, as before */
    { "transporttunnel", "ssh bastion -W imap.example.com:993", "", TRUE, FALSE, "" },
    { "transporttunnel", "ssh bastion -W imap.example.com:imaps", "ssl = yes\nsslcacertfile = OS-DEFAULT\n", TRUE,
      FALSE, "" },
    { "transporttunnel", "ssh bastion -W imap.example.com:993", "ssl = no\n", FALSE, TRUE, "" },
    /* the tunnel makes TLS itself */
    { "transporttunnel", "openssl s_client -connect imap.example.com:993 -quiet", "", FALSE, FALSE, "" },
    /* preauthtunnel: never TLS or STARTTLS */
    { "preauthtunnel", "ssh host /usr/lib/dovecot/imap", "", FALSE, FALSE, "" },
    { "preauthtunnel", "ssh host /usr/lib/dovecot/imap", "ssl = no\n", FALSE, FALSE, "" },
    { "preauthtunnel", "ssh host /usr/lib/dovecot/imap", "ssl = yes\nstarttls = yes\n", FALSE, FALSE,
      "ssl starttls" },
    { "preauthtunnel", "ssh host /usr/lib/dovecot/imap", "ssl = no\nstarttls = yes\nsslcacertfile = OS-DEFAULT\n",
      FALSE, FALSE, "starttls sslcacertfile" },
    { "preauthtunnel", "nc imap.example.com 143", "", FALSE, FALSE, "preauthtunnel" },
  };
  static const struct { const char *key, *text; } texts[] = {
    { "ssl", "not used with TUNNEL: no TLS through it, as in offlineimap" },
    { "starttls", "not used with TUNNEL: " },
    { "transporttunnel", "the connection from the tunnel to imap.example.com is not encrypted; set ssl = no to "
      "require STARTTLS" },
    { "preauthtunnel", "the connection from the tunnel to imap.example.com is not encrypted (" },
    { "cert_fingerprint", "not used: no TLS through the TUNNEL" },
    { "sslcacertfile", "not used: no TLS through the TUNNEL" },
    { "tls_level", "not used: no TLS through the TUNNEL" },
    { "ssl_version", "not used: no TLS through the TUNNEL" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *data = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncConfig) config = NULL;
      g_autoptr(MailsyncAccount) account = NULL;
      g_auto(GStrv) warnings = NULL;
      g_auto(GStrv) warned = g_strsplit (cases[i].warned, " ", -1);
      gboolean ssl, starttls;

      data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\n%s = %s\nremoteuser = me\n"
                              "remotepass = pw-secret-42\n%s", cases[i].key, cases[i].command, cases[i].lines);
      account = create (data, &config, &error);
      ck_assert_msg (account != NULL, "case %u: %s", i, error->message);
      g_object_get (mailsync_account_get_remote (account), "ssl", &ssl, "starttls", &starttls, NULL);
      ck_assert_msg (ssl == cases[i].ssl && starttls == cases[i].starttls, "case %u: ssl %d starttls %d", i, ssl,
                     starttls);
      warnings = mailsync_config_get_warnings (config);
      ck_assert_msg (g_strv_length (warnings) == (cases[i].warned[0] != '\0' ? g_strv_length (warned) : 0),
                     "case %u: %u warnings, first '%s'", i, g_strv_length (warnings),
                     warnings[0] != NULL ? warnings[0] : "");
      for (guint w = 0; warnings[w] != NULL; w++)
        {
          g_autofree char *option = g_strdup_printf ("option '%s' in section 'Repository R': ", warned[w]);
          const char *text = NULL;

          ck_assert_msg (strstr (warnings[w], option) != NULL, "case %u: %s", i, warnings[w]);
          ck_assert_msg (strstr (warnings[w], "pw-secret-42") == NULL && strchr (warnings[w], '\n') == NULL,
                         "case %u: %s", i, warnings[w]);
          for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
            if (strcmp (texts[t].key, warned[w]) == 0)
              text = texts[t].text;
          if (text != NULL)
            {
              g_autoptr(GString) expected = g_string_new (text);

              g_string_replace (expected, "TUNNEL", cases[i].key, 0);

              ck_assert_msg (strstr (warnings[w], expected->str) != NULL, "case %u: '%s' lacks '%s'", i,
                             warnings[w], expected->str);
            }
        }
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
  tcase_add_test (tc, test_tunnel_read);
  tcase_add_test (tc, test_tunnel_rule);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (config_suite ());
}
