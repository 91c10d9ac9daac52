/* ~/.netrc lookup (the format of ftp(1) and curl), for a password that
 * the configuration does not give. Internal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The password for @host (and @user if not NULL; else the entry's login
 * is returned in @user_out). NULL when there is no matching entry.
 * @path NULL means $HOME/.netrc, $HOME read at each call. */
char *mailsync_netrc_lookup (const char  *path,
                             const char  *host,
                             const char  *user,
                             char       **user_out);

G_END_DECLS
