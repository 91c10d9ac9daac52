/* SASL for IMAP. The messages follow RFC 4616 (PLAIN), RFC 2195
 * (CRAM-MD5), Google's XOAUTH2 description, RFC 7628 (OAUTHBEARER) and the
 * de-facto LOGIN mechanism (username, then password, each on request). */
#include "config.h"

#include "mailsync-imap-auth.h"
#include "mailsync-imap-response.h"

#include <string.h>

static const struct
{
  const char *name;
  MailsyncImapAuthMechanism mechanism;
} mechanisms[] = {
  { "GSSAPI", MAILSYNC_IMAP_AUTH_GSSAPI },
  { "XOAUTH2", MAILSYNC_IMAP_AUTH_XOAUTH2 },
  { "OAUTHBEARER", MAILSYNC_IMAP_AUTH_OAUTHBEARER },
  { "CRAM-MD5", MAILSYNC_IMAP_AUTH_CRAM_MD5 },
  { "PLAIN", MAILSYNC_IMAP_AUTH_PLAIN },
  { "LOGIN", MAILSYNC_IMAP_AUTH_LOGIN },
};

MailsyncImapAuthMechanism
mailsync_imap_auth_mechanism_from_name (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (mechanisms); i++)
    if (g_ascii_strcasecmp (name, mechanisms[i].name) == 0)
      return mechanisms[i].mechanism;
  return MAILSYNC_IMAP_AUTH_NONE;
}

const char *
mailsync_imap_auth_mechanism_name (MailsyncImapAuthMechanism mechanism)
{
  for (gsize i = 0; i < G_N_ELEMENTS (mechanisms); i++)
    if (mechanisms[i].mechanism == mechanism)
      return mechanisms[i].name;
  return "NONE";
}

MailsyncImapAuthMechanism *
mailsync_imap_auth_parse_list (const char *list, GError **error)
{
  g_auto(GStrv) names = g_strsplit (list, ",", -1);
  g_autoptr(GArray) out = g_array_new (TRUE, TRUE, sizeof (MailsyncImapAuthMechanism));

  for (guint i = 0; names[i]; i++)
    {
      const char *name = g_strstrip (names[i]);
      MailsyncImapAuthMechanism m;

      if (*name == '\0')
        continue;
      m = mailsync_imap_auth_mechanism_from_name (name);
      if (m == MAILSYNC_IMAP_AUTH_NONE)
        {
          g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_FAILED,
                       "Unknown authentication mechanism '%s' in auth_mechanisms "
                       "(known: GSSAPI, XOAUTH2, OAUTHBEARER, CRAM-MD5, PLAIN, LOGIN)", name);
          return NULL;
        }
      g_array_append_val (out, m);
    }
  if (out->len == 0)
    {
      g_set_error_literal (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_FAILED,
                           "auth_mechanisms names no mechanism");
      return NULL;
    }
  return (MailsyncImapAuthMechanism *) g_array_free (g_steal_pointer (&out), FALSE);
}

struct _MailsyncImapSasl
{
  MailsyncImapAuthMechanism mechanism;
  char *user;
  char *secret;
  char *host;
  guint16 port;
  guint step;
  char *authzid;  /* PLAIN's authorization identity (remote_identity) */
};

MailsyncImapSasl *
mailsync_imap_sasl_new (MailsyncImapAuthMechanism  mechanism,
                        const char                *user,
                        const char                *secret,
                        const char                *host,
                        guint16                    port)
{
  MailsyncImapSasl *sasl = g_new0 (MailsyncImapSasl, 1);

  sasl->mechanism = mechanism;
  sasl->user = g_strdup (user ? user : "");
  sasl->secret = g_strdup (secret ? secret : "");
  sasl->host = g_strdup (host ? host : "");
  sasl->port = port;
  return sasl;
}

void
mailsync_imap_secret_clear (char *secret)
{
  if (secret != NULL)
    {
      volatile char *p = secret;
      while (*p)
        *p++ = '\0';
    }
}

void
mailsync_imap_secret_wipe (void *mem, gsize len)
{
  volatile guint8 *p = mem;

  while (len-- > 0)
    *p++ = 0;
}

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
static void (*secret_free_hook) (void *mem, gsize len);

void
_mailsync_imap_secret_set_free_hook (void (*hook) (void *mem, gsize len))
{
  secret_free_hook = hook;
}
#endif

void
mailsync_imap_secret_free (void *mem, gsize len)
{
  if (mem == NULL)
    return;
  mailsync_imap_secret_wipe (mem, len);
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  if (secret_free_hook != NULL)
    {
      secret_free_hook (mem, len);
      return;
    }
#endif
  g_free (mem);
}

/* The bytes and their length in one allocation, the GBytes' user data. */
typedef struct
{
  gsize len;
  guint8 data[];
} SecretBuffer;

static void
secret_buffer_free (gpointer data)
{
  SecretBuffer *buffer = data;

  mailsync_imap_secret_free (buffer, sizeof (SecretBuffer) + buffer->len);
}

GBytes *
mailsync_imap_secret_bytes_new (const void *data, gsize len)
{
  SecretBuffer *buffer = g_malloc (sizeof (SecretBuffer) + len);

  buffer->len = len;
  if (len > 0)
    memcpy (buffer->data, data, len);
  return g_bytes_new_with_free_func (buffer->data, len, secret_buffer_free, buffer);
}

void
mailsync_imap_sasl_free (MailsyncImapSasl *sasl)
{
  if (sasl == NULL)
    return;
  mailsync_imap_secret_clear (sasl->secret);
  g_free (sasl->secret);
  g_free (sasl->user);
  g_free (sasl->host);
  g_free (sasl->authzid);
  g_free (sasl);
}

/* offlineimap's remote_identity: act as AUTHZID (RFC 4616), which the
 * server allows for an administrator or a delegated user. PLAIN only. */
void
mailsync_imap_sasl_set_authzid (MailsyncImapSasl *sasl,
                                const char       *authzid)
{
  g_free (sasl->authzid);
  sasl->authzid = g_strdup (authzid);
}

static char *
encode (const char *data, gsize len)
{
  if (len == 0)
    return g_strdup ("=");
  return g_base64_encode ((const guchar *) data, len);
}

/* Secrets pass through these buffers: wipe them. */
static char *
encode_and_clear (GString *message)
{
  char *b64 = encode (message->str, message->len);

  memset (message->str, 0, message->len);
  g_string_free (message, TRUE);
  return b64;
}

static char *
plain_message (MailsyncImapSasl *sasl)
{
  GString *m = g_string_new (NULL);

  /* authzid NUL authcid NUL passwd; the authzid is usually empty. */
  if (sasl->authzid != NULL)
    g_string_append (m, sasl->authzid);
  g_string_append_c (m, '\0');
  g_string_append (m, sasl->user);
  g_string_append_c (m, '\0');
  g_string_append (m, sasl->secret);
  return encode_and_clear (m);
}

static char *
xoauth2_message (MailsyncImapSasl *sasl)
{
  GString *m = g_string_new (NULL);

  g_string_append_printf (m, "user=%s\001auth=Bearer %s\001\001", sasl->user, sasl->secret);
  return encode_and_clear (m);
}

static char *
oauthbearer_message (MailsyncImapSasl *sasl)
{
  GString *m = g_string_new (NULL);

  g_string_append_printf (m, "n,a=%s,\001host=%s\001port=%u\001auth=Bearer %s\001\001",
                          sasl->user, sasl->host, sasl->port, sasl->secret);
  return encode_and_clear (m);
}

char *
mailsync_imap_sasl_initial_response (MailsyncImapSasl *sasl)
{
  switch (sasl->mechanism)
    {
    case MAILSYNC_IMAP_AUTH_PLAIN:
      sasl->step = 1;
      return plain_message (sasl);
    case MAILSYNC_IMAP_AUTH_XOAUTH2:
      sasl->step = 1;
      return xoauth2_message (sasl);
    case MAILSYNC_IMAP_AUTH_OAUTHBEARER:
      sasl->step = 1;
      return oauthbearer_message (sasl);
    default:
      return NULL;
    }
}

static char *
cram_md5_response (MailsyncImapSasl *sasl, const guchar *challenge, gsize len)
{
  g_autofree char *digest = g_compute_hmac_for_data (G_CHECKSUM_MD5, (const guchar *) sasl->secret,
                                                     strlen (sasl->secret), challenge, len);
  GString *m = g_string_new (NULL);

  g_string_append_printf (m, "%s %s", sasl->user, digest);
  return encode_and_clear (m);
}

char *
mailsync_imap_sasl_step (MailsyncImapSasl  *sasl,
                         const char        *challenge,
                         GError           **error)
{
  g_autofree guchar *decoded = NULL;
  gsize len = 0;

  if (challenge != NULL && *challenge != '\0')
    decoded = g_base64_decode (challenge, &len);

  switch (sasl->mechanism)
    {
    case MAILSYNC_IMAP_AUTH_PLAIN:
      if (sasl->step++ == 0)
        return plain_message (sasl);
      break;
    case MAILSYNC_IMAP_AUTH_XOAUTH2:
    case MAILSYNC_IMAP_AUTH_OAUTHBEARER:
      if (sasl->step++ == 0)
        return sasl->mechanism == MAILSYNC_IMAP_AUTH_XOAUTH2 ? xoauth2_message (sasl) : oauthbearer_message (sasl);
      /* A challenge after the token is the server's JSON error; RFC 7628
       * §3.2.3: answer with a dummy ^A so that it sends the tagged NO. */
      return encode ("\001", 1);
    case MAILSYNC_IMAP_AUTH_CRAM_MD5:
      if (sasl->step++ == 0 && decoded != NULL)
        return cram_md5_response (sasl, decoded, len);
      break;
    case MAILSYNC_IMAP_AUTH_LOGIN:
      switch (sasl->step++)
        {
        case 0:
          return encode (sasl->user, strlen (sasl->user));
        case 1:
          return encode (sasl->secret, strlen (sasl->secret));
        default:
          break;
        }
      break;
    default:
      break;
    }
  g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PROTOCOL,
               "Unexpected authentication challenge for %s",
               mailsync_imap_auth_mechanism_name (sasl->mechanism));
  return NULL;
}
