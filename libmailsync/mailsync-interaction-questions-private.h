/* What mailsync-interaction.c (the object, its default methods, one
 * question of a kind at a time) shares with mailsync-interaction-invoke.c
 * (asking from a library thread), which moved out of it (issue 14 item 3),
 * and mailsync-question.c (a question as an object, for the "ask"
 * signal). Only those three files include this. Not installed. */
#pragma once

#include "mailsync-interaction.h"
#include "mailsync-question.h"

G_BEGIN_DECLS

typedef enum
{
  ASK_PASSWORD,
  ASK_OAUTH2_TOKEN,
  ACCEPT_CERTIFICATE,
  N_QUESTIONS
} Question;

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

/* A question of the library's own, asked from a library thread
 * (mailsync-interaction-invoke.c). */
typedef struct _Invocation Invocation;

/* mailsync-interaction.c */
void _mailsync_interaction_wipe           (char *secret);
/* Returns @task (a default _async method's) with the answer, taking
 * @secret and @error; FAILED without an error gets one. */
void _mailsync_interaction_return_answer  (GTask *task, MailsyncInteractionResult result, char *secret,
                                           gboolean accept, GError *error);
/* Calls the subclass's _async method for @question, unless one of that
 * kind is out: then @waiter waits for it (see the definition). */
void _mailsync_interaction_start_question (MailsyncInteraction *self, Question question, const QuestionArgs *q,
                                           Invocation *waiter, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
/* A waiting question cancelled before its turn hands the turn on. */
void _mailsync_interaction_pass_turn      (MailsyncInteraction *self, Question question);

/* mailsync-question.c */
/* The question of the "ask" signal, which answers @task (taken). */
MailsyncQuestion *_mailsync_question_new (Question question, const QuestionArgs *q, GCancellable *cancellable,
                                          GTask *task);

/* mailsync-interaction-invoke.c */
/* @inv's turn came: asks it on its client's context, taking over the
 * waiting queue's reference. */
void _mailsync_interaction_ask_waiting (Invocation *inv);

G_END_DECLS
