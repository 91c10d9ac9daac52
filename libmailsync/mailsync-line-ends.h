/* The library's one line-end converter (issue 14 item 2; internal): a
 * Maildir holds LF line ends, IMAP carries CRLF. One chunked function that
 * keeps its state between chunks, so that a CR at the end of one buffer and
 * the LF at the start of the next are one line end, and a GConverter over
 * it for streams. Not installed, not scanned. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  /* CRLF -> LF; a lone CR (one not followed by LF, the input's last byte
   * included) stays: the Maildir form of an IMAP message. */
  MAILSYNC_LINE_ENDS_TO_LF,
  /* Every LF -> CRLF: the exact inverse of TO_LF (a lone CR before a line
   * end, "\r\r\n" in TO_LF's input, comes back as "\r\r\n"). For a
   * message known to be TO_LF's output. */
  MAILSYNC_LINE_ENDS_TO_CRLF,
  /* An LF not preceded by a CR -> CRLF, a CRLF stays: for a message of
   * any origin that goes to an IMAP server (a Maildir file may already
   * have CRLF line ends). */
  MAILSYNC_LINE_ENDS_TO_CRLF_KEEP,
} MailsyncLineEndsMode;

/* The state of one conversion; a plain struct, to keep on the stack. */
typedef struct
{
  MailsyncLineEndsMode mode;
  gboolean held_cr;   /* TO_LF: the last chunk ended with a CR, not written yet */
  gboolean after_cr;  /* TO_CRLF_KEEP: the last byte converted was a CR */
} MailsyncLineEnds;

/* The most _mailsync_line_ends_convert() writes for @len input bytes. */
#define MAILSYNC_LINE_ENDS_MAX_OUT(len) (2 * (gsize) (len))

void  _mailsync_line_ends_init    (MailsyncLineEnds     *self,
                                   MailsyncLineEndsMode  mode);
/* Converts @len bytes of @in into @out, which has room for
 * MAILSYNC_LINE_ENDS_MAX_OUT(@len) bytes, and returns how many it wrote.
 * Every byte of @in is consumed (TO_LF holds a final CR back until it
 * knows what follows it). */
gsize _mailsync_line_ends_convert (MailsyncLineEnds     *self,
                                   const guint8         *in,
                                   gsize                 len,
                                   guint8               *out);
/* At the end of the input: writes what is held back (at most 1 byte) into
 * @out and returns how many bytes. */
gsize _mailsync_line_ends_finish  (MailsyncLineEnds     *self,
                                   guint8               *out);

/* The same conversion as a GConverter, for g_converter_input_stream_new()
 * and g_converter_output_stream_new(). */
GConverter *_mailsync_line_ends_converter_new (MailsyncLineEndsMode mode);

G_END_DECLS
