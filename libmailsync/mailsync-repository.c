#include "config.h"

#include "mailsync-repository.h"
#include "mailsync-repository-private.h"
#include "mailsync-private.h"
#include "mailsync-interaction-private.h"
#include "mailsync-error.h"
#include "mailsync-worker.h"

/**
 * MailsyncRepository:
 *
 * A store of folders (an IMAP account, a Maildir tree): the abstract base
 * class that backends derive. It carries the per-repository policy that
 * offlineimap keeps per `[Repository]` section: read-only, folder creation,
 * deletion propagation, name translation and folder filter.
 *
 * Since: 0.1
 */

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (MailsyncRepository, mailsync_repository, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_SEPARATOR,
  PROP_READONLY,
  PROP_CREATE_FOLDERS,
  PROP_SYNC_DELETES,
  PROP_INTERACTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_OPENED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define PRIV(self) ((MailsyncRepositoryPrivate *) mailsync_repository_get_instance_private (MAILSYNC_REPOSITORY (self)))

static void
mailsync_repository_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MailsyncRepositoryPrivate *priv = PRIV (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_SEPARATOR:
      g_value_set_schar (value, priv->separator);
      break;
    case PROP_READONLY:
      g_value_set_boolean (value, priv->readonly);
      break;
    case PROP_CREATE_FOLDERS:
      g_value_set_boolean (value, priv->create_folders);
      break;
    case PROP_SYNC_DELETES:
      g_value_set_boolean (value, priv->sync_deletes);
      break;
    case PROP_INTERACTION:
      g_value_take_object (value, mailsync_repository_dup_interaction (MAILSYNC_REPOSITORY (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_repository_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  MailsyncRepository *self = MAILSYNC_REPOSITORY (object);
  MailsyncRepositoryPrivate *priv = PRIV (object);

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;
    case PROP_SEPARATOR:
      priv->separator = g_value_get_schar (value);
      break;
    case PROP_READONLY:
      mailsync_repository_set_readonly (self, g_value_get_boolean (value));
      break;
    case PROP_CREATE_FOLDERS:
      mailsync_repository_set_create_folders (self, g_value_get_boolean (value));
      break;
    case PROP_SYNC_DELETES:
      mailsync_repository_set_sync_deletes (self, g_value_get_boolean (value));
      break;
    case PROP_INTERACTION:
      mailsync_repository_set_interaction (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_repository_finalize (GObject *object)
{
  MailsyncRepositoryPrivate *priv = PRIV (object);

  if (priv->nametrans_destroy)
    priv->nametrans_destroy (priv->nametrans_data);
  if (priv->filter_destroy)
    priv->filter_destroy (priv->filter_data);
  if (priv->newmail_hook_destroy)
    priv->newmail_hook_destroy (priv->newmail_hook_data);
  if (priv->copy_ignore_destroy)
    priv->copy_ignore_destroy (priv->copy_ignore_data);
  g_hash_table_unref (priv->refusals);
  g_clear_pointer (&priv->listing_problems, g_ptr_array_unref);
  g_mutex_clear (&priv->refusals_lock);
  g_clear_object (&priv->interaction);
  g_free (priv->name);
  G_OBJECT_CLASS (mailsync_repository_parent_class)->finalize (object);
}

static void
mailsync_repository_class_init (MailsyncRepositoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = mailsync_repository_get_property;
  object_class->set_property = mailsync_repository_set_property;
  object_class->finalize = mailsync_repository_finalize;
  klass->describe = _mailsync_repository_real_describe;
  klass->get_statistics = _mailsync_repository_real_get_statistics;

  /**
   * MailsyncRepository:name: (attributes org.gtk.Property.get=mailsync_repository_get_name)
   *
   * The repository's name (the `[Repository NAME]` section).
   *
   * Since: 0.1
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncRepository:separator: (attributes org.gtk.Property.get=mailsync_repository_get_separator)
   *
   * The hierarchy separator of folder names.
   *
   * Since: 0.1
   */
  properties[PROP_SEPARATOR] =
    g_param_spec_char ("separator", NULL, NULL, G_MININT8, G_MAXINT8, '.',
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncRepository:readonly: (attributes org.gtk.Property.get=mailsync_repository_get_readonly org.gtk.Property.set=mailsync_repository_set_readonly)
   *
   * Never change anything in this repository.
   *
   * Since: 0.1
   */
  properties[PROP_READONLY] =
    g_param_spec_boolean ("readonly", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncRepository:create-folders: (attributes org.gtk.Property.get=mailsync_repository_get_create_folders org.gtk.Property.set=mailsync_repository_set_create_folders)
   *
   * Create folders here that exist only on the other side.
   *
   * Since: 0.1
   */
  properties[PROP_CREATE_FOLDERS] =
    g_param_spec_boolean ("create-folders", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncRepository:sync-deletes: (attributes org.gtk.Property.get=mailsync_repository_get_sync_deletes org.gtk.Property.set=mailsync_repository_set_sync_deletes)
   *
   * Propagate deletions made in this repository to the other side.
   *
   * Since: 0.1
   */
  properties[PROP_SYNC_DELETES] =
    g_param_spec_boolean ("sync-deletes", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncRepository:interaction: (attributes org.gtk.Property.get=mailsync_repository_dup_interaction org.gtk.Property.set=mailsync_repository_set_interaction)
   *
   * What the repository asks the user through: a password it lacks, a new
   * one after the server refused it, an OAuth2 token, a certificate that
   * failed verification. %NULL: nobody to ask.
   *
   * Since: 0.1
   */
  properties[PROP_INTERACTION] =
    g_param_spec_object ("interaction", NULL, NULL, MAILSYNC_TYPE_INTERACTION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MailsyncRepository::opened:
   * @self: the repository
   *
   * Emitted by mailsync_repository_open_finish() when the store proved
   * usable: for a server, the login was accepted. That is when a password
   * that came from a prompt is worth remembering.
   *
   * During a #MailsyncAccount's sync, which opens its repositories (and
   * opens one again when its connection was lost, from whichever thread
   * syncs the folder), a handler runs where the sync's events reach the
   * client: on the thread-default context of the caller of
   * mailsync_account_sync_async(), or on the thread that called
   * mailsync_account_sync(); the open goes on after it returns. An open
   * cancelled while it waits for that fails with %G_IO_ERROR_CANCELLED
   * without the signal. Two accounts sharing the repository each have
   * theirs on their own caller's.
   *
   * Since: 0.1
   */
  signals[SIGNAL_OPENED] = g_signal_new ("opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mailsync_repository_init (MailsyncRepository *self)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  priv->separator = '.';
  priv->create_folders = TRUE;
  priv->sync_deletes = TRUE;
  g_mutex_init (&priv->refusals_lock);
  priv->refusals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_error_free);
}

/* For mailsync-repository-ops.c: see mailsync-repository-private.h. */
MailsyncRepositoryPrivate *
_mailsync_repository_get_private (MailsyncRepository *self)
{
  return mailsync_repository_get_instance_private (self);
}

void
_mailsync_repository_emit_opened (MailsyncRepository *self)
{
  g_signal_emit (self, signals[SIGNAL_OPENED], 0);
}

GMainContext *
_mailsync_repository_dup_opened_context (MailsyncRepository *self)
{
  g_autoptr(GMainContext) context = _mailsync_repository_dup_interaction_context (self);
  g_autoptr(GMainContext) here = NULL;

  if (context == NULL || !g_signal_has_handler_pending (self, signals[SIGNAL_OPENED], 0, FALSE))
    return NULL;
  here = g_main_context_ref_thread_default ();
  return here == context ? NULL : g_steal_pointer (&context);
}

/**
 * mailsync_repository_get_name:
 * @self: a repository
 *
 * Gets the value of the #MailsyncRepository:name property.
 *
 * Returns: the name
 *
 * Since: 0.1
 */
const char *
mailsync_repository_get_name (MailsyncRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  return PRIV (self)->name;
}

/**
 * mailsync_repository_get_separator:
 * @self: a repository
 *
 * Gets the value of the #MailsyncRepository:separator property.
 *
 * Returns: the hierarchy separator
 *
 * Since: 0.1
 */
char
mailsync_repository_get_separator (MailsyncRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), '.');
  return PRIV (self)->separator;
}

/**
 * mailsync_repository_get_readonly:
 * @self: a repository
 *
 * Gets the value of the #MailsyncRepository:readonly property.
 *
 * Returns: whether the repository is never written
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_get_readonly (MailsyncRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), TRUE);
  return PRIV (self)->readonly;
}

/**
 * mailsync_repository_set_readonly:
 * @self: a repository
 * @readonly: %TRUE to never write
 *
 * Sets #MailsyncRepository:readonly.
 *
 * Since: 0.1
 */
void
mailsync_repository_set_readonly (MailsyncRepository *self,
                                  gboolean            readonly)
{
  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  readonly = !!readonly;
  if (PRIV (self)->readonly == readonly)
    return;
  PRIV (self)->readonly = readonly;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READONLY]);
}

/**
 * mailsync_repository_get_create_folders:
 * @self: a repository
 *
 * Gets the value of the #MailsyncRepository:create-folders property.
 *
 * Returns: whether missing folders are created here
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_get_create_folders (MailsyncRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), FALSE);
  return PRIV (self)->create_folders;
}

/**
 * mailsync_repository_set_create_folders:
 * @self: a repository
 * @create_folders: %TRUE to create missing folders here
 *
 * Sets #MailsyncRepository:create-folders.
 *
 * Since: 0.1
 */
void
mailsync_repository_set_create_folders (MailsyncRepository *self,
                                        gboolean            create_folders)
{
  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  create_folders = !!create_folders;
  if (PRIV (self)->create_folders == create_folders)
    return;
  PRIV (self)->create_folders = create_folders;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATE_FOLDERS]);
}

/**
 * mailsync_repository_get_sync_deletes:
 * @self: a repository
 *
 * Gets the value of the #MailsyncRepository:sync-deletes property.
 *
 * Returns: whether deletions here propagate
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_get_sync_deletes (MailsyncRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), FALSE);
  return PRIV (self)->sync_deletes;
}

/**
 * mailsync_repository_set_sync_deletes:
 * @self: a repository
 * @sync_deletes: %TRUE to propagate deletions made here
 *
 * Sets #MailsyncRepository:sync-deletes.
 *
 * Since: 0.1
 */
void
mailsync_repository_set_sync_deletes (MailsyncRepository *self,
                                      gboolean            sync_deletes)
{
  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  sync_deletes = !!sync_deletes;
  if (PRIV (self)->sync_deletes == sync_deletes)
    return;
  PRIV (self)->sync_deletes = sync_deletes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC_DELETES]);
}

/**
 * mailsync_repository_set_nametrans:
 * @self: a repository
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy): the translation
 * @user_data: closure data
 * @destroy: (nullable): frees @user_data
 *
 * Sets the folder name translation (offlineimap's `nametrans`).
 *
 * Since: 0.1
 */
void
mailsync_repository_set_nametrans (MailsyncRepository *self,
                                   MailsyncNameFunc    func,
                                   gpointer            user_data,
                                   GDestroyNotify      destroy)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  if (priv->nametrans_destroy)
    priv->nametrans_destroy (priv->nametrans_data);
  priv->nametrans = func;
  priv->nametrans_data = user_data;
  priv->nametrans_destroy = destroy;
}

/**
 * mailsync_repository_set_folder_filter:
 * @self: a repository
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy): the filter
 * @user_data: closure data
 * @destroy: (nullable): frees @user_data
 *
 * Sets the folder filter (offlineimap's `folderfilter`).
 *
 * Since: 0.1
 */
void
mailsync_repository_set_folder_filter (MailsyncRepository       *self,
                                       MailsyncFolderFilterFunc  func,
                                       gpointer                  user_data,
                                       GDestroyNotify            destroy)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  if (priv->filter_destroy)
    priv->filter_destroy (priv->filter_data);
  priv->filter = func;
  priv->filter_data = user_data;
  priv->filter_destroy = destroy;
}

/**
 * mailsync_repository_translate_name:
 * @self: a repository
 * @name: a native folder name
 *
 * Translates @name with the repository's nametrans. If the translation
 * refused @name, this returns @name itself, which is only good for
 * display: the engine asks mailsync_repository_check_folder() before it
 * names anything after a translation.
 *
 * Returns: (transfer full): the visible name of @name
 *
 * Since: 0.1
 */
static char *translate_checked (MailsyncRepository *self,
                                const char         *name);

char *
mailsync_repository_translate_name (MailsyncRepository *self,
                                    const char         *name)
{
  char *visible;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  visible = translate_checked (self, name);
  return visible != NULL ? visible : g_strdup (name);
}

/* The nametrans's name (NULL: refused), then the backend's decoding of
 * it (decodefoldernames decodes what nametrans gives, as offlineimap 7's
 * IMAPFolder does). */
static char *
translate_checked (MailsyncRepository *self,
                   const char         *name)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);
  g_autofree char *visible = NULL;
  char *decoded;

  if (priv->nametrans == NULL)
    visible = g_strdup (name);
  else
    visible = priv->nametrans (name, priv->nametrans_data);
  if (visible == NULL || priv->name_decoder == NULL)
    return g_steal_pointer (&visible);
  decoded = priv->name_decoder (visible, NULL);
  return decoded != NULL ? decoded : g_steal_pointer (&visible);
}

void
_mailsync_repository_set_name_decoder (MailsyncRepository *self,
                                       MailsyncNameFunc    func)
{
  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  PRIV (self)->name_decoder = func;
}

MailsyncNameFunc
_mailsync_repository_get_name_decoder (MailsyncRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  return PRIV (self)->name_decoder;
}

/**
 * mailsync_repository_includes_folder:
 * @self: a repository
 * @name: a native folder name
 *
 * Applies the repository's folder filter and folder includes
 * (offlineimap's `folderfilter` and `folderincludes`) to a folder name.
 *
 * Returns: whether the folder filter lets @name take part
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_includes_folder (MailsyncRepository *self,
                                     const char         *name)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), FALSE);
  return priv->filter == NULL || priv->filter (name, priv->filter_data);
}

/**
 * mailsync_repository_refuse_folder:
 * @self: a repository
 * @name: a native folder name
 * @error: why
 *
 * Called by a nametrans or folder filter callback that cannot decide about
 * @name (say a user's Python expression raised). The engine then fails
 * that folder with @error instead of guessing a name or a filter result:
 * mailsync_repository_check_folder() returns it.
 *
 * Since: 0.1
 */
void
mailsync_repository_refuse_folder (MailsyncRepository *self,
                                   const char         *name,
                                   const GError       *error)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  g_return_if_fail (name != NULL && error != NULL);
  g_mutex_lock (&priv->refusals_lock);
  /* The first reason wins: the filter runs before the translation. */
  if (!g_hash_table_contains (priv->refusals, name))
    g_hash_table_insert (priv->refusals, g_strdup (name), g_error_copy (error));
  g_mutex_unlock (&priv->refusals_lock);
}

/* A problem the last folder listing reports without failing: the engine
 * takes it after the listing and shows it as an error of the account.
 * Takes @error. */
void
_mailsync_repository_add_listing_problem (MailsyncRepository *self,
                                          GError             *error)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  g_return_if_fail (error != NULL);
  g_mutex_lock (&priv->refusals_lock);
  if (priv->listing_problems == NULL)
    priv->listing_problems = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_ptr_array_add (priv->listing_problems, error);
  g_mutex_unlock (&priv->refusals_lock);
}

/* Returns (transfer full) the problems added since the last call, or NULL. */
GPtrArray *
_mailsync_repository_take_listing_problems (MailsyncRepository *self)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);
  GPtrArray *problems;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  g_mutex_lock (&priv->refusals_lock);
  problems = g_steal_pointer (&priv->listing_problems);
  g_mutex_unlock (&priv->refusals_lock);
  return problems;
}

/**
 * mailsync_repository_check_folder:
 * @self: a repository
 * @name: a native folder name
 * @error: return location for a #GError
 *
 * Runs the folder filter and the name translation on @name and reports
 * whether either refused it (see mailsync_repository_refuse_folder()).
 * Whether the filter includes the folder is a separate question:
 * mailsync_repository_includes_folder().
 *
 * Returns: %TRUE if both callbacks could decide about @name
 *
 * Since: 0.1
 */
gboolean
mailsync_repository_check_folder (MailsyncRepository  *self,
                                  const char          *name,
                                  GError             **error)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);
  g_autofree char *visible = NULL;
  g_autofree char *key = NULL;
  GError *refusal = NULL;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_mutex_lock (&priv->refusals_lock);
  g_hash_table_remove (priv->refusals, name);
  g_mutex_unlock (&priv->refusals_lock);

  mailsync_repository_includes_folder (self, name);
  visible = translate_checked (self, name);

  g_mutex_lock (&priv->refusals_lock);
  g_hash_table_steal_extended (priv->refusals, name, (gpointer *) &key, (gpointer *) &refusal);
  g_mutex_unlock (&priv->refusals_lock);
  if (refusal != NULL)
    {
      g_propagate_error (error, refusal);
      return FALSE;
    }
  if (visible == NULL)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED,
                   "Repository %s: the name translation refused folder '%s'", priv->name, name);
      return FALSE;
    }
  return TRUE;
}

/* How many opens are outstanding (tests, and the account's bookkeeping). */
guint
_mailsync_repository_get_open_count (MailsyncRepository *self)
{
  return (guint) g_atomic_int_get (&PRIV (self)->open_count);
}

void
_mailsync_repository_set_separator (MailsyncRepository *self, char separator)
{
  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  if (PRIV (self)->separator == separator)
    return;
  PRIV (self)->separator = separator;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEPARATOR]);
}

/* The name offlineimap's UIs give the repository's class, when it is not
 * the backend's own ("Gmail" for an IMAP repository of type Gmail,
 * "GmailMaildir" for a Maildir one): see _mailsync_type_label(). */
void
_mailsync_repository_set_type_label (MailsyncRepository *self, const char *label)
{
  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  g_object_set_data (G_OBJECT (self), "mailsync-type-label", (gpointer) g_intern_string (label));
}

const char *
_mailsync_repository_get_type_label (MailsyncRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  return g_object_get_data (G_OBJECT (self), "mailsync-type-label");
}

void
_mailsync_repository_set_validity_dir (MailsyncRepository *self, const char *dir)
{
  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  g_object_set_data_full (G_OBJECT (self), "mailsync-validity-dir", g_strdup (dir), g_free);
}

const char *
_mailsync_repository_get_validity_dir (MailsyncRepository *self)
{
  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  return g_object_get_data (G_OBJECT (self), "mailsync-validity-dir");
}

/* newmail_hook (offlineimap's IMAP repository option): the account runs it
 * after a folder named INBOX of this repository had unread mail copied to
 * the other side. */
void
_mailsync_repository_set_newmail_hook (MailsyncRepository *self,
                                       _MailsyncHookFunc   func,
                                       gpointer            data,
                                       GDestroyNotify      destroy)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  if (priv->newmail_hook_destroy)
    priv->newmail_hook_destroy (priv->newmail_hook_data);
  priv->newmail_hook = func;
  priv->newmail_hook_data = data;
  priv->newmail_hook_destroy = destroy;
}

gboolean
_mailsync_repository_has_newmail_hook (MailsyncRepository *self)
{
  return PRIV (self)->newmail_hook != NULL;
}

gboolean
_mailsync_repository_run_newmail_hook (MailsyncRepository *self,
                                       GError            **error)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  if (priv->newmail_hook == NULL)
    return TRUE;
  return priv->newmail_hook (priv->newmail_hook_data, error);
}

/* copy_ignore_eval: the UIDs of a folder (by its visible name) never to
 * copy from this repository. */
void
_mailsync_repository_set_copy_ignore (MailsyncRepository *self,
                                      _MailsyncUidsFunc   func,
                                      gpointer            data,
                                      GDestroyNotify      destroy)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  if (priv->copy_ignore_destroy)
    priv->copy_ignore_destroy (priv->copy_ignore_data);
  priv->copy_ignore = func;
  priv->copy_ignore_data = data;
  priv->copy_ignore_destroy = destroy;
}

gboolean
_mailsync_repository_get_copy_ignore (MailsyncRepository *self,
                                      const char         *folder,
                                      GArray            **uids,
                                      GError            **error)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  *uids = NULL;
  if (priv->copy_ignore == NULL)
    return TRUE;
  return priv->copy_ignore (folder, uids, priv->copy_ignore_data, error);
}

/**
 * mailsync_repository_set_interaction:
 * @self: a repository
 * @interaction: (nullable): what to ask the user through, or %NULL
 *
 * Sets #MailsyncRepository:interaction. It takes effect at the next
 * question (a connection already logged in is not asked again). A
 * repository that wraps another, which connects for it (a
 * #MailsyncMappedRepository's IMAP repository), sets it there too.
 *
 * Since: 0.1
 */
void
mailsync_repository_set_interaction (MailsyncRepository  *self,
                                     MailsyncInteraction *interaction)
{
  MailsyncRepositoryPrivate *priv;
  gboolean changed;

  g_return_if_fail (MAILSYNC_IS_REPOSITORY (self));
  g_return_if_fail (interaction == NULL || MAILSYNC_IS_INTERACTION (interaction));
  priv = PRIV (self);
  g_mutex_lock (&priv->refusals_lock);
  changed = g_set_object (&priv->interaction, interaction);
  g_mutex_unlock (&priv->refusals_lock);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERACTION]);
  /* the repository it wraps connects for it (a mapped one's IMAP) */
  if (priv->wrapped != NULL)
    mailsync_repository_set_interaction (priv->wrapped, interaction);
}

/**
 * mailsync_repository_dup_interaction:
 * @self: a repository
 *
 * Gets #MailsyncRepository:interaction.
 *
 * Returns: (transfer full) (nullable): the interaction, or %NULL
 *
 * Since: 0.1
 */
MailsyncInteraction *
mailsync_repository_dup_interaction (MailsyncRepository *self)
{
  MailsyncRepositoryPrivate *priv;
  MailsyncInteraction *interaction;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  priv = PRIV (self);
  g_mutex_lock (&priv->refusals_lock);
  interaction = priv->interaction != NULL ? g_object_ref (priv->interaction) : NULL;
  g_mutex_unlock (&priv->refusals_lock);
  return interaction;
}

/* See mailsync-private.h. */
void
_mailsync_repository_hold_dry_run (MailsyncRepository *self, gboolean hold)
{
  MailsyncRepositoryPrivate *priv = PRIV (self);

  if (hold)
    g_atomic_int_inc (&priv->dry_run_holds);
  else
    g_atomic_int_dec_and_test (&priv->dry_run_holds);
  if (priv->wrapped != NULL)
    _mailsync_repository_hold_dry_run (priv->wrapped, hold);
}

gboolean
_mailsync_repository_in_dry_run (MailsyncRepository *self)
{
  return g_atomic_int_get (&PRIV (self)->dry_run_holds) > 0;
}

void
_mailsync_repository_set_wrapped (MailsyncRepository *self, MailsyncRepository *inner)
{
  PRIV (self)->wrapped = inner;
}

MailsyncRepository *
_mailsync_repository_get_wrapped (MailsyncRepository *self)
{
  return PRIV (self)->wrapped;
}

static GQuark
begin_sync_quark (void)
{
  return g_quark_from_static_string ("mailsync-begin-sync");
}

/* See mailsync-private.h. */
void
_mailsync_repository_class_set_begin_sync (gpointer klass, _MailsyncBeginSyncFunc func)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), begin_sync_quark (), (gpointer) func);
}

/* The count of syncs in progress and the backend's start under one lock:
 * a sync that begins while another's first begin runs finds it done. */
G_LOCK_DEFINE_STATIC (syncs_running);

void
_mailsync_repository_begin_sync (MailsyncRepository *self)
{
  G_LOCK (syncs_running);
  /* Only the first of syncs running at once starts the backend's sync:
   * another account's start must not wipe what a sync still running on
   * a shared repository keeps (review24 M-A). */
  if (PRIV (self)->syncs_running++ == 0)
    for (GType type = G_OBJECT_TYPE (self); type != MAILSYNC_TYPE_REPOSITORY; type = g_type_parent (type))
      {
        _MailsyncBeginSyncFunc func = (_MailsyncBeginSyncFunc) g_type_get_qdata (type, begin_sync_quark ());

        if (func != NULL)
          {
            func (self);
            break;
          }
      }
  G_UNLOCK (syncs_running);
  if (PRIV (self)->wrapped != NULL)
    _mailsync_repository_begin_sync (PRIV (self)->wrapped);
}

void
_mailsync_repository_end_sync (MailsyncRepository *self)
{
  gboolean ended;

  G_LOCK (syncs_running);
  ended = PRIV (self)->syncs_running > 0;
  if (ended)
    PRIV (self)->syncs_running--;
  G_UNLOCK (syncs_running);
  g_return_if_fail (ended);
  if (PRIV (self)->wrapped != NULL)
    _mailsync_repository_end_sync (PRIV (self)->wrapped);
}

/* Where this repository asks and emits "opened" during an account's
 * sync: the client context of the run whose thread (or job, or thread of
 * _mailsync_task_run_in_thread()) is calling (mailsync-worker.h), so
 * that two runs sharing the repository each have their own; NULL
 * outside a run. */
GMainContext *
_mailsync_repository_dup_interaction_context (MailsyncRepository *self)
{
  GMainContext *context = _mailsync_get_client_context ();

  return context != NULL ? g_main_context_ref (context) : NULL;
}
