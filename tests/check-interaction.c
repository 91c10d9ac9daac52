/* Asking the user (issue 10 item 1): a MailsyncInteraction on an IMAP
 * repository, against a private Dovecot that really authenticates.
 *
 *  - a password nobody configured is asked, once, on the client's thread
 *    and context (not the repository's worker);
 *  - a wrong password is one failed login at the server (Dovecot's log
 *    counts the attempts of each connection), then the interaction is
 *    asked again with MAILSYNC_ERROR_AUTHENTICATION_FAILED; a client
 *    that stops answering gets that error, after one failed login;
 *  - a question can be cancelled while the interaction sits on it;
 *  - a certificate that fails verification (no harness CA: UNKNOWN_CA)
 *    is asked about with the host and PEM, rejected or accepted, and an
 *    accepted one is not asked about again in the process;
 *  - one question of a kind at a time (the async rule of the design): a
 *    client's second password question while one is out fails with
 *    G_IO_ERROR_PENDING, the library's own waits for its turn;
 *  - the "ask" signal: a MailsyncQuestion a handler answers later from
 *    its main loop (each kind), cancelled when dropped unanswered or when
 *    the operation is cancelled, also for the library's own questions.
 *
 * Dovecot is started once, by main(), before the tests fork. Without it
 * the IMAP cases are skipped. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync.h"
#include "mailsync-worker.h"
#include "mailsync-interaction-private.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

/* Generous: a loaded CI machine may be slow, and nothing here sleeps. */
#define DEADLINE_SECONDS 60

/* The private Dovecot (mailsync-test.c's harness helpers), started by
 * main() before the tests fork. */
static MailsyncTestServer server;

static const char *
env (const char *key)
{
  return mailsync_test_server_env (&server, key);
}

/* STARTTLS with the harness CA; @password may be NULL. */
static MailsyncRepository *
imap_repository (const char *password)
{
  MailsyncRepository *repo = mailsync_imap_repository_new ("Remote", env ("DOVECOT_HOST"),
                                                           (guint16) atoi (env ("DOVECOT_PORT")));

  g_object_set (repo, "ssl", FALSE, "starttls", TRUE, "user", env ("DOVECOT_USER"),
                "ca-file", env ("DOVECOT_CA"), "timeout", 120u, NULL);
  if (password != NULL)
    g_object_set (repo, "password", password, NULL);
  return repo;
}

/* ---- the server's count of failed logins ------------------------------------ */

static goffset
log_size (void)
{
  GStatBuf st;

  ck_assert_int_eq (g_stat (env ("DOVECOT_LOG"), &st), 0);
  return st.st_size;
}

/* Dovecot logs each login connection's end with "(auth failed, N
 * attempts in ...)". Waits (deadline) until @connections such lines are
 * in the log past @offset, and returns the sum of their N. */
static guint
failed_logins_since (goffset offset, guint connections)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *text = NULL;
      gsize length = 0;
      guint lines = 0, attempts = 0;
      const char *p;

      ck_assert (g_file_get_contents (env ("DOVECOT_LOG"), &text, &length, NULL));
      ck_assert_uint_ge (length, offset);
      for (p = text + offset; (p = strstr (p, "(auth failed, ")) != NULL; p++)
        {
          lines++;
          attempts += (guint) strtoul (p + strlen ("(auth failed, "), NULL, 10);
        }
      if (lines >= connections)
        {
          ck_assert_uint_eq (lines, connections);
          return attempts;
        }
      ck_assert_msg (g_get_monotonic_time () < deadline, "only %u of %u failed logins logged", lines, connections);
      g_usleep (G_USEC_PER_SEC / 20); /* polling a file another process writes */
    }
}

/* Whether @needle is in the server's log past @offset. */
static gboolean
logged_since (goffset offset, const char *needle)
{
  g_autofree char *text = mailsync_test_read_file (env ("DOVECOT_LOG"), NULL);

  return strstr (text + offset, needle) != NULL;
}

/* ---- a scripted interaction ------------------------------------------------------ */

typedef enum
{
  ANSWER_UNHANDLED,
  ANSWER_PASSWORD,       /* the passwords in @passwords, in turn, then UNHANDLED */
  ANSWER_WAIT_CANCEL,    /* never answers until cancelled (async) */
  ANSWER_HOLD,           /* keeps each question until answer_held() (async) */
} PasswordMode;

#define TEST_TYPE_INTERACTION (test_interaction_get_type ())
G_DECLARE_FINAL_TYPE (TestInteraction, test_interaction, TEST, INTERACTION, MailsyncInteraction)

struct _TestInteraction
{
  MailsyncInteraction parent_instance;

  PasswordMode mode;
  const char *const *passwords;
  gboolean accept;       /* the certificate decision */

  /* what it saw */
  guint password_asks;
  guint certificate_asks;
  GError *previous_errors[8];
  char *user;
  char *host;
  char *pem;
  GTlsCertificateFlags errors;
  GThread *thread;       /* where it was last called */
  GMainContext *context;
  GCancellable *cancellable;
  GPtrArray *held;       /* GTask*: ANSWER_HOLD questions not answered yet */
  guint held_at_ask[8];  /* how many were held when question n came */
};

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
  if (self->mode == ANSWER_PASSWORD && self->passwords[n] != NULL)
    {
      *password = g_strdup (self->passwords[n]);
      return MAILSYNC_INTERACTION_HANDLED;
    }
  return MAILSYNC_INTERACTION_UNHANDLED;
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
static void
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

/* ---- opening from a client's main context ---------------------------------------- */

typedef struct
{
  GAsyncResult *result;
  TestInteraction *cancel_when_asked;
} Wait;

/* Opens @repo with open_async on a fresh context pushed by this thread,
 * iterating it until the open finishes (deadline). Returns its result. */
static gboolean
open_on_client_context (MailsyncRepository *repo, GCancellable *cancellable, TestInteraction *cancel_when_asked,
                        GMainContext **context_out, GError **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  gboolean ok;

  g_main_context_push_thread_default (context);
  mailsync_repository_open_async (repo, cancellable, _mailsync_store_result, &result);
  while (result == NULL)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "the open did not finish");
      if (cancel_when_asked != NULL && cancel_when_asked->password_asks > 0)
        {
          g_cancellable_cancel (cancellable);
          cancel_when_asked = NULL;
        }
      g_main_context_iteration (context, TRUE);
    }
  ok = mailsync_repository_open_finish (repo, result, error);
  g_main_context_pop_thread_default (context);
  if (context_out != NULL)
    *context_out = g_main_context_ref (context);
  return ok;
}

/* ---- the cases -------------------------------------------------------------------- */

START_TEST (test_password_asked_when_missing)
{
  g_autoptr(MailsyncRepository) repo = imap_repository (NULL);
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  const char *answers[] = { env ("DOVECOT_PASS"), NULL };
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();

  interaction->mode = ANSWER_PASSWORD;
  interaction->passwords = answers;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert_msg (open_on_client_context (repo, NULL, NULL, &context, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->password_asks, 1);
  ck_assert (interaction->previous_errors[0] == NULL);
  ck_assert_str_eq (interaction->user, env ("DOVECOT_USER"));
  ck_assert_str_eq (interaction->host, env ("DOVECOT_HOST"));
  /* asked on the client's thread and context, not on the worker's */
  ck_assert (interaction->thread == g_thread_self ());
  ck_assert (interaction->context == context);
  ck_assert_msg (mailsync_repository_close (repo, NULL, &error), "%s", error ? error->message : "");

  /* kept for the process: a second open asks nothing */
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->password_asks, 1);
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
  ck_assert (!logged_since (offset, "(auth failed"));
}
END_TEST

/* Without an answer, the missing password is the client's to give. */
START_TEST (test_password_missing_unhandled)
{
  g_autoptr(MailsyncRepository) repo = imap_repository (NULL);
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GError) error = NULL;

  interaction->mode = ANSWER_UNHANDLED;
  g_object_set (repo, "interaction", interaction, NULL);
  ck_assert (!open_on_client_context (repo, NULL, NULL, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED), "%s",
                 error->message);
  ck_assert_uint_eq (interaction->password_asks, 1);
}
END_TEST

START_TEST (test_wrong_then_right_password)
{
  g_autoptr(MailsyncRepository) repo = imap_repository ("Wr0ng-first");
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  const char *answers[] = { "Wr0ng-second", env ("DOVECOT_PASS"), NULL };
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();

  interaction->mode = ANSWER_PASSWORD;
  interaction->passwords = answers;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert_msg (open_on_client_context (repo, NULL, NULL, NULL, &error), "%s", error ? error->message : "");
  /* asked twice, each time with the server's refusal */
  ck_assert_uint_eq (interaction->password_asks, 2);
  for (guint i = 0; i < 2; i++)
    {
      ck_assert (interaction->previous_errors[i] != NULL);
      ck_assert_msg (g_error_matches (interaction->previous_errors[i], MAILSYNC_ERROR,
                                      MAILSYNC_ERROR_AUTHENTICATION_FAILED),
                     "%s", interaction->previous_errors[i]->message);
      ck_assert (strstr (interaction->previous_errors[i]->message, "Wr0ng") == NULL);
    }
  /* two wrong passwords: two connections, one failed login each */
  ck_assert_uint_eq (failed_logins_since (offset, 2), 2);
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
}
END_TEST

/* A client that stops answering: one failed login, the distinct error. */
START_TEST (test_wrong_password_one_failure)
{
  g_autoptr(MailsyncRepository) repo = imap_repository ("Wr0ng-only");
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();

  interaction->mode = ANSWER_UNHANDLED;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert (!mailsync_repository_open (repo, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  ck_assert_uint_eq (interaction->password_asks, 1);
  ck_assert_uint_eq (failed_logins_since (offset, 1), 1);
  g_clear_error (&error);

  /* and without any interaction: the same, once (PLAIN failed: no LOGIN) */
  offset = log_size ();
  mailsync_repository_set_interaction (repo, NULL);
  ck_assert (!mailsync_repository_open (repo, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED), "%s",
                 error->message);
  ck_assert_uint_eq (failed_logins_since (offset, 1), 1);
}
END_TEST

START_TEST (test_cancel_while_asking)
{
  g_autoptr(MailsyncRepository) repo = imap_repository (NULL);
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  interaction->mode = ANSWER_WAIT_CANCEL;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert (!open_on_client_context (repo, cancellable, interaction, NULL, &error));
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s", error->message);
  ck_assert_uint_eq (interaction->password_asks, 1);
  /* the interaction had the operation's cancellable */
  ck_assert (interaction->cancellable == cancellable);
}
END_TEST

/* Implicit TLS without the harness CA: the system store does not know it. */
static MailsyncRepository *
untrusted_repository (void)
{
  MailsyncRepository *repo = mailsync_imap_repository_new ("Remote", env ("DOVECOT_HOST"),
                                                           (guint16) atoi (env ("DOVECOT_IMAPS_PORT")));

  g_object_set (repo, "ssl", TRUE, "user", env ("DOVECOT_USER"), "password", env ("DOVECOT_PASS"),
                "timeout", 120u, NULL);
  return repo;
}

START_TEST (test_certificate_reject)
{
  g_autoptr(MailsyncRepository) repo = untrusted_repository ();
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GError) error = NULL;
  goffset offset = log_size ();

  interaction->accept = FALSE;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert (!open_on_client_context (repo, NULL, NULL, NULL, &error));
  ck_assert_msg (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE), "%s", error->message);
  ck_assert_uint_eq (interaction->certificate_asks, 1);
  ck_assert (interaction->errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  ck_assert_str_eq (interaction->host, env ("DOVECOT_HOST"));
  ck_assert (g_str_has_prefix (interaction->pem, "-----BEGIN CERTIFICATE-----\n"));
  /* nothing was sent: no login at all */
  ck_assert (!logged_since (offset, "user=<alice>"));
  g_clear_error (&error);

  /* no interaction: the verification error as before, nobody asked */
  mailsync_repository_set_interaction (repo, NULL);
  ck_assert (!mailsync_repository_open (repo, NULL, &error));
  ck_assert_msg (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE), "%s", error->message);
  ck_assert_uint_eq (interaction->certificate_asks, 1);
}
END_TEST

START_TEST (test_certificate_accept)
{
  g_autoptr(MailsyncRepository) repo = untrusted_repository ();
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *expected_pem = NULL;

  interaction->accept = TRUE;
  mailsync_repository_set_interaction (repo, MAILSYNC_INTERACTION (interaction));
  ck_assert_msg (open_on_client_context (repo, NULL, NULL, &context, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->certificate_asks, 1);
  ck_assert (interaction->errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  ck_assert_str_eq (interaction->host, env ("DOVECOT_HOST"));
  ck_assert (interaction->thread == g_thread_self ());
  ck_assert (interaction->context == context);
  /* the PEM is the server's certificate */
  {
    g_autofree char *path = g_build_filename (server.dir, "tls", "server.pem", NULL);
    g_autofree char *file = mailsync_test_read_file (path, NULL);
    char *end = strstr (file, "-----END CERTIFICATE-----\n");

    ck_assert (end != NULL);
    end[strlen ("-----END CERTIFICATE-----\n")] = '\0';
    ck_assert_str_eq (interaction->pem, strstr (file, "-----BEGIN CERTIFICATE-----"));
  }
  ck_assert (mailsync_repository_close (repo, NULL, NULL));

  /* accepted for the process: the next connection asks nothing */
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq (interaction->certificate_asks, 1);
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
}
END_TEST

/* The base class answers nothing, through every path. */
START_TEST (test_base_class_unhandled)
{
  g_autoptr(MailsyncInteraction) interaction = mailsync_interaction_new ();
  g_autoptr(GError) error = NULL;
  char *secret = (char *) "untouched";
  gboolean accept = TRUE;

  ck_assert_int_eq (mailsync_interaction_ask_password (interaction, "R", "u", "h", NULL, NULL, &secret, &error),
                    MAILSYNC_INTERACTION_UNHANDLED);
  ck_assert (secret == NULL && error == NULL);
  ck_assert_int_eq (mailsync_interaction_ask_oauth2_token (interaction, "R", NULL, NULL, NULL, NULL, &secret,
                                                           &error),
                    MAILSYNC_INTERACTION_UNHANDLED);
  ck_assert (secret == NULL && error == NULL);
  ck_assert_int_eq (mailsync_interaction_accept_certificate (interaction, "R", "h", "pem",
                                                             G_TLS_CERTIFICATE_UNKNOWN_CA, NULL, &accept, &error),
                    MAILSYNC_INTERACTION_UNHANDLED);
  ck_assert (!accept && error == NULL);
}
END_TEST

/* ---- one question of a kind at a time ------------------------------------------ */

/* Iterates @context until *@slot is set (deadline). */
static void
wait_for_result (GMainContext *context, GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "no answer came");
      g_main_context_iteration (context, TRUE);
    }
}

/* A client's second password question while the first is out fails at
 * once with G_IO_ERROR_PENDING, without reaching the subclass; a question
 * of another kind is not held up; once the first is answered, the next
 * is asked. */
START_TEST (test_second_question_pending)
{
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  MailsyncInteraction *self = MAILSYNC_INTERACTION (interaction);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GAsyncResult) token = NULL;
  g_autoptr(GError) error = NULL;
  const char *answers[] = { "unused", "again", NULL };
  char *secret = NULL;

  interaction->mode = ANSWER_HOLD;
  g_main_context_push_thread_default (context);
  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &first);
  ck_assert_uint_eq (interaction->password_asks, 1);
  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &second);
  wait_for_result (context, &second);
  ck_assert (first == NULL);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, second, &secret, &error),
                    MAILSYNC_INTERACTION_FAILED);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING), "%s", error ? error->message : "none");
  ck_assert (secret == NULL);
  ck_assert_uint_eq (interaction->password_asks, 1);
  g_clear_error (&error);

  /* the blocking form too */
  ck_assert_int_eq (mailsync_interaction_ask_password (self, "Remote", "u", "h", NULL, NULL, &secret, &error),
                    MAILSYNC_INTERACTION_FAILED);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING), "%s", error ? error->message : "none");
  ck_assert_uint_eq (interaction->password_asks, 1);
  g_clear_error (&error);

  /* another kind: the base class answers it, unhandled */
  mailsync_interaction_ask_oauth2_token_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &token);
  wait_for_result (context, &token);
  ck_assert_int_eq (mailsync_interaction_ask_oauth2_token_finish (self, token, &secret, &error),
                    MAILSYNC_INTERACTION_UNHANDLED);
  ck_assert (error == NULL);

  answer_held (interaction, "s3cret");
  wait_for_result (context, &first);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, first, &secret, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (secret, "s3cret");
  g_free (secret);
  secret = NULL;

  /* the kind is free again */
  interaction->mode = ANSWER_PASSWORD;
  interaction->passwords = answers;
  ck_assert_int_eq (mailsync_interaction_ask_password (self, "Remote", "u", "h", NULL, NULL, &secret, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (secret, "again");
  g_free (secret);
  g_main_context_pop_thread_default (context);
}
END_TEST

/* ---- the "ask" signal and MailsyncQuestion ----------------------------------------- */

/* Keeps every question the "ask" signal brings (a dialog's client). */
typedef struct
{
  GPtrArray *questions;   /* MailsyncQuestion, one reference each */
  guint cancelled;        /* MailsyncQuestion::cancelled emissions */
  gboolean keep;          /* FALSE: drop the question unanswered */
} Asked;

static void
on_question_cancelled (MailsyncQuestion *question, gpointer data)
{
  Asked *asked = data;

  ck_assert (mailsync_question_is_answered (question));
  asked->cancelled++;
}

static void
on_ask (MailsyncInteraction *interaction, MailsyncQuestion *question, gpointer data)
{
  Asked *asked = data;

  ck_assert (!mailsync_question_is_answered (question));
  if (!asked->keep)
    return;
  g_signal_connect (question, "cancelled", G_CALLBACK (on_question_cancelled), asked);
  g_ptr_array_add (asked->questions, g_object_ref (question));
}

/* Iterates @context until nothing is pending: what a client's loop does
 * meanwhile. */
static void
drain (GMainContext *context)
{
  while (g_main_context_iteration (context, FALSE))
    ;
}

/* A handler keeps the question and answers later, from its main loop:
 * the answer reaches the asker; the question says what is asked (a new
 * password after a refusal), a second answer is ignored. Each kind. */
START_TEST (test_question_answered_later)
{
  g_autoptr(MailsyncInteraction) self = mailsync_interaction_new ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) refused = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED,
                                                   "Authentication failed.");
  g_autoptr(GError) error = NULL;
  Asked asked = { g_ptr_array_new_with_free_func (g_object_unref), 0, TRUE };
  MailsyncQuestion *q;
  char *secret = NULL;
  gboolean accept = FALSE;

  g_signal_connect (self, "ask", G_CALLBACK (on_ask), &asked);
  g_main_context_push_thread_default (context);

  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", refused, NULL, _mailsync_store_result,
                                           &result);
  ck_assert_uint_eq (asked.questions->len, 1);
  q = asked.questions->pdata[0];
  ck_assert_int_eq (mailsync_question_get_kind (q), MAILSYNC_QUESTION_NEW_PASSWORD);
  ck_assert_str_eq (mailsync_question_get_repository (q), "Remote");
  ck_assert_str_eq (mailsync_question_get_user (q), "u");
  ck_assert_str_eq (mailsync_question_get_host (q), "h");
  ck_assert (g_error_matches (mailsync_question_get_previous_error (q), MAILSYNC_ERROR,
                              MAILSYNC_ERROR_AUTHENTICATION_FAILED));
  ck_assert (mailsync_question_get_certificate_pem (q) == NULL && mailsync_question_get_certificate (q) == NULL);
  /* not answered: the loop runs on, nothing comes */
  drain (context);
  ck_assert (result == NULL);
  ck_assert (mailsync_question_answer_password (q, "s3cret"));
  ck_assert (!mailsync_question_answer_password (q, "ignored"));
  ck_assert (mailsync_question_is_answered (q));
  wait_for_result (context, &result);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, result, &secret, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (secret, "s3cret");
  g_clear_pointer (&secret, g_free);
  g_clear_object (&result);

  /* the first time: PASSWORD; declined is UNHANDLED */
  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &result);
  ck_assert_uint_eq (asked.questions->len, 2);
  q = asked.questions->pdata[1];
  ck_assert_int_eq (mailsync_question_get_kind (q), MAILSYNC_QUESTION_PASSWORD);
  ck_assert (mailsync_question_get_previous_error (q) == NULL);
  drain (context);
  ck_assert (mailsync_question_decline (q));
  wait_for_result (context, &result);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, result, &secret, &error),
                    MAILSYNC_INTERACTION_UNHANDLED);
  ck_assert (secret == NULL && error == NULL);
  g_clear_object (&result);

  /* OAuth2 token */
  mailsync_interaction_ask_oauth2_token_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result,
                                               &result);
  q = asked.questions->pdata[2];
  ck_assert_int_eq (mailsync_question_get_kind (q), MAILSYNC_QUESTION_OAUTH2_TOKEN);
  drain (context);
  ck_assert (mailsync_question_answer_token (q, "ya29.token"));
  wait_for_result (context, &result);
  ck_assert_int_eq (mailsync_interaction_ask_oauth2_token_finish (self, result, &secret, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (secret, "ya29.token");
  g_clear_pointer (&secret, g_free);
  g_clear_object (&result);

  /* certificate: rejected, then accepted */
  for (guint i = 0; i < 2; i++)
    {
      mailsync_interaction_accept_certificate_async (self, "Remote", "h", "-----BEGIN CERTIFICATE-----\n",
                                                     G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_EXPIRED, NULL,
                                                     _mailsync_store_result, &result);
      q = asked.questions->pdata[3 + i];
      ck_assert_int_eq (mailsync_question_get_kind (q), MAILSYNC_QUESTION_CERTIFICATE);
      ck_assert_str_eq (mailsync_question_get_certificate_pem (q), "-----BEGIN CERTIFICATE-----\n");
      ck_assert_int_eq (mailsync_question_get_certificate_errors (q),
                        G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_EXPIRED);
      ck_assert (mailsync_question_get_user (q) == NULL);
      drain (context);
      ck_assert (result == NULL);
      ck_assert (i == 0 ? mailsync_question_reject (q) : mailsync_question_accept (q));
      wait_for_result (context, &result);
      ck_assert_int_eq (mailsync_interaction_accept_certificate_finish (self, result, &accept, &error),
                        MAILSYNC_INTERACTION_HANDLED);
      ck_assert (accept == (i == 1));
      g_clear_object (&result);
    }
  ck_assert_uint_eq (asked.cancelled, 0);
  g_main_context_pop_thread_default (context);
  g_ptr_array_unref (asked.questions);
}
END_TEST

static gpointer
cancel_thread (gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
  return NULL;
}

/* Nobody answers: a question dropped unanswered is cancelled (the asker
 * is not left waiting); mailsync_question_cancel() does the same; the
 * operation's cancellable answers it as cancelled and says so with
 * MailsyncQuestion::cancelled, after which an answer is ignored. */
START_TEST (test_question_unanswered_cancelled)
{
  g_autoptr(MailsyncInteraction) self = mailsync_interaction_new ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Asked asked = { g_ptr_array_new_with_free_func (g_object_unref), 0, FALSE };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  MailsyncQuestion *q;
  char *secret = NULL;

  g_signal_connect (self, "ask", G_CALLBACK (on_ask), &asked);
  g_main_context_push_thread_default (context);

  /* the handler does not keep it */
  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &result);
  wait_for_result (context, &result);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, result, &secret, &error),
                    MAILSYNC_INTERACTION_FAILED);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s", error ? error->message : "none");
  g_clear_error (&error);
  g_clear_object (&result);

  /* cancelled by the client */
  asked.keep = TRUE;
  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &result);
  q = asked.questions->pdata[0];
  ck_assert (mailsync_question_cancel (q));
  ck_assert (!mailsync_question_answer_password (q, "late"));
  wait_for_result (context, &result);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, result, &secret, &error),
                    MAILSYNC_INTERACTION_FAILED);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert (secret == NULL);
  g_clear_error (&error);
  g_clear_object (&result);

  /* the operation is cancelled while the question is out, from another
   * thread as a library's cancellation may be */
  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", NULL, cancellable, _mailsync_store_result,
                                           &result);
  q = asked.questions->pdata[1];
  ck_assert (mailsync_question_get_cancellable (q) == cancellable);
  drain (context);
  ck_assert (result == NULL);
  g_thread_join (g_thread_new ("canceller", cancel_thread, cancellable));
  wait_for_result (context, &result);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, result, &secret, &error),
                    MAILSYNC_INTERACTION_FAILED);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  while (asked.cancelled < 1)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "MailsyncQuestion::cancelled never came");
      g_main_context_iteration (context, TRUE);
    }
  ck_assert_uint_eq (asked.cancelled, 1);
  ck_assert (mailsync_question_is_answered (q));
  ck_assert (!mailsync_question_answer_password (q, "late"));
  g_clear_error (&error);
  g_clear_object (&result);

  /* the kind is free again after all that */
  mailsync_interaction_ask_password_async (self, "Remote", "u", "h", NULL, NULL, _mailsync_store_result, &result);
  ck_assert_uint_eq (asked.questions->len, 3);
  ck_assert (mailsync_question_answer_password (asked.questions->pdata[2], "ok"));
  wait_for_result (context, &result);
  ck_assert_int_eq (mailsync_interaction_ask_password_finish (self, result, &secret, &error),
                    MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (secret, "ok");
  g_free (secret);
  g_main_context_pop_thread_default (context);
  g_ptr_array_unref (asked.questions);
}
END_TEST

typedef struct
{
  TestInteraction *interaction;
  GMainContext *client;
  gint started;          /* atomic */
  gint done;             /* atomic */
  MailsyncInteractionResult result;
  char *secret;
  GError *error;
  GCancellable *cancellable;   /* nullable */
} Invoker;

static void
invoke_on_private (gpointer data, gpointer unused)
{
  Invoker *inv = data;

  g_atomic_int_set (&inv->started, 1);
  inv->result = _mailsync_interaction_invoke_ask_password (MAILSYNC_INTERACTION (inv->interaction), inv->client,
                                                           "Remote", "u", "h", NULL, inv->cancellable, &inv->secret,
                                                           &inv->error);
  g_atomic_int_set (&inv->done, 1);
}

/* A library thread asking: the way a backend asks for a password. */
static gpointer
invoker_thread (gpointer data)
{
  _mailsync_run_private (invoke_on_private, data);
  return NULL;
}

/* Iterates @context until @flag is set (deadline). */
static void
wait_for_flag (GMainContext *context, gint *flag)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  while (!g_atomic_int_get (flag))
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "the library's question did not finish");
      /* the flag is set on the other thread, which does not wake us */
      if (!g_main_context_iteration (context, FALSE))
        g_thread_yield ();
    }
}

/* The library's own questions (two repositories sharing an interaction)
 * never fail with G_IO_ERROR_PENDING: the second waits until the first
 * is answered, then is asked. */
START_TEST (test_library_questions_wait)
{
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GMainContext) client = g_main_context_new ();
  Invoker a = { interaction, client, 0, 0, 0, NULL, NULL, NULL };
  Invoker b = { interaction, client, 0, 0, 0, NULL, NULL, NULL };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  GThread *ta, *tb;

  interaction->mode = ANSWER_HOLD;
  ta = g_thread_new ("invoker-a", invoker_thread, &a);
  while (interaction->password_asks < 1)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "the first question never came");
      g_main_context_iteration (client, TRUE);
    }
  tb = g_thread_new ("invoker-b", invoker_thread, &b);
  while (!g_atomic_int_get (&b.started))
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "the second thread did not start");
      g_thread_yield ();
    }
  /* The only source the client context can get now is the second
   * question's: block until it was dispatched. */
  while (!g_main_context_iteration (client, TRUE))
    ck_assert_msg (g_get_monotonic_time () < deadline, "the second question never came");
  ck_assert_uint_eq (interaction->password_asks, 1);
  ck_assert (!g_atomic_int_get (&b.done));

  answer_held (interaction, "first");
  while (interaction->password_asks < 2)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "the second question was not asked");
      g_main_context_iteration (client, TRUE);
    }
  /* asked after the first was answered, never beside it */
  ck_assert_uint_eq (interaction->held_at_ask[1], 0);
  answer_held (interaction, "second");
  wait_for_flag (client, &a.done);
  wait_for_flag (client, &b.done);
  g_thread_join (ta);
  g_thread_join (tb);
  ck_assert_msg (a.result == MAILSYNC_INTERACTION_HANDLED, "%s", a.error ? a.error->message : "unhandled");
  ck_assert_msg (b.result == MAILSYNC_INTERACTION_HANDLED, "%s", b.error ? b.error->message : "unhandled");
  ck_assert_str_eq (a.secret, "first");
  ck_assert_str_eq (b.secret, "second");
  g_free (a.secret);
  g_free (b.secret);
}
END_TEST

/* A library question cancelled while it waits for its turn hands the
 * turn on: the one queued behind it is still asked when the question out
 * is answered (before, it waited for a question that never came). */
START_TEST (test_cancelled_waiter_passes_turn)
{
  g_autoptr(TestInteraction) interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  g_autoptr(GMainContext) client = g_main_context_new ();
  g_autoptr(GCancellable) cancel_b = g_cancellable_new ();
  Invoker a = { interaction, client, 0, 0, 0, NULL, NULL, NULL };
  Invoker b = { interaction, client, 0, 0, 0, NULL, NULL, cancel_b };
  Invoker c = { interaction, client, 0, 0, 0, NULL, NULL, NULL };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  Invoker *queued[] = { &b, &c };
  GThread *threads[3];

  interaction->mode = ANSWER_HOLD;
  threads[0] = g_thread_new ("invoker-a", invoker_thread, &a);
  while (interaction->password_asks < 1)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "the first question never came");
      g_main_context_iteration (client, TRUE);
    }
  for (guint i = 0; i < G_N_ELEMENTS (queued); i++)
    {
      threads[i + 1] = g_thread_new ("invoker", invoker_thread, queued[i]);
      while (!g_atomic_int_get (&queued[i]->started))
        {
          ck_assert_msg (g_get_monotonic_time () < deadline, "a waiting thread did not start");
          g_thread_yield ();
        }
      /* its question's source is the only one the client can get: once
       * dispatched, the question is in the queue, in this order */
      while (!g_main_context_iteration (client, TRUE))
        ck_assert_msg (g_get_monotonic_time () < deadline, "a waiting question never came");
    }
  ck_assert_uint_eq (interaction->password_asks, 1);

  g_cancellable_cancel (cancel_b);
  wait_for_flag (client, &b.done);
  ck_assert_msg (g_error_matches (b.error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s",
                 b.error ? b.error->message : "not cancelled");

  answer_held (interaction, "first");
  while (interaction->password_asks < 2)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "the question behind the cancelled one was never asked");
      g_main_context_iteration (client, TRUE);
    }
  answer_held (interaction, "third");
  wait_for_flag (client, &a.done);
  wait_for_flag (client, &c.done);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  ck_assert_uint_eq (interaction->password_asks, 2);
  ck_assert_str_eq (a.secret, "first");
  ck_assert_str_eq (c.secret, "third");
  g_free (a.secret);
  g_free (c.secret);
  g_clear_error (&b.error);
}
END_TEST

/* The library's question, from its own thread, through the "ask"
 * signal: asked on the client's context, answered there later. */
typedef struct
{
  MailsyncInteraction *interaction;
  GMainContext *client;
  gint done;             /* atomic */
  MailsyncInteractionResult result;
  char *secret;
  GError *error;
} SignalInvoker;

static void
signal_invoke_on_private (gpointer data, gpointer unused)
{
  SignalInvoker *inv = data;

  inv->result = _mailsync_interaction_invoke_ask_password (inv->interaction, inv->client, "Remote", "u", "h", NULL,
                                                           NULL, &inv->secret, &inv->error);
  g_atomic_int_set (&inv->done, 1);
}

static gpointer
signal_invoker_thread (gpointer data)
{
  _mailsync_run_private (signal_invoke_on_private, data);
  return NULL;
}

static void
on_ask_record_thread (MailsyncInteraction *interaction, MailsyncQuestion *question, gpointer data)
{
  GPtrArray *seen = data;

  /* the question comes on the client's thread, never the library's */
  ck_assert (g_main_context_is_owner (g_main_context_get_thread_default ()));
  g_ptr_array_add (seen, g_object_ref (question));
}

START_TEST (test_question_from_library_thread)
{
  g_autoptr(MailsyncInteraction) interaction = mailsync_interaction_new ();
  g_autoptr(GMainContext) client = g_main_context_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_object_unref);
  SignalInvoker inv = { interaction, client, 0, 0, NULL, NULL };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  GThread *thread;

  g_signal_connect (interaction, "ask", G_CALLBACK (on_ask_record_thread), seen);
  g_main_context_push_thread_default (client);
  thread = g_thread_new ("invoker", signal_invoker_thread, &inv);
  while (seen->len < 1)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "the question never came");
      g_main_context_iteration (client, TRUE);
    }
  drain (client);
  ck_assert (!g_atomic_int_get (&inv.done));
  ck_assert (mailsync_question_answer_password (seen->pdata[0], "from-the-loop"));
  wait_for_flag (client, &inv.done);
  g_thread_join (thread);
  ck_assert_msg (inv.result == MAILSYNC_INTERACTION_HANDLED, "%s", inv.error ? inv.error->message : "unhandled");
  ck_assert_str_eq (inv.secret, "from-the-loop");
  g_free (inv.secret);
  g_main_context_pop_thread_default (client);
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("interaction");
  TCase *tc;
  g_autofree char *base = NULL;
  gboolean have_server;
  int status;

  base = g_dir_make_tmp ("mailsync-interaction-XXXXXX", NULL);
  g_assert (base != NULL);
  /* The harness wants every ancestor searchable by Dovecot's users. */
  g_chmod (base, 0755);
  have_server = g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE) &&
                mailsync_test_server_start (&server, "default", base);

  tc = tcase_create ("base");
  /* the waits below have their own deadline, not check's 4 s default */
  tcase_set_timeout (tc, 3 * DEADLINE_SECONDS);
  tcase_add_test (tc, test_base_class_unhandled);
  tcase_add_test (tc, test_second_question_pending);
  tcase_add_test (tc, test_library_questions_wait);
  tcase_add_test (tc, test_cancelled_waiter_passes_turn);
  tcase_add_test (tc, test_question_answered_later);
  tcase_add_test (tc, test_question_unanswered_cancelled);
  tcase_add_test (tc, test_question_from_library_thread);
  suite_add_tcase (suite, tc);
  tc = tcase_create ("imap");
  tcase_set_timeout (tc, 3 * DEADLINE_SECONDS);
  {
    const TTest *imap_tests[] = {
      test_password_asked_when_missing, test_password_missing_unhandled, test_wrong_then_right_password,
      test_wrong_password_one_failure, test_cancel_while_asking, test_certificate_reject,
      test_certificate_accept,
    };

    /* without Dovecot each IMAP case is a TAP SKIP, not a missing line */
    for (guint i = 0; i < G_N_ELEMENTS (imap_tests); i++)
      {
        if (have_server)
          tcase_add_test (tc, imap_tests[i]);
        else
          mailsync_test_add_skipped_test (tc, imap_tests[i], MAILSYNC_TEST_NO_DOVECOT);
      }
  }
  suite_add_tcase (suite, tc);
  status = mailsync_test_run (suite);
  mailsync_test_server_stop (&server);
  g_rmdir (base);
  return status;
}
