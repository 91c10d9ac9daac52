/* Credentials of a repository as the configuration gives them: the
 * password options in offlineimap's order (eval/cmd, remotepass,
 * remotepassfile), then credentials/ for netrc, the keyring and the
 * prompt (issue 14 item 1: the keyring, the lookups and the store after
 * login moved there), and the OAuth2 token source. Secrets are wiped
 * before they are freed and never appear in a message. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"
#include "credentials/mailsync-credentials-private.h"
#include "config/mailsync-oauth2-private.h"
#include "net/mailsync-net-private.h"

#include <string.h>

/* offlineimap's order: remotepasseval, remotepass, remotepassfile (ours:
 * remotepasscmd with eval), ~/.netrc, /etc/netrc, the keyring, the prompt.
 * The prompt is not made here (session 20): when no source has a
 * password, *@password is NULL and *@missing the error for a login
 * without one; the IMAP repository asks the password function (its
 * asker) when it connects, as offlineimap asks after "Establishing
 * connection", and stores the password after the login when
 * *@store_after_login. *@source (static) names where a password found
 * came from: refused, it is an error that says so, never a question
 * (offlineimap asks only when no source gives one). */
gboolean
_mailsync_config_find_password (RepoContext  *ctx,
                                const char   *host,
                                char        **user,
                                char        **password,
                                char        **missing,
                                const char  **source,
                                gboolean     *store_after_login,
                                GCancellable *cancellable,
                                GError      **error)
{
  MailsyncConfig *self = ctx->self;
  const char *section = ctx->section;
  gboolean ignore_keyring = FALSE, update_keyring = FALSE, asked = FALSE;
  g_autoptr(GError) none = NULL;

  *password = NULL;
  *missing = NULL;
  *source = NULL;
  *store_after_login = FALSE;
  if (!_mailsync_config_get_bool (self, "general", "ignore-keyring", FALSE, &ignore_keyring, error) ||
      !_mailsync_config_get_bool (self, "general", "update-keyring", FALSE, &update_keyring, error))
    return FALSE;
  if (update_keyring)
    {
      g_autoptr(GError) local_error = NULL;

      if (!_mailsync_credentials_can_store (&local_error))
        return _mailsync_config_error (self, "general", "update-keyring", MAILSYNC_ERROR_NOT_SUPPORTED, error,
                                       "%s", local_error->message);
    }

  if (_mailsync_config_has (self, section, "remotepasseval") || _mailsync_config_has (self, section, "remotepasscmd"))
    {
      *source = _mailsync_config_has (self, section, "remotepasseval") ? "remotepasseval" : "remotepasscmd";
      return _mailsync_config_get_dynamic (self, section, "remotepass", "eval", "cmd", TRUE, password, error);
    }
  if (_mailsync_config_has (self, section, "remotepass"))
    {
      *source = "remotepass";
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

      *source = "remotepassfile";
      if (path == NULL)
        return error == NULL || *error == NULL;
      if (!g_file_get_contents (path, &contents, &length, &local_error))
        return _mailsync_config_error (self, section, "remotepassfile", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                       "cannot read '%s': %s", path, local_error->message);
      *password = g_strstrip (g_strndup (contents, strcspn (contents, "\n")));
      memset (contents, 0, length);
      return TRUE;
    }

  *password = _mailsync_credentials_find_password (ctx->account, ctx->name, host, user, !ignore_keyring,
                                                   NULL, NULL, &asked, source, cancellable);
  if (*password != NULL)
    return TRUE;
  /* offlineimap stops there too ("Prompting for a password is not
   * supported in this UI backend"): a login with an empty password would
   * only fail, on every run, and count against the account on servers
   * that lock it or ban the address after failed logins. */
  _mailsync_config_error (self, section, NULL, MAILSYNC_ERROR_INTERACTION_REQUIRED, &none,
                          "no password for %s%s%s (account %s): set remotepass, remotepassfile, remotepasscmd "
                          "or remotepasseval, add it to ~/.netrc, or use a UI that asks for it (ttyui, "
                          "blinkenlights, machineui)",
                          *user != NULL ? *user : "", *user != NULL ? "@" : "", host != NULL ? host : "the server",
                          ctx->account);
  *missing = g_strdup (none->message);
  /* only what was asked is stored: nothing else gave one */
  *store_after_login = update_keyring && host != NULL && *user != NULL;
  return TRUE;
}

/* offlineimap's GmailRepository default token endpoint */
#define GMAIL_OAUTH2_REQUEST_URL "https://accounts.google.com/o/oauth2/token"

/* The proxy of the account's OAuth2 token requests, as a GIO proxy URI,
 * or NULL for none: offlineimap's authproxy, which defaults to the
 * account's proxy; set and empty, no proxy. A value that is not
 * TYPE:HOST:PORT is warned about and ignored (a direct request), as
 * offlineimap ignores a proxy it cannot use. */
static char *
oauth2_proxy (RepoContext *ctx)
{
  MailsyncConfig *self = ctx->self;
  const char *option = NULL;
  g_autofree char *value = NULL;
  g_autoptr(GError) bad = NULL;
  char *uri;

  if (ctx->account_section == NULL)
    return NULL;
  if (_mailsync_config_has (self, ctx->account_section, "authproxy"))
    option = "authproxy";
  else if (_mailsync_config_has (self, ctx->account_section, "proxy"))
    option = "proxy";
  else
    return NULL;
  value = _mailsync_config_get_str (self, ctx->account_section, option, NULL);
  if (value == NULL || *value == '\0')
    return NULL;
  uri = _mailsync_net_proxy_uri (value, &bad);
  /* the proxy option's own warning is apply_proxy's (mailsync-config.c) */
  if (uri == NULL && strcmp (option, "authproxy") == 0)
    _mailsync_config_warn (self, ctx->account_section, option,
                           "%s; OAuth2 token requests connect directly (as offlineimap does)", bad->message);
  return uri;
}

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
  g_autofree char *client_id = NULL, *url = NULL, *proxy = NULL;
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
  proxy = oauth2_proxy (ctx);
  *oauth2 = _mailsync_oauth2_new (url, client_id, client_secret, refresh, (guint) socktimeout, proxy);
  return TRUE;
}
