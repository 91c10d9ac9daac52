/* A folder's UIDVALIDITY check: the value the status saved (mailsync_meta)
 * and, where the status has none, offlineimap's FolderValidity file of the
 * folder's repository (reference §4.4), which is also kept up to date, so
 * that the check survives a switch between the two programs in either
 * direction (doc/design.md "UIDVALIDITY"). Split from
 * mailsync-sync-runner.c. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

/* <validity dir>/<FOLDERFILE> for @folder, or NULL when its repository has
 * no validity directory (an API client's account). offlineimap names the
 * file after the folder's own name in its repository (the IMAP server's
 * name, the Maildir's relative path) with its status file's rules ('/'
 * becomes '.', the root folder "dot"). */
static char *
validity_file (MailsyncFolder *folder)
{
  const char *dir = _mailsync_repository_get_validity_dir (mailsync_folder_get_repository (folder));
  g_autofree char *name = NULL;

  if (dir == NULL)
    return NULL;
  name = mailsync_status_folder_file_name (mailsync_folder_get_name (folder));
  return g_build_filename (dir, name, NULL);
}

/* The decimal value of @path's first line in @value (NULL when there is no
 * file). offlineimap reads int(first line); anything else there is an
 * error for the folder rather than a check silently skipped. */
static gboolean
read_validity_file (const char *path, char **value, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  char *end;
  guint64 number;

  *value = NULL;
  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_strstrip (contents);
  number = g_ascii_strtoull (contents, &end, 10);
  if (*contents == '\0' || *end != '\0' || !g_ascii_isdigit (*contents) || number > G_MAXUINT32)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                   "Cannot read the saved UIDVALIDITY in %s: not a number", path);
      return FALSE;
    }
  *value = g_strdup_printf ("%" G_GUINT64_FORMAT, number);
  return TRUE;
}

/* offlineimap checks nothing when neither the local folder nor the status
 * holds a message: it saves the current values (a server may lose an empty
 * folder's UIDVALIDITY), and nothing can be paired wrongly. */
static gboolean
both_empty (Runner *r)
{
  return (r->status_rows == NULL || _mailsync_status_table_size (r->status_rows) == 0) && _mailsync_sync_local_count (r) == 0 &&
         (r->local_unfiltered == NULL || r->local_unfiltered->len == 0);
}

gboolean
_mailsync_sync_check_one_validity (Runner              *r,
                                   MailsyncFolder      *folder,
                                   const char          *meta_key,
                                   MailsyncStatusBatch *batch,
                                   GError             **error)
{
  guint32 current = mailsync_folder_get_uidvalidity (folder);
  const char *saved = g_hash_table_lookup (r->meta, meta_key);
  g_autofree char *now = g_strdup_printf ("%u", current);
  g_autofree char *path = NULL;
  g_autofree char *from_file = NULL;

  if (current == 0)
    return TRUE;
  if (both_empty (r))
    {
      if (g_strcmp0 (saved, now) != 0)
        mailsync_status_batch_set_meta (batch, meta_key, now);
      return TRUE;
    }
  /* A status offlineimap wrote (or an older mailsync's) has no value of
   * its own: offlineimap's saved one is the one its rows go with. */
  if (saved == NULL && (path = validity_file (folder)) != NULL)
    {
      if (!read_validity_file (path, &from_file, error))
        return FALSE;
      saved = from_file;
    }
  if (saved != NULL && strcmp (saved, now) != 0)
    {
      if (r->config->emit != NULL)
        {
          g_autoptr(MailsyncSyncEvent) event =
            _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM, r->config->account_name,
                                      mailsync_folder_get_name (folder),
                                      mailsync_repository_get_name (mailsync_folder_get_repository (folder)),
                                      MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, NULL);
          _mailsync_sync_event_set_uidvalidity (event, (guint32) g_ascii_strtoull (saved, NULL, 10), current);
          r->config->emit (event, r->config->emit_data);
        }
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED,
                   "UID validity problem for folder %s (repo %s) (saved %s; got %u); skipping it",
                   mailsync_folder_get_name (folder),
                   mailsync_repository_get_name (mailsync_folder_get_repository (folder)),
                   saved, current);
      return FALSE;
    }
  if (g_hash_table_lookup (r->meta, meta_key) == NULL)
    mailsync_status_batch_set_meta (batch, meta_key, now);
  return TRUE;
}

/* After both checks passed: @folder's FolderValidity file says its current
 * value, as offlineimap leaves it (saved on first sight, re-saved when the
 * folder and the status are empty), so that offlineimap continuing after
 * us keeps its check. Written before the status commit that records the
 * value and before any message is copied: a crash can leave the file
 * ahead of the status, never a status with rows and no file (offlineimap
 * would then take a changed UIDVALIDITY for its first sight). */
static gboolean
save_validity_file (MailsyncFolder *folder, gboolean *wrote, GError **error)
{
  g_autofree char *path = validity_file (folder);
  g_autofree char *dir = NULL;
  g_autofree char *saved = NULL;
  g_autofree char *line = NULL;
  guint32 current = mailsync_folder_get_uidvalidity (folder);

  if (path == NULL || current == 0)
    return TRUE;
  line = g_strdup_printf ("%u\n", current);
  if (read_validity_file (path, &saved, NULL) && saved != NULL && strtoul (saved, NULL, 10) == current)
    return TRUE;
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot create", dir);
      return FALSE;
    }
  *wrote = TRUE;
  return _mailsync_write_file_atomic (path, line, strlen (line), error);
}

gboolean
_mailsync_sync_save_validity_files (Runner *r, GError **error)
{
  gboolean wrote = FALSE;

  if (!save_validity_file (r->remote, &wrote, error) || !save_validity_file (r->local, &wrote, error))
    return FALSE;
  /* the window: the files written, the status not yet */
  if (wrote)
    _mailsync_crash_point ("runner-validity-saved");
  return TRUE;
}
