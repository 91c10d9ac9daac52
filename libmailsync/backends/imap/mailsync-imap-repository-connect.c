/* The connection of an IMAP repository: connect and log in (the password,
 * OAuth2 token or certificate asked through the interaction), wait when
 * the server limits us, keepalive NOOPs, open and close (LOGOUT). */
#include "config.h"

#include "mailsync-imap-repository-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "credentials/mailsync-netrc.h"
#include "mailsync-interaction-private.h"
#include "mailsync-imap-auth.h"
#include "config/mailsync-oauth2-private.h"

#include <string.h>

/* Forget @slot's connection, keeping its counters in the totals. */
void
_mailsync_imap_repository_drop_connection (MailsyncImapRepository *self, MailsyncImapSlot *slot)
{
  g_autoptr(MailsyncImapConnection) connection = NULL;
  guint64 in, out, commands;

  if (slot->keepalive_source != NULL)
    {
      g_source_destroy (slot->keepalive_source);
      g_clear_pointer (&slot->keepalive_source, g_source_unref);
    }
  if (slot == &self->main)
    _mailsync_imap_repository_drop_early_listing (self);
  if (slot->connection == NULL)
    return;
  /* get_stats reads the slots' connections from any thread */
  g_mutex_lock (&self->pool_lock);
  connection = g_steal_pointer (&slot->connection);
  mailsync_imap_connection_get_stats (connection, &in, &out, &commands);
  self->bytes_read += in;
  self->bytes_written += out;
  self->commands_sent += commands;
  g_mutex_unlock (&self->pool_lock);
}

/* A slot's new connection, seen by get_stats from then on (made with
 * the sync's settings: no restore_in_flight). */
static void
set_connection (MailsyncImapRepository *self, MailsyncImapSlot *slot, MailsyncImapConnection *connection)
{
  g_mutex_lock (&self->pool_lock);
  g_assert (slot->connection == NULL);
  slot->connection = connection;
  slot->in_flight_reset = FALSE;
  g_mutex_unlock (&self->pool_lock);
}

static void
noop_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);

  /* Nothing to report to: the keepalive has no caller, and the next sync
   * finds the connection closed and opens a new one (offlineimap only
   * warns too). The library does not print; a debug line says why. */
  if (ok == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Keepalive NOOP on a dropped connection failed: %s", error->message);
}

/* keepalive: a NOOP when the connection has been idle that long, which in
 * practice means between syncs (the account iterates the context of a
 * held connection while it sleeps). */
static gboolean
keepalive_tick (gpointer user_data)
{
  MailsyncImapSlot *slot = user_data;
  MailsyncImapRepository *self = slot->repository;

  if (slot->connection != NULL && mailsync_imap_connection_is_open (slot->connection) &&
      mailsync_imap_connection_get_idle_time (slot->connection) >= (gint64) self->keepalive * G_USEC_PER_SEC)
    mailsync_imap_connection_send_async (slot->connection, mailsync_imap_request_new_simple ("NOOP", NULL), NULL,
                                         noop_done, NULL);
  return G_SOURCE_CONTINUE;
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
  context = _mailsync_imap_repository_dup_ask_context (self);
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

/* At most this many waits per connection between two closes of the
 * repository (one account sync), each twice the last from
 * THROTTLE_BASE_MS, jittered, and never over THROTTLE_CAP: a budget of at
 * most about 8.5 minutes, after which that connection stops with the
 * server's words rather than hammer it. MAILSYNC_TEST_THROTTLE_BASE_MS
 * scales every wait (the server's suggested waits too) for the tests, in
 * a build with test hooks.
 *
 * The budget is each slot's (maxconnections), not the repository's: the
 * limit a pool meets first is the server's cap on connections per user,
 * which refuses only the connections past it ("Too many simultaneous
 * connections"); a budget shared by the slots would let those spend it
 * and stop the folders of the connections that work. With max-connections
 * N the server sees at most N times the attempts of one connection, each
 * connection spaced as one is, which the user chose with maxconnections.
 * The waits themselves run without connect_lock (connect_now), so that a
 * slot waiting out a limit delays no other slot's login, and a close ends
 * every wait at once (throttle_interrupt). */
#define THROTTLE_WAITS 8
#define THROTTLE_BASE_MS 2000
#define THROTTLE_CAP (150 * THROTTLE_BASE_MS)

static guint
throttle_base_ms (void)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  /* a test hook (configure --enable-test-hooks): never read by a release */
  const char *test = g_getenv ("MAILSYNC_TEST_THROTTLE_BASE_MS");

  if (test != NULL)
    return (guint) g_ascii_strtoull (test, NULL, 10);
#endif
  return THROTTLE_BASE_MS;
}

/* The throttle wait's end: the timer ran out (on the waiting thread). */
static gboolean
sleep_over (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* A cancel or a close on any thread wakes the waiting thread to see it.
 * A signal handler, not g_cancellable_source_new(): GLib 2.74's
 * cancellable source can leak when it is cancelled on another thread
 * while the waiter drops it, and a close cancels the interrupt from the
 * closing thread (LeakSanitizer saw it once in check-imap-pool's
 * throttled-slot case); see also mailsync-interaction-invoke.c. */
static void
sleep_woken (GCancellable *cancellable, gpointer context)
{
  g_main_context_wakeup (context);
}

/* Waits @ms on the worker's context, without connect_lock; a cancel ends
 * the wait at once, and so does a close of the repository (an error that
 * says so: the connection was to be logged out anyway). */
static gboolean
sleep_ms (MailsyncImapRepository *self, guint ms, GCancellable *cancellable, GError **error)
{
  g_autoptr(GCancellable) interrupt = NULL;
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) timer = g_timeout_source_new (ms);
  gboolean over = FALSE;
  gulong cancelled = 0, interrupted;

  g_mutex_lock (&self->pool_lock);
  interrupt = g_object_ref (self->throttle_interrupt);
  g_mutex_unlock (&self->pool_lock);
  g_source_set_callback (timer, sleep_over, &over, NULL);
  g_source_attach (timer, context);
  /* connecting to one already cancelled calls the handler at once */
  if (cancellable != NULL)
    cancelled = g_cancellable_connect (cancellable, G_CALLBACK (sleep_woken), context, NULL);
  interrupted = g_cancellable_connect (interrupt, G_CALLBACK (sleep_woken), context, NULL);
  while (!over && !g_cancellable_is_cancelled (cancellable) && !g_cancellable_is_cancelled (interrupt))
    _mailsync_await_iteration ();
  /* each waits for its handler running on another thread */
  g_cancellable_disconnect (cancellable, cancelled);
  g_cancellable_disconnect (interrupt, interrupted);
  g_source_destroy (timer);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (g_cancellable_is_cancelled (interrupt))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   "Repository %s: closed while a connection waited out the server's limit",
                   mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)));
      return FALSE;
    }
  return TRUE;
}

/* The server said it limits us (@why: its words): how long @slot waits
 * (*@delay_ms), with fewer commands in flight afterwards, or FALSE when
 * the slot's budget is spent. Under connect_lock (the settings are
 * shared); the caller waits after releasing it (connect_now). A jittered
 * wait keeps many clients that were cut at once from coming back at
 * once. */
static gboolean
back_off (MailsyncImapRepository *self, MailsyncImapSlot *slot, const char *why, guint hint_ms,
          guint *delay_ms, GError **error)
{
  guint base = throttle_base_ms ();
  guint64 step, delay;
  guint64 hint = (guint64) hint_ms * base / THROTTLE_BASE_MS;
  const char *name = mailsync_repository_get_name (MAILSYNC_REPOSITORY (self));
  guint waits;

  g_mutex_lock (&self->pool_lock);
  if (slot->throttle_gave_up == NULL && slot->throttle_waits >= THROTTLE_WAITS)
    slot->throttle_gave_up =
      g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED,
                   "Repository %s: the server still limits this client after %u waits "
                   "(%" G_GINT64_FORMAT " s in all); giving up for this run: %s",
                   name, slot->throttle_waits, slot->throttle_waited_ms / 1000, why ? why : "");
  if (slot->throttle_gave_up != NULL)
    {
      g_propagate_error (error, g_error_copy (slot->throttle_gave_up));
      g_mutex_unlock (&self->pool_lock);
      return FALSE;
    }
  step = MIN ((guint64) base << MIN (slot->throttle_waits, 20), (guint64) base * 150);
  delay = step / 2 + (step > 1 ? (guint64) g_random_int_range (0, (gint32) MIN (step / 2, G_MAXINT32)) : 0);
  /* The server's own suggestion wins when longer, within the cap. */
  delay = MIN (MAX (delay, hint), (guint64) base * 150);
  waits = ++slot->throttle_waits;
  slot->throttle_waited_ms += (gint64) delay;
  /* this sync's halving stands: not undone by restore_in_flight (review24 L2) */
  slot->in_flight_reset = FALSE;
  g_mutex_unlock (&self->pool_lock);
  /* Fewer commands at once on this and the next connections. */
  self->settings->max_in_flight = MAX (MIN (self->settings->max_in_flight ? self->settings->max_in_flight
                                                                            : MAILSYNC_IMAP_THROTTLE_IN_FLIGHT,
                                            MAILSYNC_IMAP_THROTTLE_IN_FLIGHT) / 2, 1);
  if (slot->connection != NULL)
    mailsync_imap_connection_set_max_in_flight (slot->connection, self->settings->max_in_flight);
  g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
         "throttled (%s): waiting %" G_GUINT64_FORMAT " ms on connection %u (wait %u of %u), then %u commands in flight",
         why ? why : "", delay, slot->number, waits, THROTTLE_WAITS, self->settings->max_in_flight);
  *delay_ms = MAX ((guint) delay, 1);
  return TRUE;
}

/* TRUE, with @error, once @slot's budget for the server's limits is spent. */
static gboolean
slot_gave_up (MailsyncImapRepository *self, MailsyncImapSlot *slot, GError **error)
{
  GError *gave_up = NULL;

  g_mutex_lock (&self->pool_lock);
  if (slot->throttle_gave_up != NULL)
    gave_up = g_error_copy (slot->throttle_gave_up);
  g_mutex_unlock (&self->pool_lock);
  if (gave_up == NULL)
    return FALSE;
  g_propagate_error (error, gave_up);
  return TRUE;
}

/* The login loop's state over one connect_now, its waits included (a
 * wait returns from connect_locked, which is then called again): the
 * bound on asking for a password again, the OAuth2 token refreshed once,
 * a broken login pipeline and a refused login before the greeting given
 * up on, hold for the whole connect, not for each wait. */
typedef struct
{
  guint asked;
  guint refreshed;
  gboolean pipeline;
  gboolean early;
  MailsyncImapEarlyVerdict early_verdict; /* what became of what went before the greeting */
} LoginState;

#define LOGIN_STATE_INIT { 0, 0, TRUE, TRUE, MAILSYNC_IMAP_EARLY_NOT_SENT }

/* Connects and logs in @slot's connection unless it is open; on the
 * slot's worker. The slots share the settings and the credentials: one
 * connects at a time (connect_lock). TRUE with *@delay_ms set: the server
 * limits us, wait that long without the lock and call again (with the
 * same @state). */
static gboolean connect_locked (MailsyncImapRepository *self, MailsyncImapSlot *slot, LoginState *state,
                                guint *delay_ms, GCancellable *cancellable, GError **error);

/* ...and waits out the server's limits between the tries, unlocked
 * (*@waited: whether it did). */
static gboolean
connect_now_full (MailsyncImapRepository *self, MailsyncImapSlot *slot, gboolean *waited, GCancellable *cancellable,
                  GError **error)
{
  LoginState state = LOGIN_STATE_INIT;

  for (;;)
    {
      guint delay_ms = 0;
      gboolean ok;

      g_rec_mutex_lock (&self->connect_lock);
      ok = connect_locked (self, slot, &state, &delay_ms, cancellable, error);
      g_rec_mutex_unlock (&self->connect_lock);
      if (!ok || delay_ms == 0)
        return ok;
      if (waited != NULL)
        *waited = TRUE;
      if (!sleep_ms (self, delay_ms, cancellable, error))
        return FALSE;
    }
}

static gboolean
connect_now (MailsyncImapRepository *self, MailsyncImapSlot *slot, GCancellable *cancellable, GError **error)
{
  return connect_now_full (self, slot, NULL, cancellable, error);
}

static gboolean
connect_locked (MailsyncImapRepository *self, MailsyncImapSlot *slot, LoginState *st, guint *delay_ms,
                GCancellable *cancellable, GError **error)
{
  MailsyncRepository *repo = MAILSYNC_REPOSITORY (self);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MailsyncInteraction) interaction = NULL;

  _mailsync_imap_repository_start_sync_locked (self);
  if (slot->connection && mailsync_imap_connection_is_open (slot->connection))
    {
      guint hint_ms = 0;
      g_autofree char *why = NULL;

      /* A command was refused as throttled: the engine reopens before it
       * resumes the folder; wait first, on the same connection. */
      if (mailsync_imap_connection_take_throttle (slot->connection, &hint_ms, &why))
        return back_off (self, slot, why, hint_ms, delay_ms, error);
      return TRUE;
    }
  if (slot->connection != NULL)
    {
      guint hint_ms = 0;
      g_autofree char *why = NULL;

      /* Closed by a BYE that limits us: wait before connecting again
       * (the next call finds no connection and connects). */
      if (mailsync_imap_connection_take_throttle (slot->connection, &hint_ms, &why))
        {
          _mailsync_imap_repository_drop_connection (self, slot);
          g_atomic_pointer_set (&slot->selected, NULL);
          return back_off (self, slot, why, hint_ms, delay_ms, error);
        }
    }
  _mailsync_imap_repository_drop_connection (self, slot);
  g_atomic_pointer_set (&slot->selected, NULL);
  /* a login unanswered: no connection is made, the ones made go on
   * (review22 M2) */
  if (slot_gave_up (self, slot, error) || _mailsync_imap_repository_login_unanswered (self, error))
    return FALSE;
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
  _mailsync_imap_repository_take_asker_secret (self);
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
   * user types; but only now, once the account said "connecting", as
   * offlineimap asks (session 20), never for an account that does not
   * connect. Without an interaction and without the config's error, as
   * before: the password given, or none. A tunnel may greet with
   * PREAUTH, so only the config asks for one (as it did before session
   * 20, when it asked while it built the account); a second connection
   * finds the password the first one was given. */
  if (self->settings->password == NULL && self->settings->oauth2_token == NULL && self->oauth2 == NULL &&
      !self->settings->preauth_tunnel &&
      (self->password_missing != NULL ||
       (interaction != NULL && self->settings->host != NULL && !self->settings->transport_tunnel)) &&
      !_mailsync_imap_repository_ask_missing_secret (self, interaction, cancellable, error))
    return FALSE;
  /* Before connecting, as the password: the server's login timeout does
   * not run while the token endpoint answers. */
  if (!self->settings->preauth_tunnel && !_mailsync_imap_repository_refresh_token (self, NULL, cancellable, error))
    return FALSE;
  for (;; st->asked++)
    {
      g_autoptr(MailsyncImapSettings) settings = mailsync_imap_settings_copy (self->settings);
      g_autoptr(GError) local_error = NULL;
      g_auto(GStrv) cached = st->early ? _mailsync_imap_repository_cached_capabilities (self) : NULL;
      MailsyncImapAuthMechanism refused;
      gboolean bearer;

      settings->port = _mailsync_imap_repository_effective_port (settings);
      set_connection (self, slot, mailsync_imap_connection_new (settings));
      if (interaction != NULL || self->accepted_certs != NULL)
        mailsync_imap_connection_set_certificate_handler (slot->connection, on_certificate, self);
      /* The first connection of an open: the folder list comes next, so
       * its LIST goes with the login (issue 13). A reconnection later in
       * the sync lists nothing. */
      if (!self->listed && st->pipeline && slot == &self->main)
        mailsync_imap_connection_set_login_pipeline (slot->connection, _mailsync_imap_repository_send_early_listing,
                                                     self);
      /* IMAPS: the login before the greeting (repository-greeting.c). */
      if (cached != NULL)
        mailsync_imap_connection_set_early_capabilities (slot->connection, (const char *const *) cached);
      mailsync_imap_connection_open_async (slot->connection, cancellable, _mailsync_store_result, &result);
      if (mailsync_imap_connection_open_finish (slot->connection, _mailsync_await (&result), &local_error))
        {
          _mailsync_imap_repository_keep_accepted_secret (self, settings, slot->connection);
          break;
        }
      g_clear_object (&result);
      /* The greeting was not the one the login went before (PREAUTH,
       * BYE, other capabilities): forget it, and connect once more the
       * usual way (a server that limits us is waited out first). A server
       * that said it does not take the login before its greeting: the
       * same, and the file then says so (early=false), so that later runs
       * do not pay two connections each. No word at all (closed, reset,
       * timed out): the same, counted in the file; early=false only after
       * a few in a row (repository-greeting.c). */
      if (st->early && mailsync_imap_connection_get_early_login_refused (slot->connection))
        {
          g_debug ("%s: %s; connecting again, waiting for the greeting", mailsync_repository_get_name (repo),
                   local_error->message);
          if (mailsync_imap_connection_get_early_login_ignored (slot->connection))
            {
              /* The server's word: early=false now, not once the usual
               * connection logs in. A server that answered the NOOP
               * before a login it was judging (review of session 20 Low
               * 2; doc/design.md) gets the password a second time on the
               * usual connection; with a wrong one that login fails too,
               * and the next run must not send it twice again. (After a
               * STARTTLS refused there is no list after TLS yet, and no
               * password went: written with the usual connection's.) */
              st->early_verdict = MAILSYNC_IMAP_EARLY_IGNORED;
              _mailsync_imap_repository_keep_capabilities (self, slot->connection, st->early_verdict);
            }
          else if (mailsync_imap_connection_get_early_login_unanswered (slot->connection))
            st->early_verdict = MAILSYNC_IMAP_EARLY_UNANSWERED;
          else
            _mailsync_imap_repository_forget_capabilities (self);
          st->early = FALSE;
          /* ...unless the server judged the login (review of session
           * 21 L3): a refused login, or an unanswered one, below */
          if (!g_error_matches (local_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED) &&
              !mailsync_imap_connection_get_early_login_judged (slot->connection))
            {
              _mailsync_imap_repository_drop_connection (self, slot);
              st->asked--; /* not an ask */
              continue;
            }
        }
      /* The server answered the login with a "+" and read the LIST sent
       * after it as the answer: out of step, so the connection failed
       * (nothing waits for that LIST). Once more without the pipeline:
       * the login then goes alone, as before issue 13. */
      if (st->pipeline && mailsync_imap_connection_get_login_pipeline_broken (slot->connection))
        {
          g_debug ("%s: %s; connecting again without the LIST in the login's burst",
                   mailsync_repository_get_name (repo), local_error->message);
          _mailsync_imap_repository_drop_connection (self, slot);
          st->pipeline = FALSE;
          st->asked--; /* not an ask */
          continue;
        }
      if (g_error_matches (local_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED))
        {
          guint hint_ms = 0;
          g_autofree char *why = NULL;

          /* "Too many simultaneous connections", BYE [UNAVAILABLE]: wait
           * and connect again; not a refused login (no new password). */
          mailsync_imap_connection_take_throttle (slot->connection, &hint_ms, &why);
          _mailsync_imap_repository_drop_connection (self, slot);
          /* the next call connects again, after the wait */
          return back_off (self, slot, local_error->message, hint_ms, delay_ms, error);
        }
      refused = mailsync_imap_connection_get_refused_mechanism (slot->connection);
      bearer = refused == MAILSYNC_IMAP_AUTH_XOAUTH2 || refused == MAILSYNC_IMAP_AUTH_OAUTHBEARER;
      /* The login written and never answered (a timeout, a close, the
       * early login's NOOP unanswered too): the server may be judging the
       * password still. Not a transient loss: the runner's retry, and
       * every other slot's connect of this sync, would send it again
       * (1 + folders x (1 + retrycount) times; review of session 21 M1).
       * The sync ends here with one error; the next sync's start (or a
       * close) lets it connect again (repository-sync.c). */
      if (mailsync_imap_connection_get_failed_during_login (slot->connection) &&
          !g_cancellable_is_cancelled (cancellable) &&
          !g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED))
        {
          GError *unanswered = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED,
                                            "Repository %s: %s; no new login until the next sync",
                                            mailsync_repository_get_name (repo), local_error->message);

          _mailsync_imap_repository_drop_connection (self, slot);
          _mailsync_imap_repository_record_login_unanswered (self, unanswered);
          g_propagate_error (error, unanswered);
          return FALSE;
        }
      _mailsync_imap_repository_drop_connection (self, slot);
      /* A refused OAuth2 token (expired, revoked early) is refreshed once
       * and tried on a new connection: one more login, never a loop. */
      if (bearer && self->oauth2 != NULL && st->refreshed++ == 0 &&
          g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED))
        {
          g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
                 "the server refused the OAuth2 access token: refreshing it once");
          if (!_mailsync_imap_repository_refresh_token (self, self->settings->oauth2_token, cancellable, error))
            return FALSE;
          st->asked--; /* not an ask */
          continue;
        }
      /* The server has no XOAUTH2 and there is no password for the rest
       * of auth_mechanisms: the interaction may give one. */
      if (interaction != NULL && st->asked < MAX_ASKS_AFTER_REFUSAL &&
          g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED))
        {
          /* shown before the prompt; the error that stands if none comes */
          if (!_mailsync_imap_repository_ask_secret (self, interaction, local_error, FALSE, cancellable, error))
            return FALSE;
          continue;
        }
      /* A password the configuration gives (an option, a netrc, the
       * keyring) is never asked for: offlineimap's rule, and a driver that
       * answers no question because its configuration has the password
       * would wait forever (audit F2). The next sync sends it again. */
      if (!bearer && self->password_source != NULL &&
          g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED))
        {
          _mailsync_imap_repository_configured_refused (self, local_error, error);
          return FALSE;
        }
      /* Refused: one failed login, then a new password on a new
       * connection (the server may have closed this one, and the user
       * may take longer than its login timeout). An asked password is
       * forgotten first: if nobody gives another, it is not sent again;
       * the account's asker may have one another login gave since. */
      if (g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED) &&
          _mailsync_imap_repository_forget_refused_secret (self, bearer) && st->asked < MAX_ASKS_AFTER_REFUSAL)
        continue;
      if (interaction == NULL || st->asked >= MAX_ASKS_AFTER_REFUSAL ||
          !g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!_mailsync_imap_repository_ask_secret (self, interaction, local_error, bearer, cancellable, error))
        return FALSE;
    }
  if (self->keepalive > 0)
    {
      /* the repository owns the source and destroys it with the connection */
      slot->keepalive_source = g_timeout_source_new_seconds (self->keepalive);
      g_source_set_callback (slot->keepalive_source, keepalive_tick, slot, NULL);
      g_source_attach (slot->keepalive_source, g_main_context_get_thread_default ());
    }
  /* this connection's early commands were answered */
  if (mailsync_imap_connection_get_sent_early (slot->connection))
    st->early_verdict = MAILSYNC_IMAP_EARLY_ANSWERED;
  _mailsync_imap_repository_keep_capabilities (self, slot->connection, st->early_verdict);
  /* kept past close, for --info and callers' diagnostics: the
   * repository's own connection's */
  if (slot == &self->main)
  {
    g_autofree char *caps = mailsync_imap_connection_get_capability_string (slot->connection);

    g_strfreev (self->capabilities);
    self->capabilities = g_strsplit (caps, " ", -1);
    g_free (self->greeting);
    self->greeting = g_strdup (mailsync_imap_connection_get_greeting (slot->connection));
  }
  return TRUE;
}

/* A command of the repository's own (LIST, NAMESPACE, LSUB) failed
 * because the server limits us (@cause: NO [THROTTLED], a BYE with
 * [UNAVAILABLE]...), outside any folder's sync, where the engine's
 * reopen-and-resume does not reach: wait within the same budget as
 * every other wait of this sync, on the same connection or on a new one
 * when the server closed it, so that the caller can send the command
 * again. FALSE once the budget is spent (the error says so with the
 * server's words) or on a failure to reconnect. */
gboolean
_mailsync_imap_repository_wait_throttled (MailsyncImapRepository *self, const GError *cause,
                                          GCancellable *cancellable, GError **error)
{
  gboolean waited = FALSE, ok;
  guint delay_ms = 0;

  if (!connect_now_full (self, &self->main, &waited, cancellable, error))
    return FALSE;
  /* connect_now waits only for a limit the connection recorded: a retry
   * must never follow at once, whatever became of that record. */
  if (waited)
    return TRUE;
  g_rec_mutex_lock (&self->connect_lock);
  ok = back_off (self, &self->main, cause->message, 0, &delay_ms, error);
  g_rec_mutex_unlock (&self->connect_lock);
  return ok && sleep_ms (self, delay_ms, cancellable, error);
}

/* A repository nobody opened is opened by the first call that needs it
 * (a pooled slot's connection by its first job); a connection that was
 * lost stays an error until the owner reopens (the engine re-checks
 * UIDVALIDITY when it does). On @slot's worker. */
gboolean
_mailsync_imap_repository_ensure_slot (MailsyncImapRepository *self, MailsyncImapSlot *slot,
                                       GCancellable *cancellable, GError **error)
{
  /* No more commands on this connection this sync once the server's
   * limits won: the folders after it fail at once instead of each trying
   * again. */
  if (slot_gave_up (self, slot, error))
    return FALSE;
  if (slot->connection == NULL)
    return connect_now (self, slot, cancellable, error);
  if (mailsync_imap_connection_is_open (slot->connection))
    {
      _mailsync_imap_repository_restore_in_flight (self, slot);
      return TRUE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "Repository %s: the connection was lost",
               mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)));
  return FALSE;
}

gboolean
_mailsync_imap_repository_ensure_connected (MailsyncImapRepository *self, GCancellable *cancellable,
                                            GError **error)
{
  return _mailsync_imap_repository_ensure_slot (self, &self->main, cancellable, error);
}

gboolean
_mailsync_imap_repository_connect_slot (MailsyncImapRepository *self, MailsyncImapSlot *slot,
                                        GCancellable *cancellable, GError **error)
{
  return connect_now (self, slot, cancellable, error);
}

static void
open_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;
  GError *error = NULL;

  if (connect_now (self, &self->main, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
repository_open_async (MailsyncRepository *repo, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  _mailsync_imap_repository_queue_job (MAILSYNC_IMAP_REPOSITORY (repo),
                                       g_task_new (repo, cancellable, callback, user_data),
                                       repository_open_async, open_job);
}

/* On @slot's worker: LOGOUT (with the last burst when it can go there)
 * and close. */
void
_mailsync_imap_repository_close_slot (MailsyncImapRepository *self, MailsyncImapSlot *slot,
                                      GCancellable *cancellable)
{
  if (slot->connection && mailsync_imap_connection_is_open (slot->connection)
      && !_mailsync_imap_connection_logout_and_close (slot->connection, cancellable))
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(MailsyncImapResponse) ok = NULL;

      mailsync_imap_connection_send_async (slot->connection, mailsync_imap_request_new_simple ("LOGOUT", NULL),
                                           cancellable, _mailsync_store_result, &result);
      ok = mailsync_imap_connection_send_finish (slot->connection, _mailsync_await (&result), NULL);
    }
  if (slot->connection)
    mailsync_imap_connection_close (slot->connection);
  _mailsync_imap_repository_drop_connection (self, slot);
  g_atomic_pointer_set (&slot->selected, NULL);
}

static void
close_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;
  g_autoptr(GCancellable) interrupt = NULL;

  /* a pooled slot waiting out a limit stops waiting: its close job is
   * queued behind that wait */
  g_mutex_lock (&self->pool_lock);
  interrupt = g_object_ref (self->throttle_interrupt);
  g_mutex_unlock (&self->pool_lock);
  g_cancellable_cancel (interrupt);
  /* every connection of the pool is logged out, each on its own thread */
  _mailsync_imap_repository_pool_close (self, cancellable);
  _mailsync_imap_repository_close_slot (self, &self->main, cancellable);
  g_rec_mutex_lock (&self->connect_lock);
  self->listed = FALSE;
  /* The next sync has a new budget for the server's limits, and starts
   * with the full pipeline again (0: the connection's default): a limit
   * lasts a sync, and a daemon that halved it on every throttle of the
   * week would end up sending one command at a time for good. */
  self->settings->max_in_flight = 0;
  /* ...and counts its own early-unanswered, once (repository-greeting.c) */
  self->early_unanswered_counted_at = 0;
  g_mutex_lock (&self->pool_lock);
  _mailsync_imap_repository_reset_budget_locked (&self->main);
  for (guint i = 0; i < self->pool->len; i++)
    _mailsync_imap_repository_reset_budget_locked (self->pool->pdata[i]);
  /* ...and may log in again */
  g_clear_error (&self->login_unanswered);
  g_clear_object (&self->throttle_interrupt);
  self->throttle_interrupt = g_cancellable_new ();
  g_mutex_unlock (&self->pool_lock);
  g_rec_mutex_unlock (&self->connect_lock);
  g_task_return_boolean (task, TRUE);
}

static void
repository_close_async (MailsyncRepository *repo, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  _mailsync_imap_repository_queue_job (MAILSYNC_IMAP_REPOSITORY (repo),
                                       g_task_new (repo, cancellable, callback, user_data),
                                       repository_close_async, close_job);
}

void
_mailsync_imap_repository_connect_class_init (MailsyncRepositoryClass *repo_class)
{
  repo_class->open_async = repository_open_async;
  repo_class->open_finish = _mailsync_imap_repository_bool_finish;
  repo_class->close_async = repository_close_async;
  repo_class->close_finish = _mailsync_imap_repository_bool_finish;
}
