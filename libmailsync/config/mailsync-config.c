/* Accounts from an offlineimap-compatible configuration file. */
#include "config.h"

#include "config/mailsync-config.h"
#include "mailsync-error.h"

/**
 * MailsyncConfig:
 *
 * The accounts a #MailsyncConfigFile describes.
 */

struct _MailsyncConfig
{
  GObject             parent_instance;

  MailsyncConfigFile *file;
};

G_DEFINE_FINAL_TYPE (MailsyncConfig, mailsync_config, G_TYPE_OBJECT)

static void
mailsync_config_finalize (GObject *object)
{
  MailsyncConfig *self = MAILSYNC_CONFIG (object);

  g_clear_object (&self->file);
  G_OBJECT_CLASS (mailsync_config_parent_class)->finalize (object);
}

static void
mailsync_config_class_init (MailsyncConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_config_finalize;
}

static void
mailsync_config_init (MailsyncConfig *self)
{
}

/**
 * mailsync_config_new:
 * @file: the configuration
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): a new #MailsyncConfig, or %NULL on error
 */
MailsyncConfig *
mailsync_config_new (MailsyncConfigFile *file,
                     GError            **error)
{
  MailsyncConfig *self;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (file), NULL);

  self = g_object_new (MAILSYNC_TYPE_CONFIG, NULL);
  self->file = g_object_ref (file);
  return self;
}

/**
 * mailsync_config_get_file:
 * @self: a #MailsyncConfig
 *
 * Returns: (transfer none): the configuration file
 */
MailsyncConfigFile *
mailsync_config_get_file (MailsyncConfig *self)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  return self->file;
}

/**
 * mailsync_config_get_account_names:
 * @self: a #MailsyncConfig
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the names
 */
char **
mailsync_config_get_account_names (MailsyncConfig *self,
                                   GError        **error)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  return mailsync_config_file_get_list (self->file, "general", "accounts", error);
}

/**
 * mailsync_config_get_all_account_names:
 * @self: a #MailsyncConfig
 *
 * Returns: (transfer full) (array zero-terminated=1): the names
 */
char **
mailsync_config_get_all_account_names (MailsyncConfig *self)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  return g_new0 (char *, 1);
}

/**
 * mailsync_config_get_metadata_dir:
 * @self: a #MailsyncConfig
 *
 * Returns: (transfer full) (type filename): the metadata directory
 */
char *
mailsync_config_get_metadata_dir (MailsyncConfig *self)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  return g_build_filename (g_get_home_dir (), ".offlineimap", NULL);
}

/**
 * mailsync_config_create_account:
 * @self: a #MailsyncConfig
 * @name: an account name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the account, or %NULL on error
 */
MailsyncAccount *
mailsync_config_create_account (MailsyncConfig *self,
                                const char     *name,
                                GCancellable   *cancellable,
                                GError        **error)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
               "account '%s': not implemented yet", name);
  return NULL;
}
