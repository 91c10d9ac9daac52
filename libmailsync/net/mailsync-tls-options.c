#include "config.h"

#include "net/mailsync-tls-options.h"
#include "mailsync-error.h"

#include <string.h>
#include <gnutls/gnutls.h>

MailsyncTlsOptions *
mailsync_tls_options_new (void)
{
  MailsyncTlsOptions *options = g_new0 (MailsyncTlsOptions, 1);

  options->verify = TRUE;
  return options;
}

MailsyncTlsOptions *
mailsync_tls_options_copy (const MailsyncTlsOptions *options)
{
  MailsyncTlsOptions *copy;

  if (options == NULL)
    return NULL;
  copy = g_new0 (MailsyncTlsOptions, 1);
  copy->ca_file = g_strdup (options->ca_file);
  copy->fingerprints = g_strdupv (options->fingerprints);
  copy->client_cert = g_strdup (options->client_cert);
  copy->client_key = g_strdup (options->client_key);
  copy->tls_level = options->tls_level;
  copy->ssl_version = options->ssl_version;
  copy->verify = options->verify;
  copy->defer_verify_failure = options->defer_verify_failure;
  return copy;
}

void
mailsync_tls_options_free (MailsyncTlsOptions *options)
{
  if (options == NULL)
    return;
  g_free (options->ca_file);
  g_strfreev (options->fingerprints);
  g_free (options->client_cert);
  g_free (options->client_key);
  g_free (options);
}

static const struct
{
  const char *name;
  MailsyncTlsLevel level;
} levels[] = {
  { "tls_secure", MAILSYNC_TLS_LEVEL_SECURE },
  { "tls_no_ssl", MAILSYNC_TLS_LEVEL_NO_SSL },
  { "tls_compat", MAILSYNC_TLS_LEVEL_COMPAT },
};

static const struct
{
  const char *name;
  MailsyncTlsVersion version;
} versions[] = {
  { "ssl23", MAILSYNC_TLS_VERSION_ANY },
  { "ssl3", MAILSYNC_TLS_VERSION_SSL3 },
  { "tls1", MAILSYNC_TLS_VERSION_TLS1_0 },
  { "tls1_1", MAILSYNC_TLS_VERSION_TLS1_1 },
  { "tls1_2", MAILSYNC_TLS_VERSION_TLS1_2 },
  { "tls1_3", MAILSYNC_TLS_VERSION_TLS1_3 },
};

gboolean
mailsync_tls_level_from_string (const char        *value,
                                MailsyncTlsLevel  *level,
                                GError           **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (value ? value : ""));

  for (gsize i = 0; i < G_N_ELEMENTS (levels); i++)
    if (g_ascii_strcasecmp (stripped, levels[i].name) == 0)
      {
        *level = levels[i].level;
        return TRUE;
      }
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
               "Invalid tls_level \"%s\": expected tls_secure, tls_no_ssl or tls_compat",
               stripped);
  return FALSE;
}

gboolean
mailsync_tls_version_from_string (const char         *value,
                                  MailsyncTlsVersion *version,
                                  GError            **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (value ? value : ""));

  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    if (g_ascii_strcasecmp (stripped, versions[i].name) == 0)
      {
        *version = versions[i].version;
        return TRUE;
      }
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
               "Invalid ssl_version \"%s\": expected ssl23, tls1, tls1_1, tls1_2 or tls1_3",
               stripped);
  return FALSE;
}

gboolean
mailsync_tls_pin_parse (const char     *text,
                        MailsyncTlsPin *pin,
                        GError        **error)
{
  g_autoptr(GString) hex = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ':' || g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isxdigit (*p))
        goto invalid;
      g_string_append_c (hex, *p);
    }

  memset (pin, 0, sizeof *pin);
  switch (hex->len)
    {
    case 40: pin->algorithm = GNUTLS_DIG_SHA1; break;
    case 56: pin->algorithm = GNUTLS_DIG_SHA224; break;
    case 64: pin->algorithm = GNUTLS_DIG_SHA256; break;
    case 96: pin->algorithm = GNUTLS_DIG_SHA384; break;
    case 128: pin->algorithm = GNUTLS_DIG_SHA512; break;
    default: goto invalid;
    }
  pin->length = hex->len / 2;
  for (gsize i = 0; i < pin->length; i++)
    pin->digest[i] = (g_ascii_xdigit_value (hex->str[2 * i]) << 4)
                     | g_ascii_xdigit_value (hex->str[2 * i + 1]);
  return TRUE;

invalid:
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
               "Invalid cert_fingerprint \"%s\": expected the hex SHA1, SHA224, SHA256, "
               "SHA384 or SHA512 digest of the server certificate", text);
  return FALSE;
}

gboolean
mailsync_tls_options_set_fingerprints (MailsyncTlsOptions *options,
                                       const char         *value,
                                       GError            **error)
{
  g_auto(GStrv) parts = g_strsplit (value ? value : "", ",", -1);
  g_autoptr(GPtrArray) pins = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      MailsyncTlsPin pin;
      char *item = g_strstrip (parts[i]);

      if (*item == '\0')
        continue;
      if (!mailsync_tls_pin_parse (item, &pin, error))
        return FALSE;
      g_ptr_array_add (pins, g_strdup (item));
    }

  g_strfreev (options->fingerprints);
  options->fingerprints = NULL;
  if (pins->len > 0)
    {
      g_ptr_array_add (pins, NULL);
      options->fingerprints = (char **) g_ptr_array_free (g_steal_pointer (&pins), FALSE);
    }
  return TRUE;
}

static gboolean
check_file (const char  *option,
            const char  *path,
            GError     **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
               "%s \"%s\" does not exist or is not a file", option, path);
  return FALSE;
}

gboolean
mailsync_tls_options_check (const MailsyncTlsOptions *options,
                            GError                  **error)
{
  g_return_val_if_fail (options != NULL, FALSE);

  if (options->tls_level > MAILSYNC_TLS_LEVEL_COMPAT
      || options->ssl_version > MAILSYNC_TLS_VERSION_TLS1_3)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "Invalid tls_level or ssl_version");
      return FALSE;
    }
  for (guint i = 0; options->fingerprints && options->fingerprints[i]; i++)
    {
      MailsyncTlsPin pin;

      if (!mailsync_tls_pin_parse (options->fingerprints[i], &pin, error))
        return FALSE;
    }
  if (options->ca_file != NULL
      && strcmp (options->ca_file, MAILSYNC_TLS_CA_FILE_OS_DEFAULT) != 0
      && !check_file ("sslcacertfile", options->ca_file, error))
    return FALSE;
  if (options->client_key != NULL && options->client_cert == NULL)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "sslclientkey is set but sslclientcert is not");
      return FALSE;
    }
  if (options->client_cert != NULL
      && !check_file ("sslclientcert", options->client_cert, error))
    return FALSE;
  if (options->client_key != NULL
      && !check_file ("sslclientkey", options->client_key, error))
    return FALSE;
  return TRUE;
}

static MailsyncTlsVersion
min_version (const MailsyncTlsOptions *options)
{
  MailsyncTlsVersion min;

  switch (options->tls_level)
    {
    case MAILSYNC_TLS_LEVEL_SECURE:
      min = MAILSYNC_TLS_VERSION_TLS1_1;
      break;
    case MAILSYNC_TLS_LEVEL_NO_SSL:
    case MAILSYNC_TLS_LEVEL_COMPAT:
      min = MAILSYNC_TLS_VERSION_TLS1_0;
      break;
    case MAILSYNC_TLS_LEVEL_DEFAULT:
    default:
      min = MAILSYNC_TLS_VERSION_TLS1_2;
      break;
    }
  return MAX (min, options->ssl_version);
}

/* gnutls' names, lowest first. */
static const char *const version_names[] = { "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3" };

const char *
mailsync_tls_options_get_min_version_name (const MailsyncTlsOptions *options)
{
  return version_names[min_version (options) - MAILSYNC_TLS_VERSION_TLS1_0];
}

char *
mailsync_tls_options_get_priority (const MailsyncTlsOptions *options)
{
  GString *priority = g_string_new ("NORMAL");
  MailsyncTlsVersion min = min_version (options);

  if (options->tls_level == MAILSYNC_TLS_LEVEL_COMPAT)
    g_string_append (priority, ":%COMPAT");
  g_string_append (priority, ":-VERS-ALL");
  for (MailsyncTlsVersion v = MAILSYNC_TLS_VERSION_TLS1_3; v >= min; v--)
    g_string_append_printf (priority, ":+VERS-%s",
                            version_names[v - MAILSYNC_TLS_VERSION_TLS1_0]);
  return g_string_free (priority, FALSE);
}
