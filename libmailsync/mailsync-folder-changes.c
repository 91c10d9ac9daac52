#include "config.h"

#include "mailsync-folder-changes.h"
#include "mailsync-private.h"

/**
 * MailsyncFolderChanges:
 *
 * What changed in a watched folder between two looks at it: the
 * messages that arrived, those whose flags or keywords changed, and
 * those that went away. The #MailsyncFolder::folder-changed signal
 * carries one (see mailsync_folder_watch_async()). Immutable.
 *
 * Messages are #MailsyncMessageInfo objects as the folder's listing
 * reports them: added and changed ones with their new flags, removed
 * ones as they were last seen.
 *
 * Since: 0.1
 */
struct _MailsyncFolderChanges
{
  GObject parent_instance;

  GPtrArray *added;
  GPtrArray *flags_changed;
  GPtrArray *removed;
};

G_DEFINE_FINAL_TYPE (MailsyncFolderChanges, mailsync_folder_changes, G_TYPE_OBJECT)

static void
mailsync_folder_changes_finalize (GObject *object)
{
  MailsyncFolderChanges *self = MAILSYNC_FOLDER_CHANGES (object);

  g_ptr_array_unref (self->added);
  g_ptr_array_unref (self->flags_changed);
  g_ptr_array_unref (self->removed);
  G_OBJECT_CLASS (mailsync_folder_changes_parent_class)->finalize (object);
}

static void
mailsync_folder_changes_class_init (MailsyncFolderChangesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_folder_changes_finalize;
}

static void
mailsync_folder_changes_init (MailsyncFolderChanges *self)
{
}

/* Takes the three arrays (of MailsyncMessageInfo, each holding a
 * reference to its elements); NULL for an empty one. */
MailsyncFolderChanges *
_mailsync_folder_changes_new (GPtrArray *added, GPtrArray *flags_changed, GPtrArray *removed)
{
  MailsyncFolderChanges *self = g_object_new (MAILSYNC_TYPE_FOLDER_CHANGES, NULL);

  self->added = added ? added : g_ptr_array_new_with_free_func (g_object_unref);
  self->flags_changed = flags_changed ? flags_changed : g_ptr_array_new_with_free_func (g_object_unref);
  self->removed = removed ? removed : g_ptr_array_new_with_free_func (g_object_unref);
  return self;
}

/**
 * mailsync_folder_changes_get_added:
 * @self: folder changes
 *
 * The messages that arrived.
 *
 * Returns: (transfer none) (element-type MailsyncMessageInfo): the new
 *   messages, possibly none
 *
 * Since: 0.1
 */
GPtrArray *
mailsync_folder_changes_get_added (MailsyncFolderChanges *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_CHANGES (self), NULL);
  return self->added;
}

/**
 * mailsync_folder_changes_get_flags_changed:
 * @self: folder changes
 *
 * The messages whose flags or keywords changed, with their new ones.
 *
 * Returns: (transfer none) (element-type MailsyncMessageInfo): the
 *   changed messages, possibly none
 *
 * Since: 0.1
 */
GPtrArray *
mailsync_folder_changes_get_flags_changed (MailsyncFolderChanges *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_CHANGES (self), NULL);
  return self->flags_changed;
}

/**
 * mailsync_folder_changes_get_removed:
 * @self: folder changes
 *
 * The messages that went away (expunged, moved, deleted), as they were
 * last seen.
 *
 * Returns: (transfer none) (element-type MailsyncMessageInfo): the
 *   removed messages, possibly none
 *
 * Since: 0.1
 */
GPtrArray *
mailsync_folder_changes_get_removed (MailsyncFolderChanges *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_CHANGES (self), NULL);
  return self->removed;
}
