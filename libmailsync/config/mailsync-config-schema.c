/* The option schema: every option mailsync knows, where it may be written
 * (scope) and its type; the check of a section's keys against it (type
 * errors are errors, unknown keys warnings) and the refusals of options
 * mailsync cannot honour. Adding an option starts here. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"

#include <string.h>

/* ------------------------------------------------------------------------ */
/* The options mailsync knows */

typedef enum
{
  TYPE_STRING,
  TYPE_BOOL,
  TYPE_INT,
  TYPE_DOUBLE,
  TYPE_LIST,
  TYPE_PYTHON,   /* checked where it is evaluated */
  TYPE_RAW,      /* read without interpolation ([mbnames] peritem) */
} OptionType;

typedef struct
{
  const char *name;
  guint       scopes;
  OptionType  type;
} OptionSpec;

#define OAUTH2(name) \
  { name, SCOPE_IMAP, TYPE_STRING }, \
  { name "_eval", SCOPE_IMAP, TYPE_PYTHON }, \
  { name "_cmd", SCOPE_IMAP, TYPE_STRING }

static const OptionSpec option_specs[] = {
  { "accounts", SCOPE_GENERAL, TYPE_LIST },
  { "metadata", SCOPE_GENERAL, TYPE_STRING },
  { "maxsyncaccounts", SCOPE_GENERAL, TYPE_INT },
  { "ui", SCOPE_GENERAL, TYPE_STRING },
  { "ignore-readonly", SCOPE_GENERAL, TYPE_BOOL },
  { "pythonfile", SCOPE_GENERAL, TYPE_STRING },
  { "socktimeout", SCOPE_GENERAL, TYPE_INT },
  { "fsync", SCOPE_GENERAL, TYPE_BOOL },
  { "utime_from_header", SCOPE_GENERAL | SCOPE_REPOSITORY, TYPE_BOOL },
  { "filename_use_mail_timestamp", SCOPE_GENERAL | SCOPE_REPOSITORY, TYPE_BOOL },
  { "dry-run", SCOPE_GENERAL, TYPE_BOOL },
  { "ignore-keyring", SCOPE_GENERAL, TYPE_BOOL },
  { "update-keyring", SCOPE_GENERAL, TYPE_BOOL },

  { "enabled", SCOPE_MBNAMES, TYPE_BOOL },
  { "filename", SCOPE_MBNAMES, TYPE_STRING },
  { "header", SCOPE_MBNAMES, TYPE_PYTHON },
  { "peritem", SCOPE_MBNAMES, TYPE_RAW },
  { "sep", SCOPE_MBNAMES, TYPE_PYTHON },
  { "footer", SCOPE_MBNAMES, TYPE_PYTHON },
  { "incremental", SCOPE_MBNAMES, TYPE_BOOL },
  { "folderfilter", SCOPE_MBNAMES, TYPE_PYTHON },
  { "sort_keyfunc", SCOPE_MBNAMES, TYPE_PYTHON },

  { "localrepository", SCOPE_ACCOUNT, TYPE_STRING },
  { "remoterepository", SCOPE_ACCOUNT, TYPE_STRING },
  { "autorefresh", SCOPE_ACCOUNT, TYPE_DOUBLE },
  { "quick", SCOPE_ACCOUNT, TYPE_INT },
  { "presynchook", SCOPE_ACCOUNT, TYPE_STRING },
  { "postsynchook", SCOPE_ACCOUNT, TYPE_STRING },
  { "maxsize", SCOPE_ACCOUNT, TYPE_INT },
  { "maxage", SCOPE_ACCOUNT, TYPE_STRING },
  { "maildir-windows-compatible", SCOPE_ACCOUNT, TYPE_BOOL },
  { "synclabels", SCOPE_ACCOUNT, TYPE_BOOL },
  { "labelsheader", SCOPE_ACCOUNT, TYPE_STRING },
  { "ignorelabels", SCOPE_ACCOUNT, TYPE_LIST },
  { "filterheaders", SCOPE_ACCOUNT, TYPE_LIST },
  { "utf8foldernames", SCOPE_ACCOUNT, TYPE_BOOL },
  { "proxy", SCOPE_ACCOUNT, TYPE_STRING },
  { "authproxy", SCOPE_ACCOUNT, TYPE_STRING },
  { "remove", SCOPE_ACCOUNT, TYPE_STRING },
  { "status_backend", SCOPE_ACCOUNT, TYPE_STRING },
  { "skipsleep", SCOPE_ACCOUNT, TYPE_BOOL },

  { "type", SCOPE_REPOSITORY, TYPE_STRING },
  { "readonly", SCOPE_REPOSITORY, TYPE_BOOL },
  { "createfolders", SCOPE_REPOSITORY, TYPE_BOOL },
  { "sync_deletes", SCOPE_REPOSITORY, TYPE_BOOL },
  { "nametrans", SCOPE_REPOSITORY, TYPE_PYTHON },
  { "folderfilter", SCOPE_REPOSITORY, TYPE_PYTHON },
  { "folderincludes", SCOPE_REPOSITORY, TYPE_PYTHON },
  { "foldersort", SCOPE_REPOSITORY, TYPE_PYTHON },
  { "dynamic_folderfilter", SCOPE_REPOSITORY, TYPE_BOOL },
  { "startdate", SCOPE_REPOSITORY, TYPE_STRING },
  { "nametrans_rules", SCOPE_REPOSITORY, TYPE_STRING },
  { "folder_include", SCOPE_REPOSITORY, TYPE_STRING },
  { "folder_exclude", SCOPE_REPOSITORY, TYPE_STRING },

  { "localfolders", SCOPE_MAILDIR, TYPE_STRING },
  { "sep", SCOPE_MAILDIR | SCOPE_IMAP, TYPE_STRING },
  { "restoreatime", SCOPE_MAILDIR, TYPE_BOOL },

  { "remotehost", SCOPE_IMAP, TYPE_STRING },
  { "remotehosteval", SCOPE_IMAP, TYPE_PYTHON },
  { "remotehostcmd", SCOPE_IMAP, TYPE_STRING },
  { "remoteport", SCOPE_IMAP, TYPE_INT },
  { "remoteporteval", SCOPE_IMAP, TYPE_PYTHON },
  { "remoteportcmd", SCOPE_IMAP, TYPE_STRING },
  { "remoteuser", SCOPE_IMAP, TYPE_STRING },
  { "remoteusereval", SCOPE_IMAP, TYPE_PYTHON },
  { "remoteusercmd", SCOPE_IMAP, TYPE_STRING },
  { "remote_identity", SCOPE_IMAP, TYPE_STRING },
  { "remotepass", SCOPE_IMAP, TYPE_STRING },
  { "remotepassfile", SCOPE_IMAP, TYPE_STRING },
  { "remotepasseval", SCOPE_IMAP, TYPE_PYTHON },
  { "remotepasscmd", SCOPE_IMAP, TYPE_STRING },
  { "auth_mechanisms", SCOPE_IMAP, TYPE_LIST },
  { "ssl", SCOPE_IMAP, TYPE_BOOL },
  { "starttls", SCOPE_IMAP, TYPE_BOOL },
  { "sslcacertfile", SCOPE_IMAP, TYPE_STRING },
  { "cert_fingerprint", SCOPE_IMAP, TYPE_LIST },
  { "sslclientcert", SCOPE_IMAP, TYPE_STRING },
  { "sslclientkey", SCOPE_IMAP, TYPE_STRING },
  { "tls_level", SCOPE_IMAP, TYPE_STRING },
  { "ssl_version", SCOPE_IMAP, TYPE_STRING },
  { "ipv6", SCOPE_IMAP, TYPE_BOOL },
  { "preauthtunnel", SCOPE_IMAP, TYPE_STRING },
  { "transporttunnel", SCOPE_IMAP, TYPE_STRING },
  { "reference", SCOPE_IMAP, TYPE_STRING },
  { "subscribedonly", SCOPE_IMAP, TYPE_BOOL },
  { "decodefoldernames", SCOPE_IMAP, TYPE_BOOL },
  { "idlefolders", SCOPE_IMAP, TYPE_PYTHON },
  { "usecompression", SCOPE_IMAP, TYPE_BOOL },
  { "maxconnections", SCOPE_IMAP, TYPE_INT },
  { "singlethreadperfolder", SCOPE_IMAP, TYPE_BOOL },
  { "holdconnectionopen", SCOPE_IMAP, TYPE_BOOL },
  { "keepalive", SCOPE_IMAP, TYPE_INT },
  { "expunge", SCOPE_IMAP, TYPE_BOOL },
  { "retrycount", SCOPE_IMAP, TYPE_INT },
  { "copy_ignore_eval", SCOPE_IMAP, TYPE_PYTHON },
  { "newmail_hook", SCOPE_IMAP, TYPE_PYTHON },
  OAUTH2 ("oauth2_client_id"),
  OAUTH2 ("oauth2_client_secret"),
  OAUTH2 ("oauth2_refresh_token"),
  OAUTH2 ("oauth2_access_token"),
  OAUTH2 ("oauth2_request_url"),
  /* Gmail's, parsed by offlineimap but unused by its 8.x sync code:
   * accepted silently on a Gmail repository, as there */
  { "trashfolder", SCOPE_GMAIL, TYPE_STRING },
  { "spamfolder", SCOPE_GMAIL, TYPE_STRING },
};

/* ------------------------------------------------------------------------ */
/* Checking a section's keys */

static const OptionSpec *
find_spec (const char *key,
           guint       scopes)
{
  for (guint i = 0; i < G_N_ELEMENTS (option_specs); i++)
    if ((option_specs[i].scopes & scopes) != 0 && strcmp (option_specs[i].name, key) == 0)
      return &option_specs[i];
  return NULL;
}

gboolean
_mailsync_config_is_custom_flag (const char *key)
{
  return g_str_has_prefix (key, "customflag_") && key[11] >= 'a' && key[11] <= 'z' && key[12] == '\0';
}

/* Type-checks the options written in @section and warns about those
 * mailsync does not know (or that do nothing there). */
gboolean
_mailsync_config_check_section (MailsyncConfig *self,
                                const char     *section,
                                guint           scopes,
                                const char     *what,
                                GError        **error)
{
  g_auto(GStrv) keys = _mailsync_config_file_get_own_keys (self->file, section);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      const char *key = keys[i];
      const OptionSpec *spec = find_spec (key, scopes);

      if (spec == NULL && _mailsync_config_is_custom_flag (key))
        {
          if (!(scopes & SCOPE_MAILDIR))
            _mailsync_config_warn (self, section, key, "has no effect on %s", what);
          continue;
        }
      if (spec == NULL)
        {
          if (find_spec (key, ~0u) != NULL)
            _mailsync_config_warn (self, section, key, "has no effect on %s", what);
          else
            _mailsync_config_warn (self, section, key, "unknown option, ignored");
          continue;
        }
      switch (spec->type)
        {
        case TYPE_BOOL:
          {
            gboolean b;
            if (!_mailsync_config_get_bool (self, section, key, FALSE, &b, error))
              return FALSE;
          }
          break;
        case TYPE_INT:
          {
            gint64 n;
            if (!mailsync_config_file_get_int64 (self->file, section, key, 0, &n, error))
              return FALSE;
          }
          break;
        case TYPE_DOUBLE:
          {
            double d;
            if (!mailsync_config_file_get_double (self->file, section, key, 0, &d, error))
              return FALSE;
          }
          break;
        case TYPE_RAW:
          break;
        case TYPE_STRING:
        case TYPE_LIST:
        case TYPE_PYTHON:
          {
            g_autoptr(GError) local_error = NULL;
            g_autofree char *s = mailsync_config_file_get_string (self->file, section, key, &local_error);
            if (local_error != NULL)
              {
                g_propagate_error (error, g_steal_pointer (&local_error));
                return FALSE;
              }
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}

/* Options mailsync cannot honour yet: set (to anything but their
 * harmless value) is an error naming the option. */
gboolean
_mailsync_config_refuse_if_set (MailsyncConfig *self,
                                const char     *section,
                                const char     *key,
                                const char     *why,
                                GError        **error)
{
  g_autofree char *value = NULL;

  if (!_mailsync_config_has (self, section, key))
    return TRUE;
  value = _mailsync_config_get_str (self, section, key, error);
  if (value == NULL)
    return FALSE;
  if (*value == '\0')
    return TRUE;
  return _mailsync_config_error (self, section, key, MAILSYNC_ERROR_NOT_SUPPORTED, error, "%s", why);
}

gboolean
_mailsync_config_refuse_if_true (MailsyncConfig *self,
                                 const char     *section,
                                 const char     *key,
                                 const char     *why,
                                 GError        **error)
{
  gboolean value;

  if (!_mailsync_config_get_bool (self, section, key, FALSE, &value, error))
    return FALSE;
  if (value)
    return _mailsync_config_error (self, section, key, MAILSYNC_ERROR_NOT_SUPPORTED, error, "%s", why);
  return TRUE;
}
