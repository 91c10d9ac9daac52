/* IMAP response parser: the corpus in data/imap/ fed in every split (whole,
 * byte by byte, random seeded cut points, with and without literal
 * streaming), plus unit tests for limits, errors, typed fields and sets. */
#include "config.h"

#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "mailsync-test.h"

#define ck_assert_no_error(e) ck_assert_msg ((e) == NULL, "%s", (e) ? (e)->message : "")
#include "backends/imap/mailsync-imap-parser.h"
#include "backends/imap/mailsync-imap-capabilities.h"

#define N_RANDOM_SPLITS 40

static GPtrArray *valid_files, *invalid_files, *impl_files;

static char *
data_path (const char *kind, const char *name)
{
  const char *srcdir = g_getenv ("TEST_SRCDIR");
  return g_build_filename (srcdir != NULL ? srcdir : TEST_SRCDIR, "data", "imap", kind, name, NULL);
}

static GPtrArray *
list_corpus (const char *kind)
{
  g_autofree char *dir = data_path (kind, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".txt"))
      g_ptr_array_add (files, g_strndup (name, strlen (name) - 4));
  g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);
  return files;
}

/* ---- running a stream ---- */

static GOutputStream *
memory_handler (const MailsyncImapLiteralInfo *info, gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
  ck_assert_ptr_nonnull (info->name);
  return g_memory_output_stream_new_resizable ();
}

/* Turn streamed bodies back into data so summaries compare equal. */
static void
unstream (MailsyncImapResponse *r)
{
  guint i;

  if (r->data_kind != MAILSYNC_IMAP_DATA_FETCH)
    return;
  for (i = 0; i < r->u.fetch->bodies->len; i++)
    {
      MailsyncImapFetchBody *b = g_ptr_array_index (r->u.fetch->bodies, i);
      if (b->stream == NULL)
        continue;
      ck_assert (g_output_stream_close (b->stream, NULL, NULL));
      b->data = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (b->stream));
      ck_assert_uint_eq (g_bytes_get_size (b->data), b->size);
      g_clear_object (&b->stream);
    }
}

static void
drain (MailsyncImapParser *p, GString *out)
{
  MailsyncImapResponse *r;

  while ((r = mailsync_imap_parser_pop (p)) != NULL)
    {
      g_autofree char *s = NULL;
      unstream (r);
      s = mailsync_imap_response_to_string (r);
      g_string_append_printf (out, "%s\n", s);
      mailsync_imap_response_unref (r);
    }
}

/* @mode: 0 whole, 1 byte by byte, else random cut points seeded by @mode */
static char *
run_stream (const guint8 *data, gsize len, guint mode, gboolean stream, int *error_code)
{
  g_autoptr(MailsyncImapParser) p = mailsync_imap_parser_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (mode);
  g_autoptr(GError) error = NULL;
  GString *out = g_string_new (NULL);
  guint calls = 0;
  gsize pos = 0;
  gboolean ok = TRUE;

  if (stream)
    mailsync_imap_parser_set_literal_handler (p, memory_handler, &calls, NULL);
  while (ok && pos < len)
    {
      gsize n = len - pos;
      if (mode == 1)
        n = 1;
      else if (mode > 1)
        {
          /* mostly tiny chunks, some large; MIN() would evaluate twice */
          gsize r = g_rand_int_range (rand, 1, g_rand_boolean (rand) ? 8 : 200);
          n = MIN (n, r);
        }
      ok = mailsync_imap_parser_feed (p, data + pos, n, &error);
      pos += n;
      drain (p, out);
    }
  if (ok)
    ok = mailsync_imap_parser_finish (p, &error);
  *error_code = -1;
  if (!ok)
    {
      ck_assert (error->domain == MAILSYNC_IMAP_ERROR);
      /* the message holds a short excerpt at most */
      ck_assert_uint_lt (strlen (error->message), 200);
      g_string_append_printf (out, "ERROR %d\n", error->code);
      *error_code = error->code;
      /* no more input after an error */
      g_clear_error (&error);
      ck_assert (!mailsync_imap_parser_feed (p, (const guint8 *) "* OK\r\n", 6, &error));
    }
  return g_string_free (out, FALSE);
}

/* Every split gives the same result as feeding the whole stream. */
static char *
run_all_splits (const char *kind, const char *name, int *error_code)
{
  g_autofree char *path = NULL, *file = NULL;
  g_autofree guint8 *data = NULL;
  char *whole;
  gsize len;
  guint mode;

  file = g_strconcat (name, ".txt", NULL);
  path = data_path (kind, file);
  data = (guint8 *) mailsync_test_read_file (path, &len);
  whole = run_stream (data, len, 0, FALSE, error_code);
  for (mode = 0; mode < 2 + N_RANDOM_SPLITS; mode++)
    for (int stream = 0; stream < 2; stream++)
      {
        int code;
        g_autofree char *other = run_stream (data, len, mode, stream, &code);
        ck_assert_msg (g_str_equal (whole, other), "%s/%s: split mode %u stream %d differs:\n%s\n--- vs ---\n%s",
                       kind, name, mode, stream, whole, other);
        ck_assert_int_eq (code, *error_code);
      }
  return whole;
}

static void
check_expected (const char *kind, const char *name, const char *summary)
{
  g_autofree char *file = g_strconcat (name, ".expected", NULL);
  g_autofree char *path = data_path (kind, file);
  g_autofree char *expected = NULL;

  if (g_getenv ("MAILSYNC_IMAP_REGEN") != NULL)
    g_file_set_contents (path, summary, -1, NULL);
  expected = mailsync_test_read_file (path, NULL);
  ck_assert_str_eq (summary, expected);
}

START_TEST (test_valid_corpus)
{
  const char *name = g_ptr_array_index (valid_files, _i);
  int code;
  g_autofree char *summary = run_all_splits ("valid", name, &code);

  ck_assert_msg (code == -1, "valid/%s failed:\n%s", name, summary);
  check_expected ("valid", name, summary);
}
END_TEST

START_TEST (test_invalid_corpus)
{
  const char *name = g_ptr_array_index (invalid_files, _i);
  int code;
  g_autofree char *summary = run_all_splits ("invalid", name, &code);

  ck_assert_msg (code == MAILSYNC_IMAP_ERROR_PARSE, "invalid/%s gave:\n%s", name, summary);
  check_expected ("invalid", name, summary);
}
END_TEST

START_TEST (test_impl_corpus)
{
  const char *name = g_ptr_array_index (impl_files, _i);
  int code;
  g_autofree char *summary = run_all_splits ("impl", name, &code);

  /* either outcome is fine; only the same one in every split */
  ck_assert (code == -1 || code == MAILSYNC_IMAP_ERROR_PARSE);
}
END_TEST

/* ---- unit tests ---- */

static MailsyncImapResponse *
parse_one (const char *line)
{
  g_autoptr(MailsyncImapParser) p = mailsync_imap_parser_new ();
  g_autoptr(GError) error = NULL;
  MailsyncImapResponse *r;

  ck_assert_msg (mailsync_imap_parser_feed (p, (const guint8 *) line, strlen (line), &error),
                 "%s: %s", line, error ? error->message : "");
  r = mailsync_imap_parser_pop (p);
  ck_assert_ptr_nonnull (r);
  ck_assert_ptr_null (mailsync_imap_parser_pop (p));
  ck_assert (mailsync_imap_parser_is_idle (p));
  return r;
}

static GError *
parse_error (MailsyncImapParser *p, const char *data, gsize len)
{
  GError *error = NULL;

  if (mailsync_imap_parser_feed (p, (const guint8 *) data, len, &error))
    ck_assert (!mailsync_imap_parser_finish (p, &error));
  ck_assert_ptr_nonnull (error);
  return error;
}

START_TEST (test_fetch_typed)
{
  g_autoptr(MailsyncImapResponse) r = parse_one (
    "* 12 FETCH (UID 4294967295 FLAGS (\\Seen \\Recent \\Draft $Junk \\Answered) RFC822.SIZE 5000000000 "
    "INTERNALDATE \" 5-Nov-2026 17:06:43 +0100\" MODSEQ (9223372036854775807) X-GM-MSGID 18446744073709551615)\r\n");
  MailsyncImapFetch *f = r->u.fetch;

  ck_assert_int_eq (r->kind, MAILSYNC_IMAP_RESPONSE_UNTAGGED);
  ck_assert_int_eq (r->data_kind, MAILSYNC_IMAP_DATA_FETCH);
  ck_assert_uint_eq (f->msn, 12);
  ck_assert_uint_eq (f->uid, G_MAXUINT32);
  ck_assert_uint_eq (f->flags, MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_DRAFT | MAILSYNC_FLAG_ANSWERED);
  ck_assert_uint_eq (g_strv_length (f->keywords), 1);
  ck_assert_str_eq (f->keywords[0], "$Junk");
  ck_assert_uint_eq (f->rfc822_size, 5000000000u);
  /* 2026-11-05 16:06:43 UTC */
  ck_assert_int_eq (f->internaldate, 1793894803);
  ck_assert_uint_eq (f->modseq, G_MAXINT64);
  ck_assert_uint_eq (f->gm_msgid, G_MAXUINT64);
}
END_TEST

START_TEST (test_date_time)
{
  gint64 t;

  ck_assert (mailsync_imap_parse_date_time ("25-Nov-2026 17:06:43 +0000", 26, &t));
  ck_assert_int_eq (t, 1795626403);
  ck_assert (mailsync_imap_parse_date_time (" 5-Nov-2026 17:06:43 -0130", 26, &t));
  ck_assert_int_eq (t, 1793903803);
  ck_assert (mailsync_imap_parse_date_time ("29-Feb-2024 00:00:00 +0000", 26, &t));
  ck_assert (!mailsync_imap_parse_date_time ("30-Feb-2024 00:00:00 +0000", 26, &t));
  ck_assert (!mailsync_imap_parse_date_time ("25-Nov-2026 24:00:00 +0000", 26, &t));
  ck_assert (!mailsync_imap_parse_date_time ("25-Nov-2026 17:06:43 +0000x", 27, &t));
  ck_assert (!mailsync_imap_parse_date_time ("25-Nov-2026 17:06:43", 20, &t));
  ck_assert (!mailsync_imap_parse_date_time ("", 0, &t));
}
END_TEST

START_TEST (test_codes)
{
  g_autoptr(MailsyncImapResponse) a = parse_one ("A7 OK [APPENDUID 38505 3955] APPEND completed\r\n");
  g_autoptr(MailsyncImapResponse) c = parse_one ("A8 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n");
  g_autoptr(MailsyncImapResponse) h = parse_one ("* OK [HIGHESTMODSEQ 715194045007] Highest\r\n");
  g_autoptr(MailsyncImapResponse) p = parse_one ("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n");

  ck_assert_int_eq (a->kind, MAILSYNC_IMAP_RESPONSE_TAGGED);
  ck_assert_str_eq (a->tag, "A7");
  ck_assert_int_eq (a->status, MAILSYNC_IMAP_STATUS_OK);
  ck_assert_int_eq (a->code->kind, MAILSYNC_IMAP_CODE_APPENDUID);
  ck_assert_uint_eq (a->code->number, 38505);
  ck_assert_uint_eq (mailsync_imap_seqset_count (a->code->dst_uids), 1);
  ck_assert_str_eq (a->text, "APPEND completed");
  ck_assert_int_eq (c->code->kind, MAILSYNC_IMAP_CODE_COPYUID);
  ck_assert_uint_eq (mailsync_imap_seqset_count (c->code->src_uids), 3);
  ck_assert (mailsync_imap_seqset_contains (c->code->dst_uids, 3957));
  ck_assert_uint_eq (h->code->modseq, 715194045007u);
  ck_assert_uint_eq (g_strv_length (p->code->strv), 3);
  ck_assert_str_eq (p->code->strv[2], "\\*");
}
END_TEST

START_TEST (test_list_names)
{
  g_autoptr(MailsyncImapResponse) l = parse_one ("* LIST (\\HasNoChildren \\Drafts) \".\" \"Entw&APw-rfe\"\r\n");
  g_autoptr(MailsyncImapResponse) n = parse_one ("* LIST (\\Noselect) NIL {7}\r\nfoo bar\r\n");
  g_autoptr(MailsyncImapParser) p = mailsync_imap_parser_new ();
  g_autoptr(MailsyncImapResponse) u = NULL;
  const char *utf8 = "* LIST () \"/\" \"Entwürfe\"\r\n";

  ck_assert_str_eq (l->u.list->name, "Entwürfe");
  ck_assert_str_eq (l->u.list->name_raw, "Entw&APw-rfe");
  ck_assert_int_eq (l->u.list->delimiter, '.');
  ck_assert_uint_eq (l->u.list->flags, MAILSYNC_IMAP_LIST_HASNOCHILDREN | MAILSYNC_IMAP_LIST_DRAFTS);
  ck_assert_int_eq (n->u.list->delimiter, '\0');
  ck_assert_str_eq (n->u.list->name, "foo bar");
  ck_assert_uint_eq (n->u.list->flags, MAILSYNC_IMAP_LIST_NOSELECT);
  /* under UTF8=ACCEPT names are UTF-8 (RFC 6855) */
  mailsync_imap_parser_set_utf8_accept (p, TRUE);
  ck_assert (mailsync_imap_parser_feed (p, (const guint8 *) utf8, strlen (utf8), NULL));
  u = mailsync_imap_parser_pop (p);
  ck_assert_str_eq (u->u.list->name, "Entwürfe");
}
END_TEST

START_TEST (test_status_esearch_vanished)
{
  g_autoptr(MailsyncImapResponse) s = parse_one (
    "* STATUS INBOX (MESSAGES 11 UIDNEXT 12 UIDVALIDITY 1795626001 UNSEEN 2 HIGHESTMODSEQ 5)\r\n");
  g_autoptr(MailsyncImapResponse) e = parse_one ("* ESEARCH (TAG \"A1\") UID ALL 1:3,5 COUNT 4 MIN 1 MAX 5\r\n");
  g_autoptr(MailsyncImapResponse) v = parse_one ("* VANISHED (EARLIER) 300:310,405,411\r\n");

  ck_assert_uint_eq (s->u.status->uidvalidity, 1795626001);
  ck_assert_uint_eq (s->u.status->uidnext, 12);
  ck_assert_uint_eq (s->u.status->highestmodseq, 5);
  ck_assert_uint_eq (s->u.status->present, MAILSYNC_IMAP_STATUS_ITEM_MESSAGES |
                     MAILSYNC_IMAP_STATUS_ITEM_UIDNEXT | MAILSYNC_IMAP_STATUS_ITEM_UIDVALIDITY |
                     MAILSYNC_IMAP_STATUS_ITEM_UNSEEN | MAILSYNC_IMAP_STATUS_ITEM_HIGHESTMODSEQ);
  ck_assert_str_eq (e->u.esearch->tag, "A1");
  ck_assert (e->u.esearch->uid);
  ck_assert_uint_eq (mailsync_imap_seqset_count (e->u.esearch->all), 4);
  ck_assert_uint_eq (e->u.esearch->count, 4);
  ck_assert (v->u.vanished->earlier);
  ck_assert_uint_eq (mailsync_imap_seqset_count (v->u.vanished->uids), 13);
  {
    /* RFC 7889 §4: a mailbox's APPENDLIMIT, a number or NIL (no limit) */
    g_autoptr(MailsyncImapResponse) lim = parse_one ("* STATUS \"Work\" (APPENDLIMIT 35651584 MESSAGES 3)\r\n");
    g_autoptr(MailsyncImapResponse) nil = parse_one ("* STATUS Work (APPENDLIMIT NIL)\r\n");

    ck_assert_uint_eq (lim->u.status->present, MAILSYNC_IMAP_STATUS_ITEM_APPENDLIMIT |
                       MAILSYNC_IMAP_STATUS_ITEM_MESSAGES);
    ck_assert_uint_eq (lim->u.status->appendlimit, 35651584);
    ck_assert_uint_eq (lim->u.status->messages, 3);
    ck_assert_uint_eq (nil->u.status->present, MAILSYNC_IMAP_STATUS_ITEM_APPENDLIMIT);
    ck_assert_uint_eq (nil->u.status->appendlimit, 0);
  }
}
END_TEST

START_TEST (test_unsolicited_between_fetches)
{
  const char *s = "* 1 FETCH (UID 5 BODY[] {5}\r\nhello)\r\n* 3 EXPUNGE\r\n* 4 EXISTS\r\n"
                  "* 2 FETCH (FLAGS (\\Seen))\r\nA1 OK done\r\n";
  g_autoptr(MailsyncImapParser) p = mailsync_imap_parser_new ();
  MailsyncImapDataKind kinds[] = { MAILSYNC_IMAP_DATA_FETCH, MAILSYNC_IMAP_DATA_EXPUNGE,
                                   MAILSYNC_IMAP_DATA_EXISTS, MAILSYNC_IMAP_DATA_FETCH,
                                   MAILSYNC_IMAP_DATA_NONE };
  guint i;

  ck_assert (mailsync_imap_parser_feed (p, (const guint8 *) s, strlen (s), NULL));
  for (i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(MailsyncImapResponse) r = mailsync_imap_parser_pop (p);
      ck_assert_int_eq (r->data_kind, kinds[i]);
    }
  ck_assert_ptr_null (mailsync_imap_parser_pop (p));
}
END_TEST

typedef struct
{
  guint           calls;
  guint32         msn;
  char           *name;
  guint64         size;
  GOutputStream  *last;
} StreamState;

static GOutputStream *
record_handler (const MailsyncImapLiteralInfo *info, gpointer user_data)
{
  StreamState *st = user_data;

  st->calls++;
  st->msn = info->msn;
  g_free (st->name);
  st->name = g_strdup (info->name);
  st->size = info->size;
  g_clear_object (&st->last);
  st->last = g_memory_output_stream_new_resizable ();
  return g_object_ref (st->last);
}

START_TEST (test_literal_streaming)
{
  g_autoptr(GString) big = g_string_new (NULL);
  g_autoptr(GString) stream = g_string_new (NULL);
  StreamState st = { 0 };
  gsize pos;
  guint i;

  for (i = 0; i < 100000; i++)
    g_string_append_c (big, 'a' + i % 26);
  g_string_append_printf (stream, "* 7 FETCH (UID 9 BODY[HEADER.FIELDS (X-A X-B)]<0> {%" G_GSIZE_FORMAT "}\r\n", big->len);
  g_string_append_len (stream, big->str, big->len);
  g_string_append (stream, " FLAGS (\\Seen))\r\n* LIST () \"/\" {3}\r\nabc\r\n");
  for (guint step = 1; step < 5000; step = step * 3 + 1)
    {
      g_autoptr(MailsyncImapParser) p = mailsync_imap_parser_new ();
      g_autoptr(MailsyncImapResponse) r = NULL, l = NULL;
      const MailsyncImapFetchBody *b;
      gsize n;

      st.calls = 0;
      mailsync_imap_parser_set_literal_handler (p, record_handler, &st, NULL);
      for (pos = 0; pos < stream->len; pos += n)
        {
          n = MIN (step, stream->len - pos);
          ck_assert (mailsync_imap_parser_feed (p, (const guint8 *) stream->str + pos, n, NULL));
          /* nothing is buffered whole: the stream already holds the bytes */
        }
      r = mailsync_imap_parser_pop (p);
      l = mailsync_imap_parser_pop (p);
      ck_assert_uint_eq (st.calls, 1);
      ck_assert_uint_eq (st.msn, 7);
      ck_assert_str_eq (st.name, "BODY[HEADER.FIELDS (X-A X-B)]");
      b = mailsync_imap_fetch_get_body (r->u.fetch, "BODY[HEADER.FIELDS (X-A X-B)]");
      ck_assert_ptr_nonnull (b);
      ck_assert_ptr_null (b->data);
      ck_assert_ptr_eq (b->stream, st.last);
      ck_assert (b->has_origin && b->origin == 0);
      ck_assert_uint_eq (g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (st.last)), big->len);
      ck_assert (memcmp (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (st.last)), big->str, big->len) == 0);
      ck_assert_uint_eq (r->u.fetch->flags, MAILSYNC_FLAG_SEEN);
      /* a mailbox-name literal is buffered, not streamed */
      ck_assert_str_eq (l->u.list->name, "abc");
    }
  g_free (st.name);
  g_clear_object (&st.last);
}
END_TEST

/* A body held in memory (no literal handler, or one that declines)
 * allocates its announced size, not the next power of two: in an initial
 * sync every message in the download window is held so (issue 13 item 4). */
START_TEST (test_literal_buffer_exact)
{
  const gsize sizes[] = { 1, 4000, 65536, 70000, 100000, 200001 };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    for (guint step = 1000; step <= 300000; step *= 300)
      {
        g_autoptr(MailsyncImapParser) p = mailsync_imap_parser_new ();
        g_autoptr(MailsyncImapResponse) r = NULL;
        g_autoptr(GString) stream = g_string_new (NULL);
        const MailsyncImapFetchBody *b;
        gsize size = sizes[k], n;

        g_string_append_printf (stream, "* 3 FETCH (UID 5 BODY[] {%" G_GSIZE_FORMAT "}\r\n", size);
        for (gsize i = 0; i < size; i++)
          g_string_append_c (stream, 'a' + i % 26);
        g_string_append (stream, ")\r\n");
        for (gsize pos = 0; pos < stream->len; pos += n)
          {
            n = MIN (step, stream->len - pos);
            ck_assert (mailsync_imap_parser_feed (p, (const guint8 *) stream->str + pos, n, NULL));
          }
        r = mailsync_imap_parser_pop (p);
        ck_assert_ptr_nonnull (r);
        b = mailsync_imap_fetch_get_body (r->u.fetch, "BODY[]");
        ck_assert_ptr_nonnull (b);
        ck_assert_ptr_nonnull (b->data);
        ck_assert_uint_eq (g_bytes_get_size (b->data), size);
        ck_assert (memcmp (g_bytes_get_data (b->data, NULL), stream->str + stream->len - size - 3, size) == 0);
#ifdef __GLIBC__
        /* malloc's own rounding (a chunk header, 16-byte steps, a page
         * for an mmap()ed one) is all that may come on top */
        ck_assert_uint_lt (malloc_usable_size ((void *) g_bytes_get_data (b->data, NULL)), size + 4096);
#endif
      }
#ifndef __GLIBC__
  printf ("# SKIP allocation sizes: no malloc_usable_size() without glibc\n");
#endif
}
END_TEST

START_TEST (test_limits)
{
  g_autoptr(MailsyncImapParser) p1 = mailsync_imap_parser_new ();
  g_autoptr(MailsyncImapParser) p2 = mailsync_imap_parser_new ();
  g_autoptr(MailsyncImapParser) p3 = mailsync_imap_parser_new ();
  g_autoptr(MailsyncImapParser) p4 = mailsync_imap_parser_new ();
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
  g_autofree char *longline = g_strnfill (2000, 'x');
  const char *lit4g = "* 1 FETCH (BODY[] {4294967296}\r\n";
  const char *deep = "* 1 FETCH (X ((((((x)))))))\r\n";

  /* announced 4 GiB: rejected before anything is allocated */
  e1 = parse_error (p1, lit4g, strlen (lit4g));
  ck_assert_int_eq (e1->code, MAILSYNC_IMAP_ERROR_TOO_BIG);
  mailsync_imap_parser_set_limits (p2, 1000, 100, 64);
  e2 = parse_error (p2, longline, strlen (longline));
  ck_assert_int_eq (e2->code, MAILSYNC_IMAP_ERROR_TOO_BIG);
  mailsync_imap_parser_set_limits (p3, 1000, 100, 64);
  /* within the limit, but the stream ends inside the literal */
  e3 = parse_error (p3, "* 1 FETCH (BODY[] {60}\r\n", 24);
  ck_assert_int_eq (e3->code, MAILSYNC_IMAP_ERROR_PARSE);
  {
    /* two buffered literals together over the limit */
    const char *two = "* LIST () {60}\r\n";
    g_autoptr(MailsyncImapParser) p5 = mailsync_imap_parser_new ();
    g_autofree char *sixty = g_strnfill (60, 'a');
    g_autoptr(GError) e5 = NULL;
    mailsync_imap_parser_set_limits (p5, 1000, 100, 64);
    ck_assert (mailsync_imap_parser_feed (p5, (const guint8 *) two, strlen (two), NULL));
    ck_assert (mailsync_imap_parser_feed (p5, (const guint8 *) sixty, 60, NULL));
    ck_assert (!mailsync_imap_parser_feed (p5, (const guint8 *) " {60}\r\n", 7, &e5));
    ck_assert_int_eq (e5->code, MAILSYNC_IMAP_ERROR_TOO_BIG);
  }
  mailsync_imap_parser_set_limits (p4, 1000, 100, 5);
  e4 = parse_error (p4, deep, strlen (deep));
  ck_assert_int_eq (e4->code, MAILSYNC_IMAP_ERROR_PARSE);
}
END_TEST

START_TEST (test_errors)
{
  g_autoptr(MailsyncImapParser) p = mailsync_imap_parser_new ();
  g_autoptr(MailsyncImapParser) q = mailsync_imap_parser_new ();
  g_autoptr(MailsyncImapParser) r = mailsync_imap_parser_new ();
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
  g_autofree char *junk = g_strnfill (500, 'y');
  g_autofree char *line = g_strdup_printf ("* 1 FETCH (UID %s\x01)\r\n", junk);
  const char *excerpt_start;

  e1 = parse_error (p, "* 4294967296 EXISTS\r\n", 21);
  ck_assert_int_eq (e1->code, MAILSYNC_IMAP_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (e1->message, "4294967296"));
  /* the excerpt is short and escaped */
  e2 = parse_error (q, line, strlen (line));
  excerpt_start = strstr (e2->message, "“");
  ck_assert_ptr_nonnull (excerpt_start);
  ck_assert_uint_le (strlen (excerpt_start), 80 + 8);
  ck_assert_ptr_null (strchr (e2->message, '\x01'));
  /* refused after the error */
  g_clear_error (&e1);
  ck_assert (!mailsync_imap_parser_feed (p, (const guint8 *) "* OK\r\n", 6, &e1));
  /* EOF inside a response */
  ck_assert (mailsync_imap_parser_feed (r, (const guint8 *) "* OK", 4, NULL));
  ck_assert (!mailsync_imap_parser_is_idle (r));
  ck_assert (!mailsync_imap_parser_finish (r, &e3));
}
END_TEST

START_TEST (test_seqset)
{
  g_autoptr(GArray) s = mailsync_imap_seqset_parse ("1:5,7,9:*", 9, 12, 0, NULL);
  g_autoptr(GArray) rev = mailsync_imap_seqset_parse ("5:3", 3, 0, 0, NULL);
  g_autoptr(GError) error = NULL;
  MailsyncImapSeqsetIter it;
  guint32 n, expect[] = { 1, 2, 3, 4, 5, 7, 9, 10, 11, 12 };
  guint i = 0;
  const char *bad[] = { "", ",", "1,", ",1", "0", "1:0", "1::2", "4294967296", "1:*", "a", "1 2", "1,,2" };

  ck_assert_uint_eq (mailsync_imap_seqset_count (s), 10);
  mailsync_imap_seqset_iter_init (&it, s);
  while (mailsync_imap_seqset_iter_next (&it, &n))
    ck_assert_uint_eq (n, expect[i++]);
  ck_assert_uint_eq (i, G_N_ELEMENTS (expect));
  ck_assert_uint_eq (g_array_index (rev, MailsyncImapRange, 0).first, 3);
  ck_assert_uint_eq (g_array_index (rev, MailsyncImapRange, 0).last, 5);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      GArray *a = mailsync_imap_seqset_parse (bad[i], strlen (bad[i]), 0, 0, &error);
      ck_assert_msg (a == NULL, "accepted %s", bad[i]);
      ck_assert_int_eq (error->code, MAILSYNC_IMAP_ERROR_PARSE);
      g_clear_error (&error);
    }
  /* the range limit: no 4-billion-UID expansion */
  ck_assert_ptr_null (mailsync_imap_seqset_parse ("1:4294967295", 12, 0, 1000000, &error));
  g_clear_error (&error);
  {
    g_autoptr(GArray) full = mailsync_imap_seqset_parse ("1:4294967295", 12, 0, 0, NULL);
    ck_assert_uint_eq (mailsync_imap_seqset_count (full), G_MAXUINT32);
    mailsync_imap_seqset_iter_init (&it, full);
  }
}
END_TEST

START_TEST (test_capabilities)
{
  const char *atoms[] = { "imap4rev1", "LITERAL+", "AUTH=plain", "AUTH=XOAUTH2", "QRESYNC",
                          "compress=deflate", "X-GM-EXT-1", "UTF8=ACCEPT", "XYZZY", "AUTH=", NULL };
  g_autoptr(MailsyncImapCapabilities) c = mailsync_imap_capabilities_new (atoms);

  ck_assert (mailsync_imap_capabilities_has (c, MAILSYNC_IMAP_CAP_IMAP4REV1 | MAILSYNC_IMAP_CAP_LITERAL_PLUS));
  ck_assert (mailsync_imap_capabilities_has (c, MAILSYNC_IMAP_CAP_CONDSTORE));   /* implied */
  ck_assert (mailsync_imap_capabilities_has (c, MAILSYNC_IMAP_CAP_COMPRESS_DEFLATE));
  ck_assert (mailsync_imap_capabilities_has (c, MAILSYNC_IMAP_CAP_X_GM_EXT_1 | MAILSYNC_IMAP_CAP_UTF8_ACCEPT));
  ck_assert (!mailsync_imap_capabilities_has (c, MAILSYNC_IMAP_CAP_IDLE));
  ck_assert (mailsync_imap_capabilities_has_auth (c, "PLAIN"));
  ck_assert (mailsync_imap_capabilities_has_auth (c, "xoauth2"));
  ck_assert (!mailsync_imap_capabilities_has_auth (c, "LOGIN"));
  ck_assert_uint_eq (g_strv_length (c->unknown), 2);
  ck_assert_uint_eq (mailsync_imap_capability_from_name ("literal-"), MAILSYNC_IMAP_CAP_LITERAL_MINUS);
  ck_assert_uint_eq (mailsync_imap_capability_from_name ("IMAP4REV2"), MAILSYNC_IMAP_CAP_IMAP4REV2);
}
END_TEST

START_TEST (test_flags_from_strv)
{
  const char *flags[] = { "\\SEEN", "\\recent", "\\*", "$Forwarded", "\\Deleted", NULL };
  g_auto(GStrv) kw = NULL;

  ck_assert_uint_eq (mailsync_imap_flags_from_strv (flags, &kw), MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_DELETED);
  ck_assert_uint_eq (g_strv_length (kw), 1);
  ck_assert_str_eq (kw[0], "$Forwarded");
}
END_TEST

static Suite *
imap_parser_suite (void)
{
  Suite *s = suite_create ("imap-parser");
  TCase *tc = tcase_create ("corpus");

  tcase_add_loop_test (tc, test_valid_corpus, 0, valid_files->len);
  tcase_add_loop_test (tc, test_invalid_corpus, 0, invalid_files->len);
  tcase_add_loop_test (tc, test_impl_corpus, 0, impl_files->len);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tc = tcase_create ("units");
  tcase_add_test (tc, test_fetch_typed);
  tcase_add_test (tc, test_date_time);
  tcase_add_test (tc, test_codes);
  tcase_add_test (tc, test_list_names);
  tcase_add_test (tc, test_status_esearch_vanished);
  tcase_add_test (tc, test_unsolicited_between_fetches);
  tcase_add_test (tc, test_literal_streaming);
  tcase_add_test (tc, test_literal_buffer_exact);
  tcase_add_test (tc, test_limits);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_seqset);
  tcase_add_test (tc, test_capabilities);
  tcase_add_test (tc, test_flags_from_strv);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  valid_files = list_corpus ("valid");
  invalid_files = list_corpus ("invalid");
  impl_files = list_corpus ("impl");
  g_assert (valid_files->len > 0 && invalid_files->len > 0 && impl_files->len > 0);
  return mailsync_test_run (imap_parser_suite ());
}
