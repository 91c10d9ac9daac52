/* offlineimap's Python-expression options, as the library sees them.
 *
 * The interpreter itself is in a module, mailsync-python.so
 * (libmailsync/modules/mailsync-python-module.c), so that libmailsync-1.0.so
 * does not link libpython: a program whose configuration has no Python never
 * loads it.  Each call below loads the module on first use and forwards to
 * it.  When the module is missing (or the library was built without
 * python3-embed), every call fails with MAILSYNC_ERROR_NOT_SUPPORTED naming
 * @where, so a config that needs Python is refused instead of silently
 * misread. */
#include "config.h"

#include "mailsync-error.h"
#include "mailsync-module-private.h"
#include "config/mailsync-python-private.h"
#include "modules/mailsync-python-module.h"

/* Used for errors when the caller gives no location. */
#define DEFAULT_WHERE "python"

#ifdef HAVE_PYTHON_EMBED

static MailsyncModuleSlot slot = MAILSYNC_MODULE_SLOT_INIT (MAILSYNC_PYTHON_MODULE_NAME,
                                                            MAILSYNC_PYTHON_MODULE_SYMBOL,
                                                            MAILSYNC_PYTHON_MODULE_ABI,
                                                            /* libpython's extension modules
                                                             * (math, _json...) find its
                                                             * symbols in the global scope */
                                                            TRUE);

static const MailsyncPythonModule *
module (void)
{
  return _mailsync_module_get (&slot, NULL);
}

const char *
_mailsync_python_get_load_error (void)
{
  return module () == NULL ? slot.error : NULL;
}

static void
set_not_supported (GError **error, const char *where)
{
  (void) module ();
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
               "%s: Python expressions are not supported: mailsync's Python module could not be loaded (%s)",
               where ? where : DEFAULT_WHERE, slot.error);
}

#else /* !HAVE_PYTHON_EMBED */

/* Built without python3-embed: there is no module to load. */

static const MailsyncPythonModule *
module (void)
{
  return NULL;
}

const char *
_mailsync_python_get_load_error (void)
{
  return NULL;
}

static void
set_not_supported (GError **error, const char *where)
{
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
               "%s: Python expressions are not supported by this build of mailsync (built without python3-embed)",
               where ? where : DEFAULT_WHERE);
}

#endif /* HAVE_PYTHON_EMBED */

gboolean
_mailsync_python_is_available (void)
{
  return module () != NULL;
}

MailsyncPython *
_mailsync_python_new (const char *pythonfile, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, pythonfile ? pythonfile : "pythonfile");
      return NULL;
    }
  return m->new (pythonfile, error);
}

/* A MailsyncPython or MailsyncPythonFunc only exists once the module is
 * loaded, and it is never unloaded. */
void
_mailsync_python_free (MailsyncPython *py)
{
  if (py != NULL)
    module ()->free (py);
}

MailsyncPythonFunc *
_mailsync_python_compile (MailsyncPython *py, const char *expression,
                          const char *where, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, where);
      return NULL;
    }
  return m->compile (py, expression, where, error);
}

void
_mailsync_python_func_free (MailsyncPythonFunc *func)
{
  if (func != NULL)
    module ()->func_free (func);
}

char *
_mailsync_python_eval_string (MailsyncPython *py, const char *expression,
                              const char *where, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, where);
      return NULL;
    }
  return m->eval_string (py, expression, where, error);
}

char *
_mailsync_python_eval_secret (MailsyncPython *py, const char *expression,
                              const char *where, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, where);
      return NULL;
    }
  return m->eval_secret (py, expression, where, error);
}

char **
_mailsync_python_eval_strv (MailsyncPython *py, const char *expression,
                            const char *where, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, where);
      return NULL;
    }
  return m->eval_strv (py, expression, where, error);
}

gboolean
_mailsync_python_eval_int (MailsyncPython *py, const char *expression,
                           const char *where, gint64 *value, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, where);
      return FALSE;
    }
  return m->eval_int (py, expression, where, value, error);
}

/* Without the module no MailsyncPythonFunc can exist; these only keep the
 * contract total. */
char *
_mailsync_python_call_string (MailsyncPythonFunc *func, const char *arg, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, NULL);
      return NULL;
    }
  return m->call_string (func, arg, error);
}

gboolean
_mailsync_python_call_bool (MailsyncPythonFunc *func, const char * const *args,
                            gboolean *result, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, NULL);
      return FALSE;
    }
  return m->call_bool (func, args, result, error);
}

gboolean
_mailsync_python_call_compare (MailsyncPythonFunc *func, const char *a, const char *b,
                               int *result, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, NULL);
      return FALSE;
    }
  return m->call_compare (func, a, b, result, error);
}

gboolean
_mailsync_python_call_void (MailsyncPythonFunc *func, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, NULL);
      return FALSE;
    }
  return m->call_void (func, error);
}

gboolean
_mailsync_python_call_uids (MailsyncPythonFunc *func, const char *arg,
                            GArray **uids, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      if (uids != NULL)
        *uids = NULL;
      set_not_supported (error, NULL);
      return FALSE;
    }
  return m->call_uids (func, arg, uids, error);
}

gboolean
_mailsync_python_sort_dicts (MailsyncPythonFunc *func, GPtrArray *dicts, GError **error)
{
  const MailsyncPythonModule *m = module ();

  if (m == NULL)
    {
      set_not_supported (error, NULL);
      return FALSE;
    }
  return m->sort_dicts (func, dicts, error);
}
