#!/bin/sh
# check-gjs.sh: gjs/test-maildir-sync.js (the Mailsync-1.0 typelib from
# JavaScript: containers, boxed records, a status store written in
# JavaScript driven by the C engine), as TAP.  A missing gjs or a build
# without introspection is a SKIP with its reason, never a pass.
#
# Environment (bindings/Makefile.am): HAVE_INTROSPECTION, GI_TYPELIB_PATH
# and LD_LIBRARY_PATH at the build tree, srcdir.

srcdir=${srcdir:-.}
if [ "${HAVE_INTROSPECTION:-yes}" != yes ]; then
  echo "1..0 # SKIP libmailsync built without GObject-Introspection"
  exit 0
fi
if ! command -v gjs >/dev/null 2>&1; then
  echo "1..0 # SKIP gjs is not installed"
  exit 0
fi
# A hang is a failure, not a stuck make check.
if command -v timeout >/dev/null 2>&1; then
  exec timeout 300 gjs "$srcdir/gjs/test-maildir-sync.js"
fi
exec gjs "$srcdir/gjs/test-maildir-sync.js"
