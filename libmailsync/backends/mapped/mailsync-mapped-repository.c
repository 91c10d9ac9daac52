/* A repository that stores the other side's UIDs through a UID map: how a
 * local IMAP server (which assigns its own UIDs) takes the "local" role of
 * offlineimap's model, where everything is keyed by remote UIDs
 * (offlineimap's MappedIMAPFolder, reference §5.11). The map files are
 * offlineimap's UIDMapping files. */
#include "config.h"

#include "mailsync-mapped-repository.h"
#include "mailsync-uid-map.h"
#include "mailsync-mapped-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-worker.h"
#include "mailsync-status-store.h"
#include "mailsync-folder-engine-private.h"

#include <string.h>

/**
 * MailsyncMappedRepository:
 *
 * Wraps a repository that assigns its own UIDs (IMAP) so that it can be
 * the local side of an account: it keeps, per folder, a map between its
 * UIDs and the remote's in offlineimap's `UIDMapping` format.
 *
 * Since: 0.1
 */
struct _MailsyncMappedRepository
{
  MailsyncRepository parent_instance;
  MailsyncRepository *inner;
  char *map_directory;
  gint inner_opened;      /* atomic: holds the one counted open of @inner */
};

G_DEFINE_FINAL_TYPE (MailsyncMappedRepository, mailsync_mapped_repository, MAILSYNC_TYPE_REPOSITORY)

G_DEFINE_FINAL_TYPE (MailsyncMappedFolder, mailsync_mapped_folder, MAILSYNC_TYPE_FOLDER)

/* ---- helpers ------------------------------------------------------------ */

/* The operations that need several steps of the inner repository (a
 * listing that may fetch, an append that records the map) run in a
 * thread with the inner's sync API, as GIO's default async
 * implementations do; each step's result comes back to that thread's
 * private context (mailsync-worker.h). One operation of a folder touches
 * its map at a time: the engine never overlaps them. */
static GTask *
new_task (gpointer self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
             gpointer tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  return task;
}

static char *
key_for_local (guint32 local)
{
  return g_strdup_printf ("L%u", local);
}

/* The local UID behind a message of the mapped view. */
static guint32
local_uid_of (MailsyncMappedFolder *self, MailsyncMessageInfo *info)
{
  const char *key = mailsync_message_info_get_key (info);

  if (key != NULL && key[0] == 'L')
    return (guint32) g_ascii_strtoull (key + 1, NULL, 10);
  return mailsync_uid_map_to_local (self->map, mailsync_message_info_get_uid (info));
}

static MailsyncMessageInfo *
with_uid (MailsyncMessageInfo *info, guint32 uid, guint32 local)
{
  g_autofree char *key = key_for_local (local);

  return mailsync_message_info_new (uid, key, mailsync_message_info_get_flags (info),
                                    mailsync_message_info_get_keywords (info),
                                    mailsync_message_info_get_size (info),
                                    mailsync_message_info_get_internal_date (info));
}

/* The library's content digest, as the runner computes it for its side. */
char *
_mailsync_mapped_digest_bytes (GBytes *bytes)
{
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  _mailsync_content_digest_update (md5, data, len);
  return g_strdup (g_checksum_get_string (md5));
}

static GBytes *
read_all (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

  if (g_output_stream_splice (out, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, cancellable, error) < 0)
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

static GBytes *
fetch_inner (MailsyncMappedFolder *self, MailsyncMessageInfo *info, GCancellable *cancellable, GError **error)
{
  g_autoptr(GInputStream) stream = mailsync_folder_fetch_message (self->inner, info, cancellable, error);

  return stream ? read_all (stream, cancellable, error) : NULL;
}

GBytes *
_mailsync_mapped_fetch_local (MailsyncMappedFolder *self, guint32 local, GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncMessageInfo) info = mailsync_message_info_new (local, NULL, 0, NULL, 0, 0);

  return fetch_inner (self, info, cancellable, error);
}

/* ---- folder -------------------------------------------------------------- */

static void
list_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncMappedFolder *self = source;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->map_lock);
  g_autoptr(GPtrArray) inner_list = NULL;
  g_autoptr(GHashTable) present = g_hash_table_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  GHashTable *pending = NULL;
  GPtrArray *list;

  if (self->map_error)
    {
      g_task_return_error (task, g_error_copy (self->map_error));
      return;
    }
  inner_list = mailsync_folder_list_messages (self->inner, cancellable, &error);
  if (inner_list == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  list = g_ptr_array_new_with_free_func (g_object_unref);
  pending = mailsync_uid_map_get_pending (self->map);
  for (guint i = 0; i < inner_list->len; i++)
    {
      MailsyncMessageInfo *info = inner_list->pdata[i];
      guint32 local = mailsync_message_info_get_uid (info);
      guint32 remote = mailsync_uid_map_to_remote (self->map, local);

      g_hash_table_add (present, GUINT_TO_POINTER (local));
      if (remote == 0 && g_hash_table_size (pending) > 0)
        {
          /* A copy that was appended but not mapped when we crashed:
           * find which one by content. */
          g_autoptr(GBytes) body = fetch_inner (self, info, cancellable, NULL);
          g_autofree char *digest = body ? _mailsync_mapped_digest_bytes (body) : NULL;
          GHashTableIter iter;
          gpointer k, v;

          g_hash_table_iter_init (&iter, pending);
          while (digest && g_hash_table_iter_next (&iter, &k, &v))
            if (strcmp (v, digest) == 0)
              {
                remote = GPOINTER_TO_UINT (k);
                mailsync_uid_map_set (self->map, local, remote);
                break;
              }
        }
      g_ptr_array_add (list, with_uid (info, remote, local));
    }
  /* Pending copies not found never reached the server: gone from the
   * file too (the save below writes the map when this changed it). */
  mailsync_uid_map_clear_pending (self->map);
  mailsync_uid_map_prune (self->map, present);
  if (!mailsync_uid_map_save (self->map, &error))
    {
      g_ptr_array_unref (list);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
mapped_list_async (MailsyncFolder *folder, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_task (folder, cancellable, callback, user_data, mapped_list_async);

  _mailsync_task_run_in_thread (task, list_thread);
}

static GPtrArray *
mapped_list_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
mapped_fetch_async (MailsyncFolder *folder, MailsyncMessageInfo *info, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  MailsyncMappedFolder *self = MAILSYNC_MAPPED_FOLDER (folder);
  guint32 local;
  g_autoptr(MailsyncMessageInfo) inner_info = NULL;

  g_mutex_lock (&self->map_lock);
  local = local_uid_of (self, info);
  g_mutex_unlock (&self->map_lock);
  inner_info = mailsync_message_info_new (local, NULL, 0, NULL, 0, 0);

  mailsync_folder_fetch_message_async (self->inner, inner_info, cancellable, callback, user_data);
}

static GInputStream *
mapped_fetch_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  return mailsync_folder_fetch_message_finish (MAILSYNC_MAPPED_FOLDER (folder)->inner, result, error);
}

typedef struct
{
  MailsyncMessageInfo *info;
  GInputStream *content;
} AppendArgs;

static void
append_args_free (AppendArgs *args)
{
  g_object_unref (args->info);
  g_object_unref (args->content);
  g_free (args);
}

static void
append_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncMappedFolder *self = source;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->map_lock);
  AppendArgs *args = task_data;
  MailsyncMessageInfo *info = args->info;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = read_all (args->content, cancellable, &error);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(MailsyncMessageInfo) stored = NULL;
  g_autoptr(MailsyncMessageInfo) wanted = NULL;
  g_autofree char *digest = NULL;
  guint32 remote = mailsync_message_info_get_uid (info);

  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Announce the copy durably before making it. */
  digest = _mailsync_mapped_digest_bytes (body);
  mailsync_uid_map_add_pending (self->map, remote, digest);
  if (!mailsync_uid_map_save (self->map, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  wanted = mailsync_message_info_new (0, NULL, mailsync_message_info_get_flags (info),
                                      mailsync_message_info_get_keywords (info),
                                      g_bytes_get_size (body), mailsync_message_info_get_internal_date (info));
  stream = g_memory_input_stream_new_from_bytes (body);
  stored = mailsync_folder_append_message (self->inner, wanted, stream, cancellable, &error);
  if (stored == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _mailsync_crash_point ("mapped-appended");
  if (mailsync_message_info_get_uid (stored) != 0)
    mailsync_uid_map_set (self->map, mailsync_message_info_get_uid (stored), remote);
  /* Else the pending record stays; the next listing maps it by content. */
  g_task_return_pointer (task, with_uid (stored, remote, mailsync_message_info_get_uid (stored)), g_object_unref);
}

static void
mapped_append_async (MailsyncFolder *folder, MailsyncMessageInfo *info, GInputStream *content,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_task (folder, cancellable, callback, user_data, mapped_append_async);
  AppendArgs *args = g_new0 (AppendArgs, 1);

  args->info = g_object_ref (info);
  args->content = g_object_ref (content);
  g_task_set_task_data (task, args, (GDestroyNotify) append_args_free);
  _mailsync_task_run_in_thread (task, append_thread);
}

static MailsyncMessageInfo *
mapped_append_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static GArray *
to_local_uids (MailsyncMappedFolder *self, const guint32 *uids, guint n_uids)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->map_lock);
  GArray *locals = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint i = 0; i < n_uids; i++)
    {
      guint32 local = mailsync_uid_map_to_local (self->map, uids[i]);
      if (local)
        g_array_append_val (locals, local);
    }
  return locals;
}

static void
mapped_set_flags_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids, MailsyncFlags add,
                        MailsyncFlags remove, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  MailsyncMappedFolder *self = MAILSYNC_MAPPED_FOLDER (folder);
  g_autoptr(GArray) locals = to_local_uids (self, uids, n_uids);

  mailsync_folder_set_flags_async (self->inner, (const guint32 *) locals->data, locals->len, add, remove,
                                   cancellable, callback, user_data);
}

static gboolean
mapped_set_flags_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  return mailsync_folder_set_flags_finish (MAILSYNC_MAPPED_FOLDER (folder)->inner, result, error);
}

static void
mapped_delete_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  MailsyncMappedFolder *self = MAILSYNC_MAPPED_FOLDER (folder);
  g_autoptr(GArray) locals = to_local_uids (self, uids, n_uids);

  /* Map entries of deleted messages go at the next listing (prune). */
  mailsync_folder_delete_messages_async (self->inner, (const guint32 *) locals->data, locals->len,
                                         cancellable, callback, user_data);
}

static gboolean
mapped_delete_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  return mailsync_folder_delete_messages_finish (MAILSYNC_MAPPED_FOLDER (folder)->inner, result, error);
}

static void
mapped_set_uid_async (MailsyncFolder *folder, MailsyncMessageInfo *info, guint32 uid, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  MailsyncMappedFolder *self = MAILSYNC_MAPPED_FOLDER (folder);
  g_autoptr(GTask) task = new_task (folder, cancellable, callback, user_data, mapped_set_uid_async);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->map_lock);
  guint32 local = local_uid_of (self, info);

  if (local == 0)
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                               "No local message behind %s", mailsync_message_info_get_key (info));
      return;
    }
  mailsync_uid_map_set (self->map, local, uid);
  g_task_return_pointer (task, with_uid (info, uid, local), g_object_unref);
}

static MailsyncMessageInfo *
mapped_set_uid_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
flush_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncMappedFolder *self = source;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->map_lock);
  g_autoptr(GError) error = NULL;

  if (!mailsync_folder_flush (self->inner, cancellable, &error) || !mailsync_uid_map_save (self->map, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
mapped_flush_async (MailsyncFolder *folder, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_task (folder, cancellable, callback, user_data, mapped_flush_async);

  _mailsync_task_run_in_thread (task, flush_thread);
}

static gboolean
mapped_bool_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static guint32
mapped_get_uidvalidity (MailsyncFolder *folder)
{
  return mailsync_folder_get_uidvalidity (MAILSYNC_MAPPED_FOLDER (folder)->inner);
}

/* ---- keywords (issue 14 item 3) ----
 * Keywords live in the folder behind the map, under its own UIDs. */

static MailsyncFolderCapabilities
mapped_get_capabilities (MailsyncFolder *folder)
{
  /* keywords and Message-IDs if the inner folder has them; a move is the
   * inner store's UID MOVE plus a map entry (mailsync-mapped-move.c) */
  return (mailsync_folder_get_capabilities (MAILSYNC_MAPPED_FOLDER (folder)->inner) &
          (MAILSYNC_FOLDER_CAPABILITY_KEYWORDS | MAILSYNC_FOLDER_CAPABILITY_MESSAGE_IDS)) |
         MAILSYNC_FOLDER_CAPABILITY_MOVE_MESSAGE;
}

static gboolean
mapped_can_store_keyword (MailsyncFolder *folder, const char *keyword)
{
  return mailsync_folder_can_store_keyword (MAILSYNC_MAPPED_FOLDER (folder)->inner, keyword);
}

/* The status keeps the keywords of a folder with no letters of its own
 * by name, in the labels column (doc/design.md, keywords). */
static gboolean
engine_keywords_in_labels (MailsyncFolder *folder)
{
  return mailsync_folder_supports (folder, MAILSYNC_FOLDER_CAPABILITY_KEYWORDS) &&
         !_mailsync_folder_has_keyword_letters (MAILSYNC_MAPPED_FOLDER (folder)->inner);
}

static void
inner_keywords_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GStrv not_stored = NULL;

  if (!mailsync_folder_set_keywords_finish (MAILSYNC_FOLDER (source), result, &not_stored, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, not_stored, (GDestroyNotify) g_strfreev);
}

static void
mapped_set_keywords_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids, const char * const *add,
                           const char * const *remove, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  MailsyncMappedFolder *self = MAILSYNC_MAPPED_FOLDER (folder);
  GTask *task = new_task (folder, cancellable, callback, user_data, mapped_set_keywords_async);
  /* the map's UIDs are the remote's: the inner folder has its own */
  g_autoptr(GArray) inner_uids = to_local_uids (self, uids, n_uids);

  if (inner_uids->len == 0)
    {
      g_task_return_pointer (task, g_new0 (char *, 1), (GDestroyNotify) g_strfreev);
      g_object_unref (task);
      return;
    }
  mailsync_folder_set_keywords_async (self->inner, (const guint32 *) inner_uids->data, inner_uids->len, add, remove,
                                      cancellable, inner_keywords_set, task);
}

static gboolean
mapped_set_keywords_finish (MailsyncFolder *folder, GAsyncResult *result, char ***not_stored, GError **error)
{
  GError *local_error = NULL;
  GStrv words;

  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  words = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  *not_stored = words;
  return TRUE;
}

/* ---- the engine's private questions (mailsync-folder-engine-private.h) ---- */

/* startdate on the local side: the inner (IMAP) repository's own */
static gint64
engine_get_start_date (MailsyncFolder *folder)
{
  MailsyncRepository *inner = mailsync_folder_get_repository (MAILSYNC_MAPPED_FOLDER (folder)->inner);
  gint64 date = 0;

  if (inner != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (inner), "start-date") != NULL)
    g_object_get (inner, "start-date", &date, NULL);
  return date;
}

/* maxsize: the inner folder's rule (an IMAP one: SEARCH SMALLER) */
static gboolean
engine_size_search (MailsyncFolder *folder)
{
  return _mailsync_folder_size_search (MAILSYNC_MAPPED_FOLDER (folder)->inner);
}

/* maxage: no file names to judge, no offlineimap rule (its docs: maxage
 * does not work IMAP-IMAP) */
static gboolean
engine_no_max_age (MailsyncFolder *folder)
{
  (void) folder;
  return TRUE;
}

static const _MailsyncFolderEngineVTable engine_vtable = {
  .keywords_in_labels = engine_keywords_in_labels,
  .get_start_date = engine_get_start_date,
  .size_search = engine_size_search,
  .no_max_age = engine_no_max_age,
};

static void
mailsync_mapped_folder_finalize (GObject *object)
{
  MailsyncMappedFolder *self = MAILSYNC_MAPPED_FOLDER (object);

  g_clear_object (&self->inner);
  mailsync_uid_map_free (self->map);
  g_clear_error (&self->map_error);
  g_mutex_clear (&self->map_lock);
  G_OBJECT_CLASS (mailsync_mapped_folder_parent_class)->finalize (object);
}

static void
mailsync_mapped_folder_class_init (MailsyncMappedFolderClass *klass)
{
  MailsyncFolderClass *fc = MAILSYNC_FOLDER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = mailsync_mapped_folder_finalize;
  fc->list_messages_async = mapped_list_async;
  fc->list_messages_finish = mapped_list_finish;
  fc->fetch_message_async = mapped_fetch_async;
  fc->fetch_message_finish = mapped_fetch_finish;
  fc->append_message_async = mapped_append_async;
  fc->append_message_finish = mapped_append_finish;
  fc->set_flags_async = mapped_set_flags_async;
  fc->set_flags_finish = mapped_set_flags_finish;
  fc->delete_messages_async = mapped_delete_async;
  fc->delete_messages_finish = mapped_delete_finish;
  fc->set_message_uid_async = mapped_set_uid_async;
  fc->set_message_uid_finish = mapped_set_uid_finish;
  fc->flush_async = mapped_flush_async;
  fc->flush_finish = mapped_bool_finish;
  fc->get_uidvalidity = mapped_get_uidvalidity;
  fc->get_capabilities = mapped_get_capabilities;
  fc->can_store_keyword = mapped_can_store_keyword;
  fc->set_keywords_async = mapped_set_keywords_async;
  fc->set_keywords_finish = mapped_set_keywords_finish;
  fc->fetch_message_ids_async = _mailsync_mapped_fetch_message_ids_async;
  fc->fetch_message_ids_finish = _mailsync_mapped_fetch_message_ids_finish;
  fc->move_message_async = _mailsync_mapped_move_async;
  fc->move_message_finish = _mailsync_mapped_move_finish;
  _mailsync_folder_class_set_engine (klass, &engine_vtable);
}

static void
mailsync_mapped_folder_init (MailsyncMappedFolder *self)
{
  g_mutex_init (&self->map_lock);
}

static MailsyncFolder *
wrap_folder (MailsyncMappedRepository *self, MailsyncFolder *inner)
{
  MailsyncMappedFolder *folder = g_object_new (MAILSYNC_TYPE_MAPPED_FOLDER, "name", mailsync_folder_get_name (inner),
                                               "repository", self, NULL);
  g_autofree char *file = mailsync_status_folder_file_name (mailsync_folder_get_name (inner));
  g_autofree char *path = g_build_filename (self->map_directory, file, NULL);

  folder->inner = g_object_ref (inner);
  folder->map = mailsync_uid_map_load (path, &folder->map_error);
  if (folder->map == NULL)
    folder->map = mailsync_uid_map_load ("/dev/null", NULL);
  return MAILSYNC_FOLDER (folder);
}

/* ---- repository ---------------------------------------------------------- */

/* While open, the mapped repository holds one counted open of its inner
 * (which may be shared: a client's open of it stands). Its first open is
 * that open; any other (a second user's open of the mapped repository,
 * which only its last close ends, or the engine's reconnect after the
 * local connection dropped, which counts nothing) checks the inner and
 * reconnects it without counting, so that the close ending the mapped
 * repository's opens ends its open of the inner and logs it out. */
static void
inner_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncMappedRepository *self = g_task_get_source_object (task);
  GError *error = NULL;
  gboolean ok;

  if (GPOINTER_TO_INT (g_task_get_task_data (task)))
    {
      ok = mailsync_repository_open_finish (self->inner, result, &error);
      if (!ok)
        g_atomic_int_set (&self->inner_opened, FALSE);
    }
  else
    ok = _mailsync_repository_reopen_finish (self->inner, result, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

static void
mapped_open_async (MailsyncRepository *repo, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncMappedRepository *self = MAILSYNC_MAPPED_REPOSITORY (repo);
  GTask *task = new_task (repo, c, cb, ud, mapped_open_async);
  gboolean counted = g_atomic_int_compare_and_exchange (&self->inner_opened, FALSE, TRUE);

  g_task_set_task_data (task, GINT_TO_POINTER (counted), NULL);
  if (counted)
    mailsync_repository_open_async (self->inner, c, inner_opened, task);
  else
    _mailsync_repository_reopen_async (self->inner, c, inner_opened, task);
}

static gboolean
mapped_open_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repo), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The last close of the mapped repository: its open of the inner ends
 * (and a mapped repository used without an open closes the inner's
 * connection, as the inner's own close would). */
static void
mapped_close_async (MailsyncRepository *repo, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncMappedRepository *self = MAILSYNC_MAPPED_REPOSITORY (repo);

  g_atomic_int_set (&self->inner_opened, FALSE);
  mailsync_repository_close_async (self->inner, c, cb, ud);
}

static gboolean
mapped_close_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  return mailsync_repository_close_finish (MAILSYNC_MAPPED_REPOSITORY (repo)->inner, result, error);
}

/* Leases (mailsync-private.h): a mapped folder leases its inner folder's
 * connection of the inner repository (IMAP<->IMAP: the local side's pool). */
static void
mapped_lease_async (MailsyncRepository *repo, MailsyncFolder *folder, GCancellable *c, GAsyncReadyCallback cb,
                    gpointer ud)
{
  if (!MAILSYNC_IS_MAPPED_FOLDER (folder))
    {
      GTask *task = new_task (repo, c, cb, ud, mapped_lease_async);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Folder %s is not a mapped folder",
                               mailsync_folder_get_name (folder));
      g_object_unref (task);
      return;
    }
  _mailsync_repository_lease_folder_async (MAILSYNC_MAPPED_REPOSITORY (repo)->inner,
                                           MAILSYNC_MAPPED_FOLDER (folder)->inner, c, cb, ud);
}

static gboolean
mapped_lease_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  if (g_task_is_valid (result, repo)) /* not a mapped folder */
    return g_task_propagate_boolean (G_TASK (result), error);
  return _mailsync_repository_lease_folder_finish (MAILSYNC_MAPPED_REPOSITORY (repo)->inner, result, error);
}

static void
mapped_release (MailsyncRepository *repo, MailsyncFolder *folder)
{
  if (MAILSYNC_IS_MAPPED_FOLDER (folder))
    _mailsync_repository_release_folder (MAILSYNC_MAPPED_REPOSITORY (repo)->inner,
                                         MAILSYNC_MAPPED_FOLDER (folder)->inner);
}

static guint
mapped_lease_number (MailsyncRepository *repo, MailsyncFolder *folder)
{
  if (!MAILSYNC_IS_MAPPED_FOLDER (folder))
    return 0;
  return _mailsync_repository_folder_lease_number (MAILSYNC_MAPPED_REPOSITORY (repo)->inner,
                                                   MAILSYNC_MAPPED_FOLDER (folder)->inner);
}

/* A folder on one of the inner's other connections reconnects that one;
 * otherwise the reopen is this repository's, exactly as before leases. */
static void
mapped_reopen_async (MailsyncRepository *repo, MailsyncFolder *folder, GCancellable *c, GAsyncReadyCallback cb,
                     gpointer ud)
{
  if (mapped_lease_number (repo, folder) > 1)
    _mailsync_repository_reopen_folder_async (MAILSYNC_MAPPED_REPOSITORY (repo)->inner,
                                              MAILSYNC_MAPPED_FOLDER (folder)->inner, c, cb, ud);
  else
    _mailsync_repository_reopen_async (repo, c, cb, ud);
}

static gboolean
mapped_reopen_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  if (g_task_is_valid (result, repo))
    return _mailsync_repository_reopen_finish (repo, result, error);
  return _mailsync_repository_reopen_folder_finish (MAILSYNC_MAPPED_REPOSITORY (repo)->inner, result, error);
}

static gboolean
mapped_lease_connected (MailsyncRepository *repo, MailsyncFolder *folder)
{
  if (!MAILSYNC_IS_MAPPED_FOLDER (folder))
    return TRUE;
  return _mailsync_repository_folder_lease_connected (MAILSYNC_MAPPED_REPOSITORY (repo)->inner,
                                                      MAILSYNC_MAPPED_FOLDER (folder)->inner);
}

/* the inner's connections are the ones leased */
static guint
mapped_max_leases (MailsyncRepository *repo)
{
  return _mailsync_repository_max_leases (MAILSYNC_MAPPED_REPOSITORY (repo)->inner);
}

static const _MailsyncLeaseVTable lease_vtable = {
  mapped_lease_async, mapped_lease_finish, mapped_release, mapped_reopen_async, mapped_reopen_finish,
  mapped_lease_number, mapped_max_leases, mapped_lease_connected,
};

/* The mapped folders have the inner's names, so the inner's folder info
 * is theirs: counts, roles and subscriptions of the wrapped server. */
static void
mapped_list_folder_info_async (MailsyncRepository *repo, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  mailsync_repository_list_folder_info_async (MAILSYNC_MAPPED_REPOSITORY (repo)->inner, c, cb, ud);
}

static GPtrArray *
mapped_list_folder_info_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  return mailsync_repository_list_folder_info_finish (MAILSYNC_MAPPED_REPOSITORY (repo)->inner, result, error);
}

static const _MailsyncFolderInfoVTable folder_info_vtable = {
  mapped_list_folder_info_async,
  mapped_list_folder_info_finish,
};

static void
inner_folders_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  MailsyncMappedRepository *self = g_task_get_source_object (task);
  MailsyncRepository *repo = MAILSYNC_REPOSITORY (self);
  g_autoptr(GPtrArray) inner = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *folders;

  inner = mailsync_repository_list_folders_finish (self->inner, result, &error);
  if (inner == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _mailsync_repository_set_separator (repo, mailsync_repository_get_separator (self->inner));
  folders = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < inner->len; i++)
    g_ptr_array_add (folders, wrap_folder (self, inner->pdata[i]));
  g_task_return_pointer (task, folders, (GDestroyNotify) g_ptr_array_unref);
}

static void
mapped_list_folders_async (MailsyncRepository *repo, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task = new_task (repo, cancellable, callback, user_data, mapped_list_folders_async);

  mailsync_repository_list_folders_async (MAILSYNC_MAPPED_REPOSITORY (repo)->inner, cancellable,
                                          inner_folders_listed, task);
}

static GPtrArray *
mapped_list_folders_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repo), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
inner_folder_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  MailsyncMappedRepository *self = g_task_get_source_object (task);
  g_autoptr(MailsyncFolder) inner = NULL;
  g_autoptr(GError) error = NULL;

  inner = mailsync_repository_create_folder_finish (self->inner, result, &error);
  if (inner == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, wrap_folder (self, inner), g_object_unref);
}

static void
mapped_create_folder_async (MailsyncRepository *repo, const char *name, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = new_task (repo, cancellable, callback, user_data, mapped_create_folder_async);

  mailsync_repository_create_folder_async (MAILSYNC_MAPPED_REPOSITORY (repo)->inner, name, cancellable,
                                           inner_folder_created, task);
}

static MailsyncFolder *
mapped_create_folder_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repo), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
mapped_delete_folder_async (MailsyncRepository *repo, const char *name, GCancellable *c, GAsyncReadyCallback cb,
                            gpointer ud)
{
  mailsync_repository_delete_folder_async (MAILSYNC_MAPPED_REPOSITORY (repo)->inner, name, c, cb, ud);
}

static gboolean
mapped_delete_folder_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  return mailsync_repository_delete_folder_finish (MAILSYNC_MAPPED_REPOSITORY (repo)->inner, result, error);
}

/* The description: the inner's kind (the type the configuration gave),
 * the inner's whole description under "inner" (not merged: the server is
 * the inner's, the wrapper only maps its UIDs) and the map's directory. */
static GVariant *
mapped_describe (MailsyncRepository *repo)
{
  MailsyncMappedRepository *self = MAILSYNC_MAPPED_REPOSITORY (repo);
  g_autoptr(GVariant) inner = mailsync_repository_describe (self->inner);
  const char *kind = NULL;
  GVariantDict dict;

  _mailsync_repository_describe_parent (repo, mailsync_mapped_repository_parent_class, &dict);
  if (g_variant_lookup (inner, "kind", "&s", &kind))
    g_variant_dict_insert (&dict, "kind", "s", kind);
  g_variant_dict_insert_value (&dict, "inner", inner);
  if (self->map_directory != NULL)
    g_variant_dict_insert (&dict, "uid-map-directory", "s", self->map_directory);
  return g_variant_dict_end (&dict);
}

/* The traffic is the inner's */
static MailsyncRepositoryStatistics *
mapped_get_statistics (MailsyncRepository *repo)
{
  return mailsync_repository_get_statistics (MAILSYNC_MAPPED_REPOSITORY (repo)->inner);
}

static void
mailsync_mapped_repository_finalize (GObject *object)
{
  MailsyncMappedRepository *self = MAILSYNC_MAPPED_REPOSITORY (object);

  g_clear_object (&self->inner);
  g_free (self->map_directory);
  G_OBJECT_CLASS (mailsync_mapped_repository_parent_class)->finalize (object);
}

static void
mailsync_mapped_repository_class_init (MailsyncMappedRepositoryClass *klass)
{
  MailsyncRepositoryClass *rc = MAILSYNC_REPOSITORY_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = mailsync_mapped_repository_finalize;
  _mailsync_repository_class_set_type_label (klass, "MappedIMAP");
  rc->open_async = mapped_open_async;
  rc->open_finish = mapped_open_finish;
  rc->list_folders_async = mapped_list_folders_async;
  rc->list_folders_finish = mapped_list_folders_finish;
  rc->create_folder_async = mapped_create_folder_async;
  rc->create_folder_finish = mapped_create_folder_finish;
  rc->delete_folder_async = mapped_delete_folder_async;
  rc->delete_folder_finish = mapped_delete_folder_finish;
  rc->close_async = mapped_close_async;
  rc->close_finish = mapped_close_finish;
  rc->describe = mapped_describe;
  rc->get_statistics = mapped_get_statistics;
  _mailsync_repository_class_set_folder_info (klass, &folder_info_vtable);
  _mailsync_repository_class_set_lease (klass, &lease_vtable);
}

static void
mailsync_mapped_repository_init (MailsyncMappedRepository *self)
{
}

/**
 * mailsync_mapped_repository_new:
 * @inner: a repository that assigns its own UIDs (IMAP)
 * @map_directory: where the UID maps live (offlineimap:
 *   `<metadata>/Repository-<NAME>/UIDMapping`)
 *
 * Wraps a repository that assigns its own UIDs so that it can be an
 * account's local side (IMAP <-> IMAP), keeping offlineimap's UID maps
 * (one file per folder) in @map_directory.
 *
 * Returns: (transfer full): a repository usable as an account's local side
 *
 * Since: 0.1
 */
MailsyncRepository *
mailsync_mapped_repository_new (MailsyncRepository *inner,
                                const char         *map_directory)
{
  MailsyncMappedRepository *self =
    g_object_new (MAILSYNC_TYPE_MAPPED_REPOSITORY, "name", mailsync_repository_get_name (inner),
                  "separator", mailsync_repository_get_separator (inner), NULL);

  self->inner = g_object_ref (inner);
  self->map_directory = g_strdup (map_directory);
  /* a dry run writes nothing through the inner either */
  _mailsync_repository_set_wrapped (MAILSYNC_REPOSITORY (self), inner);
  /* The folders are the wrapper's, so are their visible names: the
   * inner's decoding of them (decode-folder-names) carries over. */
  _mailsync_repository_set_name_decoder (MAILSYNC_REPOSITORY (self), _mailsync_repository_get_name_decoder (inner));
  return MAILSYNC_REPOSITORY (self);
}

/**
 * mailsync_mapped_repository_get_inner:
 * @self: a mapped repository
 *
 * Gets the repository the mapped repository wraps.
 *
 * Returns: (transfer none): the wrapped repository
 *
 * Since: 0.1
 */
MailsyncRepository *
mailsync_mapped_repository_get_inner (MailsyncMappedRepository *self)
{
  return self->inner;
}
