#pragma once

#include <glib.h>

#include "mailsync-lazy-lib-private.h"

G_BEGIN_DECLS

/* The libraries only some runs of the command use, loaded on first use
 * instead of at exec: json-glib (-u json, --info's JSON) and ncursesw
 * (-u blinkenlights).  Debian builds them with BIND_NOW, so linked they
 * cost every run the binding of all their imports (issue 13 item 3,
 * doc/design.md "Libraries loaded on first use").
 *
 * mailsync-json-lazy.h and mailsync-curses-lazy.h list the names the
 * command uses and redirect each to a table that the first use fills,
 * with libmailsync's loader (libmailsync/mailsync-lazy-lib-private.h: one
 * implementation for the library and the command).  If the library cannot
 * be loaded the command prints why and exits with status 1: what the
 * dynamic loader did at exec for a missing NEEDED library, now only in a
 * run that uses it. */

/* Loads @lib (mailsync-lazy-lib-private.h, the library's loader) once per
 * process and fills its table, or prints why it cannot and exits. */
void mailsync_ui_lazy_load (MailsyncLazyLib *lib);

G_END_DECLS
