#!/bin/sh
# check-vala.sh: a Vala client compiled against the libmailsync-1.0.vapi
# this build made (vala/maildir-sync.vala: Account.sync_async from a main
# loop, Maildir to Maildir), then run, as TAP.  SKIP (never a pass)
# without vapigen/valac or introspection.
#
# Environment (bindings/Makefile.am): HAVE_VALA, VALAC, CC, srcdir,
# top_srcdir, top_builddir, LD_LIBRARY_PATH at the build tree.

srcdir=${srcdir:-.}
if [ "${HAVE_VALA:-no}" != yes ]; then
  echo "1..0 # SKIP no vapigen or no introspection: no .vapi built"
  exit 0
fi
# vapigen alone builds (and installs) the .vapi; compiling needs valac.
if [ -z "$VALAC" ] || [ "$VALAC" = no ] || ! command -v "$VALAC" >/dev/null 2>&1; then
  echo "1..0 # SKIP valac is not installed"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The .vapi next to its .deps, as make install lays them out: valac must
# find gio-2.0 through the .deps alone (no --pkg gio-2.0 here).
mkdir -p "$tmp/vapi"
cp libmailsync-1.0.vapi "$srcdir/vala/libmailsync-1.0.deps" "$tmp/vapi/" || exit 1
# The generated C is valac's, not ours: its warnings are not checked (-w).
if ! "$VALAC" --vapidir="$tmp/vapi" --pkg libmailsync-1.0 --cc="$CC" \
     -X -w -X "-I$top_srcdir" -X "-I$top_builddir/libmailsync" \
     -X "-L$top_builddir/libmailsync/.libs" -X -lmailsync-1.0 \
     -o "$tmp/maildir-sync" "$srcdir/vala/maildir-sync.vala" >"$tmp/valac.log" 2>&1; then
  echo "not ok 1 - vala/maildir-sync.vala compiles against libmailsync-1.0.vapi"
  sed 's/^/# /' "$tmp/valac.log"
  echo "1..1"
  exit 1
fi
echo "ok 1 - vala/maildir-sync.vala compiles against libmailsync-1.0.vapi"

for d in remote/INBOX/cur remote/INBOX/new remote/INBOX/tmp local status; do
  mkdir -p "$tmp/$d"
done
for i in 1 2 3; do
  printf 'From: a@example.org\nSubject: vala %s\nMessage-ID: <vala.%s@example.org>\n\nbody %s\n' \
    "$i" "$i" "$i" >"$tmp/remote/INBOX/new/17000000$i.M${i}P1.vala"
done
# Its own TAP, numbered from 2.
out=$("$tmp/maildir-sync" "$tmp/remote" "$tmp/local" "$tmp/status" 2>"$tmp/run.err")
rc=$?
n=1
fail=0
# (the loop runs in a subshell: it only renumbers and prints)
echo "$out" | grep -E '^(not )?ok ' | while IFS= read -r line; do
  n=$((n + 1))
  echo "$line" | sed -E "s/^(not ok|ok) [0-9]+/\\1 $n/"
done
total=$(( $(echo "$out" | grep -cE '^(not )?ok ') + 1 ))
if [ $rc -ne 0 ] || echo "$out" | grep -q '^not ok'; then
  fail=1
fi
# Its plan must match what it printed, and be its four checks: a client
# that stops early or prints nothing is not a pass.
expected=4
ran=$((total - 1))
total=$((total + 1))
if echo "$out" | grep -qx "1\.\.$expected" && [ "$ran" -eq "$expected" ]; then
  echo "ok $total - the Vala client ran its $expected checks"
else
  echo "not ok $total - the Vala client ran its $expected checks: $ran ran, plan $(echo "$out" | grep -E '^1\.\.' || echo missing)"
  fail=1
fi
total=$((total + 1))
if [ $rc -eq 0 ] && [ -s "$tmp/run.err" ]; then
  echo "not ok $total - the Vala client prints nothing on stderr"
  sed 's/^/# /' "$tmp/run.err"
  fail=1
elif [ $rc -ne 0 ]; then
  echo "not ok $total - the Vala client exits 0 (exit $rc)"
  sed 's/^/# /' "$tmp/run.err"
  fail=1
else
  echo "ok $total - the Vala client exits 0 with nothing on stderr"
fi
echo "1..$total"
exit $fail
