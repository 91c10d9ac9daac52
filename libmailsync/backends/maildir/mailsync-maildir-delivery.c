#define _GNU_SOURCE 1  /* renameat2, RENAME_NOREPLACE */
#include "config.h"

#include "mailsync-maildir-delivery.h"
#include "mailsync-maildir-filename.h"
#include "mailsync-line-ends.h"
#include "mailsync-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read size of a delivery's copy (plus twice that for the converted
 * bytes). Deliveries run in GIO's worker threads, one per message in the
 * download window: at 64 KB each held 192 KB, 1 MB for the five copies an
 * initial sync of small messages runs at once, 2.7 MB with GIO's pool
 * full. 16 KB costs no measurable CPU (a write per 16 KB of a file the
 * page cache takes anyway) and holds 48 KB per copy (issue 13 item 4). */
#define COPY_BUFFER 16384
#define SMALL_COPY 4096

static gboolean
write_all (int          fd,
           const char  *buf,
           gsize        len,
           const char  *path,
           GError     **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot write", path);
          return FALSE;
        }
      buf += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Append converted bytes to @headers until the blank line that ends them. */
static void
collect_headers (GString    *headers,
                 gboolean   *done,
                 const char *data,
                 gsize       len)
{
  gsize start;
  const char *end;

  if (headers == NULL || *done)
    return;
  start = headers->len > 0 ? headers->len - 1 : 0;
  g_string_append_len (headers, data, (gssize) MIN (len, MAILSYNC_MAILDIR_MAX_HEADER - headers->len));
  if (headers->len > 0 && headers->str[0] == '\n')
    {
      /* No headers at all. */
      g_string_truncate (headers, 0);
      *done = TRUE;
      return;
    }
  end = strstr (headers->str + start, "\n\n");
  if (end != NULL)
    {
      g_string_truncate (headers, (gsize) (end - headers->str) + 2);
      *done = TRUE;
    }
  else if (headers->len >= MAILSYNC_MAILDIR_MAX_HEADER)
    *done = TRUE;
}

/* Where a copy writes: the file, and what it has written. */
typedef struct
{
  int fd;
  const char *path;
  GString *headers;
  gboolean headers_done;
  guint64 total;
} Sink;

/* Writes @len converted bytes to @sink's file, collecting its headers. */
static gboolean
sink_write (Sink        *sink,
            const char  *out,
            gsize        len,
            GError     **error)
{
  collect_headers (sink->headers, &sink->headers_done, out, len);
  if (!write_all (sink->fd, out, len, sink->path, error))
    return FALSE;
  sink->total += len;
  return TRUE;
}

static gboolean
copy_stream (GInputStream  *in,
             guint64        expected_size,
             Sink          *sink,
             GCancellable  *cancellable,
             GError       **error)
{
  /* A small message gets buffers of its size (+1: its end is seen by the
   * second read either way): the 48 KB of a full-size pair made malloc
   * take a large-chunk path and consolidate its arena for every message
   * of an initial sync (issue 13 item 5). A size that is wrong costs
   * only more reads. Up to SMALL_COPY they are on the stack: a request of
   * 1 KB or more is a large one to malloc, which consolidates its fast
   * bins first, and most messages are a few KB. */
  gsize chunk = expected_size > 0 && expected_size < COPY_BUFFER ? (gsize) expected_size + 1 : COPY_BUFFER;
  char small_buf[SMALL_COPY];
  char small_out[MAILSYNC_LINE_ENDS_MAX_OUT (SMALL_COPY)];
  g_autofree char *heap_buf = NULL;
  g_autofree char *heap_out = NULL;
  char *buf = chunk <= SMALL_COPY ? small_buf : (heap_buf = g_malloc (chunk));
  char *out = chunk <= SMALL_COPY ? small_out : (heap_out = g_malloc (MAILSYNC_LINE_ENDS_MAX_OUT (chunk)));
  MailsyncLineEnds line_ends;
  /* A fetched body in memory is read at once: its reads are not given
   * the cancellable, which GIO would push and pop (two allocations) around
   * each of them; it is looked at once here instead. */
  GCancellable *read_cancellable = G_IS_MEMORY_INPUT_STREAM (in) ? NULL : cancellable;

  if (read_cancellable == NULL && g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  /* CRLF -> LF, a lone CR kept, a CR|LF split between two reads one line
   * end: the library's one converter (mailsync-line-ends.h). */
  _mailsync_line_ends_init (&line_ends, MAILSYNC_LINE_ENDS_TO_LF);
  for (;;)
    {
      gssize n = g_input_stream_read (in, buf, chunk, read_cancellable, error);
      gsize o;

      if (n < 0)
        return FALSE;
      if (n == 0)
        o = _mailsync_line_ends_finish (&line_ends, (guint8 *) out);
      else
        o = _mailsync_line_ends_convert (&line_ends, (const guint8 *) buf, (gsize) n, (guint8 *) out);
      if (!sink_write (sink, out, o, error))
        return FALSE;
      if (n == 0)
        return TRUE;
    }
}

/* The same for a body in memory: converted in pieces straight from it, no
 * stream and no read buffer (the engine's downloads, session 19). */
static gboolean
copy_bytes (GBytes        *bytes,
            Sink          *sink,
            GCancellable  *cancellable,
            GError       **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gsize chunk = MIN (MAX (len, 1), COPY_BUFFER);
  char small_out[MAILSYNC_LINE_ENDS_MAX_OUT (SMALL_COPY)];
  g_autofree char *heap_out = NULL;
  char *out = chunk <= SMALL_COPY ? small_out : (heap_out = g_malloc (MAILSYNC_LINE_ENDS_MAX_OUT (chunk)));
  MailsyncLineEnds line_ends;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  _mailsync_line_ends_init (&line_ends, MAILSYNC_LINE_ENDS_TO_LF);
  for (gsize at = 0; at < len; at += MIN (chunk, len - at))
    if (!sink_write (sink, out, _mailsync_line_ends_convert (&line_ends, data + at, MIN (chunk, len - at),
                                                             (guint8 *) out), error))
      return FALSE;
  return sink_write (sink, out, _mailsync_line_ends_finish (&line_ends, (guint8 *) out), error);
}

gboolean
_mailsync_maildir_copy_to_fd (GInputStream  *in,
                              GBytes        *bytes,
                              guint64        expected_size,
                              int            fd,
                              const char    *path,
                              GString       *headers,
                              guint64       *written,
                              GCancellable  *cancellable,
                              GError       **error)
{
  Sink sink = { fd, path, headers, FALSE, 0 };

  if (!(bytes != NULL ? copy_bytes (bytes, &sink, cancellable, error)
                      : copy_stream (in, expected_size, &sink, cancellable, error)))
    return FALSE;
  if (written)
    *written = sink.total;
  return TRUE;
}

int
_mailsync_maildir_adopt_spool (int          spool_fd,
                               const char  *tmp_path,
                               GString     *headers,
                               guint64     *size,
                               int         *saved_errno)
{
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", spool_fd);
  struct stat st;
  int fd;

  /* Only an O_TMPFILE file can be linked again once nameless. */
  if (linkat (AT_FDCWD, proc, AT_FDCWD, tmp_path, AT_SYMLINK_FOLLOW) != 0)
    {
      *saved_errno = errno;
      return -1;
    }
  fd = fcntl (spool_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &st) != 0)
    goto fail;
  if (headers != NULL)
    {
      g_autofree char *buf = g_malloc (MAILSYNC_MAILDIR_MAX_HEADER);
      gboolean done = FALSE;
      ssize_t n;

      do
        n = pread (fd, buf, MAILSYNC_MAILDIR_MAX_HEADER, 0);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        goto fail;
      collect_headers (headers, &done, buf, (gsize) n);
    }
  *size = (guint64) st.st_size;
  return fd;

fail:
  *saved_errno = errno;
  if (fd >= 0)
    close (fd);
  unlink (tmp_path);
  return -1;
}

/* Set once a link through /proc was refused: the process then creates
 * named tmp/ files only (see _mailsync_maildir_name_anonymous()). */
static gint anonymous_refused = 0;

/* MAILSYNC_TEST_MAILDIR_NAMED_TMP=1 (a test hook): deliveries create a
 * named tmp/ file as on a file system without O_TMPFILE. */
static gboolean
anonymous_allowed (void)
{
  static gsize proc_checked = 0;
  static gboolean proc_ok = FALSE;

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  if (g_strcmp0 (g_getenv ("MAILSYNC_TEST_MAILDIR_NAMED_TMP"), "1") == 0)
    return FALSE;
#endif
  if (g_atomic_int_get (&anonymous_refused))
    return FALSE;
  if (g_once_init_enter (&proc_checked))
    {
      proc_ok = access ("/proc/self/fd", F_OK) == 0;
      g_once_init_leave (&proc_checked, 1);
    }
  return proc_ok;
}

int
_mailsync_maildir_open_anonymous (const char *tmp_dir)
{
#ifdef O_TMPFILE
  if (anonymous_allowed ())
    return open (tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
#else
  (void) tmp_dir;
#endif
  return -1;
}

/* "/proc/self/fd/<fd>" into @buf, without printf (once per delivered
 * message). */
static const char *
proc_fd_path (char buf[32],
              int  fd)
{
  char digits[12];
  int n = 0;
  unsigned int v = (unsigned int) fd;

  do
    {
      digits[n++] = (char) ('0' + v % 10);
      v /= 10;
    }
  while (v != 0);
  memcpy (buf, "/proc/self/fd/", 14);
  for (int i = 0; i < n; i++)
    buf[14 + i] = digits[n - 1 - i];
  buf[14 + n] = '\0';
  return buf;
}

gboolean
_mailsync_maildir_link_anonymous (int          fd,
                                  const char  *to,
                                  GError     **error)
{
  char buf[32];
  const char *proc = proc_fd_path (buf, fd);

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  /* MAILSYNC_TEST_MAILDIR_LINK_REFUSED=1: the link fails with EPERM, as
   * where a sandbox or a security module refuses it. */
  if (g_strcmp0 (g_getenv ("MAILSYNC_TEST_MAILDIR_LINK_REFUSED"), "1") == 0)
    {
      _mailsync_set_error_from_errno (error, EPERM, "Cannot link a new message as", to);
      return FALSE;
    }
#endif
  /* link(2) never replaces an existing name. */
  if (linkat (AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0)
    return TRUE;
  if (errno == EEXIST)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Cannot link a new message as %s: it already exists", to);
      return FALSE;
    }
  _mailsync_set_error_from_errno (error, errno, "Cannot link a new message as", to);
  return FALSE;
}

gboolean
_mailsync_maildir_name_anonymous (int          fd,
                                  gboolean     refused,
                                  const char  *tmp_path,
                                  gboolean     do_fsync,
                                  GError     **error)
{
  char buf[COPY_BUFFER];
  off_t offset = 0;
  int out;

  /* A refusal (a sandbox, a security module, a /proc without the fd
   * links) is not about one message: from now on this process writes
   * named tmp/ files. Another error (ENOSPC, EIO, a removed cur/) costs
   * this message's nameless path only. */
  if (refused)
    g_atomic_int_set (&anonymous_refused, 1);
  out = open (tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (out < 0)
    {
      if (errno == EEXIST)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Cannot create %s: it already exists", tmp_path);
          return FALSE;
        }
      _mailsync_set_error_from_errno (error, errno, "Cannot create", tmp_path);
      return FALSE;
    }
  for (;;)
    {
      ssize_t n = pread (fd, buf, sizeof buf, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot read back the new message for", tmp_path);
          goto fail;
        }
      if (n == 0)
        break;
      if (!write_all (out, buf, (gsize) n, tmp_path, error))
        goto fail;
      offset += n;
    }
  if (do_fsync && fsync (out) != 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot fsync", tmp_path);
      goto fail;
    }
  if (close (out) != 0)
    {
      out = -1;
      _mailsync_set_error_from_errno (error, errno, "Cannot close", tmp_path);
      goto fail;
    }
  return TRUE;

fail:
  if (out >= 0)
    close (out);
  unlink (tmp_path);
  return FALSE;
}

gboolean
_mailsync_maildir_rename_noreplace (const char  *from,
                                    const char  *to,
                                    GError     **error)
{
#ifdef RENAME_NOREPLACE
  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return TRUE;
  if (errno == EEXIST)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "Cannot rename %s: %s already exists", from, to);
      return FALSE;
    }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot rename", from);
      return FALSE;
    }
#endif
  /* No renameat2 on this file system: link() refuses an existing target too;
   * some file systems have no hard links, and then a checked rename() is the
   * best there is (the names are unique per host, pid and sequence). */
  if (link (from, to) == 0)
    {
      if (unlink (from) != 0)
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot remove", from);
          return FALSE;
        }
      return TRUE;
    }
  if (errno == EEXIST)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "Cannot rename %s: %s already exists", from, to);
      return FALSE;
    }
  if (access (to, F_OK) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "Cannot rename %s: %s already exists", from, to);
      return FALSE;
    }
  if (rename (from, to) != 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot rename", from);
      return FALSE;
    }
  return TRUE;
}
