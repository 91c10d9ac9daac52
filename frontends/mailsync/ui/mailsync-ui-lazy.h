#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The libraries only some runs of the command use, loaded on first use
 * instead of at exec: json-glib (-u json, --info's JSON) and ncursesw
 * (-u blinkenlights).  Debian builds them with BIND_NOW, so linked they
 * cost every run the binding of all their imports (issue 13 item 3,
 * doc/design.md "Libraries loaded on first use").
 *
 * mailsync-json-lazy.h and mailsync-curses-lazy.h list the names the
 * command uses and redirect each to a table that the first use fills.  If
 * the library cannot be loaded the command prints why and exits with
 * status 1: what the dynamic loader did at exec for a missing NEEDED
 * library, now only in a run that uses it. */
typedef struct
{
  const char        *soname;    /* from configure */
  const char *const *names;     /* in the table's order */
  guint              n_names;
  gpointer          *table;

  /*< private >*/
  gsize              once;
} MailsyncUiLazyLib;

#define MAILSYNC_UI_LAZY_LIB_INIT(soname, names, table) \
  { soname, names, G_N_ELEMENTS (names), (gpointer *) (table), 0 }

/* Loads @lib once per process and fills its table, or exits. */
void mailsync_ui_lazy_load (MailsyncUiLazyLib *lib);

G_END_DECLS
