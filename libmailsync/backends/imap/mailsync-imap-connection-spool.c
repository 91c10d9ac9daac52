/* Large literals of the IMAP connection: FETCH bodies above a threshold
 * go to an unlinked spool file as they arrive, read back with CRLF line
 * ends. Moved from mailsync-imap-connection.c (issue 14 item 1). */
#define _GNU_SOURCE 1  /* O_TMPFILE */
#include "config.h"

#include "backends/imap/mailsync-imap-connection-private.h"
#include "mailsync-line-ends.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* ---- spooling large literals ----------------------------------------------- */

/* Message bodies above this size go to a spool file as they arrive
 * instead of being buffered: the 64 fetches in flight must not cost 64
 * message sizes of memory (more run only while their sizes add up to
 * 2 MiB, sync/mailsync-sync-ops.c). Small ones are cheaper in memory. */
#define SPOOL_THRESHOLD (256 * 1024)

/* An unlinked file: nothing is left behind whatever happens to the
 * process. In the user's cache directory rather than /tmp, which is often
 * a tmpfs, i.e. memory again. */
int
_mailsync_imap_spool_open (GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "mailsync", NULL);
  g_autofree char *path = NULL;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_free (dir);
      dir = g_strdup (g_get_tmp_dir ());
    }
#ifdef O_TMPFILE
  /* Nameless from the start, and a Maildir delivery on the same file
   * system can link it into its tmp/ directory instead of copying it. */
  fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
  if (fd >= 0)
    return fd;
#endif
  path = g_build_filename (dir, "spool-XXXXXX", NULL);
  fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot create a spool file in %s: %s",
                   dir, g_strerror (saved));
      return -1;
    }
  g_unlink (path);
  return fd;
}

/* A body literal is spooled in Maildir form, CRLF -> LF as
 * _mailsync_maildir_copy_to_fd() converts (a lone CR stays), and read back
 * with every LF -> CRLF, which gives the literal's bytes again (IMAP
 * literals have no lone LF; APPEND would make one CRLF anyway). Both
 * through the library's one converter (mailsync-line-ends.h). */

GInputStream *
_mailsync_imap_spool_reopen (GOutputStream *spool, GError **error)
{
  GOutputStream *base = spool;
  g_autoptr(GInputStream) raw = NULL;
  g_autoptr(GConverter) to_crlf = NULL;
  GInputStream *content;
  int fd;

  /* A body literal was spooled in Maildir form: end its conversion (a
   * final CR) and read it back with its CRLF line ends. */
  if (G_IS_CONVERTER_OUTPUT_STREAM (spool))
    {
      if (!g_output_stream_is_closed (spool) && !g_output_stream_close (spool, NULL, error))
        return NULL;
      base = g_filter_output_stream_get_base_stream (G_FILTER_OUTPUT_STREAM (spool));
    }
  if (!G_IS_UNIX_OUTPUT_STREAM (base))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Not a spool stream");
      return NULL;
    }
  fd = dup (g_unix_output_stream_get_fd (G_UNIX_OUTPUT_STREAM (base)));
  if (fd < 0 || lseek (fd, 0, SEEK_SET) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot read the spool file: %s",
                   g_strerror (saved));
      return NULL;
    }
  raw = g_unix_input_stream_new (fd, TRUE);
  if (base == spool)
    return g_steal_pointer (&raw);
  to_crlf = _mailsync_line_ends_converter_new (MAILSYNC_LINE_ENDS_TO_CRLF);
  content = g_converter_input_stream_new (raw, to_crlf);
  _mailsync_spool_set_fd (content, fd);
  return content;
}

GOutputStream *
_mailsync_imap_connection_spool_literal (const MailsyncImapLiteralInfo *info, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) base = NULL;
  g_autoptr(GConverter) to_lf = NULL;
  GOutputStream *spool;
  int fd;

  if (info->size < SPOOL_THRESHOLD ||
      (strcmp (info->name, "BODY[]") != 0 && strcmp (info->name, "BINARY[]") != 0 &&
       strcmp (info->name, "RFC822") != 0))
    return NULL;
  fd = _mailsync_imap_spool_open (&error);
  if (fd < 0)
    {
      /* Still correct, only costlier: buffer it. */
      IMAP_DEBUG ("%s; buffering the literal in memory", error->message);
      return NULL;
    }
  base = g_unix_output_stream_new (fd, TRUE);
  /* BINARY[] may hold a lone LF that CRLF could not give back. */
  if (info->literal8 || strcmp (info->name, "BINARY[]") == 0)
    return g_steal_pointer (&base);
  to_lf = _mailsync_line_ends_converter_new (MAILSYNC_LINE_ENDS_TO_LF);
  spool = g_converter_output_stream_new (base, to_lf);
  /* _mailsync_imap_spool_reopen() closes the conversion, not the file. */
  g_filter_output_stream_set_close_base_stream (G_FILTER_OUTPUT_STREAM (spool), FALSE);
  return spool;
}
