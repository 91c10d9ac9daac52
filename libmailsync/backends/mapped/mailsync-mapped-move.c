/* A move between two folders of a mapped repository (issue 10 item 4,
 * IMAP <-> IMAP): the message the remote server moved is moved on the
 * local server too (UID MOVE, or COPY + STORE + UID EXPUNGE), and its map
 * entry goes from the source folder's map to the destination's under the
 * remote UID the engine gives. Nothing is fetched from the remote, nothing
 * is appended to the local server.
 *
 * Crash safety (doc/design.md, "intent"): the map line is written after
 * the local server moved the message, so a kill in between would leave
 * the moved message unmapped, and the next run would take it for a new
 * local message (uploaded again: a duplicate) while downloading the
 * remote one again. So the intent is recorded first, durably, in the
 * destination's map: a pending line "?<remote uid>:<digest>", the same
 * record an append leaves (mailsync-uid-map.h). The next listing of the
 * destination fetches its unmapped local messages and maps the one with
 * that content to the remote UID; a pending line nothing matches (a kill
 * before the MOVE) is dropped, and the source still maps the message, so
 * the engine sees the move again. A server without COPYUID (no new UID)
 * leaves the pending line for the same listing to resolve.
 *
 * Crash points (MAILSYNC_CRASH_AT): mapped-move-intent (intent durable,
 * nothing moved), mapped-moved (moved, not mapped).
 *
 * The move pass tells a local candidate by its Message-ID, its size and
 * date (the listing's): the Message-IDs come from the local server in one
 * UID FETCH of the header (the folder's fetch_message_ids, below), so the
 * one whole read of a moved message is the digest's here. */
#include "config.h"

#include "mailsync-mapped-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-worker.h"

typedef struct
{
  MailsyncFolder *destination;
  guint32 uid;
  guint32 new_uid;
} MoveArgs;

static void
move_args_free (MoveArgs *args)
{
  g_object_unref (args->destination);
  g_free (args);
}

static gboolean
move_locked (MailsyncMappedFolder *self, MailsyncMappedFolder *dest, const MoveArgs *args,
             GCancellable *cancellable, GError **error)
{
  g_autoptr(GBytes) body = NULL;
  g_autofree char *digest = NULL;
  g_autoptr(GArray) new_locals = NULL;
  guint32 local, new_local;

  if (self->map_error != NULL || dest->map_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->map_error ? self->map_error : dest->map_error));
      return FALSE;
    }
  local = mailsync_uid_map_to_local (self->map, args->uid);
  if (local == 0)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND, "No local message behind uid %u of %s",
                   args->uid, mailsync_folder_get_name (MAILSYNC_FOLDER (self)));
      return FALSE;
    }
  if (mailsync_uid_map_to_local (dest->map, args->new_uid) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "uid %u of %s is already mapped", args->new_uid,
                   mailsync_folder_get_name (MAILSYNC_FOLDER (dest)));
      return FALSE;
    }
  /* The intent, durable before the local server moves anything: the
   * content is what the destination's next listing recognises. */
  body = _mailsync_mapped_fetch_local (self, local, cancellable, error);
  if (body == NULL)
    return FALSE;
  digest = _mailsync_mapped_digest_bytes (body);
  mailsync_uid_map_add_pending (dest->map, args->new_uid, digest);
  if (!mailsync_uid_map_save (dest->map, error))
    return FALSE;
  _mailsync_crash_point ("mapped-move-intent");
  new_locals = mailsync_folder_move_messages (self->inner, &local, 1, dest->inner, cancellable, error);
  if (new_locals == NULL)
    return FALSE; /* the pending line stays: the next listing tells whether it moved */
  _mailsync_crash_point ("mapped-moved");
  new_local = new_locals->len == 1 ? g_array_index (new_locals, guint32, 0) : 0;
  if (new_local != 0)
    mailsync_uid_map_set (dest->map, new_local, args->new_uid);
  /* else the pending line stays until the next listing maps it */
  if (!mailsync_uid_map_save (dest->map, error))
    return FALSE;
  mailsync_uid_map_remove_local (self->map, local);
  return mailsync_uid_map_save (self->map, error);
}

static void
move_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncMappedFolder *self = source;
  MoveArgs *args = task_data;
  MailsyncMappedFolder *dest = MAILSYNC_MAPPED_FOLDER (args->destination);
  /* one lock order for the two maps: by address */
  GMutex *first = self < dest ? &self->map_lock : &dest->map_lock;
  GMutex *second = self < dest ? &dest->map_lock : &self->map_lock;
  GError *error = NULL;
  gboolean ok;

  g_mutex_lock (first);
  g_mutex_lock (second);
  ok = move_locked (self, dest, args, cancellable, &error);
  g_mutex_unlock (second);
  g_mutex_unlock (first);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
_mailsync_mapped_move_async (MailsyncFolder      *folder,
                             guint32              uid,
                             MailsyncFolder      *destination,
                             guint32              new_uid,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);
  MoveArgs *args;

  g_task_set_source_tag (task, _mailsync_mapped_move_async);
  /* the answer is what the local server did: a cancellation after the
   * MOVE must not report a message that moved as not moved */
  g_task_set_check_cancellable (task, FALSE);
  if (destination == folder || mailsync_folder_get_repository (destination) != mailsync_folder_get_repository (folder))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "Cannot move a message from %s to %s", mailsync_folder_get_name (folder),
                               mailsync_folder_get_name (destination));
      return;
    }
  args = g_new0 (MoveArgs, 1);
  args->destination = g_object_ref (destination);
  args->uid = uid;
  args->new_uid = new_uid;
  g_task_set_task_data (task, args, (GDestroyNotify) move_args_free);
  _mailsync_task_run_in_thread (task, move_thread);
}

gboolean
_mailsync_mapped_move_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Message-IDs: the inner folder's, under the remote UIDs ------------- */

static void
ids_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GHashTable *to_remote = g_task_get_task_data (task);
  g_autoptr(GHashTable) inner_ids = NULL;
  GHashTable *ids;
  GHashTableIter iter;
  gpointer key, value;
  GError *error = NULL;

  inner_ids = mailsync_folder_fetch_message_ids_finish (MAILSYNC_FOLDER (source), result, &error);
  if (inner_ids == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  ids = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_hash_table_iter_init (&iter, inner_ids);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gpointer remote = g_hash_table_lookup (to_remote, key);

      if (remote != NULL)
        {
          g_hash_table_iter_steal (&iter);
          g_hash_table_replace (ids, remote, value);
        }
    }
  g_task_return_pointer (task, ids, (GDestroyNotify) g_hash_table_unref);
}

void
_mailsync_mapped_fetch_message_ids_async (MailsyncFolder      *folder,
                                          const guint32       *uids,
                                          guint                n_uids,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  MailsyncMappedFolder *self = MAILSYNC_MAPPED_FOLDER (folder);
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  GHashTable *to_remote = g_hash_table_new (NULL, NULL);
  g_autoptr(GArray) locals = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n_uids);

  g_task_set_source_tag (task, _mailsync_mapped_fetch_message_ids_async);
  g_task_set_task_data (task, to_remote, (GDestroyNotify) g_hash_table_unref);
  g_mutex_lock (&self->map_lock);
  for (guint i = 0; i < n_uids; i++)
    {
      guint32 local = mailsync_uid_map_to_local (self->map, uids[i]);

      if (local != 0)
        {
          g_array_append_val (locals, local);
          g_hash_table_insert (to_remote, GUINT_TO_POINTER (local), GUINT_TO_POINTER (uids[i]));
        }
    }
  g_mutex_unlock (&self->map_lock);
  if (locals->len == 0)
    {
      g_task_return_pointer (task, g_hash_table_new_full (NULL, NULL, NULL, g_free),
                             (GDestroyNotify) g_hash_table_unref);
      g_object_unref (task);
      return;
    }
  /* task: the reference ids_done takes over */
  mailsync_folder_fetch_message_ids_async (self->inner, (const guint32 *) locals->data, locals->len, cancellable,
                                           ids_done, task);
}

GHashTable *
_mailsync_mapped_fetch_message_ids_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
