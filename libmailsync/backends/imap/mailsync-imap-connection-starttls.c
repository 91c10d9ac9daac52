/* STARTTLS in two round trips fewer (issue 13 item 6; doc/design.md
 * "STARTTLS in two round trips fewer"). With the list a server
 * answered to CAPABILITY after STARTTLS on an earlier run (the capability
 * cache, kept with starttls=true; never a list learned before TLS, RFC
 * 9051 6.2.1), STARTTLS is written before the greeting, and after the
 * handshake CAPABILITY, the login and the login pipeline's commands go in
 * one flight. The CAPABILITY's answer, which comes before the login's,
 * takes the role of the IMAPS greeting (connection-early.c): a list other
 * than the cached one fails the connection before the login's answer is
 * read, and the repository connects once more the usual way. Nothing but
 * STARTTLS is ever written before TLS; a refused STARTTLS never goes on
 * in clear text; the login goes only to a server verified by the
 * handshake (the same conditions as the IMAPS early login). */
#include "config.h"

#include "backends/imap/mailsync-imap-connection-private.h"

#include <string.h>

/* Only with a cache the repository gave for STARTTLS (its file says the
 * list is one from after STARTTLS), on a socket, not a tunnel. */
gboolean
_mailsync_imap_connection_may_starttls_early (MailsyncImapConnection *self)
{
  const MailsyncImapSettings *s = self->settings;

  return self->early_capabilities != NULL && self->early_capabilities[0] != NULL &&
         s->security == MAILSYNC_IMAP_SECURITY_STARTTLS && s->preauth_tunnel == NULL && s->transport_tunnel == NULL;
}

static void
on_tls_capability (MailsyncImapResponse *response, gpointer user_data)
{
  MailsyncImapConnection *self = user_data;

  if (response->data_kind != MAILSYNC_IMAP_DATA_CAPABILITY)
    return;
  g_strfreev (self->tls_capabilities);
  self->tls_capabilities = g_strdupv (response->u.strv);
}

/* A CAPABILITY that keeps the list it is answered with (the untagged
 * response; dispatch installs it as the connection's too). */
MailsyncImapRequest *
_mailsync_imap_connection_tls_capability_request (MailsyncImapConnection *self)
{
  MailsyncImapRequest *request = mailsync_imap_request_new_simple ("CAPABILITY", NULL);

  g_clear_pointer (&self->tls_capabilities, g_strfreev);
  mailsync_imap_request_set_untagged_handler (request, on_tls_capability, self);
  return request;
}

/* A server that answers CAPABILITY with nothing but its tagged OK's
 * [CAPABILITY] code: that list, then. */
void
_mailsync_imap_connection_keep_tls_capabilities (MailsyncImapConnection *self, MailsyncImapResponse *ok)
{
  if (self->tls_capabilities == NULL && ok != NULL && ok->code != NULL &&
      ok->code->kind == MAILSYNC_IMAP_CODE_CAPABILITY)
    self->tls_capabilities = g_strdupv (ok->code->strv);
}

/* As connection-early.c: the server's word that it does not take what
 * came before its greeting (it answered STARTTLS before greeting, or
 * refused the STARTTLS it offers): connect again the usual way, and (the
 * repository) send nothing early to this server any more. */
static void
ignored (MailsyncImapConnection *self)
{
  self->early_refused = TRUE;
  self->early_ignored = TRUE;
}

/* No word at all (closed, reset, timed out): a network or a busy server
 * does that too (review 1 Low 4 of session 19). Connect again the usual
 * way; the repository counts these, and only a few in a row turn the
 * early STARTTLS off. */
static void
unanswered (MailsyncImapConnection *self)
{
  self->early_refused = TRUE;
  self->early_unanswered = TRUE;
}

/* Fails the connection: "<peer> @why". */
static gboolean
refuse (MailsyncImapConnection *self, GError **error, const char *why)
{
  g_autofree char *peer = _mailsync_imap_connection_peer_label (self);
  g_autoptr(GError) refusal = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL, "%s %s", peer, why);

  self->early_refused = TRUE;
  _mailsync_imap_connection_fail_everything (self, refusal);
  g_propagate_error (error, g_steal_pointer (&refusal));
  return FALSE;
}

/* STARTTLS was answered (tagged) after an OK without a code and no other
 * greeting: that OK was the greeting, of a server whose greeting carries
 * no [CAPABILITY] (Exchange: "* OK The Microsoft Exchange IMAP4 service is
 * ready."; review 1 Low 1 of session 18). Dovecot's notice is followed by
 * its real greeting before any answer, so it never gets here. */
static void
take_notice_as_greeting (MailsyncImapConnection *self)
{
  GTask *task = g_steal_pointer (&self->greeting_task);

  IMAP_DEBUG ("STARTTLS answered after an OK without a code: that OK was the greeting");
  g_free (self->greeting);
  self->greeting = g_steal_pointer (&self->notice);
  self->preauth = FALSE;
  g_clear_pointer (&self->greeting_capabilities, g_strfreev);
  self->early_sent_at = 0;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* STARTTLS written at once, then the greeting and STARTTLS's answer read,
 * then the handshake. Anything but an OK greeting followed by an OK to
 * STARTTLS fails the connection with nothing else sent: PREAUTH, BYE, a
 * greeting without STARTTLS among its capabilities and a refused STARTTLS
 * are refusals (the repository forgets the cache and connects the usual
 * way, which stops before any login when the server offers no STARTTLS);
 * an answer before any greeting, a refusal by a server that still offers
 * STARTTLS, or a connection closed before STARTTLS was answered are a
 * server that does not take commands before its greeting (ignored()). A
 * throttling BYE is waited out as always, and tried early again. */
gboolean
_mailsync_imap_connection_starttls_early (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) greeted = NULL;
  g_autoptr(GAsyncResult) answered = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GError) starttls_error = NULL;
  g_autoptr(GError) greeting_error = NULL;

  self->early_starttls = TRUE;
  self->early_sent_at = g_get_monotonic_time ();
  self->greeting_task = g_task_new (self, cancellable, _mailsync_store_result, &greeted);
  g_task_set_source_tag (self->greeting_task, _mailsync_imap_connection_starttls_early);
  IMAP_DEBUG ("STARTTLS before the greeting: the capabilities after TLS are known from an earlier run");
  _mailsync_imap_connection_start_reading (self);
  mailsync_imap_connection_send_async (self, mailsync_imap_request_new_simple ("STARTTLS", NULL), cancellable,
                                       _mailsync_store_result, &answered);
  ok = mailsync_imap_connection_send_finish (self, _mailsync_await (&answered), &starttls_error);
  _mailsync_imap_connection_end_early_answer (self);
  if (self->greeting_task != NULL && self->fatal == NULL && self->notice != NULL &&
      !g_cancellable_is_cancelled (cancellable))
    take_notice_as_greeting (self);
  if (self->greeting_task != NULL)
    {
      /* STARTTLS answered, or failed, and still no greeting */
      g_autoptr(GError) odd = NULL;

      /* Both failures return the greeting's task, whose callback writes
       * into `greeted` on this frame: GTask may run it from an idle (a
       * cancelled task always), so it is awaited before returning. */
      if (g_cancellable_set_error_if_cancelled (cancellable, &odd))
        {
          _mailsync_imap_connection_fail_everything (self, odd);
          _mailsync_await (&greeted);
          g_propagate_error (error, g_steal_pointer (&odd));
          return FALSE;
        }
      if (self->fatal == NULL)
        {
          ignored (self);
          refuse (self, error, "answered STARTTLS before its greeting");
          _mailsync_await (&greeted);
          return FALSE;
        }
      /* the connection failed under it: fail_everything() returned the
       * greeting's task too, awaited below */
    }
  if (!g_task_propagate_boolean (G_TASK (_mailsync_await (&greeted)), &greeting_error))
    {
      if (!self->throttled && !g_cancellable_is_cancelled (cancellable))
        {
          /* closed, reset or timed out before any greeting; a BYE */
          if (self->greeting == NULL)
            unanswered (self);
          else
            self->early_refused = TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&greeting_error));
      return FALSE;
    }
  if (self->preauth)
    return refuse (self, error, "greeted with PREAUTH after a STARTTLS sent before its greeting");
  if (ok != NULL && self->fatal != NULL)
    {
      /* STARTTLS was answered OK and the connection failed before the
       * handshake: clear text behind the OK that answers no command (the
       * STARTTLS injection, CVE-2011-0411 class; review 2 Low 2 of session
       * 18), or a close. No handshake on it: what the handshake and the
       * login would do on a dead connection is fail again, and call the
       * server one that ignores early commands. It answered this one, so
       * it is not (early=false would turn the fast path off for good for
       * one injected line): the repository connects once more the usual
       * way, which writes the list again. */
      g_autofree char *peer = _mailsync_imap_connection_peer_label (self);

      self->early_refused = TRUE;
      g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                   "%s: the connection failed after the OK to STARTTLS, before TLS: %s", peer,
                   self->fatal->message);
      return FALSE;
    }
  if (ok == NULL)
    {
      /* a greeting without [CAPABILITY] said nothing either way */
      gboolean offered = self->greeting_capabilities == NULL;

      if (g_cancellable_is_cancelled (cancellable) || self->throttled)
        {
          g_propagate_error (error, g_steal_pointer (&starttls_error));
          return FALSE;
        }
      if (!g_error_matches (starttls_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO) &&
          !g_error_matches (starttls_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_BAD))
        {
          /* greeted, then closed, reset or timed out without an answer */
          unanswered (self);
          g_propagate_error (error, g_steal_pointer (&starttls_error));
          return FALSE;
        }
      for (guint i = 0; !offered && self->greeting_capabilities[i] != NULL; i++)
        offered = g_ascii_strcasecmp (self->greeting_capabilities[i], "STARTTLS") == 0;
      /* Still offered: the server did not take it before its greeting. Not
       * offered any more: the usual way says so, and stops there. */
      if (offered)
        ignored (self);
      {
        g_autofree char *why = g_strdup_printf ("refused a STARTTLS sent before its greeting (%s)",
                                                starttls_error->message);

        return refuse (self, error, why);
      }
    }
  if (!_mailsync_imap_connection_start_tls (self, cancellable, error))
    return FALSE;
  /* RFC 9051 6.2.1: nothing learned before TLS is kept. */
  g_hash_table_remove_all (self->capabilities);
  g_clear_pointer (&self->greeting_capabilities, g_strfreev);
  return TRUE;
}

/* The CAPABILITY sent with the login has its answer: in dispatch, before
 * the login's answer is read (the server answers in order), so a list
 * other than the cached one fails the connection before any login result
 * (or a second mechanism) is taken from it. */
static void
on_tls_capabilities_answered (MailsyncImapConnection *connection, MailsyncImapResponse *response,
                              const GError *error, gpointer user_data)
{
  MailsyncImapConnection *self = connection;
  g_autofree char *peer = NULL;
  g_autoptr(GError) refusal = NULL;

  if (error != NULL && self->fatal != NULL)
    return; /* the connection failed: the login's wait says why */
  self->tls_capabilities_checked = TRUE;
  if (error == NULL)
    {
      _mailsync_imap_connection_keep_tls_capabilities (self, response);
      if (_mailsync_imap_connection_same_capabilities (self->early_capabilities, self->tls_capabilities))
        return;
    }
  self->early_refused = TRUE;
  peer = _mailsync_imap_connection_peer_label (self);
  refusal = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                         "%s answered CAPABILITY after STARTTLS %s than last time%s%s", peer,
                         error != NULL ? "otherwise" : "with other capabilities", error != NULL ? ": " : "",
                         error != NULL ? error->message : "");
  _mailsync_imap_connection_fail_everything (self, refusal);
}

/* Right after the handshake of a STARTTLS sent early: CAPABILITY, then the
 * login chosen by the cached list (and the login pipeline's commands), in
 * one write. The CAPABILITY's verdict comes first: a connection it failed
 * reports that, not what became of the login. */
gboolean
_mailsync_imap_connection_log_in_after_starttls (MailsyncImapConnection *self, GCancellable *cancellable,
                                                 GError **error)
{
  g_autoptr(GError) login_error = NULL;
  gboolean logged_in;

  _mailsync_imap_connection_set_capabilities (self, self->early_capabilities);
  IMAP_DEBUG ("logging in with CAPABILITY after STARTTLS, by the capabilities of an earlier run");
  /* one write with the login (run_login() pumps it) */
  self->corked = TRUE;
  _mailsync_imap_connection_send_direct (self, _mailsync_imap_connection_tls_capability_request (self), NULL,
                                         on_tls_capabilities_answered, NULL);
  logged_in = _mailsync_imap_connection_authenticate (self, cancellable, &login_error);
  self->corked = FALSE;
  _mailsync_imap_connection_pump_writes (self);
  /* No login was sent (none of auth_mechanisms in the cached list): the
   * CAPABILITY still has its verdict to give. */
  while (!self->tls_capabilities_checked && self->fatal == NULL && !g_cancellable_is_cancelled (cancellable))
    _mailsync_await_iteration ();
  if (!self->tls_capabilities_checked && self->fatal == NULL)
    {
      g_autoptr(GError) cancelled = NULL;

      g_cancellable_set_error_if_cancelled (cancellable, &cancelled);
      _mailsync_imap_connection_fail_everything (self, cancelled);
    }
  if (self->early_refused)
    {
      g_propagate_error (error, g_error_copy (self->fatal));
      return FALSE;
    }
  /* The connection failed (closed, reset, socktimeout) after the
   * handshake, before CAPABILITY was answered: no word from the server
   * (review 1 of session 19, item 2), which a network gives too, so
   * never taken as a server that ignores early commands. With the
   * password on the wire the server may have been judging it (its answer
   * to CAPABILITY lost with the connection): a failed login attempt, as
   * after the usual CAPABILITY, not retried on another connection (item
   * 3). Without (a mechanism that waits for a continuation): counted,
   * and the usual way follows. */
  if (!logged_in && self->fatal != NULL && !self->tls_capabilities_checked && !self->throttled &&
      !self->failed_during_login && !g_cancellable_is_cancelled (cancellable))
    unanswered (self);
  if (!logged_in)
    {
      if (self->fatal != NULL)
        _mailsync_imap_connection_explain_unanswered_login (self, login_error);
      g_propagate_error (error, g_steal_pointer (&login_error));
      return FALSE;
    }
  return TRUE;
}
