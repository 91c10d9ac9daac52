/* mailsync-modes.c: --info, --delete-folder, --migrate-fmd5-using-nametrans. */
#include "config.h"

#include "mailsync-modes.h"

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

static const char *
type_name (MailsyncRepository *repo)
{
  if (MAILSYNC_IS_MAILDIR_REPOSITORY (repo))
    return "Maildir";
  if (MAILSYNC_IS_IMAP_REPOSITORY (repo) || MAILSYNC_IS_MAPPED_REPOSITORY (repo))
    return "IMAP";
  return G_OBJECT_TYPE_NAME (repo);
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

  {
    /* Gmail and GmailMaildir are IMAP and Maildir backends; offlineimap
     * names the type the section gives */
    g_autofree char *type = section ? mailsync_config_file_get_string (file, section, "type", NULL) : NULL;
    gboolean gmail = g_strcmp0 (type, "Gmail") == 0 || g_strcmp0 (type, "GmailMaildir") == 0;

    display (ui, "%s repository '%s': type '%s'", rtype, mailsync_repository_get_name (repo),
             gmail ? type : type_name (repo));
  }
  if (MAILSYNC_IS_IMAP_REPOSITORY (repo))
    {
      g_autofree char *host = NULL;
      guint port = 0;
      gboolean ssl = FALSE;

      g_object_get (repo, "host", &host, "port", &port, "ssl", &ssl, NULL);
      display (ui, "Host: %s Port: %u SSL: %s", host ? host : "None", port, ssl ? "True" : "False");
    }
  if (MAILSYNC_IS_IMAP_REPOSITORY (repo))
    {
      g_autofree char *host = NULL;
      g_autofree char *tunnel = NULL;
      g_autofree char *transport = NULL;
      g_autofree char *text = NULL;
      guint port = 0;

      /* offlineimap's connecting message, which the sync prints too */
      g_object_get (repo, "host", &host, "port", &port, "preauth-tunnel", &tunnel, "transport-tunnel", &transport,
                    NULL);
      if (tunnel != NULL && *tunnel != '\0')
        text = g_strdup_printf ("Establishing connection to tunnel:%s (%s)", tunnel, mailsync_repository_get_name (repo));
      else if (transport != NULL && *transport != '\0')
        text = g_strdup_printf ("Establishing connection to tunnel:%s (%s)", transport,
                                mailsync_repository_get_name (repo));
      else
        text = g_strdup_printf ("Establishing connection to %s:%u (%s)", host ? host : "", port,
                                mailsync_repository_get_name (repo));
      mailsync_ui_message (ui, MAILSYNC_UI_LEVEL_INFO, NULL, "", text);
    }
  if (!repo_open (repo, context, &error))
    {
      display (ui, "Failed to connect. Reason %s", error->message);
      return;
    }
  if (MAILSYNC_IS_IMAP_REPOSITORY (repo))
    {
      MailsyncImapRepository *imap = MAILSYNC_IMAP_REPOSITORY (repo);
      const char *const *caps = mailsync_imap_repository_get_capabilities (imap);
      const char *greeting = mailsync_imap_repository_get_greeting (imap);
      g_autoptr(GString) tuple = g_string_new ("(");

      /* offlineimap prints imaplib's tuple of upper-cased names */
      for (guint i = 0; caps != NULL && caps[i] != NULL; i++)
        {
          g_autofree char *upper = g_ascii_strup (caps[i], -1);

          g_string_append_printf (tuple, "%s'%s'", i ? ", " : "", upper);
          if (strcmp (upper, "ID") == 0)
            display (ui, "Server supports ID extension.");
        }
      g_string_append (tuple, caps != NULL && caps[0] != NULL && caps[1] == NULL ? ",)" : ")");
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
  if (MAILSYNC_IS_IMAP_REPOSITORY (repo))
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

/**
 * mailsync_mode_info:
 * @config: the configuration
 * @ui: the UI (ttyui, which --info forces)
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
  g_autoptr(GMainContext) context = g_main_context_new ();
  int status = 0;

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
      MailsyncRepository *local;
      const char *root;

      if (account == NULL)
        {
          mailsync_ui_error (ui, NULL, "ERROR: %s", error->message);
          status = 1;
          continue;
        }
      local = mailsync_account_get_local (account);
      if (!MAILSYNC_IS_MAILDIR_REPOSITORY (local))
        continue;
      root = mailsync_maildir_repository_get_root (MAILSYNC_MAILDIR_REPOSITORY (local));
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
