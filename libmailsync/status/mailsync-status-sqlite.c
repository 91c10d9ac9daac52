/* SQLite status store, in offlineimap's LocalStatus-sqlite format. */
#include "config.h"

#include "mailsync-status-sqlite.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-status-base.h"
#include "status/mailsync-status-table.h"
#include "status/mailsync-status-sqlite-logs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
/* SQLite's header, and its functions as calls through the table of
 * the SQLite loaded on first use: last. */
#include "status/mailsync-sqlite-lazy.h"

/**
 * MailsyncStatusSqlite:
 *
 * A #MailsyncStatusStore with one SQLite database per folder, in exactly
 * offlineimap's schema (`metadata` with `db_version` 2 and `status(id,
 * flags, mtime, labels)`), so an existing `LocalStatus-sqlite` directory
 * is taken over as is and stays readable by offlineimap.
 *
 * The engine's own bookkeeping (meta entries of a batch) lives in an extra
 * table `mailsync_meta`, created on demand; offlineimap never looks at
 * tables it does not know, and its `metadata` table stays untouched.
 *
 * Since: 0.1
 */

/* offlineimap 7.x/8.x schema version; 1 is upgraded, anything newer is
 * refused rather than misread. */
#define STATUS_DB_VERSION 2

/* How long a statement waits for a lock held by another process (say, a
 * running offlineimap) before the folder fails with ERROR_LOCKED. */
#define STATUS_BUSY_TIMEOUT_MS 5000

/* The statements every commit runs, prepared once per handle: the
 * schema check on every use and a commit's BEGIN, row writes and COMMIT
 * used to prepare theirs each time, ~40% of a small commit's
 * instructions (issue 13 item 5, session 18). */
typedef enum
{
  STMT_TABLE_EXISTS,
  STMT_DB_VERSION,
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_PUT,
  STMT_DEL,
  STMT_SET_META,
  STMT_DEL_META,
  N_STMTS
} StmtId;

static const char *const stmt_sql[N_STMTS] = {
  [STMT_TABLE_EXISTS] = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
  [STMT_DB_VERSION] = "SELECT value FROM metadata WHERE key = 'db_version'",
  /* BEGIN IMMEDIATE takes the write lock up front: waiting happens
   * there, under busy_timeout, instead of failing half-way through the
   * batch. */
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  /* INSERT OR REPLACE rather than offlineimap's INSERT/UPDATE pair: a
   * PUT means "the record is now this", whatever was there. */
  [STMT_PUT] = "INSERT OR REPLACE INTO status (id, flags, mtime, labels) VALUES (?, ?, ?, ?)",
  [STMT_DEL] = "DELETE FROM status WHERE id = ?",
  [STMT_SET_META] = "INSERT OR REPLACE INTO mailsync_meta (key, value) VALUES (?, ?)",
  [STMT_DEL_META] = "DELETE FROM mailsync_meta WHERE key = ?",
};

/* A slot's data: the folder's connection. */
typedef struct
{
  sqlite3      *db;
  /* The log was looked at for a checkpoint (checkpoint_big_log()): at
   * this handle's first commit. */
  gboolean      log_checked;
  /* stmt_sql's statements, prepared on first use (folder_stmt()), reset
   * after each (stmt_done()), finalized with the handle (close_db()).
   * SQLite prepares a kept statement again by itself when the schema
   * changed under it. */
  sqlite3_stmt *stmts[N_STMTS];
} SqliteFolder;

static void close_db (gpointer data);

struct _MailsyncStatusSqlite
{
  GObject     parent_instance;

  /* Its slots' data: the folder's SqliteFolder (opened lazily). Every use of
   * a handle is under its folder's lock: a sqlite3 connection is not to
   * be used by two threads at once inside a transaction. Each folder is
   * its own database file (offlineimap's format) with its own connection,
   * so two folders' transactions, and their fsyncs, run at the same time;
   * this needs a SQLite built thread-safe (SQLITE_THREADSAFE 1 or 2, what
   * distributions ship), as two stores in two threads always did. */
  MailsyncStatusBase base;
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (MailsyncStatusSqlite, base) == sizeof (GObject));

static void mailsync_status_sqlite_store_iface_init (MailsyncStatusStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MailsyncStatusSqlite, mailsync_status_sqlite, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MAILSYNC_TYPE_STATUS_STORE,
                                                      mailsync_status_sqlite_store_iface_init))

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

typedef enum
{
  SCHEMA_EMPTY,                 /* no table at all: a new database */
  SCHEMA_READY,                 /* offlineimap schema, current version */
} SchemaState;

/* Maps a SQLite result code to our error domain. @fallback is used for the
 * codes that mean neither damage nor locking (I/O errors, full disk...);
 * while verifying the schema a plain SQLITE_ERROR ("no such column") means
 * the file is not what it claims to be, so callers pass CORRUPT there. */
static void
set_sqlite_error (GError             **error,
                  sqlite3             *db,
                  int                  rc,
                  MailsyncStatusError  fallback,
                  const char          *path,
                  const char          *what)
{
  const char *detail = db ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
                   "Status database %s is corrupt: %s", path, detail);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_LOCKED,
                   "Status database %s is locked by another process", path);
      break;
    default:
      if (fallback == MAILSYNC_STATUS_ERROR_CORRUPT)
        g_set_error (error, MAILSYNC_STATUS_ERROR, fallback,
                     "Status database %s is corrupt: %s", path, detail);
      else
        g_set_error (error, MAILSYNC_STATUS_ERROR, fallback,
                     "Status database %s: %s (%s)", path, detail, what);
      break;
    }
}

static gboolean
exec_sql (sqlite3             *db,
          const char          *sql,
          MailsyncStatusError  fallback,
          const char          *path,
          GError             **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db, rc, fallback, path, sql);
      return FALSE;
    }
  return TRUE;
}

static void
rollback (sqlite3 *db)
{
  /* Fails harmlessly when SQLite already rolled back on its own. */
  if (!sqlite3_get_autocommit (db))
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
}

static gboolean
prepare (sqlite3              *db,
         const char           *sql,
         sqlite3_stmt        **stmt,
         MailsyncStatusError   fallback,
         const char           *path,
         GError              **error)
{
  int rc = sqlite3_prepare_v2 (db, sql, -1, stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db, rc, fallback, path, sql);
      return FALSE;
    }
  return TRUE;
}

/* The folder's kept statement @id, prepared on its first use. */
static sqlite3_stmt *
folder_stmt (SqliteFolder         *folder,
             StmtId                id,
             MailsyncStatusError   fallback,
             const char           *path,
             GError              **error)
{
  if (folder->stmts[id] == NULL &&
      !prepare (folder->db, stmt_sql[id], &folder->stmts[id], fallback, path, error))
    return NULL;
  return folder->stmts[id];
}

/* After each use of a kept statement: a statement left stepped would hold
 * its read transaction open. */
static void
stmt_done (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

/* Runs a kept statement without results (BEGIN, COMMIT). */
static gboolean
exec_stmt (SqliteFolder         *folder,
           StmtId                id,
           MailsyncStatusError   fallback,
           const char           *path,
           GError              **error)
{
  sqlite3_stmt *stmt = folder_stmt (folder, id, fallback, path, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (error, folder->db, rc, fallback, path, stmt_sql[id]);
  stmt_done (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
table_exists (SqliteFolder *folder,
              const char   *table,
              const char   *path,
              gboolean     *exists,
              GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  /* The first read of the file: a file that is not a database fails here
   * with SQLITE_NOTADB, hence CORRUPT as the fallback too. */
  stmt = folder_stmt (folder, STMT_TABLE_EXISTS, MAILSYNC_STATUS_ERROR_CORRUPT, path, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    set_sqlite_error (error, folder->db, rc, MAILSYNC_STATUS_ERROR_CORRUPT, path, "reading the schema");
  stmt_done (stmt);
  *exists = (rc == SQLITE_ROW);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static gboolean
read_db_version (SqliteFolder *folder,
                 const char   *path,
                 gint64       *version,
                 GError      **error)
{
  sqlite3_stmt *stmt;
  const char *text;
  gboolean ok = FALSE;
  int rc;

  stmt = folder_stmt (folder, STMT_DB_VERSION, MAILSYNC_STATUS_ERROR_CORRUPT, path, error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
                   "Status database %s is corrupt: no db_version in table metadata", path);
      goto out;
    }
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (error, folder->db, rc, MAILSYNC_STATUS_ERROR_CORRUPT, path, "reading db_version");
      goto out;
    }
  text = (const char *) sqlite3_column_text (stmt, 0);
  if (text == NULL ||
      !g_ascii_string_to_signed (text, 10, 1, G_MAXINT32, version, NULL))
    {
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
                   "Status database %s is corrupt: invalid db_version '%s'",
                   path, text ? text : "(null)");
      goto out;
    }
  ok = TRUE;

out:
  stmt_done (stmt);
  return ok;
}

/* Checks the schema of an open database, upgrading offlineimap's version 1
 * in place exactly as offlineimap does (new columns with their defaults),
 * so offlineimap still reads the file afterwards. */
static gboolean
check_schema (SqliteFolder *folder,
              const char   *path,
              SchemaState  *state,
              GError      **error)
{
  sqlite3 *db = folder->db;
  gboolean has_metadata = FALSE;
  gboolean has_status = FALSE;
  gint64 version = 0;

  if (!table_exists (folder, "metadata", path, &has_metadata, error) ||
      !table_exists (folder, "status", path, &has_status, error))
    return FALSE;

  if (!has_metadata && !has_status)
    {
      /* offlineimap treats a database without tables (e.g. an empty file)
       * as new and creates the schema; so do we, on the first commit. */
      *state = SCHEMA_EMPTY;
      return TRUE;
    }
  if (!has_metadata || !has_status)
    {
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
                   "Status database %s is corrupt: table %s is missing",
                   path, has_metadata ? "status" : "metadata");
      return FALSE;
    }

  if (!read_db_version (folder, path, &version, error))
    return FALSE;
  if (version > STATUS_DB_VERSION)
    {
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_VERSION_MISMATCH,
                   "Status database %s has db_version %" G_GINT64_FORMAT
                   ", newer than the supported version %d",
                   path, version, STATUS_DB_VERSION);
      return FALSE;
    }
  if (version == 1)
    {
      g_debug ("Upgrading LocalStatus cache %s from version 1 to version 2", path);
      if (!exec_sql (db, "BEGIN IMMEDIATE", MAILSYNC_STATUS_ERROR_FAILED, path, error))
        return FALSE;
      if (!exec_sql (db,
                     "ALTER TABLE status ADD mtime INTEGER DEFAULT 0;"
                     "ALTER TABLE status ADD labels VARCHAR(256) DEFAULT '';"
                     "UPDATE metadata SET value='2' WHERE key='db_version';",
                     MAILSYNC_STATUS_ERROR_CORRUPT, path, error) ||
          !exec_sql (db, "COMMIT", MAILSYNC_STATUS_ERROR_FAILED, path, error))
        {
          rollback (db);
          return FALSE;
        }
    }
  *state = SCHEMA_READY;
  return TRUE;
}

/* The last connection to close a WAL database normally checkpoints it
 * (an fsync of the log and one of the database) and deletes the -wal and
 * -shm files, which the next run creates again: two fsyncs and four file
 * creations or deletions per folder and run, for nothing. Every commit is
 * already durable in the log (synchronous=FULL), and whoever opens the
 * database next, this library, offlineimap or the sqlite3 shell, reads the
 * log, or replays it after a crash, like any WAL database. The log is still
 * checkpointed during commits once it passes wal_autocheckpoint (1000
 * pages), and cut back to journal_size_limit then, so it stays small.
 * Speed only: if this SQLite refuses either setting, nothing is lost. */
#define STATUS_WAL_SIZE_LIMIT (1024 * 1024)

static void
keep_wal_on_close (sqlite3 *db)
{
  int persist = 1;
  g_autofree char *limit = g_strdup_printf ("PRAGMA journal_size_limit=%d", STATUS_WAL_SIZE_LIMIT);

  sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  sqlite3_file_control (db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  sqlite3_exec (db, limit, NULL, NULL, NULL);
}

/* A kept log is not free either: the first connection of a process
 * rebuilds SQLite's index of the log (the -shm) by reading every frame of
 * it, so each run's open of a folder read the whole log, up to
 * wal_autocheckpoint's 1000 pages (4 MB) a folder (issue 13 item 2:
 * ~790 pread64 in one resync). A handle's first commit, when the log has
 * grown past this size, checkpoints it and truncates it to nothing
 * (wal_checkpoint(TRUNCATE): the database synced, then the log emptied),
 * so the next run's open reads at most this much log plus what this
 * handle commits; below it nothing happens and a close still costs
 * nothing, as keep_wal_on_close() wants. At the first commit, neither at
 * the open nor at the close: the unchanged-folder record
 * (sync/mailsync-sync-unchanged.c) stats the database and its log when a
 * folder's sync ends and compares them at the next run's start, so a
 * checkpoint after the record, at a close or at an open that only reads
 * (a folder whose status is looked at but not synced: remove-deleted-
 * folders' check, a run that stops before the folder), made the next
 * no-op list the folder in full. A commit changes the files anyway, and
 * comes before the folder's record. Speed only: a checkpoint that fails
 * (another process reading, say) leaves the log as it was.
 * doc/design.md "Status databases keep their WAL". */
#define STATUS_WAL_CHECKPOINT_BYTES (256 * 1024)

static gint64
wal_checkpoint_bytes (void)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  /* MAILSYNC_TEST_WAL_CHECKPOINT_BYTES: a smaller limit, for a test's few messages */
  const char *test = g_getenv ("MAILSYNC_TEST_WAL_CHECKPOINT_BYTES");
  gint64 bytes;

  if (test != NULL && g_ascii_string_to_signed (test, 10, 0, G_MAXINT64, &bytes, NULL))
    return bytes;
#endif
  return STATUS_WAL_CHECKPOINT_BYTES;
}

static void
checkpoint_big_log (sqlite3    *db,
                    const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;

  if (g_stat (wal, &st) != 0 || st.st_size <= wal_checkpoint_bytes ())
    return;
  /* never wait for another process's reader here: the next open tries again */
  sqlite3_busy_timeout (db, 0);
  sqlite3_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  sqlite3_busy_timeout (db, STATUS_BUSY_TIMEOUT_MS);
}

/* Opens (or returns the cached handle of) a folder's database. Without
 * @create a missing file is not an error: *db is set to %NULL, and nothing
 * is created, so that merely looking at a folder leaves no trace. */
static gboolean
get_db (MailsyncStatusSqlite  *self,
        MailsyncStatusSlot    *slot,
        const char            *path,
        gboolean               create,
        sqlite3              **out_db,
        SchemaState           *state,
        GError               **error)
{
  SqliteFolder *folder = slot->data;
  sqlite3 *db = folder != NULL ? folder->db : NULL;
  gboolean cached = (db != NULL);
  int flags = SQLITE_OPEN_READWRITE;
  int rc;

  *out_db = NULL;
  if (db == NULL)
    {
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          if (!create)
            return TRUE;
          if (!_mailsync_status_ensure_dir (self->base.directory, error))
            return FALSE;
          flags |= SQLITE_OPEN_CREATE;
        }
      else if (!_mailsync_status_sqlite_check_logs (path, error))
        return FALSE;

      /* Every other sqlite3 call comes after an open (mailsync-sqlite-lazy.h). */
      if (!_mailsync_sqlite_load (error))
        return FALSE;
      rc = sqlite3_open_v2 (path, &db, flags, NULL);
      if (rc != SQLITE_OK)
        {
          set_sqlite_error (error, db, rc, MAILSYNC_STATUS_ERROR_FAILED, path, "cannot open");
          sqlite3_close_v2 (db);
          return FALSE;
        }
      sqlite3_extended_result_codes (db, 1);
      sqlite3_busy_timeout (db, STATUS_BUSY_TIMEOUT_MS);
      keep_wal_on_close (db);
      folder = g_new0 (SqliteFolder, 1);
      folder->db = db;
    }

  /* Checked on every use, not only at open: the file may have been
   * replaced or damaged under a cached handle, and the check is a couple
   * of lookups in the cached schema, with statements kept by the handle. */
  if (!check_schema (folder, path, state, error))
    goto fail;

  if (!cached)
    {
      /* WAL: a commit appends to the log instead of rewriting pages, and
       * readers (offlineimap, a status viewer) do not block the writer.
       * synchronous=FULL, not NORMAL: with NORMAL the last transactions can
       * roll back after a power loss, and the engine relies on a committed
       * batch (e.g. an upload intent) being durable before it acts on the
       * server. In WAL mode FULL costs one fsync of the log per commit.
       * The journal mode is persistent, so only switch when the file holds
       * a schema (a new file is switched right after creation). */
      if (*state == SCHEMA_READY &&
          !exec_sql (db, "PRAGMA journal_mode=WAL", MAILSYNC_STATUS_ERROR_FAILED, path, error))
        goto fail;
      if (!exec_sql (db, "PRAGMA synchronous=FULL", MAILSYNC_STATUS_ERROR_FAILED, path, error))
        goto fail;
      slot->data = folder;
    }

  *out_db = db;
  return TRUE;

fail:
  if (cached)
    _mailsync_status_slot_forget (&self->base, slot);  /* closes the handle */
  else
    close_db (folder);
  return FALSE;
}

static gboolean
create_schema (sqlite3     *db,
               const char  *path,
               GError     **error)
{
  g_debug ("Creating new Local Status db %s", path);
  /* Byte for byte offlineimap's statements, so a dump of our file matches
   * one of offlineimap's. */
  if (!exec_sql (db,
                 "CREATE TABLE metadata (key VARCHAR(50) PRIMARY KEY, value VARCHAR(128));"
                 "INSERT INTO metadata VALUES('db_version', '2');"
                 "CREATE TABLE status (id INTEGER PRIMARY KEY, flags VARCHAR(50), mtime INTEGER, labels VARCHAR(256));",
                 MAILSYNC_STATUS_ERROR_FAILED, path, error))
    return FALSE;
  return TRUE;
}

/* A folder's rows into @out_records (the public load: a
 * MailsyncStatusRecord each) or @out_table (the engine's:
 * mailsync-status-table.h), whichever is asked. */
static gboolean
load_rows (MailsyncStatusStore  *store,
           const char           *folder,
           GPtrArray           **out_records,
           MailsyncStatusTable **out_table,
           GHashTable          **out_meta,
           GCancellable         *cancellable,
           GError              **error)
{
  MailsyncStatusSqlite *self = MAILSYNC_STATUS_SQLITE (store);
  g_autofree char *name = NULL;
  g_autofree char *path = _mailsync_status_base_path (&self->base, folder, &name);
  g_autoptr(GPtrArray) records = out_table == NULL ? _mailsync_status_records_new () : NULL;
  g_autoptr(MailsyncStatusTable) table = out_table != NULL ? _mailsync_status_table_new (0) : NULL;
  g_autoptr(GHashTable) meta = _mailsync_status_meta_new ();
  /* before stmt: the statement is finalized under the folder's lock */
  g_autoptr(MailsyncStatusSlot) slot = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  SchemaState state = SCHEMA_EMPTY;
  gboolean has_meta = FALSE;
  sqlite3 *db = NULL;
  int rc;

  slot = _mailsync_status_base_enter (&self->base, name, cancellable, error);
  if (slot == NULL)
    return FALSE;
  if (!get_db (self, slot, path, FALSE, &db, &state, error))
    return FALSE;
  if (db == NULL || state == SCHEMA_EMPTY)
    goto done;

  /* The rows are read in one implicit read transaction: a concurrent
   * writer's half-applied batch is never seen. */
  if (!prepare (db, "SELECT id, flags, mtime, labels FROM status ORDER BY id",
                &stmt, MAILSYNC_STATUS_ERROR_CORRUPT, path, error))
    goto fail;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      sqlite3_int64 id = sqlite3_column_int64 (stmt, 0);
      const char *flags = (const char *) sqlite3_column_text (stmt, 1);
      const char *labels = (const char *) sqlite3_column_text (stmt, 3);

      if (id < 0 || id > G_MAXUINT32)
        {
          g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
                       "Status database %s is corrupt: UID %" G_GINT64_FORMAT " out of range",
                       path, (gint64) id);
          goto fail;
        }
      /* NULL columns (rows written by version 1, or by hand) read as the
       * defaults offlineimap uses. */
      if (table != NULL)
        _mailsync_status_table_put (table, (guint32) id, flags, sqlite3_column_int64 (stmt, 2), labels);
      else
        g_ptr_array_add (records,
                         mailsync_status_record_new ((guint32) id, flags ? flags : "",
                                                     sqlite3_column_int64 (stmt, 2),
                                                     labels ? labels : ""));
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, db, rc, MAILSYNC_STATUS_ERROR_CORRUPT, path, "reading table status");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (!table_exists (slot->data, "mailsync_meta", path, &has_meta, error))
    goto fail;
  if (has_meta)
    {
      if (!prepare (db, "SELECT key, value FROM mailsync_meta", &stmt,
                    MAILSYNC_STATUS_ERROR_CORRUPT, path, error))
        goto fail;
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *key = (const char *) sqlite3_column_text (stmt, 0);
          const char *value = (const char *) sqlite3_column_text (stmt, 1);

          if (key != NULL && value != NULL)
            g_hash_table_replace (meta, g_strdup (key), g_strdup (value));
        }
      if (rc != SQLITE_DONE)
        {
          set_sqlite_error (error, db, rc, MAILSYNC_STATUS_ERROR_CORRUPT, path,
                            "reading table mailsync_meta");
          goto fail;
        }
    }

done:
  if (out_records)
    *out_records = g_steal_pointer (&records);
  if (out_table)
    *out_table = g_steal_pointer (&table);
  if (out_meta)
    *out_meta = g_steal_pointer (&meta);
  return TRUE;

fail:
  /* A handle that failed may be in any state; reopen next time. */
  g_clear_pointer (&stmt, sqlite3_finalize);
  _mailsync_status_slot_forget (&self->base, slot);
  return FALSE;
}

static gboolean
mailsync_status_sqlite_load (MailsyncStatusStore  *store,
                             const char           *folder,
                             GPtrArray           **out_records,
                             GHashTable          **out_meta,
                             GCancellable         *cancellable,
                             GError              **error)
{
  return load_rows (store, folder, out_records, NULL, out_meta, cancellable, error);
}

gboolean
_mailsync_status_sqlite_load_table (MailsyncStatusStore  *store,
                                    const char           *folder,
                                    MailsyncStatusTable **table,
                                    GHashTable          **meta,
                                    GCancellable         *cancellable,
                                    GError              **error)
{
  return load_rows (store, folder, NULL, table, meta, cancellable, error);
}

static gboolean
apply_batch (SqliteFolder         *folder,
             const char           *path,
             MailsyncStatusBatch  *batch,
             GError              **error)
{
  sqlite3 *db = folder->db;
  sqlite3_stmt *put = NULL;
  sqlite3_stmt *del = NULL;
  sqlite3_stmt *set_meta = NULL;
  sqlite3_stmt *del_meta = NULL;
  gboolean has_meta = FALSE;
  guint n = mailsync_status_batch_get_length (batch);
  guint i;
  int rc;

  for (i = 0; i < n; i++)
    {
      const MailsyncStatusRecord *record = NULL;
      const char *key = NULL;
      const char *value = NULL;
      guint32 uid = 0;
      sqlite3_stmt *stmt = NULL;

      switch (mailsync_status_batch_get_op (batch, i, &record, &uid, &key, &value))
        {
        case MAILSYNC_STATUS_OP_PUT:
          if (put == NULL &&
              (put = folder_stmt (folder, STMT_PUT, MAILSYNC_STATUS_ERROR_FAILED, path, error)) == NULL)
            return FALSE;
          stmt = put;
          sqlite3_bind_int64 (stmt, 1, record->uid);
          sqlite3_bind_text (stmt, 2, record->flags ? record->flags : "", -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 3, record->mtime);
          sqlite3_bind_text (stmt, 4, record->labels ? record->labels : "", -1, SQLITE_STATIC);
          break;

        case MAILSYNC_STATUS_OP_REMOVE:
          if (del == NULL &&
              (del = folder_stmt (folder, STMT_DEL, MAILSYNC_STATUS_ERROR_FAILED, path, error)) == NULL)
            return FALSE;
          stmt = del;
          sqlite3_bind_int64 (stmt, 1, uid);
          break;

        case MAILSYNC_STATUS_OP_SET_META:
          if (set_meta == NULL)
            {
              /* Created on demand, inside the batch's transaction, so the
               * table exists exactly when a meta entry was committed. */
              if (!table_exists (folder, "mailsync_meta", path, &has_meta, error) ||
                  (!has_meta &&
                   !exec_sql (db, "CREATE TABLE mailsync_meta (key TEXT PRIMARY KEY, value TEXT)",
                              MAILSYNC_STATUS_ERROR_FAILED, path, error)) ||
                  (set_meta = folder_stmt (folder, STMT_SET_META, MAILSYNC_STATUS_ERROR_FAILED,
                                           path, error)) == NULL ||
                  (del_meta = folder_stmt (folder, STMT_DEL_META, MAILSYNC_STATUS_ERROR_FAILED,
                                           path, error)) == NULL)
                return FALSE;
            }
          stmt = value ? set_meta : del_meta;
          sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
          if (value)
            sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
          break;

        default:
          g_assert_not_reached ();
        }

      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      if (rc != SQLITE_DONE)
        {
          set_sqlite_error (error, db, rc, MAILSYNC_STATUS_ERROR_FAILED, path, "writing");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
mailsync_status_sqlite_commit (MailsyncStatusStore  *store,
                               const char           *folder,
                               MailsyncStatusBatch  *batch,
                               GCancellable         *cancellable,
                               GError              **error)
{
  MailsyncStatusSqlite *self = MAILSYNC_STATUS_SQLITE (store);
  g_autofree char *name = NULL;
  g_autofree char *path = _mailsync_status_base_path (&self->base, folder, &name);
  g_autoptr(MailsyncStatusSlot) slot = NULL;
  SchemaState state = SCHEMA_EMPTY;
  sqlite3 *db = NULL;

  slot = _mailsync_status_base_enter (&self->base, name, cancellable, error);
  if (slot == NULL)
    return FALSE;
  if (!get_db (self, slot, path, TRUE, &db, &state, error))
    return FALSE;
  if (!((SqliteFolder *) slot->data)->log_checked)
    {
      ((SqliteFolder *) slot->data)->log_checked = TRUE;
      if (state == SCHEMA_READY)
        checkpoint_big_log (db, path);
    }

  /* BEGIN IMMEDIATE (stmt_sql) takes the write lock up front. */
  if (!exec_stmt (slot->data, STMT_BEGIN, MAILSYNC_STATUS_ERROR_FAILED, path, error))
    goto fail;
  if (state == SCHEMA_EMPTY && !create_schema (db, path, error))
    goto fail;
  if (!apply_batch (slot->data, path, batch, error))
    goto fail;
  _mailsync_crash_point ("status-sqlite-before-commit");
  if (!_mailsync_status_test_hold (name, error))
    goto fail;
  if (!exec_stmt (slot->data, STMT_COMMIT, MAILSYNC_STATUS_ERROR_FAILED, path, error))
    goto fail;
  _mailsync_crash_point ("status-sqlite-committed");

  if (state == SCHEMA_EMPTY)
    {
      /* A new file: switch it to WAL now that it holds the schema. A
       * failure here costs speed, not data. */
      sqlite3_exec (db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
      /* The new database's directory entry must survive a power loss
       * together with its content. */
      if (!_mailsync_fsync_dir (self->base.directory, error))
        return FALSE;
    }
  return TRUE;

fail:
  rollback (db);
  _mailsync_status_slot_forget (&self->base, slot);
  return FALSE;
}

static gboolean
mailsync_status_sqlite_purge (MailsyncStatusStore  *store,
                              const char           *folder,
                              GCancellable         *cancellable,
                              GError              **error)
{
  MailsyncStatusSqlite *self = MAILSYNC_STATUS_SQLITE (store);
  g_autofree char *name = NULL;
  g_autofree char *path = _mailsync_status_base_path (&self->base, folder, &name);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autofree char *journal = g_strconcat (path, "-journal", NULL);
  g_autoptr(MailsyncStatusSlot) slot = NULL;

  slot = _mailsync_status_base_enter (&self->base, name, cancellable, error);
  if (slot == NULL)
    return FALSE;
  /* Closed first (forgetting the handle closes it). The close leaves the
   * -wal and -shm files in place (keep_wal_on_close()). The main file goes
   * before them: without it, stale -wal/-shm files are ignored (and
   * overwritten) by the next database created there. */
  return _mailsync_status_base_remove (&self->base, slot,
                                       (const char *[]) { path, wal, shm, journal, NULL },
                                       error);
}

static void
mailsync_status_sqlite_store_iface_init (MailsyncStatusStoreInterface *iface)
{
  iface->load = mailsync_status_sqlite_load;
  iface->commit = mailsync_status_sqlite_commit;
  iface->purge = mailsync_status_sqlite_purge;
  iface->get_path = _mailsync_status_base_get_path;
}

static void
close_db (gpointer data)
{
  SqliteFolder *folder = data;

  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (folder->stmts[i]);
  /* _v2: statements are always finalized before we get here, but if one
   * leaked the handle would still be released when it goes. */
  sqlite3_close_v2 (folder->db);
  g_free (folder);
}

static void
mailsync_status_sqlite_class_init (MailsyncStatusSqliteClass *klass)
{
  /**
   * MailsyncStatusSqlite:directory:
   *
   * The directory holding one database per folder, e.g.
   * `<metadata>/Account-<name>/LocalStatus-sqlite`.
   *
   * Since: 0.1
   */
  _mailsync_status_base_class_init (G_OBJECT_CLASS (klass));
}

static void
mailsync_status_sqlite_init (MailsyncStatusSqlite *self)
{
  _mailsync_status_base_init (&self->base, close_db);
}

/**
 * mailsync_status_sqlite_new:
 * @directory: (type filename): the status directory of an account, e.g.
 *   `<metadata>/Account-<name>/LocalStatus-sqlite`
 *
 * Creates a status store in offlineimap's SQLite format. Nothing is read
 * or created until a folder is loaded or committed.
 *
 * Returns: (transfer full): a new #MailsyncStatusStore
 *
 * Since: 0.1
 */
MailsyncStatusStore *
mailsync_status_sqlite_new (const char *directory)
{
  g_return_val_if_fail (directory != NULL, NULL);

  return g_object_new (MAILSYNC_TYPE_STATUS_SQLITE, "directory", directory, NULL);
}
