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
  /* review28 L2: through a tunnel, ssl = yes alone is no TLS */
  ck_assert_msg (strstr (error->message, "set ssl = yes and remoteport = 993 for TLS through the tunnel") != NULL,
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
    { "", "remoteport = 993\n", FALSE },
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
 * and TLS"): a port position naming 993, a stage that makes TLS itself
 * ("u": one that checks no certificate), a relay in clear to a host that
 * is not a loopback one, printed only as a hostname or an IP address; "?":
 * a command not fully read (a script, an ssh alias). */
START_TEST (test_tunnel_read)
{
  static const struct {
    const char *command;
    gboolean tls_port, tls_inside;
    const char *relay, *flags;
  } cases[] = {
    { "ssh host nc localhost 143", FALSE, FALSE, NULL, "" },
    { "ssh mail.example.com /usr/lib/dovecot/imap", FALSE, FALSE, NULL, "" },
    { "ssh -q bastion -W imap.example.com:143", FALSE, FALSE, "imap.example.com", "" },
    { "ssh -qW imap.example.com:993 bastion", TRUE, FALSE, "imap.example.com", "" },
    { "ssh -W localhost:143 host", FALSE, FALSE, NULL, "" },
    { "ssh -p 2222 -l me bastion nc imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "ssh bastion 'nc [::1] 143'", FALSE, FALSE, NULL, "" },
    { "ssh -J jump mail.example.com /usr/lib/dovecot/imap", FALSE, FALSE, NULL, "" },
    { "ssh -o 'ProxyCommand=nc proxy.example.com 22' host nc 127.0.0.1 143", FALSE, FALSE, NULL, "" },
    { "ssh -p 9930 host nc localhost 143", FALSE, FALSE, NULL, "" },
    { "nc imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "/bin/nc -X connect -x proxy.example.com:3128 imap.example.com imap", FALSE, FALSE, "imap.example.com", "" },
    { "nc imap.example.com imaps", TRUE, FALSE, "imap.example.com", "" },
    { "nc 127.0.0.1 143", FALSE, FALSE, NULL, "" },
    { "nc -U /run/dovecot/imap", FALSE, FALSE, NULL, "" },
    { "telnet imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "corkscrew proxy.example.com 8080 imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "proxytunnel -p proxy.example.com:8080 -d imap.example.com:143", FALSE, FALSE, "imap.example.com", "" },
    { "socat - TCP:imap.example.com:993,connect-timeout=5", TRUE, FALSE, "imap.example.com", "" },
    { "socat STDIO SOCKS4A:proxy.example.com:imap.example.com:143", FALSE, FALSE, "imap.example.com", "" },
    { "sh -c 'exec nc imap.example.com 143'", FALSE, FALSE, "imap.example.com", "" },
    { "env LANG=C nc imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "/usr/lib/dovecot/imap", FALSE, FALSE, NULL, "" },
    { "unbalanced 'quote", FALSE, FALSE, NULL, "?" },
    /* review28 M1: an empty socat address crashed */
    { "socat - ''", FALSE, FALSE, NULL, "?" },
    { "socat - ,raw", FALSE, FALSE, NULL, "?" },
    /* M2: options' values and redirections are no host; only a hostname
     * or an address is printed */
    { "ncat 192.0.2.1 143 --proxy 127.0.0.1:9 --proxy-auth alice:Hunter2secret --proxy-type http", FALSE, FALSE,
      "192.0.2.1", "" },
    { "ssh b nc imap.example.com 143 2>/dev/null", FALSE, FALSE, "imap.example.com", "" },
    { "ssh b 'nc imap.example.com 143 | tee log'", FALSE, FALSE, "imap.example.com", "?" },
    { "nc 'user:pass@imap' 143", FALSE, FALSE, "another host", "" },
    /* M3: wrappers, shells, lists, nc.*, socat types, [v6], proxytunnel
     * -dHOST:PORT, ssh -o RemoteCommand= */
    { "nice -n 10 nc imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "env -u HOME nc imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "timeout -k 5 30 stdbuf -o0 nc imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "sudo -u mail busybox nc imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "nc.openbsd imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "nc.traditional imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "bash -lc 'nc imap.example.com 143'", FALSE, FALSE, "imap.example.com", "" },
    { "sh -ec 'nc imap.example.com 143'", FALSE, FALSE, "imap.example.com", "" },
    { "sh -c 'cd /; nc imap.example.com 143'", FALSE, FALSE, "imap.example.com", "" },
    { "sh -c 'true&&nc imap.example.com 143'", FALSE, FALSE, "imap.example.com", "" },
    { "socat - TCP4-CONNECT:imap.example.com:143", FALSE, FALSE, "imap.example.com", "" },
    { "socat - TCP6:[2001:db8::1]:143", FALSE, FALSE, "2001:db8::1", "" },
    { "socat - TCP6:[::1]:993", TRUE, FALSE, NULL, "" },
    { "socat - PROXY-CONNECT:proxy.example.com:imap.example.com:143", FALSE, FALSE, "imap.example.com", "" },
    { "proxytunnel -p proxy.example.com:8080 -dimap.example.com:143", FALSE, FALSE, "imap.example.com", "" },
    { "ssh -o 'RemoteCommand=nc imap.example.com 143' bastion", FALSE, FALSE, "imap.example.com", "" },
    { "ssh myalias", FALSE, FALSE, NULL, "?" },
    { "sh ~/bin/imap-tunnel", FALSE, FALSE, NULL, "?" },
    { "/usr/local/bin/imap-tunnel", FALSE, FALSE, NULL, "?" },
    /* M4: TLS made in the tunnel, checked or not */
    { "socat - OPENSSL:imap.example.com:993", FALSE, TRUE, NULL, "" },
    { "socat - OPENSSL:imap.example.com:993,verify=0", FALSE, TRUE, NULL, "u" },
    { "openssl s_client -connect imap.example.com:993 -quiet", FALSE, TRUE, NULL, "u" },
    { "openssl s_client -verify_return_error -connect imap.example.com:993 -quiet", FALSE, TRUE, NULL, "" },
    { "ssh bastion openssl s_client -quiet -connect imap.example.com:993", FALSE, TRUE, NULL, "u" },
    { "gnutls-cli --port 993 imap.example.com", FALSE, TRUE, NULL, "" },
    { "gnutls-cli --insecure --port 993 imap.example.com", FALSE, TRUE, NULL, "u" },
    { "ncat --ssl imap.example.com 993", FALSE, TRUE, NULL, "u" },
    { "ncat --ssl-verify imap.example.com 993", FALSE, TRUE, NULL, "" },
    /* L1: 993 only where a port stands */
    { "ssh -p 993 b nc imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "ssh -o Port=993 b nc imap.example.com 143", FALSE, FALSE, "imap.example.com", "" },
    { "ssh -W [2001:db8::993]:143 b", FALSE, FALSE, "2001:db8::993", "" },
    { "ssh imaps nc localhost 143", FALSE, FALSE, NULL, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      MailsyncConfigTunnel tunnel;
      gboolean unread, unchecked;

      _mailsync_config_tunnel_read (cases[i].command, &tunnel);
      unread = tunnel.unknown || !tunnel.endpoint;
      unchecked = tunnel.tls_unchecked;
      ck_assert_msg (tunnel.tls_port == cases[i].tls_port && tunnel.tls_inside == cases[i].tls_inside &&
                     g_strcmp0 (tunnel.relay_host, cases[i].relay) == 0 &&
                     unread == (strchr (cases[i].flags, '?') != NULL) &&
                     unchecked == (strchr (cases[i].flags, 'u') != NULL),
                     "%s: port %d, inside %d, relay %s, unread %d, unchecked %d", cases[i].command, tunnel.tls_port,
                     tunnel.tls_inside, tunnel.relay_host != NULL ? tunnel.relay_host : "(none)", unread, unchecked);
      _mailsync_config_tunnel_clear (&tunnel);
    }
}
END_TEST

/* The rule and its warnings, case by case: the repository's ssl and
 * starttls, and the options warned about (one line each, in this order,
 * never the password), or "!": a configuration error. */
START_TEST (test_tunnel_rule)
{
  static const char secure[] = "ssh host nc localhost 143";
  static const char relay[] = "ssh bastion -W imap.example.com:143";
  static const struct {
    const char *key, *command, *lines;
    gboolean ssl, starttls;
    const char *warned, *type;
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
    /* a relay in clear past the tunnel's end: a warning with the default
     * ssl, an error with ssl = yes or starttls = yes written (review28
     * M6), quiet loopback */
    { "transporttunnel", relay, "", FALSE, FALSE, "transporttunnel" },
    { "transporttunnel", "nc imap.example.com 143", "ssl = yes\n", FALSE, FALSE, "!" },
    { "transporttunnel", relay, "starttls = yes\n", FALSE, FALSE, "!" },
    { "transporttunnel", relay, "ssl = yes\nstarttls = no\n", FALSE, FALSE, "ssl transporttunnel" },
    /* port 993 named: TLS through the tunnel, as before */
    { "transporttunnel", "ssh bastion -W imap.example.com:993", "", TRUE, FALSE, "" },
    { "transporttunnel", "ssh bastion -W imap.example.com:imaps", "ssl = yes\nsslcacertfile = OS-DEFAULT\n", TRUE,
      FALSE, "" },
    { "transporttunnel", "ssh bastion -W imap.example.com:993", "ssl = no\n", FALSE, TRUE, "" },
    /* M5: remoteport = 993 written, or a Gmail repository: TLS through it */
    { "transporttunnel", secure, "remoteport = 993\n", TRUE, FALSE, "" },
    { "transporttunnel", secure, "remoteport = 143\n", FALSE, FALSE, "" },
    { "transporttunnel", secure, "", TRUE, FALSE, "", "Gmail" },
    /* the tunnel makes TLS itself: a warning if it checks nothing (M4) */
    { "transporttunnel", "openssl s_client -connect imap.example.com:993 -quiet", "", FALSE, FALSE,
      "transporttunnel" },
    { "transporttunnel", "openssl s_client -verify_return_error -connect imap.example.com:993", "", FALSE, FALSE,
      "" },
    { "transporttunnel", "ncat --ssl-verify imap.example.com 993", "ssl = yes\n", FALSE, FALSE, "ssl" },
    /* M3: a command not read, with ssl = yes written */
    { "transporttunnel", "/usr/local/bin/imap-tunnel", "ssl = yes\n", FALSE, FALSE, "ssl transporttunnel" },
    { "transporttunnel", "/usr/local/bin/imap-tunnel", "", FALSE, FALSE, "" },
    /* L3: sslcacertfile unused is not also a missing file */
    { "transporttunnel", secure, "sslcacertfile = ~/no-such-ca.pem\n", FALSE, FALSE, "sslcacertfile" },
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
    { "transporttunnel", "the TLS that its command makes checks no certificate" },
    { "transporttunnel", "cannot tell whether the connection past the tunnel is encrypted" },
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

      data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = %s\n%s = %s\nremoteuser = me\n"
                              "remotepass = pw-secret-42\n%s", cases[i].type != NULL ? cases[i].type : "IMAP",
                              cases[i].key, cases[i].command, cases[i].lines);
      account = create (data, &config, &error);
      if (strcmp (cases[i].warned, "!") == 0)
        {
          ck_assert_msg (account == NULL, "case %u: no error", i);
          ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG) &&
                         strstr (error->message, "option 'transporttunnel' in section 'Repository R': the "
                                 "connection from the tunnel to imap.example.com is not encrypted: set ssl = no to "
                                 "require STARTTLS, or starttls = no for clear text") != NULL, "case %u: %s", i,
                         error->message);
          continue;
        }
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
          gboolean known = FALSE, matched = FALSE;

          ck_assert_msg (strstr (warnings[w], option) != NULL, "case %u: %s", i, warnings[w]);
          ck_assert_msg (strstr (warnings[w], "pw-secret-42") == NULL && strchr (warnings[w], '\n') == NULL,
                         "case %u: %s", i, warnings[w]);
          for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
            if (strcmp (texts[t].key, warned[w]) == 0)
              {
                g_autoptr(GString) expected = g_string_new (texts[t].text);

                g_string_replace (expected, "TUNNEL", cases[i].key, 0);
                known = TRUE;
                matched |= strstr (warnings[w], expected->str) != NULL;
              }
          ck_assert_msg (!known || matched, "case %u: '%s' is none of the texts of %s", i, warnings[w], warned[w]);
        }
    }
}
END_TEST

/* A tunnel without TLS whose server sends no greeting (one that waits
 * for TLS, review28 M5): the error names the rule, not only the closed
 * connection. */
START_TEST (test_tunnel_no_greeting)
{
  g_autofree char *script = g_build_filename (home, "silent.sh", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  Prompt p = { 0 };

  ck_assert (g_file_set_contents (script, "exit 0\n", -1, NULL));
  data = g_strdup_printf (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\ntransporttunnel = sh %s\n"
                          "remoteuser = me\nremotepass = pw\n", script);
  account = create_asking (data, prompt, &p, &config);
  ck_assert (!mailsync_repository_open (mailsync_account_get_remote (account), NULL, &error));
  ck_assert_msg (g_str_has_prefix (error->message, "no TLS through the transporttunnel (its command names no port "
                                                   "993): set remoteport = 993"), "%s", error->message);
  ck_assert_uint_eq (p.calls, 0);
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
  tcase_add_test (tc, test_tunnel_no_greeting);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (config_suite ());
}
