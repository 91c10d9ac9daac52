/* ttyui: offlineimap's default UI, on stderr.  A line "THREAD:" is written
 * whenever the emitting thread changes and the messages of that thread
 * follow indented by one space; MainThread messages are never prefixed.
 *
 * On a terminal it adds what offlineimap lacks: a status line at the
 * bottom, redrawn in place, with the progress of each folder being copied
 * and of the whole run (messages, rate, ETA).  The log lines scroll above
 * it, so a pipe or a log file sees exactly offlineimap's lines. */
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
  guint n;
  guint total;
} FolderProgress;

struct _MailsyncUiTtyui
{
  MailsyncUi parent_instance;

  char *last_thread;
  gboolean status_shown;
  GHashTable *folders;  /* folder thread -> FolderProgress */
  guint copied;         /* messages copied in the run */
  guint known_total;    /* sum of the totals announced so far */
  gint64 started;       /* monotonic time of the first folder sync */
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

static void
draw_status (MailsyncUiTtyui *self)
{
  MailsyncUi *ui = MAILSYNC_UI (self);
  FILE *out = mailsync_ui_get_output (ui);
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GList) keys = NULL;
  guint width, chars;
  double elapsed, rate;

  if (out == NULL || !on_terminal (ui) || g_hash_table_size (self->folders) == 0)
    return;
  keys = g_list_sort (g_hash_table_get_keys (self->folders), (GCompareFunc) strcmp);
  for (GList *l = keys; l; l = l->next)
    {
      FolderProgress *p = g_hash_table_lookup (self->folders, l->data);
      g_string_append_printf (s, "[%s %u/%u] ", p->folder, p->n, p->total);
    }
  elapsed = (g_get_monotonic_time () - self->started) / (double) G_USEC_PER_SEC;
  rate = elapsed > 0 ? self->copied / elapsed : 0;
  g_string_append_printf (s, "total %u/%u", self->copied, self->known_total);
  if (rate > 0)
    {
      g_string_append_printf (s, ", %.1f msg/s, ETA ", rate);
      format_duration (s, (guint64) ((self->known_total - MIN (self->copied, self->known_total)) / rate + 0.5));
    }

  /* Wider than the terminal would wrap and break the in-place redraw. */
  width = terminal_width (out);
  chars = g_utf8_strlen (s->str, -1);
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
  draw_status (self);
}

static void
mailsync_ui_ttyui_event (MailsyncUi *ui, MailsyncSyncEvent *event)
{
  MailsyncUiTtyui *self = MAILSYNC_UI_TTYUI (ui);
  g_autofree char *thread = mailsync_ui_folder_thread (mailsync_sync_event_get_folder (event),
                                                       mailsync_sync_event_get_account (event));
  FolderProgress *p;

  MAILSYNC_UI_CLASS (mailsync_ui_ttyui_parent_class)->event (ui, event);

  switch (mailsync_sync_event_get_kind (event))
    {
    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
      p = g_hash_table_lookup (self->folders, thread);
      if (p == NULL)
        {
          p = g_new0 (FolderProgress, 1);
          p->folder = mailsync_ui_printable (mailsync_sync_event_get_folder (event));
          g_hash_table_replace (self->folders, g_strdup (thread), p);
        }
      /* n restarts at 1 for the other direction's pass: a new total. */
      if (p->total == 0 || mailsync_sync_event_get_n (event) <= p->n)
        {
          p->total = mailsync_sync_event_get_total (event);
          self->known_total += p->total;
        }
      p->n = mailsync_sync_event_get_n (event);
      self->copied++;
      break;
    case MAILSYNC_SYNC_EVENT_FOLDER_STARTED:
      /* The rate counts from the first folder: listing is part of it. */
      if (self->started == 0)
        self->started = g_get_monotonic_time ();
      return;
    case MAILSYNC_SYNC_EVENT_FOLDER_FINISHED:
      g_hash_table_remove (self->folders, thread);
      break;
    default:
      return;
    }
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
  mailsync_ui_set_output (MAILSYNC_UI (self), stderr);
}
