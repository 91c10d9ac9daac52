#pragma once

#include "config/mailsync-config-file.h"

G_BEGIN_DECLS

/* The keys written in @section itself, without those inherited from
 * [DEFAULT]; %NULL if there is no such section. */
char **_mailsync_config_file_get_own_keys (MailsyncConfigFile *self,
                                           const char         *section);

/* Where the section's header is ("FILE:LINE"); NULL for DEFAULT or an
 * unknown section. */
const char *_mailsync_config_file_get_section_location (MailsyncConfigFile *self,
                                                        const char         *section);

G_END_DECLS
