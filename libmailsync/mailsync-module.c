/* Loading the library's optional modules (see mailsync-module-private.h). */
#include "config.h"

#include "mailsync-module-private.h"
#include "mailsync-error.h"

#include <gmodule.h>

#ifndef MAILSYNC_MODULEDIR
#error "MAILSYNC_MODULEDIR must be defined by the build"
#endif

const char *
_mailsync_module_get_dir (void)
{
  const char *dir = g_getenv ("MAILSYNC_MODULE_DIR");

  return dir != NULL && *dir != '\0' ? dir : MAILSYNC_MODULEDIR;
}

static gconstpointer
load (MailsyncModuleSlot *slot,
      char              **why)
{
  g_autofree char *path = g_strdup_printf ("%s" G_DIR_SEPARATOR_S "%s.%s", _mailsync_module_get_dir (),
                                           slot->name, G_MODULE_SUFFIX);
  g_autoptr(GError) error = NULL;
  GModuleFlags flags = G_MODULE_BIND_LAZY | (slot->global ? 0 : G_MODULE_BIND_LOCAL);
  GModule *module;
  gpointer symbol = NULL;
  gconstpointer table;

  module = g_module_open_full (path, flags, &error);
  if (module == NULL)
    {
      /* dlerror() names the path (or the missing dependency) itself */
      *why = g_strdup (error->message);
      return NULL;
    }
  if (!g_module_symbol (module, slot->symbol, &symbol) || symbol == NULL)
    {
      *why = g_strdup_printf ("%s: no symbol %s: not a mailsync module", path, slot->symbol);
      g_module_close (module);
      return NULL;
    }
  table = ((MailsyncModuleGetFunc) symbol) (slot->abi, MAILSYNC_ERROR);
  if (table == NULL)
    {
      *why = g_strdup_printf ("%s was built for another version of libmailsync", path);
      g_module_close (module);
      return NULL;
    }
  /* Never unloaded: a module may register GTypes (libsecret) or keep an
   * interpreter whose objects the caller still holds (Python). */
  g_module_make_resident (module);
  g_debug ("loaded %s", path);
  return table;
}

gconstpointer
_mailsync_module_get (MailsyncModuleSlot *slot,
                      GError            **error)
{
  if (g_once_init_enter (&slot->once))
    {
      slot->table = load (slot, &slot->error);
      if (slot->table == NULL)
        g_debug ("module %s not loaded: %s", slot->name, slot->error);
      g_once_init_leave (&slot->once, 1);
    }
  if (slot->table == NULL)
    g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED, slot->error);
  return slot->table;
}
