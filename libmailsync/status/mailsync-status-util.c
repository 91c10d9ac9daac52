/* Helpers shared by the status stores. */
#include "config.h"

#include "mailsync-status-util.h"
#include "mailsync-private.h"

#include <errno.h>
#include <glib/gstdio.h>

gboolean
_mailsync_status_ensure_dir (const char  *directory,
                             GError     **error)
{
  g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = g_strdup (directory);
  guint i;

  if (g_file_test (directory, G_FILE_TEST_IS_DIR))
    return TRUE;

  /* Remember which ancestors are missing: each of their parents gained an
   * entry and needs an fsync. */
  while (!g_file_test (dir, G_FILE_TEST_EXISTS))
    {
      char *parent = g_path_get_dirname (dir);

      g_ptr_array_add (created, g_steal_pointer (&dir));
      dir = parent;
      if (g_strcmp0 (dir, ((char *) created->pdata[created->len - 1])) == 0)
        break;                  /* "/" or "." */
    }

  if (g_mkdir_with_parents (directory, 0700) < 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot create directory", directory);
      return FALSE;
    }
  for (i = 0; i < created->len; i++)
    {
      g_autofree char *parent = g_path_get_dirname (created->pdata[i]);

      if (!_mailsync_fsync_dir (parent, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
_mailsync_status_unlink (const char  *path,
                         GError     **error)
{
  if (g_unlink (path) < 0 && errno != ENOENT)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot remove", path);
      return FALSE;
    }
  return TRUE;
}
