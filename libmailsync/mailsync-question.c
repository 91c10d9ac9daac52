/* MailsyncQuestion: one question of a MailsyncInteraction as an object,
 * carried by its "ask" signal, for clients that answer later from their
 * main loop and cannot implement the interaction's asynchronous virtual
 * methods (GJS 1.74 refuses a vfunc that takes a callback). */
#include "config.h"

#include "mailsync-question.h"
#include "mailsync-interaction-questions-private.h"

/**
 * MailsyncQuestion:
 *
 * A question the library asks the user through a #MailsyncInteraction
 * that has a handler for its #MailsyncInteraction::ask signal: what is
 * asked (mailsync_question_get_kind(), the repository, user, host, the
 * server's refusal of the last password, the certificate and what its
 * verification found wrong), and the calls that answer it.
 *
 * The handler of #MailsyncInteraction::ask may answer at once, or keep a
 * reference to the question and answer later (a dialog), from any thread:
 * mailsync_question_answer_password() for %MAILSYNC_QUESTION_PASSWORD and
 * %MAILSYNC_QUESTION_NEW_PASSWORD, mailsync_question_answer_token() for
 * %MAILSYNC_QUESTION_OAUTH2_TOKEN, mailsync_question_accept() or
 * mailsync_question_reject() for %MAILSYNC_QUESTION_CERTIFICATE;
 * mailsync_question_decline() (no answer: the library goes on as without
 * an interaction) or mailsync_question_cancel() (the user cancelled: the
 * operation that asked fails with %G_IO_ERROR_CANCELLED) for any kind.
 * Only the first answer counts. A question nobody answered is cancelled
 * when its last reference is dropped: a client never leaves the library
 * waiting by forgetting a question (but a garbage-collected language
 * drops it only when it collects it: call mailsync_question_cancel()).
 *
 * When the operation that asked is cancelled (its #GCancellable, which
 * mailsync_question_get_cancellable() returns), the question is answered
 * as cancelled and #MailsyncQuestion::cancelled is emitted, so that the
 * client can close its dialog; a later answer is ignored.
 *
 * Since: 0.1
 */
struct _MailsyncQuestion
{
  GObject parent_instance;

  MailsyncQuestionKind kind;
  char *repository;
  char *user;
  char *host;
  GError *previous_error;
  char *certificate_pem;
  GTlsCertificateFlags certificate_errors;
  GCancellable *cancellable;
  GMainContext *context;          /* where "cancelled" is emitted */
  gulong cancel_handler;

  GMutex lock;                    /* answers may come from any thread */
  GTask *task;                    /* the interaction's answer; NULL once answered */
  GTlsCertificate *certificate;   /* made from the PEM when first asked for */
};

enum
{
  SIGNAL_CANCELLED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MailsyncQuestion, mailsync_question, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MailsyncQuestionKind, mailsync_question_kind,
  G_DEFINE_ENUM_VALUE (MAILSYNC_QUESTION_PASSWORD, "password"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_QUESTION_NEW_PASSWORD, "new-password"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_QUESTION_OAUTH2_TOKEN, "oauth2-token"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_QUESTION_CERTIFICATE, "certificate"))

/* Gives the answer to the interaction, once: FALSE (and @secret wiped,
 * @error dropped) when the question was already answered. */
static gboolean
finish (MailsyncQuestion *self, MailsyncInteractionResult result, char *secret, gboolean accept, GError *error)
{
  GTask *task;

  g_mutex_lock (&self->lock);
  task = g_steal_pointer (&self->task);
  g_mutex_unlock (&self->lock);
  if (task == NULL)
    {
      _mailsync_interaction_wipe (secret);
      g_free (secret);
      g_clear_error (&error);
      return FALSE;
    }
  _mailsync_interaction_return_answer (task, result, secret, accept, error);
  g_object_unref (task);
  return TRUE;
}

static gboolean
finish_cancelled (MailsyncQuestion *self)
{
  return finish (self, MAILSYNC_INTERACTION_FAILED, NULL, FALSE,
                 g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "The question was cancelled"));
}

/* The operation's cancellable may fire on any thread, and the question
 * may be finalized meanwhile: the handler holds the question weakly and
 * hands the work to an idle source on the question's context, never
 * running it inside the handler (where the question's last unref would
 * disconnect the handler from within itself, which deadlocks). */
typedef struct
{
  GWeakRef question;
  GMainContext *context;
} CancelWatch;

static void
cancel_watch_free (gpointer data)
{
  CancelWatch *watch = data;

  g_weak_ref_clear (&watch->question);
  g_main_context_unref (watch->context);
  g_free (watch);
}

static gboolean
cancelled_on_context (gpointer data)
{
  MailsyncQuestion *self = data;

  if (finish_cancelled (self))
    g_signal_emit (self, signals[SIGNAL_CANCELLED], 0);
  return G_SOURCE_REMOVE;
}

static void
on_operation_cancelled (GCancellable *cancellable, gpointer data)
{
  CancelWatch *watch = data;
  MailsyncQuestion *self = g_weak_ref_get (&watch->question);
  g_autoptr(GSource) idle = NULL;

  if (self == NULL)
    return;
  idle = g_idle_source_new ();
  g_source_set_callback (idle, cancelled_on_context, self, g_object_unref);
  g_source_set_static_name (idle, "[mailsync] question cancelled");
  g_source_attach (idle, watch->context);
}

static void
mailsync_question_dispose (GObject *object)
{
  MailsyncQuestion *self = MAILSYNC_QUESTION (object);

  /* Nobody can answer any more: the library must not wait for ever. */
  finish_cancelled (self);
  if (self->cancel_handler != 0)
    {
      g_cancellable_disconnect (self->cancellable, self->cancel_handler);
      self->cancel_handler = 0;
    }
  G_OBJECT_CLASS (mailsync_question_parent_class)->dispose (object);
}

static void
mailsync_question_finalize (GObject *object)
{
  MailsyncQuestion *self = MAILSYNC_QUESTION (object);

  g_free (self->repository);
  g_free (self->user);
  g_free (self->host);
  g_clear_error (&self->previous_error);
  g_free (self->certificate_pem);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->certificate);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mailsync_question_parent_class)->finalize (object);
}

static void
mailsync_question_class_init (MailsyncQuestionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mailsync_question_dispose;
  object_class->finalize = mailsync_question_finalize;

  /**
   * MailsyncQuestion::cancelled:
   * @self: the question
   *
   * The operation that asked was cancelled before the question was
   * answered: the question is now answered as cancelled, and the client
   * should close what it shows for it. Emitted on the main context that
   * was the thread-default one when the question was asked (the
   * client's).
   *
   * Since: 0.1
   */
  signals[SIGNAL_CANCELLED] = g_signal_new ("cancelled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                            NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mailsync_question_init (MailsyncQuestion *self)
{
  g_mutex_init (&self->lock);
}

/* The question of @task (a MailsyncInteraction's default _async method's),
 * which it answers; see mailsync-interaction-questions-private.h. */
MailsyncQuestion *
_mailsync_question_new (Question question, const QuestionArgs *q, GCancellable *cancellable, GTask *task)
{
  MailsyncQuestion *self = g_object_new (MAILSYNC_TYPE_QUESTION, NULL);

  switch (question)
    {
    case ASK_PASSWORD:
      self->kind = q->previous_error != NULL ? MAILSYNC_QUESTION_NEW_PASSWORD : MAILSYNC_QUESTION_PASSWORD;
      break;
    case ASK_OAUTH2_TOKEN:
      self->kind = MAILSYNC_QUESTION_OAUTH2_TOKEN;
      break;
    case ACCEPT_CERTIFICATE:
    case N_QUESTIONS:
    default:
      self->kind = MAILSYNC_QUESTION_CERTIFICATE;
      break;
    }
  self->repository = g_strdup (q->repository);
  self->user = g_strdup (q->user);
  self->host = g_strdup (q->host);
  self->previous_error = q->previous_error != NULL ? g_error_copy (q->previous_error) : NULL;
  self->certificate_pem = g_strdup (q->certificate_pem);
  self->certificate_errors = q->errors;
  self->context = g_main_context_ref_thread_default ();
  self->task = task;
  if (cancellable != NULL)
    {
      CancelWatch *watch = g_new0 (CancelWatch, 1);

      self->cancellable = g_object_ref (cancellable);
      g_weak_ref_init (&watch->question, self);
      watch->context = g_main_context_ref (self->context);
      /* Runs the handler at once if already cancelled. */
      self->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_operation_cancelled), watch,
                                                    cancel_watch_free);
    }
  return self;
}

/**
 * mailsync_question_get_kind:
 * @self: a question
 *
 * What the question asks.
 *
 * Returns: what is asked
 *
 * Since: 0.1
 */
MailsyncQuestionKind
mailsync_question_get_kind (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), MAILSYNC_QUESTION_PASSWORD);
  return self->kind;
}

/**
 * mailsync_question_get_repository:
 * @self: a question
 *
 * The repository whose operation asks.
 *
 * Returns: the name of the repository that asks
 *
 * Since: 0.1
 */
const char *
mailsync_question_get_repository (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), NULL);
  return self->repository;
}

/**
 * mailsync_question_get_user:
 * @self: a question
 *
 * Whose password or token is asked for.
 *
 * Returns: (nullable): the login name, if known (%NULL for a certificate)
 *
 * Since: 0.1
 */
const char *
mailsync_question_get_user (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), NULL);
  return self->user;
}

/**
 * mailsync_question_get_host:
 * @self: a question
 *
 * The server the question is about.
 *
 * Returns: (nullable): the server: for a certificate, the name it was
 *   checked against
 *
 * Since: 0.1
 */
const char *
mailsync_question_get_host (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), NULL);
  return self->host;
}

/**
 * mailsync_question_get_previous_error:
 * @self: a question
 *
 * The server's refusal of the last answer, for a %MAILSYNC_QUESTION_NEW_PASSWORD
 * (or a token asked for again): show it to the user.
 *
 * Returns: (nullable) (transfer none): why the last password or token was
 *   refused (%MAILSYNC_ERROR_AUTHENTICATION_FAILED from the server), or
 *   %NULL the first time
 *
 * Since: 0.1
 */
const GError *
mailsync_question_get_previous_error (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), NULL);
  return self->previous_error;
}

/**
 * mailsync_question_get_certificate_pem:
 * @self: a question
 *
 * The certificate in question, as text.
 *
 * Returns: (nullable): the server's certificate, PEM-encoded, for
 *   %MAILSYNC_QUESTION_CERTIFICATE
 *
 * Since: 0.1
 */
const char *
mailsync_question_get_certificate_pem (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), NULL);
  return self->certificate_pem;
}

/**
 * mailsync_question_get_certificate:
 * @self: a question
 *
 * The server's certificate as a #GTlsCertificate, for showing it with
 * GTK's or GCR's certificate widgets.
 *
 * Returns: (nullable) (transfer none): the certificate, for
 *   %MAILSYNC_QUESTION_CERTIFICATE (%NULL if GIO has no TLS backend to
 *   parse it: mailsync_question_get_certificate_pem() still has it)
 *
 * Since: 0.1
 */
GTlsCertificate *
mailsync_question_get_certificate (MailsyncQuestion *self)
{
  GTlsCertificate *certificate;

  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), NULL);
  if (self->certificate_pem == NULL)
    return NULL;
  g_mutex_lock (&self->lock);
  if (self->certificate == NULL)
    self->certificate = g_tls_certificate_new_from_pem (self->certificate_pem, -1, NULL);
  certificate = self->certificate;
  g_mutex_unlock (&self->lock);
  return certificate;
}

/**
 * mailsync_question_get_certificate_errors:
 * @self: a question
 *
 * What the certificate's verification found wrong.
 *
 * Returns: what the certificate's verification found wrong
 *   (%G_TLS_CERTIFICATE_UNKNOWN_CA, %G_TLS_CERTIFICATE_BAD_IDENTITY...);
 *   0 for the other kinds
 *
 * Since: 0.1
 */
GTlsCertificateFlags
mailsync_question_get_certificate_errors (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), 0);
  return self->certificate_errors;
}

/**
 * mailsync_question_get_cancellable:
 * @self: a question
 *
 * The cancellable of the operation that asked; the question is
 * answered as cancelled when it fires (#MailsyncQuestion::cancelled).
 *
 * Returns: (nullable) (transfer none): the cancellable of the operation
 *   that asked, if it has one
 *
 * Since: 0.1
 */
GCancellable *
mailsync_question_get_cancellable (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), NULL);
  return self->cancellable;
}

/**
 * mailsync_question_is_answered:
 * @self: a question
 *
 * Whether the question still waits for an answer.
 *
 * Returns: %TRUE once the question is answered, declined or cancelled
 *
 * Since: 0.1
 */
gboolean
mailsync_question_is_answered (MailsyncQuestion *self)
{
  gboolean answered;

  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), TRUE);
  g_mutex_lock (&self->lock);
  answered = self->task == NULL;
  g_mutex_unlock (&self->lock);
  return answered;
}

/**
 * mailsync_question_answer_password:
 * @self: a %MAILSYNC_QUESTION_PASSWORD or %MAILSYNC_QUESTION_NEW_PASSWORD
 *   question
 * @password: the password
 *
 * Answers with a password. The repository keeps a password that logs in
 * for the rest of the process.
 *
 * Returns: %TRUE if this was the answer; %FALSE if the question had
 *   already been answered or cancelled (the password is dropped)
 *
 * Since: 0.1
 */
gboolean
mailsync_question_answer_password (MailsyncQuestion *self, const char *password)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), FALSE);
  g_return_val_if_fail (self->kind == MAILSYNC_QUESTION_PASSWORD || self->kind == MAILSYNC_QUESTION_NEW_PASSWORD,
                        FALSE);
  g_return_val_if_fail (password != NULL, FALSE);
  return finish (self, MAILSYNC_INTERACTION_HANDLED, g_strdup (password), FALSE, NULL);
}

/**
 * mailsync_question_answer_token:
 * @self: a %MAILSYNC_QUESTION_OAUTH2_TOKEN question
 * @token: the OAuth2 access token
 *
 * Answers with an access token (sent with XOAUTH2 or OAUTHBEARER).
 *
 * Returns: %TRUE if this was the answer; %FALSE if the question had
 *   already been answered or cancelled
 *
 * Since: 0.1
 */
gboolean
mailsync_question_answer_token (MailsyncQuestion *self, const char *token)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), FALSE);
  g_return_val_if_fail (self->kind == MAILSYNC_QUESTION_OAUTH2_TOKEN, FALSE);
  g_return_val_if_fail (token != NULL, FALSE);
  return finish (self, MAILSYNC_INTERACTION_HANDLED, g_strdup (token), FALSE, NULL);
}

/**
 * mailsync_question_accept:
 * @self: a %MAILSYNC_QUESTION_CERTIFICATE question
 *
 * Trusts the certificate: this repository accepts this exact certificate
 * for the rest of the process.
 *
 * Returns: %TRUE if this was the answer; %FALSE if the question had
 *   already been answered or cancelled
 *
 * Since: 0.1
 */
gboolean
mailsync_question_accept (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), FALSE);
  g_return_val_if_fail (self->kind == MAILSYNC_QUESTION_CERTIFICATE, FALSE);
  return finish (self, MAILSYNC_INTERACTION_HANDLED, NULL, TRUE, NULL);
}

/**
 * mailsync_question_reject:
 * @self: a %MAILSYNC_QUESTION_CERTIFICATE question
 *
 * Does not trust the certificate: the connection fails with
 * %G_TLS_ERROR_BAD_CERTIFICATE.
 *
 * Returns: %TRUE if this was the answer; %FALSE if the question had
 *   already been answered or cancelled
 *
 * Since: 0.1
 */
gboolean
mailsync_question_reject (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), FALSE);
  g_return_val_if_fail (self->kind == MAILSYNC_QUESTION_CERTIFICATE, FALSE);
  return finish (self, MAILSYNC_INTERACTION_HANDLED, NULL, FALSE, NULL);
}

/**
 * mailsync_question_decline:
 * @self: a question
 *
 * Gives no answer (%MAILSYNC_INTERACTION_UNHANDLED): the library goes on
 * as if there were no interaction (no password: the login fails with
 * %MAILSYNC_ERROR_INTERACTION_REQUIRED, or with the server's refusal
 * after a wrong one; a certificate is rejected).
 *
 * Returns: %TRUE if this was the answer; %FALSE if the question had
 *   already been answered or cancelled
 *
 * Since: 0.1
 */
gboolean
mailsync_question_decline (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), FALSE);
  return finish (self, MAILSYNC_INTERACTION_UNHANDLED, NULL, FALSE, NULL);
}

/**
 * mailsync_question_cancel:
 * @self: a question
 *
 * The user cancelled (as %G_TLS_INTERACTION_FAILED with
 * %G_IO_ERROR_CANCELLED in #GTlsInteraction): the operation that asked
 * fails with %G_IO_ERROR_CANCELLED. Dropping the last reference to an
 * unanswered question does the same.
 *
 * Returns: %TRUE if this was the answer; %FALSE if the question had
 *   already been answered or cancelled
 *
 * Since: 0.1
 */
gboolean
mailsync_question_cancel (MailsyncQuestion *self)
{
  g_return_val_if_fail (MAILSYNC_IS_QUESTION (self), FALSE);
  return finish_cancelled (self);
}
