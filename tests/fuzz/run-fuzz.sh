#!/bin/bash
# Build the libFuzzer targets in a separate build directory and run them for
# a total of $1 seconds (default 60), split evenly between the targets run
# (`run-fuzz.sh 60` gives each of the four 15 s). Exits non-zero when a
# fuzzer finds a crash, a leak or a sanitizer error. Needs clang and its
# libFuzzer runtime (Debian 12: apt-get install clang libclang-rt-14-dev).
#
#   tests/fuzz/run-fuzz.sh [--target NAME] [seconds] [extra libFuzzer flags...]
#
# NAME is one of the targets below (imap-parser, maildir-filename,
# status-plain, config-file); --target runs only that one, for all the
# seconds. Each target starts from its seed corpus, tests/fuzz/corpus/NAME/.
# Environment: FUZZ_BUILDDIR (default: $TMPDIR/mailsync-fuzz-build).
set -eu

all_targets="imap-parser maildir-filename status-plain config-file"
targets=$all_targets
if [ "${1:-}" = --target ]; then
  [ $# -ge 2 ] || { echo "run-fuzz.sh: --target needs a name ($all_targets)" >&2; exit 2; }
  case " $all_targets " in
    *" $2 "*) targets=$2 ;;
    *) echo "run-fuzz.sh: unknown target '$2' ($all_targets)" >&2; exit 2 ;;
  esac
  shift 2
fi

seconds=${1:-60}
[ $# -gt 0 ] && shift
n=$(echo $targets | wc -w)
each=$(( seconds / n ))
[ "$each" -ge 1 ] || each=1

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

mkdir -p "$builddir/obj"
cd "$builddir/obj"
if [ ! -f Makefile ]; then
  "$srcdir/configure" CC=clang \
    CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined" \
    LDFLAGS="-fsanitize=address,undefined" \
    --enable-fuzzing --disable-introspection --disable-shared >/dev/null
fi
make -j"$(nproc 2>/dev/null || echo 2)" -C libmailsync libmailsync-internal.la >/dev/null
for t in $targets; do
  make -C tests "fuzz/fuzz-$t" >/dev/null
done

status=0
for t in $targets; do
  # The status store writes files at each input: on tmpfs where there is one.
  tmp=${TMPDIR:-/tmp}
  [ "$t" = status-plain ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
  rm -rf "$workdir/$t"
  mkdir -p "$workdir/$t/corpus"
  cp "$srcdir/tests/fuzz/corpus/$t"/* "$workdir/$t/corpus/" 2>/dev/null || true
  echo "==> fuzz-$t ($each s)"
  (cd "$workdir/$t" &&
   TMPDIR=$tmp \
   ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
   UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
   "$builddir/obj/tests/fuzz/fuzz-$t" -max_total_time="$each" -max_len=4096 \
     -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@" corpus) || status=1
done
exit $status
