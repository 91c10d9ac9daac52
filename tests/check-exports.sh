#!/bin/sh
# The shared library exports exactly the symbols listed in
# libmailsync/libmailsync.symbols, all prefixed mailsync_, under the soname
# libmailsync-1.0.so.0.  After an intended API change, run
# "make -C tests update-symbols" and commit the new list.  TAP.
set -u

: "${top_builddir:?run me from make check}" "${top_srcdir:?run me from make check}"
lib=$top_builddir/libmailsync/.libs/libmailsync-1.0.so
expected=$top_srcdir/libmailsync/libmailsync.symbols
status=0
n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
flunk() { n=$((n + 1)); echo "not ok $n - $*"; status=1; }

if [ ! -f "$lib" ]; then
  echo "Bail out! no $lib (shared library not built?)"
  exit 99
fi
for tool in nm readelf; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "1..0 # SKIP $tool not found"
    exit 0
  fi
done

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" != libmailsync-1.0.so.0 ]; then
  flunk "soname is '$soname', want libmailsync-1.0.so.0"
else
  pass "soname $soname"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ {print $3}' | LC_ALL=C sort >"$tmp/actual"
LC_ALL=C sort "$expected" >"$tmp/expected"

bad=$(grep -v '^mailsync_' "$tmp/actual")
if [ -n "$bad" ]; then
  flunk "every exported symbol has the mailsync_ prefix; these have not:"
  echo "$bad" | sed 's/^/#   /'
else
  pass "every exported symbol has the mailsync_ prefix"
fi

if ! diff -u "$tmp/expected" "$tmp/actual" >"$tmp/diff"; then
  flunk "exports differ from libmailsync/libmailsync.symbols (- listed, + exported):"
  sed '1,2d; s/^/# /' "$tmp/diff"
  echo "# If the change is intended: make -C tests update-symbols"
else
  pass "$(wc -l <"$tmp/actual") exported symbols match libmailsync.symbols"
fi
echo "1..$n"
exit $status
