/* MailsyncStatusPlain: offlineimap's plain LocalStatus plus our journal.
 * What every store does (round trip, damage, purge, crash in a commit) is
 * in the contract suite (status-contract.c); here is the format's own. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"
#include "status-contract.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#define MAGIC2 "OFFLINEIMAP LocalStatus CACHE DATA - DO NOT MODIFY - FORMAT 2\n"

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
  return g_build_filename (tmpdir, "Account-X", "LocalStatus", NULL);
}

static char *
status_file (const char *name,
             const char *suffix)
{
  g_autofree char *dir = status_dir ();
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_strconcat (path, suffix, NULL);
}

static char *
copy_fixture (const char *fixture,
              const char *folder_file)
{
  const char *srcdir = g_getenv ("TEST_SRCDIR") ? g_getenv ("TEST_SRCDIR") : TEST_SRCDIR;
  g_autofree char *src = g_build_filename (srcdir, "data", "status", fixture, NULL);
  g_autofree char *contents = mailsync_test_read_file (src, NULL);
  char *dst = status_file (folder_file, "");

  mailsync_test_write_file (dst, contents);
  return dst;
}

static MailsyncStatusStore *
new_store (void)
{
  g_autofree char *dir = status_dir ();

  return mailsync_status_plain_new (dir);
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

/* The records as "uid|flags|mtime|labels;..." for compact comparisons. */
static char *
records_string (GPtrArray *records)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < records->len; i++)
    {
      const MailsyncStatusRecord *r = records->pdata[i];

      g_string_append_printf (s, "%s%u|%s|%" G_GINT64_FORMAT "|%s", i ? ";" : "",
                              r->uid, r->flags, r->mtime, r->labels);
    }
  return g_string_free (s, FALSE);
}

static char *
load_string (const char *folder)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(GPtrArray) records = NULL;

  status_load_ok (store, folder, &records, NULL);
  return records_string (records);
}

static void
assert_load_fails (const char          *folder,
                   MailsyncStatusError  code,
                   const char          *where)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert (!mailsync_status_store_load (store, folder, &records, NULL, NULL, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert_msg (g_error_matches (error, MAILSYNC_STATUS_ERROR, code),
                 "expected code %d, got %s %d: %s", code,
                 g_quark_to_string (error->domain), error->code, error->message);
  ck_assert_msg (strstr (error->message, where) != NULL, "'%s' not in '%s'", where, error->message);
  ck_assert_msg (strchr (error->message, '\n') == NULL, "multi-line message '%s'", error->message);
  ck_assert_ptr_null (records);
}

/* Runs @body in a child that has MAILSYNC_CRASH_AT=@crash_at, and checks
 * it "crashed" there. */
static void
run_crashing (const char *crash_at,
              void      (*body) (void))
{
  int status = 0;
  pid_t pid = fork ();

  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      g_setenv ("MAILSYNC_CRASH_AT", crash_at, TRUE);
      body ();
      _exit (0);
    }
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  ck_assert_msg (WEXITSTATUS (status) == 77, "child did not crash at %s (exit %d)",
                 crash_at, WEXITSTATUS (status));
}

START_TEST (test_read_format2)
{
  g_autofree char *path = copy_fixture ("plain/INBOX", "INBOX");
  g_autofree char *s = load_string ("INBOX");

  ck_assert_str_eq (s, "1|S|0|;2||0|;3|FS|0|;17|S|1446590057|\\Inbox, work");
}
END_TEST

START_TEST (test_read_format1)
{
  g_autofree char *path = copy_fixture ("plain/Archive.2023", "Archive.2023");
  g_autofree char *s = load_string ("Archive/2023");

  ck_assert_str_eq (s, "1|S|0|;2||0|;3|FS|0|");
}
END_TEST

/* Both writers always write the magic line and replace the file by a
 * rename, so an empty file is a truncated one (offlineimap reads it as an
 * empty status: a fresh start that brings back every deleted message). */
START_TEST (test_empty_file)
{
  g_autofree char *path = status_file ("INBOX", "");
  g_autofree char *where = g_strconcat (path, ":1", NULL);

  mailsync_test_write_file (path, "");
  assert_load_fails ("INBOX", MAILSYNC_STATUS_ERROR_CORRUPT, where);
}
END_TEST

/* A lone magic line is an empty status, not damage. */
START_TEST (test_magic_only)
{
  g_autofree char *path = status_file ("INBOX", "");
  g_autofree char *s = NULL;

  mailsync_test_write_file (path, MAGIC2);
  s = load_string ("INBOX");
  ck_assert_str_eq (s, "");
}
END_TEST

/* A torn magic line (a crash in the first write) is damage too. */
START_TEST (test_torn_magic)
{
  g_autofree char *path = status_file ("INBOX", "");
  g_autofree char *where = g_strconcat (path, ":1", NULL);

  mailsync_test_write_file (path, "OFFLINEIMAP LocalStatus CA");
  assert_load_fails ("INBOX", MAILSYNC_STATUS_ERROR_CORRUPT, where);
}
END_TEST

START_TEST (test_corrupt_unknown_magic)
{
  g_autofree char *path = status_file ("INBOX", "");
  g_autofree char *where = g_strconcat (path, ":1", NULL);

  mailsync_test_write_file (path, "SOMETHING ELSE\n1|S|0|\n");
  assert_load_fails ("INBOX", MAILSYNC_STATUS_ERROR_CORRUPT, where);
}
END_TEST

START_TEST (test_corrupt_lines)
{
  static const char *const bad[] = {
    MAGIC2 "1|S|0|\nx|S|0|\n",          /* non-numeric UID */
    MAGIC2 "1|S|0|\n2|S|0\n",           /* missing field */
    MAGIC2 "1|S|0|\n2|S|soon|\n",       /* non-numeric mtime */
    MAGIC2 "1|S|0|\n\n",                /* blank line */
    MAGIC2 "1|S|0|\n-2|S|0|\n",         /* negative UID */
    MAGIC2 "1|S|0|\n4294967296|S|0|\n", /* UID beyond 32 bits */
    "OFFLINEIMAP LocalStatus CACHE DATA - DO NOT MODIFY - FORMAT 1\n1:S\n2|S|0|\n",
  };
  g_autofree char *path = status_file ("INBOX", "");
  g_autofree char *where = g_strconcat (path, ":3", NULL);
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      mailsync_test_write_file (path, bad[i]);
      assert_load_fails ("INBOX", MAILSYNC_STATUS_ERROR_CORRUPT, where);
    }
}
END_TEST

START_TEST (test_journal_replayed)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autofree char *path = status_file ("INBOX", "");
  g_autofree char *journal = status_file ("INBOX", ".journal");
  g_autofree char *s = NULL;

  commit_put (store, "INBOX", 1, "S");
  commit_put (store, "INBOX", 2, "FS");
  /* Few commits: nothing folded yet, the state lives in the journal. */
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert (g_file_test (journal, G_FILE_TEST_EXISTS));

  s = load_string ("INBOX");
  ck_assert_str_eq (s, "1|S|0|;2|FS|0|");
}
END_TEST

START_TEST (test_journal_torn_tail)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autofree char *journal = status_file ("INBOX", ".journal");
  g_autofree char *contents = NULL;
  g_autofree char *s = NULL;
  g_autoptr(GString) torn = NULL;
  gsize length;
  static const char *const tails[] = {
    "BATCH 1",                                   /* torn header */
    "BATCH 40 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nP 9|S|0|\n", /* short payload */
    "BATCH 9 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nP 9|S|0|\n",  /* bad sum, at EOF */
    "\0\0\0\0\0\0\0\0\0\0\0\0\n\0\0\0",          /* zeros from a lost write */
  };
  /* Only the zeros need an explicit length. */
  static const gsize tail_lengths[] = { 0, 0, 0, 16 };
  gsize i;

  commit_put (store, "INBOX", 1, "S");
  commit_put (store, "INBOX", 2, "FS");
  contents = mailsync_test_read_file (journal, &length);

  for (i = 0; i < G_N_ELEMENTS (tails); i++)
    {
      g_autofree char *got = NULL;

      torn = g_string_new_len (contents, length);
      g_string_append_len (torn, tails[i], tail_lengths[i] ? tail_lengths[i] : strlen (tails[i]));
      ck_assert (g_file_set_contents (journal, torn->str, torn->len, NULL));
      g_string_free (g_steal_pointer (&torn), TRUE);

      got = load_string ("INBOX");
      ck_assert_msg (strcmp (got, "1|S|0|;2|FS|0|") == 0, "tail %" G_GSIZE_FORMAT ": %s", i, got);
    }

  /* The next commit cuts the torn tail off, so its record is readable. */
  {
    g_autoptr(MailsyncStatusStore) next = new_store ();
    g_autoptr(GPtrArray) records = NULL;

    status_load_ok (next, "INBOX", &records, NULL);
    commit_put (next, "INBOX", 3, "");
  }
  s = load_string ("INBOX");
  ck_assert_str_eq (s, "1|S|0|;2|FS|0|;3||0|");
}
END_TEST

START_TEST (test_journal_corrupt_middle)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autofree char *journal = status_file ("INBOX", ".journal");
  g_autofree char *contents = NULL;
  char *p;
  gsize length;

  commit_put (store, "INBOX", 1, "S");
  commit_put (store, "INBOX", 2, "FS");
  commit_put (store, "INBOX", 3, "R");
  contents = mailsync_test_read_file (journal, &length);

  /* Flip a flag in the second record: its checksum no longer matches,
   * and a valid record follows, so this is no torn write. */
  p = strstr (contents, "P 2|FS");
  ck_assert_ptr_nonnull (p);
  p[4] = 'X';
  ck_assert (g_file_set_contents (journal, contents, length, NULL));
  assert_load_fails ("INBOX", MAILSYNC_STATUS_ERROR_CORRUPT, journal);
}
END_TEST

START_TEST (test_fold)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusBatch) meta_batch = mailsync_status_batch_new ();
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *path = status_file ("INBOX", "");
  g_autofree char *journal = status_file ("INBOX", ".journal");
  g_autofree char *meta_path = status_file ("INBOX", ".meta");
  g_autofree char *contents = NULL;
  g_autofree char *meta_contents = NULL;
  guint i;

  mailsync_status_batch_set_meta (meta_batch, "mailsync.uidvalidity.remote", "42");
  status_commit_ok (store, "INBOX", meta_batch);
  for (i = 0; i < 300; i++)
    commit_put (store, "INBOX", 1 + i % 5, (i % 2) ? "S" : "FS");

  /* Folded at least once: the status file is offlineimap's FORMAT 2. */
  ck_assert (g_file_test (path, G_FILE_TEST_EXISTS));
  contents = mailsync_test_read_file (path, NULL);
  ck_assert (g_str_has_prefix (contents, MAGIC2 "1|"));
  meta_contents = mailsync_test_read_file (meta_path, NULL);
  ck_assert_str_eq (meta_contents, "MAILSYNC-META 1\nmailsync.uidvalidity.remote=42\n");
  if (g_file_test (journal, G_FILE_TEST_EXISTS))
    {
      gsize jlen = 0;
      g_autofree char *j = mailsync_test_read_file (journal, &jlen);

      ck_assert_uint_lt (jlen, 300 * 20);
    }

  status_load_ok (store, "INBOX", &records, &meta);
  ck_assert_uint_eq (records->len, 5);
  /* The last write of each UID wins: i = 295 (odd, S) for UID 1, 296 (FS)
   * for UID 2, 299 (S) for UID 5. */
  status_assert_record (records, 0, 1, "S", 0, "");
  status_assert_record (records, 1, 2, "FS", 0, "");
  status_assert_record (records, 4, 5, "S", 0, "");
  ck_assert_str_eq (g_hash_table_lookup (meta, "mailsync.uidvalidity.remote"), "42");
}
END_TEST

START_TEST (test_fold_format1_upgrades)
{
  g_autofree char *path = copy_fixture ("plain/Archive.2023", "Archive.2023");
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autofree char *contents = NULL;
  guint i;

  for (i = 0; i < 260; i++)
    commit_put (store, "Archive/2023", 4, (i % 2) ? "S" : "");
  contents = mailsync_test_read_file (path, NULL);
  ck_assert_str_eq (contents, MAGIC2 "1|S|0|\n2||0|\n3|FS|0|\n4|S|0|\n");
}
END_TEST

static void
crash_fold_body (void)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  guint i;

  mailsync_status_batch_set_meta (batch, "mailsync.uidvalidity.remote", "7");
  status_commit_ok (store, "INBOX", batch);
  for (i = 0; i < 400; i++)
    commit_put (store, "INBOX", 100 + i % 3, (i % 2) ? "S" : "");
}

START_TEST (test_crash_during_fold)
{
  static const char *const points[] = {
    "status-plain-fold-status-written",
    "status-plain-folded",
    "status-plain-journal-removed",
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (points); i++)
    {
      g_autoptr(MailsyncStatusStore) store = new_store ();
      g_autoptr(GPtrArray) records = NULL;
      g_autoptr(GHashTable) meta = NULL;
      g_autofree char *s = NULL;

      ck_assert (mailsync_status_store_purge (store, "INBOX", NULL, NULL));
      run_crashing (points[i], crash_fold_body);
      /* The first fold comes at 256 logged ops: the meta batch and puts
       * i = 0..254, so UID 100 last got i = 252 (""), 101 got 253 (S),
       * 102 got 254 (""). Replayed once or twice, that is the state. */
      status_load_ok (store, "INBOX", &records, &meta);
      s = records_string (records);
      ck_assert_msg (strcmp (s, "100||0|;101|S|0|;102||0|") == 0, "%s: %s", points[i], s);
      ck_assert_str_eq (g_hash_table_lookup (meta, "mailsync.uidvalidity.remote"), "7");
    }
}
END_TEST

START_TEST (test_refuses_unrepresentable)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *journal = status_file ("INBOX", ".journal");

  mailsync_status_batch_put (batch, 1, "S|", 0, "");
  ck_assert (!mailsync_status_store_commit (store, "INBOX", batch, NULL, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert (!g_file_test (journal, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST (test_purge)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = status_file ("INBOX", "");
  g_autofree char *journal = status_file ("INBOX", ".journal");
  g_autofree char *meta = status_file ("INBOX", ".meta");
  guint i;

  {
    g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();

    mailsync_status_batch_set_meta (batch, "k", "v");
    status_commit_ok (store, "INBOX", batch);
  }
  for (i = 0; i < 260; i++)
    commit_put (store, "INBOX", 1, "S");
  commit_put (store, "INBOX", 2, "S");
  ck_assert (g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert (g_file_test (journal, G_FILE_TEST_EXISTS));
  ck_assert (g_file_test (meta, G_FILE_TEST_EXISTS));

  ck_assert_msg (mailsync_status_store_purge (store, "INBOX", NULL, &error), "%s", error ? error->message : "");
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (journal, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (meta, G_FILE_TEST_EXISTS));
  status_load_ok (store, "INBOX", &records, NULL);
  ck_assert_uint_eq (records->len, 0);
}
END_TEST

START_TEST (test_corrupt_meta)
{
  g_autofree char *meta = status_file ("INBOX", ".meta");
  g_autofree char *where = g_strconcat (meta, ":2", NULL);

  mailsync_test_write_file (meta, "MAILSYNC-META 1\nno equals sign\n");
  assert_load_fails ("INBOX", MAILSYNC_STATUS_ERROR_CORRUPT, where);
  mailsync_test_write_file (meta, "MAILSYNC-META 2\na=b\n");
  assert_load_fails ("INBOX", MAILSYNC_STATUS_ERROR_VERSION_MISMATCH, meta);
}
END_TEST

START_TEST (test_commit_without_load_after_torn)
{
  g_autofree char *journal = status_file ("INBOX", ".journal");
  g_autofree char *s = NULL;

  {
    g_autoptr(MailsyncStatusStore) store = new_store ();

    commit_put (store, "INBOX", 1, "S");
  }
  {
    g_autofree char *contents = NULL;
    g_autofree char *torn = NULL;
    gsize length;

    contents = mailsync_test_read_file (journal, &length);
    torn = g_strconcat (contents, "BATCH 30 00", NULL);
    mailsync_test_write_file (journal, torn);
  }
  {
    /* No load first: the commit itself must find the end of the
     * committed journal and cut the torn record off. */
    g_autoptr(MailsyncStatusStore) store = new_store ();

    commit_put (store, "INBOX", 2, "");
  }
  s = load_string ("INBOX");
  ck_assert_str_eq (s, "1|S|0|;2||0|");
}
END_TEST

/* A fold that cannot complete fails the commit that was to fold, with an
 * error naming the file, and writes nothing of its batch; once the cause
 * is gone the next commit folds and goes on (issue 14 item 3: the failure
 * was a g_warning after a commit that returned success). */
START_TEST (test_fold_failure_fails_commit)
{
  g_autoptr(MailsyncStatusStore) store = new_store ();
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = status_file ("INBOX", "");
  g_autofree char *blocker = g_build_filename (path, "x", NULL);
  g_autofree char *s = NULL;
  guint32 uid;

  /* Fold after every 3 operations. */
  g_setenv ("MAILSYNC_TEST_FOLD_EVERY", "3", TRUE);
  for (uid = 1; uid <= 3; uid++)
    commit_put (store, "INBOX", uid, "S");
  /* A non-empty directory where the status file goes: the fold's rename
   * over it fails. */
  mailsync_test_write_file (blocker, "");

  mailsync_status_batch_put (batch, 5, "F", 0, "");
  ck_assert (!mailsync_status_store_commit (store, "INBOX", batch, NULL, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert_msg (strstr (error->message, path) != NULL && strstr (error->message, "fold") != NULL,
                 "'%s' names no fold of %s", error->message, path);

  ck_assert_int_eq (g_unlink (blocker), 0);
  ck_assert_int_eq (g_rmdir (path), 0);
  commit_put (store, "INBOX", 4, "S");
  ck_assert (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  s = load_string ("INBOX");
  ck_assert_str_eq (s, "1|S|0|;2|S|0|;3|S|0|;4|S|0|");
}
END_TEST

static Suite *
status_plain_suite (void)
{
  Suite *s = suite_create ("status-plain");
  TCase *tc = tcase_create ("plain");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_read_format2);
  tcase_add_test (tc, test_read_format1);
  tcase_add_test (tc, test_empty_file);
  tcase_add_test (tc, test_magic_only);
  tcase_add_test (tc, test_torn_magic);
  tcase_add_test (tc, test_corrupt_unknown_magic);
  tcase_add_test (tc, test_corrupt_lines);
  tcase_add_test (tc, test_journal_replayed);
  tcase_add_test (tc, test_journal_torn_tail);
  tcase_add_test (tc, test_journal_corrupt_middle);
  tcase_add_test (tc, test_fold);
  tcase_add_test (tc, test_fold_format1_upgrades);
  /* MAILSYNC_TEST_FOLD_EVERY: a test hook */
  mailsync_test_add_hooks_test (tc, test_fold_failure_fails_commit);
  mailsync_test_add_crash_test (tc, test_crash_during_fold);
  tcase_add_test (tc, test_refuses_unrepresentable);
  tcase_add_test (tc, test_purge);
  tcase_add_test (tc, test_corrupt_meta);
  tcase_add_test (tc, test_commit_without_load_after_torn);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (status_plain_suite ());
}
