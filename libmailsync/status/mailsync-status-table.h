/* A folder's status rows for the sync engine, compact (issue 13 item 2;
 * doc/design.md "A changed folder's status as rows, session 17"). Not
 * installed: the public API (mailsync_status_store_load(), one
 * MailsyncStatusRecord per row) stays as it is; this is what the engine
 * loads instead, through _mailsync_status_store_load_table().
 *
 * The rows are MailsyncStatusRecord structs in one array, ascending by
 * UID, found by a binary search, with no allocation per row: the flags
 * column is an interned string (g_intern_string(): a folder has a few
 * distinct flag sets, and an interned string outlives the table, so a
 * caller may keep it, as the IMAP folder's known-messages table does),
 * the labels column is "" or a copy in the table's string chunk. A row
 * is valid until the table's next put or remove. */
#pragma once

#include <gio/gio.h>

#include "mailsync-status-store.h"

G_BEGIN_DECLS

typedef struct _MailsyncStatusTable MailsyncStatusTable;

MailsyncStatusTable        *_mailsync_status_table_new    (guint                 reserve);
MailsyncStatusTable        *_mailsync_status_table_ref    (MailsyncStatusTable  *table);
void                        _mailsync_status_table_unref  (MailsyncStatusTable  *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncStatusTable, _mailsync_status_table_unref)

/* The rows of @records (a public load's), a later one of a UID replacing
 * an earlier one as a hash table's replace did. */
MailsyncStatusTable        *_mailsync_status_table_new_from_records (GPtrArray *records);

/* Inserts or replaces the row of @uid (its strings copied or interned):
 * cheap when @uid is above every row's (a loader's rows in UID order). */
void                        _mailsync_status_table_put    (MailsyncStatusTable  *table,
                                                           guint32               uid,
                                                           const char           *flags,
                                                           gint64                mtime,
                                                           const char           *labels);
void                        _mailsync_status_table_remove (MailsyncStatusTable  *table,
                                                           guint32               uid);
/* The row of @uid, or NULL */
const MailsyncStatusRecord *_mailsync_status_table_lookup (MailsyncStatusTable  *table,
                                                           guint32               uid);
gboolean                    _mailsync_status_table_contains (MailsyncStatusTable *table,
                                                             guint32              uid);
/* How many rows */
guint                       _mailsync_status_table_size   (MailsyncStatusTable  *table);

/* The rows in ascending UIDs: start with *@i = 0; FALSE at the end. */
gboolean                    _mailsync_status_table_next   (MailsyncStatusTable         *table,
                                                           guint                       *i,
                                                           const MailsyncStatusRecord **row);

/* The engine's load: @store's rows of @folder as a table (the SQLite and
 * plain stores fill it directly; any other store through its public
 * load), its meta as mailsync_status_store_load() gives it, and in
 * @n_records how many rows the store gave (a UID given twice counted
 * twice). */
gboolean _mailsync_status_store_load_table (MailsyncStatusStore  *store,
                                            const char           *folder,
                                            MailsyncStatusTable **table,
                                            GHashTable          **meta,
                                            guint                *n_records,
                                            GCancellable         *cancellable,
                                            GError              **error);
gboolean _mailsync_status_sqlite_load_table (MailsyncStatusStore  *store,
                                             const char           *folder,
                                             MailsyncStatusTable **table,
                                             GHashTable          **meta,
                                             GCancellable         *cancellable,
                                             GError              **error);
gboolean _mailsync_status_plain_load_table  (MailsyncStatusStore  *store,
                                             const char           *folder,
                                             MailsyncStatusTable **table,
                                             GHashTable          **meta,
                                             GCancellable         *cancellable,
                                             GError              **error);

G_END_DECLS
