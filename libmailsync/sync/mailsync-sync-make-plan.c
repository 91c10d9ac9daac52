/* A folder's plan made (split from mailsync-sync-runner.c): the inputs
 * of mailsync_sync_plan_compute() built from both listings and the status
 * rows, borrowing their strings, and copy_ignore_eval's UIDs left out. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

/* offlineimap's copy_ignore_eval on the remote repository: f(folder's
 * visible name) lists UIDs never copied from it. Only those the copy pass
 * would take (on the server, unknown to the status and the local side)
 * are left out of the plan, each announced as offlineimap's
 * "IGNORED: Copy message UID ..." (also in a dry run). */
gboolean
_mailsync_sync_load_copy_ignore (Runner *r, GError **error)
{
  MailsyncRepository *rrepo = mailsync_folder_get_repository (r->remote);
  g_autoptr(GArray) uids = NULL;

  g_clear_pointer (&r->copy_ignore, g_hash_table_unref);
  if (!_mailsync_repository_get_copy_ignore (rrepo, r->folder_label, &uids, error))
    return FALSE;
  if (uids == NULL)
    return TRUE;
  r->copy_ignore = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < uids->len; i++)
    {
      guint32 uid = g_array_index (uids, guint32, i);
      gpointer key = GUINT_TO_POINTER (uid);

      if (!_mailsync_sync_remote_has (r, uid) || _mailsync_status_table_contains (r->status_rows, uid) ||
          _mailsync_sync_local_has (r, uid) || !g_hash_table_add (r->copy_ignore, key))
        continue;
      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_MESSAGE_IGNORED, r->local, MAILSYNC_DIRECTION_TO_LOCAL, uid, 0, 0,
            NULL, NULL, NULL);
    }
  return TRUE;
}

/* The plan's inputs borrow their strings where they can (issue 13 item 2:
 * a changed folder's plan is built from every message of both sides and
 * every status row, and allocating a flags string and a keywords string
 * per message and side was most of its cost): one flags string for each
 * combination of the five system flags, and a static "" for a message
 * without keywords, the usual one. */
typedef struct
{
  char *names[32];     /* MailsyncFlags (5 bits) -> letters, made when first asked */
} PlanFlagNames;

static void
plan_flag_names_clear (PlanFlagNames *names)
{
  for (guint i = 0; i < G_N_ELEMENTS (names->names); i++)
    g_free (names->names[i]);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PlanFlagNames, plan_flag_names_clear)

static const char *
plan_flag_name (PlanFlagNames *names, MailsyncFlags flags)
{
  guint i = flags & (G_N_ELEMENTS (names->names) - 1);

  G_STATIC_ASSERT ((MAILSYNC_FLAG_DRAFT << 1) == 32);
  if (names->names[i] == NULL)
    names->names[i] = mailsync_flags_to_maildir (i);
  return names->names[i];
}

/* A listed message's keywords (_mailsync_sync_info_keywords): NULL when
 * the listing does not say, "" (static) for none. */
static const char *
plan_info_keywords (MailsyncMessageInfo *info, GPtrArray *strings)
{
  const char * const *keywords = mailsync_message_info_get_keywords (info);
  char *joined;

  if (keywords == NULL)
    return NULL;
  if (keywords[0] == NULL)
    return "";
  joined = g_strjoinv (" ", (char **) keywords);
  g_ptr_array_add (strings, joined);
  return joined;
}

/* A status row's keywords (_mailsync_sync_row_keywords): a row whose flags
 * column has no keyword letter (a-z) has none, unless they are kept in the
 * labels column (@in_labels). */
static const char *
plan_row_keywords (Runner *r, gboolean in_labels, const MailsyncStatusRecord *row, GPtrArray *strings)
{
  char *keywords;

  if (row == NULL)
    return "";
  if (!in_labels && !_mailsync_letters_have_keywords (row->flags))
    return "";
  keywords = _mailsync_sync_row_keywords (r, row);
  g_ptr_array_add (strings, keywords);
  return keywords;
}

/* A local message of a killed run's download, without its row and gone
 * from the server (mailsync-sync-state.c): planned with a row, as the
 * status would have it had the run not been killed. The row's flags are
 * the file's, which the plan does not read for a message the server lost
 * (a deletion, or that row written). */
static void
plan_unrecorded (Runner *r, const MailsyncPlanMessage *m, GArray *extra)
{
  MailsyncPlanStatus s = { m->uid, m->flags, m->keywords, TRUE };

  if (m->uid == 0 || _mailsync_status_table_contains (r->status_rows, m->uid) ||
      !_mailsync_sync_was_downloading (r, m->uid, m->key) || _mailsync_sync_remote_has (r, m->uid))
    return;
  g_array_append_val (extra, s);
}

/* With @with_rows, @remote_list and @local_list are the runner's and
 * their rows (mailsync-sync-rows.c) are planned with them. */
static GPtrArray *
plan_of (Runner *r, GPtrArray *remote_list, GPtrArray *local_list, MailsyncStatusTable *status_rows,
         gboolean with_rows, gboolean obey_read_only_folders)
{
  GArray *remote_rows = with_rows ? r->remote_unchanged : NULL;
  GArray *local_rows = with_rows ? r->local_rows : NULL;
  guint n_remote = remote_list->len + (remote_rows != NULL ? remote_rows->len : 0);
  guint n_local = local_list->len + (local_rows != NULL ? local_rows->len : 0);
  guint n_status = _mailsync_status_table_size (status_rows);
  g_autofree MailsyncPlanMessage *remote = g_new (MailsyncPlanMessage, MAX (n_remote, 1));
  g_autofree MailsyncPlanMessage *local = g_new (MailsyncPlanMessage, MAX (n_local, 1));
  g_autofree MailsyncPlanStatus *status = g_new (MailsyncPlanStatus, MAX (n_status, 1));
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_auto(PlanFlagNames) names = { { NULL } };
  MailsyncRepository *rrepo = mailsync_folder_get_repository (r->remote);
  MailsyncRepository *lrepo = mailsync_folder_get_repository (r->local);
  MailsyncPlanPolicy policy = {
    .remote_readonly = mailsync_repository_get_readonly (rrepo) ||
                       (obey_read_only_folders && mailsync_folder_is_read_only (r->remote)),
    .local_readonly = mailsync_repository_get_readonly (lrepo) ||
                      (obey_read_only_folders && mailsync_folder_is_read_only (r->local)),
    .remote_sync_deletes = mailsync_repository_get_sync_deletes (rrepo),
    .local_sync_deletes = mailsync_repository_get_sync_deletes (lrepo),
    .remote_can_store = _mailsync_sync_remote_can_store,
    .remote_can_store_data = r,
  };
  /* once, not per message (two type checks each) */
  gboolean with_keywords = _mailsync_sync_keywords_on (r);
  gboolean in_labels = with_keywords && _mailsync_keywords_in_labels (r->local);
  const MailsyncStatusRecord *record;
  guint nr = 0, nl = 0, ns = 0, at = 0;
  gboolean unrecorded = with_rows && _mailsync_sync_unrecorded_applies (r);
  g_autoptr(GArray) extra = unrecorded ? g_array_new (FALSE, FALSE, sizeof (MailsyncPlanStatus)) : NULL;

  for (guint i = 0; i < remote_list->len; i++)
    {
      MailsyncMessageInfo *info = remote_list->pdata[i];
      guint32 uid = mailsync_message_info_get_uid (info);
      MailsyncFlags flags = mailsync_message_info_get_flags (info);
      MailsyncPlanMessage m;

      /* A remote message flagged \Deleted that neither the status nor the
       * local side knows is a deletion waiting for an expunge (ours, left
       * by expunge = no, or another client's), not new mail: copying it
       * would bring back what was deleted. doc/design.md. */
      if ((flags & MAILSYNC_FLAG_DELETED) &&
          !_mailsync_status_table_contains (r->status_rows, uid) &&
          !_mailsync_sync_local_has (r, uid))
        continue;
      /* copy_ignore_eval: never copied, and as it stays out of the status
       * it is never taken for a deletion either. */
      if (r->copy_ignore != NULL && g_hash_table_contains (r->copy_ignore, GUINT_TO_POINTER (uid)))
        continue;
      if (_mailsync_sync_dry_found (r, uid, NULL))
        continue;
      m = (MailsyncPlanMessage) { uid, NULL, plan_flag_name (&names, flags), NULL };
      if (with_keywords)
        {
          m.keywords = plan_info_keywords (info, strings);
          if (m.keywords == NULL)
            {
              /* unchanged since the status: its keywords */
              const MailsyncStatusRecord *row = _mailsync_status_table_lookup (r->status_rows, uid);
              m.keywords = plan_row_keywords (r, in_labels, row, strings);
            }
        }
      remote[nr++] = m;
    }
  /* The rows of the unchanged messages (_mailsync_folder_list_changes_only):
   * each as its info would be, listed without keywords (the status's). */
  for (guint i = 0; remote_rows != NULL && i < remote_rows->len; i++)
    {
      const _MailsyncFolderListed *row = &g_array_index (remote_rows, _MailsyncFolderListed, i);
      const MailsyncStatusRecord *row_record = _mailsync_status_table_lookup (r->status_rows, row->uid);
      MailsyncPlanMessage m;

      /* the same two checks as above */
      if ((row->flags & MAILSYNC_FLAG_DELETED) && row_record == NULL && !_mailsync_sync_local_has (r, row->uid))
        continue;
      if ((r->copy_ignore != NULL && g_hash_table_contains (r->copy_ignore, GUINT_TO_POINTER (row->uid))) ||
          _mailsync_sync_dry_found (r, row->uid, NULL))
        continue;
      m = (MailsyncPlanMessage) { row->uid, NULL, plan_flag_name (&names, row->flags), NULL };
      if (with_keywords)
        m.keywords = plan_row_keywords (r, in_labels, row_record, strings);
      remote[nr++] = m;
    }
  for (guint i = 0; i < local_list->len; i++)
    {
      MailsyncMessageInfo *info = local_list->pdata[i];
      MailsyncPlanMessage m = { mailsync_message_info_get_uid (info), mailsync_message_info_get_key (info),
                                plan_flag_name (&names, mailsync_message_info_get_flags (info)), NULL };

      /* new mail a killed run uploaded: its copy may still be stored
       * (mailsync-sync-pending.c), not uploaded again this run */
      if ((m.uid == 0 && _mailsync_sync_is_pending (r, m.key)) || _mailsync_sync_dry_found (r, 0, m.key))
        continue;
      if (with_keywords)
        m.keywords = plan_info_keywords (info, strings);
      if (unrecorded)
        plan_unrecorded (r, &m, extra);
      local[nl++] = m;
    }
  /* a local row: a file with a UID and no keyword letter, as its info */
  for (guint i = 0; local_rows != NULL && i < local_rows->len; i++)
    {
      const _MailsyncFolderListed *row = &g_array_index (local_rows, _MailsyncFolderListed, i);

      if (_mailsync_sync_dry_found (r, 0, row->key))
        continue;
      local[nl] = (MailsyncPlanMessage) { row->uid, row->key, plan_flag_name (&names, row->flags),
                                          with_keywords ? "" : NULL };
      if (unrecorded)
        plan_unrecorded (r, &local[nl], extra);
      nl++;
    }
  if (extra != NULL)
    {
      status = g_renew (MailsyncPlanStatus, status, MAX (n_status + extra->len, 1));
      for (guint i = 0; i < extra->len; i++)
        status[ns++] = g_array_index (extra, MailsyncPlanStatus, i);
    }
  if (with_rows)
    r->n_unrecorded = extra != NULL ? extra->len : 0;
  while (_mailsync_status_table_next (status_rows, &at, &record))
    {
      /* the status's system letters, as mailsync_sync_plan_normalize_flags() spells them */
      MailsyncPlanStatus s = { record->uid, plan_flag_name (&names, mailsync_flags_from_maildir (record->flags)),
                               NULL };

      if (with_keywords)
        s.keywords = plan_row_keywords (r, in_labels, record, strings);
      status[ns++] = s;
    }
  return mailsync_sync_plan_compute (remote, nr, local, nl, status, ns, &policy);
}

GPtrArray *
_mailsync_sync_make_plan (Runner *r, gboolean obey_read_only_folders)
{
  return plan_of (r, r->remote_list, r->local_list, r->status_rows, TRUE, obey_read_only_folders);
}

/* The plan of a few messages by the same rules (the read-only folders
 * obeyed): @remote of the remote's, @local of the local's (MailsyncMessageInfo),
 * with the status rows of @uids (those r->status_rows has): what the
 * sync does with late copies, or with held uploads, after the folder's
 * plan ran (mailsync-sync-pending.c). */
GPtrArray *
_mailsync_sync_make_plan_of (Runner *r, GPtrArray *remote, GPtrArray *local, GArray *uids)
{
  g_autoptr(MailsyncStatusTable) rows = _mailsync_status_table_new (uids != NULL ? uids->len : 0);

  for (guint i = 0; uids != NULL && i < uids->len; i++)
    {
      const MailsyncStatusRecord *row = _mailsync_status_table_lookup (r->status_rows,
                                                                      g_array_index (uids, guint32, i));

      if (row != NULL)
        _mailsync_status_table_put (rows, row->uid, row->flags, row->mtime, row->labels);
    }
  return plan_of (r, remote, local, rows, FALSE, TRUE);
}
