/* IMAP command builder: quoting, literals and their continuation chunks,
 * mailbox encoding, sets, flags, dates and the injection guard. */
#include "config.h"

#include <string.h>

#include "mailsync-test.h"

#define ck_assert_no_error(e) ck_assert_msg ((e) == NULL, "%s", (e) ? (e)->message : "")
#include "backends/imap/mailsync-imap-command.h"
#include "backends/imap/mailsync-imap-response.h"

static gboolean
bytes_eq (GBytes *b, const char *s, gsize len)
{
  gsize n;
  const char *d = g_bytes_get_data (b, &n);
  return n == len && (len == 0 || memcmp (d, s, len) == 0);
}

static char *
built (MailsyncImapCommand *cmd)
{
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert_msg (mailsync_imap_command_finish (cmd, &error), "%s", error ? error->message : "");
  b = mailsync_imap_command_to_bytes (cmd);
  return g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

static MailsyncImapCommand *
new_cmd (const char *name, MailsyncImapCommandFlags flags)
{
  g_autoptr(GError) error = NULL;
  MailsyncImapCommand *cmd = mailsync_imap_command_new ("A1", name, flags, &error);

  ck_assert_no_error (error);
  return cmd;
}

static const struct
{
  const char              *arg;
  MailsyncImapCommandFlags flags;
  const char              *wire;
} astrings[] = {
  { "INBOX", 0, "A1 X INBOX\r\n" },
  { "user@example.org", 0, "A1 X user@example.org\r\n" },
  { "a]b", 0, "A1 X a]b\r\n" },                            /* resp-specials ok in astring */
  { "", 0, "A1 X \"\"\r\n" },
  { "NIL", 0, "A1 X \"NIL\"\r\n" },
  { "two words", 0, "A1 X \"two words\"\r\n" },
  { "q\"uo\\te", 0, "A1 X \"q\\\"uo\\\\te\"\r\n" },
  { "a(b", 0, "A1 X \"a(b\"\r\n" },
  { "50%*", 0, "A1 X \"50%*\"\r\n" },
  { "{5}", 0, "A1 X \"{5}\"\r\n" },
  { "pässword", 0, "A1 X {9}\r\npässword\r\n" },
  { "pässword", MAILSYNC_IMAP_COMMAND_LITERAL_PLUS, "A1 X {9+}\r\npässword\r\n" },
  { "pässword", MAILSYNC_IMAP_COMMAND_LITERAL_MINUS, "A1 X {9+}\r\npässword\r\n" },
  { "pässword", MAILSYNC_IMAP_COMMAND_UTF8_ACCEPT, "A1 X \"pässword\"\r\n" },
  { "tab\there", 0, "A1 X {8}\r\ntab\there\r\n" },
};

START_TEST (test_astring)
{
  g_autoptr(MailsyncImapCommand) cmd = new_cmd ("X", astrings[_i].flags);
  g_autofree char *wire = NULL;

  ck_assert (mailsync_imap_command_add_astring (cmd, astrings[_i].arg, -1, NULL));
  wire = built (cmd);
  ck_assert_str_eq (wire, astrings[_i].wire);
}
END_TEST

START_TEST (test_injection_guard)
{
  const char *evil[] = { "a\r\nA2 DELETE INBOX", "a\nb", "a\rb" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (evil); i++)
    {
      g_autoptr(MailsyncImapCommand) cmd = new_cmd ("LOGIN", MAILSYNC_IMAP_COMMAND_LITERAL_PLUS);
      g_autoptr(GError) error = NULL;

      ck_assert (!mailsync_imap_command_add_astring (cmd, evil[i], -1, &error));
      ck_assert_int_eq (error->code, MAILSYNC_IMAP_ERROR_FAILED);
      g_clear_error (&error);
      ck_assert (!mailsync_imap_command_add_secret (cmd, evil[i], -1, NULL));
      ck_assert (!mailsync_imap_command_add_mailbox (cmd, evil[i], NULL));
      ck_assert (!mailsync_imap_command_add_raw (cmd, evil[i], NULL));
      ck_assert (!mailsync_imap_command_add_atom (cmd, evil[i], NULL));
      /* the failure sticks: finish refuses to build */
      ck_assert (!mailsync_imap_command_finish (cmd, &error));
    }
  {
    g_autoptr(MailsyncImapCommand) cmd = new_cmd ("X", 0);
    ck_assert (!mailsync_imap_command_add_astring (cmd, "a\0b", 3, NULL));
  }
  {
    g_autoptr(MailsyncImapCommand) cmd = new_cmd ("X", 0);
    const char *const kw[] = { "bad keyword", NULL };
    ck_assert (!mailsync_imap_command_add_flags (cmd, 0, kw, NULL));
  }
  ck_assert_ptr_null (mailsync_imap_command_new ("A\r\n1", "NOOP", 0, NULL));
  ck_assert_ptr_null (mailsync_imap_command_new ("A+1", "NOOP", 0, NULL));
  ck_assert_ptr_null (mailsync_imap_command_new ("A1", "NOOP\r\nA2 LOGOUT", 0, NULL));
  ck_assert_ptr_null (mailsync_imap_command_new ("A1", "", 0, NULL));
}
END_TEST

START_TEST (test_sync_literal_chunks)
{
  g_autoptr(MailsyncImapCommand) cmd = new_cmd ("APPEND", 0);
  g_autoptr(GBytes) msg = g_bytes_new_static ("Subject: x\r\n\r\nbody\r\n", 20);
  const MailsyncImapCommandChunk *chunks;
  guint n;

  ck_assert (mailsync_imap_command_add_mailbox (cmd, "Entwürfe", NULL));
  ck_assert (mailsync_imap_command_add_flags (cmd, MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_FLAGGED, NULL, NULL));
  ck_assert (mailsync_imap_command_add_date_time (cmd, 1795626403, 0, NULL));
  ck_assert (mailsync_imap_command_add_literal (cmd, msg, FALSE, NULL));
  ck_assert (mailsync_imap_command_finish (cmd, NULL));
  chunks = mailsync_imap_command_get_chunks (cmd, &n);
  ck_assert_uint_eq (n, 3);
  ck_assert (bytes_eq (chunks[0].bytes, "A1 APPEND Entw&APw-rfe (\\Seen \\Flagged) \"25-Nov-2026 17:06:43 +0000\" {20}\r\n", 75));
  ck_assert (chunks[0].wait_continuation);
  ck_assert_ptr_eq (chunks[1].bytes, msg);          /* not copied */
  ck_assert (!chunks[1].wait_continuation);
  ck_assert (bytes_eq (chunks[2].bytes, "\r\n", 2));
  ck_assert (mailsync_imap_command_needs_continuation (cmd));
  ck_assert_str_eq (mailsync_imap_command_get_log_line (cmd),
                    "A1 APPEND Entw&APw-rfe (\\Seen \\Flagged) \"25-Nov-2026 17:06:43 +0000\" {20} <literal>");
}
END_TEST

START_TEST (test_literal_plus_minus)
{
  g_autofree char *big = g_strnfill (5000, 'x');
  g_autoptr(GBytes) small = g_bytes_new_static ("abc", 3);
  g_autoptr(GBytes) large = g_bytes_new (big, 5000);
  g_autoptr(MailsyncImapCommand) plus = new_cmd ("APPEND", MAILSYNC_IMAP_COMMAND_LITERAL_PLUS);
  g_autoptr(MailsyncImapCommand) minus = new_cmd ("APPEND", MAILSYNC_IMAP_COMMAND_LITERAL_MINUS);
  g_autoptr(MailsyncImapCommand) bin = new_cmd ("APPEND", MAILSYNC_IMAP_COMMAND_LITERAL_PLUS);
  g_autoptr(GBytes) nul = g_bytes_new_static ("a\0b", 3);
  const MailsyncImapCommandChunk *chunks;
  guint n;

  ck_assert (mailsync_imap_command_add_astring (plus, "INBOX", -1, NULL));
  ck_assert (mailsync_imap_command_add_literal (plus, large, FALSE, NULL));
  ck_assert (mailsync_imap_command_finish (plus, NULL));
  ck_assert (!mailsync_imap_command_needs_continuation (plus));
  /* LITERAL-: {n+} only up to 4096 bytes (RFC 7888 §5) */
  ck_assert (mailsync_imap_command_add_literal (minus, small, FALSE, NULL));
  ck_assert (mailsync_imap_command_add_literal (minus, large, FALSE, NULL));
  ck_assert (mailsync_imap_command_finish (minus, NULL));
  chunks = mailsync_imap_command_get_chunks (minus, &n);
  ck_assert_uint_eq (n, 5);
  ck_assert (bytes_eq (chunks[0].bytes, "A1 APPEND {3+}\r\n", 16));
  ck_assert (!chunks[0].wait_continuation);
  ck_assert (bytes_eq (chunks[2].bytes, " {5000}\r\n", 9));
  ck_assert (chunks[2].wait_continuation);
  /* NUL only in literal8 (RFC 3516) */
  ck_assert (!mailsync_imap_command_add_literal (bin, nul, FALSE, NULL));
  {
    g_autoptr(MailsyncImapCommand) b2 = new_cmd ("APPEND", MAILSYNC_IMAP_COMMAND_LITERAL_PLUS);
    g_autoptr(GBytes) all = NULL;
    ck_assert (mailsync_imap_command_add_literal (b2, nul, TRUE, NULL));
    ck_assert (mailsync_imap_command_finish (b2, NULL));
    all = mailsync_imap_command_to_bytes (b2);
    ck_assert (bytes_eq (all, "A1 APPEND ~{3+}\r\na\0b\r\n", 22));
  }
}
END_TEST

START_TEST (test_mailbox)
{
  g_autoptr(MailsyncImapCommand) a = new_cmd ("SELECT", 0);
  g_autoptr(MailsyncImapCommand) b = new_cmd ("SELECT", MAILSYNC_IMAP_COMMAND_UTF8_ACCEPT);
  g_autoptr(MailsyncImapCommand) c = new_cmd ("CREATE", 0);
  g_autofree char *wa = NULL, *wb = NULL, *wc = NULL;

  ck_assert (mailsync_imap_command_add_mailbox (a, "inbox", NULL));
  ck_assert (mailsync_imap_command_add_mailbox (a, "Tom & Jerry", NULL));
  wa = built (a);
  ck_assert_str_eq (wa, "A1 SELECT INBOX \"Tom &- Jerry\"\r\n");
  ck_assert (mailsync_imap_command_add_mailbox (b, "Entwürfe", NULL));
  wb = built (b);
  ck_assert_str_eq (wb, "A1 SELECT \"Entwürfe\"\r\n");
  ck_assert (mailsync_imap_command_add_mailbox (c, "日本語/台北", NULL));
  wc = built (c);
  ck_assert_str_eq (wc, "A1 CREATE &ZeVnLIqe-/&U,BTFw-\r\n");
  ck_assert (!mailsync_imap_command_add_mailbox (c, "\xff", NULL));
}
END_TEST

START_TEST (test_seqset_and_lists)
{
  guint32 uids[] = { 9, 1, 3, 2, 7, 5, 8, 3, 4294967295u };
  g_autoptr(MailsyncImapCommand) cmd = new_cmd ("UID FETCH", 0);
  g_autofree char *s = mailsync_imap_format_seqset (uids, G_N_ELEMENTS (uids));
  g_autofree char *w = NULL;
  guint32 zero = 0, one = 1;

  ck_assert_str_eq (s, "1:3,5,7:9,4294967295");
  ck_assert_ptr_null (mailsync_imap_format_seqset (NULL, 0));
  ck_assert (mailsync_imap_command_add_seqset (cmd, &one, 1, NULL));
  ck_assert (mailsync_imap_command_begin_list (cmd, NULL));
  ck_assert (mailsync_imap_command_add_atom (cmd, "UID", NULL));
  ck_assert (mailsync_imap_command_add_atom (cmd, "FLAGS", NULL));
  ck_assert (mailsync_imap_command_add_raw (cmd, "BODY.PEEK[HEADER.FIELDS (X-A)]", NULL));
  ck_assert (mailsync_imap_command_end_list (cmd, NULL));
  ck_assert (mailsync_imap_command_begin_list (cmd, NULL));
  ck_assert (mailsync_imap_command_add_atom (cmd, "CHANGEDSINCE", NULL));
  ck_assert (mailsync_imap_command_add_number (cmd, G_MAXINT64, NULL));
  ck_assert (mailsync_imap_command_end_list (cmd, NULL));
  w = built (cmd);
  ck_assert_str_eq (w, "A1 UID FETCH 1 (UID FLAGS BODY.PEEK[HEADER.FIELDS (X-A)]) (CHANGEDSINCE 9223372036854775807)\r\n");
  {
    g_autoptr(MailsyncImapCommand) bad = new_cmd ("UID FETCH", 0);
    ck_assert (!mailsync_imap_command_add_seqset (bad, &zero, 1, NULL));
    ck_assert (!mailsync_imap_command_add_seqset (bad, NULL, 0, NULL));
  }
  {
    g_autoptr(MailsyncImapCommand) open = new_cmd ("X", 0);
    ck_assert (mailsync_imap_command_begin_list (open, NULL));
    ck_assert (!mailsync_imap_command_finish (open, NULL));
    {
      g_autoptr(MailsyncImapCommand) y = new_cmd ("Y", 0);
      ck_assert (!mailsync_imap_command_end_list (y, NULL));
    }
  }
}
END_TEST

START_TEST (test_flags_dates)
{
  const char *const kw[] = { "$Forwarded", "Junk", NULL };
  g_autoptr(MailsyncImapCommand) cmd = new_cmd ("UID STORE", 0);
  g_autofree char *w = NULL, *d1 = NULL, *d2 = NULL, *d3 = NULL;
  guint32 uid = 4;

  ck_assert (mailsync_imap_command_add_seqset (cmd, &uid, 1, NULL));
  ck_assert (mailsync_imap_command_add_atom (cmd, "+FLAGS.SILENT", NULL));
  ck_assert (mailsync_imap_command_add_flags (cmd, MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_ANSWERED |
                                              MAILSYNC_FLAG_FLAGGED | MAILSYNC_FLAG_DELETED |
                                              MAILSYNC_FLAG_DRAFT, kw, NULL));
  w = built (cmd);
  ck_assert_str_eq (w, "A1 UID STORE 4 +FLAGS.SILENT (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Forwarded Junk)\r\n");
  d1 = mailsync_imap_format_date_time (1795626403, 0);
  ck_assert_str_eq (d1, "25-Nov-2026 17:06:43 +0000");
  d2 = mailsync_imap_format_date_time (1793903803, -5400);
  ck_assert_str_eq (d2, " 5-Nov-2026 17:06:43 -0130");
  d3 = mailsync_imap_format_date_time (0, 3600);
  ck_assert_str_eq (d3, " 1-Jan-1970 01:00:00 +0100");
  {
    /* round trip with the parser's date reader */
    gint64 t;
    ck_assert (mailsync_imap_parse_date_time (d2, strlen (d2), &t));
    ck_assert_int_eq (t, 1793903803);
  }
  {
    g_autoptr(MailsyncImapCommand) empty = new_cmd ("X", 0);
    g_autofree char *we = NULL;
    ck_assert (mailsync_imap_command_add_flags (empty, 0, NULL, NULL));
    we = built (empty);
    ck_assert_str_eq (we, "A1 X ()\r\n");
    g_autoptr(MailsyncImapCommand) y = new_cmd ("Y", 0);
    ck_assert (!mailsync_imap_command_add_date_time (y, 0, 17, NULL));
  }
}
END_TEST

START_TEST (test_secret_log)
{
  g_autoptr(MailsyncImapCommand) cmd = new_cmd ("LOGIN", 0);
  g_autoptr(MailsyncImapCommand) lit = new_cmd ("LOGIN", MAILSYNC_IMAP_COMMAND_LITERAL_PLUS);
  g_autofree char *w = NULL, *wl = NULL;

  ck_assert (mailsync_imap_command_add_astring (cmd, "bob", -1, NULL));
  ck_assert (mailsync_imap_command_add_secret (cmd, "hunter2", -1, NULL));
  w = built (cmd);
  ck_assert_str_eq (w, "A1 LOGIN bob \"hunter2\"\r\n");
  ck_assert_str_eq (mailsync_imap_command_get_log_line (cmd), "A1 LOGIN bob <redacted>");
  ck_assert (mailsync_imap_command_add_astring (lit, "bob", -1, NULL));
  ck_assert (mailsync_imap_command_add_secret (lit, "pä\"ss", -1, NULL));
  wl = built (lit);
  ck_assert_str_eq (wl, "A1 LOGIN bob {6+}\r\npä\"ss\r\n");
  ck_assert_ptr_null (strstr (mailsync_imap_command_get_log_line (lit), "ss"));
}
END_TEST

/* Untagged commands are what the connection sends (it tags them when it
 * writes them): the segments are the text around each literal without
 * the "{n}" marker, which the connection writes as the server allows. */
START_TEST (test_untagged_segments)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapCommand) cmd = mailsync_imap_command_new (NULL, "LOGIN", 0, &error);
  g_autoptr(MailsyncImapCommand) bad = mailsync_imap_command_new ("", "LOGIN", 0, NULL);
  g_autoptr(GBytes) wire = NULL;
  const char *const *texts = NULL;
  GBytes *const *literals = NULL;
  gboolean literal8 = TRUE;
  guint n;

  ck_assert_no_error (error);
  ck_assert_ptr_null (bad);  /* an empty tag is still refused */
  ck_assert_ptr_null (mailsync_imap_command_get_tag (cmd));
  ck_assert (mailsync_imap_command_add_string (cmd, "b\xc3\xa9", -1, NULL));
  ck_assert (mailsync_imap_command_add_secret (cmd, "hunter2", -1, NULL));
  ck_assert (mailsync_imap_command_finish (cmd, &error));
  wire = mailsync_imap_command_to_bytes (cmd);
  ck_assert_int_eq (g_bytes_get_size (wire), strlen ("LOGIN {3}\r\nb\xc3\xa9 \"hunter2\"\r\n"));
  ck_assert (memcmp (g_bytes_get_data (wire, NULL), "LOGIN {3}\r\nb\xc3\xa9 \"hunter2\"\r\n",
                     g_bytes_get_size (wire)) == 0);
  n = mailsync_imap_command_get_segments (cmd, &texts, &literals, &literal8);
  ck_assert_uint_eq (n, 1);
  ck_assert (!literal8);
  ck_assert_str_eq (texts[0], "LOGIN ");
  ck_assert_uint_eq (g_bytes_get_size (literals[0]), 3);
  ck_assert (memcmp (g_bytes_get_data (literals[0], NULL), "b\xc3\xa9", 3) == 0);
  ck_assert_str_eq (texts[1], " \"hunter2\"");
  ck_assert_str_eq (mailsync_imap_command_get_log_line (cmd), "LOGIN {3} <literal> <redacted>");
}
END_TEST

/* The shapes the folder and repository build (issue 14 item 2): mailbox
 * names already in wire form are always strings, quoted as they were
 * sent by hand ("INBOX" too) or a literal when they cannot be quoted. */
START_TEST (test_wire_mailbox)
{
  g_autoptr(MailsyncImapCommand) sel = new_cmd ("SELECT", 0);
  g_autoptr(MailsyncImapCommand) st = new_cmd ("STATUS", MAILSYNC_IMAP_COMMAND_UTF8_ACCEPT);
  g_autoptr(MailsyncImapCommand) mv = new_cmd ("UID MOVE", 0);
  g_autoptr(MailsyncImapCommand) lit = new_cmd ("DELETE", 0);
  g_autoptr(MailsyncImapCommand) ctl = new_cmd ("CREATE", MAILSYNC_IMAP_COMMAND_LITERAL_PLUS);
  g_autofree char *w1 = NULL, *w2 = NULL, *w3 = NULL, *w4 = NULL, *w5 = NULL;
  guint32 uids[] = { 3, 1, 2, 9 };

  ck_assert (mailsync_imap_command_add_wire_mailbox (sel, "INBOX", NULL));
  ck_assert (mailsync_imap_command_add_raw (sel, "(CONDSTORE)", NULL));
  w1 = built (sel);
  ck_assert_str_eq (w1, "A1 SELECT \"INBOX\" (CONDSTORE)\r\n");
  ck_assert (mailsync_imap_command_add_wire_mailbox (st, "Gel\xc3\xb6scht", NULL));
  ck_assert (mailsync_imap_command_add_raw (st, "(UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)", NULL));
  w2 = built (st);
  ck_assert_str_eq (w2, "A1 STATUS \"Gel\xc3\xb6scht\" (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)\r\n");
  ck_assert (mailsync_imap_command_add_seqset (mv, uids, G_N_ELEMENTS (uids), NULL));
  ck_assert (mailsync_imap_command_add_wire_mailbox (mv, "Entw&APw-rfe/a\"b", NULL));
  w3 = built (mv);
  ck_assert_str_eq (w3, "A1 UID MOVE 1:3,9 \"Entw&APw-rfe/a\\\"b\"\r\n");
  /* 8-bit without UTF8=ACCEPT cannot be quoted: a literal, never raw */
  ck_assert (mailsync_imap_command_add_wire_mailbox (lit, "Gr\xc3\xbcn", NULL));
  w4 = built (lit);
  ck_assert_str_eq (w4, "A1 DELETE {5}\r\nGr\xc3\xbcn\r\n");
  ck_assert (mailsync_imap_command_add_wire_mailbox (ctl, "a\tb", NULL));
  w5 = built (ctl);
  ck_assert_str_eq (w5, "A1 CREATE {3+}\r\na\tb\r\n");
  {
    g_autoptr(MailsyncImapCommand) bad = new_cmd ("SELECT", 0);
    ck_assert (!mailsync_imap_command_add_wire_mailbox (bad, "a\r\nb", NULL));
    ck_assert (!mailsync_imap_command_finish (bad, NULL));
  }
}
END_TEST

START_TEST (test_ranges_and_search)
{
  g_autoptr(MailsyncImapCommand) all = new_cmd ("UID FETCH", 0);
  g_autoptr(MailsyncImapCommand) known = new_cmd ("UID FETCH", 0);
  g_autoptr(MailsyncImapCommand) since = new_cmd ("UID SEARCH", 0);
  g_autoptr(MailsyncImapCommand) from = new_cmd ("UID SEARCH", 0);
  g_autoptr(MailsyncImapCommand) hdr = new_cmd ("UID SEARCH HEADER", 0);
  g_autofree char *w1 = NULL, *w2 = NULL, *w3 = NULL, *w4 = NULL, *w5 = NULL;

  ck_assert (mailsync_imap_command_add_range (all, 1, 0, NULL));
  ck_assert (mailsync_imap_command_add_raw (all, "(UID FLAGS RFC822.SIZE INTERNALDATE)", NULL));
  ck_assert (mailsync_imap_command_add_raw (all, "(CHANGEDSINCE 42 VANISHED)", NULL));
  w1 = built (all);
  ck_assert_str_eq (w1, "A1 UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE) (CHANGEDSINCE 42 VANISHED)\r\n");
  ck_assert (mailsync_imap_command_add_range (known, 1, 1, NULL));
  ck_assert (mailsync_imap_command_add_range (known, 7, 4294967295u, NULL));
  w2 = built (known);
  ck_assert_str_eq (w2, "A1 UID FETCH 1:1 7:4294967295\r\n");
  /* date = 1*2DIGIT day, no leading space, unlike date-time */
  ck_assert (mailsync_imap_command_add_atom (since, "SINCE", NULL));
  ck_assert (mailsync_imap_command_add_search_date (since, 1793903803, NULL));
  ck_assert (mailsync_imap_command_add_atom (since, "SMALLER", NULL));
  ck_assert (mailsync_imap_command_add_number (since, 100001, NULL));
  w3 = built (since);
  ck_assert_str_eq (w3, "A1 UID SEARCH SINCE 5-Nov-2026 SMALLER 100001\r\n");
  ck_assert (mailsync_imap_command_add_atom (from, "UID", NULL));
  ck_assert (mailsync_imap_command_add_range (from, 17, 0, NULL));
  w4 = built (from);
  ck_assert_str_eq (w4, "A1 UID SEARCH UID 17:*\r\n");
  ck_assert (mailsync_imap_command_add_atom (hdr, "X-OfflineIMAP", NULL));
  ck_assert (mailsync_imap_command_add_string (hdr, "3735928559-42", -1, NULL));
  w5 = built (hdr);
  ck_assert_str_eq (w5, "A1 UID SEARCH HEADER X-OfflineIMAP \"3735928559-42\"\r\n");
  {
    g_autoptr(MailsyncImapCommand) bad = new_cmd ("UID FETCH", 0);
    ck_assert (!mailsync_imap_command_add_range (bad, 0, 5, NULL));
    ck_assert (!mailsync_imap_command_finish (bad, NULL));
  }
}
END_TEST

START_TEST (test_list_append_labels)
{
  const char *const labels[] = { "\\Important", "Work \"Q1\"", NULL };
  const char *const kw[] = { "$Junk", NULL };
  g_autoptr(MailsyncImapCommand) list = new_cmd ("LIST", 0);
  g_autoptr(MailsyncImapCommand) lsub = new_cmd ("LSUB", 0);
  g_autoptr(MailsyncImapCommand) app = new_cmd ("APPEND", 0);
  g_autoptr(MailsyncImapCommand) gm = new_cmd ("UID STORE", 0);
  g_autofree char *w1 = NULL, *w2 = NULL, *w3 = NULL, *w4 = NULL;
  guint32 uid = 12;

  ck_assert (mailsync_imap_command_add_string (list, "", -1, NULL));
  ck_assert (mailsync_imap_command_add_string (list, "*", -1, NULL));
  ck_assert (mailsync_imap_command_add_atom (list, "RETURN", NULL));
  ck_assert (mailsync_imap_command_begin_list (list, NULL));
  ck_assert (mailsync_imap_command_add_atom (list, "SUBSCRIBED", NULL));
  ck_assert (mailsync_imap_command_add_atom (list, "CHILDREN", NULL));
  ck_assert (mailsync_imap_command_add_raw (list, "STATUS (MESSAGES UNSEEN RECENT)", NULL));
  ck_assert (mailsync_imap_command_end_list (list, NULL));
  w1 = built (list);
  ck_assert_str_eq (w1, "A1 LIST \"\" \"*\" RETURN (SUBSCRIBED CHILDREN STATUS (MESSAGES UNSEEN RECENT))\r\n");
  ck_assert (mailsync_imap_command_add_string (lsub, "Shared/", -1, NULL));
  ck_assert (mailsync_imap_command_add_string (lsub, "*", -1, NULL));
  w2 = built (lsub);
  ck_assert_str_eq (w2, "A1 LSUB \"Shared/\" \"*\"\r\n");
  ck_assert (mailsync_imap_command_add_wire_mailbox (app, "INBOX", NULL));
  ck_assert (mailsync_imap_command_add_flags (app, MAILSYNC_FLAG_SEEN, kw, NULL));
  ck_assert (mailsync_imap_command_add_date_time (app, 1795626403, 0, NULL));
  w3 = built (app);
  ck_assert_str_eq (w3, "A1 APPEND \"INBOX\" (\\Seen $Junk) \"25-Nov-2026 17:06:43 +0000\"\r\n");
  ck_assert (mailsync_imap_command_add_seqset (gm, &uid, 1, NULL));
  ck_assert (mailsync_imap_command_add_atom (gm, "+X-GM-LABELS", NULL));
  ck_assert (mailsync_imap_command_begin_list (gm, NULL));
  for (guint i = 0; labels[i] != NULL; i++)
    ck_assert (mailsync_imap_command_add_string (gm, labels[i], -1, NULL));
  ck_assert (mailsync_imap_command_end_list (gm, NULL));
  w4 = built (gm);
  ck_assert_str_eq (w4, "A1 UID STORE 12 +X-GM-LABELS (\"\\\\Important\" \"Work \\\"Q1\\\"\")\r\n");
}
END_TEST

/* What the connection's requests get from a command of fixed words. */
START_TEST (test_simple_log_lines)
{
  static const struct { const char *name, *atom, *line; } simple[] = {
    { "NOOP", NULL, "NOOP" }, { "LOGOUT", NULL, "LOGOUT" }, { "IDLE", NULL, "IDLE" },
    { "NAMESPACE", NULL, "NAMESPACE" }, { "UID SEARCH", "DELETED", "UID SEARCH DELETED" },
    { "ENABLE", "QRESYNC", "ENABLE QRESYNC" }, { "EXPUNGE", NULL, "EXPUNGE" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (simple); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncImapCommand) cmd = mailsync_imap_command_new (NULL, simple[i].name, 0, &error);
      g_autoptr(GBytes) wire = NULL;
      g_autofree char *expect = g_strconcat (simple[i].line, "\r\n", NULL);

      ck_assert_no_error (error);
      if (simple[i].atom != NULL)
        ck_assert (mailsync_imap_command_add_atom (cmd, simple[i].atom, NULL));
      ck_assert (mailsync_imap_command_finish (cmd, &error));
      wire = mailsync_imap_command_to_bytes (cmd);
      ck_assert (bytes_eq (wire, expect, strlen (expect)));
      ck_assert_str_eq (mailsync_imap_command_get_log_line (cmd), simple[i].line);
    }
}
END_TEST

static Suite *
command_suite (void)
{
  Suite *s = suite_create ("imap-command");
  TCase *tc = tcase_create ("command");

  tcase_add_loop_test (tc, test_astring, 0, G_N_ELEMENTS (astrings));
  tcase_add_test (tc, test_injection_guard);
  tcase_add_test (tc, test_sync_literal_chunks);
  tcase_add_test (tc, test_literal_plus_minus);
  tcase_add_test (tc, test_mailbox);
  tcase_add_test (tc, test_seqset_and_lists);
  tcase_add_test (tc, test_flags_dates);
  tcase_add_test (tc, test_secret_log);
  tcase_add_test (tc, test_untagged_segments);
  tcase_add_test (tc, test_wire_mailbox);
  tcase_add_test (tc, test_ranges_and_search);
  tcase_add_test (tc, test_list_append_labels);
  tcase_add_test (tc, test_simple_log_lines);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (command_suite ());
}
