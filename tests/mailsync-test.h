/* Shared helpers for the check-based tests. */
#pragma once

#include <check.h>
#include <gio/gio.h>

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

/* Write @contents to @path (creating parent directories). */
void  mailsync_test_write_file (const char *path, const char *contents);
/* Read a whole file; aborts the test on error. */
char *mailsync_test_read_file (const char *path, gsize *length);

G_END_DECLS
