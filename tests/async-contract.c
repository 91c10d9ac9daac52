/* The async contract of libmailsync (issue 9), as a mail client relies on
 * it, against a real Dovecot behind a delay proxy. Run by
 * check-async-contract.py, which starts both and passes them in the
 * environment (DOVECOT_HOST, CONTRACT_PROXY_PORT, DOVECOT_CA,
 * DOVECOT_USER, DOVECOT_PASS, CONTRACT_WORK, CONTRACT_RTT_MS,
 * CONTRACT_MESSAGES). Prints TAP.
 *
 * What is checked, for open, list_folders, list_messages, fetch, append
 * and sync:
 *  - the _async call returns before its callback runs, without
 *    dispatching any source of the caller's context (deterministic: a
 *    source made ready before the call must still be pending after it),
 *    and in less than one round trip of the proxy;
 *  - the callback runs on the caller's thread, from its context;
 * and: an overlapping sync fails with G_IO_ERROR_PENDING while the first
 * completes and leaves one file per server message; the sync API works
 * from a thread with no loop; a repository nobody opened lists; a client's
 * open survives an account's sync; cancelling a sync at many points and
 * syncing again converges with no duplicates; the caller's 10 ms timer
 * keeps running during a large sync. */
#include "config.h"

#include <libmailsync/mailsync.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks;
static int failures;

static void
check (gboolean ok, const char *label, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
check (gboolean ok, const char *label, const char *fmt, ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, fmt);
  detail = fmt ? g_strdup_vprintf (fmt, args) : NULL;
  va_end (args);
  checks++;
  if (!ok)
    failures++;
  printf ("%s %d - %s%s%s\n", ok ? "ok" : "not ok", checks, label, detail && !ok ? ": " : "",
          detail && !ok ? detail : "");
  fflush (stdout);
}

static gint64 rtt_us;
static GThread *main_thread;

/* ---- one call under the microscope --------------------------------------------- */

typedef struct
{
  GAsyncResult *result;
  gboolean on_caller_thread;
  gboolean from_caller_context;
} Outcome;

static void
outcome_clear (Outcome *o)
{
  g_clear_object (&o->result);
}

static void
record (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  o->result = g_object_ref (result);
  o->on_caller_thread = g_thread_self () == main_thread;
  o->from_caller_context = g_main_context_is_owner (g_main_context_default ());
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef void (*StartFunc) (gpointer data, Outcome *outcome);

/* Calls @start (which starts one _async call with record() and @outcome),
 * checks how it returned, then runs the default context until the result
 * is there. */
static GAsyncResult *
observe (const char *what, StartFunc start, gpointer data, Outcome *outcome)
{
  gboolean dispatched = FALSE;
  gint64 t0, elapsed;
  g_autofree char *label = NULL;
  guint idle;

  /* A source of the caller's that is ready: an _async call that iterated
   * the caller's context would dispatch it.  A call that waited for the
   * server took at least one round trip through the delay proxy; anything
   * shorter is scheduling, which a loaded machine stretches (so the bound
   * is the round trip itself, not a fraction of it). */
  idle = g_idle_add (set_flag, &dispatched);
  t0 = g_get_monotonic_time ();
  start (data, outcome);
  elapsed = g_get_monotonic_time () - t0;
  label = g_strdup_printf ("%s_async returns at once, dispatching nothing of the caller's", what);
  check (!dispatched && outcome->result == NULL && elapsed < rtt_us, label,
         "dispatched=%d callback-ran=%d elapsed=%" G_GINT64_FORMAT " ms (round trip %" G_GINT64_FORMAT " ms)",
         dispatched, outcome->result != NULL, elapsed / 1000, rtt_us / 1000);
  if (!dispatched)
    g_source_remove (idle);
  while (outcome->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_free (label);
  label = g_strdup_printf ("%s: the callback runs on the caller's thread and context", what);
  check (outcome->on_caller_thread && outcome->from_caller_context, label, NULL);
  return outcome->result;
}

/* ---- the repositories ----------------------------------------------------------- */

static MailsyncRepository *
new_remote_at (const char *name, const char *port, const char *user, const char *password)
{
  MailsyncRepository *remote = mailsync_imap_repository_new (name, g_getenv ("DOVECOT_HOST"), (guint16) atoi (port));

  g_object_set (remote, "ssl", FALSE, "starttls", TRUE, "user", user, "password", password,
                "ca-file", g_getenv ("DOVECOT_CA"), "timeout", 120u, NULL);
  return remote;
}

/* Through the delay proxy. */
static MailsyncRepository *
new_remote_for (const char *name, const char *user, const char *password)
{
  return new_remote_at (name, g_getenv ("CONTRACT_PROXY_PORT"), user, password);
}

static MailsyncRepository *
new_remote (const char *name)
{
  return new_remote_for (name, g_getenv ("DOVECOT_USER"), g_getenv ("DOVECOT_PASS"));
}

static char *
work_path (const char *name)
{
  return g_build_filename (g_getenv ("CONTRACT_WORK"), name, NULL);
}

static MailsyncAccount *
new_account (MailsyncRepository *remote, const char *name)
{
  g_autofree char *mail = work_path (name);
  g_autofree char *meta_name = g_strconcat (name, "-status", NULL);
  g_autofree char *meta = work_path (meta_name);
  g_autoptr(MailsyncRepository) local = mailsync_maildir_repository_new ("Local", mail, '.');
  g_autoptr(MailsyncStatusStore) status = mailsync_status_sqlite_new (meta);

  g_mkdir_with_parents (mail, 0700);
  return mailsync_account_new (name, remote, local, status);
}

/* How many files INBOX has in cur/ and new/ of the account's Maildir, and
 * how many distinct Message-ID lines they hold. */
static void
count_inbox (const char *account, guint *files, guint *distinct)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *mail = work_path (account);
  static const char *const subdirs[] = { "cur", "new" };

  *files = 0;
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (mail, "INBOX", subdirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *file;

      while (dir != NULL && (file = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *file_path = g_build_filename (path, file, NULL);
          g_autofree char *text = NULL;
          const char *id;

          (*files)++;
          if (g_file_get_contents (file_path, &text, NULL, NULL) && (id = strstr (text, "Message-ID:")) != NULL)
            g_hash_table_add (ids, g_strndup (id, strcspn (id, "\r\n")));
        }
    }
  *distinct = g_hash_table_size (ids);
}

/* Every server message once, nothing else. */
static gboolean
inbox_matches (const char *account, guint expected, char **detail)
{
  guint files, distinct;

  count_inbox (account, &files, &distinct);
  *detail = g_strdup_printf ("%u files, %u distinct Message-IDs, %u on the server", files, distinct, expected);
  return files == expected && distinct == expected;
}

/* ---- the calls -------------------------------------------------------------------- */

static void
start_open (gpointer data, Outcome *o)
{
  mailsync_repository_open_async (data, NULL, record, o);
}

static void
start_list_folders (gpointer data, Outcome *o)
{
  mailsync_repository_list_folders_async (data, NULL, record, o);
}

static void
start_list_messages (gpointer data, Outcome *o)
{
  mailsync_folder_list_messages_async (data, NULL, record, o);
}

typedef struct
{
  MailsyncFolder *folder;
  MailsyncMessageInfo *info;
  GInputStream *content;
} MessageCall;

static void
start_fetch (gpointer data, Outcome *o)
{
  MessageCall *call = data;

  mailsync_folder_fetch_message_async (call->folder, call->info, NULL, record, o);
}

static void
start_append (gpointer data, Outcome *o)
{
  MessageCall *call = data;

  mailsync_folder_append_message_async (call->folder, call->info, call->content, NULL, record, o);
}

static void
start_sync (gpointer data, Outcome *o)
{
  mailsync_account_sync_async (data, NULL, record, o);
}

static MailsyncFolder *
find_folder (GPtrArray *folders, const char *name)
{
  for (guint i = 0; folders != NULL && i < folders->len; i++)
    if (strcmp (mailsync_folder_get_name (folders->pdata[i]), name) == 0)
      return folders->pdata[i];
  return NULL;
}

/* ---- the sync API from a thread with no loop ------------------------------------- */

typedef struct
{
  MailsyncFolder *folder;
  guint listed;
  char *error;
} ThreadCall;

static gpointer
list_in_thread (gpointer data)
{
  ThreadCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = mailsync_folder_list_messages (call->folder, NULL, &error);

  if (messages == NULL)
    call->error = g_strdup (error->message);
  else
    call->listed = messages->len;
  return NULL;
}

/* ---- the timer -------------------------------------------------------------------- */

typedef struct
{
  gint64 last;
  gint64 last_waited;
  gint64 worst;
  gint64 worst_gap;
  guint ticks;
} Ticker;

/* How long (µs) this thread has waited, runnable, for a CPU
 * (/proc/thread-self/schedstat), or -1 where the kernel does not say. */
static gint64
runqueue_wait (void)
{
  g_autofree char *text = NULL;
  guint64 on_cpu, waited;

  if (!g_file_get_contents ("/proc/thread-self/schedstat", &text, NULL, NULL) ||
      sscanf (text, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &on_cpu, &waited) != 2)
    return -1;
  return (gint64) (waited / 1000);
}

/* A stall is a gap between two ticks less the time the thread waited for
 * a CPU in it: what the library did on the caller's thread (ran, or
 * blocked in I/O) counts, what a loaded machine did to the process does
 * not, so the check does not depend on the machine's speed or load (a
 * clean-clone run at load 28 saw 1.2 s raw gaps). */
static gboolean
tick (gpointer data)
{
  Ticker *t = data;
  gint64 now = g_get_monotonic_time ();
  gint64 waited = runqueue_wait ();

  if (t->last != 0)
    {
      gint64 gap = now - t->last;
      gint64 stall = gap;

      if (waited >= 0 && t->last_waited >= 0)
        stall -= waited - t->last_waited;
      t->worst = MAX (t->worst, stall);
      t->worst_gap = MAX (t->worst_gap, gap);
    }
  t->last = now;
  t->last_waited = waited;
  t->ticks++;
  return G_SOURCE_CONTINUE;
}

/* ---- cancelling ------------------------------------------------------------------- */

typedef struct
{
  GCancellable *cancellable;
  guint events;
  guint cancel_after;
} CancelAt;

static void
count_event (MailsyncAccount *account, MailsyncSyncEvent *event, gpointer user_data)
{
  CancelAt *at = user_data;

  if (++at->events == at->cancel_after)
    g_cancellable_cancel (at->cancellable);
}

/* ---- the account's events ---------------------------------------------------------- */

typedef struct
{
  Outcome *sync;          /* the sync whose callback must come last */
  guint events;
  guint copied;
  guint off_thread;       /* events emitted on another thread */
  guint after_callback;   /* events emitted once the callback had run */
} EventLog;

static void
log_event (MailsyncAccount *account, MailsyncSyncEvent *event, gpointer user_data)
{
  EventLog *log = user_data;

  log->events++;
  if (mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_MESSAGE_COPIED)
    log->copied++;
  if (g_thread_self () != main_thread)
    log->off_thread++;
  if (log->sync->result != NULL)
    log->after_callback++;
}

static gboolean
sync_blocking (MailsyncAccount *account, GCancellable *cancellable, GError **error)
{
  Outcome o = { 0, };
  gboolean ok;

  mailsync_account_sync_async (account, cancellable, record, &o);
  while (o.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  ok = mailsync_account_sync_finish (account, o.result, error);
  outcome_clear (&o);
  return ok;
}

int
main (int argc, char **argv)
{
  g_autoptr(MailsyncRepository) remote = NULL;
  g_autoptr(MailsyncRepository) fresh = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(MailsyncMessageInfo) stored = NULL;
  MailsyncFolder *inbox;
  Outcome o = { 0, };
  Outcome second = { 0, };
  guint expected = (guint) atoi (g_getenv ("CONTRACT_MESSAGES") ? g_getenv ("CONTRACT_MESSAGES") : "0");
  Ticker ticker = { 0, };
  guint timer;
  gboolean ok;

  main_thread = g_thread_self ();
  rtt_us = (gint64) atoi (g_getenv ("CONTRACT_RTT_MS") ? g_getenv ("CONTRACT_RTT_MS") : "200") * 1000;

  /* A repository nobody opened lists its folders (it opens itself). */
  fresh = new_remote ("Fresh");
  {
    GAsyncResult *r = observe ("list_folders (not opened)", start_list_folders, fresh, &o);
    g_autoptr(GPtrArray) listed = mailsync_repository_list_folders_finish (fresh, r, &error);

    check (listed != NULL && find_folder (listed, "INBOX") != NULL, "a repository nobody opened lists its folders",
           "%s", error ? error->message : "no INBOX");
    g_clear_error (&error);
    outcome_clear (&o);
  }
  g_clear_object (&fresh);

  remote = new_remote ("Remote");
  observe ("open", start_open, remote, &o);
  ok = mailsync_repository_open_finish (remote, o.result, &error);
  check (ok, "open succeeds", "%s", error ? error->message : "");
  if (!ok)
    goto done;
  outcome_clear (&o);

  observe ("list_folders", start_list_folders, remote, &o);
  folders = mailsync_repository_list_folders_finish (remote, o.result, &error);
  outcome_clear (&o);
  inbox = find_folder (folders, "INBOX");
  check (inbox != NULL, "INBOX listed", "%s", error ? error->message : "");
  if (inbox == NULL)
    goto done;

  observe ("list_messages", start_list_messages, inbox, &o);
  messages = mailsync_folder_list_messages_finish (inbox, o.result, &error);
  outcome_clear (&o);
  check (messages != NULL && messages->len == expected, "list_messages sees every message",
         "%u of %u: %s", messages ? messages->len : 0, expected, error ? error->message : "");
  if (messages == NULL || messages->len == 0)
    goto done;

  {
    MessageCall call = { inbox, messages->pdata[0], NULL };

    observe ("fetch_message", start_fetch, &call, &o);
    body = mailsync_folder_fetch_message_finish (inbox, o.result, &error);
    outcome_clear (&o);
    check (body != NULL, "fetch_message returns the body", "%s", error ? error->message : "");
  }

  {
    g_autoptr(GPtrArray) sent_folders = NULL;
    static const char text[] = "From: contract@example.org\r\nSubject: appended\r\n"
                               "Message-ID: <appended@contract>\r\n\r\nbody\r\n";
    g_autoptr(MailsyncMessageInfo) info = mailsync_message_info_new (0, NULL, MAILSYNC_FLAG_SEEN, NULL,
                                                                    sizeof text - 1, 0);
    g_autoptr(GInputStream) content = g_memory_input_stream_new_from_data (text, sizeof text - 1, NULL);
    MailsyncFolder *archive;

    sent_folders = mailsync_repository_list_folders (remote, NULL, &error);
    archive = find_folder (sent_folders, "Archive");
    check (archive != NULL, "the sync API lists folders", "%s", error ? error->message : "no Archive");
    if (archive != NULL)
      {
        MessageCall call = { archive, info, content };

        observe ("append_message", start_append, &call, &o);
        stored = mailsync_folder_append_message_finish (archive, o.result, &error);
        outcome_clear (&o);
        check (stored != NULL && mailsync_message_info_get_uid (stored) > 0, "append_message returns the new UID",
               "%s", error ? error->message : "");
      }
  }

  /* The sync API from a worker thread where no loop runs. */
  {
    ThreadCall call = { inbox, 0, NULL };
    GThread *thread = g_thread_new ("no-loop", list_in_thread, &call);

    g_thread_join (thread);
    check (call.error == NULL && call.listed == expected, "sync API: list_messages from a thread with no loop",
           "%u listed: %s", call.listed, call.error ? call.error : "");
    g_free (call.error);
  }

  /* The initial sync, with a second one started over it; the caller's
   * 10 ms timer keeps ticking meanwhile. */
  account = new_account (remote, "Contract");
  timer = g_timeout_add (10, tick, &ticker);
  {
    EventLog log = { &o, 0, 0, 0, 0 };
    guint to_copy = 0;

    /* Every folder of the server now: the appends above added to it. */
    for (guint i = 0; folders != NULL && i < folders->len; i++)
      {
        g_autoptr(GPtrArray) on_server = mailsync_folder_list_messages (folders->pdata[i], NULL, NULL);

        to_copy += on_server ? on_server->len : 0;
      }
    gulong handler = g_signal_connect (account, "event", G_CALLBACK (log_event), &log);

    observe ("sync", start_sync, account, &o);
    ok = mailsync_account_sync_finish (account, o.result, &error);
    /* Whatever the caller's context still has queued runs now: an event
     * that arrives here came after the callback. */
    while (g_main_context_iteration (NULL, FALSE))
      ;
    g_signal_handler_disconnect (account, handler);
    check (to_copy >= expected && log.copied == to_copy && log.off_thread == 0 && log.after_callback == 0,
           "events arrive on the caller's thread, every one before the sync's callback",
           "%u events, %u copies of %u messages, %u on another thread, %u after the callback",
           log.events, log.copied, to_copy, log.off_thread, log.after_callback);
  }
  outcome_clear (&o);
  g_source_remove (timer);
  check (ok, "the async sync succeeds", "%s", error ? error->message : "");
  g_clear_error (&error);
  check (ticker.ticks > 0 && ticker.worst < 500 * 1000, "the caller's 10 ms timer never stalls during the sync",
         "worst stall %" G_GINT64_FORMAT " ms (gap %" G_GINT64_FORMAT " ms less the wait for a CPU) over %u ticks",
         ticker.worst / 1000, ticker.worst_gap / 1000, ticker.ticks);
  printf ("# worst stall of the caller's 10 ms timer during a %u-message sync: %" G_GINT64_FORMAT " ms"
          " (worst gap %" G_GINT64_FORMAT " ms, %u ticks)\n",
          expected, ticker.worst / 1000, ticker.worst_gap / 1000, ticker.ticks);
  {
    g_autofree char *detail = NULL;
    gboolean matches = inbox_matches ("Contract", expected, &detail);

    check (matches, "the async sync downloads every message once", "%s", detail);
  }

  /* The client's open survives the account's sync (which opened and
   * closed the same repository). */
  {
    g_autoptr(GPtrArray) again = NULL;
    g_autoptr(GPtrArray) relisted = NULL;

    again = mailsync_repository_list_folders (remote, NULL, &error);
    if (again != NULL)
      relisted = mailsync_folder_list_messages (inbox, NULL, &error);
    check (again != NULL && relisted != NULL,
           "the client's repository still works after the account's sync closed its own open",
           "%s", error ? error->message : "");
    g_clear_error (&error);
  }

  /* Overlap, on a fresh account's initial sync (the most work to
   * interleave), of the smaller mailbox. */
  {
    g_autoptr(MailsyncRepository) overlap_remote =
      new_remote_for ("OverlapRemote", g_getenv ("CONTRACT_CANCEL_USER"), g_getenv ("CONTRACT_CANCEL_PASS"));
    g_autoptr(MailsyncAccount) overlap = new_account (overlap_remote, "Overlap");
    guint overlap_expected = (guint) atoi (g_getenv ("CONTRACT_CANCEL_MESSAGES"));
    g_autoptr(GPtrArray) overlap_folders = NULL;
    g_autoptr(GError) pending = NULL;
    g_autofree char *detail = NULL;
    gboolean matches;

    mailsync_account_sync_async (overlap, NULL, record, &o);
    mailsync_account_sync_async (overlap, NULL, record, &second);
    while (o.result == NULL || second.result == NULL)
      g_main_context_iteration (NULL, TRUE);
    ok = mailsync_account_sync_finish (overlap, second.result, &pending);
    check (!ok && g_error_matches (pending, G_IO_ERROR, G_IO_ERROR_PENDING),
           "a second sync while one runs fails with G_IO_ERROR_PENDING", "%s",
           pending ? pending->message : "it succeeded");
    ok = mailsync_account_sync_finish (overlap, o.result, &error);
    check (ok, "the first sync completes untouched", "%s", error ? error->message : "");
    g_clear_error (&error);
    outcome_clear (&o);
    outcome_clear (&second);
    matches = inbox_matches ("Overlap", overlap_expected, &detail);

    check (matches, "after the overlap: every server message once, locally", "%s", detail);
    g_clear_pointer (&detail, g_free);
    /* and the server still has each once: list it */
    {
      MailsyncFolder *overlap_inbox = NULL;
      g_autoptr(GPtrArray) listed = NULL;

      overlap_folders = mailsync_repository_list_folders (overlap_remote, NULL, &error);
      overlap_inbox = find_folder (overlap_folders, "INBOX");
      if (overlap_inbox != NULL)
        listed = mailsync_folder_list_messages (overlap_inbox, NULL, &error);
      check (listed != NULL && listed->len == overlap_expected, "after the overlap: nothing duplicated on the server",
             "%u messages of %u: %s", listed ? listed->len : 0, overlap_expected, error ? error->message : "");
      g_clear_error (&error);
    }
  }

  /* Cancel a fresh account's sync at many points (a smaller mailbox of
   * another user, CONTRACT_CANCEL_MESSAGES, without the proxy's delay);
   * each next sync converges with one file per message. */
  {
    static const guint points[] = { 1, 3, 8, 21, 60, 140 };
    guint cancel_expected = (guint) atoi (g_getenv ("CONTRACT_CANCEL_MESSAGES"));
    g_autoptr(MailsyncRepository) cancel_remote =
      new_remote_at ("CancelRemote", g_getenv ("DOVECOT_PORT"), g_getenv ("CONTRACT_CANCEL_USER"),
                     g_getenv ("CONTRACT_CANCEL_PASS"));
    g_autofree char *mail = work_path ("Cancel");
    gboolean clean = TRUE;
    GString *notes = g_string_new (NULL);

    for (guint i = 0; i < G_N_ELEMENTS (points); i++)
      {
        g_autoptr(MailsyncAccount) cancelled_account = new_account (cancel_remote, "Cancel");
        g_autoptr(GCancellable) cancellable = g_cancellable_new ();
        CancelAt at = { cancellable, 0, points[i] };
        gulong handler = g_signal_connect (cancelled_account, "event", G_CALLBACK (count_event), &at);
        g_autoptr(GError) cancelled = NULL;
        g_autoptr(GError) resync = NULL;
        g_autofree char *detail = NULL;
        gboolean synced;

        sync_blocking (cancelled_account, cancellable, &cancelled);
        g_signal_handler_disconnect (cancelled_account, handler);
        synced = sync_blocking (cancelled_account, NULL, &resync);
        if (!inbox_matches ("Cancel", cancel_expected, &detail) || !synced)
          {
            clean = FALSE;
            g_string_append_printf (notes, "cancel after %u events: %s, %s; ", points[i], detail,
                                    resync ? resync->message : "synced");
          }
        /* start over for the next point: delete the local side */
        {
          g_autofree char *meta = work_path ("Cancel-status");
          g_autofree char *cmd = g_strdup_printf ("rm -rf '%s' '%s'", mail, meta);
          if (system (cmd) != 0)
            clean = FALSE;
        }
      }
    check (clean, "cancel at any point, then sync: converges, nothing duplicated", "%s", notes->str);
    g_string_free (notes, TRUE);
  }

done:
  /* Dispose the repository while an operation is in flight: the
   * operation holds what it needs and completes. */
  if (remote != NULL)
    {
      MailsyncRepository *last = new_remote ("Last");

      g_autoptr(GPtrArray) listed = NULL;
      g_autoptr(GObject) source = NULL;

      mailsync_repository_list_folders_async (last, NULL, record, &o);
      g_object_unref (last);
      while (o.result == NULL)
        g_main_context_iteration (NULL, TRUE);
      source = g_async_result_get_source_object (o.result);
      listed = mailsync_repository_list_folders_finish (MAILSYNC_REPOSITORY (source), o.result, &error);
      check (listed != NULL, "a repository released while its listing runs: the listing completes", "%s",
             error ? error->message : "");
      outcome_clear (&o);
    }
  printf ("1..%d\n", checks);
  return failures ? 1 : 0;
}
