/* Large literals of the IMAP connection: FETCH bodies above a threshold
 * go to an unlinked spool file as they arrive, read back with CRLF line
 * ends. Moved from mailsync-imap-connection.c (issue 14 item 1). */
#define _GNU_SOURCE 1  /* O_TMPFILE */
#include "config.h"

#include "backends/imap/mailsync-imap-connection-private.h"

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
 * message sizes of memory. Small ones are cheaper in memory. */
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

/* CRLF -> LF (Maildir form, as _mailsync_maildir_copy_to_fd() converts:
 * a lone CR stays) while a body literal is spooled, and LF -> CRLF when it
 * is read back, which gives the literal's bytes again (IMAP literals have
 * no lone LF; APPEND would make one CRLF anyway). */
#define LINE_ENDS_TYPE (line_ends_get_type ())
G_DECLARE_FINAL_TYPE (LineEnds, line_ends, MAILSYNC, LINE_ENDS, GObject)

struct _LineEnds
{
  GObject parent_instance;
  gboolean to_lf;
  gboolean pending_cr;
};

static void line_ends_converter_init (GConverterIface *iface);

G_DEFINE_TYPE_WITH_CODE (LineEnds, line_ends, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_CONVERTER, line_ends_converter_init))

static GConverterResult
line_ends_convert (GConverter      *converter,
                   const void      *inbuf,
                   gsize            inbuf_size,
                   void            *outbuf,
                   gsize            outbuf_size,
                   GConverterFlags  flags,
                   gsize           *bytes_read,
                   gsize           *bytes_written,
                   GError         **error)
{
  LineEnds *self = MAILSYNC_LINE_ENDS (converter);
  const char *in = inbuf;
  char *out = outbuf;
  gsize i = 0;
  gsize o = 0;

  if (self->to_lf)
    {
      while (i < inbuf_size)
        {
          if (self->pending_cr)
            {
              if (o >= outbuf_size)
                break;
              if (in[i] == '\n')
                {
                  out[o++] = '\n';
                  i++;
                }
              else
                out[o++] = '\r';
              self->pending_cr = FALSE;
              continue;
            }
          if (in[i] == '\r')
            {
              self->pending_cr = TRUE;
              i++;
              continue;
            }
          if (o >= outbuf_size)
            break;
          out[o++] = in[i++];
        }
      if (i == inbuf_size && self->pending_cr && (flags & G_CONVERTER_INPUT_AT_END) && o < outbuf_size)
        {
          out[o++] = '\r';
          self->pending_cr = FALSE;
        }
    }
  else
    {
      for (; i < inbuf_size; i++)
        {
          if (in[i] == '\n')
            {
              if (o + 2 > outbuf_size)
                break;
              out[o++] = '\r';
            }
          else if (o >= outbuf_size)
            break;
          out[o++] = in[i];
        }
    }
  if (i == 0 && o == 0 && (inbuf_size > 0 || (self->pending_cr && (flags & G_CONVERTER_INPUT_AT_END))))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Need more output space");
      return G_CONVERTER_ERROR;
    }
  *bytes_read = i;
  *bytes_written = o;
  if (i == inbuf_size && !self->pending_cr && (flags & G_CONVERTER_INPUT_AT_END))
    return G_CONVERTER_FINISHED;
  if (i == inbuf_size && (flags & G_CONVERTER_FLUSH))
    return G_CONVERTER_FLUSHED;
  return G_CONVERTER_CONVERTED;
}

static void
line_ends_reset (GConverter *converter)
{
  MAILSYNC_LINE_ENDS (converter)->pending_cr = FALSE;
}

static void
line_ends_converter_init (GConverterIface *iface)
{
  iface->convert = line_ends_convert;
  iface->reset = line_ends_reset;
}

static void
line_ends_class_init (LineEndsClass *klass)
{
}

static void
line_ends_init (LineEnds *self)
{
}

static GConverter *
line_ends_new (gboolean to_lf)
{
  LineEnds *self = g_object_new (LINE_ENDS_TYPE, NULL);

  self->to_lf = to_lf;
  return G_CONVERTER (self);
}

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
  to_crlf = line_ends_new (FALSE);
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
  to_lf = line_ends_new (TRUE);
  spool = g_converter_output_stream_new (base, to_lf);
  /* _mailsync_imap_spool_reopen() closes the conversion, not the file. */
  g_filter_output_stream_set_close_base_stream (G_FILTER_OUTPUT_STREAM (spool), FALSE);
  return spool;
}
