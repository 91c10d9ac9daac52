/* An in-memory backend whose every operation answers after a fixed delay,
 * like a server at the other end of a slow link. It shows whether the
 * engine keeps operations in flight or waits for each one. */
#pragma once

#include "mailsync-folder.h"
#include "mailsync-repository.h"

G_BEGIN_DECLS

#define MAILSYNC_TYPE_TEST_REPOSITORY (mailsync_test_repository_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncTestRepository, mailsync_test_repository, MAILSYNC, TEST_REPOSITORY, MailsyncRepository)
#define MAILSYNC_TYPE_TEST_FOLDER (mailsync_test_folder_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncTestFolder, mailsync_test_folder, MAILSYNC, TEST_FOLDER, MailsyncFolder)

/* assign_uids: TRUE for a remote (it numbers appended messages itself). */
MailsyncRepository *mailsync_test_repository_new (const char *name, guint delay_ms, gboolean assign_uids);
MailsyncTestFolder *mailsync_test_repository_add_folder (MailsyncTestRepository *self, const char *name);
MailsyncTestFolder *mailsync_test_repository_get_folder (MailsyncTestRepository *self, const char *name);
/* The most operations that were pending at the same time, over all folders. */
guint               mailsync_test_repository_get_peak_in_flight (MailsyncTestRepository *self);
/* Appends started so far, over all folders. */
guint               mailsync_test_repository_get_appends (MailsyncTestRepository *self);
/* Called at every append, before it is stored, with the message's bytes. */
typedef void (*MailsyncTestAppendHook) (MailsyncTestFolder *folder, GBytes *content, gpointer user_data);
void                mailsync_test_repository_set_append_hook (MailsyncTestRepository *self,
                                                              MailsyncTestAppendHook  hook,
                                                              gpointer                user_data);

guint32             mailsync_test_folder_add (MailsyncTestFolder *self, const char *content, const char *flags);
guint               mailsync_test_folder_count (MailsyncTestFolder *self);
void                mailsync_test_folder_remove (MailsyncTestFolder *self, guint32 uid);
void                mailsync_test_folder_set_flags (MailsyncTestFolder *self, guint32 uid, const char *flags);
char               *mailsync_test_folder_get_flags (MailsyncTestFolder *self, guint32 uid);
/* Space-separated keywords; get gives "" for none, NULL for no message. */
void                mailsync_test_folder_set_keywords (MailsyncTestFolder *self, guint32 uid, const char *keywords);
char               *mailsync_test_folder_get_keywords (MailsyncTestFolder *self, guint32 uid);
/* Whether the folder was listed and the engine has not released that
 * listing since (release_listing, mailsync-folder-engine-private.h). */
gboolean            mailsync_test_folder_holds_listing (MailsyncTestFolder *self);

G_END_DECLS
