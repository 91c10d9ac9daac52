/* The unchanged-folder record's file (libmailsync/sync/mailsync-sync-unchanged.c,
 * issue 13 items 1 and 2): written without any fsync, neither of the file
 * nor of its directory (a lost record only costs the next run the full
 * listing), replacing the older record at once (a reader sees the old or
 * the new one), leaving no temporary file, and a record cut short does
 * not read back.
 *
 * The program defines fsync() and fdatasync() itself, so every call made
 * while it runs, the library's and GLib's, reaches these definitions
 * first (an executable's symbols come first in the lookup), which count
 * it and forward to the C library's. */
#define _GNU_SOURCE
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include "sync/mailsync-sync-unchanged.h"

static volatile int n_syncs;

int
fsync (int fd)
{
  static int (*real_fsync) (int);

  if (real_fsync == NULL)
    real_fsync = (int (*) (int)) dlsym (RTLD_NEXT, "fsync");
  n_syncs++;
  return real_fsync (fd);
}

int
fdatasync (int fd)
{
  static int (*real_fdatasync) (int);

  if (real_fdatasync == NULL)
    real_fdatasync = (int (*) (int)) dlsym (RTLD_NEXT, "fdatasync");
  n_syncs++;
  return real_fdatasync (fd);
}

static int n_test, failed;

static void
check (gboolean ok, const char *what)
{
  printf ("%s %d - %s\n", ok ? "ok" : "not ok", ++n_test, what);
  if (!ok)
    failed++;
}

static gboolean
reads_back (const char *path, const char *key, guint n_local, guint n_remote)
{
  g_autofree char *got = NULL;
  guint a = 0, b = 0;

  return _mailsync_unchanged_read (path, &got, &a, &b) && g_strcmp0 (got, key) == 0 && a == n_local &&
         b == n_remote;
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

int
main (void)
{
  g_autofree char *dir = g_dir_make_tmp ("check-unchanged-record-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "INBOX.mailsync-unchanged", NULL);
  const char *first = "MAILSYNC-UNCHANGED 1\nremote 1 2 3 4\nmaildir /m\n";
  const char *second = "MAILSYNC-UNCHANGED 1\nremote 1 5 6 7\nmaildir /m\n";
  g_autofree char *text = NULL;
  gsize length = 0;
  int before;

  printf ("1..6\n");
  before = n_syncs;
  _mailsync_unchanged_write (path, first, 10, 11);
  check (reads_back (path, first, 10, 11), "a new record reads back its key and counts");
  _mailsync_unchanged_write (path, second, 12, 13);
  check (reads_back (path, second, 12, 13), "a record written over an older one reads back the new one");
  check (n_syncs == before, "no fsync or fdatasync for a new record nor for one replacing an older");
  if (n_syncs != before)
    printf ("# %d sync calls\n", n_syncs - before);
  check (count_entries (dir) == 1, "no temporary file is left next to the record");
  /* cut short: the counts line loses its line end */
  check (g_file_get_contents (path, &text, &length, NULL) && length > 1 &&
         g_file_set_contents (path, text, (gssize) length - 1, NULL) && !reads_back (path, second, 12, 13),
         "a record cut short does not read back");
  /* a record that cannot be written (its directory is gone) says nothing */
  g_unlink (path);
  g_rmdir (dir);
  _mailsync_unchanged_write (path, first, 1, 1);
  check (!g_file_test (path, G_FILE_TEST_EXISTS), "no record where its directory is gone");
  return failed == 0 ? 0 : 1;
}
