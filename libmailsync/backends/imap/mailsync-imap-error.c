#include "config.h"

#include "mailsync-imap-error.h"
#include "mailsync-private.h"

static MailsyncErrorScope
imap_error_get_scope (const GError *error)
{
  switch ((MailsyncImapError) error->code)
    {
    case MAILSYNC_IMAP_ERROR_NO:
    case MAILSYNC_IMAP_ERROR_BAD:
      return MAILSYNC_ERROR_SCOPE_FOLDER;
    default:
      /* A broken or closed connection, failed login or missing
       * capability spoils every folder of the repository. */
      return MAILSYNC_ERROR_SCOPE_REPOSITORY;
    }
}

static gboolean
imap_error_is_throttled (const GError *error)
{
  return error->code == MAILSYNC_IMAP_ERROR_THROTTLED;
}

static const _MailsyncErrorDomainClass imap_error_class = {
  .get_scope = imap_error_get_scope,
  /* the backend backs off and tries again within a bounded budget */
  .is_transient = imap_error_is_throttled,
  .is_throttled = imap_error_is_throttled,
};

/**
 * mailsync_imap_error_quark:
 *
 * The error domain %MAILSYNC_IMAP_ERROR, whose codes are #MailsyncImapError.
 *
 * Returns: the quark of the domain
 *
 * Since: 0.1
 */
GQuark
mailsync_imap_error_quark (void)
{
  static gsize quark;

  if (g_once_init_enter (&quark))
    {
      GQuark domain = g_quark_from_static_string ("mailsync-imap-error-quark");

      /* before the first error of the domain can exist */
      _mailsync_error_register_domain (domain, &imap_error_class);
      g_once_init_leave (&quark, domain);
    }
  return (GQuark) quark;
}

G_DEFINE_ENUM_TYPE (MailsyncImapError, mailsync_imap_error,
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_PARSE, "parse"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_BAD, "bad"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_NO, "no"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_BYE, "bye"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED, "authentication-failed"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_MISSING_CAPABILITY, "missing-capability"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_PROTOCOL, "protocol"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_TOO_BIG, "too-big"),
  G_DEFINE_ENUM_VALUE (MAILSYNC_IMAP_ERROR_THROTTLED, "throttled"))
