/* Uploads found again after a crash (moved verbatim from
 * mailsync-sync-ops.c, issue 14 item 1): an upload's intent in the status
 * meta holds the message's content digest, and a run that finds intents
 * left looks for their copies among the remote messages nobody knows. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <string.h>

gboolean
_mailsync_sync_digest_rest (Runner *r, GChecksum *md5, GInputStream *stream, GError **error)
{
  guint8 buf[65536];

  for (;;)
    {
      gssize n = g_input_stream_read (stream, buf, sizeof buf, r->config->cancellable, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        return TRUE;
      _mailsync_content_digest_update (md5, buf, n);
    }
}

/* The library's content digest of a message (_mailsync_content_digest_update). */
static char *
stream_digest (Runner *r, GInputStream *stream, GError **error)
{
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);

  if (!_mailsync_sync_digest_rest (r, md5, stream, error))
    return NULL;
  return g_strdup (g_checksum_get_string (md5));
}

/* Without UIDPLUS an IMAP remote stores an upload with an
 * "X-OfflineIMAP: <crc>-<random>" line added as its last header line
 * (offlineimap's way of finding the new UID), while the intent holds the
 * digest of the message without it. remote_digests() gives the digest of
 * a remote message as it is (@full) and, when its last header line is an
 * X-OfflineIMAP one, without what the upload added (@bare, else NULL),
 * read once. What the upload adds (add_offlineimap_header() in
 * mailsync-imap-folder-append.c) is, exactly:
 * - "X-OfflineIMAP: v\r\n" before the blank line, or at the end of a
 *   message that is all header and ends in a line end;
 * - "\r\nX-OfflineIMAP: v" at the end of a message that is all header and
 *   lacks a final line end: the line end before the marker is ours, and
 *   the copy ends without one as the message did.
 * The header block is scanned as a stream: only the start of the current
 * line, the line end of the last line, and a pending X-OfflineIMAP line
 * are held back from the bare digest. The pending line is dropped only if
 * the blank line or the end of the message comes next, and the line end
 * before it with it only if it is the message's last line and has no line
 * end of its own. (The digest skips CRs, so a line end is its LF here.
 * The upload sends no CR before a CRLF, and none at the end of a message
 * it adds "\r\nX-OfflineIMAP: v" to: a server that stores "\r\r\n" as
 * "\r\n" makes no blank line the upload did not see.) */
#define MARKER "X-OfflineIMAP:"
#define MARKER_LEN 14
#define MARKER_LINE_MAX 4096    /* longer: not one of ours */

typedef enum
{
  SCAN_LINE_START,      /* collecting the start of a line in @line */
  SCAN_PASS,            /* the rest of a line that is not a marker */
  SCAN_HOLD,            /* the rest of a marker line, into @pending */
  SCAN_BODY             /* past the header block */
} ScanState;

typedef struct
{
  GChecksum *bare;
  GByteArray *line;
  GByteArray *pending;  /* a marker line (and its continuations) */
  ScanState state;
  gboolean dropped;
  gboolean eol_held;    /* the last line's LF, not yet in @bare */
} BareScan;

static void
bare_scan_release_eol (BareScan *scan)
{
  if (scan->eol_held)
    _mailsync_content_digest_update (scan->bare, (const guint8 *) "\n", 1);
  scan->eol_held = FALSE;
}

/* Header bytes into the bare digest, a final LF held back. */
static void
bare_scan_emit (BareScan *scan, const guint8 *data, gsize len)
{
  if (len == 0)
    return;
  bare_scan_release_eol (scan);
  if (data[len - 1] == '\n')
    {
      len--;
      scan->eol_held = TRUE;
    }
  _mailsync_content_digest_update (scan->bare, data, len);
}

static void
bare_scan_flush_pending (BareScan *scan)
{
  bare_scan_emit (scan, scan->pending->data, scan->pending->len);
  g_byte_array_set_size (scan->pending, 0);
}

/* @scan->line holds a whole line, or enough of one to tell what it is. */
static void
bare_scan_classify (BareScan *scan, gboolean complete)
{
  GByteArray *line = scan->line;
  gboolean blank = complete && (line->len == 1 || (line->len == 2 && line->data[0] == '\r'));

  if (blank)
    {
      if (scan->pending->len > 0)
        scan->dropped = TRUE;
      g_byte_array_set_size (scan->pending, 0);
      bare_scan_release_eol (scan);
      _mailsync_content_digest_update (scan->bare, line->data, line->len);
      scan->state = SCAN_BODY;
    }
  else if (scan->pending->len > 0 && (line->data[0] == ' ' || line->data[0] == '\t'))
    {
      g_byte_array_append (scan->pending, line->data, line->len);
      scan->state = complete ? SCAN_LINE_START : SCAN_HOLD;
    }
  else if (line->len >= MARKER_LEN && g_ascii_strncasecmp ((const char *) line->data, MARKER, MARKER_LEN) == 0)
    {
      /* the line end before it stays held */
      bare_scan_flush_pending (scan);
      g_byte_array_append (scan->pending, line->data, line->len);
      scan->state = complete ? SCAN_LINE_START : SCAN_HOLD;
    }
  else
    {
      bare_scan_flush_pending (scan);
      bare_scan_emit (scan, line->data, line->len);
      scan->state = complete ? SCAN_LINE_START : SCAN_PASS;
    }
  g_byte_array_set_size (line, 0);
}

static void
bare_scan_update (BareScan *scan, const guint8 *data, gsize len)
{
  const guint8 *p = data, *end = data + len;

  while (p < end)
    {
      const guint8 *nl;
      gsize n;

      if (scan->state == SCAN_BODY)
        {
          _mailsync_content_digest_update (scan->bare, p, (gsize) (end - p));
          return;
        }
      nl = memchr (p, '\n', (gsize) (end - p));
      n = (gsize) ((nl != NULL ? nl + 1 : end) - p);
      switch (scan->state)
        {
        case SCAN_PASS:
          bare_scan_emit (scan, p, n);
          if (nl != NULL)
            scan->state = SCAN_LINE_START;
          p += n;
          break;
        case SCAN_HOLD:
          g_byte_array_append (scan->pending, p, (guint) n);
          if (nl != NULL)
            scan->state = SCAN_LINE_START;
          else if (scan->pending->len > MARKER_LINE_MAX)
            {
              bare_scan_flush_pending (scan);
              scan->state = SCAN_PASS;
            }
          p += n;
          break;
        case SCAN_LINE_START:
        default:
          /* at most what tells the line's kind */
          if (nl == NULL && n + scan->line->len > MARKER_LEN)
            n = MARKER_LEN - scan->line->len;
          g_byte_array_append (scan->line, p, (guint) n);
          p += n;
          if (nl != NULL && p == nl + 1)
            bare_scan_classify (scan, TRUE);
          else if (scan->line->len >= MARKER_LEN)
            bare_scan_classify (scan, FALSE);
          break;
        }
    }
}

/* The end of the message: the end of the header block too, when it
 * had no blank line. */
static void
bare_scan_finish (BareScan *scan)
{
  GByteArray *pending = scan->pending;

  if (scan->state == SCAN_LINE_START && scan->line->len > 0)
    bare_scan_classify (scan, FALSE);
  if (scan->state == SCAN_BODY)
    return;
  if (pending->len > 0 && pending->data[pending->len - 1] == '\n')
    scan->dropped = TRUE;               /* "X-OfflineIMAP: v\r\n" */
  else if (pending->len > 0 && scan->eol_held && memchr (pending->data, '\n', pending->len) == NULL)
    {
      scan->dropped = TRUE;             /* "\r\nX-OfflineIMAP: v" */
      scan->eol_held = FALSE;
    }
  else
    bare_scan_flush_pending (scan);     /* none, or not what an upload adds */
  g_byte_array_set_size (pending, 0);
  bare_scan_release_eol (scan);
}

static gboolean
remote_digests (Runner *r, MailsyncMessageInfo *info, char **full, char **bare, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_autoptr(GChecksum) md5_bare = g_checksum_new (G_CHECKSUM_MD5);
  g_autoptr(GByteArray) line = g_byte_array_new ();
  g_autoptr(GByteArray) pending = g_byte_array_new ();
  BareScan scan = { md5_bare, line, pending, SCAN_LINE_START, FALSE, FALSE };
  guint8 buf[65536];

  *full = *bare = NULL;
  mailsync_folder_fetch_message_async (r->remote, info, r->config->cancellable, _mailsync_store_result, &result);
  stream = mailsync_folder_fetch_message_finish (r->remote, _mailsync_await (&result), error);
  if (stream == NULL)
    return FALSE;
  for (;;)
    {
      gssize n = g_input_stream_read (stream, buf, sizeof buf, r->config->cancellable, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      _mailsync_content_digest_update (md5, buf, n);
      /* the header block ended without a marker: no bare digest */
      if (scan.state == SCAN_BODY && !scan.dropped)
        continue;
      bare_scan_update (&scan, buf, (gsize) n);
    }
  bare_scan_finish (&scan);
  *full = g_strdup (g_checksum_get_string (md5));
  if (scan.dropped)
    *bare = g_strdup (g_checksum_get_string (md5_bare));
  return TRUE;
}

/* The digest of @info as @destination stores it (NULL: as it is), so that
 * an upload's intent matches the server's copy after filterheaders. */
char *
_mailsync_sync_message_digest (Runner *r, MailsyncFolder *folder, MailsyncMessageInfo *info,
                               MailsyncFolder *destination, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GInputStream) stream = NULL;

  mailsync_folder_fetch_message_async (folder, info, r->config->cancellable, _mailsync_store_result, &result);
  stream = mailsync_folder_fetch_message_finish (folder, _mailsync_await (&result), error);
  if (stream == NULL)
    return NULL;
  if (destination != NULL)
    {
      GInputStream *filtered = _mailsync_sync_filtered_stream (r, destination, stream, error);

      if (filtered == NULL)
        return NULL;
      g_object_unref (stream);
      stream = filtered;
    }
  return stream_digest (r, stream, error);
}

MailsyncMessageInfo *
_mailsync_sync_set_uid_and_wait (Runner *r, MailsyncMessageInfo *info, guint32 uid, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mailsync_folder_set_message_uid_async (r->local, info, uid, r->config->cancellable, _mailsync_store_result, &result);
  return mailsync_folder_set_message_uid_finish (r->local, _mailsync_await (&result), error);
}

/* Looks among @list's messages that nobody knows (no status row, no
 * local message with the UID; with @skip, none it holds either) for one
 * whose content is @digest, as stored (or without the X-OfflineIMAP line
 * a server without UIDPLUS got). @digests and @bare_digests keep the
 * digests read, for the next intent. *@found: the message, or NULL. */
gboolean
_mailsync_sync_find_copy (Runner *r, GPtrArray *list, GHashTable *skip, const char *want,
                          GHashTable *digests, GHashTable *bare_digests, MailsyncMessageInfo **found,
                          GError **error)
{
  *found = NULL;
  for (guint j = 0; j < list->len; j++)
    {
      MailsyncMessageInfo *info = list->pdata[j];
      guint32 uid = mailsync_message_info_get_uid (info);
      const char *digest;

      if (_mailsync_status_table_contains (r->status_rows, uid) ||
          _mailsync_sync_local_has (r, uid) ||
          (skip != NULL && g_hash_table_contains (skip, GUINT_TO_POINTER (uid))))
        continue;
      digest = g_hash_table_lookup (digests, GUINT_TO_POINTER (uid));
      if (digest == NULL)
        {
          char *d, *bare;

          if (!remote_digests (r, info, &d, &bare, error))
            return FALSE;
          g_hash_table_insert (digests, GUINT_TO_POINTER (uid), d);
          if (bare != NULL)
            g_hash_table_insert (bare_digests, GUINT_TO_POINTER (uid), bare);
          digest = d;
        }
      if (strcmp (digest, want) == 0 ||
          g_strcmp0 (g_hash_table_lookup (bare_digests, GUINT_TO_POINTER (uid)), want) == 0)
        {
          *found = info;
          return TRUE;
        }
    }
  return TRUE;
}

/* An interrupted upload's copy @found_info is the local message @local:
 * the local file gets its UID, and @batch its status row. */
gboolean
_mailsync_sync_recover_upload (Runner *r, MailsyncStatusBatch *batch, MailsyncMessageInfo *found_info,
                               MailsyncMessageInfo *local, GError **error)
{
  guint32 found = mailsync_message_info_get_uid (found_info);
  g_autoptr(MailsyncMessageInfo) renamed = NULL;
  g_autofree char *flags = mailsync_flags_to_maildir (mailsync_message_info_get_flags (local));

  if (mailsync_message_info_get_uid (local) != found)
    {
      renamed = _mailsync_sync_set_uid_and_wait (r, local, found, error);
      if (renamed == NULL)
        return FALSE;
    }
  g_hash_table_insert (r->local_by_uid, GUINT_TO_POINTER (found), local);
  if (_mailsync_sync_keywords_on (r))
    {
      /* the keywords both copies have: the next run then sends
       * what the APPEND did not carry, and takes off neither
       * side one the other lacks */
      g_autofree char *kept = _mailsync_sync_common_keywords (local, found_info);

      _mailsync_sync_put_row (r, batch, found, flags, kept);
    }
  else
    _mailsync_sync_put_keeping_labels (r, batch, found, flags);
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, r->local, MAILSYNC_DIRECTION_TO_REMOTE, found, 0, 0, NULL, NULL,
                       "recovered an interrupted upload");
  return TRUE;
}

/* After a crash between an APPEND and the status commit, the remote holds a
 * copy the status does not know. Find it by content among the remote
 * messages nobody knows, and give the local original its UID; without this
 * the next run would upload the message a second time. A copy not found
 * while the folder's uploads are young may still be stored by the killed
 * run's connection: its intent is kept (mailsync-sync-pending.c). */
gboolean
_mailsync_sync_reconcile_intents (Runner *r, GError **error)
{
  g_autoptr(GPtrArray) intents = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(MailsyncStatusBatch) batch = mailsync_status_batch_new ();
  g_autoptr(GHashTable) digests = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GHashTable) bare_digests = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GHashTable) taken = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer key, value;
  gboolean changed = FALSE;
  gint64 newest;
  guint n_found = 0, n_gone = 0;

  g_hash_table_iter_init (&iter, r->meta);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_str_has_prefix (key, INTENT_PREFIX))
      g_ptr_array_add (intents, g_strdup (key));
  if (intents->len == 0)
    return TRUE;
  newest = _mailsync_sync_newest_intent (r);
  /* the copies are looked for in the whole listing */
  _mailsync_sync_remote_materialise (r);

  for (guint i = 0; i < intents->len; i++)
    {
      const char *intent = intents->pdata[i];
      g_autofree char *digest = NULL;
      g_autofree char *local_key = NULL;
      gint64 started;
      MailsyncMessageInfo *found_info = NULL;
      MailsyncMessageInfo *local = NULL;

      if (_mailsync_sync_parse_intent (g_hash_table_lookup (r->meta, intent), &digest, &local_key, &started))
        {
          if (!_mailsync_sync_find_copy (r, r->remote_list, taken, digest, digests, bare_digests, &found_info, error))
            return FALSE;
          local = _mailsync_sync_local_by_identity (r, local_key);
        }

      if (found_info != NULL && local != NULL)
        {
          if (!_mailsync_sync_recover_upload (r, batch, found_info, local, error))
            return FALSE;
          changed = TRUE;
          n_found++;
        }
      /* Found, but the user deleted the local message since: the copy is
       * recorded with no local side, and the plan deletes it on the
       * server (the user's delete wins; it was new server mail before). */
      else if (found_info != NULL)
        {
          _mailsync_sync_record_gone (r, batch, found_info);
          g_hash_table_add (taken, GUINT_TO_POINTER (mailsync_message_info_get_uid (found_info)));
          n_gone++;
        }
      /* Not found, and the folder's uploads are young: the APPEND may
       * still be stored; kept, the message not uploaded this run. */
      else if (local != NULL &&
               _mailsync_sync_keep_pending (r, intent, mailsync_message_info_get_key (local), started, newest))
        continue;
      /* Not found, young, the local message deleted: kept, so that a late
       * copy is deleted too (mailsync-sync-pending.c). */
      else if (local == NULL && _mailsync_sync_keep_gone (r, intent, started, newest))
        continue;
      /* Not found and old: the APPEND never happened, and the message is
       * still local mail to upload. Either way the intent is settled. */
      mailsync_status_batch_set_meta (batch, intent, NULL);
    }
  {
    g_autofree char *text = g_strdup_printf ("upload intents: %u, %u found, %u found deleted locally, %u kept for a "
                                             "late copy (newest upload %" G_GINT64_FORMAT " s ago)", intents->len,
                                             n_found, n_gone, _mailsync_sync_n_kept (r),
                                             g_get_real_time () / G_USEC_PER_SEC - newest);

    _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, r->local, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, text);
  }

  if (!_mailsync_sync_flush_folder (r, r->local, error))
    return FALSE;
  if (!_mailsync_sync_commit (r, batch, error))
    return FALSE;
  _mailsync_crash_point ("runner-reconciled");
  /* Renames changed local keys: list again rather than patch the lists.
   * The new listing may hold late copies of kept intents that came since
   * the first: matched before the plan, which would download them. */
  while (changed)
    {
      guint found;

      if (!_mailsync_sync_list_both (r, error))
        return FALSE;
      _mailsync_sync_remote_materialise (r);
      if (!_mailsync_sync_match_pending (r, r->remote_list, NULL, &found, NULL, error))
        return FALSE;
      changed = found > 0;
    }
  return TRUE;
}

gboolean
_mailsync_sync_is_intent_key (const char *key)
{
  return g_str_has_prefix (key, INTENT_PREFIX) || g_str_has_prefix (key, MOVE_INTENT_PREFIX);
}

/* Issue 13: the intents are looked for only where META_INTENTS says there
 * may be some, so that a changed folder's sync does not walk a meta of one
 * entry per message (OBJECTID's EMAILIDs) for the usual none. Each
 * reconcile settles every intent it finds (found: recorded; not found:
 * dropped, unless young and kept), so from here the count starts at the
 * kept ones and _mailsync_sync_commit keeps it. */
gboolean
_mailsync_sync_settle_intents (Runner *r, GError **error)
{
  if (g_strcmp0 (g_hash_table_lookup (r->meta, META_INTENTS), META_INTENTS_NONE) != 0 &&
      (!_mailsync_sync_reconcile_intents (r, error) || !_mailsync_sync_reconcile_moves (r, error)))
    return FALSE;
  r->intents_known = TRUE;
  /* the young intents kept for a late copy */
  r->n_intents = _mailsync_sync_n_kept (r);
  return TRUE;
}

void
_mailsync_sync_close_intents (Runner *r, MailsyncStatusBatch *batch)
{
  /* A status with no meta at all gets none for this (offlineimap's
   * SQLite file keeps no mailsync_meta table until one is needed): a
   * scan of nothing is free. */
  if (r->intents_known && r->n_intents == 0 && g_hash_table_size (r->meta) > 0 &&
      g_strcmp0 (g_hash_table_lookup (r->meta, META_INTENTS), META_INTENTS_NONE) != 0)
    mailsync_status_batch_set_meta (batch, META_INTENTS, META_INTENTS_NONE);
}
