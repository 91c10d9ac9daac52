/* What mailsync-account.c shares with sync/mailsync-sync-folders.c, the
 * account's folder-level sync (folder names, creating folders on both
 * sides, the folder loop), which moved out of it (issue 14 item 1), and
 * with mailsync-account-events.c (issue 14 item 3): the instance struct,
 * the event emitters and the awaited repository calls. Not installed. */
#pragma once

#include "mailsync-account.h"
#include "mailsync-private.h"

G_BEGIN_DECLS

struct _MailsyncAccount
{
  GObject parent_instance;

  char *name;
  MailsyncRepository *remote;
  MailsyncRepository *local;
  MailsyncStatusStore *status;
  gboolean dry_run;
  gboolean quick;
  gboolean plan_ahead;   /* totals up front: ACCOUNT_PLANNED (issue 10 item 5) */
  double max_delete_ratio;
  guint max_in_flight;
  guint max_age;
  guint max_age_date;   /* maxage = YYYY-MM-DD as YYYYMMDD, 0 for none */
  guint64 max_size;
  gboolean remove_deleted_folders;
  /* this sync's running totals: the account's half (the folders' halves
   * are each folder sync's own), under progress_lock */
  MailsyncProgressCounts progress;
  GMutex progress_lock;
  /* the engine's thread and its private context while a sync runs:
   * folder syncs on threads of their own queue their events there */
  GThread *engine_thread;
  GMainContext *engine_context;

  GMainContext *event_context; /* where the event signal is emitted */
  GMutex event_lock;
  GQueue event_queue;          /* MailsyncSyncEvent*, to deliver there, under event_lock */
  gboolean event_scheduled;    /* under event_lock: a delivery source is attached */
  gint syncing;                /* atomic: a sync is running (G_IO_ERROR_PENDING) */
  /* The account's own open of each repository, kept between syncs when
   * the repository holds its connection (holdconnectionopen). */
  gboolean remote_opened;
  gboolean local_opened;
  /* This sync's _mailsync_repository_begin_sync() of each ran (the local
   * one's not when the remote open failed): ended after the release. */
  gboolean remote_began;
  gboolean local_began;
};

/* mailsync-account.c */
void                _mailsync_account_signal_event    (MailsyncAccount *self, MailsyncSyncEvent *event);

/* mailsync-account-repos.c */
gboolean            _mailsync_account_repo_open       (MailsyncRepository *repo, gboolean *opened,
                                                       gboolean *began, GCancellable *cancellable,
                                                       GError **error);
GPtrArray          *_mailsync_account_repo_list       (MailsyncRepository *repo, GCancellable *cancellable,
                                                       GError **error);
MailsyncFolder     *_mailsync_account_repo_create     (MailsyncRepository *repo, const char *name,
                                                       GCancellable *cancellable, GError **error);
void                _mailsync_account_repo_release    (MailsyncRepository *repo, gboolean *opened);
void                _mailsync_account_repo_end        (MailsyncRepository *repo, gboolean *began);

/* mailsync-account-events.c */
void                _mailsync_account_emit_event      (MailsyncSyncEvent *event, gpointer user_data);
void                _mailsync_account_emit_simple     (MailsyncAccount       *self,
                                                       MailsyncSyncEventKind  kind,
                                                       const char            *folder,
                                                       const char            *repository,
                                                       const GError          *error,
                                                       const char            *text);
void                _mailsync_account_stamp_event     (MailsyncAccount              *self,
                                                       MailsyncSyncEvent            *event,
                                                       const MailsyncProgressCounts *folder);
void                _mailsync_account_queue_event     (MailsyncAccount *self, MailsyncSyncEvent *event);
gboolean            _mailsync_account_events_pending  (MailsyncAccount *self);
MailsyncSyncEvent  *_mailsync_account_simple_event    (MailsyncAccount       *self,
                                                       MailsyncSyncEventKind  kind,
                                                       const char            *folder,
                                                       const char            *repository,
                                                       const GError          *error,
                                                       const char            *text);
MailsyncSyncEvent  *_mailsync_account_pair_event      (MailsyncAccount       *self,
                                                       MailsyncSyncEventKind  kind,
                                                       const char            *folder,
                                                       const char            *remote_folder,
                                                       const char            *local_folder,
                                                       guint                  n,
                                                       guint                  total);
void                _mailsync_account_emit_pair       (MailsyncAccount       *self,
                                                       MailsyncSyncEventKind  kind,
                                                       const char            *folder,
                                                       const char            *remote_folder,
                                                       const char            *local_folder);
void                _mailsync_account_emit_connecting (MailsyncAccount *self, MailsyncRepository *repo);
MailsyncSyncEvent  *_mailsync_account_connecting_event (MailsyncAccount    *self,
                                                        MailsyncRepository *repo,
                                                        const char         *folder);
void                _mailsync_account_emit_credential_warnings (MailsyncAccount *self);

/* sync/mailsync-sync-pairs.c: the move pre-pass, then every folder pair
 * synced (maxconnections of them at once), the counters decided on the
 * engine's thread. */
gboolean            _mailsync_account_sync_pairs      (MailsyncAccount *self,
                                                       GPtrArray       *remote_folders,
                                                       GPtrArray       *local_folders,
                                                       GHashTable      *refused,
                                                       GCancellable    *cancellable,
                                                       GError         **error);

/* sync/mailsync-sync-folders.c: opens both repositories, lists and checks
 * their folders, creates what one side lacks, then syncs every folder pair. */
gboolean            _mailsync_account_sync_folders    (MailsyncAccount *self,
                                                       GCancellable    *cancellable,
                                                       GError         **error);

G_END_DECLS
