#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <gio/gio.h>
#include "mailsync-version-macros.h"

G_BEGIN_DECLS

/**
 * MailsyncStatusRecord:
 * @uid: the remote UID (the only key, as in offlineimap's status)
 * @flags: Maildir flag letters, sorted by ASCII ("" when none)
 * @mtime: GmailMaildir file mtime at the last label sync, else 0
 * @labels: Gmail labels joined with ", " ("" when none)
 *
 * One row of a folder's sync status: a message known to be on both sides.
 *
 * Since: 0.1
 */
typedef struct _MailsyncStatusRecord MailsyncStatusRecord;
struct _MailsyncStatusRecord
{
  guint32  uid;
  char    *flags;
  gint64   mtime;
  char    *labels;
};

/**
 * MAILSYNC_TYPE_STATUS_RECORD:
 *
 * The #GType of the boxed #MailsyncStatusRecord, for #GValue and
 * g_boxed_copy().
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_STATUS_RECORD (mailsync_status_record_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType                 mailsync_status_record_get_type (void) G_GNUC_CONST;
MAILSYNC_AVAILABLE_IN_ALL
MailsyncStatusRecord *mailsync_status_record_new  (guint32 uid, const char *flags, gint64 mtime, const char *labels);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncStatusRecord *mailsync_status_record_copy (const MailsyncStatusRecord *record);
MAILSYNC_AVAILABLE_IN_ALL
void                  mailsync_status_record_free (MailsyncStatusRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncStatusRecord, mailsync_status_record_free)

/**
 * MailsyncStatusBatch:
 *
 * An ordered list of changes to one folder's status, applied atomically by
 * mailsync_status_store_commit(): after a crash either all of them or none
 * are visible. Meta entries hold the engine's own bookkeeping (saved
 * UIDVALIDITY, pending-upload intents).
 *
 * Since: 0.1
 */
typedef struct _MailsyncStatusBatch MailsyncStatusBatch;

/**
 * MailsyncStatusOpKind:
 * @MAILSYNC_STATUS_OP_PUT: insert or replace a record
 * @MAILSYNC_STATUS_OP_REMOVE: remove the record of a UID
 * @MAILSYNC_STATUS_OP_SET_META: set a meta key (value %NULL removes it)
 *
 * One change in a #MailsyncStatusBatch.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_STATUS_OP_PUT,
  MAILSYNC_STATUS_OP_REMOVE,
  MAILSYNC_STATUS_OP_SET_META,
} MailsyncStatusOpKind;

/**
 * MAILSYNC_TYPE_STATUS_BATCH:
 *
 * The #GType of the boxed #MailsyncStatusBatch, for #GValue and g_boxed_copy().
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_STATUS_BATCH (mailsync_status_batch_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType                mailsync_status_batch_get_type (void) G_GNUC_CONST;
MAILSYNC_AVAILABLE_IN_ALL
MailsyncStatusBatch *mailsync_status_batch_new      (void);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncStatusBatch *mailsync_status_batch_ref      (MailsyncStatusBatch *batch);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_status_batch_unref    (MailsyncStatusBatch *batch);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_status_batch_put      (MailsyncStatusBatch *batch,
                                                     guint32              uid,
                                                     const char          *flags,
                                                     gint64               mtime,
                                                     const char          *labels);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_status_batch_remove   (MailsyncStatusBatch *batch,
                                                     guint32              uid);
MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_status_batch_set_meta (MailsyncStatusBatch *batch,
                                                     const char          *key,
                                                     const char          *value);
MAILSYNC_AVAILABLE_IN_ALL
guint                mailsync_status_batch_get_length (MailsyncStatusBatch *batch);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncStatusOpKind mailsync_status_batch_get_op   (MailsyncStatusBatch         *batch,
                                                     guint                        index,
                                                     const MailsyncStatusRecord **record,
                                                     guint32                     *uid,
                                                     const char                 **key,
                                                     const char                 **value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncStatusBatch, mailsync_status_batch_unref)

/**
 * MAILSYNC_TYPE_STATUS_STORE:
 *
 * The #GType of the #MailsyncStatusStore interface, for type checks and for
 * G_IMPLEMENT_INTERFACE() in an implementation.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_STATUS_STORE (mailsync_status_store_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (MailsyncStatusStore, mailsync_status_store, MAILSYNC, STATUS_STORE, GObject)

/**
 * MailsyncStatusStoreInterface:
 * @load: read one folder's records and meta; a missing folder is empty,
 *   a damaged one is an error naming the file. Both containers and their
 *   elements go to the caller (transfer full): the array need not have a
 *   free function nor the table destroy functions (a binding's have
 *   none); mailsync_status_store_load() gives them theirs
 * @commit: apply a batch atomically and durably
 * @purge: forget a folder's status (used when a folder is created anew)
 * @get_path: where a folder's status lives, for messages
 *
 * The contract of a status store: one instance per account, keyed by the
 * status folder name (the remote visible name with '.' as separator).
 *
 * Since: 0.1
 */
struct _MailsyncStatusStoreInterface
{
  GTypeInterface g_iface;

  gboolean (*load)     (MailsyncStatusStore  *self,
                        const char           *folder,
                        GPtrArray           **records,
                        GHashTable          **meta,
                        GCancellable         *cancellable,
                        GError              **error);
  gboolean (*commit)   (MailsyncStatusStore  *self,
                        const char           *folder,
                        MailsyncStatusBatch  *batch,
                        GCancellable         *cancellable,
                        GError              **error);
  gboolean (*purge)    (MailsyncStatusStore  *self,
                        const char           *folder,
                        GCancellable         *cancellable,
                        GError              **error);
  char    *(*get_path) (MailsyncStatusStore  *self,
                        const char           *folder);
};

MAILSYNC_AVAILABLE_IN_ALL
gboolean mailsync_status_store_load     (MailsyncStatusStore  *self,
                                         const char           *folder,
                                         GPtrArray           **records,
                                         GHashTable          **meta,
                                         GCancellable         *cancellable,
                                         GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean mailsync_status_store_commit   (MailsyncStatusStore  *self,
                                         const char           *folder,
                                         MailsyncStatusBatch  *batch,
                                         GCancellable         *cancellable,
                                         GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean mailsync_status_store_purge    (MailsyncStatusStore  *self,
                                         const char           *folder,
                                         GCancellable         *cancellable,
                                         GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
char    *mailsync_status_store_get_path (MailsyncStatusStore  *self,
                                         const char           *folder);

MAILSYNC_AVAILABLE_IN_ALL
char    *mailsync_status_folder_file_name (const char *folder);

G_END_DECLS
