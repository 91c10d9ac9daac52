/* The directory tree of a Maildir repository: which directories are
 * folders, which folder names are safe, the sorted scan of the tree, and
 * the creation and removal of folder directories (the repository's
 * create/delete/list operations run these in worker threads). */
#include "config.h"

#include "mailsync-maildir-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

gboolean
_mailsync_maildir_is_maildir (const char *path)
{
  static const char *const subdirs[] = { "cur", "new", "tmp" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[i], NULL);

      if (!g_file_test (sub, G_FILE_TEST_IS_DIR))
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_reserved_component (const char *c,
                       gsize       len)
{
  return (len == 3 && (strncmp (c, "cur", 3) == 0 || strncmp (c, "new", 3) == 0 ||
                       strncmp (c, "tmp", 3) == 0));
}

gboolean
_mailsync_maildir_check_folder_name (const char  *name,
                                     char         separator,
                                     GError     **error)
{
  const char *p;
  const char *component;
  const char *why = NULL;

  if (name == NULL)
    {
      g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME,
                           "Folder name is missing");
      return FALSE;
    }
  /* "" is the root folder: always inside the store. */
  if (*name == '\0')
    return TRUE;

  if (!g_utf8_validate (name, -1, NULL))
    {
      why = "it is not valid UTF-8";
      goto unsafe;
    }
  for (p = name; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      {
        why = "it holds a control character";
        goto unsafe;
      }
  if (name[0] == '/')
    {
      why = "it starts with '/'";
      goto unsafe;
    }

  if (separator != '/')
    {
      /* Flat layout: the name is one directory name. */
      if (strchr (name, '/') != NULL)
        why = "it holds '/', which is not the separator of this Maildir";
      else if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        why = "'.' and '..' are not folder names";
      else if (strcmp (name, "cur") == 0 || strcmp (name, "new") == 0 || strcmp (name, "tmp") == 0)
        why = "cur, new and tmp are the subdirectories of a Maildir folder";
      if (why != NULL)
        goto unsafe;
      return TRUE;
    }

  /* Nested layout: every component must be a plain, non-empty name that is
   * neither a path trick nor one of the Maildir subdirectories. */
  component = name;
  for (p = name;; p++)
    {
      if (*p == '/' || *p == '\0')
        {
          gsize len = (gsize) (p - component);

          if (len == 0)
            why = "it has an empty level";
          else if ((len == 1 && component[0] == '.') ||
                   (len == 2 && component[0] == '.' && component[1] == '.'))
            why = "'.' and '..' are not folder names";
          else if (is_reserved_component (component, len))
            why = "cur, new and tmp are the subdirectories of a Maildir folder";
          if (why != NULL)
            goto unsafe;
          if (*p == '\0')
            break;
          component = p + 1;
        }
    }
  return TRUE;

unsafe:
  {
    g_autofree char *escaped = g_strescape (name, NULL);

    g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME,
                 "Unsafe Maildir folder name \"%s\": %s", escaped, why);
  }
  return FALSE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Sorted entry names of @path (stable listings make stable tests and logs). */
GPtrArray *
_mailsync_maildir_list_dir_sorted (const char  *path,
                                   GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  dir = g_dir_open (path, 0, error);
  if (dir == NULL)
    return NULL;
  while ((entry = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_strings);
  return g_steal_pointer (&names);
}

/* Deep enough for any real hierarchy; stops symlink loops. */
#define MAX_DEPTH 64

gboolean
_mailsync_maildir_scan_folders (MailsyncMaildirRepository  *self,
                                const char                 *dir_path,
                                const char                 *prefix,
                                guint                       depth,
                                GPtrArray                  *out,
                                GCancellable               *cancellable,
                                GError                    **error)
{
  char sep = mailsync_repository_get_separator (MAILSYNC_REPOSITORY (self));
  g_autoptr(GPtrArray) entries = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (depth > MAX_DEPTH)
    return TRUE;

  entries = _mailsync_maildir_list_dir_sorted (dir_path, error);
  if (entries == NULL)
    return FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      const char *entry = entries->pdata[i];
      g_autofree char *child = NULL;
      g_autofree char *name = NULL;
      GStatBuf st;

      if (strcmp (entry, "cur") == 0 || strcmp (entry, "new") == 0 || strcmp (entry, "tmp") == 0)
        continue;
      child = g_build_filename (dir_path, entry, NULL);
      if (g_stat (child, &st) != 0 || !S_ISDIR (st.st_mode))
        continue;

      if (prefix != NULL)
        name = g_strdup_printf ("%s%c%s", prefix, sep, entry);
      else
        name = g_strdup (entry);

      if (_mailsync_maildir_is_maildir (child))
        g_ptr_array_add (out, _mailsync_maildir_folder_new (self, name));

      /* offlineimap recurses only for the nested layout. */
      if (sep == '/')
        {
          GStatBuf lst;

          /* Do not follow symlinked directories downwards: loops. */
          if (g_lstat (child, &lst) == 0 && S_ISLNK (lst.st_mode))
            continue;
          if (!_mailsync_maildir_scan_folders (self, child, name, depth + 1, out, cancellable, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* Create @path and missing parents (mode 0700), then fsync the parent of
 * every directory created so the new entries survive a crash. */
gboolean
_mailsync_maildir_make_dirs_durable (const char    *path,
                                     gboolean       do_fsync,
                                     GError       **error)
{
  g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cursor = g_strdup (path);

  /* Walk up to the first existing ancestor. */
  while (!g_file_test (cursor, G_FILE_TEST_EXISTS))
    {
      char *parent = g_path_get_dirname (cursor);

      g_ptr_array_add (created, g_steal_pointer (&cursor));
      if (g_strcmp0 (parent, created->pdata[created->len - 1]) == 0)
        {
          g_free (parent);
          break;
        }
      cursor = parent;
    }

  for (guint i = created->len; i > 0; i--)
    {
      const char *dir = created->pdata[i - 1];

      if (g_mkdir (dir, 0700) != 0 && errno != EEXIST)
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot create directory", dir);
          return FALSE;
        }
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                   "Cannot create directory %s: a file is in the way", path);
      return FALSE;
    }
  if (do_fsync)
    for (guint i = 0; i < created->len; i++)
      {
        g_autofree char *parent = g_path_get_dirname (created->pdata[i]);

        if (!_mailsync_fsync_dir (parent, error))
          return FALSE;
      }
  return TRUE;
}

/* Removes the regular files directly inside @dir (tmp/ leftovers). */
gboolean
_mailsync_maildir_remove_files_in (const char  *dir,
                                   GError     **error)
{
  g_autoptr(GPtrArray) entries = _mailsync_maildir_list_dir_sorted (dir, error);

  if (entries == NULL)
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, entries->pdata[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && g_unlink (path) != 0 && errno != ENOENT)
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot remove", path);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
_mailsync_maildir_has_messages (const char  *folder_path,
                                gboolean    *out,
                                GError     **error)
{
  static const char *const subdirs[] = { "new", "cur" };

  *out = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (folder_path, subdirs[i], NULL);
      g_autoptr(GPtrArray) entries = _mailsync_maildir_list_dir_sorted (dir, error);

      if (entries == NULL)
        return FALSE;
      for (guint j = 0; j < entries->len; j++)
        if (((const char *) entries->pdata[j])[0] != '.')
          {
            *out = TRUE;
            return TRUE;
          }
    }
  return TRUE;
}

/* Async vfuncs (blocking code in a worker thread) ----------------------- */

/* The repository's description (mailsync_repository_describe()): the
 * base's keys, and its directory as "root" and "location". */
GVariant *
_mailsync_maildir_repository_describe (MailsyncRepository *repo)
{
  gpointer parent = g_type_class_peek_parent (g_type_class_peek (MAILSYNC_TYPE_MAILDIR_REPOSITORY));
  const char *root = mailsync_maildir_repository_get_root (MAILSYNC_MAILDIR_REPOSITORY (repo));
  GVariantDict dict;

  _mailsync_repository_describe_parent (repo, parent, &dict);
  if (root != NULL)
    {
      g_variant_dict_insert (&dict, "root", "s", root);
      g_variant_dict_insert (&dict, "location", "s", root);
    }
  return g_variant_dict_end (&dict);
}
