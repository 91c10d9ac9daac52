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

/* The password function that counts its calls and answers "typed" (its
 * user_data a Prompt; last: "account|repository|user|host"). */
typedef struct
{
  guint calls;
  char *last;
} Prompt;

char *prompt (const char *account,
              const char *repository,
              const char *user,
              const char *host,
              gpointer    user_data);
MailsyncAccount *create_asking (const char           *data,
                                MailsyncPasswordFunc  func,
                                gpointer              user_data,
                                MailsyncConfig      **config_out);

/* A server behind a transporttunnel (sh) that offers only XOAUTH2 and
 * refuses every login. */
extern const char refusing_server[];
