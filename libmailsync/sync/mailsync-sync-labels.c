/* The Gmail label pass (synclabels: a Gmail remote against a GmailMaildir
 * local, offlineimap's pass 4 of GmailMaildirFolder): labels go between
 * the server's X-GM-LABELS and the files' labels header, with the status's
 * labels column as the common base. Split from mailsync-sync-runner.c
 * (issue 14 item 1); mailsync-sync-private.h has what the files share. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* ---- the label pass (synclabels) --------------------------------------- */

/* The labels of a status row (", "-joined; NULL tolerated), cleaned. */
static char **
status_labels (Runner *r, guint32 uid, gboolean clean)
{
  const MailsyncStatusRecord *row = _mailsync_status_table_lookup (r->status_rows, uid);
  g_auto(GStrv) parts = g_strsplit (row && row->labels ? row->labels : "", ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    g_strstrip (parts[i]);
  return _mailsync_labels_clean (clean ? r->labels : NULL, (const char *const *) parts);
}

static gboolean
same_labels (char **a, char **b)
{
  return g_strv_equal ((const char *const *) a, (const char *const *) b);
}

char *
_mailsync_sync_local_file (Runner *r, MailsyncMessageInfo *info)
{
  return g_build_filename (_mailsync_folder_get_directory (r->local),
                           mailsync_message_info_get_key (info), NULL);
}

/* Reads a message file of the label pass, refusing what cannot be a
 * message as the Maildir's own reads do (9a31de7): a symlink is not
 * followed, a FIFO is not opened for a writer that never comes (the pass
 * would hang), and an empty file (what a crash can leave) has no labels
 * header: taken at its word, it would remove every label of its message
 * on the server. Those fail with MAILSYNC_ERROR_SKIPPED, which costs
 * only that message. @mode gets the file's permissions. */
gboolean
_mailsync_sync_read_local_file (const char *path, char **contents, gsize *length, mode_t *mode, GError **error)
{
  g_autoptr(GByteArray) data = NULL;
  const char *why = NULL;
  struct stat st;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

  if (fd < 0)
    {
      int saved = errno;

      if (saved != ELOOP)
        {
          _mailsync_set_error_from_errno (error, saved, "Cannot open", path);
          return FALSE;
        }
      why = "it is a symbolic link, which is not followed";
    }
  else if (fstat (fd, &st) != 0)
    {
      int saved = errno;

      close (fd);
      _mailsync_set_error_from_errno (error, saved, "Cannot read", path);
      return FALSE;
    }
  else if (!S_ISREG (st.st_mode))
    why = "it is not a regular file";
  else if (st.st_size == 0)
    why = "it is empty (0 bytes)";
  if (why != NULL)
    {
      if (fd >= 0)
        close (fd);
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED, "Skipping labels of local file %s: %s", path, why);
      return FALSE;
    }
  *mode = st.st_mode & 07777;
  data = g_byte_array_sized_new ((guint) MIN (st.st_size + 1, G_MAXUINT));
  for (;;)
    {
      guint8 buf[65536];
      ssize_t n = read (fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          _mailsync_set_error_from_errno (error, saved, "Cannot read", path);
          return FALSE;
        }
      if (n == 0)
        break;
      g_byte_array_append (data, buf, (guint) n);
    }
  close (fd);
  *length = data->len;
  g_byte_array_append (data, (const guint8 *) "", 1);
  *contents = (char *) g_byte_array_free (g_steal_pointer (&data), FALSE);
  return TRUE;
}

/* GmailMaildirFolder.savemessagelabels: the file gets @labels (and the
 * ignored labels it had) in its labels header, through a new file in
 * tmp/ renamed over the same name (U=, FMD5 and flags kept); nothing is
 * written when its own labels are @labels already. With the repository's
 * fsync (the default) the new file's data is on disk before the rename,
 * so a crash leaves the old file or the whole new one, never an empty
 * one; *@renamed says a directory of the folder needs its own fsync
 * before the status records the new labels. */
static gboolean
save_local_labels (Runner *r, MailsyncMessageInfo *info, char **labels, gboolean *renamed, GError **error)
{
  g_autofree char *path = _mailsync_sync_local_file (r, info);
  g_autofree char *contents = NULL;
  g_autofree char *value = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GBytes) old = NULL;
  g_autoptr(GBytes) rewritten = NULL;
  g_auto(GStrv) own = NULL;
  g_auto(GStrv) kept = NULL;
  g_autoptr(GStrvBuilder) all = g_strv_builder_new ();
  g_auto(GStrv) merged = NULL;
  gboolean do_fsync = _mailsync_folder_get_fsync (r->local);
  const guint8 *bytes;
  gsize length, done = 0;
  mode_t mode = 0600;
  int fd;

  if (!_mailsync_sync_read_local_file (path, &contents, &length, &mode, error))
    return FALSE;
  own = _mailsync_labels_from_message (r->labels->header, contents, length);
  kept = _mailsync_labels_clean (r->labels, (const char *const *) own);
  if (same_labels (kept, labels))
    return TRUE;
  g_strv_builder_addv (all, (const char **) labels);
  for (guint i = 0; own[i] != NULL; i++)
    if (r->labels->ignore != NULL && g_strv_contains ((const char *const *) r->labels->ignore, own[i]))
      g_strv_builder_add (all, own[i]);
  merged = g_strv_builder_end (all);
  {
    g_auto(GStrv) sorted = _mailsync_labels_clean (NULL, (const char *const *) merged);

    value = _mailsync_labels_format (r->labels->header, (const char *const *) sorted);
  }
  old = g_bytes_new_take (g_steal_pointer (&contents), length);
  rewritten = _mailsync_labels_rewrite (old, r->labels->header, value);
  tmp = g_strdup_printf ("%s/tmp/mailsync-labels.%u.%d", _mailsync_folder_get_directory (r->local),
                         mailsync_message_info_get_uid (info), (int) getpid ());
  /* the file's own permissions: a 0600 message stays private */
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot create", tmp);
      return FALSE;
    }
  bytes = g_bytes_get_data (rewritten, &length);
  while (done < length)
    {
      ssize_t n = write (fd, bytes + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot write", tmp);
          goto fail;
        }
      done += (gsize) n;
    }
  if (do_fsync && fsync (fd) != 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot fsync", tmp);
      goto fail;
    }
  if (close (fd) != 0)
    {
      fd = -1;
      _mailsync_set_error_from_errno (error, errno, "Cannot close", tmp);
      goto fail;
    }
  fd = -1;
  _mailsync_crash_point ("labels-tmp-written");
  if (g_rename (tmp, path) != 0)
    {
      int saved = errno;

      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Can't rename file '%s' to '%s': %s", tmp, path,
                   g_strerror (saved));
      return FALSE;
    }
  *renamed = *renamed || do_fsync;
  return TRUE;

fail:
  if (fd >= 0)
    close (fd);
  g_unlink (tmp);
  return FALSE;
}

/* The renames of the label pass reach the disk before the status says
 * the files have their new labels: otherwise a crash could leave the old
 * file under a status that takes it as rewritten, and its labels would
 * differ from the server's for good. */
static gboolean
fsync_local_dirs (Runner *r, GError **error)
{
  const char *base = _mailsync_folder_get_directory (r->local);
  g_autofree char *cur = g_build_filename (base, "cur", NULL);
  g_autofree char *new = g_build_filename (base, "new", NULL);

  return _mailsync_fsync_dir (cur, error) && _mailsync_fsync_dir (new, error);
}

/* A message file the label pass cannot take (read_local_file()): one
 * warning naming it, the run exits 1, and its status row is left as it
 * was so that the next run looks at it again. */
static gboolean
skip_labels_of (Runner *r, guint32 uid, GError **error)
{
  if (error == NULL || !g_error_matches (*error, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED))
    return FALSE;
  r->incomplete = TRUE;
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, r->local, MAILSYNC_DIRECTION_NONE, uid, 0, 0, NULL, *error, (*error)->message);
  g_clear_error (error);
  return TRUE;
}

static gboolean
store_remote_labels (Runner *r, GArray *uids, char sign, const char *label, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  const char *one[] = { label, NULL };

  /* GmailFolder._messagelabels_aux leaves the ignored labels alone */
  if (r->labels->ignore != NULL && g_strv_contains ((const char *const *) r->labels->ignore, label))
    one[0] = NULL;
  mailsync_folder_store_labels_async (r->remote, (const guint32 *) uids->data, uids->len,
                                      sign == '+' ? MAILSYNC_LABEL_OPERATION_ADD : MAILSYNC_LABEL_OPERATION_REMOVE, one,
                                      r->config->cancellable, _mailsync_store_result, &result);
  return mailsync_folder_store_labels_finish (r->remote, _mailsync_await (&result), error);
}

static void
emit_text (Runner *r, MailsyncSyncEventKind kind, MailsyncFolder *destination, guint32 uid, guint n, guint total,
           const char *text)
{
  _mailsync_sync_emit (r, kind, destination, MAILSYNC_DIRECTION_NONE, uid, n, total, NULL, NULL, text);
}

/* GmailMaildirFolder.quickchanged: a file newer than its status row's
 * mtime (its labels header may have changed) is a change for quick mode. */
gboolean
_mailsync_sync_labels_changed_locally (Runner *r)
{
  if (r->labels != NULL)
    _mailsync_sync_local_materialise (r);
  for (guint i = 0; r->labels != NULL && r->local_list != NULL && i < r->local_list->len; i++)
    {
      MailsyncMessageInfo *info = r->local_list->pdata[i];
      const MailsyncStatusRecord *row =
        _mailsync_status_table_lookup (r->status_rows, mailsync_message_info_get_uid (info));

      if (row != NULL && _mailsync_sync_local_mtime (r, info) > row->mtime)
        return TRUE;
    }
  return FALSE;
}

/* offlineimap's pass 4 in both directions: the remote's label changes
 * into the local files (GmailFolder.syncmessagesto_labels), then the
 * local files changed since the status' mtime to the server
 * (GmailMaildirFolder.syncmessagesto_labels). Messages uploaded by this
 * run are left to the next one. */
gboolean
_mailsync_sync_run_labels (Runner *r, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) listing = NULL;
  g_autoptr(GHashTable) local = g_hash_table_new (NULL, NULL);
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) changed = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  const char *remote_name = mailsync_folder_get_name (r->remote);
  const char *local_name = mailsync_folder_get_name (r->local);
  g_autoptr(GHashTable) adds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  g_autoptr(GHashTable) dels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  g_autoptr(GPtrArray) add_order = g_ptr_array_new ();
  g_autoptr(GPtrArray) del_order = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;
  gboolean renamed = FALSE;

  if (r->labels == NULL || _mailsync_folder_get_directory (r->local) == NULL)
    return TRUE;
  /* the files as they are now (the flag pass renamed some) */
  mailsync_folder_list_messages_async (r->local, r->config->cancellable, _mailsync_store_result, &result);
  listing = mailsync_folder_list_messages_finish (r->local, _mailsync_await (&result), error);
  if (listing == NULL)
    return FALSE;
  for (guint i = 0; i < listing->len; i++)
    g_hash_table_insert (local, GUINT_TO_POINTER (mailsync_message_info_get_uid (listing->pdata[i])), listing->pdata[i]);

  /* remote -> local */
  g_hash_table_iter_init (&iter, r->remote_labels);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint32 uid = GPOINTER_TO_UINT (key);
      g_auto(GStrv) old = status_labels (r, uid, TRUE);

      if (uid > 0 && g_hash_table_contains (local, key) && !same_labels (value, old))
        g_array_append_val (uids, uid);
    }
  g_array_sort (uids, (GCompareFunc) _mailsync_sync_compare_uid);
  for (guint i = 0; i < uids->len && !mailsync_folder_is_read_only (r->local); i++)
    {
      guint32 uid = g_array_index (uids, guint32, i);
      char **labels = g_hash_table_lookup (r->remote_labels, GUINT_TO_POINTER (uid));
      MailsyncMessageInfo *info = g_hash_table_lookup (local, GUINT_TO_POINTER (uid));
      const MailsyncStatusRecord *row = _mailsync_status_table_lookup (r->status_rows, uid);
      g_autofree char *joined = g_strjoinv (", ", labels);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *text = g_strdup_printf ("Setting labels to message %u on %s (%u of %u): %s", uid, local_name,
                                               i + 1, uids->len, joined);

      emit_text (r, MAILSYNC_SYNC_EVENT_LABELS_SET, r->local, uid, i + 1, uids->len, text);
      if (r->config->dry_run)
        continue;
      if (!save_local_labels (r, info, labels, &renamed, &local_error))
        {
          if (skip_labels_of (r, uid, &local_error))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      mailsync_status_batch_put (batch, uid, row ? row->flags : "", _mailsync_sync_local_mtime (r, info), joined);
    }
  if (renamed && !fsync_local_dirs (r, error))
    return FALSE;
  if (!r->config->dry_run && !_mailsync_sync_commit (r, batch, error))
    return FALSE;
  g_clear_pointer (&batch, mailsync_status_batch_unref);
  batch = mailsync_status_batch_new ();

  /* local -> remote: the files changed since the status' mtime */
  if (mailsync_folder_is_read_only (r->remote))
    return TRUE;
  for (guint i = 0; i < listing->len; i++)
    {
      MailsyncMessageInfo *info = listing->pdata[i];
      guint32 uid = mailsync_message_info_get_uid (info);
      const MailsyncStatusRecord *row = _mailsync_status_table_lookup (r->status_rows, uid);

      /* on both sides now: the status has it (this run's uploads too, as
       * offlineimap's Gmail message list has them after savemessage) */
      if (uid == 0 || !_mailsync_status_table_contains (r->status_rows, uid))
        continue;
      if (_mailsync_sync_local_mtime (r, info) > (row ? row->mtime : 0))
        g_array_append_val (changed, uid);
    }
  g_array_sort (changed, (GCompareFunc) _mailsync_sync_compare_uid);
  {
    g_autofree char *text = changed->len ? g_strdup_printf ("Collecting data from %u messages on %s", changed->len, local_name)
                                         : g_strdup_printf ("Collecting data from messages on %s", local_name);

    emit_text (r, MAILSYNC_SYNC_EVENT_COLLECTING_DATA, r->local, 0, changed->len, 0, text);
  }
  for (guint i = 0; i < changed->len; i++)
    {
      guint32 uid = g_array_index (changed, guint32, i);
      MailsyncMessageInfo *info = g_hash_table_lookup (local, GUINT_TO_POINTER (uid));
      g_autofree char *path = _mailsync_sync_local_file (r, info);
      g_autofree char *contents = NULL;
      gsize length;
      mode_t mode;
      g_autoptr(GError) local_error = NULL;
      g_auto(GStrv) own = NULL;
      g_auto(GStrv) mine = NULL;
      g_auto(GStrv) old = status_labels (r, uid, FALSE);

      if (!_mailsync_sync_read_local_file (path, &contents, &length, &mode, &local_error))
        {
          if (!skip_labels_of (r, uid, &local_error))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          /* nor its mtime recorded below: the next run reads it again */
          g_array_remove_index (changed, i);
          i--;
          continue;
        }
      own = _mailsync_labels_from_message (r->labels->header, contents, length);
      mine = _mailsync_labels_clean (NULL, (const char *const *) own);
      for (int pass = 0; pass < 2; pass++)
        {
          char **from = pass == 0 ? mine : old, **other = pass == 0 ? old : mine;
          GHashTable *groups = pass == 0 ? adds : dels;

          for (guint k = 0; from[k] != NULL; k++)
            {
              GArray *list;

              if (g_strv_contains ((const char *const *) other, from[k]))
                continue;
              list = g_hash_table_lookup (groups, from[k]);
              if (list == NULL)
                {
                  list = g_array_new (FALSE, FALSE, sizeof (guint32));
                  g_hash_table_insert (groups, g_strdup (from[k]), list);
                  g_ptr_array_add (pass == 0 ? add_order : del_order, g_hash_table_lookup_extended (groups, from[k], &key, NULL) ? key : NULL);
                }
              g_array_append_val (list, uid);
            }
        }
    }
  for (int pass = 0; pass < 2; pass++)
    {
      GPtrArray *order = pass == 0 ? add_order : del_order;
      GHashTable *groups = pass == 0 ? adds : dels;

      for (guint k = 0; k < order->len; k++)
        {
          const char *label = order->pdata[k];
          GArray *list = g_hash_table_lookup (groups, label);
          g_autofree char *text = g_strdup_printf (pass == 0 ? "Adding label %s to %u messages on %s"
                                                             : "Deleting label %s from %u messages on %s",
                                                   label, list->len, remote_name);

          emit_text (r, pass == 0 ? MAILSYNC_SYNC_EVENT_LABELS_ADDED : MAILSYNC_SYNC_EVENT_LABELS_REMOVED,
                     r->remote, 0, list->len, 0, text);
          if (r->config->dry_run)
            continue;
          if (!store_remote_labels (r, list, pass == 0 ? '+' : '-', label, error))
            return FALSE;
          /* the status follows label by label (LocalStatus add/deletemessageslabels) */
          for (guint j = 0; j < list->len; j++)
            {
              guint32 uid = g_array_index (list, guint32, j);
              const MailsyncStatusRecord *row = _mailsync_status_table_lookup (r->status_rows, uid);
              g_auto(GStrv) labels = status_labels (r, uid, FALSE);
              g_autoptr(GStrvBuilder) next = g_strv_builder_new ();
              g_auto(GStrv) built = NULL;
              g_auto(GStrv) sorted = NULL;
              g_autofree char *joined = NULL;

              for (guint m = 0; labels[m] != NULL; m++)
                if (pass == 0 || strcmp (labels[m], label) != 0)
                  g_strv_builder_add (next, labels[m]);
              if (pass == 0)
                g_strv_builder_add (next, label);
              built = g_strv_builder_end (next);
              sorted = _mailsync_labels_clean (NULL, (const char *const *) built);
              joined = _mailsync_labels_status ((const char *const *) sorted);
              mailsync_status_batch_put (batch, uid, row ? row->flags : "", row ? row->mtime : 0, joined);
            }
          if (!_mailsync_sync_commit (r, batch, error))
            return FALSE;
          g_clear_pointer (&batch, mailsync_status_batch_unref);
          batch = mailsync_status_batch_new ();
        }
    }
  /* the mtimes last: a failure above leaves them old, and the next run
   * looks at those files again */
  if (r->config->dry_run)
    return TRUE;
  for (guint i = 0; i < changed->len; i++)
    {
      guint32 uid = g_array_index (changed, guint32, i);
      const MailsyncStatusRecord *row = _mailsync_status_table_lookup (r->status_rows, uid);

      mailsync_status_batch_put (batch, uid, row ? row->flags : "",
                                 _mailsync_sync_local_mtime (r, g_hash_table_lookup (local, GUINT_TO_POINTER (uid))),
                                 row ? row->labels : "");
    }
  return _mailsync_sync_commit (r, batch, error);
}
