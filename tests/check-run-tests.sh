#!/bin/bash
# ./run-tests stops everything it started on a TERM (CI's timeout) or a
# Ctrl-C, at once: the background steps (each in a process group of its
# own) and the foreground one, which bash used to wait for before it ran
# its trap. A copy of run-tests in a scratch tree whose install-deps,
# autogen.sh and configure do nothing and whose `make` (first on PATH)
# records its PID: the -Werror build passes at once, then the ASan build
# (background) and the -Werror make check (foreground) both wait; the
# test sends TERM to run-tests alone and waits (a generous deadline,
# polling) until run-tests has exited and both steps are gone. Then: a
# make check that fails before any result, a TERM during a build's
# configure, and a run from a terminal (a pty) whose step touches it.
# TAP; the sanitizer build skips it (it does not depend on the build).
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -n "${MAILSYNC_TEST_SANITIZED:-}" ]; then
  echo "1..0 # SKIP sanitizer build: run-tests does not depend on the build; the -Werror build runs it"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-run-tests.XXXXXX")
run_pid=""
# kill_left: what a case left running when run-tests failed it: each
# recorded step's session (run-tests' own when the step has none of its
# own), unless it is this test's.
kill_left() {
  local f pid sid own
  own=$(ps -o sid= -p $$ | tr -d ' ')
  for f in "$tmp"/pids/*; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    sid=$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')
    if [ -n "$sid" ] && [ "$sid" != "$own" ] && [ "$sid" != 0 ]; then
      pkill -KILL -s "$sid" 2>/dev/null
    fi
    kill -KILL "$pid" 2>/dev/null
  done
  rm -f "$tmp"/pids/*
}
cleanup() {
  [ -n "$run_pid" ] && kill -KILL "$run_pid" 2>/dev/null
  kill_left
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
# term_run OUT READY LABEL: start run-tests (a session of its own, its
# output in OUT), wait until READY, TERM it; checks that it ran (LABEL),
# exits at the TERM, with status 130.
term_run() {
  local out=$1 ready=$2 label=$3 rc
  PATH=$tmp/bin:$PATH RUN_FUZZ=0 RUN_DISTCHECK=0 setsid "$t/run-tests" >"$out" 2>&1 </dev/null &
  run_pid=$!
  wait_until 60 "$ready"
  check "$label" $? "$(cat "$out")"
  kill -TERM "$run_pid"
  wait_until 60 run_tests_gone
  check "run-tests exits at a TERM then" $? "$(cat "$out")"
  kill -KILL "$run_pid" 2>/dev/null
  wait "$run_pid"
  rc=$?
  check "its exit status is 130" $((rc != 130)) "exit $rc"
}
# next_case: what the last case left is gone, its build tree too; the
# stub configure writes the tests/Makefile whose CFLAGS the ASan step reads.
next_case() {
  kill_left
  rm -rf "$t/_build"
  printf '#!/bin/sh\nmkdir -p tests && echo "CFLAGS = -g -O2" >tests/Makefile\n' >"$t/configure"
}

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

term_run "$tmp/out" both_waiting "the ASan build (background) and the -Werror make check (foreground) run"
grep -q "run-tests: interrupted" "$tmp/out"
check "it says it was interrupted" $? "$(cat "$tmp/out")"
wait_until 60 steps_gone
check "the foreground and the background step are gone" $? \
  "still running: $(ps -o pid,pgid,args -p "$(cat "$tmp/pids/werror-check")" -p "$(cat "$tmp/pids/asan-make")")"
run_pid=""

# A make check that fails before any test writes a result (a test program
# that does not link, say) is a failed step: there is no .trs to count it
# by, and run-tests used to end "0 failed" with status 0 then.
next_case
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

# A TERM during the -Werror build's configure (the builds' configure and
# make ran in a ( cd ... ) subshell, which bash waited for before it ran
# its trap: the run ended only after the whole build, review26 M1).
next_case
cat >"$t/configure" <<EOF
#!/bin/sh
echo \$\$ >"$tmp/pids/configure.tmp"; mv "$tmp/pids/configure.tmp" "$tmp/pids/configure"
exec sleep 600
EOF
configure_running() { [ -f "$tmp/pids/configure" ]; }
configure_gone() { ! alive "$(cat "$tmp/pids/configure")"; }
term_run "$tmp/out3" configure_running "the -Werror build's configure runs"
wait_until 60 configure_gone
check "the configure is gone" $? "still running: $(ps -o pid,pgid,args -p "$(cat "$tmp/pids/configure")")"
run_pid=""

# A run started from a terminal (its controlling terminal a pty, run-tests
# in its foreground group): a step that touches the terminal (a tty
# prompt's tcsetattr, here stty's) was stopped by SIGTTOU in its
# background process group and the run hung without a word (review26 L2).
# Steps have no controlling terminal now: /dev/tty does not open, as in CI.
next_case
cat >"$tmp/bin/make" <<EOF
#!/bin/sh
case "\$(basename "\$PWD") \$*" in
  "werror "*check*)
    echo \$\$ >"$tmp/pids/werror-check"
    if stty -echo </dev/tty 2>/dev/null; then echo tty; else echo no-tty; fi >"$tmp/tty" ;;
esac
exit 0
EOF
python=${PYTHON:-python3}
if ! "$python" -c 'import pty' 2>/dev/null; then
  n=$((n + 1))
  echo "ok $n # SKIP no Python with its pty module: the run from a terminal is not checked"
else
  # The child of pty.fork() is a session leader with the pty as its
  # controlling terminal, in its foreground group; the parent reads the
  # pty (the run's output) until the run ends, 60 s at most (then 124).
  PATH=$tmp/bin:$PATH RUN_FUZZ=0 RUN_DISTCHECK=0 "$python" -c '
import os, pty, select, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    if select.select([fd], [], [], 0.5)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        sys.stdout.write(data.decode(errors="replace"))
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        sys.exit(os.waitstatus_to_exitcode(status))
os.kill(pid, signal.SIGKILL)
sys.exit(124)
' "$t/run-tests" >"$tmp/out4" 2>&1 </dev/null
  rc=$?
  check "run-tests from a terminal, a step touches it: the run ends, passed" $rc \
    "exit $rc: $(cat "$tmp/out4")"
  [ "$(cat "$tmp/tty" 2>/dev/null)" = no-tty ]
  check "the step has no terminal" $? "the step saw: $(cat "$tmp/tty" 2>/dev/null)"
fi

# A run that ends normally signals nothing: the background steps it waited
# for (the ASan build) were TERMed with their groups at its EXIT, long
# after bash had reaped them, a pid another process may have by then
# (review27 L3). Its kill calls are logged (BASH_ENV: a function named
# kill, which bash runs instead of the builtin).
next_case
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/make"
printf 'kill() { echo "kill $*" >>"%s/kills"; builtin kill "$@"; }\n' "$tmp" >"$tmp/kill.sh"
: >"$tmp/kills"
BASH_ENV=$tmp/kill.sh PATH=$tmp/bin:$PATH RUN_FUZZ=0 RUN_DISTCHECK=0 "$t/run-tests" >"$tmp/out5" 2>&1 </dev/null
rc=$?
check "a run whose steps pass, the ASan build in the background: it passes" $rc "exit $rc: $(cat "$tmp/out5")"
grep -q "==> build asan" "$tmp/out5"
check "its ASan build ran" $? "$(cat "$tmp/out5")"
[ ! -s "$tmp/kills" ]
check "it signals no step it waited for" $? "$(cat "$tmp/kills")"

echo "1..$n"
exit $failed
