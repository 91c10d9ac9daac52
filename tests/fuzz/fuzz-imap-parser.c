/* libFuzzer target for the IMAP response parser (reliability.md §4, F1).
 *
 * The first byte picks two split points and options (literal streaming,
 * UTF8=ACCEPT); the rest is the server stream. Checks beyond "no crash":
 *  - feeding in three pieces gives exactly what feeding it whole gives;
 *  - mUTF-7 (F3): whatever decodes re-encodes to the same bytes (the
 *    decoder accepts only the canonical form). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "backends/imap/mailsync-imap-parser.h"
#include "backends/imap/mailsync-imap-utf7.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static GOutputStream *
memory_handler (const MailsyncImapLiteralInfo *info, gpointer user_data)
{
  return g_memory_output_stream_new_resizable ();
}

static char *
run (const guint8 *data, gsize len, gsize cut1, gsize cut2, guint8 options)
{
  g_autoptr(MailsyncImapParser) p = mailsync_imap_parser_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  gsize cuts[] = { 0, cut1, cut2, len };
  gboolean ok = TRUE;
  guint i;

  if (options & 1)
    mailsync_imap_parser_set_literal_handler (p, memory_handler, NULL, NULL);
  mailsync_imap_parser_set_utf8_accept (p, (options & 2) != 0);
  for (i = 0; ok && i < 3; i++)
    {
      MailsyncImapResponse *r;
      g_autoptr(GError) error = NULL;

      ok = mailsync_imap_parser_feed (p, data + cuts[i], cuts[i + 1] - cuts[i], &error);
      /* responses completed before an error are still delivered first */
      while ((r = mailsync_imap_parser_pop (p)) != NULL)
        {
          g_autofree char *s = mailsync_imap_response_to_string (r);
          g_string_append_printf (out, "%s\n", s);
          mailsync_imap_response_unref (r);
        }
      if (!ok)
        g_string_append_printf (out, "ERROR %d\n", error->code);
    }
  if (ok && !mailsync_imap_parser_finish (p, NULL))
    g_string_append (out, "TRUNCATED\n");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
check_utf7 (const guint8 *data, gsize len)
{
  g_autofree char *dec = mailsync_imap_utf7_decode ((const char *) data, len, NULL);
  g_autofree char *enc = NULL;

  if (dec == NULL)
    return;
  enc = mailsync_imap_utf7_encode (dec, -1, NULL);
  if (enc == NULL || strlen (enc) != len || memcmp (enc, data, len) != 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *whole = NULL, *split = NULL;
  guint8 seed;
  gsize len, cut1, cut2;

  if (size < 1)
    return 0;
  seed = data[0];
  data++;
  len = size - 1;
  cut1 = len > 0 ? (seed * 7919u) % (len + 1) : 0;
  cut2 = cut1 + (len > cut1 ? ((seed >> 3) * 104729u) % (len - cut1 + 1) : 0);
  whole = run (data, len, 0, 0, seed >> 6);
  split = run (data, len, cut1, cut2, seed >> 6);
  /* the stream streamed or not, split or not: same responses */
  if (strcmp (whole, split) != 0)
    abort ();
  check_utf7 (data, len);
  return 0;
}
