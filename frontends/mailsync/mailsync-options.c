/* mailsync-options.c: offlineimap's command line, parsed like optparse.
 *
 * GOptionContext is not used: it cannot reproduce optparse's behaviour
 * that scripts written for offlineimap rely on (unique prefixes of long
 * options, "-k" accumulating, errors as "PROG: error: ..." after a usage
 * line with exit status 2, positional arguments silently accepted), and
 * its --help text would differ from offlineimap's.  See doc/design.md. */
#include "config.h"

#include "mailsync-options.h"

#include <string.h>

typedef enum
{
  OPT_FLAG,
  OPT_VALUE,
} OptKind;

typedef struct
{
  char short_name;          /* 0: long only */
  const char *long_name;    /* NULL: short only */
  OptKind kind;
  gsize offset;             /* into MailsyncOptions */
  const char *metavar;
  const char *help;
} OptSpec;

#define OFF(field) G_STRUCT_OFFSET (MailsyncOptions, field)

static const OptSpec specs[] = {
  { 0,   "version", OPT_FLAG, OFF (version), NULL, "show program's version number and exit" },
  { 'h', "help", OPT_FLAG, OFF (help), NULL, "show this help message and exit" },
  { 'V', NULL, OPT_FLAG, OFF (full_version), NULL, "show full version infos" },
  { 0,   "dry-run", OPT_FLAG, OFF (dry_run), NULL, "dry run mode" },
  { 0,   "info", OPT_FLAG, OFF (info), NULL, "output information on the configured email repositories" },
  { '1', NULL, OPT_FLAG, OFF (single_thread), NULL, "(the number one) disable all multithreading operations" },
  { 'P', NULL, OPT_VALUE, OFF (profile_dir), "DIR", "write per-account profiles (timings, counts) into DIR" },
  { 'a', NULL, OPT_VALUE, OFF (accounts), "account1[,account2[,...]]", "list of accounts to sync" },
  { 'c', NULL, OPT_VALUE, OFF (config_file), "FILE", "specifies a configuration file to use" },
  { 'd', NULL, OPT_VALUE, OFF (debug), "type1[,type2[,...]]",
    "enables debugging for mailsync (types: imap, maildir, thread)" },
  { 'l', NULL, OPT_VALUE, OFF (log_file), "FILE", "log to FILE" },
  { 's', NULL, OPT_FLAG, OFF (syslog), NULL, "log to syslog" },
  { 'f', NULL, OPT_VALUE, OFF (folders), "folder1[,folder2[,...]]", "only sync the specified folders" },
  { 'k', NULL, OPT_VALUE, OFF (overrides), "[section:]option=value", "override configuration file option" },
  { 'o', NULL, OPT_FLAG, OFF (run_once), NULL, "run only once (ignore autorefresh)" },
  { 'q', NULL, OPT_FLAG, OFF (quick), NULL, "run only quick synchronizations (don't update flags)" },
  { 'u', NULL, OPT_VALUE, OFF (ui), "INTERFACE",
    "specifies an alternative user interface (quiet, basic, syslog, ttyui, blinkenlights, machineui, json)" },
  { 0,   "delete-folder", OPT_VALUE, OFF (delete_folder), "FOLDERNAME", "Delete a folder (on the remote repository)" },
  { 0,   "migrate-fmd5-using-nametrans", OPT_FLAG, OFF (migrate_fmd5), NULL,
    "migrate FMD5 hashes from versions prior to 6.3.5" },
  { 0,   "mbnames-prune", OPT_FLAG, OFF (mbnames_prune), NULL, "remove mbnames entries for accounts not in accounts" },
  { 0,   "ignore-keyring", OPT_FLAG, OFF (ignore_keyring), NULL, "do not look passwords up in the keyring" },
  { 0,   "update-keyring", OPT_FLAG, OFF (update_keyring), NULL, "store the password that worked in the keyring" },
};

MailsyncOptions *
mailsync_options_new (void)
{
  MailsyncOptions *self = g_new0 (MailsyncOptions, 1);

  self->overrides = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
mailsync_options_free (MailsyncOptions *self)
{
  if (self == NULL)
    return;
  g_free (self->profile_dir);
  g_free (self->accounts);
  g_free (self->config_file);
  g_free (self->debug);
  g_free (self->log_file);
  g_free (self->folders);
  g_free (self->ui);
  g_free (self->delete_folder);
  g_ptr_array_unref (self->overrides);
  g_free (self);
}

static void
store (MailsyncOptions *self, const OptSpec *spec, const char *value)
{
  gpointer field = G_STRUCT_MEMBER_P (self, spec->offset);

  if (spec->kind == OPT_FLAG)
    *(gboolean *) field = TRUE;
  else if (spec->short_name == 'k')
    g_ptr_array_add (self->overrides, g_strdup (value));
  else
    {
      /* offlineimap tests these values for truth (init.py: "if
       * options.folders:"), so an empty one is as if not given: a
       * wrapper's -f "$FOLDERS" with FOLDERS unset syncs every folder.
       * Only -u is compared with None, and '' is an unknown UI there. */
      g_free (*(char **) field);
      *(char **) field = *value == '\0' && spec->short_name != 'u' ? NULL : g_strdup (value);
    }
}

static const OptSpec *
find_short (char c)
{
  for (gsize i = 0; i < G_N_ELEMENTS (specs); i++)
    if (specs[i].short_name == c)
      return &specs[i];
  return NULL;
}

/* optparse accepts any unambiguous prefix of a long option. */
static const OptSpec *
find_long (const char *name, GError **error)
{
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  g_autoptr(GString) list = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      if (specs[i].long_name == NULL)
        continue;
      if (strcmp (specs[i].long_name, name) == 0)
        return &specs[i];
      if (g_str_has_prefix (specs[i].long_name, name))
        g_ptr_array_add (matches, (gpointer) &specs[i]);
    }
  if (matches->len == 1)
    return matches->pdata[0];
  if (matches->len == 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "no such option: --%s", name);
      return NULL;
    }
  list = g_string_new (NULL);
  for (guint i = 0; i < matches->len; i++)
    g_string_append_printf (list, "%s--%s", i ? ", " : "", ((const OptSpec *) matches->pdata[i])->long_name);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
               "ambiguous option: --%s (%s?)", name, list->str);
  return NULL;
}

static char *
spec_display (const OptSpec *spec)
{
  return spec->long_name ? g_strdup_printf ("--%s", spec->long_name) : g_strdup_printf ("-%c", spec->short_name);
}

/**
 * mailsync_options_parse:
 * @self: options to fill
 * @argc: argument count
 * @argv: (array length=argc): arguments, argv[0] the program
 * @error: return location for a #GError in %G_OPTION_ERROR, whose message
 *   is optparse's text ("no such option: --x")
 *
 * Returns: %TRUE when the command line is well formed
 */
gboolean
mailsync_options_parse (MailsyncOptions  *self,
                        int               argc,
                        char            **argv,
                        GError          **error)
{
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--") == 0)
        break;  /* the rest are positional arguments, ignored as offlineimap does */
      if (g_str_has_prefix (arg, "--"))
        {
          g_autofree char *name = g_strdup (arg + 2);
          char *eq = strchr (name, '=');
          const char *value = NULL;
          const OptSpec *spec;

          if (eq != NULL)
            {
              *eq = '\0';
              value = eq + 1;
            }
          spec = find_long (name, error);
          if (spec == NULL)
            return FALSE;
          if (spec->kind == OPT_FLAG && value != NULL)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--%s option does not take a value", spec->long_name);
              return FALSE;
            }
          if (spec->kind == OPT_VALUE && value == NULL)
            {
              if (i + 1 >= argc)
                {
                  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                               "--%s option requires 1 argument", spec->long_name);
                  return FALSE;
                }
              value = argv[++i];
            }
          store (self, spec, value);
        }
      else if (arg[0] == '-' && arg[1] != '\0')
        {
          /* A cluster of short options; the first that takes a value
           * consumes the rest of the cluster or the next argument. */
          for (const char *p = arg + 1; *p != '\0'; p++)
            {
              const OptSpec *spec = find_short (*p);

              if (spec == NULL)
                {
                  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "no such option: -%c", *p);
                  return FALSE;
                }
              if (spec->kind == OPT_FLAG)
                {
                  store (self, spec, NULL);
                  continue;
                }
              if (p[1] != '\0')
                store (self, spec, p + 1);
              else if (i + 1 < argc)
                store (self, spec, argv[++i]);
              else
                {
                  g_autofree char *shown = spec_display (spec);

                  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                               "%s option requires 1 argument", shown);
                  return FALSE;
                }
              break;
            }
        }
      /* else: a positional argument; offlineimap ignores them */
    }
  return TRUE;
}

/**
 * mailsync_options_split_override:
 * @arg: a -k argument, `[section:]option=value`
 * @section: (out): the section, underscores replaced by spaces
 * @key: (out): the option name, unchanged
 * @value: (out): the value
 * @error: return location for a #GError
 *
 * Splits at the first `=`, then the key part at its first `:`, exactly as
 * offlineimap does (so a section whose real name holds an underscore
 * cannot be addressed, as in offlineimap).
 *
 * Returns: %FALSE when @arg holds no `=` or an empty option name
 */
gboolean
mailsync_options_split_override (const char  *arg,
                                 char       **section,
                                 char       **key,
                                 char       **value,
                                 GError     **error)
{
  const char *eq = strchr (arg, '=');
  g_autofree char *lhs = NULL;
  char *colon;

  if (eq == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "-k option: expected [section:]option=value, got '%s'", arg);
      return FALSE;
    }
  lhs = g_strndup (arg, eq - arg);
  colon = strchr (lhs, ':');
  if (colon != NULL)
    {
      *colon = '\0';
      *section = g_strdelimit (g_strdup (lhs), "_", ' ');
      *key = g_strdup (colon + 1);
    }
  else
    {
      *section = g_strdup ("general");
      *key = g_strdup (lhs);
    }
  g_strstrip (*key);
  if (**key == '\0')
    {
      g_clear_pointer (section, g_free);
      g_clear_pointer (key, g_free);
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "-k option: no option name in '%s'", lhs);  /* not the value: a password? */
      return FALSE;
    }
  *value = g_strdup (eq + 1);
  return TRUE;
}

/**
 * mailsync_options_get_info:
 * @index: the option's place in the table, from 0
 * @info: (out caller-allocates): filled with the option
 *
 * Returns: %FALSE when @index is past the last option
 */
gboolean
mailsync_options_get_info (gsize index, MailsyncOptionInfo *info)
{
  const OptSpec *spec;

  if (index >= G_N_ELEMENTS (specs))
    return FALSE;
  spec = &specs[index];
  info->short_name = spec->short_name;
  info->long_name = spec->long_name;
  info->takes_value = spec->kind == OPT_VALUE;
  info->metavar = spec->metavar;
  info->help = spec->help;
  return TRUE;
}

void
mailsync_options_print_usage (FILE *stream)
{
  fputs ("Usage: mailsync [options]\n", stream);
}

/* optparse's layout: option column of 24, help wrapped at 79. */
void
mailsync_options_print_help (FILE *stream)
{
  mailsync_options_print_usage (stream);
  fputs ("\nSynchronize mailboxes and Maildirs, offlineimap-compatible.  See mailsync(1).\n\nOptions:\n", stream);
  for (gsize i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      const OptSpec *s = &specs[i];
      g_autoptr(GString) left = g_string_new ("  ");
      g_auto(GStrv) words = g_strsplit (s->help, " ", -1);
      gsize col;

      if (s->short_name)
        {
          g_string_append_printf (left, "-%c", s->short_name);
          if (s->kind == OPT_VALUE)
            g_string_append_printf (left, " %s", s->metavar);
        }
      if (s->short_name && s->long_name)
        g_string_append (left, ", ");
      if (s->long_name)
        {
          g_string_append_printf (left, "--%s", s->long_name);
          if (s->kind == OPT_VALUE)
            g_string_append_printf (left, "=%s", s->metavar);
        }
      if (left->len > 22)
        {
          fprintf (stream, "%s\n%24s", left->str, "");
        }
      else
        fprintf (stream, "%-24s", left->str);
      col = 24;
      for (guint w = 0; words[w] != NULL; w++)
        {
          gsize len = strlen (words[w]);

          if (col > 24 && col + 1 + len > 79)
            {
              fprintf (stream, "\n%24s", "");
              col = 24;
            }
          if (col > 24)
            {
              fputc (' ', stream);
              col++;
            }
          fputs (words[w], stream);
          col += len;
        }
      fputc ('\n', stream);
    }
}
