/* The run-time version functions against the headers' macros: a program
 * built with these headers and run with this library sees the same
 * version, and mailsync_check_version() accepts exactly what the library
 * can serve. */
#include "config.h"

#include "mailsync-test.h"
#include <string.h>

#include "mailsync.h"

START_TEST (test_runtime_matches_headers)
{
  ck_assert_uint_eq (mailsync_get_major_version (), MAILSYNC_MAJOR_VERSION);
  ck_assert_uint_eq (mailsync_get_minor_version (), MAILSYNC_MINOR_VERSION);
  ck_assert_uint_eq (mailsync_get_micro_version (), MAILSYNC_MICRO_VERSION);

  g_autofree char *joined = g_strdup_printf ("%u.%u.%u", mailsync_get_major_version (),
                                             mailsync_get_minor_version (), mailsync_get_micro_version ());
  ck_assert_str_eq (joined, MAILSYNC_VERSION_STRING);
}
END_TEST

START_TEST (test_check_version)
{
  guint major = MAILSYNC_MAJOR_VERSION, minor = MAILSYNC_MINOR_VERSION, micro = MAILSYNC_MICRO_VERSION;

  /* The version itself and anything older in the same major version. */
  ck_assert_ptr_null (mailsync_check_version (major, minor, micro));
  ck_assert_ptr_null (mailsync_check_version (major, 0, 0));
  if (micro > 0)
    ck_assert_ptr_null (mailsync_check_version (major, minor, micro - 1));
  if (minor > 0)
    ck_assert_ptr_null (mailsync_check_version (major, minor - 1, 999));

  /* Newer than the library, or another major version. */
  ck_assert_ptr_nonnull (mailsync_check_version (major, minor, micro + 1));
  ck_assert_ptr_nonnull (mailsync_check_version (major, minor + 1, 0));
  ck_assert_ptr_nonnull (mailsync_check_version (major + 1, 0, 0));
  ck_assert_ptr_nonnull (mailsync_check_version (major, G_MAXUINT, G_MAXUINT));
  if (major > 0)
    ck_assert_ptr_nonnull (mailsync_check_version (major - 1, minor, micro));
  ck_assert (strstr (mailsync_check_version (major + 1, 0, 0), "too old") != NULL);
}
END_TEST

static Suite *
version_suite (void)
{
  Suite *s = suite_create ("version");
  TCase *tc = tcase_create ("runtime");

  tcase_add_test (tc, test_runtime_matches_headers);
  tcase_add_test (tc, test_check_version);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (version_suite ());
}
