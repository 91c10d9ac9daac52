/* GLib's C locale, made before the library starts a thread.
 *
 * g_ascii_string_to_unsigned() (and _signed) set errno to 0, call
 * g_ascii_strtoull() and report "not a number" when errno is then neither
 * 0 nor ERANGE.  The first g_ascii_strto*() call of a process creates
 * GLib's C locale under g_once_init_enter(); a second thread arriving at
 * that moment waits on GLib's futex-based mutex and condition, and a
 * futex syscall that returns EAGAIN or EINTR leaves errno set (GLib 2.74
 * does not restore it).  The waiting thread's number then reads as
 * invalid although its text is fine: the library saw this as a status
 * journal "malformed journal record header" about once in 2,000 resyncs
 * (the first folder's status load racing its own early Maildir listing
 * thread, both parsing numbers for the first time).
 *
 * Making the locale when the library is loaded, before any of its code
 * runs, leaves every later call on the once's fast path (an atomic read,
 * no syscall), whichever thread comes first.  It costs one newlocale()
 * of "C", which glibc answers with its static C locale. */
#include "config.h"

#include <glib.h>

#include "mailsync-private.h"

void
_mailsync_c_locale_init (void)
{
  /* The value is irrelevant: the call is for its side effect. */
  (void) g_ascii_strtoull ("0", NULL, 10);
}

__attribute__((constructor)) static void
mailsync_c_locale_constructor (void)
{
  _mailsync_c_locale_init ();
}
