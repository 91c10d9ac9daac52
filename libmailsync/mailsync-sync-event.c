#include "config.h"

#include "mailsync-sync-event.h"
#include "mailsync-private.h"

/**
 * MailsyncSyncEvent:
 *
 * One thing the engine reports while syncing, carried by the
 * #MailsyncAccount::event signal. Immutable: a UI may keep it.
 */
struct _MailsyncSyncEvent
{
  GObject parent_instance;

  MailsyncSyncEventKind kind;
  char *account;
  char *folder;
  char *repository;
  MailsyncDirection direction;
  guint32 uid;
  guint n;
  guint total;
  char *flags;
  GError *error;
  char *text;
};

G_DEFINE_FINAL_TYPE (MailsyncSyncEvent, mailsync_sync_event, G_TYPE_OBJECT)

static void
mailsync_sync_event_finalize (GObject *object)
{
  MailsyncSyncEvent *self = MAILSYNC_SYNC_EVENT (object);

  g_free (self->account);
  g_free (self->folder);
  g_free (self->repository);
  g_free (self->flags);
  g_clear_error (&self->error);
  g_free (self->text);
  G_OBJECT_CLASS (mailsync_sync_event_parent_class)->finalize (object);
}

static void
mailsync_sync_event_class_init (MailsyncSyncEventClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_sync_event_finalize;
}

static void
mailsync_sync_event_init (MailsyncSyncEvent *self)
{
}

MailsyncSyncEvent *
_mailsync_sync_event_new (MailsyncSyncEventKind  kind,
                          const char            *account,
                          const char            *folder,
                          const char            *repository,
                          MailsyncDirection      direction,
                          guint32                uid,
                          guint                  n,
                          guint                  total,
                          const char            *flags,
                          const GError          *error,
                          const char            *text)
{
  MailsyncSyncEvent *self = g_object_new (MAILSYNC_TYPE_SYNC_EVENT, NULL);

  self->kind = kind;
  self->account = g_strdup (account);
  self->folder = g_strdup (folder);
  self->repository = g_strdup (repository);
  self->direction = direction;
  self->uid = uid;
  self->n = n;
  self->total = total;
  self->flags = g_strdup (flags);
  self->error = error ? g_error_copy (error) : NULL;
  self->text = g_strdup (text);
  return self;
}

/**
 * mailsync_sync_event_get_kind:
 * @self: an event
 *
 * Returns: what the event reports
 */
MailsyncSyncEventKind
mailsync_sync_event_get_kind (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->kind;
}

/**
 * mailsync_sync_event_get_account:
 * @self: an event
 *
 * Returns: (nullable): the account name
 */
const char *
mailsync_sync_event_get_account (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->account;
}

/**
 * mailsync_sync_event_get_folder:
 * @self: an event
 *
 * Returns: (nullable): the folder (remote visible name), if any
 */
const char *
mailsync_sync_event_get_folder (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->folder;
}

/**
 * mailsync_sync_event_get_repository:
 * @self: an event
 *
 * Returns: (nullable): the repository changed (the destination), if any
 */
const char *
mailsync_sync_event_get_repository (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->repository;
}

/**
 * mailsync_sync_event_get_direction:
 * @self: an event
 *
 * Returns: which way the change travels
 */
MailsyncDirection
mailsync_sync_event_get_direction (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->direction;
}

/**
 * mailsync_sync_event_get_uid:
 * @self: an event
 *
 * Returns: the message UID, 0 if none
 */
guint32
mailsync_sync_event_get_uid (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->uid;
}

/**
 * mailsync_sync_event_get_n:
 * @self: an event
 *
 * Returns: the position (copies) or count (deletions, flags)
 */
guint
mailsync_sync_event_get_n (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->n;
}

/**
 * mailsync_sync_event_get_total:
 * @self: an event
 *
 * Returns: the total of the pass, 0 if not applicable
 */
guint
mailsync_sync_event_get_total (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->total;
}

/**
 * mailsync_sync_event_get_flags:
 * @self: an event
 *
 * Returns: (nullable): Maildir letters of the flags concerned
 */
const char *
mailsync_sync_event_get_flags (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->flags;
}

/**
 * mailsync_sync_event_get_error:
 * @self: an event
 *
 * Returns: (nullable) (transfer none): the error, for errors and failed ends
 */
const GError *
mailsync_sync_event_get_error (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->error;
}

/**
 * mailsync_sync_event_get_text:
 * @self: an event
 *
 * Returns: (nullable): a human-readable note
 */
const char *
mailsync_sync_event_get_text (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->text;
}
