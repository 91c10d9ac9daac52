#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <gio/gio.h>
#include "../mailsync-version-macros.h"
#include "../mailsync-account.h"
#include "mailsync-config-file.h"

G_BEGIN_DECLS

/* A user's accounts as an offlineimap (or mailsync) configuration file
 * describes them.  This is the only place in the library that knows every
 * backend by name: it turns [Account X] / [Repository Y] sections into
 * MailsyncAccount objects with their repositories, status store and
 * policy.  Every option of offlineimap's reference is either honoured or
 * refused with an error naming the option and its file:line. */

/**
 * MailsyncPasswordFunc:
 * @account: the account name
 * @repository: the repository name
 * @user: (nullable): the login name, if known
 * @host: (nullable): the server, if known
 * @user_data: closure data
 *
 * Asks the user for a password when the configuration gives none
 * (offlineimap's interactive prompt).
 *
 * Returns: (transfer full) (nullable): the password, or %NULL to go on
 *   without one
 *
 * Since: 0.1
 */
typedef char *(*MailsyncPasswordFunc) (const char *account,
                                       const char *repository,
                                       const char *user,
                                       const char *host,
                                       gpointer    user_data);

/**
 * MAILSYNC_TYPE_CONFIG:
 *
 * The #GType of #MailsyncConfig, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_CONFIG (mailsync_config_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncConfig, mailsync_config, MAILSYNC, CONFIG, GObject)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncConfig     *mailsync_config_new                 (MailsyncConfigFile *file,
                                                         GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncConfigFile *mailsync_config_get_file            (MailsyncConfig     *self);
MAILSYNC_AVAILABLE_IN_ALL
char              **mailsync_config_get_account_names   (MailsyncConfig     *self,
                                                         GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
char              **mailsync_config_get_all_account_names (MailsyncConfig   *self);
MAILSYNC_AVAILABLE_IN_ALL
char               *mailsync_config_get_metadata_dir    (MailsyncConfig     *self);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncAccount    *mailsync_config_create_account      (MailsyncConfig     *self,
                                                         const char         *name,
                                                         GCancellable       *cancellable,
                                                         GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
char              **mailsync_config_get_warnings        (MailsyncConfig     *self);
MAILSYNC_AVAILABLE_IN_ALL
void                mailsync_config_set_password_func   (MailsyncConfig     *self,
                                                         MailsyncPasswordFunc func,
                                                         gpointer            user_data,
                                                         GDestroyNotify      destroy);
MAILSYNC_AVAILABLE_IN_ALL
char               *mailsync_config_eval_string         (MailsyncConfig     *self,
                                                         const char         *section,
                                                         const char         *key,
                                                         GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
char              **mailsync_config_eval_list           (MailsyncConfig     *self,
                                                         const char         *section,
                                                         const char         *key,
                                                         GError            **error);

MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_mbnames_filter      (MailsyncConfig     *self,
                                                         const char         *account,
                                                         const char         *folder,
                                                         gboolean           *include,
                                                         GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_mbnames_sort        (MailsyncConfig     *self,
                                                         GPtrArray          *items,
                                                         GError            **error);

G_END_DECLS
