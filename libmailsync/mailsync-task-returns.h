/* Completing GTasks from another thread in batches (internal).
 *
 * g_task_return_*() called on a thread that does not own the task's
 * context attaches an idle source there and wakes the context: one
 * eventfd write and one wake-up of the owner per task. A backend that
 * completes many small tasks back to back from its own thread (the IMAP
 * connection's fetch answers, the Maildir deliveries) queues them here
 * instead: the first one of a batch attaches one idle source, the ones
 * that come before it runs join it, and the owner returns them all in
 * order in one dispatch (issue 13 item 5). Each task is returned on its
 * own context exactly as g_task_return_*() would, only later.
 *
 * @slot is a pointer-sized field of the object the tasks belong to (it
 * must outlive every queued task: the tasks' source object is the usual
 * owner), %NULL when no batch is open; the module guards it. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Returns @result (owned, freed with @result_destroy if the task was
 * already returned or is dropped) as g_task_return_pointer() does. */
void _mailsync_task_return_pointer_batched (gpointer       *slot,
                                            GTask          *task,
                                            gpointer        result,
                                            GDestroyNotify  result_destroy);

/* Returns @error (owned) as g_task_return_error() does. */
void _mailsync_task_return_error_batched   (gpointer       *slot,
                                            GTask          *task,
                                            GError         *error);

/* Calls @func (@data) on @context (NULL: the global default one), at once
 * when the calling thread owns it, else batched with the returns queued
 * in @slot for that context as above, in order. A call that never runs
 * (the context is destroyed first) frees @data with @data_destroy (may be
 * NULL). For an engine-internal operation that completes without a GTask
 * (issue 13 item 5, session 19: the downloads' deliveries). */
void _mailsync_call_batched (gpointer      *slot,
                             GMainContext  *context,
                             void         (*func) (gpointer data),
                             gpointer       data,
                             GDestroyNotify data_destroy);

G_END_DECLS
