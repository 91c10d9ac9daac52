/* Fixtures of the check-config* programs (moved from check-config.c and
 * check-config-credentials.c). */
#include "config.h"

#include "config-fixtures.h"
#include "mailsync-test.h"
#include "config/mailsync-config-private.h"

char *home;

void
setup (void)
{
  home = mailsync_test_mkdtemp ();
  g_setenv ("HOME", home, TRUE);
  g_setenv ("MAILSYNC_TEST_VAR", "var-value", TRUE);
  /* no keyring lookups from the tests */
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
}

void
teardown (void)
{
  mailsync_test_rm_rf (home);
  g_clear_pointer (&home, g_free);
}


MailsyncConfig *
load_config (const char *data,
             GError    **error)
{
  g_autoptr(MailsyncConfigFile) file = mailsync_config_file_new ();

  if (!mailsync_config_file_load_from_data (file, data, -1, "t", error))
    return NULL;
  return mailsync_config_new (file, error);
}

MailsyncAccount *
create (const char      *data,
        MailsyncConfig **config_out,
        GError         **error)
{
  g_autoptr(MailsyncConfig) config = load_config (data, error);
  MailsyncAccount *account;

  if (config == NULL)
    return NULL;
  account = mailsync_config_create_account (config, "A", NULL, error);
  if (config_out != NULL)
    *config_out = g_steal_pointer (&config);
  return account;
}

char *
prompt (const char *account,
        const char *repository,
        const char *user,
        const char *host,
        gpointer    user_data)
{
  Prompt *p = user_data;

  p->calls++;
  g_free (p->last);
  p->last = g_strdup_printf ("%s|%s|%s|%s", account, repository, user ? user : "(null)", host ? host : "(null)");
  return g_strdup ("typed");
}

/* create() with the password function @func (@user_data): account A of
 * @data, its configuration in *@config_out. */
MailsyncAccount *
create_asking (const char           *data,
               MailsyncPasswordFunc  func,
               gpointer              user_data,
               MailsyncConfig      **config_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = load_config (data, &error);
  MailsyncAccount *account;

  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  mailsync_config_set_password_func (config, func, user_data, NULL);
  account = mailsync_config_create_account (config, "A", NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  *config_out = g_steal_pointer (&config);
  return account;
}

/* A server behind a transporttunnel (sh) that offers only XOAUTH2 and
 * refuses every login. */
const char refusing_server[] =
  "printf '* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] scripted\\r\\n'\n"
  "while IFS= read -r line; do\n"
  "  tag=${line%% *}\n"
  "  case \"$line\" in\n"
  "    *AUTHENTICATE*) printf '+ \\r\\n'; IFS= read -r response;\n"
  "                    printf '%s NO [AUTHENTICATIONFAILED] token refused\\r\\n' \"$tag\" ;;\n"
  "    *LOGOUT*) printf '* BYE\\r\\n%s OK\\r\\n' \"$tag\"; exit 0 ;;\n"
  "    *) printf '%s BAD\\r\\n' \"$tag\" ;;\n"
  "  esac\n"
  "done\n";
