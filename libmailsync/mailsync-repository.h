#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <gio/gio.h>
#include "mailsync-version-macros.h"
#include "mailsync-folder.h"
#include "mailsync-interaction.h"

G_BEGIN_DECLS

/**
 * MAILSYNC_TYPE_REPOSITORY:
 *
 * The #GType of #MailsyncRepository, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_REPOSITORY (mailsync_repository_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (MailsyncRepository, mailsync_repository, MAILSYNC, REPOSITORY, GObject)

/**
 * MailsyncRepositoryStatistics:
 *
 * What a repository counted of its traffic with a server (an opaque
 * snapshot, read with its getters): see mailsync_repository_get_statistics().
 *
 * Since: 0.1
 */
typedef struct _MailsyncRepositoryStatistics MailsyncRepositoryStatistics;

/**
 * MAILSYNC_TYPE_REPOSITORY_STATISTICS:
 *
 * The #GType of the boxed #MailsyncRepositoryStatistics.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_REPOSITORY_STATISTICS (mailsync_repository_statistics_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_repository_statistics_get_type (void) G_GNUC_CONST;

/**
 * MailsyncNameFunc:
 * @name: a folder name in the repository's own namespace
 * @user_data: closure data
 *
 * A folder name translation (offlineimap's `nametrans`). A translation
 * that cannot name the folder (say the user's expression raised) calls
 * mailsync_repository_refuse_folder() and returns %NULL: the engine then
 * fails that folder rather than sync it under a guessed name.
 *
 * Returns: (transfer full) (nullable): the translated name, or %NULL to
 *   refuse the folder
 *
 * Since: 0.1
 */
typedef char *(*MailsyncNameFunc) (const char *name, gpointer user_data);

/**
 * MailsyncFolderFilterFunc:
 * @name: a folder name in the repository's own namespace
 * @user_data: closure data
 *
 * Decides whether a folder takes part in the sync (offlineimap's `folderfilter`).
 * A filter that cannot decide calls mailsync_repository_refuse_folder()
 * and returns %FALSE: the engine fails that folder.
 *
 * Returns: %TRUE to sync the folder
 *
 * Since: 0.1
 */
typedef gboolean (*MailsyncFolderFilterFunc) (const char *name, gpointer user_data);

/**
 * MailsyncRepositoryClass:
 * @open_async: check the store is there and usable (connect, log in...)
 * @open_finish: finish
 * @list_folders_async: list the folders
 * @list_folders_finish: finish; returns a #GPtrArray of #MailsyncFolder and
 *   a reference to each (transfer full), like
 *   #MailsyncFolderClass.list_messages_finish
 * @create_folder_async: create a folder (and its parents) by native name
 * @create_folder_finish: finish; returns the new #MailsyncFolder
 * @delete_folder_async: delete a folder by native name
 * @delete_folder_finish: finish
 * @close_async: release connections
 * @close_finish: finish
 * @describe: what the repository is and where (an `a{sv}` dictionary,
 *   see mailsync_repository_describe()); the base class gives "kind",
 *   "name" and "separator", a backend chains up and adds its own keys
 * @get_statistics: a new snapshot of the repository's traffic counters,
 *   or %NULL when it keeps none (the default)
 *
 * The backend contract for a repository.
 *
 * Since: 0.1
 */
struct _MailsyncRepositoryClass
{
  GObjectClass parent_class;

  void            (*open_async)           (MailsyncRepository   *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
  gboolean        (*open_finish)          (MailsyncRepository   *self,
                                           GAsyncResult         *result,
                                           GError              **error);
  void            (*list_folders_async)   (MailsyncRepository   *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
  GPtrArray      *(*list_folders_finish)  (MailsyncRepository   *self,
                                           GAsyncResult         *result,
                                           GError              **error);
  void            (*create_folder_async)  (MailsyncRepository   *self,
                                           const char           *name,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
  MailsyncFolder *(*create_folder_finish) (MailsyncRepository   *self,
                                           GAsyncResult         *result,
                                           GError              **error);
  void            (*delete_folder_async)  (MailsyncRepository   *self,
                                           const char           *name,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
  gboolean        (*delete_folder_finish) (MailsyncRepository   *self,
                                           GAsyncResult         *result,
                                           GError              **error);
  void            (*close_async)          (MailsyncRepository   *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
  gboolean        (*close_finish)         (MailsyncRepository   *self,
                                           GAsyncResult         *result,
                                           GError              **error);
  GVariant       *(*describe)             (MailsyncRepository   *self);
  MailsyncRepositoryStatistics *(*get_statistics) (MailsyncRepository *self);

  /*< private >*/
  gpointer padding[6];
};

/* Declared here rather than in mailsync-folder.h: the repository type
 * exists only after G_DECLARE_DERIVABLE_TYPE above (C99 forbids repeating
 * its typedef there). */
MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepository *mailsync_folder_get_repository (MailsyncFolder *self);

MAILSYNC_AVAILABLE_IN_ALL
const char *mailsync_repository_get_name         (MailsyncRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
char        mailsync_repository_get_separator    (MailsyncRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_repository_get_readonly     (MailsyncRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_repository_set_readonly     (MailsyncRepository *self,
                                                  gboolean            readonly);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_repository_get_create_folders (MailsyncRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_repository_set_create_folders (MailsyncRepository *self,
                                                    gboolean            create_folders);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_repository_get_sync_deletes (MailsyncRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_repository_set_sync_deletes (MailsyncRepository *self,
                                                  gboolean            sync_deletes);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_repository_set_nametrans    (MailsyncRepository *self,
                                                  MailsyncNameFunc    func,
                                                  gpointer            user_data,
                                                  GDestroyNotify      destroy);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_repository_set_folder_filter (MailsyncRepository       *self,
                                                   MailsyncFolderFilterFunc  func,
                                                   gpointer                  user_data,
                                                   GDestroyNotify            destroy);
MAILSYNC_AVAILABLE_IN_ALL
char       *mailsync_repository_translate_name   (MailsyncRepository *self,
                                                  const char         *name);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_repository_includes_folder  (MailsyncRepository *self,
                                                  const char         *name);
MAILSYNC_AVAILABLE_IN_ALL
void        mailsync_repository_refuse_folder    (MailsyncRepository *self,
                                                  const char         *name,
                                                  const GError       *error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean    mailsync_repository_check_folder     (MailsyncRepository  *self,
                                                  const char          *name,
                                                  GError             **error);

MAILSYNC_AVAILABLE_IN_ALL
void            mailsync_repository_open_async          (MailsyncRepository   *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean        mailsync_repository_open_finish         (MailsyncRepository   *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void            mailsync_repository_list_folders_async  (MailsyncRepository   *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
GPtrArray      *mailsync_repository_list_folders_finish (MailsyncRepository   *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void            mailsync_repository_create_folder_async (MailsyncRepository   *self,
                                                         const char           *name,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncFolder *mailsync_repository_create_folder_finish (MailsyncRepository   *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void            mailsync_repository_delete_folder_async (MailsyncRepository   *self,
                                                         const char           *name,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean        mailsync_repository_delete_folder_finish (MailsyncRepository   *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
void            mailsync_repository_close_async         (MailsyncRepository   *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
gboolean        mailsync_repository_close_finish        (MailsyncRepository   *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

MAILSYNC_AVAILABLE_IN_ALL
void            mailsync_repository_list_folder_info_async  (MailsyncRepository   *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MAILSYNC_AVAILABLE_IN_ALL
GPtrArray      *mailsync_repository_list_folder_info_finish (MailsyncRepository   *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
GPtrArray      *mailsync_repository_list_folder_info        (MailsyncRepository   *self,
                                                             GCancellable         *cancellable,
                                                             GError              **error);

MAILSYNC_AVAILABLE_IN_ALL
gboolean        mailsync_repository_open                (MailsyncRepository   *self,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
GPtrArray      *mailsync_repository_list_folders        (MailsyncRepository   *self,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncFolder *mailsync_repository_create_folder       (MailsyncRepository   *self,
                                                         const char           *name,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean        mailsync_repository_delete_folder       (MailsyncRepository   *self,
                                                         const char           *name,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean        mailsync_repository_close               (MailsyncRepository   *self,
                                                         GCancellable         *cancellable,
                                                         GError              **error);

MAILSYNC_AVAILABLE_IN_ALL
void                 mailsync_repository_set_interaction (MailsyncRepository  *self,
                                                          MailsyncInteraction *interaction);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncInteraction *mailsync_repository_dup_interaction (MailsyncRepository  *self);

MAILSYNC_AVAILABLE_IN_ALL
GVariant                     *mailsync_repository_describe          (MailsyncRepository *self);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepositoryStatistics *mailsync_repository_get_statistics    (MailsyncRepository *self);

MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepositoryStatistics *mailsync_repository_statistics_new    (void);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncRepositoryStatistics *mailsync_repository_statistics_copy   (const MailsyncRepositoryStatistics *stats);
MAILSYNC_AVAILABLE_IN_ALL
void                          mailsync_repository_statistics_free   (MailsyncRepositoryStatistics *stats);
MAILSYNC_AVAILABLE_IN_ALL
guint64 mailsync_repository_statistics_get_bytes_received (const MailsyncRepositoryStatistics *stats);
MAILSYNC_AVAILABLE_IN_ALL
void    mailsync_repository_statistics_set_bytes_received (MailsyncRepositoryStatistics *stats,
                                                           guint64                       bytes);
MAILSYNC_AVAILABLE_IN_ALL
guint64 mailsync_repository_statistics_get_bytes_sent     (const MailsyncRepositoryStatistics *stats);
MAILSYNC_AVAILABLE_IN_ALL
void    mailsync_repository_statistics_set_bytes_sent     (MailsyncRepositoryStatistics *stats,
                                                           guint64                       bytes);
MAILSYNC_AVAILABLE_IN_ALL
guint64 mailsync_repository_statistics_get_commands_sent  (const MailsyncRepositoryStatistics *stats);
MAILSYNC_AVAILABLE_IN_ALL
void    mailsync_repository_statistics_set_commands_sent  (MailsyncRepositoryStatistics *stats,
                                                           guint64                       commands);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncRepositoryStatistics, mailsync_repository_statistics_free)

G_END_DECLS
