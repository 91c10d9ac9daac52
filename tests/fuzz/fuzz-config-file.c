/* libFuzzer target for the configuration file parser (issue 12 item 10):
 * offlineimap's configparser dialect, % interpolation, and the value
 * checks every section gets when the configuration is built (types,
 * ranges, unknown keys) — everything that runs no command and no Python.
 *
 * Checks beyond "no crash": every section and key listed can be read back,
 * and a value read as a boolean, number or list never fails without an
 * error set. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mailsync.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
read_key (MailsyncConfigFile *file, const char *section, const char *key)
{
  g_autofree char *raw = mailsync_config_file_get_raw (file, section, key);
  g_autofree char *location = mailsync_config_file_get_location (file, section, key);
  g_autofree char *value = NULL;
  g_auto(GStrv) list = NULL;
  g_autoptr(GError) error = NULL;
  gboolean b;
  gint64 i;
  double d;

  if (raw == NULL || !mailsync_config_file_has_key (file, section, key))
    abort ();
  value = mailsync_config_file_get_string (file, section, key, &error);
  if ((value == NULL) != (error != NULL))
    abort ();
  g_clear_error (&error);
  if (!mailsync_config_file_get_boolean (file, section, key, FALSE, &b, &error) && error == NULL)
    abort ();
  g_clear_error (&error);
  if (!mailsync_config_file_get_int64 (file, section, key, 0, &i, &error) && error == NULL)
    abort ();
  g_clear_error (&error);
  if (!mailsync_config_file_get_double (file, section, key, 0, &d, &error) && error == NULL)
    abort ();
  g_clear_error (&error);
  list = mailsync_config_file_get_list (file, section, key, &error);
  if ((list == NULL) != (error != NULL))
    abort ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(MailsyncConfigFile) file = mailsync_config_file_new ();
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) sections = NULL;
  g_auto(GStrv) names = NULL;
  g_auto(GStrv) warnings = NULL;

  if (!mailsync_config_file_load_from_data (file, (const char *) data, (gssize) size, "fuzz.conf", &error))
    {
      if (error == NULL)
        abort ();
      return 0;
    }
  sections = mailsync_config_file_get_sections (file);
  for (guint s = 0; sections[s] != NULL; s++)
    {
      g_auto(GStrv) keys = mailsync_config_file_get_keys (file, sections[s]);

      if (!mailsync_config_file_has_section (file, sections[s]))
        abort ();
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        read_key (file, sections[s], keys[k]);
    }

  config = mailsync_config_new (file, &error);
  if (config == NULL)
    {
      if (error == NULL)
        abort ();
      return 0;
    }
  names = mailsync_config_get_account_names (config, &error);
  g_clear_error (&error);
  warnings = mailsync_config_get_warnings (config);
  return 0;
}
