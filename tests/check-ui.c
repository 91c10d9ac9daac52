/* The mailsync command's UIs: machineui's encoding and every command's line,
 * basic/quiet/ttyui texts against offlineimap's templates (reference
 * offlineimap.md §3), the error recap, and UI name lookup. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mailsync-test.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-ui.h"
#include <json-glib/json-glib.h>

/* Expected values printed by Python 3's urllib.parse.quote_plus(). */
static const struct
{
  const char *in;
  const char *out;
} quote_cases[] = {
  { "", "" },
  { "MainThread", "MainThread" },
  { "Account sync Test", "Account+sync+Test" },
  { "Folder INBOX [acc: Test]", "Folder+INBOX+%5Bacc%3A+Test%5D" },
  { "a:b", "a%3Ab" },
  { "line1\012line2", "line1%0Aline2" },
  { "form\014feed", "form%0Cfeed" },
  { "tab\011here", "tab%09here" },
  { "100%", "100%25" },
  { "a+b", "a%2Bb" },
  { "~user/Mail", "~user%2FMail" },
  { "Entw\303\274rfe", "Entw%C3%BCrfe" },
  { "\346\227\245\346\234\254\350\252\236", "%E6%97%A5%E6%9C%AC%E8%AA%9E" },
  { "A-Z_a.z~0-9", "A-Z_a.z~0-9" },
  { "x=y&z?w#", "x%3Dy%26z%3Fw%23" },
  { "/path/to;x", "%2Fpath%2Fto%3Bx" },
  { "\001\177", "%01%7F" },
  { "'\"()*!", "%27%22%28%29%2A%21" },
};

START_TEST (test_quote_plus)
{
  g_autofree char *got = mailsync_ui_quote_plus (quote_cases[_i].in);

  ck_assert_str_eq (got, quote_cases[_i].out);
}
END_TEST

START_TEST (test_uid_sequence)
{
  guint32 a[] = { 9, 7, 8, 12 };
  guint32 b[] = { 4 };
  guint32 c[] = { 1, 3, 5, 6 };
  g_autofree char *sa = mailsync_ui_uid_sequence (a, G_N_ELEMENTS (a));
  g_autofree char *sb = mailsync_ui_uid_sequence (b, G_N_ELEMENTS (b));
  g_autofree char *sc = mailsync_ui_uid_sequence (c, G_N_ELEMENTS (c));
  g_autofree char *sn = mailsync_ui_uid_sequence (NULL, 0);

  ck_assert_str_eq (sa, "7:9,12");
  ck_assert_str_eq (sb, "4");
  ck_assert_str_eq (sc, "1,3,5:6");
  ck_assert_str_eq (sn, "");
}
END_TEST

/* ---- a synthetic run ---------------------------------------------------- */

typedef struct
{
  MailsyncUi *ui;
  FILE *stream;
  char *buf;
  size_t len;
} Capture;

static Capture *
capture_new (const char *name)
{
  g_autoptr(GError) error = NULL;
  Capture *c = g_new0 (Capture, 1);

  c->ui = mailsync_ui_new_by_name (name, &error);
  ck_assert_msg (c->ui != NULL, "%s", error ? error->message : "");
  c->stream = open_memstream (&c->buf, &c->len);
  ck_assert_ptr_nonnull (c->stream);
  mailsync_ui_set_output (c->ui, c->stream);
  return c;
}

/* Returns the output so far (owned by @c). */
static const char *
capture_text (Capture *c)
{
  fflush (c->stream);
  return c->buf;
}

static void
capture_free (Capture *c)
{
  g_object_unref (c->ui);
  fclose (c->stream);
  free (c->buf);
  g_free (c);
}

static void
feed (MailsyncUi *ui, MailsyncSyncEvent *event)
{
  mailsync_ui_event (ui, event);
  g_object_unref (event);
}

static MailsyncSyncEvent *
ev (MailsyncSyncEventKind kind, const char *folder, const char *repo, guint32 uid, guint n, guint total,
    const char *flags, const char *text)
{
  return _mailsync_sync_event_new (kind, "Test", folder, repo, MAILSYNC_DIRECTION_NONE, uid, n, total,
                                   flags, NULL, text);
}

static MailsyncSyncEvent *
typed (MailsyncSyncEvent *event, const char *src_repo, const char *src_type, const char *dst_type)
{
  _mailsync_sync_event_set_source (event, src_repo, src_type);
  _mailsync_sync_event_set_destination_type (event, dst_type);
  return event;
}

static MailsyncSyncEvent *
with_uids (MailsyncSyncEvent *event, const guint32 *uids, guint n)
{
  _mailsync_sync_event_set_uids (event, uids, n);
  return event;
}

/* The run of offlineimap.md §3.2's example, as the engine reports it. */
static void
run_sync (MailsyncUi *ui)
{
  static const guint32 deleted[] = { 7, 8, 9 };
  static const guint32 answered[] = { 2 };
  static const guint32 unseen[] = { 4, 5 };
  MailsyncSyncEvent *validity;

  feed (ui, ev (MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED, NULL, NULL, 0, 0, 0, NULL, NULL));
  feed (ui, ev (MAILSYNC_SYNC_EVENT_CONNECTING, NULL, "Remote", 0, 0, 0, NULL, "imap.example.org:993"));
  feed (ui, ev (MAILSYNC_SYNC_EVENT_FOLDER_CREATED, "Drafts", "Remote", 0, 0, 0, NULL, NULL));
  feed (ui, ev (MAILSYNC_SYNC_EVENT_STATUS_CREATED, "Drafts", "Local", 0, 0, 0, NULL, NULL));
  feed (ui, typed (ev (MAILSYNC_SYNC_EVENT_SYNC_FOLDERS, NULL, "Local", 0, 0, 0, NULL, NULL),
                   "Remote", "IMAP", "Maildir"));
  feed (ui, typed (ev (MAILSYNC_SYNC_EVENT_FOLDER_STARTED, "INBOX", "Local", 0, 0, 0, NULL, NULL),
                   "Remote", "IMAP", "Maildir"));
  feed (ui, typed (ev (MAILSYNC_SYNC_EVENT_LIST_LOADING, "INBOX", "Local", 0, 0, 0, NULL, NULL),
                   "Remote", "IMAP", "Maildir"));
  feed (ui, typed (ev (MAILSYNC_SYNC_EVENT_LIST_LOADED, "INBOX", "Local", 0, 3, 3, NULL, NULL),
                   "Remote", "IMAP", "Maildir"));
  feed (ui, typed (ev (MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES, "INBOX", "Local", 0, 0, 0, NULL, NULL),
                   "Remote", "IMAP", "Maildir"));
  feed (ui, typed (ev (MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, "INBOX", "Local", 6, 1, 1, "S", NULL),
                   "Remote", "IMAP", "Maildir"));
  feed (ui, with_uids (typed (ev (MAILSYNC_SYNC_EVENT_MESSAGES_DELETED, "INBOX", "Remote", 0, 3, 3, NULL,
                                  "7, 8, 9"), "Local", "Maildir", "IMAP"), deleted, 3));
  feed (ui, with_uids (typed (ev (MAILSYNC_SYNC_EVENT_FLAGS_ADDED, "INBOX", "Remote", 0, 1, 1, "R", NULL),
                              "Local", "Maildir", "IMAP"), answered, 1));
  feed (ui, with_uids (typed (ev (MAILSYNC_SYNC_EVENT_FLAGS_REMOVED, "INBOX", "Remote", 0, 2, 2, "S", NULL),
                              "Local", "Maildir", "IMAP"), unseen, 2));
  feed (ui, ev (MAILSYNC_SYNC_EVENT_FOLDER_FINISHED, "INBOX", NULL, 0, 0, 0, NULL, NULL));
  validity = ev (MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM, "Drafts", "Remote", 0, 0, 0, NULL, NULL);
  _mailsync_sync_event_set_uidvalidity (validity, 111, 1795626003);
  feed (ui, validity);
  mailsync_ui_message (ui, MAILSYNC_UI_LEVEL_INFO, "Account sync Test", "callhook",
                       "Calling hook: echo post-hook-ran");
  feed (ui, ev (MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED, NULL, NULL, 0, 0, 0, NULL, NULL));
  mailsync_ui_sleeping (ui, "Test", 10, 30);
  mailsync_ui_sleeping (ui, "Test", 10, 300);
  mailsync_ui_warn (ui, NULL, "Terminating after this sync...");
}

#define F "Folder+INBOX+%5Bacc%3A+Test%5D"
#define A "Account+sync+Test"

START_TEST (test_machineui_commands)
{
  Capture *c = capture_new ("machineui");
  const char *expected =
    "msg:registerthread:" A ":Test\n"
    "msg:acct:" A ":Test\n"
    "msg:connecting:" A ":imap.example.org%0A993%0ARemote\n"
    "msg::" A ":Creating+folder+Drafts%5BRemote%5D\n"
    "msg:_display:" A ":Creating+new+Local+Status+db+for+Local%3ADrafts\n"
    "msg:syncfolders:" A ":IMAP%0AMaildir\n"
    "msg:registerthread:" F ":Test\n"
    "msg:syncingfolder:" F ":IMAP%0AINBOX%0AMaildir%0AINBOX%0A\n"
    "msg:loadmessagelist:" F ":Maildir%0AINBOX\n"
    "msg:messagelistloaded:" F ":Maildir%0AINBOX%0A3\n"
    "msg:syncingmessages:" F ":IMAP%0AINBOX%0AMaildir%0AINBOX%0A\n"
    "msg:copyingmessage:" F ":6%0AIMAP%0AINBOX%0AMaildir%5BINBOX%5D\n"
    "msg:deletingmessages:" F ":7%0C8%0C9%0AIMAP%09INBOX\n"
    "msg:addingflags:" F ":2%0AR%0AINBOX\n"
    "msg:deletingflags:" F ":4%0C5%0AS%0AINBOX\n"
    "msg:threadExited:MainThread:" F "\n"
    "msg:unregisterthread:MainThread:" F "\n"
    "warn:validityproblem:Folder+Drafts+%5Bacc%3A+Test%5D:Drafts%0ARemote%0A111%0A1795626003\n"
    "msg:callhook:" A ":Calling+hook%3A+echo+post-hook-ran\n"
    "msg:acctdone:" A ":Test\n"
    "msg:threadExited:MainThread:" A "\n"
    "msg:unregisterthread:MainThread:" A "\n"
    "msg:sleeping:" A ":10%0A30\n"
    "msg:sleeping:" A ":10%0A300\n"
    "warn::MainThread:Terminating+after+this+sync...\n"
    "msg:terminate:MainThread:2%0A%0A\n";

  run_sync (c->ui);
  mailsync_ui_terminate (c->ui, 2, NULL, NULL);
  ck_assert_str_eq (capture_text (c), expected);
  ck_assert (mailsync_ui_had_validity_problem (c->ui));
  capture_free (c);
}
END_TEST

START_TEST (test_machineui_banner_and_debug)
{
  Capture *c = capture_new ("MachineUI");
  const char * const types[] = { "imap", NULL };
  g_auto(GStrv) lines = NULL;
  g_autofree char *initbanner = mailsync_ui_quote_plus (mailsync_ui_banner_text ());
  g_autofree char *expected = g_strdup_printf ("msg:initbanner:MainThread:%s", initbanner);

  mailsync_ui_banner (c->ui);
  mailsync_ui_set_debug_types (c->ui, types);
  mailsync_ui_message (c->ui, MAILSYNC_UI_LEVEL_INFO, NULL, "_display", "a: b");
  mailsync_ui_terminate (c->ui, 1, "Title", "last words");
  lines = g_strsplit (capture_text (c), "\n", -1);
  /* Two raw banner lines, then the protocol, as offlineimap. */
  ck_assert (g_str_has_prefix (lines[0], "mailsync " PACKAGE_VERSION));
  ck_assert (g_str_has_prefix (lines[1], "  Licensed under"));
  ck_assert_str_eq (lines[2], "msg:protocol:MainThread:7.2.0");
  ck_assert_str_eq (lines[3], expected);
  ck_assert (g_str_has_prefix (lines[4], "msg::MainThread:libmailsync+v"));
  ck_assert_str_eq (lines[5], "debug:debugging:MainThread:imap");
  ck_assert_str_eq (lines[6], "msg:_display:MainThread:a%3A+b");
  ck_assert_str_eq (lines[7], "msg:terminate:MainThread:1%0ATitle%0Alast+words");
  ck_assert_str_eq (lines[8], "");
  ck_assert_ptr_null (lines[9]);
  capture_free (c);
}
END_TEST

START_TEST (test_machineui_tunnel_and_error)
{
  Capture *c = capture_new ("machineui");
  g_autoptr(GError) error = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_PARTIAL, "boom: x");
  MailsyncSyncEvent *event;

  feed (c->ui, ev (MAILSYNC_SYNC_EVENT_CONNECTING, NULL, "Remote", 0, 0, 0, NULL,
                   "tunnel:setpriv --reuid=65534 imap"));
  event = _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_ERROR, "Test", NULL, NULL, MAILSYNC_DIRECTION_NONE,
                                    0, 0, 0, NULL, error, error->message);
  feed (c->ui, event);
  ck_assert_str_eq (capture_text (c),
                    "msg:connecting:" A ":tunnel%0Asetpriv+--reuid%3D65534+imap%0ARemote\n"
                    "error::" A ":ERROR%3A+boom%3A+x\n");
  ck_assert_uint_eq (mailsync_ui_get_error_count (c->ui), 1);
  capture_free (c);
}
END_TEST

START_TEST (test_machineui_getpass)
{
  Capture *c = capture_new ("machineui");
  int fds[2];
  int saved = dup (STDIN_FILENO);
  g_autofree char *password = NULL;

  ck_assert_int_eq (pipe (fds), 0);
  ck_assert_int_eq (write (fds[1], "s3cret pass\nnext\n", 17), 17);
  close (fds[1]);
  ck_assert_int_ge (dup2 (fds[0], STDIN_FILENO), 0);
  close (fds[0]);
  clearerr (stdin);
  password = mailsync_ui_ask_password (c->ui, "Test", "alice");
  dup2 (saved, STDIN_FILENO);
  close (saved);
  clearerr (stdin);
  ck_assert_str_eq (password, "s3cret pass");
  /* The password is read, never written. */
  ck_assert_str_eq (capture_text (c), "msg:getpass:" A ":alice\n");
  capture_free (c);
}
END_TEST

START_TEST (test_basic_texts)
{
  Capture *c = capture_new ("basic");

  run_sync (c->ui);
  mailsync_ui_terminate (c->ui, 2, NULL, NULL);
  ck_assert_str_eq (capture_text (c),
                    "*** Processing account Test\n"
                    "Establishing connection to imap.example.org:993 (Remote)\n"
                    "Creating folder Drafts[Remote]\n"
                    "Creating new Local Status db for Local:Drafts\n"
                    "Syncing INBOX: IMAP -> Maildir\n"
                    "Copy message UID 6 (1/1) Remote:INBOX -> Local:INBOX\n"
                    "Deleting 3 messages (7:9) in IMAP[INBOX]\n"
                    "Adding flag R to 1 messages on INBOX\n"
                    "Deleting flag S from 2 messages on INBOX\n"
                    "UID validity problem for folder Drafts (repo Remote) (saved 111; got 1795626003); "
                    "skipping it. Please see FAQ and manual on how to handle this.\n"
                    "Calling hook: echo post-hook-ran\n"
                    "*** Finished account 'Test' in 0:00\n"
                    "Terminating after this sync...\n"
                    "At least one folder skipped due to UID validity problem\n");
  capture_free (c);
}
END_TEST

/* Names and texts from a server never reach the terminal raw: a folder
 * named with an escape sequence, a C1 control or invalid UTF-8 is shown
 * escaped by every text UI (and in the log file). */
START_TEST (test_hostile_text_escaped)
{
  Capture *c = capture_new ("basic");
  g_autoptr(GError) error = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME,
                                                 "Folder name 'x\033]2;owned\007\302\233y\377' is not safe");
  MailsyncSyncEvent *event;

  event = _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_ERROR, "Test", NULL, NULL, MAILSYNC_DIRECTION_NONE,
                                    0, 0, 0, NULL, error, error->message);
  feed (c->ui, event);
  mailsync_ui_info (c->ui, NULL, "multi\nline\ttab");
  ck_assert_str_eq (capture_text (c),
                    "ERROR: Folder name 'x\\x1b]2;owned\\x07\\u009by\357\277\275' is not safe\n"
                    "multi\nline\ttab\n");
  capture_free (c);
}
END_TEST

/* ---- json (issue 10 item 6) ---------------------------------------------- */

static JsonObject *
json_line (char **lines, guint i, JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (lines[i] != NULL, "no line %u", i);
  ck_assert_msg (json_parser_load_from_data (parser, lines[i], -1, &error), "line %u: %s: %s", i,
                 error ? error->message : "", lines[i]);
  ck_assert (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

START_TEST (test_json_lines)
{
  Capture *c = capture_new ("json");
  g_autoptr(GError) error = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME,
                                                 "Folder name 'x\033]2;owned\007\302\233y\377' is not safe");
  MailsyncProgressCounts progress = { 1, 3, 1234, 5000, 4, 9, 7000, 20000 };
  MailsyncSyncEvent *event;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o, *p;

  event = typed (ev (MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, "IN\"BOX\n", "Local", 6, 1, 3, "S", NULL),
                 "Remote", "IMAP", "Maildir");
  _mailsync_sync_event_set_bytes (event, 1234);
  _mailsync_sync_event_set_progress (event, &progress);
  feed (c->ui, event);
  event = _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_ERROR, "Test", "bad\377", NULL, MAILSYNC_DIRECTION_NONE,
                                    0, 0, 0, NULL, error, error->message);
  feed (c->ui, event);
  feed (c->ui, ev (MAILSYNC_SYNC_EVENT_DEBUG, "INBOX", NULL, 0, 0, 0, NULL, "chatter"));
  mailsync_ui_info (c->ui, NULL, "multi\nline");
  mailsync_ui_terminate (c->ui, 1, NULL, NULL);

  /* one line per object: strings with newlines are escaped; no debug
   * event without -d; the base class's text lines of events are not
   * output; the error recap is not repeated at the end */
  lines = g_strsplit (capture_text (c), "\n", -1);
  ck_assert_uint_eq (g_strv_length (lines), 5);
  ck_assert_str_eq (lines[4], "");

  o = json_line (lines, 0, parser);
  ck_assert_str_eq (json_object_get_string_member (o, "kind"), "message-copied");
  ck_assert_str_eq (json_object_get_string_member (o, "folder"), "IN\"BOX\n");
  ck_assert_int_eq (json_object_get_int_member (o, "uid"), 6);
  ck_assert_int_eq (json_object_get_int_member (o, "bytes"), 1234);
  ck_assert_str_eq (json_object_get_string_member (o, "flags"), "S");
  p = json_object_get_object_member (json_object_get_object_member (o, "progress"), "account");
  ck_assert_int_eq (json_object_get_int_member (p, "messages_done"), 4);
  ck_assert_int_eq (json_object_get_int_member (p, "bytes_total"), 20000);
  p = json_object_get_object_member (json_object_get_object_member (o, "progress"), "folder");
  ck_assert_int_eq (json_object_get_int_member (p, "bytes_done"), 1234);

  o = json_line (lines, 1, parser);
  ck_assert_str_eq (json_object_get_string_member (o, "kind"), "error");
  /* invalid UTF-8 becomes U+FFFD; control characters are JSON escapes */
  ck_assert_str_eq (json_object_get_string_member (o, "folder"), "bad\357\277\275");
  ck_assert_ptr_nonnull (strstr (lines[1], "\\u001b]2;owned\\u0007"));
  p = json_object_get_object_member (o, "error");
  ck_assert_str_eq (json_object_get_string_member (p, "domain"), "mailsync-error-quark");
  ck_assert_str_eq (json_object_get_string_member (p, "code"), "unsafe-name");
  ck_assert (!json_object_has_member (o, "progress"));

  o = json_line (lines, 2, parser);
  ck_assert_str_eq (json_object_get_string_member (o, "kind"), "message");
  ck_assert_str_eq (json_object_get_string_member (o, "level"), "info");
  ck_assert_str_eq (json_object_get_string_member (o, "text"), "multi\nline");

  o = json_line (lines, 3, parser);
  ck_assert_str_eq (json_object_get_string_member (o, "kind"), "end");
  ck_assert_int_eq (json_object_get_int_member (o, "status"), 1);
  ck_assert_int_eq (json_object_get_int_member (o, "errors"), 1);
  ck_assert_uint_eq (mailsync_ui_get_error_count (c->ui), 1);
  capture_free (c);
}
END_TEST

START_TEST (test_basic_debug_level)
{
  Capture *c = capture_new ("basic");

  mailsync_ui_set_level (c->ui, MAILSYNC_UI_LEVEL_DEBUG);
  feed (c->ui, typed (ev (MAILSYNC_SYNC_EVENT_LIST_LOADED, "INBOX", "Local", 0, 3, 3, NULL, NULL),
                      "Remote", "IMAP", "Maildir"));
  feed (c->ui, typed (ev (MAILSYNC_SYNC_EVENT_SYNCING_MESSAGES, "INBOX", "Local", 0, 0, 0, NULL, NULL),
                      "Remote", "IMAP", "Maildir"));
  mailsync_ui_sleeping (c->ui, "Test", 10, 300);
  ck_assert_str_eq (capture_text (c),
                    "Message list for Maildir[INBOX] loaded: 3 messages\n"
                    "Syncing messages IMAP[INBOX] -> Maildir[INBOX]\n"
                    "Next refresh in 5.0 minutes\n");
  capture_free (c);
}
END_TEST

START_TEST (test_dry_run_and_skip)
{
  Capture *c = capture_new ("basic");

  mailsync_ui_set_dry_run (c->ui, TRUE);
  feed (c->ui, ev (MAILSYNC_SYNC_EVENT_FOLDER_CREATED, "Drafts", "Remote", 0, 0, 0, NULL, NULL));
  feed (c->ui, ev (MAILSYNC_SYNC_EVENT_FOLDER_SKIPPED, "INBOX", NULL, 0, 0, 0, NULL, "not changed"));
  feed (c->ui, ev (MAILSYNC_SYNC_EVENT_DEBUG, "INBOX", NULL, 0, 0, 0, NULL, "[DRYRUN] would copy"));
  feed (c->ui, ev (MAILSYNC_SYNC_EVENT_DEBUG, "INBOX", NULL, 0, 0, 0, NULL, "chatter"));
  ck_assert_str_eq (capture_text (c),
                    "[DRYRUN] Creating folder Drafts[Remote]\n"
                    "Skipping INBOX (not changed)\n"
                    "[DRYRUN] would copy\n");
  capture_free (c);
}
END_TEST

/* offlineimap names the server's folder in "Syncing F" and machineui's
 * syncingfolder each side's own name; an upload of new local mail shows
 * its negative pseudo-UID, not the UID the server gave it. */
START_TEST (test_remote_name_and_upload_uid)
{
  static const char * const mode[] = { "basic", "machineui" };
  static const char * const expected[] = {
    "Syncing Archive.2025: IMAP -> Maildir\n"
    "Copy message UID -1 (1/2) Local:Archive/2025 -> Remote:Archive/2025\n"
    "Copy message UID 7 (2/2) Local:Archive/2025 -> Remote:Archive/2025\n",
    "msg:registerthread:Folder+Archive%2F2025+%5Bacc%3A+Test%5D:Test\n"
    "msg:syncingfolder:Folder+Archive%2F2025+%5Bacc%3A+Test%5D:IMAP%0AArchive.2025%0AMaildir%0AArchive%2F2025%0A\n"
    "msg:copyingmessage:Folder+Archive%2F2025+%5Bacc%3A+Test%5D:-1%0AMaildir%0AArchive%2F2025%0AIMAP%5BArchive%2F2025%5D\n"
    "msg:copyingmessage:Folder+Archive%2F2025+%5Bacc%3A+Test%5D:7%0AMaildir%0AArchive%2F2025%0AIMAP%5BArchive%2F2025%5D\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (mode); i++)
    {
      Capture *c = capture_new (mode[i]);
      MailsyncSyncEvent *event = typed (ev (MAILSYNC_SYNC_EVENT_FOLDER_STARTED, "Archive/2025", "Local",
                                            0, 0, 0, NULL, NULL), "Remote", "IMAP", "Maildir");

      _mailsync_sync_event_set_folders (event, "Archive.2025", "Archive/2025");
      feed (c->ui, event);
      event = typed (ev (MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, "Archive/2025", "Remote", 12, 1, 2, "S", NULL),
                     "Local", "Maildir", "IMAP");
      _mailsync_sync_event_set_source_uid (event, -1);
      ck_assert_int_eq (mailsync_sync_event_get_source_uid (event), -1);
      ck_assert_uint_eq (mailsync_sync_event_get_uid (event), 12);
      feed (c->ui, event);
      /* A message that had a UID keeps it. */
      feed (c->ui, typed (ev (MAILSYNC_SYNC_EVENT_MESSAGE_COPIED, "Archive/2025", "Remote", 7, 2, 2, "S", NULL),
                          "Local", "Maildir", "IMAP"));
      ck_assert_str_eq (capture_text (c), expected[i]);
      capture_free (c);
    }
}
END_TEST

START_TEST (test_error_recap)
{
  Capture *c = capture_new ("basic");
  g_autoptr(GError) error = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_PARTIAL, "disk full");
  g_autoptr(GError) validity = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED, "v");
  MailsyncSyncEvent *event;

  feed (c->ui, typed (ev (MAILSYNC_SYNC_EVENT_FOLDER_STARTED, "INBOX", NULL, 0, 0, 0, NULL, NULL),
                      "Remote", "IMAP", "Maildir"));
  event = _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_ERROR, "Test", "INBOX", NULL, MAILSYNC_DIRECTION_NONE,
                                    0, 0, 0, NULL, error, error->message);
  feed (c->ui, event);
  /* A UIDVALIDITY error is not an exception of the run: exit code 2. */
  event = _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_ERROR, "Test", "Sent", NULL, MAILSYNC_DIRECTION_NONE,
                                    0, 0, 0, NULL, validity, validity->message);
  feed (c->ui, event);
  mailsync_ui_error (c->ui, NULL, "ERROR: Could not lock account %s. Is another instance using this account?",
                     "Other");
  ck_assert_uint_eq (mailsync_ui_get_error_count (c->ui), 2);
  ck_assert (mailsync_ui_had_validity_problem (c->ui));
  mailsync_ui_terminate (c->ui, 1, NULL, NULL);
  ck_assert_str_eq (capture_text (c),
                    "Syncing INBOX: IMAP -> Maildir\n"
                    "ERROR: Aborting sync, folder 'INBOX' [acc: 'Test']\n  disk full\n"
                    "ERROR: Could not lock account Other. Is another instance using this account?\n"
                    "ERROR: Exceptions occurred during the run!\n"
                    "ERROR: Aborting sync, folder 'INBOX' [acc: 'Test']\n  disk full\n"
                    "ERROR: Could not lock account Other. Is another instance using this account?\n"
                    "At least one folder skipped due to UID validity problem\n");
  capture_free (c);
}
END_TEST

START_TEST (test_account_error)
{
  Capture *c = capture_new ("basic");
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                                   "Could not connect to localhost: Connection refused");
  g_autoptr(GError) partial = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_PARTIAL, "1 folder(s) failed");
  MailsyncSyncEvent *event;

  feed (c->ui, ev (MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED, NULL, NULL, 0, 0, 0, NULL, NULL));
  event = _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED, "Test", NULL, NULL,
                                    MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, refused, refused->message);
  feed (c->ui, event);
  /* A summary of folder errors already reported is not one more error. */
  event = _mailsync_sync_event_new (MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED, "Other", NULL, NULL,
                                    MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, partial, partial->message);
  feed (c->ui, event);
  ck_assert_uint_eq (mailsync_ui_get_error_count (c->ui), 1);
  ck_assert_str_eq (capture_text (c),
                    "*** Processing account Test\n"
                    "ERROR: Could not connect to localhost: Connection refused\n"
                    "*** Finished account 'Test' in 0:00\n"
                    "*** Finished account 'Other' in 0:00\n");
  capture_free (c);
}
END_TEST

START_TEST (test_quiet)
{
  Capture *c = capture_new ("quiet");

  mailsync_ui_banner (c->ui);
  run_sync (c->ui);
  mailsync_ui_terminate (c->ui, 2, NULL, NULL);
  ck_assert_str_eq (capture_text (c),
                    "UID validity problem for folder Drafts (repo Remote) (saved 111; got 1795626003); "
                    "skipping it. Please see FAQ and manual on how to handle this.\n"
                    "Terminating after this sync...\n"
                    "At least one folder skipped due to UID validity problem\n");
  capture_free (c);
}
END_TEST

START_TEST (test_ttyui_threads)
{
  Capture *c = capture_new ("ttyui");

  mailsync_ui_banner (c->ui);
  run_sync (c->ui);
  /* The banner from MainThread: no thread line, no indentation. */
  ck_assert (g_str_has_prefix (capture_text (c), "mailsync " PACKAGE_VERSION "\n  Licensed under"));
  ck_assert_ptr_nonnull (strstr (capture_text (c), "\nlibmailsync v"));
  ck_assert_str_eq (strstr (capture_text (c), "Account sync Test:\n"),
                    "Account sync Test:\n"
                    " *** Processing account Test\n"
                    " Establishing connection to imap.example.org:993 (Remote)\n"
                    " Creating folder Drafts[Remote]\n"
                    " Creating new Local Status db for Local:Drafts\n"
                    "Folder INBOX [acc: Test]:\n"
                    " Syncing INBOX: IMAP -> Maildir\n"
                    " Copy message UID 6 (1/1) Remote:INBOX -> Local:INBOX\n"
                    " Deleting 3 messages (7:9) in IMAP[INBOX]\n"
                    " Adding flag R to 1 messages on INBOX\n"
                    " Deleting flag S from 2 messages on INBOX\n"
                    "Folder Drafts [acc: Test]:\n"
                    " UID validity problem for folder Drafts (repo Remote) (saved 111; got 1795626003); "
                    "skipping it. Please see FAQ and manual on how to handle this.\n"
                    "Account sync Test:\n"
                    " Calling hook: echo post-hook-ran\n"
                    " *** Finished account 'Test' in 0:00\n"
                    " Next refresh in 5.0 minutes\n"
                    "Terminating after this sync...\n");
  /* Not a terminal: no progress line, no escape sequence. */
  ck_assert_ptr_null (strchr (capture_text (c), '\033'));
  capture_free (c);
}
END_TEST

START_TEST (test_blinkenlights_falls_back)
{
  Capture *c;

  /* check runs without a terminal: blinkenlights says so and logs as ttyui. */
  if (isatty (STDIN_FILENO) && isatty (STDOUT_FILENO))
    return;
  c = capture_new ("Curses.Blinkenlights");
  ck_assert_str_eq (mailsync_ui_get_name (c->ui), "blinkenlights");
  mailsync_ui_info (c->ui, "Account sync Test", "hello");
  ck_assert_str_eq (capture_text (c), "Account sync Test:\n hello\n");
  ck_assert_int_eq (mailsync_ui_poll_request (c->ui), MAILSYNC_UI_REQUEST_NONE);
  capture_free (c);
}
END_TEST

START_TEST (test_log_file)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "run.log", NULL);
  g_autofree char *bad = g_build_filename (dir, "missing", "run.log", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GRegex) record = NULL;
  g_auto(GStrv) lines = NULL;
  Capture *c = capture_new ("quiet");

  ck_assert (!mailsync_ui_set_log_file (c->ui, bad, &error));
  ck_assert_ptr_nonnull (strstr (error->message, bad));
  ck_assert (mailsync_ui_set_log_file (c->ui, path, NULL));
  mailsync_ui_set_level (c->ui, MAILSYNC_UI_LEVEL_INFO);
  feed (c->ui, ev (MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED, NULL, NULL, 0, 0, 0, NULL, NULL));
  mailsync_ui_warn (c->ui, NULL, "careful");
  g_clear_pointer (&c->ui, g_object_unref);  /* closes the log */
  c->ui = mailsync_ui_new_by_name ("quiet", NULL);

  contents = mailsync_test_read_file (path, NULL);
  lines = g_strsplit (contents, "\n", -1);
  record = g_regex_new ("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} ", 0, 0, NULL);
  ck_assert (g_regex_match (record, lines[0], 0, NULL));
  ck_assert_ptr_nonnull (strstr (lines[0], " INFO: " "mailsync " PACKAGE_VERSION " starting..."));
  ck_assert (g_regex_match (record, lines[2], 0, NULL));
  ck_assert_str_eq (lines[2] + 20, "INFO: *** Processing account Test");
  ck_assert_str_eq (lines[3] + 20, "WARNING: careful");
  ck_assert_str_eq (lines[4], "");
  mailsync_test_rm_rf (dir);
  capture_free (c);
}
END_TEST

static const struct
{
  const char *name;
  const char *canonical;
} names[] = {
  { "ttyui", "ttyui" },
  { "TTYUI", "ttyui" },
  { "TTY.TTYUI", "ttyui" },
  { "basic", "basic" },
  { "Noninteractive.Basic", "basic" },
  { "Noninteractive.Quiet", "quiet" },
  { "Quiet", "quiet" },
  { "syslog", "syslog" },
  { "MachineUI", "machineui" },
  { "Machine.MachineUI", "machineui" },
  { "blinkenlights", "blinkenlights" },
};

START_TEST (test_names)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncUi) ui = NULL;

  ui = mailsync_ui_new_by_name (names[_i].name, &error);
  ck_assert_msg (ui != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (mailsync_ui_get_name (ui), names[_i].canonical);
}
END_TEST

/* copy_ignore_eval: offlineimap's ui.ignorecopyingmessage (no folder
 * started: the account's thread) */
START_TEST (test_ignored_copy)
{
  static const char *const uis[] = { "basic", "machineui" };
  static const char *const expected[] = {
    "IGNORED: Copy message UID 1 Remote:INBOX -> Local\n",
    "msg:ignorecopyingmessage:" A ":1%0AIMAP%0AINBOX%0AMaildir%5BINBOX%5D\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (uis); i++)
    {
      Capture *c = capture_new (uis[i]);

      feed (c->ui, typed (ev (MAILSYNC_SYNC_EVENT_MESSAGE_IGNORED, "INBOX", "Local", 1, 0, 0, NULL, NULL),
                          "Remote", "IMAP", "Maildir"));
      ck_assert_str_eq (capture_text (c), expected[i]);
      capture_free (c);
    }
}
END_TEST

/* Gmail's label pass: offlineimap's addinglabels, deletinglabels,
 * settinglabels and collectingdata are generic info lines (machineui's
 * empty command); the text comes from the library. */
START_TEST (test_label_lines)
{
  static const char *const uis[] = { "basic", "machineui" };
  static const struct { MailsyncSyncEventKind kind; const char *text; } events[] = {
    { MAILSYNC_SYNC_EVENT_LABELS_ADDED, "Adding label Local Label to 1 messages on INBOX" },
    { MAILSYNC_SYNC_EVENT_LABELS_REMOVED, "Deleting label Old from 2 messages on INBOX" },
    { MAILSYNC_SYNC_EVENT_LABELS_SET, "Setting labels to message 1 on INBOX (1 of 2): Urgent, \\Inbox" },
    { MAILSYNC_SYNC_EVENT_COLLECTING_DATA, "Collecting data from 1 messages on INBOX" },
  };
  static const char *const expected[] = {
    "Adding label Local Label to 1 messages on INBOX\n"
    "Deleting label Old from 2 messages on INBOX\n"
    "Setting labels to message 1 on INBOX (1 of 2): Urgent, \\Inbox\n"
    "Collecting data from 1 messages on INBOX\n",
    "msg::" A ":Adding+label+Local+Label+to+1+messages+on+INBOX\n"
    "msg::" A ":Deleting+label+Old+from+2+messages+on+INBOX\n"
    "msg::" A ":Setting+labels+to+message+1+on+INBOX+%281+of+2%29%3A+Urgent%2C+%5CInbox\n"
    "msg::" A ":Collecting+data+from+1+messages+on+INBOX\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (uis); i++)
    {
      Capture *c = capture_new (uis[i]);

      for (guint k = 0; k < G_N_ELEMENTS (events); k++)
        feed (c->ui, typed (ev (events[k].kind, "INBOX", "Local", 0, 1, 0, NULL, events[k].text),
                            "Remote", "Gmail", "GmailMaildir"));
      ck_assert_str_eq (capture_text (c), expected[i]);
      capture_free (c);
    }
}
END_TEST

START_TEST (test_unknown_name)
{
  g_autoptr(GError) error = NULL;
  MailsyncUi *ui = mailsync_ui_new_by_name ("fancy", &error);

  ck_assert_ptr_null (ui);
  ck_assert_str_eq (error->message,
                    "UI 'fancy' does not exist, choose one of: ttyui, basic, quiet, syslog, machineui, blinkenlights, json");
  g_clear_error (&error);
  ui = mailsync_ui_new_by_name ("Curses.Fancy", &error);
  ck_assert_ptr_null (ui);
  ck_assert_str_eq (error->message,
                    "UI 'Fancy' does not exist, choose one of: ttyui, basic, quiet, syslog, machineui, blinkenlights, json");
}
END_TEST

static Suite *
ui_suite (void)
{
  Suite *s = suite_create ("ui");
  TCase *tc = tcase_create ("machineui");

  tcase_add_loop_test (tc, test_quote_plus, 0, G_N_ELEMENTS (quote_cases));
  tcase_add_test (tc, test_uid_sequence);
  tcase_add_test (tc, test_machineui_commands);
  tcase_add_test (tc, test_remote_name_and_upload_uid);
  tcase_add_test (tc, test_machineui_banner_and_debug);
  tcase_add_test (tc, test_machineui_tunnel_and_error);
  tcase_add_test (tc, test_machineui_getpass);
  tcase_add_test (tc, test_ignored_copy);
  tcase_add_test (tc, test_label_lines);
  tcase_add_test (tc, test_hostile_text_escaped);
  tcase_add_test (tc, test_json_lines);
  suite_add_tcase (s, tc);

  tc = tcase_create ("texts");
  tcase_add_test (tc, test_basic_texts);
  tcase_add_test (tc, test_basic_debug_level);
  tcase_add_test (tc, test_dry_run_and_skip);
  tcase_add_test (tc, test_error_recap);
  tcase_add_test (tc, test_account_error);
  tcase_add_test (tc, test_quiet);
  tcase_add_test (tc, test_ttyui_threads);
  tcase_add_test (tc, test_blinkenlights_falls_back);
  tcase_add_test (tc, test_log_file);
  suite_add_tcase (s, tc);

  tc = tcase_create ("names");
  tcase_add_loop_test (tc, test_names, 0, G_N_ELEMENTS (names));
  tcase_add_test (tc, test_unknown_name);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (ui_suite ());
}
