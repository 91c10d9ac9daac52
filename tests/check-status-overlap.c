/* The status stores lock per folder (issue 13 items 2/5): two threads
 * committing to two folders of one store are inside their commits, up to
 * the fsync that is the commit point, at the same time; two threads
 * committing to one folder still take turns. Both stores.
 *
 * The library's test hook MAILSYNC_TEST_STATUS_HOLD=<seconds>
 * (_mailsync_status_test_hold(), configure --enable-test-hooks) holds the
 * first commit to reach its fsync until a commit of another folder has
 * reached its own (the two overlap), or one of the same folder found the
 * folder's lock taken; it fails that commit after <seconds>, and fails a
 * commit that reaches its fsync while one of its own folder is there.
 * With one store-wide lock (before) the second commit waited for the
 * first's lock, and the first failed after the deadline. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"
#include "status/mailsync-status-base.h"

#include <string.h>

/* Generous: only a failing run waits this long. */
#define HOLD_SECONDS "60"

static char *tmpdir;

static void
setup (void)
{
  tmpdir = mailsync_test_mkdtemp ();
}

static void
teardown (void)
{
  g_unsetenv ("MAILSYNC_TEST_STATUS_HOLD");
  mailsync_test_rm_rf (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

typedef struct
{
  MailsyncStatusStore *store;
  const char *folder;
  guint32 uid;
  GError *error;
} Committer;

static gpointer
commit_thread (gpointer data)
{
  Committer *c = data;
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();

  mailsync_status_batch_put (batch, c->uid, "S", 0, "");
  return GINT_TO_POINTER (mailsync_status_store_commit (c->store, c->folder, batch, NULL, &c->error));
}

static void
commit_ok (MailsyncStatusStore *store,
           const char          *folder,
           guint32              uid)
{
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GError) error = NULL;

  mailsync_status_batch_put (batch, uid, "S", 0, "");
  ck_assert_msg (mailsync_status_store_commit (store, folder, batch, NULL, &error),
                 "commit to %s: %s", folder, error ? error->message : "?");
}

static guint
n_rows (MailsyncStatusStore *store,
        const char          *folder)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert_msg (mailsync_status_store_load (store, folder, &records, NULL, NULL, &error),
                 "load %s: %s", folder, error ? error->message : "?");
  return records->len;
}

/* Two threads commit one batch each, to @folder_a and @folder_b, under
 * the hold; both must succeed. */
static void
commit_pair (MailsyncStatusStore *(*new_store) (const char *directory),
             const char           *folder_a,
             const char           *folder_b)
{
  g_autofree char *dir = g_build_filename (tmpdir, "Account-X", "LocalStatus", NULL);
  g_autoptr(MailsyncStatusStore) store = new_store (dir);
  Committer c[2] = {
    { store, folder_a, 11, NULL },
    { store, folder_b, 12, NULL },
  };
  GThread *threads[2];
  gboolean ok[2];

  /* the files exist and were read before the hold: the pair's commits
   * are appends to what is there, as in a sync */
  commit_ok (store, folder_a, 1);
  commit_ok (store, folder_b, 2);
  n_rows (store, folder_a);
  n_rows (store, folder_b);

  g_setenv ("MAILSYNC_TEST_STATUS_HOLD", HOLD_SECONDS, TRUE);
  for (guint i = 0; i < 2; i++)
    threads[i] = g_thread_new ("committer", commit_thread, &c[i]);
  for (guint i = 0; i < 2; i++)
    ok[i] = GPOINTER_TO_INT (g_thread_join (threads[i]));
  g_unsetenv ("MAILSYNC_TEST_STATUS_HOLD");
  for (guint i = 0; i < 2; i++)
    {
      ck_assert_msg (ok[i], "commit to %s: %s", c[i].folder, c[i].error ? c[i].error->message : "?");
      ck_assert_ptr_null (c[i].error);
    }

  /* both batches are there, read back by a fresh store */
  g_clear_object (&store);
  store = new_store (dir);
  if (strcmp (folder_a, folder_b) == 0)
    ck_assert_uint_eq (n_rows (store, folder_a), 4);
  else
    {
      ck_assert_uint_eq (n_rows (store, folder_a), 2);
      ck_assert_uint_eq (n_rows (store, folder_b), 2);
    }
}

static MailsyncStatusStore *
plain_new (const char *directory)
{
  return mailsync_status_plain_new (directory);
}

static MailsyncStatusStore *
sqlite_new (const char *directory)
{
  return mailsync_status_sqlite_new (directory);
}

START_TEST (test_plain_two_folders_overlap)
{
  commit_pair (plain_new, "INBOX", "Work");
}
END_TEST

START_TEST (test_plain_one_folder_serialises)
{
  commit_pair (plain_new, "INBOX", "INBOX");
}
END_TEST

START_TEST (test_sqlite_two_folders_overlap)
{
  commit_pair (sqlite_new, "INBOX", "Work");
}
END_TEST

START_TEST (test_sqlite_one_folder_serialises)
{
  commit_pair (sqlite_new, "INBOX", "INBOX");
}
END_TEST

/* Many threads, three folders, every operation but purge: commits,
 * loads and releases (a release frees a folder's handle or rows under
 * its lock while others wait for it) interleave; every commit is read
 * back by its own thread's next load, and all are there at the end. For
 * ASan: a handle freed under a thread still using it shows here. */
#define MIXED_THREADS 4
#define MIXED_ROUNDS 24
static const char *const mixed_folders[] = { "A", "B", "C" };

typedef struct
{
  MailsyncStatusStore *store;
  guint index;
  char *failure;
} Mixer;

static gpointer
mixed_thread (gpointer data)
{
  Mixer *m = data;

  for (guint i = 0; i < MIXED_ROUNDS && m->failure == NULL; i++)
    {
      const char *folder = mixed_folders[(m->index + i) % G_N_ELEMENTS (mixed_folders)];
      guint32 uid = m->index * 1000 + i + 1;
      g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
      g_autoptr(GPtrArray) records = NULL;
      g_autoptr(GError) error = NULL;
      gboolean found = FALSE;

      mailsync_status_batch_put (batch, uid, "S", 0, "");
      if (!mailsync_status_store_commit (m->store, folder, batch, NULL, &error) ||
          !mailsync_status_store_load (m->store, folder, &records, NULL, NULL, &error))
        {
          m->failure = g_strdup_printf ("%s: %s", folder, error->message);
          break;
        }
      for (guint j = 0; j < records->len; j++)
        found = found || ((MailsyncStatusRecord *) records->pdata[j])->uid == uid;
      if (!found)
        m->failure = g_strdup_printf ("%s: UID %u committed, not loaded", folder, uid);
      if (i % 3 == 2)
        _mailsync_status_store_release (m->store, folder);
    }
  return NULL;
}

static void
mixed (MailsyncStatusStore *(*new_store) (const char *directory))
{
  g_autofree char *dir = g_build_filename (tmpdir, "Account-X", "LocalStatus", NULL);
  g_autoptr(MailsyncStatusStore) store = new_store (dir);
  Mixer m[MIXED_THREADS];
  GThread *threads[MIXED_THREADS];
  guint total = 0;

  for (guint i = 0; i < MIXED_THREADS; i++)
    {
      m[i] = (Mixer) { store, i, NULL };
      threads[i] = g_thread_new ("mixer", mixed_thread, &m[i]);
    }
  for (guint i = 0; i < MIXED_THREADS; i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < MIXED_THREADS; i++)
    {
      ck_assert_msg (m[i].failure == NULL, "thread %u: %s", i, m[i].failure);
      g_free (m[i].failure);
    }
  g_clear_object (&store);
  store = new_store (dir);
  for (guint i = 0; i < G_N_ELEMENTS (mixed_folders); i++)
    total += n_rows (store, mixed_folders[i]);
  ck_assert_uint_eq (total, MIXED_THREADS * MIXED_ROUNDS);
}

START_TEST (test_plain_mixed)
{
  mixed (plain_new);
}
END_TEST

START_TEST (test_sqlite_mixed)
{
  mixed (sqlite_new);
}
END_TEST

static Suite *
status_overlap_suite (void)
{
  Suite *s = suite_create ("status-overlap");
  TCase *tc = tcase_create ("overlap");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 240);
  /* MAILSYNC_TEST_STATUS_HOLD: a test hook */
  mailsync_test_add_hooks_test (tc, test_plain_two_folders_overlap);
  mailsync_test_add_hooks_test (tc, test_plain_one_folder_serialises);
  mailsync_test_add_hooks_test (tc, test_sqlite_two_folders_overlap);
  mailsync_test_add_hooks_test (tc, test_sqlite_one_folder_serialises);
  tcase_add_test (tc, test_plain_mixed);
  tcase_add_test (tc, test_sqlite_mixed);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (status_overlap_suite ());
}
