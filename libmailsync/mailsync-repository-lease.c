/* MailsyncRepository's leases (maxconnections, issue 13 item 5): the
 * engine binds each folder it syncs to one of the repository's
 * connections for the length of its sync, and reconnects only that one
 * when it fails. A backend with several connections sets a
 * _MailsyncLeaseVTable (the IMAP repository's pool, the mapped
 * repository forwarding to its inner one); the base class answers "the
 * one connection": a lease is granted at once, a release does nothing,
 * the reopen is the repository's. The contract is in mailsync-private.h. */
#include "config.h"

#include "mailsync-repository.h"
#include "mailsync-private.h"
#include "mailsync-worker.h"

static GQuark
lease_quark (void)
{
  return g_quark_from_static_string ("mailsync-lease-vtable");
}

void
_mailsync_repository_class_set_lease (gpointer klass, const _MailsyncLeaseVTable *vtable)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), lease_quark (), (gpointer) vtable);
}

static const _MailsyncLeaseVTable *
lookup_lease (MailsyncRepository *self)
{
  for (GType type = G_OBJECT_TYPE (self); type != MAILSYNC_TYPE_REPOSITORY; type = g_type_parent (type))
    {
      const _MailsyncLeaseVTable *vtable = g_type_get_qdata (type, lease_quark ());

      if (vtable != NULL)
        return vtable;
    }
  return NULL;
}

static void
leased (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncRepository *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (lookup_lease (self)->lease_finish (self, result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

void
_mailsync_repository_lease_folder_async (MailsyncRepository  *self,
                                         MailsyncFolder      *folder,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  const _MailsyncLeaseVTable *vtable;
  GTask *task;

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  g_return_if_fail (MAILSYNC_IS_FOLDER (folder));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _mailsync_repository_lease_folder_async);
  /* A granted lease is TRUE even once @cancellable is cancelled: a
   * CANCELLED here would leave it held with nobody to release it. */
  g_task_set_check_cancellable (task, FALSE);
  vtable = lookup_lease (self);
  if (vtable == NULL)
    {
      /* the one connection: every folder has it at once */
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  vtable->lease_async (self, folder, cancellable, leased, task);
}

gboolean
_mailsync_repository_lease_folder_finish (MailsyncRepository  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _mailsync_repository_lease_folder_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
_mailsync_repository_lease_folder (MailsyncRepository  *self,
                                   MailsyncFolder      *folder,
                                   GCancellable        *cancellable,
                                   GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _mailsync_repository_lease_folder_async (self, folder, cancellable, _mailsync_store_result, &result);
  return _mailsync_repository_lease_folder_finish (self, _mailsync_await (&result), error);
}

void
_mailsync_repository_release_folder (MailsyncRepository *self, MailsyncFolder *folder)
{
  const _MailsyncLeaseVTable *vtable;

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  g_return_if_fail (MAILSYNC_IS_FOLDER (folder));
  vtable = lookup_lease (self);
  if (vtable != NULL)
    vtable->release (self, folder);
}

static void
reopened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  MailsyncRepository *self = g_task_get_source_object (task);
  const _MailsyncLeaseVTable *vtable = lookup_lease (self);
  GError *error = NULL;
  gboolean ok = vtable != NULL ? vtable->reopen_finish (self, result, &error)
                               : _mailsync_repository_reopen_finish (self, result, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

void
_mailsync_repository_reopen_folder_async (MailsyncRepository  *self,
                                          MailsyncFolder      *folder,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  const _MailsyncLeaseVTable *vtable;
  GTask *task;

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  g_return_if_fail (MAILSYNC_IS_FOLDER (folder));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _mailsync_repository_reopen_folder_async);
  vtable = lookup_lease (self);
  if (vtable != NULL)
    vtable->reopen_async (self, folder, cancellable, reopened, task);
  else
    _mailsync_repository_reopen_async (self, cancellable, reopened, task);
}

gboolean
_mailsync_repository_reopen_folder_finish (MailsyncRepository  *self,
                                           GAsyncResult        *result,
                                           GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _mailsync_repository_reopen_folder_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
_mailsync_repository_reopen_folder (MailsyncRepository  *self,
                                    MailsyncFolder      *folder,
                                    GCancellable        *cancellable,
                                    GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _mailsync_repository_reopen_folder_async (self, folder, cancellable, _mailsync_store_result, &result);
  return _mailsync_repository_reopen_folder_finish (self, _mailsync_await (&result), error);
}

guint
_mailsync_repository_folder_lease_number (MailsyncRepository *self, MailsyncFolder *folder)
{
  const _MailsyncLeaseVTable *vtable;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), 0);
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (folder), 0);
  vtable = lookup_lease (self);
  return vtable != NULL ? vtable->lease_number (self, folder) : 0;
}

gboolean
_mailsync_repository_folder_lease_connected (MailsyncRepository *self, MailsyncFolder *folder)
{
  const _MailsyncLeaseVTable *vtable;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), TRUE);
  g_return_val_if_fail (MAILSYNC_IS_FOLDER (folder), TRUE);
  vtable = lookup_lease (self);
  return vtable != NULL ? vtable->lease_connected (self, folder) : TRUE;
}

guint
_mailsync_repository_max_leases (MailsyncRepository *self)
{
  const _MailsyncLeaseVTable *vtable;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), 0);
  vtable = lookup_lease (self);
  return vtable != NULL ? vtable->max_leases (self) : 0;
}
