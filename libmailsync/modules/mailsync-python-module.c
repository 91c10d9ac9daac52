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
 * itself does not link it.  See mailsync-python-module.h.
 *
 * Evaluating expressions and calling what they give is in
 * mailsync-python-module-eval.c. */
#include "config.h"

/* Python.h must come before any system header: it sets feature macros. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "modules/mailsync-python-module-private.h"

#include <gmodule.h>
#include <string.h>

/* The module does not link libmailsync: the library hands it its error
 * domain when it loads the module (MAILSYNC_ERROR, in
 * mailsync-python-module-private.h). */
GQuark _mailsync_python_error_domain;

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

gboolean
_mailsync_python_ensure_interpreter (const char *where, GError **error)
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
void
_mailsync_python_set_error_full (GError **error, gint code, const char *where,
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

void
_mailsync_python_set_error (GError **error, gint code, const char *where,
                            const char *source)
{
  _mailsync_python_set_error_full (error, code, where, source, TRUE);
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
      _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, "python", NULL);
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
          _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, pythonfile, NULL);
          goto out;
        }
      module_dict = PyModule_GetDict (py->module);     /* borrowed */
      file = PyUnicode_DecodeFSDefault (abs_path);
      if (file == NULL
          || PyDict_SetItemString (module_dict, "__file__", file) < 0
          || PyDict_SetItemString (module_dict, "__builtins__", builtins) < 0)
        {
          _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, pythonfile, NULL);
          goto out;
        }

      /* Compiled from bytes, so a PEP 263 coding line is honoured as when
       * Python imports the file. */
      /* Errors name the file as the user wrote it (after ~ expansion). */
      code = Py_CompileStringExFlags (source, pythonfile, Py_file_input, NULL, -1);
      if (code == NULL)
        {
          _mailsync_python_set_error (error, MAILSYNC_ERROR_INVALID_CONFIG, pythonfile, pythonfile);
          goto out;
        }
      result = PyEval_EvalCode (code, module_dict, module_dict);
      if (result == NULL)
        {
          _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, pythonfile, pythonfile);
          goto out;
        }
      if (PyDict_Update (py->namespace, module_dict) < 0)
        {
          _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, pythonfile, NULL);
          goto out;
        }
    }

  /* offlineimap passes {'re': re} over pythonfile's names for nametrans,
   * folderfilter, folderincludes, foldersort and the mbnames filters.  We
   * give it to every expression: a superset that costs nothing. */
  if (PyDict_SetItemString (py->namespace, "__builtins__", builtins) < 0
      || PyDict_SetItemString (py->namespace, "re", re) < 0)
    {
      _mailsync_python_set_error (error, MAILSYNC_ERROR_FAILED, "python", NULL);
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

  if (!_mailsync_python_ensure_interpreter (pythonfile ? pythonfile : "pythonfile", error))
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
    _mailsync_python_module_compile,
    _mailsync_python_module_func_free,
    _mailsync_python_module_eval_string,
    _mailsync_python_module_eval_secret,
    _mailsync_python_module_eval_strv,
    _mailsync_python_module_eval_int,
    _mailsync_python_module_call_string,
    _mailsync_python_module_call_bool,
    _mailsync_python_module_call_compare,
    _mailsync_python_module_call_void,
    _mailsync_python_module_call_uids,
    _mailsync_python_module_sort_dicts,
  };

  if (abi != MAILSYNC_PYTHON_MODULE_ABI)
    return NULL;
  _mailsync_python_error_domain = error_domain;
  return &table;
}
