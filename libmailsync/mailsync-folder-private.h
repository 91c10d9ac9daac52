/* MailsyncFolder's private parts, shared by the files that implement the
 * base class: mailsync-folder.c (the class, properties, listing),
 * mailsync-folder-ops.c (message operations) and mailsync-folder-watch.c
 * (watching). Not installed. */
#pragma once

#include "mailsync-folder.h"
#include "mailsync-folder-changes.h"
#include "mailsync-repository.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  MailsyncRepository *repository;
  gboolean watching;        /* a watch has its first listing; on the watch's context */
  gboolean watch_running;   /* a watch was started and has not ended */
} MailsyncFolderPrivate;

MailsyncFolderPrivate *_mailsync_folder_get_private        (MailsyncFolder        *self);
/* Notifies MailsyncFolder:watching, after the watch changed the field. */
void                   _mailsync_folder_notify_watching     (MailsyncFolder        *self);
/* Emits MailsyncFolder::folder-changed. */
void                   _mailsync_folder_emit_folder_changed (MailsyncFolder        *self,
                                                             MailsyncFolderChanges *changes);

G_END_DECLS
