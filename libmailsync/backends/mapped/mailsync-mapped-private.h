/* What the mapped folder's files share (mailsync-mapped-repository.c, the
 * folder and repository; mailsync-mapped-move.c, the move between two
 * mapped folders). Internal. */
#pragma once

#include "mailsync-folder.h"
#include "mailsync-uid-map.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_MAPPED_FOLDER (mailsync_mapped_folder_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncMappedFolder, mailsync_mapped_folder, MAILSYNC, MAPPED_FOLDER, MailsyncFolder)

struct _MailsyncMappedFolder
{
  MailsyncFolder parent_instance;
  MailsyncFolder *inner;
  MailsyncUidMap *map;
  GMutex map_lock;        /* the map is read and written from worker threads */
  GError *map_error;
};

/* The library's content digest of a whole message (the pending lines'). */
char   *_mailsync_mapped_digest_bytes (GBytes *bytes);
/* The message under the inner folder's UID @local, read whole. */
GBytes *_mailsync_mapped_fetch_local  (MailsyncMappedFolder *self,
                                       guint32               local,
                                       GCancellable         *cancellable,
                                       GError              **error);

void     _mailsync_mapped_move_async  (MailsyncFolder      *folder,
                                       guint32              uid,
                                       MailsyncFolder      *destination,
                                       guint32              new_uid,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gboolean _mailsync_mapped_move_finish (MailsyncFolder      *folder,
                                       GAsyncResult        *result,
                                       GError             **error);
/* The inner folder's Message-IDs, keyed by the remote UIDs (the move
 * pass's identity of a local candidate, mailsync-mapped-move.c). */
void        _mailsync_mapped_fetch_message_ids_async  (MailsyncFolder      *folder,
                                                       const guint32       *uids,
                                                       guint                n_uids,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GHashTable *_mailsync_mapped_fetch_message_ids_finish (MailsyncFolder      *folder,
                                                       GAsyncResult        *result,
                                                       GError             **error);

G_END_DECLS
