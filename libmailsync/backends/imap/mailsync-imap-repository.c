/* An IMAP account as a MailsyncRepository. One connection, opened by
 * open_async and shared by the folders (the engine syncs one folder at a
 * time per repository; the connection pipelines within it). */
#include "config.h"

#include "mailsync-imap-private.h"
#include "mailsync-imap-utf7.h"
#include "credentials/mailsync-netrc.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-worker.h"
#include "mailsync-interaction-private.h"
#include "mailsync-imap-auth.h"
#include "config/mailsync-oauth2-private.h"

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
struct _MailsyncImapRepository
{
  MailsyncRepository parent_instance;

  MailsyncImapSettings *settings;
  char *reference;
  MailsyncImapConnection *connection;
  MailsyncImapFolder *selected; /* weak, atomic: a folder may be disposed on another thread */
  char *last_selected_name;     /* the wire name of the last SELECT (worker only): the
                                 * server keeps it selected after its folder object is gone */
  GError *config_error;         /* a bad option value, reported by open */
  guint retry_count;            /* reconnections per folder (retrycount) */
  char **folder_includes;       /* folderincludes, UTF-8 names */
  gboolean personal_only;       /* LIST only the personal namespace */
  gboolean expunge;             /* FALSE: deletions stay \Deleted (expunge = no) */
  gboolean subscribed_only;     /* list only LSUB's folders (subscribedonly) */
  GHashTable *unsubscribed;     /* wire names that exist but are not subscribed */
  gint64 start_date;            /* startdate, unix time; 0 for none */
  gboolean hold;                /* holdconnectionopen */
  guint keepalive;              /* seconds between NOOPs on an idle connection */
  gboolean utf8_names;          /* utf8foldernames: native names are UTF-8, not mUTF-7 */
  GSource *keepalive_source;
  MailsyncWorker *worker;       /* the connection's thread: every job runs there */
  char *greeting;               /* of the last connection that opened */
  char **capabilities;
  GPtrArray *accepted_certs;    /* GBytes (DER) the interaction accepted; worker only */
  /* totals of the connections already closed (see get_stats) */
  guint64 bytes_read, bytes_written, commands_sent;
  /* the server's limits (issue 12 item 9): waits since the last close */
  guint throttle_waits;
  gint64 throttle_waited_ms;
  GError *throttle_gave_up;     /* the budget is spent: no new connection until close */
  MailsyncOAuth2 *oauth2;       /* oauth2_refresh_token's token source, or NULL */
  gboolean oauth2_given;        /* settings->oauth2_token was given (config, interaction):
                                 * used until the server refuses it */
};

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
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Port 0 is the default of the security mode, decided when connecting
 * (ssl = no on port 0 is 143, not 993). */
static guint16
effective_port (const MailsyncImapSettings *s)
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
    case PROP_PASSWORD: replace_string (&s->password, value); break;
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
    case PROP_UTF8_FOLDER_NAMES: self->utf8_names = g_value_get_boolean (value); break;
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
    case PROP_PORT: g_value_set_uint (value, effective_port (s)); break;
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

/* Forget the connection, keeping its counters in the totals. */
static void
drop_connection (MailsyncImapRepository *self)
{
  guint64 in, out, commands;

  if (self->keepalive_source != NULL)
    {
      g_source_destroy (self->keepalive_source);
      g_clear_pointer (&self->keepalive_source, g_source_unref);
    }
  if (self->connection == NULL)
    return;
  mailsync_imap_connection_get_stats (self->connection, &in, &out, &commands);
  self->bytes_read += in;
  self->bytes_written += out;
  self->commands_sent += commands;
  g_clear_object (&self->connection);
}

static void
noop_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);

  /* offlineimap only warns too; the next sync opens a new connection */
  if (ok == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Attempting NOOP on dropped connection: %s", error->message);
}

/* keepalive: a NOOP when the connection has been idle that long, which in
 * practice means between syncs (the account iterates the context of a
 * held connection while it sleeps). */
static gboolean
keepalive_tick (gpointer user_data)
{
  MailsyncImapRepository *self = user_data;

  if (self->connection != NULL && mailsync_imap_connection_is_open (self->connection) &&
      mailsync_imap_connection_get_idle_time (self->connection) >= (gint64) self->keepalive * G_USEC_PER_SEC)
    mailsync_imap_connection_send_async (self->connection, mailsync_imap_request_new ("NOOP"), NULL, noop_done,
                                         NULL);
  return G_SOURCE_CONTINUE;
}

static void
teardown (gpointer data)
{
  MailsyncImapRepository *self = data;

  if (self->connection)
    mailsync_imap_connection_close (self->connection);
  drop_connection (self);
}

static void
mailsync_imap_repository_dispose (GObject *object)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (object);

  /* The connection and its sources belong to the worker's thread: they
   * are torn down there. */
  _mailsync_worker_free (g_steal_pointer (&self->worker), teardown, self);
  G_OBJECT_CLASS (mailsync_imap_repository_parent_class)->dispose (object);
}

static void
mailsync_imap_repository_finalize (GObject *object)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (object);

  mailsync_imap_settings_free (self->settings);
  g_free (self->reference);
  g_free (self->last_selected_name);
  g_strfreev (self->folder_includes);
  g_hash_table_unref (self->unsubscribed);
  g_free (self->greeting);
  g_strfreev (self->capabilities);
  g_clear_pointer (&self->accepted_certs, g_ptr_array_unref);
  g_clear_error (&self->config_error);
  g_clear_error (&self->throttle_gave_up);
  g_clear_pointer (&self->oauth2, _mailsync_oauth2_unref);
  G_OBJECT_CLASS (mailsync_imap_repository_parent_class)->finalize (object);
}

/* ---- helpers shared with folders ---------------------------------------- */

MailsyncImapConnection *
_mailsync_imap_repository_get_connection (MailsyncImapRepository *self)
{
  return self->connection;
}

MailsyncImapFolder *
_mailsync_imap_repository_get_selected (MailsyncImapRepository *self)
{
  return g_atomic_pointer_get (&self->selected);
}

void
_mailsync_imap_repository_set_selected (MailsyncImapRepository *self, MailsyncImapFolder *folder)
{
  g_atomic_pointer_set (&self->selected, folder);
}

/* On the worker: the mailbox a SELECT/EXAMINE was sent for. Never cleared
 * when its folder goes away: the connection keeps the mailbox selected
 * (a connection held open between syncs), and a stale name after a
 * reconnection only costs a full listing. */
void
_mailsync_imap_repository_note_selected_name (MailsyncImapRepository *self, const char *wire_name)
{
  g_free (self->last_selected_name);
  self->last_selected_name = g_strdup (wire_name);
}

/* On the worker: whether the connection may have @wire_name selected. */
gboolean
_mailsync_imap_repository_may_have_selected (MailsyncImapRepository *self, const char *wire_name)
{
  return self->last_selected_name != NULL && strcmp (self->last_selected_name, wire_name) == 0;
}

/* A folder going away forgets its SELECT, so that another folder made at
 * the same address is never taken for the selected one. */
void
_mailsync_imap_repository_forget_selected (MailsyncImapRepository *self, MailsyncImapFolder *folder)
{
  g_atomic_pointer_compare_and_exchange (&self->selected, folder, NULL);
}

gboolean
_mailsync_imap_repository_get_expunge (MailsyncImapRepository *self)
{
  return self->expunge;
}

char *
_mailsync_imap_quote (const char *text)
{
  GString *out = g_string_new ("\"");

  for (const char *p = text; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

/* The mailbox name as the server wants it: modified UTF-7, or UTF-8 as
 * is once UTF8=ACCEPT is enabled. */
static char *
encode_name (MailsyncImapRepository *self, const char *name)
{
  gboolean plain = TRUE;

  /* A quoted string cannot carry controls (CR LF would end the command):
   * such a name keeps the mUTF-7 form, which encodes them. */
  for (const guchar *p = (const guchar *) name; *p; p++)
    plain = plain && *p >= 0x20 && *p != 0x7f;
  if (plain && self->connection != NULL && mailsync_imap_connection_get_utf8_accept (self->connection))
    return g_strdup (name);
  return mailsync_imap_utf7_encode (name, -1, NULL);
}

/* Whether @name is a (canonical) modified UTF-7 mailbox name: printable
 * US-ASCII with every '&' starting a valid run. */
static gboolean
is_mutf7 (const char *name)
{
  g_autofree char *decoded = mailsync_imap_utf7_decode (name, -1, NULL);

  return decoded != NULL;
}

/* The wire form of a native name (one the repository reported, or the
 * other side's name for a folder to create, delete or include).
 *
 * With utf8-folder-names (offlineimap's utf8foldernames = yes) native
 * names are UTF-8. Without (the default), they are offlineimap's: the
 * mUTF-7 wire names, taken as they are; under UTF8=ACCEPT they are decoded
 * for the wire. A name that is not valid mUTF-7 (a bare '&', raw UTF-8
 * typed by the user) is taken as UTF-8 and encoded: offlineimap would send
 * it raw (and fail on non-ASCII), which no server accepts. */
static char *
to_wire (MailsyncImapRepository *self, const char *name)
{
  g_autofree char *decoded = NULL;

  if (self->utf8_names || (decoded = mailsync_imap_utf7_decode (name, -1, NULL)) == NULL)
    return encode_name (self, name);
  if (self->connection != NULL && mailsync_imap_connection_get_utf8_accept (self->connection))
    return encode_name (self, decoded);
  return g_strdup (name);
}

/* The native name of a listed mailbox: the decoded UTF-8 name with
 * utf8-folder-names, else the mUTF-7 name (the wire name itself, or,
 * under UTF8=ACCEPT where the wire carries UTF-8, its encoding). */
static char *
native_name (MailsyncImapRepository *self, const MailsyncImapList *list)
{
  if (self->utf8_names)
    return g_strdup (list->name);
  if (self->connection != NULL && mailsync_imap_connection_get_utf8_accept (self->connection))
    return mailsync_imap_utf7_encode (list->name, -1, NULL);
  return g_strdup (list->name_raw);
}

/* ---- the repository contract --------------------------------------------- */

/* Every operation is a job on the repository's worker (mailsync-worker.h):
 * it returns at once to its caller, runs on the connection's thread one
 * job at a time, and its GTask reports back on the caller's context. */
static void
queue_job (MailsyncImapRepository *self, GTask *task, gpointer tag, MailsyncWorkerFunc job)
{
  g_task_set_source_tag (task, tag);
  _mailsync_worker_run (self->worker, task, job);
  g_object_unref (task);
}

MailsyncWorker *
_mailsync_imap_repository_get_worker (MailsyncImapRepository *self)
{
  return self->worker;
}

static MailsyncImapResponse *
run (MailsyncImapRepository *self, MailsyncImapRequest *request, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mailsync_imap_connection_send_async (self->connection, request, cancellable, _mailsync_store_result, &result);
  return mailsync_imap_connection_send_finish (self->connection, _mailsync_await (&result), error);
}

/* ---- asking the user (MailsyncInteraction) ------------------------------------ */

/* How many times a refused password or token is asked again in one
 * connect: the client stops sooner by not answering; this only bounds a
 * client that answers forever. */
#define MAX_ASKS_AFTER_REFUSAL 10

/* Where the client waits: the caller of the account's sync, else the
 * caller of the job that connects (the caller's own thread for a
 * blocking call, whose private context it iterates while it waits). */
static GMainContext *
dup_ask_context (MailsyncImapRepository *self)
{
  GMainContext *context = _mailsync_repository_dup_interaction_context (MAILSYNC_REPOSITORY (self));
  GTask *task = _mailsync_worker_get_current_task ();

  if (context == NULL && task != NULL)
    context = g_main_context_ref (g_task_get_context (task));
  return context;
}

/* Only an OAuth2 token can log in: auth_mechanisms lists nothing else. */
static gboolean
wants_token (MailsyncImapRepository *self)
{
  g_autofree MailsyncImapAuthMechanism *list = NULL;
  gboolean any = FALSE;

  if (self->settings->auth_mechanisms == NULL)
    return FALSE;
  list = mailsync_imap_auth_parse_list (self->settings->auth_mechanisms, NULL);
  for (guint i = 0; list != NULL && list[i] != MAILSYNC_IMAP_AUTH_NONE; i++)
    {
      if (list[i] != MAILSYNC_IMAP_AUTH_XOAUTH2 && list[i] != MAILSYNC_IMAP_AUTH_OAUTHBEARER)
        return FALSE;
      any = TRUE;
    }
  return any;
}

/* Asks @interaction for the password (or token), @refused saying why the
 * last one failed. FALSE with @error: nothing to log in with (the user
 * did not answer: @refused itself, or MAILSYNC_ERROR_INTERACTION_REQUIRED
 * the first time), or asking failed (cancelled). */
static gboolean
ask_secret (MailsyncImapRepository *self, MailsyncInteraction *interaction, const GError *refused,
            gboolean bearer, GCancellable *cancellable, GError **error)
{
  const char *name = mailsync_repository_get_name (MAILSYNC_REPOSITORY (self));
  g_autoptr(GMainContext) context = dup_ask_context (self);
  const char *user = self->settings->user;
  const char *host = self->settings->host;
  char *secret = NULL;
  MailsyncInteractionResult result;

  if (bearer)
    result = _mailsync_interaction_invoke_ask_oauth2_token (interaction, context, name, user, host, refused,
                                                            cancellable, &secret, error);
  else
    result = _mailsync_interaction_invoke_ask_password (interaction, context, name, user, host, refused,
                                                        cancellable, &secret, error);
  if (result == MAILSYNC_INTERACTION_FAILED)
    return FALSE;
  if (result != MAILSYNC_INTERACTION_HANDLED || secret == NULL)
    {
      if (secret != NULL)
        mailsync_imap_secret_clear (secret);
      g_free (secret);
      if (refused != NULL)
        g_propagate_error (error, g_error_copy (refused));
      else
        g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED,
                     "Repository %s: no %s for %s%s%s, and the interaction gave none", name,
                     bearer ? "OAuth2 access token" : "password", user ? user : "", user ? "@" : "",
                     host ? host : "the server");
      return FALSE;
    }
  /* A token goes where the refused one was: oauth2_token when the
   * config gave one, else the password (auth_mechanisms lists only
   * XOAUTH2/OAUTHBEARER, and the password is the token). */
  if (bearer && (self->settings->oauth2_token != NULL || self->oauth2 != NULL))
    {
      mailsync_imap_secret_clear (self->settings->oauth2_token);
      g_free (self->settings->oauth2_token);
      self->settings->oauth2_token = secret;
      self->oauth2_given = TRUE;
      return TRUE;
    }
  mailsync_imap_secret_clear (self->settings->password);
  g_free (self->settings->password);
  self->settings->password = secret;
  return TRUE;
}

/* On the worker: the token of oauth2_refresh_token (cached until half of
 * expires_in), unless one given is still in use; @stale is the token the
 * server just refused. */
static gboolean
refresh_token (MailsyncImapRepository *self, const char *stale, GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  char *token;

  if (self->oauth2 == NULL || (self->oauth2_given && stale == NULL))
    return TRUE;
  token = _mailsync_oauth2_get_token (self->oauth2, stale, cancellable, &local_error);
  if (token == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "Repository %s: ",
                                  mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)));
      return FALSE;
    }
  mailsync_imap_secret_clear (self->settings->oauth2_token);
  g_free (self->settings->oauth2_token);
  self->settings->oauth2_token = token;
  self->oauth2_given = FALSE;
  return TRUE;
}

void
_mailsync_imap_repository_set_oauth2 (MailsyncImapRepository *self,
                                      const char             *access_token,
                                      MailsyncOAuth2         *refresher)
{
  mailsync_imap_secret_clear (self->settings->oauth2_token);
  g_free (self->settings->oauth2_token);
  self->settings->oauth2_token = g_strdup (access_token);
  self->oauth2_given = access_token != NULL;
  g_clear_pointer (&self->oauth2, _mailsync_oauth2_unref);
  self->oauth2 = refresher != NULL ? _mailsync_oauth2_ref (refresher) : NULL;
}

static char *
der_to_pem (GBytes *der)
{
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  GString *pem = g_string_new ("-----BEGIN CERTIFICATE-----\n");
  gsize len = strlen (b64);

  for (gsize i = 0; i < len; i += 64)
    {
      g_string_append_len (pem, b64 + i, MIN (64, len - i));
      g_string_append_c (pem, '\n');
    }
  g_string_append (pem, "-----END CERTIFICATE-----\n");
  return g_string_free (pem, FALSE);
}

/* A certificate that failed verification: accepted if the interaction
 * accepted this very certificate before in this process, else asked. */
static gboolean
on_certificate (MailsyncImapConnection *connection, GBytes *der, GTlsCertificateFlags errors,
                const GError *failure, GCancellable *cancellable, GError **error, gpointer user_data)
{
  MailsyncImapRepository *self = user_data;
  g_autoptr(MailsyncInteraction) interaction = mailsync_repository_dup_interaction (MAILSYNC_REPOSITORY (self));
  g_autoptr(GMainContext) context = NULL;
  g_autofree char *pem = NULL;
  gboolean accept = FALSE;

  if (der == NULL)
    return FALSE;
  for (guint i = 0; self->accepted_certs != NULL && i < self->accepted_certs->len; i++)
    if (g_bytes_equal (self->accepted_certs->pdata[i], der))
      return TRUE;
  if (interaction == NULL)
    return FALSE;
  context = dup_ask_context (self);
  pem = der_to_pem (der);
  if (_mailsync_interaction_invoke_accept_certificate (interaction, context,
                                                      mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)),
                                                      self->settings->host ? self->settings->host : "", pem, errors,
                                                      cancellable, &accept, error) != MAILSYNC_INTERACTION_HANDLED ||
      !accept)
    return FALSE;
  if (self->accepted_certs == NULL)
    self->accepted_certs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (self->accepted_certs, g_bytes_ref (der));
  return TRUE;
}

/* ---- a server that limits us (issue 12 item 9) ---------------------------- */

/* At most this many waits between two closes of the repository (one
 * account sync), each twice the last from THROTTLE_BASE_MS, jittered,
 * and never over THROTTLE_CAP: a budget of at most about 8.5 minutes,
 * after which the sync stops with the server's words rather than hammer
 * it. MAILSYNC_TEST_THROTTLE_BASE_MS scales every wait (the server's
 * suggested waits too) for the tests. */
#define THROTTLE_WAITS 8
#define THROTTLE_BASE_MS 2000
#define THROTTLE_CAP (150 * THROTTLE_BASE_MS)

static guint
throttle_base_ms (void)
{
  const char *test = g_getenv ("MAILSYNC_TEST_THROTTLE_BASE_MS");

  return test != NULL ? (guint) g_ascii_strtoull (test, NULL, 10) : THROTTLE_BASE_MS;
}

typedef struct
{
  GTask *task;
  GSource *timer;
  GSource *cancelled;
} Sleep;

static gboolean
sleep_over (gpointer user_data)
{
  Sleep *sleep = user_data;

  if (sleep->task != NULL)
    {
      GTask *task = g_steal_pointer (&sleep->task);

      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

/* A cancellable source calls a GCancellableSourceFunc: the cancellable
 * comes first, the user data second. Given sleep_over() itself, it took
 * the GCancellable for the Sleep and wrote NULL over its class pointer. */
static gboolean
sleep_cancelled (GCancellable *cancellable, gpointer user_data)
{
  return sleep_over (user_data);
}

/* Waits @ms on the worker's context; a cancel ends the wait at once. */
static gboolean
sleep_ms (guint ms, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Sleep sleep = { g_task_new (NULL, NULL, _mailsync_store_result, &result), NULL, NULL };

  g_task_set_source_tag (sleep.task, sleep_ms);
  sleep.timer = g_timeout_source_new (ms);
  g_source_set_callback (sleep.timer, sleep_over, &sleep, NULL);
  g_source_attach (sleep.timer, g_main_context_get_thread_default ());
  if (cancellable != NULL)
    {
      sleep.cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (sleep.cancelled, G_SOURCE_FUNC (sleep_cancelled), &sleep, NULL);
      g_source_attach (sleep.cancelled, g_main_context_get_thread_default ());
    }
  _mailsync_await (&result);
  g_source_destroy (sleep.timer);
  g_source_unref (sleep.timer);
  if (sleep.cancelled != NULL)
    {
      g_source_destroy (sleep.cancelled);
      g_source_unref (sleep.cancelled);
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* The server said it limits us (@why: its words): wait, with fewer
 * commands in flight afterwards, or give up when the budget is spent. A
 * jittered wait keeps many clients that were cut at once from coming
 * back at once. */
static gboolean
back_off (MailsyncImapRepository *self, const char *why, guint hint_ms, GCancellable *cancellable, GError **error)
{
  guint base = throttle_base_ms ();
  guint64 step = MIN ((guint64) base << MIN (self->throttle_waits, 20), (guint64) base * 150);
  guint64 delay = step / 2 + (step > 1 ? (guint64) g_random_int_range (0, (gint32) MIN (step / 2, G_MAXINT32)) : 0);
  guint64 hint = (guint64) hint_ms * base / THROTTLE_BASE_MS;
  const char *name = mailsync_repository_get_name (MAILSYNC_REPOSITORY (self));

  if (self->throttle_gave_up == NULL && self->throttle_waits >= THROTTLE_WAITS)
    self->throttle_gave_up =
      g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED,
                   "Repository %s: the server still limits this client after %u waits "
                   "(%" G_GINT64_FORMAT " s in all); giving up for this run: %s",
                   name, self->throttle_waits, self->throttle_waited_ms / 1000, why ? why : "");
  if (self->throttle_gave_up != NULL)
    {
      g_propagate_error (error, g_error_copy (self->throttle_gave_up));
      return FALSE;
    }
  /* The server's own suggestion wins when longer, within the cap. */
  delay = MIN (MAX (delay, hint), (guint64) base * 150);
  self->throttle_waits++;
  self->throttle_waited_ms += (gint64) delay;
  /* Fewer commands at once on this and the next connections. */
  self->settings->max_in_flight = MAX ((self->settings->max_in_flight ? self->settings->max_in_flight : 64) / 2, 1);
  if (self->connection != NULL)
    mailsync_imap_connection_set_max_in_flight (self->connection, self->settings->max_in_flight);
  g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
         "throttled (%s): waiting %" G_GUINT64_FORMAT " ms (wait %u of %u), then %u commands in flight",
         why ? why : "", delay, self->throttle_waits, THROTTLE_WAITS, self->settings->max_in_flight);
  return sleep_ms ((guint) delay, cancellable, error);
}

/* Connects and logs in unless the connection is open; on the worker. */
static gboolean
connect_now (MailsyncImapRepository *self, GCancellable *cancellable, GError **error)
{
  MailsyncRepository *repo = MAILSYNC_REPOSITORY (self);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MailsyncInteraction) interaction = NULL;

  if (self->connection && mailsync_imap_connection_is_open (self->connection))
    {
      guint hint_ms = 0;
      g_autofree char *why = NULL;

      /* A command was refused as throttled: the engine reopens before it
       * resumes the folder; wait first, on the same connection. */
      if (mailsync_imap_connection_take_throttle (self->connection, &hint_ms, &why))
        return back_off (self, why, hint_ms, cancellable, error);
      return TRUE;
    }
  if (self->connection != NULL)
    {
      guint hint_ms = 0;
      g_autofree char *why = NULL;

      /* Closed by a BYE that limits us: wait before connecting again. */
      if (mailsync_imap_connection_take_throttle (self->connection, &hint_ms, &why))
        {
          drop_connection (self);
          if (!back_off (self, why, hint_ms, cancellable, error))
            return FALSE;
        }
    }
  drop_connection (self);
  g_atomic_pointer_set (&self->selected, NULL);
  if (self->throttle_gave_up != NULL)
    {
      g_propagate_error (error, g_error_copy (self->throttle_gave_up));
      return FALSE;
    }
  if (self->config_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->config_error));
      return FALSE;
    }
  if (self->settings->host == NULL && !self->settings->preauth_tunnel && !self->settings->transport_tunnel)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "Repository %s: no remotehost, preauthtunnel or transporttunnel",
                   mailsync_repository_get_name (repo));
      return FALSE;
    }
  if (self->settings->password == NULL && self->settings->host != NULL && !self->settings->preauth_tunnel)
    {
      /* offlineimap falls back to ~/.netrc when no password is set. */
      g_autofree char *login = NULL;
      self->settings->password = mailsync_netrc_lookup (NULL, self->settings->host, self->settings->user, &login);
      if (self->settings->user == NULL && login != NULL)
        self->settings->user = g_steal_pointer (&login);
    }
  interaction = mailsync_repository_dup_interaction (repo);
  /* Asked before connecting: a login timeout must not run while the
   * user types. Without an interaction, as before: the password given,
   * or none. A tunnel may greet with PREAUTH, so it is not asked. */
  if (interaction != NULL && self->settings->password == NULL && self->settings->oauth2_token == NULL &&
      self->oauth2 == NULL && self->settings->host != NULL &&
      !self->settings->preauth_tunnel && !self->settings->transport_tunnel &&
      !ask_secret (self, interaction, NULL, wants_token (self), cancellable, error))
    return FALSE;
  /* Before connecting, as the password: the server's login timeout does
   * not run while the token endpoint answers. */
  if (!self->settings->preauth_tunnel && !refresh_token (self, NULL, cancellable, error))
    return FALSE;
  for (guint asked = 0, refreshed = 0;; asked++)
    {
      g_autoptr(MailsyncImapSettings) settings = mailsync_imap_settings_copy (self->settings);
      g_autoptr(GError) local_error = NULL;
      MailsyncImapAuthMechanism refused;
      gboolean bearer;

      settings->port = effective_port (settings);
      self->connection = mailsync_imap_connection_new (settings);
      if (interaction != NULL || self->accepted_certs != NULL)
        mailsync_imap_connection_set_certificate_handler (self->connection, on_certificate, self);
      mailsync_imap_connection_open_async (self->connection, cancellable, _mailsync_store_result, &result);
      if (mailsync_imap_connection_open_finish (self->connection, _mailsync_await (&result), &local_error))
        break;
      g_clear_object (&result);
      if (g_error_matches (local_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED))
        {
          guint hint_ms = 0;
          g_autofree char *why = NULL;

          /* "Too many simultaneous connections", BYE [UNAVAILABLE]: wait
           * and connect again; not a refused login (no new password). */
          mailsync_imap_connection_take_throttle (self->connection, &hint_ms, &why);
          drop_connection (self);
          if (!back_off (self, local_error->message, hint_ms, cancellable, error))
            return FALSE;
          asked--; /* not an ask: the loop's increment takes it back */
          continue;
        }
      refused = mailsync_imap_connection_get_refused_mechanism (self->connection);
      bearer = refused == MAILSYNC_IMAP_AUTH_XOAUTH2 || refused == MAILSYNC_IMAP_AUTH_OAUTHBEARER;
      drop_connection (self);
      /* A refused OAuth2 token (expired, revoked early) is refreshed once
       * and tried on a new connection: one more login, never a loop. */
      if (bearer && self->oauth2 != NULL && refreshed++ == 0 &&
          g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED))
        {
          g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
                 "the server refused the OAuth2 access token: refreshing it once");
          if (!refresh_token (self, self->settings->oauth2_token, cancellable, error))
            return FALSE;
          asked--; /* not an ask */
          continue;
        }
      /* The server has no XOAUTH2 and there is no password for the rest
       * of auth_mechanisms: the interaction may give one. */
      if (interaction != NULL && asked < MAX_ASKS_AFTER_REFUSAL &&
          g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED))
        {
          /* shown before the prompt; the error that stands if none comes */
          if (!ask_secret (self, interaction, local_error, FALSE, cancellable, error))
            return FALSE;
          continue;
        }
      /* Refused: one failed login, then a new password on a new
       * connection (the server may have closed this one, and the user
       * may take longer than its login timeout). */
      if (interaction == NULL || asked >= MAX_ASKS_AFTER_REFUSAL ||
          !g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!ask_secret (self, interaction, local_error, bearer, cancellable, error))
        return FALSE;
    }
  if (self->keepalive > 0)
    {
      /* the repository owns the source and destroys it with the connection */
      self->keepalive_source = g_timeout_source_new_seconds (self->keepalive);
      g_source_set_callback (self->keepalive_source, keepalive_tick, self, NULL);
      g_source_attach (self->keepalive_source, g_main_context_get_thread_default ());
    }
  /* kept past close, for --info and callers' diagnostics */
  {
    g_autofree char *caps = mailsync_imap_connection_get_capability_string (self->connection);

    g_strfreev (self->capabilities);
    self->capabilities = g_strsplit (caps, " ", -1);
    g_free (self->greeting);
    self->greeting = g_strdup (mailsync_imap_connection_get_greeting (self->connection));
  }
  return TRUE;
}

/* A repository nobody opened is opened by the first call that needs it;
 * a connection that was lost stays an error until the owner reopens
 * (the engine re-checks UIDVALIDITY when it does). */
gboolean
_mailsync_imap_repository_ensure_connected (MailsyncImapRepository *self, GCancellable *cancellable,
                                            GError **error)
{
  if (self->throttle_gave_up != NULL)
    {
      /* No more commands this sync once the server's limits won: the
       * other folders fail at once instead of each trying again. */
      g_propagate_error (error, g_error_copy (self->throttle_gave_up));
      return FALSE;
    }
  if (self->connection == NULL)
    return connect_now (self, cancellable, error);
  if (mailsync_imap_connection_is_open (self->connection))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "Repository %s: the connection was lost",
               mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)));
  return FALSE;
}

static void
open_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (connect_now (source, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
repository_open_async (MailsyncRepository *repo, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  queue_job (MAILSYNC_IMAP_REPOSITORY (repo), g_task_new (repo, cancellable, callback, user_data),
             repository_open_async, open_job);
}

static gboolean
repository_bool_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repo), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  MailsyncImapRepository *self;
  GPtrArray *folders;
  char separator;
  char *personal_prefix;    /* NAMESPACE, when no reference is set */
  char personal_separator;
  GPtrArray *foreign;       /* other users' and shared prefixes (wire form) */
  GHashTable *subscribed;   /* subscribedonly: LSUB's wire names, else NULL */
} ListData;

static void
list_data_clear (ListData *data)
{
  g_clear_pointer (&data->folders, g_ptr_array_unref);
  g_clear_pointer (&data->personal_prefix, g_free);
  g_clear_pointer (&data->foreign, g_ptr_array_unref);
  g_clear_pointer (&data->subscribed, g_hash_table_unref);
}

static void
on_namespace (MailsyncImapResponse *response, gpointer user_data)
{
  ListData *data = user_data;
  const MailsyncImapNamespace *ns;
  GPtrArray *foreign[2];

  if (response->data_kind != MAILSYNC_IMAP_DATA_NAMESPACE || data->foreign != NULL)
    return;
  ns = response->u.namespace_;
  data->foreign = g_ptr_array_new_with_free_func (g_free);
  if (ns->personal != NULL && ns->personal->len > 0)
    {
      const MailsyncImapNamespaceEntry *entry = ns->personal->pdata[0];
      data->personal_prefix = g_strdup (entry->prefix_raw ? entry->prefix_raw : "");
      data->personal_separator = entry->delimiter;
    }
  foreign[0] = ns->other;
  foreign[1] = ns->shared;
  for (guint k = 0; k < G_N_ELEMENTS (foreign); k++)
    for (guint i = 0; foreign[k] != NULL && i < foreign[k]->len; i++)
      {
        const MailsyncImapNamespaceEntry *entry = foreign[k]->pdata[i];
        if (entry->prefix_raw != NULL && *entry->prefix_raw != '\0')
          g_ptr_array_add (data->foreign, g_strdup (entry->prefix_raw));
      }
}

/* With personal-namespace-only and no reference, only the personal
 * namespace is synced: LIST "" "*" also names other users' and shared
 * mailboxes on many servers. INBOX is always personal. */
static gboolean
is_foreign (ListData *data, const char *wire_name)
{
  if (data->foreign == NULL || g_ascii_strcasecmp (wire_name, "INBOX") == 0)
    return FALSE;
  if (data->personal_prefix != NULL && *data->personal_prefix != '\0' &&
      g_str_has_prefix (wire_name, data->personal_prefix))
    return FALSE;
  for (guint i = 0; i < data->foreign->len; i++)
    if (g_str_has_prefix (wire_name, data->foreign->pdata[i]))
      return TRUE;
  return FALSE;
}

/* Whether @name (@len bytes) holds a control character and no NUL (a NUL
 * would cut the name short: such a name is not kept). */
static gboolean
has_control (const char *name, gsize len)
{
  gboolean found = FALSE;

  for (gsize i = 0; i < len; i++)
    if (name[i] == '\0')
      return FALSE;
    else if ((guchar) name[i] < 0x20 || name[i] == 0x7f)
      found = TRUE;
  return found;
}

static void
on_list (MailsyncImapResponse *response, gpointer user_data)
{
  ListData *data = user_data;
  MailsyncImapList *list;
  g_autofree char *native = NULL;

  if (response->data_kind != MAILSYNC_IMAP_DATA_LIST)
    return;
  list = response->u.list;
  if (list->delimiter && !data->separator)
    data->separator = list->delimiter;
  /* \Noselect and \NonExistent are hierarchy nodes, not mailboxes. */
  if (list->flags & (MAILSYNC_IMAP_LIST_NOSELECT | MAILSYNC_IMAP_LIST_NONEXISTENT))
    return;
  /* A name with a control character (valid in a quoted string or a
   * literal) is no mUTF-7 and does not decode; it is kept under its wire
   * name, for the account to skip it with its name and the reason instead
   * of its vanishing here (issue 12 item 2). */
  if (list->name == NULL && list->name_raw != NULL && has_control (list->name_raw, list->name_raw_len))
    native = g_strdup (list->name_raw);
  else if (list->name == NULL || (native = native_name (data->self, list)) == NULL)
    return;
  if (is_foreign (data, list->name_raw))
    {
      g_debug ("Skipping %s: not in the personal namespace", list->name);
      return;
    }
  if (data->subscribed != NULL && !g_hash_table_contains (data->subscribed, list->name_raw))
    {
      g_hash_table_add (data->self->unsubscribed, g_steal_pointer (&native));
      return;
    }
  g_ptr_array_add (data->folders, _mailsync_imap_folder_new (data->self, native, list->name_raw));
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ListData, list_data_clear)

static void
on_lsub (MailsyncImapResponse *response, gpointer user_data)
{
  ListData *data = user_data;

  if (response->data_kind == MAILSYNC_IMAP_DATA_LSUB && response->u.list->name_raw != NULL)
    g_hash_table_add (data->subscribed, g_strdup (response->u.list->name_raw));
}

/* offlineimap's folderincludes: folders LIST did not name (outside the
 * reference, say) are added when the server knows them; STATUS checks
 * that without changing the selected mailbox. */
static gboolean
add_included_folders (MailsyncImapRepository *self, ListData *data, GCancellable *cancellable, GError **error)
{
  for (guint i = 0; self->folder_includes != NULL && self->folder_includes[i] != NULL; i++)
    {
      const char *given = self->folder_includes[i];
      g_autofree char *encoded = to_wire (self, given);
      /* without utf8-folder-names, a UTF-8 include is named like a listed
       * folder: by its mUTF-7 name */
      g_autofree char *native = self->utf8_names || is_mutf7 (given) ? NULL
                                : mailsync_imap_utf7_encode (given, -1, NULL);
      const char *name = native != NULL ? native : given;
      g_autofree char *quoted = _mailsync_imap_quote (encoded ? encoded : name);
      g_autofree char *line = g_strdup_printf ("STATUS %s (UIDVALIDITY)", quoted);
      g_autoptr(MailsyncImapResponse) ok = NULL;
      g_autoptr(GError) local_error = NULL;
      gboolean listed = FALSE;

      for (guint j = 0; j < data->folders->len && !listed; j++)
        listed = strcmp (mailsync_folder_get_name (data->folders->pdata[j]), name) == 0;
      if (listed)
        continue;
      ok = run (self, mailsync_imap_request_new (line), cancellable, &local_error);
      if (ok == NULL)
        {
          /* A connection failure spoils the listing; a NO only this one. */
          if (!g_error_matches (local_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          /* offlineimap shows it as an error (exit status 1) and syncs
           * the other folders: the listing goes on, the engine reports it. */
          _mailsync_repository_add_listing_problem (MAILSYNC_REPOSITORY (self),
            g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_FOLDER_NOT_FOUND,
                         "Invalid folderinclude '%s' of repository %s: %s", given,
                         mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)), local_error->message));
          continue;
        }
      g_ptr_array_add (data->folders, _mailsync_imap_folder_new (self, name, encoded ? encoded : name));
    }
  return TRUE;
}

static void
list_folders_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;
  MailsyncRepository *repo = source;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reference = _mailsync_imap_quote (self->reference ? self->reference : "");
  g_autofree char *line = g_strdup_printf ("LIST %s \"*\"", reference);
  g_auto(ListData) data = { self, g_ptr_array_new_with_free_func (g_object_unref), 0, NULL, 0, NULL };
  MailsyncImapRequest *request;

  if (!_mailsync_imap_repository_ensure_connected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (self->reference == NULL && self->personal_only &&
      mailsync_imap_connection_has_capability (self->connection, "NAMESPACE"))
    {
      g_autoptr(MailsyncImapResponse) ns_ok = NULL;

      request = mailsync_imap_request_new ("NAMESPACE");
      mailsync_imap_request_set_untagged_handler (request, on_namespace, &data);
      ns_ok = run (self, request, cancellable, &error);
      if (ns_ok == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  /* subscribedonly: LSUB names what to sync, and LIST still runs so that
   * a folder that exists but is not subscribed is known as such (hidden,
   * not deleted) while a stale subscription to a folder that no longer
   * exists is not selected. */
  g_hash_table_remove_all (self->unsubscribed);
  if (self->subscribed_only)
    {
      g_autoptr(MailsyncImapResponse) lsub_ok = NULL;
      g_autofree char *lsub = g_strdup_printf ("LSUB %s \"*\"", reference);

      data.subscribed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      request = mailsync_imap_request_new (lsub);
      mailsync_imap_request_set_untagged_handler (request, on_lsub, &data);
      lsub_ok = run (self, request, cancellable, &error);
      if (lsub_ok == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  request = mailsync_imap_request_new (line);
  mailsync_imap_request_set_untagged_handler (request, on_list, &data);
  ok = run (self, request, cancellable, &error);
  if (ok == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!add_included_folders (self, &data, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Rule 1: an account with no INBOX at all is far likelier a broken LIST
   * than an empty account; nothing must look deleted because of it. */
  if (data.folders->len == 0)
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                               "Repository %s: the server listed no folder", mailsync_repository_get_name (repo));
      return;
    }
  if (!data.separator)
    data.separator = data.personal_separator;
  /* The separator is set by _finish, on the caller's thread: its
   * notify:: must not be emitted on the worker's. */
  g_task_set_task_data (task, GINT_TO_POINTER ((int) data.separator), NULL);
  g_task_return_pointer (task, g_steal_pointer (&data.folders), (GDestroyNotify) g_ptr_array_unref);
}

static void
repository_list_folders_async (MailsyncRepository *repo, GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  queue_job (MAILSYNC_IMAP_REPOSITORY (repo), g_task_new (repo, cancellable, callback, user_data),
             repository_list_folders_async, list_folders_job);
}

static GPtrArray *
repository_list_folders_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  GPtrArray *folders;
  char separator;

  g_return_val_if_fail (g_task_is_valid (result, repo), NULL);
  separator = (char) GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  folders = g_task_propagate_pointer (G_TASK (result), error);
  if (folders != NULL && separator)
    _mailsync_repository_set_separator (repo, separator);
  return folders;
}

/* ---- folder info (mailsync_repository_list_folder_info_async) ----------- */

typedef struct
{
  char *wire;                     /* name_raw */
  char *native;
  char *display;
  char delimiter;
  MailsyncImapListFlags flags;
  MailsyncFolderRole role;
  gboolean subscribed;
  gint64 total, unseen, recent;
} InfoEntry;

static void
info_entry_free (InfoEntry *entry)
{
  g_free (entry->wire);
  g_free (entry->native);
  g_free (entry->display);
  g_free (entry);
}

typedef struct
{
  MailsyncImapRepository *self;
  GPtrArray *entries;             /* InfoEntry, in LIST order */
  GHashTable *by_wire;            /* wire name -> InfoEntry (borrowed) */
  GHashTable *lsub;               /* LSUB's wire names; NULL under LIST-EXTENDED */
  guint pending;                  /* STATUS commands in flight */
  GError *error;                  /* the first failure of one of them */
} InfoData;

static void
info_data_clear (InfoData *data)
{
  g_clear_pointer (&data->entries, g_ptr_array_unref);
  g_clear_pointer (&data->by_wire, g_hash_table_unref);
  g_clear_pointer (&data->lsub, g_hash_table_unref);
  g_clear_error (&data->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (InfoData, info_data_clear)

/* RFC 6154 attributes and Gmail's XLIST ones; the first match in
 * MailsyncFolderRole's order wins. */
static MailsyncFolderRole
role_from_attributes (const char *const *attributes)
{
  static const struct
  {
    const char *attribute;
    MailsyncFolderRole role;
  } roles[] = {
    { "\\Inbox", MAILSYNC_FOLDER_ROLE_INBOX },
    { "\\Sent", MAILSYNC_FOLDER_ROLE_SENT },
    { "\\Trash", MAILSYNC_FOLDER_ROLE_TRASH },
    { "\\Drafts", MAILSYNC_FOLDER_ROLE_DRAFTS },
    { "\\Junk", MAILSYNC_FOLDER_ROLE_JUNK },
    { "\\Spam", MAILSYNC_FOLDER_ROLE_JUNK },
    { "\\Archive", MAILSYNC_FOLDER_ROLE_ARCHIVE },
    { "\\All", MAILSYNC_FOLDER_ROLE_ALL },
    { "\\AllMail", MAILSYNC_FOLDER_ROLE_ALL },
    { "\\Flagged", MAILSYNC_FOLDER_ROLE_FLAGGED },
    { "\\Starred", MAILSYNC_FOLDER_ROLE_FLAGGED },
  };

  for (gsize j = 0; j < G_N_ELEMENTS (roles); j++)
    for (guint i = 0; attributes != NULL && attributes[i] != NULL; i++)
      if (g_ascii_strcasecmp (attributes[i], roles[j].attribute) == 0)
        return roles[j].role;
  return MAILSYNC_FOLDER_ROLE_NONE;
}

static void
info_on_list (InfoData *data, const MailsyncImapList *list)
{
  InfoEntry *entry;
  g_autofree char *native = NULL;
  const char *last;

  /* \NonExistent: a subscription to a mailbox that is gone (RFC 5258). */
  if (list->flags & MAILSYNC_IMAP_LIST_NONEXISTENT || list->name_raw == NULL ||
      (native = native_name (data->self, list)) == NULL)
    return;
  entry = g_hash_table_lookup (data->by_wire, list->name_raw);
  if (entry == NULL)
    {
      entry = g_new0 (InfoEntry, 1);
      entry->wire = g_strdup (list->name_raw);
      entry->total = entry->unseen = entry->recent = -1;
      g_ptr_array_add (data->entries, entry);
      g_hash_table_insert (data->by_wire, entry->wire, entry);
    }
  g_free (entry->native);
  entry->native = g_steal_pointer (&native);
  entry->delimiter = list->delimiter;
  entry->flags = list->flags;
  entry->subscribed = (list->flags & MAILSYNC_IMAP_LIST_SUBSCRIBED) != 0;
  entry->role = role_from_attributes ((const char *const *) list->attributes);
  if (entry->role == MAILSYNC_FOLDER_ROLE_NONE && g_ascii_strcasecmp (list->name_raw, "INBOX") == 0)
    entry->role = MAILSYNC_FOLDER_ROLE_INBOX;
  /* The display name is decoded UTF-8 whatever the native names are. */
  last = list->name != NULL && list->delimiter ? strrchr (list->name, list->delimiter) : NULL;
  g_free (entry->display);
  entry->display = g_strdup (last != NULL ? last + 1 : list->name != NULL ? list->name : list->name_raw);
}

static void
info_on_status (InfoData *data, const MailsyncImapStatusData *status)
{
  InfoEntry *entry = status->name_raw ? g_hash_table_lookup (data->by_wire, status->name_raw) : NULL;

  /* LIST-STATUS may name INBOX in another case than LIST did. */
  if (entry == NULL && status->name_raw != NULL && g_ascii_strcasecmp (status->name_raw, "INBOX") == 0)
    for (guint i = 0; i < data->entries->len && entry == NULL; i++)
      if (g_ascii_strcasecmp (((InfoEntry *) data->entries->pdata[i])->wire, "INBOX") == 0)
        entry = data->entries->pdata[i];
  if (entry == NULL)
    return;
  if (status->present & MAILSYNC_IMAP_STATUS_ITEM_MESSAGES)
    entry->total = status->messages;
  if (status->present & MAILSYNC_IMAP_STATUS_ITEM_UNSEEN)
    entry->unseen = status->unseen;
  if (status->present & MAILSYNC_IMAP_STATUS_ITEM_RECENT)
    entry->recent = status->recent;
}

static void
info_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  InfoData *data = user_data;

  switch (response->data_kind)
    {
    case MAILSYNC_IMAP_DATA_LIST:
      info_on_list (data, response->u.list);
      break;
    case MAILSYNC_IMAP_DATA_LSUB:
      if (data->lsub != NULL && response->u.list->name_raw != NULL)
        g_hash_table_add (data->lsub, g_strdup (response->u.list->name_raw));
      break;
    case MAILSYNC_IMAP_DATA_STATUS:
      info_on_status (data, response->u.status);
      break;
    default:
      break;
    }
}

static void
info_status_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  InfoData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);

  /* A NO (the mailbox went away between LIST and STATUS, or may not be
   * read) leaves that folder's counts unknown; anything else fails the
   * listing. */
  if (ok == NULL && !g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO) && data->error == NULL)
    data->error = g_steal_pointer (&error);
  data->pending--;
}

static MailsyncImapRequest *
info_request (InfoData *data, const char *line)
{
  MailsyncImapRequest *request = mailsync_imap_request_new (line);

  mailsync_imap_request_set_untagged_handler (request, info_untagged, data);
  return request;
}

static void
list_folder_info_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;
  MailsyncImapConnection *connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autofree char *reference = _mailsync_imap_quote (self->reference ? self->reference : "");
  g_autofree char *line = NULL;
  g_auto(InfoData) data = { self, g_ptr_array_new_with_free_func ((GDestroyNotify) info_entry_free),
                            g_hash_table_new (g_str_hash, g_str_equal), NULL, 0, NULL };
  gboolean extended, list_status, special_use;
  GPtrArray *infos;

  if (!_mailsync_imap_repository_ensure_connected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  connection = self->connection;
  extended = mailsync_imap_connection_has_capability (connection, "LIST-EXTENDED");
  list_status = extended && mailsync_imap_connection_has_capability (connection, "LIST-STATUS");
  special_use = mailsync_imap_connection_has_capability (connection, "SPECIAL-USE");
  if (extended)
    /* RFC 5258 + 6154 + 5819: subscriptions, children, special use and
     * the counts in one round trip. */
    line = g_strdup_printf ("LIST %s \"*\" RETURN (SUBSCRIBED CHILDREN%s%s)", reference,
                            special_use ? " SPECIAL-USE" : "",
                            list_status ? " STATUS (MESSAGES UNSEEN RECENT)" : "");
  else if (!special_use && mailsync_imap_connection_has_capability (connection, "XLIST"))
    line = g_strdup_printf ("XLIST %s \"*\"", reference);
  else
    line = g_strdup_printf ("LIST %s \"*\"", reference);
  ok = run (self, info_request (&data, line), cancellable, &error);
  if (ok == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!extended)
    {
      g_autoptr(MailsyncImapResponse) lsub_ok = NULL;
      g_autofree char *lsub = g_strdup_printf ("LSUB %s \"*\"", reference);

      data.lsub = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      lsub_ok = run (self, info_request (&data, lsub), cancellable, &error);
      if (lsub_ok == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      for (guint i = 0; i < data.entries->len; i++)
        {
          InfoEntry *entry = data.entries->pdata[i];
          entry->subscribed = g_hash_table_contains (data.lsub, entry->wire);
        }
    }
  if (!list_status)
    {
      /* One STATUS per mailbox, all in flight at once (DESIGN §4). */
      for (guint i = 0; i < data.entries->len; i++)
        {
          InfoEntry *entry = data.entries->pdata[i];
          g_autofree char *quoted = NULL;
          g_autofree char *status = NULL;

          if (entry->flags & MAILSYNC_IMAP_LIST_NOSELECT)
            continue;
          quoted = _mailsync_imap_quote (entry->wire);
          status = g_strdup_printf ("STATUS %s (MESSAGES UNSEEN RECENT)", quoted);
          data.pending++;
          mailsync_imap_connection_send_async (connection, info_request (&data, status), cancellable,
                                               info_status_done, &data);
        }
      while (data.pending > 0)
        _mailsync_await_iteration ();
      if (data.error != NULL)
        {
          g_task_return_error (task, g_steal_pointer (&data.error));
          return;
        }
    }
  infos = g_ptr_array_new_full (data.entries->len, g_object_unref);
  for (guint i = 0; i < data.entries->len; i++)
    {
      InfoEntry *entry = data.entries->pdata[i];
      gboolean selectable = !(entry->flags & MAILSYNC_IMAP_LIST_NOSELECT);

      g_ptr_array_add (infos, g_object_new (MAILSYNC_TYPE_FOLDER_INFO,
                                            "name", entry->native,
                                            "display-name", entry->display,
                                            "separator", entry->delimiter,
                                            "total", selectable ? entry->total : (gint64) -1,
                                            "unseen", selectable ? entry->unseen : (gint64) -1,
                                            "recent", selectable ? entry->recent : (gint64) -1,
                                            "role", entry->role,
                                            "subscribed", entry->subscribed,
                                            "selectable", selectable,
                                            "has-children", (entry->flags & MAILSYNC_IMAP_LIST_HASCHILDREN) != 0,
                                            NULL));
    }
  g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
}

static void
repository_list_folder_info_async (MailsyncRepository *repo, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  queue_job (MAILSYNC_IMAP_REPOSITORY (repo), g_task_new (repo, cancellable, callback, user_data),
             repository_list_folder_info_async, list_folder_info_job);
}

static GPtrArray *
repository_list_folder_info_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repo), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const _MailsyncFolderInfoVTable folder_info_vtable = {
  repository_list_folder_info_async,
  repository_list_folder_info_finish,
};

static char *
wire_name (MailsyncImapRepository *self, const char *name)
{
  g_autofree char *encoded = to_wire (self, name);

  return _mailsync_imap_quote (encoded ? encoded : name);
}

static void
create_folder_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;
  MailsyncRepository *repo = source;
  const char *name = task_data;
  g_autofree char *quoted = wire_name (self, name);
  g_autofree char *line = g_strdup_printf ("CREATE %s", quoted);
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = to_wire (self, name);

  /* Without utf8-folder-names, a folder made from a name that is not
   * mUTF-7 (a local "Entwürfe") would be listed back as "Entw&APw-rfe",
   * which the other side would take for another folder and create in
   * turn (reference §5.9): refuse it, saying which name would work. */
  if (!self->utf8_names && !is_mutf7 (name))
    {
      g_autofree char *mutf7 = mailsync_imap_utf7_encode (name, -1, NULL);

      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                               "Repository %s: cannot create folder '%s': with utf8foldernames = no, folder names "
                               "are IMAP modified UTF-7 names and it would come back as '%s', another folder. "
                               "Rename it to '%s', or set utf8foldernames = yes",
                               mailsync_repository_get_name (repo), name, mutf7 ? mutf7 : "?",
                               mutf7 ? mutf7 : "?");
      return;
    }
  if (!_mailsync_imap_repository_ensure_connected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  ok = run (self, mailsync_imap_request_new (line), cancellable, &error);
  /* RFC 5530 [ALREADYEXISTS]: someone else made it; that is fine. */
  if (ok == NULL && !(error && strstr (error->message, "[ALREADYEXISTS]")))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, _mailsync_imap_folder_new (self, name, encoded ? encoded : name), g_object_unref);
}

static void
repository_create_folder_async (MailsyncRepository *repo, const char *name, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (repo, cancellable, callback, user_data);

  g_task_set_task_data (task, g_strdup (name), g_free);
  queue_job (MAILSYNC_IMAP_REPOSITORY (repo), task, repository_create_folder_async, create_folder_job);
}

static MailsyncFolder *
repository_create_folder_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repo), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
delete_folder_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;
  g_autofree char *quoted = wire_name (self, task_data);
  g_autofree char *line = g_strdup_printf ("DELETE %s", quoted);
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GError) error = NULL;

  g_atomic_pointer_set (&self->selected, NULL);
  if (_mailsync_imap_repository_ensure_connected (self, cancellable, &error))
    ok = run (self, mailsync_imap_request_new (line), cancellable, &error);
  if (ok == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
repository_delete_folder_async (MailsyncRepository *repo, const char *name, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (repo, cancellable, callback, user_data);

  g_task_set_task_data (task, g_strdup (name), g_free);
  queue_job (MAILSYNC_IMAP_REPOSITORY (repo), task, repository_delete_folder_async, delete_folder_job);
}

static void
close_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;

  if (self->connection && mailsync_imap_connection_is_open (self->connection))
    {
      g_autoptr(MailsyncImapResponse) ok = run (self, mailsync_imap_request_new ("LOGOUT"), cancellable, NULL);
    }
  if (self->connection)
    mailsync_imap_connection_close (self->connection);
  drop_connection (self);
  g_atomic_pointer_set (&self->selected, NULL);
  /* The next sync has a new budget for the server's limits. */
  self->throttle_waits = 0;
  self->throttle_waited_ms = 0;
  g_clear_error (&self->throttle_gave_up);
  g_task_return_boolean (task, TRUE);
}

static void
repository_close_async (MailsyncRepository *repo, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  queue_job (MAILSYNC_IMAP_REPOSITORY (repo), g_task_new (repo, cancellable, callback, user_data),
             repository_close_async, close_job);
}

static void
mailsync_imap_repository_class_init (MailsyncImapRepositoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MailsyncRepositoryClass *repo_class = MAILSYNC_REPOSITORY_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->set_property = mailsync_imap_repository_set_property;
  object_class->get_property = mailsync_imap_repository_get_property;
  object_class->dispose = mailsync_imap_repository_dispose;
  object_class->finalize = mailsync_imap_repository_finalize;
  repo_class->open_async = repository_open_async;
  repo_class->open_finish = repository_bool_finish;
  repo_class->list_folders_async = repository_list_folders_async;
  repo_class->list_folders_finish = repository_list_folders_finish;
  repo_class->create_folder_async = repository_create_folder_async;
  repo_class->create_folder_finish = repository_create_folder_finish;
  repo_class->delete_folder_async = repository_delete_folder_async;
  repo_class->delete_folder_finish = repository_bool_finish;
  repo_class->close_async = repository_close_async;
  repo_class->close_finish = repository_bool_finish;

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
  properties[PROP_START_DATE] = g_param_spec_int64 ("start-date", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_HIDDEN_FOLDERS] = g_param_spec_boxed ("hidden-folders", NULL, NULL, G_TYPE_STRV,
                                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  _mailsync_repository_class_set_folder_info (klass, &folder_info_vtable);
}

static void
mailsync_imap_repository_init (MailsyncImapRepository *self)
{
  self->settings = mailsync_imap_settings_new ();
  self->settings->tls->verify = TRUE;
  self->expunge = TRUE;
  self->unsubscribed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->worker = _mailsync_worker_new ("mailsync-imap");
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
 * included) since it was created. Bytes are those of the IMAP stream,
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
  if (self->connection != NULL)
    mailsync_imap_connection_get_stats (self->connection, &in, &out, &commands);
  if (bytes_read != NULL)
    *bytes_read = self->bytes_read + in;
  if (bytes_written != NULL)
    *bytes_written = self->bytes_written + out;
  if (commands_sent != NULL)
    *commands_sent = self->commands_sent + commands;
}
