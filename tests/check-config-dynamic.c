/* MailsyncConfig: values computed from the config (*cmd commands, *eval
 * literals and Python expressions: nametrans, folderfilter). Split from
 * check-config.c. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"
#include "config-fixtures.h"
#include "config/mailsync-python-private.h"
#include "config/mailsync-config-private.h"

#include <string.h>
#include <glib/gstdio.h>

END_TEST

typedef struct
{
  const char *rules;
  const char *name;
  const char *expected;
} NameCase;

static const NameCase name_cases[] = {
  { "^INBOX\\.(.*) => \\1", "INBOX.Sent", "Sent" },
  { "^INBOX\\.(.*) => \\1", "INBOX", "INBOX" },
  { "\\. => /", "a.b.c", "a/b/c" },
  /* first matching rule wins */
  { "\n  ^Sent$ => Sent Items\n  ^(.*)$ => INBOX.\\1", "Sent", "Sent Items" },
  { "\n  ^Sent$ => Sent Items\n  ^(.*)$ => INBOX.\\1", "Drafts", "INBOX.Drafts" },
  { "^\\[Gmail\\]/(.*) => \\1", "[Gmail]/All Mail", "All Mail" },
};

START_TEST (test_nametrans_rules)
{
  const NameCase *c = &name_cases[_i];
  g_autofree char *data = g_strdup_printf (GENERAL ACCOUNT LOCAL REMOTE "nametrans_rules = %s\n", c->rules);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account = create (data, NULL, &error);
  g_autofree char *translated = NULL;

  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  translated = mailsync_repository_translate_name (mailsync_account_get_remote (account), c->name);
  ck_assert_str_eq (translated, c->expected);
}
END_TEST

typedef struct
{
  const char *options;
  const char *included;   /* '|'-separated */
  const char *excluded;
} FilterCase;

static const FilterCase filters[] = {
  { "folder_include = INBOX, Sent*", "INBOX|Sent|Sent Items", "Trash|Archive.2020|inbox" },
  { "folder_exclude = Trash, Spam, Archive.*", "INBOX|Sent|Archive", "Trash|Spam|Archive.2020" },
  { "folder_include = /^Archive\\.20[0-9]{2}$/\nfolder_exclude = Archive.2020",
    "Archive.2021|Archive.2099", "Archive.2020|Archive.20x1|INBOX" },
  { "folder_include =\n  INBOX\n  Lists/a,b", "INBOX|Lists/a,b", "Lists/a" },
};

START_TEST (test_folder_filters)
{
  const FilterCase *c = &filters[_i];
  g_autofree char *data = g_strdup_printf (GENERAL ACCOUNT LOCAL REMOTE "%s\n", c->options);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account = create (data, NULL, &error);
  g_auto(GStrv) in = g_strsplit (c->included, "|", -1);
  g_auto(GStrv) out = g_strsplit (c->excluded, "|", -1);
  MailsyncRepository *remote;

  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  remote = mailsync_account_get_remote (account);
  for (guint i = 0; in[i]; i++)
    ck_assert_msg (mailsync_repository_includes_folder (remote, in[i]), "%s excluded", in[i]);
  for (guint i = 0; out[i]; i++)
    ck_assert_msg (!mailsync_repository_includes_folder (remote, out[i]), "%s included", out[i]);
}

typedef struct
{
  const char *option;
  const char *message;
} CommandCase;

static const CommandCase commands[] = {
  { "remotepasscmd = echo s3cret; exit 3",
    "t:14: option 'remotepasscmd' in section 'Repository R': the command failed (exit status 3)" },
  { "remotepasscmd = printf '\\n'",
    "t:14: option 'remotepasscmd' in section 'Repository R': the command printed nothing on its first line" },
  { "remotepasscmd = kill -9 $$",
    "t:14: option 'remotepasscmd' in section 'Repository R': the command failed (Child process killed by signal 9)" },
  { "remotehostcmd = false",
    "t:14: option 'remotehostcmd' in section 'Repository R': the command failed (exit status 1)" },
  { "remoteportcmd = echo http",
    "t:14: option 'remoteportcmd' in section 'Repository R': 'http' is not a port number" },
  { "remotepassfile = ~/missing",
    NULL },
};

START_TEST (test_commands)
{
  const CommandCase *c = &commands[_i];
  g_autofree char *data = g_strdup_printf (GENERAL ACCOUNT LOCAL REMOTE_NOPASS "%s\n", c->option);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account = create (data, NULL, &error);

  ck_assert_ptr_null (account);
  if (c->message != NULL)
    ck_assert_str_eq (error->message, c->message);
  else
    ck_assert (g_str_has_prefix (error->message, "t:14: option 'remotepassfile' in section 'Repository R': cannot read '"));
  ck_assert_ptr_null (strstr (error->message, "s3cret"));
}
END_TEST

/* *cmd and *eval literals give the values */
START_TEST (test_dynamic_values)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account =
    create (GENERAL ACCOUNT LOCAL "[Repository R]\ntype = IMAP\nremotehostcmd = echo cmd-host; echo second\n"
            "remotehost = plain-host\nremoteportcmd = echo 1143\nremoteusereval = \"eval-user\"\n"
            "remoteusercmd = echo cmd-user\nremotepass = x\n", NULL, &error);
  g_autofree char *host = NULL, *user = NULL;
  guint port;

  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  g_object_get (mailsync_account_get_remote (account), "host", &host, "user", &user, "port", &port, NULL);
  ck_assert_str_eq (host, "cmd-host");
  ck_assert_str_eq (user, "eval-user");
  ck_assert_int_eq (port, 1143);
}
END_TEST

START_TEST (test_eval_literals)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfig) config =
    load_config (GENERAL "[mbnames]\nenabled = yes\nfilename = ~/mb\nheader = \"mailboxes \"\n"
                 "peritem = \"+%(accountname)s/%(foldername)s\"\nsep = ' '\nfooter = \"\\n\"\n"
                 ACCOUNT LOCAL REMOTE "idlefolders = ['INBOX', \"Lists.x\"]\n", &error);
  g_autofree char *header = NULL, *footer = NULL, *sep = NULL, *unset = NULL, *peritem = NULL;
  g_auto(GStrv) idle = NULL;

  ck_assert_msg (config != NULL, "%s", error ? error->message : "");
  header = mailsync_config_eval_string (config, "mbnames", "header", &error);
  ck_assert_str_eq (header, "mailboxes ");
  sep = mailsync_config_eval_string (config, "mbnames", "sep", &error);
  ck_assert_str_eq (sep, " ");
  footer = mailsync_config_eval_string (config, "mbnames", "footer", &error);
  ck_assert_str_eq (footer, "\n");
  peritem = mailsync_config_file_get_raw (mailsync_config_get_file (config), "mbnames", "peritem");
  ck_assert_str_eq (peritem, "\"+%(accountname)s/%(foldername)s\"");
  idle = mailsync_config_eval_list (config, "Repository R", "idlefolders", &error);
  ck_assert_int_eq (g_strv_length (idle), 2);
  ck_assert_str_eq (idle[1], "Lists.x");
  unset = mailsync_config_eval_string (config, "mbnames", "nope", &error);
  ck_assert_ptr_null (unset);
  ck_assert_ptr_null (error);
}
END_TEST

/* Python expressions: evaluated when the library has Python, refused
 * with the declarative equivalent named when it does not. */
START_TEST (test_python_options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account =
    create (GENERAL ACCOUNT LOCAL REMOTE "nametrans = lambda f: re.sub('^INBOX\\.', '', f)\n"
            "folderfilter = lambda f: f not in ['Trash']\n", NULL, &error);

  if (_mailsync_python_is_available ())
    {
      g_autofree char *translated = NULL;
      MailsyncRepository *remote;

      ck_assert_msg (account != NULL, "%s", error ? error->message : "");
      remote = mailsync_account_get_remote (account);
      translated = mailsync_repository_translate_name (remote, "INBOX.Sent");
      ck_assert_str_eq (translated, "Sent");
      ck_assert (!mailsync_repository_includes_folder (remote, "Trash"));
      ck_assert (mailsync_repository_includes_folder (remote, "INBOX"));

      /* an exception at sync time refuses the folder, with the reason */
      {
        g_autoptr(MailsyncAccount) raising =
          create (GENERAL ACCOUNT LOCAL REMOTE "nametrans = lambda f: {'INBOX': 'INBOX'}[f]\n", NULL, &error);
        MailsyncRepository *repo;

        ck_assert_msg (raising != NULL, "%s", error ? error->message : "");
        repo = mailsync_account_get_remote (raising);
        ck_assert (mailsync_repository_check_folder (repo, "INBOX", &error));
        ck_assert (!mailsync_repository_check_folder (repo, "Other", &error));
        ck_assert_str_eq (error->message, "Folder 'Other' of repository R is not synced: "
                          "t:15: nametrans: KeyError: 'Other'");
      }
    }
  else
    {
      ck_assert_ptr_null (account);
      ck_assert_int_eq (error->code, MAILSYNC_ERROR_NOT_SUPPORTED);
      ck_assert_str_eq (error->message,
                        "t:15: option 'nametrans' in section 'Repository R': Python expressions need a mailsync "
                        "built with Python; without Python, use 'nametrans_rules' instead (see mailsync.conf(5))");
    }
}
END_TEST

static void
make_maildir_folder (const char *root,
                     const char *name)
{
  static const char *const subs[] = { "cur", "new", "tmp" };

  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      g_autofree char *dir = g_build_filename (root, name, subs[i], NULL);
      ck_assert_int_eq (g_mkdir_with_parents (dir, 0700), 0);
    }
}

/* nametrans_rules go through the engine's round-trip check like Python
 * nametrans: inverse rules sync, rules that would create folders forever
 * are stopped. (Maildir <-> Maildir keeps the test local.) */
START_TEST (test_nametrans_rules_round_trip)
{
  static const char *const local_rules[] = { "", "nametrans_rules = ^Remote\\.(.*)$ => \\1\n" };

  for (guint i = 0; i < G_N_ELEMENTS (local_rules); i++)
    {
      g_autofree char *remote_root = g_strdup_printf ("%s/r%u", home, i);
      g_autofree char *local_root = g_strdup_printf ("%s/l%u", home, i);
      g_autofree char *data =
        g_strdup_printf ("[general]\naccounts = A\nmetadata = ~/meta%u\n" ACCOUNT
                         "[Repository R]\ntype = Maildir\nlocalfolders = %s\nnametrans_rules = ^(.*)$ => Remote.\\1\n"
                         "[Repository L]\ntype = Maildir\nlocalfolders = %s\n%s",
                         i, remote_root, local_root, local_rules[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(MailsyncAccount) account = NULL;
      g_autofree char *created = g_build_filename (local_root, "Remote.Work", "cur", NULL);
      gboolean ok;

      make_maildir_folder (remote_root, "Work");
      make_maildir_folder (local_root, "Remote.Mine");
      account = create (data, NULL, &error);
      ck_assert_msg (account != NULL, "%s", error ? error->message : "");
      ok = mailsync_account_sync (account, NULL, &error);
      if (i == 0)
        {
          /* "Remote.Mine" would go up as "Remote.Mine", whose local name
           * is "Remote.Remote.Mine": refused */
          ck_assert (!ok);
          ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_CONFLICT), "%s", error->message);
        }
      else
        {
          g_autofree char *up = g_build_filename (remote_root, "Mine", "cur", NULL);

          ck_assert_msg (ok, "%s", error ? error->message : "");
          ck_assert (g_file_test (created, G_FILE_TEST_IS_DIR));
          ck_assert (g_file_test (up, G_FILE_TEST_IS_DIR));
        }
    }
}
END_TEST

/* A nametrans or folderfilter that raises at sync time fails that folder,
 * with the option's location and the exception in an error event; the
 * other folders sync and nothing is created under a guessed name. */
typedef struct
{
  const char *remote_option;
  const char *local_option;
} RaisingCase;

static const RaisingCase raising_cases[] = {
  { "nametrans = lambda f: {'Work': 'Work'}[f]\n", "" },
  { "folderfilter = lambda f: {'Work': True}[f]\n", "" },
  /* the local folder "Mine" would go up as "Mine": its round trip raises */
  { "nametrans = lambda f: {'Work': 'Work', 'Bad': 'Bad'}[f]\n", "" },
  { "", "folderfilter = lambda f: {'Work': True}[f]\n" },
};

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
collect_errors (MailsyncAccount   *account,
                MailsyncSyncEvent *event,
                GString           *texts)
{
  if (mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_ERROR)
    g_string_append_printf (texts, "%s\n", mailsync_sync_event_get_text (event));
}

START_TEST (test_python_raising_at_sync)
{
  const RaisingCase *c = &raising_cases[_i];
  g_autofree char *remote_root = g_build_filename (home, "r", NULL);
  g_autofree char *local_root = g_build_filename (home, "l", NULL);
  g_autofree char *data =
    g_strdup_printf (GENERAL ACCOUNT "[Repository R]\ntype = Maildir\nlocalfolders = %s\n%s"
                     "[Repository L]\ntype = Maildir\nlocalfolders = %s\n%s",
                     remote_root, c->remote_option, local_root, c->local_option);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autoptr(GString) texts = g_string_new (NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *joined = NULL;
  const char *entry;

  if (!_mailsync_python_is_available ())
    return;
  make_maildir_folder (remote_root, "Work");
  make_maildir_folder (remote_root, "Bad");
  if (_i == 2)
    make_maildir_folder (local_root, "Mine");
  account = create (data, NULL, &error);
  ck_assert_msg (account != NULL, "%s", error ? error->message : "");
  g_signal_connect (account, "event", G_CALLBACK (collect_errors), texts);

  ck_assert (!mailsync_account_sync (account, NULL, &error));
  ck_assert_msg (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_PARTIAL), "%s", error->message);
  ck_assert_msg (strstr (texts->str, _i == 3 ? "t:13: folderfilter: KeyError: 'Bad'" :
                                      _i == 2 ? "t:10: nametrans: KeyError: 'Mine'" :
                                      _i == 1 ? "t:10: folderfilter: KeyError: 'Bad'" :
                                                "t:10: nametrans: KeyError: 'Bad'") != NULL,
                 "%s", texts->str);

  /* Work synced; nothing else appeared on either side */
  dir = g_dir_open (local_root, 0, NULL);
  while ((entry = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (entry));
  g_clear_pointer (&dir, g_dir_close);
  dir = g_dir_open (remote_root, 0, NULL);
  while ((entry = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strconcat ("remote:", entry, NULL));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  joined = g_strjoinv (" ", (char **) names->pdata);
  ck_assert_str_eq (joined, _i == 2 ? "Bad Mine Work remote:Bad remote:Work" : "Work remote:Bad remote:Work");
}
END_TEST
static Suite *
config_suite (void)
{
  Suite *s = suite_create ("config-dynamic");
  TCase *tc = tcase_create ("config-dynamic");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_loop_test (tc, test_nametrans_rules, 0, G_N_ELEMENTS (name_cases));
  tcase_add_loop_test (tc, test_folder_filters, 0, G_N_ELEMENTS (filters));
  tcase_add_loop_test (tc, test_commands, 0, G_N_ELEMENTS (commands));
  tcase_add_test (tc, test_dynamic_values);
  tcase_add_test (tc, test_eval_literals);
  tcase_add_test (tc, test_python_options);
  tcase_add_test (tc, test_nametrans_rules_round_trip);
  tcase_add_loop_test (tc, test_python_raising_at_sync, 0, G_N_ELEMENTS (raising_cases));
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (config_suite ());
}
