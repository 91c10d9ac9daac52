/* offlineimap's maxage (see mailsync-sync-window.h). The rules it follows,
 * from offlineimap 8.0:
 *
 * - the date: maxage = N is time.gmtime(now - N days); maxage = YYYY-MM-DD
 *   is midnight of that day; either is turned into a time with
 *   time.mktime(), which reads the fields as local time;
 * - the remote lists UID SEARCH SINCE the day of that time plus one day
 *   (in UTC), and, if that found anything, every message from the lowest
 *   UID found on; the local side then keeps new mail and the files whose
 *   U= is at least that UID;
 * - if the SEARCH found nothing, the local side keeps the files whose name
 *   starts with a time not before the date (plus older ones with a higher
 *   UID), and the remote lists from the lowest UID of those on.
 */
#include "config.h"

#include "sync/mailsync-sync-window.h"
#include "sync/mailsync-sync-private.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

gboolean
_mailsync_max_age_compute (guint           days,
                           guint           ymd,
                           gint64          now,
                           MailsyncMaxAge *out)
{
  struct tm tm = { 0 };
  time_t t;

  if (ymd != 0)
    {
      tm.tm_year = (int) (ymd / 10000) - 1900;
      tm.tm_mon = (int) (ymd / 100 % 100) - 1;
      tm.tm_mday = (int) (ymd % 100);
      tm.tm_isdst = -1;   /* time.strptime's struct says "unknown" */
    }
  else if (days != 0)
    {
      t = (time_t) (now - (gint64) days * 86400);
      /* time.gmtime() (tm_isdst 0), then read as local time by mktime() */
      if (gmtime_r (&t, &tm) == NULL)
        return FALSE;
    }
  else
    return FALSE;
  t = mktime (&tm);
  if (t == (time_t) -1)
    return FALSE;
  out->local_cutoff = (gint64) t;
  out->since = (gint64) t + 86400;
  return TRUE;
}

guint32
_mailsync_max_age_min_uid (GPtrArray *list)
{
  guint32 min = 0;

  for (guint i = 0; i < list->len; i++)
    {
      guint32 uid = mailsync_message_info_get_uid (list->pdata[i]);

      if (uid != 0 && (min == 0 || uid < min))
        min = uid;
    }
  return min;
}

static GPtrArray *
keep (GPtrArray *list, gboolean (*pred) (MailsyncMessageInfo *, gconstpointer), gconstpointer data)
{
  GPtrArray *kept = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < list->len; i++)
    if (pred (list->pdata[i], data))
      g_ptr_array_add (kept, g_object_ref (list->pdata[i]));
  g_ptr_array_unref (list);
  return kept;
}

static gboolean
from_uid (MailsyncMessageInfo *info, gconstpointer data)
{
  guint32 uid = mailsync_message_info_get_uid (info);

  return uid == 0 || uid >= *(const guint32 *) data;
}

GPtrArray *
_mailsync_max_age_from_uid (GPtrArray *list,
                            guint32    min_uid)
{
  return keep (list, from_uid, &min_uid);
}

static gint64
day_of (gint64 t)
{
  return t >= 0 ? t / 86400 : (t - 86399) / 86400;
}

static gboolean
since_day (MailsyncMessageInfo *info, gconstpointer data)
{
  return day_of (mailsync_message_info_get_internal_date (info)) >= day_of (*(const gint64 *) data);
}

GPtrArray *
_mailsync_max_age_since_day (GPtrArray *list,
                             gint64     since)
{
  return keep (list, since_day, &since);
}

typedef struct { gint64 since; guint32 min_uid; } RemoteWindow;

static gboolean
remote_within (MailsyncMessageInfo *info, gconstpointer data)
{
  const RemoteWindow *w = data;
  guint32 uid = mailsync_message_info_get_uid (info);

  return (w->min_uid != 0 && uid != 0 && uid >= w->min_uid) || since_day (info, &w->since);
}

GPtrArray *
_mailsync_max_age_remote (GPtrArray *list,
                          gint64     since,
                          guint32    min_uid)
{
  RemoteWindow w = { since, min_uid };

  return keep (list, remote_within, &w);
}

/* offlineimap's _iswithintime(): the first run of digits of the file name
 * is its time; a name without one is always in. */
static gboolean
name_within (MailsyncMessageInfo *info, gint64 cutoff)
{
  const char *key = mailsync_message_info_get_key (info);
  const char *name, *p;

  if (key == NULL)
    return TRUE;
  name = strrchr (key, '/');
  name = name != NULL ? name + 1 : key;
  for (p = name; *p != '\0' && !g_ascii_isdigit (*p); p++)
    ;
  if (*p == '\0')
    return TRUE;
  return g_ascii_strtoll (p, NULL, 10) >= cutoff;
}

GPtrArray *
_mailsync_max_age_local_by_name (GPtrArray *list,
                                 gint64     cutoff)
{
  g_autoptr(GPtrArray) excluded = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *kept = g_ptr_array_new_with_free_func (g_object_unref);
  guint32 min_uid;

  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (name_within (list->pdata[i], cutoff) ? kept : excluded, g_object_ref (list->pdata[i]));
  g_ptr_array_unref (list);
  /* An older file whose UID is above the lowest kept one is back in: the
   * remote lists from that UID on, and both sides must see the same set
   * (offlineimap's date_excludees). */
  min_uid = _mailsync_max_age_min_uid (kept);
  for (guint i = 0; min_uid != 0 && i < excluded->len; i++)
    if (mailsync_message_info_get_uid (excluded->pdata[i]) > min_uid)
      g_ptr_array_add (kept, g_object_ref (excluded->pdata[i]));
  return kept;
}

/* ---- the runner's window (moved here from mailsync-sync-runner.c, issue 14
 * item 1): maxsize, maxage and startdate applied to a folder's listings -- */

/* maxsize: messages outside the window are invisible to the sync, on
 * both sides, as in offlineimap (their status rows are pruned as "gone on
 * both sides" and come back if the window widens again). maxage is
 * apply_max_age's. offlineimap's two comparisons differ by one byte: an
 * IMAP folder (remote, or a local IMAP repository) lists SEARCH SMALLER
 * maxsize, so a message of exactly maxsize bytes is out; a Maildir skips
 * a file larger than maxsize, so one of exactly maxsize is in. The folder
 * says which rule is its (_mailsync_folder_size_search). */
GPtrArray *
_mailsync_sync_filter_window (Runner *r, MailsyncFolder *folder, GPtrArray *list)
{
  guint64 largest;
  GPtrArray *kept;

  if (r->config->max_size == 0)
    return list;
  largest = _mailsync_folder_size_search (folder) ? r->config->max_size - 1 : r->config->max_size;
  kept = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < list->len; i++)
    {
      MailsyncMessageInfo *info = list->pdata[i];
      if (mailsync_message_info_get_size (info) > largest)
        continue;
      g_ptr_array_add (kept, g_object_ref (info));
    }
  g_ptr_array_unref (list);
  return kept;
}

/* maxage: the message set offlineimap syncs (mailsync-sync-window.c).
 * A remote that searches on its server (the IMAP folder's "window-since"
 * and "window-min-uid") listed it already; any other is filtered here.
 * When the remote has nothing since the window's day, the local files
 * named from the date on choose the lowest UID, and the remote is listed
 * again from it. Outside the set, messages are invisible, as with
 * maxsize. */
gboolean
_mailsync_sync_apply_max_age (Runner *r, GError **error)
{
  gboolean searches = g_object_class_find_property (G_OBJECT_GET_CLASS (r->remote), "window-min-uid") != NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GPtrArray *again;
  guint32 min_uid;

  if (!r->max_age_set)
    return TRUE;
  /* A local IMAP repository (behind its UID map) has no file names to
   * judge and no offlineimap rule to follow (its docs: maxage does not
   * work IMAP-IMAP); the config refuses it, and so does the engine for a
   * client that sets it through the API, rather than pick nothing. */
  if (_mailsync_folder_no_max_age (r->local))
    {
      g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                           "maxage needs a Maildir local repository: offlineimap's window is not defined "
                           "for a local IMAP one (give it a startdate instead)");
      return FALSE;
    }
  if (searches)
    min_uid = _mailsync_max_age_min_uid (r->remote_list);
  else
    {
      g_autoptr(GPtrArray) since = _mailsync_max_age_remote (g_ptr_array_ref (r->remote_list), r->max_age.since, 0);

      min_uid = _mailsync_max_age_min_uid (since);
    }
  if (min_uid != 0)
    {
      if (!searches)
        r->remote_list = _mailsync_max_age_remote (r->remote_list, r->max_age.since, min_uid);
      r->local_list = _mailsync_max_age_from_uid (r->local_list, min_uid);
      return TRUE;
    }
  r->local_list = _mailsync_max_age_local_by_name (r->local_list, r->max_age.local_cutoff);
  min_uid = _mailsync_max_age_min_uid (r->local_list);
  if (!searches)
    {
      r->remote_list = _mailsync_max_age_remote (r->remote_list, r->max_age.since, min_uid);
      return TRUE;
    }
  if (min_uid == 0)
    return TRUE;
  g_object_set (r->remote, "window-min-uid", (guint) min_uid, NULL);
  mailsync_folder_list_messages_async (r->remote, r->config->cancellable, _mailsync_store_result, &result);
  again = mailsync_folder_list_messages_finish (r->remote, _mailsync_await (&result), error);
  g_object_set (r->remote, "window-min-uid", 0u, NULL);
  if (again == NULL)
    return FALSE;
  g_ptr_array_unref (r->remote_list);
  r->remote_list = _mailsync_sync_filter_window (r, r->remote, again);
  return TRUE;
}

/* The fast resync (doc/design.md): a remote folder that can list only what
 * changed since a saved state ("known-messages", "known-state", as the IMAP
 * folder has) gets the status and that state. Only under the plain policy:
 * there, once a run completes, every remote message is in the status under
 * the remote's flags, which is the folder's premise. maxage and maxsize,
 * read-only sides and one-way deletions keep remote messages out of the
 * status on purpose. */
/* offlineimap's startdate, on the remote repository ("start-date"). */
gint64
_mailsync_sync_start_date_of (Runner *r)
{
  MailsyncRepository *repo = mailsync_folder_get_repository (r->remote);
  gint64 date = 0;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (repo), "start-date") != NULL)
    g_object_get (repo, "start-date", &date, NULL);
  return date;
}

/* startdate (reference §5.10): the first sync needs the local folder
 * empty and takes the remote messages dated from the start date on; the
 * lowest of their UIDs is kept, and later syncs take every remote message
 * from that UID on (so a late-arriving older message is synced too).
 * Below it the remote is invisible: nothing there is copied or deleted. */
gboolean
_mailsync_sync_apply_start_date (Runner *r, GError **error)
{
  gint64 date = _mailsync_sync_start_date_of (r);
  const char *saved;
  guint32 min_uid = 0;
  GPtrArray *kept;

  if (date == 0)
    return TRUE;
  saved = g_hash_table_lookup (r->meta, META_START_UID);
  if (saved == NULL && _mailsync_status_table_size (r->status_rows) > 0)
    {
      /* A status without a start UID (offlineimap's StartUID file is
       * elsewhere): its lowest UID is where the earlier syncs began. */
      const MailsyncStatusRecord *row;
      guint at = 0;

      while (_mailsync_status_table_next (r->status_rows, &at, &row))
        if (min_uid == 0 || row->uid < min_uid)
          min_uid = row->uid;
    }
  else if (saved != NULL)
    min_uid = (guint32) g_ascii_strtoull (saved, NULL, 10);
  else
    {
      if (r->local_list->len > 0)
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                       "To use startdate on folder %s (repository %s), folder %s (repository %s) must be "
                       "empty at first sync",
                       mailsync_folder_get_name (r->remote),
                       mailsync_repository_get_name (mailsync_folder_get_repository (r->remote)),
                       mailsync_folder_get_name (r->local),
                       mailsync_repository_get_name (mailsync_folder_get_repository (r->local)));
          return FALSE;
        }
      guint32 max_uid = 0;

      for (guint i = 0; i < r->remote_list->len; i++)
        {
          MailsyncMessageInfo *info = r->remote_list->pdata[i];
          guint32 uid = mailsync_message_info_get_uid (info);

          max_uid = MAX (max_uid, uid);
          if (mailsync_message_info_get_internal_date (info) >= date && (min_uid == 0 || uid < min_uid))
            min_uid = uid;
        }
      /* Nothing that recent: start after everything there is (offlineimap
       * says 1, and its next sync then takes the whole folder). */
      if (min_uid == 0)
        min_uid = max_uid + 1;
    }
  if (saved == NULL)
    {
      g_hash_table_replace (r->meta, g_strdup (META_START_UID), g_strdup_printf ("%u", min_uid));
      g_hash_table_replace (r->meta, g_strdup (META_START_UID_NEW), g_strdup ("1"));
    }

  kept = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < r->remote_list->len; i++)
    {
      MailsyncMessageInfo *info = r->remote_list->pdata[i];

      /* The first sync also leaves out the older messages above the
       * start UID, as offlineimap's SINCE listing does. */
      if (mailsync_message_info_get_uid (info) < min_uid ||
          (saved == NULL && _mailsync_status_table_size (r->status_rows) == 0 &&
           mailsync_message_info_get_internal_date (info) < date))
        continue;
      g_ptr_array_add (kept, g_object_ref (info));
    }
  g_ptr_array_unref (r->remote_list);
  r->remote_list = kept;
  return TRUE;
}

/* startdate on the local side (reference §5.10, cachemessagelists_startdate
 * with the local folder as the partial one): an IMAP repository on the
 * local side (offlineimap's MappedIMAP, here the mapped repository around
 * an IMAP one, which carries "start-date"). A Maildir is refused by the
 * config: offlineimap's rule there uploads the older mail at the next sync. */
gint64
_mailsync_sync_local_start_date_of (Runner *r)
{
  return _mailsync_folder_get_start_date (r->local);
}

/* The local server's UID of a mapped listing's message (its key, "L<uid>";
 * offlineimap keeps the partial side's own UIDs, not the mapped ones). */
static guint32
local_server_uid (MailsyncMessageInfo *info)
{
  const char *key = mailsync_message_info_get_key (info);

  return key != NULL && key[0] == 'L' ? (guint32) g_ascii_strtoull (key + 1, NULL, 10) : 0;
}

/* As _mailsync_sync_apply_start_date with the sides swapped: the first
 * sync needs the remote folder empty and takes the local messages dated
 * from the start date on, keeping the lowest of their local-server UIDs;
 * later syncs take every local message from that UID on, the remote
 * whole. Below it the local side is invisible: never copied nor deleted. */
gboolean
_mailsync_sync_apply_local_start_date (Runner *r, GError **error)
{
  gint64 date = _mailsync_sync_local_start_date_of (r);
  const char *saved;
  guint32 min_uid = 0, max_uid = 0;
  gboolean first;
  GPtrArray *kept;

  if (date == 0)
    return TRUE;
  saved = g_hash_table_lookup (r->meta, META_LOCAL_START_UID);
  first = saved == NULL && _mailsync_status_table_size (r->status_rows) == 0;
  if (saved != NULL)
    min_uid = (guint32) g_ascii_strtoull (saved, NULL, 10);
  else if (!first)
    {
      /* A status without the start UID (offlineimap's StartUID file is
       * elsewhere): the synced local messages are where its syncs began. */
      for (guint i = 0; i < r->local_list->len; i++)
        {
          MailsyncMessageInfo *info = r->local_list->pdata[i];
          guint32 uid = local_server_uid (info);

          if (mailsync_message_info_get_uid (info) != 0 && uid != 0 && (min_uid == 0 || uid < min_uid))
            min_uid = uid;
        }
      if (min_uid == 0)
        min_uid = 1;
    }
  else
    {
      if (r->remote_list->len > 0)
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                       "To use startdate on folder %s (repository %s), folder %s (repository %s) must be "
                       "empty at first sync",
                       mailsync_folder_get_name (r->local),
                       mailsync_repository_get_name (mailsync_folder_get_repository (r->local)),
                       mailsync_folder_get_name (r->remote),
                       mailsync_repository_get_name (mailsync_folder_get_repository (r->remote)));
          return FALSE;
        }
      for (guint i = 0; i < r->local_list->len; i++)
        {
          MailsyncMessageInfo *info = r->local_list->pdata[i];
          guint32 uid = local_server_uid (info);

          max_uid = MAX (max_uid, uid);
          if (uid != 0 && mailsync_message_info_get_internal_date (info) >= date && (min_uid == 0 || uid < min_uid))
            min_uid = uid;
        }
      /* as on the remote side: nothing that recent starts after it all */
      if (min_uid == 0)
        min_uid = max_uid + 1;
    }
  if (saved == NULL)
    {
      g_hash_table_replace (r->meta, g_strdup (META_LOCAL_START_UID), g_strdup_printf ("%u", min_uid));
      g_hash_table_replace (r->meta, g_strdup (META_LOCAL_START_UID_NEW), g_strdup ("1"));
    }

  kept = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < r->local_list->len; i++)
    {
      MailsyncMessageInfo *info = r->local_list->pdata[i];

      if (local_server_uid (info) < min_uid ||
          (first && mailsync_message_info_get_internal_date (info) < date))
        continue;
      g_ptr_array_add (kept, g_object_ref (info));
    }
  g_ptr_array_unref (r->local_list);
  r->local_list = kept;
  return TRUE;
}

/* maxage/maxsize: a folder that can filter on its server (the IMAP
 * folder's "window-since"/"window-max-size": UID SEARCH) lists only what
 * may be in the window; filter_window stays the exact rule. The runner
 * knows no backend, so it looks for the properties. */
void
_mailsync_sync_offer_window (Runner *r, MailsyncFolder *folder)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (folder);
  gint64 since = 0;

  if (g_object_class_find_property (klass, "window-since") == NULL ||
      g_object_class_find_property (klass, "window-max-size") == NULL)
    return;
  if (r->max_age_set)
    since = r->max_age.since;
  /* the largest size listed: offlineimap's SEARCH SMALLER maxsize leaves
   * out a message of exactly maxsize (filter_window's IMAP rule); for
   * maxsize 1 that is 0, "no limit" here, and filter_window drops all */
  g_object_set (folder, "window-since", since, "window-max-size",
                r->config->max_size > 0 ? r->config->max_size - 1 : 0, NULL);
}
