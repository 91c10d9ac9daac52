/* offlineimap's maxage, message set for message set (its accounts.py
 * cachemessagelists_upto_date and folder/Maildir.py): pure functions over
 * listings, which the runner applies around its listing calls. */
#pragma once

#include "mailsync-message-info.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 local_cutoff;  /* offlineimap's time.mktime(date): local files older are out */
  gint64 since;         /* a time on the day of the remote's SEARCH SINCE (UTC) */
} MailsyncMaxAge;

/* @days (maxage = N) or @ymd (maxage = YYYY-MM-DD as YYYYMMDD; wins when
 * not 0) at @now, in this process's time zone as offlineimap computes it.
 * FALSE when neither is set. */
gboolean   _mailsync_max_age_compute       (guint           days,
                                            guint           ymd,
                                            gint64          now,
                                            MailsyncMaxAge *out);

/* The lowest UID other than 0 in @list (MailsyncMessageInfo), or 0. */
guint32    _mailsync_max_age_min_uid       (GPtrArray      *list);

/* Takes @list; returns what has UID 0 (new local mail) or at least @min_uid. */
GPtrArray *_mailsync_max_age_from_uid      (GPtrArray      *list,
                                            guint32         min_uid);

/* Takes @list; returns the messages whose INTERNALDATE's day (UTC) is not
 * before @since's: SEARCH SINCE, for a remote that cannot search. */
GPtrArray *_mailsync_max_age_since_day     (GPtrArray      *list,
                                            gint64          since);

/* Takes @list, a remote's whole listing; returns what a server would list
 * (see the .c file): the messages of @since's day or later, and those
 * with a UID of at least @min_uid (not 0). */
GPtrArray *_mailsync_max_age_remote        (GPtrArray      *list,
                                            gint64          since,
                                            guint32         min_uid);

/* Takes @list (a Maildir listing, keys "cur/NAME"); returns the files
 * whose name's timestamp (its first digits) is not before @cutoff or that
 * have none, and those older with a UID above the lowest UID kept. */
GPtrArray *_mailsync_max_age_local_by_name (GPtrArray      *list,
                                            gint64          cutoff);

G_END_DECLS
