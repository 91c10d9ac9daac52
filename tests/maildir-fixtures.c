#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>
#include <glib/gstdio.h>

#include "mailsync-test.h"
#include "maildir-fixtures.h"
#include "mailsync.h"
#include "backends/maildir/mailsync-maildir-filename.h"

char *root;

void
setup (void)
{
  root = mailsync_test_mkdtemp ();
}

void
teardown (void)
{
  mailsync_test_rm_rf (root);
  g_clear_pointer (&root, g_free);
}

/* Async plumbing ---------------------------------------------------------- */

void
got_result (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

gboolean
repo_open (MailsyncRepository *repo,
           GError            **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  mailsync_repository_open_async (repo, NULL, got_result, &res);
  return mailsync_repository_open_finish (repo, wait_for (&res), error);
}

GPtrArray *
repo_list (MailsyncRepository *repo,
           GError            **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  mailsync_repository_list_folders_async (repo, NULL, got_result, &res);
  return mailsync_repository_list_folders_finish (repo, wait_for (&res), error);
}

MailsyncFolder *
repo_create (MailsyncRepository *repo,
             const char         *name,
             GError            **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  mailsync_repository_create_folder_async (repo, name, NULL, got_result, &res);
  return mailsync_repository_create_folder_finish (repo, wait_for (&res), error);
}

gboolean
repo_delete (MailsyncRepository *repo,
             const char         *name,
             GError            **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  mailsync_repository_delete_folder_async (repo, name, NULL, got_result, &res);
  return mailsync_repository_delete_folder_finish (repo, wait_for (&res), error);
}

GPtrArray *
folder_list (MailsyncFolder *folder)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *infos;

  mailsync_folder_list_messages_async (folder, NULL, got_result, &res);
  infos = mailsync_folder_list_messages_finish (folder, wait_for (&res), &error);
  ck_assert_msg (infos != NULL, "list: %s", error ? error->message : "?");
  return infos;
}

MailsyncMessageInfo *
folder_append (MailsyncFolder      *folder,
               MailsyncMessageInfo *info,
               const char          *content,
               gssize               length,
               GError             **error)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GInputStream) in = NULL;

  if (length < 0)
    length = (gssize) strlen (content);
  in = g_memory_input_stream_new_from_data (g_memdup2 (content, (gsize) length), length, g_free);
  mailsync_folder_append_message_async (folder, info, in, NULL, got_result, &res);
  return mailsync_folder_append_message_finish (folder, wait_for (&res), error);
}

gboolean
folder_set_flags (MailsyncFolder *folder,
                  guint32         uid,
                  MailsyncFlags   add,
                  MailsyncFlags   remove,
                  GError        **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  mailsync_folder_set_flags_async (folder, &uid, 1, add, remove, NULL, got_result, &res);
  return mailsync_folder_set_flags_finish (folder, wait_for (&res), error);
}

gboolean
folder_delete (MailsyncFolder *folder,
               const guint32  *uids,
               guint           n,
               GError        **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  mailsync_folder_delete_messages_async (folder, uids, n, NULL, got_result, &res);
  return mailsync_folder_delete_messages_finish (folder, wait_for (&res), error);
}

MailsyncMessageInfo *
folder_set_uid (MailsyncFolder      *folder,
                MailsyncMessageInfo *info,
                guint32              uid,
                GError             **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  mailsync_folder_set_message_uid_async (folder, info, uid, NULL, got_result, &res);
  return mailsync_folder_set_message_uid_finish (folder, wait_for (&res), error);
}

gboolean
folder_flush (MailsyncFolder *folder,
              GError        **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  mailsync_folder_flush_async (folder, NULL, got_result, &res);
  return mailsync_folder_flush_finish (folder, wait_for (&res), error);
}

char *
folder_fetch (MailsyncFolder      *folder,
              MailsyncMessageInfo *info,
              gsize               *length)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

  mailsync_folder_fetch_message_async (folder, info, NULL, got_result, &res);
  in = mailsync_folder_fetch_message_finish (folder, wait_for (&res), &error);
  ck_assert_msg (in != NULL, "fetch: %s", error ? error->message : "?");
  ck_assert (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                                     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error) >= 0);
  if (length)
    *length = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out));
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
}

/* Fixtures ---------------------------------------------------------------- */

void
make_maildir (const char *path)
{
  static const char *const subdirs[] = { "cur", "new", "tmp" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[i], NULL);
      ck_assert_int_eq (g_mkdir_with_parents (sub, 0700), 0);
    }
}

void
put (const char *folder_rel,
     const char *file_rel,
     const char *contents,
     gint64      mtime)
{
  g_autofree char *path = g_build_filename (root, folder_rel, file_rel, NULL);

  mailsync_test_write_file (path, contents);
  if (mtime > 0)
    {
      struct utimbuf t = { (time_t) mtime, (time_t) mtime };
      ck_assert_int_eq (utime (path, &t), 0);
    }
}

gboolean
exists (const char *folder_rel,
        const char *file_rel)
{
  g_autofree char *path = g_build_filename (root, folder_rel, file_rel, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

guint
count_files (const char *dir_rel)
{
  g_autofree char *path = g_build_filename (root, dir_rel, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

MailsyncFolder *
folder_named (GPtrArray  *folders,
              const char *name)
{
  for (guint i = 0; i < folders->len; i++)
    if (g_strcmp0 (mailsync_folder_get_name (folders->pdata[i]), name) == 0)
      return folders->pdata[i];
  return NULL;
}

MailsyncMessageInfo *
info_with_uid (GPtrArray *infos,
               guint32    uid)
{
  for (guint i = 0; i < infos->len; i++)
    if (mailsync_message_info_get_uid (infos->pdata[i]) == uid)
      return infos->pdata[i];
  return NULL;
}

MailsyncMessageInfo *
info_with_key (GPtrArray  *infos,
               const char *key)
{
  for (guint i = 0; i < infos->len; i++)
    if (g_strcmp0 (mailsync_message_info_get_key (infos->pdata[i]), key) == 0)
      return infos->pdata[i];
  return NULL;
}

/* A repository opened on root and its INBOX folder (created). */
MailsyncFolder *
open_inbox (MailsyncRepository **repo_out,
            char                 sep)
{
  g_autoptr(GError) error = NULL;
  MailsyncRepository *repo = mailsync_maildir_repository_new ("local", root, sep);
  MailsyncFolder *inbox;

  ck_assert (repo_open (repo, &error));
  inbox = repo_create (repo, "INBOX", &error);
  ck_assert_msg (inbox != NULL, "create: %s", error ? error->message : "?");
  *repo_out = repo;
  return inbox;
}

/* Tests ---------------------------------------------------------------------- */

