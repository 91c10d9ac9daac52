/* A changed folder's listings as rows, not objects (issue 13 items 2 and
 * 4; doc/design.md "A changed folder's listings as rows").
 *
 * A MailsyncMessageInfo costs ~3,000 instructions to make and free
 * whatever it holds (GObject's own steps), and a changed folder's sync
 * listed one per message on each side. Most of a changed folder is not
 * changed: the remote's fast listing (CHANGEDSINCE from the status's
 * saved state) reports the few messages that changed, every other one
 * is listed as the status knows it; a Maildir's files with a UID are
 * read by their names alone. The folders give those as rows
 * (_MailsyncFolderListed: UID, flags, key) when the engine asks
 * (_mailsync_folder_list_changes_only), and the engine plans, indexes
 * and records from the rows. Whatever asks for one message's info gets
 * one made from its row, equal to what the folder would have listed;
 * the code that walks a whole listing (upload intents, a rebuild, a late
 * copy's recheck, windows, labels, uploads by key) makes them all first,
 * in the listing's order. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

/* ---- the remote side: the unchanged messages of a fast listing ----------
 *
 * An info made from a remote row is what the IMAP folder listed for an
 * unchanged message: the UID and the known flags, no keywords (the
 * status's), no size or date. The rows are in ascending UIDs and none of
 * them is in remote_list: one made into an info moves there. */

static gint
remote_row_index (Runner *r, guint32 uid)
{
  guint lo = 0, hi = r->remote_unchanged != NULL ? r->remote_unchanged->len : 0;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      guint32 at = g_array_index (r->remote_unchanged, _MailsyncFolderListed, mid).uid;

      if (at == uid)
        return (gint) mid;
      if (at < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}

guint
_mailsync_sync_remote_count (Runner *r)
{
  return (r->remote_list != NULL ? r->remote_list->len : 0) +
         (r->remote_unchanged != NULL ? r->remote_unchanged->len : 0);
}

gboolean
_mailsync_sync_remote_has (Runner *r, guint32 uid)
{
  return (r->remote_by_uid != NULL && g_hash_table_contains (r->remote_by_uid, GUINT_TO_POINTER (uid))) ||
         remote_row_index (r, uid) >= 0;
}

static MailsyncMessageInfo *
remote_info_of_row (const _MailsyncFolderListed *row)
{
  return mailsync_message_info_new (row->uid, NULL, row->flags, NULL, 0, 0);
}

MailsyncMessageInfo *
_mailsync_sync_remote_info (Runner *r, guint32 uid)
{
  MailsyncMessageInfo *info = r->remote_by_uid != NULL ? g_hash_table_lookup (r->remote_by_uid, GUINT_TO_POINTER (uid))
                                                       : NULL;
  gint i;

  if (info != NULL || (i = remote_row_index (r, uid)) < 0)
    return info;
  info = remote_info_of_row (&g_array_index (r->remote_unchanged, _MailsyncFolderListed, i));
  g_array_remove_index (r->remote_unchanged, i);
  g_ptr_array_add (r->remote_list, info);
  g_hash_table_insert (r->remote_by_uid, GUINT_TO_POINTER (uid), info);
  return info;
}

static gint
compare_info_uid (gconstpointer a, gconstpointer b)
{
  guint32 x = mailsync_message_info_get_uid (*(MailsyncMessageInfo * const *) a);
  guint32 y = mailsync_message_info_get_uid (*(MailsyncMessageInfo * const *) b);

  return x < y ? -1 : x > y;
}

void
_mailsync_sync_remote_materialise (Runner *r)
{
  if (r->remote_unchanged == NULL)
    return;
  for (guint i = 0; i < r->remote_unchanged->len; i++)
    {
      MailsyncMessageInfo *info = remote_info_of_row (&g_array_index (r->remote_unchanged, _MailsyncFolderListed, i));

      g_ptr_array_add (r->remote_list, info);
      if (r->remote_by_uid != NULL)
        g_hash_table_insert (r->remote_by_uid, GUINT_TO_POINTER (mailsync_message_info_get_uid (info)), info);
    }
  g_clear_pointer (&r->remote_unchanged, g_array_unref);
  /* the folder's order (its listing is sorted by UID) */
  g_ptr_array_sort (r->remote_list, compare_info_uid);
}

/* ---- the local side: a Maildir's files read by name ---------------------
 *
 * An info made from a local row is what the Maildir listing made for the
 * file: _mailsync_message_info_new_file() with the folder's directory,
 * no keywords. The rows are in listing order, each with its place among
 * all the listed messages (pos); their UIDs are distinct and none is an
 * info's (a UID two files claim has both files stat()ed, so listed as
 * infos). An info made for one row goes into local_by_uid and
 * local_made; the row stays (local_list keeps the listing's order until
 * every row is made). */

static const char *const no_keywords[] = { NULL };

guint
_mailsync_sync_local_count (Runner *r)
{
  return (r->local_list != NULL ? r->local_list->len : 0) + (r->local_rows != NULL ? r->local_rows->len : 0);
}

static const _MailsyncFolderListed *
local_row (Runner *r, guint32 uid)
{
  gpointer at;

  if (r->local_rows == NULL || r->local_rows->len == 0 || uid == 0)
    return NULL;
  if (r->local_row_index == NULL)
    {
      r->local_row_index = g_hash_table_new (NULL, NULL);
      for (guint i = 0; i < r->local_rows->len; i++)
        g_hash_table_insert (r->local_row_index,
                             GUINT_TO_POINTER (g_array_index (r->local_rows, _MailsyncFolderListed, i).uid),
                             GUINT_TO_POINTER (i + 1));
    }
  at = g_hash_table_lookup (r->local_row_index, GUINT_TO_POINTER (uid));
  return at != NULL ? &g_array_index (r->local_rows, _MailsyncFolderListed, GPOINTER_TO_UINT (at) - 1) : NULL;
}

gboolean
_mailsync_sync_local_has (Runner *r, guint32 uid)
{
  return (r->local_by_uid != NULL && g_hash_table_contains (r->local_by_uid, GUINT_TO_POINTER (uid))) ||
         local_row (r, uid) != NULL;
}

/* Whether any listed local message has a UID */
gboolean
_mailsync_sync_local_has_uids (Runner *r)
{
  return (r->local_by_uid != NULL && g_hash_table_size (r->local_by_uid) > 0) ||
         (r->local_rows != NULL && r->local_rows->len > 0);
}

static MailsyncMessageInfo *
local_info_of_row (Runner *r, const _MailsyncFolderListed *row)
{
  if (r->local_dir == NULL)
    r->local_dir = g_ref_string_new (_mailsync_folder_get_directory (r->local));
  return _mailsync_message_info_new_file (row->uid, row->key, row->flags, no_keywords, r->local_dir,
                                          row->size_known, row->size);
}

MailsyncMessageInfo *
_mailsync_sync_local_info (Runner *r, guint32 uid)
{
  MailsyncMessageInfo *info = r->local_by_uid != NULL ? g_hash_table_lookup (r->local_by_uid, GUINT_TO_POINTER (uid))
                                                      : NULL;
  const _MailsyncFolderListed *row;

  if (info != NULL || (row = local_row (r, uid)) == NULL)
    return info;
  info = local_info_of_row (r, row);
  if (r->local_made == NULL)
    r->local_made = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (r->local_made, info);
  g_hash_table_insert (r->local_by_uid, GUINT_TO_POINTER (uid), info);
  return info;
}

/* The rows' keys for _mailsync_sync_local_row_by_key(): key -> index + 1 */
static void
index_row_keys (Runner *r)
{
  r->local_row_by_key = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < r->local_rows->len; i++)
    {
      const _MailsyncFolderListed *row = &g_array_index (r->local_rows, _MailsyncFolderListed, i);

      if (row->key != NULL)
        g_hash_table_insert (r->local_row_by_key, row->key, GUINT_TO_POINTER (i + 1));
    }
}

/* The info of the row listed under @key (made if need be), or NULL. The
 * keys are indexed on the first question. */
MailsyncMessageInfo *
_mailsync_sync_local_row_by_key (Runner *r, const char *key)
{
  gpointer at;

  if (r->local_rows == NULL || r->local_rows->len == 0)
    return NULL;
  if (r->local_row_by_key == NULL)
    index_row_keys (r);
  at = g_hash_table_lookup (r->local_row_by_key, key);
  if (at == NULL)
    return NULL;
  return _mailsync_sync_local_info (r, g_array_index (r->local_rows, _MailsyncFolderListed,
                                                      GPOINTER_TO_UINT (at) - 1).uid);
}

void
_mailsync_sync_local_materialise (Runner *r)
{
  guint n = _mailsync_sync_local_count (r), next = 0, at = 0;
  GPtrArray *all;

  if (r->local_rows == NULL)
    return;
  all = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      const _MailsyncFolderListed *row = at < r->local_rows->len
                                         ? &g_array_index (r->local_rows, _MailsyncFolderListed, at) : NULL;
      MailsyncMessageInfo *info;

      if (row == NULL || row->pos != i)
        {
          g_ptr_array_add (all, g_object_ref (r->local_list->pdata[next++]));
          continue;
        }
      at++;
      info = r->local_by_uid != NULL ? g_hash_table_lookup (r->local_by_uid, GUINT_TO_POINTER (row->uid)) : NULL;
      if (info != NULL)
        {
          g_ptr_array_add (all, g_object_ref (info));
          continue;
        }
      info = local_info_of_row (r, row);
      g_ptr_array_add (all, info);
      if (r->local_by_uid != NULL)
        g_hash_table_insert (r->local_by_uid, GUINT_TO_POINTER (row->uid), info);
    }
  g_ptr_array_unref (r->local_list);
  r->local_list = all;
  /* the key index points into the rows: made again from the infos */
  g_clear_pointer (&r->local_by_key, g_hash_table_unref);
  g_clear_pointer (&r->local_row_by_key, g_hash_table_unref);
  g_clear_pointer (&r->local_rows, g_array_unref);
  g_clear_pointer (&r->local_row_index, g_hash_table_unref);
  g_clear_pointer (&r->local_made, g_ptr_array_unref);
}

void
_mailsync_sync_clear_rows (Runner *r)
{
  g_clear_pointer (&r->remote_unchanged, g_array_unref);
  g_clear_pointer (&r->local_rows, g_array_unref);
  g_clear_pointer (&r->local_row_index, g_hash_table_unref);
  g_clear_pointer (&r->local_row_by_key, g_hash_table_unref);
  g_clear_pointer (&r->local_made, g_ptr_array_unref);
  g_clear_pointer (&r->local_dir, g_ref_string_release);
}
