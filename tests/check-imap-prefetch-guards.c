/* The guards of the bodies fetched with a changed folder's SELECT
 * (mailsync-imap-folder-prefetch.c, review 2 Low 5 of session 18), one
 * check each, against the scripted CONDSTORE server
 * (tests/scripted_condstore.py). In a sync they back each other up (a
 * failed folder releases its lease, which drops the bodies too; the
 * first burst of fetches drops what it did not take), so
 * check-imap-prefetch.py passes with all three removed; here the folder
 * is driven directly, without the engine, so that each is the only one
 * left:
 *
 * - a failed SELECT keeps nothing: the SELECT of Other is refused while
 *   the server (misbehaving) keeps INBOX selected and answers the FETCH
 *   behind it with INBOX's messages at Other's new UIDs; nothing of it is
 *   held afterwards, and a fetch of Other's UID gets Other's message;
 * - a body is taken only under the UIDVALIDITY it was fetched under
 *   (the listing's);
 * - the next listing drops what the last one fetched: a message expunged
 *   in between is not found, its body not served from memory. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync.h"
#include "backends/imap/mailsync-imap-private.h"
#include "backends/imap/mailsync-imap-folder-private.h"
#include "mailsync-error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* INBOX (UIDVALIDITY 1000) and Other (1001): UIDs 1-3 from the initial
 * sync (modseq 10), 4 and 5 new (modseq 12). A control line on stdin:
 * "refuse NAME", "expunge NAME UID", "partials" (prints how many partial
 * FETCHes came, and how many after a refused SELECT). */
static const char scripted[] =
  "import sys, scripted_condstore, scripted_imap\n"
  "s = scripted_condstore.CondstoreServer(('INBOX', 'Other'))\n"
  "for name in ('INBOX', 'Other'):\n"
  "    for i in (1, 2, 3):\n"
  "        s.mailboxes[name].add(scripted_imap.message('%s-%d' % (name.lower(), i)))\n"
  "    for i in (4, 5):\n"
  "        s.new_mail(name, scripted_imap.message('%s-new-%d' % (name.lower(), i)))\n"
  "print(s.port, flush=True)\n"
  "for line in sys.stdin:\n"
  "    w = line.split()\n"
  "    if w[0] == 'refuse':\n"
  "        s.refuse_select = (w[1], 'mailbox busy, try later')\n"
  "    elif w[0] == 'expunge':\n"
  "        with s.lock:\n"
  "            mb = s.mailboxes[w[1]]\n"
  "            mb.messages = [m for m in mb.messages if m[0] != int(w[2])]\n"
  "            s.modseq[w[1]] += 1\n"
  "    print(len(s.partials), s.fetch_after_refusal, flush=True)\n";

typedef struct
{
  GSubprocess *process;
  GDataInputStream *out;
  MailsyncRepository *repo;
  GMainContext *context;
} Scripted;

static void
scripted_start (Scripted *s)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                      G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;

  s->context = g_main_context_new ();
  g_main_context_push_thread_default (s->context);
  g_subprocess_launcher_setenv (launcher, "PYTHONPATH", TEST_SRCDIR, TRUE);
  s->process = g_subprocess_launcher_spawn (launcher, &error, "python3", "-c", scripted, NULL);
  ck_assert_msg (s->process != NULL, "%s", error ? error->message : "");
  s->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->process));
  port = g_data_input_stream_read_line (s->out, NULL, NULL, &error);
  ck_assert_msg (port != NULL, "the scripted server gave no port: %s", error ? error->message : "");
  s->repo = mailsync_imap_repository_new ("scripted", "127.0.0.1", (guint16) atoi (port));
  g_object_set (s->repo, "ssl", FALSE, "starttls", FALSE, "user", "me", "password", "secret", "timeout", 120u,
                NULL);
  ck_assert_msg (mailsync_repository_open (s->repo, NULL, &error), "open: %s", error ? error->message : "");
}

/* Says @line to the server; its answer: the partial FETCHes it got, and
 * those after a refused SELECT. */
static void
scripted_say (Scripted *s, const char *line, guint *partials, guint *after_refusal)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  g_autofree char *answer = NULL;
  g_autoptr(GError) error = NULL;
  guint a = 0, b = 0;

  ck_assert (g_output_stream_write_all (g_subprocess_get_stdin_pipe (s->process), text, strlen (text), NULL, NULL,
                                        &error));
  answer = g_data_input_stream_read_line (s->out, NULL, NULL, &error);
  ck_assert_msg (answer != NULL && sscanf (answer, "%u %u", &a, &b) == 2, "the scripted server's answer: %s",
                 answer ? answer : (error ? error->message : "none"));
  if (partials != NULL)
    *partials = a;
  if (after_refusal != NULL)
    *after_refusal = b;
}

static void
scripted_stop (Scripted *s)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (mailsync_repository_close (s->repo, NULL, &error), "close: %s", error ? error->message : "");
  g_clear_object (&s->repo);
  g_output_stream_close (g_subprocess_get_stdin_pipe (s->process), NULL, NULL);
  ck_assert (g_subprocess_wait (s->process, NULL, NULL));
  g_clear_object (&s->out);
  g_clear_object (&s->process);
  g_main_context_pop_thread_default (s->context);
  g_clear_pointer (&s->context, g_main_context_unref);
}

static MailsyncImapFolder *
folder_of (Scripted *s, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) folders = mailsync_repository_list_folders (s->repo, NULL, &error);

  ck_assert_msg (folders != NULL, "list: %s", error ? error->message : "");
  for (guint i = 0; i < folders->len; i++)
    if (strcmp (mailsync_folder_get_name (folders->pdata[i]), name) == 0)
      return g_object_ref (folders->pdata[i]);
  ck_abort_msg ("no folder %s", name);
  return NULL;
}

/* scripted_imap.message(tag) */
static char *
message_text (const char *tag)
{
  return g_strdup_printf ("From: test@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
                          "Message-ID: <%s@scripted>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n"
                          "Body of %s\r\n", tag, tag, tag);
}

/* The engine's listing of a changed folder: from the saved state (UIDs
 * 1-3, modseq 10), with this run's probe showing new mail at 4 and 5, so
 * that the bodies' FETCH goes out behind the SELECT. */
static GPtrArray *
list_changes (MailsyncImapFolder *folder, guint32 validity, GError **error)
{
  g_autoptr(GHashTable) known = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autofree char *state = g_strdup_printf ("1 %u 10", validity);

  for (guint uid = 1; uid <= 3; uid++)
    g_hash_table_insert (known, GUINT_TO_POINTER (uid), g_strdup (""));
  g_object_set (folder, "known-messages", known, "known-state", state, NULL);
  folder->probed_uidvalidity = validity;
  folder->probed_modseq = 12;
  folder->probed_uidnext = 6;
  _mailsync_imap_folder_list_changes_only (MAILSYNC_FOLDER (folder));
  return mailsync_folder_list_messages (MAILSYNC_FOLDER (folder), NULL, error);
}

static GBytes *
read_all (GInputStream *stream)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  ck_assert_msg (g_output_stream_splice (out, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error) >= 0,
                 "read: %s", error ? error->message : "");
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

/* The message at @uid fetched through the folder (from memory or not):
 * its bytes, or NULL with @error. */
static GBytes *
fetch (MailsyncImapFolder *folder, guint32 uid, const char *tag, GError **error)
{
  g_autofree char *text = message_text (tag);
  g_autoptr(MailsyncMessageInfo) info = mailsync_message_info_new (uid, NULL, 0, NULL, strlen (text), 0);
  g_autoptr(GInputStream) stream = mailsync_folder_fetch_message (MAILSYNC_FOLDER (folder), info, NULL, error);

  return stream != NULL ? read_all (stream) : NULL;
}

static void
assert_message (GBytes *bytes, const char *tag)
{
  g_autofree char *text = message_text (tag);
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  ck_assert_msg (data != NULL && size == strlen (text) && memcmp (data, text, size) == 0,
                 "expected %s, got: %.*s", tag, (int) MIN (size, 200), data ? data : "(nothing)");
}

/* How many bodies the folder holds from its last listing. */
static guint
held (MailsyncImapFolder *folder)
{
  return (folder->prefetched != NULL ? g_hash_table_size (folder->prefetched) : 0) +
         (folder->prefetch_pending != NULL ? g_hash_table_size (folder->prefetch_pending) : 0);
}

START_TEST (test_failed_select_keeps_nothing)
{
  Scripted s = { 0 };
  g_autoptr(MailsyncImapFolder) inbox = NULL;
  g_autoptr(MailsyncImapFolder) other = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint partials = 0, after = 0;

  scripted_start (&s);
  inbox = folder_of (&s, "INBOX");
  other = folder_of (&s, "Other");
  /* INBOX selected on the connection */
  listed = mailsync_folder_list_messages (MAILSYNC_FOLDER (inbox), NULL, &error);
  ck_assert_msg (listed != NULL, "list INBOX: %s", error ? error->message : "");
  g_clear_pointer (&listed, g_ptr_array_unref);

  scripted_say (&s, "refuse Other", NULL, NULL);
  listed = list_changes (other, 1001, &error);
  ck_assert_msg (listed == NULL && error != NULL, "the refused SELECT's listing succeeded");
  g_clear_error (&error);
  scripted_say (&s, "partials", &partials, &after);
  ck_assert_msg (after == 1, "the bodies' FETCH did not go out behind the refused SELECT (%u partial FETCHes, "
                 "%u after it)", partials, after);
  /* INBOX's 4 and 5 came under Other's SELECT: none of it is held */
  ck_assert_msg (held (other) == 0, "the refused SELECT's listing left %u bodies with the folder", held (other));
  body = fetch (other, 4, "other-new-4", &error);
  ck_assert_msg (body != NULL, "fetch Other 4: %s", error ? error->message : "");
  assert_message (body, "other-new-4");
  scripted_stop (&s);
}
END_TEST

START_TEST (test_taken_under_its_uidvalidity)
{
  Scripted s = { 0 };
  g_autoptr(MailsyncImapFolder) inbox = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GBytes) taken = NULL;
  GBytes *part = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = message_text ("inbox-new-4");
  guint partials = 0;

  scripted_start (&s);
  inbox = folder_of (&s, "INBOX");
  listed = list_changes (inbox, 1000, &error);
  ck_assert_msg (listed != NULL, "list INBOX: %s", error ? error->message : "");
  scripted_say (&s, "partials", &partials, NULL);
  ck_assert_msg (partials == 1 && held (inbox) == 2, "%u partial FETCHes, %u bodies held", partials, held (inbox));
  /* A listing that ran under another UIDVALIDITY (which cannot happen
   * without the next listing's drop, the guard behind this one): the
   * bodies are not the messages its UIDs name. */
  inbox->listed_uidvalidity = 1000 + 7;
  taken = _mailsync_imap_folder_prefetch_take (inbox, 4, strlen (text), &part);
  ck_assert_msg (taken == NULL, "a body fetched under UIDVALIDITY 1000 was taken under another");
  inbox->listed_uidvalidity = 1000;
  taken = _mailsync_imap_folder_prefetch_take (inbox, 4, strlen (text), &part);
  ck_assert_msg (taken != NULL && part == NULL,
                 "the body fetched with the listing was not taken under its own UIDVALIDITY");
  assert_message (taken, "inbox-new-4");
  scripted_stop (&s);
}
END_TEST

START_TEST (test_next_listing_drops)
{
  Scripted s = { 0 };
  g_autoptr(MailsyncImapFolder) inbox = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint partials = 0;

  scripted_start (&s);
  inbox = folder_of (&s, "INBOX");
  listed = list_changes (inbox, 1000, &error);
  ck_assert_msg (listed != NULL, "list INBOX: %s", error ? error->message : "");
  g_clear_pointer (&listed, g_ptr_array_unref);
  scripted_say (&s, "partials", &partials, NULL);
  ck_assert_msg (partials == 1 && held (inbox) == 2, "%u partial FETCHes, %u bodies held", partials, held (inbox));
  /* 4 expunged, then a listing (in full: it sends no bodies' FETCH,
   * whose request drops the last ones too) */
  scripted_say (&s, "expunge INBOX 4", NULL, NULL);
  listed = mailsync_folder_list_messages (MAILSYNC_FOLDER (inbox), NULL, &error);
  ck_assert_msg (listed != NULL && listed->len == 4, "list INBOX again: %s (%u messages)",
                 error ? error->message : "", listed ? listed->len : 0);
  body = fetch (inbox, 4, "inbox-new-4", &error);
  ck_assert_msg (body == NULL && g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND),
                 "the expunged message was %s", body ? "served from the last listing's bodies" : error->message);
  g_clear_error (&error);
  ck_assert_msg (held (inbox) == 0, "the next listing left %u bodies of the one before", held (inbox));
  g_clear_pointer (&body, g_bytes_unref);
  body = fetch (inbox, 5, "inbox-new-5", &error);
  ck_assert_msg (body != NULL, "fetch INBOX 5: %s", error ? error->message : "");
  assert_message (body, "inbox-new-5");
  scripted_stop (&s);
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("imap-prefetch-guards");
  TCase *tc = tcase_create ("client");

  tcase_set_timeout (tc, 180);
  tcase_add_test (tc, test_failed_select_keeps_nothing);
  tcase_add_test (tc, test_taken_under_its_uidvalidity);
  tcase_add_test (tc, test_next_listing_drops);
  suite_add_tcase (suite, tc);
  return mailsync_test_run (suite);
}
