/* Reading values: typed reads with the option's FILE:LINE in errors, the
 * warnings list, paths (`~`, `$VAR`), one-of choices, and the values that
 * may come from Python or a command (the *eval / *cmd pattern). Every
 * other config file reads options through these, so that every message
 * has the same shape. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------------ */
/* Messages */

/* "FILE:LINE" of @key in @section, else of the section, else the file. */
char *
_mailsync_config_where (MailsyncConfig *self,
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

/* An error about @key of @section: "FILE:LINE: option 'K' in section 'S': ..." */
gboolean
_mailsync_config_error (MailsyncConfig *self,
                        const char     *section,
                        const char     *key,
                        MailsyncError   code,
                        GError        **error,
                        const char     *format,
                        ...)
{
  g_autofree char *location = _mailsync_config_where (self, section, key);
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

void
_mailsync_config_warn (MailsyncConfig *self,
                       const char     *section,
                       const char     *key,
                       const char     *format,
                       ...)
{
  g_autofree char *location = _mailsync_config_where (self, section, key);
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

gboolean
_mailsync_config_has (MailsyncConfig *self,
                      const char     *section,
                      const char     *key)
{
  return mailsync_config_file_has_key (self->file, section, key);
}

/* The value, stripped; NULL and no error when unset. */
char *
_mailsync_config_get_str (MailsyncConfig *self,
                          const char     *section,
                          const char     *key,
                          GError        **error)
{
  char *value = mailsync_config_file_get_string (self->file, section, key, error);

  return value != NULL ? g_strstrip (value) : NULL;
}

gboolean
_mailsync_config_get_bool (MailsyncConfig *self,
                           const char     *section,
                           const char     *key,
                           gboolean        default_value,
                           gboolean       *value,
                           GError        **error)
{
  return mailsync_config_file_get_boolean (self->file, section, key, default_value, value, error);
}

gboolean
_mailsync_config_get_int (MailsyncConfig *self,
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
    return _mailsync_config_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "%" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT ")",
                                   *value, min, max);
  return TRUE;
}

/* A path option: `~` and `~user` then `$VAR` / `${VAR}` expansion, as
 * Python's os.path.expanduser() and expandvars() (unknown variables stay
 * as written). The library's one `~` expander; the mailsync command has
 * its own for -c/-l and [mbnames] filename (it cannot link this hidden
 * symbol, and it expands `~/` only, with GLib's cached home). */
char *
_mailsync_config_expand_path (const char *path,
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
        home = _mailsync_home_dir ();
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

char *
_mailsync_config_get_path (MailsyncConfig *self,
                           const char     *section,
                           const char     *key,
                           gboolean        vars,
                           GError        **error)
{
  g_autofree char *value = _mailsync_config_get_str (self, section, key, error);

  if (value == NULL || *value == '\0')
    return NULL;
  return _mailsync_config_expand_path (value, vars);
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
  g_autofree char *command = _mailsync_config_get_str (self, section, key, error);
  g_autoptr(GError) local_error = NULL;
  char *argv[] = { (char *) "/bin/sh", (char *) "-c", NULL, NULL };
  char *out = NULL;
  char *line;
  gsize out_len;
  int status = 0;

  if (command == NULL)
    return NULL;
  if (*command == '\0')
    return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error, "empty command"), NULL);

  argv[2] = command;
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                     &out, NULL, &status, &local_error))
    return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_FAILED, error,
                                    "cannot run the command: %s", local_error->message), NULL);
  out_len = strlen (out);
  if (!g_spawn_check_wait_status (status, &local_error))
    {
      if (secret)
        memset (out, 0, out_len);
      g_free (out);
      if (WIFEXITED (status))
        return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_FAILED, error,
                                        "the command failed (exit status %d)", WEXITSTATUS (status)), NULL);
      return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_FAILED, error,
                                      "the command failed (%s)", local_error->message), NULL);
    }
  line = g_strndup (out, strcspn (out, "\r\n"));
  if (secret)
    memset (out, 0, out_len);
  g_free (out);
  if (*line == '\0')
    {
      g_free (line);
      return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_FAILED, error,
                                      "the command printed nothing on its first line"), NULL);
    }
  return line;
}

/* @base's value from `<base><eval_suffix>` (Python), `<base><cmd_suffix>`
 * (a command), or `<base>` itself, in that order of precedence (offlineimap's
 * eval beats the plain value; the command is ours). %TRUE with *value NULL
 * when none is set. */
gboolean
_mailsync_config_get_dynamic (MailsyncConfig *self,
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
  if (_mailsync_config_has (self, section, eval_key))
    {
      *value = _mailsync_config_eval_string_option (self, section, eval_key, cmd_key, secret, error);
      return *value != NULL;
    }
  if (_mailsync_config_has (self, section, cmd_key))
    {
      *value = run_command (self, section, cmd_key, secret, error);
      return *value != NULL;
    }
  if (_mailsync_config_has (self, section, base))
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

gboolean
_mailsync_config_check_one_of (MailsyncConfig     *self,
                               const char         *section,
                               const char         *key,
                               const char *const  *allowed,
                               char              **value,
                               GError            **error)
{
  *value = NULL;
  if (!_mailsync_config_has (self, section, key))
    return TRUE;
  *value = _mailsync_config_get_str (self, section, key, error);
  if (*value == NULL)
    return FALSE;
  if (g_strv_contains (allowed, *value))
    return TRUE;
  {
    g_autofree char *list = g_strjoinv (", ", (char **) allowed);
    _mailsync_config_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                            "'%s' is not one of %s", *value, list);
  }
  g_clear_pointer (value, g_free);
  return FALSE;
}

/* The keyring itself (libsecret) is in a module: credentials/mailsync-keyring.c. */
