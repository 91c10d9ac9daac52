/* Shared between the IMAP repository and its folders. Internal. */
#pragma once

#include "mailsync-imap-repository.h"
#include "mailsync-imap-folder.h"
#include "mailsync-imap-connection.h"
#include "mailsync-worker.h"
#include "config/mailsync-oauth2-private.h"

G_BEGIN_DECLS

/* MailsyncImapRepository:max-connections' ceiling (the config clamps
 * maxconnections to it, with a warning). */
#define MAILSYNC_IMAP_MAX_CONNECTIONS 64

/* One connection of the repository's pool (maxconnections, issue 13
 * item 5) and the thread it runs on: every job of a folder runs on the
 * worker of the slot the folder leased, or of the repository's own slot
 * (main) when it leased none. */
typedef struct _MailsyncImapSlot
{
  MailsyncImapConnection *connection; /* NULL until a job needs it */
  MailsyncWorker *worker;             /* the connection's thread: every job runs there */
  MailsyncImapFolder *selected;       /* weak, atomic: a folder may be disposed on another thread */
  char *last_selected_name;           /* the wire name of the last SELECT (worker only): the
                                       * server keeps it selected after its folder object is gone */
  GSource *keepalive_source;
  MailsyncImapFolder *lessee;         /* the folder that leased the slot (pool_lock), or NULL */
  guint number;                       /* 1 for main, 2... for the pool's others */
  /* the server's limits (issue 12 item 9), this connection's budget since
   * the last close (pool_lock): waits, their total, and the error that
   * ends them (no new connection on this slot until close) */
  guint throttle_waits;
  gint64 throttle_waited_ms;
  GError *throttle_gave_up;
  /* a sync started while this connection was open (held): its next job
   * gives it the full pipeline back (pool_lock; repository-sync.c) */
  gboolean in_flight_reset;
  MailsyncImapRepository *repository; /* weak: the slot's owner */
} MailsyncImapSlot;

/* The repository's own connection (opened by open_async), or NULL. */
MailsyncImapConnection *_mailsync_imap_repository_get_connection (MailsyncImapRepository *self);
/* The slot @folder's jobs run on: its lease's, else the repository's own. */
MailsyncImapSlot       *_mailsync_imap_repository_slot_of (MailsyncImapRepository *self,
                                                           MailsyncImapFolder     *folder);
/* Which folder is SELECTed on the slot's connection (a folder re-selects
 * when it is not the one). */
MailsyncImapFolder     *_mailsync_imap_slot_get_selected (MailsyncImapSlot   *slot);
void                    _mailsync_imap_slot_set_selected (MailsyncImapSlot   *slot,
                                                          MailsyncImapFolder *folder);
/* On the worker: opens the repository's own connection if nobody did; a
 * lost one is an error. */
gboolean                _mailsync_imap_repository_ensure_connected (MailsyncImapRepository *self,
                                                                    GCancellable           *cancellable,
                                                                    GError                **error);
/* The same for @slot's connection, on its worker: a pooled slot logs in
 * when its first job runs. */
gboolean                _mailsync_imap_repository_ensure_slot      (MailsyncImapRepository *self,
                                                                    MailsyncImapSlot       *slot,
                                                                    GCancellable           *cancellable,
                                                                    GError                **error);
void                    _mailsync_imap_repository_forget_selected (MailsyncImapRepository *self,
                                                                   MailsyncImapFolder     *folder);
/* On the worker: the mailbox last SELECTed on the slot's connection, by
 * wire name, which outlives its folder object. */
void                    _mailsync_imap_slot_note_selected_name (MailsyncImapSlot *slot,
                                                                const char       *wire_name);
gboolean                _mailsync_imap_slot_may_have_selected  (MailsyncImapSlot *slot,
                                                                const char       *wire_name);

/* The pool (mailsync-imap-repository-pool.c): a folder binds to one
 * connection for the length of its sync. A lease takes the first free
 * slot of max-connections (the repository's own first); with none free
 * it waits for a release. A slot's connection opens when its first job
 * runs. A lease ends with _release (the folder's jobs done). */
void                    _mailsync_imap_repository_lease_async  (MailsyncImapRepository *self,
                                                                MailsyncImapFolder     *folder,
                                                                GCancellable           *cancellable,
                                                                GAsyncReadyCallback     callback,
                                                                gpointer                user_data);
gboolean                _mailsync_imap_repository_lease_finish (MailsyncImapRepository *self,
                                                                GAsyncResult           *result,
                                                                GError                **error);
void                    _mailsync_imap_repository_release      (MailsyncImapRepository *self,
                                                                MailsyncImapFolder     *folder);
/* The engine's reconnect of @folder after its connection dropped: a new
 * connection in place of its lease's only (the repository's own when it
 * leased none); the other leases' connections are untouched. */
void                    _mailsync_imap_repository_reopen_leased_async  (MailsyncImapRepository *self,
                                                                        MailsyncImapFolder     *folder,
                                                                        GCancellable           *cancellable,
                                                                        GAsyncReadyCallback     callback,
                                                                        gpointer                user_data);
gboolean                _mailsync_imap_repository_reopen_leased_finish (MailsyncImapRepository *self,
                                                                        GAsyncResult           *result,
                                                                        GError                **error);
/* Which connection @folder has leased: 1 for the repository's own, 2...
 * for the pool's others, 0 for no lease. */
guint                   _mailsync_imap_repository_lease_number (MailsyncImapRepository *self,
                                                                MailsyncImapFolder     *folder);
/* Whether @folder's leased connection has been made (TRUE for no lease). */
gboolean                _mailsync_imap_repository_lease_connected (MailsyncImapRepository *self,
                                                                   MailsyncImapFolder     *folder);
/* FALSE with expunge = no: deletions only flag \Deleted. */
gboolean                _mailsync_imap_repository_get_expunge  (MailsyncImapRepository *self);
/* Any thread: the server listed a size that was not the body's; TRUE
 * the first time (for the repository object's life: the run's). */
gboolean                _mailsync_imap_repository_set_sizes_inexact (MailsyncImapRepository *self);
gboolean                _mailsync_imap_repository_get_sizes_inexact (MailsyncImapRepository *self);

MailsyncImapFolder     *_mailsync_imap_folder_new (MailsyncImapRepository *repository,
                                                   const char             *name,
                                                   const char             *wire_name);

/* The folder's stamp from the repository's LIST-STATUS answers (wire
 * name -> stamp), for its first unchanged probe (issue 13). */
void                    _mailsync_imap_folder_take_list_status (MailsyncImapFolder *self,
                                                                GHashTable         *statuses);

/* On the worker: SELECTs the folder unless it is the selected one. */
gboolean                _mailsync_imap_folder_ensure_selected (MailsyncImapFolder *self,
                                                               GCancellable       *cancellable,
                                                               GError            **error);

/* On the worker, before a command that changes the selected mailbox and
 * is not the engine's flag or keyword STORE: no unchanged record after
 * our own STOREs this run (mailsync-imap-folder-store.c). */
void                    _mailsync_imap_folder_forget_own_stores (MailsyncImapFolder *self);

/* The unchanged-folder check (sync/mailsync-sync-unchanged.c): one STATUS
 * gives "UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES", or NULL (no error)
 * without CONDSTORE; the listing stamp is the same from the last listing's
 * SELECT (NULL without CONDSTORE). */
void  _mailsync_imap_folder_probe_state_async  (MailsyncImapFolder  *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
char *_mailsync_imap_folder_probe_state_finish (MailsyncImapFolder  *self,
                                                GAsyncResult        *result,
                                                GError             **error);
char *_mailsync_imap_folder_dup_listing_stamp  (MailsyncImapFolder  *self);
gboolean _mailsync_imap_folder_stamp_kept_all (MailsyncFolder *folder, const char *then, const char *now);
char    *_mailsync_imap_folder_dup_own_stamp  (MailsyncFolder *folder);

/* A dry run (the configuration's): MailsyncImapRepository:capability-cache
 * is read, never written or removed (mailsync-imap-repository-greeting.c). */
void  _mailsync_imap_repository_set_capability_cache_read_only (MailsyncImapRepository *self,
                                                                gboolean                read_only);

/* OAuth2 (config/mailsync-config-credentials.c): @access_token (oauth2_access_token)
 * is used until the server refuses it; @refresher (oauth2_refresh_token)
 * gives tokens before the first login and after a refusal (once per
 * connect). Either may be NULL. Before the repository is opened. */
void  _mailsync_imap_repository_set_oauth2 (MailsyncImapRepository *self,
                                            const char             *access_token,
                                            MailsyncOAuth2         *refresher);

/* The asker of _mailsync_imap_repository_set_password_asker() and a
 * repository of its account, on the repository's worker (at once, not a
 * question on the client's context, which a cancel could skip; it may
 * only take a lock of its own). *@generation is the asker's generation
 * the repository last took: when the asker's answer changed since (a
 * refusal forgot it, another login's accepted password replaced it),
 * *@generation becomes the current one and *@secret the asker's answer
 * (transfer full; NULL when it has none): TRUE; FALSE when nothing
 * changed. @refused (may be NULL): the password the server just refused
 * the repository, which the asker forgets if it is the one it keeps
 * (and only then: another repository's refusal of an old password must
 * not drop a newer answer); with @refused, *@generation and *@secret are
 * always set (*@secret is never @refused). @accepted (may be NULL; not
 * with @refused): the password of a login the server just accepted, at
 * that login (never at an open that found the connection still open),
 * kept by the asker only if *@generation is still its current one (a
 * password learnt since, a refusal since, is newer than the login's);
 * then *@generation is the new one and FALSE, @secret untouched
 * (review23 H1). @held (may be NULL; only without @refused and
 * @accepted): the password a login accepted for the repository, which it
 * still holds: when the answer is NULL (a refusal forgot it) and @held
 * was refused to no repository of the asker since a login accepted it,
 * *@generation becomes the current one and FALSE: the repository keeps
 * @held (review26 L4, review27 M1). */
typedef gboolean (*MailsyncImapAskerSync) (MailsyncInteraction *asker,
                                           const char          *refused,
                                           const char          *accepted,
                                           const char          *held,
                                           guint               *generation,
                                           char               **secret);

/* A missing password (config/mailsync-config-credentials.c): asked when
 * the repository connects without one, of @asker (the config's password
 * function; may be NULL), else of the repository's interaction, as
 * offlineimap asks after "Establishing connection"; @missing (may be
 * NULL) is the error when none is given or nobody can be asked. A
 * password the server refuses is forgotten (the next connect asks again
 * instead of sending it) and @sync (may be NULL) tells @asker; each
 * connect takes the asker's answer through @sync when it changed. Before
 * the repository is opened. */
void  _mailsync_imap_repository_set_password_asker (MailsyncImapRepository   *self,
                                                    MailsyncInteraction      *asker,
                                                    MailsyncImapAskerSync     sync,
                                                    const char               *missing);
/* @password as the configuration gives it (config/mailsync-config-credentials.c:
 * an option, a netrc file, the keyring), @source naming where: when the
 * server refuses it, the login fails with MAILSYNC_ERROR_AUTHENTICATION_FAILED
 * naming @source, and the interaction is not asked for another
 * (offlineimap 8 never asks for a password the configuration gives; a
 * client re-asks by setting "password", which is then the client's). Before
 * the repository is opened. */
void  _mailsync_imap_repository_set_configured_password (MailsyncImapRepository *self,
                                                         const char             *password,
                                                         const char             *source);
/* The password of the last login the server accepted (transfer full), or
 * NULL (none yet, or opened without a login): for --update-keyring's
 * store after the open (a MailsyncCredentialsPasswordGetter). Any
 * thread: it does not wait for a connect (connect_lock), which may
 * itself wait for the client's context. */
char *_mailsync_imap_repository_dup_password (MailsyncRepository *repo);

/* A command builder for @connection (may be NULL): under UTF8=ACCEPT its
 * strings, mailbox names among them, may be UTF-8. @name is the caller's
 * constant command words. */
MailsyncImapCommand *_mailsync_imap_command_new (MailsyncImapConnection *connection, const char *name);
/* @verb (LIST, LSUB, XLIST) with the reference (NULL: "") and the
 * pattern "*", both quoted strings, as they have always been sent. */
MailsyncImapCommand *_mailsync_imap_list_command (MailsyncImapConnection *connection, const char *verb,
                                                  const char *reference);

G_END_DECLS
