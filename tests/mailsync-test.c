/* _Fork() (glibc >= 2.34), for the signal handler below */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "config.h"

#include "mailsync-test.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* The stand-ins of skipped tests (mailsync_test_add_skipped_test()), freed
 * after the run: check keeps only pointers to them. */
static GPtrArray *skipped_tests;

int
mailsync_test_run (Suite *suite)
{
  SRunner *runner = srunner_create (suite);
  int failed;

  srunner_run_all (runner, CK_ENV);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  g_clear_pointer (&skipped_tests, g_ptr_array_unref);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void
skipped_test_fn (int i)
{
  /* Nothing to run: the TAP line's name carries the SKIP. */
}

static void
skipped_test_free (gpointer data)
{
  TTest *test = data;

  g_free ((char *) test->name);
  g_free (test);
}

void
mailsync_test_add_skipped_test (TCase       *tc,
                                const TTest *test,
                                const char  *reason)
{
  TTest *skip = g_new0 (TTest, 1);

  /* check's TAP line is "ok N - file:case:name: Passed", so the directive
   * goes into the name, and tap-driver reads the rest of the line as the
   * reason. */
  skip->name = g_strdup_printf ("%s # SKIP %s", test->name, reason);
  skip->fn = skipped_test_fn;
  skip->file = test->file;
  skip->line = test->line;
  if (skipped_tests == NULL)
    skipped_tests = g_ptr_array_new_with_free_func (skipped_test_free);
  g_ptr_array_add (skipped_tests, skip);
  tcase_add_test (tc, skip);
}

void
mailsync_test_add_hooks_test (TCase       *tc,
                              const TTest *test)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  tcase_add_test (tc, test);
#else
  mailsync_test_add_skipped_test (tc, test, "needs --enable-test-hooks (the library is built "
                                  "without its test hooks)");
#endif
}

void
mailsync_test_add_crash_test (TCase       *tc,
                              const TTest *test)
{
  mailsync_test_add_hooks_test (tc, test);
}

#define HARNESS TEST_SRCDIR "/harness/dovecot-harness"

gboolean
mailsync_test_harness (const MailsyncTestServer *server, GError **error, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, (char *) HARNESS);
  va_start (ap, error);
  arg = va_arg (ap, const char *);
  g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, server->dir);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s: %s%s: ", HARNESS, out ? out : "", err ? err : "");
      return FALSE;
    }
  return TRUE;
}

/* The servers this process started and has not stopped, each as the argv
 * of its "dovecot-harness stop --clean", made before the start: the
 * harness runs Dovecot in a session of its own, so nothing that ends the
 * suite ends them. A suite ended by SIGTERM, SIGINT or SIGHUP (make's
 * Ctrl-C, run-tests' TERM to the step's session, a closed terminal) stops
 * them in the signal handler, then dies of the signal. check's own
 * handler, which srunner_run_all() installs for SIGTERM and SIGINT over
 * ours, kills the running test's process group, puts ours back and sends
 * the signal again, so ours runs then too. Each server is also started
 * with --owner: its harness watchdog stops it when the suite dies of
 * SIGKILL. */
#define MAX_SERVERS 8
/* How long the handler waits for one "harness stop" (the Python suites'
 * timeout): a stop that hangs is killed, and the suite still dies. */
#define STOP_DEADLINE_MS (120 * 1000)
static char **server_stop_argv[MAX_SERVERS];
static volatile sig_atomic_t server_running[MAX_SERVERS];
static pid_t server_owner;
/* Set by the first entry of the stop handler, which ends the process. */
static int in_stop;
static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };

/* In the handler only async-signal-safe calls: _Fork() (fork() is not:
 * it runs the atfork handlers and takes malloc's locks, which the code
 * the signal interrupted may hold), execv, waitpid, nanosleep, kill. */
static pid_t
fork_in_handler (void)
{
#ifdef HAVE__FORK
  return _Fork ();
#else
  /* a C library without _Fork (glibc < 2.34): fork, as before */
  return fork ();
#endif
}

/* Waits for @child, STOP_DEADLINE_MS at most, then kills it. */
static void
wait_in_handler (pid_t child)
{
  const struct timespec tick = { 0, 50 * 1000 * 1000 };
  pid_t done;

  for (int waited = 0; waited < STOP_DEADLINE_MS; waited += 50)
    {
      done = waitpid (child, NULL, WNOHANG);
      if (done == child || (done < 0 && errno != EINTR))
        return;
      nanosleep (&tick, NULL);
    }
  kill (child, SIGKILL);
  while (waitpid (child, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* The three stop signals are blocked while this runs (the sa_mask): a
 * second one (a Ctrl-C after make's TERM, a hang-up) neither runs a
 * second "harness stop" of the same server during the first's wait nor
 * ends the suite in the middle of the stops; the suite dies of the first
 * signal (unblocked alone at the end). The sa_mask blocks them only on
 * the handling thread: one sent to the process may run this on another
 * thread (a CK_FORK=no run, a GLib worker), which waits here for the
 * first entry to end the process; and each slot is claimed (an atomic
 * exchange), so that a server mailsync_test_server_stop() stops on
 * another thread meanwhile is stopped once (review27 L2). */
static void
stop_servers_on_signal (int signum)
{
  sigset_t none, this_one;

  if (__atomic_exchange_n (&in_stop, 1, __ATOMIC_SEQ_CST))
    for (;;)
      pause ();
  if (getpid () == server_owner)
    {
      sigemptyset (&none);
      for (guint i = 0; i < MAX_SERVERS; i++)
        {
          pid_t child;

          if (!__atomic_exchange_n (&server_running[i], 0, __ATOMIC_SEQ_CST))
            continue;
          child = fork_in_handler ();
          if (child == 0)
            {
              sigprocmask (SIG_SETMASK, &none, NULL);
              execv (server_stop_argv[i][0], server_stop_argv[i]);
              _exit (127);
            }
          if (child > 0)
            wait_in_handler (child);
        }
    }
  signal (signum, SIG_DFL);
  raise (signum);
  sigemptyset (&this_one);
  sigaddset (&this_one, signum);
  sigprocmask (SIG_UNBLOCK, &this_one, NULL);
}

/* Registers @server (its dir set) as started by this process. A process
 * forked after its parent started servers (a CK_FORK test starting one of
 * its own; no suite does yet) owns only its own: the inherited table is
 * the parent's, which the parent stops, and --owner names this process. */
static void
own_server (const MailsyncTestServer *server)
{
  int i;

  if (server_owner != getpid ())
    {
      if (server_owner != 0)
        for (i = 0; i < MAX_SERVERS; i++)
          server_running[i] = 0;
      server_owner = getpid ();
      for (guint s = 0; s < G_N_ELEMENTS (stop_signals); s++)
        {
          struct sigaction action = { 0 }, old;

          /* A signal the parent ignores (nohup) stays ignored. */
          if (sigaction (stop_signals[s], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
          action.sa_handler = stop_servers_on_signal;
          sigemptyset (&action.sa_mask);
          for (guint m = 0; m < G_N_ELEMENTS (stop_signals); m++)
            sigaddset (&action.sa_mask, stop_signals[m]);
          sigaction (stop_signals[s], &action, NULL);
        }
    }
  for (i = 0; i < MAX_SERVERS && server_stop_argv[i] != NULL && server_running[i]; i++)
    ;
  g_assert (i < MAX_SERVERS);
  if (server_stop_argv[i] == NULL)
    server_stop_argv[i] = g_new0 (char *, 5);
  g_free (server_stop_argv[i][2]);
  server_stop_argv[i][0] = (char *) HARNESS;
  server_stop_argv[i][1] = (char *) "stop";
  server_stop_argv[i][2] = g_strdup (server->dir);
  server_stop_argv[i][3] = (char *) "--clean";
  server_running[i] = 1;
}

static void
disown_server (const MailsyncTestServer *server)
{
  for (guint i = 0; i < MAX_SERVERS; i++)
    if (server_stop_argv[i] != NULL && g_strcmp0 (server_stop_argv[i][2], server->dir) == 0)
      __atomic_store_n (&server_running[i], 0, __ATOMIC_SEQ_CST);
}

gboolean
mailsync_test_server_start (MailsyncTestServer *server, const char *variant, const char *base)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *env_path = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *owner = NULL;

  server->dir = g_build_filename (base, variant, NULL);
  own_server (server);
  owner = g_strdup_printf ("%d", (int) server_owner);
  if (!mailsync_test_harness (server, &error, "start", "--variant", variant, "--owner", owner, NULL))
    {
      g_printerr ("# %s\n", error->message);
      return FALSE;
    }
  env_path = g_build_filename (server->dir, "env", NULL);
  if (!g_file_get_contents (env_path, &text, NULL, &error))
    return FALSE;
  server->env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *eq = strchr (lines[i], '=');
      g_autofree char *value = NULL;

      if (eq == NULL)
        continue;
      *eq = '\0';
      value = g_shell_unquote (eq + 1, NULL);
      g_hash_table_insert (server->env, g_strdup (lines[i]), g_strdup (value ? value : eq + 1));
    }
  return TRUE;
}

void
mailsync_test_server_stop (MailsyncTestServer *server)
{
  if (server->dir != NULL)
    {
      /* Disowned first: a stop handler that runs from here on (on another
       * thread too) leaves it to this stop. One that runs already (on
       * another thread: a CK_FORK=no run's test ended by the signal) has
       * claimed it and ends the process: no second stop beside its own. */
      disown_server (server);
      if (__atomic_load_n (&in_stop, __ATOMIC_SEQ_CST))
        for (;;)
          pause ();
      mailsync_test_harness (server, NULL, "stop", "--clean", NULL);
    }
}

const char *
mailsync_test_server_env (const MailsyncTestServer *server, const char *key)
{
  const char *value = g_hash_table_lookup (server->env, key);

  ck_assert_msg (value != NULL, "no %s in the harness env", key);
  return value;
}

MailsyncRepository *
mailsync_test_server_imap_repository (const MailsyncTestServer *server, const char *name)
{
  const char *port = mailsync_test_server_env (server, "DOVECOT_PORT");
  MailsyncRepository *repo = mailsync_imap_repository_new (name, mailsync_test_server_env (server, "DOVECOT_HOST"),
                                                           (guint16) atoi (port));

  g_object_set (repo, "ssl", FALSE, "starttls", TRUE, "user", mailsync_test_server_env (server, "DOVECOT_USER"),
                "password", mailsync_test_server_env (server, "DOVECOT_PASS"),
                "ca-file", mailsync_test_server_env (server, "DOVECOT_CA"), "timeout", 120u, NULL);
  return repo;
}

guint64
mailsync_test_server_figure (const MailsyncTestServer *server, const char *key, guint64 since)
{
  g_autofree char *since_text = g_strdup_printf ("%" G_GUINT64_FORMAT, since);
  const char *argv[] = { HARNESS, "bytes", server->dir,
                         "--user", mailsync_test_server_env (server, "DOVECOT_USER"),
                         "--since", since_text, "--no-wait", NULL };
  g_autofree char *out = NULL;
  g_autofree char *pattern = g_strdup_printf ("%s=", key);
  g_autoptr(GError) error = NULL;
  const char *at;
  int status;

  ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                               &status, &error), "%s", error ? error->message : "");
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "harness bytes: %s", out);
  for (at = strstr (out, pattern); at != NULL && at != out && at[-1] != ' '; at = strstr (at + 1, pattern))
    ;
  ck_assert_msg (at != NULL, "no %s in: %s", key, out);
  return g_ascii_strtoull (at + strlen (pattern), NULL, 10);
}

/* The server's log from @since, to stderr (the suite's log): which
 * session stayed, what it did, in the order the server logged it. */
static void
dump_log_since (const MailsyncTestServer *server, guint64 since)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (mailsync_test_server_env (server, "DOVECOT_LOG"), &text, &length, NULL) ||
      since > length)
    return;
  g_printerr ("Dovecot's log from offset %" G_GUINT64_FORMAT ":\n%s", since, text + since);
}

void
mailsync_test_server_wait_open (const MailsyncTestServer *server, guint64 since, guint64 open)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  guint64 now;

  while ((now = mailsync_test_server_figure (server, "open", since)) != open && g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  if (now != open)
    dump_log_since (server, since);
  ck_assert_msg (now == open, "Dovecot has %" G_GUINT64_FORMAT " sessions open, not %" G_GUINT64_FORMAT, now, open);
}

char *
mailsync_test_mkdtemp (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("mailsync-test-XXXXXX", &error);

  ck_assert_msg (dir != NULL, "mkdtemp: %s", error ? error->message : "?");
  return dir;
}

void
mailsync_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;
  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            mailsync_test_rm_rf (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

void
mailsync_test_write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *parent = g_path_get_dirname (path);

  ck_assert_int_eq (g_mkdir_with_parents (parent, 0700), 0);
  ck_assert_msg (g_file_set_contents (path, contents, -1, &error),
                 "write %s: %s", path, error ? error->message : "?");
}

char *
mailsync_test_read_file (const char *path, gsize *length)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  ck_assert_msg (g_file_get_contents (path, &contents, length, &error),
                 "read %s: %s", path, error ? error->message : "?");
  return contents;
}
