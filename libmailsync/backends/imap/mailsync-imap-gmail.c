/* Gmail's X-GM-EXT-1 on an IMAP folder: the labels of every message
 * (UID FETCH 1:* (X-GM-LABELS)) and label changes (UID STORE +X-GM-LABELS,
 * -X-GM-LABELS), for the label pass of synclabels (offlineimap's
 * GmailFolder). Jobs on the repository's worker, like every operation of
 * the folder. Internal. */
#include "config.h"

#include "mailsync-imap-gmail.h"
#include "mailsync-imap-private.h"
#include "mailsync-imap-response.h"
#include "mailsync-imap-command.h"
#include "mailsync-private.h"

static MailsyncImapRepository *
repo_of (MailsyncFolder *folder)
{
  return MAILSYNC_IMAP_REPOSITORY (mailsync_folder_get_repository (folder));
}

/* the connection the folder's jobs run on (its lease's) */
static MailsyncImapSlot *
slot_of (MailsyncFolder *folder)
{
  return _mailsync_imap_repository_slot_of (repo_of (folder), MAILSYNC_IMAP_FOLDER (folder));
}

static void
on_labels (MailsyncImapResponse *response, gpointer user_data)
{
  GHashTable *labels = user_data;
  MailsyncImapFetch *fetch;

  if (response->data_kind != MAILSYNC_IMAP_DATA_FETCH)
    return;
  fetch = response->u.fetch;
  if ((fetch->present & MAILSYNC_IMAP_FETCH_UID) && (fetch->present & MAILSYNC_IMAP_FETCH_X_GM_LABELS))
    g_hash_table_replace (labels, GUINT_TO_POINTER (fetch->uid), g_strdupv (fetch->gm_labels));
}

static gboolean
run_collecting (MailsyncFolder *folder, MailsyncImapCommand *cmd, GHashTable *labels, GCancellable *cancellable,
                GError **error)
{
  MailsyncImapConnection *connection = slot_of (folder)->connection;
  MailsyncImapRequest *request = mailsync_imap_request_new_from_command (cmd, error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;

  if (request == NULL)
    return FALSE;
  mailsync_imap_request_set_untagged_handler (request, on_labels, labels);
  mailsync_imap_connection_send_async (connection, request, cancellable, _mailsync_store_result, &result);
  ok = mailsync_imap_connection_send_finish (connection, _mailsync_await (&result), error);
  return ok != NULL;
}

static gboolean
fetch_all_labels (MailsyncFolder *folder, GHashTable *labels, GCancellable *cancellable, GError **error)
{
  MailsyncImapConnection *connection = slot_of (folder)->connection;
  g_autoptr(MailsyncImapCommand) cmd = _mailsync_imap_command_new (connection, "UID FETCH");

  mailsync_imap_command_add_range (cmd, 1, 0, NULL);
  mailsync_imap_command_add_raw (cmd, "(UID X-GM-LABELS)", NULL);
  return run_collecting (folder, cmd, labels, cancellable, error);
}

static void
fetch_labels_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncFolder *folder = source;
  g_autoptr(GHashTable) labels = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_strfreev);
  GError *error = NULL;

  if (!_mailsync_imap_repository_ensure_slot (repo_of (folder), slot_of (folder), cancellable, &error) ||
      !_mailsync_imap_folder_ensure_selected (MAILSYNC_IMAP_FOLDER (folder), cancellable, &error) ||
      !fetch_all_labels (folder, labels, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&labels), (GDestroyNotify) g_hash_table_unref);
}

void
_mailsync_imap_folder_fetch_labels_async (MailsyncFolder      *folder,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, _mailsync_imap_folder_fetch_labels_async);
  _mailsync_worker_run (slot_of (folder)->worker, task, fetch_labels_job);
  g_object_unref (task);
}

GHashTable *
_mailsync_imap_folder_fetch_labels_finish (MailsyncFolder *folder,
                                           GAsyncResult   *result,
                                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  guint32 *uids;
  guint    n_uids;
  char     sign;
  GStrv    labels;
} StoreArgs;

static void
store_args_free (StoreArgs *args)
{
  g_free (args->uids);
  g_strfreev (args->labels);
  g_free (args);
}

/* UID STORE set [+-]X-GM-LABELS ("label" ...): each label a string,
 * quoted as offlineimap's imaputil.quote() sends it (or a literal when it
 * cannot be quoted); sign 0 replaces the labels
 * (GmailFolder.savemessagelabels). */
static MailsyncImapCommand *
store_labels_command (MailsyncImapConnection *connection, const StoreArgs *args)
{
  MailsyncImapCommand *cmd = _mailsync_imap_command_new (connection, "UID STORE");

  mailsync_imap_command_add_seqset (cmd, args->uids, args->n_uids, NULL);
  mailsync_imap_command_add_atom (cmd, args->sign == '+' ? "+X-GM-LABELS"
                                       : args->sign == '-' ? "-X-GM-LABELS" : "X-GM-LABELS", NULL);
  mailsync_imap_command_begin_list (cmd, NULL);
  for (guint i = 0; args->labels != NULL && args->labels[i] != NULL; i++)
    mailsync_imap_command_add_string (cmd, args->labels[i], -1, NULL);
  mailsync_imap_command_end_list (cmd, NULL);
  return cmd;
}

static void
store_labels_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncFolder *folder = source;
  StoreArgs *args = task_data;
  g_autoptr(MailsyncImapCommand) cmd = NULL;
  g_autoptr(GHashTable) labels = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_strfreev);
  GError *error = NULL;

  if (!_mailsync_imap_repository_ensure_slot (repo_of (folder), slot_of (folder), cancellable, &error) ||
      !_mailsync_imap_folder_ensure_selected (MAILSYNC_IMAP_FOLDER (folder), cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  _mailsync_imap_folder_forget_own_stores (MAILSYNC_IMAP_FOLDER (folder));
  cmd = store_labels_command (slot_of (folder)->connection, args);
  if (!run_collecting (folder, cmd, labels, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
_mailsync_imap_folder_store_labels_async (MailsyncFolder      *folder,
                                          const guint32       *uids,
                                          guint                n_uids,
                                          char                 sign,
                                          const char *const   *labels,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  StoreArgs *args = g_new0 (StoreArgs, 1);

  args->uids = g_memdup2 (uids, n_uids * sizeof (guint32));
  args->n_uids = n_uids;
  args->sign = sign;
  args->labels = g_strdupv ((char **) labels);
  g_task_set_task_data (task, args, (GDestroyNotify) store_args_free);
  g_task_set_source_tag (task, _mailsync_imap_folder_store_labels_async);
  _mailsync_worker_run (slot_of (folder)->worker, task, store_labels_job);
  g_object_unref (task);
}

gboolean
_mailsync_imap_folder_store_labels_finish (MailsyncFolder *folder,
                                           GAsyncResult   *result,
                                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Message-IDs, for the engine's move detection ------------------------
 * (not Gmail's: it lives here beside the labels fetch, which it copies) */

static void
on_header (MailsyncImapResponse *response, gpointer user_data)
{
  GHashTable *headers = user_data;
  MailsyncImapFetch *fetch;

  if (response->data_kind != MAILSYNC_IMAP_DATA_FETCH)
    return;
  fetch = response->u.fetch;
  if (!(fetch->present & MAILSYNC_IMAP_FETCH_UID) || fetch->bodies == NULL)
    return;
  for (guint i = 0; i < fetch->bodies->len; i++)
    {
      MailsyncImapFetchBody *body = fetch->bodies->pdata[i];

      if (body->section != NULL && g_str_has_prefix (body->section, "HEADER.FIELDS") && body->data != NULL)
        g_hash_table_replace (headers, GUINT_TO_POINTER (fetch->uid),
                              _mailsync_header_message_id (g_bytes_get_data (body->data, NULL),
                                                           g_bytes_get_size (body->data)));
    }
}

static void
fetch_message_ids_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncFolder *folder = source;
  MailsyncImapConnection *connection;
  g_autoptr(GHashTable) headers = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(MailsyncImapRequest) request = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GArray) uids = task_data != NULL ? g_array_ref (task_data) : NULL;
  g_autoptr(MailsyncImapCommand) cmd = NULL;
  GError *error = NULL;

  if (!_mailsync_imap_repository_ensure_slot (repo_of (folder), slot_of (folder), cancellable, &error) ||
      !_mailsync_imap_folder_ensure_selected (MAILSYNC_IMAP_FOLDER (folder), cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  connection = slot_of (folder)->connection;
  cmd = _mailsync_imap_command_new (connection, "UID FETCH");
  mailsync_imap_command_add_seqset (cmd, (const guint32 *) uids->data, uids->len, NULL);
  mailsync_imap_command_add_raw (cmd, "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])", NULL);
  if ((request = mailsync_imap_request_new_from_command (cmd, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  mailsync_imap_request_set_untagged_handler (request, on_header, headers);
  mailsync_imap_connection_send_async (connection, g_steal_pointer (&request), cancellable,
                                       _mailsync_store_result, &result);
  ok = mailsync_imap_connection_send_finish (connection, _mailsync_await (&result), &error);
  if (ok == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&headers), (GDestroyNotify) g_hash_table_unref);
}

void
_mailsync_imap_folder_fetch_message_ids_async (MailsyncFolder      *folder,
                                               const guint32       *uids,
                                               guint                n_uids,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  GArray *set = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n_uids);

  g_array_append_vals (set, uids, n_uids);
  g_task_set_source_tag (task, _mailsync_imap_folder_fetch_message_ids_async);
  g_task_set_task_data (task, set, (GDestroyNotify) g_array_unref);
  _mailsync_worker_run (slot_of (folder)->worker, task, fetch_message_ids_job);
  g_object_unref (task);
}

GHashTable *
_mailsync_imap_folder_fetch_message_ids_finish (MailsyncFolder *folder,
                                                GAsyncResult   *result,
                                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
