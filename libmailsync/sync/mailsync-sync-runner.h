/* The runner: executes one folder's plan with many backend operations in
 * flight, in batches whose durability is ordered as DESIGN.md §5 asks:
 * data durable (flush) -> status committed -> destructive operations. */
#pragma once

#include "mailsync-folder.h"
#include "mailsync-status-store.h"
#include "mailsync-sync-event.h"
#include "mailsync-private.h"

G_BEGIN_DECLS

typedef void (*MailsyncEmitFunc) (MailsyncSyncEvent *event, gpointer user_data);

typedef struct
{
  const char          *account_name;
  MailsyncStatusStore *status;
  GCancellable        *cancellable;
  guint                max_in_flight;
  gboolean             dry_run;
  gboolean             quick;            /* report an unchanged folder as skipped */
  double               max_delete_ratio; /* >= 1.0 disables the guard */
  guint                max_age_days;     /* 0: no limit (offlineimap maxage) */
  guint                max_age_date;     /* maxage = YYYY-MM-DD as YYYYMMDD; wins; 0: none */
  guint64              max_size;         /* 0: no limit (offlineimap maxsize) */
  MailsyncEmitFunc     emit;
  gpointer             emit_data;
  /* nullable: the account's running totals (the account_* half), which
   * the runner adds each folder plan's copies and each copy to (issue 10
   * item 5), under @lock; and the folder's own half (folder_*), which the
   * folder's sync alone changes (NULL with @progress NULL) */
  MailsyncProgressCounts *progress;
  MailsyncProgressCounts *folder_progress;
  /* nullable: held for @progress and the tables below while folder syncs
   * run at once (maxconnections, doc/design.md); short sections only */
  GMutex              *lock;
  /* nullable: the folders to record as unchanged (issue 13 item 1) once
   * the account's folders are synced, from mailsync_sync_runner_unchanged_new();
   * NULL records none */
  GPtrArray           *unchanged;
  /* nullable: status name -> the remote folder's state as the move
   * pre-pass's STATUS saw it (the unchanged check's remote half), so that
   * the folder's own check in the same run asks the server no second
   * time (issue 13: a no-op resync sends one STATUS per folder) */
  GHashTable          *remote_stamps;
  /* nullable: status name -> the listings of both sides the move
   * pre-pass made (from mailsync_sync_runner_listings_new()), each taken
   * by the folder's own sync in the same run instead of listing again
   * (issue 13: a changed folder is listed once a run) */
  GHashTable          *listings;
  /* plan every folder before the first copies, for the account's totals
   * up front (ACCOUNT_PLANNED, issue 10 item 5), into @estimates: status
   * name -> guint64[2] (messages, bytes), which each folder's own plan
   * then replaces (mailsync-sync-estimate.c) */
  gboolean             plan_ahead;
  GHashTable          *estimates;
  /* nullable (maxconnections, a local side without leases): leases the
   * remote folder's connection, with @emit_data; TRUE at once when it is
   * leased already. Set, the runner leases only when it first needs the
   * server for the folder (its listing: the unchanged check, status load
   * and local listing come first, and an unchanged folder takes none), and
   * hands the lease back as soon as its last server command is answered,
   * while its local work goes on, so that another folder sync's SELECT
   * goes out on that connection meanwhile; a retry leases it again
   * (doc/design.md "session 17"). The caller releases it at the end if
   * it is still held. */
  gboolean           (*lease_remote) (gpointer emit_data, GError **error);
} MailsyncRunnerConfig;

/* Syncs the messages of one folder pair. Must run on a thread whose
 * thread-default main context it may iterate. */
gboolean mailsync_sync_runner_sync_folder (const MailsyncRunnerConfig *config,
                                           MailsyncFolder             *remote,
                                           MailsyncFolder             *local,
                                           const char                 *status_name,
                                           GError                    **error);

/* The account's list of folders to record as unchanged, and the call that
 * verifies and records them once all its folders are synced (one wait for
 * the time stamps' granularity at most, never one per folder). */
GPtrArray *mailsync_sync_runner_unchanged_new     (void);
void       mailsync_sync_runner_record_unchanged (const MailsyncRunnerConfig *config);

/* The table of MailsyncRunnerConfig.listings. */
GHashTable *mailsync_sync_runner_listings_new    (void);

/* Moves the server made between the account's folders (one gone, one new
 * message with the same identity) renamed locally before the folders are
 * synced, so that their syncs only record them (issue 10 item 4). The
 * arrays are parallel: remote folder, local folder, status name of each
 * pair the account syncs. Never fails: what it does not rename is
 * downloaded and deleted as before. */
void       mailsync_sync_runner_find_moves       (const MailsyncRunnerConfig *config,
                                                  GPtrArray                  *remotes,
                                                  GPtrArray                  *locals,
                                                  GPtrArray                  *status_names);

/* With config->plan_ahead: lists and plans each pair (the arrays as for
 * find_moves) without executing anything, adds the copies to the
 * account's totals and emits ACCOUNT_PLANNED with them. Never fails: a
 * folder it cannot plan adds its copies when its sync plans them. */
void       mailsync_sync_runner_plan_ahead       (const MailsyncRunnerConfig *config,
                                                  GPtrArray                  *remotes,
                                                  GPtrArray                  *locals,
                                                  GPtrArray                  *status_names);
/* Takes the estimate of a folder whose plan is made (or that will not be
 * planned) out of the account's totals; FALSE if it had none. */
gboolean   _mailsync_sync_take_estimate          (const MailsyncRunnerConfig *config,
                                                  const char                 *status_name);
/* After the folder loop: the estimates of folders never planned leave the
 * totals, so that the account's done reaches its total. */
void       mailsync_sync_runner_settle_estimates (const MailsyncRunnerConfig *config);

/* MailsyncMaildirRepository:restore-atime on the local side: the atimes
 * of @folders' new/ and cur/ when @local has it (NULL otherwise), and
 * putting them back (@saved may be NULL). */
GArray    *_mailsync_sync_save_atimes            (MailsyncRepository         *local,
                                                  GPtrArray                  *folders);
void       _mailsync_sync_restore_atimes         (GArray                     *saved);
/* MailsyncImapRepository:decode-folder-names: a folder created on
 * @repository from the other side's UTF-8 name is given its modified
 * UTF-7 name (which decodes back to the same visible name). */
gboolean   _mailsync_sync_decodes_names          (MailsyncRepository         *repository);

G_END_DECLS
