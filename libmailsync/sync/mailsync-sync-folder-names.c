/* The account's folder names (split from mailsync-sync-folders.c): a
 * remote folder's local and status names, whether a name is safe to
 * store, and finding a folder by name in a listing. Used by the folder
 * structure pass and the folder loop. */
#include "config.h"

#include "mailsync-account-private.h"
#include "sync/mailsync-sync-folder-names.h"

#include <string.h>

char *
_mailsync_names_change_separator (const char *name, char from, char to)
{
  char *copy = g_strdup (name);

  if (from != to)
    for (char *p = copy; *p; p++)
      if (*p == from)
        *p = to;
  return copy;
}

/* Rule 8: a name that could reach outside the store or the metadata
 * directory is refused, whatever the server says. */
gboolean
_mailsync_names_name_is_safe (const char *name)
{
  g_auto(GStrv) parts = NULL;

  if (!g_utf8_validate (name, -1, NULL) || name[0] == '/')
    return FALSE;
  for (const char *p = name; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f || *p == '\\')
      return FALSE;
  parts = g_strsplit (name, "/", -1);
  for (guint i = 0; parts[i]; i++)
    if (strcmp (parts[i], "..") == 0 || (strcmp (parts[i], ".") == 0))
      return FALSE;
  return TRUE;
}

/* Why _mailsync_names_name_is_safe() or _mailsync_names_status_name_is_safe() refuses @name, for the
 * folder's error. */
const char *
_mailsync_names_unsafe_name_reason (const char *name)
{
  if (!g_utf8_validate (name, -1, NULL))
    return "it is not valid UTF-8";
  for (const char *p = name; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return "it holds a control character";
    else if (*p == '\\')
      return "it holds a backslash";
  if (name[0] == '/')
    return "it starts with '/'";
  if (!_mailsync_names_name_is_safe (name))
    return "'.' and '..' are not folder names";
  return "its status file would clash with another folder's side files";
}

/* A status file name must not collide with the side files a store keeps
 * next to another folder's status (plain: .journal/.meta/.tmp; SQLite:
 * -wal/-shm/-journal). */
gboolean
_mailsync_names_status_name_is_safe (const char *name)
{
  static const char *suffixes[] = { ".journal", ".meta", ".tmp", "-wal", "-shm", "-journal" };

  if (!_mailsync_names_name_is_safe (name))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (name, suffixes[i]))
      return FALSE;
  return TRUE;
}

/* The local name of a remote folder: its visible name with the local
 * separator (offlineimap: visiblename.replace(remote sep, local sep)). */
char *
_mailsync_names_local_name_for (MailsyncAccount *self, MailsyncFolder *remote_folder)
{
  g_autofree char *visible = mailsync_folder_get_visible_name (remote_folder);

  return _mailsync_names_change_separator (visible, mailsync_repository_get_separator (self->remote),
                           mailsync_repository_get_separator (self->local));
}

MailsyncFolder *
_mailsync_names_find_folder (GPtrArray *folders, const char *name)
{
  for (guint i = 0; i < folders->len; i++)
    if (strcmp (mailsync_folder_get_name (folders->pdata[i]), name) == 0)
      return folders->pdata[i];
  return NULL;
}

gboolean
_mailsync_names_has_visible (MailsyncRepository *repo, GPtrArray *folders, const char *visible)
{
  for (guint i = 0; i < folders->len; i++)
    {
      g_autofree char *v = mailsync_folder_get_visible_name (folders->pdata[i]);
      if (strcmp (v, visible) == 0)
        return TRUE;
    }
  return FALSE;
}

char *
_mailsync_names_status_name_for (MailsyncAccount *self, MailsyncFolder *remote_folder)
{
  g_autofree char *visible = mailsync_folder_get_visible_name (remote_folder);

  return _mailsync_names_change_separator (visible, mailsync_repository_get_separator (self->remote), '.');
}

/* A folder the repository's listing left out on purpose (an IMAP folder
 * that exists but is not subscribed, with subscribedonly): it is hidden,
 * not missing, so nothing is created in its place (creating purges the
 * status). The engine knows no backend: it asks for the property. */
gboolean
_mailsync_names_is_hidden (MailsyncRepository *repo,
           const char         *name)
{
  g_auto(GStrv) hidden = NULL;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (repo), "hidden-folders") == NULL)
    return FALSE;
  g_object_get (repo, "hidden-folders", &hidden, NULL);
  return hidden != NULL && g_strv_contains ((const char *const *) hidden, name);
}
