#!/bin/bash
# Build the IMAP parser fuzzer in a separate build directory and run it for
# $1 seconds (default 60). Exits non-zero when the fuzzer finds a crash, a
# leak or a sanitizer error. Needs clang and its libFuzzer runtime
# (Debian 12: apt-get install clang libclang-rt-14-dev).
#
#   tests/fuzz/run-fuzz.sh [seconds] [extra libFuzzer flags...]
#
# Environment: FUZZ_BUILDDIR (default: $TMPDIR/mailsync-fuzz-build).
set -eu

seconds=${1:-60}
[ $# -gt 0 ] && shift

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${FUZZ_BUILDDIR:-${TMPDIR:-/tmp}/mailsync-fuzz-build}
workdir=$builddir/fuzz-run

command -v clang >/dev/null || { echo "run-fuzz.sh: clang not found" >&2; exit 2; }

# A VPATH build needs a source tree that is not configured in place: build
# from a copy of the working tree (tracked and untracked, not ignored files).
if [ -f "$srcdir/config.status" ]; then
  copy=$builddir/src
  rm -rf "$copy"
  mkdir -p "$copy"
  if git -C "$srcdir" rev-parse >/dev/null 2>&1; then
    (cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
       while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
       xargs -0 cp --parents -t "$copy")
  else
    cp -a "$srcdir/." "$copy"
    rm -f "$copy/config.status" "$copy/config.h" "$copy/Makefile"
  fi
  (cd "$copy" && ./autogen.sh >/dev/null 2>&1)
  srcdir=$copy
  rm -rf "$builddir/obj"
fi

mkdir -p "$builddir/obj" "$workdir/corpus"
cd "$builddir/obj"
if [ ! -f Makefile ]; then
  "$srcdir/configure" CC=clang \
    CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined" \
    LDFLAGS="-fsanitize=address,undefined" \
    --enable-fuzzing --disable-introspection --disable-shared >/dev/null
fi
make -j"$(nproc 2>/dev/null || echo 2)" -C libmailsync libmailsync-internal.la >/dev/null
make -C tests fuzz/fuzz-imap-parser >/dev/null

cp "$srcdir"/tests/fuzz/corpus/* "$workdir/corpus/" 2>/dev/null || true
cd "$workdir"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
"$builddir/obj/tests/fuzz/fuzz-imap-parser" -max_total_time="$seconds" -max_len=4096 \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@" corpus
