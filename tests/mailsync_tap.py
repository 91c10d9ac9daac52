"""What the Python integration tests share: the TAP stream and the private
Dovecot of tests/harness/dovecot-harness.

The tests run as $(PYTHON) $(srcdir)/check-*.py, so this module, next to
them in the source tree, is on sys.path (it is in EXTRA_DIST for
distcheck)."""

import atexit
import imaplib
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir", os.path.join(HERE, ".."))
TOP_BUILDDIR = os.environ.get("top_builddir", os.path.join(HERE, ".."))
HARNESS = os.path.join(SRCDIR, "tests", "harness", "dovecot-harness")
MAILSYNC = os.path.join(TOP_BUILDDIR, "frontends", "mailsync", "mailsync")
# The sync driver of the engine suites (tests/sync-maildirs.c).
DRIVER = os.path.join(os.environ.get("TEST_BUILDDIR", HERE), "sync-maildirs")

# The library has its test hooks (configure --enable-test-hooks; set by
# tests/Makefile.am): the crash points (MAILSYNC_CRASH_AT) and the knobs
# MAILSYNC_TEST_FOLD_EVERY, MAILSYNC_TEST_THROTTLE_BASE_MS,
# MAILSYNC_TEST_REIDLE_SECONDS, MAILSYNC_TEST_IMAP_PROBE_HINT,
# MAILSYNC_TEST_UPLOAD_GRACE, MAILSYNC_TEST_HANDBACK_PAUSE and
# MAILSYNC_TEST_EARLY_ANSWER_MS, which a
# release build never reads. Checks
# that set one run only then, and are TAP SKIPs with NO_HOOKS as the
# reason otherwise.
TEST_HOOKS = bool(os.environ.get("MAILSYNC_TEST_HOOKS"))
NO_HOOKS = "needs --enable-test-hooks (the library is built without its test hooks)"
# A sanitizer build (configure --enable-sanitizers; set by tests/Makefile.am).
SANITIZED = bool(os.environ.get("MAILSYNC_TEST_SANITIZED"))
SAMPLED = "the -Werror build runs it; the sanitizer build runs a sample"


def sanitized_sample(tap, items, keep, label):
    """The rounds of a repeated scenario (crash points, kill rounds) this
    build runs: all of @items, or in the sanitizer build only those for
    which @keep(item) is true, each other one a TAP SKIP named @label %
    item (a tuple item fills several %s). Under ASan every process costs several times more and CI's run
    is CPU-bound on two cores; the kept rounds are chosen to cover the
    code paths this suite alone runs in that build, the -Werror build
    runs every round."""
    if not SANITIZED:
        return list(items)
    kept = []
    for item in items:
        if keep(item):
            kept.append(item)
        else:
            tap.skip(label % (item if isinstance(item, tuple) else (item,)), SAMPLED)
    return kept


def comparison_offlineimap():
    """(path, None) of Debian's offlineimap for a COMPARISON (its exit,
    output or Maildir is the expected value for mailsync's), or (None,
    reason) for the TAP SKIP of each comparison check not run.

    offlineimap's run and result do not depend on which build of the
    library is tested, so it runs only in the -Werror build: in the
    sanitizer build it would be the same CPU again (CI's run-tests is
    CPU-bound on 2 cores and at its time limit).  mailsync's own side of
    the scenario still runs there.  A hand-back (offlineimap run on what
    mailsync left, nothing of mailsync's after it) is one too: mailsync's
    files are the same in either build.  A SET-UP (offlineimap makes the
    Maildir or status that mailsync continues from) uses
    shutil.which("offlineimap") in both builds instead."""
    if SANITIZED:
        return None, "offlineimap's side runs only in the -Werror build"
    path = shutil.which("offlineimap")
    return path, None if path else "offlineimap is not installed"


class Tap:
    """One TAP stream: numbered "ok"/"not ok" lines, then the plan.  A
    failing check shows the first @limit characters of its detail.

    automake's TAP driver reads the script's stdout (tests/Makefile.am):
    anything else a script prints goes to stderr or starts with "# ", and
    a script that dies before the plan is an ERROR (missing plan)."""

    def __init__(self, limit=800):
        self.limit = limit
        self.checks = 0
        self.skips = 0
        self.failures = []

    def check(self, label, ok, detail="", todo=None):
        """With @todo (why it is expected to fail) a failure is reported as
        "# TODO" and does not fail the script.  A passing @label that ends
        in "# SKIP <reason>" is counted as a skip (prefer skip())."""
        self.checks += 1
        if ok and "# SKIP" in label:
            self.skips += 1
        print("%s %d - %s%s" % ("ok" if ok else "not ok", self.checks, label,
                                " # TODO " + todo if todo else ""))
        if not ok:
            # The detail goes on "# " lines after the result: on the result
            # line, its newlines would end the line before a TODO directive,
            # and a "# SKIP" inside it (a child's TAP output) would turn the
            # failure into a skip for the TAP driver.
            for line in str(detail)[:self.limit].splitlines():
                print("#   " + line)
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
    """The whole script is skipped: TAP's skip plan, which automake's TAP
    driver (tests/Makefile.am) counts as one SKIP.  The exit status is 0:
    that driver reports any other status as an ERROR, 77 included."""
    print("1..0 # SKIP %s" % reason)
    sys.stdout.flush()
    return 0


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


# The Dovecots this process started and has not stopped (their harness
# directories). The harness runs Dovecot in a session of its own, so
# nothing that ends the suite ends them: a suite ended by one of
# STOP_SIGNALS (make's Ctrl-C, run-tests' TERM to the step's process
# group, a closed terminal) exits cleanly instead (SystemExit: its
# `finally` blocks run), and stops at exit those it had not stopped. Each
# is also started with --owner, so that its harness watchdog stops it
# when the suite dies of SIGKILL.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_servers = set()
_owner = None


def _ignore_signal(signum, frame):
    """The handler while the suite stops: a second signal does not cut its
    clean-up short (SIG_IGN would be inherited by the programs it runs)."""


def _stop_signal(signum, frame):
    if os.getpid() != _owner:
        # A forked child that did not exec: the default action.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    for s in STOP_SIGNALS:
        if signal.getsignal(s) is _stop_signal:
            signal.signal(s, _ignore_signal)
    sys.stderr.write("mailsync_tap: signal %d, stopping the suite and its Dovecot servers\n" % signum)
    raise SystemExit(128 + signum)


def _master_running(directory):
    try:
        with open(os.path.join(directory, "run", "master.pid")) as f:
            pid = int(f.read())
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, ValueError, IndexError):
        return False


def _stop_left():
    for directory in sorted(_servers):
        if _master_running(directory):
            subprocess.run([HARNESS, "stop", directory], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)


def owned_start(directory):
    """The arguments after "start DIR" that make the harness Dovecot in
    @directory this process's: it is stopped when the process exits or
    dies (see STOP_SIGNALS). Registered before the start, so that a
    signal during the start still stops it."""
    global _owner
    if _owner is None:
        _owner = os.getpid()
        atexit.register(_stop_left)
        for s in STOP_SIGNALS:
            # Python's own SIGINT handler (KeyboardInterrupt) is replaced
            # too; a signal the parent ignores (nohup) stays ignored.
            if signal.getsignal(s) in (signal.SIG_DFL, signal.default_int_handler):
                signal.signal(s, _stop_signal)
    _servers.add(os.path.abspath(directory))
    return ["--owner", str(_owner)]


def harness(*args):
    """Runs dovecot-harness; its output, or RuntimeError with its errors.
    A server it starts is this process's (owned_start())."""
    argv = [HARNESS] + list(args)
    if args[0] == "start":
        argv += owned_start(args[1])
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("dovecot-harness %s: %s" % (" ".join(args), p.stderr.strip()))
    if args[0] == "stop":
        _servers.discard(os.path.abspath(args[1]))
    return p.stdout


def communicate_or_kill(p, timeout):
    """p.communicate() of a subprocess.Popen; killed (and then read to its
    end) if it has not exited after @timeout seconds."""
    try:
        return p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.communicate()


# A killed run's uploads whose copies the next run does not find may still
# be stored by the dead run's connection: that run keeps them (exit 1, one
# "not on the server yet" line) until a grace after the upload started
# (doc/design.md "A killed run's last APPENDs"). Suites that kill a run and
# expect convergence set the test hook MAILSYNC_TEST_UPLOAD_GRACE to
# UPLOAD_GRACE seconds and run again with rerun_until_uploaded().
UPLOAD_GRACE = "3"
PENDING_TEXT = "not on the server yet"


def rerun_until_uploaded(run, deadline=180):
    """Calls @run() (it returns a finished process: returncode, stdout,
    stderr) again while it ends with a pending upload's warning (the
    mailsync command exits 1 then, the engine's driver 0), until
    @deadline seconds pass. Returns (the last run, how many ended
    pending)."""
    end = time.monotonic() + deadline
    pending = 0
    while True:
        p = run()
        text = (p.stdout or "") + (p.stderr or "")
        if p.returncode not in (0, 1) or PENDING_TEXT not in text or time.monotonic() > end:
            return p, pending
        pending += 1
        time.sleep(0.5)


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
        cmd = [HARNESS, "start", self.dir] + (["--variant", variant] if variant else []) + owned_start(self.dir)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=300)
        self.env = read_env(self.dir)
        args = []
        for user, password in users:
            args += [user, password]
        subprocess.run([HARNESS, "adduser", self.dir] + args, check=True, stdout=subprocess.DEVNULL, timeout=300)
        time.sleep(1.1)

    def stop(self):
        subprocess.run([HARNESS, "stop", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _servers.discard(os.path.abspath(self.dir))

    def imap(self, user, password):
        return imap_starttls(self.env, user, password)


class DovecotUsers(Dovecot):
    """A private Dovecot in <root>/dovecot[-@variant] with @count users
    <prefix>1..<prefix>@count (password pw<user>) added up front, so each
    scenario takes an account of its own with new_user()."""

    def __init__(self, root, prefix, count, variant=None):
        self.prefix = prefix
        self.users = 0
        super().__init__(os.path.join(root, "dovecot" + ("-" + variant if variant else "")),
                         [("%s%d" % (prefix, i), "pw%s%d" % (prefix, i)) for i in range(1, count + 1)], variant)

    def new_user(self):
        """The next unused (user, password)."""
        self.users += 1
        user = "%s%d" % (self.prefix, self.users)
        return user, "pw" + user


def run_driver(server, user, password, work, security="starttls", debug=None, extra=None, timeout=300,
               local=None, wrap=None, status=None):
    """tests/sync-maildirs syncs @user's account on @server (a Dovecot)
    with the Maildir <work>/local, or with the account @local (user,
    password) of the same server; the status in <work>/meta.  @debug is
    G_MESSAGES_DEBUG; MAILSYNC_CRASH_AT is set only by @extra; @wrap (a
    list) is put before the command (strace ...); @status "plain" makes
    it use the plain status store (default SQLite).  Returns the
    subprocess.CompletedProcess (text)."""
    env = dict(os.environ)
    env.update(server.env)
    env.update({"DOVECOT_USER": user, "DOVECOT_PASS": password, "MAILSYNC_TEST_IMAP_SECURITY": security})
    if debug:
        env["G_MESSAGES_DEBUG"] = debug
    env.pop("MAILSYNC_CRASH_AT", None)
    env.update(extra or {})
    os.makedirs(os.path.join(work, "local"), exist_ok=True)
    if local:
        env.update({"MAILSYNC_TEST_LOCAL_IMAP_USER": local[0], "MAILSYNC_TEST_LOCAL_IMAP_PASS": local[1]})
    return subprocess.run(list(wrap or []) + [DRIVER, "imap", "imap" if local else os.path.join(work, "local"),
                           os.path.join(work, "meta")] + ([status] if status else []),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


def imap_commands(p, line_end=""):
    """The IMAP commands a run with G_MESSAGES_DEBUG=Mailsync-IMAP sent
    ("C: A12 UID FETCH ..." as "UID FETCH ...", the tag dropped), each
    followed by @line_end.  GLib writes debug messages to stdout."""
    return [re.sub(r"^.*? C: \S+ ", "", l) + line_end for l in (p.stdout + p.stderr).splitlines()
            if "-DEBUG: " in l and " C: " in l]


def stderr_without_debug(p, limit=300):
    """The last @limit characters of a run's stderr, debug lines left out."""
    return "\n".join(l for l in p.stderr.splitlines() if "DEBUG" not in l)[-limit:]


FLAG_LETTERS = {"\\Seen": "S", "\\Flagged": "F", "\\Answered": "R", "\\Deleted": "T", "\\Draft": "D"}


class TaggedMessages:
    """Test messages named by a tag: Subject <tag>, Message-ID
    <tag@domain>, a fixed date."""

    def __init__(self, domain):
        self.domain = domain

    def message(self, tag):
        return ("From: test@example.org\r\nSubject: %s\r\nMessage-ID: <%s@%s>\r\n"
                "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nBody of %s\r\n"
                % (tag, tag, self.domain, tag)).encode()

    def append(self, conn, folder, tag, flags=""):
        typ, data = conn.append(folder, "(%s)" % flags if flags else None, None, self.message(tag))
        assert typ == "OK", data

    def uid_of(self, conn, folder, tag):
        """The UID of @tag's message in @folder (which it SELECTs)."""
        conn.select(folder)
        typ, data = conn.uid("SEARCH", None, "HEADER", "Message-ID", "<%s@%s>" % (tag, self.domain))
        return data[0].split()[0].decode()


def status_uidvalidity(conn, folder):
    """@folder's UIDVALIDITY as STATUS says it, or None."""
    typ, data = conn.status(folder, "(UIDVALIDITY)")
    m = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"") if typ == "OK" else None
    return int(m.group(1)) if m else None


def new_uidvalidity(server, user, pw, folder, deadline=60):
    """Deletes and recreates @folder until its UIDVALIDITY differs from
    before (Dovecot's is a timestamp: a recreation within the same second
    may keep it); returns (old, new)."""
    conn = server.imap(user, pw)
    old = status_uidvalidity(conn, folder)
    new, until = old, time.monotonic() + deadline
    while new == old and time.monotonic() < until:
        conn.delete(folder)
        conn.create(folder)
        new = status_uidvalidity(conn, folder)
        if new == old:
            time.sleep(0.2)
    conn.logout()
    return old, new


def server_subjects(conn):
    """folder -> sorted [(subject, flag letters)] as another client sees it."""
    state = {}
    typ, data = conn.list()
    for line in data:
        name = re.match(rb'\((.*?)\) "(.)" (.*)', line).group(3).decode().strip('"')
        conn.select('"%s"' % name, readonly=True)
        typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        items = []
        for part in data:
            if isinstance(part, tuple):
                flags = re.search(rb"FLAGS \((.*?)\)", part[0]).group(1).decode().split()
                subject = part[1].decode().strip().split(":", 1)[1].strip()
                items.append((subject, "".join(sorted(FLAG_LETTERS.get(f, "") for f in flags))))
        state[name] = sorted(items)
    return state


def local_subjects(root):
    """folder -> sorted [(subject, flag letters)] of the Maildirs in @root."""
    state = {}
    for folder in sorted(os.listdir(root)):
        fdir = os.path.join(root, folder)
        if not os.path.isdir(os.path.join(fdir, "cur")):
            continue
        items = []
        for sub in ("cur", "new"):
            for name in os.listdir(os.path.join(fdir, sub)):
                with open(os.path.join(fdir, sub, name), "rb") as f:
                    m = re.search(rb"^Subject: (.*?)\r?$", f.read(), re.M)
                items.append((m.group(1).decode() if m else "?", name.split(":2,", 1)[1] if ":2," in name else ""))
        state[folder] = sorted(items)
    return state


def local_file(work, folder, tag):
    """The path of @tag's message in <work>/local/@folder, or None."""
    fdir = os.path.join(work, "local", folder)
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(fdir, sub)):
            with open(os.path.join(fdir, sub, name), "rb") as f:
                if re.search(rb"^Subject: %s\r?$" % tag.encode(), f.read(), re.M):
                    return os.path.join(fdir, sub, name)
    return None


def subjects_both_sides(server, user, password, work):
    """(server_subjects of @user's account, local_subjects of <work>/local)."""
    conn = server.imap(user, password)
    remote = server_subjects(conn)
    conn.logout()
    return remote, local_subjects(os.path.join(work, "local"))


IMAPS_CONFIG = """[general]
accounts = Test
metadata = %(root)s/%(home)s/meta

[Account Test]
localrepository = Local
remoterepository = Remote
%(account_extra)s
[Repository Local]
type = Maildir
localfolders = %(root)s/%(home)s/mail

[Repository Remote]
type = IMAP
remotehost = localhost
remoteport = %(port)s
ssl = yes
sslcacertfile = %(ca)s
remoteuser = %(user)s
%(password)s
"""


def write_scripted_config(work, port, socktimeout=30):
    """<work>/offlineimaprc, the config of the suites against a scripted
    server (tests/scripted_imap.py) on 127.0.0.1:@port: account T syncs the
    Maildir <work>/Mail (metadata in <work>/meta) with user u, password
    secret-pw, in clear text (the scripted server speaks no TLS). Returns
    its path."""
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "offlineimaprc")
    with open(path, "w") as f:
        f.write("[general]\naccounts = T\nmetadata = %s/meta\nsocktimeout = %d\n\n"
                "[Account T]\nlocalrepository = L\nremoterepository = R\n\n"
                "[Repository L]\ntype = Maildir\nlocalfolders = %s/Mail\n\n"
                "[Repository R]\ntype = IMAP\nremotehost = 127.0.0.1\nremoteport = %d\nremoteuser = u\n"
                "remotepass = secret-pw\nssl = no\nstarttls = no\n" % (work, socktimeout, work, port))
    return path


def write_imaps_config(root, name, env, user, password, account_extra="", fresh=False, home=None):
    """<root>/<name>.conf, the config of the UI suites: account Test syncs
    the Maildir <root>/<home>/mail (metadata in <root>/<home>/meta; @home
    is @name unless given) with @user's account on the harness Dovecot
    (its env @env) over IMAPS.  remotepass only when @password is not None
    (else the UI asks); @account_extra: more [Account Test] lines, each
    ending in a newline; @fresh: <root>/<home> is emptied first.  Returns
    the path."""
    home = home or name
    if fresh:
        shutil.rmtree(os.path.join(root, home), ignore_errors=True)
    os.makedirs(os.path.join(root, home, "mail"), exist_ok=True)
    path = os.path.join(root, name + ".conf")
    with open(path, "w") as f:
        f.write(IMAPS_CONFIG % {"root": root, "home": home, "port": env["DOVECOT_IMAPS_PORT"],
                                "ca": env["DOVECOT_CA"], "user": user, "account_extra": account_extra,
                                "password": "remotepass = " + password if password is not None else ""})
    return path
