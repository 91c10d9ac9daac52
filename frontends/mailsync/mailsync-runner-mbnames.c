/* mailsync-runner-mbnames.c: after an account's sync, the mbnames
 * entries of the folders it synced, under their local names.  Moved from
 * mailsync-runner.c (issue 14 item 1). */
#include "config.h"

#include "mailsync-runner-private.h"

#include <string.h>


/* ---- mbnames: the local names of the folders synced ------------------- */

void
_mailsync_runner_store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
wait_for (GMainContext *context, GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (context, TRUE);
}

static char *
dots (const char *name, char sep)
{
  char *copy = g_strdup (name);

  if (sep != '.')
    g_strdelimit (copy, (char[]) { sep, '\0' }, '.');
  return copy;
}

/* The engine names a folder's status after the remote visible name with
 * the remote separator replaced by "."; the local folder is that visible
 * name with the local separator, so a local name maps back the same way. */
static GPtrArray *
local_names_of_synced (Job *job)
{
  MailsyncRepository *local = mailsync_account_get_local (job->account);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GAsyncResult) closed = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GVariant) description = mailsync_repository_describe (local);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  char sep = mailsync_repository_get_separator (local);

  if (!g_variant_lookup (description, "root", "&s", NULL))
    {
      /* no directory, no cheap listing (a local IMAP server): keep the
       * status names */
      for (guint i = 0; i < job->synced->len; i++)
        g_ptr_array_add (names, g_strdup (job->synced->pdata[i]));
      return names;
    }
  g_main_context_push_thread_default (context);
  mailsync_repository_open_async (local, NULL, _mailsync_runner_store_result, &opened);
  wait_for (context, &opened);
  if (mailsync_repository_open_finish (local, opened, NULL))
    {
      mailsync_repository_list_folders_async (local, NULL, _mailsync_runner_store_result, &listed);
      wait_for (context, &listed);
      folders = mailsync_repository_list_folders_finish (local, listed, NULL);
      mailsync_repository_close_async (local, NULL, _mailsync_runner_store_result, &closed);
      wait_for (context, &closed);
      mailsync_repository_close_finish (local, closed, NULL);
    }
  g_main_context_pop_thread_default (context);
  for (guint i = 0; folders != NULL && i < job->synced->len; i++)
    for (guint j = 0; j < folders->len; j++)
      {
        const char *lname = mailsync_folder_get_name (folders->pdata[j]);
        g_autofree char *as_status = dots (lname, sep);

        if (strcmp (as_status, job->synced->pdata[i]) == 0)
          {
            g_ptr_array_add (names, g_strdup (lname));
            break;
          }
      }
  return names;
}

void
_mailsync_runner_write_mbnames (Job *job)
{
  MailsyncRunner *self = job->runner;
  MailsyncRepository *local = mailsync_account_get_local (job->account);
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) description = NULL;
  const char *root = "";

  if (self->mbnames == NULL || !mailsync_mbnames_is_enabled (self->mbnames) || job->synced->len == 0)
    return;
  /* the local side's directory (Maildir), "" for one without */
  description = mailsync_repository_describe (local);
  g_variant_lookup (description, "root", "&s", &root);
  names = local_names_of_synced (job);
  g_ptr_array_add (names, NULL);
  if (!mailsync_mbnames_write_account (self->mbnames, job->name, root, (const char * const *) names->pdata,
                                       &error))
    mailsync_ui_error (self->ui, job->thread, "ERROR: %s", error->message);
}
