#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib-object.h>
#include "mailsync-version-macros.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_ERROR:
 *
 * Error domain for libmailsync's own errors. Errors in this domain are from
 * the #MailsyncError enumeration.
 *
 * Since: 0.1
 */
#define MAILSYNC_ERROR (mailsync_error_quark ())
MAILSYNC_AVAILABLE_IN_ALL
GQuark mailsync_error_quark (void);

/**
 * MailsyncError:
 * @MAILSYNC_ERROR_FAILED: generic failure
 * @MAILSYNC_ERROR_NOT_SUPPORTED: the backend cannot do this
 * @MAILSYNC_ERROR_INVALID_CONFIG: a configuration value is wrong
 * @MAILSYNC_ERROR_READ_ONLY: the repository or folder is read-only
 * @MAILSYNC_ERROR_FOLDER_NOT_FOUND: no such folder
 * @MAILSYNC_ERROR_MESSAGE_NOT_FOUND: no such message (it vanished)
 * @MAILSYNC_ERROR_UIDVALIDITY_CHANGED: the folder's UIDVALIDITY changed; it was skipped
 * @MAILSYNC_ERROR_INTERACTION_REQUIRED: a password or decision is needed
 * @MAILSYNC_ERROR_CONFLICT: a name translation is not one-to-one
 * @MAILSYNC_ERROR_MASS_DELETE: the sync would delete more than allowed in one run
 * @MAILSYNC_ERROR_UNSAFE_NAME: a folder name could reach outside its store, or
 *   the store cannot hold it (it fails that folder only)
 * @MAILSYNC_ERROR_LOCKED: another process syncs this account
 * @MAILSYNC_ERROR_PARTIAL: some folders failed; the others were synced
 * @MAILSYNC_ERROR_AUTHENTICATION_FAILED: the server refused the password
 *   or token (one failed login; ask the user for another, see
 *   #MailsyncInteraction)
 * @MAILSYNC_ERROR_SKIPPED: one message cannot be copied as it is (an empty,
 *   unreadable or non-regular local file, a symbolic link, a message above
 *   the server's APPENDLIMIT); it was skipped and the rest of its folder
 *   synced. Its scope is %MAILSYNC_ERROR_SCOPE_MESSAGE, and a run that
 *   skipped anything is not a clean run
 *
 * Error codes for %MAILSYNC_ERROR.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_ERROR_FAILED,
  MAILSYNC_ERROR_NOT_SUPPORTED,
  MAILSYNC_ERROR_INVALID_CONFIG,
  MAILSYNC_ERROR_READ_ONLY,
  MAILSYNC_ERROR_FOLDER_NOT_FOUND,
  MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
  MAILSYNC_ERROR_UIDVALIDITY_CHANGED,
  MAILSYNC_ERROR_INTERACTION_REQUIRED,
  MAILSYNC_ERROR_CONFLICT,
  MAILSYNC_ERROR_MASS_DELETE,
  MAILSYNC_ERROR_UNSAFE_NAME,
  MAILSYNC_ERROR_LOCKED,
  MAILSYNC_ERROR_PARTIAL,
  MAILSYNC_ERROR_AUTHENTICATION_FAILED,
  MAILSYNC_ERROR_SKIPPED,
} MailsyncError;

/**
 * MAILSYNC_TYPE_ERROR:
 *
 * The #GType of #MailsyncError, for #GValue and property specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_ERROR (mailsync_error_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_error_get_type (void) G_GNUC_CONST;

/**
 * MAILSYNC_STATUS_ERROR:
 *
 * Error domain for status stores (#MailsyncStatusError).
 *
 * Since: 0.1
 */
#define MAILSYNC_STATUS_ERROR (mailsync_status_error_quark ())
MAILSYNC_AVAILABLE_IN_ALL
GQuark mailsync_status_error_quark (void);

/**
 * MailsyncStatusError:
 * @MAILSYNC_STATUS_ERROR_FAILED: generic failure
 * @MAILSYNC_STATUS_ERROR_CORRUPT: the status file is torn, truncated or garbage
 * @MAILSYNC_STATUS_ERROR_VERSION_MISMATCH: the status file is of an unknown (future) version
 * @MAILSYNC_STATUS_ERROR_LOCKED: the status database is locked by another process
 *
 * Error codes for %MAILSYNC_STATUS_ERROR. The message always names the file.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_STATUS_ERROR_FAILED,
  MAILSYNC_STATUS_ERROR_CORRUPT,
  MAILSYNC_STATUS_ERROR_VERSION_MISMATCH,
  MAILSYNC_STATUS_ERROR_LOCKED,
} MailsyncStatusError;

/**
 * MAILSYNC_TYPE_STATUS_ERROR:
 *
 * The #GType of #MailsyncStatusError, for #GValue and property specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_STATUS_ERROR (mailsync_status_error_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_status_error_get_type (void) G_GNUC_CONST;

/**
 * MailsyncErrorScope:
 * @MAILSYNC_ERROR_SCOPE_MESSAGE: skip the message, go on with the folder
 * @MAILSYNC_ERROR_SCOPE_FOLDER: skip the folder, go on with the account
 * @MAILSYNC_ERROR_SCOPE_REPOSITORY: stop the account (the repository is unusable)
 * @MAILSYNC_ERROR_SCOPE_ACCOUNT: stop the account and do not retry
 *
 * How much of a sync an error spoils (offlineimap's severities).
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_ERROR_SCOPE_MESSAGE,
  MAILSYNC_ERROR_SCOPE_FOLDER,
  MAILSYNC_ERROR_SCOPE_REPOSITORY,
  MAILSYNC_ERROR_SCOPE_ACCOUNT,
} MailsyncErrorScope;

/**
 * MAILSYNC_TYPE_ERROR_SCOPE:
 *
 * The #GType of #MailsyncErrorScope, for #GValue and property specifications.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_ERROR_SCOPE (mailsync_error_scope_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_error_scope_get_type (void) G_GNUC_CONST;

MAILSYNC_AVAILABLE_IN_ALL
MailsyncErrorScope mailsync_error_get_scope    (const GError *error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean           mailsync_error_is_transient (const GError *error);

G_END_DECLS
