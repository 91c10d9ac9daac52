/* IMAP response framing (chunks -> frames) and the token cursor. */
#include "config.h"

#include <string.h>

#include "mailsync-imap-tokenizer.h"
#include "mailsync-imap-response.h"

/* What a literal held in memory allocates before its bytes arrive. */
#define LITERAL_FIRST_ALLOC 65536

typedef enum
{
  STATE_LINE,
  STATE_LITERAL,
  STATE_DEAD,
} TokState;

struct _MailsyncImapTokenizer
{
  TokState                   state;
  GByteArray                *text;
  gsize                      seg_start;    /* start of the current line segment */
  GPtrArray                 *literals;
  MailsyncImapLiteral       *cur;          /* literal being received */
  guint8                    *lit_data;     /* a literal held in memory: */
  gsize                      lit_len;      /* bytes received */
  gsize                      lit_alloc;    /* bytes allocated, at most its size */
  guint64                    remaining;
  guint64                    buffered;     /* literal bytes buffered in this frame */
  gsize                      max_line;
  guint64                    max_literal;
  gboolean                   allow_bare_lf;
  MailsyncImapLiteralHandler handler;
  gpointer                   handler_data;
  GDestroyNotify             handler_destroy;
};

static void
literal_free (MailsyncImapLiteral *lit)
{
  g_clear_pointer (&lit->data, g_bytes_unref);
  g_clear_object (&lit->stream);
  g_free (lit);
}

void
mailsync_imap_frame_free (MailsyncImapFrame *frame)
{
  if (frame == NULL)
    return;
  g_free (frame->text);
  g_clear_pointer (&frame->literals, g_ptr_array_unref);
  g_free (frame);
}

char *
mailsync_imap_excerpt (const guint8 *data, gsize len)
{
  GString *s = g_string_new (NULL);
  gsize i;

  for (i = 0; i < len && s->len < 76; i++)
    {
      guint8 c = data[i];
      if (c == '\r')
        g_string_append (s, "\\r");
      else if (c == '\n')
        g_string_append (s, "\\n");
      else if (c == '\\')
        g_string_append (s, "\\\\");
      else if (c >= 0x20 && c < 0x7f)
        g_string_append_c (s, (char) c);
      else
        g_string_append_printf (s, "\\x%02x", c);
    }
  if (i < len)
    g_string_append (s, "...");
  return g_string_free (s, FALSE);
}

static void
reset_frame (MailsyncImapTokenizer *t)
{
  g_byte_array_set_size (t->text, 0);
  t->seg_start = 0;
  if (t->literals != NULL)
    g_ptr_array_set_size (t->literals, 0);
  t->buffered = 0;
}

MailsyncImapTokenizer *
mailsync_imap_tokenizer_new (void)
{
  MailsyncImapTokenizer *t = g_new0 (MailsyncImapTokenizer, 1);

  t->text = g_byte_array_new ();
  t->max_line = MAILSYNC_IMAP_DEFAULT_MAX_LINE;
  t->max_literal = MAILSYNC_IMAP_DEFAULT_MAX_LITERAL;
  return t;
}

void
mailsync_imap_tokenizer_free (MailsyncImapTokenizer *t)
{
  if (t == NULL)
    return;
  g_byte_array_unref (t->text);
  g_clear_pointer (&t->literals, g_ptr_array_unref);
  if (t->cur != NULL)
    literal_free (t->cur);
  g_free (t->lit_data);
  if (t->handler_destroy != NULL)
    t->handler_destroy (t->handler_data);
  g_free (t);
}

void
mailsync_imap_tokenizer_set_limits (MailsyncImapTokenizer *t, gsize max_line, guint64 max_literal)
{
  t->max_line = max_line;
  t->max_literal = max_literal;
}

void
mailsync_imap_tokenizer_set_allow_bare_lf (MailsyncImapTokenizer *t, gboolean allow)
{
  t->allow_bare_lf = allow;
}

void
mailsync_imap_tokenizer_set_literal_handler (MailsyncImapTokenizer *t,
                                             MailsyncImapLiteralHandler handler,
                                             gpointer user_data,
                                             GDestroyNotify destroy)
{
  if (t->handler_destroy != NULL)
    t->handler_destroy (t->handler_data);
  t->handler = handler;
  t->handler_data = user_data;
  t->handler_destroy = destroy;
}

gboolean
mailsync_imap_tokenizer_is_idle (MailsyncImapTokenizer *t)
{
  return t->state == STATE_LINE && t->text->len == 0;
}

static gssize
tok_fail (MailsyncImapTokenizer *t, GError **error, int code, const char *what)
{
  gsize from = t->text->len > 60 ? t->text->len - 60 : 0;
  /* an empty GByteArray has data == NULL: no arithmetic on it */
  g_autofree char *ex = t->text->len == 0 ? g_strdup ("")
    : mailsync_imap_excerpt (t->text->data + from, t->text->len - from);

  g_set_error (error, MAILSYNC_IMAP_ERROR, code, "%s near “%s”", what, ex);
  t->state = STATE_DEAD;
  return -1;
}

/* ---- streaming context: is this literal the value of a FETCH body item? ---- */

static gboolean
is_digit (guint8 c)
{
  return c >= '0' && c <= '9';
}

/* "* <msn> FETCH (" at the start of the frame (RFC 3501 §7.4.2). */
static gboolean
fetch_prefix (const guint8 *s, gsize len, guint32 *msn)
{
  gsize i = 2;
  guint64 v = 0;

  if (len < 2 || s[0] != '*' || s[1] != ' ')
    return FALSE;
  for (; i < len && is_digit (s[i]) && v <= G_MAXUINT32; i++)
    v = v * 10 + (s[i] - '0');
  if (i == 2 || v > G_MAXUINT32 || len - i < 8 ||
      g_ascii_strncasecmp ((const char *) s + i, " FETCH (", 8) != 0)
    return FALSE;
  *msn = (guint32) v;
  return TRUE;
}

/* @end is the index of the '{' or '~' that starts the literal. Returns the
 * upper-cased item name (without <origin>) or NULL. */
static char *
fetch_body_item (const guint8 *s, gsize end, guint32 *msn)
{
  gsize e, start;
  g_autofree char *name = NULL;

  if (!fetch_prefix (s, end, msn) || end < 1 || s[end - 1] != ' ')
    return NULL;
  e = end - 1;
  if (e > 0 && s[e - 1] == '>')
    {
      while (e > 0 && s[e - 1] != '<' && s[e - 1] != ' ')
        e--;
      if (e == 0 || s[e - 1] != '<')
        return NULL;
      e--;
    }
  start = e;
  if (start > 0 && s[start - 1] == ']')
    {
      while (start > 0 && s[start - 1] != '[')
        start--;
      if (start == 0)
        return NULL;
      start--;
    }
  while (start > 0 && s[start - 1] != ' ' && s[start - 1] != '(')
    start--;
  name = g_ascii_strup ((const char *) s + start, e - start);
  if (g_str_has_prefix (name, "BODY[") || g_str_has_prefix (name, "BINARY[") ||
      g_str_equal (name, "RFC822") || g_str_equal (name, "RFC822.HEADER") ||
      g_str_equal (name, "RFC822.TEXT"))
    return g_steal_pointer (&name);
  return NULL;
}

/* ---- framing ---- */

/* Does the segment end in a literal announcement: "{n}", "{n+}", "~{n}"?
 * Returns 1 if so (setting *size, *literal8, *marker), 0 if not, -1 on a
 * size that overflows 64 bits. */
static int
literal_marker (const guint8 *s, gsize seg_start, gsize len,
                guint64 *size, gboolean *literal8, gsize *marker)
{
  gsize i, digits_end;
  guint64 v = 0;

  if (len - seg_start < 3 || s[len - 1] != '}')
    return 0;
  digits_end = len - 1;
  if (s[digits_end - 1] == '+')    /* RFC 7888 non-synchronizing; tolerated */
    digits_end--;
  i = digits_end;
  while (i > seg_start && is_digit (s[i - 1]))
    i--;
  if (i == digits_end || i == seg_start || s[i - 1] != '{')
    return 0;
  for (gsize j = i; j < digits_end; j++)
    {
      if (v > (G_MAXUINT64 - 9) / 10)
        return -1;
      v = v * 10 + (s[j] - '0');
    }
  *marker = i - 1;
  *literal8 = *marker > seg_start && s[*marker - 1] == '~';
  if (*literal8)
    (*marker)--;
  *size = v;
  return 1;
}

static gboolean
begin_literal (MailsyncImapTokenizer *t, guint64 size, gboolean literal8,
               gsize marker, GError **error)
{
  MailsyncImapLiteral *lit;
  g_autofree char *name = NULL;
  guint32 msn = 0;

  if (size > t->max_literal)
    {
      g_autofree char *what = g_strdup_printf ("Literal of %" G_GUINT64_FORMAT " bytes announced, larger than "
                                               "the limit (%" G_GUINT64_FORMAT ")", size, t->max_literal);

      return tok_fail (t, error, MAILSYNC_IMAP_ERROR_TOO_BIG, what) != -1;
    }
  lit = g_new0 (MailsyncImapLiteral, 1);
  lit->offset = t->text->len;
  lit->size = size;
  lit->literal8 = literal8;
  t->cur = lit;
  if (t->handler != NULL && (name = fetch_body_item (t->text->data, marker, &msn)) != NULL)
    {
      MailsyncImapLiteralInfo info = { msn, name, size, literal8 };
      lit->stream = t->handler (&info, t->handler_data);
    }
  if (lit->stream == NULL)
    {
      /* Held in memory: a smaller budget than what goes to a file. */
      guint64 max = MIN (t->max_literal, MAILSYNC_IMAP_MAX_BUFFERED_LITERAL);

      if (t->buffered > max || size > max - t->buffered)
        {
          g_autofree char *what = g_strdup_printf ("Literal of %" G_GUINT64_FORMAT " bytes announced, more "
                                                   "than the %" G_GUINT64_FORMAT " a response may hold in memory",
                                                   size, max);

          return tok_fail (t, error, MAILSYNC_IMAP_ERROR_TOO_BIG, what) != -1;
        }
      t->buffered += size;
      /* Grow as the bytes arrive (an announcement alone allocates
       * little), never past the announced size: a GByteArray rounds its
       * allocation up to a power of two, so a 70 KB message body held
       * 128 KB until it was stored (issue 13 item 4). */
      t->lit_alloc = (gsize) MIN (size, LITERAL_FIRST_ALLOC);
      t->lit_data = g_malloc (t->lit_alloc);
      t->lit_len = 0;
    }
  t->remaining = size;
  t->state = STATE_LITERAL;
  return TRUE;
}

static void
end_literal (MailsyncImapTokenizer *t)
{
  if (t->cur->stream == NULL)
    {
      t->cur->data = g_bytes_new_take (g_steal_pointer (&t->lit_data), t->lit_len);
      t->lit_len = t->lit_alloc = 0;
    }
  /* made for the first literal of a frame: most frames have none */
  if (t->literals == NULL)
    t->literals = g_ptr_array_new_with_free_func ((GDestroyNotify) literal_free);
  g_ptr_array_add (t->literals, g_steal_pointer (&t->cur));
  t->seg_start = t->text->len;
  t->state = STATE_LINE;
}

static MailsyncImapFrame *
take_frame (MailsyncImapTokenizer *t)
{
  MailsyncImapFrame *f = g_new0 (MailsyncImapFrame, 1);

  f->len = t->text->len;
  g_byte_array_append (t->text, (const guint8 *) "", 1);
  f->text = g_memdup2 (t->text->data, t->text->len);
  f->literals = g_steal_pointer (&t->literals);
  reset_frame (t);
  return f;
}

/* A line segment ended (the LF is consumed). */
static gboolean
end_segment (MailsyncImapTokenizer *t, MailsyncImapFrame **frame, GError **error)
{
  guint8 *s = t->text->data;
  gsize len = t->text->len, i;
  guint64 size = 0;
  gboolean literal8 = FALSE;
  gsize marker = 0;
  int m;

  if (len > t->seg_start && s[len - 1] == '\r')
    g_byte_array_set_size (t->text, --len);
  else if (!t->allow_bare_lf)
    return tok_fail (t, error, MAILSYNC_IMAP_ERROR_PARSE, "Bare LF without CR") != -1;
  for (i = t->seg_start; i < len; i++)
    {
      /* RFC 3501 §9: CR and LF only as CRLF; NUL is never a CHAR */
      if (s[i] == '\r')
        return tok_fail (t, error, MAILSYNC_IMAP_ERROR_PARSE, "Bare CR in line") != -1;
      if (s[i] == '\0')
        return tok_fail (t, error, MAILSYNC_IMAP_ERROR_PARSE, "NUL byte in line") != -1;
    }
  m = literal_marker (s, t->seg_start, len, &size, &literal8, &marker);
  if (m < 0)
    return tok_fail (t, error, MAILSYNC_IMAP_ERROR_PARSE, "Literal size overflows") != -1;
  if (m > 0)
    {
      if (!begin_literal (t, size, literal8, marker, error))
        return FALSE;
      if (size == 0)
        end_literal (t);
      return TRUE;
    }
  *frame = take_frame (t);
  return TRUE;
}

static gssize
feed_line (MailsyncImapTokenizer *t, const guint8 *data, gsize len,
           MailsyncImapFrame **frame, GError **error)
{
  const guint8 *lf = memchr (data, '\n', len);
  gsize n = lf != NULL ? (gsize) (lf - data) : len;

  /* the limit counts line text, not literals; +1 for a CR still to strip */
  if (t->text->len + n > t->max_line + 1)
    {
      g_autofree char *what = g_strdup_printf ("Line longer than the limit (%" G_GSIZE_FORMAT " bytes "
                                               "without CRLF)", t->max_line);

      g_byte_array_append (t->text, data, MIN (n, 64));
      return tok_fail (t, error, MAILSYNC_IMAP_ERROR_TOO_BIG, what);
    }
  g_byte_array_append (t->text, data, n);
  if (lf == NULL)
    return n;
  if (!end_segment (t, frame, error))
    return -1;
  return n + 1;
}

static gssize
feed_literal (MailsyncImapTokenizer *t, const guint8 *data, gsize len, GError **error)
{
  gsize n = (gsize) MIN ((guint64) len, t->remaining);

  if (t->cur->stream != NULL)
    {
      if (!g_output_stream_write_all (t->cur->stream, data, n, NULL, NULL, error))
        {
          t->state = STATE_DEAD;
          return -1;
        }
    }
  else
    {
      if (t->lit_len + n > t->lit_alloc)
        {
          /* doubling, capped at the announced size: exact once whole */
          t->lit_alloc = (gsize) MIN ((guint64) MAX (t->lit_alloc * 2, t->lit_len + n), t->cur->size);
          t->lit_data = g_realloc (t->lit_data, t->lit_alloc);
        }
      memcpy (t->lit_data + t->lit_len, data, n);
      t->lit_len += n;
    }
  t->remaining -= n;
  if (t->remaining == 0)
    end_literal (t);
  return n;
}

gssize
mailsync_imap_tokenizer_feed (MailsyncImapTokenizer *t, const guint8 *data, gsize len,
                              MailsyncImapFrame **frame, GError **error)
{
  gsize done = 0;

  *frame = NULL;
  while (done < len && *frame == NULL)
    {
      gssize n;

      if (t->state == STATE_DEAD)
        {
          g_set_error_literal (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PARSE,
                               "The IMAP parser failed earlier and takes no more input");
          return -1;
        }
      if (t->state == STATE_LITERAL)
        n = feed_literal (t, data + done, len - done, error);
      else
        n = feed_line (t, data + done, len - done, frame, error);
      if (n < 0)
        return -1;
      done += n;
    }
  return done;
}

/* ---- cursor ---- */

void
mailsync_imap_cursor_init (MailsyncImapCursor *c, const MailsyncImapFrame *frame, guint max_depth)
{
  c->frame = frame;
  c->pos = 0;
  c->next_literal = 0;
  c->depth = 0;
  c->max_depth = max_depth;
}

static const MailsyncImapLiteral *
pending_literal (const MailsyncImapCursor *c)
{
  if (c->frame->literals != NULL && c->next_literal < c->frame->literals->len)
    return g_ptr_array_index (c->frame->literals, c->next_literal);
  return NULL;
}

/* Text ends where the next literal's data would be: nothing but the
 * literal reader may cross that point. */
static gsize
seg_end (const MailsyncImapCursor *c)
{
  const MailsyncImapLiteral *lit = pending_literal (c);
  return lit != NULL ? lit->offset : c->frame->len;
}

int
mailsync_imap_cursor_peek (const MailsyncImapCursor *c)
{
  if (c->pos >= seg_end (c))
    return -1;
  return c->frame->text[c->pos];
}

gboolean
mailsync_imap_cursor_at_end (const MailsyncImapCursor *c)
{
  return c->pos >= c->frame->len && pending_literal (c) == NULL;
}

gboolean
mailsync_imap_cursor_fail (MailsyncImapCursor *c, GError **error, const char *what)
{
  gsize from = c->pos > 20 ? c->pos - 20 : 0;
  gsize to = MIN (c->frame->len, c->pos + 40);
  g_autofree char *ex = mailsync_imap_excerpt (c->frame->text + from, to - from);

  g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PARSE,
               "%s at byte %" G_GSIZE_FORMAT " near “%s”", what, c->pos, ex);
  return FALSE;
}

gboolean
mailsync_imap_cursor_accept (MailsyncImapCursor *c, char ch)
{
  if (mailsync_imap_cursor_peek (c) != (guchar) ch)
    return FALSE;
  c->pos++;
  return TRUE;
}

gboolean
mailsync_imap_cursor_expect (MailsyncImapCursor *c, char ch, GError **error)
{
  char what[32];

  if (mailsync_imap_cursor_accept (c, ch))
    return TRUE;
  g_snprintf (what, sizeof what, "Expected '%c'", ch);
  return mailsync_imap_cursor_fail (c, error, what);
}

gboolean
mailsync_imap_cursor_sp (MailsyncImapCursor *c, GError **error)
{
  return mailsync_imap_cursor_expect (c, ' ', error);
}

gboolean
mailsync_imap_cursor_end (MailsyncImapCursor *c, GError **error)
{
  if (mailsync_imap_cursor_at_end (c))
    return TRUE;
  return mailsync_imap_cursor_fail (c, error, "Unexpected data at the end of the response");
}

gboolean
mailsync_imap_cursor_open (MailsyncImapCursor *c, GError **error)
{
  if (!mailsync_imap_cursor_expect (c, '(', error))
    return FALSE;
  if (++c->depth > c->max_depth)
    return mailsync_imap_cursor_fail (c, error, "Parentheses nested too deep");
  return TRUE;
}

gboolean
mailsync_imap_cursor_close (MailsyncImapCursor *c, GError **error)
{
  if (!mailsync_imap_cursor_expect (c, ')', error))
    return FALSE;
  c->depth--;
  return TRUE;
}

/* ATOM-CHAR (RFC 3501 §9): CHAR minus atom-specials. 8-bit bytes occur in
 * the wild and are accepted as bytes (reliability.md §4). */
static gboolean
is_atom_char (int ch, const char *extra)
{
  if (ch < 0)
    return FALSE;
  if (ch >= 0x80)
    return TRUE;
  if (ch <= 0x1f || ch == 0x7f)
    return FALSE;
  if (strchr ("(){ %*\"\\]", ch) != NULL)
    return extra != NULL && strchr (extra, ch) != NULL;
  return TRUE;
}

char *
mailsync_imap_cursor_atom (MailsyncImapCursor *c, const char *extra, GError **error)
{
  gsize start = c->pos;

  while (is_atom_char (mailsync_imap_cursor_peek (c), extra))
    c->pos++;
  if (c->pos == start)
    {
      mailsync_imap_cursor_fail (c, error, "Expected an atom");
      return NULL;
    }
  return g_strndup ((const char *) c->frame->text + start, c->pos - start);
}

gboolean
mailsync_imap_cursor_keyword (MailsyncImapCursor *c, const char *kw)
{
  gsize n = strlen (kw);

  if (seg_end (c) - c->pos < n ||
      g_ascii_strncasecmp ((const char *) c->frame->text + c->pos, kw, n) != 0)
    return FALSE;
  /* a whole word only: "UIDNEXT" must not match "UID" */
  if (c->pos + n < seg_end (c) && is_atom_char (c->frame->text[c->pos + n], NULL))
    return FALSE;
  c->pos += n;
  return TRUE;
}

gboolean
mailsync_imap_cursor_number (MailsyncImapCursor *c, guint64 max, guint64 *out, GError **error)
{
  gsize start = c->pos;
  guint64 v = 0;
  int ch;

  while ((ch = mailsync_imap_cursor_peek (c)) >= '0' && ch <= '9')
    {
      if (v > (max - (guint64) (ch - '0')) / 10)
        return mailsync_imap_cursor_fail (c, error, "Number out of range");
      v = v * 10 + (guint64) (ch - '0');
      c->pos++;
    }
  if (c->pos == start)
    return mailsync_imap_cursor_fail (c, error, "Expected a number");
  *out = v;
  return TRUE;
}

gboolean
mailsync_imap_cursor_number32 (MailsyncImapCursor *c, gboolean nonzero, guint32 *out, GError **error)
{
  guint64 v;

  if (!mailsync_imap_cursor_number (c, G_MAXUINT32, &v, error))
    return FALSE;
  if (nonzero && v == 0)
    return mailsync_imap_cursor_fail (c, error, "Expected a non-zero number");
  *out = (guint32) v;
  return TRUE;
}

/* quoted = DQUOTE *QUOTED-CHAR DQUOTE, escapes \" and \\ only. */
static char *
cursor_quoted (MailsyncImapCursor *c, gsize *len, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  int ch;

  c->pos++;
  for (;;)
    {
      ch = mailsync_imap_cursor_peek (c);
      if (ch < 0)
        {
          mailsync_imap_cursor_fail (c, error, "Unterminated quoted string");
          return NULL;
        }
      c->pos++;
      if (ch == '"')
        break;
      if (ch == '\\')
        {
          ch = mailsync_imap_cursor_peek (c);
          if (ch != '"' && ch != '\\')
            {
              mailsync_imap_cursor_fail (c, error, "Bad escape in quoted string");
              return NULL;
            }
          c->pos++;
        }
      g_string_append_c (s, (char) ch);
    }
  *len = s->len;
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* literal = "{" number64 ["+"] "}" CRLF *CHAR8; literal8 = "~{" ... */
static const MailsyncImapLiteral *
cursor_literal (MailsyncImapCursor *c, GError **error)
{
  const MailsyncImapLiteral *lit = pending_literal (c);
  guint64 size;

  mailsync_imap_cursor_accept (c, '~');
  if (!mailsync_imap_cursor_expect (c, '{', error) ||
      !mailsync_imap_cursor_number (c, G_MAXUINT64, &size, error))
    return NULL;
  mailsync_imap_cursor_accept (c, '+');
  if (!mailsync_imap_cursor_expect (c, '}', error))
    return NULL;
  if (lit == NULL || lit->offset != c->pos || lit->size != size)
    {
      mailsync_imap_cursor_fail (c, error, "Literal not at the end of a line");
      return NULL;
    }
  c->next_literal++;
  return lit;
}

static char *
literal_string (MailsyncImapCursor *c, gsize *len, GError **error)
{
  const MailsyncImapLiteral *lit = cursor_literal (c, error);
  gsize n = 0;
  const char *d;
  char *s;

  if (lit == NULL)
    return NULL;
  if (lit->data == NULL)
    {
      mailsync_imap_cursor_fail (c, error, "Streamed literal where a string was expected");
      return NULL;
    }
  d = g_bytes_get_data (lit->data, &n);
  s = g_malloc (n + 1);
  if (n > 0)
    memcpy (s, d, n);
  s[n] = '\0';
  *len = n;
  return s;
}

char *
mailsync_imap_cursor_string (MailsyncImapCursor *c, gboolean nil_ok, gboolean atom_ok,
                             gboolean text, gsize *len, gboolean *is_nil, GError **error)
{
  g_autofree char *s = NULL;
  gsize n = 0;
  int ch = mailsync_imap_cursor_peek (c);

  if (is_nil != NULL)
    *is_nil = FALSE;
  if (ch == '"')
    s = cursor_quoted (c, &n, error);
  else if (ch == '{' || ch == '~')
    s = literal_string (c, &n, error);
  else if (nil_ok && mailsync_imap_cursor_keyword (c, "NIL"))
    {
      if (is_nil != NULL)
        *is_nil = TRUE;
      if (len != NULL)
        *len = 0;
      return NULL;
    }
  else if (atom_ok)
    {
      /* ASTRING-CHAR = ATOM-CHAR / resp-specials */
      s = mailsync_imap_cursor_atom (c, "]", error);
      n = s != NULL ? strlen (s) : 0;
    }
  else
    mailsync_imap_cursor_fail (c, error, "Expected a string");
  if (s == NULL)
    return NULL;
  s[n] = '\0';
  if (text && memchr (s, 0, n) != NULL)
    {
      mailsync_imap_cursor_fail (c, error, "NUL byte in a string");
      return NULL;
    }
  if (len != NULL)
    *len = n;
  return g_steal_pointer (&s);
}

gboolean
mailsync_imap_cursor_body (MailsyncImapCursor *c, GBytes **data, GOutputStream **stream,
                           guint64 *size, gboolean *is_nil, GError **error)
{
  int ch = mailsync_imap_cursor_peek (c);

  *data = NULL;
  *stream = NULL;
  *size = 0;
  *is_nil = FALSE;
  if (ch == '{' || ch == '~')
    {
      const MailsyncImapLiteral *lit = cursor_literal (c, error);
      if (lit == NULL)
        return FALSE;
      *data = lit->data != NULL ? g_bytes_ref (lit->data) : NULL;
      *stream = lit->stream != NULL ? g_object_ref (lit->stream) : NULL;
      *size = lit->size;
      return TRUE;
    }
  if (ch == '"')
    {
      gsize n = 0;
      char *s = cursor_quoted (c, &n, error);
      if (s == NULL)
        return FALSE;
      *data = g_bytes_new_take (s, n);
      *size = n;
      return TRUE;
    }
  /* BODY[] NIL: e.g. expunged under us (RFC 2180 §4.1.3), not empty */
  if (mailsync_imap_cursor_keyword (c, "NIL"))
    {
      *is_nil = TRUE;
      return TRUE;
    }
  return mailsync_imap_cursor_fail (c, error, "Expected message data");
}

gboolean
mailsync_imap_cursor_skip_value (MailsyncImapCursor *c, GError **error)
{
  int ch = mailsync_imap_cursor_peek (c);

  if (ch == '(')
    {
      if (!mailsync_imap_cursor_open (c, error))
        return FALSE;
      for (;;)
        {
          /* BODYSTRUCTURE concatenates parts without SP: "((..)(..) ..)" */
          while (mailsync_imap_cursor_accept (c, ' '))
            ;
          if (mailsync_imap_cursor_peek (c) == ')')
            return mailsync_imap_cursor_close (c, error);
          if (!mailsync_imap_cursor_skip_value (c, error))
            return FALSE;
        }
    }
  if (ch == '"' || ch == '{' || ch == '~')
    {
      gsize n;
      g_autofree char *s = mailsync_imap_cursor_string (c, FALSE, FALSE, FALSE, &n, NULL, error);
      if (s == NULL)
        return FALSE;
      return TRUE;
    }
  {
    g_autofree char *atom = mailsync_imap_cursor_atom (c, "[]\\*%", error);
    return atom != NULL;
  }
}

char *
mailsync_imap_cursor_rest (MailsyncImapCursor *c)
{
  gsize end = seg_end (c);
  const char *s = (const char *) c->frame->text + c->pos;
  gsize n = end > c->pos ? end - c->pos : 0;

  c->pos += n;
  return g_utf8_make_valid (s, n);
}

void
mailsync_imap_cursor_skip_rest (MailsyncImapCursor *c)
{
  c->pos = c->frame->len;
  c->next_literal = c->frame->literals != NULL ? c->frame->literals->len : 0;
}
