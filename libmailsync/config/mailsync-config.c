/* Accounts from an offlineimap-compatible configuration file: the
 * MailsyncConfig object, its [general]/[mbnames] checks and the account
 * builder (status store, policy). What the account is made of lives in
 * the other mailsync-config-*.c files, one subject each:
 *   -schema.c      the options mailsync knows and the section checks
 *   -values.c      typed reads, messages, paths, the *eval / *cmd values
 *   -python.c      Python-expression options and closures
 *   -names.c       nametrans and folder filters
 *   -credentials.c passwords, keyring, OAuth2
 *   -repository.c  the repository builders (Maildir, IMAP, Gmail, mapped)
 * mailsync-config-private.h is their shared header. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "sync/mailsync-gmail-labels.h"
#include "backends/mapped/mailsync-mapped-repository.h"
#include "backends/imap/mailsync-imap-repository.h"
#include "net/mailsync-net-private.h"
#include "status/mailsync-status-plain.h"
#include "status/mailsync-status-sqlite.h"
#include "backends/maildir/mailsync-maildir-repository.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

/**
 * MailsyncConfig:
 *
 * The accounts a #MailsyncConfigFile describes, as offlineimap reads them:
 * `[general]`, `[Account NAME]` and `[Repository NAME]` sections become
 * #MailsyncAccount objects with their repositories, status store and
 * policy.
 *
 * Every option of offlineimap 8.0 is either honoured or refused with a
 * %MAILSYNC_ERROR_INVALID_CONFIG (a wrong value) or
 * %MAILSYNC_ERROR_NOT_SUPPORTED (a feature mailsync lacks) error whose
 * message starts with the "FILE:LINE" of the option. Options that only the
 * command line uses (`ui`, `autorefresh`, hooks, `[mbnames]`...) are
 * checked for their type here and read by the caller from the
 * #MailsyncConfigFile. Options mailsync does not know are not errors
 * (users keep helper keys for `%(name)s` references): they are collected
 * as warnings, see mailsync_config_get_warnings().
 *
 * Python-expression options (`nametrans`, `folderfilter`, `*eval`...) are
 * evaluated with the embedded Python when the library has it; mailsync
 * also offers declarative equivalents that need none (`nametrans_rules`,
 * `folder_include`, `folder_exclude`, `remotepasscmd`...). mailsync.conf(5)
 * documents them all.
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (MailsyncConfig, mailsync_config, G_TYPE_OBJECT)

static void
mailsync_config_finalize (GObject *object)
{
  MailsyncConfig *self = MAILSYNC_CONFIG (object);

  g_clear_pointer (&self->password_box, _mailsync_password_box_unref);
  g_hash_table_unref (self->askers);
  g_mutex_clear (&self->askers_lock);
  if (self->python != NULL)
    g_atomic_rc_box_release_full (self->python, _mailsync_config_python_ref_clear);
  g_hash_table_unref (self->warned);
  g_ptr_array_unref (self->warnings);
  g_clear_object (&self->file);
  G_OBJECT_CLASS (mailsync_config_parent_class)->finalize (object);
}

static void
mailsync_config_class_init (MailsyncConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_config_finalize;
}

static void
mailsync_config_init (MailsyncConfig *self)
{
  self->warnings = g_ptr_array_new_with_free_func (g_free);
  self->warned = g_hash_table_new (g_str_hash, g_str_equal);
  self->askers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_mutex_init (&self->askers_lock);
}

/**
 * mailsync_config_new:
 * @file: the configuration
 * @error: return location for a #GError
 *
 * Checks `[general]` and `[mbnames]` and prepares to build accounts from
 * @file. Accounts and repositories are checked when they are created
 * (mailsync_config_create_account()), so a broken account that is not
 * synced does not stop the others, as in offlineimap.
 *
 * Returns: (transfer full) (nullable): a new #MailsyncConfig, or %NULL on error
 *
 * Since: 0.1
 */
MailsyncConfig *
mailsync_config_new (MailsyncConfigFile *file,
                     GError            **error)
{
  g_autoptr(MailsyncConfig) self = NULL;
  g_auto(GStrv) sections = NULL;
  gboolean mbnames = FALSE;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (MAILSYNC_TYPE_CONFIG, NULL);
  self->file = g_object_ref (file);

  sections = mailsync_config_file_get_sections (file);
  for (guint i = 0; sections[i] != NULL; i++)
    {
      const char *name = sections[i];

      if (strcmp (name, "general") == 0)
        {
          gint64 n;

          if (!_mailsync_config_check_section (self, name, SCOPE_GENERAL, "[general]", error) ||
              !_mailsync_config_get_int (self, name, "maxsyncaccounts", 1, 1, G_MAXINT, &n, error) ||
              !_mailsync_config_get_int (self, name, "socktimeout", 0, 0, G_MAXUINT, &n, error))
            return NULL;
        }
      else if (strcmp (name, "mbnames") == 0)
        {
          if (!_mailsync_config_check_section (self, name, SCOPE_MBNAMES, "[mbnames]", error) ||
              !_mailsync_config_get_bool (self, name, "enabled", FALSE, &mbnames, error))
            return NULL;
        }
      else if (!g_str_has_prefix (name, "Account ") && !g_str_has_prefix (name, "Repository "))
        _mailsync_config_warn (self, name, NULL, "unknown section, ignored (sections are [general], [mbnames], "
                               "[Account NAME] and [Repository NAME])");
    }

  /* offlineimap wants every [mbnames] key even when disabled; only an
   * enabled mbnames needs them here. */
  if (mbnames)
    {
      static const char *const required[] = { "filename", "header", "peritem", "sep", "footer" };

      static const char *const strings[] = { "header", "sep", "footer" };
      static const char *const callables[] = { "folderfilter", "sort_keyfunc" };

      for (guint i = 0; i < G_N_ELEMENTS (required); i++)
        if (!_mailsync_config_has (self, "mbnames", required[i]))
          return (_mailsync_config_error (self, "mbnames", required[i], MAILSYNC_ERROR_INVALID_CONFIG, error,
                                          "required when mbnames is enabled"), NULL);
      /* evaluated now so that a broken expression stops the run before
       * any sync, not after the last one */
      for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
        {
          g_autofree char *value = mailsync_config_eval_string (self, "mbnames", strings[i], error);
          if (value == NULL)
            return NULL;
        }
      for (guint i = 0; i < G_N_ELEMENTS (callables); i++)
        if (_mailsync_config_has (self, "mbnames", callables[i]))
          {
            PythonClosure *closure = _mailsync_config_python_closure_new (self, "mbnames", callables[i], NULL, error);
            if (closure == NULL)
              return NULL;
            _mailsync_config_python_closure_free (closure);
          }
    }
  return g_steal_pointer (&self);
}

/**
 * mailsync_config_get_file:
 * @self: a #MailsyncConfig
 *
 * Gets the parsed configuration file, with every section and option as
 * written (for options the library does not interpret).
 *
 * Returns: (transfer none): the configuration file
 *
 * Since: 0.1
 */
MailsyncConfigFile *
mailsync_config_get_file (MailsyncConfig *self)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  return self->file;
}

/**
 * mailsync_config_get_warnings:
 * @self: a #MailsyncConfig
 *
 * Lists what the checks so far found odd but not wrong: unknown options
 * and sections, options that do nothing where they are written. Each is
 * one line starting with "FILE:LINE: ". mailsync_config_new() and
 * mailsync_config_create_account() add to the list.
 *
 * Returns: (transfer full) (array zero-terminated=1): the warnings
 *
 * Since: 0.1
 */
char **
mailsync_config_get_warnings (MailsyncConfig *self)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->warnings->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->warnings, i));
  return g_strv_builder_end (builder);
}

/**
 * mailsync_config_set_password_func:
 * @self: a #MailsyncConfig
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   asks the user, or %NULL
 * @user_data: closure data
 * @destroy: (nullable): frees @user_data
 *
 * Installs the last resort for passwords (offlineimap's prompt), for an
 * IMAP repository that neither the configuration, the netrc files nor
 * the keyring give one.
 *
 * @func is not called by mailsync_config_create_account() but when the
 * repository connects without a password, as offlineimap asks (after
 * its "acct" and "connecting" lines): never for an account that does not
 * connect. It runs where the library asks its #MailsyncInteraction
 * questions: on the thread-default main context of the thread that
 * started the operation that connects (mailsync_account_sync_async() and
 * the like), never on a library thread.
 *
 * Its answer is kept per account and repository for the life of @self,
 * until the server refuses it: it serves every later connection, sync
 * and account built again for the same account, and a connection that
 * fails before the login asks nothing new. A password the server refuses
 * is never sent again: it is asked again through the repository's
 * interaction, if it has one (#MailsyncRepository:interaction), and the
 * next connect of a repository of that account (the same account's next
 * sync, or an account built again) calls @func again. The password of a
 * login the server accepted, the interaction's included, is the one kept.
 *
 * When @func gives %NULL, or none is set and the repository has no
 * interaction, the sync fails before connecting with
 * %MAILSYNC_ERROR_INTERACTION_REQUIRED, whose message names the account
 * and the options that give a password. The accounts already built keep
 * the function they were built with.
 *
 * Since: 0.1
 */
void
mailsync_config_set_password_func (MailsyncConfig      *self,
                                   MailsyncPasswordFunc func,
                                   gpointer             user_data,
                                   GDestroyNotify       destroy)
{
  g_return_if_fail (MAILSYNC_IS_CONFIG (self));

  g_mutex_lock (&self->askers_lock);
  /* The repositories already built keep asking the function they were
   * built with (their askers hold it); the new one is for the next. */
  g_clear_pointer (&self->password_box, _mailsync_password_box_unref);
  if (func != NULL)
    self->password_box = _mailsync_password_box_new (func, user_data, destroy);
  else if (destroy != NULL)
    destroy (user_data);
  g_hash_table_remove_all (self->askers);
  g_mutex_unlock (&self->askers_lock);
}

/**
 * mailsync_config_get_account_names:
 * @self: a #MailsyncConfig
 * @error: return location for a #GError
 *
 * Reads `[general] accounts`: the accounts to sync. It is required.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the names,
 *   or %NULL on error
 *
 * Since: 0.1
 */
char **
mailsync_config_get_account_names (MailsyncConfig *self,
                                   GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  char **names;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);

  names = mailsync_config_file_get_list (self->file, "general", "accounts", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (names == NULL || names[0] == NULL)
    {
      g_strfreev (names);
      if (!mailsync_config_file_has_section (self->file, "general"))
        {
          g_autofree char *location = _mailsync_config_where (self, "general", NULL);
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                       "%s: no [general] section (it must list the accounts to sync)", location);
          return NULL;
        }
      _mailsync_config_error (self, "general", "accounts", MAILSYNC_ERROR_INVALID_CONFIG, error,
                              "required: the comma-separated accounts to sync");
      return NULL;
    }
  return names;
}

/**
 * mailsync_config_get_all_account_names:
 * @self: a #MailsyncConfig
 *
 * Lists every `[Account NAME]` section, active or not (offlineimap's `-f`
 * applies to all of them).
 *
 * Returns: (transfer full) (array zero-terminated=1): the names
 *
 * Since: 0.1
 */
char **
mailsync_config_get_all_account_names (MailsyncConfig *self)
{
  g_auto(GStrv) sections = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);

  sections = mailsync_config_file_get_sections (self->file);
  builder = g_strv_builder_new ();
  for (guint i = 0; sections[i] != NULL; i++)
    if (g_str_has_prefix (sections[i], "Account "))
      g_strv_builder_add (builder, sections[i] + strlen ("Account "));
  return g_strv_builder_end (builder);
}

/**
 * mailsync_config_get_metadata_dir:
 * @self: a #MailsyncConfig
 *
 * Reads `[general] metadata` (default `~/.offlineimap`), with `~` and
 * `$VAR` expanded: where the status, UID maps and locks live.
 *
 * Returns: (transfer full) (type filename): the metadata directory
 *
 * Since: 0.1
 */
char *
mailsync_config_get_metadata_dir (MailsyncConfig *self)
{
  g_autoptr(GError) error = NULL;
  char *path;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);

  /* A broken value (a lone '%') is reported by create_account(); here
   * the default keeps the signature simple. */
  path = _mailsync_config_get_path (self, "general", "metadata", TRUE, &error);
  return path != NULL ? path : _mailsync_config_expand_path ("~/.offlineimap", FALSE);
}

/* maxage: days (>= 1) or a date YYYY-MM-DD, which becomes the days since. */
static gboolean
get_max_age (MailsyncConfig *self,
             const char     *section,
             guint          *days,
             guint          *ymd,
             GError        **error)
{
  g_autofree char *text = NULL;
  gint64 n;
  int y, m, d;
  char tail;

  *days = 0;
  *ymd = 0;
  if (!_mailsync_config_has (self, section, "maxage"))
    return TRUE;
  text = _mailsync_config_get_str (self, section, "maxage", error);
  if (text == NULL)
    return FALSE;
  if (g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &n, NULL))
    {
      if (n < 1 || n > G_MAXUINT)
        return _mailsync_config_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                       "must be at least 1 (days) or a date YYYY-MM-DD");
      *days = (guint) n;
      return TRUE;
    }
  if (sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen (text) == 10)
    {
      g_autoptr(GDateTime) date = g_date_time_new_utc (y, m, d, 0, 0, 0);
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      if (date == NULL || y < 1900)
        return _mailsync_config_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                       "'%s' is not a valid date (YYYY-MM-DD, year 1900 or later)", text);
      if (g_date_time_compare (date, now) > 0)
        return _mailsync_config_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                       "'%s' is in the future", text);
      /* the engine selects by the date itself, as offlineimap does (its
       * SEARCH SINCE is the day after); the days are for max-age's readers */
      *days = (guint) ((g_date_time_difference (now, date) + G_TIME_SPAN_DAY - 1) / G_TIME_SPAN_DAY);
      if (*days == 0)
        *days = 1;
      *ymd = (guint) (y * 10000 + m * 100 + d);
      return TRUE;
    }
  return _mailsync_config_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                 "'%s' is neither a number of days nor a date YYYY-MM-DD", text);
}

/* The account's proxy (reference §2.4), for the IMAP connections of both
 * sides. offlineimap warns about a value it cannot use and connects
 * directly; so does mailsync. */
static gboolean
apply_proxy (MailsyncConfig     *self,
             const char         *section,
             MailsyncRepository *remote,
             MailsyncRepository *local,
             GError            **error)
{
  g_autofree char *value = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(GError) bad = NULL;
  MailsyncRepository *sides[] = { remote, local };

  if (!_mailsync_config_has (self, section, "proxy"))
    return TRUE;
  value = _mailsync_config_get_str (self, section, "proxy", error);
  if (value == NULL)
    return FALSE;
  if (*value == '\0')
    return TRUE;
  uri = _mailsync_net_proxy_uri (value, &bad);
  if (uri == NULL)
    {
      _mailsync_config_warn (self, section, "proxy", "%s; ignoring the proxy option (as offlineimap does)", bad->message);
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
    {
      MailsyncRepository *repo = sides[i];

      if (MAILSYNC_IS_MAPPED_REPOSITORY (repo))
        repo = mailsync_mapped_repository_get_inner (MAILSYNC_MAPPED_REPOSITORY (repo));
      if (MAILSYNC_IS_IMAP_REPOSITORY (repo))
        g_object_set (repo, "proxy", uri, NULL);
    }
  return TRUE;
}

/**
 * mailsync_config_create_account:
 * @self: a #MailsyncConfig
 * @name: an account name (its section is `[Account NAME]`)
 * @cancellable: (nullable): a #GCancellable, for the password commands and
 *   the keyring
 * @error: return location for a #GError
 *
 * Builds the account @name: its remote and local repositories with their
 * options, its status store under the metadata directory (SQLite unless
 * `status_backend = plain`), and its policy. Passwords are found here, in
 * offlineimap's order (eval or command, `remotepass`, `remotepassfile`,
 * `~/.netrc`, `/etc/netrc`, the keyring); a password command runs now.
 * The function given to mailsync_config_set_password_func() is asked
 * later, when the repository connects without a password.
 *
 * Returns: (transfer full) (nullable): the account, or %NULL on error
 *
 * Since: 0.1
 */
MailsyncAccount *
mailsync_config_create_account (MailsyncConfig *self,
                                const char     *name,
                                GCancellable   *cancellable,
                                GError        **error)
{
  static const char *const backends[] = { "sqlite", "plain", NULL };
  static const char *const removes[] = { "none", "local", NULL };
  g_autofree char *section = NULL;
  g_autofree char *remove = NULL;
  g_autofree char *metadata = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *status_dir = NULL;
  g_autofree char *account_dir = NULL;
  g_autoptr(MailsyncRepository) remote = NULL;
  g_autoptr(MailsyncRepository) local = NULL;
  g_autoptr(MailsyncStatusStore) status = NULL;
  MailsyncAccount *account;
  gboolean synclabels, dry_run, utf8;
  gint64 maxsize, quick;
  double autorefresh;
  guint maxage, maxage_date;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  section = g_strconcat ("Account ", name, NULL);
  if (!mailsync_config_file_has_section (self->file, section))
    {
      g_autofree char *location = _mailsync_config_where (self, "general", "accounts");
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "%s: The account '%s' does not exist (no section [%s])", location, name, section);
      return NULL;
    }

  /* labelsheader and ignorelabels: offlineimap reads them only under
   * synclabels, so without it they are accepted, with a warning that they
   * have no effect. */
  if (!_mailsync_config_check_section (self, section, SCOPE_ACCOUNT, "an account", error) ||
      !_mailsync_config_get_bool (self, section, "synclabels", FALSE, &synclabels, error) ||
      !_mailsync_config_get_bool (self, section, "utf8foldernames", FALSE, &utf8, error) ||
      !_mailsync_config_get_bool (self, "general", "dry-run", FALSE, &dry_run, error) ||
      !_mailsync_config_get_int (self, section, "maxsize", 0, 0, G_MAXINT64, &maxsize, error) ||
      !_mailsync_config_get_int (self, section, "quick", 0, -1, G_MAXINT, &quick, error) ||
      !mailsync_config_file_get_double (self->file, section, "autorefresh", 0, &autorefresh, error) ||
      !get_max_age (self, section, &maxage, &maxage_date, error) ||
      !_mailsync_config_check_one_of (self, section, "status_backend", backends, &backend, error))
    return NULL;
  {
    /* mbsync's Remove Far/Both: not done, on purpose */
    g_autofree char *wanted = _mailsync_config_get_str (self, section, "remove", NULL);

    if (wanted != NULL && (g_ascii_strcasecmp (wanted, "remote") == 0 || g_ascii_strcasecmp (wanted, "both") == 0))
      return (_mailsync_config_error (self, section, "remove", MAILSYNC_ERROR_NOT_SUPPORTED, error,
                                      "only 'local' is supported: a folder deleted locally by mistake (an unmounted "
                                      "disk) would take the server's copy with it"), NULL);
  }
  if (!_mailsync_config_check_one_of (self, section, "remove", removes, &remove, error))
    return NULL;
  if (autorefresh < 0)
    _mailsync_config_warn (self, section, "autorefresh", "negative, taken as 0 (no refresh)");
  if (!synclabels && _mailsync_config_has (self, section, "labelsheader"))
    _mailsync_config_warn (self, section, "labelsheader", "has no effect without synclabels = yes (as in offlineimap)");
  if (!synclabels && _mailsync_config_has (self, section, "ignorelabels"))
    _mailsync_config_warn (self, section, "ignorelabels", "has no effect without synclabels = yes (as in offlineimap)");

  metadata = _mailsync_config_get_path (self, "general", "metadata", TRUE, error);
  if (metadata == NULL)
    {
      if (error != NULL && *error != NULL)
        return NULL;
      metadata = _mailsync_config_expand_path ("~/.offlineimap", FALSE);
    }

  {
    g_autofree char *r = _mailsync_config_get_str (self, section, "remoterepository", NULL);
    g_autofree char *l = _mailsync_config_get_str (self, section, "localrepository", NULL);

    if (r != NULL && *r != '\0' && g_strcmp0 (r, l) == 0)
      return (_mailsync_config_error (self, section, "localrepository", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                      "names the same repository as remoterepository"), NULL);
  }

  remote = _mailsync_config_build_repository (self, name, section, "remoterepository", metadata, cancellable, error);
  if (remote == NULL)
    return NULL;
  local = _mailsync_config_build_repository (self, name, section, "localrepository", metadata, cancellable, error);
  if (local == NULL)
    return NULL;
  /* The status is offlineimap's, so are its saved UIDVALIDITYs: each
   * repository's FolderValidity files (reference §4.4), per repository
   * name as offlineimap has them (shared by the accounts using it). */
  {
    MailsyncRepository *sides[] = { remote, local };

    for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
      {
        g_autofree char *dir = g_strconcat ("Repository-", mailsync_repository_get_name (sides[i]), NULL);
        g_autofree char *validity = g_build_filename (metadata, dir, "FolderValidity", NULL);

        _mailsync_repository_set_validity_dir (sides[i], validity);
      }
  }
  if (synclabels)
    {
      g_autofree char *header = _mailsync_config_get_str (self, section, "labelsheader", NULL);
      g_autofree char *ignore = _mailsync_config_get_str (self, section, "ignorelabels", NULL);

      if (!_mailsync_config_apply_synclabels (remote, local, header, ignore))
        _mailsync_config_warn (self, section, "synclabels", "has no effect unless the remote repository is of type Gmail and "
                               "the local one of type GmailMaildir");
    }
  if (_mailsync_config_has (self, section, "filterheaders"))
    {
      /* IMAPFolder: re.split(r'\s*,\s*', filterheaders), empty items
       * dropped; every IMAP side's folders apply it (a Maildir never) */
      g_autofree char *text = _mailsync_config_get_str (self, section, "filterheaders", error);
      g_auto(GStrv) parts = NULL;
      g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
      g_auto(GStrv) headers = NULL;

      if (text == NULL)
        return NULL;
      parts = g_strsplit (text, ",", -1);
      for (guint i = 0; parts[i] != NULL; i++)
        if (*g_strstrip (parts[i]) != '\0')
          g_strv_builder_add (kept, parts[i]);
      headers = g_strv_builder_end (kept);
      _mailsync_labels_filter_set (remote, (const char *const *) headers);
      _mailsync_labels_filter_set (local, (const char *const *) headers);
    }
  if (!apply_proxy (self, section, remote, local, error))
    return NULL;
  {
    /* accounts.syncfolder's check (maxage with either is refused where
     * startdate is read) */
    g_autofree char *rsection = g_strconcat ("Repository ", mailsync_repository_get_name (remote), NULL);
    g_autofree char *lsection = g_strconcat ("Repository ", mailsync_repository_get_name (local), NULL);
    g_autofree char *rdate = _mailsync_config_get_str (self, rsection, "startdate", NULL);
    g_autofree char *ldate = _mailsync_config_get_str (self, lsection, "startdate", NULL);

    if (rdate != NULL && *rdate != '\0' && ldate != NULL && *ldate != '\0')
      return (_mailsync_config_error (self, lsection, "startdate", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                      "You can set at most one of the following: maxage, startdate (for the local "
                                      "folder), startdate (for the remote folder)"), NULL);
  }
  if (maxage > 0 && !MAILSYNC_IS_MAILDIR_REPOSITORY (local))
    return (_mailsync_config_error (self, section, "maxage", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                    "maxage is not supported on IMAP-IMAP sync (the local repository must be a Maildir)"),
            NULL);

  account_dir = g_strconcat ("Account-", name, NULL);
  if (g_strcmp0 (backend, "plain") == 0)
    {
      status_dir = g_build_filename (metadata, account_dir, "LocalStatus", NULL);
      status = mailsync_status_plain_new (status_dir);
    }
  else
    {
      status_dir = g_build_filename (metadata, account_dir, "LocalStatus-sqlite", NULL);
      status = mailsync_status_sqlite_new (status_dir);
    }

  /* offlineimap creates localfolders (0700, with parents). Only before the
   * first sync, though: a root missing once there is a status is a disk
   * not mounted, which the backend must see and refuse (DESIGN §5 rule 1). */
  if (!g_file_test (status_dir, G_FILE_TEST_EXISTS))
    {
      MailsyncRepository *sides[] = { local, remote };

      for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
        if (MAILSYNC_IS_MAILDIR_REPOSITORY (sides[i]))
          {
            const char *root = mailsync_maildir_repository_get_root (MAILSYNC_MAILDIR_REPOSITORY (sides[i]));

            if (!g_file_test (root, G_FILE_TEST_EXISTS) && g_mkdir_with_parents (root, 0700) != 0)
              {
                int saved = errno;
                g_autofree char *repo_section = g_strconcat ("Repository ", mailsync_repository_get_name (sides[i]), NULL);
                return (_mailsync_config_error (self, repo_section, "localfolders", MAILSYNC_ERROR_FAILED, error,
                                                "cannot create '%s': %s", root, g_strerror (saved)), NULL);
              }
          }
    }

  account = mailsync_account_new (name, remote, local, status);
  mailsync_account_set_dry_run (account, dry_run);
  mailsync_account_set_max_age (account, maxage);
  _mailsync_account_set_max_age_date (account, maxage_date);
  mailsync_account_set_max_size (account, (guint64) maxsize);
  mailsync_account_set_remove_deleted_folders (account, g_strcmp0 (remove, "local") == 0);
  return account;
}
