/* APPEND: a message spooled with CRLF line ends and sent as a literal,
 * its new UID from APPENDUID or, without UIDPLUS, from the
 * X-OfflineIMAP header offlineimap adds. The command for one message or
 * for several (MULTIAPPEND, sent by mailsync-imap-folder-multiappend.c). */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-imap-command.h"
#include "mailsync-error.h"
#include "mailsync-line-ends.h"
#include "mailsync-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---- append ------------------------------------------------------------------- */

/* IMAP wants CRLF line ends (RFC 3501 §4.3 literals carry the message as
 * RFC 5322 text); a Maildir holds LF. The message is converted in slices
 * into memory while it is small, and into a spool file once it is larger
 * than MEMORY_SPOOL_MAX, so that a large one is never in memory; the
 * literal is then sent from either with its size known. Nearly every
 * message is small: a spool file each cost an inode's creation and
 * removal per APPEND, most of the upload's CPU beside TLS (issue 13). */
#define MEMORY_SPOOL_MAX (256 * 1024)

typedef struct
{
  guint64 size;
  gulong crc;             /* of the converted message (X-OfflineIMAP) */
  gint64 header_split;    /* offset after the last header line's CRLF, -1 */
  guint blank_match;      /* how much of "\r\n\r\n" the output ends with */
  guint64 held_crs;       /* a run of CRs the converted bytes end with, not written yet */
  guint64 trailing_crs;   /* the CRs the whole message ends with */
  GByteArray *memory;     /* the message while small, else NULL */
  int fd;                 /* the spool file once not, else -1 */
} CrlfSpool;

static void
crlf_spool_clear (CrlfSpool *spool)
{
  if (spool->memory != NULL)
    g_byte_array_unref (g_steal_pointer (&spool->memory));
  if (spool->fd >= 0)
    close (spool->fd);
  spool->fd = -1;
}

static gboolean
spool_write (int fd, const guint8 *data, gsize len, GError **error)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot write a spool file: %s",
                       g_strerror (saved));
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CrlfSpool, crlf_spool_clear)

static void
crlf_track (CrlfSpool *spool, const guint8 *out, gsize len)
{
  static const char blank[] = "\r\n\r\n";

  spool->crc = crc32 (spool->crc, out, (uInt) len);
  for (gsize i = 0; i < len && spool->header_split < 0; i++)
    {
      if (out[i] == (guint8) blank[spool->blank_match])
        spool->blank_match++;
      else
        spool->blank_match = out[i] == '\r' ? 1 : 0;
      if (spool->blank_match == 4)
        spool->header_split = (gint64) (spool->size + i + 1) - 2;
    }
  spool->size += len;
}

/* Appends converted bytes to the memory, or to the spool file, opened
 * (and given the memory's bytes) when the message grows past
 * MEMORY_SPOOL_MAX. */
static gboolean
spool_out (CrlfSpool *spool, const guint8 *data, gsize len, GError **error)
{
  if (spool->memory != NULL && spool->memory->len + len <= MEMORY_SPOOL_MAX)
    {
      g_byte_array_append (spool->memory, data, (guint) len);
      return TRUE;
    }
  if (spool->fd < 0)
    {
      spool->fd = _mailsync_imap_spool_open (error);
      if (spool->fd < 0)
        return FALSE;
    }
  if (spool->memory != NULL)
    {
      g_autoptr(GByteArray) memory = g_steal_pointer (&spool->memory);

      if (!spool_write (spool->fd, memory->data, memory->len, error))
        return FALSE;
    }
  return spool_write (spool->fd, data, len, error);
}

static gboolean
spool_emit (CrlfSpool *spool, const guint8 *data, gsize len, GError **error)
{
  if (len == 0)
    return TRUE;
  crlf_track (spool, data, len);
  return spool_out (spool, data, len, error);
}

static gboolean
spool_emit_crs (CrlfSpool *spool, guint64 n, GError **error)
{
  guint8 crs[256];

  memset (crs, '\r', sizeof crs);
  while (n > 0)
    {
      gsize k = (gsize) MIN (n, sizeof crs);

      if (!spool_emit (spool, crs, k, error))
        return FALSE;
      n -= k;
    }
  return TRUE;
}

/* A CR before a CRLF is no line end of RFC 5322, and servers differ on
 * it: Dovecot stores "\r\r\n" as "\r\n" (and "\r\r\r\n" as "\r\r\n"), so
 * that a line of two CRs the upload did not take for a blank line is one
 * on the server, and the X-OfflineIMAP line added before the blank line
 * the upload saw ends up in the stored copy's body, where neither the
 * search nor the next run's scan (mailsync-sync-intents.c) looks for it.
 * The message is therefore sent with a run of CRs before an LF as one
 * CR (a run can span the converted pieces: @spool->held_crs); what is
 * sent is then what any server stores, and the content digest, which
 * skips CRs, is the same. Compacts @data in place (it only shrinks),
 * then writes it. */
static gboolean
spool_collapse (CrlfSpool *spool, guint8 *data, gsize len, GError **error)
{
  gsize r = 0;
  gsize w = 0;

  if (spool->held_crs > 0)
    {
      while (r < len && data[r] == '\r')
        r++;
      spool->held_crs += r;
      if (r == len)
        return TRUE;
      if (!spool_emit_crs (spool, data[r] == '\n' ? 1 : spool->held_crs, error))
        return FALSE;
      spool->held_crs = 0;
    }
  while (r < len)
    {
      const guint8 *cr = memchr (data + r, '\r', len - r);
      gsize run = cr != NULL ? (gsize) (cr - data) : len;
      gsize run_end;

      if (w != r)
        memmove (data + w, data + r, run - r);
      w += run - r;
      if (cr == NULL)
        break;
      for (run_end = run; run_end < len && data[run_end] == '\r'; run_end++)
        ;
      if (run_end == len)
        {
          /* what follows it is in the next piece */
          spool->held_crs = run_end - run;
          break;
        }
      if (data[run_end] == '\n')
        data[w++] = '\r';
      else
        {
          memmove (data + w, data + run, run_end - run);
          w += run_end - run;
        }
      r = run_end;
    }
  return spool_emit (spool, data, w, error);
}

/* The end of the message: CRs held are its last bytes. */
static gboolean
spool_collapse_finish (CrlfSpool *spool, GError **error)
{
  spool->trailing_crs = spool->held_crs;
  spool->held_crs = 0;
  return spool_emit_crs (spool, spool->trailing_crs, error);
}

static gboolean
spool_crlf (GInputStream *content, CrlfSpool *spool, GCancellable *cancellable, GError **error)
{
  g_autofree guint8 *buf = g_malloc (65536);
  g_autofree guint8 *out = g_malloc (MAILSYNC_LINE_ENDS_MAX_OUT (65536));
  MailsyncLineEnds line_ends;

  /* A CRLF the message already has stays one (a Maildir file may hold
   * CRLF line ends), a bare LF becomes one. */
  _mailsync_line_ends_init (&line_ends, MAILSYNC_LINE_ENDS_TO_CRLF_KEEP);
  spool->header_split = -1;
  spool->blank_match = 2;     /* a blank first line: an empty header block */
  spool->crc = crc32 (0L, Z_NULL, 0);
  spool->held_crs = spool->trailing_crs = 0;
  spool->memory = g_byte_array_new ();
  spool->fd = -1;
  for (;;)
    {
      gssize n = g_input_stream_read (content, buf, 65536, cancellable, error);
      gsize o;

      if (n < 0)
        return FALSE;
      if (n == 0)
        o = _mailsync_line_ends_finish (&line_ends, out);
      else
        o = _mailsync_line_ends_convert (&line_ends, buf, (gsize) n, out);
      if (!spool_collapse (spool, out, o, error))
        return FALSE;
      if (n == 0)
        return spool_collapse_finish (spool, error);
    }
}

/* Copies @len bytes of @from (at its current offset) to @to. */
static gboolean
spool_copy (int from, int to, guint64 len, GError **error)
{
  g_autofree guint8 *buf = g_malloc (65536);

  while (len > 0)
    {
      gssize n = read (from, buf, (size_t) MIN (len, 65536));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = n < 0 ? errno : EIO;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot read a spool file: %s",
                       g_strerror (saved));
          return FALSE;
        }
      if (!spool_write (to, buf, (gsize) n, error))
        return FALSE;
      len -= (guint64) n;
    }
  return TRUE;
}

/* Whether the first @size bytes of the message end in a line end (none
 * do). */
static gboolean
spool_ends_in_newline (CrlfSpool *spool, guint64 size, gboolean *ends, GError **error)
{
  guint8 last;
  gssize n;

  *ends = TRUE;
  if (size == 0)
    return TRUE;
  if (spool->memory != NULL)
    {
      *ends = spool->memory->data[size - 1] == '\n';
      return TRUE;
    }
  do
    n = pread (spool->fd, &last, 1, (off_t) size - 1);
  while (n < 0 && errno == EINTR);
  if (n != 1)
    {
      int saved = n < 0 ? errno : EIO;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot read a spool file: %s",
                   g_strerror (saved));
      return FALSE;
    }
  *ends = last == '\n';
  return TRUE;
}

/* Without UIDPLUS the new UID is found by a unique header, as offlineimap
 * does (reference §5.6): "X-OfflineIMAP: <crc32>-<random>", appended as the
 * last header line, into the memory or a new spool file. A message without
 * a blank line is all header: the line goes at its end, so that it still
 * is the last header line; if the message lacks a final line end, the
 * CRLF goes before the line and none after it, so that the server's copy
 * tells which line end is ours (remote_digests() in
 * mailsync-sync-intents.c takes off exactly what is added here). CRs that
 * end a message that is all header are left out: with the line end
 * added after them they would be a run of CRs before an LF, a blank line
 * on Dovecot ("\r\n\r" + "\r\nX-OfflineIMAP: v" is stored as
 * "\r\n\r\nX-OfflineIMAP: v"); the content digest skips them anyway. */
static gboolean
add_offlineimap_header (CrlfSpool *spool, char **value, GError **error)
{
  g_autofree char *header = NULL;
  guint64 split = (guint64) spool->header_split;
  gboolean ends = TRUE;
  int tagged;

  if (spool->header_split < 0)
    {
      split = spool->size - spool->trailing_crs;
      if (!spool_ends_in_newline (spool, split, &ends, error))
        return FALSE;
      /* the spool file keeps them past spool->size: not copied below */
      spool->size = split;
      if (spool->memory != NULL)
        g_byte_array_set_size (spool->memory, (guint) split);
    }
  *value = g_strdup_printf ("%lu-%u", spool->crc, g_random_int ());
  header = ends ? g_strdup_printf ("X-OfflineIMAP: %s\r\n", *value) : g_strdup_printf ("\r\nX-OfflineIMAP: %s", *value);
  if (spool->memory != NULL)
    {
      gsize len = strlen (header);
      guint old_len = spool->memory->len;

      g_byte_array_set_size (spool->memory, old_len + (guint) len);
      memmove (spool->memory->data + split + len, spool->memory->data + split, old_len - split);
      memcpy (spool->memory->data + split, header, len);
      spool->size += len;
      return TRUE;
    }
  tagged = _mailsync_imap_spool_open (error);
  if (tagged < 0)
    return FALSE;
  if (lseek (spool->fd, 0, SEEK_SET) < 0 || !spool_copy (spool->fd, tagged, split, error) ||
      !spool_write (tagged, (const guint8 *) header, strlen (header), error) ||
      !spool_copy (spool->fd, tagged, spool->size - split, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot rewind a spool file");
      close (tagged);
      return FALSE;
    }
  close (spool->fd);
  spool->fd = tagged;
  spool->size += strlen (header);
  return TRUE;
}

/* offlineimap omits dates before 1981 (the server then uses its clock). */
#define OLDEST_APPEND_DATE 347155200

typedef struct
{
  guint32 found;
  guint hits;
} SearchResult;

static void
on_search (MailsyncImapResponse *response, gpointer user_data)
{
  SearchResult *result = user_data;

  if (response->data_kind != MAILSYNC_IMAP_DATA_SEARCH || response->u.search->numbers == NULL)
    return;
  for (guint i = 0; i < response->u.search->numbers->len; i++)
    {
      result->found = g_array_index (response->u.search->numbers, guint32, i);
      result->hits++;
    }
}

/* Exactly one match, or 0 ("unknown": the runner then matches the copy by
 * content on the next run rather than guess). */
static guint32
uid_from_search (MailsyncImapFolder *self, const char *value, GCancellable *cancellable)
{
  g_autoptr(MailsyncImapCommand) cmd = _mailsync_imap_folder_command (self, "UID SEARCH HEADER");
  g_autoptr(MailsyncImapResponse) ok = NULL;
  MailsyncImapRequest *request;
  SearchResult search = { 0, 0 };

  /* a string, quoted as offlineimap sends it */
  mailsync_imap_command_add_atom (cmd, "X-OfflineIMAP", NULL);
  mailsync_imap_command_add_string (cmd, value, -1, NULL);
  if ((request = mailsync_imap_request_new_from_command (cmd, NULL)) == NULL)
    return 0;
  mailsync_imap_request_set_untagged_handler (request, on_search, &search);
  ok = _mailsync_imap_folder_send (self, request, cancellable, NULL);
  return ok != NULL && search.hits == 1 ? search.found : 0;
}

typedef struct
{
  MailsyncMessageInfo *info;
  GInputStream *content;
} AppendArgs;

static void
append_args_free (AppendArgs *args)
{
  g_object_unref (args->info);
  g_object_unref (args->content);
  g_free (args);
}

/* A message made ready for its APPEND, and what its answer needs. */
typedef struct
{
  guint64 size;
  char *marker;             /* X-OfflineIMAP header value, without UIDPLUS */
  char **keywords;          /* the keywords in the APPEND's flag list */
  GBytes *memory;           /* the message in memory, or NULL: */
  int fd;                   /* in this spool file */
} AppendSent;

static void
append_sent_free (AppendSent *sent)
{
  g_free (sent->marker);
  g_strfreev (sent->keywords);
  if (sent->memory != NULL)
    g_bytes_unref (sent->memory);
  if (sent->fd >= 0)
    close (sent->fd);
  g_free (sent);
}

#define APPEND_SENT_KEY "mailsync-imap-append-sent"

static AppendSent *
sent_of (GTask *task)
{
  return g_object_get_data (G_OBJECT (task), APPEND_SENT_KEY);
}

guint64
_mailsync_imap_append_size (GTask *task)
{
  return sent_of (task)->size;
}

static void
append_return (GTask *task, guint32 uid)
{
  AppendArgs *args = g_task_get_task_data (task);
  AppendSent *sent = sent_of (task);

  g_task_return_pointer (task,
                         mailsync_message_info_new (uid, NULL, mailsync_message_info_get_flags (args->info),
                                                    (const char * const *) sent->keywords, sent->size,
                                                    mailsync_message_info_get_internal_date (args->info)),
                         g_object_unref);
}

/* Without UIDPLUS: find the new message by its header, a job of its own
 * (it SELECTs and SEARCHes). */
static void
append_find_uid_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  g_autoptr(GError) error = NULL;

  if (!_mailsync_imap_folder_check_connected (self, task))
    return;
  /* SEARCH sees the new message only in the selected mailbox. */
  _mailsync_imap_slot_set_selected (_mailsync_imap_folder_slot (self), NULL);
  if (!_mailsync_imap_folder_ensure_selected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  append_return (task, uid_from_search (self, sent_of (task)->marker, cancellable));
}

void
_mailsync_imap_append_settle (GTask *task, guint32 uid)
{
  MailsyncImapFolder *self = g_task_get_source_object (task);

  if (uid == 0 && sent_of (task)->marker != NULL)
    {
      /* A callback may not await: the search is a job. */
      _mailsync_worker_run (_mailsync_imap_folder_slot (self)->worker, task, append_find_uid_job);
      return;
    }
  append_return (task, uid);
}

/* The UIDs an APPENDUID (RFC 4315) gave the @n messages of an APPEND, in
 * the order they were sent: FALSE unless it names exactly @n in the
 * folder's UIDVALIDITY. */
gboolean
_mailsync_imap_append_uids (MailsyncImapFolder *self, MailsyncImapResponse *ok, guint32 *uids, guint n)
{
  GArray *ranges;
  guint k = 0;

  if (ok->code == NULL || ok->code->kind != MAILSYNC_IMAP_CODE_APPENDUID || ok->code->dst_uids == NULL)
    return FALSE;
  if (ok->code->number != self->uidvalidity && self->uidvalidity != 0)
    return FALSE;
  ranges = ok->code->dst_uids;
  for (guint i = 0; i < ranges->len; i++)
    {
      MailsyncImapRange *range = &g_array_index (ranges, MailsyncImapRange, i);
      guint64 count = (guint64) range->last - range->first + 1;

      if (range->first == 0 || range->last < range->first || count > n - k)
        return FALSE;
      for (guint64 j = 0; j < count; j++)
        uids[k++] = range->first + (guint32) j;
    }
  return k == n;
}

static void
append_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  MailsyncImapFolder *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);
  guint32 uid = 0;

  if (ok == NULL)
    {
      /* [TOOBIG] (RFC 4469, 7889) refuses this message only. The error
       * carries the response code in its text, as "APPEND NO: [CODE] ...". */
      if (g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO) &&
          strstr (error->message, ": [TOOBIG]") != NULL)
        {
          g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                                   "The server refused the message (%s)", error->message);
          return;
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!_mailsync_imap_append_uids (self, ok, &uid, 1))
    uid = 0;
  _mailsync_imap_append_settle (task, uid);
}

static void
on_append_limit (MailsyncImapResponse *response, gpointer user_data)
{
  MailsyncImapFolder *self = user_data;

  if (response->data_kind == MAILSYNC_IMAP_DATA_STATUS &&
      (response->u.status->present & MAILSYNC_IMAP_STATUS_ITEM_APPENDLIMIT))
    self->append_limit = response->u.status->appendlimit;
}
/* RFC 7889: "APPENDLIMIT=N" among the capabilities is the largest message
 * the server accepts in any mailbox; a bare APPENDLIMIT says each mailbox
 * has its own, which STATUS (APPENDLIMIT) tells (NIL: none), asked once
 * per folder. 0 for none known; *@per_mailbox says which kind. A server
 * that does not answer the STATUS refuses a message too big, [TOOBIG],
 * which append_done() makes a skip of that message too. */
static guint64
append_limit (MailsyncImapFolder *self, MailsyncImapConnection *connection, GCancellable *cancellable,
              gboolean *per_mailbox)
{
  g_autofree char *caps = mailsync_imap_connection_get_capability_string (connection);
  g_auto(GStrv) atoms = g_strsplit (caps ? caps : "", " ", -1);
  gboolean bare = FALSE;

  *per_mailbox = FALSE;
  for (guint i = 0; atoms[i] != NULL; i++)
    if (g_ascii_strncasecmp (atoms[i], "APPENDLIMIT=", 12) == 0)
      {
        const char *digits = atoms[i] + 12;
        char *end = NULL;
        guint64 limit = g_ascii_strtoull (digits, &end, 10);

        if (end != digits && *end == '\0')
          return limit;
      }
    else if (g_ascii_strcasecmp (atoms[i], "APPENDLIMIT") == 0)
      bare = TRUE;
  if (!bare)
    return 0;
  *per_mailbox = TRUE;
  if (!self->append_limit_known)
    {
      g_autoptr(MailsyncImapCommand) cmd = _mailsync_imap_folder_command (self, "STATUS");
      g_autoptr(MailsyncImapResponse) ok = NULL;
      g_autoptr(GError) error = NULL;
      MailsyncImapRequest *request;

      mailsync_imap_command_add_wire_mailbox (cmd, self->wire_name, NULL);
      mailsync_imap_command_add_raw (cmd, "(APPENDLIMIT)", NULL);
      self->append_limit = 0;
      if ((request = mailsync_imap_request_new_from_command (cmd, &error)) != NULL)
        {
          mailsync_imap_request_set_untagged_handler (request, on_append_limit, self);
          ok = _mailsync_imap_folder_send (self, request, cancellable, &error);
        }
      if (ok == NULL)
        g_debug ("%s: no APPENDLIMIT from STATUS: %s", mailsync_folder_get_name (MAILSYNC_FOLDER (self)),
                 error ? error->message : "?");
      self->append_limit_known = TRUE;
    }
  return self->append_limit;
}

/* Spools the message with CRLF line ends (in memory while small), adds
 * the X-OfflineIMAP header without UIDPLUS, checks the APPENDLIMIT and
 * keeps what the APPEND and its answer need on the task. On the worker,
 * connected. */
gboolean
_mailsync_imap_append_prepare (MailsyncImapFolder *self, GTask *task, GCancellable *cancellable)
{
  AppendArgs *args = g_task_get_task_data (task);
  MailsyncImapConnection *connection = _mailsync_imap_folder_connection_of (self);
  g_autoptr(GError) error = NULL;
  g_autofree char *marker = NULL;
  g_auto(CrlfSpool) spool = { 0, .fd = -1 };
  gboolean per_mailbox;
  guint64 limit;
  AppendSent *sent;

  if (!spool_crlf (args->content, &spool, cancellable, &error) ||
      (!mailsync_imap_connection_has_capability (connection, "UIDPLUS") &&
       !add_offlineimap_header (&spool, &marker, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return FALSE;
    }
  limit = append_limit (self, connection, cancellable, &per_mailbox);
  /* Not sent at all: the server would refuse it, and only it. */
  if (limit > 0 && spool.size > limit && per_mailbox)
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                               "Message of %" G_GUINT64_FORMAT " bytes is larger than the APPENDLIMIT "
                               "of folder %s on the server (%" G_GUINT64_FORMAT " bytes)", spool.size,
                               mailsync_folder_get_name (MAILSYNC_FOLDER (self)), limit);
      return FALSE;
    }
  if (limit > 0 && spool.size > limit)
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                               "Message of %" G_GUINT64_FORMAT " bytes is larger than the server's "
                               "APPENDLIMIT (%" G_GUINT64_FORMAT " bytes)", spool.size, limit);
      return FALSE;
    }
  sent = g_new0 (AppendSent, 1);
  sent->size = spool.size;
  sent->marker = g_steal_pointer (&marker);
  sent->fd = -1;
  if (spool.memory != NULL)
    sent->memory = g_byte_array_free_to_bytes (g_steal_pointer (&spool.memory));
  else
    sent->fd = g_steal_fd (&spool.fd);
  {
    /* The message's keywords go in the same flag list (issue 10 item 3;
     * offlineimap sends the system flags only), those the folder can
     * store: the stored message says which, so that the status records
     * only those and one left out is not read as removed here. */
    const char * const *keywords = mailsync_message_info_get_keywords (args->info);
    g_autoptr(GStrvBuilder) sent_keywords = g_strv_builder_new ();

    for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
      if (_mailsync_imap_keyword_atom_ok (keywords[i]) &&
          _mailsync_imap_folder_can_store_keyword (MAILSYNC_FOLDER (self), keywords[i]))
        g_strv_builder_add (sent_keywords, keywords[i]);
    sent->keywords = g_strv_builder_end (sent_keywords);
  }
  g_object_set_data_full (G_OBJECT (task), APPEND_SENT_KEY, sent, (GDestroyNotify) append_sent_free);
  return TRUE;
}

/* A spool file's bytes read with pread() at an offset of the stream's
 * own: every sending of a message (a resend after a NO while the first
 * sending's stream may still be in the connection's write queue) reads
 * from its start through a dup() of the descriptor, whose shared file
 * offset nothing uses. */
#define MAILSYNC_TYPE_IMAP_SPOOL_STREAM (mailsync_imap_spool_stream_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncImapSpoolStream, mailsync_imap_spool_stream, MAILSYNC, IMAP_SPOOL_STREAM, GInputStream)

struct _MailsyncImapSpoolStream
{
  GInputStream parent_instance;
  int fd;
  guint64 offset;
};

G_DEFINE_FINAL_TYPE (MailsyncImapSpoolStream, mailsync_imap_spool_stream, G_TYPE_INPUT_STREAM)

static gssize
spool_stream_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  MailsyncImapSpoolStream *self = MAILSYNC_IMAP_SPOOL_STREAM (stream);
  gssize n;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  do
    n = pread (self->fd, buffer, count, (off_t) self->offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot read a spool file: %s",
                   g_strerror (saved));
      return -1;
    }
  self->offset += (guint64) n;
  return n;
}

static gboolean
spool_stream_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  MailsyncImapSpoolStream *self = MAILSYNC_IMAP_SPOOL_STREAM (stream);

  (void) cancellable;
  (void) error;
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  return TRUE;
}

static void
spool_stream_finalize (GObject *object)
{
  MailsyncImapSpoolStream *self = MAILSYNC_IMAP_SPOOL_STREAM (object);

  if (self->fd >= 0)
    close (self->fd);
  G_OBJECT_CLASS (mailsync_imap_spool_stream_parent_class)->finalize (object);
}

static void
mailsync_imap_spool_stream_class_init (MailsyncImapSpoolStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = spool_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = spool_stream_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = spool_stream_close;
}

static void
mailsync_imap_spool_stream_init (MailsyncImapSpoolStream *self)
{
  self->fd = -1;
}

/* The message's literal, from its start, in a stream that owns what it
 * reads (the connection may hold it after the task is gone). */
static GInputStream *
append_stream (AppendSent *sent, GError **error)
{
  MailsyncImapSpoolStream *stream;
  int fd;

  if (sent->memory != NULL)
    return g_memory_input_stream_new_from_bytes (sent->memory);
  fd = fcntl (sent->fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot open a spool file: %s",
                   g_strerror (saved));
      return NULL;
    }
  stream = g_object_new (MAILSYNC_TYPE_IMAP_SPOOL_STREAM, NULL);
  stream->fd = fd;
  return G_INPUT_STREAM (stream);
}

/* What goes before a message's literal: "APPEND mailbox (flags) date" for
 * the first, "APPEND (flags) date" for the next ones of a MULTIAPPEND
 * (the caller drops the word). */
static MailsyncImapCommand *
append_command (MailsyncImapFolder *self, GTask *task, gboolean first, GError **error)
{
  AppendArgs *args = g_task_get_task_data (task);
  g_autoptr(MailsyncImapCommand) cmd = _mailsync_imap_folder_command (self, "APPEND");
  gint64 date = mailsync_message_info_get_internal_date (args->info);

  if (first)
    mailsync_imap_command_add_wire_mailbox (cmd, self->wire_name, NULL);
  mailsync_imap_command_add_flags (cmd, mailsync_message_info_get_flags (args->info),
                                   (const char *const *) sent_of (task)->keywords, NULL);
  if (date >= OLDEST_APPEND_DATE)
    mailsync_imap_command_add_date_time (cmd, date, 0, NULL);
  if (!mailsync_imap_command_finish (cmd, error))
    return NULL;
  return g_steal_pointer (&cmd);
}

static const char *
without_name (const char *text)
{
  return g_str_has_prefix (text, "APPEND ") ? text + strlen ("APPEND ") : text;
}

MailsyncImapRequest *
_mailsync_imap_append_request (MailsyncImapFolder *self, GTask *const *tasks, guint n_tasks, gboolean again,
                               GError **error)
{
  g_autoptr(MailsyncImapCommand) cmd = append_command (self, tasks[0], TRUE, error);
  g_autoptr(MailsyncImapRequest) request = NULL;
  g_autoptr(GString) log = NULL;

  (void) again;   /* each sending reads from the start at an offset of its own */
  if (cmd == NULL)
    return NULL;
  {
    const char *const *texts;
    GBytes *const *literals;
    gboolean literal8;
    g_autofree char *text = NULL;
    guint n;

    /* The messages are streams the builder does not hold: the builder's
     * text and literals (a mailbox name that cannot be quoted), a space,
     * then each message's literal, which the connection announces as the
     * server allows, with the next message's flags and date between. */
    n = mailsync_imap_command_get_segments (cmd, &texts, &literals, &literal8);
    text = g_strconcat (texts[n], " ", NULL);
    request = mailsync_imap_request_new (n == 0 ? text : texts[0]);
    for (guint i = 0; i < n; i++)
      mailsync_imap_request_add_literal (request, literals[i], i + 1 == n ? text : texts[i + 1]);
  }
  log = g_string_new (mailsync_imap_command_get_log_line (cmd));
  for (guint i = 0; i < n_tasks; i++)
    {
      AppendSent *sent = sent_of (tasks[i]);
      g_autoptr(GInputStream) stream = append_stream (sent, error);
      g_autofree char *after = NULL;

      if (stream == NULL)
        return NULL;
      g_string_append (log, " {literal...}");
      if (i + 1 < n_tasks)
        {
          g_autoptr(MailsyncImapCommand) next = append_command (self, tasks[i + 1], FALSE, error);
          const char *const *texts;
          GBytes *const *literals;
          gboolean literal8;

          if (next == NULL)
            return NULL;
          /* flags and a date: never a literal */
          mailsync_imap_command_get_segments (next, &texts, &literals, &literal8);
          after = g_strconcat (" ", without_name (texts[0]), " ", NULL);
          g_string_append_printf (log, " %s", without_name (mailsync_imap_command_get_log_line (next)));
        }
      mailsync_imap_request_add_literal_stream (request, stream, sent->size, after != NULL ? after : "");
    }
  mailsync_imap_request_set_untagged_handler (request, _mailsync_imap_folder_on_untagged, self);
  mailsync_imap_request_set_log_text (request, log->str);
  return g_steal_pointer (&request);
}

void
_mailsync_imap_append_send (MailsyncImapFolder *self, GTask *task, gboolean again, GCancellable *cancellable)
{
  GError *error = NULL;
  MailsyncImapRequest *request = _mailsync_imap_append_request (self, &task, 1, again, &error);

  if (request == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  mailsync_imap_connection_send_async (_mailsync_imap_folder_connection_of (self), request, cancellable,
                                       append_done, g_object_ref (task));
}

/* Makes the message ready, sends the APPEND and returns: the task
 * completes in append_done, and the next APPENDs go out meanwhile (the
 * connection waits for each "+" of a synchronizing literal, or uses
 * LITERAL+). The engine's uploads are held and go out together instead
 * (mailsync-imap-folder-multiappend.c). */
static void
append_message_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;

  if (!_mailsync_imap_folder_check_connected (self, task) || !_mailsync_imap_append_prepare (self, task, cancellable))
    return;
  _mailsync_imap_append_send (self, task, FALSE, cancellable);
}

static void
folder_append_message_async (MailsyncFolder *folder, MailsyncMessageInfo *info, GInputStream *content,
                             GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  AppendArgs *args = g_new0 (AppendArgs, 1);

  args->info = g_object_ref (info);
  args->content = g_object_ref (content);
  g_task_set_task_data (task, args, (GDestroyNotify) append_args_free);
  g_task_set_source_tag (task, folder_append_message_async);
  if (_mailsync_imap_folder_held_append (MAILSYNC_IMAP_FOLDER (folder), task))
    return;
  _mailsync_imap_folder_queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_append_message_async,
                                   append_message_job);
}

static MailsyncMessageInfo *
folder_append_message_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
_mailsync_imap_folder_append_class_init (MailsyncFolderClass *folder_class)
{
  folder_class->append_message_async = folder_append_message_async;
  folder_class->append_message_finish = folder_append_message_finish;
}
