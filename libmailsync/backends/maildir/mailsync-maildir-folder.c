#include "config.h"

#include "mailsync-maildir-folder.h"
#include "mailsync-maildir-repository.h"
#include "mailsync-maildir-private.h"
#include "mailsync-maildir-folder-private.h"
#include "mailsync-maildir-filename.h"
#include "mailsync-maildir-delivery.h"
#include "mailsync-maildir-keywords.h"
#include "mailsync-error.h"
#include "mailsync-message-info.h"
#include "mailsync-private.h"
#include "mailsync-folder-engine-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>

/**
 * MailsyncMaildirFolder:
 *
 * One Maildir folder (a directory with `cur/`, `new/` and `tmp/`), with
 * offlineimap's file names: a message's UID is the `U=` field of its name,
 * trusted only when the name's `FMD5=` is the MD5 of this folder's visible
 * name. Any other file is new local mail, listed with UID 0 and its relative
 * path as key.
 *
 * Operations run in worker threads and may overlap: an index from UID to the
 * current file name, guarded by a mutex, lets flag changes and deletions find
 * files, and a rescan finds them again when something else renamed them.
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (MailsyncMaildirFolder, mailsync_maildir_folder, MAILSYNC_TYPE_FOLDER)

/* Helpers shared by the files of the folder (mailsync-maildir-folder-private.h) ---- */

MailsyncMaildirRepository *
_mailsync_maildir_folder_get_repo (MailsyncMaildirFolder *self)
{
  return MAILSYNC_MAILDIR_REPOSITORY (mailsync_folder_get_repository (MAILSYNC_FOLDER (self)));
}

const char *
_mailsync_maildir_folder_name_mark (MailsyncMaildirFolder *self)
{
  return _mailsync_maildir_repository_get_name_mark (_mailsync_maildir_folder_get_repo (self));
}

char
_mailsync_maildir_folder_info_sep (MailsyncMaildirFolder *self)
{
  return mailsync_maildir_repository_get_windows_compatible (_mailsync_maildir_folder_get_repo (self)) ? '!' : ':';
}

/* The md5 is computed from the visible name in the calling thread: the name
 * translation may be a user callback (a language binding) that should not
 * run in a worker thread. */
char *
_mailsync_maildir_folder_dup_md5 (MailsyncMaildirFolder *self)
{
  char *md5;

  g_mutex_lock (&self->lock);
  md5 = g_strdup (self->md5);
  g_mutex_unlock (&self->lock);
  if (md5 == NULL)
    {
      g_autofree char *visible = mailsync_folder_get_visible_name (MAILSYNC_FOLDER (self));

      md5 = _mailsync_maildir_folder_md5 (visible);
      g_mutex_lock (&self->lock);
      if (self->md5 == NULL)
        self->md5 = g_strdup (md5);
      g_mutex_unlock (&self->lock);
    }
  return md5;
}

void
_mailsync_maildir_folder_mark_dirty (MailsyncMaildirFolder *self,
                                     const char            *rel)
{
  g_mutex_lock (&self->lock);
  if (g_str_has_prefix (rel, "new/"))
    self->dirty_new = TRUE;
  else
    self->dirty_cur = TRUE;
  g_mutex_unlock (&self->lock);
}

char *
_mailsync_maildir_folder_index_lookup (MailsyncMaildirFolder *self,
                                       guint32                uid)
{
  char *rel;

  g_mutex_lock (&self->lock);
  rel = g_strdup (g_hash_table_lookup (self->index, GUINT_TO_POINTER (uid)));
  g_mutex_unlock (&self->lock);
  return rel;
}

void
_mailsync_maildir_folder_index_set (MailsyncMaildirFolder *self,
                                    guint32                uid,
                                    const char            *rel)
{
  if (uid == 0)
    return;
  g_mutex_lock (&self->lock);
  if (rel != NULL)
    g_hash_table_insert (self->index, GUINT_TO_POINTER (uid), g_ref_string_new (rel));
  else
    g_hash_table_remove (self->index, GUINT_TO_POINTER (uid));
  g_mutex_unlock (&self->lock);
}

gboolean
_mailsync_maildir_folder_readonly_error (MailsyncMaildirFolder  *self,
                                         GError                **error)
{
  if (!mailsync_repository_get_readonly (MAILSYNC_REPOSITORY (_mailsync_maildir_folder_get_repo (self))))
    return FALSE;
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY,
               "Maildir folder %s is read-only", self->path);
  return TRUE;
}

/* A key is "new/<name>" or "cur/<name>"; anything else could reach outside
 * the folder. */
gboolean
_mailsync_maildir_folder_check_key (const char  *key,
                                    GError     **error)
{
  const char *name;

  if (key != NULL && (g_str_has_prefix (key, "new/") || g_str_has_prefix (key, "cur/")))
    {
      name = key + 4;
      if (*name != '\0' && *name != '.' && strchr (name, '/') == NULL)
        return TRUE;
    }
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
               "Invalid Maildir message key \"%s\"", key ? key : "(null)");
  return FALSE;
}

void
_mailsync_maildir_folder_flags_to_keywords (MailsyncMaildirFolder *self,
                                            const char            *letters,
                                            GStrv                 *keywords_out)
{
  g_autofree char *keywords = NULL;
  gboolean any = FALSE;

  for (const char *p = letters; p && *p; p++)
    any = any || (*p >= 'a' && *p <= 'z');
  if (!any)
    {
      *keywords_out = g_new0 (char *, 1);
      return;
    }
  /* customflag letters, then the folder's dovecot-keywords (issue 10 item 3) */
  keywords = _mailsync_maildir_keywords_letters_to_keywords (_mailsync_maildir_folder_get_repo (self), self->path, letters);
  *keywords_out = *keywords != '\0' ? g_strsplit (keywords, " ", -1) : g_new0 (char *, 1);
}

gboolean
_mailsync_maildir_folder_rename_rel (MailsyncMaildirFolder  *self,
                                     const char             *from_rel,
                                     const char             *to_rel,
                                     GError                **error)
{
  g_autofree char *from = g_build_filename (self->path, from_rel, NULL);
  g_autofree char *to = g_build_filename (self->path, to_rel, NULL);

  if (!_mailsync_maildir_rename_noreplace (from, to, error))
    return FALSE;
  _mailsync_maildir_folder_mark_dirty (self, from_rel);
  _mailsync_maildir_folder_mark_dirty (self, to_rel);
  return TRUE;
}

/* Runs @one for every UID of @d. It goes on past a failed message so that
 * one vanished file does not leave the others unchanged, and stops when
 * @cancellable is cancelled. Returns the first failure, or NULL. */
GError *
_mailsync_maildir_folder_for_each_uid (MailsyncMaildirFolder *self,
                                       OpData                *d,
                                       MailsyncMaildirUidOp   one,
                                       GCancellable          *cancellable)
{
  GError *first_error = NULL;

  for (guint i = 0; i < d->n_uids; i++)
    {
      GError *error = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, &error) ||
          !one (self, d, d->uids[i], cancellable, &error))
        {
          if (first_error == NULL)
            first_error = error;
          else
            g_error_free (error);
          if (g_cancellable_is_cancelled (cancellable))
            break;
        }
    }
  return first_error;
}

/* Common task data ------------------------------------------------------------ */

static void
op_data_free (gpointer data)
{
  OpData *d = data;

  g_free (d->md5);
  g_clear_object (&d->info);
  g_clear_object (&d->content);
  g_clear_pointer (&d->bytes, g_bytes_unref);
  g_free (d->uids);
  g_free (d->add_keywords);
  g_free (d->remove_keywords);
  g_free (d->add_letters);
  g_free (d->remove_letters);
  g_free (d);
}

GTask *
_mailsync_maildir_folder_op_task_new (MailsyncMaildirFolder *self,
                                      gpointer               source_tag,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data,
                                      OpData               **data_out)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  OpData *d = g_new0 (OpData, 1);

  /* the function, not GLib's macro, which would name every task
   * "source_tag" with a copy of that text: one task per delivery */
  (g_task_set_source_tag) (task, source_tag);
  d->md5 = _mailsync_maildir_folder_dup_md5 (self);
  g_task_set_task_data (task, d, op_data_free);
  *data_out = d;
  return task;
}

static gboolean
boolean_finish (MailsyncFolder  *folder,
                GAsyncResult    *result,
                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static MailsyncMessageInfo *
info_finish (MailsyncFolder  *folder,
             GAsyncResult    *result,
             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* flush ---------------------------------------------------------------------- */

static void
flush_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  gboolean do_fsync = mailsync_maildir_repository_get_fsync (_mailsync_maildir_folder_get_repo (self));
  gboolean dirty[2];
  static const char *const subdirs[] = { "new", "cur" };
  GError *error = NULL;

  g_mutex_lock (&self->lock);
  dirty[0] = self->dirty_new;
  dirty[1] = self->dirty_cur;
  self->dirty_new = self->dirty_cur = FALSE;
  g_mutex_unlock (&self->lock);

  for (guint i = 0; do_fsync && i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = NULL;

      if (!dirty[i])
        continue;
      dir = g_build_filename (self->path, subdirs[i], NULL);
      if (!_mailsync_fsync_dir (dir, &error))
        {
          /* Still not durable: the next flush must try again. */
          g_mutex_lock (&self->lock);
          self->dirty_new |= dirty[0];
          self->dirty_cur |= dirty[1];
          g_mutex_unlock (&self->lock);
          g_task_return_error (task, error);
          return;
        }
      dirty[i] = FALSE;
    }
  g_task_return_boolean (task, TRUE);
}

static void
mailsync_maildir_folder_flush_async (MailsyncFolder      *folder,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_maildir_folder_flush_async);
  g_task_run_in_thread (task, flush_thread);
}

static guint32
mailsync_maildir_folder_get_uidvalidity (MailsyncFolder *folder)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  guint32 uidvalidity;

  if (!mailsync_maildir_repository_get_assign_uids (_mailsync_maildir_folder_get_repo (self)))
    return MAILSYNC_MAILDIR_DEFAULT_UIDVALIDITY;
  g_mutex_lock (&self->lock);
  uidvalidity = self->uidvalidity;
  g_mutex_unlock (&self->lock);
  return uidvalidity;
}

/* GObject ----------------------------------------------------------------------- */

static void
mailsync_maildir_folder_constructed (GObject *object)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (object);
  MailsyncRepository *repository;

  G_OBJECT_CLASS (mailsync_maildir_folder_parent_class)->constructed (object);

  repository = mailsync_folder_get_repository (MAILSYNC_FOLDER (self));
  g_return_if_fail (MAILSYNC_IS_MAILDIR_REPOSITORY (repository));
  self->path = _mailsync_maildir_repository_folder_path (MAILSYNC_MAILDIR_REPOSITORY (repository),
                                                         mailsync_folder_get_name (MAILSYNC_FOLDER (self)));
}

static void
mailsync_maildir_folder_finalize (GObject *object)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (object);

  g_free (self->path);
  g_free (self->md5);
  g_hash_table_unref (self->index);
  g_hash_table_unref (self->twins);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mailsync_maildir_folder_parent_class)->finalize (object);
}

/* ---- keywords, the local move, and the engine's private questions (issue 14 item 3) ---- */

/* The public keyword members take arrays; the keyword code here works on
 * space-separated lists (a keyword is an atom: it has no space). */
static void
folder_set_keywords_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids, const char * const *add,
                           const char * const *remove, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autofree char *added = add != NULL ? g_strjoinv (" ", (char **) add) : NULL;
  g_autofree char *removed = remove != NULL ? g_strjoinv (" ", (char **) remove) : NULL;

  _mailsync_maildir_folder_set_keywords_async (MAILSYNC_MAILDIR_FOLDER (folder), uids, n_uids, added, removed,
                                               cancellable, callback, user_data);
}

static gboolean
folder_set_keywords_finish (MailsyncFolder *folder, GAsyncResult *result, char ***not_stored, GError **error)
{
  return _mailsync_maildir_folder_set_keywords_finish (MAILSYNC_MAILDIR_FOLDER (folder), result, not_stored, error);
}

/* The status keeps a Maildir's keywords as its file names' letters. */
static char *
engine_keywords_from_letters (MailsyncFolder *folder, const char *letters)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);

  return _mailsync_maildir_keywords_letters_to_keywords (_mailsync_maildir_folder_get_repo (self), self->path,
                                                         letters);
}

static char *
engine_keywords_to_letters (MailsyncFolder *folder, const char * const *keywords)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);

  /* known letters only: a status row never gives a keyword a new one */
  return _mailsync_maildir_keywords_to_letters (_mailsync_maildir_folder_get_repo (self), self->path, keywords,
                                                FALSE, NULL, NULL);
}

static gboolean
engine_reserve_keywords (MailsyncFolder *folder, const char * const *keywords, GError **error)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  g_autofree char *letters = _mailsync_maildir_keywords_to_letters (_mailsync_maildir_folder_get_repo (self), self->path,
                                                                    keywords, TRUE, NULL, error);

  return letters != NULL;
}

static gboolean
folder_move_message (MailsyncFolder *folder, guint32 uid, MailsyncFolder *dest, guint32 new_uid,
                     GCancellable *cancellable, GError **error)
{
  /* one rename: mailsync_folder_move_message() checked @cancellable */
  return _mailsync_maildir_folder_move_message (MAILSYNC_MAILDIR_FOLDER (folder), uid, MAILSYNC_MAILDIR_FOLDER (dest),
                                                new_uid, error);
}

static const char *
engine_get_directory (MailsyncFolder *folder)
{
  return MAILSYNC_MAILDIR_FOLDER (folder)->path;
}

static gboolean
engine_get_fsync (MailsyncFolder *folder)
{
  return mailsync_maildir_repository_get_fsync (_mailsync_maildir_folder_get_repo (MAILSYNC_MAILDIR_FOLDER (folder)));
}

static char *
engine_key_identity (MailsyncFolder *folder, const char *key)
{
  (void) folder;
  return _mailsync_maildir_name_identity (key);
}

static char *
engine_dup_name_stem (MailsyncFolder *folder)
{
  return _mailsync_maildir_name_stem (_mailsync_maildir_folder_name_mark (MAILSYNC_MAILDIR_FOLDER (folder)));
}

static gboolean
engine_key_has_stem (MailsyncFolder *folder, const char *key, const char *stem)
{
  (void) folder;
  return _mailsync_maildir_name_has_stem (key, stem);
}

static const _MailsyncFolderEngineVTable engine_vtable = {
  .keywords_from_letters = engine_keywords_from_letters,
  .keywords_to_letters = engine_keywords_to_letters,
  .reserve_keywords = engine_reserve_keywords,
  .get_directory = engine_get_directory,
  .get_fsync = engine_get_fsync,
  .take_stamp = _mailsync_maildir_folder_take_stamp,
  .scan_names = _mailsync_maildir_folder_scan_names,
  .release_listing = _mailsync_maildir_folder_release_index,
  .list_changes_only = _mailsync_maildir_folder_list_rows,
  .key_identity = engine_key_identity,
  .hold_deliveries = _mailsync_maildir_folder_hold_deliveries,
  .deliver = _mailsync_maildir_folder_deliver,
  .dup_name_stem = engine_dup_name_stem,
  .key_has_stem = engine_key_has_stem,
};

static void
mailsync_maildir_folder_class_init (MailsyncMaildirFolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MailsyncFolderClass *folder_class = MAILSYNC_FOLDER_CLASS (klass);

  object_class->constructed = mailsync_maildir_folder_constructed;
  object_class->finalize = mailsync_maildir_folder_finalize;

  folder_class->list_messages_async = _mailsync_maildir_folder_list_messages_async;
  folder_class->list_messages_finish = _mailsync_maildir_folder_list_messages_finish;
  folder_class->fetch_message_async = _mailsync_maildir_folder_fetch_message_async;
  folder_class->fetch_message_finish = _mailsync_maildir_folder_fetch_message_finish;
  folder_class->append_message_async = _mailsync_maildir_folder_append_message_async;
  folder_class->append_message_finish = info_finish;
  folder_class->set_flags_async = _mailsync_maildir_folder_set_flags_async;
  folder_class->set_flags_finish = boolean_finish;
  folder_class->delete_messages_async = _mailsync_maildir_folder_delete_messages_async;
  folder_class->delete_messages_finish = boolean_finish;
  folder_class->set_message_uid_async = _mailsync_maildir_folder_set_message_uid_async;
  folder_class->set_message_uid_finish = info_finish;
  folder_class->flush_async = mailsync_maildir_folder_flush_async;
  folder_class->flush_finish = boolean_finish;
  folder_class->get_uidvalidity = mailsync_maildir_folder_get_uidvalidity;
  folder_class->transfer_messages_async = _mailsync_maildir_folder_transfer_messages_async;
  folder_class->transfer_messages_finish = _mailsync_maildir_folder_transfer_messages_finish;
  folder_class->expunge_async = _mailsync_maildir_folder_expunge_async;
  folder_class->expunge_finish = boolean_finish;
  folder_class->set_keywords_async = folder_set_keywords_async;
  folder_class->set_keywords_finish = folder_set_keywords_finish;
  folder_class->move_message = folder_move_message;
  _mailsync_folder_class_set_engine (klass, &engine_vtable);
}

void
_mailsync_maildir_folder_init_index (MailsyncMaildirFolder *self)
{
  /* uid -> GRefString: the listing's names, shared with its message infos */
  self->index = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) g_ref_string_release);
  self->twins = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                       (GDestroyNotify) g_ptr_array_unref);
}

static void
mailsync_maildir_folder_init (MailsyncMaildirFolder *self)
{
  g_mutex_init (&self->lock);
  _mailsync_maildir_folder_init_index (self);
}

MailsyncMaildirFolder *
_mailsync_maildir_folder_new (MailsyncMaildirRepository *repository,
                              const char                *name)
{
  return g_object_new (MAILSYNC_TYPE_MAILDIR_FOLDER,
                       "name", name,
                       "repository", repository,
                       NULL);
}

/**
 * mailsync_maildir_folder_get_path:
 * @self: a Maildir folder
 *
 * Gets the folder's directory, the one that holds `cur`, `new` and `tmp`.
 *
 * Returns: the folder's directory (the one holding `cur/`, `new/`, `tmp/`)
 *
 * Since: 0.1
 */
const char *
mailsync_maildir_folder_get_path (MailsyncMaildirFolder *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MAILDIR_FOLDER (self), NULL);
  return self->path;
}
