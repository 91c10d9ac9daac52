/* mailsync-modes.c: --info, --delete-folder, --migrate-fmd5-using-nametrans. */
#include "config.h"

#include "mailsync-modes.h"
#include "mailsync-ui-json.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

/* The public repository API is asynchronous; these modes do one thing at
 * a time, so they wait on a private context. */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} Wait;

static void
wait_store (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ((Wait *) user_data)->result = g_object_ref (result);
}

static void
wait_run (Wait *w)
{
  while (w->result == NULL)
    g_main_context_iteration (w->context, TRUE);
}

static void
wait_clear (Wait *w)
{
  g_clear_object (&w->result);
}

static gboolean
repo_open (MailsyncRepository *repo, GMainContext *context, GError **error)
{
  Wait w = { context, NULL };
  gboolean ok;

  mailsync_repository_open_async (repo, NULL, wait_store, &w);
  wait_run (&w);
  ok = mailsync_repository_open_finish (repo, w.result, error);
  wait_clear (&w);
  return ok;
}

static GPtrArray *
repo_list (MailsyncRepository *repo, GMainContext *context, GError **error)
{
  Wait w = { context, NULL };
  GPtrArray *folders;

  mailsync_repository_list_folders_async (repo, NULL, wait_store, &w);
  wait_run (&w);
  folders = mailsync_repository_list_folders_finish (repo, w.result, error);
  wait_clear (&w);
  return folders;
}

static gboolean
repo_delete (MailsyncRepository *repo, const char *name, GMainContext *context, GError **error)
{
  Wait w = { context, NULL };
  gboolean ok;

  mailsync_repository_delete_folder_async (repo, name, NULL, wait_store, &w);
  wait_run (&w);
  ok = mailsync_repository_delete_folder_finish (repo, w.result, error);
  wait_clear (&w);
  return ok;
}

static void
repo_close (MailsyncRepository *repo, GMainContext *context)
{
  Wait w = { context, NULL };

  mailsync_repository_close_async (repo, NULL, wait_store, &w);
  wait_run (&w);
  mailsync_repository_close_finish (repo, w.result, NULL);
  wait_clear (&w);
}

static void
display (MailsyncUi *ui, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
display (MailsyncUi *ui, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  mailsync_ui_message (ui, MAILSYNC_UI_LEVEL_INFO, NULL, "_display", text);
}

/* What --info shows of a repository comes from its description
 * (mailsync_repository_describe()), never from a backend's own getters:
 * "kind" is offlineimap's type name (Gmail and GmailMaildir included); a
 * "port" marks a repository that talks to a server itself, which
 * offlineimap's --info shows with its host and server details and whose
 * folders it sorts (hasattr(repository, 'gethost') in offlineimap). */
static const char *
describe_string (GVariant *description, const char *key)
{
  const char *value = NULL;

  return g_variant_lookup (description, key, "&s", &value) ? value : NULL;
}

static gboolean
describe_is_server (GVariant *description)
{
  guint32 port = 0;

  return g_variant_lookup (description, "port", "u", &port);
}

/* offlineimap's IMAP getfolders() sorts by the lower-cased visible name
 * (its default foldersort); --info shows that order, not the server's. */
static gint
compare_visible_names (gconstpointer a, gconstpointer b)
{
  MailsyncFolder *fa = *(MailsyncFolder * const *) a;
  MailsyncFolder *fb = *(MailsyncFolder * const *) b;
  g_autofree char *va = mailsync_folder_get_visible_name (fa);
  g_autofree char *vb = mailsync_folder_get_visible_name (fb);
  g_autofree char *la = g_utf8_strdown (va ? va : mailsync_folder_get_name (fa), -1);
  g_autofree char *lb = g_utf8_strdown (vb ? vb : mailsync_folder_get_name (fb), -1);

  return strcmp (la, lb);
}

static char *
repository_section (MailsyncConfig *config, const char *account, const char *which)
{
  g_autofree char *section = g_strconcat ("Account ", account, NULL);
  g_autofree char *name =
    mailsync_config_file_get_string (mailsync_config_get_file (config), section, which, NULL);

  return name ? g_strconcat ("Repository ", name, NULL) : NULL;
}

static void
info_repository (MailsyncConfig *config, MailsyncUi *ui, MailsyncRepository *repo, const char *rtype,
                 const char *section, GMainContext *context)
{
  MailsyncConfigFile *file = mailsync_config_get_file (config);
  static const char *shown[] = { "folderfilter", "folderincludes", "nametrans" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GString) list = g_string_new ("Folderlist:");
  g_autoptr(GVariant) description = mailsync_repository_describe (repo);
  gboolean server = describe_is_server (description);
  g_autofree const char **caps = NULL;

  display (ui, "%s repository '%s': type '%s'", rtype, mailsync_repository_get_name (repo),
           describe_string (description, "kind"));
  if (server)
    {
      const char *host = describe_string (description, "host");
      guint32 port = 0;
      gboolean ssl = FALSE;
      g_autofree char *text = NULL;

      g_variant_lookup (description, "port", "u", &port);
      g_variant_lookup (description, "ssl", "b", &ssl);
      display (ui, "Host: %s Port: %u SSL: %s", host ? host : "None", port, ssl ? "True" : "False");
      /* offlineimap's connecting message, which the sync prints too */
      text = g_strdup_printf ("Establishing connection to %s (%s)", describe_string (description, "location"),
                              mailsync_repository_get_name (repo));
      mailsync_ui_message (ui, MAILSYNC_UI_LEVEL_INFO, NULL, "", text);
    }
  if (!repo_open (repo, context, &error))
    {
      display (ui, "Failed to connect. Reason %s", error->message);
      return;
    }
  /* the greeting and capabilities are known once it opened */
  g_clear_pointer (&description, g_variant_unref);
  description = mailsync_repository_describe (repo);
  if (g_variant_lookup (description, "capabilities", "^a&s", &caps))
    {
      g_autoptr(GString) tuple = g_string_new ("(");
      const char *greeting = describe_string (description, "greeting");

      /* offlineimap prints imaplib's tuple of upper-cased names */
      for (guint i = 0; caps[i] != NULL; i++)
        {
          g_autofree char *upper = g_ascii_strup (caps[i], -1);

          g_string_append_printf (tuple, "%s'%s'", i ? ", " : "", upper);
          if (strcmp (upper, "ID") == 0)
            display (ui, "Server supports ID extension.");
        }
      g_string_append (tuple, caps[0] != NULL && caps[1] == NULL ? ",)" : ")");
      display (ui, "Server welcome string: %s", greeting ? greeting : "");
      display (ui, "Server capabilities: %s\n", tuple->str);
    }
  for (gsize i = 0; section != NULL && i < G_N_ELEMENTS (shown); i++)
    if (mailsync_config_file_has_key (file, section, shown[i]))
      {
        g_autofree char *raw = mailsync_config_file_get_raw (file, section, shown[i]);

        display (ui, "%s= %s\n", shown[i], raw);
      }
  folders = repo_list (repo, context, &error);
  if (folders == NULL)
    {
      mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
      repo_close (repo, context);
      return;
    }
  if (server)
    g_ptr_array_sort (folders, compare_visible_names);
  for (guint i = 0; i < folders->len; i++)
    {
      MailsyncFolder *folder = folders->pdata[i];
      const char *name = mailsync_folder_get_name (folder);
      g_autofree char *visible = mailsync_folder_get_visible_name (folder);
      const char *disabled = mailsync_repository_includes_folder (repo, name) ? "" : " (disabled)";

      if (visible == NULL || strcmp (visible, name) == 0)
        g_string_append_printf (list, "\n %s%s", name, disabled);
      else
        g_string_append_printf (list, "\n %s -> %s%s", name, visible, disabled);
    }
  g_string_append_c (list, '\n');
  display (ui, "%s", list->str);
  repo_close (repo, context);
}

/* ---- --info -u json (issue 10 item 6) ----------------------------------- */

static void
json_int_or_null (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  if (value < 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, value);
}

static void
json_bool (JsonBuilder *builder, const char *name, gboolean value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
json_error (JsonBuilder *builder, const GError *error)
{
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  mailsync_ui_json_add_error (builder, error);
  json_builder_end_object (builder);
}

/* When the sync last wrote the folder's status (offlineimap's status file
 * or database of the folder): the last sync that got to it. ISO 8601 UTC,
 * or null when the folder was never synced. */
static void
json_last_sync (JsonBuilder *builder, MailsyncStatusStore *status, MailsyncRepository *repo, MailsyncFolder *folder)
{
  g_autofree char *visible = mailsync_folder_get_visible_name (folder);
  g_autofree char *status_name = g_strdup (visible ? visible : mailsync_folder_get_name (folder));
  g_autofree char *path = NULL;
  g_autoptr(GDateTime) when = NULL;
  char sep = mailsync_repository_get_separator (repo);
  GStatBuf st;

  /* the account's status names: the visible name with '.' for the
   * remote separator */
  for (char *p = status_name; sep != '.' && *p; p++)
    if (*p == sep)
      *p = '.';
  path = status != NULL ? mailsync_status_store_get_path (status, status_name) : NULL;
  json_builder_set_member_name (builder, "last_sync");
  if (path == NULL || g_stat (path, &st) != 0 || (when = g_date_time_new_from_unix_utc (st.st_mtime)) == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  {
    g_autofree char *text = g_date_time_format_iso8601 (when);
    json_builder_add_string_value (builder, text);
  }
}

static MailsyncFolderInfo *
find_info (GPtrArray *infos, const char *name)
{
  for (guint i = 0; infos != NULL && i < infos->len; i++)
    if (g_strcmp0 (mailsync_folder_info_get_name (infos->pdata[i]), name) == 0)
      return infos->pdata[i];
  return NULL;
}

static void
json_repository (JsonBuilder *builder, MailsyncRepository *repo, const char *role, MailsyncStatusStore *status,
                 GMainContext *context)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GVariant) description = mailsync_repository_describe (repo);
  gboolean server = describe_is_server (description);
  g_autofree const char **caps = NULL;

  json_builder_begin_object (builder);
  mailsync_ui_json_add_string (builder, "role", role);
  mailsync_ui_json_add_string (builder, "name", mailsync_repository_get_name (repo));
  mailsync_ui_json_add_string (builder, "type", describe_string (description, "kind"));
  if (server)
    {
      guint32 port = 0;
      gboolean ssl = FALSE;

      /* never the user's password: only where the server is */
      g_variant_lookup (description, "port", "u", &port);
      g_variant_lookup (description, "ssl", "b", &ssl);
      mailsync_ui_json_add_string (builder, "host", describe_string (description, "host"));
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, port);
      json_bool (builder, "ssl", ssl);
    }
  if (!repo_open (repo, context, &error))
    {
      json_error (builder, error);
      json_builder_end_object (builder);
      return;
    }
  g_clear_pointer (&description, g_variant_unref);
  description = mailsync_repository_describe (repo);
  if (g_variant_lookup (description, "capabilities", "^a&s", &caps))
    {
      json_builder_set_member_name (builder, "capabilities");
      json_builder_begin_array (builder);
      for (guint i = 0; caps[i] != NULL; i++)
        {
          g_autofree char *upper = g_ascii_strup (caps[i], -1);
          json_builder_add_string_value (builder, upper);
        }
      json_builder_end_array (builder);
      mailsync_ui_json_add_string (builder, "greeting", describe_string (description, "greeting"));
    }
  folders = repo_list (repo, context, &error);
  /* the counts and special-use: one more listing (LIST-STATUS where the
   * server has it); without them the folders are still listed */
  if (folders != NULL)
    infos = mailsync_repository_list_folder_info (repo, NULL, NULL);
  if (folders == NULL)
    json_error (builder, error);
  else
    {
      if (server)
        g_ptr_array_sort (folders, compare_visible_names);
      json_builder_set_member_name (builder, "folders");
      json_builder_begin_array (builder);
      for (guint i = 0; i < folders->len; i++)
        {
          MailsyncFolder *folder = folders->pdata[i];
          const char *name = mailsync_folder_get_name (folder);
          g_autofree char *visible = mailsync_folder_get_visible_name (folder);
          MailsyncFolderInfo *info = find_info (infos, name);

          json_builder_begin_object (builder);
          mailsync_ui_json_add_string (builder, "name", name);
          mailsync_ui_json_add_string (builder, "visible_name", visible ? visible : name);
          if (info != NULL)
            mailsync_ui_json_add_string (builder, "display_name", mailsync_folder_info_get_display_name (info));
          json_bool (builder, "included", mailsync_repository_includes_folder (repo, name));
          json_int_or_null (builder, "total", info ? mailsync_folder_info_get_total (info) : -1);
          json_int_or_null (builder, "unseen", info ? mailsync_folder_info_get_unseen (info) : -1);
          json_int_or_null (builder, "recent", info ? mailsync_folder_info_get_recent (info) : -1);
          json_builder_set_member_name (builder, "special_use");
          if (info != NULL && mailsync_folder_info_get_role (info) != MAILSYNC_FOLDER_ROLE_NONE)
            {
              g_autoptr(GEnumClass) roles = g_type_class_ref (MAILSYNC_TYPE_FOLDER_ROLE);
              GEnumValue *v = g_enum_get_value (roles, mailsync_folder_info_get_role (info));

              json_builder_add_string_value (builder, v ? v->value_nick : "none");
            }
          else
            json_builder_add_null_value (builder);
          if (info != NULL)
            {
              json_bool (builder, "subscribed", mailsync_folder_info_is_subscribed (info));
              json_bool (builder, "selectable", mailsync_folder_info_is_selectable (info));
            }
          if (status != NULL)
            json_last_sync (builder, status, repo, folder);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }
  repo_close (repo, context);
  json_builder_end_object (builder);
}

/* --info -u json: one JSON document (on one line) for all accounts, in
 * the schema of mailsyncui(7), instead of offlineimap's text. */
static int
mode_info_json (MailsyncConfig      *config,
                MailsyncUiJson      *ui,
                const char * const  *accounts)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  int status = 0;

  g_main_context_push_thread_default (context);
  json_builder_begin_object (builder);
  mailsync_ui_json_add_string (builder, "kind", "info");
  json_builder_set_member_name (builder, "schema");
  json_builder_add_int_value (builder, MAILSYNC_UI_JSON_SCHEMA);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_array (builder);
  for (guint i = 0; accounts[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncAccount) account = mailsync_config_create_account (config, accounts[i], NULL, &error);

      json_builder_begin_object (builder);
      mailsync_ui_json_add_string (builder, "name", accounts[i]);
      if (account == NULL)
        {
          json_error (builder, error);
          json_builder_end_object (builder);
          status = 1;
          continue;
        }
      json_builder_set_member_name (builder, "repositories");
      json_builder_begin_array (builder);
      /* last_sync is the remote folders' (the status is named after them) */
      json_repository (builder, mailsync_account_get_remote (account), "remote", mailsync_account_get_status (account),
                       context);
      json_repository (builder, mailsync_account_get_local (account), "local", NULL, context);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  g_main_context_pop_thread_default (context);
  root = json_builder_get_root (builder);
  mailsync_ui_json_write_document (ui, root);
  return status;
}

/**
 * mailsync_mode_info:
 * @config: the configuration
 * @ui: the UI (ttyui, which --info forces, or json with -u json: then one
 *   JSON document, see mailsyncui(7))
 * @accounts: (array zero-terminated=1): active accounts
 *
 * For each account, what offlineimap's --info prints: repository type,
 * server, name translations and filters, the folder list.
 *
 * Returns: the exit status
 */
int
mailsync_mode_info (MailsyncConfig      *config,
                    MailsyncUi          *ui,
                    const char * const  *accounts)
{
  g_autoptr(GMainContext) context = NULL;
  int status = 0;

  if (MAILSYNC_IS_UI_JSON (ui))
    return mode_info_json (config, MAILSYNC_UI_JSON (ui), accounts);
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  for (guint i = 0; accounts[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncAccount) account = mailsync_config_create_account (config, accounts[i], NULL, &error);
      g_autofree char *remote_section = repository_section (config, accounts[i], "remoterepository");
      g_autofree char *local_section = repository_section (config, accounts[i], "localrepository");

      if (account == NULL)
        {
          mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
          status = 1;
          continue;
        }
      info_repository (config, ui, mailsync_account_get_remote (account), "Remote", remote_section, context);
      info_repository (config, ui, mailsync_account_get_local (account), "Local", local_section, context);
    }
  g_main_context_pop_thread_default (context);
  return status;
}

/**
 * mailsync_mode_delete_folder:
 * @config: the configuration
 * @ui: the UI
 * @accounts: (array zero-terminated=1): active accounts, exactly one
 * @folder: the remote folder name (remote separator): a modified UTF-7
 *   name is sent as it is, another name is encoded; with utf8foldernames
 *   a UTF-8 name is encoded (MailsyncImapRepository:utf8-folder-names)
 * @dry_run: only say what would be deleted
 *
 * Deletes a folder on the remote side only, as offlineimap does; unlike
 * offlineimap, a failure gives a nonzero status.
 *
 * Returns: the exit status
 */
int
mailsync_mode_delete_folder (MailsyncConfig      *config,
                             MailsyncUi          *ui,
                             const char * const  *accounts,
                             const char          *folder,
                             gboolean             dry_run)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  MailsyncRepository *remote;
  gboolean ok;

  if (g_strv_length ((char **) accounts) != 1)
    {
      mailsync_ui_error (ui, NULL, "ERROR: you must supply only one account with '-a'");
      return 1;
    }
  if (dry_run)
    {
      mailsync_ui_info (ui, NULL, "would try to remove '%s' on remote of '%s' account", folder, accounts[0]);
      return 0;
    }
  account = mailsync_config_create_account (config, accounts[0], NULL, &error);
  if (account == NULL)
    {
      mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
      return 1;
    }
  remote = mailsync_account_get_remote (account);
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  ok = repo_open (remote, context, &error) && repo_delete (remote, folder, context, &error);
  repo_close (remote, context);
  g_main_context_pop_thread_default (context);
  if (!ok)
    {
      mailsync_ui_error (ui, NULL, "ERROR: Folder '%s'[%s] could not be deleted. %s", folder,
                         mailsync_repository_get_name (remote), error->message);
      return 1;
    }
  mailsync_ui_info (ui, NULL, "Folder '%s' deleted.", folder);
  return 0;
}

static char *
md5_hex (const char *s)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, s, -1);
}

/* Renames, in one Maildir folder, the files whose FMD5 is md5(name) to
 * md5(visible name).  Returns FALSE on a rename error. */
static gboolean
migrate_folder (MailsyncUi *ui, const char *path, const char *old_md5, const char *new_md5, gboolean dry_run,
                GError **error)
{
  static const char *subdirs[] = { "cur", "new" };
  g_autofree char *old_tag = g_strconcat (",FMD5=", old_md5, NULL);

  for (gsize s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *dir_path = g_build_filename (path, subdirs[s], NULL);
      g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *file = g_build_filename (dir_path, name, NULL);
          const char *tag = strstr (name, ",FMD5=");
          const char *end;
          g_autofree char *renamed = NULL;
          g_autofree char *target = NULL;

          if (name[0] == '.')
            continue;
          if (tag == NULL)
            continue;  /* new mail not yet uploaded */
          end = tag + 6;
          while (g_ascii_isxdigit (*end))
            end++;
          if ((gsize) (end - tag) == strlen (old_tag) && g_ascii_strncasecmp (tag, old_tag, end - tag) == 0)
            {
              mailsync_ui_info (ui, NULL, "Migrating file `%s' to FMD5 `%s'", file, new_md5);
              if (dry_run)
                continue;
              renamed = g_strdup_printf ("%.*s,FMD5=%s%s", (int) (tag - name), name, new_md5, end);
              target = g_build_filename (dir_path, renamed, NULL);
              if (g_rename (file, target) < 0)
                {
                  int saved = errno;
                  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Can't rename file '%s' to '%s': %s",
                               file, target, g_strerror (saved));
                  return FALSE;
                }
            }
          else if (!(end - tag - 6 == 32 && g_ascii_strncasecmp (tag + 6, new_md5, 32) == 0))
            mailsync_ui_warn (ui, NULL, "Inconsistent FMD5 for file `%s': Neither `%s' nor `%s' found", file,
                              old_md5, new_md5);
        }
    }
  return TRUE;
}

/**
 * mailsync_mode_migrate_fmd5:
 * @config: the configuration
 * @ui: the UI
 * @accounts: (array zero-terminated=1): active accounts
 * @dry_run: only say what would be renamed
 *
 * offlineimap before 6.3.5 named Maildir files with md5 of the folder's
 * own name; since, with md5 of its visible (nametrans'd) name.  Files of
 * the old scheme would look like new mail and be uploaded again: rename
 * them.  (offlineimap 8.0's version of this crashes.)
 *
 * Returns: the exit status
 */
int
mailsync_mode_migrate_fmd5 (MailsyncConfig      *config,
                            MailsyncUi          *ui,
                            const char * const  *accounts,
                            gboolean             dry_run)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  int status = 0;

  g_main_context_push_thread_default (context);
  for (guint i = 0; accounts[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncAccount) account = mailsync_config_create_account (config, accounts[i], NULL, &error);
      g_autoptr(GPtrArray) folders = NULL;
      g_autoptr(GVariant) description = NULL;
      MailsyncRepository *local;
      const char *root;

      if (account == NULL)
        {
          mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
          status = 1;
          continue;
        }
      local = mailsync_account_get_local (account);
      description = mailsync_repository_describe (local);
      /* Maildir's files carry the FMD5: a local side with a directory */
      if ((root = describe_string (description, "root")) == NULL)
        continue;
      if (!repo_open (local, context, &error) || (folders = repo_list (local, context, &error)) == NULL)
        {
          mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
          status = 1;
          continue;
        }
      for (guint f = 0; f < folders->len; f++)
        {
          const char *name = mailsync_folder_get_name (folders->pdata[f]);
          g_autofree char *visible = mailsync_folder_get_visible_name (folders->pdata[f]);
          g_autofree char *old_md5 = md5_hex (name);
          g_autofree char *new_md5 = md5_hex (visible ? visible : name);
          g_autofree char *path = g_build_filename (root, name, NULL);

          if (strcmp (old_md5, new_md5) == 0)
            continue;
          if (!migrate_folder (ui, path, old_md5, new_md5, dry_run, &error))
            {
              mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
              status = 1;
              break;
            }
        }
      repo_close (local, context);
    }
  g_main_context_pop_thread_default (context);
  return status;
}
