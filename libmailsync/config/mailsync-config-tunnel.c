/* TLS with a preauthtunnel or transporttunnel from the configuration:
 * offlineimap's rule (a tunnel means no TLS), except where the file or
 * the tunnel's command line shows that TLS is wanted (doc/design.md
 * "Tunnels and TLS"). The command is read, never run. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "backends/imap/mailsync-imap-connection.h"

#include <string.h>

/* A port word: "993" or "imaps". Only the words where the reader knows a
 * port stands are asked (not ssh -p 993 or a bastion named imaps). */
static gboolean
names_tls_port (const char *port)
{
  return port != NULL && (strcmp (port, "993") == 0 || g_ascii_strcasecmp (port, "imaps") == 0);
}

static gboolean
is_loopback (const char *host)
{
  g_autofree char *name = g_ascii_strdown (host, -1);
  g_autoptr(GInetAddress) address = NULL;

  if (strcmp (name, "localhost") == 0 || g_str_has_suffix (name, ".localhost") ||
      strcmp (name, "localhost.localdomain") == 0 || strcmp (name, "ip6-localhost") == 0 ||
      strcmp (name, "ip6-loopback") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (name);
  return address != NULL && (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_any (address));
}

/* A hostname of RFC 1123 labels: the only command words a warning may
 * print besides an IP address (an option's value may be a password). */
static gboolean
is_hostname (const char *name)
{
  gsize label = 0, len = strlen (name);

  if (len == 0 || len > 253)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (*c == '.')
      {
        if (label == 0 || c[-1] == '-')
          return FALSE;
        label = 0;
      }
    else if (g_ascii_isalnum (*c) || (*c == '-' && label > 0))
      {
        if (++label > 63)
          return FALSE;
      }
    else
      return FALSE;
  return name[len - 1] != '-';
}

/* A relay in clear to @host (brackets of an IPv6 literal taken off):
 * keeps the first one that is not a loopback host, printed only as an IP
 * address or a hostname. */
static void
found_host (MailsyncConfigTunnel *view,
            const char           *host,
            gsize                 len)
{
  g_autofree char *name = NULL;

  if (host == NULL || len == 0 || view->relay_host != NULL)
    return;
  if (len > 2 && host[0] == '[' && host[len - 1] == ']')
    name = g_strndup (host + 1, len - 2);
  else
    name = g_strndup (host, len);
  if (*name == '\0' || is_loopback (name))
    return;
  if (g_hostname_is_ip_address (name) || is_hostname (name))
    view->relay_host = g_steal_pointer (&name);
  else
    view->relay_host = g_strdup ("another host");
}

/* "HOST:PORT" or "[V6]:PORT" (ssh -W, proxytunnel -d, openssl -connect). */
static void
found_pair (MailsyncConfigTunnel *view,
            const char           *pair,
            gboolean              relay)
{
  const char *colon = pair != NULL ? strrchr (pair, ':') : NULL;

  if (colon == NULL || colon == pair)
    return;
  if (names_tls_port (colon + 1))
    view->tls_port = TRUE;
  if (relay)
    found_host (view, pair, colon - pair);
}

static void read_stage (char **argv, MailsyncConfigTunnel *view, guint depth);

/* The shell marks of a command line outside quotes: a stage ends at
 * ; & | (a list or a pipe, each stage read), and a redirection's < >
 * become REDIRECT, so that a word with one is told from a quoted one. */
#define REDIRECT '\001'

static GPtrArray *
split_stages (const char *command)
{
  GPtrArray *stages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) stage = g_string_new (NULL);
  char quote = 0;

  for (const char *c = command; *c != '\0'; c++)
    {
      if (quote == 0 && strchr (";&|", *c) != NULL)
        {
          g_ptr_array_add (stages, g_strdup (stage->str));
          g_string_truncate (stage, 0);
          continue;
        }
      g_string_append_c (stage, quote == 0 && (*c == '<' || *c == '>') ? REDIRECT : *c);
      if (*c == '\\' && quote != '\'' && c[1] != '\0')
        g_string_append_c (stage, *++c);
      else if (quote == 0 && (*c == '\'' || *c == '"'))
        quote = *c;
      else if (*c == quote)
        quote = 0;
    }
  g_ptr_array_add (stages, g_string_free (g_steal_pointer (&stage), FALSE));
  return stages;
}

/* A stage's words without its redirections (2>/dev/null, > log: the file
 * too when it is the next word). */
static void
read_words (char              **words,
            MailsyncConfigTunnel *view,
            guint               depth)
{
  g_autoptr(GPtrArray) stage = g_ptr_array_new ();

  for (guint i = 0; words[i] != NULL; i++)
    if (strchr (words[i], REDIRECT) == NULL)
      g_ptr_array_add (stage, words[i]);
    else if (words[i][strspn (words[i], "0123456789&\001")] == '\0' && words[i + 1] != NULL)
      i++;
  g_ptr_array_add (stage, NULL);
  read_stage ((char **) stage->pdata, view, depth);
}

/* A string that a shell runs (the tunnel itself, sh -c, ssh's remote
 * command). A stage that does not parse is not read. */
static void
read_command (const char         *command,
              MailsyncConfigTunnel *view,
              guint               depth)
{
  g_autoptr(GPtrArray) stages = NULL;

  if (depth >= 4)
    {
      view->unknown = TRUE;
      return;
    }
  stages = split_stages (command);
  for (guint i = 0; i < stages->len; i++)
    {
      g_auto(GStrv) argv = NULL;
      g_autoptr(GError) error = NULL;

      if (g_shell_parse_argv (g_ptr_array_index (stages, i), NULL, &argv, &error))
        read_words (argv, view, depth + 1);
      else if (!g_error_matches (error, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING))
        view->unknown = TRUE;
    }
}

/* Options of @argv from @i on: the index of the first word that is not
 * one, the values of those in @with_value (short letters, "-x"; long
 * names, "--name") skipped. */
static guint
skip_options (char              **argv,
              guint               i,
              const char *const  *with_value)
{
  for (; argv[i] != NULL && argv[i][0] == '-' && argv[i][1] != '\0'; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        return i + 1;
      if (strchr (argv[i], '=') != NULL && argv[i][1] == '-')
        continue;
      if (g_strv_contains (with_value, argv[i]) && argv[i + 1] != NULL)
        i++;
    }
  return i;
}

/* nc (OpenBSD, traditional, busybox), ncat, netcat, telnet: HOST PORT
 * after the options; corkscrew PROXY PROXYPORT HOST PORT. */
static void
read_netcat (char              **argv,
             MailsyncConfigTunnel *view,
             gboolean             corkscrew)
{
  static const char *const with_value[] = {
    "-I", "-i", "-M", "-m", "-O", "-P", "-p", "-q", "-s", "-T", "-V", "-w", "-X", "-x", "-e", "-c", "-d", "-o",
    "-b", "-l", "-n", "-g", "-G", "--proxy", "--proxy-auth", "--proxy-type", "--proxy-dns", "--sh-exec", "--exec",
    "--lua-exec", "--source-port", "--source", "--wait", "--idle-timeout", "--delay", "--max-conns", "--output",
    "--hex-dump", "--ssl-cert", "--ssl-key", "--ssl-trustfile", "--ssl-ciphers", "--ssl-servername", "--ssl-alpn",
    "--allow", "--allowfile", "--deny", "--denyfile", "--append-output", NULL,
  };
  const char *positional[4] = { NULL, NULL, NULL, NULL };
  gboolean ssl = FALSE, verify = FALSE;
  guint n = 0;

  for (guint i = 1; argv[i] != NULL;)
    {
      guint next = skip_options (argv, i, with_value);

      for (guint o = i; o < next; o++)
        if (strcmp (argv[o], "-U") == 0 || strcmp (argv[o], "--unixsock") == 0)
          {
            view->endpoint = TRUE;      /* a Unix socket: a local server */
            return;
          }
        else if (strcmp (argv[o], "--ssl") == 0 || strcmp (argv[o], "-ssl") == 0)
          ssl = TRUE;
        else if (strcmp (argv[o], "--ssl-verify") == 0)
          verify = TRUE;                /* implies --ssl */
      if (argv[next] == NULL)
        break;
      if (n < G_N_ELEMENTS (positional))
        positional[n++] = argv[next];
      i = next + 1;
    }
  view->endpoint = TRUE;
  if (ssl || verify)
    {
      view->tls_inside = TRUE;
      view->tls_unchecked |= !verify;
      return;
    }
  if (corkscrew)
    {
      if (names_tls_port (positional[3]))
        view->tls_port = TRUE;
      if (positional[2] != NULL)
        found_host (view, positional[2], strlen (positional[2]));
      return;
    }
  if (names_tls_port (positional[1]))
    view->tls_port = TRUE;
  if (positional[0] != NULL)
    found_host (view, positional[0], strlen (positional[0]));
}

/* ":"-separated fields of a socat address, an IPv6 literal in brackets
 * kept whole. */
static GPtrArray *
socat_fields (const char *address)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  const char *start = address;
  guint bracket = 0;

  for (const char *c = address;; c++)
    if (*c == '[')
      bracket++;
    else if (*c == ']' && bracket > 0)
      bracket--;
    else if (*c == '\0' || (*c == ':' && bracket == 0))
      {
        g_ptr_array_add (fields, g_strndup (start, c - start));
        if (*c == '\0')
          return fields;
        start = c + 1;
      }
}

/* socat's addresses, matched by type prefix: TCP:HOST:PORT (TCP4, TCP6,
 * TCP-CONNECT, TCP4-CONNECT...), PROXY:SERVER:HOST:PORT and
 * SOCKS4:SERVER:HOST:PORT (SOCKS4A, PROXY-CONNECT...), SOCKS5-CONNECT:
 * SERVER:SERVERPORT:HOST:PORT; OPENSSL (or SSL) makes the TLS itself,
 * checked unless verify=0. */
static void
read_socat (char              **argv,
            MailsyncConfigTunnel *view)
{
  for (guint i = 1; argv[i] != NULL; i++)
    {
      gsize len = strcspn (argv[i], ",");
      g_autofree char *address = g_strndup (argv[i], len);
      g_autoptr(GPtrArray) fields = socat_fields (address);
      g_autofree char *type = g_ascii_strup (g_ptr_array_index (fields, 0), -1);
      g_auto(GStrv) options = g_strsplit (argv[i] + len, ",", -1);
      guint n = fields->len, host = 0;

      if (*type == '\0' || (argv[i][0] == '-' && n == 1))
        continue;
      if (g_str_has_prefix (type, "OPENSSL") || g_str_has_prefix (type, "SSL"))
        {
          view->tls_inside = TRUE;
          view->endpoint = TRUE;
          for (guint o = 0; options[o] != NULL; o++)
            if (g_ascii_strcasecmp (options[o], "verify=0") == 0 || g_ascii_strcasecmp (options[o], "verify=false") == 0)
              view->tls_unchecked = TRUE;
          continue;
        }
      if (g_str_has_prefix (type, "TCP") && n >= 3)
        host = 1;
      else if (g_str_has_prefix (type, "SOCKS5") && n >= 5)
        host = 3;
      else if ((g_str_has_prefix (type, "SOCKS") || g_str_has_prefix (type, "PROXY")) && n >= 4)
        host = 2;
      else if (g_str_has_prefix (type, "UNIX") || g_str_has_prefix (type, "EXEC") || g_str_has_prefix (type, "SYSTEM"))
        view->unknown |= !g_str_has_prefix (type, "UNIX");
      if (host == 0)
        continue;
      view->endpoint = TRUE;
      if (names_tls_port (g_ptr_array_index (fields, n - 1)))
        view->tls_port = TRUE;
      found_host (view, g_ptr_array_index (fields, host), strlen (g_ptr_array_index (fields, host)));
    }
}

/* proxytunnel -d HOST:PORT (-dHOST:PORT, --dest HOST:PORT, --dest=...) */
static void
read_proxytunnel (char              **argv,
                  MailsyncConfigTunnel *view)
{
  for (guint i = 1; argv[i] != NULL; i++)
    {
      const char *dest = NULL;

      if ((strcmp (argv[i], "-d") == 0 || strcmp (argv[i], "--dest") == 0) && argv[i + 1] != NULL)
        dest = argv[++i];
      else if (g_str_has_prefix (argv[i], "--dest="))
        dest = argv[i] + strlen ("--dest=");
      else if (g_str_has_prefix (argv[i], "-d"))
        dest = argv[i] + 2;
      if (dest != NULL)
        {
          view->endpoint = TRUE;
          found_pair (view, dest, TRUE);
        }
    }
}

/* ssh -o's RemoteCommand value ("RemoteCommand=cmd", "RemoteCommand cmd"),
 * or NULL. */
static const char *
remote_command_option (const char *option)
{
  gsize len = strlen ("RemoteCommand");

  if (g_ascii_strncasecmp (option, "RemoteCommand", len) != 0 || strchr ("= \t", option[len]) == NULL ||
      option[len] == '\0')
    return NULL;
  return option + len + strspn (option + len, "= \t");
}

/* ssh: -W HOST:PORT forwards in clear from the ssh server to HOST; the
 * remote command (or -o RemoteCommand=) runs there (nc HOST PORT is a
 * relay again). -J and ProxyCommand are not: ssh's own encryption runs
 * through them to the destination. Neither -W nor a command: what runs
 * comes from ssh_config (an alias), unknown here. */
static void
read_ssh (char              **argv,
          MailsyncConfigTunnel *view,
          guint               depth)
{
  static const char with_value[] = "BbcDEeFIiJLlmOoPpQRSWw";
  const char *remote_option = NULL;
  gboolean destination = FALSE, forward = FALSE;
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
              {
                forward = TRUE;
                found_pair (view, value, TRUE);
              }
            else if (*c == 'o' && value != NULL && remote_command_option (value) != NULL)
              remote_option = remote_command_option (value);
            break;
          }
    }
  if (forward)
    view->endpoint = TRUE;
  else if (argv[i] != NULL)
    {
      g_autofree char *remote = g_strjoinv (" ", argv + i);

      read_command (remote, view, depth);
    }
  else if (remote_option != NULL)
    read_command (remote_option, view, depth);
  else
    view->unknown = TRUE;
}

/* sh -c CMD, bash -lc CMD, sh -e -c CMD: the command, or NULL (a script). */
static const char *
shell_command (char **argv)
{
  gboolean c = FALSE;

  for (guint i = 1; argv[i] != NULL; i++)
    if (argv[i][0] == '-' && argv[i][1] != '-' && argv[i][1] != '\0')
      c |= strchr (argv[i] + 1, 'c') != NULL;
    else if (argv[i][0] == '+' || (argv[i][0] == '-' && argv[i][1] == '-'))
      continue;
    else
      return c ? argv[i] : NULL;
  return NULL;
}

/* Programs that run the rest of their words, with the options of theirs
 * that take a value (timeout also takes a DURATION first). */
static const struct {
  const char *name;
  const char *with_value[8];
} wrappers[] = {
  { "exec", { "-a" } },
  { "command", { NULL } },
  { "nohup", { NULL } },
  { "setsid", { NULL } },
  { "env", { "-u", "-C", "--unset", "--chdir" } },
  { "nice", { "-n", "--adjustment" } },
  { "ionice", { "-c", "-n", "-p", "-P", "-u", "--class", "--classdata" } },
  { "timeout", { "-s", "-k", "--signal", "--kill-after" } },
  { "stdbuf", { "-i", "-o", "-e", "--input", "--output", "--error" } },
  { "sudo", { "-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t" } },
  { "doas", { "-u", "-C" } },
};

/* Programs that carry the IMAP stream no further (an IMAP server) or do
 * nothing to it (a list's "cd /;"). */
static const char *const endpoints[] = { "imap", "imapd", "rimapd", "dovecot", NULL };
static const char *const neutral[] = { "cd", "true", ":", "umask", "export", "set", "ulimit", NULL };

static void
read_stage (char              **argv,
            MailsyncConfigTunnel *view,
            guint               depth)
{
  g_autofree char *name = NULL;
  const char *command;

  /* VAR=value before a command (a shell's, or env's) */
  while (argv[0] != NULL && argv[0][0] != '=' && strchr (argv[0], '=') != NULL)
    argv++;
  if (argv[0] == NULL)
    return;
  name = g_path_get_basename (argv[0]);
  for (guint w = 0; w < G_N_ELEMENTS (wrappers); w++)
    if (strcmp (name, wrappers[w].name) == 0)
      {
        guint i = skip_options (argv, 1, wrappers[w].with_value);

        /* env -S 'CMD ARGS': a command line */
        for (guint o = 1; o < i; o++)
          if (strcmp (argv[o], "-S") == 0 && argv[o + 1] != NULL)
            {
              read_command (argv[o + 1], view, depth);
              return;
            }
        if (strcmp (name, "timeout") == 0 && argv[i] != NULL)
          i++;
        read_stage (argv + i, view, depth);
        return;
      }
  if (strcmp (name, "busybox") == 0)
    read_stage (argv + 1, view, depth);
  else if (strcmp (name, "sh") == 0 || strcmp (name, "bash") == 0 || strcmp (name, "dash") == 0 ||
           strcmp (name, "zsh") == 0 || strcmp (name, "ksh") == 0 || strcmp (name, "mksh") == 0)
    {
      if ((command = shell_command (argv)) != NULL)
        read_command (command, view, depth);
      else
        view->unknown = TRUE;
    }
  else if (strcmp (name, "ssh") == 0)
    read_ssh (argv, view, depth);
  else if (strcmp (name, "nc") == 0 || strcmp (name, "ncat") == 0 || strcmp (name, "netcat") == 0 ||
           strcmp (name, "telnet") == 0 || g_str_has_prefix (name, "nc.") || g_str_has_prefix (name, "netcat."))
    read_netcat (argv, view, FALSE);
  else if (strcmp (name, "corkscrew") == 0)
    read_netcat (argv, view, TRUE);
  else if (strcmp (name, "socat") == 0)
    read_socat (argv, view);
  else if (strcmp (name, "proxytunnel") == 0)
    read_proxytunnel (argv, view);
  else if (strcmp (name, "openssl") == 0 && argv[1] != NULL && strcmp (argv[1], "s_client") == 0)
    {
      /* s_client reports a bad certificate and goes on, unless told */
      view->tls_inside = view->endpoint = TRUE;
      view->tls_unchecked |= !g_strv_contains ((const char *const *) argv, "-verify_return_error");
    }
  else if (strcmp (name, "gnutls-cli") == 0)
    {
      view->tls_inside = view->endpoint = TRUE;
      view->tls_unchecked |= g_strv_contains ((const char *const *) argv, "--insecure") ||
                             g_strv_contains ((const char *const *) argv, "--no-ca-verification");
    }
  else if (g_strv_contains (endpoints, name))
    view->endpoint = TRUE;
  else if (!g_strv_contains (neutral, name))
    view->unknown = TRUE;
}

void
_mailsync_config_tunnel_read (const char         *command,
                              MailsyncConfigTunnel *view)
{
  memset (view, 0, sizeof *view);
  read_command (command, view, 0);
}

void
_mailsync_config_tunnel_clear (MailsyncConfigTunnel *view)
{
  g_clear_pointer (&view->relay_host, g_free);
}

/* The rule of doc/design.md "Tunnels and TLS", on the ssl and starttls
 * the file gave (or defaulted): @key is "preauthtunnel" or
 * "transporttunnel", @command its value; @port_993: a Gmail repository
 * (IMAP on 993 only) or remoteport = 993 written. FALSE: a relay in clear
 * to another host with ssl = yes or starttls = yes written. */
gboolean
_mailsync_config_tunnel_security (MailsyncConfig *self,
                                  const char     *section,
                                  const char     *key,
                                  const char     *command,
                                  gboolean        port_993,
                                  gboolean       *ssl,
                                  gboolean       *starttls,
                                  GError        **error)
{
  /* Unused without TLS. Not remotehost: it still names the server in
   * messages and the netrc and keyring entries. */
  static const char *const tls_only[] = {
    "cert_fingerprint", "sslcacertfile", "sslclientcert", "sslclientkey", "tls_level", "ssl_version",
  };
  gboolean preauth = strcmp (key, "preauthtunnel") == 0;
  gboolean ssl_written = *ssl && _mailsync_config_has (self, section, "ssl");
  gboolean starttls_written = *starttls && _mailsync_config_has (self, section, "starttls");
  g_auto(MailsyncConfigTunnel) view = { 0 };

  _mailsync_config_tunnel_read (command, &view);
  if (view.tls_inside && view.tls_unchecked)
    _mailsync_config_warn (self, section, key, "the TLS that its command makes checks no certificate (openssl "
                           "s_client without -verify_return_error, ncat --ssl without --ssl-verify, socat "
                           "verify=0, gnutls-cli --insecure)");
  /* ssl off (written: the default is on): STARTTLS as starttls says, as
   * before (a preauthtunnel never gets it: the backend skips it after
   * PREAUTH). */
  if (!preauth && !*ssl)
    return TRUE;
  /* Here a transporttunnel has ssl on (written or the default). */
  if (!preauth && (view.tls_port || port_993) && !view.tls_inside)
    {
      g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "%s: TLS through the transporttunnel: %s", section,
             view.tls_port ? "its command names port 993" : "port 993 (remoteport, or a Gmail repository)");
      return TRUE;
    }
  /* A login in clear past the tunnel that the file asked to encrypt:
   * nobody reads a cron job's warnings. */
  if (!preauth && view.relay_host != NULL && !view.tls_inside && (ssl_written || starttls_written) &&
      !(!*starttls && _mailsync_config_has (self, section, "starttls")))
    return _mailsync_config_error (self, section, key, MAILSYNC_ERROR_INVALID_CONFIG, error,
                                   "the connection from the tunnel to %s is not encrypted: set ssl = no to "
                                   "require STARTTLS, or starttls = no for clear text", view.relay_host);

  if (ssl_written)
    _mailsync_config_warn (self, section, "ssl", "not used with %s: no TLS through it, as in offlineimap%s", key,
                           preauth ? "" : " (TLS only through a tunnel whose command names port 993, or with "
                                          "remoteport = 993; ssl = no requires STARTTLS)");
  if (starttls_written)
    _mailsync_config_warn (self, section, "starttls", "not used with %s: %s", key,
                           preauth ? "a PREAUTH greeting is logged in already, STARTTLS is not possible"
                                   : "no STARTTLS through it unless ssl = no (as in offlineimap)");
  *ssl = FALSE;
  *starttls = FALSE;
  if (view.relay_host != NULL && !view.tls_inside)
    _mailsync_config_warn (self, section, key, "the connection from the tunnel to %s is not encrypted%s",
                           view.relay_host, preauth ? " (a preauthtunnel has no STARTTLS)"
                                                    : "; set ssl = no to require STARTTLS");
  else if (!preauth && !view.tls_inside && (view.unknown || !view.endpoint) && (ssl_written || starttls_written))
    _mailsync_config_warn (self, section, key, "cannot tell whether the connection past the tunnel is encrypted "
                           "(its command is not one read here); set ssl = no to require STARTTLS");
  for (guint i = 0; i < G_N_ELEMENTS (tls_only); i++)
    if (_mailsync_config_has (self, section, tls_only[i]))
      _mailsync_config_warn (self, section, tls_only[i], "not used: no TLS through the %s", key);
  g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "%s: no TLS through the %s (as in offlineimap)%s", section,
         key, view.tls_inside ? ": its command makes TLS itself" : "");
  return TRUE;
}
