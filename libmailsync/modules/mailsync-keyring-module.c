/* Passwords in the user's keyring (Secret Service, through libsecret).
 *
 * A module of its own (mailsync-keyring.so, loaded by
 * libmailsync/credentials/mailsync-keyring.c on first use), so that
 * libmailsync-1.0.so does not link libsecret.  See
 * mailsync-keyring-module.h. */
#include "config.h"

#include "modules/mailsync-keyring-module.h"

#include <gmodule.h>
#include <libsecret/secret.h>

/* python-keyring's Secret Service items, which offlineimap 8.0.1 reads as
 * keyring.get_password(remotehost, remoteuser). */
static const SecretSchema *
keyring_schema (void)
{
  static const SecretSchema schema = {
    "org.freedesktop.Secret.Generic", SECRET_SCHEMA_DONT_MATCH_NAME,
    {
      { "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };
  return &schema;
}

static char *
keyring_lookup (const char    *host,
                const char    *user,
                GCancellable  *cancellable,
                GError       **error)
{
  return secret_password_lookup_sync (keyring_schema (), cancellable, error,
                                      "service", host, "username", user, NULL);
}

static gboolean
keyring_store (const char  *host,
               const char  *user,
               const char  *password,
               GError     **error)
{
  g_autofree char *label = g_strdup_printf ("Password for '%s' on '%s'", user, host);

  return secret_password_store_sync (keyring_schema (), SECRET_COLLECTION_DEFAULT, label, password,
                                     NULL, error, "service", host, "username", user, NULL);
}

G_MODULE_EXPORT gconstpointer mailsync_keyring_module_get (guint  abi,
                                                           GQuark error_domain);

G_MODULE_EXPORT gconstpointer
mailsync_keyring_module_get (guint  abi,
                             GQuark error_domain)
{
  static const MailsyncKeyringModule table = {
    MAILSYNC_KEYRING_MODULE_ABI,
    keyring_lookup,
    keyring_store,
  };

  /* libsecret's errors keep their own domains */
  (void) error_domain;
  return abi == MAILSYNC_KEYRING_MODULE_ABI ? &table : NULL;
}
