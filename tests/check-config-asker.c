/* MailsyncConfig: the password asker the repositories of an account share
 * (the command's IDLE accounts, built again for the same account), as
 * each repository takes its answer at connect. The repositories'
 * private steps are called in the order their connections would call
 * them: the interleavings of several workers that a server cannot be
 * made to produce on cue. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"
#include "config-fixtures.h"
#include "config/mailsync-config-private.h"
#include "backends/imap/mailsync-imap-repository-private.h"
#include "backends/imap/mailsync-imap-private.h"

static char *
typed (const char *account,
       const char *repository,
       const char *user,
       const char *host,
       gpointer    user_data)
{
  guint *calls = user_data;

  (*calls)++;
  return g_strdup ("typed");
}

/* Account A built again from @config: its remote, which shares the
 * config's asker with the other builds. */
static MailsyncImapRepository *
remote_of (MailsyncConfig *config, MailsyncAccount **account_out)
{
  g_autoptr(GError) error = NULL;
  MailsyncAccount *account = mailsync_config_create_account (config, "A", NULL, &error);

  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  *account_out = account;
  return MAILSYNC_IMAP_REPOSITORY (mailsync_account_get_remote (account));
}

/* The asker's function called, as a repository's first connect asks it
 * (its own ask runs on a worker's context): the answer the asker keeps. */
static void
ask_once (MailsyncImapRepository *repo)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;

  ck_assert_int_eq (mailsync_interaction_ask_password (repo->password_asker, "R", "me", "imap.example.org", NULL,
                                                       NULL, &answer, &error), MAILSYNC_INTERACTION_HANDLED);
  ck_assert_str_eq (answer, "typed");
}

/* review26 L4: the asker's answer became NULL (another repository's login
 * refused it) while repository A holds a password the server accepted
 * for it, an older one than that answer: A's next connect keeps it (a
 * NULL answer is no newer password; dropping it cost a question), and
 * takes the asker's generation, so the same change is not taken again. */
START_TEST (test_null_answer_keeps_accepted)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account_a = NULL;
  g_autoptr(MailsyncAccount) account_b = NULL;
  g_autofree char *answer = NULL;
  MailsyncImapRepository *a, *b;
  guint calls = 0, other;
  char *none = NULL;

  config = load_config (GENERAL ACCOUNT LOCAL REMOTE_NOPASS, &error);
  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  mailsync_config_set_password_func (config, typed, &calls, NULL);
  a = remote_of (config, &account_a);
  b = remote_of (config, &account_b);
  ck_assert (a->password_asker != NULL && a->password_asker == b->password_asker);

  /* A's first connect asks; the asker keeps the answer; A's login with it
   * is accepted */
  ask_once (a);
  _mailsync_imap_repository_take_asker_secret (a);
  ck_assert_str_eq (a->settings->password, "typed");
  ck_assert_uint_eq (calls, 1);
  g_mutex_lock (&a->accepted_lock);
  a->accepted_password = g_strdup ("typed");
  g_mutex_unlock (&a->accepted_lock);

  /* another login of the account (its interaction asked after a refusal)
   * left a newer answer; B takes it at its connect */
  other = 0;
  ck_assert (a->password_sync (a->password_asker, NULL, NULL, &other, &answer));
  ck_assert (!a->password_sync (a->password_asker, NULL, "newer", &other, NULL));
  _mailsync_imap_repository_take_asker_secret (b);
  ck_assert_str_eq (b->settings->password, "newer");

  /* B's login refuses it: forgotten, by the asker too (nothing newer) */
  ck_assert (!_mailsync_imap_repository_forget_refused_secret (b, FALSE));
  ck_assert (b->settings->password == NULL);

  /* A's next connect: its accepted password stays, no question */
  _mailsync_imap_repository_take_asker_secret (a);
  ck_assert_msg (a->settings->password != NULL, "A dropped the password the server accepted");
  ck_assert_str_eq (a->settings->password, "typed");
  ck_assert_uint_eq (a->asker_generation, b->asker_generation);
  ck_assert (!a->password_sync (a->password_asker, NULL, NULL, &a->asker_generation, &none));
  ck_assert_uint_eq (calls, 1);
}
END_TEST

/* A password A asked that no login accepted yet goes with the asker's
 * answer as before: the NULL answer comes from a refusal, maybe of that
 * very password, and a login with it would only be refused again. */
START_TEST (test_null_answer_drops_unaccepted)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account_a = NULL;
  g_autoptr(MailsyncAccount) account_b = NULL;
  MailsyncImapRepository *a, *b;
  guint calls = 0;

  config = load_config (GENERAL ACCOUNT LOCAL REMOTE_NOPASS, &error);
  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  mailsync_config_set_password_func (config, typed, &calls, NULL);
  a = remote_of (config, &account_a);
  b = remote_of (config, &account_b);

  ask_once (a);
  _mailsync_imap_repository_take_asker_secret (a);
  _mailsync_imap_repository_take_asker_secret (b);
  ck_assert_str_eq (b->settings->password, "typed");
  ck_assert (!_mailsync_imap_repository_forget_refused_secret (b, FALSE));
  _mailsync_imap_repository_take_asker_secret (a);
  ck_assert (a->settings->password == NULL);
  ck_assert_uint_eq (calls, 1);
}
END_TEST

static Suite *
asker_suite (void)
{
  Suite *s = suite_create ("config-asker");
  TCase *tc = tcase_create ("asker");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_null_answer_keeps_accepted);
  tcase_add_test (tc, test_null_answer_drops_unaccepted);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (asker_suite ());
}
