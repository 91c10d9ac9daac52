/* The IMAP connection's command pipeline: requests are tagged, queued
 * and written one after the other while many are in flight (stopping
 * behind a synchronizing literal), and completed by their tagged
 * response. Moved from mailsync-imap-connection.c (issue 14 item 1). */
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

/* ---- writing ----------------------------------------------------------------- */

static void
queue_bytes (MailsyncImapConnection *self, GBytes *bytes, gboolean secret)
{
  WriteItem *item = g_new0 (WriteItem, 1);

  item->bytes = bytes;
  item->secret = secret;
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

/* A text item takes what follows it up to this size. */
#define TEXT_ITEM_MAX (64 * 1024)

static void
queue_text_len (MailsyncImapConnection *self, const char *text, gsize len)
{
  WriteItem *tail = g_queue_peek_tail (&self->write_queue);

  if (tail == NULL || tail->text == NULL || tail->text->len >= TEXT_ITEM_MAX)
    {
      tail = g_new0 (WriteItem, 1);
      tail->text = g_byte_array_new ();
      g_queue_push_tail (&self->write_queue, tail);
    }
  g_byte_array_append (tail->text, (const guint8 *) text, (guint) len);
}

void
_mailsync_imap_connection_queue_text (MailsyncImapConnection *self, const char *text)
{
  queue_text_len (self, text, strlen (text));
}

void
_mailsync_imap_connection_queue_secret_text (MailsyncImapConnection *self, const char *text)
{
  queue_bytes (self, mailsync_imap_secret_bytes_new (text, strlen (text)), TRUE);
}

static gboolean
can_skip_sync (MailsyncImapConnection *self, guint64 size)
{
  return mailsync_imap_connection_has_capability (self, "LITERAL+") ||
         (mailsync_imap_connection_has_capability (self, "LITERAL-") && size <= LITERAL_MINUS_MAX);
}

/* Writes as much of @request as can go without waiting for "+". Returns
 * TRUE when the whole command is queued. */
gboolean
_mailsync_imap_connection_write_request_parts (MailsyncImapConnection *self, MailsyncImapRequest *request)
{
  while (request->next_part < request->parts->len)
    {
      RequestPart *part = &g_array_index (request->parts, RequestPart, request->next_part);
      RequestPart *next = request->next_part + 1 < request->parts->len
        ? &g_array_index (request->parts, RequestPart, request->next_part + 1) : NULL;

      /* The "{n}" was sent with the previous text; this is the data. */
      if (part->literal != NULL)
        queue_bytes (self, g_bytes_ref (part->literal), request->secret);
      else if (part->stream != NULL)
        queue_stream (self, part->stream, part->stream_size);
      if (request->secret)
        _mailsync_imap_connection_queue_secret_text (self, part->text);
      else
        _mailsync_imap_connection_queue_text (self, part->text);
      request->next_part++;
      if (next == NULL)
        {
          _mailsync_imap_connection_queue_text (self, "\r\n");
          return TRUE;
        }
      if (can_skip_sync (self, _mailsync_imap_connection_part_literal_size (next)))
        {
          g_autofree char *marker = g_strdup_printf ("{%" G_GUINT64_FORMAT "+}\r\n", _mailsync_imap_connection_part_literal_size (next));
          _mailsync_imap_connection_queue_text (self, marker);
        }
      else
        {
          g_autofree char *marker = g_strdup_printf ("{%" G_GUINT64_FORMAT "}\r\n", _mailsync_imap_connection_part_literal_size (next));
          _mailsync_imap_connection_queue_text (self, marker);
          self->awaiting_plus = request;
          return FALSE;
        }
    }
  return TRUE;
}

static void
log_command (MailsyncImapRequest *request)
{
  /* g_log formats its message before it is dropped: one FETCH per
   * downloaded message made that 1.4% of an initial sync's instructions */
  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, MAILSYNC_IMAP_LOG_DOMAIN))
    return;
  if (request->log_text != NULL)
    IMAP_DEBUG ("C: %s %s", request->tag, request->log_text);
  else
    {
      RequestPart *first = &g_array_index (request->parts, RequestPart, 0);
      IMAP_DEBUG ("C: %s %s%s", request->tag, first->text, request->parts->len > 1 ? " {literal...}" : "");
    }
}

/* Moves pending requests onto the wire while allowed: within the
 * pipeline's limit, except an unlimited request (the NOOP that asks
 * whether an early login was dropped: with the limit halved by throttles
 * the login and its LIST fill it, and the NOOP held behind them left the
 * connect waiting for ever; review of session 20 Low 1). */
void
_mailsync_imap_connection_schedule_requests (MailsyncImapConnection *self)
{
  while (self->awaiting_plus == NULL && !g_queue_is_empty (&self->pending) &&
         (g_queue_get_length (&self->in_flight) < self->settings->max_in_flight ||
          ((MailsyncImapRequest *) g_queue_peek_head (&self->pending))->unlimited))
    {
      MailsyncImapRequest *request = g_queue_pop_head (&self->pending);

      /* socktimeout counts from the first command the server owes. */
      if (!_mailsync_imap_connection_waiting_for_server (self))
        _mailsync_imap_connection_note_activity (self);
      log_command (request);
      _mailsync_imap_connection_queue_text (self, request->tag);
      queue_text_len (self, " ", 1);
      g_queue_push_tail (&self->in_flight, request);
      request->written = _mailsync_imap_connection_write_request_parts (self, request);
    }
  _mailsync_imap_connection_pump_writes (self);
}

#define MERGE_LIMIT (1024 * 1024)
/* A record that carries a credential is padded to a multiple of this (TLS
 * 1.3): a login line of up to ~400 bytes with the LIST behind it shows as
 * the same length whatever the password. */
#define SECRET_RECORD_BLOCK 512

static void
clear_padding (MailsyncImapConnection *self)
{
  if (self->padded_write && MAILSYNC_IS_TLS_STREAM (self->stream))
    mailsync_tls_stream_set_write_padding (MAILSYNC_TLS_STREAM (self->stream), 0);
  self->padded_write = FALSE;
}

static void
flush_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MailsyncImapConnection) self = user_data;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  clear_padding (self);
  if (!g_output_stream_flush_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _mailsync_imap_connection_lost (self, error);
      return;
    }
  _mailsync_imap_connection_note_activity (self);
  _mailsync_imap_connection_pump_writes (self);
}

static void
write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MailsyncImapConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  gsize written = 0;
  gboolean ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &written, &error);

  self->bytes_written += written;
  clear_padding (self);
  /* The stream has taken the bytes: the chunk goes now, not when the next
   * write replaces it (a login's chunk holds the credential; it wipes
   * itself when freed). */
  g_object_set_data (G_OBJECT (self), "mailsync-write-chunk", NULL);
  if (!ok)
    {
      self->writing = FALSE;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _mailsync_imap_connection_lost (self, error);
      return;
    }
  _mailsync_imap_connection_note_activity (self);
  if (self->compressed)
    {
      /* A deflate stream holds data back until flushed (Z_SYNC_FLUSH):
       * the server must see each command when we send it. */
      g_output_stream_flush_async (G_OUTPUT_STREAM (source), G_PRIORITY_DEFAULT, self->io_cancellable,
                                   flush_done, g_object_ref (self));
      return;
    }
  self->writing = FALSE;
  _mailsync_imap_connection_pump_writes (self);
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
      _mailsync_imap_connection_lost (self, error ? error : short_read);
      return FALSE;
    }
  item->remaining -= want;
  return TRUE;
}

/* The bytes of the queue's leading run of whole (non-streamed) items, up
 * to @limit, and whether a credential is among them. */
static gsize
leading_bytes (MailsyncImapConnection *self, gsize limit, gboolean *secret)
{
  gsize total = 0;

  *secret = FALSE;
  for (GList *l = self->write_queue.head; l != NULL && total <= limit; l = l->next)
    {
      WriteItem *item = l->data;

      if (item->stream != NULL)
        break;
      total += item->text != NULL ? item->text->len : g_bytes_get_size (item->bytes);
      *secret |= item->secret;
    }
  return total;
}

void
_mailsync_imap_connection_pump_writes (MailsyncImapConnection *self)
{
  WriteItem *item;
  g_autoptr(GByteArray) merged = NULL;
  gboolean secret = FALSE;
  GBytes *chunk;
  gsize len;
  const guint8 *data;

  if (self->writing || self->corked || self->out == NULL || g_queue_is_empty (&self->write_queue))
    return;
  /* Coalesce small pieces into one write: a pipeline of 64 short UID
   * STOREs becomes one packet, not 64. A credential goes out in the same
   * write as the rest of its command line (and the commands behind it):
   * written on its own it would be a TLS record, and with TCP_NODELAY a
   * segment, whose length is the password's. The buffer is sized up front
   * (no reallocation leaves a copy behind) and wiped once copied into the
   * chunk, which wipes itself when freed. */
  len = leading_bytes (self, MERGE_LIMIT, &secret);
  merged = g_byte_array_sized_new ((guint) (secret ? len : MIN (len, MERGE_LIMIT)));
  while ((item = g_queue_pop_head (&self->write_queue)) != NULL)
    {
      if (item->stream != NULL)
        {
          /* A streamed literal would grow the buffer: it waits for the
           * next write (none is ever part of a login). */
          if (secret)
            {
              g_queue_push_head (&self->write_queue, item);
              break;
            }
          if (!read_slice (self, item, merged))
            {
              _mailsync_imap_connection_write_item_free (item);
              return;
            }
          if (item->remaining > 0)
            {
              g_queue_push_head (&self->write_queue, item);
              break;
            }
        }
      else if (item->secret && !secret)
        {
          /* A credential behind a streamed literal: the next write, sized
           * and padded for it. */
          g_queue_push_head (&self->write_queue, item);
          break;
        }
      else if (item->text != NULL)
        g_byte_array_append (merged, item->text->data, item->text->len);
      else
        {
          const guint8 *bytes = g_bytes_get_data (item->bytes, &len);
          g_byte_array_append (merged, bytes, len);
        }
      _mailsync_imap_connection_write_item_free (item);
      if (merged->len > MERGE_LIMIT)
        break;
    }
  if (secret)
    {
      chunk = mailsync_imap_secret_bytes_new (merged->data, merged->len);
      mailsync_imap_secret_wipe (merged->data, merged->len);
      if (MAILSYNC_IS_TLS_STREAM (self->stream))
        {
          mailsync_tls_stream_set_write_padding (MAILSYNC_TLS_STREAM (self->stream), SECRET_RECORD_BLOCK);
          self->padded_write = TRUE;
        }
    }
  else
    chunk = g_byte_array_free_to_bytes (g_steal_pointer (&merged));
  self->writing = TRUE;
  data = g_bytes_get_data (chunk, &len);
  /* The chunk must outlive the write: tie it to the connection ref. */
  g_object_set_data_full (G_OBJECT (self), "mailsync-write-chunk", chunk, (GDestroyNotify) g_bytes_unref);
  g_output_stream_write_all_async (self->out, data, len, G_PRIORITY_DEFAULT, self->io_cancellable,
                                   write_done, g_object_ref (self));
}

/* ---- completing requests ---------------------------------------------------- */

/* Ends @request with @response (OK, a reference taken) or @error (taken):
 * its task returns, or its done function is called (a cancelled
 * cancellable turns the outcome into G_IO_ERROR_CANCELLED, as a task's
 * propagation does). */
void
_mailsync_imap_connection_return_request (MailsyncImapConnection *self, MailsyncImapRequest *request,
                                          MailsyncImapResponse *response, GError *error)
{
  if (request->task != NULL)
    {
      GTask *task = g_steal_pointer (&request->task);

      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, mailsync_imap_response_ref (response), (GDestroyNotify) mailsync_imap_response_unref);
      g_object_unref (task);
      return;
    }
  if (request->done != NULL)
    {
      GError *cancelled = NULL;
      MailsyncImapRequestDone done = request->done;

      request->done = NULL;
      if (g_cancellable_set_error_if_cancelled (request->cancellable, &cancelled))
        {
          g_clear_error (&error);
          error = cancelled;
        }
      done (self, error != NULL ? NULL : response, error, request->done_data);
    }
  g_clear_error (&error);
}

void
_mailsync_imap_connection_complete_request (MailsyncImapConnection *self, MailsyncImapRequest *request, MailsyncImapResponse *response)
{
  g_queue_remove (&self->in_flight, request);
  if (self->awaiting_plus == request)
    self->awaiting_plus = NULL;

  if (response->status == MAILSYNC_IMAP_STATUS_OK)
    _mailsync_imap_connection_return_request (self, request, response, NULL);
  else
    {
      g_autofree char *first = g_strdup (g_array_index (request->parts, RequestPart, 0).text);
      char *space = strchr (first, ' ');
      int code = response->status == MAILSYNC_IMAP_STATUS_NO ? MAILSYNC_IMAP_ERROR_NO : MAILSYNC_IMAP_ERROR_BAD;

      if (space)
        *space = '\0';
      if (response->code && response->code->kind == MAILSYNC_IMAP_CODE_AUTHENTICATIONFAILED)
        code = MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED;
      else if (_mailsync_imap_connection_is_throttling (first, response->code, response->text, &self->throttle_hint_ms))
        {
          code = MAILSYNC_IMAP_ERROR_THROTTLED;
          self->throttled = TRUE;
          g_free (self->throttle_text);
          self->throttle_text = g_strdup_printf ("%s %s: %s%s%s%s", first,
                                                 response->status == MAILSYNC_IMAP_STATUS_NO ? "NO" : "BAD",
                                                 response->code ? "[" : "", response->code ? response->code->name : "",
                                                 response->code ? "] " : "", response->text ? response->text : "");
        }
      _mailsync_imap_connection_return_request (self, request, NULL,
                                                g_error_new (MAILSYNC_IMAP_ERROR, code, "%s %s: %s%s%s%s", first,
                                                             response->status == MAILSYNC_IMAP_STATUS_NO ? "NO" : "BAD",
                                                             response->code ? "[" : "",
                                                             response->code ? response->code->name : "",
                                                             response->code ? "] " : "",
                                                             response->text ? response->text : ""));
    }
  mailsync_imap_request_free (request);
  _mailsync_imap_connection_schedule_requests (self);
}

void
_mailsync_imap_connection_fail_everything (MailsyncImapConnection *self, const GError *error)
{
  MailsyncImapRequest *request;

  if (self->fatal == NULL)
    {
      self->fatal = g_error_copy (error);
      /* connection-early.c: a login that may be judged is not retried.
       * `written` is queued, maybe not yet sent (a reset right after
       * STARTTLS's handshake): the safe side, since whether the bytes
       * left cannot be known here either (the kernel's buffer), and the
       * error says why there is no retry
       * (_mailsync_imap_connection_explain_unanswered_login()) */
      for (GList *l = self->in_flight.head; l != NULL; l = l->next)
        {
          MailsyncImapRequest *pending = l->data;

          if (pending->secret && pending->one_step && pending->written)
            self->failed_during_login = TRUE;
        }
    }
  _mailsync_imap_connection_disarm_early_answer (self);
  _mailsync_imap_connection_disarm_early_probe (self);
  IMAP_DEBUG ("connection failed: %s", error->message);
  self->awaiting_plus = NULL;
  while ((request = g_queue_pop_head (&self->in_flight)) != NULL ||
         (request = g_queue_pop_head (&self->pending)) != NULL)
    {
      _mailsync_imap_connection_return_request (self, request, NULL, g_error_copy (self->fatal));
      mailsync_imap_request_free (request);
    }
  if (self->greeting_task)
    {
      GTask *task = g_steal_pointer (&self->greeting_task);
      g_task_return_error (task, g_error_copy (self->fatal));
      g_object_unref (task);
    }
  g_queue_clear_full (&self->write_queue, (GDestroyNotify) _mailsync_imap_connection_write_item_free);
}

void
mailsync_imap_connection_send_continuation_line (MailsyncImapConnection *self,
                                                 const char             *line)
{
  if (self->out == NULL || self->fatal != NULL)
    return;
  IMAP_DEBUG ("C: %s", line);
  _mailsync_imap_connection_queue_text (self, line);
  _mailsync_imap_connection_queue_text (self, "\r\n");
  /* The command now owes its tagged reply: socktimeout applies again. */
  for (GList *l = self->in_flight.head; l; l = l->next)
    ((MailsyncImapRequest *) l->data)->no_timeout = FALSE;
  _mailsync_imap_connection_note_activity (self);
  _mailsync_imap_connection_pump_writes (self);
}
