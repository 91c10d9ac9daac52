/* Delivery of new messages into a Maildir folder through tmp/
 * (append_message), and the removal of tmp/ leftovers of killed
 * deliveries. */
#include "config.h"

#include "mailsync-maildir-folder-private.h"
#include "mailsync-maildir-delivery.h"
#include "mailsync-maildir-keywords.h"
#include "mailsync-maildir-filename.h"
#include "mailsync-error.h"
#include "mailsync-folder-engine-private.h"
#include "mailsync-message-info.h"
#include "mailsync-private.h"
#include "mailsync-task-returns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>

/* The Maildir rule for leftovers of interrupted deliveries in tmp/. */
#define TMP_MAX_AGE (36 * 60 * 60)

/* append_message ------------------------------------------------------------------ */

static char *
letters_for_info (MailsyncMaildirFolder  *self,
                  MailsyncMessageInfo    *info,
                  GStrv                  *keywords_out)
{
  g_autofree char *system = mailsync_flags_to_maildir (mailsync_message_info_get_flags (info));
  const char * const *keywords = mailsync_message_info_get_keywords (info);
  g_autoptr(GStrvBuilder) kept = NULL;
  g_auto(GStrv) not_stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *keyword_letters = NULL;
  g_autofree char *joined = NULL;

  /* Most messages have no keyword: then dovecot-keywords is neither read
   * nor locked (a stat() and the process-wide keywords lock per message,
   * 5% of an initial sync's CPU; issue 13 item 5). */
  if (keywords == NULL || keywords[0] == NULL)
    {
      *keywords_out = g_new0 (char *, 1);
      return _mailsync_maildir_flags_sort (system);
    }
  kept = g_strv_builder_new ();
  /* A customflag letter, else one from dovecot-keywords (a new entry if
   * need be). What cannot be stored (27 keywords and more, or the file
   * cannot be written) is left out of the returned info, from which the
   * caller's status is made: the status never records what is not here.
   * offlineimap drops every keyword without a customflag letter. */
  keyword_letters = _mailsync_maildir_keywords_to_letters (_mailsync_maildir_folder_get_repo (self), self->path, keywords, TRUE,
                                                           &not_stored, &error);
  if (keyword_letters == NULL)
    {
      /* The file cannot be written: the keywords that have a letter
       * already are stored, the others are left out. The library does
       * not print: the engine warns about each message whose keywords
       * were not all stored (they are missing from the info returned), so
       * the user hears of it once per message; the reason goes to the
       * debug log. */
      g_debug ("%s", error->message);
      keyword_letters = _mailsync_maildir_keywords_to_letters (_mailsync_maildir_folder_get_repo (self), self->path, keywords, FALSE,
                                                               &not_stored, NULL);
    }
  for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
    if (not_stored == NULL || !g_strv_contains ((const char * const *) not_stored, keywords[i]))
      g_strv_builder_add (kept, keywords[i]);
  *keywords_out = g_strv_builder_end (kept);
  joined = g_strconcat (system, keyword_letters ? keyword_letters : "", NULL);
  return _mailsync_maildir_flags_sort (joined);
}

/* A nameless file whose link failed, copied into tmp/<unique> (another
 * name when one is taken); *@tmp_path is set to it. @refused: the link
 * was refused (EPERM, EACCES), and the process stops making nameless
 * files. */
static gboolean
name_refused_anonymous (MailsyncMaildirFolder  *self,
                        int                     fd,
                        gboolean                refused,
                        const char             *name,
                        gboolean                do_fsync,
                        char                  **tmp_path,
                        GError                **error)
{
  for (guint attempt = 0;; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *path = NULL;
      g_autofree char *unique = attempt == 0 ? g_strdup (name) : g_strdup_printf ("%s.%u", name, attempt);

      path = g_build_filename (self->path, "tmp", unique, NULL);
      if (_mailsync_maildir_name_anonymous (fd, refused, path, do_fsync, &local_error))
        {
          g_free (*tmp_path);
          *tmp_path = g_steal_pointer (&path);
          return TRUE;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS) || attempt + 1 >= MAX_NAME_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
}

/* What a delivery stored: the makings of append_message's info. */
typedef struct
{
  char *rel;
  char **keywords;
  char *letters;
  guint64 size;
  gint64 date;
} Delivered;

static void
delivered_clear (Delivered *out)
{
  g_free (out->rel);
  g_strfreev (out->keywords);
  g_free (out->letters);
}

static gboolean
deliver (MailsyncMaildirFolder  *self,
         OpData                 *d,
         guint32                 uid,
         Delivered              *out,
         GCancellable           *cancellable,
         GError                **error)
{
  MailsyncMaildirRepository *repo = _mailsync_maildir_folder_get_repo (self);
  gboolean do_fsync = mailsync_maildir_repository_get_fsync (repo);
  /* Read the options once: they may change while this runs. */
  gboolean utime_from_header = mailsync_maildir_repository_get_utime_from_header (repo);
  gboolean use_mail_timestamp = mailsync_maildir_repository_get_filename_use_mail_timestamp (repo);
  gboolean want_date = utime_from_header || use_mail_timestamp;
  char sep = _mailsync_maildir_folder_info_sep (self);
  /* the repository's: a killed run's files are told by it (its downloads entry) */
  const char *mark = _mailsync_maildir_folder_name_mark (self);
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
  /* The file has no name until it is linked into new/ or cur/. */
  gboolean anonymous = FALSE;

  /* A nameless file in tmp/ (O_TMPFILE), written, fsynced and then linked
   * into new/ or cur/: a killed delivery leaves nothing behind, and the
   * deliveries of a download window running in parallel do not queue on
   * tmp/'s lock (held while a named file's inode is allocated) nor take
   * two directories' locks to rename. */
  if (spool_fd < 0)
    {
      /* g_strconcat, not g_build_filename or printf: this runs for every
       * delivered message (issue 13 item 5) */
      g_autofree char *tmp_dir = g_strconcat (self->path, "/tmp", NULL);

      fd = _mailsync_maildir_open_anonymous (tmp_dir);
      if (fd >= 0)
        {
          anonymous = TRUE;
          tmp_name = _mailsync_maildir_name_build (now, uid, d->md5, letters, sep, mark);
        }
    }
  /* Else tmp/<unique>, created exclusively: never write into someone's file. */
  for (guint attempt = 0; fd < 0; attempt++)
    {
      g_free (tmp_name);
      g_free (tmp_path);
      tmp_name = _mailsync_maildir_name_build (now, uid, d->md5, letters, sep, mark);
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

  if (!adopted &&
      !_mailsync_maildir_copy_to_fd (d->content, d->bytes, mailsync_message_info_get_size (d->info), fd,
                                     tmp_path ? tmp_path : self->path, headers, &size, cancellable, error))
    goto fail;

  if (want_date)
    have_header_date = _mailsync_header_date (headers->str, "Date", &header_date);
  if (utime_from_header && have_header_date)
    mtime = header_date;
  /* A named file's time is set once it has left tmp/, not here: a tmp/
   * file with an old mtime is what a concurrent sync's cleanup takes for a
   * killed delivery's leftover (clean_tmp below) and removes. A nameless
   * one is in no directory: its time is set now, and fsynced with it. */
  if (anonymous && mtime > 0)
    {
      struct timespec times[2];

      times[0].tv_sec = (time_t) mtime;
      times[0].tv_nsec = 0;
      times[1] = times[0];
      if (futimens (fd, times) != 0)
        g_debug ("Cannot set the time of a new message in %s: %s", self->path, g_strerror (errno));
    }
  if (do_fsync && fsync (fd) != 0)
    {
      _mailsync_set_error_from_errno (error, errno, "Cannot fsync", tmp_path ? tmp_path : self->path);
      goto fail;
    }
  if (!anonymous)
    {
      if (close (fd) != 0)
        {
          fd = -1;
          _mailsync_set_error_from_errno (error, errno, "Cannot close", tmp_path);
          goto fail;
        }
      fd = -1;
    }
  _mailsync_crash_point ("maildir-tmp-written");

  /* The final name; with filename-use-mail-timestamp it starts with the
   * Date: (or else Delivery-date:) time, as offlineimap. */
  name_time = now;
  if (use_mail_timestamp)
    {
      if (have_header_date)
        name_time = header_date;
      else if (!_mailsync_header_date (headers->str, "Delivery-date", &name_time))
        name_time = now;
      if (name_time != now)
        {
          g_free (tmp_name);
          tmp_name = _mailsync_maildir_name_build (name_time, uid, d->md5, letters, sep, mark);
        }
    }

  for (guint attempt = 0;; attempt++)
    {
      g_autofree char *dest = NULL;
      g_autoptr(GError) local_error = NULL;

      g_free (rel);
      rel = g_strconcat (sub, "/", tmp_name, NULL);
      dest = g_strconcat (self->path, "/", rel, NULL);
      if (anonymous ? _mailsync_maildir_link_anonymous (fd, dest, &local_error)
                    : _mailsync_maildir_rename_noreplace (tmp_path, dest, &local_error))
        break;
      if (anonymous && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          /* The link through /proc failed (refused by a sandbox or a
           * security module, or ENOSPC, EIO...): this message is copied
           * into a named tmp/ file and renamed like one; after a refusal
           * the process stops making unnamed ones. One refusal does not
           * fail this message, nor every message after it. */
          g_debug ("%s; delivering through a named tmp/ file", local_error->message);
          if (!name_refused_anonymous (self, fd,
                                       g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED),
                                       tmp_name, do_fsync, &tmp_path, error))
            goto fail;
          close (fd);
          fd = -1;
          anonymous = FALSE;
          g_clear_error (&local_error);
          if (_mailsync_maildir_rename_noreplace (tmp_path, dest, &local_error))
            break;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS) ||
          attempt + 1 >= MAX_NAME_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail;
        }
      g_free (tmp_name);
      tmp_name = _mailsync_maildir_name_build (name_time, uid, d->md5, letters, sep, mark);
    }
  if (anonymous)
    {
      /* written and fsynced: a failing close loses nothing */
      if (close (fd) != 0)
        g_debug ("Cannot close %s/%s: %s", self->path, rel, g_strerror (errno));
      fd = -1;
    }
  else if (mtime > 0)
    {
      g_autofree char *dest = g_build_filename (self->path, rel, NULL);
      struct timespec times[2];

      times[0].tv_sec = (time_t) mtime;
      times[0].tv_nsec = 0;
      times[1] = times[0];
      /* The message is stored: failing now would have it fetched again
       * beside this copy. A MUA that renamed the file already (ENOENT)
       * or a crash before this line (the time is not fsynced) costs only
       * the file's time. */
      if (utimensat (AT_FDCWD, dest, times, AT_SYMLINK_NOFOLLOW) != 0)
        g_debug ("Cannot set the time of %s: %s", dest, g_strerror (errno));
    }
  _mailsync_crash_point ("maildir-delivered");

  /* The directory is fsynced once per batch by flush(), not per message. */
  _mailsync_maildir_folder_mark_dirty (self, rel);
  _mailsync_maildir_folder_index_set (self, uid, rel);

  out->rel = g_steal_pointer (&rel);
  out->keywords = g_steal_pointer (&keywords);
  out->letters = g_steal_pointer (&letters);
  out->size = size;
  out->date = mtime > 0 ? mtime : now;
  return TRUE;

fail:
  if (fd >= 0)
    close (fd);
  if (tmp_path != NULL)
    g_unlink (tmp_path);
  return FALSE;
}

static void op_data_free_internal (OpData *d);

/* An engine delivery's answer, on its context. */
static void
delivery_done (gpointer data)
{
  OpData *d = data;
  _MailsyncFolderDelivery *delivery = d->delivery;

  /* the folder may go with this: nothing of it is touched after */
  g_clear_object (&d->folder);
  d->delivery = NULL;
  op_data_free_internal (d);
  delivery->done (delivery);
}

/* An engine delivery's answer that never ran: its context went first
 * (_mailsync_call_batched's destroy notify). The delivery is the
 * engine's (no one left to answer): only what this folder holds goes. */
static void
delivery_dropped (gpointer data)
{
  OpData *d = data;

  d->delivery = NULL;
  op_data_free_internal (d);
}

/* One delivery, on a delivery worker's thread; its task (or the engine's
 * delivery) is returned with the others that end before its caller's
 * context runs. */
static void
deliver_one (MailsyncMaildirFolder *self,
             OpData                *d)
{
  GCancellable *cancellable = d->task != NULL ? g_task_get_cancellable (d->task) : d->delivery->cancellable;
  guint32 uid = mailsync_message_info_get_uid (d->info);
  Delivered out = { 0 };
  GError *error = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, &error) ||
      _mailsync_maildir_folder_readonly_error (self, &error))
    goto fail;

  if (uid == 0)
    {
      /* A Maildir keeps the other side's UIDs; only in assign-uids mode
       * does it make up its own. Storing a message without any UID would
       * list it as new local mail and upload it back: a duplicate. */
      if (!mailsync_maildir_repository_get_assign_uids (_mailsync_maildir_folder_get_repo (self)))
        {
          g_set_error (&error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                       "Maildir folder %s stores the other side's UIDs; "
                       "cannot append a message without a UID", self->path);
          goto fail;
        }
      if (!_mailsync_maildir_folder_allocate_uids (self, 1, 1, &uid, &error))
        goto fail;
    }

  if (!deliver (self, d, uid, &out, cancellable, &error))
    goto fail;
  if (d->task != NULL)
    {
      MailsyncMessageInfo *result =
        mailsync_message_info_new (uid, out.rel, mailsync_flags_from_maildir (out.letters),
                                   (const char * const *) out.keywords, out.size, out.date);

      delivered_clear (&out);
      _mailsync_task_return_pointer_batched (&self->append_returns, d->task, result, g_object_unref);
      return;
    }
  d->delivery->key = g_steal_pointer (&out.rel);
  d->delivery->keywords = g_steal_pointer (&out.keywords);
  delivered_clear (&out);
  _mailsync_call_batched (&self->append_returns, d->delivery->context, delivery_done, d, delivery_dropped);
  return;

fail:
  if (d->task != NULL)
    {
      _mailsync_task_return_error_batched (&self->append_returns, d->task, error);
      return;
    }
  d->delivery->error = error;
  _mailsync_call_batched (&self->append_returns, d->delivery->context, delivery_done, d, delivery_dropped);
}

/* Deliveries run on a pool of their own rather than GTask's: GTask
 * returns each task from its thread with an idle source and a wake-up of
 * the caller's context, and the engine's download window sends one
 * delivery per message. Here the returns are batched (issue 13 item 5).
 *
 * A folder's deliveries wait in its queue; a worker (one job of the pool)
 * takes them one after the other until the queue is empty, so a burst of
 * deliveries costs one wake-up of a pool thread, not one each (session
 * 16): the engine holds the deliveries it asks while it dispatches the
 * fetch answers one wait brought (hold_deliveries), and a burst starts
 * one worker. Each file is still fsynced before its name exists, in the
 * worker that writes it; so that the fsyncs of a real disk (milliseconds
 * each) overlap as before, a folder gets another worker when a burst
 * finds more deliveries waiting than DELIVERY_BACKLOG per worker, up to
 * DELIVERY_THREADS. On a fast file system one worker keeps up and the
 * queue rarely grows. */
#define DELIVERY_THREADS 10
#define DELIVERY_BACKLOG 1
/* A worker gives its pool thread back after this many deliveries when
 * more wait: the pool is the process's, and with maxconnections > 1 a
 * folder fed as fast as a slow disk writes would otherwise keep every
 * thread until its download ends while another folder's first delivery
 * waits in the pool's queue (review 1, session 16). The worker goes to
 * the back of that queue still counted, so the folder keeps its share. */
#define DELIVERY_TURN 32

static GThreadPool *delivery_pool (void);

static void
delivery_worker (gpointer data,
                 gpointer unused)
{
  g_autoptr(MailsyncMaildirFolder) self = data;
  guint delivered = 0;

  for (;;)
    {
      OpData *d;
      GTask *task;

      g_mutex_lock (&self->lock);
      if (delivered == DELIVERY_TURN && self->deliveries.length > 0)
        {
          g_mutex_unlock (&self->lock);
          g_thread_pool_push (delivery_pool (), g_steal_pointer (&self), NULL);
          return;
        }
      d = g_queue_pop_head (&self->deliveries);
      if (d == NULL)
        self->delivery_workers--;
      g_mutex_unlock (&self->lock);
      if (d == NULL)
        break;
      /* the queue's reference: the task owns @d */
      task = d->task;
      deliver_one (self, d);
      g_clear_object (&task);
      delivered++;
    }
}

static GThreadPool *
delivery_pool (void)
{
  static GThreadPool *pool;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      pool = g_thread_pool_new (delivery_worker, NULL, DELIVERY_THREADS, FALSE, NULL);
      g_once_init_leave (&initialized, 1);
    }
  return pool;
}

/* Whether the deliveries waiting need one more worker; counts it. Under
 * the folder's lock. The caller pushes the worker (a reference to the
 * folder) to the pool. */
static gboolean
start_worker_locked (MailsyncMaildirFolder *self)
{
  if (self->deliveries_held || self->deliveries.length == 0 ||
      self->delivery_workers >= DELIVERY_THREADS ||
      (self->delivery_workers > 0 && self->deliveries.length <= DELIVERY_BACKLOG * self->delivery_workers))
    return FALSE;
  self->delivery_workers++;
  return TRUE;
}

static void
op_data_free_internal (OpData *d)
{
  g_free (d->md5);
  g_clear_object (&d->info);
  g_clear_object (&d->content);
  g_clear_pointer (&d->bytes, g_bytes_unref);
  g_clear_object (&d->folder);
  g_free (d);
}

static void
queue_delivery (MailsyncMaildirFolder *self, OpData *d)
{
  gboolean start;

  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->deliveries, d);
  start = start_worker_locked (self);
  g_mutex_unlock (&self->lock);
  if (start)
    g_thread_pool_push (delivery_pool (), g_object_ref (self), NULL);
}

void
_mailsync_maildir_folder_append_message_async (MailsyncFolder      *folder,
                                               MailsyncMessageInfo *info,
                                               GInputStream        *content,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  OpData *d;
  GTask *task = _mailsync_maildir_folder_op_task_new (self, _mailsync_maildir_folder_append_message_async,
                                                      cancellable, callback, user_data, &d);

  d->info = g_object_ref (info);
  d->content = g_object_ref (content);
  /* the queue owns the task's reference; the task holds the folder */
  d->task = task;
  queue_delivery (self, d);
}

/* The engine's downloads: append_message without its task, its content
 * stream or its result info (mailsync-folder-engine-private.h; issue 13
 * item 5, session 19). The same queue, workers and durability; the
 * answer goes back batched with the tasks' (delivery_done). */
void
_mailsync_maildir_folder_deliver (MailsyncFolder          *folder,
                                  _MailsyncFolderDelivery *delivery)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  OpData *d = g_new0 (OpData, 1);

  d->md5 = _mailsync_maildir_folder_dup_md5 (self);
  d->info = g_object_ref (delivery->info);
  d->bytes = delivery->bytes != NULL ? g_bytes_ref (delivery->bytes) : NULL;
  d->content = delivery->bytes == NULL && delivery->stream != NULL ? g_object_ref (delivery->stream) : NULL;
  d->delivery = delivery;
  /* until the answer has run: the batch of answers is the folder's */
  d->folder = g_object_ref (self);
  queue_delivery (self, d);
}

void
_mailsync_maildir_folder_hold_deliveries (MailsyncFolder *folder,
                                          gboolean        hold)
{
  MailsyncMaildirFolder *self = MAILSYNC_MAILDIR_FOLDER (folder);
  gboolean start;

  g_mutex_lock (&self->lock);
  self->deliveries_held = hold;
  start = start_worker_locked (self);
  g_mutex_unlock (&self->lock);
  if (start)
    g_thread_pool_push (delivery_pool (), g_object_ref (self), NULL);
}

/* The Maildir rule: a file in tmp/ not touched for 36 hours is what a
 * killed delivery left. Only regular files directly in tmp/, never a
 * directory or a symlink (nor its target), by mtime: the ctime of a file
 * cannot be set back, so it would keep a restored or copied Maildir's
 * leftovers forever. Our own deliveries set the message's date as mtime
 * only after the rename out of tmp/ (deliver() above), so a file of a
 * delivery in progress is always younger than 36 hours. Failures are not
 * errors of the sync: the files are only garbage. */
void
_mailsync_maildir_folder_clean_tmp (MailsyncMaildirFolder *self,
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
