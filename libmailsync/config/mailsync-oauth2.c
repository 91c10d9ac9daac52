/* OAuth2 refresh tokens, as the library sees them: a cache in front of
 * the OAuth2 module (libmailsync/modules/mailsync-oauth2-module.c), the
 * only code that links libsoup. */
#include "config.h"

#include "config/mailsync-oauth2-private.h"
#include "mailsync-module-private.h"
#include "modules/mailsync-oauth2-module.h"
#include "mailsync-error.h"
#include "mailsync-worker.h"

#include <string.h>

#define DEFAULT_TIMEOUT 30

#ifdef HAVE_LIBSOUP
static MailsyncModuleSlot slot = MAILSYNC_MODULE_SLOT_INIT (MAILSYNC_OAUTH2_MODULE_NAME,
                                                            MAILSYNC_OAUTH2_MODULE_SYMBOL,
                                                            MAILSYNC_OAUTH2_MODULE_ABI,
                                                            FALSE);
#endif

struct _MailsyncOAuth2
{
  gatomicrefcount ref;
  char *url;
  char *client_id;
  char *client_secret;
  char *refresh_token;
  guint timeout;
  char *proxy;

  GMutex lock;
  char *token;                  /* the cached access token, or NULL */
  /* When it is due: both clocks, for a token cached before a suspend must
   * not look fresh after it (the monotonic clock stops while suspended;
   * offlineimap issue #536), nor one cached before the wall clock was set
   * back. */
  gint64 due_real, due_monotonic;
};

static void
wipe (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

static const MailsyncOAuth2Module *
module (GError **error)
{
#ifdef HAVE_LIBSOUP
  g_autoptr(GError) local_error = NULL;
  const MailsyncOAuth2Module *m = _mailsync_module_get (&slot, &local_error);

  if (m == NULL)
    g_set_error (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                 "mailsync's OAuth2 module could not be loaded (%s)", local_error->message);
  return m;
#else
  g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_NOT_SUPPORTED,
                       "this mailsync was built without libsoup");
  return NULL;
#endif
}

gboolean
_mailsync_oauth2_is_available (GError **error)
{
  return module (error) != NULL;
}

MailsyncOAuth2 *
_mailsync_oauth2_new (const char *request_url,
                      const char *client_id,
                      const char *client_secret,
                      const char *refresh_token,
                      guint       timeout,
                      const char *proxy)
{
  MailsyncOAuth2 *self = g_new0 (MailsyncOAuth2, 1);

  g_atomic_ref_count_init (&self->ref);
  self->url = g_strdup (request_url);
  self->client_id = g_strdup (client_id);
  self->client_secret = g_strdup (client_secret);
  self->refresh_token = g_strdup (refresh_token);
  self->timeout = timeout > 0 ? timeout : DEFAULT_TIMEOUT;
  self->proxy = g_strdup (proxy);
  g_mutex_init (&self->lock);
  return self;
}

MailsyncOAuth2 *
_mailsync_oauth2_ref (MailsyncOAuth2 *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
_mailsync_oauth2_unref (MailsyncOAuth2 *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_free (self->url);
  g_free (self->client_id);
  g_free (self->proxy);
  wipe (self->client_secret);
  wipe (self->refresh_token);
  wipe (self->token);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* with the lock held */
static gboolean
fresh (MailsyncOAuth2 *self)
{
  return self->token != NULL &&
         (self->due_real == 0 ||
          (g_get_real_time () < self->due_real && g_get_monotonic_time () < self->due_monotonic));
}

gboolean
_mailsync_oauth2_has_fresh_token (MailsyncOAuth2 *self)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = fresh (self);
  g_mutex_unlock (&self->lock);
  return ok;
}

char *
_mailsync_oauth2_get_token (MailsyncOAuth2  *self,
                            const char      *stale,
                            GCancellable    *cancellable,
                            GError         **error)
{
  const MailsyncOAuth2Module *m;
  MailsyncOAuth2Request request = { 0, };
  g_autoptr(GAsyncResult) result = NULL;
  gint64 expires_in = 0, now_real, now_monotonic;
  char *token;

  g_mutex_lock (&self->lock);
  if (stale != NULL && g_strcmp0 (stale, self->token) == 0)
    g_clear_pointer (&self->token, wipe);
  if (fresh (self))
    {
      token = g_strdup (self->token);
      g_mutex_unlock (&self->lock);
      return token;
    }
  g_clear_pointer (&self->token, wipe);
  g_mutex_unlock (&self->lock);

  m = module (error);
  if (m == NULL)
    return NULL;
  request.url = self->url;
  request.client_id = self->client_id;
  request.client_secret = self->client_secret;
  request.refresh_token = self->refresh_token;
  request.ca_file = g_getenv ("SSL_CERT_FILE");
  if (request.ca_file != NULL && *request.ca_file == '\0')
    request.ca_file = NULL;
  request.timeout = self->timeout;
  request.proxy = self->proxy;
  /* the clocks start before the request, as offlineimap's "now" does */
  now_real = g_get_real_time ();
  now_monotonic = g_get_monotonic_time ();
  m->refresh_async (&request, cancellable, _mailsync_store_result, &result);
  token = m->refresh_finish (_mailsync_await (&result), &expires_in, error);
  if (token == NULL)
    return NULL;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->token, wipe);
  self->token = g_strdup (token);
  /* offlineimap keeps it until half of expires_in; without expires_in,
   * until the server refuses it */
  self->due_real = expires_in > 0 ? now_real + expires_in * G_USEC_PER_SEC / 2 : 0;
  self->due_monotonic = expires_in > 0 ? now_monotonic + expires_in * G_USEC_PER_SEC / 2 : 0;
  g_mutex_unlock (&self->lock);
  g_debug ("OAuth2: new access token, kept for %" G_GINT64_FORMAT " s", expires_in / 2);
  return token;
}
