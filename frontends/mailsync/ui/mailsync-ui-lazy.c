/* json-glib and ncursesw loaded on first use (mailsync-ui-lazy.h). */
#include "config.h"

#include "mailsync-ui-lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void
mailsync_ui_lazy_load (MailsyncUiLazyLib *lib)
{
  if (g_once_init_enter (&lib->once))
    {
      /* dlopen() by soname, as the loader finds a NEEDED library; not
       * g_module_open(), which tries the current directory first. */
      void *handle = dlopen (lib->soname, RTLD_NOW | RTLD_LOCAL);
      guint i;

      if (handle == NULL)
        {
          const char *why = dlerror ();

          fprintf (stderr, "mailsync: cannot load %s: %s\n", lib->soname, why != NULL ? why : "unknown error");
          exit (EXIT_FAILURE);
        }
      for (i = 0; i < lib->n_names; i++)
        {
          lib->table[i] = dlsym (handle, lib->names[i]);
          if (lib->table[i] == NULL)
            {
              fprintf (stderr, "mailsync: cannot load %s: it has no %s\n", lib->soname, lib->names[i]);
              exit (EXIT_FAILURE);
            }
        }
      g_once_init_leave (&lib->once, 1);
    }
}

/* The tables.  Each accessor is called once per use of a name: a load
 * check (one atomic read) and the table. */
#include "mailsync-json-lazy.h"

#ifndef MAILSYNC_JSON_GLIB_SONAME
#error "MAILSYNC_JSON_GLIB_SONAME must be defined by configure"
#endif

#define NAME(name) #name,
static const char *const json_names[] = { MAILSYNC_JSON_GLIB_NAMES (NAME) };
static MailsyncJsonTable json_table;
G_STATIC_ASSERT (sizeof json_table == G_N_ELEMENTS (json_names) * sizeof (gpointer));
static MailsyncUiLazyLib json_lib = MAILSYNC_UI_LAZY_LIB_INIT (MAILSYNC_JSON_GLIB_SONAME, json_names, &json_table);

const MailsyncJsonTable *
mailsync_json_glib (void)
{
  mailsync_ui_lazy_load (&json_lib);
  return &json_table;
}

/* json-glib's g_autoptr(JsonNode) cleanup, an inline function of its
 * header, calls json_node_unref by name: this is that name. */
#undef json_node_unref
void
json_node_unref (JsonNode *node)
{
  mailsync_json_glib ()->json_node_unref (node);
}

#ifdef HAVE_CURSES
#include "mailsync-curses-lazy.h"

#ifndef MAILSYNC_CURSES_SONAME
#error "MAILSYNC_CURSES_SONAME must be defined by configure"
#endif

static const char *const curses_names[] = { MAILSYNC_CURSES_NAMES (NAME) };
static MailsyncCursesTable curses_table;
G_STATIC_ASSERT (sizeof curses_table == G_N_ELEMENTS (curses_names) * sizeof (gpointer));
static MailsyncUiLazyLib curses_lib = MAILSYNC_UI_LAZY_LIB_INIT (MAILSYNC_CURSES_SONAME, curses_names, &curses_table);

const MailsyncCursesTable *
mailsync_curses (void)
{
  mailsync_ui_lazy_load (&curses_lib);
  return &curses_table;
}
#endif
