/* ttyui: offlineimap's default UI, on stderr.  A line "THREAD:" is written
 * whenever the emitting thread changes and the messages of that thread
 * follow indented by one space; MainThread messages are never prefixed.
 *
 * On a terminal it adds what offlineimap lacks: a status line at the
 * bottom, redrawn in place, with the progress of each folder being copied
 * and of each account's sync: folders, messages and bytes done of those
 * planned so far, the byte rate and an ETA, from the running totals every
 * library event carries (MailsyncSyncEvent's progress getters).  The log
 * lines scroll above it, so a pipe or a log file sees exactly offlineimap's
 * lines. */
#include "config.h"
#include "mailsync-ui-ttyui.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

typedef struct
{
  char *folder;
  guint done;           /* messages copied in the folder, both directions */
  guint total;          /* messages its plan copies */
} FolderProgress;

typedef struct
{
  guint folder_n;       /* folder-started's n of total (an upper bound) */
  guint folder_total;
  guint messages_done;  /* the account sync's running totals */
  guint messages_total;
  guint64 bytes_done;
  guint64 bytes_total;
  gint64 started;       /* monotonic time of its first folder */
} AccountProgress;

struct _MailsyncUiTtyui
{
  MailsyncUi parent_instance;

  char *last_thread;
  gboolean status_shown;
  GHashTable *folders;  /* folder thread -> FolderProgress */
  GHashTable *accounts; /* account name -> AccountProgress */
  gboolean in_event;    /* the event draws the status once, at its end */
};

G_DEFINE_FINAL_TYPE (MailsyncUiTtyui, mailsync_ui_ttyui, MAILSYNC_TYPE_UI)

static void
folder_progress_free (FolderProgress *p)
{
  g_free (p->folder);
  g_free (p);
}

static gboolean
on_terminal (MailsyncUi *ui)
{
  FILE *out = mailsync_ui_get_output (ui);

  return out != NULL && isatty (fileno (out));
}

static guint
terminal_width (FILE *out)
{
  struct winsize ws;

  if (ioctl (fileno (out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

static void
clear_status (MailsyncUiTtyui *self)
{
  FILE *out = mailsync_ui_get_output (MAILSYNC_UI (self));

  if (self->status_shown && out != NULL)
    {
      fputs ("\r\033[K", out);
      fflush (out);
    }
  self->status_shown = FALSE;
}

static void
format_duration (GString *s, guint64 secs)
{
  if (secs >= 3600)
    g_string_append_printf (s, "%u:%02u:%02u", (guint) (secs / 3600), (guint) (secs / 60 % 60), (guint) (secs % 60));
  else
    g_string_append_printf (s, "%u:%02u", (guint) (secs / 60), (guint) (secs % 60));
}

/* g_format_size() with a plain space: GLib puts U+00A0 before the unit,
 * which a log or a pipe reader does not expect in one line of ASCII. */
static char *
format_size (guint64 bytes)
{
  g_autofree char *shown = g_format_size (bytes);
  g_auto(GStrv) parts = g_strsplit (shown, "\u00a0", -1);

  return g_strjoinv (" ", parts);
}

/* "Test 1/2: 13/605 msgs, 1.2 MB/4.5 MB, 350.0 kB/s, ETA 0:12": folders
 * taken up of those the sync will look at, then messages and bytes. The
 * totals grow as folders are planned, so the ETA is that of the work known
 * so far, which "1/2" qualifies. */
static void
format_account (GString *s, const char *name, const AccountProgress *a)
{
  double elapsed = (g_get_monotonic_time () - a->started) / (double) G_USEC_PER_SEC;
  g_autofree char *done = format_size (a->bytes_done);
  g_autofree char *total = format_size (a->bytes_total);

  g_string_append_printf (s, "%s %u/%u: %u/%u msgs, %s/%s", name, a->folder_n, a->folder_total,
                          a->messages_done, a->messages_total, done, total);
  if (elapsed <= 0)
    return;
  if (a->bytes_total > 0 && a->bytes_done > 0)
    {
      double rate = a->bytes_done / elapsed;
      g_autofree char *shown = format_size ((guint64) (rate + 0.5));

      g_string_append_printf (s, ", %s/s, ETA ", shown);
      format_duration (s, (guint64) ((a->bytes_total - MIN (a->bytes_done, a->bytes_total)) / rate + 0.5));
    }
  else if (a->messages_done > 0)
    {
      /* sizes unknown (a source that lists none): by messages */
      double rate = a->messages_done / elapsed;

      g_string_append_printf (s, ", %.1f msg/s, ETA ", rate);
      format_duration (s, (guint64) ((a->messages_total - MIN (a->messages_done, a->messages_total)) / rate + 0.5));
    }
}

static void
draw_status (MailsyncUiTtyui *self)
{
  MailsyncUi *ui = MAILSYNC_UI (self);
  FILE *out = mailsync_ui_get_output (ui);
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GString) accounts = g_string_new (NULL);
  g_autoptr(GList) keys = NULL;
  guint width, chars, shown = 0;

  if (out == NULL || !on_terminal (ui) || g_hash_table_size (self->accounts) == 0)
    return;
  keys = g_list_sort (g_hash_table_get_keys (self->accounts), (GCompareFunc) strcmp);
  for (GList *l = keys; l; l = l->next)
    {
      AccountProgress *a = g_hash_table_lookup (self->accounts, l->data);

      /* an account with nothing to copy (yet) has no progress to show */
      if (a->messages_total == 0)
        continue;
      if (shown++ > 0)
        g_string_append (accounts, " | ");
      format_account (accounts, l->data, a);
    }
  if (shown == 0)
    return;
  g_clear_pointer (&keys, g_list_free);

  /* Wider than the terminal would wrap and break the in-place redraw: the
   * folders go first, then the end of the accounts' part. */
  width = terminal_width (out);
  chars = g_utf8_strlen (accounts->str, -1);
  keys = g_list_sort (g_hash_table_get_keys (self->folders), (GCompareFunc) strcmp);
  for (GList *l = keys; l; l = l->next)
    {
      FolderProgress *p = g_hash_table_lookup (self->folders, l->data);
      g_autofree char *folder = g_strdup_printf ("[%s %u/%u] ", p->folder, p->done, p->total);
      guint len = g_utf8_strlen (folder, -1);

      if (chars + len >= width)
        break;
      g_string_append (s, folder);
      chars += len;
    }
  g_string_append (s, accounts->str);
  if (chars >= width)
    g_string_truncate (s, g_utf8_offset_to_pointer (s->str, width - 1) - s->str);
  fputs ("\r\033[K", out);
  fputs (s->str, out);
  fflush (out);
  self->status_shown = TRUE;
}

static void
mailsync_ui_ttyui_render (MailsyncUi *ui, const MailsyncUiLine *line)
{
  MailsyncUiTtyui *self = MAILSYNC_UI_TTYUI (ui);
  FILE *out = mailsync_ui_get_output (ui);

  if (line->text == NULL || out == NULL || !mailsync_ui_wants (ui, line->level))
    return;
  clear_status (self);
  if (strcmp (line->thread, "MainThread") == 0)
    fprintf (out, "%s\n", line->text);
  else if (g_strcmp0 (line->thread, self->last_thread) != 0)
    {
      g_free (self->last_thread);
      self->last_thread = g_strdup (line->thread);
      fprintf (out, "%s:\n %s\n", line->thread, line->text);
    }
  else
    fprintf (out, " %s\n", line->text);
  fflush (out);
  if (!self->in_event)
    draw_status (self);
}

/* Takes the running totals of @event into the status line's tables. */
static void
track_progress (MailsyncUiTtyui *self, MailsyncSyncEvent *event, const char *thread)
{
  MailsyncSyncEventKind kind = mailsync_sync_event_get_kind (event);
  const char *account = mailsync_sync_event_get_account (event);
  AccountProgress *a;
  FolderProgress *p;

  if (account == NULL)
    return;
  if (kind == MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED)
    {
      g_hash_table_remove (self->accounts, account);
      return;
    }
  if (kind != MAILSYNC_SYNC_EVENT_FOLDER_STARTED && kind != MAILSYNC_SYNC_EVENT_FOLDER_PLANNED
      && kind != MAILSYNC_SYNC_EVENT_MESSAGE_COPIED && kind != MAILSYNC_SYNC_EVENT_FOLDER_FINISHED)
    return;
  a = g_hash_table_lookup (self->accounts, account);
  if (a == NULL)
    {
      /* The rate counts from the first folder: listing is part of it. */
      a = g_new0 (AccountProgress, 1);
      a->started = g_get_monotonic_time ();
      g_hash_table_replace (self->accounts, g_strdup (account), a);
    }
  a->messages_done = mailsync_sync_event_get_account_messages_done (event);
  a->messages_total = mailsync_sync_event_get_account_messages_total (event);
  a->bytes_done = mailsync_sync_event_get_account_bytes_done (event);
  a->bytes_total = mailsync_sync_event_get_account_bytes_total (event);
  if (kind == MAILSYNC_SYNC_EVENT_FOLDER_STARTED)
    {
      a->folder_n = mailsync_sync_event_get_n (event);
      a->folder_total = mailsync_sync_event_get_total (event);
    }
  if (kind == MAILSYNC_SYNC_EVENT_FOLDER_FINISHED)
    {
      g_hash_table_remove (self->folders, thread);
      return;
    }
  /* a folder shows once its plan copies something */
  if (mailsync_sync_event_get_folder_messages_total (event) == 0)
    return;
  p = g_hash_table_lookup (self->folders, thread);
  if (p == NULL)
    {
      p = g_new0 (FolderProgress, 1);
      p->folder = mailsync_ui_printable (mailsync_sync_event_get_folder (event));
      g_hash_table_replace (self->folders, g_strdup (thread), p);
    }
  p->done = mailsync_sync_event_get_folder_messages_done (event);
  p->total = mailsync_sync_event_get_folder_messages_total (event);
}

static void
mailsync_ui_ttyui_event (MailsyncUi *ui, MailsyncSyncEvent *event)
{
  MailsyncUiTtyui *self = MAILSYNC_UI_TTYUI (ui);
  g_autofree char *thread = mailsync_ui_folder_thread (mailsync_sync_event_get_folder (event),
                                                       mailsync_sync_event_get_account (event));

  /* Before the lines of the event: "*** Finished account" must not be
   * followed by a status line of that account. */
  track_progress (self, event, thread);
  self->in_event = TRUE;
  MAILSYNC_UI_CLASS (mailsync_ui_ttyui_parent_class)->event (ui, event);
  self->in_event = FALSE;
  clear_status (self);
  draw_status (self);
}

static void
mailsync_ui_ttyui_sleeping (MailsyncUi *ui, const char *account, guint slice, guint remaining)
{
  g_autofree char *thread = mailsync_ui_account_thread (account);
  g_autofree char *text = NULL;

  /* Unlike basic, ttyui shows this at INFO (offlineimap's TTY.sleeping). */
  if (slice > 0 && remaining / 60 != (remaining - MIN (slice, remaining)) / 60)
    {
      MailsyncUiLine line = { MAILSYNC_UI_LEVEL_INFO, MAILSYNC_UI_LEVEL_INFO, thread, "sleeping", NULL, NULL };

      text = g_strdup_printf ("Next refresh in %.1f minutes", remaining / 60.0);
      line.text = text;
      mailsync_ui_render (ui, &line);
    }
}

static char *
mailsync_ui_ttyui_ask_password (MailsyncUi *ui, const char *account, const char *user)
{
  MailsyncUiTtyui *self = MAILSYNC_UI_TTYUI (ui);
  g_autoptr(GString) password = g_string_new (NULL);
  struct termios saved, quiet;
  gboolean restore;
  char c;
  int fd;

  /* As Python's getpass: the terminal itself, not stdin/stderr, which
   * may be redirected; no echo. */
  fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  clear_status (self);
  {
    g_autofree char *prompt = g_strdup_printf ("Enter password for user '%s': ", user ? user : "");
    if (write (fd, prompt, strlen (prompt)) < 0)
      {
        close (fd);
        return NULL;
      }
  }
  restore = tcgetattr (fd, &saved) == 0;
  if (restore)
    {
      quiet = saved;
      quiet.c_lflag &= ~(ECHO | ECHONL);
      quiet.c_lflag |= ICANON;
      tcsetattr (fd, TCSAFLUSH, &quiet);
    }
  for (;;)
    {
      ssize_t n = read (fd, &c, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || c == '\n')
        break;
      g_string_append_c (password, c);
    }
  if (restore)
    tcsetattr (fd, TCSAFLUSH, &saved);
  if (write (fd, "\n", 1) < 0)
    { /* nothing to do: the prompt line stays open */ }
  close (fd);
  return g_string_free (g_steal_pointer (&password), FALSE);
}

static void
mailsync_ui_ttyui_terminate (MailsyncUi *ui, int status, const char *title, const char *text)
{
  MailsyncUiTtyui *self = MAILSYNC_UI_TTYUI (ui);

  g_hash_table_remove_all (self->folders);
  g_hash_table_remove_all (self->accounts);
  clear_status (self);
  MAILSYNC_UI_CLASS (mailsync_ui_ttyui_parent_class)->terminate (ui, status, title, text);
}

static void
mailsync_ui_ttyui_finalize (GObject *object)
{
  MailsyncUiTtyui *self = MAILSYNC_UI_TTYUI (object);

  clear_status (self);
  g_free (self->last_thread);
  g_hash_table_unref (self->folders);
  g_hash_table_unref (self->accounts);
  G_OBJECT_CLASS (mailsync_ui_ttyui_parent_class)->finalize (object);
}

static void
mailsync_ui_ttyui_class_init (MailsyncUiTtyuiClass *klass)
{
  MailsyncUiClass *ui_class = MAILSYNC_UI_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = mailsync_ui_ttyui_finalize;
  ui_class->render = mailsync_ui_ttyui_render;
  ui_class->event = mailsync_ui_ttyui_event;
  ui_class->sleeping = mailsync_ui_ttyui_sleeping;
  ui_class->ask_password = mailsync_ui_ttyui_ask_password;
  ui_class->terminate = mailsync_ui_ttyui_terminate;
}

static void
mailsync_ui_ttyui_init (MailsyncUiTtyui *self)
{
  self->folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) folder_progress_free);
  self->accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  mailsync_ui_set_output (MAILSYNC_UI (self), stderr);
}
