/* What the sync engine asks of a folder beyond the public contract of
 * mailsync-folder.h, said by what it needs, not by which backend has it
 * (issue 14 item 3): keywords. A backend of the library registers a
 * table of these from its class_init with
 * _mailsync_folder_class_set_engine(); libmailsync/sync/ calls only the
 * _mailsync_folder_* wrappers below, which answer for a folder without
 * the member (another backend, a Python one, the test backend): "not
 * supported", FALSE or NULL, so the engine skips that step as it did for
 * a backend it did not know.
 *
 * Not public vfuncs (yet): each would need its ownership settled for the
 * bindings (gir-fixup.awk, the ownership test's Python implementation),
 * and what a client's keyword API should look like (how a folder says
 * what it could not store) is better settled with a client using it; a
 * member can move into the class structure's padding later without an
 * ABI break (doc/design.md, "What the engine asks of a folder"). Not
 * installed. */
#pragma once

#include "mailsync-folder.h"

G_BEGIN_DECLS

typedef struct
{
  /* ---- keywords (issue 10 item 3) ---- */
  /* Adds and removes keywords (space-separated) on @uids; finish gives the
   * added keywords the folder could not store (NULL or empty: all were).
   * A folder without set_keywords_async takes no part in keyword sync. */
  void     (*set_keywords_async)    (MailsyncFolder *self, const guint32 *uids, guint n_uids,
                                     const char *add, const char *remove, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*set_keywords_finish)   (MailsyncFolder *self, GAsyncResult *result, GStrv *not_stored,
                                     GError **error);
  /* Whether set_keywords works on this folder (NULL: it does). A folder
   * that hands its messages to another (the mapped one) asks that one. */
  gboolean (*has_keywords)          (MailsyncFolder *self);
  /* Whether the folder can store @keyword (NULL: every keyword). */
  gboolean (*can_store_keyword)     (MailsyncFolder *self, const char *keyword);
  /* A folder whose file names carry keywords as letters (Maildir): the
   * status keeps its keywords as those letters. @letters' keywords,
   * space-separated, and the letters of @keywords (known ones only, no
   * new letter given out): both NULL for a folder without letters. */
  char    *(*keywords_from_letters) (MailsyncFolder *self, const char *letters);
  char    *(*keywords_to_letters)   (MailsyncFolder *self, const char * const *keywords);
  /* Whether the status keeps this folder's keywords by name in its labels
   * column (an IMAP<->IMAP account's local folder: NULL means no). */
  gboolean (*keywords_in_labels)    (MailsyncFolder *self);
} _MailsyncFolderEngineVTable;

/* Registers @vtable (static, never freed) for @klass's type and its
 * subclasses. */
void     _mailsync_folder_class_set_engine       (gpointer klass, const _MailsyncFolderEngineVTable *vtable);

gboolean _mailsync_folder_has_keywords           (MailsyncFolder *self);
gboolean _mailsync_folder_can_store_keyword      (MailsyncFolder *self, const char *keyword);
/* Fails with G_IO_ERROR_NOT_SUPPORTED on a folder without keywords;
 * finish gives an empty (never NULL) array when every keyword was stored. */
void     _mailsync_folder_set_keywords_async     (MailsyncFolder      *self,
                                                  const guint32       *uids,
                                                  guint                n_uids,
                                                  const char          *add,
                                                  const char          *remove,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean _mailsync_folder_set_keywords_finish    (MailsyncFolder  *self,
                                                  GAsyncResult    *result,
                                                  GStrv           *not_stored,
                                                  GError         **error);
gboolean _mailsync_folder_has_keyword_letters    (MailsyncFolder *self);
char    *_mailsync_folder_keywords_from_letters  (MailsyncFolder *self, const char *letters);
char    *_mailsync_folder_keywords_to_letters    (MailsyncFolder *self, const char * const *keywords);
gboolean _mailsync_folder_keywords_in_labels     (MailsyncFolder *self);

G_END_DECLS
