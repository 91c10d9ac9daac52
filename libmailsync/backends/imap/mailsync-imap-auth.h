/* SASL mechanisms for IMAP AUTHENTICATE (RFC 3501 §6.2.2, RFC 4959
 * SASL-IR) and LOGIN. Pure code: it only builds and answers messages; the
 * connection sends them and keeps them out of every log. Internal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  MAILSYNC_IMAP_AUTH_NONE,
  MAILSYNC_IMAP_AUTH_GSSAPI,
  MAILSYNC_IMAP_AUTH_XOAUTH2,
  MAILSYNC_IMAP_AUTH_OAUTHBEARER,
  MAILSYNC_IMAP_AUTH_CRAM_MD5,
  MAILSYNC_IMAP_AUTH_PLAIN,
  MAILSYNC_IMAP_AUTH_LOGIN,
} MailsyncImapAuthMechanism;

/* offlineimap's default `auth_mechanisms` order. */
#define MAILSYNC_IMAP_DEFAULT_AUTH_MECHANISMS "GSSAPI, XOAUTH2, CRAM-MD5, PLAIN, LOGIN"

/* "PLAIN" -> MAILSYNC_IMAP_AUTH_PLAIN; unknown names give NONE. */
MailsyncImapAuthMechanism mailsync_imap_auth_mechanism_from_name (const char *name);
const char               *mailsync_imap_auth_mechanism_name (MailsyncImapAuthMechanism mechanism);

/* Parses offlineimap's comma-separated list; unknown names are an error
 * naming them. Returns a 0-terminated array of mechanisms. */
MailsyncImapAuthMechanism *mailsync_imap_auth_parse_list (const char  *list,
                                                          GError     **error);

typedef struct _MailsyncImapSasl MailsyncImapSasl;

/* @secret is the password, or the OAuth2 access token for XOAUTH2 and
 * OAUTHBEARER. @host and @port go into OAUTHBEARER's GS2 header. */
MailsyncImapSasl *mailsync_imap_sasl_new  (MailsyncImapAuthMechanism  mechanism,
                                           const char                *user,
                                           const char                *secret,
                                           const char                *host,
                                           guint16                    port);
void              mailsync_imap_sasl_free (MailsyncImapSasl *sasl);
void              mailsync_imap_sasl_set_authzid (MailsyncImapSasl *sasl,
                                                  const char       *authzid);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapSasl, mailsync_imap_sasl_free)

/* The base64 initial response for SASL-IR, or NULL if the mechanism must
 * wait for a first challenge (CRAM-MD5, LOGIN). "=" for an empty one. */
char     *mailsync_imap_sasl_initial_response (MailsyncImapSasl *sasl);

/* Answers a base64 server challenge with a base64 response. */
char     *mailsync_imap_sasl_step (MailsyncImapSasl  *sasl,
                                   const char        *challenge,
                                   GError           **error);

/* Overwrites a secret in memory before it is freed. */
void      mailsync_imap_secret_clear (char *secret);
/* Overwrites @len bytes at @mem, through a volatile pointer so that the
 * compiler cannot drop it as a store to memory about to be freed. */
void      mailsync_imap_secret_wipe  (void *mem, gsize len);
/* Wipes the @len bytes of the allocation @mem, then frees it. */
void      mailsync_imap_secret_free  (void *mem, gsize len);
/* A GBytes holding a copy of @data that is wiped when its last reference
 * goes, whoever holds it then (the command builder, a request, the
 * connection's write queue). */
GBytes   *mailsync_imap_secret_bytes_new (const void *data, gsize len);

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
/* Test hook: mailsync_imap_secret_free() hands each wiped allocation to
 * @hook, which frees it, instead of g_free(); NULL restores g_free().
 * Lets a test see that what a secret request owned was wiped. */
void      _mailsync_imap_secret_set_free_hook (void (*hook) (void *mem, gsize len));
#endif

G_END_DECLS
