/* SASL messages against the published examples. */
#include "config.h"

#include "mailsync-test.h"
#include "backends/imap/mailsync-imap-auth.h"
#include "mailsync-error.h"

#include <string.h>

static char *
decode (const char *b64)
{
  gsize len;
  guchar *raw = g_base64_decode (b64, &len);
  char *out = g_malloc0 (len + 1);

  memcpy (out, raw, len);
  /* NULs (PLAIN) and ^A (XOAUTH2) made visible for comparison. */
  for (gsize i = 0; i < len; i++)
    if (out[i] == '\0')
      out[i] = '|';
    else if (out[i] == '\001')
      out[i] = '^';
  g_free (raw);
  return out;
}

START_TEST (test_auth_plain)
{
  g_autoptr(MailsyncImapSasl) sasl = mailsync_imap_sasl_new (MAILSYNC_IMAP_AUTH_PLAIN, "tim", "tanstaaftanstaaf", "h", 143);
  g_autofree char *ir = mailsync_imap_sasl_initial_response (sasl);
  g_autofree char *plain = decode (ir);

  /* RFC 4616 §4: authzid NUL authcid NUL passwd, authzid empty. */
  ck_assert_str_eq (plain, "|tim|tanstaaftanstaaf");
}
END_TEST

START_TEST (test_auth_cram_md5)
{
  g_autoptr(MailsyncImapSasl) sasl = mailsync_imap_sasl_new (MAILSYNC_IMAP_AUTH_CRAM_MD5, "tim", "tanstaaftanstaaf", "h", 143);
  g_autofree char *challenge = g_base64_encode ((const guchar *) "<1896.697170952@postoffice.reston.mci.net>", 42);
  g_autofree char *answer = NULL;
  g_autofree char *text = NULL;

  ck_assert_ptr_null (mailsync_imap_sasl_initial_response (sasl));
  answer = mailsync_imap_sasl_step (sasl, challenge, NULL);
  text = decode (answer);
  /* RFC 2195 §2, the example exchange. */
  ck_assert_str_eq (text, "tim b913a602c7eda7a495b4e6e7334d3890");
}
END_TEST

START_TEST (test_auth_login)
{
  g_autoptr(MailsyncImapSasl) sasl = mailsync_imap_sasl_new (MAILSYNC_IMAP_AUTH_LOGIN, "user", "pass word", "h", 143);
  g_autofree char *u = mailsync_imap_sasl_step (sasl, "VXNlcm5hbWU6", NULL);
  g_autofree char *p = mailsync_imap_sasl_step (sasl, "UGFzc3dvcmQ6", NULL);
  g_autofree char *du = decode (u), *dp = decode (p);
  g_autoptr(GError) error = NULL;
  char *third;

  ck_assert_str_eq (du, "user");
  ck_assert_str_eq (dp, "pass word");
  third = mailsync_imap_sasl_step (sasl, "", &error);
  ck_assert_ptr_null (third);
  ck_assert (g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL));
}
END_TEST

START_TEST (test_auth_oauth)
{
  g_autoptr(MailsyncImapSasl) x = mailsync_imap_sasl_new (MAILSYNC_IMAP_AUTH_XOAUTH2, "someuser@example.com", "ya29.vF9dft4", "imap.example.com", 993);
  g_autoptr(MailsyncImapSasl) o = mailsync_imap_sasl_new (MAILSYNC_IMAP_AUTH_OAUTHBEARER, "user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "server.example.com", 143);
  g_autofree char *xi = mailsync_imap_sasl_initial_response (x);
  g_autofree char *oi = mailsync_imap_sasl_initial_response (o);
  g_autofree char *xs = decode (xi), *os = decode (oi);
  g_autofree char *error_reply = mailsync_imap_sasl_step (o, "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=", NULL);
  g_autofree char *er = decode (error_reply);

  ck_assert_str_eq (xs, "user=someuser@example.com^auth=Bearer ya29.vF9dft4^^");
  /* RFC 7628 §4.1 example. */
  ck_assert_str_eq (os, "n,a=user@example.com,^host=server.example.com^port=143^"
                        "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==^^");
  /* §3.2.3: an error challenge is answered with a lone ^A. */
  ck_assert_str_eq (er, "^");
}
END_TEST

START_TEST (test_auth_mechanism_list)
{
  g_autoptr(GError) error = NULL;
  g_autofree MailsyncImapAuthMechanism *list = mailsync_imap_auth_parse_list ("cram-md5, PLAIN ,LOGIN", &error);
  g_autofree MailsyncImapAuthMechanism *bad = NULL;

  ck_assert_ptr_nonnull (list);
  ck_assert_int_eq (list[0], MAILSYNC_IMAP_AUTH_CRAM_MD5);
  ck_assert_int_eq (list[1], MAILSYNC_IMAP_AUTH_PLAIN);
  ck_assert_int_eq (list[2], MAILSYNC_IMAP_AUTH_LOGIN);
  ck_assert_int_eq (list[3], MAILSYNC_IMAP_AUTH_NONE);
  bad = mailsync_imap_auth_parse_list ("PLAIN, DIGEST-MD5", &error);
  ck_assert_ptr_null (bad);
  ck_assert_ptr_nonnull (strstr (error->message, "DIGEST-MD5"));
}
END_TEST

static Suite *
auth_suite (void)
{
  Suite *s = suite_create ("imap-auth");
  TCase *tc = tcase_create ("sasl");

  tcase_add_test (tc, test_auth_plain);
  tcase_add_test (tc, test_auth_cram_md5);
  tcase_add_test (tc, test_auth_login);
  tcase_add_test (tc, test_auth_oauth);
  tcase_add_test (tc, test_auth_mechanism_list);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (auth_suite ());
}
