#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include "../../mailsync-repository.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_MAPPED_REPOSITORY:
 *
 * The #GType of #MailsyncMappedRepository, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_MAPPED_REPOSITORY (mailsync_mapped_repository_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncMappedRepository, mailsync_mapped_repository, MAILSYNC, MAPPED_REPOSITORY, MailsyncRepository)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepository *mailsync_mapped_repository_new (MailsyncRepository *inner,
                                                    const char         *map_directory);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepository *mailsync_mapped_repository_get_inner (MailsyncMappedRepository *self);

G_END_DECLS
