/* The base class's translation of the library's events into
 * offlineimap's lines (human text and machineui command + payload), with
 * the run's bookkeeping that follows from them (account start times,
 * active folder threads, the error recap, UID validity, skipped
 * messages).  Moved from mailsync-ui.c (issue 14 item 1). */
#include "config.h"
#include "mailsync-ui-private.h"

#include <string.h>

static gboolean
kind_is_folder_scoped (MailsyncSyncEventKind kind)
{
  switch (kind)
    {
    case MAILSYNC_SYNC_EVENT_FOLDER_STARTED:
    case MAILSYNC_SYNC_EVENT_FOLDER_FINISHED:
    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
    case MAILSYNC_SYNC_EVENT_MESSAGES_DELETED:
    case MAILSYNC_SYNC_EVENT_FLAGS_ADDED:
    case MAILSYNC_SYNC_EVENT_FLAGS_REMOVED:
    case MAILSYNC_SYNC_EVENT_LIST_LOADING:
    case MAILSYNC_SYNC_EVENT_LIST_LOADED:
    case MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES:
    case MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM:
      return TRUE;
    default:
      return FALSE;
    }
}

/* @value in decimal, at the end of @buf (24 bytes hold any gint64) */
static const char *
decimal (char buf[24], gint64 value)
{
  char *p = buf + 23;
  guint64 v = value < 0 ? -(guint64) value : (guint64) value;

  *p = '\0';
  do
    *--p = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  if (value < 0)
    *--p = '-';
  return p;
}

/* offlineimap's folder classes that list through a server (IMAPFolder
 * and its subclasses) */
static gboolean
lists_from_server (const char *type)
{
  return strcmp (type, "IMAP") == 0 || strcmp (type, "MappedIMAP") == 0 || strcmp (type, "Gmail") == 0;
}

static char *
uid_list (const guint32 *uids, guint n_uids, const char *sep)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n_uids; i++)
    g_string_append_printf (out, "%s%u", i ? sep : "", uids[i]);
  return g_string_free (out, FALSE);
}

static void
event_account (MailsyncUi *self, MailsyncSyncEvent *event, const char *thread)
{
  MailsyncUiPrivate *priv = _mailsync_ui_get_private (self);
  const char *account = nonnull (mailsync_sync_event_get_account (event));
  g_autofree char *text = NULL;

  if (mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED)
    {
      g_hash_table_replace (priv->account_started, g_strdup (account),
                            g_memdup2 (&(gint64) { g_get_monotonic_time () }, sizeof (gint64)));
      emit_line (self, MAILSYNC_UI_LEVEL_INFO, MAILSYNC_UI_LEVEL_INFO, thread, "registerthread", account, NULL);
      text = g_strdup_printf ("*** Processing account %s", account);
      emit_line (self, MAILSYNC_UI_LEVEL_INFO, MAILSYNC_UI_LEVEL_INFO, thread, "acct", account, text);
    }
  else
    {
      const GError *error = mailsync_sync_event_get_error (event);
      gint64 *started = g_hash_table_lookup (priv->account_started, account);
      gint64 secs = started ? (g_get_monotonic_time () - *started) / G_USEC_PER_SEC : 0;

      /* PARTIAL and UIDVALIDITY_CHANGED only sum up folder errors that were
       * reported (and recorded) one by one. */
      /* A cancelled account is the stop the user asked for (TERM, INT,
       * HUP, q), not an error of the run. */
      if (error != NULL &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_PARTIAL) &&
          !g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED))
        {
          /* A repository or account error ends the account, as an
           * OfflineImapError of REPO severity does: "ERROR: " + the error. */
          g_autofree char *etext = g_strdup_printf ("ERROR: %s", error->message);
          record_error (self, etext);
          emit_text (self, MAILSYNC_UI_LEVEL_ERROR, thread, etext);
        }
      text = g_strdup_printf ("*** Finished account '%s' in %d:%02d", account,
                              (int) (secs / 60), (int) (secs % 60));
      emit_line (self, MAILSYNC_UI_LEVEL_INFO, MAILSYNC_UI_LEVEL_INFO, thread, "acctdone", account, text);
      g_hash_table_remove (priv->account_started, account);
      emit_line (self, MAILSYNC_UI_LEVEL_INFO, MAILSYNC_UI_LEVEL_INFO, MAIN_THREAD, "threadExited", thread, NULL);
      emit_line (self, MAILSYNC_UI_LEVEL_INFO, MAILSYNC_UI_LEVEL_INFO, MAIN_THREAD, "unregisterthread", thread, NULL);
    }
}

/* A server's folder name with a control character (a newline is valid in
 * an IMAP literal) is shown with C escapes, the newline and tab included,
 * which _mailsync_ui_printable_or_null() keeps for messages: the name
 * must not break a line (issue 12 item 2). UTF-8 is kept. NULL when @folder is clean. */
static char *
escape_folder_name (const char *folder)
{
  char keep[129];

  if (folder == NULL)
    return NULL;
  for (const guchar *p = (const guchar *) folder; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      {
        for (guint i = 0; i < 128; i++)
          keep[i] = (char) (0x80 + i);
        keep[128] = '\0';
        return g_strescape (folder, keep);
      }
  return NULL;
}

void
_mailsync_ui_real_event (MailsyncUi *self, MailsyncSyncEvent *event)
{
  MailsyncUiPrivate *priv = _mailsync_ui_get_private (self);
  MailsyncSyncEventKind kind = mailsync_sync_event_get_kind (event);
  const char *account = nonnull (mailsync_sync_event_get_account (event));
  g_autofree char *folder_escaped = escape_folder_name (mailsync_sync_event_get_folder (event));
  const char *folder = folder_escaped ? folder_escaped : nonnull (mailsync_sync_event_get_folder (event));
  const char *repo = nonnull (mailsync_sync_event_get_repository (event));
  const char *src_repo = nonnull (mailsync_sync_event_get_source_repository (event));
  const char *src_type = nonnull (mailsync_sync_event_get_source_type (event));
  const char *dst_type = nonnull (mailsync_sync_event_get_destination_type (event));
  const char *etext = mailsync_sync_event_get_text (event);
  const GError *error = mailsync_sync_event_get_error (event);
  const char *prefix = priv->dry_run ? "[DRYRUN] " : "";
  g_autofree char *account_thread = NULL;
  g_autofree char *folder_thread = NULL;
  g_autofree char *text = NULL;
  g_autofree char *payload = NULL;
  const char *thread;
  const guint32 *uids;
  guint n_uids = 0;
  const MailsyncUiLevel INFO = MAILSYNC_UI_LEVEL_INFO;

  /* Warnings, errors and debug lines of a folder being synced come from
   * its thread, as offlineimap's would. */
  /* Each thread name is made only when it is used (one event per
   * message copied). */
  if (kind_is_folder_scoped (kind) || mailsync_sync_event_get_folder (event) != NULL)
    folder_thread = mailsync_ui_folder_thread (folder, account);
  if (kind_is_folder_scoped (kind) ||
      (mailsync_sync_event_get_folder (event) != NULL &&
       g_hash_table_contains (priv->active_folders, folder_thread)))
    thread = folder_thread;
  else
    thread = account_thread = mailsync_ui_account_thread (account);
  uids = mailsync_sync_event_get_uids (event, &n_uids);

  switch (kind)
    {
    case MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED:
    case MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED:
      if (account_thread == NULL)
        account_thread = mailsync_ui_account_thread (account);
      event_account (self, event, account_thread);
      break;

    case MAILSYNC_SYNC_EVENT_CONNECTING:
      {
        /* "host:port" or "tunnel:command": the port is after the last
         * colon (IPv6 literals), the command after the first. */
        const char *t = nonnull (etext);
        const char *colon = g_str_has_prefix (t, "tunnel:") ? t + strlen ("tunnel") : strrchr (t, ':');
        g_autofree char *host = colon ? g_strndup (t, colon - t) : g_strdup (t);

        text = g_strdup_printf ("Establishing connection to %s (%s)", t, repo);
        payload = g_strdup_printf ("%s\n%s\n%s", host, colon ? colon + 1 : "", repo);
        emit_line (self, INFO, INFO, thread, "connecting", payload, text);
      }
      break;

    case MAILSYNC_SYNC_EVENT_SYNC_FOLDERS:
      payload = g_strdup_printf ("%s\n%s", src_type, dst_type);
      emit_line (self, INFO, INFO, thread, "syncfolders", payload, NULL);
      break;

    case MAILSYNC_SYNC_EVENT_FOLDER_CREATED:
      text = g_strdup_printf ("%sCreating folder %s[%s]", prefix, folder, repo);
      emit_text (self, INFO, thread, text);
      break;

    case MAILSYNC_SYNC_EVENT_STATUS_CREATED:
      text = g_strdup_printf ("Creating new Local Status db for %s:%s", repo, folder);
      emit_line (self, INFO, INFO, thread, "_display", text, text);
      break;

    case MAILSYNC_SYNC_EVENT_FOLDER_STARTED:
      g_hash_table_add (priv->active_folders, g_strdup (folder_thread));
      emit_line (self, INFO, INFO, thread, "registerthread", account, NULL);
      /* offlineimap names the server's folder (before nametrans), and
       * machineui each side's own name. */
      {
        g_autofree char *sf_escaped = escape_folder_name (mailsync_sync_event_get_source_folder (event));
        const char *sf = sf_escaped ? sf_escaped : mailsync_sync_event_get_source_folder (event);
        const char *df = mailsync_sync_event_get_destination_folder (event);

        text = g_strdup_printf ("Syncing %s: %s -> %s", sf ? sf : folder, src_type, dst_type);
        payload = g_strdup_printf ("%s\n%s\n%s\n%s\n", src_type, sf ? sf : folder, dst_type, df ? df : folder);
      }
      emit_line (self, INFO, INFO, thread, "syncingfolder", payload, text);
      break;

    case MAILSYNC_SYNC_EVENT_FOLDER_FINISHED:
      g_hash_table_remove (priv->active_folders, folder_thread);
      emit_line (self, INFO, INFO, MAIN_THREAD, "threadExited", folder_thread, NULL);
      emit_line (self, INFO, INFO, MAIN_THREAD, "unregisterthread", folder_thread, NULL);
      break;

    case MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED:
      if (etext == NULL || strcmp (etext, "not changed") == 0)
        text = g_strdup_printf ("Skipping %s (not changed)", folder);
      else
        text = g_strdup_printf ("Skipping %s (%s)", folder, etext);
      emit_text (self, INFO, thread, text);
      break;

    case MAILSYNC_SYNC_EVENT_LIST_LOADING:
      text = g_strdup_printf ("Loading message list for %s[%s]", dst_type, folder);
      payload = g_strdup_printf ("%s\n%s", dst_type, folder);
      emit_line (self, MAILSYNC_UI_LEVEL_DEBUG, INFO, thread, "loadmessagelist", payload, text);
      break;

    case MAILSYNC_SYNC_EVENT_LIST_LOADED:
      /* offlineimap's IMAP folders (MappedIMAP and Gmail ones too) return
       * from their listing before this line when the server lists no
       * message; a Maildir's always says it */
      if (mailsync_sync_event_get_n (event) == 0 && lists_from_server (dst_type))
        break;
      text = g_strdup_printf ("Message list for %s[%s] loaded: %u messages", dst_type, folder,
                              mailsync_sync_event_get_n (event));
      payload = g_strdup_printf ("%s\n%s\n%u", dst_type, folder, mailsync_sync_event_get_n (event));
      emit_line (self, MAILSYNC_UI_LEVEL_DEBUG, INFO, thread, "messagelistloaded", payload, text);
      break;

    case MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES:
      text = g_strdup_printf ("Syncing messages %s[%s] -> %s[%s]", src_type, folder, dst_type, folder);
      payload = g_strdup_printf ("%s\n%s\n%s\n%s\n", src_type, folder, dst_type, folder);
      emit_line (self, MAILSYNC_UI_LEVEL_DEBUG, INFO, thread, "syncingmessages", payload, text);
      break;

    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
      /* offlineimap names the source's UID: negative for new local mail.
       * One line per message: no printf, and machineui's payload only for
       * a UI that reads it. */
      {
        char uid[24], n[24], total[24];
        const char *u = decimal (uid, mailsync_sync_event_get_source_uid (event));

        text = g_strconcat ("Copy message UID ", u,
                            " (", decimal (n, mailsync_sync_event_get_n (event)),
                            "/", decimal (total, mailsync_sync_event_get_total (event)),
                            ") ", src_repo, ":", folder, " -> ", repo, ":", folder, NULL);
        if (MAILSYNC_UI_GET_CLASS (self)->reads_payloads)
          payload = g_strconcat (u, "\n", src_type, "\n", folder, "\n", dst_type, "[", folder, "]", NULL);
      }
      emit_line (self, INFO, INFO, thread, "copyingmessage", payload, text);
      break;

    case MAILSYNC_SYNC_EVENT_MESSAGE_IGNORED:
      /* offlineimap's ui.ignorecopyingmessage (copy_ignore_eval) */
      text = g_strdup_printf ("IGNORED: Copy message UID %u %s:%s -> %s", mailsync_sync_event_get_uid (event),
                              src_repo, folder, repo);
      payload = g_strdup_printf ("%u\n%s\n%s\n%s[%s]", mailsync_sync_event_get_uid (event), src_type, folder,
                                 dst_type, folder);
      emit_line (self, INFO, INFO, thread, "ignorecopyingmessage", payload, text);
      break;

    case MAILSYNC_SYNC_EVENT_LABELS_ADDED:
    case MAILSYNC_SYNC_EVENT_LABELS_REMOVED:
    case MAILSYNC_SYNC_EVENT_LABELS_SET:
    case MAILSYNC_SYNC_EVENT_COLLECTING_DATA:
      /* offlineimap's addinglabels, deletinglabels, settinglabels and
       * collectingdata: plain info lines (machineui's empty command) */
      emit_text (self, INFO, thread, nonnull (etext));
      break;

    case MAILSYNC_SYNC_EVENT_MESSAGES_DELETED:
      {
        g_autofree char *seq = uids ? mailsync_ui_uid_sequence (uids, n_uids) : g_strdup (nonnull (etext));
        g_autofree char *list = uid_list (uids, n_uids, "\f");

        text = g_strdup_printf ("%sDeleting %u messages (%s) in %s[%s]", prefix,
                                mailsync_sync_event_get_n (event), seq, dst_type, folder);
        payload = g_strdup_printf ("%s\n%s\t%s", list, dst_type, folder);
        emit_line (self, INFO, INFO, thread, "deletingmessages", payload, text);
      }
      break;

    case MAILSYNC_SYNC_EVENT_FLAGS_ADDED:
    case MAILSYNC_SYNC_EVENT_FLAGS_REMOVED:
      {
        gboolean add = kind == MAILSYNC_SYNC_EVENT_FLAGS_ADDED;
        const char *flags = nonnull (mailsync_sync_event_get_flags (event));
        g_autofree char *list = uid_list (uids, n_uids, "\f");
        GString *ff = g_string_new (NULL);

        for (const char *f = flags; *f; f++)
          g_string_append_printf (ff, "%s%c", f == flags ? "" : "\f", *f);
        text = g_strdup_printf (add ? "Adding flag %s to %u messages on %s" : "Deleting flag %s from %u messages on %s",
                                flags, mailsync_sync_event_get_n (event), folder);
        payload = g_strdup_printf ("%s\n%s\n%s", list, ff->str, folder);
        g_string_free (ff, TRUE);
        emit_line (self, INFO, INFO, thread, add ? "addingflags" : "deletingflags", payload, text);
      }
      break;

    case MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM:
      priv->validity_problem = TRUE;
      text = g_strdup_printf ("UID validity problem for folder %s (repo %s) (saved %u; got %u); skipping it. "
                              "Please see FAQ and manual on how to handle this.", folder, repo,
                              mailsync_sync_event_get_saved_uidvalidity (event),
                              mailsync_sync_event_get_uidvalidity (event));
      payload = g_strdup_printf ("%s\n%s\n%u\n%u", folder, repo, mailsync_sync_event_get_saved_uidvalidity (event),
                                 mailsync_sync_event_get_uidvalidity (event));
      emit_line (self, MAILSYNC_UI_LEVEL_WARNING, MAILSYNC_UI_LEVEL_WARNING, thread, "validityproblem", payload, text);
      break;

    case MAILSYNC_SYNC_EVENT_WARNING:
      /* offlineimap's ignore-readonly silences exactly its warnings about
       * changes not made to a read-only folder, which the engine marks
       * with MAILSYNC_ERROR_READ_ONLY. */
      if (priv->ignore_read_only && error != NULL && g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY))
        break;
      /* A skipped message is one line, a warning, but the run did not do
       * everything: it must not exit 0 (issue 12). */
      if (error != NULL && g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED))
        priv->skipped++;
      emit_text (self, MAILSYNC_UI_LEVEL_WARNING, thread, etext ? etext : error ? error->message : "");
      break;

    case MAILSYNC_SYNC_EVENT_ERROR:
      /* The validity event said it all, and offlineimap does not count it
       * among the run's exceptions (it has its own exit code). */
      if (error != NULL && g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED))
        {
          priv->validity_problem = TRUE;
          break;
        }
      /* offlineimap's texts for an OfflineImapError, which is what our
       * scoped errors are: a folder's stops that folder only. */
      if (mailsync_sync_event_get_folder (event) != NULL)
        text = g_strdup_printf ("ERROR: Aborting sync, folder '%s' [acc: '%s']\n  %s", folder, account,
                                error ? error->message : nonnull (etext));
      else
        text = g_strdup_printf ("ERROR: %s", error ? error->message : nonnull (etext));
      record_error (self, text);
      emit_text (self, MAILSYNC_UI_LEVEL_ERROR, thread, text);
      break;

    case MAILSYNC_SYNC_EVENT_DEBUG:
      /* Dry-run reports are what a dry run is for: offlineimap shows them
       * at INFO. */
      if (etext != NULL && g_str_has_prefix (etext, "[DRYRUN]"))
        emit_text (self, INFO, thread, etext);
      else
        emit_text (self, MAILSYNC_UI_LEVEL_DEBUG, thread, nonnull (etext));
      break;

    default:
      break;
    }
}
