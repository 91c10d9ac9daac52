/* mailsync-signals.c: signals become requests on the runner. */
#include "config.h"

#include "mailsync-signals.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

struct _MailsyncSignals
{
  MailsyncRunner *runner;
  MailsyncUi *ui;
  gboolean dump_on_stop;       /* -d thread: where everyone is, at each stop */
  guint sources[5];
  guint pipe_source;
  struct sigaction old_abrt;
  struct sigaction old_quit;
};

/* g_unix_signal_add() takes neither SIGABRT nor SIGQUIT: their handler
 * writes the signal number to this pipe, nothing more. */
static int signal_pipe[2] = { -1, -1 };

static void
raw_handler (int signum)
{
  int saved = errno;
  unsigned char byte = (unsigned char) signum;

  if (write (signal_pipe[1], &byte, 1) < 0)
    {
      /* the pipe is full: a signal of this kind is already pending */
    }
  errno = saved;
}

static gboolean
on_usr1 (gpointer data)
{
  MailsyncSignals *self = data;

  mailsync_runner_sync_now (self->runner, -1);
  return G_SOURCE_CONTINUE;
}

static void
finish (MailsyncSignals *self)
{
  mailsync_ui_warn (self->ui, NULL, "Terminating after this sync...");
  mailsync_runner_finish (self->runner);
}

static gboolean
on_usr2 (gpointer data)
{
  finish (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stop (gpointer data)
{
  MailsyncSignals *self = data;
  guint count;

  /* Where each account was when the stop came: dumped before the stop
   * wakes the sleeping accounts, which may then end before the dump. */
  if (self->dump_on_stop)
    mailsync_runner_dump (self->runner, stderr);
  count = mailsync_runner_stop (self->runner);

  if (count >= 3)
    {
      mailsync_ui_warn (self->ui, NULL, "Signaled thrice. Aborting!");
      fflush (NULL);
      /* Other threads are mid-sync: exit() would run destructors under
       * them.  The kernel drops the fcntl locks; every store is crash-safe. */
      _exit (1);
    }
  if (count == 1)
    mailsync_ui_warn (self->ui, NULL,
                      "Preparing to shutdown after sync (this may take some time), "
                      "press CTRL-C three times to shutdown immediately");
  else
    mailsync_ui_warn (self->ui, NULL, "Stopping the folders in progress now");
  return G_SOURCE_CONTINUE;
}

static gboolean
on_pipe (int fd, GIOCondition condition, gpointer data)
{
  MailsyncSignals *self = data;
  unsigned char byte;

  while (read (fd, &byte, 1) == 1)
    {
      if (byte == SIGABRT)
        finish (self);
      else if (byte == SIGQUIT)
        {
          mailsync_runner_dump (self->runner, stderr);
          signal (SIGABRT, SIG_DFL);
          abort ();
        }
    }
  return G_SOURCE_CONTINUE;
}

/**
 * mailsync_signals_install:
 * @runner: the runner to steer
 * @ui: where to say what a signal does
 * @dump_on_stop: print where each account is at TERM/INT/HUP (`-d thread`,
 *   where offlineimap dumps its threads' stacks)
 *
 * Returns: (transfer full): the installed handlers
 */
MailsyncSignals *
mailsync_signals_install (MailsyncRunner *runner, MailsyncUi *ui, gboolean dump_on_stop)
{
  MailsyncSignals *self = g_new0 (MailsyncSignals, 1);
  struct sigaction sa = { 0 };
  static const int stops[] = { SIGTERM, SIGINT, SIGHUP };

  self->runner = runner;
  self->ui = ui;
  self->dump_on_stop = dump_on_stop;
  self->sources[0] = g_unix_signal_add (SIGUSR1, on_usr1, self);
  self->sources[1] = g_unix_signal_add (SIGUSR2, on_usr2, self);
  for (gsize i = 0; i < G_N_ELEMENTS (stops); i++)
    self->sources[2 + i] = g_unix_signal_add (stops[i], on_stop, self);

  /* GLib 2.74's g_unix_open_pipe() takes FD_CLOEXEC only */
  if (signal_pipe[0] < 0 && g_unix_open_pipe (signal_pipe, FD_CLOEXEC, NULL)
      && g_unix_set_fd_nonblocking (signal_pipe[0], TRUE, NULL)
      && g_unix_set_fd_nonblocking (signal_pipe[1], TRUE, NULL))
    {
      self->pipe_source = g_unix_fd_add (signal_pipe[0], G_IO_IN, on_pipe, self);
      sa.sa_handler = raw_handler;
      sigemptyset (&sa.sa_mask);
      sa.sa_flags = SA_RESTART;
      sigaction (SIGABRT, &sa, &self->old_abrt);
      sigaction (SIGQUIT, &sa, &self->old_quit);
    }
  return self;
}

void
mailsync_signals_remove (MailsyncSignals *self)
{
  if (self == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (self->sources); i++)
    if (self->sources[i])
      g_source_remove (self->sources[i]);
  if (self->pipe_source)
    {
      g_source_remove (self->pipe_source);
      sigaction (SIGABRT, &self->old_abrt, NULL);
      sigaction (SIGQUIT, &self->old_quit, NULL);
      close (signal_pipe[0]);
      close (signal_pipe[1]);
      signal_pipe[0] = signal_pipe[1] = -1;
    }
  g_free (self);
}
