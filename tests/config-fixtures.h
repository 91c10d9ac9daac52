/* Shared by the check-config* programs: a private $HOME per test and the
 * config fragments the tests build their files from. */
#pragma once

#include "mailsync.h"

extern char *home;

void setup (void);
void teardown (void);

#define GENERAL "[general]\naccounts = A\nmetadata = ~/meta\n"
#define ACCOUNT "[Account A]\nlocalrepository = L\nremoterepository = R\n"
#define LOCAL "[Repository L]\ntype = Maildir\nlocalfolders = ~/Mail\n"
#define REMOTE "[Repository R]\ntype = IMAP\nremotehost = imap.example.org\nremoteuser = me\nremotepass = pw\n"
#define E_INVALID MAILSYNC_ERROR_INVALID_CONFIG
#define E_UNSUPPORTED MAILSYNC_ERROR_NOT_SUPPORTED
#define REMOTE_NOPASS "[Repository R]\ntype = IMAP\nremotehost = imap.example.org\nremoteuser = me\n"

MailsyncConfig *load_config (const char *data,
                             GError    **error);
MailsyncAccount *create (const char      *data,
                         MailsyncConfig **config_out,
                         GError         **error);
