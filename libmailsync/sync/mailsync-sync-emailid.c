/* EMAILIDs (RFC 8474 OBJECTID) kept in the status for the move pass
 * (issue 10 item 4). A message that left a folder on the server is gone
 * from it: its EMAILID can only be known at pairing time if it was
 * recorded while the message was there. The listing asks for EMAILID
 * where the server offers OBJECTID (every message the status does not
 * know yet, so every download); whenever a status row is written for a
 * UID whose listing had one, the same batch records it as the meta entry
 * "mailsync.emailid.<uid>" = "<UIDVALIDITY> <EMAILID>", and a removed row
 * takes its entry with it. offlineimap's status has no column for it; the
 * meta entries live where offlineimap never looks (SQLite: the table
 * mailsync_meta; plain: the <folder>.meta file and the journal), see
 * doc/design.md "EMAILIDs for the move pass".
 *
 * Crash safety: the entry is committed in the batch of its row, so it
 * is there exactly when the row is, or lags behind it (a row written by
 * offlineimap, or by a run before this one, or for a message listed
 * without EMAILID); it never names another message: a UID under one
 * UIDVALIDITY is one message for good, and a message's EMAILID never
 * changes (RFC 8474 §5.1). The UIDVALIDITY in the value makes an entry
 * left from before a UIDVALIDITY change read as absent. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <string.h>

#define META_EMAILID_PREFIX "mailsync.emailid."

static char *
email_id_key (guint32 uid)
{
  return g_strdup_printf (META_EMAILID_PREFIX "%u", uid);
}

void
_mailsync_sync_note_email_ids (Runner *r, MailsyncStatusBatch *batch)
{
  guint n = mailsync_status_batch_get_length (batch);
  guint32 validity = r->remote != NULL ? mailsync_folder_get_uidvalidity (r->remote) : 0;

  for (guint i = 0; i < n; i++)
    {
      const MailsyncStatusRecord *record = NULL;
      const char *key = NULL, *value = NULL;
      guint32 uid = 0;
      g_autofree char *meta_key = NULL;

      switch (mailsync_status_batch_get_op (batch, i, &record, &uid, &key, &value))
        {
        case MAILSYNC_STATUS_OP_PUT:
          {
            MailsyncMessageInfo *info = r->remote_by_uid != NULL
              ? g_hash_table_lookup (r->remote_by_uid, GUINT_TO_POINTER (record->uid)) : NULL;
            const char *id = info != NULL ? _mailsync_message_info_get_email_id (info) : NULL;
            g_autofree char *now = NULL;

            if (id == NULL || validity == 0)
              break;
            meta_key = email_id_key (record->uid);
            now = g_strdup_printf ("%u %s", validity, id);
            if (g_strcmp0 (g_hash_table_lookup (r->meta, meta_key), now) != 0)
              mailsync_status_batch_set_meta (batch, meta_key, now);
            break;
          }
        case MAILSYNC_STATUS_OP_REMOVE:
          meta_key = email_id_key (uid);
          if (g_hash_table_contains (r->meta, meta_key))
            mailsync_status_batch_set_meta (batch, meta_key, NULL);
          break;
        case MAILSYNC_STATUS_OP_SET_META:
          break;
        }
    }
}

const char *
_mailsync_sync_recorded_email_id (GHashTable *meta, guint32 uid, guint32 validity)
{
  g_autofree char *key = email_id_key (uid);
  const char *value = meta != NULL ? g_hash_table_lookup (meta, key) : NULL;
  const char *space;

  if (value == NULL || validity == 0 || (space = strchr (value, ' ')) == NULL || space[1] == '\0' ||
      g_ascii_strtoull (value, NULL, 10) != validity)
    return NULL;
  return space + 1;
}

void
_mailsync_sync_batch_email_id (MailsyncStatusBatch *batch, guint32 uid, guint32 validity, const char *email_id)
{
  g_autofree char *key = NULL;
  g_autofree char *value = NULL;

  if (email_id == NULL || validity == 0)
    return;
  key = email_id_key (uid);
  value = g_strdup_printf ("%u %s", validity, email_id);
  mailsync_status_batch_set_meta (batch, key, value);
}
