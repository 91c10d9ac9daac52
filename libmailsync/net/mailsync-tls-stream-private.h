/* What the files of the TLS stream share (internal, not installed): the
 * stream's structure and the calls one file makes into another.
 * mailsync-tls-stream.c is the record I/O (the GIOStream, its pollable
 * input and output streams, gnutls' transport callbacks, errors);
 * mailsync-tls-handshake.c sets up the session (shared credentials), runs
 * the handshake and builds the stream; mailsync-tls-verify.c verifies the
 * server's certificate (chain, host name, pins). */
#pragma once

#include "net/mailsync-tls-stream.h"
#include "mailsync-error.h"

#include <errno.h>
#include <string.h>
/* gnutls' headers, and its functions as calls through the table of
 * the GnuTLS loaded on first use: last. */
#include "net/mailsync-gnutls-lazy.h"

G_BEGIN_DECLS

/* Enough for four full records (16 KB + at most 256 bytes of overhead each):
 * one read of the base stream serves a 64 KB read of the caller. */
#define PULL_BUFFER_SIZE (4 * (16384 + 256))

typedef struct _SharedCredentials SharedCredentials;

struct _MailsyncTlsStream
{
  GIOStream parent_instance;

  GIOStream *base;
  GInputStream *base_in;        /* owned by base */
  GOutputStream *base_out;      /* owned by base */
  GInputStream *input;
  GOutputStream *output;

  gnutls_session_t session;
  SharedCredentials *credentials;
  char *server_name;
  GBytes *peer_der;
  GError *deferred_failure;            /* defer_verify_failure: why the chain failed */
  GTlsCertificateFlags deferred_flags;
  gboolean established;         /* handshake done and server verified */

  /* Reading side: touched only by the thread in the handshake or a read. */
  GCancellable *read_cancellable;
  GError *read_error;           /* the base stream's error, for the caller */
  gboolean read_eof;            /* end of stream seen: keep returning 0 */
  gboolean read_nonblocking;    /* the running read must not wait */
  gboolean pull_would_block;    /* the last pull found nothing (non-blocking) */
  gboolean deferred;            /* deferred_ret ends the next read */
  ssize_t deferred_ret;         /* an end or error met after data was returned */
  guint8 *pull_buffer;          /* raw bytes read ahead; NULL until established */
  gsize pull_start;
  gsize pull_end;

  /* Writing side: the thread in the handshake, a write, or close. */
  GCancellable *write_cancellable;
  GError *write_error;
  gint write_broken;            /* atomic: a record may have been half sent */
  gboolean write_nonblocking;   /* the running write must not wait */
  gboolean push_would_block;    /* the last push could not write (non-blocking) */
  gboolean send_pending;        /* a record is half sent: resend the same data */
  gsize send_pending_count;
  gsize pad_to;                 /* TLS 1.3: pad each record to a multiple of this (0: none) */
};

/* mailsync-tls-stream.c */
ssize_t
_mailsync_tls_stream_transport_pull (gnutls_transport_ptr_t ptr,
                                     void                  *buffer,
                                     size_t                 count);

/* mailsync-tls-stream.c */
int
_mailsync_tls_stream_transport_pull_timeout (gnutls_transport_ptr_t ptr,
                                             unsigned int           ms);

/* mailsync-tls-stream.c */
ssize_t
_mailsync_tls_stream_transport_push (gnutls_transport_ptr_t ptr,
                                     const void            *buffer,
                                     size_t                 count);

/* mailsync-tls-stream.c */
char *
_mailsync_tls_stream_strip_sentence (const char *text,
                                     gsize       length);

/* mailsync-tls-stream.c */
char *
_mailsync_tls_stream_describe_gnutls_error (MailsyncTlsStream *self,
                                            int                code);

/* mailsync-tls-stream.c */
gboolean
_mailsync_tls_stream_is_client_certificate_required (MailsyncTlsStream *self,
                                                     int                code);

/* mailsync-tls-handshake.c */
void
_mailsync_tls_stream_shared_credentials_release (SharedCredentials *shared);

/* mailsync-tls-handshake.c: the credentials of a session, and the system
 * bundle whose anchors it loads at verification (NULL: it holds its
 * anchors) */
gnutls_certificate_credentials_t
_mailsync_tls_stream_shared_credentials_get (SharedCredentials  *shared,
                                             const char        **on_demand_bundle);

/* mailsync-tls-trust.c: the system store's PEM bundle, NULL if none of
 * the usual places has one */
const char *
_mailsync_tls_system_bundle (void);

/* mailsync-tls-trust.c: credentials holding the anchors of @bundle that
 * can issue a certificate of @chain (maybe none) */
gnutls_certificate_credentials_t
_mailsync_tls_trust_for_chain (const char            *bundle,
                               const gnutls_datum_t  *chain,
                               unsigned int           n_chain,
                               GError               **error);

/* mailsync-tls-handshake.c */
gsize
_mailsync_tls_stream_parse_ip_literal (const char *name,
                                       guint8      ip[16]);

/* mailsync-tls-verify.c */
char *
_mailsync_tls_stream_format_fingerprint (GBytes        *der,
                                         GChecksumType  type);

/* mailsync-tls-verify.c */
gboolean
_mailsync_tls_stream_verify_peer (MailsyncTlsStream         *self,
                                  const MailsyncTlsOptions  *options,
                                  GCancellable              *cancellable,
                                  GError                   **error);

G_END_DECLS
