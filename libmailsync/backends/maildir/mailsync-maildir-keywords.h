/* Maildir keyword letters: customflag options, then the folder's
 * dovecot-keywords file (internal; mailsync-maildir-keywords.c). */
#pragma once

#include "mailsync-maildir-repository.h"
#include "mailsync-maildir-folder.h"

G_BEGIN_DECLS

/* The keyword of a lowercase letter in @folder_path, or NULL. */
char *_mailsync_maildir_keywords_dup_keyword (MailsyncMaildirRepository *repo,
                                              const char                *folder_path,
                                              char                       letter);

/* The keywords of the lowercase letters in @letters, separated by spaces;
 * letters without a keyword are left out. */
char *_mailsync_maildir_keywords_letters_to_keywords (MailsyncMaildirRepository *repo,
                                                      const char                *folder_path,
                                                      const char                *letters);

/* The letters of @keywords (unsorted, unique). With @allocate, a keyword
 * without one gets a free dovecot-keywords entry; those that still have
 * none (all 26 taken) are returned in @not_stored. NULL on a write error. */
char *_mailsync_maildir_keywords_to_letters (MailsyncMaildirRepository  *repo,
                                             const char                 *folder_path,
                                             const char * const         *keywords,
                                             gboolean                    allocate,
                                             GStrv                      *not_stored,
                                             GError                    **error);

/* Adds and removes keywords (space-separated) on messages; finish gives
 * the added keywords no letter was left for (not stored). */
void     _mailsync_maildir_folder_set_keywords_async  (MailsyncMaildirFolder  *self,
                                                       const guint32          *uids,
                                                       guint                   n_uids,
                                                       const char             *add,
                                                       const char             *remove,
                                                       GCancellable           *cancellable,
                                                       GAsyncReadyCallback     callback,
                                                       gpointer                user_data);
gboolean _mailsync_maildir_folder_set_keywords_finish (MailsyncMaildirFolder  *self,
                                                       GAsyncResult           *result,
                                                       GStrv                  *not_stored,
                                                       GError                **error);
/* Takes a task's GStrv of keywords not stored (NULL: none wanted); the
 * body of the finish above. */
gboolean _mailsync_maildir_keywords_take_not_stored   (GTask                  *task,
                                                       GStrv                  *not_stored,
                                                       GError                **error);

G_END_DECLS
