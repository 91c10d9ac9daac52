/* mailsync: the offlineimap-compatible command.
 *
 * main() follows offlineimap's init.py: parse the command line, read the
 * configuration, apply the command-line overrides, create the UI, then run
 * one mode (--info > --migrate-fmd5-using-nametrans > --mbnames-prune >
 * --delete-folder > sync) and exit with offlineimap's status: 0 ok, 1 an
 * error was shown, 2 only UID validity problems. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <libmailsync/mailsync.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "mailsync-mbnames.h"
#include "mailsync-modes.h"
#include "mailsync-options.h"
#include "mailsync-runner.h"
#include "mailsync-signals.h"
#include "mailsync-ui.h"
#include "mailsync-ui-interaction.h"
#include "mailsync-ui-json.h"

#define EXIT_USAGE 2

static const char *known_debug_types[] = { MAILSYNC_OPTIONS_DEBUG_TYPES, NULL };

static int
usage_error (const char *message)
{
  mailsync_options_print_usage (stderr);
  fprintf (stderr, "\nmailsync: error: %s\n", message);
  return EXIT_USAGE;
}

/* -c and -l: `~/` only, as offlineimap's expanduser() of these options
 * (no `~user`, no $VAR). Not the library's expander
 * (libmailsync/config/mailsync-config-values.c): that one is hidden and
 * also reads `~user`. */
static char *
expand_user (const char *path)
{
  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
    return g_strconcat (g_get_home_dir (), path + 1, NULL);
  return g_strdup (path);
}

static char *
default_config_for_message (void)
{
  const char *home = g_getenv ("HOME");

  return g_build_filename (home && *home ? home : g_get_home_dir (), ".offlineimaprc", NULL);
}

/* -k: offlineimap sets the value in the parsed file, so it is
 * interpolated like one written there. */
static int
apply_overrides (MailsyncConfigFile *file, GPtrArray *overrides)
{
  for (guint i = 0; i < overrides->len; i++)
    {
      const char *arg = overrides->pdata[i];
      g_autofree char *section = NULL;
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;
      g_autofree char *origin = NULL;
      g_autoptr(GError) error = NULL;

      /* messages name "-k SECTION:KEY", never the value: it may be a
       * password (-k Repository_R:remotepass=...) */
      g_autofree char *named = NULL;

      if (!mailsync_options_split_override (arg, &section, &key, &value, &error))
        return usage_error (error->message);
      named = g_strndup (arg, strcspn (arg, "="));
      if (!mailsync_config_file_has_section (file, section))
        {
          fprintf (stderr, "ERROR: -k %s: no section [%s] in %s\n", named, section,
                   mailsync_config_file_get_path (file));
          return 1;
        }
      origin = g_strdup_printf ("-k %s", named);
      mailsync_config_file_set_string (file, section, key, value, origin);
    }
  return 0;
}

static GStrv
account_sections (MailsyncConfigFile *file)
{
  g_auto(GStrv) sections = mailsync_config_file_get_sections (file);
  g_autoptr(GPtrArray) out = g_ptr_array_new ();

  for (guint i = 0; sections != NULL && sections[i] != NULL; i++)
    if (g_str_has_prefix (sections[i], "Account "))
      g_ptr_array_add (out, g_strdup (sections[i]));
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

/* -o, -q and -f rewrite the configuration, as offlineimap's init.py does. */
static void
apply_run_options (MailsyncConfigFile *file, MailsyncOptions *opts)
{
  if (opts->run_once)
    {
      g_auto(GStrv) sections = account_sections (file);

      mailsync_config_file_remove_key (file, "DEFAULT", "autorefresh");
      for (guint i = 0; sections[i] != NULL; i++)
        mailsync_config_file_remove_key (file, sections[i], "autorefresh");
    }
  if (opts->quick)
    {
      g_auto(GStrv) sections = account_sections (file);

      for (guint i = 0; sections[i] != NULL; i++)
        mailsync_config_file_set_string (file, sections[i], "quick", "-1", "-q");
    }

  if (opts->folders != NULL)
    {
      /* offlineimap's -f also empties folderincludes of every remote */
      g_auto(GStrv) sections = account_sections (file);

      for (guint i = 0; sections[i] != NULL; i++)
        {
          g_autofree char *remote = mailsync_config_file_get_string (file, sections[i], "remoterepository", NULL);
          g_autofree char *repo_section = remote ? g_strconcat ("Repository ", remote, NULL) : NULL;

          if (repo_section == NULL || !mailsync_config_file_has_section (file, repo_section))
            continue;
          mailsync_config_file_remove_key (file, repo_section, "folderincludes");
          if (mailsync_config_file_has_key (file, repo_section, "folderincludes"))
            mailsync_config_file_set_string (file, repo_section, "folderincludes", "[]", "-f");
        }
    }
}

/* -d: offlineimap's types plus the unnamed one it always adds. */
static GStrv
debug_types (MailsyncUi *ui, const char *arg, gboolean *thread)
{
  g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) parts = NULL;

  if (g_ascii_strcasecmp (arg, "all") == 0)
    arg = "imap,maildir,thread";
  parts = g_strsplit (arg, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (!g_strv_contains (known_debug_types, parts[i]))
        {
          mailsync_ui_warn (ui, NULL, "Invalid debug type: %s", parts[i]);
          continue;
        }
      if (strcmp (parts[i], "thread") == 0)
        *thread = TRUE;
      g_ptr_array_add (types, g_strdup (parts[i]));
    }
  g_ptr_array_add (types, g_strdup (""));
  g_ptr_array_add (types, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&types), FALSE);
}

/* -d imap: the library's protocol log (credentials already redacted
 * there) goes to the UI as offlineimap's "[imap]: ..." debug lines. */
static void
log_to_ui (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  MailsyncUi *ui = user_data;
  const char *type = g_strcmp0 (domain, "Mailsync-IMAP") == 0 ? "imap" : "maildir";
  g_autofree char *text = g_strdup_printf ("[%s]: %s", type, message);

  mailsync_ui_message (ui, MAILSYNC_UI_LEVEL_DEBUG, mailsync_runner_current_thread (), "", text);
}

static void
route_debug_log (MailsyncUi *ui, const char * const *types)
{
  g_autoptr(GString) domains = g_string_new (g_getenv ("G_MESSAGES_DEBUG"));

  if (g_strv_contains (types, "imap"))
    {
      g_string_append (domains, domains->len ? " Mailsync-IMAP" : "Mailsync-IMAP");
      g_log_set_handler ("Mailsync-IMAP", G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO, log_to_ui, ui);
    }
  if (g_strv_contains (types, "maildir"))
    {
      g_string_append (domains, domains->len ? " Mailsync" : "Mailsync");
      g_log_set_handler ("Mailsync", G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO, log_to_ui, ui);
    }
  /* The library checks g_log_writer_default_would_drop() before it
   * formats a protocol line; set before any thread starts. */
  if (domains->len > 0)
    g_setenv ("G_MESSAGES_DEBUG", domains->str, TRUE);
}

static char *
ask_password (const char *account, const char *repository, const char *user, const char *host,
              gpointer user_data)
{
  g_autoptr(MailsyncInteraction) interaction = mailsync_ui_interaction_new (user_data, account);
  char *password = NULL;

  /* The prompt of the interaction that the account's repositories ask
   * again after the server refused a password. Called when the account
   * connects without a password (after its acct and connecting lines,
   * as offlineimap asks), on the thread that syncs it. */
  (void) mailsync_interaction_ask_password (interaction, repository, user, host, NULL, NULL, &password, NULL);
  return password;
}

/* -a or [general] accounts, checked against the [Account X] sections;
 * NULL after the errors are shown (offlineimap terminates then). */
static GStrv
active_accounts (MailsyncConfig *config, MailsyncUi *ui, const char *arg, char **errormsg)
{
  g_auto(GStrv) all = mailsync_config_get_all_account_names (config);
  g_autoptr(GPtrArray) active = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) wanted = NULL;
  g_autoptr(GError) error = NULL;

  if (arg != NULL)
    wanted = g_strsplit (arg, ",", -1);
  else
    {
      wanted = mailsync_config_get_account_names (config, &error);
      if (wanted == NULL)
        {
          mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
          *errormsg = g_strdup ("No accounts are defined!");
          return NULL;
        }
    }
  for (guint i = 0; wanted[i] != NULL; i++)
    {
      const char *name = wanted[i];

      while (g_ascii_isspace (*name))
        name++;
      if (all != NULL && g_strv_contains ((const char * const *) all, name))
        {
          if (!g_ptr_array_find_with_equal_func (active, name, g_str_equal, NULL))
            g_ptr_array_add (active, g_strdup (name));
        }
      else
        {
          g_autofree char *joined = all ? g_strjoinv (", ", all) : g_strdup ("");

          g_free (*errormsg);
          *errormsg = g_strdup_printf ("Valid accounts are: %s", joined);
          mailsync_ui_error (ui, NULL, "ERROR: The account '%s' does not exist", name);
        }
    }
  if (active->len == 0)
    {
      g_free (*errormsg);
      *errormsg = g_strdup ("No accounts are defined!");
    }
  if (*errormsg != NULL)
    return NULL;
  g_ptr_array_add (active, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&active), FALSE);
}

static int
exit_status (MailsyncUi *ui, int status)
{
  if (status == 0 && (mailsync_ui_get_error_count (ui) > 0 || mailsync_ui_get_skipped_count (ui) > 0))
    status = 1;
  if (status == 0 && mailsync_ui_had_validity_problem (ui))
    status = 2;
  mailsync_ui_terminate (ui, status, NULL, NULL);
  return status;
}

typedef struct
{
  MailsyncUi *ui;
  MailsyncRunner *runner;
} Hotkeys;

/* The blinkenlights hotkeys: a digit syncs that account now, q stops. */
static gboolean
poll_ui (gpointer user_data)
{
  Hotkeys *keys = user_data;
  int request = mailsync_ui_poll_request (keys->ui);

  if (request == MAILSYNC_UI_REQUEST_QUIT)
    mailsync_runner_stop (keys->runner);
  else if (request >= 0)
    mailsync_runner_sync_now (keys->runner, request);
  return G_SOURCE_CONTINUE;
}

static int
run_sync (MailsyncConfig *config, MailsyncUi *ui, MailsyncMbnames *mbnames, MailsyncOptions *opts,
          const char * const *accounts, gboolean dry_run, gboolean single_thread, gboolean debug_thread)
{
  g_autoptr(MailsyncRunner) runner = NULL;
  g_autoptr(MailsyncSignals) signals = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) folders = NULL;
  g_autofree char *metadata = mailsync_config_get_metadata_dir (config);
  MailsyncRunnerSetup setup = { 0 };
  Hotkeys keys;
  guint poll_id = 0;

  if (opts->folders != NULL)
    {
      folders = g_strsplit (opts->folders, ",", -1);
      for (guint i = 0; folders[i] != NULL; i++)
        g_strchug (folders[i]);
    }
  setup.config = config;
  setup.ui = ui;
  setup.mbnames = mbnames;
  setup.accounts = accounts;
  setup.folders = (const char * const *) folders;
  setup.metadata_dir = metadata;
  setup.profile_dir = opts->profile_dir;
  setup.dry_run = dry_run;
  setup.single_thread = single_thread;
  runner = mailsync_runner_new (&setup);
  signals = mailsync_signals_install (runner, ui, debug_thread);
  keys.ui = ui;
  keys.runner = runner;
  /* only blinkenlights reads keys; the others need no wakeups */
  if (g_strcmp0 (mailsync_ui_get_name (ui), "blinkenlights") == 0)
    poll_id = g_timeout_add (250, poll_ui, &keys);
  mailsync_runner_run (runner);
  if (poll_id != 0)
    g_source_remove (poll_id);

  if (mailsync_mbnames_is_enabled (mbnames) && !mailsync_mbnames_is_incremental (mbnames)
      && !mailsync_mbnames_write (mbnames, &error))
    mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
  return 0;
}

/* The library's version is the one loaded at run time; GnuTLS's and
 * SQLite's are those it was built with (same soname): the library loads
 * them only when a run needs TLS or the sqlite status store, and
 * --version does not.  The build options say which optional modules this
 * build has, for bug reports. */
static void
print_versions (void)
{
  printf ("mailsync v%s, libmailsync v%u.%u.%u, GLib v%u.%u.%u, GnuTLS %s, SQLite %s\n", PACKAGE_VERSION,
          mailsync_get_major_version (), mailsync_get_minor_version (), mailsync_get_micro_version (),
          glib_major_version, glib_minor_version, glib_micro_version,
          GNUTLS_VERSION, SQLITE_VERSION);
  printf ("build options: %cpython %ckeyring %coauth2 %cblinkenlights\n",
#ifdef HAVE_PYTHON_EMBED
          '+',
#else
          '-',
#endif
#ifdef HAVE_LIBSECRET
          '+',
#else
          '-',
#endif
#ifdef HAVE_LIBSOUP
          '+',
#else
          '-',
#endif
#ifdef HAVE_CURSES
          '+'
#else
          '-'
#endif
          );
}

int
main (int argc, char **argv)
{
  g_autoptr(MailsyncOptions) opts = mailsync_options_new ();
  g_autoptr(MailsyncConfigFile) file = NULL;
  g_autoptr(MailsyncConfig) config = NULL;
  g_autoptr(MailsyncUi) ui = NULL;
  g_autoptr(MailsyncMbnames) mbnames = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) accounts = NULL;
  g_auto(GStrv) types = NULL;
  g_autofree char *path = NULL;
  g_autofree char *ui_name = NULL;
  g_autofree char *errormsg = NULL;
  g_autofree char *metadata = NULL;
  gboolean dry_run = FALSE;
  gboolean profile_dir_existed = FALSE;
  gboolean single_thread;
  int status = 0;

#if defined(__GLIBC__) && defined(M_ARENA_MAX)
  /* Peak RSS (issue 13 item 4): glibc gives each thread that allocates
   * its own arena (the IMAP worker, the Maildir I/O threads), and each
   * keeps what was freed in it. One arena (each thread still has its
   * tcache, so little contention) keeps a resync's peak about 3 MB lower
   * (22 -> 19 MB on a flags+new resync of 2 x 3,000 messages; initial
   * sync 19 -> 18 MB) at no measurable CPU cost. Before any thread
   * starts; the user's MALLOC_ARENA_MAX wins. */
  if (g_getenv ("MALLOC_ARENA_MAX") == NULL)
    mallopt (M_ARENA_MAX, 1);
#endif
  setlocale (LC_ALL, "");
  if (!mailsync_options_parse (opts, argc, argv, &error))
    return usage_error (error->message);
  if (opts->help)
    {
      mailsync_options_print_help (stdout);
      return 0;
    }
  if (opts->version)
    {
      /* The first line is offlineimap's bare version, for scripts that
       * read it; then what -V prints (issue 14 item 5). */
      puts (PACKAGE_VERSION);
      print_versions ();
      return 0;
    }
  if (opts->full_version)
    {
      print_versions ();
      return 0;
    }

  /* the configuration, then what the command line changes in it */
  path = opts->config_file ? expand_user (opts->config_file) : mailsync_config_file_find_default_path ();
  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *shown = path ? g_strdup (path) : default_config_for_message ();

      fprintf (stderr, "ERROR: *** Config file '%s' does not exist; aborting!\n", shown);
      return 1;
    }
  file = mailsync_config_file_new ();
  if (!mailsync_config_file_load_from_file (file, path, &error))
    {
      fprintf (stderr, "ERROR: %s\n", error->message);
      return 1;
    }
  single_thread = opts->single_thread;
  if (opts->profile_dir != NULL)
    {
      single_thread = TRUE;
      profile_dir_existed = g_file_test (opts->profile_dir, G_FILE_TEST_IS_DIR);
      if (g_mkdir_with_parents (opts->profile_dir, 0755) < 0)
        {
          fprintf (stderr, "ERROR: -P %s: %s\n", opts->profile_dir, g_strerror (errno));
          return 1;
        }
    }
  if (opts->dry_run)
    mailsync_config_file_set_string (file, "general", "dry-run", "True", "--dry-run");
  if (opts->ignore_keyring)
    mailsync_config_file_set_string (file, "general", "ignore-keyring", "True", "--ignore-keyring");
  if (opts->update_keyring)
    mailsync_config_file_set_string (file, "general", "update-keyring", "True", "--update-keyring");
  if ((status = apply_overrides (file, opts->overrides)) != 0)
    return status;

  /* the UI: -u, then [general] ui; --info always uses ttyui, as
   * offlineimap's, but for -u json: its JSON form (mailsyncui(7)) */
  if (opts->info && (opts->ui == NULL || g_ascii_strcasecmp (opts->ui, "json") != 0))
    ui_name = g_strdup ("ttyui");
  else if (opts->ui != NULL)
    ui_name = g_strdup (opts->ui);
  else if (mailsync_config_file_has_key (file, "general", "ui"))
    ui_name = mailsync_config_file_get_string (file, "general", "ui", NULL);
  ui = mailsync_ui_new_by_name (ui_name ? ui_name : "ttyui", &error);
  if (ui == NULL)
    {
      fprintf (stderr, "ERROR: %s\n", error->message);
      return 1;
    }
  if (!mailsync_config_file_get_boolean (file, "general", "dry-run", FALSE, &dry_run, &error))
    {
      fprintf (stderr, "ERROR: %s\n", error->message);
      return 1;
    }
  mailsync_ui_set_dry_run (ui, dry_run);
  {
    gboolean ignore_read_only;

    if (!mailsync_config_file_get_boolean (file, "general", "ignore-readonly", FALSE, &ignore_read_only, &error))
      {
        fprintf (stderr, "ERROR: %s\n", error->message);
        return 1;
      }
    mailsync_ui_set_ignore_read_only (ui, ignore_read_only);
  }
  if (opts->log_file != NULL)
    {
      g_autofree char *log_path = expand_user (opts->log_file);

      if (!mailsync_ui_set_log_file (ui, log_path, &error))
        {
          fprintf (stderr, "ERROR: -l %s: %s\n", opts->log_file, error->message);
          return 1;
        }
    }
  if (opts->syslog)
    mailsync_ui_set_syslog (ui, TRUE);
  /* --info -u json prints one document, which has its own "schema" */
  if (!(opts->info && MAILSYNC_IS_UI_JSON (ui)))
    mailsync_ui_banner (ui);
  if (opts->profile_dir != NULL)
    {
      if (!opts->single_thread)
        mailsync_ui_warn (ui, NULL, "Profile mode: Forcing to singlethreaded.");
      if (profile_dir_existed)
        mailsync_ui_warn (ui, NULL, "Profile mode: Directory '%s' already exists!", opts->profile_dir);
      mailsync_ui_warn (ui, NULL, "Profile mode: Potentially large data will be created in '%s'",
                        opts->profile_dir);
    }

  if (opts->debug != NULL)
    {
      gboolean thread = FALSE;

      types = debug_types (ui, opts->debug, &thread);
      if (!(thread && !opts->single_thread))
        {
          mailsync_ui_message (ui, MAILSYNC_UI_LEVEL_INFO, NULL, "_display", "Debug mode: Forcing to singlethreaded.");
          single_thread = TRUE;
        }
      mailsync_ui_set_debug_types (ui, (const char * const *) types);
      route_debug_log (ui, (const char * const *) types);
    }

  apply_run_options (file, opts);

  config = mailsync_config_new (file, &error);
  if (config == NULL)
    {
      mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
      return exit_status (ui, 1);
    }
  mailsync_config_set_password_func (config, ask_password, g_object_ref (ui), g_object_unref);
  {
    g_auto(GStrv) warnings = mailsync_config_get_warnings (config);

    for (guint i = 0; warnings != NULL && warnings[i] != NULL; i++)
      mailsync_ui_warn (ui, NULL, "%s", warnings[i]);
  }

  accounts = active_accounts (config, ui, opts->accounts, &errormsg);
  if (accounts == NULL)
    {
      mailsync_ui_terminate (ui, 1, NULL, errormsg);
      return 1;
    }
  mailsync_ui_set_accounts (ui, (const char * const *) accounts);

  metadata = mailsync_config_get_metadata_dir (config);
  mbnames = mailsync_mbnames_new (config, metadata, ui, dry_run, &error);
  if (mbnames == NULL)
    {
      mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
      return exit_status (ui, 1);
    }

  if (opts->info)
    status = mailsync_mode_info (config, ui, (const char * const *) accounts);
  else if (opts->migrate_fmd5)
    status = mailsync_mode_migrate_fmd5 (config, ui, (const char * const *) accounts, dry_run);
  else if (opts->mbnames_prune)
    {
      g_auto(GStrv) keep = mailsync_config_get_account_names (config, NULL);

      if (!mailsync_mbnames_prune (mbnames, (const char * const *) keep, &error))
        {
          mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
          status = 1;
        }
    }
  else if (opts->delete_folder != NULL)
    status = mailsync_mode_delete_folder (config, ui, (const char * const *) accounts, opts->delete_folder,
                                          dry_run);
  else
    status = run_sync (config, ui, mbnames, opts, (const char * const *) accounts, dry_run, single_thread,
                       types != NULL && g_strv_contains ((const char * const *) types, "thread"));
  return exit_status (ui, status);
}
