/* Shared between the IMAP repository and its folders. Internal. */
#pragma once

#include "mailsync-imap-repository.h"
#include "mailsync-imap-folder.h"
#include "mailsync-imap-connection.h"
#include "mailsync-worker.h"
#include "config/mailsync-oauth2-private.h"

G_BEGIN_DECLS

/* The repository's one connection (opened by open_async), or NULL. */
MailsyncImapConnection *_mailsync_imap_repository_get_connection (MailsyncImapRepository *self);
/* Which folder is SELECTed on the connection (a folder re-selects when it
 * is not the one). */
MailsyncImapFolder     *_mailsync_imap_repository_get_selected (MailsyncImapRepository *self);
void                    _mailsync_imap_repository_set_selected (MailsyncImapRepository *self,
                                                                MailsyncImapFolder     *folder);
/* The thread every operation of the repository and its folders runs on. */
MailsyncWorker         *_mailsync_imap_repository_get_worker (MailsyncImapRepository *self);
/* On the worker: opens the connection if nobody did; a lost one is an error. */
gboolean                _mailsync_imap_repository_ensure_connected (MailsyncImapRepository *self,
                                                                    GCancellable           *cancellable,
                                                                    GError                **error);
void                    _mailsync_imap_repository_forget_selected (MailsyncImapRepository *self,
                                                                   MailsyncImapFolder     *folder);
/* On the worker: the mailbox last SELECTed on the connection, by wire name,
 * which outlives its folder object. */
void                    _mailsync_imap_repository_note_selected_name (MailsyncImapRepository *self,
                                                                      const char             *wire_name);
gboolean                _mailsync_imap_repository_may_have_selected  (MailsyncImapRepository *self,
                                                                      const char             *wire_name);
/* FALSE with expunge = no: deletions only flag \Deleted. */
gboolean                _mailsync_imap_repository_get_expunge  (MailsyncImapRepository *self);

MailsyncImapFolder     *_mailsync_imap_folder_new (MailsyncImapRepository *repository,
                                                   const char             *name,
                                                   const char             *wire_name);

/* The folder's stamp from the repository's LIST-STATUS answers (wire
 * name -> stamp), for its first unchanged probe (issue 13). */
void                    _mailsync_imap_folder_take_list_status (MailsyncImapFolder *self,
                                                                GHashTable         *statuses);

/* On the worker: SELECTs the folder unless it is the selected one. */
gboolean                _mailsync_imap_folder_ensure_selected (MailsyncImapFolder *self,
                                                               GCancellable       *cancellable,
                                                               GError            **error);

/* The unchanged-folder check (sync/mailsync-sync-unchanged.c): one STATUS
 * gives "UIDVALIDITY HIGHESTMODSEQ UIDNEXT MESSAGES", or NULL (no error)
 * without CONDSTORE; the listing stamp is the same from the last listing's
 * SELECT (NULL without CONDSTORE). */
void  _mailsync_imap_folder_probe_state_async  (MailsyncImapFolder  *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
char *_mailsync_imap_folder_probe_state_finish (MailsyncImapFolder  *self,
                                                GAsyncResult        *result,
                                                GError             **error);
char *_mailsync_imap_folder_dup_listing_stamp  (MailsyncImapFolder  *self);

/* OAuth2 (config/mailsync-config-credentials.c): @access_token (oauth2_access_token)
 * is used until the server refuses it; @refresher (oauth2_refresh_token)
 * gives tokens before the first login and after a refusal (once per
 * connect). Either may be NULL. Before the repository is opened. */
void  _mailsync_imap_repository_set_oauth2 (MailsyncImapRepository *self,
                                            const char             *access_token,
                                            MailsyncOAuth2         *refresher);

/* A command builder for @connection (may be NULL): under UTF8=ACCEPT its
 * strings, mailbox names among them, may be UTF-8. @name is the caller's
 * constant command words. */
MailsyncImapCommand *_mailsync_imap_command_new (MailsyncImapConnection *connection, const char *name);
/* @verb (LIST, LSUB, XLIST) with the reference (NULL: "") and the
 * pattern "*", both quoted strings, as they have always been sent. */
MailsyncImapCommand *_mailsync_imap_list_command (MailsyncImapConnection *connection, const char *verb,
                                                  const char *reference);

G_END_DECLS
