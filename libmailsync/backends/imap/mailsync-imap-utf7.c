/* Modified UTF-7 (RFC 3501 §5.1.3): a variant of UTF-7 (RFC 2152) where '&'
 * starts a base64 run of UTF-16BE, ',' replaces '/', runs always end with
 * '-', and "&-" is a literal '&'. */
#include "config.h"

#include <string.h>

#include "mailsync-imap-utf7.h"
#include "mailsync-imap-response.h"

static const char b64_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value (guchar c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == ',')
    return 63;
  return -1;
}

/* RFC 3501: "printable US-ASCII characters, except for '&', represent
 * themselves"; everything else goes into a base64 run. */
static gboolean
is_direct (gunichar c)
{
  return c >= 0x20 && c <= 0x7e;
}

static void
flush_run (GString *out, const guint16 *units, gsize n_units)
{
  guint32 bits = 0;
  int n_bits = 0;
  gsize i;

  g_string_append_c (out, '&');
  for (i = 0; i < n_units; i++)
    {
      bits = (bits << 16) | units[i];
      n_bits += 16;
      while (n_bits >= 6)
        {
          n_bits -= 6;
          g_string_append_c (out, b64_alphabet[(bits >> n_bits) & 0x3f]);
        }
      bits &= (1u << n_bits) - 1;
    }
  /* pad the last sextet with zero bits (RFC 2152) */
  if (n_bits > 0)
    g_string_append_c (out, b64_alphabet[(bits << (6 - n_bits)) & 0x3f]);
  g_string_append_c (out, '-');
}

char *
mailsync_imap_utf7_encode (const char *utf8, gssize len, GError **error)
{
  g_autoptr(GString) out = NULL;
  g_autoptr(GArray) run = NULL;
  const char *p, *end;

  if (len < 0)
    len = strlen (utf8);
  if (!g_utf8_validate_len (utf8, len, NULL) || memchr (utf8, 0, len) != NULL)
    {
      g_set_error_literal (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_FAILED,
                           "Mailbox name is not valid UTF-8");
      return NULL;
    }
  out = g_string_sized_new (len + 8);
  run = g_array_new (FALSE, FALSE, sizeof (guint16));
  end = utf8 + len;
  for (p = utf8; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_direct (c))
        {
          if (run->len > 0)
            {
              flush_run (out, (guint16 *) run->data, run->len);
              g_array_set_size (run, 0);
            }
          if (c == '&')
            g_string_append (out, "&-");
          else
            g_string_append_c (out, (char) c);
          continue;
        }
      if (c >= 0x10000)
        {
          guint16 hi = 0xd800 + ((c - 0x10000) >> 10);
          guint16 lo = 0xdc00 + ((c - 0x10000) & 0x3ff);
          g_array_append_val (run, hi);
          g_array_append_val (run, lo);
        }
      else
        {
          guint16 u = (guint16) c;
          g_array_append_val (run, u);
        }
    }
  if (run->len > 0)
    flush_run (out, (guint16 *) run->data, run->len);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
decode_fail (GError **error, const char *why)
{
  g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_PARSE,
               "Invalid modified UTF-7 mailbox name: %s", why);
  return FALSE;
}

/* Append the UTF-16 units of one base64 run as UTF-8. */
static gboolean
append_units (GString *out, const guint16 *u, gsize n, GError **error)
{
  gsize i;

  for (i = 0; i < n; i++)
    {
      gunichar c = u[i];

      if (c >= 0xd800 && c <= 0xdbff)
        {
          if (i + 1 >= n || u[i + 1] < 0xdc00 || u[i + 1] > 0xdfff)
            return decode_fail (error, "lone high surrogate");
          c = 0x10000 + ((c - 0xd800) << 10) + (u[i + 1] - 0xdc00);
          i++;
        }
      else if (c >= 0xdc00 && c <= 0xdfff)
        return decode_fail (error, "lone low surrogate");
      else if (c == 0)
        return decode_fail (error, "encoded NUL");
      else if (is_direct (c))
        /* RFC 3501: printable ASCII "MUST NOT" be encoded */
        return decode_fail (error, "encoded printable US-ASCII");
      g_string_append_unichar (out, c);
    }
  return TRUE;
}

/* Decode the run starting after '&' at *pp; leaves *pp after the '-'. */
static gboolean
decode_run (const char **pp, const char *end, GString *out, GError **error)
{
  g_autoptr(GArray) units = g_array_new (FALSE, FALSE, sizeof (guint16));
  const char *p = *pp;
  guint32 bits = 0;
  int n_bits = 0;

  for (; p < end && *p != '-'; p++)
    {
      int v = b64_value ((guchar) *p);

      if (v < 0)
        return decode_fail (error, "bad base64 character");
      bits = (bits << 6) | (guint32) v;
      n_bits += 6;
      if (n_bits >= 16)
        {
          guint16 u = (guint16) (bits >> (n_bits - 16));
          n_bits -= 16;
          bits &= (1u << n_bits) - 1;
          g_array_append_val (units, u);
        }
    }
  if (p >= end)
    return decode_fail (error, "unterminated base64 run");
  /* RFC 2152: leftover bits are fewer than a sextet and all zero */
  if (n_bits >= 6 || bits != 0)
    return decode_fail (error, "bad padding bits");
  if (units->len == 0)
    return decode_fail (error, "empty base64 run");
  if (!append_units (out, (guint16 *) units->data, units->len, error))
    return FALSE;
  *pp = p + 1;
  return TRUE;
}

char *
mailsync_imap_utf7_decode (const char *mutf7, gssize len, GError **error)
{
  g_autoptr(GString) out = NULL;
  const char *p, *end;
  gboolean after_run = FALSE;

  if (len < 0)
    len = strlen (mutf7);
  out = g_string_sized_new (len);
  end = mutf7 + len;
  for (p = mutf7; p < end;)
    {
      guchar c = (guchar) *p;

      if (!is_direct (c))
        {
          decode_fail (error, "byte outside printable US-ASCII");
          return NULL;
        }
      if (c != '&')
        {
          g_string_append_c (out, (char) c);
          after_run = FALSE;
          p++;
          continue;
        }
      p++;
      if (p < end && *p == '-')
        {
          g_string_append_c (out, '&');
          after_run = FALSE;
          p++;
          continue;
        }
      /* two runs back to back would be one run in the canonical form */
      if (after_run)
        {
          decode_fail (error, "adjacent base64 runs");
          return NULL;
        }
      if (!decode_run (&p, end, out, error))
        return NULL;
      after_run = TRUE;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
