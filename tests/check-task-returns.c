/* Tasks completed on another thread and returned in batches on their own
 * context (libmailsync/mailsync-task-returns.h, issue 13 item 5): every
 * task is returned once, in completion order, with its value or error, on
 * the thread that owns its context; the tasks completed before the owner
 * runs are one batch (one idle source, the owner's slot set until it
 * ran); the owner's own thread returns at once; plain calls
 * (_mailsync_call_batched) go with them. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync-task-returns.h"

#define N_TASKS 200

G_DECLARE_FINAL_TYPE (Owner, owner, TEST, OWNER, GObject)

struct _Owner
{
  GObject parent_instance;
  gpointer returns;   /* the slot */
};

G_DEFINE_TYPE (Owner, owner, G_TYPE_OBJECT)

static void owner_init (Owner *self) { (void) self; }
static void owner_class_init (OwnerClass *klass) { (void) klass; }

typedef struct
{
  GThread *owner_thread;
  GArray *order;      /* task numbers, as their callbacks ran */
  guint errors;
  gboolean wrong_thread;
} Seen;

static void
done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Seen *seen = user_data;
  g_autoptr(GError) error = NULL;
  guint n = GPOINTER_TO_UINT (g_task_get_task_data (G_TASK (result)));
  g_autofree char *value = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_thread_self () != seen->owner_thread)
    seen->wrong_thread = TRUE;
  if (error != NULL)
    {
      ck_assert (n % 7 == 3);
      ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED));
      seen->errors++;
    }
  else
    {
      g_autofree char *want = g_strdup_printf ("value %u", n);

      ck_assert_str_eq (value, want);
    }
  g_array_append_val (seen->order, n);
}

typedef struct
{
  Owner *owner;
  GPtrArray *tasks;
} Work;

static gpointer
complete_all (gpointer data)
{
  Work *work = data;

  for (guint i = 0; i < work->tasks->len; i++)
    {
      GTask *task = work->tasks->pdata[i];

      if (i % 7 == 3)
        _mailsync_task_return_error_batched (&work->owner->returns, task,
                                             g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "task %u", i));
      else
        _mailsync_task_return_pointer_batched (&work->owner->returns, task, g_strdup_printf ("value %u", i), g_free);
    }
  return NULL;
}

static GPtrArray *
make_tasks (Owner *owner, Seen *seen)
{
  GPtrArray *tasks = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < N_TASKS; i++)
    {
      GTask *task = g_task_new (owner, NULL, done, seen);

      g_task_set_task_data (task, GUINT_TO_POINTER (i), NULL);
      g_ptr_array_add (tasks, task);
    }
  return tasks;
}

/* Starts @func (@data) on a thread that completes the tasks, after an
 * iteration of @context (the tasks are made in an earlier iteration than
 * they are returned in), iterates @context until @seen has N_TASKS
 * callbacks (60 s at most), joins the thread and checks that they ran in
 * order. */
static void
complete_in_order (GMainContext *context, GThreadFunc func, gpointer data, Seen *seen)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  GThread *thread;

  g_main_context_iteration (context, FALSE);
  thread = g_thread_new ("completer", func, data);
  while (seen->order->len < N_TASKS && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, TRUE);
  g_thread_join (thread);
  ck_assert_uint_eq (seen->order->len, N_TASKS);
  for (guint i = 0; i < N_TASKS; i++)
    ck_assert_uint_eq (g_array_index (seen->order, guint, i), i);
}

START_TEST (test_in_order_on_owner)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(Owner) owner = g_object_new (owner_get_type (), NULL);
  Seen seen = { g_thread_self (), g_array_new (FALSE, FALSE, sizeof (guint)), 0, FALSE };
  g_autoptr(GPtrArray) tasks = NULL;
  Work work;
  GThread *thread;

  g_main_context_push_thread_default (context);
  /* owned by this thread while the other one completes */
  ck_assert (g_main_context_acquire (context));
  tasks = make_tasks (owner, &seen);
  work.owner = owner;
  work.tasks = tasks;
  /* the tasks are made in an earlier iteration than they are returned in */
  g_main_context_iteration (context, FALSE);
  thread = g_thread_new ("completer", complete_all, &work);
  g_thread_join (thread);
  /* everything was completed before the owner ran: one batch */
  ck_assert_ptr_nonnull (owner->returns);
  g_main_context_iteration (context, FALSE);
  ck_assert_uint_eq (seen.order->len, N_TASKS);
  ck_assert_ptr_null (owner->returns);

  /* completed while the owner runs: however they are batched, each
   * returns once and in order */
  g_array_set_size (seen.order, 0);
  seen.errors = 0;
  g_clear_pointer (&tasks, g_ptr_array_unref);
  tasks = make_tasks (owner, &seen);
  work.tasks = tasks;
  complete_in_order (context, complete_all, &work, &seen);
  ck_assert_uint_eq (seen.errors, (N_TASKS + 3) / 7);
  ck_assert (!seen.wrong_thread);
  ck_assert_ptr_null (owner->returns);

  g_main_context_release (context);
  g_main_context_pop_thread_default (context);
  g_array_unref (seen.order);
}
END_TEST

/* The owner's own thread returns at once, without a batch. */
START_TEST (test_owner_thread_direct)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(Owner) owner = g_object_new (owner_get_type (), NULL);
  Seen seen = { g_thread_self (), g_array_new (FALSE, FALSE, sizeof (guint)), 0, FALSE };
  g_autoptr(GTask) task = NULL;

  g_main_context_push_thread_default (context);
  ck_assert (g_main_context_acquire (context));
  task = g_task_new (owner, NULL, done, &seen);
  g_task_set_task_data (task, GUINT_TO_POINTER (1), NULL);
  _mailsync_task_return_pointer_batched (&owner->returns, task, g_strdup ("value 1"), g_free);
  ck_assert_ptr_null (owner->returns);
  while (seen.order->len == 0)
    g_main_context_iteration (context, TRUE);
  ck_assert_uint_eq (g_array_index (seen.order, guint, 0), 1);
  g_main_context_release (context);
  g_main_context_pop_thread_default (context);
  g_array_unref (seen.order);
}
END_TEST

/* _mailsync_call_batched (the engine's deliveries, session 19): calls
 * queued from another thread among task returns on the same slot run on
 * the owner's context, once each, in order with the tasks; a call for
 * another context than the open batch's runs on that context. */
typedef struct
{
  Seen *seen;
  guint n;
  GThread *want_thread;
} Call;

static void
call_ran (gpointer data)
{
  Call *call = data;

  if (g_thread_self () != call->want_thread)
    call->seen->wrong_thread = TRUE;
  g_array_append_val (call->seen->order, call->n);
  g_free (call);
}

typedef struct
{
  Work work;          /* the owner and its tasks, as complete_all()'s */
  Seen *seen;
  GMainContext *context;
  GThread *owner_thread;
  GMainContext *other;
  Seen *other_seen;
} Mixed;

static gpointer
complete_mixed (gpointer data)
{
  Mixed *m = data;

  for (guint i = 0; i < m->work.tasks->len; i++)
    {
      Call *call = g_new0 (Call, 1);

      _mailsync_task_return_pointer_batched (&m->work.owner->returns, m->work.tasks->pdata[i],
                                             g_strdup_printf ("value %u", 2 * i), g_free);
      call->seen = m->seen;
      call->n = 2 * i + 1;
      call->want_thread = m->owner_thread;
      _mailsync_call_batched (&m->work.owner->returns, m->context, call_ran, call, g_free);
      if (i == 0)
        {
          /* another context while the owner's batch is open */
          Call *other = g_new0 (Call, 1);

          other->seen = m->other_seen;
          other->n = 7;
          other->want_thread = m->owner_thread;   /* which iterates that context too */
          _mailsync_call_batched (&m->work.owner->returns, m->other, call_ran, other, g_free);
        }
    }
  return NULL;
}

static void
done_even (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Seen *seen = user_data;
  guint n = GPOINTER_TO_UINT (g_task_get_task_data (G_TASK (result)));
  g_autofree char *value = g_task_propagate_pointer (G_TASK (result), NULL);

  if (g_thread_self () != seen->owner_thread)
    seen->wrong_thread = TRUE;
  g_array_append_val (seen->order, n);
}

START_TEST (test_calls_batched)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainContext) other = g_main_context_new ();
  g_autoptr(Owner) owner = g_object_new (owner_get_type (), NULL);
  Seen seen = { g_thread_self (), g_array_new (FALSE, FALSE, sizeof (guint)), 0, FALSE };
  Seen other_seen = { NULL, g_array_new (FALSE, FALSE, sizeof (guint)), 0, FALSE };
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  Mixed m;

  g_main_context_push_thread_default (context);
  ck_assert (g_main_context_acquire (context));
  for (guint i = 0; i < N_TASKS / 2; i++)
    {
      GTask *task = g_task_new (owner, NULL, done_even, &seen);

      g_task_set_task_data (task, GUINT_TO_POINTER (2 * i), NULL);
      g_ptr_array_add (tasks, task);
    }
  m = (Mixed) { { owner, tasks }, &seen, context, g_thread_self (), other, &other_seen };
  complete_in_order (context, complete_mixed, &m, &seen);
  ck_assert (!seen.wrong_thread);
  /* the other context's call waits for that context, and runs there once
   * (it may have opened the slot's batch: when the owner's first batch
   * ran before it was queued, the slot is free once that context ran) */
  ck_assert_uint_eq (other_seen.order->len, 0);
  while (g_main_context_iteration (other, FALSE))
    ;
  ck_assert_ptr_null (owner->returns);
  ck_assert_uint_eq (other_seen.order->len, 1);
  ck_assert_uint_eq (g_array_index (other_seen.order, guint, 0), 7);
  ck_assert (!other_seen.wrong_thread);
  g_main_context_release (context);
  g_main_context_pop_thread_default (context);
  g_array_unref (seen.order);
  g_array_unref (other_seen.order);
}
END_TEST

/* A call that never runs, its context finalized first, has its data
 * freed with its destroy notify, once, and is not called: the engine's
 * deliveries hand their folder's reference over in it (review 1 Low 3 of
 * session 19). Here the call queued behind another context's open batch,
 * on an idle source of its own. */
static void
call_never (gpointer data)
{
  (void) data;
  ck_abort_msg ("a call for a finalized context ran");
}

static void
count_dropped (gpointer data)
{
  (*(guint *) data)++;
}

START_TEST (test_call_dropped)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  GMainContext *gone = g_main_context_new ();
  g_autoptr(Owner) owner = g_object_new (owner_get_type (), NULL);
  Seen seen = { g_thread_self (), g_array_new (FALSE, FALSE, sizeof (guint)), 0, FALSE };
  Call *call = g_new0 (Call, 1);
  guint dropped = 0;

  /* nobody owns either context: both calls are queued, the first one
   * opens the slot's batch on @context, the second gets its own source */
  call->seen = &seen;
  call->want_thread = g_thread_self ();
  _mailsync_call_batched (&owner->returns, context, call_ran, call, g_free);
  _mailsync_call_batched (&owner->returns, gone, call_never, &dropped, count_dropped);
  ck_assert_uint_eq (dropped, 0);
  g_main_context_unref (gone);
  ck_assert_uint_eq (dropped, 1);
  while (g_main_context_iteration (context, FALSE))
    ;
  ck_assert_uint_eq (seen.order->len, 1);
  ck_assert_ptr_null (owner->returns);
  ck_assert_uint_eq (dropped, 1);
  g_array_unref (seen.order);
}
END_TEST

/* Another context's batch open on the slot: the owner's task returns go
 * through GTask's own idles and its calls through idles of their own,
 * and still run in the order they were returned (a call's idle had the
 * idle priority, behind every task returned after it: a flake of
 * test_calls_batched at load 15, made certain here). */
START_TEST (test_calls_behind_other_batch)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainContext) other = g_main_context_new ();
  g_autoptr(Owner) owner = g_object_new (owner_get_type (), NULL);
  Seen seen = { g_thread_self (), g_array_new (FALSE, FALSE, sizeof (guint)), 0, FALSE };
  Seen other_seen = { g_thread_self (), g_array_new (FALSE, FALSE, sizeof (guint)), 0, FALSE };
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  Call *first = g_new0 (Call, 1);

  /* the tasks on @context (pushing it acquires it: popped before the
   * returns, so that nobody owns either context until it is iterated) */
  g_main_context_push_thread_default (context);
  for (guint i = 0; i < 20; i++)
    {
      GTask *task = g_task_new (owner, NULL, done_even, &seen);

      g_task_set_task_data (task, GUINT_TO_POINTER (2 * i), NULL);
      g_ptr_array_add (tasks, task);
    }
  g_main_context_pop_thread_default (context);
  *first = (Call) { &other_seen, 7, g_thread_self () };
  _mailsync_call_batched (&owner->returns, other, call_ran, first, g_free);
  for (guint i = 0; i < 20; i++)
    {
      Call *call = g_new0 (Call, 1);

      _mailsync_task_return_pointer_batched (&owner->returns, tasks->pdata[i], g_strdup_printf ("value %u", 2 * i),
                                             g_free);
      *call = (Call) { &seen, 2 * i + 1, g_thread_self () };
      _mailsync_call_batched (&owner->returns, context, call_ran, call, g_free);
    }
  ck_assert_uint_eq (seen.order->len, 0);
  while (g_main_context_iteration (context, FALSE))
    ;
  ck_assert_uint_eq (seen.order->len, 40);
  for (guint i = 0; i < 40; i++)
    ck_assert_uint_eq (g_array_index (seen.order, guint, i), i);
  ck_assert (!seen.wrong_thread);
  while (g_main_context_iteration (other, FALSE))
    ;
  ck_assert_uint_eq (other_seen.order->len, 1);
  ck_assert_ptr_null (owner->returns);
  g_array_unref (seen.order);
  g_array_unref (other_seen.order);
}
END_TEST

static Suite *
task_returns_suite (void)
{
  Suite *s = suite_create ("task-returns");
  TCase *tc = tcase_create ("task-returns");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_in_order_on_owner);
  tcase_add_test (tc, test_owner_thread_direct);
  tcase_add_test (tc, test_calls_batched);
  tcase_add_test (tc, test_call_dropped);
  tcase_add_test (tc, test_calls_behind_other_batch);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (task_returns_suite ());
}
