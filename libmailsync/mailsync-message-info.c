#include "config.h"

#include "mailsync-message-info.h"
#include "mailsync-private.h"

#include <sys/stat.h>

/**
 * MailsyncMessageInfo:
 *
 * What a listing says about one message: its UID (0 for new local mail that
 * has none yet), a backend key that locates it (a Maildir file, say), the
 * system flags, keywords, size and internal date. Immutable, so it can be
 * passed between threads.
 *
 * Since: 0.1
 */
/* A listing makes one per message, tens of thousands in a changed folder
 * (issue 13 items 2 and 4): no padding between the members (96 bytes
 * with the GObject in GLib's slices, was 112), and an empty keyword list
 * is a shared one, not an allocation. */
struct _MailsyncMessageInfo
{
  GObject parent_instance;

  char *key;
  GStrv keywords;            /* NULL, no_keywords, or owned */
  guint64 size;
  gint64 internal_date;
  char *email_id; /* RFC 8474 EMAILID, set once by the listing that made it */
  /* A local file's message (_mailsync_message_info_new_file): size and
   * date are read from @file_dir/@key on first use, once (@file_read). */
  char *file_dir;            /* a GRefString shared by a listing's infos */
  gsize file_read;
  guint32 uid;
  MailsyncFlags flags;
  guint key_is_ref : 1;      /* @key is a GRefString (shared with the folder's index) */
  guint size_known : 1;      /* @size came from the file's name */
};

/* What every message without keywords points at (never freed, never
 * written: the getter hands it out as const). */
static char *no_keywords[] = { NULL };

G_DEFINE_FINAL_TYPE (MailsyncMessageInfo, mailsync_message_info, G_TYPE_OBJECT)

static void
mailsync_message_info_finalize (GObject *object)
{
  MailsyncMessageInfo *self = MAILSYNC_MESSAGE_INFO (object);

  if (self->key_is_ref)
    g_ref_string_release (self->key);
  else
    g_free (self->key);
  g_clear_pointer (&self->file_dir, g_ref_string_release);
  if (self->keywords != no_keywords)
    g_strfreev (self->keywords);
  g_free (self->email_id);
  G_OBJECT_CLASS (mailsync_message_info_parent_class)->finalize (object);
}

static void
mailsync_message_info_class_init (MailsyncMessageInfoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_message_info_finalize;
}

static void
mailsync_message_info_init (MailsyncMessageInfo *self)
{
}

/**
 * mailsync_message_info_new:
 * @uid: the message's UID, 0 when it has none yet
 * @key: (nullable): backend locator of the message
 * @flags: system flags
 * @keywords: (nullable) (array zero-terminated=1): keywords
 * @size: size in bytes
 * @internal_date: internal date, seconds since the epoch
 *
 * Creates an immutable message description.
 *
 * Returns: (transfer full): a new #MailsyncMessageInfo
 *
 * Since: 0.1
 */
MailsyncMessageInfo *
mailsync_message_info_new (guint32             uid,
                           const char         *key,
                           MailsyncFlags       flags,
                           const char * const *keywords,
                           guint64             size,
                           gint64              internal_date)
{
  MailsyncMessageInfo *self = g_object_new (MAILSYNC_TYPE_MESSAGE_INFO, NULL);

  self->uid = uid;
  self->key = g_strdup (key);
  self->flags = flags;
  if (keywords != NULL && keywords[0] == NULL)
    self->keywords = no_keywords;
  else
    self->keywords = g_strdupv ((char **) keywords);
  self->size = size;
  self->internal_date = internal_date;
  return self;
}

/* A message kept in the file @dir/@key (a Maildir listing): its size and
 * date are the file's, read with one lstat() when first asked for, not
 * by the listing (issue 13 item 2: a sync that never looks at them, a
 * no-window resync of a folder with no new mail, stats no file). @size
 * (the name's S=) with @size_known spares that lstat() for the size.
 * @key and @dir are GRefStrings, acquired (the key is not copied: a
 * listing's names are shared with the folder's index). A file gone by then reads as size 0
 * (unless known), date 0. */
MailsyncMessageInfo *
_mailsync_message_info_new_file (guint32             uid,
                                 const char         *key,
                                 MailsyncFlags       flags,
                                 const char * const *keywords,
                                 const char         *dir,
                                 gboolean            size_known,
                                 guint64             size)
{
  MailsyncMessageInfo *self = mailsync_message_info_new (uid, NULL, flags, keywords, size_known ? size : 0, 0);

  g_return_val_if_fail (key != NULL && dir != NULL, self);
  self->key = g_ref_string_acquire ((char *) key);
  self->key_is_ref = TRUE;
  self->file_dir = g_ref_string_acquire ((char *) dir);
  self->size_known = size_known != FALSE;
  return self;
}

static void
read_file (MailsyncMessageInfo *self)
{
  if (self->file_dir == NULL)
    return;
  if (g_once_init_enter (&self->file_read))
    {
      g_autofree char *path = g_build_filename (self->file_dir, self->key, NULL);
      struct stat st;

      if (lstat (path, &st) == 0)
        {
          if (!self->size_known)
            self->size = (guint64) st.st_size;
          self->internal_date = (gint64) st.st_mtime;
        }
      g_once_init_leave (&self->file_read, 1);
    }
}

/**
 * mailsync_message_info_get_uid:
 * @self: a #MailsyncMessageInfo
 *
 * Gets the message's UID in its folder; 0 for new local mail that has none
 * yet.
 *
 * Returns: the UID, 0 for a message without one
 *
 * Since: 0.1
 */
guint32
mailsync_message_info_get_uid (MailsyncMessageInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MESSAGE_INFO (self), 0);
  return self->uid;
}

/**
 * mailsync_message_info_get_key:
 * @self: a #MailsyncMessageInfo
 *
 * Gets the backend's own locator of the message (a Maildir file's path
 * relative to the folder); used for messages without a UID.
 *
 * Returns: (nullable): the backend's locator of the message
 *
 * Since: 0.1
 */
const char *
mailsync_message_info_get_key (MailsyncMessageInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MESSAGE_INFO (self), NULL);
  return self->key;
}

/**
 * mailsync_message_info_get_flags:
 * @self: a #MailsyncMessageInfo
 *
 * Gets the message's system flags (seen, answered, flagged, deleted,
 * draft).
 *
 * Returns: the system flags
 *
 * Since: 0.1
 */
MailsyncFlags
mailsync_message_info_get_flags (MailsyncMessageInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MESSAGE_INFO (self), 0);
  return self->flags;
}

/**
 * mailsync_message_info_get_keywords:
 * @self: a #MailsyncMessageInfo
 *
 * Gets the message's IMAP keywords (`$Forwarded`, `$Junk`, any atom).
 *
 * Returns: (nullable) (array zero-terminated=1) (transfer none): the keywords
 *
 * Since: 0.1
 */
const char * const *
mailsync_message_info_get_keywords (MailsyncMessageInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MESSAGE_INFO (self), NULL);
  return (const char * const *) self->keywords;
}

/**
 * mailsync_message_info_get_size:
 * @self: a #MailsyncMessageInfo
 *
 * Gets the message's size in bytes (RFC822.SIZE, or the file's size).
 *
 * Returns: the size in bytes
 *
 * Since: 0.1
 */
guint64
mailsync_message_info_get_size (MailsyncMessageInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MESSAGE_INFO (self), 0);
  if (!self->size_known)
    read_file (self);
  return self->size;
}

/**
 * mailsync_message_info_get_internal_date:
 * @self: a #MailsyncMessageInfo
 *
 * Gets the message's internal date (IMAP INTERNALDATE, or the Maildir
 * file's time).
 *
 * Returns: the internal date in seconds since the epoch
 *
 * Since: 0.1
 */
gint64
mailsync_message_info_get_internal_date (MailsyncMessageInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MESSAGE_INFO (self), 0);
  read_file (self);
  return self->internal_date;
}

/* Private: set by a listing right after mailsync_message_info_new(),
 * before the object is shared (it stays immutable to its readers). */
void
_mailsync_message_info_set_email_id (MailsyncMessageInfo *self, const char *email_id)
{
  g_return_if_fail (MAILSYNC_IS_MESSAGE_INFO (self));
  g_free (self->email_id);
  self->email_id = g_strdup (email_id);
}

const char *
_mailsync_message_info_get_email_id (MailsyncMessageInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_MESSAGE_INFO (self), NULL);
  return self->email_id;
}
