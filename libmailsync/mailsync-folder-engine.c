/* The engine's questions to a folder beyond the public contract
 * (mailsync-folder-engine-private.h): the table a backend registers and
 * the wrappers libmailsync/sync/ calls, with their answers for a folder
 * that has no table. */
#include "config.h"

#include "mailsync-folder-engine-private.h"

static GQuark
engine_quark (void)
{
  return g_quark_from_static_string ("mailsync-folder-engine-vtable");
}

void
_mailsync_folder_class_set_engine (gpointer klass, const _MailsyncFolderEngineVTable *vtable)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), engine_quark (), (gpointer) vtable);
}

/* The table of @self's class or its nearest ancestor's, or NULL. */
static const _MailsyncFolderEngineVTable *
lookup (MailsyncFolder *self)
{
  for (GType type = G_OBJECT_TYPE (self); type != MAILSYNC_TYPE_FOLDER; type = g_type_parent (type))
    {
      const _MailsyncFolderEngineVTable *vtable = g_type_get_qdata (type, engine_quark ());

      if (vtable != NULL)
        return vtable;
    }
  return NULL;
}

/* ---- keywords ------------------------------------------------------------- */

gboolean
_mailsync_folder_has_keywords (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->set_keywords_async == NULL)
    return FALSE;
  return vtable->has_keywords == NULL || vtable->has_keywords (self);
}

gboolean
_mailsync_folder_can_store_keyword (MailsyncFolder *self, const char *keyword)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable == NULL || vtable->can_store_keyword == NULL || vtable->can_store_keyword (self, keyword);
}

static void
set_keywords_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  MailsyncFolder *self = MAILSYNC_FOLDER (source);
  GError *error = NULL;
  GStrv not_stored = NULL;

  if (!lookup (self)->set_keywords_finish (self, result, &not_stored, &error))
    {
      g_strfreev (not_stored);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, not_stored ? not_stored : g_new0 (char *, 1), (GDestroyNotify) g_strfreev);
}

void
_mailsync_folder_set_keywords_async (MailsyncFolder      *self,
                                     const guint32       *uids,
                                     guint                n_uids,
                                     const char          *add,
                                     const char          *remove,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, _mailsync_folder_set_keywords_async);
  if (!_mailsync_folder_has_keywords (self))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "This folder has no keywords");
      g_object_unref (task);
      return;
    }
  lookup (self)->set_keywords_async (self, uids, n_uids, add, remove, cancellable, set_keywords_done, task);
}

gboolean
_mailsync_folder_set_keywords_finish (MailsyncFolder  *self,
                                      GAsyncResult    *result,
                                      GStrv           *not_stored,
                                      GError         **error)
{
  GStrv words;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, _mailsync_folder_set_keywords_async), FALSE);
  words = g_task_propagate_pointer (G_TASK (result), error);
  if (words == NULL)
    return FALSE;
  if (not_stored != NULL)
    *not_stored = words;
  else
    g_strfreev (words);
  return TRUE;
}

gboolean
_mailsync_folder_has_keyword_letters (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->keywords_from_letters != NULL;
}

char *
_mailsync_folder_keywords_from_letters (MailsyncFolder *self, const char *letters)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->keywords_from_letters == NULL)
    return NULL;
  return vtable->keywords_from_letters (self, letters);
}

char *
_mailsync_folder_keywords_to_letters (MailsyncFolder *self, const char * const *keywords)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->keywords_to_letters == NULL)
    return NULL;
  return vtable->keywords_to_letters (self, keywords);
}

gboolean
_mailsync_folder_keywords_in_labels (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->keywords_in_labels != NULL && vtable->keywords_in_labels (self);
}
