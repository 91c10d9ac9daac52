/* mailsync-mbnames.c: the MUA's mailboxes file (offlineimap.md §2.3, §4.7). */
#include "config.h"

#include "mailsync-mbnames.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  char *accountname;
  char *foldername;
  char *localfolders;
} Item;

struct _MailsyncMbnames
{
  MailsyncUi *ui;
  MailsyncConfig *config;  /* the [mbnames] folderfilter and sort_keyfunc */
  gboolean enabled;
  gboolean incremental;
  gboolean dry_run;
  char *dir;        /* <metadata>/mbnames */
  char *path;       /* the mailboxes file */
  char *peritem;
  char *header;
  char *sep;
  char *footer;
  GMutex lock;      /* accounts finish on several threads */
};

static gboolean filter_and_sort (MailsyncMbnames *self, GPtrArray *items, GError **error);

static void
item_free (gpointer data)
{
  Item *item = data;

  g_free (item->accountname);
  g_free (item->foldername);
  g_free (item->localfolders);
  g_free (item);
}

/* ---- the Python string-literal subset of header/sep/footer ------------ */

/* The fallback when the library has no Python at all: the library's own
 * parser (libmailsync/config/mailsync-python-literal.c) reads only what it
 * decodes exactly as Python and defers the rest to the interpreter; this
 * one decodes more without it (r''/u'' prefixes, triple quotes, \x and \u
 * escapes, `+`, parentheses; unknown escapes kept as written) and reports
 * its own errors. Different semantics, and a frontend cannot link the
 * library's hidden symbols: kept apart. */

static gboolean
parse_literal (const char **pp, GString *out, GError **error)
{
  const char *p = *pp;
  gboolean raw = FALSE;
  char quote;
  gboolean triple;

  while (*p == 'r' || *p == 'R' || *p == 'u' || *p == 'U')
    {
      if (*p == 'r' || *p == 'R')
        raw = TRUE;
      p++;
    }
  if (*p != '"' && *p != '\'')
    return FALSE;
  quote = *p;
  triple = p[1] == quote && p[2] == quote;
  p += triple ? 3 : 1;
  for (;;)
    {
      if (*p == '\0')
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG, "unterminated string");
          return FALSE;
        }
      if (*p == quote && (!triple || (p[1] == quote && p[2] == quote)))
        {
          p += triple ? 3 : 1;
          break;
        }
      if (*p == '\\' && p[1] != '\0' && !raw)
        {
          p++;
          switch (*p)
            {
            case 'n': g_string_append_c (out, '\n'); break;
            case 't': g_string_append_c (out, '\t'); break;
            case 'r': g_string_append_c (out, '\r'); break;
            case 'f': g_string_append_c (out, '\f'); break;
            case 'v': g_string_append_c (out, '\v'); break;
            case 'a': g_string_append_c (out, '\a'); break;
            case 'b': g_string_append_c (out, '\b'); break;
            case '0': g_string_append_c (out, '\0'); break;
            case '\n': break;
            case 'x':
            case 'u':
            case 'U':
              {
                int len = *p == 'x' ? 2 : *p == 'u' ? 4 : 8;
                g_autofree char *hex = g_strndup (p + 1, len);
                char *end;
                gunichar c;

                if ((int) strlen (hex) != len)
                  goto bad_escape;
                c = strtoul (hex, &end, 16);
                if (*end != '\0' || !g_unichar_validate (c))
                  goto bad_escape;
                g_string_append_unichar (out, c);
                p += len;
              }
              break;
            default:
              /* Python keeps unknown escapes as written */
              g_string_append_c (out, '\\');
              g_string_append_c (out, *p);
              break;
            }
          p++;
          continue;
        bad_escape:
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG, "bad escape in string");
          return FALSE;
        }
      g_string_append_c (out, *p++);
    }
  *pp = p;
  return TRUE;
}

/**
 * mailsync_mbnames_eval_string:
 * @expression: a Python expression
 * @error: return location for a #GError
 *
 * Evaluates the subset of Python that real configs use for mbnames
 * header, sep and footer: string literals (quotes, triple quotes, r/u
 * prefixes, escapes), joined by `+` or juxtaposition, in parentheses.
 *
 * Returns: (transfer full): the string, or %NULL
 */
char *
mailsync_mbnames_eval_string (const char *expression, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = expression;
  int depth = 0;
  gboolean need_literal = TRUE;

  for (;;)
    {
      GError *local_error = NULL;

      while (g_ascii_isspace (*p))
        p++;
      if (*p == '(' && need_literal)
        {
          depth++;
          p++;
          continue;
        }
      if (*p == ')' && !need_literal && depth > 0)
        {
          depth--;
          p++;
          continue;
        }
      if (*p == '+' && !need_literal)
        {
          need_literal = TRUE;
          p++;
          continue;
        }
      if (*p == '\0' && !need_literal && depth == 0)
        break;
      if (parse_literal (&p, out, &local_error))
        {
          need_literal = FALSE;
          continue;
        }
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                   "only Python string literals are supported here, not '%s'", expression);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- configuration ------------------------------------------------------ */

/* [mbnames] filename: `~/` and $VAR, as offlineimap's expanduser() and
 * expandvars(). Like the library's expander (mailsync-config-values.c)
 * but without `~user`, with GLib's cached home; that one is hidden. */
static char *
expand_path (const char *path)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = path;

  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
    {
      g_string_append (out, g_get_home_dir ());
      p++;
    }
  /* os.path.expandvars: $NAME and ${NAME}; unknown variables stay as written */
  while (*p)
    {
      if (*p == '$')
        {
          gboolean braced = p[1] == '{';
          const char *start = p + (braced ? 2 : 1);
          const char *end = start;
          g_autofree char *name = NULL;
          const char *value;

          while (g_ascii_isalnum (*end) || *end == '_')
            end++;
          if (end > start && (!braced || *end == '}'))
            {
              name = g_strndup (start, end - start);
              value = g_getenv (name);
              if (value != NULL)
                {
                  g_string_append (out, value);
                  p = end + (braced ? 1 : 0);
                  continue;
                }
            }
        }
      g_string_append_c (out, *p++);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* With the library's embedded Python the value is any expression; without
 * it, the string literals that nearly every config writes still work. */
static char *
get_evaluated (MailsyncConfig *config, const char *key, GError **error)
{
  MailsyncConfigFile *file = mailsync_config_get_file (config);
  g_autofree char *raw = NULL;
  GError *local_error = NULL;
  char *value;

  value = mailsync_config_eval_string (config, "mbnames", key, &local_error);
  if (value != NULL)
    return value;
  if (!g_error_matches (local_error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED))
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  g_clear_error (&local_error);
  raw = mailsync_config_file_get_string (file, "mbnames", key, error);
  if (raw == NULL)
    return NULL;
  value = mailsync_mbnames_eval_string (raw, &local_error);
  if (value == NULL)
    {
      g_autofree char *where = mailsync_config_file_get_location (file, "mbnames", key);

      g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG, "%s: mbnames %s: %s",
                   where ? where : "config", key, local_error->message);
      g_error_free (local_error);
    }
  return value;
}

/**
 * mailsync_mbnames_new:
 * @config: the configuration
 * @metadata_dir: the metadata directory
 * @ui: where to report
 * @dry_run: write nothing
 * @error: return location for a #GError
 *
 * Reads [mbnames].  Unlike offlineimap, a disabled [mbnames] section needs
 * none of its keys; an enabled one needs them all.
 *
 * Returns: (transfer full): the mbnames writer, or %NULL on a config error
 */
MailsyncMbnames *
mailsync_mbnames_new (MailsyncConfig      *config,
                      const char          *metadata_dir,
                      MailsyncUi          *ui,
                      gboolean             dry_run,
                      GError             **error)
{
  MailsyncConfigFile *file = mailsync_config_get_file (config);
  g_autoptr(MailsyncMbnames) self = g_new0 (MailsyncMbnames, 1);
  static const char *required[] = { "filename", "header", "peritem", "sep", "footer" };
  g_autofree char *filename = NULL;

  g_mutex_init (&self->lock);
  self->ui = g_object_ref (ui);
  self->dry_run = dry_run;
  self->dir = g_build_filename (metadata_dir, "mbnames", NULL);
  if (!mailsync_config_file_has_section (file, "mbnames"))
    return g_steal_pointer (&self);
  if (!mailsync_config_file_get_boolean (file, "mbnames", "enabled", FALSE, &self->enabled, error)
      || !mailsync_config_file_get_boolean (file, "mbnames", "incremental", FALSE, &self->incremental, error))
    return NULL;
  if (!self->enabled)
    return g_steal_pointer (&self);

  for (gsize i = 0; i < G_N_ELEMENTS (required); i++)
    if (!mailsync_config_file_has_key (file, "mbnames", required[i]))
      {
        g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                     "%s: No option '%s' in section: 'mbnames'",
                     mailsync_config_file_get_path (file) ? mailsync_config_file_get_path (file) : "config",
                     required[i]);
        return NULL;
      }
  self->config = g_object_ref (config);
  filename = mailsync_config_file_get_string (file, "mbnames", "filename", error);
  if (filename == NULL)
    return NULL;
  self->path = expand_path (filename);
  self->peritem = mailsync_config_file_get_raw (file, "mbnames", "peritem");
  if ((self->header = get_evaluated (config, "header", error)) == NULL
      || (self->sep = get_evaluated (config, "sep", error)) == NULL
      || (self->footer = get_evaluated (config, "footer", error)) == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

void
mailsync_mbnames_free (MailsyncMbnames *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->ui);
  g_mutex_clear (&self->lock);
  g_free (self->dir);
  g_free (self->path);
  g_free (self->peritem);
  g_clear_object (&self->config);
  g_free (self->header);
  g_free (self->sep);
  g_free (self->footer);
  g_free (self);
}

gboolean
mailsync_mbnames_is_enabled (MailsyncMbnames *self)
{
  return self->enabled;
}

gboolean
mailsync_mbnames_is_incremental (MailsyncMbnames *self)
{
  return self->incremental;
}

/* ---- the JSON cache: a list of flat objects of strings -------------- */

static void
json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  /* ensure_ascii, as Python's json.dump writes it */
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", (char) c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || (c >= 0x7f && c < 0x10000))
        g_string_append_printf (out, "\\u%04x", c);
      else if (c >= 0x10000)
        {
          c -= 0x10000;
          g_string_append_printf (out, "\\u%04x\\u%04x", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
        }
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static void
skip_ws (const char **p)
{
  while (g_ascii_isspace (**p))
    (*p)++;
}

static char *
json_parse_string (const char **pp)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = *pp;

  if (*p++ != '"')
    return NULL;
  while (*p != '"')
    {
      if (*p == '\0' || (guchar) *p < 0x20)
        return NULL;
      if (*p != '\\')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      p++;
      switch (*p)
        {
        case '"': case '\\': case '/': g_string_append_c (out, *p); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'u':
          {
            char hex[5] = { 0 };
            gunichar c;

            for (int i = 0; i < 4; i++)
              if (!g_ascii_isxdigit (p[1 + i]))
                return NULL;
            memcpy (hex, p + 1, 4);
            c = strtoul (hex, NULL, 16);
            p += 4;
            if (c >= 0xd800 && c < 0xdc00 && p[1] == '\\' && p[2] == 'u')
              {
                gunichar lo;

                for (int i = 0; i < 4; i++)
                  if (!g_ascii_isxdigit (p[3 + i]))
                    return NULL;
                memcpy (hex, p + 3, 4);
                lo = strtoul (hex, NULL, 16);
                if (lo < 0xdc00 || lo > 0xdfff)
                  return NULL;
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
              }
            if (!g_unichar_validate (c))
              return NULL;
            g_string_append_unichar (out, c);
          }
          break;
        default:
          return NULL;
        }
      p++;
    }
  *pp = p + 1;
  if (!g_utf8_validate (out->str, out->len, NULL))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Parses [{"k": "v", ...}, ...]; anything else is refused. */
static gboolean
json_parse_items (const char *text, GPtrArray *items)
{
  const char *p = text;

  skip_ws (&p);
  if (*p++ != '[')
    return FALSE;
  skip_ws (&p);
  if (*p == ']')
    return TRUE;
  for (;;)
    {
      Item *item;

      skip_ws (&p);
      if (*p++ != '{')
        return FALSE;
      item = g_new0 (Item, 1);
      g_ptr_array_add (items, item);
      skip_ws (&p);
      while (*p != '}')
        {
          g_autofree char *key = NULL;
          char *value;

          if ((key = json_parse_string (&p)) == NULL)
            return FALSE;
          skip_ws (&p);
          if (*p++ != ':')
            return FALSE;
          skip_ws (&p);
          if ((value = json_parse_string (&p)) == NULL)
            return FALSE;
          if (strcmp (key, "accountname") == 0)
            g_free (item->accountname), item->accountname = value;
          else if (strcmp (key, "foldername") == 0)
            g_free (item->foldername), item->foldername = value;
          else if (strcmp (key, "localfolders") == 0)
            g_free (item->localfolders), item->localfolders = value;
          else
            g_free (value);
          skip_ws (&p);
          if (*p == ',')
            {
              p++;
              skip_ws (&p);
            }
          else if (*p != '}')
            return FALSE;
        }
      p++;
      if (item->accountname == NULL || item->foldername == NULL)
        return FALSE;
      if (item->localfolders == NULL)
        item->localfolders = g_strdup ("");
      skip_ws (&p);
      if (*p == ']')
        break;
      if (*p++ != ',')
        return FALSE;
    }
  p++;
  skip_ws (&p);
  return *p == '\0';
}

static char *
account_cache_path (MailsyncMbnames *self, const char *account)
{
  g_autofree char *base = g_strconcat (account, ".json", NULL);

  return g_build_filename (self->dir, base, NULL);
}

static gboolean
write_atomically (const char *path, const char *data, gsize len, GError **error)
{
  /* offlineimap truncates in place; a reader (the MUA) could see half a
   * file, so write a temporary file and rename it over. */
  return g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/**
 * mailsync_mbnames_write_account:
 * @self: mbnames
 * @account: the account
 * @localfolders: the local repository's root ("" when it has none)
 * @folders: (array zero-terminated=1): local names of the folders synced
 * @error: return location for a #GError
 *
 * Writes the account's JSON cache and, with `incremental`, the mailboxes
 * file.  Nothing happens when mbnames is disabled.
 *
 * Returns: %TRUE on success
 */
gboolean
mailsync_mbnames_write_account (MailsyncMbnames     *self,
                                const char          *account,
                                const char          *localfolders,
                                const char * const  *folders,
                                GError             **error)
{
  g_autoptr(GString) out = g_string_new ("[");
  g_autofree char *path = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean first = TRUE;

  if (!self->enabled)
    return TRUE;
  path = account_cache_path (self, account);
  for (guint i = 0; folders[i] != NULL; i++)
    {
      if (!g_hash_table_add (seen, (gpointer) folders[i]))
        continue;
      g_string_append (out, first ? "{" : ", {");
      first = FALSE;
      g_string_append (out, "\"accountname\": ");
      json_string (out, account);
      g_string_append (out, ", \"foldername\": ");
      json_string (out, folders[i]);
      g_string_append (out, ", \"localfolders\": ");
      json_string (out, localfolders);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');

  if (self->dry_run)
    mailsync_ui_info (self->ui, NULL, "mbnames would write %s", path);
  else
    {
      gboolean ok;

      g_mutex_lock (&self->lock);
      ok = g_mkdir_with_parents (self->dir, 0700) == 0 && write_atomically (path, out->str, out->len, error);
      g_mutex_unlock (&self->lock);
      if (!ok)
        {
          if (error && *error == NULL)
            g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Cannot create %s: %s", self->dir,
                         g_strerror (errno));
          return FALSE;
        }
    }
  if (self->incremental)
    return mailsync_mbnames_write (self, error);
  return TRUE;
}

static gint
compare_items (gconstpointer a, gconstpointer b)
{
  const Item *x = *(Item **) a, *y = *(Item **) b;
  int c = strcmp (x->accountname, y->accountname);

  return c ? c : strcmp (x->foldername, y->foldername);
}

/* Python's "%" operator over the item dict: %(key)s and %%. */
static gboolean
format_item (const char *peritem, const Item *item, GString *out, GError **error)
{
  for (const char *p = peritem; *p; p++)
    {
      const char *close;
      g_autofree char *key = NULL;
      const char *value;

      if (*p != '%')
        {
          g_string_append_c (out, *p);
          continue;
        }
      if (p[1] == '%')
        {
          g_string_append_c (out, '%');
          p++;
          continue;
        }
      if (p[1] != '(' || (close = strchr (p + 2, ')')) == NULL || close[1] != 's')
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                       "mbnames peritem: unsupported format at '%s' (use %%(name)s)", p);
          return FALSE;
        }
      key = g_strndup (p + 2, close - (p + 2));
      if (strcmp (key, "accountname") == 0)
        value = item->accountname;
      else if (strcmp (key, "foldername") == 0)
        value = item->foldername;
      else if (strcmp (key, "localfolders") == 0)
        value = item->localfolders;
      else
        {
          g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                       "mbnames peritem: unknown key '%s' (accountname, foldername, localfolders)", key);
          return FALSE;
        }
      g_string_append (out, value);
      p = close + 1;
    }
  return TRUE;
}

static GPtrArray *
list_caches (MailsyncMbnames *self)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = g_dir_open (self->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->dir, name, NULL);

      if (g_str_has_suffix (name, ".json") && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (paths, g_steal_pointer (&path));
    }
  g_ptr_array_sort (paths, (GCompareFunc) g_strcmp0);
  return paths;
}

/**
 * mailsync_mbnames_write:
 * @self: mbnames
 * @error: return location for a #GError
 *
 * Builds the mailboxes file from every account's cache: header, the
 * sorted items formatted by peritem and joined by sep, footer.
 *
 * Returns: %TRUE on success
 */
gboolean
mailsync_mbnames_write (MailsyncMbnames *self, GError **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (item_free);
  g_autoptr(GPtrArray) caches = NULL;
  g_autoptr(GString) out = NULL;
  gboolean ok;

  if (!self->enabled)
    return TRUE;
  g_mutex_lock (&self->lock);
  caches = list_caches (self);
  for (guint i = 0; i < caches->len; i++)
    {
      g_autofree char *text = NULL;
      g_autoptr(GError) read_error = NULL;
      g_autoptr(GPtrArray) these = g_ptr_array_new_with_free_func (item_free);

      if (!g_file_get_contents (caches->pdata[i], &text, NULL, &read_error))
        {
          mailsync_ui_error (self->ui, NULL, "ERROR: could not read intermediate mbnames file '%s':%s",
                             (char *) caches->pdata[i], read_error->message);
          continue;
        }
      if (!json_parse_items (text, these))
        {
          mailsync_ui_error (self->ui, NULL, "ERROR: intermediate mbnames file %s not properly read",
                             (char *) caches->pdata[i]);
          continue;
        }
      while (these->len > 0)
        g_ptr_array_add (items, g_ptr_array_steal_index (these, 0));
    }
  g_mutex_unlock (&self->lock);

  g_ptr_array_sort (items, compare_items);
  if (!filter_and_sort (self, items, error))
    return FALSE;
  out = g_string_new (self->header);
  for (guint i = 0; i < items->len; i++)
    {
      if (i > 0)
        g_string_append (out, self->sep);
      if (!format_item (self->peritem, items->pdata[i], out, error))
        return FALSE;
    }
  g_string_append (out, self->footer);
  if (self->dry_run)
    {
      mailsync_ui_info (self->ui, NULL, "mbnames would write %s", self->path);
      return TRUE;
    }
  g_mutex_lock (&self->lock);
  ok = write_atomically (self->path, out->str, out->len, error);
  g_mutex_unlock (&self->lock);
  if (!ok)
    g_prefix_error (error, "mbnames file %s not properly written: ", self->path);
  return ok;
}

/* offlineimap: items.sort(key=sort_keyfunc), then only the items that
 * folderfilter(accountname, foldername) keeps.  Both go through the
 * library's embedded Python; an expression that fails stops the write. */
static gboolean
filter_and_sort (MailsyncMbnames *self, GPtrArray *items, GError **error)
{
  g_autoptr(GPtrArray) dicts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autoptr(GHashTable) item_of = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();

  if (self->config == NULL)   /* built without a config: no lambdas */
    return TRUE;
  for (guint i = 0; i < items->len; i++)
    {
      Item *item = items->pdata[i];
      GHashTable *d = g_hash_table_new (g_str_hash, g_str_equal);

      g_hash_table_insert (d, (gpointer) "accountname", item->accountname);
      g_hash_table_insert (d, (gpointer) "foldername", item->foldername);
      g_hash_table_insert (d, (gpointer) "localfolders", item->localfolders);
      g_hash_table_insert (item_of, d, item);
      g_ptr_array_add (dicts, d);
    }
  if (!mailsync_config_mbnames_sort (self->config, dicts, error))
    return FALSE;
  for (guint i = 0; i < dicts->len; i++)
    {
      Item *item = g_hash_table_lookup (item_of, dicts->pdata[i]);
      gboolean include = TRUE;

      if (!mailsync_config_mbnames_filter (self->config, item->accountname, item->foldername, &include, error))
        return FALSE;
      if (include)
        g_ptr_array_add (kept, item);
    }
  /* reorder in place: @items owns the Items */
  for (guint i = 0; i < items->len; i++)
    if (g_ptr_array_find (kept, items->pdata[i], NULL) == FALSE)
      item_free (items->pdata[i]);
  g_ptr_array_set_free_func (items, NULL);
  g_ptr_array_set_size (items, 0);
  g_ptr_array_set_free_func (items, item_free);
  for (guint i = 0; i < kept->len; i++)
    g_ptr_array_add (items, kept->pdata[i]);
  return TRUE;
}

/**
 * mailsync_mbnames_prune:
 * @self: mbnames
 * @keep_accounts: (array zero-terminated=1): the accounts of [general] accounts
 * @error: return location for a #GError
 *
 * Removes the caches of accounts not in @keep_accounts (of every account
 * when mbnames is disabled), then rewrites the mailboxes file.
 *
 * Returns: %TRUE on success
 */
gboolean
mailsync_mbnames_prune (MailsyncMbnames     *self,
                        const char * const  *keep_accounts,
                        GError             **error)
{
  g_autoptr(GPtrArray) caches = list_caches (self);
  gboolean removed = FALSE;

  for (guint i = 0; i < caches->len; i++)
    {
      const char *path = caches->pdata[i];
      g_autofree char *base = g_path_get_basename (path);

      base[strlen (base) - 5] = '\0';
      if (self->enabled && keep_accounts != NULL && g_strv_contains (keep_accounts, base))
        continue;
      removed = TRUE;
      if (self->dry_run)
        mailsync_ui_info (self->ui, NULL, "mbnames would remove %s", path);
      else if (g_unlink (path) == 0)
        mailsync_ui_info (self->ui, NULL, "removed %s", path);
      else
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot remove %s: %s", path,
                       g_strerror (saved));
          return FALSE;
        }
    }
  if (!removed)
    mailsync_ui_info (self->ui, NULL, "no cache file to remove");
  return mailsync_mbnames_write (self, error);
}
