#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* An OAuth2 access-token source for one IMAP repository, as offlineimap's
 * IMAPServer: the refresh token (oauth2_refresh_token, oauth2_client_id,
 * oauth2_client_secret, oauth2_request_url) is exchanged for an access
 * token at the token endpoint, which is kept until half of its expires_in
 * has passed.  The HTTPS request is in the OAuth2 module
 * (mailsync-oauth2.so, see mailsync-module-private.h), loaded on
 * the first request; built without libsoup, or when the module cannot be
 * loaded, every request fails with MAILSYNC_ERROR_NOT_SUPPORTED saying
 * why.  Thread-safe; reference counted. */
typedef struct _MailsyncOAuth2 MailsyncOAuth2;

/* The token endpoint is verified against the system's CAs, as
 * offlineimap's urllib does, or against the PEM file $SSL_CERT_FILE
 * names (Python's and OpenSSL's override, so the tests can pass a test
 * CA); @timeout in seconds (0: a default of 30); @proxy a GIO proxy
 * URI the requests go through (authproxy), NULL to connect directly. */
MailsyncOAuth2 *_mailsync_oauth2_new          (const char     *request_url,
                                               const char     *client_id,
                                               const char     *client_secret,
                                               const char     *refresh_token,
                                               guint           timeout,
                                               const char     *proxy);
MailsyncOAuth2 *_mailsync_oauth2_ref          (MailsyncOAuth2 *self);
void            _mailsync_oauth2_unref        (MailsyncOAuth2 *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncOAuth2, _mailsync_oauth2_unref)

/* %FALSE with the reason when tokens cannot be refreshed at all */
gboolean        _mailsync_oauth2_is_available (GError        **error);

/* An access token (wipe and free it): the cached one while it is fresh,
 * else a new one from the token endpoint.  @stale, when not %NULL, is a
 * token the server refused: if it is the cached one it is dropped first,
 * so a new one is requested.  Blocks; on a library thread whose
 * thread-default context is the library's own (the IMAP worker), which
 * it iterates while the request runs (never another context). */
char           *_mailsync_oauth2_get_token    (MailsyncOAuth2  *self,
                                               const char      *stale,
                                               GCancellable    *cancellable,
                                               GError         **error);

/* %TRUE when a token was obtained from the endpoint and is still cached */
gboolean        _mailsync_oauth2_has_fresh_token (MailsyncOAuth2 *self);

G_END_DECLS
