/* The peak RSS floor of a C mail tool's libraries (issue 13 item 4), for
 * bench/rss-floor: setlocale(), connect to a TLS server on
 * 127.0.0.1:PORT and handshake, verifying its certificate against CA,
 * then write a 1,000-row SQLite table in WAL mode; print VmHWM. What is
 * linked and used is chosen with -D: USE_GIO (GLib, GObject, GIO: a
 * GSocketClient without proxy look-up connects, as mailsync's does),
 * USE_GNUTLS (mailsync's TLS), USE_OPENSSL (mbsync's), USE_SQLITE
 * (mailsync's default status). FLOOR_SMAPS=FILE saves /proc/PID/smaps at
 * the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#ifdef USE_GIO
#include <gio/gio.h>
#endif
#ifdef USE_GNUTLS
#include <gnutls/gnutls.h>
#endif
#ifdef USE_OPENSSL
#include <openssl/ssl.h>
#endif
#ifdef USE_SQLITE
#include <sqlite3.h>
#endif

static void hwm (const char *what)
{
  char line[256];
  FILE *f = fopen ("/proc/self/status", "r");
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "VmHWM", 5) == 0)
      printf ("%s %s", what, line);
  fclose (f);
  if (getenv ("FLOOR_SMAPS"))
    {
      FILE *in = fopen ("/proc/self/smaps", "r"), *out = fopen (getenv ("FLOOR_SMAPS"), "w");
      char buf[4096];
      size_t n;

      while (in && out && (n = fread (buf, 1, sizeof buf, in)) > 0)
        fwrite (buf, 1, n, out);
      if (in)
        fclose (in);
      if (out)
        fclose (out);
    }
}

int main (int argc, char **argv)
{
  int port = argc > 1 ? atoi (argv[1]) : 0, fd = -1;
  const char *ca = argc > 2 ? argv[2] : NULL;
  setlocale (LC_ALL, "");
#ifdef USE_GIO
  GSocketClient *client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE); /* as mailsync does without a proxy setting */
  GSocketConnection *conn = NULL;
  GError *error = NULL;
  if (port)
    {
      conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
      if (conn == NULL) { fprintf (stderr, "%s\n", error->message); return 1; }
      fd = g_socket_get_fd (g_socket_connection_get_socket (conn));
    }
#else
  if (port)
    {
      struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port) };
      inet_pton (AF_INET, "127.0.0.1", &sa.sin_addr);
      fd = socket (AF_INET, SOCK_STREAM, 0);
      if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0) { perror ("connect"); return 1; }
    }
#endif
#ifdef USE_GNUTLS
  if (port)
    {
      gnutls_certificate_credentials_t cred;
      gnutls_session_t s;
      int r;
      gnutls_global_init ();
      gnutls_certificate_allocate_credentials (&cred);
      gnutls_certificate_set_x509_trust_file (cred, ca, GNUTLS_X509_FMT_PEM);
      gnutls_init (&s, GNUTLS_CLIENT);
      gnutls_set_default_priority (s);
      gnutls_credentials_set (s, GNUTLS_CRD_CERTIFICATE, cred);
      gnutls_session_set_verify_cert (s, "127.0.0.1", 0);
      gnutls_transport_set_int (s, fd);
      do r = gnutls_handshake (s); while (r < 0 && !gnutls_error_is_fatal (r));
      if (r < 0) { fprintf (stderr, "handshake: %s\n", gnutls_strerror (r)); return 1; }
      gnutls_record_send (s, "x\n", 2);
      gnutls_bye (s, GNUTLS_SHUT_WR);
    }
#endif
#ifdef USE_OPENSSL
  if (port)
    {
      SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());
      SSL *s;
      SSL_CTX_load_verify_locations (ctx, ca, NULL);
      SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER, NULL);
      s = SSL_new (ctx);
      SSL_set1_host (s, "127.0.0.1");
      SSL_set_fd (s, fd);
      if (SSL_connect (s) != 1) { fprintf (stderr, "handshake failed\n"); return 1; }
      SSL_write (s, "x\n", 2);
      SSL_shutdown (s);
    }
#endif
#ifdef USE_SQLITE
  {
    sqlite3 *db;
    const char *path = getenv ("FLOOR_DB") ? getenv ("FLOOR_DB") : "rss-floor.db";
    unlink (path);
    sqlite3_open (path, &db);
    sqlite3_exec (db, "PRAGMA journal_mode=WAL; CREATE TABLE status (id INTEGER PRIMARY KEY, flags TEXT, mtime INTEGER); BEGIN", NULL, NULL, NULL);
    for (int i = 1; i <= 1000; i++)
      {
        char sql[128];
        snprintf (sql, sizeof sql, "INSERT INTO status VALUES (%d, 'S', %d)", i, i);
        sqlite3_exec (db, sql, NULL, NULL, NULL);
      }
    sqlite3_exec (db, "COMMIT; SELECT count(*) FROM status", NULL, NULL, NULL);
    sqlite3_close (db);
  }
#endif
  hwm (argv[0]);
  return 0;
}
