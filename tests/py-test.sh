#!/bin/sh
# The log compiler of the Python integration suites (tests/*.py). In the
# tree that `make distcheck` builds from the tarball they are skipped
# (run-tests sets MAILSYNC_DISTCHECK=1 there): the werror and ASan builds
# have just run every one of them against Dovecot, and running them a
# third time made CI overrun its time. distcheck still builds the tarball
# and runs the unit and shell tests.
if [ -n "${MAILSYNC_DISTCHECK:-}" ]; then
  echo "SKIP: Python integration suite; run by the main builds, not in distcheck"
  exit 77
fi
exec "${PYTHON:-python3}" "$@"
