/* mailsync-repository-describe.c: what a repository is and where
 * (mailsync_repository_describe()) and what it counted of its traffic
 * (mailsync_repository_get_statistics(), MailsyncRepositoryStatistics):
 * the generic API a program shows a repository with, without knowing its
 * backend. Why a dictionary for the one and a boxed struct for the other:
 * doc/design.md, "Describing a repository". */
#include "config.h"

#include "mailsync-repository.h"
#include "mailsync-repository-private.h"
#include "mailsync-private.h"

struct _MailsyncRepositoryStatistics
{
  guint64 bytes_received;
  guint64 bytes_sent;
  guint64 commands_sent;
};

G_DEFINE_BOXED_TYPE (MailsyncRepositoryStatistics, mailsync_repository_statistics,
                     mailsync_repository_statistics_copy, mailsync_repository_statistics_free)

/**
 * mailsync_repository_statistics_new:
 *
 * Creates statistics with every counter at 0: what a backend's
 * #MailsyncRepositoryClass.get_statistics fills with the setters.
 *
 * Returns: (transfer full): new statistics
 *
 * Since: 0.1
 */
MailsyncRepositoryStatistics *
mailsync_repository_statistics_new (void)
{
  return g_new0 (MailsyncRepositoryStatistics, 1);
}

/**
 * mailsync_repository_statistics_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy of @stats
 *
 * Since: 0.1
 */
MailsyncRepositoryStatistics *
mailsync_repository_statistics_copy (const MailsyncRepositoryStatistics *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  return g_memdup2 (stats, sizeof *stats);
}

/**
 * mailsync_repository_statistics_free:
 * @stats: (nullable): statistics
 *
 * Frees @stats.
 *
 * Since: 0.1
 */
void
mailsync_repository_statistics_free (MailsyncRepositoryStatistics *stats)
{
  g_free (stats);
}

/**
 * mailsync_repository_statistics_get_bytes_received:
 * @stats: statistics
 *
 * Bytes the repository received from its server, over every connection
 * it made (reconnections included) since it was created: those of the
 * protocol stream, before compression and TLS.
 *
 * Returns: the byte count
 *
 * Since: 0.1
 */
guint64
mailsync_repository_statistics_get_bytes_received (const MailsyncRepositoryStatistics *stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->bytes_received;
}

/**
 * mailsync_repository_statistics_set_bytes_received:
 * @stats: statistics
 * @bytes: the byte count
 *
 * Sets what mailsync_repository_statistics_get_bytes_received() returns
 * (for a backend's #MailsyncRepositoryClass.get_statistics).
 *
 * Since: 0.1
 */
void
mailsync_repository_statistics_set_bytes_received (MailsyncRepositoryStatistics *stats,
                                                   guint64                       bytes)
{
  g_return_if_fail (stats != NULL);
  stats->bytes_received = bytes;
}

/**
 * mailsync_repository_statistics_get_bytes_sent:
 * @stats: statistics
 *
 * Bytes the repository sent to its server, counted as
 * mailsync_repository_statistics_get_bytes_received() counts.
 *
 * Returns: the byte count
 *
 * Since: 0.1
 */
guint64
mailsync_repository_statistics_get_bytes_sent (const MailsyncRepositoryStatistics *stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->bytes_sent;
}

/**
 * mailsync_repository_statistics_set_bytes_sent:
 * @stats: statistics
 * @bytes: the byte count
 *
 * Sets what mailsync_repository_statistics_get_bytes_sent() returns.
 *
 * Since: 0.1
 */
void
mailsync_repository_statistics_set_bytes_sent (MailsyncRepositoryStatistics *stats,
                                               guint64                       bytes)
{
  g_return_if_fail (stats != NULL);
  stats->bytes_sent = bytes;
}

/**
 * mailsync_repository_statistics_get_commands_sent:
 * @stats: statistics
 *
 * Commands (requests) the repository sent to its server: an IMAP
 * repository's tagged commands. With the byte counts, the round trips
 * and volume that a run's wall time alone does not explain.
 *
 * Returns: the command count
 *
 * Since: 0.1
 */
guint64
mailsync_repository_statistics_get_commands_sent (const MailsyncRepositoryStatistics *stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->commands_sent;
}

/**
 * mailsync_repository_statistics_set_commands_sent:
 * @stats: statistics
 * @commands: the command count
 *
 * Sets what mailsync_repository_statistics_get_commands_sent() returns.
 *
 * Since: 0.1
 */
void
mailsync_repository_statistics_set_commands_sent (MailsyncRepositoryStatistics *stats,
                                                  guint64                       commands)
{
  g_return_if_fail (stats != NULL);
  stats->commands_sent = commands;
}

/* MailsyncRepositoryClass.describe of the base class: the keys every
 * repository has. */
GVariant *
_mailsync_repository_real_describe (MailsyncRepository *self)
{
  GVariantDict dict;
  char separator = mailsync_repository_get_separator (self);
  const char *kind = _mailsync_type_label (self);
  const char *name = mailsync_repository_get_name (self);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "kind", "s", kind);
  if (name != NULL)
    g_variant_dict_insert (&dict, "name", "s", name);
  if (separator != '\0')
    {
      char text[2] = { separator, '\0' };

      g_variant_dict_insert (&dict, "separator", "s", text);
    }
  return g_variant_dict_end (&dict);
}

/* The parent class's description of @self in @dict (initialised here),
 * for a backend's describe that chains up and adds its keys. */
void
_mailsync_repository_describe_parent (MailsyncRepository *self,
                                      gpointer            parent_class,
                                      GVariantDict       *dict)
{
  g_autoptr(GVariant) parent = MAILSYNC_REPOSITORY_CLASS (parent_class)->describe (self);

  g_variant_take_ref (parent);
  g_variant_dict_init (dict, parent);
}

/* MailsyncRepositoryClass.get_statistics of the base class: none kept */
MailsyncRepositoryStatistics *
_mailsync_repository_real_get_statistics (MailsyncRepository *self G_GNUC_UNUSED)
{
  return NULL;
}

/**
 * mailsync_repository_describe: (virtual describe)
 * @self: a repository
 *
 * What the repository is and where, for a program to show (mailsync's
 * `--info`) without knowing the backend: an `a{sv}` dictionary whose keys
 * a backend documents and may extend. Keys that are absent are unknown or
 * do not apply. Every repository has:
 *
 * - "kind" (s): the type a configuration file names it with
 *   (offlineimap's: "IMAP", "Maildir", "Gmail", "GmailMaildir"; for a
 *   class the library does not know, its type name without "Mailsync")
 * - "name" (s): mailsync_repository_get_name()
 * - "separator" (s): the hierarchy separator, one character, once known
 *
 * A repository that talks to a server (IMAP) adds:
 *
 * - "host" (s): the server, when one is set (not with a tunnel)
 * - "port" (u): the port as configured (0: the protocol's default);
 *   present for every server repository, so it tells one apart
 * - "ssl" (b): whether the connection starts with TLS
 * - "location" (s): where it connects: "HOST:PORT", or "tunnel:COMMAND"
 *   when a command is the transport
 * - "greeting" (s): the server's greeting, after the first open
 * - "capabilities" (as): the server's capabilities after login, sorted,
 *   after the first open
 *
 * A repository with a local directory (Maildir) adds:
 *
 * - "root" (s): its directory
 * - "location" (s): the same directory
 *
 * A repository that wraps another (#MailsyncMappedRepository) has the
 * wrapped one's "kind", the wrapped one's whole description as "inner"
 * (a{sv}) and its own keys ("uid-map-directory" (s)).
 *
 * Never a password or another secret.
 *
 * Returns: (transfer full): a new `a{sv}` (not floating)
 *
 * Since: 0.1
 */
GVariant *
mailsync_repository_describe (MailsyncRepository *self)
{
  MailsyncRepositoryClass *klass;
  GVariant *description;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  klass = MAILSYNC_REPOSITORY_GET_CLASS (self);
  description = klass->describe != NULL ? klass->describe (self) : NULL;
  if (description != NULL)
    {
      /* a backend may return a floating value (g_variant_dict_end()),
       * a binding a full reference: the caller gets a full one */
      g_variant_take_ref (description);
      if (g_variant_is_of_type (description, G_VARIANT_TYPE_VARDICT))
        return description;
      g_critical ("%s's describe returned a %s, not an a{sv}", G_OBJECT_TYPE_NAME (self),
                  g_variant_get_type_string (description));
      g_variant_unref (description);
    }
  return g_variant_ref_sink (_mailsync_repository_real_describe (self));
}

/**
 * mailsync_repository_get_statistics: (virtual get_statistics)
 * @self: a repository
 *
 * What the repository counted of its traffic with its server, over every
 * connection it made (reconnections included) since it was created: a
 * snapshot that later traffic does not change. A caller that wants one
 * run's figures subtracts the values it read before the run. A repository
 * that wraps another (#MailsyncMappedRepository) gives the wrapped one's.
 *
 * Returns: (transfer full) (nullable): new statistics, or %NULL when the
 *   repository keeps none (a local store such as Maildir)
 *
 * Since: 0.1
 */
MailsyncRepositoryStatistics *
mailsync_repository_get_statistics (MailsyncRepository *self)
{
  MailsyncRepositoryClass *klass;

  g_return_val_if_fail (MAILSYNC_IS_REPOSITORY (self), NULL);
  klass = MAILSYNC_REPOSITORY_GET_CLASS (self);
  return klass->get_statistics != NULL ? klass->get_statistics (self) : NULL;
}
