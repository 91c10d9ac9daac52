/* System libraries loaded on first use (see mailsync-lazy-lib-private.h). */
#include "config.h"

#include "mailsync-lazy-lib-private.h"
#include "mailsync-error.h"

#include <dlfcn.h>
#include <string.h>

static char *
load (MailsyncLazyLib *lib)
{
  void *handle;
  guint i;

  /* dlopen() itself, not g_module_open(): GModule first tries a relative
   * name as a file of the current directory, and a mail tool runs from
   * any directory.  A bare soname is searched for the way the dynamic
   * loader searches for a NEEDED entry (LD_LIBRARY_PATH, ld.so.cache,
   * the system directories).  RTLD_LOCAL: the library's names stay out of
   * the global scope, as they would be for a module. */
  handle = dlopen (lib->soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    {
      const char *why = dlerror ();

      return g_strdup_printf ("Cannot load %s: %s", lib->soname, why != NULL ? why : "unknown error");
    }
  for (i = 0; i < lib->n_names; i++)
    {
      dlerror ();
      lib->table[i] = dlsym (handle, lib->names[i]);
      if (lib->table[i] == NULL)
        {
          char *why = g_strdup_printf ("Cannot load %s: it has no %s", lib->soname, lib->names[i]);

          memset (lib->table, 0, sizeof (gpointer) * lib->n_names);
          dlclose (handle);
          return why;
        }
    }
  /* The handle is kept for the life of the process: the table points
   * into it. */
  g_debug ("loaded %s", lib->soname);
  return NULL;
}

gboolean
_mailsync_lazy_lib_load (MailsyncLazyLib  *lib,
                         GError          **error)
{
  if (g_once_init_enter (&lib->once))
    {
      lib->error = load (lib);
      g_once_init_leave (&lib->once, 1);
    }
  if (lib->error != NULL)
    {
      g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED, lib->error);
      return FALSE;
    }
  return TRUE;
}
