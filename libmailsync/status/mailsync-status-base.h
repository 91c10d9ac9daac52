/* What the status stores share (issue 14 item 2); not installed.
 *
 * Both stores keep one file (or database) per folder in a directory, so
 * both have the same object part: the "directory" property, one lock, a
 * per-folder cache keyed by the folder's file name, the path of a folder,
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

typedef struct
{
  char       *directory;
  /* Guards @cache and every use of what it holds: one store may be used
   * by several threads (one per folder sync). */
  GMutex      lock;
  /* Folder file name -> the store's state of that folder, as of the last
   * load or commit. One writer per account (the account lock), so the
   * files do not change behind our back between a load and the commits
   * that follow. */
  GHashTable *cache;
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
/* The start of every store operation: fails when @cancellable is
 * cancelled, else takes the store's lock (free the locker to drop it). */
GMutexLocker *_mailsync_status_base_lock     (MailsyncStatusBase  *base,
                                              GCancellable        *cancellable,
                                              GError             **error);
/* Purge under the lock: forgets the cached state of @name, removes
 * @paths in their order (a missing one is fine) and fsyncs the directory
 * so that the removal survives a power loss. */
gboolean    _mailsync_status_base_remove     (MailsyncStatusBase  *base,
                                              const char          *name,
                                              const char * const  *paths,
                                              GError             **error);

/* Forgets what @store keeps of @folder between uses (issue 13 item 4):
 * SQLite's handle of its database (its page cache and schema, ~90 KB to
 * a few MB) or the plain store's rows. The next use opens or reads the
 * folder's files again. A store of another type: nothing. */
void        _mailsync_status_store_release   (MailsyncStatusStore *store,
                                              const char          *folder);

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
