/* MailsyncConfig: accounts from offlineimap configs, option by option;
 * errors and warnings name FILE:LINE. The sync itself against Dovecot is
 * check-config-sync.py. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"
#include "config-fixtures.h"
#include "config/mailsync-python-private.h"
#include "config/mailsync-config-private.h"

#include <string.h>
#include <glib/gstdio.h>

START_TEST (test_minimal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account =
    create (GENERAL ACCOUNT LOCAL REMOTE "sslcacertfile = OS-DEFAULT\n", &config, &error);
  g_autofree char *host = NULL, *user = NULL, *cafile = NULL, *root = NULL, *meta = NULL;
  g_auto(GStrv) names = NULL;
  g_auto(GStrv) all = NULL;
  g_auto(GStrv) warnings = NULL;
  MailsyncRepository *remote, *local;
  guint port;
  gboolean ssl;

  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  remote = mailsync_account_get_remote (account);
  local = mailsync_account_get_local (account);
  ck_assert (MAILSYNC_IS_IMAP_REPOSITORY (remote));
  ck_assert (MAILSYNC_IS_MAILDIR_REPOSITORY (local));
  ck_assert (MAILSYNC_IS_STATUS_SQLITE (mailsync_account_get_status (account)));
  ck_assert_str_eq (mailsync_repository_get_name (remote), "R");
  ck_assert_str_eq (mailsync_repository_get_name (local), "L");
  g_object_get (remote, "host", &host, "user", &user, "port", &port, "ssl", &ssl, "ca-file", &cafile, NULL);
  ck_assert_str_eq (host, "imap.example.org");
  ck_assert_str_eq (user, "me");
  ck_assert_int_eq (port, 993);
  ck_assert (ssl);
  ck_assert_str_eq (cafile, "OS-DEFAULT");
  root = g_build_filename (home, "Mail", NULL);
  ck_assert_str_eq (mailsync_maildir_repository_get_root (MAILSYNC_MAILDIR_REPOSITORY (local)), root);
  ck_assert_int_eq (mailsync_repository_get_separator (local), '.');
  ck_assert (!mailsync_account_get_dry_run (account));
  ck_assert (mailsync_repository_get_create_folders (local));
  ck_assert (mailsync_repository_get_sync_deletes (remote));
  ck_assert (!mailsync_repository_get_readonly (remote));

  names = mailsync_config_get_account_names (config, &error);
  ck_assert_str_eq (names[0], "A");
  ck_assert_ptr_null (names[1]);
  all = mailsync_config_get_all_account_names (config);
  ck_assert_str_eq (all[0], "A");
  meta = mailsync_config_get_metadata_dir (config);
  g_free (root);
  root = g_build_filename (home, "meta", NULL);
  ck_assert_str_eq (meta, root);
  warnings = mailsync_config_get_warnings (config);
  ck_assert_ptr_null (warnings[0]);
}
END_TEST

/* Defaults and the [general] options that reach repositories and accounts. */
START_TEST (test_options_applied)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account =
    create ("[general]\naccounts = A\nmetadata = $MAILSYNC_TEST_VAR/m\ndry-run = yes\nsocktimeout = 42\n"
            "fsync = no\nutime_from_header = yes\n"
            "[Account A]\nlocalrepository = L\nremoterepository = R\nmaxsize = 2000\nmaxage = 30\n"
            "maildir-windows-compatible = yes\nstatus_backend = plain\n"
            "[Repository L]\ntype = Maildir\nlocalfolders = ~/Mail/${MAILSYNC_TEST_VAR}/$UNSET_VAR_X\n"
            "sep = /\nreadonly = yes\ncustomflag_a = $Label1\nfilename_use_mail_timestamp = true\n"
            "[Repository R]\ntype = IMAP\nremotehost = h\nremoteuser = u\nremotepass = p\nssl = no\n"
            "createfolders = no\nsync_deletes = no\nusecompression = yes\nretrycount = 5\n"
            "auth_mechanisms = plain, Login\nreference = Mail\ntls_level = tls_secure\nssl_version = tls1_2\n"
            "cert_fingerprint = AB:CD:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab\n",
            NULL, &error);
  MailsyncRepository *remote, *local;
  MailsyncMaildirRepository *maildir;
  g_autofree char *root = NULL, *mechs = NULL, *reference = NULL, *keyword = NULL;
  guint port, timeout, retry;
  gboolean ssl, starttls, compress;

  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  remote = mailsync_account_get_remote (account);
  local = mailsync_account_get_local (account);
  maildir = MAILSYNC_MAILDIR_REPOSITORY (local);
  ck_assert (MAILSYNC_IS_STATUS_PLAIN (mailsync_account_get_status (account)));
  ck_assert (mailsync_account_get_dry_run (account));
  ck_assert_int_eq (mailsync_account_get_max_size (account), 2000);
  ck_assert_int_eq (mailsync_account_get_max_age (account), 30);
  root = g_build_filename (home, "Mail", "var-value", "$UNSET_VAR_X", NULL);
  ck_assert_str_eq (mailsync_maildir_repository_get_root (maildir), root);
  ck_assert_int_eq (mailsync_repository_get_separator (local), '/');
  ck_assert (mailsync_repository_get_readonly (local));
  ck_assert (!mailsync_maildir_repository_get_fsync (maildir));
  ck_assert (mailsync_maildir_repository_get_windows_compatible (maildir));
  ck_assert (mailsync_maildir_repository_get_utime_from_header (maildir));
  ck_assert (mailsync_maildir_repository_get_filename_use_mail_timestamp (maildir));
  ck_assert (!mailsync_maildir_repository_get_assign_uids (maildir));
  keyword = mailsync_maildir_repository_get_custom_flag (maildir, 'a');
  ck_assert_str_eq (keyword, "$Label1");

  g_object_get (remote, "port", &port, "ssl", &ssl, "starttls", &starttls, "timeout", &timeout,
                "use-compression", &compress, "retry-count", &retry, "auth-mechanisms", &mechs,
                "reference", &reference, NULL);
  ck_assert_int_eq (port, 143);
  ck_assert (!ssl);
  ck_assert (starttls);
  ck_assert_int_eq (timeout, 42);
  ck_assert (compress);
  ck_assert_int_eq (retry, 5);
  ck_assert_str_eq (mechs, "PLAIN, LOGIN");
  ck_assert_str_eq (reference, "Mail");
  ck_assert (!mailsync_repository_get_create_folders (remote));
  ck_assert (!mailsync_repository_get_sync_deletes (remote));
}
END_TEST

/* TLS files: relative paths are made absolute, as offlineimap's abspath. */
START_TEST (test_tls_paths)
{
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *ca = g_build_filename (home, "ca.pem", NULL);
  g_autofree char *cafile = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account = NULL;

  mailsync_test_write_file (ca, "-----BEGIN CERTIFICATE-----\n");
  ck_assert_int_eq (g_chdir (home), 0);
  account = create (GENERAL ACCOUNT LOCAL REMOTE "sslcacertfile = ca.pem\n", NULL, &error);
  ck_assert_int_eq (g_chdir (cwd), 0);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  g_object_get (mailsync_account_get_remote (account), "ca-file", &cafile, NULL);
  ck_assert_str_eq (cafile, ca);
}
END_TEST

/* A local repository of type IMAP is offlineimap's MappedIMAP. */
START_TEST (test_imap_imap)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account =
    create (GENERAL ACCOUNT "[Repository L]\ntype = IMAP\nremotehost = local.example\nremotepass = x\n"
            "remoteuser = u\n" REMOTE, NULL, &error);

  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  ck_assert (MAILSYNC_IS_MAPPED_REPOSITORY (mailsync_account_get_local (account)));
  ck_assert (MAILSYNC_IS_IMAP_REPOSITORY (mailsync_mapped_repository_get_inner (
                 MAILSYNC_MAPPED_REPOSITORY (mailsync_account_get_local (account)))));
}
END_TEST

/* maxconnections sizes the local IMAP repository's pool too (the mapped
 * repository's inner one), as the remote's. */
START_TEST (test_imap_imap_max_connections)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account =
    create (GENERAL ACCOUNT "[Repository L]\ntype = IMAP\nremotehost = local.example\nremotepass = x\n"
            "remoteuser = u\nmaxconnections = 3\n" REMOTE, NULL, &error);
  MailsyncRepository *inner;
  guint local = 0, remote = 0;

  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  inner = mailsync_mapped_repository_get_inner (MAILSYNC_MAPPED_REPOSITORY (mailsync_account_get_local (account)));
  g_object_get (inner, "max-connections", &local, NULL);
  g_object_get (mailsync_account_get_remote (account), "max-connections", &remote, NULL);
  ck_assert_uint_eq (local, 3);
  ck_assert_uint_eq (remote, 1);
}
END_TEST

/* utf8foldernames, an account option, names both IMAP sides' folders;
 * off by default (IMAP's modified UTF-7 names, as offlineimap). */
START_TEST (test_utf8_folder_names)
{
  for (guint yes = 0; yes < 2; yes++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *data = g_strconcat (GENERAL ACCOUNT, yes ? "utf8foldernames = yes\n" : "",
                                           "[Repository L]\ntype = IMAP\nremotehost = local.example\n"
                                           "remotepass = x\nremoteuser = u\n" REMOTE, NULL);
      g_autoptr(MailsyncAccount) account = create (data, NULL, &error);
      MailsyncRepository *inner;
      gboolean remote_utf8 = !yes, local_utf8 = !yes;

      ck_assert_msg (account != NULL, "%s", error ? error->message : "");
      inner = mailsync_mapped_repository_get_inner (MAILSYNC_MAPPED_REPOSITORY (mailsync_account_get_local (account)));
      g_object_get (mailsync_account_get_remote (account), "utf8-folder-names", &remote_utf8, NULL);
      g_object_get (inner, "utf8-folder-names", &local_utf8, NULL);
      ck_assert_int_eq (remote_utf8, yes);
      ck_assert_int_eq (local_utf8, yes);
    }
}
END_TEST

typedef struct
{
  const char *data;
  int         code;
  const char *message;
} ErrorCase;


static const ErrorCase errors[] = {
  { GENERAL "[Account B]\n", E_INVALID, "t:2: The account 'A' does not exist (no section [Account A])" },
  { GENERAL "[Account A]\nlocalrepository = L\n" LOCAL, E_INVALID,
    "t:4: option 'remoterepository' in section 'Account A': required: the name of a [Repository NAME] section" },
  { GENERAL ACCOUNT LOCAL, E_INVALID,
    "t:6: option 'remoterepository' in section 'Account A': there is no section [Repository R]" },
  { GENERAL "[Account A]\nlocalrepository = R\nremoterepository = R\n" REMOTE, E_INVALID,
    "t:5: option 'localrepository' in section 'Account A': names the same repository as remoterepository" },
  { GENERAL ACCOUNT LOCAL "[Repository R]\nremotehost = h\n", E_INVALID,
    "t:10: option 'type' in section 'Repository R': required: IMAP or Maildir" },
  { GENERAL ACCOUNT LOCAL "[Repository R]\ntype = POP\n", E_INVALID,
    "t:11: option 'type' in section 'Repository R': unknown repository type 'POP' (IMAP, Gmail, Maildir or GmailMaildir)" },
  { GENERAL ACCOUNT "[Repository L]\ntype = Gmail\n" REMOTE, E_INVALID,
    "t:8: option 'type' in section 'Repository L': 'Gmail' repository not supported for 'local' repositories." },
  { GENERAL ACCOUNT LOCAL "[Repository R]\ntype = GmailMaildir\n", E_INVALID,
    "t:11: option 'type' in section 'Repository R': 'GmailMaildir' repository not supported for 'remote' repositories." },
  { GENERAL ACCOUNT "[Repository L]\ntype = Maildir\n" REMOTE, E_INVALID,
    "t:7: option 'localfolders' in section 'Repository L': required for a Maildir repository" },
  { GENERAL ACCOUNT LOCAL "sep = \".\"\n" REMOTE, E_INVALID,
    "t:10: option 'sep' in section 'Repository L': must be '.' or '/' (without quotes)" },
  { GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\n", E_INVALID,
    "t:10: section 'Repository R': an IMAP repository needs remotehost (or preauthtunnel or transporttunnel)" },
  { GENERAL ACCOUNT LOCAL REMOTE "preauthtunnel = a\ntransporttunnel = b\n", E_INVALID,
    "t:16: option 'transporttunnel' in section 'Repository R': set either preauthtunnel or transporttunnel, not both" },
  { GENERAL ACCOUNT LOCAL REMOTE "ssl = maybe\n", E_INVALID,
    "t:15: option 'ssl' in section 'Repository R': 'maybe' is not a boolean (use yes/no, true/false, on/off or 1/0)" },
  { GENERAL ACCOUNT LOCAL REMOTE "remoteport = 70000\n", E_INVALID,
    "t:15: option 'remoteport' in section 'Repository R': 70000 is out of range (1..65535)" },
  { GENERAL ACCOUNT LOCAL REMOTE "remoteport = imap\n", E_INVALID,
    "t:15: option 'remoteport' in section 'Repository R': 'imap' is not an integer" },
  { GENERAL ACCOUNT LOCAL REMOTE "cert_fingerprint = 1234\n", E_INVALID,
    "t:15: option 'cert_fingerprint' in section 'Repository R': '1234' is not a hex SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512 fingerprint" },
  { GENERAL ACCOUNT LOCAL REMOTE "tls_level = tls_best\n", E_INVALID,
    "t:15: option 'tls_level' in section 'Repository R': 'tls_best' is not one of tls_secure, tls_no_ssl, tls_compat" },
  { GENERAL ACCOUNT LOCAL REMOTE "ssl_version = tls9\n", E_INVALID,
    "t:15: option 'ssl_version' in section 'Repository R': 'tls9' is not one of ssl23, ssl3, tls1, tls1_1, tls1_2, tls1_3" },
  { GENERAL ACCOUNT LOCAL REMOTE "auth_mechanisms = PLAIN, NTLM\n", E_INVALID,
    "t:15: option 'auth_mechanisms' in section 'Repository R': unknown mechanism 'NTLM' (known: GSSAPI, XOAUTH2, OAUTHBEARER, CRAM-MD5, PLAIN, LOGIN)" },
  { GENERAL ACCOUNT LOCAL REMOTE "sslcacertfile = /nonexistent/ca.pem\n", E_INVALID,
    "t:15: option 'sslcacertfile' in section 'Repository R': no such file '/nonexistent/ca.pem'" },
  { GENERAL ACCOUNT LOCAL REMOTE "expunge = later\n", E_INVALID,
    "t:15: option 'expunge' in section 'Repository R': 'later' is not a boolean (use yes/no, true/false, on/off or 1/0)" },
  { GENERAL ACCOUNT LOCAL REMOTE "subscribedonly = some\n", E_INVALID,
    "t:15: option 'subscribedonly' in section 'Repository R': 'some' is not a boolean (use yes/no, true/false, on/off or 1/0)" },
  { GENERAL ACCOUNT LOCAL REMOTE "oauth2_refresh_token = tok\n", E_INVALID,
    "t:15: option 'oauth2_refresh_token' in section 'Repository R': needs oauth2_request_url, the provider's token endpoint" },
  { GENERAL ACCOUNT LOCAL REMOTE "oauth2_refresh_token = tok\noauth2_request_url = https://example.org/token\n", E_INVALID,
    "t:15: option 'oauth2_refresh_token' in section 'Repository R': needs oauth2_client_id" },
  { GENERAL ACCOUNT LOCAL REMOTE "oauth2_access_token = tok\nauth_mechanisms = PLAIN\n", E_INVALID,
    "t:16: option 'auth_mechanisms' in section 'Repository R': lists neither XOAUTH2 nor OAUTHBEARER, but an OAuth2 token is set" },
  { GENERAL ACCOUNT LOCAL "startdate = 2020-01-01\n" REMOTE, E_UNSUPPORTED,
    "t:10: option 'startdate' in section 'Repository L': startdate is for IMAP repositories: on a Maildir, offlineimap's rule uploads the older mail at the next sync; use the account's maxage instead" },
  { GENERAL ACCOUNT LOCAL REMOTE "startdate = 2020-02-30\n", E_INVALID,
    "t:15: option 'startdate' in section 'Repository R': invalid startdate value '2020-02-30' (YYYY-MM-DD)" },
  { GENERAL ACCOUNT LOCAL REMOTE "startdate = 1800-01-01\n", E_INVALID,
    "t:15: option 'startdate' in section 'Repository R': startdate led to year 1800. Abort syncing." },
  { GENERAL ACCOUNT LOCAL REMOTE "startdate = 2999-01-01\n", E_INVALID,
    "t:15: option 'startdate' in section 'Repository R': startdate led to a date in the future. Abort syncing." },
  { GENERAL ACCOUNT "maxage = 3\n" LOCAL REMOTE "startdate = 2020-01-01\n", E_INVALID,
    "t:16: option 'startdate' in section 'Repository R': set either startdate or the account's maxage, not both" },
  { GENERAL ACCOUNT "status_backend = berkeley\n" LOCAL REMOTE, E_INVALID,
    "t:7: option 'status_backend' in section 'Account A': 'berkeley' is not one of sqlite, plain" },
  { GENERAL ACCOUNT "maxage = 0\n" LOCAL REMOTE, E_INVALID,
    "t:7: option 'maxage' in section 'Account A': must be at least 1 (days) or a date YYYY-MM-DD" },
  { GENERAL ACCOUNT "maxage = 2999-01-01\n" LOCAL REMOTE, E_INVALID,
    "t:7: option 'maxage' in section 'Account A': '2999-01-01' is in the future" },
  { GENERAL ACCOUNT "maxage = 2020-02-30\n" LOCAL REMOTE, E_INVALID,
    "t:7: option 'maxage' in section 'Account A': '2020-02-30' is not a valid date (YYYY-MM-DD, year 1900 or later)" },
  { GENERAL ACCOUNT "maxage = yesterday\n" LOCAL REMOTE, E_INVALID,
    "t:7: option 'maxage' in section 'Account A': 'yesterday' is neither a number of days nor a date YYYY-MM-DD" },
  { GENERAL ACCOUNT "maxage = 3\n" "[Repository L]\ntype = IMAP\nremotehost = l\nremotepass = x\n" REMOTE, E_INVALID,
    "t:7: option 'maxage' in section 'Account A': maxage is not supported on IMAP-IMAP sync (the local repository must be a Maildir)" },
  { GENERAL ACCOUNT "autorefresh = soon\n" LOCAL REMOTE, E_INVALID,
    "t:7: option 'autorefresh' in section 'Account A': 'soon' is not a number" },
  { GENERAL ACCOUNT LOCAL "nametrans_rules = ^INBOX$\n" REMOTE, E_INVALID,
    "t:10: option 'nametrans_rules' in section 'Repository L': rule 1: not 'REGEX => REPLACEMENT'" },
  { GENERAL ACCOUNT LOCAL "nametrans_rules = ^(INBOX$ => x\n" REMOTE, E_INVALID, NULL /* GRegex's text */ },
  { GENERAL ACCOUNT LOCAL "nametrans_rules = a => b\nnametrans = lambda f: f\n" REMOTE, E_INVALID,
    "t:10: option 'nametrans_rules' in section 'Repository L': set either nametrans or nametrans_rules, not both" },
  { GENERAL ACCOUNT LOCAL "folder_exclude = Trash\nfolderfilter = lambda f: True\n" REMOTE, E_INVALID,
    "t:11: option 'folderfilter' in section 'Repository L': set either folderfilter or folder_include/folder_exclude, not both" },
  { GENERAL ACCOUNT LOCAL "folder_include = /[/\n" REMOTE, E_INVALID, NULL },
  { GENERAL ACCOUNT LOCAL REMOTE "remotepass = %(nope)s\n", E_INVALID, "t:15: duplicate option 'remotepass' in section 'Repository R' (first at line 14)" },
  { GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\nremotehost = h\nremotepass = 50%\n", E_INVALID,
    "t:13: option 'remotepass' in section 'Repository R': '%' must be followed by '%' or '(' (write '%%' for a literal '%')" },
  { GENERAL "maxsyncaccounts = 0\n", E_INVALID,
    "t:4: option 'maxsyncaccounts' in section 'general': 0 is out of range (1..2147483647)" },
  { GENERAL "[mbnames]\nenabled = yes\nfilename = ~/m\n", E_INVALID,
    "t:4: option 'header' in section 'mbnames': required when mbnames is enabled" },
};

START_TEST (test_errors)
{
  const ErrorCase *c = &errors[_i];
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account = create (c->data, NULL, &error);

  ck_assert_msg (account == NULL, "case %d: accepted", _i);
  ck_assert_msg (error->domain == MAILSYNC_ERROR && error->code == c->code,
                 "case %d: code %d: %s", _i, error->code, error->message);
  if (c->message != NULL)
    ck_assert_str_eq (error->message, c->message);
  else
    ck_assert_msg (g_str_has_prefix (error->message, "t:10: option '") ||
                   g_str_has_prefix (error->message, "t:10: option 'folder_include'"),
                   "case %d: %s", _i, error->message);
}
END_TEST

START_TEST (test_warnings)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account =
    create ("[DEFAULT]\nhelper = x\n" GENERAL "[weird]\n" ACCOUNT "myhelper = 1\n"
            LOCAL "remotehost = h\ncustomflag_b = $X\n" REMOTE "sep = /\nfoldersort = lambda x, y: -cmp(x, y)\n"
            "customflag_c = $Y\n",
            &config, &error);
  g_auto(GStrv) warnings = NULL;
  g_autofree char *joined = NULL;

  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  warnings = mailsync_config_get_warnings (config);
  joined = g_strjoinv ("\n", warnings);
  ck_assert_str_eq (joined,
                    "t:6: section 'weird': unknown section, ignored (sections are [general], [mbnames], [Account NAME] and [Repository NAME])\n"
                    "t:10: option 'myhelper' in section 'Account A': unknown option, ignored\n"
                    "t:23: option 'customflag_c' in section 'Repository R': has no effect on an IMAP repository\n"
                    "t:21: option 'sep' in section 'Repository R': ignored for IMAP: the server's hierarchy delimiter is used\n"
                    "t:22: option 'foldersort' in section 'Repository R': ignored: mailsync syncs folders in the order of their names\n"
                    "t:14: option 'remotehost' in section 'Repository L': has no effect on a Maildir repository");
}
/* expunge and subscribedonly reach the IMAP repository (what they do
 * there: check-imap-options.py against Dovecot). */
START_TEST (test_imap_list_options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  gboolean expunge = TRUE, subscribed = FALSE;
  gint64 start = 0;
  GSocketFamily family = G_SOCKET_FAMILY_INVALID;
  g_autofree char *authzid = NULL;

  account = create (GENERAL ACCOUNT LOCAL REMOTE "expunge = no\nsubscribedonly = yes\n", NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  g_object_get (mailsync_account_get_remote (account), "expunge", &expunge, "subscribed-only", &subscribed, NULL);
  ck_assert (!expunge);
  ck_assert (subscribed);
  g_clear_object (&account);
  account = create (GENERAL ACCOUNT LOCAL REMOTE, NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  g_object_get (mailsync_account_get_remote (account), "expunge", &expunge, "subscribed-only", &subscribed, NULL);
  ck_assert (expunge);
  ck_assert (!subscribed);
  g_clear_object (&account);
  account = create (GENERAL ACCOUNT LOCAL REMOTE "startdate = 2020-03-04\n", NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  g_object_get (mailsync_account_get_remote (account), "start-date", &start, NULL);
  ck_assert_int_eq (start, 1583280000);
  g_clear_object (&account);
  account = create (GENERAL ACCOUNT LOCAL REMOTE "ipv6 = no\nremote_identity = boss\n", NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  g_object_get (mailsync_account_get_remote (account), "address-family", &family, "authzid", &authzid, NULL);
  ck_assert_int_eq (family, G_SOCKET_FAMILY_IPV4);
  ck_assert_str_eq (authzid, "boss");
  g_clear_object (&account);
  account = create (GENERAL ACCOUNT LOCAL REMOTE "ipv6 = yes\n", NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  g_object_get (mailsync_account_get_remote (account), "address-family", &family, NULL);
  ck_assert_int_eq (family, G_SOCKET_FAMILY_IPV6);
}
/* Every option of offlineimap's reference (§2) is honoured or refused,
 * never silently ignored: honoured ones show on the object they configure
 * (or are the frontend's, which reads them itself and has its own tests),
 * refused ones fail with "FILE:LINE: option 'X' in section 'S': why", and a
 * few that cannot matter are warned about with the same prefix. */
typedef enum
{
  OPT_HONOURED,    /* no warning; @property on @target reads @expected */
  OPT_FRONTEND,    /* no warning; read by the mailsync command */
  OPT_WARNED,
  OPT_REFUSED,
  OPT_PYTHON,      /* honoured with Python, refused naming it without */
} OptionFate;

typedef struct
{
  const char *section;   /* general, mbnames, account, local, remote */
  const char *option;
  const char *value;
  OptionFate  fate;
  const char *target;    /* account, local, remote */
  const char *property;
  const char *expected;
} OptionCase;

static const OptionCase option_cases[] = {
  { "general", "maxsyncaccounts", "2", OPT_FRONTEND },
  { "general", "ui", "basic", OPT_FRONTEND },
  { "general", "ignore-readonly", "yes", OPT_FRONTEND },
  { "general", "socktimeout", "17", OPT_HONOURED, "remote", "timeout", "17" },
  { "general", "fsync", "no", OPT_HONOURED, "local", "fsync", "FALSE" },
  { "general", "utime_from_header", "yes", OPT_HONOURED, "local", "utime-from-header", "TRUE" },
  { "general", "filename_use_mail_timestamp", "yes", OPT_HONOURED, "local", "filename-use-mail-timestamp", "TRUE" },
  { "general", "dry-run", "yes", OPT_HONOURED, "account", "dry-run", "TRUE" },
  { "general", "ignore-keyring", "yes", OPT_HONOURED },
  { "mbnames", "enabled", "no", OPT_FRONTEND },
  { "mbnames", "incremental", "yes", OPT_FRONTEND },
  { "account", "autorefresh", "5", OPT_FRONTEND },
  { "account", "quick", "3", OPT_FRONTEND },
  { "account", "presynchook", "true", OPT_FRONTEND },
  { "account", "postsynchook", "true", OPT_FRONTEND },
  { "account", "maxage", "3", OPT_HONOURED, "account", "max-age", "3" },
  { "account", "maildir-windows-compatible", "yes", OPT_HONOURED, "local", "windows-compatible", "TRUE" },
  { "account", "synclabels", "yes", OPT_WARNED },
  { "account", "labelsheader", "X-Label", OPT_WARNED },
  { "account", "ignorelabels", "\\Inbox", OPT_WARNED },
  { "account", "filterheaders", "X-Spam", OPT_HONOURED },
  { "account", "proxy", "SOCKS5:localhost:1080", OPT_HONOURED },
  { "account", "authproxy", "SOCKS5:localhost:1080", OPT_HONOURED },
  { "account", "status_backend", "nosuch", OPT_REFUSED },
  { "local", "readonly", "yes", OPT_HONOURED, "local", "readonly", "TRUE" },
  { "local", "createfolders", "no", OPT_HONOURED, "local", "create-folders", "FALSE" },
  { "local", "sync_deletes", "no", OPT_HONOURED, "local", "sync-deletes", "FALSE" },
  { "local", "nametrans", "lambda f: f", OPT_PYTHON },
  { "local", "folderfilter", "lambda f: True", OPT_PYTHON },
  { "local", "folderincludes", "['Extra']", OPT_HONOURED },
  { "local", "startdate", "2020-01-01", OPT_REFUSED },
  { "local", "sep", "/", OPT_HONOURED, "local", "separator", "47" },
  { "local", "restoreatime", "yes", OPT_HONOURED },
  { "remote", "foldersort", "lambda x, y: -1", OPT_WARNED },
  { "remote", "remoteport", "1993", OPT_HONOURED, "remote", "port", "1993" },
  { "remote", "remote_identity", "boss", OPT_HONOURED, "remote", "authzid", "boss" },
  { "remote", "auth_mechanisms", "PLAIN, LOGIN", OPT_HONOURED, "remote", "auth-mechanisms", "PLAIN, LOGIN" },
  { "remote", "ssl", "no", OPT_HONOURED, "remote", "ssl", "FALSE" },
  { "remote", "starttls", "no", OPT_HONOURED, "remote", "starttls", "FALSE" },
  /* write-only properties: check-tls and check-imap-features show their effect */
  { "remote", "tls_level", "tls_secure", OPT_HONOURED },
  { "remote", "ssl_version", "tls1_2", OPT_HONOURED },
  { "remote", "ipv6", "no", OPT_HONOURED, "remote", "address-family", "G_SOCKET_FAMILY_IPV4" },
  { "remote", "reference", "Mail", OPT_HONOURED, "remote", "reference", "Mail" },
  { "remote", "subscribedonly", "yes", OPT_HONOURED, "remote", "subscribed-only", "TRUE" },
  { "remote", "decodefoldernames", "yes", OPT_HONOURED },
  { "remote", "usecompression", "yes", OPT_HONOURED, "remote", "use-compression", "TRUE" },
  /* the pool's size, that many folders synced at once (doc/design.md
   * "maxconnections"); past the property's ceiling, clamped and warned */
  { "remote", "maxconnections", "4", OPT_HONOURED, "remote", "max-connections", "4" },
  { "remote", "maxconnections", "1", OPT_HONOURED, "remote", "max-connections", "1" },
  { "remote", "maxconnections", "100", OPT_WARNED, "remote", "max-connections", "64" },
  { "remote", "holdconnectionopen", "yes", OPT_HONOURED, "remote", "hold-connection-open", "TRUE" },
  { "remote", "keepalive", "60", OPT_HONOURED, "remote", "keepalive", "60" },
  { "remote", "expunge", "no", OPT_HONOURED, "remote", "expunge", "FALSE" },
  { "remote", "sep", "/", OPT_WARNED },
  { "remote", "retrycount", "5", OPT_HONOURED, "remote", "retry-count", "5" },
  { "remote", "folderincludes", "['Extra']", OPT_HONOURED, "remote", "folder-includes", "Extra" },
  { "remote", "transporttunnel", "nc localhost 143", OPT_HONOURED, "remote", "transport-tunnel", "nc localhost 143" },
  { "remote", "copy_ignore_eval", "lambda f: None", OPT_PYTHON },
  { "remote", "newmail_hook", "lambda: None", OPT_PYTHON },
  /* oauth2_refresh_token needs its client and endpoint: the error cases
   * above, and check-oauth2.py for the refresh itself */
  { "remote", "type", "Gmail", OPT_HONOURED, "remote", "host", "imap.example.org" },
};

static char *
property_string (GObject    *object,
                 const char *property)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), property);
  g_auto(GValue) value = G_VALUE_INIT;
  g_auto(GValue) text = G_VALUE_INIT;

  ck_assert_msg (pspec != NULL, "no property %s", property);
  g_value_init (&value, pspec->value_type);
  g_object_get_property (object, property, &value);
  if (G_VALUE_HOLDS (&value, G_TYPE_STRV))
    return g_strjoinv (",", g_value_get_boxed (&value));
  if (G_VALUE_HOLDS_ENUM (&value))
    {
      GEnumValue *e = g_enum_get_value (g_type_class_peek (pspec->value_type), g_value_get_enum (&value));
      return g_strdup (e ? e->value_name : "?");
    }
  g_value_init (&text, G_TYPE_STRING);
  ck_assert (g_value_transform (&value, &text));
  return g_value_dup_string (&text);
}

START_TEST (test_reference_options)
{
  const OptionCase *c = &option_cases[_i];
  g_autoptr(GString) data = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_auto(GStrv) warnings = NULL;
  g_autofree char *prefix = NULL;
  const char *section_name = NULL;
  guint line = 0, lines = 0;
  OptionFate fate = c->fate;
  static const char *const order[] = { "general", "mbnames", "account", "local", "remote" };
  static const char *const texts[] = {
    GENERAL, "[mbnames]\nfilename = ~/mb\nheader = 'x'\nperitem = x\nsep = ' '\nfooter = ''\n", ACCOUNT,
    LOCAL, REMOTE
  };
  static const char *const names[] = { "general", "mbnames", "Account A", "Repository L", "Repository R" };

  /* the option goes at the end of its section; "type" replaces the first line's */
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      const char *text = texts[i];

      if (strcmp (c->option, "type") == 0 && strcmp (order[i], c->section) == 0)
        text = "[Repository R]\ntype = Gmail\nremotehost = imap.example.org\nremoteuser = me\nremotepass = pw\n";
      g_string_append (data, text);
      for (const char *p = text; *p; p++)
        lines += *p == '\n';
      if (strcmp (order[i], c->section) == 0)
        {
          section_name = names[i];
          if (strcmp (c->option, "type") == 0)
            line = lines - 3;
          else
            {
              g_string_append_printf (data, "%s = %s\n", c->option, c->value);
              line = ++lines;
            }
        }
    }
  prefix = g_strdup_printf ("t:%u: option '%s' in section '%s': ", line, c->option, section_name);
  if (fate == OPT_PYTHON)
    fate = _mailsync_python_is_available () ? OPT_HONOURED : OPT_REFUSED;

  config = load_config (data->str, &error);
  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  account = mailsync_config_create_account (config, "A", NULL, &error);
  warnings = mailsync_config_get_warnings (config);

  if (fate == OPT_REFUSED)
    {
      ck_assert_msg (account == NULL, "%s = %s accepted", c->option, c->value);
      ck_assert_msg (g_str_has_prefix (error->message, prefix) && strlen (error->message) > strlen (prefix) + 10,
                     "%s: '%s' (wanted prefix '%s' and a reason)", c->option, error->message, prefix);
      return;
    }
  ck_assert_msg (account != NULL, "%s: %s", c->option, error ? error->message : "");
  for (guint i = 0; warnings[i] != NULL; i++)
    {
      gboolean mine = strstr (warnings[i], c->option) != NULL;

      ck_assert_msg (!mine || fate == OPT_WARNED, "%s warned: %s", c->option, warnings[i]);
      if (mine)
        {
          ck_assert_msg (g_str_has_prefix (warnings[i], prefix), "%s: '%s'", c->option, warnings[i]);
          fate = OPT_HONOURED;   /* found */
        }
    }
  ck_assert_msg (fate != OPT_WARNED, "%s = %s: no warning", c->option, c->value);
  if (c->property != NULL)
    {
      GObject *target = strcmp (c->target, "account") == 0 ? G_OBJECT (account)
                      : strcmp (c->target, "local") == 0 ? G_OBJECT (mailsync_account_get_local (account))
                                                         : G_OBJECT (mailsync_account_get_remote (account));
      g_autofree char *got = property_string (target, c->property);

      ck_assert_msg (g_strcmp0 (got, c->expected) == 0, "%s = %s: %s is '%s', wanted '%s'", c->option, c->value,
                     c->property, got, c->expected);
    }
}
END_TEST

/* type = Gmail is IMAP with GmailRepository's defaults (host, port 993
 * even without ssl, ssl on, preauthtunnel ignored, trashfolder/spamfolder
 * accepted silently); GmailMaildir is a Maildir. */
START_TEST (test_gmail_types)
{
  static const struct { const char *remote; const char *host; guint port; gboolean ssl; guint warnings; } cases[] = {
    { "", "imap.gmail.com", 993, TRUE, 0 },
    { "ssl = no\n", "imap.gmail.com", 993, FALSE, 0 },
    { "remotehost = localhost\nremoteport = 1993\n", "localhost", 1993, TRUE, 0 },
    { "trashfolder = [Gmail]/Bin\nspamfolder = [Gmail]/Junk\n", "imap.gmail.com", 993, TRUE, 0 },
    { "preauthtunnel = imapd\n", "imap.gmail.com", 993, TRUE, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *data = g_strdup_printf (GENERAL ACCOUNT
                                               "[Repository L]\ntype = GmailMaildir\nlocalfolders = ~/Mail\n"
                                               "[Repository R]\ntype = Gmail\nremoteuser = me\nremotepass = pw\n%s",
                                               cases[i].remote);
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncConfig) config = NULL;
      g_autoptr(MailsyncAccount) account = create (data, &config, &error);
      g_auto(GStrv) warnings = NULL;
      g_autofree char *host = NULL, *tunnel = NULL;
      guint port;
      gboolean ssl;

      ck_assert_msg (account != NULL, "%s: %s", cases[i].remote, error ? error->message : "");
      ck_assert (MAILSYNC_IS_IMAP_REPOSITORY (mailsync_account_get_remote (account)));
      ck_assert (MAILSYNC_IS_MAILDIR_REPOSITORY (mailsync_account_get_local (account)));
      g_object_get (mailsync_account_get_remote (account), "host", &host, "port", &port, "ssl", &ssl,
                    "preauth-tunnel", &tunnel, NULL);
      ck_assert_str_eq (host, cases[i].host);
      ck_assert_uint_eq (port, cases[i].port);
      ck_assert_int_eq (ssl, cases[i].ssl);
      ck_assert_ptr_null (tunnel);
      warnings = mailsync_config_get_warnings (config);
      ck_assert_msg (g_strv_length (warnings) == cases[i].warnings, "%s: %u warnings, first '%s'",
                     cases[i].remote, g_strv_length (warnings), warnings[0] ? warnings[0] : "");
    }
}
END_TEST
/* An enabled [mbnames] is evaluated up front: a broken expression stops
 * the run before any sync. */
START_TEST (test_mbnames_checked)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config =
    load_config (GENERAL "[mbnames]\nenabled = yes\nfilename = ~/mb\nheader = no_such_name + 1\n"
                 "peritem = x\nsep = ' '\nfooter = ''\n", &error);

  ck_assert_ptr_null (config);
  ck_assert_msg (g_str_has_prefix (error->message, "t:7: ") && strstr (error->message, "header") != NULL,
                 "%s", error->message);
}
END_TEST

START_TEST (test_account_names)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) none = load_config ("[Account A]\n", &error);
  g_autoptr(MailsyncConfig) empty = load_config ("[general]\naccounts = ,\n[Account X]\n[Account Y]\n", &error);
  g_auto(GStrv) names = NULL;
  g_auto(GStrv) all = NULL;
  g_autofree char *joined = NULL;

  names = mailsync_config_get_account_names (none, &error);
  ck_assert_ptr_null (names);
  ck_assert_str_eq (error->message, "t: no [general] section (it must list the accounts to sync)");
  g_clear_error (&error);
  names = mailsync_config_get_account_names (empty, &error);
  ck_assert_ptr_null (names);
  ck_assert_str_eq (error->message,
                    "t:2: option 'accounts' in section 'general': required: the comma-separated accounts to sync");
  all = mailsync_config_get_all_account_names (empty);
  joined = g_strjoinv ("|", all);
  ck_assert_str_eq (joined, "X|Y");
}
END_TEST
static Suite *
config_suite (void)
{
  Suite *s = suite_create ("config");
  TCase *tc = tcase_create ("config");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_minimal);
  tcase_add_test (tc, test_options_applied);
  tcase_add_test (tc, test_tls_paths);
  tcase_add_test (tc, test_imap_list_options);
  tcase_add_test (tc, test_imap_imap);
  tcase_add_test (tc, test_imap_imap_max_connections);
  tcase_add_test (tc, test_utf8_folder_names);
  tcase_add_loop_test (tc, test_errors, 0, G_N_ELEMENTS (errors));
  tcase_add_test (tc, test_warnings);
  tcase_add_loop_test (tc, test_reference_options, 0, G_N_ELEMENTS (option_cases));
  tcase_add_test (tc, test_gmail_types);
  tcase_add_test (tc, test_mbnames_checked);
  tcase_add_test (tc, test_account_names);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (config_suite ());
}
