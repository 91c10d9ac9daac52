/* The reader of the configuration file: configparser's read_string()
 * rule for rule (comments, continuation lines, `=`/`:`, strict duplicate
 * checks within one read), filling the store of mailsync-config-file.c
 * with each value's FILE:LINE origin. */
#include "config.h"

#include "config/mailsync-config-file.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"

#include <string.h>

typedef struct
{
  MailsyncConfigFile *self;
  const char         *name;
  /* What this read added, for the strict checks: configparser only
   * compares within one read() call. */
  GHashTable         *sections_seen;  /* name -> GUINT_TO_POINTER (line) */
  GHashTable         *options_seen;   /* "section\x01key" -> GUINT_TO_POINTER (line) */
  Section            *cursect;
  Entry              *cur_entry;      /* the option continuation lines extend */
  GPtrArray          *cur_lines;      /* its value lines, joined at the end */
  GPtrArray          *pending;        /* of PendingValue, joined at the end */
  gsize               indent_level;
} Reader;

typedef struct
{
  Entry     *entry;
  GPtrArray *lines;
} PendingValue;

static void
pending_value_free (PendingValue *pending)
{
  g_ptr_array_unref (pending->lines);
  g_free (pending);
}

static gboolean
is_space (char c)
{
  /* Python's str.strip() on ASCII: space, \t \n \v \f \r (and \x1c-\x1f,
   * which g_ascii_isspace does not know and nobody writes). */
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static char *
strip_copy (const char *start,
            gsize       length)
{
  const char *end = start + length;

  while (start < end && is_space (*start))
    start++;
  while (end > start && is_space (end[-1]))
    end--;
  return g_strndup (start, end - start);
}

static gboolean
reader_error (Reader     *reader,
              guint       line,
              GError    **error,
              const char *format,
              ...) G_GNUC_PRINTF (4, 5);

static gboolean
reader_error (Reader     *reader,
              guint       line,
              GError    **error,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
               "%s:%u: %s", reader->name, line, message);
  return FALSE;
}

static gboolean
reader_section (Reader     *reader,
                const char *name,
                guint       lineno,
                GError    **error)
{
  MailsyncConfigFile *self = reader->self;
  gpointer first;

  if (g_hash_table_lookup_extended (reader->sections_seen, name, NULL, &first))
    return reader_error (reader, lineno, error, "duplicate section '%s' (first at line %u)",
                         name, GPOINTER_TO_UINT (first));

  if (strcmp (name, DEFAULT_SECTION) == 0)
    {
      /* configparser does not count [DEFAULT] as a section: a second
       * header is fine, a second key in it is not. */
      reader->cursect = self->defaults;
    }
  else
    {
      Section *section = g_hash_table_lookup (self->sections, name);

      g_hash_table_insert (reader->sections_seen, g_strdup (name), GUINT_TO_POINTER (lineno));
      if (section == NULL)
        {
          section = _mailsync_config_file_section_new (name);
          section->origin = g_strdup_printf ("%s:%u", reader->name, lineno);
          g_hash_table_insert (self->sections, section->name, section);
          g_ptr_array_add (self->section_order, section);
        }
      reader->cursect = section;
    }
  reader->cur_entry = NULL;
  reader->cur_lines = NULL;
  return TRUE;
}

static gboolean
reader_option (Reader     *reader,
               const char *value,
               const char *raw_line,
               guint       lineno,
               GError    **error)
{
  const char *delim = strpbrk (value, "=:");
  g_autofree char *key = NULL;
  g_autofree char *seen_key = NULL;
  g_autofree char *origin = NULL;
  gpointer first;
  PendingValue *pending;

  if (reader->cursect == NULL)
    {
      g_autofree char *shown = strip_copy (raw_line, strlen (raw_line));
      return reader_error (reader, lineno, error,
                           "'%s' before any [section] header", shown);
    }
  if (delim == NULL)
    {
      g_autofree char *shown = strip_copy (raw_line, strlen (raw_line));
      return reader_error (reader, lineno, error,
                           "not 'key = value', a [section] header or a comment: '%s'", shown);
    }
  {
    g_autofree char *name = strip_copy (value, delim - value);

    if (*name == '\0')
      return reader_error (reader, lineno, error,
                           "option name missing before '%c'", *delim);
    key = _mailsync_config_file_key_fold (name);
  }

  seen_key = g_strconcat (reader->cursect->name, "\x01", key, NULL);
  if (g_hash_table_lookup_extended (reader->options_seen, seen_key, NULL, &first))
    return reader_error (reader, lineno, error,
                         "duplicate option '%s' in section '%s' (first at line %u)",
                         key, reader->cursect->name, GPOINTER_TO_UINT (first));
  g_hash_table_insert (reader->options_seen, g_steal_pointer (&seen_key),
                       GUINT_TO_POINTER (lineno));

  origin = g_strdup_printf ("%s:%u", reader->name, lineno);
  pending = g_new0 (PendingValue, 1);
  pending->entry = _mailsync_config_file_section_set (reader->cursect, key, "", origin, lineno);
  pending->lines = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (pending->lines, strip_copy (delim + 1, strlen (delim + 1)));
  g_ptr_array_add (reader->pending, pending);
  reader->cur_entry = pending->entry;
  reader->cur_lines = pending->lines;
  return TRUE;
}

static gboolean
reader_line (Reader     *reader,
             const char *line,
             guint       lineno,
             GError    **error)
{
  g_autofree char *value = strip_copy (line, strlen (line));
  gsize indent = 0;

  if (value[0] == '#' || value[0] == ';')
    return TRUE;   /* a comment, even inside a value (and adds no blank line) */

  if (value[0] == '\0')
    {
      if (reader->cur_lines != NULL)
        g_ptr_array_add (reader->cur_lines, g_strdup (""));
      return TRUE;
    }

  while (line[indent] != '\0' && is_space (line[indent]))
    indent++;

  if (reader->cur_lines != NULL && indent > reader->indent_level)
    {
      g_ptr_array_add (reader->cur_lines, g_steal_pointer (&value));
      return TRUE;
    }

  reader->indent_level = indent;
  /* configparser's SECTCRE is `\[(?P<header>.+)\]` matched at the start:
   * the name runs to the last `]`, and text after it is ignored. */
  if (value[0] == '[')
    {
      const char *close = strrchr (value, ']');

      if (close != NULL && close > value + 1)
        {
          g_autofree char *name = g_strndup (value + 1, close - value - 1);
          return reader_section (reader, name, lineno, error);
        }
    }
  return reader_option (reader, value, line, lineno, error);
}

static void
reader_finish_values (Reader *reader)
{
  for (guint i = 0; i < reader->pending->len; i++)
    {
      PendingValue *pending = g_ptr_array_index (reader->pending, i);
      g_autofree char *joined = NULL;
      char *end;

      g_ptr_array_add (pending->lines, NULL);
      joined = g_strjoinv ("\n", (char **) pending->lines->pdata);
      /* configparser rstrip()s the joined value: trailing blank lines go. */
      end = joined + strlen (joined);
      while (end > joined && is_space (end[-1]))
        *--end = '\0';
      g_free (pending->entry->value);
      pending->entry->value = g_steal_pointer (&joined);
    }
}

/**
 * mailsync_config_file_load_from_data:
 * @self: a #MailsyncConfigFile
 * @data: (array length=length) (element-type guint8): the file's contents, UTF-8
 * @length: length of @data in bytes, or -1 if it is nul-terminated
 * @name: (nullable): the name errors and locations use (a path), or %NULL
 *   for "<string>"
 * @error: return location for a #GError
 *
 * Adds the sections and options of @data, as configparser's read_string()
 * would: what is in @data replaces earlier values of the same keys; a
 * section or option given twice within @data is an error. On error the
 * configuration may hold part of @data.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_config_file_load_from_data (MailsyncConfigFile *self,
                                     const char         *data,
                                     gssize              length,
                                     const char         *name,
                                     GError            **error)
{
  Reader reader = { 0 };
  const char *p, *end, *invalid;
  guint lineno = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (length < 0)
    length = strlen (data);
  if (name == NULL)
    name = "<string>";

  reader.self = self;
  reader.name = name;
  reader.sections_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  reader.options_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  reader.pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_value_free);

  if (!g_utf8_validate (data, length, &invalid))
    {
      guint bad_line = 1;

      for (p = data; p < invalid; p++)
        bad_line += *p == '\n';
      ok = reader_error (&reader, bad_line, error, "not valid UTF-8");
    }

  /* Universal newlines, as Python's text files: \n, \r\n and \r. */
  p = data;
  end = data + length;
  while (ok && p < end)
    {
      const char *eol = p;
      g_autofree char *line = NULL;

      while (eol < end && *eol != '\n' && *eol != '\r')
        eol++;
      line = g_strndup (p, eol - p);
      lineno++;
      if (memchr (p, '\0', eol - p) != NULL)
        ok = reader_error (&reader, lineno, error, "NUL byte in line");
      else
        ok = reader_line (&reader, line, lineno, error);
      if (eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n')
        eol++;
      p = eol + 1;
    }

  reader_finish_values (&reader);
  if (ok && self->path == NULL)
    self->path = g_strdup (name);

  g_ptr_array_unref (reader.pending);
  g_hash_table_unref (reader.options_seen);
  g_hash_table_unref (reader.sections_seen);
  return ok;
}

/**
 * mailsync_config_file_load_from_file:
 * @self: a #MailsyncConfigFile
 * @path: (type filename): the file to read
 * @error: return location for a #GError
 *
 * Reads @path (see mailsync_config_file_load_from_data()). Locations and
 * errors name the file by @path as given. A missing or unreadable file is
 * a %MAILSYNC_ERROR_INVALID_CONFIG error naming it.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_config_file_load_from_file (MailsyncConfigFile *self,
                                     const char         *path,
                                     GError            **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "%s: cannot read the configuration: %s", path,
                   g_strerror (local_error->code == G_FILE_ERROR_NOENT ? ENOENT :
                               local_error->code == G_FILE_ERROR_ACCES ? EACCES :
                               local_error->code == G_FILE_ERROR_ISDIR ? EISDIR : EIO));
      return FALSE;
    }
  g_clear_pointer (&self->path, g_free);
  self->path = g_strdup (path);
  return mailsync_config_file_load_from_data (self, contents, length, path, error);
}
