/* The secrets of an IMAP repository's login: the password or OAuth2
 * token asked through the interaction or the config's asker, forgotten
 * when the server refuses it, kept for the account when it accepts it,
 * and the token refreshed. Split from mailsync-imap-repository-connect.c,
 * which calls these from its login loop (connect_locked), all under
 * connect_lock. */
#include "config.h"

#include "mailsync-imap-repository-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-interaction-private.h"
#include "mailsync-imap-auth.h"
#include "config/mailsync-oauth2-private.h"

#include <string.h>

/* Where the client waits: the caller of the account's sync, else the
 * caller of the job that connects (the caller's own thread for a
 * blocking call, whose private context it iterates while it waits). */
GMainContext *
_mailsync_imap_repository_dup_ask_context (MailsyncImapRepository *self)
{
  GMainContext *context = _mailsync_repository_dup_interaction_context (MAILSYNC_REPOSITORY (self));
  GTask *task = _mailsync_worker_get_current_task ();

  if (context == NULL && task != NULL)
    context = g_main_context_ref (g_task_get_context (task));
  return context;
}

/* Only an OAuth2 token can log in: auth_mechanisms lists nothing else. */
static gboolean
wants_token (MailsyncImapRepository *self)
{
  g_autofree MailsyncImapAuthMechanism *list = NULL;
  gboolean any = FALSE;

  if (self->settings->auth_mechanisms == NULL)
    return FALSE;
  list = mailsync_imap_auth_parse_list (self->settings->auth_mechanisms, NULL);
  for (guint i = 0; list != NULL && list[i] != MAILSYNC_IMAP_AUTH_NONE; i++)
    {
      if (list[i] != MAILSYNC_IMAP_AUTH_XOAUTH2 && list[i] != MAILSYNC_IMAP_AUTH_OAUTHBEARER)
        return FALSE;
      any = TRUE;
    }
  return any;
}

/* Asks @interaction for the password (or token), @refused saying why the
 * last one failed. FALSE with @error: nothing to log in with (the user
 * did not answer: @refused itself, or MAILSYNC_ERROR_INTERACTION_REQUIRED
 * the first time), or asking failed (cancelled). */
gboolean
_mailsync_imap_repository_ask_secret (MailsyncImapRepository *self, MailsyncInteraction *interaction,
                                      const GError *refused, gboolean bearer, GCancellable *cancellable,
                                      GError **error)
{
  const char *name = mailsync_repository_get_name (MAILSYNC_REPOSITORY (self));
  g_autoptr(GMainContext) context = _mailsync_imap_repository_dup_ask_context (self);
  const char *user = self->settings->user;
  const char *host = self->settings->host;
  char *secret = NULL;
  MailsyncInteractionResult result;

  if (bearer)
    result = _mailsync_interaction_invoke_ask_oauth2_token (interaction, context, name, user, host, refused,
                                                            cancellable, &secret, error);
  else
    result = _mailsync_interaction_invoke_ask_password (interaction, context, name, user, host, refused,
                                                        cancellable, &secret, error);
  if (result == MAILSYNC_INTERACTION_FAILED)
    return FALSE;
  if (result != MAILSYNC_INTERACTION_HANDLED || secret == NULL)
    {
      if (secret != NULL)
        mailsync_imap_secret_clear (secret);
      g_free (secret);
      if (refused != NULL)
        g_propagate_error (error, g_error_copy (refused));
      else if (self->password_missing != NULL)
        g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED, self->password_missing);
      else
        g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED,
                     "Repository %s: no %s for %s%s%s, and the interaction gave none", name,
                     bearer ? "OAuth2 access token" : "password", user ? user : "", user ? "@" : "",
                     host ? host : "the server");
      return FALSE;
    }
  /* A token goes where the refused one was: oauth2_token when the
   * config gave one, else the password (auth_mechanisms lists only
   * XOAUTH2/OAUTHBEARER, and the password is the token). */
  if (bearer && (self->settings->oauth2_token != NULL || self->oauth2 != NULL))
    {
      mailsync_imap_secret_clear (self->settings->oauth2_token);
      g_free (self->settings->oauth2_token);
      self->settings->oauth2_token = secret;
      self->oauth2_given = TRUE;
      return TRUE;
    }
  mailsync_imap_secret_clear (self->settings->password);
  g_free (self->settings->password);
  self->settings->password = secret;
  self->password_asked = TRUE;
  self->password_client = FALSE;
  g_clear_pointer (&self->password_source, g_free);
  return TRUE;
}

/* The first question, for the password the repository has none of: the
 * config's password function first (its asker keeps the answer for every
 * repository of the account), else the interaction. Without either, the
 * config's error, before any connection: a login with no password would
 * only fail, and count against the account on servers that lock it. */
gboolean
_mailsync_imap_repository_ask_missing_secret (MailsyncImapRepository *self, MailsyncInteraction *interaction,
                                              GCancellable *cancellable, GError **error)
{
  MailsyncInteraction *ask = self->password_asker != NULL ? self->password_asker : interaction;

  if (ask == NULL)
    {
      g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED, self->password_missing);
      return FALSE;
    }
  return _mailsync_imap_repository_ask_secret (self, ask, NULL, wants_token (self), cancellable, error);
}

void
_mailsync_imap_repository_set_configured_password (MailsyncImapRepository *self, const char *password,
                                                   const char *source)
{
  mailsync_imap_secret_clear (self->settings->password);
  g_free (self->settings->password);
  self->settings->password = g_strdup (password);
  self->password_asked = self->password_client = FALSE;
  g_free (self->password_source);
  self->password_source = g_strdup (source != NULL ? source : "the configuration");
}

/* A login refused the password the configuration gave: not asked for
 * again, whoever could be asked. offlineimap 8 ends the account ("All
 * authentication types failed"), and its next sync sends it again; a
 * question here would wait on a driver that answers none because its
 * configuration has the password (machineui with its stdin open: audit
 * F2). The error says where the password came from: fixing it there is
 * the way out. Under connect_lock. */
void
_mailsync_imap_repository_configured_refused (MailsyncImapRepository *self, const GError *refused, GError **error)
{
  g_set_error (error, refused->domain, refused->code, "%s; the password comes from %s, so it is not asked for",
               refused->message, self->password_source);
}

void
_mailsync_imap_repository_set_password_asker (MailsyncImapRepository   *self,
                                              MailsyncInteraction      *asker,
                                              MailsyncImapAskerSync     sync,
                                              const char               *missing)
{
  g_set_object (&self->password_asker, asker);
  self->password_sync = sync;
  g_free (self->password_missing);
  self->password_missing = g_strdup (missing);
}

/* The server refused the password (or token) of a repository the config
 * gave none, or that an interaction gave (a client's too, review22 L4):
 * it is never sent again. The repository forgets it, so that its next
 * connect asks instead (offlineimap's passworderror), and so does the
 * config's asker if it kept that one; an answer the asker has that
 * another login gave since (review22 M3) is taken instead: TRUE, try it
 * without a question. A password the config set stays, and the client's
 * "password" on a repository it built itself: nothing would give another;
 * on one a config built without a password it is forgotten (review23 L4).
 * A refused oauth2_token stays (refresh_token replaces it); the password
 * is not the token: kept, the asker not told (review22 L6). Under
 * connect_lock. */
gboolean
_mailsync_imap_repository_forget_refused_secret (MailsyncImapRepository *self, gboolean bearer)
{
  char *stale = NULL, *newer = NULL;

  if ((bearer && (self->settings->oauth2_token != NULL || self->oauth2 != NULL)) ||
      (self->password_missing == NULL && !self->password_asked))
    return FALSE;
  /* accepted before (another connection, an earlier sync), refused now:
   * no longer the one --update-keyring stores at the next "opened" */
  g_mutex_lock (&self->accepted_lock);
  if (g_strcmp0 (self->accepted_password, self->settings->password) == 0)
    stale = g_steal_pointer (&self->accepted_password);
  g_mutex_unlock (&self->accepted_lock);
  mailsync_imap_secret_clear (stale);
  g_free (stale);
  if (self->password_asker != NULL && self->password_sync != NULL && self->settings->password != NULL)
    self->password_sync (self->password_asker, self->settings->password, NULL, NULL, &self->asker_generation,
                         &newer);
  mailsync_imap_secret_clear (self->settings->password);
  g_free (self->settings->password);
  self->settings->password = newer;
  self->password_asked = self->password_client = FALSE;
  return newer != NULL;
}

/* At each connect: the config's asker's answer when it changed since this
 * repository last took it (review22 M3: the command's IDLE accounts each
 * kept their own copy and sent the refused old password after another
 * repository of the account logged in with the new one); not over a
 * client's "password" (review23 M1). An answer that became NULL (another
 * login refused it) is no newer password: the one the server accepted
 * for this repository stays (review26 L4: dropping it cost a question),
 * its generation the asker's, so that only a later change is taken;
 * unless the server refused it to another repository since (review27
 * M1: the answer they shared). A password no login accepted goes: the
 * refusal may have been of that very one. Under connect_lock. */
void
_mailsync_imap_repository_take_asker_secret (MailsyncImapRepository *self)
{
  char *secret = NULL;
  gboolean accepted;

  if (self->password_asker == NULL || self->password_sync == NULL || self->password_client)
    return;
  g_mutex_lock (&self->accepted_lock);
  accepted = self->settings->password != NULL && g_strcmp0 (self->accepted_password, self->settings->password) == 0;
  g_mutex_unlock (&self->accepted_lock);
  if (!self->password_sync (self->password_asker, NULL, NULL, accepted ? self->settings->password : NULL,
                            &self->asker_generation, &secret))
    return;
  mailsync_imap_secret_clear (self->settings->password);
  g_free (self->settings->password);
  self->settings->password = secret;
  self->password_asked = FALSE;
}

/* A login the server accepted: its password is the one to store
 * (--update-keyring) and to keep for the account: the config's asker is
 * told here, at the login (review23 H1: not at "opened", which also comes
 * when a held connection is found open). Only a tagged OK to a login that
 * sent it: not a PREAUTH greeting (a tunnel's, which checked nothing;
 * review22 L5), not a token's login. Under connect_lock. */
void
_mailsync_imap_repository_keep_accepted_secret (MailsyncImapRepository *self, const MailsyncImapSettings *settings,
                                                MailsyncImapConnection *connection)
{
  MailsyncImapAuthMechanism mechanism = mailsync_imap_connection_get_accepted_mechanism (connection);
  char *old;

  if (mechanism == MAILSYNC_IMAP_AUTH_NONE || settings->password == NULL ||
      ((mechanism == MAILSYNC_IMAP_AUTH_XOAUTH2 || mechanism == MAILSYNC_IMAP_AUTH_OAUTHBEARER) &&
       settings->oauth2_token != NULL))
    return;
  g_mutex_lock (&self->accepted_lock);
  old = self->accepted_password;
  self->accepted_password = g_strdup (settings->password);
  g_mutex_unlock (&self->accepted_lock);
  mailsync_imap_secret_clear (old);
  g_free (old);
  if (self->password_asker != NULL && self->password_sync != NULL)
    self->password_sync (self->password_asker, NULL, settings->password, NULL, &self->asker_generation, NULL);
}

char *
_mailsync_imap_repository_dup_password (MailsyncRepository *repo)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (repo);
  char *password;

  g_mutex_lock (&self->accepted_lock);
  password = g_strdup (self->accepted_password);
  g_mutex_unlock (&self->accepted_lock);
  return password;
}

/* On the worker: the token of oauth2_refresh_token (cached until half of
 * expires_in), unless one given is still in use; @stale is the token the
 * server just refused. */
gboolean
_mailsync_imap_repository_refresh_token (MailsyncImapRepository *self, const char *stale, GCancellable *cancellable,
                                         GError **error)
{
  g_autoptr(GError) local_error = NULL;
  char *token;

  if (self->oauth2 == NULL || (self->oauth2_given && stale == NULL))
    return TRUE;
  token = _mailsync_oauth2_get_token (self->oauth2, stale, cancellable, &local_error);
  if (token == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "Repository %s: ",
                                  mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)));
      return FALSE;
    }
  mailsync_imap_secret_clear (self->settings->oauth2_token);
  g_free (self->settings->oauth2_token);
  self->settings->oauth2_token = token;
  self->oauth2_given = FALSE;
  return TRUE;
}

void
_mailsync_imap_repository_set_oauth2 (MailsyncImapRepository *self,
                                      const char             *access_token,
                                      MailsyncOAuth2         *refresher)
{
  mailsync_imap_secret_clear (self->settings->oauth2_token);
  g_free (self->settings->oauth2_token);
  self->settings->oauth2_token = g_strdup (access_token);
  self->oauth2_given = access_token != NULL;
  g_clear_pointer (&self->oauth2, _mailsync_oauth2_unref);
  self->oauth2 = refresher != NULL ? _mailsync_oauth2_ref (refresher) : NULL;
}
