#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* System libraries the library calls only in some runs (GnuTLS for a
 * TLS connection, SQLite for the sqlite status store), loaded on first
 * use instead of at exec, so that a run that does not need them (the
 * command's --version, a configuration check, a plain-status Maildir
 * account) does not pay the dynamic loader for them: Debian builds them
 * with BIND_NOW, so each costs every one of its symbol bindings, and
 * GnuTLS its constructor, even when never called (bench/README.md "Local
 * cost").  doc/design.md "Libraries loaded on first use".
 *
 * A part lists the functions it calls in an X-macro and keeps a table of
 * pointers to them, in the order of the list; its header redirects each
 * name to the table, so the code that calls them reads as before.  The
 * entry point that comes before every other call (a TLS session's set-up,
 * a status database's open) loads the library with
 * _mailsync_lazy_lib_load() and fails with its GError if it cannot.
 *
 * The mailsync command loads json-glib and ncursesw with the same code
 * (frontends/mailsync/ui/mailsync-ui-lazy.c): this file is built as a
 * convenience library of its own, libmailsync-lazy.la, folded into
 * libmailsync (hidden: not part of its ABI) and linked into the command. */
typedef struct
{
  const char        *soname;    /* "libgnutls.so.30", from configure */
  const char *const *names;     /* the functions, in the table's order */
  guint              n_names;
  gpointer          *table;     /* n_names pointers, filled by the load */

  /*< private >*/
  gsize              once;
  char              *error;     /* why it could not be loaded */
} MailsyncLazyLib;

#define MAILSYNC_LAZY_LIB_INIT(soname, names, table) \
  { soname, names, G_N_ELEMENTS (names), (gpointer *) (table), 0, NULL }

/* Loads @lib once per process (never unloaded) and fills its table; later
 * calls give the same answer without trying again.  %FALSE with a
 * MAILSYNC_ERROR_NOT_SUPPORTED error naming the library when the file or
 * one of the functions is missing ("Cannot load libx.so.1: it has no
 * x_open"), the table then left all %NULL.  Thread-safe: threads whose
 * first use comes at once wait for one load (g_once), and a call that
 * returns %TRUE sees the whole table. */
gboolean _mailsync_lazy_lib_load (MailsyncLazyLib  *lib,
                                  GError          **error);

G_END_DECLS
