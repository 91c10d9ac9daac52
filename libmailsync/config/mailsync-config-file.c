/* The offlineimap configuration file: Python configparser, rule for rule. */
/* The store and the reads: sections and options as read, configparser's
 * interpolation, the typed getters (boolean, integer, double, list), the
 * locations of values, and the default file's search. The parser that
 * fills the store is mailsync-config-file-reader.c; the types they share
 * are in mailsync-config-file-private.h. */
#include "config.h"

#include "config/mailsync-config-file.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

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

G_DEFINE_FINAL_TYPE (MailsyncConfigFile, mailsync_config_file, G_TYPE_OBJECT)

static void
entry_free (Entry *entry)
{
  g_free (entry->key);
  g_free (entry->value);
  g_free (entry->origin);
  g_free (entry);
}

Section *
_mailsync_config_file_section_new (const char *name)
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
Entry *
_mailsync_config_file_section_set (Section    *section,
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
  self->defaults = _mailsync_config_file_section_new (DEFAULT_SECTION);
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
char *
_mailsync_config_file_key_fold (const char *key)
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
  g_autofree char *folded = _mailsync_config_file_key_fold (key);
  Section *section = lookup_section (self, section_name);
  Entry *entry;

  if (section == NULL)
    return NULL;
  entry = g_hash_table_lookup (section->entries, folded);
  if (entry == NULL && section != self->defaults)
    entry = g_hash_table_lookup (self->defaults->entries, folded);
  return entry;
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
              g_autofree char *folded = _mailsync_config_file_key_fold (name);

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
      sect = _mailsync_config_file_section_new (section);
      sect->origin = g_strdup (shown);
      g_hash_table_insert (self->sections, sect->name, sect);
      g_ptr_array_add (self->section_order, sect);
    }
  folded = _mailsync_config_file_key_fold (key);
  _mailsync_config_file_section_set (sect, folded, value, shown, 0);
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
  folded = _mailsync_config_file_key_fold (key);
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
  const char *home = _mailsync_home_dir ();
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
