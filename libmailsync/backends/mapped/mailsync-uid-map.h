/* offlineimap's UIDMapping file (reference §4.5): "<localuid>:<remoteuid>"
 * lines, rewritten whole (tmp + fsync + rename). We add "?<remoteuid>:<md5>"
 * lines for copies in progress, so that a crash between the APPEND and the
 * map update is recognised by content instead of copied twice. Internal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MailsyncUidMap MailsyncUidMap;

MailsyncUidMap *mailsync_uid_map_load (const char *path, GError **error);
void            mailsync_uid_map_free (MailsyncUidMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncUidMap, mailsync_uid_map_free)

guint32  mailsync_uid_map_to_remote (MailsyncUidMap *map, guint32 local);
guint32  mailsync_uid_map_to_local  (MailsyncUidMap *map, guint32 remote);
void     mailsync_uid_map_set       (MailsyncUidMap *map, guint32 local, guint32 remote);
void     mailsync_uid_map_remove_local (MailsyncUidMap *map, guint32 local);
/* Copies announced but not yet mapped: remote uid -> digest. */
void        mailsync_uid_map_add_pending    (MailsyncUidMap *map, guint32 remote, const char *digest);
void        mailsync_uid_map_remove_pending (MailsyncUidMap *map, guint32 remote);
GHashTable *mailsync_uid_map_get_pending    (MailsyncUidMap *map);
/* Drops every pending line (a listing that found no copy of them); the
 * next save writes the map without them. */
void        mailsync_uid_map_clear_pending  (MailsyncUidMap *map);
/* Keep only locals in @present (a set of local UIDs); returns whether any changed. */
gboolean mailsync_uid_map_prune (MailsyncUidMap *map, GHashTable *present);
gboolean mailsync_uid_map_save  (MailsyncUidMap *map, GError **error);

G_END_DECLS
