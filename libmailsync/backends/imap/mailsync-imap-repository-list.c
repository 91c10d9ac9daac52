/* The folder list of an IMAP repository (list_folders): LIST, with
 * NAMESPACE for personalnamespaceonly, LSUB for subscribedonly, and
 * STATUS for the folderincludes LIST did not name. */
#include "config.h"

#include "mailsync-imap-repository-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-imap-utf7.h"

#include <string.h>

typedef struct
{
  MailsyncImapRepository *self;
  GPtrArray *folders;
  char separator;
  char *personal_prefix;    /* NAMESPACE, when no reference is set */
  char personal_separator;
  GPtrArray *foreign;       /* other users' and shared prefixes (wire form) */
  GHashTable *subscribed;   /* subscribedonly: LSUB's wire names, else NULL */
  GHashTable *statuses;     /* LIST-STATUS: wire name -> the probe's stamp, else NULL */
} ListData;

static void
list_data_clear (ListData *data)
{
  g_clear_pointer (&data->folders, g_ptr_array_unref);
  g_clear_pointer (&data->personal_prefix, g_free);
  g_clear_pointer (&data->foreign, g_ptr_array_unref);
  g_clear_pointer (&data->subscribed, g_hash_table_unref);
  g_clear_pointer (&data->statuses, g_hash_table_unref);
}

static void
on_namespace (MailsyncImapResponse *response, gpointer user_data)
{
  ListData *data = user_data;
  const MailsyncImapNamespace *ns;
  GPtrArray *foreign[2];

  if (response->data_kind != MAILSYNC_IMAP_DATA_NAMESPACE || data->foreign != NULL)
    return;
  ns = response->u.namespace_;
  data->foreign = g_ptr_array_new_with_free_func (g_free);
  if (ns->personal != NULL && ns->personal->len > 0)
    {
      const MailsyncImapNamespaceEntry *entry = ns->personal->pdata[0];
      data->personal_prefix = g_strdup (entry->prefix_raw ? entry->prefix_raw : "");
      data->personal_separator = entry->delimiter;
    }
  foreign[0] = ns->other;
  foreign[1] = ns->shared;
  for (guint k = 0; k < G_N_ELEMENTS (foreign); k++)
    for (guint i = 0; foreign[k] != NULL && i < foreign[k]->len; i++)
      {
        const MailsyncImapNamespaceEntry *entry = foreign[k]->pdata[i];
        if (entry->prefix_raw != NULL && *entry->prefix_raw != '\0')
          g_ptr_array_add (data->foreign, g_strdup (entry->prefix_raw));
      }
}

/* With personal-namespace-only and no reference, only the personal
 * namespace is synced: LIST "" "*" also names other users' and shared
 * mailboxes on many servers. INBOX is always personal. */
static gboolean
is_foreign (ListData *data, const char *wire_name)
{
  if (data->foreign == NULL || g_ascii_strcasecmp (wire_name, "INBOX") == 0)
    return FALSE;
  if (data->personal_prefix != NULL && *data->personal_prefix != '\0' &&
      g_str_has_prefix (wire_name, data->personal_prefix))
    return FALSE;
  for (guint i = 0; i < data->foreign->len; i++)
    if (g_str_has_prefix (wire_name, data->foreign->pdata[i]))
      return TRUE;
  return FALSE;
}

/* Whether @name (@len bytes) holds a control character and no NUL (a NUL
 * would cut the name short: such a name is not kept). */
static gboolean
has_control (const char *name, gsize len)
{
  gboolean found = FALSE;

  for (gsize i = 0; i < len; i++)
    if (name[i] == '\0')
      return FALSE;
    else if ((guchar) name[i] < 0x20 || name[i] == 0x7f)
      found = TRUE;
  return found;
}

/* What LIST-STATUS (RFC 5819) asks of every mailbox: the unchanged
 * probe's items (mailsync-imap-folder-list.c), so that a resync asks no
 * STATUS per folder (issue 13). */
#define LIST_STATUS_ITEMS "(UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)"

static void
on_list_status (ListData *data, const MailsyncImapStatusData *status)
{
  const guint need = MAILSYNC_IMAP_STATUS_ITEM_UIDVALIDITY | MAILSYNC_IMAP_STATUS_ITEM_UIDNEXT |
                     MAILSYNC_IMAP_STATUS_ITEM_MESSAGES | MAILSYNC_IMAP_STATUS_ITEM_HIGHESTMODSEQ;

  /* all four or none, as the probe's own STATUS */
  if (data->statuses == NULL || status->name_raw == NULL || (status->present & need) != need ||
      status->highestmodseq == 0)
    return;
  g_hash_table_replace (data->statuses, g_strdup (status->name_raw),
                        g_strdup_printf ("%u %" G_GUINT64_FORMAT " %u %u", status->uidvalidity,
                                         status->highestmodseq, status->uidnext, status->messages));
}

static void
on_list (MailsyncImapResponse *response, gpointer user_data)
{
  ListData *data = user_data;
  MailsyncImapList *list;
  g_autofree char *native = NULL;

  if (response->data_kind == MAILSYNC_IMAP_DATA_STATUS)
    {
      on_list_status (data, response->u.status);
      return;
    }
  if (response->data_kind != MAILSYNC_IMAP_DATA_LIST)
    return;
  list = response->u.list;
  if (list->delimiter && !data->separator)
    data->separator = list->delimiter;
  /* \Noselect and \NonExistent are hierarchy nodes, not mailboxes. */
  if (list->flags & (MAILSYNC_IMAP_LIST_NOSELECT | MAILSYNC_IMAP_LIST_NONEXISTENT))
    return;
  /* A name with a control character (valid in a quoted string or a
   * literal) is no mUTF-7 and does not decode; it is kept under its wire
   * name, for the account to skip it with its name and the reason instead
   * of its vanishing here (issue 12 item 2). */
  if (list->name == NULL && list->name_raw != NULL && has_control (list->name_raw, list->name_raw_len))
    native = g_strdup (list->name_raw);
  else if (list->name == NULL || (native = _mailsync_imap_repository_native_name (data->self, list)) == NULL)
    return;
  if (is_foreign (data, list->name_raw))
    {
      g_debug ("Skipping %s: not in the personal namespace", list->name);
      return;
    }
  if (data->subscribed != NULL && !g_hash_table_contains (data->subscribed, list->name_raw))
    {
      g_hash_table_add (data->self->unsubscribed, g_steal_pointer (&native));
      return;
    }
  g_ptr_array_add (data->folders, _mailsync_imap_folder_new (data->self, native, list->name_raw));
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ListData, list_data_clear)

static void
on_lsub (MailsyncImapResponse *response, gpointer user_data)
{
  ListData *data = user_data;

  if (response->data_kind == MAILSYNC_IMAP_DATA_LSUB && response->u.list->name_raw != NULL)
    g_hash_table_add (data->subscribed, g_strdup (response->u.list->name_raw));
}

/* offlineimap's folderincludes: folders LIST did not name (outside the
 * reference, say) are added when the server knows them; STATUS checks
 * that without changing the selected mailbox. */
static gboolean
add_included_folders (MailsyncImapRepository *self, ListData *data, GCancellable *cancellable, GError **error)
{
  for (guint i = 0; self->folder_includes != NULL && self->folder_includes[i] != NULL; i++)
    {
      const char *given = self->folder_includes[i];
      g_autofree char *encoded = _mailsync_imap_repository_to_wire (self, given);
      /* without utf8-folder-names, a UTF-8 include is named like a listed
       * folder: by its mUTF-7 name */
      g_autofree char *native = self->utf8_names || _mailsync_imap_is_mutf7 (given) ? NULL
                                : mailsync_imap_utf7_encode (given, -1, NULL);
      const char *name = native != NULL ? native : given;
      g_autoptr(MailsyncImapCommand) cmd = _mailsync_imap_command_new (self->main.connection, "STATUS");
      MailsyncImapRequest *request;
      g_autoptr(MailsyncImapResponse) ok = NULL;
      g_autoptr(GError) local_error = NULL;
      gboolean listed = FALSE;

      for (guint j = 0; j < data->folders->len && !listed; j++)
        listed = strcmp (mailsync_folder_get_name (data->folders->pdata[j]), name) == 0;
      if (listed)
        continue;
      mailsync_imap_command_add_wire_mailbox (cmd, encoded ? encoded : name, NULL);
      mailsync_imap_command_add_raw (cmd, "(UIDVALIDITY)", NULL);
      if ((request = mailsync_imap_request_new_from_command (cmd, error)) == NULL)
        return FALSE;
      ok = _mailsync_imap_repository_run (self, request, cancellable, &local_error);
      if (ok == NULL)
        {
          /* A connection failure spoils the listing; a NO only this one. */
          if (!g_error_matches (local_error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          /* offlineimap shows it as an error (exit status 1) and syncs
           * the other folders: the listing goes on, the engine reports it. */
          _mailsync_repository_add_listing_problem (MAILSYNC_REPOSITORY (self),
            g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_FOLDER_NOT_FOUND,
                         "Invalid folderinclude '%s' of repository %s: %s", given,
                         mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)), local_error->message));
          continue;
        }
      g_ptr_array_add (data->folders, _mailsync_imap_folder_new (self, name, encoded ? encoded : name));
    }
  return TRUE;
}

/* Whether the folder list is one LIST (no NAMESPACE or LSUB first, as
 * the capabilities known now say), which can go with the login. */
static gboolean
list_alone (MailsyncImapRepository *self, MailsyncImapConnection *connection)
{
  return !self->subscribed_only &&
         !(self->reference == NULL && self->personal_only &&
           mailsync_imap_connection_has_capability (connection, "NAMESPACE"));
}

/* The LIST of the folder list, with LIST-STATUS when offered, its
 * answers collected into @data. */
static MailsyncImapRequest *
list_request (MailsyncImapRepository *self, MailsyncImapConnection *connection, ListData *data, GError **error)
{
  g_autoptr(MailsyncImapCommand) list = _mailsync_imap_list_command (connection, "LIST", self->reference);
  MailsyncImapRequest *request;

  /* HIGHESTMODSEQ in STATUS needs CONDSTORE; without it the probe has
   * no stamp anyway. */
  if (mailsync_imap_connection_has_capability (connection, "LIST-STATUS") &&
      mailsync_imap_connection_has_capability (connection, "CONDSTORE"))
    {
      mailsync_imap_command_add_raw (list, "RETURN (STATUS " LIST_STATUS_ITEMS ")", NULL);
      if (data->statuses == NULL)
        data->statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    }
  if ((request = mailsync_imap_request_new_from_command (list, error)) == NULL)
    return NULL;
  mailsync_imap_request_set_untagged_handler (request, on_list, data);
  return request;
}

/* The folder list's LIST, sent right behind the login command of the
 * open's first connection, before the login's answer (issue 13: the
 * no-op resync's round trips). The capabilities are the ones before the
 * login; list_once() takes the answer when the LIST it would send now is
 * no better, else sends its own. Reference-counted: the repository holds
 * one reference until the listing or the connection's end, the LIST's
 * callback one until the answer. */
typedef struct _MailsyncImapEarlyListing
{
  ListData data;
  MailsyncImapConnection *connection; /* not a reference: the LIST's task holds one */
  GAsyncResult *result;
} EarlyListing;

static void
early_listing_clear (gpointer data)
{
  EarlyListing *early = data;

  list_data_clear (&early->data);
  g_clear_object (&early->result);
}

static void
early_listing_unref (EarlyListing *early)
{
  g_rc_box_release_full (early, early_listing_clear);
}

static void
early_listing_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  EarlyListing *early = user_data;

  early->result = g_object_ref (result);
  early_listing_unref (early);
}

void
_mailsync_imap_repository_send_early_listing (MailsyncImapConnection *connection, gpointer user_data)
{
  MailsyncImapRepository *self = user_data;
  EarlyListing *early;
  MailsyncImapRequest *request;

  if (!list_alone (self, connection))
    return;
  early = g_rc_box_new0 (EarlyListing);
  early->data.self = self;
  early->data.folders = g_ptr_array_new_with_free_func (g_object_unref);
  early->connection = connection;
  if ((request = list_request (self, connection, &early->data, NULL)) == NULL)
    {
      early_listing_unref (early);
      return;
    }
  _mailsync_imap_repository_drop_early_listing (self);
  self->early_listing = g_rc_box_acquire (early);
  mailsync_imap_connection_send_async (connection, request, NULL, early_listing_done, early);
}

void
_mailsync_imap_repository_drop_early_listing (MailsyncImapRepository *self)
{
  EarlyListing *early = g_steal_pointer (&self->early_listing);

  if (early == NULL)
    return;
  /* A closed connection has failed the LIST: take its answer now, so
   * that nothing waits for a context that may not run again. */
  while (early->result == NULL && !mailsync_imap_connection_is_open (early->connection) &&
         _mailsync_in_private_context ())
    _mailsync_await_iteration ();
  early_listing_unref (early);
}

/* Moves the early listing's folders into @data when it was answered and
 * is what list_once() would ask now: the same connection, one LIST
 * still, LIST-STATUS if offered now, no ENABLE UTF8=ACCEPT since. */
static gboolean
take_early_listing (MailsyncImapRepository *self, ListData *data)
{
  EarlyListing *early = g_steal_pointer (&self->early_listing);
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GError) error = NULL;
  gboolean wanted_status;

  if (early == NULL)
    return FALSE;
  if (early->connection != self->main.connection)
    {
      self->early_listing = early;
      _mailsync_imap_repository_drop_early_listing (self);
      return FALSE;
    }
  ok = mailsync_imap_connection_send_finish (self->main.connection, _mailsync_await (&early->result), &error);
  wanted_status = mailsync_imap_connection_has_capability (self->main.connection, "LIST-STATUS") &&
                  mailsync_imap_connection_has_capability (self->main.connection, "CONDSTORE");
  if (ok == NULL || !list_alone (self, self->main.connection) ||
      mailsync_imap_connection_get_utf8_accept (self->main.connection) ||
      (wanted_status && early->data.statuses == NULL))
    {
      g_debug ("%s: the LIST sent with the login is not used (%s)",
               mailsync_repository_get_name (MAILSYNC_REPOSITORY (self)),
               ok == NULL ? error->message : "the capabilities after the login ask for another");
      early_listing_unref (early);
      return FALSE;
    }
  list_data_clear (data);
  *data = early->data;
  memset (&early->data, 0, sizeof early->data);
  early_listing_unref (early);
  return TRUE;
}

/* NAMESPACE, LSUB and LIST on the open connection, into @data. */
static gboolean
list_now (MailsyncImapRepository *self, ListData *data, GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapResponse) ok = NULL;
  MailsyncImapRequest *request;

  if (self->reference == NULL && self->personal_only &&
      mailsync_imap_connection_has_capability (self->main.connection, "NAMESPACE"))
    {
      g_autoptr(MailsyncImapResponse) ns_ok = NULL;

      request = mailsync_imap_request_new_simple ("NAMESPACE", NULL);
      mailsync_imap_request_set_untagged_handler (request, on_namespace, data);
      ns_ok = _mailsync_imap_repository_run (self, request, cancellable, error);
      if (ns_ok == NULL)
        return FALSE;
    }
  /* subscribedonly: LSUB names what to sync, and LIST still runs so that
   * a folder that exists but is not subscribed is known as such (hidden,
   * not deleted) while a stale subscription to a folder that no longer
   * exists is not selected. */
  if (self->subscribed_only)
    {
      g_autoptr(MailsyncImapResponse) lsub_ok = NULL;
      g_autoptr(MailsyncImapCommand) lsub = _mailsync_imap_list_command (self->main.connection, "LSUB", self->reference);

      data->subscribed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      if ((request = mailsync_imap_request_new_from_command (lsub, error)) == NULL)
        return FALSE;
      mailsync_imap_request_set_untagged_handler (request, on_lsub, data);
      lsub_ok = _mailsync_imap_repository_run (self, request, cancellable, error);
      if (lsub_ok == NULL)
        return FALSE;
    }
  if ((request = list_request (self, self->main.connection, data, error)) == NULL)
    return FALSE;
  ok = _mailsync_imap_repository_run (self, request, cancellable, error);
  return ok != NULL;
}

/* One listing: the folders, and the hierarchy separator in @separator. */
static GPtrArray *
list_once (MailsyncImapRepository *self, char *separator, GCancellable *cancellable, GError **error)
{
  MailsyncRepository *repo = MAILSYNC_REPOSITORY (self);
  g_auto(ListData) data = { self, g_ptr_array_new_with_free_func (g_object_unref), 0, NULL, 0, NULL };

  if (!_mailsync_imap_repository_ensure_connected (self, cancellable, error))
    return NULL;
  self->listed = TRUE;
  g_hash_table_remove_all (self->unsubscribed);
  if (!take_early_listing (self, &data) && !list_now (self, &data, cancellable, error))
    return NULL;
  if (!add_included_folders (self, &data, cancellable, error))
    return NULL;
  for (guint i = 0; data.statuses != NULL && i < data.folders->len; i++)
    _mailsync_imap_folder_take_list_status (data.folders->pdata[i], data.statuses);
  /* Rule 1: an account with no INBOX at all is far likelier a broken LIST
   * than an empty account; nothing must look deleted because of it. */
  if (data.folders->len == 0)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                   "Repository %s: the server listed no folder", mailsync_repository_get_name (repo));
      return NULL;
    }
  if (!data.separator)
    data.separator = data.personal_separator;
  *separator = data.separator;
  return g_steal_pointer (&data.folders);
}

static void
list_folders_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) waited = NULL;
      char separator = 0;
      GPtrArray *folders = list_once (self, &separator, cancellable, &error);

      if (folders != NULL)
        {
          /* The separator is set by _finish, on the caller's thread: its
           * notify:: must not be emitted on the worker's. */
          g_task_set_task_data (task, GINT_TO_POINTER ((int) separator), NULL);
          g_task_return_pointer (task, folders, (GDestroyNotify) g_ptr_array_unref);
          return;
        }
      /* A limit of the server's at the listing (issue 12 item 9) is
       * waited out and the listing made again (it changes nothing), as
       * many times as the back-off's budget allows; no folder is synced
       * before. */
      if (!g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_THROTTLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (!_mailsync_imap_repository_wait_throttled (self, error, cancellable, &waited))
        {
          g_task_return_error (task, g_steal_pointer (&waited));
          return;
        }
    }
}

static void
repository_list_folders_async (MailsyncRepository *repo, GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  _mailsync_imap_repository_queue_job (MAILSYNC_IMAP_REPOSITORY (repo),
                                       g_task_new (repo, cancellable, callback, user_data),
                                       repository_list_folders_async, list_folders_job);
}

static GPtrArray *
repository_list_folders_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  GPtrArray *folders;
  char separator;

  g_return_val_if_fail (g_task_is_valid (result, repo), NULL);
  separator = (char) GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  folders = g_task_propagate_pointer (G_TASK (result), error);
  if (folders != NULL && separator)
    _mailsync_repository_set_separator (repo, separator);
  return folders;
}

void
_mailsync_imap_repository_list_class_init (MailsyncRepositoryClass *repo_class)
{
  repo_class->list_folders_async = repository_list_folders_async;
  repo_class->list_folders_finish = repository_list_folders_finish;
}
