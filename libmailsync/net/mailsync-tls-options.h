/* TLS settings of one IMAP connection (internal, not installed). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * MailsyncTlsLevel:
 * @MAILSYNC_TLS_LEVEL_DEFAULT: option unset: TLS 1.2 or newer.
 * @MAILSYNC_TLS_LEVEL_SECURE: offlineimap's `tls_secure`: TLS 1.1 or newer.
 * @MAILSYNC_TLS_LEVEL_NO_SSL: offlineimap's `tls_no_ssl`: TLS 1.0 or newer.
 * @MAILSYNC_TLS_LEVEL_COMPAT: offlineimap's `tls_compat`: TLS 1.0 or newer
 *   with gnutls' interoperability workarounds (`%COMPAT`).
 *
 * The protocol versions allowed (offlineimap's `tls_level`). SSL 3.0, which
 * offlineimap's `tls_compat` also allows, is never offered: gnutls is built
 * without it. Unset is stricter than offlineimap's default (`tls_compat`).
 *
 * gnutls priority strings (with "ssl_version" possibly raising the minimum):
 * DEFAULT `NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2`; SECURE adds
 * `+VERS-TLS1.1`; NO_SSL and COMPAT add `+VERS-TLS1.1:+VERS-TLS1.0`, COMPAT
 * after `NORMAL:%COMPAT`.
 */
typedef enum
{
  MAILSYNC_TLS_LEVEL_DEFAULT = 0,
  MAILSYNC_TLS_LEVEL_SECURE,
  MAILSYNC_TLS_LEVEL_NO_SSL,
  MAILSYNC_TLS_LEVEL_COMPAT,
} MailsyncTlsLevel;

/**
 * MailsyncTlsVersion:
 *
 * The minimum protocol version (offlineimap's `ssl_version`, whose values
 * `ssl23`, `ssl3`, `tls1`, `tls1_1`, `tls1_2` and our `tls1_3` map to these).
 * offlineimap uses exactly that version; we use it as a minimum, so a newer
 * version is still negotiated. ANY (`ssl23`, unset) and SSL3 add no limit
 * beyond the #MailsyncTlsLevel. When both are set, the stricter wins.
 */
typedef enum
{
  MAILSYNC_TLS_VERSION_ANY = 0,
  MAILSYNC_TLS_VERSION_SSL3,
  MAILSYNC_TLS_VERSION_TLS1_0,
  MAILSYNC_TLS_VERSION_TLS1_1,
  MAILSYNC_TLS_VERSION_TLS1_2,
  MAILSYNC_TLS_VERSION_TLS1_3,
} MailsyncTlsVersion;

/* offlineimap's `sslcacertfile = OS-DEFAULT`: the system trust store. */
#define MAILSYNC_TLS_CA_FILE_OS_DEFAULT "OS-DEFAULT"

/**
 * MailsyncTlsOptions:
 * @ca_file: PEM file of trusted CAs, replacing the system store; %NULL or
 *   "OS-DEFAULT" for the system store (`sslcacertfile`).
 * @fingerprints: %NULL or hex digests (sha1, sha224, sha256, sha384 or
 *   sha512, chosen by length; any case; colons and blanks ignored) of the
 *   server certificate's DER (`cert_fingerprint`). See below.
 * @client_cert: PEM client certificate to present, or %NULL (`sslclientcert`).
 * @client_key: PEM private key of @client_cert; %NULL means the key is in
 *   @client_cert's file (`sslclientkey`).
 * @tls_level: allowed protocol versions (`tls_level`).
 * @ssl_version: minimum protocol version (`ssl_version`).
 * @verify: %TRUE (the default) to verify the server; %FALSE disables the CA
 *   and host name checks (fingerprints, when set, are still enforced).
 *
 * How the server is verified, as offlineimap does:
 * - no fingerprints: the chain must be trusted by @ca_file (or the system
 *   store) and name the host, and must be current;
 * - fingerprints and @ca_file %NULL: the certificate must match one of them,
 *   and nothing else is checked (pinning a self-signed server);
 * - fingerprints and @ca_file set (a path or "OS-DEFAULT"): both checks.
 */
typedef struct
{
  char *ca_file;
  char **fingerprints;
  char *client_cert;
  char *client_key;
  MailsyncTlsLevel tls_level;
  MailsyncTlsVersion ssl_version;
  gboolean verify;
  /* A chain that fails verification (untrusted CA, wrong host, expired)
   * does not fail the handshake: the stream reports it
   * (mailsync_tls_stream_take_verify_failure()) for the caller to ask
   * the user before it sends anything. Pins are still enforced. */
  gboolean defer_verify_failure;
} MailsyncTlsOptions;

MailsyncTlsOptions *mailsync_tls_options_new  (void);
MailsyncTlsOptions *mailsync_tls_options_copy (const MailsyncTlsOptions *options);
void                mailsync_tls_options_free (MailsyncTlsOptions *options);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncTlsOptions, mailsync_tls_options_free)

/* Parse offlineimap's values ("tls_secure", "tls1_2", ...). Errors are
 * MAILSYNC_ERROR_INVALID_CONFIG. */
gboolean mailsync_tls_level_from_string   (const char         *value,
                                           MailsyncTlsLevel   *level,
                                           GError            **error);
gboolean mailsync_tls_version_from_string (const char         *value,
                                           MailsyncTlsVersion *version,
                                           GError            **error);

/* Replace @options->fingerprints by the comma-separated list @value
 * (`cert_fingerprint`), each checked; an empty list means none. */
gboolean mailsync_tls_options_set_fingerprints (MailsyncTlsOptions *options,
                                                const char         *value,
                                                GError            **error);

/* Checks everything that can be checked before connecting: fingerprints
 * well formed, files present, enum values in range. */
gboolean mailsync_tls_options_check (const MailsyncTlsOptions *options,
                                     GError                  **error);

/* The gnutls priority string for these options (see #MailsyncTlsLevel). */
char *mailsync_tls_options_get_priority (const MailsyncTlsOptions *options);

/* The lowest protocol version these options allow, as gnutls names it
 * ("TLS1.2"), for error messages. */
const char *mailsync_tls_options_get_min_version_name (const MailsyncTlsOptions *options);

/* One parsed fingerprint. */
typedef struct
{
  int algorithm;        /* gnutls_digest_algorithm_t */
  gsize length;
  guint8 digest[64];
} MailsyncTlsPin;

/* Parses one fingerprint; FALSE with MAILSYNC_ERROR_INVALID_CONFIG if it is
 * not hex of one of the accepted lengths. */
gboolean mailsync_tls_pin_parse (const char     *text,
                                 MailsyncTlsPin *pin,
                                 GError        **error);

G_END_DECLS
