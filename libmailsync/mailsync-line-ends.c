/* The library's one line-end converter (see mailsync-line-ends.h). It
 * replaces three copies that had drifted apart: the IMAP literal spool's
 * GConverter, APPEND's spool loop and the Maildir delivery copy. */
#include "config.h"

#include "mailsync-line-ends.h"

#include <string.h>

void
_mailsync_line_ends_init (MailsyncLineEnds *self, MailsyncLineEndsMode mode)
{
  self->mode = mode;
  self->held_cr = FALSE;
  self->after_cr = FALSE;
}

/* CRLF -> LF. Runs without a CR are copied whole: this runs over every
 * byte of every message delivered. */
static gsize
convert_to_lf (MailsyncLineEnds *self, const guint8 *in, gsize len, guint8 *out)
{
  gsize i = 0;
  gsize o = 0;

  if (self->held_cr)
    {
      /* The CR that ended the last chunk pairs with an LF starting this
       * one; before anything else it was a lone CR, and stays. */
      self->held_cr = FALSE;
      if (in[0] == '\n')
        i = 1;
      out[o++] = in[0] == '\n' ? '\n' : '\r';
    }
  while (i < len)
    {
      const guint8 *cr = memchr (in + i, '\r', len - i);
      gsize run = (cr != NULL ? (gsize) (cr - in) : len) - i;

      memcpy (out + o, in + i, run);
      o += run;
      i += run;
      if (i == len)
        break;
      if (i + 1 == len)
        {
          /* Not knowable yet whether an LF follows. */
          self->held_cr = TRUE;
          i++;
        }
      else if (in[i + 1] == '\n')
        {
          out[o++] = '\n';
          i += 2;
        }
      else
        {
          out[o++] = '\r';
          i++;
        }
    }
  return o;
}

/* LF -> CRLF; with @keep, an LF that already follows a CR (in this chunk
 * or as the last byte of the previous one) is left alone. */
static gsize
convert_to_crlf (MailsyncLineEnds *self, const guint8 *in, gsize len, guint8 *out, gboolean keep)
{
  gsize i = 0;
  gsize o = 0;

  while (i < len)
    {
      const guint8 *lf = memchr (in + i, '\n', len - i);
      gsize run = (lf != NULL ? (gsize) (lf - in) : len) - i;
      gboolean after_cr;

      memcpy (out + o, in + i, run);
      o += run;
      i += run;
      if (i == len)
        break;
      after_cr = i > 0 ? in[i - 1] == '\r' : self->after_cr;
      if (!keep || !after_cr)
        out[o++] = '\r';
      out[o++] = '\n';
      i++;
    }
  self->after_cr = in[len - 1] == '\r';
  return o;
}

gsize
_mailsync_line_ends_convert (MailsyncLineEnds *self, const guint8 *in, gsize len, guint8 *out)
{
  if (len == 0)
    return 0;
  switch (self->mode)
    {
    case MAILSYNC_LINE_ENDS_TO_LF:
      return convert_to_lf (self, in, len, out);
    case MAILSYNC_LINE_ENDS_TO_CRLF:
      return convert_to_crlf (self, in, len, out, FALSE);
    case MAILSYNC_LINE_ENDS_TO_CRLF_KEEP:
      return convert_to_crlf (self, in, len, out, TRUE);
    default:
      g_return_val_if_reached (0);
    }
}

gsize
_mailsync_line_ends_finish (MailsyncLineEnds *self, guint8 *out)
{
  gboolean held = self->held_cr;

  _mailsync_line_ends_init (self, self->mode);
  if (!held)
    return 0;
  out[0] = '\r';
  return 1;
}

/* ---- the GConverter -------------------------------------------------------- */

#define MAILSYNC_TYPE_LINE_ENDS_CONVERTER (_mailsync_line_ends_converter_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncLineEndsConverter, _mailsync_line_ends_converter, MAILSYNC, LINE_ENDS_CONVERTER,
                      GObject)

struct _MailsyncLineEndsConverter
{
  GObject parent_instance;
  MailsyncLineEnds state;
};

static void line_ends_converter_iface_init (GConverterIface *iface);

G_DEFINE_TYPE_WITH_CODE (MailsyncLineEndsConverter, _mailsync_line_ends_converter, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_CONVERTER, line_ends_converter_iface_init))

static GConverterResult
line_ends_converter_convert (GConverter      *converter,
                             const void      *inbuf,
                             gsize            inbuf_size,
                             void            *outbuf,
                             gsize            outbuf_size,
                             GConverterFlags  flags,
                             gsize           *bytes_read,
                             gsize           *bytes_written,
                             GError         **error)
{
  MailsyncLineEnds *state = &MAILSYNC_LINE_ENDS_CONVERTER (converter)->state;
  gboolean at_end = (flags & G_CONVERTER_INPUT_AT_END) != 0;
  /* As much input as surely fits: each byte makes at most two. */
  gsize n = MIN (inbuf_size, outbuf_size / 2);
  gsize written = 0;

  if (n > 0)
    written = _mailsync_line_ends_convert (state, inbuf, n, outbuf);
  else if (inbuf_size > 0 && outbuf_size > 0)
    {
      /* Room for one byte only (a caller reading byte by byte): convert
       * one aside and take it back when it made two. */
      MailsyncLineEnds saved = *state;
      guint8 scratch[MAILSYNC_LINE_ENDS_MAX_OUT (1)];

      written = _mailsync_line_ends_convert (state, inbuf, 1, scratch);
      if (written <= outbuf_size)
        {
          memcpy (outbuf, scratch, written);
          n = 1;
        }
      else
        {
          *state = saved;
          written = 0;
          if (state->mode == MAILSYNC_LINE_ENDS_TO_LF && state->held_cr)
            {
              /* The held CR was a lone one (it is not followed by an LF,
               * or the byte would have fitted): it goes out alone. */
              ((guint8 *) outbuf)[0] = '\r';
              state->held_cr = FALSE;
              written = 1;
            }
        }
    }
  if (n == inbuf_size && at_end && state->held_cr && written < outbuf_size)
    written += _mailsync_line_ends_finish (state, (guint8 *) outbuf + written);
  if (inbuf_size == 0 && written == 0 && !at_end && (flags & G_CONVERTER_FLUSH) == 0)
    {
      /* Nothing to do before more input: a GConverterInputStream reads
       * more on this error, and would call again forever on a success. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "Need more input");
      return G_CONVERTER_ERROR;
    }
  if (n == 0 && written == 0 && (inbuf_size > 0 || (at_end && state->held_cr)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Need more output space");
      return G_CONVERTER_ERROR;
    }
  *bytes_read = n;
  *bytes_written = written;
  if (n == inbuf_size && at_end && !state->held_cr)
    return G_CONVERTER_FINISHED;
  /* A flush keeps a final CR back: whether it ends a line is only known
   * with the next byte, and a flush must not decide it. */
  if (n == inbuf_size && (flags & G_CONVERTER_FLUSH))
    return G_CONVERTER_FLUSHED;
  return G_CONVERTER_CONVERTED;
}

static void
line_ends_converter_reset (GConverter *converter)
{
  MailsyncLineEnds *state = &MAILSYNC_LINE_ENDS_CONVERTER (converter)->state;

  _mailsync_line_ends_init (state, state->mode);
}

static void
line_ends_converter_iface_init (GConverterIface *iface)
{
  iface->convert = line_ends_converter_convert;
  iface->reset = line_ends_converter_reset;
}

static void
_mailsync_line_ends_converter_class_init (MailsyncLineEndsConverterClass *klass)
{
}

static void
_mailsync_line_ends_converter_init (MailsyncLineEndsConverter *self)
{
}

GConverter *
_mailsync_line_ends_converter_new (MailsyncLineEndsMode mode)
{
  MailsyncLineEndsConverter *self = g_object_new (MAILSYNC_TYPE_LINE_ENDS_CONVERTER, NULL);

  _mailsync_line_ends_init (&self->state, mode);
  return G_CONVERTER (self);
}
