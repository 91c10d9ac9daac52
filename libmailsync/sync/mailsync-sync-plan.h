/* The sync plan: a pure function from (remote list, local list, status) to
 * the actions that make both sides and the status agree. No I/O, so every
 * case is table-tested (tests/check-sync-plan.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint32     uid;   /* 0: new local mail without a UID */
  const char *key;   /* backend locator (local side), may be NULL */
  const char *flags; /* sorted system flag letters (DFRST) */
  const char *keywords; /* IMAP keywords separated by spaces, any order; NULL: none */
} MailsyncPlanMessage;

typedef struct
{
  guint32     uid;
  const char *flags;
  const char *keywords; /* as in MailsyncPlanMessage */
  gboolean    unrecorded; /* not in the status: a killed run's download whose file is here
                           * and whose server copy is not (mailsync-sync-state.c) */
} MailsyncPlanStatus;

typedef struct
{
  gboolean remote_readonly;
  gboolean local_readonly;
  gboolean remote_sync_deletes; /* deletions made on the remote propagate */
  gboolean local_sync_deletes;  /* deletions made locally propagate */
  /* Whether the remote can store a keyword (an IMAP folder whose
   * PERMANENTFLAGS has neither \* nor it cannot); NULL: every keyword. The
   * remote's value of one it cannot store is taken to be the status's, and
   * nothing is sent for it: neither a loop re-sending it every sync, nor
   * its absence there read as a removal. */
  gboolean (*remote_can_store) (const char *keyword, gpointer data);
  gpointer remote_can_store_data;
} MailsyncPlanPolicy;

typedef enum
{
  MAILSYNC_ACTION_DOWNLOAD,      /* copy remote uid to local; status := flags */
  MAILSYNC_ACTION_UPLOAD,        /* copy local key to remote; local gets the new uid */
  MAILSYNC_ACTION_DELETE_LOCAL,  /* remote deleted it: delete locally, forget */
  MAILSYNC_ACTION_DELETE_REMOTE, /* local deleted it: delete remotely, forget */
  MAILSYNC_ACTION_FLAGS_LOCAL,   /* add/remove letters locally */
  MAILSYNC_ACTION_FLAGS_REMOTE,  /* add/remove letters remotely */
  MAILSYNC_ACTION_STATUS_PUT,    /* status := flags (after the flag actions) */
  MAILSYNC_ACTION_STATUS_REMOVE, /* gone on both sides: forget */
} MailsyncActionKind;

typedef struct
{
  MailsyncActionKind kind;
  guint32 uid;
  char *key;    /* UPLOAD: the local message */
  char *flags;  /* DOWNLOAD/UPLOAD/STATUS_PUT: the flags to store */
  char *add;    /* FLAGS_*: letters to add */
  char *remove; /* FLAGS_*: letters to remove */
  char *keywords;        /* DOWNLOAD/UPLOAD/STATUS_PUT: the keywords to store */
  char *add_keywords;    /* FLAGS_*: keywords to add ("" when none) */
  char *remove_keywords; /* FLAGS_*: keywords to remove ("" when none) */
} MailsyncAction;

void       mailsync_action_free (MailsyncAction *action);

/* Returns a GPtrArray of MailsyncAction (owned), in execution order:
 * downloads, uploads, local deletions, remote deletions, flag changes,
 * then status-only changes; UIDs ascending within each kind. */
GPtrArray *mailsync_sync_plan_compute (const MailsyncPlanMessage *remote,
                                       gsize                      n_remote,
                                       const MailsyncPlanMessage *local,
                                       gsize                      n_local,
                                       const MailsyncPlanStatus  *status,
                                       gsize                      n_status,
                                       const MailsyncPlanPolicy  *policy);

/* Keeps only the letters the sync carries (D F R S T), sorted. */
char      *mailsync_sync_plan_normalize_flags (const char *letters);

/* A keyword list (separated by spaces) sorted, without duplicates or
 * empty words, joined by single spaces: "" for NULL. */
char      *mailsync_sync_plan_normalize_keywords (const char *keywords);

G_END_DECLS
