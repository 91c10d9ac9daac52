/* Removal and transfer of a Maildir folder's message files: delete,
 * copy and move into another folder, expunge, and the engine's move. */
#include "config.h"

#include "mailsync-maildir-folder-private.h"
#include "mailsync-maildir-delivery.h"
#include "mailsync-maildir-filename.h"
#include "mailsync-error.h"
#include "mailsync-message-info.h"
#include "mailsync-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>

/* delete_messages ------------------------------------------------------------ */

/* An identical copy of a deleted message goes with it: it is the same
 * message, and left alone it would claim the UID at the next listing and
 * be uploaded back. */
static void
delete_twins (MailsyncMaildirFolder *self,
              guint32                uid)
{
  g_autoptr(GPtrArray) twins = NULL;

  g_mutex_lock (&self->lock);
  g_hash_table_steal_extended (self->twins, GUINT_TO_POINTER (uid), NULL, (gpointer *) &twins);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; twins != NULL && i < twins->len; i++)
    {
      g_autofree char *path = g_build_filename (self->path, twins->pdata[i], NULL);

      if (g_unlink (path) == 0)
        _mailsync_maildir_folder_mark_dirty (self, twins->pdata[i]);
    }
}

static gboolean
delete_one (MailsyncMaildirFolder  *self,
            OpData                 *d,
            guint32                 uid,
            GCancellable           *cancellable,
            GError                **error)
{
  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autofree char *rel = _mailsync_maildir_folder_locate (self, d->md5, uid, attempt > 0, cancellable, error);
      g_autofree char *path = NULL;

      if (rel == NULL)
        return error == NULL || *error == NULL;  /* already gone: fine */
      path = g_build_filename (self->path, rel, NULL);
      if (g_unlink (path) == 0)
        {
          _mailsync_maildir_folder_index_set (self, uid, NULL);
          _mailsync_maildir_folder_mark_dirty (self, rel);
          delete_twins (self, uid);
          return TRUE;
        }
      if (errno != ENOENT)
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot delete", path);
          return FALSE;
        }
      /* Gone from where we thought: renamed (look again) or deleted. */
      _mailsync_maildir_folder_index_set (self, uid, NULL);
    }
  return TRUE;
}

static void
delete_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  GError *first_error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (_mailsync_maildir_folder_readonly_error (self, &first_error))
    {
      g_task_return_error (task, first_error);
      return;
    }
  first_error = _mailsync_maildir_folder_for_each_uid (self, d, delete_one, cancellable);
  if (first_error != NULL)
    g_task_return_error (task, first_error);
  else
    g_task_return_boolean (task, TRUE);
}

void
_mailsync_maildir_folder_delete_messages_async (MailsyncFolder      *folder,
                                                const guint32       *uids,
                                                guint                n_uids,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  OpData *d;
  g_autoptr(GTask) task = _mailsync_maildir_folder_op_task_new (MAILSYNC_MAILDIR_FOLDER (folder),
                                                                _mailsync_maildir_folder_delete_messages_async,
                                                                cancellable, callback, user_data, &d);

  d->uids = g_memdup2 (uids, sizeof (guint32) * n_uids);
  d->n_uids = n_uids;
  g_task_run_in_thread (task, delete_thread);
}

/* copy, move, expunge ---------------------------------------------------------- */

/* A copy that is complete before it has its name: the bytes go to the
 * destination's tmp/ and are renamed into cur/ (a hard link first: Maildir
 * files never change content, and a link cannot be seen half written). */
static gboolean
copy_file_into (const char  *from,
                const char  *dest_path,
                const char  *to,
                GError     **error)
{
  g_autofree char *tmp_name = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GFile) src = NULL;
  g_autoptr(GFile) dst = NULL;

  if (link (from, to) == 0)
    return TRUE;
  if (errno == EEXIST)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Cannot copy %s: %s already exists", from, to);
      return FALSE;
    }
  if (errno == ENOENT)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot copy", from);
      return FALSE;
    }
  /* a tmp/ name only: the final one is @to */
  tmp_name = _mailsync_maildir_name_build ((gint64) time (NULL), 0, NULL, "", ':', NULL);
  tmp = g_build_filename (dest_path, "tmp", tmp_name, NULL);
  src = g_file_new_for_path (from);
  dst = g_file_new_for_path (tmp);
  if (!g_file_copy (src, dst, G_FILE_COPY_NOFOLLOW_SYMLINKS | G_FILE_COPY_ALL_METADATA, NULL, NULL, NULL, error))
    return FALSE;
  if (!_mailsync_maildir_rename_noreplace (tmp, to, error))
    {
      g_unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

static gboolean
same_file_system (MailsyncMaildirFolder *a,
                  MailsyncMaildirFolder *b)
{
  GStatBuf sa, sb;

  if (g_stat (a->path, &sa) != 0 || g_stat (b->path, &sb) != 0)
    return TRUE;  /* the rename says what is wrong */
  return sa.st_dev == sb.st_dev;
}

/* Moves or copies the message @uid of @self into @dest's cur/, under
 * @new_uid there (0: none yet). Returns the new rel in @dest, NULL with
 * no error when @uid is not in @self any more. */
static char *
transfer_one (MailsyncMaildirFolder  *self,
              const char             *md5,
              guint32                 uid,
              MailsyncMaildirFolder  *dest,
              const char             *dest_md5,
              guint32                 new_uid,
              gboolean                move,
              GCancellable           *cancellable,
              GError                **error)
{
  for (guint attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++)
    {
      g_autofree char *rel = _mailsync_maildir_folder_locate (self, md5, uid, attempt > 0, cancellable, error);
      g_autofree char *from = NULL;
      g_autofree char *to = NULL;
      g_autofree char *name = NULL;
      g_autofree char *new_rel = NULL;
      g_autoptr(GError) local_error = NULL;
      MailsyncMaildirName parsed;
      gboolean ok;

      if (rel == NULL)
        return NULL;
      _mailsync_maildir_name_parse (rel + 4, &parsed);
      if (attempt == 0)
        name = _mailsync_maildir_name_for_destination (&parsed, new_uid, dest_md5, _mailsync_maildir_folder_info_sep (dest));
      else
        {
          /* The name is taken there (a copy made before): a fresh one. */
          g_autofree char *flags = _mailsync_maildir_flags_sort (parsed.flags);

          name = _mailsync_maildir_name_build ((gint64) time (NULL), new_uid, dest_md5, flags,
                                               parsed.info_sep ? parsed.info_sep : _mailsync_maildir_folder_info_sep (dest),
                                               _mailsync_maildir_folder_name_mark (dest));
        }
      _mailsync_maildir_name_clear (&parsed);
      new_rel = g_strdup_printf ("cur/%s", name);
      from = g_build_filename (self->path, rel, NULL);
      to = g_build_filename (dest->path, new_rel, NULL);
      if (move && same_file_system (self, dest))
        ok = _mailsync_maildir_rename_noreplace (from, to, &local_error);
      else if (move)
        /* Another file system under the root: copy, then unlink. */
        ok = copy_file_into (from, dest->path, to, &local_error) && (g_unlink (from) == 0 || errno == ENOENT);
      else
        ok = copy_file_into (from, dest->path, to, &local_error);
      if (ok)
        {
          if (move)
            {
              _mailsync_maildir_folder_index_set (self, uid, NULL);
              _mailsync_maildir_folder_mark_dirty (self, rel);
            }
          _mailsync_maildir_folder_index_set (dest, new_uid, new_rel);
          _mailsync_maildir_folder_mark_dirty (dest, new_rel);
          return g_steal_pointer (&new_rel);
        }
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          /* Renamed under us (a flag change): find it again. */
          _mailsync_maildir_folder_index_set (self, uid, NULL);
          continue;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Cannot find a free name for message %u in %s",
               uid, dest->path);
  return NULL;
}

typedef struct
{
  guint32 *uids;
  guint n_uids;
  char *md5;
  MailsyncMaildirFolder *dest;
  char *dest_md5;
  gboolean move;
} TransferData;

static void
transfer_data_free (TransferData *d)
{
  g_free (d->uids);
  g_free (d->md5);
  g_clear_object (&d->dest);
  g_free (d->dest_md5);
  g_free (d);
}

static void
transfer_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  TransferData *d = task_data;
  g_autoptr(GArray) uids = g_array_sized_new (FALSE, TRUE, sizeof (guint32), d->n_uids);
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (_mailsync_maildir_folder_readonly_error (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < d->n_uids; i++)
    {
      g_autofree char *rel = NULL;
      const guint32 none = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        break;
      rel = transfer_one (self, d->md5, d->uids[i], d->dest, d->dest_md5, 0, d->move, cancellable, &error);
      if (error != NULL)
        break;
      if (rel == NULL)
        {
          error = g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                               "No message %u in %s", d->uids[i], self->path);
          break;
        }
      /* The destination names it at its next listing (uid 0 here). */
      g_array_append_val (uids, none);
    }
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&uids), (GDestroyNotify) g_array_unref);
}

void
_mailsync_maildir_folder_transfer_messages_async (MailsyncFolder      *folder,
                                                  const guint32       *uids,
                                                  guint                n_uids,
                                                  MailsyncFolder      *destination,
                                                  gboolean             delete_originals,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  TransferData *d;

  g_task_set_source_tag (task, _mailsync_maildir_folder_transfer_messages_async);
  if (!MAILSYNC_IS_MAILDIR_FOLDER (destination))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "%s is not a Maildir folder", mailsync_folder_get_name (destination));
      return;
    }
  d = g_new0 (TransferData, 1);
  d->uids = g_memdup2 (uids, sizeof (guint32) * n_uids);
  d->n_uids = n_uids;
  d->md5 = _mailsync_maildir_folder_dup_md5 (self);
  d->dest = g_object_ref (MAILSYNC_MAILDIR_FOLDER (destination));
  d->dest_md5 = _mailsync_maildir_folder_dup_md5 (d->dest);
  d->move = delete_originals;
  g_task_set_task_data (task, d, (GDestroyNotify) transfer_data_free);
  g_task_run_in_thread (task, transfer_thread);
}

gboolean
_mailsync_maildir_folder_transfer_messages_finish (MailsyncFolder  *folder,
                                                   GAsyncResult    *result,
                                                   guint32        **new_uids,
                                                   guint           *n_new_uids,
                                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return _mailsync_folder_take_new_uids (g_task_propagate_pointer (G_TASK (result), error), new_uids, n_new_uids);
}

/* Maildir's \Deleted is the T (trashed) flag: expunging unlinks those. */
static void
expunge_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  static const char *const subdirs[] = { "cur", "new" };
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task) || (_mailsync_maildir_folder_readonly_error (self, &error), error != NULL))
    {
      if (error != NULL)
        g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir_path = g_build_filename (self->path, subdirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &error);
      const char *entry;

      if (dir == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      while ((entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *rel = g_strdup_printf ("%s/%s", subdirs[i], entry);
          g_autofree char *path = NULL;
          MailsyncMaildirName name;
          gboolean trashed;

          if (entry[0] == '.')
            continue;
          _mailsync_maildir_name_parse (entry, &name);
          trashed = strchr (name.flags, 'T') != NULL;
          _mailsync_maildir_name_clear (&name);
          if (!trashed)
            continue;
          path = g_build_filename (self->path, rel, NULL);
          if (g_unlink (path) != 0 && errno != ENOENT)
            {
              _mailsync_set_error_from_errno (&error, errno, "Cannot delete", path);
              g_task_return_error (task, error);
              return;
            }
          _mailsync_maildir_folder_mark_dirty (self, rel);
        }
    }
  /* The index may name removed files: the next locate rescans. */
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->index);
  g_mutex_unlock (&self->lock);
  g_task_return_boolean (task, TRUE);
}

void
_mailsync_maildir_folder_expunge_async (MailsyncFolder      *folder,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, _mailsync_maildir_folder_expunge_async);
  g_task_run_in_thread (task, expunge_thread);
}

/* The engine's local side of a move the server made: one rename(2) that
 * gives the file its UID in @dest, so that a crash right after leaves a
 * file the next run only records (doc/design.md "Moves"). */
gboolean
_mailsync_maildir_folder_move_message (MailsyncMaildirFolder  *self,
                                       guint32                 uid,
                                       MailsyncMaildirFolder  *dest,
                                       guint32                 new_uid,
                                       GError                **error)
{
  g_autofree char *md5 = _mailsync_maildir_folder_dup_md5 (self);
  g_autofree char *dest_md5 = _mailsync_maildir_folder_dup_md5 (dest);
  g_autofree char *rel = NULL;
  GError *local_error = NULL;

  if (_mailsync_maildir_folder_readonly_error (self, error))
    return FALSE;
  rel = transfer_one (self, md5, uid, dest, dest_md5, new_uid, TRUE, NULL, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (rel == NULL)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND, "No message %u in %s", uid, self->path);
      return FALSE;
    }
  return TRUE;
}
