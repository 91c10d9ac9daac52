/* The Python-literal parser of the library: string literals and lists or
 * tuples of them, the values nearly every config writes for its *eval
 * options, read without an interpreter. It accepts only what it can
 * decode exactly as Python would; anything else (\x escapes, prefixes,
 * expressions) gives NULL and the caller hands the text to the embedded
 * Python, so a value never depends on whether Python is present.
 *
 * The mailsync command keeps its own, wider parser for [mbnames] (see
 * frontends/mailsync/mailsync-mbnames.c): it is its fallback when the
 * library has no Python at all, decodes more than Python-exact (it keeps
 * unknown escapes, reads r''/u'', triple quotes and `+`), reports its own
 * errors, and the frontend cannot link the library's hidden symbols. */
#include "config.h"

#include "config/mailsync-config-private.h"

/* Python literals: the common eval options (`idlefolders = ['INBOX']`,
 * `header = "mailboxes "`) need no interpreter. */

static gboolean
parse_py_string (const char **pp,
                 GString     *out)
{
  const char *p = *pp;
  char quote;

  /* r'' and b'' prefixes are rare in configs; only plain strings here */
  if (*p != '\'' && *p != '"')
    return FALSE;
  quote = *p++;
  for (; *p != '\0' && *p != quote; p++)
    {
      if (*p != '\\')
        {
          g_string_append_c (out, *p);
          continue;
        }
      p++;
      switch (*p)
        {
        case 'n': g_string_append_c (out, '\n'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case '\\': case '\'': case '"': g_string_append_c (out, *p); break;
        default: return FALSE;   /* \x, \u...: leave it to Python */
        }
    }
  if (*p != quote)
    return FALSE;
  *pp = p + 1;
  return TRUE;
}

static void
skip_blanks (const char **pp)
{
  while (g_ascii_isspace (**pp))
    (*pp)++;
}

/* One string literal, or adjacent ones ("a" "b"), and nothing else. */
char *
_mailsync_python_literal_string (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = text;
  gboolean any = FALSE;

  skip_blanks (&p);
  while (*p == '\'' || *p == '"')
    {
      if (!parse_py_string (&p, out))
        return NULL;
      any = TRUE;
      skip_blanks (&p);
    }
  if (!any || *p != '\0')
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A list or tuple of string literals: [], ['a', "b"], ('a',). */
char **
_mailsync_python_literal_list (const char *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *p = text;
  char close;

  skip_blanks (&p);
  if (*p != '[' && *p != '(')
    return NULL;
  close = *p == '[' ? ']' : ')';
  p++;
  skip_blanks (&p);
  while (*p != close)
    {
      g_autoptr(GString) item = g_string_new (NULL);

      if (!parse_py_string (&p, item))
        return NULL;
      g_strv_builder_add (builder, item->str);
      skip_blanks (&p);
      if (*p == ',')
        {
          p++;
          skip_blanks (&p);
        }
      else if (*p != close)
        return NULL;
    }
  p++;
  skip_blanks (&p);
  if (*p != '\0')
    return NULL;
  return g_strv_builder_end (builder);
}
