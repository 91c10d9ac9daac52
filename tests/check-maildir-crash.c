/* Maildir folder interrupted at each crash point (MAILSYNC_CRASH_AT):
 * nothing is lost or duplicated. Split from check-maildir-folder.c.
 * A child process dies at the named step; the parent checks what a
 * restart finds. The child is forked before this process starts any GLib
 * worker thread. */
#define _GNU_SOURCE 1  /* O_TMPFILE */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>
#include <glib/gstdio.h>

#include "mailsync-test.h"
#include "mailsync.h"
#include "maildir-fixtures.h"
#include "backends/maildir/mailsync-maildir-filename.h"


static gboolean
can_fork_cleanly (void)
{
  return g_strcmp0 (g_getenv ("CK_FORK"), "no") != 0;
}

static int
run_crashing_child (const char *step,
                    int         what)
{
  pid_t pid;
  int status = 0;

  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("local", root, '.');
      g_autoptr(MailsyncFolder) inbox = NULL;
      g_autoptr(MailsyncMessageInfo) in = mailsync_message_info_new (7, NULL, MAILSYNC_FLAG_SEEN, NULL, 0, 0);

      g_setenv ("MAILSYNC_CRASH_AT", step, TRUE);
      if (!repo_open (repo, &error) || (inbox = repo_create (repo, "INBOX", &error)) == NULL)
        _exit (1);
      if (what == 0)
        {
          g_autoptr(MailsyncMessageInfo) out = folder_append (inbox, in, "x\r\n", -1, &error);
        }
      else
        {
          g_autoptr(GPtrArray) infos = folder_list (inbox);
          g_autoptr(MailsyncMessageInfo) out = NULL;

          if (infos->len != 1)
            _exit (2);
          out = folder_set_uid (inbox, infos->pdata[0], 9, &error);
        }
      _exit (0);
    }
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* Whether tmp/ supports O_TMPFILE here (tmpfs, ext4, xfs, btrfs do). */
static gboolean
tmp_has_o_tmpfile (void)
{
  g_autofree char *tmp = g_build_filename (root, "INBOX", "tmp", NULL);
  int fd = open (tmp, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

  if (fd < 0)
    return FALSE;
  close (fd);
  return TRUE;
}

static void
check_crash_tmp_written (gboolean named)
{
  g_autoptr(MailsyncRepository) repo = NULL;
  g_autoptr(MailsyncFolder) inbox = NULL;
  g_autoptr(GPtrArray) infos = NULL;

  if (!can_fork_cleanly ())
    return;

  if (named)
    g_setenv ("MAILSYNC_TEST_MAILDIR_NAMED_TMP", "1", TRUE);
  ck_assert_int_eq (run_crashing_child ("maildir-tmp-written", 0), 77);
  g_unsetenv ("MAILSYNC_TEST_MAILDIR_NAMED_TMP");
  /* A nameless tmp/ file (O_TMPFILE) vanishes with the process; a named
   * one is left for the 36-hour cleanup. */
  if (named || !tmp_has_o_tmpfile ())
    ck_assert_uint_eq (count_files ("INBOX/tmp"), 1);
  else
    ck_assert_uint_eq (count_files ("INBOX/tmp"), 0);
  ck_assert_uint_eq (count_files ("INBOX/cur") + count_files ("INBOX/new"), 0);
  inbox = open_inbox (&repo, '.');
  infos = folder_list (inbox);
  ck_assert_uint_eq (infos->len, 0);  /* tmp/ is not mail: it is fetched again */
}

START_TEST (test_crash_tmp_written)
{
  check_crash_tmp_written (FALSE);
}
END_TEST

/* The same with a named tmp/ file, as where O_TMPFILE is missing. */
START_TEST (test_crash_tmp_written_named)
{
  check_crash_tmp_written (TRUE);
}
END_TEST

START_TEST (test_crash_delivered)
{
  g_autoptr(MailsyncRepository) repo = NULL;
  g_autoptr(MailsyncFolder) inbox = NULL;
  g_autoptr(GPtrArray) infos = NULL;

  if (!can_fork_cleanly ())
    return;

  ck_assert_int_eq (run_crashing_child ("maildir-delivered", 0), 77);
  ck_assert_uint_eq (count_files ("INBOX/tmp"), 0);
  ck_assert_uint_eq (count_files ("INBOX/cur"), 1);
  inbox = open_inbox (&repo, '.');
  infos = folder_list (inbox);
  ck_assert_uint_eq (infos->len, 1);
  ck_assert_uint_eq (mailsync_message_info_get_uid (infos->pdata[0]), 7);
}
END_TEST

START_TEST (test_crash_uid_set)
{
  g_autoptr(MailsyncRepository) repo = NULL;
  g_autoptr(MailsyncFolder) inbox = NULL;
  g_autoptr(GPtrArray) infos = NULL;

  if (!can_fork_cleanly ())
    return;

  put ("INBOX", "new/localmail", "local\n", 0);
  put ("INBOX", "cur/.keep", "", 0);
  put ("INBOX", "tmp/.keep", "", 0);
  ck_assert_int_eq (run_crashing_child ("maildir-uid-set", 1), 77);
  ck_assert (!exists ("INBOX", "new/localmail"));
  inbox = open_inbox (&repo, '.');
  infos = folder_list (inbox);
  ck_assert_uint_eq (infos->len, 1);
  ck_assert_uint_eq (mailsync_message_info_get_uid (infos->pdata[0]), 9);
}
END_TEST

static Suite *
maildir_suite (void)
{
  Suite *s = suite_create ("maildir");
  TCase *folder = tcase_create ("folder");

  tcase_add_checked_fixture (folder, setup, teardown);
  mailsync_test_add_crash_test (folder, test_crash_tmp_written);
  mailsync_test_add_crash_test (folder, test_crash_tmp_written_named);
  mailsync_test_add_crash_test (folder, test_crash_delivered);
  mailsync_test_add_crash_test (folder, test_crash_uid_set);
  suite_add_tcase (s, folder);
  return s;
}

int
main (void)
{
  return mailsync_test_run (maildir_suite ());
}
