/* The embedded CPython module's own parts, shared by its two files:
 * mailsync-python-module.c (starting the interpreter, errors from Python,
 * the pythonfile namespace, the module's entry point) and
 * mailsync-python-module-eval.c (evaluating expressions, calling the
 * callables they give).  Include after <Python.h>.  Not installed; the
 * module is built with -fvisibility=hidden, so nothing here is exported. */
#pragma once

#include "mailsync-error.h"
#include "modules/mailsync-python-module.h"

G_BEGIN_DECLS

/* The module does not link libmailsync: the library hands it its error
 * domain when it loads the module (mailsync_python_module_get()). */
extern GQuark _mailsync_python_error_domain;
#undef MAILSYNC_ERROR
#define MAILSYNC_ERROR _mailsync_python_error_domain

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

/* mailsync-python-module.c */
gboolean _mailsync_python_ensure_interpreter (const char *where, GError **error);
void     _mailsync_python_set_error_full     (GError **error, gint code, const char *where,
                                              const char *source, gboolean quote_message);
void     _mailsync_python_set_error          (GError **error, gint code, const char *where,
                                              const char *source);

/* mailsync-python-module-eval.c: the entries of the module's table
 * (MailsyncPythonModule) after new and free. */
MailsyncPythonFunc *_mailsync_python_module_compile      (MailsyncPython *py, const char *expression,
                                                          const char *where, GError **error);
void                _mailsync_python_module_func_free    (MailsyncPythonFunc *func);
char               *_mailsync_python_module_eval_string  (MailsyncPython *py, const char *expression,
                                                          const char *where, GError **error);
char               *_mailsync_python_module_eval_secret  (MailsyncPython *py, const char *expression,
                                                          const char *where, GError **error);
char              **_mailsync_python_module_eval_strv    (MailsyncPython *py, const char *expression,
                                                          const char *where, GError **error);
gboolean            _mailsync_python_module_eval_int     (MailsyncPython *py, const char *expression,
                                                          const char *where, gint64 *value, GError **error);
char               *_mailsync_python_module_call_string  (MailsyncPythonFunc *func, const char *arg,
                                                          GError **error);
gboolean            _mailsync_python_module_call_bool    (MailsyncPythonFunc *func, const char * const *args,
                                                          gboolean *result, GError **error);
gboolean            _mailsync_python_module_call_compare (MailsyncPythonFunc *func, const char *a,
                                                          const char *b, int *result, GError **error);
gboolean            _mailsync_python_module_call_void    (MailsyncPythonFunc *func, GError **error);
gboolean            _mailsync_python_module_call_uids    (MailsyncPythonFunc *func, const char *arg,
                                                          GArray **uids, GError **error);
gboolean            _mailsync_python_module_sort_dicts   (MailsyncPythonFunc *func, GPtrArray *dicts,
                                                          GError **error);

G_END_DECLS
