/* MailsyncTlsStream's accessors (peer certificate, fingerprints) and
 * MailsyncTlsOptions: parsing, priorities, invalid options. Server and
 * helpers: tls-fixtures.h. */
#include "config.h"

#include <string.h>

#include "tls-fixtures.h"

/* Accessors and options ------------------------------------------------------ */

START_TEST (test_peer_fingerprint)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GBytes) der = load_der ("server.pem");
  g_autoptr(GBytes) peer = NULL;
  g_autofree char *sha256 = fingerprint ("server.pem", GNUTLS_DIG_SHA256, ":", FALSE);
  g_autofree char *sha1 = fingerprint ("server.pem", GNUTLS_DIG_SHA1, ":", FALSE);
  g_autofree char *sha512 = fingerprint ("server.pem", GNUTLS_DIG_SHA512, ":", FALSE);
  g_autofree char *got256 = NULL, *got1 = NULL, *got512 = NULL, *desc = NULL;
  MailsyncTlsStream *tls;
  TestServer server = { 0 };

  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");
  tls = MAILSYNC_TLS_STREAM (stream);

  got256 = mailsync_tls_stream_get_peer_fingerprint (tls, G_CHECKSUM_SHA256);
  got1 = mailsync_tls_stream_get_peer_fingerprint (tls, G_CHECKSUM_SHA1);
  got512 = mailsync_tls_stream_get_peer_fingerprint (tls, G_CHECKSUM_SHA512);
  ck_assert_str_eq (got256, sha256);
  ck_assert_str_eq (got1, sha1);
  ck_assert_str_eq (got512, sha512);
  peer = mailsync_tls_stream_get_peer_certificate (tls);
  ck_assert (g_bytes_equal (peer, der));
  desc = mailsync_tls_stream_get_description (tls);
  assert_contains (desc, "TLS1.");

  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

START_TEST (test_options_parsing)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autoptr(MailsyncTlsOptions) copy = NULL;
  g_autoptr(GError) error = NULL;
  MailsyncTlsLevel level;
  MailsyncTlsVersion version;
  struct { MailsyncTlsLevel level; MailsyncTlsVersion version; const char *priority; } table[] = {
    { MAILSYNC_TLS_LEVEL_DEFAULT, MAILSYNC_TLS_VERSION_ANY,
      "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
    { MAILSYNC_TLS_LEVEL_SECURE, MAILSYNC_TLS_VERSION_ANY,
      "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1" },
    { MAILSYNC_TLS_LEVEL_NO_SSL, MAILSYNC_TLS_VERSION_SSL3,
      "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0" },
    { MAILSYNC_TLS_LEVEL_COMPAT, MAILSYNC_TLS_VERSION_ANY,
      "NORMAL:%COMPAT:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0" },
    { MAILSYNC_TLS_LEVEL_COMPAT, MAILSYNC_TLS_VERSION_TLS1_2,
      "NORMAL:%COMPAT:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
    { MAILSYNC_TLS_LEVEL_SECURE, MAILSYNC_TLS_VERSION_TLS1_3, "NORMAL:-VERS-ALL:+VERS-TLS1.3" },
  };

  ck_assert (options->verify);
  ck_assert (mailsync_tls_level_from_string ("tls_secure", &level, &error));
  ck_assert_int_eq (level, MAILSYNC_TLS_LEVEL_SECURE);
  ck_assert (mailsync_tls_level_from_string (" TLS_COMPAT ", &level, &error));
  ck_assert_int_eq (level, MAILSYNC_TLS_LEVEL_COMPAT);
  ck_assert (!mailsync_tls_level_from_string ("tls_maybe", &level, &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG));
  g_clear_error (&error);
  ck_assert (mailsync_tls_version_from_string ("tls1_2", &version, &error));
  ck_assert_int_eq (version, MAILSYNC_TLS_VERSION_TLS1_2);
  ck_assert (mailsync_tls_version_from_string ("ssl23", &version, &error));
  ck_assert_int_eq (version, MAILSYNC_TLS_VERSION_ANY);
  ck_assert (!mailsync_tls_version_from_string ("tls2", &version, &error));
  g_clear_error (&error);

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autofree char *priority = NULL;
      gnutls_priority_t cache;

      options->tls_level = table[i].level;
      options->ssl_version = table[i].version;
      priority = mailsync_tls_options_get_priority (options);
      ck_assert_str_eq (priority, table[i].priority);
      ck_assert_int_ge (gnutls_priority_init (&cache, priority, NULL), 0);
      gnutls_priority_deinit (cache);
    }

  /* Fingerprints: any case, colons, blanks; lengths of the five digests. */
  ck_assert (mailsync_tls_options_set_fingerprints (options, "", &error));
  ck_assert_ptr_null (options->fingerprints);
  ck_assert (!mailsync_tls_options_set_fingerprints (options, "abcd", &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG));
  assert_one_line (error);
  g_clear_error (&error);
  ck_assert (!mailsync_tls_options_set_fingerprints (
               options, "zz00000000000000000000000000000000000000", &error));
  g_clear_error (&error);
  ck_assert (mailsync_tls_options_set_fingerprints (
               options, "AA:bb:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00,"
               "00000000000000000000000000000000000000000000000000000000", &error));
  ck_assert_uint_eq (g_strv_length (options->fingerprints), 2);

  copy = mailsync_tls_options_copy (options);
  ck_assert_uint_eq (g_strv_length (copy->fingerprints), 2);
  ck_assert_int_eq (copy->tls_level, options->tls_level);
}
END_TEST

/* Invalid options fail before any I/O and leave the base stream open. */
START_TEST (test_invalid_options)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) base = NULL;
  g_autoptr(GIOStream) stream = NULL;
  TestServer server = { 0 };

  server_start (&server);
  base = tcp_connect (&server);

  options->ca_file = g_strdup ("/nonexistent/ca.pem");
  stream = mailsync_tls_client_new (base, "localhost", options, NULL, &error);
  ck_assert_ptr_null (stream);
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG));
  assert_contains (error->message, "/nonexistent/ca.pem");
  g_clear_error (&error);

  g_clear_pointer (&options->ca_file, g_free);
  options->client_key = data_file ("client-key.pem");
  ck_assert_ptr_null (mailsync_tls_client_new (base, "localhost", options, NULL, &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG));
  g_clear_error (&error);

  /* A CA file without certificates is found at setup, before the handshake. */
  g_clear_pointer (&options->client_key, g_free);
  options->ca_file = data_file ("generate.sh");
  ck_assert_ptr_null (mailsync_tls_client_new (base, "localhost", options, NULL, &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG));
  assert_one_line (error);
  g_clear_error (&error);

  g_io_stream_close (base, NULL, NULL);
  server_clear (&server);
}
END_TEST

static Suite *
tls_suite (void)
{
  Suite *suite = suite_create ("tls-options");
  TCase *tc;

  tc = tcase_create ("api");
  tcase_add_test (tc, test_peer_fingerprint);
  tcase_add_test (tc, test_options_parsing);
  tcase_add_test (tc, test_invalid_options);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return mailsync_test_run (tls_suite ());
}
