/* libFuzzer target for the plain status store (issue 12 item 10): load from
 * bytes in files, as a status left by offlineimap, by us or by a crash.
 *
 * The input is split at each "\n%%\n": the first part is the status file,
 * the second the .meta file, each further part one journal record's
 * payload, framed here with its true length and SHA-256 (else the fuzzer
 * would never get past the checksum); a first byte '!' instead puts the
 * third part in the journal as it is, header and all. An empty part is a
 * missing file. Checks beyond "no crash": what loads, written back
 * through a commit, loads again the same. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsync.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define FOLDER "INBOX"

static char *dir;

static void
put_file (const char *path, const char *data, gsize len)
{
  g_unlink (path);
  if (len > 0 && !g_file_set_contents (path, data, (gssize) len, NULL))
    abort ();
}

/* Records and meta as one string, for comparing two loads. */
static char *
describe (GPtrArray *records, GHashTable *meta)
{
  GString *s = g_string_new (NULL);
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (meta), (GCompareFunc) strcmp);

  for (guint i = 0; i < records->len; i++)
    {
      const MailsyncStatusRecord *r = records->pdata[i];

      g_string_append_printf (s, "%u|%s|%" G_GINT64_FORMAT "|%s\n", r->uid, r->flags, r->mtime, r->labels);
    }
  for (GList *l = keys; l != NULL; l = l->next)
    g_string_append_printf (s, "%s=%s\n", (char *) l->data, (char *) g_hash_table_lookup (meta, l->data));
  return g_string_free (s, FALSE);
}

static gboolean
load (GPtrArray **records, GHashTable **meta)
{
  g_autoptr(MailsyncStatusStore) store = mailsync_status_plain_new (dir);

  return mailsync_status_store_load (store, FOLDER, records, meta, NULL, NULL);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *name = mailsync_status_folder_file_name (FOLDER);
  g_autofree char *path = NULL, *meta_path = NULL, *journal_path = NULL;
  g_autofree char *before = NULL, *after = NULL;
  g_autoptr(GPtrArray) records = NULL, records2 = NULL;
  g_autoptr(GHashTable) meta = NULL, meta2 = NULL;
  g_autoptr(GString) journal = g_string_new (NULL);
  g_autoptr(MailsyncStatusStore) store = NULL;
  g_autoptr(MailsyncStatusBatch) batch = NULL;
  gboolean raw = size > 0 && data[0] == '!';
  g_auto(GStrv) parts = NULL;
  guint n;

  if (dir == NULL)
    {
      /* tmpfs where there is one: every commit fsyncs */
      dir = g_dir_make_tmp ("fuzz-status-plain-XXXXXX", NULL);
      if (dir == NULL)
        abort ();
    }
  /* NULs end the text: the parts are cut from the whole input instead */
  if (memchr (data, '\0', size) != NULL)
    return 0;
  parts = g_strsplit (text + (raw ? 1 : 0), "\n%%\n", -1);
  n = g_strv_length (parts);
  path = g_build_filename (dir, name, NULL);
  meta_path = g_strconcat (path, ".meta", NULL);
  journal_path = g_strconcat (path, ".journal", NULL);

  put_file (path, n > 0 ? parts[0] : "", n > 0 ? strlen (parts[0]) : 0);
  put_file (meta_path, n > 1 ? parts[1] : "", n > 1 ? strlen (parts[1]) : 0);
  for (guint i = 2; i < n; i++)
    {
      g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, parts[i], -1);

      if (raw)
        g_string_append (journal, parts[i]);
      else
        g_string_append_printf (journal, "BATCH %" G_GSIZE_FORMAT " %s\n%s", strlen (parts[i]), sum, parts[i]);
    }
  put_file (journal_path, journal->str, journal->len);

  if (!load (&records, &meta))
    return 0;

  /* Write it all back (through the journal, and a fold when it is long)
   * and read it again: the same records and meta. */
  before = describe (records, meta);
  batch = mailsync_status_batch_new ();
  for (guint i = 0; i < records->len; i++)
    {
      const MailsyncStatusRecord *r = records->pdata[i];

      mailsync_status_batch_put (batch, r->uid, r->flags, r->mtime, r->labels);
    }
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, meta);
    while (g_hash_table_iter_next (&iter, &key, &value))
      mailsync_status_batch_set_meta (batch, key, value);
  }
  store = mailsync_status_plain_new (dir);
  if (!mailsync_status_store_load (store, FOLDER, NULL, NULL, NULL, NULL))
    abort ();
  /* A commit may refuse what the format cannot hold (a CR in labels) */
  if (!mailsync_status_store_commit (store, FOLDER, batch, NULL, NULL))
    return 0;
  if (!load (&records2, &meta2))
    abort ();
  after = describe (records2, meta2);
  if (strcmp (before, after) != 0)
    abort ();
  return 0;
}
