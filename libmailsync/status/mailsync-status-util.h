/* Helpers shared by the status stores; not installed. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Creates @directory (mode 0700, with parents) if missing and fsyncs the
 * parent of every directory it created, so the new entries survive a
 * power loss together with the files later written in them. */
gboolean _mailsync_status_ensure_dir (const char  *directory,
                                      GError     **error);

/* unlink(2) that is quiet about a file already gone. */
gboolean _mailsync_status_unlink     (const char  *path,
                                      GError     **error);

G_END_DECLS
