/* Embedded Python for offlineimap's expression options: nametrans,
 * folderfilter, foldersort, folderincludes, *eval with a pythonfile,
 * mbnames, copy_ignore_eval, newmail_hook; error messages; threads; and,
 * built without python3-embed, the refusals. */
#include "config.h"

#ifdef HAVE_PYTHON_EMBED
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#endif

#include "check-python.h"

#ifdef HAVE_PYTHON_EMBED

char *
data_path (const char *name)
{
  return g_build_filename (TEST_SRCDIR, "data", "python", name, NULL);
}

MailsyncPython *
new_with_pythonfile (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = data_path ("offlineimap.py");
  MailsyncPython *py = _mailsync_python_new (path, &error);

  ck_assert_no_error (error);
  ck_assert_ptr_nonnull (py);
  return py;
}

static char *
translate (MailsyncPython *py, const char *expression, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPythonFunc) func = _mailsync_python_compile (py, expression, WHERE, &error);
  char *ret;

  ck_assert_no_error (error);
  ck_assert_ptr_nonnull (func);
  ret = _mailsync_python_call_string (func, name, &error);
  ck_assert_no_error (error);
  ck_assert_ptr_nonnull (ret);
  return ret;
}

#define assert_translates(py, expr, in, out) G_STMT_START { \
    g_autofree char *_got = translate ((py), (expr), (in)); \
    ck_assert_str_eq (_got, (out)); \
  } G_STMT_END

/* The first use may come from several engine threads at once. */
static gpointer
start_func (gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = _mailsync_python_new (NULL, &error);
  g_autofree char *got = NULL;

  if (py == NULL)
    return g_strdup (error->message);
  got = _mailsync_python_eval_string (py, "re.sub('a', 'b', 'aa')", "w", &error);
  if (got == NULL || !g_str_equal (got, "bb"))
    return g_strdup (got ? got : error->message);
  return NULL;
}

START_TEST (test_concurrent_start)
{
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("python-start", start_func, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_autofree char *failure = g_thread_join (threads[i]);

      ck_assert_msg (failure == NULL, "%s", failure);
    }
}
END_TEST

START_TEST (test_available)
{
  ck_assert (_mailsync_python_is_available ());
}
END_TEST

START_TEST (test_nametrans)
{
  g_autoptr(MailsyncPython) py = _mailsync_python_new (NULL, NULL);

  ck_assert_ptr_nonnull (py);
  /* re is there without a pythonfile, as offlineimap gives it. */
  assert_translates (py, "lambda f: re.sub('^INBOX$', 'inbox', f)", "INBOX", "inbox");
  assert_translates (py, "lambda f: re.sub('^INBOX$', 'inbox', f)", "INBOX.x", "INBOX.x");
  assert_translates (py, "lambda folder: re.sub(r'^\\[Gmail\\]/', '', folder)",
                     "[Gmail]/Sent Mail", "Sent Mail");
  assert_translates (py, "lambda f: re.sub(r'\\.', '/', f)", "a.b.c", "a/b/c");
  /* The common dict lookup with a fallback. */
  assert_translates (py, "lambda f: {'Sent': '[Gmail]/Sent Mail', 'Drafts': '[Gmail]/Drafts'}.get(f, f)",
                     "Sent", "[Gmail]/Sent Mail");
  assert_translates (py, "lambda f: {'Sent': '[Gmail]/Sent Mail'}.get(f, f)", "Other", "Other");
  /* UTF-8 in and out. */
  assert_translates (py, "lambda f: f.upper()", "Entwürfe", "ENTWÜRFE");
  assert_translates (py, "lambda f: 'Gelöscht' if f == 'Trash' else f", "Trash", "Gelöscht");
  /* Leading blanks, and a value continued on a second line (configparser
   * joins continuation lines with a newline). */
  assert_translates (py, "  lambda f: f + '!'", "x", "x!");
  assert_translates (py, "lambda f: re.sub('a',\n'b', f)", "aa", "bb");
}
END_TEST

START_TEST (test_nametrans_pythonfile)
{
  g_autoptr(MailsyncPython) py = new_with_pythonfile ();

  assert_translates (py, "nametrans_remote", "[Gmail]/Sent Mail", "sent");
  assert_translates (py, "nametrans_remote", "[Gmail]/Starred", "Starred");
  assert_translates (py, "lambda f: LOCAL_TO_REMOTE.get(f, f)", "drafts", "[Gmail]/Drafts");
  assert_translates (py, "lambda f: LOCAL_TO_REMOTE.get(f, f)", "INBOX", "INBOX");
}
END_TEST

static gboolean
filter (MailsyncPythonFunc *func, const char *a, const char *b)
{
  g_autoptr(GError) error = NULL;
  const char *args[] = { a, b, NULL };
  gboolean result = 42;

  ck_assert (_mailsync_python_call_bool (func, args, &result, &error));
  ck_assert_no_error (error);
  ck_assert (result == TRUE || result == FALSE);
  return result;
}

START_TEST (test_folderfilter)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = _mailsync_python_new (NULL, NULL);
  g_autoptr(MailsyncPythonFunc) notin = NULL, match = NULL, ints = NULL, mb = NULL, raises = NULL;
  const char *args[] = { "x", NULL };
  gboolean result = FALSE;

  notin = _mailsync_python_compile (py, "lambda f: f not in ['Trash', 'Spam']", WHERE, &error);
  ck_assert_no_error (error);
  ck_assert (filter (notin, "INBOX", NULL));
  ck_assert (!filter (notin, "Trash", NULL));
  ck_assert (!filter (notin, "Spam", NULL));

  match = _mailsync_python_compile (py, "lambda f: re.search('^Lists/', f)", WHERE, &error);
  ck_assert_no_error (error);
  ck_assert (filter (match, "Lists/dev", NULL));        /* a Match object is true */
  ck_assert (!filter (match, "INBOX", NULL));           /* None is false */

  /* offlineimap's own default is `lambda foldername: 1`. */
  ints = _mailsync_python_compile (py, "lambda f: len(f) - 5", WHERE, &error);
  ck_assert_no_error (error);
  ck_assert (filter (ints, "INBOX6", NULL));
  ck_assert (!filter (ints, "INBOX", NULL));

  /* mbnames folderfilter takes (account, folder). */
  mb = _mailsync_python_compile (py, "lambda acct, f: acct == 'Work' and f.startswith('INBOX')",
                                 "test.rc:40: folderfilter", &error);
  ck_assert_no_error (error);
  ck_assert (filter (mb, "Work", "INBOX.x"));
  ck_assert (!filter (mb, "Home", "INBOX.x"));
  ck_assert (!filter (mb, "Work", "Sent"));

  /* A value that cannot be made a bool. */
  raises = _mailsync_python_compile (py, "lambda f: type('NoBool', (), {'__bool__': lambda s: 1 / 0})()",
                                     WHERE, &error);
  ck_assert_no_error (error);
  ck_assert (!_mailsync_python_call_bool (raises, args, &result, &error));
  assert_error (error, MAILSYNC_ERROR_FAILED, WHERE ": ZeroDivisionError: division by zero");
  g_clear_error (&error);

  /* Wrong number of arguments: a TypeError from the call itself. */
  ck_assert (!_mailsync_python_call_bool (mb, args, &result, &error));
  assert_error_prefix (error, MAILSYNC_ERROR_FAILED, "test.rc:40: folderfilter: TypeError: ");
}
END_TEST

static int
compare_with (gconstpointer a, gconstpointer b, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  int result = 99;

  ck_assert (_mailsync_python_call_compare (user_data, *(const char **) a, *(const char **) b,
                                            &result, &error));
  ck_assert_no_error (error);
  ck_assert (result >= -1 && result <= 1);
  return result;
}

START_TEST (test_foldersort)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = _mailsync_python_new (NULL, NULL);
  g_autoptr(MailsyncPythonFunc) cmp = NULL, boolcmp = NULL, bad = NULL;
  const char *names[] = { "Sent", "archive", "INBOX", "Drafts", "INBOX.sub" };
  const char *expected[] = { "INBOX", "Drafts", "INBOX.sub", "Sent", "archive" };
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  int result = 0;

  /* The manual's example: INBOX first, then the rest by plain cmp. */
  cmp = _mailsync_python_compile (py,
      "lambda x, y: -1 if x == 'INBOX' else 1 if y == 'INBOX' else (x > y) - (x < y)",
      "test.rc:20: foldersort", &error);
  ck_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_ptr_array_add (list, (gpointer) names[i]);
  g_ptr_array_sort_with_data (list, compare_with, cmp);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    ck_assert_str_eq (g_ptr_array_index (list, i), expected[i]);

  /* Anything that compares with 0 will do: floats, bools. */
  boolcmp = _mailsync_python_compile (py, "lambda x, y: (len(x) - len(y)) * 0.5", "w", &error);
  ck_assert_no_error (error);
  ck_assert (_mailsync_python_call_compare (boolcmp, "aa", "a", &result, &error));
  ck_assert_int_eq (result, 1);
  ck_assert (_mailsync_python_call_compare (boolcmp, "a", "aa", &result, &error));
  ck_assert_int_eq (result, -1);
  ck_assert (_mailsync_python_call_compare (boolcmp, "a", "b", &result, &error));
  ck_assert_int_eq (result, 0);

  bad = _mailsync_python_compile (py, "lambda x, y: x", "test.rc:20: foldersort", &error);
  ck_assert_no_error (error);
  ck_assert (!_mailsync_python_call_compare (bad, "a", "b", &result, &error));
  assert_error (error, MAILSYNC_ERROR_FAILED,
                "test.rc:20: foldersort: TypeError: expected a number, got str");
}
END_TEST

START_TEST (test_eval_pythonfile)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = new_with_pythonfile ();
  g_autoptr(MailsyncPython) other = new_with_pythonfile ();
  g_autofree char *pass = NULL, *pass2 = NULL, *first = NULL, *second = NULL;
  g_autofree char *again = NULL, *helper = NULL, *none = NULL;
  g_autofree char *header = NULL, *sep = NULL, *footer = NULL;

  pass = _mailsync_python_eval_string (py, "get_password(\"work\")", "rc:30: remotepasseval", &error);
  ck_assert_no_error (error);
  ck_assert_str_eq (pass, "hunter2");
  /* bytes are accepted, as offlineimap decodes them */
  pass2 = _mailsync_python_eval_string (py, "get_password_bytes('home')", "rc:30: remotepasseval", &error);
  ck_assert_no_error (error);
  ck_assert_str_eq (pass2, "correct horse");

  /* The pythonfile ran once: its state lives on between expressions, and
   * another namespace has its own. */
  first = _mailsync_python_eval_string (py, "counter()", "w", &error);
  second = _mailsync_python_eval_string (py, "counter()", "w", &error);
  again = _mailsync_python_eval_string (other, "counter()", "w", &error);
  ck_assert_no_error (error);
  ck_assert_str_eq (first, "1");
  ck_assert_str_eq (second, "2");
  ck_assert_str_eq (again, "1");

  /* The `if __name__ == "__main__"` block did not run (it would have
   * raised SystemExit), and PYTHONPATH reached the pythonfile's import. */
  none = _mailsync_python_eval_string (py, "__name__", "w", &error);
  ck_assert_no_error (error);
  ck_assert_str_eq (none, "<none>");
  helper = _mailsync_python_eval_string (py, "helper_name()", "w", &error);
  ck_assert_no_error (error);
  ck_assert_str_eq (helper, "helper from PYTHONPATH");

  /* mbnames header, sep, footer */
  header = _mailsync_python_eval_string (py, "\"mailboxes \"", "rc:2: header", &error);
  sep = _mailsync_python_eval_string (py, "\" \"", "rc:4: sep", &error);
  footer = _mailsync_python_eval_string (py, "\"\\n\"", "rc:5: footer", &error);
  ck_assert_no_error (error);
  ck_assert_str_eq (header, "mailboxes ");
  ck_assert_str_eq (sep, " ");
  ck_assert_str_eq (footer, "\n");
}
END_TEST

START_TEST (test_eval_password_errors)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = new_with_pythonfile ();
  char *value;

  value = _mailsync_python_eval_string (py, "get_password('nope')", "rc:30: remotepasseval", &error);
  ck_assert_ptr_null (value);
  assert_error (error, MAILSYNC_ERROR_FAILED, "rc:30: remotepasseval: KeyError: 'nope'");
  g_clear_error (&error);

  /* A wrong type or bad bytes: the message never quotes the value. */
  value = _mailsync_python_eval_string (py, "get_password_int()", "rc:30: remotepasseval", &error);
  ck_assert_ptr_null (value);
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG,
                "rc:30: remotepasseval: TypeError: expected str or bytes, got int");
  g_clear_error (&error);

  value = _mailsync_python_eval_string (py, "get_password_bad_bytes()", "rc:30: remotepasseval", &error);
  ck_assert_ptr_null (value);
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG,
                "rc:30: remotepasseval: UnicodeDecodeError: the value is not valid UTF-8");
  g_clear_error (&error);

  value = _mailsync_python_eval_string (py, "'pass\\x00word'", "rc:30: remotepasseval", &error);
  ck_assert_ptr_null (value);
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG,
                "rc:30: remotepasseval: ValueError: the value contains a NUL character");
  g_clear_error (&error);

  /* A syntax error does not quote the source line (it may be a password). */
  value = _mailsync_python_eval_string (py, "\"hunter2", "rc:30: remotepasseval", &error);
  ck_assert_ptr_null (value);
  assert_error_prefix (error, MAILSYNC_ERROR_INVALID_CONFIG, "rc:30: remotepasseval: SyntaxError: ");
  ck_assert_ptr_null (strstr (error->message, "hunter2"));
  g_clear_error (&error);

  /* A secret's exception message is not quoted either: a forgotten pair
   * of quotes (NameError) or a conversion (ValueError) repeats the value. */
  {
    static const char *const exprs[] = { "hunter2", "int('hunter2')", "{}['hunter2']", "\"hunter2" };
    static const char *const types[] = { "NameError", "ValueError", "KeyError", "SyntaxError" };

    for (guint i = 0; i < G_N_ELEMENTS (exprs); i++)
      {
        g_autofree char *expected = g_strdup_printf ("rc:30: remotepasseval: %s (its message is not shown: "
                                                     "it may quote the secret)", types[i]);

        value = _mailsync_python_eval_secret (py, exprs[i], "rc:30: remotepasseval", &error);
        ck_assert_ptr_null (value);
        ck_assert_msg (error != NULL && strcmp (error->message, expected) == 0, "%s",
                       error ? error->message : "no error");
        g_clear_error (&error);
      }
    value = _mailsync_python_eval_secret (py, "get_password('work')", "rc:30: remotepasseval", &error);
    ck_assert_no_error (error);
    ck_assert_ptr_nonnull (value);
    g_free (value);
  }
}
END_TEST

START_TEST (test_eval_lists_and_ints)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = new_with_pythonfile ();
  g_auto(GStrv) includes = NULL, idle = NULL, empty = NULL, tuple = NULL;
  char **bad;
  gint64 port = 0;

  includes = _mailsync_python_eval_strv (py, "['A', 'B', 'Entwürfe']", "rc:8: folderincludes", &error);
  ck_assert_no_error (error);
  ck_assert_uint_eq (g_strv_length (includes), 3);
  ck_assert_str_eq (includes[0], "A");
  ck_assert_str_eq (includes[1], "B");
  ck_assert_str_eq (includes[2], "Entwürfe");

  idle = _mailsync_python_eval_strv (py, "IDLE", "rc:9: idlefolders", &error);
  ck_assert_no_error (error);
  ck_assert_uint_eq (g_strv_length (idle), 2);
  ck_assert_str_eq (idle[1], "Lists/dev");

  empty = _mailsync_python_eval_strv (py, "[]", "rc:9: idlefolders", &error);
  ck_assert_no_error (error);
  ck_assert_uint_eq (g_strv_length (empty), 0);

  tuple = _mailsync_python_eval_strv (py, "tuple(f for f in ['x', 'y'] if re.match('x', f))",
                                      "rc:8: folderincludes", &error);
  ck_assert_no_error (error);
  ck_assert_uint_eq (g_strv_length (tuple), 1);

  /* A bare string is refused: offlineimap would iterate its characters. */
  bad = _mailsync_python_eval_strv (py, "'INBOX'", "rc:8: folderincludes", &error);
  ck_assert_ptr_null (bad);
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG,
                "rc:8: folderincludes: TypeError: expected a list of str, got str");
  g_clear_error (&error);
  bad = _mailsync_python_eval_strv (py, "['A', 2]", "rc:8: folderincludes", &error);
  ck_assert_ptr_null (bad);
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG,
                "rc:8: folderincludes: TypeError: expected a list of str, item 1 is int");
  g_clear_error (&error);

  ck_assert (_mailsync_python_eval_int (py, "993", "rc:7: remoteporteval", &port, &error));
  ck_assert_no_error (error);
  ck_assert_int_eq (port, 993);
  ck_assert (_mailsync_python_eval_int (py, "int('1143')", "rc:7: remoteporteval", &port, &error));
  ck_assert_int_eq (port, 1143);
  ck_assert (!_mailsync_python_eval_int (py, "'993'", "rc:7: remoteporteval", &port, &error));
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG,
                "rc:7: remoteporteval: TypeError: expected int, got str");
  g_clear_error (&error);
  ck_assert (!_mailsync_python_eval_int (py, "2 ** 80", "rc:7: remoteporteval", &port, &error));
  assert_error_prefix (error, MAILSYNC_ERROR_INVALID_CONFIG, "rc:7: remoteporteval: OverflowError: ");
  ck_assert_int_eq (port, 1143);
}
END_TEST

START_TEST (test_syntax_error)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = _mailsync_python_new (NULL, NULL);
  MailsyncPythonFunc *func;

  func = _mailsync_python_compile (py, "lambda f: re.sub('a', 'b', f", WHERE, &error);
  ck_assert_ptr_null (func);
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG, WHERE ": SyntaxError: '(' was never closed");
  g_clear_error (&error);

  /* A statement is not an expression. */
  func = _mailsync_python_compile (py, "def f(x): return x", WHERE, &error);
  ck_assert_ptr_null (func);
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG, WHERE ": SyntaxError: invalid syntax");
  g_clear_error (&error);

  /* Not callable: a config error too. */
  func = _mailsync_python_compile (py, "{'a': 'b'}", WHERE, &error);
  ck_assert_ptr_null (func);
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG, WHERE ": TypeError: expected a callable, got dict");
}
END_TEST

START_TEST (test_runtime_error)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = new_with_pythonfile ();
  g_autoptr(MailsyncPythonFunc) lookup = NULL, div = NULL, fails = NULL, regex = NULL;
  MailsyncPythonFunc *func;
  char *s;

  /* A name unknown when the option is read. */
  func = _mailsync_python_compile (py, "no_such_function", WHERE, &error);
  ck_assert_ptr_null (func);
  assert_error (error, MAILSYNC_ERROR_FAILED, WHERE ": NameError: name 'no_such_function' is not defined");
  g_clear_error (&error);

  lookup = _mailsync_python_compile (py, "lambda f: {'INBOX': 'inbox'}[f]", WHERE, &error);
  ck_assert_no_error (error);
  s = _mailsync_python_call_string (lookup, "Spam", &error);
  ck_assert_ptr_null (s);
  assert_error (error, MAILSYNC_ERROR_FAILED, WHERE ": KeyError: 'Spam'");
  g_clear_error (&error);

  div = _mailsync_python_compile (py, "lambda f: f[1 // 0]", WHERE, &error);
  ck_assert_no_error (error);
  s = _mailsync_python_call_string (div, "x", &error);
  assert_error (error, MAILSYNC_ERROR_FAILED, WHERE ": ZeroDivisionError: integer division or modulo by zero");
  g_clear_error (&error);

  /* Raised in a pythonfile function */
  fails = _mailsync_python_compile (py, "fails", WHERE, &error);
  ck_assert_no_error (error);
  s = _mailsync_python_call_string (fails, "INBOX", &error);
  assert_error (error, MAILSYNC_ERROR_FAILED, WHERE ": RuntimeError: cannot translate INBOX");
  g_clear_error (&error);

  /* A long message is cut (on a character boundary), a multi-line one
   * joined. */
  func = _mailsync_python_compile (py, "lambda f: exec('raise ValueError(\"ü\" * 400 + \"\\\\nend\")')",
                                   WHERE, &error);
  ck_assert_no_error (error);
  s = _mailsync_python_call_string (func, "x", &error);
  _mailsync_python_func_free (func);
  assert_error_prefix (error, MAILSYNC_ERROR_FAILED, WHERE ": ValueError: üüü");
  ck_assert (g_str_has_suffix (error->message, "ü…"));
  ck_assert (g_utf8_validate (error->message, -1, NULL));
  ck_assert_uint_le (strlen (error->message), strlen (WHERE ": ValueError: ") + 500 + strlen ("…"));
  g_clear_error (&error);

  func = _mailsync_python_compile (py, "lambda f: exec('raise ValueError(\"two\\\\nlines\")')",
                                   WHERE, &error);
  s = _mailsync_python_call_string (func, "x", &error);
  _mailsync_python_func_free (func);
  assert_error (error, MAILSYNC_ERROR_FAILED, WHERE ": ValueError: two lines");
  g_clear_error (&error);

  /* A non-builtin exception is named with its module, as a traceback does. */
  regex = _mailsync_python_compile (py, "lambda f: re.sub('(', '', f)", WHERE, &error);
  ck_assert_no_error (error);
  s = _mailsync_python_call_string (regex, "x", &error);
  assert_error_prefix (error, MAILSYNC_ERROR_FAILED, WHERE ": re.error: missing ), unterminated subpattern");
}
END_TEST

START_TEST (test_non_str_result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = _mailsync_python_new (NULL, NULL);
  static const struct { const char *expr; const char *type; } cases[] = {
    { "lambda f: 42", "int" },
    { "lambda f: None", "NoneType" },
    { "lambda f: f.encode()", "bytes" },
    { "lambda f: [f]", "list" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MailsyncPythonFunc) func = _mailsync_python_compile (py, cases[i].expr, WHERE, &error);
      g_autofree char *expected = g_strdup_printf (WHERE ": TypeError: expected str, got %s", cases[i].type);
      char *s;

      ck_assert_no_error (error);
      s = _mailsync_python_call_string (func, "INBOX", &error);
      ck_assert_ptr_null (s);
      assert_error (error, MAILSYNC_ERROR_FAILED, expected);
      g_clear_error (&error);
    }
}
END_TEST

START_TEST (test_pythonfile_errors)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = data_path ("no-such-file.py");
  g_autofree char *syntax = data_path ("syntax-error.py");
  g_autofree char *raises = data_path ("raises.py");
  g_autofree char *latin1 = data_path ("latin1.py");
  g_autofree char *nul = data_path ("nul.py");
  g_autofree char *expected = NULL;
  g_autofree char *name = NULL;
  MailsyncPython *py;
  g_autoptr(MailsyncPython) latin = NULL;

  py = _mailsync_python_new (missing, &error);
  ck_assert_ptr_null (py);
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG));
  ck_assert_msg (strstr (error->message, missing) != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, "No such file") != NULL, "%s", error->message);
  ck_assert_msg (strchr (error->message, '\n') == NULL, "%s", error->message);
  g_clear_error (&error);

  /* A NUL byte would silently cut the source short. */
  py = _mailsync_python_new (nul, &error);
  ck_assert_ptr_null (py);
  expected = g_strdup_printf ("%s: SyntaxError: source code cannot contain null bytes", nul);
  assert_error (error, MAILSYNC_ERROR_INVALID_CONFIG, expected);
  g_clear_pointer (&expected, g_free);
  g_clear_error (&error);

  py = _mailsync_python_new (syntax, &error);
  ck_assert_ptr_null (py);
  expected = g_strdup_printf ("%s:2: SyntaxError: ", syntax);
  assert_error_prefix (error, MAILSYNC_ERROR_INVALID_CONFIG, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);

  py = _mailsync_python_new (raises, &error);
  ck_assert_ptr_null (py);
  expected = g_strdup_printf ("%s:5: RuntimeError: pythonfile failed on purpose", raises);
  assert_error (error, MAILSYNC_ERROR_FAILED, expected);
  g_clear_error (&error);

  /* A PEP 263 coding line is honoured, as when Python imports the file. */
  latin = _mailsync_python_new (latin1, &error);
  ck_assert_no_error (error);
  name = _mailsync_python_eval_string (latin, "NAME", "w", &error);
  ck_assert_no_error (error);
  ck_assert_str_eq (name, "Entwürfe");
}
END_TEST

START_TEST (test_hooks)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = new_with_pythonfile ();
  g_autoptr(MailsyncPythonFunc) hook = NULL, ignore = NULL, badignore = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autofree char *count = NULL;

  /* newmail_hook */
  hook = _mailsync_python_compile (py, "newmail", "rc:50: newmail_hook", &error);
  ck_assert_no_error (error);
  ck_assert (_mailsync_python_call_void (hook, &error));
  ck_assert (_mailsync_python_call_void (hook, &error));
  ck_assert_no_error (error);
  count = _mailsync_python_eval_string (py, "str(len(hooked))", "w", &error);
  ck_assert_str_eq (count, "2");

  /* copy_ignore_eval */
  ignore = _mailsync_python_compile (py, "lambda f: [1, 7, '42'] if f == 'INBOX' else None",
                                     "rc:51: copy_ignore_eval", &error);
  ck_assert_no_error (error);
  ck_assert (_mailsync_python_call_uids (ignore, "INBOX", &uids, &error));
  ck_assert_no_error (error);
  ck_assert_ptr_nonnull (uids);
  ck_assert_uint_eq (uids->len, 3);
  ck_assert_uint_eq (g_array_index (uids, guint32, 0), 1);
  ck_assert_uint_eq (g_array_index (uids, guint32, 1), 7);
  ck_assert_uint_eq (g_array_index (uids, guint32, 2), 42);
  g_clear_pointer (&uids, g_array_unref);
  ck_assert (_mailsync_python_call_uids (ignore, "Sent", &uids, &error));
  ck_assert_ptr_null (uids);

  badignore = _mailsync_python_compile (py, "lambda f: [1, -3]", "rc:51: copy_ignore_eval", &error);
  ck_assert (!_mailsync_python_call_uids (badignore, "INBOX", &uids, &error));
  ck_assert_ptr_null (uids);
  assert_error (error, MAILSYNC_ERROR_FAILED,
                "rc:51: copy_ignore_eval: ValueError: item 1 is not a UID (a positive 32-bit int)");
}
END_TEST

GHashTable *
mbnames_item (const char *account, const char *folder)
{
  GHashTable *item = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (item, "accountname", g_strdup (account));
  g_hash_table_insert (item, "foldername", g_strdup (folder));
  g_hash_table_insert (item, "localfolders", g_strdup ("/home/u/Mail"));
  return item;
}

START_TEST (test_mbnames_sort)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncPython) py = new_with_pythonfile ();
  g_autoptr(MailsyncPythonFunc) byname = NULL, bylen = NULL, broken = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);

  g_ptr_array_add (items, mbnames_item ("Work", "Sent"));
  g_ptr_array_add (items, mbnames_item ("Home", "INBOX"));
  g_ptr_array_add (items, mbnames_item ("Work", "INBOX"));
  g_ptr_array_add (items, mbnames_item ("Home", "Archive.2023"));

  /* offlineimap's default key */
  byname = _mailsync_python_compile (py, "lambda d: (d['accountname'], d['foldername'])",
                                     "rc:6: sort_keyfunc", &error);
  ck_assert_no_error (error);
  ck_assert (_mailsync_python_sort_dicts (byname, items, &error));
  ck_assert_no_error (error);
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[0], "foldername"), "Archive.2023");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[1], "foldername"), "INBOX");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[1], "accountname"), "Home");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[2], "accountname"), "Work");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[3], "foldername"), "Sent");

  /* Stable: equal keys keep their order. */
  bylen = _mailsync_python_compile (py, "lambda d: len(d['foldername']) > 5", "rc:6: sort_keyfunc", &error);
  ck_assert (_mailsync_python_sort_dicts (bylen, items, &error));
  ck_assert_no_error (error);
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[0], "foldername"), "INBOX");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[0], "accountname"), "Home");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[1], "accountname"), "Work");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[2], "foldername"), "Sent");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[3], "foldername"), "Archive.2023");

  /* An error leaves the order alone. */
  broken = _mailsync_python_compile (py, "lambda d: d['folder']", "rc:6: sort_keyfunc", &error);
  ck_assert (!_mailsync_python_sort_dicts (broken, items, &error));
  assert_error (error, MAILSYNC_ERROR_FAILED, "rc:6: sort_keyfunc: KeyError: 'folder'");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[0], "foldername"), "INBOX");
  ck_assert_str_eq (g_hash_table_lookup (items->pdata[3], "foldername"), "Archive.2023");
}
END_TEST

#else /* !HAVE_PYTHON_EMBED */

START_TEST (test_not_supported)
{
  g_autoptr(GError) error = NULL;
  gint64 port;
  gboolean keep;
  const char *args[] = { "INBOX", NULL };

  ck_assert (!_mailsync_python_is_available ());

  ck_assert_ptr_null (_mailsync_python_new ("/home/u/.offlineimap.py", &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED));
  ck_assert_str_eq (error->message, "/home/u/.offlineimap.py: Python expressions are not supported "
                    "by this build of mailsync (built without python3-embed)");
  g_clear_error (&error);

  ck_assert_ptr_null (_mailsync_python_compile (NULL, "lambda f: f", WHERE, &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED));
  ck_assert_str_eq (error->message, WHERE ": Python expressions are not supported "
                    "by this build of mailsync (built without python3-embed)");
  g_clear_error (&error);

  ck_assert_ptr_null (_mailsync_python_eval_string (NULL, "get_pass()", "rc:3: remotepasseval", &error));
  ck_assert (g_str_has_prefix (error->message, "rc:3: remotepasseval: "));
  g_clear_error (&error);
  ck_assert_ptr_null (_mailsync_python_eval_strv (NULL, "['A']", "rc:4: folderincludes", &error));
  ck_assert (g_str_has_prefix (error->message, "rc:4: folderincludes: "));
  g_clear_error (&error);
  ck_assert (!_mailsync_python_eval_int (NULL, "993", "rc:5: remoteporteval", &port, &error));
  ck_assert (g_str_has_prefix (error->message, "rc:5: remoteporteval: "));
  g_clear_error (&error);
  ck_assert (!_mailsync_python_call_bool (NULL, args, &keep, &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED));
  _mailsync_python_free (NULL);
  _mailsync_python_func_free (NULL);
}
END_TEST

#endif

static Suite *
python_suite (void)
{
  Suite *s = suite_create ("python");
  TCase *tc = tcase_create ("python");

#ifdef HAVE_PYTHON_EMBED
  /* First, so that it starts the interpreter even with CK_FORK=no. */
  tcase_add_test (tc, test_concurrent_start);
  tcase_add_test (tc, test_available);
  tcase_add_test (tc, test_nametrans);
  tcase_add_test (tc, test_nametrans_pythonfile);
  tcase_add_test (tc, test_folderfilter);
  tcase_add_test (tc, test_foldersort);
  tcase_add_test (tc, test_eval_pythonfile);
  tcase_add_test (tc, test_eval_password_errors);
  tcase_add_test (tc, test_eval_lists_and_ints);
  tcase_add_test (tc, test_syntax_error);
  tcase_add_test (tc, test_runtime_error);
  tcase_add_test (tc, test_non_str_result);
  tcase_add_test (tc, test_pythonfile_errors);
  tcase_add_test (tc, test_hooks);
  tcase_add_test (tc, test_mbnames_sort);
  /* check-python-runtime.c: refcounts, threads, quiet stderr, host interpreter */
  check_python_add_runtime_tests (tc);
#else
  tcase_add_test (tc, test_not_supported);
#endif
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
#ifdef HAVE_PYTHON_EMBED
  g_autofree char *lib = g_build_filename (TEST_SRCDIR, "data", "python", "lib", NULL);

  /* PYTHONPATH is honoured (the pythonfile imports from it); a broken
   * PYTHONHOME must not stop the interpreter from starting. */
  g_setenv ("PYTHONPATH", lib, TRUE);
  g_setenv ("PYTHONHOME", "/nonexistent/python-home", TRUE);
#endif
  return mailsync_test_run (python_suite ());
}
