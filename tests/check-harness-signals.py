#!/usr/bin/env python3
"""A suite that ends by a signal stops its harness Dovecot.

The harness runs Dovecot in a session of its own, so nothing that ends a
suite ends its servers; they used to live up to their 7,200 s lifetime. A
suite-like child starts a server, says it is ready and waits; the test
signals the child (only the child: it has a session of its own) and waits
(a generous deadline, polling) until every process of its server (master,
children, watchdog) is gone:

- a Python child (tests/mailsync_tap.py) stopped by SIGTERM, its server
  stopped by its `finally`; another by SIGHUP without one, its server
  stopped at exit;
- the C child tests/harness-signal-child (tests/mailsync-test.c) stopped by
  SIGTERM in the middle of a check test (check's handler, then ours);
  again with a SIGINT while its handler waits for its `harness stop` (held
  stopped, SIGSTOP, until the INT is there): the INT waits (blocked), no
  second stop starts, and the child dies of the TERM; the same with a
  second thread in the child that blocks nothing, which the INT reaches
  (its handler entry waits for the first's end);
- a child killed with SIGKILL, which runs no code: the harness watchdog
  sees its --owner gone;
- the suites that start the harness themselves, as make check runs them
  (TMPDIR in the test's directory, so that their servers are found): the
  Python ones (through mailsync_tap's harness() or Dovecot) stopped by
  SIGTERM, the shell ones (start --owner $$) killed with SIGKILL. They
  depend on no build, so only the -Werror build runs them.

Skipped (1..0 # SKIP) when Dovecot is not installed."""

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import mailsync_tap

TAP = mailsync_tap.Tap(2000)
check = TAP.check
C_CHILD = os.path.join(os.environ.get("TEST_BUILDDIR", mailsync_tap.HERE), "harness-signal-child")

# The Python child: start a server as the suites do, say so, wait.
PY_CHILD = """
import os, sys, time
sys.path.insert(0, %r)
import mailsync_tap
base, ready, mode = sys.argv[1:]
d = os.path.join(base, "default")
if mode == "finally":
    server = mailsync_tap.Dovecot(d, [("sig", "pw-sig")])
    try:
        open(ready, "w").close()
        time.sleep(600)
    finally:
        server.stop()
else:
    mailsync_tap.harness("start", d)
    open(ready, "w").close()
    time.sleep(600)
""" % mailsync_tap.HERE


def alive(pid):
    """@pid runs (a zombie does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def start_child(root, name, argv):
    """Starts the child @argv(base directory, ready file) and waits until
    it is ready: the child, its base directory and its server's
    processes (None: it did not start; checked)."""
    base = os.path.join(root, name)
    os.makedirs(base)
    os.chmod(base, 0o755)
    ready = os.path.join(root, name + ".ready")
    child = mailsync_tap.Running(argv(base, ready), start_new_session=True)
    started = mailsync_tap.wait_for(lambda: os.path.exists(ready) or child.proc.poll() is not None, 120)
    if not check("%s: the child started its server" % name, started and os.path.exists(ready), child.text()):
        return child, base, None
    return child, base, [int(p) for p in mailsync_tap.harness("pids", os.path.join(base, "default")).split()]


def end_child(child, base):
    """What a failed scenario left: the child, then its server."""
    if child.proc.poll() is None:
        child.proc.kill()
        child.finish(30)
    d = os.path.join(base, "default")
    if os.path.exists(os.path.join(d, "dovecot.conf")):
        subprocess.run([mailsync_tap.HARNESS, "stop", d], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)


def check_gone(name, pids):
    gone = mailsync_tap.wait_for(lambda: not any(alive(p) for p in pids), 60)
    check("%s: its Dovecot is gone" % name, gone, "alive: %s" % [p for p in pids if alive(p)])


def scenario(root, name, argv, signum, status, stopper="the child"):
    """Starts the child @argv(base directory, ready file), sends it
    @signum once it is ready, checks its exit @status (a negative one:
    killed by that signal), that its Dovecot's processes are gone and
    who stopped them (@stopper)."""
    child, base, pids = start_child(root, name, argv)
    try:
        if pids is None:
            return
        env = mailsync_tap.read_env(os.path.join(base, "default"))
        check("%s: the server's master is among its processes" % name, int(env["DOVECOT_PID"]) in pids,
              "%s not in %s" % (env["DOVECOT_PID"], pids))
        child.send_signal(signum)
        rc, out, err = child.finish(120)
        check("%s: the child exits with %d" % (name, status), rc == status, "exit %s\n%s%s" % (rc, out, err))
        check_gone(name, pids)
        # Who stopped it: the child (the C one with --clean, which removes
        # the directory) or, after a SIGKILL, the watchdog, which logs it.
        d = os.path.join(base, "default")
        if not os.path.exists(d):
            by = "the child"
        else:
            with open(os.path.join(d, "dovecot.log")) as f:
                by = "the watchdog" if "watchdog: owner" in f.read() else "the child"
        check("%s: stopped by %s" % (name, stopper), by == stopper, "stopped by " + by)
    finally:
        end_child(child, base)


def harness_stops(pid):
    """The `dovecot-harness stop` processes @pid started (not check's
    test process, nor a fork that has not exec'd yet)."""
    stops = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                for kid in f.read().split():
                    try:
                        with open("/proc/%s/cmdline" % kid, "rb") as c:
                            argv = c.read().split(b"\0")
                    except OSError:
                        continue
                    if any(a.endswith(b"dovecot-harness") for a in argv) and b"stop" in argv:
                        stops.append(int(kid))
    except OSError:
        pass
    return stops


def signal_pending(pid, signum):
    """@signum is pending for @pid (blocked, not yet delivered)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return False
    bit = 1 << (signum - 1)
    return any(int(fields.get(k, "0").strip(), 16) & bit for k in ("SigPnd", "ShdPnd"))


def in_handler_elsewhere(pid, signum):
    """A thread of @pid other than its main one blocks @signum: it runs
    the stop handler (its sa_mask), the second entry."""
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            if int(tid) == pid:
                continue
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields.get("SigBlk", "0").strip(), 16) & (1 << (signum - 1)):
                return True
    except (OSError, ValueError):
        pass
    return False


def reentry_scenario(root, threaded=False):
    """The C child gets SIGTERM; while its handler waits for its `harness
    stop` (held stopped), SIGINT: the INT waits until the handler is done
    (its sa_mask; it used to run the handler again, a second stop of the
    same server beside the first), the child dies of the TERM, its
    Dovecot is gone. @threaded: the child has a second thread that blocks
    nothing (a suite under CK_FORK=no, its test in the main process), to
    which the INT goes: its handler entry waits for the first one's end
    (the sa_mask blocks only the handling thread; review27 L2)."""
    name = "c-term-int" + ("-threaded" if threaded else "")
    extra = ["thread"] if threaded else []
    child, base, pids = start_child(root, name, lambda base, ready: [C_CHILD, base, ready] + extra)
    stops = set()
    held = None
    try:
        if pids is None:
            return
        child.send_signal(signal.SIGTERM)
        # Its handler's `harness stop` (a Python program: tens of ms to
        # start), held stopped as soon as it shows.
        deadline = time.monotonic() + 60
        while held is None and time.monotonic() < deadline and child.proc.poll() is None:
            kids = harness_stops(child.proc.pid)
            if kids:
                held = kids[0]
                os.kill(held, signal.SIGSTOP)
                stops.add(held)
            else:
                time.sleep(0.001)
        if not check("%s: the handler's harness stop runs" % name, held is not None,
                     "exit %s\n%s" % (child.proc.poll(), child.text())):
            return
        child.send_signal(signal.SIGINT)
        def settled():
            stops.update(harness_stops(child.proc.pid))
            return (signal_pending(child.proc.pid, signal.SIGINT) or len(stops) > 1 or child.proc.poll() is not None
                    or (threaded and in_handler_elsewhere(child.proc.pid, signal.SIGINT)))
        mailsync_tap.wait_for(settled, 60)
        # a second stop, if one starts, lives a few hundred ms: polled
        # often enough to be seen
        os.kill(held, signal.SIGCONT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.proc.poll() is None:
            stops.update(harness_stops(child.proc.pid))
            time.sleep(0.001)
        rc, out, err = child.finish(120)
        check("%s: one harness stop" % name, len(stops) == 1, "stops started: %s" % sorted(stops))
        check("%s: the child dies of the TERM" % name, rc == -signal.SIGTERM, "exit %s\n%s%s" % (rc, out, err))
        check_gone(name, pids)
    finally:
        if held is not None:
            try:
                os.kill(held, signal.SIGCONT)
            except OSError:
                pass
        end_child(child, base)


# The suites that start the harness themselves (not through mailsync-test.c):
# (name, argv, how many servers they start before their first check, signal).
SUITES = [
    ("check-imap-utf7-names.py",
     [sys.executable, os.path.join(mailsync_tap.HERE, "check-imap-utf7-names.py")], 1, signal.SIGTERM),
    ("check-config-secrets.py",
     [sys.executable, os.path.join(mailsync_tap.HERE, "check-config-secrets.py")], 1, signal.SIGTERM),
    ("harness/check-harness.sh",
     ["/bin/sh", os.path.join(mailsync_tap.HERE, "harness", "check-harness.sh")], 2, signal.SIGKILL),
    ("check-interaction-gjs.sh",
     ["/bin/sh", os.path.join(mailsync_tap.HERE, "check-interaction-gjs.sh")], 1, signal.SIGKILL),
]


def session(sid):
    """The processes of session @sid."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % entry) as f:
                if int(f.read().rsplit(")", 1)[1].split()[4]) == sid:
                    pids.append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    return pids


def suite_scenario(root, name, argv, servers, signum):
    """Runs the suite @argv with TMPDIR in a directory of its own, sends
    it @signum once its @servers harness servers have started (their env
    files written, after their watchdogs), checks that it ends and that
    every process of those servers is gone."""
    base = os.path.join(root, name.replace("/", "-"))
    os.makedirs(base)
    os.chmod(base, 0o755)
    envs = lambda: glob.glob(os.path.join(base, "*", "*", "env"))
    child = mailsync_tap.Running(argv, start_new_session=True, env=dict(os.environ, TMPDIR=base))
    try:
        mailsync_tap.wait_for(lambda: len(envs()) >= servers or child.proc.poll() is not None, 120)
        if child.proc.poll() is not None and len(envs()) < servers and child.text().startswith("1..0 # SKIP"):
            TAP.skip(name, child.text().splitlines()[0][len("1..0 # SKIP "):])
            return
        if not check("%s: the suite started its %d server(s)" % (name, servers), len(envs()) >= servers,
                     child.text()):
            return
        dirs = [os.path.dirname(e) for e in envs()]
        pids = [int(p) for d in dirs for p in mailsync_tap.harness("pids", d).split()]
        child.send_signal(signum)
        rc, out, err = child.finish(120)
        check("%s: the suite ends, failed, on signal %d" % (name, signum), rc not in (None, 0),
              "exit %s\n%s%s" % (rc, out, err))
        check_gone(name, pids)
    finally:
        # What a SIGKILLed shell suite left running (its children stay in
        # its session), then its servers if they are still there.
        for pid in session(child.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if child.proc.poll() is None:
            child.proc.kill()
        child.finish(30)
        for e in envs():
            if os.path.exists(os.path.join(os.path.dirname(e), "dovecot.conf")):
                subprocess.run([mailsync_tap.HARNESS, "stop", os.path.dirname(e)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=120)


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        return mailsync_tap.skip_all("dovecot is not installed")
    root = tempfile.mkdtemp(prefix="mailsync-harness-signals-", dir="/tmp")
    os.chmod(root, 0o755)
    def py(mode):
        return lambda base, ready: [sys.executable, "-c", PY_CHILD, base, ready, mode]

    try:
        scenario(root, "py-term", py("finally"), signal.SIGTERM, 128 + signal.SIGTERM)
        scenario(root, "py-hup", py("exit"), signal.SIGHUP, 128 + signal.SIGHUP)
        scenario(root, "c-term", lambda base, ready: [C_CHILD, base, ready], signal.SIGTERM, -signal.SIGTERM)
        reentry_scenario(root)
        reentry_scenario(root, threaded=True)
        scenario(root, "py-kill", py("exit"), signal.SIGKILL, -signal.SIGKILL, "the watchdog")
        for name, argv, servers, signum in SUITES:
            if mailsync_tap.SANITIZED:
                TAP.skip(name, "the suite's signal handling depends on no build: the -Werror build runs it")
            else:
                suite_scenario(root, name, argv, servers, signum)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
