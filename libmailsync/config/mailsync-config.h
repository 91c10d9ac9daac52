#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <gio/gio.h>
#include "mailsync-version-macros.h"
#include "mailsync-account.h"
#include "config/mailsync-config-file.h"

G_BEGIN_DECLS

/* A user's accounts as an offlineimap (or mailsync) configuration file
 * describes them.  This is the only place in the library that knows every
 * backend by name: it turns [Account X] / [Repository Y] sections into
 * MailsyncAccount objects with their repositories, status store and
 * policy.  Every option of offlineimap's reference is either honoured or
 * refused with an error naming the option and its file:line. */

#define MAILSYNC_TYPE_CONFIG (mailsync_config_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncConfig, mailsync_config, MAILSYNC, CONFIG, GObject)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncConfig     *mailsync_config_new                 (MailsyncConfigFile *file,
                                                         GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncConfigFile *mailsync_config_get_file            (MailsyncConfig     *self);
MAILSYNC_AVAILABLE_IN_ALL
char              **mailsync_config_get_account_names   (MailsyncConfig     *self,
                                                         GError            **error);
MAILSYNC_AVAILABLE_IN_ALL
char              **mailsync_config_get_all_account_names (MailsyncConfig   *self);
MAILSYNC_AVAILABLE_IN_ALL
char               *mailsync_config_get_metadata_dir    (MailsyncConfig     *self);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncAccount    *mailsync_config_create_account      (MailsyncConfig     *self,
                                                         const char         *name,
                                                         GCancellable       *cancellable,
                                                         GError            **error);

G_END_DECLS
