#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <gio/gio.h>
#include "mailsync-version-macros.h"
#include "mailsync-repository.h"
#include "mailsync-status-store.h"
#include "mailsync-sync-event.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_ACCOUNT:
 *
 * The #GType of #MailsyncAccount, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_ACCOUNT (mailsync_account_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncAccount, mailsync_account, MAILSYNC, ACCOUNT, GObject)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncAccount     *mailsync_account_new (const char          *name,
                                           MailsyncRepository  *remote,
                                           MailsyncRepository  *local,
                                           MailsyncStatusStore *status);
MAILSYNC_AVAILABLE_IN_ALL
const char          *mailsync_account_get_name       (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepository  *mailsync_account_get_remote     (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepository  *mailsync_account_get_local      (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncStatusStore *mailsync_account_get_status     (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_account_get_dry_run    (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_account_set_dry_run    (MailsyncAccount *self,
                                                      gboolean         dry_run);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_account_get_quick      (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_account_set_quick      (MailsyncAccount *self,
                                                      gboolean         quick);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_account_get_plan_ahead (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_account_set_plan_ahead (MailsyncAccount *self,
                                                      gboolean         plan_ahead);
MAILSYNC_AVAILABLE_IN_ALL
double               mailsync_account_get_max_delete_ratio (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_account_set_max_delete_ratio (MailsyncAccount *self,
                                                            double           ratio);
MAILSYNC_AVAILABLE_IN_ALL
guint                mailsync_account_get_max_in_flight (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_account_set_max_in_flight (MailsyncAccount *self,
                                                         guint            max_in_flight);

MAILSYNC_AVAILABLE_IN_ALL
guint                mailsync_account_get_max_age    (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_account_set_max_age    (MailsyncAccount *self,
                                                      guint            days);
MAILSYNC_AVAILABLE_IN_ALL
guint64              mailsync_account_get_max_size   (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_account_set_max_size   (MailsyncAccount *self,
                                                      guint64          bytes);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_account_get_remove_deleted_folders (MailsyncAccount *self);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_account_set_remove_deleted_folders (MailsyncAccount *self,
                                                                  gboolean         remove);

MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_account_sync           (MailsyncAccount      *self,
                                                      GCancellable         *cancellable,
                                                      GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_account_sync_async     (MailsyncAccount      *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean             mailsync_account_sync_finish    (MailsyncAccount      *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

G_END_DECLS
