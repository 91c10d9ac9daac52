/* The repository builders: a [Repository NAME] section becomes a Maildir,
 * IMAP (Gmail: IMAP with GmailRepository's defaults) or, for IMAP on the
 * local side, a mapped repository; with the options every type shares
 * (readonly, createfolders, startdate, folderincludes, then names and
 * filters from mailsync-config-names.c). */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "backends/maildir/mailsync-maildir-repository.h"
#include "backends/imap/mailsync-imap-repository.h"
#include "backends/imap/mailsync-imap-private.h"
#include "backends/mapped/mailsync-mapped-repository.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Repositories */

/* startdate (reference §5.10): a date YYYY-MM-DD on the repository whose
 * older mail stays behind, an IMAP one on either side (offlineimap's
 * IMAP-IMAP cloning), never with maxage. */
static gboolean
apply_start_date (RepoContext        *ctx,
                  MailsyncRepository *repo,
                  GError            **error)
{
  MailsyncConfig *self = ctx->self;
  const char *section = ctx->section;
  g_autofree char *text = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  int y, m, d;
  char tail;

  if (!_mailsync_config_has (self, section, "startdate"))
    return TRUE;
  text = _mailsync_config_get_str (self, section, "startdate", error);
  if (text == NULL)
    return FALSE;
  if (*text == '\0')
    return TRUE;
  if (sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen (text) != 10 ||
      (date = g_date_time_new_utc (y, m, d, 0, 0, 0)) == NULL)
    return _mailsync_config_error (self, section, "startdate", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "invalid startdate value '%s' (YYYY-MM-DD)", text);
  if (y < 1900)
    return _mailsync_config_error (self, section, "startdate", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "startdate led to year %d. Abort syncing.", y);
  if (g_date_time_compare (date, now) > 0)
    return _mailsync_config_error (self, section, "startdate", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "startdate led to a date in the future. Abort syncing.");
  if (ctx->account_section != NULL && _mailsync_config_has (self, ctx->account_section, "maxage"))
    return _mailsync_config_error (self, section, "startdate", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "set either startdate or the account's maxage, not both");
  /* a local IMAP repository is wrapped (MailsyncMappedRepository): the
   * engine reads the date from the IMAP repository inside */
  if (MAILSYNC_IS_MAPPED_REPOSITORY (repo))
    repo = mailsync_mapped_repository_get_inner (MAILSYNC_MAPPED_REPOSITORY (repo));
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (repo), "start-date") == NULL)
    return _mailsync_config_error (self, section, "startdate", MAILSYNC_ERROR_NOT_SUPPORTED, error,
                                   "startdate is for IMAP repositories: on a Maildir, offlineimap's rule uploads "
                                   "the older mail at the next sync; use the account's maxage instead");
  g_object_set (repo, "start-date", g_date_time_to_unix (date), NULL);
  return TRUE;
}

/* readonly, createfolders, sync_deletes, names and filters: every type. */
static gboolean
apply_common (RepoContext        *ctx,
              MailsyncRepository *repo,
              GError            **error)
{
  MailsyncConfig *self = ctx->self;
  const char *section = ctx->section;
  gboolean readonly, createfolders, sync_deletes, dynamic;
  g_auto(GStrv) includes = NULL;

  if (!_mailsync_config_get_bool (self, section, "readonly", FALSE, &readonly, error) ||
      !_mailsync_config_get_bool (self, section, "createfolders", TRUE, &createfolders, error) ||
      !_mailsync_config_get_bool (self, section, "sync_deletes", TRUE, &sync_deletes, error) ||
      /* filters are asked on every sync anyway: dynamic is what we do */
      !_mailsync_config_get_bool (self, section, "dynamic_folderfilter", FALSE, &dynamic, error) ||
      !apply_start_date (ctx, repo, error))
    return FALSE;
  mailsync_repository_set_readonly (repo, readonly);
  mailsync_repository_set_create_folders (repo, createfolders);
  mailsync_repository_set_sync_deletes (repo, sync_deletes);

  if (_mailsync_config_has (self, section, "folderincludes"))
    {
      includes = mailsync_config_eval_list (self, section, "folderincludes", error);
      if (includes == NULL)
        return FALSE;
      /* The IMAP backend STATUS-checks each one and adds it to the
       * listing; a Maildir lists its whole tree anyway, so there the
       * includes only override the filter (as in offlineimap). */
      if (includes[0] != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (repo), "folder-includes"))
        g_object_set (repo, "folder-includes", includes, NULL);
    }
  if (_mailsync_config_has (self, section, "foldersort"))
    _mailsync_config_warn (self, section, "foldersort", "ignored: mailsync syncs folders in the order of their names");

  return _mailsync_config_apply_names (self, section, repo, includes, error);
}

static MailsyncRepository *
build_maildir (RepoContext *ctx,
               gboolean     remote,
               GError     **error)
{
  MailsyncConfig *self = ctx->self;
  const char *section = ctx->section;
  g_autoptr(MailsyncRepository) repo = NULL;
  g_autofree char *root = NULL;
  g_autofree char *sep = NULL;
  g_auto(GStrv) keys = NULL;
  gboolean fsync, windows, utime, use_timestamp, general_utime, general_timestamp, restore_atime;
  MailsyncMaildirRepository *maildir;

  if (!_mailsync_config_check_section (self, section, SCOPE_REPOSITORY | SCOPE_MAILDIR, "a Maildir repository", error) ||
      !_mailsync_config_get_bool (self, section, "restoreatime", FALSE, &restore_atime, error))
    return NULL;

  root = _mailsync_config_get_path (self, section, "localfolders", TRUE, error);
  if (root == NULL)
    {
      if (error == NULL || *error == NULL)
        _mailsync_config_error (self, section, "localfolders", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                "required for a Maildir repository");
      return NULL;
    }
  if (_mailsync_config_has (self, section, "sep"))
    {
      sep = _mailsync_config_get_str (self, section, "sep", error);
      if (sep == NULL)
        return NULL;
      if (strcmp (sep, ".") != 0 && strcmp (sep, "/") != 0)
        return (_mailsync_config_error (self, section, "sep", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                        "must be '.' or '/' (without quotes)"), NULL);
    }

  if (!_mailsync_config_get_bool (self, "general", "fsync", TRUE, &fsync, error) ||
      !_mailsync_config_get_bool (self, ctx->account_section, "maildir-windows-compatible", FALSE, &windows, error) ||
      !_mailsync_config_get_bool (self, "general", "utime_from_header", FALSE, &general_utime, error) ||
      !_mailsync_config_get_bool (self, "general", "filename_use_mail_timestamp", FALSE, &general_timestamp, error) ||
      !_mailsync_config_get_bool (self, section, "utime_from_header", general_utime, &utime, error) ||
      !_mailsync_config_get_bool (self, section, "filename_use_mail_timestamp", general_timestamp, &use_timestamp, error))
    return NULL;

  repo = mailsync_maildir_repository_new (ctx->name, root, sep != NULL ? sep[0] : '.');
  maildir = MAILSYNC_MAILDIR_REPOSITORY (repo);
  /* a Maildir on the remote side numbers its own messages */
  mailsync_maildir_repository_set_assign_uids (maildir, remote);
  mailsync_maildir_repository_set_fsync (maildir, fsync);
  mailsync_maildir_repository_set_windows_compatible (maildir, windows);
  mailsync_maildir_repository_set_utime_from_header (maildir, utime);
  mailsync_maildir_repository_set_filename_use_mail_timestamp (maildir, use_timestamp);
  /* offlineimap restores the local side's only (accounts.syncfolder) */
  mailsync_maildir_repository_set_restore_atime (maildir, restore_atime && !remote);

  keys = mailsync_config_file_get_keys (self->file, section);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (_mailsync_config_is_custom_flag (keys[i]))
      {
        g_autofree char *keyword = _mailsync_config_get_str (self, section, keys[i], error);

        if (keyword == NULL)
          return NULL;
        if (*keyword == '\0' || strpbrk (keyword, " \t()[]{}%*\"\\") != NULL)
          return (_mailsync_config_error (self, section, keys[i], MAILSYNC_ERROR_INVALID_CONFIG, error,
                                          "'%s' is not an IMAP keyword", keyword), NULL);
        mailsync_maildir_repository_set_custom_flag (maildir, keys[i][11], keyword);
      }

  if (!apply_common (ctx, repo, error))
    return NULL;
  return g_steal_pointer (&repo);
}

/* Relative to the current directory, as os.path.abspath() */
static void
make_absolute (char **path)
{
  if (*path != NULL && !g_path_is_absolute (*path))
    {
      char *absolute = g_canonicalize_filename (*path, NULL);

      g_free (*path);
      *path = absolute;
    }
}

static gboolean
check_fingerprints (MailsyncConfig *self,
                    const char     *section,
                    char          **pins,
                    GError        **error)
{
  for (guint i = 0; pins[i] != NULL; i++)
    {
      gsize digits = 0;
      gboolean hex = TRUE;

      for (const char *p = pins[i]; *p != '\0'; p++)
        {
          if (*p == ':' || *p == ' ')
            continue;
          if (!g_ascii_isxdigit (*p))
            hex = FALSE;
          digits++;
        }
      if (!hex || (digits != 40 && digits != 56 && digits != 64 && digits != 96 && digits != 128))
        return _mailsync_config_error (self, section, "cert_fingerprint", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                       "'%s' is not a hex SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512 fingerprint",
                                       pins[i]);
    }
  return TRUE;
}

static gboolean
python_newmail_hook (gpointer  data,
                     GError  **error)
{
  PythonClosure *closure = data;

  return _mailsync_python_call_void (closure->func, error);
}

static gboolean
python_copy_ignore (const char *folder,
                    GArray    **uids,
                    gpointer    data,
                    GError    **error)
{
  PythonClosure *closure = data;

  return _mailsync_python_call_uids (closure->func, folder, uids, error);
}

/* newmail_hook and copy_ignore_eval (IMAP repositories): compiled now, so
 * that a syntax error stops the account before it syncs; an exception at
 * run time names the option's FILE:LINE. */
static gboolean
apply_imap_python (MailsyncConfig     *self,
                   const char         *section,
                   MailsyncRepository *repo,
                   GError            **error)
{
  if (_mailsync_config_has (self, section, "newmail_hook"))
    {
      PythonClosure *closure = _mailsync_config_python_closure_new (self, section, "newmail_hook", NULL, error);
      if (closure == NULL)
        return FALSE;
      closure->repo = repo;
      _mailsync_repository_set_newmail_hook (repo, python_newmail_hook, closure,
                                             (GDestroyNotify) _mailsync_config_python_closure_free);
    }
  if (_mailsync_config_has (self, section, "copy_ignore_eval"))
    {
      PythonClosure *closure = _mailsync_config_python_closure_new (self, section, "copy_ignore_eval", NULL, error);
      if (closure == NULL)
        return FALSE;
      closure->repo = repo;
      _mailsync_repository_set_copy_ignore (repo, python_copy_ignore, closure,
                                            (GDestroyNotify) _mailsync_config_python_closure_free);
    }
  return TRUE;
}

static MailsyncRepository *
build_imap (RepoContext  *ctx,
            GCancellable *cancellable,
            GError      **error)
{
  static const char *const tls_levels[] = { "tls_secure", "tls_no_ssl", "tls_compat", NULL };
  static const char *const ssl_versions[] = { "ssl23", "ssl3", "tls1", "tls1_1", "tls1_2", "tls1_3", NULL };
  static const char *const mechanisms[] = { "GSSAPI", "XOAUTH2", "OAUTHBEARER", "CRAM-MD5", "PLAIN", "LOGIN", NULL };
  MailsyncConfig *self = ctx->self;
  const char *section = ctx->section;
  g_autoptr(MailsyncRepository) repo = NULL;
  g_autofree char *host = NULL, *user = NULL, *port_text = NULL, *cafile = NULL;
  g_autofree char *client_cert = NULL, *client_key = NULL, *tls_level = NULL, *ssl_version = NULL;
  g_autofree char *preauth = NULL, *transport = NULL, *reference = NULL, *mechs = NULL;
  g_autofree char *identity = NULL;
  g_auto(SecretString) password = NULL;
  g_auto(SecretString) token = NULL;
  g_autoptr(MailsyncOAuth2) oauth2 = NULL;
  g_auto(GStrv) pins = NULL;
  g_auto(GStrv) auth = NULL;
  gboolean ssl, starttls, compress, expunge, subscribed_only, hold;
  gboolean store_after_login = FALSE, port_993;
  const char *tunnel = NULL;
  g_autofree char *missing = NULL;     /* no password found: the error if none is asked */
  const char *source = NULL;           /* where the password found came from */
  gint64 port = 0, retrycount, socktimeout, n, max_connections;

  if (!_mailsync_config_check_section (self, section, SCOPE_REPOSITORY | SCOPE_IMAP | (ctx->gmail ? SCOPE_GMAIL : 0),
                                       ctx->gmail ? "a Gmail repository" : "an IMAP repository", error) ||
      !_mailsync_config_get_bool (self, section, "decodefoldernames", FALSE, &ctx->decode_names, error) ||
      !_mailsync_config_get_bool (self, section, "expunge", TRUE, &expunge, error) ||
      !_mailsync_config_get_bool (self, section, "subscribedonly", FALSE, &subscribed_only, error) ||
      !_mailsync_config_get_bool (self, section, "holdconnectionopen", FALSE, &hold, error) ||
      !_mailsync_config_get_bool (self, section, "ssl", TRUE, &ssl, error) ||
      !_mailsync_config_get_bool (self, section, "starttls", TRUE, &starttls, error) ||
      !_mailsync_config_get_bool (self, section, "usecompression", FALSE, &compress, error) ||
      !_mailsync_config_get_int (self, section, "retrycount", 2, 0, G_MAXUINT, &retrycount, error) ||
      !_mailsync_config_get_int (self, "general", "socktimeout", 0, 0, G_MAXUINT, &socktimeout, error) ||
      !_mailsync_config_get_int (self, section, "maxconnections", 1, 1, G_MAXINT, &max_connections, error))
    return NULL;
  /* The pool's size: the account syncs that many folders at once, each
   * over a connection of its own (doc/design.md "maxconnections"). */
  if (max_connections > MAILSYNC_IMAP_MAX_CONNECTIONS)
    _mailsync_config_warn (self, section, "maxconnections",
                           "more than " G_STRINGIFY (MAILSYNC_IMAP_MAX_CONNECTIONS) " connections: "
                           G_STRINGIFY (MAILSYNC_IMAP_MAX_CONNECTIONS) " are used");
  max_connections = MIN (max_connections, MAILSYNC_IMAP_MAX_CONNECTIONS);
  if (!_mailsync_config_get_int (self, section, "keepalive", 0, 0, G_MAXINT, &n, error))
    return NULL;
  if (_mailsync_config_has (self, section, "sep"))
    _mailsync_config_warn (self, section, "sep", "ignored for IMAP: the server's hierarchy delimiter is used");
  if (_mailsync_config_has (self, section, "idlefolders"))
    {
      g_auto(GStrv) idle = mailsync_config_eval_list (self, section, "idlefolders", error);
      if (idle == NULL)
        return NULL;
    }

  if (!_mailsync_config_get_dynamic (self, section, "remotehost", "eval", "cmd", FALSE, &host, error) ||
      !_mailsync_config_get_dynamic (self, section, "remoteuser", "eval", "cmd", FALSE, &user, error))
    return NULL;
  /* offlineimap's GmailRepository: imap.gmail.com when no host is given */
  if (ctx->gmail && host == NULL)
    host = g_strdup ("imap.gmail.com");

  if (_mailsync_config_has (self, section, "remoteporteval") || _mailsync_config_has (self, section, "remoteportcmd"))
    {
      const char *key = _mailsync_config_has (self, section, "remoteporteval") ? "remoteporteval" : "remoteportcmd";
      const char *text;

      if (strcmp (key, "remoteporteval") == 0 && _mailsync_python_is_available ())
        {
          g_autofree char *expr = _mailsync_config_get_str (self, section, key, error);
          g_autofree char *location = NULL;
          g_autoptr(GError) local_error = NULL;
          MailsyncPython *py;

          if (expr == NULL)
            return NULL;
          py = _mailsync_config_get_python (self, section, key, "remoteportcmd", error);
          if (py == NULL)
            return NULL;
          location = _mailsync_config_python_where (self, section, key);
          if (!_mailsync_python_eval_int (py, expr, location, &port, &local_error))
            return (_mailsync_config_python_refused (self, section, key, "remoteportcmd", error, local_error), NULL);
          port_text = g_strdup_printf ("%" G_GINT64_FORMAT, port);
        }
      else if (!_mailsync_config_get_dynamic (self, section, "remoteport", "eval", "cmd", FALSE, &port_text, error))
        return NULL;
      text = port_text != NULL ? port_text : "";
      if (!g_ascii_string_to_signed (text, 10, 1, 65535, &port, NULL))
        return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                        "'%s' is not a port number", text), NULL);
    }
  /* Gmail's default port is 993 even with ssl = no (GmailRepository.getport) */
  else if (!_mailsync_config_get_int (self, section, "remoteport", ssl || ctx->gmail ? 993 : 143, 1, 65535, &port, error))
    return NULL;

  preauth = _mailsync_config_get_str (self, section, "preauthtunnel", error);
  if (preauth == NULL && error != NULL && *error != NULL)
    return NULL;
  if (ctx->gmail && preauth != NULL)
    {
      /* GmailRepository.getpreauthtunnel() returns None */
      _mailsync_config_warn (self, section, "preauthtunnel", "ignored for a Gmail repository (as in offlineimap)");
      g_clear_pointer (&preauth, g_free);
    }
  transport = _mailsync_config_get_str (self, section, "transporttunnel", error);
  if (transport == NULL && error != NULL && *error != NULL)
    return NULL;
  if (preauth != NULL && *preauth != '\0' && transport != NULL && *transport != '\0')
    return (_mailsync_config_error (self, section, "transporttunnel", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                    "set either preauthtunnel or transporttunnel, not both"), NULL);
  if (host == NULL && (preauth == NULL || *preauth == '\0') && (transport == NULL || *transport == '\0'))
    return (_mailsync_config_error (self, section, NULL, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                    "an IMAP repository needs remotehost (or preauthtunnel or transporttunnel)"), NULL);
  /* Gmail serves IMAP on 993 only; remoteport = 993 written says that the
   * server past a tunnel wants TLS as well as a command naming 993 */
  port_993 = ctx->gmail || (port == 993 && (_mailsync_config_has (self, section, "remoteport") ||
                                            _mailsync_config_has (self, section, "remoteporteval") ||
                                            _mailsync_config_has (self, section, "remoteportcmd")));
  if (preauth != NULL && *preauth != '\0')
    tunnel = "preauthtunnel";
  else if (transport != NULL && *transport != '\0')
    tunnel = "transporttunnel";
  if (tunnel != NULL &&
      !_mailsync_config_tunnel_security (self, section, tunnel, strcmp (tunnel, "preauthtunnel") == 0 ? preauth : transport,
                                         port_993, &ssl, &starttls, error))
    return NULL;

  cafile = _mailsync_config_get_path (self, section, "sslcacertfile", TRUE, error);
  if (cafile == NULL && error != NULL && *error != NULL)
    return NULL;
  client_cert = _mailsync_config_get_path (self, section, "sslclientcert", TRUE, error);
  if (client_cert == NULL && error != NULL && *error != NULL)
    return NULL;
  client_key = _mailsync_config_get_path (self, section, "sslclientkey", TRUE, error);
  if (client_key == NULL && error != NULL && *error != NULL)
    return NULL;
  /* offlineimap also makes these absolute (os.path.abspath) */
  if (g_strcmp0 (cafile, "OS-DEFAULT") != 0)
    make_absolute (&cafile);
  make_absolute (&client_cert);
  make_absolute (&client_key);
  /* Without TLS through a tunnel they were warned unused: not checked */
  if (tunnel != NULL && !ssl && !starttls)
    {
      g_clear_pointer (&cafile, g_free);
      g_clear_pointer (&client_cert, g_free);
      g_clear_pointer (&client_key, g_free);
    }
  if (cafile != NULL && strcmp (cafile, "OS-DEFAULT") != 0 && !g_file_test (cafile, G_FILE_TEST_IS_REGULAR))
    return (_mailsync_config_error (self, section, "sslcacertfile", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                    "no such file '%s'", cafile), NULL);
  if (client_cert != NULL && !g_file_test (client_cert, G_FILE_TEST_IS_REGULAR))
    return (_mailsync_config_error (self, section, "sslclientcert", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                    "no such file '%s'", client_cert), NULL);
  if (client_key != NULL && !g_file_test (client_key, G_FILE_TEST_IS_REGULAR))
    return (_mailsync_config_error (self, section, "sslclientkey", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                    "no such file '%s'", client_key), NULL);

  pins = mailsync_config_file_get_list (self->file, section, "cert_fingerprint", error);
  if (pins == NULL && error != NULL && *error != NULL)
    return NULL;
  if (pins != NULL && !check_fingerprints (self, section, pins, error))
    return NULL;
  if (!_mailsync_config_check_one_of (self, section, "tls_level", tls_levels, &tls_level, error) ||
      !_mailsync_config_check_one_of (self, section, "ssl_version", ssl_versions, &ssl_version, error))
    return NULL;

  auth = mailsync_config_file_get_list (self->file, section, "auth_mechanisms", error);
  if (auth == NULL && error != NULL && *error != NULL)
    return NULL;
  for (guint i = 0; auth != NULL && auth[i] != NULL; i++)
    {
      g_autofree char *upper = g_ascii_strup (auth[i], -1);

      if (!g_strv_contains (mechanisms, upper))
        {
          g_autofree char *list = g_strjoinv (", ", (char **) mechanisms);
          return (_mailsync_config_error (self, section, "auth_mechanisms", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                          "unknown mechanism '%s' (known: %s)", auth[i], list), NULL);
        }
      g_free (auth[i]);
      auth[i] = g_steal_pointer (&upper);
    }

  reference = _mailsync_config_get_str (self, section, "reference", error);
  if (reference == NULL && error != NULL && *error != NULL)
    return NULL;

  /* OAuth2: an access token is the secret, sent by XOAUTH2 or OAUTHBEARER. */
  if (!_mailsync_config_get_dynamic (self, section, "oauth2_access_token", "_eval", "_cmd", TRUE, &token, error) ||
      !_mailsync_config_build_oauth2 (ctx, socktimeout, &oauth2, error))
    return NULL;
  if (token != NULL || oauth2 != NULL)
    {
      g_autoptr(GStrvBuilder) oauth = g_strv_builder_new ();
      g_auto(GStrv) list = NULL;

      for (guint i = 0; auth != NULL && auth[i] != NULL; i++)
        if (strcmp (auth[i], "XOAUTH2") == 0 || strcmp (auth[i], "OAUTHBEARER") == 0)
          g_strv_builder_add (oauth, auth[i]);
      list = g_strv_builder_end (oauth);
      if (auth != NULL && list[0] == NULL)
        return (_mailsync_config_error (self, section, "auth_mechanisms", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                        "lists neither XOAUTH2 nor OAUTHBEARER, but an OAuth2 token is set"), NULL);
      /* The whole list, as offlineimap: a server without XOAUTH2 (or
       * OAUTHBEARER, which offlineimap lacks) gets the password mechanisms
       * after them. */
      mechs = auth != NULL ? g_strjoinv (", ", auth)
                           : g_strdup ("GSSAPI, XOAUTH2, OAUTHBEARER, CRAM-MD5, PLAIN, LOGIN");
    }
  else if (auth != NULL)
    mechs = g_strjoinv (", ", auth);

  if (token == NULL && oauth2 == NULL && (preauth == NULL || *preauth == '\0'))
    {
      if (!_mailsync_config_find_password (ctx, host, &user, &password, &missing, &source, &store_after_login,
                                           cancellable, error))
        return NULL;
    }
  /* With OAuth2, only a password the config names, for the fallback to
   * the password mechanisms; never the keyring or the prompt before the
   * server has shown it lacks XOAUTH2 (the repository's interaction asks
   * then), as offlineimap asks only when it gets there. */
  else if ((token != NULL || oauth2 != NULL) &&
           (_mailsync_config_has (self, section, "remotepasseval") || _mailsync_config_has (self, section, "remotepasscmd") ||
            _mailsync_config_has (self, section, "remotepass") || _mailsync_config_has (self, section, "remotepassfile")) &&
           !_mailsync_config_find_password (ctx, host, &user, &password, &missing, &source, &store_after_login,
                                            cancellable, error))
    return NULL;

  repo = mailsync_imap_repository_new (ctx->name, host, (guint16) port);
  /* ssl before starttls: the backend derives one security mode from both */
  g_object_set (repo,
                "ssl", ssl,
                "starttls", starttls,
                "ca-file", cafile,
                "client-cert", client_cert,
                "client-key", client_key,
                "use-compression", compress,
                "retry-count", (guint) retrycount,
                "timeout", (guint) socktimeout,
                "expunge", expunge,
                "subscribed-only", subscribed_only,
                "hold-connection-open", hold,
                "max-connections", (guint) max_connections,
                NULL);
  if (user != NULL)
    g_object_set (repo, "user", user, NULL);
  /* never asked for again when the server refuses it (offlineimap) */
  if (password != NULL)
    _mailsync_imap_repository_set_configured_password (MAILSYNC_IMAP_REPOSITORY (repo), password, source);
  if (token != NULL || oauth2 != NULL)
    _mailsync_imap_repository_set_oauth2 (MAILSYNC_IMAP_REPOSITORY (repo), token, oauth2);
  if (missing != NULL)
    {
      g_autoptr(MailsyncInteraction) asker = _mailsync_config_dup_asker (ctx, missing);

      _mailsync_imap_repository_set_password_asker (MAILSYNC_IMAP_REPOSITORY (repo), asker,
                                                    _mailsync_config_asker_sync, missing);
    }
  if (store_after_login)
    _mailsync_credentials_store_after_login (repo, host, user, _mailsync_imap_repository_dup_password);
  if (!apply_imap_python (self, section, repo, error))
    return NULL;
  if (pins != NULL && pins[0] != NULL)
    {
      g_autofree char *joined = g_strjoinv (",", pins);
      g_object_set (repo, "cert-fingerprint", joined, NULL);
    }
  if (tls_level != NULL)
    g_object_set (repo, "tls-level", tls_level, NULL);
  if (ssl_version != NULL)
    g_object_set (repo, "ssl-version", ssl_version, NULL);
  if (mechs != NULL)
    g_object_set (repo, "auth-mechanisms", mechs, NULL);
  if (preauth != NULL && *preauth != '\0')
    g_object_set (repo, "preauth-tunnel", preauth, NULL);
  if (transport != NULL && *transport != '\0')
    g_object_set (repo, "transport-tunnel", transport, NULL);
  if (reference != NULL && *reference != '\0')
    g_object_set (repo, "reference", reference, NULL);
  /* keepalive: checked above; NOOPs while a held connection idles */
  {
    gint64 keepalive = 0;

    if (_mailsync_config_get_int (self, section, "keepalive", 0, 0, G_MAXINT, &keepalive, NULL) && keepalive > 0)
      g_object_set (repo, "keepalive", (guint) keepalive, NULL);
  }
  /* ipv6: yes = IPv6 only, no = IPv4 only, unset = either (AF_UNSPEC) */
  if (_mailsync_config_has (self, section, "ipv6"))
    {
      gboolean ipv6;

      if (!_mailsync_config_get_bool (self, section, "ipv6", FALSE, &ipv6, error))
        return NULL;
      g_object_set (repo, "address-family", ipv6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4, NULL);
    }
  identity = _mailsync_config_get_str (self, section, "remote_identity", error);
  if (identity == NULL && error != NULL && *error != NULL)
    return NULL;
  if (identity != NULL && *identity != '\0')
    g_object_set (repo, "authzid", identity, NULL);
  /* An account option in offlineimap, for the IMAP repositories of both
   * sides: off, folder names stay IMAP's modified UTF-7. */
  {
    gboolean utf8_names = FALSE;

    if (!_mailsync_config_get_bool (self, ctx->account_section, "utf8foldernames", FALSE, &utf8_names, error))
      return NULL;
    /* accounts.py's check before the sync: decoding names twice */
    if (utf8_names && ctx->decode_names)
      return (_mailsync_config_error (self, section, "decodefoldernames", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                      "Configuration mismatch in account %s: utf8foldernames and decodefoldernames "
                                      "cannot both be set: remove decodefoldernames", ctx->account), NULL);
    g_object_set (repo, "utf8-folder-names", utf8_names, NULL);
  }
  /* a mapped wrapper (IMAP on the local side) takes it over */
  mailsync_imap_repository_set_decode_folder_names (MAILSYNC_IMAP_REPOSITORY (repo), ctx->decode_names);
  return g_steal_pointer (&repo);
}

/* The capabilities of the last IMAPS greeting, for a login before the
 * next one (MailsyncImapRepository:capability-cache), go next to the
 * repository's other metadata (offlineimap's Repository-NAME directory,
 * where the mapped UIDs are): they are the server's, keyed by host, port
 * and user inside, so two accounts on one repository share them. */
static void
set_capability_cache (MailsyncConfig *self, MailsyncRepository *imap, const char *metadata, const char *name)
{
  g_autofree char *dir = g_strconcat ("Repository-", name, NULL);
  g_autofree char *path = g_build_filename (metadata, dir, "mailsync-capabilities", NULL);
  gboolean dry_run = FALSE;

  if (!MAILSYNC_IS_IMAP_REPOSITORY (imap))
    return;
  g_object_set (imap, "capability-cache", path, NULL);
  /* --dry-run changes nothing in the metadata: the file is only read
   * (the account checked the option already) */
  if (_mailsync_config_get_bool (self, "general", "dry-run", FALSE, &dry_run, NULL) && dry_run)
    _mailsync_imap_repository_set_capability_cache_read_only (MAILSYNC_IMAP_REPOSITORY (imap), TRUE);
}

/* The repository a type names, on the side it is used. */
MailsyncRepository *
_mailsync_config_build_repository (MailsyncConfig *self,
                                   const char     *account,
                                   const char     *account_section,
                                   const char     *key,
                                   const char     *metadata,
                                   GCancellable   *cancellable,
                                   GError        **error)
{
  gboolean remote = strcmp (key, "remoterepository") == 0;
  const char *side = remote ? "remote" : "local";
  g_autofree char *name = _mailsync_config_get_str (self, account_section, key, error);
  g_autofree char *type = NULL;
  g_autofree char *section = NULL;
  RepoContext ctx = { 0 };

  if (name == NULL || *name == '\0')
    {
      if (error == NULL || *error == NULL)
        _mailsync_config_error (self, account_section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                "required: the name of a [Repository NAME] section");
      return NULL;
    }
  section = g_strconcat ("Repository ", name, NULL);
  if (!mailsync_config_file_has_section (self->file, section))
    return (_mailsync_config_error (self, account_section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                    "there is no section [%s]", section), NULL);
  type = _mailsync_config_get_str (self, section, "type", error);
  if (type == NULL || *type == '\0')
    {
      if (error == NULL || *error == NULL)
        _mailsync_config_error (self, section, "type", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                "required: IMAP or Maildir");
      return NULL;
    }

  ctx.self = self;
  ctx.account = account;
  ctx.account_section = account_section;
  ctx.section = section;
  ctx.name = name;

  /* Gmail is offlineimap's IMAP with Gmail's defaults, GmailMaildir its
   * Maildir; both add the label pass under synclabels. */
  if (strcmp (type, "Gmail") == 0 || strcmp (type, "GmailMaildir") == 0)
    {
      if (strcmp (type, remote ? "GmailMaildir" : "Gmail") == 0)
        return (_mailsync_config_error (self, section, "type", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                        "'%s' repository not supported for '%s' repositories.", type, side), NULL);
      if (remote)
        {
          g_autoptr(MailsyncRepository) gmail = NULL;

          ctx.gmail = TRUE;
          gmail = build_imap (&ctx, cancellable, error);
          if (gmail == NULL || !apply_common (&ctx, gmail, error))
            return NULL;
          set_capability_cache (self, gmail, metadata, name);
          _mailsync_repository_set_type_label (gmail, "Gmail");
          return g_steal_pointer (&gmail);
        }
      else
        {
          g_autoptr(MailsyncRepository) maildir = build_maildir (&ctx, remote, error);

          if (maildir != NULL)
            _mailsync_repository_set_type_label (maildir, "GmailMaildir");
          return g_steal_pointer (&maildir);
        }
    }
  if (strcmp (type, "IMAP") == 0)
    {
      g_autoptr(MailsyncRepository) imap = build_imap (&ctx, cancellable, error);
      g_autoptr(MailsyncRepository) mapped = NULL;
      g_autofree char *maps = NULL;

      if (imap != NULL)
        set_capability_cache (self, imap, metadata, name);
      if (imap == NULL || remote)
        {
          if (imap != NULL && !apply_common (&ctx, imap, error))
            return NULL;
          return g_steal_pointer (&imap);
        }
      /* IMAP on the local side: offlineimap's MappedIMAP, with its
       * UIDMapping files (reference §4.5). */
      maps = g_build_filename (metadata, section, "UIDMapping", NULL);
      /* "Repository-NAME": offlineimap's directory name for the section */
      g_free (maps);
      {
        g_autofree char *dir = g_strconcat ("Repository-", name, NULL);
        maps = g_build_filename (metadata, dir, "UIDMapping", NULL);
      }
      mapped = mailsync_mapped_repository_new (imap, maps);
      if (!apply_common (&ctx, mapped, error))
        return NULL;
      return g_steal_pointer (&mapped);
    }
  if (strcmp (type, "Maildir") == 0)
    return build_maildir (&ctx, remote, error);
  return (_mailsync_config_error (self, section, "type", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                  "unknown repository type '%s' (IMAP, Gmail, Maildir or GmailMaildir)", type), NULL);
}
