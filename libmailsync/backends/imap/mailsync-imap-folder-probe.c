/* The unchanged-folder probe of an IMAP folder: one STATUS (or the
 * repository's LIST-STATUS answer) in the listing stamp's form, and the
 * comparison of two stamps that lets a sync skip a folder. */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-imap-command.h"
#include "mailsync-folder-engine-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <stdio.h>

typedef struct
{
  MailsyncImapStatusData status;
  gboolean seen;
} ProbeData;

static void
probe_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  ProbeData *data = user_data;

  if (response->data_kind != MAILSYNC_IMAP_DATA_STATUS)
    return;
  data->status.present |= response->u.status->present;
  if (response->u.status->present & MAILSYNC_IMAP_STATUS_ITEM_UIDVALIDITY)
    data->status.uidvalidity = response->u.status->uidvalidity;
  if (response->u.status->present & MAILSYNC_IMAP_STATUS_ITEM_UIDNEXT)
    data->status.uidnext = response->u.status->uidnext;
  if (response->u.status->present & MAILSYNC_IMAP_STATUS_ITEM_MESSAGES)
    data->status.messages = response->u.status->messages;
  if (response->u.status->present & MAILSYNC_IMAP_STATUS_ITEM_HIGHESTMODSEQ)
    data->status.highestmodseq = response->u.status->highestmodseq;
  data->seen = TRUE;
}

/* Keeps UIDVALIDITY, HIGHESTMODSEQ and UIDNEXT of a probe's @stamp for the
 * listing that may follow (list_messages). */
static void
note_probed (MailsyncImapFolder *self, const char *stamp)
{
  g_auto(GStrv) parts = stamp != NULL ? g_strsplit (stamp, " ", -1) : NULL;
  guint64 validity = 0, modseq = 0, uidnext = 0;

  self->probed_uidvalidity = 0;
  self->probed_modseq = 0;
  self->probed_uidnext = 0;
  if (parts != NULL && g_strv_length (parts) == 4
      && g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT32, &validity, NULL)
      && g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT64, &modseq, NULL))
    {
      self->probed_uidvalidity = (guint32) validity;
      self->probed_modseq = modseq;
      /* where new mail starts (the prefetch of its bodies) */
      if (g_ascii_string_to_unsigned (parts[2], 10, 1, G_MAXUINT32, &uidnext, NULL))
        self->probed_uidnext = (guint32) uidnext;
    }
}

/* One STATUS, no SELECT: the folder's state in the listing stamp's form.
 * Without CONDSTORE a flag change shows in none of STATUS's counters, so
 * there is no stamp then (NULL, no error) and the folder is never taken
 * as unchanged. */
static void
probe_state_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  MailsyncImapConnection *connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(MailsyncImapCommand) cmd = NULL;
  MailsyncImapRequest *request;
  ProbeData data = { { 0 }, FALSE };
  char *stamp;
  const guint need = MAILSYNC_IMAP_STATUS_ITEM_UIDVALIDITY | MAILSYNC_IMAP_STATUS_ITEM_UIDNEXT |
                     MAILSYNC_IMAP_STATUS_ITEM_MESSAGES | MAILSYNC_IMAP_STATUS_ITEM_HIGHESTMODSEQ;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  connection = _mailsync_imap_folder_connection_of (self);
  /* STATUS on the mailbox the connection has selected (a connection held
   * open between syncs) may answer with the state of the last SELECT: RFC
   * 3501 6.3.10 says not to use it there, and Dovecot shows mail delivered
   * since only after a NOOP. No stamp then: the folder takes the full path. */
  if (!mailsync_imap_connection_has_capability (connection, "CONDSTORE") ||
      _mailsync_imap_slot_may_have_selected (_mailsync_imap_folder_slot (self), self->wire_name))
    {
      g_clear_pointer (&self->list_status, g_free);
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  /* The repository's LIST of this run answered for it already (issue 13:
   * one round trip less per folder). */
  if (self->list_status != NULL)
    {
      note_probed (self, self->list_status);
      g_task_return_pointer (task, g_steal_pointer (&self->list_status), g_free);
      return;
    }
  cmd = _mailsync_imap_folder_command (self, "STATUS");
  mailsync_imap_command_add_wire_mailbox (cmd, self->wire_name, NULL);
  mailsync_imap_command_add_raw (cmd, "(UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)", NULL);
  if ((request = mailsync_imap_request_new_from_command (cmd, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  mailsync_imap_request_set_untagged_handler (request, probe_untagged, &data);
  ok = _mailsync_imap_folder_send (self, request, cancellable, &error);
  if (ok == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!data.seen || (data.status.present & need) != need || data.status.highestmodseq == 0)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  stamp = g_strdup_printf ("%u %" G_GUINT64_FORMAT " %u %u", data.status.uidvalidity, data.status.highestmodseq,
                           data.status.uidnext, data.status.messages);
  note_probed (self, stamp);
  g_task_return_pointer (task, stamp, g_free);
}

void
_mailsync_imap_folder_probe_state_async (MailsyncImapFolder  *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  _mailsync_imap_folder_queue_job (self, g_task_new (self, cancellable, callback, user_data),
                                   _mailsync_imap_folder_probe_state_async, probe_state_job);
}

char *
_mailsync_imap_folder_probe_state_finish (MailsyncImapFolder  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
_mailsync_imap_folder_take_list_status (MailsyncImapFolder *self, GHashTable *statuses)
{
  g_free (self->list_status);
  self->list_status = g_strdup (g_hash_table_lookup (statuses, self->wire_name));
}

char *
_mailsync_imap_folder_dup_listing_stamp (MailsyncImapFolder *self)
{
  return g_strdup (self->listing_stamp);
}

static gboolean
parse_stamp (const char *stamp, guint32 *validity, guint64 *uidnext, guint64 *messages)
{
  guint64 modseq;
  unsigned int v, next, exists;
  char end;

  if (sscanf (stamp, "%u %" G_GUINT64_FORMAT " %u %u%c", &v, &modseq, &next, &exists, &end) != 4)
    return FALSE;
  *validity = v;
  *uidnext = next;
  *messages = exists;
  return TRUE;
}

/* The listing's stamp with the HIGHESTMODSEQ our own STOREs left
 * (own_modseq, mailsync-imap-folder-store.c). */
char *
_mailsync_imap_folder_dup_own_stamp (MailsyncFolder *folder)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (folder);
  guint64 modseq;
  unsigned int v, next, exists;
  char end;

  if (self->listing_stamp == NULL || self->own_modseq == 0
      || sscanf (self->listing_stamp, "%u %" G_GUINT64_FORMAT " %u %u%c", &v, &modseq, &next, &exists, &end) != 4
      || self->own_modseq < modseq)
    return NULL;
  return g_strdup_printf ("%u %" G_GUINT64_FORMAT " %u %u", v, self->own_modseq, next, exists);
}

/* Stamps are "UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES" (a STATUS, or
 * the listing's SELECT). UIDs only grow, so of the messages there now at
 * most UIDNEXT(now) - UIDNEXT(then) are younger than @then and the rest
 * were there at @then: when MESSAGES grew by exactly that much, all the
 * messages of @then are still there (and every UID given out since). */
gboolean
_mailsync_imap_folder_stamp_kept_all (MailsyncFolder *folder, const char *then, const char *now)
{
  guint32 v0, v1;
  guint64 next0, next1, n0, n1;

  (void) folder;
  return parse_stamp (then, &v0, &next0, &n0) && parse_stamp (now, &v1, &next1, &n1) && v0 != 0 && v0 == v1 &&
         next1 >= next0 && n1 >= n0 && n1 - n0 == next1 - next0;
}
