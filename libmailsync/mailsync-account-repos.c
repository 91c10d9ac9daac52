/* The account's repository calls from the sync engine (moved verbatim
 * from mailsync-account.c, issue 14 item 1): open, list, create (with a
 * server's limit waited out) and the release after a sync, each awaited
 * on the account's thread. */
#include "config.h"

#include "mailsync-account-private.h"
#include "mailsync-private.h"
#include "mailsync-worker.h"

/* The engine runs on the account's thread with a private context
 * (mailsync-worker.h): it awaits each repository call there. */
gboolean
_mailsync_account_repo_open (MailsyncRepository *repo, gboolean *opened, gboolean *began,
                             GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  /* A new sync: what the last one left (a login that was never
   * answered, the server's limits) ends here, whether it closed or not:
   * its open may have failed, and a failed open is never closed
   * (review22 H1). Not in the engine's reconnects, which
   * go to _mailsync_repository_reopen(_folder) directly. Counted: not
   * while another account's sync runs on @repo (review24 M-A);
   * _mailsync_account_repo_end() ends it. */
  if (!*began)
    {
      _mailsync_repository_begin_sync (repo);
      *began = TRUE;
    }
  /* Already ours (a held connection): check it, reconnect if it died,
   * without counting a second open. */
  if (*opened)
    return _mailsync_repository_reopen (repo, cancellable, error);
  mailsync_repository_open_async (repo, cancellable, _mailsync_store_result, &result);
  *opened = mailsync_repository_open_finish (repo, _mailsync_await (&result), error);
  return *opened;
}

GPtrArray *
_mailsync_account_repo_list (MailsyncRepository *repo, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mailsync_repository_list_folders_async (repo, cancellable, _mailsync_store_result, &result);
  return mailsync_repository_list_folders_finish (repo, _mailsync_await (&result), error);
}

MailsyncFolder *
_mailsync_account_repo_create (MailsyncRepository *repo, const char *name, GCancellable *cancellable, GError **error)
{
  guint throttled = 0;

  for (;;)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) local_error = NULL;
      MailsyncFolder *folder;

      mailsync_repository_create_folder_async (repo, name, cancellable, _mailsync_store_result, &result);
      folder = mailsync_repository_create_folder_finish (repo, _mailsync_await (&result), &local_error);
      if (folder != NULL)
        return folder;
      /* A server that limits us at a CREATE, before any folder syncs, is
       * waited out as the engine does for a folder; the CREATE is sent
       * again (a folder the first one made is [ALREADYEXISTS], which the
       * backend takes as done). */
      if (!_mailsync_error_retry_throttled (local_error, &throttled, cancellable))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (!_mailsync_repository_reopen (repo, cancellable, error))
        return NULL;
    }
}

/* After a sync: close, unless the repository holds its connection open
 * for the next sync (offlineimap's holdconnectionopen, the IMAP
 * repository's "hold-connection-open"; the engine knows no backend). The
 * account's disposal closes it in the end. A repository the client
 * opened too stays open: the close only gives back the account's open. */
static gboolean
repo_holds (MailsyncRepository *repo)
{
  gboolean hold = FALSE;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (repo), "hold-connection-open") != NULL)
    g_object_get (repo, "hold-connection-open", &hold, NULL);
  return hold;
}

void
_mailsync_account_repo_release (MailsyncRepository *repo, gboolean *opened)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (!*opened || repo_holds (repo))
    return;
  *opened = FALSE;
  mailsync_repository_close_async (repo, NULL, _mailsync_store_result, &result);
  mailsync_repository_close_finish (repo, _mailsync_await (&result), NULL);
}

/* After the sync's release of @repo: the end of the begin that
 * _mailsync_account_repo_open() ran (@began), if it ran. */
void
_mailsync_account_repo_end (MailsyncRepository *repo, gboolean *began)
{
  if (!*began)
    return;
  *began = FALSE;
  _mailsync_repository_end_sync (repo);
}
