#include "config.h"
#include "mailsync-test.h"
START_TEST (test_placeholder) { } END_TEST
int main (void) { Suite *s = suite_create ("maildir-folder"); TCase *tc = tcase_create ("x"); tcase_add_test (tc, test_placeholder); suite_add_tcase (s, tc); return mailsync_test_run (s); }
