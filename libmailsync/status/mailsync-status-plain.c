/* Plain-text status store: offlineimap's LocalStatus files plus a journal. */
#include "config.h"

#include "mailsync-status-plain.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-status-base.h"
#include "mailsync-status-plain-format.h"
#include "status/mailsync-status-table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/**
 * MailsyncStatusPlain:
 *
 * A #MailsyncStatusStore in offlineimap's legacy plain-text format
 * (`Account-<name>/LocalStatus/<FOLDERFILE>`), for taking over old
 * offlineimap setups and for users who want a status they can read.
 *
 * offlineimap rewrote the whole file on every change, which is quadratic
 * in the folder size. Here a folder's status is three files:
 *
 * - `<FOLDERFILE>`: offlineimap FORMAT 2 (FORMAT 1 is read too), the state
 *   as of the last fold;
 * - `<FOLDERFILE>.meta`: the engine's meta entries as of the last fold, a
 *   line `MAILSYNC-META 1` then `key=value` lines (bytes `%`, `=`, space and
 *   control characters %-escaped); absent when there is no meta entry.
 *   offlineimap has no such notion, so it is kept out of the status file;
 * - `<FOLDERFILE>.journal`: every batch committed since the last fold, one
 *   record each: a line `BATCH <payload-bytes> <sha256-of-payload>` and
 *   the payload, lines `P uid|flags|mtime|labels`, `R uid`, `M key value`
 *   (set meta) and `U key` (unset meta), keys and values escaped as above.
 *
 * A commit appends one record to the journal and fsyncs it: that is the
 * commit point. A crash during the append leaves a short or mismatching
 * last record, which was never committed and is ignored (and cut off by
 * the next append). A damaged record followed by more data is corruption,
 * reported as such.
 *
 * Once the journal outgrows the status (see should_fold()), the next
 * commit folds it before it appends (a fold that fails fails that commit):
 * status file and meta file are replaced atomically (tmp + fsync + rename +
 * directory fsync), then the journal is removed. Every journal operation
 * sets a key to a value, so replaying the whole journal over the old or
 * the new files gives the same result: a crash at any point of the fold
 * loses nothing, and a replay twice is harmless. The end of a folder's
 * completed sync folds too when the journal holds rows: offlineimap reads
 * only the status file.
 *
 * Since: 0.1
 */

#define JOURNAL_SUFFIX ".journal"
#define META_SUFFIX ".meta"

/* Fold when the journal holds more operations than the folder has records
 * (folding then costs at most one write of the file per operation logged,
 * amortised O(1)), but not for tiny folders, and at the latest at 1 MiB so
 * a replay at load stays fast. */
#define FOLD_MIN_OPS 256
#define FOLD_MAX_BYTES (1024 * 1024)

struct _MailsyncStatusPlain
{
  GObject     parent_instance;

  /* Its slots' data: the folder's PlainFolder. Under the folder's lock,
   * as a commit must see and extend the journal it parsed; each folder
   * has its own files, so two folders' appends and fsyncs run at once. */
  MailsyncStatusBase base;
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (MailsyncStatusPlain, base) == sizeof (GObject));

static void mailsync_status_plain_store_iface_init (MailsyncStatusStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MailsyncStatusPlain, mailsync_status_plain, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MAILSYNC_TYPE_STATUS_STORE,
                                                      mailsync_status_plain_store_iface_init))

typedef struct
{
  char *name;                   /* folder file name, the cache key */
  char *path;                   /* the offlineimap status file */
  char *journal;
  char *meta;
} PlainPaths;

static void
plain_paths_clear (PlainPaths *paths)
{
  g_free (paths->name);
  g_free (paths->path);
  g_free (paths->journal);
  g_free (paths->meta);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PlainPaths, plain_paths_clear)

static void
plain_paths_init (MailsyncStatusPlain *self,
                  const char          *folder,
                  PlainPaths          *paths)
{
  paths->path = _mailsync_status_base_path (&self->base, folder, &paths->name);
  paths->journal = g_strconcat (paths->path, JOURNAL_SUFFIX, NULL);
  paths->meta = g_strconcat (paths->path, META_SUFFIX, NULL);
}

/* The public load (@records) or the engine's (@table) */
static gboolean
load_rows (MailsyncStatusStore  *store,
           const char           *folder_name,
           GPtrArray           **records,
           MailsyncStatusTable **table,
           GHashTable          **meta,
           GCancellable         *cancellable,
           GError              **error)
{
  MailsyncStatusPlain *self = MAILSYNC_STATUS_PLAIN (store);
  g_auto(PlainPaths) paths = { NULL, };
  g_autoptr(MailsyncStatusSlot) slot = NULL;
  PlainFolder *folder;

  plain_paths_init (self, folder_name, &paths);
  slot = _mailsync_status_base_enter (&self->base, paths.name, cancellable, error);
  if (slot == NULL)
    return FALSE;

  /* Always from disk: load() is where a store picks up what a previous
   * process (or a crash) left. */
  _mailsync_status_slot_forget (&self->base, slot);
  folder = _mailsync_status_plain_read_folder (paths.path, paths.meta, paths.journal, error);
  if (folder == NULL)
    return FALSE;
  slot->data = folder;

  if (records)
    *records = _mailsync_status_rows_sorted (&folder->rows, TRUE);
  if (table)
    *table = _mailsync_status_rows_table (&folder->rows);
  if (meta)
    *meta = _mailsync_status_rows_dup_meta (&folder->rows);
  return TRUE;
}

static gboolean
mailsync_status_plain_load (MailsyncStatusStore *store, const char *folder_name, GPtrArray **records,
                            GHashTable **meta, GCancellable *cancellable, GError **error)
{
  return load_rows (store, folder_name, records, NULL, meta, cancellable, error);
}

gboolean
_mailsync_status_plain_load_table (MailsyncStatusStore *store, const char *folder_name, MailsyncStatusTable **table,
                                   GHashTable **meta, GCancellable *cancellable, GError **error)
{
  return load_rows (store, folder_name, NULL, table, meta, cancellable, error);
}

static gboolean
serialize_batch (const PlainPaths     *paths,
                 MailsyncStatusBatch  *batch,
                 GString              *out,
                 guint                *row_ops,
                 GError              **error)
{
  guint n = mailsync_status_batch_get_length (batch);
  guint i;

  for (i = 0; i < n; i++)
    {
      const MailsyncStatusRecord *record = NULL;
      const char *key = NULL;
      const char *value = NULL;
      guint32 uid = 0;

      switch (mailsync_status_batch_get_op (batch, i, &record, &uid, &key, &value))
        {
        case MAILSYNC_STATUS_OP_PUT:
          /* The format has no escaping: refuse what it cannot hold rather
           * than write a file that reads back differently. */
          if (strpbrk (record->flags, "|\n\r") != NULL ||
              strpbrk (record->labels, "\n\r") != NULL)
            {
              g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_FAILED,
                           "Cannot store UID %u in status file %s: flags or labels contain "
                           "a character the format cannot hold", record->uid, paths->path);
              return FALSE;
            }
          g_string_append_printf (out, "P %u|%s|%" G_GINT64_FORMAT "|%s\n",
                                  record->uid, record->flags, record->mtime, record->labels);
          (*row_ops)++;
          break;
        case MAILSYNC_STATUS_OP_REMOVE:
          g_string_append_printf (out, "R %u\n", uid);
          (*row_ops)++;
          break;
        case MAILSYNC_STATUS_OP_SET_META:
          if (key == NULL || *key == '\0')
            {
              g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_FAILED,
                           "Cannot store an empty meta key in status file %s", paths->path);
              return FALSE;
            }
          g_string_append_c (out, value ? 'M' : 'U');
          g_string_append_c (out, ' ');
          _mailsync_status_plain_append_escaped (out, key);
          if (value)
            {
              g_string_append_c (out, ' ');
              _mailsync_status_plain_append_escaped (out, value);
            }
          g_string_append_c (out, '\n');
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length,
           off_t        offset)
{
  while (length > 0)
    {
      ssize_t n = pwrite (fd, data, length, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= n;
      offset += n;
    }
  return TRUE;
}

/* Appends one record at the end of the committed part of the journal; on
 * return with %TRUE it is durable. */
static gboolean
append_journal (MailsyncStatusPlain  *self,
                const PlainPaths     *paths,
                PlainFolder          *folder,
                const GString        *payload,
                GError              **error)
{
  g_autofree char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                      (const guchar *) payload->str,
                                                      payload->len);
  g_autofree char *header = g_strdup_printf ("BATCH %" G_GSIZE_FORMAT " %s\n", payload->len, sum);
  gsize header_length = strlen (header);
  gboolean existed;
  int saved_errno;
  int fd;

  if (!_mailsync_status_ensure_dir (self->base.directory, error))
    return FALSE;

  existed = g_file_test (paths->journal, G_FILE_TEST_EXISTS);
  fd = open (paths->journal, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot open", paths->journal);
      return FALSE;
    }

  /* Cut off a torn record a crash may have left, else the new record
   * would follow garbage and never be read back. */
  if (ftruncate (fd, folder->journal_length) < 0 ||
      !write_all (fd, header, header_length, folder->journal_length))
    goto fail;
  /* The half-written record a crash here leaves must be ignored on load. */
  _mailsync_crash_point ("status-plain-journal-torn");
  if (!write_all (fd, payload->str, payload->len, folder->journal_length + header_length))
    goto fail;
  if (!_mailsync_status_test_hold (paths->name, error))
    {
      /* nothing of the record counts: cut it off, like a failed write */
      if (ftruncate (fd, folder->journal_length) == 0)
        fsync (fd);
      close (fd);
      return FALSE;
    }
  if (fsync (fd) < 0)
    goto fail;
  close (fd);

  /* A new journal is only there after a crash if its directory entry is. */
  if (!existed && !_mailsync_fsync_dir (self->base.directory, error))
    return FALSE;

  folder->journal_length += header_length + payload->len;
  return TRUE;

fail:
  saved_errno = errno ? errno : EIO;
  /* Best effort: leave no partial record (it would be ignored anyway). */
  if (ftruncate (fd, folder->journal_length) == 0)
    fsync (fd);
  close (fd);
  _mailsync_set_error_from_errno (error, saved_errno, "Cannot append to", paths->journal);
  return FALSE;
}

static gboolean
should_fold (PlainFolder *folder)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  /* The crash tests fold often, to crash inside folds (a test hook:
   * configure --enable-test-hooks, never read by a release). */
  const char *test_min = g_getenv ("MAILSYNC_TEST_FOLD_EVERY");

  if (test_min != NULL)
    return folder->journal_ops >= g_ascii_strtoull (test_min, NULL, 10);
#endif
  return folder->journal_ops >= MAX (g_hash_table_size (folder->rows.records), FOLD_MIN_OPS) ||
         folder->journal_length >= FOLD_MAX_BYTES;
}

/* Writes the folder's state into the status and meta files, then drops
 * the journal. The journal goes last: until then a crash replays it over
 * whatever mix of old and new files exists, with the same result. */
static gboolean
fold (MailsyncStatusPlain  *self,
      const PlainPaths     *paths,
      PlainFolder          *folder,
      GError              **error)
{
  g_autoptr(GPtrArray) records = _mailsync_status_rows_sorted (&folder->rows, FALSE);
  g_autoptr(GString) text = g_string_new (PLAIN_MAGIC_PREFIX G_STRINGIFY (PLAIN_FORMAT) "\n");
  g_autoptr(GList) keys = NULL;
  GList *l;
  guint i;

  for (i = 0; i < records->len; i++)
    {
      const MailsyncStatusRecord *record = records->pdata[i];

      g_string_append_printf (text, "%u|%s|%" G_GINT64_FORMAT "|%s\n",
                              record->uid, record->flags, record->mtime, record->labels);
    }
  if (!_mailsync_write_file_atomic (paths->path, text->str, text->len, error))
    return FALSE;
  _mailsync_crash_point ("status-plain-fold-status-written");

  if (g_hash_table_size (folder->rows.meta) > 0)
    {
      g_string_assign (text, META_MAGIC_PREFIX G_STRINGIFY (META_FORMAT) "\n");
      keys = g_list_sort (g_hash_table_get_keys (folder->rows.meta), (GCompareFunc) strcmp);
      for (l = keys; l != NULL; l = l->next)
        {
          _mailsync_status_plain_append_escaped (text, l->data);
          g_string_append_c (text, '=');
          _mailsync_status_plain_append_escaped (text, g_hash_table_lookup (folder->rows.meta, l->data));
          g_string_append_c (text, '\n');
        }
      if (!_mailsync_write_file_atomic (paths->meta, text->str, text->len, error))
        return FALSE;
    }
  else if (!_mailsync_status_unlink (paths->meta, error) ||
           !_mailsync_fsync_dir (self->base.directory, error))
    return FALSE;
  _mailsync_crash_point ("status-plain-folded");

  if (!_mailsync_status_unlink (paths->journal, error) ||
      !_mailsync_fsync_dir (self->base.directory, error))
    return FALSE;
  folder->journal_length = 0;
  folder->journal_ops = 0;
  folder->journal_row_ops = 0;
  folder->status_exists = TRUE;
  _mailsync_crash_point ("status-plain-journal-removed");
  return TRUE;
}

static gboolean
mailsync_status_plain_commit (MailsyncStatusStore  *store,
                              const char           *folder_name,
                              MailsyncStatusBatch  *batch,
                              GCancellable         *cancellable,
                              GError              **error)
{
  MailsyncStatusPlain *self = MAILSYNC_STATUS_PLAIN (store);
  g_auto(PlainPaths) paths = { NULL, };
  g_autoptr(MailsyncStatusSlot) slot = NULL;
  g_autoptr(GString) payload = g_string_new (NULL);
  PlainFolder *folder;
  guint row_ops = 0;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  plain_paths_init (self, folder_name, &paths);
  if (!serialize_batch (&paths, batch, payload, &row_ops, error))
    return FALSE;

  slot = _mailsync_status_base_enter (&self->base, paths.name, NULL, error);
  folder = slot->data;
  if (folder == NULL)
    {
      /* Committing without a load: the journal must still be parsed, to
       * know where its committed part ends. */
      folder = _mailsync_status_plain_read_folder (paths.path, paths.meta, paths.journal, error);
      if (folder == NULL)
        return FALSE;
      slot->data = folder;
    }

  /* A fold that is due goes first, before anything of the batch is
   * written: a fold that cannot complete (a full disk, a directory made
   * read-only) fails this commit with its error, which the engine reports
   * like any failed commit, and the journal, all that was committed, stays
   * valid. After the append the batch would be committed already, and
   * its commit could report the failure to no one. */
  if (should_fold (folder) && !fold (self, &paths, folder, error))
    {
      g_prefix_error (error, "Cannot fold the status journal of %s: ", paths.path);
      return FALSE;
    }
  if (!append_journal (self, &paths, folder, payload, error))
    return FALSE;
  _mailsync_crash_point ("status-plain-journal-appended");
  folder->journal_ops += _mailsync_status_rows_apply (&folder->rows, batch);
  folder->journal_row_ops += row_ops;
  return TRUE;
}

/* The end of a folder's completed sync: a journal holding rows the status
 * file (all offlineimap reads) lacks, or a missing file, is folded. Not a
 * folder this store has not read, nor a journal of meta entries only:
 * a run that commits nothing (a no-op) writes nothing. */
gboolean
_mailsync_status_plain_checkpoint (MailsyncStatusStore  *store,
                                   const char           *folder_name,
                                   GError              **error)
{
  MailsyncStatusPlain *self = MAILSYNC_STATUS_PLAIN (store);
  g_auto(PlainPaths) paths = { NULL, };
  g_autoptr(MailsyncStatusSlot) slot = NULL;
  PlainFolder *folder;

  plain_paths_init (self, folder_name, &paths);
  slot = _mailsync_status_base_enter (&self->base, paths.name, NULL, error);
  if (slot == NULL)
    return FALSE;
  folder = slot->data;
  if (folder == NULL || folder->journal_length == 0 || (folder->journal_row_ops == 0 && folder->status_exists))
    return TRUE;
  if (!fold (self, &paths, folder, error))
    {
      g_prefix_error (error, "Cannot fold the status journal of %s: ", paths.path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
mailsync_status_plain_purge (MailsyncStatusStore  *store,
                             const char           *folder_name,
                             GCancellable         *cancellable,
                             GError              **error)
{
  MailsyncStatusPlain *self = MAILSYNC_STATUS_PLAIN (store);
  g_auto(PlainPaths) paths = { NULL, };
  g_autoptr(MailsyncStatusSlot) slot = NULL;

  plain_paths_init (self, folder_name, &paths);
  slot = _mailsync_status_base_enter (&self->base, paths.name, cancellable, error);
  if (slot == NULL)
    return FALSE;
  /* Journal first: a journal left behind after a crash would otherwise
   * resurrect its records over an empty status. */
  return _mailsync_status_base_remove (&self->base, slot,
                                       (const char *[]) { paths.journal, paths.path, paths.meta, NULL },
                                       error);
}

static void
mailsync_status_plain_store_iface_init (MailsyncStatusStoreInterface *iface)
{
  iface->load = mailsync_status_plain_load;
  iface->commit = mailsync_status_plain_commit;
  iface->purge = mailsync_status_plain_purge;
  iface->get_path = _mailsync_status_base_get_path;
}

static void
mailsync_status_plain_class_init (MailsyncStatusPlainClass *klass)
{
  /**
   * MailsyncStatusPlain:directory:
   *
   * The directory holding one status file per folder, e.g.
   * `<metadata>/Account-<name>/LocalStatus`.
   *
   * Since: 0.1
   */
  _mailsync_status_base_class_init (G_OBJECT_CLASS (klass));
}

static void
mailsync_status_plain_init (MailsyncStatusPlain *self)
{
  _mailsync_status_base_init (&self->base, (GDestroyNotify) _mailsync_status_plain_folder_free);
}

/**
 * mailsync_status_plain_new:
 * @directory: (type filename): the status directory of an account, e.g.
 *   `<metadata>/Account-<name>/LocalStatus`
 *
 * Creates a status store in offlineimap's plain-text format (FORMAT 2
 * written, FORMAT 1 read), made cheap to commit to by a journal. Nothing
 * is read or created until a folder is loaded or committed.
 *
 * Returns: (transfer full): a new #MailsyncStatusStore
 *
 * Since: 0.1
 */
MailsyncStatusStore *
mailsync_status_plain_new (const char *directory)
{
  g_return_val_if_fail (directory != NULL, NULL);

  return g_object_new (MAILSYNC_TYPE_STATUS_PLAIN, "directory", directory, NULL);
}
