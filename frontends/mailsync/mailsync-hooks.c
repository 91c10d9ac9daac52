/* mailsync-hooks.c: account hooks run through the shell. */
#include "config.h"

#include "mailsync-hooks.h"

#include <signal.h>

/* The daemon blocks nothing, but a hook must not inherit a SIGPIPE
 * disposition or signal mask of ours: give it the defaults. */
static void
child_setup (gpointer data)
{
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
}

/**
 * mailsync_hook_run:
 * @ui: the UI that reports the hook
 * @thread: (nullable): offlineimap thread name of the account
 * @command: the shell command
 * @sync_mode: "full", "quick" or "idle"
 * @dry_run: only say what would run
 *
 * Returns: the hook's exit status, minus the signal that killed it, -1
 *   when it could not run, 0 in a dry run
 */
int
mailsync_hook_run (MailsyncUi *ui,
                   const char *thread,
                   const char *command,
                   const char *sync_mode,
                   gboolean    dry_run)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *text = NULL;
  int status;

  if (command == NULL || *command == '\0')
    return 0;
  /* In a dry run the UI prefixes "[DRYRUN] " for the human UIs. */
  text = g_strdup_printf ("Calling hook: %s", command);
  mailsync_ui_message (ui, MAILSYNC_UI_LEVEL_INFO, thread, "callhook", text);
  if (dry_run)
    return 0;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "OFFLINEIMAPSYNCMODE", sync_mode, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  proc = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", "-c", command, NULL);
  if (proc == NULL || !g_subprocess_communicate_utf8 (proc, "", NULL, &out, &err, &error))
    {
      mailsync_ui_error (ui, thread, "ERROR: Calling hook\n  %s", error->message);
      return -1;
    }
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("Hook stdout: %s\nHook stderr:%s\n", out ? out : "", err ? err : "");
  mailsync_ui_message (ui, MAILSYNC_UI_LEVEL_INFO, thread, "callhook", text);
  /* Python's returncode: minus the signal number when the hook was killed */
  if (g_subprocess_get_if_exited (proc))
    status = g_subprocess_get_exit_status (proc);
  else if (g_subprocess_get_if_signaled (proc))
    status = -g_subprocess_get_term_sig (proc);
  else
    status = -1;
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("Hook return code: %d", status);
  mailsync_ui_message (ui, MAILSYNC_UI_LEVEL_INFO, thread, "callhook", text);
  return status;
}
