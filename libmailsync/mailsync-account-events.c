/* The account's events (moved out of mailsync-account.c, issue 14 item 3):
 * queueing them from the engine's thread and delivering them on the
 * caller's context in order, the emitters the engine and the folder loop
 * (sync/mailsync-sync-folders.c) call, and the warnings about the
 * repositories' credentials. */
#include "config.h"

#include "mailsync-account-private.h"
#include "credentials/mailsync-credentials-private.h"


/* ---- events ----------------------------------------------------------- */

/* Emits the queued events on the caller's context, in order: a burst (one
 * per message copied) costs one source and one wake-up of the caller's
 * thread, not one each. It takes what is queued when it runs and then
 * lets the caller's other sources run before the next turn. */
static gboolean
deliver_events (gpointer data)
{
  MailsyncAccount *self = data;
  GQueue batch = G_QUEUE_INIT;
  MailsyncSyncEvent *event;
  gboolean again;

  g_mutex_lock (&self->event_lock);
  batch = self->event_queue;
  g_queue_init (&self->event_queue);
  g_mutex_unlock (&self->event_lock);
  while ((event = g_queue_pop_head (&batch)) != NULL)
    {
      _mailsync_account_signal_event (self, event);
      g_object_unref (event);
    }
  g_mutex_lock (&self->event_lock);
  again = !g_queue_is_empty (&self->event_queue);
  self->event_scheduled = again;
  g_mutex_unlock (&self->event_lock);
  /* Staying attached keeps this source ahead of the sync's completion,
   * which is attached after the last event was queued. */
  return again ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Every event says how far the sync is, so that a client that watches
 * only some kinds can still draw its bar (issue 10 item 5): the account's
 * half as it is now, the folder's half from @folder (NULL: the account's
 * own events, whose folder half is zero), stamped when the event is
 * queued. */
void
_mailsync_account_stamp_event (MailsyncAccount              *self,
                               MailsyncSyncEvent            *event,
                               const MailsyncProgressCounts *folder)
{
  MailsyncProgressCounts counts;

  g_mutex_lock (&self->progress_lock);
  counts = self->progress;
  g_mutex_unlock (&self->progress_lock);
  if (folder != NULL)
    {
      counts.folder_messages_done = folder->folder_messages_done;
      counts.folder_messages_total = folder->folder_messages_total;
      counts.folder_bytes_done = folder->folder_bytes_done;
      counts.folder_bytes_total = folder->folder_bytes_total;
    }
  _mailsync_sync_event_set_progress (event, &counts);
}

/* Hands a stamped event to the account's "event" signal. On the engine's
 * thread with no other context to deliver to (the blocking sync), the
 * signal is emitted right here. Otherwise the event is queued for the
 * caller's context (a sync started with _async) or, from a folder sync's
 * own thread (maxconnections), for the engine's thread, which delivers
 * them while it waits for the folder syncs: in the order they were
 * queued, so each folder's events stay in that folder's order. */
void
_mailsync_account_queue_event (MailsyncAccount *self, MailsyncSyncEvent *event)
{
  g_autoptr(GSource) source = NULL;
  GMainContext *target = self->event_context != NULL ? self->event_context : self->engine_context;
  gboolean schedule;

  if (self->event_context == NULL ? self->engine_thread == NULL || g_thread_self () == self->engine_thread
                                  : self->event_context == g_main_context_get_thread_default ())
    {
      _mailsync_account_signal_event (self, event);
      return;
    }
  /* The sync's own completion is an idle source attached after the last
   * event's delivery source, so the callback still comes last. */
  g_mutex_lock (&self->event_lock);
  g_queue_push_tail (&self->event_queue, g_object_ref (event));
  schedule = !self->event_scheduled;
  self->event_scheduled = TRUE;
  g_mutex_unlock (&self->event_lock);
  if (!schedule)
    return;
  /* An idle source, not g_main_context_invoke(): that would run the
   * handler right here, on the engine's thread, whenever the caller's
   * context happens to be free. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver_events, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[mailsync] account events");
  g_source_attach (source, target);
}

/* Whether queued events wait for delivery (the engine's thread waits for
 * them before it emits its own directly again). */
gboolean
_mailsync_account_events_pending (MailsyncAccount *self)
{
  gboolean pending;

  g_mutex_lock (&self->event_lock);
  pending = self->event_scheduled;
  g_mutex_unlock (&self->event_lock);
  return pending;
}

/* The account's own events, on the engine's thread. */
void
_mailsync_account_emit_event (MailsyncSyncEvent *event, gpointer user_data)
{
  MailsyncAccount *self = user_data;

  _mailsync_account_stamp_event (self, event, NULL);
  _mailsync_account_queue_event (self, event);
}

MailsyncSyncEvent *
_mailsync_account_simple_event (MailsyncAccount       *self,
                                MailsyncSyncEventKind  kind,
                                const char            *folder,
                                const char            *repository,
                                const GError          *error,
                                const char            *text)
{
  return _mailsync_sync_event_new (kind, self->name, folder, repository, MAILSYNC_DIRECTION_NONE,
                                   0, 0, 0, NULL, error, text);
}

void
_mailsync_account_emit_simple (MailsyncAccount       *self,
                               MailsyncSyncEventKind  kind,
                               const char            *folder,
                               const char            *repository,
                               const GError          *error,
                               const char            *text)
{
  g_autoptr(MailsyncSyncEvent) event = _mailsync_account_simple_event (self, kind, folder, repository, error, text);

  _mailsync_account_emit_event (event, self);
}

/* The source and destination types let the UIs print "Syncing INBOX: IMAP
 * -> Maildir" and machineui's syncfolders/syncingfolder. */
MailsyncSyncEvent *
_mailsync_account_pair_event (MailsyncAccount       *self,
                              MailsyncSyncEventKind  kind,
                              const char            *folder,
                              const char            *remote_folder,
                              const char            *local_folder,
                              guint                  n,
                              guint                  total)
{
  MailsyncSyncEvent *event =
    _mailsync_sync_event_new (kind, self->name, folder, mailsync_repository_get_name (self->local),
                              MAILSYNC_DIRECTION_NONE, 0, n, total, NULL, NULL, NULL);

  /* "Syncing F" names the server's folder, as offlineimap does. */
  if (remote_folder != NULL)
    _mailsync_sync_event_set_folders (event, remote_folder, local_folder);

  _mailsync_sync_event_set_source (event, mailsync_repository_get_name (self->remote),
                                   _mailsync_type_label (self->remote));
  _mailsync_sync_event_set_destination_type (event, _mailsync_type_label (self->local));
  return event;
}

void
_mailsync_account_emit_pair (MailsyncAccount       *self,
                             MailsyncSyncEventKind  kind,
                             const char            *folder,
                             const char            *remote_folder,
                             const char            *local_folder)
{
  g_autoptr(MailsyncSyncEvent) event = _mailsync_account_pair_event (self, kind, folder, remote_folder,
                                                                      local_folder, 0, 0);

  _mailsync_account_emit_event (event, self);
}

/* The announcement of a network connection when the repository has a
 * server (NULL otherwise), @folder's when a folder's sync makes it: the
 * account knows no backend, so it only reads the generic property names. */
MailsyncSyncEvent *
_mailsync_account_connecting_event (MailsyncAccount *self, MailsyncRepository *repo, const char *folder)
{
  /* a repository wrapping another (IMAP<->IMAP's local side) connects
   * through it: its server, under the wrapper's name (offlineimap's) */
  MailsyncRepository *wrapped = _mailsync_repository_get_wrapped (repo);
  MailsyncRepository *server = wrapped != NULL ? wrapped : repo;
  GObjectClass *klass = G_OBJECT_GET_CLASS (server);
  g_autofree char *host = NULL;
  g_autofree char *tunnel = NULL;
  g_autofree char *text = NULL;
  guint port = 0;

  if (g_object_class_find_property (klass, "host") == NULL)
    return NULL;
  g_object_get (server, "host", &host, NULL);
  if (g_object_class_find_property (klass, "preauth-tunnel") != NULL)
    g_object_get (server, "preauth-tunnel", &tunnel, NULL);
  if ((tunnel == NULL || *tunnel == '\0') && g_object_class_find_property (klass, "transport-tunnel") != NULL)
    {
      g_free (tunnel);
      g_object_get (server, "transport-tunnel", &tunnel, NULL);
    }
  if (g_object_class_find_property (klass, "port") != NULL)
    g_object_get (server, "port", &port, NULL);
  if (tunnel != NULL && *tunnel != '\0')
    text = g_strdup_printf ("tunnel:%s", tunnel);
  else if (host != NULL)
    text = g_strdup_printf ("%s:%u", host, port);
  else
    return NULL;
  return _mailsync_account_simple_event (self, MAILSYNC_SYNC_EVENT_CONNECTING, folder, mailsync_repository_get_name (repo),
                                         NULL, text);
}

void
_mailsync_account_emit_connecting (MailsyncAccount *self, MailsyncRepository *repo)
{
  g_autoptr(MailsyncSyncEvent) event = _mailsync_account_connecting_event (self, repo, NULL);

  if (event != NULL)
    _mailsync_account_emit_event (event, self);
}

/* What the user should know that is no failure of the sync: the keyring
 * store after a login failed (--update-keyring). The library does not
 * print; a warning event names the repository, and every client shows it
 * with the sync's other warnings. */
void
_mailsync_account_emit_credential_warnings (MailsyncAccount *self)
{
  MailsyncRepository *repos[] = { self->remote, self->local };

  for (guint i = 0; i < G_N_ELEMENTS (repos); i++)
    {
      g_autoptr(GError) warning = _mailsync_credentials_take_store_error (repos[i]);

      if (warning != NULL)
        _mailsync_account_emit_simple (self, MAILSYNC_SYNC_EVENT_WARNING, NULL, mailsync_repository_get_name (repos[i]),
                                       warning, warning->message);
    }
}
