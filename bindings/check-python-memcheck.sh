#!/bin/sh
# check-python-memcheck.sh: python/test-ownership.py under valgrind's
# memcheck, as TAP: the script's own checks, then one for memcheck (no
# invalid read or write, no use of freed memory, no definite leak; CPython's
# and PyGObject's own noise is in python/valgrind-python.supp).
#
# Why valgrind and not AddressSanitizer: the ASan build turns
# introspection off (./run-tests), and an ASan libmailsync loaded into a
# Python that is not would need libasan preloaded into the interpreter.
# Valgrind needs neither.  Without valgrind the script still runs, and
# the memcheck check is a SKIP, never a pass.
#
# Environment (bindings/Makefile.am): PYTHON, HAVE_INTROSPECTION,
# GI_TYPELIB_PATH and LD_LIBRARY_PATH at the build tree, srcdir.
# MAILSYNC_MEMCHECK_TIMEOUT (seconds, default 120) bounds the run.

srcdir=${srcdir:-.}
PYTHON=${PYTHON:-python3}
test_py=$srcdir/python/test-ownership.py
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
if command -v valgrind >/dev/null 2>&1; then
  vg=$(command -v valgrind)
  timeout "$timeout" "$vg" --tool=memcheck --error-exitcode=99 \
    --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --suppressions="$supp" --num-callers=40 --log-file="$work/valgrind.log" \
    "$PYTHON" "$test_py" >"$work/out" 2>"$work/err"
  rc=$?
else
  timeout "$timeout" "$PYTHON" "$test_py" >"$work/out" 2>"$work/err"
  rc=$?
fi

# The script's checks, as they are.
grep -E '^(not )?ok [0-9]+' "$work/out"
n=$(grep -cE '^(not )?ok [0-9]+' "$work/out")
failed=$(grep -cE '^not ok [0-9]+' "$work/out")

diag() { sed -e 's/^/# /' | head -n "${2:-60}"; }

# The script itself must have run to its end: a crash (a use-after-free
# often ends in SIGSEGV before valgrind can say much) is a failure.
n=$((n + 1))
if grep -q '^# test-ownership.py: done' "$work/out" &&
   { [ $rc -eq 0 ] || [ $rc -eq 99 ] || { [ $rc -eq 1 ] && [ "$failed" -gt 0 ]; }; }; then
  echo "ok $n - test-ownership.py ran to its end"
else
  echo "not ok $n - test-ownership.py ran to its end: exit status $rc$( [ $rc -eq 124 ] && echo ' (timed out)')"
  tail -n 40 "$work/err" | diag
fi

n=$((n + 1))
if [ -z "$vg" ]; then
  echo "ok $n - valgrind memcheck: no memory errors # SKIP valgrind not installed"
else
  errors=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$work/valgrind.log" | tail -n 1)
  if [ "${errors:-x}" = 0 ] && [ $rc -ne 99 ]; then
    echo "ok $n - valgrind memcheck: no memory errors"
  else
    echo "not ok $n - valgrind memcheck: ${errors:-unknown number of} errors (exit status $rc)"
    # The first reports, then the summary: enough to see where.
    grep -vE '^==[0-9]+== *$' "$work/valgrind.log" | sed -n '/Invalid\|uninitialised\|definitely lost in\|Process terminating/,+25p' | diag 120
    grep 'ERROR SUMMARY' "$work/valgrind.log" | diag
  fi
fi

echo "1..$n"
