/* MailsyncStatusSqlite: offlineimap's LocalStatus-sqlite format.
 * What every store does (round trip, damage, purge, crash in a commit,
 * threads, cancelling) is in the contract suite (status-contract.c); here
 * is the format's own. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"
#include "status-contract.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

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

static char *
status_dir (void)
{
  return g_build_filename (tmpdir, "Account-X", "LocalStatus-sqlite", NULL);
}

/* Fixtures are copied, never opened in place: opening converts them to WAL. */
static char *
copy_fixture (const char *fixture,
              const char *folder_file)
{
  const char *srcdir = g_getenv ("TEST_SRCDIR") ? g_getenv ("TEST_SRCDIR") : TEST_SRCDIR;
  g_autofree char *src = g_build_filename (srcdir, "data", "status", fixture, NULL);
  g_autofree char *dir = status_dir ();
  char *dst = g_build_filename (dir, folder_file, NULL);
  g_autofree char *contents = NULL;
  gsize length;

  contents = mailsync_test_read_file (src, &length);
  ck_assert_int_eq (g_mkdir_with_parents (dir, 0700), 0);
  ck_assert (g_file_set_contents (dst, contents, length, NULL));
  return dst;
}

static MailsyncStatusStore *
new_store (void)
{
  g_autofree char *dir = status_dir ();

  return mailsync_status_sqlite_new (dir);
}

/* Runs one SQL query returning a single text value through a separate
 * connection, as offlineimap or a user would see the file. */
static char *
query_text (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *result = NULL;

  ck_assert_int_eq (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  ck_assert_msg (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg (db));
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    result = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return result;
}

static void
exec_sql (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *msg = NULL;

  ck_assert_int_eq (sqlite3_open (path, &db), SQLITE_OK);
  ck_assert_msg (sqlite3_exec (db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg);
  sqlite3_close (db);
}

static void
assert_load_fails (const char          *folder,
                   MailsyncStatusError  code)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = mailsync_status_store_get_path (store, folder);

  ck_assert (!mailsync_status_store_load (store, folder, &records, &meta, NULL, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert_msg (g_error_matches (error, MAILSYNC_STATUS_ERROR, code),
                 "expected code %d, got %s %d: %s", code,
                 g_quark_to_string (error->domain), error->code, error->message);
  ck_assert_msg (strstr (error->message, path) != NULL, "path not in '%s'", error->message);
  ck_assert_msg (strchr (error->message, '\n') == NULL, "multi-line message '%s'", error->message);
  ck_assert_ptr_null (records);
}

/* The rows round trip is in the contract suite; here what the file looks
 * like to offlineimap after a commit with meta entries. */
START_TEST (test_offlineimap_schema)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autofree char *path = mailsync_status_store_get_path (store, "INBOX/Sub");
  g_autofree char *value = NULL;

  mailsync_status_batch_put (batch, 3, "FS", 0, "");
  mailsync_status_batch_put (batch, 2, "", 1446590057, "\\Inbox, work");
  mailsync_status_batch_set_meta (batch, "mailsync.uidvalidity.remote", "1234");
  mailsync_status_batch_set_meta (batch, "mailsync.intent.abc", "upload 7");
  status_commit_ok (store, "INBOX/Sub", batch);
  ck_assert (g_str_has_suffix (path, "/LocalStatus-sqlite/INBOX.Sub"));

  /* offlineimap's metadata table holds db_version and nothing else. */
  value = query_text (path, "SELECT group_concat(key) FROM metadata");
  ck_assert_str_eq (value, "db_version");
  g_free (value);
  value = query_text (path, "SELECT value FROM metadata WHERE key='db_version'");
  ck_assert_str_eq (value, "2");
  g_free (value);
  value = query_text (path, "PRAGMA journal_mode");
  ck_assert_str_eq (value, "wal");
}
END_TEST

START_TEST (test_read_offlineimap_fixture)
{
  g_autofree char *path = copy_fixture ("sqlite-v2/INBOX", "INBOX");
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autofree char *value = NULL;

  status_load_ok (store, "INBOX", &records, &meta);
  ck_assert_uint_eq (records->len, 4);
  status_assert_record (records, 0, 1, "S", 0, "");
  status_assert_record (records, 1, 2, "", 0, "");
  status_assert_record (records, 2, 3, "FS", 0, "");
  status_assert_record (records, 3, 17, "S", 1446590057, "\\Inbox, work");
  ck_assert_uint_eq (g_hash_table_size (meta), 0);

  /* Writing keeps the file in offlineimap's shape: same rows format. */
  mailsync_status_batch_put (batch, 4, "S", 0, "");
  mailsync_status_batch_remove (batch, 2);
  status_commit_ok (store, "INBOX", batch);
  g_clear_object (&store);

  value = query_text (path, "SELECT group_concat(id || '|' || flags || '|' || mtime || '|' || labels, ';') "
                            "FROM (SELECT * FROM status ORDER BY id)");
  ck_assert_str_eq (value, "1|S|0|;3|FS|0|;4|S|0|;17|S|1446590057|\\Inbox, work");
  g_free (value);
  value = query_text (path, "SELECT count(*) FROM sqlite_master WHERE name='mailsync_meta'");
  ck_assert_str_eq (value, "0");
}
END_TEST

START_TEST (test_upgrade_v1)
{
  g_autofree char *path = copy_fixture ("sqlite-v1/INBOX", "INBOX");
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *value = NULL;

  status_load_ok (store, "INBOX", &records, NULL);
  ck_assert_uint_eq (records->len, 2);
  status_assert_record (records, 0, 1, "S", 0, "");
  status_assert_record (records, 1, 5, "RS", 0, "");
  g_clear_object (&store);

  value = query_text (path, "SELECT value FROM metadata WHERE key='db_version'");
  ck_assert_str_eq (value, "2");
  g_free (value);
  /* Upgraded like offlineimap: the new columns carry their defaults. */
  value = query_text (path, "SELECT mtime || '|' || labels FROM status WHERE id=5");
  ck_assert_str_eq (value, "0|");
}
END_TEST

START_TEST (test_null_columns)
{
  g_autofree char *path = copy_fixture ("sqlite-v2/INBOX", "INBOX");
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(GPtrArray) records = NULL;

  exec_sql (path, "INSERT INTO status VALUES (20, NULL, NULL, NULL)");
  status_load_ok (store, "INBOX", &records, NULL);
  ck_assert_uint_eq (records->len, 5);
  status_assert_record (records, 4, 20, "", 0, "");
}
END_TEST

START_TEST (test_missing_status_table)
{
  g_autofree char *path = copy_fixture ("sqlite-v2/INBOX", "INBOX");

  exec_sql (path, "DROP TABLE status");
  assert_load_fails ("INBOX", MAILSYNC_STATUS_ERROR_CORRUPT);
}
END_TEST

START_TEST (test_bad_db_version)
{
  g_autofree char *path = copy_fixture ("sqlite-v2/INBOX", "INBOX");

  exec_sql (path, "DELETE FROM metadata");
  assert_load_fails ("INBOX", MAILSYNC_STATUS_ERROR_CORRUPT);
}
END_TEST

START_TEST (test_db_without_tables)
{
  g_autofree char *dir = status_dir ();
  g_autofree char *path = g_build_filename (dir, "INBOX", NULL);
  g_autoptr(MailsyncStatusStore) store = NULL;
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) records2 = NULL;
  g_autofree char *value = NULL;

  /* offlineimap treats a database without its tables (an empty file
   * included) as new and creates the schema in it. */
  mailsync_test_write_file (path, "");
  exec_sql (path, "CREATE TABLE unrelated (x INTEGER)");
  store = new_store ();
  status_load_ok (store, "INBOX", &records, NULL);
  ck_assert_uint_eq (records->len, 0);

  mailsync_status_batch_put (batch, 9, "S", 0, "");
  status_commit_ok (store, "INBOX", batch);
  status_load_ok (store, "INBOX", &records2, NULL);
  ck_assert_uint_eq (records2->len, 1);
  status_assert_record (records2, 0, 9, "S", 0, "");
  value = query_text (path, "SELECT value FROM metadata WHERE key='db_version'");
  ck_assert_str_eq (value, "2");
}
END_TEST

START_TEST (test_locked)
{
  g_autofree char *path = copy_fixture ("sqlite-v2/INBOX", "INBOX");
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GError) error = NULL;
  sqlite3 *other = NULL;

  ck_assert_int_eq (sqlite3_open (path, &other), SQLITE_OK);
  ck_assert_int_eq (sqlite3_exec (other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);

  mailsync_status_batch_put (batch, 4, "S", 0, "");
  ck_assert (!mailsync_status_store_commit (store, "INBOX", batch, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_LOCKED),
                 "got %s", error->message);
  ck_assert (strstr (error->message, path) != NULL);

  sqlite3_exec (other, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (other);

  /* Once the lock is gone the same store works again. */
  g_clear_error (&error);
  status_commit_ok (store, "INBOX", batch);
}
END_TEST

START_TEST (test_purge)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = mailsync_status_store_get_path (store, "INBOX");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  mailsync_status_batch_put (batch, 1, "S", 0, "");
  status_commit_ok (store, "INBOX", batch);
  ck_assert (g_file_test (path, G_FILE_TEST_EXISTS));

  ck_assert_msg (mailsync_status_store_purge (store, "INBOX", NULL, &error), "%s", error ? error->message : "");
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (wal, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (shm, G_FILE_TEST_EXISTS));

  status_load_ok (store, "INBOX", &records, NULL);
  ck_assert_uint_eq (records->len, 0);
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  /* Purging what does not exist is fine. */
  ck_assert (mailsync_status_store_purge (store, "Nothing", NULL, NULL));
}
END_TEST

/* The store neither checkpoints nor deletes the log at close (so that a
 * run that wrote pays no checkpoint fsyncs): the -wal file stays, holding
 * the latest commits, and the next store must read them from it. */
/* ...but a log grown big is read whole by every open of a process
 * (SQLite rebuilds its -shm index from it): a store that opens a
 * database with more than 256 KB of log checkpoints and empties it right
 * after reading it (issue 13 item 2), not at close, where the
 * unchanged-folder record has already taken the files' stat. The rows
 * are all in the main file then, and a small log is left alone
 * (test_wal_kept_at_close). */
START_TEST (test_big_wal_checkpointed_at_first_commit)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusStore) again = NULL;
  g_autoptr(MailsyncStatusBatch) first = mailsync_status_batch_new ();
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(MailsyncStatusBatch) more = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autofree char *path = mailsync_status_store_get_path (store, "INBOX");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *value = NULL;
  struct stat st, read_only;

  /* the first commit creates the file, then switches it to WAL */
  mailsync_status_batch_set_meta (first, "mailsync.uidvalidity.remote", "1234");
  status_commit_ok (store, "INBOX", first);
  for (guint32 uid = 1; uid <= 6000; uid++)
    {
      g_autofree char *labels = g_strdup_printf ("a-rather-long-label-%u,another-label-%u", uid, uid);

      mailsync_status_batch_put (batch, uid, "S", 1446590000 + uid, labels);
    }
  status_commit_ok (store, "INBOX", batch);
  g_clear_object (&store);
  /* closed as always: the log stays, whatever its size */
  ck_assert_msg (g_stat (wal, &st) == 0, "%s: %s", wal, g_strerror (errno));
  ck_assert_int_gt (st.st_size, 256 * 1024);

  /* An open that only reads leaves the files as they were: the
   * unchanged-folder record (sync/mailsync-sync-unchanged.c) compares
   * their stat, and a checkpoint here made the next no-op list a folder
   * whose status was only looked at. */
  again = new_store ();
  status_load_ok (again, "INBOX", &records, &meta);
  ck_assert_uint_eq (records->len, 6000);
  status_assert_record (records, 5999, 6000, "S", 1446590000 + 6000,
                        "a-rather-long-label-6000,another-label-6000");
  ck_assert_msg (g_stat (wal, &read_only) == 0, "%s: %s", wal, g_strerror (errno));
  ck_assert_int_eq (read_only.st_size, st.st_size);
  ck_assert (read_only.st_mtim.tv_sec == st.st_mtim.tv_sec && read_only.st_mtim.tv_nsec == st.st_mtim.tv_nsec);

  /* The handle's first commit checkpoints it, then appends: what is left
   * in the log is that commit only. */
  mailsync_status_batch_put (more, 6001, "S", 0, "");
  status_commit_ok (again, "INBOX", more);
  ck_assert_msg (g_stat (wal, &st) == 0, "%s: %s", wal, g_strerror (errno));
  ck_assert_int_lt (st.st_size, 64 * 1024);
  g_clear_object (&again);
  value = query_text (path, "SELECT count(*) FROM status");
  ck_assert_str_eq (value, "6001");
}
END_TEST

START_TEST (test_wal_kept_at_close)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusStore) again = NULL;
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(MailsyncStatusBatch) batch2 = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autofree char *path = mailsync_status_store_get_path (store, "INBOX");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *value = NULL;
  struct stat st;
  guint32 uid;
  guint i;

  for (uid = 1; uid <= 300; uid++)
    {
      g_autofree char *labels = g_strdup_printf ("label%u", uid);

      mailsync_status_batch_put (batch, uid, (uid % 3) ? "S" : "FS", 1446590000 + uid, labels);
    }
  mailsync_status_batch_set_meta (batch, "mailsync.uidvalidity.remote", "1234");
  status_commit_ok (store, "INBOX", batch);
  mailsync_status_batch_remove (batch2, 7);
  mailsync_status_batch_put (batch2, 1, "RS", 0, "");
  mailsync_status_batch_put (batch2, 301, "", 0, "");
  mailsync_status_batch_set_meta (batch2, "mailsync.intent.x", "upload 301");
  status_commit_ok (store, "INBOX", batch2);
  g_clear_object (&store);

  /* Closed without a checkpoint: the log is still there, and not empty
   * (a checkpoint at close would have truncated it to nothing). */
  ck_assert_msg (g_stat (wal, &st) == 0, "%s: %s", wal, g_strerror (errno));
  ck_assert_int_gt (st.st_size, 0);

  again = new_store ();
  status_load_ok (again, "INBOX", &records, &meta);
  ck_assert_uint_eq (records->len, 300);
  status_assert_record (records, 0, 1, "RS", 0, "");
  for (i = 1, uid = 2; uid <= 300; uid++)
    {
      g_autofree char *labels = NULL;

      if (uid == 7)
        continue;
      labels = g_strdup_printf ("label%u", uid);
      status_assert_record (records, i++, uid, (uid % 3) ? "S" : "FS", 1446590000 + uid, labels);
    }
  status_assert_record (records, 299, 301, "", 0, "");
  ck_assert_uint_eq (g_hash_table_size (meta), 2);
  ck_assert_str_eq (g_hash_table_lookup (meta, "mailsync.uidvalidity.remote"), "1234");
  ck_assert_str_eq (g_hash_table_lookup (meta, "mailsync.intent.x"), "upload 301");
  g_clear_object (&again);

  /* Another SQLite client (offlineimap, the sqlite3 shell) reads the log too. */
  value = query_text (path, "SELECT count(*) || '|' || sum(id) FROM status");
  ck_assert_str_eq (value, "300|45444");
}
END_TEST

/* A process that dies right after a commit (nothing closed, the commit
 * only in the log): the next store sees the whole committed batch. */
START_TEST (test_exit_after_commit)
{
  g_autoptr(MailsyncStatusStore) store = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autofree char *dir = status_dir ();
  g_autofree char *wal = g_build_filename (dir, "INBOX-wal", NULL);
  struct stat st;
  int status = 0;
  pid_t pid;

  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      g_autoptr(MailsyncStatusStore) child = new_store ();
      g_autoptr(MailsyncStatusBatch) b1 = mailsync_status_batch_new ();
      g_autoptr(MailsyncStatusBatch) b2 = mailsync_status_batch_new ();

      /* The first commit creates the file (and switches it to WAL), the
       * second one goes to the log only. */
      mailsync_status_batch_put (b1, 1, "S", 0, "");
      mailsync_status_batch_set_meta (b1, "k", "v1");
      if (!mailsync_status_store_commit (child, "INBOX", b1, NULL, NULL))
        _exit (1);
      for (guint32 uid = 2; uid <= 50; uid++)
        mailsync_status_batch_put (b2, uid, "S", uid, "");
      mailsync_status_batch_remove (b2, 1);
      mailsync_status_batch_set_meta (b2, "k", "v2");
      if (!mailsync_status_store_commit (child, "INBOX", b2, NULL, NULL))
        _exit (2);
      _exit (0);
    }
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  ck_assert_int_eq (WEXITSTATUS (status), 0);
  ck_assert_msg (g_stat (wal, &st) == 0 && st.st_size > 0, "no log left by the child: %s", wal);

  store = new_store ();
  status_load_ok (store, "INBOX", &records, &meta);
  ck_assert_uint_eq (records->len, 49);
  for (guint32 uid = 2; uid <= 50; uid++)
    status_assert_record (records, uid - 2, uid, "S", uid, "");
  ck_assert_uint_eq (g_hash_table_size (meta), 1);
  ck_assert_str_eq (g_hash_table_lookup (meta, "k"), "v2");
}
END_TEST

/* Commits a batch and closes the store, leaving the commit in the log
 * only (the store does not checkpoint at close); returns the log's path. */
static char *
commit_into_log (void)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusBatch) b1 = mailsync_status_batch_new ();
  g_autoptr(MailsyncStatusBatch) b2 = mailsync_status_batch_new ();
  g_autofree char *path = mailsync_status_store_get_path (store, "INBOX");
  char *wal = g_strconcat (path, "-wal", NULL);
  struct stat st;

  mailsync_status_batch_put (b1, 1, "S", 0, "");
  status_commit_ok (store, "INBOX", b1);
  mailsync_status_batch_put (b2, 2, "FS", 0, "");
  status_commit_ok (store, "INBOX", b2);
  g_clear_object (&store);
  ck_assert_msg (g_stat (wal, &st) == 0 && st.st_size > 32, "no log: %s", wal);
  return wal;
}

static void
overwrite (const char *path,
           goffset     offset,
           const void *data,
           gsize       length)
{
  FILE *f = fopen (path, "r+b");

  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (fseek (f, offset, SEEK_SET), 0);
  ck_assert_uint_eq (fwrite (data, 1, length, f), length);
  ck_assert_int_eq (fclose (f), 0);
}

static void
assert_log_corrupt (const char *file)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert (!mailsync_status_store_load (store, "INBOX", &records, NULL, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT),
                 "expected CORRUPT, got %s", error ? error->message : "success");
  ck_assert_msg (strstr (error->message, file) != NULL, "'%s' not in '%s'", file, error->message);
  ck_assert_msg (strchr (error->message, '\n') == NULL, "multi-line message '%s'", error->message);
  ck_assert_ptr_null (records);
}

/* SQLite would drop a log with a damaged header without a word, and the
 * status would silently go back to the last checkpoint (here: before
 * both commits). Garbage over the header, a wrong checksum and a torn
 * header are each an error naming the log. */
START_TEST (test_wal_garbage)
{
  g_autofree char *wal = commit_into_log ();
  g_autofree char *contents = NULL;
  gsize length;

  overwrite (wal, 0, "garbage garbage garbage garbage!", 32);
  assert_log_corrupt (wal);
  g_clear_pointer (&wal, g_free);

  mailsync_test_rm_rf (tmpdir);
  ck_assert_int_eq (g_mkdir_with_parents (tmpdir, 0700), 0);
  wal = commit_into_log ();
  /* One bit of the salt: the magic is right, the checksum is not. */
  contents = mailsync_test_read_file (wal, &length);
  contents[17] ^= 0x01;
  overwrite (wal, 17, contents + 17, 1);
  assert_log_corrupt (wal);

  /* Torn in the header. */
  ck_assert_int_eq (truncate (wal, 20), 0);
  assert_log_corrupt (wal);
}
END_TEST

/* A log that is all zeros was grown by a crash before its first write
 * landed: nothing in it was ever committed, and the database opens. */
START_TEST (test_wal_zeros_ignored)
{
  g_autofree char *wal = commit_into_log ();
  g_autofree char *zeros = g_malloc0 (4096);
  g_autoptr(MailsyncStatusStore) store = NULL;
  g_autoptr(GPtrArray) records = NULL;

  ck_assert_int_eq (truncate (wal, 0), 0);
  ck_assert (g_file_set_contents (wal, zeros, 4096, NULL));
  store = new_store ();
  status_load_ok (store, "INBOX", &records, NULL);
}
END_TEST

/* Opening a status reads the head of its logs (-wal, -journal) with
 * open() and read(): g_file_read() would set up GIO's VFS (its extension
 * points, the module directory's cache, GLocalFile) in a run that uses
 * no other GFile, 0.3-0.4 MB of GIO's code resident in every sync step
 * that opens a status (issue 13 item 4, session 17). */
START_TEST (test_logs_read_without_gio_vfs)
{
  g_autofree char *wal = NULL;
  g_autoptr(MailsyncStatusStore) store = NULL;
  g_autoptr(GPtrArray) records = NULL;

  if (g_io_extension_point_lookup (G_VFS_EXTENSION_POINT_NAME) != NULL)
    {
      printf ("# SKIP GIO's VFS was set up by an earlier test (CK_FORK=no)\n");
      return;
    }
  wal = commit_into_log ();
  store = new_store ();
  status_load_ok (store, "INBOX", &records, NULL);
  ck_assert_uint_eq (records->len, 2);
  ck_assert_msg (g_io_extension_point_lookup (G_VFS_EXTENSION_POINT_NAME) == NULL,
                 "opening a status set up GIO's VFS");
}
END_TEST

/* A rollback journal without its magic hides a half-written transaction
 * that SQLite would leave in place. */
START_TEST (test_journal_garbage)
{
  g_autofree char *path = copy_fixture ("sqlite-v2/INBOX", "INBOX");
  g_autofree char *journal = g_strconcat (path, "-journal", NULL);

  mailsync_test_write_file (journal, "this is no rollback journal, only some text\n");
  assert_log_corrupt (journal);
}
END_TEST

/* The library's lazily loaded table of SQLite functions, which the next
 * test wraps (the two names it touches are the table's members again). */
#include "status/mailsync-sqlite-lazy.h"
#undef sqlite3_prepare_v2
#undef sqlite3_exec

static guint sql_prepares;
static guint sql_execs;
static __typeof__ (_mailsync_sqlite_table.sqlite3_prepare_v2) real_prepare;
static __typeof__ (_mailsync_sqlite_table.sqlite3_exec) real_exec;

static int
counting_prepare (sqlite3       *db,
                  const char    *sql,
                  int            n,
                  sqlite3_stmt **stmt,
                  const char   **tail)
{
  sql_prepares++;
  return real_prepare (db, sql, n, stmt, tail);
}

static int
counting_exec (sqlite3     *db,
               const char  *sql,
               int        (*callback) (void *, int, char **, char **),
               void        *data,
               char       **errmsg)
{
  sql_execs++;
  return real_exec (db, sql, callback, data, errmsg);
}

/* A folder's handle keeps the statements every commit runs (the schema
 * check, BEGIN IMMEDIATE, the row writes, COMMIT): an initial sync
 * commits a folder every batch, and preparing them each time was ~40%
 * of a commit's instructions (issue 13 item 5, session 18). Rows still
 * land, and a file changed under the handle is still seen. */
START_TEST (test_commit_keeps_statements)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  guint prepares, execs;

  for (guint round = 0; round < 6; round++)
    {
      g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();

      if (round == 2)
        {
          /* the handle is open, has seen a schema and run every kind of
           * statement (a new file has no db_version to read at its first
           * commit, round 1 is the first removal): count from here */
          real_prepare = _mailsync_sqlite_table.sqlite3_prepare_v2;
          real_exec = _mailsync_sqlite_table.sqlite3_exec;
          _mailsync_sqlite_table.sqlite3_prepare_v2 = counting_prepare;
          _mailsync_sqlite_table.sqlite3_exec = counting_exec;
        }
      mailsync_status_batch_put (batch, 10 * round + 1, "S", 0, "");
      mailsync_status_batch_put (batch, 10 * round + 2, "FS", 0, "");
      if (round > 0)
        mailsync_status_batch_remove (batch, 10 * (round - 1) + 2);
      /* as the downloads' entry: set, then taken out again */
      mailsync_status_batch_set_meta (batch, "mailsync.test", round % 2 ? NULL : "x");
      status_commit_ok (store, "INBOX", batch);
    }
  prepares = sql_prepares;
  execs = sql_execs;
  _mailsync_sqlite_table.sqlite3_prepare_v2 = real_prepare;
  _mailsync_sqlite_table.sqlite3_exec = real_exec;
  ck_assert_msg (prepares == 0 && execs == 0,
                 "4 commits on an open handle prepared %u statements and ran %u sqlite3_exec",
                 prepares, execs);

  status_load_ok (store, "INBOX", &records, &meta);
  ck_assert_uint_eq (records->len, 7);  /* 6 x 1, and the last round's 2 */
  ck_assert_ptr_null (g_hash_table_lookup (meta, "mailsync.test"));  /* round 5 took it out */
}
END_TEST

static Suite *
status_sqlite_suite (void)
{
  Suite *s = suite_create ("status-sqlite");
  TCase *tc = tcase_create ("sqlite");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_offlineimap_schema);
  tcase_add_test (tc, test_read_offlineimap_fixture);
  tcase_add_test (tc, test_upgrade_v1);
  tcase_add_test (tc, test_null_columns);
  tcase_add_test (tc, test_missing_status_table);
  tcase_add_test (tc, test_bad_db_version);
  tcase_add_test (tc, test_db_without_tables);
  tcase_add_test (tc, test_locked);
  tcase_add_test (tc, test_purge);
  tcase_add_test (tc, test_wal_kept_at_close);
  tcase_add_test (tc, test_big_wal_checkpointed_at_first_commit);
  tcase_add_test (tc, test_wal_garbage);
  tcase_add_test (tc, test_wal_zeros_ignored);
  tcase_add_test (tc, test_logs_read_without_gio_vfs);
  tcase_add_test (tc, test_journal_garbage);
  tcase_add_test (tc, test_exit_after_commit);
  tcase_add_test (tc, test_commit_keeps_statements);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (status_sqlite_suite ());
}
