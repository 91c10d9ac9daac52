/* MailsyncTlsStream handshakes: client certificates, protocol versions and
 * a server that does not speak TLS. Server and helpers: tls-fixtures.h. */
#include "config.h"

#include <string.h>

#include "tls-fixtures.h"

/* Client certificates and protocol versions ---------------------------------- */

START_TEST (test_client_certificate)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  TestServer server = { .require_client_cert = TRUE };

  options->client_cert = data_file ("client.pem");
  options->client_key = data_file ("client-key.pem");
  expect_success (&server, "localhost", options);
  ck_assert (server.client_cert_ok);
  server_clear (&server);
}
END_TEST

/* Without one, the failure shows in the handshake (TLS 1.2) or, as TLS 1.3
 * clients finish first, on the first read. */
static void
check_client_certificate_missing (const char *priority)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  TestServer server = { .require_client_cert = TRUE, .priority = priority };
  char byte;

  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  if (stream != NULL)
    {
      g_output_stream_write_all (g_io_stream_get_output_stream (stream), "x", 1, NULL, NULL, NULL);
      ck_assert_int_eq (g_input_stream_read (g_io_stream_get_input_stream (stream), &byte, 1,
                                             NULL, &error), -1);
    }
  ck_assert_msg (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED),
                 "got %s", error->message);
  assert_contains (error->message, "requires a client certificate");
  assert_one_line (error);
  g_clear_object (&stream);
  server_join (&server);
  ck_assert (!server.handshake_ok);
  server_clear (&server);
}

START_TEST (test_client_certificate_missing_tls13)
{
  check_client_certificate_missing ("NORMAL:-VERS-ALL:+VERS-TLS1.3");
}
END_TEST

START_TEST (test_client_certificate_missing_tls12)
{
  check_client_certificate_missing ("NORMAL:-VERS-ALL:+VERS-TLS1.2");
}
END_TEST

START_TEST (test_min_version_tls13)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  TestServer server = { .priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2" };

  /* The same server is fine by default, over TLS 1.2. */
  expect_success (&server, "localhost", options);
  ck_assert_str_eq (server.protocol, "TLS1.2");
  server_clear (&server);

  ck_assert (mailsync_tls_version_from_string ("tls1_3", &options->ssl_version, &error));
  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  ck_assert_ptr_null (stream);
  ck_assert_msg (error->domain == G_TLS_ERROR
                 && (error->code == G_TLS_ERROR_HANDSHAKE || error->code == G_TLS_ERROR_NOT_TLS),
                 "got %s", error->message);
  assert_one_line (error);
  assert_contains (error->message, "TLS1.3");
  server_join (&server);
  ck_assert (!server.handshake_ok);
  server_clear (&server);
}
END_TEST

START_TEST (test_default_level_refuses_tls11)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  TestServer server = { .priority = "NORMAL:-VERS-ALL:+VERS-TLS1.1" };

  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  ck_assert_ptr_null (stream);
  ck_assert_msg (error->domain == G_TLS_ERROR, "got %s", error->message);
  assert_one_line (error);
  assert_contains (error->message, "TLS1.2");
  server_clear (&server);
}
END_TEST

START_TEST (test_plaintext_server)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autofree char *message = NULL;
  TestServer server = { .mode = SERVE_PLAINTEXT };

  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_NOT_TLS);
  assert_contains (message, "does not speak TLS");
  server_clear (&server);
}
END_TEST

static Suite *
tls_suite (void)
{
  Suite *suite = suite_create ("tls-handshake");
  TCase *tc;

  tc = tcase_create ("handshake");
  tcase_add_test (tc, test_client_certificate);
  tcase_add_test (tc, test_client_certificate_missing_tls13);
  tcase_add_test (tc, test_client_certificate_missing_tls12);
  tcase_add_test (tc, test_min_version_tls13);
  tcase_add_test (tc, test_default_level_refuses_tls11);
  tcase_add_test (tc, test_plaintext_server);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return mailsync_test_run (tls_suite ());
}
