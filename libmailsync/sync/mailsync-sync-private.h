/* What the files of the sync engine share: mailsync-sync-runner.c runs one
 * folder's sync, and the files split from it (issue 14 item 1) each hold
 * one part of it. Here are the per-folder state (Runner), the status meta
 * keys, and the helpers one file defines and another calls, all named
 * _mailsync_sync_*. Not installed: only libmailsync/sync/ includes it. */
#pragma once

#include "mailsync-sync-runner.h"
#include "mailsync-sync-plan.h"
#include "mailsync-sync-window.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-worker.h"
#include "mailsync-repository.h"
#include "sync/mailsync-gmail-labels.h"
#include "sync/mailsync-keywords.h"
#include "mailsync-folder-engine-private.h"
#include "sync/mailsync-sync-unchanged.h"
#include "status/mailsync-status-table.h"

#include <sys/types.h>

G_BEGIN_DECLS

#define INTENT_PREFIX "mailsync.upload."
/* a move pass's row for the destination, committed before the move (sync-moves.c) */
#define MOVE_INTENT_PREFIX "mailsync.move."
/* Whether the status may hold an intent of either kind (issue 13: with
 * OBJECTID the meta has an entry per message, and looking for intents
 * among them cost every changed folder a scan of all): "open" is set in
 * the commit that writes an intent, "none" by a folder's sync that ended
 * with none left; a status without the key (written before it) may have
 * some. Only a status that may have some is scanned. */
/* When the folder's last upload batch was committed (seconds since the
 * epoch): the young intents' clock (sync-pending.c) */
#define META_LAST_UPLOAD "mailsync.last-upload"
#define META_INTENTS "mailsync.intents"
#define META_INTENTS_OPEN "open"
#define META_INTENTS_NONE "none"
#define META_UIDVALIDITY_REMOTE "mailsync.uidvalidity.remote"
#define META_UIDVALIDITY_LOCAL "mailsync.uidvalidity.local"
/* The remote folder's "sync-state" after the last run that completed. */
#define META_LISTING_STATE "mailsync.listing-state.remote"
/* startdate: offlineimap's StartUID (the lowest remote UID of the first
 * sync); the second key marks a value this run found, to be committed. */
#define META_START_UID "mailsync.start-uid.remote"
#define META_START_UID_NEW "mailsync.start-uid.remote.new"
/* startdate on the local (IMAP) side: its lowest local-server UID */
#define META_LOCAL_START_UID "mailsync.start-uid.local"
#define META_LOCAL_START_UID_NEW "mailsync.start-uid.local.new"
/* What the status's keywords were when this engine last wrote them
 * (keywords_stamp()): another writer (offlineimap) changing them makes
 * the fast listing list keywords in full once (issue 10 item 3). */
#define META_KEYWORDS_STAMP "mailsync.keywords-stamp"
/* The remote UIDs a run is downloading, "<UIDVALIDITY> <lo>[:<hi>],...",
 * then " <stem>" for each run that wrote them (the local folder's name
 * stem, _mailsync_folder_dup_name_stem(): a Maildir's pid, its
 * repository's random mark and the host), committed
 * before its first download's flush, each UID taken out by its batch's
 * commit and the rest removed by the folder's final commit: a file of one
 * with no row after a kill and a name with one of the stems was
 * downloaded by that run (mailsync-sync-state.c, review 2 Low 3 of
 * session 16, review 1 S3 of session 17). */
#define META_DOWNLOADS "mailsync.downloads.remote"

/* Both sides' listings of one folder pair as _mailsync_sync_list_both()
 * got them (before any window filter), with what the listings warned
 * about: made by the move pre-pass, taken by the folder's sync. */
typedef struct
{
  MailsyncFolder *remote;      /* (owned) the pair listed */
  MailsyncFolder *local;
  GPtrArray *remote_list;      /* MailsyncMessageInfo */
  GPtrArray *local_list;
  GPtrArray *warnings;         /* GError*, or NULL */
  /* The folder's status as loaded for these listings (issue 13 item 2:
   * its sync does not load it again): nothing writes it in between (a
   * move drops both folders' listings). NULL: load it. */
  MailsyncStatusTable *status_rows; /* unchanged since the load (shared) */
  GHashTable *meta;            /* a copy made before the listing's window set any key */
  guint n_records;             /* the rows loaded (duplicates counted) */
} MailsyncSyncListings;

void _mailsync_sync_listings_free (MailsyncSyncListings *listings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncSyncListings, _mailsync_sync_listings_free)

typedef struct
{
  const MailsyncRunnerConfig *config;
  GMainContext *context;
  MailsyncFolder *remote;
  MailsyncFolder *local;
  char *status_name;
  char *folder_label;
  guint pending;
  guint64 pending_bytes;     /* the sizes the pending downloads announced (download_weight) */
  guint uploads_reading;     /* uploads started whose append is not asked yet */
  gboolean upload_bursts;    /* the remote sends held appends together (MULTIAPPEND) */

  GPtrArray *remote_list;  /* MailsyncMessageInfo */
  GPtrArray *local_list;
  gboolean max_age_set;    /* offlineimap's maxage, fixed for this folder */
  MailsyncMaxAge max_age;
  GHashTable *remote_by_uid; /* uid -> info (borrowed from the lists) */
  /* The rest of the remote listing, when the folder listed only what
   * changed (_mailsync_folder_list_changes_only): its unchanged messages
   * as rows (_MailsyncFolderListed, ascending UIDs, none of them in
   * remote_list), made into infos only where one is asked for
   * (_mailsync_sync_remote_info). NULL: remote_list is the whole listing. */
  GArray *remote_unchanged;
  /* The same for the local listing (mailsync-sync-rows.c): its files read
   * by name as rows (_MailsyncFolderListed, in listing order with their
   * places), none of them in local_list or (until made) local_by_uid. */
  GArray *local_rows;
  GHashTable *local_row_index; /* uid -> index + 1 in local_rows, made on first use */
  GHashTable *local_row_by_key; /* key -> index + 1 in local_rows, made on first use */
  GPtrArray *local_made;       /* infos made for single rows (owned; also in local_by_uid) */
  char *local_dir;             /* the local folder's directory, a GRefString for the infos made */
  GHashTable *local_by_uid;
  GHashTable *local_by_key;  /* made on first use: _mailsync_sync_local_by_key() */
  GHashTable *local_by_identity; /* made on first use: _mailsync_sync_local_by_identity() */
  GPtrArray *local_unfiltered; /* the local listing before maxsize/maxage/startdate (NULL: none
                               * filtered): an intent's file out of the window is not deleted */
  /* The status's rows (mailsync-status-table.h: compact, by UID), the
   * folder's commits mirrored into them */
  MailsyncStatusTable *status_rows;
  GHashTable *meta;
  gboolean incomplete;       /* a message was skipped: keep the old listing state */
  GPtrArray *finished;       /* copies: Op (owned) done and not yet committed */
  MailsyncStatusBatch *download_rows; /* borrowed: the folder's final status batch, which takes the
                                       * last downloads' rows (their files flushed) */
  gboolean download_rows_held; /* download_rows holds rows of downloads */
  /* the pass whose server commands are the folder's last (lease_remote):
   * the remote's lease is handed back as soon as they are answered */
  enum
  {
    REMOTE_LAST_KEPT,      /* none: the lease is held to the end */
    REMOTE_LAST_DOWNLOADS, /* the downloads' fetches (or nothing at all) */
    REMOTE_LAST_UPLOADS,   /* the uploads' APPENDs */
    REMOTE_LAST_DELETES,   /* the server deletion's STORE + EXPUNGE */
    REMOTE_LAST_FLAGS,     /* the server flags' and keywords' STOREs */
  } remote_last;
  guint remote_fetched;         /* downloads whose body the remote gave (stream in hand) */
  gboolean remote_released;     /* the remote lease was handed back early (lease_remote) */
  /* flag and keyword STOREs sent to the remote (the unchanged record
   * after our own changes, mailsync-sync-unchanged.c): any at all, and
   * the UIDs whose flags they set (uid set) */
  gboolean remote_stores;
  GHashTable *remote_flagged;
  gboolean local_listing;    /* the local listing runs already (see sync_folder_once) */
  gboolean local_rows_asked; /* that listing was asked for rows (_mailsync_folder_list_changes_only) */
  gboolean remote_rows_asked; /* the remote listing list_both waits for was */
  GAsyncResult *local_result;
  gboolean remote_listing;   /* the remote listing was asked already (the move pre-pass's burst) */
  GAsyncResult *remote_result;
  GHashTable *copy_ignore;   /* copy_ignore_eval: remote UIDs never downloaded */
  const MailsyncLabelsConfig *labels; /* synclabels: Gmail -> GmailMaildir, else NULL */
  GHashTable *remote_labels; /* synclabels: remote uid -> char ** (cleaned, sorted) */
  GPtrArray *listing_warnings; /* GError*: what the last listing of either side reported */
  gboolean keep_listings;      /* the move pre-pass: list_both keeps a copy in kept_listings */
  MailsyncSyncListings *kept_listings;
  MailsyncSyncListings *prepared; /* the pre-pass's listings, for the next list_both instead of listing */
  /* planning ahead (_mailsync_sync_runner_begin_quiet): whether the
   * listings may be handed on, and the status as loaded for them */
  gboolean may_keep;
  GHashTable *loaded_meta;
  guint n_records;
  gboolean remote_as_recorded; /* check_unchanged: the server's state is the unchanged record's */
  gboolean remote_kept_all;    /* check_unchanged: the server lost no message since the record (only additions) */
  gboolean intents_known;      /* the intents of the loaded status were settled (n_intents counts from there) */
  guint n_intents;             /* intents (upload, move) in meta, once intents_known */
  char *last_upload_before;    /* META_LAST_UPLOAD before this run's first upload commit */
  gboolean last_upload_taken;  /* last_upload_before was read */
  GHashTable *pending_uploads; /* local key -> intent: young intents whose copy is not on the server yet */
  gint64 pending_until;        /* when their grace ends (seconds since the epoch) */
  GHashTable *pending_gone;    /* intent set: young intents whose local message was deleted */
  GArray *downloading;         /* META_DOWNLOADS read (guint32 pairs lo, hi; ascending), NULL: none */
  char **downloading_stems;    /* its local name stems, NULL: none recorded (any key) */
  gboolean downloading_read;   /* downloading was read from r->meta */
  guint n_unrecorded;          /* the plan's rows made for a killed run's downloads (plan_of) */
  GHashTable *dry_found;       /* --dry-run: local keys of intents whose copy is on the server */
  GHashTable *dry_found_uids;  /* --dry-run: those copies' remote UIDs (a real run records both) */
  /* What every event of the pair names (_mailsync_sync_new_event, one
   * per message copied): each side's repository name and offlineimap
   * type, [0] local and [1] remote, looked up once (both live as long as
   * the folders the runner holds). */
  gboolean sides_named;
  const char *side_repo[2];
  const char *side_type[2];
  guint8 keywords_on;          /* _mailsync_sync_keywords_on(): 0 not asked yet, 1 no, 2 yes */
} Runner;

/* mailsync-sync-runner.c */
/* A Runner of @remote/@local under @config (not copied: it outlives the
 * Runner), on the calling thread's context, nothing listed or loaded. */
Runner *_mailsync_sync_runner_new (const MailsyncRunnerConfig *config,
                                   MailsyncFolder             *remote,
                                   MailsyncFolder             *local,
                                   const char                 *status_name);
void _mailsync_sync_runner_free (Runner *r);
/* mailsync-sync-events.c: events and the progress counts they carry */
MailsyncSyncEvent *_mailsync_sync_new_event (Runner                *r,
                                             MailsyncSyncEventKind  kind,
                                             MailsyncFolder        *destination,
                                             MailsyncDirection      direction,
                                             guint32                uid,
                                             guint                  n,
                                             guint                  total,
                                             const char            *flags,
                                             const GError          *error,
                                             const char            *text);
void _mailsync_sync_emit_full (Runner                *r,
                               MailsyncSyncEventKind  kind,
                               MailsyncFolder        *destination,
                               MailsyncDirection      direction,
                               guint32                uid,
                               guint                  n,
                               guint                  total,
                               const char            *flags,
                               const GError          *error,
                               const char            *text,
                               const guint32         *uids,
                               guint                  n_uids);
void _mailsync_sync_emit (Runner                *r,
                          MailsyncSyncEventKind  kind,
                          MailsyncFolder        *destination,
                          MailsyncDirection      direction,
                          guint32                uid,
                          guint                  n,
                          guint                  total,
                          const char            *flags,
                          const GError          *error,
                          const char            *text);
guint64 _mailsync_sync_copy_size (MailsyncMessageInfo *source);
void _mailsync_sync_progress_plan (Runner *r, GPtrArray *downloads, GPtrArray *uploads);
void _mailsync_sync_progress_more (Runner *r, GPtrArray *uploads);
void _mailsync_sync_progress_copied (Runner *r, guint64 bytes);
void _mailsync_sync_progress_settle (const MailsyncRunnerConfig *config);
void _mailsync_sync_config_lock (const MailsyncRunnerConfig *config);
void _mailsync_sync_config_unlock (const MailsyncRunnerConfig *config);
/* mailsync-sync-runner.c */
void _mailsync_sync_runner_wait (Runner *r);
void _mailsync_sync_release_remote_early (Runner *r);
gboolean _mailsync_sync_flush_folder (Runner *r, MailsyncFolder *folder, GError **error);
gboolean _mailsync_sync_commit (Runner *r, MailsyncStatusBatch *batch, GError **error);
/* Refuses a deletion of most of the folder (rules 1 and 6). */
gboolean _mailsync_sync_guard_deletions (Runner *r, guint n_delete_local, guint n_delete_remote, GError **error);
void _mailsync_sync_start_local_listing (Runner *r);
gboolean _mailsync_sync_shows_listing (MailsyncFolder *folder);
gboolean _mailsync_sync_list_both (Runner *r, GError **error);
/* mailsync-sync-listing.c: the local scan's end, the listing warnings said
 * once, the pre-pass's listings of this pair taken (NULL: none). */
void _mailsync_sync_wait_local_listing (Runner *r);
void _mailsync_sync_clear_lists (Runner *r);
MailsyncMessageInfo *_mailsync_sync_local_by_key (Runner *r, const char *key);
MailsyncMessageInfo *_mailsync_sync_local_by_identity (Runner *r, const char *key);
void _mailsync_sync_emit_listing_warnings (Runner *r);
MailsyncSyncListings *_mailsync_sync_take_prepared (Runner *r);
gboolean _mailsync_sync_load_status (Runner *r, guint *n_records, GError **error);
/* Planning ahead without syncing (the move pre-pass, the account's
 * estimate), in mailsync-sync-listing.c. The config: @config's without
 * events, progress or unchanged records, as a dry run. The Runner: both
 * sides listed under @quiet (from the prepared listings when
 * @take_prepared and there are some), the status rows loaded (how many
 * in *@n_records), the listings handed on to the folder's own sync; NULL
 * when the folder is unchanged since its last sync or on any failure,
 * which the folder's own sync meets again. */
void    _mailsync_sync_quiet_config     (MailsyncRunnerConfig       *quiet,
                                         const MailsyncRunnerConfig *config);
/* The same in two halves, for listing several folders at once (the move
 * pre-pass): _begin loads the status and asks for both listings (NULL
 * when the folder is unchanged or on any failure); _end takes @r, waits
 * for the listings and hands them on, as _new_quiet. */
Runner *_mailsync_sync_runner_begin_quiet (const MailsyncRunnerConfig *quiet,
                                           MailsyncFolder             *remote,
                                           MailsyncFolder             *local,
                                           const char                 *status_name,
                                           gboolean                    take_prepared,
                                           guint                      *n_records);
Runner *_mailsync_sync_runner_end_quiet   (Runner                     *r,
                                           guint                      *n_records);
/* How many listed messages (both sides) planning ahead keeps for the
 * folders' syncs at most, and lists at once (mailsync-sync-listing.c). */
#define MAILSYNC_SYNC_KEPT_LISTINGS_BUDGET 20000
void _mailsync_sync_wait_remote_listing (Runner *r);
/* mailsync-sync-rows.c: the listings as infos and rows. The remote
 * listing as a whole (remote_list and remote_unchanged) */
guint                _mailsync_sync_remote_count       (Runner *r);
gboolean             _mailsync_sync_remote_has         (Runner *r, guint32 uid);
/* The listed remote message @uid (made from its unchanged row if need
 * be, then kept in remote_list and remote_by_uid), or NULL */
MailsyncMessageInfo *_mailsync_sync_remote_info        (Runner *r, guint32 uid);
/* Every unchanged row made into an info: remote_list is then the whole
 * listing, in ascending UIDs as the folder listed it (for the code that
 * walks the listing: intents, the rebuild, a recheck) */
void                 _mailsync_sync_remote_materialise (Runner *r);
/* The same for the local listing (local_list and local_rows) */
guint                _mailsync_sync_local_count        (Runner *r);
gboolean             _mailsync_sync_local_has          (Runner *r, guint32 uid);
gboolean             _mailsync_sync_local_has_uids     (Runner *r);
MailsyncMessageInfo *_mailsync_sync_local_info         (Runner *r, guint32 uid);
void                 _mailsync_sync_local_materialise  (Runner *r);
MailsyncMessageInfo *_mailsync_sync_local_row_by_key   (Runner *r, const char *key);
void                 _mailsync_sync_clear_rows         (Runner *r);
Runner *_mailsync_sync_runner_new_quiet (const MailsyncRunnerConfig *quiet,
                                         MailsyncFolder             *remote,
                                         MailsyncFolder             *local,
                                         const char                 *status_name,
                                         gboolean                    take_prepared,
                                         guint                      *n_records);
/* mailsync-sync-validity.c: @folder's UIDVALIDITY against the status's
 * saved value, or where it has none, offlineimap's FolderValidity file;
 * a first value goes into @batch. save_validity_files writes both
 * folders' files (not in a dry run), before @batch is committed. */
gboolean _mailsync_sync_check_one_validity (Runner              *r,
                                            MailsyncFolder      *folder,
                                            const char          *meta_key,
                                            MailsyncStatusBatch *batch,
                                            GError             **error);
gboolean _mailsync_sync_save_validity_files (Runner *r, GError **error);
/* mailsync-sync-make-plan.c */
gboolean _mailsync_sync_load_copy_ignore (Runner *r, GError **error);
GPtrArray *_mailsync_sync_make_plan (Runner *r, gboolean obey_read_only_folders);
GPtrArray *_mailsync_sync_make_plan_of (Runner *r, GPtrArray *remote, GPtrArray *local, GArray *uids);

/* mailsync-sync-window.c */
GPtrArray *_mailsync_sync_filter_window (Runner *r, MailsyncFolder *folder, GPtrArray *list);
gboolean _mailsync_sync_apply_max_age (Runner *r, GError **error);
gint64 _mailsync_sync_start_date_of (Runner *r);
gboolean _mailsync_sync_apply_start_date (Runner *r, GError **error);
gint64 _mailsync_sync_local_start_date_of (Runner *r);
gboolean _mailsync_sync_apply_local_start_date (Runner *r, GError **error);
void _mailsync_sync_offer_window (Runner *r, MailsyncFolder *folder);

/* mailsync-sync-unchanged.c */
gboolean _mailsync_sync_check_unchanged (Runner *r, gboolean *skipped, GError **error);
void _mailsync_sync_record_unchanged (Runner *r);
void _mailsync_sync_note_remote_stores (Runner *r, GPtrArray *todo, gboolean flags);

/* mailsync-sync-state.c */
gboolean _mailsync_sync_fast_listing_applies (Runner *r);
gboolean _mailsync_sync_save_keywords_stamp (Runner *r, GError **error);
void _mailsync_sync_offer_known_state (Runner *r, gboolean listing);
void _mailsync_sync_save_listing_state (Runner *r, MailsyncStatusBatch *batch);
void _mailsync_sync_put_keeping_labels (Runner *r, MailsyncStatusBatch *batch, guint32 uid, const char *flags);
gboolean _mailsync_sync_keywords_on (Runner *r);
char *_mailsync_sync_info_keywords (MailsyncMessageInfo *info);
char *_mailsync_sync_status_flags (Runner *r, const char *flags, const char *keywords);
char *_mailsync_sync_row_keywords (Runner *r, const MailsyncStatusRecord *row);
void _mailsync_sync_put_row (Runner *r, MailsyncStatusBatch *batch, guint32 uid, const char *flags, const char *keywords);
void _mailsync_sync_warn_not_stored (Runner *r, guint32 uid, const char *wanted, const char *stored);
gboolean _mailsync_sync_remote_can_store (const char *keyword, gpointer data);
char *_mailsync_sync_common_keywords (MailsyncMessageInfo *a, MailsyncMessageInfo *b);
void _mailsync_sync_put_status_row (Runner *r, MailsyncStatusBatch *batch, MailsyncAction *a, GHashTable *not_stored_by_uid);

/* mailsync-sync-intents.c: the search for uploads an interrupted run
 * made, and the two steps the upload pass shares with it (an upload's
 * digest as @destination stores it, a local message's new UID). */
gboolean _mailsync_sync_reconcile_intents (Runner *r, GError **error);
gboolean _mailsync_sync_reconcile_moves (Runner *r, GError **error);
/* Both of the above, only for a status that may hold intents (META_INTENTS);
 * then counts the intents this sync writes and settles. */
gboolean _mailsync_sync_settle_intents (Runner *r, GError **error);
/* Whether @key is an intent's (upload or move). */
gboolean _mailsync_sync_is_intent_key (const char *key);
/* Adds META_INTENTS "none" to a folder's last batch when its sync knows
 * no intent is left and the status does not say so yet. */
void _mailsync_sync_close_intents (Runner *r, MailsyncStatusBatch *batch);
/* mailsync-sync-state.c: a killed run's downloads (META_DOWNLOADS) */
gboolean _mailsync_sync_unrecorded_applies (Runner *r);
gboolean _mailsync_sync_was_downloading (Runner *r, guint32 uid, const char *key);
gboolean _mailsync_sync_note_downloads (Runner *r, GPtrArray *todo, GError **error);
void     _mailsync_sync_drop_downloads (Runner *r, GArray *uids, MailsyncStatusBatch *batch);
void     _mailsync_sync_close_downloads (Runner *r, MailsyncStatusBatch *batch);
/* Feeds what is left of @stream to @md5 as the content digest has it
 * (_mailsync_content_digest_update); the rebuild's pairing digest too. */
gboolean _mailsync_sync_digest_rest (Runner *r, GChecksum *md5, GInputStream *stream, GError **error);
char    *_mailsync_sync_message_digest (Runner *r, MailsyncFolder *folder, MailsyncMessageInfo *info,
                                        MailsyncFolder *destination, GError **error);
MailsyncMessageInfo *_mailsync_sync_set_uid_and_wait (Runner *r, MailsyncMessageInfo *info, guint32 uid,
                                                      GError **error);
gboolean _mailsync_sync_find_copy (Runner *r, GPtrArray *list, GHashTable *skip, const char *want,
                                   GHashTable *digests, GHashTable *bare_digests, MailsyncMessageInfo **found,
                                   GError **error);
gboolean _mailsync_sync_recover_upload (Runner *r, MailsyncStatusBatch *batch, MailsyncMessageInfo *found_info,
                                        MailsyncMessageInfo *local, GError **error);

/* mailsync-sync-pending.c: a killed run's last APPENDs, stored late */
gint64   _mailsync_sync_upload_grace    (void);
char    *_mailsync_sync_intent_value    (const char *digest, guint64 size, const char *key, gboolean started);
gboolean _mailsync_sync_parse_intent    (const char *value, char **digest, char **key, gint64 *started);
gint64   _mailsync_sync_newest_intent   (Runner *r);
void     _mailsync_sync_note_upload_time (Runner *r, MailsyncStatusBatch *batch);
void     _mailsync_sync_restore_upload_time (Runner *r, MailsyncStatusBatch *batch);
gboolean _mailsync_sync_keep_pending    (Runner *r, const char *intent, const char *key, gint64 started,
                                        gint64 newest);
gboolean _mailsync_sync_keep_gone       (Runner *r, const char *intent, gint64 started, gint64 newest);
void     _mailsync_sync_record_gone     (Runner *r, MailsyncStatusBatch *batch, MailsyncMessageInfo *copy);
gboolean _mailsync_sync_is_pending      (Runner *r, const char *key);
guint    _mailsync_sync_n_pending       (Runner *r);
guint    _mailsync_sync_n_kept          (Runner *r);
gboolean _mailsync_sync_match_pending  (Runner *r, GPtrArray *list, GHashTable *skip, guint *found,
                                        GPtrArray *gone, GError **error);
gboolean _mailsync_sync_recheck_pending (Runner *r, GError **error);
gboolean _mailsync_sync_hold_dry_run    (Runner *r, GError **error);
gboolean _mailsync_sync_dry_found       (Runner *r, guint32 remote_uid, const char *local_key);

/* mailsync-sync-streams.c: a copy's stream as its destination gets it */
/* filterheaders: the headers @destination's IMAP folders must not get, or NULL */
const char *const *_mailsync_sync_filter_of (MailsyncFolder *destination);
/* @stream without the filterheaders fields @destination must not get (a
 * new reference either way). */
GInputStream *_mailsync_sync_filtered_stream (Runner *r, MailsyncFolder *destination, GInputStream *stream,
                                              GError **error);
const char *const *_mailsync_sync_remote_labels_of (Runner *r, guint32 uid);
GInputStream *_mailsync_sync_labelled_stream (Runner *r, guint32 uid, GInputStream *stream, GError **error);
gint64 _mailsync_sync_upload_date (GInputStream **stream, gint64 listed, GCancellable *cancellable);
gint64 _mailsync_sync_local_mtime (Runner *r, MailsyncMessageInfo *info);
gboolean _mailsync_sync_load_remote_labels (Runner *r, GError **error);

/* mailsync-sync-ops.c */
gboolean _mailsync_sync_run_downloads (Runner *r, GPtrArray *todo, GError **error);
gboolean _mailsync_sync_run_uploads (Runner *r, GPtrArray *todo, GError **error);
gboolean _mailsync_sync_run_deletes (Runner *r, GPtrArray *todo, MailsyncFolder *folder, const char *step, GError **error);
void _mailsync_sync_emit_flag_counts (Runner *r, GPtrArray *todo, MailsyncFolder *folder);
gboolean _mailsync_sync_run_flags (Runner *r, GPtrArray *todo, MailsyncFolder *folder, GError **error);
gboolean _mailsync_sync_run_keywords (Runner *r, GPtrArray *todo, MailsyncFolder *folder, GHashTable *not_stored_by_uid, GError **error);

/* mailsync-sync-rebuild.c */
gboolean _mailsync_sync_status_lost (Runner *r, guint n_records);
int _mailsync_sync_compare_uid (gconstpointer a, gconstpointer b);
gboolean _mailsync_sync_verify_uid_pairs (Runner *r, GError **error);
char *_mailsync_sync_describe_rebuild (Runner *r, GPtrArray *plan);

/* mailsync-sync-labels.c */
char *_mailsync_sync_local_file (Runner *r, MailsyncMessageInfo *info);
gboolean _mailsync_sync_read_local_file (const char *path, char **contents, gsize *length, mode_t *mode, GError **error);
gboolean _mailsync_sync_labels_changed_locally (Runner *r);
gboolean _mailsync_sync_run_labels (Runner *r, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Runner, _mailsync_sync_runner_free)

/* EMAILIDs (RFC 8474) in the status meta, for the move pass
 * (mailsync-sync-emailid.c): appends to @batch the entries of the rows it
 * puts (from the remote listing) and removes; the EMAILID recorded for
 * @uid under @validity, or NULL; one entry for a row written elsewhere. */
void        _mailsync_sync_note_email_ids    (Runner *r, MailsyncStatusBatch *batch);
const char *_mailsync_sync_recorded_email_id (GHashTable *meta, guint32 uid, guint32 validity);
void        _mailsync_sync_batch_email_id    (MailsyncStatusBatch *batch, guint32 uid, guint32 validity,
                                              const char *email_id);

G_END_DECLS
