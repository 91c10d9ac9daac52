/* Folder info (mailsync_repository_list_folder_info_async): every
 * mailbox with its special-use role, subscription and counts, from
 * LIST-EXTENDED/LIST-STATUS where the server has them, else LIST (or
 * XLIST), LSUB and one STATUS per mailbox. */
#include "config.h"

#include "mailsync-imap-repository-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <string.h>

/* ---- folder info (mailsync_repository_list_folder_info_async) ----------- */

typedef struct
{
  char *wire;                     /* name_raw */
  char *native;
  char *display;
  char delimiter;
  MailsyncImapListFlags flags;
  MailsyncFolderRole role;
  gboolean subscribed;
  gint64 total, unseen, recent;
} InfoEntry;

static void
info_entry_free (InfoEntry *entry)
{
  g_free (entry->wire);
  g_free (entry->native);
  g_free (entry->display);
  g_free (entry);
}

typedef struct
{
  MailsyncImapRepository *self;
  GPtrArray *entries;             /* InfoEntry, in LIST order */
  GHashTable *by_wire;            /* wire name -> InfoEntry (borrowed) */
  GHashTable *lsub;               /* LSUB's wire names; NULL under LIST-EXTENDED */
  guint pending;                  /* STATUS commands in flight */
  GError *error;                  /* the first failure of one of them */
} InfoData;

static void
info_data_clear (InfoData *data)
{
  g_clear_pointer (&data->entries, g_ptr_array_unref);
  g_clear_pointer (&data->by_wire, g_hash_table_unref);
  g_clear_pointer (&data->lsub, g_hash_table_unref);
  g_clear_error (&data->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (InfoData, info_data_clear)

/* RFC 6154 attributes and Gmail's XLIST ones; the first match in
 * MailsyncFolderRole's order wins. */
static MailsyncFolderRole
role_from_attributes (const char *const *attributes)
{
  static const struct
  {
    const char *attribute;
    MailsyncFolderRole role;
  } roles[] = {
    { "\\Inbox", MAILSYNC_FOLDER_ROLE_INBOX },
    { "\\Sent", MAILSYNC_FOLDER_ROLE_SENT },
    { "\\Trash", MAILSYNC_FOLDER_ROLE_TRASH },
    { "\\Drafts", MAILSYNC_FOLDER_ROLE_DRAFTS },
    { "\\Junk", MAILSYNC_FOLDER_ROLE_JUNK },
    { "\\Spam", MAILSYNC_FOLDER_ROLE_JUNK },
    { "\\Archive", MAILSYNC_FOLDER_ROLE_ARCHIVE },
    { "\\All", MAILSYNC_FOLDER_ROLE_ALL },
    { "\\AllMail", MAILSYNC_FOLDER_ROLE_ALL },
    { "\\Flagged", MAILSYNC_FOLDER_ROLE_FLAGGED },
    { "\\Starred", MAILSYNC_FOLDER_ROLE_FLAGGED },
  };

  for (gsize j = 0; j < G_N_ELEMENTS (roles); j++)
    for (guint i = 0; attributes != NULL && attributes[i] != NULL; i++)
      if (g_ascii_strcasecmp (attributes[i], roles[j].attribute) == 0)
        return roles[j].role;
  return MAILSYNC_FOLDER_ROLE_NONE;
}

static void
info_on_list (InfoData *data, const MailsyncImapList *list)
{
  InfoEntry *entry;
  g_autofree char *native = NULL;
  const char *last;

  /* \NonExistent: a subscription to a mailbox that is gone (RFC 5258). */
  if (list->flags & MAILSYNC_IMAP_LIST_NONEXISTENT || list->name_raw == NULL ||
      (native = _mailsync_imap_repository_native_name (data->self, list)) == NULL)
    return;
  entry = g_hash_table_lookup (data->by_wire, list->name_raw);
  if (entry == NULL)
    {
      entry = g_new0 (InfoEntry, 1);
      entry->wire = g_strdup (list->name_raw);
      entry->total = entry->unseen = entry->recent = -1;
      g_ptr_array_add (data->entries, entry);
      g_hash_table_insert (data->by_wire, entry->wire, entry);
    }
  g_free (entry->native);
  entry->native = g_steal_pointer (&native);
  entry->delimiter = list->delimiter;
  entry->flags = list->flags;
  entry->subscribed = (list->flags & MAILSYNC_IMAP_LIST_SUBSCRIBED) != 0;
  entry->role = role_from_attributes ((const char *const *) list->attributes);
  if (entry->role == MAILSYNC_FOLDER_ROLE_NONE && g_ascii_strcasecmp (list->name_raw, "INBOX") == 0)
    entry->role = MAILSYNC_FOLDER_ROLE_INBOX;
  /* The display name is decoded UTF-8 whatever the native names are. */
  last = list->name != NULL && list->delimiter ? strrchr (list->name, list->delimiter) : NULL;
  g_free (entry->display);
  entry->display = g_strdup (last != NULL ? last + 1 : list->name != NULL ? list->name : list->name_raw);
}

static void
info_on_status (InfoData *data, const MailsyncImapStatusData *status)
{
  InfoEntry *entry = status->name_raw ? g_hash_table_lookup (data->by_wire, status->name_raw) : NULL;

  /* LIST-STATUS may name INBOX in another case than LIST did. */
  if (entry == NULL && status->name_raw != NULL && g_ascii_strcasecmp (status->name_raw, "INBOX") == 0)
    for (guint i = 0; i < data->entries->len && entry == NULL; i++)
      if (g_ascii_strcasecmp (((InfoEntry *) data->entries->pdata[i])->wire, "INBOX") == 0)
        entry = data->entries->pdata[i];
  if (entry == NULL)
    return;
  if (status->present & MAILSYNC_IMAP_STATUS_ITEM_MESSAGES)
    entry->total = status->messages;
  if (status->present & MAILSYNC_IMAP_STATUS_ITEM_UNSEEN)
    entry->unseen = status->unseen;
  if (status->present & MAILSYNC_IMAP_STATUS_ITEM_RECENT)
    entry->recent = status->recent;
}

static void
info_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  InfoData *data = user_data;

  switch (response->data_kind)
    {
    case MAILSYNC_IMAP_DATA_LIST:
      info_on_list (data, response->u.list);
      break;
    case MAILSYNC_IMAP_DATA_LSUB:
      if (data->lsub != NULL && response->u.list->name_raw != NULL)
        g_hash_table_add (data->lsub, g_strdup (response->u.list->name_raw));
      break;
    case MAILSYNC_IMAP_DATA_STATUS:
      info_on_status (data, response->u.status);
      break;
    default:
      break;
    }
}

static void
info_status_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  InfoData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);

  /* A NO (the mailbox went away between LIST and STATUS, or may not be
   * read) leaves that folder's counts unknown; anything else fails the
   * listing. */
  if (ok == NULL && !g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO) && data->error == NULL)
    data->error = g_steal_pointer (&error);
  data->pending--;
}

/* The request for @cmd (freed here), its untagged answers collected in @data. */
static MailsyncImapRequest *
info_request (InfoData *data, MailsyncImapCommand *cmd, GError **error)
{
  g_autoptr(MailsyncImapCommand) owned = cmd;
  MailsyncImapRequest *request = mailsync_imap_request_new_from_command (owned, error);

  if (request != NULL)
    mailsync_imap_request_set_untagged_handler (request, info_untagged, data);
  return request;
}

static void
list_folder_info_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;
  MailsyncImapConnection *connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  MailsyncImapCommand *cmd;
  MailsyncImapRequest *request;
  g_auto(InfoData) data = { self, g_ptr_array_new_with_free_func ((GDestroyNotify) info_entry_free),
                            g_hash_table_new (g_str_hash, g_str_equal), NULL, 0, NULL };
  gboolean extended, list_status, special_use;
  GPtrArray *infos;

  if (!_mailsync_imap_repository_ensure_connected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  connection = self->main.connection;
  extended = mailsync_imap_connection_has_capability (connection, "LIST-EXTENDED");
  list_status = extended && mailsync_imap_connection_has_capability (connection, "LIST-STATUS");
  special_use = mailsync_imap_connection_has_capability (connection, "SPECIAL-USE");
  if (extended)
    /* RFC 5258 + 6154 + 5819: subscriptions, children, special use and
     * the counts in one round trip. */
    {
      cmd = _mailsync_imap_list_command (connection, "LIST", self->reference);
      mailsync_imap_command_add_atom (cmd, "RETURN", NULL);
      mailsync_imap_command_begin_list (cmd, NULL);
      mailsync_imap_command_add_atom (cmd, "SUBSCRIBED", NULL);
      mailsync_imap_command_add_atom (cmd, "CHILDREN", NULL);
      if (special_use)
        mailsync_imap_command_add_atom (cmd, "SPECIAL-USE", NULL);
      if (list_status)
        mailsync_imap_command_add_raw (cmd, "STATUS (MESSAGES UNSEEN RECENT)", NULL);
      mailsync_imap_command_end_list (cmd, NULL);
    }
  else if (!special_use && mailsync_imap_connection_has_capability (connection, "XLIST"))
    cmd = _mailsync_imap_list_command (connection, "XLIST", self->reference);
  else
    cmd = _mailsync_imap_list_command (connection, "LIST", self->reference);
  if ((request = info_request (&data, cmd, &error)) != NULL)
    ok = _mailsync_imap_repository_run (self, request, cancellable, &error);
  if (ok == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!extended)
    {
      g_autoptr(MailsyncImapResponse) lsub_ok = NULL;

      data.lsub = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      if ((request = info_request (&data, _mailsync_imap_list_command (connection, "LSUB", self->reference),
                                   &error)) != NULL)
        lsub_ok = _mailsync_imap_repository_run (self, request, cancellable, &error);
      if (lsub_ok == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      for (guint i = 0; i < data.entries->len; i++)
        {
          InfoEntry *entry = data.entries->pdata[i];
          entry->subscribed = g_hash_table_contains (data.lsub, entry->wire);
        }
    }
  if (!list_status)
    {
      /* One STATUS per mailbox, all in flight at once (DESIGN §4). */
      for (guint i = 0; i < data.entries->len; i++)
        {
          InfoEntry *entry = data.entries->pdata[i];

          if (entry->flags & MAILSYNC_IMAP_LIST_NOSELECT)
            continue;
          cmd = _mailsync_imap_command_new (connection, "STATUS");
          mailsync_imap_command_add_wire_mailbox (cmd, entry->wire, NULL);
          mailsync_imap_command_add_raw (cmd, "(MESSAGES UNSEEN RECENT)", NULL);
          if ((request = info_request (&data, cmd, data.error == NULL ? &data.error : NULL)) == NULL)
            continue;
          data.pending++;
          mailsync_imap_connection_send_async (connection, request, cancellable, info_status_done, &data);
        }
      while (data.pending > 0)
        _mailsync_await_iteration ();
      if (data.error != NULL)
        {
          g_task_return_error (task, g_steal_pointer (&data.error));
          return;
        }
    }
  infos = g_ptr_array_new_full (data.entries->len, g_object_unref);
  for (guint i = 0; i < data.entries->len; i++)
    {
      InfoEntry *entry = data.entries->pdata[i];
      gboolean selectable = !(entry->flags & MAILSYNC_IMAP_LIST_NOSELECT);

      g_ptr_array_add (infos, g_object_new (MAILSYNC_TYPE_FOLDER_INFO,
                                            "name", entry->native,
                                            "display-name", entry->display,
                                            "separator", entry->delimiter,
                                            "total", selectable ? entry->total : (gint64) -1,
                                            "unseen", selectable ? entry->unseen : (gint64) -1,
                                            "recent", selectable ? entry->recent : (gint64) -1,
                                            "role", entry->role,
                                            "subscribed", entry->subscribed,
                                            "selectable", selectable,
                                            "has-children", (entry->flags & MAILSYNC_IMAP_LIST_HASCHILDREN) != 0,
                                            NULL));
    }
  g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
}

static void
repository_list_folder_info_async (MailsyncRepository *repo, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  _mailsync_imap_repository_queue_job (MAILSYNC_IMAP_REPOSITORY (repo),
                                       g_task_new (repo, cancellable, callback, user_data),
                                       repository_list_folder_info_async, list_folder_info_job);
}

static GPtrArray *
repository_list_folder_info_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repo), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const _MailsyncFolderInfoVTable folder_info_vtable = {
  repository_list_folder_info_async,
  repository_list_folder_info_finish,
};

void
_mailsync_imap_repository_info_class_init (MailsyncRepositoryClass *repo_class)
{
  _mailsync_repository_class_set_folder_info (repo_class, &folder_info_vtable);
}
