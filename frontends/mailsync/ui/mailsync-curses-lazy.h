#pragma once

/* ncursesw (the blinkenlights UI), loaded on first use
 * (mailsync-ui-lazy.h).  Include this instead of <curses.h>, after every
 * other header: from here on each name listed is reached through the
 * table.  A name not listed is not linked (the command does not link
 * the library): add it to the list and to the redirects at the end. */

#include "mailsync-ui-lazy.h"
#include <curses.h>
#include <stdarg.h>

#define MAILSYNC_CURSES_NAMES(X) \
  X (COLS) \
  X (LINES) \
  X (acs_map) \
  X (cbreak) \
  X (delwin) \
  X (doupdate) \
  X (endwin) \
  X (has_colors) \
  X (init_pair) \
  X (initscr) \
  X (keypad) \
  X (mvwin) \
  X (newwin) \
  X (nodelay) \
  X (noecho) \
  X (scrollok) \
  X (start_color) \
  X (stdscr) \
  X (use_default_colors) \
  X (vw_printw) \
  X (waddch) \
  X (wattr_off) \
  X (wattr_on) \
  X (wclear) \
  X (werase) \
  X (wgetch) \
  X (whline) \
  X (wmove) \
  X (wnoutrefresh) \
  X (wrefresh) \
  X (wresize) \
  X (wtouchln)

typedef struct
{
#define MAILSYNC_CURSES_NAMES_MEMBER(name) __typeof__ (name) *name;
  MAILSYNC_CURSES_NAMES (MAILSYNC_CURSES_NAMES_MEMBER)
#undef MAILSYNC_CURSES_NAMES_MEMBER
} MailsyncCursesTable;

/* The table, the library loaded on the first call (or the command
 * exits, saying why: mailsync-ui-lazy.h). */
const MailsyncCursesTable *mailsync_curses (void);

#define COLS (*mailsync_curses ()->COLS)
#define LINES (*mailsync_curses ()->LINES)
#define acs_map (*mailsync_curses ()->acs_map)
#define cbreak (*mailsync_curses ()->cbreak)
#define delwin (*mailsync_curses ()->delwin)
#define doupdate (*mailsync_curses ()->doupdate)
#define endwin (*mailsync_curses ()->endwin)
#define has_colors (*mailsync_curses ()->has_colors)
#define init_pair (*mailsync_curses ()->init_pair)
#define initscr (*mailsync_curses ()->initscr)
#define keypad (*mailsync_curses ()->keypad)
#define mvwin (*mailsync_curses ()->mvwin)
#define newwin (*mailsync_curses ()->newwin)
#define nodelay (*mailsync_curses ()->nodelay)
#define noecho (*mailsync_curses ()->noecho)
#define scrollok (*mailsync_curses ()->scrollok)
#define start_color (*mailsync_curses ()->start_color)
#define stdscr (*mailsync_curses ()->stdscr)
#define use_default_colors (*mailsync_curses ()->use_default_colors)
#define vw_printw (*mailsync_curses ()->vw_printw)
#define waddch (*mailsync_curses ()->waddch)
#define wattr_off (*mailsync_curses ()->wattr_off)
#define wattr_on (*mailsync_curses ()->wattr_on)
#define wclear (*mailsync_curses ()->wclear)
#define werase (*mailsync_curses ()->werase)
#define wgetch (*mailsync_curses ()->wgetch)
#define whline (*mailsync_curses ()->whline)
#define wmove (*mailsync_curses ()->wmove)
#define wnoutrefresh (*mailsync_curses ()->wnoutrefresh)
#define wrefresh (*mailsync_curses ()->wrefresh)
#define wresize (*mailsync_curses ()->wresize)
#define wtouchln (*mailsync_curses ()->wtouchln)

/* The printf-like ones are functions of their own, declared printf-like,
 * so that -Wformat checks their calls whatever the compiler: GCC keeps
 * curses.h's format attribute in a __typeof__'d pointer, clang does not
 * (nor an attribute on a pointer member).  They call vw_printw() through
 * the table, as ncurses' own wprintw() and mvwprintw() do. */
static inline int mailsync_curses_wprintw (WINDOW *win, const char *format, ...) G_GNUC_PRINTF (2, 3);
static inline int mailsync_curses_mvwprintw (WINDOW *win, int y, int x, const char *format, ...) G_GNUC_PRINTF (4, 5);

static inline int
mailsync_curses_wprintw (WINDOW     *win,
                         const char *format,
                         ...)
{
  va_list args;
  int ret;

  va_start (args, format);
  ret = vw_printw (win, format, args);
  va_end (args);
  return ret;
}

static inline int
mailsync_curses_mvwprintw (WINDOW     *win,
                           int         y,
                           int         x,
                           const char *format,
                           ...)
{
  va_list args;
  int ret;

  if (wmove (win, y, x) == ERR)
    return ERR;
  va_start (args, format);
  ret = vw_printw (win, format, args);
  va_end (args);
  return ret;
}

#define wprintw mailsync_curses_wprintw
#define mvwprintw mailsync_curses_mvwprintw
