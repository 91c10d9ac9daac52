#!/bin/bash
# ./run-tests stops everything it started on a TERM (CI's timeout) or a
# Ctrl-C, at once: the background steps (each in a process group of its
# own) and the foreground one, which bash used to wait for before it ran
# its trap. A copy of run-tests in a scratch tree whose install-deps,
# autogen.sh and configure do nothing and whose `make` (first on PATH)
# records its PID: the -Werror build passes at once, then the ASan build
# (background) and the -Werror make check (foreground) both wait; the
# test sends TERM to run-tests alone and waits (a generous deadline,
# polling) until run-tests has exited and both steps are gone. TAP; the
# sanitizer build skips it (it does not depend on the build).
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -n "${MAILSYNC_TEST_SANITIZED:-}" ]; then
  echo "1..0 # SKIP sanitizer build: run-tests does not depend on the build; the -Werror build runs it"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-run-tests.XXXXXX")
run_pid=""
cleanup() {
  local f
  [ -n "$run_pid" ] && kill -KILL "$run_pid" 2>/dev/null
  for f in "$tmp"/pids/*; do
    [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

n=0
failed=0
check() { # check LABEL CONDITION-STATUS [DETAIL]
  n=$((n + 1))
  if [ "$2" = 0 ]; then
    echo "ok $n - $1"
  else
    echo "not ok $n - $1"
    failed=1
    [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
  fi
}
# wait_until SECONDS COMMAND...: poll COMMAND until it succeeds; its status.
wait_until() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.1
  done
}
alive() { # alive PID: it runs (a zombie does not)
  local state
  state=$(sed 's/.*) \([A-Z]\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
both_waiting() { [ -f "$tmp/pids/werror-check" ] && [ -f "$tmp/pids/asan-make" ]; }
run_tests_gone() { ! alive "$run_pid"; }
steps_gone() { ! alive "$(cat "$tmp/pids/werror-check")" && ! alive "$(cat "$tmp/pids/asan-make")"; }

t=$tmp/tree
mkdir -p "$t/tools" "$tmp/bin" "$tmp/pids"
cp "$top_srcdir/run-tests" "$t/run-tests"
printf '#!/bin/sh\nexit 0\n' >"$t/tools/install-deps"
printf '#!/bin/sh\nexit 0\n' >"$t/autogen.sh"
printf '#!/bin/sh\nexit 0\n' >"$t/configure"
# The stub make: the -Werror build passes; the ASan build and the -Werror
# make check record their PID and wait (exec: the PID is the waiting one).
cat >"$tmp/bin/make" <<EOF
#!/bin/sh
case "\$(basename "\$PWD") \$*" in
  "werror "*check*) echo \$\$ >"$tmp/pids/werror-check.tmp"; mv "$tmp/pids/werror-check.tmp" "$tmp/pids/werror-check" ;;
  "asan "*) echo \$\$ >"$tmp/pids/asan-make.tmp"; mv "$tmp/pids/asan-make.tmp" "$tmp/pids/asan-make" ;;
  *) exit 0 ;;
esac
exec sleep 600
EOF
chmod +x "$t/run-tests" "$t/tools/install-deps" "$t/autogen.sh" "$t/configure" "$tmp/bin/make"

PATH=$tmp/bin:$PATH RUN_FUZZ=0 RUN_DISTCHECK=0 setsid "$t/run-tests" >"$tmp/out" 2>&1 </dev/null &
run_pid=$!
wait_until 60 both_waiting
check "the ASan build (background) and the -Werror make check (foreground) run" $? "$(cat "$tmp/out")"
kill -TERM "$run_pid"
wait_until 60 run_tests_gone
check "run-tests exits at a TERM while both run" $? "$(cat "$tmp/out")"
kill -KILL "$run_pid" 2>/dev/null
wait "$run_pid"
rc=$?
check "its exit status is 130" $((rc != 130)) "exit $rc"
grep -q "run-tests: interrupted" "$tmp/out"
check "it says it was interrupted" $? "$(cat "$tmp/out")"
wait_until 60 steps_gone
check "the foreground and the background step are gone" $? \
  "still running: $(ps -o pid,pgid,args -p "$(cat "$tmp/pids/werror-check")" -p "$(cat "$tmp/pids/asan-make")")"
run_pid=""

# A make check that fails before any test writes a result (a test program
# that does not link, say) is a failed step: there is no .trs to count it
# by, and run-tests used to end "0 failed" with status 0 then.
rm -rf "$t/_build" "$tmp/pids"/*
# (the ASan step reads CFLAGS from its tests/Makefile: the stub configure writes one)
printf '#!/bin/sh\nmkdir -p tests && echo "CFLAGS = -g -O2" >tests/Makefile\n' >"$t/configure"
cat >"$tmp/bin/make" <<EOF
#!/bin/sh
case "\$(basename "\$PWD") \$*" in
  "werror "*check*) echo "tests/check-x.c: undefined reference" >&2; exit 2 ;;
  *) exit 0 ;;
esac
EOF
PATH=$tmp/bin:$PATH RUN_FUZZ=0 RUN_DISTCHECK=0 "$t/run-tests" >"$tmp/out2" 2>&1 </dev/null
rc=$?
check "a make check failing before any test result: run-tests fails" $((rc == 0)) "exit $rc: $(cat "$tmp/out2")"
grep -q "failed steps: werror" "$tmp/out2"
check "it names the failed step" $? "$(cat "$tmp/out2")"
echo "1..$n"
exit $failed
