/* Renames of a Maildir folder's message files for new flags, keywords
 * and UIDs (set_flags, set_keywords, set_message_uid). */
#include "config.h"

#include "mailsync-maildir-folder-private.h"
#include "mailsync-maildir-delivery.h"
#include "mailsync-maildir-keywords.h"
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

/* set_flags ------------------------------------------------------------------ */

static gboolean
set_flags_one (MailsyncMaildirFolder  *self,
               OpData                 *d,
               guint32                 uid,
               GCancellable           *cancellable,
               GError                **error)
{
  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autofree char *rel = NULL;
      g_autofree char *letters = NULL;
      g_autofree char *new_name = NULL;
      g_autofree char *new_rel = NULL;
      g_autoptr(GError) local_error = NULL;
      MailsyncMaildirName name;

      rel = _mailsync_maildir_folder_locate (self, d->md5, uid, attempt > 0, cancellable, error);
      if (rel == NULL)
        {
          if (error != NULL && *error != NULL)
            return FALSE;
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                       "No message with UID %u in %s", uid, self->path);
          return FALSE;
        }

      _mailsync_maildir_name_parse (rel + 4, &name);
      /* Only the system letters change; P, unmapped lowercase letters and
       * whatever else is in the name stay (offlineimap strips them). */
      letters = _mailsync_maildir_flags_apply (name.flags, d->add, d->remove);
      if (d->add_letters != NULL || d->remove_letters != NULL)
        {
          /* keyword letters (issue 10 item 3) */
          GString *with = g_string_new (NULL);

          for (const char *p = letters; *p; p++)
            if (d->remove_letters == NULL || strchr (d->remove_letters, *p) == NULL)
              g_string_append_c (with, *p);
          for (const char *p = d->add_letters; p && *p; p++)
            if (strchr (with->str, *p) == NULL)
              g_string_append_c (with, *p);
          g_free (letters);
          letters = _mailsync_maildir_flags_sort (with->str);
          g_string_free (with, TRUE);
        }
      new_name = _mailsync_maildir_name_with_flags (&name, letters, _mailsync_maildir_folder_info_sep (self));
      new_rel = g_strdup_printf ("%s/%s", strchr (letters, 'S') ? "cur" : "new", new_name);
      _mailsync_maildir_name_clear (&name);

      if (strcmp (new_rel, rel) == 0)
        return TRUE;  /* nothing to do: a repeated sync writes nothing */
      if (_mailsync_maildir_folder_rename_rel (self, rel, new_rel, &local_error))
        {
          _mailsync_maildir_folder_index_set (self, uid, new_rel);
          return TRUE;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* Renamed under us (a MUA): rescan and try once more. */
    }
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
               "Message with UID %u in %s keeps moving", uid, self->path);
  return FALSE;
}

static void
set_flags_thread (GTask        *task,
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

  first_error = _mailsync_maildir_folder_for_each_uid (self, d, set_flags_one, cancellable);
  if (first_error != NULL)
    g_task_return_error (task, first_error);
  else
    g_task_return_boolean (task, TRUE);
}

void
_mailsync_maildir_folder_set_flags_async (MailsyncFolder      *folder,
                                          const guint32       *uids,
                                          guint                n_uids,
                                          MailsyncFlags        add,
                                          MailsyncFlags        remove,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  OpData *d;
  g_autoptr(GTask) task = _mailsync_maildir_folder_op_task_new (MAILSYNC_MAILDIR_FOLDER (folder),
                                                                _mailsync_maildir_folder_set_flags_async,
                                                                cancellable, callback, user_data, &d);

  d->uids = g_memdup2 (uids, sizeof (guint32) * n_uids);
  d->n_uids = n_uids;
  d->add = add;
  d->remove = remove;
  g_task_run_in_thread (task, set_flags_thread);
}

/* set_keywords (issue 10 item 3): keywords become letters (customflag,
 * else dovecot-keywords, which gets new entries for new keywords) and the
 * files are renamed as for flags. Keywords no letter is left for are
 * returned, not stored: the caller's status must not record them. */
static void
set_keywords_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  GError *first_error = NULL;
  g_auto(GStrv) add = g_strsplit (d->add_keywords ? d->add_keywords : "", " ", -1);
  g_auto(GStrv) remove = g_strsplit (d->remove_keywords ? d->remove_keywords : "", " ", -1);
  g_auto(GStrv) not_stored = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (_mailsync_maildir_folder_readonly_error (self, &first_error))
    {
      g_task_return_error (task, first_error);
      return;
    }
  d->add_letters = _mailsync_maildir_keywords_to_letters (_mailsync_maildir_folder_get_repo (self), self->path, (const char * const *) add,
                                                          TRUE, &not_stored, &first_error);
  if (d->add_letters == NULL)
    {
      g_task_return_error (task, first_error);
      return;
    }
  d->remove_letters = _mailsync_maildir_keywords_to_letters (_mailsync_maildir_folder_get_repo (self), self->path,
                                                             (const char * const *) remove, FALSE, NULL, NULL);
  if (*d->add_letters || *d->remove_letters)
    first_error = _mailsync_maildir_folder_for_each_uid (self, d, set_flags_one, cancellable);
  if (first_error != NULL)
    g_task_return_error (task, first_error);
  else
    g_task_return_pointer (task, g_steal_pointer (&not_stored), (GDestroyNotify) g_strfreev);
}

void
_mailsync_maildir_folder_set_keywords_async (MailsyncMaildirFolder *self,
                                             const guint32         *uids,
                                             guint                  n_uids,
                                             const char            *add,
                                             const char            *remove,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data)
{
  OpData *d;
  g_autoptr(GTask) task = _mailsync_maildir_folder_op_task_new (self, _mailsync_maildir_folder_set_keywords_async,
                                                                cancellable, callback, user_data, &d);

  d->uids = g_memdup2 (uids, sizeof (guint32) * n_uids);
  d->n_uids = n_uids;
  d->add_keywords = g_strdup (add);
  d->remove_keywords = g_strdup (remove);
  g_task_run_in_thread (task, set_keywords_thread);
}

gboolean
_mailsync_maildir_folder_set_keywords_finish (MailsyncMaildirFolder  *self,
                                              GAsyncResult           *result,
                                              GStrv                  *not_stored,
                                              GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return _mailsync_maildir_keywords_take_not_stored (G_TASK (result), not_stored, error);
}

/* The result of a set_keywords task: a GStrv of the keywords not stored. */
gboolean
_mailsync_maildir_keywords_take_not_stored (GTask   *task,
                                            GStrv   *not_stored,
                                            GError **error)
{
  GError *local_error = NULL;
  GStrv rest;

  /* The callers' finish functions checked the result against their own
   * source objects; this is the check that it is a task at all. */
  g_return_val_if_fail (g_task_is_valid (task, g_task_get_source_object (task)), FALSE);
  rest = g_task_propagate_pointer (task, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (not_stored != NULL)
    *not_stored = rest;
  else
    g_strfreev (rest);
  return TRUE;
}

/* set_message_uid --------------------------------------------------------------- */

static void
set_uid_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  const char *key = mailsync_message_info_get_key (d->info);
  g_autofree char *sorted = NULL;
  g_autofree char *new_rel = NULL;
  g_autofree char *new_path = NULL;
  g_auto(GStrv) keywords = NULL;
  MailsyncMaildirName name;
  GError *error = NULL;
  GStatBuf st;
  char sub[4];

  if (g_task_return_error_if_cancelled (task))
    return;
  if (_mailsync_maildir_folder_readonly_error (self, &error) || !_mailsync_maildir_folder_check_key (key, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (d->uid == 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Cannot give UID 0 to %s in %s", key, self->path);
      return;
    }

  memcpy (sub, key, 3);
  sub[3] = '\0';
  _mailsync_maildir_name_parse (key + 4, &name);
  /* Keep every letter, sorted as offlineimap writes them. */
  sorted = _mailsync_maildir_flags_sort (name.flags);
  for (guint attempt = 0;; attempt++)
    {
      g_autofree char *fresh = _mailsync_maildir_name_build ((gint64) time (NULL), d->uid, d->md5,
                                                             sorted,
                                                             name.info_sep ? name.info_sep : _mailsync_maildir_folder_info_sep (self),
                                                             _mailsync_maildir_folder_name_mark (self));
      g_autoptr(GError) local_error = NULL;

      g_free (new_rel);
      new_rel = g_strdup_printf ("%s/%s", sub, fresh);
      if (_mailsync_maildir_folder_rename_rel (self, key, new_rel, &local_error))
        break;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS) ||
          attempt + 1 >= MAX_NAME_ATTEMPTS)
        {
          _mailsync_maildir_name_clear (&name);
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                                     "Message %s of %s vanished", key, self->path);
          else
            g_task_return_error (task, g_steal_pointer (&local_error));
          return;
        }
    }
  _mailsync_crash_point ("maildir-uid-set");
  _mailsync_maildir_folder_index_set (self, d->uid, new_rel);

  new_path = g_build_filename (self->path, new_rel, NULL);
  if (g_stat (new_path, &st) != 0)
    {
      _mailsync_maildir_name_clear (&name);
      _mailsync_set_error_from_errno (&error, errno, "Cannot stat", new_path);
      g_task_return_error (task, error);
      return;
    }
  _mailsync_maildir_folder_flags_to_keywords (self, sorted, &keywords);
  g_task_return_pointer (task,
                         mailsync_message_info_new (d->uid, new_rel,
                                                    mailsync_flags_from_maildir (sorted),
                                                    (const char * const *) keywords,
                                                    (guint64) st.st_size, (gint64) st.st_mtime),
                         g_object_unref);
  _mailsync_maildir_name_clear (&name);
}

void
_mailsync_maildir_folder_set_message_uid_async (MailsyncFolder      *folder,
                                                MailsyncMessageInfo *info,
                                                guint32              uid,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  OpData *d;
  g_autoptr(GTask) task = _mailsync_maildir_folder_op_task_new (MAILSYNC_MAILDIR_FOLDER (folder),
                                                                _mailsync_maildir_folder_set_message_uid_async,
                                                                cancellable, callback, user_data, &d);

  d->info = g_object_ref (info);
  d->uid = uid;
  g_task_run_in_thread (task, set_uid_thread);
}
