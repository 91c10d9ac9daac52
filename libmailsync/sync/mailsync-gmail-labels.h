/* Gmail label sync (offlineimap's synclabels, reference §5.5 pass 4):
 * the account's settings, kept on the local GmailMaildir repository, and
 * the labels header of a local message file. Internal. */
#pragma once

#include <gio/gio.h>
#include "mailsync-repository.h"

G_BEGIN_DECLS

typedef struct
{
  char  *header;   /* labelsheader, default X-Keywords */
  char **ignore;   /* ignorelabels: never synced nor changed */
} MailsyncLabelsConfig;

/* Set on the local repository by the config when the account has
 * synclabels = yes with a Gmail remote and a GmailMaildir local. */
void                        _mailsync_labels_config_set (MailsyncRepository *local,
                                                         const char         *header,
                                                         const char *const  *ignore);
const MailsyncLabelsConfig *_mailsync_labels_config_get (MailsyncRepository *local);

/* A sorted, deduplicated copy of @labels without the ignored ones (a
 * NULL-terminated vector; Python's sorted() order, i.e. by code point). */
char  **_mailsync_labels_clean      (const MailsyncLabelsConfig *config,
                                     const char *const          *labels);
/* The status column: sorted labels joined with ", " ("" for none). */
char   *_mailsync_labels_status     (const char *const *labels);
/* The header value: "," between labels, " " for X-Label and Keywords. */
char   *_mailsync_labels_format     (const char        *header,
                                     const char *const *labels);
/* The labels of every @header field of @message (a whole message or its
 * header block), split by that header's separator. */
char  **_mailsync_labels_from_message (const char *header,
                                       const char *message,
                                       gsize       length);
/* @message with every @header field removed and "@header: @value" added
 * as the last header field, with the message's own line ending (as
 * offlineimap's email.message del + add_header). */
GBytes *_mailsync_labels_rewrite    (GBytes     *message,
                                     const char *header,
                                     const char *value);

/* The account's filterheaders (reference §2.4, §5.6): header names removed
 * from every message an IMAP folder of @repository receives. Kept on the
 * repository by the config, as the labels settings are; NULL for none. */
void                _mailsync_labels_filter_set (MailsyncRepository *repository,
                                                 const char *const  *headers);
const char *const  *_mailsync_labels_filter_get (MailsyncRepository *repository);
/* @message without any field named in @headers (case-insensitively, as
 * Python's email.message del does), the rest byte for byte; the header
 * block ends where the upload's server sees it end (a line of only CRs
 * before its LF is blank there). */
GBytes *_mailsync_labels_remove_fields (GBytes            *message,
                                        const char *const *headers);

G_END_DECLS
