#!/bin/sh
# check-python-memcheck.sh: the Python ownership tests (python/test-ownership.py,
# C -> Python, and python/test-ownership-backend.py, Python -> C) under
# valgrind's memcheck, as TAP: the scripts' own checks (numbered on from one
# script to the next), then one that both ran to their end and one for
# memcheck (no invalid read or write, no use of freed memory, no definite
# leak in either; CPython's and PyGObject's own noise is in
# python/valgrind-python.supp).
#
# Why valgrind and not AddressSanitizer: the ASan build turns
# introspection off (./run-tests), and an ASan libmailsync loaded into a
# Python that is not would need libasan preloaded into the interpreter.
# Valgrind needs neither.  Without valgrind the scripts still run, and
# the memcheck check is a SKIP, never a pass.
#
# Environment (bindings/Makefile.am): PYTHON, HAVE_INTROSPECTION,
# GI_TYPELIB_PATH and LD_LIBRARY_PATH at the build tree, srcdir.
# MAILSYNC_MEMCHECK_TIMEOUT (seconds, default 900) bounds each script's run.

srcdir=${srcdir:-.}
PYTHON=${PYTHON:-python3}
tests="test-ownership.py test-ownership-backend.py"
supp=$srcdir/python/valgrind-python.supp

if [ "${HAVE_INTROSPECTION:-yes}" != yes ]; then
  echo "1..0 # SKIP libmailsync built without GObject-Introspection"
  exit 0
fi
if [ "$PYTHON" = : ] || ! "$PYTHON" -c 'import gi' >/dev/null 2>&1; then
  echo "1..0 # SKIP $PYTHON cannot import gi (no PyGObject)"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mailsync-memcheck.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

# Python's own allocator hides use-after-free from memcheck: plain malloc.
export PYTHONMALLOC=malloc MAILSYNC_TAP_PLAN=0
timeout=${MAILSYNC_MEMCHECK_TIMEOUT:-900}

vg=
command -v valgrind >/dev/null 2>&1 && vg=$(command -v valgrind)

# Each script in turn; its checks as they are, numbered on from the last.
n=0
ended=yes
ended_detail=
vg_errors=0
vg_detail=
for t in $tests; do
  if [ -n "$vg" ]; then
    timeout "$timeout" "$vg" --tool=memcheck --error-exitcode=99 \
      --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
      --suppressions="$supp" --num-callers=40 --log-file="$work/$t.valgrind.log" \
      "$PYTHON" "$srcdir/python/$t" >"$work/$t.out" 2>"$work/$t.err"
    rc=$?
  else
    timeout "$timeout" "$PYTHON" "$srcdir/python/$t" >"$work/$t.out" 2>"$work/$t.err"
    rc=$?
  fi
  awk -v n="$n" '/^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n); print }' "$work/$t.out"
  n=$((n + $(grep -cE '^(not )?ok [0-9]+' "$work/$t.out")))
  failed=$(grep -cE '^not ok [0-9]+' "$work/$t.out")

  # The script itself must have run to its end: a crash (a use-after-free
  # often ends in SIGSEGV before valgrind can say much) is a failure.
  if ! { grep -q "^# $t: done" "$work/$t.out" &&
         { [ $rc -eq 0 ] || [ $rc -eq 99 ] || { [ $rc -eq 1 ] && [ "$failed" -gt 0 ]; }; }; }; then
    ended=no
    ended_detail="$ended_detail $t: exit status $rc$( [ $rc -eq 124 ] && echo ' (timed out)');"
    echo "$t:" >>"$work/err.tail"; tail -n 40 "$work/$t.err" >>"$work/err.tail"
  fi
  if [ -n "$vg" ]; then
    e=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$work/$t.valgrind.log" | tail -n 1)
    if [ "${e:-x}" != 0 ] || [ $rc -eq 99 ]; then
      vg_errors=$((vg_errors + ${e:-1}))
      vg_detail="$vg_detail $t: ${e:-unknown number of} errors (exit status $rc);"
      # The first reports, then the summary: enough to see where.
      { echo "$t:"
        grep -vE '^==[0-9]+== *$' "$work/$t.valgrind.log" | sed -n '/Invalid\|uninitialised\|definitely lost in\|Process terminating/,+25p'
        grep 'ERROR SUMMARY' "$work/$t.valgrind.log"; } >>"$work/vg.report"
    fi
  fi
done

diag() { sed -e 's/^/# /' | head -n "${1:-60}"; }

n=$((n + 1))
if [ $ended = yes ]; then
  echo "ok $n - test-ownership.py and test-ownership-backend.py ran to their end"
else
  echo "not ok $n - test-ownership.py and test-ownership-backend.py ran to their end:$ended_detail"
  diag 90 <"$work/err.tail"
fi

n=$((n + 1))
if [ -z "$vg" ]; then
  echo "ok $n - valgrind memcheck: no memory errors # SKIP valgrind not installed"
elif [ $vg_errors -eq 0 ] && [ -z "$vg_detail" ]; then
  echo "ok $n - valgrind memcheck: no memory errors"
else
  echo "not ok $n - valgrind memcheck:$vg_detail"
  diag 160 <"$work/vg.report"
fi

echo "1..$n"
