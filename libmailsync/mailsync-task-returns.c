/* Completing GTasks from another thread in batches: one idle source and
 * one wake-up of the owning context for all the tasks completed before it
 * runs (see mailsync-task-returns.h). */
#include "config.h"

#include "mailsync-task-returns.h"

typedef struct
{
  GTask *task;             /* NULL: a call (_mailsync_call_batched) */
  gpointer result;         /* a call's data */
  GDestroyNotify result_destroy;
  GError *error;
  void (*func) (gpointer data);
} Entry;

typedef struct
{
  gpointer *slot;          /* the owner's field while this batch is open */
  GMainContext *context;
  GArray *entries;         /* Entry, in completion order */
} Batch;

/* Guards every slot and every open batch's entries. Held for an append. */
static GMutex batches_lock;

static void
entry_clear (gpointer data)
{
  Entry *e = data;

  /* a call that never ran: its data is the caller's (see the header) */
  if (e->result != NULL && e->result_destroy != NULL)
    e->result_destroy (e->result);
  e->result = NULL;
  g_clear_error (&e->error);
  g_clear_object (&e->task);
}

/* Also when the context is destroyed before the source ran: the tasks
 * are then dropped unreturned, as GTask's own idle would drop them. */
static void
batch_free (gpointer data)
{
  Batch *batch = data;

  g_mutex_lock (&batches_lock);
  /* Not dispatched: the owner is alive (the entries' tasks hold it) and
   * must not keep pointing here. */
  if (batch->slot != NULL && *batch->slot == batch)
    *batch->slot = NULL;
  g_mutex_unlock (&batches_lock);
  g_array_unref (batch->entries);
  g_main_context_unref (batch->context);
  g_free (batch);
}

static gboolean
batch_dispatch (gpointer data)
{
  Batch *batch = data;
  GArray *entries;

  g_mutex_lock (&batches_lock);
  if (batch->slot != NULL && *batch->slot == batch)
    *batch->slot = NULL;
  batch->slot = NULL;
  entries = batch->entries;
  batch->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_mutex_unlock (&batches_lock);

  /* On the owner's context, in a later iteration than the tasks were
   * made in: GTask calls each callback at once, in order. The owner may
   * be finalized by the last unref: nothing here touches it after. */
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = &g_array_index (entries, Entry, i);

      if (e->task == NULL)
        {
          e->func (g_steal_pointer (&e->result));
          continue;
        }
      if (e->error != NULL)
        g_task_return_error (e->task, g_steal_pointer (&e->error));
      else
        g_task_return_pointer (e->task, g_steal_pointer (&e->result), e->result_destroy);
      g_clear_object (&e->task);
    }
  g_array_unref (entries);
  return G_SOURCE_REMOVE;
}

static gboolean add_entry (gpointer *slot, GMainContext *context, int priority, Entry *e, GTask *task);

static void
add (gpointer       *slot,
     GTask          *task,
     gpointer        result,
     GDestroyNotify  result_destroy,
     GError         *error)
{
  GMainContext *context = g_task_get_context (task);
  Entry e = { NULL, result, result_destroy, error, NULL };

  /* The owner's own thread completes at once, as before: GTask needs no
   * wake-up there. */
  if (g_main_context_is_owner (context) ||
      !add_entry (slot, context, g_task_get_priority (task), &e, task))
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, result, result_destroy);
    }
}

/* An idle source of @priority on @context that calls @func (@data), then
 * @notify (@data). */
static void
attach_idle (GMainContext   *context,
             int             priority,
             const char     *name,
             GSourceFunc     func,
             gpointer        data,
             GDestroyNotify  notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, priority);
  g_source_set_static_name (source, name);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
  g_source_unref (source);
}

/* Queues @e (its task referenced here when @task is not NULL) in @slot's
 * batch for @context, attaching the batch's source if it is new; FALSE
 * when the open batch is another context's (then nothing is queued). */
static gboolean
add_entry (gpointer *slot, GMainContext *context, int priority, Entry *e, GTask *task)
{
  Batch *batch;
  gboolean attach = FALSE;

  g_mutex_lock (&batches_lock);
  batch = *slot;
  if (batch != NULL && batch->context != context)
    {
      /* tasks of two contexts on one owner: only the open batch's
       * context is batched */
      g_mutex_unlock (&batches_lock);
      return FALSE;
    }
  if (batch == NULL)
    {
      batch = g_new0 (Batch, 1);
      batch->slot = slot;
      batch->context = g_main_context_ref (context);
      batch->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
      g_array_set_clear_func (batch->entries, entry_clear);
      *slot = batch;
      attach = TRUE;
    }
  e->task = task != NULL ? g_object_ref (task) : NULL;
  g_array_append_vals (batch->entries, e, 1);
  g_mutex_unlock (&batches_lock);
  if (attach)
    attach_idle (context, priority, "[mailsync] task returns", batch_dispatch, batch, batch_free);
  return TRUE;
}

void
_mailsync_task_return_pointer_batched (gpointer       *slot,
                                       GTask          *task,
                                       gpointer        result,
                                       GDestroyNotify  result_destroy)
{
  add (slot, task, result, result_destroy, NULL);
}

void
_mailsync_task_return_error_batched (gpointer *slot,
                                     GTask    *task,
                                     GError   *error)
{
  g_return_if_fail (error != NULL);
  add (slot, task, NULL, NULL, error);
}

static gboolean
call_once (gpointer data)
{
  Entry *e = data;

  e->func (g_steal_pointer (&e->result));
  return G_SOURCE_REMOVE;
}

static void
call_free (gpointer data)
{
  entry_clear (data);
  g_free (data);
}

void
_mailsync_call_batched (gpointer      *slot,
                        GMainContext  *context,
                        void         (*func) (gpointer data),
                        gpointer       data,
                        GDestroyNotify data_destroy)
{
  Entry e = { NULL, data, data_destroy, NULL, func };

  if (context == NULL)
    context = g_main_context_default ();
  if (g_main_context_is_owner (context))
    func (data);
  else if (!add_entry (slot, context, G_PRIORITY_DEFAULT, &e, NULL))
    {
      /* another context's batch is open on @slot: an idle of its own
       * (not g_main_context_invoke(), which would run it at once on a
       * thread that can acquire @context) */
      Entry *own = g_new (Entry, 1);

      *own = e;
      /* the batch's priority: an idle source's own (DEFAULT_IDLE) would
       * put the call behind the tasks returned after it (GTask's idles
       * are DEFAULT), and behind the context's I/O */
      attach_idle (context, G_PRIORITY_DEFAULT, "[mailsync] call", call_once, own, call_free);
    }
}
