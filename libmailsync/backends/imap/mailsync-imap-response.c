/* Typed IMAP responses: constructors, destructors, sets, dates, summaries. */
#include "config.h"

#include <string.h>

#include "mailsync-imap-response.h"


/* ---- sequence sets ---- */

static gboolean
seqset_fail (GError **error, const char *why, const char *str, gsize len)
{
  g_autofree char *excerpt = g_strndup (str, MIN (len, 60));

  g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PARSE,
               "Invalid sequence set (%s): %s", why, excerpt);
  return FALSE;
}

/* seq-number = nz-number / "*" (RFC 3501 §9) */
static gboolean
seqset_number (const char **pp, const char *end, guint32 star, guint32 *out)
{
  const char *p = *pp;
  guint64 v = 0;

  if (p < end && *p == '*')
    {
      if (star == 0)
        return FALSE;
      *out = star;
      *pp = p + 1;
      return TRUE;
    }
  if (p >= end || *p < '1' || *p > '9')
    return FALSE;
  for (; p < end && *p >= '0' && *p <= '9'; p++)
    {
      v = v * 10 + (guint64) (*p - '0');
      if (v > G_MAXUINT32)
        return FALSE;
    }
  *out = (guint32) v;
  *pp = p;
  return TRUE;
}

GArray *
mailsync_imap_seqset_parse (const char *str, gsize len, guint32 star,
                            guint64 max_count, GError **error)
{
  g_autoptr(GArray) ranges = g_array_new (FALSE, FALSE, sizeof (MailsyncImapRange));
  const char *p = str, *end = str + len;
  guint64 count = 0;

  if (len == 0)
    {
      seqset_fail (error, "empty", str, len);
      return NULL;
    }
  for (;;)
    {
      MailsyncImapRange r;

      if (!seqset_number (&p, end, star, &r.first))
        {
          seqset_fail (error, "bad number", str, len);
          return NULL;
        }
      r.last = r.first;
      if (p < end && *p == ':')
        {
          p++;
          if (!seqset_number (&p, end, star, &r.last))
            {
              seqset_fail (error, "bad range", str, len);
              return NULL;
            }
          if (r.last < r.first)
            {
              guint32 t = r.first;
              r.first = r.last;
              r.last = t;
            }
        }
      count += (guint64) r.last - r.first + 1;
      if (max_count > 0 && count > max_count)
        {
          seqset_fail (error, "too many numbers", str, len);
          return NULL;
        }
      g_array_append_val (ranges, r);
      if (p == end)
        break;
      if (*p != ',')
        {
          seqset_fail (error, "unexpected character", str, len);
          return NULL;
        }
      p++;
    }
  return g_steal_pointer (&ranges);
}

guint64
mailsync_imap_seqset_count (const GArray *ranges)
{
  guint64 n = 0;
  guint i;

  for (i = 0; ranges != NULL && i < ranges->len; i++)
    {
      const MailsyncImapRange *r = &g_array_index (ranges, MailsyncImapRange, i);
      n += (guint64) r->last - r->first + 1;
    }
  return n;
}

gboolean
mailsync_imap_seqset_contains (const GArray *ranges, guint32 n)
{
  guint i;

  for (i = 0; ranges != NULL && i < ranges->len; i++)
    {
      const MailsyncImapRange *r = &g_array_index (ranges, MailsyncImapRange, i);
      if (n >= r->first && n <= r->last)
        return TRUE;
    }
  return FALSE;
}

void
mailsync_imap_seqset_iter_init (MailsyncImapSeqsetIter *iter, const GArray *ranges)
{
  iter->ranges = ranges;
  iter->index = 0;
  iter->next = (ranges != NULL && ranges->len > 0)
    ? g_array_index (ranges, MailsyncImapRange, 0).first : 0;
}

gboolean
mailsync_imap_seqset_iter_next (MailsyncImapSeqsetIter *iter, guint32 *n)
{
  const MailsyncImapRange *r;

  if (iter->ranges == NULL || iter->index >= iter->ranges->len)
    return FALSE;
  r = &g_array_index (iter->ranges, MailsyncImapRange, iter->index);
  *n = (guint32) iter->next;
  if (iter->next >= r->last)
    {
      iter->index++;
      if (iter->index < iter->ranges->len)
        iter->next = g_array_index (iter->ranges, MailsyncImapRange, iter->index).first;
    }
  else
    iter->next++;
  return TRUE;
}

/* ---- flags ---- */

static const struct
{
  const char   *name;
  MailsyncFlags flag;
} system_flags[] = {
  { "\\Seen", MAILSYNC_FLAG_SEEN },
  { "\\Answered", MAILSYNC_FLAG_ANSWERED },
  { "\\Flagged", MAILSYNC_FLAG_FLAGGED },
  { "\\Deleted", MAILSYNC_FLAG_DELETED },
  { "\\Draft", MAILSYNC_FLAG_DRAFT },
};

MailsyncFlags
mailsync_imap_flags_from_strv (const char *const *flags, char ***keywords)
{
  g_autoptr(GStrvBuilder) kw = g_strv_builder_new ();
  MailsyncFlags out = MAILSYNC_FLAG_NONE;
  guint i, j;

  for (i = 0; flags != NULL && flags[i] != NULL; i++)
    {
      gboolean system = FALSE;

      for (j = 0; j < G_N_ELEMENTS (system_flags); j++)
        if (g_ascii_strcasecmp (flags[i], system_flags[j].name) == 0)
          {
            out |= system_flags[j].flag;
            system = TRUE;
          }
      /* \Recent is session state (RFC 3501 §2.3.2); other backslash flags
       * (\*, extensions) are not keywords either. */
      if (!system && flags[i][0] != '\\')
        g_strv_builder_add (kw, flags[i]);
    }
  if (keywords != NULL)
    *keywords = g_strv_builder_end (kw);
  return out;
}

static const struct
{
  const char           *name;
  MailsyncImapListFlags flag;
} list_attrs[] = {
  { "\\Noinferiors", MAILSYNC_IMAP_LIST_NOINFERIORS },
  { "\\Noselect", MAILSYNC_IMAP_LIST_NOSELECT },
  { "\\Marked", MAILSYNC_IMAP_LIST_MARKED },
  { "\\Unmarked", MAILSYNC_IMAP_LIST_UNMARKED },
  { "\\NonExistent", MAILSYNC_IMAP_LIST_NONEXISTENT },
  { "\\Subscribed", MAILSYNC_IMAP_LIST_SUBSCRIBED },
  { "\\HasChildren", MAILSYNC_IMAP_LIST_HASCHILDREN },
  { "\\HasNoChildren", MAILSYNC_IMAP_LIST_HASNOCHILDREN },
  { "\\All", MAILSYNC_IMAP_LIST_ALL },
  { "\\Archive", MAILSYNC_IMAP_LIST_ARCHIVE },
  { "\\Drafts", MAILSYNC_IMAP_LIST_DRAFTS },
  { "\\Flagged", MAILSYNC_IMAP_LIST_FLAGGED },
  { "\\Junk", MAILSYNC_IMAP_LIST_JUNK },
  { "\\Sent", MAILSYNC_IMAP_LIST_SENT },
  { "\\Trash", MAILSYNC_IMAP_LIST_TRASH },
};

MailsyncImapListFlags
mailsync_imap_list_flags_from_strv (const char *const *attrs)
{
  MailsyncImapListFlags flags = 0;
  guint i, j;

  for (i = 0; attrs[i] != NULL; i++)
    for (j = 0; j < G_N_ELEMENTS (list_attrs); j++)
      if (g_ascii_strcasecmp (attrs[i], list_attrs[j].name) == 0)
        flags |= list_attrs[j].flag;
  return flags;
}

/* ---- date-time (RFC 3501 §9: "dd-Mon-yyyy hh:mm:ss +zzzz") ---- */

static gint64
days_from_civil (gint64 y, int m, int d)
{
  /* Howard Hinnant's algorithm; proleptic Gregorian calendar */
  gint64 era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static gboolean
take_digits (const char **pp, const char *end, int n, int *out)
{
  int v = 0, i;

  for (i = 0; i < n; i++)
    {
      if (*pp >= end || **pp < '0' || **pp > '9')
        return FALSE;
      v = v * 10 + (**pp - '0');
      (*pp)++;
    }
  *out = v;
  return TRUE;
}

static gboolean
take_char (const char **pp, const char *end, char c)
{
  if (*pp >= end || **pp != c)
    return FALSE;
  (*pp)++;
  return TRUE;
}

static int
month_from_name (const char *p)
{
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  int i;

  for (i = 0; i < 12; i++)
    if (g_ascii_strncasecmp (p, months + 3 * i, 3) == 0)
      return i + 1;
  return 0;
}

gboolean
mailsync_imap_parse_date_time (const char *str, gsize len, gint64 *out)
{
  const char *p = str, *end = str + len;
  int day, month, year, hh, mm, ss, zh, zm, sign;
  static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  /* date-day-fixed = (SP DIGIT) / 2DIGIT */
  if (p < end && *p == ' ')
    p++;
  if (!take_digits (&p, end, 1, &day))
    return FALSE;
  if (p < end && *p >= '0' && *p <= '9')
    day = day * 10 + (*p++ - '0');
  if (!take_char (&p, end, '-') || end - p < 3 || (month = month_from_name (p)) == 0)
    return FALSE;
  p += 3;
  if (!take_char (&p, end, '-') || !take_digits (&p, end, 4, &year) ||
      !take_char (&p, end, ' ') || !take_digits (&p, end, 2, &hh) ||
      !take_char (&p, end, ':') || !take_digits (&p, end, 2, &mm) ||
      !take_char (&p, end, ':') || !take_digits (&p, end, 2, &ss) ||
      !take_char (&p, end, ' ') || p >= end || (*p != '+' && *p != '-'))
    return FALSE;
  sign = *p++ == '-' ? -1 : 1;
  if (!take_digits (&p, end, 2, &zh) || !take_digits (&p, end, 2, &zm) || p != end)
    return FALSE;
  if (day < 1 || day > mdays[month - 1] || hh > 23 || mm > 59 || ss > 60 || zm > 59)
    return FALSE;
  *out = days_from_civil (year, month, day) * 86400 + hh * 3600 + mm * 60 + ss
         - sign * (zh * 3600 + zm * 60);
  return TRUE;
}

/* ---- constructors and destructors ---- */

MailsyncImapCode *
mailsync_imap_code_new (void)
{
  return g_new0 (MailsyncImapCode, 1);
}

void
mailsync_imap_code_free (MailsyncImapCode *code)
{
  if (code == NULL)
    return;
  g_free (code->name);
  g_free (code->raw_args);
  g_clear_pointer (&code->src_uids, g_array_unref);
  g_clear_pointer (&code->dst_uids, g_array_unref);
  g_strfreev (code->strv);
  g_free (code);
}

void
mailsync_imap_list_free (MailsyncImapList *list)
{
  if (list == NULL)
    return;
  g_strfreev (list->attributes);
  g_free (list->name_raw);
  g_free (list->name);
  g_free (list);
}

void
mailsync_imap_status_data_free (MailsyncImapStatusData *status)
{
  if (status == NULL)
    return;
  g_free (status->name_raw);
  g_free (status->name);
  g_free (status);
}

void
mailsync_imap_search_free (MailsyncImapSearch *search)
{
  if (search == NULL)
    return;
  g_clear_pointer (&search->numbers, g_array_unref);
  g_free (search);
}

void
mailsync_imap_esearch_free (MailsyncImapEsearch *esearch)
{
  if (esearch == NULL)
    return;
  g_free (esearch->tag);
  g_clear_pointer (&esearch->all, g_array_unref);
  g_free (esearch);
}

void
mailsync_imap_vanished_free (MailsyncImapVanished *vanished)
{
  if (vanished == NULL)
    return;
  g_clear_pointer (&vanished->uids, g_array_unref);
  g_free (vanished);
}

void
mailsync_imap_namespace_entry_free (MailsyncImapNamespaceEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->prefix_raw);
  g_free (entry->prefix);
  g_free (entry);
}

void
mailsync_imap_namespace_free (MailsyncImapNamespace *ns)
{
  if (ns == NULL)
    return;
  g_clear_pointer (&ns->personal, g_ptr_array_unref);
  g_clear_pointer (&ns->other, g_ptr_array_unref);
  g_clear_pointer (&ns->shared, g_ptr_array_unref);
  g_free (ns);
}

void
mailsync_imap_fetch_body_free (MailsyncImapFetchBody *body)
{
  if (body == NULL)
    return;
  g_free (body->name);
  g_free (body->section);
  g_clear_pointer (&body->data, g_bytes_unref);
  g_clear_object (&body->stream);
  g_free (body);
}

MailsyncImapFetch *
mailsync_imap_fetch_new (void)
{
  MailsyncImapFetch *fetch = g_new0 (MailsyncImapFetch, 1);

  fetch->bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) mailsync_imap_fetch_body_free);
  return fetch;
}

void
mailsync_imap_fetch_free (MailsyncImapFetch *fetch)
{
  if (fetch == NULL)
    return;
  g_strfreev (fetch->keywords);
  g_strfreev (fetch->gm_labels);
  g_free (fetch->emailid);
  g_clear_pointer (&fetch->bodies, g_ptr_array_unref);
  g_free (fetch);
}

const MailsyncImapFetchBody *
mailsync_imap_fetch_get_body (const MailsyncImapFetch *fetch, const char *name)
{
  guint i;

  for (i = 0; i < fetch->bodies->len; i++)
    {
      const MailsyncImapFetchBody *b = g_ptr_array_index (fetch->bodies, i);
      if (g_ascii_strcasecmp (b->name, name) == 0)
        return b;
    }
  return NULL;
}

MailsyncImapResponse *
mailsync_imap_response_new (MailsyncImapResponseKind kind)
{
  MailsyncImapResponse *r = g_new0 (MailsyncImapResponse, 1);

  r->ref_count = 1;
  r->kind = kind;
  return r;
}

MailsyncImapResponse *
mailsync_imap_response_ref (MailsyncImapResponse *response)
{
  g_atomic_int_inc (&response->ref_count);
  return response;
}

static void
response_free_data (MailsyncImapResponse *r)
{
  switch (r->data_kind)
    {
    case MAILSYNC_IMAP_DATA_CAPABILITY:
    case MAILSYNC_IMAP_DATA_ENABLED:
    case MAILSYNC_IMAP_DATA_FLAGS:
      g_strfreev (r->u.strv);
      break;
    case MAILSYNC_IMAP_DATA_LIST:
    case MAILSYNC_IMAP_DATA_LSUB:
      mailsync_imap_list_free (r->u.list);
      break;
    case MAILSYNC_IMAP_DATA_STATUS:
      mailsync_imap_status_data_free (r->u.status);
      break;
    case MAILSYNC_IMAP_DATA_SEARCH:
      mailsync_imap_search_free (r->u.search);
      break;
    case MAILSYNC_IMAP_DATA_ESEARCH:
      mailsync_imap_esearch_free (r->u.esearch);
      break;
    case MAILSYNC_IMAP_DATA_VANISHED:
      mailsync_imap_vanished_free (r->u.vanished);
      break;
    case MAILSYNC_IMAP_DATA_NAMESPACE:
      mailsync_imap_namespace_free (r->u.namespace_);
      break;
    case MAILSYNC_IMAP_DATA_ID:
      g_clear_pointer (&r->u.id, g_hash_table_unref);
      break;
    case MAILSYNC_IMAP_DATA_FETCH:
      mailsync_imap_fetch_free (r->u.fetch);
      break;
    default:
      break;
    }
}

void
mailsync_imap_response_unref (MailsyncImapResponse *response)
{
  if (response == NULL || !g_atomic_int_dec_and_test (&response->ref_count))
    return;
  response_free_data (response);
  g_free (response->tag);
  mailsync_imap_code_free (response->code);
  g_free (response->text);
  g_free (response->data_name);
  g_free (response);
}

/* ---- summaries (tests, debug logs) ---- */

static void
append_escaped (GString *s, const char *data, gsize len, gsize max)
{
  gsize i;

  g_string_append_c (s, '"');
  for (i = 0; i < len && i < max; i++)
    {
      guchar c = (guchar) data[i];
      if (c == '"' || c == '\\')
        g_string_append_printf (s, "\\%c", c);
      else if (c >= 0x20 && c < 0x7f)
        g_string_append_c (s, (char) c);
      else
        g_string_append_printf (s, "\\x%02x", c);
    }
  if (len > max)
    g_string_append (s, "...");
  g_string_append_c (s, '"');
}

static void
append_str (GString *s, const char *str)
{
  if (str == NULL)
    g_string_append (s, "NIL");
  else
    append_escaped (s, str, strlen (str), 200);
}

static void
append_strv (GString *s, const char *const *v)
{
  guint i;

  g_string_append_c (s, '(');
  for (i = 0; v != NULL && v[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (s, ' ');
      append_str (s, v[i]);
    }
  g_string_append_c (s, ')');
}

static void
append_set (GString *s, const GArray *ranges)
{
  guint i;

  if (ranges == NULL)
    {
      g_string_append (s, "-");
      return;
    }
  for (i = 0; i < ranges->len; i++)
    {
      const MailsyncImapRange *r = &g_array_index (ranges, MailsyncImapRange, i);
      if (i > 0)
        g_string_append_c (s, ',');
      if (r->first == r->last)
        g_string_append_printf (s, "%u", r->first);
      else
        g_string_append_printf (s, "%u:%u", r->first, r->last);
    }
}

static void
append_code (GString *s, const MailsyncImapCode *c)
{
  g_string_append_printf (s, " [%s", c->name);
  if (c->kind == MAILSYNC_IMAP_CODE_OTHER && c->raw_args != NULL)
    {
      g_string_append (s, " raw=");
      append_str (s, c->raw_args);
    }
  if (c->number != 0)
    g_string_append_printf (s, " n=%u", c->number);
  if (c->modseq != 0)
    g_string_append_printf (s, " modseq=%" G_GUINT64_FORMAT, c->modseq);
  if (c->src_uids != NULL)
    {
      g_string_append (s, " src=");
      append_set (s, c->src_uids);
    }
  if (c->dst_uids != NULL)
    {
      g_string_append (s, " dst=");
      append_set (s, c->dst_uids);
    }
  if (c->strv != NULL)
    {
      g_string_append_c (s, ' ');
      append_strv (s, (const char *const *) c->strv);
    }
  g_string_append_c (s, ']');
}

static void
append_mailbox (GString *s, const char *raw, const char *name)
{
  g_string_append (s, " raw=");
  append_str (s, raw);
  g_string_append (s, " name=");
  append_str (s, name);
}

static void
append_list (GString *s, const MailsyncImapList *l)
{
  g_string_append_c (s, ' ');
  append_strv (s, (const char *const *) l->attributes);
  g_string_append_printf (s, " flags=0x%x delim=", l->flags);
  if (l->delimiter == '\0')
    g_string_append (s, "NIL");
  else
    append_escaped (s, &l->delimiter, 1, 1);
  g_string_append (s, " raw=");
  append_escaped (s, l->name_raw, l->name_raw_len, 200);
  g_string_append (s, " name=");
  append_str (s, l->name);
}

static void
append_status (GString *s, const MailsyncImapStatusData *st)
{
  append_mailbox (s, st->name_raw, st->name);
  if (st->present & MAILSYNC_IMAP_STATUS_ITEM_MESSAGES)
    g_string_append_printf (s, " MESSAGES=%u", st->messages);
  if (st->present & MAILSYNC_IMAP_STATUS_ITEM_RECENT)
    g_string_append_printf (s, " RECENT=%u", st->recent);
  if (st->present & MAILSYNC_IMAP_STATUS_ITEM_UIDNEXT)
    g_string_append_printf (s, " UIDNEXT=%u", st->uidnext);
  if (st->present & MAILSYNC_IMAP_STATUS_ITEM_UIDVALIDITY)
    g_string_append_printf (s, " UIDVALIDITY=%u", st->uidvalidity);
  if (st->present & MAILSYNC_IMAP_STATUS_ITEM_UNSEEN)
    g_string_append_printf (s, " UNSEEN=%u", st->unseen);
  if (st->present & MAILSYNC_IMAP_STATUS_ITEM_HIGHESTMODSEQ)
    g_string_append_printf (s, " HIGHESTMODSEQ=%" G_GUINT64_FORMAT, st->highestmodseq);
  if (st->present & MAILSYNC_IMAP_STATUS_ITEM_SIZE)
    g_string_append_printf (s, " SIZE=%" G_GUINT64_FORMAT, st->size);
  if (st->present & MAILSYNC_IMAP_STATUS_ITEM_APPENDLIMIT)
    g_string_append_printf (s, " APPENDLIMIT=%" G_GUINT64_FORMAT, st->appendlimit);
}

static void
append_esearch (GString *s, const MailsyncImapEsearch *e)
{
  if (e->tag != NULL)
    {
      g_string_append (s, " TAG=");
      append_str (s, e->tag);
    }
  if (e->uid)
    g_string_append (s, " UID");
  if (e->present & MAILSYNC_IMAP_ESEARCH_MIN)
    g_string_append_printf (s, " MIN=%u", e->min);
  if (e->present & MAILSYNC_IMAP_ESEARCH_MAX)
    g_string_append_printf (s, " MAX=%u", e->max);
  if (e->present & MAILSYNC_IMAP_ESEARCH_COUNT)
    g_string_append_printf (s, " COUNT=%u", e->count);
  if (e->present & MAILSYNC_IMAP_ESEARCH_ALL)
    {
      g_string_append (s, " ALL=");
      append_set (s, e->all);
    }
  if (e->present & MAILSYNC_IMAP_ESEARCH_MODSEQ)
    g_string_append_printf (s, " MODSEQ=%" G_GUINT64_FORMAT, e->modseq);
}

static void
append_namespace_list (GString *s, const GPtrArray *a)
{
  guint i;

  g_string_append_c (s, ' ');
  if (a == NULL)
    {
      g_string_append (s, "NIL");
      return;
    }
  g_string_append_c (s, '(');
  for (i = 0; i < a->len; i++)
    {
      const MailsyncImapNamespaceEntry *e = g_ptr_array_index (a, i);
      g_string_append_c (s, '(');
      append_str (s, e->prefix_raw);
      g_string_append_c (s, ' ');
      if (e->delimiter == '\0')
        g_string_append (s, "NIL");
      else
        append_escaped (s, &e->delimiter, 1, 1);
      g_string_append_c (s, ')');
    }
  g_string_append_c (s, ')');
}

static gint
compare_strings (gconstpointer a, gconstpointer b, gpointer data)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
append_id (GString *s, GHashTable *id)
{
  g_autofree gpointer *keys = NULL;
  guint n, i;

  if (id == NULL)
    {
      g_string_append (s, " NIL");
      return;
    }
  keys = g_hash_table_get_keys_as_array (id, &n);
  g_qsort_with_data (keys, n, sizeof (gpointer), compare_strings, NULL);
  for (i = 0; i < n; i++)
    {
      g_string_append_c (s, ' ');
      append_str (s, keys[i]);
      g_string_append_c (s, '=');
      append_str (s, g_hash_table_lookup (id, keys[i]));
    }
}

static void
append_fetch_body (GString *s, const MailsyncImapFetchBody *b)
{
  g_string_append_printf (s, " %s", b->name);
  if (b->has_origin)
    g_string_append_printf (s, "<%u>", b->origin);
  if (b->is_nil)
    g_string_append (s, "=NIL");
  else if (b->stream != NULL)
    g_string_append_printf (s, "=streamed(%" G_GUINT64_FORMAT ")", b->size);
  else
    {
      gsize len = 0;
      const char *d = g_bytes_get_data (b->data, &len);
      g_string_append_printf (s, "=%" G_GSIZE_FORMAT ":", len);
      append_escaped (s, d, len, 120);
    }
}

static void
append_fetch (GString *s, const MailsyncImapFetch *f)
{
  guint i;

  g_string_append_printf (s, " %u", f->msn);
  if (f->present & MAILSYNC_IMAP_FETCH_UID)
    g_string_append_printf (s, " UID=%u", f->uid);
  if (f->present & MAILSYNC_IMAP_FETCH_FLAGS)
    {
      g_string_append_printf (s, " FLAGS=0x%x", f->flags);
      append_strv (s, (const char *const *) f->keywords);
    }
  if (f->present & MAILSYNC_IMAP_FETCH_RFC822_SIZE)
    g_string_append_printf (s, " SIZE=%" G_GUINT64_FORMAT, f->rfc822_size);
  if (f->present & MAILSYNC_IMAP_FETCH_INTERNALDATE)
    g_string_append_printf (s, " DATE=%" G_GINT64_FORMAT, f->internaldate);
  if (f->present & MAILSYNC_IMAP_FETCH_MODSEQ)
    g_string_append_printf (s, " MODSEQ=%" G_GUINT64_FORMAT, f->modseq);
  if (f->present & MAILSYNC_IMAP_FETCH_X_GM_MSGID)
    g_string_append_printf (s, " GMMSGID=%" G_GUINT64_FORMAT, f->gm_msgid);
  if (f->present & MAILSYNC_IMAP_FETCH_X_GM_THRID)
    g_string_append_printf (s, " GMTHRID=%" G_GUINT64_FORMAT, f->gm_thrid);
  if (f->present & MAILSYNC_IMAP_FETCH_X_GM_LABELS)
    {
      g_string_append (s, " GMLABELS=");
      append_strv (s, (const char *const *) f->gm_labels);
    }
  if (f->present & MAILSYNC_IMAP_FETCH_EMAILID)
    g_string_append_printf (s, " EMAILID=%s", f->emailid);
  for (i = 0; i < f->bodies->len; i++)
    append_fetch_body (s, g_ptr_array_index (f->bodies, i));
}

static void
append_data (GString *s, const MailsyncImapResponse *r)
{
  switch (r->data_kind)
    {
    case MAILSYNC_IMAP_DATA_CAPABILITY:
    case MAILSYNC_IMAP_DATA_ENABLED:
    case MAILSYNC_IMAP_DATA_FLAGS:
      g_string_append_c (s, ' ');
      append_strv (s, (const char *const *) r->u.strv);
      break;
    case MAILSYNC_IMAP_DATA_LIST:
    case MAILSYNC_IMAP_DATA_LSUB:
      append_list (s, r->u.list);
      break;
    case MAILSYNC_IMAP_DATA_STATUS:
      append_status (s, r->u.status);
      break;
    case MAILSYNC_IMAP_DATA_EXISTS:
    case MAILSYNC_IMAP_DATA_RECENT:
    case MAILSYNC_IMAP_DATA_EXPUNGE:
      g_string_append_printf (s, " %u", r->u.number);
      break;
    case MAILSYNC_IMAP_DATA_SEARCH:
      for (guint i = 0; i < r->u.search->numbers->len; i++)
        g_string_append_printf (s, " %u", g_array_index (r->u.search->numbers, guint32, i));
      if (r->u.search->modseq != 0)
        g_string_append_printf (s, " MODSEQ=%" G_GUINT64_FORMAT, r->u.search->modseq);
      break;
    case MAILSYNC_IMAP_DATA_ESEARCH:
      append_esearch (s, r->u.esearch);
      break;
    case MAILSYNC_IMAP_DATA_VANISHED:
      g_string_append (s, r->u.vanished->earlier ? " EARLIER " : " ");
      append_set (s, r->u.vanished->uids);
      break;
    case MAILSYNC_IMAP_DATA_NAMESPACE:
      append_namespace_list (s, r->u.namespace_->personal);
      append_namespace_list (s, r->u.namespace_->other);
      append_namespace_list (s, r->u.namespace_->shared);
      break;
    case MAILSYNC_IMAP_DATA_ID:
      append_id (s, r->u.id);
      break;
    case MAILSYNC_IMAP_DATA_FETCH:
      append_fetch (s, r->u.fetch);
      break;
    default:
      break;
    }
}

static const char *
status_name (MailsyncImapStatus status)
{
  static const char *const names[] = { "", "OK", "NO", "BAD", "BYE", "PREAUTH" };
  return names[status];
}

char *
mailsync_imap_response_to_string (const MailsyncImapResponse *r)
{
  GString *s = g_string_new (NULL);

  if (r->kind == MAILSYNC_IMAP_RESPONSE_TAGGED)
    g_string_append (s, r->tag);
  else if (r->kind == MAILSYNC_IMAP_RESPONSE_UNTAGGED)
    g_string_append_c (s, '*');
  else
    g_string_append_c (s, '+');
  if (r->status != MAILSYNC_IMAP_STATUS_NONE)
    g_string_append_printf (s, " %s", status_name (r->status));
  if (r->data_name != NULL)
    g_string_append_printf (s, " %s", r->data_name);
  if (r->code != NULL)
    append_code (s, r->code);
  append_data (s, r);
  if (r->text != NULL)
    {
      g_string_append (s, " text=");
      append_str (s, r->text);
    }
  return g_string_free (s, FALSE);
}
