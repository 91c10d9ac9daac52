/* The IMAP connection's read loop: bytes feed the parser, and each
 * complete response is dispatched to the request it answers, its
 * untagged handler, or the unsolicited handler. Moved from
 * mailsync-imap-connection.c (issue 14 item 1). */
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

/* ---- reading ---------------------------------------------------------------- */

static void
handle_continuation (MailsyncImapConnection *self, MailsyncImapResponse *response)
{
  MailsyncImapRequest *request = self->awaiting_plus;

  if (request != NULL)
    {
      self->awaiting_plus = NULL;
      request->written = _mailsync_imap_connection_write_request_parts (self, request);
      _mailsync_imap_connection_schedule_requests (self);
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
      if (r->pipelined)
        {
          /* A "+" to a login that needs none (AUTHENTICATE PLAIN with
           * SASL-IR): the server took what was sent after it as its
           * answer, and the tags no longer match what it read. Answering
           * would go on out of step (a LIST nobody answers): the
           * connection fails, the caller connects again without the
           * pipeline. The server's text is not shown. */
          g_autoptr(GError) broken = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                                                  "The server asked for a continuation of a login "
                                                  "that needs none (a one-step SASL exchange)");

          self->login_pipeline_broken = TRUE;
          _mailsync_imap_connection_fail_everything (self, broken);
          return;
        }
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
          _mailsync_imap_connection_queue_text (self, "*\r\n");
        }
      else
        {
          IMAP_DEBUG ("C: <continuation data redacted>");
          /* An AUTHENTICATE answer carries the credential. */
          if (r->secret)
            _mailsync_imap_connection_queue_secret_text (self, line);
          else
            _mailsync_imap_connection_queue_text (self, line);
          _mailsync_imap_connection_queue_text (self, "\r\n");
          mailsync_imap_secret_clear (line);
        }
      _mailsync_imap_connection_pump_writes (self);
      return;
    }
  {
    g_autoptr(GError) error = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                                           "Unexpected continuation request from the server: + %s",
                                           response->text ? response->text : "");
    _mailsync_imap_connection_fail_everything (self, error);
  }
}

static void
dispatch (MailsyncImapConnection *self, MailsyncImapResponse *response)
{
  /* the server speaks: a bound on an early command's answer ends here,
   * and the greeting or a notice sets it again (feed() too, while that
   * answer is still to come) */
  _mailsync_imap_connection_disarm_early_answer (self);
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
                _mailsync_imap_connection_set_capabilities (self, response->code->strv);
              _mailsync_imap_connection_complete_request (self, request, response);
              return;
            }
        }
      {
        g_autoptr(GError) error = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                                               "Server answered unknown tag %s", response->tag);
        _mailsync_imap_connection_fail_everything (self, error);
      }
      return;

    case MAILSYNC_IMAP_RESPONSE_UNTAGGED:
      break;
    }

  if (response->data_kind == MAILSYNC_IMAP_DATA_CAPABILITY)
    _mailsync_imap_connection_set_capabilities (self, response->u.strv);
  if (response->code && response->code->kind == MAILSYNC_IMAP_CODE_CAPABILITY)
    _mailsync_imap_connection_set_capabilities (self, response->code->strv);
  if (response->status == MAILSYNC_IMAP_STATUS_BYE)
    {
      guint hint = 0;

      self->bye = TRUE;
      if (_mailsync_imap_connection_is_throttling (NULL, response->code, response->text, &hint))
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

              _mailsync_imap_connection_lost (self, bye);
              g_cancellable_cancel (self->io_cancellable);
              return;
            }
        }
    }

  /* Before the greeting of a login sent early, an OK without a response
   * code is a notice, not the greeting: Dovecot's login process, not yet
   * connected to its auth process when the login arrives (a loaded
   * machine), says "* OK Waiting for authentication process to respond.."
   * and greets once connected. Taken for the greeting it failed the
   * connection ("other capabilities") and cost a second one. A server
   * whose greeting really has no [CAPABILITY] answers the login before
   * any other greeting, and that still fails the early connection
   * (connection-early.c). The same before the greeting of a STARTTLS
   * sent early (connection-starttls.c): Dovecot holds every command
   * until its auth process is there. */
  if (self->greeting_task != NULL && (self->early_login || self->early_starttls) &&
      response->status == MAILSYNC_IMAP_STATUS_OK &&
      response->code == NULL)
    {
      IMAP_DEBUG ("an OK without a code before the greeting: a notice, the greeting is still to come");
      g_free (self->notice);
      self->notice = g_strdup (response->text ? response->text : "");
      _mailsync_imap_connection_arm_early_answer (self, TRUE);
      return;
    }
  if (self->greeting_task != NULL)
    {
      GTask *task = g_steal_pointer (&self->greeting_task);
      g_autoptr(GError) early = NULL;

      g_free (self->greeting);
      self->greeting = g_strdup (response->text ? response->text : "");
      self->preauth = response->status == MAILSYNC_IMAP_STATUS_PREAUTH;
      g_clear_pointer (&self->greeting_capabilities, g_strfreev);
      if (response->status == MAILSYNC_IMAP_STATUS_OK && response->code != NULL &&
          response->code->kind == MAILSYNC_IMAP_CODE_CAPABILITY)
        self->greeting_capabilities = g_strdupv (response->code->strv);
      /* The login went before this greeting: one it was not chosen for
       * fails the connection, the login with it (never a second one). */
      if (self->early_login && (early = _mailsync_imap_connection_check_early_greeting (self, response)) != NULL)
        {
          self->greeting_task = task;
          _mailsync_imap_connection_fail_everything (self, early);
          return;
        }
      if (self->throttled)
        g_task_return_new_error (task, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED,
                                 "Server refused the connection: %s", self->bye_text);
      else if (response->status == MAILSYNC_IMAP_STATUS_BYE ||
          (response->status != MAILSYNC_IMAP_STATUS_OK && response->status != MAILSYNC_IMAP_STATUS_PREAUTH))
        g_task_return_new_error (task, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_BYE,
                                 "Server refused the connection: %s", self->greeting);
      else
        {
          g_task_return_boolean (task, TRUE);
          /* greeted: what was sent before is answered now, or never */
          _mailsync_imap_connection_arm_early_answer (self, FALSE);
        }
      self->early_sent_at = 0;
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

  line = mailsync_imap_response_to_string (response);
  IMAP_DEBUG ("S: %.*s%s", 400, line, strlen (line) > 400 ? "..." : "");
}

static gboolean
feed (MailsyncImapConnection *self, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = mailsync_imap_parser_feed (self->parser, data, len, &error);
  MailsyncImapResponse *response;
  /* asked once per read, not per response: GLib reads the environment
   * for it every time */
  gboolean logging = !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, MAILSYNC_IMAP_LOG_DOMAIN);

  /* Responses completed before a parse error still count. */
  while ((response = mailsync_imap_parser_pop (self->parser)) != NULL)
    {
      if (logging)
        log_response (response);
      dispatch (self, response);
      mailsync_imap_response_unref (response);
      if (self->fatal)
        return FALSE;
      /* any response disarmed the bound on an early command's answer:
       * it runs again from now while that answer is still to come */
      _mailsync_imap_connection_rearm_early_answer (self);
    }
  if (!ok)
    {
      IMAP_DEBUG ("unparsable server data: %s", error->message);
      _mailsync_imap_connection_fail_everything (self, error);
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
        _mailsync_imap_connection_lost (self, error);
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      g_autoptr(GError) eof = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                   self->bye ? "the server closed it (BYE)"
                                                             : "the server closed it unexpectedly");
      _mailsync_imap_connection_lost (self, eof);
      return;
    }
  _mailsync_imap_connection_note_activity (self);
  if (!feed (self, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes)))
    return;
  _mailsync_imap_connection_start_reading (self);
}

void
_mailsync_imap_connection_start_reading (MailsyncImapConnection *self)
{
  if (self->reading || self->in == NULL || self->fatal)
    return;
  self->reading = TRUE;
  g_input_stream_read_bytes_async (self->in, READ_CHUNK, G_PRIORITY_DEFAULT, self->io_cancellable,
                                   read_done, g_object_ref (self));
}
