/* Modified UTF-7 (RFC 3501 §5.1.3): vectors, strictness, round trips. */
#include "config.h"

#include <string.h>

#include "mailsync-test.h"

#define ck_assert_no_error(e) ck_assert_msg ((e) == NULL, "%s", (e) ? (e)->message : "")
#include "backends/imap/mailsync-imap-utf7.h"
#include "backends/imap/mailsync-imap-response.h"

static const struct
{
  const char *utf8;
  const char *mutf7;
} pairs[] = {
  { "", "" },
  { "INBOX", "INBOX" },
  { "Entwürfe", "Entw&APw-rfe" },
  { "&", "&-" },
  { "Tom & Jerry", "Tom &- Jerry" },
  { "&&", "&-&-" },
  { "~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
  { "日本語", "&ZeVnLIqe-" },
  { "Ärger", "&AMQ-rger" },
  { "äöü", "&AOQA9gD8-" },
  { "a/b,c+d", "a/b,c+d" },
  { "😀", "&2D3eAA-" },                 /* surrogate pair */
  { "x😀y𝄞", "x&2D3eAA-y&2DTdHg-" },
  { "tab\there", "tab&AAk-here" },      /* controls are encoded */
  { "€", "&IKw-" },
  { "Ğ&ğ", "&AR4-&-&AR8-" },
};

START_TEST (test_pairs)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *enc = mailsync_imap_utf7_encode (pairs[_i].utf8, -1, &error);
  g_autofree char *dec = NULL;

  ck_assert_no_error (error);
  ck_assert_str_eq (enc, pairs[_i].mutf7);
  dec = mailsync_imap_utf7_decode (pairs[_i].mutf7, -1, &error);
  ck_assert_no_error (error);
  ck_assert_str_eq (dec, pairs[_i].utf8);
}
END_TEST

static const char *const invalid[] = {
  "&",            /* unterminated */
  "&AOQ",         /* unterminated run */
  "&AOQ-&APY-",   /* adjacent runs (canonical is one run) */
  "&AGE-",        /* encodes 'a': printable ASCII must be direct */
  "&ACY-",        /* encodes '&' */
  "&AOR-",        /* non-zero padding bits */
  "&AOQA-",       /* a leftover whole sextet */
  "&A/Q-",        /* '/' is not in the modified alphabet */
  "&A=Q-",
  "&2D0-",        /* lone high surrogate */
  "&3gA-",        /* lone low surrogate */
  "&2D3YPQ-",     /* high surrogate followed by high surrogate */
  "&AAA-",        /* U+0000 */
  "a\tb",         /* control character not encoded */
  "Entwürfe",     /* 8-bit bytes */
  "&--",          /* "&-" then a stray '-' is fine ... */
};

START_TEST (test_invalid)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dec = mailsync_imap_utf7_decode (invalid[_i], -1, &error);

  if (g_str_equal (invalid[_i], "&--"))
    {
      /* ... so this one is valid: "&-" + "-" */
      ck_assert_str_eq (dec, "&-");
      return;
    }
  ck_assert_msg (dec == NULL, "accepted %s as %s", invalid[_i], dec);
  ck_assert_int_eq (error->code, MAILSYNC_IMAP_ERROR_PARSE);
}
END_TEST

START_TEST (test_encode_invalid)
{
  g_autoptr(GError) error = NULL;

  ck_assert_ptr_null (mailsync_imap_utf7_encode ("\xff\xfe", -1, &error));
  g_clear_error (&error);
  ck_assert_ptr_null (mailsync_imap_utf7_encode ("a\0b", 3, &error));
}
END_TEST

/* Random Unicode strings survive encode -> decode, and the encoding is
 * canonical: encode (decode (x)) == x. */
START_TEST (test_random_round_trip)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1234);
  guint i, j;

  for (i = 0; i < 2000; i++)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      g_autofree char *enc = NULL, *dec = NULL, *again = NULL;
      guint n = g_rand_int_range (rand, 0, 12);

      for (j = 0; j < n; j++)
        {
          gunichar c;
          switch (g_rand_int_range (rand, 0, 4))
            {
            case 0: c = g_rand_int_range (rand, 0x20, 0x7f); break;
            case 1: c = g_rand_int_range (rand, 0x80, 0x800); break;
            case 2: c = g_rand_int_range (rand, 0x3000, 0xd000); break;
            default: c = g_rand_int_range (rand, 0x10000, 0x110000); break;
            }
          g_string_append_unichar (s, c);
        }
      enc = mailsync_imap_utf7_encode (s->str, s->len, NULL);
      ck_assert_ptr_nonnull (enc);
      dec = mailsync_imap_utf7_decode (enc, -1, NULL);
      ck_assert_ptr_nonnull (dec);
      ck_assert_str_eq (dec, s->str);
      again = mailsync_imap_utf7_encode (dec, -1, NULL);
      ck_assert_str_eq (again, enc);
    }
}
END_TEST

static Suite *
utf7_suite (void)
{
  Suite *s = suite_create ("imap-utf7");
  TCase *tc = tcase_create ("utf7");

  tcase_add_loop_test (tc, test_pairs, 0, G_N_ELEMENTS (pairs));
  tcase_add_loop_test (tc, test_invalid, 0, G_N_ELEMENTS (invalid));
  tcase_add_test (tc, test_encode_invalid);
  tcase_add_test (tc, test_random_round_trip);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (utf7_suite ());
}
