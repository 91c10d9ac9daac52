/* sync-client: a small libmailsync client.
 *
 * Syncs one IMAP account with a local Maildir, the way a mail program
 * embedding libmailsync would: its own GMainLoop, one
 * mailsync_account_sync_async(), progress from the account's "event"
 * signal, Ctrl-C (SIGINT) or SIGTERM cancels through a GCancellable, and
 * the exit status comes from mailsync_account_sync_finish().
 *
 *   sync-client [OPTION...] MAILDIR
 *
 * Each option can come from the environment instead:
 *
 *   --host HOST          MAILSYNC_HOST      the IMAP server
 *   --port PORT          MAILSYNC_PORT      default 993 (imaps) or 143
 *   --user USER          MAILSYNC_USER      login name
 *                        MAILSYNC_PASSWORD  password (never on the command line)
 *   --tls MODE           MAILSYNC_TLS       imaps (default), starttls or none
 *   --ca-file FILE       MAILSYNC_CA_FILE   CA certificates to trust instead
 *                                           of the system's
 *   --metadata DIR       MAILSYNC_METADATA  where the status is kept (default
 *                                           .sync-client-ACCOUNT beside MAILDIR)
 *   --account NAME                          account name (default "example")
 *
 * Exit status: 0 when everything was synced, 1 when the sync failed (or
 * some folder did), 2 on a usage error, 130 when cancelled.
 *
 * Build: cc -o sync-client sync-client.c $(pkg-config --cflags --libs libmailsync-1.0)
 * (in the source tree, "make" in examples/ builds it; it is not installed).
 * examples/sync-client.py is the same program in Python through
 * GObject-Introspection; tests/check-examples.py runs both against a
 * private Dovecot. */

#include <libmailsync/mailsync.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>

typedef struct
{
  GMainLoop *loop;
  GCancellable *cancellable;
  gboolean done;
  gboolean ok;
  GError *error;
  /* Totals for the summary line. */
  guint folders;
  guint copied;
  guint deleted;
  guint flag_changes;
  guint errors;
} Client;

static const char *
folder_of (MailsyncSyncEvent *event)
{
  const char *folder = mailsync_sync_event_get_folder (event);

  return folder != NULL ? folder : "";
}

static const char *
message_of (MailsyncSyncEvent *event)
{
  const GError *error = mailsync_sync_event_get_error (event);
  const char *text = mailsync_sync_event_get_text (event);

  if (error != NULL)
    return error->message;
  return text != NULL ? text : "";
}

/* The account's "event" signal: one line per interesting event.  It is
 * emitted on the thread-default main context of the caller of
 * mailsync_account_sync_async(), here the main loop's. */
static void
on_event (MailsyncAccount   *account,
          MailsyncSyncEvent *event,
          gpointer           user_data)
{
  Client *client = user_data;
  const char *folder = folder_of (event);

  switch (mailsync_sync_event_get_kind (event))
    {
    case MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED:
      g_print ("account %s: sync started\n", mailsync_account_get_name (account));
      break;
    case MAILSYNC_SYNC_EVENT_CONNECTING:
      g_print ("connecting to %s\n", message_of (event));
      break;
    case MAILSYNC_SYNC_EVENT_FOLDER_CREATED:
      g_print ("%s: folder created in %s\n", folder, mailsync_sync_event_get_repository (event));
      break;
    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
      client->copied++;
      g_print ("%s: copied message %u to %s (%u/%u)\n", folder,
               mailsync_sync_event_get_uid (event),
               mailsync_sync_event_get_direction (event) == MAILSYNC_DIRECTION_TO_LOCAL
                 ? "local" : "remote",
               mailsync_sync_event_get_n (event), mailsync_sync_event_get_total (event));
      break;
    case MAILSYNC_SYNC_EVENT_MESSAGES_DELETED:
      client->deleted += mailsync_sync_event_get_n (event);
      g_print ("%s: deleted %u messages in %s\n", folder, mailsync_sync_event_get_n (event),
               mailsync_sync_event_get_repository (event));
      break;
    case MAILSYNC_SYNC_EVENT_FLAGS_ADDED:
    case MAILSYNC_SYNC_EVENT_FLAGS_REMOVED:
      client->flag_changes += mailsync_sync_event_get_n (event);
      g_print ("%s: flag %s %s on %u messages in %s\n", folder,
               mailsync_sync_event_get_flags (event),
               mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_FLAGS_ADDED
                 ? "added" : "removed",
               mailsync_sync_event_get_n (event), mailsync_sync_event_get_repository (event));
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
      g_print ("warning: %s%s%s\n", folder, *folder ? ": " : "", message_of (event));
      break;
    case MAILSYNC_SYNC_EVENT_ERROR:
      client->errors++;
      g_print ("error: %s%s%s\n", folder, *folder ? ": " : "", message_of (event));
      break;
    case MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED:
    case MAILSYNC_SYNC_EVENT_FOLDER_STARTED:
    case MAILSYNC_SYNC_EVENT_DEBUG:
    case MAILSYNC_SYNC_EVENT_SYNC_FOLDERS:
    case MAILSYNC_SYNC_EVENT_STATUS_CREATED:
    case MAILSYNC_SYNC_EVENT_LIST_LOADING:
    case MAILSYNC_SYNC_EVENT_LIST_LOADED:
    case MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES:
    case MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM:
    case MAILSYNC_SYNC_EVENT_MESSAGE_IGNORED:
    default:
      break;
    }
}

/* SIGINT or SIGTERM: cancel the sync; the loop goes on until the sync
 * has stopped and reported (it gives back what it holds first). */
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
  client->done = TRUE;
  g_main_loop_quit (client->loop);
}

/* An option's value: the command line's, else the environment's. */
static const char *
option (const char *value, const char *variable)
{
  return value != NULL ? value : g_getenv (variable);
}

int
main (int argc, char **argv)
{
  g_autofree char *host = NULL, *port_text = NULL, *user = NULL, *tls = NULL;
  g_autofree char *ca_file = NULL, *metadata = NULL, *account_name = NULL;
  g_autofree char *status_dir = NULL;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "IMAP server (MAILSYNC_HOST)", "HOST" },
    { "port", 0, 0, G_OPTION_ARG_STRING, &port_text, "port (MAILSYNC_PORT; default 993 or 143)", "PORT" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "login name (MAILSYNC_USER)", "USER" },
    { "tls", 0, 0, G_OPTION_ARG_STRING, &tls, "imaps, starttls or none (MAILSYNC_TLS; default imaps)", "MODE" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "CA certificates to trust (MAILSYNC_CA_FILE)", "FILE" },
    { "metadata", 0, 0, G_OPTION_ARG_FILENAME, &metadata, "status directory (MAILSYNC_METADATA)", "DIR" },
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_name, "account name (default: example)", "NAME" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncRepository) remote = NULL;
  g_autoptr(MailsyncRepository) local = NULL;
  g_autoptr(MailsyncStatusStore) status = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  const char *maildir, *password, *mode;
  guint64 port = 0;
  guint sigint_id, sigterm_id;
  Client client = { 0 };
  int exit_status;

  context = g_option_context_new ("MAILDIR - sync an IMAP account with a Maildir");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sync-client: %s\n", error->message);
      return 2;
    }
  if (argc != 2 || option (host, "MAILSYNC_HOST") == NULL)
    {
      g_printerr ("usage: sync-client [--host HOST] [OPTION...] MAILDIR (--help for more)\n");
      return 2;
    }
  maildir = argv[1];
  if (account_name == NULL)
    account_name = g_strdup ("example");
  mode = option (tls, "MAILSYNC_TLS");
  if (mode == NULL)
    mode = "imaps";
  if (g_strcmp0 (mode, "imaps") != 0 && g_strcmp0 (mode, "starttls") != 0 &&
      g_strcmp0 (mode, "none") != 0)
    {
      g_printerr ("sync-client: --tls must be imaps, starttls or none, not '%s'\n", mode);
      return 2;
    }
  if (option (port_text, "MAILSYNC_PORT") != NULL &&
      !g_ascii_string_to_unsigned (option (port_text, "MAILSYNC_PORT"), 10, 1, 65535, &port, &error))
    {
      g_printerr ("sync-client: port: %s\n", error->message);
      return 2;
    }

  /* The remote side: an IMAP repository.  Everything offlineimap's
   * [Repository] sections say is a property (see MailsyncImapRepository). */
  remote = mailsync_imap_repository_new ("Remote", option (host, "MAILSYNC_HOST"), (guint16) port);
  g_object_set (remote,
                "ssl", g_str_equal (mode, "imaps"),
                "starttls", g_str_equal (mode, "starttls"),
                NULL);
  if (option (user, "MAILSYNC_USER") != NULL)
    g_object_set (remote, "user", option (user, "MAILSYNC_USER"), NULL);
  password = g_getenv ("MAILSYNC_PASSWORD");
  if (password != NULL)
    g_object_set (remote, "password", password, NULL);
  if (option (ca_file, "MAILSYNC_CA_FILE") != NULL)
    g_object_set (remote, "ca-file", option (ca_file, "MAILSYNC_CA_FILE"), NULL);

  /* The local side: a Maildir++ tree ('.' between folder names), and the
   * status store that remembers what both sides agreed on last time
   * (offlineimap's SQLite format). */
  if (option (metadata, "MAILSYNC_METADATA") != NULL)
    status_dir = g_strdup (option (metadata, "MAILSYNC_METADATA"));
  else
    {
      g_autofree char *parent = g_path_get_dirname (maildir);
      g_autofree char *base = g_strconcat (".sync-client-", account_name, NULL);
      status_dir = g_build_filename (parent, base, NULL);
    }
  if (g_mkdir_with_parents (maildir, 0700) != 0 || g_mkdir_with_parents (status_dir, 0700) != 0)
    {
      g_printerr ("sync-client: cannot create %s or %s\n", maildir, status_dir);
      return 1;
    }
  local = mailsync_maildir_repository_new ("Local", maildir, '.');
  status = mailsync_status_sqlite_new (status_dir);
  account = mailsync_account_new (account_name, remote, local, status);

  /* Our own main loop; the sync reports to it. */
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
  if (client.ok)
    {
      g_print ("sync finished\n");
      exit_status = 0;
    }
  else if (g_error_matches (client.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_print ("sync cancelled\n");
      exit_status = 130;
    }
  else
    {
      g_print ("sync failed: %s\n", client.error->message);
      exit_status = 1;
    }

  g_clear_error (&client.error);
  g_object_unref (client.cancellable);
  g_main_loop_unref (client.loop);
  return exit_status;
}
