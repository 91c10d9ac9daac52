/* The IMAP backend's error domain: its own, so that the core names no
 * backend (the core learns what these errors spoil through
 * _mailsync_error_register_domain()). */
#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib-object.h>
#include "../../mailsync-version-macros.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_IMAP_ERROR:
 *
 * Error domain for the IMAP backend (#MailsyncImapError). Messages carry
 * the server's text.
 *
 * Since: 0.1
 */
#define MAILSYNC_IMAP_ERROR (mailsync_imap_error_quark ())
MAILSYNC_AVAILABLE_IN_ALL
GQuark mailsync_imap_error_quark (void);

/**
 * MailsyncImapError:
 * @MAILSYNC_IMAP_ERROR_FAILED: generic failure
 * @MAILSYNC_IMAP_ERROR_PARSE: malformed server data
 * @MAILSYNC_IMAP_ERROR_BAD: the server answered BAD
 * @MAILSYNC_IMAP_ERROR_NO: the server answered NO
 * @MAILSYNC_IMAP_ERROR_BYE: the server said BYE
 * @MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED: no login was possible: no
 *   mechanism is both configured and offered, or the server refused each
 *   mechanism itself (a refused password is
 *   %MAILSYNC_ERROR_AUTHENTICATION_FAILED)
 * @MAILSYNC_IMAP_ERROR_MISSING_CAPABILITY: the server lacks something required (STARTTLS...)
 * @MAILSYNC_IMAP_ERROR_PROTOCOL: a well-formed response out of place
 * @MAILSYNC_IMAP_ERROR_TOO_BIG: server data over a parser limit
 * @MAILSYNC_IMAP_ERROR_THROTTLED: the server limits this client for now
 *   (a NO or BYE with [THROTTLED], [UNAVAILABLE] or [LIMIT], "Too many
 *   simultaneous connections", a bandwidth cap); transient: the backend
 *   backs off and tries again within a bounded budget before it gives up
 *
 * Error codes for %MAILSYNC_IMAP_ERROR.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_IMAP_ERROR_FAILED,
  MAILSYNC_IMAP_ERROR_PARSE,
  MAILSYNC_IMAP_ERROR_BAD,
  MAILSYNC_IMAP_ERROR_NO,
  MAILSYNC_IMAP_ERROR_BYE,
  MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED,
  MAILSYNC_IMAP_ERROR_MISSING_CAPABILITY,
  MAILSYNC_IMAP_ERROR_PROTOCOL,
  MAILSYNC_IMAP_ERROR_TOO_BIG,
  MAILSYNC_IMAP_ERROR_THROTTLED,
} MailsyncImapError;

/**
 * MAILSYNC_TYPE_IMAP_ERROR:
 *
 * The #GType of #MailsyncImapError, for #GValue and property specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_IMAP_ERROR (mailsync_imap_error_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_imap_error_get_type (void) G_GNUC_CONST;

G_END_DECLS
