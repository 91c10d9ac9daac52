/* The keyring, as the library sees it: forwards to the keyring module
 * (libmailsync/modules/mailsync-keyring-module.c), the only code that
 * links libsecret. Moved from config/ (issue 14 item 1). */
#include "config.h"

#include "credentials/mailsync-credentials-private.h"
#include "mailsync-module-private.h"
#include "modules/mailsync-keyring-module.h"
#include "mailsync-error.h"

#ifdef HAVE_LIBSECRET
static MailsyncModuleSlot slot = MAILSYNC_MODULE_SLOT_INIT (MAILSYNC_KEYRING_MODULE_NAME,
                                                            MAILSYNC_KEYRING_MODULE_SYMBOL,
                                                            MAILSYNC_KEYRING_MODULE_ABI,
                                                            FALSE);
#endif

static const MailsyncKeyringModule *
module (GError **error)
{
#ifdef HAVE_LIBSECRET
  g_autoptr(GError) local_error = NULL;
  const MailsyncKeyringModule *m = _mailsync_module_get (&slot, &local_error);

  if (m == NULL)
    g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                 "mailsync's keyring module could not be loaded (%s)", local_error->message);
  return m;
#else
  g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                       "this mailsync was built without libsecret");
  return NULL;
#endif
}

gboolean
_mailsync_keyring_is_available (GError **error)
{
  return module (error) != NULL;
}

char *
_mailsync_keyring_lookup (const char    *host,
                          const char    *user,
                          GCancellable  *cancellable,
                          GError       **error)
{
  const MailsyncKeyringModule *m = module (error);

  return m != NULL ? m->lookup (host, user, cancellable, error) : NULL;
}

gboolean
_mailsync_keyring_store (const char  *host,
                         const char  *user,
                         const char  *password,
                         GError     **error)
{
  const MailsyncKeyringModule *m = module (error);

  return m != NULL && m->store (host, user, password, error);
}
