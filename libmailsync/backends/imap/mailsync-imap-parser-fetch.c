/* IMAP FETCH data items (RFC 3501 §7.4.2, RFC 3516, RFC 7162, RFC 8474,
 * Gmail X-GM-EXT-1): one small function per item. */
#include "config.h"

#include "mailsync-imap-parser-private.h"

#include <string.h>

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

  if (!_mailsync_imap_parser_flag_list (x, &flags, error))
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
  return _mailsync_imap_parser_number64 (x, &f->rfc822_size, error);   /* number64 in RFC 9051 */
}

static gboolean
fetch_internaldate (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  g_autofree char *s = NULL;
  gsize start = C->pos, len;

  if (mailsync_imap_cursor_peek (C) != '"')
    return mailsync_imap_cursor_fail (C, error, "Expected a quoted date-time");
  /* A date-time has no escapes: in a frame without literals (a listing's
   * FETCH, one per message) it is parsed where it is, not copied. */
  if (C->frame->literals == NULL)
    {
      const char *text = (const char *) C->frame->text;
      gsize end = start + 1;

      while (end < C->frame->len && text[end] != '"' && text[end] != '\\')
        end++;
      if (end < C->frame->len && text[end] == '"')
        {
          if (!mailsync_imap_parse_date_time (text + start + 1, end - start - 1, &f->internaldate))
            return mailsync_imap_cursor_fail (C, error, "Bad INTERNALDATE");
          C->pos = end + 1;
          f->present |= MAILSYNC_IMAP_FETCH_INTERNALDATE;
          return TRUE;
        }
    }
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
  return mailsync_imap_cursor_open (C, error) && _mailsync_imap_parser_number64 (x, &f->modseq, error) &&
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

      _mailsync_imap_parser_skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == ')')
        break;
      if (mailsync_imap_cursor_peek (C) == '\\')
        label = _mailsync_imap_parser_read_flag (x, error);
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

/* "EMAILID" SP "(" objectid ")" (RFC 8474 §5.1): objectid is 1*255 of
 * ALPHA / DIGIT / "_" / "-", a subset of ATOM-CHAR checked here. */
static gboolean
fetch_emailid (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  g_autofree char *id = NULL;

  if (!mailsync_imap_cursor_open (C, error) || (id = mailsync_imap_cursor_atom (C, NULL, error)) == NULL)
    return FALSE;
  if (strlen (id) > 255 || strspn (id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen (id))
    return mailsync_imap_cursor_fail (C, error, "Bad EMAILID");
  g_free (f->emailid);
  f->emailid = g_steal_pointer (&id);
  f->present |= MAILSYNC_IMAP_FETCH_EMAILID;
  return mailsync_imap_cursor_close (C, error);
}

/* section = "[" [section-spec] "]" with header lists inside; we keep the
 * text as sent (quoted field names included). */
static gboolean
read_section (Ctx *x, char **section, GError **error)
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
  return mailsync_imap_cursor_expect (C, ']', error);
}

static gboolean
fetch_body (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  g_autoptr(MailsyncImapFetchBody) b = g_new0 (MailsyncImapFetchBody, 1);

  if (mailsync_imap_cursor_peek (C) == '[' && !read_section (x, &b->section, error))
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
  /* the item's name with its section: "BODY[HEADER]" */
  b->name = b->section != NULL ? g_strconcat (name, "[", b->section, "]", NULL) : g_strdup (name);
  g_ptr_array_add (f->bodies, g_steal_pointer (&b));
  return TRUE;
}

static gboolean
fetch_skip (Ctx *x, MailsyncImapFetch *f, const char *name, GError **error)
{
  /* BINARY.SIZE[1], BODY[..]-less BODY, anything with a section */
  if (mailsync_imap_cursor_peek (C) == '[')
    {
      g_autofree char *section = NULL;
      if (!read_section (x, &section, error))
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
  { "EMAILID", fetch_emailid },
};

static gboolean
fetch_item (Ctx *x, MailsyncImapFetch *f, GError **error)
{
  char stack[32];
  g_autofree char *heap = NULL;
  char *name;
  gsize start = C->pos, len;
  int ch;
  guint i;

  /* the name ends at '[' (section), '<' is never reached without one */
  while ((ch = mailsync_imap_cursor_peek (C)) >= 0 && ch != '[' && ch != ' ' &&
         ch != '(' && ch != ')' && ch != '{' && ch != '"')
    C->pos++;
  if (C->pos == start)
    return mailsync_imap_cursor_fail (C, error, "Expected a FETCH item");
  /* upper case on the stack, compared with strcmp (GLib's g_str_equal and
   * g_ascii_toupper are calls): one item name per item of every FETCH */
  len = C->pos - start;
  name = len < sizeof stack ? stack : (heap = g_malloc (len + 1));
  for (gsize k = 0; k < len; k++)
    {
      char c = (char) C->frame->text[start + k];

      name[k] = c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c;
    }
  name[len] = '\0';
  if ((strcmp (name, "BODY") == 0 || strcmp (name, "BINARY") == 0) && ch == '[')
    return fetch_body (x, f, name, error);
  if (strcmp (name, "RFC822") == 0 || strcmp (name, "RFC822.HEADER") == 0 ||
      strcmp (name, "RFC822.TEXT") == 0)
    return fetch_body (x, f, name, error);
  for (i = 0; i < G_N_ELEMENTS (fetch_table); i++)
    if (strcmp (name, fetch_table[i].name) == 0)
      return mailsync_imap_cursor_sp (C, error) && fetch_table[i].parse (x, f, name, error);
  return fetch_skip (x, f, name, error);
}

/* message-data = nz-number SP "FETCH" SP msg-att; msg-att = "(" (msg-att-
 * dynamic / msg-att-static) *(SP ...) ")" */
gboolean
_mailsync_imap_parser_fetch (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapFetch) f = mailsync_imap_fetch_new ();

  f->msn = x->msn;
  if (f->msn == 0)
    return mailsync_imap_cursor_fail (C, error, "FETCH for message 0");
  if (!mailsync_imap_cursor_sp (C, error) || !mailsync_imap_cursor_open (C, error))
    return FALSE;
  for (;;)
    {
      _mailsync_imap_parser_skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == ')')
        break;
      if (!fetch_item (x, f, error))
        return FALSE;
    }
  if (!mailsync_imap_cursor_close (C, error))
    return FALSE;
  _mailsync_imap_parser_skip_spaces (x);
  if (!mailsync_imap_cursor_end (C, error))
    return FALSE;
  r->u.fetch = g_steal_pointer (&f);
  return TRUE;
}
