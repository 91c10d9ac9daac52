#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The library's loadable modules (libmailsync/modules/): the parts that
 * need a big dependency only some users want, so that libmailsync-1.0.so
 * does not link it.
 *
 *   mailsync-python.so   the embedded CPython (libpython)
 *   mailsync-keyring.so  keyring lookups (libsecret)
 *   mailsync-oauth2.so   OAuth2 token requests over HTTPS (libsoup)
 *
 * They live in $(libdir)/libmailsync-1.0/modules, or in
 * $MAILSYNC_MODULE_DIR when it is set (the tests point it at the build
 * tree), and are loaded on first use, once per process, and never unloaded.
 * Each exports one function returning a table of entry points; the
 * library passes it the ABI number it was built with and its error domain.
 *
 * Part of the core, not of config/ (issue 14 item 1): config/'s Python and
 * OAuth2 front ends and credentials/' keyring load their modules here. */

/* What a module exports: its table, or %NULL when @abi is not the
 * module's.  @error_domain is MAILSYNC_ERROR, the domain of every error the
 * module sets (a module does not link libmailsync). */
typedef gconstpointer (*MailsyncModuleGetFunc) (guint  abi,
                                                GQuark error_domain);

typedef struct
{
  const char *name;             /* file name without suffix: "mailsync-python" */
  const char *symbol;           /* the exported function */
  guint       abi;
  gboolean    global;           /* RTLD_GLOBAL: libpython's extension modules need its symbols */

  /*< private >*/
  gsize         once;
  gconstpointer table;
  char         *error;          /* why it could not be loaded */
} MailsyncModuleSlot;

#define MAILSYNC_MODULE_SLOT_INIT(name, symbol, abi, global) { name, symbol, abi, global, 0, NULL, NULL }

/* The directory modules are loaded from. */
const char   *_mailsync_module_get_dir (void);

/* The module's table, loaded on the first call; %NULL with a
 * MAILSYNC_ERROR_NOT_SUPPORTED error saying why (missing file, missing
 * dependency, ABI mismatch); later calls give the same answer without
 * trying again.  Thread-safe. */
gconstpointer _mailsync_module_get     (MailsyncModuleSlot *slot,
                                        GError            **error);

G_END_DECLS
