/* Folder state without a sync (issue 10 item 2): folder info (counts,
 * special use, subscriptions) from a private Dovecot, with LIST-STATUS
 * and without any extension (variant "minimal": LIST + LSUB + STATUS),
 * and from a Maildir tree; the folder-changed signal of a watch, over
 * IDLE and by polling where the server has no IDLE (variant "minimal"),
 * for changes made by a second connection; a folder created or deleted
 * between the open and the first listing is (not) in that listing (the
 * LIST sent with the login is not used).
 *
 * Both Dovecot instances are started once, by main(), before the tests
 * fork. Without Dovecot the whole file is skipped. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

/* Generous: a loaded CI machine may be slow, and nothing here sleeps. */
#define DEADLINE_SECONDS 60

static MailsyncTestServer full_server;      /* every capability: LIST-STATUS, SPECIAL-USE, IDLE */
static MailsyncTestServer minimal_server;   /* IMAP4rev1 only: no LIST-EXTENDED, no IDLE */

static void
fill (const MailsyncTestServer *server, const char *folder, const char *count, const char *flags,
      gboolean subscribe)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = subscribe
    ? mailsync_test_harness (server, &error, "fill", "alice", folder, count, "--sizes", "small",
                             "--flags", flags, NULL)
    : mailsync_test_harness (server, &error, "fill", "alice", folder, count, "--sizes", "small",
                             "--flags", flags, "--no-subscribe", NULL);

  ck_assert_msg (ok, "fill %s: %s", folder, error ? error->message : "");
}

static MailsyncFolderInfo *
find_info (GPtrArray *infos, const char *name)
{
  for (guint i = 0; i < infos->len; i++)
    if (strcmp (mailsync_folder_info_get_name (infos->pdata[i]), name) == 0)
      return infos->pdata[i];
  ck_abort_msg ("folder %s not listed", name);
  return NULL;
}

/* ---- folder info over IMAP ------------------------------------------------- */

/* Both servers get the same folders; the full one announces their
 * special use (its config declares Sent, Trash, Drafts, Junk, Archive). */
static void
check_imap_info (const MailsyncTestServer *server, gboolean special_use)
{
  g_autoptr(MailsyncRepository) repo = mailsync_test_server_imap_repository (server, "Remote");
  g_autoptr(MailsyncFolder) junk = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;
  MailsyncFolderInfo *info;

  fill (server, "INBOX", "6", "none", TRUE);
  fill (server, "Sent", "4", "seen", TRUE);
  fill (server, "Work", "3", "none", FALSE);
  fill (server, "Work.Sub", "2", "seen", TRUE);
  junk = mailsync_repository_create_folder (repo, "Junk", NULL, &error);
  ck_assert_msg (junk != NULL, "%s", error ? error->message : "");

  infos = mailsync_repository_list_folder_info (repo, NULL, &error);
  ck_assert_msg (infos != NULL, "%s", error ? error->message : "");

  info = find_info (infos, "INBOX");
  ck_assert_int_eq (mailsync_folder_info_get_total (info), 6);
  ck_assert_int_eq (mailsync_folder_info_get_unseen (info), 6);
  /* \Recent is the first session's to see: known, at most the total */
  ck_assert (mailsync_folder_info_get_recent (info) >= 0 && mailsync_folder_info_get_recent (info) <= 6);
  ck_assert_int_eq (mailsync_folder_info_get_role (info), MAILSYNC_FOLDER_ROLE_INBOX);
  ck_assert (mailsync_folder_info_is_selectable (info));

  info = find_info (infos, "Sent");
  ck_assert_int_eq (mailsync_folder_info_get_total (info), 4);
  ck_assert_int_eq (mailsync_folder_info_get_unseen (info), 0);
  /* Dovecot names the special use in a plain LIST too (it only stops
   * advertising the capability) */
  ck_assert_int_eq (mailsync_folder_info_get_role (info), MAILSYNC_FOLDER_ROLE_SENT);
  ck_assert (mailsync_folder_info_is_subscribed (info));

  info = find_info (infos, "Work");
  ck_assert_int_eq (mailsync_folder_info_get_total (info), 3);
  ck_assert_int_eq (mailsync_folder_info_get_unseen (info), 3);
  ck_assert_int_eq (mailsync_folder_info_get_role (info), MAILSYNC_FOLDER_ROLE_NONE);
  ck_assert (!mailsync_folder_info_is_subscribed (info));
  ck_assert_int_eq (mailsync_folder_info_get_separator (info), '.');
  if (special_use)
    /* CHILDREN is a LIST-EXTENDED return option; plain LIST may omit it */
    ck_assert (mailsync_folder_info_has_children (info));

  info = find_info (infos, "Work.Sub");
  ck_assert_str_eq (mailsync_folder_info_get_display_name (info), "Sub");
  ck_assert_int_eq (mailsync_folder_info_get_total (info), 2);
  ck_assert_int_eq (mailsync_folder_info_get_unseen (info), 0);
  ck_assert (mailsync_folder_info_is_subscribed (info));

  info = find_info (infos, "Junk");
  ck_assert_int_eq (mailsync_folder_info_get_total (info), 0);
  ck_assert_int_eq (mailsync_folder_info_get_role (info), MAILSYNC_FOLDER_ROLE_JUNK);
  ck_assert (!mailsync_folder_info_is_subscribed (info));
  ck_assert (mailsync_repository_close (repo, NULL, NULL));
}

START_TEST (test_imap_info_list_status)
{
  check_imap_info (&full_server, TRUE);
}
END_TEST

START_TEST (test_imap_info_plain_list)
{
  check_imap_info (&minimal_server, FALSE);
}
END_TEST

/* ---- the folder list after a change by the client ----------------------------- */

static gboolean
listed (GPtrArray *folders, const char *name)
{
  for (guint i = 0; i < folders->len; i++)
    if (strcmp (mailsync_folder_get_name (folders->pdata[i]), name) == 0)
      return TRUE;
  return FALSE;
}

static GPtrArray *
list_folders (MailsyncRepository *repo)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *folders = mailsync_repository_list_folders (repo, NULL, &error);

  ck_assert_msg (folders != NULL, "list: %s", error ? error->message : "");
  return folders;
}

/* The LIST sent with the login (doc/design.md, the login pipeline)
 * answers before anything the client does after the open: a folder the
 * client creates, or deletes, between the open and its first listing is
 * in that first listing, or gone from it, as in any later one. */
static void
check_list_after_change (const MailsyncTestServer *server, const char *made, const char *gone)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) folders = NULL;

  fill (server, gone, "1", "none", TRUE);
  {
    g_autoptr(MailsyncRepository) repo = mailsync_test_server_imap_repository (server, "Client");
    g_autoptr(MailsyncFolder) folder = NULL;

    ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "open: %s", error ? error->message : "");
    folder = mailsync_repository_create_folder (repo, made, NULL, &error);
    ck_assert_msg (folder != NULL, "create %s: %s", made, error ? error->message : "");
    folders = list_folders (repo);
    ck_assert_msg (listed (folders, made), "%s was created after the open but is not listed", made);
    ck_assert (listed (folders, gone));
    ck_assert (mailsync_repository_close (repo, NULL, NULL));
  }
  g_clear_pointer (&folders, g_ptr_array_unref);
  {
    g_autoptr(MailsyncRepository) repo = mailsync_test_server_imap_repository (server, "Client");

    ck_assert_msg (mailsync_repository_open (repo, NULL, &error), "open: %s", error ? error->message : "");
    ck_assert_msg (mailsync_repository_delete_folder (repo, gone, NULL, &error), "delete %s: %s", gone,
                   error ? error->message : "");
    folders = list_folders (repo);
    ck_assert_msg (!listed (folders, gone), "%s was deleted after the open but is still listed", gone);
    ck_assert (listed (folders, made));
    ck_assert (mailsync_repository_close (repo, NULL, NULL));
  }
}

START_TEST (test_imap_list_after_change)
{
  check_list_after_change (&full_server, "MadeFull", "GoneFull");
}
END_TEST

START_TEST (test_imap_list_after_change_plain)
{
  check_list_after_change (&minimal_server, "MadePlain", "GonePlain");
}
END_TEST

/* ---- folder info of a Maildir ------------------------------------------------- */

static void
put (const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);

  mailsync_test_write_file (path, "From: a@example.org\n\nbody\n");
}

static void
make_maildir (const char *root, const char *folder)
{
  static const char *const subdirs[] = { "cur", "new", "tmp" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (root, folder, subdirs[i], NULL);
      ck_assert_int_eq (g_mkdir_with_parents (path, 0700), 0);
    }
}

START_TEST (test_maildir_info)
{
  g_autofree char *root = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("Local", root, '.');
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;
  MailsyncFolderInfo *info;

  /* Maildir++: the root is the inbox, folders are dot directories. */
  make_maildir (root, "");
  put (root, "new/1.a.host");
  put (root, "new/2.a.host");
  put (root, "cur/3.a.host:2,S");
  put (root, "cur/4.a.host:2,FS");
  put (root, "cur/5.a.host:2,F");
  make_maildir (root, ".Sent");
  put (root, ".Sent/cur/6.a.host:2,S");
  make_maildir (root, ".Spam");
  make_maildir (root, ".Deleted Messages");
  make_maildir (root, ".Work");
  make_maildir (root, ".Work.Drafts");
  put (root, ".Work.Drafts/cur/7.a.host:2,DS");

  infos = mailsync_repository_list_folder_info (repo, NULL, &error);
  ck_assert_msg (infos != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (infos->len, 6);

  info = find_info (infos, "");
  ck_assert_int_eq (mailsync_folder_info_get_role (info), MAILSYNC_FOLDER_ROLE_INBOX);
  ck_assert_int_eq (mailsync_folder_info_get_total (info), 5);
  ck_assert_int_eq (mailsync_folder_info_get_unseen (info), 3);
  ck_assert_int_eq (mailsync_folder_info_get_recent (info), 2);
  ck_assert (mailsync_folder_info_is_subscribed (info));

  info = find_info (infos, ".Sent");
  ck_assert_int_eq (mailsync_folder_info_get_role (info), MAILSYNC_FOLDER_ROLE_SENT);
  ck_assert_int_eq (mailsync_folder_info_get_total (info), 1);
  ck_assert_int_eq (mailsync_folder_info_get_unseen (info), 0);
  ck_assert_str_eq (mailsync_folder_info_get_display_name (info), "Sent");

  ck_assert_int_eq (mailsync_folder_info_get_role (find_info (infos, ".Spam")), MAILSYNC_FOLDER_ROLE_JUNK);
  ck_assert_int_eq (mailsync_folder_info_get_role (find_info (infos, ".Deleted Messages")),
                    MAILSYNC_FOLDER_ROLE_TRASH);
  info = find_info (infos, ".Work");
  ck_assert_int_eq (mailsync_folder_info_get_role (info), MAILSYNC_FOLDER_ROLE_NONE);
  ck_assert_int_eq (mailsync_folder_info_get_total (info), 0);
  ck_assert (mailsync_folder_info_has_children (info));
  info = find_info (infos, ".Work.Drafts");
  ck_assert_int_eq (mailsync_folder_info_get_role (info), MAILSYNC_FOLDER_ROLE_DRAFTS);
  ck_assert (!mailsync_folder_info_has_children (info));
  mailsync_test_rm_rf (root);
}
END_TEST

/* ---- folder-changed ----------------------------------------------------------- */

typedef struct
{
  GArray *added;       /* guint32 uids (0 for a keyless Maildir message) */
  GArray *changed;
  GArray *removed;
  MailsyncFlags last_flags;
  guint signals;
  gboolean ended;
  GError *end_error;
} Seen;

static void
collect (GArray *into, GPtrArray *infos, MailsyncFlags *flags)
{
  for (guint i = 0; i < infos->len; i++)
    {
      guint32 uid = mailsync_message_info_get_uid (infos->pdata[i]);
      g_array_append_val (into, uid);
      if (flags != NULL)
        *flags = mailsync_message_info_get_flags (infos->pdata[i]);
    }
}

static void
on_changed (MailsyncFolder *folder, MailsyncFolderChanges *changes, Seen *seen)
{
  GPtrArray *added = mailsync_folder_changes_get_added (changes);
  GPtrArray *changed = mailsync_folder_changes_get_flags_changed (changes);
  GPtrArray *removed = mailsync_folder_changes_get_removed (changes);

  ck_assert (added->len + changed->len + removed->len > 0);
  collect (seen->added, added, NULL);
  collect (seen->changed, changed, &seen->last_flags);
  collect (seen->removed, removed, NULL);
  seen->signals++;
}

static void
on_watch_ended (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Seen *seen = user_data;

  ck_assert (!mailsync_folder_watch_finish (MAILSYNC_FOLDER (source), result, &seen->end_error));
  seen->ended = TRUE;
}

static void
seen_reset (Seen *seen)
{
  g_array_set_size (seen->added, 0);
  g_array_set_size (seen->changed, 0);
  g_array_set_size (seen->removed, 0);
}

typedef gboolean (*Cond) (gpointer data);

static gboolean
wake (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the thread-default context until @cond holds or the deadline
 * passes; no sleeping: the context wakes for the watch's own sources. */
static gboolean
iterate_until (Cond cond, gpointer data)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean timed_out = FALSE;
  GSource *timer = g_timeout_source_new_seconds (DEADLINE_SECONDS);

  g_source_set_callback (timer, wake, &timed_out, NULL);
  g_source_attach (timer, context);
  while (!cond (data) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  return cond (data);
}

static gboolean
is_watching (gpointer folder)
{
  return mailsync_folder_is_watching (folder);
}

static gboolean
has_added (gpointer data)
{
  return ((Seen *) data)->added->len > 0;
}

static gboolean
has_changed (gpointer data)
{
  return ((Seen *) data)->changed->len > 0;
}

static gboolean
has_removed (gpointer data)
{
  return ((Seen *) data)->removed->len > 0;
}

static gboolean
has_ended (gpointer data)
{
  return ((Seen *) data)->ended;
}

static GInputStream *
message_stream (void)
{
  static const char text[] = "From: watcher@example.org\r\nSubject: watched\r\n\r\nhello\r\n";

  return g_memory_input_stream_new_from_data (text, sizeof text - 1, NULL);
}

/* Watches Watch through one connection and changes it through another:
 * each change must arrive as exactly that change. */
static void
check_watch (const MailsyncTestServer *server, guint poll_seconds)
{
  g_autoptr(MailsyncRepository) watcher = mailsync_test_server_imap_repository (server, "Watcher");
  g_autoptr(MailsyncRepository) changer = mailsync_test_server_imap_repository (server, "Changer");
  g_autoptr(MailsyncFolder) watched = NULL;
  g_autoptr(MailsyncFolder) folder = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MailsyncMessageInfo) wanted = mailsync_message_info_new (0, NULL, 0, NULL, 0, 0);
  g_autoptr(MailsyncMessageInfo) stored = NULL;
  g_autoptr(GInputStream) content = message_stream ();
  g_autoptr(GError) error = NULL;
  Seen seen = { g_array_new (FALSE, FALSE, sizeof (guint32)), g_array_new (FALSE, FALSE, sizeof (guint32)),
                g_array_new (FALSE, FALSE, sizeof (guint32)), 0, 0, FALSE, NULL };
  guint32 uid;

  g_main_context_push_thread_default (context);
  fill (server, "Watch", "2", "none", TRUE);
  watched = mailsync_repository_create_folder (watcher, "Watch", NULL, &error);
  ck_assert_msg (watched != NULL, "%s", error ? error->message : "");
  folder = mailsync_repository_create_folder (changer, "Watch", NULL, &error);
  ck_assert_msg (folder != NULL, "%s", error ? error->message : "");

  g_signal_connect (watched, "folder-changed", G_CALLBACK (on_changed), &seen);
  mailsync_folder_watch_async (watched, poll_seconds, cancellable, on_watch_ended, &seen);
  ck_assert_msg (iterate_until (is_watching, watched), "the watch did not start");
  ck_assert_uint_eq (seen.signals, 0);

  /* a new message */
  stored = mailsync_folder_append_message (folder, wanted, content, NULL, &error);
  ck_assert_msg (stored != NULL, "%s", error ? error->message : "");
  uid = mailsync_message_info_get_uid (stored);
  ck_assert_uint_ne (uid, 0);
  ck_assert_msg (iterate_until (has_added, &seen), "no folder-changed for the new message");
  ck_assert_uint_eq (seen.added->len, 1);
  ck_assert_uint_eq (g_array_index (seen.added, guint32, 0), uid);
  ck_assert_uint_eq (seen.changed->len, 0);
  ck_assert_uint_eq (seen.removed->len, 0);
  seen_reset (&seen);

  /* a flag */
  ck_assert (mailsync_folder_set_flags (folder, &uid, 1, MAILSYNC_FLAG_FLAGGED, 0, NULL, &error));
  ck_assert_msg (iterate_until (has_changed, &seen), "no folder-changed for the flag");
  ck_assert_uint_eq (seen.changed->len, 1);
  ck_assert_uint_eq (g_array_index (seen.changed, guint32, 0), uid);
  ck_assert (seen.last_flags & MAILSYNC_FLAG_FLAGGED);
  ck_assert_uint_eq (seen.added->len, 0);
  ck_assert_uint_eq (seen.removed->len, 0);
  seen_reset (&seen);

  /* an expunge: STORE \Deleted + UID EXPUNGE, so a report of the \Deleted
   * flag may come first; nothing but this message may be named */
  ck_assert (mailsync_folder_delete_messages (folder, &uid, 1, NULL, &error));
  ck_assert_msg (iterate_until (has_removed, &seen), "no folder-changed for the expunge");
  ck_assert_uint_eq (seen.removed->len, 1);
  ck_assert_uint_eq (g_array_index (seen.removed, guint32, 0), uid);
  ck_assert_uint_eq (seen.added->len, 0);
  for (guint i = 0; i < seen.changed->len; i++)
    ck_assert_uint_eq (g_array_index (seen.changed, guint32, i), uid);

  /* the end: by the cancellable, reported once */
  g_cancellable_cancel (cancellable);
  ck_assert_msg (iterate_until (has_ended, &seen), "the watch did not end");
  ck_assert (g_error_matches (seen.end_error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert (!mailsync_folder_is_watching (watched));

  g_clear_error (&seen.end_error);
  g_array_unref (seen.added);
  g_array_unref (seen.changed);
  g_array_unref (seen.removed);
  mailsync_repository_close (watcher, NULL, NULL);
  mailsync_repository_close (changer, NULL, NULL);
  g_main_context_pop_thread_default (context);
}

START_TEST (test_watch_idle)
{
  /* a 600 s poll: only IDLE can report within the deadline */
  check_watch (&full_server, 600);
}
END_TEST

START_TEST (test_watch_poll)
{
  /* no IDLE on this server: the watch polls every second */
  check_watch (&minimal_server, 1);
}
END_TEST

START_TEST (test_watch_maildir)
{
  g_autofree char *root = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncRepository) repo = mailsync_maildir_repository_new ("Local", root, '.');
  g_autoptr(MailsyncFolder) folder = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  Seen seen = { g_array_new (FALSE, FALSE, sizeof (guint32)), g_array_new (FALSE, FALSE, sizeof (guint32)),
                g_array_new (FALSE, FALSE, sizeof (guint32)), 0, 0, FALSE, NULL };

  g_main_context_push_thread_default (context);
  make_maildir (root, ".Box");
  put (root, ".Box/cur/1.a.host:2,S");
  folder = mailsync_repository_create_folder (repo, ".Box", NULL, &error);
  ck_assert_msg (folder != NULL, "%s", error ? error->message : "");
  g_signal_connect (folder, "folder-changed", G_CALLBACK (on_changed), &seen);
  mailsync_folder_watch_async (folder, 1, cancellable, on_watch_ended, &seen);
  ck_assert_msg (iterate_until (is_watching, folder), "the watch did not start");

  put (root, ".Box/new/2.a.host");
  ck_assert_msg (iterate_until (has_added, &seen), "no folder-changed for the new file");
  ck_assert_uint_eq (seen.added->len, 1);
  ck_assert_uint_eq (seen.removed->len, 0);
  seen_reset (&seen);

  path = g_build_filename (root, ".Box", "cur", "1.a.host:2,S", NULL);
  ck_assert_int_eq (g_unlink (path), 0);
  ck_assert_msg (iterate_until (has_removed, &seen), "no folder-changed for the removed file");
  ck_assert_uint_eq (seen.removed->len, 1);
  ck_assert_uint_eq (seen.added->len, 0);

  g_cancellable_cancel (cancellable);
  ck_assert_msg (iterate_until (has_ended, &seen), "the watch did not end");
  ck_assert (g_error_matches (seen.end_error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&seen.end_error);
  g_array_unref (seen.added);
  g_array_unref (seen.changed);
  g_array_unref (seen.removed);
  g_main_context_pop_thread_default (context);
  mailsync_test_rm_rf (root);
}
END_TEST

START_TEST (test_harness_started)
{
  ck_abort_msg ("/usr/sbin/dovecot exists but tests/harness/dovecot-harness did not start "
                "the default and minimal servers (its output is above)");
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("folder-info");
  TCase *tc;
  g_autofree char *base = NULL;
  gboolean have_dovecot, have_servers;
  int status;

  base = g_dir_make_tmp ("mailsync-folder-info-XXXXXX", NULL);
  g_assert (base != NULL);
  /* The harness wants every ancestor searchable by Dovecot's users. */
  g_chmod (base, 0755);
  have_dovecot = g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE);
  have_servers = have_dovecot &&
                 mailsync_test_server_start (&full_server, "default", base) &&
                 mailsync_test_server_start (&minimal_server, "minimal", base);

  tc = tcase_create ("maildir");
  tcase_add_test (tc, test_maildir_info);
  tcase_add_test (tc, test_watch_maildir);
  suite_add_tcase (suite, tc);
  if (have_servers)
    {
      tc = tcase_create ("imap");
      tcase_set_timeout (tc, 3 * DEADLINE_SECONDS);
      tcase_add_test (tc, test_imap_info_list_status);
      tcase_add_test (tc, test_imap_info_plain_list);
      tcase_add_test (tc, test_imap_list_after_change);
      tcase_add_test (tc, test_imap_list_after_change_plain);
      tcase_add_test (tc, test_watch_idle);
      tcase_add_test (tc, test_watch_poll);
      suite_add_tcase (suite, tc);
    }
  else if (have_dovecot)
    {
      /* Dovecot is there but the harness did not start: a failure, not a
       * skip (that would hide every IMAP case). */
      tc = tcase_create ("imap");
      tcase_add_test (tc, test_harness_started);
      suite_add_tcase (suite, tc);
    }
  else
    {
      /* Each IMAP case is a SKIP with the reason, never missing. */
      tc = tcase_create ("imap");
      mailsync_test_add_skipped_test (tc, test_imap_info_list_status, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_imap_info_plain_list, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_imap_list_after_change, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_imap_list_after_change_plain, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_watch_idle, MAILSYNC_TEST_NO_DOVECOT);
      mailsync_test_add_skipped_test (tc, test_watch_poll, MAILSYNC_TEST_NO_DOVECOT);
      suite_add_tcase (suite, tc);
    }
  status = mailsync_test_run (suite);
  mailsync_test_server_stop (&full_server);
  mailsync_test_server_stop (&minimal_server);
  g_rmdir (base);
  return status;
}
