/* libmailsync: the one header consumers include. */
#pragma once

#define __MAILSYNC_INSIDE__

#include "mailsync-version.h"
#include "mailsync-version-macros.h"
#include "mailsync-runtime-version.h"
#include "mailsync-enums.h"
#include "mailsync-error.h"
#include "mailsync-message-info.h"
#include "mailsync-folder-info.h"
#include "mailsync-folder-changes.h"
#include "mailsync-folder.h"
#include "mailsync-question.h"
#include "mailsync-interaction.h"
#include "mailsync-repository.h"
#include "mailsync-status-store.h"
#include "mailsync-sync-event.h"
#include "mailsync-account.h"
#include "status/mailsync-status-plain.h"
#include "status/mailsync-status-sqlite.h"
#include "backends/maildir/mailsync-maildir-repository.h"
#include "backends/maildir/mailsync-maildir-folder.h"
#include "backends/imap/mailsync-imap-error.h"
#include "backends/imap/mailsync-imap-repository.h"
#include "backends/imap/mailsync-imap-folder.h"
#include "backends/mapped/mailsync-mapped-repository.h"
#include "config/mailsync-config-file.h"
#include "config/mailsync-config.h"

#undef __MAILSYNC_INSIDE__
