/* Shared by the check-maildir-* programs (moved from check-maildir-folder.c):
 * a temporary root per test, sync wrappers over the async API, files. */
#pragma once

#include "mailsync.h"

#define INBOX_MD5 "7e33429f656f1e6e9d79b29c3f82c57e"
#define OTHER_MD5 "0123456789abcdef0123456789abcdef"

extern char *root;

void
setup (void);

void
teardown (void);

void
got_result (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data);

GAsyncResult *
wait_for (GAsyncResult **slot);

gboolean
repo_open (MailsyncRepository *repo,
           GError            **error);

GPtrArray *
repo_list (MailsyncRepository *repo,
           GError            **error);

MailsyncFolder *
repo_create (MailsyncRepository *repo,
             const char         *name,
             GError            **error);

gboolean
repo_delete (MailsyncRepository *repo,
             const char         *name,
             GError            **error);

GPtrArray *
folder_list (MailsyncFolder *folder);

MailsyncMessageInfo *
folder_append (MailsyncFolder      *folder,
               MailsyncMessageInfo *info,
               const char          *content,
               gssize               length,
               GError             **error);

gboolean
folder_set_flags (MailsyncFolder *folder,
                  guint32         uid,
                  MailsyncFlags   add,
                  MailsyncFlags   remove,
                  GError        **error);

gboolean
folder_delete (MailsyncFolder *folder,
               const guint32  *uids,
               guint           n,
               GError        **error);

MailsyncMessageInfo *
folder_set_uid (MailsyncFolder      *folder,
                MailsyncMessageInfo *info,
                guint32              uid,
                GError             **error);

gboolean
folder_flush (MailsyncFolder *folder,
              GError        **error);

char *
folder_fetch (MailsyncFolder      *folder,
              MailsyncMessageInfo *info,
              gsize               *length);

void
make_maildir (const char *path);

void
put (const char *folder_rel,
     const char *file_rel,
     const char *contents,
     gint64      mtime);

gboolean
exists (const char *folder_rel,
        const char *file_rel);

guint
count_files (const char *dir_rel);

MailsyncFolder *
folder_named (GPtrArray  *folders,
              const char *name);

MailsyncMessageInfo *
info_with_uid (GPtrArray *infos,
               guint32    uid);

MailsyncMessageInfo *
info_with_key (GPtrArray  *infos,
               const char *key);

MailsyncFolder *
open_inbox (MailsyncRepository **repo_out,
            char                 sep);
