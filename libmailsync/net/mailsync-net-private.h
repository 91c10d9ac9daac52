/* Connection setup for any part that talks to a server (internal, not
 * installed): the IMAP connection uses it today. The TLS layer on top is
 * net/mailsync-tls-stream.h. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A TCP connection to @host:@port: @family G_SOCKET_FAMILY_INVALID for
 * either (offlineimap's ipv6 unset), @timeout seconds to connect (0 =
 * none; the socket itself then has no timeout). Awaits on the calling
 * thread's context (mailsync-worker.h). The error names the host and the
 * fault (see _mailsync_net_fault()). */
GIOStream  *_mailsync_net_connect       (const char    *host,
                                         guint16        port,
                                         GSocketFamily  family,
                                         guint          timeout,
                                         const char    *proxy,
                                         GCancellable  *cancellable,
                                         GError       **error);

char       *_mailsync_net_proxy_uri     (const char    *value,
                                         GError       **error);

/* `/bin/sh -c @command` with its stdout and stdin as one stream; the
 * process in @process_out (transfer full) for the caller to end. SIGPIPE
 * is ignored from then on unless the application handles it. */
GIOStream  *_mailsync_net_spawn_tunnel  (const char    *command,
                                         GSubprocess  **process_out,
                                         GError       **error);

/* What a failure of the transport was, in words a user can act on, or
 * NULL when @error is not about the network (TLS, protocol, ...). */
const char *_mailsync_net_fault         (const GError  *error);

G_END_DECLS
