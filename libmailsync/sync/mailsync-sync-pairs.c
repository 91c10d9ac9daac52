/* The account's folder loop (moved out of mailsync-sync-folders.c for
 * maxconnections, doc/design.md): the move pre-pass, then every folder
 * pair synced through the runner, then the unchanged folders recorded.
 *
 * The engine's thread decides first, in the order the pairs run (sorted
 * by remote name), what becomes of each remote folder: synced (numbered
 * "n of total" for FOLDER_STARTED), skipped with an event, failed before
 * it starts (an unsafe or clashing name), or passed over in silence. The
 * pairs are then taken in that order, one at a time, by the folder syncs:
 * the engine's thread itself (one connection), or several threads of
 * their own (maxconnections), each with its own thread-default context.
 * Each pair's events, from FOLDER_STARTED to FOLDER_FINISHED, are
 * emitted by the one that runs it, stamped with its own folder counts.
 * The counters (failed, synced) and the account's error are decided on
 * the engine's thread once every folder sync has ended. */
#include "config.h"

#include "mailsync-account-private.h"
#include "mailsync-error.h"
#include "sync/mailsync-sync-runner.h"
#include "sync/mailsync-sync-folder-names.h"
#include "mailsync-worker.h"

#include <string.h>

typedef enum
{
  PAIR_SYNC,    /* FOLDER_STARTED, the sync (unless @error is set already), FOLDER_FINISHED */
  PAIR_SKIP,    /* FOLDER_SKIPPED "no such local folder" */
  PAIR_REFUSE,  /* an ERROR event only, the folder counted failed */
} PairKind;

typedef struct _PairQueue PairQueue;

typedef struct
{
  PairQueue *queue;
  PairKind kind;
  MailsyncFolder *remote;      /* borrowed: the account's listings keep both */
  MailsyncFolder *local;
  char *local_name;
  char *status_name;
  guint n, total;              /* FOLDER_STARTED's "n of total" */
  GError *error;               /* decided before the sync, or the sync's */
  gboolean ran;                /* taken by a folder sync */
  gboolean have_newmail;       /* an unread message was copied to local */
  MailsyncProgressCounts progress; /* the folder's half (folder_*) */
  MailsyncFolder *connecting[2]; /* a side whose leased connection was not made yet */
} Pair;

struct _PairQueue
{
  MailsyncAccount *self;
  const MailsyncRunnerConfig *config;
  GPtrArray *pairs;            /* Pair*, in the order they run */
  GMutex lock;
  guint next;                  /* under lock: the next pair to take */
  gboolean stop;               /* under lock: take no more (a repository error, a cancel) */
  Pair *stopped_by;            /* under lock: the pair whose error stopped the account first */
  gboolean folders_after;      /* remote folders (passed over) after the last pair */
  /* several folder syncs at once (maxconnections): each pair leases its
   * connections, and a repository error cancels the others */
  gboolean concurrent;
  GCancellable *stop_others;   /* the folder syncs' cancellable when concurrent */
  GCancellable *user_cancellable; /* the caller's, when concurrent */
  GMainContext *engine_context;
  GMainContext *client_context; /* the run's (mailsync-worker.h), borrowed: the engine's thread keeps it */
  gint running;                /* atomic: folder sync threads not yet ended */
  /* concurrent over a local side without leases: the runner leases the
   * remote when it needs it and hands it back early (lease_remote) */
  gboolean release_early;
};

static void
pair_free (Pair *pair)
{
  g_free (pair->local_name);
  g_free (pair->status_name);
  g_clear_error (&pair->error);
  g_free (pair);
}

static void pair_emit (MailsyncSyncEvent *event, gpointer user_data);

/* offlineimap prints "connecting" from a folder's thread when the folder
 * makes a new connection of the pool, right before the listing line
 * that follows it: a remote folder connects to check its UIDVALIDITY,
 * after the local listing's end and before the remote's
 * loadmessagelist; a local IMAP folder within its listing. So a side
 * whose leased connection was not made at the lease and is made by the
 * time of that side's next listing event (the remote's LOADING and both
 * LOADED are emitted after the listings ended, mailsync-sync-listing.c)
 * says it before that event. A listing that needed no connection (an
 * unchanged folder skipped) makes none, and says nothing. An unchanged
 * folder whose probe made one (a STATUS on its own lease when no stamp
 * was cached: --dry-run, no LIST-STATUS) says it before its skip line
 * (@listing without a repository), as offlineimap's quick check, which
 * connects, says it before "Skipping". */
static void
announce_connection (Pair *pair, MailsyncSyncEvent *listing)
{
  const char *repository = mailsync_sync_event_get_repository (listing);

  for (guint i = 0; i < G_N_ELEMENTS (pair->connecting); i++)
    {
      MailsyncFolder *folder = pair->connecting[i];
      MailsyncRepository *repo = folder != NULL ? mailsync_folder_get_repository (folder) : NULL;
      g_autoptr(MailsyncSyncEvent) event = NULL;

      if (repo == NULL || (repository != NULL && g_strcmp0 (repository, mailsync_repository_get_name (repo)) != 0) ||
          !_mailsync_repository_folder_lease_connected (repo, folder))
        continue;
      pair->connecting[i] = NULL;
      event = _mailsync_account_connecting_event (pair->queue->self, repo, pair->status_name);
      if (event != NULL)
        pair_emit (event, pair);
    }
}

/* A folder sync's events: stamped with the folder's own counts and
 * queued for the account (mailsync-account-events.c). */
static void
pair_emit (MailsyncSyncEvent *event, gpointer user_data)
{
  Pair *pair = user_data;
  const char *flags = mailsync_sync_event_get_flags (event);

  if (mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_MESSAGE_COPIED &&
      mailsync_sync_event_get_direction (event) == MAILSYNC_DIRECTION_TO_LOCAL &&
      (flags == NULL || strchr (flags, 'S') == NULL))
    pair->have_newmail = TRUE;
  if (mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_LIST_LOADING ||
      mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_LIST_LOADED ||
      mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED)
    announce_connection (pair, event);
  _mailsync_account_stamp_event (pair->queue->self, event, &pair->progress);
  _mailsync_account_queue_event (pair->queue->self, event);
}

static void
pair_emit_simple (Pair                  *pair,
                  MailsyncSyncEventKind  kind,
                  const char            *folder,
                  const char            *repository,
                  const GError          *error,
                  const char            *text)
{
  g_autoptr(MailsyncSyncEvent) event =
    _mailsync_account_simple_event (pair->queue->self, kind, folder, repository, error, text);

  pair_emit (event, pair);
}

/* offlineimap's newmail_hook: after the copy pass of the remote folder
 * INBOX, when a copied message lacked \Seen; never in a dry run (nothing
 * is copied). An exception is an error event of the folder. Only the
 * INBOX pair runs it, so two never run at once. */
static void
run_newmail_hook (Pair *pair)
{
  MailsyncAccount *self = pair->queue->self;
  g_autoptr(GError) hook_error = NULL;

  if (!pair->have_newmail || self->dry_run || strcmp (mailsync_folder_get_name (pair->remote), "INBOX") != 0)
    return;
  pair->have_newmail = FALSE;
  if (!_mailsync_repository_run_newmail_hook (self->remote, &hook_error))
    pair_emit_simple (pair, MAILSYNC_SYNC_EVENT_ERROR, pair->status_name, mailsync_repository_get_name (self->remote),
                      hook_error, hook_error->message);
}

/* A pair's first event: FOLDER_SKIPPED, its ERROR, or FOLDER_STARTED. */
static MailsyncSyncEvent *
pair_first_event (Pair *pair)
{
  MailsyncAccount *self = pair->queue->self;

  switch (pair->kind)
    {
    case PAIR_SKIP:
      return _mailsync_account_simple_event (self, MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED, pair->status_name, NULL,
                                             NULL, "no such local folder");
    case PAIR_REFUSE:
      return _mailsync_account_simple_event (self, MAILSYNC_SYNC_EVENT_ERROR, mailsync_folder_get_name (pair->remote),
                                             NULL, pair->error, pair->error->message);
    case PAIR_SYNC:
    default:
      return _mailsync_account_pair_event (self, MAILSYNC_SYNC_EVENT_FOLDER_STARTED, pair->status_name,
                                           mailsync_folder_get_name (pair->remote),
                                           pair->local != NULL ? mailsync_folder_get_name (pair->local)
                                                               : pair->local_name,
                                           pair->n, pair->total);
    }
}

/* The next pair, in order, and its first event, so that the
 * FOLDER_STARTED numbers follow each other in the events whichever
 * folder sync takes the pair; NULL when there are no more or the account
 * stops (its cancellable, a repository error). With several folder syncs
 * the event is queued under the queue's lock (that only queues it: the
 * caller's handler runs on another thread, later); with one there is no
 * other thread, and it is emitted after unlocking, since a blocking sync
 * runs the caller's "event" handler right in the emit. */
static Pair *
take_pair (PairQueue *queue)
{
  g_autoptr(MailsyncSyncEvent) event = NULL;
  Pair *pair = NULL;

  g_mutex_lock (&queue->lock);
  if (!queue->stop && g_cancellable_is_cancelled (queue->config->cancellable))
    queue->stop = TRUE;
  if (!queue->stop && queue->next < queue->pairs->len)
    {
      pair = queue->pairs->pdata[queue->next++];
      pair->ran = TRUE;
      event = pair_first_event (pair);
      if (queue->concurrent)
        {
          pair_emit (event, pair);
          g_clear_object (&event);
        }
    }
  g_mutex_unlock (&queue->lock);
  if (event != NULL)
    pair_emit (event, pair);
  return pair;
}

/* Concurrent folder syncs: the pair's folders bound to connections of
 * their own for the length of its sync (both sides when both have
 * connections, IMAP<->IMAP), the remote first; FALSE with the pair's
 * error set when no lease is granted (nothing then stays leased). */
static gboolean
lease_pair (Pair *pair, const MailsyncRunnerConfig *config)
{
  MailsyncRepository *remote = mailsync_folder_get_repository (pair->remote);
  MailsyncRepository *local = mailsync_folder_get_repository (pair->local);

  if (!_mailsync_repository_lease_folder (remote, pair->remote, config->cancellable, &pair->error))
    return FALSE;
  if (!_mailsync_repository_lease_folder (local, pair->local, config->cancellable, &pair->error))
    {
      _mailsync_repository_release_folder (remote, pair->remote);
      return FALSE;
    }
  pair->connecting[0] = _mailsync_repository_folder_lease_connected (remote, pair->remote) ? NULL : pair->remote;
  pair->connecting[1] = _mailsync_repository_folder_lease_connected (local, pair->local) ? NULL : pair->local;
  return TRUE;
}

/* The runner's lease_remote (concurrent folder syncs over a local side
 * without leases): the remote folder's lease, taken when the runner
 * first needs the server, again after it was handed back early. */
static gboolean
pair_lease_remote (gpointer data, GError **error)
{
  Pair *pair = data;
  MailsyncRepository *remote = mailsync_folder_get_repository (pair->remote);

  if (_mailsync_repository_folder_lease_number (remote, pair->remote) != 0)
    return TRUE;
  if (!_mailsync_repository_lease_folder (remote, pair->remote, pair->queue->config->cancellable, error))
    return FALSE;
  pair->connecting[0] = _mailsync_repository_folder_lease_connected (remote, pair->remote) ? NULL : pair->remote;
  return TRUE;
}

static void
release_pair (Pair *pair)
{
  pair->connecting[0] = pair->connecting[1] = NULL;
  _mailsync_repository_release_folder (mailsync_folder_get_repository (pair->local), pair->local);
  _mailsync_repository_release_folder (mailsync_folder_get_repository (pair->remote), pair->remote);
}

/* One pair synced, its events said, on the calling thread (its
 * thread-default context is iterated while the runner waits). */
static void
sync_pair (Pair *pair, const MailsyncRunnerConfig *shared)
{
  MailsyncRunnerConfig config = *shared;
  gboolean decided;

  config.emit = pair_emit;
  config.emit_data = pair;
  config.folder_progress = shared->progress != NULL ? &pair->progress : NULL;
  decided = pair->error != NULL;
  if (pair->queue->release_early)
    config.lease_remote = pair_lease_remote;
  if (!decided && (!pair->queue->concurrent || pair->queue->release_early || lease_pair (pair, &config)))
    {
      mailsync_sync_runner_sync_folder (&config, pair->remote, pair->local, pair->status_name, &pair->error);
      if (pair->queue->concurrent)
        release_pair (pair);
    }
  run_newmail_hook (pair);
  if (pair->error != NULL)
    {
      PairQueue *queue = pair->queue;
      /* cut off by another folder's error (stop_others), not the caller */
      gboolean collateral = !decided && queue->concurrent &&
                            g_error_matches (pair->error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
                            !g_cancellable_is_cancelled (queue->user_cancellable);

      /* (no ERROR for a cut off folder: the account's error says why) */
      if (!collateral)
        pair_emit_simple (pair, MAILSYNC_SYNC_EVENT_ERROR, pair->status_name, NULL, pair->error,
                          pair->error->message);
      pair_emit_simple (pair, MAILSYNC_SYNC_EVENT_FOLDER_FINISHED, pair->status_name, NULL, pair->error, NULL);
      if (mailsync_error_get_scope (pair->error) >= MAILSYNC_ERROR_SCOPE_REPOSITORY)
        {
          /* the account stops: no other pair is taken. An error of the
           * lease or the sync also stops the folder syncs running (their
           * own cancellable); one decided before the pair started (a
           * name clash) does not: the folders taken before it end as
           * they did one by one, where they had synced before it. The
           * account's error is the first in the pairs' order, as one by
           * one. */
          g_mutex_lock (&queue->lock);
          queue->stop = TRUE;
          if (queue->stopped_by == NULL || (!collateral && pair->n < queue->stopped_by->n))
            queue->stopped_by = pair;
          g_mutex_unlock (&queue->lock);
          if (!decided && queue->stop_others != NULL)
            g_cancellable_cancel (queue->stop_others);
        }
      return;
    }
  pair_emit_simple (pair, MAILSYNC_SYNC_EVENT_FOLDER_FINISHED, pair->status_name, NULL, NULL, NULL);
}

/* A folder sync: takes pairs until there are none left. */
static void
run_pairs (gpointer data, gpointer unused)
{
  PairQueue *queue = data;
  Pair *pair;

  while ((pair = take_pair (queue)) != NULL)
    if (pair->kind == PAIR_SYNC)
      sync_pair (pair, queue->config);
}

/* A folder sync's own thread, with its own private context pushed as
 * thread-default (the runner awaits there); the engine's thread hears of
 * its end through its context. */
static gpointer
pair_thread (gpointer data)
{
  PairQueue *queue = data;

  _mailsync_set_client_context (queue->client_context);
  _mailsync_run_private (run_pairs, queue);
  _mailsync_set_client_context (NULL);
  g_atomic_int_add (&queue->running, -1);
  g_main_context_wakeup (queue->engine_context);
  return NULL;
}

/* Folder syncs beyond the remote's connections when those are handed
 * on early (count_folder_syncs). */
#define EXTRA_FOLDER_SYNCS 1

static void
stop_others (GCancellable *cancellable, gpointer data)
{
  g_cancellable_cancel (data);
}

/* How many folder syncs run at once: the repositories' leases
 * (offlineimap's maxconnections; the smaller of the two sides' when both
 * have connections, IMAP<->IMAP, the local IMAP's through the mapped
 * repository around it), no more than there are pairs to sync. A
 * repository without connections (Maildir) does not limit it; with none
 * at all the folders run one by one. */
static guint
count_folder_syncs (MailsyncAccount *self, GPtrArray *pairs, gboolean *release_early)
{
  MailsyncRepository *repos[] = { self->remote, self->local };
  guint n = 0, n_sync = 0;

  for (guint i = 0; i < G_N_ELEMENTS (repos); i++)
    {
      guint max = _mailsync_repository_max_leases (repos[i]);

      if (max > 0)
        n = n == 0 ? max : MIN (n, max);
    }
  /* Connections to a remote over a local side without any (a Maildir):
   * a folder sync hands its remote lease back once its last server
   * command is answered (release_early), and one more folder sync than
   * connections takes it then, its SELECT going out while the first
   * writes its files and commits (issue 13 item 2, doc/design.md
   * "session 17"). */
  *release_early = n >= 2 && _mailsync_repository_max_leases (self->local) == 0;
  if (*release_early)
    n += EXTRA_FOLDER_SYNCS;
  for (guint i = 0; i < pairs->len; i++)
    n_sync += ((Pair *) pairs->pdata[i])->kind == PAIR_SYNC ? 1 : 0;
  return MAX (1, MIN (n, n_sync));
}

/* The folder syncs on @n threads of their own, while the engine's thread
 * waits, delivering their events when the sync is a blocking call (the
 * caller's context gets them otherwise). Every folder sync has ended and
 * every event is delivered when it returns. */
static void
run_concurrently (PairQueue *queue, guint n, gboolean release_early)
{
  MailsyncAccount *self = queue->self;
  const MailsyncRunnerConfig *shared = queue->config;
  MailsyncRunnerConfig config = *shared;
  g_autoptr(GCancellable) others = g_cancellable_new ();
  g_autoptr(GPtrArray) threads = g_ptr_array_new ();
  gulong handler = 0;

  if (config.cancellable != NULL)
    handler = g_cancellable_connect (config.cancellable, G_CALLBACK (stop_others), g_object_ref (others),
                                     g_object_unref);
  config.cancellable = others;
  queue->config = &config;
  queue->release_early = release_early;
  queue->concurrent = TRUE;
  queue->stop_others = others;
  queue->user_cancellable = shared->cancellable;
  queue->engine_context = g_main_context_ref_thread_default ();
  queue->client_context = _mailsync_get_client_context ();
  g_atomic_int_set (&queue->running, n);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (threads, g_thread_new ("mailsync-folder", pair_thread, queue));
  while (g_atomic_int_get (&queue->running) > 0 ||
         (self->event_context == NULL && _mailsync_account_events_pending (self)))
    _mailsync_await_iteration ();
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  g_cancellable_disconnect (shared->cancellable, handler);
  g_clear_pointer (&queue->engine_context, g_main_context_unref);
  queue->stop_others = NULL;
  queue->user_cancellable = NULL;
  queue->config = shared;
}

static gint
compare_folders (gconstpointer a, gconstpointer b)
{
  return strcmp (mailsync_folder_get_name (*(MailsyncFolder **) a),
                 mailsync_folder_get_name (*(MailsyncFolder **) b));
}

/* The pairs the loop below will sync (the same tests, less the ones that
 * only fail a folder), for the move detection before it (issue 10 item 4):
 * a pair left out here is synced as before, its moves downloaded; then,
 * with plan-ahead, for the account's totals up front (issue 10 item 5). */
static void
find_moves (MailsyncAccount            *self,
            const MailsyncRunnerConfig *config,
            GPtrArray                  *remote_folders,
            GPtrArray                  *local_folders,
            GHashTable                 *refused)
{
  g_autoptr(GPtrArray) remotes = g_ptr_array_new ();
  g_autoptr(GPtrArray) locals = g_ptr_array_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) claimed = g_hash_table_new (g_str_hash, g_str_equal);
  char rsep = mailsync_repository_get_separator (self->remote);
  char lsep = mailsync_repository_get_separator (self->local);

  for (guint i = 0; i < remote_folders->len; i++)
    {
      MailsyncFolder *rf = remote_folders->pdata[i];
      const char *rname = mailsync_folder_get_name (rf);
      g_autofree char *lname = NULL;
      g_autofree char *sname = NULL;
      MailsyncFolder *lf;

      if (g_hash_table_contains (refused, rf) || !mailsync_repository_includes_folder (self->remote, rname) ||
          (lsep != '/' && lsep != rsep && strchr (rname, lsep) != NULL))
        continue;
      lname = _mailsync_names_local_name_for (self, rf);
      sname = _mailsync_names_status_name_for (self, rf);
      lf = _mailsync_names_find_folder (local_folders, lname);
      if (!_mailsync_names_name_is_safe (lname) || !_mailsync_names_status_name_is_safe (sname) || lf == NULL ||
          g_hash_table_contains (refused, lf) ||
          !mailsync_repository_includes_folder (self->local, mailsync_folder_get_name (lf)) ||
          g_hash_table_contains (claimed, sname))
        continue;
      g_ptr_array_add (remotes, rf);
      g_ptr_array_add (locals, lf);
      g_ptr_array_add (names, g_steal_pointer (&sname));
      g_hash_table_add (claimed, names->pdata[names->len - 1]);
    }
  mailsync_sync_runner_find_moves (config, remotes, locals, names);
  mailsync_sync_runner_plan_ahead (config, remotes, locals, names);
}

static Pair *
pair_new (PairQueue *queue, GPtrArray *pairs, PairKind kind, MailsyncFolder *remote)
{
  Pair *pair = g_new0 (Pair, 1);

  pair->queue = queue;
  pair->kind = kind;
  pair->remote = remote;
  g_ptr_array_add (pairs, pair);
  return pair;
}

/* What becomes of each remote folder, in the order of @remote_folders
 * (sorted): the checks need no server, so they are all made before the
 * first folder sync starts. */
static void
decide_pairs (MailsyncAccount *self,
              PairQueue       *queue,
              GPtrArray       *remote_folders,
              GPtrArray       *local_folders,
              GHashTable      *refused)
{
  g_autoptr(GHashTable) claimed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  char rsep = mailsync_repository_get_separator (self->remote);
  char lsep = mailsync_repository_get_separator (self->local);
  guint n_folders = 0, started = 0, after_last = 0;

  /* How many folders this sync takes up, for FOLDER_STARTED's "n of
   * total": a client extrapolates the account's ETA from it before the
   * last folder is planned. Folders that turn out to have no local
   * counterpart are counted too; the count is an upper bound. */
  for (guint i = 0; i < remote_folders->len; i++)
    if (!g_hash_table_contains (refused, remote_folders->pdata[i]) &&
        mailsync_repository_includes_folder (self->remote, mailsync_folder_get_name (remote_folders->pdata[i])))
      n_folders++;
  for (guint i = 0; i < remote_folders->len; i++)
    {
      MailsyncFolder *rf = remote_folders->pdata[i];
      const char *rname = mailsync_folder_get_name (rf);
      g_autofree char *lname = NULL;
      g_autofree char *sname = NULL;
      g_autoptr(GError) folder_error = NULL;
      MailsyncFolder *lf;
      Pair *pair;

      if (g_hash_table_contains (refused, rf))
        continue;
      lname = _mailsync_names_local_name_for (self, rf);
      sname = _mailsync_names_status_name_for (self, rf);
      if (!mailsync_repository_includes_folder (self->remote, rname))
        continue;
      /* (A name unsafe anyway, '.' or '..', gets that reason below.) */
      if (lsep != '/' && lsep != rsep && strchr (rname, lsep) != NULL && _mailsync_names_name_is_safe (lname))
        {
          /* offlineimap's words, but offlineimap only warns: the folder
           * is skipped, so this is that folder's error and the run exits
           * nonzero (issue 12 item 2). It claims no status name: the
           * folder whose name it would clash with syncs. */
          g_autofree char *escaped = g_strescape (rname, NULL);

          pair = pair_new (queue, queue->pairs, PAIR_REFUSE, rf);
          pair->error = g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME,
                                     "Ignoring folder '%s' due to unsupported '%c' character "
                                     "serving as local separator.", escaped, lsep);
          continue;
        }
      if (!_mailsync_names_name_is_safe (lname) || !_mailsync_names_status_name_is_safe (sname))
        {
          /* Escaped: a control character (a newline) in the name must not
           * break the one-line error nor reach the terminal raw. */
          g_autofree char *escaped = g_strescape (rname, NULL);

          g_set_error (&folder_error, MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME,
                       "Folder name '%s' is not safe to store locally (%s); skipping it", escaped,
                       _mailsync_names_unsafe_name_reason (_mailsync_names_name_is_safe (lname) ? sname : lname));
        }
      else if (g_hash_table_contains (claimed, sname))
        {
          g_set_error (&folder_error, MAILSYNC_ERROR, MAILSYNC_ERROR_CONFLICT,
                       "Folders '%s' and another remote folder map to the same name '%s'; skipping it",
                       rname, sname);
        }
      g_hash_table_add (claimed, g_strdup (sname));

      lf = _mailsync_names_find_folder (local_folders, lname);
      if (folder_error == NULL && lf == NULL)
        {
          /* Folder creation was off, or this is a dry run. */
          pair = pair_new (queue, queue->pairs, PAIR_SKIP, rf);
          pair->status_name = g_steal_pointer (&sname);
          continue;
        }
      if (lf != NULL && (g_hash_table_contains (refused, lf) ||
                         !mailsync_repository_includes_folder (self->local, mailsync_folder_get_name (lf))))
        continue;

      started++;
      pair = pair_new (queue, queue->pairs, PAIR_SYNC, rf);
      pair->local = lf;
      pair->local_name = g_steal_pointer (&lname);
      pair->status_name = g_steal_pointer (&sname);
      pair->error = g_steal_pointer (&folder_error);
      pair->n = started;
      pair->total = MAX (started, n_folders);
    }
  for (guint i = 0; i < queue->pairs->len; i++)
    {
      guint at = 0;

      if (g_ptr_array_find (remote_folders, ((Pair *) queue->pairs->pdata[i])->remote, &at))
        after_last = MAX (after_last, at + 1);
    }
  queue->folders_after = after_last < remote_folders->len;
}

gboolean
_mailsync_account_sync_pairs (MailsyncAccount *self,
                              GPtrArray       *remote_folders,
                              GPtrArray       *local_folders,
                              GHashTable      *refused,
                              GCancellable    *cancellable,
                              GError         **error)
{
  g_autoptr(GPtrArray) unchanged = mailsync_sync_runner_unchanged_new ();
  g_autoptr(GHashTable) remote_stamps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) listings = mailsync_sync_runner_listings_new ();
  g_autoptr(GHashTable) estimates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) pair_free);
  MailsyncRunnerConfig config = {
    .account_name = self->name,
    .status = self->status,
    .cancellable = cancellable,
    .max_in_flight = self->max_in_flight,
    .dry_run = self->dry_run,
    .quick = self->quick,
    .max_delete_ratio = self->max_delete_ratio,
    .max_age_days = self->max_age,
    .max_age_date = self->max_age_date,
    .max_size = self->max_size,
    .emit = _mailsync_account_emit_event,
    .emit_data = self,
    .progress = &self->progress,
    .lock = &self->progress_lock,
    .unchanged = unchanged,
    .remote_stamps = remote_stamps,
    .listings = listings,
    .plan_ahead = self->plan_ahead,
    .estimates = estimates,
  };
  PairQueue queue = { .self = self, .config = &config, .pairs = pairs };
  /* Refused folders were reported when they were found. */
  guint failed = g_hash_table_size (refused), validity_failed = 0, synced = 0;

  guint n_syncs;
  gboolean release_early = FALSE;

  g_mutex_init (&queue.lock);
  g_ptr_array_sort (remote_folders, compare_folders);
  decide_pairs (self, &queue, remote_folders, local_folders, refused);
  find_moves (self, &config, remote_folders, local_folders, refused);
  n_syncs = count_folder_syncs (self, pairs, &release_early);
  if (n_syncs > 1)
    run_concurrently (&queue, n_syncs, release_early);
  else
    run_pairs (&queue, NULL);
  g_mutex_clear (&queue.lock);

  /* The first repository error (a refused login) is the account's, as
   * when the folders ran one by one (the others' syncs were stopped by
   * it); then the counters, in the pairs' order: a pair never taken was
   * left for a cancel. */
  if (queue.stopped_by != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&queue.stopped_by->error));
      return FALSE;
    }
  /* A cancel during the last pair's sync that it did not see: the
   * folders passed over after it would each have seen it, one by one
   * (as before the pairs were decided first). */
  if (queue.folders_after && g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  for (guint i = 0; i < pairs->len; i++)
    {
      Pair *pair = pairs->pdata[i];

      if (!pair->ran)
        {
          if (!g_cancellable_set_error_if_cancelled (cancellable, error))
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The sync stopped");
          return FALSE;
        }
      if (pair->kind == PAIR_SKIP)
        continue;
      if (pair->error == NULL)
        {
          synced++;
          continue;
        }
      if (g_error_matches (pair->error, MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED))
        validity_failed++;
      else
        failed++;
    }
  mailsync_sync_runner_settle_estimates (&config);
  /* The folders that ended as both sides and the status, all at once:
   * by now most were synced long enough ago to need no wait. */
  mailsync_sync_runner_record_unchanged (&config);

  if (failed + validity_failed > 0)
    {
      /* UIDVALIDITY problems get their own code: offlineimap exits 2. */
      g_set_error (error, MAILSYNC_ERROR,
                   failed == 0 ? MAILSYNC_ERROR_UIDVALIDITY_CHANGED : MAILSYNC_ERROR_PARTIAL,
                   "Account %s: %u folder(s) failed, %u synced", self->name, failed + validity_failed, synced);
      return FALSE;
    }
  return TRUE;
}
