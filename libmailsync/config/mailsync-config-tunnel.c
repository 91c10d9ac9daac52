/* TLS with a preauthtunnel or transporttunnel from the configuration:
 * offlineimap's rule (a tunnel means no TLS), except where the file or
 * the tunnel's command line shows that TLS is wanted (doc/design.md
 * "Tunnels and TLS"). The command is read, never run. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "backends/imap/mailsync-imap-connection.h"

#include <string.h>

/* A word that names port 993: "993", "imaps", or ":993" / ":imaps" at
 * its end or before an option (",", socat's), a path ("/") or a
 * bracket. */
static gboolean
names_tls_port (const char *word)
{
  static const char *const ports[] = { "993", "imaps" };

  for (guint i = 0; i < G_N_ELEMENTS (ports); i++)
    {
      gsize len = strlen (ports[i]);

      if (g_ascii_strcasecmp (word, ports[i]) == 0)
        return TRUE;
      for (const char *p = strchr (word, ':'); p != NULL; p = strchr (p + 1, ':'))
        if (g_ascii_strncasecmp (p + 1, ports[i], len) == 0 && strchr (",/]", p[1 + len]) != NULL)
          return TRUE;
    }
  return FALSE;
}

/* Any word of the command, quoted or inside a "sh -c" or an ssh remote
 * command, split where a shell would split it. */
static gboolean
command_names_tls_port (const char *command)
{
  g_auto(GStrv) words = g_strsplit_set (command, " \t\n'\"\\;|&()<>=", -1);

  for (guint i = 0; words[i] != NULL; i++)
    if (names_tls_port (words[i]))
      return TRUE;
  return FALSE;
}

static gboolean
is_loopback (const char *host)
{
  g_autofree char *name = g_ascii_strdown (host, -1);
  gsize len = strlen (name);
  g_autoptr(GInetAddress) address = NULL;

  if (len > 2 && name[0] == '[' && name[len - 1] == ']')
    {
      memmove (name, name + 1, len - 2);
      name[len - 2] = '\0';
    }
  if (strcmp (name, "localhost") == 0 || g_str_has_suffix (name, ".localhost") ||
      strcmp (name, "localhost.localdomain") == 0 || strcmp (name, "ip6-localhost") == 0 ||
      strcmp (name, "ip6-loopback") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (name);
  return address != NULL && (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_any (address));
}

/* HOST of "HOST:PORT" or "[HOST]:PORT" (ssh -W, proxytunnel -d), or
 * NULL. */
static char *
host_of_pair (const char *pair)
{
  const char *colon = strrchr (pair, ':');

  if (colon == NULL || colon == pair)
    return NULL;
  return g_strndup (pair, colon - pair);
}

/* Keeps the first relay host found that is not a loopback one. */
static void
found_host (MailsyncConfigTunnel *view,
            char               *host)
{
  if (host != NULL && *host != '\0' && view->relay_host == NULL && !is_loopback (host))
    view->relay_host = host;
  else
    g_free (host);
}

static void read_stage (char **argv, MailsyncConfigTunnel *view, guint depth);

/* A string that a shell runs (sh -c, ssh's remote command). */
static void
read_command (const char         *command,
              MailsyncConfigTunnel *view,
              guint               depth)
{
  g_auto(GStrv) argv = NULL;

  if (depth < 4 && g_shell_parse_argv (command, NULL, &argv, NULL))
    read_stage (argv, view, depth + 1);
}

/* nc, ncat, netcat, telnet, corkscrew: the target is the last two words
 * that are not options, HOST PORT (an option's value, such as nc's "-x
 * proxy:port", comes before them). */
static void
read_netcat (char              **argv,
             MailsyncConfigTunnel *view)
{
  const char *words[2] = { NULL, NULL };

  for (guint i = 1; argv[i] != NULL; i++)
    {
      if (strcmp (argv[i], "--ssl") == 0 || strcmp (argv[i], "-ssl") == 0)
        view->tls_inside = TRUE;        /* ncat's own TLS */
      else if (strcmp (argv[i], "-U") == 0)
        return;                         /* a Unix socket */
      if (argv[i][0] != '-')
        {
          words[0] = words[1];
          words[1] = argv[i];
        }
    }
  if (words[0] != NULL)
    found_host (view, g_strdup (words[0]));
}

/* socat's two addresses: TCP:HOST:PORT (TCP4, TCP6, TCP-CONNECT),
 * SOCKS4:SERVER:HOST:PORT (SOCKS4A), PROXY:SERVER:HOST:PORT; OPENSSL
 * (or SSL) makes the TLS itself. */
static void
read_socat (char              **argv,
            MailsyncConfigTunnel *view)
{
  for (guint i = 1; argv[i] != NULL; i++)
    {
      g_autofree char *address = g_strndup (argv[i], strcspn (argv[i], ","));
      g_auto(GStrv) fields = g_strsplit (address, ":", -1);
      g_autofree char *type = g_ascii_strup (fields[0], -1);
      guint n = g_strv_length (fields);

      if (argv[i][0] == '-' && n == 1)
        continue;
      if (g_str_has_prefix (type, "OPENSSL") || strcmp (type, "SSL") == 0)
        view->tls_inside = TRUE;
      else if ((strcmp (type, "TCP") == 0 || strcmp (type, "TCP4") == 0 || strcmp (type, "TCP6") == 0 ||
                strcmp (type, "TCP-CONNECT") == 0) && n >= 3)
        found_host (view, g_strdup (fields[1]));
      else if ((g_str_has_prefix (type, "SOCKS") || strcmp (type, "PROXY") == 0) && n >= 4)
        found_host (view, g_strdup (fields[2]));
    }
}

/* proxytunnel -d HOST:PORT (--dest HOST:PORT, --dest=HOST:PORT) */
static void
read_proxytunnel (char              **argv,
                  MailsyncConfigTunnel *view)
{
  for (guint i = 1; argv[i] != NULL; i++)
    {
      if ((strcmp (argv[i], "-d") == 0 || strcmp (argv[i], "--dest") == 0) && argv[i + 1] != NULL)
        found_host (view, host_of_pair (argv[i + 1]));
      else if (g_str_has_prefix (argv[i], "--dest="))
        found_host (view, host_of_pair (argv[i] + strlen ("--dest=")));
    }
}

/* ssh: -W HOST:PORT forwards in clear from the ssh server to HOST; the
 * remote command runs there (nc HOST PORT is a relay again). -J and
 * ProxyCommand are not: ssh's own encryption runs through them to the
 * destination. */
static void
read_ssh (char              **argv,
          MailsyncConfigTunnel *view,
          guint               depth)
{
  static const char with_value[] = "BbcDEeFIiJLlmOoPpQRSWw";
  gboolean destination = FALSE;
  guint i;

  for (i = 1; argv[i] != NULL; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--") == 0)
        {
          i++;
          if (!destination && argv[i] != NULL)
            {
              destination = TRUE;
              i++;
            }
          break;
        }
      if (arg[0] != '-' || arg[1] == '\0')
        {
          if (destination)
            break;
          destination = TRUE;
          continue;
        }
      for (const char *c = arg + 1; *c != '\0'; c++)
        if (strchr (with_value, *c) != NULL)
          {
            const char *value = c[1] != '\0' ? c + 1 : argv[i + 1];

            if (c[1] == '\0' && argv[i + 1] != NULL)
              i++;
            if (*c == 'W' && value != NULL)
              found_host (view, host_of_pair (value));
            break;
          }
    }
  if (argv[i] != NULL)
    {
      g_autofree char *remote = g_strjoinv (" ", argv + i);

      read_command (remote, view, depth);
    }
}

static void
read_stage (char              **argv,
            MailsyncConfigTunnel *view,
            guint               depth)
{
  g_autofree char *name = NULL;

  if (argv[0] == NULL)
    return;
  name = g_path_get_basename (argv[0]);
  /* exec, env and nice run the rest (env's VAR=value and options left out) */
  if (strcmp (name, "exec") == 0 || strcmp (name, "env") == 0 || strcmp (name, "nice") == 0 ||
      strcmp (name, "nohup") == 0)
    {
      guint i = 1;

      while (argv[i] != NULL && (argv[i][0] == '-' || strchr (argv[i], '=') != NULL))
        i++;
      read_stage (argv + i, view, depth);
    }
  else if (strcmp (name, "sh") == 0 || strcmp (name, "bash") == 0 || strcmp (name, "dash") == 0 ||
           strcmp (name, "zsh") == 0)
    {
      for (guint i = 1; argv[i] != NULL && argv[i + 1] != NULL; i++)
        if (strcmp (argv[i], "-c") == 0)
          {
            read_command (argv[i + 1], view, depth);
            break;
          }
    }
  else if (strcmp (name, "ssh") == 0)
    read_ssh (argv, view, depth);
  else if (strcmp (name, "nc") == 0 || strcmp (name, "ncat") == 0 || strcmp (name, "netcat") == 0 ||
           strcmp (name, "telnet") == 0 || strcmp (name, "corkscrew") == 0)
    read_netcat (argv, view);
  else if (strcmp (name, "socat") == 0)
    read_socat (argv, view);
  else if (strcmp (name, "proxytunnel") == 0)
    read_proxytunnel (argv, view);
  else if ((strcmp (name, "openssl") == 0 && argv[1] != NULL && strcmp (argv[1], "s_client") == 0) ||
           strcmp (name, "gnutls-cli") == 0)
    view->tls_inside = TRUE;
}

void
_mailsync_config_tunnel_read (const char         *command,
                            MailsyncConfigTunnel *view)
{
  memset (view, 0, sizeof *view);
  view->tls_port = command_names_tls_port (command);
  read_command (command, view, 0);
}

void
_mailsync_config_tunnel_clear (MailsyncConfigTunnel *view)
{
  g_clear_pointer (&view->relay_host, g_free);
}

/* The rule of doc/design.md "Tunnels and TLS", on the ssl and starttls
 * the file gave (or defaulted): @key is "preauthtunnel" or
 * "transporttunnel", @command its value. */
void
_mailsync_config_tunnel_security (MailsyncConfig *self,
                                  const char     *section,
                                  const char     *key,
                                  const char     *command,
                                  gboolean       *ssl,
                                  gboolean       *starttls)
{
  /* Unused without TLS. Not remotehost: it still names the server in
   * messages and the netrc and keyring entries. */
  static const char *const tls_only[] = {
    "cert_fingerprint", "sslcacertfile", "sslclientcert", "sslclientkey", "tls_level", "ssl_version",
  };
  gboolean preauth = strcmp (key, "preauthtunnel") == 0;
  MailsyncConfigTunnel view;

  /* ssl off (written: the default is on): STARTTLS as starttls says, as
   * before (a preauthtunnel never gets it: the backend skips it after
   * PREAUTH). */
  if (!preauth && !*ssl)
    return;
  /* Here a transporttunnel has ssl on (written or the default). */
  _mailsync_config_tunnel_read (command, &view);
  if (!preauth && view.tls_port && !view.tls_inside)
    {
      g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
             "%s: TLS through the transporttunnel: its command names port 993", section);
      _mailsync_config_tunnel_clear (&view);
      return;
    }

  if (*ssl && _mailsync_config_has (self, section, "ssl"))
    _mailsync_config_warn (self, section, "ssl", "not used with %s: no TLS through it, as in offlineimap%s", key,
                           preauth ? "" : " (TLS only through a tunnel whose command names port 993; ssl = no "
                                          "requires STARTTLS)");
  if (*starttls && _mailsync_config_has (self, section, "starttls"))
    _mailsync_config_warn (self, section, "starttls", "not used with %s: %s", key,
                           preauth ? "a PREAUTH greeting is logged in already, STARTTLS is not possible"
                                   : "no STARTTLS through it unless ssl = no (as in offlineimap)");
  *ssl = FALSE;
  *starttls = FALSE;
  if (view.relay_host != NULL && !view.tls_inside)
    _mailsync_config_warn (self, section, key, "the connection from the tunnel to %s is not encrypted%s",
                           view.relay_host, preauth ? " (a preauthtunnel has no STARTTLS)"
                                                    : "; set ssl = no to require STARTTLS");
  for (guint i = 0; i < G_N_ELEMENTS (tls_only); i++)
    if (_mailsync_config_has (self, section, tls_only[i]))
      _mailsync_config_warn (self, section, tls_only[i], "not used: no TLS through the %s", key);
  g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "%s: no TLS through the %s (as in offlineimap)%s", section,
         key, view.tls_inside ? ": its command makes TLS itself" : "");
  _mailsync_config_tunnel_clear (&view);
}
