/* MailsyncUi: the base of the mailsync command's user interfaces.
 *
 * offlineimap's UIs share one message vocabulary (UIBase) and differ in
 * formatting only.  Here the base translates each library event and each
 * frontend message into a MailsyncUiLine that holds both of offlineimap's
 * renderings (human text and machineui command + payload), and keeps the
 * run's bookkeeping (account start times, errors for the final recap, the
 * UID validity flag, thread names).  Subclasses only format lines. */
#include "config.h"
#include "mailsync-ui-private.h"
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

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (MailsyncUi, mailsync_ui, G_TYPE_OBJECT)

MailsyncUiPrivate *
_mailsync_ui_get_private (MailsyncUi *self)
{
  return mailsync_ui_get_instance_private (self);
}

/* ---- helpers ------------------------------------------------------------ */

/* The text helpers are in mailsync-ui-text.c, the events in
 * mailsync-ui-events.c; emit_line() and its kin in mailsync-ui-private.h. */

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
  klass->event = _mailsync_ui_real_event;
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
  text = _mailsync_ui_printable_or_null (given->text);
  thread = _mailsync_ui_printable_or_null (given->thread);
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
