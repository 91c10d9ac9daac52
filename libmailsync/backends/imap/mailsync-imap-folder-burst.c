/* A burst of listings (issue 13 item 2). The move pre-pass lists every
 * changed folder of the account before it syncs any; one folder after the
 * other, each listing was a round trip of its own (its SELECT and UID
 * FETCH in one burst, then the answer) while the engine waited. While the
 * engine holds listings (the engine's hold_listings member), the
 * list_messages of the repository's folders are kept; on release one job
 * on their connection's worker writes every kept folder's SELECT and
 * listing commands before it reads the first answer, then reads them
 * folder by folder and returns each listing as soon as it is complete (the
 * engine plans the first folder while the server answers for the next):
 * one round trip for all of them.
 *
 * Why the answers cannot mix: the server runs the commands in order, a
 * folder's untagged data come before its SELECT's or FETCH's tagged
 * answer and go to the oldest command in flight (its folder's router), and
 * a SELECT that fails leaves no mailbox selected, so the FETCH behind it
 * fails instead of reading the folder before. A burst is of one
 * connection's folders (the pool's slot). Only the last SELECT leaves
 * its folder selected (_mailsync_imap_folder_select_finish); whatever a
 * listing must ask after its answer (a full listing when the changes do
 * not add up, a maxage SEARCH) selects its folder again first, checking
 * the UIDVALIDITY, and later operations on the folders do as after any
 * other folder's SELECT. */
#include "config.h"

#include "mailsync-imap-folder-private.h"
#include "mailsync-private.h"

#define HOLD_KEY "mailsync-imap-listing-hold"
#define BURST_KEY "mailsync-imap-listing-burst"

/* On the repository object: whether listings are held, and those held. */
typedef struct
{
  gboolean holding;
  GPtrArray *held;     /* GTask* of list_messages, in the order asked */
} ListingHold;

static GMutex hold_lock;

static void
listing_hold_free (ListingHold *hold)
{
  g_clear_pointer (&hold->held, g_ptr_array_unref);
  g_free (hold);
}

/* under hold_lock */
static ListingHold *
hold_of (MailsyncImapFolder *self, gboolean create)
{
  GObject *repo = G_OBJECT (_mailsync_imap_folder_repo_of (self));
  ListingHold *hold = g_object_get_data (repo, HOLD_KEY);

  if (hold == NULL && create)
    {
      hold = g_new0 (ListingHold, 1);
      g_object_set_data_full (repo, HOLD_KEY, hold, (GDestroyNotify) listing_hold_free);
    }
  return hold;
}

gboolean
_mailsync_imap_folder_hold_listing (MailsyncImapFolder *self, GTask *task)
{
  ListingHold *hold;
  gboolean held = FALSE;

  g_mutex_lock (&hold_lock);
  hold = hold_of (self, FALSE);
  if (hold != NULL && hold->holding)
    {
      if (hold->held == NULL)
        hold->held = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (hold->held, task);
      held = TRUE;
    }
  g_mutex_unlock (&hold_lock);
  return held;
}

typedef struct
{
  MailsyncImapFolder *self;
  GTask *task;                 /* NULL once returned */
  MailsyncImapListStart start;
  gboolean started;
  GError *error;
} BurstItem;

/* @task, the first listing held, carries the others (BURST_KEY), each
 * of another folder of the repository. */
static void
list_burst_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr(GPtrArray) others = g_object_steal_data (G_OBJECT (task), BURST_KEY);
  guint n = 1 + (others != NULL ? others->len : 0);
  g_autofree BurstItem *items = g_new0 (BurstItem, n);

  for (guint i = 0; i < n; i++)
    {
      BurstItem *item = &items[i];

      item->task = i == 0 ? task : others->pdata[i - 1];
      item->self = g_task_get_source_object (item->task);
      item->start = (MailsyncImapListStart) MAILSYNC_IMAP_LIST_START_INIT;
      if (!_mailsync_imap_folder_listing_connected (item->self, item->task))
        {
          item->task = NULL;
          continue;
        }
      /* every folder's router is ready before the first command goes out */
      _mailsync_imap_folder_listing_begin (item->self, item->task);
      item->started = _mailsync_imap_folder_list_start (item->self, &item->start,
                                                        g_task_get_cancellable (item->task), &item->error);
    }
  for (guint i = 0; i < n; i++)
    {
      BurstItem *item = &items[i];
      GPtrArray *listing = NULL;

      if (item->task == NULL)
        continue;
      if (item->started)
        listing = _mailsync_imap_folder_list_finish (item->self, &item->start, g_task_get_cancellable (item->task),
                                                     &item->error);
      _mailsync_imap_folder_listing_end (item->self, item->task, listing, g_steal_pointer (&item->error));
    }
}

static void
queue_listing (GTask *task, MailsyncWorkerFunc job)
{
  MailsyncImapFolder *self = g_task_get_source_object (task);

  _mailsync_imap_folder_queue_job (self, task, g_task_get_source_tag (task), job);
}

void
_mailsync_imap_folder_hold_listings (MailsyncFolder *folder, gboolean hold)
{
  MailsyncImapFolder *self = MAILSYNC_IMAP_FOLDER (folder);
  g_autoptr(GPtrArray) held = NULL;
  g_autoptr(GPtrArray) burst = NULL;
  g_autoptr(GPtrArray) later = NULL;
  GTask *first;

  g_mutex_lock (&hold_lock);
  hold_of (self, TRUE)->holding = hold;
  if (!hold)
    held = g_steal_pointer (&hold_of (self, FALSE)->held);
  g_mutex_unlock (&hold_lock);
  if (held == NULL || held->len == 0)
    return;
  /* One listing per folder in the burst (its router keeps one listing),
   * all on the first one's connection (a folder that leased another of
   * the pool's has its own); the others go out after it, as asked. */
  burst = g_ptr_array_new_with_free_func (g_object_unref);
  later = g_ptr_array_new ();
  for (guint i = 0; i < held->len; i++)
    {
      GTask *task = held->pdata[i];
      MailsyncImapFolder *owner = g_task_get_source_object (task);
      gboolean apart = burst->len > 0 &&
                       _mailsync_imap_folder_slot (owner) !=
                       _mailsync_imap_folder_slot (g_task_get_source_object (burst->pdata[0]));

      for (guint j = 0; j < burst->len && !apart; j++)
        apart = g_task_get_source_object (burst->pdata[j]) == (gpointer) owner;
      g_ptr_array_add (apart ? later : burst, g_object_ref (task));
    }
  first = g_ptr_array_steal_index (burst, 0);
  if (burst->len > 0)
    {
      g_object_set_data_full (G_OBJECT (first), BURST_KEY, g_steal_pointer (&burst),
                              (GDestroyNotify) g_ptr_array_unref);
      queue_listing (first, list_burst_job);
    }
  else
    queue_listing (first, _mailsync_imap_folder_list_messages_job);
  for (guint i = 0; i < later->len; i++)
    queue_listing (later->pdata[i], _mailsync_imap_folder_list_messages_job);
}
