/* Test driver: syncs a Maildir tree that numbers its own messages (the
 * "remote") with an offlineimap-style local Maildir tree, printing one line
 * per event. The crash tests run it under MAILSYNC_CRASH_AT and kill -9. */
#include "config.h"

#include <libmailsync/mailsync.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
on_event (MailsyncAccount *account, MailsyncSyncEvent *event, gpointer user_data)
{
  g_autoptr(GEnumClass) kinds = g_type_class_ref (MAILSYNC_TYPE_SYNC_EVENT_KIND);
  GEnumValue *kind = g_enum_get_value (kinds, mailsync_sync_event_get_kind (event));

  printf ("%s folder=%s uid=%u n=%u flags=%s %s\n", kind->value_nick,
          mailsync_sync_event_get_folder (event) ? mailsync_sync_event_get_folder (event) : "-",
          mailsync_sync_event_get_uid (event), mailsync_sync_event_get_n (event),
          mailsync_sync_event_get_flags (event) ? mailsync_sync_event_get_flags (event) : "-",
          mailsync_sync_event_get_text (event) ? mailsync_sync_event_get_text (event) : "");
  fflush (stdout);
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* MAILSYNC_TEST_LIST=1: print the remote's folders and separator. */
static int
list_only (MailsyncRepository *repo)
{
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;

  mailsync_repository_open_async (repo, NULL, store_result, &opened);
  if (!mailsync_repository_open_finish (repo, wait_result (&opened), &error))
    goto failed;
  mailsync_repository_list_folders_async (repo, NULL, store_result, &listed);
  folders = mailsync_repository_list_folders_finish (repo, wait_result (&listed), &error);
  if (folders == NULL)
    goto failed;
  for (guint i = 0; i < folders->len; i++)
    printf ("folder %s\n", mailsync_folder_get_name (folders->pdata[i]));
  printf ("separator %c\n", mailsync_repository_get_separator (repo));
  return 0;

failed:
  fprintf (stderr, "ERROR: %s\n", error->message);
  return 1;
}

/* MAILSYNC_TEST_IDLE=SECONDS: instead of syncing, wait on the remote's
 * INBOX for a change (IMAP IDLE) and print what ended the wait. */
static int
idle_wait (MailsyncRepository *repo, guint seconds)
{
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GAsyncResult) waited = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;
  MailsyncFolder *inbox = NULL;
  gboolean changed = FALSE;

  mailsync_repository_open_async (repo, NULL, store_result, &opened);
  if (!mailsync_repository_open_finish (repo, wait_result (&opened), &error))
    goto failed;
  mailsync_repository_list_folders_async (repo, NULL, store_result, &listed);
  folders = mailsync_repository_list_folders_finish (repo, wait_result (&listed), &error);
  if (folders == NULL)
    goto failed;
  for (guint i = 0; i < folders->len; i++)
    if (strcmp (mailsync_folder_get_name (folders->pdata[i]), "INBOX") == 0)
      inbox = folders->pdata[i];
  if (inbox == NULL)
    {
      fprintf (stderr, "ERROR: no INBOX\n");
      return 1;
    }
  printf ("idling\n");
  fflush (stdout);
  mailsync_folder_wait_for_changes_async (inbox, seconds, NULL, store_result, &waited);
  if (!mailsync_folder_wait_for_changes_finish (inbox, wait_result (&waited), &changed, &error))
    goto failed;
  printf ("changed=%d\n", changed);
  return 0;

failed:
  fprintf (stderr, "ERROR: %s\n", error->message);
  return 1;
}

int
main (int argc, char **argv)
{
  g_autoptr(MailsyncRepository) remote = NULL;
  g_autoptr(MailsyncRepository) local = NULL;
  g_autoptr(MailsyncStatusStore) status = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status_dir = NULL;
  gboolean plain;

  if (argc < 4)
    {
      fprintf (stderr, "usage: %s REMOTE-MAILDIR LOCAL-MAILDIR METADATA-DIR [sqlite|plain] [force]\n", argv[0]);
      return 2;
    }
  plain = argc > 4 && strcmp (argv[4], "plain") == 0;
  if (strcmp (argv[1], "imap") == 0)
    {
      /* The remote is the IMAP server described by the environment (the
       * Dovecot harness's env file). */
      const char *security = g_getenv ("MAILSYNC_TEST_IMAP_SECURITY");
      gboolean implicit = g_strcmp0 (security, "ssl") == 0;

      remote = mailsync_imap_repository_new ("Remote", g_getenv ("DOVECOT_HOST"),
                                             (guint16) atoi (g_getenv (implicit ? "DOVECOT_IMAPS_PORT" : "DOVECOT_PORT") ? g_getenv (implicit ? "DOVECOT_IMAPS_PORT" : "DOVECOT_PORT") : "0"));
      g_object_set (remote, "ssl", implicit, "starttls", g_strcmp0 (security, "none") != 0,
                    "user", g_getenv ("DOVECOT_USER"), "ca-file", g_getenv ("DOVECOT_CA"), NULL);
      if (g_getenv ("DOVECOT_PASS") && *g_getenv ("DOVECOT_PASS"))
        g_object_set (remote, "password", g_getenv ("DOVECOT_PASS"), NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_COMPRESS"))
        g_object_set (remote, "use-compression", TRUE, NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_AUTH"))
        g_object_set (remote, "auth-mechanisms", g_getenv ("MAILSYNC_TEST_IMAP_AUTH"), NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_PREAUTH"))
        g_object_set (remote, "preauth-tunnel", g_getenv ("MAILSYNC_TEST_IMAP_PREAUTH"), NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_TUNNEL"))
        g_object_set (remote, "transport-tunnel", g_getenv ("MAILSYNC_TEST_IMAP_TUNNEL"), NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_TIMEOUT"))
        g_object_set (remote, "timeout", (guint) atoi (g_getenv ("MAILSYNC_TEST_IMAP_TIMEOUT")), NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_MAX_CONNECTIONS"))
        g_object_set (remote, "max-connections", (guint) atoi (g_getenv ("MAILSYNC_TEST_IMAP_MAX_CONNECTIONS")), NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_RETRY"))
        g_object_set (remote, "retry-count", (guint) atoi (g_getenv ("MAILSYNC_TEST_IMAP_RETRY")), NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_FINGERPRINT"))
        g_object_set (remote, "cert-fingerprint", g_getenv ("MAILSYNC_TEST_IMAP_FINGERPRINT"),
                      "ca-file", NULL, NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_REFERENCE"))
        g_object_set (remote, "reference", g_getenv ("MAILSYNC_TEST_IMAP_REFERENCE"), NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_PERSONAL_ONLY"))
        g_object_set (remote, "personal-namespace-only", TRUE, NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_UTF8_NAMES"))
        g_object_set (remote, "utf8-folder-names", atoi (g_getenv ("MAILSYNC_TEST_IMAP_UTF8_NAMES")) != 0, NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_INCLUDES"))
        {
          g_auto(GStrv) includes = g_strsplit (g_getenv ("MAILSYNC_TEST_IMAP_INCLUDES"), ",", -1);
          g_object_set (remote, "folder-includes", includes, NULL);
        }
      /* as the configuration does (Repository-NAME in the metadata):
       * over IMAPS the next run logs in before the greeting */
      if (!g_getenv ("MAILSYNC_TEST_NO_CAPABILITY_CACHE"))
        {
          g_autofree char *cache = g_build_filename (argv[3], "Repository-Remote", "mailsync-capabilities", NULL);

          g_object_set (remote, "capability-cache", cache, NULL);
        }
      if (g_getenv ("MAILSYNC_TEST_LIST"))
        return list_only (remote);
      if (g_getenv ("MAILSYNC_TEST_IDLE"))
        return idle_wait (remote, (guint) atoi (g_getenv ("MAILSYNC_TEST_IDLE")));
    }
  else
    {
      remote = mailsync_maildir_repository_new ("Remote", argv[1], '.');
      mailsync_maildir_repository_set_assign_uids (MAILSYNC_MAILDIR_REPOSITORY (remote), TRUE);
    }
  if (strcmp (argv[2], "imap") == 0)
    {
      /* IMAP <-> IMAP: the local side is another account on the same
       * server, behind offlineimap's UID maps. */
      g_autoptr(MailsyncRepository) inner =
        mailsync_imap_repository_new ("Local", g_getenv ("DOVECOT_HOST"),
                                      (guint16) atoi (g_getenv ("DOVECOT_PORT") ? g_getenv ("DOVECOT_PORT") : "0"));
      g_autofree char *maps = g_build_filename (argv[3], "Repository-Local", "UIDMapping", NULL);

      g_object_set (inner, "ssl", FALSE, "starttls", TRUE, "user", g_getenv ("MAILSYNC_TEST_LOCAL_IMAP_USER"),
                    "password", g_getenv ("MAILSYNC_TEST_LOCAL_IMAP_PASS"), "ca-file", g_getenv ("DOVECOT_CA"), NULL);
      if (g_getenv ("MAILSYNC_TEST_IMAP_UTF8_NAMES"))
        g_object_set (inner, "utf8-folder-names", atoi (g_getenv ("MAILSYNC_TEST_IMAP_UTF8_NAMES")) != 0, NULL);
      /* over IMAPS, with a capability cache of its own */
      if (g_getenv ("MAILSYNC_TEST_LOCAL_IMAPS"))
        {
          g_autofree char *cache = g_build_filename (argv[3], "Repository-Local", "mailsync-capabilities", NULL);

          g_object_set (inner, "port", (guint) atoi (g_getenv ("DOVECOT_IMAPS_PORT")), "ssl", TRUE, "starttls", FALSE,
                        "capability-cache", cache, NULL);
        }
      local = mailsync_mapped_repository_new (inner, maps);
    }
  else
    local = mailsync_maildir_repository_new ("Local", argv[2], '.');
  /* The crash tests kill the process, not the machine: what a killed
   * process wrote is in the page cache whether or not it was fsynced, so
   * their hundreds of runs may skip the Maildir fsyncs (the ordering of
   * writes and renames, which is what they test, is unchanged). */
  if (g_getenv ("MAILSYNC_TEST_NO_FSYNC"))
    {
      if (MAILSYNC_IS_MAILDIR_REPOSITORY (remote))
        mailsync_maildir_repository_set_fsync (MAILSYNC_MAILDIR_REPOSITORY (remote), FALSE);
      if (MAILSYNC_IS_MAILDIR_REPOSITORY (local))
        mailsync_maildir_repository_set_fsync (MAILSYNC_MAILDIR_REPOSITORY (local), FALSE);
    }
  status_dir = g_build_filename (argv[3], "Account-Test", plain ? "LocalStatus" : "LocalStatus-sqlite", NULL);
  status = plain ? mailsync_status_plain_new (status_dir) : mailsync_status_sqlite_new (status_dir);
  account = mailsync_account_new ("Test", remote, local, status);
  if (argc > 5 && strcmp (argv[5], "force") == 0)
    mailsync_account_set_max_delete_ratio (account, 1.0);
  if (g_getenv ("MAILSYNC_TEST_REMOTE_READONLY"))
    mailsync_repository_set_readonly (remote, TRUE);
  if (g_getenv ("MAILSYNC_TEST_MAX_AGE"))
    mailsync_account_set_max_age (account, (guint) atoi (g_getenv ("MAILSYNC_TEST_MAX_AGE")));
  if (g_getenv ("MAILSYNC_TEST_MAX_SIZE"))
    mailsync_account_set_max_size (account, g_ascii_strtoull (g_getenv ("MAILSYNC_TEST_MAX_SIZE"), NULL, 10));
  if (g_getenv ("MAILSYNC_TEST_REMOVE_DELETED_FOLDERS"))
    mailsync_account_set_remove_deleted_folders (account, TRUE);
  if (g_getenv ("MAILSYNC_TEST_DRY_RUN"))
    mailsync_account_set_dry_run (account, TRUE);
  if (g_getenv ("MAILSYNC_TEST_MAX_IN_FLIGHT"))
    mailsync_account_set_max_in_flight (account, atoi (g_getenv ("MAILSYNC_TEST_MAX_IN_FLIGHT")));
  g_signal_connect (account, "event", G_CALLBACK (on_event), NULL);
  if (g_getenv ("MAILSYNC_TEST_REPORT_RSS"))
    {
      /* The streaming tests compare the peak with a message's size.
       * VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over
       * fork and exec, so it would report the test script's own peak. */
      gboolean ok = mailsync_account_sync (account, NULL, &error);
      g_autofree char *status_text = NULL;
      const char *hwm;

      if (g_file_get_contents ("/proc/self/status", &status_text, NULL, NULL) &&
          (hwm = strstr (status_text, "VmHWM:")) != NULL)
        printf ("peak-rss-kb=%ld\n", strtol (hwm + strlen ("VmHWM:"), NULL, 10));
      g_clear_pointer (&status_text, g_free);
      /* wchar: every byte this process passed to write(), so a body
       * written twice (a spool, then a copy of it) shows. */
      if (g_file_get_contents ("/proc/self/io", &status_text, NULL, NULL) &&
          (hwm = strstr (status_text, "wchar:")) != NULL)
        printf ("written-kb=%ld\n", strtol (hwm + strlen ("wchar:"), NULL, 10) / 1024);
      if (ok)
        return 0;
      fprintf (stderr, "ERROR: %s\n", error->message);
      return 1;
    }
  if (!mailsync_account_sync (account, NULL, &error))
    {
      fprintf (stderr, "ERROR: %s\n", error->message);
      return g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED) ? 2 : 1;
    }
  return 0;
}
