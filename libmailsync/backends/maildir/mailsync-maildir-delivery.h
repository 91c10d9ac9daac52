/* Low-level Maildir delivery helpers (internal): streaming copy with CRLF to
 * LF conversion, no-clobber rename (the header date lookup is the core's
 * _mailsync_header_date()). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Upper bound on the header block kept for Date: lookups. */
#define MAILSYNC_MAILDIR_MAX_HEADER 65536

/* Copies the message @bytes, or when it is NULL the stream @in, to the
 * file descriptor @fd, converting CRLF line ends to LF (offlineimap stores
 * LF; IMAP sends CRLF) without holding more than one buffer in memory. A
 * lone CR is kept. When @headers is not NULL it receives the converted
 * header block (up to and including the blank line, or at most
 * MAILSYNC_MAILDIR_MAX_HEADER bytes). @path only names the file in errors.
 * @expected_size (0: unknown) is the size the source listed: a smaller
 * message is read from @in with buffers of its size. */
gboolean _mailsync_maildir_copy_to_fd (GInputStream  *in,
                                       GBytes        *bytes,
                                       guint64        expected_size,
                                       int            fd,
                                       const char    *path,
                                       GString       *headers,
                                       guint64       *written,
                                       GCancellable  *cancellable,
                                       GError       **error);

/* Links @spool_fd, an unlinked O_TMPFILE file holding a message in Maildir
 * form (see _mailsync_spool_get_fd()), as @tmp_path instead of copying it;
 * collects its headers as _mailsync_maildir_copy_to_fd() does. Returns a
 * new fd on the file, or -1 with *@saved_errno (EEXIST: try another name;
 * EXDEV, ENOENT, ...: copy the stream instead). */
int      _mailsync_maildir_adopt_spool (int          spool_fd,
                                        const char  *tmp_path,
                                        GString     *headers,
                                        guint64     *size,
                                        int         *saved_errno);

/* An unnamed file for a new message in @tmp_dir (O_TMPFILE), opened for
 * reading and writing (a refused link copies it out:
 * _mailsync_maildir_name_anonymous()), or -1 when the file system or the
 * kernel has none, or /proc (through which it is linked) is missing, or a
 * link was refused before: the caller then creates a named tmp/ file.
 * Creating a named file holds the directory's lock while the file system
 * allocates the inode; the deliveries running in parallel wait on it, and
 * renaming out of tmp/ locks two directories. */
int      _mailsync_maildir_open_anonymous (const char *tmp_dir);

/* Gives the unnamed file @fd the name @to; fails with G_IO_ERROR_EXISTS
 * instead of replacing an existing @to, as
 * _mailsync_maildir_rename_noreplace(). */
gboolean _mailsync_maildir_link_anonymous (int          fd,
                                           const char  *to,
                                           GError     **error);

/* When the link of an unnamed file failed (not with EEXIST): copies the
 * file's bytes into @tmp_path (created exclusively; G_IO_ERROR_EXISTS
 * when taken), fsynced when @do_fsync, for the caller to rename into
 * place. When the link was @refused (EPERM, EACCES: a sandbox, a
 * security module) the process creates named tmp/ files only from then
 * on. @fd was
 * opened by _mailsync_maildir_open_anonymous() (readable). */
gboolean _mailsync_maildir_name_anonymous (int          fd,
                                           gboolean     refused,
                                           const char  *tmp_path,
                                           gboolean     do_fsync,
                                           GError     **error);

/* rename(2) that fails with G_IO_ERROR_EXISTS instead of replacing @to: two
 * messages must never collapse into one file. */
gboolean _mailsync_maildir_rename_noreplace (const char  *from,
                                             const char  *to,
                                             GError     **error);

G_END_DECLS
