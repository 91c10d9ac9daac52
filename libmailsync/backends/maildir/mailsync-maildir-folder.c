#include "config.h"

#include "mailsync-maildir-folder.h"
#include "mailsync-maildir-repository.h"
#include "mailsync-maildir-private.h"
#include "mailsync-maildir-filename.h"
#include "mailsync-maildir-delivery.h"
#include "mailsync-maildir-keywords.h"
#include "mailsync-error.h"
#include "mailsync-message-info.h"
#include "mailsync-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>

/**
 * MailsyncMaildirFolder:
 *
 * One Maildir folder (a directory with `cur/`, `new/` and `tmp/`), with
 * offlineimap's file names: a message's UID is the `U=` field of its name,
 * trusted only when the name's `FMD5=` is the MD5 of this folder's visible
 * name. Any other file is new local mail, listed with UID 0 and its relative
 * path as key.
 *
 * Operations run in worker threads and may overlap: an index from UID to the
 * current file name, guarded by a mutex, lets flag changes and deletions find
 * files, and a rescan finds them again when something else renamed them.
 *
 * Since: 0.1
 */

struct _MailsyncMaildirFolder
{
  MailsyncFolder parent_instance;

  char *path;

  GMutex lock;          /* guards the fields below */
  char *md5;            /* FMD5 of the visible name, computed in the caller's thread */
  GHashTable *index;    /* uid -> "cur/<name>" or "new/<name>" */
  GHashTable *twins;    /* uid -> GPtrArray of rels: identical copies, not listed */
  gboolean dirty_new;   /* entries changed since the last flush */
  gboolean dirty_cur;
  guint32 uidvalidity;  /* as seen by the last listing (assign-uids) */
};

G_DEFINE_FINAL_TYPE (MailsyncMaildirFolder, mailsync_maildir_folder, MAILSYNC_TYPE_FOLDER)

/* Give up rescanning a folder whose files keep vanishing under us. */
#define MAX_SCAN_ATTEMPTS 5
/* Give up finding a free name (they embed time, pid and a sequence). */
#define MAX_NAME_ATTEMPTS 16
/* The Maildir rule for leftovers of interrupted deliveries in tmp/. */
#define TMP_MAX_AGE (36 * 60 * 60)

static MailsyncMaildirRepository *
get_repo (MailsyncMaildirFolder *self)
{
  return MAILSYNC_MAILDIR_REPOSITORY (mailsync_folder_get_repository (MAILSYNC_FOLDER (self)));
}

static char
info_sep (MailsyncMaildirFolder *self)
{
  return mailsync_maildir_repository_get_windows_compatible (get_repo (self)) ? '!' : ':';
}

/* The md5 is computed from the visible name in the calling thread: the name
 * translation may be a user callback (a language binding) that should not
 * run in a worker thread. */
static char *
dup_md5 (MailsyncMaildirFolder *self)
{
  char *md5;

  g_mutex_lock (&self->lock);
  md5 = g_strdup (self->md5);
  g_mutex_unlock (&self->lock);
  if (md5 == NULL)
    {
      g_autofree char *visible = mailsync_folder_get_visible_name (MAILSYNC_FOLDER (self));

      md5 = _mailsync_maildir_folder_md5 (visible);
      g_mutex_lock (&self->lock);
      if (self->md5 == NULL)
        self->md5 = g_strdup (md5);
      g_mutex_unlock (&self->lock);
    }
  return md5;
}

static void
mark_dirty (MailsyncMaildirFolder *self,
            const char            *rel)
{
  g_mutex_lock (&self->lock);
  if (g_str_has_prefix (rel, "new/"))
    self->dirty_new = TRUE;
  else
    self->dirty_cur = TRUE;
  g_mutex_unlock (&self->lock);
}

static char *
index_lookup (MailsyncMaildirFolder *self,
              guint32                uid)
{
  char *rel;

  g_mutex_lock (&self->lock);
  rel = g_strdup (g_hash_table_lookup (self->index, GUINT_TO_POINTER (uid)));
  g_mutex_unlock (&self->lock);
  return rel;
}

static void
index_set (MailsyncMaildirFolder *self,
           guint32                uid,
           const char            *rel)
{
  if (uid == 0)
    return;
  g_mutex_lock (&self->lock);
  if (rel != NULL)
    g_hash_table_insert (self->index, GUINT_TO_POINTER (uid), g_strdup (rel));
  else
    g_hash_table_remove (self->index, GUINT_TO_POINTER (uid));
  g_mutex_unlock (&self->lock);
}

static gboolean
readonly_error (MailsyncMaildirFolder  *self,
                GError                **error)
{
  if (!mailsync_repository_get_readonly (MAILSYNC_REPOSITORY (get_repo (self))))
    return FALSE;
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY,
               "Maildir folder %s is read-only", self->path);
  return TRUE;
}

/* A key is "new/<name>" or "cur/<name>"; anything else could reach outside
 * the folder. */
static gboolean
check_key (const char  *key,
           GError     **error)
{
  const char *name;

  if (key != NULL && (g_str_has_prefix (key, "new/") || g_str_has_prefix (key, "cur/")))
    {
      name = key + 4;
      if (*name != '\0' && *name != '.' && strchr (name, '/') == NULL)
        return TRUE;
    }
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
               "Invalid Maildir message key \"%s\"", key ? key : "(null)");
  return FALSE;
}

static void
flags_to_keywords_letters (MailsyncMaildirFolder *self,
                           const char            *letters,
                           GStrv                 *keywords_out)
{
  g_autofree char *keywords = NULL;
  gboolean any = FALSE;

  for (const char *p = letters; p && *p; p++)
    any = any || (*p >= 'a' && *p <= 'z');
  if (!any)
    {
      *keywords_out = g_new0 (char *, 1);
      return;
    }
  /* customflag letters, then the folder's dovecot-keywords (issue 10 item 3) */
  keywords = _mailsync_maildir_keywords_letters_to_keywords (get_repo (self), self->path, letters);
  *keywords_out = *keywords != '\0' ? g_strsplit (keywords, " ", -1) : g_new0 (char *, 1);
}

/* Scanning ----------------------------------------------------------------- */

typedef struct
{
  char *rel;                 /* "new/<name>" or "cur/<name>" */
  MailsyncMaildirName name;
  guint32 uid;               /* 0: new local mail */
  guint64 size;
  gint64 mtime;
  gint64 ctime;
  gboolean message;          /* a non-empty regular file: may be a message */
  gboolean twin;             /* an identical copy of the file holding its UID */
} Entry;

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_free (e->rel);
  _mailsync_maildir_name_clear (&e->name);
  g_free (e);
}

typedef struct
{
  char *name;
  unsigned char type;        /* d_type: DT_UNKNOWN when the file system does not say */
} DirName;

static int
compare_dir_names (gconstpointer a,
                   gconstpointer b)
{
  return strcmp (((const DirName *) a)->name, ((const DirName *) b)->name);
}

static void
dir_name_clear (gpointer data)
{
  g_free (((DirName *) data)->name);
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
static void
resolve_duplicate_uids (MailsyncMaildirFolder *self,
                        GPtrArray             *entries,
                        GPtrArray             *warnings)
{
  g_autoptr(GHashTable) keepers = g_hash_table_new (g_direct_hash, g_direct_equal);

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
  if (g_hash_table_size (keepers) == entries->len)
    return;  /* the usual case: no UID twice */
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
}

/* One pass over new/ and cur/. Returns FALSE with *vanished set when a file
 * disappeared between readdir() and stat(): it was renamed or deleted
 * concurrently, and a listing missing it would read as a deletion.
 *
 * The listing must carry every file's size and date (maxage, maxsize and
 * uploads read them), so every entry is stat()ed, relative to the open
 * directory (no path walk, no path built per file) and without following
 * a symlink. Entries that cannot be a message (a symlink, a directory, a
 * FIFO, an empty file) are listed all the same: one that was synced must
 * not read as a deletion, and a new one is then planned for upload, where
 * open_rel() refuses it with an error naming it (MAILSYNC_ERROR_SKIPPED)
 * that costs only that file. */
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
          DirName dn;

          if (de->d_name[0] == '.')
            continue;
          dn.name = g_strdup (de->d_name);
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
          const DirName *dn = &g_array_index (names, DirName, i);
          struct stat st;
          Entry *e;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            {
              closedir (dir);
              return NULL;
            }
          if (fstatat (dfd, dn->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            {
              int saved = errno;

              closedir (dir);
              if (saved == ENOENT)
                {
                  *vanished = TRUE;
                  return NULL;
                }
              {
                g_autofree char *full = g_build_filename (dir_path, dn->name, NULL);

                _mailsync_set_error_from_errno (error, saved, "Cannot stat", full);
              }
              return NULL;
            }
          e = g_new0 (Entry, 1);
          e->rel = g_strconcat (subdirs[s], "/", dn->name, NULL);
          _mailsync_maildir_name_parse (dn->name, &e->name);
          e->uid = _mailsync_maildir_name_get_uid_for (&e->name, md5);
          e->size = (guint64) st.st_size;
          e->mtime = (gint64) st.st_mtime;
          e->ctime = (gint64) st.st_ctime;
          e->message = S_ISREG (st.st_mode) && st.st_size > 0;
          g_ptr_array_add (entries, e);
        }
      closedir (dir);
    }
  resolve_duplicate_uids (self, entries, warnings);
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
          g_hash_table_insert (self->index, GUINT_TO_POINTER (e->uid), g_strdup (e->rel));
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

/* Finds @uid again after its file moved under us (a MUA changed its flags). */
static char *
find_uid (MailsyncMaildirFolder  *self,
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
static gboolean
allocate_uids (MailsyncMaildirFolder  *self,
               guint                   n,
               guint32                 min_next,
               guint32                *first,
               GError                **error)
{
  GMutex *lock = _mailsync_maildir_repository_get_uid_lock (get_repo (self));
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

/* "<base without U=/FMD5=>,U=<uid>,FMD5=<md5><sep>2,<flags><tail>": keeps the
 * file's own unique part (MUAs may track it) and drops UID fields that
 * belong to another folder. */
static char *
name_with_uid (const MailsyncMaildirName *name,
               guint32                    uid,
               const char                *md5,
               char                       default_sep)
{
  GString *s = g_string_new (NULL);
  const char *p = name->base;

  while (*p)
    {
      if (g_str_has_prefix (p, ",U="))
        {
          for (p += 3; g_ascii_isdigit (*p); p++)
            ;
          continue;
        }
      if (g_str_has_prefix (p, ",FMD5="))
        {
          for (p += 6; g_ascii_isxdigit (*p); p++)
            ;
          continue;
        }
      g_string_append_c (s, *p++);
    }
  g_string_append_printf (s, ",U=%u,FMD5=%s%c2,%s%s", uid, md5,
                          name->info_sep ? name->info_sep : default_sep,
                          name->flags, name->tail);
  return g_string_free (s, FALSE);
}

static gboolean
rename_rel (MailsyncMaildirFolder  *self,
            const char             *from_rel,
            const char             *to_rel,
            GError                **error)
{
  g_autofree char *from = g_build_filename (self->path, from_rel, NULL);
  g_autofree char *to = g_build_filename (self->path, to_rel, NULL);

  if (!_mailsync_maildir_rename_noreplace (from, to, error))
    return FALSE;
  mark_dirty (self, from_rel);
  mark_dirty (self, to_rel);
  return TRUE;
}

static gboolean
assign_missing_uids (MailsyncMaildirFolder  *self,
                     const char             *md5,
                     GPtrArray              *entries,
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

  if (!allocate_uids (self, missing, max_uid_of (entries) + 1, &next, error))
    return FALSE;

  for (guint i = 0; i < entries->len && missing > 0; i++)
    {
      Entry *e = entries->pdata[i];
      g_autofree char *new_name = NULL;
      g_autofree char *new_rel = NULL;
      g_autoptr(GError) local_error = NULL;
      char sub[4];

      if (e->uid != 0 || !e->message)
        continue;
      memcpy (sub, e->rel, 3);
      sub[3] = '\0';
      new_name = name_with_uid (&e->name, next, md5, info_sep (self));
      new_rel = g_strdup_printf ("%s/%s", sub, new_name);
      if (!rename_rel (self, e->rel, new_rel, &local_error))
        {
          /* The reserved UID is simply skipped; the file stays new mail
           * and gets another UID next time. */
          g_warning ("Cannot give a UID to %s/%s: %s", self->path, e->rel, local_error->message);
          next++;
          continue;
        }
      g_free (e->rel);
      e->rel = g_steal_pointer (&new_rel);
      _mailsync_maildir_name_clear (&e->name);
      _mailsync_maildir_name_parse (new_name, &e->name);
      e->uid = next++;
      renamed = TRUE;
    }

  /* The UIDs are about to be handed out: make the new names durable now
   * rather than at the next flush, so that a crash cannot bring back the
   * old names (which would get fresh UIDs, duplicating the messages on the
   * other side). Once per listing, not per file. */
  if (renamed && mailsync_maildir_repository_get_fsync (get_repo (self)))
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

static MailsyncMessageInfo *
entry_to_info (MailsyncMaildirFolder *self,
               Entry                 *e)
{
  g_auto(GStrv) keywords = NULL;

  flags_to_keywords_letters (self, e->name.flags, &keywords);
  return mailsync_message_info_new (e->uid, e->rel,
                                    mailsync_flags_from_maildir (e->name.flags),
                                    (const char * const *) keywords,
                                    e->size, e->mtime);
}

/* The Maildir rule: a file in tmp/ not touched for 36 hours is what a
 * killed delivery left. Only regular files directly in tmp/, never a
 * directory or a symlink (nor its target), by mtime: the ctime of a file
 * cannot be set back, so it would keep a restored or copied Maildir's
 * leftovers forever. A delivery of ours that set its file's mtime to the
 * message's date and lost it here would fail at its rename and be
 * retried by the next run, never lose the message. Failures are not
 * errors of the sync: the files are only garbage. */
static void
clean_tmp (MailsyncMaildirFolder *self,
           GCancellable          *cancellable)
{
  g_autofree char *tmp = g_build_filename (self->path, "tmp", NULL);
  gint64 limit = (gint64) time (NULL) - TMP_MAX_AGE;
  struct dirent *de;
  DIR *dir;
  int dfd;

  /* Not through a symlink: a tmp/ that points elsewhere (a shared
   * scratch directory, the user's files) would have that directory's old
   * files removed. Such a tmp/ is left alone. */
  dfd = open (tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return;
  dir = fdopendir (dfd);
  if (dir == NULL)
    {
      close (dfd);
      return;
    }
  while ((de = readdir (dir)) != NULL && !g_cancellable_is_cancelled (cancellable))
    {
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG (st.st_mode))
        continue;
      if ((gint64) st.st_mtime >= limit)
        continue;
      if (unlinkat (dfd, de->d_name, 0) == 0)
        g_debug ("%s: removed tmp/%s, older than 36 hours", self->path, de->d_name);
    }
  closedir (dir);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  const char *md5 = task_data;
  MailsyncMaildirRepository *repo = get_repo (self);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  GError *error = NULL;

  if (!mailsync_repository_get_readonly (MAILSYNC_REPOSITORY (repo)))
    clean_tmp (self, cancellable);
  entries = scan (self, md5, warnings, cancellable, &error);
  if (entries == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  _mailsync_folder_set_listing_warnings (MAILSYNC_FOLDER (self), g_steal_pointer (&warnings));

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
        ok = assign_missing_uids (self, md5, entries, &error);
      if (!ok)
        {
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

  replace_index (self, entries);

  infos = g_ptr_array_new_full (entries->len, g_object_unref);
  for (guint i = 0; i < entries->len; i++)
    if (!((Entry *) entries->pdata[i])->twin)
      g_ptr_array_add (infos, entry_to_info (self, entries->pdata[i]));
  g_task_return_pointer (task, g_steal_pointer (&infos), (GDestroyNotify) g_ptr_array_unref);
}

static void
mailsync_maildir_folder_list_messages_async (MailsyncFolder      *folder,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_maildir_folder_list_messages_async);
  g_task_set_task_data (task, dup_md5 (self), g_free);
  g_task_run_in_thread (task, list_thread);
}

static GPtrArray *
mailsync_maildir_folder_list_messages_finish (MailsyncFolder  *folder,
                                              GAsyncResult    *result,
                                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Common task data ------------------------------------------------------------ */

typedef struct
{
  char *md5;
  MailsyncMessageInfo *info;
  GInputStream *content;
  guint32 *uids;
  guint n_uids;
  MailsyncFlags add;
  MailsyncFlags remove;
  char *add_keywords;     /* set_keywords: space-separated */
  char *remove_keywords;
  char *add_letters;      /* their letters, found in the worker */
  char *remove_letters;
  guint32 uid;
} OpData;

static void
op_data_free (gpointer data)
{
  OpData *d = data;

  g_free (d->md5);
  g_clear_object (&d->info);
  g_clear_object (&d->content);
  g_free (d->uids);
  g_free (d->add_keywords);
  g_free (d->remove_keywords);
  g_free (d->add_letters);
  g_free (d->remove_letters);
  g_free (d);
}

static GTask *
op_task_new (MailsyncMaildirFolder *self,
             gpointer               source_tag,
             GCancellable          *cancellable,
             GAsyncReadyCallback    callback,
             gpointer               user_data,
             OpData               **data_out)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  OpData *d = g_new0 (OpData, 1);

  g_task_set_source_tag (task, source_tag);
  d->md5 = dup_md5 (self);
  g_task_set_task_data (task, d, op_data_free);
  *data_out = d;
  return task;
}

static gboolean
boolean_finish (MailsyncFolder  *folder,
                GAsyncResult    *result,
                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static MailsyncMessageInfo *
info_finish (MailsyncFolder  *folder,
             GAsyncResult    *result,
             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* fetch_message ---------------------------------------------------------------- */

static const char *
file_kind (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISCHR (mode) || S_ISBLK (mode))
    return "a device";
  return "not a regular file";
}

/* Opens a message file for reading, or fails. A file that cannot be a
 * message fails with MAILSYNC_ERROR_SKIPPED naming it, which costs only
 * that message: a symlink is never followed (it may point anywhere, out of
 * the Maildir included), and a directory, FIFO, socket or device, an
 * empty file or one that cannot be opened is not a message. A vanished
 * file is G_IO_ERROR_NOT_FOUND, as callers expect. */
static GInputStream *
open_rel (MailsyncMaildirFolder  *self,
          const char             *rel,
          GCancellable           *cancellable,
          GError                **error)
{
  g_autofree char *path = g_build_filename (self->path, rel, NULL);
  g_autofree char *why = NULL;
  struct stat st;
  int fd;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    {
      int saved = errno;

      switch (saved)
        {
        case ENOENT:
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Cannot open %s: %s", path,
                       g_strerror (saved));
          return NULL;
        case EMFILE:
        case ENFILE:
        case ENOMEM:
        case EINTR:
          /* The process, not the file: not a reason to skip it. */
          _mailsync_set_error_from_errno (error, saved, "Cannot open", path);
          return NULL;
        case ELOOP:
          why = g_strdup ("it is a symbolic link, which is not followed");
          break;
        default:
          why = g_strdup_printf ("it cannot be read (%s)", g_strerror (saved));
          break;
        }
    }
  else if (fstat (fd, &st) != 0)
    why = g_strdup_printf ("it cannot be read (%s)", g_strerror (errno));
  else if (!S_ISREG (st.st_mode))
    why = g_strdup_printf ("it is %s, not a message file", file_kind (st.st_mode));
  else if (st.st_size == 0)
    why = g_strdup ("it is empty (0 bytes)");
  if (why != NULL)
    {
      if (fd >= 0)
        close (fd);
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED, "Skipping local file %s: %s", path, why);
      return NULL;
    }
  /* Reads of a regular file never see O_NONBLOCK, but clear it all the
   * same for whoever gets the descriptor. */
  if (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) != 0)
    {
      int saved = errno;

      close (fd);
      _mailsync_set_error_from_errno (error, saved, "Cannot open", path);
      return NULL;
    }
  /* A file stream: the message is read as the caller consumes it. */
  return g_unix_input_stream_new (fd, TRUE);
}

static void
fetch_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  guint32 uid = mailsync_message_info_get_uid (d->info);
  g_autofree char *rel = NULL;
  GInputStream *stream;
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (uid == 0)
    {
      const char *key = mailsync_message_info_get_key (d->info);

      if (!check_key (key, &error) ||
          (stream = open_rel (self, key, cancellable, &error)) == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            {
              g_clear_error (&error);
              g_set_error (&error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                           "Message %s of %s vanished", key, self->path);
            }
          g_task_return_error (task, error);
          return;
        }
      g_task_return_pointer (task, stream, g_object_unref);
      return;
    }

  rel = index_lookup (self, uid);
  if (rel != NULL)
    {
      stream = open_rel (self, rel, cancellable, &error);
      if (stream != NULL)
        {
          g_task_return_pointer (task, stream, g_object_unref);
          return;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_task_return_error (task, error);
          return;
        }
      g_clear_error (&error);
    }

  /* Not indexed, or renamed since the listing: look again. */
  g_free (rel);
  rel = find_uid (self, d->md5, uid, cancellable, &error);
  if (rel == NULL)
    {
      if (error == NULL)
        g_set_error (&error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                     "No message with UID %u in %s", uid, self->path);
      g_task_return_error (task, error);
      return;
    }
  stream = open_rel (self, rel, cancellable, &error);
  if (stream == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, stream, g_object_unref);
}

static void
mailsync_maildir_folder_fetch_message_async (MailsyncFolder      *folder,
                                             MailsyncMessageInfo *info,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  OpData *d;
  g_autoptr(GTask) task = op_task_new (MAILSYNC_MAILDIR_FOLDER (folder),
                                       mailsync_maildir_folder_fetch_message_async,
                                       cancellable, callback, user_data, &d);

  d->info = g_object_ref (info);
  g_task_run_in_thread (task, fetch_thread);
}

static GInputStream *
mailsync_maildir_folder_fetch_message_finish (MailsyncFolder  *folder,
                                              GAsyncResult    *result,
                                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* append_message ------------------------------------------------------------------ */

static char *
letters_for_info (MailsyncMaildirFolder  *self,
                  MailsyncMessageInfo    *info,
                  GStrv                  *keywords_out)
{
  g_autofree char *system = mailsync_flags_to_maildir (mailsync_message_info_get_flags (info));
  const char * const *keywords = mailsync_message_info_get_keywords (info);
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
  g_auto(GStrv) not_stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *keyword_letters = NULL;
  g_autofree char *joined = NULL;

  /* A customflag letter, else one from dovecot-keywords (a new entry if
   * need be). What cannot be stored (27 keywords and more, or the file
   * cannot be written) is left out of the returned info, from which the
   * caller's status is made: the status never records what is not here.
   * offlineimap drops every keyword without a customflag letter. */
  keyword_letters = _mailsync_maildir_keywords_to_letters (get_repo (self), self->path, keywords, TRUE,
                                                           &not_stored, &error);
  if (keyword_letters == NULL)
    {
      /* The file cannot be written: the keywords that have a letter
       * already are stored, the others are left out. */
      g_warning ("%s", error->message);
      keyword_letters = _mailsync_maildir_keywords_to_letters (get_repo (self), self->path, keywords, FALSE,
                                                               &not_stored, NULL);
    }
  for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
    if (not_stored == NULL || !g_strv_contains ((const char * const *) not_stored, keywords[i]))
      g_strv_builder_add (kept, keywords[i]);
  *keywords_out = g_strv_builder_end (kept);
  joined = g_strconcat (system, keyword_letters ? keyword_letters : "", NULL);
  return _mailsync_maildir_flags_sort (joined);
}

static gboolean
deliver (MailsyncMaildirFolder  *self,
         OpData                 *d,
         guint32                 uid,
         MailsyncMessageInfo   **result,
         GCancellable           *cancellable,
         GError                **error)
{
  MailsyncMaildirRepository *repo = get_repo (self);
  gboolean do_fsync = mailsync_maildir_repository_get_fsync (repo);
  /* Read the options once: they may change while this runs. */
  gboolean utime_from_header = mailsync_maildir_repository_get_utime_from_header (repo);
  gboolean use_mail_timestamp = mailsync_maildir_repository_get_filename_use_mail_timestamp (repo);
  gboolean want_date = utime_from_header || use_mail_timestamp;
  gint64 name_time;
  g_auto(GStrv) keywords = NULL;
  g_autofree char *letters = letters_for_info (self, d->info, &keywords);
  g_autofree char *tmp_name = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *rel = NULL;
  g_autoptr(GString) headers = want_date ? g_string_new (NULL) : NULL;
  gint64 now = (gint64) time (NULL);
  gint64 mtime = mailsync_message_info_get_internal_date (d->info);
  gint64 header_date = 0;
  gboolean have_header_date = FALSE;
  const char *sub = strchr (letters, 'S') ? "cur" : "new";
  guint64 size = 0;
  int fd = -1;
  /* A body the source spooled in Maildir form is linked in, not copied. */
  int spool_fd = _mailsync_spool_get_fd (d->content);
  gboolean adopted = FALSE;

  /* tmp/<unique>, created exclusively: never write into someone's file. */
  for (guint attempt = 0; fd < 0; attempt++)
    {
      g_free (tmp_name);
      g_free (tmp_path);
      tmp_name = _mailsync_maildir_name_build (now, uid, d->md5, letters, info_sep (self));
      tmp_path = g_build_filename (self->path, "tmp", tmp_name, NULL);
      if (spool_fd >= 0)
        {
          int saved = 0;

          fd = _mailsync_maildir_adopt_spool (spool_fd, tmp_path, headers, &size, &saved);
          if (fd >= 0)
            {
              adopted = TRUE;
              break;
            }
          if (saved == EEXIST && attempt + 1 < MAX_NAME_ATTEMPTS)
            continue;
          /* Another file system, no /proc, not an O_TMPFILE: copy. */
          spool_fd = -1;
          if (headers != NULL)
            g_string_truncate (headers, 0);
        }
      fd = open (tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd < 0 && (errno != EEXIST || attempt + 1 >= MAX_NAME_ATTEMPTS))
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot create", tmp_path);
          return FALSE;
        }
    }

  if (!adopted && !_mailsync_maildir_copy_to_fd (d->content, fd, tmp_path, headers, &size, cancellable, error))
    goto fail;

  if (want_date)
    have_header_date = _mailsync_maildir_header_date (headers->str, "Date", &header_date);
  if (utime_from_header && have_header_date)
    mtime = header_date;
  if (mtime > 0)
    {
      struct timespec times[2];

      times[0].tv_sec = (time_t) mtime;
      times[0].tv_nsec = 0;
      times[1] = times[0];
      if (futimens (fd, times) != 0)
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot set the time of", tmp_path);
          goto fail;
        }
    }
  if (do_fsync && fsync (fd) != 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot fsync", tmp_path);
      goto fail;
    }
  if (close (fd) != 0)
    {
      fd = -1;
      _mailsync_set_error_from_errno (error, errno, "Cannot close", tmp_path);
      goto fail;
    }
  fd = -1;
  _mailsync_crash_point ("maildir-tmp-written");

  /* The final name; with filename-use-mail-timestamp it starts with the
   * Date: (or else Delivery-date:) time, as offlineimap. */
  name_time = now;
  if (use_mail_timestamp)
    {
      if (have_header_date)
        name_time = header_date;
      else if (!_mailsync_maildir_header_date (headers->str, "Delivery-date", &name_time))
        name_time = now;
      if (name_time != now)
        {
          g_free (tmp_name);
          tmp_name = _mailsync_maildir_name_build (name_time, uid, d->md5, letters, info_sep (self));
        }
    }

  for (guint attempt = 0;; attempt++)
    {
      g_autofree char *dest = NULL;
      g_autoptr(GError) local_error = NULL;

      g_free (rel);
      rel = g_strdup_printf ("%s/%s", sub, tmp_name);
      dest = g_build_filename (self->path, rel, NULL);
      if (_mailsync_maildir_rename_noreplace (tmp_path, dest, &local_error))
        break;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS) ||
          attempt + 1 >= MAX_NAME_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail;
        }
      g_free (tmp_name);
      tmp_name = _mailsync_maildir_name_build (name_time, uid, d->md5, letters, info_sep (self));
    }
  _mailsync_crash_point ("maildir-delivered");

  /* The directory is fsynced once per batch by flush(), not per message. */
  mark_dirty (self, rel);
  index_set (self, uid, rel);

  *result = mailsync_message_info_new (uid, rel, mailsync_flags_from_maildir (letters),
                                       (const char * const *) keywords, size,
                                       mtime > 0 ? mtime : now);
  return TRUE;

fail:
  if (fd >= 0)
    close (fd);
  g_unlink (tmp_path);
  return FALSE;
}

static void
append_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  guint32 uid = mailsync_message_info_get_uid (d->info);
  MailsyncMessageInfo *result = NULL;
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (readonly_error (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (uid == 0)
    {
      /* A Maildir keeps the other side's UIDs; only in assign-uids mode
       * does it make up its own. Storing a message without any UID would
       * list it as new local mail and upload it back: a duplicate. */
      if (!mailsync_maildir_repository_get_assign_uids (get_repo (self)))
        {
          g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                                   "Maildir folder %s stores the other side's UIDs; "
                                   "cannot append a message without a UID", self->path);
          return;
        }
      if (!allocate_uids (self, 1, 1, &uid, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }

  if (!deliver (self, d, uid, &result, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, g_object_unref);
}

static void
mailsync_maildir_folder_append_message_async (MailsyncFolder      *folder,
                                              MailsyncMessageInfo *info,
                                              GInputStream        *content,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  OpData *d;
  g_autoptr(GTask) task = op_task_new (MAILSYNC_MAILDIR_FOLDER (folder),
                                       mailsync_maildir_folder_append_message_async,
                                       cancellable, callback, user_data, &d);

  d->info = g_object_ref (info);
  d->content = g_object_ref (content);
  g_task_run_in_thread (task, append_thread);
}

/* set_flags / delete_messages ------------------------------------------------- */

/* Finds the current file of @uid: the index, else a rescan. NULL without
 * error when the message is gone. */
static char *
locate (MailsyncMaildirFolder  *self,
        const char             *md5,
        guint32                 uid,
        gboolean                force_rescan,
        GCancellable           *cancellable,
        GError                **error)
{
  char *rel = force_rescan ? NULL : index_lookup (self, uid);

  if (rel != NULL)
    return rel;
  return find_uid (self, md5, uid, cancellable, error);
}

static gboolean
set_flags_one (MailsyncMaildirFolder  *self,
               OpData                 *d,
               guint32                 uid,
               GCancellable           *cancellable,
               GError                **error)
{
  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autofree char *rel = NULL;
      g_autofree char *letters = NULL;
      g_autofree char *new_name = NULL;
      g_autofree char *new_rel = NULL;
      g_autoptr(GError) local_error = NULL;
      MailsyncMaildirName name;

      rel = locate (self, d->md5, uid, attempt > 0, cancellable, error);
      if (rel == NULL)
        {
          if (error != NULL && *error != NULL)
            return FALSE;
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                       "No message with UID %u in %s", uid, self->path);
          return FALSE;
        }

      _mailsync_maildir_name_parse (rel + 4, &name);
      /* Only the system letters change; P, unmapped lowercase letters and
       * whatever else is in the name stay (offlineimap strips them). */
      letters = _mailsync_maildir_flags_apply (name.flags, d->add, d->remove);
      if (d->add_letters != NULL || d->remove_letters != NULL)
        {
          /* keyword letters (issue 10 item 3) */
          GString *with = g_string_new (NULL);

          for (const char *p = letters; *p; p++)
            if (d->remove_letters == NULL || strchr (d->remove_letters, *p) == NULL)
              g_string_append_c (with, *p);
          for (const char *p = d->add_letters; p && *p; p++)
            if (strchr (with->str, *p) == NULL)
              g_string_append_c (with, *p);
          g_free (letters);
          letters = _mailsync_maildir_flags_sort (with->str);
          g_string_free (with, TRUE);
        }
      new_name = _mailsync_maildir_name_with_flags (&name, letters, info_sep (self));
      new_rel = g_strdup_printf ("%s/%s", strchr (letters, 'S') ? "cur" : "new", new_name);
      _mailsync_maildir_name_clear (&name);

      if (strcmp (new_rel, rel) == 0)
        return TRUE;  /* nothing to do: a repeated sync writes nothing */
      if (rename_rel (self, rel, new_rel, &local_error))
        {
          index_set (self, uid, new_rel);
          return TRUE;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* Renamed under us (a MUA): rescan and try once more. */
    }
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
               "Message with UID %u in %s keeps moving", uid, self->path);
  return FALSE;
}

static void
set_flags_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  GError *first_error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (readonly_error (self, &first_error))
    {
      g_task_return_error (task, first_error);
      return;
    }

  /* Go on past a failed message so that one vanished file does not leave
   * the others unchanged; report the first failure. */
  for (guint i = 0; i < d->n_uids; i++)
    {
      GError *error = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, &error) ||
          !set_flags_one (self, d, d->uids[i], cancellable, &error))
        {
          if (first_error == NULL)
            first_error = error;
          else
            g_error_free (error);
          if (g_cancellable_is_cancelled (cancellable))
            break;
        }
    }
  if (first_error != NULL)
    g_task_return_error (task, first_error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
mailsync_maildir_folder_set_flags_async (MailsyncFolder      *folder,
                                         const guint32       *uids,
                                         guint                n_uids,
                                         MailsyncFlags        add,
                                         MailsyncFlags        remove,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  OpData *d;
  g_autoptr(GTask) task = op_task_new (MAILSYNC_MAILDIR_FOLDER (folder),
                                       mailsync_maildir_folder_set_flags_async,
                                       cancellable, callback, user_data, &d);

  d->uids = g_memdup2 (uids, sizeof (guint32) * n_uids);
  d->n_uids = n_uids;
  d->add = add;
  d->remove = remove;
  g_task_run_in_thread (task, set_flags_thread);
}

/* set_keywords (issue 10 item 3): keywords become letters (customflag,
 * else dovecot-keywords, which gets new entries for new keywords) and the
 * files are renamed as for flags. Keywords no letter is left for are
 * returned, not stored: the caller's status must not record them. */
static void
set_keywords_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  GError *first_error = NULL;
  g_auto(GStrv) add = g_strsplit (d->add_keywords ? d->add_keywords : "", " ", -1);
  g_auto(GStrv) remove = g_strsplit (d->remove_keywords ? d->remove_keywords : "", " ", -1);
  g_auto(GStrv) not_stored = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (readonly_error (self, &first_error))
    {
      g_task_return_error (task, first_error);
      return;
    }
  d->add_letters = _mailsync_maildir_keywords_to_letters (get_repo (self), self->path, (const char * const *) add,
                                                          TRUE, &not_stored, &first_error);
  if (d->add_letters == NULL)
    {
      g_task_return_error (task, first_error);
      return;
    }
  d->remove_letters = _mailsync_maildir_keywords_to_letters (get_repo (self), self->path,
                                                             (const char * const *) remove, FALSE, NULL, NULL);
  for (guint i = 0; i < d->n_uids && (*d->add_letters || *d->remove_letters); i++)
    {
      GError *error = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, &error) ||
          !set_flags_one (self, d, d->uids[i], cancellable, &error))
        {
          if (first_error == NULL)
            first_error = error;
          else
            g_error_free (error);
          if (g_cancellable_is_cancelled (cancellable))
            break;
        }
    }
  if (first_error != NULL)
    g_task_return_error (task, first_error);
  else
    g_task_return_pointer (task, g_steal_pointer (&not_stored), (GDestroyNotify) g_strfreev);
}

void
_mailsync_maildir_folder_set_keywords_async (MailsyncMaildirFolder *self,
                                             const guint32         *uids,
                                             guint                  n_uids,
                                             const char            *add,
                                             const char            *remove,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data)
{
  OpData *d;
  g_autoptr(GTask) task = op_task_new (self, _mailsync_maildir_folder_set_keywords_async,
                                       cancellable, callback, user_data, &d);

  d->uids = g_memdup2 (uids, sizeof (guint32) * n_uids);
  d->n_uids = n_uids;
  d->add_keywords = g_strdup (add);
  d->remove_keywords = g_strdup (remove);
  g_task_run_in_thread (task, set_keywords_thread);
}

gboolean
_mailsync_maildir_folder_set_keywords_finish (MailsyncMaildirFolder  *self,
                                              GAsyncResult           *result,
                                              GStrv                  *not_stored,
                                              GError                **error)
{
  GError *local_error = NULL;
  GStrv rest;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  rest = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (not_stored != NULL)
    *not_stored = rest;
  else
    g_strfreev (rest);
  return TRUE;
}

/* An identical copy of a deleted message goes with it: it is the same
 * message, and left alone it would claim the UID at the next listing and
 * be uploaded back. */
static void
delete_twins (MailsyncMaildirFolder *self,
              guint32                uid)
{
  g_autoptr(GPtrArray) twins = NULL;

  g_mutex_lock (&self->lock);
  g_hash_table_steal_extended (self->twins, GUINT_TO_POINTER (uid), NULL, (gpointer *) &twins);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; twins != NULL && i < twins->len; i++)
    {
      g_autofree char *path = g_build_filename (self->path, twins->pdata[i], NULL);

      if (g_unlink (path) == 0)
        mark_dirty (self, twins->pdata[i]);
    }
}

static gboolean
delete_one (MailsyncMaildirFolder  *self,
            OpData                 *d,
            guint32                 uid,
            GCancellable           *cancellable,
            GError                **error)
{
  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autofree char *rel = locate (self, d->md5, uid, attempt > 0, cancellable, error);
      g_autofree char *path = NULL;

      if (rel == NULL)
        return error == NULL || *error == NULL;  /* already gone: fine */
      path = g_build_filename (self->path, rel, NULL);
      if (g_unlink (path) == 0)
        {
          index_set (self, uid, NULL);
          mark_dirty (self, rel);
          delete_twins (self, uid);
          return TRUE;
        }
      if (errno != ENOENT)
        {
          _mailsync_set_error_from_errno (error, errno, "Cannot delete", path);
          return FALSE;
        }
      /* Gone from where we thought: renamed (look again) or deleted. */
      index_set (self, uid, NULL);
    }
  return TRUE;
}

static void
delete_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  GError *first_error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (readonly_error (self, &first_error))
    {
      g_task_return_error (task, first_error);
      return;
    }
  for (guint i = 0; i < d->n_uids; i++)
    {
      GError *error = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, &error) ||
          !delete_one (self, d, d->uids[i], cancellable, &error))
        {
          if (first_error == NULL)
            first_error = error;
          else
            g_error_free (error);
          if (g_cancellable_is_cancelled (cancellable))
            break;
        }
    }
  if (first_error != NULL)
    g_task_return_error (task, first_error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
mailsync_maildir_folder_delete_messages_async (MailsyncFolder      *folder,
                                               const guint32       *uids,
                                               guint                n_uids,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  OpData *d;
  g_autoptr(GTask) task = op_task_new (MAILSYNC_MAILDIR_FOLDER (folder),
                                       mailsync_maildir_folder_delete_messages_async,
                                       cancellable, callback, user_data, &d);

  d->uids = g_memdup2 (uids, sizeof (guint32) * n_uids);
  d->n_uids = n_uids;
  g_task_run_in_thread (task, delete_thread);
}

/* set_message_uid --------------------------------------------------------------- */

static void
set_uid_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  OpData *d = task_data;
  const char *key = mailsync_message_info_get_key (d->info);
  g_autofree char *sorted = NULL;
  g_autofree char *new_rel = NULL;
  g_autofree char *new_path = NULL;
  g_auto(GStrv) keywords = NULL;
  MailsyncMaildirName name;
  GError *error = NULL;
  GStatBuf st;
  char sub[4];

  if (g_task_return_error_if_cancelled (task))
    return;
  if (readonly_error (self, &error) || !check_key (key, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (d->uid == 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Cannot give UID 0 to %s in %s", key, self->path);
      return;
    }

  memcpy (sub, key, 3);
  sub[3] = '\0';
  _mailsync_maildir_name_parse (key + 4, &name);
  /* Keep every letter, sorted as offlineimap writes them. */
  sorted = _mailsync_maildir_flags_sort (name.flags);
  for (guint attempt = 0;; attempt++)
    {
      g_autofree char *fresh = _mailsync_maildir_name_build ((gint64) time (NULL), d->uid, d->md5,
                                                             sorted,
                                                             name.info_sep ? name.info_sep : info_sep (self));
      g_autoptr(GError) local_error = NULL;

      g_free (new_rel);
      new_rel = g_strdup_printf ("%s/%s", sub, fresh);
      if (rename_rel (self, key, new_rel, &local_error))
        break;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS) ||
          attempt + 1 >= MAX_NAME_ATTEMPTS)
        {
          _mailsync_maildir_name_clear (&name);
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                                     "Message %s of %s vanished", key, self->path);
          else
            g_task_return_error (task, g_steal_pointer (&local_error));
          return;
        }
    }
  _mailsync_crash_point ("maildir-uid-set");
  index_set (self, d->uid, new_rel);

  new_path = g_build_filename (self->path, new_rel, NULL);
  if (g_stat (new_path, &st) != 0)
    {
      _mailsync_maildir_name_clear (&name);
      _mailsync_set_error_from_errno (&error, errno, "Cannot stat", new_path);
      g_task_return_error (task, error);
      return;
    }
  flags_to_keywords_letters (self, sorted, &keywords);
  g_task_return_pointer (task,
                         mailsync_message_info_new (d->uid, new_rel,
                                                    mailsync_flags_from_maildir (sorted),
                                                    (const char * const *) keywords,
                                                    (guint64) st.st_size, (gint64) st.st_mtime),
                         g_object_unref);
  _mailsync_maildir_name_clear (&name);
}

static void
mailsync_maildir_folder_set_message_uid_async (MailsyncFolder      *folder,
                                               MailsyncMessageInfo *info,
                                               guint32              uid,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  OpData *d;
  g_autoptr(GTask) task = op_task_new (MAILSYNC_MAILDIR_FOLDER (folder),
                                       mailsync_maildir_folder_set_message_uid_async,
                                       cancellable, callback, user_data, &d);

  d->info = g_object_ref (info);
  d->uid = uid;
  g_task_run_in_thread (task, set_uid_thread);
}

/* copy, move, expunge ---------------------------------------------------------- */

/* The file name a message gets in another folder: its own unique part
 * without the U=/FMD5= of the folder it leaves, then U= and FMD5= of the
 * destination when @uid is known (the engine moving a message the server
 * moved), and the info part with the flags it had. Without a UID it is
 * new mail there, as the status expects: the sync gives it one. */
static char *
name_for_destination (const MailsyncMaildirName *name,
                      guint32                    uid,
                      const char                *md5,
                      char                       default_sep)
{
  GString *s;
  const char *p = name->base;

  if (uid != 0)
    return name_with_uid (name, uid, md5, default_sep);
  s = g_string_new (NULL);
  while (*p)
    {
      if (g_str_has_prefix (p, ",U="))
        {
          for (p += 3; g_ascii_isdigit (*p); p++)
            ;
          continue;
        }
      if (g_str_has_prefix (p, ",FMD5="))
        {
          for (p += 6; g_ascii_isxdigit (*p); p++)
            ;
          continue;
        }
      g_string_append_c (s, *p++);
    }
  g_string_append_printf (s, "%c2,%s%s", name->info_sep ? name->info_sep : default_sep,
                          name->flags, name->tail);
  return g_string_free (s, FALSE);
}

/* A copy that is complete before it has its name: the bytes go to the
 * destination's tmp/ and are renamed into cur/ (a hard link first: Maildir
 * files never change content, and a link cannot be seen half written). */
static gboolean
copy_file_into (const char  *from,
                const char  *dest_path,
                const char  *to,
                GError     **error)
{
  g_autofree char *tmp_name = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GFile) src = NULL;
  g_autoptr(GFile) dst = NULL;

  if (link (from, to) == 0)
    return TRUE;
  if (errno == EEXIST)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Cannot copy %s: %s already exists", from, to);
      return FALSE;
    }
  if (errno == ENOENT)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot copy", from);
      return FALSE;
    }
  tmp_name = _mailsync_maildir_name_build ((gint64) time (NULL), 0, NULL, "", ':');
  tmp = g_build_filename (dest_path, "tmp", tmp_name, NULL);
  src = g_file_new_for_path (from);
  dst = g_file_new_for_path (tmp);
  if (!g_file_copy (src, dst, G_FILE_COPY_NOFOLLOW_SYMLINKS | G_FILE_COPY_ALL_METADATA, NULL, NULL, NULL, error))
    return FALSE;
  if (!_mailsync_maildir_rename_noreplace (tmp, to, error))
    {
      g_unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

static gboolean
same_file_system (MailsyncMaildirFolder *a,
                  MailsyncMaildirFolder *b)
{
  GStatBuf sa, sb;

  if (g_stat (a->path, &sa) != 0 || g_stat (b->path, &sb) != 0)
    return TRUE;  /* the rename says what is wrong */
  return sa.st_dev == sb.st_dev;
}

/* Moves or copies the message @uid of @self into @dest's cur/, under
 * @new_uid there (0: none yet). Returns the new rel in @dest, NULL with
 * no error when @uid is not in @self any more. */
static char *
transfer_one (MailsyncMaildirFolder  *self,
              const char             *md5,
              guint32                 uid,
              MailsyncMaildirFolder  *dest,
              const char             *dest_md5,
              guint32                 new_uid,
              gboolean                move,
              GCancellable           *cancellable,
              GError                **error)
{
  for (guint attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++)
    {
      g_autofree char *rel = locate (self, md5, uid, attempt > 0, cancellable, error);
      g_autofree char *from = NULL;
      g_autofree char *to = NULL;
      g_autofree char *name = NULL;
      g_autofree char *new_rel = NULL;
      g_autoptr(GError) local_error = NULL;
      MailsyncMaildirName parsed;
      gboolean ok;

      if (rel == NULL)
        return NULL;
      _mailsync_maildir_name_parse (rel + 4, &parsed);
      if (attempt == 0)
        name = name_for_destination (&parsed, new_uid, dest_md5, info_sep (dest));
      else
        {
          /* The name is taken there (a copy made before): a fresh one. */
          g_autofree char *flags = _mailsync_maildir_flags_sort (parsed.flags);

          name = _mailsync_maildir_name_build ((gint64) time (NULL), new_uid, dest_md5, flags,
                                               parsed.info_sep ? parsed.info_sep : info_sep (dest));
        }
      _mailsync_maildir_name_clear (&parsed);
      new_rel = g_strdup_printf ("cur/%s", name);
      from = g_build_filename (self->path, rel, NULL);
      to = g_build_filename (dest->path, new_rel, NULL);
      if (move && same_file_system (self, dest))
        ok = _mailsync_maildir_rename_noreplace (from, to, &local_error);
      else if (move)
        /* Another file system under the root: copy, then unlink. */
        ok = copy_file_into (from, dest->path, to, &local_error) && (g_unlink (from) == 0 || errno == ENOENT);
      else
        ok = copy_file_into (from, dest->path, to, &local_error);
      if (ok)
        {
          if (move)
            {
              index_set (self, uid, NULL);
              mark_dirty (self, rel);
            }
          index_set (dest, new_uid, new_rel);
          mark_dirty (dest, new_rel);
          return g_steal_pointer (&new_rel);
        }
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          /* Renamed under us (a flag change): find it again. */
          index_set (self, uid, NULL);
          continue;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Cannot find a free name for message %u in %s",
               uid, dest->path);
  return NULL;
}

typedef struct
{
  guint32 *uids;
  guint n_uids;
  char *md5;
  MailsyncMaildirFolder *dest;
  char *dest_md5;
  gboolean move;
} TransferData;

static void
transfer_data_free (TransferData *d)
{
  g_free (d->uids);
  g_free (d->md5);
  g_clear_object (&d->dest);
  g_free (d->dest_md5);
  g_free (d);
}

static void
transfer_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  TransferData *d = task_data;
  g_autoptr(GArray) uids = g_array_sized_new (FALSE, TRUE, sizeof (guint32), d->n_uids);
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (readonly_error (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < d->n_uids; i++)
    {
      g_autofree char *rel = NULL;
      const guint32 none = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        break;
      rel = transfer_one (self, d->md5, d->uids[i], d->dest, d->dest_md5, 0, d->move, cancellable, &error);
      if (error != NULL)
        break;
      if (rel == NULL)
        {
          error = g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                               "No message %u in %s", d->uids[i], self->path);
          break;
        }
      /* The destination names it at its next listing (uid 0 here). */
      g_array_append_val (uids, none);
    }
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&uids), (GDestroyNotify) g_array_unref);
}

static void
mailsync_maildir_folder_transfer_messages_async (MailsyncFolder      *folder,
                                                 const guint32       *uids,
                                                 guint                n_uids,
                                                 MailsyncFolder      *destination,
                                                 gboolean             delete_originals,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  TransferData *d;

  g_task_set_source_tag (task, mailsync_maildir_folder_transfer_messages_async);
  if (!MAILSYNC_IS_MAILDIR_FOLDER (destination))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "%s is not a Maildir folder", mailsync_folder_get_name (destination));
      return;
    }
  d = g_new0 (TransferData, 1);
  d->uids = g_memdup2 (uids, sizeof (guint32) * n_uids);
  d->n_uids = n_uids;
  d->md5 = dup_md5 (self);
  d->dest = g_object_ref (MAILSYNC_MAILDIR_FOLDER (destination));
  d->dest_md5 = dup_md5 (d->dest);
  d->move = delete_originals;
  g_task_set_task_data (task, d, (GDestroyNotify) transfer_data_free);
  g_task_run_in_thread (task, transfer_thread);
}

static gboolean
mailsync_maildir_folder_transfer_messages_finish (MailsyncFolder  *folder,
                                                  GAsyncResult    *result,
                                                  guint32        **new_uids,
                                                  guint           *n_new_uids,
                                                  GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return _mailsync_folder_take_new_uids (g_task_propagate_pointer (G_TASK (result), error), new_uids, n_new_uids);
}

/* Maildir's \Deleted is the T (trashed) flag: expunging unlinks those. */
static void
expunge_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  static const char *const subdirs[] = { "cur", "new" };
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task) || (readonly_error (self, &error), error != NULL))
    {
      if (error != NULL)
        g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir_path = g_build_filename (self->path, subdirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &error);
      const char *entry;

      if (dir == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      while ((entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *rel = g_strdup_printf ("%s/%s", subdirs[i], entry);
          g_autofree char *path = NULL;
          MailsyncMaildirName name;
          gboolean trashed;

          if (entry[0] == '.')
            continue;
          _mailsync_maildir_name_parse (entry, &name);
          trashed = strchr (name.flags, 'T') != NULL;
          _mailsync_maildir_name_clear (&name);
          if (!trashed)
            continue;
          path = g_build_filename (self->path, rel, NULL);
          if (g_unlink (path) != 0 && errno != ENOENT)
            {
              _mailsync_set_error_from_errno (&error, errno, "Cannot delete", path);
              g_task_return_error (task, error);
              return;
            }
          mark_dirty (self, rel);
        }
    }
  /* The index may name removed files: the next locate rescans. */
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->index);
  g_mutex_unlock (&self->lock);
  g_task_return_boolean (task, TRUE);
}

static void
mailsync_maildir_folder_expunge_async (MailsyncFolder      *folder,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_maildir_folder_expunge_async);
  g_task_run_in_thread (task, expunge_thread);
}

/* The engine's local side of a move the server made: one rename(2) that
 * gives the file its UID in @dest, so that a crash right after leaves a
 * file the next run only records (doc/design.md "Moves"). */
gboolean
_mailsync_maildir_folder_move_message (MailsyncMaildirFolder  *self,
                                       guint32                 uid,
                                       MailsyncMaildirFolder  *dest,
                                       guint32                 new_uid,
                                       GError                **error)
{
  g_autofree char *md5 = dup_md5 (self);
  g_autofree char *dest_md5 = dup_md5 (dest);
  g_autofree char *rel = NULL;
  GError *local_error = NULL;

  if (readonly_error (self, error))
    return FALSE;
  rel = transfer_one (self, md5, uid, dest, dest_md5, new_uid, TRUE, NULL, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (rel == NULL)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND, "No message %u in %s", uid, self->path);
      return FALSE;
    }
  return TRUE;
}

/* flush ---------------------------------------------------------------------- */

static void
flush_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  MailsyncMaildirFolder *self = source_object;
  gboolean do_fsync = mailsync_maildir_repository_get_fsync (get_repo (self));
  gboolean dirty[2];
  static const char *const subdirs[] = { "new", "cur" };
  GError *error = NULL;

  g_mutex_lock (&self->lock);
  dirty[0] = self->dirty_new;
  dirty[1] = self->dirty_cur;
  self->dirty_new = self->dirty_cur = FALSE;
  g_mutex_unlock (&self->lock);

  for (guint i = 0; do_fsync && i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = NULL;

      if (!dirty[i])
        continue;
      dir = g_build_filename (self->path, subdirs[i], NULL);
      if (!_mailsync_fsync_dir (dir, &error))
        {
          /* Still not durable: the next flush must try again. */
          g_mutex_lock (&self->lock);
          self->dirty_new |= dirty[0];
          self->dirty_cur |= dirty[1];
          g_mutex_unlock (&self->lock);
          g_task_return_error (task, error);
          return;
        }
      dirty[i] = FALSE;
    }
  g_task_return_boolean (task, TRUE);
}

static void
mailsync_maildir_folder_flush_async (MailsyncFolder      *folder,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, mailsync_maildir_folder_flush_async);
  g_task_run_in_thread (task, flush_thread);
}

static guint32
mailsync_maildir_folder_get_uidvalidity (MailsyncFolder *folder)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  guint32 uidvalidity;

  if (!mailsync_maildir_repository_get_assign_uids (get_repo (self)))
    return MAILSYNC_MAILDIR_DEFAULT_UIDVALIDITY;
  g_mutex_lock (&self->lock);
  uidvalidity = self->uidvalidity;
  g_mutex_unlock (&self->lock);
  return uidvalidity;
}

/* GObject ----------------------------------------------------------------------- */

static void
mailsync_maildir_folder_constructed (GObject *object)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (object);
  MailsyncRepository *repository;

  G_OBJECT_CLASS (mailsync_maildir_folder_parent_class)->constructed (object);

  repository = mailsync_folder_get_repository (MAILSYNC_FOLDER (self));
  g_return_if_fail (MAILSYNC_IS_MAILDIR_REPOSITORY (repository));
  self->path = _mailsync_maildir_repository_folder_path (MAILSYNC_MAILDIR_REPOSITORY (repository),
                                                         mailsync_folder_get_name (MAILSYNC_FOLDER (self)));
}

static void
mailsync_maildir_folder_finalize (GObject *object)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (object);

  g_free (self->path);
  g_free (self->md5);
  g_hash_table_unref (self->index);
  g_hash_table_unref (self->twins);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mailsync_maildir_folder_parent_class)->finalize (object);
}

static void
mailsync_maildir_folder_class_init (MailsyncMaildirFolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MailsyncFolderClass *folder_class = MAILSYNC_FOLDER_CLASS (klass);

  object_class->constructed = mailsync_maildir_folder_constructed;
  object_class->finalize = mailsync_maildir_folder_finalize;

  folder_class->list_messages_async = mailsync_maildir_folder_list_messages_async;
  folder_class->list_messages_finish = mailsync_maildir_folder_list_messages_finish;
  folder_class->fetch_message_async = mailsync_maildir_folder_fetch_message_async;
  folder_class->fetch_message_finish = mailsync_maildir_folder_fetch_message_finish;
  folder_class->append_message_async = mailsync_maildir_folder_append_message_async;
  folder_class->append_message_finish = info_finish;
  folder_class->set_flags_async = mailsync_maildir_folder_set_flags_async;
  folder_class->set_flags_finish = boolean_finish;
  folder_class->delete_messages_async = mailsync_maildir_folder_delete_messages_async;
  folder_class->delete_messages_finish = boolean_finish;
  folder_class->set_message_uid_async = mailsync_maildir_folder_set_message_uid_async;
  folder_class->set_message_uid_finish = info_finish;
  folder_class->flush_async = mailsync_maildir_folder_flush_async;
  folder_class->flush_finish = boolean_finish;
  folder_class->get_uidvalidity = mailsync_maildir_folder_get_uidvalidity;
  folder_class->transfer_messages_async = mailsync_maildir_folder_transfer_messages_async;
  folder_class->transfer_messages_finish = mailsync_maildir_folder_transfer_messages_finish;
  folder_class->expunge_async = mailsync_maildir_folder_expunge_async;
  folder_class->expunge_finish = boolean_finish;
}

static void
mailsync_maildir_folder_init (MailsyncMaildirFolder *self)
{
  g_mutex_init (&self->lock);
  self->index = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->twins = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                       (GDestroyNotify) g_ptr_array_unref);
}

MailsyncMaildirFolder *
_mailsync_maildir_folder_new (MailsyncMaildirRepository *repository,
                              const char                *name)
{
  return g_object_new (MAILSYNC_TYPE_MAILDIR_FOLDER,
                       "name", name,
                       "repository", repository,
                       NULL);
}

/**
 * mailsync_maildir_folder_get_path:
 * @self: a Maildir folder
 *
 * Gets the folder's directory, the one that holds `cur`, `new` and `tmp`.
 *
 * Returns: the folder's directory (the one holding `cur/`, `new/`, `tmp/`)
 *
 * Since: 0.1
 */
const char *
mailsync_maildir_folder_get_path (MailsyncMaildirFolder *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MAILDIR_FOLDER (self), NULL);
  return self->path;
}
