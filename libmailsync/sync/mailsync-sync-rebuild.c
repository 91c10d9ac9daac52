/* A status that lost its rows while the local folder holds messages, and
 * the rebuild after it: the UID pairs the Maildir file names claim are
 * verified against the server before the three-way rules trust them.
 * Split from mailsync-sync-runner.c (issue 14 item 1). */
#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <string.h>

/* ---- a missing status ------------------------------------------------- */

/* A status with no row while the local folder holds messages named with
 * UIDs: the status was lost (removed, or a damaged one the user removed),
 * and the folder had been synced. The plan already copies nothing that is
 * on both sides (the UID pairs them), keeps every flag either side has,
 * and copies what is on one side only instead of deleting it: whether it
 * was deleted on the other side since, or never synced, cannot be known.
 * What is left to do here is to make sure the UIDs still name the same
 * messages, and to say what happened. */
gboolean
_mailsync_sync_status_lost (Runner *r, guint n_records)
{
  return n_records == 0 && _mailsync_sync_local_has_uids (r);
}

int
_mailsync_sync_compare_uid (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return (x > y) - (x < y);
}

/* The UIDVALIDITY the status recorded went with it. UIDs of another
 * UIDVALIDITY (the server folder was recreated) would pair unrelated
 * messages: the local one would never be uploaded, the remote one never
 * downloaded. So compare the contents of a few pairs (the lowest, middle
 * and highest UID: a renumbering shows across the range) before trusting
 * any: three small fetches, no file written. A mismatch stops the folder,
 * as a changed UIDVALIDITY does; nothing is copied or deleted. */
#define REBUILD_SAMPLE 3

/* MD5 of a message as stream_digest() has it, but without the header
 * offlineimap and we add on upload to a server without UIDPLUS
 * (X-OfflineIMAP, with its continuation lines): the server's copy of a
 * message that went up from this Maildir has it, the local file does not,
 * and they are still the same message. */
static char *
pairing_digest (Runner *r, MailsyncFolder *folder, MailsyncMessageInfo *info, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GDataInputStream) data = NULL;
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  gboolean in_marker = FALSE;

  mailsync_folder_fetch_message_async (folder, info, r->config->cancellable, _mailsync_store_result, &result);
  stream = mailsync_folder_fetch_message_finish (folder, _mailsync_await (&result), error);
  if (stream == NULL)
    return NULL;
  data = g_data_input_stream_new (stream);
  g_data_input_stream_set_newline_type (data, G_DATA_STREAM_NEWLINE_TYPE_LF);
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gsize length;
      g_autofree char *line = g_data_input_stream_read_line (data, &length, r->config->cancellable, &local_error);
      gsize kept = 0;

      if (line == NULL)
        {
          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          return g_strdup (g_checksum_get_string (md5));   /* headers only */
        }
      for (gsize i = 0; i < length; i++)
        if (line[i] != '\r')
          line[kept++] = line[i];
      line[kept] = '\0';
      if (kept == 0)
        {
          g_checksum_update (md5, (const guchar *) "\n", 1);
          break;                                           /* end of the header */
        }
      if (in_marker && (line[0] == ' ' || line[0] == '\t'))
        continue;
      in_marker = g_ascii_strncasecmp (line, "X-OfflineIMAP:", 14) == 0;
      if (in_marker)
        continue;
      g_checksum_update (md5, (const guchar *) line, kept);
      g_checksum_update (md5, (const guchar *) "\n", 1);
    }
  if (!_mailsync_sync_digest_rest (r, md5, G_INPUT_STREAM (data), error))
    return NULL;
  return g_strdup (g_checksum_get_string (md5));
}

gboolean
_mailsync_sync_verify_uid_pairs (Runner *r, GError **error)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint picks[REBUILD_SAMPLE];

  if (g_hash_table_contains (r->meta, META_UIDVALIDITY_REMOTE))
    return TRUE;                /* check_one_validity() compares it */
  _mailsync_sync_remote_materialise (r);
  _mailsync_sync_local_materialise (r);
  for (guint i = 0; i < r->remote_list->len; i++)
    {
      guint32 uid = mailsync_message_info_get_uid (r->remote_list->pdata[i]);

      if (g_hash_table_contains (r->local_by_uid, GUINT_TO_POINTER (uid)))
        g_array_append_val (uids, uid);
    }
  if (uids->len == 0)
    return TRUE;
  g_array_sort (uids, _mailsync_sync_compare_uid);
  picks[0] = 0;
  picks[1] = uids->len / 2;
  picks[2] = uids->len - 1;
  for (guint i = 0; i < REBUILD_SAMPLE; i++)
    {
      guint32 uid = g_array_index (uids, guint32, picks[i]);
      MailsyncMessageInfo *remote = g_hash_table_lookup (r->remote_by_uid, GUINT_TO_POINTER (uid));
      MailsyncMessageInfo *local = g_hash_table_lookup (r->local_by_uid, GUINT_TO_POINTER (uid));
      g_autofree char *remote_digest = NULL;
      g_autofree char *local_digest = NULL;

      g_autoptr(GError) unreadable = NULL;

      if (i > 0 && picks[i] == picks[i - 1])
        continue;
      /* A message that cannot be read on one side (a file skipped as bad
       * data, a message expunged meanwhile) is no evidence either way:
       * it costs itself, not the folder. */
      remote_digest = pairing_digest (r, r->remote, remote, &unreadable);
      if (remote_digest != NULL)
        local_digest = pairing_digest (r, r->local, local, &unreadable);
      if (local_digest == NULL)
        {
          if (mailsync_error_get_scope (unreadable) == MAILSYNC_ERROR_SCOPE_MESSAGE)
            continue;
          g_propagate_error (error, g_steal_pointer (&unreadable));
          return FALSE;
        }
      if (strcmp (remote_digest, local_digest) != 0)
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_UIDVALIDITY_CHANGED,
                       "The status of folder %s is missing and the content of local message %s "
                       "(U=%u) differs from the message with UID %u on %s: the UIDs in the Maildir "
                       "names are from another UIDVALIDITY; not pairing messages by UID, skipping it",
                       r->folder_label, mailsync_message_info_get_key (local), uid, uid,
                       mailsync_repository_get_name (mailsync_folder_get_repository (r->remote)));
          /* The UIs print no error of this code (offlineimap's validity
           * warning says it all), and there is no saved UIDVALIDITY to
           * put in one: say it as a warning. */
          _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, NULL, MAILSYNC_DIRECTION_NONE, uid, 0, 0, NULL, *error, NULL);
          return FALSE;
        }
    }
  return TRUE;
}

/* The words saying that the status was rebuilt and how many messages the
 * plan copies back, counted before the copies change the lists; NULL when
 * there is nothing to say. A remote message above the highest UID in the Maildir names
 * arrived after the last sync (UIDs only grow): new mail, not copied back.
 * Below it, and every local message with a UID the server no longer has,
 * was on both sides at the last sync and deleted on one side since. */
char *
_mailsync_sync_describe_rebuild (Runner *r, GPtrArray *plan)
{
  GHashTableIter iter;
  gpointer key;
  guint32 max_local = 0;
  guint paired = 0, to_local = 0, to_remote = 0;

  _mailsync_sync_local_materialise (r);
  g_hash_table_iter_init (&iter, r->local_by_uid);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      max_local = MAX (max_local, GPOINTER_TO_UINT (key));
      if (_mailsync_sync_remote_has (r, GPOINTER_TO_UINT (key)))
        paired++;
    }
  for (guint i = 0; i < plan->len; i++)
    {
      MailsyncAction *a = plan->pdata[i];

      if (a->kind == MAILSYNC_ACTION_DOWNLOAD && a->uid < max_local)
        to_local++;
      else if (a->kind == MAILSYNC_ACTION_UPLOAD && a->uid != 0)
        to_remote++;
    }
  /* A read-only remote plans no upload: every run would say so again. */
  if (paired == 0 && to_local + to_remote == 0)
    return NULL;
  return g_strdup_printf ("Status of folder %s was missing: rebuilt from the Maildir's U= names "
                          "(%u messages on both sides, not copied again); %s %u messages found on one "
                          "side only (%u to %s, %u to %s): deleted on the other side since the last "
                          "sync, which cannot be known, so nothing was deleted",
                          r->folder_label, paired, r->config->dry_run ? "would copy back" : "copied back",
                          to_local + to_remote,
                          to_local, mailsync_repository_get_name (mailsync_folder_get_repository (r->local)),
                          to_remote, mailsync_repository_get_name (mailsync_folder_get_repository (r->remote)));
}
