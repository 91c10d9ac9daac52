/* The offlineimap configuration file: Python configparser, rule for rule. */
#include "config.h"

#include "config/mailsync-config-file.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

/**
 * MailsyncConfigFile:
 *
 * An INI file read the way offlineimap reads it: Python's
 * `configparser.ConfigParser` with its defaults (strict, BasicInterpolation).
 *
 * - `key = value` or `key: value`; the first `=` or `:` splits. Keys are
 *   lower-cased, section names are case-sensitive.
 * - Lines whose first non-blank character is `#` or `;` are comments.
 *   There are no inline comments: `ui = basic # c` is the value `basic # c`.
 * - A line indented deeper than the line that opened an option continues
 *   its value; the pieces are joined with newlines. Blank lines inside a
 *   value are kept, trailing ones dropped.
 * - `[DEFAULT]` holds values every section inherits.
 * - `%(name)s` is replaced by the option @name of the same section (or
 *   `[DEFAULT]`) when a value is read, recursively up to 10 levels; `%%`
 *   is a literal `%`; any other `%` is an error.
 * - A section or key given twice in one file is an error.
 *
 * Every value remembers its origin ("FILE:LINE", or the string the caller
 * gave to mailsync_config_file_set_string()), so errors can point at it.
 * All errors are %MAILSYNC_ERROR_INVALID_CONFIG and their message starts
 * with that origin. No error message quotes a value that could be a
 * password.
 *
 * Since: 0.1
 */

/* configparser's MAX_INTERPOLATION_DEPTH */
#define MAX_INTERPOLATION_DEPTH 10
#define DEFAULT_SECTION "DEFAULT"

typedef struct
{
  char *key;
  char *value;
  char *origin;      /* "FILE:LINE" or a caller's origin string */
  guint line;        /* 0 when not from a file */
} Entry;

typedef struct
{
  char       *name;
  char       *origin;    /* where the header is: "FILE:LINE", or NULL */
  GHashTable *entries;   /* key -> Entry* (owned) */
  GPtrArray  *order;     /* Entry*, in file order (borrowed from entries) */
} Section;

struct _MailsyncConfigFile
{
  GObject     parent_instance;

  char       *path;
  Section    *defaults;
  GHashTable *sections;      /* name -> Section* */
  GPtrArray  *section_order; /* Section*, in file order */
};

G_DEFINE_FINAL_TYPE (MailsyncConfigFile, mailsync_config_file, G_TYPE_OBJECT)

static void
entry_free (Entry *entry)
{
  g_free (entry->key);
  g_free (entry->value);
  g_free (entry->origin);
  g_free (entry);
}

static Section *
section_new (const char *name)
{
  Section *section = g_new0 (Section, 1);

  section->name = g_strdup (name);
  section->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                            (GDestroyNotify) entry_free);
  section->order = g_ptr_array_new ();
  return section;
}

static void
section_free (Section *section)
{
  g_ptr_array_unref (section->order);
  g_hash_table_unref (section->entries);
  g_free (section->origin);
  g_free (section->name);
  g_free (section);
}

/* Replaces any previous value of @key (the caller has checked strictness). */
static Entry *
section_set (Section    *section,
             const char *key,
             const char *value,
             const char *origin,
             guint       line)
{
  Entry *entry = g_hash_table_lookup (section->entries, key);

  if (entry == NULL)
    {
      entry = g_new0 (Entry, 1);
      entry->key = g_strdup (key);
      g_hash_table_insert (section->entries, entry->key, entry);
      g_ptr_array_add (section->order, entry);
    }
  g_free (entry->value);
  g_free (entry->origin);
  entry->value = g_strdup (value);
  entry->origin = g_strdup (origin);
  entry->line = line;
  return entry;
}

static void
mailsync_config_file_finalize (GObject *object)
{
  MailsyncConfigFile *self = MAILSYNC_CONFIG_FILE (object);

  g_free (self->path);
  section_free (self->defaults);
  g_ptr_array_unref (self->section_order);
  g_hash_table_unref (self->sections);

  G_OBJECT_CLASS (mailsync_config_file_parent_class)->finalize (object);
}

static void
mailsync_config_file_class_init (MailsyncConfigFileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_config_file_finalize;
}

static void
mailsync_config_file_init (MailsyncConfigFile *self)
{
  self->defaults = section_new (DEFAULT_SECTION);
  self->sections = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) section_free);
  self->section_order = g_ptr_array_new ();
}

/**
 * mailsync_config_file_new:
 *
 * Creates an empty configuration.
 *
 * Returns: (transfer full): a new #MailsyncConfigFile
 *
 * Since: 0.1
 */
MailsyncConfigFile *
mailsync_config_file_new (void)
{
  return g_object_new (MAILSYNC_TYPE_CONFIG_FILE, NULL);
}

/* Python's str.lower() for keys (optionxform). */
static char *
key_fold (const char *key)
{
  return g_utf8_strdown (key, -1);
}

static Section *
lookup_section (MailsyncConfigFile *self,
                const char         *name)
{
  if (g_strcmp0 (name, DEFAULT_SECTION) == 0)
    return self->defaults;
  return g_hash_table_lookup (self->sections, name);
}

/* configparser's value lookup: the section's own value, else DEFAULT's. */
static Entry *
lookup_entry (MailsyncConfigFile *self,
              const char         *section_name,
              const char         *key)
{
  g_autofree char *folded = key_fold (key);
  Section *section = lookup_section (self, section_name);
  Entry *entry;

  if (section == NULL)
    return NULL;
  entry = g_hash_table_lookup (section->entries, folded);
  if (entry == NULL && section != self->defaults)
    entry = g_hash_table_lookup (self->defaults->entries, folded);
  return entry;
}

/* ------------------------------------------------------------------------ */
/* Reading */

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
          section = section_new (name);
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
    key = key_fold (name);
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
  pending->entry = section_set (reader->cursect, key, "", origin, lineno);
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

/**
 * mailsync_config_file_get_path:
 * @self: a #MailsyncConfigFile
 *
 * Gets the name the configuration was loaded under, the FILE of its
 * FILE:LINE messages.
 *
 * Returns: (nullable) (type filename): the file that was loaded (the first
 *   one, for several), or the name given to
 *   mailsync_config_file_load_from_data(); %NULL before any load
 *
 * Since: 0.1
 */
const char *
mailsync_config_file_get_path (MailsyncConfigFile *self)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), NULL);
  return self->path;
}

/**
 * mailsync_config_file_get_sections:
 * @self: a #MailsyncConfigFile
 *
 * Lists the sections in file order. `[DEFAULT]` is not one of them (as
 * in configparser).
 *
 * Returns: (transfer full) (array zero-terminated=1): the section names
 *
 * Since: 0.1
 */
char **
mailsync_config_file_get_sections (MailsyncConfigFile *self)
{
  GStrvBuilder *builder;
  char **result;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->section_order->len; i++)
    g_strv_builder_add (builder, ((Section *) g_ptr_array_index (self->section_order, i))->name);
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

/**
 * mailsync_config_file_has_section:
 * @self: a #MailsyncConfigFile
 * @section: a section name (case-sensitive)
 *
 * Whether the file has the section @section (`[DEFAULT]` is not a
 * section).
 *
 * Returns: whether @section exists; %FALSE for `DEFAULT`, as in configparser
 *
 * Since: 0.1
 */
gboolean
mailsync_config_file_has_section (MailsyncConfigFile *self,
                                  const char         *section)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), FALSE);
  g_return_val_if_fail (section != NULL, FALSE);
  return g_hash_table_contains (self->sections, section);
}

static char **
keys_of (MailsyncConfigFile *self,
         Section            *section,
         gboolean            with_defaults)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **result;

  for (guint i = 0; i < section->order->len; i++)
    g_strv_builder_add (builder, ((Entry *) g_ptr_array_index (section->order, i))->key);
  if (with_defaults && section != self->defaults)
    for (guint i = 0; i < self->defaults->order->len; i++)
      {
        Entry *entry = g_ptr_array_index (self->defaults->order, i);

        if (!g_hash_table_contains (section->entries, entry->key))
          g_strv_builder_add (builder, entry->key);
      }
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

/**
 * mailsync_config_file_get_keys:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 *
 * Lists the keys of @section (lower-case, in file order) followed by the
 * keys it inherits from `[DEFAULT]`, as configparser's options() does.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the keys,
 *   or %NULL if there is no such section
 *
 * Since: 0.1
 */
char **
mailsync_config_file_get_keys (MailsyncConfigFile *self,
                               const char         *section)
{
  Section *sect;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), NULL);
  g_return_val_if_fail (section != NULL, NULL);

  sect = lookup_section (self, section);
  return sect != NULL ? keys_of (self, sect, TRUE) : NULL;
}

/* The keys written in the section itself, without DEFAULT's; the account
 * loader warns about unknown ones only where they are written. */
char **
_mailsync_config_file_get_own_keys (MailsyncConfigFile *self,
                                    const char         *section)
{
  Section *sect = lookup_section (self, section);

  return sect != NULL ? keys_of (self, sect, FALSE) : NULL;
}

/* "FILE:LINE" of the section header (the first one), or NULL. */
const char *
_mailsync_config_file_get_section_location (MailsyncConfigFile *self,
                                            const char         *section)
{
  Section *sect = lookup_section (self, section);

  return sect != NULL ? sect->origin : NULL;
}

/**
 * mailsync_config_file_has_key:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 * @key: an option name (any case)
 *
 * Whether an option is set, as configparser sees it: in @section itself or
 * in `[DEFAULT]`.
 *
 * Returns: whether @key is set in @section or inherited from `[DEFAULT]`
 *
 * Since: 0.1
 */
gboolean
mailsync_config_file_has_key (MailsyncConfigFile *self,
                              const char         *section,
                              const char         *key)
{
  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), FALSE);
  g_return_val_if_fail (section != NULL && key != NULL, FALSE);
  return lookup_entry (self, section, key) != NULL;
}

/**
 * mailsync_config_file_get_raw:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 * @key: an option name (any case)
 *
 * Gets a value as written, without `%` interpolation (offlineimap reads
 * `[mbnames] peritem` this way).
 *
 * Returns: (transfer full) (nullable): the value, or %NULL if unset
 *
 * Since: 0.1
 */
char *
mailsync_config_file_get_raw (MailsyncConfigFile *self,
                              const char         *section,
                              const char         *key)
{
  Entry *entry;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), NULL);
  g_return_val_if_fail (section != NULL && key != NULL, NULL);

  entry = lookup_entry (self, section, key);
  return entry != NULL ? g_strdup (entry->value) : NULL;
}

/* BasicInterpolation._interpolate_some().  Messages never quote the value:
 * it may be a password. */
static gboolean
interpolate (MailsyncConfigFile *self,
             const char         *section,
             Entry              *top,
             const char         *rest,
             GString            *out,
             guint               depth,
             GError            **error)
{
  if (depth > MAX_INTERPOLATION_DEPTH)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "%s: option '%s' in section '%s': %%(...)s references nested deeper than %d levels (a reference loop?)",
                   top->origin, top->key, section, MAX_INTERPOLATION_DEPTH);
      return FALSE;
    }

  while (*rest != '\0')
    {
      const char *percent = strchr (rest, '%');

      if (percent == NULL)
        {
          g_string_append (out, rest);
          break;
        }
      g_string_append_len (out, rest, percent - rest);
      rest = percent;
      if (rest[1] == '%')
        {
          g_string_append_c (out, '%');
          rest += 2;
        }
      else if (rest[1] == '(')
        {
          /* _KEYCRE: %\(([^)]+)\)s */
          const char *close = strchr (rest + 2, ')');
          g_autofree char *name = NULL;
          Entry *ref;

          if (close == NULL || close == rest + 2 || close[1] != 's')
            {
              g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                           "%s: option '%s' in section '%s': bad %%(name)s reference (write '%%%%' for a literal '%%')",
                           top->origin, top->key, section);
              return FALSE;
            }
          name = g_strndup (rest + 2, close - rest - 2);
          rest = close + 2;
          ref = lookup_entry (self, section, name);
          if (ref == NULL)
            {
              g_autofree char *folded = key_fold (name);

              g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                           "%s: option '%s' in section '%s': %%(%s)s refers to '%s', which is set neither in [%s] nor in [DEFAULT]",
                           top->origin, top->key, section, name, folded, section);
              return FALSE;
            }
          if (strchr (ref->value, '%') != NULL)
            {
              if (!interpolate (self, section, top, ref->value, out, depth + 1, error))
                return FALSE;
            }
          else
            g_string_append (out, ref->value);
        }
      else
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                       "%s: option '%s' in section '%s': '%%' must be followed by '%%' or '(' (write '%%%%' for a literal '%%')",
                       top->origin, top->key, section);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * mailsync_config_file_get_string:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 * @key: an option name (any case)
 * @error: return location for a #GError
 *
 * Gets a value with `%(name)s` references replaced and `%%` turned into
 * `%`. An unset option is not an error: the result is %NULL and @error is
 * left unset.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL if unset or on error
 *
 * Since: 0.1
 */
char *
mailsync_config_file_get_string (MailsyncConfigFile *self,
                                 const char         *section,
                                 const char         *key,
                                 GError            **error)
{
  GString *out;
  Entry *entry;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), NULL);
  g_return_val_if_fail (section != NULL && key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  entry = lookup_entry (self, section, key);
  if (entry == NULL)
    return NULL;

  out = g_string_new (NULL);
  if (!interpolate (self, section, entry, entry->value, out, 1, error))
    {
      /* may hold part of a password */
      memset (out->str, 0, out->len);
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

/* The value stripped, with an error naming it when interpolation fails;
 * *@found says whether it is set. */
static char *
get_stripped (MailsyncConfigFile *self,
              const char         *section,
              const char         *key,
              Entry             **entry,
              GError            **error)
{
  char *value;

  *entry = lookup_entry (self, section, key);
  if (*entry == NULL)
    return NULL;
  value = mailsync_config_file_get_string (self, section, key, error);
  return value != NULL ? g_strstrip (value) : NULL;
}

/**
 * mailsync_config_file_get_boolean:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 * @key: an option name (any case)
 * @default_value: the value when @key is unset
 * @value: (out): return location for the value
 * @error: return location for a #GError
 *
 * Reads a boolean as configparser's getboolean(): `1`, `yes`, `true`, `on`
 * and `0`, `no`, `false`, `off`, in any case. Anything else is an error
 * naming the option and where it is set.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_config_file_get_boolean (MailsyncConfigFile *self,
                                  const char         *section,
                                  const char         *key,
                                  gboolean            default_value,
                                  gboolean           *value,
                                  GError            **error)
{
  static const char *const truths[] = { "1", "yes", "true", "on" };
  static const char *const lies[] = { "0", "no", "false", "off" };
  g_autofree char *text = NULL;
  Entry *entry;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), FALSE);
  g_return_val_if_fail (section != NULL && key != NULL && value != NULL, FALSE);

  *value = default_value;
  text = get_stripped (self, section, key, &entry, error);
  if (entry == NULL)
    return TRUE;
  if (text == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (truths); i++)
    {
      if (g_ascii_strcasecmp (text, truths[i]) == 0)
        {
          *value = TRUE;
          return TRUE;
        }
      if (g_ascii_strcasecmp (text, lies[i]) == 0)
        {
          *value = FALSE;
          return TRUE;
        }
    }
  g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
               "%s: option '%s' in section '%s': '%s' is not a boolean (use yes/no, true/false, on/off or 1/0)",
               entry->origin, entry->key, section, text);
  return FALSE;
}

/**
 * mailsync_config_file_get_int64:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 * @key: an option name (any case)
 * @default_value: the value when @key is unset
 * @value: (out): return location for the value
 * @error: return location for a #GError
 *
 * Reads a decimal integer (optionally signed, surrounding blanks allowed,
 * as Python's int()).
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_config_file_get_int64 (MailsyncConfigFile *self,
                                const char         *section,
                                const char         *key,
                                gint64              default_value,
                                gint64             *value,
                                GError            **error)
{
  g_autofree char *text = NULL;
  const char *digits;
  Entry *entry;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), FALSE);
  g_return_val_if_fail (section != NULL && key != NULL && value != NULL, FALSE);

  *value = default_value;
  text = get_stripped (self, section, key, &entry, error);
  if (entry == NULL)
    return TRUE;
  if (text == NULL)
    return FALSE;

  /* g_ascii_string_to_signed() takes no '+', Python's int() does. */
  digits = text[0] == '+' ? text + 1 : text;
  if (digits[0] == '-' && text != digits)
    digits = "";
  if (!g_ascii_string_to_signed (digits, 10, G_MININT64, G_MAXINT64, value, NULL))
    {
      *value = default_value;
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "%s: option '%s' in section '%s': '%s' is not an integer",
                   entry->origin, entry->key, section, text);
      return FALSE;
    }
  return TRUE;
}

/**
 * mailsync_config_file_get_double:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 * @key: an option name (any case)
 * @default_value: the value when @key is unset
 * @value: (out): return location for the value
 * @error: return location for a #GError
 *
 * Reads a decimal number (`5`, `0.5`, `1e3`; not `nan` or `inf`), as
 * offlineimap reads `autorefresh`.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
mailsync_config_file_get_double (MailsyncConfigFile *self,
                                 const char         *section,
                                 const char         *key,
                                 double              default_value,
                                 double             *value,
                                 GError            **error)
{
  g_autofree char *text = NULL;
  Entry *entry;
  char *end = NULL;
  double d;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), FALSE);
  g_return_val_if_fail (section != NULL && key != NULL && value != NULL, FALSE);

  *value = default_value;
  text = get_stripped (self, section, key, &entry, error);
  if (entry == NULL)
    return TRUE;
  if (text == NULL)
    return FALSE;

  errno = 0;
  d = g_ascii_strtod (text, &end);
  if (text[0] == '\0' || *end != '\0' || errno == ERANGE || isnan (d) || isinf (d)
      || strpbrk (text, "xXpP") != NULL)
    {
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                   "%s: option '%s' in section '%s': '%s' is not a number",
                   entry->origin, entry->key, section, text);
      return FALSE;
    }
  *value = d;
  return TRUE;
}

/**
 * mailsync_config_file_get_list:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 * @key: an option name (any case)
 * @error: return location for a #GError
 *
 * Reads a comma-separated list: items are stripped of blanks (newlines of
 * continuation lines included) and empty items are dropped. An unset
 * option is not an error: the result is %NULL and @error is left unset.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the items,
 *   or %NULL if unset or on error
 *
 * Since: 0.1
 */
char **
mailsync_config_file_get_list (MailsyncConfigFile *self,
                               const char         *section,
                               const char         *key,
                               GError            **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) items = NULL;
  GStrvBuilder *builder;
  char **result;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), NULL);
  g_return_val_if_fail (section != NULL && key != NULL, NULL);

  text = mailsync_config_file_get_string (self, section, key, error);
  if (text == NULL)
    return NULL;

  items = g_strsplit (text, ",", -1);
  builder = g_strv_builder_new ();
  for (guint i = 0; items[i] != NULL; i++)
    {
      g_strstrip (items[i]);
      if (items[i][0] != '\0')
        g_strv_builder_add (builder, items[i]);
    }
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

/**
 * mailsync_config_file_set_string:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`; created if missing
 * @key: an option name (any case)
 * @value: the raw value (`%` interpolation applies when it is read)
 * @origin: (nullable): what locations and errors call its origin, e.g.
 *   "-k"; %NULL for "<set>"
 *
 * Sets a value, as offlineimap's `-k` does. Callers that want
 * offlineimap's refusal of an unknown section check
 * mailsync_config_file_has_section() first.
 *
 * Since: 0.1
 */
void
mailsync_config_file_set_string (MailsyncConfigFile *self,
                                 const char         *section,
                                 const char         *key,
                                 const char         *value,
                                 const char         *origin)
{
  g_autofree char *folded = NULL;
  g_autofree char *shown = NULL;
  Section *sect;

  g_return_if_fail (MAILSYNC_IS_CONFIG_FILE (self));
  g_return_if_fail (section != NULL && key != NULL && value != NULL);

  /* Errors name the origin; one that quotes the value ("-k
   * Repository_R:remotepass=VALUE") would print a password. */
  shown = g_strdup (origin != NULL ? origin : "<set>");
  if (*value != '\0')
    {
      g_autofree char *tail = g_strconcat ("=", value, NULL);

      if (g_str_has_suffix (shown, tail))
        shown[strlen (shown) - strlen (tail)] = '\0';
    }

  sect = lookup_section (self, section);
  if (sect == NULL)
    {
      sect = section_new (section);
      sect->origin = g_strdup (shown);
      g_hash_table_insert (self->sections, sect->name, sect);
      g_ptr_array_add (self->section_order, sect);
    }
  folded = key_fold (key);
  section_set (sect, folded, value, shown, 0);
}

/**
 * mailsync_config_file_remove_key:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 * @key: an option name (any case)
 *
 * Removes @key from @section itself (a value inherited from `[DEFAULT]`
 * stays: remove it from `DEFAULT`, as offlineimap's `-o` does).
 *
 * Returns: %TRUE if the key was there
 *
 * Since: 0.1
 */
gboolean
mailsync_config_file_remove_key (MailsyncConfigFile *self,
                                 const char         *section,
                                 const char         *key)
{
  g_autofree char *folded = NULL;
  Section *sect;
  Entry *entry;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), FALSE);
  g_return_val_if_fail (section != NULL && key != NULL, FALSE);

  sect = lookup_section (self, section);
  if (sect == NULL)
    return FALSE;
  folded = key_fold (key);
  entry = g_hash_table_lookup (sect->entries, folded);
  if (entry == NULL)
    return FALSE;
  g_ptr_array_remove (sect->order, entry);
  g_hash_table_remove (sect->entries, folded);
  return TRUE;
}

/**
 * mailsync_config_file_get_location:
 * @self: a #MailsyncConfigFile
 * @section: a section name, or `DEFAULT`
 * @key: an option name (any case)
 *
 * Says where the value of @key in @section comes from: "FILE:LINE" (the
 * line of the key, the `[DEFAULT]` one when inherited), or the origin
 * given to mailsync_config_file_set_string().
 *
 * Returns: (transfer full) (nullable): the location, or %NULL if unset
 *
 * Since: 0.1
 */
char *
mailsync_config_file_get_location (MailsyncConfigFile *self,
                                   const char         *section,
                                   const char         *key)
{
  Entry *entry;

  g_return_val_if_fail (MAILSYNC_IS_CONFIG_FILE (self), NULL);
  g_return_val_if_fail (section != NULL && key != NULL, NULL);

  entry = lookup_entry (self, section, key);
  return entry != NULL ? g_strdup (entry->origin) : NULL;
}

static const char *
home_dir (void)
{
  /* g_get_home_dir() caches its first answer; read $HOME each time. */
  const char *home = g_getenv ("HOME");

  return home != NULL && *home != '\0' ? home : g_get_home_dir ();
}

/**
 * mailsync_config_file_find_default_path:
 *
 * Finds the configuration file to read when none is given:
 * `$XDG_CONFIG_HOME/mailsync/config`, `~/.mailsyncrc`, then offlineimap's
 * `$XDG_CONFIG_HOME/offlineimap/config` and `~/.offlineimaprc`
 * (`$XDG_CONFIG_HOME` unset or empty means `~/.config`). Environment
 * variables are read at each call.
 *
 * Returns: (transfer full) (nullable) (type filename): the first of these
 *   that exists, or %NULL
 *
 * Since: 0.1
 */
char *
mailsync_config_file_find_default_path (void)
{
  const char *xdg = g_getenv ("XDG_CONFIG_HOME");
  const char *home = home_dir ();
  g_autofree char *config_home = NULL;
  char *candidates[5] = { NULL };
  char *found = NULL;

  config_home = xdg != NULL && *xdg != '\0' ? g_strdup (xdg)
                                            : g_build_filename (home, ".config", NULL);
  candidates[0] = g_build_filename (config_home, "mailsync", "config", NULL);
  candidates[1] = g_build_filename (home, ".mailsyncrc", NULL);
  candidates[2] = g_build_filename (config_home, "offlineimap", "config", NULL);
  candidates[3] = g_build_filename (home, ".offlineimaprc", NULL);

  for (guint i = 0; candidates[i] != NULL; i++)
    {
      if (found == NULL && g_file_test (candidates[i], G_FILE_TEST_EXISTS))
        found = g_steal_pointer (&candidates[i]);
      g_free (candidates[i]);
    }
  return found;
}
