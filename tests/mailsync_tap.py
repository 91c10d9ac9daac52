"""What the Python integration tests share: the TAP stream and the private
Dovecot of tests/harness/dovecot-harness.

The tests run as $(PYTHON) $(srcdir)/check-*.py, so this module, next to
them in the source tree, is on sys.path (it is in EXTRA_DIST for
distcheck)."""

import imaplib
import os
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir", os.path.join(HERE, ".."))
TOP_BUILDDIR = os.environ.get("top_builddir", os.path.join(HERE, ".."))
HARNESS = os.path.join(SRCDIR, "tests", "harness", "dovecot-harness")
MAILSYNC = os.path.join(TOP_BUILDDIR, "frontends", "mailsync", "mailsync")

# The library has its crash points (configure --enable-test-hooks; set by
# tests/Makefile.am): checks that set MAILSYNC_CRASH_AT run only then, and
# are TAP SKIPs with NO_HOOKS as the reason otherwise.
TEST_HOOKS = bool(os.environ.get("MAILSYNC_TEST_HOOKS"))
NO_HOOKS = "the library is built without its crash points (configure --enable-test-hooks)"
# A sanitizer build (configure --enable-sanitizers; set by tests/Makefile.am).
SANITIZED = bool(os.environ.get("MAILSYNC_TEST_SANITIZED"))


class Tap:
    """One TAP stream: numbered "ok"/"not ok" lines, then the plan.  A
    failing check shows the first @limit characters of its detail."""

    def __init__(self, limit=800):
        self.limit = limit
        self.checks = 0
        self.skips = 0
        self.failures = []

    def check(self, label, ok, detail="", todo=None):
        """With @todo (why it is expected to fail) a failure is reported as
        "# TODO" and does not fail the script."""
        self.checks += 1
        print("%s %d - %s%s%s" % ("ok" if ok else "not ok", self.checks, label,
                                  "" if ok else ": " + str(detail)[:self.limit],
                                  " # TODO " + todo if todo else ""))
        sys.stdout.flush()
        if not ok and not todo:
            self.failures.append(label)
        return ok

    def skip(self, label, reason):
        """A check not run in this build or on this machine: "ok N - label
        # SKIP reason", never a bare pass.  Returns False, so that a caller
        can write `if not TAP.skip(...)` as for a failed check."""
        self.checks += 1
        self.skips += 1
        print("ok %d - %s # SKIP %s" % (self.checks, label, reason))
        sys.stdout.flush()
        return False

    def module_getattr(self, name):
        """A test module's __getattr__: another test that loads it as a
        module (check-cli-accept.py, check-imap-features.py) reads its
        .checks."""
        if name == "checks":
            return self.checks
        raise AttributeError(name)

    def finish(self):
        """Prints the plan; the script's exit status."""
        if self.skips:
            print("# %d of %d checks skipped" % (self.skips, self.checks))
        print("1..%d" % self.checks)
        return 1 if self.failures else 0


def skip_all(reason):
    """The whole script is skipped: TAP's skip plan, and the exit status
    (77) that automake's test driver reports as SKIP."""
    print("1..0 # SKIP %s" % reason)
    sys.stdout.flush()
    return 77


def parse_env(text):
    """The KEY=VALUE lines of dovecot-harness env (its env file)."""
    env = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.strip().split("=", 1)
            env[k] = v.strip("'\"")
    return env


def read_env(directory):
    """The env file of the harness started in @directory."""
    with open(os.path.join(directory, "env")) as f:
        return parse_env(f.read())


def harness(*args):
    """Runs dovecot-harness; its output, or RuntimeError with its errors."""
    p = subprocess.run([HARNESS] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("dovecot-harness %s: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


def communicate_or_kill(p, timeout):
    """p.communicate() of a subprocess.Popen; killed (and then read to its
    end) if it has not exited after @timeout seconds."""
    try:
        return p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.communicate()


def wait_for(pred, timeout=30):
    """Poll @pred until it is true (True) or @timeout seconds pass (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return bool(pred())


class Running:
    """A subprocess.Popen whose stdout and stderr are read as they come, so
    a test waits for what the program says (a sync done, a sleep begun)
    before it signals or checks, never for a guessed number of seconds."""

    def __init__(self, argv, proc=None, **kw):
        """Starts @argv, or reads on from an already started text-mode
        @proc (stdout and stderr pipes) when @argv is None."""
        import threading
        self.proc = proc or subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
        self.out, self.err = [], []
        self.readers = [threading.Thread(target=self._collect, args=(lines, stream), daemon=True)
                        for lines, stream in ((self.out, self.proc.stdout), (self.err, self.proc.stderr))]
        for r in self.readers:
            r.start()

    @staticmethod
    def _collect(lines, stream):
        for line in iter(stream.readline, ""):
            lines.append(line)

    def text(self):
        """Everything printed so far, stdout then stderr."""
        return "".join(self.out) + "".join(self.err)

    def wait_text(self, pred, timeout=60):
        """Wait until @pred(text()) is true; False after @timeout seconds."""
        return wait_for(lambda: pred(self.text()), timeout)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    @property
    def returncode(self):
        return self.proc.returncode

    def finish(self, timeout=30):
        """Wait for the exit (killed after @timeout seconds); returns
        (returncode, stdout, stderr)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for r in self.readers:
            r.join(timeout=timeout)
        return self.proc.returncode, "".join(self.out), "".join(self.err)


def imap_starttls(env, user, password):
    """A logged-in imaplib connection over STARTTLS to the harness' Dovecot."""
    ctx = ssl.create_default_context(cafile=env["DOVECOT_CA"])
    conn = imaplib.IMAP4(env["DOVECOT_HOST"], int(env["DOVECOT_PORT"]))
    conn.starttls(ctx)
    conn.login(user, password)
    return conn


class Dovecot:
    """A private Dovecot in @directory with the (user, password) @users
    added up front: Dovecot re-reads its passwd-file when the mtime changes
    (1 s resolution), so a second passes before it is used."""

    def __init__(self, directory, users, variant=None):
        self.dir = directory
        cmd = [HARNESS, "start", self.dir] + (["--variant", variant] if variant else [])
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=60)
        self.env = read_env(self.dir)
        args = []
        for user, password in users:
            args += [user, password]
        subprocess.run([HARNESS, "adduser", self.dir] + args, check=True, stdout=subprocess.DEVNULL, timeout=30)
        time.sleep(1.1)

    def stop(self):
        subprocess.run([HARNESS, "stop", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def imap(self, user, password):
        return imap_starttls(self.env, user, password)
