/* libFuzzer target for the Maildir file name codec (issue 12 item 10).
 *
 * The input is a file name as a Maildir can hold it (any bytes but NUL and
 * '/'; other NULs end the name). Checks beyond "no crash":
 *  - the parts put back together give the name again (no byte lost, so a
 *    rename of a name we do not understand keeps it);
 *  - a rename with other flags keeps base and tail and parses back to
 *    exactly those flags;
 *  - the flag helpers give sorted letters without duplicates;
 *  - a U= is only trusted with a matching FMD5=. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "backends/maildir/mailsync-maildir-filename.h"
#include "mailsync-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_sorted (const char *letters)
{
  for (gsize i = 1; letters[0] != '\0' && letters[i] != '\0'; i++)
    if ((guchar) letters[i - 1] >= (guchar) letters[i])
      abort ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *name = g_strndup ((const char *) data, size);
  MailsyncMaildirName parsed = { NULL, }, again = { NULL, };
  g_autofree char *joined = NULL, *renamed = NULL, *sorted = NULL, *applied = NULL;
  g_autofree char *md5 = NULL;
  gint64 date;

  _mailsync_maildir_name_parse (name, &parsed);

  /* base + sep "2," flags + tail == name */
  if (parsed.info_sep != 0)
    joined = g_strdup_printf ("%s%c2,%s%s", parsed.base, parsed.info_sep, parsed.flags, parsed.tail);
  else
    joined = g_strconcat (parsed.base, parsed.flags, parsed.tail, NULL);
  if (strcmp (joined, name) != 0)
    abort ();

  /* The folder md5 it claims: the U= is its UID, another folder's md5: 0. */
  if (parsed.fmd5 != NULL)
    {
      if (_mailsync_maildir_name_get_uid_for (&parsed, parsed.fmd5) != parsed.uid)
        abort ();
    }
  /* The listing's view (no copies) finds the same UID as the parse. */
  {
    MailsyncMaildirNameView v;

    _mailsync_maildir_name_view (name, &v);
    if (parsed.fmd5 != NULL && _mailsync_maildir_name_view_uid_for (name, &v, parsed.fmd5) != parsed.uid)
      abort ();
    if (v.size != parsed.size || v.uid != parsed.uid || v.base_len != strlen (parsed.base))
      abort ();
  }
  md5 = _mailsync_maildir_folder_md5 ("INBOX");
  if (parsed.fmd5 == NULL || strcmp (parsed.fmd5, md5) != 0)
    if (_mailsync_maildir_name_get_uid_for (&parsed, md5) != 0)
      abort ();

  /* Renaming with the sorted flags keeps the base and the tail. */
  sorted = _mailsync_maildir_flags_sort (parsed.flags);
  check_sorted (sorted);
  applied = _mailsync_maildir_flags_apply (parsed.flags, MAILSYNC_FLAG_SEEN, MAILSYNC_FLAG_DELETED);
  check_sorted (applied);
  if (strchr (applied, 'S') == NULL || strchr (applied, 'T') != NULL)
    abort ();
  renamed = _mailsync_maildir_name_with_flags (&parsed, applied, ':');
  _mailsync_maildir_name_parse (renamed, &again);
  if (strcmp (again.base, parsed.base) != 0 || strcmp (again.tail, parsed.tail) != 0 ||
      again.uid != parsed.uid)
    abort ();
  /* A tail that starts with a flag letter would be read back as flags. */
  if (parsed.tail[0] == '\0' && strcmp (again.flags, applied) != 0)
    abort ();

  /* The same bytes as a Date: header value. */
  (void) _mailsync_parse_rfc5322_date (name, &date);

  _mailsync_maildir_name_clear (&parsed);
  _mailsync_maildir_name_clear (&again);
  return 0;
}
