#include "config.h"

#include "mailsync-folder-info.h"
#include "mailsync-private.h"

#include <string.h>

/**
 * MailsyncFolderInfo:
 *
 * What a folder listing without a sync knows about one folder: its name,
 * its message counts where the store knows them, what it is for (its
 * #MailsyncFolderRole), and whether it is subscribed, selectable and has
 * folders below it. See mailsync_repository_list_folder_info_async().
 *
 * Immutable: every property is set when the object is made (backends
 * written in another language make one with g_object_new() and the
 * properties). A count the store does not know is -1, never a guess.
 *
 * Since: 0.1
 */
struct _MailsyncFolderInfo
{
  GObject parent_instance;

  char *name;
  char *display_name;
  char separator;
  gint64 total;
  gint64 unseen;
  gint64 recent;
  MailsyncFolderRole role;
  gboolean subscribed;
  gboolean selectable;
  gboolean has_children;
};

G_DEFINE_FINAL_TYPE (MailsyncFolderInfo, mailsync_folder_info, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_DISPLAY_NAME,
  PROP_SEPARATOR,
  PROP_TOTAL,
  PROP_UNSEEN,
  PROP_RECENT,
  PROP_ROLE,
  PROP_SUBSCRIBED,
  PROP_SELECTABLE,
  PROP_HAS_CHILDREN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mailsync_folder_info_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MailsyncFolderInfo *self = MAILSYNC_FOLDER_INFO (object);

  switch (prop_id)
    {
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_DISPLAY_NAME: g_value_set_string (value, self->display_name); break;
    case PROP_SEPARATOR: g_value_set_schar (value, self->separator); break;
    case PROP_TOTAL: g_value_set_int64 (value, self->total); break;
    case PROP_UNSEEN: g_value_set_int64 (value, self->unseen); break;
    case PROP_RECENT: g_value_set_int64 (value, self->recent); break;
    case PROP_ROLE: g_value_set_enum (value, self->role); break;
    case PROP_SUBSCRIBED: g_value_set_boolean (value, self->subscribed); break;
    case PROP_SELECTABLE: g_value_set_boolean (value, self->selectable); break;
    case PROP_HAS_CHILDREN: g_value_set_boolean (value, self->has_children); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_folder_info_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MailsyncFolderInfo *self = MAILSYNC_FOLDER_INFO (object);

  switch (prop_id)
    {
    case PROP_NAME: self->name = g_value_dup_string (value); break;
    case PROP_DISPLAY_NAME: self->display_name = g_value_dup_string (value); break;
    case PROP_SEPARATOR: self->separator = g_value_get_schar (value); break;
    case PROP_TOTAL: self->total = g_value_get_int64 (value); break;
    case PROP_UNSEEN: self->unseen = g_value_get_int64 (value); break;
    case PROP_RECENT: self->recent = g_value_get_int64 (value); break;
    case PROP_ROLE: self->role = g_value_get_enum (value); break;
    case PROP_SUBSCRIBED: self->subscribed = g_value_get_boolean (value); break;
    case PROP_SELECTABLE: self->selectable = g_value_get_boolean (value); break;
    case PROP_HAS_CHILDREN: self->has_children = g_value_get_boolean (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_folder_info_constructed (GObject *object)
{
  MailsyncFolderInfo *self = MAILSYNC_FOLDER_INFO (object);

  G_OBJECT_CLASS (mailsync_folder_info_parent_class)->constructed (object);
  if (self->name == NULL)
    self->name = g_strdup ("");
  /* Without a display name, the last component of the name: what a
   * folder tree shows under its parent. */
  if (self->display_name == NULL)
    {
      const char *last = self->separator ? strrchr (self->name, self->separator) : NULL;

      self->display_name = g_strdup (last != NULL ? last + 1 : self->name);
    }
}

static void
mailsync_folder_info_finalize (GObject *object)
{
  MailsyncFolderInfo *self = MAILSYNC_FOLDER_INFO (object);

  g_free (self->name);
  g_free (self->display_name);
  G_OBJECT_CLASS (mailsync_folder_info_parent_class)->finalize (object);
}

static void
mailsync_folder_info_class_init (MailsyncFolderInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = mailsync_folder_info_get_property;
  object_class->set_property = mailsync_folder_info_set_property;
  object_class->constructed = mailsync_folder_info_constructed;
  object_class->finalize = mailsync_folder_info_finalize;

  /**
   * MailsyncFolderInfo:name: (attributes org.gtk.Property.get=mailsync_folder_info_get_name)
   *
   * The folder's native name, as mailsync_folder_get_name() of the
   * repository's folders spells it (the name to hand back to the
   * repository).
   *
   * Since: 0.1
   */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  /**
   * MailsyncFolderInfo:display-name: (attributes org.gtk.Property.get=mailsync_folder_info_get_display_name)
   *
   * The last component of the name, for a folder tree: an IMAP name is
   * decoded to UTF-8 (`Entwürfe` for `Archive.Entw&APw-rfe`); a Maildir
   * folder's is its directory name as it is.
   *
   * Since: 0.1
   */
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  /**
   * MailsyncFolderInfo:separator: (attributes org.gtk.Property.get=mailsync_folder_info_get_separator)
   *
   * The hierarchy separator of the name, or 0 for a flat namespace.
   *
   * Since: 0.1
   */
  properties[PROP_SEPARATOR] = g_param_spec_char ("separator", NULL, NULL, G_MININT8, G_MAXINT8, 0, flags);
  /**
   * MailsyncFolderInfo:total: (attributes org.gtk.Property.get=mailsync_folder_info_get_total)
   *
   * How many messages the folder holds, or -1 when unknown.
   *
   * Since: 0.1
   */
  properties[PROP_TOTAL] = g_param_spec_int64 ("total", NULL, NULL, -1, G_MAXINT64, -1, flags);
  /**
   * MailsyncFolderInfo:unseen: (attributes org.gtk.Property.get=mailsync_folder_info_get_unseen)
   *
   * How many messages lack the seen flag, or -1 when unknown.
   *
   * Since: 0.1
   */
  properties[PROP_UNSEEN] = g_param_spec_int64 ("unseen", NULL, NULL, -1, G_MAXINT64, -1, flags);
  /**
   * MailsyncFolderInfo:recent: (attributes org.gtk.Property.get=mailsync_folder_info_get_recent)
   *
   * How many messages are new: IMAP's `\Recent`, a Maildir's `new/`
   * directory; -1 when unknown.
   *
   * Since: 0.1
   */
  properties[PROP_RECENT] = g_param_spec_int64 ("recent", NULL, NULL, -1, G_MAXINT64, -1, flags);
  /**
   * MailsyncFolderInfo:role: (attributes org.gtk.Property.get=mailsync_folder_info_get_role)
   *
   * What the folder is for.
   *
   * Since: 0.1
   */
  properties[PROP_ROLE] = g_param_spec_enum ("role", NULL, NULL, MAILSYNC_TYPE_FOLDER_ROLE,
                                             MAILSYNC_FOLDER_ROLE_NONE, flags);
  /**
   * MailsyncFolderInfo:subscribed: (attributes org.gtk.Property.get=mailsync_folder_info_is_subscribed)
   *
   * Whether the user subscribed to the folder. Stores without
   * subscriptions (a Maildir) report every folder as subscribed.
   *
   * Since: 0.1
   */
  properties[PROP_SUBSCRIBED] = g_param_spec_boolean ("subscribed", NULL, NULL, TRUE, flags);
  /**
   * MailsyncFolderInfo:selectable: (attributes org.gtk.Property.get=mailsync_folder_info_is_selectable)
   *
   * Whether the folder can hold messages; %FALSE for a node of the
   * hierarchy only (IMAP's `\Noselect`), whose counts are -1.
   *
   * Since: 0.1
   */
  properties[PROP_SELECTABLE] = g_param_spec_boolean ("selectable", NULL, NULL, TRUE, flags);
  /**
   * MailsyncFolderInfo:has-children: (attributes org.gtk.Property.get=mailsync_folder_info_has_children)
   *
   * Whether folders exist below this one.
   *
   * Since: 0.1
   */
  properties[PROP_HAS_CHILDREN] = g_param_spec_boolean ("has-children", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mailsync_folder_info_init (MailsyncFolderInfo *self)
{
  self->total = self->unseen = self->recent = -1;
  self->subscribed = TRUE;
  self->selectable = TRUE;
}

/**
 * mailsync_folder_info_get_name:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:name property.
 *
 * Returns: the native folder name
 *
 * Since: 0.1
 */
const char *
mailsync_folder_info_get_name (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), NULL);
  return self->name;
}

/**
 * mailsync_folder_info_get_display_name:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:display-name property.
 *
 * Returns: the last component of the name (UTF-8 for IMAP names)
 *
 * Since: 0.1
 */
const char *
mailsync_folder_info_get_display_name (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), NULL);
  return self->display_name;
}

/**
 * mailsync_folder_info_get_separator:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:separator property.
 *
 * Returns: the hierarchy separator, or 0 for none
 *
 * Since: 0.1
 */
char
mailsync_folder_info_get_separator (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), 0);
  return self->separator;
}

/**
 * mailsync_folder_info_get_total:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:total property.
 *
 * Returns: the number of messages, or -1 when unknown
 *
 * Since: 0.1
 */
gint64
mailsync_folder_info_get_total (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), -1);
  return self->total;
}

/**
 * mailsync_folder_info_get_unseen:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:unseen property.
 *
 * Returns: the number of unseen messages, or -1 when unknown
 *
 * Since: 0.1
 */
gint64
mailsync_folder_info_get_unseen (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), -1);
  return self->unseen;
}

/**
 * mailsync_folder_info_get_recent:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:recent property.
 *
 * Returns: the number of new messages, or -1 when unknown
 *
 * Since: 0.1
 */
gint64
mailsync_folder_info_get_recent (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), -1);
  return self->recent;
}

/**
 * mailsync_folder_info_get_role:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:role property.
 *
 * Returns: what the folder is for
 *
 * Since: 0.1
 */
MailsyncFolderRole
mailsync_folder_info_get_role (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), MAILSYNC_FOLDER_ROLE_NONE);
  return self->role;
}

/**
 * mailsync_folder_info_is_subscribed:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:subscribed property.
 *
 * Returns: whether the folder is subscribed
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_info_is_subscribed (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), FALSE);
  return self->subscribed;
}

/**
 * mailsync_folder_info_is_selectable:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:selectable property.
 *
 * Returns: whether the folder can hold messages
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_info_is_selectable (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), FALSE);
  return self->selectable;
}

/**
 * mailsync_folder_info_has_children:
 * @self: a folder info
 *
 * Gets the value of the #MailsyncFolderInfo:has-children property.
 *
 * Returns: whether folders exist below this one
 *
 * Since: 0.1
 */
gboolean
mailsync_folder_info_has_children (MailsyncFolderInfo *self)
{
  g_return_val_if_fail (MAILSYNC_IS_FOLDER_INFO (self), FALSE);
  return self->has_children;
}

/* The role a name suggests, for stores that announce none (a Maildir):
 * the usual Maildir++ and client names of the last component, compared
 * without case. */
MailsyncFolderRole
_mailsync_folder_role_from_name (const char *name, char separator)
{
  static const struct
  {
    const char *name;
    MailsyncFolderRole role;
  } names[] = {
    { "INBOX", MAILSYNC_FOLDER_ROLE_INBOX },
    { "Sent", MAILSYNC_FOLDER_ROLE_SENT },
    { "Sent Items", MAILSYNC_FOLDER_ROLE_SENT },
    { "Sent Messages", MAILSYNC_FOLDER_ROLE_SENT },
    { "Trash", MAILSYNC_FOLDER_ROLE_TRASH },
    { "Deleted Items", MAILSYNC_FOLDER_ROLE_TRASH },
    { "Deleted Messages", MAILSYNC_FOLDER_ROLE_TRASH },
    { "Drafts", MAILSYNC_FOLDER_ROLE_DRAFTS },
    { "Junk", MAILSYNC_FOLDER_ROLE_JUNK },
    { "Spam", MAILSYNC_FOLDER_ROLE_JUNK },
    { "Archive", MAILSYNC_FOLDER_ROLE_ARCHIVE },
  };
  const char *last;

  if (name == NULL)
    return MAILSYNC_FOLDER_ROLE_NONE;
  /* The root of a Maildir++ tree (name "") is its inbox. */
  if (*name == '\0')
    return MAILSYNC_FOLDER_ROLE_INBOX;
  last = separator ? strrchr (name, separator) : NULL;
  last = last != NULL ? last + 1 : name;
  /* INBOX only at the top: "Work.INBOX" is an ordinary folder. */
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (last, names[i].name) == 0 &&
        (names[i].role != MAILSYNC_FOLDER_ROLE_INBOX || last == name))
      return names[i].role;
  return MAILSYNC_FOLDER_ROLE_NONE;
}
