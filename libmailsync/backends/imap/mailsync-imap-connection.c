/* The IMAP connection: asynchronous reads feed the tokenizer; every
 * complete response is dispatched; writes are queued and sent one after
 * the other while many commands are in flight (RFC 3501 §5.5 allows any
 * number of pipelined commands; we only stop writing behind a
 * synchronizing literal, which must wait for the server's "+").
 *
 * Credentials never reach the debug log: LOGIN and AUTHENTICATE lines are
 * logged with a replacement text. */
#define _GNU_SOURCE 1  /* O_TMPFILE */
#include "config.h"

#include "backends/imap/mailsync-imap-connection-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* ---- settings ------------------------------------------------------------ */

MailsyncImapSettings *
mailsync_imap_settings_new (void)
{
  MailsyncImapSettings *s = g_new0 (MailsyncImapSettings, 1);

  s->port = 143;
  s->security = MAILSYNC_IMAP_SECURITY_STARTTLS;
  s->tls = mailsync_tls_options_new ();
  return s;
}

MailsyncImapSettings *
mailsync_imap_settings_copy (const MailsyncImapSettings *settings)
{
  MailsyncImapSettings *s = g_new0 (MailsyncImapSettings, 1);

  *s = *settings;
  s->host = g_strdup (settings->host);
  s->tls = settings->tls ? mailsync_tls_options_copy (settings->tls) : mailsync_tls_options_new ();
  s->user = g_strdup (settings->user);
  s->password = g_strdup (settings->password);
  s->oauth2_token = g_strdup (settings->oauth2_token);
  s->auth_mechanisms = g_strdup (settings->auth_mechanisms);
  s->preauth_tunnel = g_strdup (settings->preauth_tunnel);
  s->transport_tunnel = g_strdup (settings->transport_tunnel);
  s->authzid = g_strdup (settings->authzid);
  s->proxy = g_strdup (settings->proxy);
  return s;
}

void
mailsync_imap_settings_free (MailsyncImapSettings *settings)
{
  if (settings == NULL)
    return;
  g_free (settings->host);
  mailsync_tls_options_free (settings->tls);
  g_free (settings->user);
  mailsync_imap_secret_clear (settings->password);
  g_free (settings->password);
  mailsync_imap_secret_clear (settings->oauth2_token);
  g_free (settings->oauth2_token);
  g_free (settings->auth_mechanisms);
  g_free (settings->authzid);
  g_free (settings->preauth_tunnel);
  g_free (settings->transport_tunnel);
  g_free (settings->proxy);
  g_free (settings);
}

/* ---- requests -------------------------------------------------------------- */

void
_mailsync_imap_connection_write_item_free (WriteItem *item)
{
  g_clear_pointer (&item->bytes, g_bytes_unref);
  g_clear_pointer (&item->text, g_byte_array_unref);
  g_clear_object (&item->stream);
  g_free (item);
}

guint64
_mailsync_imap_connection_part_literal_size (const RequestPart *part)
{
  return part->stream != NULL ? part->stream_size : g_bytes_get_size (part->literal);
}

static void
request_part_clear (gpointer data)
{
  RequestPart *part = data;

  g_clear_pointer (&part->literal, g_bytes_unref);
  g_clear_object (&part->stream);
  g_free (part->text);
}

MailsyncImapRequest *
mailsync_imap_request_new (const char *text)
{
  MailsyncImapRequest *request = g_new0 (MailsyncImapRequest, 1);
  RequestPart part = { NULL, NULL, 0, g_strdup (text) };

  request->parts = g_array_new (FALSE, TRUE, sizeof (RequestPart));
  g_array_set_clear_func (request->parts, request_part_clear);
  g_array_append_val (request->parts, part);
  return request;
}

MailsyncImapRequest *
mailsync_imap_request_new_from_command (MailsyncImapCommand *cmd, GError **error)
{
  const char *const *texts = NULL;
  GBytes *const *literals = NULL;
  gboolean literal8 = FALSE;
  MailsyncImapRequest *request;
  guint n;

  if (!mailsync_imap_command_finish (cmd, error))
    return NULL;
  n = mailsync_imap_command_get_segments (cmd, &texts, &literals, &literal8);
  /* the connection announces plain literals only ({n} or {n+}) */
  if (literal8 || mailsync_imap_command_get_tag (cmd) != NULL)
    {
      g_set_error_literal (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_FAILED,
                           "Cannot send an IMAP command with a tag or a literal8 as a request");
      return NULL;
    }
  request = mailsync_imap_request_new (texts[0]);
  for (guint i = 0; i < n; i++)
    mailsync_imap_request_add_literal (request, literals[i], texts[i + 1]);
  mailsync_imap_request_set_log_text (request, mailsync_imap_command_get_log_line (cmd));
  if (mailsync_imap_command_is_secret (cmd))
    mailsync_imap_request_set_secret (request);
  return request;
}

/* "A<n>", without printf: one per command, one command per downloaded
 * message (issue 13 item 5). */
static char *
make_tag (guint n)
{
  char buf[16];
  int i = (int) sizeof buf;

  buf[--i] = '\0';
  do
    {
      buf[--i] = (char) ('0' + n % 10);
      n /= 10;
    }
  while (n != 0);
  buf[--i] = 'A';
  return g_strdup (buf + i);
}

MailsyncImapRequest *
mailsync_imap_request_new_simple (const char *name, const char *atom)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapCommand) cmd = mailsync_imap_command_new (NULL, name, MAILSYNC_IMAP_COMMAND_NONE, &error);
  MailsyncImapRequest *request = NULL;

  if (cmd != NULL && atom != NULL)
    mailsync_imap_command_add_atom (cmd, atom, NULL);
  if (cmd != NULL)
    request = mailsync_imap_request_new_from_command (cmd, &error);
  /* the words are the caller's constants */
  g_return_val_if_fail (request != NULL, mailsync_imap_request_new (name));
  return request;
}

void
mailsync_imap_request_free (MailsyncImapRequest *request)
{
  if (request == NULL)
    return;
  if (request->secret)
    for (guint i = 0; i < request->parts->len; i++)
      {
        RequestPart *part = &g_array_index (request->parts, RequestPart, i);

        if (part->text != NULL)
          {
            gsize len = strlen (part->text);

            mailsync_imap_secret_free (g_steal_pointer (&part->text), len);
          }
        if (part->literal != NULL)
          {
            /* The buffer itself when this is the last reference, else a
             * copy: the other holder's (a wiping GBytes from the command
             * builder) wipes its own. */
            gsize len = 0;
            gpointer data = g_bytes_unref_to_data (g_steal_pointer (&part->literal), &len);

            mailsync_imap_secret_free (data, len);
          }
      }
  g_free (request->tag);
  g_array_unref (request->parts);
  g_free (request->log_text);
  g_clear_object (&request->task);
  g_clear_object (&request->cancellable);
  g_free (request);
}

void
mailsync_imap_request_add_literal (MailsyncImapRequest *request,
                                   GBytes              *data,
                                   const char          *text_after)
{
  RequestPart part = { g_bytes_ref (data), NULL, 0, g_strdup (text_after ? text_after : "") };

  g_array_append_val (request->parts, part);
}

void
mailsync_imap_request_add_literal_stream (MailsyncImapRequest *request,
                                          GInputStream        *stream,
                                          guint64              size,
                                          const char          *text_after)
{
  RequestPart part = { NULL, g_object_ref (stream), size, g_strdup (text_after ? text_after : "") };

  g_array_append_val (request->parts, part);
}

void
mailsync_imap_request_set_secret (MailsyncImapRequest *request)
{
  request->secret = TRUE;
}

void
mailsync_imap_request_set_log_text (MailsyncImapRequest *request,
                                    const char          *log_text)
{
  g_free (request->log_text);
  request->log_text = g_strdup (log_text);
}

void
mailsync_imap_request_set_untagged_handler (MailsyncImapRequest      *request,
                                            MailsyncImapUntaggedFunc  handler,
                                            gpointer                  user_data)
{
  request->untagged = handler;
  request->untagged_data = user_data;
}

void
mailsync_imap_request_set_no_timeout (MailsyncImapRequest *request,
                                      gboolean             no_timeout)
{
  request->no_timeout = no_timeout;
}

void
mailsync_imap_request_set_continuation_handler (MailsyncImapRequest          *request,
                                                MailsyncImapContinuationFunc  handler,
                                                gpointer                      user_data)
{
  request->continuation = handler;
  request->continuation_data = user_data;
}

/* ---- the connection --------------------------------------------------------- */

G_DEFINE_FINAL_TYPE (MailsyncImapConnection, mailsync_imap_connection, G_TYPE_OBJECT)


static void
mailsync_imap_connection_dispose (GObject *object)
{
  MailsyncImapConnection *self = MAILSYNC_IMAP_CONNECTION (object);

  mailsync_imap_connection_close (self);
  _mailsync_imap_connection_disarm_early_answer (self);
  _mailsync_imap_connection_disarm_early_probe (self);
  if (self->watchdog != NULL)
    {
      g_source_destroy (self->watchdog);
      g_clear_pointer (&self->watchdog, g_source_unref);
    }
  G_OBJECT_CLASS (mailsync_imap_connection_parent_class)->dispose (object);
}

static void
mailsync_imap_connection_finalize (GObject *object)
{
  MailsyncImapConnection *self = MAILSYNC_IMAP_CONNECTION (object);

  mailsync_imap_settings_free (self->settings);
  g_clear_pointer (&self->parser, mailsync_imap_parser_free);
  g_clear_pointer (&self->capabilities, g_hash_table_unref);
  g_strfreev (self->greeting_capabilities);
  g_strfreev (self->early_capabilities);
  g_strfreev (self->tls_capabilities);
  g_free (self->greeting);
  g_free (self->notice);
  g_free (self->bye_text);
  g_free (self->throttle_text);
  g_clear_error (&self->fatal);
  g_clear_error (&self->early_mismatch);
  g_clear_object (&self->io_cancellable);
  G_OBJECT_CLASS (mailsync_imap_connection_parent_class)->finalize (object);
}

static void
mailsync_imap_connection_class_init (MailsyncImapConnectionClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mailsync_imap_connection_dispose;
  G_OBJECT_CLASS (klass)->finalize = mailsync_imap_connection_finalize;
}

static void
mailsync_imap_connection_init (MailsyncImapConnection *self)
{
  g_queue_init (&self->pending);
  g_queue_init (&self->in_flight);
  g_queue_init (&self->write_queue);
  self->capabilities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->io_cancellable = g_cancellable_new ();
  self->next_tag = 1;
}

MailsyncImapConnection *
mailsync_imap_connection_new (const MailsyncImapSettings *settings)
{
  MailsyncImapConnection *self = g_object_new (MAILSYNC_TYPE_IMAP_CONNECTION, NULL);

  self->settings = mailsync_imap_settings_copy (settings);
  if (self->settings->max_in_flight == 0)
    self->settings->max_in_flight = DEFAULT_MAX_IN_FLIGHT;
  return self;
}

void
mailsync_imap_connection_set_unsolicited_handler (MailsyncImapConnection   *self,
                                                  MailsyncImapUntaggedFunc  handler,
                                                  gpointer                  user_data)
{
  self->unsolicited = handler;
  self->unsolicited_data = user_data;
}

void
mailsync_imap_connection_set_certificate_handler (MailsyncImapConnection      *self,
                                                  MailsyncImapCertificateFunc  handler,
                                                  gpointer                     user_data)
{
  self->certificate_handler = handler;
  self->certificate_data = user_data;
}

void
mailsync_imap_connection_set_login_pipeline (MailsyncImapConnection *self,
                                             MailsyncImapLoginFunc   func,
                                             gpointer                user_data)
{
  self->login_pipeline = func;
  self->login_pipeline_data = user_data;
}

gboolean
mailsync_imap_connection_has_capability (MailsyncImapConnection *self,
                                         const char             *name)
{
  g_autofree char *upper = g_ascii_strup (name, -1);

  return g_hash_table_contains (self->capabilities, upper);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char *
mailsync_imap_connection_get_capability_string (MailsyncImapConnection *self)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->capabilities);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (names, value);
  /* g_ptr_array_sort hands the comparator pointers to the elements */
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

gboolean
mailsync_imap_connection_is_open (MailsyncImapConnection *self)
{
  return self->stream != NULL && self->fatal == NULL && !self->bye;
}

const char *
mailsync_imap_connection_get_greeting (MailsyncImapConnection *self)
{
  return self->greeting;
}

gint64
mailsync_imap_connection_get_idle_time (MailsyncImapConnection *self)
{
  if (!g_queue_is_empty (&self->in_flight) || !g_queue_is_empty (&self->pending))
    return 0;
  return g_get_monotonic_time () - self->last_activity;
}

void
mailsync_imap_connection_get_stats (MailsyncImapConnection *self,
                                    guint64                *bytes_read,
                                    guint64                *bytes_written,
                                    guint64                *commands_sent)
{
  *bytes_read = self->bytes_read;
  *bytes_written = self->bytes_written;
  *commands_sent = self->commands_sent;
}

void
_mailsync_imap_connection_set_capabilities (MailsyncImapConnection *self, char **names)
{
  g_hash_table_remove_all (self->capabilities);
  for (guint i = 0; names && names[i]; i++)
    g_hash_table_insert (self->capabilities, g_ascii_strup (names[i], -1), g_strdup (names[i]));
}

/* How errors name the other end. A tunnel's command line may carry
 * host names and keys the user would not want in a log: not shown. */
char *
_mailsync_imap_connection_peer_label (MailsyncImapConnection *self)
{
  if (self->settings->preauth_tunnel)
    return g_strdup ("the preauthtunnel");
  if (self->settings->transport_tunnel)
    return g_strdup_printf ("%s (via transporttunnel)", self->settings->host ? self->settings->host : "the server");
  return g_strdup_printf ("%s:%u", self->settings->host ? self->settings->host : "?", self->settings->port);
}

/* How a message about the server's answers names it: its host name, or,
 * without one (a transporttunnel needs no remotehost), the tunnel, not
 * its command line (see above); never NULL, which "%s" would print as
 * "(null)" with glibc and crash on with other libcs. */
const char *
_mailsync_imap_connection_server_label (MailsyncImapConnection *self)
{
  if (self->settings->host != NULL)
    return self->settings->host;
  if (self->settings->preauth_tunnel)
    return "the server of the preauthtunnel";
  if (self->settings->transport_tunnel)
    return "the server of the transporttunnel";
  return "the server";
}

/* Whether a NO, BAD or BYE says the server limits this client for now
 * (issue 12 item 9) rather than refusing the command: the RFC 5530 codes
 * and the texts of the large providers (Gmail: "Too many simultaneous
 * connections", "Account exceeded command or bandwidth limits"; Office
 * 365: "Request is throttled. Suggested Backoff Time: 6250 milliseconds";
 * WorkMail: [LIMIT]). [LIMIT] on an APPEND is the message's size, not a
 * rate: that stays the command's refusal. @hint_ms is the wait the server
 * suggests, 0 when it says none. */
gboolean
_mailsync_imap_connection_is_throttling (const char *verb, const MailsyncImapCode *code, const char *text, guint *hint_ms)
{
  static const char *const phrases[] = {
    "throttl", "too many simultaneous", "too many connections", "too many concurrent",
    "bandwidth", "rate limit", "try again later", "backoff",
  };
  g_autofree char *lower = g_ascii_strdown (text ? text : "", -1);
  gboolean limited = FALSE;
  const char *at = NULL;

  *hint_ms = 0;
  if (code != NULL && code->name != NULL &&
      (g_ascii_strcasecmp (code->name, "THROTTLED") == 0 || g_ascii_strcasecmp (code->name, "UNAVAILABLE") == 0 ||
       (g_ascii_strcasecmp (code->name, "LIMIT") == 0 && g_ascii_strcasecmp (verb ? verb : "", "APPEND") != 0)))
    limited = TRUE;
  for (guint i = 0; !limited && i < G_N_ELEMENTS (phrases); i++)
    limited = strstr (lower, phrases[i]) != NULL;
  if (!limited)
    return FALSE;
  /* "backoff time: 6250 milliseconds", "retry after 30 seconds",
   * "try again in 5 s": the first number after such a word. */
  if ((at = strstr (lower, "backoff")) == NULL && (at = strstr (lower, "retry")) == NULL &&
      (at = strstr (lower, "again in")) == NULL)
    return TRUE;
  while (*at && !g_ascii_isdigit (*at))
    at++;
  if (*at)
    {
      char *end = NULL;
      guint64 n = g_ascii_strtoull (at, &end, 10);

      while (*end == ' ')
        end++;
      if (g_str_has_prefix (end, "ms") || g_str_has_prefix (end, "milli"))
        *hint_ms = (guint) MIN (n, G_MAXUINT);
      else
        *hint_ms = (guint) MIN (n * 1000, G_MAXUINT);
    }
  return TRUE;
}

/* Any failure of the byte stream once open means the session is gone:
 * report it as a closed (or timed out) connection naming the peer, which
 * the engine treats as repository-wide and transient, so it reconnects. */
void
_mailsync_imap_connection_lost (MailsyncImapConnection *self, const GError *cause)
{
  g_autofree char *peer = _mailsync_imap_connection_peer_label (self);
  g_autoptr(GError) error = NULL;
  int code = g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ? G_IO_ERROR_TIMED_OUT
                                                                       : G_IO_ERROR_CONNECTION_CLOSED;

  if (self->fatal != NULL)
    return;
  if (self->bye_text != NULL)
    /* "BYE [UNAVAILABLE] ..." / "Too many simultaneous connections": not
     * a fault of the network, a limit to wait out. */
    error = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED,
                         "Connection to %s closed by the server: BYE %s", peer, self->bye_text);
  else
    error = g_error_new (G_IO_ERROR, code, "Connection to %s lost: %s", peer, cause->message);
  _mailsync_imap_connection_fail_everything (self, error);
}

/* Whether a reply is owed to us: only then does silence count against
 * socktimeout (an idle connection between commands, or in IDLE, is fine). */
gboolean
_mailsync_imap_connection_waiting_for_server (MailsyncImapConnection *self)
{
  if (self->greeting_task != NULL || self->writing)
    return TRUE;
  for (GList *l = self->in_flight.head; l; l = l->next)
    if (!((MailsyncImapRequest *) l->data)->no_timeout)
      return TRUE;
  return FALSE;
}

void
_mailsync_imap_connection_note_activity (MailsyncImapConnection *self)
{
  self->last_activity = g_get_monotonic_time ();
}

/* The socket's own timeout (g_socket_set_timeout) would also fire on the
 * read that is always pending on an idle connection; this tick applies
 * socktimeout only while a reply is owed, and works for tunnels too. */
static gboolean
watchdog_tick (gpointer user_data)
{
  MailsyncImapConnection *self = user_data;
  gint64 limit = (gint64) self->settings->timeout * G_USEC_PER_SEC;

  if (self->stream == NULL || self->fatal != NULL || !_mailsync_imap_connection_waiting_for_server (self))
    return G_SOURCE_CONTINUE;
  if (g_get_monotonic_time () - self->last_activity >= limit)
    {
      g_autofree char *peer = _mailsync_imap_connection_peer_label (self);
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                             "Connection to %s timed out: no answer for %u seconds (socktimeout)",
                                             peer, self->settings->timeout);

      IMAP_DEBUG ("%s", error->message);
      _mailsync_imap_connection_fail_everything (self, error);
      /* Stop the pending read and write: the session cannot be trusted
       * to resume in the middle of a response. */
      g_cancellable_cancel (self->io_cancellable);
    }
  return G_SOURCE_CONTINUE;
}

void
_mailsync_imap_connection_start_watchdog (MailsyncImapConnection *self)
{
  if (self->settings->timeout == 0 || self->watchdog != NULL)
    return;
  _mailsync_imap_connection_note_activity (self);
  self->watchdog = g_timeout_source_new_seconds (1);
  g_source_set_callback (self->watchdog, watchdog_tick, self, NULL);
  g_source_set_static_name (self->watchdog, "[mailsync] IMAP socktimeout");
  g_source_attach (self->watchdog, g_main_context_get_thread_default ());
}

/* ---- sending ------------------------------------------------------------------ */

static void
enqueue (MailsyncImapConnection *self, MailsyncImapRequest *request)
{
  request->tag = make_tag (self->next_tag++);
  self->commands_sent++;
  /* ahead of what waits for room in the pipeline, and not held by it
   * (schedule_requests()) */
  if (request->unlimited)
    g_queue_push_head (&self->pending, request);
  else
    g_queue_push_tail (&self->pending, request);
  _mailsync_imap_connection_schedule_requests (self);
  _mailsync_imap_connection_start_reading (self);
}

void
mailsync_imap_connection_send_async (MailsyncImapConnection *self,
                                     MailsyncImapRequest    *request,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  request->task = g_task_new (self, cancellable, callback, user_data);
  /* the function, not GLib's macro, which also names the task with a
   * copy of the tag's text: one task per command */
  (g_task_set_source_tag) (request->task, mailsync_imap_connection_send_async);
  if (self->fatal != NULL || self->stream == NULL)
    {
      GTask *task = g_steal_pointer (&request->task);
      if (self->fatal)
        g_task_return_error (task, g_error_copy (self->fatal));
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "Not connected");
      g_object_unref (task);
      mailsync_imap_request_free (request);
      return;
    }
  enqueue (self, request);
}

void
_mailsync_imap_connection_send_direct (MailsyncImapConnection  *self,
                                       MailsyncImapRequest     *request,
                                       GCancellable            *cancellable,
                                       MailsyncImapRequestDone  done,
                                       gpointer                 user_data)
{
  request->done = done;
  request->done_data = user_data;
  request->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  if (self->fatal != NULL || self->stream == NULL)
    {
      _mailsync_imap_connection_return_request (self, request, NULL,
                                                self->fatal != NULL ? g_error_copy (self->fatal)
                                                  : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                                         "Not connected"));
      mailsync_imap_request_free (request);
      return;
    }
  enqueue (self, request);
}

MailsyncImapResponse *
mailsync_imap_connection_send_finish (MailsyncImapConnection *self,
                                      GAsyncResult           *result,
                                      GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
mailsync_imap_connection_take_throttle (MailsyncImapConnection *self, guint *hint_ms, char **text)
{
  gboolean throttled = self->throttled;

  *hint_ms = self->throttle_hint_ms;
  *text = g_steal_pointer (&self->throttle_text);
  self->throttled = FALSE;
  self->throttle_hint_ms = 0;
  return throttled;
}

/* Fewer commands in flight from now on (a throttled server); 0: the
 * default again (a new sync, repository-sync.c). */
void
mailsync_imap_connection_set_max_in_flight (MailsyncImapConnection *self, guint max_in_flight)
{
  self->settings->max_in_flight = max_in_flight != 0 ? max_in_flight : DEFAULT_MAX_IN_FLIGHT;
}

/* The run is over: LOGOUT is written and the connection closed without
 * waiting for the server's BYE and OK (issue 13: one round trip less per
 * run). Only when nothing is in flight or queued (every answer we need is
 * in) and on a socket (a tunnel's process is ended at close and might not
 * have passed the line on); FALSE otherwise, and nothing done: the caller
 * then sends LOGOUT as any command. The line goes out before the TLS
 * close_notify and the FIN of mailsync_imap_connection_close, so the
 * server reads LOGOUT first and logs a normal logout. */
gboolean
_mailsync_imap_connection_logout_and_close (MailsyncImapConnection *self, GCancellable *cancellable)
{
  g_autofree char *line = NULL;
  gsize written = 0;
  gboolean ok;

  if (self->stream == NULL || self->out == NULL || self->fatal != NULL || self->tunnel != NULL || self->writing
      || !g_queue_is_empty (&self->write_queue) || !g_queue_is_empty (&self->in_flight)
      || !g_queue_is_empty (&self->pending))
    return FALSE;
  line = g_strdup_printf ("A%u LOGOUT\r\n", self->next_tag++);
  IMAP_DEBUG ("C: %.*s", (int) strlen (line) - 2, line);
  IMAP_DEBUG ("closing without waiting for the answer to LOGOUT");
  self->commands_sent++;
  ok = g_output_stream_write_all (self->out, line, strlen (line), &written, cancellable, NULL)
       && g_output_stream_flush (self->out, cancellable, NULL);
  self->bytes_written += written;
  if (!ok)
    IMAP_DEBUG ("LOGOUT not written; closing");
  mailsync_imap_connection_close (self);
  return TRUE;
}

void
mailsync_imap_connection_close (MailsyncImapConnection *self)
{
  if (self->stream == NULL)
    return;
  g_cancellable_cancel (self->io_cancellable);
  if (self->fatal == NULL)
    {
      g_autoptr(GError) closed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "Connection closed");
      _mailsync_imap_connection_fail_everything (self, closed);
    }
  g_io_stream_close (self->stream, NULL, NULL);
  g_clear_object (&self->stream);
  self->in = NULL;
  self->out = NULL;
  if (self->tunnel)
    {
      g_subprocess_force_exit (self->tunnel);
      g_clear_object (&self->tunnel);
    }
}
