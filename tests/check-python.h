/* What tests/check-python.c and tests/check-python-runtime.c (one test
 * program, check-python) share: includes, assertions and helpers. */
#pragma once

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mailsync-test.h"
#include "mailsync-error.h"
#include "config/mailsync-python-private.h"

#define ck_assert_no_error(e) ck_assert_msg ((e) == NULL, "%s", (e) ? (e)->message : "")
#define WHERE "test.rc:12: nametrans"

/* The message must be exactly one line. */
#define assert_error(err, ecode, msg) G_STMT_START { \
    ck_assert_ptr_nonnull (err); \
    ck_assert_msg (g_error_matches ((err), MAILSYNC_ERROR, (ecode)), \
                   "wrong error %d: %s", (err)->code, (err)->message); \
    ck_assert_str_eq ((err)->message, (msg)); \
  } G_STMT_END

#define assert_error_prefix(err, ecode, prefix) G_STMT_START { \
    ck_assert_ptr_nonnull (err); \
    ck_assert_msg (g_error_matches ((err), MAILSYNC_ERROR, (ecode)), \
                   "wrong error %d: %s", (err)->code, (err)->message); \
    ck_assert_msg (g_str_has_prefix ((err)->message, (prefix)), \
                   "'%s' does not start with '%s'", (err)->message, (prefix)); \
    ck_assert_msg (strchr ((err)->message, '\n') == NULL, "not one line: %s", (err)->message); \
  } G_STMT_END

#ifdef HAVE_PYTHON_EMBED
/* check-python.c */
char           *data_path           (const char *name);
MailsyncPython *new_with_pythonfile (void);
GHashTable     *mbnames_item        (const char *account, const char *folder);

/* check-python-runtime.c: adds its tests to @tc, in the order they ran
 * at the end of check-python.c's list (test_host_interpreter must stay
 * the last: it wants to be the process's first use of Python in its own
 * forked child, and returns early otherwise). */
void check_python_add_runtime_tests (TCase *tc);
#endif
