#pragma once

/* The plain status store's file formats (mailsync-status-plain.c has the
 * store: load, commit, fold, checkpoint, purge; mailsync-status-plain-format.c
 * reads what it wrote): offlineimap's LocalStatus file, the .meta file and
 * the .journal. The formats themselves are described at MailsyncStatusPlain. */

#include <glib.h>

#include "mailsync-status-base.h"

G_BEGIN_DECLS

#define PLAIN_MAGIC_PREFIX "OFFLINEIMAP LocalStatus CACHE DATA - DO NOT MODIFY - FORMAT "
#define PLAIN_FORMAT 2
#define META_MAGIC_PREFIX "MAILSYNC-META "
#define META_FORMAT 1

/* A folder's status as read from its three files: the rows and meta
 * entries, and where the journal's committed part ends. */
typedef struct
{
  MailsyncStatusRows rows;
  gsize       journal_length;   /* bytes of committed records in the journal */
  guint       journal_ops;      /* operations in those records */
  guint       journal_row_ops;  /* of which rows put or removed: the status file is behind */
  gboolean    status_exists;    /* the status file (offlineimap's) is there */
} PlainFolder;

void         _mailsync_status_plain_folder_free (PlainFolder *folder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlainFolder, _mailsync_status_plain_folder_free)

/* Reads a folder's status file (offlineimap FORMAT 1 or 2), its meta file
 * and replays its journal; a missing file is an empty part, damage is
 * MAILSYNC_STATUS_ERROR_CORRUPT naming the file and line. */
PlainFolder *_mailsync_status_plain_read_folder (const char  *status_path,
                                                 const char  *meta_path,
                                                 const char  *journal_path,
                                                 GError     **error);

/* Appends @text with the bytes that would break a "key=value" or
 * "M key value" line %-escaped. */
void         _mailsync_status_plain_append_escaped (GString    *out,
                                                    const char *text);

G_END_DECLS
