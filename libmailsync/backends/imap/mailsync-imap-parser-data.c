/* IMAP untagged data other than FETCH (RFC 3501 §7.2-7.3 and extensions):
 * one small function per kind, called from the parser's dispatch table. */
#include "config.h"

#include "mailsync-imap-parser-private.h"
#include "mailsync-imap-utf7.h"

/* ---- untagged data: one function per kind ---- */

gboolean
_mailsync_imap_parser_status_response (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  return _mailsync_imap_parser_resp_text (x, r, error);
}

/* CAPABILITY / ENABLED: *(SP atom) (RFC 3501 §7.2.1, RFC 5161 §3.2) */
gboolean
_mailsync_imap_parser_atoms (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  return _mailsync_imap_parser_atom_list (x, -1, &r->u.strv, error) && mailsync_imap_cursor_end (C, error);
}

gboolean
_mailsync_imap_parser_flags (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  return mailsync_imap_cursor_sp (C, error) && _mailsync_imap_parser_flag_list (x, &r->u.strv, error) &&
         (_mailsync_imap_parser_skip_spaces (x), mailsync_imap_cursor_end (C, error));
}

/* mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE /
 * nil) SP mailbox [SP mbox-list-extended] (RFC 3501 §7.2.2, RFC 5258) */
gboolean
_mailsync_imap_parser_list (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapList) l = g_new0 (MailsyncImapList, 1);

  if (!mailsync_imap_cursor_sp (C, error) || !_mailsync_imap_parser_flag_list (x, &l->attributes, error) ||
      !mailsync_imap_cursor_sp (C, error) || !_mailsync_imap_parser_read_delimiter (x, &l->delimiter, error) ||
      !mailsync_imap_cursor_sp (C, error) ||
      !_mailsync_imap_parser_read_mailbox (x, &l->name_raw, &l->name_raw_len, &l->name, error))
    return FALSE;
  l->flags = mailsync_imap_list_flags_from_strv ((const char *const *) l->attributes);
  /* extended data (CHILDINFO, OLDNAME) is skipped structurally */
  while (_mailsync_imap_parser_skip_spaces (x) && !mailsync_imap_cursor_at_end (C))
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
  { "APPENDLIMIT", MAILSYNC_IMAP_STATUS_ITEM_APPENDLIMIT, G_STRUCT_OFFSET (MailsyncImapStatusData, appendlimit), TRUE },
};

static gboolean
status_item (Ctx *x, MailsyncImapStatusData *st, GError **error)
{
  g_autofree char *name = mailsync_imap_cursor_atom (C, NULL, error);
  guint64 v;
  guint i;

  if (name == NULL || !mailsync_imap_cursor_sp (C, error))
    return FALSE;
  /* RFC 7889 §4: "APPENDLIMIT" SP (number / nil), NIL for no limit */
  if (g_ascii_strcasecmp (name, "APPENDLIMIT") == 0 && mailsync_imap_cursor_keyword (C, "NIL"))
    {
      st->appendlimit = 0;
      st->present |= MAILSYNC_IMAP_STATUS_ITEM_APPENDLIMIT;
      return TRUE;
    }
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
gboolean
_mailsync_imap_parser_status (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapStatusData) st = g_new0 (MailsyncImapStatusData, 1);

  if (!mailsync_imap_cursor_sp (C, error) ||
      !_mailsync_imap_parser_read_mailbox (x, &st->name_raw, NULL, &st->name, error) ||
      !mailsync_imap_cursor_sp (C, error) || !mailsync_imap_cursor_open (C, error))
    return FALSE;
  for (;;)
    {
      _mailsync_imap_parser_skip_spaces (x);
      if (mailsync_imap_cursor_peek (C) == ')')
        break;
      if (!status_item (x, st, error))
        return FALSE;
    }
  if (!mailsync_imap_cursor_close (C, error))
    return FALSE;
  _mailsync_imap_parser_skip_spaces (x);   /* Exchange sends a trailing space */
  if (!mailsync_imap_cursor_end (C, error))
    return FALSE;
  r->u.status = g_steal_pointer (&st);
  return TRUE;
}

/* "SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"]
 * (RFC 3501 §7.2.5, RFC 7162 §3.1.5) */
gboolean
_mailsync_imap_parser_search (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapSearch) s = g_new0 (MailsyncImapSearch, 1);

  s->numbers = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (;;)
    {
      guint32 n;

      _mailsync_imap_parser_skip_spaces (x);
      if (mailsync_imap_cursor_at_end (C))
        break;
      if (mailsync_imap_cursor_peek (C) == '(')
        {
          if (!mailsync_imap_cursor_open (C, error))
            return FALSE;
          if (!mailsync_imap_cursor_keyword (C, "MODSEQ"))
            return mailsync_imap_cursor_fail (C, error, "Expected MODSEQ");
          if (!mailsync_imap_cursor_sp (C, error) || !_mailsync_imap_parser_number64 (x, &s->modseq, error) ||
              !mailsync_imap_cursor_close (C, error))
            return FALSE;
          _mailsync_imap_parser_skip_spaces (x);
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
      return (e->all = _mailsync_imap_parser_read_set (x, 0, error)) != NULL;
    }
  if (g_ascii_strcasecmp (name, "MODSEQ") == 0)
    {
      e->present |= MAILSYNC_IMAP_ESEARCH_MODSEQ;
      return _mailsync_imap_parser_number64 (x, &e->modseq, error);
    }
  return mailsync_imap_cursor_skip_value (C, error);
}

/* "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data) */
gboolean
_mailsync_imap_parser_esearch (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  g_autoptr(MailsyncImapEsearch) e = g_new0 (MailsyncImapEsearch, 1);

  _mailsync_imap_parser_skip_spaces (x);
  if (mailsync_imap_cursor_peek (C) == '(' && !esearch_correlator (x, e, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *name = NULL;

      _mailsync_imap_parser_skip_spaces (x);
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
gboolean
_mailsync_imap_parser_vanished (Ctx *x, MailsyncImapResponse *r, GError **error)
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
  if ((v->uids = _mailsync_imap_parser_read_set (x, 0, error)) == NULL || !mailsync_imap_cursor_end (C, error))
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
      !mailsync_imap_cursor_sp (C, error) || !_mailsync_imap_parser_read_delimiter (x, &e->delimiter, error))
    return FALSE;
  e->prefix = x->parser->utf8_accept
    ? (g_utf8_validate_len (e->prefix_raw, len, NULL) ? g_strdup (e->prefix_raw) : NULL)
    : mailsync_imap_utf7_decode (e->prefix_raw, len, NULL);
  while (_mailsync_imap_parser_skip_spaces (x))
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

gboolean
_mailsync_imap_parser_namespace (Ctx *x, MailsyncImapResponse *r, GError **error)
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
gboolean
_mailsync_imap_parser_id (Ctx *x, MailsyncImapResponse *r, GError **error)
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

      _mailsync_imap_parser_skip_spaces (x);
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

gboolean
_mailsync_imap_parser_unknown (Ctx *x, MailsyncImapResponse *r, GError **error)
{
  mailsync_imap_cursor_skip_rest (C);
  return TRUE;
}
