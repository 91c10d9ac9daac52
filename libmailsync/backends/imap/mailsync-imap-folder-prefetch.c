/* New mail's bodies fetched with the listing (issue 13 item 2, session 18).
 *
 * A changed folder's sync used two round trips when the server had new
 * mail: its SELECT with the listing's UID FETCH CHANGEDSINCE behind it,
 * then, once the engine had planned from that answer, the body FETCHes.
 * When this run's probe (LIST-STATUS, or its STATUS) says the folder has
 * UIDs above every one the status knows, the listing also writes
 *
 *   UID FETCH <highest known + 1>:<probed UIDNEXT - 1> (UID BODY.PEEK[]<0.N>)
 *
 * behind the SELECT, in the same burst: at most PREFETCH_MAX_MESSAGES
 * messages, each at most N bytes (PREFETCH_BUDGET shared among them), so
 * the memory it can take is bounded whatever the server holds. A body
 * shorter than N came whole; a longer one is not kept (its fetch goes to
 * the server as before). The engine does not know: its fetch_message of
 * a UID the folder holds a whole body for is answered from here, without
 * a command; the others go to the server.
 *
 * Kept only when everything says they are the folder's: the SELECT
 * answered OK with the UIDVALIDITY of the saved state the listing
 * continues, and the FETCH itself answered OK. A SELECT that fails leaves
 * no mailbox selected (RFC 9051 §6.3.2), so the FETCH fails; a server
 * that left the previous mailbox selected would answer it with that
 * mailbox's messages: dropped, since the SELECT failed. Served only to
 * fetches made under the same UIDVALIDITY as the listing's
 * (listed_uidvalidity): a UID names one message, whose body never
 * changes, within one UIDVALIDITY.
 *
 * Only for a folder sync's own listing (the engine's list_changes_only:
 * not the move pre-pass, whose listings wait for their folder's turn),
 * without maxage/maxsize/startdate (a window the body must not come
 * past). Bodies nobody asked for (a message the plan skips) are dropped
 * when the folder's first burst of fetches has gone out, when its lease
 * is released, at its next listing, or with the folder.
 *
 * A server whose RFC822.SIZE is not the body's length (Exchange counts
 * otherwise) would have every body dropped by the size test of
 * _mailsync_imap_folder_prefetch_take and still send them all: its first
 * body that is not the listed length (or rest that is not) stops the
 * prefetch for the repository, every folder and connection, for the
 * rest of the run (review 1 Low 5 of session 19). */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-imap-command.h"
#include "mailsync-private.h"

#include <string.h>

/* At most this many bodies per listing, sharing this many bytes; each
 * asked for at least MIN and at most MAX bytes (below the connection's
 * spool threshold, so always in memory). The budget is the download
 * window's (mailsync-sync-ops.c: 64 x 32 KiB). */
#define PREFETCH_MAX_MESSAGES 32
#define PREFETCH_BUDGET       (2 * 1024 * 1024)
#define PREFETCH_MIN_BYTES    (64 * 1024)
#define PREFETCH_MAX_BYTES    (240 * 1024)

static gboolean
prefetch_forced (void)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  /* the probe's state ignored (tests): fetched without its UIDNEXT */
  return g_strcmp0 (g_getenv ("MAILSYNC_TEST_IMAP_PROBE_HINT"), "ignore") == 0;
#else
  return FALSE;
#endif
}

static gboolean
prefetch_disabled (void)
{
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  /* MAILSYNC_TEST_IMAP_PREFETCH=off: the listing as before (tests that
   * show what the prefetch changes) */
  return g_strcmp0 (g_getenv ("MAILSYNC_TEST_IMAP_PREFETCH"), "off") == 0;
#else
  return FALSE;
#endif
}

/* A body part (BODY[]<0>) from the folder's untagged router: Dovecot
 * runs pipelined FETCHes side by side, so the prefetch's data may come
 * while the listing's FETCH is still the oldest command in flight (its
 * tagged answer follows them); they are told apart by the part. */
void
_mailsync_imap_folder_prefetch_note (MailsyncImapFolder *self, const MailsyncImapFetch *fetch,
                                     const MailsyncImapFetchBody *body)
{
  /* at most as long as asked (shorter: whole, if as long as the listed
   * size; as long: maybe the start of a longer message, whose rest is
   * fetched), of a UID asked, at most as many as asked */
  if (self->prefetch_pending != NULL && body->origin == 0 && body->data != NULL &&
      g_bytes_get_size (body->data) <= self->prefetch_bytes && fetch->uid >= self->prefetch_first &&
      fetch->uid <= self->prefetch_last && g_hash_table_size (self->prefetch_pending) < PREFETCH_MAX_MESSAGES)
    g_hash_table_replace (self->prefetch_pending, GUINT_TO_POINTER (fetch->uid), g_bytes_ref (body->data));
}

MailsyncImapRequest *
_mailsync_imap_folder_prefetch_request (MailsyncImapFolder *self, guint32 first, guint32 saved_validity,
                                        gboolean window)
{
  g_autoptr(MailsyncImapCommand) cmd = NULL;
  MailsyncImapRequest *request;
  guint32 last, count;
  char items[64];

  g_clear_pointer (&self->prefetch_pending, g_hash_table_unref);
  _mailsync_imap_folder_prefetch_drop (self);
  /* a dry run copies nothing: no body is asked for (PEEK or not, it
   * would cost up to the whole budget per changed folder for nothing) */
  if (!self->changes_only || window || prefetch_disabled () || first == 0
      || _mailsync_repository_in_dry_run (mailsync_folder_get_repository (MAILSYNC_FOLDER (self)))
      || _mailsync_imap_repository_get_sizes_inexact (_mailsync_imap_folder_repo_of (self)))
    return NULL;
  if (prefetch_forced ())
    count = PREFETCH_MAX_MESSAGES;
  else if (self->probed_uidvalidity == saved_validity && self->probed_uidnext > first)
    count = MIN (self->probed_uidnext - first, PREFETCH_MAX_MESSAGES);
  else
    return NULL;
  last = first + MIN (count - 1, G_MAXUINT32 - first);
  self->prefetch_bytes = CLAMP (PREFETCH_BUDGET / count, PREFETCH_MIN_BYTES, PREFETCH_MAX_BYTES);
  self->prefetch_first = first;
  self->prefetch_last = last;
  cmd = _mailsync_imap_folder_command (self, "UID FETCH");
  mailsync_imap_command_add_range (cmd, first, last, NULL);
  g_snprintf (items, sizeof items, "(UID BODY.PEEK[]<0.%u>)", self->prefetch_bytes);
  mailsync_imap_command_add_raw (cmd, items, NULL);
  request = _mailsync_imap_folder_request (self, cmd, NULL);
  if (request == NULL)
    return NULL;
  self->prefetch_pending = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_bytes_unref);
  return request;
}

void
_mailsync_imap_folder_prefetch_settle (MailsyncImapFolder *self, MailsyncImapFollower *follower, gboolean keep)
{
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) pending = NULL;

  if (!follower->sent)
    return;
  ok = _mailsync_imap_folder_follower_finish (self, follower, &error);
  pending = g_steal_pointer (&self->prefetch_pending);
  if (ok == NULL || !keep || pending == NULL)
    {
      g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "%s: the bodies fetched with the SELECT are dropped (%s)",
             mailsync_folder_get_name (MAILSYNC_FOLDER (self)),
             ok == NULL ? error->message : "the SELECT does not continue the saved state");
      return;
    }
  g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "%s: %u whole bodies fetched with the SELECT",
         mailsync_folder_get_name (MAILSYNC_FOLDER (self)), g_hash_table_size (pending));
  if (g_hash_table_size (pending) == 0)
    return;
  g_mutex_lock (&self->hold_lock);
  g_clear_pointer (&self->prefetched, g_hash_table_unref);
  self->prefetched = g_steal_pointer (&pending);
  self->prefetched_validity = self->uidvalidity;
  g_mutex_unlock (&self->hold_lock);
}

/* @uid's body (or part and rest) has @bytes, the listing said @size: the
 * prefetch would cost this server its bytes for nothing from now on
 * (said once: not an error, the bodies are fetched as without it). */
static void
sizes_inexact (MailsyncImapFolder *self, guint32 uid, guint64 bytes, guint64 size)
{
  if (_mailsync_imap_repository_set_sizes_inexact (_mailsync_imap_folder_repo_of (self)))
    g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
           "%s: UID %u has %" G_GUINT64_FORMAT " bytes, its RFC822.SIZE %" G_GUINT64_FORMAT
           ": the server's sizes are not its bodies', no more bodies fetched with a SELECT in this run",
           mailsync_folder_get_name (MAILSYNC_FOLDER (self)), uid, bytes, size);
}

/* The body of @uid fetched with the listing, taken (or NULL: the fetch
 * goes to the server). Only under the UIDVALIDITY it was fetched under,
 * and only when it is as long as the listing's RFC822.SIZE (@size, from
 * the engine's message info; 0 when unknown): a part shorter than asked
 * is the whole message only if the server says the message is that long
 * (a server that sent a truncated part, or another message's, would
 * otherwise have it stored as this message). The bytes as they are: the
 * public fetch makes a stream of them, the engine's downloads do not
 * (session 19).
 *
 * A part as long as asked of a longer message is its start (issue 13
 * item 2): NULL, and @part gets it, for a fetch of the rest only
 * (BODY.PEEK[]<len.n>) joined to it (_mailsync_imap_folder_rest_joined).
 * Cut before a final CR: a rest that started with that CRLF's LF would
 * come back from a spool file (which holds it with LF line ends, read
 * back with CRLF) with a CR of its own. */
GBytes *
_mailsync_imap_folder_prefetch_take (MailsyncImapFolder *self, guint32 uid, guint64 size, GBytes **part)
{
  gpointer bytes = NULL;
  gsize len;

  *part = NULL;
  g_mutex_lock (&self->hold_lock);
  if (self->prefetched != NULL && self->prefetched_validity != 0 &&
      self->prefetched_validity == self->listed_uidvalidity)
    g_hash_table_steal_extended (self->prefetched, GUINT_TO_POINTER (uid), NULL, &bytes);
  g_mutex_unlock (&self->hold_lock);
  if (bytes == NULL)
    return NULL;
  len = g_bytes_get_size (bytes);
  if (size != 0 && len == size)
    return bytes;
  if (len == self->prefetch_bytes && size > len && len > 1)
    {
      const char *data = g_bytes_get_data (bytes, NULL);

      *part = data[len - 1] == '\r' ? g_bytes_new_from_bytes (bytes, 0, len - 1) : g_bytes_ref (bytes);
      g_bytes_unref (bytes);
      return NULL;
    }
  g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
         "%s: the body of UID %u fetched with the SELECT has %" G_GSIZE_FORMAT " bytes, the message %"
         G_GUINT64_FORMAT ": fetched again", mailsync_folder_get_name (MAILSYNC_FOLDER (self)), uid, len, size);
  if (size != 0)
    sizes_inexact (self, uid, len, size);
  g_bytes_unref (bytes);
  return NULL;
}

/* Where the rest @task asks for starts (the length of its prefetched
 * part), or 0: it asks for the whole message. */
guint32
_mailsync_imap_folder_rest_origin (GTask *task)
{
  GBytes *part = g_object_get_data (G_OBJECT (task), "mailsync-fetch-part");

  return part != NULL ? (guint32) g_bytes_get_size (part) : 0;
}

/* ---- a prefetched part and the rest fetched after it, as one stream ---- */

typedef struct
{
  GInputStream parent_instance;
  GBytes *head;
  gsize offset;
  GInputStream *tail;
} MailsyncImapJoinedStream;

typedef struct
{
  GInputStreamClass parent_class;
} MailsyncImapJoinedStreamClass;

static GType mailsync_imap_joined_stream_get_type (void);
G_DEFINE_TYPE (MailsyncImapJoinedStream, mailsync_imap_joined_stream, G_TYPE_INPUT_STREAM)

static gssize
joined_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  MailsyncImapJoinedStream *self = (MailsyncImapJoinedStream *) stream;
  gsize size;
  const guint8 *data = g_bytes_get_data (self->head, &size);

  if (self->offset < size)
    {
      gsize n = MIN (count, size - self->offset);

      memcpy (buffer, data + self->offset, n);
      self->offset += n;
      return (gssize) n;
    }
  return g_input_stream_read (self->tail, buffer, count, cancellable, error);
}

static gboolean
joined_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  return g_input_stream_close (((MailsyncImapJoinedStream *) stream)->tail, cancellable, error);
}

static void
joined_finalize (GObject *object)
{
  MailsyncImapJoinedStream *self = (MailsyncImapJoinedStream *) object;

  g_bytes_unref (self->head);
  g_object_unref (self->tail);
  G_OBJECT_CLASS (mailsync_imap_joined_stream_parent_class)->finalize (object);
}

static void
mailsync_imap_joined_stream_class_init (MailsyncImapJoinedStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = joined_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = joined_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = joined_close;
}

static void
mailsync_imap_joined_stream_init (MailsyncImapJoinedStream *self)
{
}

/* The message @task fetched the rest of: its prefetched part, then @rest
 * (@rest_size bytes on the wire), or NULL when the rest is not the one
 * the listing's size (@size) leaves: shorter (a server that cut it),
 * longer (asked one byte more: the message is longer than listed), or
 * missing. The caller fetches the message whole then. A rest in memory
 * is joined into one body in memory (what the engine's downloads take,
 * session 19: no stream), a spooled one behind a stream. */
MailsyncImapFetched *
_mailsync_imap_folder_rest_joined (GTask *task, const MailsyncImapFetched *rest, gsize rest_size, guint64 size)
{
  GBytes *part = g_object_get_data (G_OBJECT (task), "mailsync-fetch-part");
  MailsyncImapJoinedStream *joined;
  MailsyncImapFetched *whole;

  if (part == NULL || rest == NULL || (rest->bytes == NULL && rest->stream == NULL))
    return NULL;
  if (g_bytes_get_size (part) + (guint64) rest_size != size)
    {
      sizes_inexact (g_task_get_source_object (task),
                     GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mailsync-fetch-uid")),
                     g_bytes_get_size (part) + (guint64) rest_size, size);
      return NULL;
    }
  whole = g_new0 (MailsyncImapFetched, 1);
  if (rest->bytes != NULL)
    {
      gsize part_len, rest_len;
      const guint8 *head = g_bytes_get_data (part, &part_len);
      const guint8 *tail = g_bytes_get_data (rest->bytes, &rest_len);
      guint8 *both = g_malloc (part_len + rest_len + 1);

      memcpy (both, head, part_len);
      if (rest_len > 0)
        memcpy (both + part_len, tail, rest_len);
      whole->bytes = g_bytes_new_take (both, part_len + rest_len);
      return whole;
    }
  joined = g_object_new (mailsync_imap_joined_stream_get_type (), NULL);
  joined->head = g_bytes_ref (part);
  joined->tail = g_object_ref (rest->stream);
  whole->stream = G_INPUT_STREAM (joined);
  return whole;
}

/* Any thread: the kept bodies (not those of a listing in flight, the
 * worker's). */
void
_mailsync_imap_folder_prefetch_drop (MailsyncImapFolder *self)
{
  g_autoptr(GHashTable) prefetched = NULL;

  g_mutex_lock (&self->hold_lock);
  prefetched = g_steal_pointer (&self->prefetched);
  self->prefetched_validity = 0;
  g_mutex_unlock (&self->hold_lock);
}
