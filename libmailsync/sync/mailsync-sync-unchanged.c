/* The unchanged-folder record (issue 13 item 1, doc/design.md "A no-op
 * costs O(folders)").
 *
 * After a sync that left both sides equal to the status, the runner
 * writes, next to the folder's status file, `<status file>.mailsync-unchanged`:
 *
 *   MAILSYNC-UNCHANGED 1
 *   remote UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES
 *   maildir PATH
 *   new DEV INO MTIME CTIME          (seconds.nanoseconds)
 *   cur DEV INO MTIME CTIME
 *   status SUFFIX DEV INO SIZE MTIME CTIME   (or "status SUFFIX -": absent;
 *                                             "-wal": no CTIME, see below)
 *   counts LOCAL REMOTE
 *
 * Everything above `counts` is the key: the next run composes it again
 * from one STATUS and a few stat() calls, and an equal key means the
 * folder is skipped with no per-message work. offlineimap never opens a
 * file of that name (it derives status file names from folder names and
 * never lists the directory), the plain store keeps its `.meta` and
 * `.journal` files there the same way.
 *
 * The status files are every file either store may use for the folder
 * (plain: the file, `.meta`, `.journal`; SQLite: the database and its
 * `-wal`, which the store keeps on close so that closing writes nothing).
 */
#include "config.h"

#include "mailsync-sync-unchanged.h"
#include "sync/mailsync-sync-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define UNCHANGED_SUFFIX ".mailsync-unchanged"
#define UNCHANGED_MAGIC "MAILSYNC-UNCHANGED 1\n"

static const char *const status_suffixes[] = { "", ".meta", ".journal", "-wal" };

gint64
_mailsync_unchanged_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

char *
_mailsync_unchanged_path (MailsyncStatusStore *status, const char *name)
{
  g_autofree char *base = mailsync_status_store_get_path (status, name);

  return base != NULL ? g_strconcat (base, UNCHANGED_SUFFIX, NULL) : NULL;
}

/* The status lines of the key: the stat() of every status file, or NULL
 * when one cannot be stat()ed for another reason than its absence.
 *
 * The SQLite log's ctime is not in the key: run as root, SQLite gives the
 * -wal the database's owner with fchown() at every open, so its ctime
 * moves when the database is only read (remove-deleted-folders reads every
 * folder's status before the folders sync), and such a folder would never
 * be skipped. What ctime adds is seeing an mtime put back with
 * utimensat(); the log's only writers are SQLite connections (ours,
 * offlineimap's), which never do that, and each write() moves the mtime,
 * a new log its inode. */
static char *
status_lines (MailsyncStatusStore *status, const char *name)
{
  g_autofree char *base = mailsync_status_store_get_path (status, name);
  GString *lines;

  if (base == NULL)
    return NULL;
  lines = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (status_suffixes); i++)
    {
      g_autofree char *path = g_strconcat (base, status_suffixes[i], NULL);
      struct stat st;

      if (stat (path, &st) != 0)
        {
          if (errno != ENOENT)
            {
              g_string_free (lines, TRUE);
              return NULL;
            }
          g_string_append_printf (lines, "status %s -\n", status_suffixes[i]);
          continue;
        }
      g_string_append_printf (lines, "status %s %ju %ju %jd %jd.%09ld", status_suffixes[i],
                              (uintmax_t) st.st_dev, (uintmax_t) st.st_ino, (intmax_t) st.st_size,
                              (intmax_t) st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
      if (strcmp (status_suffixes[i], "-wal") != 0)
        g_string_append_printf (lines, " %jd.%09ld", (intmax_t) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
      g_string_append_c (lines, '\n');
    }
  return g_string_free (lines, FALSE);
}

static char *
compose_key (const char *remote_stamp, const char *maildir, const char *local_text, const char *status_text)
{
  if (remote_stamp == NULL || local_text == NULL || status_text == NULL || strchr (maildir, '\n') != NULL)
    return NULL;
  return g_strdup_printf ("%sremote %s\nmaildir %s\n%s%s", UNCHANGED_MAGIC, remote_stamp, maildir, local_text,
                          status_text);
}

char *
_mailsync_unchanged_key (MailsyncStatusStore        *status,
                         const char                 *name,
                         const char                 *remote_stamp,
                         const char                 *maildir,
                         const _MailsyncFolderStamp *local)
{
  g_autofree char *lines = NULL;

  if (remote_stamp == NULL || local->text == NULL)
    return NULL;
  lines = status_lines (status, name);
  return compose_key (remote_stamp, maildir, local->text, lines);
}

gboolean
_mailsync_unchanged_read (const char *path, char **key, guint *n_local, guint *n_remote)
{
  g_autofree char *text = NULL;
  const char *counts;
  guint a = 0, b = 0;
  char end;

  if (path == NULL || !g_file_get_contents (path, &text, NULL, NULL) || !g_str_has_prefix (text, UNCHANGED_MAGIC))
    return FALSE;
  counts = g_strrstr (text, "\ncounts ");
  if (counts == NULL || sscanf (counts + 1, "counts %u %u%c", &a, &b, &end) != 3 || end != '\n'
      || counts[strlen (counts) - 1] != '\n' || strchr (counts + 1, '\n') != counts + strlen (counts) - 1)
    return FALSE;
  *key = g_strndup (text, counts + 1 - text);
  *n_local = a;
  *n_remote = b;
  return TRUE;
}

/* Not fsynced: a record lost in a crash only costs the next run the full
 * path, and a torn one does not read back (its counts line is last). It
 * goes to a temporary file renamed over the old record, so a reader sees
 * the old record or the new one, never a mix; nothing is synced, neither
 * the file nor the directory: everything the key describes (the status
 * commits, the Maildir's flushed directories) was durable before it was
 * written, so a crash can only leave an older record or none, whose key
 * no longer matches. (g_file_set_contents_full()'s CONSISTENT mode, used
 * before, fsyncs the file and its directory whenever an older record is
 * there: two fsyncs per changed folder at the end of every run, issue 13
 * item 2.) */
static gboolean
write_all (int fd, const char *text, gsize length)
{
  while (length > 0)
    {
      gssize n = write (fd, text, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      text += n;
      length -= (gsize) n;
    }
  return TRUE;
}

void
_mailsync_unchanged_write (const char *path, const char *key, guint n_local, guint n_remote)
{
  g_autofree char *text = g_strdup_printf ("%scounts %u %u\n", key, n_local, n_remote);
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  int fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  gboolean written;
  int saved;

  if (fd < 0)
    {
      g_debug ("cannot write %s: %s", path, g_strerror (errno));
      return;
    }
  written = write_all (fd, text, strlen (text));
  saved = errno;
  if (close (fd) != 0 && written)
    {
      written = FALSE;
      saved = errno;
    }
  if (written && g_rename (tmp, path) == 0)
    return;
  if (written)
    saved = errno;
  g_debug ("cannot write %s: %s", path, g_strerror (saved));
  g_unlink (tmp);
}

gboolean
_mailsync_unchanged_forget (const char *path)
{
  if (path == NULL || g_unlink (path) == 0 || errno == ENOENT)
    return TRUE;
  g_debug ("cannot remove %s: %s", path, g_strerror (errno));
  return FALSE;
}

/* ---- recording at the end of the account's run ------------------------ */

/* Longest wait, once per account, for the directories' last change to be
 * older than their time stamps' granularity; a folder changed later than
 * that (or on a coarser file system) is simply not recorded and the next
 * run lists it in full, then records it. */
#define UNCHANGED_MAX_WAIT_NS (50 * G_GINT64_CONSTANT (1000000))

/* An order-independent digest of (UID, flag letters) pairs: two sums of
 * 64-bit mixes and the count. The status rows' digest is taken when the
 * folder ends (their memory is then freed); the verifying scan's digest of
 * the file names must equal it. Equal digests of different sets need two
 * independent 64-bit collisions at once. */
typedef struct
{
  guint64 a;
  guint64 b;
  guint n;
} Digest;

struct _MailsyncUnchangedPending
{
  char *path;          /* the record */
  char *remote_stamp;  /* the listing SELECT's state */
  char *maildir;       /* the local folder's directory, for the key */
  MailsyncFolder *local; /* (owned) its scan by names verifies the rows */
  char *status_text;   /* the status lines, taken when the folder ended */
  guint n_local;
  guint n_remote;
  Digest rows;
  _MailsyncFolderStamp before;
};

static guint64
mix64 (guint64 x)
{
  /* splitmix64's finaliser */
  x ^= x >> 30;
  x *= G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  x ^= x >> 27;
  x *= G_GUINT64_CONSTANT (0x94d049bb133111eb);
  x ^= x >> 31;
  return x;
}

/* The set of flag letters: order and repeats do not count (the status
 * column is sorted, a file name need not be); anything but a letter is
 * one more member, so that it never matches a status column. */
static guint64
letter_set (const char *letters)
{
  guint64 set = 0;

  for (const char *c = letters; c != NULL && *c != '\0'; c++)
    set |= G_GUINT64_CONSTANT (1) << (*c >= 'A' && *c <= 'z' ? *c - 'A' : 63);
  return set;
}

static void
digest_add (Digest *d, guint32 uid, const char *letters)
{
  guint64 set = letter_set (letters);
  guint64 h = mix64 (((guint64) uid << 32 | G_GUINT64_CONSTANT (0x5bd1e995)) ^ mix64 (set));

  d->a += h;
  d->b += mix64 (h ^ G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) ^ ((guint64) uid * G_GUINT64_CONSTANT (0xc2b2ae3d27d4eb4f)));
  d->n++;
}

static void
digest_name (guint32 uid, const char *letters, gpointer user_data)
{
  digest_add (user_data, uid, letters);
}

MailsyncUnchangedPending *
_mailsync_unchanged_pending_new (MailsyncStatusStore *status,
                                 const char          *name,
                                 const char          *remote_stamp,
                                 const char          *maildir,
                                 MailsyncFolder      *local,
                                 guint                n_local,
                                 guint                n_remote)
{
  g_autofree char *path = _mailsync_unchanged_path (status, name);
  g_autofree char *lines = NULL;
  MailsyncUnchangedPending *pending;

  if (path == NULL || remote_stamp == NULL || maildir == NULL || strchr (maildir, '\n') != NULL)
    return NULL;
  /* Now, while the status files are as this run committed them: a later
   * change of theirs makes the next run's key differ. */
  lines = status_lines (status, name);
  if (lines == NULL)
    return NULL;
  pending = g_new0 (MailsyncUnchangedPending, 1);
  pending->path = g_steal_pointer (&path);
  pending->remote_stamp = g_strdup (remote_stamp);
  pending->maildir = g_strdup (maildir);
  pending->local = g_object_ref (local);
  pending->status_text = g_steal_pointer (&lines);
  pending->n_local = n_local;
  pending->n_remote = n_remote;
  return pending;
}

void
_mailsync_unchanged_pending_add_row (MailsyncUnchangedPending *pending,
                                     guint32                   uid,
                                     const char               *flags)
{
  digest_add (&pending->rows, uid, flags);
}

void
_mailsync_unchanged_pending_free (MailsyncUnchangedPending *pending)
{
  if (pending == NULL)
    return;
  g_free (pending->path);
  g_free (pending->remote_stamp);
  g_free (pending->maildir);
  g_clear_object (&pending->local);
  g_free (pending->status_text);
  _mailsync_folder_stamp_clear (&pending->before);
  g_free (pending);
}

/* The same-tick race: a file renamed into cur/ right after the scan, in
 * the clock tick of the directories' last change, would leave their time
 * stamps as recorded. So their newest stamp must be older than the scan's
 * start by more than the stamps' granularity, and equal before and after
 * the scan: any change the scan may have missed then has a later stamp,
 * which the next run sees. ctime is kept too: it cannot be set from user
 * space, utimensat() moves it. */
static void
record_one (MailsyncUnchangedPending *p)
{
  _MailsyncFolderStamp after = { NULL, 0, 0 };
  Digest files = { 0, 0, 0 };
  g_autofree char *key = NULL;
  gint64 start = _mailsync_unchanged_now_ns ();

  if (p->before.text == NULL || !_mailsync_folder_take_stamp (p->local, &p->before)
      || p->before.newest_ns + p->before.granularity_ns >= start)
    goto out;
  if (!_mailsync_folder_scan_names (p->local, digest_name, &files) || files.n != p->rows.n || files.a != p->rows.a
      || files.b != p->rows.b)
    goto out;
  if (!_mailsync_folder_take_stamp (p->local, &after) || !_mailsync_folder_stamp_equal (&p->before, &after))
    goto out;
  key = compose_key (p->remote_stamp, p->maildir, p->before.text, p->status_text);
  if (key != NULL)
    _mailsync_unchanged_write (p->path, key, p->n_local, p->n_remote);
out:
  if (key == NULL)
    g_debug ("%s: not recorded as unchanged: the next run lists it in full", p->maildir);
  _mailsync_folder_stamp_clear (&after);
}

void
_mailsync_unchanged_record_pending (GPtrArray *pending)
{
  gint64 now, wait = 0;

  if (pending == NULL || pending->len == 0)
    return;
  now = _mailsync_unchanged_now_ns ();
  for (guint i = 0; i < pending->len; i++)
    {
      MailsyncUnchangedPending *p = pending->pdata[i];
      gint64 needed;

      if (!_mailsync_folder_take_stamp (p->local, &p->before))
        continue;
      needed = p->before.newest_ns + p->before.granularity_ns - now + 1;
      if (needed <= UNCHANGED_MAX_WAIT_NS)
        wait = MAX (wait, needed);
    }
  /* One wait for all the folders (usually only the last one synced is
   * that recent), never one per folder. */
  if (wait > 0)
    g_usleep ((gulong) (wait / 1000 + 1));
  for (guint i = 0; i < pending->len; i++)
    record_one (pending->pdata[i]);
}

/* ---- the runner's side of the record (moved here from
 * mailsync-sync-runner.c, issue 14 item 1) -------------------------------- */

/* A remote folder whose state can be probed (IMAP with CONDSTORE) against
 * a local one with directory stamps (Maildir), under the plain
 * policy (the fast listing's premise: after a completed run the status is
 * both sides), without Gmail labels (a labels header changes a file's
 * content, never its directory). */
static gboolean
unchanged_applies (Runner *r)
{
  return mailsync_folder_supports (r->remote, MAILSYNC_FOLDER_CAPABILITY_CHANGE_STAMP) && _mailsync_folder_can_take_stamp (r->local)
         && _mailsync_folder_get_directory (r->local) != NULL
         && _mailsync_sync_fast_listing_applies (r)
         && _mailsync_labels_config_get (mailsync_folder_get_repository (r->local)) == NULL;
}

/* TRUE in *skipped when the record's key is what the folder is now: the
 * server's UIDVALIDITY, HIGHESTMODSEQ, UIDNEXT and MESSAGES (one STATUS),
 * new/ and cur/ (stat), the status files (stat). Then both sides and the
 * status are as a completed run left them, whose plan would be empty, so
 * nothing is read. Any difference, or any doubt, is the full path, and
 * the record is removed before that path changes anything. */
gboolean
_mailsync_sync_check_unchanged (Runner *r, gboolean *skipped, GError **error)
{
  g_autofree char *path = _mailsync_unchanged_path (r->config->status, r->status_name);
  g_autofree char *saved = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *key = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  _MailsyncFolderStamp stamp = { NULL, 0, 0 };
  const char *maildir;
  guint n_local = 0, n_remote = 0;

  *skipped = FALSE;
  if (!unchanged_applies (r) || !_mailsync_unchanged_read (path, &saved, &n_local, &n_remote))
    {
      if (!r->config->dry_run)
        _mailsync_unchanged_forget (path);
      return TRUE;
    }
  maildir = _mailsync_folder_get_directory (r->local);
  if (_mailsync_folder_take_stamp (r->local, &stamp))
    {
      g_autofree char *seen = NULL;

      if (r->config->remote_stamps != NULL)
        {
          _mailsync_sync_config_lock (r->config);
          seen = g_strdup (g_hash_table_lookup (r->config->remote_stamps, r->status_name));
          _mailsync_sync_config_unlock (r->config);
        }

      /* The move pre-pass asked the server earlier in this run. A change
       * on the server since then is seen by the next run, as one right
       * after this STATUS would be; the Maildir and the status files are
       * stat()ed anew, so the pre-pass's renames count. */
      if (seen != NULL)
        remote = g_steal_pointer (&seen);
      else
        {
          /* the probe is a server command (a STATUS when no LIST-STATUS
           * answer is cached): on this folder's own connection, which
           * concurrent folder syncs lease when first needed (lease_remote);
           * the repository's main connection may be another folder's */
          if (r->config->lease_remote != NULL && !r->config->lease_remote (r->config->emit_data, error))
            {
              _mailsync_folder_stamp_clear (&stamp);
              return FALSE;
            }
          mailsync_folder_probe_stamp_async (r->remote, r->config->cancellable, _mailsync_store_result, &result);
          remote = mailsync_folder_probe_stamp_finish (r->remote, _mailsync_await (&result), error);
          if (remote == NULL && error != NULL && *error != NULL)
            {
              _mailsync_folder_stamp_clear (&stamp);
              return FALSE;
            }
          if (remote != NULL && r->config->remote_stamps != NULL)
            {
              _mailsync_sync_config_lock (r->config);
              g_hash_table_replace (r->config->remote_stamps, g_strdup (r->status_name), g_strdup (remote));
              _mailsync_sync_config_unlock (r->config);
            }
        }
      key = _mailsync_unchanged_key (r->config->status, r->status_name, remote, maildir, &stamp);
    }
  _mailsync_folder_stamp_clear (&stamp);
  if (remote != NULL)
    {
      /* the record's first key line after the magic is the server's */
      g_autofree char *remote_line = g_strdup_printf ("%sremote %s\n", UNCHANGED_MAGIC, remote);
      const char *then = g_str_has_prefix (saved, UNCHANGED_MAGIC "remote ") ?
                         saved + strlen (UNCHANGED_MAGIC "remote ") : NULL;
      const char *then_end = then != NULL ? strchr (then, '\n') : NULL;

      r->remote_as_recorded = g_str_has_prefix (saved, remote_line);
      /* the record's server line is the state its rows were synced to:
       * whether the server lost any of those messages since (the move
       * pre-pass's sources) */
      if (then_end != NULL)
        {
          g_autofree char *recorded = g_strndup (then, then_end - then);

          r->remote_kept_all = _mailsync_folder_stamp_kept_all (r->remote, recorded, remote);
        }
    }
  if (key == NULL || strcmp (key, saved) != 0)
    {
      g_debug ("%s: changed since the last sync: listing both sides", r->folder_label);
      if (!r->config->dry_run)
        _mailsync_unchanged_forget (path);
      return TRUE;
    }

  *skipped = TRUE;
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, NULL, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL,
        "folder unchanged since the last sync (server state, Maildir directories, status): skipped");
  if (r->config->quick)
    {
      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED, NULL, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL,
            "not changed");
      return TRUE;
    }
  /* What a no-op's full path says, with the counts it would find. */
  if (_mailsync_sync_shows_listing (r->local))
    {
      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_LIST_LOADING, r->local, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL,
            NULL);
      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_LIST_LOADED, r->local, MAILSYNC_DIRECTION_NONE, 0, n_local, n_local,
            NULL, NULL, NULL);
    }
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_LIST_LOADING, r->remote, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, NULL);
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_LIST_LOADED, r->remote, MAILSYNC_DIRECTION_NONE, 0, n_remote, n_remote,
        NULL, NULL, NULL);
  if (!r->config->dry_run)
    {
      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES, r->local, MAILSYNC_DIRECTION_TO_LOCAL, 0, 0, 0,
            NULL, NULL, NULL);
      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES, r->remote, MAILSYNC_DIRECTION_TO_REMOTE, 0, 0, 0,
            NULL, NULL, NULL);
    }
  return TRUE;
}

/* Flag and keyword changes this run sends to the server (the flag and
 * keyword passes on the remote, before their STOREs): @flags, the UIDs
 * of @todo's actions that change flags, whose listed flags are then not
 * the server's (listed_in_status). */
void
_mailsync_sync_note_remote_stores (Runner *r, GPtrArray *todo, gboolean flags)
{
  r->remote_stores = TRUE;
  for (guint i = 0; flags && i < todo->len; i++)
    {
      MailsyncAction *action = todo->pdata[i];

      if (*action->add == '\0' && *action->remove == '\0')
        continue;
      if (r->remote_flagged == NULL)
        r->remote_flagged = g_hash_table_new (NULL, NULL);
      g_hash_table_add (r->remote_flagged, GUINT_TO_POINTER (action->uid));
    }
}

/* One listed message (@uid, @flags) is in the status under the same
 * flags, and was not seen before (@seen: NULL for the unchanged rows,
 * whose UIDs are distinct and none in the infos). @letters: the flags'
 * letters by MailsyncFlags (5 bits), made when first asked. A message
 * whose flags this run stored on the server (remote_flagged) has the
 * status row's flags there now: its row must only hold system flags,
 * as any listed message's. */
static gboolean
listed_in_status (Runner *r, GHashTable *seen, char **letters, guint32 uid, MailsyncFlags flags)
{
  const MailsyncStatusRecord *row = _mailsync_status_table_lookup (r->status_rows, uid);
  guint i;

  G_STATIC_ASSERT ((MAILSYNC_FLAG_DRAFT << 1) == 32);
  if (uid == 0 || row == NULL || (seen != NULL && !g_hash_table_add (seen, GUINT_TO_POINTER (uid))))
    return FALSE;
  if (r->remote_flagged != NULL && g_hash_table_contains (r->remote_flagged, GUINT_TO_POINTER (uid)))
    flags = mailsync_flags_from_maildir (row->flags);
  i = flags & 31;
  if (letters[i] == NULL)
    letters[i] = mailsync_flags_to_maildir (i);
  return g_strcmp0 (letters[i], row->flags) == 0;
}

/* Every message of the remote listing (its infos and its unchanged rows)
 * is in the status under the same flags, and the status holds nothing
 * else. */
static gboolean
listing_is_status (Runner *r)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  char *letters[32] = { NULL };
  gboolean same = _mailsync_sync_remote_count (r) == _mailsync_status_table_size (r->status_rows);

  for (guint i = 0; same && i < r->remote_list->len; i++)
    {
      MailsyncMessageInfo *info = r->remote_list->pdata[i];

      same = listed_in_status (r, seen, letters, mailsync_message_info_get_uid (info),
                               mailsync_message_info_get_flags (info));
    }
  for (guint i = 0; same && r->remote_unchanged != NULL && i < r->remote_unchanged->len; i++)
    {
      const _MailsyncFolderListed *row = &g_array_index (r->remote_unchanged, _MailsyncFolderListed, i);

      same = listed_in_status (r, NULL, letters, row->uid, row->flags);
    }
  for (guint i = 0; i < G_N_ELEMENTS (letters); i++)
    g_free (letters[i]);
  return same;
}

/* After a run that completed with nothing skipped, and whose status is
 * committed (durable): queue the folder on config->unchanged, to be
 * recorded once the account's folders are done
 * (mailsync_sync_runner_record_unchanged). Only when the server is as it
 * was listed (this run changed nothing there: the record keeps the
 * listing's SELECT state), or as it was listed plus this run's own flag
 * and keyword STOREs, proven the only changes since the listing (the
 * record keeps the state they left: _mailsync_folder_dup_own_stamp).
 * Whether the Maildir is the status is verified
 * then, by a scan of the file names (no stat(), no listing) against a
 * digest of the status rows taken now: by then the directories' last
 * change is usually older than their time stamps' granularity (the
 * same-tick race, mailsync-sync-unchanged.c), so no folder waits for it. */
void
_mailsync_sync_record_unchanged (Runner *r)
{
  g_autofree char *remote_stamp = NULL;
  MailsyncUnchangedPending *pending;
  const MailsyncStatusRecord *row;
  guint at = 0;

  if (r->config->unchanged == NULL || r->config->dry_run || r->incomplete || !unchanged_applies (r))
    return;
  remote_stamp = r->remote_stores ? _mailsync_folder_dup_own_stamp (r->remote)
                                  : mailsync_folder_dup_listing_stamp (r->remote);
  if (remote_stamp == NULL || r->remote_list == NULL || !listing_is_status (r))
    return;
  pending = _mailsync_unchanged_pending_new (r->config->status, r->status_name, remote_stamp,
                                             _mailsync_folder_get_directory (r->local), r->local,
                                             _mailsync_status_table_size (r->status_rows), _mailsync_sync_remote_count (r));
  if (pending == NULL)
    return;
  while (_mailsync_status_table_next (r->status_rows, &at, &row))
    _mailsync_unchanged_pending_add_row (pending, row->uid, row->flags);
  _mailsync_sync_config_lock (r->config);
  g_ptr_array_add (r->config->unchanged, pending);
  _mailsync_sync_config_unlock (r->config);
}

GPtrArray *
mailsync_sync_runner_unchanged_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) _mailsync_unchanged_pending_free);
}

void
mailsync_sync_runner_record_unchanged (const MailsyncRunnerConfig *config)
{
  if (config->unchanged == NULL)
    return;
  _mailsync_unchanged_record_pending (config->unchanged);
  g_ptr_array_set_size (config->unchanged, 0);
}
