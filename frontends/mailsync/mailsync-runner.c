/* mailsync-runner.c: accounts, autorefresh, hooks and stop requests.
 *
 * Threads: one worker per running account (a GThreadPool limited to
 * maxsyncaccounts) calls the blocking mailsync_account_sync(), so the
 * library emits that account's events on the worker, in order.  The main
 * thread only runs the GMainLoop where signals arrive; it talks to the
 * workers through flags under one mutex and a condition variable that
 * ends autorefresh sleeps early. */
#include "config.h"

#include "mailsync-runner-private.h"
#include "mailsync-hooks.h"
#include "mailsync-lock.h"
#include "mailsync-profile.h"
#include "mailsync-ui-interaction.h"
#include "mailsync-ui-json.h"

#include <string.h>

static GPrivate current_thread_name;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->name);
  g_free (job->thread);
  g_clear_object (&job->account);
  g_clear_pointer (&job->profile, mailsync_profile_free);
  g_clear_pointer (&job->synced, g_ptr_array_unref);
  g_strfreev (job->idle_folders);
  g_clear_pointer (&job->idle_accounts, g_ptr_array_unref);
  g_clear_object (&job->cancellable);
  g_free (job->folder);
  g_free (job);
}

MailsyncRunner *
mailsync_runner_new (const MailsyncRunnerSetup *setup)
{
  MailsyncRunner *self = g_new0 (MailsyncRunner, 1);

  self->config = g_object_ref (setup->config);
  self->file = mailsync_config_get_file (setup->config);
  self->ui = g_object_ref (setup->ui);
  self->mbnames = setup->mbnames;
  self->folders = g_strdupv ((char **) setup->folders);
  self->metadata_dir = g_strdup (setup->metadata_dir);
  self->profile_dir = g_strdup (setup->profile_dir);
  self->dry_run = setup->dry_run;
  self->single_thread = setup->single_thread;
  self->jobs = g_ptr_array_new_with_free_func (job_free);
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  g_mutex_init (&self->create_mutex);
  {
    /* main.c showed the warnings of the file; those of the accounts'
     * options come while each account is built
     * (_mailsync_runner_create_account) */
    g_auto(GStrv) warnings = mailsync_config_get_warnings (self->config);

    self->warnings_shown = warnings ? g_strv_length (warnings) : 0;
  }
  for (guint i = 0; setup->accounts[i] != NULL; i++)
    {
      Job *job = g_new0 (Job, 1);

      job->runner = self;
      job->index = i;
      job->name = g_strdup (setup->accounts[i]);
      job->thread = g_strdup_printf ("Account sync %s", job->name);
      job->state = "waiting for a free account slot";
      job->synced = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (self->jobs, job);
    }
  return self;
}

void
mailsync_runner_free (MailsyncRunner *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->jobs);
  g_clear_object (&self->config);
  g_clear_object (&self->ui);
  g_strfreev (self->folders);
  g_free (self->metadata_dir);
  g_free (self->profile_dir);
  g_mutex_clear (&self->mutex);
  g_mutex_clear (&self->create_mutex);
  g_cond_clear (&self->cond);
  g_free (self);
}

/**
 * mailsync_runner_current_thread:
 *
 * Returns: offlineimap's name of the calling thread ("Account sync ACC"),
 *   or %NULL for the main thread; the IMAP debug log uses it
 */
const char *
mailsync_runner_current_thread (void)
{
  return g_private_get (&current_thread_name);
}

static void
set_state (Job *job, const char *state)
{
  g_mutex_lock (&job->runner->mutex);
  job->state = state;
  g_mutex_unlock (&job->runner->mutex);
}

static guint
stop_level (MailsyncRunner *self)
{
  guint level;

  g_mutex_lock (&self->mutex);
  level = self->stop_level;
  g_mutex_unlock (&self->mutex);
  return level;
}

/* ---- events of the account (on its worker thread) -------------------- */

static SyncResult classify (const GError *error);
static gboolean login_error (const GError *error);
static void after_sync (Job *job, SyncResult result);

/* Builds the job's account and shows the warnings its options raised
 * ("foldersort ... ignored"): the config collects them as it reads each
 * option, so they only exist once the account is built.  One account at
 * a time: MailsyncConfig takes no lock around its warning list. */
MailsyncAccount *
_mailsync_runner_create_account (Job *job, GError **error)
{
  MailsyncRunner *self = job->runner;
  MailsyncAccount *account;
  g_auto(GStrv) warnings = NULL;

  g_mutex_lock (&self->create_mutex);
  account = mailsync_config_create_account (self->config, job->name, NULL, error);
  if (account != NULL)
    {
      /* A refused password is asked again through the UI's prompt. */
      g_autoptr(MailsyncInteraction) interaction = mailsync_ui_interaction_new (self->ui, job->name);

      mailsync_repository_set_interaction (mailsync_account_get_remote (account), interaction);
      mailsync_repository_set_interaction (mailsync_account_get_local (account), interaction);
    }
  warnings = mailsync_config_get_warnings (self->config);
  for (guint i = self->warnings_shown; warnings != NULL && warnings[i] != NULL; i++)
    {
      mailsync_ui_warn (self->ui, job->thread, "%s", warnings[i]);
      self->warnings_shown = i + 1;
    }
  g_mutex_unlock (&self->create_mutex);
  return account;
}

static void
on_event (MailsyncAccount *account, MailsyncSyncEvent *event, gpointer user_data)
{
  Job *job = user_data;
  MailsyncRunner *self = job->runner;
  MailsyncSyncEventKind kind = mailsync_sync_event_get_kind (event);

  /* any folder the sync took up (started, skipped, failed, UIDVALIDITY);
   * creating one while comparing the structures is not syncing it */
  if (mailsync_sync_event_get_folder (event) != NULL && kind != MAILSYNC_SYNC_EVENT_FOLDER_CREATED
      && kind != MAILSYNC_SYNC_EVENT_STATUS_CREATED && kind != MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED
      && kind != MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED && kind != MAILSYNC_SYNC_EVENT_CONNECTING
      && kind != MAILSYNC_SYNC_EVENT_SYNC_FOLDERS && kind != MAILSYNC_SYNC_EVENT_DEBUG
      && kind != MAILSYNC_SYNC_EVENT_WARNING)
    job->folders_seen++;
  if (kind == MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED)
    {
      SyncResult result = classify (mailsync_sync_event_get_error (event));

      /* offlineimap fails an account whose filters (or -f) leave no folder
       * to sync, so that a typo does not pass for a sync with nothing new. */
      if (result == RESULT_OK && job->folders_seen == 0 && stop_level (self) == 0)
        {
          mailsync_ui_error (self->ui, job->thread, "ERROR: Account %s: no folder to sync (folderfilter issue?)",
                             job->name);
          job->no_folder = TRUE;
          result = RESULT_FAILED;
        }
      after_sync (job, result);
    }
  mailsync_ui_event (self->ui, event);

  /* offlineimap runs presynchook after "*** Processing account" and
   * before connecting: that is this event, on the account's thread. */
  if (kind == MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED)
    {
      if (job->profile != NULL)
        mailsync_profile_phase_begin (job->profile, "presynchook");
      if (job->presync != NULL && stop_level (self) == 0)
        {
          set_state (job, "running presynchook");
          mailsync_hook_run (self->ui, job->thread, job->presync, job->mode, self->dry_run);
          set_state (job, "syncing");
        }
      if (job->profile != NULL)
        mailsync_profile_phase_end (job->profile);
    }
  if (job->profile != NULL)
    mailsync_profile_event (job->profile, event);

  if (kind == MAILSYNC_SYNC_EVENT_FOLDER_STARTED)
    {
      g_ptr_array_add (job->synced, g_strdup (mailsync_sync_event_get_folder (event)));
      g_mutex_lock (&self->mutex);
      job->in_folder = TRUE;
      g_free (job->folder);
      job->folder = g_strdup (mailsync_sync_event_get_folder (event));
      g_mutex_unlock (&self->mutex);
    }
  else if (kind == MAILSYNC_SYNC_EVENT_FOLDER_FINISHED)
    {
      /* The folder boundary: a stop request waits for it, so that a
       * SIGTERM never leaves a folder half synced. */
      g_autoptr(GCancellable) stop = NULL;

      /* A folder's connection whose login was refused or left unanswered
       * counts whatever the account's error is: that is the first failed
       * folder's in the pairs' order, maybe another connection's and
       * another error (review25 M2). */
      if (login_error (mailsync_sync_event_get_error (event)))
        job->login_failed = TRUE;

      g_mutex_lock (&self->mutex);
      job->in_folder = FALSE;
      if (self->stop_level > 0 && job->cancellable != NULL)
        stop = g_object_ref (job->cancellable);
      g_mutex_unlock (&self->mutex);
      /* outside the lock: cancellation handlers may report events */
      if (stop != NULL)
        g_cancellable_cancel (stop);
    }
}

/* ---- -f -------------------------------------------------------------- */

static gboolean
folder_in_list (const char *name, gpointer user_data)
{
  return g_strv_contains (user_data, name);
}

/* ---- one sync of one account ----------------------------------------- */

static SyncResult
classify (const GError *error)
{
  if (error == NULL)
    return RESULT_OK;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return RESULT_STOPPED;
  if (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_PARTIAL)
      || g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED))
    return RESULT_OK;   /* each folder's error was an event already */
  return RESULT_FAILED;   /* the UI shows it from ACCOUNT_FINISHED */
}

/* A login refused, or left unanswered (the IMAP repository's error that
 * ends its sync's logins): the next IDLE must not log in again. */
static gboolean
login_error (const GError *error)
{
  return g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_AUTHENTICATION_FAILED) ||
         g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_AUTHENTICATION_FAILED);
}

/* What follows a sync of the account: its mbnames and its postsynchook.
 * offlineimap runs them before it prints "*** Finished account", so this
 * runs from that event, before the UI sees it. */
static void
after_sync (Job *job, SyncResult result)
{
  MailsyncRunner *self = job->runner;

  if (job->post_done)
    return;
  job->post_done = TRUE;
  if (result != RESULT_FAILED)
    _mailsync_runner_write_mbnames (job);
  if (result == RESULT_OK && job->postsync != NULL && stop_level (self) == 0)
    {
      if (job->profile)
        mailsync_profile_phase_begin (job->profile, "postsynchook");
      set_state (job, "running postsynchook");
      mailsync_hook_run (self->ui, job->thread, job->postsync, job->mode, self->dry_run);
      set_state (job, "syncing");
      if (job->profile)
        mailsync_profile_phase_end (job->profile);
    }
}

static SyncResult
sync_once (Job *job, const char *mode, const char *presync, const char *postsync)
{
  MailsyncRunner *self = job->runner;
  g_autoptr(MailsyncLock) lock = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  SyncResult result;
  gboolean ok;

  set_state (job, "locking");
  job->login_failed = FALSE;
  lock = mailsync_lock_acquire (self->metadata_dir, job->name, &error);
  if (lock == NULL)
    {
      mailsync_ui_error (self->ui, job->thread, "ERROR: %s", error->message);
      return RESULT_FAILED;
    }

  /* the presynchook runs from the ACCOUNT_STARTED event (on_event) */
  job->presync = presync;
  job->postsync = postsync;
  job->post_done = FALSE;
  job->folders_seen = 0;
  job->no_folder = FALSE;
  job->mode = mode;
  g_ptr_array_set_size (job->synced, 0);
  g_mutex_lock (&self->mutex);
  if (self->stop_level > 0)
    {
      g_mutex_unlock (&self->mutex);
      set_state (job, "unlocking");
      return RESULT_STOPPED;
    }
  job->state = "syncing";
  job->cancellable = g_object_ref (cancellable);
  g_mutex_unlock (&self->mutex);

  /* A quick sync reports folders with nothing to do as skipped
   * (MailsyncAccount:quick, doc/design.md). */
  mailsync_account_set_quick (job->account, g_strcmp0 (mode, "quick") == 0);
  /* -u json is for programs that draw progress: the account's totals up
   * front (ACCOUNT_PLANNED, mailsyncui(7)); the text UIs do without the
   * extra listings. */
  mailsync_account_set_plan_ahead (job->account, MAILSYNC_IS_UI_JSON (self->ui));
  ok = mailsync_account_sync (job->account, cancellable, &error);

  g_mutex_lock (&self->mutex);
  g_clear_object (&job->cancellable);
  job->in_folder = FALSE;
  g_clear_pointer (&job->folder, g_free);
  g_mutex_unlock (&self->mutex);

  result = job->no_folder ? RESULT_FAILED : ok ? RESULT_OK : classify (error);
  /* (or a folder's, seen from its FOLDER_FINISHED event: on_event) */
  if (result == RESULT_FAILED && login_error (error))
    job->login_failed = TRUE;
  after_sync (job, result);   /* if no ACCOUNT_FINISHED event ran it */
  set_state (job, "unlocking");
  return result;
}

/* Sleeps @seconds in offlineimap's 10 s slices (the UIs show them), but
 * wakes at once on a request.  Returns 0 at the end of the time, 1 when
 * asked to sync now, 2 when asked to stop. */
static int
sleep_between_syncs (Job *job, guint seconds)
{
  MailsyncRunner *self = job->runner;
  guint remaining = seconds;
  int why = 0;

  g_mutex_lock (&self->mutex);
  job->state = "sleeping";
  while (remaining > 0)
    {
      guint slice = MIN (10, remaining);
      gint64 deadline;

      if (job->skip_sleep)
        {
          job->skip_sleep = FALSE;
          why = 1;
          break;
        }
      if (self->stop_level > 0 || self->finish)
        {
          why = 2;
          break;
        }
      g_mutex_unlock (&self->mutex);
      mailsync_ui_sleeping (self->ui, job->name, slice, remaining);
      g_mutex_lock (&self->mutex);
      deadline = g_get_monotonic_time () + slice * G_USEC_PER_SEC;
      while (!job->skip_sleep && self->stop_level == 0 && !self->finish)
        if (!g_cond_wait_until (&self->cond, &self->mutex, deadline))
          break;
      if (job->skip_sleep || self->stop_level > 0 || self->finish)
        continue;
      remaining -= slice;
    }
  g_mutex_unlock (&self->mutex);
  mailsync_ui_sleeping (self->ui, job->name, 0, 0);
  return why;
}

static char *
get_optional_string (MailsyncConfigFile *file, const char *section, const char *key, GError **error)
{
  if (!mailsync_config_file_has_key (file, section, key))
    return NULL;
  return mailsync_config_file_get_string (file, section, key, error);
}

/* Options of the remote repository that need the library's help between
 * syncs: what is missing is said, not silently ignored. */
static gboolean
check_between_sync_options (Job *job, GError **error)
{
  MailsyncRunner *self = job->runner;
  g_autofree char *account_section = g_strconcat ("Account ", job->name, NULL);
  g_autofree char *remote = get_optional_string (self->file, account_section, "remoterepository", NULL);
  g_autofree char *section = NULL;
  gboolean hold = FALSE;
  gint64 keepalive = 0;

  if (remote == NULL)
    return TRUE;
  section = g_strconcat ("Repository ", remote, NULL);
  if (mailsync_config_file_has_key (self->file, section, "idlefolders"))
    {
      g_auto(GStrv) folders = mailsync_config_eval_list (self->config, section, "idlefolders", error);

      if (folders == NULL)
        return FALSE;
      if (folders[0] != NULL)
        job->idle_folders = g_steal_pointer (&folders);
    }
  /* Only checked here: the library's account holds the connection open
   * and sends the keepalive NOOPs (the IMAP repository's
   * hold-connection-open and keepalive). */
  if (!mailsync_config_file_get_boolean (self->file, section, "holdconnectionopen", FALSE, &hold, error)
      || !mailsync_config_file_get_int64 (self->file, section, "keepalive", 0, &keepalive, error))
    return FALSE;
  return TRUE;
}

static void
run_account (Job *job)
{
  MailsyncRunner *self = job->runner;
  g_autoptr(GError) error = NULL;
  g_autofree char *section = g_strconcat ("Account ", job->name, NULL);
  g_autofree char *presync = NULL;
  g_autofree char *postsync = NULL;
  double autorefresh = 0;
  gint64 quick_num = 0;
  guint quick_count = 0;
  guint looping = 3;
  const char *mode = NULL;

  if (!mailsync_config_file_get_double (self->file, section, "autorefresh", 0, &autorefresh, &error)
      || !mailsync_config_file_get_int64 (self->file, section, "quick", 0, &quick_num, &error))
    goto fail;
  if (autorefresh < 0)
    {
      mailsync_ui_warn (self->ui, job->thread, "autorefresh for account %s must be positive; ignoring it", job->name);
      autorefresh = 0;
    }
  presync = get_optional_string (self->file, section, "presynchook", &error);
  if (error != NULL)
    goto fail;
  postsync = get_optional_string (self->file, section, "postsynchook", &error);
  if (error != NULL)
    goto fail;
  if (!check_between_sync_options (job, &error))
    goto fail;

  job->account = _mailsync_runner_create_account (job, &error);
  if (job->account == NULL)
    goto fail;
  if (self->dry_run)
    mailsync_account_set_dry_run (job->account, TRUE);
  if (self->folders != NULL)
    mailsync_repository_set_folder_filter (mailsync_account_get_remote (job->account), folder_in_list,
                                           g_strdupv (self->folders), (GDestroyNotify) g_strfreev);
  g_signal_connect (job->account, "event", G_CALLBACK (on_event), job);

  while (looping > 0)
    {
      gboolean quick = quick_num < 0 || (quick_num > 0 && quick_count != 0);
      SyncResult result;
      int woken;

      if (quick_num > 0)
        quick_count = (quick_count + 1) % (guint) (quick_num + 1);
      result = sync_once (job, mode ? mode : quick ? "quick" : "full", presync, postsync);
      mode = NULL;
      if (result == RESULT_FAILED)
        looping--;
      else
        looping = 3;
      if (result == RESULT_STOPPED || autorefresh <= 0 || looping == 0)
        break;
      /* IDLE logs in (each idle folder's connection): not right after a
       * sync whose login failed, or was left unanswered, which would
       * send the password again within seconds (review24 M-B). */
      if (job->idle_folders != NULL && job->login_failed)
        mailsync_ui_info (self->ui, job->thread,
                          "The sync's login failed: sleeping without IDLE until the next sync");
      if (job->idle_folders != NULL && !job->login_failed)
        woken = _mailsync_runner_idle_sleep (job, (guint) (autorefresh * 60 + 0.5));
      else
        woken = sleep_between_syncs (job, (guint) (autorefresh * 60 + 0.5));
      switch (woken)
        {
        case 1:
          quick_count = 0;   /* a sync asked for by SIGUSR1 is a full one */
          break;
        case 2:
          looping = 0;
          break;
        case 3:
          mode = "idle";     /* offlineimap 8.0.1's OFFLINEIMAPSYNCMODE */
          quick_count = 0;
          break;
        default:
          break;
        }
    }
  return;

fail:
  mailsync_ui_error (self->ui, job->thread, "ERROR: %s", error->message);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
job_thread (gpointer data, gpointer user_data)
{
  Job *job = data;
  MailsyncRunner *self = user_data;
  gboolean last;

  g_private_set (&current_thread_name, job->thread);
  if (self->profile_dir != NULL)
    job->profile = mailsync_profile_new (job->name);
  /* an account still queued for a slot when a stop came never starts */
  if (stop_level (self) == 0)
    run_account (job);
  if (job->profile != NULL)
    {
      g_autoptr(GError) error = NULL;

      mailsync_profile_set_account (job->profile, job->account);
      if (!mailsync_profile_write (job->profile, self->profile_dir, &error))
        mailsync_ui_error (self->ui, job->thread, "ERROR: %s", error->message);
    }
  g_clear_pointer (&job->idle_accounts, g_ptr_array_unref);
  g_clear_object (&job->account);   /* closes its connections now */
  g_private_set (&current_thread_name, NULL);

  g_mutex_lock (&self->mutex);
  job->state = "done";
  last = --self->remaining == 0;
  g_mutex_unlock (&self->mutex);
  /* An idle source, not g_main_context_invoke(): from a worker whose
   * thread-default context is the global one, invoke() would run
   * quit_loop() here at once if the main thread has not entered
   * g_main_loop_run() yet, and that run would then never end. */
  if (last)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, quit_loop, g_main_loop_ref (self->loop), (GDestroyNotify) g_main_loop_unref);
      g_source_attach (source, NULL);
      g_source_unref (source);
    }
}

/**
 * mailsync_runner_run:
 * @self: a runner
 *
 * Syncs every account (autorefresh: until a stop request) while the
 * calling thread, the main one, runs the default main context.
 */
void
mailsync_runner_run (MailsyncRunner *self)
{
  g_autoptr(GError) error = NULL;
  GThreadPool *pool;
  gint64 max_accounts = 1;

  if (self->jobs->len == 0)
    return;
  if (!mailsync_config_file_get_int64 (self->file, "general", "maxsyncaccounts", 1, &max_accounts, &error))
    {
      mailsync_ui_error (self->ui, NULL, "ERROR: %s", error->message);
      return;
    }
  if (self->single_thread || max_accounts < 1)
    max_accounts = 1;
  self->loop = g_main_loop_new (NULL, FALSE);
  self->remaining = self->jobs->len;
  pool = g_thread_pool_new (job_thread, self, (int) MIN (max_accounts, (gint64) self->jobs->len), TRUE, NULL);
  for (guint i = 0; i < self->jobs->len; i++)
    g_thread_pool_push (pool, self->jobs->pdata[i], NULL);
  g_main_loop_run (self->loop);
  g_thread_pool_free (pool, FALSE, TRUE);
  g_clear_pointer (&self->loop, g_main_loop_unref);
}

/**
 * mailsync_runner_sync_now:
 * @self: a runner
 * @account_index: the account (order of the active accounts), -1 for all
 *
 * SIGUSR1 or a blinkenlights digit: end the autorefresh sleep now.
 */
void
mailsync_runner_sync_now (MailsyncRunner *self, int account_index)
{
  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->jobs->len; i++)
    if (account_index < 0 || (guint) account_index == i)
      {
        ((Job *) self->jobs->pdata[i])->skip_sleep = TRUE;
        _mailsync_runner_wake_idle (self->jobs->pdata[i]);
      }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

/**
 * mailsync_runner_finish:
 * @self: a runner
 *
 * SIGUSR2/SIGABRT: each account ends after its current sync.
 */
void
mailsync_runner_finish (MailsyncRunner *self)
{
  g_mutex_lock (&self->mutex);
  self->finish = TRUE;
  for (guint i = 0; i < self->jobs->len; i++)
    _mailsync_runner_wake_idle (self->jobs->pdata[i]);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

/**
 * mailsync_runner_stop:
 * @self: a runner
 *
 * SIGTERM/SIGINT/SIGHUP: the first request stops each account at its
 * next folder boundary (no hook runs after it); the second cancels the
 * folders in progress too.
 *
 * Returns: how many stop requests were made, this one included
 */
guint
mailsync_runner_stop (MailsyncRunner *self)
{
  g_autoptr(GPtrArray) to_cancel = g_ptr_array_new_with_free_func (g_object_unref);
  guint level;

  g_mutex_lock (&self->mutex);
  level = ++self->stop_level;
  for (guint i = 0; i < self->jobs->len; i++)
    {
      Job *job = self->jobs->pdata[i];

      if (job->cancellable != NULL && (level >= 2 || !job->in_folder))
        g_ptr_array_add (to_cancel, g_object_ref (job->cancellable));
      _mailsync_runner_wake_idle (job);
    }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
  /* outside the lock: cancellation handlers run in this thread */
  for (guint i = 0; i < to_cancel->len; i++)
    g_cancellable_cancel (to_cancel->pdata[i]);
  return level;
}

/**
 * mailsync_runner_dump:
 * @self: a runner
 * @stream: where to write
 *
 * SIGQUIT: where each account is.  Reads the state without waiting for
 * the lock, since a deadlock is a reason to send SIGQUIT.
 */
void
mailsync_runner_dump (MailsyncRunner *self, FILE *stream)
{
  gboolean locked = g_mutex_trylock (&self->mutex);

  fprintf (stream, "mailsync: state of %u account(s)%s:\n", self->jobs->len,
           locked ? "" : " (runner lock busy, values may be torn)");
  for (guint i = 0; i < self->jobs->len; i++)
    {
      Job *job = self->jobs->pdata[i];

      fprintf (stream, "  %s: %s%s%s%s\n", job->thread, job->state, job->in_folder ? ", folder '" : "",
               job->in_folder && job->folder ? job->folder : "", job->in_folder ? "'" : "");
    }
  fflush (stream);
  if (locked)
    g_mutex_unlock (&self->mutex);
}
