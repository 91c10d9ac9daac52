/* The system trust store on demand (issue 13 item 4).
 *
 * gnutls_certificate_set_x509_system_trust() parses every CA of the
 * system bundle into memory (144 here: 3.8 MB of heap, 7-19 ms of CPU)
 * to verify a server whose chain names one or two of them. When
 * GnuTLS's own system store is a PEM file (configure reads which from the
 * library: MAILSYNC_GNUTLS_TRUST_FILE; never a p11-kit store) or the
 * sslcacertfile is a bundle (mailsync-tls-handshake.c), the
 * credentials are set up without anchors; at verification the bundle is
 * read and only the certificates whose subject is the issuer of a
 * certificate of the server's chain (byte for byte: GnuTLS finds an
 * issuer in its trust list by the same comparison) are given to GnuTLS,
 * in credentials of their own that the session uses for that one
 * verification. The rest of each bundle entry is only base64-decoded and
 * its subject found, not parsed. See doc/design.md "The system trust
 * store on demand". */
#include "config.h"

#include <string.h>

#include "net/mailsync-tls-stream-private.h"

const char *
_mailsync_tls_system_bundle (void)
{
  static const char *found;
  static gsize initialized;

#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  {
    /* A test's bundle; "" = none found (GnuTLS's own loading). */
    const char *test = g_getenv ("MAILSYNC_TEST_SYSTEM_TRUST_FILE");

    if (test != NULL)
      return *test != '\0' ? test : NULL;
  }
#endif
  if (g_once_init_enter (&initialized))
    {
      /* Only the PEM file GnuTLS itself would load (configure read it
       * from the library): a p11-kit store knows distrusted certificates
       * a PEM bundle cannot say, and a guessed file could be stale. */
      if (MAILSYNC_GNUTLS_TRUST_FILE[0] != '\0' &&
          g_file_test (MAILSYNC_GNUTLS_TRUST_FILE, G_FILE_TEST_IS_REGULAR))
        found = MAILSYNC_GNUTLS_TRUST_FILE;
      g_once_init_leave (&initialized, 1);
    }
  return found;
}

/* DER: the element at @p (tag, length, contents) within @end. Returns the
 * element's size, its contents' offset in @header; 0 when malformed. Only
 * what an X.509 certificate's first fields need: one-byte tags, lengths
 * up to 4 bytes. */
static gsize
der_element (const guint8 *p,
             const guint8 *end,
             gsize        *header)
{
  gsize avail = (gsize) (end - p);
  gsize len, n;

  if (avail < 2 || (p[0] & 0x1f) == 0x1f)
    return 0;
  if (p[1] < 0x80)
    {
      len = p[1];
      n = 2;
    }
  else
    {
      guint bytes = p[1] & 0x7f;

      if (bytes == 0 || bytes > 4 || avail < 2 + (gsize) bytes)
        return 0;
      len = 0;
      for (guint i = 0; i < bytes; i++)
        len = (len << 8) | p[2 + i];
      n = 2 + bytes;
    }
  if (len > avail - n)
    return 0;
  *header = n;
  return n + len;
}

/* The issuer and subject Names (whole DER elements) of a certificate. */
static gboolean
der_names (const guint8 *der,
           gsize         size,
           const guint8 **issuer,
           gsize         *issuer_size,
           const guint8 **subject,
           gsize         *subject_size)
{
  const guint8 *end = der + size;
  const guint8 *p;
  gsize header, n;

  /* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ... } ... } */
  if (size == 0 || der[0] != 0x30 || der_element (der, end, &header) == 0)
    return FALSE;
  p = der + header;
  if (p >= end || p[0] != 0x30 || (n = der_element (p, end, &header)) == 0)
    return FALSE;
  end = p + n;
  p += header;
  /* [0] version (optional), serialNumber, signature, issuer, validity, subject */
  if (p < end && p[0] == 0xa0)
    {
      if ((n = der_element (p, end, &header)) == 0)
        return FALSE;
      p += n;
    }
  for (guint field = 0; field < 4; field++)
    {
      if (p >= end || (n = der_element (p, end, &header)) == 0)
        return FALSE;
      if (field == 2)
        {
          if (p[0] != 0x30)
            return FALSE;
          *issuer = p;
          *issuer_size = n;
        }
      p += n;
    }
  if (p >= end || p[0] != 0x30 || (n = der_element (p, end, &header)) == 0)
    return FALSE;
  *subject = p;
  *subject_size = n;
  return TRUE;
}

static gboolean
name_wanted (GPtrArray    *wanted,
             const guint8 *name,
             gsize         size)
{
  for (guint i = 0; i < wanted->len; i++)
    if (g_bytes_get_size (wanted->pdata[i]) == size
        && memcmp (g_bytes_get_data (wanted->pdata[i], NULL), name, size) == 0)
      return TRUE;
  return FALSE;
}

static void
want_name (GPtrArray    *wanted,
           const guint8 *name,
           gsize         size)
{
  if (!name_wanted (wanted, name, size))
    g_ptr_array_add (wanted, g_bytes_new (name, size));
}

/* Adds the bundle's certificates whose subject is wanted; their own
 * issuers become wanted too (a bundle may hold intermediates). Returns
 * how many were added. */
static guint
add_wanted (gnutls_certificate_credentials_t  credentials,
            const char                       *contents,
            GPtrArray                        *wanted,
            GHashTable                       *added)
{
  static const char begin[] = "-----BEGIN CERTIFICATE-----";
  static const char end_mark[] = "-----END CERTIFICATE-----";
  const char *p = contents;
  guint count = 0;

  while ((p = strstr (p, begin)) != NULL)
    {
      const char *body = p + strlen (begin);
      const char *stop = strstr (body, end_mark);
      g_autofree char *text = NULL;
      g_autofree guint8 *der = NULL;
      const guint8 *issuer, *subject;
      gsize size, issuer_size, subject_size;

      if (stop == NULL)
        break;
      p = stop + strlen (end_mark);
      if (g_hash_table_contains (added, body))
        continue;
      /* g_base64_decode() skips the line breaks */
      text = g_strndup (body, (gsize) (stop - body));
      der = g_base64_decode (text, &size);
      if (!der_names (der, size, &issuer, &issuer_size, &subject, &subject_size)
          || !name_wanted (wanted, subject, subject_size))
        continue;
      {
        gnutls_datum_t datum = { der, (unsigned int) size };

        if (gnutls_certificate_set_x509_trust_mem (credentials, &datum, GNUTLS_X509_FMT_DER) <= 0)
          continue;
      }
      g_hash_table_add (added, (gpointer) body);
      count++;
      want_name (wanted, issuer, issuer_size);
    }
  return count;
}

gnutls_certificate_credentials_t
_mailsync_tls_trust_for_chain (const char            *bundle,
                               const gnutls_datum_t  *chain,
                               unsigned int           n_chain,
                               GError               **error)
{
  g_autoptr(GPtrArray) wanted = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GHashTable) added = g_hash_table_new (NULL, NULL);
  g_autofree char *contents = NULL;
  gnutls_certificate_credentials_t credentials;
  int ret;

  if (!g_file_get_contents (bundle, &contents, NULL, error))
    return NULL;
  ret = gnutls_certificate_allocate_credentials (&credentials);
  if (ret < 0)
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC, "Cannot set up TLS: %s",
                   gnutls_strerror (ret));
      return NULL;
    }
  for (unsigned int i = 0; i < n_chain; i++)
    {
      const guint8 *issuer, *subject;
      gsize issuer_size, subject_size;

      /* The chain's own subjects too: a server may send its root. */
      if (der_names (chain[i].data, chain[i].size, &issuer, &issuer_size, &subject, &subject_size))
        {
          want_name (wanted, issuer, issuer_size);
          want_name (wanted, subject, subject_size);
        }
    }
  /* Each pass adds what the last one's issuers name; a chain is short. */
  for (guint pass = 0; pass < 8 && add_wanted (credentials, contents, wanted, added) > 0; pass++)
    ;
  return credentials;
}
