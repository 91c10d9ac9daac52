/* IMAP capability lists: flags for what we use, AUTH= mechanisms apart. */
#include "config.h"

#include <string.h>

#include "mailsync-imap-capabilities.h"

static const struct
{
  const char          *name;
  MailsyncImapCapFlags flag;
} cap_names[] = {
  { "IMAP4rev1", MAILSYNC_IMAP_CAP_IMAP4REV1 },
  { "IMAP4rev2", MAILSYNC_IMAP_CAP_IMAP4REV2 },
  { "LITERAL+", MAILSYNC_IMAP_CAP_LITERAL_PLUS },
  { "LITERAL-", MAILSYNC_IMAP_CAP_LITERAL_MINUS },
  { "UIDPLUS", MAILSYNC_IMAP_CAP_UIDPLUS },
  { "CONDSTORE", MAILSYNC_IMAP_CAP_CONDSTORE },
  { "QRESYNC", MAILSYNC_IMAP_CAP_QRESYNC },
  { "COMPRESS=DEFLATE", MAILSYNC_IMAP_CAP_COMPRESS_DEFLATE },
  { "IDLE", MAILSYNC_IMAP_CAP_IDLE },
  { "NAMESPACE", MAILSYNC_IMAP_CAP_NAMESPACE },
  { "ID", MAILSYNC_IMAP_CAP_ID },
  { "ENABLE", MAILSYNC_IMAP_CAP_ENABLE },
  { "MOVE", MAILSYNC_IMAP_CAP_MOVE },
  { "UTF8=ACCEPT", MAILSYNC_IMAP_CAP_UTF8_ACCEPT },
  { "UTF8=ONLY", MAILSYNC_IMAP_CAP_UTF8_ONLY },
  { "SASL-IR", MAILSYNC_IMAP_CAP_SASL_IR },
  { "STARTTLS", MAILSYNC_IMAP_CAP_STARTTLS },
  { "LOGINDISABLED", MAILSYNC_IMAP_CAP_LOGINDISABLED },
  { "SPECIAL-USE", MAILSYNC_IMAP_CAP_SPECIAL_USE },
  { "LIST-STATUS", MAILSYNC_IMAP_CAP_LIST_STATUS },
  { "LIST-EXTENDED", MAILSYNC_IMAP_CAP_LIST_EXTENDED },
  { "ESEARCH", MAILSYNC_IMAP_CAP_ESEARCH },
  { "BINARY", MAILSYNC_IMAP_CAP_BINARY },
  { "X-GM-EXT-1", MAILSYNC_IMAP_CAP_X_GM_EXT_1 },
};

MailsyncImapCapFlags
mailsync_imap_capability_from_name (const char *name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cap_names); i++)
    if (g_ascii_strcasecmp (name, cap_names[i].name) == 0)
      return cap_names[i].flag;
  return 0;
}

MailsyncImapCapabilities *
mailsync_imap_capabilities_new (const char *const *atoms)
{
  MailsyncImapCapabilities *caps = g_new0 (MailsyncImapCapabilities, 1);
  g_autoptr(GStrvBuilder) auth = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) unknown = g_strv_builder_new ();
  guint i;

  for (i = 0; atoms != NULL && atoms[i] != NULL; i++)
    {
      MailsyncImapCapFlags flag = mailsync_imap_capability_from_name (atoms[i]);

      if (flag != 0)
        caps->flags |= flag;
      else if (g_ascii_strncasecmp (atoms[i], "AUTH=", 5) == 0 && atoms[i][5] != '\0')
        {
          g_autofree char *mech = g_ascii_strup (atoms[i] + 5, -1);
          g_strv_builder_add (auth, mech);
        }
      else
        g_strv_builder_add (unknown, atoms[i]);
    }
  /* RFC 7162 §3.2.3: QRESYNC implies CONDSTORE */
  if (caps->flags & MAILSYNC_IMAP_CAP_QRESYNC)
    caps->flags |= MAILSYNC_IMAP_CAP_CONDSTORE;
  caps->auth = g_strv_builder_end (auth);
  caps->unknown = g_strv_builder_end (unknown);
  return caps;
}

void
mailsync_imap_capabilities_free (MailsyncImapCapabilities *caps)
{
  if (caps == NULL)
    return;
  g_strfreev (caps->auth);
  g_strfreev (caps->unknown);
  g_free (caps);
}

gboolean
mailsync_imap_capabilities_has (const MailsyncImapCapabilities *caps, MailsyncImapCapFlags flags)
{
  return caps != NULL && (caps->flags & flags) == flags;
}

gboolean
mailsync_imap_capabilities_has_auth (const MailsyncImapCapabilities *caps, const char *mechanism)
{
  guint i;

  for (i = 0; caps != NULL && caps->auth[i] != NULL; i++)
    if (g_ascii_strcasecmp (caps->auth[i], mechanism) == 0)
      return TRUE;
  return FALSE;
}
