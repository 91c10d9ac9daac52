/* IMAP capabilities (RFC 3501 §7.2.1, RFC 9051 §7.2.2). Internal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  MAILSYNC_IMAP_CAP_IMAP4REV1        = 1 << 0,
  MAILSYNC_IMAP_CAP_IMAP4REV2        = 1 << 1,
  MAILSYNC_IMAP_CAP_LITERAL_PLUS     = 1 << 2,   /* RFC 7888 */
  MAILSYNC_IMAP_CAP_LITERAL_MINUS    = 1 << 3,   /* RFC 7888 */
  MAILSYNC_IMAP_CAP_UIDPLUS          = 1 << 4,   /* RFC 4315 */
  MAILSYNC_IMAP_CAP_CONDSTORE        = 1 << 5,   /* RFC 7162 */
  MAILSYNC_IMAP_CAP_QRESYNC          = 1 << 6,   /* RFC 7162 */
  MAILSYNC_IMAP_CAP_COMPRESS_DEFLATE = 1 << 7,   /* RFC 4978 */
  MAILSYNC_IMAP_CAP_IDLE             = 1 << 8,   /* RFC 2177 */
  MAILSYNC_IMAP_CAP_NAMESPACE        = 1 << 9,   /* RFC 2342 */
  MAILSYNC_IMAP_CAP_ID               = 1 << 10,  /* RFC 2971 */
  MAILSYNC_IMAP_CAP_ENABLE           = 1 << 11,  /* RFC 5161 */
  MAILSYNC_IMAP_CAP_MOVE             = 1 << 12,  /* RFC 6851 */
  MAILSYNC_IMAP_CAP_UTF8_ACCEPT      = 1 << 13,  /* RFC 6855 */
  MAILSYNC_IMAP_CAP_SASL_IR          = 1 << 14,  /* RFC 4959 */
  MAILSYNC_IMAP_CAP_STARTTLS         = 1 << 15,
  MAILSYNC_IMAP_CAP_LOGINDISABLED    = 1 << 16,
  MAILSYNC_IMAP_CAP_SPECIAL_USE      = 1 << 17,  /* RFC 6154 */
  MAILSYNC_IMAP_CAP_LIST_STATUS      = 1 << 18,  /* RFC 5819 */
  MAILSYNC_IMAP_CAP_ESEARCH          = 1 << 19,  /* RFC 4731 */
  MAILSYNC_IMAP_CAP_BINARY           = 1 << 20,  /* RFC 3516 */
  MAILSYNC_IMAP_CAP_X_GM_EXT_1       = 1 << 21,  /* Gmail */
  MAILSYNC_IMAP_CAP_LIST_EXTENDED    = 1 << 22,  /* RFC 5258 */
  MAILSYNC_IMAP_CAP_UTF8_ONLY        = 1 << 23,  /* RFC 6855 */
} MailsyncImapCapFlags;

typedef struct
{
  MailsyncImapCapFlags flags;
  char               **auth;     /* AUTH= mechanisms, upper-cased */
  char               **unknown;  /* everything else, as sent */
} MailsyncImapCapabilities;

/* Build from the atoms of "* CAPABILITY ..." or "[CAPABILITY ...]". Names
 * are case-insensitive (RFC 3501 §9: "atom" matching is case-insensitive). */
MailsyncImapCapabilities *mailsync_imap_capabilities_new  (const char *const *atoms);
void                      mailsync_imap_capabilities_free (MailsyncImapCapabilities *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapCapabilities, mailsync_imap_capabilities_free)

gboolean mailsync_imap_capabilities_has      (const MailsyncImapCapabilities *caps,
                                              MailsyncImapCapFlags            flags);
gboolean mailsync_imap_capabilities_has_auth (const MailsyncImapCapabilities *caps,
                                              const char                     *mechanism);
/* The flag for one capability name, or 0 if unknown. */
MailsyncImapCapFlags mailsync_imap_capability_from_name (const char *name);

G_END_DECLS
