#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The user's keyring (python-keyring's Secret Service items, service=host,
 * username=user), through the keyring module (mailsync-keyring.so, see
 * config/mailsync-module-private.h), loaded on the first call.  Built
 * without libsecret, or when the module cannot be loaded, the keyring is
 * unavailable: lookups find nothing and stores fail with
 * MAILSYNC_ERROR_NOT_SUPPORTED saying why. */

/* %FALSE with the reason when the keyring cannot be used at all */
gboolean  _mailsync_keyring_is_available (GError       **error);

/* The password, or %NULL (none, no keyring, or an error) */
char     *_mailsync_keyring_lookup       (const char    *host,
                                          const char    *user,
                                          GCancellable  *cancellable,
                                          GError       **error);

gboolean  _mailsync_keyring_store        (const char    *host,
                                          const char    *user,
                                          const char    *password,
                                          GError       **error);

G_END_DECLS
