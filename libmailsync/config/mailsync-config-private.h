#pragma once

#include "config/mailsync-config.h"

G_BEGIN_DECLS

/* Stores a password in the user's keyring (python-keyring's Secret Service
 * item for @host and @user). */
typedef gboolean (*MailsyncKeyringStoreFunc) (const char    *host,
                                              const char    *user,
                                              const char    *password,
                                              GError       **error);

/* Replaces the keyring's store, for tests: a test machine has no Secret
 * Service. %NULL restores libsecret. */
void _mailsync_config_set_keyring_store_func (MailsyncKeyringStoreFunc func);

/* Sets @repo's folder filter to @func, except that a folder named in
 * @includes (offlineimap's `folderincludes`; may be %NULL) is always
 * synced. @func may be %NULL (no filter); @destroy frees @data. */
/* synclabels = yes: sets the label pass up (labelsheader @header,
 * ignorelabels @ignorelabels as written) when @remote is of type Gmail and
 * @local of type GmailMaildir; FALSE (nothing set) otherwise. */
gboolean _mailsync_config_apply_synclabels (MailsyncRepository *remote,
                                            MailsyncRepository *local,
                                            const char         *header,
                                            const char         *ignorelabels);

void _mailsync_config_set_folder_filter (MailsyncRepository       *repo,
                                         const char * const       *includes,
                                         MailsyncFolderFilterFunc  func,
                                         gpointer                  data,
                                         GDestroyNotify            destroy);

G_END_DECLS
