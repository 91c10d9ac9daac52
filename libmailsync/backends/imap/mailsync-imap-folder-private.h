/* Shared between mailsync-imap-folder.c and the mailsync-imap-folder-*.c
 * files that hold the folder's operations, one subject each. Internal. */
#pragma once

#include "mailsync-imap-private.h"

G_BEGIN_DECLS

struct _MailsyncImapFolder
{
  MailsyncFolder parent_instance;

  char *wire_name;        /* as sent on the wire (mUTF-7) */
  MailsyncImapSlot *lease; /* the pool's slot its jobs run on (atomic), NULL: the
                            * repository's own (mailsync-imap-repository-pool.c) */
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
  /* RFC 7889 per-mailbox APPENDLIMIT (a bare APPENDLIMIT capability):
   * asked with STATUS once per folder object; 0 for no limit */
  gboolean append_limit_known;
  guint64 append_limit;
  /* The last listing missed something the server reported meanwhile
   * (an EXISTS or EXPUNGE during its FETCH): the next wait for changes
   * reports a change at once, since IDLE would not repeat it. */
  gboolean stale;
  GHashTable *fetching;   /* uid -> GTask of fetch_message */
  GQueue fetch_order;     /* uids of the fetches in flight, oldest first */
  GHashTable *stalled;    /* uids whose fetch the server never answered (socktimeout) */
  /* The fetch answers not yet returned on their caller's context, one
   * wake-up for all (mailsync-task-returns.h) */
  gpointer fetch_returns;
  /* The engine's hold_fetches (issue 13 item 2): fetches asked while
   * holding wait here (GTask*, not yet queued) and go out as one job. */
  GMutex hold_lock;
  gboolean holding;       /* under hold_lock */
  GPtrArray *held;        /* under hold_lock */
  /* The engine's hold_appends (issue 13 item 5): uploads asked while
   * holding wait here (GTask*, not yet queued) and go out as MULTIAPPENDs
   * (mailsync-imap-folder-multiappend.c). */
  gboolean holding_appends; /* under hold_lock */
  GPtrArray *held_appends;  /* under hold_lock */
  GHashTable *listing;    /* uid -> Listed, during a listing */
  /* The listing's memory budget (doc/design.md, "Memory"): no more
   * entries than the largest EXISTS the server gave since the listing
   * began, each with at most LISTING_MAX_KEYWORD_BYTES of keywords; the
   * first excess is kept here and fails the listing when its command ends. */
  guint32 listing_exists_max;
  GError *listing_error;
  GArray *vanished;       /* MailsyncImapRange reported VANISHED during a listing */
  /* A SELECT/EXAMINE went out while another mailbox was selected, with
   * QRESYNC on: until its [CLOSED] (RFC 7162 §3.2.11), the untagged
   * FETCH/EXPUNGE/VANISHED routed to that SELECT are the old mailbox's. */
  gboolean awaiting_closed;

  /* The fast resync (doc/design.md): what the caller's status knows, for
   * the next listing only, and the state that listing leaves. */
  GHashTable *known;      /* uid -> maildir flag letters, or NULL */
  char *known_state;      /* sync-state saved with those, or NULL */
  char *sync_state;       /* "1 UIDVALIDITY HIGHESTMODSEQ" of the last listing */
  gboolean fast_listing;  /* the last listing used known + CHANGEDSINCE */
  /* The engine's list_changes_only, for the next listing only: a fast
   * listing leaves the known messages the server did not report out of
   * its result, as _MailsyncFolderListed rows in @unchanged (issue 13
   * items 2 and 4: no MailsyncMessageInfo per unchanged message). */
  gboolean changes_asked; /* asked for the next list_messages_async (the caller's thread) */
  gboolean changes_only;  /* the running listing's (the worker's) */
  GArray *unchanged;      /* _MailsyncFolderListed of the running listing, until its end gives them to
                           * its task; NULL: the listing is whole */
  /* "UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES" of the last listing's
   * SELECT, for the unchanged-folder check (sync/mailsync-sync-unchanged.c);
   * NULL without CONDSTORE. */
  char *listing_stamp;
  /* The server's HIGHESTMODSEQ after this folder's own UID STOREs since
   * the last listing, while they are provably the only changes since its
   * SELECT: the listing's HIGHESTMODSEQ, then each STORE that changed
   * something its MODSEQ, which must be the next value
   * (mailsync-imap-folder-store.c). 0: not provable. Written by the
   * worker, read by the engine once the STOREs are answered. */
  guint64 own_modseq;
  /* The UIDVALIDITY of the last listing's SELECT (0 before one, and
   * during one): the operations by UID check it when they SELECT again
   * (ensure_selected in mailsync-imap-folder.c). */
  guint32 listed_uidvalidity;
  /* The probe's answer from the repository's LIST (LIST-STATUS, RFC
   * 5819), in the listing stamp's form: taken by the first probe of the
   * folder object (one per run: each run lists its folders anew), which
   * then sends no STATUS of its own. NULL when LIST gave none. */
  char *list_status;
  /* UIDVALIDITY and HIGHESTMODSEQ of the last probe's stamp (0 for none):
   * a listing whose saved state they equal expects no change and sends
   * its CHANGEDSINCE only if the SELECT shows one (no empty FETCH). */
  guint32 probed_uidvalidity;
  guint64 probed_modseq;
  guint32 probed_uidnext;
  /* New mail's bodies fetched behind the listing's SELECT
   * (mailsync-imap-folder-prefetch.c): while that FETCH is answered (the
   * worker's) ... */
  GHashTable *prefetch_pending;  /* uid -> GBytes */
  guint32 prefetch_first, prefetch_last, prefetch_bytes;
  /* ... and once the SELECT and the FETCH are both OK (under hold_lock),
   * for fetches under that UIDVALIDITY */
  GHashTable *prefetched;        /* uid -> GBytes, whole bodies */
  guint32 prefetched_validity;

  /* maxage/maxsize asked by the caller: a full listing SEARCHes first. */
  gint64 window_since;     /* unix time, 0 for none */
  guint64 window_max_size; /* bytes, 0 for none */
  guint32 window_min_uid;  /* list from this UID on instead of SINCE; 0 for none */
};

/* The arguments of a flag store or a deletion, copied for the worker. */
typedef struct
{
  char *set;              /* UID set */
  guint32 *uids;
  guint n_uids;
  MailsyncFlags add;
  MailsyncFlags remove;
} UidArgs;

/* mailsync-imap-folder.c: what every operation shares. */
MailsyncImapRepository *_mailsync_imap_folder_repo_of         (MailsyncImapFolder *self);
MailsyncImapConnection *_mailsync_imap_folder_connection_of   (MailsyncImapFolder *self);
MailsyncImapSlot       *_mailsync_imap_folder_slot            (MailsyncImapFolder *self);
gboolean                _mailsync_imap_folder_check_connected (MailsyncImapFolder *self,
                                                               GTask              *task);
void                    _mailsync_imap_folder_queue_job       (MailsyncImapFolder *self,
                                                               GTask              *task,
                                                               gpointer            tag,
                                                               MailsyncWorkerFunc  job);
void                    _mailsync_imap_folder_on_untagged     (MailsyncImapResponse *response,
                                                               gpointer              user_data);
/* A command builder for the folder's connection (@name: constant words). */
MailsyncImapCommand    *_mailsync_imap_folder_command         (MailsyncImapFolder *self,
                                                               const char         *name);
/* The request for @cmd (finished here; NULL with @error when an argument
 * was refused), its untagged responses handled by the folder. */
MailsyncImapRequest    *_mailsync_imap_folder_request         (MailsyncImapFolder  *self,
                                                               MailsyncImapCommand *cmd,
                                                               GError             **error);
/* _mailsync_imap_folder_request() sent, waiting for its tagged answer. */
MailsyncImapResponse   *_mailsync_imap_folder_run             (MailsyncImapFolder  *self,
                                                               MailsyncImapCommand *cmd,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
MailsyncImapResponse   *_mailsync_imap_folder_send            (MailsyncImapFolder   *self,
                                                               MailsyncImapRequest  *request,
                                                               GCancellable         *cancellable,
                                                               GError              **error);
gboolean                _mailsync_imap_folder_qresync_enabled (MailsyncImapFolder *self);
gboolean                _mailsync_imap_folder_bool_finish     (MailsyncFolder *folder,
                                                               GAsyncResult   *result,
                                                               GError        **error);
/* An untagged handler appending the UIDs of a SEARCH to a GArray of guint32. */
void                    _mailsync_imap_folder_collect_search  (MailsyncImapResponse *response,
                                                               gpointer              user_data);

/* mailsync-imap-folder-list.c */
void _mailsync_imap_folder_listing_add   (MailsyncImapFolder      *self,
                                          const MailsyncImapFetch *fetch);
void _mailsync_imap_folder_note_vanished (MailsyncImapFolder         *self,
                                          const MailsyncImapVanished *vanished);

/* mailsync-imap-folder-store.c */
gboolean _mailsync_imap_keyword_atom_ok    (const char *keyword);
gboolean _mailsync_imap_folder_store_flags (MailsyncImapFolder *self,
                                            const char         *set,
                                            char                sign,
                                            MailsyncFlags       flags,
                                            GCancellable       *cancellable,
                                            GError            **error);
GTask   *_mailsync_imap_folder_uid_task    (MailsyncFolder      *folder,
                                            const guint32       *uids,
                                            guint                n_uids,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);

/* Keywords (mailsync-imap-folder-store.c), for the public keyword members
 * of MailsyncFolderClass that mailsync-imap-folder.c sets (which join
 * their arrays into these space-separated lists), and for APPEND's
 * keyword list. */
void     _mailsync_imap_folder_set_keywords_async  (MailsyncFolder      *folder,
                                                    const guint32       *uids,
                                                    guint                n_uids,
                                                    const char          *add,
                                                    const char          *remove,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
/* @not_stored: always NULL (a keyword PERMANENTFLAGS refuses is kept
 * out before the STORE, by can_store_keyword) */
gboolean _mailsync_imap_folder_set_keywords_finish (MailsyncFolder  *folder,
                                                    GAsyncResult    *result,
                                                    GStrv           *not_stored,
                                                    GError         **error);
gboolean _mailsync_imap_folder_can_store_keyword   (MailsyncFolder *folder,
                                                    const char     *keyword);

/* Each file of operations sets its vfuncs in the class. */
void _mailsync_imap_folder_list_class_init    (MailsyncFolderClass *folder_class);
void _mailsync_imap_folder_fetch_class_init   (MailsyncFolderClass *folder_class);
void _mailsync_imap_folder_append_class_init  (MailsyncFolderClass *folder_class);
void _mailsync_imap_folder_store_class_init   (MailsyncFolderClass *folder_class);
void _mailsync_imap_folder_expunge_class_init (MailsyncFolderClass *folder_class);
void _mailsync_imap_folder_idle_class_init    (MailsyncFolderClass *folder_class);

/* The engine's hold_fetches member (mailsync-folder-engine-private.h). */
void _mailsync_imap_folder_hold_fetches (MailsyncFolder *folder, gboolean hold);

/* APPEND (mailsync-imap-folder-append.c), for the MULTIAPPENDs of
 * mailsync-imap-folder-multiappend.c. An append task's message made ready
 * (CRLF, the X-OfflineIMAP header without UIDPLUS, the APPENDLIMIT
 * checked): FALSE when the task was returned (an error, a skip). */
gboolean             _mailsync_imap_append_prepare  (MailsyncImapFolder *self,
                                                     GTask              *task,
                                                     GCancellable       *cancellable);
guint64              _mailsync_imap_append_size     (GTask *task);
/* One APPEND carrying the prepared messages of @tasks in order (RFC 3502
 * MULTIAPPEND when more than one); @again: sent once already (a spool
 * file is read from its start, every sending at an offset of its own). */
MailsyncImapRequest *_mailsync_imap_append_request  (MailsyncImapFolder *self,
                                                     GTask *const       *tasks,
                                                     guint               n_tasks,
                                                     gboolean            again,
                                                     GError            **error);
/* A single APPEND of a prepared task, completed by its own answer. */
void                 _mailsync_imap_append_send     (MailsyncImapFolder *self,
                                                     GTask              *task,
                                                     gboolean            again,
                                                     GCancellable       *cancellable);
/* The UIDs an APPENDUID gave the @n messages of an APPEND, in order:
 * FALSE unless it names exactly @n in the folder's UIDVALIDITY. */
gboolean             _mailsync_imap_append_uids     (MailsyncImapFolder   *self,
                                                     MailsyncImapResponse *ok,
                                                     guint32              *uids,
                                                     guint                 n);
/* Completes a stored message's task with @uid (0: not told, found by its
 * X-OfflineIMAP header when it has one). */
void                 _mailsync_imap_append_settle   (GTask   *task,
                                                     guint32  uid);
/* mailsync-imap-folder-multiappend.c: the engine's hold_appends member;
 * whether an append task was held (else it is queued as a single). */
void     _mailsync_imap_folder_hold_appends (MailsyncFolder *folder, gboolean hold);
gboolean _mailsync_imap_folder_appends_in_bursts (MailsyncFolder *folder);
gboolean _mailsync_imap_folder_held_append  (MailsyncImapFolder *self, GTask *task);

/* A request sent in one burst right behind a SELECT (issue 13). */
typedef struct
{
  MailsyncImapRequest *request;   /* taken by _mailsync_imap_folder_select_with */
  GAsyncResult *result;           /* its answer, once there */
  gboolean sent;                  /* to be awaited with _follower_finish */
} MailsyncImapFollower;

#define MAILSYNC_IMAP_FOLLOWER_INIT { NULL, NULL, FALSE }

/* A fresh SELECT (the caller cleared the selection) or the selected
 * folder, with @followers sent behind it in the same burst, or freed when
 * the SELECT could not be sent. Whatever the result, the caller then
 * calls _mailsync_imap_folder_follower_finish on each follower (an
 * unsent one fails): its answer must be awaited before it goes away. */
gboolean              _mailsync_imap_folder_select_with      (MailsyncImapFolder    *self,
                                                              MailsyncImapFollower  *followers,
                                                              guint                  n_followers,
                                                              GCancellable          *cancellable,
                                                              GError               **error);
MailsyncImapResponse *_mailsync_imap_folder_follower_finish  (MailsyncImapFolder    *self,
                                                              MailsyncImapFollower  *follower,
                                                              GError               **error);

/* A SELECT sent, its answer not read yet (a listing burst, issue 13
 * item 2: every held folder's SELECT and listing commands go out before
 * the first answer is read). */
typedef struct
{
  GAsyncResult *enable_result;
  GAsyncResult *select_result;
  gboolean enable_sent;           /* an ENABLE QRESYNC went out with it */
  gboolean select_sent;
  gboolean after_enable;          /* written behind another SELECT's ENABLE QRESYNC */
} MailsyncImapSelecting;

#define MAILSYNC_IMAP_SELECTING_INIT { NULL, NULL, FALSE, FALSE, FALSE }

/* The two halves of _mailsync_imap_folder_select_with's fresh SELECT:
 * _send writes it (with @followers behind it; FALSE with @error when it
 * could not, the followers then freed), _finish reads its answer (always
 * called after a successful _send). The folder counts as selected only
 * when no other SELECT was sent after its own. */
gboolean _mailsync_imap_folder_select_send   (MailsyncImapFolder    *self,
                                              MailsyncImapSelecting *selecting,
                                              MailsyncImapFollower  *followers,
                                              guint                  n_followers,
                                              GCancellable          *cancellable,
                                              GError               **error);
gboolean _mailsync_imap_folder_select_finish (MailsyncImapFolder    *self,
                                              MailsyncImapSelecting *selecting,
                                              gboolean               as_listed,
                                              GError               **error);

/* mailsync-imap-folder-list.c: a listing in two halves, for a burst of
 * several folders' listings (mailsync-imap-folder-burst.c). */
typedef struct
{
  MailsyncImapFollower followers[2];
  guint32 saved_validity;
  guint64 saved_modseq;
  guint ahead;
  MailsyncImapSelecting selecting;
} MailsyncImapListStart;

#define MAILSYNC_IMAP_LIST_START_INIT \
  { { MAILSYNC_IMAP_FOLLOWER_INIT, MAILSYNC_IMAP_FOLLOWER_INIT }, 0, 0, 0, MAILSYNC_IMAP_SELECTING_INIT }

void       _mailsync_imap_folder_listing_begin     (MailsyncImapFolder    *self,
                                                    GTask                 *task);
gboolean   _mailsync_imap_folder_list_start        (MailsyncImapFolder    *self,
                                                    MailsyncImapListStart *start,
                                                    GCancellable          *cancellable,
                                                    GError               **error);
GPtrArray *_mailsync_imap_folder_list_finish       (MailsyncImapFolder    *self,
                                                    MailsyncImapListStart *start,
                                                    GCancellable          *cancellable,
                                                    GError               **error);
void       _mailsync_imap_folder_listing_end       (MailsyncImapFolder    *self,
                                                    GTask                 *task,
                                                    GPtrArray             *listing,
                                                    GError                *error);
gboolean   _mailsync_imap_folder_listing_connected (MailsyncImapFolder    *self,
                                                    GTask                 *task);
/* the engine's list_changes_only and take_unchanged
 * (mailsync-folder-engine-private.h) */
gboolean   _mailsync_imap_folder_list_changes_only (MailsyncFolder        *folder);
void       _mailsync_imap_folder_list_messages_job (GTask                 *task,
                                                    gpointer               source,
                                                    gpointer               task_data,
                                                    GCancellable          *cancellable);
/* TRUE: @task (a listing) is held for the burst and taken (hold_listings) */
gboolean   _mailsync_imap_folder_hold_listing      (MailsyncImapFolder    *self,
                                                    GTask                 *task);

/* mailsync-imap-folder-prefetch.c: the FETCH of new mail's bodies a
 * folder sync's listing sends behind its SELECT (NULL: none), its answer
 * kept (@keep: the SELECT continues the saved state) or dropped, a kept
 * body taken by a fetch (NULL: ask the server), the kept ones dropped. */
MailsyncImapRequest *_mailsync_imap_folder_prefetch_request (MailsyncImapFolder   *self,
                                                             guint32               first,
                                                             guint32               saved_validity,
                                                             gboolean              window);
void                 _mailsync_imap_folder_prefetch_note    (MailsyncImapFolder          *self,
                                                             const MailsyncImapFetch     *fetch,
                                                             const MailsyncImapFetchBody *body);
void                 _mailsync_imap_folder_prefetch_settle  (MailsyncImapFolder   *self,
                                                             MailsyncImapFollower *follower,
                                                             gboolean              keep);
GBytes              *_mailsync_imap_folder_prefetch_take    (MailsyncImapFolder   *self,
                                                             guint32               uid,
                                                             guint64               size,
                                                             GBytes              **part);
guint32              _mailsync_imap_folder_rest_origin      (GTask                *task);
void                 _mailsync_imap_folder_prefetch_drop    (MailsyncImapFolder   *self);

/* The engine's hold_listings member (mailsync-folder-engine-private.h),
 * mailsync-imap-folder-burst.c. */
void _mailsync_imap_folder_hold_listings (MailsyncFolder *folder, gboolean hold);

/* ensure_selected without the listing's UIDVALIDITY check: for what
 * uses no UID of a listing (IDLE waits for any change). */
gboolean _mailsync_imap_folder_select_any_validity (MailsyncImapFolder *self,
                                                    GCancellable       *cancellable,
                                                    GError            **error);

/* A fetch task's data and result (mailsync-imap-folder-fetch.c): the
 * body in memory or, for a spooled one, its stream. The stream for
 * fetch_message_finish is made when it is asked: the engine's downloads
 * take the bytes (fetch_finish_bytes), no stream per message (session
 * 19). */
typedef struct
{
  GBytes *bytes;
  GInputStream *stream;
} MailsyncImapFetched;

void                 _mailsync_imap_fetched_free            (gpointer data);
/* The prefetched part of @task's message joined to its fetched @rest
 * (mailsync-imap-folder-prefetch.c), or NULL. */
MailsyncImapFetched *_mailsync_imap_folder_rest_joined      (GTask                     *task,
                                                             const MailsyncImapFetched *rest,
                                                             gsize                      rest_size,
                                                             guint64                    size);
GBytes              *_mailsync_imap_folder_fetch_finish_bytes (MailsyncFolder  *folder,
                                                              GAsyncResult    *result,
                                                              GInputStream   **stream,
                                                              GError         **error);

G_END_DECLS
