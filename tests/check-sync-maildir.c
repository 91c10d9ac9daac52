/* End-to-end Maildir <-> Maildir syncs in temporary directories, through
 * the public API, with the real SQLite status store. */
#include "config.h"

#include "mailsync-test.h"

#include <libmailsync/mailsync.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

typedef struct
{
  char *tmp, *remote_root, *local_root, *meta;
  guint changes;
  guint max_age;
  guint64 max_size;
  gboolean restore_atime;    /* MailsyncMaildirRepository:restore-atime on the local side */
  gboolean remove_deleted;   /* MailsyncAccount:remove-deleted-folders */
} Fixture;

static Fixture f;

static void
setup (void)
{
  f.tmp = mailsync_test_mkdtemp ();
  f.remote_root = g_build_filename (f.tmp, "remote", NULL);
  f.local_root = g_build_filename (f.tmp, "local", NULL);
  f.meta = g_build_filename (f.tmp, "meta", NULL);
  g_mkdir (f.remote_root, 0700);
  g_mkdir (f.local_root, 0700);
  f.max_age = 0;
  f.max_size = 0;
  f.restore_atime = FALSE;
  f.remove_deleted = FALSE;
}

static void
teardown (void)
{
  mailsync_test_rm_rf (f.tmp);
  g_free (f.tmp);
  g_free (f.remote_root);
  g_free (f.local_root);
  g_free (f.meta);
}

static void
on_event (MailsyncAccount *account, MailsyncSyncEvent *event, gpointer user_data)
{
  switch (mailsync_sync_event_get_kind (event))
    {
    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
    case MAILSYNC_SYNC_EVENT_MESSAGES_DELETED:
    case MAILSYNC_SYNC_EVENT_FLAGS_ADDED:
    case MAILSYNC_SYNC_EVENT_FLAGS_REMOVED:
    case MAILSYNC_SYNC_EVENT_FOLDER_CREATED:
      f.changes++;
      break;
    default:
      break;
    }
}

static gboolean
sync_accounts (const char *local_root, GError **error)
{
  g_autoptr(MailsyncRepository) remote = mailsync_maildir_repository_new ("Remote", f.remote_root, '.');
  g_autoptr(MailsyncRepository) local = mailsync_maildir_repository_new ("Local", local_root, '.');
  g_autofree char *status_dir = g_build_filename (f.meta, "Account-Test", "LocalStatus-sqlite", NULL);
  g_autoptr(MailsyncStatusStore) status = mailsync_status_sqlite_new (status_dir);
  g_autoptr(MailsyncAccount) account = NULL;

  mailsync_maildir_repository_set_assign_uids (MAILSYNC_MAILDIR_REPOSITORY (remote), TRUE);
  mailsync_maildir_repository_set_restore_atime (MAILSYNC_MAILDIR_REPOSITORY (local), f.restore_atime);
  account = mailsync_account_new ("Test", remote, local, status);
  mailsync_account_set_max_age (account, f.max_age);
  mailsync_account_set_max_size (account, f.max_size);
  mailsync_account_set_remove_deleted_folders (account, f.remove_deleted);
  g_signal_connect (account, "event", G_CALLBACK (on_event), NULL);
  f.changes = 0;
  return mailsync_account_sync (account, NULL, error);
}

static void
sync_ok (void)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (sync_accounts (f.local_root, &error), "sync: %s", error ? error->message : "?");
}

static void
put (const char *root, const char *folder, const char *sub, const char *name, const char *subject)
{
  g_autofree char *path = g_build_filename (root, folder, sub, name, NULL);
  g_autofree char *body = g_strdup_printf ("Subject: %s\r\n\r\nbody of %s\r\n", subject, subject);
  g_autofree char *tmp = g_build_filename (root, folder, "tmp", NULL);
  g_autofree char *other = g_build_filename (root, folder, strcmp (sub, "cur") ? "cur" : "new", NULL);

  mailsync_test_write_file (path, body);
  g_mkdir_with_parents (tmp, 0700);
  g_mkdir_with_parents (other, 0700);
}

/* Finds the file whose content has @subject; returns its path or NULL. */
static char *
find (const char *root, const char *folder, const char *subject)
{
  const char *subs[] = { "cur", "new" };
  g_autofree char *needle = g_strdup_printf ("Subject: %s\n", subject);
  char *found = NULL;
  guint hits = 0;

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *dir = g_build_filename (root, folder, subs[i], NULL);
      g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
      const char *name;

      while (d && (name = g_dir_read_name (d)))
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_autofree char *content = mailsync_test_read_file (path, NULL);
          if (strstr (content, needle) || strstr (content, subject))
            {
              hits++;
              g_free (found);
              found = g_strdup (path);
            }
        }
    }
  ck_assert_msg (hits <= 1, "%s/%s: %u copies of \"%s\"", root, folder, hits, subject);
  return found;
}

static char *
flags_of (const char *path)
{
  const char *info = strstr (path, ":2,");
  return g_strdup (info ? info + 3 : "");
}

static void
rename_flags (const char *path, const char *flags)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *folder = g_path_get_dirname (dir);
  char *colon = strstr (base, ":2,");
  g_autofree char *target = NULL;

  if (colon)
    *colon = '\0';
  target = g_strdup_printf ("%s/%s/%s:2,%s", folder, strchr (flags, 'S') ? "cur" : "new", base, flags);
  ck_assert_int_eq (g_rename (path, target), 0);
}

START_TEST (test_maildir_new_both_sides)
{
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *fa = NULL;

  put (f.remote_root, "INBOX", "cur", "r1:2,S", "remote one");
  put (f.remote_root, "INBOX", "new", "r2", "remote two");
  sync_ok ();
  a = find (f.local_root, "INBOX", "remote one");
  ck_assert_ptr_nonnull (a);
  ck_assert_ptr_nonnull (strstr (a, ",U="));
  ck_assert_ptr_nonnull (strstr (a, ",FMD5=7e33429f656f1e6e9d79b29c3f82c57e:2,S"));
  ck_assert_ptr_nonnull (strstr (a, "/cur/"));
  b = find (f.local_root, "INBOX", "remote two");
  ck_assert_ptr_nonnull (strstr (b, "/new/"));
  {
    /* CRLF from the source became LF in the local Maildir. */
    g_autofree char *content = mailsync_test_read_file (a, NULL);
    ck_assert_ptr_null (strchr (content, '\r'));
  }

  put (f.local_root, "INBOX", "new", "localmua.1", "local one");
  sync_ok ();
  c = find (f.remote_root, "INBOX", "local one");
  ck_assert_ptr_nonnull (c);
  g_free (c);
  c = find (f.local_root, "INBOX", "local one");
  ck_assert_ptr_nonnull (strstr (c, ",U=3,FMD5="));
  fa = flags_of (c);
  ck_assert_str_eq (fa, "");

  sync_ok ();
  ck_assert_uint_eq (f.changes, 0);
}
END_TEST

START_TEST (test_maildir_deletes_and_flags_both_ways)
{
  g_autofree char *p = NULL;
  g_autofree char *fl = NULL;

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", i);
      g_autofree char *subject = g_strdup_printf ("msg %u", i);
      put (f.remote_root, "INBOX", "new", name, subject);
    }
  sync_ok ();

  /* Remote deletes 0, flags 1; local deletes 2, flags 3 seen; both touch 4
   * differently (remote +F, local +S): both changes survive; remote flags
   * 5 while local deletes it: the deletion wins. */
  p = find (f.remote_root, "INBOX", "msg 0"); g_unlink (p); g_free (p);
  p = find (f.remote_root, "INBOX", "msg 1"); rename_flags (p, "F"); g_free (p);
  p = find (f.local_root, "INBOX", "msg 2"); g_unlink (p); g_free (p);
  p = find (f.local_root, "INBOX", "msg 3"); rename_flags (p, "S"); g_free (p);
  p = find (f.remote_root, "INBOX", "msg 4"); rename_flags (p, "F"); g_free (p);
  p = find (f.local_root, "INBOX", "msg 4"); rename_flags (p, "S"); g_free (p);
  p = find (f.remote_root, "INBOX", "msg 5"); rename_flags (p, "R"); g_free (p);
  p = find (f.local_root, "INBOX", "msg 5"); g_unlink (p); g_clear_pointer (&p, g_free);
  sync_ok ();

  ck_assert_ptr_null ((p = find (f.local_root, "INBOX", "msg 0")));
  ck_assert_ptr_null ((p = find (f.remote_root, "INBOX", "msg 2")));
  ck_assert_ptr_null ((p = find (f.remote_root, "INBOX", "msg 5")));
  p = find (f.local_root, "INBOX", "msg 1"); fl = flags_of (p); ck_assert_str_eq (fl, "F");
  g_free (p); g_free (fl);
  p = find (f.remote_root, "INBOX", "msg 3"); fl = flags_of (p); ck_assert_str_eq (fl, "S");
  g_free (p); g_free (fl);
  p = find (f.remote_root, "INBOX", "msg 4"); fl = flags_of (p); ck_assert_str_eq (fl, "FS");
  g_free (p); g_free (fl);
  p = find (f.local_root, "INBOX", "msg 4"); fl = flags_of (p); ck_assert_str_eq (fl, "FS");
  ck_assert_ptr_nonnull (strstr (p, "/cur/"));

  sync_ok ();
  ck_assert_uint_eq (f.changes, 0);
}
END_TEST

START_TEST (test_maildir_folder_creation_and_idempotence)
{
  g_autofree char *status_file = NULL;
  g_autofree char *p = NULL;
  GStatBuf before, after;

  put (f.remote_root, "Archive.2023", "cur", "a:2,S", "archived");
  put (f.local_root, "Drafts", "cur", "d:2,DS", "draft");
  sync_ok ();
  p = find (f.local_root, "Archive.2023", "archived");
  ck_assert_ptr_nonnull (p);
  g_free (p);
  p = find (f.remote_root, "Drafts", "draft");
  ck_assert_ptr_nonnull (p);

  status_file = g_build_filename (f.meta, "Account-Test", "LocalStatus-sqlite", "Archive.2023", NULL);
  ck_assert_int_eq (g_stat (status_file, &before), 0);
  g_usleep (20000);
  sync_ok ();
  ck_assert_uint_eq (f.changes, 0);
  ck_assert_int_eq (g_stat (status_file, &after), 0);
  /* A second run writes nothing, not even the status. */
  ck_assert_int_eq (before.st_mtime, after.st_mtime);
  ck_assert_int_eq (before.st_size, after.st_size);
}
END_TEST

START_TEST (test_maildir_missing_local_root_is_not_empty)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (f.tmp, "unmounted", NULL);
  g_autofree char *p = NULL;

  put (f.remote_root, "INBOX", "new", "r1", "keep me");
  sync_ok ();
  /* The local tree disappears (an unmounted disk): the sync must fail,
   * and nothing on the remote may be deleted. */
  ck_assert (!sync_accounts (missing, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert_ptr_nonnull (strstr (error->message, "unmounted"));
  p = find (f.remote_root, "INBOX", "keep me");
  ck_assert_ptr_nonnull (p);
}
END_TEST

START_TEST (test_maildir_mass_delete_refused)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cur = NULL, *newd = NULL;
  g_autofree char *p = NULL;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", i);
      g_autofree char *subject = g_strdup_printf ("mass %u", i);
      put (f.remote_root, "INBOX", "new", name, subject);
    }
  sync_ok ();
  /* Every local file vanishes (say, a MUA bug): refuse to empty the remote. */
  cur = g_build_filename (f.local_root, "INBOX", "cur", NULL);
  newd = g_build_filename (f.local_root, "INBOX", "new", NULL);
  mailsync_test_rm_rf (cur);
  mailsync_test_rm_rf (newd);
  g_mkdir (cur, 0700);
  g_mkdir (newd, 0700);
  ck_assert (!sync_accounts (f.local_root, &error));
  p = find (f.remote_root, "INBOX", "mass 7");
  ck_assert_ptr_nonnull (p);
}
END_TEST

START_TEST (test_maildir_uidvalidity_change_skips_folder)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *validity = g_build_filename (f.remote_root, "INBOX", ".mailsync-uidvalidity", NULL);
  g_autofree char *p = NULL;

  put (f.remote_root, "INBOX", "new", "r1", "first");
  sync_ok ();
  /* The remote renumbers its folder. */
  mailsync_test_write_file (validity, "12345 100\n");
  ck_assert (!sync_accounts (f.local_root, &error));
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED));
  /* Skipped: the local copy is untouched, nothing re-downloaded. */
  p = find (f.local_root, "INBOX", "first");
  ck_assert_ptr_nonnull (p);
}
END_TEST

START_TEST (test_maildir_status_loss_repairs_without_copies)
{
  g_autofree char *status_dir = g_build_filename (f.meta, "Account-Test", NULL);
  g_autofree char *p = NULL;

  put (f.remote_root, "INBOX", "new", "r1", "one");
  put (f.remote_root, "INBOX", "cur", "r2:2,S", "two");
  sync_ok ();
  mailsync_test_rm_rf (status_dir);
  sync_ok ();
  /* Files carry U=: only status rows are rebuilt, nothing is copied. */
  p = find (f.local_root, "INBOX", "one");
  ck_assert_ptr_nonnull (p);
  g_free (p);
  p = find (f.remote_root, "INBOX", "two");
  ck_assert_ptr_nonnull (p);
  sync_ok ();
  ck_assert_uint_eq (f.changes, 0);
}
END_TEST

START_TEST (test_maildir_maxage_maxsize)
{
  /* offlineimap's maxage takes every message from the lowest UID in the
   * window on, so the old message must have a lower UID: UIDs are given
   * in listing order, new/ before cur/. */
  g_autofree char *old = g_build_filename (f.remote_root, "INBOX", "new", "old", NULL);
  g_autofree char *big = NULL;
  g_autofree char *p = NULL;
  GString *body = g_string_new ("Subject: big\n\n");

  put (f.remote_root, "INBOX", "new", "old", "old");
  put (f.remote_root, "INBOX", "cur", "recent:2,S", "recent");
  while (body->len < 20000)
    g_string_append (body, "0123456789012345678901234567890123456789\n");
  big = g_build_filename (f.remote_root, "INBOX", "new", "big", NULL);
  mailsync_test_write_file (big, body->str);
  g_string_free (body, TRUE);
  {
    /* Maildir's internal date is the file's mtime. */
    GFile *file = g_file_new_for_path (old);
    guint64 when = (guint64) (g_get_real_time () / G_USEC_PER_SEC) - 400 * 86400;
    ck_assert (g_file_set_attribute_uint64 (file, G_FILE_ATTRIBUTE_TIME_MODIFIED, when,
                                            G_FILE_QUERY_INFO_NONE, NULL, NULL));
    g_object_unref (file);
  }
  f.max_age = 30;
  f.max_size = 10000;
  sync_ok ();
  ck_assert_ptr_null ((p = find (f.local_root, "INBOX", "old")));
  ck_assert_ptr_null ((p = find (f.local_root, "INBOX", "big")));
  p = find (f.local_root, "INBOX", "recent");
  ck_assert_ptr_nonnull (p);
  sync_ok ();
  ck_assert_uint_eq (f.changes, 0);
}
END_TEST

/* Issue 10 item 5: the progress the events carry adds up exactly. The
 * messages have LF line ends, so that a copy's file is exactly its
 * source's size (a CRLF source becomes LF locally: the counts are the
 * source's sizes, as the plan knows them). */
typedef struct
{
  guint copied;
  guint64 copied_bytes;
  guint planned;
  guint64 planned_bytes;
  guint64 last_account_done;
  gboolean finished;
  guint finished_messages_done, finished_messages_total;
  guint64 finished_bytes_done, finished_bytes_total;
  guint folders_started, folders_total;
} Progress;

static void
on_progress_event (MailsyncAccount *account, MailsyncSyncEvent *event, gpointer user_data)
{
  Progress *p = user_data;
  MailsyncSyncEventKind kind = mailsync_sync_event_get_kind (event);

  /* never more done than planned, for the folder and the account */
  ck_assert_uint_le (mailsync_sync_event_get_folder_messages_done (event),
                     mailsync_sync_event_get_folder_messages_total (event));
  ck_assert_uint_le (mailsync_sync_event_get_folder_bytes_done (event),
                     mailsync_sync_event_get_folder_bytes_total (event));
  ck_assert_uint_le (mailsync_sync_event_get_account_messages_done (event),
                     mailsync_sync_event_get_account_messages_total (event));
  ck_assert_uint_le (mailsync_sync_event_get_account_bytes_done (event),
                     mailsync_sync_event_get_account_bytes_total (event));
  ck_assert_uint_ge (mailsync_sync_event_get_account_bytes_done (event), p->last_account_done);
  p->last_account_done = mailsync_sync_event_get_account_bytes_done (event);
  switch (kind)
    {
    case MAILSYNC_SYNC_EVENT_FOLDER_STARTED:
      p->folders_started++;
      ck_assert_uint_eq (mailsync_sync_event_get_n (event), p->folders_started);
      p->folders_total = mailsync_sync_event_get_total (event);
      ck_assert_uint_eq (mailsync_sync_event_get_folder_messages_total (event), 0);
      break;
    case MAILSYNC_SYNC_EVENT_FOLDER_PLANNED:
      p->planned += mailsync_sync_event_get_n (event);
      p->planned_bytes += mailsync_sync_event_get_bytes (event);
      /* the plan is the folder's whole work, and in the account's */
      ck_assert_uint_eq (mailsync_sync_event_get_folder_messages_done (event), 0);
      ck_assert_uint_eq (mailsync_sync_event_get_folder_messages_total (event), mailsync_sync_event_get_n (event));
      ck_assert_uint_eq (mailsync_sync_event_get_folder_bytes_total (event), mailsync_sync_event_get_bytes (event));
      ck_assert_uint_eq (mailsync_sync_event_get_account_bytes_total (event), p->planned_bytes);
      break;
    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
      p->copied++;
      p->copied_bytes += mailsync_sync_event_get_bytes (event);
      ck_assert_uint_gt (mailsync_sync_event_get_bytes (event), 0);
      ck_assert_uint_eq (mailsync_sync_event_get_account_messages_done (event), p->copied);
      ck_assert_uint_eq (mailsync_sync_event_get_account_bytes_done (event), p->copied_bytes);
      break;
    case MAILSYNC_SYNC_EVENT_FOLDER_FINISHED:
      ck_assert_uint_eq (mailsync_sync_event_get_folder_messages_done (event),
                         mailsync_sync_event_get_folder_messages_total (event));
      ck_assert_uint_eq (mailsync_sync_event_get_folder_bytes_done (event),
                         mailsync_sync_event_get_folder_bytes_total (event));
      break;
    case MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED:
      p->finished = TRUE;
      p->finished_messages_done = mailsync_sync_event_get_account_messages_done (event);
      p->finished_messages_total = mailsync_sync_event_get_account_messages_total (event);
      p->finished_bytes_done = mailsync_sync_event_get_account_bytes_done (event);
      p->finished_bytes_total = mailsync_sync_event_get_account_bytes_total (event);
      break;
    default:
      break;
    }
}

static void
sync_with_progress (Progress *p)
{
  g_autoptr(MailsyncRepository) remote = mailsync_maildir_repository_new ("Remote", f.remote_root, '.');
  g_autoptr(MailsyncRepository) local = mailsync_maildir_repository_new ("Local", f.local_root, '.');
  g_autofree char *status_dir = g_build_filename (f.meta, "Account-Test", "LocalStatus-sqlite", NULL);
  g_autoptr(MailsyncStatusStore) status = mailsync_status_sqlite_new (status_dir);
  g_autoptr(MailsyncAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  memset (p, 0, sizeof *p);
  mailsync_maildir_repository_set_assign_uids (MAILSYNC_MAILDIR_REPOSITORY (remote), TRUE);
  account = mailsync_account_new ("Test", remote, local, status);
  g_signal_connect (account, "event", G_CALLBACK (on_progress_event), p);
  ck_assert_msg (mailsync_account_sync (account, NULL, &error), "sync: %s", error ? error->message : "?");
  ck_assert (p->finished);
}

/* The sizes of the files of @root/@folder (cur and new), and how many. */
static guint64
folder_bytes (const char *root, const char *folder, guint *count)
{
  const char *subs[] = { "cur", "new" };
  guint64 total = 0;

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *dir = g_build_filename (root, folder, subs[i], NULL);
      g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
      const char *name;

      while (d && (name = g_dir_read_name (d)))
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          GStatBuf st;

          ck_assert_int_eq (g_stat (path, &st), 0);
          total += st.st_size;
          if (count != NULL)
            (*count)++;
        }
    }
  return total;
}

static void
put_sized (const char *root, const char *folder, const char *name, guint body_lines)
{
  g_autofree char *dir = g_build_filename (root, folder, NULL);
  g_autofree char *path = g_build_filename (root, folder, "new", name, NULL);
  g_autoptr(GString) body = g_string_new (NULL);

  g_string_append_printf (body, "Subject: %s\n\n", name);
  for (guint i = 0; i < body_lines; i++)
    g_string_append_printf (body, "line %u of %s\n", i, name);
  put (root, folder, "new", name, name);
  mailsync_test_write_file (path, body->str);
}

START_TEST (test_maildir_progress_bytes_exact)
{
  Progress p;
  guint64 local_before, remote_before, local_after, remote_after;
  guint n_local = 0;

  /* a first sync: two folders of remote mail, of different sizes */
  put_sized (f.remote_root, "INBOX", "r1", 3);
  put_sized (f.remote_root, "INBOX", "r2", 40);
  put_sized (f.remote_root, "INBOX", "r3", 1000);
  put_sized (f.remote_root, "Archive", "a1", 7);
  put_sized (f.remote_root, "Archive", "a2", 250);
  sync_with_progress (&p);
  ck_assert_uint_eq (p.copied, 5);
  ck_assert_uint_eq (p.folders_started, 2);
  ck_assert_uint_eq (p.folders_total, 2);
  local_after = folder_bytes (f.local_root, "INBOX", &n_local) + folder_bytes (f.local_root, "Archive", &n_local);
  ck_assert_uint_eq (n_local, 5);
  /* every byte counted is a byte written, and the account's totals are
   * what the folders planned and did */
  ck_assert_uint_eq (p.copied_bytes, local_after);
  ck_assert_uint_eq (p.planned, 5);
  ck_assert_uint_eq (p.planned_bytes, local_after);
  ck_assert_uint_eq (p.finished_messages_done, 5);
  ck_assert_uint_eq (p.finished_messages_total, 5);
  ck_assert_uint_eq (p.finished_bytes_done, local_after);
  ck_assert_uint_eq (p.finished_bytes_total, local_after);

  /* both ways at once: new local mail (uploaded) and new remote mail
   * (downloaded); renaming a local file to give it its UID keeps its size */
  put_sized (f.local_root, "INBOX", "l1", 12);
  put_sized (f.local_root, "Archive", "l2", 600);
  put_sized (f.remote_root, "Archive", "a3", 33);
  local_before = folder_bytes (f.local_root, "INBOX", NULL) + folder_bytes (f.local_root, "Archive", NULL);
  remote_before = folder_bytes (f.remote_root, "INBOX", NULL) + folder_bytes (f.remote_root, "Archive", NULL);
  sync_with_progress (&p);
  ck_assert_uint_eq (p.copied, 3);
  local_after = folder_bytes (f.local_root, "INBOX", NULL) + folder_bytes (f.local_root, "Archive", NULL);
  remote_after = folder_bytes (f.remote_root, "INBOX", NULL) + folder_bytes (f.remote_root, "Archive", NULL);
  /* what was written on each side is what the events counted */
  ck_assert_uint_eq (p.copied_bytes, (local_after - local_before) + (remote_after - remote_before));
  ck_assert_uint_eq (p.planned_bytes, p.copied_bytes);
  ck_assert_uint_eq (p.finished_bytes_done, p.copied_bytes);
  ck_assert_uint_eq (p.finished_bytes_total, p.copied_bytes);
  ck_assert_uint_eq (p.finished_messages_total, 3);

  /* nothing to do: nothing planned, nothing counted */
  sync_with_progress (&p);
  ck_assert_uint_eq (p.copied, 0);
  ck_assert_uint_eq (p.planned_bytes, 0);
  ck_assert_uint_eq (p.finished_bytes_total, 0);
}
END_TEST

/* ---- settings a client sets through the public API, no config file ---- */

static void
count_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* The three settings the config used to keep private: real properties,
 * with getters, setters and one notify per change. */
START_TEST (test_settings_are_properties)
{
  g_autoptr(MailsyncRepository) remote = mailsync_maildir_repository_new ("Remote", f.remote_root, '.');
  g_autoptr(MailsyncRepository) local = mailsync_maildir_repository_new ("Local", f.local_root, '.');
  g_autoptr(MailsyncRepository) imap = mailsync_imap_repository_new ("Server", "localhost", 0);
  g_autofree char *status_dir = g_build_filename (f.meta, "status", NULL);
  g_autoptr(MailsyncStatusStore) status = mailsync_status_sqlite_new (status_dir);
  g_autoptr(MailsyncAccount) account = mailsync_account_new ("Test", remote, local, status);
  guint notified = 0;
  gboolean value = FALSE;

  ck_assert (!mailsync_account_get_remove_deleted_folders (account));
  g_signal_connect (account, "notify::remove-deleted-folders", G_CALLBACK (count_notify), &notified);
  mailsync_account_set_remove_deleted_folders (account, TRUE);
  mailsync_account_set_remove_deleted_folders (account, TRUE);
  g_object_get (account, "remove-deleted-folders", &value, NULL);
  ck_assert (value && mailsync_account_get_remove_deleted_folders (account));
  ck_assert_uint_eq (notified, 1);

  notified = 0;
  ck_assert (!mailsync_maildir_repository_get_restore_atime (MAILSYNC_MAILDIR_REPOSITORY (local)));
  g_signal_connect (local, "notify::restore-atime", G_CALLBACK (count_notify), &notified);
  g_object_set (local, "restore-atime", TRUE, NULL);
  mailsync_maildir_repository_set_restore_atime (MAILSYNC_MAILDIR_REPOSITORY (local), TRUE);
  ck_assert (mailsync_maildir_repository_get_restore_atime (MAILSYNC_MAILDIR_REPOSITORY (local)));
  ck_assert_uint_eq (notified, 1);

  notified = 0;
  ck_assert (!mailsync_imap_repository_get_decode_folder_names (MAILSYNC_IMAP_REPOSITORY (imap)));
  g_signal_connect (imap, "notify::decode-folder-names", G_CALLBACK (count_notify), &notified);
  mailsync_imap_repository_set_decode_folder_names (MAILSYNC_IMAP_REPOSITORY (imap), TRUE);
  g_object_get (imap, "decode-folder-names", &value, NULL);
  ck_assert (value);
  g_object_set (imap, "decode-folder-names", FALSE, NULL);
  ck_assert (!mailsync_imap_repository_get_decode_folder_names (MAILSYNC_IMAP_REPOSITORY (imap)));
  ck_assert_uint_eq (notified, 2);
}
END_TEST

static char *
prefix_nametrans (const char *name, gpointer user_data)
{
  return g_strconcat ((const char *) user_data, name, NULL);
}

/* MailsyncImapRepository:decode-folder-names decodes the visible names
 * (after the nametrans, as offlineimap), never the native ones; a mapped
 * repository wrapping it (IMAP on the local side) does the same. No
 * server is needed: names are translated without a connection. */
START_TEST (test_imap_decode_folder_names_property)
{
  g_autoptr(MailsyncRepository) imap = mailsync_imap_repository_new ("Server", "localhost", 0);
  g_autoptr(MailsyncRepository) mapped = NULL;
  g_autofree char *plain = mailsync_repository_translate_name (imap, "Entw&APw-rfe");
  g_autofree char *decoded = NULL;
  g_autofree char *invalid = NULL;
  g_autofree char *translated = NULL;
  g_autofree char *through_mapped = NULL;

  ck_assert_str_eq (plain, "Entw&APw-rfe");
  mailsync_imap_repository_set_decode_folder_names (MAILSYNC_IMAP_REPOSITORY (imap), TRUE);
  decoded = mailsync_repository_translate_name (imap, "Entw&APw-rfe");
  ck_assert_str_eq (decoded, "Entw\xc3\xbcrfe");
  /* not modified UTF-7: left as it is */
  invalid = mailsync_repository_translate_name (imap, "Tom & Jerry");
  ck_assert_str_eq (invalid, "Tom & Jerry");
  /* the nametrans sees the mUTF-7 name, its result is decoded */
  mailsync_repository_set_nametrans (imap, prefix_nametrans, (gpointer) "Mail.", NULL);
  translated = mailsync_repository_translate_name (imap, "Entw&APw-rfe");
  ck_assert_str_eq (translated, "Mail.Entw\xc3\xbcrfe");
  mapped = mailsync_mapped_repository_new (imap, f.meta);
  through_mapped = mailsync_repository_translate_name (mapped, "Entw&APw-rfe");
  ck_assert_str_eq (through_mapped, "Entw\xc3\xbcrfe");
}
END_TEST

/* Without MailsyncAccount:remove-deleted-folders a folder deleted on the
 * remote side is created there again from the local one; with it, the
 * local folder and its status are deleted instead. */
START_TEST (test_maildir_remove_deleted_folders_property)
{
  g_autofree char *gone_remote = g_build_filename (f.remote_root, "Gone", NULL);
  g_autofree char *gone_local = g_build_filename (f.local_root, "Gone", NULL);
  g_autofree char *gone_status = g_build_filename (f.meta, "Account-Test", "LocalStatus-sqlite", "Gone", NULL);
  g_autofree char *p = NULL;
  g_autofree char *q = NULL;
  g_autofree char *r = NULL;

  put (f.remote_root, "INBOX", "cur", "i:2,S", "stays");
  put (f.remote_root, "Gone", "cur", "g:2,S", "goes");
  sync_ok ();
  p = find (f.local_root, "Gone", "goes");
  ck_assert_ptr_nonnull (p);
  ck_assert (g_file_test (gone_status, G_FILE_TEST_EXISTS));

  mailsync_test_rm_rf (gone_remote);
  sync_ok ();
  q = find (f.remote_root, "Gone", "goes");
  ck_assert_msg (q != NULL, "by default the deleted folder comes back from the local side");

  mailsync_test_rm_rf (gone_remote);
  f.remove_deleted = TRUE;
  sync_ok ();
  ck_assert_msg (!g_file_test (gone_local, G_FILE_TEST_EXISTS), "remove-deleted-folders kept %s", gone_local);
  ck_assert_msg (!g_file_test (gone_remote, G_FILE_TEST_EXISTS), "the deleted folder was created again");
  ck_assert_msg (!g_file_test (gone_status, G_FILE_TEST_EXISTS), "its status stayed");
  r = find (f.local_root, "INBOX", "stays");
  ck_assert_ptr_nonnull (r);
}
END_TEST

static const struct timespec OLD_ATIME = { 978307200, 0 };   /* 2001-01-01 */

static void
age_atimes (const char *folder)
{
  static const char *const subs[] = { "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      g_autofree char *dir = g_build_filename (f.local_root, folder, subs[i], NULL);
      struct timespec times[2] = { OLD_ATIME, { 0, UTIME_OMIT } };

      ck_assert_msg (utimensat (AT_FDCWD, dir, times, 0) == 0, "%s: %s", dir, g_strerror (errno));
    }
}

static gboolean
atime_is_old (const char *folder, const char *sub)
{
  g_autofree char *dir = g_build_filename (f.local_root, folder, sub, NULL);
  struct stat st;

  ck_assert_int_eq (stat (dir, &st), 0);
  return st.st_atim.tv_sec == OLD_ATIME.tv_sec;
}

/* MailsyncMaildirRepository:restore-atime on the local side: the sync
 * reads and writes the local folder (a message comes in), yet its new/
 * and cur/ keep the access times they had; without the property the
 * same sync moves them (the control, so that the check can fail). */
START_TEST (test_maildir_restore_atime_property)
{
  g_autofree char *p = NULL;
  g_autofree char *q = NULL;

  put (f.local_root, "INBOX", "cur", "l:2,S", "local one");
  put (f.remote_root, "INBOX", "cur", "a:2,S", "first");
  age_atimes ("INBOX");
  sync_ok ();
  ck_assert_msg (!atime_is_old ("INBOX", "cur"), "control: the sync did not move cur/'s atime");
  p = find (f.local_root, "INBOX", "first");
  ck_assert_ptr_nonnull (p);

  put (f.remote_root, "INBOX", "cur", "b:2,S", "second");
  age_atimes ("INBOX");
  f.restore_atime = TRUE;
  sync_ok ();
  /* before find(), whose own reading moves them */
  ck_assert_msg (atime_is_old ("INBOX", "new"), "new/'s atime not restored");
  ck_assert_msg (atime_is_old ("INBOX", "cur"), "cur/'s atime not restored");
  q = find (f.local_root, "INBOX", "second");
  ck_assert_ptr_nonnull (q);
}
END_TEST

/* Whether reading a directory moves its access time here (not on a
 * noatime mount): the restore-atime test needs it to mean anything. */
static gboolean
reads_move_atimes (void)
{
  /* no ck_assert here: this runs before the tests, while the suite is
   * built (so neither mailsync_test_mkdtemp() nor _write_file()) */
  g_autofree char *tmp = g_dir_make_tmp ("mailsync-atime-XXXXXX", NULL);
  g_autofree char *dir = tmp != NULL ? g_build_filename (tmp, "d", NULL) : NULL;
  g_autofree char *file = tmp != NULL ? g_build_filename (dir, "x", NULL) : NULL;
  struct timespec times[2] = { OLD_ATIME, { 0, UTIME_OMIT } };
  struct stat st = { 0 };
  GDir *d;

  if (tmp == NULL)
    return FALSE;
  g_mkdir (dir, 0700);
  g_file_set_contents (file, "x", -1, NULL);
  utimensat (AT_FDCWD, dir, times, 0);
  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && g_dir_read_name (d) != NULL)
    ;
  if (d != NULL)
    g_dir_close (d);
  stat (dir, &st);
  g_unlink (file);
  g_rmdir (dir);
  g_rmdir (tmp);
  return st.st_atim.tv_sec != OLD_ATIME.tv_sec;
}

static Suite *
maildir_sync_suite (void)
{
  Suite *s = suite_create ("sync-maildir");
  TCase *tc = tcase_create ("end-to-end");
  TCase *settings;

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_maildir_new_both_sides);
  tcase_add_test (tc, test_maildir_deletes_and_flags_both_ways);
  tcase_add_test (tc, test_maildir_folder_creation_and_idempotence);
  tcase_add_test (tc, test_maildir_missing_local_root_is_not_empty);
  tcase_add_test (tc, test_maildir_mass_delete_refused);
  tcase_add_test (tc, test_maildir_uidvalidity_change_skips_folder);
  tcase_add_test (tc, test_maildir_status_loss_repairs_without_copies);
  tcase_add_test (tc, test_maildir_maxage_maxsize);
  tcase_add_test (tc, test_maildir_progress_bytes_exact);
  suite_add_tcase (s, tc);

  settings = tcase_create ("settings");
  tcase_add_checked_fixture (settings, setup, teardown);
  tcase_set_timeout (settings, 60);
  tcase_add_test (settings, test_settings_are_properties);
  tcase_add_test (settings, test_imap_decode_folder_names_property);
  tcase_add_test (settings, test_maildir_remove_deleted_folders_property);
  if (reads_move_atimes ())
    tcase_add_test (settings, test_maildir_restore_atime_property);
  else
    mailsync_test_add_skipped_test (settings, test_maildir_restore_atime_property,
                                    "reading a directory does not move its atime here (noatime mount)");
  suite_add_tcase (s, settings);
  return s;
}

int
main (void)
{
  return mailsync_test_run (maildir_sync_suite ());
}
