/* Completing GTasks from another thread in batches: one idle source and
 * one wake-up of the owning context for all the tasks completed before it
 * runs (see mailsync-task-returns.h). */
#include "config.h"

#include "mailsync-task-returns.h"

typedef struct
{
  GTask *task;
  gpointer result;
  GDestroyNotify result_destroy;
  GError *error;
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

      if (e->error != NULL)
        g_task_return_error (e->task, g_steal_pointer (&e->error));
      else
        g_task_return_pointer (e->task, g_steal_pointer (&e->result), e->result_destroy);
      g_clear_object (&e->task);
    }
  g_array_unref (entries);
  return G_SOURCE_REMOVE;
}

static void
add (gpointer       *slot,
     GTask          *task,
     gpointer        result,
     GDestroyNotify  result_destroy,
     GError         *error)
{
  GMainContext *context = g_task_get_context (task);
  Entry e = { NULL, result, result_destroy, error };
  Batch *batch;
  gboolean attach = FALSE;

  /* The owner's own thread completes at once, as before: GTask needs no
   * wake-up there. */
  if (g_main_context_is_owner (context))
    goto direct;
  g_mutex_lock (&batches_lock);
  batch = *slot;
  if (batch != NULL && batch->context != context)
    {
      /* tasks of two contexts on one owner: only the open batch's
       * context is batched */
      g_mutex_unlock (&batches_lock);
      goto direct;
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
  e.task = g_object_ref (task);
  g_array_append_val (batch->entries, e);
  g_mutex_unlock (&batches_lock);
  if (attach)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, g_task_get_priority (task));
      g_source_set_static_name (source, "[mailsync] task returns");
      g_source_set_callback (source, batch_dispatch, batch, batch_free);
      g_source_attach (source, context);
      g_source_unref (source);
    }
  return;

direct:
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, result_destroy);
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
