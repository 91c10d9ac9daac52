/* What a copied message looks like at its destination (split from
 * mailsync-sync-ops.c before the late-APPEND fix): the filterheaders
 * fields an IMAP destination must not get, the labels header of a
 * download into a GmailMaildir, and the INTERNALDATE an upload from a
 * Maildir asks for. The copies themselves are in mailsync-sync-ops.c. */
#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <string.h>
#include <sys/stat.h>

/* ---- filterheaders ----------------------------------------------------- */

/* filterheaders: the headers @destination's IMAP folders must not get
 * (offlineimap's IMAPFolder.savemessage removes them; a Maildir keeps
 * every header), or NULL. */
const char *const *
_mailsync_sync_filter_of (MailsyncFolder *destination)
{
  if (_mailsync_folder_get_directory (destination) != NULL)
    return NULL;
  return _mailsync_labels_filter_get (mailsync_folder_get_repository (destination));
}

/* @stream as @destination receives it: without the filterheaders fields.
 * A new reference either way. */
GInputStream *
_mailsync_sync_filtered_stream (Runner *r, MailsyncFolder *destination, GInputStream *stream, GError **error)
{
  const char *const *filter = _mailsync_sync_filter_of (destination);
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GBytes) whole = NULL;
  g_autoptr(GBytes) kept = NULL;

  if (filter == NULL)
    return g_object_ref (stream);
  out = g_memory_output_stream_new_resizable ();
  if (g_output_stream_splice (out, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, r->config->cancellable, error) < 0)
    return NULL;
  whole = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  kept = _mailsync_labels_remove_fields (whole, filter);
  return g_memory_input_stream_new_from_bytes (kept);
}

/* The remote message's labels (cleaned), never NULL. */
const char *const *
_mailsync_sync_remote_labels_of (Runner *r, guint32 uid)
{
  static const char *const none[] = { NULL };
  const char *const *labels = r->remote_labels ? g_hash_table_lookup (r->remote_labels, GUINT_TO_POINTER (uid)) : NULL;

  return labels != NULL ? labels : none;
}

GInputStream *
_mailsync_sync_labelled_stream (Runner *r, guint32 uid, GInputStream *stream, GError **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GBytes) whole = NULL;
  g_autoptr(GBytes) rewritten = NULL;
  g_autofree char *value = _mailsync_labels_format (r->labels->header, _mailsync_sync_remote_labels_of (r, uid));
  guint8 buffer[16384];
  gssize n;

  while ((n = g_input_stream_read (stream, buffer, sizeof buffer, r->config->cancellable, error)) > 0)
    g_byte_array_append (data, buffer, (guint) n);
  if (n < 0)
    return NULL;
  whole = g_byte_array_free_to_bytes (g_steal_pointer (&data));
  rewritten = _mailsync_labels_rewrite (whole, r->labels->header, value);
  return g_memory_input_stream_new_from_bytes (rewritten);
}

/* How much of a local file is read for its Date: header: the header
 * block of nearly every message fits. */
#define DATE_HEADER_PEEK 65536
/* The IMAP backend sends no date before 1981 (offlineimap's rule). */
#define OLDEST_HEADER_DATE 347155200

/* The INTERNALDATE an upload from a local Maildir asks for (issue 11
 * item 7, beyond offlineimap): the earlier of the message's Date: header
 * and its file's mtime (@listed). offlineimap sends the mtime only, so a
 * message a mail program copied into the Maildir today shows up on Gmail
 * or Office 365 at the sync date; its Date: says when it was written. A
 * delivered or downloaded file's mtime is its arrival (or the server's
 * INTERNALDATE) and is kept unless the header is older; a header in the
 * future, before 1981, unparsable or absent changes nothing. @stream is
 * replaced by a buffered one that still starts at the first byte. */
gint64
_mailsync_sync_upload_date (GInputStream **stream, gint64 listed, GCancellable *cancellable)
{
  g_autoptr(GInputStream) buffered = g_buffered_input_stream_new_sized (*stream, DATE_HEADER_PEEK);
  g_autofree char *headers = NULL;
  const char *data, *end;
  gsize available;
  gint64 date;

  g_set_object (stream, buffered);
  /* a short read is fine: no header found, the mtime stays */
  if (g_buffered_input_stream_fill (G_BUFFERED_INPUT_STREAM (buffered), DATE_HEADER_PEEK, cancellable, NULL) <= 0)
    return listed;
  data = g_buffered_input_stream_peek_buffer (G_BUFFERED_INPUT_STREAM (buffered), &available);
  /* the header block only (a Date: line in the body is not the date),
   * with CRLF made LF for the parser: the peek holds the whole of a small
   * message, so its end is found first and only the block copied */
  {
    const char *p = data;
    GString *text;

    end = data + available;
    while ((p = memchr (p, '\n', (gsize) (end - p))) != NULL)
      {
        const char *next = p + 1;

        while (next < end && *next == '\r')
          next++;
        if (next < end && *next == '\n')
          {
            end = p + 1;
            break;
          }
        p = next;
      }
    text = g_string_sized_new ((gsize) (end - data) + 1);
    for (p = data; p < end; p++)
      if (*p != '\r')
        g_string_append_c (text, *p);
    headers = g_string_free (text, FALSE);
  }
  if (!_mailsync_header_date (headers, "Date", &date) || date < OLDEST_HEADER_DATE || date >= listed)
    return listed;
  return date;
}

/* offlineimap's GmailMaildir mtime column: the file's mtime in seconds. */
gint64
_mailsync_sync_local_mtime (Runner *r, MailsyncMessageInfo *info)
{
  g_autofree char *path = NULL;
  struct stat st;

  if (info == NULL || _mailsync_folder_get_directory (r->local) == NULL || mailsync_message_info_get_key (info) == NULL)
    return 0;
  path = g_build_filename (_mailsync_folder_get_directory (r->local),
                           mailsync_message_info_get_key (info), NULL);
  return stat (path, &st) == 0 ? (gint64) st.st_mtime : 0;
}

/* synclabels: the remote folder's labels, before anything is copied. */
gboolean
_mailsync_sync_load_remote_labels (Runner *r, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GHashTable) raw = NULL;
  GHashTableIter iter;
  gpointer key, value;

  r->labels = _mailsync_labels_config_get (mailsync_folder_get_repository (r->local));
  if (r->labels == NULL || !mailsync_folder_supports (r->remote, MAILSYNC_FOLDER_CAPABILITY_LABELS))
    {
      r->labels = NULL;
      return TRUE;
    }
  {
    /* GmailFolder.cachemessagelist's line */
    g_autofree char *text = g_strdup_printf ("Collecting data from messages on %s", mailsync_folder_get_name (r->remote));

    _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_COLLECTING_DATA, r->remote, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL, text);
  }
  mailsync_folder_fetch_labels_async (r->remote, r->config->cancellable, _mailsync_store_result, &result);
  raw = mailsync_folder_fetch_labels_finish (r->remote, _mailsync_await (&result), error);
  if (raw == NULL)
    return FALSE;
  r->remote_labels = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_strfreev);
  g_hash_table_iter_init (&iter, raw);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (r->remote_labels, key, _mailsync_labels_clean (r->labels, value));
  return TRUE;
}
