/* Keyword sync (issue 10 item 3): what the runner asks of a folder about
 * keywords, whatever its backend (internal; mailsync-keywords.c). */
#pragma once

#include "mailsync-folder.h"

G_BEGIN_DECLS

/* Whether @folder can take part in keyword sync (IMAP, Maildir, the
 * local IMAP folder of an IMAP<->IMAP account). */
gboolean _mailsync_keywords_supported (MailsyncFolder *folder);

/* Whether @folder can store @keyword: an IMAP folder whose PERMANENTFLAGS
 * lists \* or @keyword (or says nothing); every other folder TRUE. */
gboolean _mailsync_keywords_can_store (MailsyncFolder *folder, const char *keyword);

/* Adds and removes keywords (space-separated) on @uids. finish gives the
 * added keywords the folder could not store (NULL or empty: all). */
void     _mailsync_keywords_set_async  (MailsyncFolder      *folder,
                                        const guint32       *uids,
                                        guint                n_uids,
                                        const char          *add,
                                        const char          *remove,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean _mailsync_keywords_set_finish (MailsyncFolder  *folder,
                                        GAsyncResult    *result,
                                        GStrv           *not_stored,
                                        GError         **error);

/* The Maildir letters of a status row's flags, and back: the status keeps
 * a local Maildir's keywords as the letters of its file names (a
 * customflag letter or a dovecot-keywords one), as offlineimap keeps the
 * customflag letters. NULL @folder or one without letters: "" / no letters. */
char    *_mailsync_keywords_from_letters (MailsyncFolder *folder, const char *letters);
char    *_mailsync_keywords_to_letters   (MailsyncFolder *folder, const char *keywords);
gboolean _mailsync_keywords_has_letters  (MailsyncFolder *folder);

/* Letters for the new keywords of a batch of messages about to be
 * written in parallel (downloads, keyword stores), given in UID order
 * before any of them runs: @uids and @keywords (space-separated, NULL or
 * "" for none) are parallel arrays, in any order. Without it a keyword
 * new to a Maildir took the next free dovecot-keywords letter in the
 * order the parallel writes happened to run, so two runs on fresh
 * Maildirs lettered one mailbox differently (doc/design.md "Keywords
 * both ways"). A folder without letters: nothing. A failure to write the
 * file goes to the debug log only: each write then tries again and
 * leaves out what it cannot store, as before. */
void     _mailsync_keywords_reserve      (MailsyncFolder      *folder,
                                          const char          *label,
                                          const guint32       *uids,
                                          const char * const  *keywords,
                                          guint                n);

/* An IMAP<->IMAP account's local folder (an IMAP folder behind a UID
 * map) has no letters: the status keeps its keywords by name in the
 * labels column, which offlineimap uses only for Gmail labels
 * (doc/design.md). @labels: offlineimap's labels format, ", "-joined;
 * a keyword with a comma cannot be written there and is left out. */
gboolean _mailsync_keywords_in_labels    (MailsyncFolder *folder);
char    *_mailsync_keywords_to_labels    (const char *keywords);
char    *_mailsync_keywords_from_labels  (const char *labels);

G_END_DECLS
