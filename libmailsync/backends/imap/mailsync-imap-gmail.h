/* Gmail's X-GM-LABELS on an IMAP folder (see mailsync-imap-gmail.c). Internal. */
#pragma once

#include "mailsync-folder.h"

G_BEGIN_DECLS

/* uid -> labels (char **, as the server sent them) of every message */
void        _mailsync_imap_folder_fetch_labels_async  (MailsyncFolder      *folder,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GHashTable *_mailsync_imap_folder_fetch_labels_finish (MailsyncFolder      *folder,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* UID STORE <uids> +X-GM-LABELS or -X-GM-LABELS (@sign '+' or '-'), or
 * X-GM-LABELS (@sign 0: the labels replace the message's) */
void        _mailsync_imap_folder_store_labels_async  (MailsyncFolder      *folder,
                                                       const guint32       *uids,
                                                       guint                n_uids,
                                                       char                 sign,
                                                       const char *const   *labels,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean    _mailsync_imap_folder_store_labels_finish (MailsyncFolder      *folder,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* uid -> the Message-ID header's value ("<...>", unfolded and trimmed;
 * "" without one) of the given UIDs, one UID FETCH of
 * BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]: the engine's move detection */
void        _mailsync_imap_folder_fetch_message_ids_async  (MailsyncFolder      *folder,
                                                            const guint32       *uids,
                                                            guint                n_uids,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
GHashTable *_mailsync_imap_folder_fetch_message_ids_finish (MailsyncFolder      *folder,
                                                            GAsyncResult        *result,
                                                            GError             **error);

G_END_DECLS
