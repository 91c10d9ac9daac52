/* The IMAP repository's connection pool (offlineimap's maxconnections,
 * issue 13 item 5, doc/design.md "maxconnections"): up to max-connections
 * connections, each with its own worker thread (a connection is
 * single-threaded: every job of it runs on its worker). The repository's
 * own connection (main) is the first; the others are made by the first
 * lease that needs each and log in with their first job.
 *
 * A folder leases one slot for the length of its sync; its jobs then
 * run on that slot's worker and connection. A lease with every slot
 * taken waits for a release. The leases and the slots' connection
 * pointers are under pool_lock; everything a slot's connection does is
 * on its own worker. */
#include "config.h"

#include "mailsync-imap-repository-private.h"
#include "mailsync-imap-folder-private.h"
#include "mailsync-private.h"

static MailsyncImapSlot *
slot_new (MailsyncImapRepository *self, guint number)
{
  MailsyncImapSlot *slot = g_new0 (MailsyncImapSlot, 1);

  slot->number = number;
  slot->repository = self;
  slot->worker = _mailsync_worker_new ("mailsync-imap");
  return slot;
}

void
_mailsync_imap_repository_pool_init (MailsyncImapRepository *self)
{
  self->main.repository = self;
  self->pool = g_ptr_array_new ();
  g_queue_init (&self->lease_waiters);
  g_mutex_init (&self->pool_lock);
  g_rec_mutex_init (&self->connect_lock);
  self->throttle_interrupt = g_cancellable_new ();
}

/* On the slot's worker, as it stops. */
static void
slot_teardown (gpointer data)
{
  MailsyncImapSlot *slot = data;

  if (slot->connection != NULL)
    mailsync_imap_connection_close (slot->connection);
  _mailsync_imap_repository_drop_connection (slot->repository, slot);
}

void
_mailsync_imap_repository_pool_dispose (MailsyncImapRepository *self)
{
  /* A waiting lease holds a ref on the repository: none is left here. */
  for (guint i = 0; i < self->pool->len; i++)
    {
      MailsyncImapSlot *slot = self->pool->pdata[i];

      if (slot->worker != NULL)
        _mailsync_worker_free (g_steal_pointer (&slot->worker), slot_teardown, slot);
    }
}

void
_mailsync_imap_repository_pool_finalize (MailsyncImapRepository *self)
{
  for (guint i = 0; i < self->pool->len; i++)
    {
      MailsyncImapSlot *slot = self->pool->pdata[i];

      g_free (slot->last_selected_name);
      g_clear_error (&slot->throttle_gave_up);
      g_free (slot);
    }
  g_clear_error (&self->main.throttle_gave_up);
  g_clear_object (&self->throttle_interrupt);
  g_ptr_array_unref (self->pool);
  g_mutex_clear (&self->pool_lock);
  g_rec_mutex_clear (&self->connect_lock);
}

void
_mailsync_imap_repository_pool_stats (MailsyncImapRepository *self, guint64 *in, guint64 *out, guint64 *commands)
{
  *in = *out = *commands = 0;
  for (guint i = 0; i <= self->pool->len; i++)
    {
      MailsyncImapSlot *slot = i == 0 ? &self->main : self->pool->pdata[i - 1];
      guint64 a = 0, b = 0, c = 0;

      if (slot->connection == NULL)
        continue;
      mailsync_imap_connection_get_stats (slot->connection, &a, &b, &c);
      *in += a;
      *out += b;
      *commands += c;
    }
}

/* ---- close: every pooled connection logs out -------------------------------- */

static void
slot_close_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  _mailsync_imap_repository_close_slot (source, task_data, cancellable);
  g_task_return_boolean (task, TRUE);
}

/* On the main worker: each pooled connection logs out on its own worker,
 * all at once, and this waits for every one. */
void
_mailsync_imap_repository_pool_close (MailsyncImapRepository *self, GCancellable *cancellable)
{
  g_autoptr(GPtrArray) slots = g_ptr_array_new ();
  g_autofree GAsyncResult **results = NULL;

  /* Every slot, connected or not: a leased slot's first job may be queued
   * and log in after this looked; the close job runs after it on the same
   * worker (close_slot copes with a slot that never connected). */
  g_mutex_lock (&self->pool_lock);
  for (guint i = 0; i < self->pool->len; i++)
    g_ptr_array_add (slots, self->pool->pdata[i]);
  g_mutex_unlock (&self->pool_lock);
  results = g_new0 (GAsyncResult *, slots->len + 1);
  for (guint i = 0; i < slots->len; i++)
    {
      MailsyncImapSlot *slot = slots->pdata[i];
      GTask *task = g_task_new (self, cancellable, _mailsync_store_result, &results[i]);

      g_task_set_source_tag (task, _mailsync_imap_repository_pool_close);
      g_task_set_task_data (task, slot, NULL);
      _mailsync_worker_run (slot->worker, task, slot_close_job);
      g_object_unref (task);
    }
  for (guint i = 0; i < slots->len; i++)
    {
      _mailsync_await (&results[i]);
      g_clear_object (&results[i]);
    }
}

MailsyncImapSlot *
_mailsync_imap_repository_slot_of (MailsyncImapRepository *self, MailsyncImapFolder *folder)
{
  MailsyncImapSlot *lease = folder != NULL ? g_atomic_pointer_get (&folder->lease) : NULL;

  return lease != NULL ? lease : &self->main;
}

/* ---- leases --------------------------------------------------------------- */

/* A slot whose budget for the server's limits is spent: its jobs fail at
 * once until the repository closes. */
static gboolean
spent_locked (MailsyncImapSlot *slot)
{
  return slot->throttle_gave_up != NULL;
}

/* Whether a slot of max-connections can still connect: one made and not
 * spent, or one not made yet. */
static gboolean
any_usable_locked (MailsyncImapRepository *self, guint max)
{
  if (!spent_locked (&self->main))
    return TRUE;
  for (guint i = 0; i < self->pool->len && i + 1 < max; i++)
    if (!spent_locked (self->pool->pdata[i]))
      return TRUE;
  return self->pool->len + 1 < max;
}

/* Whether @slot may be leased now that it is free: a spent slot only when
 * no slot can connect any more (its folder then fails at once, as with one
 * connection). So the pool shrinks to the connections the server lets us
 * have (its cap on connections per user refuses those past it), and the
 * folders wait for those instead of failing on a spent one. */
static gboolean
grantable_locked (MailsyncImapRepository *self, MailsyncImapSlot *slot, guint max)
{
  return slot->number <= max && (!spent_locked (slot) || !any_usable_locked (self, max));
}

/* The first free slot of max-connections that may be leased, made when it
 * is new; NULL when none. */
static MailsyncImapSlot *
free_slot_locked (MailsyncImapRepository *self)
{
  guint max = MAX (g_atomic_int_get (&self->max_connections), 1);
  MailsyncImapSlot *slot;

  if (self->main.lessee == NULL && grantable_locked (self, &self->main, max))
    return &self->main;
  for (guint i = 0; i < self->pool->len && i + 1 < max; i++)
    {
      slot = self->pool->pdata[i];
      if (slot->lessee == NULL && grantable_locked (self, slot, max))
        return slot;
    }
  if (self->pool->len + 1 >= max)
    return NULL;
  slot = slot_new (self, self->pool->len + 2);
  g_ptr_array_add (self->pool, slot);
  return slot;
}

static void
grant_locked (MailsyncImapSlot *slot, MailsyncImapFolder *folder)
{
  slot->lessee = folder;
  g_atomic_pointer_set (&folder->lease, slot);
}

#define LEASE_CANCEL_KEY "mailsync-imap-lease-cancel"

/* The cancelled handler of a waiting lease (below) stops listening. */
static void
forget_cancel (GTask *task)
{
  gulong handler = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (task), LEASE_CANCEL_KEY));

  /* waits while the cancellable is being cancelled, on any thread, this
   * one too: so neither a release nor lease_cancelled may run from a
   * handler of that cancellable (none does: the idle source defers it) */
  if (handler != 0)
    g_cancellable_disconnect (g_task_get_cancellable (task), handler);
}

/* On the lease's context: a wait that was cancelled ends, unless a
 * release granted it first. */
static gboolean
lease_cancelled (gpointer user_data)
{
  GTask *task = user_data;
  MailsyncImapRepository *self = g_task_get_source_object (task);
  gboolean waiting;

  g_mutex_lock (&self->pool_lock);
  waiting = g_queue_remove (&self->lease_waiters, task);
  g_mutex_unlock (&self->pool_lock);
  if (waiting)
    {
      forget_cancel (task);
      g_task_return_error_if_cancelled (task);
      g_object_unref (task); /* the queue's */
    }
  return G_SOURCE_REMOVE;
}

/* On the cancelling thread, perhaps under pool_lock (connecting to a
 * cancellable cancelled already calls it at once): the wait ends on the
 * lease's own context, through an idle source that never runs at once.
 * A signal handler, not g_cancellable_source_new(): GLib 2.74's
 * cancellable source can leak when it is cancelled on one thread while
 * dropped on another (LeakSanitizer saw it in check-repository-lease's
 * leases from runner threads; see mailsync-interaction-invoke.c). */
static void
lease_wait_cancelled (GCancellable *cancellable, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr(GSource) idle = g_idle_source_new ();

  g_source_set_callback (idle, lease_cancelled, g_object_ref (task), g_object_unref);
  g_source_set_static_name (idle, "[mailsync] lease cancelled");
  g_source_attach (idle, g_task_get_context (task));
}

void
_mailsync_imap_repository_lease_async (MailsyncImapRepository *self,
                                       MailsyncImapFolder     *folder,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  MailsyncImapSlot *slot;

  g_task_set_source_tag (task, _mailsync_imap_repository_lease_async);
  /* A granted lease is a success even when @cancellable is cancelled by
   * then: _finish reporting CANCELLED would leave the slot leased with
   * nobody to release it. Only a lease still waiting ends with the
   * cancel (lease_cancelled). */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, g_object_ref (folder), g_object_unref);
  g_mutex_lock (&self->pool_lock);
  if (g_atomic_pointer_get (&folder->lease) != NULL)
    {
      g_mutex_unlock (&self->pool_lock);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, "Folder %s: leased a connection already",
                               mailsync_folder_get_name (MAILSYNC_FOLDER (folder)));
      g_object_unref (task);
      return;
    }
  slot = free_slot_locked (self);
  if (slot != NULL)
    {
      grant_locked (slot, folder);
      g_mutex_unlock (&self->pool_lock);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  /* connected before the task is queued, so that a release that pops it
   * finds the handler to disconnect */
  if (cancellable != NULL)
    g_object_set_data (G_OBJECT (task), LEASE_CANCEL_KEY,
                       GSIZE_TO_POINTER (g_cancellable_connect (cancellable, G_CALLBACK (lease_wait_cancelled),
                                                                g_object_ref (task), g_object_unref)));
  g_queue_push_tail (&self->lease_waiters, task); /* the queue owns the ref */
  g_mutex_unlock (&self->pool_lock);
}

gboolean
_mailsync_imap_repository_lease_finish (MailsyncImapRepository *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The folder's jobs are done: its slot goes to the first waiting lease. */
void
_mailsync_imap_repository_release (MailsyncImapRepository *self, MailsyncImapFolder *folder)
{
  MailsyncImapSlot *slot;
  GTask *waiter = NULL;
  guint max = MAX (g_atomic_int_get (&self->max_connections), 1);

  g_mutex_lock (&self->pool_lock);
  slot = g_atomic_pointer_get (&folder->lease);
  if (slot == NULL || slot->lessee != folder)
    {
      g_mutex_unlock (&self->pool_lock);
      return;
    }
  slot->lessee = NULL;
  g_atomic_pointer_set (&folder->lease, NULL);
  /* a slot past a lowered max-connections is not handed on, nor a spent
   * one while another can connect */
  if (grantable_locked (self, slot, max) && (waiter = g_queue_pop_head (&self->lease_waiters)) != NULL)
    grant_locked (slot, g_task_get_task_data (waiter));
  g_mutex_unlock (&self->pool_lock);
  /* its jobs are done: no fetch takes a body fetched with its listing */
  _mailsync_imap_folder_prefetch_drop (folder);
  if (waiter != NULL)
    {
      forget_cancel (waiter);
      g_task_return_boolean (waiter, TRUE);
      g_object_unref (waiter);
    }
}

guint
_mailsync_imap_repository_lease_number (MailsyncImapRepository *self, MailsyncImapFolder *folder)
{
  MailsyncImapSlot *slot;
  guint number = 0;

  g_mutex_lock (&self->pool_lock);
  slot = g_atomic_pointer_get (&folder->lease);
  if (slot != NULL && slot->lessee == folder)
    number = slot->number;
  g_mutex_unlock (&self->pool_lock);
  return number;
}

/* A slot's connection pointer is set when its first job starts to
 * connect (under pool_lock), and dropped only when it is lost or closed. */
gboolean
_mailsync_imap_repository_lease_connected (MailsyncImapRepository *self, MailsyncImapFolder *folder)
{
  MailsyncImapSlot *slot;
  gboolean connected = TRUE;

  g_mutex_lock (&self->pool_lock);
  slot = g_atomic_pointer_get (&folder->lease);
  if (slot != NULL && slot->lessee == folder)
    connected = slot->connection != NULL;
  g_mutex_unlock (&self->pool_lock);
  return connected;
}

/* ---- the reconnect of a leased folder --------------------------------------- */

static void
reopen_leased_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (_mailsync_imap_repository_connect_slot (source, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
_mailsync_imap_repository_reopen_leased_async (MailsyncImapRepository *self,
                                               MailsyncImapFolder     *folder,
                                               GCancellable           *cancellable,
                                               GAsyncReadyCallback     callback,
                                               gpointer                user_data)
{
  MailsyncImapSlot *slot = _mailsync_imap_repository_slot_of (self, folder);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, _mailsync_imap_repository_reopen_leased_async);
  g_task_set_task_data (task, slot, NULL);
  _mailsync_worker_run (slot->worker, task, reopen_leased_job);
  g_object_unref (task);
}

gboolean
_mailsync_imap_repository_reopen_leased_finish (MailsyncImapRepository *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- MailsyncRepository's lease interface (mailsync-private.h) ------------- */

/* @folder is one of @self's IMAP folders; else an error task */
static gboolean
is_own_folder (MailsyncRepository *repo, MailsyncFolder *folder)
{
  return MAILSYNC_IS_IMAP_FOLDER (folder) && mailsync_folder_get_repository (folder) == repo;
}

static void
pool_lease_async (MailsyncRepository *repo, MailsyncFolder *folder, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  if (!is_own_folder (repo, folder))
    {
      GTask *task = g_task_new (repo, cancellable, callback, user_data);

      g_task_set_source_tag (task, pool_lease_async);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Folder %s is not an IMAP folder of repository %s", mailsync_folder_get_name (folder),
                               mailsync_repository_get_name (repo));
      g_object_unref (task);
      return;
    }
  _mailsync_imap_repository_lease_async (MAILSYNC_IMAP_REPOSITORY (repo), MAILSYNC_IMAP_FOLDER (folder), cancellable,
                                         callback, user_data);
}

static gboolean
pool_lease_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  return _mailsync_imap_repository_lease_finish (MAILSYNC_IMAP_REPOSITORY (repo), result, error);
}

static void
pool_release (MailsyncRepository *repo, MailsyncFolder *folder)
{
  if (is_own_folder (repo, folder))
    _mailsync_imap_repository_release (MAILSYNC_IMAP_REPOSITORY (repo), MAILSYNC_IMAP_FOLDER (folder));
}

/* A folder on a pooled slot reconnects that slot only; a folder on the
 * repository's own connection (leased or not) reopens the repository,
 * as before leases (counted as the engine's reopen, "opened" emitted). */
static void
pool_reopen_async (MailsyncRepository *repo, MailsyncFolder *folder, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  MailsyncImapRepository *self = MAILSYNC_IMAP_REPOSITORY (repo);

  if (is_own_folder (repo, folder) && _mailsync_imap_repository_slot_of (self, MAILSYNC_IMAP_FOLDER (folder)) != &self->main)
    _mailsync_imap_repository_reopen_leased_async (self, MAILSYNC_IMAP_FOLDER (folder), cancellable, callback,
                                                   user_data);
  else
    _mailsync_repository_reopen_async (repo, cancellable, callback, user_data);
}

static gboolean
pool_reopen_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  if (g_task_get_source_tag (G_TASK (result)) == _mailsync_imap_repository_reopen_leased_async)
    return _mailsync_imap_repository_reopen_leased_finish (MAILSYNC_IMAP_REPOSITORY (repo), result, error);
  return _mailsync_repository_reopen_finish (repo, result, error);
}

static guint
pool_lease_number (MailsyncRepository *repo, MailsyncFolder *folder)
{
  if (!is_own_folder (repo, folder))
    return 0;
  return _mailsync_imap_repository_lease_number (MAILSYNC_IMAP_REPOSITORY (repo), MAILSYNC_IMAP_FOLDER (folder));
}

static gboolean
pool_lease_connected (MailsyncRepository *repo, MailsyncFolder *folder)
{
  if (!is_own_folder (repo, folder))
    return TRUE;
  return _mailsync_imap_repository_lease_connected (MAILSYNC_IMAP_REPOSITORY (repo), MAILSYNC_IMAP_FOLDER (folder));
}

static guint
pool_max_leases (MailsyncRepository *repo)
{
  return MAX (g_atomic_int_get (&MAILSYNC_IMAP_REPOSITORY (repo)->max_connections), 1);
}

static const _MailsyncLeaseVTable pool_lease_vtable = {
  pool_lease_async, pool_lease_finish, pool_release, pool_reopen_async, pool_reopen_finish, pool_lease_number,
  pool_max_leases, pool_lease_connected,
};

void
_mailsync_imap_repository_pool_class_init (MailsyncRepositoryClass *repo_class)
{
  _mailsync_repository_class_set_lease (repo_class, &pool_lease_vtable);
}
