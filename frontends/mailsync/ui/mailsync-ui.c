/* MailsyncUi: the base of the mailsync command's user interfaces.
 *
 * offlineimap's UIs share one message vocabulary (UIBase) and differ in
 * formatting only.  Here the base translates each library event and each
 * frontend message into a MailsyncUiLine that holds both of offlineimap's
 * renderings (human text and machineui command + payload), and keeps the
 * run's bookkeeping (account start times, errors for the final recap, the
 * UID validity flag, thread names).  Subclasses only format lines. */
#include "config.h"
#include "mailsync-ui.h"
#include "mailsync-ui-quiet.h"
#include "mailsync-ui-basic.h"
#include "mailsync-ui-syslog.h"
#include "mailsync-ui-ttyui.h"
#include "mailsync-ui-machineui.h"
#include "mailsync-ui-blinkenlights.h"
#include "mailsync-ui-json.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <glib/gstdio.h>

typedef struct
{
  GRecMutex lock;
  MailsyncUiLevel level;
  GStrv debug_types;
  gboolean dry_run;
  FILE *out;
  GStrv accounts;
  GHashTable *account_started; /* account -> gint64 monotonic start */
  GHashTable *active_folders;  /* folder thread names that are registered */
  GPtrArray *errors;           /* texts of the errors, for the recap */
  gboolean validity_problem;
  guint skipped;               /* messages skipped (MAILSYNC_ERROR_SKIPPED warnings) */
  gboolean ignore_read_only;   /* [general] ignore-readonly */
  FILE *log_file;              /* -l */
  gboolean syslog;             /* -s */
} MailsyncUiPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (MailsyncUi, mailsync_ui, G_TYPE_OBJECT)

#define MAIN_THREAD "MainThread"

/* ---- helpers ------------------------------------------------------------ */

/**
 * mailsync_ui_quote_plus:
 * @text: UTF-8 text
 *
 * Encodes @text as Python's urllib.parse.quote_plus() does, which is what
 * machineui parsers decode: [A-Za-z0-9_.~-] stay, a space becomes '+',
 * every other byte becomes %XX with upper-case hex.
 *
 * Returns: (transfer full): the encoded text
 */
char *
mailsync_ui_quote_plus (const char *text)
{
  static const char hex[] = "0123456789ABCDEF";
  GString *out = g_string_sized_new (text ? strlen (text) * 3 / 2 + 1 : 1);

  for (const guchar *p = (const guchar *) (text ? text : ""); *p; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '_' || *p == '.' || *p == '~' || *p == '-')
        g_string_append_c (out, *p);
      else if (*p == ' ')
        g_string_append_c (out, '+');
      else
        {
          g_string_append_c (out, '%');
          g_string_append_c (out, hex[*p >> 4]);
          g_string_append_c (out, hex[*p & 0xf]);
        }
    }
  return g_string_free (out, FALSE);
}

/**
 * mailsync_ui_uid_sequence:
 * @uids: (array length=n_uids): UIDs
 * @n_uids: how many
 *
 * offlineimap's imaputil.uid_sequence(): sorted, consecutive runs collapsed
 * ("7:9,12").
 *
 * Returns: (transfer full): the sequence, "" for none
 */
char *
mailsync_ui_uid_sequence (const guint32 *uids, guint n_uids)
{
  g_autofree guint32 *sorted = g_memdup2 (uids, sizeof (guint32) * n_uids);
  GString *out = g_string_new (NULL);

  for (guint i = 1; i < n_uids; i++)
    for (guint j = i; j > 0 && sorted[j - 1] > sorted[j]; j--)
      {
        guint32 t = sorted[j];
        sorted[j] = sorted[j - 1];
        sorted[j - 1] = t;
      }
  for (guint i = 0; i < n_uids;)
    {
      guint j = i;

      while (j + 1 < n_uids && sorted[j + 1] <= sorted[j] + 1)
        j++;
      if (out->len)
        g_string_append_c (out, ',');
      if (sorted[j] != sorted[i])
        g_string_append_printf (out, "%u:%u", sorted[i], sorted[j]);
      else
        g_string_append_printf (out, "%u", sorted[i]);
      i = j + 1;
    }
  return g_string_free (out, FALSE);
}

/**
 * mailsync_ui_account_thread:
 * @account: an account name
 *
 * Returns: (transfer full): offlineimap's name of the account's thread
 */
char *
mailsync_ui_account_thread (const char *account)
{
  return g_strdup_printf ("Account sync %s", account ? account : "");
}

/**
 * mailsync_ui_folder_thread:
 * @folder: a folder name
 * @account: an account name
 *
 * Returns: (transfer full): offlineimap's name of a folder's thread
 */
char *
mailsync_ui_folder_thread (const char *folder, const char *account)
{
  return g_strdup_printf ("Folder %s [acc: %s]", folder ? folder : "", account ? account : "");
}

/**
 * mailsync_ui_banner_text:
 *
 * mailsync's banner, in the place and shape of offlineimap's ("OfflineIMAP
 * 8.0.0" + licence line): scripts that skip two raw lines keep working.
 *
 * Returns: the two banner lines, joined by a newline
 */
const char *
mailsync_ui_banner_text (void)
{
  return "mailsync " PACKAGE_VERSION "\n"
         "  Licensed under the GNU LGPL v2.1 or any later version";
}

/* Folder names, server texts (ALERT, NO) and error messages come from
 * outside: a hostile server must not drive the user's terminal with
 * escape sequences. Control characters other than newline and tab, and
 * invalid UTF-8, are shown escaped. Returns %NULL when @text is fine. */
static char *
printable (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;
  gboolean clean = TRUE;

  if (text == NULL)
    return NULL;
  for (const guchar *p = (const guchar *) text; *p && clean; p++)
    {
      if (*p < 0x20)
        clean = *p == '\n' || *p == '\t';
      else if (*p == 0x7f)
        clean = FALSE;
      else if (*p == 0xc2)   /* U+0080..U+009F are 0xc2 0x80..0x9f */
        clean = !(p[1] >= 0x80 && p[1] < 0xa0);
    }
  if (clean && g_utf8_validate (text, -1, NULL))
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid) + 16);
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c >= 0x80 && c < 0xa0)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/**
 * mailsync_ui_printable:
 * @text: text from outside (a folder name, a server's words)
 *
 * Returns: (transfer full): @text fit for a terminal: control characters
 *   but newline and tab, and invalid UTF-8, escaped
 */
char *
mailsync_ui_printable (const char *text)
{
  char *shown = printable (text);

  return shown != NULL ? shown : g_strdup (text);
}

static const char *
nonnull (const char *s)
{
  return s ? s : "";
}

static void
emit_line (MailsyncUi      *self,
           MailsyncUiLevel  level,
           MailsyncUiLevel  machine_level,
           const char      *thread,
           const char      *command,
           const char      *payload,
           const char      *text)
{
  MailsyncUiLine line = {
    .level = level,
    .machine_level = machine_level,
    .thread = thread ? thread : MAIN_THREAD,
    .command = command ? command : "",
    .payload = payload,
    .text = text,
  };
  mailsync_ui_render (self, &line);
}

/* The same text for everybody: offlineimap's generic info/warn/error. */
static void
emit_text (MailsyncUi *self, MailsyncUiLevel level, const char *thread, const char *text)
{
  emit_line (self, level, level, thread, "", text, text);
}

static void
record_error (MailsyncUi *self, const char *text)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_ptr_array_add (priv->errors, g_strdup (text));
}

int
_mailsync_ui_level_priority (MailsyncUiLevel level)
{
  switch (level)
    {
    case MAILSYNC_UI_LEVEL_DEBUG: return LOG_DEBUG;
    case MAILSYNC_UI_LEVEL_INFO: return LOG_INFO;
    case MAILSYNC_UI_LEVEL_WARNING: return LOG_WARNING;
    default: return LOG_ERR;
    }
}

static void
write_log_record (FILE *file, MailsyncUiLevel level, const char *text)
{
  static const char * const names[] = { "DEBUG", "INFO", "WARNING", "ERROR" };
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");

  fprintf (file, "%s %s: %s\n", stamp, names[MIN ((guint) level, G_N_ELEMENTS (names) - 1)], text);
  fflush (file);
}

/* ---- events ------------------------------------------------------------- */

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
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);
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
 * which printable() keeps for messages: the name must not break a line
 * (issue 12 item 2). UTF-8 is kept. NULL when @folder is clean. */
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

static void
mailsync_ui_real_event (MailsyncUi *self, MailsyncSyncEvent *event)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);
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
  g_autofree char *account_thread = mailsync_ui_account_thread (account);
  g_autofree char *folder_thread = mailsync_ui_folder_thread (folder, account);
  g_autofree char *text = NULL;
  g_autofree char *payload = NULL;
  const char *thread = account_thread;
  const guint32 *uids;
  guint n_uids = 0;
  const MailsyncUiLevel INFO = MAILSYNC_UI_LEVEL_INFO;

  /* Warnings, errors and debug lines of a folder being synced come from
   * its thread, as offlineimap's would. */
  if (kind_is_folder_scoped (kind) ||
      (mailsync_sync_event_get_folder (event) != NULL &&
       g_hash_table_contains (priv->active_folders, folder_thread)))
    thread = folder_thread;
  uids = mailsync_sync_event_get_uids (event, &n_uids);

  switch (kind)
    {
    case MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED:
    case MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED:
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
      /* offlineimap names the source's UID: negative for new local mail. */
      text = g_strdup_printf ("Copy message UID %" G_GINT64_FORMAT " (%u/%u) %s:%s -> %s:%s",
                              mailsync_sync_event_get_source_uid (event),
                              mailsync_sync_event_get_n (event), mailsync_sync_event_get_total (event),
                              src_repo, folder, repo, folder);
      payload = g_strdup_printf ("%" G_GINT64_FORMAT "\n%s\n%s\n%s[%s]", mailsync_sync_event_get_source_uid (event),
                                 src_type, folder, dst_type, folder);
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

/* ---- default vfuncs ------------------------------------------------------ */

static void
mailsync_ui_real_banner (MailsyncUi *self)
{
  const char *banner = mailsync_ui_banner_text ();
  g_autofree char *versions = g_strdup_printf ("libmailsync v%s, GLib v%u.%u.%u", PACKAGE_VERSION,
                                               glib_major_version, glib_minor_version, glib_micro_version);

  emit_line (self, MAILSYNC_UI_LEVEL_INFO, MAILSYNC_UI_LEVEL_INFO, MAIN_THREAD, "initbanner", banner, banner);
  emit_text (self, MAILSYNC_UI_LEVEL_INFO, MAIN_THREAD, versions);
}

static void
mailsync_ui_real_message (MailsyncUi      *self,
                          MailsyncUiLevel  level,
                          const char      *thread,
                          const char      *command,
                          const char      *text)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  if (level == MAILSYNC_UI_LEVEL_ERROR)
    record_error (self, text);
  /* offlineimap's callhook() prefixes dry runs for humans only. */
  if (priv->dry_run && command != NULL && strcmp (command, "callhook") == 0)
    {
      g_autofree char *dry = g_strdup_printf ("[DRYRUN] %s", text);
      emit_line (self, level, level, thread, command, text, dry);
      return;
    }
  emit_line (self, level, level, thread, command, text, text);
}

static void
mailsync_ui_real_sleeping (MailsyncUi *self,
                           const char *account,
                           guint       slice,
                           guint       remaining)
{
  g_autofree char *thread = mailsync_ui_account_thread (account);
  g_autofree char *payload = g_strdup_printf ("%u\n%u", slice, remaining);
  g_autofree char *text = NULL;

  /* A line when a full minute boundary is crossed; offlineimap's base UI
   * logs it at DEBUG and ttyui at INFO (ttyui overrides this). */
  if (slice > 0 && remaining / 60 != (remaining - MIN (slice, remaining)) / 60)
    text = g_strdup_printf ("Next refresh in %.1f minutes", remaining / 60.0);
  emit_line (self, MAILSYNC_UI_LEVEL_DEBUG, MAILSYNC_UI_LEVEL_INFO, thread, "sleeping", payload, text);
}

static char *
mailsync_ui_real_ask_password (MailsyncUi *self, const char *account, const char *user)
{
  return NULL;
}

static void
mailsync_ui_real_terminate (MailsyncUi *self,
                            int         status,
                            const char *title,
                            const char *text)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);
  const MailsyncUiLevel WARN = MAILSYNC_UI_LEVEL_WARNING;

  /* offlineimap repeats every error at the end, so that one that scrolled
   * by in a long run is not missed; warnings, so quiet shows them too. */
  if (priv->errors->len > 0)
    {
      emit_text (self, WARN, MAIN_THREAD, "ERROR: Exceptions occurred during the run!");
      for (guint i = 0; i < priv->errors->len; i++)
        emit_text (self, WARN, MAIN_THREAD, priv->errors->pdata[i]);
    }
  if (text != NULL && *text != '\0')
    {
      g_autofree char *last = NULL;

      if (title != NULL && *title != '\0')
        last = g_strdup_printf ("ERROR: %s\n\n%s\n", title, text);
      else
        last = g_strdup_printf ("%s\n", text);
      emit_text (self, WARN, MAIN_THREAD, last);
    }
  if (priv->validity_problem)
    emit_text (self, WARN, MAIN_THREAD, "At least one folder skipped due to UID validity problem");
}

/* basic, quiet: the text on the output stream, nothing else */
static void
mailsync_ui_real_render (MailsyncUi *self, const MailsyncUiLine *line)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  if (line->text == NULL || !mailsync_ui_wants (self, line->level) || priv->out == NULL)
    return;
  fputs (line->text, priv->out);
  fputc ('\n', priv->out);
  fflush (priv->out);
}

/* ---- GObject ------------------------------------------------------------ */

static void
mailsync_ui_finalize (GObject *object)
{
  MailsyncUi *self = MAILSYNC_UI (object);
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_strfreev (priv->debug_types);
  g_strfreev (priv->accounts);
  g_hash_table_unref (priv->account_started);
  g_hash_table_unref (priv->active_folders);
  g_ptr_array_unref (priv->errors);
  if (priv->log_file != NULL)
    fclose (priv->log_file);
  if (priv->syslog)
    closelog ();
  g_rec_mutex_clear (&priv->lock);
  G_OBJECT_CLASS (mailsync_ui_parent_class)->finalize (object);
}

static void
mailsync_ui_class_init (MailsyncUiClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_ui_finalize;
  klass->banner = mailsync_ui_real_banner;
  klass->event = mailsync_ui_real_event;
  klass->message = mailsync_ui_real_message;
  klass->sleeping = mailsync_ui_real_sleeping;
  klass->ask_password = mailsync_ui_real_ask_password;
  klass->terminate = mailsync_ui_real_terminate;
  klass->render = mailsync_ui_real_render;
}

static void
mailsync_ui_init (MailsyncUi *self)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_rec_mutex_init (&priv->lock);
  priv->level = MAILSYNC_UI_LEVEL_INFO;
  priv->out = stdout;
  priv->account_started = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  priv->active_folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  priv->errors = g_ptr_array_new_with_free_func (g_free);
}

/* ---- public API --------------------------------------------------------- */

/**
 * mailsync_ui_new_by_name:
 * @name: a UI name as offlineimap's `-u` and `[general] ui` take it
 * @error: return location for a #GError
 *
 * Creates the UI called @name, ignoring case.  offlineimap 6's dotted names
 * (`Curses.Blinkenlights`, `TTY.TTYUI`, `Noninteractive.Basic`) are still
 * accepted, with a warning, as offlineimap does.
 *
 * Returns: (transfer full): the UI, or %NULL with @error set
 */
MailsyncUi *
mailsync_ui_new_by_name (const char *name, GError **error)
{
  static const struct { const char *name; GType (*get_type) (void); } uis[] = {
    { "ttyui", mailsync_ui_ttyui_get_type },
    { "basic", mailsync_ui_basic_get_type },
    { "quiet", mailsync_ui_quiet_get_type },
    { "syslog", mailsync_ui_syslog_get_type },
    { "machineui", mailsync_ui_machineui_get_type },
    { "blinkenlights", mailsync_ui_blinkenlights_get_type },
    { "json", mailsync_ui_json_get_type },
  };
  const char *dot = strrchr (name ? name : "", '.');
  /* offlineimap keeps the last component of a dotted name, then looks it
   * up ignoring case, and names that component in its error. */
  const char *last = dot ? dot + 1 : name ? name : "";

  for (gsize i = 0; i < G_N_ELEMENTS (uis); i++)
    if (g_ascii_strcasecmp (last, uis[i].name) == 0)
      {
        MailsyncUi *ui = g_object_new (uis[i].get_type (), NULL);

        /* Before any UI output exists, on stderr, as offlineimap's root
         * logger prints it (a machineui parser must not see it). */
        if (dot != NULL)
          g_printerr ("WARNING: Using old interface name, consider using one of %s\n", MAILSYNC_UI_NAMES);
        return ui;
      }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "UI '%s' does not exist, choose one of: %s", last, MAILSYNC_UI_NAMES);
  return NULL;
}

/**
 * mailsync_ui_get_name:
 * @self: a UI
 *
 * Returns: the UI's `-u` name
 */
const char *
mailsync_ui_get_name (MailsyncUi *self)
{
  g_return_val_if_fail (MAILSYNC_IS_UI (self), NULL);
  if (MAILSYNC_IS_UI_TTYUI (self))
    return "ttyui";
  if (MAILSYNC_IS_UI_BASIC (self))
    return "basic";
  if (MAILSYNC_IS_UI_QUIET (self))
    return "quiet";
  if (MAILSYNC_IS_UI_SYSLOG (self))
    return "syslog";
  if (MAILSYNC_IS_UI_MACHINEUI (self))
    return "machineui";
  if (MAILSYNC_IS_UI_BLINKENLIGHTS (self))
    return "blinkenlights";
  if (MAILSYNC_IS_UI_JSON (self))
    return "json";
  return G_OBJECT_TYPE_NAME (self);
}

/**
 * mailsync_ui_set_level:
 * @self: a UI
 * @level: the lowest severity shown
 */
void
mailsync_ui_set_level (MailsyncUi *self, MailsyncUiLevel level)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  priv->level = level;
}

/**
 * mailsync_ui_get_level:
 * @self: a UI
 *
 * Returns: the lowest severity shown
 */
MailsyncUiLevel
mailsync_ui_get_level (MailsyncUi *self)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_val_if_fail (MAILSYNC_IS_UI (self), MAILSYNC_UI_LEVEL_INFO);
  return priv->level;
}

/**
 * mailsync_ui_wants:
 * @self: a UI
 * @level: a severity
 *
 * Returns: whether a line of @level is shown
 */
gboolean
mailsync_ui_wants (MailsyncUi *self, MailsyncUiLevel level)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  return level >= priv->level;
}

/**
 * mailsync_ui_set_debug_types:
 * @self: a UI
 * @types: (array zero-terminated=1): the `-d` types
 *
 * Switches the UI to DEBUG and announces each type, as offlineimap's
 * add_debug() does ("Now debugging for imap: IMAP protocol debugging";
 * machineui's `debugging` command).
 */
void
mailsync_ui_set_debug_types (MailsyncUi *self, const char * const *types)
{
  static const struct { const char *type; const char *what; } known[] = {
    { "", "Other offlineimap related sync messages" },
    { "imap", "IMAP protocol debugging" },
    { "maildir", "Maildir repository debugging" },
    { "thread", "Threading debugging" },
  };
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  g_rec_mutex_lock (&priv->lock);
  g_strfreev (priv->debug_types);
  priv->debug_types = g_strdupv ((char **) types);
  if (types != NULL && types[0] != NULL)
    priv->level = MAILSYNC_UI_LEVEL_DEBUG;
  for (gsize i = 0; types != NULL && types[i] != NULL; i++)
    {
      const char *what = "";
      g_autofree char *text = NULL;

      for (gsize k = 0; k < G_N_ELEMENTS (known); k++)
        if (strcmp (types[i], known[k].type) == 0)
          what = known[k].what;
      text = g_strdup_printf ("Now debugging for %s: %s", types[i], what);
      emit_line (self, MAILSYNC_UI_LEVEL_DEBUG, MAILSYNC_UI_LEVEL_DEBUG, MAIN_THREAD, "debugging", types[i], text);
    }
  g_rec_mutex_unlock (&priv->lock);
}

/**
 * mailsync_ui_set_dry_run:
 * @self: a UI
 * @dry_run: whether this is a `--dry-run`
 *
 * Prefixes offlineimap's "[DRYRUN] " where it does.
 */
void
mailsync_ui_set_dry_run (MailsyncUi *self, gboolean dry_run)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  priv->dry_run = dry_run;
}

/**
 * mailsync_ui_set_ignore_read_only:
 * @self: a UI
 * @ignore: offlineimap's `[general] ignore-readonly`
 *
 * Leaves out the warnings that a change was not made because its folder
 * is read-only, as offlineimap does with `ignore-readonly`.
 */
void
mailsync_ui_set_ignore_read_only (MailsyncUi *self, gboolean ignore)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  priv->ignore_read_only = ignore;
}

/**
 * mailsync_ui_set_output:
 * @self: a UI
 * @stream: (nullable): where the text goes; not owned, must outlive @self
 *
 * Replaces the UI's stream (stdout for basic, quiet and machineui, stderr
 * for ttyui).  Syslog and blinkenlights do not use it.
 */
void
mailsync_ui_set_output (MailsyncUi *self, FILE *stream)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  priv->out = stream;
}

/**
 * mailsync_ui_get_output:
 * @self: a UI
 *
 * Returns: (nullable): the UI's stream
 */
FILE *
mailsync_ui_get_output (MailsyncUi *self)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_val_if_fail (MAILSYNC_IS_UI (self), NULL);
  return priv->out;
}

/**
 * mailsync_ui_set_accounts:
 * @self: a UI
 * @accounts: (array zero-terminated=1): the account names in the order of
 *   the config file
 */
void
mailsync_ui_set_accounts (MailsyncUi *self, const char * const *accounts)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  g_rec_mutex_lock (&priv->lock);
  g_strfreev (priv->accounts);
  priv->accounts = g_strdupv ((char **) accounts);
  g_rec_mutex_unlock (&priv->lock);
}

/**
 * mailsync_ui_get_accounts:
 * @self: a UI
 *
 * Returns: (array zero-terminated=1) (transfer none) (nullable): the accounts
 */
const char * const *
mailsync_ui_get_accounts (MailsyncUi *self)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_val_if_fail (MAILSYNC_IS_UI (self), NULL);
  return (const char * const *) priv->accounts;
}

/**
 * mailsync_ui_render:
 * @self: a UI
 * @line: a line in both vocabularies
 *
 * Hands @line to the UI's formatter, serialised with every other output.
 */
void
mailsync_ui_render (MailsyncUi *self, const MailsyncUiLine *given)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);
  g_autofree char *text = NULL;
  g_autofree char *thread = NULL;
  MailsyncUiLine copy;
  const MailsyncUiLine *line = given;

  g_return_if_fail (MAILSYNC_IS_UI (self));
  /* machineui's payload is quote_plus()ed; the rest goes to a terminal,
   * a log or syslog as it is. */
  text = printable (given->text);
  thread = printable (given->thread);
  if (text != NULL || thread != NULL)
    {
      copy = *given;
      if (text != NULL)
        copy.text = text;
      if (thread != NULL)
        copy.thread = thread;
      line = &copy;
    }
  g_rec_mutex_lock (&priv->lock);
  MAILSYNC_UI_GET_CLASS (self)->render (self, line);
  if (line->text != NULL && mailsync_ui_wants (self, line->level))
    {
      if (priv->log_file != NULL)
        write_log_record (priv->log_file, line->level, line->text);
      if (priv->syslog)
        syslog (_mailsync_ui_level_priority (line->level), "%s", line->text);
    }
  g_rec_mutex_unlock (&priv->lock);
}

/**
 * mailsync_ui_set_log_file:
 * @self: a UI
 * @path: the file `-l` names
 * @error: return location for a #GError
 *
 * Appends every line the UI shows to @path as offlineimap's `-l` does
 * ("2026-11-25 17:05:01 INFO: *** Processing account Test"), after a first
 * record saying which mailsync starts.
 *
 * Returns: %TRUE if the file is open
 */
gboolean
mailsync_ui_set_log_file (MailsyncUi *self, const char *path, GError **error)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);
  FILE *file;
  int saved_errno;

  g_return_val_if_fail (MAILSYNC_IS_UI (self), FALSE);
  file = g_fopen (path, "ae");
  if (file == NULL)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Could not open log file %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  g_rec_mutex_lock (&priv->lock);
  if (priv->log_file != NULL)
    fclose (priv->log_file);
  priv->log_file = file;
  {
    g_autofree char *start = g_strdup_printf ("mailsync %s starting...\n  GLib: %u.%u.%u UI: %s",
                                              PACKAGE_VERSION, glib_major_version, glib_minor_version,
                                              glib_micro_version, mailsync_ui_get_name (self));
    write_log_record (file, MAILSYNC_UI_LEVEL_INFO, start);
  }
  g_rec_mutex_unlock (&priv->lock);
  return TRUE;
}

/**
 * mailsync_ui_set_syslog:
 * @self: a UI
 * @enabled: whether `-s` was given
 *
 * Also sends every line shown to syslog, as "mailsync[PID]: text".  The
 * syslog UI already does, and ignores this as offlineimap's does.
 */
void
mailsync_ui_set_syslog (MailsyncUi *self, gboolean enabled)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  if (MAILSYNC_IS_UI_SYSLOG (self) || priv->syslog == enabled)
    return;
  g_rec_mutex_lock (&priv->lock);
  priv->syslog = enabled;
  if (enabled)
    openlog ("mailsync", LOG_PID, LOG_USER);
  else
    closelog ();
  g_rec_mutex_unlock (&priv->lock);
}

/**
 * mailsync_ui_banner:
 * @self: a UI
 *
 * Shows the banner; call it once, before anything else.
 */
void
mailsync_ui_banner (MailsyncUi *self)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  g_rec_mutex_lock (&priv->lock);
  MAILSYNC_UI_GET_CLASS (self)->banner (self);
  g_rec_mutex_unlock (&priv->lock);
}

/**
 * mailsync_ui_event:
 * @self: a UI
 * @event: an event of the library
 *
 * Renders @event; connect it to #MailsyncAccount::event.
 */
void
mailsync_ui_event (MailsyncUi *self, MailsyncSyncEvent *event)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  g_return_if_fail (MAILSYNC_IS_SYNC_EVENT (event));
  g_rec_mutex_lock (&priv->lock);
  MAILSYNC_UI_GET_CLASS (self)->event (self, event);
  g_rec_mutex_unlock (&priv->lock);
}

/**
 * mailsync_ui_message:
 * @self: a UI
 * @level: severity
 * @thread: (nullable): offlineimap's thread name; %NULL for "MainThread"
 * @command: (nullable): machineui's command ("callhook", "_display"...), ""
 *   or %NULL for generic text
 * @text: the message
 *
 * Shows a message of the frontend.  An ERROR is also kept for the recap of
 * mailsync_ui_terminate().
 */
void
mailsync_ui_message (MailsyncUi      *self,
                     MailsyncUiLevel  level,
                     const char      *thread,
                     const char      *command,
                     const char      *text)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  g_return_if_fail (text != NULL);
  g_rec_mutex_lock (&priv->lock);
  MAILSYNC_UI_GET_CLASS (self)->message (self, level, thread, command ? command : "", text);
  g_rec_mutex_unlock (&priv->lock);
}

static void
message_valist (MailsyncUi *self, MailsyncUiLevel level, const char *thread, const char *format, va_list args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);

  mailsync_ui_message (self, level, thread, "", text);
}

/**
 * mailsync_ui_info:
 * @self: a UI
 * @thread: (nullable): thread name, %NULL for "MainThread"
 * @format: printf format
 * @...: arguments
 */
void
mailsync_ui_info (MailsyncUi *self, const char *thread, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  message_valist (self, MAILSYNC_UI_LEVEL_INFO, thread, format, args);
  va_end (args);
}

/**
 * mailsync_ui_warn:
 * @self: a UI
 * @thread: (nullable): thread name, %NULL for "MainThread"
 * @format: printf format
 * @...: arguments
 */
void
mailsync_ui_warn (MailsyncUi *self, const char *thread, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  message_valist (self, MAILSYNC_UI_LEVEL_WARNING, thread, format, args);
  va_end (args);
}

/**
 * mailsync_ui_error:
 * @self: a UI
 * @thread: (nullable): thread name, %NULL for "MainThread"
 * @format: printf format; the text is shown as is (write offlineimap's
 *   "ERROR: " yourself)
 * @...: arguments
 *
 * Shows an error and keeps it for the end-of-run recap.
 */
void
mailsync_ui_error (MailsyncUi *self, const char *thread, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  message_valist (self, MAILSYNC_UI_LEVEL_ERROR, thread, format, args);
  va_end (args);
}

/**
 * mailsync_ui_sleeping:
 * @self: a UI
 * @account: the account that sleeps
 * @slice: seconds of this slice (10, or 0 when the sleep ends)
 * @remaining: seconds left
 *
 * Reports an autorefresh sleep step; the frontend does the sleeping.
 */
void
mailsync_ui_sleeping (MailsyncUi *self, const char *account, guint slice, guint remaining)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  g_rec_mutex_lock (&priv->lock);
  MAILSYNC_UI_GET_CLASS (self)->sleeping (self, account, slice, remaining);
  g_rec_mutex_unlock (&priv->lock);
}

/**
 * mailsync_ui_ask_password:
 * @self: a UI
 * @account: the account
 * @user: the user name to show
 *
 * Asks the user for a password, if this UI can (ttyui, blinkenlights,
 * machineui).  Output of other threads waits meanwhile.
 *
 * Returns: (transfer full) (nullable): the password, %NULL if not given
 */
char *
mailsync_ui_ask_password (MailsyncUi *self, const char *account, const char *user)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);
  char *password;

  g_return_val_if_fail (MAILSYNC_IS_UI (self), NULL);
  g_rec_mutex_lock (&priv->lock);
  password = MAILSYNC_UI_GET_CLASS (self)->ask_password (self, account, user);
  g_rec_mutex_unlock (&priv->lock);
  return password;
}

/**
 * mailsync_ui_terminate:
 * @self: a UI
 * @status: the exit status
 * @title: (nullable): title of the error that ends the run
 * @text: (nullable): text of that error
 *
 * Ends the run's output: the recap of the errors, the last error, and the
 * UID validity note (machineui: its `terminate` line).  The caller exits.
 */
void
mailsync_ui_terminate (MailsyncUi *self, int status, const char *title, const char *text)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_if_fail (MAILSYNC_IS_UI (self));
  g_rec_mutex_lock (&priv->lock);
  MAILSYNC_UI_GET_CLASS (self)->terminate (self, status, title, text);
  g_rec_mutex_unlock (&priv->lock);
}

/**
 * mailsync_ui_get_error_count:
 * @self: a UI
 *
 * Returns: how many errors were shown so far
 */
guint
mailsync_ui_get_error_count (MailsyncUi *self)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_val_if_fail (MAILSYNC_IS_UI (self), 0);
  return priv->errors->len;
}

/**
 * mailsync_ui_get_skipped_count:
 * @self: a UI
 *
 * Returns: how many messages were skipped so far (each one warning line
 *   naming it); the run exits 1 when nothing else failed
 */
guint
mailsync_ui_get_skipped_count (MailsyncUi *self)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_val_if_fail (MAILSYNC_IS_UI (self), 0);
  return priv->skipped;
}

/**
 * mailsync_ui_had_validity_problem:
 * @self: a UI
 *
 * Returns: whether a folder was skipped for a UIDVALIDITY change (exit
 *   status 2 when nothing else failed)
 */
gboolean
mailsync_ui_had_validity_problem (MailsyncUi *self)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);

  g_return_val_if_fail (MAILSYNC_IS_UI (self), FALSE);
  return priv->validity_problem;
}

/**
 * mailsync_ui_poll_request:
 * @self: a UI
 *
 * Reads what the user asked for, without waiting (blinkenlights' hotkeys).
 *
 * Returns: an account index (digit pressed), %MAILSYNC_UI_REQUEST_QUIT for
 *   `q`, or %MAILSYNC_UI_REQUEST_NONE
 */
int
mailsync_ui_poll_request (MailsyncUi *self)
{
  MailsyncUiPrivate *priv = mailsync_ui_get_instance_private (self);
  int request = MAILSYNC_UI_REQUEST_NONE;

  g_return_val_if_fail (MAILSYNC_IS_UI (self), MAILSYNC_UI_REQUEST_NONE);
  /* curses is not thread-safe: reading keys waits for output to finish. */
  g_rec_mutex_lock (&priv->lock);
  if (MAILSYNC_IS_UI_BLINKENLIGHTS (self))
    request = mailsync_ui_blinkenlights_poll (MAILSYNC_UI_BLINKENLIGHTS (self));
  g_rec_mutex_unlock (&priv->lock);
  return request;
}
