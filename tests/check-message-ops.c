/* Message operations of the public API (issue 10 item 4): copy, move and
 * expunge inside one repository, on the harness Dovecot with MOVE (UID
 * MOVE) and without it (variant "nomove": UID COPY + UID STORE \Deleted +
 * UID EXPUNGE of exactly those UIDs), on Maildir (rename into cur/), and
 * G_IO_ERROR_NOT_SUPPORTED from a backend that has neither.
 *
 * Both Dovecot instances are started once, by main(), before the tests
 * fork. Without Dovecot the IMAP cases are skipped. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync-test-backend.h"
#include "mailsync.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>


static MailsyncTestServer move_server;     /* default: MOVE and UIDPLUS */
static MailsyncTestServer nomove_server;   /* MOVE not advertised */

static GInputStream *
message (const char *subject)
{
  char *text = g_strdup_printf ("From: ops@example.org\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n"
                                "\r\nbody of %s\r\n", subject, subject, subject);

  return g_memory_input_stream_new_from_data (text, strlen (text), g_free);
}

static guint32
append (MailsyncFolder *folder, guint32 uid, const char *subject, MailsyncFlags flags)
{
  g_autoptr(MailsyncMessageInfo) info = mailsync_message_info_new (uid, NULL, flags, NULL, 0, 1700000000);
  g_autoptr(MailsyncMessageInfo) stored = NULL;
  g_autoptr(GInputStream) content = message (subject);
  g_autoptr(GError) error = NULL;

  stored = mailsync_folder_append_message (folder, info, content, NULL, &error);
  ck_assert_msg (stored != NULL, "append %s: %s", subject, error ? error->message : "");
  return uid != 0 ? uid : mailsync_message_info_get_uid (stored);
}

static GPtrArray *
list (MailsyncFolder *folder)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *messages = mailsync_folder_list_messages (folder, NULL, &error);

  ck_assert_msg (messages != NULL, "list %s: %s", mailsync_folder_get_name (folder), error ? error->message : "");
  return messages;
}

static MailsyncMessageInfo *
find (GPtrArray *messages, guint32 uid)
{
  for (guint i = 0; i < messages->len; i++)
    if (mailsync_message_info_get_uid (messages->pdata[i]) == uid)
      return messages->pdata[i];
  return NULL;
}

static char *
content_of (MailsyncFolder *folder, MailsyncMessageInfo *info)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = mailsync_folder_fetch_message (folder, info, NULL, &error);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

  ck_assert_msg (in != NULL, "fetch: %s", error ? error->message : "");
  ck_assert (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error) >= 0);
  return g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                    g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
}

/* The only message of @folder whose content mentions @subject. */
static MailsyncMessageInfo *
find_subject (MailsyncFolder *folder, GPtrArray *messages, const char *subject)
{
  g_autofree char *needle = g_strdup_printf ("Subject: %s\r", subject);
  g_autofree char *needle_lf = g_strdup_printf ("Subject: %s\n", subject);
  MailsyncMessageInfo *found = NULL;

  for (guint i = 0; i < messages->len; i++)
    {
      g_autofree char *text = content_of (folder, messages->pdata[i]);

      if (strstr (text, needle) || strstr (text, needle_lf))
        {
          ck_assert_msg (found == NULL, "two messages with subject %s", subject);
          found = messages->pdata[i];
        }
    }
  return found;
}

/* ---- IMAP ------------------------------------------------------------------ */

static void
check_imap (const MailsyncTestServer *server, const char *prefix)
{
  g_autoptr(MailsyncRepository) repo = mailsync_test_server_imap_repository (server, "Remote");
  g_autoptr(MailsyncFolder) src = NULL;
  g_autoptr(MailsyncFolder) dst = NULL;
  g_autoptr(GPtrArray) src_list = NULL;
  g_autoptr(GPtrArray) dst_list = NULL;
  g_autoptr(GArray) copied = NULL;
  g_autoptr(GArray) moved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *src_name = g_strconcat (prefix, "Src", NULL);
  g_autofree char *dst_name = g_strconcat (prefix, "Dst", NULL);
  guint32 a, b, c, foreign;
  MailsyncMessageInfo *info;

  src = mailsync_repository_create_folder (repo, src_name, NULL, &error);
  ck_assert_msg (src != NULL, "%s", error ? error->message : "");
  dst = mailsync_repository_create_folder (repo, dst_name, NULL, &error);
  ck_assert_msg (dst != NULL, "%s", error ? error->message : "");
  a = append (src, 0, "alpha", MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_FLAGGED);
  b = append (src, 0, "beta", MAILSYNC_FLAG_SEEN);
  c = append (src, 0, "gamma", 0);
  foreign = append (src, 0, "foreign", 0);
  ck_assert (a != 0 && b != 0 && c != 0 && foreign != 0);
  /* Another client's \Deleted message: a move must not expunge it. */
  ck_assert (mailsync_folder_set_flags (src, &foreign, 1, MAILSYNC_FLAG_DELETED, 0, NULL, &error));

  copied = mailsync_folder_copy_messages (src, &a, 1, dst, NULL, &error);
  ck_assert_msg (copied != NULL, "copy: %s", error ? error->message : "");
  ck_assert_uint_eq (copied->len, 1);
  ck_assert_uint_ne (g_array_index (copied, guint32, 0), 0);    /* COPYUID */

  {
    guint32 both[] = { b, c };
    moved = mailsync_folder_move_messages (src, both, 2, dst, NULL, &error);
  }
  ck_assert_msg (moved != NULL, "move: %s", error ? error->message : "");
  ck_assert_uint_eq (moved->len, 2);
  ck_assert_uint_ne (g_array_index (moved, guint32, 0), 0);
  ck_assert_uint_ne (g_array_index (moved, guint32, 1), 0);
  ck_assert_uint_ne (g_array_index (moved, guint32, 0), g_array_index (moved, guint32, 1));

  src_list = list (src);
  ck_assert_uint_eq (src_list->len, 2);   /* alpha (copied) and the foreign one */
  ck_assert (find (src_list, a) != NULL);
  ck_assert (find (src_list, foreign) != NULL);
  ck_assert (find (src_list, b) == NULL && find (src_list, c) == NULL);

  dst_list = list (dst);
  ck_assert_uint_eq (dst_list->len, 3);
  info = find (dst_list, g_array_index (copied, guint32, 0));
  ck_assert (info != NULL);
  ck_assert_uint_eq (mailsync_message_info_get_flags (info) & (MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_FLAGGED),
                     MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_FLAGGED);
  {
    g_autofree char *text = content_of (dst, info);
    ck_assert_msg (strstr (text, "Subject: alpha") != NULL, "%s", text);
  }
  info = find (dst_list, g_array_index (moved, guint32, 0));
  ck_assert (info != NULL);
  ck_assert (mailsync_message_info_get_flags (info) & MAILSYNC_FLAG_SEEN);
  ck_assert (!(mailsync_message_info_get_flags (info) & MAILSYNC_FLAG_DELETED));
  {
    g_autofree char *text = content_of (dst, info);
    ck_assert_msg (strstr (text, "Subject: beta") != NULL, "%s", text);
  }
  ck_assert (find (dst_list, g_array_index (moved, guint32, 1)) != NULL);

  /* Expunge removes what is marked \Deleted, and only that. */
  ck_assert_msg (mailsync_folder_expunge (src, NULL, &error), "%s", error ? error->message : "");
  g_clear_pointer (&src_list, g_ptr_array_unref);
  src_list = list (src);
  ck_assert_uint_eq (src_list->len, 1);
  ck_assert (find (src_list, a) != NULL);

  /* Another repository's folder is refused. */
  {
    g_autofree char *root = g_dir_make_tmp ("mailsync-ops-XXXXXX", NULL);
    g_autoptr(MailsyncRepository) local = mailsync_maildir_repository_new ("Local", root, '.');
    g_autoptr(MailsyncFolder) other = mailsync_repository_create_folder (local, "Other", NULL, &error);
    g_autoptr(GArray) none = NULL;

    ck_assert_msg (other != NULL, "%s", error ? error->message : "");
    none = mailsync_folder_move_messages (src, &a, 1, other, NULL, &error);
    ck_assert (none == NULL);
    ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
    g_clear_error (&error);
    mailsync_test_rm_rf (root);
  }
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
}

START_TEST (test_imap_move)
{
  check_imap (&move_server, "M");
}
END_TEST

/* Without MOVE: UID COPY, then the originals are marked and UID EXPUNGEd;
 * the foreign \Deleted message survives (checked in check_imap), and the
 * server log shows no MOVE command was needed. */
START_TEST (test_imap_fallback)
{
  ck_assert (!strstr (mailsync_test_server_env (&nomove_server, "DOVECOT_CAPS"), "MOVE"));
  check_imap (&nomove_server, "F");
}
END_TEST

/* ---- Maildir ----------------------------------------------------------------- */

START_TEST (test_maildir)
{
  g_autofree char *root = g_dir_make_tmp ("mailsync-ops-XXXXXX", NULL);
  g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("Local", root, '.');
  g_autoptr(MailsyncFolder) src = NULL;
  g_autoptr(MailsyncFolder) dst = NULL;
  g_autoptr(GPtrArray) src_list = NULL;
  g_autoptr(GPtrArray) dst_list = NULL;
  g_autoptr(GArray) copied = NULL;
  g_autoptr(GArray) moved = NULL;
  g_autoptr(GError) error = NULL;
  guint32 uids[] = { 1, 2, 3 };
  MailsyncMessageInfo *info;

  src = mailsync_repository_create_folder (repo, "Src", NULL, &error);
  ck_assert_msg (src != NULL, "%s", error ? error->message : "");
  dst = mailsync_repository_create_folder (repo, "Dst", NULL, &error);
  ck_assert_msg (dst != NULL, "%s", error ? error->message : "");
  append (src, 1, "alpha", MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_FLAGGED);
  append (src, 2, "beta", MAILSYNC_FLAG_ANSWERED);
  append (src, 3, "gamma", MAILSYNC_FLAG_DELETED);

  copied = mailsync_folder_copy_messages (src, &uids[0], 1, dst, NULL, &error);
  ck_assert_msg (copied != NULL, "copy: %s", error ? error->message : "");
  ck_assert_uint_eq (copied->len, 1);
  /* The destination has no UID for it until a sync gives one. */
  ck_assert_uint_eq (g_array_index (copied, guint32, 0), 0);
  moved = mailsync_folder_move_messages (src, &uids[1], 1, dst, NULL, &error);
  ck_assert_msg (moved != NULL, "move: %s", error ? error->message : "");
  ck_assert_uint_eq (moved->len, 1);

  src_list = list (src);
  ck_assert_uint_eq (src_list->len, 2);
  ck_assert (find (src_list, 1) != NULL && find (src_list, 3) != NULL);
  dst_list = list (dst);
  ck_assert_uint_eq (dst_list->len, 2);
  /* new mail there: uid 0, a key in cur/, the flags kept */
  info = find_subject (dst, dst_list, "alpha");
  ck_assert (info != NULL);
  ck_assert_uint_eq (mailsync_message_info_get_uid (info), 0);
  ck_assert (g_str_has_prefix (mailsync_message_info_get_key (info), "cur/"));
  ck_assert_uint_eq (mailsync_message_info_get_flags (info), MAILSYNC_FLAG_SEEN | MAILSYNC_FLAG_FLAGGED);
  ck_assert (strstr (mailsync_message_info_get_key (info), ",U=") == NULL);
  info = find_subject (dst, dst_list, "beta");
  ck_assert (info != NULL);
  ck_assert_uint_eq (mailsync_message_info_get_uid (info), 0);
  ck_assert_uint_eq (mailsync_message_info_get_flags (info), MAILSYNC_FLAG_ANSWERED);

  /* A message that is not there is an error, not a silent success. */
  {
    g_autoptr(GArray) none = mailsync_folder_move_messages (src, &uids[1], 1, dst, NULL, &error);
    ck_assert (none == NULL);
    ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND));
    g_clear_error (&error);
  }
  /* Moving into itself is refused. */
  {
    g_autoptr(GArray) none = mailsync_folder_move_messages (src, &uids[0], 1, src, NULL, &error);
    ck_assert (none == NULL);
    ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
    g_clear_error (&error);
  }

  /* Expunge: the trashed (T) message goes, the others stay. */
  ck_assert_msg (mailsync_folder_expunge (src, NULL, &error), "%s", error ? error->message : "");
  g_clear_pointer (&src_list, g_ptr_array_unref);
  src_list = list (src);
  ck_assert_uint_eq (src_list->len, 1);
  ck_assert (find (src_list, 1) != NULL);
  mailsync_test_rm_rf (root);
}
END_TEST

/* ---- a backend without them ---------------------------------------------------- */

START_TEST (test_not_supported)
{
  g_autoptr(MailsyncRepository) repo = mailsync_test_repository_new ("Test", 0, FALSE);
  MailsyncTestFolder *a = mailsync_test_repository_add_folder (MAILSYNC_TEST_REPOSITORY (repo), "A");
  MailsyncTestFolder *b = mailsync_test_repository_add_folder (MAILSYNC_TEST_REPOSITORY (repo), "B");
  guint32 uid = mailsync_test_folder_add (a, "Subject: x\r\n\r\nx\r\n", "");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) none = NULL;

  none = mailsync_folder_copy_messages (MAILSYNC_FOLDER (a), &uid, 1, MAILSYNC_FOLDER (b), NULL, &error);
  ck_assert (none == NULL);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED));
  g_clear_error (&error);
  none = mailsync_folder_move_messages (MAILSYNC_FOLDER (a), &uid, 1, MAILSYNC_FOLDER (b), NULL, &error);
  ck_assert (none == NULL);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED));
  g_clear_error (&error);
  ck_assert (!mailsync_folder_expunge (MAILSYNC_FOLDER (a), NULL, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED));
  g_clear_error (&error);
  /* nothing to do is done at once, whatever the backend */
  none = mailsync_folder_move_messages (MAILSYNC_FOLDER (a), NULL, 0, MAILSYNC_FOLDER (b), NULL, &error);
  ck_assert (none != NULL);
  ck_assert_uint_eq (none->len, 0);
  ck_assert_uint_eq (mailsync_test_folder_count (a), 1);
  /* The test backend's folders and repository hold each other (as in
   * check-sync-engine): dispose breaks the cycle. */
  g_object_run_dispose (G_OBJECT (repo));
}
END_TEST

START_TEST (test_harness_started)
{
  ck_abort_msg ("/usr/sbin/dovecot exists but tests/harness/dovecot-harness did not start "
                "the default and nomove servers (its output is above)");
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("message-ops");
  TCase *tc;
  g_autofree char *base = NULL;
  gboolean have_dovecot, have_servers;
  int status;

  base = g_dir_make_tmp ("mailsync-message-ops-XXXXXX", NULL);
  g_assert (base != NULL);
  /* The harness wants every ancestor searchable by Dovecot's users. */
  g_chmod (base, 0755);
  have_dovecot = g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE);
  have_servers = have_dovecot &&
                 mailsync_test_server_start (&move_server, "default", base) &&
                 mailsync_test_server_start (&nomove_server, "nomove", base);

  tc = tcase_create ("local");
  tcase_add_test (tc, test_maildir);
  tcase_add_test (tc, test_not_supported);
  suite_add_tcase (suite, tc);
  if (have_servers)
    {
      tc = tcase_create ("imap");
      tcase_set_timeout (tc, 180);
      tcase_add_test (tc, test_imap_move);
      tcase_add_test (tc, test_imap_fallback);
      suite_add_tcase (suite, tc);
    }
  else if (have_dovecot)
    {
      tc = tcase_create ("imap");
      tcase_add_test (tc, test_harness_started);
      suite_add_tcase (suite, tc);
    }
  else
    {
      /* Each IMAP case is a SKIP with the reason, never missing. */
      tc = tcase_create ("imap");
      mailsync_test_add_skipped_test (tc, test_imap_move, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_imap_fallback, MAILSYNC_TEST_NO_DOVECOT);
      suite_add_tcase (suite, tc);
    }
  status = mailsync_test_run (suite);
  mailsync_test_server_stop (&move_server);
  mailsync_test_server_stop (&nomove_server);
  g_rmdir (base);
  return status;
}
