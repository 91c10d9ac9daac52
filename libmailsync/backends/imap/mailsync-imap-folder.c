/* An IMAP mailbox as a MailsyncFolder. Every operation is one or a few
 * UID commands sent through the repository's connection without waiting
 * for earlier ones: the runner's 64 fetches become 64 pipelined
 * UID FETCH commands on one connection. */
#include "config.h"

#include "mailsync-imap-private.h"
#include "mailsync-imap-command.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "sync/mailsync-keywords.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/**
 * MailsyncImapFolder:
 *
 * A mailbox on an IMAP server.
 *
 * Since: 0.1
 */
struct _MailsyncImapFolder
{
  MailsyncFolder parent_instance;

  char *wire_name;        /* as sent on the wire (mUTF-7) */
  guint32 uidvalidity;
  guint32 uidnext;
  guint64 highestmodseq;
  guint32 exists;
  gboolean read_only;
  /* PERMANENTFLAGS of the last SELECT (issue 10 item 3): whether the
   * server said, whether it has \*, and the keywords it lists. */
  gboolean permanent_known;
  gboolean permanent_any;
  char **permanent_keywords;
  /* The last listing missed something the server reported meanwhile
   * (an EXISTS or EXPUNGE during its FETCH): the next wait for changes
   * reports a change at once, since IDLE would not repeat it. */
  gboolean stale;
  GHashTable *fetching;   /* uid -> GTask of fetch_message */
  GQueue fetch_order;     /* uids of the fetches in flight, oldest first */
  GHashTable *stalled;    /* uids whose fetch the server never answered (socktimeout) */
  GHashTable *listing;    /* uid -> Listed, during a listing */
  /* The listing's memory budget (doc/design.md, "Memory"): no more
   * entries than the largest EXISTS the server gave since the listing
   * began, each with at most LISTING_MAX_KEYWORD_BYTES of keywords; the
   * first excess is kept here and fails the listing when its command ends. */
  guint32 listing_exists_max;
  GError *listing_error;
  GArray *vanished;       /* MailsyncImapRange reported VANISHED during a listing */

  /* The fast resync (doc/design.md): what the caller's status knows, for
   * the next listing only, and the state that listing leaves. */
  GHashTable *known;      /* uid -> maildir flag letters, or NULL */
  char *known_state;      /* sync-state saved with those, or NULL */
  char *sync_state;       /* "1 UIDVALIDITY HIGHESTMODSEQ" of the last listing */
  gboolean fast_listing;  /* the last listing used known + CHANGEDSINCE */
  /* "UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES" of the last listing's
   * SELECT, for the unchanged-folder check (sync/mailsync-sync-unchanged.c);
   * NULL without CONDSTORE. */
  char *listing_stamp;

  /* maxage/maxsize asked by the caller: a full listing SEARCHes first. */
  gint64 window_since;     /* unix time, 0 for none */
  guint64 window_max_size; /* bytes, 0 for none */
  guint32 window_min_uid;  /* list from this UID on instead of SINCE; 0 for none */
};

enum
{
  PROP_0,
  PROP_KNOWN_MESSAGES,
  PROP_KNOWN_STATE,
  PROP_SYNC_STATE,
  PROP_FAST_LISTING,
  PROP_WINDOW_SINCE,
  PROP_WINDOW_MAX_SIZE,
  PROP_WINDOW_MIN_UID,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (MailsyncImapFolder, mailsync_imap_folder, MAILSYNC_TYPE_FOLDER)

static void listing_add   (MailsyncImapFolder *self, const MailsyncImapFetch *fetch);
static void note_vanished (MailsyncImapFolder *self, const MailsyncImapVanished *vanished);

static MailsyncImapRepository *
repo_of (MailsyncImapFolder *self)
{
  return MAILSYNC_IMAP_REPOSITORY (mailsync_folder_get_repository (MAILSYNC_FOLDER (self)));
}

static MailsyncImapConnection *
connection_of (MailsyncImapFolder *self)
{
  return _mailsync_imap_repository_get_connection (repo_of (self));
}

/* On the worker, at the start of every job: a repository nobody opened
 * is opened; a lost connection fails the job. */
static gboolean
check_connected (MailsyncImapFolder *self, GTask *task)
{
  GError *error = NULL;

  if (_mailsync_imap_repository_ensure_connected (repo_of (self), g_task_get_cancellable (task), &error))
    return TRUE;
  g_task_return_error (task, error);
  return FALSE;
}

/* Every operation is a job on the repository's worker (mailsync-worker.h):
 * the call returns at once, jobs of one repository run one at a time on
 * the connection's thread, and a FETCH job only sends its command, so
 * many fetches are in flight at once. */
static void
queue_job (MailsyncImapFolder *self, GTask *task, gpointer tag, MailsyncWorkerFunc job)
{
  g_task_set_source_tag (task, tag);
  _mailsync_worker_run (_mailsync_imap_repository_get_worker (repo_of (self)), task, job);
  g_object_unref (task);
}

/* The content for a fetch task: a large body was spooled to a file by
 * the connection as it arrived and is read back from there; a small one
 * is in memory. A spool that cannot be reopened fails the fetch. */
static void
set_fetched_body (GTask *task, const MailsyncImapFetchBody *body)
{
  GInputStream *content;
  g_autoptr(GError) error = NULL;

  if (body->stream != NULL)
    {
      content = _mailsync_imap_spool_reopen (body->stream, &error);
      if (content == NULL)
        {
          g_object_set_data_full (G_OBJECT (task), "mailsync-fetch-error", g_steal_pointer (&error),
                                  (GDestroyNotify) g_error_free);
          return;
        }
    }
  else
    content = g_memory_input_stream_new_from_bytes (body->data);
  g_task_set_task_data (task, content, g_object_unref);
}

/* Every untagged response while one of our commands is in flight comes
 * here: FETCH data is routed by UID (pipelined commands' responses may
 * interleave), the rest updates the mailbox state. */
static void
on_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  MailsyncImapFolder *self = user_data;

  switch (response->data_kind)
    {
    case MAILSYNC_IMAP_DATA_EXISTS:
      self->exists = response->u.number;
      if (self->listing != NULL)
        self->listing_exists_max = MAX (self->listing_exists_max, self->exists);
      return;
    case MAILSYNC_IMAP_DATA_EXPUNGE:
      if (self->exists > 0)
        self->exists--;
      return;
    case MAILSYNC_IMAP_DATA_VANISHED:
      note_vanished (self, response->u.vanished);
      return;
    case MAILSYNC_IMAP_DATA_FETCH:
      {
        MailsyncImapFetch *fetch = response->u.fetch;
        const MailsyncImapFetchBody *body;
        GTask *task;

        if (!(fetch->present & MAILSYNC_IMAP_FETCH_UID))
          return; /* an unsolicited flag change: the next sync sees it */
        body = mailsync_imap_fetch_get_body (fetch, "BODY[]");
        task = body ? g_hash_table_lookup (self->fetching, GUINT_TO_POINTER (fetch->uid)) : NULL;
        if (task != NULL && (body->data != NULL || body->stream != NULL))
          set_fetched_body (task, body);
        else if (self->listing != NULL && (fetch->present & MAILSYNC_IMAP_FETCH_FLAGS))
          listing_add (self, fetch);
        return;
      }
    default:
      break;
    }
  if (response->code)
    switch (response->code->kind)
      {
      case MAILSYNC_IMAP_CODE_UIDVALIDITY:
        self->uidvalidity = response->code->number;
        break;
      case MAILSYNC_IMAP_CODE_UIDNEXT:
        self->uidnext = response->code->number;
        break;
      case MAILSYNC_IMAP_CODE_HIGHESTMODSEQ:
        self->highestmodseq = response->code->modseq;
        break;
      case MAILSYNC_IMAP_CODE_PERMANENTFLAGS:
        {
          g_autoptr(GStrvBuilder) keywords = g_strv_builder_new ();

          self->permanent_known = TRUE;
          self->permanent_any = FALSE;
          for (char **f = response->code->strv; f != NULL && *f != NULL; f++)
            if (strcmp (*f, "\\*") == 0)
              self->permanent_any = TRUE;
            else if (**f != '\\')
              g_strv_builder_add (keywords, *f);
          g_strfreev (self->permanent_keywords);
          self->permanent_keywords = g_strv_builder_end (keywords);
        }
        break;
      default:
        break;
      }
}


static MailsyncImapRequest *
folder_request (MailsyncImapFolder *self, const char *line)
{
  MailsyncImapRequest *request = mailsync_imap_request_new (line);

  mailsync_imap_request_set_untagged_handler (request, on_untagged, self);
  return request;
}

static MailsyncImapResponse *
run (MailsyncImapFolder *self, const char *line, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  MailsyncImapConnection *connection = connection_of (self);

  mailsync_imap_connection_send_async (connection, folder_request (self, line), cancellable, _mailsync_store_result, &result);
  return mailsync_imap_connection_send_finish (connection, _mailsync_await (&result), error);
}

/* QRESYNC (RFC 7162 §3.2.3) must be enabled once per connection before it
 * changes anything: from then on the server reports expunges as VANISHED
 * and accepts the VANISHED modifier of UID FETCH. */
#define QRESYNC_ENABLED_KEY "mailsync-imap-qresync-enabled"

static gboolean
qresync_enabled (MailsyncImapFolder *self)
{
  return g_object_get_data (G_OBJECT (connection_of (self)), QRESYNC_ENABLED_KEY) != NULL;
}

static gboolean
ensure_qresync (MailsyncImapFolder *self, GCancellable *cancellable, GError **error)
{
  MailsyncImapConnection *connection = connection_of (self);
  g_autoptr(MailsyncImapResponse) ok = NULL;

  if (qresync_enabled (self) || !mailsync_imap_connection_has_capability (connection, "QRESYNC")
      || !mailsync_imap_connection_has_capability (connection, "ENABLE"))
    return TRUE;
  ok = run (self, "ENABLE QRESYNC", cancellable, error);
  if (ok == NULL)
    return FALSE;
  g_object_set_data (G_OBJECT (connection), QRESYNC_ENABLED_KEY, GINT_TO_POINTER (1));
  return TRUE;
}

/* A repository the user made read-only is only EXAMINEd: not even \Recent
 * or a server-side \Seen changes because of us. */
static const char *
select_verb (MailsyncImapFolder *self)
{
  return mailsync_repository_get_readonly (MAILSYNC_REPOSITORY (repo_of (self))) ? "EXAMINE" : "SELECT";
}

/* SELECT once; later operations on the same folder reuse it. With
 * CONDSTORE the SELECT also returns HIGHESTMODSEQ, what the fast resync
 * compares with the saved state. */
static gboolean
ensure_selected (MailsyncImapFolder *self, GCancellable *cancellable, GError **error)
{
  g_autofree char *quoted = NULL;
  g_autofree char *line = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  gboolean condstore;

  if (_mailsync_imap_repository_get_selected (repo_of (self)) == self)
    return TRUE;
  if (!ensure_qresync (self, cancellable, error))
    return FALSE;
  condstore = mailsync_imap_connection_has_capability (connection_of (self), "CONDSTORE");
  quoted = _mailsync_imap_quote (self->wire_name);
  /* With QRESYNC enabled, CONDSTORE is on already. */
  line = g_strdup_printf ("%s %s%s", select_verb (self), quoted, condstore && !qresync_enabled (self) ? " (CONDSTORE)" : "");
  self->uidvalidity = 0;
  self->uidnext = 0;
  self->highestmodseq = 0;
  self->exists = 0;
  _mailsync_imap_repository_note_selected_name (repo_of (self), self->wire_name);
  ok = run (self, line, cancellable, error);
  if (ok == NULL)
    {
      _mailsync_imap_repository_set_selected (repo_of (self), NULL);
      return FALSE;
    }
  self->read_only = ok->code && ok->code->kind == MAILSYNC_IMAP_CODE_READ_ONLY;
  _mailsync_imap_repository_set_selected (repo_of (self), self);
  return TRUE;
}

gboolean
_mailsync_imap_folder_ensure_selected (MailsyncImapFolder *self, GCancellable *cancellable, GError **error)
{
  return ensure_selected (self, cancellable, error);
}

/* ---- list ------------------------------------------------------------------ */

/* What a listing learned about one message. Several FETCH responses may
 * name the same UID (a flag change by another client in the middle). */
typedef struct
{
  MailsyncFlags flags;
  char **keywords;
  guint64 size;
  gint64 date;
  gboolean complete;      /* size and date known */
} Listed;

static void
listed_free (Listed *listed)
{
  g_strfreev (listed->keywords);
  g_free (listed);
}

/* A message's keywords in a listing, at most (their lengths plus one
 * each): real ones are a few short words ($Forwarded, $label1, Junk); a
 * server sending more is flooding, and leaving some out would read as
 * their removal. */
#define LISTING_MAX_KEYWORD_BYTES 1024

static void
listing_fail (MailsyncImapFolder *self, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
listing_fail (MailsyncImapFolder *self, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  if (self->listing_error != NULL)
    return;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  self->listing_error = g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                                     "Folder %s: the server %s; listing of the folder abandoned",
                                     mailsync_folder_get_name (MAILSYNC_FOLDER (self)), what);
}

static void
listing_add (MailsyncImapFolder *self, const MailsyncImapFetch *fetch)
{
  Listed *listed = g_hash_table_lookup (self->listing, GUINT_TO_POINTER (fetch->uid));
  const MailsyncImapFetchFields both = MAILSYNC_IMAP_FETCH_RFC822_SIZE | MAILSYNC_IMAP_FETCH_INTERNALDATE;
  gsize keyword_bytes = 0;

  /* Once over budget, the rest of the answer is read and dropped. */
  if (self->listing_error != NULL)
    return;
  for (guint i = 0; fetch->keywords != NULL && fetch->keywords[i] != NULL; i++)
    keyword_bytes += strlen (fetch->keywords[i]) + 1;
  if (keyword_bytes > LISTING_MAX_KEYWORD_BYTES)
    {
      listing_fail (self, "sent %" G_GSIZE_FORMAT " bytes of keywords for UID %u (at most %u are kept "
                    "per message)", keyword_bytes, fetch->uid, LISTING_MAX_KEYWORD_BYTES);
      return;
    }
  if (listed == NULL)
    {
      /* One entry per message the server says the folder holds: a FETCH
       * flood for UIDs beyond its own EXISTS cannot grow the listing. */
      if (g_hash_table_size (self->listing) >= self->listing_exists_max)
        {
          listing_fail (self, "sent FETCH data for more messages than the %u it says the folder holds "
                        "(EXISTS), UID %u the first one too many", self->listing_exists_max, fetch->uid);
          return;
        }
      listed = g_new0 (Listed, 1);
      g_hash_table_insert (self->listing, GUINT_TO_POINTER (fetch->uid), listed);
    }
  listed->flags = fetch->flags;
  g_strfreev (listed->keywords);
  listed->keywords = g_strdupv (fetch->keywords);
  if ((fetch->present & both) == both)
    {
      listed->size = fetch->rfc822_size;
      listed->date = fetch->internaldate;
      listed->complete = TRUE;
    }
}

static void
note_vanished (MailsyncImapFolder *self, const MailsyncImapVanished *vanished)
{
  if (vanished->uids == NULL)
    return;
  /* VANISHED (EARLIER) is history; plain VANISHED are expunges now. */
  if (!vanished->earlier)
    for (guint i = 0; i < vanished->uids->len; i++)
      {
        const MailsyncImapRange *range = &g_array_index (vanished->uids, MailsyncImapRange, i);
        guint32 n = range->last - range->first + 1;

        self->exists = self->exists > n ? self->exists - n : 0;
      }
  if (self->vanished != NULL)
    g_array_append_vals (self->vanished, vanished->uids->data, vanished->uids->len);
}

static gboolean
is_vanished (MailsyncImapFolder *self, guint32 uid)
{
  for (guint i = 0; i < self->vanished->len; i++)
    {
      const MailsyncImapRange *range = &g_array_index (self->vanished, MailsyncImapRange, i);

      if (uid >= range->first && uid <= range->last)
        return TRUE;
    }
  return FALSE;
}

static gboolean
parse_state (const char *state, guint32 *uidvalidity, guint64 *modseq)
{
  g_auto(GStrv) parts = state ? g_strsplit (state, " ", -1) : NULL;
  guint64 validity;

  return parts != NULL && g_strv_length (parts) == 3 && strcmp (parts[0], "1") == 0
         && g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT32, &validity, NULL)
         && g_ascii_string_to_unsigned (parts[2], 10, 1, G_MAXUINT64, modseq, NULL)
         && (*uidvalidity = (guint32) validity, TRUE);
}

static gint
compare_guint32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

static gint
compare_uid (gconstpointer a, gconstpointer b)
{
  guint32 x = mailsync_message_info_get_uid (*(MailsyncMessageInfo **) a);
  guint32 y = mailsync_message_info_get_uid (*(MailsyncMessageInfo **) b);

  return x < y ? -1 : x > y;
}

/* The listing: with @with_known, the known messages the server did not
 * report (unchanged since the saved state) under their known flags, minus
 * the vanished ones; then everything the server reported. */
static GPtrArray *
build_listing (MailsyncImapFolder *self, gboolean with_known)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key, value;

  if (with_known)
    {
      g_hash_table_iter_init (&iter, self->known);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          guint32 uid = GPOINTER_TO_UINT (key);

          if (g_hash_table_contains (self->listing, key) || is_vanished (self, uid))
            continue;
          g_ptr_array_add (out, mailsync_message_info_new (uid, NULL, mailsync_flags_from_maildir (value),
                                                           NULL, 0, 0));
        }
    }
  g_hash_table_iter_init (&iter, self->listing);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Listed *listed = value;
      guint32 uid = GPOINTER_TO_UINT (key);

      if (with_known && is_vanished (self, uid))
        continue;
      g_ptr_array_add (out, mailsync_message_info_new (uid, NULL, listed->flags,
                                                       (const char * const *) listed->keywords,
                                                       listed->size, listed->date));
    }
  g_ptr_array_sort (out, compare_uid);
  return out;
}

static gboolean
fetch_into_listing (MailsyncImapFolder *self, const char *line, GCancellable *cancellable, GError **error)
{
  g_autoptr(MailsyncImapResponse) ok = run (self, line, cancellable, error);

  if (ok != NULL && self->listing_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->listing_error));
      return FALSE;
    }
  return ok != NULL;
}

/* The fast path: only what changed since the saved HIGHESTMODSEQ, with
 * full fields (new messages need them, changed ones are few). NULL with no
 * error when the result does not add up (the caller then lists in full). */
static GPtrArray *
list_changes (MailsyncImapFolder *self, guint64 since, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) result = NULL;

  /* Nothing changed at all: not even a FETCH. */
  if (since != self->highestmodseq)
    {
      g_autofree char *line =
        g_strdup_printf ("UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE) (CHANGEDSINCE %" G_GUINT64_FORMAT "%s)",
                         since, qresync_enabled (self) ? " VANISHED" : "");

      if (!fetch_into_listing (self, line, cancellable, error))
        return NULL;
    }
  result = build_listing (self, TRUE);
  /* Without VANISHED an expunge shows only in the count; and the count is
   * the proof that the known set plus the changes is the whole mailbox. */
  if (result->len != self->exists)
    {
      g_debug ("%s: %u listed from the saved state, %u on the server: listing in full",
               mailsync_folder_get_name (MAILSYNC_FOLDER (self)), result->len, self->exists);
      return NULL;
    }
  return g_steal_pointer (&result);
}

static void collect_deleted (MailsyncImapResponse *response, gpointer user_data);

/* One UID SEARCH: CRITERIA, then SMALLER for maxsize (or ALL). */
static GArray *
search_window (MailsyncImapFolder *self, const char *criteria, GCancellable *cancellable, GError **error)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GString) line = g_string_new ("UID SEARCH");
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  MailsyncImapRequest *request;

  if (criteria != NULL)
    g_string_append_printf (line, " %s", criteria);
  if (self->window_max_size > 0 && self->window_max_size < G_MAXUINT32)
    g_string_append_printf (line, " SMALLER %" G_GUINT64_FORMAT, self->window_max_size + 1);
  if (strcmp (line->str, "UID SEARCH") == 0)
    g_string_append (line, " ALL");
  request = folder_request (self, line->str);
  mailsync_imap_request_set_untagged_handler (request, collect_deleted, uids);
  mailsync_imap_connection_send_async (connection_of (self), request, cancellable, _mailsync_store_result, &result);
  ok = mailsync_imap_connection_send_finish (connection_of (self), _mailsync_await (&result), error);
  if (ok == NULL)
    return NULL;
  g_array_sort (uids, (GCompareFunc) compare_guint32);
  return g_steal_pointer (&uids);
}

/* maxage/maxsize on the server (reference §5.10), as offlineimap does it:
 * UID SEARCH SINCE the window's day, then, when that found anything,
 * every message from the lowest UID found on (UID SEARCH UID n:*), so that
 * an older message with a higher UID is listed too; with window-min-uid
 * only the second search. Then FETCH only those. */
static GPtrArray *
list_window (MailsyncImapFolder *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GArray) uids = NULL;
  g_autofree char *since = NULL;
  guint32 min_uid = self->window_min_uid;

  if (min_uid == 0 && self->window_since > 0)
    {
      g_autoptr(GDateTime) day = g_date_time_new_from_unix_utc (self->window_since);
      static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

      if (day != NULL)
        since = g_strdup_printf ("SINCE %d-%s-%04d", g_date_time_get_day_of_month (day),
                                 months[g_date_time_get_month (day) - 1], g_date_time_get_year (day));
      uids = search_window (self, since, cancellable, error);
      if (uids == NULL)
        return NULL;
      if (since != NULL && uids->len > 0)
        min_uid = g_array_index (uids, guint32, 0);
    }
  if (min_uid > 0)
    {
      g_autofree char *range = g_strdup_printf ("UID %u:*", min_uid);

      g_clear_pointer (&uids, g_array_unref);
      uids = search_window (self, range, cancellable, error);
      if (uids == NULL)
        return NULL;
      /* "n:*" always names the highest UID, even one below n */
      while (uids->len > 0 && g_array_index (uids, guint32, 0) < min_uid)
        g_array_remove_index (uids, 0);
    }
  else if (uids == NULL)
    {
      uids = search_window (self, NULL, cancellable, error);
      if (uids == NULL)
        return NULL;
    }
  if (uids->len > 0)
    {
      g_autofree char *set = NULL;
      g_autofree char *fetch = NULL;

      set = mailsync_imap_format_seqset ((const guint32 *) uids->data, uids->len);
      fetch = g_strdup_printf ("UID FETCH %s (UID FLAGS RFC822.SIZE INTERNALDATE)", set);
      if (!fetch_into_listing (self, fetch, cancellable, error))
        return NULL;
    }
  return build_listing (self, FALSE);
}

/* The full listing. Messages the status knows need only FLAGS (as mbsync
 * does); the rest, and whatever the status lacks below its highest UID,
 * need size and date too. */
static GPtrArray *
list_everything (MailsyncImapFolder *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GArray) missing = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint32 max_known = 0;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_remove_all (self->listing);
  g_array_set_size (self->vanished, 0);
  if (self->known != NULL)
    {
      g_hash_table_iter_init (&iter, self->known);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        max_known = MAX (max_known, GPOINTER_TO_UINT (key));
    }
  if (max_known == 0)
    {
      /* UID ranges, not sequence numbers, so that concurrent expunges
       * cannot shift them. */
      if (self->window_since > 0 || self->window_max_size > 0 || self->window_min_uid > 0)
        return list_window (self, cancellable, error);
      if (!fetch_into_listing (self, "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)", cancellable, error))
        return NULL;
      return build_listing (self, FALSE);
    }

  {
    g_autofree char *known_part = g_strdup_printf ("UID FETCH 1:%u (UID FLAGS)", max_known);
    g_autofree char *new_part = g_strdup_printf ("UID FETCH %u:* (UID FLAGS RFC822.SIZE INTERNALDATE)",
                                                 max_known + 1);

    if (!fetch_into_listing (self, known_part, cancellable, error)
        || !fetch_into_listing (self, new_part, cancellable, error))
      return NULL;
  }
  g_hash_table_iter_init (&iter, self->listing);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!((Listed *) value)->complete && !g_hash_table_contains (self->known, key))
      {
        guint32 uid = GPOINTER_TO_UINT (key);
        g_array_append_val (missing, uid);
      }
  if (missing->len > 0)
    {
      g_autofree char *set = NULL;
      g_autofree char *line = NULL;

      g_array_sort (missing, (GCompareFunc) compare_guint32);
      set = mailsync_imap_format_seqset ((const guint32 *) missing->data, missing->len);
      line = g_strdup_printf ("UID FETCH %s (UID FLAGS RFC822.SIZE INTERNALDATE)", set);
      if (!fetch_into_listing (self, line, cancellable, error))
        return NULL;
    }
  return build_listing (self, FALSE);
}

static GPtrArray *
list_messages (MailsyncImapFolder *self, GCancellable *cancellable, GError **error)
{
  guint32 saved_validity = 0;
  guint64 saved_modseq = 0;
  GPtrArray *result = NULL;
  GError *local_error = NULL;

  /* Always a fresh SELECT: it is what tells a changed UIDVALIDITY. */
  _mailsync_imap_repository_set_selected (repo_of (self), NULL);
  if (!ensure_selected (self, cancellable, error))
    return NULL;
  g_clear_pointer (&self->sync_state, g_free);
  if (self->highestmodseq > 0)
    self->sync_state = g_strdup_printf ("1 %u %" G_GUINT64_FORMAT, self->uidvalidity, self->highestmodseq);
  g_clear_pointer (&self->listing_stamp, g_free);
  if (self->highestmodseq > 0 && self->uidvalidity > 0 && self->uidnext > 0)
    self->listing_stamp = g_strdup_printf ("%u %" G_GUINT64_FORMAT " %u %u", self->uidvalidity,
                                           self->highestmodseq, self->uidnext, self->exists);
  self->fast_listing = FALSE;
  if (self->exists == 0)
    return g_ptr_array_new_with_free_func (g_object_unref);

  /* Only from a state of the same mailbox incarnation, and never
   * backwards (a restored server). */
  if (self->known != NULL && self->highestmodseq > 0
      && parse_state (self->known_state, &saved_validity, &saved_modseq)
      && saved_validity == self->uidvalidity && saved_modseq <= self->highestmodseq)
    {
      result = list_changes (self, saved_modseq, cancellable, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      self->fast_listing = result != NULL;
    }
  if (result == NULL)
    result = list_everything (self, cancellable, error);
  return result;
}

static void
list_messages_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  g_autoptr(GError) error = NULL;
  GPtrArray *listing;

  if (!check_connected (self, task))
    return;
  self->listing = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) listed_free);
  self->vanished = g_array_new (FALSE, FALSE, sizeof (MailsyncImapRange));
  self->listing_exists_max = 0;
  g_clear_error (&self->listing_error);
  listing = list_messages (self, cancellable, &error);
  g_clear_error (&self->listing_error);
  self->stale = listing != NULL && self->window_since == 0 && self->window_max_size == 0 &&
                listing->len != self->exists;
  g_clear_pointer (&self->listing, g_hash_table_unref);
  g_clear_pointer (&self->vanished, g_array_unref);
  /* The known state is good for one listing: the caller's status moves on. */
  g_clear_pointer (&self->known, g_hash_table_unref);
  g_clear_pointer (&self->known_state, g_free);
  if (listing == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, listing, (GDestroyNotify) g_ptr_array_unref);
}

static void
folder_list_messages_async (MailsyncFolder *folder, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  queue_job (MAILSYNC_IMAP_FOLDER (folder), g_task_new (folder, cancellable, callback, user_data),
             folder_list_messages_async, list_messages_job);
}

static GPtrArray *
folder_list_messages_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the unchanged-folder probe ---------------------------------------------- */

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
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *line = NULL;
  MailsyncImapRequest *request;
  ProbeData data = { { 0 }, FALSE };
  const guint need = MAILSYNC_IMAP_STATUS_ITEM_UIDVALIDITY | MAILSYNC_IMAP_STATUS_ITEM_UIDNEXT |
                     MAILSYNC_IMAP_STATUS_ITEM_MESSAGES | MAILSYNC_IMAP_STATUS_ITEM_HIGHESTMODSEQ;

  if (!check_connected (self, task))
    return;
  connection = connection_of (self);
  /* STATUS on the mailbox the connection has selected (a connection held
   * open between syncs) may answer with the state of the last SELECT: RFC
   * 3501 6.3.10 says not to use it there, and Dovecot shows mail delivered
   * since only after a NOOP. No stamp then: the folder takes the full path. */
  if (!mailsync_imap_connection_has_capability (connection, "CONDSTORE") ||
      _mailsync_imap_repository_may_have_selected (repo_of (self), self->wire_name))
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  quoted = _mailsync_imap_quote (self->wire_name);
  line = g_strdup_printf ("STATUS %s (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)", quoted);
  request = mailsync_imap_request_new (line);
  mailsync_imap_request_set_untagged_handler (request, probe_untagged, &data);
  mailsync_imap_connection_send_async (connection, request, cancellable, _mailsync_store_result, &result);
  ok = mailsync_imap_connection_send_finish (connection, _mailsync_await (&result), &error);
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
  g_task_return_pointer (task,
                         g_strdup_printf ("%u %" G_GUINT64_FORMAT " %u %u", data.status.uidvalidity,
                                          data.status.highestmodseq, data.status.uidnext,
                                          data.status.messages),
                         g_free);
}

void
_mailsync_imap_folder_probe_state_async (MailsyncImapFolder  *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  queue_job (self, g_task_new (self, cancellable, callback, user_data),
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

char *
_mailsync_imap_folder_dup_listing_stamp (MailsyncImapFolder *self)
{
  return g_strdup (self->listing_stamp);
}

/* ---- fetch ------------------------------------------------------------------- */

typedef struct
{
  MailsyncImapFolder *self;
  GTask *task;
  guint32 uid;
  char *reply;            /* the FETCH's tagged OK, when it brought no body */
  guint found;            /* UIDs the UID SEARCH that follows it found */
} FetchData;

static void
on_fetch_search (MailsyncImapResponse *response, gpointer user_data)
{
  FetchData *data = user_data;

  if (response->data_kind == MAILSYNC_IMAP_DATA_SEARCH && response->u.search->numbers != NULL)
    data->found += response->u.search->numbers->len;
}

static void
fetch_data_free (FetchData *data)
{
  g_object_unref (data->task);
  g_object_unref (data->self);
  g_free (data->reply);
  g_free (data);
}

/* The answer to "is the message still there?" after a FETCH without its
 * body (issue 12 item 7). An OK without the data is what RFC 3501 gives
 * for a UID that no longer exists, and also what a broken server gives
 * for one it cannot read: only the first is "gone" (a warning, nothing to
 * redo); the second is this message skipped, so that the run is not clean
 * and the next run fetches it again. */
static void
fetch_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FetchData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);
  const char *name = mailsync_folder_get_name (MAILSYNC_FOLDER (data->self));

  if (ok == NULL && !g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_NO) &&
      !g_error_matches (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_BAD))
    g_task_return_error (data->task, g_steal_pointer (&error));
  else if (ok != NULL && data->found == 0)
    g_task_return_new_error (data->task, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND,
                             "Message UID %u is no longer in %s", data->uid, name);
  else
    g_task_return_new_error (data->task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                             "The server did not send message UID %u of %s (its UID FETCH answered \"OK %s\" "
                             "without the body; the message is still there): skipped, fetched again on the next run",
                             data->uid, name, data->reply ? data->reply : "");
  fetch_data_free (data);
}

static void
fetch_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FetchData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);
  GInputStream *body = g_task_get_task_data (data->task);
  const GError *spool_error = g_object_get_data (G_OBJECT (data->task), "mailsync-fetch-error");
  /* The server answers in order: when socktimeout cuts the connection,
   * the oldest fetch still in flight is the one it never answered. */
  gboolean oldest = g_queue_peek_head (&data->self->fetch_order) == GUINT_TO_POINTER (data->uid);

  g_hash_table_remove (data->self->fetching, GUINT_TO_POINTER (data->uid));
  g_queue_remove (&data->self->fetch_order, GUINT_TO_POINTER (data->uid));
  if (ok == NULL)
    {
      if (oldest && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_hash_table_add (data->self->stalled, GUINT_TO_POINTER (data->uid));
          /* The timeout fails every fetch in flight, oldest first: the
           * next one would find itself at the head in turn and be taken
           * for unanswered too, though it only waited behind this one.
           * Those are asked again on the new connection. */
          g_queue_clear (&data->self->fetch_order);
        }
      g_task_return_error (data->task, g_steal_pointer (&error));
    }
  else if (spool_error != NULL)
    g_task_return_error (data->task, g_error_copy (spool_error));
  else if (body == NULL)
    {
      g_autofree char *line = g_strdup_printf ("UID SEARCH UID %u", data->uid);
      MailsyncImapRequest *request = mailsync_imap_request_new (line);

      data->reply = g_strdup (ok->text ? ok->text : "");
      mailsync_imap_request_set_untagged_handler (request, on_fetch_search, data);
      mailsync_imap_connection_send_async (MAILSYNC_IMAP_CONNECTION (source), request,
                                           g_task_get_cancellable (data->task), fetch_checked, data);
      return;
    }
  else
    g_task_return_pointer (data->task, g_object_ref (body), g_object_unref);
  fetch_data_free (data);
}

/* Sends the UID FETCH and returns: the task completes in fetch_done,
 * while the next jobs (more fetches) already go out. */
static void
fetch_message_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  guint32 uid = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mailsync-fetch-uid"));
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  FetchData *data;

  if (!check_connected (self, task))
    return;
  if (!ensure_selected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Asked before on a connection that socktimeout then cut: asking again
   * would cut this one too, and the folder would never finish. This run
   * skips it; the next one tries again (a new folder object). */
  if (g_hash_table_contains (self->stalled, GUINT_TO_POINTER (uid)))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                               "The server did not answer the fetch of message UID %u of %s within "
                               "socktimeout: skipped, fetched again on the next run",
                               uid, mailsync_folder_get_name (MAILSYNC_FOLDER (self)));
      return;
    }
  data = g_new0 (FetchData, 1);
  data->self = g_object_ref (self);
  data->task = g_object_ref (task);
  data->uid = uid;
  g_hash_table_insert (self->fetching, GUINT_TO_POINTER (data->uid), task);
  g_queue_push_tail (&self->fetch_order, GUINT_TO_POINTER (data->uid));
  line = g_strdup_printf ("UID FETCH %u (UID BODY.PEEK[])", data->uid);
  mailsync_imap_connection_send_async (connection_of (self), folder_request (self, line), cancellable,
                                       fetch_done, data);
}

static void
folder_fetch_message_async (MailsyncFolder *folder, MailsyncMessageInfo *info, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);

  /* The task data is the fetched body (set_fetched_body). */
  g_object_set_data (G_OBJECT (task), "mailsync-fetch-uid", GUINT_TO_POINTER (mailsync_message_info_get_uid (info)));
  queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_fetch_message_async, fetch_message_job);
}

static GInputStream *
folder_fetch_message_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- append ------------------------------------------------------------------- */

/* IMAP wants CRLF line ends (RFC 3501 §4.3 literals carry the message as
 * RFC 5322 text); a Maildir holds LF. The message goes to a spool file in
 * slices, converted on the way, so that a large one is never in memory;
 * the literal is then sent from the file with its size known. */
typedef struct
{
  guint64 size;
  gulong crc;             /* of the converted message (X-OfflineIMAP) */
  gint64 header_split;    /* offset after the last header line's CRLF, -1 */
  guint blank_match;      /* how much of "\r\n\r\n" the output ends with */
  guint8 prev;
} CrlfSpool;

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

static gboolean
spool_crlf (GInputStream *content, int fd, CrlfSpool *spool, GCancellable *cancellable, GError **error)
{
  g_autofree guint8 *buf = g_malloc (65536);
  g_autofree guint8 *out = g_malloc (2 * 65536);

  spool->header_split = -1;
  spool->crc = crc32 (0L, Z_NULL, 0);
  for (;;)
    {
      gssize n = g_input_stream_read (content, buf, 65536, cancellable, error);
      gsize o = 0;

      if (n < 0)
        return FALSE;
      if (n == 0)
        return TRUE;
      for (gssize i = 0; i < n; i++)
        {
          if (buf[i] == '\n' && spool->prev != '\r')
            out[o++] = '\r';
          out[o++] = buf[i];
          spool->prev = buf[i];
        }
      crlf_track (spool, out, o);
      if (!spool_write (fd, out, o, error))
        return FALSE;
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

/* Without UIDPLUS the new UID is found by a unique header, as offlineimap
 * does (reference §5.6): "X-OfflineIMAP: <crc32>-<random>", appended as the
 * last header line. Returns a new spool fd holding the tagged message. */
static int
add_offlineimap_header (int fd, CrlfSpool *spool, char **value, GError **error)
{
  g_autofree char *header = NULL;
  guint64 split = spool->header_split < 0 ? 0 : (guint64) spool->header_split;
  int tagged = _mailsync_imap_spool_open (error);

  if (tagged < 0)
    return -1;
  *value = g_strdup_printf ("%lu-%u", spool->crc, g_random_int ());
  header = g_strdup_printf ("X-OfflineIMAP: %s\r\n", *value);
  if (lseek (fd, 0, SEEK_SET) < 0 || !spool_copy (fd, tagged, split, error) ||
      !spool_write (tagged, (const guint8 *) header, strlen (header), error) ||
      !spool_copy (fd, tagged, spool->size - split, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot rewind a spool file");
      close (tagged);
      return -1;
    }
  spool->size += strlen (header);
  return tagged;
}

/* Whether @keyword can be sent as a flag keyword: an atom, not a system
 * flag (it came from a FETCH or a Maildir's keyword file, where anything
 * may be written). */
static gboolean
keyword_atom_ok (const char *keyword)
{
  if (*keyword == '\0' || *keyword == '\\')
    return FALSE;
  for (const char *p = keyword; *p; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f || strchr ("(){%*\"]\\", *p) != NULL)
      return FALSE;
  return TRUE;
}

static char *
flag_list (MailsyncFlags flags)
{
  static const struct { MailsyncFlags flag; const char *name; } names[] = {
    { MAILSYNC_FLAG_SEEN, "\\Seen" }, { MAILSYNC_FLAG_ANSWERED, "\\Answered" },
    { MAILSYNC_FLAG_FLAGGED, "\\Flagged" }, { MAILSYNC_FLAG_DELETED, "\\Deleted" },
    { MAILSYNC_FLAG_DRAFT, "\\Draft" },
  };
  GString *out = g_string_new ("(");

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & names[i].flag)
      g_string_append_printf (out, "%s%s", out->len > 1 ? " " : "", names[i].name);
  g_string_append_c (out, ')');
  return g_string_free (out, FALSE);
}

/* offlineimap omits dates before 1981 (the server then uses its clock). */
static char *
imap_date (gint64 when)
{
  g_autofree char *date = when < 347155200 ? NULL : mailsync_imap_format_date_time (when, 0);

  return date ? g_strdup_printf ("\"%s\"", date) : NULL;
}

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
  g_autofree char *line = g_strdup_printf ("UID SEARCH HEADER X-OfflineIMAP \"%s\"", value);
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  MailsyncImapRequest *request = mailsync_imap_request_new (line);
  SearchResult search = { 0, 0 };

  mailsync_imap_request_set_untagged_handler (request, on_search, &search);
  mailsync_imap_connection_send_async (connection_of (self), request, cancellable, _mailsync_store_result, &result);
  ok = mailsync_imap_connection_send_finish (connection_of (self), _mailsync_await (&result), NULL);
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

/* What an APPEND in flight needs when its answer comes. */
typedef struct
{
  guint64 size;
  char *marker;             /* X-OfflineIMAP header value, without UIDPLUS */
  char **keywords;          /* the keywords in the APPEND's flag list */
} AppendSent;

static void
append_sent_free (AppendSent *sent)
{
  g_free (sent->marker);
  g_strfreev (sent->keywords);
  g_free (sent);
}

#define APPEND_SENT_KEY "mailsync-imap-append-sent"

static void
append_return (GTask *task, guint32 uid)
{
  AppendArgs *args = g_task_get_task_data (task);
  AppendSent *sent = g_object_get_data (G_OBJECT (task), APPEND_SENT_KEY);

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
  AppendSent *sent = g_object_get_data (G_OBJECT (task), APPEND_SENT_KEY);
  g_autoptr(GError) error = NULL;

  if (!check_connected (self, task))
    return;
  /* SEARCH sees the new message only in the selected mailbox. */
  _mailsync_imap_repository_set_selected (repo_of (self), NULL);
  if (!ensure_selected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  append_return (task, uid_from_search (self, sent->marker, cancellable));
}

static void
append_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  MailsyncImapFolder *self = g_task_get_source_object (task);
  AppendSent *sent = g_object_get_data (G_OBJECT (task), APPEND_SENT_KEY);
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
  if (ok->code && ok->code->kind == MAILSYNC_IMAP_CODE_APPENDUID && ok->code->dst_uids &&
      ok->code->dst_uids->len == 1)
    {
      MailsyncImapRange *range = &g_array_index (ok->code->dst_uids, MailsyncImapRange, 0);
      if (ok->code->number == self->uidvalidity || self->uidvalidity == 0)
        uid = range->first;
    }
  else if (sent->marker != NULL)
    {
      /* A callback may not await: the search is a job. */
      _mailsync_worker_run (_mailsync_imap_repository_get_worker (repo_of (self)), task, append_find_uid_job);
      return;
    }
  append_return (task, uid);
}

/* RFC 7889: "APPENDLIMIT=N" among the capabilities is the largest message
 * the server accepts in any mailbox; 0 for none known. (A bare APPENDLIMIT
 * announces per-mailbox limits in STATUS, not asked for here: the server
 * then refuses a message too big, [TOOBIG], which append_done() makes a
 * skip of that message too.) */
static guint64
append_limit (MailsyncImapConnection *connection)
{
  g_autofree char *caps = mailsync_imap_connection_get_capability_string (connection);
  g_auto(GStrv) atoms = g_strsplit (caps ? caps : "", " ", -1);

  for (guint i = 0; atoms[i] != NULL; i++)
    if (g_ascii_strncasecmp (atoms[i], "APPENDLIMIT=", 12) == 0)
      {
        const char *digits = atoms[i] + 12;
        char *end = NULL;
        guint64 limit = g_ascii_strtoull (digits, &end, 10);

        if (end != digits && *end == '\0')
          return limit;
      }
  return 0;
}

/* Spools the message with CRLF line ends, sends the APPEND and returns:
 * the task completes in append_done, and the next APPENDs go out
 * meanwhile (the connection waits for each "+" of a synchronizing
 * literal, or uses LITERAL+). */
static void
append_message_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  AppendArgs *args = task_data;
  MailsyncMessageInfo *info = args->info;
  GInputStream *content = args->content;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) message = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *flags = NULL;
  g_autofree char *date = NULL;
  g_autofree char *line = NULL;
  g_autofree char *marker = NULL;
  MailsyncImapConnection *connection;
  MailsyncImapRequest *request;
  AppendSent *sent;
  gboolean uidplus;
  CrlfSpool spool = { 0, };
  int fd;

  if (!check_connected (self, task))
    return;
  connection = connection_of (self);
  uidplus = mailsync_imap_connection_has_capability (connection, "UIDPLUS");
  fd = _mailsync_imap_spool_open (&error);
  if (fd < 0 || !spool_crlf (content, fd, &spool, cancellable, &error))
    {
      if (fd >= 0)
        close (fd);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!uidplus)
    {
      int tagged = add_offlineimap_header (fd, &spool, &marker, &error);
      close (fd);
      fd = tagged;
      if (fd < 0)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  if (lseek (fd, 0, SEEK_SET) < 0)
    {
      int saved = errno;
      close (fd);
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot rewind a spool file: %s",
                               g_strerror (saved));
      return;
    }
  {
    guint64 limit = append_limit (connection);

    /* Not sent at all: the server would refuse it, and only it. */
    if (limit > 0 && spool.size > limit)
      {
        close (fd);
        g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                                 "Message of %" G_GUINT64_FORMAT " bytes is larger than the server's "
                                 "APPENDLIMIT (%" G_GUINT64_FORMAT " bytes)", spool.size, limit);
        return;
      }
  }
  sent = g_new0 (AppendSent, 1);
  sent->size = spool.size;
  sent->marker = g_steal_pointer (&marker);
  g_object_set_data_full (G_OBJECT (task), APPEND_SENT_KEY, sent, (GDestroyNotify) append_sent_free);
  message = g_unix_input_stream_new (fd, TRUE);
  quoted = _mailsync_imap_quote (self->wire_name);
  flags = flag_list (mailsync_message_info_get_flags (info));
  {
    /* The message's keywords go in the same flag list (issue 10 item 3;
     * offlineimap sends the system flags only), those the folder can
     * store: the stored message says which, so that the status records
     * only those and one left out is not read as removed here. */
    const char * const *keywords = mailsync_message_info_get_keywords (info);
    g_autoptr(GStrvBuilder) sent_keywords = g_strv_builder_new ();
    GString *list = g_string_new (NULL);

    g_string_append_len (list, flags, strlen (flags) - 1);
    for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
      if (keyword_atom_ok (keywords[i]) && _mailsync_imap_folder_can_store_keyword (MAILSYNC_FOLDER (self),
                                                                                    keywords[i]))
        {
          g_string_append_printf (list, "%s%s", list->len > 1 ? " " : "", keywords[i]);
          g_strv_builder_add (sent_keywords, keywords[i]);
        }
    g_string_append_c (list, ')');
    g_free (flags);
    flags = g_string_free (list, FALSE);
    sent->keywords = g_strv_builder_end (sent_keywords);
  }
  date = imap_date (mailsync_message_info_get_internal_date (info));
  line = g_strdup_printf ("APPEND %s %s%s%s", quoted, flags, date ? " " : "", date ? date : "");
  request = folder_request (self, line);
  mailsync_imap_request_add_literal_stream (request, message, spool.size, "");
  mailsync_imap_connection_send_async (connection, request, cancellable, append_done, g_object_ref (task));
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
  queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_append_message_async, append_message_job);
}

static MailsyncMessageInfo *
folder_append_message_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- flags and deletion --------------------------------------------------- */

static gboolean
store_flags (MailsyncImapFolder *self, const char *set, char sign, MailsyncFlags flags,
             GCancellable *cancellable, GError **error)
{
  g_autofree char *list = flag_list (flags);
  g_autofree char *line = g_strdup_printf ("UID STORE %s %cFLAGS.SILENT %s", set, sign, list);
  g_autoptr(MailsyncImapResponse) ok = run (self, line, cancellable, error);

  return ok != NULL;
}

/* The arguments of a flag store or a deletion, copied for the worker. */
typedef struct
{
  char *set;              /* UID set */
  guint32 *uids;
  guint n_uids;
  MailsyncFlags add;
  MailsyncFlags remove;
} UidArgs;

static void
uid_args_free (UidArgs *args)
{
  g_free (args->set);
  g_free (args->uids);
  g_free (args);
}

static GTask *
uid_task (MailsyncFolder *folder, const guint32 *uids, guint n_uids, GCancellable *cancellable,
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

  if (!check_connected (self, task))
    return;
  if (!ensure_selected (self, cancellable, &error) ||
      (args->add && !store_flags (self, args->set, '+', args->add, cancellable, &error)) ||
      (args->remove && !store_flags (self, args->set, '-', args->remove, cancellable, &error)))
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
  GTask *task = uid_task (folder, uids, n_uids, cancellable, callback, user_data);
  UidArgs *args = g_task_get_task_data (task);

  args->add = add;
  args->remove = remove;
  queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_set_flags_async, set_flags_job);
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
  char **add;
  char **remove;
} KeywordArgs;

static void
keyword_args_free (KeywordArgs *args)
{
  g_free (args->set);
  g_strfreev (args->add);
  g_strfreev (args->remove);
  g_free (args);
}

static gboolean
store_keywords (MailsyncImapFolder *self, const char *set, char sign, char **keywords,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(GString) list = g_string_new ("(");
  g_autofree char *line = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;

  for (char **k = keywords; k != NULL && *k != NULL; k++)
    if (**k != '\0')
      g_string_append_printf (list, "%s%s", list->len > 1 ? " " : "", *k);
  if (list->len == 1)
    return TRUE;
  g_string_append_c (list, ')');
  line = g_strdup_printf ("UID STORE %s %cFLAGS.SILENT %s", set, sign, list->str);
  ok = run (self, line, cancellable, error);
  return ok != NULL;
}

static void
set_keywords_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  KeywordArgs *args = task_data;
  g_autoptr(GError) error = NULL;

  if (!check_connected (self, task))
    return;
  if (!ensure_selected (self, cancellable, &error) ||
      !store_keywords (self, args->set, '+', args->add, cancellable, &error) ||
      !store_keywords (self, args->set, '-', args->remove, cancellable, &error))
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
  args->add = g_strsplit (add ? add : "", " ", -1);
  args->remove = g_strsplit (remove ? remove : "", " ", -1);
  for (guint pass = 0; pass < 2; pass++)
    for (char **k = pass ? args->remove : args->add; *k; k++)
      if (**k != '\0' && !keyword_atom_ok (*k))
        {
          g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_SKIPPED,
                                   "'%s' is not an IMAP keyword", *k);
          keyword_args_free (args);
          g_object_unref (task);
          return;
        }
  g_task_set_task_data (task, args, (GDestroyNotify) keyword_args_free);
  queue_job (MAILSYNC_IMAP_FOLDER (folder), task, _mailsync_imap_folder_set_keywords_async, set_keywords_job);
}

gboolean
_mailsync_imap_folder_set_keywords_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
folder_bool_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
collect_deleted (MailsyncImapResponse *response, gpointer user_data)
{
  GArray *found = user_data;

  if (response->data_kind == MAILSYNC_IMAP_DATA_SEARCH && response->u.search->numbers)
    g_array_append_vals (found, response->u.search->numbers->data, response->u.search->numbers->len);
}

/* Without UIDPLUS only EXPUNGE exists, and it removes every \Deleted
 * message of the mailbox, including ones another client flagged and still
 * wants to undelete. Expunge only when ours are the only ones. */
static gboolean
plain_expunge_is_safe (MailsyncImapFolder *self, const guint32 *uids, guint n_uids,
                       GCancellable *cancellable, GError **error)
{
  g_autoptr(GArray) deleted = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GHashTable) ours = g_hash_table_new (NULL, NULL);
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  MailsyncImapRequest *request = mailsync_imap_request_new ("UID SEARCH DELETED");

  mailsync_imap_request_set_untagged_handler (request, collect_deleted, deleted);
  mailsync_imap_connection_send_async (connection_of (self), request, cancellable, _mailsync_store_result, &result);
  ok = mailsync_imap_connection_send_finish (connection_of (self), _mailsync_await (&result), error);
  if (ok == NULL)
    return FALSE;
  for (guint i = 0; i < n_uids; i++)
    g_hash_table_add (ours, GUINT_TO_POINTER (uids[i]));
  for (guint i = 0; i < deleted->len; i++)
    if (!g_hash_table_contains (ours, GUINT_TO_POINTER (g_array_index (deleted, guint32, i))))
      {
        g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                     "Folder %s has messages marked \\Deleted by someone else and the server lacks "
                     "UIDPLUS: refusing a plain EXPUNGE", mailsync_folder_get_name (MAILSYNC_FOLDER (self)));
        return FALSE;
      }
  return TRUE;
}

/* Removes exactly @uids, already marked \Deleted: UID EXPUNGE with
 * UIDPLUS; without it a plain EXPUNGE only when nothing else is marked. */
static gboolean
expunge_uids (MailsyncImapFolder *self, const char *set, const guint32 *uids, guint n_uids,
              GCancellable *cancellable, GError **error)
{
  g_autofree char *expunge = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  gboolean uidplus = mailsync_imap_connection_has_capability (connection_of (self), "UIDPLUS");

  if (!uidplus && !plain_expunge_is_safe (self, uids, n_uids, cancellable, error))
    return FALSE;
  expunge = uidplus ? g_strdup_printf ("UID EXPUNGE %s", set) : g_strdup ("EXPUNGE");
  ok = run (self, expunge, cancellable, error);
  return ok != NULL;
}

static void
delete_messages_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  UidArgs *args = task_data;
  const char *set = args->set;
  const guint32 *uids = args->uids;
  guint n_uids = args->n_uids;
  g_autoptr(GError) error = NULL;

  if (!check_connected (self, task))
    return;
  if (!ensure_selected (self, cancellable, &error) ||
      !store_flags (self, set, '+', MAILSYNC_FLAG_DELETED, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The crash tests stop here: flagged \Deleted, not yet expunged. */
  _mailsync_crash_point ("imap-deleted-flagged");
  /* expunge = no: the flag is the deletion; another client expunges. */
  if (!_mailsync_imap_repository_get_expunge (repo_of (self)))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!expunge_uids (self, set, uids, n_uids, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
folder_delete_messages_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  queue_job (MAILSYNC_IMAP_FOLDER (folder), uid_task (folder, uids, n_uids, cancellable, callback, user_data),
             folder_delete_messages_async, delete_messages_job);
}

/* ---- copy, move, expunge -------------------------------------------------- */

typedef struct
{
  char *set;
  guint32 *uids;
  guint n_uids;
  MailsyncImapFolder *destination;
  gboolean move;
  /* COPYUID (RFC 4315 §3), from the tagged OK of UID COPY or an untagged
   * OK of UID MOVE (RFC 6851 §4.3). */
  guint32 copy_validity;
  GArray *copy_src;   /* guint32, expanded */
  GArray *copy_dst;
} TransferArgs;

static void
transfer_args_free (TransferArgs *args)
{
  g_free (args->set);
  g_free (args->uids);
  g_clear_object (&args->destination);
  g_clear_pointer (&args->copy_src, g_array_unref);
  g_clear_pointer (&args->copy_dst, g_array_unref);
  g_free (args);
}

static GArray *
expand_ranges (const GArray *ranges)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint i = 0; ranges != NULL && i < ranges->len; i++)
    {
      const MailsyncImapRange *range = &g_array_index (ranges, MailsyncImapRange, i);

      /* A server's huge range is not ours to expand: more than we asked
       * for cannot correspond to our set anyway. */
      if ((guint64) range->last - range->first > 1000000)
        break;
      for (guint64 uid = range->first; uid <= range->last; uid++)
        {
          guint32 u = (guint32) uid;
          g_array_append_val (out, u);
        }
    }
  return out;
}

static void
note_copyuid (TransferArgs *args, const MailsyncImapCode *code)
{
  if (code == NULL || code->kind != MAILSYNC_IMAP_CODE_COPYUID)
    return;
  args->copy_validity = code->number;
  /* UID MOVE may report the set in several untagged OKs. */
  if (args->copy_src == NULL)
    {
      args->copy_src = g_array_new (FALSE, FALSE, sizeof (guint32));
      args->copy_dst = g_array_new (FALSE, FALSE, sizeof (guint32));
    }
  {
    g_autoptr(GArray) src = expand_ranges (code->src_uids);
    g_autoptr(GArray) dst = expand_ranges (code->dst_uids);

    if (src->len != dst->len)
      return;
    g_array_append_vals (args->copy_src, src->data, src->len);
    g_array_append_vals (args->copy_dst, dst->data, dst->len);
  }
}

typedef struct
{
  MailsyncImapFolder *self;
  TransferArgs *args;
} TransferUntagged;

static void
on_transfer_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  TransferUntagged *t = user_data;

  on_untagged (response, t->self);
  if (response->data_kind == MAILSYNC_IMAP_DATA_NONE)
    note_copyuid (t->args, response->code);
}

/* The new UID of each given UID, 0 where COPYUID did not say (RFC 4315:
 * the two sets correspond in the order the server lists them). */
static GArray *
transfer_result (TransferArgs *args)
{
  GArray *out = g_array_sized_new (FALSE, TRUE, sizeof (guint32), args->n_uids);
  g_autoptr(GHashTable) map = g_hash_table_new (NULL, NULL);

  for (guint i = 0; args->copy_src != NULL && i < args->copy_src->len; i++)
    g_hash_table_insert (map, GUINT_TO_POINTER (g_array_index (args->copy_src, guint32, i)),
                         GUINT_TO_POINTER (g_array_index (args->copy_dst, guint32, i)));
  for (guint i = 0; i < args->n_uids; i++)
    {
      guint32 uid = GPOINTER_TO_UINT (g_hash_table_lookup (map, GUINT_TO_POINTER (args->uids[i])));
      g_array_append_val (out, uid);
    }
  return out;
}

static gboolean
expunge_uids (MailsyncImapFolder *self, const char *set, const guint32 *uids, guint n_uids,
              GCancellable *cancellable, GError **error);

static void
transfer_messages_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  TransferArgs *args = task_data;
  MailsyncImapConnection *connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *line = NULL;
  MailsyncImapRequest *request;
  TransferUntagged untagged = { self, args };
  gboolean move;

  if (!check_connected (self, task))
    return;
  connection = connection_of (self);
  if (!ensure_selected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  move = args->move && mailsync_imap_connection_has_capability (connection, "MOVE");
  quoted = _mailsync_imap_quote (args->destination->wire_name);
  line = g_strdup_printf ("UID %s %s %s", move ? "MOVE" : "COPY", args->set, quoted);
  request = mailsync_imap_request_new (line);
  mailsync_imap_request_set_untagged_handler (request, on_transfer_untagged, &untagged);
  mailsync_imap_connection_send_async (connection, request, cancellable, _mailsync_store_result, &result);
  ok = mailsync_imap_connection_send_finish (connection, _mailsync_await (&result), &error);
  if (ok == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  note_copyuid (args, ok->code);
  if (args->move && !move)
    {
      /* The copies are safe in the destination: only now mark and remove
       * the originals, and only those (UID EXPUNGE), never a plain
       * EXPUNGE that would take other clients' \Deleted messages. */
      _mailsync_crash_point ("imap-move-copied");
      if (!store_flags (self, args->set, '+', MAILSYNC_FLAG_DELETED, cancellable, &error) ||
          !expunge_uids (self, args->set, args->uids, args->n_uids, cancellable, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  g_task_return_pointer (task, transfer_result (args), (GDestroyNotify) g_array_unref);
}

static void
folder_transfer_messages_async (MailsyncFolder *folder, const guint32 *uids, guint n_uids,
                                MailsyncFolder *destination, gboolean delete_originals,
                                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);
  TransferArgs *args;

  g_task_set_source_tag (task, folder_transfer_messages_async);
  if (!MAILSYNC_IS_IMAP_FOLDER (destination))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "%s is not an IMAP folder", mailsync_folder_get_name (destination));
      g_object_unref (task);
      return;
    }
  if (mailsync_repository_get_readonly (mailsync_folder_get_repository (folder)))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY,
                               "Repository %s is read-only",
                               mailsync_repository_get_name (mailsync_folder_get_repository (folder)));
      g_object_unref (task);
      return;
    }
  args = g_new0 (TransferArgs, 1);
  args->set = mailsync_imap_format_seqset (uids, n_uids);
  args->uids = g_memdup2 (uids, n_uids * sizeof (guint32));
  args->n_uids = n_uids;
  args->destination = g_object_ref (MAILSYNC_IMAP_FOLDER (destination));
  args->move = delete_originals;
  g_task_set_task_data (task, args, (GDestroyNotify) transfer_args_free);
  queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_transfer_messages_async, transfer_messages_job);
}

static gboolean
folder_transfer_messages_finish (MailsyncFolder  *folder,
                                 GAsyncResult    *result,
                                 guint32        **new_uids,
                                 guint           *n_new_uids,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return _mailsync_folder_take_new_uids (g_task_propagate_pointer (G_TASK (result), error), new_uids, n_new_uids);
}

/* Expunging what the user marked \Deleted is what they asked for: the
 * whole folder's, as any mail client's "Expunge". */
static void
expunge_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok = NULL;

  if (!check_connected (self, task))
    return;
  if (!ensure_selected (self, cancellable, &error) || (ok = run (self, "EXPUNGE", cancellable, &error)) == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
folder_expunge_async (MailsyncFolder *folder, GCancellable *cancellable, GAsyncReadyCallback callback,
                      gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);

  if (mailsync_repository_get_readonly (mailsync_folder_get_repository (folder)))
    {
      g_task_set_source_tag (task, folder_expunge_async);
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_READ_ONLY,
                               "Repository %s is read-only",
                               mailsync_repository_get_name (mailsync_folder_get_repository (folder)));
      g_object_unref (task);
      return;
    }
  queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_expunge_async, expunge_job);
}

static void
folder_set_message_uid_async (MailsyncFolder *folder, MailsyncMessageInfo *info, guint32 uid,
                              GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, folder_set_message_uid_async);
  g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                           "An IMAP folder assigns its own UIDs");
}

static MailsyncMessageInfo *
folder_set_message_uid_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
folder_flush_async (MailsyncFolder *folder, GCancellable *cancellable, GAsyncReadyCallback callback,
                    gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (folder, cancellable, callback, user_data);

  g_task_set_source_tag (task, folder_flush_async);
  /* A tagged OK means the server has it (RFC 3501 §6.3.11/§6.4.7). */
  g_task_return_boolean (task, TRUE);
}

/* ---- IDLE (RFC 2177) ------------------------------------------------------ */

/* RFC 2177 §3: servers may drop an IDLE after 30 minutes. The tests
 * shorten it to see the renewal (MAILSYNC_TEST_REIDLE_SECONDS). */
#define REIDLE_SECONDS (29 * 60)

static guint
reidle_seconds (void)
{
  const char *test = g_getenv ("MAILSYNC_TEST_REIDLE_SECONDS");
  guint64 n = test ? g_ascii_strtoull (test, NULL, 10) : 0;

  return n > 0 && n < REIDLE_SECONDS ? (guint) n : REIDLE_SECONDS;
}

typedef struct
{
  MailsyncImapFolder *self;
  GTask *task;              /* borrowed: this struct is its task data */
  gint64 deadline;          /* monotonic µs, 0 for none */
  GSource *timer;
  GSource *cancel_source;
  gboolean idling;          /* the server said "+" */
  gboolean done_sent;
  gboolean changed;
  gboolean timed_out;
  gboolean cancelled;
  gboolean over;            /* the task was returned: the job may end */
} IdleData;

static void idle_start (IdleData *data);

static void
idle_clear_timer (IdleData *data)
{
  if (data->timer != NULL)
    {
      g_source_destroy (data->timer);
      g_clear_pointer (&data->timer, g_source_unref);
    }
}

static void
idle_data_free (IdleData *data)
{
  idle_clear_timer (data);
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_source_unref (data->cancel_source);
    }
  g_object_unref (data->self);
  g_free (data);
}

static void
idle_send_done (IdleData *data)
{
  if (!data->idling || data->done_sent)
    return;
  data->done_sent = TRUE;
  mailsync_imap_connection_send_continuation_line (connection_of (data->self), "DONE");
}

static char *
idle_plus (const char *text, gpointer user_data, GError **error)
{
  IdleData *data = user_data;

  data->idling = TRUE;
  /* A change, timeout or cancel that came before the "+" ends it now. */
  if (data->changed || data->timed_out || data->cancelled)
    idle_send_done (data);
  return NULL;
}

static void
idle_untagged (MailsyncImapResponse *response, gpointer user_data)
{
  IdleData *data = user_data;

  switch (response->data_kind)
    {
    case MAILSYNC_IMAP_DATA_EXISTS:
    case MAILSYNC_IMAP_DATA_EXPUNGE:
    case MAILSYNC_IMAP_DATA_FETCH:
    case MAILSYNC_IMAP_DATA_VANISHED:
      data->changed = TRUE;
      idle_send_done (data);
      break;
    default:
      break;
    }
  on_untagged (response, data->self);
}

static gboolean
idle_timer_fired (gpointer user_data)
{
  IdleData *data = user_data;

  g_clear_pointer (&data->timer, g_source_unref);
  if (data->deadline != 0 && g_get_monotonic_time () >= data->deadline)
    data->timed_out = TRUE;
  /* Either the caller's timeout or the 29-minute renewal: end this IDLE;
   * idle_done decides whether to start another. */
  idle_send_done (data);
  return G_SOURCE_REMOVE;
}

static gboolean
idle_cancelled (GCancellable *cancellable, gpointer user_data)
{
  IdleData *data = user_data;

  data->cancelled = TRUE;
  idle_send_done (data);
  return G_SOURCE_REMOVE;
}

static void
idle_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  IdleData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncImapResponse) ok =
    mailsync_imap_connection_send_finish (MAILSYNC_IMAP_CONNECTION (source), result, &error);

  idle_clear_timer (data);
  data->over = ok == NULL || data->cancelled || data->changed || data->timed_out;
  if (ok == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (data->cancelled)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  else if (data->changed || data->timed_out)
    g_task_return_boolean (task, TRUE);
  else
    idle_start (data);
}

static void
idle_start (IdleData *data)
{
  MailsyncImapRequest *request = mailsync_imap_request_new ("IDLE");
  guint seconds = reidle_seconds ();

  data->idling = FALSE;
  data->done_sent = FALSE;
  if (data->deadline != 0)
    {
      gint64 left = (data->deadline - g_get_monotonic_time () + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
      seconds = (guint) CLAMP (left, 0, (gint64) seconds);
    }
  data->timer = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (data->timer, idle_timer_fired, data, NULL);
  g_source_attach (data->timer, g_main_context_get_thread_default ());
  mailsync_imap_request_set_untagged_handler (request, idle_untagged, data);
  mailsync_imap_request_set_continuation_handler (request, idle_plus, data);
  mailsync_imap_request_set_no_timeout (request, TRUE);
  mailsync_imap_connection_send_async (connection_of (data->self), request, NULL, idle_done,
                                       g_object_ref (data->task));
}

/* The IDLE holds the connection (no command may go out during it), so
 * the job holds the worker until the IDLE is over: later jobs of the
 * repository wait behind it, as the documentation of
 * mailsync_folder_wait_for_changes_async() says. */
static void
wait_for_changes_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapFolder *self = source;
  MailsyncFolder *folder = source;
  guint timeout_seconds = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mailsync-idle-timeout"));
  g_autoptr(GError) error = NULL;
  IdleData *data;

  if (!check_connected (self, task))
    return;
  if (!mailsync_imap_connection_has_capability (connection_of (self), "IDLE"))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                               "The server of %s does not support IDLE", mailsync_folder_get_name (folder));
      return;
    }
  data = g_new0 (IdleData, 1);
  data->self = g_object_ref (self);
  data->task = task;
  g_task_set_task_data (task, data, (GDestroyNotify) idle_data_free);
  if (self->stale)
    {
      self->stale = FALSE;
      data->changed = TRUE;
      data->over = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!ensure_selected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data->deadline = timeout_seconds ? g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC : 0;
  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (idle_cancelled), data, NULL);
      g_source_attach (data->cancel_source, g_main_context_get_thread_default ());
    }
  idle_start (data);
  while (!data->over)
    _mailsync_await_iteration ();
}

static void
folder_wait_for_changes_async (MailsyncFolder *folder, guint timeout_seconds, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (folder, cancellable, callback, user_data);

  g_object_set_data (G_OBJECT (task), "mailsync-idle-timeout", GUINT_TO_POINTER (timeout_seconds));
  queue_job (MAILSYNC_IMAP_FOLDER (folder), task, folder_wait_for_changes_async, wait_for_changes_job);
}

static gboolean
folder_wait_for_changes_finish (MailsyncFolder *folder, GAsyncResult *result, gboolean *changed, GError **error)
{
  IdleData *data;

  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  data = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (changed != NULL)
    *changed = data->changed;
  return TRUE;
}

static gboolean
folder_is_read_only (MailsyncFolder *folder)
{
  return MAILSYNC_IMAP_FOLDER (folder)->read_only;
}

static guint32
folder_get_uidvalidity (MailsyncFolder *folder)
{
  return MAILSYNC_IMAP_FOLDER (folder)->uidvalidity;
}

static void
mailsync_imap_folder_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (object);

  switch (prop_id)
    {
    case PROP_SYNC_STATE:
      g_value_set_string (value, self->sync_state);
      break;
    case PROP_FAST_LISTING:
      g_value_set_boolean (value, self->fast_listing);
      break;
    case PROP_WINDOW_SINCE:
      g_value_set_int64 (value, self->window_since);
      break;
    case PROP_WINDOW_MAX_SIZE:
      g_value_set_uint64 (value, self->window_max_size);
      break;
    case PROP_WINDOW_MIN_UID:
      g_value_set_uint (value, self->window_min_uid);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_imap_folder_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (object);

  switch (prop_id)
    {
    case PROP_KNOWN_MESSAGES:
      g_clear_pointer (&self->known, g_hash_table_unref);
      self->known = g_value_dup_boxed (value);
      break;
    case PROP_KNOWN_STATE:
      g_free (self->known_state);
      self->known_state = g_value_dup_string (value);
      break;
    case PROP_WINDOW_SINCE:
      self->window_since = g_value_get_int64 (value);
      break;
    case PROP_WINDOW_MAX_SIZE:
      self->window_max_size = g_value_get_uint64 (value);
      break;
    case PROP_WINDOW_MIN_UID:
      self->window_min_uid = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_imap_folder_finalize (GObject *object)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (object);

  g_clear_pointer (&self->known, g_hash_table_unref);
  g_free (self->known_state);
  g_free (self->sync_state);
  g_strfreev (self->permanent_keywords);
  g_free (self->listing_stamp);
  g_clear_error (&self->listing_error);
  g_free (self->wire_name);
  g_hash_table_unref (self->fetching);
  g_queue_clear (&self->fetch_order);
  g_hash_table_unref (self->stalled);
  G_OBJECT_CLASS (mailsync_imap_folder_parent_class)->finalize (object);
}

static void
mailsync_imap_folder_dispose (GObject *object)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (object);
  MailsyncRepository *repo = mailsync_folder_get_repository (MAILSYNC_FOLDER (self));

  if (repo != NULL)
    _mailsync_imap_repository_forget_selected (MAILSYNC_IMAP_REPOSITORY (repo), self);
  G_OBJECT_CLASS (mailsync_imap_folder_parent_class)->dispose (object);
}

static void
mailsync_imap_folder_class_init (MailsyncImapFolderClass *klass)
{
  MailsyncFolderClass *folder_class = MAILSYNC_FOLDER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = mailsync_imap_folder_finalize;
  G_OBJECT_CLASS (klass)->dispose = mailsync_imap_folder_dispose;
  G_OBJECT_CLASS (klass)->get_property = mailsync_imap_folder_get_property;
  G_OBJECT_CLASS (klass)->set_property = mailsync_imap_folder_set_property;

  /**
   * MailsyncImapFolder:known-messages: (type GLib.HashTable(guint,utf8))
   *
   * What the caller's status knows of this folder, for the next listing
   * only: UID -> flags as Maildir letters (`GUINT_TO_POINTER` keys). With
   * #MailsyncImapFolder:known-state it lets the listing fetch only what
   * changed since (CONDSTORE). The caller promises that every message the
   * server had at that state is in the table, under the server's flags.
   *
   * Since: 0.1
   */
  props[PROP_KNOWN_MESSAGES] =
    g_param_spec_boxed ("known-messages", NULL, NULL, G_TYPE_HASH_TABLE,
                        G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:known-state:
   *
   * A #MailsyncImapFolder:sync-state saved after an earlier sync that
   * completed, for the next listing only.
   *
   * Since: 0.1
   */
  props[PROP_KNOWN_STATE] =
    g_param_spec_string ("known-state", NULL, NULL, NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:sync-state:
   *
   * The mailbox state the last listing started from (UIDVALIDITY and
   * HIGHESTMODSEQ, opaque), or %NULL without CONDSTORE. Save it only once
   * every message of that listing is in the status.
   *
   * Since: 0.1
   */
  props[PROP_SYNC_STATE] =
    g_param_spec_string ("sync-state", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:fast-listing:
   *
   * Whether the last listing fetched only the changes since the known state.
   *
   * Since: 0.1
   */
  props[PROP_FAST_LISTING] =
    g_param_spec_boolean ("fast-listing", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:window-since:
   *
   * offlineimap's maxage as a time: listings name the messages the server
   * finds with UID SEARCH SINCE this time's day (UTC), and every message
   * with a higher UID than the lowest of them, as offlineimap lists them
   * (so older messages may be listed). 0 for no limit.
   *
   * Since: 0.1
   */
  props[PROP_WINDOW_SINCE] =
    g_param_spec_int64 ("window-since", NULL, NULL, 0, G_MAXINT64, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:window-max-size:
   *
   * offlineimap's maxsize: listings leave out messages larger than this
   * many bytes (UID SEARCH SMALLER). 0 for no limit.
   *
   * Since: 0.1
   */
  props[PROP_WINDOW_MAX_SIZE] =
    g_param_spec_uint64 ("window-max-size", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncImapFolder:window-min-uid:
   *
   * offlineimap's maxage when the server had nothing since the window's
   * day: listings name only messages from this UID on (UID SEARCH UID
   * n:*) instead of searching by #MailsyncImapFolder:window-since. 0 for
   * none.
   *
   * Since: 0.1
   */
  props[PROP_WINDOW_MIN_UID] =
    g_param_spec_uint ("window-min-uid", NULL, NULL, 0, G_MAXUINT32, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, props);
  folder_class->list_messages_async = folder_list_messages_async;
  folder_class->list_messages_finish = folder_list_messages_finish;
  folder_class->fetch_message_async = folder_fetch_message_async;
  folder_class->fetch_message_finish = folder_fetch_message_finish;
  folder_class->append_message_async = folder_append_message_async;
  folder_class->append_message_finish = folder_append_message_finish;
  folder_class->set_flags_async = folder_set_flags_async;
  folder_class->set_flags_finish = folder_bool_finish;
  folder_class->delete_messages_async = folder_delete_messages_async;
  folder_class->delete_messages_finish = folder_bool_finish;
  folder_class->set_message_uid_async = folder_set_message_uid_async;
  folder_class->set_message_uid_finish = folder_set_message_uid_finish;
  folder_class->flush_async = folder_flush_async;
  folder_class->flush_finish = folder_bool_finish;
  folder_class->get_uidvalidity = folder_get_uidvalidity;
  folder_class->is_read_only = folder_is_read_only;
  folder_class->wait_for_changes_async = folder_wait_for_changes_async;
  folder_class->wait_for_changes_finish = folder_wait_for_changes_finish;
  folder_class->transfer_messages_async = folder_transfer_messages_async;
  folder_class->transfer_messages_finish = folder_transfer_messages_finish;
  folder_class->expunge_async = folder_expunge_async;
  folder_class->expunge_finish = folder_bool_finish;
}

static void
mailsync_imap_folder_init (MailsyncImapFolder *self)
{
  self->fetching = g_hash_table_new (NULL, NULL);
  self->stalled = g_hash_table_new (NULL, NULL);
}

MailsyncImapFolder *
_mailsync_imap_folder_new (MailsyncImapRepository *repository, const char *name, const char *wire_name)
{
  MailsyncImapFolder *self = g_object_new (MAILSYNC_TYPE_IMAP_FOLDER, "name", name, "repository", repository, NULL);

  self->wire_name = g_strdup (wire_name);
  return self;
}
