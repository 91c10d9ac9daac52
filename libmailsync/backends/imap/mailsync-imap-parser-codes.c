/* IMAP response codes (RFC 3501 §7.1 and extensions) and resp-text: the
 * "[CODE ...]" of a status response, one small function per code. */
#include "config.h"

#include "mailsync-imap-parser-private.h"

/* ---- response codes (RFC 3501 §7.1 and extensions) ---- */

static gboolean
code_number (Ctx *x, MailsyncImapCode *code, GError **error)
{
  return mailsync_imap_cursor_sp (C, error) &&
         mailsync_imap_cursor_number32 (C, code->kind != MAILSYNC_IMAP_CODE_UIDNEXT,
                                        &code->number, error);
}

static gboolean
code_modseq (Ctx *x, MailsyncImapCode *code, GError **error)
{
  return mailsync_imap_cursor_sp (C, error) && _mailsync_imap_parser_number64 (x, &code->modseq, error);
}

/* RFC 4315 §3: APPENDUID uidvalidity uid-set; COPYUID uidvalidity src dst */
static gboolean
code_uidplus (Ctx *x, MailsyncImapCode *code, GError **error)
{
  if (!mailsync_imap_cursor_sp (C, error) ||
      !mailsync_imap_cursor_number32 (C, TRUE, &code->number, error) ||
      !mailsync_imap_cursor_sp (C, error))
    return FALSE;
  if (code->kind == MAILSYNC_IMAP_CODE_COPYUID)
    {
      if ((code->src_uids = _mailsync_imap_parser_read_set (x, 0, error)) == NULL ||
          !mailsync_imap_cursor_sp (C, error))
        return FALSE;
    }
  if ((code->dst_uids = _mailsync_imap_parser_read_set (x, 0, error)) == NULL)
    return FALSE;
  if (code->src_uids != NULL &&
      mailsync_imap_seqset_count (code->src_uids) != mailsync_imap_seqset_count (code->dst_uids))
    return mailsync_imap_cursor_fail (C, error, "COPYUID sets differ in size");
  return TRUE;
}

static gboolean
code_modified (Ctx *x, MailsyncImapCode *code, GError **error)
{
  return mailsync_imap_cursor_sp (C, error) &&
         (code->src_uids = _mailsync_imap_parser_read_set (x, 0, error)) != NULL;
}

static gboolean
code_capability (Ctx *x, MailsyncImapCode *code, GError **error)
{
  return _mailsync_imap_parser_atom_list (x, ']', &code->strv, error);
}

static gboolean
code_flags (Ctx *x, MailsyncImapCode *code, GError **error)
{
  return mailsync_imap_cursor_sp (C, error) && _mailsync_imap_parser_flag_list (x, &code->strv, error);
}

/* resp-text-code = atom [SP 1*<any TEXT-CHAR except "]">] */
static gboolean
code_raw (Ctx *x, MailsyncImapCode *code, GError **error)
{
  gsize start;
  int ch;

  if (!mailsync_imap_cursor_accept (C, ' '))
    return TRUE;
  start = C->pos;
  while ((ch = mailsync_imap_cursor_peek (C)) >= 0 && ch != ']')
    C->pos++;
  code->raw_args = g_utf8_make_valid ((const char *) C->frame->text + start, C->pos - start);
  return TRUE;
}

typedef gboolean (*CodeFunc) (Ctx *x, MailsyncImapCode *code, GError **error);

static const struct
{
  const char          *name;
  MailsyncImapCodeKind kind;
  CodeFunc             parse;
} code_table[] = {
  { "ALERT", MAILSYNC_IMAP_CODE_ALERT, code_raw },
  { "BADCHARSET", MAILSYNC_IMAP_CODE_BADCHARSET, code_raw },
  { "CAPABILITY", MAILSYNC_IMAP_CODE_CAPABILITY, code_capability },
  { "PARSE", MAILSYNC_IMAP_CODE_PARSE, code_raw },
  { "PERMANENTFLAGS", MAILSYNC_IMAP_CODE_PERMANENTFLAGS, code_flags },
  { "READ-ONLY", MAILSYNC_IMAP_CODE_READ_ONLY, code_raw },
  { "READ-WRITE", MAILSYNC_IMAP_CODE_READ_WRITE, code_raw },
  { "TRYCREATE", MAILSYNC_IMAP_CODE_TRYCREATE, code_raw },
  { "UIDNEXT", MAILSYNC_IMAP_CODE_UIDNEXT, code_number },
  { "UIDVALIDITY", MAILSYNC_IMAP_CODE_UIDVALIDITY, code_number },
  { "UNSEEN", MAILSYNC_IMAP_CODE_UNSEEN, code_number },
  { "APPENDUID", MAILSYNC_IMAP_CODE_APPENDUID, code_uidplus },
  { "COPYUID", MAILSYNC_IMAP_CODE_COPYUID, code_uidplus },
  { "UIDNOTSTICKY", MAILSYNC_IMAP_CODE_UIDNOTSTICKY, code_raw },
  { "HIGHESTMODSEQ", MAILSYNC_IMAP_CODE_HIGHESTMODSEQ, code_modseq },
  { "NOMODSEQ", MAILSYNC_IMAP_CODE_NOMODSEQ, code_raw },
  { "MODIFIED", MAILSYNC_IMAP_CODE_MODIFIED, code_modified },
  { "CLOSED", MAILSYNC_IMAP_CODE_CLOSED, code_raw },
  { "ALREADYEXISTS", MAILSYNC_IMAP_CODE_ALREADYEXISTS, code_raw },
  { "NONEXISTENT", MAILSYNC_IMAP_CODE_NONEXISTENT, code_raw },
  { "AUTHENTICATIONFAILED", MAILSYNC_IMAP_CODE_AUTHENTICATIONFAILED, code_raw },
  { "UNAVAILABLE", MAILSYNC_IMAP_CODE_UNAVAILABLE, code_raw },
  { "OVERQUOTA", MAILSYNC_IMAP_CODE_OVERQUOTA, code_raw },
  { "LIMIT", MAILSYNC_IMAP_CODE_LIMIT, code_raw },
};

static gboolean
parse_code (Ctx *x, MailsyncImapCode **out, GError **error)
{
  g_autoptr(MailsyncImapCode) code = mailsync_imap_code_new ();
  CodeFunc parse = code_raw;
  g_autofree char *atom = NULL;
  guint i;

  if (!mailsync_imap_cursor_expect (C, '[', error) ||
      (atom = mailsync_imap_cursor_atom (C, NULL, error)) == NULL)
    return FALSE;
  code->name = g_ascii_strup (atom, -1);
  code->kind = MAILSYNC_IMAP_CODE_OTHER;
  for (i = 0; i < G_N_ELEMENTS (code_table); i++)
    if (g_str_equal (code->name, code_table[i].name))
      {
        code->kind = code_table[i].kind;
        parse = code_table[i].parse;
      }
  if (!parse (x, code, error))
    return FALSE;
  /* a server may add arguments we do not use: keep them raw */
  if (parse != code_raw && mailsync_imap_cursor_peek (C) == ' ' && !code_raw (x, code, error))
    return FALSE;
  if (!mailsync_imap_cursor_expect (C, ']', error))
    return FALSE;
  *out = g_steal_pointer (&code);
  return TRUE;
}

/* resp-text = ["[" resp-text-code "]" SP] text; both parts optional in
 * practice ("* OK" alone, "+" alone). */
gboolean
_mailsync_imap_parser_resp_text (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  if (!mailsync_imap_cursor_accept (C, ' '))
    return mailsync_imap_cursor_end (C, error);
  if (mailsync_imap_cursor_peek (C) == '[')
    {
      if (!parse_code (x, &r->code, error))
        return FALSE;
      mailsync_imap_cursor_accept (C, ' ');
    }
  if (mailsync_imap_cursor_peek (C) >= 0)
    r->text = mailsync_imap_cursor_rest (C);
  return mailsync_imap_cursor_end (C, error);
}
