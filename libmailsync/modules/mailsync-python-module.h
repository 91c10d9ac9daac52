#pragma once

/* The interface between libmailsync and its Python module
 * ($(moduledir)/mailsync-python.so, libmailsync/modules/).
 *
 * The module holds the embedded CPython (it alone links libpython); the
 * library's config/mailsync-python.c loads it on first use and forwards each
 * _mailsync_python_*() call to this table.  Both sides are built from the
 * same tree: the ABI number only catches a stale module left in the module
 * directory by another build. */

#include <glib.h>

#include "config/mailsync-python-private.h"

G_BEGIN_DECLS

#define MAILSYNC_PYTHON_MODULE_NAME   "mailsync-python"
#define MAILSYNC_PYTHON_MODULE_SYMBOL "mailsync_python_module_get"
#define MAILSYNC_PYTHON_MODULE_ABI    1u

typedef struct
{
  guint abi;                    /* MAILSYNC_PYTHON_MODULE_ABI */

  MailsyncPython     *(*new)          (const char *pythonfile, GError **error);
  void                (*free)         (MailsyncPython *py);
  MailsyncPythonFunc *(*compile)      (MailsyncPython *py, const char *expression,
                                       const char *where, GError **error);
  void                (*func_free)    (MailsyncPythonFunc *func);
  char               *(*eval_string)  (MailsyncPython *py, const char *expression,
                                       const char *where, GError **error);
  char               *(*eval_secret)  (MailsyncPython *py, const char *expression,
                                       const char *where, GError **error);
  char              **(*eval_strv)    (MailsyncPython *py, const char *expression,
                                       const char *where, GError **error);
  gboolean            (*eval_int)     (MailsyncPython *py, const char *expression,
                                       const char *where, gint64 *value, GError **error);
  char               *(*call_string)  (MailsyncPythonFunc *func, const char *arg, GError **error);
  gboolean            (*call_bool)    (MailsyncPythonFunc *func, const char * const *args,
                                       gboolean *result, GError **error);
  gboolean            (*call_compare) (MailsyncPythonFunc *func, const char *a, const char *b,
                                       int *result, GError **error);
  gboolean            (*call_void)    (MailsyncPythonFunc *func, GError **error);
  gboolean            (*call_uids)    (MailsyncPythonFunc *func, const char *arg,
                                       GArray **uids, GError **error);
  gboolean            (*sort_dicts)   (MailsyncPythonFunc *func, GPtrArray *dicts, GError **error);
} MailsyncPythonModule;

/* The module's one exported function, MAILSYNC_PYTHON_MODULE_SYMBOL, is a
 * MailsyncModuleGetFunc (libmailsync/mailsync-module-private.h) returning a
 * MailsyncPythonModule. */

G_END_DECLS
