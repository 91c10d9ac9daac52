/* IMAP response grammar: one small function per response kind.
 *
 * The tokenizer hands over complete frames; everything here reads them
 * through a MailsyncImapCursor, so no function can run past the data, and
 * paren nesting is bounded by the cursor's depth limit. */
#include "config.h"

#include <string.h>

#include "mailsync-imap-parser.h"
#include "mailsync-imap-utf7.h"

/* RFC 7162 §7: mod-sequence-value = 1*DIGIT, < 2^63 */
#define MAX_MODSEQ ((guint64) G_MAXINT64)

struct _MailsyncImapParser
{
  MailsyncImapTokenizer *tok;
  GQueue                 queue;
  guint                  max_depth;
  gboolean               utf8_accept;
  gboolean               dead;
};

typedef struct
{
  MailsyncImapParser *parser;
  MailsyncImapCursor  c;
  guint32             msn;     /* the number before FETCH */
} Ctx;

typedef gboolean (*ParseFunc) (Ctx *x, MailsyncImapResponse *r, GError **error);

#define C (&x->c)

/* ---- small shared pieces ---- */

static gboolean
skip_spaces (Ctx *x)
{
  gboolean any = FALSE;

  while (mailsync_imap_cursor_accept (C, ' '))
    any = TRUE;
  return any;
}

static gboolean
number64 (Ctx *x, guint64 *out, GError **error)
{
  return mailsync_imap_cursor_number (C, MAX_MODSEQ, out, error);
}

/* flag = "\" atom / atom; "\*" in PERMANENTFLAGS (RFC 3501 §9) */
static char *
read_flag (Ctx *x, GError **error)
{
  return mailsync_imap_cursor_atom (C, "\\*", error);
}

/* "(" [flag *(SP flag)] ")"; stray spaces tolerated */
static gboolean
flag_list (Ctx *x, char ***out, GError **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  if (!mailsync_imap_cursor_open (C, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *flag = NULL;

      skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == ')')
        break;
      if ((flag = read_flag (x, error)) == NULL)
        return FALSE;
      g_strv_builder_add (b, flag);
    }
  if (!mailsync_imap_cursor_close (C, error))
    return FALSE;
  *out = g_strv_builder_end (b);
  return TRUE;
}

/* 1*(SP atom) up to @stop (-1: end of frame, ']' in codes) */
static gboolean
atom_list (Ctx *x, int stop, char ***out, GError **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (;;)
    {
      g_autofree char *atom = NULL;

      skip_spaces (x);
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
static GArray *
read_set (Ctx *x, guint32 star, GError **error)
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
static gboolean
read_mailbox (Ctx *x, char **raw, gsize *raw_len, char **name, GError **error)
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
static gboolean
read_delimiter (Ctx *x, char *out, GError **error)
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
  return mailsync_imap_cursor_sp (C, error) && number64 (x, &code->modseq, error);
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
      if ((code->src_uids = read_set (x, 0, error)) == NULL ||
          !mailsync_imap_cursor_sp (C, error))
        return FALSE;
    }
  if ((code->dst_uids = read_set (x, 0, error)) == NULL)
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
         (code->src_uids = read_set (x, 0, error)) != NULL;
}

static gboolean
code_capability (Ctx *x, MailsyncImapCode *code, GError **error)
{
  return atom_list (x, ']', &code->strv, error);
}

static gboolean
code_flags (Ctx *x, MailsyncImapCode *code, GError **error)
{
  return mailsync_imap_cursor_sp (C, error) && flag_list (x, &code->strv, error);
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
static gboolean
parse_resp_text (Ctx *x, MailsyncImapResponse *r, GError **error)
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

/* ---- untagged data: one function per kind ---- */

static gboolean
parse_status_response (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  return parse_resp_text (x, r, error);
}

/* CAPABILITY / ENABLED: *(SP atom) (RFC 3501 §7.2.1, RFC 5161 §3.2) */
static gboolean
parse_atoms (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  return atom_list (x, -1, &r->u.strv, error) && mailsync_imap_cursor_end (C, error);
}

static gboolean
parse_flags (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  return mailsync_imap_cursor_sp (C, error) && flag_list (x, &r->u.strv, error) &&
         (skip_spaces (x), mailsync_imap_cursor_end (C, error));
}

/* mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE /
 * nil) SP mailbox [SP mbox-list-extended] (RFC 3501 §7.2.2, RFC 5258) */
static gboolean
parse_list (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapList) l = g_new0 (MailsyncImapList, 1);

  if (!mailsync_imap_cursor_sp (C, error) || !flag_list (x, &l->attributes, error) ||
      !mailsync_imap_cursor_sp (C, error) || !read_delimiter (x, &l->delimiter, error) ||
      !mailsync_imap_cursor_sp (C, error) ||
      !read_mailbox (x, &l->name_raw, &l->name_raw_len, &l->name, error))
    return FALSE;
  l->flags = mailsync_imap_list_flags_from_strv ((const char *const *) l->attributes);
  /* extended data (CHILDINFO, OLDNAME) is skipped structurally */
  while (skip_spaces (x) && !mailsync_imap_cursor_at_end (C))
    if (!mailsync_imap_cursor_skip_value (C, error))
      return FALSE;
  if (!mailsync_imap_cursor_end (C, error))
    return FALSE;
  r->u.list = g_steal_pointer (&l);
  return TRUE;
}

static const struct
{
  const char             *name;
  MailsyncImapStatusItems item;
  gsize                   offset;
  gboolean                wide;
} status_items[] = {
  { "MESSAGES", MAILSYNC_IMAP_STATUS_ITEM_MESSAGES, G_STRUCT_OFFSET (MailsyncImapStatusData, messages), FALSE },
  { "RECENT", MAILSYNC_IMAP_STATUS_ITEM_RECENT, G_STRUCT_OFFSET (MailsyncImapStatusData, recent), FALSE },
  { "UIDNEXT", MAILSYNC_IMAP_STATUS_ITEM_UIDNEXT, G_STRUCT_OFFSET (MailsyncImapStatusData, uidnext), FALSE },
  { "UIDVALIDITY", MAILSYNC_IMAP_STATUS_ITEM_UIDVALIDITY, G_STRUCT_OFFSET (MailsyncImapStatusData, uidvalidity), FALSE },
  { "UNSEEN", MAILSYNC_IMAP_STATUS_ITEM_UNSEEN, G_STRUCT_OFFSET (MailsyncImapStatusData, unseen), FALSE },
  { "HIGHESTMODSEQ", MAILSYNC_IMAP_STATUS_ITEM_HIGHESTMODSEQ, G_STRUCT_OFFSET (MailsyncImapStatusData, highestmodseq), TRUE },
  { "SIZE", MAILSYNC_IMAP_STATUS_ITEM_SIZE, G_STRUCT_OFFSET (MailsyncImapStatusData, size), TRUE },
};

static gboolean
status_item (Ctx *x, MailsyncImapStatusData *st, GError **error)
{
  g_autofree char *name = mailsync_imap_cursor_atom (C, NULL, error);
  guint64 v;
  guint i;

  if (name == NULL || !mailsync_imap_cursor_sp (C, error))
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (status_items); i++)
    if (g_ascii_strcasecmp (name, status_items[i].name) == 0)
      {
        guint8 *field = (guint8 *) st + status_items[i].offset;
        if (!mailsync_imap_cursor_number (C, status_items[i].wide ? MAX_MODSEQ : G_MAXUINT32,
                                          &v, error))
          return FALSE;
        if (status_items[i].wide)
          *(guint64 *) field = v;
        else
          *(guint32 *) field = (guint32) v;
        st->present |= status_items[i].item;
        return TRUE;
      }
  return mailsync_imap_cursor_skip_value (C, error);
}

/* "STATUS" SP mailbox SP "(" [status-att-list] ")" (RFC 3501 §7.2.4) */
static gboolean
parse_status (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapStatusData) st = g_new0 (MailsyncImapStatusData, 1);

  if (!mailsync_imap_cursor_sp (C, error) ||
      !read_mailbox (x, &st->name_raw, NULL, &st->name, error) ||
      !mailsync_imap_cursor_sp (C, error) || !mailsync_imap_cursor_open (C, error))
    return FALSE;
  for (;;)
    {
      skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == ')')
        break;
      if (!status_item (x, st, error))
        return FALSE;
    }
  if (!mailsync_imap_cursor_close (C, error))
    return FALSE;
  skip_spaces (x);   /* Exchange sends a trailing space */
  if (!mailsync_imap_cursor_end (C, error))
    return FALSE;
  r->u.status = g_steal_pointer (&st);
  return TRUE;
}

/* "SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"]
 * (RFC 3501 §7.2.5, RFC 7162 §3.1.5) */
static gboolean
parse_search (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapSearch) s = g_new0 (MailsyncImapSearch, 1);

  s->numbers = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (;;)
    {
      guint32 n;

      skip_spaces (x);
      if (mailsync_imap_cursor_at_end (C))
        break;
      if (mailsync_imap_cursor_peek (C) == '(')
        {
          if (!mailsync_imap_cursor_open (C, error))
            return FALSE;
          if (!mailsync_imap_cursor_keyword (C, "MODSEQ"))
            return mailsync_imap_cursor_fail (C, error, "Expected MODSEQ");
          if (!mailsync_imap_cursor_sp (C, error) || !number64 (x, &s->modseq, error) ||
              !mailsync_imap_cursor_close (C, error))
            return FALSE;
          skip_spaces (x);
          if (!mailsync_imap_cursor_end (C, error))
            return FALSE;
          break;
        }
      if (!mailsync_imap_cursor_number32 (C, TRUE, &n, error))
        return FALSE;
      g_array_append_val (s->numbers, n);
    }
  r->u.search = g_steal_pointer (&s);
  return TRUE;
}

/* search-correlator = SP "(" "TAG" SP tag-string ")" (RFC 4731 §3.1) */
static gboolean
esearch_correlator (Ctx *x, MailsyncImapEsearch *e, GError **error)
{
  gsize len;

  if (!mailsync_imap_cursor_open (C, error))
    return FALSE;
  if (!mailsync_imap_cursor_keyword (C, "TAG"))
    return mailsync_imap_cursor_fail (C, error, "Expected TAG");
  if (!mailsync_imap_cursor_sp (C, error) ||
      (e->tag = mailsync_imap_cursor_string (C, FALSE, TRUE, TRUE, &len, NULL, error)) == NULL)
    return FALSE;
  return mailsync_imap_cursor_close (C, error);
}

static gboolean
esearch_item (Ctx *x, MailsyncImapEsearch *e, const char *name, GError **error)
{
  if (g_ascii_strcasecmp (name, "MIN") == 0)
    {
      e->present |= MAILSYNC_IMAP_ESEARCH_MIN;
      return mailsync_imap_cursor_number32 (C, TRUE, &e->min, error);
    }
  if (g_ascii_strcasecmp (name, "MAX") == 0)
    {
      e->present |= MAILSYNC_IMAP_ESEARCH_MAX;
      return mailsync_imap_cursor_number32 (C, TRUE, &e->max, error);
    }
  if (g_ascii_strcasecmp (name, "COUNT") == 0)
    {
      e->present |= MAILSYNC_IMAP_ESEARCH_COUNT;
      return mailsync_imap_cursor_number32 (C, FALSE, &e->count, error);
    }
  if (g_ascii_strcasecmp (name, "ALL") == 0)
    {
      e->present |= MAILSYNC_IMAP_ESEARCH_ALL;
      g_clear_pointer (&e->all, g_array_unref);
      return (e->all = read_set (x, 0, error)) != NULL;
    }
  if (g_ascii_strcasecmp (name, "MODSEQ") == 0)
    {
      e->present |= MAILSYNC_IMAP_ESEARCH_MODSEQ;
      return number64 (x, &e->modseq, error);
    }
  return mailsync_imap_cursor_skip_value (C, error);
}

/* "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data) */
static gboolean
parse_esearch (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapEsearch) e = g_new0 (MailsyncImapEsearch, 1);

  skip_spaces (x);
  if (mailsync_imap_cursor_peek (C) == '(' && !esearch_correlator (x, e, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *name = NULL;

      skip_spaces (x);
      if (mailsync_imap_cursor_at_end (C))
        break;
      if (mailsync_imap_cursor_keyword (C, "UID"))
        {
          e->uid = TRUE;
          continue;
        }
      if ((name = mailsync_imap_cursor_atom (C, NULL, error)) == NULL ||
          !mailsync_imap_cursor_sp (C, error) || !esearch_item (x, e, name, error))
        return FALSE;
    }
  if (!mailsync_imap_cursor_end (C, error))
    return FALSE;
  r->u.esearch = g_steal_pointer (&e);
  return TRUE;
}

/* "VANISHED" [SP "(EARLIER)"] SP known-uids (RFC 7162 §3.2.10) */
static gboolean
parse_vanished (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapVanished) v = g_new0 (MailsyncImapVanished, 1);

  if (!mailsync_imap_cursor_sp (C, error))
    return FALSE;
  if (mailsync_imap_cursor_peek (C) == '(')
    {
      if (!mailsync_imap_cursor_open (C, error))
        return FALSE;
      if (!mailsync_imap_cursor_keyword (C, "EARLIER"))
        return mailsync_imap_cursor_fail (C, error, "Expected EARLIER");
      if (!mailsync_imap_cursor_close (C, error) || !mailsync_imap_cursor_sp (C, error))
        return FALSE;
      v->earlier = TRUE;
    }
  if ((v->uids = read_set (x, 0, error)) == NULL || !mailsync_imap_cursor_end (C, error))
    return FALSE;
  r->u.vanished = g_steal_pointer (&v);
  return TRUE;
}

/* Namespace-Descr = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil)
 *                   *(Namespace-Response-Extension) ")" (RFC 2342 §5) */
static gboolean
namespace_descr (Ctx *x, GPtrArray *list, GError **error)
{
  MailsyncImapNamespaceEntry *e = g_new0 (MailsyncImapNamespaceEntry, 1);
  gsize len;

  g_ptr_array_add (list, e);
  if (!mailsync_imap_cursor_open (C, error) ||
      (e->prefix_raw = mailsync_imap_cursor_string (C, FALSE, FALSE, TRUE, &len, NULL, error)) == NULL ||
      !mailsync_imap_cursor_sp (C, error) || !read_delimiter (x, &e->delimiter, error))
    return FALSE;
  e->prefix = x->parser->utf8_accept
    ? (g_utf8_validate_len (e->prefix_raw, len, NULL) ? g_strdup (e->prefix_raw) : NULL)
    : mailsync_imap_utf7_decode (e->prefix_raw, len, NULL);
  while (skip_spaces (x))
    if (!mailsync_imap_cursor_skip_value (C, error))
      return FALSE;
  return mailsync_imap_cursor_close (C, error);
}

static gboolean
namespace_list (Ctx *x, GPtrArray **out, GError **error)
{
  g_autoptr(GPtrArray) list =
    g_ptr_array_new_with_free_func ((GDestroyNotify) mailsync_imap_namespace_entry_free);

  if (!mailsync_imap_cursor_sp (C, error))
    return FALSE;
  if (!mailsync_imap_cursor_keyword (C, "NIL"))
    {
      if (!mailsync_imap_cursor_open (C, error))
        return FALSE;
      while (mailsync_imap_cursor_peek (C) == '(')
        if (!namespace_descr (x, list, error))
          return FALSE;
      if (!mailsync_imap_cursor_close (C, error))
        return FALSE;
    }
  *out = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
parse_namespace (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapNamespace) ns = g_new0 (MailsyncImapNamespace, 1);

  if (!namespace_list (x, &ns->personal, error) || !namespace_list (x, &ns->other, error) ||
      !namespace_list (x, &ns->shared, error) || !mailsync_imap_cursor_end (C, error))
    return FALSE;
  r->u.namespace_ = g_steal_pointer (&ns);
  return TRUE;
}

/* id-response = "ID" SP id-params-list; id-params-list = "(" *(string SP
 * nstring) ")" / nil (RFC 2971 §4) */
static gboolean
parse_id (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(GHashTable) id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (!mailsync_imap_cursor_sp (C, error))
    return FALSE;
  if (mailsync_imap_cursor_keyword (C, "NIL"))
    return mailsync_imap_cursor_end (C, error);
  if (!mailsync_imap_cursor_open (C, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *key = NULL;
      char *value;
      gsize len;
      gboolean is_nil;

      skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == ')')
        break;
      if ((key = mailsync_imap_cursor_string (C, FALSE, FALSE, TRUE, &len, NULL, error)) == NULL ||
          !mailsync_imap_cursor_sp (C, error))
        return FALSE;
      value = mailsync_imap_cursor_string (C, TRUE, FALSE, TRUE, &len, &is_nil, error);
      if (value == NULL && !is_nil)
        return FALSE;
      g_hash_table_replace (id, g_steal_pointer (&key), value);
    }
  if (!mailsync_imap_cursor_close (C, error) || !mailsync_imap_cursor_end (C, error))
    return FALSE;
  r->u.id = g_steal_pointer (&id);
  return TRUE;
}

static gboolean
parse_unknown (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  mailsync_imap_cursor_skip_rest (C);
  return TRUE;
}

/* ---- FETCH (RFC 3501 §7.4.2, RFC 3516, RFC 7162, Gmail X-GM-EXT-1) ---- */

typedef gboolean (*FetchFunc) (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error);

static gboolean
fetch_uid (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  f->present |= MAILSYNC_IMAP_FETCH_UID;
  return mailsync_imap_cursor_number32 (C, TRUE, &f->uid, error);
}

static gboolean
fetch_flags (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  g_auto(GStrv) flags = NULL;

  if (!flag_list (x, &flags, error))
    return FALSE;
  g_clear_pointer (&f->keywords, g_strfreev);
  f->flags = mailsync_imap_flags_from_strv ((const char *const *) flags, &f->keywords);
  f->present |= MAILSYNC_IMAP_FETCH_FLAGS;
  return TRUE;
}

static gboolean
fetch_size (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  f->present |= MAILSYNC_IMAP_FETCH_RFC822_SIZE;
  return number64 (x, &f->rfc822_size, error);   /* number64 in RFC 9051 */
}

static gboolean
fetch_internaldate (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  g_autofree char *s = NULL;
  gsize start = C->pos, len;

  if (mailsync_imap_cursor_peek (C) != '"')
    return mailsync_imap_cursor_fail (C, error, "Expected a quoted date-time");
  if ((s = mailsync_imap_cursor_string (C, FALSE, FALSE, TRUE, &len, NULL, error)) == NULL)
    return FALSE;
  if (!mailsync_imap_parse_date_time (s, len, &f->internaldate))
    {
      C->pos = start;
      return mailsync_imap_cursor_fail (C, error, "Bad INTERNALDATE");
    }
  f->present |= MAILSYNC_IMAP_FETCH_INTERNALDATE;
  return TRUE;
}

/* "MODSEQ" SP "(" permsg-modsequence ")" (RFC 7162 §3.1.4.1) */
static gboolean
fetch_modseq (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  f->present |= MAILSYNC_IMAP_FETCH_MODSEQ;
  return mailsync_imap_cursor_open (C, error) && number64 (x, &f->modseq, error) &&
         mailsync_imap_cursor_close (C, error);
}

static gboolean
fetch_gm_id (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  gboolean thrid = g_str_equal (name, "X-GM-THRID");

  f->present |= thrid ? MAILSYNC_IMAP_FETCH_X_GM_THRID : MAILSYNC_IMAP_FETCH_X_GM_MSGID;
  return mailsync_imap_cursor_number (C, G_MAXUINT64, thrid ? &f->gm_thrid : &f->gm_msgid, error);
}

/* X-GM-LABELS: a list of astrings and system labels such as \Inbox */
static gboolean
fetch_gm_labels (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  if (!mailsync_imap_cursor_open (C, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *label = NULL;
      gsize len;

      skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == ')')
        break;
      if (mailsync_imap_cursor_peek (C) == '\\')
        label = read_flag (x, error);
      else
        label = mailsync_imap_cursor_string (C, FALSE, TRUE, TRUE, &len, NULL, error);
      if (label == NULL)
        return FALSE;
      g_strv_builder_add (b, label);
    }
  g_clear_pointer (&f->gm_labels, g_strfreev);
  f->gm_labels = g_strv_builder_end (b);
  f->present |= MAILSYNC_IMAP_FETCH_X_GM_LABELS;
  return mailsync_imap_cursor_close (C, error);
}

/* section = "[" [section-spec] "]" with header lists inside; we keep the
 * text as sent (quoted field names included). */
static gboolean
read_section (Ctx *x, GString *name, char **section, GError **error)
{
  gsize start;
  int ch;

  if (!mailsync_imap_cursor_expect (C, '[', error))
    return FALSE;
  start = C->pos;
  while ((ch = mailsync_imap_cursor_peek (C)) >= 0 && ch != ']')
    {
      if (ch == '"')
        {
          gsize len;
          g_autofree char *q = mailsync_imap_cursor_string (C, FALSE, FALSE, TRUE, &len, NULL, error);
          if (q == NULL)
            return FALSE;
          continue;
        }
      if (ch == '{' || ch == '[')
        return mailsync_imap_cursor_fail (C, error, "Unexpected character in a section");
      C->pos++;
    }
  *section = g_ascii_strup ((const char *) C->frame->text + start, C->pos - start);
  if (!mailsync_imap_cursor_expect (C, ']', error))
    return FALSE;
  g_string_append_printf (name, "[%s]", *section);
  return TRUE;
}

static gboolean
fetch_body (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  g_autoptr(MailsyncImapFetchBody) b = g_new0 (MailsyncImapFetchBody, 1);
  g_autoptr(GString) full = g_string_new (name);

  if (mailsync_imap_cursor_peek (C) == '[' && !read_section (x, full, &b->section, error))
    return FALSE;
  if (mailsync_imap_cursor_accept (C, '<'))
    {
      if (!mailsync_imap_cursor_number32 (C, FALSE, &b->origin, error) ||
          !mailsync_imap_cursor_expect (C, '>', error))
        return FALSE;
      b->has_origin = TRUE;
    }
  if (!mailsync_imap_cursor_sp (C, error) ||
      !mailsync_imap_cursor_body (C, &b->data, &b->stream, &b->size, &b->is_nil, error))
    return FALSE;
  b->name = g_string_free (g_steal_pointer (&full), FALSE);
  g_ptr_array_add (f->bodies, g_steal_pointer (&b));
  return TRUE;
}

static gboolean
fetch_skip (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  /* BINARY.SIZE[1], BODY[..]-less BODY, anything with a section */
  if (mailsync_imap_cursor_peek (C) == '[')
    {
      g_autoptr(GString) ignored = g_string_new (NULL);
      g_autofree char *section = NULL;
      if (!read_section (x, ignored, &section, error))
        return FALSE;
    }
  return mailsync_imap_cursor_sp (C, error) && mailsync_imap_cursor_skip_value (C, error);
}

static const struct
{
  const char *name;
  FetchFunc   parse;
} fetch_table[] = {
  { "UID", fetch_uid },
  { "FLAGS", fetch_flags },
  { "RFC822.SIZE", fetch_size },
  { "INTERNALDATE", fetch_internaldate },
  { "MODSEQ", fetch_modseq },
  { "X-GM-MSGID", fetch_gm_id },
  { "X-GM-THRID", fetch_gm_id },
  { "X-GM-LABELS", fetch_gm_labels },
};

static gboolean
fetch_item (Ctx *x, MailsyncImapFetch *f, GError **error)
{
  g_autofree char *name = NULL;
  gsize start = C->pos;
  int ch;
  guint i;

  /* the name ends at '[' (section), '<' is never reached without one */
  while ((ch = mailsync_imap_cursor_peek (C)) >= 0 && ch != '[' && ch != ' ' &&
         ch != '(' && ch != ')' && ch != '{' && ch != '"')
    C->pos++;
  if (C->pos == start)
    return mailsync_imap_cursor_fail (C, error, "Expected a FETCH item");
  name = g_ascii_strup ((const char *) C->frame->text + start, C->pos - start);
  if ((g_str_equal (name, "BODY") || g_str_equal (name, "BINARY")) && ch == '[')
    return fetch_body (x, f, name, error);
  if (g_str_equal (name, "RFC822") || g_str_equal (name, "RFC822.HEADER") ||
      g_str_equal (name, "RFC822.TEXT"))
    return fetch_body (x, f, name, error);
  for (i = 0; i < G_N_ELEMENTS (fetch_table); i++)
    if (g_str_equal (name, fetch_table[i].name))
      return mailsync_imap_cursor_sp (C, error) && fetch_table[i].parse (x, f, name, error);
  return fetch_skip (x, f, name, error);
}

/* message-data = nz-number SP "FETCH" SP msg-att; msg-att = "(" (msg-att-
 * dynamic / msg-att-static) *(SP ...) ")" */
static gboolean
parse_fetch (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapFetch) f = mailsync_imap_fetch_new ();

  f->msn = x->msn;
  if (f->msn == 0)
    return mailsync_imap_cursor_fail (C, error, "FETCH for message 0");
  if (!mailsync_imap_cursor_sp (C, error) || !mailsync_imap_cursor_open (C, error))
    return FALSE;
  for (;;)
    {
      skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == ')')
        break;
      if (!fetch_item (x, f, error))
        return FALSE;
    }
  if (!mailsync_imap_cursor_close (C, error))
    return FALSE;
  skip_spaces (x);
  if (!mailsync_imap_cursor_end (C, error))
    return FALSE;
  r->u.fetch = g_steal_pointer (&f);
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
  { "OK", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_OK, parse_status_response },
  { "NO", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_NO, parse_status_response },
  { "BAD", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_BAD, parse_status_response },
  { "BYE", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_BYE, parse_status_response },
  { "PREAUTH", MAILSYNC_IMAP_DATA_NONE, MAILSYNC_IMAP_STATUS_PREAUTH, parse_status_response },
  { "CAPABILITY", MAILSYNC_IMAP_DATA_CAPABILITY, 0, parse_atoms },
  { "ENABLED", MAILSYNC_IMAP_DATA_ENABLED, 0, parse_atoms },
  { "FLAGS", MAILSYNC_IMAP_DATA_FLAGS, 0, parse_flags },
  { "LIST", MAILSYNC_IMAP_DATA_LIST, 0, parse_list },
  { "LSUB", MAILSYNC_IMAP_DATA_LSUB, 0, parse_list },
  /* Gmail's pre-SPECIAL-USE LIST: the same syntax, more attributes */
  { "XLIST", MAILSYNC_IMAP_DATA_LIST, 0, parse_list },
  { "STATUS", MAILSYNC_IMAP_DATA_STATUS, 0, parse_status },
  { "SEARCH", MAILSYNC_IMAP_DATA_SEARCH, 0, parse_search },
  { "ESEARCH", MAILSYNC_IMAP_DATA_ESEARCH, 0, parse_esearch },
  { "VANISHED", MAILSYNC_IMAP_DATA_VANISHED, 0, parse_vanished },
  { "NAMESPACE", MAILSYNC_IMAP_DATA_NAMESPACE, 0, parse_namespace },
  { "ID", MAILSYNC_IMAP_DATA_ID, 0, parse_id },
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
  r->data_name = g_ascii_strup (atom, -1);
  if (g_str_equal (r->data_name, "FETCH"))
    {
      r->data_kind = MAILSYNC_IMAP_DATA_FETCH;
      return parse_fetch (x, r, error);
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
    return parse_unknown (x, r, error);
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
  return parse_unknown (x, r, error);
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
  return parse_resp_text (x, r, error);
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
      ok = parse_resp_text (x, r, error);
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
