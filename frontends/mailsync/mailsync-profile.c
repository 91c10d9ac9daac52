/* mailsync-profile.c: -P, a cost report a C programmer can use.
 *
 * offlineimap writes cProfile dumps, useless for a C program; perf and
 * valgrind do call graphs better than we could.  What they cannot tell is
 * where a sync spends its time in terms the user understands: which
 * phase, which folder, how many messages moved.  -P implies -1, so the
 * process CPU times of getrusage() belong to the one account running. */
#include "config.h"

#include "mailsync-profile.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/resource.h>

typedef struct
{
  guint iteration;
  char *kind;   /* "phase" or "folder" */
  char *name;
  gint64 wall_us;
  gint64 user_us;
  gint64 sys_us;
  guint copied_to_local;
  guint copied_to_remote;
  guint deleted_local;
  guint deleted_remote;
  guint flags_added;
  guint flags_removed;
  guint errors;
  gboolean open;
  gint64 start_wall;
  gint64 start_user;
  gint64 start_sys;
} Row;

struct _MailsyncProfile
{
  char *account;
  GDateTime *started;
  guint iteration;
  GPtrArray *rows;
  Row *phase;    /* open phase row, if any */
  Row *folder;   /* open folder row, if any */
  MailsyncAccount *account_object; /* for the IMAP counters, or NULL */
};

static void
row_free (gpointer data)
{
  Row *row = data;

  g_free (row->kind);
  g_free (row->name);
  g_free (row);
}

static void
cpu_now (gint64 *user_us, gint64 *sys_us)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  *user_us = (gint64) ru.ru_utime.tv_sec * G_USEC_PER_SEC + ru.ru_utime.tv_usec;
  *sys_us = (gint64) ru.ru_stime.tv_sec * G_USEC_PER_SEC + ru.ru_stime.tv_usec;
}

MailsyncProfile *
mailsync_profile_new (const char *account)
{
  MailsyncProfile *self = g_new0 (MailsyncProfile, 1);

  self->account = g_strdup (account);
  self->started = g_date_time_new_now_local ();
  self->rows = g_ptr_array_new_with_free_func (row_free);
  return self;
}

void
mailsync_profile_free (MailsyncProfile *self)
{
  if (self == NULL)
    return;
  g_free (self->account);
  g_date_time_unref (self->started);
  g_ptr_array_unref (self->rows);
  g_clear_object (&self->account_object);
  g_free (self);
}

static Row *
row_open (MailsyncProfile *self, const char *kind, const char *name)
{
  Row *row = g_new0 (Row, 1);

  row->iteration = self->iteration;
  row->kind = g_strdup (kind);
  row->name = g_strdup (name ? name : "");
  row->open = TRUE;
  row->start_wall = g_get_monotonic_time ();
  cpu_now (&row->start_user, &row->start_sys);
  g_ptr_array_add (self->rows, row);
  return row;
}

static void
row_close (Row *row)
{
  gint64 user, sys;

  if (row == NULL || !row->open)
    return;
  cpu_now (&user, &sys);
  row->wall_us = g_get_monotonic_time () - row->start_wall;
  row->user_us = user - row->start_user;
  row->sys_us = sys - row->start_sys;
  row->open = FALSE;
}

/**
 * mailsync_profile_phase_begin:
 * @self: a profile
 * @phase: the phase name ("presynchook", "sync", "postsynchook", ...)
 *
 * Starts timing a frontend phase; "sync" starts a new iteration.
 */
void
mailsync_profile_phase_begin (MailsyncProfile *self, const char *phase)
{
  mailsync_profile_phase_end (self);
  if (g_strcmp0 (phase, "presynchook") == 0 || (g_strcmp0 (phase, "sync") == 0 && self->iteration == 0))
    self->iteration++;
  self->phase = row_open (self, "phase", phase);
}

void
mailsync_profile_phase_end (MailsyncProfile *self)
{
  row_close (self->phase);
  self->phase = NULL;
}

static Row *
current (MailsyncProfile *self)
{
  return self->folder ? self->folder : self->phase;
}

/**
 * mailsync_profile_event:
 * @self: a profile
 * @event: an event of the account
 *
 * Splits the library's sync into the phases its events delimit and
 * counts what moved.
 */
void
mailsync_profile_event (MailsyncProfile *self, MailsyncSyncEvent *event)
{
  Row *row;
  guint n;

  switch (mailsync_sync_event_get_kind (event))
    {
    case MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED:
      mailsync_profile_phase_begin (self, "connect+list");
      return;
    case MAILSYNC_SYNC_EVENT_SYNC_FOLDERS:
      mailsync_profile_phase_begin (self, "folder-structure");
      return;
    case MAILSYNC_SYNC_EVENT_FOLDER_STARTED:
      mailsync_profile_phase_end (self);
      row_close (self->folder);
      self->folder = row_open (self, "folder", mailsync_sync_event_get_folder (event));
      return;
    case MAILSYNC_SYNC_EVENT_FOLDER_FINISHED:
      if (self->folder && mailsync_sync_event_get_error (event) != NULL)
        self->folder->errors++;
      row_close (self->folder);
      self->folder = NULL;
      return;
    case MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED:
      row_close (self->folder);
      self->folder = NULL;
      mailsync_profile_phase_end (self);
      return;
    default:
      break;
    }

  row = current (self);
  if (row == NULL)
    return;
  n = mailsync_sync_event_get_n (event);
  switch (mailsync_sync_event_get_kind (event))
    {
    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
      if (mailsync_sync_event_get_direction (event) == MAILSYNC_DIRECTION_TO_REMOTE)
        row->copied_to_remote++;
      else
        row->copied_to_local++;
      break;
    case MAILSYNC_SYNC_EVENT_MESSAGES_DELETED:
      {
        guint n_uids = 0;

        mailsync_sync_event_get_uids (event, &n_uids);
        if (n_uids == 0)
          n_uids = MAX (n, 1);
        if (mailsync_sync_event_get_direction (event) == MAILSYNC_DIRECTION_TO_REMOTE)
          row->deleted_remote += n_uids;
        else
          row->deleted_local += n_uids;
      }
      break;
    case MAILSYNC_SYNC_EVENT_FLAGS_ADDED:
      row->flags_added += MAX (n, 1);
      break;
    case MAILSYNC_SYNC_EVENT_FLAGS_REMOVED:
      row->flags_removed += MAX (n, 1);
      break;
    case MAILSYNC_SYNC_EVENT_ERROR:
      row->errors++;
      break;
    default:
      break;
    }
}

/**
 * mailsync_profile_write:
 * @self: a profile
 * @dir: the -P directory (must exist)
 * @error: return location for a #GError
 *
 * Returns: %TRUE when DIR/<YYYYmmddHHMMSS>_<account>.prof was written
 */
/**
 * mailsync_profile_set_account:
 * @self: a profile
 * @account: the account it profiles
 *
 * The report then ends with the IMAP traffic of the account's
 * repositories (bytes each way, commands): the round trips and volume
 * that wall time alone does not explain.
 */
void
mailsync_profile_set_account (MailsyncProfile *self, MailsyncAccount *account)
{
  g_set_object (&self->account_object, account);
}

/* The repository's traffic (mailsync_repository_get_statistics(): a
 * mapped repository's is its inner IMAP's); none for a local store */
static void
append_imap_stats (GString *out, MailsyncRepository *repo)
{
  g_autoptr(MailsyncRepositoryStatistics) stats = mailsync_repository_get_statistics (repo);

  if (stats == NULL)
    return;
  g_string_append_printf (out, "imap\t%s\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\n",
                          mailsync_repository_get_name (repo),
                          mailsync_repository_statistics_get_bytes_received (stats),
                          mailsync_repository_statistics_get_bytes_sent (stats),
                          mailsync_repository_statistics_get_commands_sent (stats));
}

gboolean
mailsync_profile_write (MailsyncProfile *self, const char *dir, GError **error)
{
  g_autoptr(GString) out = g_string_new ("# mailsync profile 1\n");
  g_autofree char *stamp = g_date_time_format (self->started, "%Y%m%d%H%M%S");
  g_autofree char *iso = g_date_time_format_iso8601 (self->started);
  g_autofree char *base = g_strdup_printf ("%s_%s.prof", stamp, self->account);
  g_autofree char *path = g_build_filename (dir, base, NULL);
  Row total = { 0 };

  row_close (self->folder);
  mailsync_profile_phase_end (self);
  g_string_append_printf (out, "account\t%s\nstarted\t%s\n", self->account, iso);
  g_string_append (out, "#kind\titeration\tname\twall_ms\tuser_ms\tsys_ms\tcopied_to_local\tcopied_to_remote"
                        "\tdeleted_local\tdeleted_remote\tflags_added\tflags_removed\terrors\n");
  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *r = self->rows->pdata[i];

      g_string_append_printf (out, "%s\t%u\t%s\t%.3f\t%.3f\t%.3f\t%u\t%u\t%u\t%u\t%u\t%u\t%u\n",
                              r->kind, r->iteration, r->name, r->wall_us / 1000.0, r->user_us / 1000.0,
                              r->sys_us / 1000.0, r->copied_to_local, r->copied_to_remote, r->deleted_local,
                              r->deleted_remote, r->flags_added, r->flags_removed, r->errors);
      /* phases and folders do not overlap, so their sums are the totals */
      total.wall_us += r->wall_us;
      total.user_us += r->user_us;
      total.sys_us += r->sys_us;
      total.copied_to_local += r->copied_to_local;
      total.copied_to_remote += r->copied_to_remote;
      total.deleted_local += r->deleted_local;
      total.deleted_remote += r->deleted_remote;
      total.flags_added += r->flags_added;
      total.flags_removed += r->flags_removed;
      total.errors += r->errors;
    }
  g_string_append_printf (out, "total\t%u\t\t%.3f\t%.3f\t%.3f\t%u\t%u\t%u\t%u\t%u\t%u\t%u\n", self->iteration,
                          total.wall_us / 1000.0, total.user_us / 1000.0, total.sys_us / 1000.0,
                          total.copied_to_local, total.copied_to_remote, total.deleted_local,
                          total.deleted_remote, total.flags_added, total.flags_removed, total.errors);
  if (self->account_object != NULL)
    {
      g_string_append (out, "#imap\trepository\tbytes_read\tbytes_written\tcommands\n");
      append_imap_stats (out, mailsync_account_get_remote (self->account_object));
      append_imap_stats (out, mailsync_account_get_local (self->account_object));
    }
  return g_file_set_contents (path, out->str, out->len, error);
}
