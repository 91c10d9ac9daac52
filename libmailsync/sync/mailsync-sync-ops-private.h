/* What the passes of mailsync-sync-ops.c (downloads, uploads) and
 * mailsync-sync-ops-stores.c (deletions, flags, keywords) share: one
 * operation of a batch of concurrent backend calls, and how a batch ends. */
#pragma once

#include "sync/mailsync-sync-private.h"

G_BEGIN_DECLS

typedef struct
{
  Runner *runner;
  MailsyncAction *action;
  MailsyncMessageInfo *source;   /* what is copied */
  MailsyncMessageInfo *stored;   /* result of the append */
  char *digest;                  /* uploads: digest for the intent */
  char *token;
  GError *error;
  gboolean reported;             /* a message-scope error was said already */
  gboolean reading;              /* an upload counted in uploads_reading */
  guint64 weight;                /* downloads: its part of runner->pending_bytes */
  /* downloads: delivered on the engine-internal path (copy_direct),
   * and what the local folder answered */
  gboolean direct;
  _MailsyncFolderDelivery *delivery;
} Op;

void     _mailsync_sync_op_free      (Op             *op);
/* An operation's backend call ended (with @error, taken): counted off the
 * runner's pending ones, handed to its finished copies when it has them. */
void     _mailsync_sync_op_done      (Op             *op,
                                      GError         *error);
/* Collects the first error of a batch; message-scope errors are reported
 * and skipped, anything else stops the folder. */
gboolean _mailsync_sync_batch_errors (Runner         *r,
                                      GPtrArray      *ops,
                                      MailsyncFolder *destination,
                                      GError        **error);

G_END_DECLS
