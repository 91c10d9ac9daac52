/* The transport under every IMAP connection (libmailsync/net/): what
 * _mailsync_net_connect() sets on the socket it returns. No server: a
 * listening socket on the loopback completes the connect. */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "mailsync-test.h"
#include "mailsync-worker.h"
#include "net/mailsync-net-private.h"

/* Nagle's algorithm holds a write back while an earlier one is not yet
 * acknowledged; a receiver that delays its ACK (40 ms on Linux) then
 * stalls every command written in pieces (a credential is written from
 * its own buffer, TLS sends each write as a record) and a TLS Finished
 * followed by the first command: issue 13, the no-op through a distant
 * server. */
START_TEST (test_tcp_nodelay)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  gint nodelay = 0;
  /* The connect awaits on a private context, as on a worker thread. */
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  _mailsync_sync_call_begin (&call);
  ck_assert (g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                            NULL, &bound, &error));
  stream = _mailsync_net_connect ("127.0.0.1", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)),
                                  G_SOCKET_FAMILY_INVALID, 30, NULL, NULL, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");
  ck_assert (G_IS_SOCKET_CONNECTION (stream));
  ck_assert (g_socket_get_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)), IPPROTO_TCP,
                                  TCP_NODELAY, &nodelay, &error));
  ck_assert_int_ne (nodelay, 0);
  g_io_stream_close (stream, NULL, NULL);
}
END_TEST

static Suite *
net_suite (void)
{
  Suite *suite = suite_create ("net-connect");
  TCase *tc = tcase_create ("socket");

  tcase_add_test (tc, test_tcp_nodelay);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return mailsync_test_run (net_suite ());
}
