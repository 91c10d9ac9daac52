/* What lasts one sync of an IMAP repository, and ends at the next
 * one's start (_mailsync_repository_begin_sync(), from the account's
 * open) as well as at close: each connection's budget for the server's
 * limits, the pipeline's halvings, the early-unanswered counted once,
 * and a login left unanswered, after which no connection of the sync
 * logs in again. The start matters where no close came between two
 * syncs: a repository held open (holdconnectionopen), and one whose open
 * failed, which the account never closes (review22 H1: an autorefresh
 * daemon then failed every sync for an hour after one unanswered login,
 * and the CLI's loop ended after three). */
#include "config.h"

#include "mailsync-imap-repository-private.h"
#include "mailsync-private.h"

/* How long a login left unanswered keeps a repository from connecting
 * when no sync's start or close ends it (a client's own calls on a
 * repository no account syncs), as repository-greeting.c's count. */
#define LOGIN_UNANSWERED_HELD_USEC ((gint64) G_USEC_PER_SEC * 3600)

/* Under pool_lock. */
void
_mailsync_imap_repository_reset_budget_locked (MailsyncImapSlot *slot)
{
  slot->throttle_waits = 0;
  slot->throttle_waited_ms = 0;
  g_clear_error (&slot->throttle_gave_up);
}

gboolean
_mailsync_imap_repository_login_unanswered (MailsyncImapRepository *self, GError **error)
{
  GError *unanswered = NULL;

  g_mutex_lock (&self->pool_lock);
  if (self->login_unanswered != NULL &&
      g_get_monotonic_time () - self->login_unanswered_at >= LOGIN_UNANSWERED_HELD_USEC)
    g_clear_error (&self->login_unanswered);
  if (self->login_unanswered != NULL)
    unanswered = g_error_copy (self->login_unanswered);
  g_mutex_unlock (&self->pool_lock);
  if (unanswered == NULL)
    return FALSE;
  g_propagate_error (error, unanswered);
  return TRUE;
}

void
_mailsync_imap_repository_record_login_unanswered (MailsyncImapRepository *self, const GError *error)
{
  g_mutex_lock (&self->pool_lock);
  if (self->login_unanswered == NULL)
    {
      self->login_unanswered = g_error_copy (error);
      self->login_unanswered_at = g_get_monotonic_time ();
    }
  g_mutex_unlock (&self->pool_lock);
}

/* On the account's thread, before its open: what needs only pool_lock
 * is done here; the settings and the count (connect_lock, which a
 * connect holds as long as a password prompt lasts) wait for the sync's
 * first connect (_mailsync_imap_repository_start_sync_locked), and each
 * connection held open gets its full pipeline back at its next job
 * (_mailsync_imap_repository_restore_in_flight): a connection's settings
 * are its worker's. */
static void
begin_sync (MailsyncRepository *repo)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (repo);

  g_mutex_lock (&self->pool_lock);
  g_clear_error (&self->login_unanswered);
  self->sync_started = TRUE;
  _mailsync_imap_repository_reset_budget_locked (&self->main);
  self->main.in_flight_reset = TRUE;
  for (guint i = 0; i < self->pool->len; i++)
    {
      MailsyncImapSlot *slot = self->pool->pdata[i];

      _mailsync_imap_repository_reset_budget_locked (slot);
      slot->in_flight_reset = TRUE;
    }
  g_mutex_unlock (&self->pool_lock);
}

void
_mailsync_imap_repository_start_sync_locked (MailsyncImapRepository *self)
{
  gboolean started;

  g_mutex_lock (&self->pool_lock);
  started = self->sync_started;
  self->sync_started = FALSE;
  g_mutex_unlock (&self->pool_lock);
  if (!started)
    return;
  /* 0: the connection's default (close_job says why) */
  self->settings->max_in_flight = 0;
  self->early_unanswered_counted_at = 0;
}

void
_mailsync_imap_repository_restore_in_flight (MailsyncImapRepository *self, MailsyncImapSlot *slot)
{
  gboolean reset;

  g_mutex_lock (&self->pool_lock);
  reset = slot->in_flight_reset;
  slot->in_flight_reset = FALSE;
  g_mutex_unlock (&self->pool_lock);
  if (reset && slot->connection != NULL)
    mailsync_imap_connection_set_max_in_flight (slot->connection, 0);
}

void
_mailsync_imap_repository_sync_class_init (MailsyncRepositoryClass *repo_class)
{
  _mailsync_repository_class_set_begin_sync (repo_class, begin_sync);
}
