#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <gio/gio.h>
#include "../mailsync-version-macros.h"

G_BEGIN_DECLS

/* An offlineimap-compatible configuration file: Python configparser
 * semantics (strict, BasicInterpolation, [DEFAULT], `=` or `:`, full-line
 * comments only, continuation lines, case-insensitive keys).  Every value
 * remembers where it came from (file:line or the command line) so that
 * errors can name it.  Errors are MAILSYNC_ERROR_INVALID_CONFIG with a
 * message that starts with "FILE:LINE: ". */

/**
 * MAILSYNC_TYPE_CONFIG_FILE:
 *
 * The #GType of #MailsyncConfigFile, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_CONFIG_FILE (mailsync_config_file_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncConfigFile, mailsync_config_file, MAILSYNC, CONFIG_FILE, GObject)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncConfigFile *mailsync_config_file_new              (void);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_file_load_from_file   (MailsyncConfigFile *self,
                                                           const char         *path,
                                                           GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_file_load_from_data   (MailsyncConfigFile *self,
                                                           const char         *data,
                                                           gssize              length,
                                                           const char         *name,
                                                           GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
const char         *mailsync_config_file_get_path         (MailsyncConfigFile *self);
MAILSYNC_AVAILABLE_IN_ALL
char              **mailsync_config_file_get_sections     (MailsyncConfigFile *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_file_has_section      (MailsyncConfigFile *self,
                                                           const char         *section);
MAILSYNC_AVAILABLE_IN_ALL
char              **mailsync_config_file_get_keys         (MailsyncConfigFile *self,
                                                           const char         *section);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_file_has_key          (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key);
MAILSYNC_AVAILABLE_IN_ALL
char               *mailsync_config_file_get_raw          (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key);
MAILSYNC_AVAILABLE_IN_ALL
char               *mailsync_config_file_get_string       (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key,
                                                           GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_file_get_boolean      (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key,
                                                           gboolean            default_value,
                                                           gboolean           *value,
                                                           GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_file_get_int64        (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key,
                                                           gint64              default_value,
                                                           gint64             *value,
                                                           GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_file_get_double       (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key,
                                                           double              default_value,
                                                           double             *value,
                                                           GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
char              **mailsync_config_file_get_list         (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key,
                                                           GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
void                mailsync_config_file_set_string       (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key,
                                                           const char         *value,
                                                           const char         *origin);
MAILSYNC_AVAILABLE_IN_ALL
gboolean            mailsync_config_file_remove_key       (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key);
MAILSYNC_AVAILABLE_IN_ALL
char               *mailsync_config_file_get_location     (MailsyncConfigFile *self,
                                                           const char         *section,
                                                           const char         *key);

MAILSYNC_AVAILABLE_IN_ALL
char               *mailsync_config_file_find_default_path (void);

G_END_DECLS
