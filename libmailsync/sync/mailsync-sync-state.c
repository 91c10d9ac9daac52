/* What a folder's status holds besides its rows' UIDs: the flags and
 * keywords columns a row is written with (issue 10 item 3), the keywords
 * stamp, and the remote listing state the fast listing resumes from.
 * Split from mailsync-sync-runner.c (issue 14 item 1). */
#include "config.h"

#include "sync/mailsync-sync-private.h"

#include <string.h>

gboolean
_mailsync_sync_fast_listing_applies (Runner *r)
{
  MailsyncRepository *rrepo = mailsync_folder_get_repository (r->remote);
  MailsyncRepository *lrepo = mailsync_folder_get_repository (r->local);
  GObjectClass *klass = G_OBJECT_GET_CLASS (r->remote);

  return g_object_class_find_property (klass, "known-messages") != NULL
         && g_object_class_find_property (klass, "known-state") != NULL
         && g_object_class_find_property (klass, "sync-state") != NULL
         && !r->max_age_set && r->config->max_size == 0 && _mailsync_sync_start_date_of (r) == 0
         && _mailsync_sync_local_start_date_of (r) == 0
         && !mailsync_repository_get_readonly (rrepo) && !mailsync_repository_get_readonly (lrepo)
         && mailsync_repository_get_sync_deletes (rrepo) && mailsync_repository_get_sync_deletes (lrepo);
}

/* The keywords the status records, as a stamp: per row that has any,
 * its UID and the raw form it has them in (the flags column's keyword
 * letters, or the labels column of an IMAP<->IMAP account), hashed, the
 * hashes summed (the rows come in no order); NULL when no row has any.
 * A digest rather than a marker: offlineimap3 rewrites rows without
 * touching our meta entries, and what it can change here is exactly
 * that content (it strips a letter it has no customflag for, drops a
 * customflag letter it cannot send, adds one it downloaded). */
static char *
keywords_stamp (Runner *r)
{
  gboolean in_labels = _mailsync_keywords_in_labels (r->local);
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  const MailsyncStatusRecord *row;
  guint64 sum = 0;
  guint n = 0, at = 0;

  while (_mailsync_status_table_next (r->status_rows, &at, &row))
    {
      g_autofree char *raw = NULL;
      g_autofree char *line = NULL;
      guint8 digest[16];
      gsize len = sizeof digest;
      guint64 h = 0;

      /* most rows have none: nothing allocated for them (issue 13 item
       * 2: this ran twice per changed folder over every row) */
      if (in_labels ? row->labels == NULL || *row->labels == '\0'
                    : !_mailsync_letters_have_keywords (row->flags))
        continue;
      if (in_labels)
        raw = g_strdup (row->labels);
      else
        {
          GString *letters = g_string_new (NULL);

          for (const char *p = row->flags; p && *p; p++)
            if (*p >= 'a' && *p <= 'z')
              g_string_append_c (letters, *p);
          raw = g_string_free (letters, FALSE);
        }
      if (*raw == '\0')
        continue;
      line = g_strdup_printf ("%u %s", row->uid, raw);
      g_checksum_reset (md5);
      g_checksum_update (md5, (const guchar *) line, -1);
      g_checksum_get_digest (md5, digest, &len);
      for (guint i = 0; i < 8; i++)
        h = (h << 8) | digest[i];
      sum += h;
      n++;
    }
  return n == 0 ? NULL : g_strdup_printf ("1 %u %016" G_GINT64_MODIFIER "x", n, sum);
}

/* Whether the status's keywords are as this engine left them. The fast
 * listing reports an unchanged server message without its flags, and
 * the runner takes its keywords from the status: right only when the
 * status is what the last run learned from the server. */
static gboolean
keywords_status_trusted (Runner *r)
{
  g_autofree char *stamp = NULL;

  if (!_mailsync_sync_keywords_on (r))
    return TRUE;
  stamp = keywords_stamp (r);
  return g_strcmp0 (stamp, g_hash_table_lookup (r->meta, META_KEYWORDS_STAMP)) == 0;
}

/* After the run's last status commit; a run that stops before leaves
 * the old stamp, which the next run finds different: a full listing,
 * never a wrong one. Nothing written when it did not change (rule 9). */
gboolean
_mailsync_sync_save_keywords_stamp (Runner *r, GError **error)
{
  g_autofree char *stamp = NULL;
  g_autoptr(MailsyncStatusBatch) batch = NULL;

  if (r->config->dry_run || !_mailsync_sync_keywords_on (r))
    return TRUE;
  stamp = keywords_stamp (r);
  if (g_strcmp0 (stamp, g_hash_table_lookup (r->meta, META_KEYWORDS_STAMP)) == 0)
    return TRUE;
  batch = mailsync_status_batch_new ();
  mailsync_status_batch_set_meta (batch, META_KEYWORDS_STAMP, stamp);
  return _mailsync_sync_commit (r, batch, error);
}

/* @listing: FALSE when the listings were made already (handed over by the
 * move pre-pass): the same checks and words, but no table of every status
 * row built for a listing that does not happen (issue 13 item 2). */
void
_mailsync_sync_offer_known_state (Runner *r, gboolean listing)
{
  g_autoptr(GHashTable) known = NULL;
  const MailsyncStatusRecord *record;
  guint at = 0;

  if (!_mailsync_sync_fast_listing_applies (r))
    return;
  if (!keywords_status_trusted (r))
    {
      /* another program (offlineimap3) rewrote the status's keywords:
       * they say nothing about the server now */
      _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_DEBUG, NULL, MAILSYNC_DIRECTION_NONE, 0, 0, 0, NULL, NULL,
            "the status's keywords were changed by another program: listing the server's flags in full");
      return;
    }
  if (!listing)
    return;
  /* The rows' flags are interned strings (mailsync-status-table.h): the
   * table borrows them, however long the folder keeps it (issue 13 item
   * 2: a copy per row was 8M instructions of a flags + new resync). */
  known = g_hash_table_new (NULL, NULL);
  while (_mailsync_status_table_next (r->status_rows, &at, &record))
    g_hash_table_insert (known, GUINT_TO_POINTER (record->uid), record->flags);
  g_object_set (r->remote, "known-messages", known,
                "known-state", g_hash_table_lookup (r->meta, META_LISTING_STATE), NULL);
}

/* Called with the last batch of a run that did everything it planned. A
 * run that skipped a message keeps the old state: the next listing then
 * reports that message again. */
void
_mailsync_sync_save_listing_state (Runner *r, MailsyncStatusBatch *batch)
{
  g_autofree char *state = NULL;
  const char *saved = g_hash_table_lookup (r->meta, META_LISTING_STATE);

  if (_mailsync_sync_fast_listing_applies (r))
    {
      if (r->incomplete)
        return;
      g_object_get (r->remote, "sync-state", &state, NULL);
    }
  /* Rule 9: nothing changed, nothing written. */
  if (g_strcmp0 (state, saved) != 0)
    mailsync_status_batch_set_meta (batch, META_LISTING_STATE, state);
}

/* A status row whose labels and mtime are not known here keeps the ones
 * it has (offlineimap's UPDATE status SET flags=?), so that a flag change
 * never loses what the label pass recorded. */
void
_mailsync_sync_put_keeping_labels (Runner *r, MailsyncStatusBatch *batch, guint32 uid, const char *flags)
{
  const MailsyncStatusRecord *old = _mailsync_status_table_lookup (r->status_rows, uid);

  mailsync_status_batch_put (batch, uid, flags, old ? old->mtime : 0, old ? old->labels : "");
}

/* ---- keywords (issue 10 item 3) ---------------------------------------
 *
 * Synced when both folders have them (IMAP and Maildir). The status keeps
 * a local Maildir's keywords as offlineimap keeps those it maps: as the
 * letters of the file names in the flags column ("Sab"), a customflag
 * letter or one from the folder's dovecot-keywords file (doc/design.md). */
gboolean
_mailsync_sync_keywords_on (Runner *r)
{
  /* asked for every message copied: the folders' capabilities are asked
   * once per folder sync (the library's backends answer from the class) */
  if (r->keywords_on == 0)
    r->keywords_on = _mailsync_keywords_supported (r->remote) && _mailsync_keywords_supported (r->local) ? 2 : 1;
  return r->keywords_on == 2;
}

/* A message's keywords, space-separated; NULL when the listing does not
 * say (an IMAP fast listing's unchanged message). */
char *
_mailsync_sync_info_keywords (MailsyncMessageInfo *info)
{
  const char * const *keywords = mailsync_message_info_get_keywords (info);

  return keywords ? g_strjoinv (" ", (char **) keywords) : NULL;
}

/* The status flags column for @flags (system letters) and @keywords: the
 * letters the local side gives them, sorted by ASCII as offlineimap's. */
char *
_mailsync_sync_status_flags (Runner *r, const char *flags, const char *keywords)
{
  g_autofree char *letters = NULL;
  g_autofree char *all = NULL;
  GString *sorted;

  if (!_mailsync_sync_keywords_on (r) || keywords == NULL || *keywords == '\0')
    return g_strdup (flags);
  letters = _mailsync_keywords_to_letters (r->local, keywords);
  all = g_strconcat (flags, letters, NULL);
  sorted = g_string_new (NULL);
  for (int c = 'A'; c <= 'z'; c++)
    if (strchr (all, c) != NULL)
      g_string_append_c (sorted, (char) c);
  return g_string_free (sorted, FALSE);
}

/* The keywords a status row records. A local Maildir: its letters in the
 * flags column; the local IMAP folder of an IMAP<->IMAP account, which
 * has no letters: their names in the labels column, which offlineimap
 * uses only for Gmail labels and keeps as it is on the flag updates it
 * makes (doc/design.md). */
char *
_mailsync_sync_row_keywords (Runner *r, const MailsyncStatusRecord *row)
{
  if (row == NULL)
    return g_strdup ("");
  if (_mailsync_keywords_in_labels (r->local))
    return _mailsync_keywords_from_labels (row->labels);
  return _mailsync_keywords_from_letters (r->local, row->flags);
}

/* A status row for @flags (system letters) and @keywords (those both
 * sides have, space-separated), in the form row_keywords() reads. */
void
_mailsync_sync_put_row (Runner *r, MailsyncStatusBatch *batch, guint32 uid, const char *flags, const char *keywords)
{
  g_autofree char *row_flags = _mailsync_sync_status_flags (r, flags, keywords);

  if (_mailsync_sync_keywords_on (r) && _mailsync_keywords_in_labels (r->local))
    {
      const MailsyncStatusRecord *old = _mailsync_status_table_lookup (r->status_rows, uid);
      g_autofree char *labels = _mailsync_keywords_to_labels (keywords);

      mailsync_status_batch_put (batch, uid, row_flags, old ? old->mtime : 0, labels);
    }
  else
    _mailsync_sync_put_keeping_labels (r, batch, uid, row_flags);
}

/* The keywords of @wanted that @stored lacks: the local side had no
 * letter left for them (a Maildir folder with 26 keywords). One line. */
void
_mailsync_sync_warn_not_stored (Runner *r, guint32 uid, const char *wanted, const char *stored)
{
  g_auto(GStrv) want = NULL;
  g_auto(GStrv) have = NULL;
  g_autoptr(GString) missing = NULL;
  g_autofree char *text = NULL;

  /* every downloaded message comes here: nothing wanted, nothing to split */
  if (wanted == NULL || *wanted == '\0')
    return;
  want = g_strsplit (wanted, " ", -1);
  have = g_strsplit (stored ? stored : "", " ", -1);
  missing = g_string_new (NULL);
  for (char **w = want; *w; w++)
    if (**w != '\0' && !g_strv_contains ((const char * const *) have, *w))
      g_string_append_printf (missing, "%s%s", missing->len ? " " : "", *w);
  if (missing->len == 0)
    return;
  text = g_strdup_printf ("Keywords not stored on message %u in %s (%s): %s", uid, r->folder_label,
                          _mailsync_keywords_has_letters (r->local) ? "no letter left in its dovecot-keywords"
                                                                     : "the folder cannot store them",
                          missing->str);
  _mailsync_sync_emit (r, MAILSYNC_SYNC_EVENT_WARNING, r->local, MAILSYNC_DIRECTION_TO_LOCAL, uid, 0, 0, NULL, NULL, text);
}

gboolean
_mailsync_sync_remote_can_store (const char *keyword, gpointer data)
{
  Runner *r = data;

  return _mailsync_keywords_can_store (r->remote, keyword);
}

/* The keywords @a and @b both have (IMAP keywords: case-insensitive),
 * space-separated in @a's spelling. */
char *
_mailsync_sync_common_keywords (MailsyncMessageInfo *a, MailsyncMessageInfo *b)
{
  const char * const *ka = mailsync_message_info_get_keywords (a);
  const char * const *kb = mailsync_message_info_get_keywords (b);
  GString *out = g_string_new (NULL);

  for (guint i = 0; ka != NULL && ka[i] != NULL; i++)
    for (guint j = 0; kb != NULL && kb[j] != NULL; j++)
      if (g_ascii_strcasecmp (ka[i], kb[j]) == 0)
        {
          g_string_append_printf (out, "%s%s", out->len ? " " : "", ka[i]);
          break;
        }
  return g_string_free (out, FALSE);
}

/* A status row's flags after the flag and keyword passes: the keywords
 * the local side could not store left out. */
void
_mailsync_sync_put_status_row (Runner *r, MailsyncStatusBatch *batch, MailsyncAction *a, GHashTable *not_stored_by_uid)
{
  g_auto(GStrv) words = g_strsplit (a->keywords ? a->keywords : "", " ", -1);
  const char * const *not_stored = g_hash_table_lookup (not_stored_by_uid, GUINT_TO_POINTER (a->uid));
  g_autoptr(GString) kept = g_string_new (NULL);

  for (char **w = words; *w; w++)
    if (**w != '\0' && (not_stored == NULL || !g_strv_contains (not_stored, *w)))
      g_string_append_printf (kept, "%s%s", kept->len ? " " : "", *w);
  _mailsync_sync_put_row (r, batch, a->uid, a->flags, kept->str);
}

/* ---- a killed run's downloads (review 2 Low 3 of session 16) -----------
 *
 * A download is "write the file, flush, commit its row". A run killed
 * between the flush and the commit leaves a file named with this folder's
 * FMD5 and the message's UID but no row. While the server keeps that UID
 * the next run finds both sides and only records it. If the server
 * expunged it in between, the file alone used to read as new local mail
 * and was uploaded again (offlineimap does the same): a message deleted
 * on the server came back.
 *
 * So a run commits the UIDs it is about to download (META_DOWNLOADS, with
 * the remote UIDVALIDITY) before its first flush, each download batch's
 * commit takes its own UIDs out, and the folder's final commit removes
 * the entry, complete run or not. The next run plans a file of one of those UIDs
 * with no row as if it had its row (plan_of): gone from the server, it is
 * a server deletion (DELETE_LOCAL under sync_deletes, read-only and the
 * mass-delete guard, which counts it as a known message); kept because
 * deletions do not propagate, it gets its row. Only a complete remote
 * listing may say a message is gone: not with maxage, maxsize or a
 * startdate, where the file is planned as before.
 *
 * Only a file whose name that run gave is its download: the entry keeps
 * the local folder's name stem of each run that wrote it (a Maildir:
 * "<pid><mark>.<host>", the mark random per repository object, so not
 * shared by a process that had the same pid, session 19), and a file of
 * such a UID whose name has none of them (a backup restored, another
 * account's message of a folder with the same name moved in between the
 * kill and the rerun: same FMD5, any U=) is new mail, as before (review
 * 1 S3 of session 17). The exact names are not known when the entry is
 * committed (a delivery makes its name), so the stem, not the names.
 * doc/design.md, "A killed run's downloads". */

static guint32
downloads_validity (Runner *r)
{
  return mailsync_folder_get_uidvalidity (r->remote);
}

/* "<validity> <lo>[:<hi>],...[ <stem>...]" into @ranges (ascending,
 * disjoint) and @stems (where the stems start in @value, NULL for none);
 * FALSE when it is not that form or not of @validity. */
static gboolean
parse_downloads (const char *value, guint32 validity, GArray *ranges, const char **stems)
{
  const char *p = value;
  char *end = NULL;
  guint64 v, lo, hi;

  if (value == NULL)
    return FALSE;
  v = g_ascii_strtoull (p, &end, 10);
  if (end == p || *end != ' ' || v != validity)
    return FALSE;
  p = end + 1;
  while (*p != '\0')
    {
      guint32 pair[2];

      lo = g_ascii_strtoull (p, &end, 10);
      if (end == p || lo == 0 || lo > G_MAXUINT32)
        return FALSE;
      hi = lo;
      p = end;
      if (*p == ':')
        {
          hi = g_ascii_strtoull (p + 1, &end, 10);
          if (end == p + 1 || hi < lo || hi > G_MAXUINT32)
            return FALSE;
          p = end;
        }
      if (ranges->len > 0 && lo <= g_array_index (ranges, guint32, ranges->len - 1))
        return FALSE;
      pair[0] = (guint32) lo;
      pair[1] = (guint32) hi;
      g_array_append_vals (ranges, pair, 2);
      if (*p == ',')
        p++;
      else if (*p == ' ')
        {
          *stems = p + 1;
          break;
        }
      else if (*p != '\0')
        return FALSE;
    }
  return TRUE;
}

static GArray *
downloading (Runner *r)
{
  if (!r->downloading_read)
    {
      g_autoptr(GArray) ranges = g_array_new (FALSE, FALSE, sizeof (guint32));
      const char *stems = NULL;

      r->downloading_read = TRUE;
      if (parse_downloads (g_hash_table_lookup (r->meta, META_DOWNLOADS), downloads_validity (r), ranges, &stems) &&
          ranges->len > 0)
        {
          r->downloading = g_steal_pointer (&ranges);
          if (stems != NULL && *stems != '\0')
            r->downloading_stems = g_strsplit (stems, " ", -1);
        }
    }
  return r->downloading;
}

/* META_DOWNLOADS is read again from r->meta, which a commit updates. */
static void
forget_downloading (Runner *r)
{
  g_clear_pointer (&r->downloading, g_array_unref);
  g_clear_pointer (&r->downloading_stems, g_strfreev);
  r->downloading_read = FALSE;
}

/* Whether plan_of makes rows for a killed run's downloads: the status
 * names some, and the remote listing is the whole folder. */
gboolean
_mailsync_sync_unrecorded_applies (Runner *r)
{
  return !r->max_age_set && r->config->max_size == 0 && _mailsync_sync_start_date_of (r) == 0 &&
         _mailsync_sync_local_start_date_of (r) == 0 && downloading (r) != NULL;
}

static gboolean
in_ranges (GArray *ranges, guint32 uid)
{
  guint lo = 0, hi = ranges->len / 2;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (uid < g_array_index (ranges, guint32, 2 * mid))
        hi = mid;
      else if (uid > g_array_index (ranges, guint32, 2 * mid + 1))
        lo = mid + 1;
      else
        return TRUE;
    }
  return FALSE;
}

/* Whether the local message @key has a name one of the entry's runs gave
 * (its stems). An entry without stems is of a folder that has none (the
 * mapped folder: its UIDs of the remote are its own map's): any key; of
 * a folder that has them, it was written before the stems were kept
 * (a development build): none, the file is new mail as before. */
static gboolean
named_by_entry (Runner *r, const char *key)
{
  if (r->downloading_stems == NULL)
    {
      g_autofree char *own = _mailsync_folder_dup_name_stem (r->local);

      return own == NULL;
    }
  for (char **stem = r->downloading_stems; *stem != NULL; stem++)
    if (**stem != '\0' && _mailsync_folder_key_has_stem (r->local, key, *stem))
      return TRUE;
  return FALSE;
}

/* Whether @uid is one of the entry's and the local message @key of it a
 * file that run wrote. */
gboolean
_mailsync_sync_was_downloading (Runner *r, guint32 uid, const char *key)
{
  GArray *ranges = downloading (r);

  return ranges != NULL && in_ranges (ranges, uid) && named_by_entry (r, key);
}

static int
compare_range (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

/* Before the first download's flush: the UIDs of @todo (DOWNLOAD
 * actions), with those a killed run left (unresolved until this folder's
 * final commit), committed as META_DOWNLOADS. Nothing written when they
 * are there already. */
gboolean
_mailsync_sync_note_downloads (Runner *r, GPtrArray *todo, GError **error)
{
  /* (lo, hi) pairs, sorted by lo and merged where they touch */
  g_autoptr(GArray) pairs = g_array_sized_new (FALSE, FALSE, 2 * sizeof (guint32), todo->len);
  g_autoptr(MailsyncStatusBatch) batch = NULL;
  GArray *old = downloading (r);
  g_autofree char *own_stem = _mailsync_folder_dup_name_stem (r->local);
  GString *value;
  g_autofree char *text = NULL;
  guint n = 0;

  for (guint i = 0; i < todo->len; i++)
    {
      guint32 uid = ((MailsyncAction *) todo->pdata[i])->uid;
      guint32 pair[2] = { uid, uid };

      g_array_append_vals (pairs, pair, 1);
    }
  if (old != NULL)
    g_array_append_vals (pairs, old->data, old->len / 2);
  g_array_sort (pairs, compare_range);
  for (guint i = 0; i < pairs->len; i++)
    {
      guint32 *in = &g_array_index (pairs, guint32, 2 * i);
      guint32 *out = n > 0 ? &g_array_index (pairs, guint32, 2 * (n - 1)) : NULL;

      if (out != NULL && (guint64) in[0] <= (guint64) out[1] + 1)
        out[1] = MAX (out[1], in[1]);
      else
        {
          g_array_index (pairs, guint32, 2 * n) = in[0];
          g_array_index (pairs, guint32, 2 * n + 1) = in[1];
          n++;
        }
    }
  value = g_string_new (NULL);
  g_string_printf (value, "%u ", downloads_validity (r));
  for (guint i = 0; i < n; i++)
    {
      guint32 lo = g_array_index (pairs, guint32, 2 * i), hi = g_array_index (pairs, guint32, 2 * i + 1);

      g_string_append_printf (value, i > 0 ? ",%u" : "%u", lo);
      if (hi != lo)
        g_string_append_printf (value, ":%u", hi);
    }
  /* this run's stem, then those of the killed runs whose UIDs it keeps */
  if (own_stem != NULL && *own_stem != '\0' && strchr (own_stem, ' ') == NULL)
    g_string_append_printf (value, " %s", own_stem);
  for (char **stem = r->downloading_stems; stem != NULL && *stem != NULL; stem++)
    if (**stem != '\0' && g_strcmp0 (*stem, own_stem) != 0)
      g_string_append_printf (value, " %s", *stem);
  text = g_string_free (value, FALSE);
  if (g_strcmp0 (text, g_hash_table_lookup (r->meta, META_DOWNLOADS)) == 0)
    return TRUE;
  batch = mailsync_status_batch_new ();
  mailsync_status_batch_set_meta (batch, META_DOWNLOADS, text);
  if (!_mailsync_sync_commit (r, batch, error))
    return FALSE;
  forget_downloading (r);
  return TRUE;
}

static void
append_range (GString *value, guint *n, guint64 lo, guint64 hi)
{
  g_string_append_printf (value, *n > 0 ? ",%" G_GUINT64_FORMAT : "%" G_GUINT64_FORMAT, lo);
  if (hi != lo)
    g_string_append_printf (value, ":%" G_GUINT64_FORMAT, hi);
  (*n)++;
}

/* A download batch's commit (@batch): the downloads of @uids have their
 * rows in it, or left no file (refused before anything was stored), so
 * their UIDs leave META_DOWNLOADS in the same atomic commit. The entry
 * then names only downloads in flight without their row, and a killed
 * run's files not yet resolved (review 1 of session 17). Costs the
 * rewrite of the entry's remaining ranges and its stems per batch that
 * takes a UID out (one range for a folder whose UIDs follow each other);
 * a batch none of whose UIDs is in it builds nothing. */
void
_mailsync_sync_drop_downloads (Runner *r, GArray *uids, MailsyncStatusBatch *batch)
{
  GArray *ranges = downloading (r);
  g_autoptr(GString) value = NULL;
  gboolean changed = FALSE;
  guint j = 0, n = 0;

  if (ranges == NULL || uids->len == 0)
    return;
  for (guint i = 0; i < uids->len && !changed; i++)
    changed = in_ranges (ranges, g_array_index (uids, guint32, i));
  if (!changed)
    return;
  g_array_sort (uids, compare_range);
  value = g_string_new (NULL);
  g_string_printf (value, "%u ", downloads_validity (r));
  for (guint i = 0; i < ranges->len / 2; i++)
    {
      guint64 lo = g_array_index (ranges, guint32, 2 * i), hi = g_array_index (ranges, guint32, 2 * i + 1);

      for (;;)
        {
          guint64 uid;

          while (j < uids->len && g_array_index (uids, guint32, j) < lo)
            j++;
          if (j == uids->len || (uid = g_array_index (uids, guint32, j)) > hi)
            {
              append_range (value, &n, lo, hi);
              break;
            }
          if (uid > lo)
            append_range (value, &n, lo, uid - 1);
          lo = uid + 1;
          if (lo > hi)
            break;
        }
    }
  for (char **stem = r->downloading_stems; n > 0 && stem != NULL && *stem != NULL; stem++)
    g_string_append_printf (value, " %s", *stem);
  mailsync_status_batch_set_meta (batch, META_DOWNLOADS, n > 0 ? value->str : NULL);
  forget_downloading (r);
}

/* The folder's final commit: every download that completed has its row
 * by then (a skipped one left no file), and a killed run's files were
 * planned with theirs, so the entry goes, complete run or not: kept
 * while a folder skipped a message, it named nearly every UID ever
 * downloaded and a restored file or a copy moved in from another
 * account's folder of that name was deleted as a server deletion
 * (review 1 of session 17). */
void
_mailsync_sync_close_downloads (Runner *r, MailsyncStatusBatch *batch)
{
  if (g_hash_table_contains (r->meta, META_DOWNLOADS))
    mailsync_status_batch_set_meta (batch, META_DOWNLOADS, NULL);
}
