/* The account's folder names (mailsync-sync-folder-names.c). Not
 * installed. */
#pragma once

#include "mailsync-account-private.h"

G_BEGIN_DECLS

/* @name with every @from replaced by @to (a copy). */
char           *_mailsync_names_change_separator    (const char *name, char from, char to);
/* Rule 8: whether @name stays inside the store and the metadata directory. */
gboolean        _mailsync_names_name_is_safe        (const char *name);
/* Why name_is_safe() or status_name_is_safe() refuses @name. */
const char     *_mailsync_names_unsafe_name_reason  (const char *name);
/* Whether @name may name a status file (no side-file suffix). */
gboolean        _mailsync_names_status_name_is_safe (const char *name);
/* The local and the status name of @remote_folder. */
char           *_mailsync_names_local_name_for      (MailsyncAccount *self, MailsyncFolder *remote_folder);
char           *_mailsync_names_status_name_for     (MailsyncAccount *self, MailsyncFolder *remote_folder);
MailsyncFolder *_mailsync_names_find_folder         (GPtrArray *folders, const char *name);
gboolean        _mailsync_names_has_visible         (MailsyncRepository *repo, GPtrArray *folders,
                                                     const char *visible);
/* A folder @repo's listing left out on purpose (hidden-folders). */
gboolean        _mailsync_names_is_hidden           (MailsyncRepository *repo, const char *name);

G_END_DECLS
