/* A TLS client connection (gnutls) as a GIOStream (internal, not installed). */
#pragma once

#include <gio/gio.h>

#include "net/mailsync-tls-options.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_TLS_STREAM (mailsync_tls_stream_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncTlsStream, mailsync_tls_stream, MAILSYNC, TLS_STREAM, GIOStream)

/* Runs the TLS handshake over @base (a connected stream, normally a
 * GSocketConnection; pass the raw connection, never a buffered wrapper: after
 * STARTTLS any bytes buffered in plaintext must be thrown away) and verifies
 * the server as @options say, for the host @server_name (a DNS name or an IP
 * address literal, which is matched against the IP subjectAltNames).
 * Blocks; see the _async variant.
 *
 * On success the returned stream owns @base: closing it sends close_notify
 * and closes @base. On failure @base is closed too (it has been written to),
 * except when @options are invalid, which is found before any I/O. Errors:
 * MAILSYNC_ERROR_INVALID_CONFIG (options), G_TLS_ERROR_BAD_CERTIFICATE
 * (verification; the message gives the reason and the certificate's SHA256
 * and SHA1 fingerprints), G_TLS_ERROR_CERTIFICATE_REQUIRED, G_TLS_ERROR_NOT_TLS,
 * G_TLS_ERROR_HANDSHAKE, or @base's G_IO_ERROR (cancelled, timed out...).
 *
 * Reads and writes may run at the same time in two threads (one of each).
 * A cancelled or failed write leaves the connection unusable for writing (a
 * record may be half sent); a cancelled read can be retried. The server
 * closing TCP without close_notify reads as end of stream (0 bytes): IMAP
 * frames its own data, so truncation is seen by the protocol layer. */
GIOStream *mailsync_tls_client_new        (GIOStream                *base,
                                           const char               *server_name,
                                           const MailsyncTlsOptions *options,
                                           GCancellable             *cancellable,
                                           GError                  **error);
void       mailsync_tls_client_new_async  (GIOStream                *base,
                                           const char               *server_name,
                                           const MailsyncTlsOptions *options,
                                           int                       io_priority,
                                           GCancellable             *cancellable,
                                           GAsyncReadyCallback       callback,
                                           gpointer                  user_data);
GIOStream *mailsync_tls_client_new_finish (GAsyncResult             *result,
                                           GError                  **error);

/* The server certificate's digest as lowercase hex pairs joined by colons
 * ("ab:cd:..."), or NULL for an unsupported @type. */
char      *mailsync_tls_stream_get_peer_fingerprint (MailsyncTlsStream *self,
                                                     GChecksumType      type);
/* The server certificate (DER). */
GBytes    *mailsync_tls_stream_get_peer_certificate (MailsyncTlsStream *self);
/* gnutls' one-line description: "(TLS1.3)-(ECDHE-X25519)-(...)". */
char      *mailsync_tls_stream_get_description      (MailsyncTlsStream *self);
GIOStream *mailsync_tls_stream_get_base_stream      (MailsyncTlsStream *self);
/* While @block is not 0, each record written is padded (TLS 1.3, RFC 8446
 * 5.4) so that its length is a multiple of @block: what a credential in it
 * is long does not show on the wire. Under TLS 1.2 nothing is padded
 * (returns %FALSE). Set it before a write and clear it (0) after. */
gboolean   mailsync_tls_stream_set_write_padding    (MailsyncTlsStream *self,
                                                     gsize              block);
/* The handshake negotiated TLS 1.3: the client's Finished went out after
 * it checked the server's certificate and Finished, so what it writes
 * next goes to the verified server in the same flight. */
gboolean   mailsync_tls_stream_get_tls13            (MailsyncTlsStream *self);
/* With defer_verify_failure: why verification failed (the error the
 * handshake would have failed with) and what failed, once; NULL if the
 * certificate verified. The caller accepts the stream or closes it. */
GError    *mailsync_tls_stream_take_verify_failure  (MailsyncTlsStream    *self,
                                                     GTlsCertificateFlags *flags);

G_END_DECLS
