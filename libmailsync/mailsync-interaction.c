/* MailsyncInteraction: how the library asks its client's user (GIO's
 * GTlsInteraction and GMountOperation are the models). */
#include "config.h"

#include "mailsync-interaction.h"
#include "mailsync-interaction-private.h"
#include "mailsync-worker.h"

#include <string.h>

/**
 * MailsyncInteraction:
 *
 * What the library asks the user, through the client: a password (again,
 * with the server's refusal, after a failed login), an OAuth2 access
 * token (the client runs its own browser flow), and whether to accept a
 * server certificate that failed verification.
 *
 * Set one on a repository (#MailsyncRepository:interaction). The base
 * class answers nothing (%MAILSYNC_INTERACTION_UNHANDLED): a subclass
 * overrides the blocking methods (a script, a terminal prompt) or the
 * asynchronous ones (a dialog). The library calls them on the main
 * context of the thread that started the operation needing the answer
 * (the caller of mailsync_account_sync_async() or
 * mailsync_repository_open_async(); for a blocking call such as
 * mailsync_account_sync(), that thread, while it waits), never on a
 * library thread, and passes the operation's #GCancellable.
 *
 * A password or token the interaction gives is kept by the repository
 * for the process (offlineimap keeps a good password too); an accepted
 * certificate is accepted for that certificate and repository only,
 * until the process ends.
 *
 * Since: 0.1
 */

typedef struct
{
  int unused;
} MailsyncInteractionPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (MailsyncInteraction, mailsync_interaction, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MailsyncInteractionResult, mailsync_interaction_result,
  G_DEFINE_ENUM_VALUE (MAILSYNC_INTERACTION_UNHANDLED, "unhandled"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_INTERACTION_HANDLED, "handled"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_INTERACTION_FAILED, "failed"))

/* ---- answers ----------------------------------------------------------------- */

/* Secrets pass through here: wipe them before they are freed. */
static void
wipe (char *secret)
{
  if (secret != NULL)
    {
      volatile char *p = secret;
      while (*p)
        *p++ = '\0';
    }
}

typedef struct
{
  MailsyncInteractionResult result;
  char *secret;       /* password or token */
  gboolean accept;
} Answer;

static void
answer_free (Answer *answer)
{
  wipe (answer->secret);
  g_free (answer->secret);
  g_free (answer);
}

static Answer *
answer_new (MailsyncInteractionResult result, char *secret, gboolean accept)
{
  Answer *answer = g_new0 (Answer, 1);

  answer->result = result;
  answer->secret = secret;
  answer->accept = accept;
  return answer;
}

/* A FAILED answer without an error (a subclass that forgot it) still
 * gets one, so that callers can always show a reason. */
static MailsyncInteractionResult
finish_answer (MailsyncInteraction *self, GAsyncResult *task_result, char **secret, gboolean *accept,
               GError **error)
{
  g_autoptr(GError) local_error = NULL;
  Answer *answer;
  MailsyncInteractionResult result;

  g_return_val_if_fail (g_task_is_valid (task_result, self), MAILSYNC_INTERACTION_FAILED);
  answer = g_task_propagate_pointer (G_TASK (task_result), &local_error);

  if (secret != NULL)
    *secret = NULL;
  if (accept != NULL)
    *accept = FALSE;
  if (answer == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return MAILSYNC_INTERACTION_FAILED;
    }
  result = answer->result;
  if (result == MAILSYNC_INTERACTION_HANDLED)
    {
      if (secret != NULL)
        *secret = g_steal_pointer (&answer->secret);
      if (accept != NULL)
        *accept = answer->accept;
    }
  answer_free (answer);
  return result;
}

static void
return_answer (GTask *task, MailsyncInteractionResult result, char *secret, gboolean accept, GError *error)
{
  if (result == MAILSYNC_INTERACTION_FAILED)
    {
      wipe (secret);
      g_free (secret);
      g_task_return_error (task, error != NULL ? error
                                               : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                                      "The interaction failed"));
      return;
    }
  g_clear_error (&error);
  g_task_return_pointer (task, answer_new (result, secret, accept), (GDestroyNotify) answer_free);
}

/* ---- default methods ------------------------------------------------------------ */

static MailsyncInteractionResult
real_ask_secret (MailsyncInteraction *self, const char *repository, const char *user, const char *host,
                 const GError *previous_error, GCancellable *cancellable, char **secret, GError **error)
{
  return MAILSYNC_INTERACTION_UNHANDLED;
}

static MailsyncInteractionResult
real_accept_certificate (MailsyncInteraction *self, const char *repository, const char *host,
                         const char *certificate_pem, GTlsCertificateFlags errors, GCancellable *cancellable,
                         gboolean *accept, GError **error)
{
  return MAILSYNC_INTERACTION_UNHANDLED;
}

/* What one question asks: the arguments of its methods. */
typedef struct
{
  const char *repository;
  const char *user;
  const char *host;
  const GError *previous_error;
  const char *certificate_pem;
  GTlsCertificateFlags errors;
} QuestionArgs;

/* Each question's blocking method, given its QuestionArgs: the one place that
 * knows which class member answers which question in place. */
typedef MailsyncInteractionResult (*AskInPlace) (MailsyncInteraction *self, const QuestionArgs *q,
                                                 GCancellable *cancellable, char **secret, gboolean *accept,
                                                 GError **error);

static MailsyncInteractionResult
ask_password_in_place (MailsyncInteraction *self, const QuestionArgs *q, GCancellable *cancellable, char **secret,
                       gboolean *accept, GError **error)
{
  return MAILSYNC_INTERACTION_GET_CLASS (self)->ask_password (self, q->repository, q->user, q->host,
                                                              q->previous_error, cancellable, secret, error);
}

static MailsyncInteractionResult
ask_oauth2_token_in_place (MailsyncInteraction *self, const QuestionArgs *q, GCancellable *cancellable, char **secret,
                           gboolean *accept, GError **error)
{
  return MAILSYNC_INTERACTION_GET_CLASS (self)->ask_oauth2_token (self, q->repository, q->user, q->host,
                                                                  q->previous_error, cancellable, secret, error);
}

static MailsyncInteractionResult
accept_certificate_in_place (MailsyncInteraction *self, const QuestionArgs *q, GCancellable *cancellable,
                             char **secret, gboolean *accept, GError **error)
{
  return MAILSYNC_INTERACTION_GET_CLASS (self)->accept_certificate (self, q->repository, q->host,
                                                                    q->certificate_pem, q->errors, cancellable,
                                                                    accept, error);
}

/* The default _async methods: @ask, the blocking method, runs in place,
 * on the caller's context, which is the client's (see the class
 * comment); its answer is the result of a task tagged @source_tag (the
 * default _async method), for finish_answer(). */
static void
answer_in_place (MailsyncInteraction *self, gpointer source_tag, AskInPlace ask, const QuestionArgs *q,
                 GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  char *secret = NULL;
  gboolean accept = FALSE;
  MailsyncInteractionResult result;

  g_task_set_source_tag (task, source_tag);
  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  result = ask (self, q, cancellable, &secret, &accept, &error);
  return_answer (task, result, secret, accept, error);
}

static void
real_ask_password_async (MailsyncInteraction *self, const char *repository, const char *user, const char *host,
                         const GError *previous_error, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  QuestionArgs q = { repository, user, host, previous_error, NULL, 0 };

  answer_in_place (self, real_ask_password_async, ask_password_in_place, &q, cancellable, callback, user_data);
}

static MailsyncInteractionResult
real_ask_secret_finish (MailsyncInteraction *self, GAsyncResult *result, char **secret, GError **error)
{
  return finish_answer (self, result, secret, NULL, error);
}

static void
real_ask_oauth2_token_async (MailsyncInteraction *self, const char *repository, const char *user,
                             const char *host, const GError *previous_error, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  QuestionArgs q = { repository, user, host, previous_error, NULL, 0 };

  answer_in_place (self, real_ask_oauth2_token_async, ask_oauth2_token_in_place, &q, cancellable, callback,
                   user_data);
}

static void
real_accept_certificate_async (MailsyncInteraction *self, const char *repository, const char *host,
                               const char *certificate_pem, GTlsCertificateFlags errors,
                               GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  QuestionArgs q = { repository, NULL, host, NULL, certificate_pem, errors };

  answer_in_place (self, real_accept_certificate_async, accept_certificate_in_place, &q, cancellable, callback,
                   user_data);
}

static MailsyncInteractionResult
real_accept_certificate_finish (MailsyncInteraction *self, GAsyncResult *result, gboolean *accept,
                                GError **error)
{
  return finish_answer (self, result, NULL, accept, error);
}

static void
mailsync_interaction_class_init (MailsyncInteractionClass *klass)
{
  klass->ask_password = real_ask_secret;
  klass->ask_password_async = real_ask_password_async;
  klass->ask_password_finish = real_ask_secret_finish;
  klass->ask_oauth2_token = real_ask_secret;
  klass->ask_oauth2_token_async = real_ask_oauth2_token_async;
  klass->ask_oauth2_token_finish = real_ask_secret_finish;
  klass->accept_certificate = real_accept_certificate;
  klass->accept_certificate_async = real_accept_certificate_async;
  klass->accept_certificate_finish = real_accept_certificate_finish;
}

static void
mailsync_interaction_init (MailsyncInteraction *self)
{
}

/**
 * mailsync_interaction_new:
 *
 * An interaction that answers nothing; useful as a base to connect to, or
 * to say explicitly that there is nobody to ask.
 *
 * Returns: (transfer full): a new #MailsyncInteraction
 *
 * Since: 0.1
 */
MailsyncInteraction *
mailsync_interaction_new (void)
{
  return g_object_new (MAILSYNC_TYPE_INTERACTION, NULL);
}

/* ---- public callers ----------------------------------------------------------------- */

/**
 * mailsync_interaction_ask_password_async: (virtual ask_password_async)
 * @self: an interaction
 * @repository: the name of the repository that needs the password
 * @user: (nullable): the login name, if known
 * @host: (nullable): the server, if known
 * @previous_error: (nullable): why the last password was refused (a
 *   %MAILSYNC_ERROR_AUTHENTICATION_FAILED from the server), or %NULL the
 *   first time
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: closure data
 *
 * Asks for the password of @user at @host. With @previous_error, the
 * last password was refused: ask for a new one, and show the reason.
 *
 * Since: 0.1
 */
void
mailsync_interaction_ask_password_async (MailsyncInteraction *self,
                                         const char          *repository,
                                         const char          *user,
                                         const char          *host,
                                         const GError        *previous_error,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_INTERACTION (self));
  g_return_if_fail (repository != NULL);
  MAILSYNC_INTERACTION_GET_CLASS (self)->ask_password_async (self, repository, user, host, previous_error,
                                                             cancellable, callback, user_data);
}

/**
 * mailsync_interaction_ask_password_finish: (virtual ask_password_finish)
 * @self: an interaction
 * @result: the #GAsyncResult given to the callback
 * @password: (out) (optional) (nullable) (transfer full): the password,
 *   when %MAILSYNC_INTERACTION_HANDLED
 * @error: return location for a #GError
 *
 * Finishes mailsync_interaction_ask_password_async().
 *
 * Returns: whether the user answered; %MAILSYNC_INTERACTION_FAILED with
 *   @error set (%G_IO_ERROR_CANCELLED if cancelled)
 *
 * Since: 0.1
 */
MailsyncInteractionResult
mailsync_interaction_ask_password_finish (MailsyncInteraction  *self,
                                          GAsyncResult         *result,
                                          char                **password,
                                          GError              **error)
{
  g_return_val_if_fail (MAILSYNC_IS_INTERACTION (self), MAILSYNC_INTERACTION_FAILED);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), MAILSYNC_INTERACTION_FAILED);
  return MAILSYNC_INTERACTION_GET_CLASS (self)->ask_password_finish (self, result, password, error);
}

/**
 * mailsync_interaction_ask_password: (virtual ask_password)
 * @self: an interaction
 * @repository: the name of the repository that needs the password
 * @user: (nullable): the login name, if known
 * @host: (nullable): the server, if known
 * @previous_error: (nullable): why the last password was refused, or %NULL
 * @cancellable: (nullable): a #GCancellable
 * @password: (out) (optional) (nullable) (transfer full): the password,
 *   when %MAILSYNC_INTERACTION_HANDLED
 * @error: return location for a #GError
 *
 * Asks for a password, blocking: runs
 * mailsync_interaction_ask_password_async() on a private main context, so
 * a subclass that overrides either method answers.
 *
 * Returns: whether the user answered
 *
 * Since: 0.1
 */
MailsyncInteractionResult
mailsync_interaction_ask_password (MailsyncInteraction  *self,
                                   const char           *repository,
                                   const char           *user,
                                   const char           *host,
                                   const GError         *previous_error,
                                   GCancellable         *cancellable,
                                   char                **password,
                                   GError              **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_INTERACTION (self), MAILSYNC_INTERACTION_FAILED);
  _mailsync_sync_call_begin (&call);
  mailsync_interaction_ask_password_async (self, repository, user, host, previous_error, cancellable,
                                           _mailsync_sync_call_done, &call);
  return mailsync_interaction_ask_password_finish (self, _mailsync_sync_call_wait (&call), password, error);
}

/**
 * mailsync_interaction_ask_oauth2_token_async: (virtual ask_oauth2_token_async)
 * @self: an interaction
 * @repository: the name of the repository that needs the token
 * @user: (nullable): the login name, if known
 * @host: (nullable): the server, if known
 * @previous_error: (nullable): why the last token was refused (expired,
 *   revoked), or %NULL the first time
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: closure data
 *
 * Asks for an OAuth2 access token for @user at @host (sent with XOAUTH2
 * or OAUTHBEARER). The client runs its own authorization flow (a browser,
 * a refresh token it keeps).
 *
 * Since: 0.1
 */
void
mailsync_interaction_ask_oauth2_token_async (MailsyncInteraction *self,
                                             const char          *repository,
                                             const char          *user,
                                             const char          *host,
                                             const GError        *previous_error,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  g_return_if_fail (MAILSYNC_IS_INTERACTION (self));
  g_return_if_fail (repository != NULL);
  MAILSYNC_INTERACTION_GET_CLASS (self)->ask_oauth2_token_async (self, repository, user, host, previous_error,
                                                                 cancellable, callback, user_data);
}

/**
 * mailsync_interaction_ask_oauth2_token_finish: (virtual ask_oauth2_token_finish)
 * @self: an interaction
 * @result: the #GAsyncResult given to the callback
 * @token: (out) (optional) (nullable) (transfer full): the access token,
 *   when %MAILSYNC_INTERACTION_HANDLED
 * @error: return location for a #GError
 *
 * Finishes mailsync_interaction_ask_oauth2_token_async().
 *
 * Returns: whether the user answered
 *
 * Since: 0.1
 */
MailsyncInteractionResult
mailsync_interaction_ask_oauth2_token_finish (MailsyncInteraction  *self,
                                              GAsyncResult         *result,
                                              char                **token,
                                              GError              **error)
{
  g_return_val_if_fail (MAILSYNC_IS_INTERACTION (self), MAILSYNC_INTERACTION_FAILED);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), MAILSYNC_INTERACTION_FAILED);
  return MAILSYNC_INTERACTION_GET_CLASS (self)->ask_oauth2_token_finish (self, result, token, error);
}

/**
 * mailsync_interaction_ask_oauth2_token: (virtual ask_oauth2_token)
 * @self: an interaction
 * @repository: the name of the repository that needs the token
 * @user: (nullable): the login name, if known
 * @host: (nullable): the server, if known
 * @previous_error: (nullable): why the last token was refused, or %NULL
 * @cancellable: (nullable): a #GCancellable
 * @token: (out) (optional) (nullable) (transfer full): the access token,
 *   when %MAILSYNC_INTERACTION_HANDLED
 * @error: return location for a #GError
 *
 * Asks for an OAuth2 access token, blocking (see
 * mailsync_interaction_ask_password()).
 *
 * Returns: whether the user answered
 *
 * Since: 0.1
 */
MailsyncInteractionResult
mailsync_interaction_ask_oauth2_token (MailsyncInteraction  *self,
                                       const char           *repository,
                                       const char           *user,
                                       const char           *host,
                                       const GError         *previous_error,
                                       GCancellable         *cancellable,
                                       char                **token,
                                       GError              **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_INTERACTION (self), MAILSYNC_INTERACTION_FAILED);
  _mailsync_sync_call_begin (&call);
  mailsync_interaction_ask_oauth2_token_async (self, repository, user, host, previous_error, cancellable,
                                               _mailsync_sync_call_done, &call);
  return mailsync_interaction_ask_oauth2_token_finish (self, _mailsync_sync_call_wait (&call), token, error);
}

/**
 * mailsync_interaction_accept_certificate_async: (virtual accept_certificate_async)
 * @self: an interaction
 * @repository: the name of the repository that connects
 * @host: the server name the certificate was checked against
 * @certificate_pem: the server's certificate, PEM-encoded
 *   (g_tls_certificate_new_from_pem() makes a #GTlsCertificate of it)
 * @errors: what verification found wrong (%G_TLS_CERTIFICATE_UNKNOWN_CA,
 *   %G_TLS_CERTIFICATE_BAD_IDENTITY, %G_TLS_CERTIFICATE_EXPIRED...)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the decision
 * @user_data: closure data
 *
 * Asks whether to trust a server certificate that failed verification,
 * as #GTlsConnection::accept-certificate. Nothing has been sent to the
 * server yet. An accepted certificate is trusted by this repository for
 * the rest of the process, for this exact certificate.
 *
 * Since: 0.1
 */
void
mailsync_interaction_accept_certificate_async (MailsyncInteraction  *self,
                                               const char           *repository,
                                               const char           *host,
                                               const char           *certificate_pem,
                                               GTlsCertificateFlags  errors,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data)
{
  g_return_if_fail (MAILSYNC_IS_INTERACTION (self));
  g_return_if_fail (repository != NULL);
  g_return_if_fail (host != NULL);
  g_return_if_fail (certificate_pem != NULL);
  MAILSYNC_INTERACTION_GET_CLASS (self)->accept_certificate_async (self, repository, host, certificate_pem, errors,
                                                                   cancellable, callback, user_data);
}

/**
 * mailsync_interaction_accept_certificate_finish: (virtual accept_certificate_finish)
 * @self: an interaction
 * @result: the #GAsyncResult given to the callback
 * @accept: (out) (optional): %TRUE to accept the certificate, when
 *   %MAILSYNC_INTERACTION_HANDLED
 * @error: return location for a #GError
 *
 * Finishes mailsync_interaction_accept_certificate_async(). Anything but
 * %MAILSYNC_INTERACTION_HANDLED with @accept %TRUE rejects the
 * certificate.
 *
 * Returns: whether the user decided
 *
 * Since: 0.1
 */
MailsyncInteractionResult
mailsync_interaction_accept_certificate_finish (MailsyncInteraction  *self,
                                                GAsyncResult         *result,
                                                gboolean             *accept,
                                                GError              **error)
{
  g_return_val_if_fail (MAILSYNC_IS_INTERACTION (self), MAILSYNC_INTERACTION_FAILED);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), MAILSYNC_INTERACTION_FAILED);
  return MAILSYNC_INTERACTION_GET_CLASS (self)->accept_certificate_finish (self, result, accept, error);
}

/**
 * mailsync_interaction_accept_certificate: (virtual accept_certificate)
 * @self: an interaction
 * @repository: the name of the repository that connects
 * @host: the server name the certificate was checked against
 * @certificate_pem: the server's certificate, PEM-encoded
 * @errors: what verification found wrong
 * @cancellable: (nullable): a #GCancellable
 * @accept: (out) (optional): %TRUE to accept the certificate, when
 *   %MAILSYNC_INTERACTION_HANDLED
 * @error: return location for a #GError
 *
 * Asks whether to trust a certificate, blocking (see
 * mailsync_interaction_ask_password()).
 *
 * Returns: whether the user decided
 *
 * Since: 0.1
 */
MailsyncInteractionResult
mailsync_interaction_accept_certificate (MailsyncInteraction  *self,
                                         const char           *repository,
                                         const char           *host,
                                         const char           *certificate_pem,
                                         GTlsCertificateFlags  errors,
                                         GCancellable         *cancellable,
                                         gboolean             *accept,
                                         GError              **error)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  g_return_val_if_fail (MAILSYNC_IS_INTERACTION (self), MAILSYNC_INTERACTION_FAILED);
  _mailsync_sync_call_begin (&call);
  mailsync_interaction_accept_certificate_async (self, repository, host, certificate_pem, errors, cancellable,
                                                 _mailsync_sync_call_done, &call);
  return mailsync_interaction_accept_certificate_finish (self, _mailsync_sync_call_wait (&call), accept, error);
}

/* ---- asking from a library thread ---------------------------------------------------- */

typedef enum
{
  ASK_PASSWORD,
  ASK_OAUTH2_TOKEN,
  ACCEPT_CERTIFICATE,
} Question;

typedef struct
{
  gint refs;
  Question question;
  MailsyncInteraction *interaction;
  GMainContext *client_context;
  GMainContext *waiter_context;
  GCancellable *cancellable;
  char *repository;
  char *user;
  char *host;
  char *pem;
  GError *previous_error;
  GTlsCertificateFlags errors;

  /* the answer, under lock: written on the client's thread */
  GMutex lock;
  gboolean done;
  MailsyncInteractionResult result;
  char *secret;
  gboolean accept;
  GError *error;
} Invocation;

static Invocation *
invocation_ref (Invocation *inv)
{
  g_atomic_int_inc (&inv->refs);
  return inv;
}

static void
invocation_unref (gpointer data)
{
  Invocation *inv = data;

  if (!g_atomic_int_dec_and_test (&inv->refs))
    return;
  g_object_unref (inv->interaction);
  g_main_context_unref (inv->client_context);
  g_main_context_unref (inv->waiter_context);
  g_clear_object (&inv->cancellable);
  g_free (inv->repository);
  g_free (inv->user);
  g_free (inv->host);
  g_free (inv->pem);
  g_clear_error (&inv->previous_error);
  wipe (inv->secret);
  g_free (inv->secret);
  g_clear_error (&inv->error);
  g_mutex_clear (&inv->lock);
  g_free (inv);
}

/* On the client's context: the interaction answered. */
static void
on_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Invocation *inv = user_data;
  MailsyncInteraction *self = MAILSYNC_INTERACTION (source);
  GError *error = NULL;
  char *secret = NULL;
  gboolean accept = FALSE;
  MailsyncInteractionResult answer;

  switch (inv->question)
    {
    case ASK_PASSWORD:
      answer = mailsync_interaction_ask_password_finish (self, result, &secret, &error);
      break;
    case ASK_OAUTH2_TOKEN:
      answer = mailsync_interaction_ask_oauth2_token_finish (self, result, &secret, &error);
      break;
    case ACCEPT_CERTIFICATE:
    default:
      answer = mailsync_interaction_accept_certificate_finish (self, result, &accept, &error);
      break;
    }
  g_mutex_lock (&inv->lock);
  inv->result = answer;
  inv->secret = secret;
  inv->accept = accept;
  inv->error = error;
  inv->done = TRUE;
  g_mutex_unlock (&inv->lock);
  /* The waiter blocks in poll() on its own context: wake it. */
  g_main_context_wakeup (inv->waiter_context);
  invocation_unref (inv);
}

/* On the client's context: ask. */
static gboolean
ask_on_client (gpointer data)
{
  Invocation *inv = data;

  /* A GTask the interaction makes reports to the thread-default context:
   * make that the client's, even if its loop did not push it. */
  g_main_context_push_thread_default (inv->client_context);
  switch (inv->question)
    {
    case ASK_PASSWORD:
      mailsync_interaction_ask_password_async (inv->interaction, inv->repository, inv->user, inv->host,
                                               inv->previous_error, inv->cancellable, on_answered,
                                               invocation_ref (inv));
      break;
    case ASK_OAUTH2_TOKEN:
      mailsync_interaction_ask_oauth2_token_async (inv->interaction, inv->repository, inv->user, inv->host,
                                                   inv->previous_error, inv->cancellable, on_answered,
                                                   invocation_ref (inv));
      break;
    case ACCEPT_CERTIFICATE:
      mailsync_interaction_accept_certificate_async (inv->interaction, inv->repository, inv->host, inv->pem,
                                                     inv->errors, inv->cancellable, on_answered,
                                                     invocation_ref (inv));
      break;
    }
  g_main_context_pop_thread_default (inv->client_context);
  return G_SOURCE_REMOVE;
}

static gboolean
wake_on_cancel (GCancellable *cancellable, gpointer data)
{
  return G_SOURCE_REMOVE;
}

static MailsyncInteractionResult
invoke (Invocation *inv, char **secret, gboolean *accept, GError **error)
{
  g_autoptr(GSource) idle = g_idle_source_new ();
  g_autoptr(GSource) cancel_source = NULL;
  MailsyncInteractionResult result;
  gboolean done = FALSE;

  g_return_val_if_fail (_mailsync_in_private_context (), MAILSYNC_INTERACTION_FAILED);

  g_mutex_init (&inv->lock);
  inv->refs = 1;
  inv->waiter_context = g_main_context_ref_thread_default ();

  /* An idle source, not g_main_context_invoke(): that would run the
   * interaction here, on the library's thread, whenever the client's
   * context happens to be free. */
  g_source_set_callback (idle, ask_on_client, invocation_ref (inv), invocation_unref);
  g_source_set_static_name (idle, "[mailsync] interaction question");
  g_source_attach (idle, inv->client_context);

  if (inv->cancellable != NULL)
    {
      cancel_source = g_cancellable_source_new (inv->cancellable);
      g_source_set_callback (cancel_source, G_SOURCE_FUNC (wake_on_cancel), NULL, NULL);
      g_source_attach (cancel_source, inv->waiter_context);
    }
  for (;;)
    {
      g_mutex_lock (&inv->lock);
      done = inv->done;
      g_mutex_unlock (&inv->lock);
      if (done || g_cancellable_is_cancelled (inv->cancellable))
        break;
      _mailsync_await_iteration ();
    }
  if (cancel_source != NULL)
    g_source_destroy (cancel_source);

  if (!done)
    {
      /* The client may still answer; its callback holds a reference. */
      g_cancellable_set_error_if_cancelled (inv->cancellable, error);
      invocation_unref (inv);
      return MAILSYNC_INTERACTION_FAILED;
    }
  result = inv->result;
  if (result == MAILSYNC_INTERACTION_FAILED)
    g_propagate_error (error, g_steal_pointer (&inv->error));
  if (secret != NULL)
    *secret = g_steal_pointer (&inv->secret);
  if (accept != NULL)
    *accept = inv->accept;
  invocation_unref (inv);
  return result;
}

static Invocation *
invocation_new (Question question, MailsyncInteraction *self, GMainContext *client_context,
                const char *repository, GCancellable *cancellable)
{
  Invocation *inv = g_new0 (Invocation, 1);

  inv->question = question;
  inv->interaction = g_object_ref (self);
  inv->client_context = client_context != NULL ? g_main_context_ref (client_context)
                                               : g_main_context_ref (g_main_context_default ());
  inv->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  inv->repository = g_strdup (repository);
  return inv;
}

MailsyncInteractionResult
_mailsync_interaction_invoke_ask_password (MailsyncInteraction  *self,
                                           GMainContext         *client_context,
                                           const char           *repository,
                                           const char           *user,
                                           const char           *host,
                                           const GError         *previous_error,
                                           GCancellable         *cancellable,
                                           char                **password,
                                           GError              **error)
{
  Invocation *inv = invocation_new (ASK_PASSWORD, self, client_context, repository, cancellable);

  inv->user = g_strdup (user);
  inv->host = g_strdup (host);
  inv->previous_error = previous_error != NULL ? g_error_copy (previous_error) : NULL;
  return invoke (inv, password, NULL, error);
}

MailsyncInteractionResult
_mailsync_interaction_invoke_ask_oauth2_token (MailsyncInteraction  *self,
                                               GMainContext         *client_context,
                                               const char           *repository,
                                               const char           *user,
                                               const char           *host,
                                               const GError         *previous_error,
                                               GCancellable         *cancellable,
                                               char                **token,
                                               GError              **error)
{
  Invocation *inv = invocation_new (ASK_OAUTH2_TOKEN, self, client_context, repository, cancellable);

  inv->user = g_strdup (user);
  inv->host = g_strdup (host);
  inv->previous_error = previous_error != NULL ? g_error_copy (previous_error) : NULL;
  return invoke (inv, token, NULL, error);
}

MailsyncInteractionResult
_mailsync_interaction_invoke_accept_certificate (MailsyncInteraction   *self,
                                                 GMainContext          *client_context,
                                                 const char            *repository,
                                                 const char            *host,
                                                 const char            *certificate_pem,
                                                 GTlsCertificateFlags   errors,
                                                 GCancellable          *cancellable,
                                                 gboolean              *accept,
                                                 GError               **error)
{
  Invocation *inv = invocation_new (ACCEPT_CERTIFICATE, self, client_context, repository, cancellable);

  inv->host = g_strdup (host);
  inv->pem = g_strdup (certificate_pem);
  inv->errors = errors;
  return invoke (inv, NULL, accept, error);
}
