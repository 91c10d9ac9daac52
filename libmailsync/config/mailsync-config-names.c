/* Folder name translation and filters of a repository: nametrans_rules
 * (regexes) or Python nametrans, folder_include/folder_exclude (globs and
 * regexes) or Python folderfilter, with folderincludes on top (see
 * mailsync-config-folderfilter.c). A Python exception fails the folder,
 * never guesses. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "config/mailsync-config-file-private.h"
#include "mailsync-error.h"
#include "mailsync-private.h"

#include <string.h>

/* ------------------------------------------------------------------------ */
/* Folder name translation and filters */

typedef struct
{
  GRegex *regex;
  char   *replacement;
} Rule;

static void
rule_free (Rule *rule)
{
  g_regex_unref (rule->regex);
  g_free (rule->replacement);
  g_free (rule);
}

/* nametrans_rules: the first rule whose regex matches replaces every match
 * of it (Python's re.sub); no match leaves the name alone. */
static char *
rules_nametrans (const char *name,
                 gpointer    user_data)
{
  GPtrArray *rules = user_data;

  for (guint i = 0; i < rules->len; i++)
    {
      Rule *rule = g_ptr_array_index (rules, i);

      if (g_regex_match (rule->regex, name, 0, NULL))
        {
          char *result = g_regex_replace (rule->regex, name, -1, 0, rule->replacement, 0, NULL);
          if (result != NULL)
            return result;
        }
    }
  return g_strdup (name);
}

static GPtrArray *
parse_rules (MailsyncConfig *self,
             const char     *section,
             const char     *key,
             GError        **error)
{
  g_autofree char *text = mailsync_config_file_get_string (self->file, section, key, error);
  g_autoptr(GPtrArray) rules = NULL;
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return NULL;
  rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *pattern = NULL;
      char *line = g_strstrip (lines[i]);
      char *arrow = strstr (line, "=>");
      Rule *rule;

      if (*line == '\0')
        continue;
      if (arrow == NULL)
        return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                        "rule %u: not 'REGEX => REPLACEMENT'", i + 1), NULL);
      pattern = g_strstrip (g_strndup (line, arrow - line));
      rule = g_new0 (Rule, 1);
      rule->replacement = g_strstrip (g_strdup (arrow + 2));
      rule->regex = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, &local_error);
      if (rule->regex == NULL || !g_regex_check_replacement (rule->replacement, NULL, NULL))
        {
          const char *why = local_error != NULL ? local_error->message : "bad replacement";
          if (rule->regex != NULL)
            g_regex_unref (rule->regex);
          g_free (rule->replacement);
          g_free (rule);
          return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                          "rule %u: %s", i + 1, why), NULL);
        }
      g_ptr_array_add (rules, rule);
    }
  if (rules->len == 0)
    return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                    "no rules ('REGEX => REPLACEMENT', one per line)"), NULL);
  return g_steal_pointer (&rules);
}

typedef struct
{
  GPatternSpec *glob;
  GRegex       *regex;
} Pattern;

static void
pattern_free (Pattern *pattern)
{
  g_clear_pointer (&pattern->glob, g_pattern_spec_free);
  g_clear_pointer (&pattern->regex, g_regex_unref);
  g_free (pattern);
}

typedef struct
{
  GPtrArray *include;   /* NULL: everything */
  GPtrArray *exclude;
} Patterns;

static void
patterns_free (Patterns *patterns)
{
  g_clear_pointer (&patterns->include, g_ptr_array_unref);
  g_clear_pointer (&patterns->exclude, g_ptr_array_unref);
  g_free (patterns);
}

static gboolean
patterns_match (GPtrArray  *list,
                const char *name)
{
  for (guint i = 0; i < list->len; i++)
    {
      Pattern *pattern = g_ptr_array_index (list, i);

      if (pattern->regex != NULL ? g_regex_match (pattern->regex, name, 0, NULL)
                                 : g_pattern_spec_match_string (pattern->glob, name))
        return TRUE;
    }
  return FALSE;
}

static gboolean
patterns_filter (const char *name,
                 gpointer    user_data)
{
  Patterns *patterns = user_data;

  if (patterns->include != NULL && !patterns_match (patterns->include, name))
    return FALSE;
  return patterns->exclude == NULL || !patterns_match (patterns->exclude, name);
}

/* folder_include / folder_exclude: one pattern per line, or several on a
 * line separated by commas; a glob (`*`, `?`), or a regex between slashes
 * (`/^Archive\.20[0-9]{2}$/`, searched anywhere unless anchored). */
static GPtrArray *
parse_patterns (MailsyncConfig *self,
                const char     *section,
                const char     *key,
                GError        **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) patterns = NULL;
  g_auto(GStrv) items = NULL;

  if (!_mailsync_config_has (self, section, key))
    return NULL;
  text = mailsync_config_file_get_string (self->file, section, key, error);
  if (text == NULL)
    return NULL;
  items = g_strsplit_set (text, strchr (text, '\n') != NULL ? "\n" : ",", -1);
  patterns = g_ptr_array_new_with_free_func ((GDestroyNotify) pattern_free);
  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      Pattern *pattern;
      gsize len = strlen (item);

      if (len == 0)
        continue;
      pattern = g_new0 (Pattern, 1);
      if (len >= 2 && item[0] == '/' && item[len - 1] == '/')
        {
          g_autoptr(GError) local_error = NULL;
          g_autofree char *re = g_strndup (item + 1, len - 2);

          pattern->regex = g_regex_new (re, G_REGEX_OPTIMIZE, 0, &local_error);
          if (pattern->regex == NULL)
            {
              g_free (pattern);
              return (_mailsync_config_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                              "pattern %u: %s", i + 1, local_error->message), NULL);
            }
        }
      else
        pattern->glob = g_pattern_spec_new (item);
      g_ptr_array_add (patterns, pattern);
    }
  return g_steal_pointer (&patterns);
}

static void
python_refuse (PythonClosure *closure,
               const char    *name,
               const GError  *error)
{
  g_autoptr(GError) refusal = NULL;

  refusal = g_error_new (MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG,
                         "Folder '%s' of repository %s is not synced: %s", name,
                         mailsync_repository_get_name (closure->repo),
                         error != NULL ? error->message : closure->where);
  mailsync_repository_refuse_folder (closure->repo, name, refusal);
}

static char *
python_nametrans (const char *name,
                  gpointer    user_data)
{
  PythonClosure *closure = user_data;
  g_autoptr(GError) error = NULL;
  char *result = _mailsync_python_call_string (closure->func, name, &error);

  if (result == NULL)
    python_refuse (closure, name, error);
  return result;
}

static gboolean
python_folderfilter (const char *name,
                     gpointer    user_data)
{
  PythonClosure *closure = user_data;
  g_autoptr(GError) error = NULL;
  const char *args[] = { name, NULL };
  gboolean result = FALSE;

  if (!_mailsync_python_call_bool (closure->func, args, &result, &error))
    {
      python_refuse (closure, name, error);
      return FALSE;
    }
  return result;
}

/* nametrans(_rules) and the folder filters of @section, set on @repo;
 * @includes (folderincludes, may be NULL) always pass the filter. */
gboolean
_mailsync_config_apply_names (MailsyncConfig     *self,
                              const char         *section,
                              MailsyncRepository *repo,
                              char              **includes,
                              GError            **error)
{
  if (_mailsync_config_has (self, section, "nametrans") && _mailsync_config_has (self, section, "nametrans_rules"))
    return _mailsync_config_error (self, section, "nametrans_rules", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "set either nametrans or nametrans_rules, not both");
  if (_mailsync_config_has (self, section, "nametrans_rules"))
    {
      GPtrArray *rules = parse_rules (self, section, "nametrans_rules", error);
      if (rules == NULL)
        return FALSE;
      mailsync_repository_set_nametrans (repo, rules_nametrans, rules, (GDestroyNotify) g_ptr_array_unref);
    }
  else if (_mailsync_config_has (self, section, "nametrans"))
    {
      PythonClosure *closure = _mailsync_config_python_closure_new (self, section, "nametrans", "nametrans_rules", error);
      if (closure == NULL)
        return FALSE;
      closure->repo = repo;
      mailsync_repository_set_nametrans (repo, python_nametrans, closure, (GDestroyNotify) _mailsync_config_python_closure_free);
    }

  if (_mailsync_config_has (self, section, "folderfilter") &&
      (_mailsync_config_has (self, section, "folder_include") || _mailsync_config_has (self, section, "folder_exclude")))
    return _mailsync_config_error (self, section, "folderfilter", MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "set either folderfilter or folder_include/folder_exclude, not both");
  if (_mailsync_config_has (self, section, "folder_include") || _mailsync_config_has (self, section, "folder_exclude"))
    {
      g_autoptr(GError) local_error = NULL;
      Patterns *patterns = g_new0 (Patterns, 1);

      patterns->include = parse_patterns (self, section, "folder_include", &local_error);
      if (local_error == NULL)
        patterns->exclude = parse_patterns (self, section, "folder_exclude", &local_error);
      if (local_error != NULL)
        {
          patterns_free (patterns);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      _mailsync_config_set_folder_filter (repo, (const char * const *) includes, patterns_filter, patterns,
                                          (GDestroyNotify) patterns_free);
    }
  else if (_mailsync_config_has (self, section, "folderfilter"))
    {
      PythonClosure *closure = _mailsync_config_python_closure_new (self, section, "folderfilter",
                                                                    "folder_include' or 'folder_exclude", error);
      if (closure == NULL)
        return FALSE;
      closure->repo = repo;
      _mailsync_config_set_folder_filter (repo, (const char * const *) includes, python_folderfilter, closure,
                                          (GDestroyNotify) _mailsync_config_python_closure_free);
    }
  return TRUE;
}
