/* What the status stores share: see mailsync-status-base.h. */
#include "config.h"

#include "mailsync-status-base.h"
#include "status/mailsync-status-table.h"
#include "mailsync-error.h"
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

/* A slot's free function has no base to ask for data_free: the table's
 * values are freed in finalize's unref after their data (slot_free_data). */
static void
slot_free (MailsyncStatusSlot *slot)
{
  g_mutex_clear (&slot->lock);
  g_free (slot);
}

static gboolean
slot_free_data (gpointer key,
                gpointer value,
                gpointer data)
{
  MailsyncStatusBase *base = data;
  MailsyncStatusSlot *slot = value;

  (void) key;
  if (slot->data != NULL)
    base->data_free (g_steal_pointer (&slot->data));
  return FALSE;
}

static void
status_base_finalize (GObject *object)
{
  MailsyncStatusBase *base = _MAILSYNC_STATUS_BASE (object);
  /* Both stores are final types: the parent of the object's own class is
   * the class to chain up to. */
  GObjectClass *parent_class = g_type_class_peek_parent (G_OBJECT_GET_CLASS (object));

  /* No other reference is left, so no thread holds a folder's lock. */
  g_hash_table_foreach_remove (base->slots, slot_free_data, base);
  g_hash_table_unref (base->slots);
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
                            GDestroyNotify      data_free)
{
  g_mutex_init (&base->lock);
  base->data_free = data_free;
  base->slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) slot_free);
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
  g_autoptr(MailsyncStatusSlot) slot = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  if (!MAILSYNC_IS_STATUS_SQLITE (store) && !MAILSYNC_IS_STATUS_PLAIN (store))
    return;
  base = _MAILSYNC_STATUS_BASE (store);
  path = _mailsync_status_base_path (base, folder, &name);
  /* Under the folder's lock: a load or commit of it in progress keeps
   * its handle until it is done. */
  slot = _mailsync_status_base_enter (base, name, NULL, NULL);
  _mailsync_status_slot_forget (base, slot);
}

gboolean
_mailsync_status_store_checkpoint (MailsyncStatusStore *store,
                                   const char          *folder,
                                   GError             **error)
{
  if (!MAILSYNC_IS_STATUS_PLAIN (store))
    return TRUE;
  return _mailsync_status_plain_checkpoint (store, folder, error);
}

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
static GMutex hold_lock;
static GCond hold_cond;
static guint hold_arrivals;     /* commits that reached the hold since the last pair left */
static GHashTable *hold_inside; /* file name -> commits of it at the hold now */
static char *hold_contended;    /* a folder whose lock a commit found taken */
static gboolean hold_overlapped; /* a commit got here while another folder's was here */

static gint64
hold_seconds (void)
{
  const char *text = g_getenv ("MAILSYNC_TEST_STATUS_HOLD");
  gint64 seconds;

  if (text == NULL || !g_ascii_string_to_signed (text, 10, 1, 3600, &seconds, NULL))
    return 0;
  return seconds;
}

static void
note_contended (const char *name)
{
  g_mutex_lock (&hold_lock);
  g_free (hold_contended);
  hold_contended = g_strdup (name);
  g_cond_broadcast (&hold_cond);
  g_mutex_unlock (&hold_lock);
}

gboolean
_mailsync_status_test_hold (const char  *name,
                            GError     **error)
{
  gint64 seconds = hold_seconds ();
  gint64 until;
  gboolean ok = TRUE;

  if (seconds == 0)
    return TRUE;
  until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  g_mutex_lock (&hold_lock);
  if (hold_inside == NULL)
    hold_inside = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (g_hash_table_contains (hold_inside, name))
    {
      g_mutex_unlock (&hold_lock);
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_FAILED,
                   "Test hold: two commits of status %s at once", name);
      return FALSE;
    }
  if (g_hash_table_size (hold_inside) > 0)
    hold_overlapped = TRUE;
  g_hash_table_insert (hold_inside, g_strdup (name), GUINT_TO_POINTER (1));
  hold_arrivals++;
  g_cond_broadcast (&hold_cond);
  if (hold_arrivals == 1)
    while (!hold_overlapped && g_strcmp0 (hold_contended, name) != 0)
      if (!g_cond_wait_until (&hold_cond, &hold_lock, until))
        {
          ok = FALSE;
          break;
        }
  g_hash_table_remove (hold_inside, name);
  if (g_hash_table_size (hold_inside) == 0 && hold_arrivals >= 2)
    {
      hold_arrivals = 0;
      hold_overlapped = FALSE;
      g_clear_pointer (&hold_contended, g_free);
    }
  g_mutex_unlock (&hold_lock);
  if (!ok)
    g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_FAILED,
                 "Test hold: in %" G_GINT64_FORMAT " s no commit of another status "
                 "reached its fsync and none of %s waited for it", seconds, name);
  return ok;
}
#else
gboolean
_mailsync_status_test_hold (const char  *name,
                            GError     **error)
{
  (void) name;
  (void) error;
  return TRUE;
}
#endif

MailsyncStatusSlot *
_mailsync_status_base_enter (MailsyncStatusBase  *base,
                             const char          *name,
                             GCancellable        *cancellable,
                             GError             **error)
{
  MailsyncStatusSlot *slot;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  g_mutex_lock (&base->lock);
  slot = g_hash_table_lookup (base->slots, name);
  if (slot == NULL)
    {
      slot = g_new0 (MailsyncStatusSlot, 1);
      g_mutex_init (&slot->lock);
      g_hash_table_insert (base->slots, g_strdup (name), slot);
    }
  g_mutex_unlock (&base->lock);

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  if (hold_seconds () > 0)
    {
      if (!g_mutex_trylock (&slot->lock))
        {
          note_contended (name);
          g_mutex_lock (&slot->lock);
        }
      return slot;
    }
#endif
  g_mutex_lock (&slot->lock);
  return slot;
}

void
_mailsync_status_base_leave (MailsyncStatusSlot *slot)
{
  g_mutex_unlock (&slot->lock);
}

guint
_mailsync_status_base_count_open (MailsyncStatusBase *base)
{
  g_autoptr(GPtrArray) slots = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  /* the slots first, then each one's lock without the store lock held */
  g_mutex_lock (&base->lock);
  g_hash_table_iter_init (&iter, base->slots);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (slots, value);
  g_mutex_unlock (&base->lock);
  for (guint i = 0; i < slots->len; i++)
    {
      MailsyncStatusSlot *slot = slots->pdata[i];

      g_mutex_lock (&slot->lock);
      n += slot->data != NULL;
      g_mutex_unlock (&slot->lock);
    }
  return n;
}

void
_mailsync_status_slot_forget (MailsyncStatusBase *base,
                              MailsyncStatusSlot *slot)
{
  if (slot->data != NULL)
    base->data_free (g_steal_pointer (&slot->data));
}

gboolean
_mailsync_status_base_remove (MailsyncStatusBase  *base,
                              MailsyncStatusSlot  *slot,
                              const char * const  *paths,
                              GError             **error)
{
  _mailsync_status_slot_forget (base, slot);
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

MailsyncStatusTable *
_mailsync_status_rows_table (MailsyncStatusRows *rows)
{
  g_autoptr(GPtrArray) sorted = _mailsync_status_rows_sorted (rows, FALSE);

  return _mailsync_status_table_new_from_records (sorted);
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
