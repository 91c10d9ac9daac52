/* Shared between mailsync-imap-repository.c and the
 * mailsync-imap-repository-*.c files that hold the repository's
 * operations, one subject each. Internal. */
#pragma once

#include "mailsync-imap-private.h"

G_BEGIN_DECLS

struct _MailsyncImapRepository
{
  MailsyncRepository parent_instance;

  MailsyncImapSettings *settings;
  char *reference;
  MailsyncImapSlot main;        /* the repository's own connection: its operations, the
                                 * folders without a lease, and the pool's first lease */
  guint max_connections;        /* maxconnections: the pool's size */
  GPtrArray *pool;              /* MailsyncImapSlot *: the pool's other connections, made
                                 * by the first lease that needs each (under pool_lock) */
  GQueue lease_waiters;         /* GTasks of leases waiting for a slot (under pool_lock) */
  GMutex pool_lock;             /* the leases, the slots' connection pointers, the totals */
  GRecMutex connect_lock;       /* connecting and waiting out limits: the settings, the
                                 * budget and the credentials are shared by the slots */
  GError *config_error;         /* a bad option value, reported by open */
  guint retry_count;            /* reconnections per folder (retrycount) */
  char **folder_includes;       /* folderincludes, UTF-8 names */
  gboolean personal_only;       /* LIST only the personal namespace */
  gboolean expunge;             /* FALSE: deletions stay \Deleted (expunge = no) */
  gboolean subscribed_only;     /* list only LSUB's folders (subscribedonly) */
  GHashTable *unsubscribed;     /* wire names that exist but are not subscribed */
  gint64 start_date;            /* startdate, unix time; 0 for none */
  gboolean hold;                /* holdconnectionopen */
  guint keepalive;              /* seconds between NOOPs on an idle connection */
  gboolean utf8_names;          /* utf8foldernames: native names are UTF-8, not mUTF-7 */
  gboolean decode_names;        /* decodefoldernames: visible names decoded from mUTF-7 */
  char *greeting;               /* of the last connection that opened */
  char **capabilities;
  GPtrArray *accepted_certs;    /* GBytes (DER) the interaction accepted; worker only */
  /* totals of the connections already closed (see get_stats) */
  guint64 bytes_read, bytes_written, commands_sent;
  /* the server's limits (issue 12 item 9): each slot has its budget
   * (MailsyncImapSlot.throttle_*); a close ends every slot's wait at once
   * by cancelling this one, then puts a new one (pool_lock) */
  GCancellable *throttle_interrupt;
  /* a connect failed with the login written and not answered (a
   * timeout, a close): the server may have judged the password, so no
   * connection of this sync logs in again (pool_lock; the next sync's
   * start or close_job clears it, else the hour after it): every later
   * connect fails with this, at once, the connections logged in already
   * go on (review of session 21 M1; review22 M2); when (monotonic µs) */
  GError *login_unanswered;
  gint64 login_unanswered_at;
  /* a sync started: its first connect resets the settings' halvings
   * (pool_lock; repository-sync.c) */
  gboolean sync_started;
  MailsyncOAuth2 *oauth2;       /* oauth2_refresh_token's token source, or NULL */
  gboolean oauth2_given;        /* settings->oauth2_token was given (config, interaction):
                                 * used until the server refuses it */
  MailsyncInteraction *password_asker; /* the config's password function, asked first
                                 * when the config gave no password */
  MailsyncImapAskerSync password_sync; /* its answer taken, a refusal told */
  guint asker_generation;       /* of password_asker's answer last taken; connect_lock */
  char *password_missing;       /* the error when no password comes (the config's) */
  gboolean password_asked;      /* settings->password came from an interaction (not
                                 * the client's "password"): forgotten when refused */
  gboolean password_client;     /* settings->password is the client's "password": the
                                 * asker's answer does not replace it (review23 M1) */
  char *password_source;        /* where settings->password came from when the config
                                 * gave it (remotepass, ~/.netrc, the keyring...):
                                 * refused, an error naming it, never a question */
  GMutex accepted_lock;         /* accepted_password: read on the client's context,
                                 * where connect_lock may wait for an answer */
  char *accepted_password;      /* the password of the last login the server accepted */
  gboolean listed;              /* listed since the open: no listing with the login */
  struct _MailsyncImapEarlyListing *early_listing; /* the LIST sent with the login, unclaimed */
  char *capability_cache;       /* capability-cache: the file of the greeting's capabilities */
  gboolean capability_cache_read_only; /* a dry run: read it, never write or remove it */
  /* when this sync (open to close) counted an early-unanswered in the
   * file (monotonic µs, 0: not yet): its other connections count none
   * (repository-greeting.c) */
  gint64 early_unanswered_counted_at;
  gint sizes_inexact;           /* atomic: a body was not its RFC822.SIZE long: no more
                                 * bodies fetched with a SELECT (mailsync-imap-folder-prefetch.c) */
};

/* mailsync-imap-repository.c */
guint16               _mailsync_imap_repository_effective_port (const MailsyncImapSettings *s);
void                  _mailsync_imap_repository_queue_job      (MailsyncImapRepository *self,
                                                                GTask                  *task,
                                                                gpointer                tag,
                                                                MailsyncWorkerFunc      job);
MailsyncImapResponse *_mailsync_imap_repository_run            (MailsyncImapRepository *self,
                                                                MailsyncImapRequest    *request,
                                                                GCancellable           *cancellable,
                                                                GError                **error);
gboolean              _mailsync_imap_repository_bool_finish    (MailsyncRepository *repo,
                                                                GAsyncResult       *result,
                                                                GError            **error);

/* mailsync-imap-repository-connect.c: forgets @slot's connection, keeping
 * its counters in the totals. */
void     _mailsync_imap_repository_drop_connection (MailsyncImapRepository *self,
                                                    MailsyncImapSlot       *slot);
/* ...connects @slot unless its connection is open (waiting first when
 * the server limits us), on its worker: the reopen of a leased slot. */
gboolean _mailsync_imap_repository_connect_slot    (MailsyncImapRepository *self,
                                                    MailsyncImapSlot       *slot,
                                                    GCancellable           *cancellable,
                                                    GError                **error);
/* ...logs @slot's connection out and forgets it (on its worker). */
void     _mailsync_imap_repository_close_slot      (MailsyncImapRepository *self,
                                                    MailsyncImapSlot       *slot,
                                                    GCancellable           *cancellable);
/* ...and waits out a server's limit on a repository command (the
 * back-off's budget), reconnecting if the server closed. */
gboolean _mailsync_imap_repository_wait_throttled  (MailsyncImapRepository *self,
                                                    const GError           *cause,
                                                    GCancellable           *cancellable,
                                                    GError                **error);

/* How many times a refused password or token is asked again in one
 * connect: the client stops sooner by not answering; this only bounds a
 * client that answers forever. */
#define MAX_ASKS_AFTER_REFUSAL 10

/* mailsync-imap-repository-secrets.c: the login's secrets, for
 * connect_locked (under connect_lock). Where the client waits to be
 * asked (a new reference, or NULL). */
GMainContext *_mailsync_imap_repository_dup_ask_context   (MailsyncImapRepository *self);
/* ...asks the interaction for the password or token again after
 * @refused (NULL: none was set): FALSE with @error when it did not
 * answer or asking failed. */
gboolean _mailsync_imap_repository_ask_secret             (MailsyncImapRepository *self,
                                                           MailsyncInteraction    *interaction,
                                                           const GError           *refused,
                                                           gboolean                bearer,
                                                           GCancellable           *cancellable,
                                                           GError                **error);
/* ...the password the config did not give, asked before any connection
 * (the config's asker, else the interaction). */
gboolean _mailsync_imap_repository_ask_missing_secret     (MailsyncImapRepository *self,
                                                           MailsyncInteraction    *interaction,
                                                           GCancellable           *cancellable,
                                                           GError                **error);
/* ...the server refused the password the config gave (password_source):
 * @refused as the error that ends the login, naming where it came from. */
void     _mailsync_imap_repository_configured_refused     (MailsyncImapRepository *self,
                                                           const GError           *refused,
                                                           GError                **error);
/* ...the server refused it: forgotten (never sent again); TRUE when the
 * asker had a newer answer, taken to try without a question. */
gboolean _mailsync_imap_repository_forget_refused_secret  (MailsyncImapRepository *self,
                                                           gboolean                bearer);
/* ...at each connect: the asker's answer when it changed since. */
void     _mailsync_imap_repository_take_asker_secret      (MailsyncImapRepository *self);
/* ...a login @connection's server accepted: its password kept. */
void     _mailsync_imap_repository_keep_accepted_secret   (MailsyncImapRepository      *self,
                                                           const MailsyncImapSettings  *settings,
                                                           MailsyncImapConnection      *connection);
/* ...a new OAuth2 token (@stale: the one the server refused). */
gboolean _mailsync_imap_repository_refresh_token          (MailsyncImapRepository *self,
                                                           const char             *stale,
                                                           GCancellable           *cancellable,
                                                           GError                **error);

/* mailsync-imap-repository-sync.c: what lasts one sync. @slot's budget
 * for the server's limits back (under pool_lock). */
void     _mailsync_imap_repository_reset_budget_locked     (MailsyncImapSlot *slot);
/* ...TRUE, with @error, once a connect of this sync failed with its
 * login unanswered: no connection is made. */
gboolean _mailsync_imap_repository_login_unanswered        (MailsyncImapRepository *self,
                                                            GError                **error);
/* ...records that failure (@error: what later connects fail with). */
void     _mailsync_imap_repository_record_login_unanswered (MailsyncImapRepository *self,
                                                            const GError           *error);
/* ...at each connect, under connect_lock: a sync that started since
 * the last one resets the settings' halvings. */
void     _mailsync_imap_repository_start_sync_locked       (MailsyncImapRepository *self);
/* ...at each job on @slot's open connection (its worker): the full
 * pipeline again after a sync's start. */
void     _mailsync_imap_repository_restore_in_flight       (MailsyncImapRepository *self,
                                                            MailsyncImapSlot       *slot);

/* mailsync-imap-repository-list.c: the listing sent in the login's
 * burst (a MailsyncImapLoginFunc), and its release with the connection. */
void     _mailsync_imap_repository_send_early_listing (MailsyncImapConnection *connection,
                                                       gpointer                user_data);
void     _mailsync_imap_repository_drop_early_listing (MailsyncImapRepository *self);

/* mailsync-imap-repository-greeting.c: the capabilities of the last
 * IMAPS greeting (MailsyncImapRepository:capability-cache), for a login
 * before the greeting. Under connect_lock. The ones cached for this
 * server and user, when a connection may log in early (implicit TLS, no
 * tunnel), else NULL. */
char   **_mailsync_imap_repository_cached_capabilities (MailsyncImapRepository *self);
/* ...forgets them (the file is removed): a greeting did not match. */
void     _mailsync_imap_repository_forget_capabilities (MailsyncImapRepository *self);
/* What became of this connect's commands sent before the greeting. */
typedef enum
{
  MAILSYNC_IMAP_EARLY_NOT_SENT,   /* none went early: the file's verdict stands */
  MAILSYNC_IMAP_EARLY_ANSWERED,   /* answered: the count of unanswered ones starts over */
  MAILSYNC_IMAP_EARLY_UNANSWERED, /* no word (closed, reset, timed out): counted */
  MAILSYNC_IMAP_EARLY_IGNORED,    /* the server's word that it ignores them */
} MailsyncImapEarlyVerdict;
/* ...keeps @connection's greeting's, when it may be used early, and
 * @verdict (written whole, and only when something changed): IGNORED, or
 * the EARLY_UNANSWERED_LIMIT-th UNANSWERED in a row, writes early=false,
 * and no later run sends anything early with these capabilities; only the
 * first UNANSWERED of a sync counts. */
void     _mailsync_imap_repository_keep_capabilities   (MailsyncImapRepository  *self,
                                                        MailsyncImapConnection  *connection,
                                                        MailsyncImapEarlyVerdict verdict);

/* mailsync-imap-repository-names.c */
gboolean _mailsync_imap_is_mutf7                (const char *name);
char    *_mailsync_imap_repository_to_wire      (MailsyncImapRepository *self,
                                                 const char             *name);
char    *_mailsync_imap_repository_native_name  (MailsyncImapRepository *self,
                                                 const MailsyncImapList *list);

/* mailsync-imap-repository-pool.c: the pool's slots past the first */
void     _mailsync_imap_repository_pool_init    (MailsyncImapRepository *self);
void     _mailsync_imap_repository_pool_dispose (MailsyncImapRepository *self);
void     _mailsync_imap_repository_pool_finalize (MailsyncImapRepository *self);
/* ...logs out every pooled connection (on the main worker, awaiting each
 * slot's worker) */
void     _mailsync_imap_repository_pool_close   (MailsyncImapRepository *self,
                                                 GCancellable           *cancellable);
/* ...the counters of the pooled connections now open (under pool_lock) */
void     _mailsync_imap_repository_pool_stats   (MailsyncImapRepository *self,
                                                 guint64 *in, guint64 *out, guint64 *commands);

/* Each file of operations sets its vfuncs in the class. */
void _mailsync_imap_repository_connect_class_init (MailsyncRepositoryClass *repo_class);
void _mailsync_imap_repository_names_class_init   (MailsyncRepositoryClass *repo_class);
void _mailsync_imap_repository_list_class_init    (MailsyncRepositoryClass *repo_class);
void _mailsync_imap_repository_info_class_init    (MailsyncRepositoryClass *repo_class);
/* ...and the sync's start (_mailsync_repository_class_set_begin_sync) */
void _mailsync_imap_repository_sync_class_init    (MailsyncRepositoryClass *repo_class);
/* ...and the pool its leases (MailsyncRepository's lease vtable) */
void _mailsync_imap_repository_pool_class_init    (MailsyncRepositoryClass *repo_class);

G_END_DECLS
