/* What the sync engine asks of a folder beyond the public contract of
 * mailsync-folder.h, said by what it needs, not by which backend has it
 * (issue 14 item 3): keywords, move pairing, Gmail labels, a folder's
 * files, the stamps of the unchanged-folder record. A backend of the library registers a
 * table of these from its class_init with
 * _mailsync_folder_class_set_engine(); libmailsync/sync/ calls only the
 * _mailsync_folder_* wrappers below, which answer for a folder without
 * the member (another backend, a Python one, the test backend): "not
 * supported", FALSE or NULL, so the engine skips that step as it did for
 * a backend it did not know.
 *
 * Not public vfuncs (yet): each would need its ownership settled for the
 * bindings (gir-fixup.awk, the ownership test's Python implementation),
 * and what a client's keyword API should look like (how a folder says
 * what it could not store) is better settled with a client using it; a
 * member can move into the class structure's padding later without an
 * ABI break (doc/design.md, "What the engine asks of a folder"). Not
 * installed. */
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

/* One message of a scan by name: its UID and its flags as letters. */
typedef void (*_MailsyncFolderNameFunc) (guint32 uid, const char *letters, gpointer user_data);

typedef struct
{
  /* ---- keywords (issue 10 item 3) ---- */
  /* Adds and removes keywords (space-separated) on @uids; finish gives the
   * added keywords the folder could not store (NULL or empty: all were).
   * A folder without set_keywords_async takes no part in keyword sync. */
  void     (*set_keywords_async)    (MailsyncFolder *self, const guint32 *uids, guint n_uids,
                                     const char *add, const char *remove, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*set_keywords_finish)   (MailsyncFolder *self, GAsyncResult *result, GStrv *not_stored,
                                     GError **error);
  /* Whether set_keywords works on this folder (NULL: it does). A folder
   * that hands its messages to another (the mapped one) asks that one. */
  gboolean (*has_keywords)          (MailsyncFolder *self);
  /* Whether the folder can store @keyword (NULL: every keyword). */
  gboolean (*can_store_keyword)     (MailsyncFolder *self, const char *keyword);
  /* A folder whose file names carry keywords as letters (Maildir): the
   * status keeps its keywords as those letters. @letters' keywords,
   * space-separated, and the letters of @keywords (known ones only, no
   * new letter given out): both NULL for a folder without letters. */
  char    *(*keywords_from_letters) (MailsyncFolder *self, const char *letters);
  char    *(*keywords_to_letters)   (MailsyncFolder *self, const char * const *keywords);
  /* Whether the status keeps this folder's keywords by name in its labels
   * column (an IMAP<->IMAP account's local folder: NULL means no). */
  gboolean (*keywords_in_labels)    (MailsyncFolder *self);

  /* ---- moves (the engine pairs a message that left one folder with one
   * that arrived in another, and renames the local copy) ---- */
  /* uid -> the raw Message-ID header lines ("Message-ID: <...>\r\n\r\n",
   * or "\r\n" without one) of @uids, in one round trip. */
  void        (*fetch_message_ids_async)  (MailsyncFolder *self, const guint32 *uids, guint n_uids,
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data);
  GHashTable *(*fetch_message_ids_finish) (MailsyncFolder *self, GAsyncResult *result, GError **error);
  /* Moves message @uid of @self into @dest (a folder of the same class)
   * under @new_uid, keeping its flags, as one local rename: no I/O to
   * wait for, so it runs on the caller's thread. */
  gboolean    (*move_message)             (MailsyncFolder *self, guint32 uid, MailsyncFolder *dest,
                                           guint32 new_uid, GError **error);

  /* ---- labels (synclabels: Gmail's X-GM-LABELS) ---- */
  /* uid -> labels (char **, as the server sent them) of every message */
  void        (*fetch_labels_async)  (MailsyncFolder *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
  GHashTable *(*fetch_labels_finish) (MailsyncFolder *self, GAsyncResult *result, GError **error);
  /* Adds (@sign '+') or removes ('-') @labels on @uids, or (@sign 0) makes
   * them the messages' labels. */
  void        (*store_labels_async)  (MailsyncFolder *self, const guint32 *uids, guint n_uids, char sign,
                                      const char * const *labels, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
  gboolean    (*store_labels_finish) (MailsyncFolder *self, GAsyncResult *result, GError **error);

  /* ---- a folder kept as one file per message on this machine ---- */
  /* Its directory (a Maildir: cur/, new/ and tmp/ under it, and a
   * message's key is its file's path relative to it), or NULL for a
   * folder that is not (NULL member: not). The engine rewrites label
   * headers there (synclabels) and reads files' mtimes. */
  const char *(*get_directory)       (MailsyncFolder *self);
  /* Whether files and directories written there are fsynced (NULL: yes). */
  gboolean    (*get_fsync)           (MailsyncFolder *self);

  /* ---- the unchanged-folder record (issue 13 item 1) ---- */
  /* A remote folder's state now, in one round trip, as an opaque line
   * that differs whenever a message was added, removed or changed (IMAP:
   * UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES of one STATUS); NULL
   * without an error when the store cannot say (no CONDSTORE). */
  void  (*probe_stamp_async)  (MailsyncFolder *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
  char *(*probe_stamp_finish) (MailsyncFolder *self, GAsyncResult *result, GError **error);
  /* The same line as of the last listing, or NULL. */
  char *(*dup_listing_stamp)  (MailsyncFolder *self);
  /* A local folder's stamp (a Maildir: the stat() of new/ and cur/);
   * FALSE, no error, on any doubt. */
  gboolean (*take_stamp)      (MailsyncFolder *self, _MailsyncFolderStamp *stamp);
  /* Calls @func for every message by its file name alone (no stat(), no
   * message object); FALSE on any doubt: a directory that cannot be read,
   * a message without a UID of this folder (new local mail). */
  gboolean (*scan_names)      (MailsyncFolder *self, _MailsyncFolderNameFunc func, gpointer user_data);

  /* ---- startdate ---- */
  /* The start date (seconds since the epoch) the store behind a local
   * folder keeps for its own side (offlineimap's startdate of a local
   * IMAP repository: the mapped folder asks its inner repository's
   * "start-date"), 0 for none (NULL member: none). */
  gint64   (*get_start_date)  (MailsyncFolder *self);
} _MailsyncFolderEngineVTable;

/* Registers @vtable (static, never freed) for @klass's type and its
 * subclasses. */
void     _mailsync_folder_class_set_engine       (gpointer klass, const _MailsyncFolderEngineVTable *vtable);

gboolean _mailsync_folder_has_keywords           (MailsyncFolder *self);
gboolean _mailsync_folder_can_store_keyword      (MailsyncFolder *self, const char *keyword);
/* Fails with G_IO_ERROR_NOT_SUPPORTED on a folder without keywords;
 * finish gives an empty (never NULL) array when every keyword was stored. */
void     _mailsync_folder_set_keywords_async     (MailsyncFolder      *self,
                                                  const guint32       *uids,
                                                  guint                n_uids,
                                                  const char          *add,
                                                  const char          *remove,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean _mailsync_folder_set_keywords_finish    (MailsyncFolder  *self,
                                                  GAsyncResult    *result,
                                                  GStrv           *not_stored,
                                                  GError         **error);
gboolean _mailsync_folder_has_keyword_letters    (MailsyncFolder *self);
char    *_mailsync_folder_keywords_from_letters  (MailsyncFolder *self, const char *letters);
char    *_mailsync_folder_keywords_to_letters    (MailsyncFolder *self, const char * const *keywords);
gboolean _mailsync_folder_keywords_in_labels     (MailsyncFolder *self);

gboolean    _mailsync_folder_can_fetch_message_ids   (MailsyncFolder *self);
/* Fails with G_IO_ERROR_NOT_SUPPORTED on a folder that cannot. */
void        _mailsync_folder_fetch_message_ids_async  (MailsyncFolder      *self,
                                                       const guint32       *uids,
                                                       guint                n_uids,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GHashTable *_mailsync_folder_fetch_message_ids_finish (MailsyncFolder  *self,
                                                       GAsyncResult    *result,
                                                       GError         **error);
gboolean    _mailsync_folder_can_move_message         (MailsyncFolder *self);
/* Fails with G_IO_ERROR_NOT_SUPPORTED unless @self and @dest are of one
 * class that can. */
gboolean    _mailsync_folder_move_message             (MailsyncFolder  *self,
                                                       guint32          uid,
                                                       MailsyncFolder  *dest,
                                                       guint32          new_uid,
                                                       GError         **error);

gboolean    _mailsync_folder_can_fetch_labels     (MailsyncFolder *self);
/* Both fail with G_IO_ERROR_NOT_SUPPORTED on a folder without labels. */
void        _mailsync_folder_fetch_labels_async   (MailsyncFolder      *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GHashTable *_mailsync_folder_fetch_labels_finish  (MailsyncFolder  *self,
                                                   GAsyncResult    *result,
                                                   GError         **error);
void        _mailsync_folder_store_labels_async   (MailsyncFolder      *self,
                                                   const guint32       *uids,
                                                   guint                n_uids,
                                                   char                 sign,
                                                   const char * const  *labels,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean    _mailsync_folder_store_labels_finish  (MailsyncFolder  *self,
                                                   GAsyncResult    *result,
                                                   GError         **error);
const char *_mailsync_folder_get_directory        (MailsyncFolder *self);
gboolean    _mailsync_folder_get_fsync            (MailsyncFolder *self);

gboolean    _mailsync_folder_can_probe_stamp      (MailsyncFolder *self);
void        _mailsync_folder_probe_stamp_async    (MailsyncFolder      *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
char       *_mailsync_folder_probe_stamp_finish   (MailsyncFolder  *self,
                                                   GAsyncResult    *result,
                                                   GError         **error);
char       *_mailsync_folder_dup_listing_stamp    (MailsyncFolder *self);
gboolean    _mailsync_folder_can_take_stamp       (MailsyncFolder *self);
gboolean    _mailsync_folder_take_stamp           (MailsyncFolder *self, _MailsyncFolderStamp *stamp);
gboolean    _mailsync_folder_scan_names           (MailsyncFolder          *self,
                                                   _MailsyncFolderNameFunc  func,
                                                   gpointer                 user_data);
gint64      _mailsync_folder_get_start_date       (MailsyncFolder *self);

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
