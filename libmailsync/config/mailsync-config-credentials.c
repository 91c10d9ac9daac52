/* Credentials of a repository: the password in offlineimap's order
 * (eval/cmd, remotepass, remotepassfile, netrc, keyring, prompt), storing
 * it in the keyring after a successful login (--update-keyring), and the
 * OAuth2 token source. Secrets are wiped before they are freed and never
 * appear in a message. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"
#include "config/mailsync-keyring-private.h"
#include "config/mailsync-oauth2-private.h"
#include "credentials/mailsync-netrc.h"

#include <string.h>

void
_mailsync_config_free_secret (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

static gboolean
keyring_usable (void)
{
  /* Without a session bus GDBus would try to autolaunch one. */
  return g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL;
}

static MailsyncKeyringStoreFunc keyring_store_func;

void
_mailsync_config_set_keyring_store_func (MailsyncKeyringStoreFunc func)
{
  keyring_store_func = func;
}

typedef struct
{
  char *host;
  char *user;
  char *password;
} KeyringItem;

static void
keyring_item_free (gpointer data,
                   GClosure *closure G_GNUC_UNUSED)
{
  KeyringItem *item = data;

  g_free (item->host);
  g_free (item->user);
  memset (item->password, 0, strlen (item->password));
  g_free (item->password);
  g_free (item);
}

/* --update-keyring: the password goes to the keyring once the server has
 * accepted it (the repository opened), never a mistyped one before. */
static void
keyring_store_on_open (MailsyncRepository *repo,
                       KeyringItem        *item)
{
  g_autoptr(GError) error = NULL;
  MailsyncKeyringStoreFunc store = keyring_store_func;

  if (store == NULL)
    store = _mailsync_keyring_store;
  if (!store (item->host, item->user, item->password, &error))
    g_warning ("Repository %s: could not store the password in the keyring: %s",
               mailsync_repository_get_name (repo), error->message);
  /* Once per process, as offlineimap; this frees @item. */
  g_signal_handlers_disconnect_by_func (repo, keyring_store_on_open, item);
}

/* offlineimap's order: remotepasseval, remotepass, remotepassfile (ours:
 * remotepasscmd with eval), ~/.netrc, /etc/netrc, the keyring, the prompt. */
gboolean
_mailsync_config_find_password (RepoContext  *ctx,
                                const char   *host,
                                char        **user,
                                char        **password,
                                gboolean     *store_after_login,
                                GCancellable *cancellable,
                                GError      **error)
{
  MailsyncConfig *self = ctx->self;
  const char *section = ctx->section;
  gboolean ignore_keyring = FALSE, update_keyring = FALSE, from_keyring = FALSE;
  g_autofree char *netrc_user = NULL;

  *password = NULL;
  *store_after_login = FALSE;
  if (!_mailsync_config_get_bool (self, "general", "ignore-keyring", FALSE, &ignore_keyring, error) ||
      !_mailsync_config_get_bool (self, "general", "update-keyring", FALSE, &update_keyring, error))
    return FALSE;
  if (update_keyring && keyring_store_func == NULL)
    {
      g_autoptr(GError) local_error = NULL;

      if (!_mailsync_keyring_is_available (&local_error))
        return _mailsync_config_error (self, "general", "update-keyring", MAILSYNC_ERROR_NOT_SUPPORTED, error,
                                       "%s", local_error->message);
    }

  if (_mailsync_config_has (self, section, "remotepasseval") || _mailsync_config_has (self, section, "remotepasscmd"))
    return _mailsync_config_get_dynamic (self, section, "remotepass", "eval", "cmd", TRUE, password, error);
  if (_mailsync_config_has (self, section, "remotepass"))
    {
      /* as written (after %% interpolation): blanks may be part of it */
      *password = mailsync_config_file_get_string (self->file, section, "remotepass", error);
      return *password != NULL;
    }
  if (_mailsync_config_has (self, section, "remotepassfile"))
    {
      g_autofree char *path = _mailsync_config_get_path (self, section, "remotepassfile", FALSE, error);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (path == NULL)
        return error == NULL || *error == NULL;
      if (!g_file_get_contents (path, &contents, &length, &local_error))
        return _mailsync_config_error (self, section, "remotepassfile", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                       "cannot read '%s': %s", path, local_error->message);
      *password = g_strstrip (g_strndup (contents, strcspn (contents, "\n")));
      memset (contents, 0, length);
      return TRUE;
    }

  if (host != NULL)
    {
      /* $HOME read now: g_get_home_dir() keeps its first answer */
      g_autofree char *user_netrc = _mailsync_config_expand_path ("~/.netrc", FALSE);
      const char *const netrcs[] = { user_netrc, "/etc/netrc" };

      for (guint i = 0; i < G_N_ELEMENTS (netrcs) && *password == NULL; i++)
        {
          g_clear_pointer (&netrc_user, g_free);
          *password = mailsync_netrc_lookup (netrcs[i], host, *user, *user == NULL ? &netrc_user : NULL);
          if (*password != NULL && *user == NULL)
            *user = g_steal_pointer (&netrc_user);
        }
      if (*password != NULL)
        return TRUE;
    }

  if (!ignore_keyring && host != NULL && *user != NULL && keyring_usable ())
    {
      g_autoptr(GError) local_error = NULL;

      /* no keyring (or no module) is no password, as no item is */
      *password = _mailsync_keyring_lookup (host, *user, cancellable, &local_error);
      if (local_error != NULL)
        g_debug ("keyring: %s", local_error->message);
      from_keyring = *password != NULL;
    }

  if (*password == NULL && self->password_func != NULL)
    *password = self->password_func (ctx->account, ctx->name, *user, host, self->password_data);
  /* offlineimap stops here too ("Prompting for a password is not
   * supported in this UI backend"): a login with an empty password would
   * only fail, on every run, and count against the account on servers
   * that lock it or ban the address after failed logins. */
  if (*password == NULL)
    return _mailsync_config_error (self, section, NULL, MAILSYNC_ERROR_INTERACTION_REQUIRED, error,
                                   "no password for %s%s%s: set remotepass, remotepassfile, remotepasscmd or "
                                   "remotepasseval, add it to ~/.netrc, or use a UI that asks for it (ttyui, "
                                   "blinkenlights, machineui)",
                                   *user != NULL ? *user : "", *user != NULL ? "@" : "", host != NULL ? host : "the server");

  *store_after_login = *password != NULL && update_keyring && !from_keyring && host != NULL && *user != NULL;
  return TRUE;
}

/* offlineimap's GmailRepository default token endpoint */
#define GMAIL_OAUTH2_REQUEST_URL "https://accounts.google.com/o/oauth2/token"

/* oauth2_refresh_token (and its client and endpoint): a token source for
 * the repository, *@oauth2 NULL when no refresh token is set. */
gboolean
_mailsync_config_build_oauth2 (RepoContext     *ctx,
                               gint64           socktimeout,
                               MailsyncOAuth2 **oauth2,
                               GError         **error)
{
  MailsyncConfig *self = ctx->self;
  const char *section = ctx->section;
  g_auto(SecretString) refresh = NULL;
  g_auto(SecretString) client_secret = NULL;
  g_autofree char *client_id = NULL, *url = NULL;
  g_autoptr(GError) local_error = NULL;

  *oauth2 = NULL;
  if (!_mailsync_config_get_dynamic (self, section, "oauth2_refresh_token", "_eval", "_cmd", TRUE, &refresh, error))
    return FALSE;
  if (refresh == NULL)
    return TRUE;
  if (!_mailsync_config_get_dynamic (self, section, "oauth2_client_id", "_eval", "_cmd", FALSE, &client_id, error) ||
      !_mailsync_config_get_dynamic (self, section, "oauth2_client_secret", "_eval", "_cmd", TRUE, &client_secret, error) ||
      !_mailsync_config_get_dynamic (self, section, "oauth2_request_url", "_eval", "_cmd", FALSE, &url, error))
    return FALSE;
  if (url == NULL && ctx->gmail)
    url = g_strdup (GMAIL_OAUTH2_REQUEST_URL);
  if (url == NULL)
    return _mailsync_config_error (self, section, "oauth2_refresh_token", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "needs oauth2_request_url, the provider's token endpoint");
  if (client_id == NULL)
    return _mailsync_config_error (self, section, "oauth2_refresh_token", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "needs oauth2_client_id");
  if (!_mailsync_oauth2_is_available (&local_error))
    return _mailsync_config_error (self, section, "oauth2_refresh_token", MAILSYNC_ERROR_NOT_SUPPORTED, error,
                                   "%s", local_error->message);
  *oauth2 = _mailsync_oauth2_new (url, client_id, client_secret, refresh, (guint) socktimeout);
  return TRUE;
}

/* --update-keyring: stores @password for @host and @user once @repo has
 * opened (the server accepted it). */
void
_mailsync_config_store_password_after_login (MailsyncRepository *repo,
                                             const char         *host,
                                             const char         *user,
                                             const char         *password)
{
  KeyringItem *item = g_new0 (KeyringItem, 1);

  item->host = g_strdup (host);
  item->user = g_strdup (user);
  item->password = g_strdup (password);
  g_signal_connect_data (repo, "opened", G_CALLBACK (keyring_store_on_open), item,
                         keyring_item_free, 0);
}
