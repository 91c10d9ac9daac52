#include "config.h"

#include "mailsync-maildir-repository.h"
#include "mailsync-maildir-folder.h"
#include "mailsync-maildir-private.h"
#include "mailsync-maildir-filename.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

/**
 * MailsyncMaildirRepository:
 *
 * A tree of Maildir folders under one root directory, laid out and named as
 * offlineimap does (`localfolders`, `sep`), so that an offlineimap Maildir is
 * taken over as it is.
 *
 * With separator `.` folder `A.B` is the directory `root/A.B`; with `/` it is
 * `root/A/B` and the scan recurses. The root itself is the folder `""` when
 * it has `cur/`, `new/` and `tmp/`. Directories starting with a dot are not
 * special (a Maildir++ `.Sent` is a folder literally named `.Sent`).
 *
 * Since: 0.1
 */

struct _MailsyncMaildirRepository
{
  MailsyncRepository parent_instance;

  char *root;
  gboolean assign_uids;
  gboolean fsync;
  gboolean windows_compatible;
  gboolean utime_from_header;
  gboolean filename_use_mail_timestamp;
  gboolean restore_atime;

  GMutex flags_lock;
  char *custom_flags[26];  /* keyword for 'a'..'z' */

  GMutex uid_lock;

  char *name_mark;  /* immutable: read by the delivery threads unlocked */
};

G_DEFINE_FINAL_TYPE (MailsyncMaildirRepository, mailsync_maildir_repository, MAILSYNC_TYPE_REPOSITORY)

enum
{
  PROP_0,
  PROP_ROOT,
  PROP_ASSIGN_UIDS,
  PROP_FSYNC,
  PROP_WINDOWS_COMPATIBLE,
  PROP_UTIME_FROM_HEADER,
  PROP_FILENAME_USE_MAIL_TIMESTAMP,
  PROP_RESTORE_ATIME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers ---------------------------------------------------------------- */

char *
_mailsync_maildir_repository_folder_path (MailsyncMaildirRepository *self,
                                          const char                *name)
{
  if (name == NULL || *name == '\0')
    return g_strdup (self->root);
  return g_build_filename (self->root, name, NULL);
}

char *
_mailsync_maildir_repository_dup_keyword (MailsyncMaildirRepository *self,
                                          char                       letter)
{
  char *keyword;

  if (letter < 'a' || letter > 'z')
    return NULL;
  g_mutex_lock (&self->flags_lock);
  keyword = g_strdup (self->custom_flags[letter - 'a']);
  g_mutex_unlock (&self->flags_lock);
  return keyword;
}

char
_mailsync_maildir_repository_letter_for (MailsyncMaildirRepository *self,
                                         const char                *keyword)
{
  char letter = 0;

  if (keyword == NULL)
    return 0;
  g_mutex_lock (&self->flags_lock);
  for (guint i = 0; i < G_N_ELEMENTS (self->custom_flags); i++)
    /* IMAP keywords are case-insensitive, but offlineimap matches exactly. */
    if (g_strcmp0 (self->custom_flags[i], keyword) == 0)
      {
        letter = (char) ('a' + i);
        break;
      }
  g_mutex_unlock (&self->flags_lock);
  return letter;
}

GMutex *
_mailsync_maildir_repository_get_uid_lock (MailsyncMaildirRepository *self)
{
  return &self->uid_lock;
}

const char *
_mailsync_maildir_repository_get_name_mark (MailsyncMaildirRepository *self)
{
  return self->name_mark;
}

static gboolean
check_root (MailsyncMaildirRepository  *self,
            GError                    **error)
{
  GStatBuf st;

  /* A missing or unmounted root must never look like an empty store: that
   * would propagate the deletion of every message (DESIGN §5 rule 1). */
  if (self->root == NULL || *self->root == '\0')
    {
      g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                           "Maildir repository has no root directory");
      return FALSE;
    }
  if (g_stat (self->root, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Maildir root %s is not accessible: %s", self->root, g_strerror (saved));
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                   "Maildir root %s is not a directory", self->root);
      return FALSE;
    }
  return TRUE;
}


static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;

  if (!check_root (source_object, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
mailsync_maildir_repository_open_async (MailsyncRepository  *repository,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (repository, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_maildir_repository_open_async);
  g_task_run_in_thread (task, open_thread);
}

static gboolean
mailsync_maildir_repository_boolean_finish (MailsyncRepository  *repository,
                                            GAsyncResult        *result,
                                            GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repository), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
list_folders_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  MailsyncMaildirRepository *self = source_object;
  g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func (g_object_unref);
  GError *error = NULL;

  if (!check_root (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (_mailsync_maildir_is_maildir (self->root))
    g_ptr_array_add (folders, _mailsync_maildir_folder_new (self, ""));
  if (!_mailsync_maildir_scan_folders (self, self->root, NULL, 0, folders, cancellable, &error))
    {
      /* An unreadable subtree is unknown state, not an empty one. */
      g_prefix_error (&error, "Cannot list Maildir folders under %s: ", self->root);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&folders), (GDestroyNotify) g_ptr_array_unref);
}

static void
mailsync_maildir_repository_list_folders_async (MailsyncRepository  *repository,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (repository, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_maildir_repository_list_folders_async);
  g_task_run_in_thread (task, list_folders_thread);
}

static GPtrArray *
mailsync_maildir_repository_list_folders_finish (MailsyncRepository  *repository,
                                                 GAsyncResult        *result,
                                                 GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repository), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- folder info ---------------------------------------------------------- */

/* Counts the messages of one of a folder's cur/ or new/ directories:
 * every entry but dot files (as the folder's listing skips them); unseen
 * are those without S among their flags. A missing directory counts
 * nothing, an unreadable one makes the counts unknown. */
static gboolean
count_dir (const char *path, gint64 *total, gint64 *unseen)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *entry;

  if (dir == NULL)
    return g_file_test (path, G_FILE_TEST_EXISTS) == FALSE;
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      MailsyncMaildirName name;

      if (entry[0] == '.')
        continue;
      _mailsync_maildir_name_parse (entry, &name);
      (*total)++;
      if (strchr (name.flags, 'S') == NULL)
        (*unseen)++;
      _mailsync_maildir_name_clear (&name);
    }
  return TRUE;
}

static void
list_folder_info_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  MailsyncMaildirRepository *self = source_object;
  char separator = mailsync_repository_get_separator (MAILSYNC_REPOSITORY (self));
  g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) infos = NULL;
  GError *error = NULL;

  if (!check_root (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (_mailsync_maildir_is_maildir (self->root))
    g_ptr_array_add (folders, _mailsync_maildir_folder_new (self, ""));
  if (!_mailsync_maildir_scan_folders (self, self->root, NULL, 0, folders, cancellable, &error))
    {
      g_prefix_error (&error, "Cannot list Maildir folders under %s: ", self->root);
      g_task_return_error (task, error);
      return;
    }
  infos = g_ptr_array_new_full (folders->len, g_object_unref);
  for (guint i = 0; i < folders->len; i++)
    {
      const char *name = mailsync_folder_get_name (folders->pdata[i]);
      g_autofree char *path = _mailsync_maildir_repository_folder_path (self, name);
      g_autofree char *cur = g_build_filename (path, "cur", NULL);
      g_autofree char *new = g_build_filename (path, "new", NULL);
      gint64 total = 0, unseen = 0, recent = 0, new_unseen = 0;
      gboolean has_children = FALSE;

      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      /* new/ is what no client has looked at yet: IMAP's \Recent. */
      if (!count_dir (new, &recent, &new_unseen) || !count_dir (cur, &total, &unseen))
        total = unseen = recent = -1;
      else
        {
          total += recent;
          unseen += new_unseen;
        }
      for (guint j = 0; j < folders->len && !has_children; j++)
        {
          const char *other = mailsync_folder_get_name (folders->pdata[j]);
          gsize len = strlen (name);

          has_children = *name != '\0' && strncmp (other, name, len) == 0 && other[len] == separator;
        }
      g_ptr_array_add (infos, g_object_new (MAILSYNC_TYPE_FOLDER_INFO,
                                            "name", name,
                                            "display-name", *name == '\0' ? "INBOX" : NULL,
                                            "separator", separator,
                                            "total", total,
                                            "unseen", unseen,
                                            "recent", recent,
                                            "role", _mailsync_folder_role_from_name (name, separator),
                                            "has-children", has_children,
                                            NULL));
    }
  g_task_return_pointer (task, g_steal_pointer (&infos), (GDestroyNotify) g_ptr_array_unref);
}

static void
list_folder_info_async (MailsyncRepository  *repository,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (repository, cancellable, callback, user_data);

  g_task_set_source_tag (task, list_folder_info_async);
  g_task_run_in_thread (task, list_folder_info_thread);
}

static GPtrArray *
list_folder_info_finish (MailsyncRepository  *repository,
                         GAsyncResult        *result,
                         GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repository), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const _MailsyncFolderInfoVTable folder_info_vtable = {
  list_folder_info_async,
  list_folder_info_finish,
};

static void
create_folder_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  static const char *const subdirs[] = { "cur", "new", "tmp" };
  MailsyncMaildirRepository *self = source_object;
  const char *name = task_data;
  g_autofree char *path = NULL;
  GError *error = NULL;

  if (mailsync_repository_get_readonly (MAILSYNC_REPOSITORY (self)))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY,
                               "Cannot create folder \"%s\": repository %s is read-only",
                               name, mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)));
      return;
    }
  if (!_mailsync_maildir_check_folder_name (name, mailsync_repository_get_separator (MAILSYNC_REPOSITORY (self)), &error) ||
      !check_root (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  path = _mailsync_maildir_repository_folder_path (self, name);
  if (!_mailsync_maildir_make_dirs_durable (path, self->fsync, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[i], NULL);

      if (!_mailsync_maildir_make_dirs_durable (sub, self->fsync, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_pointer (task, _mailsync_maildir_folder_new (self, name), g_object_unref);
}

static void
mailsync_maildir_repository_create_folder_async (MailsyncRepository  *repository,
                                                 const char          *name,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (repository, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_maildir_repository_create_folder_async);
  g_task_set_task_data (task, g_strdup (name), g_free);
  g_task_run_in_thread (task, create_folder_thread);
}

static MailsyncFolder *
mailsync_maildir_repository_create_folder_finish (MailsyncRepository  *repository,
                                                  GAsyncResult        *result,
                                                  GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repository), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
delete_folder_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  static const char *const subdirs[] = { "cur", "new", "tmp" };
  MailsyncMaildirRepository *self = source_object;
  const char *name = task_data;
  g_autofree char *path = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *uidfile = NULL;
  gboolean not_empty = FALSE;
  GError *error = NULL;

  if (mailsync_repository_get_readonly (MAILSYNC_REPOSITORY (self)))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY,
                               "Cannot delete folder \"%s\": repository %s is read-only",
                               name, mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)));
      return;
    }
  if (!_mailsync_maildir_check_folder_name (name, mailsync_repository_get_separator (MAILSYNC_REPOSITORY (self)), &error) ||
      !check_root (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  path = _mailsync_maildir_repository_folder_path (self, name);
  if (!_mailsync_maildir_is_maildir (path))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_FOLDER_NOT_FOUND,
                               "No Maildir folder at %s", path);
      return;
    }
  if (!_mailsync_maildir_has_messages (path, &not_empty, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* Deleting a folder must never delete mail: the engine deletes (and
   * records) the messages first, then the empty folder. */
  if (not_empty)
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                               "Cannot delete Maildir folder %s: it still holds messages", path);
      return;
    }

  tmp = g_build_filename (path, "tmp", NULL);
  if (!_mailsync_maildir_remove_files_in (tmp, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[i], NULL);

      if (g_rmdir (sub) != 0)
        {
          _mailsync_set_error_from_errno (&error, errno, "Cannot remove directory", sub);
          g_task_return_error (task, error);
          return;
        }
    }
  uidfile = g_build_filename (path, MAILSYNC_MAILDIR_UID_FILE, NULL);
  g_unlink (uidfile);
  /* The folder directory goes too unless it is the root or still holds
   * subfolders or foreign files (then ENOTEMPTY is fine). */
  if (*name != '\0')
    g_rmdir (path);
  if (self->fsync)
    {
      g_autofree char *parent = *name != '\0' ? g_path_get_dirname (path) : g_strdup (path);

      if (!_mailsync_fsync_dir (parent, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

static void
mailsync_maildir_repository_delete_folder_async (MailsyncRepository  *repository,
                                                 const char          *name,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (repository, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_maildir_repository_delete_folder_async);
  g_task_set_task_data (task, g_strdup (name), g_free);
  g_task_run_in_thread (task, delete_folder_thread);
}

static void
mailsync_maildir_repository_close_async (MailsyncRepository  *repository,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (repository, cancellable, callback, user_data);

  /* Nothing to release: every operation opens and closes its own files. */
  g_task_set_source_tag (task, mailsync_maildir_repository_close_async);
  g_task_return_boolean (task, TRUE);
}

/* GObject ---------------------------------------------------------------- */

static void
mailsync_maildir_repository_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  MailsyncMaildirRepository *self = MAILSYNC_MAILDIR_REPOSITORY (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_string (value, self->root);
      break;
    case PROP_ASSIGN_UIDS:
      g_value_set_boolean (value, self->assign_uids);
      break;
    case PROP_FSYNC:
      g_value_set_boolean (value, self->fsync);
      break;
    case PROP_WINDOWS_COMPATIBLE:
      g_value_set_boolean (value, self->windows_compatible);
      break;
    case PROP_UTIME_FROM_HEADER:
      g_value_set_boolean (value, self->utime_from_header);
      break;
    case PROP_FILENAME_USE_MAIL_TIMESTAMP:
      g_value_set_boolean (value, self->filename_use_mail_timestamp);
      break;
    case PROP_RESTORE_ATIME:
      g_value_set_boolean (value, self->restore_atime);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_maildir_repository_set_property (GObject      *object,
                                          guint         prop_id,
                                          const GValue *value,
                                          GParamSpec   *pspec)
{
  MailsyncMaildirRepository *self = MAILSYNC_MAILDIR_REPOSITORY (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_free (self->root);
      self->root = g_value_dup_string (value);
      break;
    case PROP_ASSIGN_UIDS:
      mailsync_maildir_repository_set_assign_uids (self, g_value_get_boolean (value));
      break;
    case PROP_FSYNC:
      mailsync_maildir_repository_set_fsync (self, g_value_get_boolean (value));
      break;
    case PROP_WINDOWS_COMPATIBLE:
      mailsync_maildir_repository_set_windows_compatible (self, g_value_get_boolean (value));
      break;
    case PROP_UTIME_FROM_HEADER:
      mailsync_maildir_repository_set_utime_from_header (self, g_value_get_boolean (value));
      break;
    case PROP_FILENAME_USE_MAIL_TIMESTAMP:
      mailsync_maildir_repository_set_filename_use_mail_timestamp (self, g_value_get_boolean (value));
      break;
    case PROP_RESTORE_ATIME:
      mailsync_maildir_repository_set_restore_atime (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_maildir_repository_finalize (GObject *object)
{
  MailsyncMaildirRepository *self = MAILSYNC_MAILDIR_REPOSITORY (object);

  g_free (self->root);
  for (guint i = 0; i < G_N_ELEMENTS (self->custom_flags); i++)
    g_free (self->custom_flags[i]);
  g_mutex_clear (&self->flags_lock);
  g_mutex_clear (&self->uid_lock);
  g_free (self->name_mark);
  G_OBJECT_CLASS (mailsync_maildir_repository_parent_class)->finalize (object);
}

static void
mailsync_maildir_repository_class_init (MailsyncMaildirRepositoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MailsyncRepositoryClass *repository_class = MAILSYNC_REPOSITORY_CLASS (klass);

  object_class->get_property = mailsync_maildir_repository_get_property;
  object_class->set_property = mailsync_maildir_repository_set_property;
  object_class->finalize = mailsync_maildir_repository_finalize;
  _mailsync_repository_class_set_type_label (klass, "Maildir");

  repository_class->open_async = mailsync_maildir_repository_open_async;
  repository_class->open_finish = mailsync_maildir_repository_boolean_finish;
  repository_class->list_folders_async = mailsync_maildir_repository_list_folders_async;
  repository_class->list_folders_finish = mailsync_maildir_repository_list_folders_finish;
  repository_class->create_folder_async = mailsync_maildir_repository_create_folder_async;
  repository_class->create_folder_finish = mailsync_maildir_repository_create_folder_finish;
  repository_class->delete_folder_async = mailsync_maildir_repository_delete_folder_async;
  repository_class->delete_folder_finish = mailsync_maildir_repository_boolean_finish;
  _mailsync_repository_class_set_folder_info (klass, &folder_info_vtable);
  repository_class->close_async = mailsync_maildir_repository_close_async;
  repository_class->close_finish = mailsync_maildir_repository_boolean_finish;
  repository_class->describe = _mailsync_maildir_repository_describe;

  /**
   * MailsyncMaildirRepository:root: (attributes org.gtk.Property.get=mailsync_maildir_repository_get_root)
   *
   * The directory holding the folders (offlineimap's `localfolders`).
   *
   * Since: 0.1
   */
  properties[PROP_ROOT] =
    g_param_spec_string ("root", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncMaildirRepository:assign-uids: (attributes org.gtk.Property.get=mailsync_maildir_repository_get_assign_uids org.gtk.Property.set=mailsync_maildir_repository_set_assign_uids)
   *
   * Whether the folders give UIDs to messages themselves, keeping a
   * UIDVALIDITY and the next UID in a `.mailsync-uidvalidity` file per
   * folder. Needed when the Maildir is the remote side of a sync, since the
   * sync is keyed by the remote's UIDs. Off, a Maildir stores the other
   * side's UIDs in its file names and its UIDVALIDITY is 42, as offlineimap.
   *
   * Since: 0.1
   */
  properties[PROP_ASSIGN_UIDS] =
    g_param_spec_boolean ("assign-uids", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncMaildirRepository:fsync: (attributes org.gtk.Property.get=mailsync_maildir_repository_get_fsync org.gtk.Property.set=mailsync_maildir_repository_set_fsync)
   *
   * Whether delivered files and changed directories are fsynced
   * (offlineimap's `fsync`).
   *
   * Since: 0.1
   */
  properties[PROP_FSYNC] =
    g_param_spec_boolean ("fsync", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncMaildirRepository:windows-compatible: (attributes org.gtk.Property.get=mailsync_maildir_repository_get_windows_compatible org.gtk.Property.set=mailsync_maildir_repository_set_windows_compatible)
   *
   * Whether new file names use `!` instead of `:` before the flags
   * (offlineimap's `maildir-windows-compatible`).
   *
   * Since: 0.1
   */
  properties[PROP_WINDOWS_COMPATIBLE] =
    g_param_spec_boolean ("windows-compatible", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncMaildirRepository:utime-from-header: (attributes org.gtk.Property.get=mailsync_maildir_repository_get_utime_from_header org.gtk.Property.set=mailsync_maildir_repository_set_utime_from_header)
   *
   * Whether a delivered file's mtime comes from the message's `Date:`
   * header instead of its internal date (offlineimap's `utime_from_header`).
   *
   * Since: 0.1
   */
  properties[PROP_UTIME_FROM_HEADER] =
    g_param_spec_boolean ("utime-from-header", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncMaildirRepository:filename-use-mail-timestamp: (attributes org.gtk.Property.get=mailsync_maildir_repository_get_filename_use_mail_timestamp org.gtk.Property.set=mailsync_maildir_repository_set_filename_use_mail_timestamp)
   *
   * Whether new file names start with the time of the message's `Date:`
   * (or `Delivery-date:`) header instead of the current time
   * (offlineimap's `filename_use_mail_timestamp`).
   *
   * Since: 0.1
   */
  properties[PROP_FILENAME_USE_MAIL_TIMESTAMP] =
    g_param_spec_boolean ("filename-use-mail-timestamp", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncMaildirRepository:restore-atime: (attributes org.gtk.Property.get=mailsync_maildir_repository_get_restore_atime org.gtk.Property.set=mailsync_maildir_repository_set_restore_atime)
   *
   * Whether, after an account's sync, each folder's `new/` and `cur/`
   * get back the access times they had when the account listed the
   * folders (their modification times stay what the sync made them), so
   * that a mail reader or biff that watches access times sees no visit
   * (offlineimap's `restoreatime`). Read on the local side of an account
   * only, as in offlineimap; a folder the sync creates has no earlier
   * access time to keep.
   *
   * Since: 0.1
   */
  properties[PROP_RESTORE_ATIME] =
    g_param_spec_boolean ("restore-atime", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mailsync_maildir_repository_init (MailsyncMaildirRepository *self)
{
  self->fsync = TRUE;
  g_mutex_init (&self->flags_lock);
  g_mutex_init (&self->uid_lock);
  self->name_mark = _mailsync_maildir_name_mark_new ();
}

/* Public API --------------------------------------------------------------- */

/**
 * mailsync_maildir_repository_new:
 * @name: the repository's name (offlineimap's `[Repository NAME]`)
 * @root: the root directory (offlineimap's `localfolders`)
 * @separator: the hierarchy separator: `.` (flat) or `/` (nested)
 *
 * Creates a Maildir repository. Nothing is touched on disk until it is
 * opened; opening fails if @root is not an existing directory, so that a
 * missing or unmounted store is never mistaken for an empty one.
 *
 * Returns: (transfer full): a new #MailsyncMaildirRepository
 *
 * Since: 0.1
 */
MailsyncRepository *
mailsync_maildir_repository_new (const char *name,
                                 const char *root,
                                 char        separator)
{
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (root != NULL, NULL);

  return g_object_new (MAILSYNC_TYPE_MAILDIR_REPOSITORY,
                       "name", name,
                       "root", root,
                       "separator", separator ? separator : '.',
                       NULL);
}

/**
 * mailsync_maildir_repository_get_root:
 * @self: a Maildir repository
 *
 * Gets the value of the #MailsyncMaildirRepository:root property.
 *
 * Returns: the root directory
 *
 * Since: 0.1
 */
const char *
mailsync_maildir_repository_get_root (MailsyncMaildirRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MAILDIR_REPOSITORY (self), NULL);
  return self->root;
}

/**
 * mailsync_maildir_repository_set_custom_flag:
 * @self: a Maildir repository
 * @letter: a lowercase letter, `a` to `z`
 * @keyword: (nullable): the IMAP keyword it stands for, or %NULL to unmap
 *
 * Maps a Maildir flag letter to an IMAP keyword (offlineimap's
 * `customflag_x = KEYWORD`). Mapped letters are listed as keywords, and
 * keywords of appended messages are stored as their letters. Unmapped
 * letters are never removed from file names.
 *
 * Since: 0.1
 */
void
mailsync_maildir_repository_set_custom_flag (MailsyncMaildirRepository *self,
                                             char                       letter,
                                             const char                *keyword)
{
  g_return_if_fail (MAILSYNC_IS_MAILDIR_REPOSITORY (self));
  g_return_if_fail (letter >= 'a' && letter <= 'z');

  g_mutex_lock (&self->flags_lock);
  g_free (self->custom_flags[letter - 'a']);
  self->custom_flags[letter - 'a'] = (keyword && *keyword) ? g_strdup (keyword) : NULL;
  g_mutex_unlock (&self->flags_lock);
}

/**
 * mailsync_maildir_repository_get_custom_flag:
 * @self: a Maildir repository
 * @letter: a lowercase letter, `a` to `z`
 *
 * Gets the IMAP keyword that offlineimap's `customflag_<letter>` option
 * maps to the Maildir flag letter @letter.
 *
 * Returns: (transfer full) (nullable): the keyword mapped to @letter
 *
 * Since: 0.1
 */
char *
mailsync_maildir_repository_get_custom_flag (MailsyncMaildirRepository *self,
                                             char                       letter)
{
  g_return_val_if_fail (MAILSYNC_IS_MAILDIR_REPOSITORY (self), NULL);
  return _mailsync_maildir_repository_dup_keyword (self, letter);
}

#define DEFINE_BOOL_PROPERTY(field, prop)                                        \
  gboolean                                                                       \
  mailsync_maildir_repository_get_##field (MailsyncMaildirRepository *self)      \
  {                                                                              \
    g_return_val_if_fail (MAILSYNC_IS_MAILDIR_REPOSITORY (self), FALSE);         \
    return self->field;                                                          \
  }                                                                              \
  void                                                                           \
  mailsync_maildir_repository_set_##field (MailsyncMaildirRepository *self,      \
                                           gboolean                   value)     \
  {                                                                              \
    g_return_if_fail (MAILSYNC_IS_MAILDIR_REPOSITORY (self));                    \
    value = !!value;                                                             \
    if (self->field == value)                                                    \
      return;                                                                    \
    self->field = value;                                                         \
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);                \
  }

/**
 * mailsync_maildir_repository_get_assign_uids:
 * @self: a Maildir repository
 *
 * Gets the value of the #MailsyncMaildirRepository:assign-uids property.
 *
 * Returns: the value of #MailsyncMaildirRepository:assign-uids
 *
 * Since: 0.1
 */
/**
 * mailsync_maildir_repository_set_assign_uids:
 * @self: a Maildir repository
 * @value: whether the folders assign UIDs themselves
 *
 * Sets #MailsyncMaildirRepository:assign-uids.
 *
 * Since: 0.1
 */
DEFINE_BOOL_PROPERTY (assign_uids, PROP_ASSIGN_UIDS)

/**
 * mailsync_maildir_repository_get_fsync:
 * @self: a Maildir repository
 *
 * Gets the value of the #MailsyncMaildirRepository:fsync property.
 *
 * Returns: the value of #MailsyncMaildirRepository:fsync
 *
 * Since: 0.1
 */
/**
 * mailsync_maildir_repository_set_fsync:
 * @self: a Maildir repository
 * @value: whether to fsync
 *
 * Sets #MailsyncMaildirRepository:fsync.
 *
 * Since: 0.1
 */
DEFINE_BOOL_PROPERTY (fsync, PROP_FSYNC)

/**
 * mailsync_maildir_repository_get_windows_compatible:
 * @self: a Maildir repository
 *
 * Gets the value of the #MailsyncMaildirRepository:windows-compatible
 * property.
 *
 * Returns: the value of #MailsyncMaildirRepository:windows-compatible
 *
 * Since: 0.1
 */
/**
 * mailsync_maildir_repository_set_windows_compatible:
 * @self: a Maildir repository
 * @value: whether to write `!` as info separator
 *
 * Sets #MailsyncMaildirRepository:windows-compatible.
 *
 * Since: 0.1
 */
DEFINE_BOOL_PROPERTY (windows_compatible, PROP_WINDOWS_COMPATIBLE)

/**
 * mailsync_maildir_repository_get_utime_from_header:
 * @self: a Maildir repository
 *
 * Gets the value of the #MailsyncMaildirRepository:utime-from-header
 * property.
 *
 * Returns: the value of #MailsyncMaildirRepository:utime-from-header
 *
 * Since: 0.1
 */
/**
 * mailsync_maildir_repository_set_utime_from_header:
 * @self: a Maildir repository
 * @value: whether to date files from their `Date:` header
 *
 * Sets #MailsyncMaildirRepository:utime-from-header.
 *
 * Since: 0.1
 */
DEFINE_BOOL_PROPERTY (utime_from_header, PROP_UTIME_FROM_HEADER)

/**
 * mailsync_maildir_repository_get_filename_use_mail_timestamp:
 * @self: a Maildir repository
 *
 * Gets the value of the #MailsyncMaildirRepository:filename-use-mail-
 * timestamp property.
 *
 * Returns: the value of #MailsyncMaildirRepository:filename-use-mail-timestamp
 *
 * Since: 0.1
 */
/**
 * mailsync_maildir_repository_set_filename_use_mail_timestamp:
 * @self: a Maildir repository
 * @value: whether file names start with the message's date
 *
 * Sets #MailsyncMaildirRepository:filename-use-mail-timestamp.
 *
 * Since: 0.1
 */
DEFINE_BOOL_PROPERTY (filename_use_mail_timestamp, PROP_FILENAME_USE_MAIL_TIMESTAMP)

/**
 * mailsync_maildir_repository_get_restore_atime:
 * @self: a Maildir repository
 *
 * Gets the value of the #MailsyncMaildirRepository:restore-atime property.
 *
 * Returns: the value of #MailsyncMaildirRepository:restore-atime
 *
 * Since: 0.1
 */
/**
 * mailsync_maildir_repository_set_restore_atime:
 * @self: a Maildir repository
 * @value: whether a sync puts the folders' access times back
 *
 * Sets #MailsyncMaildirRepository:restore-atime.
 *
 * Since: 0.1
 */
DEFINE_BOOL_PROPERTY (restore_atime, PROP_RESTORE_ATIME)
