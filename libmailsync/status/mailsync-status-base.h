/* What the status stores share (issue 14 item 2); not installed.
 *
 * Both stores keep one file (or database) per folder in a directory, so
 * both have the same object part: the "directory" property, a table of
 * folder slots keyed by the folder's file name (each with its lock and the
 * store's cached state of the folder), the path of a folder,
 * a purge that removes its files. They also share the rows of a folder in
 * memory with a batch applied to them, and the file helpers. Only what
 * their formats need stays in mailsync-status-plain.c and -sqlite.c.
 *
 * The base is a struct, not a parent class: the public headers declare
 * both stores as final GObject subclasses, and a private parent type in
 * between would show up in the introspection data and to bindings. */
#pragma once

#include <gio/gio.h>

#include "mailsync-status-store.h"

G_BEGIN_DECLS

/* Locking (issue 13 items 2/5: folders synced at the same time must not
 * wait for each other's fsync). Two kinds of lock:
 *
 * - the store lock (MailsyncStatusBase.lock) guards only @slots, the
 *   table: a lookup or an insert, nothing else is done under it, and
 *   nothing else is waited for while it is held;
 * - each folder's lock (MailsyncStatusSlot.lock) is held through a whole
 *   load, commit, purge or release of that folder, its file reads, its
 *   journal append or SQLite transaction and their fsyncs included, and
 *   guards the slot's @data (the open database handle, the parsed
 *   journal).
 *
 * Lock order: none is needed, as no thread ever holds two of them: the
 * store lock is dropped before a folder's lock is taken (the slot is
 * looked up first) and never taken while one is held, and no store
 * operation touches two folders. Whoever adds a nesting writes the order
 * here: a folder's lock first, then the store lock (a folder's lock is
 * held through fsyncs, so waiting for one with the store lock held would
 * stall every folder). Two folders' operations then run
 * at once; two operations of one folder one after the other, in the
 * order they took its lock. A slot stays in the table until the store
 * is finalized (a release or purge frees its @data only), so a slot
 * pointer taken under the store lock stays valid without a reference. */
typedef struct
{
  GMutex      lock;
  /* The store's state of the folder (sqlite3 handle, parsed rows and
   * journal), or NULL: nothing open or read. */
  gpointer    data;
} MailsyncStatusSlot;

typedef struct
{
  char       *directory;
  /* The store lock: guards @slots only (see above). */
  GMutex      lock;
  /* Folder file name -> MailsyncStatusSlot, whose data is the store's
   * state of that folder as of the last load or commit. One writer per
   * account (the account lock), so the files do not change behind our
   * back between a load and the commits that follow. */
  GHashTable *slots;
  GDestroyNotify data_free;
} MailsyncStatusBase;

/* The base of a store instance: it must be the first member after the
 * GObject parent, which _mailsync_status_base_class_init() relies on (a
 * G_STATIC_ASSERT next to each instance struct checks it). */
#define _MAILSYNC_STATUS_BASE(obj) ((MailsyncStatusBase *) (((GObject *) (obj)) + 1))

/* Sets up @klass's finalize, the "directory" property and its accessors.
 * Call from class_init (the property's doc comment stays with the store);
 * call _mailsync_status_base_init() from instance_init, @cache_free
 * freeing a value of the cache. */
void        _mailsync_status_base_class_init (GObjectClass   *klass);
void        _mailsync_status_base_init       (MailsyncStatusBase *base,
                                              GDestroyNotify  cache_free);

/* The file that holds @folder: <directory>/<file name>; @name (optional)
 * gets the file name, the cache key. */
char       *_mailsync_status_base_path       (MailsyncStatusBase  *base,
                                              const char          *folder,
                                              char               **name);
/* MailsyncStatusStoreInterface.get_path of both stores. */
char       *_mailsync_status_base_get_path   (MailsyncStatusStore *store,
                                              const char          *folder);
/* The start of every store operation on a folder: fails when
 * @cancellable is cancelled, else returns the slot of the folder whose
 * file name is @name (made on first use) with its lock held. Leave it
 * with _mailsync_status_base_leave() (g_autoptr(MailsyncStatusSlot) does). */
MailsyncStatusSlot *_mailsync_status_base_enter (MailsyncStatusBase  *base,
                                                 const char          *name,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
void        _mailsync_status_base_leave      (MailsyncStatusSlot  *slot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncStatusSlot, _mailsync_status_base_leave)
/* How many folders have data (an open handle, parsed rows): for tests. */
guint       _mailsync_status_base_count_open (MailsyncStatusBase  *base);
/* Frees @slot's data (closes the handle, drops the rows); its lock held. */
void        _mailsync_status_slot_forget     (MailsyncStatusBase  *base,
                                              MailsyncStatusSlot  *slot);
/* Purge under @slot's lock: forgets its data, removes @paths in their
 * order (a missing one is fine) and fsyncs the directory so that the
 * removal survives a power loss. */
gboolean    _mailsync_status_base_remove     (MailsyncStatusBase  *base,
                                              MailsyncStatusSlot  *slot,
                                              const char * const  *paths,
                                              GError             **error);

/* A test hook (configure --enable-test-hooks, MAILSYNC_TEST_STATUS_HOLD=
 * <seconds>; otherwise always TRUE): called by a commit with its folder's
 * lock held, just before the fsync that is its commit point. The first
 * commit to get here waits until a commit of another folder is here too
 * (the two overlap) or one of its own folder found the folder's lock
 * taken (they serialise), and fails after <seconds>; a commit that gets
 * here while one of the same folder is here fails (the folder lock did
 * not hold). tests/check-status-overlap.c. */
gboolean    _mailsync_status_test_hold       (const char          *name,
                                              GError             **error);

/* Forgets what @store keeps of @folder between uses (issue 13 item 4):
 * SQLite's handle of its database (its page cache and schema, ~90 KB to
 * a few MB) or the plain store's rows. The next use opens or reads the
 * folder's files again. A store of another type: nothing. */
void        _mailsync_status_store_release   (MailsyncStatusStore *store,
                                              const char          *folder);

/* The end of a folder's completed sync: the plain store folds a journal
 * whose rows its status file lacks (or a missing status file), so that
 * offlineimap, which reads only that file, finds the folder's status. A
 * store of another type: nothing. */
gboolean    _mailsync_status_store_checkpoint (MailsyncStatusStore *store,
                                               const char          *folder,
                                               GError             **error);
gboolean    _mailsync_status_plain_checkpoint (MailsyncStatusStore *store,
                                               const char          *folder,
                                               GError             **error);

/* One folder's rows and meta entries in memory. */
typedef struct
{
  GHashTable *records;          /* GUINT_TO_POINTER (uid) -> MailsyncStatusRecord* */
  GHashTable *meta;             /* key -> value */
} MailsyncStatusRows;

void        _mailsync_status_rows_init       (MailsyncStatusRows  *rows);
void        _mailsync_status_rows_clear      (MailsyncStatusRows  *rows);
/* Inserts or replaces a row; takes @record. */
void        _mailsync_status_rows_put        (MailsyncStatusRows  *rows,
                                              MailsyncStatusRecord *record);
/* Applies every change of @batch in order; returns how many there were. */
guint       _mailsync_status_rows_apply      (MailsyncStatusRows  *rows,
                                              MailsyncStatusBatch *batch);
/* The rows sorted by UID (the order offlineimap's files are easiest to
 * compare in, and deterministic output): copies the caller owns with
 * @copy, else the rows themselves. */
GPtrArray  *_mailsync_status_rows_sorted     (MailsyncStatusRows  *rows,
                                              gboolean             copy);
/* The rows as the engine's table (mailsync-status-table.h), copied. */
struct _MailsyncStatusTable *_mailsync_status_rows_table (MailsyncStatusRows *rows);
/* A copy of the meta entries, as load() returns them. */
GHashTable *_mailsync_status_rows_dup_meta   (MailsyncStatusRows  *rows);

/* The containers load() returns, with their free functions. */
GPtrArray  *_mailsync_status_records_new     (void);
GHashTable *_mailsync_status_meta_new        (void);

/* Whether @length bytes at @p are all zero: what a crash leaves where a
 * file grew but its data never landed. */
gboolean    _mailsync_status_all_zero        (const void *p,
                                              gsize       length);

/* Creates @directory (mode 0700, with parents) if missing and fsyncs the
 * parent of every directory it created, so the new entries survive a
 * power loss together with the files later written in them. */
gboolean _mailsync_status_ensure_dir (const char  *directory,
                                      GError     **error);

/* unlink(2) that is quiet about a file already gone. */
gboolean _mailsync_status_unlink     (const char  *path,
                                      GError     **error);

G_END_DECLS
