#include "config.h"

#include "net/mailsync-tls-stream.h"
#include "mailsync-error.h"

#include <errno.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

/**
 * MailsyncTlsStream:
 *
 * A gnutls client session over a connected base #GIOStream. gnutls' transport
 * callbacks read and write the base stream, with the #GCancellable of the
 * operation that is running: the pull side uses the current read's (or the
 * handshake's), the push side the current write's.
 *
 * The input and output streams are #GPollableInputStream and
 * #GPollableOutputStream whenever the base streams are (a socket, a pipe):
 * GIO then runs their async reads and writes on the caller's main context,
 * non-blocking, instead of one worker-thread hop per read (which is what the
 * blocking-only version cost: a futex storm, and a thread wakeup per 16 KB
 * record). In a non-blocking call the transport callbacks report EAGAIN to
 * gnutls, which keeps a partly received record, or a partly sent one, and
 * resumes it on the next call.
 *
 * The blocking read and write stay, and may run at the same time in two
 * threads: gnutls allows one thread in gnutls_record_recv() while another is
 * in gnutls_record_send(), and GIO allows one pending operation per stream.
 *
 * Once the handshake is done, raw bytes are pulled from the base stream in
 * large reads and served to gnutls from a buffer (gnutls asks for a record's
 * 5-byte header, then its body), and a read returns every record that can be
 * decrypted without waiting, up to the caller's count, not just one.
 *
 * Nothing here logs: no key, secret or record content ever reaches a log.
 */

typedef struct _SharedCredentials SharedCredentials;
static void shared_credentials_release (SharedCredentials *shared);

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
};

G_DEFINE_FINAL_TYPE (MailsyncTlsStream, mailsync_tls_stream, G_TYPE_IO_STREAM)

/* Enough for four full records (16 KB + at most 256 bytes of overhead each):
 * one read of the base stream serves a 64 KB read of the caller. */
#define PULL_BUFFER_SIZE (4 * (16384 + 256))

static gssize   tls_read        (MailsyncTlsStream *self, void *buffer, gsize count,
                                 gboolean blocking, GCancellable *cancellable, GError **error);
static gssize   tls_write       (MailsyncTlsStream *self, const void *buffer, gsize count,
                                 gboolean blocking, GCancellable *cancellable, GError **error);
static gboolean tls_can_poll    (MailsyncTlsStream *self, gboolean input);
static gboolean tls_input_ready (MailsyncTlsStream *self);

/* Input and output streams --------------------------------------------------- */

#define MAILSYNC_TYPE_TLS_INPUT_STREAM (mailsync_tls_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncTlsInputStream, mailsync_tls_input_stream,
                      MAILSYNC, TLS_INPUT_STREAM, GInputStream)

struct _MailsyncTlsInputStream
{
  GInputStream parent_instance;
  GWeakRef tls;                 /* the MailsyncTlsStream owns us */
};

static void mailsync_tls_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MailsyncTlsInputStream, mailsync_tls_input_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      mailsync_tls_input_stream_pollable_init))

static MailsyncTlsStream *
input_get_tls (gpointer  stream,
               GError  **error)
{
  MailsyncTlsStream *tls = g_weak_ref_get (&MAILSYNC_TLS_INPUT_STREAM (stream)->tls);

  if (tls == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "TLS connection is closed");
  return tls;
}

static gssize
input_read (GInputStream  *stream,
            void          *buffer,
            gsize          count,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(MailsyncTlsStream) tls = input_get_tls (stream, error);

  if (tls == NULL)
    return -1;
  return tls_read (tls, buffer, count, TRUE, cancellable, error);
}

static gboolean
input_can_poll (GPollableInputStream *stream)
{
  g_autoptr(MailsyncTlsStream) tls = input_get_tls (stream, NULL);

  return tls != NULL && tls_can_poll (tls, TRUE);
}

static gboolean
input_is_readable (GPollableInputStream *stream)
{
  g_autoptr(MailsyncTlsStream) tls = input_get_tls (stream, NULL);

  /* Without the session, a read fails at once: that is "readable". */
  return tls == NULL || tls_input_ready (tls)
         || g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (tls->base_in));
}

static GSource *
input_create_source (GPollableInputStream *stream,
                     GCancellable         *cancellable)
{
  g_autoptr(MailsyncTlsStream) tls = input_get_tls (stream, NULL);
  g_autoptr(GSource) child = NULL;

  /* Data that gnutls or the pull buffer already holds would never wake a
   * poll of the socket: such a source is ready at once. GIO's users destroy
   * the source once it has fired, so "at once" is not a busy loop. */
  if (tls == NULL || tls_input_ready (tls))
    child = g_timeout_source_new (0);
  else
    child = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (tls->base_in), NULL);
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
input_read_nonblocking (GPollableInputStream  *stream,
                        void                  *buffer,
                        gsize                  count,
                        GError               **error)
{
  g_autoptr(MailsyncTlsStream) tls = input_get_tls (stream, error);

  if (tls == NULL)
    return -1;
  return tls_read (tls, buffer, count, FALSE, NULL, error);
}

static void
mailsync_tls_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = input_can_poll;
  iface->is_readable = input_is_readable;
  iface->create_source = input_create_source;
  iface->read_nonblocking = input_read_nonblocking;
}

static void
mailsync_tls_input_stream_finalize (GObject *object)
{
  g_weak_ref_clear (&MAILSYNC_TLS_INPUT_STREAM (object)->tls);
  G_OBJECT_CLASS (mailsync_tls_input_stream_parent_class)->finalize (object);
}

static void
mailsync_tls_input_stream_class_init (MailsyncTlsInputStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_tls_input_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = input_read;
}

static void
mailsync_tls_input_stream_init (MailsyncTlsInputStream *self)
{
}

#define MAILSYNC_TYPE_TLS_OUTPUT_STREAM (mailsync_tls_output_stream_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncTlsOutputStream, mailsync_tls_output_stream,
                      MAILSYNC, TLS_OUTPUT_STREAM, GOutputStream)

struct _MailsyncTlsOutputStream
{
  GOutputStream parent_instance;
  GWeakRef tls;
};

static void mailsync_tls_output_stream_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MailsyncTlsOutputStream, mailsync_tls_output_stream, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      mailsync_tls_output_stream_pollable_init))

static MailsyncTlsStream *
output_get_tls (gpointer  stream,
                GError  **error)
{
  MailsyncTlsStream *tls = g_weak_ref_get (&MAILSYNC_TLS_OUTPUT_STREAM (stream)->tls);

  if (tls == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "TLS connection is closed");
  return tls;
}

static gssize
output_write (GOutputStream  *stream,
              const void     *buffer,
              gsize           count,
              GCancellable   *cancellable,
              GError        **error)
{
  g_autoptr(MailsyncTlsStream) tls = output_get_tls (stream, error);

  if (tls == NULL)
    return -1;
  return tls_write (tls, buffer, count, TRUE, cancellable, error);
}

static gboolean
output_can_poll (GPollableOutputStream *stream)
{
  g_autoptr(MailsyncTlsStream) tls = output_get_tls (stream, NULL);

  return tls != NULL && tls_can_poll (tls, FALSE);
}

static gboolean
output_is_writable (GPollableOutputStream *stream)
{
  g_autoptr(MailsyncTlsStream) tls = output_get_tls (stream, NULL);

  /* A broken or closed session fails at once: that is "writable". */
  return tls == NULL || g_atomic_int_get (&tls->write_broken)
         || g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM (tls->base_out));
}

static GSource *
output_create_source (GPollableOutputStream *stream,
                      GCancellable          *cancellable)
{
  g_autoptr(MailsyncTlsStream) tls = output_get_tls (stream, NULL);
  g_autoptr(GSource) child = NULL;

  if (tls == NULL || g_atomic_int_get (&tls->write_broken))
    child = g_timeout_source_new (0);
  else
    child = g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (tls->base_out), NULL);
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
output_write_nonblocking (GPollableOutputStream  *stream,
                          const void             *buffer,
                          gsize                   count,
                          GError                **error)
{
  g_autoptr(MailsyncTlsStream) tls = output_get_tls (stream, error);

  if (tls == NULL)
    return -1;
  return tls_write (tls, buffer, count, FALSE, NULL, error);
}

static void
mailsync_tls_output_stream_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = output_can_poll;
  iface->is_writable = output_is_writable;
  iface->create_source = output_create_source;
  iface->write_nonblocking = output_write_nonblocking;
}

static void
mailsync_tls_output_stream_finalize (GObject *object)
{
  g_weak_ref_clear (&MAILSYNC_TLS_OUTPUT_STREAM (object)->tls);
  G_OBJECT_CLASS (mailsync_tls_output_stream_parent_class)->finalize (object);
}

static void
mailsync_tls_output_stream_class_init (MailsyncTlsOutputStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_tls_output_stream_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = output_write;
}

static void
mailsync_tls_output_stream_init (MailsyncTlsOutputStream *self)
{
}

/* gnutls transport ----------------------------------------------------------- */

static gsize
pull_buffered (MailsyncTlsStream *self)
{
  return self->pull_end - self->pull_start;
}

/* Whether the pull buffer holds a whole record, so that gnutls can return
 * one more without touching the base stream. Only meaningful between
 * records, which is where gnutls is after it has returned data: it pulls a
 * record's header and then exactly its body. */
static gboolean
pull_has_record (MailsyncTlsStream *self)
{
  const guint8 *header = self->pull_buffer + self->pull_start;
  gsize available = pull_buffered (self);

  return available >= 5 && available >= 5 + (((gsize) header[3] << 8) | header[4]);
}

static gssize
base_read (MailsyncTlsStream  *self,
           void               *buffer,
           gsize               count,
           GError            **error)
{
  if (self->read_nonblocking)
    return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base_in),
                                                     buffer, count, NULL, error);
  return g_input_stream_read (self->base_in, buffer, count, self->read_cancellable, error);
}

/* A failed pull reports EINTR, which gnutls treats as retryable: a record
 * read in part stays buffered, so a cancelled read can be repeated. A
 * non-blocking pull with nothing to read reports EAGAIN, for the same
 * reason. */
static ssize_t
transport_pull (gnutls_transport_ptr_t ptr,
                void                  *buffer,
                size_t                 count)
{
  MailsyncTlsStream *self = ptr;
  GError *local_error = NULL;
  gssize n;

  if (pull_buffered (self) == 0 && self->pull_buffer != NULL && count < PULL_BUFFER_SIZE)
    {
      n = base_read (self, self->pull_buffer, PULL_BUFFER_SIZE, &local_error);
      if (n > 0)
        {
          self->pull_start = 0;
          self->pull_end = n;
        }
    }
  else if (pull_buffered (self) == 0)
    n = base_read (self, buffer, count, &local_error);
  else
    n = 1;

  if (n > 0 && pull_buffered (self) > 0)
    {
      n = MIN (count, pull_buffered (self));
      memcpy (buffer, self->pull_buffer + self->pull_start, n);
      self->pull_start += n;
    }
  if (n >= 0)
    return n;
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      g_error_free (local_error);
      self->pull_would_block = TRUE;
      errno = EAGAIN;
      return -1;
    }
  g_clear_error (&self->read_error);
  self->read_error = local_error;
  errno = EINTR;
  return -1;
}

/* Wait for input for at most @ms (gnutls asks during some TLS 1.3 steps
 * and when a handshake timeout is set). */
static int
transport_pull_timeout (gnutls_transport_ptr_t ptr,
                        unsigned int           ms)
{
  MailsyncTlsStream *self = ptr;
  GError *local_error = NULL;
  GSocket *socket;
  gint64 timeout;

  /* Buffered bytes are input; a non-blocking pull never waits anyway. */
  if (pull_buffered (self) > 0 || self->read_nonblocking)
    return 1;
  if (!G_IS_SOCKET_CONNECTION (self->base))
    {
      /* Other streams: let the pull block, unless only a poll is asked. */
      if (ms == 0 && G_IS_POLLABLE_INPUT_STREAM (self->base_in)
          && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->base_in)))
        return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base_in)) ? 1 : 0;
      return 1;
    }

  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->base));
  timeout = ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (gint64) ms * 1000;
  if (g_socket_condition_timed_wait (socket, G_IO_IN, timeout, self->read_cancellable, &local_error))
    return 1;
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_error_free (local_error);
      return 0;
    }
  g_clear_error (&self->read_error);
  self->read_error = local_error;
  errno = EINTR;
  return -1;
}

/* A failed push is fatal (EIO): gnutls would otherwise resend the old record
 * on the next call, whatever data that call passes. A non-blocking push that
 * cannot write reports EAGAIN: gnutls keeps the rest of the record and sends
 * it first on the next call (which must pass the same data, as GIO does when
 * it retries after G_IO_ERROR_WOULD_BLOCK). */
static ssize_t
transport_push (gnutls_transport_ptr_t ptr,
                const void            *buffer,
                size_t                 count)
{
  MailsyncTlsStream *self = ptr;
  GError *local_error = NULL;

  if (self->write_nonblocking)
    {
      gssize n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->base_out),
                                                             buffer, count, NULL, &local_error);
      if (n >= 0)
        return n;
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_error_free (local_error);
          self->push_would_block = TRUE;
          errno = EAGAIN;
          return -1;
        }
    }
  else if (g_output_stream_write_all (self->base_out, buffer, count, NULL,
                                      self->write_cancellable, &local_error))
    return count;
  g_clear_error (&self->write_error);
  self->write_error = local_error;
  errno = EIO;
  return -1;
}

/* Errors --------------------------------------------------------------------- */

static gboolean
is_retryable (ssize_t ret)
{
  return ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED
         || ret == GNUTLS_E_WARNING_ALERT_RECEIVED;
}

/* @text without blanks and full stops at its end, to embed it in a sentence. */
static char *
strip_sentence (const char *text,
                gsize       length)
{
  char *copy = g_strstrip (g_strndup (text, length));
  gsize n = strlen (copy);

  while (n > 0 && (copy[n - 1] == '.' || g_ascii_isspace (copy[n - 1])))
    copy[--n] = '\0';
  return copy;
}

/* gnutls' message for @code, with the alert's name when one was received. */
static char *
describe_gnutls_error (MailsyncTlsStream *self,
                       int                code)
{
  const char *message = gnutls_strerror (code);
  g_autofree char *stripped = strip_sentence (message, strlen (message));

  if (code == GNUTLS_E_FATAL_ALERT_RECEIVED)
    return g_strdup_printf ("%s: %s", stripped,
                            gnutls_alert_get_name (gnutls_alert_get (self->session)));
  return g_steal_pointer (&stripped);
}

static gboolean
is_client_certificate_required (MailsyncTlsStream *self,
                                int                code)
{
  return code == GNUTLS_E_CERTIFICATE_REQUIRED
         || (code == GNUTLS_E_FATAL_ALERT_RECEIVED
             && gnutls_alert_get (self->session) == GNUTLS_A_CERTIFICATE_REQUIRED);
}

/* Sets @error for a failed read or write. */
static void
set_io_error (MailsyncTlsStream  *self,
              int                 code,
              GError            **error)
{
  g_autofree char *why = describe_gnutls_error (self, code);

  if (is_client_certificate_required (self, code))
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED,
                 "Server \"%s\" requires a client certificate (sslclientcert): %s",
                 self->server_name, why);
  else
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
                 "TLS error on the connection to \"%s\": %s", self->server_name, why);
}

/* Reading and writing -------------------------------------------------------- */

static gboolean
tls_can_poll (MailsyncTlsStream *self,
              gboolean           input)
{
  if (input)
    return self->base_in != NULL && G_IS_POLLABLE_INPUT_STREAM (self->base_in)
           && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->base_in));
  return self->base_out != NULL && G_IS_POLLABLE_OUTPUT_STREAM (self->base_out)
         && g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (self->base_out));
}

/* Whether a read returns without waiting for the base stream. */
static gboolean
tls_input_ready (MailsyncTlsStream *self)
{
  return self->read_eof || self->deferred
         || gnutls_record_check_pending (self->session) > 0
         || (self->pull_buffer != NULL && pull_has_record (self));
}

/* The result of a read that ended with gnutls' @ret (<= 0) and no data. */
static gssize
read_result (MailsyncTlsStream  *self,
             ssize_t             ret,
             GError            **error)
{
  if (self->read_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->read_error));
      return -1;
    }
  /* close_notify, or none (see the header): end of stream. */
  if (ret == 0 || ret == GNUTLS_E_PREMATURE_TERMINATION)
    {
      self->read_eof = TRUE;
      return 0;
    }
  set_io_error (self, ret, error);
  return -1;
}

static gssize
tls_read (MailsyncTlsStream  *self,
          void               *buffer,
          gsize               count,
          gboolean            blocking,
          GCancellable       *cancellable,
          GError            **error)
{
  gsize total = 0;
  ssize_t ret;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (self->read_eof)
    return 0;
  if (self->deferred)
    {
      self->deferred = FALSE;
      return read_result (self, self->deferred_ret, error);
    }

  g_clear_error (&self->read_error);
  self->read_cancellable = cancellable;
  self->read_nonblocking = !blocking;
  for (;;)
    {
      self->pull_would_block = FALSE;
      ret = gnutls_record_recv (self->session, (guint8 *) buffer + total, count - total);
      if (ret > 0)
        {
          total += ret;
          /* Go on while that cannot wait: one read returns several records. */
          if (total < count && tls_input_ready (self))
            continue;
          break;
        }
      /* A TLS 1.2 renegotiation request is refused by ignoring it; AGAIN
       * without a pull that would block is gnutls asking to be called again
       * (after a TLS 1.3 session ticket, say). */
      if (self->read_error != NULL || self->pull_would_block
          || !(is_retryable (ret) || ret == GNUTLS_E_REHANDSHAKE))
        break;
    }
  self->read_cancellable = NULL;
  self->read_nonblocking = FALSE;

  if (total > 0)
    {
      /* Data first; what stopped the loop ends the next read. */
      if (ret <= 0 && !self->pull_would_block)
        {
          self->deferred = TRUE;
          self->deferred_ret = ret;
        }
      return total;
    }
  if (self->pull_would_block && self->read_error == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                           g_strerror (EAGAIN));
      return -1;
    }
  return read_result (self, ret, error);
}

static gssize
tls_write (MailsyncTlsStream  *self,
           const void         *buffer,
           gsize               count,
           gboolean            blocking,
           GCancellable       *cancellable,
           GError            **error)
{
  ssize_t ret;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  /* After WOULD_BLOCK, GIO repeats the same write; anything else means the
   * caller gave up on it (cancelled), leaving a record half sent. */
  if (self->send_pending && count != self->send_pending_count)
    g_atomic_int_set (&self->write_broken, 1);
  if (g_atomic_int_get (&self->write_broken))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                   "TLS connection to \"%s\" can no longer be written to after an earlier "
                   "failed or cancelled write", self->server_name);
      return -1;
    }

  g_clear_error (&self->write_error);
  self->write_cancellable = cancellable;
  self->write_nonblocking = !blocking;
  do
    {
      self->push_would_block = FALSE;
      ret = gnutls_record_send (self->session, buffer, count);
    }
  while (is_retryable (ret) && self->write_error == NULL && !self->push_would_block);
  self->write_cancellable = NULL;
  self->write_nonblocking = FALSE;

  if (ret >= 0)
    {
      self->send_pending = FALSE;
      return ret;
    }
  if (self->push_would_block && self->write_error == NULL && is_retryable (ret))
    {
      self->send_pending = TRUE;
      self->send_pending_count = count;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, g_strerror (EAGAIN));
      return -1;
    }
  g_atomic_int_set (&self->write_broken, 1);
  if (self->write_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->write_error));
      return -1;
    }
  set_io_error (self, ret, error);
  return -1;
}

/* GIOStream ------------------------------------------------------------------ */

static GInputStream *
get_input_stream (GIOStream *stream)
{
  return MAILSYNC_TLS_STREAM (stream)->input;
}

static GOutputStream *
get_output_stream (GIOStream *stream)
{
  return MAILSYNC_TLS_STREAM (stream)->output;
}

/* Best-effort close_notify (the write side only: the server's reply is not
 * awaited), then the base stream. A read pending in another thread ends with
 * end of stream or an error. */
static gboolean
close_fn (GIOStream     *stream,
          GCancellable  *cancellable,
          GError       **error)
{
  MailsyncTlsStream *self = MAILSYNC_TLS_STREAM (stream);

  if (self->established && !g_atomic_int_get (&self->write_broken) && !self->send_pending
      && !g_cancellable_is_cancelled (cancellable))
    {
      int ret;

      self->write_cancellable = cancellable;
      do
        ret = gnutls_bye (self->session, GNUTLS_SHUT_WR);
      while (is_retryable (ret) && self->write_error == NULL);
      self->write_cancellable = NULL;
      g_clear_error (&self->write_error);
    }
  g_atomic_int_set (&self->write_broken, 1);
  if (self->base == NULL)
    return TRUE;
  /* Closing a socket does not wake a thread polling it: shutting it down
   * does, so a read pending in another thread ends (with end of stream). */
  if (G_IS_SOCKET_CONNECTION (self->base))
    (void) g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->base)),
                              TRUE, TRUE, NULL);
  return g_io_stream_close (self->base, cancellable, error);
}

static void
mailsync_tls_stream_finalize (GObject *object)
{
  MailsyncTlsStream *self = MAILSYNC_TLS_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  if (self->session != NULL)
    gnutls_deinit (self->session);
  g_clear_pointer (&self->credentials, shared_credentials_release);
  g_clear_object (&self->base);
  g_free (self->server_name);
  g_clear_pointer (&self->peer_der, g_bytes_unref);
  g_clear_error (&self->deferred_failure);
  g_free (self->pull_buffer);
  g_clear_error (&self->read_error);
  g_clear_error (&self->write_error);
  G_OBJECT_CLASS (mailsync_tls_stream_parent_class)->finalize (object);
}

static void
mailsync_tls_stream_class_init (MailsyncTlsStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = mailsync_tls_stream_finalize;
  stream_class->get_input_stream = get_input_stream;
  stream_class->get_output_stream = get_output_stream;
  stream_class->close_fn = close_fn;
}

static void
mailsync_tls_stream_init (MailsyncTlsStream *self)
{
  MailsyncTlsInputStream *input = g_object_new (MAILSYNC_TYPE_TLS_INPUT_STREAM, NULL);
  MailsyncTlsOutputStream *output = g_object_new (MAILSYNC_TYPE_TLS_OUTPUT_STREAM, NULL);

  g_weak_ref_init (&input->tls, self);
  g_weak_ref_init (&output->tls, self);
  self->input = G_INPUT_STREAM (input);
  self->output = G_OUTPUT_STREAM (output);
}

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
};

static GMutex credentials_lock;
static GHashTable *credentials_cache;   /* key -> SharedCredentials, in use only */

static void
shared_credentials_release (SharedCredentials *shared)
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
  g_free (shared);
}

static gboolean
load_credentials (gnutls_certificate_credentials_t  credentials,
                  const MailsyncTlsOptions         *options,
                  GError                          **error)
{
  int ret;

  if (uses_system_store (options))
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
  if (!load_credentials (credentials, options, error))
    {
      gnutls_certificate_free_credentials (credentials);
      return NULL;
    }

  g_debug ("TLS: trust store loaded (%s)", uses_system_store (options) ? "system" : options->ca_file);
  shared = g_new0 (SharedCredentials, 1);
  shared->refs = 1;
  shared->key = g_steal_pointer (&key);
  shared->credentials = credentials;
  if (credentials_cache == NULL)
    credentials_cache = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (credentials_cache, shared->key, shared);
  return shared;
}

/* For an IP address literal, its bytes (4 or 16) in @ip; otherwise 0. */
static gsize
parse_ip_literal (const char *name,
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
  if (ret >= 0 && parse_ip_literal (self->server_name, ip) == 0)
    ret = gnutls_server_name_set (self->session, GNUTLS_NAME_DNS, self->server_name,
                                  strlen (self->server_name));
  if (ret < 0)
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
                   "Cannot set up TLS for \"%s\": %s", self->server_name, gnutls_strerror (ret));
      return FALSE;
    }

  gnutls_transport_set_ptr (self->session, self);
  gnutls_transport_set_pull_function (self->session, transport_pull);
  gnutls_transport_set_pull_timeout_function (self->session, transport_pull_timeout);
  gnutls_transport_set_push_function (self->session, transport_push);
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

  why = describe_gnutls_error (self, ret);
  alert = gnutls_alert_get (self->session);
  if (is_client_certificate_required (self, ret)
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

/* Verification --------------------------------------------------------------- */

static char *
format_fingerprint (GBytes        *der,
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
  g_autofree char *sha256 = format_fingerprint (self->peer_der, G_CHECKSUM_SHA256);
  g_autofree char *sha1 = format_fingerprint (self->peer_der, G_CHECKSUM_SHA1);
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
  gsize ip_size = parse_ip_literal (self->server_name, ip);
  unsigned int status = 0;
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
      reason = strip_sentence ((const char *) text.data, text.size);
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

static gboolean
verify_peer (MailsyncTlsStream         *self,
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
      || !verify_peer (self, options, cancellable, error))
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

  return format_fingerprint (self->peer_der, type);
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
