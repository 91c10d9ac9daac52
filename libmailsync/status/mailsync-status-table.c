/* A folder's status rows for the sync engine: see mailsync-status-table.h.
 *
 * Before (session 16): the engine loaded the public way, one
 * MailsyncStatusRecord (three allocations) per row, then hashed each by
 * UID and freed all three at the end of the folder: about 12M of the 38M
 * instructions the status load cost a flags + new resync of 10 x 1,000
 * (callgrind). A table is one array and a string chunk. */
#include "config.h"

#include "status/mailsync-status-table.h"
#include "mailsync-status-plain.h"
#include "mailsync-status-sqlite.h"

#include <string.h>

struct _MailsyncStatusTable
{
  gint          ref_count;
  /* MailsyncStatusRecord, ascending UIDs; a removed row stays with
   * flags == NULL (a remove does not move the rows after it), and a put
   * of its UID takes it again */
  GArray       *rows;
  guint         n_live;
  GStringChunk *labels;       /* the labels that are not "" (NULL until one) */
  const char   *last_flags;   /* the last flags interned, and their text */
};

static const char no_text[] = "";

MailsyncStatusTable *
_mailsync_status_table_new (guint reserve)
{
  MailsyncStatusTable *table = g_new0 (MailsyncStatusTable, 1);

  table->ref_count = 1;
  table->rows = g_array_sized_new (FALSE, FALSE, sizeof (MailsyncStatusRecord), reserve);
  return table;
}

MailsyncStatusTable *
_mailsync_status_table_ref (MailsyncStatusTable *table)
{
  g_atomic_int_inc (&table->ref_count);
  return table;
}

void
_mailsync_status_table_unref (MailsyncStatusTable *table)
{
  if (table == NULL || !g_atomic_int_dec_and_test (&table->ref_count))
    return;
  g_array_unref (table->rows);
  if (table->labels != NULL)
    g_string_chunk_free (table->labels);
  g_free (table);
}

/* The flags column as an interned string: the rows of a folder repeat a
 * few values, so the last one is compared before the intern table is
 * asked (a lock and a hash). */
static const char *
intern_flags (MailsyncStatusTable *table, const char *flags)
{
  if (flags == NULL || *flags == '\0')
    return no_text;
  if (table->last_flags == NULL || strcmp (table->last_flags, flags) != 0)
    table->last_flags = g_intern_string (flags);
  return table->last_flags;
}

static const char *
copy_labels (MailsyncStatusTable *table, const char *labels)
{
  if (labels == NULL || *labels == '\0')
    return no_text;
  if (table->labels == NULL)
    table->labels = g_string_chunk_new (256);
  return g_string_chunk_insert_const (table->labels, labels);
}

#define ROW(table, i) (&g_array_index ((table)->rows, MailsyncStatusRecord, (i)))

/* Where @uid is or would go: the index of the first row whose UID is not
 * below it. */
static guint
find (MailsyncStatusTable *table, guint32 uid)
{
  guint lo = 0, hi = table->rows->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (ROW (table, mid)->uid < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

void
_mailsync_status_table_put (MailsyncStatusTable *table,
                            guint32              uid,
                            const char          *flags,
                            gint64               mtime,
                            const char          *labels)
{
  MailsyncStatusRecord row = { uid, (char *) intern_flags (table, flags), mtime,
                               (char *) copy_labels (table, labels) };
  guint len = table->rows->len;
  guint at;

  if (len == 0 || ROW (table, len - 1)->uid < uid)
    {
      g_array_append_val (table->rows, row);
      table->n_live++;
      return;
    }
  at = find (table, uid);
  if (at < len && ROW (table, at)->uid == uid)
    {
      if (ROW (table, at)->flags == NULL)
        table->n_live++;
      *ROW (table, at) = row;
      return;
    }
  g_array_insert_val (table->rows, at, row);
  table->n_live++;
}

void
_mailsync_status_table_remove (MailsyncStatusTable *table,
                               guint32              uid)
{
  guint at = find (table, uid);

  if (at < table->rows->len && ROW (table, at)->uid == uid && ROW (table, at)->flags != NULL)
    {
      ROW (table, at)->flags = NULL;
      ROW (table, at)->labels = NULL;
      table->n_live--;
    }
}

const MailsyncStatusRecord *
_mailsync_status_table_lookup (MailsyncStatusTable *table,
                               guint32              uid)
{
  guint at = find (table, uid);

  if (at < table->rows->len && ROW (table, at)->uid == uid && ROW (table, at)->flags != NULL)
    return ROW (table, at);
  return NULL;
}

gboolean
_mailsync_status_table_contains (MailsyncStatusTable *table,
                                 guint32              uid)
{
  return _mailsync_status_table_lookup (table, uid) != NULL;
}

guint
_mailsync_status_table_size (MailsyncStatusTable *table)
{
  return table->n_live;
}

gboolean
_mailsync_status_table_next (MailsyncStatusTable         *table,
                             guint                       *i,
                             const MailsyncStatusRecord **row)
{
  while (*i < table->rows->len)
    {
      const MailsyncStatusRecord *at = ROW (table, (*i)++);

      if (at->flags != NULL)
        {
          *row = at;
          return TRUE;
        }
    }
  return FALSE;
}

static gint
compare_record_uids (gconstpointer a, gconstpointer b)
{
  guint32 x = (*(MailsyncStatusRecord * const *) a)->uid, y = (*(MailsyncStatusRecord * const *) b)->uid;

  return x < y ? -1 : x > y;
}

MailsyncStatusTable *
_mailsync_status_table_new_from_records (GPtrArray *records)
{
  MailsyncStatusTable *table = _mailsync_status_table_new (records->len);
  g_autoptr(GPtrArray) sorted = NULL;
  gboolean in_order = TRUE;

  for (guint i = 1; i < records->len && in_order; i++)
    in_order = ((MailsyncStatusRecord *) records->pdata[i - 1])->uid <
               ((MailsyncStatusRecord *) records->pdata[i])->uid;
  if (!in_order)
    {
      /* a store that gives its rows in any order: sorted first, so that
       * each put appends (an insert moves the rows after it). The sort
       * is stable: of two rows of one UID the later still wins. */
      sorted = g_ptr_array_new_full (records->len, NULL);
      for (guint i = 0; i < records->len; i++)
        g_ptr_array_add (sorted, records->pdata[i]);
      g_ptr_array_sort (sorted, compare_record_uids);
      records = sorted;
    }
  for (guint i = 0; i < records->len; i++)
    {
      const MailsyncStatusRecord *record = records->pdata[i];

      _mailsync_status_table_put (table, record->uid, record->flags, record->mtime, record->labels);
    }
  return table;
}

gboolean
_mailsync_status_store_load_table (MailsyncStatusStore  *store,
                                   const char           *folder,
                                   MailsyncStatusTable **table,
                                   GHashTable          **meta,
                                   guint                *n_records,
                                   GCancellable         *cancellable,
                                   GError              **error)
{
  g_autoptr(GPtrArray) records = NULL;

  if (MAILSYNC_IS_STATUS_SQLITE (store) || MAILSYNC_IS_STATUS_PLAIN (store))
    {
      gboolean ok = MAILSYNC_IS_STATUS_SQLITE (store)
                    ? _mailsync_status_sqlite_load_table (store, folder, table, meta, cancellable, error)
                    : _mailsync_status_plain_load_table (store, folder, table, meta, cancellable, error);

      /* both give each UID once */
      if (ok)
        *n_records = _mailsync_status_table_size (*table);
      return ok;
    }
  if (!mailsync_status_store_load (store, folder, &records, meta, cancellable, error))
    return FALSE;
  *n_records = records->len;
  *table = _mailsync_status_table_new_from_records (records);
  return TRUE;
}
