/* Library-owned threads and the one place the library waits.
 *
 * The async contract (doc/design.md, "The async model"): a public _async
 * call returns at once and never iterates a context its caller owns.
 * Code that is written as a sequence of steps (an IMAP login, a SELECT
 * then a FETCH) runs on a library-owned thread whose thread-default
 * context is private to it, and waits there for each step with
 * _mailsync_await(). The caller hears of the result through the GTask it
 * made, on the context it called from.
 *
 * Two kinds of library-owned context exist, and _mailsync_await() refuses
 * to iterate anything else:
 *  - a MailsyncWorker's context: one thread per connection-owning object
 *    (an IMAP repository) that runs its jobs one at a time, in order;
 *  - a MailsyncSyncCall's context: the private context of a sync wrapper
 *    (mailsync_folder_list_messages() ...), and the account's engine
 *    thread. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ---- waiting on a private context ------------------------------------------- */

/* A GAsyncReadyCallback storing a ref to the result in *(GAsyncResult **) user_data. */
void          _mailsync_store_result (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);

/* Iterates the thread-default context until *@slot is set; returns it
 * (still owned by the slot). Only on a library-owned context. */
GAsyncResult *_mailsync_await        (GAsyncResult **slot);

/* One blocking iteration of the thread-default context, for loops that
 * wait on a counter. Only on a library-owned context. */
void          _mailsync_await_iteration (void);

/* Whether the calling thread's default context is library-owned. */
gboolean      _mailsync_in_private_context (void);

/* ---- the generic sync wrapper ----------------------------------------------- */

/* Every public sync function is its _async version run on a private
 * context:
 *
 *   g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;
 *   _mailsync_sync_call_begin (&call);
 *   mailsync_folder_flush_async (self, cancellable, _mailsync_sync_call_done, &call);
 *   return mailsync_folder_flush_finish (self, _mailsync_sync_call_wait (&call), error);
 *
 * It works from any thread, with or without a loop running there: the
 * backend delivers to the private context, which this thread iterates. */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
  GMainContext *saved_private;
} MailsyncSyncCall;

#define MAILSYNC_SYNC_CALL_INIT { NULL, NULL, NULL }

void          _mailsync_sync_call_begin (MailsyncSyncCall *call);
void          _mailsync_sync_call_done  (GObject          *source,
                                         GAsyncResult     *result,
                                         gpointer          user_data);
GAsyncResult *_mailsync_sync_call_wait  (MailsyncSyncCall *call);
void          _mailsync_sync_call_clear (MailsyncSyncCall *call);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MailsyncSyncCall, _mailsync_sync_call_clear)

/* Runs @func with a private context pushed as thread-default on the
 * calling thread (the account's engine thread): what @func awaits is
 * iterated there. */
void          _mailsync_run_private (GFunc    func,
                                     gpointer data);

/* ---- the client an account's sync works for ---------------------------------- */

/* Where a sync run's repositories ask their interaction and emit
 * "opened": the context of the client of that run (an _async caller's,
 * or the blocking caller's engine context). Kept per thread, so that two
 * runs sharing a repository each keep their own: set by the run on its
 * engine thread and its folder threads, and carried to whatever works
 * for them (a worker's job takes its caller's, a thread of
 * _mailsync_task_run_in_thread() too). NULL outside a run. Borrowed:
 * whoever sets it keeps it alive until it puts the previous one back. */
GMainContext *_mailsync_set_client_context (GMainContext *context);   /* returns the previous */
GMainContext *_mailsync_get_client_context (void);
/* g_task_run_in_thread(), @func seeing the calling thread's client context. */
void          _mailsync_task_run_in_thread (GTask           *task,
                                            GTaskThreadFunc  func);

/* ---- workers ------------------------------------------------------------------ */

typedef struct _MailsyncWorker MailsyncWorker;

/* A job: runs on the worker's thread with the worker's context as
 * thread-default, alone (the next job starts when it returns). It either
 * returns @task before it returns, or keeps a ref and returns it later
 * from a callback on the worker's context (a pipelined FETCH). */
typedef void (*MailsyncWorkerFunc) (GTask        *task,
                                    gpointer      source_object,
                                    gpointer      task_data,
                                    GCancellable *cancellable);

MailsyncWorker *_mailsync_worker_new   (const char     *name);
/* Runs @teardown (may be NULL) on the worker's thread after the queued
 * jobs, then stops the thread and frees the worker. Safe from any thread,
 * including the worker's own (then @teardown runs at once). */
void            _mailsync_worker_free  (MailsyncWorker *worker,
                                        GDestroyNotify  teardown,
                                        gpointer        data);
/* Queues @func for @task (FIFO). Returns at once. */
void            _mailsync_worker_run   (MailsyncWorker    *worker,
                                        GTask             *task,
                                        MailsyncWorkerFunc func);
/* Whether the calling thread is @worker's thread. */
gboolean        _mailsync_worker_is_current (MailsyncWorker *worker);
GMainContext   *_mailsync_worker_get_context (MailsyncWorker *worker);
/* The task of the job running on the calling worker thread, or NULL: its
 * context is where the job's caller waits (a question for the user goes
 * there). */
GTask          *_mailsync_worker_get_current_task (void);

G_END_DECLS
