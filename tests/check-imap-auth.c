/* SASL messages against the published examples; the credentials of a
 * secret IMAP request wiped when it is freed. */
#include "config.h"

#include "mailsync-test.h"
#include "backends/imap/mailsync-imap-auth.h"
#include "backends/imap/mailsync-imap-command.h"
#include "backends/imap/mailsync-imap-connection.h"
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

/* ---- wiping what a secret request owned ---------------------------------- */

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
/* What mailsync_imap_secret_free() handed over, looked at before it is
 * freed: memory cannot be read once free, so the library's test hook
 * gives it to us instead of g_free(). */
typedef struct
{
  gsize len;
  gboolean zero;
} Freed;

static GArray *freed;

static void
record_free (void *mem, gsize len)
{
  Freed f = { len, TRUE };

  for (gsize i = 0; i < len; i++)
    if (((const guint8 *) mem)[i] != 0)
      f.zero = FALSE;
  g_array_append_val (freed, f);
  g_free (mem);
}

/* Frees @request with the hook in place; returns how many buffers of at
 * least @min_len bytes went through it, after checking that every one
 * was wiped. */
static guint
free_request_watched (MailsyncImapRequest *request, gsize min_len)
{
  guint long_enough = 0;

  freed = g_array_new (FALSE, FALSE, sizeof (Freed));
  _mailsync_imap_secret_set_free_hook (record_free);
  mailsync_imap_request_free (request);
  _mailsync_imap_secret_set_free_hook (NULL);
  for (guint i = 0; i < freed->len; i++)
    {
      Freed *f = &g_array_index (freed, Freed, i);

      ck_assert_msg (f->zero, "buffer %u (%" G_GSIZE_FORMAT " bytes) freed without being wiped", i, f->len);
      if (f->len >= min_len)
        long_enough++;
    }
  g_clear_pointer (&freed, g_array_unref);
  return long_enough;
}

static MailsyncImapRequest *
login_request (const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapCommand) cmd = mailsync_imap_command_new (NULL, "LOGIN", MAILSYNC_IMAP_COMMAND_NONE,
                                                                  &error);
  MailsyncImapRequest *request;

  ck_assert_ptr_nonnull (cmd);
  ck_assert (mailsync_imap_command_add_string (cmd, "user", -1, &error));
  ck_assert (mailsync_imap_command_add_secret (cmd, password, -1, &error));
  request = mailsync_imap_request_new_from_command (cmd, &error);
  ck_assert_msg (request != NULL, "%s", error ? error->message : "?");
  return request;
}
#endif

/* LOGIN with a quoted password: the request's copy of the command line
 * is wiped (the builder wipes its own when the command is freed). */
START_TEST (test_secret_request_quoted)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  const char *password = "hunter2-quoted";

  ck_assert_uint_ge (free_request_watched (login_request (password), strlen (password)), 1);
#endif
}
END_TEST

/* A password that cannot be quoted goes as a literal: the request's
 * texts and the literal's GBytes (the builder's copy, the request's last
 * reference) are wiped. */
START_TEST (test_secret_request_literal)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  const char *password = "p\x01ss\xc3\xa4word";

  /* The LOGIN text and the literal's bytes, wiped where they were and in
   * the copy g_bytes_unref_to_data() may make. */
  ck_assert_uint_ge (free_request_watched (login_request (password), strlen (password)), 2);
#endif
}
END_TEST

/* A request without a credential is freed as before, through g_free(). */
START_TEST (test_plain_request_not_watched)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  MailsyncImapRequest *request = mailsync_imap_request_new_simple ("NOOP", NULL);

  freed = g_array_new (FALSE, FALSE, sizeof (Freed));
  _mailsync_imap_secret_set_free_hook (record_free);
  mailsync_imap_request_free (request);
  _mailsync_imap_secret_set_free_hook (NULL);
  ck_assert_uint_eq (freed->len, 0);
  g_clear_pointer (&freed, g_array_unref);
#endif
}
END_TEST

/* A wiping GBytes is wiped by whoever drops the last reference (the
 * connection's write queue may outlive the request), not before. */
START_TEST (test_secret_bytes_last_reference)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  GBytes *bytes = mailsync_imap_secret_bytes_new ("token", 5);
  GBytes *other = g_bytes_ref (bytes);
  gsize len = 0;

  freed = g_array_new (FALSE, FALSE, sizeof (Freed));
  _mailsync_imap_secret_set_free_hook (record_free);
  g_bytes_unref (bytes);
  ck_assert_uint_eq (freed->len, 0);
  ck_assert_int_eq (memcmp (g_bytes_get_data (other, &len), "token", 5), 0);
  g_bytes_unref (other);
  _mailsync_imap_secret_set_free_hook (NULL);
  ck_assert_uint_eq (freed->len, 1);
  ck_assert (g_array_index (freed, Freed, 0).zero);
  ck_assert_uint_ge (g_array_index (freed, Freed, 0).len, 5);
  g_clear_pointer (&freed, g_array_unref);
#endif
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
  tc = tcase_create ("secret-requests");
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  tcase_add_test (tc, test_secret_request_quoted);
  tcase_add_test (tc, test_secret_request_literal);
  tcase_add_test (tc, test_plain_request_not_watched);
  tcase_add_test (tc, test_secret_bytes_last_reference);
#else
  {
    const char *why = "the secret free hook needs configure --enable-test-hooks";

    mailsync_test_add_skipped_test (tc, test_secret_request_quoted, why);
    mailsync_test_add_skipped_test (tc, test_secret_request_literal, why);
    mailsync_test_add_skipped_test (tc, test_plain_request_not_watched, why);
    mailsync_test_add_skipped_test (tc, test_secret_bytes_last_reference, why);
  }
#endif
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (auth_suite ());
}
