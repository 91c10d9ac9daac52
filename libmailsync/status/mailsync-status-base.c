/* What the status stores share: see mailsync-status-base.h. */
#include "config.h"

#include "mailsync-status-base.h"
#include "mailsync-status-plain.h"
#include "mailsync-status-sqlite.h"
#include "mailsync-private.h"

#include <errno.h>
#include <glib/gstdio.h>

enum
{
  PROP_0,
  PROP_DIRECTORY,
  N_PROPS
};

static void
status_base_finalize (GObject *object)
{
  MailsyncStatusBase *base = _MAILSYNC_STATUS_BASE (object);
  /* Both stores are final types: the parent of the object's own class is
   * the class to chain up to. */
  GObjectClass *parent_class = g_type_class_peek_parent (G_OBJECT_GET_CLASS (object));

  g_hash_table_unref (base->cache);
  g_mutex_clear (&base->lock);
  g_free (base->directory);

  parent_class->finalize (object);
}

static void
status_base_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MailsyncStatusBase *base = _MAILSYNC_STATUS_BASE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, base->directory);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
status_base_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  MailsyncStatusBase *base = _MAILSYNC_STATUS_BASE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_free (base->directory);
      base->directory = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

void
_mailsync_status_base_class_init (GObjectClass *klass)
{
  klass->finalize = status_base_finalize;
  klass->get_property = status_base_get_property;
  klass->set_property = status_base_set_property;

  g_object_class_install_property (klass, PROP_DIRECTORY,
                                   g_param_spec_string ("directory", NULL, NULL, NULL,
                                                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                        G_PARAM_STATIC_STRINGS));
}

void
_mailsync_status_base_init (MailsyncStatusBase *base,
                            GDestroyNotify      cache_free)
{
  g_mutex_init (&base->lock);
  base->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cache_free);
}

char *
_mailsync_status_base_path (MailsyncStatusBase  *base,
                            const char          *folder,
                            char               **name)
{
  g_autofree char *file_name = mailsync_status_folder_file_name (folder);
  char *path = g_build_filename (base->directory, file_name, NULL);

  if (name != NULL)
    *name = g_steal_pointer (&file_name);
  return path;
}

char *
_mailsync_status_base_get_path (MailsyncStatusStore *store,
                                const char          *folder)
{
  return _mailsync_status_base_path (_MAILSYNC_STATUS_BASE (store), folder, NULL);
}

void
_mailsync_status_store_release (MailsyncStatusStore *store,
                                const char          *folder)
{
  MailsyncStatusBase *base;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  if (!MAILSYNC_IS_STATUS_SQLITE (store) && !MAILSYNC_IS_STATUS_PLAIN (store))
    return;
  base = _MAILSYNC_STATUS_BASE (store);
  path = _mailsync_status_base_path (base, folder, &name);
  g_mutex_lock (&base->lock);
  g_hash_table_remove (base->cache, name);
  g_mutex_unlock (&base->lock);
}

GMutexLocker *
_mailsync_status_base_lock (MailsyncStatusBase  *base,
                            GCancellable        *cancellable,
                            GError             **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return g_mutex_locker_new (&base->lock);
}

gboolean
_mailsync_status_base_remove (MailsyncStatusBase  *base,
                              const char          *name,
                              const char * const  *paths,
                              GError             **error)
{
  g_hash_table_remove (base->cache, name);
  for (; *paths != NULL; paths++)
    if (!_mailsync_status_unlink (*paths, error))
      return FALSE;
  if (g_file_test (base->directory, G_FILE_TEST_IS_DIR))
    return _mailsync_fsync_dir (base->directory, error);
  return TRUE;
}

GPtrArray *
_mailsync_status_records_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) mailsync_status_record_free);
}

GHashTable *
_mailsync_status_meta_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
_mailsync_status_rows_init (MailsyncStatusRows *rows)
{
  rows->records = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                         (GDestroyNotify) mailsync_status_record_free);
  rows->meta = _mailsync_status_meta_new ();
}

void
_mailsync_status_rows_clear (MailsyncStatusRows *rows)
{
  g_clear_pointer (&rows->records, g_hash_table_unref);
  g_clear_pointer (&rows->meta, g_hash_table_unref);
}

void
_mailsync_status_rows_put (MailsyncStatusRows   *rows,
                           MailsyncStatusRecord *record)
{
  g_hash_table_replace (rows->records, GUINT_TO_POINTER (record->uid), record);
}

guint
_mailsync_status_rows_apply (MailsyncStatusRows  *rows,
                             MailsyncStatusBatch *batch)
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
          _mailsync_status_rows_put (rows, mailsync_status_record_copy (record));
          break;
        case MAILSYNC_STATUS_OP_REMOVE:
          g_hash_table_remove (rows->records, GUINT_TO_POINTER (uid));
          break;
        case MAILSYNC_STATUS_OP_SET_META:
          if (value)
            g_hash_table_replace (rows->meta, g_strdup (key), g_strdup (value));
          else
            g_hash_table_remove (rows->meta, key);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return n;
}

static int
compare_records (gconstpointer a,
                 gconstpointer b)
{
  const MailsyncStatusRecord *ra = *(const MailsyncStatusRecord * const *) a;
  const MailsyncStatusRecord *rb = *(const MailsyncStatusRecord * const *) b;

  return (ra->uid > rb->uid) - (ra->uid < rb->uid);
}

GPtrArray *
_mailsync_status_rows_sorted (MailsyncStatusRows *rows,
                              gboolean            copy)
{
  GPtrArray *array = g_ptr_array_new_full (g_hash_table_size (rows->records),
                                           copy ? (GDestroyNotify) mailsync_status_record_free : NULL);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, rows->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (array, copy ? mailsync_status_record_copy (value) : value);
  g_ptr_array_sort (array, compare_records);
  return array;
}

GHashTable *
_mailsync_status_rows_dup_meta (MailsyncStatusRows *rows)
{
  GHashTable *copy = _mailsync_status_meta_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, rows->meta);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
  return copy;
}

gboolean
_mailsync_status_all_zero (const void *p,
                           gsize       length)
{
  const guchar *bytes = p;
  gsize i;

  for (i = 0; i < length; i++)
    if (bytes[i] != 0)
      return FALSE;
  return TRUE;
}

gboolean
_mailsync_status_ensure_dir (const char  *directory,
                             GError     **error)
{
  g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = g_strdup (directory);
  guint i;

  if (g_file_test (directory, G_FILE_TEST_IS_DIR))
    return TRUE;

  /* Remember which ancestors are missing: each of their parents gained an
   * entry and needs an fsync. */
  while (!g_file_test (dir, G_FILE_TEST_EXISTS))
    {
      char *parent = g_path_get_dirname (dir);

      g_ptr_array_add (created, g_steal_pointer (&dir));
      dir = parent;
      if (g_strcmp0 (dir, ((char *) created->pdata[created->len - 1])) == 0)
        break;                  /* "/" or "." */
    }

  if (g_mkdir_with_parents (directory, 0700) < 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot create directory", directory);
      return FALSE;
    }
  for (i = 0; i < created->len; i++)
    {
      g_autofree char *parent = g_path_get_dirname (created->pdata[i]);

      if (!_mailsync_fsync_dir (parent, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
_mailsync_status_unlink (const char  *path,
                         GError     **error)
{
  if (g_unlink (path) < 0 && errno != ENOENT)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot remove", path);
      return FALSE;
    }
  return TRUE;
}
