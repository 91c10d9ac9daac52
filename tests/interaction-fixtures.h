/* What the two interaction suites share (check-interaction.c: the IMAP
 * cases and one question at a time; check-interaction-question.c: the
 * "ask" signal and MailsyncQuestion): a scripted interaction and a
 * deadline-bounded wait. Split out of check-interaction.c (issue 14
 * item 1: a file under ~1,000 lines, one subject). */
#pragma once

#include "mailsync.h"

#include <check.h>

G_BEGIN_DECLS

/* Generous: a loaded CI machine may be slow, and nothing here sleeps. */
#define DEADLINE_SECONDS 60

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

/* Answers the oldest question held by ANSWER_HOLD with @password (NULL:
 * unhandled). */
void answer_held (TestInteraction *self, const char *password);

/* Iterates @context until *@slot is set (deadline). */
void wait_for_result (GMainContext *context, GAsyncResult **slot);

G_END_DECLS
