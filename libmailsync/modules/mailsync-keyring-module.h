#pragma once

/* The interface between libmailsync and its keyring module
 * ($(moduledir)/mailsync-keyring.so, libmailsync/modules/): the Secret
 * Service lookups through libsecret, which only the module links.  The
 * library's credentials/mailsync-keyring.c loads it on first use. */

#include <gio/gio.h>

G_BEGIN_DECLS

#define MAILSYNC_KEYRING_MODULE_NAME   "mailsync-keyring"
#define MAILSYNC_KEYRING_MODULE_SYMBOL "mailsync_keyring_module_get"
#define MAILSYNC_KEYRING_MODULE_ABI    1u

typedef struct
{
  guint abi;                    /* MAILSYNC_KEYRING_MODULE_ABI */

  /* python-keyring's item for @host and @user (offlineimap 8.0.1 reads
   * keyring.get_password(remotehost, remoteuser)); %NULL when there is none */
  char     *(*lookup) (const char    *host,
                       const char    *user,
                       GCancellable  *cancellable,
                       GError       **error);
  gboolean  (*store)  (const char    *host,
                       const char    *user,
                       const char    *password,
                       GError       **error);
} MailsyncKeyringModule;

/* The module's one exported function, MAILSYNC_KEYRING_MODULE_SYMBOL, is a
 * MailsyncModuleGetFunc (libmailsync/mailsync-module-private.h) returning a
 * MailsyncKeyringModule. */

G_END_DECLS
