/* The credentials subsystem's private header (libmailsync/credentials/):
 * where a password comes from when the configuration does not give it
 * (~/.netrc, /etc/netrc, the user's keyring, the client's prompt), storing
 * a password the server accepted in the keyring (--update-keyring), and
 * wiping secrets before they are freed.  config/ reads the options
 * (remotepass*, ignore-keyring, update-keyring) and calls this; nothing
 * here reads a configuration, so credentials/ never includes config/'s
 * private headers.  Not installed. */
#pragma once

#include <gio/gio.h>

#include "mailsync-repository.h"
#include "config/mailsync-config.h"

G_BEGIN_DECLS

/* ---- secrets (mailsync-credentials.c) ---------------------------------- */

void _mailsync_credentials_free_secret (char *secret);
/* a string wiped before it is freed */
typedef char *SecretString;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (SecretString, _mailsync_credentials_free_secret, NULL)

/* ---- the keyring (mailsync-keyring.c) ---------------------------------- */

/* The user's keyring (python-keyring's Secret Service items, service=host,
 * username=user), through the keyring module (mailsync-keyring.so, see
 * mailsync-module-private.h), loaded on the first call.  Built
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

/* ---- finding and storing a password (mailsync-credentials.c) ----------- */

/* Stores a password in the user's keyring (python-keyring's Secret Service
 * item for @host and @user). */
typedef gboolean (*MailsyncKeyringStoreFunc) (const char    *host,
                                              const char    *user,
                                              const char    *password,
                                              GError       **error);

/* Replaces the keyring's store, for tests: a test machine has no Secret
 * Service. %NULL restores libsecret. */
void      _mailsync_credentials_set_keyring_store_func (MailsyncKeyringStoreFunc func);

/* %FALSE with the reason when --update-keyring could store nothing (no
 * keyring module and no test store). */
gboolean  _mailsync_credentials_can_store      (GError **error);

/* What offlineimap tries after the configuration's own sources: ~/.netrc,
 * /etc/netrc, the keyring (when @use_keyring and @user is known), then
 * @ask (the client's prompt; may be %NULL).  A netrc entry may give the
 * login too: *@user is set then if it was %NULL.  *@asked says the
 * password came from @ask, the only one --update-keyring stores; *@source
 * (may be %NULL) where it came from ("~/.netrc", "/etc/netrc", "the
 * keyring"; static), for the error when the server refuses it.  %NULL
 * when no source has one. */
char     *_mailsync_credentials_find_password  (const char           *account,
                                                const char           *repository,
                                                const char           *host,
                                                char                **user,
                                                gboolean              use_keyring,
                                                MailsyncPasswordFunc  ask,
                                                gpointer              ask_data,
                                                gboolean             *asked,
                                                const char          **source,
                                                GCancellable         *cancellable);

/* The password @repo logged in with (transfer full), or %NULL. */
typedef char *(*MailsyncCredentialsPasswordGetter) (MailsyncRepository *repo);

/* --update-keyring: stores, for @host and @user, the password @repo
 * logged in with (@get_password's answer) once it has opened (the server
 * accepted it): asked when the repository connected, and possibly asked
 * again after a refusal, it is not known before. */
void      _mailsync_credentials_store_after_login (MailsyncRepository                *repo,
                                                   const char                        *host,
                                                   const char                        *user,
                                                   MailsyncCredentialsPasswordGetter  get_password);

/* Why the store after @repo's login failed, once (transfer full), or
 * %NULL: the account reports it as a warning event of its sync. */
GError   *_mailsync_credentials_take_store_error (MailsyncRepository *repo);

G_END_DECLS
