/* sync-client: a small libmailsync client, the one to copy.
 *
 * Syncs one IMAP account with a local Maildir the way a mail program
 * embedding libmailsync does: its own GMainLoop, one
 * mailsync_account_sync_async(), progress from the account's "event"
 * signal, Ctrl-C (SIGINT) or SIGTERM cancelling through a GCancellable,
 * and the exit status from mailsync_account_sync_finish().
 *
 *   MAILSYNC_PASSWORD=... sync-client --host HOST --user USER MAILDIR
 *
 *   --port PORT      default 993 (imaps) or 143
 *   --tls MODE       imaps (default), starttls or none
 *   --ca-file FILE   CA certificates to trust instead of the system's
 *   --metadata DIR   the status store (default .sync-client-ACCOUNT
 *                    beside MAILDIR)
 *   --account NAME   account name (default "example")
 *
 * The password comes from the environment (MAILSYNC_PASSWORD), never
 * from the command line, which every user of the machine can read (ps).
 *
 * Exit status: 0 when every folder synced, 1 when the sync (or a folder)
 * failed, 2 on a usage error, 130 when cancelled (a shell's Ctrl-C).
 *
 * Build: cc -o sync-client sync-client.c $(pkg-config --cflags --libs libmailsync-1.0)
 * sync-client.py is the same program in Python; tests/check-examples.py
 * runs both against a private Dovecot. */

#include <libmailsync/mailsync.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <signal.h>

typedef struct
{
  GMainLoop *loop;
  GCancellable *cancellable;
  gboolean ok;
  GError *error;
  guint folders, copied, deleted, flag_changes, errors;   /* for the summary */
} Client;

/* The text of an event: its error's message if it has one. */
static const char *
message_of (MailsyncSyncEvent *event)
{
  const GError *error = mailsync_sync_event_get_error (event);
  const char *text = mailsync_sync_event_get_text (event);

  return error != NULL ? error->message : text != NULL ? text : "";
}

/* The account's "event" signal: one line for each event a user cares
 * about.  It is emitted on the thread-default main context of the caller
 * of mailsync_account_sync_async() (here the main loop's), so it may
 * touch the program's state (a GUI's widgets) without locks.  g_print()
 * flushes each line, so the progress shows through a pipe too. */
static void
on_event (MailsyncAccount   *account,
          MailsyncSyncEvent *event,
          gpointer           user_data)
{
  Client *client = user_data;
  MailsyncSyncEventKind kind = mailsync_sync_event_get_kind (event);
  const char *folder = mailsync_sync_event_get_folder (event);
  const char *repository = mailsync_sync_event_get_repository (event);
  guint n = mailsync_sync_event_get_n (event);

  if (folder == NULL)
    folder = "";
  switch (kind)
    {
    case MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED:
      g_print ("account %s: sync started\n", mailsync_account_get_name (account));
      break;
    case MAILSYNC_SYNC_EVENT_CONNECTING:
      g_print ("connecting to %s\n", message_of (event));
      break;
    case MAILSYNC_SYNC_EVENT_FOLDER_CREATED:
      g_print ("%s: folder created in %s\n", folder, repository);
      break;
    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
      /* n of total: the progress within the folder. */
      client->copied++;
      g_print ("%s: copied message %u to %s (%u/%u)\n", folder, mailsync_sync_event_get_uid (event),
               mailsync_sync_event_get_direction (event) == MAILSYNC_DIRECTION_TO_LOCAL ? "local" : "remote",
               n, mailsync_sync_event_get_total (event));
      break;
    case MAILSYNC_SYNC_EVENT_MESSAGES_DELETED:
      client->deleted += n;
      g_print ("%s: deleted %u messages in %s\n", folder, n, repository);
      break;
    case MAILSYNC_SYNC_EVENT_FLAGS_ADDED:
    case MAILSYNC_SYNC_EVENT_FLAGS_REMOVED:
      client->flag_changes += n;
      g_print ("%s: flag %s %s on %u messages in %s\n", folder, mailsync_sync_event_get_flags (event),
               kind == MAILSYNC_SYNC_EVENT_FLAGS_ADDED ? "added" : "removed", n, repository);
      break;
    case MAILSYNC_SYNC_EVENT_FOLDER_FINISHED:
      client->folders++;
      if (mailsync_sync_event_get_error (event) != NULL)
        g_print ("%s: failed: %s\n", folder, message_of (event));
      else
        g_print ("%s: done\n", folder);
      break;
    case MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED:
      g_print ("%s: skipped: %s\n", folder, message_of (event));
      break;
    case MAILSYNC_SYNC_EVENT_WARNING:
    case MAILSYNC_SYNC_EVENT_ERROR:
      if (kind == MAILSYNC_SYNC_EVENT_ERROR)
        client->errors++;
      g_print ("%s: %s%s%s\n", kind == MAILSYNC_SYNC_EVENT_ERROR ? "error" : "warning",
               folder, *folder ? ": " : "", message_of (event));
      break;
    default:
      /* The rest (folder started, lists loaded, debug, ...) are for
       * verbose logs: see MailsyncSyncEventKind. */
      break;
    }
}

/* SIGINT or SIGTERM, dispatched by the main loop like any source (so it
 * may call anything, unlike a signal handler): cancel.  The loop goes on
 * until the sync has stopped and called on_synced(), so nothing is left
 * half-written and the next sync goes on from where this one stopped. */
static gboolean
on_signal (gpointer user_data)
{
  Client *client = user_data;

  if (!g_cancellable_is_cancelled (client->cancellable))
    g_print ("interrupted: cancelling the sync\n");
  g_cancellable_cancel (client->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
on_synced (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Client *client = user_data;

  client->ok = mailsync_account_sync_finish (MAILSYNC_ACCOUNT (source), result, &client->error);
  g_main_loop_quit (client->loop);
}

int
main (int argc, char **argv)
{
  g_autofree char *host = NULL, *port_text = NULL, *user = NULL, *tls = NULL;
  g_autofree char *ca_file = NULL, *metadata = NULL, *account_name = NULL;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "IMAP server", "HOST" },
    { "port", 0, 0, G_OPTION_ARG_STRING, &port_text, "port (default: 993 or 143)", "PORT" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "login name", "USER" },
    { "tls", 0, 0, G_OPTION_ARG_STRING, &tls, "imaps, starttls or none (default: imaps)", "MODE" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "CA certificates to trust", "FILE" },
    { "metadata", 0, 0, G_OPTION_ARG_FILENAME, &metadata, "status directory", "DIR" },
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_name, "account name (default: example)", "NAME" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("MAILDIR - sync an IMAP account with a Maildir");
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncRepository) remote = NULL, local = NULL;
  g_autoptr(MailsyncStatusStore) status = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  const char *maildir, *password;
  guint64 port = 0;
  guint sigint_id, sigterm_id;
  Client client = { 0 };
  gboolean cancelled;
  int exit_status;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, "The password is read from MAILSYNC_PASSWORD.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sync-client: %s\n", error->message);
      return 2;
    }
  if (argc != 2 || host == NULL)
    {
      g_printerr ("usage: sync-client --host HOST [OPTION...] MAILDIR (--help for more)\n");
      return 2;
    }
  maildir = argv[1];
  if (account_name == NULL)
    account_name = g_strdup ("example");
  if (tls == NULL)
    tls = g_strdup ("imaps");
  if (!g_str_equal (tls, "imaps") && !g_str_equal (tls, "starttls") && !g_str_equal (tls, "none"))
    {
      g_printerr ("sync-client: --tls must be imaps, starttls or none, not '%s'\n", tls);
      return 2;
    }
  /* Port 0 lets the repository choose 993 or 143 from "ssl". */
  if (port_text != NULL && !g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, &error))
    {
      g_printerr ("sync-client: port: %s\n", error->message);
      return 2;
    }

  /* The remote side.  Whatever offlineimap's [Repository] sections can
   * say is a property of MailsyncImapRepository. */
  remote = mailsync_imap_repository_new ("Remote", host, (guint16) port);
  g_object_set (remote, "ssl", g_str_equal (tls, "imaps"), "starttls", g_str_equal (tls, "starttls"), NULL);
  if (user != NULL)
    g_object_set (remote, "user", user, NULL);
  password = g_getenv ("MAILSYNC_PASSWORD");
  if (password != NULL)
    g_object_set (remote, "password", password, NULL);
  if (ca_file != NULL)
    g_object_set (remote, "ca-file", ca_file, NULL);

  /* The local side, a Maildir++ tree ('.' between folder names), and the
   * status store: what both sides agreed on at the last sync, which is
   * how a sync tells "new here" from "deleted there" (offlineimap's
   * SQLite format, so offlineimap could take over, and back). */
  if (metadata == NULL)
    {
      /* Canonical first: the dirname of "Mail/" is "Mail". */
      g_autofree char *path = g_canonicalize_filename (maildir, NULL);
      g_autofree char *parent = g_path_get_dirname (path);
      g_autofree char *base = g_strconcat (".sync-client-", account_name, NULL);

      metadata = g_build_filename (parent, base, NULL);
    }
  if (g_mkdir_with_parents (maildir, 0700) != 0 || g_mkdir_with_parents (metadata, 0700) != 0)
    {
      g_printerr ("sync-client: cannot create %s or %s: %s\n", maildir, metadata, g_strerror (errno));
      return 1;
    }
  local = mailsync_maildir_repository_new ("Local", maildir, '.');
  status = mailsync_status_sqlite_new (metadata);
  account = mailsync_account_new (account_name, remote, local, status);

  /* Our own main loop: the events and the callback come to it. */
  client.loop = g_main_loop_new (NULL, FALSE);
  client.cancellable = g_cancellable_new ();
  g_signal_connect (account, "event", G_CALLBACK (on_event), &client);
  sigint_id = g_unix_signal_add (SIGINT, on_signal, &client);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &client);

  mailsync_account_sync_async (account, client.cancellable, on_synced, &client);
  g_main_loop_run (client.loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_print ("summary: %u folders, %u copied, %u deleted, %u flag changes, %u errors\n",
           client.folders, client.copied, client.deleted, client.flag_changes, client.errors);
  cancelled = g_error_matches (client.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (client.ok)
    g_print ("sync finished\n");
  else if (cancelled)
    g_print ("sync cancelled\n");
  else
    /* MAILSYNC_ERROR_PARTIAL when only some folders failed (the events
     * said which); anything else stopped the whole sync. */
    g_printerr ("sync-client: sync failed: %s\n", client.error->message);
  exit_status = client.ok ? 0 : cancelled ? 130 : 1;

  g_clear_error (&client.error);
  g_object_unref (client.cancellable);
  g_main_loop_unref (client.loop);
  return exit_status;
}
