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
run_collecting (MailsyncFolder *folder, const char *line, GHashTable *labels, GCancellable *cancellable,
                GError **error)
{
  MailsyncImapConnection *connection = _mailsync_imap_repository_get_connection (repo_of (folder));
  MailsyncImapRequest *request = mailsync_imap_request_new (line);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;

  mailsync_imap_request_set_untagged_handler (request, on_labels, labels);
  mailsync_imap_connection_send_async (connection, request, cancellable, _mailsync_store_result, &result);
  ok = mailsync_imap_connection_send_finish (connection, _mailsync_await (&result), error);
  return ok != NULL;
}

static void
fetch_labels_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncFolder *folder = source;
  g_autoptr(GHashTable) labels = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_strfreev);
  GError *error = NULL;

  if (!_mailsync_imap_repository_ensure_connected (repo_of (folder), cancellable, &error) ||
      !_mailsync_imap_folder_ensure_selected (MAILSYNC_IMAP_FOLDER (folder), cancellable, &error) ||
      !run_collecting (folder, "UID FETCH 1:* (UID X-GM-LABELS)", labels, cancellable, &error))
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
  _mailsync_worker_run (_mailsync_imap_repository_get_worker (repo_of (folder)), task, fetch_labels_job);
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
  char *line;
} StoreArgs;

static void
store_args_free (StoreArgs *args)
{
  g_free (args->line);
  g_free (args);
}

static void
store_labels_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncFolder *folder = source;
  StoreArgs *args = task_data;
  g_autoptr(GHashTable) labels = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_strfreev);
  GError *error = NULL;

  if (!_mailsync_imap_repository_ensure_connected (repo_of (folder), cancellable, &error) ||
      !_mailsync_imap_folder_ensure_selected (MAILSYNC_IMAP_FOLDER (folder), cancellable, &error) ||
      !run_collecting (folder, args->line, labels, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* A label as offlineimap's imaputil.quote() sends it: always quoted. */
static void
append_quoted (GString *out, const char *label)
{
  g_string_append_c (out, '"');
  for (const char *p = label; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
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
  g_autofree char *set = mailsync_imap_format_seqset (uids, n_uids);
  GString *line = g_string_new (NULL);

  /* sign 0: replace the labels (GmailFolder.savemessagelabels) */
  g_string_printf (line, "UID STORE %s %sX-GM-LABELS (", set, sign == '+' ? "+" : sign == '-' ? "-" : "");
  for (guint i = 0; labels != NULL && labels[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (line, ' ');
      append_quoted (line, labels[i]);
    }
  g_string_append_c (line, ')');
  args->line = g_string_free (line, FALSE);
  g_task_set_task_data (task, args, (GDestroyNotify) store_args_free);
  g_task_set_source_tag (task, _mailsync_imap_folder_store_labels_async);
  _mailsync_worker_run (_mailsync_imap_repository_get_worker (repo_of (folder)), task, store_labels_job);
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

/* ---- Message-ID headers, for the engine's move detection ------------------
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
                              g_strndup (g_bytes_get_data (body->data, NULL), g_bytes_get_size (body->data)));
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
  g_autofree char *line = g_strdup_printf ("UID FETCH %s (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
                                           (const char *) task_data);
  GError *error = NULL;

  if (!_mailsync_imap_repository_ensure_connected (repo_of (folder), cancellable, &error) ||
      !_mailsync_imap_folder_ensure_selected (MAILSYNC_IMAP_FOLDER (folder), cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  connection = _mailsync_imap_repository_get_connection (repo_of (folder));
  request = mailsync_imap_request_new (line);
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
  GString *set = g_string_new (NULL);

  for (guint i = 0; i < n_uids; i++)
    g_string_append_printf (set, "%s%u", i > 0 ? "," : "", uids[i]);
  g_task_set_source_tag (task, _mailsync_imap_folder_fetch_message_ids_async);
  g_task_set_task_data (task, g_string_free (set, FALSE), g_free);
  _mailsync_worker_run (_mailsync_imap_repository_get_worker (repo_of (folder)), task, fetch_message_ids_job);
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
