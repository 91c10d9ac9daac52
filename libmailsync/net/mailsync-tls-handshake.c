/* The TLS client handshake: session setup with shared credentials
 * (trust store, client certificate), the handshake itself, and the
 * constructors that return a verified MailsyncTlsStream. Moved from
 * mailsync-tls-stream.c (issue 14 item 1). */
#include "config.h"

#include "net/mailsync-tls-stream-private.h"

/* Session setup -------------------------------------------------------------- */

static gboolean
uses_system_store (const MailsyncTlsOptions *options)
{
  return options->ca_file == NULL
         || strcmp (options->ca_file, MAILSYNC_TLS_CA_FILE_OS_DEFAULT) == 0;
}

/* Parsing the system trust store costs 7-19 ms of CPU (144 certificates
 * here), once per connection. Connections made with the same trust and
 * client certificate settings share one credentials structure instead,
 * loaded by the first (gnutls only reads credentials once they are set
 * up, so sessions in several threads may share them). An entry lives as
 * long as a connection uses it: a connection made after the last one
 * closed reads the files again, so a long-running process sees a renewed
 * CA file or client certificate. */
struct _SharedCredentials
{
  int refs;                     /* guarded by credentials_lock */
  char *key;
  gnutls_certificate_credentials_t credentials;
  char *on_demand_bundle;         /* a bundle read at verification (mailsync-tls-trust.c) */
};

static GMutex credentials_lock;
static GHashTable *credentials_cache;   /* key -> SharedCredentials, in use only */

void
_mailsync_tls_stream_shared_credentials_release (SharedCredentials *shared)
{
  g_mutex_lock (&credentials_lock);
  if (--shared->refs > 0)
    {
      g_mutex_unlock (&credentials_lock);
      return;
    }
  g_hash_table_remove (credentials_cache, shared->key);
  if (g_hash_table_size (credentials_cache) == 0)
    g_clear_pointer (&credentials_cache, g_hash_table_unref);
  g_mutex_unlock (&credentials_lock);

  gnutls_certificate_free_credentials (shared->credentials);
  g_free (shared->key);
  g_free (shared->on_demand_bundle);
  g_free (shared);
}

gnutls_certificate_credentials_t
_mailsync_tls_stream_shared_credentials_get (SharedCredentials  *shared,
                                             const char        **on_demand_bundle)
{
  *on_demand_bundle = shared->on_demand_bundle;
  return shared->credentials;
}

/* An sslcacertfile of more certificates than this is a bundle (often the
 * system's own, named by configurations written for offlineimap < 7):
 * read at verification like the system store, not parsed whole now. A
 * user's own CA file stays loaded at set-up, where its errors show. */
#define CA_FILE_BUNDLE_CERTIFICATES 16

static gboolean
is_bundle (const char *path)
{
  g_autofree char *contents = NULL;
  const char *p;
  guint n = 0;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  for (p = contents; (p = strstr (p, "-----BEGIN CERTIFICATE-----")) != NULL; p++)
    if (++n > CA_FILE_BUNDLE_CERTIFICATES)
      return TRUE;
  return FALSE;
}

static gboolean
load_credentials (gnutls_certificate_credentials_t  credentials,
                  const MailsyncTlsOptions         *options,
                  char                            **on_demand_bundle,
                  GError                          **error)
{
  int ret;

  *on_demand_bundle = NULL;
  if (uses_system_store (options) && _mailsync_tls_system_bundle () != NULL)
    {
      /* A PEM bundle: what verifies a chain is read when there is one
       * (mailsync-tls-trust.c), not every CA now. */
      *on_demand_bundle = g_strdup (_mailsync_tls_system_bundle ());
    }
  else if (!uses_system_store (options) && is_bundle (options->ca_file))
    *on_demand_bundle = g_strdup (options->ca_file);
  else if (uses_system_store (options))
    {
      /* No usable system store: every chain fails as "issuer unknown". */
      (void) gnutls_certificate_set_x509_system_trust (credentials);
    }
  else
    {
      ret = gnutls_certificate_set_x509_trust_file (credentials, options->ca_file,
                                                    GNUTLS_X509_FMT_PEM);
      if (ret <= 0)
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                       "sslcacertfile \"%s\" holds no usable PEM certificate%s%s",
                       options->ca_file, ret < 0 ? ": " : "", ret < 0 ? gnutls_strerror (ret) : "");
          return FALSE;
        }
    }

  if (options->client_cert != NULL)
    {
      const char *key = options->client_key ? options->client_key : options->client_cert;

      ret = gnutls_certificate_set_x509_key_file (credentials, options->client_cert,
                                                  key, GNUTLS_X509_FMT_PEM);
      if (ret < 0)
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                       "Cannot load the client certificate \"%s\" with the key \"%s\": %s",
                       options->client_cert, key, gnutls_strerror (ret));
          return FALSE;
        }
    }
  return TRUE;
}

static SharedCredentials *
shared_credentials_acquire (const MailsyncTlsOptions  *options,
                            GError                   **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *key = NULL;
  gnutls_certificate_credentials_t credentials;
  g_autofree char *on_demand_bundle = NULL;
  SharedCredentials *shared;
  int ret;

  /* '\n' cannot be part of the paths a config line gives. */
  key = g_strdup_printf ("%s\n%s\n%s", uses_system_store (options) ? "" : options->ca_file,
                         options->client_cert ? options->client_cert : "",
                         options->client_key ? options->client_key : "");

  /* Loading under the lock: connections started together wait for the
   * first one's load rather than each parsing the same files. */
  locker = g_mutex_locker_new (&credentials_lock);
  shared = credentials_cache ? g_hash_table_lookup (credentials_cache, key) : NULL;
  if (shared != NULL)
    {
      shared->refs++;
      return shared;
    }

  ret = gnutls_certificate_allocate_credentials (&credentials);
  if (ret < 0)
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC, "Cannot set up TLS: %s",
                   gnutls_strerror (ret));
      return NULL;
    }
  if (!load_credentials (credentials, options, &on_demand_bundle, error))
    {
      gnutls_certificate_free_credentials (credentials);
      return NULL;
    }

  g_debug ("TLS: trust store %s (%s)", on_demand_bundle ? "read at verification" : "loaded",
           on_demand_bundle ? on_demand_bundle : uses_system_store (options) ? "system" : options->ca_file);
  shared = g_new0 (SharedCredentials, 1);
  shared->on_demand_bundle = g_steal_pointer (&on_demand_bundle);
  shared->refs = 1;
  shared->key = g_steal_pointer (&key);
  shared->credentials = credentials;
  if (credentials_cache == NULL)
    credentials_cache = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (credentials_cache, shared->key, shared);
  return shared;
}

/* For an IP address literal, its bytes (4 or 16) in @ip; otherwise 0. */
gsize
_mailsync_tls_stream_parse_ip_literal (const char *name,
                                       guint8      ip[16])
{
  g_autofree char *bare = NULL;
  g_autoptr(GInetAddress) address = NULL;
  gsize len = strlen (name);
  gsize size;

  if (len >= 2 && name[0] == '[' && name[len - 1] == ']')
    bare = g_strndup (name + 1, len - 2);
  else
    bare = g_strdup (name);
  address = g_inet_address_new_from_string (bare);
  if (address == NULL)
    return 0;
  size = g_inet_address_get_native_size (address);
  if (size != 4 && size != 16)
    return 0;
  memcpy (ip, g_inet_address_to_bytes (address), size);
  return size;
}

static gboolean
setup_session (MailsyncTlsStream         *self,
               const MailsyncTlsOptions  *options,
               GError                   **error)
{
  g_autofree char *priority = mailsync_tls_options_get_priority (options);
  guint8 ip[16];
  int ret;

  /* Every other gnutls call comes after this one (mailsync-gnutls-lazy.h). */
  if (!_mailsync_gnutls_load (error))
    return FALSE;
  self->credentials = shared_credentials_acquire (options, error);
  if (self->credentials == NULL)
    return FALSE;

  ret = gnutls_init (&self->session, GNUTLS_CLIENT);
  if (ret >= 0)
    ret = gnutls_priority_set_direct (self->session, priority, NULL);
  if (ret >= 0)
    ret = gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE,
                                  self->credentials->credentials);
  /* SNI carries DNS names only (RFC 6066). */
  if (ret >= 0 && _mailsync_tls_stream_parse_ip_literal (self->server_name, ip) == 0)
    ret = gnutls_server_name_set (self->session, GNUTLS_NAME_DNS, self->server_name,
                                  strlen (self->server_name));
  if (ret < 0)
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
                   "Cannot set up TLS for \"%s\": %s", self->server_name, gnutls_strerror (ret));
      return FALSE;
    }

  gnutls_transport_set_ptr (self->session, self);
  gnutls_transport_set_pull_function (self->session, _mailsync_tls_stream_transport_pull);
  gnutls_transport_set_pull_timeout_function (self->session, _mailsync_tls_stream_transport_pull_timeout);
  gnutls_transport_set_push_function (self->session, _mailsync_tls_stream_transport_push);
  return TRUE;
}

/* When the server drops the connection during the handshake, our write
 * fails while its reason, a plaintext alert record, may wait unread.
 * Returns that alert's description, or -1. Only used to word the error. */
static int
peek_plaintext_alert (MailsyncTlsStream *self)
{
  GPollableInputStream *in;
  guint8 record[7];

  if (!G_IS_POLLABLE_INPUT_STREAM (self->base_in))
    return -1;
  in = G_POLLABLE_INPUT_STREAM (self->base_in);
  if (!g_pollable_input_stream_can_poll (in)
      || g_pollable_input_stream_read_nonblocking (in, record, sizeof record, NULL, NULL) != 7)
    return -1;
  /* type alert, version 3.x, length 2, level fatal */
  if (record[0] != 21 || record[1] != 3 || record[3] != 0 || record[4] != 2 || record[5] != 2)
    return -1;
  return record[6];
}

/* Whether a failed handshake is about the missing client certificate. */
static gboolean
wants_client_certificate (MailsyncTlsStream        *self,
                          const MailsyncTlsOptions *options,
                          int                       alert)
{
  return alert == GNUTLS_A_CERTIFICATE_REQUIRED
         || (alert == GNUTLS_A_HANDSHAKE_FAILURE && options->client_cert == NULL
             && gnutls_certificate_client_get_request_status (self->session));
}

static gboolean
handshake (MailsyncTlsStream         *self,
           const MailsyncTlsOptions  *options,
           GCancellable              *cancellable,
           GError                   **error)
{
  g_autofree char *why = NULL;
  gnutls_alert_description_t alert;
  int ret;

  self->read_cancellable = cancellable;
  self->write_cancellable = cancellable;
  do
    ret = gnutls_handshake (self->session);
  while (ret < 0 && !gnutls_error_is_fatal (ret)
         && self->read_error == NULL && self->write_error == NULL);
  self->read_cancellable = NULL;
  self->write_cancellable = NULL;

  if (ret >= 0)
    return TRUE;

  if (self->read_error != NULL || self->write_error != NULL)
    {
      GError *base_error = self->read_error != NULL ? g_steal_pointer (&self->read_error)
                                                    : g_steal_pointer (&self->write_error);
      int peeked = g_error_matches (base_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                   ? -1 : peek_plaintext_alert (self);

      g_clear_error (&self->write_error);
      if (peeked >= 0)
        {
          const char *name = gnutls_alert_get_name (peeked);

          if (wants_client_certificate (self, options, peeked))
            g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED,
                         "Server \"%s\" requires a client certificate (sslclientcert): "
                         "it sent the alert: %s", self->server_name, name ? name : "?");
          else
            g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
                         "TLS handshake with \"%s\" failed: the server sent the alert: %s",
                         self->server_name, name ? name : "?");
          g_error_free (base_error);
          return FALSE;
        }
      g_propagate_prefixed_error (error, base_error, "TLS handshake with \"%s\" failed: ",
                                  self->server_name);
      return FALSE;
    }

  why = _mailsync_tls_stream_describe_gnutls_error (self, ret);
  alert = gnutls_alert_get (self->session);
  if (_mailsync_tls_stream_is_client_certificate_required (self, ret)
      || (ret == GNUTLS_E_FATAL_ALERT_RECEIVED && wants_client_certificate (self, options, alert)))
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED,
                 "Server \"%s\" requires a client certificate (sslclientcert): %s",
                 self->server_name, why);
  else if (ret == GNUTLS_E_UNEXPECTED_PACKET_LENGTH || ret == GNUTLS_E_UNEXPECTED_PACKET)
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS,
                 "TLS handshake with \"%s\" failed: the server does not speak TLS on this "
                 "port (plain IMAP needs starttls): %s", self->server_name, why);
  else if (ret == GNUTLS_E_PREMATURE_TERMINATION)
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
                 "TLS handshake with \"%s\" failed: the server closed the connection",
                 self->server_name);
  else if ((ret == GNUTLS_E_FATAL_ALERT_RECEIVED
            && (alert == GNUTLS_A_PROTOCOL_VERSION || alert == GNUTLS_A_HANDSHAKE_FAILURE))
           || ret == GNUTLS_E_UNSUPPORTED_VERSION_PACKET
           || ret == GNUTLS_E_NO_PRIORITIES_WERE_SET
           || ret == GNUTLS_E_INSUFFICIENT_SECURITY)
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
                 "TLS handshake with \"%s\" failed (this client allows %s and newer; "
                 "see tls_level and ssl_version): %s",
                 self->server_name, mailsync_tls_options_get_min_version_name (options), why);
  else
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
                 "TLS handshake with \"%s\" failed: %s", self->server_name, why);
  return FALSE;
}

/* Constructors --------------------------------------------------------------- */

GIOStream *
mailsync_tls_client_new (GIOStream                 *base,
                         const char                *server_name,
                         const MailsyncTlsOptions  *options,
                         GCancellable              *cancellable,
                         GError                   **error)
{
  g_autoptr(MailsyncTlsStream) self = NULL;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);
  g_return_val_if_fail (server_name != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  if (!mailsync_tls_options_check (options, error))
    return NULL;

  self = g_object_new (MAILSYNC_TYPE_TLS_STREAM, NULL);
  self->server_name = g_strdup (server_name);
  if (!setup_session (self, options, error))
    return NULL;

  /* From here on, unreffing self on failure closes base (close_fn). */
  self->base = g_object_ref (base);
  self->base_in = g_io_stream_get_input_stream (base);
  self->base_out = g_io_stream_get_output_stream (base);
  if (!handshake (self, options, cancellable, error)
      || !_mailsync_tls_stream_verify_peer (self, options, cancellable, error))
    return NULL;

  self->established = TRUE;
  /* Only now: during the handshake gnutls pulls exactly what it needs, so
   * nothing is read ahead of the handshake's last record. */
  self->pull_buffer = g_malloc (PULL_BUFFER_SIZE);
  return G_IO_STREAM (g_steal_pointer (&self));
}

typedef struct
{
  GIOStream *base;
  char *server_name;
  MailsyncTlsOptions *options;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  g_object_unref (data->base);
  g_free (data->server_name);
  mailsync_tls_options_free (data->options);
  g_free (data);
}

static void
connect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ConnectData *data = task_data;
  GError *error = NULL;
  GIOStream *stream;

  stream = mailsync_tls_client_new (data->base, data->server_name, data->options,
                                    cancellable, &error);
  if (stream != NULL)
    g_task_return_pointer (task, stream, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
mailsync_tls_client_new_async (GIOStream                *base,
                               const char               *server_name,
                               const MailsyncTlsOptions *options,
                               int                       io_priority,
                               GCancellable             *cancellable,
                               GAsyncReadyCallback       callback,
                               gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;
  ConnectData *data;

  g_return_if_fail (G_IS_IO_STREAM (base));
  g_return_if_fail (server_name != NULL);
  g_return_if_fail (options != NULL);

  data = g_new0 (ConnectData, 1);
  data->base = g_object_ref (base);
  data->server_name = g_strdup (server_name);
  data->options = mailsync_tls_options_copy (options);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mailsync_tls_client_new_async);
  g_task_set_priority (task, io_priority);
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);
  g_task_run_in_thread (task, connect_thread);
}

GIOStream *
mailsync_tls_client_new_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mailsync_tls_client_new_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Accessors ------------------------------------------------------------------ */

char *
mailsync_tls_stream_get_peer_fingerprint (MailsyncTlsStream *self,
                                          GChecksumType      type)
{
  g_return_val_if_fail (MAILSYNC_IS_TLS_STREAM (self), NULL);

  return _mailsync_tls_stream_format_fingerprint (self->peer_der, type);
}

GBytes *
mailsync_tls_stream_get_peer_certificate (MailsyncTlsStream *self)
{
  g_return_val_if_fail (MAILSYNC_IS_TLS_STREAM (self), NULL);

  return self->peer_der ? g_bytes_ref (self->peer_der) : NULL;
}

char *
mailsync_tls_stream_get_description (MailsyncTlsStream *self)
{
  char *desc;
  char *copy;

  g_return_val_if_fail (MAILSYNC_IS_TLS_STREAM (self), NULL);

  desc = gnutls_session_get_desc (self->session);
  copy = g_strdup (desc);
  gnutls_free (desc);
  return copy;
}

GIOStream *
mailsync_tls_stream_get_base_stream (MailsyncTlsStream *self)
{
  g_return_val_if_fail (MAILSYNC_IS_TLS_STREAM (self), NULL);

  return self->base;
}

GError *
mailsync_tls_stream_take_verify_failure (MailsyncTlsStream    *self,
                                         GTlsCertificateFlags *flags)
{
  g_return_val_if_fail (MAILSYNC_IS_TLS_STREAM (self), NULL);
  if (flags != NULL)
    *flags = self->deferred_failure != NULL ? self->deferred_flags : 0;
  return g_steal_pointer (&self->deferred_failure);
}
