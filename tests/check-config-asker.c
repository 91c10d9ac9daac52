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
  ck_assert (a->password_sync (a->password_asker, NULL, NULL, NULL, &other, &answer));
  ck_assert (!a->password_sync (a->password_asker, NULL, "newer", NULL, &other, NULL));
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
  ck_assert (!a->password_sync (a->password_asker, NULL, NULL, NULL, &a->asker_generation, &none));
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

/* review27 M1's start: account A built twice, a and b sharing the
 * asker; a's first connect asked (the answer "typed"), took it and its
 * login was accepted; b took the same answer. */
static MailsyncConfig *
shared_answer (guint *calls, MailsyncAccount **account_a, MailsyncAccount **account_b, MailsyncImapRepository **a,
               MailsyncImapRepository **b)
{
  g_autoptr(GError) error = NULL;
  MailsyncConfig *config = load_config (GENERAL ACCOUNT LOCAL REMOTE_NOPASS, &error);

  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  mailsync_config_set_password_func (config, typed, calls, NULL);
  *a = remote_of (config, account_a);
  *b = remote_of (config, account_b);
  ask_once (*a);
  _mailsync_imap_repository_take_asker_secret (*a);
  g_mutex_lock (&(*a)->accepted_lock);
  (*a)->accepted_password = g_strdup ("typed");
  g_mutex_unlock (&(*a)->accepted_lock);
  _mailsync_imap_repository_take_asker_secret (*b);
  ck_assert_str_eq ((*b)->settings->password, "typed");
  return config;
}

/* review27 M1: A's accepted password is the answer B's login was just
 * refused (they shared it; the server now refuses it): emptied, it is no
 * reason for A to keep it, A would only be refused it again (one more
 * failed login towards a lockout; review22 M3's rule). */
START_TEST (test_refused_same_not_resent)
{
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account_a = NULL;
  g_autoptr(MailsyncAccount) account_b = NULL;
  MailsyncImapRepository *a, *b;
  guint calls = 0;

  config = shared_answer (&calls, &account_a, &account_b, &a, &b);
  /* the server now refuses "typed" (password changed): B forgets it */
  ck_assert (!_mailsync_imap_repository_forget_refused_secret (b, FALSE));
  _mailsync_imap_repository_take_asker_secret (a);
  ck_assert_msg (a->settings->password == NULL, "A would send the refused password again: %s", a->settings->password);
}
END_TEST

/* review27 M1, every refusal: B was refused A's accepted password after
 * the answer had moved on (B's copy was older), then refused the newer
 * answer too, which emptied it: A's password is still one the server
 * refused, not only the last refused answer counts. */
START_TEST (test_refused_older_not_resent)
{
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account_a = NULL;
  g_autoptr(MailsyncAccount) account_b = NULL;
  g_autofree char *answer = NULL;
  MailsyncImapRepository *a, *b;
  guint calls = 0, other = 0;

  config = shared_answer (&calls, &account_a, &account_b, &a, &b);

  /* another login left a newer answer; B, still holding "typed", is
   * refused it and takes the newer one, which is refused too */
  ck_assert (a->password_sync (a->password_asker, NULL, NULL, NULL, &other, &answer));
  ck_assert (!a->password_sync (a->password_asker, NULL, "newer", NULL, &other, NULL));
  ck_assert (_mailsync_imap_repository_forget_refused_secret (b, FALSE));
  ck_assert_str_eq (b->settings->password, "newer");
  ck_assert (!_mailsync_imap_repository_forget_refused_secret (b, FALSE));

  _mailsync_imap_repository_take_asker_secret (a);
  ck_assert_msg (a->settings->password == NULL, "A would send the refused password again: %s", a->settings->password);
  ck_assert_uint_eq (calls, 1);
}
END_TEST

/* A login that accepts a refused password again (the server's lock ended,
 * the user typed it again) makes it one to keep again. */
START_TEST (test_accepted_again_kept)
{
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncAccount) account_a = NULL;
  g_autoptr(MailsyncAccount) account_b = NULL;
  g_autoptr(MailsyncAccount) account_c = NULL;
  MailsyncImapRepository *a, *b, *c;
  guint calls = 0, other = 0;

  config = shared_answer (&calls, &account_a, &account_b, &a, &b);
  c = remote_of (config, &account_c);
  ck_assert (!_mailsync_imap_repository_forget_refused_secret (b, FALSE));

  /* C's login with "typed" (its interaction's) is accepted after that;
   * it finds the answer emptied, newer than its copy: not kept, but no
   * longer refused either */
  ck_assert (!c->password_sync (c->password_asker, NULL, "typed", NULL, &other, NULL));
  _mailsync_imap_repository_take_asker_secret (a);
  ck_assert_msg (a->settings->password != NULL, "A dropped the password a login accepted again");
  ck_assert_str_eq (a->settings->password, "typed");
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
  tcase_add_test (tc, test_refused_same_not_resent);
  tcase_add_test (tc, test_refused_older_not_resent);
  tcase_add_test (tc, test_accepted_again_kept);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (asker_suite ());
}
