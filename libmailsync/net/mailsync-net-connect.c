/* Connection setup: a TCP connection to a host (socktimeout, ipv6) or a
 * tunnel command's pipes as one GIOStream, and the words for a failure
 * of the transport. Moved from the IMAP connection (issue 14 item 1):
 * nothing here speaks IMAP. */
#include "config.h"

#include "net/mailsync-net-private.h"
#include "mailsync-worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>

/* What a failure of the transport was, in words a user can act on
 * (issue 12 item 6): a reset, a refusal, a timeout, a name that does not
 * resolve. NULL for errors that are not about the network (TLS, a
 * certificate, a protocol error), which keep their own text. Only the
 * operating system's errors reach here with these codes: the connection's
 * own end-of-stream errors never pass through. */
const char *
_mailsync_net_fault (const GError *error)
{
  if (error->domain == G_RESOLVER_ERROR)
    return "the host name cannot be resolved";
  if (error->domain != G_IO_ERROR)
    return NULL;
  switch (error->code)
    {
    case G_IO_ERROR_CONNECTION_REFUSED:
      return "connection refused";
    case G_IO_ERROR_CONNECTION_CLOSED:
      /* GIO's code for both ECONNRESET and EPIPE (an alias of
       * G_IO_ERROR_BROKEN_PIPE); the appended system text tells which. */
      return "connection reset or closed by the server";
    case G_IO_ERROR_TIMED_OUT:
      return "timed out";
    case G_IO_ERROR_NETWORK_UNREACHABLE:
      return "network unreachable";
    case G_IO_ERROR_HOST_UNREACHABLE:
      return "host unreachable";
    default:
      return NULL;
    }
}

/* A tunnel is a pipe: a write after its command died raises SIGPIPE,
 * whose default action kills the process (GSocket sends with
 * MSG_NOSIGNAL, pipes have no such flag). Ignore it unless the
 * application installed its own handler; the write then fails with
 * EPIPE and the connection reports it. */
static void
ignore_sigpipe (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      struct sigaction old;

      if (sigaction (SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        signal (SIGPIPE, SIG_IGN);
      g_once_init_leave (&once, 1);
    }
}

/* offlineimap's proxy value, TYPE:HOST:PORT with PySocks' type names
 * (accounts.py splits it at ':' and looks the type up in the socks
 * module), as the URI of a GIO proxy. PySocks resolves the server's name
 * on the proxy by default (rdns), so SOCKS4 is SOCKS4a here, and SOCKS5
 * sends the name too (GIO's socks5 does); HTTP is a CONNECT proxy. An
 * IPv6 literal cannot be written in that syntax, as in offlineimap. */
char *
_mailsync_net_proxy_uri (const char  *value,
                         GError     **error)
{
  static const struct { const char *type, *scheme; } types[] = {
    { "SOCKS5", "socks5" }, { "SOCKS4", "socks4a" }, { "HTTP", "http" },
  };
  g_auto(GStrv) parts = g_strsplit (value, ":", -1);
  guint64 port;

  if (g_strv_length (parts) != 3 || *parts[1] == '\0' ||
      !g_ascii_string_to_unsigned (parts[2], 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "proxy '%s' is not TYPE:HOST:PORT (for example SOCKS5:localhost:1080)", value);
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (strcmp (parts[0], types[i].type) == 0)
      return g_strdup_printf ("%s://%s:%u", types[i].scheme, parts[1], (guint) port);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "proxy '%s': unknown proxy type '%s' (SOCKS5, SOCKS4 or HTTP)", value, parts[0]);
  return NULL;
}

/* @proxy: NULL for a direct connection, or a URI from
 * _mailsync_net_proxy_uri(), through which @host is reached; the proxy
 * resolves the name. Without one, GIO's default proxy resolver is not
 * asked: neither offlineimap nor mbsync use the desktop's or the
 * environment's proxy settings, and asking loads GIO's proxy modules
 * (libproxy with libstdc++, the GNOME one with GSettings and dconf: 2.5 MB
 * of RSS and their start-up in every run, issue 13 items 3 and 4). */
GIOStream *
_mailsync_net_connect (const char    *host,
                       guint16        port,
                       GSocketFamily  family,
                       guint          timeout,
                       const char    *proxy,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  GSocketConnection *connection;

  if (timeout)
    g_socket_client_set_timeout (client, timeout);
  /* offlineimap's ipv6 = yes/no: only addresses of that family are tried */
  g_socket_client_set_family (client, family);
  if (proxy != NULL)
    {
      g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (proxy, NULL);

      g_socket_client_set_proxy_resolver (client, resolver);
    }
  else
    g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_connect_to_host_async (client, host, port, cancellable,
                                         _mailsync_store_result, &result);
  connection = g_socket_client_connect_to_host_finish (client, _mailsync_await (&result), &local_error);
  if (connection == NULL)
    {
      const char *fault = _mailsync_net_fault (local_error);

      /* GIO's text repeats the address ("Could not connect to h: ..."):
       * the fault first, its text after for the details (the resolver's
       * reason). */
      if (proxy != NULL)
        g_set_error (error, local_error->domain, local_error->code, "Cannot connect to %s:%u through proxy %s: %s",
                     host, port, proxy, local_error->message);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) && timeout > 0)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                     "Cannot connect to %s:%u: timed out after %u seconds (socktimeout)",
                     host, port, timeout);
      else if (fault != NULL)
        g_set_error (error, local_error->domain, local_error->code, "Cannot connect to %s:%u: %s (%s)",
                     host, port, fault, local_error->message);
      else
        g_set_error (error, local_error->domain, local_error->code, "Cannot connect to %s:%u: %s",
                     host, port, local_error->message);
      return NULL;
    }
  /* The client's timeout was for connecting; from here the watchdog
   * applies socktimeout, and only while a reply is owed. */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 0);
  /* No Nagle: a command leaves in one or a few writes (a credential is
   * written from its own buffer, TLS makes a record of each write), and
   * the server must not wait for the ACK of the first piece (a delayed
   * ACK: 40 ms on Linux, or a round trip) before it sees the rest. The
   * pipeline already coalesces what is queued at once into one write. */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  return G_IO_STREAM (connection);
}

GIOStream *
_mailsync_net_spawn_tunnel (const char   *command,
                            GSubprocess **process_out,
                            GError      **error)
{
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  GSubprocess *process;

  ignore_sigpipe ();
  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  if (process == NULL)
    return NULL;
  *process_out = process;
  return g_simple_io_stream_new (g_subprocess_get_stdout_pipe (process), g_subprocess_get_stdin_pipe (process));
}
