/* Glue between the Maildir repository and its folders (internal). */
#pragma once

#include "mailsync-maildir-repository.h"
#include "mailsync-maildir-folder.h"

G_BEGIN_DECLS

/* The per-folder file of assign-uids mode: "<uidvalidity> <next-uid>\n". */
#define MAILSYNC_MAILDIR_UID_FILE ".mailsync-uidvalidity"

/* offlineimap's UIDVALIDITY for every Maildir folder. */
#define MAILSYNC_MAILDIR_DEFAULT_UIDVALIDITY 42

MailsyncMaildirFolder *_mailsync_maildir_folder_new (MailsyncMaildirRepository *repository,
                                                     const char                *name);

/* Rejects folder names that could reach outside the root or that the
 * separator cannot represent (MAILSYNC_ERROR_UNSAFE_NAME). */
gboolean _mailsync_maildir_check_folder_name (const char  *name,
                                              char         separator,
                                              GError     **error);

/* The folder's directory: root for "", else root/name. */
char    *_mailsync_maildir_repository_folder_path (MailsyncMaildirRepository *self,
                                                   const char                *name);

/* customflag_<letter>: keyword for a lowercase letter (or NULL), and back. */
char    *_mailsync_maildir_repository_dup_keyword (MailsyncMaildirRepository *self,
                                                   char                       letter);
char     _mailsync_maildir_repository_letter_for (MailsyncMaildirRepository *self,
                                                  const char                *keyword);

/* Serialises UID allocation of every folder of the repository, so that two
 * folder objects for the same directory never hand out the same UID. */
GMutex  *_mailsync_maildir_repository_get_uid_lock (MailsyncMaildirRepository *self);

/* The mark every name the repository's folders build carries after the
 * pid (_mailsync_maildir_name_mark_new(), made once per repository
 * object): the downloads entry keeps it with the pid and host, so that
 * only this repository's files count as a killed run's downloads, not
 * those of another process with the same pid and host (a container that
 * runs every sync as the same pid), nor another repository's of the same
 * long-lived process (doc/design.md "A killed run's downloads"). */
const char *_mailsync_maildir_repository_get_name_mark (MailsyncMaildirRepository *self);

/* Renames message @uid of @self into @dest's cur/ with UID @new_uid there
 * (U= and FMD5= of @dest), keeping its flags: one rename(2). */
gboolean _mailsync_maildir_folder_move_message (MailsyncMaildirFolder  *self,
                                                guint32                 uid,
                                                MailsyncMaildirFolder  *dest,
                                                guint32                 new_uid,
                                                GError                **error);

/* The directory tree (mailsync-maildir-tree.c) ------------------------- */

/* TRUE when @path has cur/, new/ and tmp/ directories. */
gboolean _mailsync_maildir_is_maildir (const char *path);

/* Sorted entry names of @path (stable listings make stable tests and logs). */
GPtrArray *_mailsync_maildir_list_dir_sorted (const char  *path,
                                              GError     **error);

/* Appends a folder object for every Maildir below @dir_path to @out, named
 * with @prefix and the repository's separator; recurses for '/'. */
gboolean _mailsync_maildir_scan_folders (MailsyncMaildirRepository  *self,
                                         const char                 *dir_path,
                                         const char                 *prefix,
                                         guint                       depth,
                                         GPtrArray                  *out,
                                         GCancellable               *cancellable,
                                         GError                    **error);

/* Creates @path and missing parents (0700), durable when @do_fsync. */
gboolean _mailsync_maildir_make_dirs_durable (const char  *path,
                                              gboolean     do_fsync,
                                              GError     **error);

/* Removes the regular files directly inside @dir (tmp/ leftovers). */
gboolean _mailsync_maildir_remove_files_in (const char  *dir,
                                            GError     **error);

/* Whether a folder's new/ or cur/ holds any entry but dot files. */
gboolean _mailsync_maildir_has_messages (const char  *folder_path,
                                         gboolean    *out,
                                         GError     **error);

/* mailsync-maildir-tree.c: MailsyncRepositoryClass.describe (the root) */
GVariant *_mailsync_maildir_repository_describe (MailsyncRepository *repo);

G_END_DECLS
