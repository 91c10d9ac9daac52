/* Maildir repository: folders listed, created, deleted; offlineimap's own
 * layout. Split from check-maildir-folder.c. */
#include "config.h"

#include <errno.h>
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


START_TEST (test_missing_root)
{
  g_autofree char *missing = g_build_filename (root, "not-mounted", NULL);
  g_autofree char *file = g_build_filename (root, "plain-file", NULL);
  g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("local", missing, '.');
  g_autoptr(MailsyncRepository) repo2 = mailsync_maildir_repository_new ("local", file, '.');
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) folders = NULL;

  /* rule 1: a missing root is an error naming the path, never an empty store */
  ck_assert (!repo_open (repo, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  ck_assert_ptr_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  folders = repo_list (repo, &error);
  ck_assert_ptr_null (folders);
  ck_assert_ptr_nonnull (error);
  g_clear_error (&error);

  mailsync_test_write_file (file, "x");
  ck_assert (!repo_open (repo2, &error));
  ck_assert_ptr_nonnull (strstr (error->message, file));
}
END_TEST

START_TEST (test_list_folders_flat)
{
  g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("local", root, '.');
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *inbox_path = g_build_filename (root, "INBOX", NULL);

  make_maildir (root);
  make_maildir (inbox_path);
  {
    g_autofree char *p1 = g_build_filename (root, "A.B", NULL);
    g_autofree char *p2 = g_build_filename (root, ".Sent", NULL);
    g_autofree char *p3 = g_build_filename (root, "X", "Y", NULL);
    g_autofree char *p4 = g_build_filename (root, "notmaildir", "cur", NULL);
    make_maildir (p1);
    make_maildir (p2);
    make_maildir (p3);
    ck_assert_int_eq (g_mkdir_with_parents (p4, 0700), 0);
  }

  ck_assert (repo_open (repo, &error));
  folders = repo_list (repo, &error);
  ck_assert_msg (folders != NULL, "%s", error ? error->message : "?");
  ck_assert_uint_eq (folders->len, 4);
  ck_assert_str_eq (mailsync_folder_get_name (folders->pdata[0]), "");
  ck_assert_str_eq (mailsync_folder_get_name (folders->pdata[1]), ".Sent");
  ck_assert_str_eq (mailsync_folder_get_name (folders->pdata[2]), "A.B");
  ck_assert_str_eq (mailsync_folder_get_name (folders->pdata[3]), "INBOX");
  ck_assert_str_eq (mailsync_maildir_folder_get_path (folders->pdata[3]), inbox_path);
  ck_assert_str_eq (mailsync_maildir_folder_get_path (folders->pdata[0]), root);
}
END_TEST

START_TEST (test_list_folders_nested)
{
  g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("local", root, '/');
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncFolder) created = NULL;
  g_autofree char *deep = g_build_filename (root, "P", "Q", "R", "cur", NULL);

  {
    g_autofree char *p1 = g_build_filename (root, "INBOX", NULL);
    g_autofree char *p2 = g_build_filename (root, "A", "B", NULL);
    g_autofree char *p3 = g_build_filename (root, "A", NULL);
    g_autofree char *p4 = g_build_filename (root, "X", "Y", NULL);
    make_maildir (p1);
    make_maildir (p2);
    make_maildir (p3);
    make_maildir (p4);
  }
  ck_assert (repo_open (repo, &error));
  folders = repo_list (repo, &error);
  ck_assert_msg (folders != NULL, "%s", error ? error->message : "?");
  ck_assert_uint_eq (folders->len, 4);
  ck_assert_ptr_nonnull (folder_named (folders, "A"));
  ck_assert_ptr_nonnull (folder_named (folders, "A/B"));
  ck_assert_ptr_nonnull (folder_named (folders, "INBOX"));
  ck_assert_ptr_nonnull (folder_named (folders, "X/Y"));
  ck_assert_ptr_null (folder_named (folders, "X"));

  created = repo_create (repo, "P/Q/R", &error);
  ck_assert_msg (created != NULL, "%s", error ? error->message : "?");
  ck_assert (g_file_test (deep, G_FILE_TEST_IS_DIR));
  g_clear_pointer (&folders, g_ptr_array_unref);
  folders = repo_list (repo, &error);
  ck_assert_ptr_nonnull (folder_named (folders, "P/Q/R"));
}
END_TEST

START_TEST (test_create_and_unsafe_names)
{
  /* the store sits one level below the private temp dir, so that "nothing
   * escaped the root" looks at a parent nobody else writes to */
  g_autofree char *store = g_build_filename (root, "store", NULL);
  g_autoptr(MailsyncRepository) flat = NULL;
  g_autoptr(MailsyncRepository) nested = NULL;
  g_autoptr(MailsyncFolder) folder = NULL;
  g_autoptr(MailsyncFolder) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cur = g_build_filename (store, "Archive.2023", "cur", NULL);
  GStatBuf st;
  static const char *const flat_bad[] = { "..", ".", "../x", "/abs", "a/b", "a\nb", "tab\there", "cur", NULL };
  static const char *const nested_bad[] = { "..", "a/../b", "/abs", "a//b", "a/", "a/./b", "A/cur", "new", "x\x7f", NULL };

  ck_assert_int_eq (g_mkdir (store, 0700), 0);
  flat = mailsync_maildir_repository_new ("local", store, '.');
  nested = mailsync_maildir_repository_new ("nested", store, '/');
  folder = repo_create (flat, "Archive.2023", &error);
  ck_assert_msg (folder != NULL, "%s", error ? error->message : "?");
  ck_assert_str_eq (mailsync_folder_get_name (folder), "Archive.2023");
  ck_assert_int_eq (g_stat (cur, &st), 0);
  ck_assert_int_eq (st.st_mode & 0777, 0700);
  /* creating an existing folder is fine */
  again = repo_create (flat, "Archive.2023", &error);
  ck_assert_ptr_nonnull (again);

  for (guint i = 0; flat_bad[i]; i++)
    {
      g_autoptr(MailsyncFolder) f = repo_create (flat, flat_bad[i], &error);
      ck_assert_msg (f == NULL, "flat accepted %s", flat_bad[i]);
      ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME),
                     "flat %s: %s", flat_bad[i], error->message);
      g_clear_error (&error);
    }
  for (guint i = 0; nested_bad[i]; i++)
    {
      g_autoptr(MailsyncFolder) f = repo_create (nested, nested_bad[i], &error);
      ck_assert_msg (f == NULL, "nested accepted %s", nested_bad[i]);
      ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME),
                     "nested %s: %s", nested_bad[i], error->message);
      g_clear_error (&error);
    }
  /* nothing escaped the root */
  {
    g_autofree char *parent = g_path_get_dirname (store);
    g_autofree char *x = g_build_filename (parent, "x", NULL);
    ck_assert (!g_file_test (x, G_FILE_TEST_EXISTS));
  }
}
END_TEST

START_TEST (test_delete_folder)
{
  g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("local", root, '.');
  g_autoptr(MailsyncFolder) a = NULL;
  g_autoptr(MailsyncFolder) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *a_path = g_build_filename (root, "A", NULL);

  a = repo_create (repo, "A", &error);
  b = repo_create (repo, "B", &error);
  put ("A", "tmp/leftover", "x", 0);
  ck_assert (repo_delete (repo, "A", &error));
  ck_assert (!g_file_test (a_path, G_FILE_TEST_EXISTS));

  put ("B", "cur/1_0.1.h:2,S", "mail", 0);
  ck_assert (!repo_delete (repo, "B", &error));
  ck_assert_ptr_nonnull (error);
  g_clear_error (&error);
  ck_assert (exists ("B", "cur/1_0.1.h:2,S"));

  ck_assert (!repo_delete (repo, "Nope", &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FOLDER_NOT_FOUND));
}
END_TEST

/* An offlineimap Maildir (tests/data/maildir/offlineimap) is taken over as
 * it is: same UIDs, flags and new local mail, nothing renamed. */
START_TEST (test_offlineimap_fixture)
{
  g_autofree char *data = g_build_filename (TEST_SRCDIR, "data", "maildir", "offlineimap", NULL);
  g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("local", data, '.');
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GPtrArray) inbox_infos = NULL;
  g_autoptr(GPtrArray) archive_infos = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  MailsyncFolder *inbox;
  MailsyncFolder *archive;
  MailsyncMessageInfo *info;

  /* Read-only: listing must not touch the source tree. */
  mailsync_repository_set_readonly (repo, TRUE);
  ck_assert (repo_open (repo, &error));
  folders = repo_list (repo, &error);
  ck_assert_msg (folders != NULL, "%s", error ? error->message : "?");
  ck_assert_uint_eq (folders->len, 2);
  inbox = folder_named (folders, "INBOX");
  archive = folder_named (folders, "Archive.2023");
  ck_assert_ptr_nonnull (inbox);
  ck_assert_ptr_nonnull (archive);

  inbox_infos = folder_list (inbox);
  ck_assert_uint_eq (inbox_infos->len, 4);
  ck_assert_int_eq (mailsync_message_info_get_flags (info_with_uid (inbox_infos, 1)), MAILSYNC_FLAG_SEEN);
  ck_assert_int_eq (mailsync_message_info_get_flags (info_with_uid (inbox_infos, 2)), 0);
  ck_assert_int_eq (mailsync_message_info_get_flags (info_with_uid (inbox_infos, 3)),
                    MAILSYNC_FLAG_FLAGGED | MAILSYNC_FLAG_SEEN);
  info = info_with_key (inbox_infos, "new/1700000100.localmua.host");
  ck_assert_ptr_nonnull (info);
  ck_assert_uint_eq (mailsync_message_info_get_uid (info), 0);
  body = folder_fetch (inbox, info_with_uid (inbox_infos, 3), NULL);
  ck_assert_ptr_nonnull (strstr (body, "body three"));

  archive_infos = folder_list (archive);
  ck_assert_uint_eq (archive_infos->len, 1);
  ck_assert_int_eq (mailsync_message_info_get_flags (info_with_uid (archive_infos, 1)),
                    MAILSYNC_FLAG_ANSWERED | MAILSYNC_FLAG_SEEN);
}
END_TEST

/* Without check's fork mode this process may already run GLib worker
 * threads, and a forked child would inherit a thread pool without threads. */
static Suite *
maildir_suite (void)
{
  Suite *s = suite_create ("maildir");
  TCase *repo = tcase_create ("repository");

  tcase_add_checked_fixture (repo, setup, teardown);
  tcase_add_test (repo, test_missing_root);
  tcase_add_test (repo, test_list_folders_flat);
  tcase_add_test (repo, test_list_folders_nested);
  tcase_add_test (repo, test_create_and_unsafe_names);
  tcase_add_test (repo, test_delete_folder);
  tcase_add_test (repo, test_offlineimap_fixture);
  suite_add_tcase (s, repo);
  return s;
}

int
main (void)
{
  return mailsync_test_run (maildir_suite ());
}
