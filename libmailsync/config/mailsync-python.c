/* Embedded Python for offlineimap's expression options: placeholder that
 * refuses every expression until the embedding lands. */
#include "config.h"
#include "mailsync-error.h"
#include "config/mailsync-python-private.h"

gboolean
_mailsync_python_is_available (void)
{
  return FALSE;
}

MailsyncPython *
_mailsync_python_new (const char *pythonfile, GError **error)
{
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
               "Python expressions are not supported by this build of mailsync");
  return NULL;
}

void
_mailsync_python_free (MailsyncPython *py)
{
}

MailsyncPythonFunc *
_mailsync_python_compile (MailsyncPython *py, const char *expression,
                          const char *where, GError **error)
{
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
               "%s: Python expressions are not supported by this build of mailsync", where);
  return NULL;
}

void
_mailsync_python_func_free (MailsyncPythonFunc *func)
{
}

char *
_mailsync_python_eval_string (MailsyncPython *py, const char *expression,
                              const char *where, GError **error)
{
  return (char *) _mailsync_python_compile (py, expression, where, error);
}

char **
_mailsync_python_eval_strv (MailsyncPython *py, const char *expression,
                            const char *where, GError **error)
{
  return (char **) _mailsync_python_compile (py, expression, where, error);
}

gboolean
_mailsync_python_eval_int (MailsyncPython *py, const char *expression,
                           const char *where, gint64 *value, GError **error)
{
  return _mailsync_python_compile (py, expression, where, error) != NULL;
}

char *
_mailsync_python_call_string (MailsyncPythonFunc *func, const char *arg, GError **error)
{
  g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                       "Python expressions are not supported by this build of mailsync");
  return NULL;
}

gboolean
_mailsync_python_call_bool (MailsyncPythonFunc *func, const char * const *args,
                            gboolean *result, GError **error)
{
  return _mailsync_python_call_string (func, NULL, error) != NULL;
}

gboolean
_mailsync_python_call_compare (MailsyncPythonFunc *func, const char *a, const char *b,
                               int *result, GError **error)
{
  return _mailsync_python_call_string (func, NULL, error) != NULL;
}
