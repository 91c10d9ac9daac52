#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include "../mailsync-status-store.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_STATUS_PLAIN:
 *
 * The #GType of #MailsyncStatusPlain, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_STATUS_PLAIN (mailsync_status_plain_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncStatusPlain, mailsync_status_plain, MAILSYNC, STATUS_PLAIN, GObject)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncStatusStore *mailsync_status_plain_new (const char *directory);

G_END_DECLS
