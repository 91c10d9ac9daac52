/* Flag and keyword changes (UID STORE), and the check of keyword atoms
 * that APPEND uses too. */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-imap-command.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <stdlib.h>
#include <string.h>

/* Whether @keyword can be sent as a flag keyword: an atom, not a system
 * flag (it came from a FETCH or a Maildir's keyword file, where anything
 * may be written). */
gboolean
_mailsync_imap_keyword_atom_ok (const char *keyword)
{
  if (*keyword == '\0' || *keyword == '\\')
    return FALSE;
  for (const char *p = keyword; *p; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f || strchr ("(){%*\"]\\", *p) != NULL)
      return FALSE;
  return TRUE;
}

/* ---- our own changes, proven ours alone ----------------------------------- */

/* What a flag or keyword STORE of the engine's was answered with: the
 * unchanged-folder record after our own changes (doc/design.md "Row 3's
 * client CPU, and a record after our own flag stores"). With CONDSTORE a STORE
 * .SILENT is answered with `FETCH (UID u MODSEQ (m))` for every message
 * it changed (RFC 7162 §3.1.3; Dovecot: one MODSEQ for the whole
 * command, none for a message already as asked), and another client's
 * flag change reaches a selected mailbox as an unsolicited FETCH with
 * FLAGS. Every change on the server takes a mod-sequence of its own, so
 * when the listing's SELECT said HIGHESTMODSEQ H and our STOREs that
 * changed something got H+1, H+2, ... H+n in turn, nothing else changed
 * a flag between that SELECT and our last STORE; a change after it makes
 * the server's HIGHESTMODSEQ exceed H+n, which the next run's STATUS
 * sees, and an expunge or an append moves MESSAGES or UIDNEXT, which the
 * record keeps as the listing's. Anything else in a STORE's answer (FLAGS,
 * a UID it did not name, a second MODSEQ, EXISTS, EXPUNGE, VANISHED), a
 * failed STORE or a MODSEQ that is not the next: not provable, and no
 * later STORE makes it provable again (own_modseq 0). So is a FETCH with
 * FLAGS, or with a MODSEQ above own_modseq, in the answer to any other
 * command after the listing (a body FETCH, a NOOP, a SELECT again), and a
 * [HIGHESTMODSEQ] above own_modseq (_mailsync_imap_folder_on_untagged):
 * another client's change reported before our STORE, which a STORE that
 * then changes nothing could not tell from ours if the server answered it
 * with the message's current MODSEQ (RFC 4551 Example 3, erratum 3401).
 * Every other command that changes the mailbox (the deletion's \Deleted
 * STORE and its EXPUNGE, a plain EXPUNGE, a MOVE, the labels' X-GM-LABELS
 * STORE) sets own_modseq to 0 before it is sent
 * (_mailsync_imap_folder_forget_own_stores). */
typedef struct
{
  MailsyncImapFolder *self;
  guint32 *uids;  /* sorted */
  guint n_uids;
  guint64 modseq; /* the one MODSEQ of its answer, 0 for none */
  gboolean other; /* something not ours was in the answer */
} StoreAnswer;

static int
compare_uids (const void *a, const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

static void
store_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  StoreAnswer *answer = user_data;

  switch (response->data_kind)
    {
    case MAILSYNC_IMAP_DATA_FETCH:
      {
        const MailsyncImapFetch *fetch = response->u.fetch;

        if (fetch->present != (MAILSYNC_IMAP_FETCH_UID | MAILSYNC_IMAP_FETCH_MODSEQ) || fetch->modseq == 0
            || answer->n_uids == 0
            || bsearch (&fetch->uid, answer->uids, answer->n_uids, sizeof (guint32), compare_uids) == NULL
            || (answer->modseq != 0 && answer->modseq != fetch->modseq))
          answer->other = TRUE;
        else
          {
            /* ours: not passed on, as on_untagged takes a MODSEQ above
             * own_modseq outside a listing for another client's change */
            answer->modseq = fetch->modseq;
            return;
          }
      }
      break;
    case MAILSYNC_IMAP_DATA_EXISTS:
    case MAILSYNC_IMAP_DATA_EXPUNGE:
    case MAILSYNC_IMAP_DATA_VANISHED:
      answer->other = TRUE;
      break;
    default:
      break;
    }
  _mailsync_imap_folder_on_untagged (response, answer->self);
}

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
/* MAILSYNC_TEST_STORE_GATE=<path>: the process's first flag or keyword
 * STORE waits, once its folder is selected, until <path> exists (at most
 * 120 s), after creating <path>.waiting: a test changes the mailbox from
 * another client between the listing and our STORE
 * (check-sync-unchanged.py "own flag store"). */
static void
test_store_gate (void)
{
  static gint passed;
  const char *path = g_getenv ("MAILSYNC_TEST_STORE_GATE");
  g_autofree char *waiting = NULL;

  if (path == NULL || !g_atomic_int_compare_and_exchange (&passed, 0, 1))
    return;
  waiting = g_strconcat (path, ".waiting", NULL);
  g_file_set_contents (waiting, "", 0, NULL);
  for (int i = 0; i < 1200 && !g_file_test (path, G_FILE_TEST_EXISTS); i++)
    g_usleep (G_USEC_PER_SEC / 10);
}
#endif

/* One UID STORE of the engine's (flags or keywords) on @uids, sorted,
 * its answer weighed as above. */
static gboolean
store_own (MailsyncImapFolder *self, MailsyncImapCommand *cmd, guint32 *uids, guint n_uids,
           GCancellable *cancellable, GError **error)
{
  StoreAnswer answer = { self, uids, n_uids, 0, FALSE };
  g_autoptr(MailsyncImapResponse) ok = NULL;
  MailsyncImapRequest *request;

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  test_store_gate ();
#endif
  request = mailsync_imap_request_new_from_command (cmd, error);
  if (request == NULL)
    {
      self->own_modseq = 0;
      return FALSE;
    }
  mailsync_imap_request_set_untagged_handler (request, store_untagged, &answer);
  ok = _mailsync_imap_folder_send (self, request, cancellable, error);
  if (ok == NULL || answer.other)
    self->own_modseq = 0;
  else if (answer.modseq != 0)
    self->own_modseq = self->own_modseq != 0 && answer.modseq == self->own_modseq + 1 ? answer.modseq : 0;
  return ok != NULL;
}

/* ---- flags and deletion --------------------------------------------------- */

static MailsyncImapCommand *
flags_command (MailsyncImapFolder *self, const char *set, char sign, MailsyncFlags flags)
{
  MailsyncImapCommand *cmd = _mailsync_imap_folder_command (self, "UID STORE");

  /* @set is mailsync_imap_format_seqset's, trusted syntax */
  mailsync_imap_command_add_raw (cmd, set, NULL);
  mailsync_imap_command_add_atom (cmd, sign == '+' ? "+FLAGS.SILENT" : "-FLAGS.SILENT", NULL);
  mailsync_imap_command_add_flags (cmd, flags, NULL, NULL);
  return cmd;
}

/* Our changes to the folder are no longer the engine's flag and keyword
 * STOREs alone: no record after them this run (own_modseq 0). Called
 * before every other command that changes the selected mailbox. */
void
_mailsync_imap_folder_forget_own_stores (MailsyncImapFolder *self)
{
  self->own_modseq = 0;
}

/* A STORE that is not a flag change of the engine's (the deletion's
 * \Deleted, before its EXPUNGE). */
gboolean
_mailsync_imap_folder_store_flags (MailsyncImapFolder *self, const char *set, char sign, MailsyncFlags flags,
             GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapCommand) cmd = flags_command (self, set, sign, flags);
  g_autoptr(MailsyncImapResponse) ok = NULL;

  _mailsync_imap_folder_forget_own_stores (self);
  ok = _mailsync_imap_folder_run (self, cmd, cancellable, error);
  return ok != NULL;
}

static gboolean
store_own_flags (MailsyncImapFolder *self, UidArgs *args, char sign, MailsyncFlags flags,
                 GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapCommand) cmd = flags_command (self, args->set, sign, flags);

  return store_own (self, cmd, args->uids, args->n_uids, cancellable, error);
}

static void
uid_args_free (UidArgs *args)
{
  g_free (args->set);
  g_free (args->uids);
  g_free (args);
}

GTask *
_mailsync_imap_folder_uid_task (MailsyncFolder *folder, const guint32 *uids, guint n_uids, GCancellable *cancellable,
          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  UidArgs *args = g_new0 (UidArgs, 1);

  args->set = mailsync_imap_format_seqset (uids, n_uids);
  args->uids = g_memdup2 (uids, n_uids * sizeof (guint32));
  args->n_uids = n_uids;
  g_task_set_task_data (task, args, (GDestroyNotify) uid_args_free);
  return task;
}

static void
set_flags_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  UidArgs *args = task_data;
  g_autoptr(GError) error = NULL;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  if (!_mailsync_imap_folder_ensure_selected (self, cancellable, &error) ||
      (args->add && !store_own_flags (self, args, '+', args->add, cancellable, &error)) ||
      (args->remove && !store_own_flags (self, args, '-', args->remove, cancellable, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
folder_set_flags_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids, MailsyncFlags add,
                        MailsyncFlags remove, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  GTask *task = _mailsync_imap_folder_uid_task (folder, uids, n_uids, cancellable, callback, user_data);
  UidArgs *args = g_task_get_task_data (task);

  args->add = add;
  args->remove = remove;
  /* sorted: a STORE's answer is matched against them (store_own) */
  if (n_uids > 1)
    qsort (args->uids, n_uids, sizeof (guint32), compare_uids);
  _mailsync_imap_folder_queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_set_flags_async, set_flags_job);
}

/* ---- keywords (issue 10 item 3) ------------------------------------------ */

gboolean
_mailsync_imap_folder_can_store_keyword (MailsyncFolder *folder, const char *keyword)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (folder);

  /* A server that sends no PERMANENTFLAGS lets every flag be stored
   * (RFC 3501 6.3.1). IMAP keywords are case-insensitive. */
  if (!self->permanent_known || self->permanent_any)
    return TRUE;
  for (char **k = self->permanent_keywords; k != NULL && *k != NULL; k++)
    if (g_ascii_strcasecmp (*k, keyword) == 0)
      return TRUE;
  return FALSE;
}

typedef struct
{
  char *set;
  guint32 *uids; /* sorted */
  guint n_uids;
  char **add;
  char **remove;
} KeywordArgs;

static void
keyword_args_free (KeywordArgs *args)
{
  g_free (args->set);
  g_free (args->uids);
  g_strfreev (args->add);
  g_strfreev (args->remove);
  g_free (args);
}

static gboolean
store_keywords (MailsyncImapFolder *self, KeywordArgs *args, char sign, char **keywords,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(MailsyncImapCommand) cmd = NULL;

  for (char **k = keywords; k != NULL && *k != NULL; k++)
    if (**k != '\0')
      g_ptr_array_add (list, *k);
  if (list->len == 0)
    return TRUE;
  g_ptr_array_add (list, NULL);
  cmd = _mailsync_imap_folder_command (self, "UID STORE");
  /* the set is mailsync_imap_format_seqset's, trusted syntax */
  mailsync_imap_command_add_raw (cmd, args->set, NULL);
  mailsync_imap_command_add_atom (cmd, sign == '+' ? "+FLAGS.SILENT" : "-FLAGS.SILENT", NULL);
  mailsync_imap_command_add_flags (cmd, 0, (const char *const *) list->pdata, NULL);
  return store_own (self, cmd, args->uids, args->n_uids, cancellable, error);
}

static void
set_keywords_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  KeywordArgs *args = task_data;
  g_autoptr(GError) error = NULL;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  if (!_mailsync_imap_folder_ensure_selected (self, cancellable, &error) ||
      !store_keywords (self, args, '+', args->add, cancellable, &error) ||
      !store_keywords (self, args, '-', args->remove, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
_mailsync_imap_folder_set_keywords_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids,
                                          const char *add, const char *remove, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  KeywordArgs *args = g_new0 (KeywordArgs, 1);

  /* keywords are atoms (they came from a FETCH or a Maildir's keyword
   * file): refuse one that is not rather than send a broken command */
  args->set = mailsync_imap_format_seqset (uids, n_uids);
  args->uids = g_memdup2 (uids, n_uids * sizeof (guint32));
  args->n_uids = n_uids;
  if (n_uids > 1)
    qsort (args->uids, n_uids, sizeof (guint32), compare_uids);
  args->add = g_strsplit (add ? add : "", " ", -1);
  args->remove = g_strsplit (remove ? remove : "", " ", -1);
  for (guint pass = 0; pass < 2; pass++)
    for (char **k = pass ? args->remove : args->add; *k; k++)
      if (**k != '\0' && !_mailsync_imap_keyword_atom_ok (*k))
        {
          g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                                   "'%s' is not an IMAP keyword", *k);
          keyword_args_free (args);
          g_object_unref (task);
          return;
        }
  g_task_set_task_data (task, args, (GDestroyNotify) keyword_args_free);
  _mailsync_imap_folder_queue_job (MAILSYNC_IMAP_FOLDER (folder), task, _mailsync_imap_folder_set_keywords_async,
                                   set_keywords_job);
}

gboolean
_mailsync_imap_folder_set_keywords_finish (MailsyncFolder *folder, GAsyncResult *result, GStrv *not_stored,
                                           GError **error)
{
  if (not_stored != NULL)
    *not_stored = NULL;
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
_mailsync_imap_folder_store_class_init (MailsyncFolderClass *folder_class)
{
  folder_class->set_flags_async = folder_set_flags_async;
  folder_class->set_flags_finish = _mailsync_imap_folder_bool_finish;
}
