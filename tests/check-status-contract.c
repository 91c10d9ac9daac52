/* The status-store contract (status-contract.c) run against the plain and
 * the SQLite store. A third-party store runs it the same way: a
 * MailsyncStatusContractStore with its constructor (and, if it can, its
 * damage and crash-point hooks), and a main() like this one. */
#include "config.h"

#include "status-contract.h"
#include "status/mailsync-status-table.h"

#include <unistd.h>
#include <sqlite3.h>

static MailsyncStatusStore *
plain_new (const char *directory)
{
  return mailsync_status_plain_new (directory);
}

static char *
plain_damage (MailsyncStatusStore          *store,
              const char                   *folder,
              MailsyncStatusContractDamage  damage)
{
  g_autofree char *path = mailsync_status_store_get_path (store, folder);
  static const char garbage[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\n";

  switch (damage)
    {
    case MAILSYNC_STATUS_CONTRACT_GARBAGE:
      mailsync_test_write_file (path, "");
      ck_assert (g_file_set_contents (path, garbage, sizeof garbage - 1, NULL));
      return g_steal_pointer (&path);
    case MAILSYNC_STATUS_CONTRACT_TRUNCATED:
      /* Torn write: the last line lost its newline; the error names it. */
      mailsync_test_write_file (path, "OFFLINEIMAP LocalStatus CACHE DATA - DO NOT MODIFY - FORMAT 2\n"
                                      "1|S|0|\n2|F");
      return g_strconcat (path, ":3", NULL);
    case MAILSYNC_STATUS_CONTRACT_FUTURE:
      mailsync_test_write_file (path, "OFFLINEIMAP LocalStatus CACHE DATA - DO NOT MODIFY - FORMAT 3\n1|S|0|\n");
      return g_steal_pointer (&path);
    default:
      g_assert_not_reached ();
    }
}

static MailsyncStatusStore *
sqlite_new (const char *directory)
{
  return mailsync_status_sqlite_new (directory);
}

/* offlineimap's database of data/status/sqlite-v2, copied to @path (never
 * opened in place: opening converts it to WAL). */
static void
copy_sqlite_fixture (const char *path)
{
  const char *srcdir = g_getenv ("TEST_SRCDIR") ? g_getenv ("TEST_SRCDIR") : TEST_SRCDIR;
  g_autofree char *src = g_build_filename (srcdir, "data", "status", "sqlite-v2", "INBOX", NULL);
  g_autofree char *contents = NULL;
  gsize length;

  contents = mailsync_test_read_file (src, &length);
  mailsync_test_write_file (path, "");
  ck_assert (g_file_set_contents (path, contents, length, NULL));
}

static char *
sqlite_damage (MailsyncStatusStore          *store,
               const char                   *folder,
               MailsyncStatusContractDamage  damage)
{
  g_autofree char *path = mailsync_status_store_get_path (store, folder);
  sqlite3 *db = NULL;

  switch (damage)
    {
    case MAILSYNC_STATUS_CONTRACT_GARBAGE:
      mailsync_test_write_file (path, "this is not a database, just some text that is long enough\n"
                                      "to have a header page ... ............................................\n");
      break;
    case MAILSYNC_STATUS_CONTRACT_TRUNCATED:
      /* A header that promises pages the file does not have. */
      copy_sqlite_fixture (path);
      ck_assert_int_eq (truncate (path, 5000), 0);
      break;
    case MAILSYNC_STATUS_CONTRACT_FUTURE:
      copy_sqlite_fixture (path);
      ck_assert_int_eq (sqlite3_open (path, &db), SQLITE_OK);
      ck_assert_int_eq (sqlite3_exec (db, "UPDATE metadata SET value='3' WHERE key='db_version'",
                                      NULL, NULL, NULL), SQLITE_OK);
      sqlite3_close (db);
      break;
    default:
      g_assert_not_reached ();
    }
  return g_steal_pointer (&path);
}

static const MailsyncStatusContractStore plain = {
  .name = "plain",
  .new_store = plain_new,
  .damage = plain_damage,
  /* The journal record's header is written, its payload not yet. */
  .crash_in_commit = "status-plain-journal-torn",
};

static const MailsyncStatusContractStore sqlite = {
  .name = "sqlite",
  .new_store = sqlite_new,
  .damage = sqlite_damage,
  /* Inside the batch's transaction, before COMMIT. */
  .crash_in_commit = "status-sqlite-before-commit",
};

static const MailsyncStatusContractStore * const stores[] = { &plain, &sqlite, NULL };

/* ---- the engine's load (status/mailsync-status-table.h; issue 13 item 2)
 * gives each store's rows as its public load does. Not in the contract:
 * a third-party store gives only the public load, which the engine
 * converts (the last case). */

static char *
table_string (MailsyncStatusTable *table)
{
  GString *s = g_string_new (NULL);
  const MailsyncStatusRecord *row;
  guint at = 0;

  while (_mailsync_status_table_next (table, &at, &row))
    g_string_append_printf (s, "%s%u|%s|%" G_GINT64_FORMAT "|%s", s->len ? ";" : "", row->uid, row->flags,
                            row->mtime, row->labels);
  return g_string_free (s, FALSE);
}

static char *
records_string (GPtrArray *records)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < records->len; i++)
    {
      const MailsyncStatusRecord *row = records->pdata[i];

      g_string_append_printf (s, "%s%u|%s|%" G_GINT64_FORMAT "|%s", i ? ";" : "", row->uid, row->flags,
                              row->mtime, row->labels);
    }
  return g_string_free (s, FALSE);
}

START_TEST (test_table_load)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncStatusStore) store = _i == 0 ? plain_new (dir) : sqlite_new (dir);
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(MailsyncStatusBatch) batch2 = mailsync_status_batch_new ();
  g_autoptr(MailsyncStatusTable) table = NULL;
  g_autoptr(MailsyncStatusTable) empty = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GHashTable) table_meta = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  guint n = 99;

  /* a folder without a status: an empty table */
  ck_assert (_mailsync_status_store_load_table (store, "New", &empty, &table_meta, &n, NULL, &error));
  g_assert_no_error (error);
  ck_assert_uint_eq (n, 0);
  ck_assert_uint_eq (_mailsync_status_table_size (empty), 0);
  g_clear_pointer (&table_meta, g_hash_table_unref);

  for (gint uid = 40; uid > 0; uid -= 3)
    mailsync_status_batch_put (batch, uid, uid % 2 ? "S" : "FS", uid % 5 ? 0 : 1446590057, uid % 7 ? "" : "\\Inbox, a");
  mailsync_status_batch_set_meta (batch, "mailsync.uidvalidity.remote", "7");
  ck_assert (mailsync_status_store_commit (store, "INBOX", batch, NULL, &error));
  mailsync_status_batch_remove (batch2, 10);
  mailsync_status_batch_put (batch2, 4, "RS", 0, "x");
  mailsync_status_batch_put (batch2, 100, "", 0, "");
  ck_assert (mailsync_status_store_commit (store, "INBOX", batch2, NULL, &error));

  ck_assert (mailsync_status_store_load (store, "INBOX", &records, &meta, NULL, &error));
  ck_assert (_mailsync_status_store_load_table (store, "INBOX", &table, &table_meta, &n, NULL, &error));
  g_assert_no_error (error);
  want = records_string (records);
  got = table_string (table);
  ck_assert_str_eq (got, want);
  ck_assert_uint_eq (n, records->len);
  ck_assert_uint_eq (_mailsync_status_table_size (table), records->len);
  ck_assert_str_eq (g_hash_table_lookup (table_meta, "mailsync.uidvalidity.remote"), "7");
  ck_assert_ptr_null (_mailsync_status_table_lookup (table, 10));
  ck_assert_str_eq (_mailsync_status_table_lookup (table, 4)->labels, "x");
  ck_assert (_mailsync_status_table_contains (table, 100));
  g_clear_object (&store);
  mailsync_test_rm_rf (dir);
}
END_TEST

/* The table's own steps: puts in any order, removes and puts again, and
 * a public load's records in any order (a later row of a UID wins). */
START_TEST (test_table_ops)
{
  g_autoptr(MailsyncStatusTable) table = _mailsync_status_table_new (0);
  g_autoptr(MailsyncStatusTable) converted = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) mailsync_status_record_free);
  g_autofree char *got = NULL;
  g_autofree char *got2 = NULL;

  _mailsync_status_table_put (table, 5, "S", 0, "");
  _mailsync_status_table_put (table, 9, "FS", 3, "l");
  _mailsync_status_table_put (table, 1, "", 0, NULL);
  _mailsync_status_table_put (table, 7, "S", 0, "");
  _mailsync_status_table_remove (table, 5);
  _mailsync_status_table_remove (table, 5);
  _mailsync_status_table_remove (table, 6);
  ck_assert_uint_eq (_mailsync_status_table_size (table), 3);
  ck_assert_ptr_null (_mailsync_status_table_lookup (table, 5));
  _mailsync_status_table_put (table, 9, "RS", 4, "m");
  _mailsync_status_table_put (table, 5, "T", 0, "");
  got = table_string (table);
  ck_assert_str_eq (got, "1||0|;5|T|0|;7|S|0|;9|RS|4|m");

  g_ptr_array_add (records, mailsync_status_record_new (8, "S", 0, ""));
  g_ptr_array_add (records, mailsync_status_record_new (2, "F", 0, ""));
  g_ptr_array_add (records, mailsync_status_record_new (8, "FS", 0, "later"));
  g_ptr_array_add (records, mailsync_status_record_new (3, "", 0, ""));
  converted = _mailsync_status_table_new_from_records (records);
  got2 = table_string (converted);
  ck_assert_str_eq (got2, "2|F|0|;3||0|;8|FS|0|later");
}
END_TEST

int
main (void)
{
  Suite *suite = mailsync_status_contract_suite (stores);
  TCase *tc = tcase_create ("engine-table");

  tcase_set_timeout (tc, 120);

  tcase_add_loop_test (tc, test_table_load, 0, 2);
  tcase_add_test (tc, test_table_ops);
  suite_add_tcase (suite, tc);
  return mailsync_test_run (suite);
}
