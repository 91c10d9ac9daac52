/* The version of the libmailsync library loaded at run time, which can be
 * newer than the headers a program was built with (mailsync-version.h). */
#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib.h>
#include "mailsync-version-macros.h"

G_BEGIN_DECLS

MAILSYNC_AVAILABLE_IN_ALL
guint        mailsync_get_major_version (void);
MAILSYNC_AVAILABLE_IN_ALL
guint        mailsync_get_minor_version (void);
MAILSYNC_AVAILABLE_IN_ALL
guint        mailsync_get_micro_version (void);
MAILSYNC_AVAILABLE_IN_ALL
const char  *mailsync_check_version     (guint required_major,
                                         guint required_minor,
                                         guint required_micro);

G_END_DECLS
