/* A Maildir folder's listing (list_messages): the scan of new/ and cur/,
 * files claiming one UID, UID assignment (assign-uids) and finding a
 * message's file again after something renamed it. */
#include "config.h"

#include "mailsync-maildir-folder-private.h"
#include "mailsync-maildir-delivery.h"
#include "mailsync-maildir-keywords.h"
#include "mailsync-maildir-filename.h"
#include "mailsync-error.h"
#include "mailsync-message-info.h"
#include "mailsync-private.h"
#include "mailsync-folder-engine-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>

/* Give up rescanning a folder whose files keep vanishing under us. */
#define MAX_SCAN_ATTEMPTS 5

/* Scanning ----------------------------------------------------------------- */

typedef struct
{
  char *rel;                 /* "new/<name>" or "cur/<name>", a GRefString: the index and the
                              * message info share it */
  MailsyncMaildirNameView name; /* of rel + 4, the file's name */
  guint32 uid;               /* 0: new local mail */
  guint64 size;
  gint64 mtime;
  gint64 ctime;
  gboolean message;          /* a non-empty regular file: may be a message */
  gboolean twin;             /* an identical copy of the file holding its UID */
  gboolean statted;          /* size, mtime, ctime and message are the file's */
} Entry;

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_ref_string_release (e->rel);
  g_free (e);
}

/* A name read from new/ or cur/: "new/<name>" or "cur/<name>" made once,
 * as the GRefString its Entry keeps (one allocation a file). */
typedef struct
{
  char *rel;
  unsigned char type;        /* d_type: DT_UNKNOWN when the file system does not say */
} DirName;

#define REL_NAME(rel) ((rel) + 4)   /* the file's name in "new/<name>" */

static int
compare_dir_names (gconstpointer a,
                   gconstpointer b)
{
  return strcmp (((const DirName *) a)->rel, ((const DirName *) b)->rel);
}

static void
dir_name_clear (gpointer data)
{
  g_clear_pointer (&((DirName *) data)->rel, g_ref_string_release);
}

/* @e's flag letters as a string: in @buf when they fit (always, for any
 * name a MUA makes), else a copy in *@heap. */
static const char *
entry_flags (const Entry *e,
             char        *buf,
             gsize        buf_size,
             char       **heap)
{
  const char *letters = REL_NAME (e->rel) + e->name.flags_off;

  *heap = NULL;
  if (e->name.flags_len < buf_size)
    {
      memcpy (buf, letters, e->name.flags_len);
      buf[e->name.flags_len] = '\0';
      return buf;
    }
  *heap = g_strndup (letters, e->name.flags_len);
  return *heap;
}

/* Whether two regular files of the folder hold the same bytes. Anything
 * that cannot be read counts as different: the file is then uploaded as
 * new mail, never dropped. */
static gboolean
same_content (MailsyncMaildirFolder *self,
              const Entry           *a,
              const Entry           *b)
{
  g_autofree char *path_a = g_build_filename (self->path, a->rel, NULL);
  g_autofree char *path_b = g_build_filename (self->path, b->rel, NULL);
  g_autofree char *buf_a = NULL;
  g_autofree char *buf_b = NULL;
  int fd_a, fd_b;
  gboolean same = FALSE;

  if (!a->message || !b->message || a->size != b->size)
    return FALSE;
  fd_a = open (path_a, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  fd_b = open (path_b, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd_a >= 0 && fd_b >= 0)
    {
      buf_a = g_malloc (65536);
      buf_b = g_malloc (65536);
      for (;;)
        {
          ssize_t n = read (fd_a, buf_a, 65536);
          ssize_t m = n > 0 ? read (fd_b, buf_b, (size_t) n) : read (fd_b, buf_b, 1);

          if (n < 0 || m < 0)
            break;
          if (n == 0)
            {
              same = m == 0;
              break;
            }
          /* Regular files return what is asked unless at the end. */
          if (m != n || memcmp (buf_a, buf_b, (size_t) n) != 0)
            break;
        }
    }
  if (fd_a >= 0)
    close (fd_a);
  if (fd_b >= 0)
    close (fd_b);
  return same;
}

/* Reads @e's size, times and kind from its file (an entry the scan took
 * by name alone). FALSE with *vanished set when the file is gone. */
static gboolean
stat_entry (MailsyncMaildirFolder  *self,
            Entry                  *e,
            gboolean               *vanished,
            GError                **error)
{
  g_autofree char *path = NULL;
  struct stat st;

  if (e->statted)
    return TRUE;
  path = g_build_filename (self->path, e->rel, NULL);
  if (lstat (path, &st) != 0)
    {
      int saved = errno;

      if (saved == ENOENT)
        *vanished = TRUE;
      else
        _mailsync_set_error_from_errno (error, saved, "Cannot stat", path);
      return FALSE;
    }
  e->size = (guint64) st.st_size;
  e->mtime = (gint64) st.st_mtime;
  e->ctime = (gint64) st.st_ctime;
  e->message = S_ISREG (st.st_mode) && st.st_size > 0;
  e->statted = TRUE;
  return TRUE;
}

/* Which of two files claiming one UID keeps it: a readable message before
 * anything else, then the older (a copy made with cp has a new mtime, and
 * one made with cp -p a new ctime), then the first listed. */
static gboolean
keeps_uid_before (const Entry *a,
                  const Entry *b)
{
  if (a->message != b->message)
    return a->message;
  if (a->mtime != b->mtime)
    return a->mtime < b->mtime;
  return a->ctime < b->ctime;
}

/* Two files claiming one UID (a file copied inside the folder keeps its
 * U= and FMD5): one keeps the UID. A copy with the same content is that
 * message again: it is left alone on disk but not listed, so it is never
 * uploaded (the server has it) and never taken for anything; a copy with
 * other content is new local mail, uploaded once and then named with its
 * own UID. Dropping either would lose a message, uploading an identical
 * one would duplicate it on the server. doc/design.md. */
static gboolean
resolve_duplicate_uids (MailsyncMaildirFolder  *self,
                        GPtrArray              *entries,
                        GPtrArray              *warnings,
                        gboolean               *vanished,
                        GError                **error)
{
  g_autoptr(GHashTable) count = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GHashTable) keepers = NULL;
  gboolean twice = FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = entries->pdata[i];
      guint n;

      if (e->uid == 0)
        continue;
      n = GPOINTER_TO_UINT (g_hash_table_lookup (count, GUINT_TO_POINTER (e->uid))) + 1;
      g_hash_table_insert (count, GUINT_TO_POINTER (e->uid), GUINT_TO_POINTER (n));
      twice = twice || n > 1;
    }
  if (!twice)
    return TRUE;  /* the usual case: no UID twice, and no stat() */
  /* The files of a UID held twice are stat()ed (which one keeps it reads
   * their kind and times; the one that does not may become new mail). */
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = entries->pdata[i];

      if (e->uid != 0 && GPOINTER_TO_UINT (g_hash_table_lookup (count, GUINT_TO_POINTER (e->uid))) > 1 &&
          !stat_entry (self, e, vanished, error))
        return FALSE;
    }
  keepers = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = entries->pdata[i];
      Entry *k;

      if (e->uid == 0)
        continue;
      k = g_hash_table_lookup (keepers, GUINT_TO_POINTER (e->uid));
      if (k == NULL || keeps_uid_before (e, k))
        g_hash_table_insert (keepers, GUINT_TO_POINTER (e->uid), e);
    }
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = entries->pdata[i];
      Entry *k;
      guint32 uid = e->uid;

      if (uid == 0)
        continue;
      k = g_hash_table_lookup (keepers, GUINT_TO_POINTER (uid));
      if (k == e)
        continue;
      if (same_content (self, k, e))
        {
          e->twin = TRUE;
          if (warnings != NULL)
            g_ptr_array_add (warnings,
                             g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                                          "%s/%s is an identical copy of %s/%s (both claim UID %u); "
                                          "it is not uploaded again, remove it to silence this",
                                          self->path, e->rel, self->path, k->rel, uid));
        }
      else
        {
          e->uid = 0;
          if (warnings != NULL)
            g_ptr_array_add (warnings,
                             g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                                          "%s/%s claims UID %u of %s/%s but its content differs; "
                                          "it is taken as a new local message",
                                          self->path, e->rel, uid, self->path, k->rel));
        }
    }
  return TRUE;
}

/* One pass over new/ and cur/. Returns FALSE with *vanished set when a file
 * disappeared between readdir() and stat(): it was renamed or deleted
 * concurrently, and a listing missing it would read as a deletion.
 *
 * A file is read by its name alone (readdir(), no stat(): issue 13 item
 * 2) when the name carries a UID of this folder and the directory says it
 * is a regular file: its size and date are read only when something asks
 * for them (maxage, maxsize, an upload, a move: the message info reads
 * them then, see _mailsync_message_info_new_file). Everything else is
 * stat()ed here, relative to the open directory and without following a
 * symlink: new local mail (it is given a UID only when it is a non-empty
 * regular file, and uploaded with its size and date), an entry of another
 * kind or of a file system that does not say (d_type DT_UNKNOWN), and the
 * files of a UID held twice (resolve_duplicate_uids). Entries that cannot
 * be a message (a symlink, a directory, a FIFO, an empty file) are listed
 * all the same: one that was synced must not read as a deletion, and a
 * new one is then planned for upload, where open_rel() refuses it with
 * an error naming it (MAILSYNC_ERROR_SKIPPED) that costs only that
 * file. */
static GPtrArray *
scan_once (MailsyncMaildirFolder  *self,
           const char             *md5,
           gboolean               *vanished,
           GPtrArray              *warnings,
           GCancellable           *cancellable,
           GError                **error)
{
  static const char *const subdirs[] = { "new", "cur" };
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (entry_free);

  *vanished = FALSE;
  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *dir_path = g_build_filename (self->path, subdirs[s], NULL);
      g_autoptr(GArray) names = g_array_new (FALSE, FALSE, sizeof (DirName));
      struct dirent *de;
      DIR *dir;
      int dfd;

      g_array_set_clear_func (names, dir_name_clear);
      dir = opendir (dir_path);
      if (dir == NULL)
        {
          int saved = errno;

          /* A folder without new/ or cur/ is broken, not empty. The
           * domain is g_dir_open()'s, as callers may match it. */
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "Cannot scan Maildir folder: Error opening directory %s: %s",
                       dir_path, g_strerror (saved));
          return NULL;
        }
      errno = 0;
      while ((de = readdir (dir)) != NULL)
        {
          char rel[4 + sizeof de->d_name];
          DirName dn;
          gsize len;

          if (de->d_name[0] == '.')
            continue;
          len = strnlen (de->d_name, sizeof de->d_name - 1);
          memcpy (rel, subdirs[s], 3);
          rel[3] = '/';
          memcpy (rel + 4, de->d_name, len);
          dn.rel = g_ref_string_new_len (rel, (gssize) (4 + len));
          dn.type = de->d_type;
          g_array_append_val (names, dn);
          errno = 0;
        }
      if (errno != 0)
        {
          /* A short read of the directory would drop messages from the
           * listing, and a missing message reads as a deletion. */
          _mailsync_set_error_from_errno (error, errno, "Cannot scan Maildir folder", dir_path);
          closedir (dir);
          return NULL;
        }
      g_array_sort (names, compare_dir_names);
      dfd = dirfd (dir);

      for (guint i = 0; i < names->len; i++)
        {
          DirName *dn = &g_array_index (names, DirName, i);
          const char *file = REL_NAME (dn->rel);
          struct stat st;
          Entry *e;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            {
              closedir (dir);
              return NULL;
            }
          e = g_new0 (Entry, 1);
          e->rel = g_steal_pointer (&dn->rel);
          _mailsync_maildir_name_view (file, &e->name);
          e->uid = _mailsync_maildir_name_view_uid_for (file, &e->name, md5);
          g_ptr_array_add (entries, e);
          if (e->uid != 0 && dn->type == DT_REG)
            {
              /* by name: a regular file holding a UID (assumed not
               * empty; only the new mail's emptiness matters here) */
              e->message = TRUE;
              if (e->name.size >= 0)
                e->size = (guint64) e->name.size;
              continue;
            }
          if (fstatat (dfd, file, &st, AT_SYMLINK_NOFOLLOW) != 0)
            {
              int saved = errno;

              closedir (dir);
              if (saved == ENOENT)
                {
                  *vanished = TRUE;
                  return NULL;
                }
              {
                g_autofree char *full = g_build_filename (dir_path, file, NULL);

                _mailsync_set_error_from_errno (error, saved, "Cannot stat", full);
              }
              return NULL;
            }
          e->size = (guint64) st.st_size;
          e->mtime = (gint64) st.st_mtime;
          e->ctime = (gint64) st.st_ctime;
          e->message = S_ISREG (st.st_mode) && st.st_size > 0;
          e->statted = TRUE;
        }
      closedir (dir);
    }
  if (!resolve_duplicate_uids (self, entries, warnings, vanished, error))
    return NULL;
  return g_steal_pointer (&entries);
}

/* @warnings (nullable) receives what the listing reports without failing. */
static GPtrArray *
scan (MailsyncMaildirFolder  *self,
      const char             *md5,
      GPtrArray              *warnings,
      GCancellable           *cancellable,
      GError                **error)
{
  for (guint attempt = 0; attempt < MAX_SCAN_ATTEMPTS; attempt++)
    {
      gboolean vanished = FALSE;
      GPtrArray *entries;

      if (warnings != NULL)
        g_ptr_array_set_size (warnings, 0);
      entries = scan_once (self, md5, &vanished, warnings, cancellable, error);
      if (entries != NULL || !vanished)
        return entries;
    }
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
               "Files of Maildir folder %s keep changing during the scan; skipping it",
               self->path);
  return NULL;
}

static void
replace_index (MailsyncMaildirFolder *self,
               GPtrArray             *entries)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->index);
  g_hash_table_remove_all (self->twins);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = entries->pdata[i];
      GPtrArray *twins;

      if (e->uid == 0)
        continue;
      if (!e->twin)
        {
          g_hash_table_insert (self->index, GUINT_TO_POINTER (e->uid), g_ref_string_acquire (e->rel));
          continue;
        }
      twins = g_hash_table_lookup (self->twins, GUINT_TO_POINTER (e->uid));
      if (twins == NULL)
        {
          twins = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (self->twins, GUINT_TO_POINTER (e->uid), twins);
        }
      g_ptr_array_add (twins, g_strdup (e->rel));
    }
  g_mutex_unlock (&self->lock);
}

/* The engine's release_listing (mailsync-folder-engine-private.h): the
 * index (and the twins found with it) served the operations on the last
 * listing, ~110 bytes a message that a folder object kept for the rest of
 * the run (issue 13 item 4: at 100 folders x 10,000 messages most of a
 * resync's 200 MB). Dropping it is always safe: a UID the index does not
 * hold is found by a rescan, which fills it again (locate), and the twins
 * go and come with it, so a deletion still finds a message's identical
 * copies. Fresh tables, not emptied ones: an emptied GHashTable may keep
 * its buckets. */
void
_mailsync_maildir_folder_release_index (MailsyncFolder *folder)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  g_autoptr(GHashTable) index = NULL;
  g_autoptr(GHashTable) twins = NULL;

  g_mutex_lock (&self->lock);
  index = g_steal_pointer (&self->index);
  twins = g_steal_pointer (&self->twins);
  _mailsync_maildir_folder_init_index (self);
  g_mutex_unlock (&self->lock);
}

/* Finds @uid again after its file moved under us (a MUA changed its flags). */
char *
_mailsync_maildir_folder_find_uid (MailsyncMaildirFolder  *self,
                                   const char             *md5,
                                   guint32                 uid,
                                   GCancellable           *cancellable,
                                   GError                **error)
{
  g_autoptr(GPtrArray) entries = scan (self, md5, NULL, cancellable, error);

  if (entries == NULL)
    return NULL;
  replace_index (self, entries);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = entries->pdata[i];

      if (e->uid == uid && !e->twin)
        return g_strdup (e->rel);
    }
  return NULL;
}

/* Finds the current file of @uid: the index, else a rescan. NULL without
 * error when the message is gone. */
char *
_mailsync_maildir_folder_locate (MailsyncMaildirFolder  *self,
                                 const char             *md5,
                                 guint32                 uid,
                                 gboolean                force_rescan,
                                 GCancellable           *cancellable,
                                 GError                **error)
{
  char *rel = force_rescan ? NULL : _mailsync_maildir_folder_index_lookup (self, uid);

  if (rel != NULL)
    return rel;
  return _mailsync_maildir_folder_find_uid (self, md5, uid, cancellable, error);
}

/* UID assignment (assign-uids) --------------------------------------------- */

static gboolean
read_uid_file (const char  *path,
               gboolean    *exists,
               guint32     *uidvalidity,
               guint32     *next_uid,
               GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  char *end;
  guint64 uv, next;

  *exists = FALSE;
  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  uv = g_ascii_strtoull (contents, &end, 10);
  if (end == contents || *end != ' ')
    goto corrupt;
  {
    char *start = end + 1;

    next = g_ascii_strtoull (start, &end, 10);
    if (end == start || (*end != '\n' && *end != '\0') || (*end == '\n' && end[1] != '\0'))
      goto corrupt;
  }
  if (uv == 0 || uv > G_MAXUINT32 || next == 0 || next > (guint64) G_MAXUINT32 + 1)
    goto corrupt;
  *exists = TRUE;
  *uidvalidity = (guint32) uv;
  *next_uid = (guint32) MIN (next, G_MAXUINT32);
  return TRUE;

corrupt:
  /* Never start over silently: new UIDs could collide with old ones. */
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
               "Corrupt UID state file %s", path);
  return FALSE;
}

static gboolean
write_uid_file (const char  *path,
                guint32      uidvalidity,
                guint64      next_uid,
                GError     **error)
{
  g_autofree char *text = g_strdup_printf ("%u %" G_GUINT64_FORMAT "\n", uidvalidity, next_uid);

  return _mailsync_write_file_atomic (path, text, strlen (text), error);
}

static guint32
max_uid_of (GPtrArray *entries)
{
  guint32 max = 0;

  for (guint i = 0; i < entries->len; i++)
    max = MAX (max, ((Entry *) entries->pdata[i])->uid);
  return max;
}

/* Reserves @n new UIDs, never below @min_next, and makes the reservation
 * durable before anyone uses them: a crash afterwards leaves a gap, never a
 * UID given twice. @n 0 only loads (creating the state file if missing). */
gboolean
_mailsync_maildir_folder_allocate_uids (MailsyncMaildirFolder  *self,
                                        guint                   n,
                                        guint32                 min_next,
                                        guint32                *first,
                                        GError                **error)
{
  GMutex *lock = _mailsync_maildir_repository_get_uid_lock (_mailsync_maildir_folder_get_repo (self));
  g_autofree char *file = g_build_filename (self->path, MAILSYNC_MAILDIR_UID_FILE, NULL);
  gboolean exists = FALSE;
  guint32 uidvalidity = 0;
  guint32 next = 1;
  guint32 start;
  gboolean ok = FALSE;

  g_mutex_lock (lock);
  if (!read_uid_file (file, &exists, &uidvalidity, &next, error))
    goto out;
  if (!exists)
    uidvalidity = (guint32) MAX (time (NULL), 1);
  start = MAX (next, MAX (min_next, 1));
  if ((guint64) start + n > (guint64) G_MAXUINT32 + 1)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                   "Maildir folder %s has run out of UIDs", self->path);
      goto out;
    }
  if (!exists || n > 0 || start != next)
    if (!write_uid_file (file, uidvalidity, (guint64) start + n, error))
      goto out;
  if (first)
    *first = start;
  g_mutex_lock (&self->lock);
  self->uidvalidity = uidvalidity;
  g_mutex_unlock (&self->lock);
  ok = TRUE;

out:
  g_mutex_unlock (lock);
  return ok;
}

/* @warnings receives a file that could not be given a UID (the listing
 * goes on without it). */
static gboolean
assign_missing_uids (MailsyncMaildirFolder  *self,
                     const char             *md5,
                     GPtrArray              *entries,
                     GPtrArray              *warnings,
                     GError                **error)
{
  guint missing = 0;
  guint32 next = 0;
  gboolean renamed = FALSE;

  /* What cannot be a message (a symlink, an empty file) gets no UID: it
   * stays a file the sync reports and skips. */
  for (guint i = 0; i < entries->len; i++)
    if (((Entry *) entries->pdata[i])->uid == 0 && ((Entry *) entries->pdata[i])->message)
      missing++;

  if (!_mailsync_maildir_folder_allocate_uids (self, missing, max_uid_of (entries) + 1, &next, error))
    return FALSE;

  for (guint i = 0; i < entries->len && missing > 0; i++)
    {
      Entry *e = entries->pdata[i];
      g_autofree char *new_name = NULL;
      g_autofree char *new_rel = NULL;
      g_autoptr(GError) local_error = NULL;
      MailsyncMaildirName name;
      char sub[4];

      if (e->uid != 0 || !e->message)
        continue;
      memcpy (sub, e->rel, 3);
      sub[3] = '\0';
      _mailsync_maildir_name_parse (REL_NAME (e->rel), &name);
      new_name = _mailsync_maildir_name_with_uid (&name, next, md5, _mailsync_maildir_folder_info_sep (self));
      _mailsync_maildir_name_clear (&name);
      new_rel = g_strdup_printf ("%s/%s", sub, new_name);
      if (!_mailsync_maildir_folder_rename_rel (self, e->rel, new_rel, &local_error))
        {
          /* The reserved UID is simply skipped; the file stays new mail
           * and gets another UID next time. The library does not print:
           * the sync emits the listing's warnings, one line each. */
          g_ptr_array_add (warnings, g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                                                  "Cannot give a UID to %s/%s: %s", self->path, e->rel,
                                                  local_error->message));
          next++;
          continue;
        }
      g_ref_string_release (e->rel);
      e->rel = g_ref_string_new (new_rel);
      _mailsync_maildir_name_view (REL_NAME (e->rel), &e->name);
      e->uid = next++;
      renamed = TRUE;
    }

  /* The UIDs are about to be handed out: make the new names durable now
   * rather than at the next flush, so that a crash cannot bring back the
   * old names (which would get fresh UIDs, duplicating the messages on the
   * other side). Once per listing, not per file. */
  if (renamed && mailsync_maildir_repository_get_fsync (_mailsync_maildir_folder_get_repo (self)))
    {
      static const char *const subdirs[] = { "new", "cur" };

      for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
        {
          g_autofree char *dir = g_build_filename (self->path, subdirs[i], NULL);

          if (!_mailsync_fsync_dir (dir, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* list_messages -------------------------------------------------------------- */

/* @dir: the folder's path as a GRefString, for an entry read by name */
static MailsyncMessageInfo *
entry_to_info (MailsyncMaildirFolder *self,
               Entry                 *e,
               const char            *dir)
{
  static const char *const none[] = { NULL };
  g_auto(GStrv) keywords = NULL;
  g_autofree char *heap = NULL;
  char buf[64];
  const char *letters = entry_flags (e, buf, sizeof buf, &heap);
  const char *const *list = none;

  /* keyword letters are the lower-case ones: most names have none */
  if (_mailsync_letters_have_keywords (letters))
    {
      _mailsync_maildir_folder_flags_to_keywords (self, letters, &keywords);
      list = (const char *const *) keywords;
    }
  if (!e->statted)
    return _mailsync_message_info_new_file (e->uid, e->rel, mailsync_flags_from_maildir (letters),
                                            list, dir, e->name.size >= 0, e->size);
  return mailsync_message_info_new (e->uid, e->rel, mailsync_flags_from_maildir (letters), list,
                                    e->size, e->mtime);
}

/* A file read by its name alone (not stat()ed: its UID is its own, see
 * resolve_duplicate_uids) whose name has no keyword letter, as the
 * engine's row (list_changes_only); FALSE for any other. */
static gboolean
entry_to_row (Entry *e, guint pos, _MailsyncFolderListed *row)
{
  g_autofree char *heap = NULL;
  char buf[64];
  const char *letters;

  if (e->statted || e->uid == 0)
    return FALSE;
  letters = entry_flags (e, buf, sizeof buf, &heap);
  if (_mailsync_letters_have_keywords (letters))
    return FALSE;
  *row = (_MailsyncFolderListed) { e->uid, mailsync_flags_from_maildir (letters), g_ref_string_acquire (e->rel),
                                   e->name.size >= 0 ? e->size : 0, e->name.size >= 0, pos };
  return TRUE;
}

typedef struct
{
  char *md5;
  gboolean rows;        /* list_changes_only was asked for this listing */
} ListData;

static void
list_data_free (ListData *data)
{
  g_free (data->md5);
  g_free (data);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  ListData *data = task_data;
  const char *md5 = data->md5;
  g_autoptr(GArray) rows = NULL;
  MailsyncMaildirRepository *repo = _mailsync_maildir_folder_get_repo (self);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  GError *error = NULL;
  char *dir;

  if (!mailsync_repository_get_readonly (MAILSYNC_REPOSITORY (repo)))
    _mailsync_maildir_folder_clean_tmp (self, cancellable);
  entries = scan (self, md5, warnings, cancellable, &error);
  if (entries == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (mailsync_maildir_repository_get_assign_uids (repo))
    {
      gboolean ok;

      if (mailsync_repository_get_readonly (MAILSYNC_REPOSITORY (repo)))
        {
          /* Read-only: report what is there, touch nothing. */
          g_autofree char *file = g_build_filename (self->path, MAILSYNC_MAILDIR_UID_FILE, NULL);
          gboolean exists = FALSE;
          guint32 uv = 0, next = 0;

          ok = read_uid_file (file, &exists, &uv, &next, &error);
          g_mutex_lock (&self->lock);
          self->uidvalidity = uv;
          g_mutex_unlock (&self->lock);
        }
      else
        ok = assign_missing_uids (self, md5, entries, warnings, &error);
      if (!ok)
        {
          _mailsync_folder_set_listing_warnings (MAILSYNC_FOLDER (self), g_steal_pointer (&warnings));
          g_task_return_error (task, error);
          return;
        }
    }
  else
    {
      g_mutex_lock (&self->lock);
      self->uidvalidity = MAILSYNC_MAILDIR_DEFAULT_UIDVALIDITY;
      g_mutex_unlock (&self->lock);
    }
  /* After the UIDs are given: that can warn too. */
  _mailsync_folder_set_listing_warnings (MAILSYNC_FOLDER (self), g_steal_pointer (&warnings));

  replace_index (self, entries);

  dir = g_ref_string_new (self->path);
  infos = g_ptr_array_new_full (entries->len, g_object_unref);
  if (data->rows)
    rows = _mailsync_folder_listed_new (entries->len);
  for (guint i = 0, pos = 0; i < entries->len; i++)
    {
      Entry *e = entries->pdata[i];
      _MailsyncFolderListed row;

      if (e->twin)
        continue;
      if (rows != NULL && entry_to_row (e, pos, &row))
        g_array_append_val (rows, row);
      else
        g_ptr_array_add (infos, entry_to_info (self, e, dir));
      pos++;
    }
  g_ref_string_release (dir);
  /* this listing's rows go with its result (review 2 Low 1, session 16) */
  if (rows != NULL)
    _mailsync_folder_listing_give_rows (task, g_steal_pointer (&rows));
  g_task_return_pointer (task, g_steal_pointer (&infos), (GDestroyNotify) g_ptr_array_unref);
}

void
_mailsync_maildir_folder_list_messages_async (MailsyncFolder      *folder,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  ListData *data = g_new0 (ListData, 1);

  g_task_set_source_tag (task, _mailsync_maildir_folder_list_messages_async);
  data->md5 = _mailsync_maildir_folder_dup_md5 (self);
  g_mutex_lock (&self->lock);
  data->rows = self->rows_asked;
  self->rows_asked = FALSE;
  g_mutex_unlock (&self->lock);
  g_task_set_task_data (task, data, (GDestroyNotify) list_data_free);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
_mailsync_maildir_folder_list_messages_finish (MailsyncFolder  *folder,
                                               GAsyncResult    *result,
                                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The engine's list_changes_only (mailsync-folder-engine-private.h): the
 * next listing gives its files read by name as rows (issue 13 items 2
 * and 4: no MailsyncMessageInfo per unchanged file). Only a plain Maildir
 * folder's: a subclass may list otherwise. */
gboolean
_mailsync_maildir_folder_list_rows (MailsyncFolder *folder)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);

  if (G_OBJECT_TYPE (folder) != MAILSYNC_TYPE_MAILDIR_FOLDER)
    return FALSE;
  g_mutex_lock (&self->lock);
  self->rows_asked = TRUE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}
