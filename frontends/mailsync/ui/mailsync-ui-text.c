/* Text helpers of the mailsync command's UIs: machineui's quote_plus()
 * and UID sequences, offlineimap's thread names and banner, and the
 * escaping of text from outside for a terminal.  Moved from mailsync-ui.c
 * (issue 14 item 1). */
#include "config.h"
#include "mailsync-ui-private.h"

#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

/**
 * mailsync_ui_quote_plus:
 * @text: UTF-8 text
 *
 * Encodes @text as Python's urllib.parse.quote_plus() does, which is what
 * machineui parsers decode: [A-Za-z0-9_.~-] stay, a space becomes '+',
 * every other byte becomes %XX with upper-case hex.
 *
 * Returns: (transfer full): the encoded text
 */
char *
mailsync_ui_quote_plus (const char *text)
{
  static const char hex[] = "0123456789ABCDEF";
  GString *out = g_string_sized_new (text ? strlen (text) * 3 / 2 + 1 : 1);

  for (const guchar *p = (const guchar *) (text ? text : ""); *p; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '_' || *p == '.' || *p == '~' || *p == '-')
        g_string_append_c (out, *p);
      else if (*p == ' ')
        g_string_append_c (out, '+');
      else
        {
          g_string_append_c (out, '%');
          g_string_append_c (out, hex[*p >> 4]);
          g_string_append_c (out, hex[*p & 0xf]);
        }
    }
  return g_string_free (out, FALSE);
}

/**
 * mailsync_ui_uid_sequence:
 * @uids: (array length=n_uids): UIDs
 * @n_uids: how many
 *
 * offlineimap's imaputil.uid_sequence(): sorted, consecutive runs collapsed
 * ("7:9,12").
 *
 * Returns: (transfer full): the sequence, "" for none
 */
char *
mailsync_ui_uid_sequence (const guint32 *uids, guint n_uids)
{
  g_autofree guint32 *sorted = g_memdup2 (uids, sizeof (guint32) * n_uids);
  GString *out = g_string_new (NULL);

  for (guint i = 1; i < n_uids; i++)
    for (guint j = i; j > 0 && sorted[j - 1] > sorted[j]; j--)
      {
        guint32 t = sorted[j];
        sorted[j] = sorted[j - 1];
        sorted[j - 1] = t;
      }
  for (guint i = 0; i < n_uids;)
    {
      guint j = i;

      while (j + 1 < n_uids && sorted[j + 1] <= sorted[j] + 1)
        j++;
      if (out->len)
        g_string_append_c (out, ',');
      if (sorted[j] != sorted[i])
        g_string_append_printf (out, "%u:%u", sorted[i], sorted[j]);
      else
        g_string_append_printf (out, "%u", sorted[i]);
      i = j + 1;
    }
  return g_string_free (out, FALSE);
}

/**
 * mailsync_ui_account_thread:
 * @account: an account name
 *
 * Returns: (transfer full): offlineimap's name of the account's thread
 */
char *
mailsync_ui_account_thread (const char *account)
{
  return g_strconcat ("Account sync ", account ? account : "", NULL);
}

/**
 * mailsync_ui_folder_thread:
 * @folder: a folder name
 * @account: an account name
 *
 * Returns: (transfer full): offlineimap's name of a folder's thread
 */
char *
mailsync_ui_folder_thread (const char *folder, const char *account)
{
  /* one per event, most of them per message: no printf */
  return g_strconcat ("Folder ", folder ? folder : "", " [acc: ", account ? account : "", "]", NULL);
}

/**
 * mailsync_ui_banner_text:
 *
 * mailsync's banner, in the place and shape of offlineimap's ("OfflineIMAP
 * 8.0.0" + licence line): scripts that skip two raw lines keep working.
 *
 * Returns: the two banner lines, joined by a newline
 */
const char *
mailsync_ui_banner_text (void)
{
  return "mailsync " PACKAGE_VERSION "\n"
         "  Licensed under the GNU LGPL v2.1 or any later version";
}

/* Folder names, server texts (ALERT, NO) and error messages come from
 * outside: a hostile server must not drive the user's terminal with
 * escape sequences. Control characters other than newline and tab, and
 * invalid UTF-8, are shown escaped. Returns %NULL when @text is fine. */
char *
_mailsync_ui_printable_or_null (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;
  gboolean clean = TRUE;

  if (text == NULL)
    return NULL;
  for (const guchar *p = (const guchar *) text; *p && clean; p++)
    {
      if (*p < 0x20)
        clean = *p == '\n' || *p == '\t';
      else if (*p == 0x7f)
        clean = FALSE;
      else if (*p == 0xc2)   /* U+0080..U+009F are 0xc2 0x80..0x9f */
        clean = !(p[1] >= 0x80 && p[1] < 0xa0);
    }
  if (clean && g_utf8_validate (text, -1, NULL))
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid) + 16);
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c >= 0x80 && c < 0xa0)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/**
 * mailsync_ui_printable:
 * @text: text from outside (a folder name, a server's words)
 *
 * Returns: (transfer full): @text fit for a terminal: control characters
 *   but newline and tab, and invalid UTF-8, escaped
 */
char *
mailsync_ui_printable (const char *text)
{
  char *shown = _mailsync_ui_printable_or_null (text);

  return shown != NULL ? shown : g_strdup (text);
}
