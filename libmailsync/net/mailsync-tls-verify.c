/* Verification of the server's certificate after the handshake: the
 * chain against the trust store, the host name, fingerprint pins, and
 * the error that says why. Moved from mailsync-tls-stream.c (issue 14
 * item 1). */
#include "config.h"

#include "net/mailsync-tls-stream-private.h"

/* Verification --------------------------------------------------------------- */

char *
_mailsync_tls_stream_format_fingerprint (GBytes        *der,
                                         GChecksumType  type)
{
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[64];
  gsize length = sizeof digest;
  GString *text;

  checksum = g_checksum_new (type);
  if (checksum == NULL || der == NULL)
    return NULL;
  g_checksum_update (checksum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (checksum, digest, &length);
  text = g_string_sized_new (length * 3);
  for (gsize i = 0; i < length; i++)
    g_string_append_printf (text, "%s%02x", i ? ":" : "", digest[i]);
  return g_string_free (text, FALSE);
}

/* Sets G_TLS_ERROR_BAD_CERTIFICATE, ending with the fingerprints to pin. */
static void G_GNUC_PRINTF (3, 4)
set_certificate_error (MailsyncTlsStream  *self,
                       GError            **error,
                       const char         *format,
                       ...)
{
  g_autofree char *why = NULL;
  g_autofree char *sha256 = _mailsync_tls_stream_format_fingerprint (self->peer_der, G_CHECKSUM_SHA256);
  g_autofree char *sha1 = _mailsync_tls_stream_format_fingerprint (self->peer_der, G_CHECKSUM_SHA1);
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
               "%s. Server certificate SHA256 fingerprint: %s, SHA1 fingerprint: %s",
               why, sha256 ? sha256 : "?", sha1 ? sha1 : "?");
}

static gboolean
pins_match (MailsyncTlsStream         *self,
            const MailsyncTlsOptions  *options)
{
  for (guint i = 0; options->fingerprints[i] != NULL; i++)
    {
      MailsyncTlsPin pin;
      guint8 digest[64];

      if (!mailsync_tls_pin_parse (options->fingerprints[i], &pin, NULL))
        continue;
      if (gnutls_hash_fast (pin.algorithm, g_bytes_get_data (self->peer_der, NULL),
                            g_bytes_get_size (self->peer_der), digest) < 0)
        continue;
      if (memcmp (digest, pin.digest, pin.length) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Verifies the chain, validity and host name; @alert is what to tell the
 * server when they fail. */
static gboolean
verify_chain (MailsyncTlsStream           *self,
              gnutls_alert_description_t  *alert,
              unsigned int                *status_out,
              GError                     **error)
{
  gnutls_typed_vdata_st data[2];
  gnutls_datum_t text = { NULL, 0 };
  g_autofree char *reason = NULL;
  guint8 ip[16];
  gsize ip_size = _mailsync_tls_stream_parse_ip_literal (self->server_name, ip);
  unsigned int status = 0;
  gnutls_certificate_credentials_t shared, anchors;
  const char *bundle;
  int ret;

  if (ip_size > 0)
    {
      data[0].type = GNUTLS_DT_IP_ADDRESS;
      data[0].data = ip;
      data[0].size = ip_size;
    }
  else
    {
      data[0].type = GNUTLS_DT_DNS_HOSTNAME;
      data[0].data = (unsigned char *) self->server_name;
      data[0].size = 0;
    }
  data[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
  data[1].data = (unsigned char *) GNUTLS_KP_TLS_WWW_SERVER;
  data[1].size = 0;

  shared = _mailsync_tls_stream_shared_credentials_get (self->credentials, &bundle);
  if (bundle != NULL)
    {
      /* The bundle's anchors for this chain only: in credentials
       * of their own, which the session uses for this verification
       * (gnutls_certificate_verify_peers() reads the session's
       * credentials when called), then the shared ones again. */
      const gnutls_datum_t *chain;
      unsigned int n_chain = 0;
      g_autoptr(GError) local_error = NULL;

      chain = gnutls_certificate_get_peers (self->session, &n_chain);
      anchors = _mailsync_tls_trust_for_chain (bundle, chain, n_chain, &local_error);
      if (anchors == NULL)
        {
          *alert = GNUTLS_A_INTERNAL_ERROR;
          set_certificate_error (self, error, "Cannot read the CA certificates: %s",
                                 local_error->message);
          return FALSE;
        }
      ret = gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE, anchors);
      if (ret >= 0)
        ret = gnutls_certificate_verify_peers (self->session, data, G_N_ELEMENTS (data), &status);
      (void) gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE, shared);
      gnutls_certificate_free_credentials (anchors);
    }
  else
    ret = gnutls_certificate_verify_peers (self->session, data, G_N_ELEMENTS (data), &status);
  if (ret < 0)
    {
      *alert = GNUTLS_A_BAD_CERTIFICATE;
      set_certificate_error (self, error, "Cannot verify the certificate of \"%s\": %s",
                             self->server_name, gnutls_strerror (ret));
      return FALSE;
    }
  if (status == 0)
    return TRUE;
  *status_out = status;

  if (status & GNUTLS_CERT_EXPIRED)
    *alert = GNUTLS_A_CERTIFICATE_EXPIRED;
  else if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
    *alert = GNUTLS_A_UNKNOWN_CA;
  else
    *alert = GNUTLS_A_BAD_CERTIFICATE;
  if (gnutls_certificate_verification_status_print (status, GNUTLS_CRT_X509, &text, 0) >= 0)
    {
      reason = _mailsync_tls_stream_strip_sentence ((const char *) text.data, text.size);
      gnutls_free (text.data);
    }
  set_certificate_error (self, error, "Certificate of \"%s\" rejected: %s",
                         self->server_name, reason ? reason : "verification failed");
  return FALSE;
}

/* What GIO calls the problems gnutls found, for a client's dialog. */
static GTlsCertificateFlags
flags_from_status (unsigned int status)
{
  GTlsCertificateFlags flags = 0;

  if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
    flags |= G_TLS_CERTIFICATE_UNKNOWN_CA;
  if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
    flags |= G_TLS_CERTIFICATE_BAD_IDENTITY;
  if (status & GNUTLS_CERT_NOT_ACTIVATED)
    flags |= G_TLS_CERTIFICATE_NOT_ACTIVATED;
  if (status & GNUTLS_CERT_EXPIRED)
    flags |= G_TLS_CERTIFICATE_EXPIRED;
  if (status & GNUTLS_CERT_REVOKED)
    flags |= G_TLS_CERTIFICATE_REVOKED;
  if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
    flags |= G_TLS_CERTIFICATE_INSECURE;
  if (flags == 0)
    flags = G_TLS_CERTIFICATE_GENERIC_ERROR;
  return flags;
}

gboolean
_mailsync_tls_stream_verify_peer (MailsyncTlsStream         *self,
                                  const MailsyncTlsOptions  *options,
                                  GCancellable              *cancellable,
                                  GError                   **error)
{
  const gnutls_datum_t *certs;
  unsigned int n_certs = 0;
  gnutls_alert_description_t alert = GNUTLS_A_BAD_CERTIFICATE;
  gboolean have_pins = options->fingerprints != NULL && options->fingerprints[0] != NULL;
  g_autoptr(GError) chain_error = NULL;
  unsigned int status = 0;
  gboolean ok = TRUE;

  certs = gnutls_certificate_get_peers (self->session, &n_certs);
  if (certs == NULL || n_certs == 0)
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                   "Server \"%s\" sent no certificate", self->server_name);
      return FALSE;
    }
  self->peer_der = g_bytes_new (certs[0].data, certs[0].size);

  /* Pins alone (no sslcacertfile) replace the CA and host checks. */
  if (options->verify && (!have_pins || options->ca_file != NULL))
    ok = verify_chain (self, &alert, &status, &chain_error);
  if (!ok && status != 0 && options->defer_verify_failure)
    {
      /* The user decides, once the handshake is over and before the
       * caller sends a byte (see mailsync_tls_stream_take_verify_failure()). */
      self->deferred_flags = flags_from_status (status);
      self->deferred_failure = g_steal_pointer (&chain_error);
      ok = TRUE;
    }
  else if (!ok)
    g_propagate_error (error, g_steal_pointer (&chain_error));
  if (ok && have_pins && !pins_match (self, options))
    {
      g_clear_error (&self->deferred_failure);
      set_certificate_error (self, error,
                             "Certificate of \"%s\" matches no configured cert_fingerprint",
                             self->server_name);
      ok = FALSE;
    }

  if (!ok)
    {
      self->write_cancellable = cancellable;
      (void) gnutls_alert_send (self->session, GNUTLS_AL_FATAL, alert);
      self->write_cancellable = NULL;
      g_clear_error (&self->write_error);
    }
  return ok;
}
