/* The account's Gmail label options (synclabels, labelsheader,
 * ignorelabels: reference §2.4), applied to its repositories. The types
 * themselves are built in mailsync-config-repository.c (Gmail = IMAP with
 * GmailRepository's defaults, GmailMaildir = Maildir). */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "mailsync-private.h"
#include "sync/mailsync-gmail-labels.h"

#include <string.h>

gboolean
_mailsync_config_apply_synclabels (MailsyncRepository *remote,
                                   MailsyncRepository *local,
                                   const char         *header,
                                   const char         *ignorelabels)
{
  g_auto(GStrv) ignore = NULL;
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();

  /* offlineimap's label pass exists only between a Gmail folder and a
   * GmailMaildir one */
  if (g_strcmp0 (_mailsync_repository_get_type_label (remote), "Gmail") != 0 ||
      g_strcmp0 (_mailsync_repository_get_type_label (local), "GmailMaildir") != 0)
    return FALSE;
  /* GmailFolder: re.split(r'\s*,\s*', ignorelabels), empty items dropped */
  ignore = g_strsplit (ignorelabels != NULL ? ignorelabels : "", ",", -1);
  for (guint i = 0; ignore[i] != NULL; i++)
    {
      g_strstrip (ignore[i]);
      if (*ignore[i] != '\0')
        g_strv_builder_add (kept, ignore[i]);
    }
  {
    g_auto(GStrv) list = g_strv_builder_end (kept);

    _mailsync_labels_config_set (local, header, (const char *const *) list);
  }
  return TRUE;
}
