/* Shared helpers for the check-based tests. */
#pragma once

#include <check.h>
#include <gio/gio.h>

#include "mailsync.h"

G_BEGIN_DECLS

/* Run every test of @suite, TAP on stdout; returns the process exit code. */
int   mailsync_test_run (Suite *suite);

/* A fresh empty directory under $TMPDIR; removed by mailsync_test_rm_rf(). */
char *mailsync_test_mkdtemp (void);
void  mailsync_test_rm_rf (const char *path);

/* Adds @test to @tc when the library has its crash points (configure
 * --enable-test-hooks); without them the test is registered as one that
 * reports a TAP "# SKIP" with that reason, never as a pass. For tests that
 * set MAILSYNC_CRASH_AT. */
void  mailsync_test_add_crash_test (TCase *tc, const TTest *test);
/* The same for a test that sets one of the library's test knobs
 * (MAILSYNC_TEST_FOLD_EVERY...), which only a build with test hooks reads. */
void  mailsync_test_add_hooks_test (TCase *tc, const TTest *test);

/* Adds @test to @tc as a test that reports "# SKIP @reason" in the TAP
 * stream instead of running (check itself has no skip). */
void  mailsync_test_add_skipped_test (TCase *tc, const TTest *test, const char *reason);

/* The reason of the IMAP cases' SKIP on a machine without Dovecot. */
#define MAILSYNC_TEST_NO_DOVECOT "no private Dovecot: /usr/sbin/dovecot is not installed (tests/harness)"

/* A private Dovecot of tests/harness/dovecot-harness (in its directory
 * @dir), with the KEY=VALUE lines of its env file in @env. */
typedef struct
{
  char *dir;
  GHashTable *env;
} MailsyncTestServer;

/* Runs dovecot-harness <command> <server dir> <args...>: the arguments
 * after @error are the command and its own arguments, NULL-terminated. */
gboolean            mailsync_test_harness (const MailsyncTestServer *server, GError **error, ...)
                                           G_GNUC_NULL_TERMINATED;
/* Starts @server in <base>/<variant> and reads its env; FALSE (the reason
 * printed as a TAP comment) when the harness fails. The server is this
 * process's: a SIGTERM, SIGINT or SIGHUP to it stops the server first,
 * and the harness watchdog stops it when the process has died (--owner). */
gboolean            mailsync_test_server_start (MailsyncTestServer *server, const char *variant,
                                                const char *base);
/* Stops a started @server and removes its directory. */
void                mailsync_test_server_stop (MailsyncTestServer *server);
/* A value of the server's env file; aborts the test when it is missing. */
const char         *mailsync_test_server_env (const MailsyncTestServer *server, const char *key);
/* An IMAP repository named @name for the server's user (STARTTLS, the
 * harness CA, a 120 s timeout). */
MailsyncRepository *mailsync_test_server_imap_repository (const MailsyncTestServer *server,
                                                          const char               *name);

/* dovecot-harness bytes: the @key figure ("open", "sessions"...) of the
 * server user's sessions logged in since the log offset @since ("offset"
 * itself is the log's end now). */
guint64             mailsync_test_server_figure (const MailsyncTestServer *server, const char *key,
                                                 guint64 since);
/* Waits (60 s: the machine is loaded) until Dovecot has @open sessions
 * logged in since @since and still logged in; fails the test if not. */
void                mailsync_test_server_wait_open (const MailsyncTestServer *server, guint64 since,
                                                    guint64 open);

/* Write @contents to @path (creating parent directories). */
void  mailsync_test_write_file (const char *path, const char *contents);
/* Read a whole file; aborts the test on error. */
char *mailsync_test_read_file (const char *path, gsize *length);

G_END_DECLS
