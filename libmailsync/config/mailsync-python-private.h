#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Evaluation of offlineimap's Python-expression options (nametrans,
 * folderfilter, folderincludes, foldersort, idlefolders, *eval,
 * pythonfile, mbnames header/sep/footer/folderfilter/sort_keyfunc,
 * copy_ignore_eval, newmail_hook) with an embedded CPython.
 *
 * The interpreter is in a module (mailsync-python.so, see
 * mailsync-module-private.h), loaded on the first call.  Built
 * without Python (configure found no python3-embed, or --without-python),
 * or when the module cannot be loaded, every function fails with
 * MAILSYNC_ERROR_NOT_SUPPORTED and a message naming @where, so a config
 * that needs Python is refused instead of silently misread.
 *
 * Thread safety: callables may be invoked from any thread (the engine calls
 * nametrans/folderfilter from worker threads); every entry point takes the
 * GIL.  When the library is loaded into a Python process (PyGObject), the
 * running interpreter is used rather than a new one. */

typedef struct _MailsyncPython     MailsyncPython;     /* one namespace: pythonfile's globals + re */
typedef struct _MailsyncPythonFunc MailsyncPythonFunc; /* a compiled callable */

/* Loads the module if needed: %FALSE when Python cannot be used */
gboolean            _mailsync_python_is_available   (void);
/* Why the module could not be loaded (loading it if needed); %NULL when it
 * is loaded, or when the library was built without Python */
const char         *_mailsync_python_get_load_error (void);

/* @pythonfile: nullable; its globals become the namespace of every expression */
MailsyncPython     *_mailsync_python_new            (const char          *pythonfile,
                                                     GError             **error);
void                _mailsync_python_free           (MailsyncPython      *py);

/* @where names the option for errors, e.g. "~/.offlineimaprc:12: nametrans" */
MailsyncPythonFunc *_mailsync_python_compile        (MailsyncPython      *py,
                                                     const char          *expression,
                                                     const char          *where,
                                                     GError             **error);
void                _mailsync_python_func_free      (MailsyncPythonFunc  *func);

/* Evaluate to a str (remotepasseval, remotehosteval, mbnames header...) */
char               *_mailsync_python_eval_string    (MailsyncPython      *py,
                                                     const char          *expression,
                                                     const char          *where,
                                                     GError             **error);
/* the same, for a secret: an error never quotes the exception's message */
char               *_mailsync_python_eval_secret    (MailsyncPython      *py,
                                                     const char          *expression,
                                                     const char          *where,
                                                     GError             **error);
/* Evaluate to a list of str (folderincludes, idlefolders) */
char              **_mailsync_python_eval_strv      (MailsyncPython      *py,
                                                     const char          *expression,
                                                     const char          *where,
                                                     GError             **error);
/* Evaluate to an int (remoteporteval) */
gboolean            _mailsync_python_eval_int       (MailsyncPython      *py,
                                                     const char          *expression,
                                                     const char          *where,
                                                     gint64              *value,
                                                     GError             **error);

/* f(str) -> str  (nametrans) */
char               *_mailsync_python_call_string    (MailsyncPythonFunc  *func,
                                                     const char          *arg,
                                                     GError             **error);
/* f(str) -> bool (folderfilter, mbnames folderfilter takes (account, folder)) */
gboolean            _mailsync_python_call_bool      (MailsyncPythonFunc  *func,
                                                     const char * const  *args,
                                                     gboolean            *result,
                                                     GError             **error);
/* f(a, b) -> int  (foldersort: a cmp function, as offlineimap uses it) */
gboolean            _mailsync_python_call_compare   (MailsyncPythonFunc  *func,
                                                     const char          *a,
                                                     const char          *b,
                                                     int                 *result,
                                                     GError             **error);

/* f() (newmail_hook); the result is ignored */
gboolean            _mailsync_python_call_void      (MailsyncPythonFunc  *func,
                                                     GError             **error);
/* f(folder) -> list of UIDs or None (copy_ignore_eval); *uids is a
 * GArray of guint32, NULL for None */
gboolean            _mailsync_python_call_uids      (MailsyncPythonFunc  *func,
                                                     const char          *arg,
                                                     GArray             **uids,
                                                     GError             **error);
/* items.sort(key=f) (mbnames sort_keyfunc): @dicts holds GHashTable
 * (utf8 -> utf8: accountname, foldername, localfolders), each passed to f
 * as a dict; sorted in place, stable, untouched on error */
gboolean            _mailsync_python_sort_dicts     (MailsyncPythonFunc  *func,
                                                     GPtrArray           *dicts,
                                                     GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncPython, _mailsync_python_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncPythonFunc, _mailsync_python_func_free)

G_END_DECLS
