/* Where a password comes from when the configuration does not give it
 * (netrc, the keyring, the client's prompt, in offlineimap's order), and
 * storing it in the keyring after a successful login (--update-keyring).
 * Moved out of config/mailsync-config-credentials.c (issue 14 item 1),
 * which still reads the options and calls this. Secrets are wiped before
 * they are freed and never appear in a message. */
#include "config.h"

#include "credentials/mailsync-credentials-private.h"
#include "credentials/mailsync-netrc.h"
#include "mailsync-error.h"

#include <string.h>

void
_mailsync_credentials_free_secret (char *secret)
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
_mailsync_credentials_set_keyring_store_func (MailsyncKeyringStoreFunc func)
{
  keyring_store_func = func;
}

gboolean
_mailsync_credentials_can_store (GError **error)
{
  return keyring_store_func != NULL || _mailsync_keyring_is_available (error);
}

typedef struct
{
  char *host;
  char *user;
  MailsyncCredentialsPasswordGetter get_password;
} KeyringItem;

static void
keyring_item_free (gpointer data,
                   GClosure *closure G_GNUC_UNUSED)
{
  KeyringItem *item = data;

  g_free (item->host);
  g_free (item->user);
  g_free (item);
}

/* qdata of a repository: the GError of its failed store */
static G_DEFINE_QUARK (mailsync-credentials-store-error, store_error)

/* --update-keyring: the password goes to the keyring once the server has
 * accepted it (the repository opened), never a mistyped one before. */
static void
keyring_store_on_open (MailsyncRepository *repo,
                       KeyringItem        *item)
{
  g_autoptr(GError) error = NULL;
  MailsyncKeyringStoreFunc store = keyring_store_func;
  char *password = item->get_password (repo);

  if (store == NULL)
    store = _mailsync_keyring_store;
  /* opened without one (a PREAUTH greeting): nothing to store, and
   * nothing stored before a login that used one */
  if (password == NULL)
    return;
  /* The library does not print: a GUI client has no terminal to show a
   * printed warning on. Nor is it an error of the open: the login
   * worked and the sync goes on. It stays on the repository until its
   * account takes it and emits a warning event naming the repository,
   * which every client shows as it shows the sync's other warnings (the
   * frontend: one WARNING line). */
  if (!store (item->host, item->user, password, &error))
    {
      g_prefix_error (&error, "Repository %s: could not store the password in the keyring: ",
                      mailsync_repository_get_name (repo));
      g_object_set_qdata_full (G_OBJECT (repo), store_error_quark (), g_steal_pointer (&error),
                               (GDestroyNotify) g_error_free);
    }
  _mailsync_credentials_free_secret (password);
  /* Once per process, as offlineimap; this frees @item. */
  g_signal_handlers_disconnect_by_func (repo, keyring_store_on_open, item);
}

GError *
_mailsync_credentials_take_store_error (MailsyncRepository *repo)
{
  return g_object_steal_qdata (G_OBJECT (repo), store_error_quark ());
}

char *
_mailsync_credentials_find_password (const char           *account,
                                     const char           *repository,
                                     const char           *host,
                                     char                **user,
                                     gboolean              use_keyring,
                                     MailsyncPasswordFunc  ask,
                                     gpointer              ask_data,
                                     gboolean             *asked,
                                     const char          **source,
                                     GCancellable         *cancellable)
{
  g_autofree char *netrc_user = NULL;
  char *password = NULL;

  *asked = FALSE;
  if (source != NULL)
    *source = NULL;
  if (host != NULL)
    {
      /* NULL: $HOME/.netrc, $HOME read now (g_get_home_dir() keeps its
       * first answer) */
      const char *const netrcs[] = { NULL, "/etc/netrc" };

      for (guint i = 0; i < G_N_ELEMENTS (netrcs) && password == NULL; i++)
        {
          g_clear_pointer (&netrc_user, g_free);
          password = mailsync_netrc_lookup (netrcs[i], host, *user, *user == NULL ? &netrc_user : NULL);
          if (password != NULL && *user == NULL)
            *user = g_steal_pointer (&netrc_user);
          if (password != NULL && source != NULL)
            *source = i == 0 ? "~/.netrc" : netrcs[i];
        }
      if (password != NULL)
        return password;
    }

  if (use_keyring && host != NULL && *user != NULL && keyring_usable ())
    {
      g_autoptr(GError) local_error = NULL;

      /* no keyring (or no module) is no password, as no item is */
      password = _mailsync_keyring_lookup (host, *user, cancellable, &local_error);
      if (local_error != NULL)
        g_debug ("keyring: %s", local_error->message);
      if (password != NULL && source != NULL)
        *source = "the keyring";
    }

  if (password == NULL && ask != NULL)
    {
      password = ask (account, repository, *user, host, ask_data);
      *asked = password != NULL;
    }
  return password;
}

/* --update-keyring: stores the password @repo logged in with, for @host
 * and @user, once @repo has opened (the server accepted it). */
void
_mailsync_credentials_store_after_login (MailsyncRepository                *repo,
                                         const char                        *host,
                                         const char                        *user,
                                         MailsyncCredentialsPasswordGetter  get_password)
{
  KeyringItem *item = g_new0 (KeyringItem, 1);

  item->host = g_strdup (host);
  item->user = g_strdup (user);
  item->get_password = get_password;
  g_signal_connect_data (repo, "opened", G_CALLBACK (keyring_store_on_open), item,
                         keyring_item_free, 0);
}
