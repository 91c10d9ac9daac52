/* Keyword sync (issue 10 item 3): one entry point per question the runner
 * asks, answered by the folder through its public keyword members
 * (mailsync_folder_set_keywords_async...) and, for the letters the status
 * keeps, the core's private engine table
 * (mailsync-folder-engine-private.h), whatever its backend. */
#include "config.h"

#include "sync/mailsync-keywords.h"
#include "mailsync-error.h"
#include "mailsync-folder-engine-private.h"
#include "mailsync-private.h"

#include <string.h>

gboolean
_mailsync_keywords_supported (MailsyncFolder *folder)
{
  return mailsync_folder_supports (folder, MAILSYNC_FOLDER_CAPABILITY_KEYWORDS);
}

gboolean
_mailsync_keywords_can_store (MailsyncFolder *folder, const char *keyword)
{
  /* a folder without keywords refuses none (the header's "every other
   * folder TRUE"); the public call says FALSE there */
  return !_mailsync_keywords_supported (folder) || mailsync_folder_can_store_keyword (folder, keyword);
}

/* A space-separated list as the public API's array (no empty words). */
static GStrv
split_words (const char *words)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) parts = g_strsplit (words != NULL ? words : "", " ", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

void
_mailsync_keywords_set_async (MailsyncFolder      *folder,
                              const guint32       *uids,
                              guint                n_uids,
                              const char          *add,
                              const char          *remove,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_auto(GStrv) added = split_words (add);
  g_auto(GStrv) removed = split_words (remove);

  /* the folder copies what it keeps before it returns */
  mailsync_folder_set_keywords_async (folder, uids, n_uids, (const char * const *) added,
                                      (const char * const *) removed, cancellable, callback, user_data);
}

gboolean
_mailsync_keywords_set_finish (MailsyncFolder  *folder,
                               GAsyncResult    *result,
                               GStrv           *not_stored,
                               GError         **error)
{
  return mailsync_folder_set_keywords_finish (folder, result, not_stored, error);
}

gboolean
_mailsync_keywords_has_letters (MailsyncFolder *folder)
{
  return folder != NULL && _mailsync_folder_has_keyword_letters (folder);
}

char *
_mailsync_keywords_from_letters (MailsyncFolder *folder, const char *letters)
{
  char *keywords;

  if (!_mailsync_keywords_has_letters (folder))
    return g_strdup ("");
  /* Only a-z name keywords: a row without one (the usual row) needs no
   * lookup and no lock (issue 13 item 2: this runs for every status row
   * of a changed folder). */
  if (!_mailsync_letters_have_keywords (letters))
    return g_strdup ("");
  keywords = _mailsync_folder_keywords_from_letters (folder, letters);
  return keywords ? keywords : g_strdup ("");
}

char *
_mailsync_keywords_to_letters (MailsyncFolder *folder, const char *keywords)
{
  g_auto(GStrv) words = NULL;
  char *letters;

  if (!_mailsync_keywords_has_letters (folder) || keywords == NULL || *keywords == '\0')
    return g_strdup ("");
  words = g_strsplit (keywords, " ", -1);
  letters = _mailsync_folder_keywords_to_letters (folder, (const char * const *) words);
  return letters ? letters : g_strdup ("");
}

static int
compare_by_uid (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const guint32 *uids = user_data;
  guint32 ua = uids[*(const guint *) a], ub = uids[*(const guint *) b];

  return ua < ub ? -1 : ua > ub;
}

void
_mailsync_keywords_reserve (MailsyncFolder      *folder,
                            const char          *label,
                            const guint32       *uids,
                            const char * const  *keywords,
                            guint                n)
{
  g_autoptr(GArray) order = NULL;
  g_autoptr(GPtrArray) words = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GError) error = NULL;

  if (!_mailsync_keywords_has_letters (folder))
    return;
  order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
  for (guint i = 0; i < n; i++)
    if (keywords[i] != NULL && keywords[i][0] != '\0')
      g_array_append_val (order, i);
  /* most messages have no keyword: then the file is not even read */
  if (order->len == 0)
    return;
  g_array_sort_with_data (order, compare_by_uid, (gpointer) uids);
  words = g_ptr_array_new_with_free_func (g_free);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < order->len; i++)
    {
      g_auto(GStrv) split = g_strsplit (keywords[g_array_index (order, guint, i)], " ", -1);

      for (char **w = split; *w; w++)
        if (**w != '\0' && !g_hash_table_contains (seen, *w))
          {
            char *word = g_strdup (*w);

            g_hash_table_add (seen, word);
            g_ptr_array_add (words, word);
          }
    }
  g_ptr_array_add (words, NULL);
  if (!_mailsync_folder_reserve_keywords (folder, (const char * const *) words->pdata, &error))
    g_debug ("Folder %s: %s", label, error->message);
  _mailsync_crash_point ("runner-keywords-reserved");
}

gboolean
_mailsync_keywords_in_labels (MailsyncFolder *folder)
{
  return folder != NULL && _mailsync_folder_keywords_in_labels (folder);
}

/* The labels column is comma-separated (offlineimap's LocalStatusSQLite
 * splits it on ","), and an IMAP keyword is an atom, which may hold a
 * comma but never a "%" (a list-wildcard, RFC 3501 atom-specials). So a
 * keyword's "," is written "%2C" (and a "%", which a server should never
 * send, "%25"): the name round-trips exactly, and offlineimap3 reads it as
 * one label with "%2C" in it, which it keeps as it is (doc/design.md,
 * "Keywords both ways"). */
char *
_mailsync_keywords_to_labels (const char *keywords)
{
  g_auto(GStrv) words = g_strsplit (keywords ? keywords : "", " ", -1);
  GString *out = g_string_new (NULL);

  for (char **w = words; *w; w++)
    {
      if (**w == '\0')
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      for (const char *c = *w; *c; c++)
        if (*c == ',')
          g_string_append (out, "%2C");
        else if (*c == '%')
          g_string_append (out, "%25");
        else
          g_string_append_c (out, *c);
    }
  return g_string_free (out, FALSE);
}

static void
append_unescaped (GString *out, const char *label)
{
  for (const char *c = label; *c; c++)
    if (c[0] == '%' && c[1] == '2' && (c[2] == 'C' || c[2] == 'c'))
      {
        g_string_append_c (out, ',');
        c += 2;
      }
    else if (c[0] == '%' && c[1] == '2' && c[2] == '5')
      {
        g_string_append_c (out, '%');
        c += 2;
      }
    else
      g_string_append_c (out, *c);
}

char *
_mailsync_keywords_from_labels (const char *labels)
{
  g_auto(GStrv) parts = g_strsplit (labels ? labels : "", ",", -1);
  GString *out = g_string_new (NULL);

  for (char **p = parts; *p; p++)
    {
      g_strstrip (*p);
      if (**p == '\0')
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      append_unescaped (out, *p);
    }
  return g_string_free (out, FALSE);
}
