/* Visibility: the library is built with -fvisibility=hidden; only symbols
 * marked here are exported (tests/check-exports.sh guards the list). */
#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib.h>

#define MAILSYNC_AVAILABLE_IN_ALL __attribute__((visibility ("default"))) extern
