/* MailsyncTlsStream against an in-process gnutls server thread listening on
 * a free port of 127.0.0.1, with the certificates of data/tls. */
#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <glib-unix.h>

#include "mailsync-test.h"
#include "mailsync-error.h"
#include "net/mailsync-tls-stream.h"

#define MB (1024 * 1024)

static char *
data_file (const char *name)
{
  return g_build_filename (TEST_SRCDIR, "data", "tls", name, NULL);
}

/* The DER of a PEM certificate of data/tls. */
static GBytes *
load_der (const char *name)
{
  g_autofree char *path = data_file (name);
  g_autofree char *pem = NULL;
  gnutls_datum_t in, out = { NULL, 0 };
  gnutls_x509_crt_t crt;
  GBytes *der;
  gsize len;

  pem = mailsync_test_read_file (path, &len);
  in.data = (unsigned char *) pem;
  in.size = len;
  ck_assert_int_ge (gnutls_x509_crt_init (&crt), 0);
  ck_assert_int_ge (gnutls_x509_crt_import (crt, &in, GNUTLS_X509_FMT_PEM), 0);
  ck_assert_int_ge (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &out), 0);
  der = g_bytes_new (out.data, out.size);
  gnutls_free (out.data);
  gnutls_x509_crt_deinit (crt);
  return der;
}

/* Hex digest of a certificate of data/tls, with @sep between bytes. */
static char *
fingerprint (const char                *name,
             gnutls_digest_algorithm_t  algorithm,
             const char                *sep,
             gboolean                   upper)
{
  g_autoptr(GBytes) der = load_der (name);
  guint8 digest[64];
  GString *text = g_string_new (NULL);

  ck_assert_int_ge (gnutls_hash_fast (algorithm, g_bytes_get_data (der, NULL),
                                      g_bytes_get_size (der), digest), 0);
  for (unsigned i = 0; i < gnutls_hash_get_len (algorithm); i++)
    g_string_append_printf (text, upper ? "%s%02X" : "%s%02x", i ? sep : "", digest[i]);
  return g_string_free (text, FALSE);
}

/* Test server ---------------------------------------------------------------- */

typedef enum
{
  SERVE_ECHO,           /* echo until close_notify, then answer it */
  SERVE_GREET_BYE,      /* send "hello\r\n", then close_notify */
  SERVE_GREET_DROP,     /* send "hello\r\n", then close TCP without close_notify */
  SERVE_PLAINTEXT,      /* no TLS: an IMAP greeting */
  SERVE_MUTE,           /* after the handshake, read until TCP EOF, send nothing */
  SERVE_LATE_ECHO,      /* small receive buffer, wait 300 ms, then echo */
  SERVE_TRICKLE,        /* send send_size bytes in 97-byte TCP pieces, then read until EOF */
  SERVE_RECORDS,        /* send three 16 KB records at once, then read until EOF */
} ServeMode;

typedef struct
{
  /* configuration */
  const char *cert;     /* data/tls names */
  const char *key;
  const char *priority;
  gboolean require_client_cert;
  ServeMode mode;
  gboolean ipv6;        /* listen on ::1 instead of 127.0.0.1 */
  gsize send_size;      /* SERVE_TRICKLE */

  /* state */
  GSocketListener *listener;
  guint16 port;
  GThread *thread;

  /* results, valid after server_join */
  gboolean handshake_ok;
  gboolean client_cert_ok;
  char *protocol;
  gsize echoed;
} TestServer;

static guint8 *pattern (gsize size);

/* Sends at most 97 bytes per TCP write, with a pause: the client sees
 * records arrive in many pieces. */
static ssize_t
trickle_push (gnutls_transport_ptr_t  ptr,
              const void             *data,
              size_t                  len)
{
  g_usleep (200);
  return send (GPOINTER_TO_INT (ptr), data, MIN (len, 97), MSG_NOSIGNAL);
}

static void
read_until_eof (gnutls_session_t session)
{
  char buffer[16384];
  ssize_t n;

  do
    n = gnutls_record_recv (session, buffer, sizeof buffer);
  while (n > 0 || n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
}

static gpointer
server_thread (gpointer user_data)
{
  TestServer *server = user_data;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *ca = NULL;
  gnutls_certificate_credentials_t creds = NULL;
  gnutls_session_t session = NULL;
  char buffer[16384];
  int fd, ret;

  conn = g_socket_listener_accept (server->listener, NULL, NULL, NULL);
  if (conn == NULL)
    return NULL;
  fd = g_socket_get_fd (g_socket_connection_get_socket (conn));
  g_unix_set_fd_nonblocking (fd, FALSE, NULL);
  if (server->mode == SERVE_LATE_ECHO)
    {
      int size = 16384;

      (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
  if (server->mode == SERVE_TRICKLE)
    {
      int on = 1;

      /* Without it, Nagle's algorithm merges the pieces again. */
      (void) setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }

  if (server->mode == SERVE_PLAINTEXT)
    {
      static const char greeting[] = "* OK IMAP4rev1 ready\r\n";

      if (send (fd, greeting, strlen (greeting), MSG_NOSIGNAL) < 0)
        return NULL;
      while (read (fd, buffer, sizeof buffer) > 0)
        ;
      return NULL;
    }

  cert = data_file (server->cert);
  key = data_file (server->key);
  ca = data_file ("ca.pem");
  g_assert (gnutls_certificate_allocate_credentials (&creds) >= 0);
  g_assert (gnutls_certificate_set_x509_key_file (creds, cert, key, GNUTLS_X509_FMT_PEM) >= 0);
  g_assert (gnutls_certificate_set_x509_trust_file (creds, ca, GNUTLS_X509_FMT_PEM) > 0);
  g_assert (gnutls_init (&session, GNUTLS_SERVER | GNUTLS_NO_SIGNAL) >= 0);
  g_assert (gnutls_priority_set_direct (session, server->priority ? server->priority : "NORMAL",
                                        NULL) >= 0);
  g_assert (gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, creds) >= 0);
  if (server->require_client_cert)
    gnutls_certificate_server_set_request (session, GNUTLS_CERT_REQUIRE);
  gnutls_transport_set_int (session, fd);

  do
    ret = gnutls_handshake (session);
  while (ret < 0 && !gnutls_error_is_fatal (ret));
  if (ret < 0)
    {
      /* Tell the client why, with OpenSSL's alert for a missing
       * client certificate. */
      if (ret == GNUTLS_E_NO_CERTIFICATE_FOUND || ret == GNUTLS_E_CERTIFICATE_REQUIRED)
        gnutls_alert_send (session, GNUTLS_AL_FATAL,
                           gnutls_protocol_get_version (session) == GNUTLS_TLS1_3
                           ? GNUTLS_A_CERTIFICATE_REQUIRED : GNUTLS_A_HANDSHAKE_FAILURE);
      else
        gnutls_alert_send_appropriate (session, ret);
      goto out;
    }
  server->handshake_ok = TRUE;
  server->protocol = g_strdup (gnutls_protocol_get_name (gnutls_protocol_get_version (session)));
  if (server->require_client_cert)
    {
      unsigned int status = 1;

      server->client_cert_ok = gnutls_certificate_verify_peers2 (session, &status) >= 0
                               && status == 0;
    }

  switch (server->mode)
    {
    case SERVE_LATE_ECHO:
      g_usleep (300 * 1000);
      G_GNUC_FALLTHROUGH;
    case SERVE_ECHO:
      for (;;)
        {
          ssize_t n = gnutls_record_recv (session, buffer, sizeof buffer);

          if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            continue;
          if (n <= 0)
            break;
          for (ssize_t done = 0; done < n;)
            {
              ssize_t m = gnutls_record_send (session, buffer + done, n - done);

              if (m == GNUTLS_E_AGAIN || m == GNUTLS_E_INTERRUPTED)
                continue;
              if (m < 0)
                goto out;
              done += m;
            }
          server->echoed += n;
        }
      gnutls_bye (session, GNUTLS_SHUT_WR);
      break;
    case SERVE_GREET_BYE:
    case SERVE_GREET_DROP:
      gnutls_record_send (session, "hello\r\n", 7);
      if (server->mode == SERVE_GREET_BYE)
        gnutls_bye (session, GNUTLS_SHUT_WR);
      shutdown (fd, SHUT_RDWR);
      break;
    case SERVE_MUTE:
      while (read (fd, buffer, sizeof buffer) > 0)
        ;
      break;
    case SERVE_TRICKLE:
      {
        g_autofree guint8 *data = pattern (server->send_size);

        gnutls_transport_set_push_function (session, trickle_push);
        for (gsize done = 0; done < server->send_size;)
          {
            ssize_t m = gnutls_record_send (session, data + done, server->send_size - done);

            if (m == GNUTLS_E_AGAIN || m == GNUTLS_E_INTERRUPTED)
              continue;
            if (m < 0)
              goto out;
            done += m;
          }
        read_until_eof (session);
      }
      break;
    case SERVE_RECORDS:
      {
        g_autofree guint8 *data = pattern (3 * 16384);

        gnutls_record_cork (session);
        for (int i = 0; i < 3; i++)
          if (gnutls_record_send (session, data + i * 16384, 16384) != 16384)
            goto out;
        if (gnutls_record_uncork (session, GNUTLS_RECORD_WAIT) < 0)
          goto out;
        read_until_eof (session);
      }
      break;
    case SERVE_PLAINTEXT:
      break;
    }

out:
  gnutls_deinit (session);
  gnutls_certificate_free_credentials (creds);
  return NULL;
}

static gboolean
server_try_start (TestServer  *server,
                  GError     **error)
{
  g_autoptr(GInetAddress) loopback =
    g_inet_address_new_loopback (server->ipv6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;

  server->handshake_ok = server->client_cert_ok = FALSE;
  server->echoed = 0;
  g_clear_pointer (&server->protocol, g_free);
  if (server->cert == NULL)
    server->cert = "server.pem";
  if (server->key == NULL)
    server->key = "server-key.pem";
  server->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_address (server->listener, address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
    {
      g_clear_object (&server->listener);
      return FALSE;
    }
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  server->thread = g_thread_new ("tls-server", server_thread, server);
  return TRUE;
}

static void
server_start (TestServer *server)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (server_try_start (server, &error), "listen: %s", error->message);
}

static void
server_join (TestServer *server)
{
  if (server->thread != NULL)
    g_thread_join (g_steal_pointer (&server->thread));
  if (server->listener != NULL)
    g_socket_listener_close (server->listener);
  g_clear_object (&server->listener);
}

static void
server_clear (TestServer *server)
{
  server_join (server);
  g_clear_pointer (&server->protocol, g_free);
}

/* Client helpers ------------------------------------------------------------- */

static GIOStream *
tcp_connect (TestServer *server)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;

  conn = g_socket_client_connect_to_host (client, server->ipv6 ? "::1" : "127.0.0.1",
                                          server->port, NULL, &error);
  ck_assert_msg (conn != NULL, "connect: %s", error ? error->message : "?");
  return G_IO_STREAM (conn);
}

/* Connects to @server as @host; NULL with @error on failure. */
static GIOStream *
tls_connect (TestServer               *server,
             const char               *host,
             const MailsyncTlsOptions *options,
             GError                  **error)
{
  g_autoptr(GIOStream) base = tcp_connect (server);

  return mailsync_tls_client_new (base, host, options, NULL, error);
}

static MailsyncTlsOptions *
options_with_ca (void)
{
  MailsyncTlsOptions *options = mailsync_tls_options_new ();

  options->ca_file = data_file ("ca.pem");
  return options;
}

static void
assert_one_line (const GError *error)
{
  ck_assert_ptr_nonnull (error);
  ck_assert_msg (strchr (error->message, '\n') == NULL && strchr (error->message, '\r') == NULL,
                 "not one line: %s", error->message);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  ck_assert_msg (strstr (haystack, needle) != NULL, "\"%s\" not in \"%s\"", needle, haystack);
}

/* Sends a line and reads it back. */
static void
assert_echo (GIOStream  *stream,
             const char *line)
{
  g_autoptr(GError) error = NULL;
  gsize len = strlen (line);
  g_autofree char *back = g_malloc0 (len + 1);
  gsize got = 0;

  ck_assert_msg (g_output_stream_write_all (g_io_stream_get_output_stream (stream), line, len,
                                            NULL, NULL, &error),
                 "write: %s", error ? error->message : "?");
  ck_assert_msg (g_input_stream_read_all (g_io_stream_get_input_stream (stream), back, len,
                                          &got, NULL, &error),
                 "read: %s", error ? error->message : "?");
  ck_assert_uint_eq (got, len);
  ck_assert_str_eq (back, line);
}

/* Connects, checks that it fails with G_TLS_ERROR @code, returns the message. */
static char *
expect_failure (TestServer               *server,
                const char               *host,
                const MailsyncTlsOptions *options,
                int                       code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;

  server_start (server);
  stream = tls_connect (server, host, options, &error);
  ck_assert_msg (stream == NULL, "connection to %s unexpectedly succeeded", host);
  ck_assert_msg (g_error_matches (error, G_TLS_ERROR, code), "got %s %d: %s",
                 g_quark_to_string (error->domain), error->code, error->message);
  assert_one_line (error);
  server_join (server);
  return g_strdup (error->message);
}

/* Connects and echoes a line; fails the test otherwise. */
static void
expect_success (TestServer               *server,
                const char               *host,
                const MailsyncTlsOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;

  server_start (server);
  stream = tls_connect (server, host, options, &error);
  ck_assert_msg (stream != NULL, "connection to %s failed: %s", host,
                 error ? error->message : "?");
  assert_echo (stream, "a001 NOOP\r\n");
  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_join (server);
  ck_assert (server->handshake_ok);
}

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

/* Data ----------------------------------------------------------------------- */

typedef struct
{
  GOutputStream *output;
  const guint8 *data;
  gsize size;
  GError *error;
} Writer;

static gpointer
writer_thread (gpointer user_data)
{
  Writer *writer = user_data;

  g_output_stream_write_all (writer->output, writer->data, writer->size, NULL, NULL,
                             &writer->error);
  return NULL;
}

static guint8 *
pattern (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + i / 251);
  return data;
}

START_TEST (test_concurrent_megabyte)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *data = pattern (MB);
  g_autofree guint8 *back = g_malloc0 (MB);
  TestServer server = { 0 };
  Writer writer = { 0 };
  GThread *thread;
  gsize got = 0;

  server_start (&server);
  stream = tls_connect (&server, "127.0.0.1", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");

  /* One thread writes 1 MB while this one reads the echo: the server's
   * writes fill the socket buffers unless both run at once. */
  writer.output = g_io_stream_get_output_stream (stream);
  writer.data = data;
  writer.size = MB;
  thread = g_thread_new ("writer", writer_thread, &writer);
  ck_assert_msg (g_input_stream_read_all (g_io_stream_get_input_stream (stream), back, MB,
                                          &got, NULL, &error),
                 "read: %s", error ? error->message : "?");
  g_thread_join (thread);
  ck_assert_msg (writer.error == NULL, "write: %s", writer.error->message);
  ck_assert_uint_eq (got, MB);
  ck_assert (memcmp (data, back, MB) == 0);

  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_join (&server);
  ck_assert_uint_eq (server.echoed, MB);
  server_clear (&server);
}
END_TEST

static void
got_result (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* The pipelining pattern: an async read pending while async writes run, and
 * the async constructor. */
START_TEST (test_async_pipelining)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) base = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GAsyncResult) connected = NULL;
  g_autoptr(GAsyncResult) read = NULL;
  g_autoptr(GAsyncResult) written = NULL;
  g_autofree guint8 *data = pattern (MB);
  g_autofree guint8 *back = g_malloc0 (MB);
  TestServer server = { 0 };
  gsize got = 0, put = 0;

  server_start (&server);
  base = tcp_connect (&server);
  mailsync_tls_client_new_async (base, "localhost", options, G_PRIORITY_DEFAULT, NULL,
                                 got_result, &connected);
  wait_for (&connected);
  stream = mailsync_tls_client_new_finish (connected, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");
  ck_assert_ptr_eq (mailsync_tls_stream_get_base_stream (MAILSYNC_TLS_STREAM (stream)), base);

  g_input_stream_read_all_async (g_io_stream_get_input_stream (stream), back, MB,
                                 G_PRIORITY_DEFAULT, NULL, got_result, &read);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream), data, MB,
                                   G_PRIORITY_DEFAULT, NULL, got_result, &written);
  wait_for (&written);
  ck_assert (g_output_stream_write_all_finish (g_io_stream_get_output_stream (stream), written,
                                               &put, &error));
  wait_for (&read);
  ck_assert (g_input_stream_read_all_finish (g_io_stream_get_input_stream (stream), read,
                                             &got, &error));
  ck_assert_uint_eq (put, MB);
  ck_assert_uint_eq (got, MB);
  ck_assert (memcmp (data, back, MB) == 0);

  ck_assert (g_io_stream_close (stream, NULL, &error));
  ck_assert (g_io_stream_is_closed (base));
  server_clear (&server);
}
END_TEST

START_TEST (test_async_failure)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) base = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GAsyncResult) connected = NULL;
  TestServer server = { 0 };

  server_start (&server);
  base = tcp_connect (&server);
  mailsync_tls_client_new_async (base, "localhost", options, G_PRIORITY_DEFAULT, NULL,
                                 got_result, &connected);
  wait_for (&connected);
  stream = mailsync_tls_client_new_finish (connected, &error);
  ck_assert_ptr_null (stream);
  ck_assert (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE));
  /* The base stream is closed on failure. */
  ck_assert (g_io_stream_is_closed (base));
  server_clear (&server);
}
END_TEST

static void
read_greeting_then_eof (ServeMode mode)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  TestServer server = { .mode = mode };
  char buffer[64] = "";
  gsize got = 0;

  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");
  ck_assert (g_input_stream_read_all (g_io_stream_get_input_stream (stream), buffer,
                                      sizeof buffer - 1, &got, NULL, &error));
  ck_assert_str_eq (buffer, "hello\r\n");
  ck_assert_int_eq (g_input_stream_read (g_io_stream_get_input_stream (stream), buffer, 1,
                                         NULL, &error), 0);
  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}

START_TEST (test_eof_close_notify)
{
  read_greeting_then_eof (SERVE_GREET_BYE);
}
END_TEST

START_TEST (test_eof_without_close_notify)
{
  read_greeting_then_eof (SERVE_GREET_DROP);
}
END_TEST

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static gpointer
cancel_thread (gpointer user_data)
{
  g_usleep (200 * 1000);
  cancel_later (user_data);
  return NULL;
}

/* A cancelled read leaves the connection usable. */
START_TEST (test_cancelled_read)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  TestServer server = { 0 };
  GThread *thread;
  char byte;

  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");

  thread = g_thread_new ("cancel", cancel_thread, cancellable);
  ck_assert_int_eq (g_input_stream_read (g_io_stream_get_input_stream (stream), &byte, 1,
                                         cancellable, &error), -1);
  g_thread_join (thread);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);

  assert_echo (stream, "a002 NOOP\r\n");
  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

/* Closing the stream while another thread waits in a read ends that read. */
START_TEST (test_close_during_read)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GAsyncResult) read = NULL;
  char byte;
  gssize n;
  TestServer server = { .mode = SERVE_MUTE };

  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");

  g_input_stream_read_async (g_io_stream_get_input_stream (stream), &byte, 1,
                             G_PRIORITY_DEFAULT, NULL, got_result, &read);
  g_usleep (100 * 1000);
  ck_assert (g_io_stream_close (stream, NULL, &error));
  wait_for (&read);
  n = g_input_stream_read_finish (g_io_stream_get_input_stream (stream), read, &error);
  ck_assert_int_le (n, 0);
  server_clear (&server);
}
END_TEST

/* Pollable (non-blocking) path ---------------------------------------------- */

static gboolean
source_fired (GObject  *stream,
              gpointer  user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
source_timed_out (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Attaches @sources (NULL-terminated, consumed) and iterates until one of
 * them fires; FALSE when none does within @ms. */
static gboolean
wait_sources (guint ms, GSource **sources)
{
  gboolean fired = FALSE, timed_out = FALSE;
  GSource *timeout = g_timeout_source_new (ms);
  gboolean ok;

  g_source_set_callback (timeout, source_timed_out, &timed_out, NULL);
  g_source_attach (timeout, NULL);
  for (guint i = 0; sources[i] != NULL; i++)
    {
      g_source_set_callback (sources[i], G_SOURCE_FUNC (source_fired), &fired, NULL);
      g_source_attach (sources[i], NULL);
    }
  while (!fired && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  ok = fired;
  for (guint i = 0; sources[i] != NULL; i++)
    {
      g_source_destroy (sources[i]);
      g_source_unref (sources[i]);
    }
  g_source_destroy (timeout);
  g_source_unref (timeout);
  return ok;
}

static gboolean
wait_readable (GPollableInputStream *in,
               guint                 ms)
{
  GSource *sources[] = { g_pollable_input_stream_create_source (in, NULL), NULL };

  return wait_sources (ms, sources);
}

static GIOStream *
connect_pollable (TestServer *server)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  GIOStream *stream;

  server_start (server);
  stream = tls_connect (server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");
  ck_assert (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream)));
  ck_assert (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream)));
  ck_assert (g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream))));
  ck_assert (g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream))));
  return stream;
}

/* Nothing to read is WOULD_BLOCK, not a wait; the stream's source wakes up
 * when the echo arrives. */
START_TEST (test_pollable_would_block)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  TestServer server = { 0 };
  GPollableInputStream *in;
  GPollableOutputStream *out;
  char buffer[32] = "";
  gssize n;

  stream = connect_pollable (&server);
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));

  ck_assert (!g_pollable_input_stream_is_readable (in));
  n = g_pollable_input_stream_read_nonblocking (in, buffer, sizeof buffer, NULL, &error);
  ck_assert_int_eq (n, -1);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK), "%s", error->message);
  g_clear_error (&error);
  /* The session is still fine after EAGAIN. */
  ck_assert (g_pollable_output_stream_is_writable (out));
  ck_assert_int_eq (g_pollable_output_stream_write_nonblocking (out, "a003 NOOP\r\n", 11, NULL, &error), 11);
  ck_assert_msg (wait_readable (in, 5000), "the echo never made the stream readable");
  ck_assert (g_pollable_input_stream_is_readable (in));
  n = g_pollable_input_stream_read_nonblocking (in, buffer, sizeof buffer - 1, NULL, &error);
  ck_assert_msg (n == 11, "read %d: %s", (int) n, error ? error->message : "");
  ck_assert_str_eq (buffer, "a003 NOOP\r\n");

  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

/* Records that arrive in 97-byte TCP pieces: every partial record is
 * WOULD_BLOCK and resumes where it stopped. */
START_TEST (test_pollable_partial_records)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *expected = pattern (40000);
  g_autofree guint8 *back = g_malloc0 (40000);
  TestServer server = { .mode = SERVE_TRICKLE, .send_size = 40000 };
  GPollableInputStream *in;
  guint blocked = 0;
  gsize got = 0;

  stream = connect_pollable (&server);
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  while (got < 40000)
    {
      gssize n = g_pollable_input_stream_read_nonblocking (in, back + got, 40000 - got, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          blocked++;
          ck_assert_msg (wait_readable (in, 5000), "stalled at %" G_GSIZE_FORMAT, got);
          continue;
        }
      ck_assert_msg (n > 0, "read: %s", error ? error->message : "end of stream");
      got += n;
    }
  ck_assert (memcmp (expected, back, 40000) == 0);
  /* Three records in hundreds of pieces: many more waits than records. */
  ck_assert_uint_gt (blocked, 10);

  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

/* Data that gnutls or the pull buffer holds after a read is readable
 * although the socket has nothing left, and one read returns several
 * records. */
START_TEST (test_pollable_pending_after_read)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *expected = pattern (3 * 16384);
  g_autofree guint8 *back = g_malloc0 (65536);
  TestServer server = { .mode = SERVE_RECORDS };
  GPollableInputStream *in;
  GInputStream *base_in;
  gssize n;

  stream = connect_pollable (&server);
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  base_in = g_io_stream_get_input_stream (mailsync_tls_stream_get_base_stream (MAILSYNC_TLS_STREAM (stream)));
  ck_assert (wait_readable (in, 5000));
  g_usleep (200 * 1000);        /* all three records are in the socket */

  n = g_pollable_input_stream_read_nonblocking (in, back, 10, NULL, &error);
  ck_assert_int_eq (n, 10);
  /* The socket is drained (one read took all three records) ... */
  ck_assert (!g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base_in)));
  /* ... but the rest is there without waiting. */
  ck_assert (g_pollable_input_stream_is_readable (in));
  ck_assert_msg (wait_readable (in, 1000), "the source waits on the socket, not on the buffered records");
  n = g_pollable_input_stream_read_nonblocking (in, back + 10, 65536 - 10, NULL, &error);
  ck_assert_msg (n == 3 * 16384 - 10, "one read returned %d bytes, not the rest of three records",
                 (int) n);
  ck_assert (memcmp (expected, back, 3 * 16384) == 0);

  ck_assert (!g_pollable_input_stream_is_readable (in));
  n = g_pollable_input_stream_read_nonblocking (in, back, 1, NULL, &error);
  ck_assert_int_eq (n, -1);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
  g_clear_error (&error);

  /* The blocking read still works after non-blocking ones. */
  ck_assert (g_output_stream_write_all (g_io_stream_get_output_stream (stream), "x", 1, NULL, NULL, &error));
  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

static void
set_small_send_buffer (GIOStream *stream)
{
  GIOStream *base = mailsync_tls_stream_get_base_stream (MAILSYNC_TLS_STREAM (stream));
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (base));

  ck_assert (g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, 16384, NULL));
}

/* Writes that would block (EAGAIN in the middle of a record) resume with
 * the same data, as GIO retries them, while the echo is read; 2 MB arrive
 * intact. */
START_TEST (test_pollable_write_would_block)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *data = pattern (2 * MB);
  g_autofree guint8 *back = g_malloc0 (2 * MB);
  TestServer server = { .mode = SERVE_LATE_ECHO };
  GPollableInputStream *in;
  GPollableOutputStream *out;
  guint write_blocked = 0;
  gsize put = 0, got = 0;

  stream = connect_pollable (&server);
  set_small_send_buffer (stream);
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  while (got < 2 * MB)
    {
      gboolean wrote = FALSE, read = FALSE;
      gssize n;

      if (put < 2 * MB)
        {
          n = g_pollable_output_stream_write_nonblocking (out, data + put, MIN (20000, 2 * MB - put),
                                                          NULL, &error);
          if (n < 0)
            {
              ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK),
                             "write: %s", error->message);
              g_clear_error (&error);
              write_blocked++;
            }
          else
            {
              put += n;
              wrote = TRUE;
            }
        }
      n = g_pollable_input_stream_read_nonblocking (in, back + got, 2 * MB - got, NULL, &error);
      if (n < 0)
        {
          ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK),
                         "read: %s", error->message);
          g_clear_error (&error);
        }
      else
        {
          ck_assert_msg (n > 0, "unexpected end of stream");
          got += n;
          read = TRUE;
        }
      if (!wrote && !read)
        {
          GSource *sources[3] = { g_pollable_input_stream_create_source (in, NULL), NULL, NULL };

          if (put < 2 * MB)
            sources[1] = g_pollable_output_stream_create_source (out, NULL);
          ck_assert_msg (wait_sources (5000, sources), "stalled: put %" G_GSIZE_FORMAT
                         " got %" G_GSIZE_FORMAT, put, got);
        }
    }
  ck_assert_uint_gt (write_blocked, 0);
  ck_assert (memcmp (data, back, 2 * MB) == 0);

  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_join (&server);
  ck_assert_uint_eq (server.echoed, 2 * MB);
  server_clear (&server);
}
END_TEST

/* A write abandoned after WOULD_BLOCK (what a cancelled async write does)
 * leaves half a record on the wire: the next write must fail, not send a
 * different record's tail. */
START_TEST (test_pollable_abandoned_write)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *data = pattern (MB);
  TestServer server = { .mode = SERVE_LATE_ECHO };
  GPollableOutputStream *out;
  gsize put = 0;
  gssize n;

  stream = connect_pollable (&server);
  set_small_send_buffer (stream);
  out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  for (;;)
    {
      ck_assert_msg (put < MB, "1 MB written without the socket ever filling up");
      n = g_pollable_output_stream_write_nonblocking (out, data + put, 20000, NULL, &error);
      if (n < 0)
        break;
      put += n;
    }
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK), "%s", error->message);
  g_clear_error (&error);

  n = g_pollable_output_stream_write_nonblocking (out, "x", 1, NULL, &error);
  ck_assert_int_eq (n, -1);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE), "%s", error->message);
  assert_one_line (error);
  g_clear_error (&error);
  /* Writable (it fails at once) and stays broken. */
  ck_assert (g_pollable_output_stream_is_writable (out));
  ck_assert (!g_output_stream_write_all (G_OUTPUT_STREAM (out), data, 20000, NULL, NULL, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
  g_clear_error (&error);

  (void) g_io_stream_close (stream, NULL, NULL);
  server_clear (&server);
}
END_TEST

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
  Suite *suite = suite_create ("tls");
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
  tcase_add_test (tc, test_expired);
  tcase_add_test (tc, test_verify_disabled);
  tcase_add_test (tc, test_shared_credentials);
  suite_add_tcase (suite, tc);

  tc = tcase_create ("handshake");
  tcase_add_test (tc, test_client_certificate);
  tcase_add_test (tc, test_client_certificate_missing_tls13);
  tcase_add_test (tc, test_client_certificate_missing_tls12);
  tcase_add_test (tc, test_min_version_tls13);
  tcase_add_test (tc, test_default_level_refuses_tls11);
  tcase_add_test (tc, test_plaintext_server);
  suite_add_tcase (suite, tc);

  tc = tcase_create ("data");
  tcase_add_test (tc, test_concurrent_megabyte);
  tcase_add_test (tc, test_async_pipelining);
  tcase_add_test (tc, test_async_failure);
  tcase_add_test (tc, test_eof_close_notify);
  tcase_add_test (tc, test_eof_without_close_notify);
  tcase_add_test (tc, test_cancelled_read);
  tcase_add_test (tc, test_close_during_read);
  suite_add_tcase (suite, tc);

  tc = tcase_create ("pollable");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_pollable_would_block);
  tcase_add_test (tc, test_pollable_partial_records);
  tcase_add_test (tc, test_pollable_pending_after_read);
  tcase_add_test (tc, test_pollable_write_would_block);
  tcase_add_test (tc, test_pollable_abandoned_write);
  suite_add_tcase (suite, tc);

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
