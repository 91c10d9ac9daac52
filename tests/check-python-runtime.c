/* check-python, continued (moved verbatim from check-python.c, which was
 * over 1,000 lines, issue 14 item 1): the embedded interpreter as a
 * process sees it: references dropped, calls from several threads,
 * nothing on stderr, a host interpreter (PyGObject) used as it is. */
#include "config.h"

#ifdef HAVE_PYTHON_EMBED
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "check-python.h"

static gint64
refcount (MailsyncPython *py, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *expr = g_strdup_printf ("__import__('sys').getrefcount(%s)", name);
  gint64 n = -1;

  ck_assert (_mailsync_python_eval_int (py, expr, "refcount", &n, &error));
  ck_assert_no_error (error);
  return n;
}

/* Every entry point drops the references it takes: run each many times
 * on a fixed object and its count must not move. */
START_TEST (test_refcounts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = new_with_pythonfile ();
  g_autoptr(MailsyncPythonFunc) str = NULL, num = NULL, list = NULL, key = NULL, keep = NULL;
  g_autoptr(MailsyncPythonFunc) none = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  const char *args[] = { "INBOX", NULL };
  gint64 fixed, fixed_num, fixed_list, fixed_strs, fixed_key, diff = -1;
  const guint n = 200;

  str = _mailsync_python_compile (py, "lambda *a: FIXED", "w", &error);
  num = _mailsync_python_compile (py, "lambda a, b: FIXED_NUM", "w", &error);
  list = _mailsync_python_compile (py, "lambda f: FIXED_LIST", "w", &error);
  key = _mailsync_python_compile (py, "lambda d: FIXED_KEY", "w", &error);
  keep = _mailsync_python_compile (py, "lambda f: KEEP.append(f) or f", "w", &error);
  none = _mailsync_python_compile (py, "lambda f: FIXED_LIST[0] / 0", "w", &error);
  ck_assert_no_error (error);
  g_ptr_array_add (items, mbnames_item ("A", "x"));
  g_ptr_array_add (items, mbnames_item ("B", "y"));

  fixed = refcount (py, "FIXED");
  fixed_num = refcount (py, "FIXED_NUM");
  fixed_list = refcount (py, "FIXED_LIST");
  fixed_strs = refcount (py, "FIXED_STRS");
  fixed_key = refcount (py, "FIXED_KEY");

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *s = NULL, *e = NULL, *k = NULL;
      g_auto(GStrv) v = NULL;
      g_autoptr(GArray) uids = NULL;
      g_autoptr(GError) expected = NULL;
      gboolean b;
      int c;

      s = _mailsync_python_call_string (str, "INBOX", &error);
      ck_assert (_mailsync_python_call_bool (str, args, &b, &error));
      ck_assert (_mailsync_python_call_compare (num, "a", "b", &c, &error));
      ck_assert (_mailsync_python_call_uids (list, "INBOX", &uids, &error));
      ck_assert (_mailsync_python_sort_dicts (key, items, &error));
      ck_assert (_mailsync_python_call_void (str, &error));
      e = _mailsync_python_eval_string (py, "FIXED", "w", &error);
      v = _mailsync_python_eval_strv (py, "FIXED_STRS", "w", &error);
      k = _mailsync_python_call_string (keep, "kept", &error);
      ck_assert_no_error (error);
      /* error paths too */
      g_clear_pointer (&uids, g_array_unref);
      ck_assert (!_mailsync_python_call_uids (none, "INBOX", &uids, &expected));
      g_clear_error (&expected);
      ck_assert_ptr_null (_mailsync_python_call_string (list, "INBOX", &expected));
    }

  ck_assert_int_eq (refcount (py, "FIXED"), fixed);
  ck_assert_int_eq (refcount (py, "FIXED_NUM"), fixed_num);
  ck_assert_int_eq (refcount (py, "FIXED_LIST"), fixed_list);
  ck_assert_int_eq (refcount (py, "FIXED_STRS"), fixed_strs);
  ck_assert_int_eq (refcount (py, "FIXED_KEY"), fixed_key);

  /* The argument strings we made are held by KEEP only, like a string
   * Python made itself. */
  ck_assert (_mailsync_python_eval_int (py,
      "KEEP.append(''.join(['ke', 'pt'])) or "
      "(lambda rc: max(rc(KEEP[i]) for i in range(len(KEEP) - 1)) - rc(KEEP[-1]))"
      "(__import__('sys').getrefcount)", "w", &diff, &error));
  ck_assert_no_error (error);
  ck_assert_int_eq (diff, 0);
}
END_TEST

/* The engine calls nametrans and folderfilter from worker threads. */
typedef struct
{
  MailsyncPython *py;
  MailsyncPythonFunc *nametrans;
  MailsyncPythonFunc *filter;
  guint id;
} ThreadData;

#define N_THREADS 4
#define N_CALLS 400

static gpointer
thread_func (gpointer user_data)
{
  ThreadData *data = user_data;

  for (guint i = 0; i < N_CALLS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = g_strdup_printf ("t%u.f%u", data->id, i);
      g_autofree char *expected = g_strdup_printf ("t%u/f%u", data->id, i);
      g_autofree char *got = _mailsync_python_call_string (data->nametrans, name, &error);
      const char *args[] = { name, NULL };
      gboolean keep = FALSE;

      if (got == NULL || !g_str_equal (got, expected))
        return g_strdup_printf ("thread %u: %s -> %s", data->id, name, got ? got : error->message);
      if (!_mailsync_python_call_bool (data->filter, args, &keep, &error) || keep != (i % 2 == 0))
        return g_strdup_printf ("thread %u: filter %s", data->id, name);
      if (i % 50 == 0)
        {
          g_autofree char *pass = _mailsync_python_eval_string (data->py, "get_password('work')",
                                                                "rc:30: remotepasseval", &error);
          if (pass == NULL || !g_str_equal (pass, "hunter2"))
            return g_strdup_printf ("thread %u: remotepasseval", data->id);
        }
    }
  return NULL;
}

START_TEST (test_threads)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = new_with_pythonfile ();
  g_autoptr(MailsyncPythonFunc) nametrans = NULL, filter = NULL;
  ThreadData data[N_THREADS];
  GThread *threads[N_THREADS];

  nametrans = _mailsync_python_compile (py, "lambda f: re.sub(r'\\.', '/', f)", WHERE, &error);
  ck_assert_no_error (error);
  filter = _mailsync_python_compile (py, "lambda f: int(f.split('f')[-1]) % 2 == 0",
                                     "rc:13: folderfilter", &error);
  ck_assert_no_error (error);

  for (guint i = 0; i < N_THREADS; i++)
    {
      data[i] = (ThreadData) { py, nametrans, filter, i };
      threads[i] = g_thread_new ("python-test", thread_func, &data[i]);
    }
  for (guint i = 0; i < N_THREADS; i++)
    {
      g_autofree char *failure = g_thread_join (threads[i]);

      ck_assert_msg (failure == NULL, "%s", failure);
    }
}
END_TEST

/* Nothing reaches stderr behind the caller's back: no traceback, no
 * warning, whatever fails. */
START_TEST (test_quiet_stderr)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autofree char *log = g_build_filename (dir, "stderr", NULL);
  g_autofree char *raises = data_path ("raises.py");
  g_autofree char *syntax = data_path ("syntax-error.py");
  g_autofree char *captured = NULL;
  g_autoptr(MailsyncPython) py = NULL;
  g_autoptr(MailsyncPythonFunc) func = NULL;
  int saved, fd;

  fflush (stderr);
  saved = dup (2);
  fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge (fd, 0);
  dup2 (fd, 2);
  close (fd);

  {
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
    char *s;

    ck_assert_ptr_null (_mailsync_python_new (raises, &e1));
    ck_assert_ptr_null (_mailsync_python_new (syntax, &e2));
    py = new_with_pythonfile ();
    ck_assert_ptr_null (_mailsync_python_compile (py, "lambda f: (", WHERE, &e3));
    /* A warning at compile time ('\.' is an invalid escape) and at run time. */
    g_clear_pointer (&func, _mailsync_python_func_free);
    func = _mailsync_python_compile (py, "lambda f: re.sub('\\.', '/', f)", WHERE, &e4);
    ck_assert_no_error (e4);
    g_free (_mailsync_python_call_string (func, "a.b", &e4));
    ck_assert_no_error (e4);
    g_free (_mailsync_python_eval_string (py, "__import__('warnings').warn('careful') or 'x'", WHERE, &e4));
    ck_assert_no_error (e4);
    g_clear_pointer (&func, _mailsync_python_func_free);
    func = _mailsync_python_compile (py, "lambda f: __import__('sys').exit(3)", WHERE, &e4);
    s = _mailsync_python_call_string (func, "x", &e5);
    ck_assert_ptr_null (s);
    /* sys.exit() in an expression is an error, not the end of the process */
    assert_error (e5, MAILSYNC_ERROR_FAILED, WHERE ": SystemExit: 3");
    ck_assert (e1 && e2 && e3);
  }

  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  captured = mailsync_test_read_file (log, NULL);
  ck_assert_msg (captured[0] == '\0', "stderr got: %s", captured);
  mailsync_test_rm_rf (dir);
}
END_TEST

/* Loaded into a Python process (PyGObject): the running interpreter is
 * used, and calls work whether the caller holds the GIL or not.  Only
 * meaningful as the first use of Python in the process, i.e. when check
 * forks a process per test. */
START_TEST (test_host_interpreter)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = NULL;
  g_autoptr(MailsyncPythonFunc) func = NULL;
  g_autofree char *got = NULL;
  g_autofree char *pythonhome = g_strdup (g_getenv ("PYTHONHOME"));
  ThreadData data;
  GThread *thread;
  char *failure;

  if (Py_IsInitialized ())
    return;                     /* CK_FORK=no: an earlier test started it */

  /* A bogus PYTHONHOME (set in main) would make Py_InitializeEx abort. */
  g_unsetenv ("PYTHONHOME");
  Py_InitializeEx (0);
  if (pythonhome)
    g_setenv ("PYTHONHOME", pythonhome, TRUE);

  /* This thread holds the GIL, as a Python caller does. */
  py = new_with_pythonfile ();
  func = _mailsync_python_compile (py, "lambda f: re.sub(r'\\.', '/', f)", WHERE, &error);
  ck_assert_no_error (error);
  got = _mailsync_python_call_string (func, "a.b", &error);
  ck_assert_str_eq (got, "a/b");

  /* The host's state is ours to see: the namespace lives in its sys. */
  ck_assert (PyRun_SimpleString ("import sys; assert 're' in sys.modules") == 0);

  /* And from another thread once the host lets go of the GIL. */
  {
    PyThreadState *state = PyEval_SaveThread ();
    g_autoptr(MailsyncPythonFunc) filter = _mailsync_python_compile (py, "lambda f: int(f.split('f')[-1]) % 2 == 0",
                                                                     "rc:13: folderfilter", &error);

    data = (ThreadData) { py, func, filter, 9 };
    thread = g_thread_new ("python-host-test", thread_func, &data);
    failure = g_thread_join (thread);
    ck_assert_msg (failure == NULL, "%s", failure);
    g_clear_pointer (&filter, _mailsync_python_func_free);
    PyEval_RestoreThread (state);
  }
  g_clear_pointer (&func, _mailsync_python_func_free);
  g_clear_pointer (&py, _mailsync_python_free);
}
END_TEST

void
check_python_add_runtime_tests (TCase *tc)
{
  tcase_add_test (tc, test_refcounts);
  tcase_add_test (tc, test_threads);
  tcase_add_test (tc, test_quiet_stderr);
  tcase_add_test (tc, test_host_interpreter);
}

#endif /* HAVE_PYTHON_EMBED */
