/* RFC 5322 dates (moved verbatim from the Maildir backend, issue 14 item 3:
 * the engine reads an upload's Date: header too): the parser, and the
 * lookup of one header field in a header block. */
#include "config.h"

#include "mailsync-private.h"

#include <string.h>

/* RFC 5322 date parsing ------------------------------------------------ */

static void
skip_cfws (const char **p)
{
  for (;;)
    {
      while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')
        (*p)++;
      if (**p == '(')
        {
          int depth = 0;

          do
            {
              if (**p == '(')
                depth++;
              else if (**p == ')')
                depth--;
              else if (**p == '\\' && (*p)[1] != '\0')
                (*p)++;
              (*p)++;
            }
          while (**p != '\0' && depth > 0);
          continue;
        }
      break;
    }
}

static gboolean
read_number (const char **p,
             guint        max_digits,
             int         *out,
             guint       *n_digits)
{
  int v = 0;
  guint n = 0;

  while (g_ascii_isdigit (**p) && n < max_digits)
    {
      v = v * 10 + (**p - '0');
      (*p)++;
      n++;
    }
  if (n == 0)
    return FALSE;
  *out = v;
  if (n_digits)
    *n_digits = n;
  return TRUE;
}

gboolean
_mailsync_parse_rfc5322_date (const char *value,
                              gint64     *out)
{
  static const char *const months[] = {
    "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec",
  };
  static const struct { const char *name; int hours; } zones[] = {
    { "ut", 0 }, { "gmt", 0 }, { "utc", 0 }, { "z", 0 },
    { "edt", -4 }, { "est", -5 }, { "cdt", -5 }, { "cst", -6 },
    { "mdt", -6 }, { "mst", -7 }, { "pdt", -7 }, { "pst", -8 },
  };
  const char *p = value;
  int day, month = -1, year, hour, minute, second = 0;
  guint year_digits;
  int offset = 0;
  g_autoptr(GDateTime) dt = NULL;

  if (value == NULL)
    return FALSE;

  skip_cfws (&p);
  /* Optional day of week. */
  if (g_ascii_isalpha (*p))
    {
      while (g_ascii_isalpha (*p))
        p++;
      skip_cfws (&p);
      if (*p == ',')
        p++;
      skip_cfws (&p);
    }
  if (!read_number (&p, 2, &day, NULL))
    return FALSE;
  skip_cfws (&p);
  for (guint i = 0; i < G_N_ELEMENTS (months); i++)
    if (g_ascii_strncasecmp (p, months[i], 3) == 0)
      {
        month = (int) i + 1;
        break;
      }
  if (month < 0)
    return FALSE;
  while (g_ascii_isalpha (*p))
    p++;
  skip_cfws (&p);
  if (!read_number (&p, 4, &year, &year_digits))
    return FALSE;
  /* RFC 5322 §4.3: two-digit years 00-49 are 20xx, 50-99 are 19xx. */
  if (year_digits <= 2)
    year += year < 50 ? 2000 : 1900;
  else if (year_digits == 3)
    year += 1900;
  skip_cfws (&p);
  if (!read_number (&p, 2, &hour, NULL))
    return FALSE;
  skip_cfws (&p);
  if (*p++ != ':')
    return FALSE;
  skip_cfws (&p);
  if (!read_number (&p, 2, &minute, NULL))
    return FALSE;
  skip_cfws (&p);
  if (*p == ':')
    {
      p++;
      skip_cfws (&p);
      if (!read_number (&p, 2, &second, NULL))
        return FALSE;
      skip_cfws (&p);
    }
  if (*p == '+' || *p == '-')
    {
      int sign = *p == '-' ? -1 : 1;
      int hhmm;
      guint n;

      p++;
      if (!read_number (&p, 4, &hhmm, &n) || n != 4)
        return FALSE;
      if (hhmm % 100 > 59)
        return FALSE;
      offset = sign * ((hhmm / 100) * 3600 + (hhmm % 100) * 60);
    }
  else if (g_ascii_isalpha (*p))
    {
      /* Named zones; unknown (military) zones mean "unknown", i.e. +0000. */
      for (guint i = 0; i < G_N_ELEMENTS (zones); i++)
        {
          gsize len = strlen (zones[i].name);

          if (g_ascii_strncasecmp (p, zones[i].name, len) == 0 && !g_ascii_isalpha (p[len]))
            {
              offset = zones[i].hours * 3600;
              break;
            }
        }
    }

  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return FALSE;
  if (second == 60)
    second = 59;  /* leap second: GDateTime refuses 60 */

  dt = g_date_time_new_utc (year, month, day, hour, minute, second);
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix (dt) - offset;
  return TRUE;
}

gboolean
_mailsync_header_date (const char *headers,
                       const char *field,
                       gint64     *out)
{
  gsize field_len = strlen (field);
  const char *line = headers;

  while (line != NULL && *line != '\0' && *line != '\n')
    {
      const char *eol = strchr (line, '\n');

      if (g_ascii_strncasecmp (line, field, field_len) == 0 && line[field_len] == ':')
        {
          GString *value = g_string_new (NULL);
          const char *p = line + field_len + 1;
          g_autofree char *joined = NULL;

          /* Unfold: continuation lines start with a space or a tab. */
          for (;;)
            {
              const char *end = eol ? eol : p + strlen (p);

              g_string_append_len (value, p, end - p);
              g_string_append_c (value, ' ');
              if (eol == NULL || (eol[1] != ' ' && eol[1] != '\t'))
                break;
              p = eol + 1;
              eol = strchr (p, '\n');
            }
          joined = g_string_free (value, FALSE);
          return _mailsync_parse_rfc5322_date (joined, out);
        }
      line = eol ? eol + 1 : NULL;
    }
  return FALSE;
}
