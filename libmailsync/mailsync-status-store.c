#include "config.h"

#include "mailsync-status-store.h"

#include <string.h>

/**
 * MailsyncStatusStore:
 *
 * Remembers, per folder, which messages were on both sides at the end of
 * the last sync and with which flags: the "base" of the three-way merge.
 * Implementations: #MailsyncStatusSqlite and #MailsyncStatusPlain, both in
 * offlineimap's on-disk formats.
 *
 * Since: 0.1
 */

G_DEFINE_BOXED_TYPE (MailsyncStatusRecord, mailsync_status_record,
                     mailsync_status_record_copy, mailsync_status_record_free)

/**
 * mailsync_status_record_new:
 * @uid: remote UID
 * @flags: (nullable): sorted Maildir flag letters
 * @mtime: label mtime, 0 if unused
 * @labels: (nullable): labels, "" if unused
 *
 * Creates a status record: what the status remembers of one message synced
 * on both sides.
 *
 * Returns: (transfer full): a new record
 *
 * Since: 0.1
 */
MailsyncStatusRecord *
mailsync_status_record_new (guint32     uid,
                            const char *flags,
                            gint64      mtime,
                            const char *labels)
{
  MailsyncStatusRecord *record = g_new0 (MailsyncStatusRecord, 1);

  record->uid = uid;
  record->flags = g_strdup (flags ? flags : "");
  record->mtime = mtime;
  record->labels = g_strdup (labels ? labels : "");
  return record;
}

/**
 * mailsync_status_record_copy:
 * @record: a record
 *
 * Copies a record.
 *
 * Returns: (transfer full): a copy of @record
 *
 * Since: 0.1
 */
MailsyncStatusRecord *
mailsync_status_record_copy (const MailsyncStatusRecord *record)
{
  return mailsync_status_record_new (record->uid, record->flags, record->mtime, record->labels);
}

/**
 * mailsync_status_record_free:
 * @record: (nullable): a record
 *
 * Frees @record.
 *
 * Since: 0.1
 */
void
mailsync_status_record_free (MailsyncStatusRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->flags);
  g_free (record->labels);
  g_free (record);
}

typedef struct
{
  MailsyncStatusOpKind kind;
  MailsyncStatusRecord *record; /* PUT */
  guint32 uid;                  /* REMOVE */
  char *key;                    /* SET_META */
  char *value;                  /* SET_META, NULL = unset */
} StatusOp;

struct _MailsyncStatusBatch
{
  gatomicrefcount ref_count;
  GArray *ops;
};

G_DEFINE_BOXED_TYPE (MailsyncStatusBatch, mailsync_status_batch,
                     mailsync_status_batch_ref, mailsync_status_batch_unref)

static void
status_op_clear (gpointer data)
{
  StatusOp *op = data;

  mailsync_status_record_free (op->record);
  g_free (op->key);
  g_free (op->value);
}

/**
 * mailsync_status_batch_new:
 *
 * Creates an empty batch of status changes, to fill with
 * mailsync_status_batch_put() and the other adders and apply at once with
 * mailsync_status_store_commit().
 *
 * Returns: (transfer full): an empty batch
 *
 * Since: 0.1
 */
MailsyncStatusBatch *
mailsync_status_batch_new (void)
{
  MailsyncStatusBatch *batch = g_new0 (MailsyncStatusBatch, 1);

  g_atomic_ref_count_init (&batch->ref_count);
  batch->ops = g_array_new (FALSE, TRUE, sizeof (StatusOp));
  g_array_set_clear_func (batch->ops, status_op_clear);
  return batch;
}

/**
 * mailsync_status_batch_ref:
 * @batch: a batch
 *
 * Takes a reference to @batch.
 *
 * Returns: (transfer full): @batch
 *
 * Since: 0.1
 */
MailsyncStatusBatch *
mailsync_status_batch_ref (MailsyncStatusBatch *batch)
{
  g_atomic_ref_count_inc (&batch->ref_count);
  return batch;
}

/**
 * mailsync_status_batch_unref:
 * @batch: (transfer full): a batch
 *
 * Drops a reference.
 *
 * Since: 0.1
 */
void
mailsync_status_batch_unref (MailsyncStatusBatch *batch)
{
  if (g_atomic_ref_count_dec (&batch->ref_count))
    {
      g_array_unref (batch->ops);
      g_free (batch);
    }
}

/**
 * mailsync_status_batch_put:
 * @batch: a batch
 * @uid: remote UID
 * @flags: sorted Maildir flag letters
 * @mtime: label mtime
 * @labels: (nullable): labels
 *
 * Adds "insert or replace the record of @uid".
 *
 * Since: 0.1
 */
void
mailsync_status_batch_put (MailsyncStatusBatch *batch,
                           guint32              uid,
                           const char          *flags,
                           gint64               mtime,
                           const char          *labels)
{
  StatusOp op = { MAILSYNC_STATUS_OP_PUT, mailsync_status_record_new (uid, flags, mtime, labels), uid, NULL, NULL };

  g_array_append_val (batch->ops, op);
}

/**
 * mailsync_status_batch_remove:
 * @batch: a batch
 * @uid: remote UID
 *
 * Adds "forget @uid".
 *
 * Since: 0.1
 */
void
mailsync_status_batch_remove (MailsyncStatusBatch *batch,
                              guint32              uid)
{
  StatusOp op = { MAILSYNC_STATUS_OP_REMOVE, NULL, uid, NULL, NULL };

  g_array_append_val (batch->ops, op);
}

/**
 * mailsync_status_batch_set_meta:
 * @batch: a batch
 * @key: meta key
 * @value: (nullable): value, %NULL to remove the key
 *
 * Adds a change of the engine's bookkeeping for the folder.
 *
 * Since: 0.1
 */
void
mailsync_status_batch_set_meta (MailsyncStatusBatch *batch,
                                const char          *key,
                                const char          *value)
{
  StatusOp op = { MAILSYNC_STATUS_OP_SET_META, NULL, 0, g_strdup (key), g_strdup (value) };

  g_array_append_val (batch->ops, op);
}

/**
 * mailsync_status_batch_get_length:
 * @batch: a batch
 *
 * Gets the number of changes in the batch, for
 * mailsync_status_batch_get_op().
 *
 * Returns: the number of changes
 *
 * Since: 0.1
 */
guint
mailsync_status_batch_get_length (MailsyncStatusBatch *batch)
{
  return batch->ops->len;
}

/**
 * mailsync_status_batch_get_op:
 * @batch: a batch
 * @index: which change
 * @record: (out) (optional) (transfer none) (nullable): the record of a PUT
 * @uid: (out) (optional): the UID of a PUT or REMOVE
 * @key: (out) (optional) (transfer none) (nullable): the key of a SET_META
 * @value: (out) (optional) (transfer none) (nullable): the value of a SET_META
 *
 * Reads one change; used by store implementations.
 *
 * Returns: the kind of change
 *
 * Since: 0.1
 */
MailsyncStatusOpKind
mailsync_status_batch_get_op (MailsyncStatusBatch         *batch,
                              guint                        index,
                              const MailsyncStatusRecord **record,
                              guint32                     *uid,
                              const char                 **key,
                              const char                 **value)
{
  StatusOp *op;

  g_return_val_if_fail (index < batch->ops->len, MAILSYNC_STATUS_OP_PUT);
  op = &g_array_index (batch->ops, StatusOp, index);
  if (record)
    *record = op->record;
  if (uid)
    *uid = op->uid;
  if (key)
    *key = op->key;
  if (value)
    *value = op->value;
  return op->kind;
}

G_DEFINE_INTERFACE (MailsyncStatusStore, mailsync_status_store, G_TYPE_OBJECT)

static void
mailsync_status_store_default_init (MailsyncStatusStoreInterface *iface)
{
}

/**
 * mailsync_status_store_load:
 * @self: a status store
 * @folder: status folder name
 * @records: (out) (transfer container) (element-type MailsyncStatusRecord): the records
 * @meta: (out) (transfer container) (element-type utf8 utf8): the meta entries
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads a folder's status. A folder never synced is empty; a damaged status
 * is an error naming the file, never an empty result.
 *
 * Both containers free their elements when they are freed (a
 * #GPtrArray free function, #GHashTable destroy functions): the caller
 * owns the container and frees it once. That is (transfer container), not
 * (transfer full): with full, a binding would free each element itself
 * and then the container would free them again.
 *
 * The load virtual method is (transfer full) instead: a store written in
 * a binding builds both containers without free functions and gives the
 * caller its elements; this function then makes the containers own them
 * (see bindings/gir-fixup.awk).
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_status_store_load (MailsyncStatusStore  *self,
                            const char           *folder,
                            GPtrArray           **records,
                            GHashTable          **meta,
                            GCancellable         *cancellable,
                            GError              **error)
{
  g_return_val_if_fail (MAILSYNC_IS_STATUS_STORE (self), FALSE);
  g_return_val_if_fail (folder != NULL, FALSE);
  if (!MAILSYNC_STATUS_STORE_GET_IFACE (self)->load (self, folder, records, meta, cancellable, error))
    return FALSE;
  /* The vfunc gave us the elements (transfer full); containers a binding
   * built have no free functions: the records array gets one, and the
   * meta entries move to a table with destroy functions (stolen, so a
   * table that had them does not free them on the way). */
  if (records != NULL && *records != NULL)
    g_ptr_array_set_free_func (*records, (GDestroyNotify) mailsync_status_record_free);
  if (meta != NULL && *meta != NULL)
    {
      GHashTable *owned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, *meta);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_hash_table_iter_steal (&iter);
          g_hash_table_replace (owned, key, value);
        }
      g_hash_table_unref (*meta);
      *meta = owned;
    }
  return TRUE;
}

/**
 * mailsync_status_store_commit:
 * @self: a status store
 * @folder: status folder name
 * @batch: the changes
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Applies @batch atomically and durably.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_status_store_commit (MailsyncStatusStore  *self,
                              const char           *folder,
                              MailsyncStatusBatch  *batch,
                              GCancellable         *cancellable,
                              GError              **error)
{
  g_return_val_if_fail (MAILSYNC_IS_STATUS_STORE (self), FALSE);
  if (mailsync_status_batch_get_length (batch) == 0)
    return TRUE;
  return MAILSYNC_STATUS_STORE_GET_IFACE (self)->commit (self, folder, batch, cancellable, error);
}

/**
 * mailsync_status_store_purge:
 * @self: a status store
 * @folder: status folder name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Forgets everything about @folder.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_status_store_purge (MailsyncStatusStore  *self,
                             const char           *folder,
                             GCancellable         *cancellable,
                             GError              **error)
{
  g_return_val_if_fail (MAILSYNC_IS_STATUS_STORE (self), FALSE);
  return MAILSYNC_STATUS_STORE_GET_IFACE (self)->purge (self, folder, cancellable, error);
}

/**
 * mailsync_status_store_get_path:
 * @self: a status store
 * @folder: status folder name
 *
 * Gets where a folder's status is kept, for messages that name it.
 *
 * Returns: (transfer full): the file that holds @folder's status
 *
 * Since: 0.1
 */
char *
mailsync_status_store_get_path (MailsyncStatusStore *self,
                                const char          *folder)
{
  g_return_val_if_fail (MAILSYNC_IS_STATUS_STORE (self), NULL);
  return MAILSYNC_STATUS_STORE_GET_IFACE (self)->get_path (self, folder);
}

/**
 * mailsync_status_folder_file_name:
 * @folder: a status folder name
 *
 * offlineimap's file name for a folder's status: every '/' becomes '.', and
 * a name that is then "." (the root folder "" included) becomes "dot".
 *
 * Returns: (transfer full): the file name
 *
 * Since: 0.1
 */
char *
mailsync_status_folder_file_name (const char *folder)
{
  g_autofree char *name = g_strdup (folder);
  gsize len;

  len = strlen (name);
  if (len == 0 || strcmp (name, ".") == 0)
    return g_strdup ("dot");
  if (len >= 2 && g_str_has_suffix (name, "/."))
    {
      name[len - 1] = '\0';
      g_strdelimit (name, "/", '.');
      return g_strconcat (name, "dot", NULL);
    }
  g_strdelimit (name, "/", '.');
  return g_steal_pointer (&name);
}
