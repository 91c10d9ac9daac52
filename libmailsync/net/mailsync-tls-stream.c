#include "config.h"

#include "net/mailsync-tls-stream-private.h"

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


G_DEFINE_FINAL_TYPE (MailsyncTlsStream, mailsync_tls_stream, G_TYPE_IO_STREAM)

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
ssize_t
_mailsync_tls_stream_transport_pull (gnutls_transport_ptr_t ptr,
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
int
_mailsync_tls_stream_transport_pull_timeout (gnutls_transport_ptr_t ptr,
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
ssize_t
_mailsync_tls_stream_transport_push (gnutls_transport_ptr_t ptr,
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
char *
_mailsync_tls_stream_strip_sentence (const char *text,
                                     gsize       length)
{
  char *copy = g_strstrip (g_strndup (text, length));
  gsize n = strlen (copy);

  while (n > 0 && (copy[n - 1] == '.' || g_ascii_isspace (copy[n - 1])))
    copy[--n] = '\0';
  return copy;
}

/* gnutls' message for @code, with the alert's name when one was received. */
char *
_mailsync_tls_stream_describe_gnutls_error (MailsyncTlsStream *self,
                                            int                code)
{
  const char *message = gnutls_strerror (code);
  g_autofree char *stripped = _mailsync_tls_stream_strip_sentence (message, strlen (message));

  if (code == GNUTLS_E_FATAL_ALERT_RECEIVED)
    return g_strdup_printf ("%s: %s", stripped,
                            gnutls_alert_get_name (gnutls_alert_get (self->session)));
  return g_steal_pointer (&stripped);
}

gboolean
_mailsync_tls_stream_is_client_certificate_required (MailsyncTlsStream *self,
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
  g_autofree char *why = _mailsync_tls_stream_describe_gnutls_error (self, code);

  if (_mailsync_tls_stream_is_client_certificate_required (self, code))
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

/* With pad_to set, the record about to be written (the first *@send bytes,
 * cut to one record) gets padding up to a multiple of pad_to, as far as
 * the record size allows. A write repeated after WOULD_BLOCK gets the same
 * cut and padding, as gnutls requires. TLS 1.2 has no padding. */
static gsize
record_padding (MailsyncTlsStream *self, gsize *send)
{
  gsize max, padded;

  if (self->pad_to == 0 || *send == 0 || gnutls_protocol_get_version (self->session) != GNUTLS_TLS1_3)
    return 0;
  max = gnutls_record_get_max_size (self->session);
  if (max <= 1)
    return 0;
  /* The inner content type takes one byte of the record's plaintext. */
  max -= 1;
  *send = MIN (*send, max);
  padded = MIN ((*send + self->pad_to - 1) / self->pad_to * self->pad_to, max);
  return padded - *send;
}

gboolean
mailsync_tls_stream_set_write_padding (MailsyncTlsStream *self,
                                       gsize              block)
{
  g_return_val_if_fail (MAILSYNC_IS_TLS_STREAM (self), FALSE);

  self->pad_to = block;
  return block != 0 && self->established && gnutls_protocol_get_version (self->session) == GNUTLS_TLS1_3;
}

gboolean
mailsync_tls_stream_get_tls13 (MailsyncTlsStream *self)
{
  g_return_val_if_fail (MAILSYNC_IS_TLS_STREAM (self), FALSE);

  return self->established && gnutls_protocol_get_version (self->session) == GNUTLS_TLS1_3;
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
  gsize send = count;
  gsize pad;

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
  pad = record_padding (self, &send);
  do
    {
      self->push_would_block = FALSE;
      ret = pad > 0 ? gnutls_record_send2 (self->session, buffer, send, pad, 0)
                    : gnutls_record_send (self->session, buffer, send);
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
  g_clear_pointer (&self->credentials, _mailsync_tls_stream_shared_credentials_release);
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
