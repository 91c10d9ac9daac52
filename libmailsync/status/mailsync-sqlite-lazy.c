/* The SQLite table (mailsync-sqlite-lazy.h). */
#include "config.h"

#include "mailsync-lazy-lib-private.h"
#include "mailsync-sqlite-lazy.h"

#ifndef MAILSYNC_SQLITE_SONAME
#error "MAILSYNC_SQLITE_SONAME must be defined by configure"
#endif

MailsyncSqliteTable _mailsync_sqlite_table;

#define NAME(name) #name,
static const char *const names[] = { MAILSYNC_SQLITE_FUNCTIONS (NAME) };
#undef NAME

G_STATIC_ASSERT (sizeof (MailsyncSqliteTable) == G_N_ELEMENTS (names) * sizeof (gpointer));

static MailsyncLazyLib lib = MAILSYNC_LAZY_LIB_INIT (MAILSYNC_SQLITE_SONAME, names, &_mailsync_sqlite_table);

gboolean
_mailsync_sqlite_load (GError **error)
{
  return _mailsync_lazy_lib_load (&lib, error);
}
