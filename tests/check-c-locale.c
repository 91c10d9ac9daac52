/* libmailsync makes GLib's C locale when it is loaded (mailsync-c-locale.c):
 * a thread's first g_ascii_string_to_unsigned() that waits for another
 * thread's first one can find errno clobbered by GLib's futex wait and
 * read a good number as invalid (a status journal then read as corrupt,
 * about once in 2,000 resyncs).  The race itself is too rare to test;
 * this checks the cure: by the time main() runs, something has already
 * asked newlocale() for the "C" locale, and a burst of threads parsing
 * their first numbers all at once gets every one right.
 *
 * The program defines newlocale() itself, so GLib's call reaches this
 * definition first (an executable's symbols come first in the lookup),
 * which records it and forwards to the C library's. */
#define _GNU_SOURCE
#include "config.h"

#include <dlfcn.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include "mailsync.h"

static volatile int c_locale_made;

locale_t
newlocale (int category_mask, const char *locale, locale_t base)
{
  static locale_t (*real_newlocale) (int, const char *, locale_t);

  if (real_newlocale == NULL)
    real_newlocale = (locale_t (*) (int, const char *, locale_t)) dlsym (RTLD_NEXT, "newlocale");
  if (locale != NULL && strcmp (locale, "C") == 0 && (category_mask & LC_ALL_MASK) == LC_ALL_MASK)
    c_locale_made = 1;
  return real_newlocale (category_mask, locale, base);
}

#define N_THREADS 8

static gint start_flag;

static gpointer
parse_first_number (gpointer data)
{
  guint64 value = 0;

  (void) data;
  while (!g_atomic_int_get (&start_flag))
    ;
  if (!g_ascii_string_to_unsigned ("312", 10, 1, G_MAXSIZE, &value, NULL) || value != 312)
    return GINT_TO_POINTER (1);
  return NULL;
}

int
main (void)
{
  GThread *threads[N_THREADS];
  int failed = 0;

  printf ("1..2\n");
  /* Read before anything in main() could have parsed a number. */
  printf ("%s 1 - libmailsync %u made GLib's C locale before main()\n",
          c_locale_made ? "ok" : "not ok", mailsync_get_major_version ());
  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("parse", parse_first_number, NULL);
  g_atomic_int_set (&start_flag, 1);
  for (guint i = 0; i < N_THREADS; i++)
    failed += GPOINTER_TO_INT (g_thread_join (threads[i]));
  printf ("%s 2 - %d threads parsing at once read every number (%d failed)\n",
          failed == 0 ? "ok" : "not ok", N_THREADS, failed);
  return (c_locale_made && failed == 0) ? 0 : 1;
}
