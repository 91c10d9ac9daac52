/* The loader of the libraries loaded on first use
 * (libmailsync/mailsync-lazy-lib-private.h), the one implementation the
 * library (GnuTLS, SQLite) and the mailsync command (json-glib, ncursesw)
 * share: it fills the table in the order of the names; a missing function
 * or library is an error naming the library and the function, the table
 * left empty, and the same answer on every later call without trying
 * again; threads whose first use comes at once all get the one load's
 * answer.  Against SQLite (by the soname configure found), with lists of
 * names of this test's own. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync-lazy-lib-private.h"

#include <string.h>

#define N_THREADS 8

static const char *const good_names[] = { "sqlite3_libversion_number", "sqlite3_libversion" };
static const char *const bad_names[] = { "sqlite3_libversion_number", "mailsync_no_such_function", "sqlite3_libversion" };

START_TEST (test_loads)
{
  static gpointer table[G_N_ELEMENTS (good_names)];
  static MailsyncLazyLib lib = MAILSYNC_LAZY_LIB_INIT (MAILSYNC_SQLITE_SONAME, good_names, table);
  g_autoptr(GError) error = NULL;
  int (*version_number) (void);
  const char *(*version) (void);

  ck_assert (_mailsync_lazy_lib_load (&lib, &error));
  ck_assert_ptr_null (error);
  /* In the order of the names. */
  version_number = (int (*) (void)) table[0];
  version = (const char *(*) (void)) table[1];
  ck_assert_ptr_nonnull (version_number);
  ck_assert_ptr_nonnull (version);
  ck_assert_int_ge (version_number (), 3035000);
  ck_assert (g_str_has_prefix (version (), "3."));
  /* Loaded once: a second call leaves the table as it is. */
  ck_assert (_mailsync_lazy_lib_load (&lib, NULL));
  ck_assert_ptr_eq (table[0], (gpointer) version_number);
}
END_TEST

START_TEST (test_missing_function)
{
  static gpointer table[G_N_ELEMENTS (bad_names)];
  static MailsyncLazyLib lib = MAILSYNC_LAZY_LIB_INIT (MAILSYNC_SQLITE_SONAME, bad_names, table);
  g_autofree char *want = g_strdup_printf ("Cannot load %s: it has no mailsync_no_such_function", MAILSYNC_SQLITE_SONAME);
  guint i;

  for (i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;
      guint j;

      ck_assert (!_mailsync_lazy_lib_load (&lib, &error));
      ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED));
      ck_assert_str_eq (error->message, want);
      /* No function of a library that failed is callable, not even the
       * ones found before the missing one. */
      for (j = 0; j < G_N_ELEMENTS (table); j++)
        ck_assert_ptr_null (table[j]);
    }
  /* A NULL error is allowed. */
  ck_assert (!_mailsync_lazy_lib_load (&lib, NULL));
}
END_TEST

START_TEST (test_missing_library)
{
  static gpointer table[G_N_ELEMENTS (good_names)];
  static MailsyncLazyLib lib = MAILSYNC_LAZY_LIB_INIT ("libmailsync-no-such-library.so.0", good_names, table);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;

  ck_assert (!_mailsync_lazy_lib_load (&lib, &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED));
  /* The library, then dlerror()'s reason. */
  ck_assert_msg (g_str_has_prefix (error->message, "Cannot load libmailsync-no-such-library.so.0: ")
                 && strlen (error->message) > strlen ("Cannot load libmailsync-no-such-library.so.0: "),
                 "message: %s", error->message);
  ck_assert_ptr_null (table[0]);
  ck_assert (!_mailsync_lazy_lib_load (&lib, &again));
  ck_assert_str_eq (again->message, error->message);
}
END_TEST

/* Threads whose first use comes at once. */
typedef struct
{
  MailsyncLazyLib *lib;
  gint            *ready;   /* threads started, the last one lets all go */
  gboolean         loaded;
  char            *message;
} Racer;

static gpointer
race (gpointer data)
{
  Racer *racer = data;
  GError *error = NULL;

  /* Spin until every thread is here, so that the loads start together
   * (no deadline needed: each thread gets here at once). */
  g_atomic_int_inc (racer->ready);
  while (g_atomic_int_get (racer->ready) < N_THREADS)
    g_thread_yield ();
  racer->loaded = _mailsync_lazy_lib_load (racer->lib, &error);
  racer->message = error != NULL ? g_strdup (error->message) : NULL;
  g_clear_error (&error);
  return NULL;
}

static void
run_race (MailsyncLazyLib *lib, Racer *racers)
{
  GThread *threads[N_THREADS];
  gint ready = 0;
  guint i;

  for (i = 0; i < N_THREADS; i++)
    {
      racers[i].lib = lib;
      racers[i].ready = &ready;
      threads[i] = g_thread_new ("racer", race, &racers[i]);
    }
  for (i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
}

START_TEST (test_concurrent_first_use)
{
  static gpointer good_table[G_N_ELEMENTS (good_names)];
  static MailsyncLazyLib good = MAILSYNC_LAZY_LIB_INIT (MAILSYNC_SQLITE_SONAME, good_names, good_table);
  static gpointer bad_table[G_N_ELEMENTS (bad_names)];
  static MailsyncLazyLib bad = MAILSYNC_LAZY_LIB_INIT (MAILSYNC_SQLITE_SONAME, bad_names, bad_table);
  Racer racers[N_THREADS] = { { 0 } };
  guint i;

  run_race (&good, racers);
  for (i = 0; i < N_THREADS; i++)
    {
      ck_assert_msg (racers[i].loaded, "thread %u: %s", i, racers[i].message);
      ck_assert_ptr_null (racers[i].message);
    }
  ck_assert_ptr_nonnull (good_table[0]);
  ck_assert_ptr_nonnull (good_table[1]);

  memset (racers, 0, sizeof racers);
  run_race (&bad, racers);
  for (i = 0; i < N_THREADS; i++)
    {
      ck_assert (!racers[i].loaded);
      ck_assert_ptr_nonnull (racers[i].message);
      ck_assert_str_eq (racers[i].message, racers[0].message);
    }
  ck_assert_ptr_null (bad_table[0]);
  for (i = 0; i < N_THREADS; i++)
    g_free (racers[i].message);
}
END_TEST

static Suite *
lazy_lib_suite (void)
{
  Suite *s = suite_create ("lazy-lib");
  TCase *tc = tcase_create ("lazy-lib");

  /* A deadline, not a wait: a loaded machine under ASan. */
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_loads);
  tcase_add_test (tc, test_missing_function);
  tcase_add_test (tc, test_missing_library);
  tcase_add_test (tc, test_concurrent_first_use);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (lazy_lib_suite ());
}
