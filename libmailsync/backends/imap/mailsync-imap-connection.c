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

#include "mailsync-imap-connection.h"
#include "mailsync-imap-auth.h"
#include "mailsync-imap-parser.h"
#include "mailsync-imap-tokenizer.h"
#include "net/mailsync-net-private.h"
#include "net/mailsync-tls-stream.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-worker.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define DEFAULT_MAX_IN_FLIGHT 64
/* RFC 7888 §4: LITERAL- allows non-synchronizing literals up to 4096. */
#define LITERAL_MINUS_MAX 4096

#define IMAP_DEBUG(...) g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, __VA_ARGS__)

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
  g_free (settings);
}

/* ---- requests -------------------------------------------------------------- */

typedef struct
{
  GBytes *literal;        /* NULL for the first part and for streams */
  GInputStream *stream;   /* a literal read from here as it is sent */
  guint64 stream_size;
  char *text;
} RequestPart;

/* What waits to be written: bytes, or the rest of a streamed literal. */
typedef struct
{
  GBytes *bytes;
  GInputStream *stream;
  guint64 remaining;
} WriteItem;

static void
write_item_free (WriteItem *item)
{
  g_clear_pointer (&item->bytes, g_bytes_unref);
  g_clear_object (&item->stream);
  g_free (item);
}

static guint64
part_literal_size (const RequestPart *part)
{
  return part->stream != NULL ? part->stream_size : g_bytes_get_size (part->literal);
}

struct _MailsyncImapRequest
{
  char *tag;
  GArray *parts;          /* RequestPart */
  guint next_part;        /* first part not yet written */
  char *log_text;
  MailsyncImapUntaggedFunc untagged;
  gpointer untagged_data;
  MailsyncImapContinuationFunc continuation;
  gpointer continuation_data;
  GTask *task;
  gboolean written;       /* the whole command is on the wire */
  gboolean no_timeout;    /* IDLE: the server may rightly stay silent */
};

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

void
mailsync_imap_request_free (MailsyncImapRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->tag);
  g_array_unref (request->parts);
  g_free (request->log_text);
  g_clear_object (&request->task);
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

struct _MailsyncImapConnection
{
  GObject parent_instance;

  MailsyncImapSettings *settings;
  GIOStream *stream;
  GInputStream *in;
  GOutputStream *out;
  GSubprocess *tunnel;
  MailsyncImapParser *parser;
  GCancellable *io_cancellable;  /* cancels the read loop on close */

  guint next_tag;
  GQueue pending;                /* requests not yet completely written */
  GQueue in_flight;              /* written (or being written), awaiting the tag */
  MailsyncImapRequest *awaiting_plus; /* stopped before a synchronizing literal */
  GQueue write_queue;            /* WriteItem, in order */
  gboolean writing;
  gboolean reading;
  gboolean compressed;           /* output must be flushed after each write */
  gboolean utf8_accept;          /* ENABLE UTF8=ACCEPT succeeded (RFC 6855) */

  GHashTable *capabilities;      /* upper-case name -> name */
  char *greeting;
  gboolean preauth;
  gboolean bye;
  char *bye_text;                /* a BYE that limits us: why the server closes */
  GError *fatal;                 /* the connection is dead */

  /* the server said it limits us (issue 12 item 9); the repository backs
   * off before it uses this connection again */
  gboolean throttled;
  guint throttle_hint_ms;        /* the server's own suggested wait, 0 for none */
  char *throttle_text;           /* what it said */

  MailsyncImapUntaggedFunc unsolicited;
  gpointer unsolicited_data;

  MailsyncImapCertificateFunc certificate_handler;
  gpointer certificate_data;

  /* the mechanism whose login the server refused (NO), for the
   * repository: a refused OAuth2 token is refreshed once */
  MailsyncImapAuthMechanism auth_refused;

  /* while opening: wait for the greeting */
  GTask *greeting_task;

  /* socktimeout: a tick checks how long the server has kept us waiting */
  GSource *watchdog;
  gint64 last_activity;          /* monotonic µs of the last byte in or out */

  /* for -P and callers' statistics: protocol bytes (before COMPRESS) */
  guint64 bytes_read;
  guint64 bytes_written;
  guint64 commands_sent;
};

G_DEFINE_FINAL_TYPE (MailsyncImapConnection, mailsync_imap_connection, G_TYPE_OBJECT)

static void start_reading (MailsyncImapConnection *self);
static void pump_writes (MailsyncImapConnection *self);
static void fail_everything (MailsyncImapConnection *self, const GError *error);

static void
mailsync_imap_connection_dispose (GObject *object)
{
  MailsyncImapConnection *self = MAILSYNC_IMAP_CONNECTION (object);

  mailsync_imap_connection_close (self);
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
  g_free (self->greeting);
  g_free (self->bye_text);
  g_free (self->throttle_text);
  g_clear_error (&self->fatal);
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

static void
set_capabilities (MailsyncImapConnection *self, char **names)
{
  g_hash_table_remove_all (self->capabilities);
  for (guint i = 0; names && names[i]; i++)
    g_hash_table_insert (self->capabilities, g_ascii_strup (names[i], -1), g_strdup (names[i]));
}

/* How errors name the other end. A tunnel's command line may carry
 * host names and keys the user would not want in a log: not shown. */
static char *
peer_label (MailsyncImapConnection *self)
{
  if (self->settings->preauth_tunnel)
    return g_strdup ("the preauthtunnel");
  if (self->settings->transport_tunnel)
    return g_strdup_printf ("%s (via transporttunnel)", self->settings->host ? self->settings->host : "the server");
  return g_strdup_printf ("%s:%u", self->settings->host ? self->settings->host : "?", self->settings->port);
}

/* Whether a NO, BAD or BYE says the server limits this client for now
 * (issue 12 item 9) rather than refusing the command: the RFC 5530 codes
 * and the texts of the large providers (Gmail: "Too many simultaneous
 * connections", "Account exceeded command or bandwidth limits"; Office
 * 365: "Request is throttled. Suggested Backoff Time: 6250 milliseconds";
 * WorkMail: [LIMIT]). [LIMIT] on an APPEND is the message's size, not a
 * rate: that stays the command's refusal. @hint_ms is the wait the server
 * suggests, 0 when it says none. */
static gboolean
is_throttling (const char *verb, const MailsyncImapCode *code, const char *text, guint *hint_ms)
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
static void
connection_lost (MailsyncImapConnection *self, const GError *cause)
{
  g_autofree char *peer = peer_label (self);
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
  fail_everything (self, error);
}

/* Whether a reply is owed to us: only then does silence count against
 * socktimeout (an idle connection between commands, or in IDLE, is fine). */
static gboolean
waiting_for_server (MailsyncImapConnection *self)
{
  if (self->greeting_task != NULL || self->writing)
    return TRUE;
  for (GList *l = self->in_flight.head; l; l = l->next)
    if (!((MailsyncImapRequest *) l->data)->no_timeout)
      return TRUE;
  return FALSE;
}

static void
note_activity (MailsyncImapConnection *self)
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

  if (self->stream == NULL || self->fatal != NULL || !waiting_for_server (self))
    return G_SOURCE_CONTINUE;
  if (g_get_monotonic_time () - self->last_activity >= limit)
    {
      g_autofree char *peer = peer_label (self);
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                             "Connection to %s timed out: no answer for %u seconds (socktimeout)",
                                             peer, self->settings->timeout);

      IMAP_DEBUG ("%s", error->message);
      fail_everything (self, error);
      /* Stop the pending read and write: the session cannot be trusted
       * to resume in the middle of a response. */
      g_cancellable_cancel (self->io_cancellable);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_watchdog (MailsyncImapConnection *self)
{
  if (self->settings->timeout == 0 || self->watchdog != NULL)
    return;
  note_activity (self);
  self->watchdog = g_timeout_source_new_seconds (1);
  g_source_set_callback (self->watchdog, watchdog_tick, self, NULL);
  g_source_set_static_name (self->watchdog, "[mailsync] IMAP socktimeout");
  g_source_attach (self->watchdog, g_main_context_get_thread_default ());
}

/* ---- spooling large literals ----------------------------------------------- */

/* Message bodies above this size go to a spool file as they arrive
 * instead of being buffered: the 64 fetches in flight must not cost 64
 * message sizes of memory. Small ones are cheaper in memory. */
#define SPOOL_THRESHOLD (256 * 1024)

/* An unlinked file: nothing is left behind whatever happens to the
 * process. In the user's cache directory rather than /tmp, which is often
 * a tmpfs, i.e. memory again. */
int
_mailsync_imap_spool_open (GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "mailsync", NULL);
  g_autofree char *path = NULL;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_free (dir);
      dir = g_strdup (g_get_tmp_dir ());
    }
#ifdef O_TMPFILE
  /* Nameless from the start, and a Maildir delivery on the same file
   * system can link it into its tmp/ directory instead of copying it. */
  fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
  if (fd >= 0)
    return fd;
#endif
  path = g_build_filename (dir, "spool-XXXXXX", NULL);
  fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot create a spool file in %s: %s",
                   dir, g_strerror (saved));
      return -1;
    }
  g_unlink (path);
  return fd;
}

/* CRLF -> LF (Maildir form, as _mailsync_maildir_copy_to_fd() converts:
 * a lone CR stays) while a body literal is spooled, and LF -> CRLF when it
 * is read back, which gives the literal's bytes again (IMAP literals have
 * no lone LF; APPEND would make one CRLF anyway). */
#define LINE_ENDS_TYPE (line_ends_get_type ())
G_DECLARE_FINAL_TYPE (LineEnds, line_ends, MAILSYNC, LINE_ENDS, GObject)

struct _LineEnds
{
  GObject parent_instance;
  gboolean to_lf;
  gboolean pending_cr;
};

static void line_ends_converter_init (GConverterIface *iface);

G_DEFINE_TYPE_WITH_CODE (LineEnds, line_ends, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_CONVERTER, line_ends_converter_init))

static GConverterResult
line_ends_convert (GConverter      *converter,
                   const void      *inbuf,
                   gsize            inbuf_size,
                   void            *outbuf,
                   gsize            outbuf_size,
                   GConverterFlags  flags,
                   gsize           *bytes_read,
                   gsize           *bytes_written,
                   GError         **error)
{
  LineEnds *self = MAILSYNC_LINE_ENDS (converter);
  const char *in = inbuf;
  char *out = outbuf;
  gsize i = 0;
  gsize o = 0;

  if (self->to_lf)
    {
      while (i < inbuf_size)
        {
          if (self->pending_cr)
            {
              if (o >= outbuf_size)
                break;
              if (in[i] == '\n')
                {
                  out[o++] = '\n';
                  i++;
                }
              else
                out[o++] = '\r';
              self->pending_cr = FALSE;
              continue;
            }
          if (in[i] == '\r')
            {
              self->pending_cr = TRUE;
              i++;
              continue;
            }
          if (o >= outbuf_size)
            break;
          out[o++] = in[i++];
        }
      if (i == inbuf_size && self->pending_cr && (flags & G_CONVERTER_INPUT_AT_END) && o < outbuf_size)
        {
          out[o++] = '\r';
          self->pending_cr = FALSE;
        }
    }
  else
    {
      for (; i < inbuf_size; i++)
        {
          if (in[i] == '\n')
            {
              if (o + 2 > outbuf_size)
                break;
              out[o++] = '\r';
            }
          else if (o >= outbuf_size)
            break;
          out[o++] = in[i];
        }
    }
  if (i == 0 && o == 0 && (inbuf_size > 0 || (self->pending_cr && (flags & G_CONVERTER_INPUT_AT_END))))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Need more output space");
      return G_CONVERTER_ERROR;
    }
  *bytes_read = i;
  *bytes_written = o;
  if (i == inbuf_size && !self->pending_cr && (flags & G_CONVERTER_INPUT_AT_END))
    return G_CONVERTER_FINISHED;
  if (i == inbuf_size && (flags & G_CONVERTER_FLUSH))
    return G_CONVERTER_FLUSHED;
  return G_CONVERTER_CONVERTED;
}

static void
line_ends_reset (GConverter *converter)
{
  MAILSYNC_LINE_ENDS (converter)->pending_cr = FALSE;
}

static void
line_ends_converter_init (GConverterIface *iface)
{
  iface->convert = line_ends_convert;
  iface->reset = line_ends_reset;
}

static void
line_ends_class_init (LineEndsClass *klass)
{
}

static void
line_ends_init (LineEnds *self)
{
}

static GConverter *
line_ends_new (gboolean to_lf)
{
  LineEnds *self = g_object_new (LINE_ENDS_TYPE, NULL);

  self->to_lf = to_lf;
  return G_CONVERTER (self);
}

GInputStream *
_mailsync_imap_spool_reopen (GOutputStream *spool, GError **error)
{
  GOutputStream *base = spool;
  g_autoptr(GInputStream) raw = NULL;
  g_autoptr(GConverter) to_crlf = NULL;
  GInputStream *content;
  int fd;

  /* A body literal was spooled in Maildir form: end its conversion (a
   * final CR) and read it back with its CRLF line ends. */
  if (G_IS_CONVERTER_OUTPUT_STREAM (spool))
    {
      if (!g_output_stream_is_closed (spool) && !g_output_stream_close (spool, NULL, error))
        return NULL;
      base = g_filter_output_stream_get_base_stream (G_FILTER_OUTPUT_STREAM (spool));
    }
  if (!G_IS_UNIX_OUTPUT_STREAM (base))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Not a spool stream");
      return NULL;
    }
  fd = dup (g_unix_output_stream_get_fd (G_UNIX_OUTPUT_STREAM (base)));
  if (fd < 0 || lseek (fd, 0, SEEK_SET) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot read the spool file: %s",
                   g_strerror (saved));
      return NULL;
    }
  raw = g_unix_input_stream_new (fd, TRUE);
  if (base == spool)
    return g_steal_pointer (&raw);
  to_crlf = line_ends_new (FALSE);
  content = g_converter_input_stream_new (raw, to_crlf);
  _mailsync_spool_set_fd (content, fd);
  return content;
}

static GOutputStream *
spool_literal (const MailsyncImapLiteralInfo *info, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) base = NULL;
  g_autoptr(GConverter) to_lf = NULL;
  GOutputStream *spool;
  int fd;

  if (info->size < SPOOL_THRESHOLD ||
      (strcmp (info->name, "BODY[]") != 0 && strcmp (info->name, "BINARY[]") != 0 &&
       strcmp (info->name, "RFC822") != 0))
    return NULL;
  fd = _mailsync_imap_spool_open (&error);
  if (fd < 0)
    {
      /* Still correct, only costlier: buffer it. */
      IMAP_DEBUG ("%s; buffering the literal in memory", error->message);
      return NULL;
    }
  base = g_unix_output_stream_new (fd, TRUE);
  /* BINARY[] may hold a lone LF that CRLF could not give back. */
  if (info->literal8 || strcmp (info->name, "BINARY[]") == 0)
    return g_steal_pointer (&base);
  to_lf = line_ends_new (TRUE);
  spool = g_converter_output_stream_new (base, to_lf);
  /* _mailsync_imap_spool_reopen() closes the conversion, not the file. */
  g_filter_output_stream_set_close_base_stream (G_FILTER_OUTPUT_STREAM (spool), FALSE);
  return spool;
}

/* ---- writing ----------------------------------------------------------------- */

static void
queue_bytes (MailsyncImapConnection *self, GBytes *bytes)
{
  WriteItem *item = g_new0 (WriteItem, 1);

  item->bytes = bytes;
  g_queue_push_tail (&self->write_queue, item);
}

static void
queue_stream (MailsyncImapConnection *self, GInputStream *stream, guint64 size)
{
  WriteItem *item = g_new0 (WriteItem, 1);

  item->stream = g_object_ref (stream);
  item->remaining = size;
  g_queue_push_tail (&self->write_queue, item);
}

static void
queue_text (MailsyncImapConnection *self, const char *text)
{
  queue_bytes (self, g_bytes_new (text, strlen (text)));
}

static gboolean
can_skip_sync (MailsyncImapConnection *self, guint64 size)
{
  return mailsync_imap_connection_has_capability (self, "LITERAL+") ||
         (mailsync_imap_connection_has_capability (self, "LITERAL-") && size <= LITERAL_MINUS_MAX);
}

/* Writes as much of @request as can go without waiting for "+". Returns
 * TRUE when the whole command is queued. */
static gboolean
write_request_parts (MailsyncImapConnection *self, MailsyncImapRequest *request)
{
  while (request->next_part < request->parts->len)
    {
      RequestPart *part = &g_array_index (request->parts, RequestPart, request->next_part);
      RequestPart *next = request->next_part + 1 < request->parts->len
        ? &g_array_index (request->parts, RequestPart, request->next_part + 1) : NULL;

      /* The "{n}" was sent with the previous text; this is the data. */
      if (part->literal != NULL)
        queue_bytes (self, g_bytes_ref (part->literal));
      else if (part->stream != NULL)
        queue_stream (self, part->stream, part->stream_size);
      queue_text (self, part->text);
      request->next_part++;
      if (next == NULL)
        {
          queue_text (self, "\r\n");
          return TRUE;
        }
      if (can_skip_sync (self, part_literal_size (next)))
        {
          g_autofree char *marker = g_strdup_printf ("{%" G_GUINT64_FORMAT "+}\r\n", part_literal_size (next));
          queue_text (self, marker);
        }
      else
        {
          g_autofree char *marker = g_strdup_printf ("{%" G_GUINT64_FORMAT "}\r\n", part_literal_size (next));
          queue_text (self, marker);
          self->awaiting_plus = request;
          return FALSE;
        }
    }
  return TRUE;
}

static void
log_command (MailsyncImapRequest *request)
{
  if (request->log_text != NULL)
    IMAP_DEBUG ("C: %s %s", request->tag, request->log_text);
  else
    {
      RequestPart *first = &g_array_index (request->parts, RequestPart, 0);
      IMAP_DEBUG ("C: %s %s%s", request->tag, first->text, request->parts->len > 1 ? " {literal...}" : "");
    }
}

/* Moves pending requests onto the wire while allowed. */
static void
schedule_requests (MailsyncImapConnection *self)
{
  while (self->awaiting_plus == NULL && !g_queue_is_empty (&self->pending) &&
         g_queue_get_length (&self->in_flight) < self->settings->max_in_flight)
    {
      MailsyncImapRequest *request = g_queue_pop_head (&self->pending);
      g_autofree char *prefix = g_strdup_printf ("%s ", request->tag);

      /* socktimeout counts from the first command the server owes. */
      if (!waiting_for_server (self))
        note_activity (self);
      log_command (request);
      queue_text (self, prefix);
      g_queue_push_tail (&self->in_flight, request);
      request->written = write_request_parts (self, request);
    }
  pump_writes (self);
}

static void
flush_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MailsyncImapConnection) self = user_data;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  if (!g_output_stream_flush_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        connection_lost (self, error);
      return;
    }
  note_activity (self);
  pump_writes (self);
}

static void
write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MailsyncImapConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  gsize written = 0;
  gboolean ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &written, &error);

  self->bytes_written += written;
  if (!ok)
    {
      self->writing = FALSE;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        connection_lost (self, error);
      return;
    }
  note_activity (self);
  if (self->compressed)
    {
      /* A deflate stream holds data back until flushed (Z_SYNC_FLUSH):
       * the server must see each command when we send it. */
      g_output_stream_flush_async (G_OUTPUT_STREAM (source), G_PRIORITY_DEFAULT, self->io_cancellable,
                                   flush_done, g_object_ref (self));
      return;
    }
  self->writing = FALSE;
  pump_writes (self);
}

/* A streamed literal is read a slice at a time, just before it is
 * written: a 10 MB APPEND costs one slice of memory. The source is a
 * local (spool) file, so a blocking read is short. */
#define STREAM_SLICE (256 * 1024)

static gboolean
read_slice (MailsyncImapConnection *self, WriteItem *item, GByteArray *merged)
{
  g_autoptr(GError) error = NULL;
  gsize want = (gsize) MIN (item->remaining, STREAM_SLICE);
  gsize start = merged->len;
  gsize got = 0;

  g_byte_array_set_size (merged, start + want);
  if (!g_input_stream_read_all (item->stream, merged->data + start, want, &got, NULL, &error) || got != want)
    {
      g_autoptr(GError) short_read = NULL;

      /* The server was promised exactly this many bytes: the session
       * cannot continue. */
      if (error == NULL)
        short_read = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                  "message content ended %" G_GUINT64_FORMAT " bytes early",
                                  item->remaining - got);
      connection_lost (self, error ? error : short_read);
      return FALSE;
    }
  item->remaining -= want;
  return TRUE;
}

static void
pump_writes (MailsyncImapConnection *self)
{
  WriteItem *item;
  g_autoptr(GByteArray) merged = NULL;

  if (self->writing || self->out == NULL || g_queue_is_empty (&self->write_queue))
    return;
  /* Coalesce small pieces into one write: a pipeline of 64 short UID
   * STOREs becomes one packet, not 64. */
  merged = g_byte_array_new ();
  while ((item = g_queue_pop_head (&self->write_queue)) != NULL)
    {
      if (item->stream != NULL)
        {
          if (!read_slice (self, item, merged))
            {
              write_item_free (item);
              return;
            }
          if (item->remaining > 0)
            {
              g_queue_push_head (&self->write_queue, item);
              break;
            }
        }
      else
        {
          gsize len;
          const guint8 *data = g_bytes_get_data (item->bytes, &len);
          g_byte_array_append (merged, data, len);
        }
      write_item_free (item);
      if (merged->len > 1024 * 1024)
        break;
    }
  self->writing = TRUE;
  {
    GBytes *chunk = g_byte_array_free_to_bytes (g_steal_pointer (&merged));
    gsize len;
    const guint8 *data = g_bytes_get_data (chunk, &len);

    /* The chunk must outlive the write: tie it to the connection ref. */
    g_object_set_data_full (G_OBJECT (self), "mailsync-write-chunk", chunk, (GDestroyNotify) g_bytes_unref);
    g_output_stream_write_all_async (self->out, data, len, G_PRIORITY_DEFAULT, self->io_cancellable,
                                     write_done, g_object_ref (self));
  }
}

/* ---- completing requests ---------------------------------------------------- */

static void
complete_request (MailsyncImapConnection *self, MailsyncImapRequest *request, MailsyncImapResponse *response)
{
  GTask *task = g_steal_pointer (&request->task);

  g_queue_remove (&self->in_flight, request);
  if (self->awaiting_plus == request)
    self->awaiting_plus = NULL;

  if (response->status == MAILSYNC_IMAP_STATUS_OK)
    g_task_return_pointer (task, mailsync_imap_response_ref (response), (GDestroyNotify) mailsync_imap_response_unref);
  else
    {
      g_autofree char *first = g_strdup (g_array_index (request->parts, RequestPart, 0).text);
      char *space = strchr (first, ' ');
      int code = response->status == MAILSYNC_IMAP_STATUS_NO ? MAILSYNC_IMAP_ERROR_NO : MAILSYNC_IMAP_ERROR_BAD;

      if (space)
        *space = '\0';
      if (response->code && response->code->kind == MAILSYNC_IMAP_CODE_AUTHENTICATIONFAILED)
        code = MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED;
      else if (is_throttling (first, response->code, response->text, &self->throttle_hint_ms))
        {
          code = MAILSYNC_IMAP_ERROR_THROTTLED;
          self->throttled = TRUE;
          g_free (self->throttle_text);
          self->throttle_text = g_strdup_printf ("%s %s: %s%s%s%s", first,
                                                 response->status == MAILSYNC_IMAP_STATUS_NO ? "NO" : "BAD",
                                                 response->code ? "[" : "", response->code ? response->code->name : "",
                                                 response->code ? "] " : "", response->text ? response->text : "");
        }
      g_task_return_new_error (task, MAILSYNC_IMAP_ERROR, code, "%s %s: %s%s%s%s", first,
                               response->status == MAILSYNC_IMAP_STATUS_NO ? "NO" : "BAD",
                               response->code ? "[" : "", response->code ? response->code->name : "",
                               response->code ? "] " : "", response->text ? response->text : "");
    }
  g_object_unref (task);
  mailsync_imap_request_free (request);
  schedule_requests (self);
}

static void
fail_everything (MailsyncImapConnection *self, const GError *error)
{
  MailsyncImapRequest *request;

  if (self->fatal == NULL)
    self->fatal = g_error_copy (error);
  IMAP_DEBUG ("connection failed: %s", error->message);
  self->awaiting_plus = NULL;
  while ((request = g_queue_pop_head (&self->in_flight)) != NULL ||
         (request = g_queue_pop_head (&self->pending)) != NULL)
    {
      GTask *task = g_steal_pointer (&request->task);
      g_task_return_error (task, g_error_copy (self->fatal));
      g_object_unref (task);
      mailsync_imap_request_free (request);
    }
  if (self->greeting_task)
    {
      GTask *task = g_steal_pointer (&self->greeting_task);
      g_task_return_error (task, g_error_copy (self->fatal));
      g_object_unref (task);
    }
  g_queue_clear_full (&self->write_queue, (GDestroyNotify) write_item_free);
}

void
mailsync_imap_connection_send_continuation_line (MailsyncImapConnection *self,
                                                 const char             *line)
{
  if (self->out == NULL || self->fatal != NULL)
    return;
  IMAP_DEBUG ("C: %s", line);
  queue_text (self, line);
  queue_text (self, "\r\n");
  /* The command now owes its tagged reply: socktimeout applies again. */
  for (GList *l = self->in_flight.head; l; l = l->next)
    ((MailsyncImapRequest *) l->data)->no_timeout = FALSE;
  note_activity (self);
  pump_writes (self);
}

/* ---- reading ---------------------------------------------------------------- */

static void
handle_continuation (MailsyncImapConnection *self, MailsyncImapResponse *response)
{
  MailsyncImapRequest *request = self->awaiting_plus;

  if (request != NULL)
    {
      self->awaiting_plus = NULL;
      request->written = write_request_parts (self, request);
      schedule_requests (self);
      return;
    }
  /* AUTHENTICATE and IDLE are the commands a "+" answers. */
  for (GList *l = self->in_flight.head; l; l = l->next)
    {
      MailsyncImapRequest *r = l->data;
      g_autoptr(GError) error = NULL;
      g_autofree char *line = NULL;

      if (r->continuation == NULL)
        continue;
      line = r->continuation (response->text ? response->text : "", r->continuation_data, &error);
      if (line == NULL && error == NULL)
        {
          /* The command answers later (IDLE's DONE), through
           * mailsync_imap_connection_send_continuation_line(). */
          return;
        }
      if (line == NULL)
        {
          /* RFC 3501 §6.2.2: "*" cancels an AUTHENTICATE exchange. */
          queue_text (self, "*\r\n");
        }
      else
        {
          IMAP_DEBUG ("C: <continuation data redacted>");
          queue_text (self, line);
          queue_text (self, "\r\n");
          memset (line, 0, strlen (line));
        }
      pump_writes (self);
      return;
    }
  {
    g_autoptr(GError) error = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                                           "Unexpected continuation request from the server: + %s",
                                           response->text ? response->text : "");
    fail_everything (self, error);
  }
}

static void
dispatch (MailsyncImapConnection *self, MailsyncImapResponse *response)
{
  switch (response->kind)
    {
    case MAILSYNC_IMAP_RESPONSE_CONTINUATION:
      handle_continuation (self, response);
      return;

    case MAILSYNC_IMAP_RESPONSE_TAGGED:
      for (GList *l = self->in_flight.head; l; l = l->next)
        {
          MailsyncImapRequest *request = l->data;
          if (g_strcmp0 (request->tag, response->tag) == 0)
            {
              /* A tagged response may carry new capabilities (after
               * login, RFC 3501 §7.1). */
              if (response->code && response->code->kind == MAILSYNC_IMAP_CODE_CAPABILITY)
                set_capabilities (self, response->code->strv);
              complete_request (self, request, response);
              return;
            }
        }
      {
        g_autoptr(GError) error = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                                               "Server answered unknown tag %s", response->tag);
        fail_everything (self, error);
      }
      return;

    case MAILSYNC_IMAP_RESPONSE_UNTAGGED:
      break;
    }

  if (response->data_kind == MAILSYNC_IMAP_DATA_CAPABILITY)
    set_capabilities (self, response->u.strv);
  if (response->code && response->code->kind == MAILSYNC_IMAP_CODE_CAPABILITY)
    set_capabilities (self, response->code->strv);
  if (response->status == MAILSYNC_IMAP_STATUS_BYE)
    {
      guint hint = 0;

      self->bye = TRUE;
      if (is_throttling (NULL, response->code, response->text, &hint))
        {
          g_free (self->bye_text);
          self->bye_text = g_strdup_printf ("%s%s%s%s", response->code ? "[" : "",
                                            response->code ? response->code->name : "",
                                            response->code ? "] " : "", response->text ? response->text : "");
          self->throttled = TRUE;
          self->throttle_hint_ms = hint;
          g_free (self->throttle_text);
          self->throttle_text = g_strdup_printf ("BYE %s", self->bye_text);
          /* The server closes next (RFC 3501 §7.1.5): fail what waits now,
           * with its reason, rather than after socktimeout or with a bare
           * end of stream. */
          if (self->greeting_task == NULL)
            {
              g_autoptr(GError) bye = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "BYE");

              connection_lost (self, bye);
              g_cancellable_cancel (self->io_cancellable);
              return;
            }
        }
    }

  if (self->greeting_task != NULL)
    {
      GTask *task = g_steal_pointer (&self->greeting_task);

      g_free (self->greeting);
      self->greeting = g_strdup (response->text ? response->text : "");
      self->preauth = response->status == MAILSYNC_IMAP_STATUS_PREAUTH;
      if (self->throttled)
        g_task_return_new_error (task, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED,
                                 "Server refused the connection: %s", self->bye_text);
      else if (response->status == MAILSYNC_IMAP_STATUS_BYE ||
          (response->status != MAILSYNC_IMAP_STATUS_OK && response->status != MAILSYNC_IMAP_STATUS_PREAUTH))
        g_task_return_new_error (task, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_BYE,
                                 "Server refused the connection: %s", self->greeting);
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  for (GList *l = self->in_flight.head; l; l = l->next)
    {
      MailsyncImapRequest *request = l->data;
      if (request->untagged != NULL)
        {
          request->untagged (response, request->untagged_data);
          return;
        }
    }
  if (self->unsolicited)
    self->unsolicited (response, self->unsolicited_data);
}

static void
log_response (const MailsyncImapResponse *response)
{
  g_autofree char *line = NULL;

  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, MAILSYNC_IMAP_LOG_DOMAIN))
    return;
  line = mailsync_imap_response_to_string (response);
  IMAP_DEBUG ("S: %.*s%s", 400, line, strlen (line) > 400 ? "..." : "");
}

static gboolean
feed (MailsyncImapConnection *self, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = mailsync_imap_parser_feed (self->parser, data, len, &error);
  MailsyncImapResponse *response;

  /* Responses completed before a parse error still count. */
  while ((response = mailsync_imap_parser_pop (self->parser)) != NULL)
    {
      log_response (response);
      dispatch (self, response);
      mailsync_imap_response_unref (response);
      if (self->fatal)
        return FALSE;
    }
  if (!ok)
    {
      IMAP_DEBUG ("unparsable server data: %s", error->message);
      fail_everything (self, error);
      return FALSE;
    }
  return TRUE;
}

static void
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MailsyncImapConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  self->reading = FALSE;
  if (bytes != NULL)
    self->bytes_read += g_bytes_get_size (bytes);
  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        connection_lost (self, error);
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      g_autoptr(GError) eof = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                   self->bye ? "the server closed it (BYE)"
                                                             : "the server closed it unexpectedly");
      connection_lost (self, eof);
      return;
    }
  note_activity (self);
  if (!feed (self, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes)))
    return;
  start_reading (self);
}

static void
start_reading (MailsyncImapConnection *self)
{
  if (self->reading || self->in == NULL || self->fatal)
    return;
  self->reading = TRUE;
  g_input_stream_read_bytes_async (self->in, READ_CHUNK, G_PRIORITY_DEFAULT, self->io_cancellable,
                                   read_done, g_object_ref (self));
}

/* ---- sending ------------------------------------------------------------------ */

void
mailsync_imap_connection_send_async (MailsyncImapConnection *self,
                                     MailsyncImapRequest    *request,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  request->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (request->task, mailsync_imap_connection_send_async);
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
  request->tag = g_strdup_printf ("A%u", self->next_tag++);
  self->commands_sent++;
  g_queue_push_tail (&self->pending, request);
  schedule_requests (self);
  start_reading (self);
}

MailsyncImapResponse *
mailsync_imap_connection_send_finish (MailsyncImapConnection *self,
                                      GAsyncResult           *result,
                                      GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- opening ------------------------------------------------------------------ */

/* Opening is a chain of steps, run on the repository's worker thread
 * (mailsync-worker.h) and awaited there one by one. */
static MailsyncImapResponse *
run (MailsyncImapConnection *self, MailsyncImapRequest *request, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mailsync_imap_connection_send_async (self, request, cancellable, _mailsync_store_result, &result);
  return mailsync_imap_connection_send_finish (self, _mailsync_await (&result), error);
}

static void
use_stream (MailsyncImapConnection *self, GIOStream *stream)
{
  g_set_object (&self->stream, stream);
  self->in = g_io_stream_get_input_stream (stream);
  self->out = g_io_stream_get_output_stream (stream);
  /* Anything read before a TLS handshake is discarded (STARTTLS
   * injection, CVE-2011-0411 class). */
  g_clear_pointer (&self->parser, mailsync_imap_parser_free);
  self->parser = mailsync_imap_parser_new ();
  mailsync_imap_parser_set_literal_handler (self->parser, spool_literal, NULL, NULL);
  mailsync_imap_parser_set_utf8_accept (self->parser, self->utf8_accept);
}

static gboolean
wait_greeting (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  self->greeting_task = g_task_new (self, cancellable, _mailsync_store_result, &result);
  g_task_set_source_tag (self->greeting_task, wait_greeting);
  start_reading (self);
  return g_task_propagate_boolean (G_TASK (_mailsync_await (&result)), error);
}

/* Stops the read loop before the stream underneath changes (TLS,
 * COMPRESS): a read still pending would consume the new layer's bytes. */
static void
stop_reading (MailsyncImapConnection *self)
{
  g_cancellable_cancel (self->io_cancellable);
  while (self->reading)
    _mailsync_await_iteration ();
  g_clear_object (&self->io_cancellable);
  self->io_cancellable = g_cancellable_new ();
}

static void
forward_cancel (GCancellable *cancellable, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

typedef struct
{
  MailsyncImapConnection *self;
  GIOStream *base;
  GCancellable *handshake;
  gboolean timed_out;
} HandshakeTimer;

/* The handshake blocks in a worker thread on a read that the cancellable
 * may not reach: cutting the transport is what surely ends it. */
static gboolean
handshake_timed_out (gpointer user_data)
{
  HandshakeTimer *timer = user_data;

  timer->timed_out = TRUE;
  g_cancellable_cancel (timer->handshake);
  if (G_IS_SOCKET_CONNECTION (timer->base))
    g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (timer->base)), TRUE, TRUE, NULL);
  else if (timer->self->tunnel != NULL)
    g_subprocess_force_exit (timer->self->tunnel);
  return G_SOURCE_REMOVE;
}

static gboolean
start_tls (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GIOStream) base = g_object_ref (self->stream);

  g_autoptr(GCancellable) handshake = g_cancellable_new ();
  g_autoptr(GSource) timer = NULL;
  g_autoptr(GError) local_error = NULL;
  HandshakeTimer state = { self, base, handshake, FALSE };
  gulong forward = 0;

  stop_reading (self);

  /* socktimeout covers the handshake too: a server that accepts and
   * never answers the ClientHello must not hang the sync. */
  if (cancellable != NULL)
    forward = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel), handshake, NULL);
  if (self->settings->timeout > 0)
    {
      timer = g_timeout_source_new_seconds (self->settings->timeout);
      g_source_set_callback (timer, handshake_timed_out, &state, NULL);
      g_source_set_static_name (timer, "[mailsync] TLS handshake socktimeout");
      g_source_attach (timer, g_main_context_get_thread_default ());
    }
  /* With a handler, a certificate that fails verification is its decision. */
  self->settings->tls->defer_verify_failure = self->certificate_handler != NULL;
  mailsync_tls_client_new_async (base, self->settings->host, self->settings->tls, G_PRIORITY_DEFAULT,
                                 handshake, _mailsync_store_result, &result);
  tls = mailsync_tls_client_new_finish (_mailsync_await (&result), &local_error);
  if (timer != NULL)
    g_source_destroy (timer);
  if (forward != 0)
    g_cancellable_disconnect (cancellable, forward);
  if (tls == NULL)
    {
      g_autofree char *peer = peer_label (self);
      const char *fault = _mailsync_net_fault (local_error);

      if (state.timed_out)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                     "Connection to %s timed out: no TLS handshake within %u seconds (socktimeout)", peer,
                     self->settings->timeout);
      else if (fault != NULL)
        /* The transport failed under the handshake (a reset, say): that
         * is the cause, not TLS, and it stays a network error that the
         * engine may retry. */
        g_set_error (error, local_error->domain, local_error->code,
                     "Connection to %s failed during the TLS handshake: %s (%s)", peer, fault,
                     local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (MAILSYNC_IS_TLS_STREAM (tls))
    {
      GTlsCertificateFlags flags = 0;
      g_autoptr(GError) failure = mailsync_tls_stream_take_verify_failure (MAILSYNC_TLS_STREAM (tls), &flags);

      if (failure != NULL)
        {
          g_autoptr(GBytes) der = mailsync_tls_stream_get_peer_certificate (MAILSYNC_TLS_STREAM (tls));
          g_autoptr(GError) refusal = NULL;

          if (!self->certificate_handler (self, der, flags, failure, cancellable, &refusal, self->certificate_data))
            {
              /* Nothing was sent: close_notify, then the socket. */
              g_io_stream_close (tls, NULL, NULL);
              g_propagate_error (error, refusal != NULL ? g_steal_pointer (&refusal) : g_steal_pointer (&failure));
              return FALSE;
            }
        }
    }
  use_stream (self, tls);
  return TRUE;
}

static gboolean
refresh_capabilities (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapResponse) ok = run (self, mailsync_imap_request_new ("CAPABILITY"), cancellable, error);

  return ok != NULL;
}

static char *
sasl_continue (const char *text, gpointer user_data, GError **error)
{
  return mailsync_imap_sasl_step (user_data, text, error);
}

/* RFC 3501 quoted strings carry 7-bit text and escape only '"' and '\\'
 * (g_strescape's octal escapes would change the password); anything else,
 * UTF-8 included, goes as a literal. */
static gboolean
quotable (const char *s)
{
  for (const guchar *p = (const guchar *) s; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      return FALSE;
  return TRUE;
}

static void
append_quoted (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (; *s; s++)
    {
      if (*s == '"' || *s == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *s);
    }
  g_string_append_c (out, '"');
}

static MailsyncImapRequest *
login_request (const char *user, const char *pass)
{
  const char *args[] = { user, pass };
  GString *texts[G_N_ELEMENTS (args) + 1] = { NULL, };
  GBytes *literals[G_N_ELEMENTS (args)] = { NULL, };
  guint n = 0;
  MailsyncImapRequest *request;

  texts[0] = g_string_new ("LOGIN ");
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    {
      if (quotable (args[i]))
        append_quoted (texts[n], args[i]);
      else
        {
          literals[n] = g_bytes_new (args[i], strlen (args[i]));
          texts[++n] = g_string_new (NULL);
        }
      if (i + 1 < G_N_ELEMENTS (args))
        g_string_append_c (texts[n], ' ');
    }
  request = mailsync_imap_request_new (texts[0]->str);
  for (guint i = 0; i < n; i++)
    mailsync_imap_request_add_literal (request, literals[i], texts[i + 1]->str);
  for (guint i = 0; i <= n; i++)
    {
      mailsync_imap_secret_clear (texts[i]->str);
      g_string_free (texts[i], TRUE);
    }
  for (guint i = 0; i < n; i++)
    g_bytes_unref (literals[i]);
  return request;
}

static gboolean
try_mechanism (MailsyncImapConnection    *self,
               MailsyncImapAuthMechanism  mechanism,
               GCancellable              *cancellable,
               GError                   **error)
{
  const char *name = mailsync_imap_auth_mechanism_name (mechanism);
  g_autoptr(MailsyncImapResponse) ok = NULL;
  MailsyncImapRequest *request;

  if (mechanism == MAILSYNC_IMAP_AUTH_LOGIN && !mailsync_imap_connection_has_capability (self, "AUTH=LOGIN"))
    {
      /* The LOGIN command (RFC 3501 §6.2.3), not the SASL mechanism. */
      g_autofree char *log_line = NULL;
      g_autoptr(GString) shown = g_string_new (NULL);

      if (mailsync_imap_connection_has_capability (self, "LOGINDISABLED"))
        {
          g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_MISSING_CAPABILITY,
                       "LOGIN: the server disabled it");
          return FALSE;
        }
      request = login_request (self->settings->user ? self->settings->user : "",
                               self->settings->password ? self->settings->password : "");
      if (quotable (self->settings->user ? self->settings->user : ""))
        append_quoted (shown, self->settings->user ? self->settings->user : "");
      else
        g_string_append (shown, "{literal}");
      log_line = g_strdup_printf ("LOGIN %s <password redacted>", shown->str);
      mailsync_imap_request_set_log_text (request, log_line);
      ok = run (self, request, cancellable, error);
      return ok != NULL;
    }
  else
    {
      gboolean bearer = mechanism == MAILSYNC_IMAP_AUTH_XOAUTH2 || mechanism == MAILSYNC_IMAP_AUTH_OAUTHBEARER;
      const char *secret = bearer && self->settings->oauth2_token != NULL ? self->settings->oauth2_token
                                                                          : self->settings->password;
      g_autoptr(MailsyncImapSasl) sasl = mailsync_imap_sasl_new (mechanism, self->settings->user, secret,
                                                                 self->settings->host, self->settings->port);
      g_autofree char *initial = NULL;
      g_autofree char *line = NULL;
      g_autofree char *log_line = NULL;

      mailsync_imap_sasl_set_authzid (sasl, self->settings->authzid);
      if (mailsync_imap_connection_has_capability (self, "SASL-IR"))
        initial = mailsync_imap_sasl_initial_response (sasl);
      line = initial ? g_strdup_printf ("AUTHENTICATE %s %s", name, initial) : g_strdup_printf ("AUTHENTICATE %s", name);
      log_line = g_strdup_printf ("AUTHENTICATE %s%s", name, initial ? " <initial response redacted>" : "");
      request = mailsync_imap_request_new (line);
      mailsync_imap_request_set_log_text (request, log_line);
      mailsync_imap_request_set_continuation_handler (request, sasl_continue, sasl);
      mailsync_imap_secret_clear (line);
      if (initial)
        mailsync_imap_secret_clear (initial);
      ok = run (self, request, cancellable, error);
      return ok != NULL;
    }
}

static gboolean
authenticate (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autofree MailsyncImapAuthMechanism *mechanisms = NULL;
  g_autoptr(GString) tried = g_string_new (NULL);
  gboolean only_bearer = TRUE, no_password = FALSE;

  self->auth_refused = MAILSYNC_IMAP_AUTH_NONE;
  mechanisms = mailsync_imap_auth_parse_list (self->settings->auth_mechanisms ? self->settings->auth_mechanisms
                                                                              : MAILSYNC_IMAP_DEFAULT_AUTH_MECHANISMS,
                                              error);
  if (mechanisms == NULL)
    return FALSE;
  for (guint i = 0; mechanisms[i] != MAILSYNC_IMAP_AUTH_NONE; i++)
    if (mechanisms[i] != MAILSYNC_IMAP_AUTH_XOAUTH2 && mechanisms[i] != MAILSYNC_IMAP_AUTH_OAUTHBEARER)
      only_bearer = FALSE;
  for (guint i = 0; mechanisms[i] != MAILSYNC_IMAP_AUTH_NONE; i++)
    {
      const char *name = mailsync_imap_auth_mechanism_name (mechanisms[i]);
      g_autofree char *cap = g_strconcat ("AUTH=", name, NULL);
      g_autoptr(GError) attempt = NULL;
      gboolean bearer = mechanisms[i] == MAILSYNC_IMAP_AUTH_XOAUTH2 || mechanisms[i] == MAILSYNC_IMAP_AUTH_OAUTHBEARER;

      if (mechanisms[i] == MAILSYNC_IMAP_AUTH_GSSAPI)
        continue; /* not built in: skipped like a mechanism the server lacks */
      if (mechanisms[i] != MAILSYNC_IMAP_AUTH_LOGIN && !mailsync_imap_connection_has_capability (self, cap))
        continue;
      /* offlineimap tries XOAUTH2 only with a token: a password sent as a
       * bearer token would be one failed login (Gmail offers XOAUTH2 to
       * every client). A list of nothing but bearer mechanisms means the
       * password is the token (the interaction's answer). */
      if (bearer && self->settings->oauth2_token == NULL && !only_bearer)
        continue;
      /* With a token and a server without XOAUTH2/OAUTHBEARER, offlineimap
       * goes on to the password mechanisms; without a password, not an
       * empty one (a failed login) but a question to the repository. */
      if (!bearer && self->settings->oauth2_token != NULL && self->settings->password == NULL)
        {
          no_password = TRUE;
          continue;
        }
      if (try_mechanism (self, mechanisms[i], cancellable, &attempt))
        return TRUE;
      /* "NO [ALERT] Too many simultaneous connections" judges no
       * password: a limit to wait out, not a failed login. */
      if (self->fatal || g_error_matches (attempt, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED))
        {
          g_propagate_error (error, g_steal_pointer (&attempt));
          return FALSE;
        }
      if (g_error_matches (attempt, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED) ||
          g_error_matches (attempt, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO))
        {
          /* The server judged the credentials: one failed login. Trying
           * the next mechanism with the same password would be a second
           * failure at the server, and servers that count them lock the
           * account or ban the address. Only a refused mechanism (BAD, a
           * disabled LOGIN, a SASL exchange gone wrong) moves on. A NO
           * [UNAVAILABLE] or [PRIVACYREQUIRED] (RFC 5530) is not about
           * the password: it stays an IMAP error, and nobody is asked
           * for another password. */
          gboolean refused = strstr (attempt->message, " NO: [UNAVAILABLE]") == NULL &&
                             strstr (attempt->message, " NO: [PRIVACYREQUIRED]") == NULL;

          if (!refused)
            {
              g_propagate_error (error, g_steal_pointer (&attempt));
              return FALSE;
            }
          self->auth_refused = mechanisms[i];
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED,
                       "Authentication to %s as %s failed (%s: %s)", self->settings->host,
                       self->settings->user ? self->settings->user : "", name, attempt->message);
          return FALSE;
        }
      g_string_append_printf (tried, "%s%s: %s", tried->len ? "; " : "", name, attempt->message);
    }
  if (no_password && tried->len == 0)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED,
                   "%s offers neither XOAUTH2 nor OAUTHBEARER, and there is no password for "
                   "the other mechanisms of auth_mechanisms (offlineimap's fallback): set remotepass "
                   "(or remotepassfile, remotepasscmd, remotepasseval)",
                   self->settings->host ? self->settings->host : "the server");
      return FALSE;
    }
  g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED,
               "Authentication to %s as %s failed (%s)", self->settings->host,
               self->settings->user ? self->settings->user : "",
               tried->len ? tried->str : "no mechanism in auth_mechanisms is offered by the server");
  return FALSE;
}

MailsyncImapAuthMechanism
mailsync_imap_connection_get_refused_mechanism (MailsyncImapConnection *self)
{
  return self->auth_refused;
}

static void
on_enabled (MailsyncImapResponse *response, gpointer user_data)
{
  gboolean *enabled = user_data;

  if (response->data_kind != MAILSYNC_IMAP_DATA_ENABLED)
    return;
  for (guint i = 0; response->u.strv != NULL && response->u.strv[i] != NULL; i++)
    if (g_ascii_strcasecmp (response->u.strv[i], "UTF8=ACCEPT") == 0)
      *enabled = TRUE;
}

/* RFC 6855: mailbox names travel as UTF-8 instead of modified UTF-7 once
 * the server ENABLEd it. Only the ENABLED response counts: a server may
 * answer OK without enabling anything. */
static gboolean
enable_utf8 (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapResponse) ok = NULL;
  MailsyncImapRequest *request = mailsync_imap_request_new ("ENABLE UTF8=ACCEPT");
  gboolean enabled = FALSE;

  mailsync_imap_request_set_untagged_handler (request, on_enabled, &enabled);
  ok = run (self, request, cancellable, error);
  if (ok == NULL)
    return FALSE;
  self->utf8_accept = enabled;
  mailsync_imap_parser_set_utf8_accept (self->parser, enabled);
  return TRUE;
}

gboolean
mailsync_imap_connection_get_utf8_accept (MailsyncImapConnection *self)
{
  return self->utf8_accept;
}

/* RFC 4978: after "OK" both directions are raw deflate streams. */
static gboolean
start_compression (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GZlibCompressor) compressor = NULL;
  g_autoptr(GZlibDecompressor) decompressor = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GIOStream) stream = NULL;

  ok = run (self, mailsync_imap_request_new ("COMPRESS DEFLATE"), cancellable, error);
  if (ok == NULL)
    return FALSE;
  stop_reading (self);
  compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW, -1);
  decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW);
  in = g_converter_input_stream_new (self->in, G_CONVERTER (decompressor));
  out = g_converter_output_stream_new (self->out, G_CONVERTER (compressor));
  /* The base stream stays referenced by the converters' base streams and
   * by the simple stream's owner below. */
  g_object_set_data_full (G_OBJECT (self), "mailsync-uncompressed-stream", g_object_ref (self->stream), g_object_unref);
  stream = g_simple_io_stream_new (in, out);
  g_set_object (&self->stream, stream);
  self->in = g_io_stream_get_input_stream (stream);
  self->out = g_io_stream_get_output_stream (stream);
  self->compressed = TRUE;
  IMAP_DEBUG ("COMPRESS=DEFLATE active");
  return TRUE;
}

static gboolean
open_sync (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GIOStream) stream = NULL;
  const MailsyncImapSettings *s = self->settings;

  if (s->preauth_tunnel)
    stream = _mailsync_net_spawn_tunnel (s->preauth_tunnel, &self->tunnel, error);
  else if (s->transport_tunnel)
    stream = _mailsync_net_spawn_tunnel (s->transport_tunnel, &self->tunnel, error);
  else
    stream = _mailsync_net_connect (s->host, s->port, s->family, s->timeout, cancellable, error);
  if (stream == NULL)
    return FALSE;
  use_stream (self, stream);
  start_watchdog (self);

  if (s->security == MAILSYNC_IMAP_SECURITY_IMPLICIT && !s->preauth_tunnel && !start_tls (self, cancellable, error))
    return FALSE;
  if (!wait_greeting (self, cancellable, error))
    return FALSE;
  if (s->preauth_tunnel && !self->preauth)
    {
      g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                   "preauthtunnel did not greet with PREAUTH: %s", self->greeting);
      return FALSE;
    }
  if (g_hash_table_size (self->capabilities) == 0 && !refresh_capabilities (self, cancellable, error))
    return FALSE;

  if (s->security == MAILSYNC_IMAP_SECURITY_STARTTLS && !s->preauth_tunnel)
    {
      g_autoptr(MailsyncImapResponse) ok = NULL;
      g_autoptr(GError) starttls_error = NULL;

      /* Never send credentials in clear: no STARTTLS, no login. */
      if (!mailsync_imap_connection_has_capability (self, "STARTTLS"))
        {
          g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_MISSING_CAPABILITY,
                       "%s does not offer STARTTLS; refusing to log in without TLS "
                       "(set ssl = yes for port 993, or starttls = no to allow clear text)", s->host);
          return FALSE;
        }
      ok = run (self, mailsync_imap_request_new ("STARTTLS"), cancellable, &starttls_error);
      /* Only a NO or BAD is the server refusing STARTTLS; a connection
       * lost or timed out while waiting for its answer is that. */
      if (ok == NULL && !g_error_matches (starttls_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO) &&
          !g_error_matches (starttls_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_BAD))
        {
          g_propagate_error (error, g_steal_pointer (&starttls_error));
          return FALSE;
        }
      if (ok == NULL)
        {
          g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_MISSING_CAPABILITY,
                       "%s refused STARTTLS (%s); refusing to log in without TLS", s->host, starttls_error->message);
          return FALSE;
        }
      if (!start_tls (self, cancellable, error))
        return FALSE;
      /* RFC 3501 §6.2.1: forget the pre-TLS capabilities. */
      g_hash_table_remove_all (self->capabilities);
      if (!refresh_capabilities (self, cancellable, error))
        return FALSE;
    }

  if (!self->preauth)
    {
      if (!authenticate (self, cancellable, error))
        return FALSE;
      if (!mailsync_imap_connection_has_capability (self, "IMAP4REV1") &&
          !mailsync_imap_connection_has_capability (self, "IMAP4REV2"))
        {
          if (!refresh_capabilities (self, cancellable, error))
            return FALSE;
        }
      else
        {
          /* Servers often send new capabilities with the login OK; if not,
           * ask, since AUTH= entries are stale after login. */
          if (mailsync_imap_connection_has_capability (self, "AUTH=PLAIN") ||
              mailsync_imap_connection_has_capability (self, "STARTTLS"))
            if (!refresh_capabilities (self, cancellable, error))
              return FALSE;
        }
    }
  if (s->compress && mailsync_imap_connection_has_capability (self, "COMPRESS=DEFLATE") &&
      !start_compression (self, cancellable, error))
    return FALSE;
  if (mailsync_imap_connection_has_capability (self, "UTF8=ACCEPT") &&
      mailsync_imap_connection_has_capability (self, "ENABLE") && !enable_utf8 (self, cancellable, error))
    return FALSE;
  return TRUE;
}

static void
open_thread_free (gpointer data)
{
}

void
mailsync_imap_connection_open_async (MailsyncImapConnection *self,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, mailsync_imap_connection_open_async);

  (void) open_thread_free;
  g_task_set_source_tag (task, mailsync_imap_connection_open_async);
  /* The steps iterate the thread-default context themselves: the engine
   * runs on its own context, so this is not a nested loop of the UI's. */
  if (open_sync (self, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    {
      mailsync_imap_connection_close (self);
      g_task_return_error (task, g_steal_pointer (&error));
    }
}

gboolean
mailsync_imap_connection_open_finish (MailsyncImapConnection *self,
                                      GAsyncResult           *result,
                                      GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Whether the server said it limits us since the last call (a NO or BYE
 * that is_throttling() recognised), the wait it suggested (ms, 0 for
 * none) and what it said. Clears the mark. */
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

/* Fewer commands in flight from now on (a throttled server); never 0. */
void
mailsync_imap_connection_set_max_in_flight (MailsyncImapConnection *self, guint max_in_flight)
{
  self->settings->max_in_flight = MAX (max_in_flight, 1);
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
      fail_everything (self, closed);
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
