/* Reading a Maildir folder's message files (fetch_message). */
#include "config.h"

#include "mailsync-maildir-folder-private.h"
#include "mailsync-maildir-delivery.h"
#include "mailsync-maildir-filename.h"
#include "mailsync-error.h"
#include "mailsync-message-info.h"
#include "mailsync-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixinputstream.h>

/* fetch_message ---------------------------------------------------------------- */

static const char *
file_kind (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISCHR (mode) || S_ISBLK (mode))
    return "a device";
  return "not a regular file";
}

/* Opens a message file for reading, or fails. A file that cannot be a
 * message fails with MAILSYNC_ERROR_SKIPPED naming it, which costs only
 * that message: a symlink is never followed (it may point anywhere, out of
 * the Maildir included), and a directory, FIFO, socket or device, an
 * empty file or one that cannot be opened is not a message. A vanished
 * file is G_IO_ERROR_NOT_FOUND, as callers expect. */
static GInputStream *
open_rel (MailsyncMaildirFolder  *self,
          const char             *rel,
          GCancellable           *cancellable,
          GError                **error)
{
  g_autofree char *path = g_build_filename (self->path, rel, NULL);
  g_autofree char *why = NULL;
  struct stat st;
  int fd;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    {
      int saved = errno;

      switch (saved)
        {
        case ENOENT:
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Cannot open %s: %s", path,
                       g_strerror (saved));
          return NULL;
        case EMFILE:
        case ENFILE:
        case ENOMEM:
        case EINTR:
          /* The process, not the file: not a reason to skip it. */
          _mailsync_set_error_from_errno (error, saved, "Cannot open", path);
          return NULL;
        case ELOOP:
          why = g_strdup ("it is a symbolic link, which is not followed");
          break;
        default:
          why = g_strdup_printf ("it cannot be read (%s)", g_strerror (saved));
          break;
        }
    }
  else if (fstat (fd, &st) != 0)
    why = g_strdup_printf ("it cannot be read (%s)", g_strerror (errno));
  else if (!S_ISREG (st.st_mode))
    why = g_strdup_printf ("it is %s, not a message file", file_kind (st.st_mode));
  else if (st.st_size == 0)
    why = g_strdup ("it is empty (0 bytes)");
  if (why != NULL)
    {
      if (fd >= 0)
        close (fd);
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED, "Skipping local file %s: %s", path, why);
      return NULL;
    }
  /* Reads of a regular file never see O_NONBLOCK, but clear it all the
   * same for whoever gets the descriptor. */
  if (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) != 0)
    {
      int saved = errno;

      close (fd);
      _mailsync_set_error_from_errno (error, saved, "Cannot open", path);
      return NULL;
    }
  /* A file stream: the message is read as the caller consumes it. */
  return g_unix_input_stream_new (fd, TRUE);
}

static void
fetch_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  guint32 uid = mailsync_message_info_get_uid (d->info);
  g_autofree char *rel = NULL;
  GInputStream *stream;
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (uid == 0)
    {
      const char *key = mailsync_message_info_get_key (d->info);

      if (!_mailsync_maildir_folder_check_key (key, &error) ||
          (stream = open_rel (self, key, cancellable, &error)) == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            {
              g_clear_error (&error);
              g_set_error (&error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                           "Message %s of %s vanished", key, self->path);
            }
          g_task_return_error (task, error);
          return;
        }
      g_task_return_pointer (task, stream, g_object_unref);
      return;
    }

  rel = _mailsync_maildir_folder_index_lookup (self, uid);
  if (rel != NULL)
    {
      stream = open_rel (self, rel, cancellable, &error);
      if (stream != NULL)
        {
          g_task_return_pointer (task, stream, g_object_unref);
          return;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_task_return_error (task, error);
          return;
        }
      g_clear_error (&error);
    }

  /* Not indexed, or renamed since the listing: look again. */
  g_free (rel);
  rel = _mailsync_maildir_folder_find_uid (self, d->md5, uid, cancellable, &error);
  if (rel == NULL)
    {
      if (error == NULL)
        g_set_error (&error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                     "No message with UID %u in %s", uid, self->path);
      g_task_return_error (task, error);
      return;
    }
  stream = open_rel (self, rel, cancellable, &error);
  if (stream == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, stream, g_object_unref);
}

void
_mailsync_maildir_folder_fetch_message_async (MailsyncFolder      *folder,
                                              MailsyncMessageInfo *info,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  OpData *d;
  g_autoptr(GTask) task = _mailsync_maildir_folder_op_task_new (MAILSYNC_MAILDIR_FOLDER (folder),
                                                                _mailsync_maildir_folder_fetch_message_async,
                                                                cancellable, callback, user_data, &d);

  d->info = g_object_ref (info);
  g_task_run_in_thread (task, fetch_thread);
}

GInputStream *
_mailsync_maildir_folder_fetch_message_finish (MailsyncFolder  *folder,
                                               GAsyncResult    *result,
                                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
