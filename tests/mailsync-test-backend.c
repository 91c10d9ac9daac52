#include "config.h"

#include "mailsync-test-backend.h"
#include "mailsync-error.h"
#include "mailsync-folder-engine-private.h"

#include <string.h>

typedef struct
{
  GBytes *content;
  MailsyncFlags flags;
  GStrv keywords; /* NULL: none */
} TestMessage;

struct _MailsyncTestRepository
{
  MailsyncRepository parent_instance;
  guint delay_ms;
  gboolean assign_uids;
  GPtrArray *folders;
  guint in_flight;
  guint peak_in_flight;
  guint appends;
  MailsyncTestAppendHook append_hook;
  gpointer append_hook_data;
};

struct _MailsyncTestFolder
{
  MailsyncFolder parent_instance;
  GHashTable *messages; /* uid -> TestMessage */
  guint32 next_uid;
  /* Listed and not released since (the engine's release_listing), as a
   * Maildir folder keeps its name index. */
  gboolean holds_listing;
};

G_DEFINE_FINAL_TYPE (MailsyncTestRepository, mailsync_test_repository, MAILSYNC_TYPE_REPOSITORY)
G_DEFINE_FINAL_TYPE (MailsyncTestFolder, mailsync_test_folder, MAILSYNC_TYPE_FOLDER)

static void
test_message_free (gpointer data)
{
  TestMessage *m = data;

  g_bytes_unref (m->content);
  g_strfreev (m->keywords);
  g_free (m);
}

static MailsyncTestRepository *
repo_of (gpointer folder)
{
  return MAILSYNC_TEST_REPOSITORY (mailsync_folder_get_repository (MAILSYNC_FOLDER (folder)));
}

/* Every answer goes through here: the task completes after the delay. */
typedef struct
{
  GTask *task;
  MailsyncTestRepository *repo;
} Delayed;

static gboolean
delayed_fire (gpointer data)
{
  Delayed *d = data;

  d->repo->in_flight--;
  g_task_return_boolean (d->task, TRUE);
  g_object_unref (d->task);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static void
answer_later (MailsyncTestRepository *repo, GTask *task)
{
  Delayed *d = g_new0 (Delayed, 1);
  g_autoptr(GSource) source = g_timeout_source_new (repo->delay_ms);

  d->task = g_object_ref (task);
  d->repo = repo;
  repo->in_flight++;
  repo->peak_in_flight = MAX (repo->peak_in_flight, repo->in_flight);
  g_source_set_callback (source, delayed_fire, d, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
}

/* Results ride on the task data; the boolean only says "done". A finish
 * checks that the result is its source's and its async's (the tag). */
static gpointer
take_data (gpointer source, GAsyncResult *result, gpointer tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, tag), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_task_get_task_data (G_TASK (result));
}

/* ---- folder ------------------------------------------------------------ */

static void
folder_list_async (MailsyncFolder *folder, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncTestFolder *self = MAILSYNC_TEST_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (folder, c, cb, ud);
  g_task_set_source_tag (task, folder_list_async);
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->messages);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      TestMessage *m = value;
      g_autofree char *k = g_strdup_printf ("%u", GPOINTER_TO_UINT (key));
      g_ptr_array_add (list, mailsync_message_info_new (GPOINTER_TO_UINT (key), k, m->flags,
                                                        (const char * const *) m->keywords,
                                                        g_bytes_get_size (m->content), 1700000000));
    }
  g_task_set_task_data (task, list, (GDestroyNotify) g_ptr_array_unref);
  self->holds_listing = TRUE;
  answer_later (repo_of (folder), task);
}

static GPtrArray *
folder_list_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  GPtrArray *list = take_data (folder, result, folder_list_async, error);

  return list ? g_ptr_array_ref (list) : NULL;
}

static void
folder_fetch_async (MailsyncFolder *folder, MailsyncMessageInfo *info, GCancellable *c,
                    GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncTestFolder *self = MAILSYNC_TEST_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (folder, c, cb, ud);
  g_task_set_source_tag (task, folder_fetch_async);
  TestMessage *m = g_hash_table_lookup (self->messages, GUINT_TO_POINTER (mailsync_message_info_get_uid (info)));

  if (m == NULL)
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_MESSAGE_NOT_FOUND, "no such message");
      return;
    }
  g_task_set_task_data (task, g_memory_input_stream_new_from_bytes (m->content), g_object_unref);
  answer_later (repo_of (folder), task);
}

static GInputStream *
folder_fetch_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  GInputStream *stream = take_data (folder, result, folder_fetch_async, error);

  return stream ? g_object_ref (stream) : NULL;
}

static void
folder_append_async (MailsyncFolder *folder, MailsyncMessageInfo *info, GInputStream *content,
                     GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncTestFolder *self = MAILSYNC_TEST_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (folder, c, cb, ud);
  g_task_set_source_tag (task, folder_append_async);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  TestMessage *m;
  guint32 uid;

  if (g_output_stream_splice (out, content, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, c, &error) < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  uid = repo_of (folder)->assign_uids ? self->next_uid++ : mailsync_message_info_get_uid (info);
  m = g_new0 (TestMessage, 1);
  m->content = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  repo_of (folder)->appends++;
  if (repo_of (folder)->append_hook != NULL)
    repo_of (folder)->append_hook (self, m->content, repo_of (folder)->append_hook_data);
  m->flags = mailsync_message_info_get_flags (info);
  m->keywords = g_strdupv ((GStrv) mailsync_message_info_get_keywords (info));
  g_hash_table_replace (self->messages, GUINT_TO_POINTER (uid), m);
  g_task_set_task_data (task, mailsync_message_info_new (uid, NULL, m->flags, NULL, g_bytes_get_size (m->content),
                                                         mailsync_message_info_get_internal_date (info)),
                        g_object_unref);
  answer_later (repo_of (folder), task);
}

static MailsyncMessageInfo *
folder_append_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  MailsyncMessageInfo *info = take_data (folder, result, folder_append_async, error);

  return info ? g_object_ref (info) : NULL;
}

static void
folder_set_flags_async (MailsyncFolder *folder, const guint32 *uids, guint n, MailsyncFlags add,
                        MailsyncFlags remove, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncTestFolder *self = MAILSYNC_TEST_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (folder, c, cb, ud);
  g_task_set_source_tag (task, folder_set_flags_async);

  for (guint i = 0; i < n; i++)
    {
      TestMessage *m = g_hash_table_lookup (self->messages, GUINT_TO_POINTER (uids[i]));
      if (m)
        m->flags = (m->flags | add) & ~remove;
    }
  answer_later (repo_of (folder), task);
}

static gboolean
folder_bool_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  /* set_flags, delete_messages and flush share it: no one tag */
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Keywords, an optional capability: the class sets set_keywords_async and
 * set_keywords_finish (and may say which keywords it can store), and lists
 * each message's keywords in its MailsyncMessageInfo. */
static gboolean
folder_can_store_keyword (MailsyncFolder *folder, const char *keyword)
{
  return strpbrk (keyword, " ()\\\"") == NULL; /* an IMAP atom */
}

static void
folder_set_keywords_async (MailsyncFolder *folder, const guint32 *uids, guint n, const char * const *add,
                           const char * const *remove, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncTestFolder *self = MAILSYNC_TEST_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (folder, c, cb, ud);
  g_task_set_source_tag (task, folder_set_keywords_async);

  for (guint i = 0; i < n; i++)
    {
      TestMessage *m = g_hash_table_lookup (self->messages, GUINT_TO_POINTER (uids[i]));
      g_autoptr(GStrvBuilder) words = g_strv_builder_new ();

      if (m == NULL)
        continue;
      for (guint j = 0; m->keywords != NULL && m->keywords[j] != NULL; j++)
        if ((remove == NULL || !g_strv_contains (remove, m->keywords[j])) &&
            (add == NULL || !g_strv_contains (add, m->keywords[j])))
          g_strv_builder_add (words, m->keywords[j]);
      if (add != NULL)
        g_strv_builder_addv (words, (const char **) add);
      g_strfreev (m->keywords);
      m->keywords = g_strv_builder_end (words);
    }
  answer_later (repo_of (folder), task); /* every keyword stored: not_stored stays NULL */
}

static gboolean
folder_set_keywords_finish (MailsyncFolder *folder, GAsyncResult *result, char ***not_stored, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, folder), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, folder_set_keywords_async), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
folder_delete_async (MailsyncFolder *folder, const guint32 *uids, guint n, GCancellable *c,
                     GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncTestFolder *self = MAILSYNC_TEST_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (folder, c, cb, ud);
  g_task_set_source_tag (task, folder_delete_async);

  for (guint i = 0; i < n; i++)
    g_hash_table_remove (self->messages, GUINT_TO_POINTER (uids[i]));
  answer_later (repo_of (folder), task);
}

static void
folder_set_uid_async (MailsyncFolder *folder, MailsyncMessageInfo *info, guint32 uid, GCancellable *c,
                      GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncTestFolder *self = MAILSYNC_TEST_FOLDER (folder);
  g_autoptr(GTask) task = g_task_new (folder, c, cb, ud);
  guint32 old = mailsync_message_info_get_uid (info);
  g_autofree char *key = g_strdup_printf ("%u", uid);
  gpointer m = NULL;

  g_task_set_source_tag (task, folder_set_uid_async);
  /* A local message the remote got a copy of (an upload) is known by
   * the remote's UID from now on, as a Maildir file's U=. */
  if ((uid != old && g_hash_table_contains (self->messages, GUINT_TO_POINTER (uid))) ||
      !g_hash_table_steal_extended (self->messages, GUINT_TO_POINTER (old), NULL, &m))
    {
      g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_FAILED, "cannot give message %u the UID %u",
                               old, uid);
      return;
    }
  g_hash_table_replace (self->messages, GUINT_TO_POINTER (uid), m);
  self->next_uid = MAX (self->next_uid, uid + 1);
  g_task_set_task_data (task, mailsync_message_info_new (uid, key, mailsync_message_info_get_flags (info),
                                                         mailsync_message_info_get_keywords (info),
                                                         mailsync_message_info_get_size (info),
                                                         mailsync_message_info_get_internal_date (info)),
                        g_object_unref);
  answer_later (repo_of (folder), task);
}

static MailsyncMessageInfo *
folder_set_uid_finish (MailsyncFolder *folder, GAsyncResult *result, GError **error)
{
  MailsyncMessageInfo *info = take_data (folder, result, folder_set_uid_async, error);

  return info ? g_object_ref (info) : NULL;
}

static void
folder_flush_async (MailsyncFolder *folder, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  g_autoptr(GTask) task = g_task_new (folder, c, cb, ud);
  g_task_set_source_tag (task, folder_flush_async);

  answer_later (repo_of (folder), task);
}

static guint32
folder_get_uidvalidity (MailsyncFolder *folder)
{
  return 1;
}

static void
mailsync_test_folder_finalize (GObject *object)
{
  g_hash_table_unref (MAILSYNC_TEST_FOLDER (object)->messages);
  G_OBJECT_CLASS (mailsync_test_folder_parent_class)->finalize (object);
}

static void
folder_release_listing (MailsyncFolder *folder)
{
  MAILSYNC_TEST_FOLDER (folder)->holds_listing = FALSE;
}

static const _MailsyncFolderEngineVTable engine_vtable = {
  .release_listing = folder_release_listing,
};

static void
mailsync_test_folder_class_init (MailsyncTestFolderClass *klass)
{
  MailsyncFolderClass *folder_class = MAILSYNC_FOLDER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = mailsync_test_folder_finalize;
  folder_class->list_messages_async = folder_list_async;
  folder_class->list_messages_finish = folder_list_finish;
  folder_class->fetch_message_async = folder_fetch_async;
  folder_class->fetch_message_finish = folder_fetch_finish;
  folder_class->append_message_async = folder_append_async;
  folder_class->append_message_finish = folder_append_finish;
  folder_class->set_flags_async = folder_set_flags_async;
  folder_class->set_flags_finish = folder_bool_finish;
  folder_class->delete_messages_async = folder_delete_async;
  folder_class->delete_messages_finish = folder_bool_finish;
  folder_class->set_message_uid_async = folder_set_uid_async;
  folder_class->set_message_uid_finish = folder_set_uid_finish;
  folder_class->flush_async = folder_flush_async;
  folder_class->flush_finish = folder_bool_finish;
  folder_class->get_uidvalidity = folder_get_uidvalidity;
  folder_class->can_store_keyword = folder_can_store_keyword;
  folder_class->set_keywords_async = folder_set_keywords_async;
  folder_class->set_keywords_finish = folder_set_keywords_finish;
  _mailsync_folder_class_set_engine (klass, &engine_vtable);
}

static void
mailsync_test_folder_init (MailsyncTestFolder *self)
{
  self->messages = g_hash_table_new_full (NULL, NULL, NULL, test_message_free);
  self->next_uid = 1;
}

guint32
mailsync_test_folder_add (MailsyncTestFolder *self, const char *content, const char *flags)
{
  TestMessage *m = g_new0 (TestMessage, 1);
  guint32 uid = self->next_uid++;

  m->content = g_bytes_new (content, strlen (content));
  m->flags = mailsync_flags_from_maildir (flags);
  g_hash_table_insert (self->messages, GUINT_TO_POINTER (uid), m);
  return uid;
}

guint
mailsync_test_folder_count (MailsyncTestFolder *self)
{
  return g_hash_table_size (self->messages);
}

/* ---- repository -------------------------------------------------------- */

static void
repo_bool_async (MailsyncRepository *repo, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  g_autoptr(GTask) task = g_task_new (repo, c, cb, ud);
  g_task_set_source_tag (task, repo_bool_async);

  answer_later (MAILSYNC_TEST_REPOSITORY (repo), task);
}

static gboolean
repo_bool_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  /* open, close and delete_folder share it: no one tag */
  g_return_val_if_fail (g_task_is_valid (result, repo), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
repo_list_async (MailsyncRepository *repo, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncTestRepository *self = MAILSYNC_TEST_REPOSITORY (repo);
  g_autoptr(GTask) task = g_task_new (repo, c, cb, ud);
  g_task_set_source_tag (task, repo_list_async);

  g_task_set_task_data (task, g_ptr_array_ref (self->folders), (GDestroyNotify) g_ptr_array_unref);
  answer_later (self, task);
}

static GPtrArray *
repo_list_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  GPtrArray *folders = take_data (repo, result, repo_list_async, error);
  GPtrArray *copy;

  if (folders == NULL)
    return NULL;
  copy = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < folders->len; i++)
    g_ptr_array_add (copy, g_object_ref (folders->pdata[i]));
  return copy;
}

static void
repo_create_async (MailsyncRepository *repo, const char *name, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  MailsyncTestRepository *self = MAILSYNC_TEST_REPOSITORY (repo);
  g_autoptr(GTask) task = g_task_new (repo, c, cb, ud);
  g_task_set_source_tag (task, repo_create_async);

  g_task_set_task_data (task, g_object_ref (mailsync_test_repository_add_folder (self, name)), g_object_unref);
  answer_later (self, task);
}

static MailsyncFolder *
repo_create_finish (MailsyncRepository *repo, GAsyncResult *result, GError **error)
{
  MailsyncFolder *folder = take_data (repo, result, repo_create_async, error);

  return folder ? g_object_ref (folder) : NULL;
}

static void
repo_delete_async (MailsyncRepository *repo, const char *name, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  g_autoptr(GTask) task = g_task_new (repo, c, cb, ud);
  g_task_set_source_tag (task, repo_delete_async);

  g_task_return_new_error (task, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED, "not supported");
}

static void
mailsync_test_repository_dispose (GObject *object)
{
  /* Folders reference their repository: break the cycle. */
  g_ptr_array_set_size (MAILSYNC_TEST_REPOSITORY (object)->folders, 0);
  G_OBJECT_CLASS (mailsync_test_repository_parent_class)->dispose (object);
}

static void
mailsync_test_repository_finalize (GObject *object)
{
  g_ptr_array_unref (MAILSYNC_TEST_REPOSITORY (object)->folders);
  G_OBJECT_CLASS (mailsync_test_repository_parent_class)->finalize (object);
}

static void
mailsync_test_repository_class_init (MailsyncTestRepositoryClass *klass)
{
  MailsyncRepositoryClass *repo_class = MAILSYNC_REPOSITORY_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = mailsync_test_repository_dispose;
  G_OBJECT_CLASS (klass)->finalize = mailsync_test_repository_finalize;
  repo_class->open_async = repo_bool_async;
  repo_class->open_finish = repo_bool_finish;
  repo_class->list_folders_async = repo_list_async;
  repo_class->list_folders_finish = repo_list_finish;
  repo_class->create_folder_async = repo_create_async;
  repo_class->create_folder_finish = repo_create_finish;
  repo_class->delete_folder_async = repo_delete_async;
  repo_class->delete_folder_finish = repo_bool_finish;
  repo_class->close_async = repo_bool_async;
  repo_class->close_finish = repo_bool_finish;
}

static void
mailsync_test_repository_init (MailsyncTestRepository *self)
{
  self->folders = g_ptr_array_new_with_free_func (g_object_unref);
}

MailsyncRepository *
mailsync_test_repository_new (const char *name, guint delay_ms, gboolean assign_uids)
{
  MailsyncTestRepository *self = g_object_new (MAILSYNC_TYPE_TEST_REPOSITORY, "name", name, "separator", '.', NULL);

  self->delay_ms = delay_ms;
  self->assign_uids = assign_uids;
  return MAILSYNC_REPOSITORY (self);
}

MailsyncTestFolder *
mailsync_test_repository_add_folder (MailsyncTestRepository *self, const char *name)
{
  MailsyncTestFolder *folder = g_object_new (MAILSYNC_TYPE_TEST_FOLDER, "name", name, "repository", self, NULL);

  g_ptr_array_add (self->folders, folder);
  return folder;
}

MailsyncTestFolder *
mailsync_test_repository_get_folder (MailsyncTestRepository *self, const char *name)
{
  for (guint i = 0; i < self->folders->len; i++)
    if (strcmp (mailsync_folder_get_name (self->folders->pdata[i]), name) == 0)
      return self->folders->pdata[i];
  return NULL;
}

guint
mailsync_test_repository_get_peak_in_flight (MailsyncTestRepository *self)
{
  return self->peak_in_flight;
}

guint
mailsync_test_repository_get_appends (MailsyncTestRepository *self)
{
  return self->appends;
}

void
mailsync_test_repository_set_append_hook (MailsyncTestRepository *self,
                                          MailsyncTestAppendHook  hook,
                                          gpointer                user_data)
{
  self->append_hook = hook;
  self->append_hook_data = user_data;
}

void
mailsync_test_folder_remove (MailsyncTestFolder *self, guint32 uid)
{
  g_hash_table_remove (self->messages, GUINT_TO_POINTER (uid));
}

void
mailsync_test_folder_set_flags (MailsyncTestFolder *self, guint32 uid, const char *flags)
{
  TestMessage *m = g_hash_table_lookup (self->messages, GUINT_TO_POINTER (uid));

  if (m)
    m->flags = mailsync_flags_from_maildir (flags);
}

/* "" for no flag, NULL for no such message. */
char *
mailsync_test_folder_get_flags (MailsyncTestFolder *self, guint32 uid)
{
  TestMessage *m = g_hash_table_lookup (self->messages, GUINT_TO_POINTER (uid));

  return m ? mailsync_flags_to_maildir (m->flags) : NULL;
}

/* Space-separated, as in the header's order; "" for none, NULL for no such
 * message. */
void
mailsync_test_folder_set_keywords (MailsyncTestFolder *self, guint32 uid, const char *keywords)
{
  TestMessage *m = g_hash_table_lookup (self->messages, GUINT_TO_POINTER (uid));

  if (m)
    {
      g_strfreev (m->keywords);
      m->keywords = g_strsplit (keywords, " ", -1);
    }
}

char *
mailsync_test_folder_get_keywords (MailsyncTestFolder *self, guint32 uid)
{
  TestMessage *m = g_hash_table_lookup (self->messages, GUINT_TO_POINTER (uid));

  if (m == NULL)
    return NULL;
  return m->keywords ? g_strjoinv (" ", m->keywords) : g_strdup ("");
}

gboolean
mailsync_test_folder_holds_listing (MailsyncTestFolder *self)
{
  return self->holds_listing;
}
