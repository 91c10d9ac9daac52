#include "config.h"

#include "mailsync-account.h"
#include "mailsync-account-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-interaction-private.h"
#include "mailsync-worker.h"
#include "sync/mailsync-sync-runner.h"

#include <string.h>

/**
 * MailsyncAccount:
 *
 * A pair of repositories (remote and local) and the status store that
 * remembers their last agreed state: what offlineimap calls an account.
 * mailsync_account_sync() creates missing folders on both sides and then
 * runs the three-way sync of every folder, reporting progress through the
 * #MailsyncAccount::event signal.
 *
 * Threading: the account is not thread-safe. Events are emitted on the
 * thread-default main context of the caller of mailsync_account_sync() or
 * mailsync_account_sync_async().
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (MailsyncAccount, mailsync_account, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_REMOTE,
  PROP_LOCAL,
  PROP_STATUS,
  PROP_DRY_RUN,
  PROP_QUICK,
  PROP_MAX_DELETE_RATIO,
  PROP_MAX_IN_FLIGHT,
  PROP_MAX_AGE,
  PROP_MAX_SIZE,
  PROP_REMOVE_DELETED_FOLDERS,
  PROP_PLAN_AHEAD,
  N_PROPS
};

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
mailsync_account_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MailsyncAccount *self = MAILSYNC_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_REMOTE: g_value_set_object (value, self->remote); break;
    case PROP_LOCAL: g_value_set_object (value, self->local); break;
    case PROP_STATUS: g_value_set_object (value, self->status); break;
    case PROP_DRY_RUN: g_value_set_boolean (value, self->dry_run); break;
    case PROP_QUICK: g_value_set_boolean (value, self->quick); break;
    case PROP_PLAN_AHEAD: g_value_set_boolean (value, self->plan_ahead); break;
    case PROP_MAX_DELETE_RATIO: g_value_set_double (value, self->max_delete_ratio); break;
    case PROP_MAX_IN_FLIGHT: g_value_set_uint (value, self->max_in_flight); break;
    case PROP_MAX_AGE: g_value_set_uint (value, self->max_age); break;
    case PROP_MAX_SIZE: g_value_set_uint64 (value, self->max_size); break;
    case PROP_REMOVE_DELETED_FOLDERS: g_value_set_boolean (value, self->remove_deleted_folders); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mailsync_account_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MailsyncAccount *self = MAILSYNC_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_NAME: self->name = g_value_dup_string (value); break;
    case PROP_REMOTE: self->remote = g_value_dup_object (value); break;
    case PROP_LOCAL: self->local = g_value_dup_object (value); break;
    case PROP_STATUS: self->status = g_value_dup_object (value); break;
    case PROP_DRY_RUN: mailsync_account_set_dry_run (self, g_value_get_boolean (value)); break;
    case PROP_QUICK: mailsync_account_set_quick (self, g_value_get_boolean (value)); break;
    case PROP_PLAN_AHEAD: mailsync_account_set_plan_ahead (self, g_value_get_boolean (value)); break;
    case PROP_MAX_DELETE_RATIO: mailsync_account_set_max_delete_ratio (self, g_value_get_double (value)); break;
    case PROP_MAX_IN_FLIGHT: mailsync_account_set_max_in_flight (self, g_value_get_uint (value)); break;
    case PROP_MAX_AGE: mailsync_account_set_max_age (self, g_value_get_uint (value)); break;
    case PROP_MAX_SIZE: mailsync_account_set_max_size (self, g_value_get_uint64 (value)); break;
    case PROP_REMOVE_DELETED_FOLDERS:
      mailsync_account_set_remove_deleted_folders (self, g_value_get_boolean (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
cancel_close (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* Closes one held open, waiting for it (the LOGOUT) at most
 * CLOSE_TIMEOUT_SECONDS: disposal must not hang on a dead server. */
#define CLOSE_TIMEOUT_SECONDS 10

static void
close_held (MailsyncRepository *repo)
{
  g_auto(MailsyncSyncCall) call = MAILSYNC_SYNC_CALL_INIT;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) timer = g_timeout_source_new_seconds (CLOSE_TIMEOUT_SECONDS);

  _mailsync_sync_call_begin (&call);
  g_source_set_callback (timer, cancel_close, cancellable, NULL);
  g_source_attach (timer, g_main_context_get_thread_default ());
  mailsync_repository_close_async (repo, cancellable, _mailsync_sync_call_done, &call);
  mailsync_repository_close_finish (repo, _mailsync_sync_call_wait (&call), NULL);
  g_source_destroy (timer);
}

static void
mailsync_account_dispose (GObject *object)
{
  MailsyncAccount *self = MAILSYNC_ACCOUNT (object);

  /* A held connection is the account's open: give it back now, not
   * later on the repository's thread (a program that ends after this
   * must not have a LOGOUT still in flight while its libraries shut
   * down; seen as an abort at exit). */
  if (self->remote_opened && self->remote != NULL)
    close_held (self->remote);
  if (self->local_opened && self->local != NULL)
    close_held (self->local);
  self->remote_opened = self->local_opened = FALSE;
  g_clear_object (&self->remote);
  g_clear_object (&self->local);
  g_clear_object (&self->status);
  G_OBJECT_CLASS (mailsync_account_parent_class)->dispose (object);
}

static void
mailsync_account_finalize (GObject *object)
{
  MailsyncAccount *self = MAILSYNC_ACCOUNT (object);

  g_free (self->name);
  /* Events still queued: the caller's context went away (and with it the
   * delivery source, which held a reference) before delivering them. */
  g_queue_clear_full (&self->event_queue, g_object_unref);
  g_mutex_clear (&self->event_lock);
  g_mutex_clear (&self->progress_lock);
  G_OBJECT_CLASS (mailsync_account_parent_class)->finalize (object);
}

static void
mailsync_account_class_init (MailsyncAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = mailsync_account_get_property;
  object_class->set_property = mailsync_account_set_property;
  object_class->dispose = mailsync_account_dispose;
  object_class->finalize = mailsync_account_finalize;

  /**
   * MailsyncAccount:name: (attributes org.gtk.Property.get=mailsync_account_get_name)
   *
   * The account name (`[Account NAME]`).
   *
   * Since: 0.1
   */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:remote: (attributes org.gtk.Property.get=mailsync_account_get_remote)
   *
   * The remote repository: its UIDs key the status.
   *
   * Since: 0.1
   */
  properties[PROP_REMOTE] = g_param_spec_object ("remote", NULL, NULL, MAILSYNC_TYPE_REPOSITORY,
    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:local: (attributes org.gtk.Property.get=mailsync_account_get_local)
   *
   * The local repository.
   *
   * Since: 0.1
   */
  properties[PROP_LOCAL] = g_param_spec_object ("local", NULL, NULL, MAILSYNC_TYPE_REPOSITORY,
    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:status: (attributes org.gtk.Property.get=mailsync_account_get_status)
   *
   * The status store.
   *
   * Since: 0.1
   */
  properties[PROP_STATUS] = g_param_spec_object ("status", NULL, NULL, MAILSYNC_TYPE_STATUS_STORE,
    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:dry-run: (attributes org.gtk.Property.get=mailsync_account_get_dry_run org.gtk.Property.set=mailsync_account_set_dry_run)
   *
   * Report what would change, change nothing: neither side's messages
   * and flags, nor the status, nor the repositories' own files (such as
   * #MailsyncImapRepository:capability-cache, which is still read).
   *
   * Since: 0.1
   */
  properties[PROP_DRY_RUN] = g_param_spec_boolean ("dry-run", NULL, NULL, FALSE,
    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:quick: (attributes org.gtk.Property.get=mailsync_account_get_quick org.gtk.Property.set=mailsync_account_set_quick)
   *
   * offlineimap's quick sync: a folder in which nothing changed on either
   * side since the last run is reported as skipped ("not changed"). The
   * folder is still listed (cheaply, with the fast resync), so a change on
   * either side, flags included, is always synced.
   *
   * Since: 0.1
   */
  properties[PROP_QUICK] = g_param_spec_boolean ("quick", NULL, NULL, FALSE,
    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:plan-ahead: (attributes org.gtk.Property.get=mailsync_account_get_plan_ahead org.gtk.Property.set=mailsync_account_set_plan_ahead)
   *
   * Plan every folder before the first one's copies, so that the
   * account's totals (messages and bytes to copy over all folders) are
   * known up front: a %MAILSYNC_SYNC_EVENT_ACCOUNT_PLANNED event carries
   * them, and every event's account progress counts from them, for one
   * progress bar with an ETA for the whole account. Costs one more
   * listing of each folder that changed since the last sync (an
   * unchanged one is not listed).
   *
   * Since: 0.1
   */
  properties[PROP_PLAN_AHEAD] = g_param_spec_boolean ("plan-ahead", NULL, NULL, FALSE,
    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:max-delete-ratio: (attributes org.gtk.Property.get=mailsync_account_get_max_delete_ratio org.gtk.Property.set=mailsync_account_set_max_delete_ratio)
   *
   * The share of a folder's known messages that one run may delete (from
   * ten deletions on); 1.0 or more disables the guard.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_DELETE_RATIO] = g_param_spec_double ("max-delete-ratio", NULL, NULL, 0.0, G_MAXDOUBLE, 0.5,
    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:max-in-flight: (attributes org.gtk.Property.get=mailsync_account_get_max_in_flight org.gtk.Property.set=mailsync_account_set_max_in_flight)
   *
   * How many message operations run at once in a folder; also the size of
   * a durability batch. Downloads of small messages from a server (not
   * from a Maildir) may run up to four times as many at once, while the
   * sizes the server announced for them add up to at most 32 KiB per
   * operation of this window, so that a distant server's round trips are
   * covered in bytes, not in messages.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_IN_FLIGHT] = g_param_spec_uint ("max-in-flight", NULL, NULL, 1, 4096, 64,
    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:max-age: (attributes org.gtk.Property.get=mailsync_account_get_max_age org.gtk.Property.set=mailsync_account_set_max_age)
   *
   * Only sync messages younger than this many days (offlineimap's
   * `maxage`); 0 syncs all.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_AGE] = g_param_spec_uint ("max-age", NULL, NULL, 0, G_MAXUINT, 0,
    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:max-size: (attributes org.gtk.Property.get=mailsync_account_get_max_size org.gtk.Property.set=mailsync_account_set_max_size)
   *
   * Only sync messages of at most this many bytes (offlineimap's
   * `maxsize`); 0 syncs all.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_SIZE] = g_param_spec_uint64 ("max-size", NULL, NULL, 0, G_MAXUINT64, 0,
    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MailsyncAccount:remove-deleted-folders: (attributes org.gtk.Property.get=mailsync_account_get_remove_deleted_folders org.gtk.Property.set=mailsync_account_set_remove_deleted_folders)
   *
   * Whether a folder deleted on the remote side is deleted on the local
   * side too (mbsync's `Remove Near`, the config's `remove = local`),
   * instead of being created on the remote again. Only a folder that was
   * synced before (it has a status) and holds nothing unsynced is
   * deleted, with its status, and only when the remote listing was
   * complete and the deletions stay within
   * #MailsyncAccount:max-delete-ratio (a server that lost its folders
   * looks like this); a folder held back is skipped for the run with a
   * warning event. A read-only local repository is never touched. There
   * is no remote counterpart on purpose: a folder missing locally (a disk
   * not mounted) must not take the server's copy with it.
   *
   * Since: 0.1
   */
  properties[PROP_REMOVE_DELETED_FOLDERS] = g_param_spec_boolean ("remove-deleted-folders", NULL, NULL, FALSE,
    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MailsyncAccount::event:
   * @self: the account
   * @event: what happened
   *
   * Emitted for everything a UI may show, on the caller's main context.
   *
   * Since: 0.1
   */
  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, MAILSYNC_TYPE_SYNC_EVENT);
}

static void
mailsync_account_init (MailsyncAccount *self)
{
  g_mutex_init (&self->event_lock);
  g_mutex_init (&self->progress_lock);
  g_queue_init (&self->event_queue);
  self->max_delete_ratio = 0.5;
  self->max_in_flight = 64;
}

/**
 * mailsync_account_new:
 * @name: the account name
 * @remote: the remote repository
 * @local: the local repository
 * @status: the status store
 *
 * Creates an account that syncs @remote and @local through @status,
 * offlineimap's three-way sync. The account keeps a reference to each; a
 * repository may be shared with the caller (opens are counted).
 *
 * Returns: (transfer full): a new account
 *
 * Since: 0.1
 */
MailsyncAccount *
mailsync_account_new (const char          *name,
                      MailsyncRepository  *remote,
                      MailsyncRepository  *local,
                      MailsyncStatusStore *status)
{
  return g_object_new (MAILSYNC_TYPE_ACCOUNT, "name", name, "remote", remote,
                       "local", local, "status", status, NULL);
}

/**
 * mailsync_account_get_name:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:name property.
 *
 * Returns: the name
 *
 * Since: 0.1
 */
const char *
mailsync_account_get_name (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), NULL);
  return self->name;
}

/**
 * mailsync_account_get_remote:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:remote property.
 *
 * Returns: (transfer none): the remote repository
 *
 * Since: 0.1
 */
MailsyncRepository *
mailsync_account_get_remote (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), NULL);
  return self->remote;
}

/**
 * mailsync_account_get_local:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:local property.
 *
 * Returns: (transfer none): the local repository
 *
 * Since: 0.1
 */
MailsyncRepository *
mailsync_account_get_local (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), NULL);
  return self->local;
}

/**
 * mailsync_account_get_status:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:status property.
 *
 * Returns: (transfer none): the status store
 *
 * Since: 0.1
 */
MailsyncStatusStore *
mailsync_account_get_status (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), NULL);
  return self->status;
}

/**
 * mailsync_account_get_dry_run:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:dry-run property.
 *
 * Returns: whether syncs only report
 *
 * Since: 0.1
 */
gboolean
mailsync_account_get_dry_run (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), FALSE);
  return self->dry_run;
}

/**
 * mailsync_account_set_dry_run:
 * @self: an account
 * @dry_run: %TRUE to change nothing
 *
 * Sets #MailsyncAccount:dry-run.
 *
 * Since: 0.1
 */
void
mailsync_account_set_dry_run (MailsyncAccount *self, gboolean dry_run)
{
  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  dry_run = !!dry_run;
  if (self->dry_run == dry_run)
    return;
  self->dry_run = dry_run;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DRY_RUN]);
}

/**
 * mailsync_account_get_quick:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:quick property.
 *
 * Returns: whether syncs are quick ones
 *
 * Since: 0.1
 */
gboolean
mailsync_account_get_quick (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), FALSE);
  return self->quick;
}

/**
 * mailsync_account_set_quick:
 * @self: an account
 * @quick: %TRUE for quick syncs
 *
 * Sets #MailsyncAccount:quick.
 *
 * Since: 0.1
 */
void
mailsync_account_set_quick (MailsyncAccount *self, gboolean quick)
{
  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  quick = !!quick;
  if (self->quick == quick)
    return;
  self->quick = quick;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUICK]);
}

/**
 * mailsync_account_get_plan_ahead:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:plan-ahead property.
 *
 * Returns: whether syncs plan every folder first
 *
 * Since: 0.1
 */
gboolean
mailsync_account_get_plan_ahead (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), FALSE);
  return self->plan_ahead;
}

/**
 * mailsync_account_set_plan_ahead:
 * @self: an account
 * @plan_ahead: %TRUE to report the account's totals up front
 *
 * Sets #MailsyncAccount:plan-ahead.
 *
 * Since: 0.1
 */
void
mailsync_account_set_plan_ahead (MailsyncAccount *self, gboolean plan_ahead)
{
  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  plan_ahead = !!plan_ahead;
  if (self->plan_ahead == plan_ahead)
    return;
  self->plan_ahead = plan_ahead;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAN_AHEAD]);
}

/**
 * mailsync_account_get_max_delete_ratio:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:max-delete-ratio property.
 *
 * Returns: the mass-deletion limit
 *
 * Since: 0.1
 */
double
mailsync_account_get_max_delete_ratio (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), 0.0);
  return self->max_delete_ratio;
}

/**
 * mailsync_account_set_max_delete_ratio:
 * @self: an account
 * @ratio: share of a folder one run may delete; 1.0 or more disables the guard
 *
 * Sets #MailsyncAccount:max-delete-ratio.
 *
 * Since: 0.1
 */
void
mailsync_account_set_max_delete_ratio (MailsyncAccount *self, double ratio)
{
  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  if (self->max_delete_ratio == ratio)
    return;
  self->max_delete_ratio = ratio;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_DELETE_RATIO]);
}

/**
 * mailsync_account_get_max_in_flight:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:max-in-flight property.
 *
 * Returns: how many message operations run at once
 *
 * Since: 0.1
 */
guint
mailsync_account_get_max_in_flight (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), 1);
  return self->max_in_flight;
}

/**
 * mailsync_account_set_max_in_flight:
 * @self: an account
 * @max_in_flight: operations at once, at least 1
 *
 * Sets #MailsyncAccount:max-in-flight.
 *
 * Since: 0.1
 */
void
mailsync_account_set_max_in_flight (MailsyncAccount *self, guint max_in_flight)
{
  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  max_in_flight = MAX (1, max_in_flight);
  if (self->max_in_flight == max_in_flight)
    return;
  self->max_in_flight = max_in_flight;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_IN_FLIGHT]);
}

/**
 * mailsync_account_get_max_age:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:max-age property.
 *
 * Returns: the age limit in days, 0 for none
 *
 * Since: 0.1
 */
guint
mailsync_account_get_max_age (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), 0);
  return self->max_age;
}

/**
 * mailsync_account_set_max_age:
 * @self: an account
 * @days: the age limit in days, 0 for none
 *
 * Sets #MailsyncAccount:max-age.
 *
 * Since: 0.1
 */
void
mailsync_account_set_max_age (MailsyncAccount *self, guint days)
{
  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  if (self->max_age == days)
    return;
  self->max_age = days;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_AGE]);
}

/* maxage = YYYY-MM-DD (YYYYMMDD; 0 for none): offlineimap selects by that
 * day, not by a number of days, and the config loader keeps it so. It
 * wins over #MailsyncAccount:max-age. */
void
_mailsync_account_set_max_age_date (MailsyncAccount *self,
                                                      guint            ymd)
{
  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  self->max_age_date = ymd;
}

/**
 * mailsync_account_get_max_size:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:max-size property.
 *
 * Returns: the size limit in bytes, 0 for none
 *
 * Since: 0.1
 */
guint64
mailsync_account_get_max_size (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), 0);
  return self->max_size;
}

/**
 * mailsync_account_set_max_size:
 * @self: an account
 * @bytes: the size limit in bytes, 0 for none
 *
 * Sets #MailsyncAccount:max-size.
 *
 * Since: 0.1
 */
void
mailsync_account_set_max_size (MailsyncAccount *self, guint64 bytes)
{
  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  if (self->max_size == bytes)
    return;
  self->max_size = bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_SIZE]);
}

/**
 * mailsync_account_get_remove_deleted_folders:
 * @self: an account
 *
 * Gets the value of the #MailsyncAccount:remove-deleted-folders property.
 *
 * Returns: whether folders deleted on the remote side are deleted locally
 *
 * Since: 0.1
 */
gboolean
mailsync_account_get_remove_deleted_folders (MailsyncAccount *self)
{
  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), FALSE);
  return self->remove_deleted_folders;
}

/**
 * mailsync_account_set_remove_deleted_folders:
 * @self: an account
 * @remove: whether folders deleted on the remote side are deleted locally
 *
 * Sets #MailsyncAccount:remove-deleted-folders.
 *
 * Since: 0.1
 */
void
mailsync_account_set_remove_deleted_folders (MailsyncAccount *self, gboolean remove)
{
  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  remove = !!remove;
  if (self->remove_deleted_folders == remove)
    return;
  self->remove_deleted_folders = remove;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOVE_DELETED_FOLDERS]);
}

/* The event signal itself, for mailsync-account-events.c, which queues
 * and delivers the events. */
void
_mailsync_account_signal_event (MailsyncAccount *self, MailsyncSyncEvent *event)
{
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
}

/* A dry run writes nothing: not the repositories' own files either (the
 * IMAP capability cache), whoever set them up (mailsync-private.h). */
static void
hold_dry_run (MailsyncRepository *remote, MailsyncRepository *local, gboolean hold)
{
  if (remote != NULL)
    _mailsync_repository_hold_dry_run (remote, hold);
  if (local != NULL)
    _mailsync_repository_hold_dry_run (local, hold);
}

/* For the length of a sync, its repositories ask their interaction, and
 * emit "opened", on the context the client expects, whichever thread
 * connects: the context of the caller of mailsync_account_sync_async(),
 * or, for mailsync_account_sync(), the engine's context on the caller's
 * own thread. Not the context of the job that connects: with
 * maxconnections a folder sync's own thread (its private context)
 * connects its connection, and a blocking sync's client would be asked
 * there. Set on the engine's thread and carried to the folder threads
 * and the repositories' jobs (mailsync-worker.h): per run, so that two
 * accounts sharing a repository, syncing at once, each keep theirs. */
static gboolean
run_sync (MailsyncAccount *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(MailsyncRepository) dry_remote = NULL;
  g_autoptr(MailsyncRepository) dry_local = NULL;
  GMainContext *previous_client;
  gboolean ok;

  if (self->dry_run)
    {
      dry_remote = self->remote != NULL ? g_object_ref (self->remote) : NULL;
      dry_local = self->local != NULL ? g_object_ref (self->local) : NULL;
      hold_dry_run (dry_remote, dry_local, TRUE);
    }
  memset (&self->progress, 0, sizeof self->progress);
  self->engine_thread = g_thread_self ();
  self->engine_context = g_main_context_ref_thread_default ();
  previous_client = _mailsync_set_client_context (self->event_context != NULL ? self->event_context
                                                                           : self->engine_context);
  _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_ACCOUNT_STARTED, NULL, NULL, NULL, NULL);
  ok = _mailsync_account_sync_folders (self, cancellable, &local_error);
  _mailsync_account_repo_release (self->remote, &self->remote_opened);
  _mailsync_account_repo_release (self->local, &self->local_opened);
  _mailsync_account_repo_end (self->remote, &self->remote_began);
  _mailsync_account_repo_end (self->local, &self->local_began);
  _mailsync_set_client_context (previous_client);
  _mailsync_account_emit_credential_warnings (self);
  _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED, NULL, NULL, local_error,
                                 local_error ? local_error->message : NULL);
  self->engine_thread = NULL;
  g_clear_pointer (&self->engine_context, g_main_context_unref);
  hold_dry_run (dry_remote, dry_local, FALSE);
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

typedef struct
{
  MailsyncAccount *self;
  GCancellable *cancellable;
  GError *error;
  gboolean ok;
} SyncRun;

static void
sync_run (gpointer data, gpointer unused)
{
  SyncRun *run = data;

  run->ok = run_sync (run->self, run->cancellable, &run->error);
}

/* One sync at a time: a second one would interleave both on the wire
 * and on disk (every message twice). */
static gboolean
begin_sync (MailsyncAccount *self, GError **error)
{
  if (g_atomic_int_compare_and_exchange (&self->syncing, 0, 1))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_PENDING, "Account %s is already syncing", self->name);
  return FALSE;
}

/**
 * mailsync_account_sync:
 * @self: an account
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Syncs every folder of the account, blocking the calling thread (any
 * thread; no main loop need run there). Events are emitted on this
 * thread while it runs.
 *
 * An account syncs once at a time: while a sync (this or
 * mailsync_account_sync_async()) runs, another fails at once with
 * %G_IO_ERROR_PENDING and the running one goes on untouched.
 *
 * Returns: %TRUE if every folder synced; on failure the error says whether
 *   folders failed (%MAILSYNC_ERROR_PARTIAL), only UIDVALIDITY problems
 *   occurred (%MAILSYNC_ERROR_UIDVALIDITY_CHANGED), another sync was
 *   running (%G_IO_ERROR_PENDING), or the account stopped
 *
 * Since: 0.1
 */
gboolean
mailsync_account_sync (MailsyncAccount  *self,
                       GCancellable     *cancellable,
                       GError          **error)
{
  SyncRun run = { self, cancellable, NULL, FALSE };

  g_return_val_if_fail (MAILSYNC_IS_ACCOUNT (self), FALSE);
  if (!begin_sync (self, error))
    return FALSE;
  self->event_context = NULL;
  /* A private context: the engine iterates it while operations are in
   * flight, and must not dispatch the caller's unrelated sources. */
  _mailsync_run_private (sync_run, &run);
  g_atomic_int_set (&self->syncing, 0);
  if (!run.ok)
    g_propagate_error (error, run.error);
  return run.ok;
}

static void
sync_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncAccount *self = source;
  SyncRun run = { self, cancellable, NULL, FALSE };

  _mailsync_run_private (sync_run, &run);
  g_clear_pointer (&self->event_context, g_main_context_unref);
  g_atomic_int_set (&self->syncing, 0);
  if (run.ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, run.error);
}

/**
 * mailsync_account_sync_async:
 * @self: an account
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the sync is over
 * @user_data: closure data
 *
 * Syncs the account on a library thread and returns at once; the
 * #MailsyncAccount::event signals and @callback arrive on the caller's
 * thread-default main context, in order, the callback last.
 *
 * While a sync runs, another (async or not) fails at once with
 * %G_IO_ERROR_PENDING and the running one goes on untouched.
 *
 * Since: 0.1
 */
void
mailsync_account_sync_async (MailsyncAccount     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (MAILSYNC_IS_ACCOUNT (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mailsync_account_sync_async);
  if (!begin_sync (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->event_context = g_main_context_ref_thread_default ();
  g_task_run_in_thread (task, sync_thread);
}

/**
 * mailsync_account_sync_finish:
 * @self: an account
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes mailsync_account_sync_async(); @result is the #GAsyncResult its
 * callback got. Call it on the thread-default main context the operation
 * was started from.
 *
 * Returns: %TRUE if every folder synced
 *
 * Since: 0.1
 */
gboolean
mailsync_account_sync_finish (MailsyncAccount  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mailsync_account_sync_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
