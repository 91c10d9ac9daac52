/* An account's sync with maxconnections 2 asks its interaction and emits
 * the repository's "opened" on the context the client expects, whichever
 * thread connects (doc/design.md "maxconnections", session 15):
 *
 *  - the blocking mailsync_account_sync(): on the caller's own thread,
 *    in the engine's context there. A folder sync's own thread (its
 *    private context) reconnects the repository's connection when it was
 *    lost, and logs in a connection of its own: neither may ask there,
 *    nor emit "opened" there (--update-keyring's keyring store is a
 *    handler of it). The sync below loses the repository's connection
 *    and has its password refused once both are on folder threads only:
 *    the one question and the reconnect's "opened" must come to the
 *    caller's thread;
 *  - the same for the IMAP repository a mapped local side wraps
 *    (IMAP<->IMAP): its connection lost, the folder thread's reconnect of
 *    the mapped repository reopens it, and its "opened" (a local IMAP's
 *    --update-keyring) comes to the caller's thread too;
 *  - mailsync_account_sync_async(): "opened" on the caller's thread and
 *    thread-default context, as its events (the interaction was already
 *    asked there);
 *  - a client that runs its events but no longer its idle sources (as
 *    one that stopped iterating) and cancels: the open waiting to hand
 *    "opened" over wakes at the cancel, and the sync ends CANCELLED;
 *  - two accounts sharing one repository object, syncing at once on two
 *    threads with their own contexts: each run's question and "opened"
 *    come to its own caller, also after the other run ended.
 *
 * Against the harness Dovecot (the password really refused); skipped
 * without it. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync.h"
#include "mailsync-worker.h"
#include "backends/imap/mailsync-imap-private.h"
#include "backends/imap/mailsync-imap-repository-private.h"
#include "backends/mapped/mailsync-mapped-repository.h"
#include "interaction-fixtures.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

static MailsyncTestServer server;

static const char *
env (const char *key)
{
  return mailsync_test_server_env (&server, key);
}

typedef struct
{
  char *tmp;
  MailsyncRepository *remote;
  MailsyncRepository *local;
  MailsyncRepository *inner;   /* the local side's IMAP (IMAP<->IMAP), or NULL */
  MailsyncStatusStore *status;
  MailsyncAccount *account;
  TestInteraction *interaction;

  /* on SYNC_FOLDERS (the engine's thread, before any folder syncs) */
  gboolean spoil;              /* lose the connection, refuse the password */
  gboolean running;            /* the _async sync has not called back */
  GMainContext *engine_context;
  GThread *engine_thread;

  /* each "opened" of the remote: where it came, and while which run */
  guint opened;
  GThread *opened_thread[8];
  GMainContext *opened_context[8];
  gboolean opened_second[8];

  /* a second account over the same remote (test_shared_repository),
   * synced from the first one's SYNC_FOLDERS on a thread of its own */
  MailsyncAccount *second;
  MailsyncRepository *second_local;
  MailsyncStatusStore *second_status;
  gboolean in_second;
  GThread *second_thread;
  GMainContext *second_context;
  GError *second_error;
} Fixture;

static Fixture f;

static void
close_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapSlot *slot = task_data;

  mailsync_imap_connection_close (slot->connection);
  g_task_return_boolean (task, TRUE);
}

/* The repository's own connection is lost as a dropped socket would lose
 * it, on its worker (a connection is single-threaded). */
static void
lose_main_connection (MailsyncRepository *repo)
{
  MailsyncImapSlot *slot = &MAILSYNC_IMAP_REPOSITORY (repo)->main;
  g_autoptr(GAsyncResult) result = NULL;
  GTask *task = g_task_new (repo, NULL, _mailsync_store_result, &result);

  g_task_set_task_data (task, slot, NULL);
  _mailsync_worker_run (slot->worker, task, close_job);
  g_object_unref (task);
  while (result == NULL)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  ck_assert (!mailsync_imap_connection_is_open (slot->connection));
}

static void synced (GObject *source, GAsyncResult *result, gpointer user_data);

/* The second account's whole sync, _async on this thread's own context,
 * iterated here. */
static gpointer
second_sync (gpointer data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  gboolean running = TRUE;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  g_main_context_push_thread_default (context);
  f.second_thread = g_thread_self ();
  f.second_context = g_main_context_ref (context);
  mailsync_account_sync_async (f.second, NULL, synced, &running);
  while (running && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, TRUE);
  /* past the deadline: the check fails on the error; the sync must end */
  if (running && f.second_error == NULL)
    g_set_error_literal (&f.second_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the second sync did not finish");
  while (running)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
on_event (MailsyncAccount *account, MailsyncSyncEvent *event, gpointer user_data)
{
  if (mailsync_sync_event_get_kind (event) != MAILSYNC_SYNC_EVENT_SYNC_FOLDERS || !f.spoil)
    return;
  /* the blocking sync emits this one on its engine's thread itself */
  f.engine_thread = g_thread_self ();
  f.engine_context = g_main_context_ref_thread_default ();
  if (f.second != NULL)
    {
      /* while this sync is stopped here, with its repositories open, the
       * other account syncs the same remote from start to end */
      f.in_second = TRUE;
      g_thread_join (g_thread_new ("second-account", second_sync, NULL));
      f.in_second = FALSE;
    }
  if (f.inner != NULL)
    {
      /* the first folder on the local IMAP's own connection reconnects
       * it, through the mapped repository's reopen, on a folder thread */
      lose_main_connection (f.inner);
      return;
    }
  /* From here every login needs the interaction's answer: the first
   * folder on the repository's connection reconnects it, and the second
   * folder logs in a connection of its own; both on folder threads. */
  g_object_set (f.remote, "password", "Wr0ng-now", NULL);
  lose_main_connection (f.remote);
}

static void
on_opened (MailsyncRepository *repo, gpointer user_data)
{
  guint n = f.opened++;

  if (n >= G_N_ELEMENTS (f.opened_thread))
    return;
  f.opened_thread[n] = g_thread_self ();
  f.opened_context[n] = g_main_context_ref_thread_default ();
  f.opened_second[n] = f.in_second;
}

/* How many "opened" of the first run (of the second with @second) came
 * elsewhere than on @thread in @context; @n: how many came. */
static guint
opened_elsewhere_of (gboolean second, GThread *thread, GMainContext *context, guint *n)
{
  guint elsewhere = 0;

  *n = 0;
  for (guint i = 0; i < MIN (f.opened, G_N_ELEMENTS (f.opened_thread)); i++)
    {
      if (f.opened_second[i] != second)
        continue;
      (*n)++;
      elsewhere += f.opened_thread[i] != thread || f.opened_context[i] != context ? 1 : 0;
    }
  return elsewhere;
}

/* How many "opened" came elsewhere than on @thread in @context. */
static guint
opened_elsewhere (GThread *thread, GMainContext *context)
{
  guint n;

  return opened_elsewhere_of (FALSE, thread, context, &n);
}

static MailsyncFolder *
create_remote (const char *name)
{
  g_autoptr(GError) error = NULL;
  MailsyncFolder *folder = mailsync_repository_create_folder (f.remote, name, NULL, &error);

  ck_assert_msg (folder != NULL, "create %s: %s", name, error ? error->message : "");
  return folder;
}

/* An account over the harness user's folders (three of this test's
 * own, so that two folder syncs run) and a new Maildir, or with
 * @imap_local the second harness user's IMAP (max-connections 2) through
 * a mapped repository. "opened" is watched on the remote, or on that
 * IMAP. */
static void
setup (const char *prefix, gboolean imap_local)
{
  g_autofree char *mail = NULL;
  g_autofree char *status_dir = NULL;
  static const char *answers[] = { NULL, NULL };

  memset (&f, 0, sizeof f);
  f.tmp = mailsync_test_mkdtemp ();
  mail = g_build_filename (f.tmp, "Mail", NULL);
  status_dir = g_build_filename (f.tmp, "LocalStatus-sqlite", NULL);
  ck_assert_int_eq (g_mkdir_with_parents (mail, 0700), 0);
  f.remote = mailsync_imap_repository_new ("Remote", env ("DOVECOT_HOST"), (guint16) atoi (env ("DOVECOT_PORT")));
  g_object_set (f.remote, "ssl", FALSE, "starttls", TRUE, "user", env ("DOVECOT_USER"), "password",
                env ("DOVECOT_PASS"), "ca-file", env ("DOVECOT_CA"), "timeout", 120u, "max-connections", 2u, NULL);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s%c", prefix, 'A' + i);

      g_object_unref (create_remote (name));
    }
  ck_assert (mailsync_repository_close (f.remote, NULL, NULL));
  if (imap_local)
    {
      f.inner = mailsync_imap_repository_new ("LocalImap", env ("DOVECOT_HOST"), (guint16) atoi (env ("DOVECOT_PORT")));
      g_object_set (f.inner, "ssl", FALSE, "starttls", TRUE, "user", env ("DOVECOT_USER2"), "password",
                    env ("DOVECOT_PASS2"), "ca-file", env ("DOVECOT_CA"), "timeout", 120u, "max-connections", 2u,
                    NULL);
      f.local = mailsync_mapped_repository_new (f.inner, mail);
    }
  else
    f.local = mailsync_maildir_repository_new ("Local", mail, '.');
  f.status = mailsync_status_sqlite_new (status_dir);
  f.account = mailsync_account_new ("Contexts", f.remote, f.local, f.status);
  f.interaction = g_object_new (TEST_TYPE_INTERACTION, NULL);
  answers[0] = env ("DOVECOT_PASS");
  f.interaction->mode = ANSWER_PASSWORD;
  f.interaction->passwords = answers;
  mailsync_repository_set_interaction (f.remote, MAILSYNC_INTERACTION (f.interaction));
  g_signal_connect (f.account, "event", G_CALLBACK (on_event), NULL);
  g_signal_connect (f.inner != NULL ? f.inner : f.remote, "opened", G_CALLBACK (on_opened), NULL);
}

static void
teardown (void)
{
  g_clear_object (&f.second);
  g_clear_object (&f.second_status);
  g_clear_object (&f.second_local);
  g_clear_pointer (&f.second_context, g_main_context_unref);
  g_clear_error (&f.second_error);
  g_clear_object (&f.account);
  g_clear_object (&f.status);
  g_clear_object (&f.local);
  g_clear_object (&f.inner);
  g_clear_object (&f.remote);
  g_clear_object (&f.interaction);
  g_clear_pointer (&f.engine_context, g_main_context_unref);
  for (guint i = 0; i < G_N_ELEMENTS (f.opened_context); i++)
    g_clear_pointer (&f.opened_context[i], g_main_context_unref);
  mailsync_test_rm_rf (f.tmp);
  g_free (f.tmp);
}

/* The blocking sync: the folder threads' question and "opened" come to
 * the caller's thread, in the engine's context there. */
START_TEST (test_blocking_sync)
{
  g_autoptr(GError) error = NULL;

  setup ("CtxSync", FALSE);
  f.spoil = TRUE;
  ck_assert_msg (mailsync_account_sync (f.account, NULL, &error), "sync: %s", error ? error->message : "");
  ck_assert (f.engine_thread == g_thread_self ());
  ck_assert (f.engine_context != NULL);
  /* one refusal, one question (the answer serves every login after it) */
  ck_assert_uint_eq (f.interaction->password_asks, 1);
  ck_assert (f.interaction->previous_errors[0] != NULL);
  ck_assert_msg (g_error_matches (f.interaction->previous_errors[0], MAILSYNC_ERROR,
                                  MAILSYNC_ERROR_AUTHENTICATION_FAILED),
                 "%s", f.interaction->previous_errors[0]->message);
  ck_assert_msg (f.interaction->thread == g_thread_self (), "asked on another thread than the sync's caller");
  ck_assert_msg (f.interaction->context == f.engine_context, "asked in another context than the engine's");
  /* the account's open, then the reconnect of a folder on it */
  ck_assert_uint_eq (f.opened, 2);
  ck_assert_msg (opened_elsewhere (g_thread_self (), f.engine_context) == 0,
                 "%u of %u \"opened\" on another thread or context", opened_elsewhere (g_thread_self (), f.engine_context),
                 f.opened);
  teardown ();
}
END_TEST

/* IMAP<->IMAP: the wrapped IMAP's reconnect from a folder thread. */
START_TEST (test_blocking_sync_mapped_local)
{
  g_autoptr(GError) error = NULL;

  setup ("CtxMapped", TRUE);
  f.spoil = TRUE;
  ck_assert_msg (mailsync_account_sync (f.account, NULL, &error), "sync: %s", error ? error->message : "");
  ck_assert (f.engine_context != NULL);
  /* the account's open of the local side, then a folder's reconnect */
  ck_assert_uint_eq (f.opened, 2);
  ck_assert_msg (opened_elsewhere (g_thread_self (), f.engine_context) == 0,
                 "%u of %u \"opened\" of the wrapped IMAP on another thread or context",
                 opened_elsewhere (g_thread_self (), f.engine_context), f.opened);
  teardown ();
}
END_TEST

static void
synced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean second = MAILSYNC_ACCOUNT (source) == f.second;
  GError **error = second ? &f.second_error : user_data;

  if (!mailsync_account_sync_finish (MAILSYNC_ACCOUNT (source), result, error) && *error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "failed without an error");
  if (second)
    *(gboolean *) user_data = FALSE;
  else
    f.running = FALSE;
}

/* The _async sync: "opened" on the caller's thread-default context, as
 * its events and callback. */
START_TEST (test_async_sync)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  setup ("CtxAsync", FALSE);
  g_main_context_push_thread_default (context);
  f.running = TRUE;
  mailsync_account_sync_async (f.account, NULL, synced, &error);
  while (f.running && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  ck_assert_msg (!f.running, "the sync did not finish");
  ck_assert_msg (error == NULL, "sync: %s", error->message);
  ck_assert_uint_ge (f.opened, 1);
  ck_assert_msg (opened_elsewhere (g_thread_self (), context) == 0, "%u of %u \"opened\" on another thread or context",
                 opened_elsewhere (g_thread_self (), context), f.opened);
  teardown ();
}
END_TEST

typedef enum
{
  TURN_WAITED,         /* nothing was ready: waited for a source to come */
  TURN_EVENTS_READY,   /* a source of G_PRIORITY_DEFAULT (events, the callback) is ready */
  TURN_IDLE_ONLY,      /* only idle sources are ready: left there */
} Turn;

/* What a client that runs its events and callbacks but no longer its
 * idle sources would do next with @context (the "opened" hand-off is an
 * idle source): nothing is dispatched here. The next attach wakes the
 * wait (the context's wake-up is polled too). */
static Turn
next_turn (GMainContext *context)
{
  GPollFD fds[64];
  gint priority = G_MAXINT, timeout = -1, n;
  gboolean ready;

  ck_assert (g_main_context_acquire (context));
  ready = g_main_context_prepare (context, &priority);
  if (ready && priority <= G_PRIORITY_DEFAULT)
    {
      g_main_context_release (context);
      return TURN_EVENTS_READY;
    }
  n = g_main_context_query (context, G_PRIORITY_DEFAULT, &timeout, fds, G_N_ELEMENTS (fds));
  ck_assert_int_le (n, G_N_ELEMENTS (fds));
  /* a ready idle makes the timeout 0: wait for the next source instead */
  g_poll (fds, n, ready || timeout < 0 || timeout > 1000 ? 1000 : timeout);
  g_main_context_release (context);
  return ready ? TURN_IDLE_ONLY : TURN_WAITED;
}

/* The _async sync's client stops running idle sources (its events still
 * run) and cancels while the account's open waits to hand "opened"
 * over: the sync ends CANCELLED, without the signal. */
START_TEST (test_async_cancel_unattended)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  gboolean cancelled = FALSE, finished;

  setup ("CtxCancel", FALSE);
  g_main_context_push_thread_default (context);
  f.running = TRUE;
  mailsync_account_sync_async (f.account, cancellable, synced, &error);
  while (f.running && g_get_monotonic_time () < deadline)
    switch (next_turn (context))
      {
      case TURN_EVENTS_READY:
        /* dispatches the ready sources of the highest priority only */
        g_main_context_iteration (context, FALSE);
        break;
      case TURN_IDLE_ONLY:
        if (!cancelled)
          g_cancellable_cancel (cancellable);
        cancelled = TRUE;
        break;
      case TURN_WAITED:
      default:
        break;
      }
  finished = !f.running;
  /* a sync still waiting for the client: let it end before the teardown */
  while (f.running)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  ck_assert_msg (cancelled, "no \"opened\" was handed to the client's context");
  ck_assert_msg (finished, "the sync did not end after its cancel while the client ran no idle source");
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "sync: %s",
                 error != NULL ? error->message : "no error");
  ck_assert_uint_eq (f.opened, 0);
  teardown ();
}
END_TEST

/* Two accounts over one remote repository object: the first syncs
 * blocking on this thread; at its SYNC_FOLDERS the second syncs _async
 * on a thread and context of its own, from start to end; then the first
 * loses its connection and has its password refused (its folder threads
 * reconnect and ask). Each run's "opened" and question come to its own
 * caller. */
START_TEST (test_shared_repository)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *mail = NULL;
  g_autofree char *status_dir = NULL;
  guint n_first, n_second, elsewhere_first, elsewhere_second;

  setup ("CtxShared", FALSE);
  mail = g_build_filename (f.tmp, "Mail2", NULL);
  status_dir = g_build_filename (f.tmp, "LocalStatus2-sqlite", NULL);
  ck_assert_int_eq (g_mkdir_with_parents (mail, 0700), 0);
  f.second_local = mailsync_maildir_repository_new ("Local2", mail, '.');
  f.second_status = mailsync_status_sqlite_new (status_dir);
  f.second = mailsync_account_new ("Contexts2", f.remote, f.second_local, f.second_status);
  f.spoil = TRUE;
  ck_assert_msg (mailsync_account_sync (f.account, NULL, &error), "sync: %s", error ? error->message : "");
  ck_assert_msg (f.second_error == NULL, "second sync: %s", f.second_error ? f.second_error->message : "");
  ck_assert (f.second_thread != NULL && f.second_thread != g_thread_self ());
  elsewhere_second = opened_elsewhere_of (TRUE, f.second_thread, f.second_context, &n_second);
  ck_assert_uint_ge (n_second, 1);
  ck_assert_msg (elsewhere_second == 0, "%u of %u \"opened\" of the second run on another thread or context",
                 elsewhere_second, n_second);
  /* the first run's open, and its folder's reconnect after the second
   * run ended */
  elsewhere_first = opened_elsewhere_of (FALSE, g_thread_self (), f.engine_context, &n_first);
  ck_assert_uint_eq (n_first, 2);
  ck_assert_msg (elsewhere_first == 0, "%u of %u \"opened\" of the first run on another thread or context",
                 elsewhere_first, n_first);
  ck_assert_uint_ge (f.interaction->password_asks, 1);
  ck_assert_msg (f.interaction->thread == g_thread_self (), "asked on another thread than the first sync's caller");
  ck_assert_msg (f.interaction->context == f.engine_context, "asked in another context than the first sync's engine");
  teardown ();
}
END_TEST

START_TEST (test_harness_started)
{
  ck_abort_msg ("/usr/sbin/dovecot exists but tests/harness/dovecot-harness did not start "
                "the default server (its output is above)");
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("account-contexts");
  TCase *tc;
  g_autofree char *base = NULL;
  gboolean have_dovecot, have_server = FALSE;
  int status;

  base = g_dir_make_tmp ("mailsync-contexts-XXXXXX", NULL);
  g_assert (base != NULL);
  /* The harness wants every ancestor searchable by Dovecot's users. */
  g_chmod (base, 0755);
  have_dovecot = g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE);
  if (have_dovecot)
    have_server = mailsync_test_server_start (&server, "default", base);

  tc = tcase_create ("imap");
  tcase_set_timeout (tc, 3 * DEADLINE_SECONDS);
  if (have_server)
    {
      tcase_add_test (tc, test_blocking_sync);
      tcase_add_test (tc, test_blocking_sync_mapped_local);
      tcase_add_test (tc, test_async_sync);
      tcase_add_test (tc, test_async_cancel_unattended);
      tcase_add_test (tc, test_shared_repository);
    }
  else if (have_dovecot)
    tcase_add_test (tc, test_harness_started);
  else
    {
      mailsync_test_add_skipped_test (tc, test_blocking_sync, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_blocking_sync_mapped_local, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_async_sync, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_async_cancel_unattended, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_shared_repository, MAILSYNC_TEST_NO_DOVECOT);
    }
  suite_add_tcase (suite, tc);
  status = mailsync_test_run (suite);
  if (have_server)
    mailsync_test_server_stop (&server);
  g_rmdir (base);
  return status;
}
