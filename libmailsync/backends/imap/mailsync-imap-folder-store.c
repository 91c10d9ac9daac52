/* Flag and keyword changes (UID STORE), and the check of keyword atoms
 * that APPEND uses too. */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-imap-command.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <string.h>

/* Whether @keyword can be sent as a flag keyword: an atom, not a system
 * flag (it came from a FETCH or a Maildir's keyword file, where anything
 * may be written). */
gboolean
_mailsync_imap_keyword_atom_ok (const char *keyword)
{
  if (*keyword == '\0' || *keyword == '\\')
    return FALSE;
  for (const char *p = keyword; *p; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f || strchr ("(){%*\"]\\", *p) != NULL)
      return FALSE;
  return TRUE;
}

/* ---- flags and deletion --------------------------------------------------- */

gboolean
_mailsync_imap_folder_store_flags (MailsyncImapFolder *self, const char *set, char sign, MailsyncFlags flags,
             GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapCommand) cmd = _mailsync_imap_folder_command (self, "UID STORE");
  g_autoptr(MailsyncImapResponse) ok = NULL;

  /* @set is mailsync_imap_format_seqset's, trusted syntax */
  mailsync_imap_command_add_raw (cmd, set, NULL);
  mailsync_imap_command_add_atom (cmd, sign == '+' ? "+FLAGS.SILENT" : "-FLAGS.SILENT", NULL);
  mailsync_imap_command_add_flags (cmd, flags, NULL, NULL);
  ok = _mailsync_imap_folder_run (self, cmd, cancellable, error);
  return ok != NULL;
}

static void
uid_args_free (UidArgs *args)
{
  g_free (args->set);
  g_free (args->uids);
  g_free (args);
}

GTask *
_mailsync_imap_folder_uid_task (MailsyncFolder *folder, const guint32 *uids, guint n_uids, GCancellable *cancellable,
          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  UidArgs *args = g_new0 (UidArgs, 1);

  args->set = mailsync_imap_format_seqset (uids, n_uids);
  args->uids = g_memdup2 (uids, n_uids * sizeof (guint32));
  args->n_uids = n_uids;
  g_task_set_task_data (task, args, (GDestroyNotify) uid_args_free);
  return task;
}

static void
set_flags_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  UidArgs *args = task_data;
  g_autoptr(GError) error = NULL;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  if (!_mailsync_imap_folder_ensure_selected (self, cancellable, &error) ||
      (args->add && !_mailsync_imap_folder_store_flags (self, args->set, '+', args->add, cancellable, &error)) ||
      (args->remove && !_mailsync_imap_folder_store_flags (self, args->set, '-', args->remove, cancellable, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
folder_set_flags_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids, MailsyncFlags add,
                        MailsyncFlags remove, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  GTask *task = _mailsync_imap_folder_uid_task (folder, uids, n_uids, cancellable, callback, user_data);
  UidArgs *args = g_task_get_task_data (task);

  args->add = add;
  args->remove = remove;
  _mailsync_imap_folder_queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_set_flags_async, set_flags_job);
}

/* ---- keywords (issue 10 item 3) ------------------------------------------ */

gboolean
_mailsync_imap_folder_can_store_keyword (MailsyncFolder *folder, const char *keyword)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (folder);

  /* A server that sends no PERMANENTFLAGS lets every flag be stored
   * (RFC 3501 6.3.1). IMAP keywords are case-insensitive. */
  if (!self->permanent_known || self->permanent_any)
    return TRUE;
  for (char **k = self->permanent_keywords; k != NULL && *k != NULL; k++)
    if (g_ascii_strcasecmp (*k, keyword) == 0)
      return TRUE;
  return FALSE;
}

typedef struct
{
  char *set;
  char **add;
  char **remove;
} KeywordArgs;

static void
keyword_args_free (KeywordArgs *args)
{
  g_free (args->set);
  g_strfreev (args->add);
  g_strfreev (args->remove);
  g_free (args);
}

static gboolean
store_keywords (MailsyncImapFolder *self, const char *set, char sign, char **keywords,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(MailsyncImapCommand) cmd = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;

  for (char **k = keywords; k != NULL && *k != NULL; k++)
    if (**k != '\0')
      g_ptr_array_add (list, *k);
  if (list->len == 0)
    return TRUE;
  g_ptr_array_add (list, NULL);
  cmd = _mailsync_imap_folder_command (self, "UID STORE");
  /* @set is mailsync_imap_format_seqset's, trusted syntax */
  mailsync_imap_command_add_raw (cmd, set, NULL);
  mailsync_imap_command_add_atom (cmd, sign == '+' ? "+FLAGS.SILENT" : "-FLAGS.SILENT", NULL);
  mailsync_imap_command_add_flags (cmd, 0, (const char *const *) list->pdata, NULL);
  ok = _mailsync_imap_folder_run (self, cmd, cancellable, error);
  return ok != NULL;
}

static void
set_keywords_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  KeywordArgs *args = task_data;
  g_autoptr(GError) error = NULL;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  if (!_mailsync_imap_folder_ensure_selected (self, cancellable, &error) ||
      !store_keywords (self, args->set, '+', args->add, cancellable, &error) ||
      !store_keywords (self, args->set, '-', args->remove, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
_mailsync_imap_folder_set_keywords_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids,
                                          const char *add, const char *remove, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  KeywordArgs *args = g_new0 (KeywordArgs, 1);

  /* keywords are atoms (they came from a FETCH or a Maildir's keyword
   * file): refuse one that is not rather than send a broken command */
  args->set = mailsync_imap_format_seqset (uids, n_uids);
  args->add = g_strsplit (add ? add : "", " ", -1);
  args->remove = g_strsplit (remove ? remove : "", " ", -1);
  for (guint pass = 0; pass < 2; pass++)
    for (char **k = pass ? args->remove : args->add; *k; k++)
      if (**k != '\0' && !_mailsync_imap_keyword_atom_ok (*k))
        {
          g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                                   "'%s' is not an IMAP keyword", *k);
          keyword_args_free (args);
          g_object_unref (task);
          return;
        }
  g_task_set_task_data (task, args, (GDestroyNotify) keyword_args_free);
  _mailsync_imap_folder_queue_job (MAILSYNC_IMAP_FOLDER (folder), task, _mailsync_imap_folder_set_keywords_async,
                                   set_keywords_job);
}

gboolean
_mailsync_imap_folder_set_keywords_finish (MailsyncFolder *folder, GAsyncResult *result, GStrv *not_stored,
                                           GError **error)
{
  if (not_stored != NULL)
    *not_stored = NULL;
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
_mailsync_imap_folder_store_class_init (MailsyncFolderClass *folder_class)
{
  folder_class->set_flags_async = folder_set_flags_async;
  folder_class->set_flags_finish = _mailsync_imap_folder_bool_finish;
}
