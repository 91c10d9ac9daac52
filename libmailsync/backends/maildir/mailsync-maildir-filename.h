/* Maildir file names as offlineimap writes and reads them (internal).
 *
 * offlineimap names every message file
 *   <T>_<SEQ>.<PID>.<HOST>,U=<UID>,FMD5=<md5hex>:2,<FLAGS>
 * and trusts U= only when FMD5= is the md5 of the folder's own visible name,
 * so a file copied in from another folder is treated as new mail instead of
 * clobbering an unrelated UID. Everything here is pure string work: no I/O,
 * no GObject, so it can be table-tested and fuzzed. */
#pragma once

#include <glib.h>
#include "../../mailsync-enums.h"

G_BEGIN_DECLS

/* The 32 lower-case hex digits of an MD5 plus NUL. */
#define MAILSYNC_MAILDIR_MD5_LEN 32

typedef struct
{
  /* The unique part: everything before the info separator ("<T>_<SEQ>...
   * ,U=1,FMD5=..."); the whole name when there is no ":2," info. */
  char    *base;
  /* Digits after ",U=" in @base, 0 when absent, zero or out of range. */
  guint32  uid;
  /* The 32 hex digits after ",FMD5=" in @base, or NULL. */
  char    *fmd5;
  /* The flag letters after ":2," exactly as found (offlineimap's `\w*`),
   * "" when there is no info part. */
  char    *flags;
  /* Whatever follows the flag letters (normally ""); kept on renames so that
   * no byte of a name we do not understand is lost. */
  char    *tail;
  /* ':' or '!' (maildir-windows-compatible), 0 when there is no ":2,". */
  char     info_sep;
  /* The file's size from ",S=<digits>" in @base (Dovecot's and
   * maildrop's Maildir++ names), -1 when absent or out of range. */
  gint64   size;
} MailsyncMaildirName;

/* Where the parts of a name are, as offsets into it: what
 * _mailsync_maildir_name_view() finds without allocating (a folder's
 * listing reads every name of new/ and cur/ this way, issue 13 item 2).
 * The same parts as MailsyncMaildirName, which _mailsync_maildir_name_parse()
 * copies out of a view. */
typedef struct
{
  gsize    base_len;   /* the unique part: name[0, base_len) */
  gsize    flags_off;  /* the flag letters: name[flags_off, flags_off + flags_len) */
  gsize    flags_len;
  gsize    tail_off;   /* the tail: name + tail_off to the end */
  gsize    fmd5_off;   /* the FMD5= hex digits, when fmd5_len > 0 */
  gsize    fmd5_len;
  guint32  uid;        /* as MailsyncMaildirName's */
  char     info_sep;
  gint64   size;
} MailsyncMaildirNameView;

void     _mailsync_maildir_name_view (const char              *name,
                                      MailsyncMaildirNameView *out);

/* _mailsync_maildir_name_get_uid_for() of a view of @name. */
guint32  _mailsync_maildir_name_view_uid_for (const char                    *name,
                                              const MailsyncMaildirNameView *view,
                                              const char                    *folder_md5);

/* Splits @name into its parts. Never fails: any string is a valid Maildir
 * unique name; a name without ":2," just has no flags. */
void     _mailsync_maildir_name_parse (const char          *name,
                                       MailsyncMaildirName *out);
void     _mailsync_maildir_name_clear (MailsyncMaildirName *name);

/* The UID @name carries for the folder whose md5 is @folder_md5: the U= value
 * when FMD5= matches, else 0 (new local mail, offlineimap's negative UID). */
guint32  _mailsync_maildir_name_get_uid_for (const MailsyncMaildirName *name,
                                             const char                *folder_md5);

/* The part of a message's name that no rename changes: @name (or a
 * listing key "new/<name>", "cur/<name>") without its directory, info
 * part (":2,<flags>") and ",U=" / ",FMD5=" fields. */
char    *_mailsync_maildir_name_identity (const char *name);

/* Lower-case hex MD5 of @visible_name (UTF-8), offlineimap's FMD5. */
char    *_mailsync_maildir_folder_md5 (const char *visible_name);

/* The next sequence number for timestamp @t in this process: 0 for the first
 * name built for @t, then 1, 2... (offlineimap's _gettimeseq). Thread-safe. */
guint    _mailsync_maildir_next_seq (gint64 t);

/* The host part of new names: gethostname() with '/' (and ':' and '!', which
 * would be taken for the info separator) replaced by '-'. Cached. */
const char *_mailsync_maildir_hostname (void);

/* The random digits of a name mark (5 bits each: 50 bits). */
#define MAILSYNC_MAILDIR_MARK_DIGITS 10

/* A fresh name mark: "R" and MAILSYNC_MAILDIR_MARK_DIGITS random digits
 * (0-9, a-v), which every name a Maildir repository builds carries after
 * its pid (one per repository object, mailsync-maildir-repository.c), so
 * that the downloads entry can tell that repository's files from those
 * of another process with the same pid and host, or of another
 * repository of the same process (doc/design.md "A killed run's
 * downloads", session 19). */
char    *_mailsync_maildir_name_mark_new (void);

/* "<PID><mark>.<HOST>" of the names this process builds with @mark
 * (nullable: "<PID>.<HOST>", the form of offlineimap's names and of
 * older builds'), with any white space of the host written '-' (a word:
 * the downloads entry of the engine's status keeps it, doc/design.md "A
 * killed run's downloads"). */
char    *_mailsync_maildir_name_stem (const char *mark);
/* Whether @name (or a listing key "new/<name>", "cur/<name>") is
 * "<T>_<SEQ>.<stem>" up to its first ',' or its info part: a name
 * _mailsync_maildir_name_build() gave in the process of @stem, with the
 * mark @stem has. */
gboolean _mailsync_maildir_name_has_stem (const char *name,
                                          const char *stem);

/* Builds "<T>_<SEQ>.<PID><mark>.<HOST>,U=<uid>,FMD5=<md5><sep>2,<flags>"
 * with a fresh SEQ. @flags must already be sorted (see
 * _mailsync_maildir_flags_sort). @uid 0 builds a name without
 * ",U=...,FMD5=..." (used for tmp files). @mark: the repository's
 * (_mailsync_maildir_name_mark_new()), or NULL for none. */
char    *_mailsync_maildir_name_build (gint64      t,
                                       guint32     uid,
                                       const char *fmd5,
                                       const char *flags,
                                       char        info_sep,
                                       const char *mark);

/* Rebuilds @name with new flag letters, keeping base and tail. */
char    *_mailsync_maildir_name_with_flags (const MailsyncMaildirName *name,
                                            const char                *flags,
                                            char                       default_sep);

/* @name with the UID fields of this folder: "<base without U=/FMD5=>,
 * U=<uid>,FMD5=<md5><sep>2,<flags><tail>" (mailsync-maildir-filename.c). */
char    *_mailsync_maildir_name_with_uid (const MailsyncMaildirName *name,
                                          guint32                    uid,
                                          const char                *md5,
                                          char                       default_sep);

/* The name @name gets in another folder: without the UID fields of the
 * folder it leaves, with those of the destination when @uid is not 0. */
char    *_mailsync_maildir_name_for_destination (const MailsyncMaildirName *name,
                                                 guint32                    uid,
                                                 const char                *md5,
                                                 char                       default_sep);

/* Sorts @letters in ASCII order and drops duplicates (offlineimap sorts). */
char    *_mailsync_maildir_flags_sort (const char *letters);

/* Applies @add / @remove (system flags only) to @letters and sorts. Letters
 * that are not system flags (P, lowercase keywords, anything else) are kept:
 * stripping them is offlineimap's flip-flop bug. */
char    *_mailsync_maildir_flags_apply (const char    *letters,
                                        MailsyncFlags  add,
                                        MailsyncFlags  remove);

G_END_DECLS
