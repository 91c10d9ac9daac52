#pragma once

#include <libmailsync/mailsync.h>
#include "mailsync-ui.h"
#include "mailsync-mbnames.h"

G_BEGIN_DECLS

/* The account loop of offlineimap (accounts.py syncrunner): for each
 * account, lock, presynchook, sync, postsynchook, mbnames, unlock, and
 * with autorefresh sleep and repeat.  Accounts run on worker threads
 * (maxsyncaccounts at a time); the main thread runs a GMainLoop that
 * receives signals and turns them into requests on the runner. */
typedef struct _MailsyncRunner MailsyncRunner;

typedef struct
{
  MailsyncConfig *config;
  MailsyncUi *ui;
  MailsyncMbnames *mbnames;
  const char * const *accounts;   /* the active accounts, in order */
  const char * const *folders;    /* -f, or NULL */
  const char *metadata_dir;
  const char *profile_dir;        /* -P, or NULL */
  gboolean dry_run;
  gboolean single_thread;
} MailsyncRunnerSetup;

MailsyncRunner *mailsync_runner_new           (const MailsyncRunnerSetup *setup);
void            mailsync_runner_free          (MailsyncRunner *self);
/* runs every account to its end; signals are handled meanwhile */
void            mailsync_runner_run           (MailsyncRunner *self);

/* requests, from the main thread (signal sources, UI hotkeys) */
void            mailsync_runner_sync_now      (MailsyncRunner *self, int account_index);
void            mailsync_runner_finish        (MailsyncRunner *self);
guint           mailsync_runner_stop          (MailsyncRunner *self);
void            mailsync_runner_dump          (MailsyncRunner *self, FILE *stream);

/* offlineimap's name of the calling thread, NULL for the main thread */
const char     *mailsync_runner_current_thread (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncRunner, mailsync_runner_free)

G_END_DECLS
