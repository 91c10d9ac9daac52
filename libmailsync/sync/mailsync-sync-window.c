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
