/* The status-store contract cases: see status-contract.h for what they
 * cover and how to run them against a store. Each case is a loop test over
 * the index of its store in the suite's array. */
#include "config.h"

#include "status-contract.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

static const MailsyncStatusContractStore * const *stores;
static char *tmpdir;

static void
setup (void)
{
  tmpdir = mailsync_test_mkdtemp ();
}

static void
teardown (void)
{
  mailsync_test_rm_rf (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* The directory a store of the case works in; missing until a commit. */
static char *
status_dir (void)
{
  return g_build_filename (tmpdir, "Account-X", "status", NULL);
}

static MailsyncStatusStore *
new_store (int i)
{
  g_autofree char *dir = status_dir ();
  MailsyncStatusStore *store = stores[i]->new_store (dir);

  ck_assert_msg (MAILSYNC_IS_STATUS_STORE (store), "%s: new_store() gave no store", stores[i]->name);
  return store;
}

void
status_load_ok (MailsyncStatusStore  *store,
                const char           *folder,
                GPtrArray           **records,
                GHashTable          **meta)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (mailsync_status_store_load (store, folder, records, meta, NULL, &error),
                 "load %s: %s", folder, error ? error->message : "?");
}

void
status_commit_ok (MailsyncStatusStore *store,
                  const char          *folder,
                  MailsyncStatusBatch *batch)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (mailsync_status_store_commit (store, folder, batch, NULL, &error),
                 "commit %s: %s", folder, error ? error->message : "?");
}

static void
commit_put (MailsyncStatusStore *store,
            const char          *folder,
            guint32              uid,
            const char          *flags)
{
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();

  mailsync_status_batch_put (batch, uid, flags, 0, "");
  status_commit_ok (store, folder, batch);
}

void
status_assert_record (GPtrArray  *records,
                      guint       index,
                      guint32     uid,
                      const char *flags,
                      gint64      mtime,
                      const char *labels)
{
  const MailsyncStatusRecord *r;

  ck_assert_uint_lt (index, records->len);
  r = records->pdata[index];
  ck_assert_uint_eq (r->uid, uid);
  ck_assert_str_eq (r->flags, flags);
  ck_assert_int_eq (r->mtime, mtime);
  ck_assert_str_eq (r->labels, labels);
}

/* The rows as "uid|flags|mtime|labels;..." and the meta entries as
 * "key=value;..." (sorted), for compact comparisons. */
static char *
load_string (MailsyncStatusStore *store,
             const char          *folder)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GList) keys = NULL;
  GString *s = g_string_new (NULL);
  guint i;

  status_load_ok (store, folder, &records, &meta);
  for (i = 0; i < records->len; i++)
    {
      const MailsyncStatusRecord *r = records->pdata[i];

      g_string_append_printf (s, "%s%u|%s|%" G_GINT64_FORMAT "|%s", i ? ";" : "",
                              r->uid, r->flags, r->mtime, r->labels);
    }
  keys = g_list_sort (g_hash_table_get_keys (meta), (GCompareFunc) strcmp);
  g_string_append (s, " meta:");
  for (GList *l = keys; l != NULL; l = l->next)
    g_string_append_printf (s, "%s%s=%s", l == keys ? "" : ";", (char *) l->data,
                            (char *) g_hash_table_lookup (meta, l->data));
  return g_string_free (s, FALSE);
}

/* What a new store object (another process, the next run) loads. */
static char *
reload_string (int         i,
               const char *folder)
{
  g_autoptr(MailsyncStatusStore) store = new_store (i);

  return load_string (store, folder);
}

START_TEST (test_fresh_folder_creates_nothing)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autoptr(MailsyncStatusBatch) empty = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autofree char *dir = status_dir ();

  status_load_ok (store, "INBOX", &records, &meta);
  ck_assert_uint_eq (records->len, 0);
  ck_assert_uint_eq (g_hash_table_size (meta), 0);
  /* Both out arguments are optional. */
  status_load_ok (store, "INBOX", NULL, NULL);
  /* An empty batch is no change: nothing to write. */
  status_commit_ok (store, "INBOX", empty);
  ck_assert (!g_file_test (dir, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST (test_create_and_paths)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autofree char *dir = status_dir ();
  g_autofree char *path = mailsync_status_store_get_path (store, "INBOX/Sub");
  g_autofree char *root = mailsync_status_store_get_path (store, "");
  g_autofree char *expected = g_build_filename (dir, "INBOX.Sub", NULL);
  g_autofree char *expected_root = g_build_filename (dir, "dot", NULL);
  g_autofree char *s = NULL;
  struct stat st;

  /* offlineimap's file names, in the store's directory. */
  ck_assert_str_eq (path, expected);
  ck_assert_str_eq (root, expected_root);

  commit_put (store, "INBOX/Sub", 1, "S");
  ck_assert_int_eq (g_stat (dir, &st), 0);
  ck_assert_int_eq (st.st_mode & 0777, 0700);
  /* The root folder "" is a folder like any other. */
  commit_put (store, "", 2, "F");
  s = reload_string (_i, "");
  ck_assert_str_eq (s, "2|F|0| meta:");
  g_free (s);
  s = reload_string (_i, "INBOX/Sub");
  ck_assert_str_eq (s, "1|S|0| meta:");
}
END_TEST

/* Rows, flags, labels and mtime, meta entries, across two batches and a
 * new store object. */
START_TEST (test_round_trip)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autoptr(MailsyncStatusStore) again = NULL;
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(MailsyncStatusBatch) batch2 = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;

  mailsync_status_batch_put (batch, 3, "FS", 0, "");
  mailsync_status_batch_put (batch, 1, "S", 0, NULL);
  mailsync_status_batch_put (batch, 2, "", 1446590057, "\\Inbox, work|x");
  mailsync_status_batch_set_meta (batch, "mailsync.uidvalidity.remote", "1234");
  mailsync_status_batch_set_meta (batch, "mailsync.intent.abc", "upload 7");
  /* Characters the line formats use must survive. */
  mailsync_status_batch_set_meta (batch, "odd key=%", "a b\nc=d%41");
  status_commit_ok (store, "INBOX/Sub", batch);

  mailsync_status_batch_remove (batch2, 3);
  mailsync_status_batch_put (batch2, 1, "RS", 0, "");
  mailsync_status_batch_set_meta (batch2, "mailsync.intent.abc", NULL);
  status_commit_ok (store, "INBOX/Sub", batch2);

  /* A new object reads what the first one wrote. */
  again = new_store (_i);
  status_load_ok (again, "INBOX/Sub", &records, &meta);
  ck_assert_uint_eq (records->len, 2);
  status_assert_record (records, 0, 1, "RS", 0, "");
  status_assert_record (records, 1, 2, "", 1446590057, "\\Inbox, work|x");
  ck_assert_uint_eq (g_hash_table_size (meta), 2);
  ck_assert_str_eq (g_hash_table_lookup (meta, "mailsync.uidvalidity.remote"), "1234");
  ck_assert_str_eq (g_hash_table_lookup (meta, "odd key=%"), "a b\nc=d%41");
}
END_TEST

/* A batch applies in order: a PUT replaces the row, a REMOVE of a UID
 * that has none is no error, and a later change of the same UID wins. */
START_TEST (test_batch_order)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autofree char *s = NULL;

  commit_put (store, "INBOX", 5, "S");
  mailsync_status_batch_put (batch, 5, "FS", 7, "a");
  mailsync_status_batch_remove (batch, 6);
  mailsync_status_batch_put (batch, 6, "", 0, "");
  mailsync_status_batch_remove (batch, 6);
  mailsync_status_batch_put (batch, 4294967295u, "T", -1, "");
  mailsync_status_batch_set_meta (batch, "k", "1");
  mailsync_status_batch_set_meta (batch, "k", "2");
  mailsync_status_batch_set_meta (batch, "gone", "x");
  mailsync_status_batch_set_meta (batch, "gone", NULL);
  mailsync_status_batch_set_meta (batch, "never", NULL);
  status_commit_ok (store, "INBOX", batch);

  s = load_string (store, "INBOX");
  ck_assert_str_eq (s, "5|FS|7|a;4294967295|T|-1| meta:k=2");
  g_free (s);
  s = reload_string (_i, "INBOX");
  ck_assert_str_eq (s, "5|FS|7|a;4294967295|T|-1| meta:k=2");
}
END_TEST

/* Keywords ride in the flags column as lowercase letters (or in the
 * labels column), and the engine keeps a stamp of them in a meta entry
 * (sync/mailsync-sync-state.c): all three must come back as written. */
START_TEST (test_keywords_stamp)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autoptr(MailsyncStatusBatch) b1 = mailsync_status_batch_new ();
  g_autoptr(MailsyncStatusBatch) b2 = mailsync_status_batch_new ();
  g_autoptr(MailsyncStatusBatch) b3 = mailsync_status_batch_new ();
  g_autofree char *s = NULL;

  mailsync_status_batch_put (b1, 1, "FSab", 0, "");
  mailsync_status_batch_put (b2, 2, "Sc", 0, "$Forwarded, Junk");
  mailsync_status_batch_set_meta (b1, "mailsync.uidvalidity.remote", "9");
  mailsync_status_batch_set_meta (b1, "mailsync.keywords-stamp", "1 1 0123456789abcdef");
  status_commit_ok (store, "INBOX", b1);
  mailsync_status_batch_set_meta (b2, "mailsync.keywords-stamp", "1 2 fedcba9876543210");
  status_commit_ok (store, "INBOX", b2);
  s = reload_string (_i, "INBOX");
  ck_assert_str_eq (s, "1|FSab|0|;2|Sc|0|$Forwarded, Junk meta:"
                    "mailsync.keywords-stamp=1 2 fedcba9876543210;mailsync.uidvalidity.remote=9");
  g_free (s);

  /* No keyword left: the stamp goes, the other entries stay. */
  mailsync_status_batch_put (b3, 1, "FS", 0, "");
  mailsync_status_batch_put (b3, 2, "S", 0, "");
  mailsync_status_batch_set_meta (b3, "mailsync.keywords-stamp", NULL);
  status_commit_ok (store, "INBOX", b3);
  s = reload_string (_i, "INBOX");
  ck_assert_str_eq (s, "1|FS|0|;2|S|0| meta:mailsync.uidvalidity.remote=9");
}
END_TEST

/* A commit is durable when it returns: another store object sees it at
 * once, with the first one still open, and so does the next process
 * after one that exits without closing anything. */
START_TEST (test_durable_at_return)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autofree char *s = NULL;
  int status = 0;
  pid_t pid;
  guint32 uid;

  for (uid = 1; uid <= 3; uid++)
    {
      g_autofree char *got = NULL;
      g_autofree char *want = NULL;

      commit_put (store, "INBOX", uid, "S");
      got = reload_string (_i, "INBOX");
      want = g_strdup_printf ("%s%u|S|0| meta:", uid == 1 ? "" : uid == 2 ? "1|S|0|;" : "1|S|0|;2|S|0|;",
                              uid);
      ck_assert_str_eq (got, want);
    }

  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      /* Neither store nor batch is freed: _exit() right after. */
      MailsyncStatusStore *child = new_store (_i);
      MailsyncStatusBatch *b = mailsync_status_batch_new ();

      mailsync_status_batch_put (b, 9, "FS", 0, "");
      mailsync_status_batch_remove (b, 1);
      mailsync_status_batch_set_meta (b, "k", "v");
      _exit (mailsync_status_store_commit (child, "INBOX", b, NULL, NULL) ? 0 : 1);
    }
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  ck_assert_int_eq (WEXITSTATUS (status), 0);
  s = reload_string (_i, "INBOX");
  ck_assert_str_eq (s, "2|S|0|;3|S|0|;9|FS|0| meta:k=v");
}
END_TEST

/* A store may commit to a folder it never loaded (a new process whose
 * first act is a commit): the rows already there stay. */
START_TEST (test_commit_without_load)
{
  g_autofree char *s = NULL;

  {
    g_autoptr(MailsyncStatusStore) store = new_store (_i);

    commit_put (store, "INBOX", 1, "S");
    commit_put (store, "INBOX", 2, "S");
  }
  {
    g_autoptr(MailsyncStatusStore) store = new_store (_i);

    commit_put (store, "INBOX", 3, "F");
  }
  s = reload_string (_i, "INBOX");
  ck_assert_str_eq (s, "1|S|0|;2|S|0|;3|F|0| meta:");
}
END_TEST

/* Many small commits (a long sync): the last change of each row wins.
 * Not enough to make the plain store fold its journal (256 operations):
 * check-status-plain's test_fold does, this is about the contract. */
START_TEST (test_many_commits)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autoptr(MailsyncStatusBatch) meta_batch = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  guint i;

  mailsync_status_batch_set_meta (meta_batch, "mailsync.uidvalidity.remote", "42");
  status_commit_ok (store, "INBOX", meta_batch);
  for (i = 0; i < 60; i++)
    commit_put (store, "INBOX", 1 + i % 5, (i % 2) ? "S" : "FS");

  status_load_ok (store, "INBOX", &records, &meta);
  ck_assert_uint_eq (records->len, 5);
  /* The last write of each UID wins: i = 55 (odd, S) for UID 1, 56 (FS)
   * for UID 2, 59 (S) for UID 5. */
  status_assert_record (records, 0, 1, "S", 0, "");
  status_assert_record (records, 1, 2, "FS", 0, "");
  status_assert_record (records, 4, 5, "S", 0, "");
  ck_assert_str_eq (g_hash_table_lookup (meta, "mailsync.uidvalidity.remote"), "42");
  g_clear_pointer (&records, g_ptr_array_unref);
  g_clear_pointer (&meta, g_hash_table_unref);

  {
    g_autoptr(MailsyncStatusStore) again = new_store (_i);

    status_load_ok (again, "INBOX", &records, &meta);
    ck_assert_uint_eq (records->len, 5);
    status_assert_record (records, 0, 1, "S", 0, "");
    status_assert_record (records, 4, 5, "S", 0, "");
    ck_assert_str_eq (g_hash_table_lookup (meta, "mailsync.uidvalidity.remote"), "42");
  }
}
END_TEST

START_TEST (test_purge)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *s = NULL;

  mailsync_status_batch_put (batch, 1, "S", 0, "");
  mailsync_status_batch_set_meta (batch, "k", "v");
  status_commit_ok (store, "INBOX", batch);
  commit_put (store, "Other", 7, "S");

  ck_assert_msg (mailsync_status_store_purge (store, "INBOX", NULL, &error), "%s", error ? error->message : "");
  status_load_ok (store, "INBOX", &records, NULL);
  ck_assert_uint_eq (records->len, 0);
  s = reload_string (_i, "INBOX");
  ck_assert_str_eq (s, " meta:");
  g_free (s);
  /* Only that folder. */
  s = reload_string (_i, "Other");
  ck_assert_str_eq (s, "7|S|0| meta:");
  g_free (s);

  /* Purging what does not exist is fine. */
  ck_assert (mailsync_status_store_purge (store, "Nothing", NULL, NULL));
  /* A purged folder starts anew. */
  commit_put (store, "INBOX", 2, "F");
  s = reload_string (_i, "INBOX");
  ck_assert_str_eq (s, "2|F|0| meta:");
}
END_TEST

static void
assert_damaged (int                          i,
                MailsyncStatusContractDamage damage,
                MailsyncStatusError          code)
{
  g_autoptr(MailsyncStatusStore) store = new_store (i);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *where = stores[i]->damage (store, "INBOX", damage);
  g_autofree char *s = NULL;

  ck_assert_ptr_nonnull (where);
  g_clear_object (&store);
  store = new_store (i);
  ck_assert (!mailsync_status_store_load (store, "INBOX", &records, &meta, NULL, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert_msg (g_error_matches (error, MAILSYNC_STATUS_ERROR, code),
                 "expected code %d, got %s %d: %s", code,
                 g_quark_to_string (error->domain), error->code, error->message);
  ck_assert_msg (strstr (error->message, where) != NULL, "'%s' not in '%s'", where, error->message);
  ck_assert_msg (strchr (error->message, '\n') == NULL, "multi-line message '%s'", error->message);
  ck_assert_ptr_null (records);
  ck_assert_ptr_null (meta);

  /* Never an empty status in its place, and no change to the damage:
   * the same error again. */
  g_clear_error (&error);
  ck_assert (!mailsync_status_store_load (store, "INBOX", NULL, NULL, NULL, &error));
  ck_assert (g_error_matches (error, MAILSYNC_STATUS_ERROR, code));

  /* Removing it is the way out (doc/design.md, "A damaged or missing
   * status"): a purge and the folder starts anew. */
  ck_assert (mailsync_status_store_purge (store, "INBOX", NULL, NULL));
  commit_put (store, "INBOX", 3, "S");
  s = reload_string (i, "INBOX");
  ck_assert_str_eq (s, "3|S|0| meta:");
}

START_TEST (test_damaged_garbage)
{
  assert_damaged (_i, MAILSYNC_STATUS_CONTRACT_GARBAGE, MAILSYNC_STATUS_ERROR_CORRUPT);
}
END_TEST

START_TEST (test_damaged_truncated)
{
  assert_damaged (_i, MAILSYNC_STATUS_CONTRACT_TRUNCATED, MAILSYNC_STATUS_ERROR_CORRUPT);
}
END_TEST

START_TEST (test_damaged_future_version)
{
  assert_damaged (_i, MAILSYNC_STATUS_CONTRACT_FUTURE, MAILSYNC_STATUS_ERROR_VERSION_MISMATCH);
}
END_TEST

START_TEST (test_cancelled)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = status_dir ();

  g_cancellable_cancel (cancellable);
  ck_assert (!mailsync_status_store_load (store, "INBOX", NULL, NULL, cancellable, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  mailsync_status_batch_put (batch, 1, "S", 0, "");
  ck_assert (!mailsync_status_store_commit (store, "INBOX", batch, cancellable, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  ck_assert (!mailsync_status_store_purge (store, "INBOX", cancellable, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  /* A cancelled commit wrote nothing. */
  ck_assert (!g_file_test (dir, G_FILE_TEST_EXISTS));
}
END_TEST

static gpointer
commit_thread (gpointer data)
{
  MailsyncStatusStore *store = data;
  static gint next_uid = 0;
  guint i;

  for (i = 0; i < 25; i++)
    {
      g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();

      mailsync_status_batch_put (batch, (guint32) g_atomic_int_add (&next_uid, 1) + 1, "S", 0, "");
      if (!mailsync_status_store_commit (store, (i % 2) ? "A" : "B", batch, NULL, NULL))
        return GINT_TO_POINTER (FALSE);
    }
  return GINT_TO_POINTER (TRUE);
}

START_TEST (test_threads)
{
  g_autoptr(MailsyncStatusStore) store = new_store (_i);
  g_autoptr(GPtrArray) a = NULL;
  g_autoptr(GPtrArray) b = NULL;
  GThread *threads[4];
  guint i;

  /* One store shared by threads (one per folder sync). */
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("committer", commit_thread, store);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    ck_assert (GPOINTER_TO_INT (g_thread_join (threads[i])));
  status_load_ok (store, "A", &a, NULL);
  status_load_ok (store, "B", &b, NULL);
  ck_assert_uint_eq (a->len + b->len, 100);
}
END_TEST

/* A batch is all or nothing: a process that dies inside a commit, before
 * its commit point, leaves none of it, and all of the batch before. */
START_TEST (test_crash_in_commit)
{
  g_autoptr(MailsyncStatusStore) store = NULL;
  g_autofree char *s = NULL;
  int status = 0;
  pid_t pid;

  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      g_autoptr(MailsyncStatusStore) child = NULL;
      g_autoptr(MailsyncStatusBatch) b1 = mailsync_status_batch_new ();
      g_autoptr(MailsyncStatusBatch) b2 = mailsync_status_batch_new ();
      g_autofree char *at = g_strconcat (stores[_i]->crash_in_commit, ":2", NULL);

      g_setenv ("MAILSYNC_CRASH_AT", at, TRUE);
      child = new_store (_i);
      mailsync_status_batch_put (b1, 1, "S", 0, "");
      mailsync_status_batch_set_meta (b1, "k", "v1");
      if (!mailsync_status_store_commit (child, "INBOX", b1, NULL, NULL))
        _exit (1);
      mailsync_status_batch_put (b2, 2, "S", 0, "");
      mailsync_status_batch_remove (b2, 1);
      mailsync_status_batch_set_meta (b2, "k", "v2");
      mailsync_status_store_commit (child, "INBOX", b2, NULL, NULL);
      _exit (2);
    }
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  ck_assert_msg (WEXITSTATUS (status) == 77, "child did not crash at %s (exit %d)",
                 stores[_i]->crash_in_commit, WEXITSTATUS (status));

  store = new_store (_i);
  s = load_string (store, "INBOX");
  ck_assert_str_eq (s, "1|S|0| meta:k=v1");
  g_free (s);
  /* The next commit goes on from there. */
  commit_put (store, "INBOX", 4, "F");
  s = reload_string (_i, "INBOX");
  ck_assert_str_eq (s, "1|S|0|;4|F|0| meta:k=v1");
}
END_TEST

/* Adds @test for store @i only: a loop test over [i, i + 1). */
static void
add_case (TCase       *tc,
          const TTest *test,
          int          i)
{
  tcase_add_loop_test (tc, test, i, i + 1);
}

Suite *
mailsync_status_contract_suite (const MailsyncStatusContractStore * const *list)
{
  Suite *s = suite_create ("status-contract");
  int i;

  stores = list;
  for (i = 0; stores[i] != NULL; i++)
    {
      const MailsyncStatusContractStore *cs = stores[i];
      TCase *tc = tcase_create (cs->name);

      tcase_add_checked_fixture (tc, setup, teardown);
      tcase_set_timeout (tc, 120);
      add_case (tc, test_fresh_folder_creates_nothing, i);
      add_case (tc, test_create_and_paths, i);
      add_case (tc, test_round_trip, i);
      add_case (tc, test_batch_order, i);
      add_case (tc, test_keywords_stamp, i);
      add_case (tc, test_durable_at_return, i);
      add_case (tc, test_commit_without_load, i);
      add_case (tc, test_many_commits, i);
      add_case (tc, test_purge, i);
      if (cs->damage != NULL)
        {
          add_case (tc, test_damaged_garbage, i);
          add_case (tc, test_damaged_truncated, i);
          add_case (tc, test_damaged_future_version, i);
        }
      else
        {
          mailsync_test_add_skipped_test (tc, test_damaged_garbage, "the store gives no damage hook");
          mailsync_test_add_skipped_test (tc, test_damaged_truncated, "the store gives no damage hook");
          mailsync_test_add_skipped_test (tc, test_damaged_future_version, "the store gives no damage hook");
        }
      add_case (tc, test_cancelled, i);
      add_case (tc, test_threads, i);
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
      if (cs->crash_in_commit != NULL)
        add_case (tc, test_crash_in_commit, i);
      else
        mailsync_test_add_skipped_test (tc, test_crash_in_commit, "the store names no crash point inside a commit");
#else
      mailsync_test_add_crash_test (tc, test_crash_in_commit);
#endif
      suite_add_tcase (s, tc);
    }
  return s;
}
