/* mailsync-status-sqlite-logs.c: a SQLite status database's write-ahead
 * log and rollback journal checked before the database is opened (split
 * out of mailsync-status-sqlite.c in session 18). */
#include "config.h"

#include "status/mailsync-status-sqlite-logs.h"
#include "mailsync-error.h"
#include "mailsync-status-base.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* SQLite reads a write-ahead log whose header does not check out as empty
 * and silently drops it (and a rollback journal without its magic as not
 * hot): by design, because a crash can tear what was never committed. But
 * the log here holds every commit since the last checkpoint (see
 * keep_wal_on_close() in mailsync-status-sqlite.c), often the whole status, so an ignored log is a
 * silent step back to an old status: mail deleted since comes back. SQLite
 * writes and syncs the log header before the first frame that follows it
 * (synchronous=FULL), so a committed frame is never behind a torn header;
 * a header that is neither all zeros (a file grown by a crash before its
 * first write landed) nor valid is damage, and the folder is refused
 * rather than synced from whatever the main file holds. Damage inside the
 * frames cannot be told from a torn last transaction and is SQLite's to
 * recover, as it does after any crash. */
#define WAL_HEADER_SIZE 32
#define WAL_MAGIC 0x377f0682u
#define WAL_VERSION 3007000u
#define JOURNAL_MAGIC "\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"

static guint32
get_be32 (const guchar *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* SQLite's WAL checksum (walChecksumBytes) over the first 24 header
 * bytes, with the 32-bit words in the byte order the magic names. */
static gboolean
wal_header_checksum_ok (const guchar *h)
{
  gboolean big = (get_be32 (h) & 1) != 0;
  guint32 s0 = 0, s1 = 0;

  for (guint i = 0; i < 24; i += 8)
    {
      guint32 x0 = get_be32 (h + i), x1 = get_be32 (h + i + 4);

      if (!big)
        {
          x0 = GUINT32_SWAP_LE_BE (x0);
          x1 = GUINT32_SWAP_LE_BE (x1);
        }
      s0 += x0 + s1;
      s1 += x1 + s0;
    }
  return s0 == get_be32 (h + 24) && s1 == get_be32 (h + 28);
}

/* Plain open() and read(), not GFile: g_file_read() would set up GIO's
 * VFS (its extension points, the module directory's cache, GLocalFile
 * and its streams) in a run that uses no other GFile, code pages and
 * heap that every step opening a status paid (issue 13 item 4, session
 * 17). */
static gboolean
read_head (const char  *path,
           guchar      *buf,
           gsize        size,
           gsize       *got,
           gboolean    *exists,
           GError     **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  int saved;

  *got = 0;
  *exists = (fd >= 0);
  if (fd < 0)
    {
      saved = errno;
      if (saved == ENOENT)
        return TRUE;
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_FAILED,
                   "Cannot read status database log %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  while (*got < size)
    {
      gssize n = read (fd, buf + *got, size - *got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved = errno;
          g_close (fd, NULL);
          g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_FAILED,
                       "Cannot read status database log %s: %s", path, g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        break;
      *got += (gsize) n;
    }
  g_close (fd, NULL);
  return TRUE;
}

gboolean
_mailsync_status_sqlite_check_logs (const char  *path,
                                    GError     **error)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *journal = g_strconcat (path, "-journal", NULL);
  guchar head[WAL_HEADER_SIZE];
  const char *reason = NULL;
  gboolean exists;
  gsize got;

  if (!read_head (wal, head, sizeof head, &got, &exists, error))
    return FALSE;
  if (got > 0 && !_mailsync_status_all_zero (head, got))
    {
      guint32 page_size = got == sizeof head ? get_be32 (head + 8) : 0;

      if (got < sizeof head)
        reason = "torn header";
      else if ((get_be32 (head) & ~1u) != WAL_MAGIC)
        reason = "bad magic (not a SQLite write-ahead log)";
      else if (get_be32 (head + 4) != WAL_VERSION)
        reason = "unknown log format version";
      else if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0)
        reason = "invalid page size";
      else if (!wal_header_checksum_ok (head))
        reason = "header checksum mismatch";
      if (reason != NULL)
        {
          g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
                       "Status database log %s is corrupt: %s; its commits would be lost",
                       wal, reason);
          return FALSE;
        }
    }

  if (!read_head (journal, head, 8, &got, &exists, error))
    return FALSE;
  /* A journal of a finished transaction is deleted, truncated or zeroed
   * (journal_mode DELETE, TRUNCATE, PERSIST); one with the magic is hot and
   * SQLite rolls it back. Anything else hides a half-written transaction
   * that SQLite would leave in the database. */
  if (got > 0 && !_mailsync_status_all_zero (head, got) &&
      (got < 8 || memcmp (head, JOURNAL_MAGIC, 8) != 0))
    {
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
                   "Status database journal %s is corrupt: %s", journal,
                   got < 8 ? "torn header" : "bad magic (not a SQLite rollback journal)");
      return FALSE;
    }
  return TRUE;
}
