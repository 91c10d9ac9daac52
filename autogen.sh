#!/bin/sh
# Bootstrap the autotools build from a git checkout.
set -e
srcdir=$(dirname "$0")
cd "$srcdir"
mkdir -p m4 build-aux
autoreconf -fi
# automake's manual: the TAP driver has to be copied into the tree by hand.
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
cp -f "$(automake --print-libdir)/test-driver" build-aux/test-driver
