#pragma once

/* What mailsync-runner.c shares with the files split from it
 * (mailsync-runner-mbnames.c: the mbnames of an account's sync;
 * mailsync-runner-idle.c: the autorefresh sleep with idlefolders): the
 * runner and its per-account job.  Not for the rest of the frontend. */

#include "mailsync-runner.h"
#include "mailsync-profile.h"

G_BEGIN_DECLS

typedef enum
{
  RESULT_OK,       /* every folder synced, or some failed on their own */
  RESULT_FAILED,   /* the account sync failed (offlineimap's REPO severity) */
  RESULT_STOPPED,  /* a stop request cancelled it */
} SyncResult;

typedef struct
{
  MailsyncRunner *runner;
  guint index;
  char *name;
  char *thread;                /* "Account sync NAME", as offlineimap names it */
  MailsyncAccount *account;
  MailsyncProfile *profile;
  GPtrArray *synced;           /* status names of folders started this sync */
  const char *presync;         /* of the sync in progress */
  const char *postsync;        /* of the sync in progress */
  gboolean post_done;          /* mbnames and postsynchook ran */
  guint folders_seen;          /* folders started, skipped or failed */
  gboolean no_folder;          /* the sync found no folder to sync */
  const char *mode;            /* full, quick or idle */
  gboolean login_failed;       /* a login of the last sync (any connection) refused or unanswered */
  char **idle_folders;         /* idlefolders of the remote repository */
  GPtrArray *idle_accounts;    /* one account (so one connection) per idle folder */

  /* under runner->mutex */
  GCancellable *cancellable;   /* of the sync in progress */
  gboolean in_folder;
  char *folder;
  const char *state;
  gboolean skip_sleep;
  GMainContext *idle_context;  /* while an IDLE sleep iterates it */
} Job;

struct _MailsyncRunner
{
  MailsyncConfig *config;
  MailsyncConfigFile *file;
  MailsyncUi *ui;
  MailsyncMbnames *mbnames;
  char **folders;
  char *metadata_dir;
  char *profile_dir;
  gboolean dry_run;
  gboolean single_thread;

  GPtrArray *jobs;
  GMainLoop *loop;

  GMutex mutex;
  GCond cond;
  GMutex create_mutex;         /* serializes mailsync_config_create_account */
  guint warnings_shown;        /* config warnings the UI has shown */
  guint stop_level;            /* TERM/INT/HUP seen */
  gboolean finish;             /* USR2/ABRT seen */
  guint remaining;             /* jobs not finished */
};

/* mailsync-runner.c: builds one more account object for @job (its
 * connections are its own), showing the warnings its options raise */
MailsyncAccount *_mailsync_runner_create_account (Job *job, GError **error);

/* mailsync-runner-mbnames.c: a GAsyncReadyCallback that stores the
 * result in the GAsyncResult * slot @user_data points to */
void _mailsync_runner_store_result (GObject *source, GAsyncResult *result, gpointer user_data);
/* writes the mbnames entries of the folders @job synced, if enabled */
void _mailsync_runner_write_mbnames (Job *job);

/* mailsync-runner-idle.c: the autorefresh sleep with idlefolders; 0 at
 * the end of the time, 1 sync now, 2 stop, 3 a folder changed */
int _mailsync_runner_idle_sleep (Job *job, guint seconds);
/* wakes an IDLE sleep so it reads the flags; under the runner's mutex */
void _mailsync_runner_wake_idle (Job *job);

G_END_DECLS
