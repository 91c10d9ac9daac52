/* The engine's questions to a folder beyond the public contract
 * (mailsync-folder-engine-private.h): the table a backend registers and
 * the wrappers libmailsync/sync/ calls, with their answers for a folder
 * that has no table. */
#include "config.h"

#include "mailsync-folder-engine-private.h"

#include <string.h>

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

/* ---- moves ---------------------------------------------------------------- */

gboolean
_mailsync_folder_can_fetch_message_ids (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->fetch_message_ids_async != NULL;
}

void
_mailsync_folder_fetch_message_ids_async (MailsyncFolder      *self,
                                          const guint32       *uids,
                                          guint                n_uids,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  if (!_mailsync_folder_can_fetch_message_ids (self))
    {
      g_task_report_new_error (self, callback, user_data, _mailsync_folder_fetch_message_ids_async, G_IO_ERROR,
                               G_IO_ERROR_NOT_SUPPORTED, "This folder cannot fetch Message-IDs");
      return;
    }
  lookup (self)->fetch_message_ids_async (self, uids, n_uids, cancellable, callback, user_data);
}

GHashTable *
_mailsync_folder_fetch_message_ids_finish (MailsyncFolder  *self,
                                           GAsyncResult    *result,
                                           GError         **error)
{
  /* every backend's result is a GTask of the folder, as ours is */
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (g_async_result_is_tagged (result, _mailsync_folder_fetch_message_ids_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return lookup (self)->fetch_message_ids_finish (self, result, error);
}

gboolean
_mailsync_folder_can_move_message (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->move_message != NULL;
}

gboolean
_mailsync_folder_move_message (MailsyncFolder  *self,
                               guint32          uid,
                               MailsyncFolder  *dest,
                               guint32          new_uid,
                               GError         **error)
{
  if (!_mailsync_folder_can_move_message (self) || G_OBJECT_TYPE (dest) != G_OBJECT_TYPE (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Cannot move a message from %s to %s",
                   mailsync_folder_get_name (self), mailsync_folder_get_name (dest));
      return FALSE;
    }
  return lookup (self)->move_message (self, uid, dest, new_uid, error);
}

/* ---- labels --------------------------------------------------------------- */

gboolean
_mailsync_folder_can_fetch_labels (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->fetch_labels_async != NULL;
}

void
_mailsync_folder_fetch_labels_async (MailsyncFolder      *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  if (!_mailsync_folder_can_fetch_labels (self))
    {
      g_task_report_new_error (self, callback, user_data, _mailsync_folder_fetch_labels_async, G_IO_ERROR,
                               G_IO_ERROR_NOT_SUPPORTED, "This folder has no labels");
      return;
    }
  lookup (self)->fetch_labels_async (self, cancellable, callback, user_data);
}

GHashTable *
_mailsync_folder_fetch_labels_finish (MailsyncFolder  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  /* every backend's result is a GTask of the folder, as ours is */
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (g_async_result_is_tagged (result, _mailsync_folder_fetch_labels_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return lookup (self)->fetch_labels_finish (self, result, error);
}

void
_mailsync_folder_store_labels_async (MailsyncFolder      *self,
                                     const guint32       *uids,
                                     guint                n_uids,
                                     char                 sign,
                                     const char * const  *labels,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->store_labels_async == NULL)
    {
      g_task_report_new_error (self, callback, user_data, _mailsync_folder_store_labels_async, G_IO_ERROR,
                               G_IO_ERROR_NOT_SUPPORTED, "This folder has no labels");
      return;
    }
  vtable->store_labels_async (self, uids, n_uids, sign, labels, cancellable, callback, user_data);
}

gboolean
_mailsync_folder_store_labels_finish (MailsyncFolder  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  /* every backend's result is a GTask of the folder, as ours is */
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (g_async_result_is_tagged (result, _mailsync_folder_store_labels_async))
    return g_task_propagate_boolean (G_TASK (result), error);
  return lookup (self)->store_labels_finish (self, result, error);
}

/* ---- a folder's files ----------------------------------------------------- */

const char *
_mailsync_folder_get_directory (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->get_directory == NULL)
    return NULL;
  return vtable->get_directory (self);
}

gboolean
_mailsync_folder_get_fsync (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable == NULL || vtable->get_fsync == NULL || vtable->get_fsync (self);
}

/* ---- the unchanged-folder record's stamps --------------------------------- */

void
_mailsync_folder_stamp_clear (_MailsyncFolderStamp *stamp)
{
  g_clear_pointer (&stamp->text, g_free);
  stamp->newest_ns = 0;
  stamp->granularity_ns = 0;
}

gboolean
_mailsync_folder_stamp_equal (const _MailsyncFolderStamp *a, const _MailsyncFolderStamp *b)
{
  return a->text != NULL && b->text != NULL && strcmp (a->text, b->text) == 0;
}

gboolean
_mailsync_folder_can_probe_stamp (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->probe_stamp_async != NULL;
}

void
_mailsync_folder_probe_stamp_async (MailsyncFolder      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  if (!_mailsync_folder_can_probe_stamp (self))
    {
      g_task_report_new_error (self, callback, user_data, _mailsync_folder_probe_stamp_async, G_IO_ERROR,
                               G_IO_ERROR_NOT_SUPPORTED, "This folder has no state to probe");
      return;
    }
  lookup (self)->probe_stamp_async (self, cancellable, callback, user_data);
}

char *
_mailsync_folder_probe_stamp_finish (MailsyncFolder  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  /* every backend's result is a GTask of the folder, as ours is */
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (g_async_result_is_tagged (result, _mailsync_folder_probe_stamp_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return lookup (self)->probe_stamp_finish (self, result, error);
}

char *
_mailsync_folder_dup_listing_stamp (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->dup_listing_stamp == NULL)
    return NULL;
  return vtable->dup_listing_stamp (self);
}

gboolean
_mailsync_folder_can_take_stamp (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->take_stamp != NULL && vtable->scan_names != NULL;
}

gboolean
_mailsync_folder_take_stamp (MailsyncFolder *self, _MailsyncFolderStamp *stamp)
{
  _mailsync_folder_stamp_clear (stamp);
  if (!_mailsync_folder_can_take_stamp (self))
    return FALSE;
  return lookup (self)->take_stamp (self, stamp);
}

gboolean
_mailsync_folder_scan_names (MailsyncFolder *self, _MailsyncFolderNameFunc func, gpointer user_data)
{
  if (!_mailsync_folder_can_take_stamp (self))
    return FALSE;
  return lookup (self)->scan_names (self, func, user_data);
}

/* ---- startdate ------------------------------------------------------------ */

gint64
_mailsync_folder_get_start_date (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->get_start_date == NULL)
    return 0;
  return vtable->get_start_date (self);
}

/* ---- the repository's side ------------------------------------------------ */

static GQuark
repository_engine_quark (void)
{
  return g_quark_from_static_string ("mailsync-repository-engine-vtable");
}

void
_mailsync_repository_class_set_engine (gpointer klass, const _MailsyncRepositoryEngineVTable *vtable)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), repository_engine_quark (), (gpointer) vtable);
}

char *
_mailsync_repository_encode_folder_name (MailsyncRepository *self, const char *name)
{
  for (GType type = G_OBJECT_TYPE (self); type != MAILSYNC_TYPE_REPOSITORY; type = g_type_parent (type))
    {
      const _MailsyncRepositoryEngineVTable *vtable = g_type_get_qdata (type, repository_engine_quark ());

      if (vtable != NULL)
        return vtable->encode_folder_name != NULL ? vtable->encode_folder_name (self, name) : NULL;
    }
  return NULL;
}
