#include "config.h"

#include "mailsync-error.h"
#include "mailsync-private.h"

#include <gio/gio.h>

/* The backends' error domains (each backend registers its own when its
 * quark is made, so the core names none): what their errors spoil, and
 * whether they are worth a retry. Few and never removed. */
#define MAX_DOMAINS 8

typedef struct
{
  GQuark domain;
  const _MailsyncErrorDomainClass *klass;
} RegisteredDomain;

static RegisteredDomain domains[MAX_DOMAINS];
static gint n_domains;
G_LOCK_DEFINE_STATIC (domains);

void
_mailsync_error_register_domain (GQuark domain, const _MailsyncErrorDomainClass *klass)
{
  G_LOCK (domains);
  g_assert (n_domains < MAX_DOMAINS);
  domains[n_domains].domain = domain;
  domains[n_domains].klass = klass;
  /* readers do not lock: publish the entry before the count */
  g_atomic_int_set (&n_domains, n_domains + 1);
  G_UNLOCK (domains);
}

static const _MailsyncErrorDomainClass *
find_domain (GQuark domain)
{
  gint n = g_atomic_int_get (&n_domains);

  for (gint i = 0; i < n; i++)
    if (domains[i].domain == domain)
      return domains[i].klass;
  return NULL;
}

gboolean
_mailsync_error_is_throttled (const GError *error)
{
  const _MailsyncErrorDomainClass *klass = error != NULL ? find_domain (error->domain) : NULL;

  return klass != NULL && klass->is_throttled != NULL && klass->is_throttled (error);
}

/* A ceiling on the retries after a server's limit, in case a backend
 * reports one without waiting (the IMAP backend's reopen waits, and gives
 * up after 8 waits in a sync). */
#define MAX_THROTTLED_RETRIES 16

gboolean
_mailsync_error_retry_throttled (const GError *error, guint *throttled, GCancellable *cancellable)
{
  if (!_mailsync_error_is_throttled (error) || *throttled >= MAX_THROTTLED_RETRIES ||
      g_cancellable_is_cancelled (cancellable))
    return FALSE;
  (*throttled)++;
  return TRUE;
}

/**
 * mailsync_error_quark:
 *
 * The error domain %MAILSYNC_ERROR, whose codes are #MailsyncError.
 *
 * Returns: the quark of the domain
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (mailsync-error-quark, mailsync_error)
/**
 * mailsync_status_error_quark:
 *
 * The error domain %MAILSYNC_STATUS_ERROR, whose codes are #MailsyncStatusError.
 *
 * Returns: the quark of the domain
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (mailsync-status-error-quark, mailsync_status_error)

G_DEFINE_ENUM_TYPE (MailsyncError, mailsync_error,
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_NOT_SUPPORTED, "not-supported"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_INVALID_CONFIG, "invalid-config"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_READ_ONLY, "read-only"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_FOLDER_NOT_FOUND, "folder-not-found"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_MESSAGE_NOT_FOUND, "message-not-found"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_UIDVALIDITY_CHANGED, "uidvalidity-changed"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_INTERACTION_REQUIRED, "interaction-required"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_CONFLICT, "conflict"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_MASS_DELETE, "mass-delete"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_UNSAFE_NAME, "unsafe-name"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_LOCKED, "locked"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_PARTIAL, "partial"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_AUTHENTICATION_FAILED, "authentication-failed"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_SKIPPED, "skipped"))

G_DEFINE_ENUM_TYPE (MailsyncStatusError, mailsync_status_error,
  G_DEFINE_ENUM_VALUE (MAILSYNC_STATUS_ERROR_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_STATUS_ERROR_CORRUPT, "corrupt"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_STATUS_ERROR_VERSION_MISMATCH, "version-mismatch"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_STATUS_ERROR_LOCKED, "locked"))

G_DEFINE_ENUM_TYPE (MailsyncErrorScope, mailsync_error_scope,
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_SCOPE_MESSAGE, "message"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_SCOPE_FOLDER, "folder"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_SCOPE_REPOSITORY, "repository"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_ERROR_SCOPE_ACCOUNT, "account"))

/**
 * mailsync_error_get_scope:
 * @error: an error raised by a sync operation
 *
 * Says how much of the sync @error spoils, so that the engine (and a UI
 * choosing an exit code) knows whether to skip a message, skip a folder or
 * stop the account. Unknown errors are taken as folder-wide: skipping the
 * folder is the conservative choice that never deletes anything.
 *
 * Returns: the scope
 *
 * Since: 0.1
 */
MailsyncErrorScope
mailsync_error_get_scope (const GError *error)
{
  const _MailsyncErrorDomainClass *klass;

  g_return_val_if_fail (error != NULL, MAILSYNC_ERROR_SCOPE_ACCOUNT);

  if (error->domain == MAILSYNC_ERROR)
    {
      switch ((MailsyncError) error->code)
        {
        case MAILSYNC_ERROR_MESSAGE_NOT_FOUND:
        case MAILSYNC_ERROR_SKIPPED:
          return MAILSYNC_ERROR_SCOPE_MESSAGE;
        case MAILSYNC_ERROR_INVALID_CONFIG:
        case MAILSYNC_ERROR_CONFLICT:
        case MAILSYNC_ERROR_LOCKED:
          return MAILSYNC_ERROR_SCOPE_ACCOUNT;
        case MAILSYNC_ERROR_INTERACTION_REQUIRED:
        case MAILSYNC_ERROR_AUTHENTICATION_FAILED:
          return MAILSYNC_ERROR_SCOPE_REPOSITORY;
        default:
          return MAILSYNC_ERROR_SCOPE_FOLDER;
        }
    }
  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_CANCELLED:
          return MAILSYNC_ERROR_SCOPE_ACCOUNT;
        case G_IO_ERROR_NO_SPACE:
        case G_IO_ERROR_CONNECTION_CLOSED:
        case G_IO_ERROR_TIMED_OUT:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_CONNECTION_REFUSED:
        case G_IO_ERROR_NOT_CONNECTED:
          return MAILSYNC_ERROR_SCOPE_REPOSITORY;
        default:
          return MAILSYNC_ERROR_SCOPE_FOLDER;
        }
    }
  klass = find_domain (error->domain);
  if (klass != NULL && klass->get_scope != NULL)
    return klass->get_scope (error);
  if (error->domain == G_TLS_ERROR || error->domain == G_RESOLVER_ERROR)
    return MAILSYNC_ERROR_SCOPE_REPOSITORY;
  return MAILSYNC_ERROR_SCOPE_FOLDER;
}

static gboolean
backend_transient (const GError *error)
{
  const _MailsyncErrorDomainClass *klass = find_domain (error->domain);

  return klass != NULL && klass->is_transient != NULL && klass->is_transient (error);
}

/**
 * mailsync_error_is_transient:
 * @error: an error
 *
 * Whether retrying later may succeed (a dropped connection, a locked
 * database), as opposed to a permanent refusal.
 *
 * Returns: %TRUE for transient errors
 *
 * Since: 0.1
 */
gboolean
mailsync_error_is_transient (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  return g_error_matches (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_LOCKED) ||
         g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_LOCKED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
         /* a job queued behind the command whose failure closed the
          * connection: the same loss, seen later */
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
         backend_transient (error);
}
