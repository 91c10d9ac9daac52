#include "config.h"

#include "mailsync-sync-event.h"
#include "mailsync-folder.h"
#include "mailsync-private.h"

#include <string.h>

/**
 * MailsyncSyncEvent:
 *
 * One thing the engine reports while syncing, carried by the
 * #MailsyncAccount::event signal. Immutable: a UI may keep it.
 *
 * Since: 0.1
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
  char *source_repository;
  char *source_type;
  char *destination_type;
  GArray *uids;
  guint32 saved_uidvalidity;
  guint32 uidvalidity;
  gint64 source_uid;
  char *source_folder;
  char *destination_folder;
  guint64 bytes;
  MailsyncProgressCounts progress;
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
  g_free (self->source_repository);
  g_free (self->source_type);
  g_free (self->destination_type);
  g_clear_pointer (&self->uids, g_array_unref);
  g_free (self->source_folder);
  g_free (self->destination_folder);
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

void
_mailsync_sync_event_set_source_uid (MailsyncSyncEvent *self,
                                     gint64             source_uid)
{
  self->source_uid = source_uid;
}

void
_mailsync_sync_event_set_folders (MailsyncSyncEvent *self,
                                  const char        *source_folder,
                                  const char        *destination_folder)
{
  g_free (self->source_folder);
  g_free (self->destination_folder);
  self->source_folder = g_strdup (source_folder);
  self->destination_folder = g_strdup (destination_folder);
}

void
_mailsync_sync_event_set_bytes (MailsyncSyncEvent *self,
                                guint64            bytes)
{
  self->bytes = bytes;
}

void
_mailsync_sync_event_set_progress (MailsyncSyncEvent            *self,
                                   const MailsyncProgressCounts *progress)
{
  self->progress = *progress;
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
  self->source_uid = uid;
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
 * Gets what happened.
 *
 * Returns: what the event reports
 *
 * Since: 0.1
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
 * Gets the name of the account the event is about.
 *
 * Returns: (nullable): the account name
 *
 * Since: 0.1
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
 * Gets the folder the event is about, if any.
 *
 * Returns: (nullable): the folder (remote visible name), if any
 *
 * Since: 0.1
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
 * Gets the name of the repository the event is about, if any.
 *
 * Returns: (nullable): the repository changed (the destination), if any
 *
 * Since: 0.1
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
 * Gets which way a change travels: remote to local or local to remote.
 *
 * Returns: which way the change travels
 *
 * Since: 0.1
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
 * Gets the UID of the message the event is about, 0 if none.
 *
 * Returns: the message UID, 0 if none
 *
 * Since: 0.1
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
 * Gets the event's position or count: the number of a copy in its pass, or
 * how many messages a deletion or flag change covers.
 *
 * Returns: the position (copies) or count (deletions, flags)
 *
 * Since: 0.1
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
 * Gets the size of the pass a copy belongs to, for progress.
 *
 * Returns: the total of the pass, 0 if not applicable
 *
 * Since: 0.1
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
 * Gets the flags a flag-change event adds or removes.
 *
 * Returns: (nullable): Maildir letters of the flags concerned
 *
 * Since: 0.1
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
 * Gets the error of an error or warning event.
 *
 * Returns: (nullable) (transfer none): the error, for errors and failed ends
 *
 * Since: 0.1
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
 * Gets the event's note for people, if it has one.
 *
 * Returns: (nullable): a human-readable note
 *
 * Since: 0.1
 */
const char *
mailsync_sync_event_get_text (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->text;
}

void
_mailsync_sync_event_set_source (MailsyncSyncEvent *self,
                                 const char        *repository,
                                 const char        *type)
{
  g_free (self->source_repository);
  self->source_repository = g_strdup (repository);
  g_free (self->source_type);
  self->source_type = g_strdup (type);
}

void
_mailsync_sync_event_set_destination_type (MailsyncSyncEvent *self,
                                           const char        *type)
{
  g_free (self->destination_type);
  self->destination_type = g_strdup (type);
}

void
_mailsync_sync_event_set_uids (MailsyncSyncEvent *self,
                               const guint32     *uids,
                               guint              n_uids)
{
  g_clear_pointer (&self->uids, g_array_unref);
  self->uids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n_uids);
  g_array_append_vals (self->uids, uids, n_uids);
}

void
_mailsync_sync_event_set_uidvalidity (MailsyncSyncEvent *self,
                                      guint32            saved,
                                      guint32            current)
{
  self->saved_uidvalidity = saved;
  self->uidvalidity = current;
}

static GQuark
type_label_quark (void)
{
  return g_quark_from_static_string ("mailsync-class-type-label");
}

void
_mailsync_repository_class_set_type_label (gpointer klass, const char *label)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), type_label_quark (), (gpointer) g_intern_static_string (label));
}

const char *
_mailsync_type_label (gpointer repository_or_folder)
{
  /* A library backend names its repository class as offlineimap names its
   * own (_mailsync_repository_class_set_type_label); any other class's
   * label is derived from the GType name as offlineimap derives it from
   * the Python class name, so a new backend gets a sensible label
   * without a table. */
  const char *name;

  if (repository_or_folder == NULL)
    return NULL;
  /* a repository of type Gmail or GmailMaildir (and its folders) has
   * offlineimap's Gmail class name, the backend being IMAP or Maildir */
  {
    MailsyncRepository *repo = NULL;
    const char *label;

    if (MAILSYNC_IS_REPOSITORY (repository_or_folder))
      repo = repository_or_folder;
    else if (MAILSYNC_IS_FOLDER (repository_or_folder))
      repo = mailsync_folder_get_repository (repository_or_folder);
    label = repo != NULL ? _mailsync_repository_get_type_label (repo) : NULL;
    if (label != NULL)
      return label;
    /* the class's own (a folder: its repository's), not a parent's: a
     * subclass is another class to offlineimap */
    label = repo != NULL ? g_type_get_qdata (G_OBJECT_TYPE (repo), type_label_quark ()) : NULL;
    if (label != NULL)
      return label;
  }
  name = G_OBJECT_TYPE_NAME (repository_or_folder);
  if (g_str_has_prefix (name, "Mailsync"))
    name += strlen ("Mailsync");
  return g_intern_string (name);
}

/**
 * mailsync_sync_event_get_source_repository:
 * @self: an event
 *
 * Gets the name of the repository a change comes from.
 *
 * Returns: (nullable): the name of the repository the change comes from
 *
 * Since: 0.1
 */
const char *
mailsync_sync_event_get_source_repository (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->source_repository;
}

/**
 * mailsync_sync_event_get_source_type:
 * @self: an event
 *
 * The kind of the source repository as offlineimap names it ("IMAP",
 * "Maildir", "MappedIMAP").
 *
 * Returns: (nullable): the source type, if the event has a source
 *
 * Since: 0.1
 */
const char *
mailsync_sync_event_get_source_type (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->source_type;
}

/**
 * mailsync_sync_event_get_destination_type:
 * @self: an event
 *
 * The kind of the repository changed (or listed, for
 * %MAILSYNC_SYNC_EVENT_LIST_LOADING), as offlineimap names it.
 *
 * Returns: (nullable): the destination type
 *
 * Since: 0.1
 */
const char *
mailsync_sync_event_get_destination_type (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->destination_type;
}

/**
 * mailsync_sync_event_get_uids:
 * @self: an event
 * @n_uids: (out): return location for the number of UIDs
 *
 * The UIDs a deletion or flag change applied to, in the destination's
 * numbering.
 *
 * Returns: (array length=n_uids) (transfer none) (nullable): the UIDs, %NULL
 *   when the event carries none
 *
 * Since: 0.1
 */
const guint32 *
mailsync_sync_event_get_uids (MailsyncSyncEvent *self,
                              guint             *n_uids)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  g_return_val_if_fail (n_uids != NULL, NULL);
  if (self->uids == NULL || self->uids->len == 0)
    {
      *n_uids = 0;
      return NULL;
    }
  *n_uids = self->uids->len;
  return (const guint32 *) self->uids->data;
}

/**
 * mailsync_sync_event_get_saved_uidvalidity:
 * @self: an event
 *
 * Gets the UIDVALIDITY the status remembers, for a UIDVALIDITY problem.
 *
 * Returns: for %MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM, the UIDVALIDITY the
 *   status remembers; 0 otherwise
 *
 * Since: 0.1
 */
guint32
mailsync_sync_event_get_saved_uidvalidity (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->saved_uidvalidity;
}

/**
 * mailsync_sync_event_get_uidvalidity:
 * @self: an event
 *
 * Gets the folder's UIDVALIDITY now, for a UIDVALIDITY problem.
 *
 * Returns: for %MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM, the folder's current
 *   UIDVALIDITY; 0 otherwise
 *
 * Since: 0.1
 */
guint32
mailsync_sync_event_get_uidvalidity (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->uidvalidity;
}

/**
 * mailsync_sync_event_get_source_uid:
 * @self: an event
 *
 * The UID of a copied message on the side it was copied from, as
 * offlineimap numbers it: the source UID, or -1, -2, ... for new local mail
 * that has no UID yet (offlineimap's negative pseudo-UIDs), where
 * mailsync_sync_event_get_uid() gives the UID the server assigned.
 *
 * Returns: the source UID, 0 if none
 *
 * Since: 0.1
 */
gint64
mailsync_sync_event_get_source_uid (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->source_uid;
}

/**
 * mailsync_sync_event_get_source_folder:
 * @self: an event
 *
 * The folder's name in the source repository (the server's name, before
 * any name translation), for events that name both ends of a folder pair.
 *
 * Returns: (nullable): the source folder name, or %NULL
 *
 * Since: 0.1
 */
const char *
mailsync_sync_event_get_source_folder (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->source_folder;
}

/**
 * mailsync_sync_event_get_destination_folder:
 * @self: an event
 *
 * The folder's name in the destination repository, for events that name
 * both ends of a folder pair.
 *
 * Returns: (nullable): the destination folder name, or %NULL
 *
 * Since: 0.1
 */
const char *
mailsync_sync_event_get_destination_folder (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), NULL);
  return self->destination_folder;
}

/**
 * mailsync_sync_event_get_bytes:
 * @self: an event
 *
 * Gets the size of what the event is about: for
 * %MAILSYNC_SYNC_EVENT_MESSAGE_COPIED the message's size as its source
 * listed it (RFC822.SIZE for IMAP, the file's size for Maildir), for
 * %MAILSYNC_SYNC_EVENT_FOLDER_PLANNED the sum of the sizes of the messages
 * the folder's plan copies. The copy written may differ from the source's
 * size when the destination changes line ends or adds a header; the
 * progress totals count the source's sizes, so that what is done reaches
 * what was planned exactly.
 *
 * Returns: a size in bytes, 0 for the other kinds
 *
 * Since: 0.1
 */
guint64
mailsync_sync_event_get_bytes (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->bytes;
}

/**
 * mailsync_sync_event_get_folder_messages_done:
 * @self: an event
 *
 * Gets how many messages of the current folder were copied so far, both
 * directions together, when the event was emitted. Every event of an
 * account sync carries the running totals of its folder and account.
 *
 * Returns: messages copied in the current folder, 0 outside a folder
 *
 * Since: 0.1
 */
guint
mailsync_sync_event_get_folder_messages_done (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->progress.folder_messages_done;
}

/**
 * mailsync_sync_event_get_folder_messages_total:
 * @self: an event
 *
 * Gets how many messages the current folder's plan copies, both directions
 * together: 0 before %MAILSYNC_SYNC_EVENT_FOLDER_PLANNED. When the folder
 * ends (or a message is skipped, or the folder is resumed after a lost
 * connection) the total is brought down to what was done, so that it
 * never promises copies that will not come.
 *
 * Returns: messages to copy in the current folder, done ones included
 *
 * Since: 0.1
 */
guint
mailsync_sync_event_get_folder_messages_total (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->progress.folder_messages_total;
}

/**
 * mailsync_sync_event_get_folder_bytes_done:
 * @self: an event
 *
 * Gets the sum of the sizes (see mailsync_sync_event_get_bytes()) of the
 * messages of the current folder copied so far.
 *
 * Returns: bytes copied in the current folder
 *
 * Since: 0.1
 */
guint64
mailsync_sync_event_get_folder_bytes_done (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->progress.folder_bytes_done;
}

/**
 * mailsync_sync_event_get_folder_bytes_total:
 * @self: an event
 *
 * Gets the sum of the sizes of the messages the current folder's plan
 * copies, done ones included (see
 * mailsync_sync_event_get_folder_messages_total()).
 *
 * Returns: bytes to copy in the current folder
 *
 * Since: 0.1
 */
guint64
mailsync_sync_event_get_folder_bytes_total (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->progress.folder_bytes_total;
}

/**
 * mailsync_sync_event_get_account_messages_done:
 * @self: an event
 *
 * Gets how many messages this account sync copied so far, all folders and
 * both directions together.
 *
 * Returns: messages copied by the account sync so far
 *
 * Since: 0.1
 */
guint
mailsync_sync_event_get_account_messages_done (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->progress.account_messages_done;
}

/**
 * mailsync_sync_event_get_account_messages_total:
 * @self: an event
 *
 * Gets how many messages this account sync copies as far as it is planned:
 * what the finished folders copied plus the plan of the current one.
 * Folders are planned one after the other, each when its turn comes, so
 * the total grows at each %MAILSYNC_SYNC_EVENT_FOLDER_PLANNED; a client
 * wanting an ETA for the whole account before the last folder is planned
 * extrapolates with the folder counts of %MAILSYNC_SYNC_EVENT_FOLDER_STARTED
 * (see mailsync_sync_event_get_n()).
 *
 * Returns: messages the account sync copies, as far as planned
 *
 * Since: 0.1
 */
guint
mailsync_sync_event_get_account_messages_total (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->progress.account_messages_total;
}

/**
 * mailsync_sync_event_get_account_bytes_done:
 * @self: an event
 *
 * Gets the sum of the sizes of the messages this account sync copied so
 * far. At %MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED it is the size of every
 * message the sync copied.
 *
 * Returns: bytes copied by the account sync so far
 *
 * Since: 0.1
 */
guint64
mailsync_sync_event_get_account_bytes_done (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->progress.account_bytes_done;
}

/**
 * mailsync_sync_event_get_account_bytes_total:
 * @self: an event
 *
 * Gets the sum of the sizes of the messages this account sync copies as
 * far as it is planned (see mailsync_sync_event_get_account_messages_total()).
 *
 * Returns: bytes the account sync copies, as far as planned
 *
 * Since: 0.1
 */
guint64
mailsync_sync_event_get_account_bytes_total (MailsyncSyncEvent *self)
{
  g_return_val_if_fail (MAILSYNC_IS_SYNC_EVENT (self), 0);
  return self->progress.account_bytes_total;
}
