/* Python-expression options: the embedded Python shared by a config's
 * closures (loaded on first use, with pythonfile), string and list
 * evaluation (literals first, see mailsync-python-literal.c), the
 * [mbnames] callables, and the closures that keep a compiled expression
 * for a repository. The interpreter itself is a module behind
 * mailsync-python-private.h. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"

#include <string.h>

/* ------------------------------------------------------------------------ */
/* The embedded Python, shared by every closure made from this config (the
 * accounts may outlive the MailsyncConfig). */

void
_mailsync_config_python_ref_clear (gpointer data)
{
  PythonRef *ref = data;

  g_clear_pointer (&ref->py, _mailsync_python_free);
}

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

  return _mailsync_config_error (self, section, key, MAILSYNC_ERROR_NOT_SUPPORTED, error,
                                 "Python expressions need a mailsync built with Python%s%s%s%s%s%s",
                                 load_error ? " (its Python module could not be loaded: " : "",
                                 load_error ? load_error : "",
                                 load_error ? ")" : "",
                                 declarative ? "; without Python, use '" : "",
                                 declarative ? declarative : "",
                                 declarative ? "' instead (see mailsync.conf(5))" : "");
}

/* The Python namespace (pythonfile's globals), created on first use. */
MailsyncPython *
_mailsync_config_get_python (MailsyncConfig *self,
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

  pythonfile = _mailsync_config_get_path (self, "general", "pythonfile", TRUE, error);
  if (pythonfile == NULL && error != NULL && *error != NULL)
    return NULL;
  py = _mailsync_python_new (pythonfile, &local_error);
  if (py == NULL)
    {
      if (g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED))
        python_unsupported (self, section, key, declarative, error);
      else
        {
          g_autofree char *location = _mailsync_config_where (self, "general", "pythonfile");
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
char *
_mailsync_config_python_where (MailsyncConfig *self,
                               const char     *section,
                               const char     *key)
{
  g_autofree char *location = _mailsync_config_where (self, section, key);

  return g_strdup_printf ("%s: %s", location, key);
}

/* Rewrites NOT_SUPPORTED from the Python API into the message of
 * get_python() (naming the declarative equivalent). */
void
_mailsync_config_python_refused (MailsyncConfig *self,
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
char *
_mailsync_config_eval_string_option (MailsyncConfig *self,
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

  text = _mailsync_config_get_str (self, section, key, error);
  if (text == NULL)
    return NULL;
  value = _mailsync_python_literal_string (text);
  if (value != NULL)
    return value;
  py = _mailsync_config_get_python (self, section, key, declarative, error);
  if (py == NULL)
    return NULL;
  location = _mailsync_config_python_where (self, section, key);
  value = secret ? _mailsync_python_eval_secret (py, text, location, &local_error)
                 : _mailsync_python_eval_string (py, text, location, &local_error);
  if (value == NULL)
    _mailsync_config_python_refused (self, section, key, declarative, error, local_error);
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

  return _mailsync_config_eval_string_option (self, section, key, NULL, FALSE, error);
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
  value = _mailsync_python_literal_list (text);
  if (value != NULL)
    return value;
  py = _mailsync_config_get_python (self, section, key, NULL, error);
  if (py == NULL)
    return NULL;
  location = _mailsync_config_python_where (self, section, key);
  value = _mailsync_python_eval_strv (py, text, location, &local_error);
  if (value == NULL)
    _mailsync_config_python_refused (self, section, key, NULL, error, local_error);
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
  py = _mailsync_config_get_python (self, "mbnames", key, NULL, error);
  if (py == NULL)
    return NULL;
  location = _mailsync_config_python_where (self, "mbnames", key);
  func = _mailsync_python_compile (py, text, location, &local_error);
  if (func == NULL)
    _mailsync_config_python_refused (self, "mbnames", key, NULL, error, local_error);
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

void
_mailsync_config_python_closure_free (PythonClosure *closure)
{
  g_clear_pointer (&closure->func, _mailsync_python_func_free);
  g_atomic_rc_box_release_full (closure->python, _mailsync_config_python_ref_clear);
  g_free (closure->where);
  g_free (closure);
}

/* An exception in nametrans or folderfilter fails that folder: a guessed
 * name could create a wrongly named folder, and a guessed filter result
 * could sync a folder the user meant to leave out (or silently drop one). */
PythonClosure *
_mailsync_config_python_closure_new (MailsyncConfig *self,
                                     const char     *section,
                                     const char     *key,
                                     const char     *declarative,
                                     GError        **error)
{
  g_autofree char *text = _mailsync_config_get_str (self, section, key, error);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *location = NULL;
  PythonClosure *closure;
  MailsyncPython *py;
  MailsyncPythonFunc *func;

  if (text == NULL)
    return NULL;
  py = _mailsync_config_get_python (self, section, key, declarative, error);
  if (py == NULL)
    return NULL;
  location = _mailsync_config_python_where (self, section, key);
  func = _mailsync_python_compile (py, text, location, &local_error);
  if (func == NULL)
    {
      _mailsync_config_python_refused (self, section, key, declarative, error, local_error);
      return NULL;
    }
  closure = g_new0 (PythonClosure, 1);
  closure->python = g_atomic_rc_box_acquire (self->python);
  closure->func = func;
  closure->where = g_steal_pointer (&location);
  return closure;
}
