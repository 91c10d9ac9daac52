/* What the files of the Maildir folder share (internal): the instance
 * struct, the task data of its operations and the helpers they all use.
 * mailsync-maildir-folder.c holds the helpers and the GObject; the
 * operations live in one file per subject:
 *   mailsync-maildir-listing.c   the scan, duplicate UIDs, assign-uids, list_messages
 *   mailsync-maildir-fetch.c     fetch_message
 *   mailsync-maildir-append.c    delivery through tmp/ (append_message), tmp/ cleanup
 *   mailsync-maildir-flags.c     renames for flags, keywords and UIDs
 *   mailsync-maildir-transfer.c  delete, copy/move between folders, expunge */
#pragma once

#include "mailsync-maildir-repository.h"
#include "mailsync-maildir-folder.h"
#include "mailsync-maildir-private.h"

G_BEGIN_DECLS

struct _MailsyncMaildirFolder
{
  MailsyncFolder parent_instance;

  char *path;

  GMutex lock;          /* guards the fields below */
  char *md5;            /* FMD5 of the visible name, computed in the caller's thread */
  GHashTable *index;    /* uid -> "cur/<name>" or "new/<name>" */
  GHashTable *twins;    /* uid -> GPtrArray of rels: identical copies, not listed */
  gboolean dirty_new;   /* entries changed since the last flush */
  gboolean dirty_cur;
  guint32 uidvalidity;  /* as seen by the last listing (assign-uids) */
  /* The engine's list_changes_only for the next listing (its rows go
   * with that listing's result) */
  gboolean rows_asked;
  /* deliveries done, not yet returned on their caller's context
   * (mailsync-task-returns.h; its own lock) */
  gpointer append_returns;
  /* deliveries asked, not yet taken by a worker (OpData *, in order), and
   * the folder's delivery workers on the pool (mailsync-maildir-append.c) */
  GQueue deliveries;
  guint delivery_workers;
  gboolean deliveries_held; /* the engine's hold_deliveries */
};

/* Give up finding a free name (they embed time, pid and a sequence). */
#define MAX_NAME_ATTEMPTS 16

/* The task data of the message operations. */
typedef struct
{
  char *md5;
  MailsyncMessageInfo *info;
  GInputStream *content;
  guint32 *uids;
  guint n_uids;
  MailsyncFlags add;
  MailsyncFlags remove;
  char *add_keywords;     /* set_keywords: space-separated */
  char *remove_keywords;
  char *add_letters;      /* their letters, found in the worker */
  char *remove_letters;
  guint32 uid;
  /* a delivery: its content in memory (instead of @content), and the
   * engine's delivery it answers (no task: session 19) */
  GBytes *bytes;
  struct _MailsyncFolderDelivery *delivery;
  GTask *task;                    /* a delivery's task (not held: it holds this) */
  MailsyncMaildirFolder *folder;  /* an engine delivery's (held) */
} OpData;

/* Helpers (mailsync-maildir-folder.c) */
MailsyncMaildirRepository *_mailsync_maildir_folder_get_repo (MailsyncMaildirFolder *self);
char     _mailsync_maildir_folder_info_sep      (MailsyncMaildirFolder *self);
/* The mark of the names the folder's repository builds
 * (_mailsync_maildir_repository_get_name_mark()). */
const char *_mailsync_maildir_folder_name_mark  (MailsyncMaildirFolder *self);
/* The folder's FMD5, computed in the calling thread (see the definition). */
char    *_mailsync_maildir_folder_dup_md5       (MailsyncMaildirFolder *self);
/* Records that new/ or cur/ (by @rel's prefix) needs an fsync at flush. */
void     _mailsync_maildir_folder_mark_dirty    (MailsyncMaildirFolder *self,
                                                 const char            *rel);
/* Creates the empty index and twins tables (under the lock, or at init). */
void     _mailsync_maildir_folder_init_index    (MailsyncMaildirFolder *self);
/* The UID -> "cur/<name>" index: lookup (a copy, or NULL) and set (NULL removes). */
char    *_mailsync_maildir_folder_index_lookup  (MailsyncMaildirFolder *self,
                                                 guint32                uid);
void     _mailsync_maildir_folder_index_set     (MailsyncMaildirFolder *self,
                                                 guint32                uid,
                                                 const char            *rel);
/* TRUE, with MAILSYNC_ERROR_READ_ONLY set, when the repository is read-only. */
gboolean _mailsync_maildir_folder_readonly_error (MailsyncMaildirFolder  *self,
                                                  GError                **error);
gboolean _mailsync_maildir_folder_check_key     (const char  *key,
                                                 GError     **error);
/* The keywords of the lowercase letters among @letters (never NULL). */
void     _mailsync_maildir_folder_flags_to_keywords (MailsyncMaildirFolder *self,
                                                     const char            *letters,
                                                     GStrv                 *keywords_out);
/* rename(2) inside the folder without replacing a file; marks both dirty. */
gboolean _mailsync_maildir_folder_rename_rel    (MailsyncMaildirFolder  *self,
                                                 const char             *from_rel,
                                                 const char             *to_rel,
                                                 GError                **error);
GTask   *_mailsync_maildir_folder_op_task_new   (MailsyncMaildirFolder *self,
                                                 gpointer               source_tag,
                                                 GCancellable          *cancellable,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data,
                                                 OpData               **data_out);
/* One message of a set_flags, set_keywords or delete_messages task. */
typedef gboolean (*MailsyncMaildirUidOp) (MailsyncMaildirFolder  *self,
                                          OpData                 *d,
                                          guint32                 uid,
                                          GCancellable           *cancellable,
                                          GError                **error);
GError  *_mailsync_maildir_folder_for_each_uid  (MailsyncMaildirFolder *self,
                                                 OpData                *d,
                                                 MailsyncMaildirUidOp   one,
                                                 GCancellable          *cancellable);

/* The listing (mailsync-maildir-listing.c) */
char    *_mailsync_maildir_folder_find_uid      (MailsyncMaildirFolder  *self,
                                                 const char             *md5,
                                                 guint32                 uid,
                                                 GCancellable           *cancellable,
                                                 GError                **error);
char    *_mailsync_maildir_folder_locate        (MailsyncMaildirFolder  *self,
                                                 const char             *md5,
                                                 guint32                 uid,
                                                 gboolean                force_rescan,
                                                 GCancellable           *cancellable,
                                                 GError                **error);
gboolean _mailsync_maildir_folder_allocate_uids (MailsyncMaildirFolder  *self,
                                                 guint                   n,
                                                 guint32                 min_next,
                                                 guint32                *first,
                                                 GError                **error);
void       _mailsync_maildir_folder_list_messages_async  (MailsyncFolder      *folder,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
GPtrArray *_mailsync_maildir_folder_list_messages_finish (MailsyncFolder  *folder,
                                                          GAsyncResult    *result,
                                                          GError         **error);

/* mailsync-maildir-fetch.c */
void          _mailsync_maildir_folder_fetch_message_async  (MailsyncFolder      *folder,
                                                             MailsyncMessageInfo *info,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
GInputStream *_mailsync_maildir_folder_fetch_message_finish (MailsyncFolder  *folder,
                                                             GAsyncResult    *result,
                                                             GError         **error);

/* mailsync-maildir-append.c */
void     _mailsync_maildir_folder_append_message_async (MailsyncFolder      *folder,
                                                        MailsyncMessageInfo *info,
                                                        GInputStream        *content,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* The engine's hold_deliveries: deliveries asked meanwhile start together. */
void     _mailsync_maildir_folder_hold_deliveries      (MailsyncFolder      *folder,
                                                        gboolean             hold);
/* The engine's deliver: append_message without a task, a stream or a
 * result info (mailsync-folder-engine-private.h). */
void     _mailsync_maildir_folder_deliver              (MailsyncFolder                 *folder,
                                                        struct _MailsyncFolderDelivery *delivery);
/* Removes tmp/ files older than 36 hours (the Maildir rule). */
void     _mailsync_maildir_folder_clean_tmp            (MailsyncMaildirFolder *self,
                                                        GCancellable          *cancellable);

/* mailsync-maildir-flags.c */
void     _mailsync_maildir_folder_set_flags_async       (MailsyncFolder      *folder,
                                                         const guint32       *uids,
                                                         guint                n_uids,
                                                         MailsyncFlags        add,
                                                         MailsyncFlags        remove,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
void     _mailsync_maildir_folder_set_message_uid_async (MailsyncFolder      *folder,
                                                         MailsyncMessageInfo *info,
                                                         guint32              uid,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);

/* mailsync-maildir-transfer.c */
void     _mailsync_maildir_folder_delete_messages_async    (MailsyncFolder      *folder,
                                                            const guint32       *uids,
                                                            guint                n_uids,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
void     _mailsync_maildir_folder_transfer_messages_async  (MailsyncFolder      *folder,
                                                            const guint32       *uids,
                                                            guint                n_uids,
                                                            MailsyncFolder      *destination,
                                                            gboolean             delete_originals,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
gboolean _mailsync_maildir_folder_transfer_messages_finish (MailsyncFolder  *folder,
                                                            GAsyncResult    *result,
                                                            guint32        **new_uids,
                                                            guint           *n_new_uids,
                                                            GError         **error);
void     _mailsync_maildir_folder_expunge_async            (MailsyncFolder      *folder,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);

/* The unchanged-folder record's stamp and scan by names, for the engine's
 * table (mailsync-maildir-listing.c). */
#include "mailsync-folder-engine-private.h"
gboolean _mailsync_maildir_folder_take_stamp (MailsyncFolder *folder, _MailsyncFolderStamp *stamp);
gboolean _mailsync_maildir_folder_scan_names (MailsyncFolder *folder, _MailsyncFolderNameFunc func,
                                              gpointer user_data);
/* The engine's release_listing: drops the index and twins (listing.c). */
void     _mailsync_maildir_folder_release_index (MailsyncFolder *folder);
/* the engine's list_changes_only and take_unchanged */
gboolean _mailsync_maildir_folder_list_rows     (MailsyncFolder *folder);

G_END_DECLS
