/* Logging in before the greeting over IMAPS (issue 13 item 6; doc/design.md
 * "The no-op's fixed cost, and logging in before the greeting"): with the
 * [CAPABILITY] of an earlier greeting of the server, the login and the
 * login pipeline's commands follow the TLS 1.3 handshake in the client's
 * flight, one round trip less. The greeting is then checked against the
 * capabilities the login was chosen by; any difference fails the
 * connection (the caller connects once more the usual way). */
#include "config.h"

#include "backends/imap/mailsync-imap-connection-private.h"

#include <string.h>

void
mailsync_imap_connection_set_early_capabilities (MailsyncImapConnection *self,
                                                 const char *const      *capabilities)
{
  g_return_if_fail (MAILSYNC_IS_IMAP_CONNECTION (self));

  g_strfreev (self->early_capabilities);
  self->early_capabilities = g_strdupv ((char **) capabilities);
}

gboolean
mailsync_imap_connection_get_early_login_refused (MailsyncImapConnection *self)
{
  return self->early_refused;
}

gboolean
mailsync_imap_connection_get_early_login_ignored (MailsyncImapConnection *self)
{
  return self->early_ignored;
}

gboolean
mailsync_imap_connection_get_early_login_unanswered (MailsyncImapConnection *self)
{
  return self->early_unanswered;
}

gboolean
mailsync_imap_connection_get_early_login_judged (MailsyncImapConnection *self)
{
  return self->early_judged;
}

gboolean
mailsync_imap_connection_get_failed_during_login (MailsyncImapConnection *self)
{
  return self->failed_during_login && !self->early_ignored && !self->throttled;
}

gboolean
mailsync_imap_connection_get_early_login (MailsyncImapConnection *self)
{
  return self->early_login;
}

gboolean
mailsync_imap_connection_get_sent_early (MailsyncImapConnection *self)
{
  return self->early_login || self->early_starttls;
}

const char *const *
mailsync_imap_connection_get_greeting_capabilities (MailsyncImapConnection *self)
{
  return (const char *const *) self->greeting_capabilities;
}

const char *const *
mailsync_imap_connection_get_tls_capabilities (MailsyncImapConnection *self)
{
  return (const char *const *) self->tls_capabilities;
}

/* The same capabilities, as sets of names compared without case. */
gboolean
_mailsync_imap_connection_same_capabilities (char **a, char **b)
{
  g_autoptr(GHashTable) set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (a == NULL || b == NULL)
    return FALSE;
  for (guint i = 0; a[i] != NULL; i++)
    g_hash_table_add (set, g_ascii_strup (a[i], -1));
  for (guint i = 0; b[i] != NULL; i++)
    {
      g_autofree char *upper = g_ascii_strup (b[i], -1);
      gpointer key = NULL;

      if (!g_hash_table_lookup_extended (set, upper, &key, NULL))
        return FALSE;
      g_hash_table_add (seen, key);
    }
  return g_hash_table_size (seen) == g_hash_table_size (set);
}

/* Whether the open may log in before the greeting: asked for, implicit
 * TLS on a socket (not a tunnel), or a STARTTLS the capabilities were
 * learned after on an earlier run and that went before this connection's
 * greeting (connection-starttls.c: the login then goes right after the
 * handshake, behind a CAPABILITY), TLS 1.3, a certificate that verified
 * on its own (a handler's acceptance is the user's, and comes after),
 * and was checked at all: with verify-certificate off only a pinned
 * fingerprint says who gets the login (else the login waits for a
 * greeting, as it would without the early login). */
gboolean
_mailsync_imap_connection_may_log_in_early (MailsyncImapConnection *self)
{
  const MailsyncImapSettings *s = self->settings;
  gboolean checked = s->tls != NULL && (s->tls->verify || (s->tls->fingerprints != NULL && s->tls->fingerprints[0] != NULL));

  return self->early_capabilities != NULL && self->early_capabilities[0] != NULL &&
         (s->security == MAILSYNC_IMAP_SECURITY_IMPLICIT ||
          (s->security == MAILSYNC_IMAP_SECURITY_STARTTLS && self->early_starttls)) && s->preauth_tunnel == NULL &&
         s->transport_tunnel == NULL && checked && !self->verify_deferred && MAILSYNC_IS_TLS_STREAM (self->stream) &&
         mailsync_tls_stream_get_tls13 (MAILSYNC_TLS_STREAM (self->stream));
}

/* The server's word that it does not take a login before its greeting:
 * it answered the login (BAD, a NO that judges no password) before
 * greeting, or answered a NOOP sent after the login and not the login
 * (it dropped what came first). Connect again the usual way, and (the
 * repository) log in early no more with this server (early=false). */
static void
ignored (MailsyncImapConnection *self)
{
  self->early_refused = TRUE;
  self->early_ignored = TRUE;
}

/* No word at all: closed, reset or timed out before the server said
 * anything about the login. A network, a busy server or a loaded machine
 * does that too (review 1 Low 4 of session 19): connect again the usual
 * way, and (the repository) count it; only a few in a row turn the early
 * login off. Never where the login may have reached a server that is
 * still judging it (see credential_sent()): that is a failed login
 * attempt, not retried. */
static void
unanswered (MailsyncImapConnection *self)
{
  self->early_refused = TRUE;
  self->early_unanswered = TRUE;
}

/* The login request in flight when its credential is on the wire in
 * full, in a command that takes no continuation (LOGIN, PLAIN with
 * SASL-IR), else NULL: then a NOOP written behind it is read as the next
 * command, never as the login's continuation data, and the server may
 * already be judging the password. */
static MailsyncImapRequest *
credential_sent (MailsyncImapConnection *self)
{
  for (GList *l = self->in_flight.head; l != NULL; l = l->next)
    {
      MailsyncImapRequest *request = l->data;

      if (request->secret && request->one_step && request->written)
        return request;
    }
  return NULL;
}

/* How long a command sent before the greeting may stay unanswered once
 * the server has spoken: the greeting's own delay this many times, never
 * less than a floor. A server that takes commands at all answers the
 * early STARTTLS right behind its greeting (the same process, nothing
 * else to ask), so 5 s is far above what a loaded machine takes; a login
 * has the server's auth behind it (a wrong password's delay: Dovecot
 * 2 s, others 10-60 s), and a notice may be followed by the greeting only
 * once the server's auth process is there: 30 s for those. A server that
 * dropped what came before its greeting (review 2 Low 4 of session 18)
 * then costs that, not socktimeout, which is none by default. For a
 * STARTTLS, or a login whose credential is not on the wire, the open
 * fails as "unanswered" and the repository connects once more the usual
 * way. A login whose credential is: a NOOP is sent (probe()), never a
 * second login, since the server may be slow to refuse a password
 * (review 1 of session 19, item 3). MAILSYNC_TEST_EARLY_ANSWER_MS (a
 * test hook) replaces both floors. */
#define EARLY_STARTTLS_ANSWER_MIN_MS 5000
#define EARLY_LOGIN_ANSWER_MIN_MS 30000
#define EARLY_ANSWER_GREETING_FACTOR 10
/* A server that keeps sending lines other than the answer (each one
 * starts the bound again: it is alive) gets this many bounds from its
 * greeting in all, then the answer's wait is over as if it had said
 * nothing (review of session 21 L1: a line more often than the bound
 * kept the wait going for ever with socktimeout none). */
#define EARLY_ANSWER_DEADLINE_FACTOR 3

static gint64
answer_floor_ms (gint64 floor_ms)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  /* a test hook (configure --enable-test-hooks): never read by a release */
  const char *test = g_getenv ("MAILSYNC_TEST_EARLY_ANSWER_MS");

  if (test != NULL)
    return (gint64) g_ascii_strtoull (test, NULL, 10);
#endif
  return floor_ms;
}

/* The NOOP's answer came. With the login still unanswered, the server
 * answered a command written after it first: it dropped the login (and
 * what came with it before the greeting), which is its word that it does
 * not take one, and no password was judged. Servers answer in order
 * (Dovecot, Cyrus, Courier: one command at a time before login); a login
 * answered first was the answer, whatever it said. */
static void
on_probe_answered (MailsyncImapConnection *connection, MailsyncImapResponse *response, const GError *error,
                   gpointer user_data)
{
  MailsyncImapConnection *self = connection;
  g_autofree char *peer = NULL;
  g_autoptr(GError) dropped = NULL;

  (void) response;
  (void) error;
  (void) user_data;
  _mailsync_imap_connection_disarm_early_probe (self);
  /* a failed connection: the login's wait says why */
  if (self->fatal != NULL || credential_sent (self) == NULL)
    return;
  peer = _mailsync_imap_connection_peer_label (self);
  dropped = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                         "%s answered a NOOP sent after the login it was sent before its greeting, and not the "
                         "login: it dropped what came before its greeting", peer);
  IMAP_DEBUG ("%s", dropped->message);
  ignored (self);
  _mailsync_imap_connection_fail_everything (self, dropped);
}

/* The NOOP has had no answer for as long as the login had, and the login
 * none either: the server is hung, or still judging the password, which
 * socktimeout (none by default) is not there to end (review of session
 * 20 Low 1). A failed login attempt, as socktimeout's failure would be:
 * the login is not sent again on another connection. */
static gboolean
early_probe_timed_out (gpointer user_data)
{
  MailsyncImapConnection *self = user_data;
  g_autofree char *peer = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->early_probe_timer, g_source_unref);
  /* the login was answered: the NOOP is a command like any other */
  if (self->fatal != NULL || credential_sent (self) == NULL)
    return G_SOURCE_REMOVE;
  peer = _mailsync_imap_connection_peer_label (self);
  error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "%s answered neither the login sent before its greeting nor a NOOP sent %" G_GINT64_FORMAT
                       " ms after it", peer, self->early_answer_bound_ms);
  IMAP_DEBUG ("%s", error->message);
  _mailsync_imap_connection_fail_everything (self, error);
  /* as socktimeout: nothing read later belongs to a live session */
  g_cancellable_cancel (self->io_cancellable);
  return G_SOURCE_REMOVE;
}

void
_mailsync_imap_connection_disarm_early_probe (MailsyncImapConnection *self)
{
  if (self->early_probe_timer == NULL)
    return;
  g_source_destroy (self->early_probe_timer);
  g_clear_pointer (&self->early_probe_timer, g_source_unref);
}

/* The login sent before the greeting has had no answer for the bound:
 * a NOOP behind it tells a server judging the password slowly (it answers
 * the login first) from one that dropped it (it answers the NOOP). It
 * goes at once, whatever the pipeline's limit (halved by throttles, the
 * login and its LIST can fill it), and has a bound of its own, the
 * login's again: one that nothing disarms but an answer to the login or
 * the NOOP (or the connection's end), so that no server, whatever it
 * sends or not, keeps the connect waiting for ever when socktimeout is
 * none. */
static void
probe (MailsyncImapConnection *self)
{
  MailsyncImapRequest *noop = mailsync_imap_request_new_simple ("NOOP", NULL);

  IMAP_DEBUG ("the login sent before the greeting is unanswered: a NOOP behind it asks whether it was dropped");
  self->early_probed = TRUE;
  noop->unlimited = TRUE;
  _mailsync_imap_connection_disarm_early_probe (self);
  self->early_probe_timer = g_timeout_source_new ((guint) self->early_answer_bound_ms);
  g_source_set_callback (self->early_probe_timer, early_probe_timed_out, self, NULL);
  g_source_set_static_name (self->early_probe_timer, "[mailsync] IMAP early login's NOOP");
  g_source_attach (self->early_probe_timer, g_main_context_get_thread_default ());
  _mailsync_imap_connection_send_direct (self, noop, NULL, on_probe_answered, NULL);
}

static gboolean
early_answer_timed_out (gpointer user_data)
{
  MailsyncImapConnection *self = user_data;

  g_clear_pointer (&self->early_answer_timer, g_source_unref);
  if (self->fatal != NULL)
    return G_SOURCE_REMOVE;
  /* greeted, the password on the wire: maybe judged slowly, never sent
   * again on another connection on a guess */
  if (!self->early_starttls && self->greeting_task == NULL && credential_sent (self) != NULL)
    {
      probe (self);
      return G_SOURCE_REMOVE;
    }
  {
    g_autofree char *peer = _mailsync_imap_connection_peer_label (self);
    g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                           "%s did not answer the %s sent before its greeting", peer,
                                           self->early_starttls ? "STARTTLS" : "login");

    IMAP_DEBUG ("%s", error->message);
    _mailsync_imap_connection_fail_everything (self, error);
    /* as socktimeout: nothing read later belongs to a live session */
    g_cancellable_cancel (self->io_cancellable);
  }
  return G_SOURCE_REMOVE;
}

static void
start_early_answer_timer (MailsyncImapConnection *self, gint64 ms)
{
  self->early_answer_timer = g_timeout_source_new ((guint) ms);
  g_source_set_callback (self->early_answer_timer, early_answer_timed_out, self, NULL);
  g_source_set_static_name (self->early_answer_timer, "[mailsync] IMAP early command's answer");
  g_source_attach (self->early_answer_timer, g_main_context_get_thread_default ());
}

/* The server spoke before answering what was sent before its greeting
 * (dispatch: its greeting, or @notice, an OK without a code before it):
 * the wait for that answer is bounded from now on; any response disarms
 * it, and _mailsync_imap_connection_rearm_early_answer() sets it again
 * while the answer is still to come. Where socktimeout would end the
 * wait first: not armed for a STARTTLS (socktimeout's failure is
 * "unanswered" as the bound's), armed at half of socktimeout for a login,
 * so that the NOOP goes before socktimeout could end the wait on a guess
 * (and its write starts socktimeout's clock again). */
void
_mailsync_imap_connection_arm_early_answer (MailsyncImapConnection *self, gboolean notice)
{
  guint64 timeout_ms = (guint64) self->settings->timeout * 1000;
  gboolean starttls = self->early_starttls && !notice;
  gint64 floor_ms = answer_floor_ms (starttls ? EARLY_STARTTLS_ANSWER_MIN_MS : EARLY_LOGIN_ANSWER_MIN_MS);
  gint64 delay_ms, bound_ms;

  if (self->early_sent_at == 0 || self->fatal != NULL || g_queue_is_empty (&self->in_flight) || self->early_probed)
    return;
  delay_ms = (g_get_monotonic_time () - self->early_sent_at) / 1000;
  bound_ms = MAX (floor_ms, delay_ms * EARLY_ANSWER_GREETING_FACTOR);
  if (timeout_ms > 0 && (guint64) bound_ms >= timeout_ms)
    {
      if (self->early_starttls || notice)
        return;
      bound_ms = (gint64) (timeout_ms / 2);
    }
  _mailsync_imap_connection_disarm_early_answer (self);
  self->early_answer_bound_ms = bound_ms;
  IMAP_DEBUG ("greeted %" G_GINT64_FORMAT " ms after the %s sent before it: its answer is awaited %" G_GINT64_FORMAT
              " ms at most", delay_ms, self->early_starttls ? "STARTTLS" : "login", bound_ms);
  /* the greeting: the end of every wait for that answer, from now */
  if (!notice)
    self->early_answer_deadline = g_get_monotonic_time () + bound_ms * 1000 * EARLY_ANSWER_DEADLINE_FACTOR;
  start_early_answer_timer (self, bound_ms);
}

/* After a response that did not answer it, once the server has greeted
 * or sent a notice (dispatch disarms the bound on every response): the
 * same bound again, from now. Before (review of session 20 Low 1), one
 * untagged line after the greeting ended the bound for good, and with
 * socktimeout none a login never answered then was waited for for ever.
 * A server that keeps talking is alive, and keeps the wait going, up to
 * the deadline set at the greeting (EARLY_ANSWER_DEADLINE_FACTOR). */
void
_mailsync_imap_connection_rearm_early_answer (MailsyncImapConnection *self)
{
  gboolean login = FALSE;
  gint64 ms = self->early_answer_bound_ms;

  if (self->early_answer_bound_ms == 0 || self->early_answer_timer != NULL || self->fatal != NULL ||
      self->early_probed || (self->greeting_task != NULL && self->notice == NULL))
    return;
  for (GList *l = self->in_flight.head; l != NULL && !login; l = l->next)
    login = ((MailsyncImapRequest *) l->data)->secret;
  /* the login answered, its answer not yet taken: no bound on the rest */
  if (!self->early_starttls && !login)
    return;
  /* never past the deadline set at the greeting (0 ms: at once) */
  if (self->early_answer_deadline != 0)
    ms = CLAMP ((self->early_answer_deadline - g_get_monotonic_time ()) / 1000, 0, ms);
  start_early_answer_timer (self, ms);
}

/* What went before the greeting has its answer (or the wait for it is
 * over): no bound on what follows. */
void
_mailsync_imap_connection_end_early_answer (MailsyncImapConnection *self)
{
  self->early_answer_bound_ms = 0;
  self->early_answer_deadline = 0;
  _mailsync_imap_connection_disarm_early_answer (self);
  _mailsync_imap_connection_disarm_early_probe (self);
}

void
_mailsync_imap_connection_disarm_early_answer (MailsyncImapConnection *self)
{
  if (self->early_answer_timer == NULL)
    return;
  g_source_destroy (self->early_answer_timer);
  g_clear_pointer (&self->early_answer_timer, g_source_unref);
}

static gboolean
has_capability (char **capabilities, const char *name)
{
  for (guint i = 0; capabilities != NULL && capabilities[i] != NULL; i++)
    if (g_ascii_strcasecmp (capabilities[i], name) == 0)
      return TRUE;
  return FALSE;
}

/* Whether @capabilities (a new greeting's) no longer offer the mechanism
 * of @login: the LOGIN command is offered unless LOGINDISABLED is listed;
 * a SASL mechanism is gone when the list names other AUTH= ones and not
 * its own. A list with no AUTH= at all says nothing of the mechanisms (a
 * server may name them only later, or never): a NO is then the judged
 * password it is elsewhere, not sent again (review25 L2: it was "gone",
 * and the next connection sent a wrong password a second time). */
static gboolean
mechanism_gone (const MailsyncImapRequest *login, char **capabilities)
{
  g_autofree char *auth = NULL;
  gboolean any_auth = FALSE;

  if (login->login_command)
    return has_capability (capabilities, "LOGINDISABLED");
  if (login->mechanism == MAILSYNC_IMAP_AUTH_NONE)
    return FALSE;
  for (guint i = 0; capabilities != NULL && capabilities[i] != NULL && !any_auth; i++)
    any_auth = g_ascii_strncasecmp (capabilities[i], "AUTH=", 5) == 0;
  if (!any_auth)
    return FALSE;
  auth = g_strconcat ("AUTH=", mailsync_imap_auth_mechanism_name (login->mechanism), NULL);
  return !has_capability (capabilities, auth);
}

/* Dispatch's word on the greeting of a connection that logged in before
 * it: NULL when it is an OK whose [CAPABILITY] is the one the login was
 * chosen by, else why not (the caller fails the connection with it, and
 * so the login and what followed it: nothing is sent again on this
 * connection). */
GError *
_mailsync_imap_connection_check_early_greeting (MailsyncImapConnection *self, const MailsyncImapResponse *greeting)
{
  g_autofree char *peer = NULL;
  GError *mismatch;

  if (greeting->status == MAILSYNC_IMAP_STATUS_OK && greeting->code != NULL &&
      greeting->code->kind == MAILSYNC_IMAP_CODE_CAPABILITY &&
      _mailsync_imap_connection_same_capabilities (self->early_capabilities, greeting->code->strv))
    return NULL;
  self->early_refused = TRUE;
  peer = _mailsync_imap_connection_peer_label (self);
  if (self->throttled)
    return g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED, "Server refused the connection: %s",
                        self->bye_text);
  mismatch = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                          "%s greeted with %s after a login sent before its greeting%s", peer,
                          greeting->status == MAILSYNC_IMAP_STATUS_PREAUTH ? "PREAUTH"
                          : greeting->status == MAILSYNC_IMAP_STATUS_BYE   ? "BYE"
                          : greeting->status == MAILSYNC_IMAP_STATUS_OK    ? "other capabilities"
                                                                           : "a status other than OK",
                          greeting->status == MAILSYNC_IMAP_STATUS_OK ? " than last time" : "");
  /* An OK greeting: the server reads the login that came before it, and
   * may be judging the password. Failed here, the next connection sent
   * it a second time (review of session 21 L3): its answer is awaited
   * first, bounded as any early login's (after_other_greeting()). */
  if (greeting->status == MAILSYNC_IMAP_STATUS_OK && credential_sent (self) != NULL)
    {
      self->early_mechanism_gone = greeting->code != NULL && greeting->code->kind == MAILSYNC_IMAP_CODE_CAPABILITY &&
                                   mechanism_gone (credential_sent (self), greeting->code->strv);
      IMAP_DEBUG ("%s: the login's answer is awaited first", mismatch->message);
      g_clear_error (&self->early_mismatch);
      self->early_mismatch = mismatch;
      return NULL;
    }
  return mismatch;
}

/* The login sent before a greeting with other capabilities has its
 * answer, or none for the bounds (check_early_greeting held the
 * mismatch): the connection fails either way, the capabilities are
 * forgotten (get_early_login_refused()), and the next connection, the
 * usual way, comes only when no password was judged here: the login
 * went through (the password is good: it goes again), the NOOP behind it
 * was answered first (the login was dropped), or its answer was not
 * about the password (BAD, a limit). A NO to it is a refused login, and
 * no answer a login that may be being judged (failed_during_login): the
 * password is not sent again (get_early_login_judged()). */
static gboolean
after_other_greeting (MailsyncImapConnection *self, gboolean logged_in, GError **login_error, GError **error)
{
  g_autoptr(GError) mismatch = g_steal_pointer (&self->early_mismatch);

  /* A NO to a mechanism the new greeting no longer offers is most
   * likely "unsupported mechanism": the mismatch, and the usual
   * reconnect, below (review24 L1). */
  if (!logged_in && g_error_matches (*login_error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED) &&
      !self->early_mechanism_gone)
    {
      self->early_judged = TRUE;
      if (self->fatal == NULL)
        _mailsync_imap_connection_fail_everything (self, *login_error);
      g_propagate_error (error, g_steal_pointer (login_error));
      return FALSE;
    }
  if (!logged_in && self->failed_during_login && !self->early_ignored && !self->throttled)
    {
      self->early_judged = TRUE;
      _mailsync_imap_connection_explain_unanswered_login (self, *login_error);
      g_propagate_error (error, g_steal_pointer (login_error));
      return FALSE;
    }
  if (self->fatal == NULL)
    _mailsync_imap_connection_fail_everything (self, mismatch);
  if (!logged_in && (self->early_ignored || self->throttled))
    {
      g_propagate_error (error, g_steal_pointer (login_error));
      return FALSE;
    }
  g_propagate_error (error, g_steal_pointer (&mismatch));
  return FALSE;
}

/* The connection failed with the login's credential written and no
 * answer to it (failed_during_login): not sent again on another
 * connection, since the server may have judged it. "Written" is queued
 * for the wire, maybe not sent (a reset right after STARTTLS's handshake
 * can come before the write): no retry either way, which is the safe
 * side, and the error says so rather than only "connection lost" (review
 * of session 20 Low 4). */
void
_mailsync_imap_connection_explain_unanswered_login (MailsyncImapConnection *self, GError *error)
{
  char *message;

  if (error == NULL || !self->failed_during_login || self->early_ignored || self->throttled ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  message = g_strdup_printf ("%s (with the login written and not answered: it is not sent again on another "
                             "connection, since the server may have judged it)", error->message);
  g_free (error->message);
  error->message = message;
}

/* Right after the TLS handshake: the login, chosen by the capabilities of
 * the earlier greeting, then the greeting, which dispatch checks. The
 * greeting's verdict comes first: a connection it failed reports that,
 * not what became of the login. A failure that is not the server's word
 * on the credentials (a tagged NO) or its limit (throttled) marks the
 * early login ignored (see ignored()). */
gboolean
_mailsync_imap_connection_log_in_early (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) greeted = NULL;
  g_autoptr(GError) login_error = NULL;
  g_autoptr(GError) greeting_error = NULL;
  guint64 commands_before = self->commands_sent;
  gboolean logged_in;

  self->early_login = TRUE;
  self->early_sent_at = g_get_monotonic_time ();
  self->greeting_task = g_task_new (self, cancellable, _mailsync_store_result, &greeted);
  g_task_set_source_tag (self->greeting_task, _mailsync_imap_connection_log_in_early);
  _mailsync_imap_connection_set_capabilities (self, self->early_capabilities);
  IMAP_DEBUG ("logging in before the greeting, by the capabilities of an earlier one");
  _mailsync_imap_connection_start_reading (self);
  logged_in = _mailsync_imap_connection_authenticate (self, cancellable, &login_error);
  _mailsync_imap_connection_end_early_answer (self);
  /* The login was sent and has its tagged answer, and still no greeting
   * (a failed connection or a cancel failed the greeting too): nothing
   * waits for a greeting then, socktimeout least of all. */
  if (self->greeting_task != NULL && self->fatal == NULL && self->commands_sent > commands_before &&
      !g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr(GError) odd = NULL;

      if (!logged_in && (g_error_matches (login_error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED) ||
                         g_error_matches (login_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED)))
        {
          /* the server's word on the password, or its limit, as after a
           * greeting; the greeting's task, returned with the failure,
           * writes into `greeted` on this frame, maybe from an idle */
          _mailsync_imap_connection_fail_everything (self, login_error);
          _mailsync_await (&greeted);
          g_propagate_error (error, g_steal_pointer (&login_error));
          return FALSE;
        }
      odd = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
                         "The server answered the login before its greeting%s%s", logged_in ? "" : ": ",
                         logged_in ? "" : login_error->message);
      self->early_refused = TRUE;
      if (!logged_in)
        ignored (self);
      _mailsync_imap_connection_fail_everything (self, odd);
    }
  /* A login not sent (no mechanism) still waits for the greeting. */
  if (!g_task_propagate_boolean (G_TASK (_mailsync_await (&greeted)), &greeting_error))
    {
      /* closed, reset or timed out before any greeting: no word on the
       * login (a server reads no command before it greets) */
      if (self->greeting == NULL && !self->throttled && !g_cancellable_is_cancelled (cancellable))
        unanswered (self);
      g_propagate_error (error, g_steal_pointer (&greeting_error));
      return FALSE;
    }
  if (self->early_mismatch != NULL)
    return after_other_greeting (self, logged_in, &login_error, error);
  if (!logged_in)
    {
      /* Greeted, and then the login had no answer. The NOOP's answer
       * came first (probe()): it was dropped, early_ignored says so.
       * Closed, reset or timed out with the password on the wire: the
       * server may have been judging it (a slow NO), so this is a failed
       * login attempt as after a greeting, never a second login on
       * another connection. Without the password on the wire (a
       * continuation never asked for): no word, connect again. */
      if (self->fatal != NULL && !self->early_ignored && !self->throttled &&
          !g_cancellable_is_cancelled (cancellable) && !self->failed_during_login)
        unanswered (self);
      if (self->fatal != NULL)
        _mailsync_imap_connection_explain_unanswered_login (self, login_error);
      g_propagate_error (error, g_steal_pointer (&login_error));
      return FALSE;
    }
  return TRUE;
}
