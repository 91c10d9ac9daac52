/* What the account's folder pass does for two repository settings, read
 * as GObject properties of whatever backend has them, so that the engine
 * names no backend (issue 14 item 3): "restore-atime" on the local
 * repository (MailsyncMaildirRepository's: the atimes of its folders'
 * directories saved and put back) and "decode-folder-names" on the remote
 * one (MailsyncImapRepository's: the wire name of a folder to create).
 * MailsyncAccount:remove-deleted-folders is read by
 * mailsync-sync-folders.c itself. */

#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

/* The boolean property @name of @repository; FALSE for a repository
 * without one (another backend). */
static gboolean
boolean_setting (MailsyncRepository *repository, const char *name)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (repository), name);
  gboolean value = FALSE;

  if (pspec == NULL || pspec->value_type != G_TYPE_BOOLEAN || !(pspec->flags & G_PARAM_READABLE))
    return FALSE;
  g_object_get (repository, name, &value, NULL);
  return value;
}

/* decodefoldernames: the engine creates a folder on @repository from the
 * other side's UTF-8 name under its modified UTF-7 name. */
gboolean
_mailsync_sync_decodes_names (MailsyncRepository *repository)
{
  return boolean_setting (repository, "decode-folder-names");
}

typedef struct
{
  char           *dir;
  struct timespec atime;
} SavedAtime;

static void
saved_atime_clear (gpointer data)
{
  g_free (((SavedAtime *) data)->dir);
}

/* The access times of each folder's new/ and cur/, taken when the folders
 * are listed (MaildirRepository._append_folder_atimes): the move
 * pre-pass and the unchanged check read the directories before a
 * folder's own sync. */
GArray *
_mailsync_sync_save_atimes (MailsyncRepository *local,
                            GPtrArray          *folders)
{
  static const char *const subdirs[] = { "new", "cur" };
  GArray *saved;

  if (!boolean_setting (local, "restore-atime"))
    return NULL;
  saved = g_array_new (FALSE, TRUE, sizeof (SavedAtime));
  g_array_set_clear_func (saved, saved_atime_clear);
  for (guint f = 0; f < folders->len; f++)
    {
      /* a folder kept as files (Maildir): its cur/, new/ */
      const char *directory = _mailsync_folder_get_directory (folders->pdata[f]);

      if (directory == NULL)
        continue;
      for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
        {
          SavedAtime one = { NULL, { 0, 0 } };
          struct stat st;

          one.dir = g_build_filename (directory, subdirs[i], NULL);
          /* a folder not created yet has no atime to keep */
          if (stat (one.dir, &st) != 0)
            {
              g_free (one.dir);
              continue;
            }
          one.atime = st.st_atim;
          g_array_append_val (saved, one);
        }
    }
  return saved;
}

/* MaildirRepository.restore_atime: the saved atimes back, each mtime left
 * as the sync made it. Done after a failed sync too: the sync's own reads
 * are what must not show as a visit. A failure is only a debug line, as
 * the mail itself is fine. */
void
_mailsync_sync_restore_atimes (GArray *saved)
{
  for (guint i = 0; saved != NULL && i < saved->len; i++)
    {
      SavedAtime *one = &g_array_index (saved, SavedAtime, i);
      struct timespec times[2] = { one->atime, { 0, UTIME_OMIT } };

      if (utimensat (AT_FDCWD, one->dir, times, 0) != 0)
        g_debug ("restoreatime: %s: %s", one->dir, g_strerror (errno));
    }
}
