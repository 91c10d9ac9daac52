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

gboolean
_mailsync_keywords_supported (MailsyncFolder *folder)
{
  return MAILSYNC_IS_IMAP_FOLDER (folder) || MAILSYNC_IS_MAILDIR_FOLDER (folder);
}

gboolean
_mailsync_keywords_can_store (MailsyncFolder *folder, const char *keyword)
{
  if (MAILSYNC_IS_IMAP_FOLDER (folder))
    return _mailsync_imap_folder_can_store_keyword (folder, keyword);
  return TRUE;
}

static void
set_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  MailsyncFolder *folder = g_task_get_source_object (task);
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

  g_task_set_source_tag (task, _mailsync_keywords_set_async);
  if (MAILSYNC_IS_MAILDIR_FOLDER (folder))
    _mailsync_maildir_folder_set_keywords_async (MAILSYNC_MAILDIR_FOLDER (folder), uids, n_uids, add, remove,
                                                 cancellable, set_done, task);
  else if (MAILSYNC_IS_IMAP_FOLDER (folder))
    _mailsync_imap_folder_set_keywords_async (folder, uids, n_uids, add, remove, cancellable, set_done, task);
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
  GError *local_error = NULL;
  GStrv rest;

  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  rest = g_task_propagate_pointer (G_TASK (result), &local_error);
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
