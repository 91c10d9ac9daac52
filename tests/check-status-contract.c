/* The status-store contract (status-contract.c) run against the plain and
 * the SQLite store. A third-party store runs it the same way: a
 * MailsyncStatusContractStore with its constructor (and, if it can, its
 * damage and crash-point hooks), and a main() like this one. */
#include "config.h"

#include "status-contract.h"

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

int
main (void)
{
  return mailsync_test_run (mailsync_status_contract_suite (stores));
}
