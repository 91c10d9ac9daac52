/* Typed IMAP server responses (RFC 3501 §7, RFC 9051 §7). Internal.
 *
 * Responses are built by MailsyncImapParser and immutable afterwards; the
 * fields are public for reading. Free with mailsync_imap_response_unref(). */
#pragma once

#include <gio/gio.h>

#include "mailsync-enums.h"

G_BEGIN_DECLS

#include "mailsync-error.h"
#include "mailsync-imap-error.h"

/* ---- sequence / UID sets (RFC 3501 §9 sequence-set, RFC 4315 uid-set) ---- */

typedef struct
{
  guint32 first;
  guint32 last;   /* first <= last; "5:3" is stored as 3..5 (RFC 9051 §9) */
} MailsyncImapRange;

/* Parse "1:5,7,9:*" into a GArray of MailsyncImapRange, in wire order.
 * "*" becomes @star (pass 0 to reject "*", e.g. for uid-set in responses).
 * Fails (MAILSYNC_IMAP_ERROR_PARSE) on 0, overflow, empty elements such as
 * a trailing comma (CVE-2021-32055), or when the sets counts more than
 * @max_count numbers (0 = no limit). */
GArray  *mailsync_imap_seqset_parse (const char  *str,
                                     gsize        len,
                                     guint32      star,
                                     guint64      max_count,
                                     GError     **error);
/* How many numbers (with repetitions) a range array covers. */
guint64  mailsync_imap_seqset_count (const GArray *ranges);
gboolean mailsync_imap_seqset_contains (const GArray *ranges, guint32 n);

typedef struct
{
  const GArray *ranges;
  guint         index;
  guint64       next;
} MailsyncImapSeqsetIter;

void     mailsync_imap_seqset_iter_init (MailsyncImapSeqsetIter *iter,
                                         const GArray           *ranges);
gboolean mailsync_imap_seqset_iter_next (MailsyncImapSeqsetIter *iter,
                                         guint32                *n);

/* ---- response codes (RFC 3501 §7.1, 4315, 7162, 5530) ---- */

typedef enum
{
  MAILSYNC_IMAP_CODE_NONE,
  MAILSYNC_IMAP_CODE_OTHER,          /* unknown: name + raw args only */
  MAILSYNC_IMAP_CODE_ALERT,
  MAILSYNC_IMAP_CODE_BADCHARSET,
  MAILSYNC_IMAP_CODE_CAPABILITY,     /* strv */
  MAILSYNC_IMAP_CODE_PARSE,
  MAILSYNC_IMAP_CODE_PERMANENTFLAGS, /* strv */
  MAILSYNC_IMAP_CODE_READ_ONLY,
  MAILSYNC_IMAP_CODE_READ_WRITE,
  MAILSYNC_IMAP_CODE_TRYCREATE,
  MAILSYNC_IMAP_CODE_UIDNEXT,        /* number */
  MAILSYNC_IMAP_CODE_UIDVALIDITY,    /* number */
  MAILSYNC_IMAP_CODE_UNSEEN,         /* number */
  MAILSYNC_IMAP_CODE_APPENDUID,      /* number + dst_uids */
  MAILSYNC_IMAP_CODE_COPYUID,        /* number + src_uids + dst_uids */
  MAILSYNC_IMAP_CODE_UIDNOTSTICKY,
  MAILSYNC_IMAP_CODE_HIGHESTMODSEQ,  /* modseq */
  MAILSYNC_IMAP_CODE_NOMODSEQ,
  MAILSYNC_IMAP_CODE_MODIFIED,       /* src_uids */
  MAILSYNC_IMAP_CODE_CLOSED,
  MAILSYNC_IMAP_CODE_ALREADYEXISTS,
  MAILSYNC_IMAP_CODE_NONEXISTENT,
  MAILSYNC_IMAP_CODE_AUTHENTICATIONFAILED,
  MAILSYNC_IMAP_CODE_UNAVAILABLE,
  MAILSYNC_IMAP_CODE_OVERQUOTA,
  MAILSYNC_IMAP_CODE_LIMIT,
} MailsyncImapCodeKind;

typedef struct
{
  MailsyncImapCodeKind kind;
  char    *name;      /* upper-cased atom, e.g. "APPENDUID" */
  char    *raw_args;  /* text between the name and ']', or NULL */
  guint32  number;    /* UIDNEXT, UIDVALIDITY, UNSEEN, APPENDUID/COPYUID uidvalidity */
  guint64  modseq;    /* HIGHESTMODSEQ */
  GArray  *src_uids;  /* COPYUID source set, MODIFIED set (MailsyncImapRange) */
  GArray  *dst_uids;  /* APPENDUID / COPYUID destination set */
  char   **strv;      /* CAPABILITY, PERMANENTFLAGS, BADCHARSET */
} MailsyncImapCode;

/* ---- untagged data ---- */

typedef enum
{
  MAILSYNC_IMAP_DATA_NONE,        /* tagged, continuation or status (OK/NO/BAD/BYE/PREAUTH) */
  MAILSYNC_IMAP_DATA_UNKNOWN,     /* skipped; see data_name */
  MAILSYNC_IMAP_DATA_CAPABILITY,  /* strv */
  MAILSYNC_IMAP_DATA_ENABLED,     /* strv */
  MAILSYNC_IMAP_DATA_FLAGS,       /* strv */
  MAILSYNC_IMAP_DATA_LIST,        /* list */
  MAILSYNC_IMAP_DATA_LSUB,        /* list */
  MAILSYNC_IMAP_DATA_STATUS,      /* status */
  MAILSYNC_IMAP_DATA_EXISTS,      /* number */
  MAILSYNC_IMAP_DATA_RECENT,      /* number */
  MAILSYNC_IMAP_DATA_EXPUNGE,     /* number */
  MAILSYNC_IMAP_DATA_SEARCH,      /* search */
  MAILSYNC_IMAP_DATA_ESEARCH,     /* esearch */
  MAILSYNC_IMAP_DATA_VANISHED,    /* vanished */
  MAILSYNC_IMAP_DATA_NAMESPACE,   /* namespace */
  MAILSYNC_IMAP_DATA_ID,          /* id (NULL for "ID NIL") */
  MAILSYNC_IMAP_DATA_FETCH,       /* fetch */
} MailsyncImapDataKind;

/* LIST attributes we act on (RFC 3501 §7.2.2, RFC 5258, RFC 6154). */
typedef enum
{
  MAILSYNC_IMAP_LIST_NOINFERIORS   = 1 << 0,
  MAILSYNC_IMAP_LIST_NOSELECT      = 1 << 1,
  MAILSYNC_IMAP_LIST_MARKED        = 1 << 2,
  MAILSYNC_IMAP_LIST_UNMARKED      = 1 << 3,
  MAILSYNC_IMAP_LIST_NONEXISTENT   = 1 << 4,
  MAILSYNC_IMAP_LIST_SUBSCRIBED    = 1 << 5,
  MAILSYNC_IMAP_LIST_HASCHILDREN   = 1 << 6,
  MAILSYNC_IMAP_LIST_HASNOCHILDREN = 1 << 7,
  MAILSYNC_IMAP_LIST_ALL           = 1 << 8,
  MAILSYNC_IMAP_LIST_ARCHIVE       = 1 << 9,
  MAILSYNC_IMAP_LIST_DRAFTS        = 1 << 10,
  MAILSYNC_IMAP_LIST_FLAGGED       = 1 << 11,
  MAILSYNC_IMAP_LIST_JUNK          = 1 << 12,
  MAILSYNC_IMAP_LIST_SENT          = 1 << 13,
  MAILSYNC_IMAP_LIST_TRASH         = 1 << 14,
} MailsyncImapListFlags;

typedef struct
{
  char                **attributes;  /* as sent, e.g. "\\HasNoChildren" */
  MailsyncImapListFlags flags;
  char                  delimiter;   /* '\0' for NIL (flat namespace) */
  char                 *name_raw;    /* wire bytes (mUTF-7, or UTF-8 under UTF8=ACCEPT) */
  gsize                 name_raw_len;
  char                 *name;        /* UTF-8, "INBOX" normalised; NULL if not decodable */
} MailsyncImapList;

typedef enum
{
  MAILSYNC_IMAP_STATUS_ITEM_MESSAGES      = 1 << 0,
  MAILSYNC_IMAP_STATUS_ITEM_RECENT        = 1 << 1,
  MAILSYNC_IMAP_STATUS_ITEM_UIDNEXT       = 1 << 2,
  MAILSYNC_IMAP_STATUS_ITEM_UIDVALIDITY   = 1 << 3,
  MAILSYNC_IMAP_STATUS_ITEM_UNSEEN        = 1 << 4,
  MAILSYNC_IMAP_STATUS_ITEM_HIGHESTMODSEQ = 1 << 5,
  MAILSYNC_IMAP_STATUS_ITEM_SIZE          = 1 << 6,
  MAILSYNC_IMAP_STATUS_ITEM_APPENDLIMIT   = 1 << 7,  /* RFC 7889 */
} MailsyncImapStatusItems;

typedef struct
{
  char                   *name_raw;
  char                   *name;     /* decoded as for LIST */
  MailsyncImapStatusItems present;
  guint32                 messages, recent, uidnext, uidvalidity, unseen;
  guint64                 highestmodseq, size;
  guint64                 appendlimit;  /* 0: NIL, no limit */
} MailsyncImapStatusData;

typedef struct
{
  GArray  *numbers;   /* guint32, in wire order */
  guint64  modseq;    /* RFC 7162 "(MODSEQ n)", 0 if absent */
} MailsyncImapSearch;

typedef enum
{
  MAILSYNC_IMAP_ESEARCH_MIN    = 1 << 0,
  MAILSYNC_IMAP_ESEARCH_MAX    = 1 << 1,
  MAILSYNC_IMAP_ESEARCH_ALL    = 1 << 2,
  MAILSYNC_IMAP_ESEARCH_COUNT  = 1 << 3,
  MAILSYNC_IMAP_ESEARCH_MODSEQ = 1 << 4,
} MailsyncImapEsearchItems;

typedef struct
{
  char                    *tag;   /* search correlator, or NULL */
  gboolean                 uid;
  MailsyncImapEsearchItems present;
  guint32                  min, max, count;
  GArray                  *all;   /* MailsyncImapRange */
  guint64                  modseq;
} MailsyncImapEsearch;

typedef struct
{
  gboolean earlier;
  GArray  *uids;      /* MailsyncImapRange */
} MailsyncImapVanished;

typedef struct
{
  char *prefix_raw;
  char *prefix;       /* decoded; NULL if not decodable */
  char  delimiter;    /* '\0' for NIL */
} MailsyncImapNamespaceEntry;

typedef struct
{
  GPtrArray *personal; /* MailsyncImapNamespaceEntry; empty for NIL */
  GPtrArray *other;
  GPtrArray *shared;
} MailsyncImapNamespace;

typedef enum
{
  MAILSYNC_IMAP_FETCH_UID         = 1 << 0,
  MAILSYNC_IMAP_FETCH_FLAGS       = 1 << 1,
  MAILSYNC_IMAP_FETCH_RFC822_SIZE = 1 << 2,
  MAILSYNC_IMAP_FETCH_INTERNALDATE = 1 << 3,
  MAILSYNC_IMAP_FETCH_MODSEQ      = 1 << 4,
  MAILSYNC_IMAP_FETCH_X_GM_MSGID  = 1 << 5,
  MAILSYNC_IMAP_FETCH_X_GM_THRID  = 1 << 6,
  MAILSYNC_IMAP_FETCH_X_GM_LABELS = 1 << 7,
  MAILSYNC_IMAP_FETCH_EMAILID     = 1 << 8,
} MailsyncImapFetchFields;

/* One BODY[...] / BINARY[...] / RFC822 / RFC822.HEADER / RFC822.TEXT item. */
typedef struct
{
  char          *name;        /* upper-cased, e.g. "BODY[HEADER.FIELDS (X-A X-B)]", "RFC822" */
  char          *section;     /* what is between '[' and ']', or NULL */
  gboolean       has_origin;
  guint32        origin;      /* <n> partial origin */
  gboolean       is_nil;      /* NIL: e.g. expunged under us (RFC 2180) -- not empty data */
  GBytes        *data;        /* buffered content; NULL if NIL or streamed */
  GOutputStream *stream;      /* set when the literal handler streamed it */
  guint64        size;        /* content size in bytes */
} MailsyncImapFetchBody;

typedef struct
{
  guint32                 msn;
  MailsyncImapFetchFields present;
  guint32                 uid;
  MailsyncFlags           flags;
  char                  **keywords;   /* non-system flags, \Recent dropped */
  guint64                 rfc822_size;
  gint64                  internaldate; /* seconds since the epoch (UTC) */
  guint64                 modseq;
  guint64                 gm_msgid, gm_thrid;
  char                  **gm_labels;  /* as sent (astrings) */
  char                   *emailid;    /* RFC 8474 OBJECTID's EMAILID, as sent */
  GPtrArray              *bodies;     /* MailsyncImapFetchBody */
} MailsyncImapFetch;

/* ---- the response ---- */

typedef enum
{
  MAILSYNC_IMAP_RESPONSE_TAGGED,
  MAILSYNC_IMAP_RESPONSE_UNTAGGED,
  MAILSYNC_IMAP_RESPONSE_CONTINUATION,
} MailsyncImapResponseKind;

typedef enum
{
  MAILSYNC_IMAP_STATUS_NONE,   /* untagged data, continuation */
  MAILSYNC_IMAP_STATUS_OK,
  MAILSYNC_IMAP_STATUS_NO,
  MAILSYNC_IMAP_STATUS_BAD,
  MAILSYNC_IMAP_STATUS_BYE,
  MAILSYNC_IMAP_STATUS_PREAUTH,
} MailsyncImapStatus;

typedef struct
{
  /*< private >*/
  gint                     ref_count;
  /*< public >*/
  MailsyncImapResponseKind kind;
  char                    *tag;       /* tagged only */
  MailsyncImapStatus       status;
  MailsyncImapCode        *code;      /* [CODE args], or NULL */
  char                    *text;      /* human text (valid UTF-8), or NULL */
  MailsyncImapDataKind     data_kind;
  char                    *data_name; /* upper-cased keyword, e.g. "FETCH" */
  union
  {
    guint32                 number;   /* EXISTS, RECENT, EXPUNGE */
    char                  **strv;     /* CAPABILITY, ENABLED, FLAGS */
    MailsyncImapList       *list;
    MailsyncImapStatusData *status;
    MailsyncImapSearch     *search;
    MailsyncImapEsearch    *esearch;
    MailsyncImapVanished   *vanished;
    MailsyncImapNamespace  *namespace_;
    GHashTable             *id;       /* char* -> char* (NULL for NIL) */
    MailsyncImapFetch      *fetch;
  } u;
} MailsyncImapResponse;

MailsyncImapResponse *mailsync_imap_response_new   (MailsyncImapResponseKind kind);
MailsyncImapResponse *mailsync_imap_response_ref   (MailsyncImapResponse *response);
void                  mailsync_imap_response_unref (MailsyncImapResponse *response);

/* One-line summary for tests and logs, e.g. "* FETCH 3 UID=5 FLAGS=\Seen". */
char *mailsync_imap_response_to_string (const MailsyncImapResponse *response);

/* Find the first FETCH body item whose name is @name ("BODY[]"), or NULL. */
const MailsyncImapFetchBody *mailsync_imap_fetch_get_body (const MailsyncImapFetch *fetch,
                                                           const char              *name);

/* System flags of a flag list, keywords returned as a new strv (\Recent and
 * other unknown backslash flags dropped). */
MailsyncFlags mailsync_imap_flags_from_strv (const char *const *flags,
                                             char            ***keywords);

/* LIST attributes (RFC 3501, 5258, 6154) to flags, case-insensitive. */
MailsyncImapListFlags mailsync_imap_list_flags_from_strv (const char *const *attrs);

/* Parse an IMAP date-time "25-Nov-2026 17:06:43 +0000" (day may be
 * space-padded) to seconds since the epoch. RFC 3501 §9 date-time. */
gboolean mailsync_imap_parse_date_time (const char *str,
                                        gsize       len,
                                        gint64     *out);

/* Internal constructors/destructors used by the parser. */
MailsyncImapCode *mailsync_imap_code_new  (void);
void mailsync_imap_code_free        (MailsyncImapCode *code);
void mailsync_imap_list_free        (MailsyncImapList *list);
void mailsync_imap_status_data_free (MailsyncImapStatusData *status);
void mailsync_imap_search_free      (MailsyncImapSearch *search);
void mailsync_imap_esearch_free     (MailsyncImapEsearch *esearch);
void mailsync_imap_vanished_free    (MailsyncImapVanished *vanished);
void mailsync_imap_namespace_entry_free (MailsyncImapNamespaceEntry *entry);
void mailsync_imap_namespace_free   (MailsyncImapNamespace *ns);
void mailsync_imap_fetch_body_free  (MailsyncImapFetchBody *body);
MailsyncImapFetch *mailsync_imap_fetch_new (void);
void mailsync_imap_fetch_free       (MailsyncImapFetch *fetch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapResponse, mailsync_imap_response_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapCode, mailsync_imap_code_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapList, mailsync_imap_list_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapStatusData, mailsync_imap_status_data_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapSearch, mailsync_imap_search_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapEsearch, mailsync_imap_esearch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapVanished, mailsync_imap_vanished_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapNamespace, mailsync_imap_namespace_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapFetchBody, mailsync_imap_fetch_body_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncImapFetch, mailsync_imap_fetch_free)

G_END_DECLS
