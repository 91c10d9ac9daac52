/* The embedded CPython module, part two: evaluating offlineimap's Python
 * expressions in the pythonfile namespace and calling the callables they
 * give (nametrans, folderfilter, *eval, mbnames).  Moved from
 * mailsync-python-module.c (issue 14 item 1), which starts the interpreter
 * and turns Python exceptions into GErrors. */
#include "config.h"

/* Python.h must come before any system header: it sets feature macros. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "modules/mailsync-python-module-private.h"

#include <string.h>

/* ---------------------------------------------------------------------- */
/* Evaluation                                                               */

/* eval(expression, copy(namespace)), with the GIL held.  Returns a new
 * reference or NULL with @error set. */
static PyObject *
evaluate_full (MailsyncPython *py, const char *expression, const char *where,
               gboolean quote_message, GError **error)
{
  PyObject *code, *globals, *result;

  /* builtins.eval() skips leading blanks; a config value continued on an
   * indented line may start with them. */
  while (*expression == ' ' || *expression == '\t')
    expression++;

  code = Py_CompileStringExFlags (expression, where, Py_eval_input, NULL, -1);
  if (code == NULL)
    {
      _mailsync_python_set_error_full (error, MAILSYNC_ERROR_INVALID_CONFIG, where, NULL, quote_message);
      return NULL;
    }
  globals = PyDict_Copy (py->namespace);
  if (globals == NULL)
    {
      Py_DECREF (code);
      _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, where, NULL);
      return NULL;
    }
  result = PyEval_EvalCode (code, globals, globals);
  Py_DECREF (code);
  Py_DECREF (globals);
  if (result == NULL)
    _mailsync_python_set_error_full (error, MAILSYNC_ERROR_FAILED, where, NULL, quote_message);
  return result;
}

static PyObject *
evaluate (MailsyncPython *py, const char *expression, const char *where,
          GError **error)
{
  return evaluate_full (py, expression, where, TRUE, error);
}

/* @what describes what was expected; the value itself is never shown,
 * since it may be a password. */
static void
set_type_error (GError **error, gint code, const char *where, const char *what,
                PyObject *got)
{
  g_set_error (error, MAILSYNC_ERROR, code, "%s: TypeError: expected %s, got %s",
               where, what, Py_TYPE (got)->tp_name);
}

/* str or bytes (UTF-8) -> newly allocated UTF-8, as offlineimap accepts
 * both for remote{host,user,pass}eval.  Embedded NULs are refused: C
 * callers would silently cut the value. */
static char *
string_from_object (PyObject *obj, const char *where, gint code, GError **error)
{
  const char *data;
  Py_ssize_t len;

  if (PyUnicode_Check (obj))
    {
      data = PyUnicode_AsUTF8AndSize (obj, &len);
      if (data == NULL)
        {
          /* Lone surrogates: the exception text would quote the offending
           * characters, which may be part of a password. */
          PyErr_Clear ();
          g_set_error (error, MAILSYNC_ERROR, code,
                       "%s: UnicodeEncodeError: the value is not valid Unicode", where);
          return NULL;
        }
    }
  else if (PyBytes_Check (obj))
    {
      data = PyBytes_AS_STRING (obj);
      len = PyBytes_GET_SIZE (obj);
      if (!g_utf8_validate_len (data, len, NULL))
        {
          g_set_error (error, MAILSYNC_ERROR, code,
                       "%s: UnicodeDecodeError: the value is not valid UTF-8", where);
          return NULL;
        }
    }
  else
    {
      set_type_error (error, code, where, "str or bytes", obj);
      return NULL;
    }

  if ((gsize) len != strlen (data))
    {
      g_set_error (error, MAILSYNC_ERROR, code,
                   "%s: ValueError: the value contains a NUL character", where);
      return NULL;
    }
  return g_strndup (data, len);
}

/**
 * _mailsync_python_module_compile:
 * @py: a namespace
 * @expression: Python source evaluating to a callable (a lambda, or a
 *   function from pythonfile)
 * @where: (nullable): the option's location for error messages
 * @error: return location for a #GError
 *
 * Evaluates @expression once (as offlineimap does when it reads the
 * option) and keeps the callable.  A syntax error or a value that is not
 * callable is %MAILSYNC_ERROR_INVALID_CONFIG; an exception raised while
 * evaluating is %MAILSYNC_ERROR_FAILED.
 *
 * Returns: (transfer full) (nullable): the callable, or %NULL on error
 */
MailsyncPythonFunc *
_mailsync_python_module_compile (MailsyncPython *py, const char *expression,
                                 const char *where, GError **error)
{
  MailsyncPythonFunc *func = NULL;
  PyGILState_STATE gil;
  PyObject *value;

  g_return_val_if_fail (py != NULL, NULL);
  g_return_val_if_fail (expression != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (where == NULL)
    where = DEFAULT_WHERE;
  if (!_mailsync_python_ensure_interpreter (where, error))
    return NULL;

  gil = PyGILState_Ensure ();
  value = evaluate (py, expression, where, error);
  if (value != NULL && !PyCallable_Check (value))
    {
      set_type_error (error, MAILSYNC_ERROR_INVALID_CONFIG, where, "a callable", value);
      Py_CLEAR (value);
    }
  if (value != NULL)
    {
      func = g_new0 (MailsyncPythonFunc, 1);
      func->callable = value;
      func->where = g_strdup (where);
    }
  PyGILState_Release (gil);
  return func;
}

/**
 * _mailsync_python_module_func_free:
 * @func: (nullable): a callable
 */
void
_mailsync_python_module_func_free (MailsyncPythonFunc *func)
{
  PyGILState_STATE gil;

  if (func == NULL)
    return;
  if (Py_IsInitialized ())
    {
      gil = PyGILState_Ensure ();
      Py_CLEAR (func->callable);
      PyGILState_Release (gil);
    }
  g_free (func->where);
  g_free (func);
}

/* Turns what Python returned into *@out, with the GIL held; FALSE with
 * @error set. */
typedef gboolean (*ResultConvertFunc) (PyObject *obj, const char *where, gpointer out,
                                       GError **error);

/* eval(expression) as evaluate_full() does, its result converted by
 * @convert: starts the interpreter and holds the GIL around both. */
static gboolean
eval_and_convert (MailsyncPython *py, const char *expression, const char *where,
                  gboolean quote_message, ResultConvertFunc convert, gpointer out,
                  GError **error)
{
  PyGILState_STATE gil;
  PyObject *value;
  gboolean ok = FALSE;

  if (!_mailsync_python_ensure_interpreter (where, error))
    return FALSE;

  gil = PyGILState_Ensure ();
  value = evaluate_full (py, expression, where, quote_message, error);
  if (value != NULL)
    {
      ok = convert (value, where, out, error);
      Py_DECREF (value);
    }
  PyGILState_Release (gil);
  return ok;
}

static gboolean
convert_config_string (PyObject *obj, const char *where, gpointer out, GError **error)
{
  char **ret = out;

  *ret = string_from_object (obj, where, MAILSYNC_ERROR_INVALID_CONFIG, error);
  return *ret != NULL;
}

static char *
eval_string (MailsyncPython *py, const char *expression,
             const char *where, gboolean secret, GError **error)
{
  char *ret = NULL;

  g_return_val_if_fail (py != NULL, NULL);
  g_return_val_if_fail (expression != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (where == NULL)
    where = DEFAULT_WHERE;
  eval_and_convert (py, expression, where, !secret, convert_config_string, &ret, error);
  return ret;
}

/**
 * _mailsync_python_module_eval_string:
 * @py: a namespace
 * @expression: Python source evaluating to a str or UTF-8 bytes
 * @where: (nullable): the option's location for error messages
 * @error: return location for a #GError
 *
 * For remotehosteval, remoteusereval and the mbnames header, sep and
 * footer.  The value is never logged, nor quoted in an error.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL on error
 */
char *
_mailsync_python_module_eval_string (MailsyncPython *py, const char *expression,
                                     const char *where, GError **error)
{
  return eval_string (py, expression, where, FALSE, error);
}

/**
 * _mailsync_python_module_eval_secret:
 * @py: a namespace
 * @expression: Python source evaluating to a str or UTF-8 bytes
 * @where: (nullable): the option's location for error messages
 * @error: return location for a #GError
 *
 * For remotepasseval and oauth2_*_eval: as _mailsync_python_module_eval_string(),
 * and an error names the exception's type but not its message, which may
 * quote the secret (`int('hunter2')` raises "invalid literal for int()
 * with base 10: 'hunter2'").
 *
 * Returns: (transfer full) (nullable): the value, or %NULL on error
 */
char *
_mailsync_python_module_eval_secret (MailsyncPython *py, const char *expression,
                                     const char *where, GError **error)
{
  return eval_string (py, expression, where, TRUE, error);
}

/* A list or tuple of str -> strv.  A bare str is refused: offlineimap would
 * iterate it character by character, which is never what the user meant. */
static char **
strv_from_object (PyObject *obj, const char *where, GError **error)
{
  g_autoptr(GPtrArray) array = NULL;
  PyObject *seq;
  Py_ssize_t n;

  if (PyUnicode_Check (obj) || PyBytes_Check (obj)
      || !(PyList_Check (obj) || PyTuple_Check (obj)
           || PyAnySet_Check (obj) || PyIter_Check (obj)))
    {
      set_type_error (error, MAILSYNC_ERROR_INVALID_CONFIG, where, "a list of str", obj);
      return NULL;
    }
  seq = PySequence_Fast (obj, "expected a list of str");
  if (seq == NULL)
    {
      _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, where, NULL);
      return NULL;
    }

  n = PySequence_Fast_GET_SIZE (seq);
  array = g_ptr_array_new_full (n + 1, g_free);
  for (Py_ssize_t i = 0; i < n; i++)
    {
      PyObject *item = PySequence_Fast_GET_ITEM (seq, i);   /* borrowed */
      char *s;

      if (!PyUnicode_Check (item))
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                       "%s: TypeError: expected a list of str, item %zd is %s",
                       where, i, Py_TYPE (item)->tp_name);
          Py_DECREF (seq);
          return NULL;
        }
      s = string_from_object (item, where, MAILSYNC_ERROR_INVALID_CONFIG, error);
      if (s == NULL)
        {
          Py_DECREF (seq);
          return NULL;
        }
      g_ptr_array_add (array, s);
    }
  Py_DECREF (seq);
  g_ptr_array_add (array, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&array), FALSE);
}

static gboolean
convert_strv (PyObject *obj, const char *where, gpointer out, GError **error)
{
  char ***ret = out;

  *ret = strv_from_object (obj, where, error);
  return *ret != NULL;
}

/**
 * _mailsync_python_module_eval_strv:
 * @py: a namespace
 * @expression: Python source evaluating to a list (or tuple, set,
 *   iterable) of str
 * @where: (nullable): the option's location for error messages
 * @error: return location for a #GError
 *
 * For folderincludes and idlefolders.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the
 *   strings, or %NULL on error
 */
char **
_mailsync_python_module_eval_strv (MailsyncPython *py, const char *expression,
                                   const char *where, GError **error)
{
  char **ret = NULL;

  g_return_val_if_fail (py != NULL, NULL);
  g_return_val_if_fail (expression != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (where == NULL)
    where = DEFAULT_WHERE;
  eval_and_convert (py, expression, where, TRUE, convert_strv, &ret, error);
  return ret;
}

static gboolean
convert_int (PyObject *obj, const char *where, gpointer out, GError **error)
{
  long long v;

  if (!PyLong_Check (obj) || PyBool_Check (obj))
    {
      set_type_error (error, MAILSYNC_ERROR_INVALID_CONFIG, where, "int", obj);
      return FALSE;
    }
  v = PyLong_AsLongLong (obj);
  if (v == -1 && PyErr_Occurred ())
    {
      _mailsync_python_set_error (error, MAILSYNC_ERROR_INVALID_CONFIG, where, NULL);
      return FALSE;
    }
  *(gint64 *) out = v;
  return TRUE;
}

/**
 * _mailsync_python_module_eval_int:
 * @py: a namespace
 * @expression: Python source evaluating to an int
 * @where: (nullable): the option's location for error messages
 * @value: (out): the result
 * @error: return location for a #GError
 *
 * For remoteporteval.
 *
 * Returns: %TRUE on success
 */
gboolean
_mailsync_python_module_eval_int (MailsyncPython *py, const char *expression,
                                  const char *where, gint64 *value, GError **error)
{
  g_return_val_if_fail (py != NULL, FALSE);
  g_return_val_if_fail (expression != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (where == NULL)
    where = DEFAULT_WHERE;
  return eval_and_convert (py, expression, where, TRUE, convert_int, value, error);
}

/* ---------------------------------------------------------------------- */
/* Calls                                                                    */

/* func(*args) with the GIL held; new reference or NULL with @error set. */
static PyObject *
call_with_strings (MailsyncPythonFunc *func, const char * const *args, gsize n_args,
                   GError **error)
{
  PyObject *tuple, *result;

  tuple = PyTuple_New (n_args);
  if (tuple == NULL)
    {
      _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, func->where, NULL);
      return NULL;
    }
  for (gsize i = 0; i < n_args; i++)
    {
      /* Folder names are UTF-8 (IMAP's modified UTF-7 is decoded before
       * us); surrogateescape keeps a stray byte instead of failing. */
      PyObject *s = PyUnicode_DecodeUTF8 (args[i], strlen (args[i]), "surrogateescape");

      if (s == NULL)
        {
          Py_DECREF (tuple);
          _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, func->where, NULL);
          return NULL;
        }
      PyTuple_SET_ITEM (tuple, i, s);   /* steals */
    }
  result = PyObject_Call (func->callable, tuple, NULL);
  Py_DECREF (tuple);
  if (result == NULL)
    _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, func->where, NULL);
  return result;
}

/* func(*args), what it returned converted by @convert (%NULL: ignored):
 * starts the interpreter and holds the GIL around both. */
static gboolean
call_and_convert (MailsyncPythonFunc *func, const char * const *args, gsize n_args,
                  ResultConvertFunc convert, gpointer out, GError **error)
{
  PyGILState_STATE gil;
  PyObject *obj;
  gboolean ok = FALSE;

  if (!_mailsync_python_ensure_interpreter (func->where, error))
    return FALSE;

  gil = PyGILState_Ensure ();
  obj = call_with_strings (func, args, n_args, error);
  if (obj != NULL)
    {
      ok = convert == NULL || convert (obj, func->where, out, error);
      Py_DECREF (obj);
    }
  PyGILState_Release (gil);
  return ok;
}

static gboolean
convert_str (PyObject *obj, const char *where, gpointer out, GError **error)
{
  char **ret = out;

  /* bytes would be a programming error in a nametrans; say so. */
  if (!PyUnicode_Check (obj))
    {
      set_type_error (error, MAILSYNC_ERROR_FAILED, where, "str", obj);
      return FALSE;
    }
  *ret = string_from_object (obj, where, MAILSYNC_ERROR_FAILED, error);
  return *ret != NULL;
}

/**
 * _mailsync_python_module_call_string:
 * @func: a callable
 * @arg: its argument
 * @error: return location for a #GError
 *
 * `func(arg)` must return a str (nametrans).
 *
 * Returns: (transfer full) (nullable): the result, or %NULL on error
 */
char *
_mailsync_python_module_call_string (MailsyncPythonFunc *func, const char *arg, GError **error)
{
  char *ret = NULL;

  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (arg != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  call_and_convert (func, &arg, 1, convert_str, &ret, error);
  return ret;
}

static gboolean
convert_bool (PyObject *obj, const char *where, gpointer out, GError **error)
{
  int truth = PyObject_IsTrue (obj);

  if (truth < 0)
    {
      _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, where, NULL);
      return FALSE;
    }
  *(gboolean *) out = truth != 0;
  return TRUE;
}

/**
 * _mailsync_python_module_call_bool:
 * @func: a callable
 * @args: (array zero-terminated=1): its arguments
 * @result: (out): the truth value of what it returned
 * @error: return location for a #GError
 *
 * folderfilter (one argument) and the mbnames folderfilter (account,
 * folder).  Any object is accepted as Python's `if` would.
 *
 * Returns: %TRUE on success
 */
gboolean
_mailsync_python_module_call_bool (MailsyncPythonFunc *func, const char * const *args,
                                   gboolean *result, GError **error)
{
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (args != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return call_and_convert (func, args, g_strv_length ((char **) args), convert_bool, result, error);
}

static gboolean
convert_compare (PyObject *obj, const char *where, gpointer out, GError **error)
{
  PyObject *zero;
  int lt, gt;

  zero = PyLong_FromLong (0);
  lt = PyObject_RichCompareBool (obj, zero, Py_LT);
  gt = lt < 0 ? -1 : PyObject_RichCompareBool (obj, zero, Py_GT);
  Py_DECREF (zero);
  if (lt < 0 || gt < 0)
    {
      /* "'<' not supported between 'str' and 'int'" is right but
       * obscure; name what a cmp function must return instead. */
      PyErr_Clear ();
      set_type_error (error, MAILSYNC_ERROR_FAILED, where, "a number", obj);
      return FALSE;
    }
  *(int *) out = lt ? -1 : gt ? 1 : 0;
  return TRUE;
}

/**
 * _mailsync_python_module_call_compare:
 * @func: a cmp function
 * @a: first folder name
 * @b: second folder name
 * @result: (out): negative, zero or positive
 * @error: return location for a #GError
 *
 * foldersort: offlineimap 8 sorts with `functools.cmp_to_key`-like
 * wrapping, which only asks whether the result is `< 0`, `> 0` or `== 0`;
 * so any number (or bool) will do.
 *
 * Returns: %TRUE on success
 */
gboolean
_mailsync_python_module_call_compare (MailsyncPythonFunc *func, const char *a, const char *b,
                                      int *result, GError **error)
{
  const char *args[] = { a, b };

  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return call_and_convert (func, args, 2, convert_compare, result, error);
}

/**
 * _mailsync_python_module_call_void:
 * @func: a callable taking no argument
 * @error: return location for a #GError
 *
 * newmail_hook: called for its effect, its result is ignored.
 *
 * Returns: %TRUE on success
 */
gboolean
_mailsync_python_module_call_void (MailsyncPythonFunc *func, GError **error)
{
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return call_and_convert (func, NULL, 0, NULL, NULL, error);
}

/* An int, or a str of digits (which offlineimap would silently never
 * match; here it does what the user meant), within the UID range. */
static gboolean
uid_from_object (PyObject *item, guint32 *uid)
{
  guint64 v;

  if (PyLong_Check (item) && !PyBool_Check (item))
    {
      v = PyLong_AsUnsignedLongLong (item);
      if (PyErr_Occurred ())
        {
          PyErr_Clear ();
          return FALSE;
        }
    }
  else if (PyUnicode_Check (item))
    {
      const char *s = PyUnicode_AsUTF8 (item);

      if (s == NULL)
        {
          PyErr_Clear ();
          return FALSE;
        }
      if (!g_ascii_string_to_unsigned (s, 10, 1, G_MAXUINT32, &v, NULL))
        return FALSE;
    }
  else
    return FALSE;

  if (v == 0 || v > G_MAXUINT32)
    return FALSE;
  *uid = (guint32) v;
  return TRUE;
}

static gboolean
convert_uids (PyObject *obj, const char *where, gpointer out, GError **error)
{
  GArray **uids = out;
  g_autoptr(GArray) array = NULL;
  PyObject *seq = NULL;
  gboolean ok = FALSE;

  if (obj == Py_None)
    return TRUE;
  if (PyUnicode_Check (obj) || PyBytes_Check (obj)
      || (seq = PySequence_Fast (obj, "")) == NULL)
    {
      PyErr_Clear ();
      set_type_error (error, MAILSYNC_ERROR_FAILED, where, "a list of UIDs or None", obj);
      return FALSE;
    }
  array = g_array_sized_new (FALSE, FALSE, sizeof (guint32),
                             PySequence_Fast_GET_SIZE (seq));
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE (seq); i++)
    {
      PyObject *item = PySequence_Fast_GET_ITEM (seq, i);
      guint32 uid;

      if (!uid_from_object (item, &uid))
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                       "%s: ValueError: item %zd is not a UID (a positive 32-bit int)",
                       where, i);
          goto out;
        }
      g_array_append_val (array, uid);
    }
  *uids = g_steal_pointer (&array);
  ok = TRUE;

out:
  Py_DECREF (seq);
  return ok;
}

/**
 * _mailsync_python_module_call_uids:
 * @func: a callable
 * @arg: the folder name
 * @uids: (out) (transfer full) (nullable) (element-type guint32): the UIDs,
 *   or %NULL when it returned None
 * @error: return location for a #GError
 *
 * copy_ignore_eval: `func(folder)` returns the UIDs never to copy from
 * that folder, or None.
 *
 * Returns: %TRUE on success
 */
gboolean
_mailsync_python_module_call_uids (MailsyncPythonFunc *func, const char *arg,
                                   GArray **uids, GError **error)
{
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (arg != NULL, FALSE);
  g_return_val_if_fail (uids != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *uids = NULL;
  return call_and_convert (func, &arg, 1, convert_uids, uids, error);
}

/* A dict of str for one mbnames item; NULL with a Python error set. */
static PyObject *
dict_from_table (GHashTable *table)
{
  PyObject *dict = PyDict_New ();
  GHashTableIter iter;
  gpointer key, value;

  if (dict == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PyObject *v = PyUnicode_DecodeUTF8 (value, strlen (value), "surrogateescape");

      if (v == NULL || PyDict_SetItemString (dict, key, v) < 0)
        {
          Py_XDECREF (v);
          Py_DECREF (dict);
          return NULL;
        }
      Py_DECREF (v);
    }
  return dict;
}

/**
 * _mailsync_python_module_sort_dicts:
 * @func: a key function
 * @dicts: (element-type GHashTable): #GHashTable<utf8,utf8> items, sorted
 *   in place
 * @error: return location for a #GError
 *
 * mbnames sort_keyfunc: sorts as `items.sort(key=func)` does, each item
 * seen by @func as a dict (`accountname`, `foldername`, `localfolders`).
 * The sort is stable.  On error @dicts is left as it was.
 *
 * Returns: %TRUE on success
 */
gboolean
_mailsync_python_module_sort_dicts (MailsyncPythonFunc *func, GPtrArray *dicts, GError **error)
{
  PyGILState_STATE gil;
  PyObject *keys = NULL, *getitem = NULL, *order = NULL, *kwargs = NULL;
  PyObject *sorted = NULL, *range = NULL, *builtins = NULL, *args = NULL;
  g_autofree gpointer *copy = NULL;
  Py_ssize_t n;
  gboolean ok = FALSE;

  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (dicts != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_mailsync_python_ensure_interpreter (func->where, error))
    return FALSE;

  n = dicts->len;
  gil = PyGILState_Ensure ();
  keys = PyList_New (n);
  if (keys == NULL)
    goto python_error;
  for (Py_ssize_t i = 0; i < n; i++)
    {
      PyObject *dict = dict_from_table (g_ptr_array_index (dicts, i));
      PyObject *key;

      if (dict == NULL)
        goto python_error;
      key = PyObject_CallOneArg (func->callable, dict);
      Py_DECREF (dict);
      if (key == NULL)
        goto python_error;
      PyList_SET_ITEM (keys, i, key);   /* steals */
    }

  /* sorted(range(n), key=keys.__getitem__): stable, and the keys are
   * compared by Python exactly as list.sort(key=...) would. */
  builtins = PyImport_ImportModule ("builtins");
  if (builtins == NULL)
    goto python_error;
  sorted = PyObject_GetAttrString (builtins, "sorted");
  range = PyObject_CallFunction ((PyObject *) &PyRange_Type, "n", n);
  getitem = PyObject_GetAttrString (keys, "__getitem__");
  kwargs = PyDict_New ();
  if (sorted == NULL || range == NULL || getitem == NULL || kwargs == NULL
      || PyDict_SetItemString (kwargs, "key", getitem) < 0)
    goto python_error;
  args = PyTuple_Pack (1, range);
  if (args == NULL)
    goto python_error;
  order = PyObject_Call (sorted, args, kwargs);
  if (order == NULL)
    goto python_error;

  copy = g_memdup2 (dicts->pdata, sizeof (gpointer) * n);
  for (Py_ssize_t i = 0; i < n; i++)
    {
      Py_ssize_t j = PyLong_AsSsize_t (PyList_GET_ITEM (order, i));

      dicts->pdata[i] = copy[j];
    }
  ok = TRUE;
  goto out;

python_error:
  _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, func->where, NULL);
out:
  Py_XDECREF (keys);
  Py_XDECREF (getitem);
  Py_XDECREF (order);
  Py_XDECREF (kwargs);
  Py_XDECREF (sorted);
  Py_XDECREF (range);
  Py_XDECREF (builtins);
  Py_XDECREF (args);
  PyGILState_Release (gil);
  return ok;
}
