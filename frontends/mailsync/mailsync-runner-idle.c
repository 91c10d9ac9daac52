/* mailsync-runner-idle.c: idlefolders, IMAP IDLE on a connection per
 * folder during the autorefresh sleep, which ends early when a folder
 * changes.  Moved from mailsync-runner.c (issue 14 item 1). */
#include "config.h"

#include "mailsync-runner-private.h"

#include <string.h>


/* ---- idlefolders: IMAP IDLE during the autorefresh sleep -------------- */

typedef struct
{
  Job *job;
  MailsyncFolder *folder;
  guint *pending;
  gboolean *changed;
} IdleWatch;

static void
idle_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  IdleWatch *watch = user_data;
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;

  if (mailsync_folder_wait_for_changes_finish (watch->folder, result, &changed, &error) && changed)
    *watch->changed = TRUE;
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    mailsync_ui_warn (watch->job->runner->ui, watch->job->thread, "IDLE on %s ended: %s; sleeping instead",
                      mailsync_folder_get_name (watch->folder), error->message);
  (*watch->pending)--;
  g_object_unref (watch->folder);
  g_free (watch);
}

static gboolean
idle_wait (GMainContext *context, GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (context, TRUE);
  return TRUE;
}

/* Opens the remote side of @account and starts watching @name on it. */
static gboolean
idle_start (Job *job, MailsyncAccount *account, const char *name, GMainContext *context,
            GCancellable *cancellable, guint timeout, guint *pending, gboolean *changed)
{
  MailsyncRepository *remote = mailsync_account_get_remote (account);
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;

  mailsync_repository_open_async (remote, cancellable, _mailsync_runner_store_result, &opened);
  idle_wait (context, &opened);
  if (mailsync_repository_open_finish (remote, opened, &error))
    {
      mailsync_repository_list_folders_async (remote, cancellable, _mailsync_runner_store_result, &listed);
      idle_wait (context, &listed);
      folders = mailsync_repository_list_folders_finish (remote, listed, &error);
    }
  if (folders == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        mailsync_ui_warn (job->runner->ui, job->thread, "Cannot IDLE on %s: %s; sleeping instead", name,
                          error->message);
      return FALSE;
    }
  for (guint i = 0; i < folders->len; i++)
    if (strcmp (mailsync_folder_get_name (folders->pdata[i]), name) == 0)
      {
        IdleWatch *watch = g_new0 (IdleWatch, 1);

        watch->job = job;
        watch->folder = g_object_ref (folders->pdata[i]);
        watch->pending = pending;
        watch->changed = changed;
        (*pending)++;
        mailsync_folder_wait_for_changes_async (watch->folder, timeout, cancellable, idle_done, watch);
        return TRUE;
      }
  mailsync_ui_warn (job->runner->ui, job->thread, "idlefolders: no folder %s on %s; not watching it", name,
                    mailsync_repository_get_name (remote));
  return FALSE;
}

static void
idle_close (MailsyncAccount *account, GMainContext *context)
{
  MailsyncRepository *remote = mailsync_account_get_remote (account);
  g_autoptr(GAsyncResult) closed = NULL;

  mailsync_repository_close_async (remote, NULL, _mailsync_runner_store_result, &closed);
  idle_wait (context, &closed);
  mailsync_repository_close_finish (remote, closed, NULL);
}

static gboolean
wake_up (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* The autorefresh sleep with idlefolders: one IDLE per folder, each on a
 * connection of its own (an account object of its own: a waiting folder
 * holds its repository's connection).  Returns 0 at the end of the time,
 * 1 when asked to sync now, 2 when asked to stop, 3 when a folder
 * changed. */
int
_mailsync_runner_idle_sleep (Job *job, guint seconds)
{
  MailsyncRunner *self = job->runner;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  gint64 next_report = 0;
  guint pending = 0;
  gboolean changed = FALSE;
  int why = 0;

  g_main_context_push_thread_default (context);
  g_mutex_lock (&self->mutex);
  job->idle_context = context;
  job->state = "sleeping (IDLE)";
  g_mutex_unlock (&self->mutex);

  if (job->idle_accounts == NULL)
    {
      job->idle_accounts = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (job->idle_accounts, g_object_ref (job->account));
      for (guint i = 1; job->idle_folders[i] != NULL; i++)
        {
          g_autoptr(GError) error = NULL;
          MailsyncAccount *extra = _mailsync_runner_create_account (job, &error);

          if (extra == NULL)
            {
              mailsync_ui_warn (self->ui, job->thread, "Cannot IDLE on %s: %s", job->idle_folders[i],
                                error->message);
              break;
            }
          g_ptr_array_add (job->idle_accounts, extra);
        }
    }
  for (guint i = 0; i < job->idle_accounts->len; i++)
    idle_start (job, job->idle_accounts->pdata[i], job->idle_folders[i], context, cancellable, seconds,
                &pending, &changed);

  while (TRUE)
    {
      gint64 now = g_get_monotonic_time ();
      GSource *timer;

      g_mutex_lock (&self->mutex);
      if (job->skip_sleep)
        {
          job->skip_sleep = FALSE;
          why = 1;
        }
      else if (self->stop_level > 0 || self->finish)
        why = 2;
      g_mutex_unlock (&self->mutex);
      if (why != 0)
        break;
      if (changed)
        {
          why = 3;
          break;
        }
      if (now >= end)
        break;
      /* the UIs see offlineimap's 10 s slices */
      if (now >= next_report)
        {
          guint remaining = (guint) ((end - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
          guint slice = MIN (10, remaining);

          mailsync_ui_sleeping (self->ui, job->name, slice, remaining);
          next_report = now + (gint64) slice * G_USEC_PER_SEC;
        }
      timer = g_timeout_source_new (MAX (1, (guint) ((MIN (end, next_report) - now) / 1000)));
      g_source_set_callback (timer, wake_up, NULL, NULL);
      g_source_attach (timer, context);
      g_main_context_iteration (context, TRUE);
      g_source_destroy (timer);
      g_source_unref (timer);
    }

  g_cancellable_cancel (cancellable);
  while (pending > 0)
    g_main_context_iteration (context, TRUE);
  for (guint i = 0; i < job->idle_accounts->len; i++)
    idle_close (job->idle_accounts->pdata[i], context);
  g_mutex_lock (&self->mutex);
  job->idle_context = NULL;
  g_mutex_unlock (&self->mutex);
  g_main_context_pop_thread_default (context);
  mailsync_ui_sleeping (self->ui, job->name, 0, 0);
  return why;
}

/* Wakes an IDLE sleep so it reads the flags; under the runner's mutex. */
void
_mailsync_runner_wake_idle (Job *job)
{
  if (job->idle_context != NULL)
    g_main_context_wakeup (job->idle_context);
}
