/* The account's folder-level sync, moved here from mailsync-account.c
 * (issue 14 item 1): both repositories opened and listed, remove = local,
 * and offlineimap's sync_folder_structure (create on each side what only
 * the other has); then the folder pairs are synced by
 * mailsync-sync-pairs.c (the loop, with the move pre-pass before it).
 * mailsync-account.c keeps the object, its properties, the events and
 * the sync entry points; the folder names and their safety are in
 * mailsync-sync-folder-names.c. */
#include "config.h"

#include "mailsync-account-private.h"
#include "mailsync-error.h"
#include "sync/mailsync-sync-runner.h"
#include "sync/mailsync-sync-unchanged.h"
#include "sync/mailsync-keywords.h"
#include "mailsync-folder-engine-private.h"
#include "sync/mailsync-sync-folder-names.h"

#include <string.h>

/* remove = local: the runner's mass-delete threshold (MASS_DELETE_MIN) */
#define REMOVE_DELETE_MIN 10

static gboolean
create_and_report (MailsyncAccount    *self,
                   MailsyncRepository *repo,
                   GPtrArray          *folders,
                   const char         *name,
                   const char         *status_name,
                   GCancellable       *cancellable,
                   GError            **error)
{
  g_autoptr(MailsyncFolder) created = NULL;

  if (self->dry_run)
    {
      g_autofree char *text = g_strdup_printf ("[DRYRUN] Creating folder %s[%s]", name,
                                               mailsync_repository_get_name (repo));
      _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_DEBUG, name, mailsync_repository_get_name (repo), NULL, text);
      return TRUE;
    }
  created = _mailsync_account_repo_create (repo, name, cancellable, error);
  if (created == NULL)
    return FALSE;
  /* A folder new on one side starts from an empty status (offlineimap
   * purges it too): every message in it is new. */
  if (!mailsync_status_store_purge (self->status, status_name, cancellable, error))
    return FALSE;
  _mailsync_crash_point ("account-folder-created");
  g_ptr_array_add (folders, g_steal_pointer (&created));
  _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_FOLDER_CREATED, name, mailsync_repository_get_name (repo), NULL, NULL);
  _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_STATUS_CREATED, status_name,
                                 mailsync_repository_get_name (self->local), NULL, NULL);
  return TRUE;
}


/* Creates @name in @repo for @source, the other side's folder. A name
 * @repo cannot hold (a Maildir folder named new, cur or tmp; an IMAP name
 * that is not modified UTF-7 without utf8foldernames) fails that folder,
 * not the account: one error names it and every other folder syncs
 * (issue 12 item 2). offlineimap stops the account here (reference §5.9
 * step 4); doc/design.md says why mailsync differs. Other errors (the
 * server refused CREATE, the connection broke) stop the account. */
static gboolean
create_or_refuse (MailsyncAccount    *self,
                  MailsyncRepository *repo,
                  GPtrArray          *folders,
                  MailsyncFolder     *source,
                  const char         *name,
                  const char         *status_name,
                  GHashTable         *refused,
                  GCancellable       *cancellable,
                  GError            **error)
{
  g_autoptr(GError) refusal = NULL;

  if (create_and_report (self, repo, folders, name, status_name, cancellable, &refusal))
    return TRUE;
  if (!g_error_matches (refusal, MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME))
    {
      g_propagate_error (error, g_steal_pointer (&refusal));
      return FALSE;
    }
  _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_ERROR, mailsync_folder_get_name (source),
                                 mailsync_repository_get_name (repo), refusal, refusal->message);
  g_hash_table_add (refused, source);
  return TRUE;
}


/* offlineimap's sync_folder_structure (reference §5.9): create on each side
 * what only the other has; never propagate a folder deletion. */
typedef struct
{
  char *key;
  MailsyncFolder *folder;
} SortedFolder;

/* The system flag letters of a status row or message, sorted: what
 * "nothing unsynced" compares (keyword letters and labels aside). */
static char *
system_letters (const char *flags)
{
  GString *out = g_string_new (NULL);

  for (const char *c = "DFPRST"; *c != '\0'; c++)
    if (flags != NULL && strchr (flags, *c) != NULL)
      g_string_append_c (out, *c);
  return g_string_free (out, FALSE);
}

/* Whether the keywords of a local message equal those its status row
 * records (IMAP keywords: case-insensitive, in any order). The row keeps
 * them as the runner writes them: a Maildir's letters in the flags
 * column, an IMAP<->IMAP local folder's names in the labels column. */
static gboolean
same_keywords (MailsyncFolder             *lf,
               MailsyncMessageInfo        *info,
               const MailsyncStatusRecord *row)
{
  const char * const *have = mailsync_message_info_get_keywords (info);
  g_autofree char *joined = _mailsync_keywords_in_labels (lf) ? _mailsync_keywords_from_labels (row->labels)
                                                              : _mailsync_keywords_from_letters (lf, row->flags);
  g_auto(GStrv) had = g_strsplit (joined, " ", -1);
  guint n_have = 0, n_had = 0;

  for (guint i = 0; have != NULL && have[i] != NULL; i++)
    {
      gboolean found = FALSE;

      if (*have[i] == '\0')
        continue;
      n_have++;
      for (guint j = 0; !found && had[j] != NULL; j++)
        found = g_ascii_strcasecmp (have[i], had[j]) == 0;
      if (!found)
        return FALSE;
    }
  for (guint j = 0; had[j] != NULL; j++)
    if (*had[j] != '\0')
      n_had++;
  /* every keyword the file has is recorded; the same count (keyword
   * sets have no duplicates) means nothing recorded was removed */
  return n_have == n_had;
}

/* remove = local: whether @lf, whose remote folder is gone, holds only
 * what its status says was synced: no new message, and since the last
 * sync no system flag, keyword or (GmailMaildir) labels header changed,
 * so that deleting the folder loses nothing the server did not have. A
 * keyword the server could not store is not in the status either: its
 * folder is kept, which errs on the side of the user's data. The UIDs
 * checked go into @checked_uids. */
static gboolean
only_synced (MailsyncAccount *self,
             MailsyncFolder  *lf,
             const char      *status_name,
             GArray          *checked_uids,
             GCancellable    *cancellable,
             GError         **error)
{
  g_autoptr(GPtrArray) messages = mailsync_folder_list_messages (lf, cancellable, error);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GHashTable) rows = g_hash_table_new (NULL, NULL);

  if (messages == NULL ||
      !mailsync_status_store_load (self->status, status_name, &records, &meta, cancellable, error))
    return FALSE;
  for (guint i = 0; i < records->len; i++)
    {
      MailsyncStatusRecord *row = records->pdata[i];

      g_hash_table_insert (rows, GUINT_TO_POINTER (row->uid), row);
    }
  for (guint i = 0; i < messages->len; i++)
    {
      MailsyncMessageInfo *info = messages->pdata[i];
      guint32 uid = mailsync_message_info_get_uid (info);
      MailsyncStatusRecord *row = g_hash_table_lookup (rows, GUINT_TO_POINTER (uid));
      g_autofree char *flags = NULL;
      g_autofree char *have = NULL;
      g_autofree char *had = NULL;

      if (uid == 0 || row == NULL)
        return FALSE;
      flags = mailsync_flags_to_maildir (mailsync_message_info_get_flags (info));
      have = system_letters (flags);
      had = system_letters (row->flags);
      if (strcmp (have, had) != 0)
        return FALSE;
      if (_mailsync_keywords_supported (lf) && !same_keywords (lf, info, row))
        return FALSE;
      /* the label pass's rule (GmailMaildirFolder.quickchanged): a file
       * written since its row's mtime may carry a changed labels header.
       * Only the GmailMaildir label pass writes a row's mtime, and a
       * Maildir listing's date is its file's mtime. */
      if (row->mtime != 0 && mailsync_message_info_get_internal_date (info) > row->mtime)
        return FALSE;
      g_array_append_val (checked_uids, uid);
    }
  return TRUE;
}

/* remove = local (mbsync's Remove Near, issue 11 item 7), the account's
 * remove-deleted-folders: a local folder
 * whose remote folder was deleted is deleted too, with its status, instead
 * of being created on the server again. Only when the remote listing was
 * complete (@remote_complete: nothing refused, no listing problem), the
 * folder had a status (it was synced: not a new local folder), holds
 * nothing unsynced, and the messages deleted stay within the delete ratio
 * of the account's synced messages (a server that lost its folders looks
 * like this). A folder held back is skipped this run, neither deleted nor
 * created, with a warning saying why. @local_folders loses the removed
 * and held-back folders, @refused gains the held-back ones. */
static gboolean
remove_deleted_folders (MailsyncAccount *self,
                        GPtrArray       *remote_folders,
                        GPtrArray       *local_folders,
                        GHashTable      *refused,
                        gboolean         remote_complete,
                        GCancellable    *cancellable,
                        GError         **error)
{
  char rsep = mailsync_repository_get_separator (self->remote);
  char lsep = mailsync_repository_get_separator (self->local);
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  g_autoptr(GPtrArray) gone_status = g_ptr_array_new_with_free_func (g_free);
  /* per gone folder: the UIDs only_synced() checked (GArray of guint32),
   * or NULL when it found something unsynced */
  g_autoptr(GPtrArray) gone_uids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  guint n_delete = 0, n_known = 0, n_with_status = 0;
  const char *why = NULL;

  if (!mailsync_account_get_remove_deleted_folders (self) || mailsync_repository_get_readonly (self->local))
    return TRUE;
  for (guint i = 0; i < local_folders->len; i++)
    {
      MailsyncFolder *lf = local_folders->pdata[i];
      g_autofree char *lvisible = mailsync_folder_get_visible_name (lf);
      g_autofree char *rname = _mailsync_names_change_separator (lvisible, lsep, rsep);
      g_autofree char *sname = _mailsync_names_change_separator (rname, rsep, '.');
      g_autofree char *path = mailsync_status_store_get_path (self->status, sname);
      g_autoptr(GPtrArray) records = NULL;
      g_autoptr(GHashTable) meta = NULL;

      if (g_hash_table_contains (refused, lf) || path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS) ||
          !mailsync_repository_includes_folder (self->local, mailsync_folder_get_name (lf)))
        continue;
      n_with_status++;
      if (!mailsync_status_store_load (self->status, sname, &records, &meta, cancellable, error))
        return FALSE;
      n_known += records->len;
      /* still on the server, or left out of its listing on purpose */
      if (_mailsync_names_has_visible (self->remote, remote_folders, rname) || _mailsync_names_find_folder (remote_folders, rname) != NULL ||
          !mailsync_repository_includes_folder (self->remote, rname) || _mailsync_names_is_hidden (self->remote, rname))
        continue;
      g_ptr_array_add (gone, lf);
      g_ptr_array_add (gone_status, g_steal_pointer (&sname));
    }
  if (gone->len == 0)
    return TRUE;

  if (!remote_complete)
    why = "the server's folder list was not complete in this run";
  else if (gone->len == n_with_status && self->max_delete_ratio < 1.0)
    why = "the server lists none of the synced folders (a broken server looks like this)";
  for (guint i = 0; why == NULL && i < gone->len; i++)
    {
      g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));

      if (!only_synced (self, gone->pdata[i], gone_status->pdata[i], uids, cancellable, error))
        {
          if (error != NULL && *error != NULL)
            return FALSE;
          g_ptr_array_add (gone_uids, NULL);  /* held back alone, below */
          continue;
        }
      n_delete += uids->len;
      g_ptr_array_add (gone_uids, g_steal_pointer (&uids));
    }
  /* the runner's mass-delete rule, over the account's synced messages */
  if (why == NULL && self->max_delete_ratio < 1.0 && n_delete >= REMOVE_DELETE_MIN &&
      n_delete > self->max_delete_ratio * n_known)
    why = "it would delete more messages than the delete ratio allows";

  for (guint i = 0; i < gone->len; i++)
    {
      MailsyncFolder *lf = gone->pdata[i];
      const char *name = mailsync_folder_get_name (lf);
      const char *reason = why;
      GArray *uids = why == NULL ? gone_uids->pdata[i] : NULL;
      g_autoptr(GError) delete_error = NULL;

      if (reason == NULL && uids == NULL)
        reason = "it has local changes the server never got";
      if (reason != NULL)
        {
          g_autofree char *text = g_strdup_printf ("Folder %s[%s] was deleted on the server, but is kept (remove = "
                                                   "local): %s; it is not synced in this run", name,
                                                   mailsync_repository_get_name (self->local), reason);

          _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_WARNING, name,
                                         mailsync_repository_get_name (self->local), NULL, text);
          g_hash_table_add (refused, lf);
          continue;
        }
      if (self->dry_run)
        {
          g_autofree char *text = g_strdup_printf ("[DRYRUN] Deleting folder %s[%s] (deleted on the server)", name,
                                                   mailsync_repository_get_name (self->local));

          _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_DEBUG, name,
                                         mailsync_repository_get_name (self->local), NULL, text);
          g_hash_table_add (refused, lf);
          continue;
        }
      /* The messages first (the Maildir deletes only an empty folder),
       * made durable, then the folder, then its status: a crash in
       * between leaves a folder the next run finds gone again. Only the
       * messages only_synced() checked: one that arrived since (a mail
       * program's delivery, a move by the user) is never deleted; the
       * folder is then not empty and stays, with a warning. */
      if ((uids->len > 0 && !mailsync_folder_delete_messages (lf, (const guint32 *) uids->data, uids->len,
                                                               cancellable, &delete_error)) ||
          !mailsync_folder_flush (lf, cancellable, &delete_error) ||
          !mailsync_repository_delete_folder (self->local, name, cancellable, &delete_error))
        {
          g_autofree char *text = NULL;

          if (g_error_matches (delete_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&delete_error));
              return FALSE;
            }
          text = g_strdup_printf ("Folder %s[%s] was deleted on the server, but is kept (remove = local): "
                                  "%s; it is not synced in this run", name,
                                  mailsync_repository_get_name (self->local), delete_error->message);
          _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_WARNING, name,
                                         mailsync_repository_get_name (self->local), NULL, text);
          g_hash_table_add (refused, lf);
          continue;
        }
      if (!mailsync_status_store_purge (self->status, gone_status->pdata[i], cancellable, error))
        return FALSE;
      {
        /* and the unchanged-skip record beside the status */
        g_autofree char *record = _mailsync_unchanged_path (self->status, gone_status->pdata[i]);

        _mailsync_unchanged_forget (record);
      }
      {
        g_autofree char *text = g_strdup_printf ("Deleting folder %s[%s]: deleted on the server (remove = local), "
                                                 "%u message(s)", name, mailsync_repository_get_name (self->local),
                                                 uids->len);

        _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_WARNING, name,
                                       mailsync_repository_get_name (self->local), NULL, text);
      }
      g_ptr_array_remove (local_folders, lf);
    }
  return TRUE;
}

static gint
compare_sorted_folders (gconstpointer a, gconstpointer b)
{
  const SortedFolder *x = a, *y = b;
  gint c = strcmp (x->key, y->key);

  return c != 0 ? c : strcmp (mailsync_folder_get_name (x->folder), mailsync_folder_get_name (y->folder));
}

static void
sorted_folder_clear (gpointer data)
{
  g_free (((SortedFolder *) data)->key);
}

/* offlineimap creates folders in the order its IMAP repository lists them:
 * sorted by lower-cased visible name (nametrans applied once here, not per
 * comparison). The local side is sorted the same way, where offlineimap's
 * directory order is arbitrary. */
static GArray *
sorted_folders (GPtrArray *folders, guint n)
{
  GArray *sorted = g_array_sized_new (FALSE, FALSE, sizeof (SortedFolder), n);

  g_array_set_clear_func (sorted, sorted_folder_clear);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *visible = mailsync_folder_get_visible_name (folders->pdata[i]);
      SortedFolder f = { g_utf8_validate (visible, -1, NULL) ? g_utf8_strdown (visible, -1)
                                                            : g_ascii_strdown (visible, -1), folders->pdata[i] };

      g_array_append_val (sorted, f);
    }
  g_array_sort (sorted, compare_sorted_folders);
  return sorted;
}

static gboolean
sync_folder_structure (MailsyncAccount *self,
                       GPtrArray       *remote_folders,
                       GPtrArray       *local_folders,
                       GHashTable      *refused,
                       GCancellable    *cancellable,
                       GError         **error)
{
  char rsep = mailsync_repository_get_separator (self->remote);
  char lsep = mailsync_repository_get_separator (self->local);
  guint n_remote = remote_folders->len, n_local = local_folders->len;
  g_autoptr(GArray) remote_sorted = sorted_folders (remote_folders, n_remote);
  g_autoptr(GArray) local_sorted = sorted_folders (local_folders, n_local);
  gboolean remote_refused = FALSE;

  for (guint i = 0; i < n_remote; i++)
    remote_refused |= g_hash_table_contains (refused, remote_folders->pdata[i]);

  if (!mailsync_repository_get_readonly (self->local) && mailsync_repository_get_create_folders (self->local))
    for (guint i = 0; i < n_remote; i++)
      {
        MailsyncFolder *rf = g_array_index (remote_sorted, SortedFolder, i).folder;
        g_autofree char *lname = NULL;
        g_autofree char *sname = NULL;
        g_autoptr(GError) refusal = NULL;

        if (g_hash_table_contains (refused, rf))
          continue;
        lname = _mailsync_names_local_name_for (self, rf);
        sname = _mailsync_names_status_name_for (self, rf);
        if (!mailsync_repository_includes_folder (self->remote, mailsync_folder_get_name (rf)) ||
            _mailsync_names_find_folder (local_folders, lname) != NULL || !_mailsync_names_name_is_safe (lname) ||
            _mailsync_names_is_hidden (self->local, lname))
          continue;
        /* The local filter and translation decide about the new name too. */
        if (!mailsync_repository_check_folder (self->local, lname, &refusal))
          {
            _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_ERROR, mailsync_folder_get_name (rf),
                                           mailsync_repository_get_name (self->local), refusal, refusal->message);
            g_hash_table_add (refused, rf);
            continue;
          }
        if (!create_or_refuse (self, self->local, local_folders, rf, lname, sname, refused, cancellable, error))
          return FALSE;
      }

  /* A remote folder whose name could not be translated may be the very
   * one a local folder stands for: creating "its" remote folder would
   * make a second, wrongly named one. */
  if (remote_refused && !mailsync_repository_get_readonly (self->remote) &&
      mailsync_repository_get_create_folders (self->remote))
    {
      g_autofree char *text = g_strdup_printf ("Not creating folders in repository %s in this run: some of its "
                                               "folder names could not be translated",
                                               mailsync_repository_get_name (self->remote));
      _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_WARNING, NULL, mailsync_repository_get_name (self->remote), NULL, text);
    }
  else if (!mailsync_repository_get_readonly (self->remote) && mailsync_repository_get_create_folders (self->remote))
    for (guint i = 0; i < n_local; i++)
      {
        MailsyncFolder *lf = g_array_index (local_sorted, SortedFolder, i).folder;
        g_autofree char *lvisible = NULL;
        g_autofree char *rname = NULL;
        g_autofree char *back = NULL;
        g_autofree char *back_local = NULL;
        g_autofree char *sname = NULL;
        g_autoptr(GError) refusal = NULL;

        if (g_hash_table_contains (refused, lf))
          continue;
        lvisible = mailsync_folder_get_visible_name (lf);
        rname = _mailsync_names_change_separator (lvisible, lsep, rsep);
        /* decodefoldernames: the server gets the modified UTF-7 name,
         * whose visible name is the local one again */
        if (_mailsync_sync_decodes_names (self->remote))
          {
            char *wire = _mailsync_repository_encode_folder_name (self->remote, rname);

            if (wire != NULL)
              {
                g_free (rname);
                rname = wire;
              }
          }
        sname = _mailsync_names_change_separator (rname, rsep, '.');
        if (!mailsync_repository_includes_folder (self->local, mailsync_folder_get_name (lf)) ||
            _mailsync_names_has_visible (self->remote, remote_folders, rname) || _mailsync_names_find_folder (remote_folders, rname) ||
            !mailsync_repository_includes_folder (self->remote, rname) || !_mailsync_names_name_is_safe (rname) ||
            _mailsync_names_is_hidden (self->remote, rname))
          continue;
        /* The new remote folder must map back onto this local folder, or
         * the next run would create yet another one; a translation that
         * cannot say fails this folder. */
        if (!mailsync_repository_check_folder (self->remote, rname, &refusal))
          {
            _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_ERROR, mailsync_folder_get_name (lf),
                                           mailsync_repository_get_name (self->remote), refusal, refusal->message);
            g_hash_table_add (refused, lf);
            continue;
          }
        back = mailsync_repository_translate_name (self->remote, rname);
        back_local = _mailsync_names_change_separator (back, rsep, lsep);
        if (strcmp (back_local, mailsync_folder_get_name (lf)) != 0)
          {
            g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_CONFLICT,
                         "INFINITE FOLDER CREATION DETECTED! Folder '%s' (repository '%s') would be created "
                         "as folder '%s' (repository '%s'). The latter becomes '%s' in return, leading to "
                         "infinite folder creation cycles. SOLUTION: 1) Do set your nametrans rules on both "
                         "repositories so they lead to identical names if applied back and forth. 2) Use "
                         "folderfilter settings on a repository to prevent some folders from being created "
                         "on the other side.",
                         mailsync_folder_get_name (lf), mailsync_repository_get_name (self->local), rname,
                         mailsync_repository_get_name (self->remote), back_local);
            return FALSE;
          }
        g_free (sname);
        sname = _mailsync_names_change_separator (back, rsep, '.');
        if (!create_or_refuse (self, self->remote, remote_folders, lf, rname, sname, refused, cancellable, error))
          return FALSE;
      }
  return TRUE;
}


/* A folder whose filter or name translation could not decide (the user's
 * expression raised) fails, and nothing is named after it in this run. */
static void
check_folders (MailsyncAccount    *self,
               MailsyncRepository *repo,
               GPtrArray          *folders,
               GHashTable         *refused)
{
  for (guint i = 0; i < folders->len; i++)
    {
      const char *name = mailsync_folder_get_name (folders->pdata[i]);
      g_autoptr(GError) refusal = NULL;

      if (mailsync_repository_check_folder (repo, name, &refusal))
        continue;
      _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_ERROR, name, mailsync_repository_get_name (repo),
                                     refusal, refusal->message);
      g_hash_table_add (refused, folders->pdata[i]);
    }
}

/* What a listing skipped (an invalid folderinclude) is an error of the
 * run, shown through the UI, while the other folders sync (offlineimap). */
static guint
report_listing_problems (MailsyncAccount    *self,
                         MailsyncRepository *repo)
{
  g_autoptr(GPtrArray) problems = _mailsync_repository_take_listing_problems (repo);

  for (guint i = 0; problems != NULL && i < problems->len; i++)
    {
      const GError *problem = problems->pdata[i];

      _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_ERROR, NULL, mailsync_repository_get_name (repo),
                                     problem, problem->message);
    }
  return problems != NULL ? problems->len : 0;
}

static void
forget_listing_problems (MailsyncRepository *repo)
{
  GPtrArray *problems = _mailsync_repository_take_listing_problems (repo);

  if (problems != NULL)
    g_ptr_array_unref (problems);
}

gboolean
_mailsync_account_sync_folders (MailsyncAccount *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) remote_folders = NULL;
  g_autoptr(GPtrArray) local_folders = NULL;
  g_autoptr(GHashTable) refused = g_hash_table_new (NULL, NULL);
  g_autoptr(GArray) atimes = NULL;
  guint remote_problems;
  gboolean ok, remote_complete;

  _mailsync_account_emit_connecting (self, self->remote);
  if (!_mailsync_account_repo_open (self->remote, &self->remote_opened, &self->remote_began, cancellable, error))
    return FALSE;
  _mailsync_account_emit_connecting (self, self->local);
  if (!_mailsync_account_repo_open (self->local, &self->local_opened, &self->local_began, cancellable, error))
    return FALSE;
  /* Problems of listings this sync did not make (a client's own call, a
   * sync that stopped before reporting) are not this sync's. */
  forget_listing_problems (self->remote);
  forget_listing_problems (self->local);
  remote_folders = _mailsync_account_repo_list (self->remote, cancellable, error);
  if (remote_folders == NULL)
    return FALSE;
  local_folders = _mailsync_account_repo_list (self->local, cancellable, error);
  if (local_folders == NULL)
    return FALSE;
  remote_problems = report_listing_problems (self, self->remote);
  report_listing_problems (self, self->local);
  check_folders (self, self->remote, remote_folders, refused);
  remote_complete = g_hash_table_size (refused) == 0 && remote_problems == 0;
  check_folders (self, self->local, local_folders, refused);
  if (!remove_deleted_folders (self, remote_folders, local_folders, refused, remote_complete, cancellable, error))
    return FALSE;
  if (!sync_folder_structure (self, remote_folders, local_folders, refused, cancellable, error))
    return FALSE;
  /* After the creations, where offlineimap reports it. */
  _mailsync_account_emit_pair (self, MAILSYNC_SYNC_EVENT_SYNC_FOLDERS, NULL, NULL, NULL);
  /* restoreatime: the folders created just now included */
  atimes = _mailsync_sync_save_atimes (self->local, local_folders);
  ok = _mailsync_account_sync_pairs (self, remote_folders, local_folders, refused, cancellable, error);
  _mailsync_sync_restore_atimes (atimes);
  return ok;
}
