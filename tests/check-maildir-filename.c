/* Maildir file name codec: parsing table, building, flag arithmetic, dates. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mailsync-test.h"
#include "mailsync-enums.h"
#include "backends/maildir/mailsync-maildir-filename.h"
#include "mailsync-private.h"

#define INBOX_MD5 "7e33429f656f1e6e9d79b29c3f82c57e"
#define OTHER_MD5 "0123456789abcdef0123456789abcdef"

typedef struct
{
  const char *name;
  const char *base;
  guint32 uid;          /* U= as parsed */
  const char *fmd5;
  const char *flags;
  const char *tail;
  char sep;
  guint32 inbox_uid;    /* UID for the INBOX folder (FMD5 rule) */
} ParseCase;

static const ParseCase parse_cases[] = {
  /* offlineimap's lab name */
  { "1795625999_1.12089.vm,U=1,FMD5=" INBOX_MD5 ":2,S",
    "1795625999_1.12089.vm,U=1,FMD5=" INBOX_MD5, 1, INBOX_MD5, "S", "", ':', 1 },
  { "1795626012_1.12332.vm,U=4,FMD5=" INBOX_MD5 ":2,",
    "1795626012_1.12332.vm,U=4,FMD5=" INBOX_MD5, 4, INBOX_MD5, "", "", ':', 4 },
  /* no U=: new local mail */
  { "1700000100.localmua.host", "1700000100.localmua.host", 0, NULL, "", "", 0, 0 },
  { "1700000100.M1P2.host:2,RS", "1700000100.M1P2.host", 0, NULL, "RS", "", ':', 0 },
  /* FMD5 of another folder: the UID is not ours */
  { "1_0.1.h,U=7,FMD5=" OTHER_MD5 ":2,FS",
    "1_0.1.h,U=7,FMD5=" OTHER_MD5, 7, OTHER_MD5, "FS", "", ':', 0 },
  /* U= without FMD5 (old offlineimap) */
  { "1_0.1.h,U=9:2,S", "1_0.1.h,U=9", 9, NULL, "S", "", ':', 0 },
  /* Windows-compatible separator */
  { "1_0.1.h,U=3,FMD5=" INBOX_MD5 "!2,DS",
    "1_0.1.h,U=3,FMD5=" INBOX_MD5, 3, INBOX_MD5, "DS", "", '!', 3 },
  /* weird flags: P, lowercase keywords, digits */
  { "1_0.1.h,U=5,FMD5=" INBOX_MD5 ":2,FPSaz",
    "1_0.1.h,U=5,FMD5=" INBOX_MD5, 5, INBOX_MD5, "FPSaz", "", ':', 5 },
  /* trailing bytes after the flags are kept apart */
  { "1_0.1.h,U=5,FMD5=" INBOX_MD5 ":2,S.part",
    "1_0.1.h,U=5,FMD5=" INBOX_MD5, 5, INBOX_MD5, "S", ".part", ':', 5 },
  /* another info version stays in the base */
  { "1_0.1.h:1,xyz", "1_0.1.h:1,xyz", 0, NULL, "", "", 0, 0 },
  /* Dovecot-style fields before the info */
  { "1234.M5P6.host,S=1234,W=1300:2,S", "1234.M5P6.host,S=1234,W=1300", 0, NULL, "S", "", ':', 0 },
  /* U=0 and out-of-range UIDs are no UIDs */
  { "1_0.1.h,U=0,FMD5=" INBOX_MD5 ":2,", "1_0.1.h,U=0,FMD5=" INBOX_MD5, 0, INBOX_MD5, "", "", ':', 0 },
  { "1_0.1.h,U=4294967296,FMD5=" INBOX_MD5 ":2,", "1_0.1.h,U=4294967296,FMD5=" INBOX_MD5, 0, INBOX_MD5, "", "", ':', 0 },
  { "1_0.1.h,U=4294967295,FMD5=" INBOX_MD5 ":2,", "1_0.1.h,U=4294967295,FMD5=" INBOX_MD5, G_MAXUINT32, INBOX_MD5, "", "", ':', G_MAXUINT32 },
  /* U= with no digits */
  { "1_0.1.h,U=,FMD5=" INBOX_MD5 ":2,S", "1_0.1.h,U=,FMD5=" INBOX_MD5, 0, INBOX_MD5, "S", "", ':', 0 },
  /* the info separator is the first ":2," */
  { "a:2,S:2,F", "a", 0, NULL, "S", ":2,F", ':', 0 },
  { "", "", 0, NULL, "", "", 0, 0 },
  /* The listing reads names without copying them (a view of offsets,
   * issue 13 item 2): the first field of a kind counts, a field after the
   * info part is not the base's, an FMD5 run longer than an md5 is not
   * this folder's, a field cut by the info separator is none. */
  { "1_0.1.h,U=5,U=6,FMD5=" INBOX_MD5 ":2,S", "1_0.1.h,U=5,U=6,FMD5=" INBOX_MD5, 5, INBOX_MD5, "S", "", ':', 5 },
  { "1_0.1.h,FMD5=" INBOX_MD5 ",U=8,FMD5=" OTHER_MD5 ":2,",
    "1_0.1.h,FMD5=" INBOX_MD5 ",U=8,FMD5=" OTHER_MD5, 8, INBOX_MD5, "", "", ':', 8 },
  { "1_0.1.h,U=5,FMD5=" INBOX_MD5 "0:2,S", "1_0.1.h,U=5,FMD5=" INBOX_MD5 "0", 5, INBOX_MD5 "0", "S", "", ':', 0 },
  { "1_0.1.h:2,S,U=5,FMD5=" INBOX_MD5, "1_0.1.h", 0, NULL, "S", ",U=5,FMD5=" INBOX_MD5, ':', 0 },
  { "1_0.1.h,U=5,FMD5:2,S", "1_0.1.h,U=5,FMD5", 5, NULL, "S", "", ':', 0 },
  { "1_0.1.h,U:2,=5", "1_0.1.h,U", 0, NULL, "", "=5", ':', 0 },
  { "a!2,S:2,F", "a", 0, NULL, "S", ":2,F", '!', 0 },
  { "a:2,S!2,F", "a", 0, NULL, "S", "!2,F", ':', 0 },
  { "a!:2,S", "a!", 0, NULL, "S", "", ':', 0 },
  { "a!2:2,S", "a!2", 0, NULL, "S", "", ':', 0 },
};

START_TEST (test_parse_table)
{
  const ParseCase *c = &parse_cases[_i];
  MailsyncMaildirName n;

  _mailsync_maildir_name_parse (c->name, &n);
  ck_assert_str_eq (n.base, c->base);
  ck_assert_uint_eq (n.uid, c->uid);
  if (c->fmd5 == NULL)
    ck_assert_ptr_null (n.fmd5);
  else
    ck_assert_str_eq (n.fmd5, c->fmd5);
  ck_assert_str_eq (n.flags, c->flags);
  ck_assert_str_eq (n.tail, c->tail);
  ck_assert_int_eq (n.info_sep, c->sep);
  ck_assert_uint_eq (_mailsync_maildir_name_get_uid_for (&n, INBOX_MD5), c->inbox_uid);
  /* the view the listing uses says the same, without a copy */
  {
    MailsyncMaildirNameView v;

    _mailsync_maildir_name_view (c->name, &v);
    ck_assert_uint_eq (v.base_len, strlen (c->base));
    ck_assert_uint_eq (v.flags_len, strlen (c->flags));
    ck_assert_int_eq (strncmp (c->name + v.flags_off, c->flags, v.flags_len), 0);
    ck_assert_str_eq (c->name + v.tail_off, c->tail);
    ck_assert_uint_eq (v.fmd5_len, c->fmd5 ? strlen (c->fmd5) : 0);
    ck_assert_uint_eq (_mailsync_maildir_name_view_uid_for (c->name, &v, INBOX_MD5), c->inbox_uid);
    ck_assert_uint_eq (_mailsync_maildir_name_view_uid_for (c->name, &v, OTHER_MD5),
                       c->fmd5 != NULL && strcmp (c->fmd5, OTHER_MD5) == 0 ? c->uid : 0);
  }

  /* Round trip: rebuilding with the same flags gives the same name (when
   * there was an info part). */
  if (c->sep != 0)
    {
      g_autofree char *again = _mailsync_maildir_name_with_flags (&n, n.flags, ':');
      ck_assert_str_eq (again, c->name);
    }
  _mailsync_maildir_name_clear (&n);
}
END_TEST

/* ",S=<size>" in the base (Dovecot's Maildir++ names): the listing takes
 * a file's size from it instead of a stat() (issue 13 item 2). */
START_TEST (test_size_field)
{
  static const struct { const char *name; gint64 size; } cases[] = {
    { "1234.M5P6.host,S=1234,W=1300:2,S", 1234 },
    { "1234.M5P6.host,S=0:2,", 0 },
    { "1_0.1.h,U=5,FMD5=" INBOX_MD5 ",S=77:2,S", 77 },
    { "1_0.1.h,U=5,FMD5=" INBOX_MD5 ":2,S", -1 },    /* offlineimap's names have none */
    { "1234.M5P6.host,S=:2,S", -1 },                  /* no digits */
    { "1234.M5P6.host,S=12x:2,S", -1 },               /* not a number */
    { "1234.M5P6.host,S=99999999999999999999999:2,", -1 }, /* out of range */
    { "1234.M5P6.host:2,S,S=12", -1 },                /* after the info: not the base's */
    { "1234.M5P6.host,S=42", 42 },                    /* no info part */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      MailsyncMaildirName n;

      _mailsync_maildir_name_parse (cases[i].name, &n);
      ck_assert_msg (n.size == cases[i].size, "%s: size %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT,
                     cases[i].name, n.size, cases[i].size);
      _mailsync_maildir_name_clear (&n);
    }
}
END_TEST

START_TEST (test_md5)
{
  g_autofree char *inbox = _mailsync_maildir_folder_md5 ("INBOX");
  g_autofree char *empty = _mailsync_maildir_folder_md5 ("");

  ck_assert_str_eq (inbox, INBOX_MD5);
  ck_assert_str_eq (empty, "d41d8cd98f00b204e9800998ecf8427e");
}
END_TEST

START_TEST (test_build)
{
  g_autofree char *a = _mailsync_maildir_name_build (2000000000, 17, INBOX_MD5, "FS", ':', NULL);
  g_autofree char *b = _mailsync_maildir_name_build (2000000000, 18, INBOX_MD5, "", '!', NULL);
  g_autofree char *c = _mailsync_maildir_name_build (2000000001, 1, INBOX_MD5, "S", ':', NULL);
  g_autofree char *expect_a = g_strdup_printf ("2000000000_0.%ld.%s,U=17,FMD5=" INBOX_MD5 ":2,FS",
                                               (long) getpid (), _mailsync_maildir_hostname ());
  g_autofree char *expect_b = g_strdup_printf ("2000000000_1.%ld.%s,U=18,FMD5=" INBOX_MD5 "!2,",
                                               (long) getpid (), _mailsync_maildir_hostname ());
  g_autofree char *expect_c = g_strdup_printf ("2000000001_0.%ld.%s,U=1,FMD5=" INBOX_MD5 ":2,S",
                                               (long) getpid (), _mailsync_maildir_hostname ());
  MailsyncMaildirName n;

  ck_assert_str_eq (a, expect_a);
  ck_assert_str_eq (b, expect_b);
  ck_assert_str_eq (c, expect_c);

  _mailsync_maildir_name_parse (a, &n);
  ck_assert_uint_eq (_mailsync_maildir_name_get_uid_for (&n, INBOX_MD5), 17);
  ck_assert_str_eq (n.flags, "FS");
  _mailsync_maildir_name_clear (&n);

  ck_assert_ptr_null (strchr (_mailsync_maildir_hostname (), '/'));
  ck_assert_ptr_null (strchr (_mailsync_maildir_hostname (), ':'));

  /* the numbers are written without printf (session 16): the edges */
  {
    g_autofree char *d = _mailsync_maildir_name_build (0, 0, NULL, NULL, ':', NULL);
    g_autofree char *e = _mailsync_maildir_name_build (G_GINT64_CONSTANT (99999999999), G_MAXUINT32, "x", "S", ':', NULL);
    g_autofree char *expect_d = g_strdup_printf ("0_0.%ld.%s:2,", (long) getpid (), _mailsync_maildir_hostname ());
    g_autofree char *expect_e = g_strdup_printf ("99999999999_0.%ld.%s,U=4294967295,FMD5=x:2,S",
                                                 (long) getpid (), _mailsync_maildir_hostname ());

    ck_assert_str_eq (d, expect_d);
    ck_assert_str_eq (e, expect_e);
  }
}
END_TEST

static gpointer
seq_thread (gpointer data)
{
  GHashTable *seen = data;
  static GMutex lock;

  for (int i = 0; i < 200; i++)
    {
      guint seq = _mailsync_maildir_next_seq (1234567);

      g_mutex_lock (&lock);
      ck_assert (!g_hash_table_contains (seen, GUINT_TO_POINTER (seq + 1)));
      g_hash_table_add (seen, GUINT_TO_POINTER (seq + 1));
      g_mutex_unlock (&lock);
    }
  return NULL;
}

START_TEST (test_seq_threads)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("seq", seq_thread, seen);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  ck_assert_uint_eq (g_hash_table_size (seen), 800);
  /* 0..799, no gaps */
  for (guint s = 0; s < 800; s++)
    ck_assert (g_hash_table_contains (seen, GUINT_TO_POINTER (s + 1)));
  ck_assert_uint_eq (_mailsync_maildir_next_seq (7654321), 0);
}
END_TEST

START_TEST (test_flags)
{
  struct { const char *in; MailsyncFlags add, remove; const char *out; } cases[] = {
    { "", MAILSYNC_FLAG_SEEN, 0, "S" },
    { "S", 0, MAILSYNC_FLAG_SEEN, "" },
    { "FPSab", 0, MAILSYNC_FLAG_SEEN, "FPab" },
    { "Pa", MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_ANSWERED, 0, "PRSa" },
    { "zaS", MAILSYNC_FLAG_DRAFT, MAILSYNC_FLAG_FLAGGED, "DSaz" },
    { "SS", 0, 0, "S" },
    { "TS", MAILSYNC_FLAG_DELETED, MAILSYNC_FLAG_DELETED, "ST" },  /* add wins */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = _mailsync_maildir_flags_apply (cases[i].in, cases[i].add, cases[i].remove);
      ck_assert_str_eq (out, cases[i].out);
    }
  {
    g_autofree char *s = _mailsync_maildir_flags_sort ("SaFbRD");
    ck_assert_str_eq (s, "DFRSab");
  }
  {
    g_autofree char *s = _mailsync_maildir_flags_sort ("zSSa~ ");
    g_autofree char *empty = _mailsync_maildir_flags_sort ("");
    g_autofree char *none = _mailsync_maildir_flags_sort (NULL);

    ck_assert_str_eq (s, " Saz~");
    ck_assert_str_eq (empty, "");
    ck_assert_str_eq (none, "");
  }
}
END_TEST

START_TEST (test_dates)
{
  struct { const char *in; gboolean ok; gint64 t; } cases[] = {
    { "Thu, 1 Jan 1970 00:00:00 +0000", TRUE, 0 },
    { "Tue, 1 Jul 2003 10:52:37 +0200", TRUE, 1057049557 },
    { "1 Jul 2003 10:52:37 +0200", TRUE, 1057049557 },
    { " Tue,  1 Jul 2003 08:52:37 GMT", TRUE, 1057049557 },
    { "Tue, 01 Jul 03 04:52:37 EDT", TRUE, 1057049557 },  /* 2-digit year */
    { "Tue, 1 Jul 2003 10:52 +0200", TRUE, 1057049520 },
    { "Tue, 1 Jul 2003 10:52:37 +0200 (CEST)", TRUE, 1057049557 },
    { "Tue, 1 Jul 2003 08:52:37 -0000", TRUE, 1057049557 },
    { "garbage", FALSE, 0 },
    { "Tue, 32 Jul 2003 10:52:37 +0200", FALSE, 0 },
    { "Tue, 1 Foo 2003 10:52:37 +0200", FALSE, 0 },
    { "", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 t = -1;
      gboolean ok = _mailsync_parse_rfc5322_date (cases[i].in, &t);

      ck_assert_msg (ok == cases[i].ok, "case %u (%s)", i, cases[i].in);
      if (ok)
        ck_assert_msg (t == cases[i].t, "case %u: %" G_GINT64_FORMAT, i, t);
    }
}
END_TEST

/* What no rename changes: the directory, the flags and the UID fields go */
/* The downloads entry's name stem (review 1 S3 of session 17): a name
 * this process builds has it, in new/ or cur/, with any flags; another
 * process's name, another host's, or a name of another form has not.
 * Session 19: a repository's mark is in its names and its stem, so a
 * name of the same pid and host with another mark (another repository,
 * or a process that had the same pid: a container), or with none
 * (offlineimap's, an older build's), is not of that stem; an older
 * build's stem ("<pid>.<host>") still matches the names it gave. */
START_TEST (test_stem)
{
  g_autofree char *mark = _mailsync_maildir_name_mark_new ();
  g_autofree char *other_mark = _mailsync_maildir_name_mark_new ();
  g_autofree char *stem = _mailsync_maildir_name_stem (mark);
  g_autofree char *old_stem = _mailsync_maildir_name_stem (NULL);
  g_autofree char *ours = _mailsync_maildir_name_build (1700000000, 3, INBOX_MD5, "FS", ':', mark);
  g_autofree char *ours_key = g_strconcat ("cur/", ours, NULL);
  g_autofree char *same_pid = _mailsync_maildir_name_build (1700000000, 3, INBOX_MD5, "FS", ':', other_mark);
  g_autofree char *unmarked = _mailsync_maildir_name_build (1700000000, 3, INBOX_MD5, "FS", ':', NULL);
  g_autofree char *other_pid = g_strdup_printf ("1700000000_0.%ld%s.%s,U=3,FMD5=%s:2,", (long) getpid () + 1, mark,
                                                _mailsync_maildir_hostname (), INBOX_MD5);
  g_autofree char *other_host = g_strdup_printf ("1700000000_0.%ld%s.%sx,U=3,FMD5=%s:2,", (long) getpid (), mark,
                                                 _mailsync_maildir_hostname (), INBOX_MD5);
  g_autofree char *bare = g_strdup_printf ("1700000000_7.%s:2,S", stem);
  guint seq = 0;
  g_autofree char *expect = NULL;

  /* "R" and ten digits of 0-9a-v, fresh each time (50 random bits) */
  ck_assert_uint_eq (strlen (mark), 1 + MAILSYNC_MAILDIR_MARK_DIGITS);
  ck_assert_int_eq (mark[0], 'R');
  ck_assert_uint_eq (strspn (mark + 1, "0123456789abcdefghijklmnopqrstuv"), MAILSYNC_MAILDIR_MARK_DIGITS);
  ck_assert_str_ne (mark, other_mark);
  /* "<T>_<SEQ>.<pid><mark>.<host>,U=...": the mark right after the pid */
  ck_assert (sscanf (ours, "1700000000_%u.", &seq) == 1);
  expect = g_strdup_printf ("1700000000_%u.%ld%s.%s,U=3,FMD5=%s:2,FS", seq, (long) getpid (), mark,
                            _mailsync_maildir_hostname (), INBOX_MD5);
  ck_assert_str_eq (ours, expect);

  ck_assert_ptr_null (strchr (stem, ' '));
  ck_assert (_mailsync_maildir_name_has_stem (ours, stem));
  ck_assert (_mailsync_maildir_name_has_stem (ours_key, stem));
  ck_assert (_mailsync_maildir_name_has_stem (bare, stem));
  ck_assert (!_mailsync_maildir_name_has_stem (other_pid, stem));
  ck_assert (!_mailsync_maildir_name_has_stem (other_host, stem));
  /* same pid, same host: another repository's mark, or none */
  ck_assert (!_mailsync_maildir_name_has_stem (same_pid, stem));
  ck_assert (!_mailsync_maildir_name_has_stem (unmarked, stem));
  /* an entry an older build wrote: its stem matches its names only */
  ck_assert (_mailsync_maildir_name_has_stem (unmarked, old_stem));
  ck_assert (!_mailsync_maildir_name_has_stem (ours, old_stem));
  ck_assert (!_mailsync_maildir_name_has_stem ("1700000000.M1P2.host,U=3,FMD5=" INBOX_MD5 ":2,", stem));
  ck_assert (!_mailsync_maildir_name_has_stem ("new/x", stem));
  ck_assert (!_mailsync_maildir_name_has_stem ("", stem));
  ck_assert (_mailsync_maildir_name_has_stem ("1_2.7.my host,U=3:2,", "7.my-host"));
  ck_assert (!_mailsync_maildir_name_has_stem ("1_2.7.my host,U=3:2,", "7.my"));
}
END_TEST

START_TEST (test_identity)
{
  static const struct { const char *key, *identity; } cases[] = {
    { "new/1800000000.M0P9.late", "1800000000.M0P9.late" },
    { "cur/1800000000.M0P9.late:2,FS", "1800000000.M0P9.late" },
    { "cur/1800000000.M0P9.late!2,S", "1800000000.M0P9.late" },
    { "cur/1795626013_0.12332.vm,U=3,FMD5=7e33429f656f1e6e9d79b29c3f82c57e:2,FS", "1795626013_0.12332.vm" },
    { "1700000000.x,S=120:2,", "1700000000.x,S=120" },
    { "tmp/odd", "tmp/odd" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = _mailsync_maildir_name_identity (cases[i].key);

      ck_assert_msg (g_strcmp0 (got, cases[i].identity) == 0, "case %u: %s", i, got);
    }
}
END_TEST

static Suite *
filename_suite (void)
{
  Suite *s = suite_create ("maildir-filename");
  TCase *tc = tcase_create ("codec");

  tcase_add_loop_test (tc, test_parse_table, 0, G_N_ELEMENTS (parse_cases));
  tcase_add_test (tc, test_size_field);
  tcase_add_test (tc, test_md5);
  tcase_add_test (tc, test_build);
  tcase_add_test (tc, test_seq_threads);
  tcase_add_test (tc, test_flags);
  tcase_add_test (tc, test_dates);
  tcase_add_test (tc, test_identity);
  tcase_add_test (tc, test_stem);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (filename_suite ());
}
