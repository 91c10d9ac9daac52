/* Shared fixtures of the check-tls-* programs: an in-process gnutls server
 * thread listening on a free port of 127.0.0.1 (or ::1), with the
 * certificates of data/tls, and the client helpers the tests share. */
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "mailsync-test.h"
#include "mailsync-error.h"
#include "net/mailsync-tls-stream.h"

#define MB (1024 * 1024)

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
  gint records_sent;    /* atomic: SERVE_RECORDS's three are in the socket */
} TestServer;

char *data_file (const char *name);
GBytes *load_der (const char *name);
char *fingerprint (const char                *name,
                   gnutls_digest_algorithm_t  algorithm,
                   const char                *sep,
                   gboolean                   upper);
guint8 *pattern (gsize size);

gboolean server_try_start (TestServer  *server,
                           GError     **error);
void server_start (TestServer *server);
void server_join (TestServer *server);
void server_clear (TestServer *server);

GIOStream *tcp_connect (TestServer *server);
GIOStream *tls_connect (TestServer               *server,
                        const char               *host,
                        const MailsyncTlsOptions *options,
                        GError                  **error);
MailsyncTlsOptions *options_with_ca (void);
void assert_one_line (const GError *error);
void assert_contains (const char *haystack,
                      const char *needle);
void assert_echo (GIOStream  *stream,
                  const char *line);
char *expect_failure (TestServer               *server,
                      const char               *host,
                      const MailsyncTlsOptions *options,
                      int                       code);
void expect_success (TestServer               *server,
                     const char               *host,
                     const MailsyncTlsOptions *options);
