/* Fixtures of the check-config* programs (moved from check-config.c). */
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

