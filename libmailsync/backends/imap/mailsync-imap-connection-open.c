/* Opening an IMAP connection: the transport (net/), TLS (implicit or
 * STARTTLS), the greeting, capabilities, ENABLE and COMPRESS. Moved from
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

/* ---- opening ------------------------------------------------------------------ */

/* Opening is a chain of steps, run on the repository's worker thread
 * (mailsync-worker.h) and awaited there one by one. */
MailsyncImapResponse *
_mailsync_imap_connection_run (MailsyncImapConnection *self, MailsyncImapRequest *request, GCancellable *cancellable, GError **error)
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
  mailsync_imap_parser_set_literal_handler (self->parser, _mailsync_imap_connection_spool_literal, NULL, NULL);
  mailsync_imap_parser_set_utf8_accept (self->parser, self->utf8_accept);
}

static gboolean
wait_greeting (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  self->greeting_task = g_task_new (self, cancellable, _mailsync_store_result, &result);
  g_task_set_source_tag (self->greeting_task, wait_greeting);
  _mailsync_imap_connection_start_reading (self);
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

gboolean
_mailsync_imap_connection_start_tls (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GIOStream) base = g_object_ref (self->stream);

  g_autoptr(GCancellable) handshake = g_cancellable_new ();
  g_autoptr(GSource) timer = NULL;
  g_autoptr(GError) local_error = NULL;
  HandshakeTimer state = { self, base, handshake, FALSE };
  gulong forward = 0;

  /* The certificate is checked against the server's name, which a
   * transporttunnel without remotehost does not give: the TLS stream
   * refused the NULL name and the open waited for ever. */
  if (self->settings->host == NULL)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "TLS through the transporttunnel needs remotehost, the name the server's certificate is "
                   "checked against: set remotehost, or ssl = no and starttls = no if the tunnel protects "
                   "the connection itself");
      return FALSE;
    }
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
      g_autofree char *peer = _mailsync_imap_connection_peer_label (self);
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
          self->verify_deferred = TRUE;
        }
    }
  use_stream (self, tls);
  return TRUE;
}

static gboolean
refresh_capabilities (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapResponse) ok = _mailsync_imap_connection_run (self, mailsync_imap_request_new_simple ("CAPABILITY", NULL), cancellable, error);

  return ok != NULL;
}

/* The CAPABILITY after STARTTLS: its list, as the server sent it, is what
 * the capability cache keeps for the next run (connection-starttls.c). */
static gboolean
ask_tls_capabilities (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapResponse) ok = _mailsync_imap_connection_run (self, _mailsync_imap_connection_tls_capability_request (self), cancellable, error);

  if (ok == NULL)
    return FALSE;
  _mailsync_imap_connection_keep_tls_capabilities (self, ok);
  return TRUE;
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
  MailsyncImapRequest *request = mailsync_imap_request_new_simple ("ENABLE", "UTF8=ACCEPT");
  gboolean enabled = FALSE;

  mailsync_imap_request_set_untagged_handler (request, on_enabled, &enabled);
  ok = _mailsync_imap_connection_run (self, request, cancellable, error);
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

  ok = _mailsync_imap_connection_run (self, mailsync_imap_request_new_simple ("COMPRESS", "DEFLATE"), cancellable, error);
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
  gboolean logged_in = FALSE;

  if (s->preauth_tunnel)
    stream = _mailsync_net_spawn_tunnel (s->preauth_tunnel, &self->tunnel, error);
  else if (s->transport_tunnel)
    stream = _mailsync_net_spawn_tunnel (s->transport_tunnel, &self->tunnel, error);
  else
    stream = _mailsync_net_connect (s->host, s->port, s->family, s->timeout, s->proxy, cancellable, error);
  if (stream == NULL)
    return FALSE;
  use_stream (self, stream);
  _mailsync_imap_connection_start_watchdog (self);

  if (s->security == MAILSYNC_IMAP_SECURITY_IMPLICIT && !s->preauth_tunnel && !_mailsync_imap_connection_start_tls (self, cancellable, error))
    return FALSE;
  /* STARTTLS the server took last time: written before the greeting, and
   * after the handshake CAPABILITY and the login in one flight
   * (connection-starttls.c). */
  if (_mailsync_imap_connection_may_starttls_early (self))
    {
      if (!_mailsync_imap_connection_starttls_early (self, cancellable, error))
        return FALSE;
      if (_mailsync_imap_connection_may_log_in_early (self))
        {
          if (!_mailsync_imap_connection_log_in_after_starttls (self, cancellable, error))
            return FALSE;
          logged_in = TRUE;
        }
      else if (!ask_tls_capabilities (self, cancellable, error))
        return FALSE;
    }
  /* IMAPS: the login in the handshake's flight (connection-early.c). */
  else if (_mailsync_imap_connection_may_log_in_early (self))
    {
      if (!_mailsync_imap_connection_log_in_early (self, cancellable, error))
        return FALSE;
      logged_in = TRUE;
    }
  else if (!wait_greeting (self, cancellable, error))
    {
      /* A server past the tunnel that waits for TLS (IMAPS) sends nothing:
       * name the rule that left TLS out (doc/design.md "Tunnels and TLS") */
      if (s->transport_tunnel && s->security == MAILSYNC_IMAP_SECURITY_NONE && error != NULL && *error != NULL &&
          !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (error, "no TLS through the transporttunnel (its command names no port 993): set "
                               "remoteport = 993 if the server past it expects TLS on connect (IMAPS), ssl = no "
                               "for STARTTLS: ");
      return FALSE;
    }
  if (s->preauth_tunnel && !self->preauth)
    {
      g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                   "preauthtunnel did not greet with PREAUTH: %s", self->greeting);
      return FALSE;
    }
  if (!self->early_starttls && g_hash_table_size (self->capabilities) == 0 && !refresh_capabilities (self, cancellable, error))
    return FALSE;

  if (s->security == MAILSYNC_IMAP_SECURITY_STARTTLS && !s->preauth_tunnel && !self->early_starttls)
    {
      g_autoptr(MailsyncImapResponse) ok = NULL;
      g_autoptr(GError) starttls_error = NULL;

      /* Never send credentials in clear: no STARTTLS, no login. */
      if (!mailsync_imap_connection_has_capability (self, "STARTTLS"))
        {
          g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_MISSING_CAPABILITY,
                       "%s does not offer STARTTLS; refusing to log in without TLS (%s, or starttls = no "
                       "to allow clear text)", _mailsync_imap_connection_server_label (self),
                       /* through a tunnel ssl = yes means no TLS (config-tunnel.c) */
                       s->transport_tunnel ? "set ssl = yes and remoteport = 993 for TLS through the tunnel "
                                             "(a server that expects TLS on connect)"
                                           : "set ssl = yes for port 993");
          return FALSE;
        }
      ok = _mailsync_imap_connection_run (self, mailsync_imap_request_new_simple ("STARTTLS", NULL), cancellable, &starttls_error);
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
                       "%s refused STARTTLS (%s); refusing to log in without TLS",
                       _mailsync_imap_connection_server_label (self), starttls_error->message);
          return FALSE;
        }
      if (!_mailsync_imap_connection_start_tls (self, cancellable, error))
        return FALSE;
      /* RFC 3501 §6.2.1: forget the pre-TLS capabilities. */
      g_hash_table_remove_all (self->capabilities);
      if (!ask_tls_capabilities (self, cancellable, error))
        return FALSE;
    }

  if (!self->preauth)
    {
      if (!logged_in && !_mailsync_imap_connection_authenticate (self, cancellable, error))
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
