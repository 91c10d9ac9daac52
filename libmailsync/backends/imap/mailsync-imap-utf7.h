/* Modified UTF-7 for IMAP mailbox names (RFC 3501 §5.1.3). Internal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Encode a UTF-8 mailbox name to modified UTF-7. Returns NULL and sets a
 * MAILSYNC_IMAP_ERROR_FAILED error when @utf8 is not valid UTF-8 or holds a
 * NUL. @len may be -1 for a NUL-terminated string. */
char *mailsync_imap_utf7_encode (const char  *utf8,
                                 gssize       len,
                                 GError     **error);

/* Decode modified UTF-7 to UTF-8, strictly: the canonical encoding only, so
 * two different wire names never decode to the same name (a path collision).
 * Rejects: bytes outside printable US-ASCII, base64 outside the modified
 * alphabet (RFC 3501 uses ',' for '/'), an unterminated run, non-zero or
 * too many padding bits, encoded printable ASCII, adjacent runs, lone
 * surrogates and U+0000. Errors are MAILSYNC_IMAP_ERROR_PARSE. */
char *mailsync_imap_utf7_decode (const char  *mutf7,
                                 gssize       len,
                                 GError     **error);

G_END_DECLS
