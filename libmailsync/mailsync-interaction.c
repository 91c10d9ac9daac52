/* MailsyncInteraction: how the library asks its client's user (GIO's
 * GTlsInteraction and GMountOperation are the models). */
#include "config.h"

#include "mailsync-interaction.h"
#include "mailsync-interaction-private.h"
#include "mailsync-interaction-questions-private.h"
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
 * A client that cannot subclass, or cannot implement the asynchronous
 * methods (GJS), connects to #MailsyncInteraction::ask instead: the
 * question comes as a #MailsyncQuestion, which it answers when the user
 * does.
 *
 * One question of each kind at a time: while an interaction is asking
 * for a password (its ask_password_async method has not called back), a
 * second mailsync_interaction_ask_password_async() on it fails at once
 * with %G_IO_ERROR_PENDING, and the same for OAuth2 tokens and
 * certificates; questions of different kinds may overlap. (GIO's
 * #GTlsInteraction lets questions overlap; the library's rule is that an
 * operation that cannot overlap another on the same object fails so.)
 * The library's own questions never fail that way: one that finds the
 * interaction asking waits for that question to be answered, then asks.
 *
 * Since: 0.1
 */

typedef struct
{
  GMutex lock;              /* the public calls may come from any thread */
  gboolean asking[N_QUESTIONS];   /* a question of that kind is out, not answered */
  /* The library's own questions (Invocation*, one reference each) that
   * found one of their kind out: asked in turn as each is answered. */
  GQueue waiting[N_QUESTIONS];
} MailsyncInteractionPrivate;

enum
{
  SIGNAL_ASK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE_WITH_PRIVATE (MailsyncInteraction, mailsync_interaction, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MailsyncInteractionResult, mailsync_interaction_result,
  G_DEFINE_ENUM_VALUE (MAILSYNC_INTERACTION_UNHANDLED, "unhandled"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_INTERACTION_HANDLED, "handled"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_INTERACTION_FAILED, "failed"))

/* ---- answers ----------------------------------------------------------------- */

/* Secrets pass through here: wipe them before they are freed. */
void
_mailsync_interaction_wipe (char *secret)
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
  _mailsync_interaction_wipe (answer->secret);
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

void
_mailsync_interaction_return_answer (GTask *task, MailsyncInteractionResult result, char *secret, gboolean accept,
                                     GError *error)
{
  if (result == MAILSYNC_INTERACTION_FAILED)
    {
      _mailsync_interaction_wipe (secret);
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

/* The default _async methods: the "ask" signal's handlers get the
 * question, else @ask, the blocking method, runs in place, on the
 * caller's context, which is the client's (see the class comment); the
 * answer is the result of a task tagged @source_tag (the default _async
 * method), for finish_answer(). */
static void
answer_in_place (MailsyncInteraction *self, gpointer source_tag, Question question, AskInPlace ask,
                 const QuestionArgs *q, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
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
  /* A client that connected to "ask" answers through the question,
   * now or later; the blocking method is for the others. */
  if (g_signal_has_handler_pending (self, signals[SIGNAL_ASK], 0, FALSE))
    {
      g_autoptr(MailsyncQuestion) asked = _mailsync_question_new (question, q, cancellable, g_steal_pointer (&task));

      g_signal_emit (self, signals[SIGNAL_ASK], 0, asked);
      return;
    }
  result = ask (self, q, cancellable, &secret, &accept, &error);
  _mailsync_interaction_return_answer (task, result, secret, accept, error);
}

static void
real_ask_password_async (MailsyncInteraction *self, const char *repository, const char *user, const char *host,
                         const GError *previous_error, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  QuestionArgs q = { repository, user, host, previous_error, NULL, 0 };

  answer_in_place (self, real_ask_password_async, ASK_PASSWORD, ask_password_in_place, &q, cancellable, callback, user_data);
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

  answer_in_place (self, real_ask_oauth2_token_async, ASK_OAUTH2_TOKEN, ask_oauth2_token_in_place, &q, cancellable, callback,
                   user_data);
}

static void
real_accept_certificate_async (MailsyncInteraction *self, const char *repository, const char *host,
                               const char *certificate_pem, GTlsCertificateFlags errors,
                               GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  QuestionArgs q = { repository, NULL, host, NULL, certificate_pem, errors };

  answer_in_place (self, real_accept_certificate_async, ACCEPT_CERTIFICATE, accept_certificate_in_place, &q, cancellable, callback,
                   user_data);
}

static MailsyncInteractionResult
real_accept_certificate_finish (MailsyncInteraction *self, GAsyncResult *result, gboolean *accept,
                                GError **error)
{
  return finish_answer (self, result, NULL, accept, error);
}

static void
mailsync_interaction_finalize (GObject *object)
{
  MailsyncInteractionPrivate *priv = mailsync_interaction_get_instance_private (MAILSYNC_INTERACTION (object));

  /* A waiting invocation holds the interaction: none is left here. */
  g_mutex_clear (&priv->lock);
  G_OBJECT_CLASS (mailsync_interaction_parent_class)->finalize (object);
}

static void
mailsync_interaction_class_init (MailsyncInteractionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_interaction_finalize;
  klass->ask_password = real_ask_secret;
  klass->ask_password_async = real_ask_password_async;
  klass->ask_password_finish = real_ask_secret_finish;
  klass->ask_oauth2_token = real_ask_secret;
  klass->ask_oauth2_token_async = real_ask_oauth2_token_async;
  klass->ask_oauth2_token_finish = real_ask_secret_finish;
  klass->accept_certificate = real_accept_certificate;
  klass->accept_certificate_async = real_accept_certificate_async;
  klass->accept_certificate_finish = real_accept_certificate_finish;

  /**
   * MailsyncInteraction::ask:
   * @self: the interaction
   * @question: the question
   *
   * A question for the user, for clients that answer later from their
   * main loop without subclassing (JavaScript: GJS cannot implement the
   * asynchronous virtual methods, which take a callback; Python; C).
   * Emitted by the default asynchronous methods when a handler is
   * connected, instead of calling the blocking ones; a subclass that
   * overrides an _async method does not emit it for that kind.
   *
   * A handler answers @question at once, or keeps a reference and
   * answers later (mailsync_question_answer_password(),
   * mailsync_question_accept()...). A question that nobody answered is
   * cancelled when its last reference is dropped. Emitted on the same
   * main context as the _async methods are called (the client's), one
   * question of each kind at a time.
   *
   * Since: 0.1
   */
  signals[SIGNAL_ASK] = g_signal_new ("ask", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 1, MAILSYNC_TYPE_QUESTION);
}

static void
mailsync_interaction_init (MailsyncInteraction *self)
{
  MailsyncInteractionPrivate *priv = mailsync_interaction_get_instance_private (self);

  g_mutex_init (&priv->lock);
  for (guint i = 0; i < N_QUESTIONS; i++)
    g_queue_init (&priv->waiting[i]);
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

/* ---- one question of a kind at a time ------------------------------------------------ */

/* A question the interaction is asking: its answer reaches the caller
 * through question_answered(), which frees the kind for the next. */
typedef struct
{
  MailsyncInteraction *self;
  Question question;
  GAsyncReadyCallback callback;
  gpointer user_data;
} Asking;

/* The source tag of a question refused with G_IO_ERROR_PENDING: the
 * _finish functions answer it without the subclass, which never saw it. */
static void
question_pending (void)
{
}

static void
question_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Asking *asking = user_data;
  MailsyncInteractionPrivate *priv = mailsync_interaction_get_instance_private (asking->self);
  Invocation *next;

  g_mutex_lock (&priv->lock);
  priv->asking[asking->question] = FALSE;
  next = g_queue_pop_head (&priv->waiting[asking->question]);
  g_mutex_unlock (&priv->lock);
  /* The kind is free before the callback runs, so that it may ask again. */
  if (asking->callback != NULL)
    asking->callback (source, result, asking->user_data);
  if (next != NULL)
    _mailsync_interaction_ask_waiting (next);
  g_object_unref (asking->self);
  g_free (asking);
}

/* A waiting question whose turn came after it was cancelled is not asked
 * (ask_on_client() in mailsync-interaction-invoke.c): it hands its turn to
 * the next one of its kind, which would otherwise wait for a question
 * that never comes. */
void
_mailsync_interaction_pass_turn (MailsyncInteraction *self, Question question)
{
  MailsyncInteractionPrivate *priv = mailsync_interaction_get_instance_private (self);
  Invocation *next = NULL;

  g_mutex_lock (&priv->lock);
  if (!priv->asking[question])
    next = g_queue_pop_head (&priv->waiting[question]);
  g_mutex_unlock (&priv->lock);
  if (next != NULL)
    _mailsync_interaction_ask_waiting (next);
}

/* Calls the subclass's _async method for @question, unless one of that
 * kind is out: then @waiter (the library's own question, which is also
 * @user_data: the queue keeps that reference until its turn) waits for
 * it, and a client's call fails with G_IO_ERROR_PENDING. */
void
_mailsync_interaction_start_question (MailsyncInteraction *self, Question question, const QuestionArgs *q,
                                      Invocation *waiter, GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  MailsyncInteractionPrivate *priv = mailsync_interaction_get_instance_private (self);
  MailsyncInteractionClass *klass = MAILSYNC_INTERACTION_GET_CLASS (self);
  static const char *const what[N_QUESTIONS] = { "a password", "an OAuth2 token", "about a certificate" };
  Asking *asking;

  g_mutex_lock (&priv->lock);
  if (priv->asking[question])
    {
      if (waiter != NULL)
        g_queue_push_tail (&priv->waiting[question], waiter);
      g_mutex_unlock (&priv->lock);
      if (waiter == NULL)
        {
          g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

          g_task_set_source_tag (task, question_pending);
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                                   "The interaction is already asking %s", what[question]);
        }
      return;
    }
  priv->asking[question] = TRUE;
  g_mutex_unlock (&priv->lock);

  asking = g_new0 (Asking, 1);
  asking->self = g_object_ref (self);
  asking->question = question;
  asking->callback = callback;
  asking->user_data = user_data;
  switch (question)
    {
    case ASK_PASSWORD:
      klass->ask_password_async (self, q->repository, q->user, q->host, q->previous_error, cancellable,
                                 question_answered, asking);
      break;
    case ASK_OAUTH2_TOKEN:
      klass->ask_oauth2_token_async (self, q->repository, q->user, q->host, q->previous_error, cancellable,
                                     question_answered, asking);
      break;
    case ACCEPT_CERTIFICATE:
    case N_QUESTIONS:
    default:
      klass->accept_certificate_async (self, q->repository, q->host, q->certificate_pem, q->errors, cancellable,
                                       question_answered, asking);
      break;
    }
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
  QuestionArgs q = { repository, user, host, previous_error, NULL, 0 };

  g_return_if_fail (MAILSYNC_IS_INTERACTION (self));
  g_return_if_fail (repository != NULL);
  _mailsync_interaction_start_question (self, ASK_PASSWORD, &q, NULL, cancellable, callback, user_data);
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
  if (g_async_result_is_tagged (result, question_pending))
    return finish_answer (self, result, password, NULL, error);
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
  QuestionArgs q = { repository, user, host, previous_error, NULL, 0 };

  g_return_if_fail (MAILSYNC_IS_INTERACTION (self));
  g_return_if_fail (repository != NULL);
  _mailsync_interaction_start_question (self, ASK_OAUTH2_TOKEN, &q, NULL, cancellable, callback, user_data);
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
  if (g_async_result_is_tagged (result, question_pending))
    return finish_answer (self, result, token, NULL, error);
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
  QuestionArgs q = { repository, NULL, host, NULL, certificate_pem, errors };

  g_return_if_fail (MAILSYNC_IS_INTERACTION (self));
  g_return_if_fail (repository != NULL);
  g_return_if_fail (host != NULL);
  g_return_if_fail (certificate_pem != NULL);
  _mailsync_interaction_start_question (self, ACCEPT_CERTIFICATE, &q, NULL, cancellable, callback, user_data);
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
  if (g_async_result_is_tagged (result, question_pending))
    return finish_answer (self, result, NULL, accept, error);
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
