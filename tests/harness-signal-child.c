/* A suite-like child of check-harness-signals.py: starts a harness Dovecot
 * in <base>/default with mailsync_test_server_start(), then runs a check
 * suite whose one test creates <ready> and waits to be signalled, as a
 * suite killed during its tests would be. What the parent checks: the
 * signal stops the Dovecot (mailsync-test.c's handler, reached through
 * check's own), and a SIGKILL too (the harness watchdog's --owner).
 * "thread": a second thread, which blocks no signal. */
#include "config.h"

#include "mailsync-test.h"

#include <stdlib.h>
#include <unistd.h>

static const char *ready_path;

START_TEST (test_wait_for_signal)
{
  mailsync_test_write_file (ready_path, "");
  /* The parent signals within seconds; the tcase timeout ends a lost one. */
  for (int i = 0; i < 600; i++)
    g_usleep (G_USEC_PER_SEC / 2);
  ck_abort_msg ("no signal came");
}
END_TEST

/* A thread that blocks no signal, as a CK_FORK=no run's may be: a
 * second stop signal goes to it while the first one's handler runs. */
static gpointer
idle_thread (gpointer data)
{
  for (;;)
    g_usleep (G_USEC_PER_SEC);
  return NULL;
}

int
main (int argc, char **argv)
{
  MailsyncTestServer server = { 0 };
  Suite *suite = suite_create ("harness-signal-child");
  TCase *tc = tcase_create ("wait");
  int status;

  if (argc != 3 && !(argc == 4 && g_str_equal (argv[3], "thread")))
    {
      g_printerr ("usage: %s BASE READY [thread]\n", argv[0]);
      return 2;
    }
  ready_path = argv[2];
  if (argc == 4)
    g_thread_unref (g_thread_new ("idle", idle_thread, NULL));
  if (!mailsync_test_server_start (&server, "default", argv[1]))
    return 1;
  tcase_set_timeout (tc, 400);
  tcase_add_test (tc, test_wait_for_signal);
  suite_add_tcase (suite, tc);
  status = mailsync_test_run (suite);
  mailsync_test_server_stop (&server);
  return status;
}
