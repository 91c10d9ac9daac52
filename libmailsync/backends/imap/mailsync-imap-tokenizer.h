/* IMAP response framing and tokens. Internal, pure code without I/O.
 *
 * Two layers:
 *  - MailsyncImapTokenizer is fed byte chunks split anywhere and cuts them
 *    into frames: one complete server response, i.e. its line text (all
 *    CRLF-separated segments joined, without the CRLFs) plus the literals
 *    announced at the end of each segment (RFC 3501 §4.3, RFC 7888, RFC
 *    3516 literal8). Literals are buffered, or streamed to a consumer's
 *    GOutputStream when they carry FETCH body data.
 *  - MailsyncImapCursor reads tokens out of a frame for the grammar
 *    (mailsync-imap-parser.c): atoms, numbers, quoted strings, literals,
 *    NIL, parens, with a nesting limit. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MAILSYNC_IMAP_DEFAULT_MAX_LINE     (1024 * 1024)
#define MAILSYNC_IMAP_DEFAULT_MAX_LITERAL  ((guint64) 512 * 1024 * 1024)
/* Of which held in memory per response (literals no handler streams to a
 * file): part of the memory budget of doc/design.md, "Memory". */
#define MAILSYNC_IMAP_MAX_BUFFERED_LITERAL ((guint64) 16 * 1024 * 1024)
#define MAILSYNC_IMAP_DEFAULT_MAX_DEPTH    64

/* Passed to the literal handler when a literal begins as the value of a
 * FETCH BODY[...] / BINARY[...] / RFC822[.HEADER|.TEXT] item. */
typedef struct
{
  guint32     msn;       /* the FETCH message sequence number */
  const char *name;      /* item name upper-cased, without <origin>: "BODY[]" */
  guint64     size;      /* announced size */
  gboolean    literal8;  /* ~{n} (RFC 3516): may contain NUL */
} MailsyncImapLiteralInfo;

/* Return a GOutputStream (transfer full) that receives the literal's bytes
 * as they arrive (written synchronously with g_output_stream_write_all(),
 * never closed by the parser), or NULL to buffer the literal as GBytes.
 * The stream is also set on the resulting MailsyncImapFetchBody. */
typedef GOutputStream *(*MailsyncImapLiteralHandler) (const MailsyncImapLiteralInfo *info,
                                                      gpointer                       user_data);

typedef struct
{
  gsize          offset;    /* position in the frame text right after '}' */
  guint64        size;
  gboolean       literal8;
  GBytes        *data;      /* buffered bytes, NULL when streamed */
  GOutputStream *stream;    /* when streamed */
} MailsyncImapLiteral;

typedef struct
{
  guint8    *text;          /* NUL-terminated; holds no NUL, CR or LF */
  gsize      len;
  GPtrArray *literals;      /* MailsyncImapLiteral, in order; NULL: none */
} MailsyncImapFrame;

void mailsync_imap_frame_free (MailsyncImapFrame *frame);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapFrame, mailsync_imap_frame_free)

typedef struct _MailsyncImapTokenizer MailsyncImapTokenizer;

MailsyncImapTokenizer *mailsync_imap_tokenizer_new  (void);
void                   mailsync_imap_tokenizer_free (MailsyncImapTokenizer *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapTokenizer, mailsync_imap_tokenizer_free)

void mailsync_imap_tokenizer_set_limits (MailsyncImapTokenizer *t,
                                         gsize                  max_line,
                                         guint64                max_literal);
void mailsync_imap_tokenizer_set_allow_bare_lf (MailsyncImapTokenizer *t,
                                                gboolean               allow);
void mailsync_imap_tokenizer_set_literal_handler (MailsyncImapTokenizer     *t,
                                                  MailsyncImapLiteralHandler handler,
                                                  gpointer                   user_data,
                                                  GDestroyNotify             destroy);

/* Consume bytes from @data until the input ends or a frame completes.
 * Returns the number of bytes consumed (*frame set when a frame is
 * complete), or -1 on error (MAILSYNC_IMAP_ERROR_PARSE / _TOO_BIG, or the
 * literal stream's write error); the tokenizer is then dead. */
gssize mailsync_imap_tokenizer_feed (MailsyncImapTokenizer  *t,
                                     const guint8           *data,
                                     gsize                   len,
                                     MailsyncImapFrame     **frame,
                                     GError                **error);

/* TRUE when no partial response is pending. */
gboolean mailsync_imap_tokenizer_is_idle (MailsyncImapTokenizer *t);

/* An escaped excerpt (<= 80 chars) of @data for error messages. */
char *mailsync_imap_excerpt (const guint8 *data, gsize len);

/* ---- cursor ---- */

typedef struct
{
  const MailsyncImapFrame *frame;
  gsize                    pos;
  guint                    next_literal;
  guint                    depth;
  guint                    max_depth;
} MailsyncImapCursor;

void     mailsync_imap_cursor_init (MailsyncImapCursor      *c,
                                    const MailsyncImapFrame *frame,
                                    guint                    max_depth);
/* The next byte, or -1 at the end of the frame or at a pending literal. */
int      mailsync_imap_cursor_peek (const MailsyncImapCursor *c);
gboolean mailsync_imap_cursor_at_end (const MailsyncImapCursor *c);
gboolean mailsync_imap_cursor_fail (MailsyncImapCursor *c,
                                    GError            **error,
                                    const char         *what);
gboolean mailsync_imap_cursor_accept (MailsyncImapCursor *c, char ch);
gboolean mailsync_imap_cursor_expect (MailsyncImapCursor *c, char ch, GError **error);
gboolean mailsync_imap_cursor_sp (MailsyncImapCursor *c, GError **error);
gboolean mailsync_imap_cursor_end (MailsyncImapCursor *c, GError **error);

/* Paren nesting: open consumes '(' and checks the depth limit. */
gboolean mailsync_imap_cursor_open (MailsyncImapCursor *c, GError **error);
gboolean mailsync_imap_cursor_close (MailsyncImapCursor *c, GError **error);

/* 1*ATOM-CHAR; @extra lists further allowed bytes (e.g. "]" for
 * ASTRING-CHAR, "\\" for flags, "[]" when skipping unknown data). */
char    *mailsync_imap_cursor_atom (MailsyncImapCursor *c, const char *extra, GError **error);
/* Case-insensitive keyword check that consumes it on match. */
gboolean mailsync_imap_cursor_keyword (MailsyncImapCursor *c, const char *kw);
gboolean mailsync_imap_cursor_number (MailsyncImapCursor *c, guint64 max, guint64 *out, GError **error);
gboolean mailsync_imap_cursor_number32 (MailsyncImapCursor *c, gboolean nonzero, guint32 *out, GError **error);
/* nstring / astring / string: returns the bytes (NUL-terminated copy) and
 * length; *is_nil for NIL. Strings that must be text (@text = TRUE) are
 * rejected if they hold a NUL. */
char    *mailsync_imap_cursor_string (MailsyncImapCursor *c, gboolean nil_ok, gboolean atom_ok,
                                      gboolean text, gsize *len, gboolean *is_nil, GError **error);
/* Body data: a literal (possibly streamed), a quoted string or NIL. */
gboolean mailsync_imap_cursor_body (MailsyncImapCursor *c, GBytes **data, GOutputStream **stream,
                                    guint64 *size, gboolean *is_nil, GError **error);
/* Skip one value of any shape (RFC 3501 extension data), within the limit. */
gboolean mailsync_imap_cursor_skip_value (MailsyncImapCursor *c, GError **error);
/* The rest of the frame as text (for resp-text); valid UTF-8. */
char    *mailsync_imap_cursor_rest (MailsyncImapCursor *c);
/* Drop everything left, literals included (unknown responses). */
void     mailsync_imap_cursor_skip_rest (MailsyncImapCursor *c);

G_END_DECLS
