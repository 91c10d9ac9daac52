/* Helpers shared inside the library; not installed, not scanned. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Crash hook for the crash tests: MAILSYNC_CRASH_AT=<step>:<n> makes the
 * process _exit(77) the n-th time it passes <step> (n counts from 1).
 * Compiled only with configure --enable-test-hooks; otherwise it is empty
 * and the environment is never read, so call sites stay as they are. */
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
void     _mailsync_crash_point (const char *step);
#else
static inline void
_mailsync_crash_point (const char *step)
{
  (void) step;
}
#endif

/* Whether Maildir flag letters @letters (nullable) hold a keyword letter
 * (a-z). Not strpbrk() with the 26 letters: glibc's SSE4.2 strpbrk
 * takes at most 16 and falls back to building a 256-byte table per call
 * (~230 instructions for a flag string of two letters, run for every
 * status row and listed file of a changed folder: issue 13 item 2). */
static inline gboolean
_mailsync_letters_have_keywords (const char *letters)
{
  for (const char *p = letters; p != NULL && *p; p++)
    if (*p >= 'a' && *p <= 'z')
      return TRUE;
  return FALSE;
}

/* A message's EMAILID (RFC 8474 OBJECTID), when the listing that made
 * @self had it (an IMAP server offering OBJECTID), else NULL. The setter
 * is for that listing only, before the object is shared. */
struct _MailsyncMessageInfo;
void        _mailsync_message_info_set_email_id (struct _MailsyncMessageInfo *self, const char *email_id);
const char *_mailsync_message_info_get_email_id (struct _MailsyncMessageInfo *self);

/* Makes GLib's C locale now (mailsync-c-locale.c says why): run by the
 * library's constructor before any of its threads exist. */
void     _mailsync_c_locale_init (void);

/* fsync(2) a directory so that entries created or renamed in it persist. */
gboolean _mailsync_fsync_dir (const char *path, GError **error);

/* Replace @path with @contents durably: write <path>.tmp, fsync it, rename
 * over @path, fsync the directory. Readers see the old or the new file,
 * never a torn one. */
gboolean _mailsync_write_file_atomic (const char  *path,
                                      const char  *contents,
                                      gsize        length,
                                      GError     **error);

/* A GError from errno, naming @path: "<what> <path>: <strerror>". */
void     _mailsync_set_error_from_errno (GError    **error,
                                         int         saved_errno,
                                         const char *what,
                                         const char *path);

/* A fetched message's content that a backend spooled to an unlinked file
 * (O_TMPFILE) holding exactly the message in Maildir form (LF line ends),
 * from offset 0 to its end: @fd stays open while @stream lives. A Maildir
 * destination may link that file into its tmp/ directory instead of
 * copying the stream (which reads the same message back with CRLF). */
void     _mailsync_spool_set_fd (GInputStream *stream, int fd);
int      _mailsync_spool_get_fd (GInputStream *stream);

/* The home directory `~` means: $HOME read now, else the passwd entry.
 * Every `~` the library expands goes through this (the config's paths,
 * ~/.netrc). */
const char *_mailsync_home_dir (void);

/* The content digest that pairs a message across sides (an upload found
 * after a crash, IMAP <-> IMAP copies, a rebuilt status): MD5 over the
 * message with every CR removed, so that a CRLF copy on a server and an
 * LF copy in a Maildir digest alike. Feed it the message in any pieces. */
void     _mailsync_content_digest_update (GChecksum *md5, const guint8 *data, gsize len);

/* RFC 5322 dates (mailsync-header-date.c). Parses a date ("Tue, 1 Jul 2003
 * 10:52:37 +0200", obsolete zone names and two-digit years included) into
 * Unix time. */
gboolean _mailsync_parse_rfc5322_date (const char *value,
                                       gint64     *out);
/* Finds header @field (case-insensitive, folded lines joined) in @headers
 * (LF line ends) and parses it as an RFC 5322 date. */
gboolean _mailsync_header_date         (const char *headers,
                                        const char *field,
                                        gint64     *out);

G_END_DECLS

#include "mailsync-sync-event.h"

G_BEGIN_DECLS
/* The running progress of an account sync (issue 10 item 5): the account
 * owns it, the runner adds each folder's plan and each copy, and every
 * event is stamped with a copy when it is emitted. Only the engine's
 * thread touches it. */
typedef struct
{
  guint   folder_messages_done;
  guint   folder_messages_total;
  guint64 folder_bytes_done;
  guint64 folder_bytes_total;
  guint   account_messages_done;
  guint   account_messages_total;
  guint64 account_bytes_done;
  guint64 account_bytes_total;
} MailsyncProgressCounts;

/* Events are immutable once built; only the engine builds them. */
MailsyncSyncEvent *_mailsync_sync_event_new (MailsyncSyncEventKind  kind,
                                             const char            *account,
                                             const char            *folder,
                                             const char            *repository,
                                             MailsyncDirection      direction,
                                             guint32                uid,
                                             guint                  n,
                                             guint                  total,
                                             const char            *flags,
                                             const GError          *error,
                                             const char            *text);
/* Optional parts, set by the builder before the event is emitted. */
void _mailsync_sync_event_set_source (MailsyncSyncEvent *self, const char *repository, const char *type);
void _mailsync_sync_event_set_destination_type (MailsyncSyncEvent *self, const char *type);
void _mailsync_sync_event_set_uids (MailsyncSyncEvent *self, const guint32 *uids, guint n_uids);
void _mailsync_sync_event_set_uidvalidity (MailsyncSyncEvent *self, guint32 saved, guint32 current);
void _mailsync_sync_event_set_source_uid (MailsyncSyncEvent *self, gint64 source_uid);
void _mailsync_sync_event_set_bytes (MailsyncSyncEvent *self, guint64 bytes);
void _mailsync_sync_event_set_progress (MailsyncSyncEvent *self, const MailsyncProgressCounts *progress);
void _mailsync_sync_event_set_folders (MailsyncSyncEvent *self, const char *source_folder,
                                       const char *destination_folder);
/* offlineimap's short type name of a repository or folder ("IMAP", "Maildir",
 * "MappedIMAP"), which its UIs print and machineui parsers read. */
const char *_mailsync_type_label (gpointer repository_or_folder);
/* A backend's class_init names its repository class so (not inherited);
 * its folders take their repository's label. @label is a static string. */
void        _mailsync_repository_class_set_type_label (gpointer klass, const char *label);
/* The transfer_messages_finish vfunc's out parameters from the GArray of
 * guint32 a backend's task returned (takes @uids; %FALSE when it is NULL,
 * the task's error already set). */
gboolean _mailsync_folder_take_new_uids (GArray *uids, guint32 **new_uids, guint *n_new_uids);
G_END_DECLS

#include "mailsync-repository.h"
#include "mailsync-account.h"

G_BEGIN_DECLS
/* Backends learn their hierarchy separator late (IMAP: from LIST). */
void _mailsync_repository_set_separator (MailsyncRepository *self, char separator);
/* A dry run writes nothing, a backend's own files included (the IMAP
 * capability cache): the account holds its repositories in dry run for
 * the duration of a MailsyncAccount:dry-run sync (counted: accounts may
 * share a repository), and a backend asks _mailsync_repository_in_dry_run()
 * before writing such a file. A repository that wraps another (mapped)
 * names it with _mailsync_repository_set_wrapped() (not referenced: the
 * wrapper keeps it), and the wrapped one is held with it; it gets the
 * wrapper's interaction, and its server is the wrapper's connecting line. */
void     _mailsync_repository_hold_dry_run (MailsyncRepository *self, gboolean hold);
gboolean _mailsync_repository_in_dry_run   (MailsyncRepository *self);
void     _mailsync_repository_set_wrapped  (MailsyncRepository *self, MailsyncRepository *inner);
MailsyncRepository *_mailsync_repository_get_wrapped (MailsyncRepository *self);
/* A sync's start: the account calls it before it opens @self for a sync
 * (_mailsync_account_repo_open, whether it opens or finds @self open
 * already: a held connection), never for the engine's reconnects within
 * the sync. What a backend keeps for "this sync" only (the IMAP
 * repository's budget for the server's limits, a login left unanswered)
 * ends there, also when the last sync's open failed and so never closed.
 * A backend sets its function in class_init (subclasses inherit it); a
 * wrapping repository's start is its wrapped one's too. On the caller's
 * thread: the function must not block on the repository's jobs.
 * Syncs in progress are counted (accounts sharing @self): the function
 * runs only for the first; each begin is paired with an end, after the
 * sync's release of @self. Syncs that overlap with no gap (two accounts,
 * each starting before the other ends) never bring the count to 0: the
 * function does not run again, and what it would end (the IMAP
 * repository's unanswered-login record and budgets) lasts until a close
 * or the record's hour (review25 L1). */
typedef void (*_MailsyncBeginSyncFunc) (MailsyncRepository *self);
void     _mailsync_repository_class_set_begin_sync (gpointer klass, _MailsyncBeginSyncFunc func);
void     _mailsync_repository_begin_sync           (MailsyncRepository *self);
void     _mailsync_repository_end_sync             (MailsyncRepository *self);
void        _mailsync_repository_set_type_label (MailsyncRepository *self, const char *label);
const char *_mailsync_repository_get_type_label (MailsyncRepository *self);
/* Where offlineimap keeps this repository's saved UIDVALIDITY per folder
 * (<metadata>/Repository-NAME/FolderValidity, reference §4.4), so that a
 * folder's check survives a switch between offlineimap and mailsync in
 * either direction (doc/design.md "UIDVALIDITY"). Set by the config
 * loader, whose status is offlineimap's; NULL (an API client's own
 * accounts): the status's own value only. */
void        _mailsync_repository_set_validity_dir (MailsyncRepository *self, const char *dir);
const char *_mailsync_repository_get_validity_dir (MailsyncRepository *self);
/* A decoding of the visible names, applied after the nametrans (NULL for
 * none): a backend property sets it (MailsyncImapRepository's
 * decode-folder-names), so that a client that sets that property sees the
 * same names as a config does. The function returns NULL to leave a name
 * it cannot decode as it is. A mapped repository copies its inner's. */
void             _mailsync_repository_set_name_decoder (MailsyncRepository *self, MailsyncNameFunc func);
MailsyncNameFunc _mailsync_repository_get_name_decoder (MailsyncRepository *self);
/* The base class's describe and get_statistics (mailsync-repository-describe.c);
 * _mailsync_repository_describe_parent initialises @dict with the parent
 * class's description of @self, for a backend's describe to add to. */
GVariant                     *_mailsync_repository_real_describe       (MailsyncRepository *self);
MailsyncRepositoryStatistics *_mailsync_repository_real_get_statistics (MailsyncRepository *self);
void                          _mailsync_repository_describe_parent     (MailsyncRepository *self,
                                                                        gpointer            parent_class,
                                                                        GVariantDict       *dict);
/* Python options the config loader attaches (newmail_hook, copy_ignore_eval). */
typedef gboolean (*_MailsyncHookFunc) (gpointer data, GError **error);
/* *uids: a GArray of guint32, or NULL for none */
typedef gboolean (*_MailsyncUidsFunc) (const char *folder, GArray **uids, gpointer data, GError **error);
void     _mailsync_repository_set_newmail_hook (MailsyncRepository *self, _MailsyncHookFunc func,
                                                gpointer data, GDestroyNotify destroy);
gboolean _mailsync_repository_has_newmail_hook (MailsyncRepository *self);
gboolean _mailsync_repository_run_newmail_hook (MailsyncRepository *self, GError **error);
void     _mailsync_repository_set_copy_ignore  (MailsyncRepository *self, _MailsyncUidsFunc func,
                                                gpointer data, GDestroyNotify destroy);
gboolean _mailsync_repository_get_copy_ignore  (MailsyncRepository *self, const char *folder,
                                                GArray **uids, GError **error);
/* The engine's reconnect: an open that is not counted. */
void     _mailsync_repository_reopen_async     (MailsyncRepository *self, GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data);
gboolean _mailsync_repository_reopen_finish    (MailsyncRepository *self, GAsyncResult *result,
                                                GError **error);
/* The same, awaited on the engine's thread (mailsync-worker.h). */
gboolean _mailsync_repository_reopen           (MailsyncRepository *self, GCancellable *cancellable,
                                                GError **error);
guint    _mailsync_repository_get_open_count   (MailsyncRepository *self);
/* ---- leases: one connection per folder sync (maxconnections) --------------
 * (mailsync-repository-lease.c; doc/design.md "maxconnections").
 *
 * Who calls: the engine, for each folder it syncs, on the thread that runs
 * that folder's sync (the account's, or a runner thread with its own
 * GMainContext pushed as thread-default); a test may call them too.
 *
 * _mailsync_repository_lease_folder_async() binds @folder (a folder of
 * @self) to one of @self's connections for the length of its sync: every
 * operation of @folder then runs on that connection, and no other
 * folder's does until the lease is released. The callback runs on the
 * caller's thread-default context. A repository with one connection
 * (the base class: Maildir, any backend that sets no lease vtable, and
 * IMAP with max-connections 1 while nobody else holds its lease) grants
 * at once. With every connection leased the lease waits, in the order
 * the leases were asked for, for a _release. _finish returns:
 *  - TRUE: leased. A granted lease is TRUE even when @cancellable was
 *    cancelled by then (the caller then releases it as on any path);
 *  - FALSE with G_IO_ERROR_CANCELLED: @cancellable was cancelled while
 *    the lease waited; nothing was leased, nothing to release;
 *  - FALSE with G_IO_ERROR_BUSY: @folder holds a lease already;
 *  - FALSE with G_IO_ERROR_INVALID_ARGUMENT: @folder is not @self's kind.
 * A lease that was granted MUST be released on every path (success,
 * error, cancel): _mailsync_repository_release_folder() from any thread,
 * synchronous, never fails, hands the connection to the first waiting
 * lease; releasing a folder that holds no lease does nothing. (An IMAP
 * folder's dispose releases too, as a last resort, not as the rule.)
 *
 * _mailsync_repository_reopen_folder_async() is the engine's reconnect
 * for @folder after its connection failed (in place of
 * _mailsync_repository_reopen): it reconnects the connection @folder
 * leased and no other (the other leases keep theirs); for a folder
 * without a lease, or in the base class, it is exactly
 * _mailsync_repository_reopen_async(). The blocking forms are for a
 * library-owned context only (the account's engine thread, a runner
 * thread under _mailsync_run_private(): mailsync-worker.h), which they
 * iterate while they wait. */
void     _mailsync_repository_lease_folder_async   (MailsyncRepository *self, MailsyncFolder *folder,
                                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                                    gpointer user_data);
gboolean _mailsync_repository_lease_folder_finish  (MailsyncRepository *self, GAsyncResult *result,
                                                    GError **error);
gboolean _mailsync_repository_lease_folder         (MailsyncRepository *self, MailsyncFolder *folder,
                                                    GCancellable *cancellable, GError **error);
void     _mailsync_repository_release_folder       (MailsyncRepository *self, MailsyncFolder *folder);
void     _mailsync_repository_reopen_folder_async  (MailsyncRepository *self, MailsyncFolder *folder,
                                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                                    gpointer user_data);
gboolean _mailsync_repository_reopen_folder_finish (MailsyncRepository *self, GAsyncResult *result,
                                                    GError **error);
gboolean _mailsync_repository_reopen_folder        (MailsyncRepository *self, MailsyncFolder *folder,
                                                    GCancellable *cancellable, GError **error);
/* Which connection @folder holds: 1 for the repository's own (the one
 * _mailsync_repository_reopen reconnects), 2... for the others (for a
 * UI's "thread" field); 0 when it holds no numbered lease (always, in the
 * base class). Any thread. */
guint    _mailsync_repository_folder_lease_number  (MailsyncRepository *self, MailsyncFolder *folder);
/* Whether the connection @folder leased has been made: FALSE for a
 * pooled connection no operation has used yet (its first operation
 * connects and logs in), TRUE without a lease or in the base class. For
 * the UIs' "connecting" line of a folder (offlineimap prints one when a
 * folder's thread makes a new connection). Any thread. */
gboolean _mailsync_repository_folder_lease_connected (MailsyncRepository *self, MailsyncFolder *folder);
/* How many leases the repository grants at once (its connections,
 * maxconnections); 0 when it has no connections to limit them (the base
 * class: every folder has the one at once). Any thread. */
guint    _mailsync_repository_max_leases           (MailsyncRepository *self);
/* A backend with several connections sets these in its class_init
 * (@vtable static; subclasses inherit it). Every member is required.
 * lease_async/reopen_async complete their task on the caller's
 * thread-default context; lease_async follows the contract above
 * (grant = TRUE even if cancelled by then, a cancelled wait = CANCELLED
 * and nothing held). */
typedef struct
{
  void     (*lease_async)   (MailsyncRepository *self, MailsyncFolder *folder, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*lease_finish)  (MailsyncRepository *self, GAsyncResult *result, GError **error);
  void     (*release)       (MailsyncRepository *self, MailsyncFolder *folder);
  void     (*reopen_async)  (MailsyncRepository *self, MailsyncFolder *folder, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*reopen_finish) (MailsyncRepository *self, GAsyncResult *result, GError **error);
  guint    (*lease_number)  (MailsyncRepository *self, MailsyncFolder *folder);
  guint    (*max_leases)    (MailsyncRepository *self);
  gboolean (*lease_connected) (MailsyncRepository *self, MailsyncFolder *folder);
} _MailsyncLeaseVTable;
void _mailsync_repository_class_set_lease (gpointer klass, const _MailsyncLeaseVTable *vtable);
/* offlineimap's maxage = YYYY-MM-DD, as YYYYMMDD (0 for none). */
void       _mailsync_account_set_max_age_date (MailsyncAccount *self, guint ymd);
/* Problems a listing reports without failing (an invalid folderinclude). */
void       _mailsync_repository_add_listing_problem   (MailsyncRepository *self, GError *error);
GPtrArray *_mailsync_repository_take_listing_problems (MailsyncRepository *self);
/* What a folder's last listing reports without failing (a file that cannot
 * be a message, two files claiming one UID): the runner takes them after
 * its listing and shows them as warnings. Each listing replaces the set
 * (takes @warnings, GError*, NULL for none), so a watch that lists forever
 * keeps only the last one. */
void       _mailsync_folder_set_listing_warnings  (MailsyncFolder *self, GPtrArray *warnings);
GPtrArray *_mailsync_folder_take_listing_warnings (MailsyncFolder *self);
G_END_DECLS

#include "mailsync-folder-info.h"
#include "mailsync-folder-changes.h"

G_BEGIN_DECLS
/* The role a folder's name suggests (Maildir++ Sent, Trash...), for
 * stores that announce none. */
MailsyncFolderRole _mailsync_folder_role_from_name (const char *name, char separator);
/* Takes the arrays of MailsyncMessageInfo (each with a free function);
 * NULL for none. */
MailsyncFolderChanges *_mailsync_folder_changes_new (GPtrArray *added, GPtrArray *flags_changed,
                                                     GPtrArray *removed);
/* A message kept in the file @dir/@key (both GRefStrings): size and
 * date read from the file when first asked for (mailsync-message-info.c). */
MailsyncMessageInfo *_mailsync_message_info_new_file (guint32 uid, const char *key, MailsyncFlags flags,
                                                      const char * const *keywords, const char *dir,
                                                      gboolean size_known, guint64 size);
G_END_DECLS

G_BEGIN_DECLS
/* Folder info (mailsync_repository_list_folder_info_async()) from a
 * backend of the library. Not a public vfunc yet: a backend without one
 * gets the default (its folder list, counts unknown, roles by name). The
 * result must be a GPtrArray of MailsyncFolderInfo owning its elements. */
typedef struct
{
  void       (*async)  (MailsyncRepository *self, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data);
  GPtrArray *(*finish) (MailsyncRepository *self, GAsyncResult *result, GError **error);
} _MailsyncFolderInfoVTable;
void _mailsync_repository_class_set_folder_info (gpointer klass, const _MailsyncFolderInfoVTable *vtable);
/* ---- backends' error domains (mailsync-error.c) ----------------------------- */

#include "mailsync-error.h"

/* What the core asks of a backend's error domain, which it does not know:
 * mailsync_error_get_scope() and mailsync_error_is_transient() answer for
 * the domain's errors through these; NULL members answer FOLDER / FALSE. */
typedef struct
{
  MailsyncErrorScope (*get_scope)    (const GError *error);
  gboolean           (*is_transient) (const GError *error);
  /* the server limits this client for now: the backend waited before it
   * failed, so the engine resumes without using up the retry count */
  gboolean           (*is_throttled) (const GError *error);
} _MailsyncErrorDomainClass;

/* Called once per domain, when its quark is made (so before any error of
 * that domain exists); @klass is static. */
void     _mailsync_error_register_domain (GQuark domain, const _MailsyncErrorDomainClass *klass);
gboolean _mailsync_error_is_throttled    (const GError *error);
/* The one rule for a server that limits this client (NO [THROTTLED], a BYE
 * with [UNAVAILABLE]; issue 12 item 9), used by the folder sync and the
 * folder creation: the caller reopens the repository (the backend's
 * reopen waits the limit out, within its own budget) and tries the
 * operation again. Whether the failure @error is such a limit to try
 * again after, counting it in *@throttled: FALSE for any other error,
 * after a ceiling of 16 retries, or once @cancellable is cancelled. */
gboolean _mailsync_error_retry_throttled (const GError *error, guint *throttled, GCancellable *cancellable);

/* The Message-ID header's value of a header block, unfolded and
 * trimmed, or "" (mailsync-util.c). */
char *_mailsync_header_message_id (const char *headers, gsize len);

G_END_DECLS
