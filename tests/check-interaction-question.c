/* The "ask" signal and MailsyncQuestion (issue 10 item 1), split out of
 * check-interaction.c by subject (issue 14 item 1): a handler keeps a
 * question and answers it later from its main loop (each kind); a question
 * dropped unanswered, or whose operation is cancelled, is answered
 * cancelled; the library's own questions from its threads wait their turn
 * and reach the handler on the client's context. No server needed. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync.h"
#include "mailsync-worker.h"
#include "mailsync-interaction-private.h"
#include "interaction-fixtures.h"

#include <stdlib.h>
#include <string.h>

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
  Suite *suite = suite_create ("interaction-question");
  TCase *tc = tcase_create ("base");

  /* the waits below have their own deadline, not check's default */
  tcase_set_timeout (tc, 3 * DEADLINE_SECONDS);
  tcase_add_test (tc, test_library_questions_wait);
  tcase_add_test (tc, test_cancelled_waiter_passes_turn);
  tcase_add_test (tc, test_question_answered_later);
  tcase_add_test (tc, test_question_unanswered_cancelled);
  tcase_add_test (tc, test_question_from_library_thread);
  suite_add_tcase (suite, tc);
  return mailsync_test_run (suite);
}
