/* The SQLite status store's check of a database's log and journal before
 * it is opened (mailsync-status-sqlite-logs.c). Private. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* FALSE with MAILSYNC_STATUS_ERROR_CORRUPT when @path's -wal or -journal
 * file holds a header SQLite would silently ignore (its commits would be
 * lost), with _FAILED when one cannot be read; TRUE when both are absent,
 * empty, zeroed or valid. */
gboolean _mailsync_status_sqlite_check_logs (const char  *path,
                                             GError     **error);

G_END_DECLS
