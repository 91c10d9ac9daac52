/* What mailsync-interaction.c (the object, its default methods, one
 * question of a kind at a time) shares with mailsync-interaction-invoke.c
 * (asking from a library thread), which moved out of it (issue 14 item 3).
 * Only those two files include this. Not installed. */
#pragma once

#include "mailsync-interaction.h"

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
/* Calls the subclass's _async method for @question, unless one of that
 * kind is out: then @waiter waits for it (see the definition). */
void _mailsync_interaction_start_question (MailsyncInteraction *self, Question question, const QuestionArgs *q,
                                           Invocation *waiter, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
/* A waiting question cancelled before its turn hands the turn on. */
void _mailsync_interaction_pass_turn      (MailsyncInteraction *self, Question question);

/* mailsync-interaction-invoke.c */
/* @inv's turn came: asks it on its client's context, taking over the
 * waiting queue's reference. */
void _mailsync_interaction_ask_waiting (Invocation *inv);

G_END_DECLS
