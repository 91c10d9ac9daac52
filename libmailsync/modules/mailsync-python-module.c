/* Embedded CPython for offlineimap's Python-expression options.
 *
 * offlineimap evaluates nametrans, folderfilter, *eval and friends with
 * eval() in a copy of the globals of `pythonfile` (offlineimap/localeval.py),
 * adding `re` for some of them.  Existing configs depend on that, so we run
 * the same expressions in a real interpreter instead of guessing at a subset.
 *
 * The interpreter is started lazily, once per process, and never finalized:
 * objects the caller still holds (compiled lambdas) would otherwise dangle,
 * and a second Py_Initialize after Py_Finalize leaks and is not reliable with
 * extension modules.  When the library is loaded into a Python process
 * (PyGObject), that interpreter is used as is.
 *
 * The GIL is released as soon as the interpreter is up; every entry point
 * takes it with PyGILState_Ensure, so callers may be on any thread.
 *
 * This is a module of its own (mailsync-python.so, loaded by
 * libmailsync/config/mailsync-python.c on first use), so that only the
 * processes whose configuration has Python load libpython: the library
 * itself does not link it.  See mailsync-python-module.h. */
#include "config.h"

/* Python.h must come before any system header: it sets feature macros. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "mailsync-error.h"
#include "modules/mailsync-python-module.h"

#include <gmodule.h>
#include <string.h>

/* The module does not link libmailsync: the library hands it its error
 * domain when it loads the module. */
static GQuark module_error_domain;
#undef MAILSYNC_ERROR
#define MAILSYNC_ERROR module_error_domain

/* Used for errors when the caller gives no location. */
#define DEFAULT_WHERE "python"

struct _MailsyncPython
{
  /* Globals every expression starts from: pythonfile's top-level names,
   * __builtins__ and `re`.  Each expression gets a shallow copy, as
   * offlineimap's LocalEval.eval() does, so one expression cannot rebind a
   * name another one sees. */
  PyObject *namespace;
  PyObject *module;             /* pythonfile's module, owns its functions' globals */
};

struct _MailsyncPythonFunc
{
  PyObject *callable;
  char *where;
};

typedef enum {
  INTERP_UNKNOWN,
  INTERP_OWN,                   /* we initialized it */
  INTERP_HOST,                  /* the process already ran one (PyGObject) */
  INTERP_FAILED,
} InterpState;

static InterpState interp_state = INTERP_UNKNOWN;
static char *interp_error;      /* why the interpreter could not start */

/* ---------------------------------------------------------------------- */
/* Startup                                                                  */

static void
set_status_error (const char *what, PyStatus status)
{
  interp_error = g_strdup_printf ("%s: %s", what,
                                  status.err_msg ? status.err_msg : "unknown error");
}

/* PYTHONPATH is honoured, as a plain python3 would, but only once the
 * interpreter is up and `re` has been imported from the standard library:
 * a stale PYTHONPATH then costs the user an ImportError in their pythonfile
 * rather than an interpreter that cannot start.  Other PYTHON* variables
 * (PYTHONHOME above all) are ignored because a wrong one aborts the
 * process inside Py_Initialize. */
static void
add_pythonpath (void)
{
  const char *env = g_getenv ("PYTHONPATH");
  g_auto(GStrv) dirs = NULL;
  PyObject *path;
  Py_ssize_t pos = 0;

  if (env == NULL || *env == '\0')
    return;
  path = PySys_GetObject ("path");       /* borrowed */
  if (path == NULL || !PyList_Check (path))
    return;
  dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      PyObject *dir;

      if (dirs[i][0] == '\0')
        continue;
      dir = PyUnicode_DecodeFSDefault (dirs[i]);
      if (dir == NULL || PyList_Insert (path, pos, dir) < 0)
        PyErr_Clear ();
      else
        pos++;
      Py_XDECREF (dir);
    }
}

static char *object_to_utf8 (PyObject *obj);

/* warnings.showwarning: Python prints warnings (a SyntaxWarning for '\.'
 * in a nametrans regex on 3.12, a UserWarning from a module the pythonfile
 * imports) to stderr, behind the caller's back; they go to the debug log. */
static PyObject *
show_warning (PyObject *self, PyObject *args, PyObject *kwargs)
{
  static char *keywords[] = { "message", "category", "filename", "lineno", "file", "line", NULL };
  PyObject *message, *category, *filename, *lineno, *file = NULL, *line = NULL;
  g_autofree char *text = NULL, *where = NULL;

  if (!PyArg_ParseTupleAndKeywords (args, kwargs, "OOOO|OO", keywords, &message, &category,
                                    &filename, &lineno, &file, &line))
    return NULL;
  text = object_to_utf8 (message);
  where = object_to_utf8 (filename);
  g_debug ("python: %s:%ld: %s: %s", where ? where : "?",
           PyLong_Check (lineno) ? PyLong_AsLong (lineno) : 0L,
           PyType_Check (category) ? ((PyTypeObject *) category)->tp_name : "Warning",
           text ? text : "");
  PyErr_Clear ();
  Py_RETURN_NONE;
}

static PyMethodDef show_warning_def = {
  "showwarning", (PyCFunction) (void (*) (void)) show_warning,
  METH_VARARGS | METH_KEYWORDS, NULL
};

/* Only for our own interpreter: a host application decides for itself
 * where its warnings go. */
static void
route_warnings (void)
{
  PyObject *warnings = PyImport_ImportModule ("warnings");
  PyObject *func = PyCFunction_New (&show_warning_def, NULL);

  if (warnings == NULL || func == NULL
      || PyObject_SetAttrString (warnings, "showwarning", func) < 0)
    PyErr_Clear ();
  Py_XDECREF (warnings);
  Py_XDECREF (func);
}

static gboolean
start_own_interpreter (void)
{
  PyPreConfig preconfig;
  PyConfig config;
  PyStatus status;
  PyObject *re;

  PyPreConfig_InitPythonConfig (&preconfig);
  /* The process owns its locale and environment: Python must neither call
   * setlocale() nor setenv(LC_CTYPE) (coercion) behind the caller's back,
   * and file names and stdio are UTF-8 like the rest of GLib. */
  preconfig.configure_locale = 0;
  preconfig.coerce_c_locale = 0;
  preconfig.coerce_c_locale_warn = 0;
  preconfig.utf8_mode = 1;
  preconfig.use_environment = 0;
  preconfig.parse_argv = 0;
  status = Py_PreInitialize (&preconfig);
  if (PyStatus_Exception (status))
    {
      set_status_error ("could not start the Python interpreter", status);
      return FALSE;
    }

  PyConfig_InitPythonConfig (&config);
  config.install_signal_handlers = 0;    /* the CLI owns SIGINT and friends */
  config.use_environment = 0;
  config.parse_argv = 0;
  config.configure_c_stdio = 0;
  config.pathconfig_warnings = 0;
  config.faulthandler = 0;
  /* Never finalized, so buffered output from a pythonfile's print() would be
   * lost at exit. */
  config.buffered_stdio = 0;
  /* Like a plain python3: site-packages and the user's site directory, so
   * a pythonfile can import what the user installed. */
  config.site_import = 1;
  config.user_site_directory = 1;
  status = Py_InitializeFromConfig (&config);
  PyConfig_Clear (&config);
  if (PyStatus_Exception (status))
    {
      set_status_error ("could not start the Python interpreter", status);
      return FALSE;
    }

  /* Import `re` before PYTHONPATH can shadow the standard library's. */
  re = PyImport_ImportModule ("re");
  if (re == NULL)
    PyErr_Clear ();             /* reported per call by namespace setup */
  Py_XDECREF (re);
  route_warnings ();
  add_pythonpath ();

  /* Drop the GIL: from now on every entry point takes it. */
  PyEval_SaveThread ();
  return TRUE;
}

/* A host running another Python minor version than the one we were built
 * against (our libpython's symbols then resolve to the host's) has another
 * ABI: using it would corrupt memory, so refuse. */
static gboolean
host_matches_build (void)
{
  g_autofree char *expected = g_strdup_printf ("%d.%d.", PY_MAJOR_VERSION, PY_MINOR_VERSION);
  const char *running = Py_GetVersion ();

  if (g_str_has_prefix (running, expected))
    return TRUE;
  interp_error = g_strdup_printf ("the running Python is %.*s, but mailsync was built for %s",
                                  (int) strcspn (running, " "), running, PY_VERSION);
  return FALSE;
}

static gboolean
ensure_interpreter (const char *where, GError **error)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      if (Py_IsInitialized ())
        interp_state = host_matches_build () ? INTERP_HOST : INTERP_FAILED;
      else if (start_own_interpreter ())
        interp_state = INTERP_OWN;
      else
        interp_state = INTERP_FAILED;
      g_once_init_leave (&once, 1);
    }

  if (interp_state == INTERP_FAILED)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED, "%s: %s",
                   where, interp_error);
      return FALSE;
    }
  /* A host interpreter may have been finalized since (process exit with
   * objects still alive): touching it now would crash. */
  if (!Py_IsInitialized ())
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                   "%s: the Python interpreter has been shut down", where);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                   */

/* Longest exception message kept, in bytes: a helper may raise with a
 * whole command output in the message. */
#define MAX_MESSAGE 500

/* One line: control characters (tracebacks, multi-line messages) become
 * spaces, so the message fits a log line and a MachineUI field. */
static char *
one_line (const char *text)
{
  char *copy = g_strdup (text);

  for (char *p = copy; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  g_strstrip (copy);
  if (strlen (copy) > MAX_MESSAGE)
    {
      /* Cut on a character boundary. */
      const char *end = g_utf8_find_prev_char (copy, copy + MAX_MESSAGE + 1);
      g_autofree char *head = g_strndup (copy, end - copy);

      g_free (copy);
      copy = g_strconcat (head, "…", NULL);
    }
  return copy;
}

/* A UTF-8 copy of str(obj), or NULL.  Never raises. */
static char *
object_to_utf8 (PyObject *obj)
{
  PyObject *s;
  const char *utf8;
  char *ret = NULL;

  if (obj == NULL)
    return NULL;
  s = PyObject_Str (obj);
  if (s == NULL)
    {
      PyErr_Clear ();
      return NULL;
    }
  utf8 = PyUnicode_AsUTF8 (s);
  if (utf8 != NULL)
    ret = g_strdup (utf8);
  else
    PyErr_Clear ();
  Py_DECREF (s);
  return ret;
}

/* "re.error", "KeyError", "mymodule.PassError": what a traceback prints. */
static char *
exception_type_name (PyObject *exc)
{
  PyObject *type = (PyObject *) Py_TYPE (exc);
  PyObject *module = PyObject_GetAttrString (type, "__module__");
  PyObject *qualname = PyObject_GetAttrString (type, "__qualname__");
  g_autofree char *mod = object_to_utf8 (module);
  g_autofree char *name = object_to_utf8 (qualname);
  char *ret;

  PyErr_Clear ();
  Py_XDECREF (module);
  Py_XDECREF (qualname);
  if (name == NULL)
    name = g_strdup (Py_TYPE (exc)->tp_name);
  if (mod == NULL || g_str_equal (mod, "builtins") || g_str_equal (mod, "__main__"))
    ret = g_steal_pointer (&name);
  else
    ret = g_strconcat (mod, ".", name, NULL);
  return ret;
}

/* Takes the pending exception (normalized), or NULL if there is none. */
static PyObject *
take_exception (void)
{
#if PY_VERSION_HEX >= 0x030C0000
  return PyErr_GetRaisedException ();
#else
  PyObject *type, *value, *tb;

  PyErr_Fetch (&type, &value, &tb);
  if (type == NULL)
    return NULL;
  PyErr_NormalizeException (&type, &value, &tb);
  if (value != NULL && tb != NULL)
    PyException_SetTraceback (value, tb);
  Py_XDECREF (type);
  Py_XDECREF (tb);
  return value;
#endif
}

/* The line of the innermost traceback entry that ran @filename, or 0. */
static long
traceback_line_in (PyObject *exc, const char *filename)
{
  PyObject *tb = PyException_GetTraceback (exc);
  long line = 0;

  for (PyObject *cur = tb; cur != NULL && PyTraceBack_Check (cur);
       cur = (PyObject *) ((PyTracebackObject *) cur)->tb_next)
    {
      PyFrameObject *frame = ((PyTracebackObject *) cur)->tb_frame;    /* borrowed */
      PyCodeObject *code = PyFrame_GetCode (frame);
      g_autofree char *file = object_to_utf8 (code->co_filename);

      Py_DECREF (code);
      if (file != NULL && g_str_equal (file, filename))
        {
          /* The tb_lineno attribute, not the field: 3.11 fills it lazily. */
          PyObject *lineno = PyObject_GetAttrString (cur, "tb_lineno");

          if (lineno != NULL && PyLong_Check (lineno))
            line = PyLong_AsLong (lineno);
          Py_XDECREF (lineno);
          PyErr_Clear ();
        }
    }
  Py_XDECREF (tb);
  return line;
}

/* Turns the pending Python exception into "WHERE: Type: message".
 * @source, when not NULL, is a file whose line number is worth adding
 * (pythonfile): "FILE:LINE: Type: message".  Nothing goes to stderr, and
 * neither the offending source text nor local values are included: a
 * remotepasseval line may hold the password itself. */
static void
set_error_from_python_full (GError **error, gint code, const char *where,
                            const char *source, gboolean quote_message)
{
  PyObject *exc = take_exception ();
  g_autofree char *type = NULL;
  g_autofree char *message = NULL;
  g_autofree char *location = NULL;
  long line = 0;

  if (exc == NULL)
    {
      g_set_error (error, MAILSYNC_ERROR, code, "%s: unknown Python error", where);
      return;
    }

  type = exception_type_name (exc);
  if (PyErr_GivenExceptionMatches ((PyObject *) Py_TYPE (exc), PyExc_SyntaxError))
    {
      /* str(SyntaxError) repeats the file name; .msg is just the reason. */
      PyObject *msg = PyObject_GetAttrString (exc, "msg");
      PyObject *lineno = PyObject_GetAttrString (exc, "lineno");

      message = object_to_utf8 (msg);
      if (lineno != NULL && PyLong_Check (lineno))
        line = PyLong_AsLong (lineno);
      PyErr_Clear ();
      Py_XDECREF (msg);
      Py_XDECREF (lineno);
    }
  else
    {
      message = object_to_utf8 (exc);
      if (source != NULL)
        line = traceback_line_in (exc, source);
    }
  Py_DECREF (exc);

  if (source != NULL && line > 0)
    location = g_strdup_printf ("%s:%ld", where, line);
  else
    location = g_strdup (where);

  if (!quote_message)
    g_set_error (error, MAILSYNC_ERROR, code, "%s: %s (its message is not shown: it may quote the secret)",
                 location, type);
  else if (message != NULL && *message != '\0')
    {
      g_autofree char *flat = one_line (message);
      g_set_error (error, MAILSYNC_ERROR, code, "%s: %s: %s", location, type, flat);
    }
  else
    g_set_error (error, MAILSYNC_ERROR, code, "%s: %s", location, type);
}

static void
set_error_from_python (GError **error, gint code, const char *where,
                       const char *source)
{
  set_error_from_python_full (error, code, where, source, TRUE);
}

/* ---------------------------------------------------------------------- */
/* Namespace                                                                */

static gboolean
setup_namespace (MailsyncPython *py, const char *pythonfile, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *source = NULL;
  g_autofree char *abs_path = NULL;
  gsize length = 0;
  PyObject *builtins = NULL, *re = NULL, *code = NULL, *result = NULL, *file = NULL;
  PyObject *module_dict;
  gboolean ok = FALSE;

  py->namespace = PyDict_New ();
  builtins = PyImport_ImportModule ("builtins");
  re = PyImport_ImportModule ("re");
  if (py->namespace == NULL || builtins == NULL || re == NULL)
    {
      set_error_from_python (error, MAILSYNC_ERROR_FAILED, "python", NULL);
      goto out;
    }

  if (pythonfile != NULL)
    {
      /* GLib's message names the file and the reason. */
      if (!g_file_get_contents (pythonfile, &source, &length, &local_error))
        {
          g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                               local_error->message);
          goto out;
        }
      /* Compiling a C string would silently stop at the first NUL. */
      if (strlen (source) != length)
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                       "%s: SyntaxError: source code cannot contain null bytes", pythonfile);
          goto out;
        }
      abs_path = g_canonicalize_filename (pythonfile, NULL);

      /* offlineimap loads the file as a module named "<none>": a
       * `if __name__ == "__main__":` block (a user's self-test) must not run. */
      py->module = PyModule_New ("<none>");
      if (py->module == NULL)
        {
          set_error_from_python (error, MAILSYNC_ERROR_FAILED, pythonfile, NULL);
          goto out;
        }
      module_dict = PyModule_GetDict (py->module);     /* borrowed */
      file = PyUnicode_DecodeFSDefault (abs_path);
      if (file == NULL
          || PyDict_SetItemString (module_dict, "__file__", file) < 0
          || PyDict_SetItemString (module_dict, "__builtins__", builtins) < 0)
        {
          set_error_from_python (error, MAILSYNC_ERROR_FAILED, pythonfile, NULL);
          goto out;
        }

      /* Compiled from bytes, so a PEP 263 coding line is honoured as when
       * Python imports the file. */
      /* Errors name the file as the user wrote it (after ~ expansion). */
      code = Py_CompileStringExFlags (source, pythonfile, Py_file_input, NULL, -1);
      if (code == NULL)
        {
          set_error_from_python (error, MAILSYNC_ERROR_INVALID_CONFIG, pythonfile, pythonfile);
          goto out;
        }
      result = PyEval_EvalCode (code, module_dict, module_dict);
      if (result == NULL)
        {
          set_error_from_python (error, MAILSYNC_ERROR_FAILED, pythonfile, pythonfile);
          goto out;
        }
      if (PyDict_Update (py->namespace, module_dict) < 0)
        {
          set_error_from_python (error, MAILSYNC_ERROR_FAILED, pythonfile, NULL);
          goto out;
        }
    }

  /* offlineimap passes {'re': re} over pythonfile's names for nametrans,
   * folderfilter, folderincludes, foldersort and the mbnames filters.  We
   * give it to every expression: a superset that costs nothing. */
  if (PyDict_SetItemString (py->namespace, "__builtins__", builtins) < 0
      || PyDict_SetItemString (py->namespace, "re", re) < 0)
    {
      set_error_from_python (error, MAILSYNC_ERROR_FAILED, "python", NULL);
      goto out;
    }
  ok = TRUE;

out:
  Py_XDECREF (builtins);
  Py_XDECREF (re);
  Py_XDECREF (code);
  Py_XDECREF (result);
  Py_XDECREF (file);
  return ok;
}

static void
python_clear (MailsyncPython *py)
{
  Py_CLEAR (py->namespace);
  Py_CLEAR (py->module);
}

/**
 * python_module_new:
 * @pythonfile: (nullable): offlineimap's `pythonfile`, already `~`/`$VAR`
 *   expanded; its top-level names are visible to every expression
 * @error: return location for a #GError
 *
 * Starts the interpreter if needed and runs @pythonfile once, in a fresh
 * module namespace.  An unreadable file or a syntax error in it is
 * %MAILSYNC_ERROR_INVALID_CONFIG; an exception while it runs is
 * %MAILSYNC_ERROR_FAILED.
 *
 * Returns: (transfer full) (nullable): the namespace, or %NULL on error
 */
static MailsyncPython *
python_module_new (const char *pythonfile, GError **error)
{
  g_autofree MailsyncPython *py = NULL;
  PyGILState_STATE gil;
  gboolean ok;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!ensure_interpreter (pythonfile ? pythonfile : "pythonfile", error))
    return NULL;

  py = g_new0 (MailsyncPython, 1);
  gil = PyGILState_Ensure ();
  ok = setup_namespace (py, pythonfile, error);
  if (!ok)
    python_clear (py);
  PyGILState_Release (gil);

  return ok ? g_steal_pointer (&py) : NULL;
}

/**
 * python_module_free:
 * @py: (nullable): a namespace
 *
 * Drops the namespace.  Callables compiled from it stay valid.
 */
static void
python_module_free (MailsyncPython *py)
{
  PyGILState_STATE gil;

  if (py == NULL)
    return;
  /* After the host interpreter shut down, the objects are gone with it. */
  if (Py_IsInitialized ())
    {
      gil = PyGILState_Ensure ();
      python_clear (py);
      PyGILState_Release (gil);
    }
  g_free (py);
}

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
      set_error_from_python_full (error, MAILSYNC_ERROR_INVALID_CONFIG, where, NULL, quote_message);
      return NULL;
    }
  globals = PyDict_Copy (py->namespace);
  if (globals == NULL)
    {
      Py_DECREF (code);
      set_error_from_python (error, MAILSYNC_ERROR_FAILED, where, NULL);
      return NULL;
    }
  result = PyEval_EvalCode (code, globals, globals);
  Py_DECREF (code);
  Py_DECREF (globals);
  if (result == NULL)
    set_error_from_python_full (error, MAILSYNC_ERROR_FAILED, where, NULL, quote_message);
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
 * python_module_compile:
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
static MailsyncPythonFunc *
python_module_compile (MailsyncPython *py, const char *expression,
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
  if (!ensure_interpreter (where, error))
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
 * python_module_func_free:
 * @func: (nullable): a callable
 */
static void
python_module_func_free (MailsyncPythonFunc *func)
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

  if (!ensure_interpreter (where, error))
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
 * python_module_eval_string:
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
static char *
python_module_eval_string (MailsyncPython *py, const char *expression,
                           const char *where, GError **error)
{
  return eval_string (py, expression, where, FALSE, error);
}

/**
 * python_module_eval_secret:
 * @py: a namespace
 * @expression: Python source evaluating to a str or UTF-8 bytes
 * @where: (nullable): the option's location for error messages
 * @error: return location for a #GError
 *
 * For remotepasseval and oauth2_*_eval: as python_module_eval_string(),
 * and an error names the exception's type but not its message, which may
 * quote the secret (`int('hunter2')` raises "invalid literal for int()
 * with base 10: 'hunter2'").
 *
 * Returns: (transfer full) (nullable): the value, or %NULL on error
 */
static char *
python_module_eval_secret (MailsyncPython *py, const char *expression,
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
      set_error_from_python (error, MAILSYNC_ERROR_FAILED, where, NULL);
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
 * python_module_eval_strv:
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
static char **
python_module_eval_strv (MailsyncPython *py, const char *expression,
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
      set_error_from_python (error, MAILSYNC_ERROR_INVALID_CONFIG, where, NULL);
      return FALSE;
    }
  *(gint64 *) out = v;
  return TRUE;
}

/**
 * python_module_eval_int:
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
static gboolean
python_module_eval_int (MailsyncPython *py, const char *expression,
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
      set_error_from_python (error, MAILSYNC_ERROR_FAILED, func->where, NULL);
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
          set_error_from_python (error, MAILSYNC_ERROR_FAILED, func->where, NULL);
          return NULL;
        }
      PyTuple_SET_ITEM (tuple, i, s);   /* steals */
    }
  result = PyObject_Call (func->callable, tuple, NULL);
  Py_DECREF (tuple);
  if (result == NULL)
    set_error_from_python (error, MAILSYNC_ERROR_FAILED, func->where, NULL);
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

  if (!ensure_interpreter (func->where, error))
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
 * python_module_call_string:
 * @func: a callable
 * @arg: its argument
 * @error: return location for a #GError
 *
 * `func(arg)` must return a str (nametrans).
 *
 * Returns: (transfer full) (nullable): the result, or %NULL on error
 */
static char *
python_module_call_string (MailsyncPythonFunc *func, const char *arg, GError **error)
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
      set_error_from_python (error, MAILSYNC_ERROR_FAILED, where, NULL);
      return FALSE;
    }
  *(gboolean *) out = truth != 0;
  return TRUE;
}

/**
 * python_module_call_bool:
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
static gboolean
python_module_call_bool (MailsyncPythonFunc *func, const char * const *args,
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
 * python_module_call_compare:
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
static gboolean
python_module_call_compare (MailsyncPythonFunc *func, const char *a, const char *b,
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
 * python_module_call_void:
 * @func: a callable taking no argument
 * @error: return location for a #GError
 *
 * newmail_hook: called for its effect, its result is ignored.
 *
 * Returns: %TRUE on success
 */
static gboolean
python_module_call_void (MailsyncPythonFunc *func, GError **error)
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
 * python_module_call_uids:
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
static gboolean
python_module_call_uids (MailsyncPythonFunc *func, const char *arg,
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
 * python_module_sort_dicts:
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
static gboolean
python_module_sort_dicts (MailsyncPythonFunc *func, GPtrArray *dicts, GError **error)
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

  if (!ensure_interpreter (func->where, error))
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
  set_error_from_python (error, MAILSYNC_ERROR_FAILED, func->where, NULL);
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

/* ---------------------------------------------------------------------- */
/* The module's entry point                                                 */

G_MODULE_EXPORT gconstpointer mailsync_python_module_get (guint  abi,
                                                          GQuark error_domain);

G_MODULE_EXPORT gconstpointer
mailsync_python_module_get (guint  abi,
                            GQuark error_domain)
{
  static const MailsyncPythonModule table = {
    MAILSYNC_PYTHON_MODULE_ABI,
    python_module_new,
    python_module_free,
    python_module_compile,
    python_module_func_free,
    python_module_eval_string,
    python_module_eval_secret,
    python_module_eval_strv,
    python_module_eval_int,
    python_module_call_string,
    python_module_call_bool,
    python_module_call_compare,
    python_module_call_void,
    python_module_call_uids,
    python_module_sort_dicts,
  };

  if (abi != MAILSYNC_PYTHON_MODULE_ABI)
    return NULL;
  module_error_domain = error_domain;
  return &table;
}
