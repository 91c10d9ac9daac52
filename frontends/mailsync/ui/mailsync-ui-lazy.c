/* json-glib and ncursesw loaded on first use (mailsync-ui-lazy.h). */
#include "config.h"

#include "mailsync-ui-lazy.h"

#include <stdio.h>
#include <stdlib.h>

void
mailsync_ui_lazy_load (MailsyncLazyLib *lib)
{
  g_autoptr(GError) error = NULL;

  /* The library's loader (libmailsync/mailsync-lazy-lib.c), linked into
   * the command: its error is a sentence ("Cannot load ..."), here the
   * rest of the command's line. */
  if (!_mailsync_lazy_lib_load (lib, &error))
    {
      fprintf (stderr, "mailsync: %c%s\n", g_ascii_tolower (error->message[0]), error->message + 1);
      exit (EXIT_FAILURE);
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
static MailsyncLazyLib json_lib = MAILSYNC_LAZY_LIB_INIT (MAILSYNC_JSON_GLIB_SONAME, json_names, &json_table);

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
static MailsyncLazyLib curses_lib = MAILSYNC_LAZY_LIB_INIT (MAILSYNC_CURSES_SONAME, curses_names, &curses_table);

const MailsyncCursesTable *
mailsync_curses (void)
{
  mailsync_ui_lazy_load (&curses_lib);
  return &curses_table;
}
#endif
