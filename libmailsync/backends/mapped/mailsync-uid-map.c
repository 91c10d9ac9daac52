#include "config.h"

#include "mailsync-uid-map.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

struct _MailsyncUidMap
{
  char *path;
  GHashTable *l2r;
  GHashTable *r2l;
  GHashTable *pending; /* remote uid -> digest */
  gboolean dirty;
};

void
mailsync_uid_map_free (MailsyncUidMap *map)
{
  if (map == NULL)
    return;
  g_free (map->path);
  g_hash_table_unref (map->l2r);
  g_hash_table_unref (map->r2l);
  g_hash_table_unref (map->pending);
  g_free (map);
}

static gboolean
parse_uid (const char *text, guint32 *out)
{
  char *end = NULL;
  guint64 v;

  if (!g_ascii_isdigit (*text))
    return FALSE;
  v = g_ascii_strtoull (text, &end, 10);
  if (*end != '\0' || v == 0 || v > G_MAXUINT32)
    return FALSE;
  *out = (guint32) v;
  return TRUE;
}

MailsyncUidMap *
mailsync_uid_map_load (const char *path, GError **error)
{
  g_autoptr(MailsyncUidMap) map = g_new0 (MailsyncUidMap, 1);
  g_autofree char *contents = NULL;
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autoptr(GError) local_error = NULL;
  gsize length;

  map->path = g_strdup (path);
  map->l2r = g_hash_table_new (NULL, NULL);
  map->r2l = g_hash_table_new (NULL, NULL);
  map->pending = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  /* A leftover .tmp is a write that never completed: the file itself is
   * still the last complete map (renames are atomic). */
  g_unlink (tmp);
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&map);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (length > 0 && contents[length - 1] != '\n')
    {
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
                   "UID map %s is truncated", path);
      return NULL;
    }
  {
    g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
    for (guint i = 0; lines[i] && *lines[i]; i++)
      {
        g_auto(GStrv) f = g_strsplit (lines[i][0] == '?' ? lines[i] + 1 : lines[i], ":", 2);
        guint32 a, b;

        if (g_strv_length (f) != 2)
          goto corrupt;
        if (lines[i][0] == '?')
          {
            if (!parse_uid (f[0], &a))
              goto corrupt;
            g_hash_table_replace (map->pending, GUINT_TO_POINTER (a), g_strdup (f[1]));
            continue;
          }
        if (!parse_uid (f[0], &a) || !parse_uid (f[1], &b))
          goto corrupt;
        mailsync_uid_map_set (map, a, b);
        continue;
      corrupt:
        g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
                     "UID map %s:%u: malformed line", path, i + 1);
        return NULL;
      }
  }
  map->dirty = FALSE;
  return g_steal_pointer (&map);
}

guint32
mailsync_uid_map_to_remote (MailsyncUidMap *map, guint32 local)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (map->l2r, GUINT_TO_POINTER (local)));
}

guint32
mailsync_uid_map_to_local (MailsyncUidMap *map, guint32 remote)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (map->r2l, GUINT_TO_POINTER (remote)));
}

void
mailsync_uid_map_set (MailsyncUidMap *map, guint32 local, guint32 remote)
{
  guint32 old_remote = mailsync_uid_map_to_remote (map, local);
  guint32 old_local = mailsync_uid_map_to_local (map, remote);

  if (old_remote)
    g_hash_table_remove (map->r2l, GUINT_TO_POINTER (old_remote));
  if (old_local)
    g_hash_table_remove (map->l2r, GUINT_TO_POINTER (old_local));
  g_hash_table_insert (map->l2r, GUINT_TO_POINTER (local), GUINT_TO_POINTER (remote));
  g_hash_table_insert (map->r2l, GUINT_TO_POINTER (remote), GUINT_TO_POINTER (local));
  g_hash_table_remove (map->pending, GUINT_TO_POINTER (remote));
  map->dirty = TRUE;
}

void
mailsync_uid_map_remove_local (MailsyncUidMap *map, guint32 local)
{
  guint32 remote = mailsync_uid_map_to_remote (map, local);

  if (!remote)
    return;
  g_hash_table_remove (map->l2r, GUINT_TO_POINTER (local));
  g_hash_table_remove (map->r2l, GUINT_TO_POINTER (remote));
  map->dirty = TRUE;
}

void
mailsync_uid_map_add_pending (MailsyncUidMap *map, guint32 remote, const char *digest)
{
  g_hash_table_replace (map->pending, GUINT_TO_POINTER (remote), g_strdup (digest));
  map->dirty = TRUE;
}

void
mailsync_uid_map_remove_pending (MailsyncUidMap *map, guint32 remote)
{
  if (g_hash_table_remove (map->pending, GUINT_TO_POINTER (remote)))
    map->dirty = TRUE;
}

GHashTable *
mailsync_uid_map_get_pending (MailsyncUidMap *map)
{
  return map->pending;
}

void
mailsync_uid_map_clear_pending (MailsyncUidMap *map)
{
  if (g_hash_table_size (map->pending) == 0)
    return;
  g_hash_table_remove_all (map->pending);
  map->dirty = TRUE;
}

gboolean
mailsync_uid_map_prune (MailsyncUidMap *map, GHashTable *present)
{
  g_autoptr(GList) locals = g_hash_table_get_keys (map->l2r);
  gboolean changed = FALSE;

  for (GList *l = locals; l; l = l->next)
    if (!g_hash_table_contains (present, l->data))
      {
        mailsync_uid_map_remove_local (map, GPOINTER_TO_UINT (l->data));
        changed = TRUE;
      }
  return changed;
}

static gint
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = GPOINTER_TO_UINT (a), y = GPOINTER_TO_UINT (b);

  return x < y ? -1 : x > y;
}

gboolean
mailsync_uid_map_save (MailsyncUidMap *map, GError **error)
{
  g_autoptr(GList) locals = NULL;
  g_autoptr(GList) pending = NULL;
  g_autoptr(GString) out = NULL;
  g_autofree char *dir = NULL;

  if (!map->dirty)
    return TRUE;
  out = g_string_new (NULL);
  locals = g_list_sort (g_hash_table_get_keys (map->l2r), compare_uint);
  for (GList *l = locals; l; l = l->next)
    g_string_append_printf (out, "%u:%u\n", GPOINTER_TO_UINT (l->data),
                            mailsync_uid_map_to_remote (map, GPOINTER_TO_UINT (l->data)));
  pending = g_list_sort (g_hash_table_get_keys (map->pending), compare_uint);
  for (GList *l = pending; l; l = l->next)
    g_string_append_printf (out, "?%u:%s\n", GPOINTER_TO_UINT (l->data),
                            (const char *) g_hash_table_lookup (map->pending, l->data));
  dir = g_path_get_dirname (map->path);
  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot create", dir);
      return FALSE;
    }
  if (!_mailsync_write_file_atomic (map->path, out->str, out->len, error))
    return FALSE;
  map->dirty = FALSE;
  return TRUE;
}
