/* blinkenlights: offlineimap's curses UI.  One row per account,
 *   "N: [ active] ACCOUNT     : @@@"   ("[MM:SS]" while it sleeps)
 * with one '@' per thread of the account, coloured by what the thread is
 * doing (offlineimap's palette: red for sleeping, warnings and deletions,
 * white for connecting and hooks, purple for the account, blue for the
 * folder structure, message passes and flags, cyan for a folder, green for
 * loading a message list, yellow (offlineimap's orange) for copying; black
 * when idle).  The log scrolls in the window below.  Keys: a digit syncs
 * that account now, q quits.
 *
 * Not on a terminal (or built without curses) it says so once and renders
 * as ttyui, so a cron job with a stale `ui = blinkenlights` still logs. */
#include "config.h"
#include "mailsync-ui-blinkenlights.h"
#include "mailsync-ui-ttyui.h"

#include <string.h>
#include <unistd.h>

#ifdef HAVE_CURSES
/* ncursesw, reached through the table of mailsync-ui-lazy.h */
#include "mailsync-curses-lazy.h"
#endif

enum
{
  COLOUR_IDLE = 1,
  COLOUR_RED,
  COLOUR_WHITE,
  COLOUR_PURPLE,
  COLOUR_BLUE,
  COLOUR_CYAN,
  COLOUR_GREEN,
  COLOUR_ORANGE,
};

typedef struct
{
  char *name;
  int colour;
} ThreadLight;

typedef struct
{
  char *name;
  GPtrArray *threads;  /* ThreadLight */
  gboolean active;
  int sleep_left;      /* seconds, -1 when not sleeping */
  char *progress;      /* "INBOX 12/400", the folder being copied */
} AccountRow;

struct _MailsyncUiBlinkenlights
{
  MailsyncUi parent_instance;

  MailsyncUi *fallback;  /* ttyui, when curses cannot run */
  GPtrArray *rows;       /* AccountRow */
  gboolean started;
#ifdef HAVE_CURSES
  WINDOW *lights;
  WINDOW *log;
#endif
};

G_DEFINE_FINAL_TYPE (MailsyncUiBlinkenlights, mailsync_ui_blinkenlights, MAILSYNC_TYPE_UI)

static void
thread_light_free (ThreadLight *t)
{
  g_free (t->name);
  g_free (t);
}

static void
account_row_free (AccountRow *row)
{
  g_free (row->name);
  g_free (row->progress);
  g_ptr_array_unref (row->threads);
  g_free (row);
}

static AccountRow *
find_row (MailsyncUiBlinkenlights *self, const char *account, gboolean create)
{
  AccountRow *row;

  for (guint i = 0; i < self->rows->len; i++)
    {
      row = self->rows->pdata[i];
      if (strcmp (row->name, account) == 0)
        return row;
    }
  if (!create)
    return NULL;
  row = g_new0 (AccountRow, 1);
  row->name = g_strdup (account);
  row->threads = g_ptr_array_new_with_free_func ((GDestroyNotify) thread_light_free);
  row->sleep_left = -1;
  g_ptr_array_add (self->rows, row);
  return row;
}

/* Rows (and their hotkeys) in the order of the config file. */
static void
seed_rows (MailsyncUiBlinkenlights *self)
{
  const char * const *accounts = mailsync_ui_get_accounts (MAILSYNC_UI (self));

  for (gsize i = 0; accounts != NULL && accounts[i] != NULL; i++)
    find_row (self, accounts[i], TRUE);
}

/* The account a thread name belongs to: "Account sync ACC" or
 * "Folder NAME [acc: ACC]". */
static char *
thread_account (const char *thread)
{
  const char *acc;

  if (g_str_has_prefix (thread, "Account sync "))
    return g_strdup (thread + strlen ("Account sync "));
  acc = g_strrstr (thread, " [acc: ");
  if (g_str_has_prefix (thread, "Folder ") && acc != NULL && g_str_has_suffix (thread, "]"))
    return g_strndup (acc + strlen (" [acc: "), strlen (acc + strlen (" [acc: ")) - 1);
  return NULL;
}

static int
command_colour (const char *command, MailsyncUiLevel level)
{
  static const struct { const char *command; int colour; } map[] = {
    { "acct", COLOUR_PURPLE }, { "registerthread", COLOUR_PURPLE },
    { "connecting", COLOUR_WHITE }, { "callhook", COLOUR_WHITE },
    { "syncfolders", COLOUR_BLUE }, { "syncingmessages", COLOUR_BLUE },
    { "addingflags", COLOUR_BLUE }, { "deletingflags", COLOUR_BLUE },
    { "syncingfolder", COLOUR_CYAN },
    { "loadmessagelist", COLOUR_GREEN }, { "messagelistloaded", COLOUR_GREEN },
    { "copyingmessage", COLOUR_ORANGE },
    { "deletingmessages", COLOUR_RED }, { "sleeping", COLOUR_RED },
    { "acctdone", COLOUR_IDLE },
  };

  if (level >= MAILSYNC_UI_LEVEL_WARNING)
    return COLOUR_RED;
  for (gsize i = 0; i < G_N_ELEMENTS (map); i++)
    if (strcmp (command, map[i].command) == 0)
      return map[i].colour;
  return 0;
}

/* Keeps the lights in step with a line, curses or not (tests read them). */
static void
track_line (MailsyncUiBlinkenlights *self, const MailsyncUiLine *line)
{
  const char *thread = line->thread;
  g_autofree char *account = NULL;
  AccountRow *row;
  int colour;

  seed_rows (self);

  /* threadExited/unregisterthread come from MainThread about another. */
  if (strcmp (line->command, "unregisterthread") == 0 && line->payload != NULL)
    {
      g_autofree char *acc = thread_account (line->payload);
      if (acc != NULL && (row = find_row (self, acc, FALSE)) != NULL)
        for (guint i = 0; i < row->threads->len; i++)
          if (strcmp (((ThreadLight *) row->threads->pdata[i])->name, line->payload) == 0)
            {
              g_ptr_array_remove_index (row->threads, i);
              break;
            }
      return;
    }
  account = thread_account (thread);
  if (account == NULL)
    return;
  row = find_row (self, account, TRUE);
  if (strcmp (line->command, "acct") == 0)
    row->active = TRUE, row->sleep_left = -1;
  else if (strcmp (line->command, "acctdone") == 0)
    row->active = FALSE;
  colour = command_colour (line->command, line->level);
  if (colour == 0)
    return;
  for (guint i = 0; i < row->threads->len; i++)
    {
      ThreadLight *t = row->threads->pdata[i];
      if (strcmp (t->name, thread) == 0)
        {
          t->colour = colour;
          return;
        }
    }
  {
    ThreadLight *t = g_new0 (ThreadLight, 1);
    t->name = g_strdup (thread);
    t->colour = colour;
    g_ptr_array_add (row->threads, t);
  }
}

#ifdef HAVE_CURSES
static void
layout (MailsyncUiBlinkenlights *self)
{
  int rows = MAX ((int) self->rows->len, 1);
  int log_rows;

  /* Lights on top, a rule, then the log takes the rest. */
  rows = MIN (rows, MAX (LINES - 3, 1));
  log_rows = MAX (LINES - rows - 1, 1);
  if (self->lights == NULL)
    {
      self->lights = newwin (rows, COLS, 0, 0);
      self->log = newwin (log_rows, COLS, rows + 1, 0);
      scrollok (self->log, TRUE);
      wmove (self->log, log_rows - 1, 0);
      return;
    }
  /* Resized in place: the log keeps what still fits. */
  wresize (self->lights, rows, COLS);
  wresize (self->log, log_rows, COLS);
  mvwin (self->log, rows + 1, 0);
  wmove (self->log, log_rows - 1, 0);
}

static void
draw_lights (MailsyncUiBlinkenlights *self)
{
  if (self->lights == NULL)
    return;
  if ((int) self->rows->len > getmaxy (self->lights))
    {
      layout (self);
      clear ();
    }
  werase (self->lights);
  for (guint i = 0; i < self->rows->len && (int) i < getmaxy (self->lights); i++)
    {
      AccountRow *row = self->rows->pdata[i];
      char state[16];

      if (row->sleep_left >= 0)
        g_snprintf (state, sizeof state, "[%02d:%02d]", row->sleep_left / 60, row->sleep_left % 60);
      else
        g_snprintf (state, sizeof state, "[%s]", row->active ? " active" : "   idle");
      mvwprintw (self->lights, i, 0, "%c: %s %-12.12s: ", i < 9 ? (char) ('1' + i) : ' ', state, row->name);
      for (guint t = 0; t < row->threads->len; t++)
        {
          ThreadLight *light = row->threads->pdata[t];
          wattron (self->lights, COLOR_PAIR (light->colour) | A_BOLD);
          waddch (self->lights, '@');
          wattroff (self->lights, COLOR_PAIR (light->colour) | A_BOLD);
        }
      if (row->progress != NULL)
        wprintw (self->lights, " %s", row->progress);
    }
  /* stdscr first: it spans the screen and would blank the windows. */
  move (getmaxy (self->lights), 0);
  hline (ACS_HLINE, COLS);
  wnoutrefresh (stdscr);
  touchwin (self->lights);
  wnoutrefresh (self->lights);
  touchwin (self->log);
  wnoutrefresh (self->log);
  doupdate ();
}

static void
start_curses (MailsyncUiBlinkenlights *self)
{
  static const short colours[][2] = {
    [COLOUR_IDLE] = { COLOR_BLACK, -1 },
    [COLOUR_RED] = { COLOR_RED, -1 },
    [COLOUR_WHITE] = { COLOR_WHITE, -1 },
    [COLOUR_PURPLE] = { COLOR_MAGENTA, -1 },
    [COLOUR_BLUE] = { COLOR_BLUE, -1 },
    [COLOUR_CYAN] = { COLOR_CYAN, -1 },
    [COLOUR_GREEN] = { COLOR_GREEN, -1 },
    [COLOUR_ORANGE] = { COLOR_YELLOW, -1 },
  };

  initscr ();
  cbreak ();
  noecho ();
  nodelay (stdscr, TRUE);
  keypad (stdscr, TRUE);
  if (has_colors ())
    {
      start_color ();
      use_default_colors ();
      for (gsize i = COLOUR_IDLE; i < G_N_ELEMENTS (colours); i++)
        init_pair (i, colours[i][0], colours[i][1]);
    }
  layout (self);
  self->started = TRUE;
  draw_lights (self);
}

static void
stop_curses (MailsyncUiBlinkenlights *self)
{
  if (!self->started)
    return;
  g_clear_pointer (&self->lights, delwin);
  g_clear_pointer (&self->log, delwin);
  endwin ();
  self->started = FALSE;
}
#endif

static void
mailsync_ui_blinkenlights_render (MailsyncUi *ui, const MailsyncUiLine *line)
{
  MailsyncUiBlinkenlights *self = MAILSYNC_UI_BLINKENLIGHTS (ui);

  track_line (self, line);
  if (self->fallback != NULL)
    {
      mailsync_ui_set_level (self->fallback, mailsync_ui_get_level (ui));
      mailsync_ui_set_output (self->fallback, mailsync_ui_get_output (ui));
      MAILSYNC_UI_GET_CLASS (self->fallback)->render (self->fallback, line);
      return;
    }
#ifdef HAVE_CURSES
  if (!self->started)
    start_curses (self);
  if (line->text != NULL && mailsync_ui_wants (ui, line->level))
    {
      if (line->level >= MAILSYNC_UI_LEVEL_WARNING)
        wattron (self->log, A_BOLD);
      wprintw (self->log, "\n%s", line->text);
      wattroff (self->log, A_BOLD);
    }
  draw_lights (self);
#endif
}

/* The account row shows the copy in progress, so a long first sync is
 * visibly moving even when the log scrolls too fast to read. */
static void
mailsync_ui_blinkenlights_event (MailsyncUi *ui, MailsyncSyncEvent *event)
{
  MailsyncUiBlinkenlights *self = MAILSYNC_UI_BLINKENLIGHTS (ui);
  const char *account = mailsync_sync_event_get_account (event);
  AccountRow *row;

  seed_rows (self);
  row = find_row (self, account ? account : "", TRUE);
  switch (mailsync_sync_event_get_kind (event))
    {
    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
      g_free (row->progress);
      row->progress = g_strdup_printf ("%s %u/%u", mailsync_sync_event_get_folder (event),
                                       mailsync_sync_event_get_n (event), mailsync_sync_event_get_total (event));
      break;
    case MAILSYNC_SYNC_EVENT_FOLDER_FINISHED:
    case MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED:
      g_clear_pointer (&row->progress, g_free);
      break;
    default:
      break;
    }
  /* Chained last: the lines it renders redraw the row. */
  MAILSYNC_UI_CLASS (mailsync_ui_blinkenlights_parent_class)->event (ui, event);
}

static void
mailsync_ui_blinkenlights_sleeping (MailsyncUi *ui, const char *account, guint slice, guint remaining)
{
  MailsyncUiBlinkenlights *self = MAILSYNC_UI_BLINKENLIGHTS (ui);
  AccountRow *row = find_row (self, account ? account : "", TRUE);
  g_autofree char *thread = mailsync_ui_account_thread (account);
  MailsyncUiLine line = { MAILSYNC_UI_LEVEL_DEBUG, MAILSYNC_UI_LEVEL_DEBUG, thread, "sleeping", NULL, NULL };

  row->sleep_left = slice == 0 && remaining == 0 ? -1 : (int) remaining;
  if (self->fallback != NULL)
    {
      MAILSYNC_UI_GET_CLASS (self->fallback)->sleeping (self->fallback, account, slice, remaining);
      return;
    }
  /* No log line: the row's [MM:SS] says it. */
  mailsync_ui_render (ui, &line);
}

static char *
mailsync_ui_blinkenlights_ask_password (MailsyncUi *ui, const char *account, const char *user)
{
  MailsyncUiBlinkenlights *self = MAILSYNC_UI_BLINKENLIGHTS (ui);

  if (self->fallback != NULL)
    return MAILSYNC_UI_GET_CLASS (self->fallback)->ask_password (self->fallback, account, user);
#ifdef HAVE_CURSES
  {
    g_autoptr(GString) password = g_string_new (NULL);
    int c;

    if (!self->started)
      start_curses (self);
    wprintw (self->log, "\nEnter password for user '%s': ", user ? user : "");
    wrefresh (self->log);
    nodelay (stdscr, FALSE);
    while ((c = getch ()) != '\n' && c != '\r' && c != ERR)
      {
        if ((c == KEY_BACKSPACE || c == 127 || c == '\b') && password->len > 0)
          g_string_truncate (password, password->len - 1);
        else if (c >= 0 && c < 256 && c != KEY_RESIZE)
          g_string_append_c (password, (char) c);
      }
    nodelay (stdscr, TRUE);
    return g_string_free (g_steal_pointer (&password), FALSE);
  }
#else
  return NULL;
#endif
}

static void
mailsync_ui_blinkenlights_terminate (MailsyncUi *ui, int status, const char *title, const char *text)
{
  MailsyncUiBlinkenlights *self = MAILSYNC_UI_BLINKENLIGHTS (ui);

  if (self->fallback != NULL)
    {
      MAILSYNC_UI_CLASS (mailsync_ui_blinkenlights_parent_class)->terminate (ui, status, title, text);
      return;
    }
#ifdef HAVE_CURSES
  /* The recap must survive the screen: leave curses, print it on stderr. */
  stop_curses (self);
  self->fallback = g_object_new (MAILSYNC_TYPE_UI_TTYUI, NULL);
  mailsync_ui_set_output (self->fallback, stderr);
#endif
  MAILSYNC_UI_CLASS (mailsync_ui_blinkenlights_parent_class)->terminate (ui, status, title, text);
}

/**
 * mailsync_ui_blinkenlights_poll:
 * @self: the blinkenlights UI
 *
 * Reads the keys pressed since the last call (handling resizes).
 *
 * Returns: the index of the account whose digit was pressed (1 is the
 *   first row, index 0), %MAILSYNC_UI_REQUEST_QUIT for q, or
 *   %MAILSYNC_UI_REQUEST_NONE
 */
int
mailsync_ui_blinkenlights_poll (MailsyncUiBlinkenlights *self)
{
#ifdef HAVE_CURSES
  int c;

  if (self->fallback != NULL || !self->started)
    return MAILSYNC_UI_REQUEST_NONE;
  while ((c = getch ()) != ERR)
    {
      if (c == KEY_RESIZE)
        {
          layout (self);
          clear ();
          draw_lights (self);
        }
      else if (c == 'q' || c == 'Q')
        return MAILSYNC_UI_REQUEST_QUIT;
      else if (c >= '1' && c <= '9' && (guint) (c - '1') < self->rows->len)
        return c - '1';
    }
#endif
  return MAILSYNC_UI_REQUEST_NONE;
}

static void
mailsync_ui_blinkenlights_constructed (GObject *object)
{
  MailsyncUiBlinkenlights *self = MAILSYNC_UI_BLINKENLIGHTS (object);
  const char *why = NULL;

  G_OBJECT_CLASS (mailsync_ui_blinkenlights_parent_class)->constructed (object);
#ifdef HAVE_CURSES
  if (!isatty (STDIN_FILENO) || !isatty (STDOUT_FILENO))
    why = "standard input and output are not a terminal";
  else if (g_getenv ("TERM") == NULL || strcmp (g_getenv ("TERM"), "dumb") == 0)
    why = "TERM is not set to a terminal type";
#else
  why = "mailsync was built without curses";
#endif
  if (why != NULL)
    {
      self->fallback = g_object_new (MAILSYNC_TYPE_UI_TTYUI, NULL);
      fprintf (stderr, "mailsync: blinkenlights cannot run (%s); using ttyui\n", why);
    }
}

static void
mailsync_ui_blinkenlights_dispose (GObject *object)
{
  MailsyncUiBlinkenlights *self = MAILSYNC_UI_BLINKENLIGHTS (object);

#ifdef HAVE_CURSES
  stop_curses (self);
#endif
  g_clear_object (&self->fallback);
  G_OBJECT_CLASS (mailsync_ui_blinkenlights_parent_class)->dispose (object);
}

static void
mailsync_ui_blinkenlights_finalize (GObject *object)
{
  MailsyncUiBlinkenlights *self = MAILSYNC_UI_BLINKENLIGHTS (object);

  g_ptr_array_unref (self->rows);
  G_OBJECT_CLASS (mailsync_ui_blinkenlights_parent_class)->finalize (object);
}

static void
mailsync_ui_blinkenlights_class_init (MailsyncUiBlinkenlightsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MailsyncUiClass *ui_class = MAILSYNC_UI_CLASS (klass);

  object_class->constructed = mailsync_ui_blinkenlights_constructed;
  object_class->dispose = mailsync_ui_blinkenlights_dispose;
  object_class->finalize = mailsync_ui_blinkenlights_finalize;
  ui_class->render = mailsync_ui_blinkenlights_render;
  ui_class->event = mailsync_ui_blinkenlights_event;
  ui_class->sleeping = mailsync_ui_blinkenlights_sleeping;
  ui_class->ask_password = mailsync_ui_blinkenlights_ask_password;
  ui_class->terminate = mailsync_ui_blinkenlights_terminate;
}

static void
mailsync_ui_blinkenlights_init (MailsyncUiBlinkenlights *self)
{
  self->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) account_row_free);
  mailsync_ui_set_output (MAILSYNC_UI (self), stderr);
}
