/* Deletion, copy, move and expunge: \Deleted plus UID EXPUNGE (a plain
 * EXPUNGE only when nothing else is marked), UID COPY/MOVE with the new
 * UIDs from COPYUID. */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-imap-command.h"
#include "mailsync-error.h"
#include "mailsync-private.h"


/* ---- deletion ------------------------------------------------------------- */

/* Without UIDPLUS only EXPUNGE exists, and it removes every \Deleted
 * message of the mailbox, including ones another client flagged and still
 * wants to undelete. Expunge only when ours are the only ones. */
static gboolean
plain_expunge_is_safe (MailsyncImapFolder *self, const guint32 *uids, guint n_uids,
                       GCancellable *cancellable, GError **error)
{
  g_autoptr(GArray) deleted = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GHashTable) ours = g_hash_table_new (NULL, NULL);
  g_autoptr(MailsyncImapResponse) ok = NULL;
  MailsyncImapRequest *request = mailsync_imap_request_new_simple ("UID SEARCH", "DELETED");

  mailsync_imap_request_set_untagged_handler (request, _mailsync_imap_folder_collect_search, deleted);
  ok = _mailsync_imap_folder_send (self, request, cancellable, error);
  if (ok == NULL)
    return FALSE;
  for (guint i = 0; i < n_uids; i++)
    g_hash_table_add (ours, GUINT_TO_POINTER (uids[i]));
  for (guint i = 0; i < deleted->len; i++)
    if (!g_hash_table_contains (ours, GUINT_TO_POINTER (g_array_index (deleted, guint32, i))))
      {
        g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                     "Folder %s has messages marked \\Deleted by someone else and the server lacks "
                     "UIDPLUS: refusing a plain EXPUNGE", mailsync_folder_get_name (MAILSYNC_FOLDER (self)));
        return FALSE;
      }
  return TRUE;
}

/* Removes exactly @uids, already marked \Deleted: UID EXPUNGE with
 * UIDPLUS; without it a plain EXPUNGE only when nothing else is marked. */
static gboolean
expunge_uids (MailsyncImapFolder *self, const char *set, const guint32 *uids, guint n_uids,
              GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapCommand) cmd = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  gboolean uidplus = mailsync_imap_connection_has_capability (_mailsync_imap_folder_connection_of (self), "UIDPLUS");

  _mailsync_imap_folder_forget_own_stores (self);
  if (!uidplus && !plain_expunge_is_safe (self, uids, n_uids, cancellable, error))
    return FALSE;
  cmd = _mailsync_imap_folder_command (self, uidplus ? "UID EXPUNGE" : "EXPUNGE");
  /* @set is mailsync_imap_format_seqset's, trusted syntax */
  if (uidplus)
    mailsync_imap_command_add_raw (cmd, set, NULL);
  ok = _mailsync_imap_folder_run (self, cmd, cancellable, error);
  return ok != NULL;
}

/* UID STORE +FLAGS.SILENT (\Deleted) and UID EXPUNGE of the same UIDs in
 * one burst (issue 13: one round trip less per deletion batch, as mbsync
 * does). UID EXPUNGE removes only those of @set marked \Deleted, so a
 * STORE that fails leaves it nothing of ours to remove but what another
 * client marked for deletion too. Success only when both answers are OK:
 * the caller records the deletion after that, never before. */
static gboolean
store_and_expunge (MailsyncImapFolder *self, const char *set, GCancellable *cancellable, GError **error)
{
  MailsyncImapConnection *connection = _mailsync_imap_folder_connection_of (self);
  g_autoptr(MailsyncImapCommand) store = _mailsync_imap_folder_command (self, "UID STORE");
  g_autoptr(MailsyncImapCommand) expunge = _mailsync_imap_folder_command (self, "UID EXPUNGE");
  g_autoptr(MailsyncImapResponse) stored = NULL;
  g_autoptr(MailsyncImapResponse) expunged = NULL;
  g_autoptr(GAsyncResult) store_result = NULL;
  g_autoptr(GAsyncResult) expunge_result = NULL;
  g_autoptr(GError) store_error = NULL;
  MailsyncImapRequest *store_request, *expunge_request;

  _mailsync_imap_folder_forget_own_stores (self);
  /* @set is mailsync_imap_format_seqset's, trusted syntax */
  mailsync_imap_command_add_raw (store, set, NULL);
  mailsync_imap_command_add_atom (store, "+FLAGS.SILENT", NULL);
  mailsync_imap_command_add_flags (store, MAILSYNC_FLAG_DELETED, NULL, NULL);
  mailsync_imap_command_add_raw (expunge, set, NULL);
  if ((store_request = _mailsync_imap_folder_request (self, store, error)) == NULL)
    return FALSE;
  if ((expunge_request = _mailsync_imap_folder_request (self, expunge, error)) == NULL)
    {
      mailsync_imap_request_free (store_request);
      return FALSE;
    }
  mailsync_imap_connection_send_async (connection, store_request, cancellable, _mailsync_store_result, &store_result);
  mailsync_imap_connection_send_async (connection, expunge_request, cancellable, _mailsync_store_result,
                                       &expunge_result);
  stored = mailsync_imap_connection_send_finish (connection, _mailsync_await (&store_result), &store_error);
  /* The crash tests stop here: flagged \Deleted, the expunge sent and
   * perhaps done, nothing recorded. */
  if (stored != NULL)
    _mailsync_crash_point ("imap-deleted-flagged");
  expunged = mailsync_imap_connection_send_finish (connection, _mailsync_await (&expunge_result), error);
  if (stored == NULL)
    {
      g_clear_error (error);
      g_propagate_error (error, g_steal_pointer (&store_error));
      return FALSE;
    }
  return expunged != NULL;
}

static void
delete_messages_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  UidArgs *args = task_data;
  const char *set = args->set;
  const guint32 *uids = args->uids;
  guint n_uids = args->n_uids;
  g_autoptr(GError) error = NULL;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  if (!_mailsync_imap_folder_ensure_selected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (_mailsync_imap_repository_get_expunge (_mailsync_imap_folder_repo_of (self)) &&
      mailsync_imap_connection_has_capability (_mailsync_imap_folder_connection_of (self), "UIDPLUS"))
    {
      if (!store_and_expunge (self, set, cancellable, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }
  if (!_mailsync_imap_folder_store_flags (self, set, '+', MAILSYNC_FLAG_DELETED, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The crash tests stop here: flagged \Deleted, not yet expunged. */
  _mailsync_crash_point ("imap-deleted-flagged");
  /* expunge = no: the flag is the deletion; another client expunges. */
  if (!_mailsync_imap_repository_get_expunge (_mailsync_imap_folder_repo_of (self)))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!expunge_uids (self, set, uids, n_uids, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
folder_delete_messages_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  _mailsync_imap_folder_queue_job (MAILSYNC_IMAP_FOLDER (folder),
                                   _mailsync_imap_folder_uid_task (folder, uids, n_uids, cancellable, callback,
                                                                   user_data),
                                   folder_delete_messages_async, delete_messages_job);
}

/* ---- copy, move, expunge -------------------------------------------------- */

typedef struct
{
  char *set;
  guint32 *uids;
  guint n_uids;
  MailsyncImapFolder *destination;
  gboolean move;
  /* COPYUID (RFC 4315 §3), from the tagged OK of UID COPY or an untagged
   * OK of UID MOVE (RFC 6851 §4.3). */
  guint32 copy_validity;
  GArray *copy_src;   /* guint32, expanded */
  GArray *copy_dst;
} TransferArgs;

static void
transfer_args_free (TransferArgs *args)
{
  g_free (args->set);
  g_free (args->uids);
  g_clear_object (&args->destination);
  g_clear_pointer (&args->copy_src, g_array_unref);
  g_clear_pointer (&args->copy_dst, g_array_unref);
  g_free (args);
}

static GArray *
expand_ranges (const GArray *ranges)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint i = 0; ranges != NULL && i < ranges->len; i++)
    {
      const MailsyncImapRange *range = &g_array_index (ranges, MailsyncImapRange, i);

      /* A server's huge range is not ours to expand: more than we asked
       * for cannot correspond to our set anyway. */
      if ((guint64) range->last - range->first > 1000000)
        break;
      for (guint64 uid = range->first; uid <= range->last; uid++)
        {
          guint32 u = (guint32) uid;
          g_array_append_val (out, u);
        }
    }
  return out;
}

static void
note_copyuid (TransferArgs *args, const MailsyncImapCode *code)
{
  if (code == NULL || code->kind != MAILSYNC_IMAP_CODE_COPYUID)
    return;
  args->copy_validity = code->number;
  /* UID MOVE may report the set in several untagged OKs. */
  if (args->copy_src == NULL)
    {
      args->copy_src = g_array_new (FALSE, FALSE, sizeof (guint32));
      args->copy_dst = g_array_new (FALSE, FALSE, sizeof (guint32));
    }
  {
    g_autoptr(GArray) src = expand_ranges (code->src_uids);
    g_autoptr(GArray) dst = expand_ranges (code->dst_uids);

    if (src->len != dst->len)
      return;
    g_array_append_vals (args->copy_src, src->data, src->len);
    g_array_append_vals (args->copy_dst, dst->data, dst->len);
  }
}

typedef struct
{
  MailsyncImapFolder *self;
  TransferArgs *args;
} TransferUntagged;

static void
on_transfer_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  TransferUntagged *t = user_data;

  _mailsync_imap_folder_on_untagged (response, t->self);
  if (response->data_kind == MAILSYNC_IMAP_DATA_NONE)
    note_copyuid (t->args, response->code);
}

/* The new UID of each given UID, 0 where COPYUID did not say (RFC 4315:
 * the two sets correspond in the order the server lists them). */
static GArray *
transfer_result (TransferArgs *args)
{
  GArray *out = g_array_sized_new (FALSE, TRUE, sizeof (guint32), args->n_uids);
  g_autoptr(GHashTable) map = g_hash_table_new (NULL, NULL);

  for (guint i = 0; args->copy_src != NULL && i < args->copy_src->len; i++)
    g_hash_table_insert (map, GUINT_TO_POINTER (g_array_index (args->copy_src, guint32, i)),
                         GUINT_TO_POINTER (g_array_index (args->copy_dst, guint32, i)));
  for (guint i = 0; i < args->n_uids; i++)
    {
      guint32 uid = GPOINTER_TO_UINT (g_hash_table_lookup (map, GUINT_TO_POINTER (args->uids[i])));
      g_array_append_val (out, uid);
    }
  return out;
}

static void
transfer_messages_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  TransferArgs *args = task_data;
  MailsyncImapConnection *connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(MailsyncImapCommand) cmd = NULL;
  MailsyncImapRequest *request;
  TransferUntagged untagged = { self, args };
  gboolean move;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  connection = _mailsync_imap_folder_connection_of (self);
  if (!_mailsync_imap_folder_ensure_selected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  move = args->move && mailsync_imap_connection_has_capability (connection, "MOVE");
  if (args->move)
    _mailsync_imap_folder_forget_own_stores (self);
  cmd = _mailsync_imap_folder_command (self, move ? "UID MOVE" : "UID COPY");
  /* args->set is mailsync_imap_format_seqset's, trusted syntax */
  mailsync_imap_command_add_raw (cmd, args->set, NULL);
  mailsync_imap_command_add_wire_mailbox (cmd, args->destination->wire_name, NULL);
  if ((request = mailsync_imap_request_new_from_command (cmd, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  mailsync_imap_request_set_untagged_handler (request, on_transfer_untagged, &untagged);
  ok = _mailsync_imap_folder_send (self, request, cancellable, &error);
  if (ok == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  note_copyuid (args, ok->code);
  if (args->move && !move)
    {
      /* The copies are safe in the destination: only now mark and remove
       * the originals, and only those (UID EXPUNGE), never a plain
       * EXPUNGE that would take other clients' \Deleted messages. */
      _mailsync_crash_point ("imap-move-copied");
      if (!_mailsync_imap_folder_store_flags (self, args->set, '+', MAILSYNC_FLAG_DELETED, cancellable, &error) ||
          !expunge_uids (self, args->set, args->uids, args->n_uids, cancellable, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  g_task_return_pointer (task, transfer_result (args), (GDestroyNotify) g_array_unref);
}

static void
folder_transfer_messages_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids,
                                MailsyncFolder *destination, gboolean delete_originals,
                                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  TransferArgs *args;

  g_task_set_source_tag (task, folder_transfer_messages_async);
  if (!MAILSYNC_IS_IMAP_FOLDER (destination))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "%s is not an IMAP folder", mailsync_folder_get_name (destination));
      g_object_unref (task);
      return;
    }
  if (mailsync_repository_get_readonly (mailsync_folder_get_repository (folder)))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY,
                               "Repository %s is read-only",
                               mailsync_repository_get_name (mailsync_folder_get_repository (folder)));
      g_object_unref (task);
      return;
    }
  args = g_new0 (TransferArgs, 1);
  args->set = mailsync_imap_format_seqset (uids, n_uids);
  args->uids = g_memdup2 (uids, n_uids * sizeof (guint32));
  args->n_uids = n_uids;
  args->destination = g_object_ref (MAILSYNC_IMAP_FOLDER (destination));
  args->move = delete_originals;
  g_task_set_task_data (task, args, (GDestroyNotify) transfer_args_free);
  _mailsync_imap_folder_queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_transfer_messages_async,
                                   transfer_messages_job);
}

static gboolean
folder_transfer_messages_finish (MailsyncFolder  *folder,
                                 GAsyncResult    *result,
                                 guint32        **new_uids,
                                 guint           *n_new_uids,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return _mailsync_folder_take_new_uids (g_task_propagate_pointer (G_TASK (result), error), new_uids, n_new_uids);
}

/* Expunging what the user marked \Deleted is what they asked for: the
 * whole folder's, as any mail client's "Expunge". */
static void
expunge_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(MailsyncImapCommand) cmd = _mailsync_imap_folder_command (self, "EXPUNGE");

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  _mailsync_imap_folder_forget_own_stores (self);
  if (!_mailsync_imap_folder_ensure_selected (self, cancellable, &error) ||
      (ok = _mailsync_imap_folder_run (self, cmd, cancellable, &error)) == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
folder_expunge_async (MailsyncFolder *folder, GCancellable *cancellable, GAsyncReadyCallback callback,
                      gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);

  if (mailsync_repository_get_readonly (mailsync_folder_get_repository (folder)))
    {
      g_task_set_source_tag (task, folder_expunge_async);
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY,
                               "Repository %s is read-only",
                               mailsync_repository_get_name (mailsync_folder_get_repository (folder)));
      g_object_unref (task);
      return;
    }
  _mailsync_imap_folder_queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_expunge_async, expunge_job);
}

void
_mailsync_imap_folder_expunge_class_init (MailsyncFolderClass *folder_class)
{
  folder_class->delete_messages_async = folder_delete_messages_async;
  folder_class->delete_messages_finish = _mailsync_imap_folder_bool_finish;
  folder_class->transfer_messages_async = folder_transfer_messages_async;
  folder_class->transfer_messages_finish = folder_transfer_messages_finish;
  folder_class->expunge_async = folder_expunge_async;
  folder_class->expunge_finish = _mailsync_imap_folder_bool_finish;
}
