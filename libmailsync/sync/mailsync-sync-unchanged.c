/* The unchanged-folder record (issue 13 item 1, doc/design.md "A no-op
 * costs O(folders)").
 *
 * After a sync that left both sides equal to the status, the runner
 * writes, next to the folder's status file, `<status file>.mailsync-unchanged`:
 *
 *   MAILSYNC-UNCHANGED 1
 *   remote UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES
 *   maildir PATH
 *   new DEV INO MTIME CTIME          (seconds.nanoseconds)
 *   cur DEV INO MTIME CTIME
 *   status SUFFIX DEV INO SIZE MTIME CTIME   (or "status SUFFIX -": absent)
 *   counts LOCAL REMOTE
 *
 * Everything above `counts` is the key: the next run composes it again
 * from one STATUS and a few stat() calls, and an equal key means the
 * folder is skipped with no per-message work. offlineimap never opens a
 * file of that name (it derives status file names from folder names and
 * never lists the directory), the plain store keeps its `.meta` and
 * `.journal` files there the same way.
 *
 * The status files are every file either store may use for the folder
 * (plain: the file, `.meta`, `.journal`; SQLite: the database and its
 * `-wal`, which the store keeps on close so that closing writes nothing).
 */
#include "config.h"

#include "mailsync-sync-unchanged.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define UNCHANGED_SUFFIX ".mailsync-unchanged"
#define UNCHANGED_MAGIC "MAILSYNC-UNCHANGED 1\n"

static const char *const status_suffixes[] = { "", ".meta", ".journal", "-wal" };

gint64
_mailsync_unchanged_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static gint64
ns_of (const struct timespec *ts)
{
  return (gint64) ts->tv_sec * G_GINT64_CONSTANT (1000000000) + ts->tv_nsec;
}

void
_mailsync_maildir_stamp_clear (MailsyncMaildirStamp *stamp)
{
  g_clear_pointer (&stamp->text, g_free);
  stamp->newest_ns = 0;
  stamp->granularity_ns = 0;
}

/* A file system's time stamps are the kernel's coarse clock (one tick)
 * cut to the file system's own granularity. A file system that keeps no
 * nanoseconds at all shows zeros there: then assume 2 s (FAT's, the
 * coarsest there is); else a tick and a millisecond more. */
gboolean
_mailsync_maildir_stamp_take (const char *maildir, MailsyncMaildirStamp *stamp)
{
  static const char *const subdirs[] = { "new", "cur" };
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean any_ns = FALSE;
  struct timespec res;

  _mailsync_maildir_stamp_clear (stamp);
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

gboolean
_mailsync_maildir_stamp_equal (const MailsyncMaildirStamp *a, const MailsyncMaildirStamp *b)
{
  return a->text != NULL && b->text != NULL && strcmp (a->text, b->text) == 0;
}

char *
_mailsync_unchanged_path (MailsyncStatusStore *status, const char *name)
{
  g_autofree char *base = mailsync_status_store_get_path (status, name);

  return base != NULL ? g_strconcat (base, UNCHANGED_SUFFIX, NULL) : NULL;
}

char *
_mailsync_unchanged_key (MailsyncStatusStore        *status,
                         const char                 *name,
                         const char                 *remote_stamp,
                         const char                 *maildir,
                         const MailsyncMaildirStamp *local)
{
  g_autofree char *base = mailsync_status_store_get_path (status, name);
  GString *key;

  if (base == NULL || remote_stamp == NULL || local->text == NULL || strchr (maildir, '\n') != NULL)
    return NULL;
  key = g_string_new (UNCHANGED_MAGIC);
  g_string_append_printf (key, "remote %s\nmaildir %s\n%s", remote_stamp, maildir, local->text);
  for (guint i = 0; i < G_N_ELEMENTS (status_suffixes); i++)
    {
      g_autofree char *path = g_strconcat (base, status_suffixes[i], NULL);
      struct stat st;

      if (stat (path, &st) != 0)
        {
          if (errno != ENOENT)
            {
              g_string_free (key, TRUE);
              return NULL;
            }
          g_string_append_printf (key, "status %s -\n", status_suffixes[i]);
          continue;
        }
      g_string_append_printf (key, "status %s %ju %ju %jd %jd.%09ld %jd.%09ld\n", status_suffixes[i],
                              (uintmax_t) st.st_dev, (uintmax_t) st.st_ino, (intmax_t) st.st_size,
                              (intmax_t) st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                              (intmax_t) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
    }
  return g_string_free (key, FALSE);
}

gboolean
_mailsync_unchanged_read (const char *path, char **key, guint *n_local, guint *n_remote)
{
  g_autofree char *text = NULL;
  const char *counts;
  guint a = 0, b = 0;
  char end;

  if (path == NULL || !g_file_get_contents (path, &text, NULL, NULL) || !g_str_has_prefix (text, UNCHANGED_MAGIC))
    return FALSE;
  counts = g_strrstr (text, "\ncounts ");
  if (counts == NULL || sscanf (counts + 1, "counts %u %u%c", &a, &b, &end) != 3 || end != '\n'
      || counts[strlen (counts) - 1] != '\n' || strchr (counts + 1, '\n') != counts + strlen (counts) - 1)
    return FALSE;
  *key = g_strndup (text, counts + 1 - text);
  *n_local = a;
  *n_remote = b;
  return TRUE;
}

/* Not fsynced: a record lost in a crash only costs the next run the full
 * path, and a torn one does not read back (its counts line is last). */
void
_mailsync_unchanged_write (const char *path, const char *key, guint n_local, guint n_remote)
{
  g_autofree char *text = g_strdup_printf ("%scounts %u %u\n", key, n_local, n_remote);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("cannot write %s: %s", path, error->message);
}

gboolean
_mailsync_unchanged_forget (const char *path)
{
  if (path == NULL || g_unlink (path) == 0 || errno == ENOENT)
    return TRUE;
  g_debug ("cannot remove %s: %s", path, g_strerror (errno));
  return FALSE;
}
