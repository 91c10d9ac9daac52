/* The GnuTLS table (mailsync-gnutls-lazy.h). */
#include "config.h"

#include "mailsync-lazy-lib-private.h"
#include "mailsync-gnutls-lazy.h"

#ifndef MAILSYNC_GNUTLS_SONAME
#error "MAILSYNC_GNUTLS_SONAME must be defined by configure"
#endif

MailsyncGnutlsTable _mailsync_gnutls_table;

#define NAME(name) #name,
static const char *const names[] = { MAILSYNC_GNUTLS_FUNCTIONS (NAME) };
#undef NAME

G_STATIC_ASSERT (sizeof (MailsyncGnutlsTable) == G_N_ELEMENTS (names) * sizeof (gpointer));

static MailsyncLazyLib lib = MAILSYNC_LAZY_LIB_INIT (MAILSYNC_GNUTLS_SONAME, names, &_mailsync_gnutls_table);

gboolean
_mailsync_gnutls_load (GError **error)
{
  return _mailsync_lazy_lib_load (&lib, error);
}
