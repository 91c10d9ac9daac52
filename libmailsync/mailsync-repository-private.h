/* MailsyncRepository's private parts, shared by the files that implement
 * the base class: mailsync-repository.c (the class, properties, name
 * policy, the engine's hooks) and mailsync-repository-ops.c (open, list,
 * create, delete, close, folder info). Not installed. */
#pragma once

#include "mailsync-repository.h"
#include "mailsync-interaction.h"
#include "mailsync-private.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  char separator;
  gboolean readonly;
  gboolean create_folders;
  gboolean sync_deletes;

  MailsyncNameFunc nametrans;
  gpointer nametrans_data;
  GDestroyNotify nametrans_destroy;
  MailsyncNameFunc name_decoder;  /* after nametrans, see mailsync-private.h */

  MailsyncFolderFilterFunc filter;
  gpointer filter_data;
  GDestroyNotify filter_destroy;

  _MailsyncHookFunc newmail_hook;       /* newmail_hook */
  gpointer newmail_hook_data;
  GDestroyNotify newmail_hook_destroy;

  _MailsyncUidsFunc copy_ignore;        /* copy_ignore_eval */
  gpointer copy_ignore_data;
  GDestroyNotify copy_ignore_destroy;

  /* Why a callback refused a folder, by native name: the callbacks return
   * a plain name or boolean, so the reason travels beside them. */
  GMutex refusals_lock;
  GHashTable *refusals;     /* char* -> GError* */
  /* What a listing skipped but must report (an invalid folderinclude):
   * the listing itself succeeds, as offlineimap's does. Under
   * refusals_lock: a backend lists on its worker thread. */
  GPtrArray *listing_problems;  /* GError*, or NULL for none */

  gint open_count;          /* atomic: successful opens not yet closed */
  gint dry_run_holds;       /* atomic: dry-run syncs using it */
  guint syncs_running;      /* under mailsync-repository.c's lock: begun, not ended */
  MailsyncRepository *wrapped; /* held in dry run with it, or NULL */

  /* Read on a backend's worker thread: under refusals_lock. */
  MailsyncInteraction *interaction;
} MailsyncRepositoryPrivate;

MailsyncRepositoryPrivate *_mailsync_repository_get_private (MailsyncRepository *self);
/* Emits MailsyncRepository::opened. */
void                       _mailsync_repository_emit_opened (MailsyncRepository *self);
/* Where "opened" goes instead of the calling thread: the client context
 * of the account's sync the caller works for
 * (_mailsync_repository_dup_interaction_context), when it is not the
 * calling thread's own and the signal has handlers; NULL: emit it here. */
GMainContext              *_mailsync_repository_dup_opened_context (MailsyncRepository *self);

G_END_DECLS
