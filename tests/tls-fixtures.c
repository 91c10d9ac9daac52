/* The fixtures of the check-tls-* programs (tls-fixtures.h), moved from
 * check-tls.c. */
#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>

#include "tls-fixtures.h"

char *
data_file (const char *name)
{
  return g_build_filename (TEST_SRCDIR, "data", "tls", name, NULL);
}

/* The DER of a PEM certificate of data/tls. */
GBytes *
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
char *
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
        /* written: over loopback, in the client's socket */
        g_atomic_int_set (&server->records_sent, TRUE);
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

gboolean
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

void
server_start (TestServer *server)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (server_try_start (server, &error), "listen: %s", error->message);
}

void
server_join (TestServer *server)
{
  if (server->thread != NULL)
    g_thread_join (g_steal_pointer (&server->thread));
  if (server->listener != NULL)
    g_socket_listener_close (server->listener);
  g_clear_object (&server->listener);
}

void
server_clear (TestServer *server)
{
  server_join (server);
  g_clear_pointer (&server->protocol, g_free);
}

/* Client helpers ------------------------------------------------------------- */

GIOStream *
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
GIOStream *
tls_connect (TestServer               *server,
             const char               *host,
             const MailsyncTlsOptions *options,
             GError                  **error)
{
  g_autoptr(GIOStream) base = tcp_connect (server);

  return mailsync_tls_client_new (base, host, options, NULL, error);
}

MailsyncTlsOptions *
options_with_ca (void)
{
  MailsyncTlsOptions *options = mailsync_tls_options_new ();

  options->ca_file = data_file ("ca.pem");
  return options;
}

void
assert_one_line (const GError *error)
{
  ck_assert_ptr_nonnull (error);
  ck_assert_msg (strchr (error->message, '\n') == NULL && strchr (error->message, '\r') == NULL,
                 "not one line: %s", error->message);
}

void
assert_contains (const char *haystack,
                 const char *needle)
{
  ck_assert_msg (strstr (haystack, needle) != NULL, "\"%s\" not in \"%s\"", needle, haystack);
}

/* Sends a line and reads it back. */
void
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
char *
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
void
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


guint8 *
pattern (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + i / 251);
  return data;
}
