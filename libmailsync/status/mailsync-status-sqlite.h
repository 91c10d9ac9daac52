#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include "../mailsync-status-store.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_STATUS_SQLITE:
 *
 * The #GType of #MailsyncStatusSqlite, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_STATUS_SQLITE (mailsync_status_sqlite_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncStatusSqlite, mailsync_status_sqlite, MAILSYNC, STATUS_SQLITE, GObject)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncStatusStore *mailsync_status_sqlite_new (const char *directory);

G_END_DECLS
