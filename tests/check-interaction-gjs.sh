#!/bin/sh
# check-interaction.js under gjs, against a private Dovecot
# (tests/harness): MailsyncInteraction subclassed in JavaScript, answering
# a password and a certificate question from the JS main loop, and a plain
# MailsyncInteraction whose "ask" signal handler keeps the MailsyncQuestion
# and answers it later, asynchronously (issue 10 item 1). TAP; a TAP skip plan without gjs, without the
# Mailsync-1.0 typelib (configure --enable-introspection), without
# Dovecot, or in a sanitizer build (gjs would load the ASan library
# without its runtime; the -Werror build runs this).
#
# Environment (tests/Makefile.am): TEST_SRCDIR, GI_TYPELIB_PATH and
# LD_LIBRARY_PATH at the build tree, MAILSYNC_TEST_SANITIZED;
# MAILSYNC_DISTCHECK from run-tests.
set -u

srcdir=${TEST_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
H=$srcdir/harness/dovecot-harness

# As the Python integration suites (tests/py-test.sh): the tree that
# make distcheck builds skips it, the -Werror build has just run it.
if [ -n "${MAILSYNC_DISTCHECK:-}" ]; then
  echo "1..0 # SKIP integration suite; run by the main builds, not in distcheck"
  exit 0
fi
if [ -n "${MAILSYNC_TEST_SANITIZED:-}" ]; then
  echo "1..0 # SKIP sanitizer build: run by the -Werror build (introspection)"
  exit 0
fi
if ! command -v gjs >/dev/null 2>&1; then
  echo "1..0 # SKIP gjs is not installed"
  exit 0
fi
if ! gjs -c "imports.gi.versions.Mailsync = '1.0'; imports.gi.Mailsync;" >/dev/null 2>&1; then
  echo "1..0 # SKIP no Mailsync-1.0 typelib (configure --enable-introspection)"
  exit 0
fi
if [ ! -x /usr/sbin/dovecot ]; then
  echo "1..0 # SKIP no private Dovecot: /usr/sbin/dovecot is not installed (tests/harness)"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailsync-interaction-gjs.XXXXXX") || exit 99
# Dovecot's mail processes run as another user
chmod 755 "$tmp"
cleanup() {
  "$H" stop "$tmp/dovecot" --clean >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --owner: the harness runs Dovecot in a session of its own, so if this
# script dies of a SIGKILL (no trap runs), its watchdog stops it.
if ! "$H" start "$tmp/dovecot" --lifetime 600 --owner $$ >"$tmp/start.log" 2>&1; then
  echo "Bail out! dovecot-harness start failed"
  sed 's/^/# /' "$tmp/start.log"
  exit 1
fi
set -a
. "$tmp/dovecot/env"
set +a

# A hang is a failure (no plan), not a stuck make check.
timeout 300 gjs "$srcdir/check-interaction.js"
rc=$?
trap - EXIT
cleanup
exit $rc
