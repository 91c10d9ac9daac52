/* Folder names between their native form (what the repository reports
 * and is given) and their wire form (mUTF-7, or UTF-8 under
 * UTF8=ACCEPT), and the commands that take one: CREATE and DELETE. */
#include "config.h"

#include "mailsync-imap-repository-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"
#include "mailsync-imap-utf7.h"
#include "mailsync-folder-engine-private.h"

#include <string.h>

/* The mailbox name as the server wants it: modified UTF-7, or UTF-8 as
 * is once UTF8=ACCEPT is enabled. */
static char *
encode_name (MailsyncImapRepository *self, const char *name)
{
  gboolean plain = TRUE;

  /* A quoted string cannot carry controls (CR LF would end the command):
   * such a name keeps the mUTF-7 form, which encodes them. */
  for (const guchar *p = (const guchar *) name; *p; p++)
    plain = plain && *p >= 0x20 && *p != 0x7f;
  if (plain && self->main.connection != NULL && mailsync_imap_connection_get_utf8_accept (self->main.connection))
    return g_strdup (name);
  return mailsync_imap_utf7_encode (name, -1, NULL);
}

/* Whether @name is a (canonical) modified UTF-7 mailbox name: printable
 * US-ASCII with every '&' starting a valid run. */
gboolean
_mailsync_imap_is_mutf7 (const char *name)
{
  g_autofree char *decoded = mailsync_imap_utf7_decode (name, -1, NULL);

  return decoded != NULL;
}

/* The wire form of a native name (one the repository reported, or the
 * other side's name for a folder to create, delete or include).
 *
 * With utf8-folder-names (offlineimap's utf8foldernames = yes) native
 * names are UTF-8. Without (the default), they are offlineimap's: the
 * mUTF-7 wire names, taken as they are; under UTF8=ACCEPT they are decoded
 * for the wire. A name that is not valid mUTF-7 (a bare '&', raw UTF-8
 * typed by the user) is taken as UTF-8 and encoded: offlineimap would send
 * it raw (and fail on non-ASCII), which no server accepts. */
char *
_mailsync_imap_repository_to_wire (MailsyncImapRepository *self, const char *name)
{
  g_autofree char *decoded = NULL;

  if (self->utf8_names || (decoded = mailsync_imap_utf7_decode (name, -1, NULL)) == NULL)
    return encode_name (self, name);
  if (self->main.connection != NULL && mailsync_imap_connection_get_utf8_accept (self->main.connection))
    return encode_name (self, decoded);
  return g_strdup (name);
}

/* The native name of a listed mailbox: the decoded UTF-8 name with
 * utf8-folder-names, else the mUTF-7 name (the wire name itself, or,
 * under UTF8=ACCEPT where the wire carries UTF-8, its encoding). */
char *
_mailsync_imap_repository_native_name (MailsyncImapRepository *self, const MailsyncImapList *list)
{
  if (self->utf8_names)
    return g_strdup (list->name);
  if (self->main.connection != NULL && mailsync_imap_connection_get_utf8_accept (self->main.connection))
    return mailsync_imap_utf7_encode (list->name, -1, NULL);
  return g_strdup (list->name_raw);
}

MailsyncImapCommand *
_mailsync_imap_command_new (MailsyncImapConnection *connection, const char *name)
{
  MailsyncImapCommandFlags flags = MAILSYNC_IMAP_COMMAND_NONE;
  MailsyncImapCommand *cmd;

  /* without UTF8=ACCEPT an 8-bit string must go as a literal */
  if (connection != NULL && mailsync_imap_connection_get_utf8_accept (connection))
    flags |= MAILSYNC_IMAP_COMMAND_UTF8_ACCEPT;
  cmd = mailsync_imap_command_new (NULL, name, flags, NULL);
  /* the words are the caller's constants */
  g_return_val_if_fail (cmd != NULL, mailsync_imap_command_new (NULL, "NOOP", flags, NULL));
  return cmd;
}

MailsyncImapCommand *
_mailsync_imap_list_command (MailsyncImapConnection *connection, const char *verb, const char *reference)
{
  MailsyncImapCommand *cmd = _mailsync_imap_command_new (connection, verb);

  mailsync_imap_command_add_string (cmd, reference != NULL ? reference : "", -1, NULL);
  mailsync_imap_command_add_string (cmd, "*", -1, NULL);
  return cmd;
}

/* CREATE or DELETE of the folder named @wire on the wire. */
static MailsyncImapRequest *
name_request (MailsyncImapRepository *self, const char *verb, const char *wire, GError **error)
{
  g_autoptr(MailsyncImapCommand) cmd = _mailsync_imap_command_new (self->main.connection, verb);

  mailsync_imap_command_add_wire_mailbox (cmd, wire, NULL);
  return mailsync_imap_request_new_from_command (cmd, error);
}

/* subscribedonly: a folder we create is subscribed too, or the next run's
 * LSUB would not name it and the folder would be hidden (not synced) from
 * then on. SUBSCRIBE goes out with the CREATE, in one burst (issue 13: no
 * round trip of its own); the CREATE's answer is returned. A SUBSCRIBE
 * whose CREATE failed (servers may subscribe a name that does not exist)
 * is taken back, best effort; one that failed after a CREATE that worked
 * fails the creation: the folder would not be synced. */
static MailsyncImapResponse *
create_and_subscribe (MailsyncImapRepository *self, MailsyncImapRequest *create, const char *wire,
                      GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) created_result = NULL;
  g_autoptr(GAsyncResult) subscribed_result = NULL;
  g_autoptr(MailsyncImapResponse) created = NULL;
  g_autoptr(MailsyncImapResponse) subscribed = NULL;
  g_autoptr(GError) subscribe_error = NULL;
  MailsyncImapRequest *subscribe = name_request (self, "SUBSCRIBE", wire, error);

  if (subscribe == NULL)
    {
      mailsync_imap_request_free (create);
      return NULL;
    }
  mailsync_imap_connection_send_async (self->main.connection, create, cancellable, _mailsync_store_result,
                                       &created_result);
  mailsync_imap_connection_send_async (self->main.connection, subscribe, cancellable, _mailsync_store_result,
                                       &subscribed_result);
  created = mailsync_imap_connection_send_finish (self->main.connection, _mailsync_await (&created_result), error);
  subscribed = mailsync_imap_connection_send_finish (self->main.connection, _mailsync_await (&subscribed_result),
                                                     &subscribe_error);
  if (created == NULL && subscribed != NULL && !(error && *error && strstr ((*error)->message, "[ALREADYEXISTS]")))
    {
      MailsyncImapRequest *unsubscribe = name_request (self, "UNSUBSCRIBE", wire, NULL);

      if (unsubscribe != NULL)
        {
          g_autoptr(MailsyncImapResponse) ignored = _mailsync_imap_repository_run (self, unsubscribe, cancellable, NULL);
        }
      return NULL;
    }
  if (created != NULL && subscribed == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&subscribe_error),
                                  "Folder %s was created but could not be subscribed (subscribedonly): ", wire);
      return NULL;
    }
  return g_steal_pointer (&created);
}

static void
create_folder_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;
  MailsyncRepository *repo = source;
  const char *name = task_data;
  MailsyncImapRequest *request;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = _mailsync_imap_repository_to_wire (self, name);

  /* Without utf8-folder-names, a folder made from a name that is not
   * mUTF-7 (a local "Entwürfe") would be listed back as "Entw&APw-rfe",
   * which the other side would take for another folder and create in
   * turn (reference §5.9): refuse it, saying which name would work. A
   * name the store cannot hold fails that folder only (UNSAFE_NAME). */
  if (!self->utf8_names && !_mailsync_imap_is_mutf7 (name))
    {
      g_autofree char *mutf7 = mailsync_imap_utf7_encode (name, -1, NULL);

      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_UNSAFE_NAME,
                               "Repository %s: cannot create folder '%s': with utf8foldernames = no, folder names "
                               "are IMAP modified UTF-7 names and it would come back as '%s', another folder. "
                               "Rename it to '%s', or set utf8foldernames = yes",
                               mailsync_repository_get_name (repo), name, mutf7 ? mutf7 : "?",
                               mutf7 ? mutf7 : "?");
      return;
    }
  if (!_mailsync_imap_repository_ensure_connected (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if ((request = name_request (self, "CREATE", encoded ? encoded : name, &error)) != NULL)
    {
      if (self->subscribed_only)
        ok = create_and_subscribe (self, request, encoded ? encoded : name, cancellable, &error);
      else
        ok = _mailsync_imap_repository_run (self, request, cancellable, &error);
    }
  /* The LIST sent with the login was answered before this CREATE. */
  _mailsync_imap_repository_drop_early_listing (self);
  /* RFC 5530 [ALREADYEXISTS]: someone else made it; that is fine. */
  if (ok == NULL && !(error && strstr (error->message, "[ALREADYEXISTS]")))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, _mailsync_imap_folder_new (self, name, encoded ? encoded : name), g_object_unref);
}

static void
repository_create_folder_async (MailsyncRepository *repo, const char *name, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (repo, cancellable, callback, user_data);

  g_task_set_task_data (task, g_strdup (name), g_free);
  _mailsync_imap_repository_queue_job (MAILSYNC_IMAP_REPOSITORY (repo), task, repository_create_folder_async,
                                       create_folder_job);
}

static MailsyncFolder *
repository_create_folder_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, repo), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
delete_folder_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MailsyncImapRepository *self = source;
  /* the wire name as the folder was known before connecting */
  g_autofree char *encoded = _mailsync_imap_repository_to_wire (self, task_data);
  MailsyncImapRequest *request;
  g_autoptr(MailsyncImapResponse) ok = NULL;
  g_autoptr(GError) error = NULL;

  g_atomic_pointer_set (&self->main.selected, NULL);
  if (_mailsync_imap_repository_ensure_connected (self, cancellable, &error) &&
      (request = name_request (self, "DELETE", encoded ? encoded : task_data, &error)) != NULL)
    ok = _mailsync_imap_repository_run (self, request, cancellable, &error);
  /* The LIST sent with the login was answered before this DELETE. */
  _mailsync_imap_repository_drop_early_listing (self);
  if (ok == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
repository_delete_folder_async (MailsyncRepository *repo, const char *name, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (repo, cancellable, callback, user_data);

  g_task_set_task_data (task, g_strdup (name), g_free);
  _mailsync_imap_repository_queue_job (MAILSYNC_IMAP_REPOSITORY (repo), task, repository_delete_folder_async,
                                       delete_folder_job);
}

/* decodefoldernames (the engine's table, issue 14 item 3): the server
 * gets the modified UTF-7 name of a folder made from a local one, whose
 * visible name is the local one again; a name that already is modified
 * UTF-7 goes as it is. */
static char *
engine_encode_folder_name (MailsyncRepository *repo, const char *name)
{
  g_autofree char *decoded = mailsync_imap_utf7_decode (name, -1, NULL);

  return decoded == NULL ? mailsync_imap_utf7_encode (name, -1, NULL) : NULL;
}

static const _MailsyncRepositoryEngineVTable engine_vtable = {
  .encode_folder_name = engine_encode_folder_name,
};

void
_mailsync_imap_repository_names_class_init (MailsyncRepositoryClass *repo_class)
{
  _mailsync_repository_class_set_engine (repo_class, &engine_vtable);
  repo_class->create_folder_async = repository_create_folder_async;
  repo_class->create_folder_finish = repository_create_folder_finish;
  repo_class->delete_folder_async = repository_delete_folder_async;
  repo_class->delete_folder_finish = _mailsync_imap_repository_bool_finish;
}
