/* IMAP command builder (RFC 3501 §6, RFC 7888 LITERAL+/LITERAL-, RFC 3516
 * literal8, RFC 6855 UTF8=ACCEPT). Internal, pure code without I/O.
 *
 * Nothing is hand-formatted: every argument goes through a typed adder that
 * picks the wire form (atom, quoted, literal) and refuses CR, LF and NUL
 * (the injection guard). The finished command is a list of chunks; the
 * connection sends them in order and, after a chunk marked
 * wait_continuation, waits for the server's "+" (a synchronizing literal,
 * RFC 3501 §7.5) before sending the rest.
 *
 *   cmd = mailsync_imap_command_new ("A1", "APPEND", flags, &error);
 *   mailsync_imap_command_add_mailbox (cmd, "Entwürfe", &error);
 *   mailsync_imap_command_add_flags (cmd, MAILSYNC_FLAG_SEEN, NULL, &error);
 *   mailsync_imap_command_add_date_time (cmd, t, 0, &error);
 *   mailsync_imap_command_add_literal (cmd, message, FALSE, &error);
 *   if (!mailsync_imap_command_finish (cmd, &error)) ...
 *   chunks = mailsync_imap_command_get_chunks (cmd, &n);
 *
 * Adders return FALSE with MAILSYNC_IMAP_ERROR_FAILED on a bad argument; a
 * command that had a failure also fails finish(), so callers may check only
 * there. */
#pragma once

#include <glib.h>

#include "mailsync-enums.h"

G_BEGIN_DECLS

typedef enum
{
  MAILSYNC_IMAP_COMMAND_NONE          = 0,
  MAILSYNC_IMAP_COMMAND_LITERAL_PLUS  = 1 << 0,  /* server has LITERAL+ */
  MAILSYNC_IMAP_COMMAND_LITERAL_MINUS = 1 << 1,  /* server has LITERAL- */
  MAILSYNC_IMAP_COMMAND_UTF8_ACCEPT   = 1 << 2,  /* UTF8=ACCEPT is enabled */
} MailsyncImapCommandFlags;

/* LITERAL- allows non-synchronizing literals up to this size (RFC 7888 §5) */
#define MAILSYNC_IMAP_LITERAL_MINUS_MAX 4096

typedef struct
{
  GBytes  *bytes;
  gboolean wait_continuation;  /* after this chunk, wait for "+" */
} MailsyncImapCommandChunk;

typedef struct _MailsyncImapCommand MailsyncImapCommand;

/* @name is one or more atoms separated by single spaces ("UID FETCH").
 * @tag NULL: no tag, for mailsync_imap_request_new_from_command(), which
 * the connection tags when it writes the command. */
MailsyncImapCommand *mailsync_imap_command_new  (const char               *tag,
                                                 const char               *name,
                                                 MailsyncImapCommandFlags  flags,
                                                 GError                  **error);
void                 mailsync_imap_command_free (MailsyncImapCommand *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapCommand, mailsync_imap_command_free)

const char *mailsync_imap_command_get_tag (MailsyncImapCommand *cmd);

gboolean mailsync_imap_command_add_atom      (MailsyncImapCommand *cmd, const char *atom, GError **error);
gboolean mailsync_imap_command_add_number    (MailsyncImapCommand *cmd, guint64 n, GError **error);
/* Trusted syntax such as "(UID FLAGS BODY.PEEK[])": printable ASCII only. */
gboolean mailsync_imap_command_add_raw       (MailsyncImapCommand *cmd, const char *text, GError **error);
/* astring: atom if safe, quoted if printable (UTF-8 under UTF8=ACCEPT),
 * otherwise a literal. CR, LF and NUL are refused. */
gboolean mailsync_imap_command_add_astring   (MailsyncImapCommand *cmd, const char *s, gssize len, GError **error);
/* string: as astring but never an atom. */
gboolean mailsync_imap_command_add_string    (MailsyncImapCommand *cmd, const char *s, gssize len, GError **error);
/* an astring that the log line shows as <redacted> (passwords, tokens) */
gboolean mailsync_imap_command_add_secret    (MailsyncImapCommand *cmd, const char *s, gssize len, GError **error);
/* UTF-8 name -> mUTF-7 (or UTF-8 under UTF8=ACCEPT); INBOX normalised. */
gboolean mailsync_imap_command_add_mailbox   (MailsyncImapCommand *cmd, const char *utf8_name, GError **error);
/* UIDs in any order, duplicates allowed -> "1:3,5,7:9" (0 refused). */
gboolean mailsync_imap_command_add_seqset    (MailsyncImapCommand *cmd, const guint32 *uids, gsize n_uids,
                                              GError **error);
/* A UID range "first:last", or "first:*" when @last is 0 (RFC 3501 §9
 * seq-range); 0 for @first is refused. */
gboolean mailsync_imap_command_add_range     (MailsyncImapCommand *cmd, guint32 first, guint32 last,
                                              GError **error);
/* A mailbox name already in its wire form (mUTF-7, or UTF-8 under
 * UTF8=ACCEPT): always a string, quoted, or a literal when it cannot be
 * quoted, never an atom, as offlineimap sends names. */
gboolean mailsync_imap_command_add_wire_mailbox (MailsyncImapCommand *cmd, const char *wire, GError **error);
/* "(\Seen \Flagged $Keyword)"; keywords must be atoms. */
gboolean mailsync_imap_command_add_flags     (MailsyncImapCommand *cmd, MailsyncFlags flags,
                                              const char *const *keywords, GError **error);
/* "25-Nov-2026 17:06:43 +0000" (RFC 3501 date-time), @tz_offset in seconds east of UTC */
gboolean mailsync_imap_command_add_date_time (MailsyncImapCommand *cmd, gint64 unix_time, int tz_offset,
                                              GError **error);
/* A SEARCH date "5-Nov-2026" (RFC 3501 §9 date, no time): the UTC day of
 * @unix_time. */
gboolean mailsync_imap_command_add_search_date (MailsyncImapCommand *cmd, gint64 unix_time, GError **error);
/* Message data: {n} / {n+} (or ~{n} literal8 for BINARY, RFC 3516, which
 * may hold NUL; a plain literal may not). Not copied. */
gboolean mailsync_imap_command_add_literal   (MailsyncImapCommand *cmd, GBytes *data, gboolean literal8,
                                              GError **error);
/* "(" and ")" around the next arguments. */
gboolean mailsync_imap_command_begin_list    (MailsyncImapCommand *cmd, GError **error);
gboolean mailsync_imap_command_end_list      (MailsyncImapCommand *cmd, GError **error);

/* Terminate with CRLF. Fails if any adder failed or a list is open. */
gboolean mailsync_imap_command_finish (MailsyncImapCommand *cmd, GError **error);
const MailsyncImapCommandChunk *mailsync_imap_command_get_chunks (MailsyncImapCommand *cmd, guint *n_chunks);
/* The command carries a secret that was not added with add_secret() (a
 * SASL initial response added raw): its text is wiped when it is freed
 * (the caller then sets the log text itself). */
void  mailsync_imap_command_set_secret (MailsyncImapCommand *cmd);
/* Whether the command carries a secret (add_secret() or set_secret()). */
gboolean mailsync_imap_command_is_secret (MailsyncImapCommand *cmd);
/* A finished command as the connection's requests hold it: @texts[0]
 * up to the first literal (without the "{n}" marker), each literal, and
 * @texts[i + 1] after literal i up to the CRLF. Returns the number of
 * literals; @literal8 says whether one is a ~{n} literal8. Owned by @cmd. */
guint mailsync_imap_command_get_segments (MailsyncImapCommand  *cmd,
                                          const char   *const **texts,
                                          GBytes       *const **literals,
                                          gboolean             *literal8);
/* Whether any chunk waits for a continuation. */
gboolean    mailsync_imap_command_needs_continuation (MailsyncImapCommand *cmd);
/* The command for the wire log: secrets redacted, literals summarised. */
const char *mailsync_imap_command_get_log_line (MailsyncImapCommand *cmd);
/* All chunks joined (tests; sends nothing). */
GBytes     *mailsync_imap_command_to_bytes (MailsyncImapCommand *cmd);

/* "1:3,5,7:9" from UIDs in any order; NULL for an empty array. */
char *mailsync_imap_format_seqset (const guint32 *uids, gsize n_uids);
/* RFC 3501 date-time without quotes. */
char *mailsync_imap_format_date_time (gint64 unix_time, int tz_offset);

G_END_DECLS
