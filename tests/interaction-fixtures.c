/* The scripted interaction and the wait both interaction suites share
 * (interaction-fixtures.h). */
#include "config.h"

#include "interaction-fixtures.h"

#include <string.h>

G_DEFINE_FINAL_TYPE (TestInteraction, test_interaction, MAILSYNC_TYPE_INTERACTION)

static void
record_call (TestInteraction *self)
{
  self->thread = g_thread_self ();
  self->context = g_main_context_get_thread_default ();
}

static MailsyncInteractionResult
test_ask_password (MailsyncInteraction *interaction, const char *repository, const char *user, const char *host,
                   const GError *previous_error, GCancellable *cancellable, char **password, GError **error)
{
  TestInteraction *self = TEST_INTERACTION (interaction);
  guint n = self->password_asks++;

  record_call (self);
  ck_assert_str_eq (repository, "Remote");
  g_free (self->user);
  self->user = g_strdup (user);
  g_free (self->host);
  self->host = g_strdup (host);
  if (n < G_N_ELEMENTS (self->previous_errors) && previous_error != NULL)
    self->previous_errors[n] = g_error_copy (previous_error);
  if (self->mode != ANSWER_PASSWORD)
    return MAILSYNC_INTERACTION_UNHANDLED;
  /* after the list's NULL, never past it */
  for (guint i = 0; i <= n; i++)
    if (self->passwords[i] == NULL)
      return MAILSYNC_INTERACTION_UNHANDLED;
  *password = g_strdup (self->passwords[n]);
  return MAILSYNC_INTERACTION_HANDLED;
}

static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  GTask *task = data;

  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The question was cancelled");
}

static void
test_ask_password_async (MailsyncInteraction *interaction, const char *repository, const char *user,
                         const char *host, const GError *previous_error, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  TestInteraction *self = TEST_INTERACTION (interaction);
  GTask *task;

  if (self->mode == ANSWER_HOLD)
    {
      guint n = self->password_asks++;

      record_call (self);
      if (n < G_N_ELEMENTS (self->held_at_ask))
        self->held_at_ask[n] = self->held->len;
      task = g_task_new (self, cancellable, callback, user_data);
      g_task_set_source_tag (task, test_ask_password_async);
      g_ptr_array_add (self->held, task);
      return;
    }
  if (self->mode != ANSWER_WAIT_CANCEL)
    {
      MAILSYNC_INTERACTION_CLASS (test_interaction_parent_class)
        ->ask_password_async (interaction, repository, user, host, previous_error, cancellable, callback, user_data);
      return;
    }
  /* A dialog left open: only the cancellable ends it. */
  self->password_asks++;
  record_call (self);
  ck_assert (cancellable != NULL);
  g_set_object (&self->cancellable, cancellable);
  task = g_task_new (self, cancellable, callback, user_data);
  g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), task, g_object_unref);
}

static MailsyncInteractionResult
test_ask_password_finish (MailsyncInteraction *interaction, GAsyncResult *result, char **password, GError **error)
{
  char *answer;

  if (!g_async_result_is_tagged (result, test_ask_password_async))
    return MAILSYNC_INTERACTION_CLASS (test_interaction_parent_class)
      ->ask_password_finish (interaction, result, password, error);
  answer = g_task_propagate_pointer (G_TASK (result), error);
  *password = answer;
  return answer != NULL ? MAILSYNC_INTERACTION_HANDLED : MAILSYNC_INTERACTION_FAILED;
}

/* Answers the oldest ANSWER_HOLD question with @password. */
void
answer_held (TestInteraction *self, const char *password)
{
  GTask *task;

  ck_assert_uint_gt (self->held->len, 0);
  task = g_ptr_array_steal_index (self->held, 0);
  g_task_return_pointer (task, g_strdup (password), g_free);
  g_object_unref (task);
}

static MailsyncInteractionResult
test_accept_certificate (MailsyncInteraction *interaction, const char *repository, const char *host,
                         const char *certificate_pem, GTlsCertificateFlags errors, GCancellable *cancellable,
                         gboolean *accept, GError **error)
{
  TestInteraction *self = TEST_INTERACTION (interaction);

  self->certificate_asks++;
  record_call (self);
  g_free (self->host);
  self->host = g_strdup (host);
  g_free (self->pem);
  self->pem = g_strdup (certificate_pem);
  self->errors = errors;
  *accept = self->accept;
  return MAILSYNC_INTERACTION_HANDLED;
}

static void
test_interaction_finalize (GObject *object)
{
  TestInteraction *self = TEST_INTERACTION (object);

  for (guint i = 0; i < G_N_ELEMENTS (self->previous_errors); i++)
    g_clear_error (&self->previous_errors[i]);
  g_free (self->user);
  g_free (self->host);
  g_free (self->pem);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->held);
  G_OBJECT_CLASS (test_interaction_parent_class)->finalize (object);
}

static void
test_interaction_class_init (TestInteractionClass *klass)
{
  MailsyncInteractionClass *interaction_class = MAILSYNC_INTERACTION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_interaction_finalize;
  interaction_class->ask_password = test_ask_password;
  interaction_class->ask_password_async = test_ask_password_async;
  interaction_class->ask_password_finish = test_ask_password_finish;
  interaction_class->accept_certificate = test_accept_certificate;
}

static void
test_interaction_init (TestInteraction *self)
{
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Iterates @context until *@slot is set (deadline). */
void
wait_for_result (GMainContext *context, GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "no answer came");
      g_main_context_iteration (context, TRUE);
    }
}
