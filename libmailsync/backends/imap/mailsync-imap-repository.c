/* An IMAP account as a MailsyncRepository. One connection, opened by
 * open_async and shared by the folders (the connection pipelines within
 * a folder), and up to max-connections in all: a folder that leased one
 * of the pool's runs there (mailsync-imap-repository-pool.c).
 *
 * This file holds the object, its properties, its public API and what
 * the folders use of it; the operations are in
 * mailsync-imap-repository-*.c, one subject each, with what they share
 * in mailsync-imap-repository-private.h. */
#include "config.h"

#include "mailsync-imap-repository-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "config/mailsync-oauth2-private.h"
#include "mailsync-imap-utf7.h"

#include <string.h>

/**
 * MailsyncImapRepository:
 *
 * A folder store on an IMAP server. Connection and login settings are
 * properties (offlineimap's `[Repository]` options of type IMAP).
 * Certificates are verified by default.
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (MailsyncImapRepository, mailsync_imap_repository, MAILSYNC_TYPE_REPOSITORY)

enum
{
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_USER,
  PROP_PASSWORD,
  PROP_SSL,
  PROP_STARTTLS,
  PROP_CA_FILE,
  PROP_CERT_FINGERPRINT,
  PROP_CLIENT_CERT,
  PROP_CLIENT_KEY,
  PROP_VERIFY,
  PROP_AUTH_MECHANISMS,
  PROP_PREAUTH_TUNNEL,
  PROP_TRANSPORT_TUNNEL,
  PROP_TIMEOUT,
  PROP_USE_COMPRESSION,
  PROP_REFERENCE,
  PROP_TLS_LEVEL,
  PROP_SSL_VERSION,
  PROP_RETRY_COUNT,
  PROP_FOLDER_INCLUDES,
  PROP_PERSONAL_NAMESPACE_ONLY,
  PROP_EXPUNGE,
  PROP_SUBSCRIBED_ONLY,
  PROP_HIDDEN_FOLDERS,
  PROP_START_DATE,
  PROP_AUTHZID,
  PROP_ADDRESS_FAMILY,
  PROP_HOLD_CONNECTION_OPEN,
  PROP_KEEPALIVE,
  PROP_UTF8_FOLDER_NAMES,
  PROP_PROXY,
  PROP_DECODE_FOLDER_NAMES,
  PROP_CAPABILITY_CACHE,
  PROP_MAX_CONNECTIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Port 0 is the default of the security mode, decided when connecting
 * (ssl = no on port 0 is 143, not 993). */
guint16
_mailsync_imap_repository_effective_port (const MailsyncImapSettings *s)
{
  if (s->port != 0)
    return s->port;
  return s->security == MAILSYNC_IMAP_SECURITY_IMPLICIT ? 993 : 143;
}

static void
replace_string (char **slot, const GValue *value)
{
  g_free (*slot);
  *slot = g_value_dup_string (value);
}

/* A property setter cannot fail; the error waits for open, which reports
 * it before any connection is made. */
static void
remember_config_error (MailsyncImapRepository *self, const char *option, const GError *error)
{
  if (self->config_error != NULL)
    return;
  self->config_error = g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG, "Repository %s: %s: %s",
                                    mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)), option,
                                    error->message);
}

static void
mailsync_imap_repository_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (object);
  MailsyncImapSettings *s = self->settings;

  switch (prop_id)
    {
    case PROP_HOST: replace_string (&s->host, value); break;
    case PROP_PORT: s->port = (guint16) g_value_get_uint (value); break;
    case PROP_USER: replace_string (&s->user, value); break;
    case PROP_PASSWORD:
      replace_string (&s->password, value);
      self->password_asked = FALSE;
      self->password_client = g_value_get_string (value) != NULL;
      g_clear_pointer (&self->password_source, g_free);
      break;
    case PROP_SSL:
      if (g_value_get_boolean (value))
        s->security = MAILSYNC_IMAP_SECURITY_IMPLICIT;
      else if (s->security == MAILSYNC_IMAP_SECURITY_IMPLICIT)
        s->security = MAILSYNC_IMAP_SECURITY_STARTTLS;
      break;
    case PROP_STARTTLS:
      if (s->security != MAILSYNC_IMAP_SECURITY_IMPLICIT)
        s->security = g_value_get_boolean (value) ? MAILSYNC_IMAP_SECURITY_STARTTLS : MAILSYNC_IMAP_SECURITY_NONE;
      break;
    case PROP_CA_FILE: replace_string (&s->tls->ca_file, value); break;
    case PROP_CERT_FINGERPRINT:
      {
        g_autoptr(GError) error = NULL;
        if (g_value_get_string (value) &&
            !mailsync_tls_options_set_fingerprints (s->tls, g_value_get_string (value), &error))
          remember_config_error (self, "cert_fingerprint", error);
      }
      break;
    case PROP_TLS_LEVEL:
      {
        g_autoptr(GError) error = NULL;
        if (g_value_get_string (value) &&
            !mailsync_tls_level_from_string (g_value_get_string (value), &s->tls->tls_level, &error))
          remember_config_error (self, "tls_level", error);
      }
      break;
    case PROP_SSL_VERSION:
      {
        g_autoptr(GError) error = NULL;
        if (g_value_get_string (value) &&
            !mailsync_tls_version_from_string (g_value_get_string (value), &s->tls->ssl_version, &error))
          remember_config_error (self, "ssl_version", error);
      }
      break;
    case PROP_CLIENT_CERT: replace_string (&s->tls->client_cert, value); break;
    case PROP_CLIENT_KEY: replace_string (&s->tls->client_key, value); break;
    case PROP_VERIFY: s->tls->verify = g_value_get_boolean (value); break;
    case PROP_AUTH_MECHANISMS: replace_string (&s->auth_mechanisms, value); break;
    case PROP_PREAUTH_TUNNEL: replace_string (&s->preauth_tunnel, value); break;
    case PROP_TRANSPORT_TUNNEL: replace_string (&s->transport_tunnel, value); break;
    case PROP_TIMEOUT: s->timeout = g_value_get_uint (value); break;
    case PROP_USE_COMPRESSION: s->compress = g_value_get_boolean (value); break;
    case PROP_REFERENCE: replace_string (&self->reference, value); break;
    case PROP_RETRY_COUNT: self->retry_count = g_value_get_uint (value); break;
    case PROP_FOLDER_INCLUDES:
      g_strfreev (self->folder_includes);
      self->folder_includes = g_value_dup_boxed (value);
      break;
    case PROP_PERSONAL_NAMESPACE_ONLY: self->personal_only = g_value_get_boolean (value); break;
    case PROP_EXPUNGE: self->expunge = g_value_get_boolean (value); break;
    case PROP_SUBSCRIBED_ONLY: self->subscribed_only = g_value_get_boolean (value); break;
    case PROP_START_DATE: self->start_date = g_value_get_int64 (value); break;
    case PROP_AUTHZID: replace_string (&s->authzid, value); break;
    case PROP_ADDRESS_FAMILY: s->family = g_value_get_enum (value); break;
    case PROP_HOLD_CONNECTION_OPEN: self->hold = g_value_get_boolean (value); break;
    case PROP_KEEPALIVE: self->keepalive = g_value_get_uint (value); break;
    case PROP_MAX_CONNECTIONS: g_atomic_int_set (&self->max_connections, g_value_get_uint (value)); break;
    case PROP_UTF8_FOLDER_NAMES: self->utf8_names = g_value_get_boolean (value); break;
    case PROP_PROXY: replace_string (&s->proxy, value); break;
    case PROP_CAPABILITY_CACHE: replace_string (&self->capability_cache, value); break;
    case PROP_DECODE_FOLDER_NAMES:
      mailsync_imap_repository_set_decode_folder_names (self, g_value_get_boolean (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_imap_repository_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (object);
  MailsyncImapSettings *s = self->settings;

  switch (prop_id)
    {
    case PROP_HOST: g_value_set_string (value, s->host); break;
    case PROP_PORT: g_value_set_uint (value, _mailsync_imap_repository_effective_port (s)); break;
    case PROP_USER: g_value_set_string (value, s->user); break;
    case PROP_PASSWORD: g_value_set_string (value, NULL); break; /* write-only in effect */
    case PROP_SSL: g_value_set_boolean (value, s->security == MAILSYNC_IMAP_SECURITY_IMPLICIT); break;
    case PROP_STARTTLS: g_value_set_boolean (value, s->security == MAILSYNC_IMAP_SECURITY_STARTTLS); break;
    case PROP_CA_FILE: g_value_set_string (value, s->tls->ca_file); break;
    case PROP_CERT_FINGERPRINT: g_value_set_string (value, NULL); break;
    case PROP_CLIENT_CERT: g_value_set_string (value, s->tls->client_cert); break;
    case PROP_CLIENT_KEY: g_value_set_string (value, s->tls->client_key); break;
    case PROP_VERIFY: g_value_set_boolean (value, s->tls->verify); break;
    case PROP_AUTH_MECHANISMS: g_value_set_string (value, s->auth_mechanisms); break;
    case PROP_PREAUTH_TUNNEL: g_value_set_string (value, s->preauth_tunnel); break;
    case PROP_TRANSPORT_TUNNEL: g_value_set_string (value, s->transport_tunnel); break;
    case PROP_TIMEOUT: g_value_set_uint (value, s->timeout); break;
    case PROP_USE_COMPRESSION: g_value_set_boolean (value, s->compress); break;
    case PROP_REFERENCE: g_value_set_string (value, self->reference); break;
    case PROP_TLS_LEVEL: g_value_set_string (value, NULL); break;
    case PROP_SSL_VERSION: g_value_set_string (value, NULL); break;
    case PROP_RETRY_COUNT: g_value_set_uint (value, self->retry_count); break;
    case PROP_FOLDER_INCLUDES: g_value_set_boxed (value, self->folder_includes); break;
    case PROP_PERSONAL_NAMESPACE_ONLY: g_value_set_boolean (value, self->personal_only); break;
    case PROP_EXPUNGE: g_value_set_boolean (value, self->expunge); break;
    case PROP_SUBSCRIBED_ONLY: g_value_set_boolean (value, self->subscribed_only); break;
    case PROP_START_DATE: g_value_set_int64 (value, self->start_date); break;
    case PROP_AUTHZID: g_value_set_string (value, s->authzid); break;
    case PROP_ADDRESS_FAMILY: g_value_set_enum (value, s->family); break;
    case PROP_HOLD_CONNECTION_OPEN: g_value_set_boolean (value, self->hold); break;
    case PROP_KEEPALIVE: g_value_set_uint (value, self->keepalive); break;
    case PROP_UTF8_FOLDER_NAMES: g_value_set_boolean (value, self->utf8_names); break;
    case PROP_PROXY: g_value_set_string (value, s->proxy); break;
    case PROP_DECODE_FOLDER_NAMES: g_value_set_boolean (value, self->decode_names); break;
    case PROP_CAPABILITY_CACHE: g_value_set_string (value, self->capability_cache); break;
    case PROP_MAX_CONNECTIONS: g_value_set_uint (value, g_atomic_int_get (&self->max_connections)); break;
    case PROP_HIDDEN_FOLDERS:
      {
        /* the keys belong to the table: the strv is a shallow copy */
        g_autofree char **keys = (char **) g_hash_table_get_keys_as_array (self->unsubscribed, NULL);
        g_value_set_boxed (value, keys);
      }
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
teardown (gpointer data)
{
  MailsyncImapRepository *self = data;

  if (self->main.connection)
    mailsync_imap_connection_close (self->main.connection);
  _mailsync_imap_repository_drop_connection (self, &self->main);
}

static void
mailsync_imap_repository_dispose (GObject *object)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (object);

  /* The connection and its sources belong to the worker's thread: they
   * are torn down there. */
  _mailsync_imap_repository_pool_dispose (self);
  if (self->main.worker != NULL)
    _mailsync_worker_free (g_steal_pointer (&self->main.worker), teardown, self);
  G_OBJECT_CLASS (mailsync_imap_repository_parent_class)->dispose (object);
}

static void
mailsync_imap_repository_finalize (GObject *object)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (object);

  mailsync_imap_settings_free (self->settings);
  g_free (self->reference);
  g_free (self->capability_cache);
  g_free (self->main.last_selected_name);
  _mailsync_imap_repository_pool_finalize (self);
  g_strfreev (self->folder_includes);
  g_hash_table_unref (self->unsubscribed);
  g_free (self->greeting);
  g_strfreev (self->capabilities);
  g_clear_pointer (&self->accepted_certs, g_ptr_array_unref);
  g_clear_error (&self->config_error);
  g_clear_error (&self->login_unanswered);
  g_clear_pointer (&self->oauth2, _mailsync_oauth2_unref);
  g_clear_object (&self->password_asker);
  g_free (self->password_missing);
  g_free (self->password_source);
  mailsync_imap_secret_clear (self->accepted_password);
  g_free (self->accepted_password);
  g_mutex_clear (&self->accepted_lock);
  G_OBJECT_CLASS (mailsync_imap_repository_parent_class)->finalize (object);
}

/* ---- helpers shared with folders ---------------------------------------- */

MailsyncImapConnection *
_mailsync_imap_repository_get_connection (MailsyncImapRepository *self)
{
  return self->main.connection;
}

MailsyncImapFolder *
_mailsync_imap_slot_get_selected (MailsyncImapSlot *slot)
{
  return g_atomic_pointer_get (&slot->selected);
}

void
_mailsync_imap_slot_set_selected (MailsyncImapSlot *slot, MailsyncImapFolder *folder)
{
  g_atomic_pointer_set (&slot->selected, folder);
}

/* On the worker: the mailbox a SELECT/EXAMINE was sent for. Never cleared
 * when its folder goes away: the connection keeps the mailbox selected
 * (a connection held open between syncs), and a stale name after a
 * reconnection only costs a full listing. */
void
_mailsync_imap_slot_note_selected_name (MailsyncImapSlot *slot, const char *wire_name)
{
  g_free (slot->last_selected_name);
  slot->last_selected_name = g_strdup (wire_name);
}

/* On the worker: whether the connection may have @wire_name selected. */
gboolean
_mailsync_imap_slot_may_have_selected (MailsyncImapSlot *slot, const char *wire_name)
{
  return slot->last_selected_name != NULL && strcmp (slot->last_selected_name, wire_name) == 0;
}

/* A folder going away forgets its SELECT, on every connection, so that
 * another folder made at the same address is never taken for the
 * selected one. */
void
_mailsync_imap_repository_forget_selected (MailsyncImapRepository *self, MailsyncImapFolder *folder)
{
  g_atomic_pointer_compare_and_exchange (&self->main.selected, folder, NULL);
  g_mutex_lock (&self->pool_lock);
  for (guint i = 0; i < self->pool->len; i++)
    {
      MailsyncImapSlot *slot = self->pool->pdata[i];

      g_atomic_pointer_compare_and_exchange (&slot->selected, folder, NULL);
    }
  g_mutex_unlock (&self->pool_lock);
}

gboolean
_mailsync_imap_repository_get_expunge (MailsyncImapRepository *self)
{
  return self->expunge;
}

gboolean
_mailsync_imap_repository_set_sizes_inexact (MailsyncImapRepository *self)
{
  return g_atomic_int_compare_and_exchange (&self->sizes_inexact, 0, 1);
}

gboolean
_mailsync_imap_repository_get_sizes_inexact (MailsyncImapRepository *self)
{
  return g_atomic_int_get (&self->sizes_inexact) != 0;
}

/* ---- the repository contract --------------------------------------------- */

/* Every operation is a job on the repository's worker (mailsync-worker.h):
 * it returns at once to its caller, runs on the connection's thread one
 * job at a time, and its GTask reports back on the caller's context. */
void
_mailsync_imap_repository_queue_job (MailsyncImapRepository *self, GTask *task, gpointer tag, MailsyncWorkerFunc job)
{
  g_task_set_source_tag (task, tag);
  _mailsync_worker_run (self->main.worker, task, job);
  g_object_unref (task);
}

MailsyncImapResponse *
_mailsync_imap_repository_run (MailsyncImapRepository *self, MailsyncImapRequest *request, GCancellable *cancellable,
                               GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mailsync_imap_connection_send_async (self->main.connection, request, cancellable, _mailsync_store_result, &result);
  return mailsync_imap_connection_send_finish (self->main.connection, _mailsync_await (&result), error);
}
gboolean
_mailsync_imap_repository_bool_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repo), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static GVariant                     *imap_describe       (MailsyncRepository *repo);
static MailsyncRepositoryStatistics *imap_get_statistics (MailsyncRepository *repo);

static void
mailsync_imap_repository_class_init (MailsyncImapRepositoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MailsyncRepositoryClass *repo_class = MAILSYNC_REPOSITORY_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->set_property = mailsync_imap_repository_set_property;
  object_class->get_property = mailsync_imap_repository_get_property;
  object_class->dispose = mailsync_imap_repository_dispose;
  _mailsync_repository_class_set_type_label (klass, "IMAP");
  object_class->finalize = mailsync_imap_repository_finalize;
  _mailsync_imap_repository_connect_class_init (repo_class);
  _mailsync_imap_repository_list_class_init (repo_class);
  _mailsync_imap_repository_names_class_init (repo_class);
  _mailsync_imap_repository_info_class_init (repo_class);
  _mailsync_imap_repository_pool_class_init (repo_class);
  _mailsync_imap_repository_sync_class_init (repo_class);
  repo_class->describe = imap_describe;
  repo_class->get_statistics = imap_get_statistics;

  /**
   * MailsyncImapRepository:host:
   *
   * The server (offlineimap `remotehost`).
   *
   * Since: 0.1
   */
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:port:
   *
   * The port (`remoteport`); 0, the default, is 993 with ssl and 143 without.
   *
   * Since: 0.1
   */
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, rw);
  /**
   * MailsyncImapRepository:user:
   *
   * The login name (`remoteuser`).
   *
   * Since: 0.1
   */
  properties[PROP_USER] = g_param_spec_string ("user", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:password:
   *
   * The password or OAuth2 token; never read back, never logged.
   *
   * Since: 0.1
   */
  properties[PROP_PASSWORD] = g_param_spec_string ("password", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:ssl:
   *
   * TLS from the first byte (`ssl`, port 993).
   *
   * Since: 0.1
   */
  properties[PROP_SSL] = g_param_spec_boolean ("ssl", NULL, NULL, TRUE, rw);
  /**
   * MailsyncImapRepository:starttls:
   *
   * Without #MailsyncImapRepository:ssl, require STARTTLS before login
   * (`starttls`); FALSE allows clear text.
   *
   * Since: 0.1
   */
  properties[PROP_STARTTLS] = g_param_spec_boolean ("starttls", NULL, NULL, TRUE, rw);
  /**
   * MailsyncImapRepository:ca-file:
   *
   * CA certificates to trust instead of the system's (`sslcacertfile`).
   *
   * Since: 0.1
   */
  properties[PROP_CA_FILE] = g_param_spec_string ("ca-file", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:cert-fingerprint:
   *
   * Comma-separated certificate pins, hex SHA-1/224/256/384/512
   * (`cert_fingerprint`).
   *
   * Since: 0.1
   */
  properties[PROP_CERT_FINGERPRINT] = g_param_spec_string ("cert-fingerprint", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:client-cert:
   *
   * A PEM client certificate (`sslclientcert`).
   *
   * Since: 0.1
   */
  properties[PROP_CLIENT_CERT] = g_param_spec_string ("client-cert", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:client-key:
   *
   * The PEM key of the client certificate (`sslclientkey`).
   *
   * Since: 0.1
   */
  properties[PROP_CLIENT_KEY] = g_param_spec_string ("client-key", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:verify-certificate:
   *
   * Verify the server certificate (default; turning it off is unsafe).
   *
   * Since: 0.1
   */
  properties[PROP_VERIFY] = g_param_spec_boolean ("verify-certificate", NULL, NULL, TRUE, rw);
  /**
   * MailsyncImapRepository:auth-mechanisms:
   *
   * offlineimap's `auth_mechanisms` list, tried in order.
   *
   * Since: 0.1
   */
  properties[PROP_AUTH_MECHANISMS] = g_param_spec_string ("auth-mechanisms", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:preauth-tunnel:
   *
   * A command that speaks IMAP on stdin/stdout, already logged in.
   *
   * Since: 0.1
   */
  properties[PROP_PREAUTH_TUNNEL] = g_param_spec_string ("preauth-tunnel", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:transport-tunnel:
   *
   * A command that carries the connection's bytes (e.g. ssh ... nc).
   *
   * Since: 0.1
   */
  properties[PROP_TRANSPORT_TUNNEL] = g_param_spec_string ("transport-tunnel", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:timeout:
   *
   * Socket timeout in seconds (`socktimeout`), 0 for none.
   *
   * Since: 0.1
   */
  properties[PROP_TIMEOUT] = g_param_spec_uint ("timeout", NULL, NULL, 0, G_MAXUINT, 0, rw);
  /**
   * MailsyncImapRepository:use-compression:
   *
   * COMPRESS=DEFLATE when offered (`usecompression`).
   *
   * Since: 0.1
   */
  properties[PROP_USE_COMPRESSION] = g_param_spec_boolean ("use-compression", NULL, NULL, FALSE, rw);
  /**
   * MailsyncImapRepository:reference:
   *
   * The LIST reference (`reference`), e.g. "Mail".
   *
   * Since: 0.1
   */
  properties[PROP_REFERENCE] = g_param_spec_string ("reference", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:tls-level:
   *
   * offlineimap's `tls_level`: tls_secure, tls_no_ssl or tls_compat.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_LEVEL] = g_param_spec_string ("tls-level", NULL, NULL, NULL,
                                                    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapRepository:ssl-version:
   *
   * The oldest TLS version allowed (`ssl_version`: tls1_2, tls1_3...).
   *
   * Since: 0.1
   */
  properties[PROP_SSL_VERSION] = g_param_spec_string ("ssl-version", NULL, NULL, NULL,
                                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapRepository:retry-count:
   *
   * How many times a folder is resumed on a new connection after the
   * connection dropped (EOF, reset, #MailsyncImapRepository:timeout)
   * in the middle of it (offlineimap's `retrycount`). Finished messages
   * are not copied again.
   *
   * Since: 0.1
   */
  properties[PROP_RETRY_COUNT] = g_param_spec_uint ("retry-count", NULL, NULL, 0, G_MAXUINT, 2, rw);
  /**
   * MailsyncImapRepository:folder-includes:
   *
   * Extra folders to sync although LIST (with
   * #MailsyncImapRepository:reference) does not name them
   * (offlineimap's `folderincludes`). Each is checked with STATUS first;
   * one that does not exist is skipped, and the sync reports it as an
   * error of the account.
   *
   * Since: 0.1
   */
  properties[PROP_FOLDER_INCLUDES] = g_param_spec_boxed ("folder-includes", NULL, NULL, G_TYPE_STRV, rw);
  /**
   * MailsyncImapRepository:personal-namespace-only:
   *
   * Without a #MailsyncImapRepository:reference, skip the mailboxes that
   * NAMESPACE puts in other users' and shared namespaces. Off by default:
   * offlineimap syncs everything LIST returns, and a drop-in must not
   * silently stop syncing a user's shared folders.
   *
   * Since: 0.1
   */
  properties[PROP_PERSONAL_NAMESPACE_ONLY] = g_param_spec_boolean ("personal-namespace-only", NULL, NULL,
                                                                   FALSE, rw);
  /**
   * MailsyncImapRepository:expunge:
   *
   * Whether a deletion EXPUNGEs (UID EXPUNGE) the messages it flags
   * \Deleted. %FALSE is offlineimap's `expunge = no`: the messages stay on
   * the server flagged \Deleted, for another client to expunge or undo.
   *
   * Since: 0.1
   */
  properties[PROP_EXPUNGE] = g_param_spec_boolean ("expunge", NULL, NULL, TRUE, rw);
  /**
   * MailsyncImapRepository:subscribed-only:
   *
   * List only subscribed folders (offlineimap's `subscribedonly`, LSUB).
   * A folder that exists on the server but is not subscribed is neither
   * synced nor created again from the other side: unsubscribing hides a
   * folder, it does not delete it.
   *
   * Since: 0.1
   */
  properties[PROP_SUBSCRIBED_ONLY] = g_param_spec_boolean ("subscribed-only", NULL, NULL, FALSE, rw);
  /**
   * MailsyncImapRepository:hidden-folders:
   *
   * Folders (native names, see #MailsyncImapRepository:utf8-folder-names)
   * the last listing found on the server but left
   * out on purpose (not subscribed, with
   * #MailsyncImapRepository:subscribed-only). The account neither syncs
   * them nor creates them again from the other side.
   *
   * Since: 0.1
   */
  /**
   * MailsyncImapRepository:start-date:
   *
   * offlineimap's `startdate` (unix time, 0 for none): the first sync of a
   * folder copies only its messages dated on or after it, and needs the
   * other side's folder empty; it remembers the lowest UID it saw, and
   * later syncs take every message from that UID on.
   *
   * Since: 0.1
   */
  /**
   * MailsyncImapRepository:authzid:
   *
   * The SASL authorization identity sent with PLAIN (offlineimap's
   * `remote_identity`): log in as #MailsyncImapRepository:user, act as
   * this user, as a server allows for administrators or delegates.
   *
   * Since: 0.1
   */
  properties[PROP_AUTHZID] = g_param_spec_string ("authzid", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:address-family:
   *
   * %G_SOCKET_FAMILY_IPV4 or %G_SOCKET_FAMILY_IPV6 to connect over that
   * family only (offlineimap's `ipv6 = no` / `yes`);
   * %G_SOCKET_FAMILY_INVALID, the default, tries every address.
   *
   * Since: 0.1
   */
  properties[PROP_ADDRESS_FAMILY] = g_param_spec_enum ("address-family", NULL, NULL, G_TYPE_SOCKET_FAMILY,
                                                       G_SOCKET_FAMILY_INVALID, rw);
  /**
   * MailsyncImapRepository:hold-connection-open:
   *
   * offlineimap's `holdconnectionopen`: the account does not close this
   * repository after a sync, so the next sync (autorefresh) reuses the
   * logged-in connection; one that dropped meanwhile is opened again.
   *
   * Since: 0.1
   */
  properties[PROP_HOLD_CONNECTION_OPEN] = g_param_spec_boolean ("hold-connection-open", NULL, NULL, FALSE, rw);
  /**
   * MailsyncImapRepository:keepalive:
   *
   * offlineimap's `keepalive`: seconds between NOOPs on a connection that
   * is otherwise idle, so that a connection held open between syncs
   * (#MailsyncImapRepository:hold-connection-open) is not logged out by
   * the server. 0, the default, sends none.
   *
   * Since: 0.1
   */
  properties[PROP_KEEPALIVE] = g_param_spec_uint ("keepalive", NULL, NULL, 0, G_MAXUINT, 0, rw);
  /**
   * MailsyncImapRepository:max-connections:
   *
   * offlineimap's `maxconnections`: at most this many connections to the
   * server at once, one folder on each. A folder's sync leases one for
   * its length; a second connection logs in only when a second folder
   * runs while the first does, and closing the repository logs every one
   * out. 1, the default, is the repository's one connection.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_CONNECTIONS] = g_param_spec_uint ("max-connections", NULL, NULL, 1, MAILSYNC_IMAP_MAX_CONNECTIONS, 1, rw);
  /**
   * MailsyncImapRepository:utf8-folder-names:
   *
   * offlineimap's `utf8foldernames`: whether the repository names its
   * folders in UTF-8 (`Entwürfe`) rather than by their IMAP modified
   * UTF-7 names (`Entw&APw-rfe`). %FALSE, the default as in offlineimap,
   * keeps the mUTF-7 names everywhere (Maildir folders, status files,
   * nametrans and folderfilter input), so that an offlineimap setup is
   * taken over as it is; under UTF8=ACCEPT the names the server sends in
   * UTF-8 are reported mUTF-7-encoded too. Names given to the repository
   * (folders to delete or include) are taken as mUTF-7 when they are
   * valid mUTF-7, else as UTF-8 and encoded; creating a folder whose name
   * is not mUTF-7 fails, as the server would list it under another name.
   * Changing it renames every non-ASCII folder: a fresh local side is
   * needed.
   *
   * Since: 0.1
   */
  properties[PROP_UTF8_FOLDER_NAMES] = g_param_spec_boolean ("utf8-folder-names", NULL, NULL, FALSE, rw);
  /**
   * MailsyncImapRepository:proxy:
   *
   * The proxy every connection goes through, as a GIO proxy URI
   * (`socks5://host:port`, `socks4a://`, `http://`; offlineimap's account
   * option `proxy`), or %NULL to connect as GIO's default resolver says.
   * The proxy resolves the server's name.
   *
   * Since: 0.1
   */
  properties[PROP_PROXY] = g_param_spec_string ("proxy", NULL, NULL, NULL, rw);
  /**
   * MailsyncImapRepository:decode-folder-names: (attributes org.gtk.Property.get=mailsync_imap_repository_get_decode_folder_names org.gtk.Property.set=mailsync_imap_repository_set_decode_folder_names)
   *
   * offlineimap's deprecated `decodefoldernames`: the visible names of
   * the folders (what the nametrans gives, see
   * mailsync_repository_set_nametrans()) are decoded from IMAP's
   * modified UTF-7 (`Entw&APw-rfe` shows as `Entwürfe`); the names the
   * repository itself reports, and the nametrans input, stay mUTF-7. A
   * name that is not valid mUTF-7 stays as it is. A folder an account
   * creates here from the other side's UTF-8 name is given its mUTF-7
   * name, which decodes back to the same visible name. One way, as in
   * offlineimap: meant for a remote repository synced to a Maildir. Do
   * not combine it with #MailsyncImapRepository:utf8-folder-names, which
   * decodes the names already (the config refuses both). A
   * #MailsyncMappedRepository takes its inner repository's setting when it
   * is created.
   *
   * Since: 0.1
   */
  properties[PROP_DECODE_FOLDER_NAMES] = g_param_spec_boolean ("decode-folder-names", NULL, NULL, FALSE,
                                                               G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                               G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapRepository:capability-cache:
   *
   * A file where the repository keeps the capabilities of the server's
   * last greeting over implicit TLS (#MailsyncImapRepository:ssl), or
   * %NULL (the default) for none. With it, a connection over TLS 1.3
   * sends its login right after the handshake instead of waiting for
   * the greeting: one round trip less per connection. A greeting that
   * differs from the file (other capabilities, PREAUTH, BYE) fails that
   * connection, the file is removed and the repository connects once
   * more the usual way; nothing is logged in twice on one connection.
   * Never used with STARTTLS, a plain connection, a tunnel, or a
   * certificate that needed the interaction's acceptance. The file holds
   * the server, port and user it is for and the capabilities, nothing
   * secret; it is replaced whole, and one for another server or user,
   * or one that cannot be read, is ignored. A #MailsyncAccount:dry-run
   * sync reads it, never writes or removes it. The configuration sets it
   * to `Repository-NAME/mailsync-capabilities` in the metadata directory.
   *
   * Since: 0.1
   */
  properties[PROP_CAPABILITY_CACHE] = g_param_spec_string ("capability-cache", NULL, NULL, NULL, rw);
  properties[PROP_START_DATE] = g_param_spec_int64 ("start-date", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_HIDDEN_FOLDERS] = g_param_spec_boxed ("hidden-folders", NULL, NULL, G_TYPE_STRV,
                                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mailsync_imap_repository_init (MailsyncImapRepository *self)
{
  self->settings = mailsync_imap_settings_new ();
  self->settings->tls->verify = TRUE;
  self->expunge = TRUE;
  self->unsubscribed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->main.worker = _mailsync_worker_new ("mailsync-imap");
  self->main.number = 1;
  self->max_connections = 1;
  _mailsync_imap_repository_pool_init (self);
  g_mutex_init (&self->accepted_lock);
}

/**
 * mailsync_imap_repository_new:
 * @name: the repository name
 * @host: the server
 * @port: the port, 0 for the default of the security mode
 *
 * Creates an IMAP repository using implicit TLS (set
 * #MailsyncImapRepository:ssl to %FALSE for STARTTLS on port 143).
 *
 * Returns: (transfer full): a new repository
 *
 * Since: 0.1
 */
MailsyncRepository *
mailsync_imap_repository_new (const char *name,
                              const char *host,
                              guint16     port)
{
  return g_object_new (MAILSYNC_TYPE_IMAP_REPOSITORY, "name", name, "separator", '/', "host", host,
                       "port", (guint) port, NULL);
}

/**
 * mailsync_imap_repository_get_greeting:
 * @self: an IMAP repository
 *
 * The server's greeting (its `* OK ...` line without the `* OK `) from the
 * last time the repository opened: what offlineimap's `--info` prints as
 * "Server welcome string".
 *
 * Returns: (nullable): the greeting, or %NULL before the first open
 *
 * Since: 0.1
 */
const char *
mailsync_imap_repository_get_greeting (MailsyncImapRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_IMAP_REPOSITORY (self), NULL);
  return self->greeting;
}

/**
 * mailsync_imap_repository_get_capabilities:
 * @self: an IMAP repository
 *
 * The server's capabilities after login (after STARTTLS and
 * authentication, as the server announced them last), from the last time
 * the repository opened, sorted.
 *
 * Returns: (nullable) (array zero-terminated=1) (transfer none): the
 *   capability names, or %NULL before the first open
 *
 * Since: 0.1
 */
const char *const *
mailsync_imap_repository_get_capabilities (MailsyncImapRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_IMAP_REPOSITORY (self), NULL);
  return (const char *const *) self->capabilities;
}

/**
 * mailsync_imap_repository_get_stats:
 * @self: an IMAP repository
 * @bytes_read: (out) (optional): bytes received from the server
 * @bytes_written: (out) (optional): bytes sent to the server
 * @commands_sent: (out) (optional): tagged commands sent
 *
 * Counters over every connection this repository made (reconnections
 * and the pool's connections included) since it was created. Bytes are those of the IMAP stream,
 * before COMPRESS=DEFLATE and TLS. A caller that wants one run's figures
 * subtracts the values it read before the run.
 *
 * Since: 0.1
 */
void
mailsync_imap_repository_get_stats (MailsyncImapRepository *self,
                                    guint64                *bytes_read,
                                    guint64                *bytes_written,
                                    guint64                *commands_sent)
{
  guint64 in = 0, out = 0, commands = 0;

  g_return_if_fail (MAILSYNC_IS_IMAP_REPOSITORY (self));
  g_mutex_lock (&self->pool_lock);
  _mailsync_imap_repository_pool_stats (self, &in, &out, &commands);
  in += self->bytes_read;
  out += self->bytes_written;
  commands += self->commands_sent;
  g_mutex_unlock (&self->pool_lock);
  if (bytes_read != NULL)
    *bytes_read = in;
  if (bytes_written != NULL)
    *bytes_written = out;
  if (commands_sent != NULL)
    *commands_sent = commands;
}

/* MailsyncRepositoryClass.describe: where the server is (never the
 * credentials) and, once opened, what it said (the keys:
 * mailsync_repository_describe()) */
static GVariant *
imap_describe (MailsyncRepository *repo)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (repo);
  g_autofree char *host = NULL;
  g_autofree char *tunnel = NULL;
  g_autofree char *transport = NULL;
  g_autofree char *location = NULL;
  guint port = 0;
  gboolean ssl = FALSE;
  GVariantDict dict;

  _mailsync_repository_describe_parent (repo, mailsync_imap_repository_parent_class, &dict);
  g_object_get (self, "host", &host, "port", &port, "ssl", &ssl, "preauth-tunnel", &tunnel, "transport-tunnel",
                &transport, NULL);
  if (host != NULL)
    g_variant_dict_insert (&dict, "host", "s", host);
  g_variant_dict_insert (&dict, "port", "u", port);
  g_variant_dict_insert (&dict, "ssl", "b", ssl);
  if (tunnel != NULL && *tunnel != '\0')
    location = g_strconcat ("tunnel:", tunnel, NULL);
  else if (transport != NULL && *transport != '\0')
    location = g_strconcat ("tunnel:", transport, NULL);
  else
    location = g_strdup_printf ("%s:%u", host ? host : "", port);
  g_variant_dict_insert (&dict, "location", "s", location);
  if (self->greeting != NULL || self->capabilities != NULL)
    {
      const char *const none[] = { NULL };

      g_variant_dict_insert (&dict, "greeting", "s", self->greeting ? self->greeting : "");
      g_variant_dict_insert_value (&dict, "capabilities",
                                   g_variant_new_strv (self->capabilities != NULL
                                                         ? (const char *const *) self->capabilities
                                                         : none,
                                                       -1));
    }
  return g_variant_dict_end (&dict);
}

/* MailsyncRepositoryClass.get_statistics: mailsync_imap_repository_get_stats()'s */
static MailsyncRepositoryStatistics *
imap_get_statistics (MailsyncRepository *repo)
{
  MailsyncRepositoryStatistics *stats = mailsync_repository_statistics_new ();
  guint64 in = 0, sent = 0, commands = 0;

  mailsync_imap_repository_get_stats (MAILSYNC_IMAP_REPOSITORY (repo), &in, &sent, &commands);
  mailsync_repository_statistics_set_bytes_received (stats, in);
  mailsync_repository_statistics_set_bytes_sent (stats, sent);
  mailsync_repository_statistics_set_commands_sent (stats, commands);
  return stats;
}

/* The repository's name decoder under decode-folder-names: NULL (the
 * name stays) when @name is not valid modified UTF-7. */
static char *
decode_visible_name (const char *name,
                     gpointer    user_data G_GNUC_UNUSED)
{
  return mailsync_imap_utf7_decode (name, -1, NULL);
}

/**
 * mailsync_imap_repository_get_decode_folder_names:
 * @self: an IMAP repository
 *
 * Gets the value of the #MailsyncImapRepository:decode-folder-names
 * property.
 *
 * Returns: whether the visible folder names are decoded from modified UTF-7
 *
 * Since: 0.1
 */
gboolean
mailsync_imap_repository_get_decode_folder_names (MailsyncImapRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_IMAP_REPOSITORY (self), FALSE);
  return self->decode_names;
}

/**
 * mailsync_imap_repository_set_decode_folder_names:
 * @self: an IMAP repository
 * @decode: whether the visible folder names are decoded from modified UTF-7
 *
 * Sets #MailsyncImapRepository:decode-folder-names.
 *
 * Since: 0.1
 */
void
mailsync_imap_repository_set_decode_folder_names (MailsyncImapRepository *self,
                                                  gboolean                decode)
{
  g_return_if_fail (MAILSYNC_IS_IMAP_REPOSITORY (self));
  decode = !!decode;
  if (self->decode_names == decode)
    return;
  self->decode_names = decode;
  _mailsync_repository_set_name_decoder (MAILSYNC_REPOSITORY (self), decode ? decode_visible_name : NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DECODE_FOLDER_NAMES]);
}
