/* MailsyncTlsStream verifying the server: CA files, pins, the system store,
 * expiry, verification disabled, and the credentials that connections with
 * the same settings share. Server and helpers: tls-fixtures.h. */
#include "config.h"

#include "tls-fixtures.h"

#include <glib/gstdio.h>

/* Verification --------------------------------------------------------------- */

START_TEST (test_ca_file_ip_address)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  TestServer server = { 0 };

  expect_success (&server, "127.0.0.1", options);
  server_clear (&server);
}
END_TEST

START_TEST (test_ca_file_localhost)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  TestServer server = { 0 };

  expect_success (&server, "localhost", options);
  server_clear (&server);
}
END_TEST

START_TEST (test_ca_file_ipv6)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  TestServer server = { .ipv6 = TRUE };

  if (!server_try_start (&server, &error))
    {
      /* No IPv6 loopback here (some containers). */
      server_clear (&server);
      return;
    }
  stream = tls_connect (&server, "[::1]", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");
  assert_echo (stream, "a001 NOOP\r\n");
  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

START_TEST (test_wrong_hostname)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autofree char *sha256 = fingerprint ("server.pem", GNUTLS_DIG_SHA256, ":", FALSE);
  g_autofree char *message = NULL;
  TestServer server = { 0 };

  message = expect_failure (&server, "imap.example.com", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "\"imap.example.com\"");
  assert_contains (message, "does not match");
  assert_contains (message, sha256);
  server_clear (&server);

  /* An IP that is not in the certificate's IP SANs. */
  message = (g_free (message), expect_failure (&server, "127.0.0.2", options,
                                               G_TLS_ERROR_BAD_CERTIFICATE));
  assert_contains (message, "does not match");
  server_clear (&server);
}
END_TEST

START_TEST (test_self_signed_rejected)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autofree char *sha256 = fingerprint ("selfsigned.pem", GNUTLS_DIG_SHA256, ":", FALSE);
  g_autofree char *sha1 = fingerprint ("selfsigned.pem", GNUTLS_DIG_SHA1, ":", FALSE);
  g_autofree char *message = NULL;
  TestServer server = { .cert = "selfsigned.pem", .key = "selfsigned-key.pem" };

  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "NOT trusted");
  assert_contains (message, "Server certificate SHA256 fingerprint: ");
  assert_contains (message, sha256);
  assert_contains (message, sha1);
  server_clear (&server);

  /* Our CA file does not help either. */
  g_free (options->ca_file);
  options->ca_file = data_file ("ca.pem");
  g_free (message);
  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, sha256);
  server_clear (&server);
}
END_TEST

START_TEST (test_pin_sha256)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autofree char *pin = fingerprint ("selfsigned.pem", GNUTLS_DIG_SHA256, ":", TRUE);
  char *pins[] = { pin, NULL };
  TestServer server = { .cert = "selfsigned.pem", .key = "selfsigned-key.pem" };

  options->fingerprints = g_strdupv (pins);
  /* The pin alone accepts the certificate, even for another name. */
  expect_success (&server, "imap.example.com", options);
  server_clear (&server);
}
END_TEST

START_TEST (test_pin_sha1_and_list)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *sha1 = fingerprint ("selfsigned.pem", GNUTLS_DIG_SHA1, "", FALSE);
  g_autofree char *sha512 = fingerprint ("selfsigned.pem", GNUTLS_DIG_SHA512, "", TRUE);
  g_autofree char *other = fingerprint ("server.pem", GNUTLS_DIG_SHA256, ":", FALSE);
  g_autofree char *list = NULL;
  TestServer server = { .cert = "selfsigned.pem", .key = "selfsigned-key.pem" };

  ck_assert (mailsync_tls_options_set_fingerprints (options, sha1, &error));
  expect_success (&server, "localhost", options);
  server_clear (&server);

  /* offlineimap's comma-separated list: any entry may match. */
  list = g_strdup_printf ("%s , %s", other, sha512);
  ck_assert (mailsync_tls_options_set_fingerprints (options, list, &error));
  ck_assert_uint_eq (g_strv_length (options->fingerprints), 2);
  expect_success (&server, "localhost", options);
  server_clear (&server);
}
END_TEST

START_TEST (test_wrong_pin)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *other = fingerprint ("server.pem", GNUTLS_DIG_SHA256, ":", FALSE);
  g_autofree char *mine = fingerprint ("selfsigned.pem", GNUTLS_DIG_SHA256, ":", FALSE);
  g_autofree char *message = NULL;
  TestServer server = { .cert = "selfsigned.pem", .key = "selfsigned-key.pem" };

  ck_assert (mailsync_tls_options_set_fingerprints (options, other, &error));
  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "matches no configured cert_fingerprint");
  assert_contains (message, mine);
  server_clear (&server);
}
END_TEST

START_TEST (test_pin_with_ca_file)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autofree char *server_pin = fingerprint ("server.pem", GNUTLS_DIG_SHA256, ":", FALSE);
  g_autofree char *self_pin = fingerprint ("selfsigned.pem", GNUTLS_DIG_SHA256, ":", FALSE);
  g_autofree char *message = NULL;
  TestServer server = { 0 };
  TestServer self_signed = { .cert = "selfsigned.pem", .key = "selfsigned-key.pem" };

  /* Both set: both checks. A valid chain with the right pin passes. */
  ck_assert (mailsync_tls_options_set_fingerprints (options, server_pin, &error));
  expect_success (&server, "localhost", options);
  server_clear (&server);

  /* A valid chain with a wrong pin fails. */
  ck_assert (mailsync_tls_options_set_fingerprints (options, self_pin, &error));
  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "cert_fingerprint");
  server_clear (&server);

  /* A matching pin does not rescue an untrusted chain when a CA is set. */
  g_free (message);
  message = expect_failure (&self_signed, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "NOT trusted");
  server_clear (&self_signed);
}
END_TEST

START_TEST (test_system_store_rejects_test_ca)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autofree char *message = NULL;
  TestServer server = { 0 };

  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "issuer is unknown");
  server_clear (&server);

  options->ca_file = g_strdup (MAILSYNC_TLS_CA_FILE_OS_DEFAULT);
  g_free (message);
  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "issuer is unknown");
  server_clear (&server);
}
END_TEST

/* A system store that is a PEM bundle is read at verification, and only
 * the CA that issued the server's certificate is used (issue 13 item 4):
 * here a test bundle (MAILSYNC_TEST_SYSTEM_TRUST_FILE) with the test CA
 * among other certificates verifies the test server through the system
 * store, a host name mismatch is still one, and a bundle without the CA
 * finds no issuer. */
START_TEST (test_system_store_on_demand)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autofree char *bundle = g_build_filename (dir, "ca-certificates.crt", NULL);
  g_autofree char *ca_path = data_file ("ca.pem");
  g_autofree char *other_path = data_file ("selfsigned.pem");
  g_autofree char *expired_path = data_file ("expired.pem");
  g_autofree char *ca = NULL, *other = NULL, *expired = NULL, *message = NULL, *with_ca = NULL;
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  gsize length;
  TestServer server = { 0 };

  ca = mailsync_test_read_file (ca_path, &length);
  other = mailsync_test_read_file (other_path, &length);
  expired = mailsync_test_read_file (expired_path, &length);
  /* comments and other certificates around it, as in a real bundle */
  with_ca = g_strconcat ("# a comment\n", other, expired, "# the test CA\n", ca, other, NULL);
  ck_assert (g_file_set_contents (bundle, with_ca, -1, NULL));
  g_setenv ("MAILSYNC_TEST_SYSTEM_TRUST_FILE", bundle, TRUE);

  expect_success (&server, "localhost", options);
  server_clear (&server);
  message = expect_failure (&server, "imap.example.com", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "does not match");
  server_clear (&server);

  /* OS-DEFAULT is the same store */
  options->ca_file = g_strdup (MAILSYNC_TLS_CA_FILE_OS_DEFAULT);
  expect_success (&server, "127.0.0.1", options);
  server_clear (&server);

  ck_assert (g_file_set_contents (bundle, other, -1, NULL));
  g_free (message);
  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "issuer is unknown");
  server_clear (&server);

  /* an unreadable bundle is an error, never a pass */
  ck_assert (g_unlink (bundle) == 0);
  g_free (message);
  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "Cannot read the CA certificates");
  server_clear (&server);

  g_unsetenv ("MAILSYNC_TEST_SYSTEM_TRUST_FILE");
  mailsync_test_rm_rf (dir);
}
END_TEST

/* An sslcacertfile of more than 16 certificates is a bundle, read at
 * verification like the system store (issue 13 item 4): with the test CA
 * among 20 others it verifies, without it no issuer is found. */
START_TEST (test_ca_file_bundle)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autofree char *bundle = g_build_filename (dir, "bundle.pem", NULL);
  g_autofree char *ca_path = data_file ("ca.pem");
  g_autofree char *other_path = data_file ("selfsigned.pem");
  g_autofree char *ca = NULL, *other = NULL, *message = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  gsize length;
  TestServer server = { 0 };

  ca = mailsync_test_read_file (ca_path, &length);
  other = mailsync_test_read_file (other_path, &length);
  for (guint i = 0; i < 20; i++)
    g_string_append (text, other);
  ck_assert (g_file_set_contents (bundle, text->str, -1, NULL));
  options->ca_file = g_strdup (bundle);
  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "issuer is unknown");
  server_clear (&server);

  g_string_insert (text, text->len / 2, ca);
  ck_assert (g_file_set_contents (bundle, text->str, -1, NULL));
  expect_success (&server, "localhost", options);
  server_clear (&server);
  mailsync_test_rm_rf (dir);
}
END_TEST

START_TEST (test_expired)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autofree char *message = NULL;
  TestServer server = { .cert = "expired.pem" };

  message = expect_failure (&server, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "expired");
  server_clear (&server);
}
END_TEST

START_TEST (test_verify_disabled)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  TestServer server = { .cert = "selfsigned.pem", .key = "selfsigned-key.pem" };
  TestServer expired = { .cert = "expired.pem" };

  options->verify = FALSE;
  expect_success (&server, "imap.example.com", options);
  server_clear (&server);
  expect_success (&expired, "localhost", options);
  server_clear (&expired);
}
END_TEST

/* Shared credentials --------------------------------------------------------- */

static void
copy_data_file (const char *name,
                const char *dest)
{
  g_autofree char *src = data_file (name);
  g_autofree char *contents = NULL;
  gsize length;

  contents = mailsync_test_read_file (src, &length);
  ck_assert (g_file_set_contents (dest, contents, length, NULL));
}

/* Connects to a new @server as localhost and echoes a line; the connection
 * (and the credentials it holds) stays open until close_ok(). */
static GIOStream *
open_ok (TestServer               *server,
         const MailsyncTlsOptions *options)
{
  g_autoptr(GError) error = NULL;
  GIOStream *stream;

  server_start (server);
  stream = tls_connect (server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "connection failed: %s", error ? error->message : "?");
  assert_echo (stream, "a001 NOOP\r\n");
  return stream;
}

static void
close_ok (GIOStream  *stream,
          TestServer *server)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (g_io_stream_close (stream, NULL, &error), "close: %s", error ? error->message : "?");
  g_object_unref (stream);
  server_clear (server);
  ck_assert (server->handshake_ok);
}

/* Connections with the same CA file and client certificate share one
 * credentials structure, loaded by the first and freed with the last.
 * Seen from outside: while one is open, changing the CA file does not
 * change what the next such connection trusts; a different CA file or
 * client certificate is loaded on its own. */
START_TEST (test_shared_credentials)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *wrong = g_build_filename (dir, "wrong.pem", NULL);
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autoptr(MailsyncTlsOptions) other = mailsync_tls_options_new ();
  g_autoptr(MailsyncTlsOptions) unverified = NULL;
  g_autoptr(MailsyncTlsOptions) good = options_with_ca ();
  g_autoptr(MailsyncTlsOptions) with_cert = options_with_ca ();
  g_autofree char *message = NULL;
  TestServer s1 = { 0 }, s2 = { 0 }, s3 = { 0 }, s4 = { 0 }, s5 = { 0 }, s6 = { 0 };
  TestServer s7 = { .require_client_cert = TRUE };
  GIOStream *first, *second, *held, *plain, *client;

  copy_data_file ("ca.pem", ca);
  copy_data_file ("selfsigned.pem", wrong);     /* does not hold the test CA */
  options->ca_file = g_strdup (ca);
  other->ca_file = g_strdup (wrong);

  first = open_ok (&s1, options);
  /* The CA file loses the test CA under the open connection: a second
   * connection with the same settings uses what the first one loaded. */
  copy_data_file ("selfsigned.pem", ca);
  second = open_ok (&s2, options);

  /* Another CA file gets its own credentials, and fails as it should. */
  message = expect_failure (&s3, "localhost", other, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "issuer is unknown");
  server_clear (&s3);

  /* Freed with the last connection: the next one reads the file again. */
  close_ok (first, &s1);
  close_ok (second, &s2);
  g_free (message);
  message = expect_failure (&s4, "localhost", options, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_contains (message, "issuer is unknown");
  server_clear (&s4);

  /* The other way round: while a connection holds credentials without the
   * test CA (it does not verify), one with a CA file that has it passes. */
  unverified = mailsync_tls_options_copy (options);
  unverified->verify = FALSE;
  held = open_ok (&s5, unverified);
  plain = open_ok (&s6, good);

  /* Same CA file as an open connection, plus a client certificate: loaded
   * on its own, so the certificate is presented. */
  with_cert->client_cert = data_file ("client.pem");
  with_cert->client_key = data_file ("client-key.pem");
  client = open_ok (&s7, with_cert);
  close_ok (client, &s7);
  ck_assert (s7.client_cert_ok);

  close_ok (plain, &s6);
  close_ok (held, &s5);
  mailsync_test_rm_rf (dir);
}
END_TEST

static Suite *
tls_suite (void)
{
  Suite *suite = suite_create ("tls-verify");
  TCase *tc;

  tc = tcase_create ("verification");
  tcase_add_test (tc, test_ca_file_ip_address);
  tcase_add_test (tc, test_ca_file_localhost);
  tcase_add_test (tc, test_ca_file_ipv6);
  tcase_add_test (tc, test_wrong_hostname);
  tcase_add_test (tc, test_self_signed_rejected);
  tcase_add_test (tc, test_pin_sha256);
  tcase_add_test (tc, test_pin_sha1_and_list);
  tcase_add_test (tc, test_wrong_pin);
  tcase_add_test (tc, test_pin_with_ca_file);
  tcase_add_test (tc, test_system_store_rejects_test_ca);
  mailsync_test_add_hooks_test (tc, test_system_store_on_demand);
  tcase_add_test (tc, test_ca_file_bundle);
  tcase_add_test (tc, test_expired);
  tcase_add_test (tc, test_verify_disabled);
  tcase_add_test (tc, test_shared_credentials);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return mailsync_test_run (tls_suite ());
}
