/* MailsyncRepository's lease interface (maxconnections step 2, the
 * repository side; mailsync-private.h, doc/design.md "maxconnections"),
 * the calls the engine makes per folder: lease, release, reopen of the
 * leased connection, the lease's number.
 *
 * Without a server: the base class (a Maildir repository) grants every
 * lease at once, numbers none and reopens as the repository's reopen;
 * the IMAP repository through the interface: a second lease with the one
 * connection leased waits in order, a cancelled wait ends CANCELLED and
 * holds nothing (the next waiter gets the connection), a folder leased
 * twice is BUSY and keeps its lease, another repository's folder is
 * refused, and a blocking lease on a thread of its own (as a runner
 * thread's) waits for a release made on another thread.
 *
 * On the harness Dovecot: two folders leased through the interface get
 * two connections (two sessions), the reopen of one leased folder whose
 * connection was lost replaces that connection only, and a mapped
 * repository (IMAP<->IMAP's local side) leases its inner's connections,
 * and its reconnects after a dropped connection count no open of the
 * inner: the one close logs the inner out. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync.h"
#include "mailsync-private.h"
#include "backends/imap/mailsync-imap-private.h"
#include "backends/imap/mailsync-imap-repository-private.h"
#include "backends/mapped/mailsync-mapped-private.h"
#include "mailsync-worker.h"

#include <string.h>
#include <glib/gstdio.h>

#define DEADLINE_S 60

static MailsyncTestServer server;

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
} Lease;

static void
leased (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Lease *lease = user_data;

  lease->ok = _mailsync_repository_lease_folder_finish (MAILSYNC_REPOSITORY (source), result, &lease->error);
  lease->done = TRUE;
}

static void
lease (MailsyncRepository *repo, MailsyncFolder *folder, GCancellable *cancellable, Lease *out)
{
  _mailsync_repository_lease_folder_async (repo, folder, cancellable, leased, out);
}

static void
run_ready (GMainContext *context)
{
  while (g_main_context_iteration (context, FALSE))
    ;
}

static void
wait_lease (GMainContext *context, Lease *lease)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (!lease->done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, TRUE);
  ck_assert_msg (lease->done, "the lease was not granted");
}

static guint
number (MailsyncRepository *repo, MailsyncFolder *folder)
{
  return _mailsync_repository_folder_lease_number (repo, folder);
}

static MailsyncFolder *
create (MailsyncRepository *repo, const char *name)
{
  g_autoptr(GError) error = NULL;
  MailsyncFolder *folder = mailsync_repository_create_folder (repo, name, NULL, &error);

  ck_assert_msg (folder != NULL, "create %s: %s", name, error ? error->message : "");
  return folder;
}

static void
list_ok (MailsyncFolder *folder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = mailsync_folder_list_messages (folder, NULL, &error);

  ck_assert_msg (messages != NULL, "list %s: %s", mailsync_folder_get_name (folder), error ? error->message : "");
}

/* The blocking forms wait on a library-owned context (the account's
 * engine thread, a runner thread): run them as they will be run. */
typedef struct
{
  MailsyncRepository *repo;
  MailsyncFolder *folder;
  GCancellable *cancellable;
  gboolean reopen;
  gboolean ok;
  GError *error;
} Call;

static void
call_body (gpointer data, gpointer unused)
{
  Call *call = data;

  if (call->reopen && call->folder == NULL)
    call->ok = _mailsync_repository_reopen (call->repo, call->cancellable, &call->error);
  else if (call->reopen)
    call->ok = _mailsync_repository_reopen_folder (call->repo, call->folder, call->cancellable, &call->error);
  else
    call->ok = _mailsync_repository_lease_folder (call->repo, call->folder, call->cancellable, &call->error);
}

static gboolean
blocking (gboolean reopen, MailsyncRepository *repo, MailsyncFolder *folder, GCancellable *cancellable,
          GError **error)
{
  Call call = { repo, folder, cancellable, reopen, FALSE, NULL };

  _mailsync_run_private (call_body, &call);
  if (call.error != NULL)
    g_propagate_error (error, call.error);
  return call.ok;
}

#define blocking_lease(repo, folder, cancellable, error) blocking (FALSE, repo, folder, cancellable, error)
#define blocking_reopen(repo, folder, cancellable, error) blocking (TRUE, repo, folder, cancellable, error)

/* ---- the base class: the one connection ------------------------------------ */

START_TEST (test_client_base_maildir)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autofree char *root = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("local", root, '.');
  g_autoptr(MailsyncFolder) a = NULL;
  g_autoptr(MailsyncFolder) b = NULL;
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Lease la = { 0 }, lb = { 0 }, la2 = { 0 };

  g_main_context_push_thread_default (context);
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "open: %s", error ? error->message : "");
  a = create (repo, "A");
  b = create (repo, "B");
  /* every lease at once, a cancelled one too, the same folder twice too */
  g_cancellable_cancel (cancelled);
  lease (repo, a, NULL, &la);
  lease (repo, b, cancelled, &lb);
  lease (repo, a, NULL, &la2);
  run_ready (context);
  ck_assert (la.done && lb.done && la2.done);
  ck_assert_msg (la.ok && lb.ok && la2.ok, "a base lease failed");
  ck_assert_uint_eq (number (repo, a), 0);
  ck_assert_uint_eq (number (repo, b), 0);
  /* the one connection: never "a new connection to make" */
  ck_assert (_mailsync_repository_folder_lease_connected (repo, a));
  /* the blocking form, and the reopen: the repository's */
  ck_assert (blocking_lease (repo, b, NULL, &error));
  ck_assert_msg (blocking_reopen (repo, a, NULL, &error), "reopen: %s",
                 error ? error->message : "");
  ck_assert_uint_eq (_mailsync_repository_get_open_count (repo), 1);
  list_ok (a);
  _mailsync_repository_release_folder (repo, a);
  _mailsync_repository_release_folder (repo, b);
  _mailsync_repository_release_folder (repo, b); /* no lease: nothing */
  /* the reopen reports the repository's failure */
  mailsync_test_rm_rf (root);
  ck_assert (!blocking_reopen (repo, a, NULL, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
  g_main_context_pop_thread_default (context);
}
END_TEST

/* ---- the IMAP repository through the interface, without a server ---------- */

START_TEST (test_client_imap_waits_in_order)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncRepository) repo = mailsync_imap_repository_new ("nowhere", "127.0.0.1", 1);
  g_autofree char *root = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncRepository) other = mailsync_maildir_repository_new ("local", root, '.');
  g_autoptr(MailsyncFolder) a = NULL;
  g_autoptr(MailsyncFolder) b = NULL;
  g_autoptr(MailsyncFolder) c = NULL;
  g_autoptr(MailsyncFolder) d = NULL;
  g_autoptr(MailsyncFolder) foreign = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Lease la = { 0 }, la2 = { 0 }, lb = { 0 }, lc = { 0 }, ld = { 0 }, lf = { 0 }, la3 = { 0 };

  g_main_context_push_thread_default (context);
  a = MAILSYNC_FOLDER (_mailsync_imap_folder_new (MAILSYNC_IMAP_REPOSITORY (repo), "A", "A"));
  b = MAILSYNC_FOLDER (_mailsync_imap_folder_new (MAILSYNC_IMAP_REPOSITORY (repo), "B", "B"));
  c = MAILSYNC_FOLDER (_mailsync_imap_folder_new (MAILSYNC_IMAP_REPOSITORY (repo), "C", "C"));
  d = MAILSYNC_FOLDER (_mailsync_imap_folder_new (MAILSYNC_IMAP_REPOSITORY (repo), "D", "D"));
  foreign = create (other, "F");

  lease (repo, a, NULL, &la);
  wait_lease (context, &la);
  ck_assert (la.ok);
  ck_assert_uint_eq (number (repo, a), 1);
  /* leased twice: BUSY, and the first lease stands */
  lease (repo, a, NULL, &la2);
  wait_lease (context, &la2);
  ck_assert (!la2.ok && g_error_matches (la2.error, G_IO_ERROR, G_IO_ERROR_BUSY));
  ck_assert_uint_eq (number (repo, a), 1);
  /* not an IMAP folder of this repository */
  lease (repo, foreign, NULL, &lf);
  wait_lease (context, &lf);
  ck_assert (!lf.ok && g_error_matches (lf.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  ck_assert_uint_eq (number (repo, foreign), 0);

  /* max-connections 1: c, b and d wait, in that order */
  lease (repo, c, cancellable, &lc);
  lease (repo, b, NULL, &lb);
  lease (repo, d, NULL, &ld);
  run_ready (context);
  ck_assert (!lc.done && !lb.done && !ld.done);
  /* a cancelled wait ends with the cancel and holds nothing */
  g_cancellable_cancel (cancellable);
  wait_lease (context, &lc);
  ck_assert (!lc.ok && g_error_matches (lc.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert_uint_eq (number (repo, c), 0);
  _mailsync_repository_release_folder (repo, c); /* nothing to release: no effect */
  run_ready (context);
  ck_assert (!lb.done && !ld.done);
  ck_assert_uint_eq (number (repo, a), 1);
  /* the release goes to the first waiter still waiting, b, then d */
  _mailsync_repository_release_folder (repo, a);
  wait_lease (context, &lb);
  ck_assert (lb.ok);
  ck_assert_uint_eq (number (repo, b), 1);
  run_ready (context);
  ck_assert (!ld.done);
  _mailsync_repository_release_folder (repo, b);
  wait_lease (context, &ld);
  ck_assert (ld.ok);
  ck_assert_uint_eq (number (repo, d), 1);
  _mailsync_repository_release_folder (repo, d);
  /* free again: at once */
  lease (repo, a, NULL, &la3);
  wait_lease (context, &la3);
  ck_assert (la3.ok);
  _mailsync_repository_release_folder (repo, a);
  ck_assert_uint_eq (number (repo, a), 0);
  g_clear_error (&la2.error);
  g_clear_error (&lf.error);
  g_clear_error (&lc.error);
  mailsync_test_rm_rf (root);
  g_main_context_pop_thread_default (context);
}
END_TEST

typedef struct
{
  MailsyncRepository *repo;
  MailsyncFolder *folder;
  GCancellable *cancellable;
  gboolean ok;
  guint number;
  GError *error;
} Runner;

/* As a runner thread will: its own private context, a blocking lease,
 * the folder's number, the release. */
static gpointer
runner_thread (gpointer data)
{
  Runner *runner = data;

  runner->ok = blocking_lease (runner->repo, runner->folder, runner->cancellable, &runner->error);
  runner->number = number (runner->repo, runner->folder);
  if (runner->ok)
    _mailsync_repository_release_folder (runner->repo, runner->folder);
  return NULL;
}

/* Waits until @n leases wait for a connection. */
static void
wait_waiters (MailsyncImapRepository *imap, guint n)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  guint now;

  for (;;)
    {
      g_mutex_lock (&imap->pool_lock);
      now = g_queue_get_length (&imap->lease_waiters);
      g_mutex_unlock (&imap->pool_lock);
      if (now == n || g_get_monotonic_time () >= deadline)
        break;
      g_usleep (10 * 1000);
    }
  ck_assert_uint_eq (now, n);
}

START_TEST (test_client_imap_lease_from_threads)
{
  g_autoptr(MailsyncRepository) repo = mailsync_imap_repository_new ("nowhere", "127.0.0.1", 1);
  MailsyncImapRepository *imap = MAILSYNC_IMAP_REPOSITORY (repo);
  g_autoptr(MailsyncFolder) a = MAILSYNC_FOLDER (_mailsync_imap_folder_new (imap, "A", "A"));
  g_autoptr(MailsyncFolder) b = MAILSYNC_FOLDER (_mailsync_imap_folder_new (imap, "B", "B"));
  g_autoptr(MailsyncFolder) c = MAILSYNC_FOLDER (_mailsync_imap_folder_new (imap, "C", "C"));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Runner rb = { repo, b, NULL, FALSE, 0, NULL }, rc = { repo, c, cancellable, FALSE, 0, NULL };
  GThread *tb, *tc;

  /* the test's thread holds the one connection; two runners wait */
  ck_assert (blocking_lease (repo, a, NULL, &error));
  tc = g_thread_new ("runner-c", runner_thread, &rc);
  wait_waiters (imap, 1);
  tb = g_thread_new ("runner-b", runner_thread, &rb);
  wait_waiters (imap, 2);
  /* c's wait is cancelled from here: c ends, b still waits */
  g_cancellable_cancel (cancellable);
  g_thread_join (tc);
  ck_assert (!rc.ok && g_error_matches (rc.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert_uint_eq (rc.number, 0);
  wait_waiters (imap, 1);
  /* released here, granted there */
  _mailsync_repository_release_folder (repo, a);
  g_thread_join (tb);
  ck_assert_msg (rb.ok, "b's lease failed: %s", rb.error ? rb.error->message : "");
  ck_assert_uint_eq (rb.number, 1);
  /* b released on its thread: the connection is free */
  ck_assert_uint_eq (number (repo, b), 0);
  ck_assert (blocking_lease (repo, c, NULL, &error));
  ck_assert_uint_eq (number (repo, c), 1);
  _mailsync_repository_release_folder (repo, c);
  g_clear_error (&rc.error);
}
END_TEST

/* ---- on the harness Dovecot ---------------------------------------------- */

static void
close_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapSlot *slot = task_data;

  mailsync_imap_connection_close (slot->connection);
  g_task_return_boolean (task, TRUE);
}

/* On the slot's worker (a connection is single-threaded): the connection
 * is lost as a dropped socket would lose it. */
static void
lose_connection (MailsyncRepository *repo, MailsyncFolder *folder)
{
  MailsyncImapSlot *slot = _mailsync_imap_repository_slot_of (MAILSYNC_IMAP_REPOSITORY (repo),
                                                              MAILSYNC_IMAP_FOLDER (folder));
  g_autoptr(GAsyncResult) result = NULL;
  GTask *task = g_task_new (repo, NULL, _mailsync_store_result, &result);

  g_task_set_task_data (task, slot, NULL);
  _mailsync_worker_run (slot->worker, task, close_job);
  g_object_unref (task);
  while (result == NULL)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  ck_assert (!mailsync_imap_connection_is_open (slot->connection));
}

static MailsyncImapConnection *
connection_of (MailsyncRepository *repo, MailsyncFolder *folder)
{
  return _mailsync_imap_repository_slot_of (MAILSYNC_IMAP_REPOSITORY (repo), MAILSYNC_IMAP_FOLDER (folder))->connection;
}

START_TEST (test_two_connections)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncRepository) repo = mailsync_test_server_imap_repository (&server, "lease");
  g_autoptr(MailsyncFolder) a = NULL;
  g_autoptr(MailsyncFolder) b = NULL;
  g_autoptr(GError) error = NULL;
  MailsyncImapConnection *kept;
  Lease la = { 0 }, lb = { 0 };
  guint64 since = mailsync_test_server_figure (&server, "offset", 0);

  g_main_context_push_thread_default (context);
  g_object_set (repo, "max-connections", 2u, NULL);
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "open: %s", error ? error->message : "");
  a = create (repo, "LeaseA");
  b = create (repo, "LeaseB");
  lease (repo, a, NULL, &la);
  lease (repo, b, NULL, &lb);
  wait_lease (context, &la);
  wait_lease (context, &lb);
  ck_assert (la.ok && lb.ok);
  ck_assert_uint_eq (number (repo, a), 1);
  ck_assert_uint_eq (number (repo, b), 2);
  /* b's connection is made by its first operation (the UIs' "connecting") */
  ck_assert (_mailsync_repository_folder_lease_connected (repo, a));
  ck_assert (!_mailsync_repository_folder_lease_connected (repo, b));
  list_ok (a);
  list_ok (b);
  ck_assert (_mailsync_repository_folder_lease_connected (repo, b));
  mailsync_test_server_wait_open (&server, since, 2);
  ck_assert (connection_of (repo, a) != connection_of (repo, b));

  /* b's connection is lost: its reopen replaces it, a's stays */
  kept = connection_of (repo, a);
  lose_connection (repo, b);
  ck_assert_msg (blocking_reopen (repo, b, NULL, &error), "reopen b: %s",
                 error ? error->message : "");
  ck_assert (mailsync_imap_connection_is_open (connection_of (repo, b)));
  ck_assert (connection_of (repo, a) == kept);
  ck_assert_uint_eq (number (repo, b), 2);
  list_ok (b);
  list_ok (a);
  mailsync_test_server_wait_open (&server, since, 2);
  /* a on the repository's own connection: the repository's reopen,
   * which finds it open and leaves it */
  ck_assert_msg (blocking_reopen (repo, a, NULL, &error), "reopen a: %s",
                 error ? error->message : "");
  ck_assert (connection_of (repo, a) == kept);
  ck_assert_uint_eq (_mailsync_repository_get_open_count (repo), 1);

  _mailsync_repository_release_folder (repo, a);
  _mailsync_repository_release_folder (repo, b);
  ck_assert_uint_eq (number (repo, a) + number (repo, b), 0);
  ck_assert_msg (mailsync_repository_close (repo, NULL, &error), "close: %s", error ? error->message : "");
  mailsync_test_server_wait_open (&server, since, 0);
  /* three sessions in all: a's, b's lost one, b's new one */
  ck_assert_uint_eq (mailsync_test_server_figure (&server, "sessions", since), 3);
  g_main_context_pop_thread_default (context);
}
END_TEST

/* IMAP<->IMAP: the local side is a mapped repository around an IMAP one;
 * its folders lease the inner's connections. */
START_TEST (test_mapped)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncRepository) inner = mailsync_test_server_imap_repository (&server, "leaseinner");
  g_autofree char *maps = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncRepository) repo = mailsync_mapped_repository_new (inner, maps);
  g_autoptr(MailsyncFolder) a = NULL;
  g_autoptr(MailsyncFolder) b = NULL;
  g_autoptr(GError) error = NULL;
  Lease la = { 0 }, lb = { 0 };
  guint64 since = mailsync_test_server_figure (&server, "offset", 0);

  g_main_context_push_thread_default (context);
  g_object_set (inner, "max-connections", 2u, NULL);
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "open: %s", error ? error->message : "");
  a = create (repo, "MapA");
  b = create (repo, "MapB");
  lease (repo, a, NULL, &la);
  lease (repo, b, NULL, &lb);
  wait_lease (context, &la);
  wait_lease (context, &lb);
  ck_assert (la.ok && lb.ok);
  ck_assert_uint_eq (number (repo, a), 1);
  ck_assert_uint_eq (number (repo, b), 2);
  ck_assert (!_mailsync_repository_folder_lease_connected (repo, b));
  list_ok (a);
  list_ok (b);
  ck_assert (_mailsync_repository_folder_lease_connected (repo, b));
  mailsync_test_server_wait_open (&server, since, 2);
  _mailsync_repository_release_folder (repo, a);
  _mailsync_repository_release_folder (repo, b);
  ck_assert_uint_eq (number (repo, a) + number (repo, b), 0);
  ck_assert_msg (mailsync_repository_close (repo, NULL, &error), "close: %s", error ? error->message : "");
  mailsync_test_server_wait_open (&server, since, 0);
  mailsync_test_rm_rf (maps);
  g_main_context_pop_thread_default (context);
}
END_TEST

/* IMAP<->IMAP: the engine's reconnect of the local side after its
 * connection dropped (a folder's reopen, the account's reopen of a
 * repository it holds) is no open of the inner repository: the one close
 * after them logs the inner out. */
START_TEST (test_mapped_reopen_closes)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncRepository) inner = mailsync_test_server_imap_repository (&server, "reopeninner");
  g_autofree char *maps = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncRepository) repo = mailsync_mapped_repository_new (inner, maps);
  g_autoptr(MailsyncFolder) a = NULL;
  g_autoptr(GError) error = NULL;
  guint64 since = mailsync_test_server_figure (&server, "offset", 0);

  g_main_context_push_thread_default (context);
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "open: %s", error ? error->message : "");
  ck_assert_uint_eq (_mailsync_repository_get_open_count (inner), 1);
  a = create (repo, "MapReopen");
  ck_assert_msg (blocking_lease (repo, a, NULL, &error), "lease: %s", error ? error->message : "");
  list_ok (a);
  mailsync_test_server_wait_open (&server, since, 1);

  /* the folder's connection drops: the engine reopens it */
  lose_connection (inner, MAILSYNC_MAPPED_FOLDER (a)->inner);
  ck_assert_msg (blocking_reopen (repo, a, NULL, &error), "reopen: %s", error ? error->message : "");
  list_ok (a);
  /* the account's reopen of a repository it holds (holdconnectionopen,
   * a server's limit at a CREATE) */
  ck_assert_msg (blocking_reopen (repo, NULL, NULL, &error), "reopen: %s", error ? error->message : "");
  ck_assert_uint_eq (_mailsync_repository_get_open_count (repo), 1);
  ck_assert_uint_eq (_mailsync_repository_get_open_count (inner), 1);
  mailsync_test_server_wait_open (&server, since, 1);

  _mailsync_repository_release_folder (repo, a);
  ck_assert_msg (mailsync_repository_close (repo, NULL, &error), "close: %s", error ? error->message : "");
  ck_assert_uint_eq (_mailsync_repository_get_open_count (inner), 0);
  /* nothing stays logged in */
  mailsync_test_server_wait_open (&server, since, 0);
  mailsync_test_rm_rf (maps);
  g_main_context_pop_thread_default (context);
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
  Suite *suite = suite_create ("repository-lease");
  TCase *tc;
  g_autofree char *base = NULL;
  gboolean have_dovecot, have_server = FALSE;
  int status;

  base = g_dir_make_tmp ("mailsync-lease-XXXXXX", NULL);
  g_assert (base != NULL);
  /* The harness wants every ancestor searchable by Dovecot's users. */
  g_chmod (base, 0755);
  have_dovecot = g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE);
  if (have_dovecot)
    have_server = mailsync_test_server_start (&server, "default", base);

  tc = tcase_create ("client");
  tcase_set_timeout (tc, 180);
  tcase_add_test (tc, test_client_base_maildir);
  tcase_add_test (tc, test_client_imap_waits_in_order);
  tcase_add_test (tc, test_client_imap_lease_from_threads);
  suite_add_tcase (suite, tc);
  tc = tcase_create ("imap");
  tcase_set_timeout (tc, 180);
  if (have_server)
    {
      tcase_add_test (tc, test_two_connections);
      tcase_add_test (tc, test_mapped);
      tcase_add_test (tc, test_mapped_reopen_closes);
    }
  else if (have_dovecot)
    tcase_add_test (tc, test_harness_started);
  else
    {
      mailsync_test_add_skipped_test (tc, test_two_connections, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_mapped, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_mapped_reopen_closes, MAILSYNC_TEST_NO_DOVECOT);
    }
  suite_add_tcase (suite, tc);
  status = mailsync_test_run (suite);
  if (have_server)
    mailsync_test_server_stop (&server);
  g_rmdir (base);
  return status;
}
