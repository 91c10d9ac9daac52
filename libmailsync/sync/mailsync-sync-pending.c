/* A killed run's last APPENDs (doc/design.md "A killed run's last
 * APPENDs"): a run killed with an APPEND (or a MULTIAPPEND) in its
 * socket leaves the kernel to deliver it, and the server's session may
 * store the messages only after the next run has listed the folder. IMAP
 * cannot tell whether a dead connection's commands are still being run,
 * so an upload's intent carries the time its upload started, and an
 * intent whose copy is not on the server is "young" for a grace period
 * after the newest upload of its folder started: its message is not sent
 * again at once. The folder's other work goes on, then the server is
 * listed again and the young intents matched once more; one still
 * missing is kept (the message stays pending, the run says so and the
 * folder is incomplete) until a run after the grace uploads it again.
 * A message is delayed by a run at worst, never doubled. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <string.h>

/* The dead session's work is the server's: reading what the kernel had
 * already delivered (at most the socket buffers, a few MB) and storing
 * it. Dovecot did it 150 ms after the next run's login in the case that
 * was traced; a minute covers a loaded server and the time between the
 * intent's commit and its APPEND's last byte (the intents are committed
 * up to one window of uploads ahead of their APPENDs), and costs a user
 * who runs again at once one run's delay. */
#define UPLOAD_GRACE_SECONDS 60

/* The grace in seconds. MAILSYNC_TEST_UPLOAD_GRACE (a test hook, in a
 * build with test hooks only) shortens it, so that the suites that kill
 * and run again wait seconds: never read by a release, which has no way
 * to make it 0. */
gint64
_mailsync_sync_upload_grace (void)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  const char *test = g_getenv ("MAILSYNC_TEST_UPLOAD_GRACE");
  guint64 n;

  if (test != NULL && g_ascii_string_to_unsigned (test, 10, 0, UPLOAD_GRACE_SECONDS, &n, NULL))
    return (gint64) n;
#endif
  return UPLOAD_GRACE_SECONDS;
}

/* An intent's value: "digest TAB size TAB local key TAB start", the
 * start in seconds since the epoch (wall clock: the next run may be
 * another process after a reboot). Without @started, no start: the
 * upload's APPEND cannot be stored later (never sent, or answered), and
 * the next run settles the intent at once, as an old one. */
char *
_mailsync_sync_intent_value (const char *digest, guint64 size, const char *key, gboolean started)
{
  if (!started)
    return g_strdup_printf ("%s\t%" G_GUINT64_FORMAT "\t%s", digest, size, key);
  return g_strdup_printf ("%s\t%" G_GUINT64_FORMAT "\t%s\t%" G_GINT64_FORMAT, digest, size, key,
                          g_get_real_time () / G_USEC_PER_SEC);
}

/* The digest, local key and start of an intent's value; a value written
 * before the start was recorded ("digest TAB size TAB key") has start 0,
 * which is old. FALSE for a value that is not an intent's. */
gboolean
_mailsync_sync_parse_intent (const char *value, char **digest, char **key, gint64 *started)
{
  g_auto(GStrv) fields = g_strsplit (value != NULL ? value : "", "\t", 3);
  const char *tab;
  guint64 n = 0;

  *digest = *key = NULL;
  *started = 0;
  if (g_strv_length (fields) != 3)
    return FALSE;
  tab = strrchr (fields[2], '\t');
  if (tab != NULL && g_ascii_string_to_unsigned (tab + 1, 10, 1, G_MAXINT64, &n, NULL))
    {
      *key = g_strndup (fields[2], (gsize) (tab - fields[2]));
      *started = (gint64) n;
    }
  else
    *key = g_strdup (fields[2]);
  *digest = g_strdup (fields[0]);
  return TRUE;
}

/* The time of the folder's last upload commit (intents written, or
 * uploads settled with APPENDs still on the wire), in the same batch:
 * the last sign of life of a run that was killed while it uploaded. The
 * value before this run's first is kept for the restore below. */
void
_mailsync_sync_note_upload_time (Runner *r, MailsyncStatusBatch *batch)
{
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);

  if (!r->last_upload_taken)
    {
      r->last_upload_before = g_strdup (g_hash_table_lookup (r->meta, META_LAST_UPLOAD));
      r->last_upload_taken = TRUE;
    }
  mailsync_status_batch_set_meta (batch, META_LAST_UPLOAD, now);
}

/* An upload settlement with nothing on the wire: this run can store
 * nothing later, so its time is no sign of anything, and the value goes
 * back to what it was before this run's uploads (a killed run's last
 * commit, or none). Without this a run that uploads something new every
 * time made a dead run's kept intents young for ever: each run exited 1
 * and the messages were never sent (review 2). */
void
_mailsync_sync_restore_upload_time (Runner *r, MailsyncStatusBatch *batch)
{
  if (r->last_upload_taken)
    mailsync_status_batch_set_meta (batch, META_LAST_UPLOAD, r->last_upload_before);
}

/* The newest start among the folder's upload intents, or the folder's
 * last upload commit when later (0: none recorded). All of a folder's
 * intents count as young as that: the dead connection's last commands
 * are the newest uploads' APPENDs, an older intent's copy may sit behind
 * them in the same socket, and the APPENDs of intents committed a window
 * ahead went out up to the last commit. */
gint64
_mailsync_sync_newest_intent (Runner *r)
{
  GHashTableIter iter;
  gpointer key, value;
  gint64 newest = 0;
  const char *last = g_hash_table_lookup (r->meta, META_LAST_UPLOAD);
  guint64 n;

  if (last != NULL && g_ascii_string_to_unsigned (last, 10, 1, G_MAXINT64, &n, NULL))
    newest = (gint64) n;

  g_hash_table_iter_init (&iter, r->meta);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *digest = NULL;
      g_autofree char *local_key = NULL;
      gint64 started;

      if (g_str_has_prefix (key, INTENT_PREFIX) &&
          _mailsync_sync_parse_intent (value, &digest, &local_key, &started))
        newest = MAX (newest, started);
    }
  return newest;
}

/* Whether an intent of a folder whose newest upload started at @newest
 * is still young: within the grace after it. A start further in the
 * future than the grace is a clock that was wrong then (or is now) and
 * counts as old, so that a message is never held back for long. */
static gboolean
intent_young (gint64 newest)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 grace = _mailsync_sync_upload_grace ();

  return newest > 0 && now < newest + grace && newest <= now + grace;
}

/* Called by the reconcile for an intent (started at @started, 0: not
 * recorded) whose copy is not on the server and whose local message is
 * there: TRUE when the intent is young and is
 * kept (the message is left out of this run's uploads, and looked for
 * again by _mailsync_sync_recheck_pending()); FALSE when the message is
 * to be uploaded again, as before. */
gboolean
_mailsync_sync_keep_pending (Runner *r, const char *intent, const char *key, gint64 started, gint64 newest)
{
  /* a folder of files (a Maildir remote) is written by the run itself:
   * nothing of a dead run's is stored after it; an intent without its
   * start was written before it was recorded, or by a run that knew
   * its APPEND was never sent or was answered */
  if (_mailsync_folder_get_directory (r->remote) != NULL || started == 0 || !intent_young (newest))
    return FALSE;
  if (r->pending_uploads == NULL)
    r->pending_uploads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_replace (r->pending_uploads, g_strdup (key), g_strdup (intent));
  r->pending_until = newest + _mailsync_sync_upload_grace ();
  return TRUE;
}

/* Called by the reconcile for an intent whose copy is not on the server
 * and whose local message is gone: the user deleted it after the killed
 * run. TRUE when the intent is young and is kept: a late copy that comes
 * while it is (this run's second listing, or a later run's) is recorded
 * with no local side (_mailsync_sync_record_gone()), and the sync deletes
 * it on the server, as any message deleted locally. Nothing is pending
 * for the user: no warning, the folder is not incomplete for it. */
gboolean
_mailsync_sync_keep_gone (Runner *r, const char *intent, gint64 started, gint64 newest)
{
  if (_mailsync_folder_get_directory (r->remote) != NULL || started == 0 || !intent_young (newest))
    return FALSE;
  if (r->pending_gone == NULL)
    r->pending_gone = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (r->pending_gone, g_strdup (intent));
  return TRUE;
}

/* An upload's copy @copy whose local message the user deleted since: a
 * status row with the copy's flags and no local side, which the plan reads
 * as "deleted locally" (offlineimap's three-way rule: on the server and in
 * the status, not local: deleted on the server). Without it the copy was
 * new server mail, and the deleted message came back. */
void
_mailsync_sync_record_gone (Runner *r, MailsyncStatusBatch *batch, MailsyncMessageInfo *copy)
{
  guint32 uid = mailsync_message_info_get_uid (copy);
  g_autofree char *flags = mailsync_flags_to_maildir (mailsync_message_info_get_flags (copy));

  _mailsync_sync_put_row (r, batch, uid, flags, NULL);
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, r->remote, MAILSYNC_DIRECTION_TO_REMOTE, uid, 0, 0, NULL, NULL,
                       "an interrupted upload's copy of a message deleted locally since: to be deleted");
}

/* Whether the local message under @key waits for a late copy (not to be
 * planned as an upload). */
gboolean
_mailsync_sync_is_pending (Runner *r, const char *key)
{
  return r->pending_uploads != NULL && key != NULL && g_hash_table_contains (r->pending_uploads, key);
}

guint
_mailsync_sync_n_pending (Runner *r)
{
  return r->pending_uploads != NULL ? g_hash_table_size (r->pending_uploads) : 0;
}

/* The intents kept: those of local messages pending and of deleted ones. */
guint
_mailsync_sync_n_kept (Runner *r)
{
  return _mailsync_sync_n_pending (r) + (r->pending_gone != NULL ? g_hash_table_size (r->pending_gone) : 0);
}

/* --dry-run: the reconcile writes, so it does not run; it is done here
 * without writing. An intent whose copy is on the server (found by
 * digest, as the reconcile finds it) is what a real run records: neither
 * its local message (an upload) nor the copy (a download) is planned
 * (review 1 Low 4 of session 16: the copy was listed as a download and
 * the message said held; a copy whose local message is gone, which a real
 * run deletes on the server, is left out too, not listed). A real run
 * would hold the local message of a
 * young intent whose copy is not there yet: kept out of the dry run's
 * plan too and said by _mailsync_sync_recheck_pending(). */
gboolean
_mailsync_sync_hold_dry_run (Runner *r, GError **error)
{
  g_autoptr(GHashTable) digests = NULL;
  g_autoptr(GHashTable) bare_digests = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gint64 newest;

  if (g_strcmp0 (g_hash_table_lookup (r->meta, META_INTENTS), META_INTENTS_NONE) == 0)
    return TRUE;
  newest = _mailsync_sync_newest_intent (r);
  g_hash_table_iter_init (&iter, r->meta);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *digest = NULL;
      g_autofree char *local_key = NULL;
      gint64 started;
      MailsyncMessageInfo *local;
      MailsyncMessageInfo *copy = NULL;

      if (!g_str_has_prefix (key, INTENT_PREFIX) || !_mailsync_sync_parse_intent (value, &digest, &local_key, &started))
        continue;
      if (digests == NULL)
        {
          /* the copies are looked for in the whole listing, as the reconcile does */
          _mailsync_sync_remote_materialise (r);
          digests = g_hash_table_new_full (NULL, NULL, NULL, g_free);
          bare_digests = g_hash_table_new_full (NULL, NULL, NULL, g_free);
          r->dry_found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          r->dry_found_uids = g_hash_table_new (NULL, NULL);
        }
      local = _mailsync_sync_local_by_identity (r, local_key);
      if (!_mailsync_sync_find_copy (r, r->remote_list, r->dry_found_uids, digest, digests, bare_digests, &copy,
                                     error))
        return FALSE;
      if (copy != NULL)
        {
          g_hash_table_add (r->dry_found_uids, GUINT_TO_POINTER (mailsync_message_info_get_uid (copy)));
          if (local != NULL)
            g_hash_table_add (r->dry_found, g_strdup (mailsync_message_info_get_key (local)));
        }
      else if (local != NULL)
        _mailsync_sync_keep_pending (r, key, mailsync_message_info_get_key (local), started, newest);
    }
  return TRUE;
}

/* --dry-run: whether the plan leaves out the remote message @remote_uid
 * (0: none) or the local one under @local_key (NULL: none), an interrupted
 * upload's copy and its original that a real run records. */
gboolean
_mailsync_sync_dry_found (Runner *r, guint32 remote_uid, const char *local_key)
{
  if (r->dry_found_uids == NULL)
    return FALSE;
  return (remote_uid != 0 && g_hash_table_contains (r->dry_found_uids, GUINT_TO_POINTER (remote_uid))) ||
         (local_key != NULL && g_hash_table_contains (r->dry_found, local_key));
}

/* The clock time the held messages are sent again at (local time). */
static char *
pending_clock (Runner *r)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (r->pending_until);

  return when != NULL ? g_date_time_format (when, "%H:%M:%S") : g_strdup ("?");
}

static void
say_dry_run_held (Runner *r)
{
  guint n = _mailsync_sync_n_pending (r);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *clock = pending_clock (r);
  g_autofree char *text =
    g_strdup_printf ("[DRYRUN] Folder %s: %u message%s uploaded by an interrupted run held for its late copy, "
                     "not sent again before %s (in %" G_GINT64_FORMAT " s)", r->folder_label, n, n == 1 ? "" : "s",
                     clock, MAX (r->pending_until - now, 0));

  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, NULL, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, text);
}

static void
warn_pending (Runner *r)
{
  guint n = _mailsync_sync_n_pending (r);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *clock = pending_clock (r);
  g_autofree char *text = NULL;
  g_autoptr(GError) skipped = NULL;

  text = g_strdup_printf ("Folder %s: %u message%s uploaded by an interrupted run %s not on the server yet; "
                          "not sent again before %s (in %" G_GINT64_FORMAT " s): that run's connection may "
                          "still store %s. The folder is not complete: run again after that",
                          r->folder_label, n, n == 1 ? "" : "s", n == 1 ? "is" : "are", clock,
                          MAX (r->pending_until - now, 0), n == 1 ? "it" : "them");
  /* a skipped message's error: the run exits 1, as for any message it
   * could not copy, and the next run tries again */
  skipped = g_error_new_literal (MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED, text);
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, r->remote, MAILSYNC_DIRECTION_TO_REMOTE, 0, 0, 0, NULL,
                       skipped, text);
}

/* The copy of the kept intent @intent in @list (messages nobody knows,
 * nor @skip), or NULL; the copy found goes into @skip. */
static gboolean
match_one (Runner *r, const char *intent, GPtrArray *list, GHashTable *skip, GHashTable *digests,
           GHashTable *bare_digests, MailsyncMessageInfo **copy, GError **error)
{
  g_autofree char *digest = NULL;
  g_autofree char *local_key = NULL;
  gint64 started;

  *copy = NULL;
  if (!_mailsync_sync_parse_intent (g_hash_table_lookup (r->meta, intent), &digest, &local_key, &started))
    return TRUE;
  if (!_mailsync_sync_find_copy (r, list, skip, digest, digests, bare_digests, copy, error))
    return FALSE;
  if (*copy != NULL)
    g_hash_table_add (skip, GUINT_TO_POINTER (mailsync_message_info_get_uid (*copy)));
  return TRUE;
}

/* Matches the kept intents with @list's messages nobody knows (and that
 * @skip does not hold: looked at already); a match is recorded as the
 * reconcile records one, in one commit. *@found: how many local messages
 * matched (their files renamed). The copies of messages deleted locally
 * get rows with no local side, and go into @gone (when not NULL). The
 * candidates are picked from @list once (usually none or the late
 * copies); @skip, the plan's whole listing in a recheck, is only looked
 * up, not copied (latelows, session 16: a copy of every UID per recheck). */
gboolean
_mailsync_sync_match_pending (Runner *r, GPtrArray *list, GHashTable *skip, guint *found, GPtrArray *gone,
                              GError **error)
{
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GHashTable) digests = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GHashTable) bare_digests = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GHashTable) taken = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) gone_intents = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer pending_key;

  g_autoptr(GPtrArray) candidates = NULL;

  *found = 0;
  if (_mailsync_sync_n_kept (r) == 0)
    return TRUE;
  candidates = g_ptr_array_new ();
  for (guint i = 0; i < list->len; i++)
    {
      guint32 uid = mailsync_message_info_get_uid (list->pdata[i]);

      if ((skip == NULL || !g_hash_table_contains (skip, GUINT_TO_POINTER (uid))) &&
          !_mailsync_status_table_contains (r->status_rows, uid) && !_mailsync_sync_local_has (r, uid))
        g_ptr_array_add (candidates, list->pdata[i]);
    }
  list = candidates;
  if (r->pending_uploads != NULL)
    {
      g_hash_table_iter_init (&iter, r->pending_uploads);
      while (g_hash_table_iter_next (&iter, &pending_key, NULL))
        g_ptr_array_add (keys, g_strdup (pending_key));
    }
  if (r->pending_gone != NULL)
    {
      g_hash_table_iter_init (&iter, r->pending_gone);
      while (g_hash_table_iter_next (&iter, &pending_key, NULL))
        g_ptr_array_add (gone_intents, g_strdup (pending_key));
    }
  for (guint i = 0; i < gone_intents->len; i++)
    {
      const char *intent = gone_intents->pdata[i];
      MailsyncMessageInfo *copy;

      if (!match_one (r, intent, list, taken, digests, bare_digests, &copy, error))
        return FALSE;
      if (copy == NULL)
        continue;
      _mailsync_sync_record_gone (r, batch, copy);
      mailsync_status_batch_set_meta (batch, intent, NULL);
      g_hash_table_remove (r->pending_gone, intent);
      if (gone != NULL)
        g_ptr_array_add (gone, copy);
    }
  for (guint i = 0; i < keys->len; i++)
    {
      const char *key = keys->pdata[i];
      const char *intent = g_hash_table_lookup (r->pending_uploads, key);
      MailsyncMessageInfo *copy = NULL;
      MailsyncMessageInfo *local = _mailsync_sync_local_by_identity (r, key);

      if (local == NULL)
        continue;
      if (!match_one (r, intent, list, taken, digests, bare_digests, &copy, error))
        return FALSE;
      if (copy == NULL)
        continue;
      if (!_mailsync_sync_recover_upload (r, batch, copy, local, error))
        return FALSE;
      mailsync_status_batch_set_meta (batch, intent, NULL);
      g_hash_table_remove (r->pending_uploads, key);
      (*found)++;
    }
  if (mailsync_status_batch_get_length (batch) > 0 &&
      ((*found > 0 && !_mailsync_sync_flush_folder (r, r->local, error)) || !_mailsync_sync_commit (r, batch, error)))
    return FALSE;
  return TRUE;
}

/* The late copies of messages deleted locally (@gone, rows with no
 * local side now): deleted on the server at once, by the rules the plan
 * would apply to them (a read-only folder, sync_deletes, the mass-delete
 * guard), as the next run would. */
static gboolean
delete_gone (Runner *r, GPtrArray *gone, GError **error)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GPtrArray) plan = NULL;
  g_autoptr(GPtrArray) deletes = g_ptr_array_new ();

  for (guint i = 0; i < gone->len; i++)
    {
      guint32 uid = mailsync_message_info_get_uid (gone->pdata[i]);

      g_array_append_val (uids, uid);
    }
  plan = _mailsync_sync_make_plan_of (r, gone, none, uids);
  for (guint i = 0; i < plan->len; i++)
    if (((MailsyncAction *) plan->pdata[i])->kind == MAILSYNC_ACTION_DELETE_REMOTE)
      g_ptr_array_add (deletes, plan->pdata[i]);
  return _mailsync_sync_guard_deletions (r, 0, deletes->len, error) &&
         _mailsync_sync_run_deletes (r, deletes, r->remote, "runner-delete-remote", error);
}

/* The grace of the held messages ended before the server was listed and
 * no copy came: nothing of the killed run can store one any more (the rule
 * a later run applies), so they are uploaded now, as new local mail,
 * their old intents settled first as the reconcile settles an old one. */
static gboolean
upload_held (Runner *r, GError **error)
{
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GPtrArray) locals = g_ptr_array_new ();
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GPtrArray) plan = NULL;
  g_autoptr(GPtrArray) uploads = g_ptr_array_new ();
  g_autofree char *text = NULL;
  GHashTableIter iter;
  gpointer key, intent;

  g_hash_table_iter_init (&iter, r->pending_uploads);
  while (g_hash_table_iter_next (&iter, &key, &intent))
    {
      MailsyncMessageInfo *local = _mailsync_sync_local_by_identity (r, key);

      mailsync_status_batch_set_meta (batch, intent, NULL);
      if (local != NULL && mailsync_message_info_get_uid (local) == 0)
        g_ptr_array_add (locals, local);
    }
  g_hash_table_remove_all (r->pending_uploads);
  if (!_mailsync_sync_commit (r, batch, error))
    return FALSE;
  plan = _mailsync_sync_make_plan_of (r, none, locals, NULL);
  for (guint i = 0; i < plan->len; i++)
    if (((MailsyncAction *) plan->pdata[i])->kind == MAILSYNC_ACTION_UPLOAD)
      g_ptr_array_add (uploads, plan->pdata[i]);
  text = g_strdup_printf ("%u message%s held for an interrupted run's late copy: its grace is over and no copy "
                          "came, uploading", uploads->len, uploads->len == 1 ? "" : "s");
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, r->remote, MAILSYNC_DIRECTION_TO_REMOTE, 0, 0, 0, NULL, NULL,
                       text);
  _mailsync_sync_progress_more (r, uploads);
  return _mailsync_sync_run_uploads (r, uploads, error);
}

/* After the folder's other work: the server is listed again and the
 * messages that arrived since the listing the plan was made from are
 * matched with the young intents (the late store may have landed
 * meanwhile): a local message's copy gets its UID, a deleted one's is
 * deleted on the server. When the grace ended before that listing (the
 * folder's work took longer), what is still missing is uploaded now;
 * else it stays pending, said in one warning line. */
gboolean
_mailsync_sync_recheck_pending (Runner *r, GError **error)
{
  if (_mailsync_sync_n_kept (r) == 0)
    return TRUE;
  if (r->config->dry_run)
    {
      say_dry_run_held (r);
      return TRUE;
    }
  /* this listing's state is not the one the plan's listing and the
   * status agree on: no unchanged record from this run */
  r->incomplete = TRUE;
  for (;;)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GPtrArray) list = NULL;
      g_autoptr(GPtrArray) gone = g_ptr_array_new ();
      gint64 listed_at = g_get_real_time () / G_USEC_PER_SEC;
      guint found;

      _mailsync_sync_offer_known_state (r, TRUE);
      _mailsync_sync_offer_window (r, r->remote);
      mailsync_folder_list_messages_async (r->remote, r->config->cancellable, _mailsync_store_result, &result);
      list = mailsync_folder_list_messages_finish (r->remote, _mailsync_await (&result), error);
      if (list == NULL)
        return FALSE;
      /* only what the plan's listing did not have: the rest was looked at */
      _mailsync_sync_remote_materialise (r);
      if (!_mailsync_sync_match_pending (r, list, r->remote_by_uid, &found, gone, error))
        return FALSE;
      if (gone->len > 0 && !delete_gone (r, gone, error))
        return FALSE;
      if (_mailsync_sync_n_pending (r) == 0)
        return TRUE;
      if (listed_at >= r->pending_until)
        return upload_held (r, error);
      /* the grace ended while the server was listed: once more */
      if (g_get_real_time () / G_USEC_PER_SEC < r->pending_until)
        break;
    }
  warn_pending (r);
  return TRUE;
}
