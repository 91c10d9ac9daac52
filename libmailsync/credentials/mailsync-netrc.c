#include "config.h"

#include "credentials/mailsync-netrc.h"
#include "mailsync-private.h"

#include <string.h>

/* Tokens are separated by whitespace; "machine" starts an entry, "default"
 * matches any host. Macros (macdef) are skipped up to a blank line. */
char *
mailsync_netrc_lookup (const char  *path,
                       const char  *host,
                       const char  *user,
                       char       **user_out)
{
  g_autofree char *default_path = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) tokens = NULL;
  gboolean in_entry = FALSE;
  g_autofree char *login = NULL;
  g_autofree char *password = NULL;

  if (path == NULL)
    path = default_path = g_build_filename (_mailsync_home_dir (), ".netrc", NULL);
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  {
    char *p = contents;
    /* Drop macro bodies: "macdef name" ... blank line. */
    while ((p = strstr (p, "macdef")) != NULL)
      {
        char *end = strstr (p, "\n\n");
        memset (p, ' ', end ? (gsize) (end - p) : strlen (p));
        if (end == NULL)
          break;
      }
  }
  tokens = g_regex_split_simple ("[ \t\r\n]+", contents, 0, 0);

  for (guint i = 0; tokens[i]; i++)
    {
      const char *t = tokens[i];

      if (g_str_equal (t, "machine") || g_str_equal (t, "default"))
        {
          /* The previous entry ends: did it match? */
          if (in_entry && password && (user == NULL || g_strcmp0 (login, user) == 0))
            break;
          g_clear_pointer (&login, g_free);
          g_clear_pointer (&password, g_free);
          in_entry = g_str_equal (t, "default") ||
                     (tokens[i + 1] && g_ascii_strcasecmp (tokens[i + 1], host) == 0);
          if (g_str_equal (t, "machine") && tokens[i + 1])
            i++;
        }
      else if (in_entry && g_str_equal (t, "login") && tokens[i + 1])
        login = g_strdup (tokens[++i]);
      else if (in_entry && g_str_equal (t, "password") && tokens[i + 1])
        password = g_strdup (tokens[++i]);
    }
  if (!in_entry || password == NULL || (user != NULL && g_strcmp0 (login, user) != 0))
    return NULL;
  if (user_out)
    *user_out = g_steal_pointer (&login);
  return g_steal_pointer (&password);
}
