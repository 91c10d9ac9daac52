/* One IMAP connection: socket or tunnel, TLS, login, and a pipeline of
 * commands in flight. Internal. */
#pragma once

#include <gio/gio.h>

#include "mailsync-imap-auth.h"
#include "mailsync-imap-command.h"
#include "mailsync-imap-response.h"
#include "net/mailsync-tls-options.h"

G_BEGIN_DECLS

#define MAILSYNC_IMAP_LOG_DOMAIN "Mailsync-IMAP"

typedef enum
{
  MAILSYNC_IMAP_SECURITY_STARTTLS, /* plain port, STARTTLS required */
  MAILSYNC_IMAP_SECURITY_IMPLICIT, /* TLS from the first byte (993) */
  MAILSYNC_IMAP_SECURITY_NONE,     /* only when the user turned both off */
} MailsyncImapSecurity;

typedef struct
{
  char                 *host;
  guint16               port;
  MailsyncImapSecurity  security;
  MailsyncTlsOptions   *tls;
  char                 *user;
  char                 *password;        /* or OAuth2 token for XOAUTH2/OAUTHBEARER when
                                          * auth_mechanisms lists only those */
  char                 *oauth2_token;    /* XOAUTH2/OAUTHBEARER's; the password then
                                          * serves the other mechanisms */
  char                 *auth_mechanisms; /* offlineimap list; NULL = default order */
  char                 *preauth_tunnel;  /* shell command speaking IMAP, already logged in */
  char                 *transport_tunnel;/* shell command carrying the byte stream */
  guint                 timeout;         /* seconds, 0 = none (socktimeout) */
  gboolean              compress;        /* COMPRESS=DEFLATE when offered */
  guint                 max_in_flight;   /* pipelined commands, 0 = 256 */
  char                 *authzid;         /* SASL PLAIN authzid (remote_identity) */
  GSocketFamily         family;          /* ipv6: IPV4/IPV6, INVALID = either */
  char                 *proxy;           /* GIO proxy URI (offlineimap's proxy), NULL = none */
} MailsyncImapSettings;

/* A server's limit ([THROTTLED]) halves the commands in flight from at
 * most this many: the engine's windows are 64 operations (more only for
 * the downloads of small messages, which the pipeline's default of 256
 * leaves room for), so halving 256 would change nothing on the wire. */
#define MAILSYNC_IMAP_THROTTLE_IN_FLIGHT 64

MailsyncImapSettings *mailsync_imap_settings_new  (void);
MailsyncImapSettings *mailsync_imap_settings_copy (const MailsyncImapSettings *settings);
void                  mailsync_imap_settings_free (MailsyncImapSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapSettings, mailsync_imap_settings_free)

/* ---- requests ---------------------------------------------------------- */

typedef struct _MailsyncImapRequest MailsyncImapRequest;

typedef void  (*MailsyncImapUntaggedFunc)     (MailsyncImapResponse *response,
                                               gpointer              user_data);
/* Answers a "+ text" continuation with the next line (without CRLF);
 * NULL with @error set cancels the command ("*"), NULL without an error
 * sends nothing for now. */
typedef char *(*MailsyncImapContinuationFunc) (const char           *text,
                                               gpointer              user_data,
                                               GError              **error);

/* @text: the command after the tag, up to the first literal if any. */
MailsyncImapRequest *mailsync_imap_request_new (const char *text);
/* The request for @cmd, made with a NULL tag by the command builder (the
 * one way commands are formatted): finishes it, and fails as finish does.
 * The debug log shows the builder's log line (secrets redacted). */
MailsyncImapRequest *mailsync_imap_request_new_from_command (MailsyncImapCommand  *cmd,
                                                             GError              **error);
/* A command of fixed words through the builder: @name, then @atom unless
 * NULL ("ENABLE", "UTF8=ACCEPT"). For constant commands: words that are
 * not atoms are a programmer error. */
MailsyncImapRequest *mailsync_imap_request_new_simple (const char *name,
                                                       const char *atom);
void mailsync_imap_request_free (MailsyncImapRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapRequest, mailsync_imap_request_free)
/* Appends a literal, then @text_after (may be "") up to the next literal. */
void mailsync_imap_request_add_literal (MailsyncImapRequest *request,
                                        GBytes              *data,
                                        const char          *text_after);
/* Appends a literal of @size bytes read from @stream as it is written
 * (never held whole in memory), then @text_after. */
void mailsync_imap_request_add_literal_stream (MailsyncImapRequest *request,
                                               GInputStream        *stream,
                                               guint64              size,
                                               const char          *text_after);
/* The request carries a credential (LOGIN, AUTHENTICATE and the answers
 * to its continuations): its texts and literals, and the connection's
 * copies of them on their way to the wire, are wiped when freed. Set by
 * mailsync_imap_request_new_from_command() for a command with a secret. */
void mailsync_imap_request_set_secret (MailsyncImapRequest *request);
/* What the debug log shows instead of the command (credentials). */
void mailsync_imap_request_set_log_text (MailsyncImapRequest *request,
                                         const char          *log_text);
void mailsync_imap_request_set_untagged_handler (MailsyncImapRequest      *request,
                                                 MailsyncImapUntaggedFunc  handler,
                                                 gpointer                  user_data);
/* The server may stay silent as long as it likes (IDLE): socktimeout
 * does not apply while this request is in flight. */
void mailsync_imap_request_set_no_timeout (MailsyncImapRequest *request,
                                           gboolean             no_timeout);
void mailsync_imap_request_set_continuation_handler (MailsyncImapRequest          *request,
                                                     MailsyncImapContinuationFunc  handler,
                                                     gpointer                      user_data);

/* ---- spool files ---------------------------------------------------------- */

/* Large FETCH body literals arrive in an unlinked spool file (the
 * MailsyncImapFetchBody's stream, converting to LF line ends) rather than
 * in memory. Reads one back from its start with CRLF line ends (transfer
 * full), marked with _mailsync_spool_set_fd() for a Maildir to adopt. */
GInputStream *_mailsync_imap_spool_reopen (GOutputStream *spool,
                                           GError       **error);
/* An unlinked read-write temporary file's descriptor, or -1. */
int           _mailsync_imap_spool_open   (GError       **error);

/* ---- the connection ------------------------------------------------------ */

#define MAILSYNC_TYPE_IMAP_CONNECTION (mailsync_imap_connection_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncImapConnection, mailsync_imap_connection, MAILSYNC, IMAP_CONNECTION, GObject)

MailsyncImapConnection *mailsync_imap_connection_new (const MailsyncImapSettings *settings);

/* Connect, TLS, greeting, capabilities, authentication, COMPRESS. */
void      mailsync_imap_connection_open_async  (MailsyncImapConnection *self,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
gboolean  mailsync_imap_connection_open_finish (MailsyncImapConnection *self,
                                                GAsyncResult           *result,
                                                GError                **error);

/* Queues @request (transfer full). Commands are written as soon as
 * possible, many in flight; the result is the tagged OK response (NO, BAD
 * and BYE become errors carrying the server's text). Untagged responses
 * go to the oldest in-flight request that has a handler, else to the
 * connection's unsolicited handler. */
void                  mailsync_imap_connection_send_async  (MailsyncImapConnection *self,
                                                            MailsyncImapRequest    *request,
                                                            GCancellable           *cancellable,
                                                            GAsyncReadyCallback     callback,
                                                            gpointer                user_data);
MailsyncImapResponse *mailsync_imap_connection_send_finish (MailsyncImapConnection *self,
                                                            GAsyncResult           *result,
                                                            GError                **error);

/* How a request sent with _mailsync_imap_connection_send_direct() ends:
 * with the tagged OK (@response, borrowed) or an error (@error, borrowed),
 * called on the connection's thread, possibly before the send returns
 * (a connection already lost). */
typedef void (*MailsyncImapRequestDone) (MailsyncImapConnection *connection,
                                         MailsyncImapResponse   *response,
                                         const GError           *error,
                                         gpointer                user_data);

/* mailsync_imap_connection_send_async() without a GTask, for a command
 * per downloaded message (issue 13 item 5): @done instead of a callback
 * and a finish; a cancelled @cancellable ends it with
 * G_IO_ERROR_CANCELLED as a task's propagation would. */
void _mailsync_imap_connection_send_direct (MailsyncImapConnection  *self,
                                            MailsyncImapRequest     *request,
                                            GCancellable            *cancellable,
                                            MailsyncImapRequestDone  done,
                                            gpointer                 user_data);

/* Writes @line and CRLF for a command in flight whose continuation
 * handler returned NULL without an error (IDLE: "DONE"). */
void     mailsync_imap_connection_send_continuation_line (MailsyncImapConnection *self,
                                                          const char             *line);
void     mailsync_imap_connection_set_unsolicited_handler (MailsyncImapConnection   *self,
                                                           MailsyncImapUntaggedFunc  handler,
                                                           gpointer                  user_data);
/* Decides on a server certificate that failed verification (@failure
 * says why), after the TLS handshake and before anything is sent: TRUE
 * to go on. FALSE without setting @error fails with @failure. Runs on
 * the connection's context, and may wait there (_mailsync_await). */
typedef gboolean (*MailsyncImapCertificateFunc) (MailsyncImapConnection *self,
                                                 GBytes                 *der,
                                                 GTlsCertificateFlags    errors,
                                                 const GError           *failure,
                                                 GCancellable           *cancellable,
                                                 GError                **error,
                                                 gpointer                user_data);
/* Without one, a certificate that fails verification fails the open. */
void     mailsync_imap_connection_set_certificate_handler (MailsyncImapConnection      *self,
                                                           MailsyncImapCertificateFunc  handler,
                                                           gpointer                     user_data);
/* Called at most once per connection, right after the login command is
 * written in full, before its answer, when nothing may come between the
 * two (a LOGIN, or AUTHENTICATE PLAIN with its initial response: no
 * continuation) and nothing after the login changes the stream (no
 * COMPRESS, no ENABLE UTF8=ACCEPT as far as the capabilities known then
 * say): the caller may send the commands it sends after the login
 * anyway, so that they go in the login's burst (issue 13: one round trip
 * less). Their answers are a NO or BAD when the login fails; the
 * capabilities are those before the login. */
typedef void (*MailsyncImapLoginFunc) (MailsyncImapConnection *self,
                                       gpointer                user_data);
void     mailsync_imap_connection_set_login_pipeline (MailsyncImapConnection *self,
                                                      MailsyncImapLoginFunc   func,
                                                      gpointer                user_data);
/* Logging in before the greeting (issue 13 item 6, doc/design.md "The
 * no-op's fixed cost"): over implicit TLS, once the handshake negotiated
 * TLS 1.3 with a certificate that verified (no handler's decision), the
 * login (and the login pipeline's commands) are written right after the
 * handshake, chosen by @capabilities, the [CAPABILITY] of an earlier
 * greeting of this server. A greeting that then is not an OK with the
 * same capabilities (PREAUTH, BYE, changed) fails the open, and
 * get_early_login_refused() says so: connect again without. Never on
 * a plain connection or a tunnel. Set before the open.
 * Over STARTTLS (issue 13 item 6, session 18) @capabilities are the
 * answer to CAPABILITY after STARTTLS on an earlier run: STARTTLS is then
 * written before the greeting, and CAPABILITY with the login right after
 * the handshake; an answer that differs fails the open the same way
 * (connection-starttls.c). */
void     mailsync_imap_connection_set_early_capabilities (MailsyncImapConnection *self,
                                                          const char *const      *capabilities);
/* After a failed open: the login went before the greeting, and the
 * greeting did not match the capabilities it was chosen by. */
gboolean mailsync_imap_connection_get_early_login_refused (MailsyncImapConnection *self);
/* After a failed open, with get_early_login_refused(): the server said
 * it does not take what came before its greeting (it answered it before
 * greeting, refused a STARTTLS it offers, or answered a NOOP sent after
 * the login and not the login), rather than greet otherwise. */
gboolean mailsync_imap_connection_get_early_login_ignored (MailsyncImapConnection *self);
/* After a failed open, with get_early_login_refused(): no word from the
 * server on what went early (closed, reset or timed out before it said
 * anything about it), which is no proof that it ignores it. */
gboolean mailsync_imap_connection_get_early_login_unanswered (MailsyncImapConnection *self);
/* After a failed open, with get_early_login_refused(): the greeting had
 * other capabilities, and the server judged the login anyway (it refused
 * it, or said nothing about it, nor about a NOOP behind it): not a
 * reason to connect again and send the password a second time. */
gboolean mailsync_imap_connection_get_early_login_judged (MailsyncImapConnection *self);
/* After a failed open: it failed with a login's credential written and
 * not answered (a timeout, a close, the early login's NOOP unanswered):
 * the server may have judged it, so it is not sent again this sync
 * (repository-connect.c). */
gboolean mailsync_imap_connection_get_failed_during_login (MailsyncImapConnection *self);
/* Whether this connection logged in before its greeting. */
gboolean mailsync_imap_connection_get_early_login (MailsyncImapConnection *self);
/* ...or sent STARTTLS before it (and CAPABILITY with the login). */
gboolean mailsync_imap_connection_get_sent_early (MailsyncImapConnection *self);
/* The [CAPABILITY] list of an OK greeting (not PREAUTH), NULL without. */
const char *const *mailsync_imap_connection_get_greeting_capabilities (MailsyncImapConnection *self);
/* The list the server answered to CAPABILITY after STARTTLS, as it sent
 * it; NULL without (not STARTTLS, or not asked: the early login's list
 * is then checked against it, connection-starttls.c). */
const char *const *mailsync_imap_connection_get_tls_capabilities (MailsyncImapConnection *self);
gboolean mailsync_imap_connection_has_capability (MailsyncImapConnection *self,
                                                  const char             *name);
/* "IMAP4rev1 UIDPLUS ..." as last announced. */
char    *mailsync_imap_connection_get_capability_string (MailsyncImapConnection *self);
gboolean mailsync_imap_connection_is_open (MailsyncImapConnection *self);
/* Mailbox names are UTF-8 on the wire (ENABLE UTF8=ACCEPT succeeded). */
gboolean mailsync_imap_connection_get_utf8_accept (MailsyncImapConnection *self);
const char *mailsync_imap_connection_get_greeting (MailsyncImapConnection *self);
/* After a failed open: the mechanism whose login the server refused with
 * a NO (MAILSYNC_ERROR_AUTHENTICATION_FAILED), else MAILSYNC_IMAP_AUTH_NONE. */
MailsyncImapAuthMechanism mailsync_imap_connection_get_refused_mechanism (MailsyncImapConnection *self);
/* After an open: the mechanism of the login the server accepted (a tagged
 * OK to LOGIN or AUTHENTICATE), else MAILSYNC_IMAP_AUTH_NONE (greeted
 * with PREAUTH: no password was checked). */
MailsyncImapAuthMechanism mailsync_imap_connection_get_accepted_mechanism (MailsyncImapConnection *self);
/* After a failed open: the server asked for a continuation of a login
 * that had the login pipeline sent after it (a protocol error); connect
 * again without the pipeline. */
gboolean mailsync_imap_connection_get_login_pipeline_broken (MailsyncImapConnection *self);
/* Microseconds since the last byte in or out, 0 while a command is
 * pending (keepalive). */
gint64   mailsync_imap_connection_get_idle_time (MailsyncImapConnection *self);
/* Totals of this connection: bytes of the IMAP stream (before COMPRESS)
 * and tagged commands. */
void     mailsync_imap_connection_get_stats (MailsyncImapConnection *self,
                                             guint64                *bytes_read,
                                             guint64                *bytes_written,
                                             guint64                *commands_sent);
gboolean mailsync_imap_connection_take_throttle (MailsyncImapConnection *self,
                                                 guint                  *hint_ms,
                                                 char                  **text);
void     mailsync_imap_connection_set_max_in_flight (MailsyncImapConnection *self,
                                                     guint                   max_in_flight);
void     mailsync_imap_connection_close (MailsyncImapConnection *self);
/* LOGOUT written, then closed, its answer not awaited; FALSE (nothing
 * done) unless the connection is idle and on a socket (.c comment). */
gboolean _mailsync_imap_connection_logout_and_close (MailsyncImapConnection *self,
                                                     GCancellable           *cancellable);

G_END_DECLS
