/* Units of the mailsync command that need no server: the optparse-style
 * command line, -k splitting, the Python string literals of mbnames, the
 * account lock between processes, the -P file format, mbnames files. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mailsync-test.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

/* The units are compiled in: they are the frontend's, not the library's. */
#include "mailsync-options.c"
#include "mailsync-lock.c"
#include "mailsync-profile.c"
#include "mailsync-mbnames.c"

static gboolean
parse (MailsyncOptions *opts, const char *line, GError **error)
{
  g_auto(GStrv) argv = NULL;
  int argc = 0;
  g_autofree char *full = g_strconcat ("mailsync ", line, NULL);

  g_assert_true (g_shell_parse_argv (full, &argc, &argv, NULL));
  return mailsync_options_parse (opts, argc, argv, error);
}

START_TEST (test_options_accepted)
{
  g_autoptr(MailsyncOptions) o = mailsync_options_new ();
  g_autoptr(GError) error = NULL;

  ck_assert (parse (o, "-1o -aWork,Home -c ~/rc --dry -k a=1 -k Account_X:b=2 -d imap "
                       "--delete-folder=Trash -u basic -f INBOX positional -P /tmp/p -q -s -l /tmp/l "
                       "--info --mbnames --migrate --ignore-keyring --update-keyring -V --version -h",
                    &error));
  ck_assert (o->single_thread && o->run_once && o->dry_run && o->quick && o->syslog && o->info);
  ck_assert (o->mbnames_prune && o->migrate_fmd5 && o->ignore_keyring && o->update_keyring);
  ck_assert (o->full_version && o->version && o->help);
  ck_assert_str_eq (o->accounts, "Work,Home");
  ck_assert_str_eq (o->config_file, "~/rc");
  ck_assert_str_eq (o->debug, "imap");
  ck_assert_str_eq (o->delete_folder, "Trash");
  ck_assert_str_eq (o->ui, "basic");
  ck_assert_str_eq (o->folders, "INBOX");
  ck_assert_str_eq (o->profile_dir, "/tmp/p");
  ck_assert_str_eq (o->log_file, "/tmp/l");
  ck_assert_uint_eq (o->overrides->len, 2);
  ck_assert_str_eq (o->overrides->pdata[0], "a=1");
  ck_assert_str_eq (o->overrides->pdata[1], "Account_X:b=2");
}
END_TEST

START_TEST (test_options_last_value_wins)
{
  g_autoptr(MailsyncOptions) o = mailsync_options_new ();

  ck_assert (parse (o, "-a One -a Two --delete-folder X --delete-folder Y -- -a Three", NULL));
  ck_assert_str_eq (o->accounts, "Two");
  ck_assert_str_eq (o->delete_folder, "Y");
}
END_TEST

static const struct
{
  const char *line;
  const char *message;
} bad_cases[] = {
  { "--bogus", "no such option: --bogus" },
  { "-x", "no such option: -x" },
  { "-1x", "no such option: -x" },
  { "-a", "-a option requires 1 argument" },
  { "-o -k", "-k option requires 1 argument" },
  { "--delete-folder", "--delete-folder option requires 1 argument" },
  { "--d", "ambiguous option: --d (--dry-run, --delete-folder?)" },
  { "--dry-run=yes", "--dry-run option does not take a value" },
  { "--info=1", "--info option does not take a value" },
};

START_TEST (test_options_rejected)
{
  g_autoptr(MailsyncOptions) o = mailsync_options_new ();
  g_autoptr(GError) error = NULL;

  ck_assert (!parse (o, bad_cases[_i].line, &error));
  ck_assert (error->domain == G_OPTION_ERROR);
  ck_assert_str_eq (error->message, bad_cases[_i].message);
}
END_TEST

static const struct
{
  const char *arg;
  const char *section;
  const char *key;
  const char *value;
} override_cases[] = {
  { "autorefresh=5", "general", "autorefresh", "5" },
  { "Account_Test:autorefresh=0.5", "Account Test", "autorefresh", "0.5" },
  { "Repository_My_Local:customflag_a=$Label1", "Repository My Local", "customflag_a", "$Label1" },
  { "Repository_R:remotepass=a=b:c", "Repository R", "remotepass", "a=b:c" },
  { "Account_Test:presynchook=", "Account Test", "presynchook", "" },
};

START_TEST (test_override_split)
{
  g_autofree char *section = NULL, *key = NULL, *value = NULL;

  ck_assert (mailsync_options_split_override (override_cases[_i].arg, &section, &key, &value, NULL));
  ck_assert_str_eq (section, override_cases[_i].section);
  ck_assert_str_eq (key, override_cases[_i].key);
  ck_assert_str_eq (value, override_cases[_i].value);
}
END_TEST

START_TEST (test_override_bad)
{
  g_autofree char *section = NULL, *key = NULL, *value = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert (!mailsync_options_split_override ("novalue", &section, &key, &value, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  ck_assert (!mailsync_options_split_override ("Account_X:=1", &section, &key, &value, &error));
  ck_assert (section == NULL && key == NULL);
}
END_TEST

START_TEST (test_help_lists_every_option)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  mailsync_options_print_help (f);
  fclose (f);
  for (gsize i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autofree char *name = specs[i].long_name ? g_strdup_printf ("--%s", specs[i].long_name)
                                                 : g_strdup_printf ("-%c", specs[i].short_name);

      ck_assert_msg (strstr (buf, name) != NULL, "%s missing from --help", name);
    }
  ck_assert (g_str_has_prefix (buf, "Usage: mailsync [options]\n"));
  free (buf);
}
END_TEST

/* ---- lock ----------------------------------------------------------- */

/* A forked child frees what it inherited (valgrind follows children) and
 * leaves the parent's lock file and lock alone. */
static void G_GNUC_NORETURN
child_exit (gboolean ok, MailsyncLock *parents, MailsyncLock *own, GError *error, char *dir, char *meta, char *path)
{
  if (parents != NULL)
    {
      g_free (parents->path);
      g_free (parents);
    }
  if (own != NULL)
    mailsync_lock_release (own);
  g_clear_error (&error);
  g_free (dir);
  g_free (meta);
  g_free (path);
  _exit (ok ? 0 : 1);
}

START_TEST (test_lock_between_processes)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autofree char *meta = g_build_filename (dir, "meta", NULL);
  g_autofree char *path = g_build_filename (meta, "Acc.lock", NULL);
  g_autoptr(GError) error = NULL;
  MailsyncLock *lock = mailsync_lock_acquire (meta, "Acc", &error);
  int status;
  pid_t pid;

  ck_assert_msg (lock != NULL, "%s", error ? error->message : "");
  ck_assert (g_file_test (path, G_FILE_TEST_EXISTS));
  pid = fork ();
  if (pid == 0)
    {
      GError *child_error = NULL;
      MailsyncLock *other = mailsync_lock_acquire (meta, "Acc", &child_error);
      gboolean ok = other == NULL && g_error_matches (child_error, MAILSYNC_ERROR, MAILSYNC_ERROR_LOCKED)
                    && strcmp (child_error->message,
                               "Could not lock account Acc. Is another instance using this account?") == 0;
      child_exit (ok, lock, other, child_error, dir, meta, path);
    }
  ck_assert (waitpid (pid, &status, 0) == pid);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "second process got the lock");
  ck_assert_msg (g_file_test (path, G_FILE_TEST_EXISTS), "the loser removed the winner's lock file");
  mailsync_lock_release (lock);
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));

  /* released: another process gets it */
  pid = fork ();
  if (pid == 0)
    {
      MailsyncLock *other = mailsync_lock_acquire (meta, "Acc", NULL);
      child_exit (other != NULL, NULL, other, NULL, dir, meta, path);
    }
  ck_assert (waitpid (pid, &status, 0) == pid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  mailsync_test_rm_rf (dir);
}
END_TEST

/* ---- -P ---------------------------------------------------------------- */

static MailsyncSyncEvent *
event (MailsyncSyncEventKind kind, const char *folder, MailsyncDirection direction, guint n)
{
  return _mailsync_sync_event_new (kind, "Acc", folder, NULL, direction, 0, n, 0, NULL, NULL, NULL);
}

START_TEST (test_profile_format)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncProfile) profile = mailsync_profile_new ("Acc");
  g_autoptr(GDir) d = NULL;
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) lines = NULL;
  const char *name;
  struct
  {
    MailsyncSyncEventKind kind;
    const char *folder;
    MailsyncDirection direction;
    guint n;
  } script[] = {
    { MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED, NULL, 0, 0 },
    { MAILSYNC_SYNC_EVENT_SYNC_FOLDERS, NULL, 0, 0 },
    { MAILSYNC_SYNC_EVENT_FOLDER_STARTED, "INBOX", 0, 0 },
    { MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, "INBOX", MAILSYNC_DIRECTION_TO_LOCAL, 1 },
    { MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, "INBOX", MAILSYNC_DIRECTION_TO_LOCAL, 2 },
    { MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, "INBOX", MAILSYNC_DIRECTION_TO_REMOTE, 1 },
    { MAILSYNC_SYNC_EVENT_FLAGS_ADDED, "INBOX", MAILSYNC_DIRECTION_TO_REMOTE, 3 },
    { MAILSYNC_SYNC_EVENT_FOLDER_FINISHED, "INBOX", 0, 0 },
    { MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED, NULL, 0, 0 },
  };

  mailsync_profile_phase_begin (profile, "presynchook");
  mailsync_profile_phase_end (profile);
  for (gsize i = 0; i < G_N_ELEMENTS (script); i++)
    {
      g_autoptr(MailsyncSyncEvent) e = event (script[i].kind, script[i].folder, script[i].direction, script[i].n);
      mailsync_profile_event (profile, e);
    }
  ck_assert (mailsync_profile_write (profile, dir, NULL));
  d = g_dir_open (dir, 0, NULL);
  name = g_dir_read_name (d);
  ck_assert (name != NULL && g_str_has_suffix (name, "_Acc.prof") && strlen (name) == 14 + strlen ("_Acc.prof"));
  path = g_build_filename (dir, name, NULL);
  text = mailsync_test_read_file (path, NULL);
  lines = g_strsplit (text, "\n", -1);
  ck_assert_str_eq (lines[0], "# mailsync profile 1");
  ck_assert_str_eq (lines[1], "account\tAcc");
  ck_assert (g_str_has_prefix (lines[4], "phase\t1\tpresynchook\t"));
  ck_assert (g_str_has_prefix (lines[5], "phase\t1\tconnect+list\t"));
  ck_assert (g_str_has_prefix (lines[6], "phase\t1\tfolder-structure\t"));
  ck_assert (g_str_has_prefix (lines[7], "folder\t1\tINBOX\t"));
  ck_assert (g_str_has_suffix (lines[7], "\t2\t1\t0\t0\t3\t0\t0"));
  ck_assert (g_str_has_prefix (lines[8], "total\t1\t\t"));
  ck_assert (g_str_has_suffix (lines[8], "\t2\t1\t0\t0\t3\t0\t0"));
  mailsync_test_rm_rf (dir);
}
END_TEST

/* ---- mbnames ------------------------------------------------------------ */

static const struct
{
  const char *expression;
  const char *value;   /* NULL: refused */
} literal_cases[] = {
  { "\"mailboxes \"", "mailboxes " },
  { "'\\n'", "\n" },
  { "\" \"", " " },
  { "\"a\" + 'b'", "ab" },
  { "(\"a\"\n 'b')", "ab" },
  { "r'\\n'", "\\n" },
  { "u\"\\u00fc\\x41\"", "\303\274A" },
  { "\"\"\"tri'ple\"\"\"", "tri'ple" },
  { "\"unknown \\q escape\"", "unknown \\q escape" },
  { "'\\n'.join(['a'])", NULL },
  { "x", NULL },
  { "\"open", NULL },
  { "\"a\" +", NULL },
  { "", NULL },
};

START_TEST (test_mbnames_literals)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = mailsync_mbnames_eval_string (literal_cases[_i].expression, &error);

  if (literal_cases[_i].value == NULL)
    ck_assert_msg (value == NULL && error != NULL, "'%s' accepted", literal_cases[_i].expression);
  else
    {
      ck_assert_msg (value != NULL, "%s: %s", literal_cases[_i].expression, error ? error->message : "");
      ck_assert_str_eq (value, literal_cases[_i].value);
    }
}
END_TEST

static MailsyncMbnames *
test_mbnames (const char *dir, MailsyncUi *ui, gboolean dry_run, gboolean incremental)
{
  MailsyncMbnames *self = g_new0 (MailsyncMbnames, 1);

  g_mutex_init (&self->lock);
  self->ui = g_object_ref (ui);
  self->enabled = TRUE;
  self->incremental = incremental;
  self->dry_run = dry_run;
  self->dir = g_build_filename (dir, "mbnames", NULL);
  self->path = g_build_filename (dir, "mailboxes", NULL);
  self->peritem = g_strdup ("\"+%(accountname)s/%(foldername)s\" 100%%");
  self->header = g_strdup ("mailboxes ");
  self->sep = g_strdup (" ");
  self->footer = g_strdup ("\n");
  return self;
}

START_TEST (test_mbnames_files)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autoptr(MailsyncUi) ui = mailsync_ui_new_by_name ("basic", NULL);
  g_autoptr(MailsyncMbnames) mb = NULL;
  g_autoptr(MailsyncMbnames) dry = NULL;
  g_autofree char *path = g_build_filename (dir, "mailboxes", NULL);
  g_autofree char *cache = g_build_filename (dir, "mbnames", "Work.json", NULL);
  g_autofree char *text = NULL;
  const char *work[] = { "INBOX", "Entw\303\274rfe", "INBOX", "Archive", NULL };
  const char *home[] = { "Sent", NULL };
  const char *keep[] = { "Home", NULL };
  g_autoptr(GError) error = NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *log = open_memstream (&buf, &len);

  mailsync_ui_set_output (ui, log);
  mb = test_mbnames (dir, ui, FALSE, FALSE);
  ck_assert (mailsync_mbnames_write_account (mb, "Work", "/m/w", work, &error));
  ck_assert (mailsync_mbnames_write_account (mb, "Home", "/m/h", home, &error));
  text = mailsync_test_read_file (cache, NULL);
  /* Python's json.dump: ensure_ascii, ", " and ": ", the order of the sync */
  ck_assert_str_eq (text, "[{\"accountname\": \"Work\", \"foldername\": \"INBOX\", \"localfolders\": \"/m/w\"}, "
                          "{\"accountname\": \"Work\", \"foldername\": \"Entw\\u00fcrfe\", \"localfolders\": \"/m/w\"}, "
                          "{\"accountname\": \"Work\", \"foldername\": \"Archive\", \"localfolders\": \"/m/w\"}]");
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));   /* not incremental: written at the end */
  ck_assert (mailsync_mbnames_write (mb, &error));
  g_free (text);
  text = mailsync_test_read_file (path, NULL);
  ck_assert_str_eq (text, "mailboxes \"+Home/Sent\" 100% \"+Work/Archive\" 100% \"+Work/Entw\303\274rfe\" 100% "
                          "\"+Work/INBOX\" 100%\n");

  /* a dry run says what it would do and touches nothing */
  dry = test_mbnames (dir, ui, TRUE, TRUE);
  ck_assert (mailsync_mbnames_prune (dry, keep, &error));
  fflush (log);
  ck_assert (strstr (buf, "mbnames would remove ") != NULL);
  ck_assert (g_file_test (cache, G_FILE_TEST_EXISTS));

  ck_assert (mailsync_mbnames_prune (mb, keep, &error));
  fflush (log);
  ck_assert (strstr (buf, "removed ") != NULL);
  ck_assert (!g_file_test (cache, G_FILE_TEST_EXISTS));
  g_free (text);
  text = mailsync_test_read_file (path, NULL);
  ck_assert_str_eq (text, "mailboxes \"+Home/Sent\" 100%\n");

  /* a cache that is not offlineimap's JSON is reported, not trusted */
  mailsync_test_write_file (cache, "[{\"accountname\": \"Work\"}");
  ck_assert (mailsync_mbnames_write (mb, &error));
  fflush (log);
  ck_assert (strstr (buf, "not properly read") != NULL);
  g_free (text);
  text = mailsync_test_read_file (path, NULL);
  ck_assert_str_eq (text, "mailboxes \"+Home/Sent\" 100%\n");
  mailsync_ui_set_output (ui, NULL);
  fclose (log);
  free (buf);
  mailsync_test_rm_rf (dir);
}
END_TEST

static Suite *
cli_suite (void)
{
  Suite *s = suite_create ("cli");
  TCase *tc = tcase_create ("options");

  tcase_add_test (tc, test_options_accepted);
  tcase_add_test (tc, test_options_last_value_wins);
  tcase_add_loop_test (tc, test_options_rejected, 0, G_N_ELEMENTS (bad_cases));
  tcase_add_loop_test (tc, test_override_split, 0, G_N_ELEMENTS (override_cases));
  tcase_add_test (tc, test_override_bad);
  tcase_add_test (tc, test_help_lists_every_option);
  suite_add_tcase (s, tc);
  tc = tcase_create ("lock");
  tcase_add_test (tc, test_lock_between_processes);
  suite_add_tcase (s, tc);
  tc = tcase_create ("mbnames");
  tcase_add_loop_test (tc, test_mbnames_literals, 0, G_N_ELEMENTS (literal_cases));
  tcase_add_test (tc, test_mbnames_files);
  suite_add_tcase (s, tc);
  tc = tcase_create ("profile");
  tcase_add_test (tc, test_profile_format);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (cli_suite ());
}
