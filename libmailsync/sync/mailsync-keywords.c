/* Keyword sync (issue 10 item 3): one entry point per question the runner
 * asks, dispatched to the backend. A private interface rather than new
 * MailsyncFolder virtual methods: the class has no padding left for them,
 * and what a public keyword API should look like (how a folder says what
 * it could not store) is better settled with a client using it. */
#include "config.h"

#include "sync/mailsync-keywords.h"
#include "mailsync-error.h"
#include "backends/imap/mailsync-imap-folder.h"
#include "backends/maildir/mailsync-maildir-folder.h"
#include "backends/maildir/mailsync-maildir-keywords.h"

#include <string.h>

/* The folder that stores the keywords: an IMAP<->IMAP account's local
 * folder is a map in front of an IMAP folder. */
static MailsyncFolder *
storing_folder (MailsyncFolder *folder)
{
  return _mailsync_is_mapped_folder (folder) ? _mailsync_mapped_folder_get_inner (folder) : folder;
}

gboolean
_mailsync_keywords_supported (MailsyncFolder *folder)
{
  MailsyncFolder *target = storing_folder (folder);

  return MAILSYNC_IS_IMAP_FOLDER (target) || MAILSYNC_IS_MAILDIR_FOLDER (target);
}

gboolean
_mailsync_keywords_can_store (MailsyncFolder *folder, const char *keyword)
{
  MailsyncFolder *target = storing_folder (folder);

  if (MAILSYNC_IS_IMAP_FOLDER (target))
    return _mailsync_imap_folder_can_store_keyword (target, keyword);
  return TRUE;
}

static void
set_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  MailsyncFolder *folder = MAILSYNC_FOLDER (source);
  GError *error = NULL;
  GStrv not_stored = NULL;
  gboolean ok;

  if (MAILSYNC_IS_MAILDIR_FOLDER (folder))
    ok = _mailsync_maildir_folder_set_keywords_finish (MAILSYNC_MAILDIR_FOLDER (folder), result, &not_stored, &error);
  else
    ok = _mailsync_imap_folder_set_keywords_finish (folder, result, &error);
  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, not_stored ? not_stored : g_new0 (char *, 1), (GDestroyNotify) g_strfreev);
}

void
_mailsync_keywords_set_async (MailsyncFolder      *folder,
                              const guint32       *uids,
                              guint                n_uids,
                              const char          *add,
                              const char          *remove,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  MailsyncFolder *target = storing_folder (folder);
  g_autoptr(GArray) inner_uids = NULL;

  g_task_set_source_tag (task, _mailsync_keywords_set_async);
  if (target != folder)
    {
      /* the map's UIDs are the remote's: the inner folder has its own */
      inner_uids = _mailsync_mapped_folder_to_inner_uids (folder, uids, n_uids);
      uids = (const guint32 *) inner_uids->data;
      n_uids = inner_uids->len;
      if (n_uids == 0)
        {
          g_task_return_pointer (task, g_new0 (char *, 1), (GDestroyNotify) g_strfreev);
          g_object_unref (task);
          return;
        }
    }
  if (MAILSYNC_IS_MAILDIR_FOLDER (target))
    _mailsync_maildir_folder_set_keywords_async (MAILSYNC_MAILDIR_FOLDER (target), uids, n_uids, add, remove,
                                                 cancellable, set_done, task);
  else if (MAILSYNC_IS_IMAP_FOLDER (target))
    _mailsync_imap_folder_set_keywords_async (target, uids, n_uids, add, remove, cancellable, set_done, task);
  else
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "This folder has no keywords");
      g_object_unref (task);
    }
}

gboolean
_mailsync_keywords_set_finish (MailsyncFolder  *folder,
                               GAsyncResult    *result,
                               GStrv           *not_stored,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  /* set_done returns the backend's result as the Maildir backend's own
   * task does: one function takes it (sync/ may use the backends, never
   * the other way round). */
  return _mailsync_maildir_keywords_take_not_stored (G_TASK (result), not_stored, error);
}

gboolean
_mailsync_keywords_has_letters (MailsyncFolder *folder)
{
  return folder != NULL && MAILSYNC_IS_MAILDIR_FOLDER (folder);
}

char *
_mailsync_keywords_from_letters (MailsyncFolder *folder, const char *letters)
{
  MailsyncMaildirFolder *maildir;

  if (!_mailsync_keywords_has_letters (folder))
    return g_strdup ("");
  /* Only a-z name keywords: a row without one (the usual row) needs no
   * lookup and no lock (issue 13 item 2: this runs for every status row
   * of a changed folder). */
  if (letters == NULL || strpbrk (letters, "abcdefghijklmnopqrstuvwxyz") == NULL)
    return g_strdup ("");
  maildir = MAILSYNC_MAILDIR_FOLDER (folder);
  return _mailsync_maildir_keywords_letters_to_keywords (
    MAILSYNC_MAILDIR_REPOSITORY (mailsync_folder_get_repository (folder)),
    mailsync_maildir_folder_get_path (maildir), letters);
}

char *
_mailsync_keywords_to_letters (MailsyncFolder *folder, const char *keywords)
{
  g_auto(GStrv) words = NULL;
  char *letters;

  if (!_mailsync_keywords_has_letters (folder) || keywords == NULL || *keywords == '\0')
    return g_strdup ("");
  words = g_strsplit (keywords, " ", -1);
  letters = _mailsync_maildir_keywords_to_letters (
    MAILSYNC_MAILDIR_REPOSITORY (mailsync_folder_get_repository (folder)),
    mailsync_maildir_folder_get_path (MAILSYNC_MAILDIR_FOLDER (folder)), (const char * const *) words, FALSE,
    NULL, NULL);
  return letters ? letters : g_strdup ("");
}

gboolean
_mailsync_keywords_in_labels (MailsyncFolder *folder)
{
  return folder != NULL && _mailsync_is_mapped_folder (folder) &&
         MAILSYNC_IS_IMAP_FOLDER (_mailsync_mapped_folder_get_inner (folder));
}

char *
_mailsync_keywords_to_labels (const char *keywords)
{
  g_auto(GStrv) words = g_strsplit (keywords ? keywords : "", " ", -1);
  GString *out = g_string_new (NULL);

  /* offlineimap reads the column as comma-separated labels (its
   * LocalStatusSQLite), so a keyword with a comma (an atom may have one)
   * would come back as two: it is left out, as a keyword the local side
   * cannot store is */
  for (char **w = words; *w; w++)
    if (**w != '\0' && strchr (*w, ',') == NULL)
      g_string_append_printf (out, "%s%s", out->len ? ", " : "", *w);
  return g_string_free (out, FALSE);
}

char *
_mailsync_keywords_from_labels (const char *labels)
{
  g_auto(GStrv) parts = g_strsplit (labels ? labels : "", ",", -1);
  GString *out = g_string_new (NULL);

  for (char **p = parts; *p; p++)
    {
      g_strstrip (*p);
      if (**p != '\0')
        g_string_append_printf (out, "%s%s", out->len ? " " : "", *p);
    }
  return g_string_free (out, FALSE);
}
