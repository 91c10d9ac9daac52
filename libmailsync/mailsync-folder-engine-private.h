/* What the sync engine asks of a folder that stays private plumbing
 * (issue 14 item 3): what is about offlineimap's status format or one
 * backend's files rather than about messages. The message-level
 * capabilities (keywords, Gmail labels, Message-IDs, the local move, the
 * remote change stamps) are public virtual methods of MailsyncFolderClass
 * (mailsync-folder.h, mailsync-folder-capabilities.c), which a backend
 * outside the library implements too. What stays here: the Maildir
 * keyword letters the status keeps and whether the status keeps keywords
 * in its labels column (offlineimap's status format), a folder's
 * directory and fsync (a Maildir's files, rewritten for synclabels), a
 * local folder's directory stamp and its scan by file names (the stat()
 * of a Maildir's new/ and cur/), the start date of a local IMAP side, and
 * the repository's folder-name encoding (IMAP's modified UTF-7): doc/
 * design.md, "What the engine asks of a folder beyond the contract".
 *
 * A backend of the library registers a table of these from its
 * class_init with _mailsync_folder_class_set_engine(); libmailsync/sync/
 * calls the _mailsync_folder_* wrappers below, which answer for a folder
 * without the member (another backend, a Python one, the test backend):
 * FALSE or NULL, so the engine skips that step. Not installed. */
#pragma once

#include "mailsync-folder.h"
#include "mailsync-repository.h"

G_BEGIN_DECLS

/* A local folder's stamp for the unchanged-folder record
 * (sync/mailsync-sync-unchanged.c): equal texts mean no message was
 * added, removed or renamed in between, provided the newest change is
 * older than the time stamps' granularity (the same-tick race). */
typedef struct
{
  char *text;            /* one line per thing stat()ed, newline-terminated */
  gint64 newest_ns;      /* the latest mtime or ctime in it, ns since the epoch */
  gint64 granularity_ns; /* how far apart two changes may be and still get one time stamp */
} _MailsyncFolderStamp;

void     _mailsync_folder_stamp_clear (_MailsyncFolderStamp *stamp);
gboolean _mailsync_folder_stamp_equal (const _MailsyncFolderStamp *a, const _MailsyncFolderStamp *b);

/* One message of a listing that was not made into a MailsyncMessageInfo
 * (list_changes_only): what its info would hold. A remote one (IMAP's
 * unchanged message): its UID and known flags, no key, keywords, size
 * or date (the caller's status has them). A local file (a Maildir's
 * message with a UID, read by its name alone, no keyword letter): its
 * UID, flags and key, no keywords, its size if its name says it, the
 * date read from the file when asked, as _mailsync_message_info_new_file()
 * does with the folder's directory. */
typedef struct
{
  guint32 uid;
  guint32 flags;         /* MailsyncFlags */
  char *key;             /* a GRefString (held: the array's clear function releases it), or NULL */
  guint64 size;          /* when size_known */
  guint32 size_known;
  guint32 pos;           /* a local row's place among the listing's messages (infos and rows) */
} _MailsyncFolderListed;

/* A GArray of _MailsyncFolderListed that releases the keys */
GArray *_mailsync_folder_listed_new (guint reserve);

/* One message of a scan by name: its UID and its flags as letters. */
typedef void (*_MailsyncFolderNameFunc) (guint32 uid, const char *letters, gpointer user_data);

/* One download handed to a local folder without a GTask, a content
 * stream or a result info (issue 13 item 5, session 19: 3 of the 6
 * GObjects made and finalized per message of an initial sync; the
 * fetch's task, the listing's info and the event stay).
 * The engine fills the first part and owns the struct; the folder fills
 * the answer and then calls @done once, on @context. */
typedef struct _MailsyncFolderDelivery _MailsyncFolderDelivery;

struct _MailsyncFolderDelivery
{
  /* asked: what append_message would be given. @info (held) is the
   * message as the source listed it (no key): its UID is stored, with
   * its flags, keywords, size and date. The content is @bytes or, when
   * NULL, @stream (a large body the source spooled). */
  MailsyncMessageInfo *info;
  GBytes *bytes;
  GInputStream *stream;
  GCancellable *cancellable;
  GMainContext *context;
  void (*done) (_MailsyncFolderDelivery *delivery);
  gpointer user_data;
  /* answered before @done: the stored message's key and the keywords the
   * folder could store (what append_message's info would hold), or
   * @error */
  char *key;
  char **keywords;
  GError *error;
};

/* Frees @delivery and everything it holds. */
void _mailsync_folder_delivery_free (_MailsyncFolderDelivery *delivery);

typedef struct
{
  /* ---- keywords in the status ---- */
  /* A folder whose file names carry keywords as letters (Maildir): the
   * status keeps its keywords as those letters. @letters' keywords,
   * space-separated, and the letters of @keywords (known ones only, no
   * new letter given out): both NULL for a folder without letters. */
  char    *(*keywords_from_letters) (MailsyncFolder *self, const char *letters);
  char    *(*keywords_to_letters)   (MailsyncFolder *self, const char * const *keywords);
  /* Gives the keywords of @keywords that have no letter yet one each, in
   * that order (a Maildir: the next free dovecot-keywords entries, one
   * write of the file), before the deliveries that use them run in
   * parallel; those left without one (no letter free) are not an error.
   * NULL member: nothing to do (a folder without letters). */
  gboolean (*reserve_keywords)      (MailsyncFolder *self, const char * const *keywords, GError **error);
  /* Whether the status keeps this folder's keywords by name in its labels
   * column (an IMAP<->IMAP account's local folder: NULL means no). */
  gboolean (*keywords_in_labels)    (MailsyncFolder *self);

  /* ---- a folder kept as one file per message on this machine ---- */
  /* Its directory (a Maildir: cur/, new/ and tmp/ under it, and a
   * message's key is its file's path relative to it), or NULL for a
   * folder that is not (NULL member: not). The engine rewrites label
   * headers there (synclabels) and reads files' mtimes. */
  const char *(*get_directory)       (MailsyncFolder *self);
  /* Whether files and directories written there are fsynced (NULL: yes). */
  gboolean    (*get_fsync)           (MailsyncFolder *self);

  /* ---- the unchanged-folder record (issue 13 item 1): the local side;
   * the remote's is the public change stamp ---- */
  /* A local folder's stamp (a Maildir: the stat() of new/ and cur/);
   * FALSE, no error, on any doubt. */
  gboolean (*take_stamp)      (MailsyncFolder *self, _MailsyncFolderStamp *stamp);
  /* Calls @func for every message by its file name alone (no stat(), no
   * message object); FALSE on any doubt: a directory that cannot be read,
   * a message without a UID of this folder (new local mail). */
  gboolean (*scan_names)      (MailsyncFolder *self, _MailsyncFolderNameFunc func, gpointer user_data);
  /* The remote side: whether a folder whose change stamp (the public
   * probe_stamp line) was @then and is now @now still holds every message
   * it held at @then: only additions since, no message removed (IMAP:
   * same UIDVALIDITY, and MESSAGES grew by exactly as much as UIDNEXT,
   * so every UID given out since is there and none older went). The move
   * pre-pass lists no folder for move sources that lost nothing (issue 13
   * item 4). FALSE on any doubt (NULL member: FALSE). */
  gboolean (*stamp_kept_all)  (MailsyncFolder *self, const char *then, const char *now);
  /* The remote side: the change stamp (the public probe_stamp line) the
   * folder has now, when the last listing's stamp moved only by this
   * folder's own flag and keyword changes since, proven ours alone
   * (IMAP: each STORE's MODSEQ the next after the listing's
   * HIGHESTMODSEQ; UIDNEXT and MESSAGES are the listing's); NULL on any
   * doubt (NULL member: NULL). The unchanged-folder record after a run
   * that stored flags (sync/mailsync-sync-unchanged.c). */
  char    *(*dup_own_stamp)   (MailsyncFolder *self);

  /* ---- startdate ---- */
  /* The start date (seconds since the epoch) the store behind a local
   * folder keeps for its own side (offlineimap's startdate of a local
   * IMAP repository: the mapped folder asks its inner repository's
   * "start-date"), 0 for none (NULL member: none). */
  gint64   (*get_start_date)  (MailsyncFolder *self);

  /* ---- maxsize and maxage ---- */
  /* Whether the folder is listed by a server that applies maxsize with
   * SEARCH SMALLER, which leaves out a message of exactly maxsize bytes
   * (offlineimap's IMAP rule; a Maildir's file rule keeps it): TRUE for
   * an IMAP folder, and the mapped folder asks its inner one (NULL
   * member: FALSE). */
  gboolean (*size_search)     (MailsyncFolder *self);
  /* Whether maxage is undefined for this folder as the local side: it
   * has no file names or mtimes to judge and offlineimap no rule (a
   * local IMAP store behind the mapped repository). The engine then
   * refuses maxage (NULL member: FALSE). */
  gboolean (*no_max_age)      (MailsyncFolder *self);

  /* ---- memory between syncs (issue 13 item 4) ---- */
  /* The engine is done with the folder's last listing for now (the
   * folder's sync ended, or the listing planning ahead made was not kept
   * for it): drop what the folder keeps only to serve operations on that
   * listing (a Maildir's UID -> file index: an operation after this finds
   * its file by a new scan). A folder object of an account lives for
   * the whole run, so what it keeps after its sync adds up over the
   * account's folders. NULL member: nothing kept. */
  void     (*release_listing) (MailsyncFolder *self);

  /* ---- a burst of fetches (issue 13 item 2) ---- */
  /* With @hold, the fetches the engine asks next are held (queued, not
   * sent) until it calls again without: they then go out together, so a
   * folder that must be selected again (after the move pre-pass) sends
   * them all behind its SELECT in one burst, one round trip for all
   * (IMAP). The engine holds only while it starts a window of downloads,
   * never across a wait. NULL member: fetches go out as they are asked. */
  void     (*hold_fetches)    (MailsyncFolder *self, gboolean hold);

  /* ---- a burst of uploads (issue 13 item 5) ---- */
  /* With @hold, the appends the engine asks next are held (not sent)
   * until it calls again without, or until enough are held for one
   * command: they then go out together (IMAP: one MULTIAPPEND, RFC 3502,
   * which the server stores as one transaction). The engine holds while
   * the local reads of the uploads it started are under way, and lets go
   * when the last of them has asked its append. NULL member: appends go
   * out as they are asked. */
  void     (*hold_appends)    (MailsyncFolder *self, gboolean hold);
  /* Whether appends held together go out together (IMAP: MULTIAPPEND on
   * and offered by the server); asked once per upload pass, after the
   * listing. NULL member or FALSE: the engine starts uploads as the
   * window frees and holds nothing (review 3: grouping them only cost
   * copies in flight). */
  gboolean (*appends_in_bursts) (MailsyncFolder *self);

  /* ---- a burst of deliveries (issue 13 item 5, session 16) ---- */
  /* With @hold, the appends (downloads) the engine asks next of this
   * folder wait and none starts until it calls again without: a store
   * that writes them on worker threads (a Maildir) then wakes one worker
   * for all of them instead of one per message. The engine holds while
   * it dispatches what one wait of its download window brought (the
   * fetch answers of a read come back together), never across a wait.
   * NULL member: appends start as they are asked. */
  void     (*hold_deliveries) (MailsyncFolder *self, gboolean hold);

  /* ---- downloads on the engine-internal path (session 19) ---- */
  /* Stores @delivery's message as append_message would, and answers in
   * @delivery (see _MailsyncFolderDelivery); held deliveries wait as
   * held appends do. NULL member: the engine appends. */
  void     (*deliver)         (MailsyncFolder *self, _MailsyncFolderDelivery *delivery);
  /* fetch_message_finish's body without a stream made for it: the bytes
   * of a body in memory (*@stream NULL), or the stream (a spooled
   * body: NULL returned and *@stream set), or NULL and @error. NULL
   * member: fetch_message_finish. */
  GBytes  *(*fetch_finish_bytes) (MailsyncFolder *self, GAsyncResult *result, GInputStream **stream,
                                  GError **error);

  /* ---- a burst of listings (issue 13 item 2) ---- */
  /* With @hold, the listings (list_messages) the engine asks next of any
   * folder of this folder's repository are held until it calls again
   * without: they then go out together, every folder's SELECT and
   * listing commands before the first answer is read, one round trip
   * for all (IMAP; the move pre-pass lists the changed folders so). The
   * engine waits for none of them while holding. NULL member: listings
   * go out as they are asked. */
  void     (*hold_listings)   (MailsyncFolder *self, gboolean hold);

  /* ---- a listing of what changed only (issue 13 items 2 and 4) ---- */
  /* Asks that the next listing give its plain messages as
   * _MailsyncFolderListed rows instead of a MailsyncMessageInfo each;
   * its result then holds only the others. IMAP: when it lists from the
   * caller's saved state (known-messages with CONDSTORE), the known
   * messages the server did not report (ascending UIDs). Maildir: every
   * file read by its name alone with a UID and no keyword letter (in
   * listing order, pos counting every listed message). Good for one
   * listing, like the known state. FALSE: this folder's next listing is
   * whole (NULL member: always).
   *
   * The rows go with that listing's result, not the folder (review 2
   * Low 1 of session 16: a second listing of the folder must not take or
   * drop them): the listing's task gives them with
   * _mailsync_folder_listing_give_rows() (an empty array when it listed
   * whole) before it returns, and the caller takes them with
   * _mailsync_folder_take_unchanged() from the result it finished. */
  gboolean (*list_changes_only) (MailsyncFolder *self);

  /* ---- a message renamed by the mail program (a killed run's intents) ---- */
  /* What of a local message's key stays when the mail program or the
   * sync renames it (a Maildir: the unique name, without new/ or cur/,
   * the flags and the UID fields). NULL member: the key itself. */
  char    *(*key_identity)    (MailsyncFolder *self, const char *key);

  /* ---- a killed run's downloads (sync/mailsync-sync-state.c) ---- */
  /* A word (no space) that the name of every message this process stores
   * in the folder carries (a Maildir: "<pid><mark>.<host>" of its
   * "<time>_<seq>.<pid><mark>.<host>,U=..." names, the mark random per
   * repository object, session 19), and whether @key's name carries
   * @stem. The engine commits the stem with the UIDs a run is
   * downloading: after a kill, a message of one of them without its row
   * is that run's download only if its name has the stem; a copy with
   * another name (a backup restored, another account's message moved
   * in) is new mail. NULL members: the folder's UIDs of the other side
   * are its own records (the mapped folder's UID map), any key. */
  char    *(*dup_name_stem)   (MailsyncFolder *self);
  gboolean (*key_has_stem)    (MailsyncFolder *self, const char *key, const char *stem);
} _MailsyncFolderEngineVTable;

/* Registers @vtable (static, never freed) for @klass's type and its
 * subclasses. */
void     _mailsync_folder_class_set_engine       (gpointer klass, const _MailsyncFolderEngineVTable *vtable);

gboolean _mailsync_folder_has_keyword_letters    (MailsyncFolder *self);
char    *_mailsync_folder_keywords_from_letters  (MailsyncFolder *self, const char *letters);
char    *_mailsync_folder_keywords_to_letters    (MailsyncFolder *self, const char * const *keywords);
gboolean _mailsync_folder_reserve_keywords       (MailsyncFolder *self, const char * const *keywords, GError **error);
gboolean _mailsync_folder_keywords_in_labels     (MailsyncFolder *self);

const char *_mailsync_folder_get_directory        (MailsyncFolder *self);
gboolean    _mailsync_folder_get_fsync            (MailsyncFolder *self);

gboolean    _mailsync_folder_can_take_stamp       (MailsyncFolder *self);
gboolean    _mailsync_folder_take_stamp           (MailsyncFolder *self, _MailsyncFolderStamp *stamp);
gboolean    _mailsync_folder_scan_names           (MailsyncFolder          *self,
                                                   _MailsyncFolderNameFunc  func,
                                                   gpointer                 user_data);
gboolean    _mailsync_folder_stamp_kept_all       (MailsyncFolder *self, const char *then, const char *now);
char       *_mailsync_folder_dup_own_stamp        (MailsyncFolder *self);
gint64      _mailsync_folder_get_start_date       (MailsyncFolder *self);
gboolean    _mailsync_folder_size_search          (MailsyncFolder *self);
gboolean    _mailsync_folder_no_max_age           (MailsyncFolder *self);
void        _mailsync_folder_release_listing      (MailsyncFolder *self);
void        _mailsync_folder_hold_fetches         (MailsyncFolder *self, gboolean hold);
void        _mailsync_folder_hold_appends         (MailsyncFolder *self, gboolean hold);
gboolean    _mailsync_folder_appends_in_bursts    (MailsyncFolder *self);
void        _mailsync_folder_hold_deliveries      (MailsyncFolder *self, gboolean hold);
gboolean    _mailsync_folder_can_deliver          (MailsyncFolder *self);
void        _mailsync_folder_deliver              (MailsyncFolder *self, _MailsyncFolderDelivery *delivery);
/* fetch_finish_bytes, or fetch_message_finish's stream in *@stream. */
GBytes     *_mailsync_folder_fetch_finish_bytes   (MailsyncFolder *self, GAsyncResult *result,
                                                   GInputStream **stream, GError **error);
gboolean    _mailsync_folder_can_hold_listings    (MailsyncFolder *self);
void        _mailsync_folder_hold_listings        (MailsyncFolder *self, gboolean hold);
gboolean    _mailsync_folder_list_changes_only    (MailsyncFolder *self);
/* The rows of the listing whose result is @result (list_changes_only),
 * taken; NULL when none were given: the listing failed, or no rows were
 * asked for it. */
GArray     *_mailsync_folder_take_unchanged       (MailsyncFolder *self, GAsyncResult *result);
/* For a listing's task, before it returns: @rows (taken) go with it. */
void        _mailsync_folder_listing_give_rows    (GTask *task, GArray *rows);
char       *_mailsync_folder_key_identity         (MailsyncFolder *self, const char *key);
/* The name stem (dup_name_stem), NULL without one; whether @key has
 * @stem (FALSE for a folder without stems, or a NULL key). */
char       *_mailsync_folder_dup_name_stem        (MailsyncFolder *self);
gboolean    _mailsync_folder_key_has_stem         (MailsyncFolder *self, const char *key, const char *stem);

/* ---- the repository's side ---- */
typedef struct
{
  /* @name (a folder name the engine made from a local one) as the store
   * must be sent it, or NULL when it can be sent as it is (IMAP with
   * decodefoldernames: a name that is not modified UTF-7 is encoded). */
  char *(*encode_folder_name) (MailsyncRepository *self, const char *name);
} _MailsyncRepositoryEngineVTable;

void  _mailsync_repository_class_set_engine   (gpointer klass, const _MailsyncRepositoryEngineVTable *vtable);
char *_mailsync_repository_encode_folder_name (MailsyncRepository *self, const char *name);

G_END_DECLS
