/* Small durability and error helpers shared by the backends and stores. */
#include "config.h"

#include "mailsync-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* Only in a build for the crash tests (configure --enable-test-hooks);
 * otherwise mailsync-private.h makes the hook an empty inline. */
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
static GMutex crash_lock;
static GHashTable *crash_counts;

void
_mailsync_crash_point (const char *step)
{
  static const char *spec;
  static gsize initialized;
  const char *colon;
  guint wanted = 1;
  guint count;
  gboolean hang;

  if (g_once_init_enter (&initialized))
    {
      spec = g_getenv ("MAILSYNC_CRASH_AT");
      g_once_init_leave (&initialized, 1);
    }
  if (spec == NULL || *spec == '\0')
    return;

  colon = strchr (spec, ':');
  if (colon != NULL)
    wanted = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  /* "<step>:<n>:hang": the passage stops there instead of exiting, so
   * that a test can SIGKILL the process at a known point while its other
   * threads (the other connections' folders) are still at work, not
   * after a count of events that a fast run may finish first. */
  hang = colon != NULL && g_str_has_suffix (colon + 1, ":hang");
  if (strncmp (spec, step, colon ? (gsize) (colon - spec) : strlen (spec)) != 0 ||
      strlen (step) != (colon ? (gsize) (colon - spec) : strlen (spec)))
    return;

  g_mutex_lock (&crash_lock);
  if (crash_counts == NULL)
    crash_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (crash_counts, step)) + 1;
  /* Copy the key: callers may pass a composed name they free. */
  g_hash_table_replace (crash_counts, g_strdup (step), GUINT_TO_POINTER (count));
  g_mutex_unlock (&crash_lock);

  if (count == wanted && hang)
    {
      /* one write(2), the line the test waits for; then this thread waits
       * for the signal for ever */
      g_autofree char *line = g_strdup_printf ("mailsync: hanging at %s:%u\n", step, count);

      if (write (STDERR_FILENO, line, strlen (line)) < 0)
        _exit (78);
      for (;;)
        pause ();
    }
  if (count == wanted)
    {
      /* _exit, not exit: a crash runs no atexit handlers and flushes nothing. */
      _exit (77);
    }
}
#endif

void
_mailsync_set_error_from_errno (GError    **error,
                                int         saved_errno,
                                const char *what,
                                const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
}

gboolean
_mailsync_fsync_dir (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot open directory", path);
      return FALSE;
    }
  if (fsync (fd) < 0 && errno != EINVAL)
    {
      int saved = errno;
      close (fd);
      _mailsync_set_error_from_errno (error, saved, "Cannot fsync directory", path);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

gboolean
_mailsync_write_file_atomic (const char  *path,
                             const char  *contents,
                             gsize        length,
                             GError     **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  gsize done = 0;
  int fd;

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot create", tmp);
      return FALSE;
    }
  while (done < length)
    {
      ssize_t n = write (fd, contents + done, length - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          close (fd);
          g_unlink (tmp);
          _mailsync_set_error_from_errno (error, saved, "Cannot write", tmp);
          return FALSE;
        }
      done += (gsize) n;
    }
  if (fsync (fd) < 0)
    {
      int saved = errno;
      close (fd);
      g_unlink (tmp);
      _mailsync_set_error_from_errno (error, saved, "Cannot fsync", tmp);
      return FALSE;
    }
  close (fd);
  if (g_rename (tmp, path) < 0)
    {
      int saved = errno;
      g_unlink (tmp);
      _mailsync_set_error_from_errno (error, saved, "Cannot rename over", path);
      return FALSE;
    }
  return _mailsync_fsync_dir (dir, error);
}

/* The library's one answer to "where is ~": $HOME when set and not empty,
 * read at each call (g_get_home_dir() caches its first answer, and tests
 * and daemons change HOME), else the passwd entry. */
const char *
_mailsync_home_dir (void)
{
  const char *home = g_getenv ("HOME");

  return home != NULL && *home != '\0' ? home : g_get_home_dir ();
}

/* The library's one content digest (see mailsync-private.h): CRs are
 * skipped in place of copying the data. */
void
_mailsync_content_digest_update (GChecksum *md5, const guint8 *data, gsize len)
{
  gsize start = 0;

  for (gsize i = 0; i < len; i++)
    if (data[i] == '\r')
      {
        g_checksum_update (md5, data + start, i - start);
        start = i + 1;
      }
  g_checksum_update (md5, data + start, len - start);
}

/* The Message-ID of a header block (or of a whole message: it stops at
 * the blank line), unfolded and trimmed, or "". Moved from the engine's
 * move detection, which reads local files with it, so that the IMAP
 * backend gives the public fetch_message_ids the value, not the lines. */
char *
_mailsync_header_message_id (const char *headers, gsize len)
{
  const char *p = headers, *end = headers + len;

  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      gsize n = (eol != NULL ? eol : end) - p;

      if (n == 0 || (n == 1 && p[0] == '\r'))
        break; /* end of the header */
      if (n > 11 && g_ascii_strncasecmp (p, "message-id:", 11) == 0)
        {
          g_autoptr(GString) value = g_string_new_len (p + 11, n - 11);
          const char *q = eol != NULL ? eol + 1 : end;

          /* folded continuation lines */
          while (q < end && (*q == ' ' || *q == '\t'))
            {
              const char *qe = memchr (q, '\n', end - q);
              g_string_append_len (value, q, (qe != NULL ? qe : end) - q);
              q = qe != NULL ? qe + 1 : end;
            }
          g_strdelimit (value->str, "\r\n\t", ' ');
          return g_strdup (g_strstrip (value->str));
        }
      p = eol != NULL ? eol + 1 : end;
    }
  return g_strdup ("");
}
