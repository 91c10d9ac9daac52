/* Accounts from an offlineimap-compatible configuration file. */
#include "config.h"

#include "config/mailsync-config.h"
#include "config/mailsync-config-file-private.h"
#include "config/mailsync-config-private.h"
#include "config/mailsync-keyring-private.h"
#include "config/mailsync-oauth2-private.h"
#include "config/mailsync-python-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "status/mailsync-status-plain.h"
#include "status/mailsync-status-sqlite.h"
#include "backends/maildir/mailsync-maildir-repository.h"
#include "backends/imap/mailsync-imap-repository.h"
#include "backends/imap/mailsync-imap-private.h"
#include "backends/mapped/mailsync-mapped-repository.h"
#include "mailsync-netrc.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

/**
 * MailsyncConfig:
 *
 * The accounts a #MailsyncConfigFile describes, as offlineimap reads them:
 * `[general]`, `[Account NAME]` and `[Repository NAME]` sections become
 * #MailsyncAccount objects with their repositories, status store and
 * policy.
 *
 * Every option of offlineimap 8.0 is either honoured or refused with a
 * %MAILSYNC_ERROR_INVALID_CONFIG (a wrong value) or
 * %MAILSYNC_ERROR_NOT_SUPPORTED (a feature mailsync lacks) error whose
 * message starts with the "FILE:LINE" of the option. Options that only the
 * command line uses (`ui`, `autorefresh`, hooks, `[mbnames]`...) are
 * checked for their type here and read by the caller from the
 * #MailsyncConfigFile. Options mailsync does not know are not errors
 * (users keep helper keys for `%(name)s` references): they are collected
 * as warnings, see mailsync_config_get_warnings().
 *
 * Python-expression options (`nametrans`, `folderfilter`, `*eval`...) are
 * evaluated with the embedded Python when the library has it; mailsync
 * also offers declarative equivalents that need none (`nametrans_rules`,
 * `folder_include`, `folder_exclude`, `remotepasscmd`...). mailsync.conf(5)
 * documents them all.
 *
 * Since: 0.1
 */

/* ------------------------------------------------------------------------ */
/* The options mailsync knows */

typedef enum
{
  SCOPE_GENERAL    = 1 << 0,
  SCOPE_MBNAMES    = 1 << 1,
  SCOPE_ACCOUNT    = 1 << 2,
  SCOPE_REPOSITORY = 1 << 3,   /* every repository type */
  SCOPE_MAILDIR    = 1 << 4,
  SCOPE_IMAP       = 1 << 5,
  SCOPE_GMAIL      = 1 << 6,   /* type = Gmail only */
} Scope;

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
/* The embedded Python, shared by every closure made from this config (the
 * accounts may outlive the MailsyncConfig). */

typedef struct
{
  MailsyncPython *py;
} PythonRef;

static void
python_ref_clear (gpointer data)
{
  PythonRef *ref = data;

  g_clear_pointer (&ref->py, _mailsync_python_free);
}

struct _MailsyncConfig
{
  GObject              parent_instance;

  MailsyncConfigFile  *file;
  GPtrArray           *warnings;       /* char*, in order, each once */
  GHashTable          *warned;         /* the same strings */
  PythonRef           *python;         /* atomic rc box, created on first use */

  MailsyncPasswordFunc password_func;
  gpointer             password_data;
  GDestroyNotify       password_destroy;
};

G_DEFINE_FINAL_TYPE (MailsyncConfig, mailsync_config, G_TYPE_OBJECT)

static void
mailsync_config_finalize (GObject *object)
{
  MailsyncConfig *self = MAILSYNC_CONFIG (object);

  if (self->password_destroy != NULL)
    self->password_destroy (self->password_data);
  if (self->python != NULL)
    g_atomic_rc_box_release_full (self->python, python_ref_clear);
  g_hash_table_unref (self->warned);
  g_ptr_array_unref (self->warnings);
  g_clear_object (&self->file);
  G_OBJECT_CLASS (mailsync_config_parent_class)->finalize (object);
}

static void
mailsync_config_class_init (MailsyncConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_config_finalize;
}

static void
mailsync_config_init (MailsyncConfig *self)
{
  self->warnings = g_ptr_array_new_with_free_func (g_free);
  self->warned = g_hash_table_new (g_str_hash, g_str_equal);
}

/* ------------------------------------------------------------------------ */
/* Messages */

/* "FILE:LINE" of @key in @section, else of the section, else the file. */
static char *
where (MailsyncConfig *self,
       const char     *section,
       const char     *key)
{
  char *location = key != NULL ? mailsync_config_file_get_location (self->file, section, key) : NULL;
  const char *fallback;

  if (location != NULL)
    return location;
  fallback = _mailsync_config_file_get_section_location (self->file, section);
  if (fallback == NULL)
    fallback = mailsync_config_file_get_path (self->file);
  return g_strdup (fallback != NULL ? fallback : "<config>");
}

static gboolean option_error (MailsyncConfig *self, const char *section, const char *key,
                              MailsyncError code, GError **error,
                              const char *format, ...) G_GNUC_PRINTF (6, 7);

/* An error about @key of @section: "FILE:LINE: option 'K' in section 'S': ..." */
static gboolean
option_error (MailsyncConfig *self,
              const char     *section,
              const char     *key,
              MailsyncError   code,
              GError        **error,
              const char     *format,
              ...)
{
  g_autofree char *location = where (self, section, key);
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (key != NULL)
    g_set_error (error, MAILSYNC_ERROR, code, "%s: option '%s' in section '%s': %s",
                 location, key, section, message);
  else
    g_set_error (error, MAILSYNC_ERROR, code, "%s: section '%s': %s", location, section, message);
  return FALSE;
}

static void warn (MailsyncConfig *self, const char *section, const char *key,
                  const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
warn (MailsyncConfig *self,
      const char     *section,
      const char     *key,
      const char     *format,
      ...)
{
  g_autofree char *location = where (self, section, key);
  g_autofree char *message = NULL;
  char *line;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (key != NULL)
    line = g_strdup_printf ("%s: option '%s' in section '%s': %s", location, key, section, message);
  else
    line = g_strdup_printf ("%s: section '%s': %s", location, section, message);
  if (g_hash_table_contains (self->warned, line))
    {
      g_free (line);
      return;
    }
  g_hash_table_add (self->warned, line);
  g_ptr_array_add (self->warnings, line);
}

/* ------------------------------------------------------------------------ */
/* Typed reads with the option's location in errors */

static gboolean
has (MailsyncConfig *self,
     const char     *section,
     const char     *key)
{
  return mailsync_config_file_has_key (self->file, section, key);
}

/* The value, stripped; NULL and no error when unset. */
static char *
get_str (MailsyncConfig *self,
         const char     *section,
         const char     *key,
         GError        **error)
{
  char *value = mailsync_config_file_get_string (self->file, section, key, error);

  return value != NULL ? g_strstrip (value) : NULL;
}

static gboolean
get_bool (MailsyncConfig *self,
          const char     *section,
          const char     *key,
          gboolean        default_value,
          gboolean       *value,
          GError        **error)
{
  return mailsync_config_file_get_boolean (self->file, section, key, default_value, value, error);
}

static gboolean
get_int (MailsyncConfig *self,
         const char     *section,
         const char     *key,
         gint64          default_value,
         gint64          min,
         gint64          max,
         gint64         *value,
         GError        **error)
{
  if (!mailsync_config_file_get_int64 (self->file, section, key, default_value, value, error))
    return FALSE;
  if (*value < min || *value > max)
    return option_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                         "%" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT ")",
                         *value, min, max);
  return TRUE;
}

/* A path option: `~` and `~user` then `$VAR` / `${VAR}` expansion, as
 * Python's os.path.expanduser() and expandvars() (unknown variables stay
 * as written). */
static char *
expand_path (const char *path,
             gboolean    vars)
{
  g_autofree char *user_expanded = NULL;
  GString *out;

  if (path[0] == '~')
    {
      const char *slash = strchr (path, '/');
      g_autofree char *who = g_strndup (path + 1, slash ? (gsize) (slash - path - 1) : strlen (path + 1));
      const char *home = NULL;

      if (*who == '\0')
        {
          home = g_getenv ("HOME");
          if (home == NULL || *home == '\0')
            home = g_get_home_dir ();
        }
      else
        {
          struct passwd *pw = getpwnam (who);
          home = pw != NULL ? pw->pw_dir : NULL;
        }
      user_expanded = home != NULL ? g_strconcat (home, slash ? slash : "", NULL) : g_strdup (path);
    }
  else
    user_expanded = g_strdup (path);

  if (!vars)
    return g_steal_pointer (&user_expanded);

  out = g_string_new (NULL);
  for (const char *p = user_expanded; *p != '\0';)
    {
      const char *start, *end;
      gboolean braced;

      if (*p != '$')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      braced = p[1] == '{';
      start = p + 1 + braced;
      end = start;
      while (g_ascii_isalnum (*end) || *end == '_')
        end++;
      if (end == start || (braced && *end != '}'))
        {
          g_string_append_c (out, *p++);
          continue;
        }
      {
        g_autofree char *name = g_strndup (start, end - start);
        const char *value = g_getenv (name);
        const char *after = end + braced;

        if (value != NULL)
          g_string_append (out, value);
        else
          g_string_append_len (out, p, after - p);
        p = after;
      }
    }
  return g_string_free (out, FALSE);
}

static char *
get_path (MailsyncConfig *self,
          const char     *section,
          const char     *key,
          gboolean        vars,
          GError        **error)
{
  g_autofree char *value = get_str (self, section, key, error);

  if (value == NULL || *value == '\0')
    return NULL;
  return expand_path (value, vars);
}

/* ------------------------------------------------------------------------ */
/* Python literals: the common eval options (`idlefolders = ['INBOX']`,
 * `header = "mailboxes "`) need no interpreter. */

static gboolean
parse_py_string (const char **pp,
                 GString     *out)
{
  const char *p = *pp;
  char quote;

  /* r'' and b'' prefixes are rare in configs; only plain strings here */
  if (*p != '\'' && *p != '"')
    return FALSE;
  quote = *p++;
  for (; *p != '\0' && *p != quote; p++)
    {
      if (*p != '\\')
        {
          g_string_append_c (out, *p);
          continue;
        }
      p++;
      switch (*p)
        {
        case 'n': g_string_append_c (out, '\n'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case '\\': case '\'': case '"': g_string_append_c (out, *p); break;
        default: return FALSE;   /* \x, \u...: leave it to Python */
        }
    }
  if (*p != quote)
    return FALSE;
  *pp = p + 1;
  return TRUE;
}

static void
skip_blanks (const char **pp)
{
  while (g_ascii_isspace (**pp))
    (*pp)++;
}

/* One string literal, or adjacent ones ("a" "b"), and nothing else. */
static char *
parse_py_string_literal (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = text;
  gboolean any = FALSE;

  skip_blanks (&p);
  while (*p == '\'' || *p == '"')
    {
      if (!parse_py_string (&p, out))
        return NULL;
      any = TRUE;
      skip_blanks (&p);
    }
  if (!any || *p != '\0')
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A list or tuple of string literals: [], ['a', "b"], ('a',). */
static char **
parse_py_string_list (const char *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *p = text;
  char close;

  skip_blanks (&p);
  if (*p != '[' && *p != '(')
    return NULL;
  close = *p == '[' ? ']' : ')';
  p++;
  skip_blanks (&p);
  while (*p != close)
    {
      g_autoptr(GString) item = g_string_new (NULL);

      if (!parse_py_string (&p, item))
        return NULL;
      g_strv_builder_add (builder, item->str);
      skip_blanks (&p);
      if (*p == ',')
        {
          p++;
          skip_blanks (&p);
        }
      else if (*p != close)
        return NULL;
    }
  p++;
  skip_blanks (&p);
  if (*p != '\0')
    return NULL;
  return g_strv_builder_end (builder);
}

/* The Python namespace (pythonfile's globals), created on first use. */
/* The error for a Python option when Python cannot be used: built without
 * it, or its module (mailsync-python.so) could not be loaded, with
 * dlopen's reason.  Names @declarative, the option to use instead. */
static gboolean
python_unsupported (MailsyncConfig *self,
                    const char     *section,
                    const char     *key,
                    const char     *declarative,
                    GError        **error)
{
  const char *load_error = _mailsync_python_get_load_error ();

  return option_error (self, section, key, MAILSYNC_ERROR_NOT_SUPPORTED, error,
                       "Python expressions need a mailsync built with Python%s%s%s%s%s%s",
                       load_error ? " (its Python module could not be loaded: " : "",
                       load_error ? load_error : "",
                       load_error ? ")" : "",
                       declarative ? "; without Python, use '" : "",
                       declarative ? declarative : "",
                       declarative ? "' instead (see mailsync.conf(5))" : "");
}

static MailsyncPython *
get_python (MailsyncConfig *self,
            const char     *section,
            const char     *key,
            const char     *declarative,
            GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *pythonfile = NULL;
  MailsyncPython *py;

  if (self->python != NULL)
    return self->python->py;

  pythonfile = get_path (self, "general", "pythonfile", TRUE, error);
  if (pythonfile == NULL && error != NULL && *error != NULL)
    return NULL;
  py = _mailsync_python_new (pythonfile, &local_error);
  if (py == NULL)
    {
      if (g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED))
        python_unsupported (self, section, key, declarative, error);
      else
        {
          g_autofree char *location = where (self, "general", "pythonfile");
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG, "%s: pythonfile: %s",
                       location, local_error->message);
        }
      return NULL;
    }
  self->python = g_atomic_rc_box_new0 (PythonRef);
  self->python->py = py;
  return py;
}

/* "FILE:LINE: key", the @where of the Python API. */
static char *
python_where (MailsyncConfig *self,
              const char     *section,
              const char     *key)
{
  g_autofree char *location = where (self, section, key);

  return g_strdup_printf ("%s: %s", location, key);
}

/* Rewrites NOT_SUPPORTED from the Python API into the message of
 * get_python() (naming the declarative equivalent). */
static void
python_refused (MailsyncConfig *self,
                const char     *section,
                const char     *key,
                const char     *declarative,
                GError        **error,
                GError         *local_error)
{
  if (g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED))
    python_unsupported (self, section, key, declarative, error);
  else
    g_propagate_error (error, g_error_copy (local_error));
}

/* A string-valued Python option: a plain literal needs no Python. A
 * @secret one never has the exception's message in its error; without
 * Python, the error names @declarative, the option to use instead. */
static char *
eval_string_option (MailsyncConfig *self,
                    const char     *section,
                    const char     *key,
                    const char     *declarative,
                    gboolean        secret,
                    GError        **error)
{
  g_autofree char *text = NULL;
  g_autofree char *location = NULL;
  g_autoptr(GError) local_error = NULL;
  MailsyncPython *py;
  char *value;

  text = get_str (self, section, key, error);
  if (text == NULL)
    return NULL;
  value = parse_py_string_literal (text);
  if (value != NULL)
    return value;
  py = get_python (self, section, key, declarative, error);
  if (py == NULL)
    return NULL;
  location = python_where (self, section, key);
  value = secret ? _mailsync_python_eval_secret (py, text, location, &local_error)
                 : _mailsync_python_eval_string (py, text, location, &local_error);
  if (value == NULL)
    python_refused (self, section, key, declarative, error, local_error);
  return value;
}

/**
 * mailsync_config_eval_string:
 * @self: a #MailsyncConfig
 * @section: a section name
 * @key: an option whose value is a Python expression giving a string
 *   (`[mbnames] header`, `sep`, `footer`, `remotehosteval`...)
 * @error: return location for a #GError
 *
 * Evaluates a Python-expression option. A plain string literal (`"mailboxes "`)
 * needs no Python; anything else needs the embedded Python and fails with
 * %MAILSYNC_ERROR_NOT_SUPPORTED (naming the option and its line) without it.
 * An unset option gives %NULL and no error.
 *
 * Returns: (transfer full) (nullable): the string, or %NULL if unset or on error
 *
 * Since: 0.1
 */
char *
mailsync_config_eval_string (MailsyncConfig *self,
                             const char     *section,
                             const char     *key,
                             GError        **error)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  g_return_val_if_fail (section != NULL && key != NULL, NULL);

  return eval_string_option (self, section, key, NULL, FALSE, error);
}

/**
 * mailsync_config_eval_list:
 * @self: a #MailsyncConfig
 * @section: a section name
 * @key: an option whose value is a Python expression giving a list of
 *   strings (`idlefolders`, `folderincludes`)
 * @error: return location for a #GError
 *
 * Like mailsync_config_eval_string() for a list: a literal list or tuple
 * of strings (`['INBOX', 'Sent']`) needs no Python.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the items,
 *   or %NULL if unset or on error
 *
 * Since: 0.1
 */
char **
mailsync_config_eval_list (MailsyncConfig *self,
                           const char     *section,
                           const char     *key,
                           GError        **error)
{
  g_autofree char *text = NULL;
  g_autofree char *location = NULL;
  g_autoptr(GError) local_error = NULL;
  MailsyncPython *py;
  char **value;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  g_return_val_if_fail (section != NULL && key != NULL, NULL);

  text = mailsync_config_file_get_string (self->file, section, key, error);
  if (text == NULL)
    return NULL;
  value = parse_py_string_list (text);
  if (value != NULL)
    return value;
  py = get_python (self, section, key, NULL, error);
  if (py == NULL)
    return NULL;
  location = python_where (self, section, key);
  value = _mailsync_python_eval_strv (py, text, location, &local_error);
  if (value == NULL)
    python_refused (self, section, key, NULL, error, local_error);
  return value;
}

/* The [mbnames] lambdas: compiled on each call, since mbnames runs once
 * a sync and a cached callable would have to outlive a config reload. */
static MailsyncPythonFunc *
compile_mbnames (MailsyncConfig *self,
                 const char     *key,
                 GError        **error)
{
  g_autofree char *text = NULL;
  g_autofree char *location = NULL;
  g_autoptr(GError) local_error = NULL;
  MailsyncPythonFunc *func;
  MailsyncPython *py;

  text = mailsync_config_file_get_string (self->file, "mbnames", key, error);
  if (text == NULL)
    return NULL;
  py = get_python (self, "mbnames", key, NULL, error);
  if (py == NULL)
    return NULL;
  location = python_where (self, "mbnames", key);
  func = _mailsync_python_compile (py, text, location, &local_error);
  if (func == NULL)
    python_refused (self, "mbnames", key, NULL, error, local_error);
  return func;
}

/**
 * mailsync_config_mbnames_filter:
 * @self: a #MailsyncConfig
 * @account: an account name
 * @folder: a local folder name
 * @include: (out): whether the folder goes into the mbnames file
 * @error: return location for a #GError
 *
 * Evaluates `[mbnames] folderfilter` (offlineimap's `lambda accountname,
 * foldername: ...`) for one folder. Without the option every folder is
 * included.
 *
 * Returns: %FALSE on error (the expression raised, or Python is missing)
 *
 * Since: 0.1
 */
gboolean
mailsync_config_mbnames_filter (MailsyncConfig *self,
                                const char     *account,
                                const char     *folder,
                                gboolean       *include,
                                GError        **error)
{
  g_autoptr(MailsyncPythonFunc) func = NULL;
  const char *args[] = { account, folder, NULL };

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (account != NULL && folder != NULL && include != NULL, FALSE);

  *include = TRUE;
  if (!mailsync_config_file_has_key (self->file, "mbnames", "folderfilter"))
    return TRUE;
  func = compile_mbnames (self, "folderfilter", error);
  if (func == NULL)
    return FALSE;
  return _mailsync_python_call_bool (func, args, include, error);
}

/**
 * mailsync_config_mbnames_sort:
 * @self: a #MailsyncConfig
 * @items: (element-type GHashTable<utf8,utf8>): the mbnames entries, each a
 *   #GHashTable of strings with the keys `accountname`, `foldername` and
 *   `localfolders`
 * @error: return location for a #GError
 *
 * Sorts @items in place with `[mbnames] sort_keyfunc` (offlineimap's
 * `items.sort(key=f)`, stable). Without the option, @items is left as it
 * is; on error it is untouched.
 *
 * Returns: %FALSE on error
 *
 * Since: 0.1
 */
gboolean
mailsync_config_mbnames_sort (MailsyncConfig *self,
                              GPtrArray      *items,
                              GError        **error)
{
  g_autoptr(MailsyncPythonFunc) func = NULL;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (items != NULL, FALSE);

  if (!mailsync_config_file_has_key (self->file, "mbnames", "sort_keyfunc"))
    return TRUE;
  func = compile_mbnames (self, "sort_keyfunc", error);
  if (func == NULL)
    return FALSE;
  return _mailsync_python_sort_dicts (func, items, error);
}

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

static gboolean
is_custom_flag (const char *key)
{
  return g_str_has_prefix (key, "customflag_") && key[11] >= 'a' && key[11] <= 'z' && key[12] == '\0';
}

/* Type-checks the options written in @section and warns about those
 * mailsync does not know (or that do nothing there). */
static gboolean
check_section (MailsyncConfig *self,
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

      if (spec == NULL && is_custom_flag (key))
        {
          if (!(scopes & SCOPE_MAILDIR))
            warn (self, section, key, "has no effect on %s", what);
          continue;
        }
      if (spec == NULL)
        {
          if (find_spec (key, ~0u) != NULL)
            warn (self, section, key, "has no effect on %s", what);
          else
            warn (self, section, key, "unknown option, ignored");
          continue;
        }
      switch (spec->type)
        {
        case TYPE_BOOL:
          {
            gboolean b;
            if (!get_bool (self, section, key, FALSE, &b, error))
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
static gboolean
refuse_if_set (MailsyncConfig *self,
               const char     *section,
               const char     *key,
               const char     *why,
               GError        **error)
{
  g_autofree char *value = NULL;

  if (!has (self, section, key))
    return TRUE;
  value = get_str (self, section, key, error);
  if (value == NULL)
    return FALSE;
  if (*value == '\0')
    return TRUE;
  return option_error (self, section, key, MAILSYNC_ERROR_NOT_SUPPORTED, error, "%s", why);
}

static gboolean
refuse_if_true (MailsyncConfig *self,
                const char     *section,
                const char     *key,
                const char     *why,
                GError        **error)
{
  gboolean value;

  if (!get_bool (self, section, key, FALSE, &value, error))
    return FALSE;
  if (value)
    return option_error (self, section, key, MAILSYNC_ERROR_NOT_SUPPORTED, error, "%s", why);
  return TRUE;
}

/* ------------------------------------------------------------------------ */

typedef struct _PythonClosure PythonClosure;
static PythonClosure *python_closure_new (MailsyncConfig *self, const char *section, const char *key,
                                          const char *declarative, GError **error);
static void python_closure_free (PythonClosure *closure);

/**
 * mailsync_config_new:
 * @file: the configuration
 * @error: return location for a #GError
 *
 * Checks `[general]` and `[mbnames]` and prepares to build accounts from
 * @file. Accounts and repositories are checked when they are created
 * (mailsync_config_create_account()), so a broken account that is not
 * synced does not stop the others, as in offlineimap.
 *
 * Returns: (transfer full) (nullable): a new #MailsyncConfig, or %NULL on error
 *
 * Since: 0.1
 */
MailsyncConfig *
mailsync_config_new (MailsyncConfigFile *file,
                     GError            **error)
{
  g_autoptr(MailsyncConfig) self = NULL;
  g_auto(GStrv) sections = NULL;
  gboolean mbnames = FALSE;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (MAILSYNC_TYPE_CONFIG, NULL);
  self->file = g_object_ref (file);

  sections = mailsync_config_file_get_sections (file);
  for (guint i = 0; sections[i] != NULL; i++)
    {
      const char *name = sections[i];

      if (strcmp (name, "general") == 0)
        {
          gint64 n;

          if (!check_section (self, name, SCOPE_GENERAL, "[general]", error) ||
              !get_int (self, name, "maxsyncaccounts", 1, 1, G_MAXINT, &n, error) ||
              !get_int (self, name, "socktimeout", 0, 0, G_MAXUINT, &n, error))
            return NULL;
        }
      else if (strcmp (name, "mbnames") == 0)
        {
          if (!check_section (self, name, SCOPE_MBNAMES, "[mbnames]", error) ||
              !get_bool (self, name, "enabled", FALSE, &mbnames, error))
            return NULL;
        }
      else if (!g_str_has_prefix (name, "Account ") && !g_str_has_prefix (name, "Repository "))
        warn (self, name, NULL, "unknown section, ignored (sections are [general], [mbnames], "
              "[Account NAME] and [Repository NAME])");
    }

  /* offlineimap wants every [mbnames] key even when disabled; only an
   * enabled mbnames needs them here. */
  if (mbnames)
    {
      static const char *const required[] = { "filename", "header", "peritem", "sep", "footer" };

      static const char *const strings[] = { "header", "sep", "footer" };
      static const char *const callables[] = { "folderfilter", "sort_keyfunc" };

      for (guint i = 0; i < G_N_ELEMENTS (required); i++)
        if (!has (self, "mbnames", required[i]))
          return (option_error (self, "mbnames", required[i], MAILSYNC_ERROR_INVALID_CONFIG, error,
                                "required when mbnames is enabled"), NULL);
      /* evaluated now so that a broken expression stops the run before
       * any sync, not after the last one */
      for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
        {
          g_autofree char *value = mailsync_config_eval_string (self, "mbnames", strings[i], error);
          if (value == NULL)
            return NULL;
        }
      for (guint i = 0; i < G_N_ELEMENTS (callables); i++)
        if (has (self, "mbnames", callables[i]))
          {
            PythonClosure *closure = python_closure_new (self, "mbnames", callables[i], NULL, error);
            if (closure == NULL)
              return NULL;
            python_closure_free (closure);
          }
    }
  return g_steal_pointer (&self);
}

/**
 * mailsync_config_get_file:
 * @self: a #MailsyncConfig
 *
 * Gets the parsed configuration file, with every section and option as
 * written (for options the library does not interpret).
 *
 * Returns: (transfer none): the configuration file
 *
 * Since: 0.1
 */
MailsyncConfigFile *
mailsync_config_get_file (MailsyncConfig *self)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  return self->file;
}

/**
 * mailsync_config_get_warnings:
 * @self: a #MailsyncConfig
 *
 * Lists what the checks so far found odd but not wrong: unknown options
 * and sections, options that do nothing where they are written. Each is
 * one line starting with "FILE:LINE: ". mailsync_config_new() and
 * mailsync_config_create_account() add to the list.
 *
 * Returns: (transfer full) (array zero-terminated=1): the warnings
 *
 * Since: 0.1
 */
char **
mailsync_config_get_warnings (MailsyncConfig *self)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->warnings->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->warnings, i));
  return g_strv_builder_end (builder);
}

/**
 * mailsync_config_set_password_func:
 * @self: a #MailsyncConfig
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   asks the user, or %NULL
 * @user_data: closure data
 * @destroy: (nullable): frees @user_data
 *
 * Installs the last resort for passwords: called by
 * mailsync_config_create_account() when neither the configuration, the
 * netrc files nor the keyring give one (offlineimap's prompt).
 *
 * Since: 0.1
 */
void
mailsync_config_set_password_func (MailsyncConfig      *self,
                                   MailsyncPasswordFunc func,
                                   gpointer             user_data,
                                   GDestroyNotify       destroy)
{
  g_return_if_fail (MAILSYNC_IS_CONFIG (self));

  if (self->password_destroy != NULL)
    self->password_destroy (self->password_data);
  self->password_func = func;
  self->password_data = user_data;
  self->password_destroy = destroy;
}

/**
 * mailsync_config_get_account_names:
 * @self: a #MailsyncConfig
 * @error: return location for a #GError
 *
 * Reads `[general] accounts`: the accounts to sync. It is required.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the names,
 *   or %NULL on error
 *
 * Since: 0.1
 */
char **
mailsync_config_get_account_names (MailsyncConfig *self,
                                   GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  char **names;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);

  names = mailsync_config_file_get_list (self->file, "general", "accounts", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (names == NULL || names[0] == NULL)
    {
      g_strfreev (names);
      if (!mailsync_config_file_has_section (self->file, "general"))
        {
          g_autofree char *location = where (self, "general", NULL);
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                       "%s: no [general] section (it must list the accounts to sync)", location);
          return NULL;
        }
      option_error (self, "general", "accounts", MAILSYNC_ERROR_INVALID_CONFIG, error,
                    "required: the comma-separated accounts to sync");
      return NULL;
    }
  return names;
}

/**
 * mailsync_config_get_all_account_names:
 * @self: a #MailsyncConfig
 *
 * Lists every `[Account NAME]` section, active or not (offlineimap's `-f`
 * applies to all of them).
 *
 * Returns: (transfer full) (array zero-terminated=1): the names
 *
 * Since: 0.1
 */
char **
mailsync_config_get_all_account_names (MailsyncConfig *self)
{
  g_auto(GStrv) sections = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);

  sections = mailsync_config_file_get_sections (self->file);
  builder = g_strv_builder_new ();
  for (guint i = 0; sections[i] != NULL; i++)
    if (g_str_has_prefix (sections[i], "Account "))
      g_strv_builder_add (builder, sections[i] + strlen ("Account "));
  return g_strv_builder_end (builder);
}

/**
 * mailsync_config_get_metadata_dir:
 * @self: a #MailsyncConfig
 *
 * Reads `[general] metadata` (default `~/.offlineimap`), with `~` and
 * `$VAR` expanded: where the status, UID maps and locks live.
 *
 * Returns: (transfer full) (type filename): the metadata directory
 *
 * Since: 0.1
 */
char *
mailsync_config_get_metadata_dir (MailsyncConfig *self)
{
  g_autoptr(GError) error = NULL;
  char *path;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);

  /* A broken value (a lone '%') is reported by create_account(); here
   * the default keeps the signature simple. */
  path = get_path (self, "general", "metadata", TRUE, &error);
  return path != NULL ? path : expand_path ("~/.offlineimap", FALSE);
}

/* ------------------------------------------------------------------------ */
/* Values from a command, Python or the file (the *eval / *cmd pattern) */

/* Runs @key's value with /bin/sh -c and returns the first line it prints.
 * stdin and stderr stay the caller's so that gpg or pass can ask for a
 * passphrase. The output is never put in a message. */
static char *
run_command (MailsyncConfig *self,
             const char     *section,
             const char     *key,
             gboolean        secret,
             GError        **error)
{
  g_autofree char *command = get_str (self, section, key, error);
  g_autoptr(GError) local_error = NULL;
  char *argv[] = { (char *) "/bin/sh", (char *) "-c", NULL, NULL };
  char *out = NULL;
  char *line;
  gsize out_len;
  int status = 0;

  if (command == NULL)
    return NULL;
  if (*command == '\0')
    return (option_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error, "empty command"), NULL);

  argv[2] = command;
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                     &out, NULL, &status, &local_error))
    return (option_error (self, section, key, MAILSYNC_ERROR_FAILED, error,
                          "cannot run the command: %s", local_error->message), NULL);
  out_len = strlen (out);
  if (!g_spawn_check_wait_status (status, &local_error))
    {
      if (secret)
        memset (out, 0, out_len);
      g_free (out);
      if (WIFEXITED (status))
        return (option_error (self, section, key, MAILSYNC_ERROR_FAILED, error,
                              "the command failed (exit status %d)", WEXITSTATUS (status)), NULL);
      return (option_error (self, section, key, MAILSYNC_ERROR_FAILED, error,
                            "the command failed (%s)", local_error->message), NULL);
    }
  line = g_strndup (out, strcspn (out, "\r\n"));
  if (secret)
    memset (out, 0, out_len);
  g_free (out);
  if (*line == '\0')
    {
      g_free (line);
      return (option_error (self, section, key, MAILSYNC_ERROR_FAILED, error,
                            "the command printed nothing on its first line"), NULL);
    }
  return line;
}

/* @base's value from `<base><eval_suffix>` (Python), `<base><cmd_suffix>`
 * (a command), or `<base>` itself, in that order of precedence (offlineimap's
 * eval beats the plain value; the command is ours). %TRUE with *value NULL
 * when none is set. */
static gboolean
get_dynamic (MailsyncConfig *self,
             const char     *section,
             const char     *base,
             const char     *eval_suffix,
             const char     *cmd_suffix,
             gboolean        secret,
             char          **value,
             GError        **error)
{
  g_autofree char *eval_key = g_strconcat (base, eval_suffix, NULL);
  g_autofree char *cmd_key = g_strconcat (base, cmd_suffix, NULL);
  g_autoptr(GError) local_error = NULL;

  *value = NULL;
  if (has (self, section, eval_key))
    {
      *value = eval_string_option (self, section, eval_key, cmd_key, secret, error);
      return *value != NULL;
    }
  if (has (self, section, cmd_key))
    {
      *value = run_command (self, section, cmd_key, secret, error);
      return *value != NULL;
    }
  if (has (self, section, base))
    {
      *value = mailsync_config_file_get_string (self->file, section, base, &local_error);
      if (*value == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!secret)
        g_strstrip (*value);
      if (**value == '\0')
        g_clear_pointer (value, g_free);
    }
  return TRUE;
}

static void
free_secret (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

/* a string wiped before it is freed */
typedef char *SecretString;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (SecretString, free_secret, NULL)

/* ------------------------------------------------------------------------ */
/* Folder name translation and filters */

typedef struct
{
  GRegex *regex;
  char   *replacement;
} Rule;

static void
rule_free (Rule *rule)
{
  g_regex_unref (rule->regex);
  g_free (rule->replacement);
  g_free (rule);
}

/* nametrans_rules: the first rule whose regex matches replaces every match
 * of it (Python's re.sub); no match leaves the name alone. */
static char *
rules_nametrans (const char *name,
                 gpointer    user_data)
{
  GPtrArray *rules = user_data;

  for (guint i = 0; i < rules->len; i++)
    {
      Rule *rule = g_ptr_array_index (rules, i);

      if (g_regex_match (rule->regex, name, 0, NULL))
        {
          char *result = g_regex_replace (rule->regex, name, -1, 0, rule->replacement, 0, NULL);
          if (result != NULL)
            return result;
        }
    }
  return g_strdup (name);
}

static GPtrArray *
parse_rules (MailsyncConfig *self,
             const char     *section,
             const char     *key,
             GError        **error)
{
  g_autofree char *text = mailsync_config_file_get_string (self->file, section, key, error);
  g_autoptr(GPtrArray) rules = NULL;
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return NULL;
  rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *pattern = NULL;
      char *line = g_strstrip (lines[i]);
      char *arrow = strstr (line, "=>");
      Rule *rule;

      if (*line == '\0')
        continue;
      if (arrow == NULL)
        return (option_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                              "rule %u: not 'REGEX => REPLACEMENT'", i + 1), NULL);
      pattern = g_strstrip (g_strndup (line, arrow - line));
      rule = g_new0 (Rule, 1);
      rule->replacement = g_strstrip (g_strdup (arrow + 2));
      rule->regex = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, &local_error);
      if (rule->regex == NULL || !g_regex_check_replacement (rule->replacement, NULL, NULL))
        {
          const char *why = local_error != NULL ? local_error->message : "bad replacement";
          if (rule->regex != NULL)
            g_regex_unref (rule->regex);
          g_free (rule->replacement);
          g_free (rule);
          return (option_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                "rule %u: %s", i + 1, why), NULL);
        }
      g_ptr_array_add (rules, rule);
    }
  if (rules->len == 0)
    return (option_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                          "no rules ('REGEX => REPLACEMENT', one per line)"), NULL);
  return g_steal_pointer (&rules);
}

typedef struct
{
  GPatternSpec *glob;
  GRegex       *regex;
} Pattern;

static void
pattern_free (Pattern *pattern)
{
  g_clear_pointer (&pattern->glob, g_pattern_spec_free);
  g_clear_pointer (&pattern->regex, g_regex_unref);
  g_free (pattern);
}

typedef struct
{
  GPtrArray *include;   /* NULL: everything */
  GPtrArray *exclude;
} Patterns;

static void
patterns_free (Patterns *patterns)
{
  g_clear_pointer (&patterns->include, g_ptr_array_unref);
  g_clear_pointer (&patterns->exclude, g_ptr_array_unref);
  g_free (patterns);
}

static gboolean
patterns_match (GPtrArray  *list,
                const char *name)
{
  for (guint i = 0; i < list->len; i++)
    {
      Pattern *pattern = g_ptr_array_index (list, i);

      if (pattern->regex != NULL ? g_regex_match (pattern->regex, name, 0, NULL)
                                 : g_pattern_spec_match_string (pattern->glob, name))
        return TRUE;
    }
  return FALSE;
}

static gboolean
patterns_filter (const char *name,
                 gpointer    user_data)
{
  Patterns *patterns = user_data;

  if (patterns->include != NULL && !patterns_match (patterns->include, name))
    return FALSE;
  return patterns->exclude == NULL || !patterns_match (patterns->exclude, name);
}

/* folder_include / folder_exclude: one pattern per line, or several on a
 * line separated by commas; a glob (`*`, `?`), or a regex between slashes
 * (`/^Archive\.20[0-9]{2}$/`, searched anywhere unless anchored). */
static GPtrArray *
parse_patterns (MailsyncConfig *self,
                const char     *section,
                const char     *key,
                GError        **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) patterns = NULL;
  g_auto(GStrv) items = NULL;

  if (!has (self, section, key))
    return NULL;
  text = mailsync_config_file_get_string (self->file, section, key, error);
  if (text == NULL)
    return NULL;
  items = g_strsplit_set (text, strchr (text, '\n') != NULL ? "\n" : ",", -1);
  patterns = g_ptr_array_new_with_free_func ((GDestroyNotify) pattern_free);
  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      Pattern *pattern;
      gsize len = strlen (item);

      if (len == 0)
        continue;
      pattern = g_new0 (Pattern, 1);
      if (len >= 2 && item[0] == '/' && item[len - 1] == '/')
        {
          g_autoptr(GError) local_error = NULL;
          g_autofree char *re = g_strndup (item + 1, len - 2);

          pattern->regex = g_regex_new (re, G_REGEX_OPTIMIZE, 0, &local_error);
          if (pattern->regex == NULL)
            {
              g_free (pattern);
              return (option_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                    "pattern %u: %s", i + 1, local_error->message), NULL);
            }
        }
      else
        pattern->glob = g_pattern_spec_new (item);
      g_ptr_array_add (patterns, pattern);
    }
  return g_steal_pointer (&patterns);
}

struct _PythonClosure
{
  PythonRef          *python;
  MailsyncPythonFunc *func;
  char               *where;
  MailsyncRepository *repo;     /* unowned: the repository owns the closure */
};

static void
python_closure_free (PythonClosure *closure)
{
  g_clear_pointer (&closure->func, _mailsync_python_func_free);
  g_atomic_rc_box_release_full (closure->python, python_ref_clear);
  g_free (closure->where);
  g_free (closure);
}

/* An exception in nametrans or folderfilter fails that folder: a guessed
 * name could create a wrongly named folder, and a guessed filter result
 * could sync a folder the user meant to leave out (or silently drop one). */
static void
python_refuse (PythonClosure *closure,
               const char    *name,
               const GError  *error)
{
  g_autoptr(GError) refusal = NULL;

  refusal = g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                         "Folder '%s' of repository %s is not synced: %s", name,
                         mailsync_repository_get_name (closure->repo),
                         error != NULL ? error->message : closure->where);
  mailsync_repository_refuse_folder (closure->repo, name, refusal);
}

static char *
python_nametrans (const char *name,
                  gpointer    user_data)
{
  PythonClosure *closure = user_data;
  g_autoptr(GError) error = NULL;
  char *result = _mailsync_python_call_string (closure->func, name, &error);

  if (result == NULL)
    python_refuse (closure, name, error);
  return result;
}

static gboolean
python_folderfilter (const char *name,
                     gpointer    user_data)
{
  PythonClosure *closure = user_data;
  g_autoptr(GError) error = NULL;
  const char *args[] = { name, NULL };
  gboolean result = FALSE;

  if (!_mailsync_python_call_bool (closure->func, args, &result, &error))
    {
      python_refuse (closure, name, error);
      return FALSE;
    }
  return result;
}

static PythonClosure *
python_closure_new (MailsyncConfig *self,
                    const char     *section,
                    const char     *key,
                    const char     *declarative,
                    GError        **error)
{
  g_autofree char *text = get_str (self, section, key, error);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *location = NULL;
  PythonClosure *closure;
  MailsyncPython *py;
  MailsyncPythonFunc *func;

  if (text == NULL)
    return NULL;
  py = get_python (self, section, key, declarative, error);
  if (py == NULL)
    return NULL;
  location = python_where (self, section, key);
  func = _mailsync_python_compile (py, text, location, &local_error);
  if (func == NULL)
    {
      python_refused (self, section, key, declarative, error, local_error);
      return NULL;
    }
  closure = g_new0 (PythonClosure, 1);
  closure->python = g_atomic_rc_box_acquire (self->python);
  closure->func = func;
  closure->where = g_steal_pointer (&location);
  return closure;
}

/* ------------------------------------------------------------------------ */
/* Repositories */

typedef struct
{
  MailsyncConfig *self;
  const char     *account;        /* account name */
  const char     *account_section;
  char           *section;        /* "Repository NAME" */
  const char     *name;
  gboolean        gmail;          /* type = Gmail: offlineimap's defaults */
} RepoContext;

/* startdate (reference §5.10): a date YYYY-MM-DD, on the remote
 * repository (the one whose older mail stays behind), never with maxage. */
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

  if (!has (self, section, "startdate"))
    return TRUE;
  text = get_str (self, section, "startdate", error);
  if (text == NULL)
    return FALSE;
  if (*text == '\0')
    return TRUE;
  if (sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen (text) != 10 ||
      (date = g_date_time_new_utc (y, m, d, 0, 0, 0)) == NULL)
    return option_error (self, section, "startdate", MAILSYNC_ERROR_INVALID_CONFIG, error,
                         "invalid startdate value '%s' (YYYY-MM-DD)", text);
  if (y < 1900)
    return option_error (self, section, "startdate", MAILSYNC_ERROR_INVALID_CONFIG, error,
                         "startdate led to year %d. Abort syncing.", y);
  if (g_date_time_compare (date, now) > 0)
    return option_error (self, section, "startdate", MAILSYNC_ERROR_INVALID_CONFIG, error,
                         "startdate led to a date in the future. Abort syncing.");
  if (ctx->account_section != NULL && has (self, ctx->account_section, "maxage"))
    return option_error (self, section, "startdate", MAILSYNC_ERROR_INVALID_CONFIG, error,
                         "set either startdate or the account's maxage, not both");
  /* a local IMAP repository is wrapped (MailsyncMappedRepository) */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (repo), "start-date") == NULL)
    return option_error (self, section, "startdate", MAILSYNC_ERROR_NOT_SUPPORTED, error,
                         "startdate is supported on the remote IMAP repository only (use maxage on the "
                         "account for a Maildir side)");
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

  if (!get_bool (self, section, "readonly", FALSE, &readonly, error) ||
      !get_bool (self, section, "createfolders", TRUE, &createfolders, error) ||
      !get_bool (self, section, "sync_deletes", TRUE, &sync_deletes, error) ||
      /* filters are asked on every sync anyway: dynamic is what we do */
      !get_bool (self, section, "dynamic_folderfilter", FALSE, &dynamic, error) ||
      !apply_start_date (ctx, repo, error))
    return FALSE;
  mailsync_repository_set_readonly (repo, readonly);
  mailsync_repository_set_create_folders (repo, createfolders);
  mailsync_repository_set_sync_deletes (repo, sync_deletes);

  if (has (self, section, "folderincludes"))
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
  if (has (self, section, "foldersort"))
    warn (self, section, "foldersort", "ignored: mailsync syncs folders in the order of their names");

  if (has (self, section, "nametrans") && has (self, section, "nametrans_rules"))
    return option_error (self, section, "nametrans_rules", MAILSYNC_ERROR_INVALID_CONFIG, error,
                         "set either nametrans or nametrans_rules, not both");
  if (has (self, section, "nametrans_rules"))
    {
      GPtrArray *rules = parse_rules (self, section, "nametrans_rules", error);
      if (rules == NULL)
        return FALSE;
      mailsync_repository_set_nametrans (repo, rules_nametrans, rules, (GDestroyNotify) g_ptr_array_unref);
    }
  else if (has (self, section, "nametrans"))
    {
      PythonClosure *closure = python_closure_new (self, section, "nametrans", "nametrans_rules", error);
      if (closure == NULL)
        return FALSE;
      closure->repo = repo;
      mailsync_repository_set_nametrans (repo, python_nametrans, closure, (GDestroyNotify) python_closure_free);
    }

  if (has (self, section, "folderfilter") &&
      (has (self, section, "folder_include") || has (self, section, "folder_exclude")))
    return option_error (self, section, "folderfilter", MAILSYNC_ERROR_INVALID_CONFIG, error,
                         "set either folderfilter or folder_include/folder_exclude, not both");
  if (has (self, section, "folder_include") || has (self, section, "folder_exclude"))
    {
      g_autoptr(GError) local_error = NULL;
      Patterns *patterns = g_new0 (Patterns, 1);

      patterns->include = parse_patterns (self, section, "folder_include", &local_error);
      if (local_error == NULL)
        patterns->exclude = parse_patterns (self, section, "folder_exclude", &local_error);
      if (local_error != NULL)
        {
          patterns_free (patterns);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      _mailsync_config_set_folder_filter (repo, (const char * const *) includes, patterns_filter, patterns,
                                          (GDestroyNotify) patterns_free);
    }
  else if (has (self, section, "folderfilter"))
    {
      PythonClosure *closure = python_closure_new (self, section, "folderfilter",
                                                   "folder_include' or 'folder_exclude", error);
      if (closure == NULL)
        return FALSE;
      closure->repo = repo;
      _mailsync_config_set_folder_filter (repo, (const char * const *) includes, python_folderfilter, closure,
                                          (GDestroyNotify) python_closure_free);
    }
  return TRUE;
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
  gboolean fsync, windows, utime, use_timestamp, general_utime, general_timestamp;
  MailsyncMaildirRepository *maildir;

  if (!check_section (self, section, SCOPE_REPOSITORY | SCOPE_MAILDIR, "a Maildir repository", error) ||
      !refuse_if_true (self, section, "restoreatime", "restoring atimes is not supported yet", error))
    return NULL;

  root = get_path (self, section, "localfolders", TRUE, error);
  if (root == NULL)
    {
      if (error == NULL || *error == NULL)
        option_error (self, section, "localfolders", MAILSYNC_ERROR_INVALID_CONFIG, error,
                      "required for a Maildir repository");
      return NULL;
    }
  if (has (self, section, "sep"))
    {
      sep = get_str (self, section, "sep", error);
      if (sep == NULL)
        return NULL;
      if (strcmp (sep, ".") != 0 && strcmp (sep, "/") != 0)
        return (option_error (self, section, "sep", MAILSYNC_ERROR_INVALID_CONFIG, error,
                              "must be '.' or '/' (without quotes)"), NULL);
    }

  if (!get_bool (self, "general", "fsync", TRUE, &fsync, error) ||
      !get_bool (self, ctx->account_section, "maildir-windows-compatible", FALSE, &windows, error) ||
      !get_bool (self, "general", "utime_from_header", FALSE, &general_utime, error) ||
      !get_bool (self, "general", "filename_use_mail_timestamp", FALSE, &general_timestamp, error) ||
      !get_bool (self, section, "utime_from_header", general_utime, &utime, error) ||
      !get_bool (self, section, "filename_use_mail_timestamp", general_timestamp, &use_timestamp, error))
    return NULL;

  repo = mailsync_maildir_repository_new (ctx->name, root, sep != NULL ? sep[0] : '.');
  maildir = MAILSYNC_MAILDIR_REPOSITORY (repo);
  /* a Maildir on the remote side numbers its own messages */
  mailsync_maildir_repository_set_assign_uids (maildir, remote);
  mailsync_maildir_repository_set_fsync (maildir, fsync);
  mailsync_maildir_repository_set_windows_compatible (maildir, windows);
  mailsync_maildir_repository_set_utime_from_header (maildir, utime);
  mailsync_maildir_repository_set_filename_use_mail_timestamp (maildir, use_timestamp);

  keys = mailsync_config_file_get_keys (self->file, section);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (is_custom_flag (keys[i]))
      {
        g_autofree char *keyword = get_str (self, section, keys[i], error);

        if (keyword == NULL)
          return NULL;
        if (*keyword == '\0' || strpbrk (keyword, " \t()[]{}%*\"\\") != NULL)
          return (option_error (self, section, keys[i], MAILSYNC_ERROR_INVALID_CONFIG, error,
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
        return option_error (self, section, "cert_fingerprint", MAILSYNC_ERROR_INVALID_CONFIG, error,
                             "'%s' is not a hex SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512 fingerprint",
                             pins[i]);
    }
  return TRUE;
}

static gboolean
check_one_of (MailsyncConfig     *self,
              const char         *section,
              const char         *key,
              const char *const  *allowed,
              char              **value,
              GError            **error)
{
  *value = NULL;
  if (!has (self, section, key))
    return TRUE;
  *value = get_str (self, section, key, error);
  if (*value == NULL)
    return FALSE;
  if (g_strv_contains (allowed, *value))
    return TRUE;
  {
    g_autofree char *list = g_strjoinv (", ", (char **) allowed);
    option_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                  "'%s' is not one of %s", *value, list);
  }
  g_clear_pointer (value, g_free);
  return FALSE;
}

/* The keyring itself (libsecret) is in a module: config/mailsync-keyring.c. */
static gboolean
keyring_usable (void)
{
  /* Without a session bus GDBus would try to autolaunch one. */
  return g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL;
}

static MailsyncKeyringStoreFunc keyring_store_func;

void
_mailsync_config_set_keyring_store_func (MailsyncKeyringStoreFunc func)
{
  keyring_store_func = func;
}

typedef struct
{
  char *host;
  char *user;
  char *password;
} KeyringItem;

static void
keyring_item_free (gpointer data,
                   GClosure *closure G_GNUC_UNUSED)
{
  KeyringItem *item = data;

  g_free (item->host);
  g_free (item->user);
  memset (item->password, 0, strlen (item->password));
  g_free (item->password);
  g_free (item);
}

/* --update-keyring: the password goes to the keyring once the server has
 * accepted it (the repository opened), never a mistyped one before. */
static void
keyring_store_on_open (MailsyncRepository *repo,
                       KeyringItem        *item)
{
  g_autoptr(GError) error = NULL;
  MailsyncKeyringStoreFunc store = keyring_store_func;

  if (store == NULL)
    store = _mailsync_keyring_store;
  if (!store (item->host, item->user, item->password, &error))
    g_warning ("Repository %s: could not store the password in the keyring: %s",
               mailsync_repository_get_name (repo), error->message);
  /* Once per process, as offlineimap; this frees @item. */
  g_signal_handlers_disconnect_by_func (repo, keyring_store_on_open, item);
}

/* offlineimap's order: remotepasseval, remotepass, remotepassfile (ours:
 * remotepasscmd with eval), ~/.netrc, /etc/netrc, the keyring, the prompt. */
static gboolean
find_password (RepoContext  *ctx,
               const char   *host,
               char        **user,
               char        **password,
               gboolean     *store_after_login,
               GCancellable *cancellable,
               GError      **error)
{
  MailsyncConfig *self = ctx->self;
  const char *section = ctx->section;
  gboolean ignore_keyring = FALSE, update_keyring = FALSE, from_keyring = FALSE;
  g_autofree char *netrc_user = NULL;

  *password = NULL;
  *store_after_login = FALSE;
  if (!get_bool (self, "general", "ignore-keyring", FALSE, &ignore_keyring, error) ||
      !get_bool (self, "general", "update-keyring", FALSE, &update_keyring, error))
    return FALSE;
  if (update_keyring && keyring_store_func == NULL)
    {
      g_autoptr(GError) local_error = NULL;

      if (!_mailsync_keyring_is_available (&local_error))
        return option_error (self, "general", "update-keyring", MAILSYNC_ERROR_NOT_SUPPORTED, error,
                             "%s", local_error->message);
    }

  if (has (self, section, "remotepasseval") || has (self, section, "remotepasscmd"))
    return get_dynamic (self, section, "remotepass", "eval", "cmd", TRUE, password, error);
  if (has (self, section, "remotepass"))
    {
      /* as written (after %% interpolation): blanks may be part of it */
      *password = mailsync_config_file_get_string (self->file, section, "remotepass", error);
      return *password != NULL;
    }
  if (has (self, section, "remotepassfile"))
    {
      g_autofree char *path = get_path (self, section, "remotepassfile", FALSE, error);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (path == NULL)
        return error == NULL || *error == NULL;
      if (!g_file_get_contents (path, &contents, &length, &local_error))
        return option_error (self, section, "remotepassfile", MAILSYNC_ERROR_INVALID_CONFIG, error,
                             "cannot read '%s': %s", path, local_error->message);
      *password = g_strstrip (g_strndup (contents, strcspn (contents, "\n")));
      memset (contents, 0, length);
      return TRUE;
    }

  if (host != NULL)
    {
      /* $HOME read now: g_get_home_dir() keeps its first answer */
      g_autofree char *user_netrc = expand_path ("~/.netrc", FALSE);
      const char *const netrcs[] = { user_netrc, "/etc/netrc" };

      for (guint i = 0; i < G_N_ELEMENTS (netrcs) && *password == NULL; i++)
        {
          g_clear_pointer (&netrc_user, g_free);
          *password = mailsync_netrc_lookup (netrcs[i], host, *user, *user == NULL ? &netrc_user : NULL);
          if (*password != NULL && *user == NULL)
            *user = g_steal_pointer (&netrc_user);
        }
      if (*password != NULL)
        return TRUE;
    }

  if (!ignore_keyring && host != NULL && *user != NULL && keyring_usable ())
    {
      g_autoptr(GError) local_error = NULL;

      /* no keyring (or no module) is no password, as no item is */
      *password = _mailsync_keyring_lookup (host, *user, cancellable, &local_error);
      if (local_error != NULL)
        g_debug ("keyring: %s", local_error->message);
      from_keyring = *password != NULL;
    }

  if (*password == NULL && self->password_func != NULL)
    *password = self->password_func (ctx->account, ctx->name, *user, host, self->password_data);
  /* offlineimap stops here too ("Prompting for a password is not
   * supported in this UI backend"): a login with an empty password would
   * only fail, on every run, and count against the account on servers
   * that lock it or ban the address after failed logins. */
  if (*password == NULL)
    return option_error (self, section, NULL, MAILSYNC_ERROR_INTERACTION_REQUIRED, error,
                         "no password for %s%s%s: set remotepass, remotepassfile, remotepasscmd or "
                         "remotepasseval, add it to ~/.netrc, or use a UI that asks for it (ttyui, "
                         "blinkenlights, machineui)",
                         *user != NULL ? *user : "", *user != NULL ? "@" : "", host != NULL ? host : "the server");

  *store_after_login = *password != NULL && update_keyring && !from_keyring && host != NULL && *user != NULL;
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
  if (has (self, section, "newmail_hook"))
    {
      PythonClosure *closure = python_closure_new (self, section, "newmail_hook", NULL, error);
      if (closure == NULL)
        return FALSE;
      closure->repo = repo;
      _mailsync_repository_set_newmail_hook (repo, python_newmail_hook, closure,
                                             (GDestroyNotify) python_closure_free);
    }
  if (has (self, section, "copy_ignore_eval"))
    {
      PythonClosure *closure = python_closure_new (self, section, "copy_ignore_eval", NULL, error);
      if (closure == NULL)
        return FALSE;
      closure->repo = repo;
      _mailsync_repository_set_copy_ignore (repo, python_copy_ignore, closure,
                                            (GDestroyNotify) python_closure_free);
    }
  return TRUE;
}

/* offlineimap's GmailRepository default token endpoint */
#define GMAIL_OAUTH2_REQUEST_URL "https://accounts.google.com/o/oauth2/token"

/* oauth2_refresh_token (and its client and endpoint): a token source for
 * the repository, *@oauth2 NULL when no refresh token is set. */
static gboolean
build_oauth2 (RepoContext     *ctx,
              gint64           socktimeout,
              MailsyncOAuth2 **oauth2,
              GError         **error)
{
  MailsyncConfig *self = ctx->self;
  const char *section = ctx->section;
  g_auto(SecretString) refresh = NULL;
  g_auto(SecretString) client_secret = NULL;
  g_autofree char *client_id = NULL, *url = NULL;
  g_autoptr(GError) local_error = NULL;

  *oauth2 = NULL;
  if (!get_dynamic (self, section, "oauth2_refresh_token", "_eval", "_cmd", TRUE, &refresh, error))
    return FALSE;
  if (refresh == NULL)
    return TRUE;
  if (!get_dynamic (self, section, "oauth2_client_id", "_eval", "_cmd", FALSE, &client_id, error) ||
      !get_dynamic (self, section, "oauth2_client_secret", "_eval", "_cmd", TRUE, &client_secret, error) ||
      !get_dynamic (self, section, "oauth2_request_url", "_eval", "_cmd", FALSE, &url, error))
    return FALSE;
  if (url == NULL && ctx->gmail)
    url = g_strdup (GMAIL_OAUTH2_REQUEST_URL);
  if (url == NULL)
    return option_error (self, section, "oauth2_refresh_token", MAILSYNC_ERROR_INVALID_CONFIG, error,
                         "needs oauth2_request_url, the provider's token endpoint");
  if (client_id == NULL)
    return option_error (self, section, "oauth2_refresh_token", MAILSYNC_ERROR_INVALID_CONFIG, error,
                         "needs oauth2_client_id");
  if (!_mailsync_oauth2_is_available (&local_error))
    return option_error (self, section, "oauth2_refresh_token", MAILSYNC_ERROR_NOT_SUPPORTED, error,
                         "%s", local_error->message);
  *oauth2 = _mailsync_oauth2_new (url, client_id, client_secret, refresh, (guint) socktimeout);
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
  gboolean store_after_login = FALSE;
  gint64 port = 0, retrycount, socktimeout, n;

  if (!check_section (self, section, SCOPE_REPOSITORY | SCOPE_IMAP | (ctx->gmail ? SCOPE_GMAIL : 0),
                      ctx->gmail ? "a Gmail repository" : "an IMAP repository", error) ||
      !refuse_if_true (self, section, "decodefoldernames",
                       "deprecated; set the account's utf8foldernames instead", error) ||
      !get_bool (self, section, "expunge", TRUE, &expunge, error) ||
      !get_bool (self, section, "subscribedonly", FALSE, &subscribed_only, error) ||
      !get_bool (self, section, "holdconnectionopen", FALSE, &hold, error) ||
      !get_bool (self, section, "ssl", TRUE, &ssl, error) ||
      !get_bool (self, section, "starttls", TRUE, &starttls, error) ||
      !get_bool (self, section, "usecompression", FALSE, &compress, error) ||
      !get_int (self, section, "retrycount", 2, 0, G_MAXUINT, &retrycount, error) ||
      !get_int (self, "general", "socktimeout", 0, 0, G_MAXUINT, &socktimeout, error) ||
      !get_int (self, section, "maxconnections", 1, 1, G_MAXINT, &n, error))
    return NULL;
  if (n > 1)
    warn (self, section, "maxconnections", "has no effect yet: mailsync syncs an account's folders one after "
          "the other, each over one pipelined connection");
  if (!get_int (self, section, "keepalive", 0, 0, G_MAXINT, &n, error))
    return NULL;
  if (has (self, section, "sep"))
    warn (self, section, "sep", "ignored for IMAP: the server's hierarchy delimiter is used");
  if (has (self, section, "idlefolders"))
    {
      g_auto(GStrv) idle = mailsync_config_eval_list (self, section, "idlefolders", error);
      if (idle == NULL)
        return NULL;
    }

  if (!get_dynamic (self, section, "remotehost", "eval", "cmd", FALSE, &host, error) ||
      !get_dynamic (self, section, "remoteuser", "eval", "cmd", FALSE, &user, error))
    return NULL;
  /* offlineimap's GmailRepository: imap.gmail.com when no host is given */
  if (ctx->gmail && host == NULL)
    host = g_strdup ("imap.gmail.com");

  if (has (self, section, "remoteporteval") || has (self, section, "remoteportcmd"))
    {
      const char *key = has (self, section, "remoteporteval") ? "remoteporteval" : "remoteportcmd";
      const char *text;

      if (strcmp (key, "remoteporteval") == 0 && _mailsync_python_is_available ())
        {
          g_autofree char *expr = get_str (self, section, key, error);
          g_autofree char *location = NULL;
          g_autoptr(GError) local_error = NULL;
          MailsyncPython *py;

          if (expr == NULL)
            return NULL;
          py = get_python (self, section, key, "remoteportcmd", error);
          if (py == NULL)
            return NULL;
          location = python_where (self, section, key);
          if (!_mailsync_python_eval_int (py, expr, location, &port, &local_error))
            return (python_refused (self, section, key, "remoteportcmd", error, local_error), NULL);
          port_text = g_strdup_printf ("%" G_GINT64_FORMAT, port);
        }
      else if (!get_dynamic (self, section, "remoteport", "eval", "cmd", FALSE, &port_text, error))
        return NULL;
      text = port_text != NULL ? port_text : "";
      if (!g_ascii_string_to_signed (text, 10, 1, 65535, &port, NULL))
        return (option_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                              "'%s' is not a port number", text), NULL);
    }
  /* Gmail's default port is 993 even with ssl = no (GmailRepository.getport) */
  else if (!get_int (self, section, "remoteport", ssl || ctx->gmail ? 993 : 143, 1, 65535, &port, error))
    return NULL;

  preauth = get_str (self, section, "preauthtunnel", error);
  if (preauth == NULL && error != NULL && *error != NULL)
    return NULL;
  if (ctx->gmail && preauth != NULL)
    {
      /* GmailRepository.getpreauthtunnel() returns None */
      warn (self, section, "preauthtunnel", "ignored for a Gmail repository (as in offlineimap)");
      g_clear_pointer (&preauth, g_free);
    }
  transport = get_str (self, section, "transporttunnel", error);
  if (transport == NULL && error != NULL && *error != NULL)
    return NULL;
  if (preauth != NULL && *preauth != '\0' && transport != NULL && *transport != '\0')
    return (option_error (self, section, "transporttunnel", MAILSYNC_ERROR_INVALID_CONFIG, error,
                          "set either preauthtunnel or transporttunnel, not both"), NULL);
  if (host == NULL && (preauth == NULL || *preauth == '\0') && (transport == NULL || *transport == '\0'))
    return (option_error (self, section, NULL, MAILSYNC_ERROR_INVALID_CONFIG, error,
                          "an IMAP repository needs remotehost (or preauthtunnel or transporttunnel)"), NULL);

  cafile = get_path (self, section, "sslcacertfile", TRUE, error);
  if (cafile == NULL && error != NULL && *error != NULL)
    return NULL;
  client_cert = get_path (self, section, "sslclientcert", TRUE, error);
  if (client_cert == NULL && error != NULL && *error != NULL)
    return NULL;
  client_key = get_path (self, section, "sslclientkey", TRUE, error);
  if (client_key == NULL && error != NULL && *error != NULL)
    return NULL;
  /* offlineimap also makes these absolute (os.path.abspath) */
  if (g_strcmp0 (cafile, "OS-DEFAULT") != 0)
    make_absolute (&cafile);
  make_absolute (&client_cert);
  make_absolute (&client_key);
  if (cafile != NULL && strcmp (cafile, "OS-DEFAULT") != 0 && !g_file_test (cafile, G_FILE_TEST_IS_REGULAR))
    return (option_error (self, section, "sslcacertfile", MAILSYNC_ERROR_INVALID_CONFIG, error,
                          "no such file '%s'", cafile), NULL);
  if (client_cert != NULL && !g_file_test (client_cert, G_FILE_TEST_IS_REGULAR))
    return (option_error (self, section, "sslclientcert", MAILSYNC_ERROR_INVALID_CONFIG, error,
                          "no such file '%s'", client_cert), NULL);
  if (client_key != NULL && !g_file_test (client_key, G_FILE_TEST_IS_REGULAR))
    return (option_error (self, section, "sslclientkey", MAILSYNC_ERROR_INVALID_CONFIG, error,
                          "no such file '%s'", client_key), NULL);

  pins = mailsync_config_file_get_list (self->file, section, "cert_fingerprint", error);
  if (pins == NULL && error != NULL && *error != NULL)
    return NULL;
  if (pins != NULL && !check_fingerprints (self, section, pins, error))
    return NULL;
  if (!check_one_of (self, section, "tls_level", tls_levels, &tls_level, error) ||
      !check_one_of (self, section, "ssl_version", ssl_versions, &ssl_version, error))
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
          return (option_error (self, section, "auth_mechanisms", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                "unknown mechanism '%s' (known: %s)", auth[i], list), NULL);
        }
      g_free (auth[i]);
      auth[i] = g_steal_pointer (&upper);
    }

  reference = get_str (self, section, "reference", error);
  if (reference == NULL && error != NULL && *error != NULL)
    return NULL;

  /* OAuth2: an access token is the secret, sent by XOAUTH2 or OAUTHBEARER. */
  if (!get_dynamic (self, section, "oauth2_access_token", "_eval", "_cmd", TRUE, &token, error) ||
      !build_oauth2 (ctx, socktimeout, &oauth2, error))
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
        return (option_error (self, section, "auth_mechanisms", MAILSYNC_ERROR_INVALID_CONFIG, error,
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
      if (!find_password (ctx, host, &user, &password, &store_after_login, cancellable, error))
        return NULL;
    }
  /* With OAuth2, only a password the config names, for the fallback to
   * the password mechanisms; never the keyring or the prompt before the
   * server has shown it lacks XOAUTH2 (the repository's interaction asks
   * then), as offlineimap asks only when it gets there. */
  else if ((token != NULL || oauth2 != NULL) &&
           (has (self, section, "remotepasseval") || has (self, section, "remotepasscmd") ||
            has (self, section, "remotepass") || has (self, section, "remotepassfile")) &&
           !find_password (ctx, host, &user, &password, &store_after_login, cancellable, error))
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
                NULL);
  if (user != NULL)
    g_object_set (repo, "user", user, NULL);
  if (password != NULL)
    g_object_set (repo, "password", password, NULL);
  if (token != NULL || oauth2 != NULL)
    _mailsync_imap_repository_set_oauth2 (MAILSYNC_IMAP_REPOSITORY (repo), token, oauth2);
  if (store_after_login)
    {
      KeyringItem *item = g_new0 (KeyringItem, 1);

      item->host = g_strdup (host);
      item->user = g_strdup (user);
      item->password = g_strdup (password);
      g_signal_connect_data (repo, "opened", G_CALLBACK (keyring_store_on_open), item,
                             keyring_item_free, 0);
    }
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

    if (get_int (self, section, "keepalive", 0, 0, G_MAXINT, &keepalive, NULL) && keepalive > 0)
      g_object_set (repo, "keepalive", (guint) keepalive, NULL);
  }
  /* ipv6: yes = IPv6 only, no = IPv4 only, unset = either (AF_UNSPEC) */
  if (has (self, section, "ipv6"))
    {
      gboolean ipv6;

      if (!get_bool (self, section, "ipv6", FALSE, &ipv6, error))
        return NULL;
      g_object_set (repo, "address-family", ipv6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4, NULL);
    }
  identity = get_str (self, section, "remote_identity", error);
  if (identity == NULL && error != NULL && *error != NULL)
    return NULL;
  if (identity != NULL && *identity != '\0')
    g_object_set (repo, "authzid", identity, NULL);
  /* An account option in offlineimap, for the IMAP repositories of both
   * sides: off, folder names stay IMAP's modified UTF-7. */
  {
    gboolean utf8_names = FALSE;

    if (!get_bool (self, ctx->account_section, "utf8foldernames", FALSE, &utf8_names, error))
      return NULL;
    g_object_set (repo, "utf8-folder-names", utf8_names, NULL);
  }
  return g_steal_pointer (&repo);
}

/* The repository a type names, on the side it is used. */
static MailsyncRepository *
build_repository (MailsyncConfig *self,
                  const char     *account,
                  const char     *account_section,
                  const char     *key,
                  const char     *metadata,
                  GCancellable   *cancellable,
                  GError        **error)
{
  gboolean remote = strcmp (key, "remoterepository") == 0;
  const char *side = remote ? "remote" : "local";
  g_autofree char *name = get_str (self, account_section, key, error);
  g_autofree char *type = NULL;
  g_autofree char *section = NULL;
  RepoContext ctx = { 0 };

  if (name == NULL || *name == '\0')
    {
      if (error == NULL || *error == NULL)
        option_error (self, account_section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                      "required: the name of a [Repository NAME] section");
      return NULL;
    }
  section = g_strconcat ("Repository ", name, NULL);
  if (!mailsync_config_file_has_section (self->file, section))
    return (option_error (self, account_section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                          "there is no section [%s]", section), NULL);
  type = get_str (self, section, "type", error);
  if (type == NULL || *type == '\0')
    {
      if (error == NULL || *error == NULL)
        option_error (self, section, "type", MAILSYNC_ERROR_INVALID_CONFIG, error,
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
        return (option_error (self, section, "type", MAILSYNC_ERROR_INVALID_CONFIG, error,
                              "'%s' repository not supported for '%s' repositories.", type, side), NULL);
      if (remote)
        {
          g_autoptr(MailsyncRepository) gmail = NULL;

          ctx.gmail = TRUE;
          gmail = build_imap (&ctx, cancellable, error);
          if (gmail == NULL || !apply_common (&ctx, gmail, error))
            return NULL;
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
  return (option_error (self, section, "type", MAILSYNC_ERROR_INVALID_CONFIG, error,
                        "unknown repository type '%s' (IMAP, Gmail, Maildir or GmailMaildir)", type), NULL);
}

/* maxage: days (>= 1) or a date YYYY-MM-DD, which becomes the days since. */
static gboolean
get_max_age (MailsyncConfig *self,
             const char     *section,
             guint          *days,
             guint          *ymd,
             GError        **error)
{
  g_autofree char *text = NULL;
  gint64 n;
  int y, m, d;
  char tail;

  *days = 0;
  *ymd = 0;
  if (!has (self, section, "maxage"))
    return TRUE;
  text = get_str (self, section, "maxage", error);
  if (text == NULL)
    return FALSE;
  if (g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &n, NULL))
    {
      if (n < 1 || n > G_MAXUINT)
        return option_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                             "must be at least 1 (days) or a date YYYY-MM-DD");
      *days = (guint) n;
      return TRUE;
    }
  if (sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen (text) == 10)
    {
      g_autoptr(GDateTime) date = g_date_time_new_utc (y, m, d, 0, 0, 0);
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      if (date == NULL || y < 1900)
        return option_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                             "'%s' is not a valid date (YYYY-MM-DD, year 1900 or later)", text);
      if (g_date_time_compare (date, now) > 0)
        return option_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                             "'%s' is in the future", text);
      /* the engine selects by the date itself, as offlineimap does (its
       * SEARCH SINCE is the day after); the days are for max-age's readers */
      *days = (guint) ((g_date_time_difference (now, date) + G_TIME_SPAN_DAY - 1) / G_TIME_SPAN_DAY);
      if (*days == 0)
        *days = 1;
      *ymd = (guint) (y * 10000 + m * 100 + d);
      return TRUE;
    }
  return option_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                       "'%s' is neither a number of days nor a date YYYY-MM-DD", text);
}

/**
 * mailsync_config_create_account:
 * @self: a #MailsyncConfig
 * @name: an account name (its section is `[Account NAME]`)
 * @cancellable: (nullable): a #GCancellable, for the password commands and
 *   the keyring
 * @error: return location for a #GError
 *
 * Builds the account @name: its remote and local repositories with their
 * options, its status store under the metadata directory (SQLite unless
 * `status_backend = plain`), and its policy. Passwords are found here, in
 * offlineimap's order (eval or command, `remotepass`, `remotepassfile`,
 * `~/.netrc`, `/etc/netrc`, the keyring, then the function given to
 * mailsync_config_set_password_func()); a password command runs now.
 *
 * Returns: (transfer full) (nullable): the account, or %NULL on error
 *
 * Since: 0.1
 */
MailsyncAccount *
mailsync_config_create_account (MailsyncConfig *self,
                                const char     *name,
                                GCancellable   *cancellable,
                                GError        **error)
{
  static const char *const backends[] = { "sqlite", "plain", NULL };
  g_autofree char *section = NULL;
  g_autofree char *metadata = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *status_dir = NULL;
  g_autofree char *account_dir = NULL;
  g_autoptr(MailsyncRepository) remote = NULL;
  g_autoptr(MailsyncRepository) local = NULL;
  g_autoptr(MailsyncStatusStore) status = NULL;
  MailsyncAccount *account;
  gboolean synclabels, dry_run, utf8;
  gint64 maxsize, quick;
  double autorefresh;
  guint maxage, maxage_date;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  section = g_strconcat ("Account ", name, NULL);
  if (!mailsync_config_file_has_section (self->file, section))
    {
      g_autofree char *location = where (self, "general", "accounts");
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "%s: The account '%s' does not exist (no section [%s])", location, name, section);
      return NULL;
    }

  /* labelsheader and ignorelabels: offlineimap reads them only under
   * synclabels, so without it they are accepted, with a warning that they
   * have no effect. */
  if (!check_section (self, section, SCOPE_ACCOUNT, "an account", error) ||
      !get_bool (self, section, "synclabels", FALSE, &synclabels, error) ||
      !refuse_if_set (self, section, "filterheaders",
                      "removing headers before upload is not supported yet", error) ||
      !refuse_if_set (self, section, "proxy", "proxies are not supported yet", error) ||
      !refuse_if_set (self, section, "authproxy", "proxies are not supported yet", error) ||
      !get_bool (self, section, "utf8foldernames", FALSE, &utf8, error) ||
      !get_bool (self, "general", "dry-run", FALSE, &dry_run, error) ||
      !get_int (self, section, "maxsize", 0, 0, G_MAXINT64, &maxsize, error) ||
      !get_int (self, section, "quick", 0, -1, G_MAXINT, &quick, error) ||
      !mailsync_config_file_get_double (self->file, section, "autorefresh", 0, &autorefresh, error) ||
      !get_max_age (self, section, &maxage, &maxage_date, error) ||
      !check_one_of (self, section, "status_backend", backends, &backend, error))
    return NULL;
  if (autorefresh < 0)
    warn (self, section, "autorefresh", "negative, taken as 0 (no refresh)");
  if (!synclabels && has (self, section, "labelsheader"))
    warn (self, section, "labelsheader", "has no effect without synclabels = yes (as in offlineimap)");
  if (!synclabels && has (self, section, "ignorelabels"))
    warn (self, section, "ignorelabels", "has no effect without synclabels = yes (as in offlineimap)");

  metadata = get_path (self, "general", "metadata", TRUE, error);
  if (metadata == NULL)
    {
      if (error != NULL && *error != NULL)
        return NULL;
      metadata = expand_path ("~/.offlineimap", FALSE);
    }

  {
    g_autofree char *r = get_str (self, section, "remoterepository", NULL);
    g_autofree char *l = get_str (self, section, "localrepository", NULL);

    if (r != NULL && *r != '\0' && g_strcmp0 (r, l) == 0)
      return (option_error (self, section, "localrepository", MAILSYNC_ERROR_INVALID_CONFIG, error,
                            "names the same repository as remoterepository"), NULL);
  }

  remote = build_repository (self, name, section, "remoterepository", metadata, cancellable, error);
  if (remote == NULL)
    return NULL;
  local = build_repository (self, name, section, "localrepository", metadata, cancellable, error);
  if (local == NULL)
    return NULL;
  if (synclabels)
    {
      g_autofree char *header = get_str (self, section, "labelsheader", NULL);
      g_autofree char *ignore = get_str (self, section, "ignorelabels", NULL);

      if (!_mailsync_config_apply_synclabels (remote, local, header, ignore))
        warn (self, section, "synclabels", "has no effect unless the remote repository is of type Gmail and "
              "the local one of type GmailMaildir");
    }
  if (maxage > 0 && !MAILSYNC_IS_MAILDIR_REPOSITORY (local))
    return (option_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                          "maxage is not supported on IMAP-IMAP sync (the local repository must be a Maildir)"),
            NULL);

  account_dir = g_strconcat ("Account-", name, NULL);
  if (g_strcmp0 (backend, "plain") == 0)
    {
      status_dir = g_build_filename (metadata, account_dir, "LocalStatus", NULL);
      status = mailsync_status_plain_new (status_dir);
    }
  else
    {
      status_dir = g_build_filename (metadata, account_dir, "LocalStatus-sqlite", NULL);
      status = mailsync_status_sqlite_new (status_dir);
    }

  /* offlineimap creates localfolders (0700, with parents). Only before the
   * first sync, though: a root missing once there is a status is a disk
   * not mounted, which the backend must see and refuse (DESIGN §5 rule 1). */
  if (!g_file_test (status_dir, G_FILE_TEST_EXISTS))
    {
      MailsyncRepository *sides[] = { local, remote };

      for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
        if (MAILSYNC_IS_MAILDIR_REPOSITORY (sides[i]))
          {
            const char *root = mailsync_maildir_repository_get_root (MAILSYNC_MAILDIR_REPOSITORY (sides[i]));

            if (!g_file_test (root, G_FILE_TEST_EXISTS) && g_mkdir_with_parents (root, 0700) != 0)
              {
                int saved = errno;
                g_autofree char *repo_section = g_strconcat ("Repository ", mailsync_repository_get_name (sides[i]), NULL);
                return (option_error (self, repo_section, "localfolders", MAILSYNC_ERROR_FAILED, error,
                                      "cannot create '%s': %s", root, g_strerror (saved)), NULL);
              }
          }
    }

  account = mailsync_account_new (name, remote, local, status);
  mailsync_account_set_dry_run (account, dry_run);
  mailsync_account_set_max_age (account, maxage);
  _mailsync_account_set_max_age_date (account, maxage_date);
  mailsync_account_set_max_size (account, (guint64) maxsize);
  return account;
}
