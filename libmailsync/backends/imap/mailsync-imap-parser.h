/* IMAP response parser (RFC 3501 §7, RFC 9051 §7 and extensions). Internal,
 * pure code without I/O.
 *
 * Usage: feed whatever bytes arrived, split anywhere, then pop every
 * complete response:
 *
 *   if (!mailsync_imap_parser_feed (p, buf, n, &error))
 *     -> drop the connection (error is MAILSYNC_IMAP_ERROR_PARSE/_TOO_BIG,
 *        or the literal stream's write error); responses completed before
 *        the error can still be popped; the parser refuses further input.
 *   while ((r = mailsync_imap_parser_pop (p)) != NULL)
 *     dispatch (r);
 *
 * At EOF, mailsync_imap_parser_finish() reports a truncated response. */
#pragma once

#include "mailsync-imap-tokenizer.h"
#include "mailsync-imap-response.h"

G_BEGIN_DECLS

typedef struct _MailsyncImapParser MailsyncImapParser;

MailsyncImapParser   *mailsync_imap_parser_new  (void);
void                  mailsync_imap_parser_free (MailsyncImapParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapParser, mailsync_imap_parser_free)

/* Defaults: MAILSYNC_IMAP_DEFAULT_MAX_LINE (1 MiB of line text per
 * response, literals excluded), _MAX_LITERAL (512 MiB per literal and for
 * the buffered literals of one response), _MAX_DEPTH (64). */
void mailsync_imap_parser_set_limits (MailsyncImapParser *parser,
                                      gsize               max_line,
                                      guint64             max_literal,
                                      guint               max_depth);
/* After ENABLE UTF8=ACCEPT (RFC 6855) mailbox names are UTF-8, not mUTF-7. */
void mailsync_imap_parser_set_utf8_accept (MailsyncImapParser *parser,
                                           gboolean            utf8_accept);
/* Tolerate LF without CR (broken servers); off by default. */
void mailsync_imap_parser_set_allow_bare_lf (MailsyncImapParser *parser,
                                             gboolean            allow);
/* See MailsyncImapLiteralHandler: FETCH body literals go to a stream. */
void mailsync_imap_parser_set_literal_handler (MailsyncImapParser        *parser,
                                               MailsyncImapLiteralHandler handler,
                                               gpointer                   user_data,
                                               GDestroyNotify             destroy);

gboolean              mailsync_imap_parser_feed   (MailsyncImapParser *parser,
                                                   const guint8       *data,
                                                   gsize               len,
                                                   GError            **error);
/* The next complete response (transfer full), or NULL. */
MailsyncImapResponse *mailsync_imap_parser_pop    (MailsyncImapParser *parser);
/* The stream ended: fails if a response was cut off. */
gboolean              mailsync_imap_parser_finish (MailsyncImapParser *parser,
                                                   GError            **error);
/* TRUE when no partial response is buffered. */
gboolean              mailsync_imap_parser_is_idle (MailsyncImapParser *parser);

G_END_DECLS
