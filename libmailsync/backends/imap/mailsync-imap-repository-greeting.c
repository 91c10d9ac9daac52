/* The capabilities of the last IMAPS greeting, or of the last answer to
 * CAPABILITY after STARTTLS (starttls=true; session 18,
 * mailsync-imap-connection-starttls.c), kept in a file
 * (MailsyncImapRepository:capability-cache) so that the next run logs in
 * before the greeting (issue 13 item 6; mailsync-imap-connection-early.c,
 * doc/design.md "The no-op's fixed cost, and logging in before the
 * greeting"). The file holds the server, port and user it is for and the
 * greeting's [CAPABILITY] list, nothing secret; one for another server or
 * user, or one that does not read as such, is ignored (and replaced at
 * the next greeting). It is written whole (a temporary file renamed over
 * it) and only when the capabilities changed, never in a dry run (the
 * configuration's, or a MailsyncAccount:dry-run sync's). A
 * server that said it does not take what came before its greeting is
 * written down as early=false with the capabilities at once; one that
 * gave no word (closed, reset, timed out) only after
 * EARLY_UNANSWERED_LIMIT syncs in a row with such a connect
 * (early-unanswered=N counts them, one per sync whatever maxconnections;
 * any answered early command starts it over): later runs then wait for
 * its greeting, one connection each, until the capabilities change.
 * Every function runs under connect_lock. */
#include "config.h"

#include "mailsync-imap-repository-private.h"
#include "mailsync-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define GROUP "greeting"
/* far above any real list; a larger file is not ours */
#define MAX_FILE_SIZE 65536
#define MAX_CAPABILITY_LENGTH 256
/* Syncs in a row with a connect whose early commands had no word from
 * the server before early=false (review 1 Low 4 of session 19): one
 * timeout (a loaded machine, a busy server, a reset) is no proof, and
 * early=false holds until the capabilities change. A server that never
 * takes early commands costs one extra connection (and at most the
 * bound's wait) in each of this many runs. */
#define EARLY_UNANSWERED_LIMIT 3
/* ...counted once per sync (a close starts it over), or per hour for a
 * repository held open across syncs */
#define EARLY_UNANSWERED_HELD_USEC ((gint64) G_USEC_PER_SEC * 3600)

#define CACHE_DEBUG(...) g_log (MAILSYNC_IMAP_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Only TLS on a socket logs in early: implicit TLS (the greeting's
 * list), or STARTTLS with the list answered to CAPABILITY after STARTTLS
 * (never one from before TLS, RFC 9051 6.2.1: the file says which, and a
 * file of the other kind is not used); never a plain connection or a
 * tunnel. */
static gboolean
may_log_in_early (MailsyncImapRepository *self)
{
  const MailsyncImapSettings *s = self->settings;

  return self->capability_cache != NULL &&
         (s->security == MAILSYNC_IMAP_SECURITY_IMPLICIT || s->security == MAILSYNC_IMAP_SECURITY_STARTTLS) &&
         s->preauth_tunnel == NULL && s->transport_tunnel == NULL && s->host != NULL;
}

/* The file's list is the answer to CAPABILITY after STARTTLS (key
 * starttls=true), not an IMAPS greeting's. */
static gboolean
starttls (MailsyncImapRepository *self)
{
  return self->settings->security == MAILSYNC_IMAP_SECURITY_STARTTLS;
}

/* A capability as IMAP sends it: an atom (no space, quote, parenthesis,
 * brace, wildcard or backslash), not too long. */
static gboolean
is_capability (const char *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > MAX_CAPABILITY_LENGTH)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isgraph (*c) || strchr ("(){}\"%*\\]", *c) != NULL)
      return FALSE;
  return TRUE;
}

/* The file's capabilities when it is for this server, port and user and
 * reads as a list of capabilities, else NULL; *@early: whether the file
 * lets a login go before the greeting (early=false: the server did not
 * take one); *@unanswered: the connects in a row whose early commands had
 * no word (early-unanswered; 0 when absent or not a number below the
 * limit). The size is checked before anything is read. */
static char **
load (MailsyncImapRepository *self, gboolean *early, guint *unanswered)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *data = NULL;
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_auto(GStrv) capabilities = NULL;
  g_autoptr(GError) early_error = NULL;
  GStatBuf st;
  gsize length = 0;
  guint64 port;

  *early = TRUE;
  *unanswered = 0;
  if (g_stat (self->capability_cache, &st) != 0)
    return NULL;
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_FILE_SIZE ||
      !g_file_get_contents (self->capability_cache, &data, &length, NULL) || length > MAX_FILE_SIZE ||
      !g_key_file_load_from_data (file, data, length, G_KEY_FILE_NONE, NULL))
    {
      CACHE_DEBUG ("%s: not a capability cache, ignored", self->capability_cache);
      return NULL;
    }
  host = g_key_file_get_string (file, GROUP, "host", NULL);
  user = g_key_file_get_string (file, GROUP, "user", NULL);
  port = g_key_file_get_uint64 (file, GROUP, "port", NULL);
  capabilities = g_key_file_get_string_list (file, GROUP, "capabilities", NULL, NULL);
  if (g_strcmp0 (host, self->settings->host) != 0 || g_strcmp0 (user, self->settings->user ? self->settings->user : "") != 0 ||
      port != _mailsync_imap_repository_effective_port (self->settings) ||
      g_key_file_get_boolean (file, GROUP, "starttls", NULL) != starttls (self))
    {
      CACHE_DEBUG ("%s: for another server, user or transport, ignored", self->capability_cache);
      return NULL;
    }
  if (capabilities == NULL || capabilities[0] == NULL)
    return NULL;
  for (guint i = 0; capabilities[i] != NULL; i++)
    if (!is_capability (capabilities[i]))
      {
        CACHE_DEBUG ("%s: not a list of capabilities, ignored", self->capability_cache);
        return NULL;
      }
  /* absent (a file of before early=): early */
  if (!g_key_file_get_boolean (file, GROUP, "early", &early_error) && early_error == NULL)
    *early = FALSE;
  {
    guint64 count = g_key_file_get_uint64 (file, GROUP, "early-unanswered", NULL);

    *unanswered = count < EARLY_UNANSWERED_LIMIT ? (guint) count : 0;
  }
  return g_steal_pointer (&capabilities);
}

char **
_mailsync_imap_repository_cached_capabilities (MailsyncImapRepository *self)
{
  g_auto(GStrv) capabilities = NULL;
  gboolean early;
  guint unanswered;

  if (!may_log_in_early (self))
    return NULL;
  capabilities = load (self, &early, &unanswered);
  if (capabilities != NULL && !early)
    {
      CACHE_DEBUG ("%s: this server did not take a login before its greeting: none is sent",
                   self->capability_cache);
      return NULL;
    }
  return g_steal_pointer (&capabilities);
}

void
_mailsync_imap_repository_set_capability_cache_read_only (MailsyncImapRepository *self, gboolean read_only)
{
  self->capability_cache_read_only = read_only;
}

/* A dry run reads the file, never writes or removes it. */
static gboolean
cache_read_only (MailsyncImapRepository *self)
{
  return self->capability_cache_read_only || _mailsync_repository_in_dry_run (MAILSYNC_REPOSITORY (self));
}

void
_mailsync_imap_repository_forget_capabilities (MailsyncImapRepository *self)
{
  if (self->capability_cache == NULL || cache_read_only (self))
    return;
  if (g_unlink (self->capability_cache) != 0 && errno != ENOENT)
    CACHE_DEBUG ("%s: cannot remove it: %s", self->capability_cache, g_strerror (errno));
}

void
_mailsync_imap_repository_keep_capabilities (MailsyncImapRepository *self, MailsyncImapConnection *connection,
                                             MailsyncImapEarlyVerdict verdict)
{
  const char *const *capabilities = starttls (self) ? mailsync_imap_connection_get_tls_capabilities (connection)
                                                    : mailsync_imap_connection_get_greeting_capabilities (connection);
  g_autoptr(GKeyFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) cached = NULL;
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  gsize length = 0;
  gboolean cached_early, early, same;
  guint cached_unanswered, unanswered;

  if (!may_log_in_early (self) || cache_read_only (self) || capabilities == NULL ||
      capabilities[0] == NULL)
    return;
  for (guint i = 0; capabilities[i] != NULL; i++)
    if (!is_capability (capabilities[i]))
      return;
  cached = load (self, &cached_early, &cached_unanswered);
  same = cached != NULL && g_strv_equal ((const char *const *) cached, capabilities);
  /* early=false stays with the capabilities it was found with; other
   * capabilities start over */
  early = !same || cached_early;
  unanswered = same ? cached_unanswered : 0;
  switch (verdict)
    {
    case MAILSYNC_IMAP_EARLY_NOT_SENT:
      break;
    case MAILSYNC_IMAP_EARLY_ANSWERED:
      unanswered = 0;
      break;
    case MAILSYNC_IMAP_EARLY_UNANSWERED:
      /* Once per sync, not per connection (review of session 20 Low 3):
       * with maxconnections 3 one network blip stalled three connects of
       * one run, and three in a row wrote early=false. The count is of
       * syncs in a row, as the limit means: a daemon's repository lives
       * across syncs, and its close (the end of each sync) starts the
       * next one's afresh (repository-connect.c close_job()). Per sync
       * rather than per time window: the syncs are what the user sees
       * fall back to the usual connection, and a daemon's next sync after
       * a blip is minutes away, so three in a row are three separate
       * stalls. A repository held open across syncs (holdconnectionopen)
       * is not closed between them: its count starts over an hour after
       * it counted instead (its connects are then the reconnects of a
       * dropped connection, far fewer than a sync's). */
      if (self->early_unanswered_counted_at != 0 &&
          g_get_monotonic_time () - self->early_unanswered_counted_at < EARLY_UNANSWERED_HELD_USEC)
        break;
      self->early_unanswered_counted_at = g_get_monotonic_time ();
      if (++unanswered >= EARLY_UNANSWERED_LIMIT)
        early = FALSE;
      break;
    case MAILSYNC_IMAP_EARLY_IGNORED:
      early = FALSE;
      break;
    }
  if (!early)
    unanswered = 0;
  if (same && early == cached_early && unanswered == cached_unanswered)
    return;
  file = g_key_file_new ();
  g_key_file_set_comment (file, NULL, NULL,
                          starttls (self) ? " mailsync: the capabilities this server last answered after STARTTLS,\n"
                                            " to send STARTTLS before its greeting and the login with CAPABILITY\n"
                                            " next time. Safe to delete."
                                          : " mailsync: the capabilities of this server's last greeting over IMAPS,\n"
                                            " to log in before the next one. Safe to delete.", NULL);
  g_key_file_set_string (file, GROUP, "host", self->settings->host);
  g_key_file_set_uint64 (file, GROUP, "port", _mailsync_imap_repository_effective_port (self->settings));
  g_key_file_set_string (file, GROUP, "user", self->settings->user ? self->settings->user : "");
  g_key_file_set_string_list (file, GROUP, "capabilities", capabilities, g_strv_length ((char **) capabilities));
  if (starttls (self))
    g_key_file_set_boolean (file, GROUP, "starttls", TRUE);
  if (!early)
    g_key_file_set_boolean (file, GROUP, "early", FALSE);
  if (unanswered > 0)
    g_key_file_set_uint64 (file, GROUP, "early-unanswered", unanswered);
  data = g_key_file_to_data (file, &length, NULL);
  dir = g_path_get_dirname (self->capability_cache);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      CACHE_DEBUG ("%s: cannot create it: %s", dir, g_strerror (errno));
      return;
    }
  /* a temporary file, fsynced, renamed over the old one */
  if (!g_file_set_contents_full (self->capability_cache, data, (gssize) length, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, &error))
    CACHE_DEBUG ("%s", error->message);
}
