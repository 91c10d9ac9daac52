/* The plain status store's readers: offlineimap's LocalStatus file, the
 * meta file and the journal (formats: MailsyncStatusPlain). */
#include "config.h"

#include "mailsync-status-plain-format.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <stdlib.h>
#include <string.h>

static PlainFolder *
plain_folder_new (void)
{
  PlainFolder *folder = g_new0 (PlainFolder, 1);

  _mailsync_status_rows_init (&folder->rows);
  return folder;
}

void
_mailsync_status_plain_folder_free (PlainFolder *folder)
{
  if (folder == NULL)
    return;
  _mailsync_status_rows_clear (&folder->rows);
  g_free (folder);
}

static void
set_corrupt (GError     **error,
             const char  *path,
             guint        line,
             const char  *reason)
{
  g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_CORRUPT,
               "Status file %s:%u is corrupt: %s", path, line, reason);
}

/* Reads a whole file; a missing one is reported through @exists, not as
 * an error. */
static gboolean
read_optional_file (const char  *path,
                    char       **contents,
                    gsize       *length,
                    gboolean    *exists,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  *contents = NULL;
  *length = 0;
  *exists = TRUE;
  if (!g_file_get_contents (path, contents, length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          *exists = FALSE;
          return TRUE;
        }
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_FAILED,
                   "Cannot read status file %s: %s", path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static int
compare_chars (gconstpointer a,
               gconstpointer b)
{
  return *(const guchar *) a - *(const guchar *) b;
}

/* Bytes that would break a "key=value" or "M key value" line. */
static gboolean
needs_escape (guchar c)
{
  return c < 0x20 || c == 0x7f || c == '%' || c == '=' || c == ' ';
}

void
_mailsync_status_plain_append_escaped (GString    *out,
                                       const char *text)
{
  const guchar *p;

  for (p = (const guchar *) text; *p; p++)
    {
      if (needs_escape (*p))
        g_string_append_printf (out, "%%%02X", *p);
      else
        g_string_append_c (out, (char) *p);
    }
}

static char *
unescape (const char *text)
{
  /* NULL for a malformed %-sequence or an escaped NUL. */
  return g_uri_unescape_string (text, NULL);
}

static gboolean
parse_uid (const char *text,
           guint32    *uid)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &value, NULL))
    return FALSE;
  *uid = (guint32) value;
  return TRUE;
}

/* One "uid|flags|mtime|labels" record (FORMAT 2, also the journal's P op).
 * Labels are the rest of the line, so a '|' in a label survives. */
static MailsyncStatusRecord *
parse_record_v2 (const char *line)
{
  g_auto(GStrv) fields = g_strsplit (line, "|", 4);
  guint32 uid;
  gint64 mtime;

  if (g_strv_length (fields) != 4 ||
      !parse_uid (fields[0], &uid) ||
      !g_ascii_string_to_signed (fields[2], 10, G_MININT64, G_MAXINT64, &mtime, NULL))
    return NULL;

  /* offlineimap keeps flags as a set and writes them sorted; sort here so
   * a hand-edited file does not show up as a flag change. */
  qsort (fields[1], strlen (fields[1]), 1, compare_chars);
  return mailsync_status_record_new (uid, fields[1], mtime, fields[3]);
}

static MailsyncStatusRecord *
parse_record_v1 (const char *line)
{
  g_auto(GStrv) fields = g_strsplit (line, ":", -1);
  guint32 uid;

  if (g_strv_length (fields) != 2 || !parse_uid (fields[0], &uid))
    return NULL;
  qsort (fields[1], strlen (fields[1]), 1, compare_chars);
  return mailsync_status_record_new (uid, fields[1], 0, "");
}

/* Splits @contents into lines, refusing a last line without its newline:
 * offlineimap always ends the file with one, so its absence means a torn
 * write, not a short last record to be trusted. */
static gboolean
split_lines (const char   *path,
             char         *contents,
             gsize         length,
             GPtrArray    *lines,
             GError      **error)
{
  char *p = contents;
  char *end = contents + length;

  if (memchr (contents, '\0', length) != NULL)
    {
      const char *nul = memchr (contents, '\0', length);
      guint line = 1;
      const char *q;

      for (q = contents; q < nul; q++)
        line += (*q == '\n');
      set_corrupt (error, path, line, "NUL byte (garbage or a torn write)");
      return FALSE;
    }

  while (p < end)
    {
      char *nl = memchr (p, '\n', end - p);

      if (nl == NULL)
        {
          set_corrupt (error, path, lines->len + 1, "last line is truncated (no newline)");
          return FALSE;
        }
      *nl = '\0';
      g_ptr_array_add (lines, p);
      p = nl + 1;
    }
  return TRUE;
}

/* Checks a "<prefix><number>" first line; returns the number, or 0 after
 * setting @error. */
static guint
parse_magic (const char  *path,
             const char  *line,
             const char  *prefix,
             guint        newest,
             GError     **error)
{
  guint64 format;

  if (!g_str_has_prefix (line, prefix) ||
      !g_ascii_string_to_unsigned (line + strlen (prefix), 10, 1, G_MAXUINT, &format, NULL))
    {
      g_autofree char *reason = g_strdup_printf ("unrecognized magic line '%.60s'", line);

      set_corrupt (error, path, 1, reason);
      return 0;
    }
  if (format > newest)
    {
      g_set_error (error, MAILSYNC_STATUS_ERROR, MAILSYNC_STATUS_ERROR_VERSION_MISMATCH,
                   "Status file %s has format %" G_GUINT64_FORMAT
                   ", newer than the supported format %u", path, format, newest);
      return 0;
    }
  return (guint) format;
}

static gboolean
read_status_file (const char          *path,
                  MailsyncStatusRows  *rows,
                  gboolean            *exists,
                  GError             **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  gsize length;
  guint format;
  guint i;

  if (!read_optional_file (path, &contents, &length, exists, error))
    return FALSE;
  if (!*exists)
    return TRUE;
  /* offlineimap reads an empty file as an empty status (with a warning),
   * and so a status lost to a torn write as a fresh start: every message
   * deleted since comes back. Neither writer ever leaves the file empty
   * (both write the magic line first and replace the file by a rename),
   * so an empty file is a truncated one: refuse it like any other damage.
   * Removing it is the way out: a missing status is rebuilt from the
   * Maildir's U= names (doc/design.md, "A damaged or missing status"). */
  if (length == 0)
    {
      set_corrupt (error, path, 1, "empty file (truncated: the magic line is missing); "
                   "remove it to rebuild the status from the Maildir");
      return FALSE;
    }

  if (!split_lines (path, contents, length, lines, error))
    return FALSE;
  format = parse_magic (path, lines->pdata[0], PLAIN_MAGIC_PREFIX, PLAIN_FORMAT, error);
  if (format == 0)
    return FALSE;

  for (i = 1; i < lines->len; i++)
    {
      const char *line = lines->pdata[i];
      MailsyncStatusRecord *record;

      record = format == 1 ? parse_record_v1 (line) : parse_record_v2 (line);
      if (record == NULL)
        {
          g_autofree char *reason = g_strdup_printf ("malformed line '%.60s'", line);

          set_corrupt (error, path, i + 1, reason);
          return FALSE;
        }
      _mailsync_status_rows_put (rows, record);
    }
  return TRUE;
}

static gboolean
read_meta_file (const char   *path,
                GHashTable   *meta,
                GError      **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  gboolean exists;
  gsize length;
  guint i;

  if (!read_optional_file (path, &contents, &length, &exists, error))
    return FALSE;
  if (!exists)
    return TRUE;
  /* Written atomically and never empty: an empty file is damage. */
  if (length == 0)
    {
      set_corrupt (error, path, 1, "empty meta file");
      return FALSE;
    }
  if (!split_lines (path, contents, length, lines, error) ||
      parse_magic (path, lines->pdata[0], META_MAGIC_PREFIX, META_FORMAT, error) == 0)
    return FALSE;

  for (i = 1; i < lines->len; i++)
    {
      char *line = lines->pdata[i];
      char *eq = strchr (line, '=');
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;

      if (eq != NULL)
        {
          *eq = '\0';
          key = unescape (line);
          value = unescape (eq + 1);
        }
      if (key == NULL || value == NULL || *key == '\0')
        {
          set_corrupt (error, path, i + 1, "malformed meta line");
          return FALSE;
        }
      g_hash_table_replace (meta, g_steal_pointer (&key), g_steal_pointer (&value));
    }
  return TRUE;
}

/* Applies one journal payload (already checksummed) to @folder. */
static gboolean
replay_payload (const char   *journal,
                guint         record_no,
                char         *payload,
                gsize         length,
                PlainFolder  *folder,
                GError      **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  guint i;

  if (!split_lines (journal, payload, length, lines, error))
    return FALSE;

  for (i = 0; i < lines->len; i++)
    {
      const char *line = lines->pdata[i];
      const char *arg = line + 2;
      gboolean ok = FALSE;

      if (strlen (line) >= 2 && line[1] == ' ')
        {
          switch (line[0])
            {
            case 'P':
              {
                MailsyncStatusRecord *record = parse_record_v2 (arg);

                if ((ok = (record != NULL)))
                  _mailsync_status_rows_put (&folder->rows, record);
              }
              break;
            case 'R':
              {
                guint32 uid;

                if ((ok = parse_uid (arg, &uid)))
                  g_hash_table_remove (folder->rows.records, GUINT_TO_POINTER (uid));
              }
              break;
            case 'M':
              {
                g_auto(GStrv) kv = g_strsplit (arg, " ", -1);
                char *key, *value;

                if (g_strv_length (kv) == 2 &&
                    (key = unescape (kv[0])) != NULL)
                  {
                    if ((value = unescape (kv[1])) != NULL)
                      {
                        g_hash_table_replace (folder->rows.meta, key, value);
                        ok = TRUE;
                      }
                    else
                      g_free (key);
                  }
              }
              break;
            case 'U':
              {
                g_autofree char *key = unescape (arg);

                if ((ok = (key != NULL)))
                  g_hash_table_remove (folder->rows.meta, key);
              }
              break;
            default:
              break;
            }
        }
      if (!ok)
        {
          g_autofree char *reason =
            g_strdup_printf ("malformed operation '%.60s' in journal record %u", line, record_no);

          /* A record whose checksum matched yet does not parse was not torn
           * by a crash: it is damage, or a writer we do not understand. */
          set_corrupt (error, journal, record_no, reason);
          return FALSE;
        }
      folder->journal_ops++;
      folder->journal_row_ops += line[0] == 'P' || line[0] == 'R';
    }
  return TRUE;
}

/* Replays the journal over @folder and records the length of its
 * committed part, which the next append starts from. */
static gboolean
replay_journal (const char   *journal,
                PlainFolder  *folder,
                GError      **error)
{
  g_autofree char *contents = NULL;
  gboolean exists;
  gsize length;
  gsize offset = 0;
  guint record_no = 0;

  folder->journal_length = 0;
  folder->journal_ops = 0;
  folder->journal_row_ops = 0;
  if (!read_optional_file (journal, &contents, &length, &exists, error))
    return FALSE;

  while (offset < length)
    {
      char *header = contents + offset;
      char *nl = memchr (header, '\n', length - offset);
      g_auto(GStrv) fields = NULL;
      g_autofree char *sum = NULL;
      guint64 payload_length = 0;
      gsize payload_offset;

      record_no++;
      if (nl == NULL)
        break;                  /* torn in the header: never committed */
      *nl = '\0';
      fields = g_strsplit (header, " ", -1);
      if (g_strv_length (fields) != 3 || strcmp (fields[0], "BATCH") != 0 ||
          !g_ascii_string_to_unsigned (fields[1], 10, 1, G_MAXSIZE, &payload_length, NULL) ||
          strlen (fields[2]) != 64)
        {
          /* A crash can leave zeros where the record was to go (the size
           * grew, the data did not make it); anything else is damage. */
          *nl = '\n';
          if (_mailsync_status_all_zero (header, nl - header) &&
              _mailsync_status_all_zero (nl + 1, contents + length - (nl + 1)))
            break;
          set_corrupt (error, journal, record_no, "malformed journal record header");
          return FALSE;
        }

      payload_offset = (nl + 1) - contents;
      if (payload_length > length - payload_offset)
        break;                  /* torn in the payload */

      sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                         (const guchar *) contents + payload_offset,
                                         payload_length);
      if (g_ascii_strcasecmp (sum, fields[2]) != 0)
        {
          /* Only the last record can have been torn by a crash. */
          if (payload_offset + payload_length == length)
            break;
          set_corrupt (error, journal, record_no, "journal record checksum mismatch");
          return FALSE;
        }

      if (!replay_payload (journal, record_no, contents + payload_offset, payload_length,
                           folder, error))
        return FALSE;
      offset = payload_offset + payload_length;
      folder->journal_length = offset;
    }

  if (folder->journal_length < length)
    g_debug ("Ignoring the torn last record of %s (%" G_GSIZE_FORMAT " bytes)",
             journal, length - folder->journal_length);
  return TRUE;
}

PlainFolder *
_mailsync_status_plain_read_folder (const char  *status_path,
                                    const char  *meta_path,
                                    const char  *journal_path,
                                    GError     **error)
{
  g_autoptr(PlainFolder) folder = plain_folder_new ();

  if (!read_status_file (status_path, &folder->rows, &folder->status_exists, error) ||
      !read_meta_file (meta_path, folder->rows.meta, error) ||
      !replay_journal (journal_path, folder, error))
    return NULL;
  return g_steal_pointer (&folder);
}
