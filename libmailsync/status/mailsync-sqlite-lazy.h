#pragma once

/* SQLite, loaded on first use (mailsync-lazy-lib-private.h).  Include this
 * instead of <sqlite3.h>, after every other header: from here on
 * each function listed is a call through the table.  A function not
 * listed is not linked (the library does not link -lsqlite3): add it to
 * the list and to the redirects at the end. */

#include <glib.h>
#include <sqlite3.h>

#define MAILSYNC_SQLITE_FUNCTIONS(X) \
  X (sqlite3_bind_int64) \
  X (sqlite3_bind_text) \
  X (sqlite3_busy_timeout) \
  X (sqlite3_clear_bindings) \
  X (sqlite3_close_v2) \
  X (sqlite3_column_int64) \
  X (sqlite3_column_text) \
  X (sqlite3_db_config) \
  X (sqlite3_errmsg) \
  X (sqlite3_errstr) \
  X (sqlite3_exec) \
  X (sqlite3_extended_result_codes) \
  X (sqlite3_file_control) \
  X (sqlite3_finalize) \
  X (sqlite3_get_autocommit) \
  X (sqlite3_open_v2) \
  X (sqlite3_prepare_v2) \
  X (sqlite3_reset) \
  X (sqlite3_step)

typedef struct
{
#define MAILSYNC_SQLITE_FUNCTIONS_MEMBER(name) __typeof__ (name) *name;
  MAILSYNC_SQLITE_FUNCTIONS (MAILSYNC_SQLITE_FUNCTIONS_MEMBER)
#undef MAILSYNC_SQLITE_FUNCTIONS_MEMBER
} MailsyncSqliteTable;

extern MailsyncSqliteTable _mailsync_sqlite_table;

/* Loads the library before its first call; %FALSE with MAILSYNC_ERROR_NOT_SUPPORTED. */
gboolean _mailsync_sqlite_load (GError **error);

#define sqlite3_bind_int64 (*_mailsync_sqlite_table.sqlite3_bind_int64)
#define sqlite3_bind_text (*_mailsync_sqlite_table.sqlite3_bind_text)
#define sqlite3_busy_timeout (*_mailsync_sqlite_table.sqlite3_busy_timeout)
#define sqlite3_clear_bindings (*_mailsync_sqlite_table.sqlite3_clear_bindings)
#define sqlite3_close_v2 (*_mailsync_sqlite_table.sqlite3_close_v2)
#define sqlite3_column_int64 (*_mailsync_sqlite_table.sqlite3_column_int64)
#define sqlite3_column_text (*_mailsync_sqlite_table.sqlite3_column_text)
#define sqlite3_db_config (*_mailsync_sqlite_table.sqlite3_db_config)
#define sqlite3_errmsg (*_mailsync_sqlite_table.sqlite3_errmsg)
#define sqlite3_errstr (*_mailsync_sqlite_table.sqlite3_errstr)
#define sqlite3_exec (*_mailsync_sqlite_table.sqlite3_exec)
#define sqlite3_extended_result_codes (*_mailsync_sqlite_table.sqlite3_extended_result_codes)
#define sqlite3_file_control (*_mailsync_sqlite_table.sqlite3_file_control)
#define sqlite3_finalize (*_mailsync_sqlite_table.sqlite3_finalize)
#define sqlite3_get_autocommit (*_mailsync_sqlite_table.sqlite3_get_autocommit)
#define sqlite3_open_v2 (*_mailsync_sqlite_table.sqlite3_open_v2)
#define sqlite3_prepare_v2 (*_mailsync_sqlite_table.sqlite3_prepare_v2)
#define sqlite3_reset (*_mailsync_sqlite_table.sqlite3_reset)
#define sqlite3_step (*_mailsync_sqlite_table.sqlite3_step)
