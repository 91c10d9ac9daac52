/* The passes that store a folder's plan on the other side without
 * copying a message: deletions, flags and keywords, each in a batch of
 * concurrent backend calls (split from mailsync-sync-ops.c, which has the
 * downloads and uploads; the order of the steps that makes a crash lose
 * nothing is in mailsync-sync-runner.c's first comment). */
#include "config.h"

#include "sync/mailsync-sync-ops-private.h"

static void
delete_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Op *op = user_data;
  GError *error = NULL;

  mailsync_folder_delete_messages_finish (MAILSYNC_FOLDER (source), result, &error);
  _mailsync_sync_op_done (op, error);
}

gboolean
_mailsync_sync_run_deletes (Runner *r, GPtrArray *todo, MailsyncFolder *folder, const char *step, GError **error)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func ((GDestroyNotify) _mailsync_sync_op_free);
  g_autofree char *flushed = g_strconcat (step, "-flushed", NULL);
  g_autofree char *committed = g_strconcat (step, "-committed", NULL);
  g_autofree char *seq = NULL;
  GString *list = g_string_new (NULL);
  Op *op;

  if (todo->len == 0)
    {
      g_string_free (list, TRUE);
      return TRUE;
    }
  for (guint i = 0; i < todo->len; i++)
    {
      MailsyncAction *action = todo->pdata[i];
      g_array_append_val (uids, action->uid);
      mailsync_status_batch_remove (batch, action->uid);
      g_string_append_printf (list, "%s%u", i ? ", " : "", action->uid);
    }
  seq = g_string_free (list, FALSE);

  op = g_new0 (Op, 1);
  op->runner = r;
  op->action = todo->pdata[0];
  g_ptr_array_add (ops, op);
  r->pending++;
  mailsync_folder_delete_messages_async (folder, (const guint32 *) uids->data, uids->len,
                                         r->config->cancellable, delete_done, op);
  _mailsync_sync_runner_wait (r);
  if (op->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&op->error));
      return FALSE;
    }
  if (!_mailsync_sync_flush_folder (r, folder, error))
    return FALSE;
  /* the EXPUNGE is answered and nothing more is for the server: the
   * connection is free for another folder while the rows go (lease_remote) */
  if (folder == r->remote && r->remote_last == REMOTE_LAST_DELETES)
    _mailsync_sync_release_remote_early (r);
  _mailsync_crash_point (flushed);
  if (!_mailsync_sync_commit (r, batch, error))
    return FALSE;
  _mailsync_crash_point (committed);
  _mailsync_sync_emit_full (r, MAILSYNC_SYNC_EVENT_MESSAGES_DELETED, folder,
             folder == r->local ? MAILSYNC_DIRECTION_TO_LOCAL : MAILSYNC_DIRECTION_TO_REMOTE,
             0, uids->len, uids->len, NULL, NULL, seq, (const guint32 *) uids->data, uids->len);
  return TRUE;
}

static void
flags_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Op *op = user_data;
  GError *error = NULL;

  mailsync_folder_set_flags_finish (MAILSYNC_FOLDER (source), result, &error);
  _mailsync_sync_op_done (op, error);
}

void
_mailsync_sync_emit_flag_counts (Runner *r, GPtrArray *todo, MailsyncFolder *folder)
{
  static const char letters[] = "DFRST";
  MailsyncDirection direction = folder == r->local ? MAILSYNC_DIRECTION_TO_LOCAL : MAILSYNC_DIRECTION_TO_REMOTE;

  for (const char *l = letters; *l; l++)
    {
      g_autoptr(GArray) added = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_autoptr(GArray) removed = g_array_new (FALSE, FALSE, sizeof (guint32));
      char flag[2] = { *l, '\0' };

      for (guint i = 0; i < todo->len; i++)
        {
          MailsyncAction *action = todo->pdata[i];
          if (strchr (action->add, *l) != NULL)
            g_array_append_val (added, action->uid);
          if (strchr (action->remove, *l) != NULL)
            g_array_append_val (removed, action->uid);
        }
      if (added->len)
        _mailsync_sync_emit_full (r, MAILSYNC_SYNC_EVENT_FLAGS_ADDED, folder, direction, 0, added->len, added->len, flag,
                   NULL, NULL, (const guint32 *) added->data, added->len);
      if (removed->len)
        _mailsync_sync_emit_full (r, MAILSYNC_SYNC_EVENT_FLAGS_REMOVED, folder, direction, 0, removed->len, removed->len,
                   flag, NULL, NULL, (const guint32 *) removed->data, removed->len);
    }
}

/* One set_flags call per distinct (add, remove) pair: the IMAP backend
 * turns each into UID STOREs over a UID set, and no message is in two
 * concurrent calls. */
gboolean
_mailsync_sync_run_flags (Runner *r, GPtrArray *todo, MailsyncFolder *folder, GError **error)
{
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_array_unref);
  g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func ((GDestroyNotify) _mailsync_sync_op_free);
  GHashTableIter iter;
  gpointer key, value;

  if (todo->len == 0)
    return TRUE;
  if (folder == r->remote)
    _mailsync_sync_note_remote_stores (r, todo, TRUE);
  for (guint i = 0; i < todo->len; i++)
    {
      MailsyncAction *action = todo->pdata[i];
      g_autofree char *group_key = g_strconcat (action->add, "|", action->remove, NULL);
      GArray *uids = NULL;

      if (*action->add == '\0' && *action->remove == '\0')
        continue; /* keywords only: run_keywords */
      uids = g_hash_table_lookup (groups, group_key);

      if (uids == NULL)
        {
          uids = g_array_new (FALSE, FALSE, sizeof (guint32));
          g_hash_table_insert (groups, g_steal_pointer (&group_key), uids);
        }
      g_array_append_val (uids, action->uid);
    }

  g_hash_table_iter_init (&iter, groups);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GArray *uids = value;
      g_auto(GStrv) parts = g_strsplit (key, "|", 2);
      Op *op = g_new0 (Op, 1);

      op->runner = r;
      op->action = todo->pdata[0];
      g_ptr_array_add (ops, op);
      r->pending++;
      mailsync_folder_set_flags_async (folder, (const guint32 *) uids->data, uids->len,
                                       mailsync_flags_from_maildir (parts[0]),
                                       mailsync_flags_from_maildir (parts[1]),
                                       r->config->cancellable, flags_done, op);
    }
  _mailsync_sync_runner_wait (r);
  if (!_mailsync_sync_batch_errors (r, ops, folder, error))
    return FALSE;
  if (!_mailsync_sync_flush_folder (r, folder, error))
    return FALSE;
  _mailsync_sync_emit_flag_counts (r, todo, folder);
  return TRUE;
}

/* Keyword changes (issue 10 item 3), one call per distinct (add, remove)
 * pair as for flags. A keyword the local side could not store (no letter
 * left) is named in a warning and left out of the status row
 * (@not_stored_by_uid: uid -> GStrv), so that the next run does not take
 * its absence for a removal and take it off the server. */
typedef struct
{
  Op op;             /* first: _mailsync_sync_batch_errors() reads it as an Op */
  GArray *uids;
  GStrv not_stored;
} KeywordOp;

static void
keyword_op_free (KeywordOp *kop)
{
  g_clear_error (&kop->op.error);
  g_array_unref (kop->uids);
  g_strfreev (kop->not_stored);
  g_free (kop);
}

static void
keywords_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  KeywordOp *kop = user_data;
  GError *error = NULL;

  _mailsync_keywords_set_finish (MAILSYNC_FOLDER (source), result, &kop->not_stored, &error);
  _mailsync_sync_op_done (&kop->op, error);
}

gboolean
_mailsync_sync_run_keywords (Runner *r, GPtrArray *todo, MailsyncFolder *folder, GHashTable *not_stored_by_uid, GError **error)
{
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_array_unref);
  g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func ((GDestroyNotify) keyword_op_free);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < todo->len; i++)
    {
      MailsyncAction *action = todo->pdata[i];
      g_autofree char *group_key = NULL;
      GArray *uids;

      if (action->add_keywords == NULL || (*action->add_keywords == '\0' && *action->remove_keywords == '\0'))
        continue;
      group_key = g_strconcat (action->add_keywords, "|", action->remove_keywords, NULL);
      uids = g_hash_table_lookup (groups, group_key);
      if (uids == NULL)
        {
          uids = g_array_new (FALSE, FALSE, sizeof (guint32));
          g_hash_table_insert (groups, g_steal_pointer (&group_key), uids);
        }
      g_array_append_val (uids, action->uid);
    }
  if (g_hash_table_size (groups) == 0)
    return TRUE;
  if (folder == r->remote)
    _mailsync_sync_note_remote_stores (r, todo, FALSE);
  else
    {
      /* the groups' stores run in parallel: the new keywords' letters
       * first, in UID order (_mailsync_keywords_reserve) */
      g_autoptr(GArray) uids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), todo->len);
      g_autoptr(GPtrArray) adds = g_ptr_array_sized_new (todo->len);

      for (guint i = 0; i < todo->len; i++)
        {
          MailsyncAction *action = todo->pdata[i];

          g_array_append_val (uids, action->uid);
          g_ptr_array_add (adds, action->add_keywords);
        }
      _mailsync_keywords_reserve (folder, r->folder_label, (const guint32 *) uids->data,
                                  (const char * const *) adds->pdata, uids->len);
    }

  g_hash_table_iter_init (&iter, groups);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto(GStrv) parts = g_strsplit (key, "|", 2);
      KeywordOp *kop = g_new0 (KeywordOp, 1);

      kop->op.runner = r;
      kop->op.action = todo->pdata[0];
      kop->uids = g_array_ref (value);
      g_ptr_array_add (ops, kop);
      r->pending++;
      _mailsync_keywords_set_async (folder, (const guint32 *) kop->uids->data, kop->uids->len, parts[0], parts[1],
                                    r->config->cancellable, keywords_done, kop);
    }
  _mailsync_sync_runner_wait (r);
  if (!_mailsync_sync_batch_errors (r, ops, folder, error))
    return FALSE;
  if (!_mailsync_sync_flush_folder (r, folder, error))
    return FALSE;
  for (guint i = 0; i < ops->len; i++)
    {
      KeywordOp *kop = ops->pdata[i];
      g_autofree char *names = NULL;
      g_autofree char *text = NULL;

      if (kop->not_stored == NULL || kop->not_stored[0] == NULL)
        continue;
      for (guint j = 0; j < kop->uids->len; j++)
        g_hash_table_insert (not_stored_by_uid, GUINT_TO_POINTER (g_array_index (kop->uids, guint32, j)),
                             g_strdupv (kop->not_stored));
      names = g_strjoinv (" ", kop->not_stored);
      text = g_strdup_printf ("Keywords not stored on %u messages in %s (no letter left in its "
                              "dovecot-keywords): %s", kop->uids->len, r->folder_label, names);
      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, folder, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, text);
    }
  return TRUE;
}
