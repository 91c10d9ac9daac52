/* One folder pair's listings (split out of mailsync-sync-runner.c, moved
 * verbatim): both sides listed at once (the local scan on the worker while
 * the server answers), indexed by UID and key, the listing warnings said
 * once, and the hand-over of listings the move pre-pass or the account's
 * plan-ahead already made (issue 13: a changed folder is listed once). */

#include "config.h"

#include "sync/mailsync-sync-private.h"
#include "status/mailsync-status-base.h"

#include <string.h>

static void
index_lists (Runner *r)
{
  g_clear_pointer (&r->remote_by_uid, g_hash_table_unref);
  g_clear_pointer (&r->local_by_uid, g_hash_table_unref);
  g_clear_pointer (&r->local_by_key, g_hash_table_unref);
  g_clear_pointer (&r->local_by_identity, g_hash_table_unref);
  r->remote_by_uid = g_hash_table_new (NULL, NULL);
  r->local_by_uid = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < r->remote_list->len; i++)
    {
      MailsyncMessageInfo *info = r->remote_list->pdata[i];
      g_hash_table_insert (r->remote_by_uid, GUINT_TO_POINTER (mailsync_message_info_get_uid (info)), info);
    }
  for (guint i = 0; i < r->local_list->len; i++)
    {
      MailsyncMessageInfo *info = r->local_list->pdata[i];
      guint32 uid = mailsync_message_info_get_uid (info);
      if (uid != 0 && !g_hash_table_contains (r->local_by_uid, GUINT_TO_POINTER (uid)))
        g_hash_table_insert (r->local_by_uid, GUINT_TO_POINTER (uid), info);
    }
}

/* The local message listed under @key (an upload's source, its size for
 * the byte count, an intent's renamed file). Only uploads and intents
 * ask, and a changed folder usually has neither, so the index is made on
 * the first question, from the listing index_lists() indexed (nothing
 * replaces r->local_list after it): hashing every Maildir file's name
 * (~80 bytes) cost ~8M instructions per 10,000 messages and listing
 * (issue 13 item 2). */
MailsyncMessageInfo *
_mailsync_sync_local_by_key (Runner *r, const char *key)
{
  MailsyncMessageInfo *info;

  if (key == NULL || r->local_list == NULL)
    return NULL;
  if (r->local_by_key == NULL)
    {
      /* every listed file by its key: the infos here; the rows
       * (mailsync-sync-rows.c) are indexed by key only when a key is not
       * an info's, and a row made into an info only when asked for
       * (review 2 Low 2 of session 16: the first upload made every row of
       * the folder into an info, though an upload is new mail, an info) */
      r->local_by_key = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < r->local_list->len; i++)
        {
          MailsyncMessageInfo *each = r->local_list->pdata[i];

          if (mailsync_message_info_get_key (each) != NULL)
            g_hash_table_insert (r->local_by_key, (gpointer) mailsync_message_info_get_key (each), each);
        }
    }
  info = g_hash_table_lookup (r->local_by_key, key);
  return info != NULL ? info : _mailsync_sync_local_row_by_key (r, key);
}

/* The local message an intent's key @key names, found by what of the key
 * stays when the message is renamed (_mailsync_folder_key_identity(): a
 * Maildir's unique name): the mail program may have moved the file from
 * new/ to cur/ or set a flag between the killed run and this one. Only
 * the intents ask, so the index is made on the first question. A file
 * that maxage or maxsize took out of the listing is found too (in the
 * listing before the window): it was not deleted, and its upload's copy
 * must not be recorded as the copy of a deleted message (the plan would
 * delete it on the server while the file stays). */
MailsyncMessageInfo *
_mailsync_sync_local_by_identity (Runner *r, const char *key)
{
  MailsyncMessageInfo *info = _mailsync_sync_local_by_key (r, key);
  GPtrArray *all = r->local_unfiltered != NULL ? r->local_unfiltered : r->local_list;
  g_autofree char *identity = NULL;

  if (info != NULL || key == NULL || r->local_list == NULL)
    return info;
  if (r->local_by_identity == NULL)
    {
      /* every listed file, its rows made into infos first (only a
       * killed run's intents ask, when the key did not find the file) */
      _mailsync_sync_local_materialise (r);
      all = r->local_unfiltered != NULL ? r->local_unfiltered : r->local_list;
      r->local_by_identity = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < all->len; i++)
        {
          MailsyncMessageInfo *each = all->pdata[i];
          const char *each_key = mailsync_message_info_get_key (each);

          if (each_key != NULL)
            {
              char *each_identity = _mailsync_folder_key_identity (r->local, each_key);

              if (g_hash_table_contains (r->local_by_identity, each_identity))
                g_free (each_identity);
              else
                g_hash_table_insert (r->local_by_identity, each_identity, each);
            }
        }
    }
  identity = _mailsync_folder_key_identity (r->local, key);
  return g_hash_table_lookup (r->local_by_identity, identity);
}

/* Whether this runner's listings may come as rows (mailsync-sync-rows.c):
 * not when they are kept and handed over as infos (the move pre-pass),
 * and not where a window or synclabels walk every info; the code that
 * walks them otherwise makes the infos first. */
static gboolean
rows_apply (Runner *r)
{
  return !r->may_keep && !r->keep_listings && r->prepared == NULL && _mailsync_sync_fast_listing_applies (r) &&
         _mailsync_labels_config_get (mailsync_folder_get_repository (r->local)) == NULL;
}

/* The local listing (a directory scan in a thread, the longest part of a
 * no-op resync) can start before the status is loaded; list_both then
 * takes its result. Only the listing starts early: the events stay where
 * they were. */
void
_mailsync_sync_start_local_listing (Runner *r)
{
  g_clear_object (&r->local_result);
  r->local_rows_asked = rows_apply (r) && _mailsync_folder_list_changes_only (r->local);
  r->local_listing = TRUE;
  mailsync_folder_list_messages_async (r->local, r->config->cancellable, _mailsync_store_result, &r->local_result);
}

void
_mailsync_sync_wait_local_listing (Runner *r)
{
  if (!r->local_listing)
    return;
  while (r->local_result == NULL)
    _mailsync_await_iteration ();
  r->local_listing = FALSE;
}

/* The remote listing asked ahead of list_both (the move pre-pass asks
 * every changed folder's at once, in one burst: hold_listings), with what
 * it is asked from: the status's known state and the window. */
static void
start_remote_listing (Runner *r)
{
  g_clear_object (&r->remote_result);
  _mailsync_sync_offer_known_state (r, TRUE);
  _mailsync_sync_offer_window (r, r->remote);
  r->remote_listing = TRUE;
  mailsync_folder_list_messages_async (r->remote, r->config->cancellable, _mailsync_store_result, &r->remote_result);
}

void
_mailsync_sync_wait_remote_listing (Runner *r)
{
  if (!r->remote_listing)
    return;
  _mailsync_await (&r->remote_result);
  r->remote_listing = FALSE;
}

/* offlineimap's GmailMaildir folder lists itself without the UI's
 * loadmessagelist/messagelistloaded lines (its cachemessagelist does not
 * call them); every other folder shows them. */
gboolean
_mailsync_sync_shows_listing (MailsyncFolder *folder)
{
  return g_strcmp0 (_mailsync_type_label (folder), "GmailMaildir") != 0;
}

/* What the listings reported without failing (two files claiming one UID),
 * kept until _mailsync_sync_emit_listing_warnings(): a second listing of the same run
 * (after reconcile_intents) replaces them, so each is said once a run. */
static void
take_listing_warnings (Runner *r)
{
  MailsyncFolder *sides[] = { r->local, r->remote };

  g_clear_pointer (&r->listing_warnings, g_ptr_array_unref);
  for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
    {
      g_autoptr(GPtrArray) warnings = _mailsync_folder_take_listing_warnings (sides[i]);

      if (warnings == NULL)
        continue;
      if (r->listing_warnings == NULL)
        r->listing_warnings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
      for (guint j = 0; j < warnings->len; j++)
        g_ptr_array_add (r->listing_warnings, g_error_copy (warnings->pdata[j]));
    }
}

void
_mailsync_sync_emit_listing_warnings (Runner *r)
{
  for (guint i = 0; r->listing_warnings != NULL && i < r->listing_warnings->len; i++)
    {
      const GError *warning = r->listing_warnings->pdata[i];

      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, NULL, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, warning,
            warning->message);
    }
  g_clear_pointer (&r->listing_warnings, g_ptr_array_unref);
}

/* ---- listings handed from the move pre-pass (issue 13) ----------------- */

void
_mailsync_sync_listings_free (MailsyncSyncListings *listings)
{
  if (listings == NULL)
    return;
  g_clear_object (&listings->remote);
  g_clear_object (&listings->local);
  g_clear_pointer (&listings->remote_list, g_ptr_array_unref);
  g_clear_pointer (&listings->local_list, g_ptr_array_unref);
  g_clear_pointer (&listings->warnings, g_ptr_array_unref);
  g_clear_pointer (&listings->status_rows, _mailsync_status_table_unref);
  g_clear_pointer (&listings->meta, g_hash_table_unref);
  g_free (listings);
}

GHashTable *
mailsync_sync_runner_listings_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) _mailsync_sync_listings_free);
}

/* The hand-over keeps at most this many listed messages (both sides
 * counted) at a time; past it, a folder's own sync lists it again (its
 * SELECT and listing round trip) rather than the run's memory growing
 * with the account: at 1,000,000 messages in 100 folders, all changed,
 * keeping every listing made the run's peak RSS 492 MB (issue 13 item 4,
 * bench/README.md). A kept listed message costs ~250 bytes (its message
 * info, a Maildir file's name and index entry): 20,000 is ~5 MB, and a
 * 10,000-message account (both sides listed) still keeps all of its
 * listings, so a larger account's peak is that of a 10,000-message one
 * plus its largest changed folder (it was 100,000: ~25 MB more at 1M). */
#define KEPT_LISTINGS_BUDGET MAILSYNC_SYNC_KEPT_LISTINGS_BUDGET

static guint
kept_listings_count (GHashTable *listings)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, listings);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      MailsyncSyncListings *kept = value;

      /* the status rows kept with them (about one per listed message) are
       * bounded by the same count */
      n += kept->remote_list->len + kept->local_list->len;
    }
  return n;
}

static GPtrArray *
copy_list (GPtrArray *list)
{
  return g_ptr_array_copy (list, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
}

/* The pre-pass's listings of this pair, taken: good for one listing (a
 * second list_both of the same run, after the upload intents, lists
 * again). NULL when there are none or they are of other folder objects. */
MailsyncSyncListings *
_mailsync_sync_take_prepared (Runner *r)
{
  gpointer key = NULL, value = NULL;
  MailsyncSyncListings *listings;
  gboolean found;

  if (r->config->listings == NULL)
    return NULL;
  _mailsync_sync_config_lock (r->config);
  found = g_hash_table_steal_extended (r->config->listings, r->status_name, &key, &value);
  _mailsync_sync_config_unlock (r->config);
  if (!found)
    return NULL;
  /* stolen: the table's destroy functions do not run, the key is ours */
  g_free (key);
  listings = value;
  if (listings->remote != r->remote || listings->local != r->local)
    {
      _mailsync_sync_listings_free (listings);
      return NULL;
    }
  return listings;
}

/* A listing asked for rows that gave none (a folder's bug, or another
 * listing of the folder in between): its result is not the whole
 * listing, so it is refused as a failed listing. */
static void
rows_lost (Runner *r, MailsyncFolder *folder, gboolean asked, GPtrArray **list, GArray *rows, GError **error)
{
  if (!asked || *list == NULL || rows != NULL)
    return;
  g_clear_pointer (list, g_ptr_array_unref);
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
               "Folder %s: the listing of %s lost the rows it was asked for", r->folder_label,
               mailsync_folder_get_name (folder));
}

/* The folder's status rows and meta into @r: those the pre-pass loaded
 * with its listings (r->prepared), else from the store. */
gboolean
_mailsync_sync_load_status (Runner *r, guint *n_records, GError **error)
{
  MailsyncStatusTable *rows = NULL;

  g_clear_pointer (&r->meta, g_hash_table_unref);
  if (r->prepared != NULL && r->prepared->status_rows != NULL)
    {
      g_clear_pointer (&r->status_rows, _mailsync_status_table_unref);
      r->status_rows = g_steal_pointer (&r->prepared->status_rows);
      r->meta = g_steal_pointer (&r->prepared->meta);
      *n_records = r->prepared->n_records;
      return TRUE;
    }
  if (!_mailsync_status_store_load_table (r->config->status, r->status_name, &rows, &r->meta, n_records,
                                          r->config->cancellable, error))
    return FALSE;
  g_clear_pointer (&r->status_rows, _mailsync_status_table_unref);
  r->status_rows = rows;
  return TRUE;
}

static GHashTable *
copy_meta (GHashTable *meta)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, meta);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
  return copy;
}

/* The local listing's end, then the remote's start (the remote listing
 * may have ended already: the event is offlineimap's line, not a
 * moment). */
static void
emit_loaded_local (Runner *r)
{
  if (_mailsync_sync_shows_listing (r->local))
    _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_LIST_LOADED, r->local, MAILSYNC_DIRECTION_NONE, 0,
          _mailsync_sync_local_count (r), _mailsync_sync_local_count (r), NULL, NULL, NULL);
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_LIST_LOADING, r->remote, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, NULL);
}

gboolean
_mailsync_sync_list_both (Runner *r, GError **error)
{
  g_autoptr(GAsyncResult) remote_result = NULL;
  g_autoptr(GAsyncResult) local_result = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) remote_error = NULL;
  g_autoptr(MailsyncSyncListings) prepared = g_steal_pointer (&r->prepared);

  /* the folder's first server command: its connection now (lease_remote) */
  if (r->config->lease_remote != NULL && !r->config->lease_remote (r->config->emit_data, error))
    return FALSE;
  _mailsync_sync_clear_lists (r);
  /* offlineimap's order: the local side's LOADING and LOADED, then the
   * remote's (a connection its folder thread makes is said between
   * them, mailsync-sync-pairs.c). Both listings run at once, so the
   * remote's pair of events follows once both have ended. */
  if (_mailsync_sync_shows_listing (r->local))
    _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_LIST_LOADING, r->local, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, NULL);
  r->remote_rows_asked = FALSE;
  if (!r->remote_listing)
    {
      _mailsync_sync_offer_known_state (r, prepared == NULL);
      _mailsync_sync_offer_window (r, r->remote);
      /* Rows instead of infos for the unchanged messages, unless the
       * listings are kept for a folder's sync (they are handed over as
       * infos) or a window filters them (it reads every info). */
      r->remote_rows_asked = prepared == NULL && rows_apply (r) && _mailsync_folder_list_changes_only (r->remote);
    }
  if (prepared != NULL)
    {
      /* Listed by the move pre-pass from the same status and window: the
       * known state (not offered: no listing happens) must not linger
       * from the pre-pass's listing for a later one. The remote folder
       * keeps the state of the listing it made (what the status records
       * as its listing state: a change since is seen by the next run). */
      if (_mailsync_sync_fast_listing_applies (r))
        g_object_set (r->remote, "known-messages", NULL, "known-state", NULL, NULL);
      _mailsync_sync_wait_local_listing (r);
      g_clear_object (&r->local_result);
      r->remote_list = g_steal_pointer (&prepared->remote_list);
      r->local_list = g_steal_pointer (&prepared->local_list);
      emit_loaded_local (r);
    }
  else
    {
      /* Both listings run at once: one may be a network round trip. */
      if (r->remote_listing)
        {
          _mailsync_sync_wait_remote_listing (r);
          remote_result = g_steal_pointer (&r->remote_result);
        }
      else
        mailsync_folder_list_messages_async (r->remote, r->config->cancellable, _mailsync_store_result,
                                             &remote_result);
      if (!r->local_listing)
        _mailsync_sync_start_local_listing (r);
      _mailsync_await (&remote_result);
      _mailsync_sync_wait_local_listing (r);
      local_result = g_steal_pointer (&r->local_result);
      r->local_list = mailsync_folder_list_messages_finish (r->local, local_result, &local_error);
      r->remote_list = mailsync_folder_list_messages_finish (r->remote, remote_result, &remote_error);
      /* Each listing's rows come with its result (review 2 Low 1,
       * session 16); a listing that was asked for rows and gave none
       * lost them: the messages they stand for would read as deleted. */
      r->local_rows = _mailsync_folder_take_unchanged (r->local, local_result);
      r->remote_unchanged = _mailsync_folder_take_unchanged (r->remote, remote_result);
      rows_lost (r, r->local, r->local_rows_asked, &r->local_list, r->local_rows, &local_error);
      rows_lost (r, r->remote, r->remote_rows_asked, &r->remote_list, r->remote_unchanged, &remote_error);
      if (r->local_list != NULL)
        emit_loaded_local (r);
      if (r->remote_list == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&remote_error));
          return FALSE;
        }
      if (r->local_list == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  if (r->keep_listings || !_mailsync_sync_fast_listing_applies (r))
    {
      _mailsync_sync_remote_materialise (r);
      _mailsync_sync_local_materialise (r);
    }
  if (r->keep_listings)
    {
      g_clear_pointer (&r->kept_listings, _mailsync_sync_listings_free);
      r->kept_listings = g_new0 (MailsyncSyncListings, 1);
      r->kept_listings->remote = g_object_ref (r->remote);
      r->kept_listings->local = g_object_ref (r->local);
      r->kept_listings->remote_list = copy_list (r->remote_list);
      r->kept_listings->local_list = copy_list (r->local_list);
    }
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_LIST_LOADED, r->remote, MAILSYNC_DIRECTION_NONE, 0,
        _mailsync_sync_remote_count (r), _mailsync_sync_remote_count (r), NULL, NULL, NULL);
  if (r->remote_unchanged != NULL || r->local_rows != NULL)
    {
      g_autofree char *text = g_strdup_printf ("listed as rows: remote %u of %u, local %u of %u",
                                               r->remote_unchanged != NULL ? r->remote_unchanged->len : 0,
                                               _mailsync_sync_remote_count (r),
                                               r->local_rows != NULL ? r->local_rows->len : 0,
                                               _mailsync_sync_local_count (r));

      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, r->remote, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL,
            text);
    }
  g_clear_pointer (&r->local_unfiltered, g_ptr_array_unref);
  r->local_unfiltered = g_ptr_array_ref (r->local_list);
  r->remote_list = _mailsync_sync_filter_window (r, r->remote, r->remote_list);
  r->local_list = _mailsync_sync_filter_window (r, r->local, r->local_list);
  if (!_mailsync_sync_apply_max_age (r, error) || !_mailsync_sync_apply_start_date (r, error) ||
      !_mailsync_sync_apply_local_start_date (r, error))
    return FALSE;
  /* kept only when a window took messages out (a window's listing is
   * made of infos: no rows) */
  if (r->local_unfiltered == r->local_list || r->local_unfiltered->len == r->local_list->len)
    g_clear_pointer (&r->local_unfiltered, g_ptr_array_unref);
  index_lists (r);
  if (prepared != NULL)
    {
      /* the folders' warnings went with the pre-pass's listing */
      g_clear_pointer (&r->listing_warnings, g_ptr_array_unref);
      r->listing_warnings = g_steal_pointer (&prepared->warnings);
    }
  else
    take_listing_warnings (r);
  if (r->kept_listings != NULL && r->listing_warnings != NULL)
    r->kept_listings->warnings = g_ptr_array_copy (r->listing_warnings, (GCopyFunc) (void (*) (void)) g_error_copy,
                                                   NULL);
  return TRUE;
}

/* ---- planning ahead: the move pre-pass and the account's estimate ---- */

void
_mailsync_sync_quiet_config (MailsyncRunnerConfig *quiet, const MailsyncRunnerConfig *config)
{
  *quiet = *config;
  quiet->emit = NULL;
  quiet->emit_data = NULL;
  quiet->progress = NULL;
  quiet->folder_progress = NULL;
  quiet->unchanged = NULL;
  quiet->dry_run = TRUE;
}

Runner *
_mailsync_sync_runner_begin_quiet (const MailsyncRunnerConfig *quiet,
                                   MailsyncFolder             *remote,
                                   MailsyncFolder             *local,
                                   const char                 *status_name,
                                   gboolean                    take_prepared,
                                   guint                      *n_records)
{
  g_autoptr(Runner) r = _mailsync_sync_runner_new (quiet, remote, local, status_name);
  g_autoptr(GError) error = NULL;
  gboolean unchanged = FALSE;

  *n_records = 0;
  r->max_age_set = _mailsync_max_age_compute (quiet->max_age_days, quiet->max_age_date,
                                              g_get_real_time () / G_USEC_PER_SEC, &r->max_age);
  /* The folder's own sync takes these listings instead of listing again
   * (issue 13's hand-over), so planning ahead lists each changed folder
   * once: the move pre-pass's listings, if it made them, serve the
   * estimate and are handed on. */
  r->may_keep = quiet->listings != NULL && !r->max_age_set; /* maxage: a listing of its day */
  if (!_mailsync_sync_check_unchanged (r, &unchanged, &error) || unchanged)
    return NULL;
  if (take_prepared && r->may_keep)
    r->prepared = _mailsync_sync_take_prepared (r);
  if (r->prepared == NULL)
    _mailsync_sync_start_local_listing (r);
  if (!_mailsync_sync_load_status (r, n_records, &error))
    return NULL;
  r->n_records = *n_records;
  /* the status goes with the listings; the meta as loaded, before the
   * listing's start-date window adds its keys */
  if (r->may_keep)
    r->loaded_meta = copy_meta (r->meta);
  /* A folder whose listings its repository can hold for a burst asks now:
   * the caller releases the hold once every folder asked (list_both then
   * waits for this one's). Others list in list_both, as always. */
  if (r->prepared == NULL && _mailsync_folder_can_hold_listings (remote))
    {
      start_remote_listing (r);
      /* the rows are in memory: the folders of a burst keep no database
       * handle open each until their turn (the next use opens it again) */
      if (quiet->status != NULL)
        _mailsync_status_store_release (quiet->status, status_name);
    }
  return g_steal_pointer (&r);
}

Runner *
_mailsync_sync_runner_end_quiet (Runner *begun, guint *n_records)
{
  g_autoptr(Runner) r = begun;
  const MailsyncRunnerConfig *quiet = r->config;
  g_autoptr(GError) error = NULL;

  *n_records = r->n_records;
  r->keep_listings = r->may_keep && kept_listings_count (quiet->listings) < KEPT_LISTINGS_BUDGET;
  if (!_mailsync_sync_list_both (r, &error))
    return NULL;
  if (r->kept_listings != NULL)
    {
      r->kept_listings->status_rows = _mailsync_status_table_ref (r->status_rows);
      r->kept_listings->meta = g_steal_pointer (&r->loaded_meta);
      r->kept_listings->n_records = r->n_records;
      g_hash_table_replace (quiet->listings, g_strdup (r->status_name), g_steal_pointer (&r->kept_listings));
    }
  else
    {
      /* Not handed on: the folder's own sync lists it again, so what the
       * folders keep for this listing (a Maildir's name index) would only
       * add up over the changed folders (issue 13 item 4). A move the
       * pre-pass then makes finds its file by a scan. */
      _mailsync_folder_release_listing (r->remote);
      _mailsync_folder_release_listing (r->local);
    }
  g_clear_pointer (&r->loaded_meta, g_hash_table_unref);
  return g_steal_pointer (&r);
}

Runner *
_mailsync_sync_runner_new_quiet (const MailsyncRunnerConfig *quiet,
                                 MailsyncFolder             *remote,
                                 MailsyncFolder             *local,
                                 const char                 *status_name,
                                 gboolean                    take_prepared,
                                 guint                      *n_records)
{
  Runner *r = _mailsync_sync_runner_begin_quiet (quiet, remote, local, status_name, take_prepared, n_records);

  return r != NULL ? _mailsync_sync_runner_end_quiet (r, n_records) : NULL;
}
