/* The IMAP connection's authentication: LOGIN and the SASL mechanisms
 * (mailsync-imap-auth.c encodes them) in offlineimap's order. Moved from
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

static char *
sasl_continue (const char *text, gpointer user_data, GError **error)
{
  return mailsync_imap_sasl_step (user_data, text, error);
}

/* LOGIN through the command builder: the user name as a string (quoted
 * when 7-bit printable, else a literal; never an atom, as before), the
 * password as a secret (the log shows <redacted>). The builder wipes its
 * copies of the line when freed. */
static MailsyncImapRequest *
login_request (const char *user, const char *pass, GError **error)
{
  g_autoptr(MailsyncImapCommand) cmd = mailsync_imap_command_new (NULL, "LOGIN", MAILSYNC_IMAP_COMMAND_NONE, error);

  if (cmd == NULL)
    return NULL;
  /* a refused argument (CR or LF) fails the finish below */
  mailsync_imap_command_add_string (cmd, user, -1, NULL);
  mailsync_imap_command_add_secret (cmd, pass, -1, NULL);
  return mailsync_imap_request_new_from_command (cmd, error);
}

/* Sends the login command and waits for its answer. @one_step: the
 * command takes no continuation (LOGIN, a SASL exchange complete in its
 * initial response); then, once it is written in full, the login
 * pipeline may send what follows the login in the same burst. */
static MailsyncImapResponse *
run_login (MailsyncImapConnection *self,
           MailsyncImapRequest    *request,
           gboolean                one_step,
           GCancellable           *cancellable,
           GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  MailsyncImapLoginFunc pipeline = self->login_pipeline;

  /* The login and what the pipeline sends behind it go out in one write
   * (one TLS record, one segment): the credential is not a record of its
   * own, and the commands do not wait for the login's write to finish. */
  self->corked = pipeline != NULL && one_step;
  request->one_step = one_step;
  mailsync_imap_connection_send_async (self, request, cancellable, _mailsync_store_result, &result);
  /* Not behind a synchronizing literal (the server would read the next
   * command as its data), not before a COMPRESS or an ENABLE UTF8=ACCEPT
   * that open_sync() sends after the login (the stream, or the names,
   * would change under the answers). */
  if (pipeline != NULL && one_step && self->fatal == NULL && self->awaiting_plus == NULL &&
      g_queue_is_empty (&self->pending) && !self->settings->compress &&
      !mailsync_imap_connection_has_capability (self, "UTF8=ACCEPT"))
    {
      self->login_pipeline = NULL;
      /* still the connection's (no answer is read before the await) */
      request->pipelined = TRUE;
      pipeline (self, self->login_pipeline_data);
    }
  self->corked = FALSE;
  _mailsync_imap_connection_pump_writes (self);
  return mailsync_imap_connection_send_finish (self, _mailsync_await (&result), error);
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
      if (mailsync_imap_connection_has_capability (self, "LOGINDISABLED"))
        {
          g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_MISSING_CAPABILITY,
                       "LOGIN: the server disabled it");
          return FALSE;
        }
      request = login_request (self->settings->user ? self->settings->user : "",
                               self->settings->password ? self->settings->password : "", error);
      if (request == NULL)
        return FALSE;
      request->mechanism = MAILSYNC_IMAP_AUTH_LOGIN;
      request->login_command = TRUE;
      ok = run_login (self, request, TRUE, cancellable, error);
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
      g_autofree char *log_line = NULL;
      g_autoptr(MailsyncImapCommand) cmd = mailsync_imap_command_new (NULL, "AUTHENTICATE",
                                                                      MAILSYNC_IMAP_COMMAND_NONE, error);

      if (cmd == NULL)
        return FALSE;
      mailsync_imap_sasl_set_authzid (sasl, self->settings->authzid);
      if (mailsync_imap_connection_has_capability (self, "SASL-IR"))
        initial = mailsync_imap_sasl_initial_response (sasl);
      mailsync_imap_command_add_atom (cmd, name, NULL);
      /* RFC 4959: the initial response is base64 (or "="), never quoted;
       * the builder checks it is printable and has no line break. */
      if (initial)
        {
          mailsync_imap_command_add_raw (cmd, initial, NULL);
          mailsync_imap_command_set_secret (cmd);
        }
      log_line = g_strdup_printf ("AUTHENTICATE %s%s", name, initial ? " <initial response redacted>" : "");
      request = mailsync_imap_request_new_from_command (cmd, error);
      if (initial)
        mailsync_imap_secret_clear (initial);
      if (request == NULL)
        return FALSE;
      /* Even without an initial response: the answers to its
       * continuations are the credentials. */
      mailsync_imap_request_set_secret (request);
      mailsync_imap_request_set_log_text (request, log_line);
      request->mechanism = mechanism;
      mailsync_imap_request_set_continuation_handler (request, sasl_continue, sasl);
      /* PLAIN with SASL-IR is one line and one answer. Not XOAUTH2 or
       * OAUTHBEARER: a refused token comes as a continuation that wants
       * an empty line, which a pipelined command would be taken for. */
      ok = run_login (self, request, initial != NULL && mechanism == MAILSYNC_IMAP_AUTH_PLAIN, cancellable, error);
      return ok != NULL;
    }
}

gboolean
_mailsync_imap_connection_authenticate (MailsyncImapConnection *self, GCancellable *cancellable, GError **error)
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
        {
          self->auth_accepted = mechanisms[i];
          return TRUE;
        }
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
                       "Authentication to %s%s%s failed (%s: %s)", _mailsync_imap_connection_server_label (self),
                       self->settings->user ? " as " : "", self->settings->user ? self->settings->user : "", name,
                       attempt->message);
          return FALSE;
        }
      /* Before the greeting (connection-early.c) one login only: the
       * server that refused it has not even greeted. */
      if (self->greeting_task != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&attempt));
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
                   _mailsync_imap_connection_server_label (self));
      return FALSE;
    }
  g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED,
               "Authentication to %s%s%s failed (%s)", _mailsync_imap_connection_server_label (self),
               self->settings->user ? " as " : "", self->settings->user ? self->settings->user : "",
               tried->len ? tried->str : "no mechanism in auth_mechanisms is offered by the server");
  return FALSE;
}

MailsyncImapAuthMechanism
mailsync_imap_connection_get_refused_mechanism (MailsyncImapConnection *self)
{
  return self->auth_refused;
}

MailsyncImapAuthMechanism
mailsync_imap_connection_get_accepted_mechanism (MailsyncImapConnection *self)
{
  return self->auth_accepted;
}

gboolean
mailsync_imap_connection_get_login_pipeline_broken (MailsyncImapConnection *self)
{
  return self->login_pipeline_broken;
}
