/* Asking a MailsyncInteraction from a library thread (moved out of
 * mailsync-interaction.c, issue 14 item 3; see
 * mailsync-interaction-private.h): the question goes to the client's
 * context, the library thread waits for the answer on its own. */
#include "config.h"

#include "mailsync-interaction.h"
#include "mailsync-interaction-private.h"
#include "mailsync-interaction-questions-private.h"
#include "mailsync-worker.h"

/* ---- asking from a library thread ---------------------------------------------------- */

struct _Invocation
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
};

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
  _mailsync_interaction_wipe (inv->secret);
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
  QuestionArgs q = { inv->repository, inv->user, inv->host, inv->previous_error, inv->pem, inv->errors };

  /* Cancelled before its turn (it waited for another question): the
   * library thread has stopped waiting, so nobody wants the answer. */
  if (g_cancellable_is_cancelled (inv->cancellable))
    {
      _mailsync_interaction_pass_turn (inv->interaction, inv->question);
      return G_SOURCE_REMOVE;
    }
  g_main_context_push_thread_default (inv->client_context);
  _mailsync_interaction_start_question (inv->interaction, inv->question, &q, invocation_ref (inv), inv->cancellable, on_answered, inv);
  g_main_context_pop_thread_default (inv->client_context);
  return G_SOURCE_REMOVE;
}

/* Its turn came (question_answered() in mailsync-interaction.c, on the context of the question
 * answered): ask on its own client's context, taking over the queue's
 * reference. */
void
_mailsync_interaction_ask_waiting (Invocation *inv)
{
  g_autoptr(GSource) idle = g_idle_source_new ();

  g_source_set_callback (idle, ask_on_client, inv, invocation_unref);
  g_source_set_static_name (idle, "[mailsync] interaction question");
  g_source_attach (idle, inv->client_context);
}

/* The waiter blocks in poll() on its own context: a cancellation from
 * any thread wakes it to see it. A signal handler, not a
 * g_cancellable_source_new(): GLib 2.74's cancellable source can leak
 * when it is cancelled on another thread while the waiter drops it
 * (LeakSanitizer saw it in check-interaction's cancelled-waiter case). */
static void
wake_on_cancel (GCancellable *cancellable, gpointer data)
{
  g_main_context_wakeup (data);
}

static MailsyncInteractionResult
invoke (Invocation *inv, char **secret, gboolean *accept, GError **error)
{
  g_autoptr(GSource) idle = g_idle_source_new ();
  gulong cancel_handler = 0;
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
    cancel_handler = g_cancellable_connect (inv->cancellable, G_CALLBACK (wake_on_cancel),
                                            inv->waiter_context, NULL);
  for (;;)
    {
      g_mutex_lock (&inv->lock);
      done = inv->done;
      g_mutex_unlock (&inv->lock);
      if (done || g_cancellable_is_cancelled (inv->cancellable))
        break;
      _mailsync_await_iteration ();
    }
  /* waits for a handler running on another thread */
  g_cancellable_disconnect (inv->cancellable, cancel_handler);

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
