#pragma once

/* The interface between libmailsync and its OAuth2 module
 * ($(moduledir)/mailsync-oauth2.so, libmailsync/modules/): the HTTPS
 * request to the token endpoint through libsoup 3, which only the module
 * links (starting the library must not load libsoup: issue 13 item 3).
 * The library's config/mailsync-oauth2.c loads it on first use. */

#include <gio/gio.h>

G_BEGIN_DECLS

#define MAILSYNC_OAUTH2_MODULE_NAME   "mailsync-oauth2"
#define MAILSYNC_OAUTH2_MODULE_SYMBOL "mailsync_oauth2_module_get"
#define MAILSYNC_OAUTH2_MODULE_ABI    2u

typedef struct
{
  const char *url;              /* oauth2_request_url */
  const char *client_id;
  const char *client_secret;    /* may be NULL: not sent */
  const char *refresh_token;
  const char *ca_file;          /* PEM bundle to trust instead of the system's; NULL = the system's */
  guint       timeout;          /* seconds without progress before giving up; 0 = none */
  const char *proxy;            /* a GIO proxy URI (socks5://, socks4a://, http://); NULL = direct (ABI 2) */
} MailsyncOAuth2Request;

typedef struct
{
  guint abi;                    /* MAILSYNC_OAUTH2_MODULE_ABI */

  /* POSTs client_id, client_secret, refresh_token and
   * grant_type=refresh_token (form-encoded) to @request->url, TLS
   * verified, and reads the JSON answer.  Runs on the caller's
   * thread-default main context (one SoupSession per call: token requests
   * are rare, and a session is then never shared between threads).
   * @request is copied. */
  void   (*refresh_async)  (const MailsyncOAuth2Request *request,
                            GCancellable                *cancellable,
                            GAsyncReadyCallback          callback,
                            gpointer                     user_data);
  /* The access token; *@expires_in the answer's expires_in in seconds, or
   * 0 when it had none.  Errors (in the domain given at load time) never
   * quote the secret or the refresh token:
   * MAILSYNC_ERROR_AUTHENTICATION_FAILED for the provider's refusal (an
   * HTTP 4xx with its "error" and "error_description"), MAILSYNC_ERROR_FAILED
   * for an answer that is not a token (bad JSON, another HTTP status), or
   * GIO's (G_IO_ERROR_TIMED_OUT, TLS, network, cancelled). */
  char  *(*refresh_finish) (GAsyncResult                *result,
                            gint64                      *expires_in,
                            GError                     **error);
} MailsyncOAuth2Module;

/* The module's one exported function, MAILSYNC_OAUTH2_MODULE_SYMBOL, is a
 * MailsyncModuleGetFunc (libmailsync/mailsync-module-private.h) returning a
 * MailsyncOAuth2Module. */

G_END_DECLS
