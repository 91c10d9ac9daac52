#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib-object.h>
#include "mailsync-version-macros.h"
#include "mailsync-enums.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_MESSAGE_INFO:
 *
 * The #GType of #MailsyncMessageInfo, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_MESSAGE_INFO (mailsync_message_info_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncMessageInfo, mailsync_message_info, MAILSYNC, MESSAGE_INFO, GObject)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncMessageInfo *mailsync_message_info_new (guint32              uid,
                                                const char          *key,
                                                MailsyncFlags        flags,
                                                const char * const  *keywords,
                                                guint64              size,
                                                gint64               internal_date);
MAILSYNC_AVAILABLE_IN_ALL
guint32              mailsync_message_info_get_uid           (MailsyncMessageInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
const char          *mailsync_message_info_get_key           (MailsyncMessageInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncFlags        mailsync_message_info_get_flags         (MailsyncMessageInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
const char * const  *mailsync_message_info_get_keywords      (MailsyncMessageInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
guint64              mailsync_message_info_get_size          (MailsyncMessageInfo *self);
MAILSYNC_AVAILABLE_IN_ALL
gint64               mailsync_message_info_get_internal_date (MailsyncMessageInfo *self);

G_END_DECLS
