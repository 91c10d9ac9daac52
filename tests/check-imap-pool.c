/* The IMAP repository's connection pool (maxconnections, issue 13 item 5,
 * step 1 of doc/design.md's "maxconnections"): on the harness Dovecot,
 * two folders leased at once get two connections (Dovecot sees two
 * sessions, the second logged in only when its folder's first job runs),
 * both SELECTed at once, a third lease waits for a release and reuses the
 * released connection, the statistics count both connections, and close
 * logs every one out, a connection whose first job is still queued at
 * close too; with max-connections 1 a second lease waits (and a cancelled
 * wait ends). Without a server: a lease granted with its cancellable
 * cancelled is a success, and a disposed folder gives its slot back. Against a scripted server (a test of the
 * client: Dovecot cannot be told to say BYE to one session), a BYE on one
 * pooled connection fails only the folder leased on it, and its reconnect
 * replaces that connection only; a login left unanswered on one pooled
 * connection ends the sync's logins, not the connections logged in, and
 * the next sync's start ends it. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync.h"
#include "backends/imap/mailsync-imap-private.h"
#include "backends/imap/mailsync-imap-folder-private.h"
#include "backends/imap/mailsync-imap-repository-private.h"
#include "mailsync-private.h"
#include "mailsync-worker.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#define DEADLINE_S 60

static MailsyncTestServer server;

static guint64
harness_figure (const char *key, guint64 since)
{
  return mailsync_test_server_figure (&server, key, since);
}

static void
wait_open_sessions (guint64 since, guint64 open)
{
  mailsync_test_server_wait_open (&server, since, open);
}

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

  lease->ok = _mailsync_imap_repository_lease_finish (MAILSYNC_IMAP_REPOSITORY (source), result, &lease->error);
  lease->done = TRUE;
}

/* The lease's callback runs on the test's context: runs what is ready. */
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

static void
list_ok (MailsyncFolder *folder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = mailsync_folder_list_messages (folder, NULL, &error);

  ck_assert_msg (messages != NULL, "list %s: %s", mailsync_folder_get_name (folder), error ? error->message : "");
}

static MailsyncFolder *
create (MailsyncRepository *repo, const char *name)
{
  g_autoptr(GError) error = NULL;
  MailsyncFolder *folder = mailsync_repository_create_folder (repo, name, NULL, &error);

  ck_assert_msg (folder != NULL, "create %s: %s", name, error ? error->message : "");
  return folder;
}

static guint64
commands_sent (MailsyncRepository *repo)
{
  guint64 commands = 0;

  mailsync_imap_repository_get_stats (MAILSYNC_IMAP_REPOSITORY (repo), NULL, NULL, &commands);
  return commands;
}

START_TEST (test_two_connections)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncRepository) repo = mailsync_test_server_imap_repository (&server, "pool");
  MailsyncImapRepository *imap = MAILSYNC_IMAP_REPOSITORY (repo);
  g_autoptr(MailsyncFolder) a = NULL;
  g_autoptr(MailsyncFolder) b = NULL;
  g_autoptr(MailsyncFolder) c = NULL;
  g_autoptr(GError) error = NULL;
  Lease la = { 0 }, lb = { 0 }, lc = { 0 };
  guint64 since = harness_figure ("offset", 0);
  guint64 before_b;
  guint max = 0;

  g_main_context_push_thread_default (context);
  g_object_set (repo, "max-connections", 2u, NULL);
  g_object_get (repo, "max-connections", &max, NULL);
  ck_assert_uint_eq (max, 2);
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "open: %s", error ? error->message : "");
  a = create (repo, "PoolA");
  b = create (repo, "PoolB");
  c = create (repo, "PoolC");
  wait_open_sessions (since, 1);

  _mailsync_imap_repository_lease_async (imap, MAILSYNC_IMAP_FOLDER (a), NULL, leased, &la);
  _mailsync_imap_repository_lease_async (imap, MAILSYNC_IMAP_FOLDER (b), NULL, leased, &lb);
  _mailsync_imap_repository_lease_async (imap, MAILSYNC_IMAP_FOLDER (c), NULL, leased, &lc);
  wait_lease (context, &la);
  wait_lease (context, &lb);
  ck_assert (la.ok && lb.ok);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (a)), 1);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (b)), 2);
  /* a lease alone logs nothing in */
  ck_assert_uint_eq (harness_figure ("open", since), 1);

  list_ok (a);
  before_b = commands_sent (repo);
  list_ok (b);
  /* the second connection logged in for b's first job */
  wait_open_sessions (since, 2);
  /* both folders SELECTed at once, each on its own connection */
  ck_assert (_mailsync_imap_slot_get_selected (_mailsync_imap_repository_slot_of (imap, MAILSYNC_IMAP_FOLDER (a))) ==
             MAILSYNC_IMAP_FOLDER (a));
  ck_assert (_mailsync_imap_slot_get_selected (_mailsync_imap_repository_slot_of (imap, MAILSYNC_IMAP_FOLDER (b))) ==
             MAILSYNC_IMAP_FOLDER (b));
  ck_assert (_mailsync_imap_repository_slot_of (imap, MAILSYNC_IMAP_FOLDER (a))->connection !=
             _mailsync_imap_repository_slot_of (imap, MAILSYNC_IMAP_FOLDER (b))->connection);
  /* the statistics count the second connection's commands too */
  ck_assert_msg (commands_sent (repo) > before_b, "%" G_GUINT64_FORMAT " commands before b's listing, as many after",
                 before_b);

  /* the third waits for a release, and takes the released connection */
  run_ready (context);
  ck_assert (!lc.done);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (c)), 0);
  _mailsync_imap_repository_release (imap, MAILSYNC_IMAP_FOLDER (a));
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (a)), 0);
  wait_lease (context, &lc);
  ck_assert (lc.ok);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (c)), 1);
  list_ok (c);
  /* a folder without a lease runs on the repository's own connection */
  list_ok (a);
  ck_assert_uint_eq (harness_figure ("open", since), 2);

  _mailsync_imap_repository_release (imap, MAILSYNC_IMAP_FOLDER (b));
  _mailsync_imap_repository_release (imap, MAILSYNC_IMAP_FOLDER (c));
  before_b = commands_sent (repo);
  ck_assert_msg (mailsync_repository_close (repo, NULL, &error), "close: %s", error ? error->message : "");
  /* both logged out: two sessions in all, none open; the totals stay */
  wait_open_sessions (since, 0);
  ck_assert_uint_eq (harness_figure ("sessions", since), 2);
  ck_assert (commands_sent (repo) >= before_b);
  g_main_context_pop_thread_default (context);
}
END_TEST

START_TEST (test_one_connection)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncRepository) repo = mailsync_test_server_imap_repository (&server, "pool1");
  MailsyncImapRepository *imap = MAILSYNC_IMAP_REPOSITORY (repo);
  g_autoptr(MailsyncFolder) a = NULL;
  g_autoptr(MailsyncFolder) b = NULL;
  g_autoptr(MailsyncFolder) c = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Lease la = { 0 }, lb = { 0 }, lc = { 0 };
  guint64 since = harness_figure ("offset", 0);

  g_main_context_push_thread_default (context);
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "open: %s", error ? error->message : "");
  a = create (repo, "OneA");
  b = create (repo, "OneB");
  c = create (repo, "OneC");
  _mailsync_imap_repository_lease_async (imap, MAILSYNC_IMAP_FOLDER (a), NULL, leased, &la);
  _mailsync_imap_repository_lease_async (imap, MAILSYNC_IMAP_FOLDER (c), cancellable, leased, &lc);
  _mailsync_imap_repository_lease_async (imap, MAILSYNC_IMAP_FOLDER (b), NULL, leased, &lb);
  wait_lease (context, &la);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (a)), 1);
  list_ok (a);
  run_ready (context);
  ck_assert (!lb.done && !lc.done);
  /* a cancelled wait ends with the cancel, and is not handed a connection */
  g_cancellable_cancel (cancellable);
  wait_lease (context, &lc);
  ck_assert (!lc.ok);
  ck_assert (g_error_matches (lc.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&lc.error);
  _mailsync_imap_repository_release (imap, MAILSYNC_IMAP_FOLDER (a));
  wait_lease (context, &lb);
  ck_assert (lb.ok);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (b)), 1);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (c)), 0);
  list_ok (b);
  _mailsync_imap_repository_release (imap, MAILSYNC_IMAP_FOLDER (b));
  ck_assert_msg (mailsync_repository_close (repo, NULL, &error), "close: %s", error ? error->message : "");
  wait_open_sessions (since, 0);
  ck_assert_uint_eq (harness_figure ("sessions", since), 1);
  g_main_context_pop_thread_default (context);
}
END_TEST

/* A lease granted at once, or handed a released slot, is a success even
 * when its cancellable was cancelled first (before the fix, _finish said
 * CANCELLED and the slot stayed leased with nobody to release it: with
 * max-connections 1 every later lease waited for good); a folder disposed
 * while leasing gives its slot back. No server: a lease connects nothing. */
START_TEST (test_client_cancelled_lease)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncRepository) repo = mailsync_imap_repository_new ("nowhere", "127.0.0.1", 1);
  MailsyncImapRepository *imap = MAILSYNC_IMAP_REPOSITORY (repo);
  g_autoptr(MailsyncImapFolder) a = NULL;
  g_autoptr(MailsyncImapFolder) b = NULL;
  g_autoptr(MailsyncImapFolder) c = NULL;
  MailsyncImapFolder *d;
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autoptr(GCancellable) later = g_cancellable_new ();
  Lease la = { 0 }, lb = { 0 }, lc = { 0 }, ld = { 0 }, la2 = { 0 };

  g_main_context_push_thread_default (context);
  a = _mailsync_imap_folder_new (imap, "A", "A");
  b = _mailsync_imap_folder_new (imap, "B", "B");
  c = _mailsync_imap_folder_new (imap, "C", "C");
  d = _mailsync_imap_folder_new (imap, "D", "D");

  /* cancelled before the call, a free slot: granted */
  g_cancellable_cancel (cancelled);
  _mailsync_imap_repository_lease_async (imap, a, cancelled, leased, &la);
  wait_lease (context, &la);
  ck_assert_msg (la.ok, "a granted lease failed: %s", la.error ? la.error->message : "");
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, a), 1);

  /* waiting, cancelled, and handed the slot before the cancel is seen */
  _mailsync_imap_repository_lease_async (imap, c, later, leased, &lc);
  run_ready (context);
  ck_assert (!lc.done);
  g_cancellable_cancel (later);
  _mailsync_imap_repository_release (imap, a);
  wait_lease (context, &lc);
  ck_assert_msg (lc.ok, "a lease handed a slot failed: %s", lc.error ? lc.error->message : "");
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, c), 1);
  _mailsync_imap_repository_release (imap, c);

  /* the slot is free again: granted at once */
  _mailsync_imap_repository_lease_async (imap, b, NULL, leased, &lb);
  wait_lease (context, &lb);
  ck_assert (lb.ok);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, b), 1);
  _mailsync_imap_repository_release (imap, b);

  /* a folder gone while leasing gives its slot back */
  _mailsync_imap_repository_lease_async (imap, d, NULL, leased, &ld);
  wait_lease (context, &ld);
  ck_assert (ld.ok);
  g_object_unref (d);
  _mailsync_imap_repository_lease_async (imap, a, NULL, leased, &la2);
  run_ready (context);
  ck_assert_msg (la2.done, "the slot of a disposed folder was not given back");
  ck_assert (la2.ok);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, a), 1);
  _mailsync_imap_repository_release (imap, a);
  g_main_context_pop_thread_default (context);
}
END_TEST

static guint throttle_waits (MailsyncImapRepository *imap, MailsyncImapSlot *slot);

static void
spend (MailsyncImapRepository *imap, MailsyncImapSlot *slot)
{
  g_mutex_lock (&imap->pool_lock);
  slot->throttle_gave_up = g_error_new (MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED, "spent");
  g_mutex_unlock (&imap->pool_lock);
}

/* A connection whose budget for the server's limits is spent (the server
 * refuses it: its cap on connections per user) takes no lease while
 * another can still connect: the folders wait for the working one rather
 * than fail on the spent one; once every one is spent, a lease gets a
 * spent one (its folder fails at once, as with one connection). No
 * server: the budget is set spent by hand. */
START_TEST (test_client_spent_slot_skipped)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncRepository) repo = mailsync_imap_repository_new ("nowhere", "127.0.0.1", 1);
  MailsyncImapRepository *imap = MAILSYNC_IMAP_REPOSITORY (repo);
  g_autoptr(MailsyncImapFolder) a = NULL;
  g_autoptr(MailsyncImapFolder) b = NULL;
  g_autoptr(MailsyncImapFolder) c = NULL;
  MailsyncImapSlot *second;
  Lease la = { 0 }, lb = { 0 }, lc = { 0 }, la2 = { 0 }, lb2 = { 0 }, lc2 = { 0 };

  g_main_context_push_thread_default (context);
  g_object_set (repo, "max-connections", 2u, NULL);
  a = _mailsync_imap_folder_new (imap, "A", "A");
  b = _mailsync_imap_folder_new (imap, "B", "B");
  c = _mailsync_imap_folder_new (imap, "C", "C");
  _mailsync_imap_repository_lease_async (imap, a, NULL, leased, &la);
  _mailsync_imap_repository_lease_async (imap, b, NULL, leased, &lb);
  wait_lease (context, &la);
  wait_lease (context, &lb);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, b), 2);
  second = _mailsync_imap_repository_slot_of (imap, b);
  /* b's connection is refused for good: spent, and released with b */
  spend (imap, second);
  _mailsync_imap_repository_release (imap, b);
  /* c waits for a's connection rather than take the spent one */
  _mailsync_imap_repository_lease_async (imap, c, NULL, leased, &lc);
  run_ready (context);
  ck_assert_msg (!lc.done, "a lease took the spent connection while another works");
  _mailsync_imap_repository_release (imap, a);
  wait_lease (context, &lc);
  ck_assert (lc.ok);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, c), 1);
  /* a waits for c; c's connection is spent too, then released: every
   * one is spent, so a gets it (and b the other) */
  _mailsync_imap_repository_lease_async (imap, a, NULL, leased, &la2);
  run_ready (context);
  ck_assert (!la2.done);
  spend (imap, &imap->main);
  _mailsync_imap_repository_release (imap, c);
  wait_lease (context, &la2);
  ck_assert (la2.ok);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, a), 1);
  _mailsync_imap_repository_lease_async (imap, b, NULL, leased, &lb2);
  wait_lease (context, &lb2);
  ck_assert (lb2.ok);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, b), 2);
  _mailsync_imap_repository_release (imap, a);
  _mailsync_imap_repository_release (imap, b);
  /* the next sync (close) has its budgets back */
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
  ck_assert_uint_eq (throttle_waits (imap, second), 0);
  g_mutex_lock (&imap->pool_lock);
  ck_assert (second->throttle_gave_up == NULL && imap->main.throttle_gave_up == NULL);
  g_mutex_unlock (&imap->pool_lock);
  _mailsync_imap_repository_lease_async (imap, c, NULL, leased, &lc2);
  wait_lease (context, &lc2);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, c), 1);
  _mailsync_imap_repository_release (imap, c);
  g_main_context_pop_thread_default (context);
}
END_TEST

/* A listing that fails at its connection check (no server here) forgets
 * the known state the engine gave it, as one that ran does: a later
 * listing of the folder must not list from another status's messages
 * (flagcpu, session 16). */
START_TEST (test_client_failed_listing_forgets_known)
{
  g_autoptr(MailsyncRepository) repo = mailsync_imap_repository_new ("nowhere", "127.0.0.1", 1);
  MailsyncImapRepository *imap = MAILSYNC_IMAP_REPOSITORY (repo);
  g_autoptr(MailsyncImapFolder) folder = _mailsync_imap_folder_new (imap, "INBOX", "INBOX");
  g_autoptr(GHashTable) known = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;

  g_hash_table_insert (known, GUINT_TO_POINTER (1), g_strdup ("S"));
  g_object_set (folder, "known-messages", known, "known-state", "1 7 3", NULL);
  ck_assert (folder->known != NULL && folder->known_state != NULL);
  messages = mailsync_folder_list_messages (MAILSYNC_FOLDER (folder), NULL, &error);
  ck_assert_msg (messages == NULL && error != NULL, "a listing without a server did not fail");
  ck_assert_msg (folder->known == NULL && folder->known_state == NULL,
                 "the failed listing left the known state for the next one");
}
END_TEST

/* On b's slot's worker: holds it (so b's first job stays queued) until
 * the test says close() returned, or a few seconds (the fixed close
 * waits for this slot, so it cannot return first: the hold then ends on
 * its own and close() goes on, whatever the timing). */
static void
hold_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  gint *closed = task_data;
  gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  while (!g_atomic_int_get (closed) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_task_return_boolean (task, TRUE);
}

/* close() while a leased folder's first job (the one that logs its
 * connection in) is queued: that connection logs out too (before the fix
 * close looked only at the connections already made, and the session
 * logged in after close returned and stayed logged in). */
START_TEST (test_close_while_connecting)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncRepository) repo = mailsync_test_server_imap_repository (&server, "poolclose");
  MailsyncImapRepository *imap = MAILSYNC_IMAP_REPOSITORY (repo);
  g_autoptr(MailsyncFolder) a = NULL;
  g_autoptr(MailsyncFolder) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) held = NULL;
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GAsyncResult) closed_result = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GTask) hold = NULL;
  Lease la = { 0 }, lb = { 0 };
  guint64 since = harness_figure ("offset", 0);
  gint closed = 0;
  gint64 deadline;

  g_main_context_push_thread_default (context);
  g_object_set (repo, "max-connections", 2u, NULL);
  ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "open: %s", error ? error->message : "");
  a = create (repo, "CloseA");
  b = create (repo, "CloseB");
  wait_open_sessions (since, 1);
  _mailsync_imap_repository_lease_async (imap, MAILSYNC_IMAP_FOLDER (a), NULL, leased, &la);
  _mailsync_imap_repository_lease_async (imap, MAILSYNC_IMAP_FOLDER (b), NULL, leased, &lb);
  wait_lease (context, &la);
  wait_lease (context, &lb);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (b)), 2);
  ck_assert (_mailsync_imap_repository_slot_of (imap, MAILSYNC_IMAP_FOLDER (b))->connection == NULL);

  /* b's first job queued behind the hold, then close */
  hold = g_task_new (repo, NULL, _mailsync_store_result, &held);
  g_task_set_task_data (hold, &closed, NULL);
  _mailsync_worker_run (_mailsync_imap_repository_slot_of (imap, MAILSYNC_IMAP_FOLDER (b))->worker, hold, hold_job);
  mailsync_folder_list_messages_async (b, NULL, _mailsync_store_result, &listed);
  mailsync_repository_close_async (repo, NULL, _mailsync_store_result, &closed_result);
  deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  while ((closed_result == NULL || listed == NULL || held == NULL) && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (context, TRUE);
      if (closed_result != NULL)
        g_atomic_int_set (&closed, 1);
    }
  ck_assert_msg (closed_result != NULL && listed != NULL && held != NULL, "close or b's listing never ended");
  ck_assert_msg (mailsync_repository_close_finish (repo, closed_result, &error), "close: %s",
                 error ? error->message : "");
  /* the listing ran before the close's logout or not: either way */
  messages = mailsync_folder_list_messages_finish (b, listed, NULL);
  /* every session logged out, b's too */
  wait_open_sessions (since, 0);
  _mailsync_imap_repository_release (imap, MAILSYNC_IMAP_FOLDER (a));
  _mailsync_imap_repository_release (imap, MAILSYNC_IMAP_FOLDER (b));
  g_main_context_pop_thread_default (context);
}
END_TEST

/* The scripted server (tests/scripted_imap.py) answers the first SELECT
 * of "Bye" with a BYE and closes that session. */
static const char scripted[] =
  "import sys, scripted_imap\n"
  "s = scripted_imap.ScriptedImapServer(folders=('INBOX', 'Fine', 'Bye'))\n"
  "byes = []\n"
  "def hook(server, session, tag, verb, rest):\n"
  "    if verb in ('SELECT', 'EXAMINE') and 'Bye' in rest and not byes:\n"
  "        byes.append(session.number)\n"
  "        return scripted_imap.Reply('* BYE shutting down this session\\r\\n', close=True)\n"
  "    return None\n"
  "s.hook = hook\n"
  "print(s.port, flush=True)\n"
  "sys.stdin.read()\n";

static MailsyncFolder *
find_folder (GPtrArray *folders, const char *name)
{
  for (guint i = 0; i < folders->len; i++)
    if (strcmp (mailsync_folder_get_name (folders->pdata[i]), name) == 0)
      return g_object_ref (folders->pdata[i]);
  ck_abort_msg ("no folder %s", name);
  return NULL;
}

/* Starts the scripted server @script (python3 -c, tests/ on PYTHONPATH
 * for scripted_imap), which prints its port first, and returns a
 * repository on it: plain IMAP, max-connections 2. *@out reads what the
 * script prints after the port; closing *@process's stdin ends it. */
static MailsyncRepository *
start_scripted (const char *script, GSubprocess **process, GDataInputStream **out)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                      G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;
  MailsyncRepository *repo;

  g_subprocess_launcher_setenv (launcher, "PYTHONPATH", TEST_SRCDIR, TRUE);
  *process = g_subprocess_launcher_spawn (launcher, &error, "python3", "-c", script, NULL);
  ck_assert_msg (*process != NULL, "%s", error ? error->message : "");
  *out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (*process));
  port = g_data_input_stream_read_line (*out, NULL, NULL, &error);
  ck_assert_msg (port != NULL, "the scripted server gave no port: %s", error ? error->message : "");
  repo = mailsync_imap_repository_new ("scripted", "127.0.0.1", (guint16) atoi (port));
  g_object_set (repo, "ssl", FALSE, "starttls", FALSE, "user", "me", "password", "secret", "timeout", 120u,
                "max-connections", 2u, NULL);
  return repo;
}

/* What each scripted test starts from (scripted_start()), and frees when
 * it goes out of scope (g_auto: declared first, freed last, as the
 * context was). */
typedef struct
{
  GMainContext *context;
  GSubprocess *process;
  GDataInputStream *out;
  MailsyncRepository *repo;
  MailsyncImapRepository *imap;
  GPtrArray *folders;
  MailsyncFolder *a;
  MailsyncFolder *b;
  Lease la;
  Lease lb;
} Scripted;

static void
scripted_clear (Scripted *s)
{
  g_clear_object (&s->b);
  g_clear_object (&s->a);
  g_clear_pointer (&s->folders, g_ptr_array_unref);
  g_clear_object (&s->repo);
  g_clear_object (&s->out);
  g_clear_object (&s->process);
  g_clear_pointer (&s->context, g_main_context_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Scripted, scripted_clear)

/* The scripted server @script's repository on a context of the test's
 * own, opened (after a sync's start with @begin_sync), its folders
 * listed, folders @a and @b leased, in that order, and granted. */
static void
scripted_start (Scripted *s, const char *script, const char *a, const char *b, gboolean begin_sync)
{
  g_autoptr(GError) error = NULL;

  s->context = g_main_context_new ();
  g_main_context_push_thread_default (s->context);
  s->repo = start_scripted (script, &s->process, &s->out);
  s->imap = MAILSYNC_IMAP_REPOSITORY (s->repo);
  if (begin_sync)
    _mailsync_repository_begin_sync (s->repo);
  ck_assert_msg (mailsync_repository_open (s->repo, NULL, &error), "open: %s", error ? error->message : "");
  s->folders = mailsync_repository_list_folders (s->repo, NULL, &error);
  ck_assert_msg (s->folders != NULL, "list: %s", error ? error->message : "");
  s->a = find_folder (s->folders, a);
  s->b = find_folder (s->folders, b);
  _mailsync_imap_repository_lease_async (s->imap, MAILSYNC_IMAP_FOLDER (s->a), NULL, leased, &s->la);
  _mailsync_imap_repository_lease_async (s->imap, MAILSYNC_IMAP_FOLDER (s->b), NULL, leased, &s->lb);
  wait_lease (s->context, &s->la);
  wait_lease (s->context, &s->lb);
}

/* Ends the scripted server (its stdin closed: closing it again is no
 * error) and leaves the test's context. */
static void
scripted_end (Scripted *s)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (s->process), NULL, NULL);
  ck_assert (g_subprocess_wait (s->process, NULL, NULL));
  g_main_context_pop_thread_default (s->context);
}

START_TEST (test_client_bye_on_one_connection)
{
  g_auto(Scripted) s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lost = NULL;
  g_autoptr(GAsyncResult) reopened = NULL;
  MailsyncImapConnection *fine_connection;
  MailsyncImapRepository *imap;
  MailsyncFolder *fine, *bye;

  scripted_start (&s, scripted, "Fine", "Bye", FALSE);
  imap = s.imap;
  fine = s.a;
  bye = s.b;
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (fine)), 1);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (bye)), 2);

  list_ok (fine);
  lost = mailsync_folder_list_messages (bye, NULL, &error);
  ck_assert_msg (lost == NULL && error != NULL, "the SELECT answered by a BYE succeeded");
  g_clear_error (&error);
  /* the other folder's connection is untouched */
  list_ok (fine);
  ck_assert (mailsync_imap_connection_is_open (_mailsync_imap_repository_slot_of (imap,
                                                                                  MAILSYNC_IMAP_FOLDER (fine))->connection));
  ck_assert (!mailsync_imap_connection_is_open (_mailsync_imap_repository_slot_of (imap,
                                                                                   MAILSYNC_IMAP_FOLDER (bye))->connection));

  /* the reconnect replaces the leased connection only */
  fine_connection = _mailsync_imap_repository_slot_of (imap, MAILSYNC_IMAP_FOLDER (fine))->connection;
  _mailsync_imap_repository_reopen_leased_async (imap, MAILSYNC_IMAP_FOLDER (bye), NULL, _mailsync_store_result,
                                                 &reopened);
  while (reopened == NULL)
    g_main_context_iteration (s.context, TRUE);
  ck_assert_msg (_mailsync_imap_repository_reopen_leased_finish (imap, reopened, &error), "reopen: %s",
                 error ? error->message : "");
  ck_assert (mailsync_imap_connection_is_open (_mailsync_imap_repository_slot_of (imap,
                                                                                  MAILSYNC_IMAP_FOLDER (bye))->connection));
  ck_assert (_mailsync_imap_repository_slot_of (imap, MAILSYNC_IMAP_FOLDER (fine))->connection == fine_connection);
  list_ok (bye);
  list_ok (fine);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (imap, MAILSYNC_IMAP_FOLDER (bye)), 2);

  _mailsync_imap_repository_release (imap, MAILSYNC_IMAP_FOLDER (fine));
  _mailsync_imap_repository_release (imap, MAILSYNC_IMAP_FOLDER (bye));
  ck_assert_msg (mailsync_repository_close (s.repo, NULL, &error), "close: %s", error ? error->message : "");
  scripted_end (&s);
}
END_TEST

/* The scripted server refuses its second session at the greeting as a
 * server with a cap on connections does (BYE [UNAVAILABLE]). */
static const char scripted_cap[] =
  "import sys, scripted_imap\n"
  "s = scripted_imap.ScriptedImapServer(folders=('INBOX', 'A', 'B'))\n"
  "def hook(server, session, tag, verb, rest):\n"
  "    if verb == 'GREETING' and session.number == 2:\n"
  "        return scripted_imap.Reply('* BYE [UNAVAILABLE] Too many simultaneous connections\\r\\n', close=True)\n"
  "    return None\n"
  "s.hook = hook\n"
  "print(s.port, flush=True)\n"
  "sys.stdin.read()\n";

static guint
throttle_waits (MailsyncImapRepository *imap, MailsyncImapSlot *slot)
{
  guint waits;

  g_mutex_lock (&imap->pool_lock);
  waits = slot->throttle_waits;
  g_mutex_unlock (&imap->pool_lock);
  return waits;
}

static void
close_connection_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapSlot *slot = task_data;

  mailsync_imap_connection_close (slot->connection);
  g_task_return_boolean (task, TRUE);
}

/* Waits (iterating the test's context) until *@result is set. */
static gboolean
wait_result (GMainContext *context, GAsyncResult **result)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (*result == NULL && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (context, FALSE))
      g_usleep (5 * 1000);
  return *result != NULL;
}

/* A pooled connection waiting out the server's limit (a long wait: 2 to 4
 * minutes here) holds nothing the others need (review finding "connect_lock
 * held through long waits"): meanwhile the repository's own connection,
 * lost, reconnects and works, its budget untouched (the budget is each
 * connection's), and a close ends the wait at once. Before, the wait held
 * connect_lock: the reconnect and the close waited for it. */
START_TEST (test_client_throttled_slot_waits_alone)
{
  g_auto(Scripted) s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) listed_b = NULL;
  g_autoptr(GAsyncResult) lost = NULL;
  g_autoptr(GAsyncResult) reopened = NULL;
  g_autoptr(GAsyncResult) closed = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  MailsyncImapSlot *slot_b;
  GTask *task;
  gint64 deadline;

  g_setenv ("MAILSYNC_TEST_THROTTLE_BASE_MS", "240000", TRUE);
  scripted_start (&s, scripted_cap, "A", "B", FALSE);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (s.imap, MAILSYNC_IMAP_FOLDER (s.b)), 2);
  slot_b = _mailsync_imap_repository_slot_of (s.imap, MAILSYNC_IMAP_FOLDER (s.b));

  /* b's first job connects: refused at the greeting, it waits */
  mailsync_folder_list_messages_async (s.b, NULL, _mailsync_store_result, &listed_b);
  deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  while (throttle_waits (s.imap, slot_b) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  ck_assert_uint_eq (throttle_waits (s.imap, slot_b), 1);

  /* main's connection is lost, and reconnects while b waits */
  task = g_task_new (s.repo, NULL, _mailsync_store_result, &lost);
  g_task_set_task_data (task, &s.imap->main, NULL);
  _mailsync_worker_run (s.imap->main.worker, task, close_connection_job);
  g_object_unref (task);
  ck_assert (wait_result (s.context, &lost));
  _mailsync_repository_reopen_folder_async (s.repo, s.a, NULL, _mailsync_store_result, &reopened);
  ck_assert_msg (wait_result (s.context, &reopened), "the reconnect waited for the throttled connection");
  ck_assert_msg (_mailsync_repository_reopen_folder_finish (s.repo, reopened, &error), "reopen: %s",
                 error ? error->message : "");
  list_ok (s.a);
  ck_assert_msg (listed_b == NULL, "b's wait ended early");
  /* the budgets are each connection's */
  ck_assert_uint_eq (throttle_waits (s.imap, &s.imap->main), 0);
  ck_assert_uint_eq (throttle_waits (s.imap, slot_b), 1);

  /* the close ends b's wait, and b's listing fails with it */
  _mailsync_imap_repository_release (s.imap, MAILSYNC_IMAP_FOLDER (s.a));
  mailsync_repository_close_async (s.repo, NULL, _mailsync_store_result, &closed);
  ck_assert_msg (wait_result (s.context, &closed), "the close waited for the throttled connection");
  ck_assert_msg (mailsync_repository_close_finish (s.repo, closed, &error), "close: %s", error ? error->message : "");
  ck_assert (wait_result (s.context, &listed_b));
  messages = mailsync_folder_list_messages_finish (s.b, listed_b, &error);
  ck_assert_msg (messages == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED), "b's listing: %s",
                 error ? error->message : "succeeded");
  g_clear_error (&error);
  /* a new sync has a new budget */
  ck_assert_uint_eq (throttle_waits (s.imap, slot_b), 0);
  _mailsync_imap_repository_release (s.imap, MAILSYNC_IMAP_FOLDER (s.b));
  scripted_end (&s);
}
END_TEST

/* The scripted server closes the second session once it has read its
 * login (SASL-IR: the password on the wire, in one line), and says on
 * stdout which session read a login. */
static const char scripted_unanswered[] =
  "import sys, scripted_imap\n"
  "s = scripted_imap.ScriptedImapServer(folders=('INBOX', 'A', 'B'))\n"
  "s.CAPABILITIES = 'IMAP4rev1 UIDPLUS NAMESPACE SASL-IR'\n"
  "s.greeting = '* OK [CAPABILITY IMAP4rev1 UIDPLUS NAMESPACE SASL-IR AUTH=PLAIN] ready\\r\\n'\n"
  "def hook(server, session, tag, verb, rest):\n"
  "    if verb in ('LOGIN', 'AUTHENTICATE'):\n"
  "        print('login %d' % session.number, flush=True)\n"
  "        if session.number == 2:\n"
  "            return scripted_imap.Close()\n"
  "    return None\n"
  "s.hook = hook\n"
  "print(s.port, flush=True)\n"
  "sys.stdin.read()\n";

/* max-connections 2: b's connection is closed with its login written and
 * unanswered. b fails, and no connection of the sync is made again: b's
 * reopen is refused at once. a's connection, logged in before, goes on
 * working (review22 M2: every job of every slot failed with the record).
 * The next sync's start (_mailsync_repository_begin_sync, the account's
 * open, also after an open that failed) lets b log in again (review22
 * H1: only a close did). @shared: the second start is another account's
 * sync on the repository while the first still runs (no end between):
 * it leaves the record alone, b's reopen is still refused (review24 M-A:
 * it wiped it, and b logged in again). */
static void
unanswered_login_one_slot (gboolean shared)
{
  g_auto(Scripted) s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lost = NULL;
  g_autoptr(GAsyncResult) refused = NULL;
  g_autoptr(GAsyncResult) reopened = NULL;
  char *line;
  guint logins = 0;

  scripted_start (&s, scripted_unanswered, "A", "B", TRUE);
  ck_assert_uint_eq (_mailsync_imap_repository_lease_number (s.imap, MAILSYNC_IMAP_FOLDER (s.b)), 2);
  list_ok (s.a);

  /* b's first job connects: its login is written, the server closes */
  lost = mailsync_folder_list_messages (s.b, NULL, &error);
  ck_assert_msg (lost == NULL && g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED),
                 "b's listing: %s", error ? error->message : "succeeded");
  g_clear_error (&error);
  /* a's connection, logged in, goes on */
  list_ok (s.a);
  list_ok (s.a);
  /* no connection is made again this sync */
  _mailsync_imap_repository_reopen_leased_async (s.imap, MAILSYNC_IMAP_FOLDER (s.b), NULL, _mailsync_store_result,
                                                 &refused);
  ck_assert (wait_result (s.context, &refused));
  ck_assert_msg (!_mailsync_imap_repository_reopen_leased_finish (s.imap, refused, &error) &&
                 g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED),
                 "b's reopen in the same sync: %s", error ? error->message : "succeeded");
  g_clear_error (&error);
  list_ok (s.a);

  /* the next sync, without a close between (a held repository, or an
   * open that failed): b logs in again; or another sync that starts
   * while this one runs: b's reopen is still refused */
  if (!shared)
    _mailsync_repository_end_sync (s.repo);
  _mailsync_repository_begin_sync (s.repo);
  _mailsync_imap_repository_reopen_leased_async (s.imap, MAILSYNC_IMAP_FOLDER (s.b), NULL, _mailsync_store_result,
                                                 &reopened);
  ck_assert (wait_result (s.context, &reopened));
  if (shared)
    {
      ck_assert_msg (!_mailsync_imap_repository_reopen_leased_finish (s.imap, reopened, &error) &&
                     g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED),
                     "b's reopen while the first sync runs: %s", error ? error->message : "succeeded");
      g_clear_error (&error);
      _mailsync_repository_end_sync (s.repo);
    }
  else
    {
      ck_assert_msg (_mailsync_imap_repository_reopen_leased_finish (s.imap, reopened, &error), "b's reopen: %s",
                     error ? error->message : "");
      list_ok (s.b);
    }
  list_ok (s.a);
  _mailsync_repository_end_sync (s.repo);

  _mailsync_imap_repository_release (s.imap, MAILSYNC_IMAP_FOLDER (s.a));
  _mailsync_imap_repository_release (s.imap, MAILSYNC_IMAP_FOLDER (s.b));
  ck_assert_msg (mailsync_repository_close (s.repo, NULL, &error), "close: %s", error ? error->message : "");
  g_output_stream_close (g_subprocess_get_stdin_pipe (s.process), NULL, NULL);
  /* the server's logins: a's, b's closed one, b's after the new start
   * (not after a start while the first sync runs) */
  while ((line = g_data_input_stream_read_line (s.out, NULL, NULL, NULL)) != NULL)
    {
      logins += g_str_has_prefix (line, "login ");
      g_free (line);
    }
  ck_assert_uint_eq (logins, shared ? 2 : 3);
  scripted_end (&s);
}

START_TEST (test_client_unanswered_login_one_slot)
{
  unanswered_login_one_slot (FALSE);
}
END_TEST

START_TEST (test_client_unanswered_login_shared_sync)
{
  unanswered_login_one_slot (TRUE);
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
  Suite *suite = suite_create ("imap-pool");
  TCase *tc;
  g_autofree char *base = NULL;
  gboolean have_dovecot, have_server = FALSE;
  int status;

  base = g_dir_make_tmp ("mailsync-imap-pool-XXXXXX", NULL);
  g_assert (base != NULL);
  /* The harness wants every ancestor searchable by Dovecot's users. */
  g_chmod (base, 0755);
  have_dovecot = g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE);
  if (have_dovecot)
    have_server = mailsync_test_server_start (&server, "default", base);

  tc = tcase_create ("client");
  tcase_set_timeout (tc, 180);
  tcase_add_test (tc, test_client_bye_on_one_connection);
  tcase_add_test (tc, test_client_cancelled_lease);
  mailsync_test_add_hooks_test (tc, test_client_throttled_slot_waits_alone);
  tcase_add_test (tc, test_client_unanswered_login_one_slot);
  tcase_add_test (tc, test_client_unanswered_login_shared_sync);
  tcase_add_test (tc, test_client_spent_slot_skipped);
  tcase_add_test (tc, test_client_failed_listing_forgets_known);
  suite_add_tcase (suite, tc);
  tc = tcase_create ("imap");
  tcase_set_timeout (tc, 180);
  if (have_server)
    {
      tcase_add_test (tc, test_two_connections);
      tcase_add_test (tc, test_one_connection);
      tcase_add_test (tc, test_close_while_connecting);
    }
  else if (have_dovecot)
    tcase_add_test (tc, test_harness_started);
  else
    {
      mailsync_test_add_skipped_test (tc, test_two_connections, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_one_connection, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_close_while_connecting, MAILSYNC_TEST_NO_DOVECOT);
    }
  suite_add_tcase (suite, tc);
  status = mailsync_test_run (suite);
  if (have_server)
    mailsync_test_server_stop (&server);
  g_rmdir (base);
  return status;
}
