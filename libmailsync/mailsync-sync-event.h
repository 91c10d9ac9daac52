#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib-object.h>
#include "mailsync-version-macros.h"
#include "mailsync-enums.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_SYNC_EVENT:
 *
 * The #GType of #MailsyncSyncEvent, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_SYNC_EVENT (mailsync_sync_event_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncSyncEvent, mailsync_sync_event, MAILSYNC, SYNC_EVENT, GObject)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncSyncEventKind mailsync_sync_event_get_kind       (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_account    (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_folder     (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_repository (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncDirection     mailsync_sync_event_get_direction  (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint32               mailsync_sync_event_get_uid        (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint                 mailsync_sync_event_get_n          (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint                 mailsync_sync_event_get_total      (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_flags      (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const GError         *mailsync_sync_event_get_error      (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_text       (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_source_repository (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_source_type      (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_destination_type (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const guint32        *mailsync_sync_event_get_uids       (MailsyncSyncEvent *self,
                                                          guint             *n_uids);
MAILSYNC_AVAILABLE_IN_ALL
guint32               mailsync_sync_event_get_saved_uidvalidity (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint32               mailsync_sync_event_get_uidvalidity (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
gint64                mailsync_sync_event_get_source_uid (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_source_folder (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_sync_event_get_destination_folder (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint64               mailsync_sync_event_get_bytes      (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint                 mailsync_sync_event_get_folder_messages_done   (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint                 mailsync_sync_event_get_folder_messages_total  (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint64               mailsync_sync_event_get_folder_bytes_done      (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint64               mailsync_sync_event_get_folder_bytes_total     (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint                 mailsync_sync_event_get_account_messages_done  (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint                 mailsync_sync_event_get_account_messages_total (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint64               mailsync_sync_event_get_account_bytes_done     (MailsyncSyncEvent *self);
MAILSYNC_AVAILABLE_IN_ALL
guint64               mailsync_sync_event_get_account_bytes_total    (MailsyncSyncEvent *self);

G_END_DECLS
