/* mailsync-lock.c: one writer per account (DESIGN.md §5 rule 7). */
#include "config.h"

#include "mailsync-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libmailsync/mailsync.h>
#include <sys/stat.h>
#include <unistd.h>

struct _MailsyncLock
{
  char *path;
  int fd;
};

/**
 * mailsync_lock_acquire:
 * @metadata_dir: the metadata directory (created 0700 if missing)
 * @account: the account name
 * @error: return location for a #GError
 *
 * Takes the account's lock without waiting.  A lock held by another
 * process gives %MAILSYNC_ERROR_LOCKED with offlineimap's message, and the
 * other process's file is left alone (offlineimap 8.0 unlinks it).
 *
 * Returns: (transfer full): the held lock, or %NULL
 */
MailsyncLock *
mailsync_lock_acquire (const char  *metadata_dir,
                       const char  *account,
                       GError     **error)
{
  g_autofree char *name = g_strconcat (account, ".lock", NULL);
  g_autofree char *path = g_build_filename (metadata_dir, name, NULL);

  if (g_mkdir_with_parents (metadata_dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create metadata directory %s: %s", metadata_dir, g_strerror (saved));
      return NULL;
    }

  /* The holder unlinks the file on release: if we locked a file that was
   * unlinked (or replaced) between our open() and fcntl(), our lock
   * protects nothing, so check that the path still names our inode. */
  for (int attempt = 0; attempt < 10; attempt++)
    {
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
      struct stat fd_st, path_st;
      int fd = g_open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

      if (fd < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot open lock file %s: %s", path, g_strerror (saved));
          return NULL;
        }
      if (fcntl (fd, F_SETLK, &fl) < 0)
        {
          int saved = errno;

          close (fd);
          if (saved == EAGAIN || saved == EACCES)
            g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_LOCKED,
                         "Could not lock account %s. Is another instance using this account?", account);
          else
            g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                         "Cannot lock %s: %s", path, g_strerror (saved));
          return NULL;
        }
      if (fstat (fd, &fd_st) == 0 && g_stat (path, &path_st) == 0
          && fd_st.st_ino == path_st.st_ino && fd_st.st_dev == path_st.st_dev)
        {
          MailsyncLock *lock = g_new0 (MailsyncLock, 1);

          lock->path = g_steal_pointer (&path);
          lock->fd = fd;
          return lock;
        }
      close (fd);
    }
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_LOCKED,
               "Could not lock account %s. Is another instance using this account?", account);
  return NULL;
}

/**
 * mailsync_lock_release:
 * @lock: (transfer full) (nullable): a held lock
 *
 * Unlinks the lock file (while still holding the lock, so no other
 * process can lock the name we remove) and releases it.
 */
void
mailsync_lock_release (MailsyncLock *lock)
{
  if (lock == NULL)
    return;
  g_unlink (lock->path);
  close (lock->fd);
  g_free (lock->path);
  g_free (lock);
}
