/* IMAP response grammar: one small function per response kind.
 *
 * The tokenizer hands over complete frames; everything here reads them
 * through a MailsyncImapCursor, so no function can run past the data, and
 * paren nesting is bounded by the cursor's depth limit. */
#include "config.h"

#include <string.h>

#include "mailsync-imap-parser-private.h"
#include "mailsync-imap-utf7.h"

/* ---- small shared pieces ---- */

gboolean
_mailsync_imap_parser_skip_spaces (Ctx *x)
{
  gboolean any = FALSE;

  while (mailsync_imap_cursor_accept (C, ' '))
    any = TRUE;
  return any;
}

gboolean
_mailsync_imap_parser_number64 (Ctx *x, guint64 *out, GError **error)
{
  return mailsync_imap_cursor_number (C, MAX_MODSEQ, out, error);
}

/* flag = "\" atom / atom; "\*" in PERMANENTFLAGS (RFC 3501 §9) */
char *
_mailsync_imap_parser_read_flag (Ctx *x, GError **error)
{
  return mailsync_imap_cursor_atom (C, "\\*", error);
}

/* "(" [flag *(SP flag)] ")"; stray spaces tolerated */
gboolean
_mailsync_imap_parser_flag_list (Ctx *x, char ***out, GError **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  if (!mailsync_imap_cursor_open (C, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *flag = NULL;

      _mailsync_imap_parser_skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == ')')
        break;
      if ((flag = _mailsync_imap_parser_read_flag (x, error)) == NULL)
        return FALSE;
      g_strv_builder_add (b, flag);
    }
  if (!mailsync_imap_cursor_close (C, error))
    return FALSE;
  *out = g_strv_builder_end (b);
  return TRUE;
}

/* 1*(SP atom) up to @stop (-1: end of frame, ']' in codes) */
gboolean
_mailsync_imap_parser_atom_list (Ctx *x, int stop, char ***out, GError **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (;;)
    {
      g_autofree char *atom = NULL;

      _mailsync_imap_parser_skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == stop)
        break;
      if ((atom = mailsync_imap_cursor_atom (C, NULL, error)) == NULL)
        return FALSE;
      g_strv_builder_add (b, atom);
    }
  *out = g_strv_builder_end (b);
  return TRUE;
}

/* uid-set / sequence-set as one token of [0-9:,*] */
GArray *
_mailsync_imap_parser_read_set (Ctx *x, guint32 star, GError **error)
{
  gsize start = C->pos;
  const char *s = (const char *) C->frame->text;
  int ch;
  GArray *set;

  while ((ch = mailsync_imap_cursor_peek (C)) >= 0 &&
         ((ch >= '0' && ch <= '9') || ch == ':' || ch == ',' || ch == '*'))
    C->pos++;
  set = mailsync_imap_seqset_parse (s + start, C->pos - start, star, 0, NULL);
  if (set == NULL)
    {
      C->pos = start;
      mailsync_imap_cursor_fail (C, error, "Bad sequence set");
    }
  return set;
}

/* A mailbox name (astring) plus its decoding (RFC 3501 §5.1.3, RFC 6855). */
gboolean
_mailsync_imap_parser_read_mailbox (Ctx *x, char **raw, gsize *raw_len, char **name, GError **error)
{
  gsize len = 0;
  char *s = mailsync_imap_cursor_string (C, FALSE, TRUE, TRUE, &len, NULL, error);

  if (s == NULL)
    return FALSE;
  *raw = s;
  if (raw_len != NULL)
    *raw_len = len;
  if (x->parser->utf8_accept)
    *name = g_utf8_validate_len (s, len, NULL) ? g_strndup (s, len) : NULL;
  else
    *name = mailsync_imap_utf7_decode (s, len, NULL);
  /* RFC 3501 §5.1: INBOX is case-insensitive */
  if (*name != NULL && g_ascii_strcasecmp (*name, "INBOX") == 0)
    memcpy (*name, "INBOX", 5);
  return TRUE;
}

/* mailbox hierarchy delimiter: DQUOTE QUOTED-CHAR DQUOTE / nil */
gboolean
_mailsync_imap_parser_read_delimiter (Ctx *x, char *out, GError **error)
{
  g_autofree char *s = NULL;
  gsize len = 0;
  gboolean is_nil = FALSE;

  s = mailsync_imap_cursor_string (C, TRUE, FALSE, TRUE, &len, &is_nil, error);
  if (is_nil)
    {
      *out = '\0';
      return TRUE;
    }
  if (s == NULL)
    return FALSE;
  if (len != 1)
    return mailsync_imap_cursor_fail (C, error, "Delimiter is not one character");
  *out = s[0];
  return TRUE;
}

/* ---- dispatch ---- */

static const struct
{
  const char          *name;
  MailsyncImapDataKind kind;
  MailsyncImapStatus   status;
  ParseFunc            parse;
} untagged_table[] = {
  { "OK", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_OK, _mailsync_imap_parser_status_response },
  { "NO", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_NO, _mailsync_imap_parser_status_response },
  { "BAD", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_BAD, _mailsync_imap_parser_status_response },
  { "BYE", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_BYE, _mailsync_imap_parser_status_response },
  { "PREAUTH", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_PREAUTH, _mailsync_imap_parser_status_response },
  { "CAPABILITY", MAILSYNC_IMAP_DATA_CAPABILITY, 0, _mailsync_imap_parser_atoms },
  { "ENABLED", MAILSYNC_IMAP_DATA_ENABLED, 0, _mailsync_imap_parser_atoms },
  { "FLAGS", MAILSYNC_IMAP_DATA_FLAGS, 0, _mailsync_imap_parser_flags },
  { "LIST", MAILSYNC_IMAP_DATA_LIST, 0, _mailsync_imap_parser_list },
  { "LSUB", MAILSYNC_IMAP_DATA_LSUB, 0, _mailsync_imap_parser_list },
  /* Gmail's pre-SPECIAL-USE LIST: the same syntax, more attributes */
  { "XLIST", MAILSYNC_IMAP_DATA_LIST, 0, _mailsync_imap_parser_list },
  { "STATUS", MAILSYNC_IMAP_DATA_STATUS, 0, _mailsync_imap_parser_status },
  { "SEARCH", MAILSYNC_IMAP_DATA_SEARCH, 0, _mailsync_imap_parser_search },
  { "ESEARCH", MAILSYNC_IMAP_DATA_ESEARCH, 0, _mailsync_imap_parser_esearch },
  { "VANISHED", MAILSYNC_IMAP_DATA_VANISHED, 0, _mailsync_imap_parser_vanished },
  { "NAMESPACE", MAILSYNC_IMAP_DATA_NAMESPACE, 0, _mailsync_imap_parser_namespace },
  { "ID", MAILSYNC_IMAP_DATA_ID, 0, _mailsync_imap_parser_id },
};

/* "* " nz-number SP ("EXISTS" / "RECENT" / "EXPUNGE" / "FETCH" ...) */
static gboolean
parse_numbered (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autofree char *atom = NULL;

  if (!mailsync_imap_cursor_number32 (C, FALSE, &x->msn, error) ||
      !mailsync_imap_cursor_sp (C, error) ||
      (atom = mailsync_imap_cursor_atom (C, NULL, error)) == NULL)
    return FALSE;
  /* upper-cased in place and kept: a copy per response otherwise */
  for (char *p = atom; *p != '\0'; p++)
    *p = g_ascii_toupper (*p);
  r->data_name = g_steal_pointer (&atom);
  if (g_str_equal (r->data_name, "FETCH"))
    {
      r->data_kind = MAILSYNC_IMAP_DATA_FETCH;
      return _mailsync_imap_parser_fetch (x, r, error);
    }
  r->u.number = x->msn;
  if (g_str_equal (r->data_name, "EXISTS"))
    r->data_kind = MAILSYNC_IMAP_DATA_EXISTS;
  else if (g_str_equal (r->data_name, "RECENT"))
    r->data_kind = MAILSYNC_IMAP_DATA_RECENT;
  else if (g_str_equal (r->data_name, "EXPUNGE") && x->msn != 0)
    r->data_kind = MAILSYNC_IMAP_DATA_EXPUNGE;
  else if (g_str_equal (r->data_name, "EXPUNGE"))
    return mailsync_imap_cursor_fail (C, error, "EXPUNGE of message 0");
  else
    return _mailsync_imap_parser_unknown (x, r, error);
  return mailsync_imap_cursor_end (C, error);
}

static gboolean
parse_untagged (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autofree char *atom = NULL;
  int ch;
  guint i;

  if (!mailsync_imap_cursor_expect (C, '*', error) || !mailsync_imap_cursor_sp (C, error))
    return FALSE;
  ch = mailsync_imap_cursor_peek (C);
  if (ch >= '0' && ch <= '9')
    return parse_numbered (x, r, error);
  if ((atom = mailsync_imap_cursor_atom (C, NULL, error)) == NULL)
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (untagged_table); i++)
    if (g_ascii_strcasecmp (atom, untagged_table[i].name) == 0)
      {
        r->status = untagged_table[i].status;
        r->data_kind = untagged_table[i].kind;
        if (r->data_kind != MAILSYNC_IMAP_DATA_NONE)
          r->data_name = g_strdup (untagged_table[i].name);
        return untagged_table[i].parse (x, r, error);
      }
  r->data_kind = MAILSYNC_IMAP_DATA_UNKNOWN;
  r->data_name = g_ascii_strup (atom, -1);
  return _mailsync_imap_parser_unknown (x, r, error);
}

/* response-tagged = tag SP resp-cond-state; tag = 1*<ASTRING-CHAR except "+"> */
static gboolean
parse_tagged (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autofree char *status = NULL;

  if ((r->tag = mailsync_imap_cursor_atom (C, "]", error)) == NULL)
    return FALSE;
  if (strchr (r->tag, '+') != NULL)
    return mailsync_imap_cursor_fail (C, error, "Bad tag");
  if (!mailsync_imap_cursor_sp (C, error) ||
      (status = mailsync_imap_cursor_atom (C, NULL, error)) == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (status, "OK") == 0)
    r->status = MAILSYNC_IMAP_STATUS_OK;
  else if (g_ascii_strcasecmp (status, "NO") == 0)
    r->status = MAILSYNC_IMAP_STATUS_NO;
  else if (g_ascii_strcasecmp (status, "BAD") == 0)
    r->status = MAILSYNC_IMAP_STATUS_BAD;
  else
    return mailsync_imap_cursor_fail (C, error, "Expected OK, NO or BAD");
  return _mailsync_imap_parser_resp_text (x, r, error);
}

static MailsyncImapResponse *
parse_frame (MailsyncImapParser *p, const MailsyncImapFrame *frame, GError **error)
{
  g_autoptr(MailsyncImapResponse) r = NULL;
  Ctx ctx = { .parser = p };
  Ctx *x = &ctx;
  gboolean ok;

  mailsync_imap_cursor_init (C, frame, p->max_depth);
  switch (mailsync_imap_cursor_peek (C))
    {
    case '+':
      /* continue-req = "+" SP (resp-text / base64) */
      r = mailsync_imap_response_new (MAILSYNC_IMAP_RESPONSE_CONTINUATION);
      C->pos++;
      ok = _mailsync_imap_parser_resp_text (x, r, error);
      break;
    case '*':
      r = mailsync_imap_response_new (MAILSYNC_IMAP_RESPONSE_UNTAGGED);
      ok = parse_untagged (x, r, error);
      break;
    default:
      r = mailsync_imap_response_new (MAILSYNC_IMAP_RESPONSE_TAGGED);
      ok = parse_tagged (x, r, error);
      break;
    }
  return ok ? g_steal_pointer (&r) : NULL;
}

#undef C

/* ---- public API ---- */

MailsyncImapParser *
mailsync_imap_parser_new (void)
{
  MailsyncImapParser *p = g_new0 (MailsyncImapParser, 1);

  p->tok = mailsync_imap_tokenizer_new ();
  g_queue_init (&p->queue);
  p->max_depth = MAILSYNC_IMAP_DEFAULT_MAX_DEPTH;
  return p;
}

void
mailsync_imap_parser_free (MailsyncImapParser *parser)
{
  if (parser == NULL)
    return;
  mailsync_imap_tokenizer_free (parser->tok);
  g_queue_clear_full (&parser->queue, (GDestroyNotify) mailsync_imap_response_unref);
  g_free (parser);
}

void
mailsync_imap_parser_set_limits (MailsyncImapParser *parser, gsize max_line,
                                 guint64 max_literal, guint max_depth)
{
  mailsync_imap_tokenizer_set_limits (parser->tok, max_line, max_literal);
  parser->max_depth = max_depth;
}

void
mailsync_imap_parser_set_utf8_accept (MailsyncImapParser *parser, gboolean utf8_accept)
{
  parser->utf8_accept = utf8_accept;
}

void
mailsync_imap_parser_set_allow_bare_lf (MailsyncImapParser *parser, gboolean allow)
{
  mailsync_imap_tokenizer_set_allow_bare_lf (parser->tok, allow);
}

void
mailsync_imap_parser_set_literal_handler (MailsyncImapParser *parser,
                                          MailsyncImapLiteralHandler handler,
                                          gpointer user_data, GDestroyNotify destroy)
{
  mailsync_imap_tokenizer_set_literal_handler (parser->tok, handler, user_data, destroy);
}

static gboolean
parser_dead (GError **error)
{
  g_set_error_literal (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PARSE,
                       "The IMAP parser failed earlier and takes no more input");
  return FALSE;
}

gboolean
mailsync_imap_parser_feed (MailsyncImapParser *parser, const guint8 *data, gsize len,
                           GError **error)
{
  gsize done = 0;

  if (parser->dead)
    return parser_dead (error);
  while (done < len)
    {
      g_autoptr(MailsyncImapFrame) frame = NULL;
      gssize n = mailsync_imap_tokenizer_feed (parser->tok, data + done, len - done,
                                               &frame, error);
      if (n < 0)
        {
          parser->dead = TRUE;
          return FALSE;
        }
      done += n;
      if (frame != NULL)
        {
          MailsyncImapResponse *r = parse_frame (parser, frame, error);
          if (r == NULL)
            {
              parser->dead = TRUE;
              return FALSE;
            }
          g_queue_push_tail (&parser->queue, r);
        }
    }
  return TRUE;
}

MailsyncImapResponse *
mailsync_imap_parser_pop (MailsyncImapParser *parser)
{
  return g_queue_pop_head (&parser->queue);
}

gboolean
mailsync_imap_parser_is_idle (MailsyncImapParser *parser)
{
  return !parser->dead && mailsync_imap_tokenizer_is_idle (parser->tok);
}

gboolean
mailsync_imap_parser_finish (MailsyncImapParser *parser, GError **error)
{
  if (parser->dead)
    return parser_dead (error);
  if (!mailsync_imap_tokenizer_is_idle (parser->tok))
    {
      parser->dead = TRUE;
      g_set_error_literal (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PARSE,
                           "The server's data ended in the middle of a response");
      return FALSE;
    }
  return TRUE;
}
