/* The IMAP response parser's pieces shared by its files (private): the
 * parser object, the per-frame context every grammar function reads
 * through, and the functions one file defines and another calls.
 * mailsync-imap-parser.c holds the push-parser core (feeding, framing,
 * dispatch) and the small shared readers; -codes.c the response codes and
 * resp-text; -data.c the untagged data other than FETCH; -fetch.c FETCH. */
#pragma once

#include "mailsync-imap-parser.h"

G_BEGIN_DECLS

/* RFC 7162 §7: mod-sequence-value = 1*DIGIT, < 2^63 */
#define MAX_MODSEQ ((guint64) G_MAXINT64)

struct _MailsyncImapParser
{
  MailsyncImapTokenizer *tok;
  GQueue                 queue;
  guint                  max_depth;
  gboolean               utf8_accept;
  gboolean               dead;
};

typedef struct
{
  MailsyncImapParser *parser;
  MailsyncImapCursor  c;
  guint32             msn;     /* the number before FETCH */
} Ctx;

typedef gboolean (*ParseFunc) (Ctx *x, MailsyncImapResponse *r, GError **error);

#define C (&x->c)


/* mailsync-imap-parser.c: the shared pieces */
gboolean _mailsync_imap_parser_skip_spaces (Ctx *x);
gboolean _mailsync_imap_parser_number64 (Ctx *x, guint64 *out, GError **error);
char * _mailsync_imap_parser_read_flag (Ctx *x, GError **error);
gboolean _mailsync_imap_parser_flag_list (Ctx *x, char ***out, GError **error);
gboolean _mailsync_imap_parser_atom_list (Ctx *x, int stop, char ***out, GError **error);
GArray * _mailsync_imap_parser_read_set (Ctx *x, guint32 star, GError **error);
gboolean _mailsync_imap_parser_read_mailbox (Ctx *x, char **raw, gsize *raw_len, char **name, GError **error);
gboolean _mailsync_imap_parser_read_delimiter (Ctx *x, char *out, GError **error);

/* mailsync-imap-parser-codes.c: response codes and resp-text */
gboolean _mailsync_imap_parser_resp_text (Ctx *x, MailsyncImapResponse *r, GError **error);

/* mailsync-imap-parser-data.c: untagged data */
gboolean _mailsync_imap_parser_status_response (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_atoms (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_flags (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_list (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_status (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_search (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_esearch (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_vanished (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_namespace (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_id (Ctx *x, MailsyncImapResponse *r, GError **error);
gboolean _mailsync_imap_parser_unknown (Ctx *x, MailsyncImapResponse *r, GError **error);

/* mailsync-imap-parser-fetch.c: FETCH */
gboolean _mailsync_imap_parser_fetch (Ctx *x, MailsyncImapResponse *r, GError **error);

G_END_DECLS
