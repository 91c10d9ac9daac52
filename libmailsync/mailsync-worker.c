#include "config.h"

#include "mailsync-worker.h"

/* The library-owned context of this thread, if any: the only context
 * _mailsync_await() will iterate. A sync wrapper called from a worker's
 * job nests one private context inside another, so the previous value is
 * kept by the caller and restored. */
static GPrivate private_context;
/* The task of the job running on this worker thread (jobs run one at a
 * time: an awaiting job's nested run_jobs() returns at once). */
static GPrivate current_task;
/* The client context of the sync run this thread works for (borrowed). */
static GPrivate client_context;

gboolean
_mailsync_in_private_context (void)
{
  GMainContext *mine = g_private_get (&private_context);

  return mine != NULL && mine == g_main_context_get_thread_default ();
}

void
_mailsync_store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

GAsyncResult *
_mailsync_await (GAsyncResult **slot)
{
  GMainContext *context = g_main_context_get_thread_default ();

  /* Iterating a context the library does not own would run the caller's
   * sources from inside a library call: never. */
  g_return_val_if_fail (_mailsync_in_private_context (), *slot);
  while (*slot == NULL)
    g_main_context_iteration (context, TRUE);
  return *slot;
}

void
_mailsync_await_iteration (void)
{
  g_return_if_fail (_mailsync_in_private_context ());
  g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
}

/* ---- the generic sync wrapper ------------------------------------------------ */

void
_mailsync_sync_call_begin (MailsyncSyncCall *call)
{
  g_return_if_fail (call->context == NULL);
  call->context = g_main_context_new ();
  call->saved_private = g_private_get (&private_context);
  g_main_context_push_thread_default (call->context);
  g_private_set (&private_context, call->context);
}

void
_mailsync_sync_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MailsyncSyncCall *call = user_data;

  call->result = g_object_ref (result);
}

GAsyncResult *
_mailsync_sync_call_wait (MailsyncSyncCall *call)
{
  g_return_val_if_fail (call->context != NULL, NULL);
  while (call->result == NULL)
    g_main_context_iteration (call->context, TRUE);
  return call->result;
}

void
_mailsync_sync_call_clear (MailsyncSyncCall *call)
{
  if (call->context != NULL)
    {
      g_private_set (&private_context, call->saved_private);
      g_main_context_pop_thread_default (call->context);
      g_clear_pointer (&call->context, g_main_context_unref);
    }
  g_clear_object (&call->result);
}

void
_mailsync_run_private (GFunc func, gpointer data)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;

  _mailsync_sync_call_begin (&call);
  func (data, NULL);
}

/* ---- the client an account's sync works for --------------------------------- */

GMainContext *
_mailsync_set_client_context (GMainContext *context)
{
  GMainContext *previous = g_private_get (&client_context);

  g_private_set (&client_context, context);
  return previous;
}

GMainContext *
_mailsync_get_client_context (void)
{
  return g_private_get (&client_context);
}

typedef struct
{
  GTaskThreadFunc func;
  GMainContext *client;
} ThreadCall;

static void
thread_call_free (gpointer data)
{
  ThreadCall *call = data;

  g_clear_pointer (&call->client, g_main_context_unref);
  g_free (call);
}

static G_DEFINE_QUARK (mailsync-thread-call, thread_call)

static void
run_thread_call (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ThreadCall *call = g_object_get_qdata (G_OBJECT (task), thread_call_quark ());
  GMainContext *previous = _mailsync_set_client_context (call->client);

  call->func (task, source, data, cancellable);
  _mailsync_set_client_context (previous);
}

void
_mailsync_task_run_in_thread (GTask *task, GTaskThreadFunc func)
{
  ThreadCall *call = g_new0 (ThreadCall, 1);
  GMainContext *client = _mailsync_get_client_context ();

  call->func = func;
  call->client = client != NULL ? g_main_context_ref (client) : NULL;
  g_object_set_qdata_full (G_OBJECT (task), thread_call_quark (), call, thread_call_free);
  g_task_run_in_thread (task, run_thread_call);
}

/* ---- workers ---------------------------------------------------------------- */

typedef struct
{
  GTask *task;
  MailsyncWorkerFunc func;
  GMainContext *client;     /* the caller's client context, or NULL */
} Job;

struct _MailsyncWorker
{
  char *name;
  GThread *thread;
  GMainContext *context;

  GMutex lock;
  GQueue jobs;              /* Job*, under lock */
  gboolean stopping;        /* under lock */
  gboolean scheduled;       /* under lock: run_jobs will look at the queue again */
  GDestroyNotify teardown;  /* under lock */
  gpointer teardown_data;

  gboolean busy;            /* worker thread only: a job is running */
};

static void
run_jobs (MailsyncWorker *worker)
{
  /* A job that awaits iterates this context, which dispatches this
   * function again: the next job waits for the running one to return.
   * That is what makes the jobs of one worker run one at a time. */
  if (worker->busy)
    return;
  worker->busy = TRUE;
  for (;;)
    {
      Job *job;

      g_mutex_lock (&worker->lock);
      job = g_queue_pop_head (&worker->jobs);
      if (job == NULL)
        worker->scheduled = FALSE;
      g_mutex_unlock (&worker->lock);
      if (job == NULL)
        break;
      g_private_set (&current_task, job->task);
      g_private_set (&client_context, job->client);
      job->func (job->task, g_task_get_source_object (job->task), g_task_get_task_data (job->task),
                 g_task_get_cancellable (job->task));
      g_private_set (&client_context, NULL);
      g_private_set (&current_task, NULL);
      g_object_unref (job->task);
      g_clear_pointer (&job->client, g_main_context_unref);
      g_free (job);
    }
  worker->busy = FALSE;
}

static gboolean
run_jobs_source (gpointer data)
{
  run_jobs (data);
  return G_SOURCE_REMOVE;
}

static void
schedule (MailsyncWorker *worker)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, run_jobs_source, worker, NULL);
  g_source_set_static_name (source, "[mailsync] worker jobs");
  g_source_attach (source, worker->context);
  g_source_unref (source);
}

static gboolean
should_stop (MailsyncWorker *worker)
{
  gboolean stop;

  g_mutex_lock (&worker->lock);
  stop = worker->stopping && g_queue_is_empty (&worker->jobs);
  g_mutex_unlock (&worker->lock);
  return stop;
}

static void
worker_free_resources (MailsyncWorker *worker)
{
  g_main_context_unref (worker->context);
  g_mutex_clear (&worker->lock);
  g_free (worker->name);
  g_free (worker);
}

static gpointer
worker_thread (gpointer data)
{
  MailsyncWorker *worker = data;
  gboolean self_freed;

  g_main_context_push_thread_default (worker->context);
  g_private_set (&private_context, worker->context);
  while (!should_stop (worker))
    g_main_context_iteration (worker->context, TRUE);
  if (worker->teardown != NULL)
    worker->teardown (worker->teardown_data);
  /* Sources the teardown left (a connection's watchdog) go with the
   * context; run what they already queued first. */
  while (g_main_context_pending (worker->context))
    g_main_context_iteration (worker->context, FALSE);
  g_private_set (&private_context, NULL);
  g_main_context_pop_thread_default (worker->context);
  self_freed = worker->thread == NULL;
  if (self_freed)
    worker_free_resources (worker);
  return NULL;
}

MailsyncWorker *
_mailsync_worker_new (const char *name)
{
  MailsyncWorker *worker = g_new0 (MailsyncWorker, 1);

  worker->name = g_strdup (name);
  worker->context = g_main_context_new ();
  g_mutex_init (&worker->lock);
  g_queue_init (&worker->jobs);
  worker->thread = g_thread_new (name, worker_thread, worker);
  return worker;
}

gboolean
_mailsync_worker_is_current (MailsyncWorker *worker)
{
  return worker != NULL && g_thread_self () == worker->thread;
}

GMainContext *
_mailsync_worker_get_context (MailsyncWorker *worker)
{
  return worker->context;
}

void
_mailsync_worker_run (MailsyncWorker *worker, GTask *task, MailsyncWorkerFunc func)
{
  Job *job;
  gboolean wake;

  g_return_if_fail (worker != NULL && G_IS_TASK (task));
  job = g_new0 (Job, 1);
  job->task = g_object_ref (task);
  job->func = func;
  job->client = _mailsync_get_client_context ();
  if (job->client != NULL)
    g_main_context_ref (job->client);

  g_mutex_lock (&worker->lock);
  g_warn_if_fail (!worker->stopping);
  g_queue_push_tail (&worker->jobs, job);
  /* One wake-up per burst: until run_jobs() finds the queue empty, it
   * will take this job too (64 fetches queued at once cost one). */
  wake = !worker->scheduled;
  worker->scheduled = TRUE;
  g_mutex_unlock (&worker->lock);
  /* Not g_main_context_invoke(): from a job on this very thread it would
   * call run_jobs() at once, find it busy, and leave the job queued with
   * nothing to start it. */
  if (wake)
    schedule (worker);
}

void
_mailsync_worker_free (MailsyncWorker *worker, GDestroyNotify teardown, gpointer data)
{
  GThread *thread;

  if (worker == NULL)
    return;
  if (_mailsync_worker_is_current (worker))
    {
      /* The last reference went away inside one of our own jobs: tear
       * down now (the object goes away when we return); the thread ends
       * when that job returns and frees what is left. */
      if (teardown != NULL)
        teardown (data);
      g_mutex_lock (&worker->lock);
      worker->stopping = TRUE;
      g_mutex_unlock (&worker->lock);
      thread = g_steal_pointer (&worker->thread);
      g_thread_unref (thread);
      return;
    }
  g_mutex_lock (&worker->lock);
  worker->stopping = TRUE;
  worker->teardown = teardown;
  worker->teardown_data = data;
  g_mutex_unlock (&worker->lock);
  g_main_context_wakeup (worker->context);
  g_thread_join (worker->thread);
  worker_free_resources (worker);
}

GTask *
_mailsync_worker_get_current_task (void)
{
  return g_private_get (&current_task);
}
