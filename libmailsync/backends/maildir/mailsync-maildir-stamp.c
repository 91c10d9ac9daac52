/* A Maildir folder's stamp and scan by name for the unchanged-folder
 * record (the engine's table, mailsync-folder-engine-private.h), split
 * from mailsync-maildir-listing.c. */
#include "config.h"

#include "mailsync-maildir-folder-private.h"
#include "mailsync-maildir-filename.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-folder-engine-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the unchanged-folder record's stamp and scan (the engine's table,
 * mailsync-folder-engine-private.h; moved from sync/mailsync-sync-unchanged.c,
 * issue 14 item 3) ---------------------------------------------------------- */

static gint64
ns_of (const struct timespec *ts)
{
  return (gint64) ts->tv_sec * G_GINT64_CONSTANT (1000000000) + ts->tv_nsec;
}

/* A file system's time stamps are the kernel's coarse clock (one tick)
 * cut to the file system's own granularity. A file system that keeps no
 * nanoseconds at all shows zeros there: then assume 2 s (FAT's, the
 * coarsest there is); else a tick and a millisecond more. */
gboolean
_mailsync_maildir_folder_take_stamp (MailsyncFolder *folder, _MailsyncFolderStamp *stamp)
{
  static const char *const subdirs[] = { "new", "cur" };
  const char *maildir = MAILSYNC_MAILDIR_FOLDER (folder)->path;
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean any_ns = FALSE;
  struct timespec res;

  _mailsync_folder_stamp_clear (stamp);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (maildir, subdirs[i], NULL);
      struct stat st;

      if (stat (path, &st) != 0 || !S_ISDIR (st.st_mode))
        return FALSE;
      g_string_append_printf (text, "%s %ju %ju %jd.%09ld %jd.%09ld\n", subdirs[i], (uintmax_t) st.st_dev,
                              (uintmax_t) st.st_ino, (intmax_t) st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                              (intmax_t) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
      stamp->newest_ns = MAX (stamp->newest_ns, MAX (ns_of (&st.st_mtim), ns_of (&st.st_ctim)));
      any_ns = any_ns || st.st_mtim.tv_nsec != 0 || st.st_ctim.tv_nsec != 0;
    }
  if (!any_ns)
    stamp->granularity_ns = 2 * G_GINT64_CONSTANT (1000000000);
  else if (clock_getres (CLOCK_REALTIME_COARSE, &res) == 0 && ns_of (&res) < G_GINT64_CONSTANT (1000000000))
    stamp->granularity_ns = ns_of (&res) + 1000000;
  else
    stamp->granularity_ns = 20000000;
  stamp->text = g_string_free (g_steal_pointer (&text), FALSE);
  return TRUE;
}

/* The names of new/ and cur/ as the Maildir's listing reads them (entries
 * starting with a dot left out, U= trusted only under the folder's FMD5),
 * with no stat() and no message object: readdir() only. FALSE for any
 * doubt: a directory that cannot be read, or a file the status cannot
 * hold (no UID of this folder: new local mail). */
gboolean
_mailsync_maildir_folder_scan_names (MailsyncFolder *folder, _MailsyncFolderNameFunc func, gpointer user_data)
{
  static const char *const subdirs[] = { "new", "cur" };
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  const char *maildir = self->path;
  g_autofree char *md5 = _mailsync_maildir_folder_dup_md5 (self);

  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *path = g_build_filename (maildir, subdirs[s], NULL);
      DIR *dir = opendir (path);
      struct dirent *de;

      if (dir == NULL)
        return FALSE;
      errno = 0;
      while ((de = readdir (dir)) != NULL)
        {
          MailsyncMaildirNameView name;
          guint32 uid;

          if (de->d_name[0] == '.')
            {
              errno = 0;
              continue;
            }
          _mailsync_maildir_name_view (de->d_name, &name);
          uid = _mailsync_maildir_name_view_uid_for (de->d_name, &name, md5);
          if (uid != 0)
            {
              /* a flag run is shorter than its name (NAME_MAX) */
              char letters[sizeof de->d_name];

              memcpy (letters, de->d_name + name.flags_off, MIN (name.flags_len, sizeof letters - 1));
              letters[MIN (name.flags_len, sizeof letters - 1)] = '\0';
              func (uid, letters, user_data);
            }
          if (uid == 0)
            {
              closedir (dir);
              return FALSE;
            }
          errno = 0;
        }
      if (errno != 0)
        {
          closedir (dir);
          return FALSE;
        }
      closedir (dir);
    }
  return TRUE;
}
