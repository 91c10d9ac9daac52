/* What the files of the IMAP connection share (internal, not installed):
 * the request and connection structures and the steps one file calls in
 * another. mailsync-imap-connection.c holds the object, its settings and
 * requests, its state and errors; -pipeline.c writes and tags commands and
 * completes them; -dispatch.c reads and routes responses; -spool.c keeps
 * large literals out of memory; -open.c connects (net/), runs TLS and
 * the greeting; -login.c authenticates. */
#pragma once

#include "mailsync-imap-connection.h"
#include "mailsync-imap-auth.h"
#include "mailsync-imap-parser.h"
#include "mailsync-imap-tokenizer.h"
#include "net/mailsync-net-private.h"
#include "net/mailsync-tls-stream.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-worker.h"

G_BEGIN_DECLS

#define READ_CHUNK 65536
/* Pipelined commands at most (issue 13 item 6): the download window of
 * small messages goes up to 4 x 64 fetches, to cover a distant server's
 * round trip (sync/mailsync-sync-ops.c). */
#define DEFAULT_MAX_IN_FLIGHT 256
/* RFC 7888 §4: LITERAL- allows non-synchronizing literals up to 4096. */
#define LITERAL_MINUS_MAX 4096

#define IMAP_DEBUG(...) g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, __VA_ARGS__)

typedef struct
{
  GBytes *literal;        /* NULL for the first part and for streams */
  GInputStream *stream;   /* a literal read from here as it is sent */
  guint64 stream_size;
  char *text;
} RequestPart;

/* What waits to be written: bytes, the rest of a streamed literal, or
 * command text (the tags, lines and literal markers queued one after the
 * other go into one item: a pipelined FETCH per message was three byte
 * objects and three items). */
typedef struct
{
  GBytes *bytes;
  GByteArray *text;
  GInputStream *stream;
  guint64 remaining;
  gboolean secret;        /* a credential: written alone, never copied */
} WriteItem;

struct _MailsyncImapRequest
{
  char *tag;
  GArray *parts;          /* RequestPart */
  guint next_part;        /* first part not yet written */
  char *log_text;
  MailsyncImapUntaggedFunc untagged;
  gpointer untagged_data;
  MailsyncImapContinuationFunc continuation;
  gpointer continuation_data;
  GTask *task;
  MailsyncImapRequestDone done; /* instead of a task (send_direct) */
  gpointer done_data;
  GCancellable *cancellable;    /* send_direct's: cancelled = G_IO_ERROR_CANCELLED, as a task's check */
  gboolean written;       /* the whole command is queued for the wire (maybe not sent yet) */
  gboolean no_timeout;    /* IDLE: the server may rightly stay silent */
  gboolean secret;        /* carries a credential: wiped when freed */
  gboolean pipelined;     /* a one-step login with commands sent after it */
  gboolean one_step;      /* a login that takes no continuation (LOGIN, SASL-IR PLAIN) */
  gboolean unlimited;     /* goes before the pending ones, beyond max_in_flight (the early login's NOOP) */
  /* a login's mechanism: AUTHENTICATE's, or MAILSYNC_IMAP_AUTH_LOGIN with
   * login_command for the LOGIN command (RFC 3501 §6.2.3); what a
   * greeting after it is checked against (mechanism_gone()) */
  MailsyncImapAuthMechanism mechanism;
  gboolean login_command;
};

struct _MailsyncImapConnection
{
  GObject parent_instance;

  MailsyncImapSettings *settings;
  GIOStream *stream;
  GInputStream *in;
  GOutputStream *out;
  GSubprocess *tunnel;
  MailsyncImapParser *parser;
  GCancellable *io_cancellable;  /* cancels the read loop on close */

  guint next_tag;
  GQueue pending;                /* requests not yet completely written */
  GQueue in_flight;              /* written (or being written), awaiting the tag */
  MailsyncImapRequest *awaiting_plus; /* stopped before a synchronizing literal */
  GQueue write_queue;            /* WriteItem, in order */
  gboolean writing;
  gboolean padded_write;         /* the TLS stream pads the running write (a credential in it) */
  gboolean corked;               /* run_login: hold writes until the pipelined commands are queued */
  gboolean reading;
  gboolean compressed;           /* output must be flushed after each write */
  gboolean utf8_accept;          /* ENABLE UTF8=ACCEPT succeeded (RFC 6855) */

  GHashTable *capabilities;      /* upper-case name -> name */
  char *greeting;
  gboolean preauth;
  gboolean bye;
  char *bye_text;                /* a BYE that limits us: why the server closes */
  GError *fatal;                 /* the connection is dead */

  /* the server said it limits us (issue 12 item 9); the repository backs
   * off before it uses this connection again */
  gboolean throttled;
  guint throttle_hint_ms;        /* the server's own suggested wait, 0 for none */
  char *throttle_text;           /* what it said */

  MailsyncImapUntaggedFunc unsolicited;
  gpointer unsolicited_data;

  MailsyncImapCertificateFunc certificate_handler;
  gpointer certificate_data;

  /* sends what goes in the login's burst; cleared once called */
  MailsyncImapLoginFunc login_pipeline;
  gpointer login_pipeline_data;
  /* the server asked a one-step login that had commands sent after it
   * for a continuation: they went as its answer (the connection failed) */
  gboolean login_pipeline_broken;

  /* the mechanism whose login the server refused (NO), for the
   * repository: a refused OAuth2 token is refreshed once */
  MailsyncImapAuthMechanism auth_refused;
  /* the mechanism of the login the server answered with a tagged OK;
   * NONE for a connection that did not log in (PREAUTH) */
  MailsyncImapAuthMechanism auth_accepted;

  /* while opening: wait for the greeting */
  GTask *greeting_task;
  /* the capabilities of the greeting (its [CAPABILITY] code), NULL without */
  char **greeting_capabilities;
  /* logging in before the greeting (IMAPS, TLS 1.3): the capabilities of
   * an earlier greeting, given by the repository; whether the login went
   * before this connection's greeting; whether that greeting then did not
   * match (PREAUTH, BYE, other capabilities: the connection failed) */
  char **early_capabilities;
  gboolean early_login;
  gboolean early_refused;
  /* ...and why: the server's word that it does not take commands before
   * its greeting (it answered one before greeting, refused one it offers,
   * or answered a command sent after the early login but not the login);
   * or no word at all (closed, reset, timed out), which a network or a
   * busy server gives too: counted by the repository, not proof */
  gboolean early_ignored;
  gboolean early_unanswered;
  /* the NOOP sent to learn whether a login that went before the greeting
   * is being worked on or was dropped (connection-early.c) */
  gboolean early_probed;
  /* the connection failed with a login's credential written in full and
   * unanswered: the server may have been judging it */
  gboolean failed_during_login;
  /* an OK greeting with other capabilities than the early login was
   * chosen by, held until the login's answer (why the connection then
   * fails; connection-early.c), and whether the server judged that login
   * (a NO to it, or no answer: the password not sent again) */
  GError *early_mismatch;
  gboolean early_judged;
  /* that greeting no longer offers the login's mechanism (AUTH=X gone,
   * or LOGINDISABLED): a NO to it is not taken for a judged password */
  gboolean early_mechanism_gone;
  /* STARTTLS (connection-starttls.c): @early_capabilities are those the
   * server answered to CAPABILITY after STARTTLS on an earlier run;
   * STARTTLS went before this connection's greeting; the CAPABILITY
   * written with the login after the handshake has been answered (and
   * matched, or the connection failed) */
  gboolean early_starttls;
  gboolean tls_capabilities_checked;
  /* before the greeting of a command sent early: the text of an OK
   * without a code (a notice; or the greeting itself, of a server whose
   * greeting has no [CAPABILITY], when STARTTLS's answer follows it) */
  char *notice;
  /* when the command went before the greeting (monotonic µs; 0: none),
   * and the bound on the wait for its answer once the server has spoken
   * (connection-early.c, _mailsync_imap_connection_arm_early_answer()) */
  gint64 early_sent_at;
  GSource *early_answer_timer;
  /* that bound (ms; 0 once the early command is answered), armed again
   * after any response until then, and the NOOP's own: the same again
   * once it is sent (socktimeout may be none) */
  gint64 early_answer_bound_ms;
  /* and the end of all those bounds together (monotonic µs; 0: none):
   * EARLY_ANSWER_DEADLINE_FACTOR bounds from the greeting, so that a
   * server that keeps talking never keeps the wait going for ever */
  gint64 early_answer_deadline;
  GSource *early_probe_timer;
  /* the list the server answered to CAPABILITY after STARTTLS, as sent */
  char **tls_capabilities;
  /* the certificate failed verification and the handler accepted it */
  gboolean verify_deferred;

  /* socktimeout: a tick checks how long the server has kept us waiting */
  GSource *watchdog;
  gint64 last_activity;          /* monotonic µs of the last byte in or out */

  /* for -P and callers' statistics: protocol bytes (before COMPRESS) */
  guint64 bytes_read;
  guint64 bytes_written;
  guint64 commands_sent;
};

/* mailsync-imap-connection.c */
void _mailsync_imap_connection_write_item_free (WriteItem *item);
/* mailsync-imap-connection.c */
guint64 _mailsync_imap_connection_part_literal_size (const RequestPart *part);
/* mailsync-imap-connection.c */
void _mailsync_imap_connection_set_capabilities (MailsyncImapConnection *self, char **names);
/* mailsync-imap-connection.c */
char *_mailsync_imap_connection_peer_label (MailsyncImapConnection *self);
/* mailsync-imap-connection.c */
const char *_mailsync_imap_connection_server_label (MailsyncImapConnection *self);
/* mailsync-imap-connection.c */
gboolean _mailsync_imap_connection_is_throttling (const char *verb, const MailsyncImapCode *code, const char *text, guint *hint_ms);
/* mailsync-imap-connection.c */
void _mailsync_imap_connection_lost (MailsyncImapConnection *self, const GError *cause);
/* mailsync-imap-connection.c */
gboolean _mailsync_imap_connection_waiting_for_server (MailsyncImapConnection *self);
/* mailsync-imap-connection.c */
void _mailsync_imap_connection_note_activity (MailsyncImapConnection *self);
/* mailsync-imap-connection.c */
void _mailsync_imap_connection_start_watchdog (MailsyncImapConnection *self);
/* mailsync-imap-connection-spool.c */
GOutputStream *_mailsync_imap_connection_spool_literal (const MailsyncImapLiteralInfo *info, gpointer user_data);
/* mailsync-imap-connection-pipeline.c */
void _mailsync_imap_connection_queue_text (MailsyncImapConnection *self, const char *text);
/* The same for a credential's text: a wiping copy, written on its own. */
void _mailsync_imap_connection_queue_secret_text (MailsyncImapConnection *self, const char *text);
/* mailsync-imap-connection-pipeline.c */
gboolean _mailsync_imap_connection_write_request_parts (MailsyncImapConnection *self, MailsyncImapRequest *request);
/* mailsync-imap-connection-pipeline.c */
void _mailsync_imap_connection_schedule_requests (MailsyncImapConnection *self);
/* mailsync-imap-connection-pipeline.c */
void _mailsync_imap_connection_pump_writes (MailsyncImapConnection *self);
/* mailsync-imap-connection-pipeline.c */
void _mailsync_imap_connection_complete_request (MailsyncImapConnection *self, MailsyncImapRequest *request, MailsyncImapResponse *response);
void _mailsync_imap_connection_return_request (MailsyncImapConnection *self, MailsyncImapRequest *request,
                                               MailsyncImapResponse *response, GError *error);
/* mailsync-imap-connection-pipeline.c */
void _mailsync_imap_connection_fail_everything (MailsyncImapConnection *self, const GError *error);
/* mailsync-imap-connection-dispatch.c */
void _mailsync_imap_connection_start_reading (MailsyncImapConnection *self);
/* mailsync-imap-connection-open.c */
MailsyncImapResponse *_mailsync_imap_connection_run (MailsyncImapConnection *self, MailsyncImapRequest *request, GCancellable *cancellable, GError **error);
/* mailsync-imap-connection-login.c */
gboolean _mailsync_imap_connection_authenticate (MailsyncImapConnection *self, GCancellable *cancellable, GError **error);

/* mailsync-imap-connection-early.c */
gboolean _mailsync_imap_connection_may_log_in_early (MailsyncImapConnection *self);
/* mailsync-imap-connection-early.c */
GError *_mailsync_imap_connection_check_early_greeting (MailsyncImapConnection *self, const MailsyncImapResponse *greeting);
/* mailsync-imap-connection-early.c */
gboolean _mailsync_imap_connection_log_in_early (MailsyncImapConnection *self, GCancellable *cancellable, GError **error);

/* mailsync-imap-connection-early.c */
gboolean _mailsync_imap_connection_same_capabilities (char **a, char **b);
/* mailsync-imap-connection-open.c */
gboolean _mailsync_imap_connection_start_tls (MailsyncImapConnection *self, GCancellable *cancellable, GError **error);
/* mailsync-imap-connection-early.c */
void _mailsync_imap_connection_arm_early_answer (MailsyncImapConnection *self, gboolean notice);
void _mailsync_imap_connection_disarm_early_answer (MailsyncImapConnection *self);
void _mailsync_imap_connection_rearm_early_answer (MailsyncImapConnection *self);
void _mailsync_imap_connection_end_early_answer (MailsyncImapConnection *self);
void _mailsync_imap_connection_disarm_early_probe (MailsyncImapConnection *self);
void _mailsync_imap_connection_explain_unanswered_login (MailsyncImapConnection *self, GError *error);
/* mailsync-imap-connection-starttls.c */
MailsyncImapRequest *_mailsync_imap_connection_tls_capability_request (MailsyncImapConnection *self);
void _mailsync_imap_connection_keep_tls_capabilities (MailsyncImapConnection *self, MailsyncImapResponse *ok);
gboolean _mailsync_imap_connection_may_starttls_early (MailsyncImapConnection *self);
gboolean _mailsync_imap_connection_starttls_early (MailsyncImapConnection *self, GCancellable *cancellable, GError **error);
gboolean _mailsync_imap_connection_log_in_after_starttls (MailsyncImapConnection *self, GCancellable *cancellable, GError **error);
G_END_DECLS
