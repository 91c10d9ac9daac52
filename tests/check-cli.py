#!/usr/bin/env python3
"""Integration tests of the mailsync command against a private Dovecot.

Each scenario writes an ~/.offlineimaprc in a temporary HOME, runs the
built frontends/mailsync/mailsync as a user would, and checks its output,
exit status and both stores (the server through Python's imaplib).
Skipped (1..0 # SKIP) when Dovecot is not installed."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import mailsync_tap
from mailsync_tap import HARNESS, MAILSYNC

# e.g. CHECK_CLI_WRAPPER="valgrind -q --leak-check=full --error-exitcode=9"
WRAPPER = os.environ.get("CHECK_CLI_WRAPPER", "").split()

TAP = mailsync_tap.Tap(800)
check = TAP.check
failures = TAP.failures
__getattr__ = TAP.module_getattr  # .checks, for check-cli-accept.py


class Server(mailsync_tap.Dovecot):
    def __init__(self, root):
        super().__init__(os.path.join(root, "dovecot"), [("cli%d" % i, "pwcli%d%%x" % i) for i in range(1, 35)])
        self.users = 0

    def new_user(self):
        self.users += 1
        return "cli%d" % self.users, "pwcli%d%%x" % self.users


def message(tag):
    return ("From: test@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@test>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nBody of %s\r\n"
            % (tag, tag, tag)).encode()


def append(conn, folder, tag, flags=None):
    typ, data = conn.append(folder, flags, None, message(tag))
    assert typ == "OK", data


def server_folders(conn):
    typ, data = conn.list()
    names = []
    for line in data:
        m = re.match(rb'\((.*?)\) "(.)" (.*)', line)
        name = m.group(3).decode()
        names.append(name[1:-1] if name.startswith('"') else name)
    return sorted(names)


def server_count(conn, folder):
    typ, data = conn.select(folder, readonly=True)
    return int(data[0])


def local_count(home, folder):
    root = os.path.join(home, "Mail", folder)
    if not os.path.isdir(root):
        return -1
    try:
        return sum(len(os.listdir(os.path.join(root, sub))) for sub in ("cur", "new"))
    except FileNotFoundError:   # being created right now
        return 0


ACCOUNT_CONFIG = """[Account %(name)s]
localrepository = Local%(suffix)s
remoterepository = Remote%(suffix)s
%(account)s
[Repository Local%(suffix)s]
type = Maildir
localfolders = %(home)s/Mail%(suffix)s

[Repository Remote%(suffix)s]
type = IMAP
remotehost = %(host)s
remoteport = %(port)s
remoteuser = %(user)s
remotepass = %(pw)s
ssl = no
starttls = yes
sslcacertfile = %(ca)s
%(remote)s
"""


def account_config(server, home, name, suffix, user, password, extra_account="", extra_remote=""):
    """The config lines of account @name: its section, then Local<@suffix>,
    the Maildir <@home>/Mail<@suffix>, and Remote<@suffix>, @user's account
    on @server (STARTTLS) with @password; @extra_account and @extra_remote
    are more lines of the account's and the remote's sections."""
    return ACCOUNT_CONFIG % {"name": name, "suffix": suffix, "home": home, "host": server.env["DOVECOT_HOST"],
                             "port": server.env["DOVECOT_PORT"], "user": user, "pw": password.replace("%", "%%"),
                             "ca": server.env["DOVECOT_CA"], "account": extra_account, "remote": extra_remote}


class Account:
    """A temporary HOME with an offlineimap config for one server user
    (account Test), and @tail after it (account_config() of another)."""

    def __init__(self, server, root, name, extra_general="", extra_account="", extra_remote="", tail="",
                 password=None):
        self.server = server
        self.user, self.password = server.new_user()
        self.home = os.path.join(root, name)
        # libmailsync refuses a missing Maildir root (it may be an unmounted
        # disk); offlineimap would create it.
        os.makedirs(os.path.join(self.home, "Mail"))
        self.config = os.path.join(self.home, ".offlineimaprc")
        with open(self.config, "w") as f:
            f.write("[general]\naccounts = Test\nmetadata = %s/meta\nui = basic\n%s\n" % (self.home, extra_general)
                    + account_config(server, self.home, "Test", "", self.user,
                                     password if password is not None else self.password, extra_account, extra_remote)
                    + tail)

    def env(self):
        env = dict(os.environ)
        env["HOME"] = self.home
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("G_MESSAGES_DEBUG", None)
        return env

    def run(self, *args, timeout=120):
        return subprocess.run(WRAPPER + [MAILSYNC] + list(args), env=self.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout)

    def start(self, *args):
        return subprocess.Popen(WRAPPER + [MAILSYNC] + list(args), env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def imap(self):
        return self.server.imap(self.user, self.password)


def out(p):
    return (p.stdout or "") + (p.stderr or "")


class Daemon(mailsync_tap.Running):
    """mailsync -u ttyui, its output read as it comes: a test waits until
    the account sleeps ("Next refresh in") before it signals, since a
    guessed pause is not enough on a loaded machine, where the sync can
    still be finishing."""

    def __init__(self, acc, *args):
        super().__init__(WRAPPER + [MAILSYNC, "-u", "ttyui"] + list(args), env=acc.env())

    def wait_sleeping(self, n=1, timeout=60):
        """Wait until the account has begun its @n-th sleep."""
        return self.wait_text(lambda t: t.count("Next refresh in") >= n, timeout)


wait_for = mailsync_tap.wait_for


def scenario_basic(server, root):
    acc = Account(server, root, "basic")
    conn = acc.imap()
    for i in range(5):
        append(conn, "INBOX", "inbox-%d" % i, "(\\Seen)" if i % 2 else None)
    conn.create("Archive")
    append(conn, "Archive", "archive-0")
    conn.logout()

    p = acc.run()
    check("first sync exits 0", p.returncode == 0, out(p))
    check("first sync downloads INBOX", local_count(acc.home, "INBOX") == 5, out(p))
    check("first sync downloads Archive", local_count(acc.home, "Archive") == 1, out(p))
    check("first sync says what it copies", "Copy message UID" in out(p), out(p))
    check("lock file removed after the sync", not os.path.exists(os.path.join(acc.home, "meta", "Test.lock")))
    p = acc.run()
    check("second sync exits 0", p.returncode == 0, out(p))
    check("second sync copies nothing", "Copy message" not in out(p) and "Deleting" not in out(p), out(p))

    p = acc.run("--version")
    lines = p.stdout.splitlines()
    check("--version: its first line is the bare version, as offlineimap's",
          p.returncode == 0 and len(lines) == 3 and re.fullmatch(r"\d+\.\d+\.\d+", lines[0]), out(p))
    check("--version: then the library's version and the build options",
          len(lines) == 3 and ("libmailsync v" + lines[0]) in lines[1]
          and re.fullmatch(r"build options:( [+-][a-z0-9]+)+", lines[2]), out(p))
    p = acc.run("-h")
    check("-h prints the options", p.returncode == 0 and "--delete-folder" in p.stdout and "-k" in p.stdout, out(p))
    p = acc.run("-V")
    check("-V prints versions", p.returncode == 0 and "mailsync v" in p.stdout, out(p))
    check("-V prints the loaded library's version", re.search(r"libmailsync v\d+\.\d+\.\d+", p.stdout), out(p))
    check("-V prints the build options",
          re.search(r"^build options: [+-]python [+-]keyring [+-]oauth2 [+-]blinkenlights$", p.stdout, re.M), out(p))


def scenario_bad_input(server, root):
    acc = Account(server, root, "badinput")
    p = acc.run("-a", "Nope")
    check("-a unknown account exits 1", p.returncode == 1, out(p))
    check("-a unknown account names it", "ERROR: The account 'Nope' does not exist" in out(p), out(p))
    check("-a unknown account lists the valid ones", "Valid accounts are: Test" in out(p)
          or "No accounts are defined!" in out(p), out(p))

    p = acc.run("--bogus")
    check("unknown option exits 2", p.returncode == 2, out(p))
    check("unknown option prints usage and the error",
          "Usage: mailsync [options]" in p.stderr and "error: no such option: --bogus" in p.stderr, p.stderr)
    p = acc.run("-a")
    check("missing option value exits 2", p.returncode == 2 and "-a option requires 1 argument" in p.stderr,
          out(p))
    p = acc.run("-k", "novalue")
    check("-k without = exits 2", p.returncode == 2 and "Usage:" in p.stderr, out(p))
    p = acc.run("-k", "Account_Nope:autorefresh=1")
    check("-k unknown section is an error", p.returncode != 0 and "Account Nope" in out(p), out(p))
    p = acc.run("-k", "Repository_Nope:remotepass=S3cretNope")
    check("-k unknown section: the value (a password?) is not echoed",
          p.returncode != 0 and "Repository Nope" in out(p) and "S3cretNope" not in out(p), out(p))
    p = acc.run("-k", "Repository_Remote:=S3cretNope")
    check("-k without option name: exit 2, the value is not echoed",
          p.returncode == 2 and "S3cretNope" not in out(p), out(p))

    p = acc.run("-c", os.path.join(acc.home, "missing.conf"))
    check("missing config file exits 1", p.returncode == 1, out(p))
    check("missing config file message", "Config file '%s' does not exist" % os.path.join(acc.home, "missing.conf")
          in out(p), out(p))

    bad = os.path.join(acc.home, "bad.conf")
    with open(acc.config) as f:
        lines = f.read().splitlines()
    lines.insert(3, "this line is not an option")
    with open(bad, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = acc.run("-c", bad)
    errors = [l for l in out(p).splitlines() if "bad.conf" in l]
    check("malformed config line fails", p.returncode != 0, out(p))
    check("malformed config error names file and line", any(re.search(r"bad\.conf:4\b", l) for l in errors), out(p))
    check("nothing synced after a config error", os.listdir(os.path.join(acc.home, "Mail")) == [], out(p))

    p = acc.run("-u", "nope")
    check("unknown UI exits 1 with the list", p.returncode == 1 and "UI 'nope' does not exist" in out(p), out(p))

    # An account that fails at once must not race the main loop's start
    # (a quit before g_main_loop_run() hung the process).
    statuses = []
    for i in range(25):
        try:
            statuses.append(acc.run("-k", "Repository_Remote:remoteport=1", timeout=20).returncode)
        except subprocess.TimeoutExpired:
            statuses.append("hang")
    check("unreachable server: exits 1 every time, never hangs", statuses == [1] * 25, statuses)


def scenario_overrides(server, root):
    # The file has a wrong password; -k fixes it (section with _ for space).
    acc = Account(server, root, "override", password="XyzzyWrong7")
    conn = acc.imap()
    append(conn, "INBOX", "k-0")
    conn.create("Archive")
    conn.create("Other")
    append(conn, "Archive", "a-0")
    append(conn, "Other", "o-0")
    conn.logout()
    p = acc.run()
    check("wrong password in the file fails", p.returncode == 1, out(p))
    check("wrong password never printed", "XyzzyWrong7" not in out(p), out(p))
    pw = acc.password.replace("%", "%%")
    p = acc.run("-k", "Repository_Remote:remotepass=%s" % pw, "-f", "Archive")
    check("-k Repository_Remote:remotepass fixes the password", p.returncode == 0, out(p))
    check("-f syncs the named folder", local_count(acc.home, "Archive") == 1, out(p))
    check("-f skips the others", local_count(acc.home, "Other") <= 0 and local_count(acc.home, "INBOX") <= 0,
          (local_count(acc.home, "Other"), local_count(acc.home, "INBOX")))


def scenario_like_offlineimap(server, root):
    """The same command lines give offlineimap's exit status and message.
    Without offlineimap (not installed, or the sanitizer build:
    mailsync_tap.comparison_offlineimap) mailsync's side still runs: its
    message is checked, the comparison of exit statuses is a SKIP."""
    offlineimap, why = mailsync_tap.comparison_offlineimap()
    acc = Account(server, root, "sidebyside")
    cases = [
        (["-a", "Nope"], "ERROR: The account 'Nope' does not exist"),
        (["--bogus"], "error: no such option: --bogus"),
        (["-a"], "error: -a option requires 1 argument"),
        (["-c", os.path.join(acc.home, "nope.rc")], "does not exist; aborting!"),
        (["-u", "nope"], "UI 'nope' does not exist, choose one of: ttyui, basic, quiet, syslog, machineui, blinkenlights"),
        (["--delete-folder", "X", "--dry-run"], "would try to remove 'X' on remote of 'Test' account"),
        (["-k", "Account_Nope:autorefresh=1"], ""),
        (["--version"], ""),
    ]
    for args, text in cases:
        if offlineimap is None:
            ours = acc.run(*(["-u", "basic"] + args if args[0] not in ("--version", "--bogus", "-a") else args))
            TAP.skip("as offlineimap: mailsync %s exits as offlineimap" % " ".join(args), why)
            check("mailsync %s exits, not killed by a signal" % " ".join(args), ours.returncode >= 0,
                  (ours.returncode, out(ours)[-300:]))
            if text:
                check("mailsync %s says %r" % (" ".join(args), text), text in out(ours), out(ours)[-300:])
            continue
        theirs = subprocess.run([offlineimap, "-u", "basic"] + args if args[0] not in ("--version", "--bogus", "-a")
                                else [offlineimap] + args, env=acc.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, timeout=60)
        ours = acc.run(*(["-u", "basic"] + args if args[0] not in ("--version", "--bogus", "-a") else args))
        check("as offlineimap: mailsync %s exits %d" % (" ".join(args), theirs.returncode),
              ours.returncode == theirs.returncode, (ours.returncode, out(ours)[-300:], out(theirs)[-300:]))
        if text:
            check("as offlineimap: mailsync %s says %r" % (" ".join(args), text),
                  text in out(ours) and text in out(theirs), (out(ours)[-300:], out(theirs)[-300:]))


def scenario_filter_includes(server, root):
    acc = Account(server, root, "fincludes", extra_remote="folderincludes = ['Extra']")
    conn = acc.imap()
    conn.create("Archive")
    conn.create("Extra")
    conn.logout()
    p = acc.run("-f", "Archive")
    check("-f empties folderincludes, as offlineimap does", p.returncode == 0
          and local_count(acc.home, "Archive") == 0 and local_count(acc.home, "Extra") < 0, out(p))
    p = acc.run()
    check("folderincludes is honoured", p.returncode == 0 and local_count(acc.home, "Extra") == 0, out(p))


def scenario_dry_run(server, root):
    acc = Account(server, root, "dryrun", extra_account="presynchook = touch %s/hook-ran" % "HOOKDIR")
    with open(acc.config) as f:
        text = f.read().replace("HOOKDIR", acc.home)
    with open(acc.config, "w") as f:
        f.write(text)
    conn = acc.imap()
    append(conn, "INBOX", "d-0")
    conn.logout()
    p = acc.run()
    check("dry-run setup sync", p.returncode == 0, out(p))
    os.unlink(os.path.join(acc.home, "hook-ran"))
    conn = acc.imap()
    append(conn, "INBOX", "d-1")
    conn.create("NewRemote")
    conn.logout()
    with open(os.path.join(acc.home, "Mail", "INBOX", "new", "local-1"), "w") as f:
        f.write("Subject: local\n\nlocal mail\n")
    before_local = sorted(os.listdir(os.path.join(acc.home, "Mail", "INBOX", "new"))) + \
        sorted(os.listdir(os.path.join(acc.home, "Mail", "INBOX", "cur")))
    p = acc.run("--dry-run")
    check("--dry-run exits 0", p.returncode == 0, out(p))
    check("--dry-run says [DRYRUN]", "[DRYRUN]" in out(p), out(p))
    check("--dry-run does not run hooks", not os.path.exists(os.path.join(acc.home, "hook-ran")), out(p))
    check("--dry-run prints the hook it would call", "[DRYRUN] Calling hook: touch" in out(p), out(p))
    after_local = sorted(os.listdir(os.path.join(acc.home, "Mail", "INBOX", "new"))) + \
        sorted(os.listdir(os.path.join(acc.home, "Mail", "INBOX", "cur")))
    check("--dry-run changes nothing locally", before_local == after_local
          and not os.path.exists(os.path.join(acc.home, "Mail", "NewRemote")), (before_local, after_local))
    conn = acc.imap()
    check("--dry-run changes nothing on the server", server_count(conn, "INBOX") == 2, out(p))
    conn.logout()


def scenario_info_delete(server, root):
    acc = Account(server, root, "info")
    conn = acc.imap()
    conn.create("Doomed")
    conn.logout()
    p = acc.run("--info")
    check("--info exits 0", p.returncode == 0, out(p))
    check("--info names the remote repository", "Remote repository 'Remote': type 'IMAP'" in out(p), out(p))
    check("--info shows host and port", "Host: %s Port: %s" % (server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"])
          in out(p), out(p))
    check("--info lists folders", "Folderlist:" in out(p) and "Doomed" in out(p), out(p))
    check("--info does not sync", not os.path.exists(os.path.join(acc.home, "Mail", "INBOX")), out(p))
    # every line that the repositories' descriptions give (issue 14: the
    # frontend reads them through mailsync_repository_describe())
    lines = out(p).splitlines()
    check("--info: the whole Host line, SSL: False under starttls",
          "Host: %s Port: %s SSL: False" % (server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"]) in lines,
          out(p))
    check("--info: offlineimap's connecting line, host:port and the repository",
          "Establishing connection to %s:%s (Remote)" % (server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"])
          in lines, out(p))
    check("--info: the local Maildir repository, with no server lines",
          "Local repository 'Local': type 'Maildir'" in lines
          and sum(l.startswith("Host: ") for l in lines) == 1
          and sum(l.startswith("Server welcome string: ") for l in lines) == 1, out(p))

    p = acc.run("--delete-folder", "Doomed", "--dry-run", "-a", "Test")
    check("--delete-folder --dry-run says what it would do",
          p.returncode == 0 and "would try to remove 'Doomed' on remote of 'Test' account" in out(p), out(p))
    p = acc.run("--delete-folder", "Doomed", "-a", "Test")
    check("--delete-folder exits 0", p.returncode == 0 and "Folder 'Doomed' deleted." in out(p), out(p))
    conn = acc.imap()
    check("--delete-folder removed it on the server", "Doomed" not in server_folders(conn), server_folders(conn))
    conn.logout()
    p = acc.run("--delete-folder", "Nonexistent", "-a", "Test")
    check("--delete-folder of a missing folder fails", p.returncode == 1 and "ERROR" in out(p), out(p))


def scenario_info_mapped(server, root):
    """An IMAP local side (offlineimap's MappedIMAP): --info names it IMAP
    as offlineimap does and shows its folders as listed, without the
    remote's server lines; -P counts its traffic (the wrapped IMAP
    repository's) in a row of its own."""
    acc = Account(server, root, "info-mapped")
    user2, pw2 = server.new_user()
    conn = server.imap(user2, pw2)
    for name in ("bravo", "Alpha"):
        conn.create(name)
    conn.logout()
    with open(acc.config) as f:
        text = f.read()
    text = text.replace("[Repository Local]\ntype = Maildir\nlocalfolders = %s/Mail\n" % acc.home,
                        "[Repository Local]\ntype = IMAP\nremotehost = %s\nremoteport = %s\nremoteuser = %s\n"
                        "remotepass = %s\nssl = no\nstarttls = yes\nsslcacertfile = %s\n"
                        % (server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"], user2, pw2.replace("%", "%%"),
                           server.env["DOVECOT_CA"]))
    with open(acc.config, "w") as f:
        f.write(text)
    p = acc.run("--info")
    lines = out(p).splitlines()
    check("--info with an IMAP local side exits 0", p.returncode == 0, out(p))
    local = lines[lines.index("Local repository 'Local': type 'IMAP'") + 1:] \
        if "Local repository 'Local': type 'IMAP'" in lines else None
    check("--info: the local IMAP side is type 'IMAP'", local is not None, out(p))
    check("--info: the local IMAP side has no server lines (the remote's only)",
          sum(l.startswith("Host: ") for l in lines) == 1 and local is not None
          and not any(l.startswith("Server ") or l.startswith("Establishing ") for l in local), out(p))
    folders = [l.strip() for l in local[local.index("Folderlist:") + 1:] if l.strip()] \
        if local is not None and "Folderlist:" in local else []
    check("--info: the local IMAP side's folders as its server lists them",
          sorted(folders) == ["Alpha", "INBOX", "bravo"], (folders, out(p)))
    prof = os.path.join(acc.home, "prof")
    p = acc.run("-P", prof)
    files = os.listdir(prof) if os.path.isdir(prof) else []
    rows = [l.rstrip("\n").split("\t") for f in files for l in open(os.path.join(prof, f))]
    imap_rows = {r[1]: r[2:5] for r in rows if r[0] == "imap"}
    check("-P: an imap row for the remote and one for the IMAP local side",
          p.returncode == 0 and sorted(imap_rows) == ["Local", "Remote"]
          and all(int(x) > 0 for r in imap_rows.values() for x in r), (rows, out(p)))


def scenario_lock(server, root):
    # The first instance's hook holds it (and the lock) until the test
    # releases it, so "fails fast" is a fact, not a race with a sleep: a
    # second instance that waited for the lock would end only after the
    # release, which comes after it returned.
    release = os.path.join(root, "lock-release")
    hook = "while [ ! -e %s ]; do sleep 0.1; done" % release
    acc = Account(server, root, "lock", extra_account="presynchook = " + hook)
    first = acc.start()
    lock = os.path.join(acc.home, "meta", "Test.lock")
    check("first instance holds the lock", wait_for(lambda: os.path.exists(lock), 60))
    try:
        p = acc.run("-k", "Account_Test:presynchook=")
        check("second instance fails with offlineimap's message",
              "ERROR: Could not lock account Test. Is another instance using this account?" in out(p), out(p))
        check("second instance exits 1", p.returncode == 1, p.returncode)
        check("second instance fails fast (while the first still holds the lock)", first.poll() is None,
              first.returncode)
    except subprocess.TimeoutExpired as e:
        check("second instance fails fast (while the first still holds the lock)", False, e)
    check("second instance leaves the lock file alone", os.path.exists(lock))
    open(release, "w").close()
    so, se = first.communicate(timeout=120)
    check("first instance completes", first.returncode == 0, so + se)
    check("first instance ran its hook", ("Calling hook: " + hook) in so + se and "Hook return code: 0" in so + se,
          so + se)


def scenario_daemon(server, root):
    log = os.path.join(root, "daemon-syncs")
    acc = Account(server, root, "daemon", extra_account="autorefresh = 5\npostsynchook = echo synced >> %s" % log)

    def syncs():
        try:
            with open(log) as f:
                return len(f.read().split())
        except OSError:
            return 0

    p = acc.run("-o", timeout=60)
    check("-o runs once despite autorefresh", p.returncode == 0 and syncs() == 1, (syncs(), out(p)))

    d = Daemon(acc)
    check("autorefresh: first sync done", wait_for(lambda: syncs() == 2, 30), syncs())
    check("autorefresh: sleeps after the first sync", d.wait_sleeping(1), d.text()[-500:])
    d.send_signal(signal.SIGUSR1)
    check("SIGUSR1 wakes the autorefresh sleep", wait_for(lambda: syncs() == 3, 30), syncs())
    check("autorefresh: sleeps after the second sync", d.wait_sleeping(2), d.text()[-500:])
    t0 = time.time()
    d.send_signal(signal.SIGTERM)
    rc, so, se = d.finish()
    # the sleep is 5 minutes: an exit that waited for its end is not quick
    check("SIGTERM during the sleep exits quickly", time.time() - t0 < 60, time.time() - t0)
    check("SIGTERM during the sleep exits 0", rc == 0, (rc, so + se))
    check("SIGTERM is announced", "Preparing to shutdown after sync" in so + se, so + se)
    check("no lock left behind", not os.path.exists(os.path.join(acc.home, "meta", "Test.lock")))

    d = Daemon(acc, "-d", "thread")
    check("-d thread daemon: first sync", wait_for(lambda: syncs() == 4, 30), syncs())
    check("-d thread daemon: sleeps after the sync", d.wait_sleeping(), d.text()[-500:])
    d.proc.send_signal(signal.SIGTERM)
    rc, so, se = d.finish()
    check("-d thread: a stop prints where each account is", rc == 0 and "Account sync Test: sleeping" in se,
          (rc, se[-500:]))

    d = acc.start()
    check("autorefresh again", wait_for(lambda: syncs() == 5, 30), syncs())
    d.send_signal(signal.SIGUSR2)
    so, se = d.communicate(timeout=20)
    check("SIGUSR2 ends the daemon after the sync", d.returncode == 0 and "Terminating after this sync" in so + se,
          (d.returncode, so + se))


def scenario_validity(server, root):
    acc = Account(server, root, "validity")
    conn = acc.imap()
    conn.create("Valid")
    append(conn, "Valid", "v-0")
    conn.logout()
    p = acc.run()
    check("validity setup sync", p.returncode == 0 and local_count(acc.home, "Valid") == 1, out(p))
    conn = acc.imap()
    conn.delete("Valid")
    time.sleep(1.1)   # Dovecot's UIDVALIDITY is a timestamp
    conn.create("Valid")
    append(conn, "Valid", "v-1")
    conn.logout()
    p = acc.run()
    check("UIDVALIDITY change gives exit status 2", p.returncode == 2, (p.returncode, out(p)))
    check("UIDVALIDITY change is reported", "UID validity problem" in out(p), out(p))
    check("the folder's local mail is kept", local_count(acc.home, "Valid") == 1, local_count(acc.home, "Valid"))


def scenario_mbnames(server, root):
    acc = Account(server, root, "mbnames", tail="""
[mbnames]
enabled = yes
filename = ~/muttrc.mailboxes
header = "mailboxes "
peritem = "+%(accountname)s/%(foldername)s"
sep = " "
footer = "\\n"
""")
    conn = acc.imap()
    conn.create("Archive")
    conn.logout()
    p = acc.run()
    # peritem is read raw (offlineimap: config.get(..., raw=1)): a config
    # check that interpolated it would fail this sync ("%(accountname)s
    # refers to ..."), a failure, no longer a TODO.
    check("mbnames sync", p.returncode == 0, out(p))
    path = os.path.join(acc.home, "muttrc.mailboxes")
    content = open(path).read() if os.path.exists(path) else None
    check("mbnames file content", content == 'mailboxes "+Test/Archive" "+Test/INBOX"\n', content)
    cache = os.path.join(acc.home, "meta", "mbnames", "Test.json")
    items = json.load(open(cache)) if os.path.exists(cache) else None
    check("mbnames json cache as offlineimap writes it",
          items == [{"accountname": "Test", "foldername": "Archive", "localfolders": os.path.join(acc.home, "Mail")},
                    {"accountname": "Test", "foldername": "INBOX", "localfolders": os.path.join(acc.home, "Mail")}],
          items)
    stale = os.path.join(acc.home, "meta", "mbnames", "Gone.json")
    with open(stale, "w") as f:
        json.dump([{"accountname": "Gone", "foldername": "X", "localfolders": "/x"}], f)
    p = acc.run("-o")
    content = open(path).read()
    check("mbnames keeps other accounts until pruned", "+Gone/X" in content, content)
    p = acc.run("--mbnames-prune", "--dry-run")
    check("--mbnames-prune --dry-run removes nothing", os.path.exists(stale) and "mbnames would remove" in out(p),
          out(p))
    p = acc.run("--mbnames-prune")
    check("--mbnames-prune removes the stale cache", p.returncode == 0 and not os.path.exists(stale)
          and "removed %s" % stale in out(p), out(p))
    content = open(path).read()
    check("--mbnames-prune rewrites the file", content == 'mailboxes "+Test/Archive" "+Test/INBOX"\n', content)


def scenario_mbnames_lambdas(server, root):
    # offlineimap's own examples: a folderfilter(accountname, foldername)
    # and a sort_keyfunc over the item dicts, evaluated by embedded Python
    acc = Account(server, root, "mbnameslambda", tail="""
[mbnames]
enabled = yes
filename = ~/muttrc.mailboxes
header = "mailboxes "
peritem = "+%(accountname)s/%(foldername)s"
sep = " "
footer = "\\n"
folderfilter = lambda accountname, foldername: not re.search('^Trash', foldername)
sort_keyfunc = lambda d: (d['foldername'] != 'INBOX', d['foldername'].lower())
""")
    conn = acc.imap()
    for f in ("archive", "Trash", "Zeta"):
        conn.create(f)
    conn.logout()
    p = acc.run()
    path = os.path.join(acc.home, "muttrc.mailboxes")
    content = open(path).read() if os.path.exists(path) else None
    check("mbnames folderfilter and sort_keyfunc lambdas are honoured",
          p.returncode == 0 and content == 'mailboxes "+Test/INBOX" "+Test/archive" "+Test/Zeta"\n', (content, out(p)))
    with open(acc.config) as f:
        text = f.read()
    with open(acc.config, "w") as f:
        f.write(text.replace("lambda accountname, foldername: not", "lambda accountname, foldername: nope +"))
    p = acc.run()
    check("a failing mbnames folderfilter is an error naming the option",
          p.returncode == 1 and "folderfilter" in out(p) and "NameError" in out(p), out(p))


def scenario_debug_profile(server, root):
    acc = Account(server, root, "debug")
    conn = acc.imap()
    append(conn, "INBOX", "dbg-0")
    conn.logout()
    p = acc.run("-d", "imap")
    text = out(p)
    check("-d imap sync exits 0", p.returncode == 0, text[-2000:])
    check("-d imap shows the protocol", "[imap]" in text and "CAPABILITY" in text, text[-2000:])
    import base64
    sasl = base64.b64encode(("\0%s\0%s" % (acc.user, acc.password)).encode()).decode()
    check("-d imap never shows the password", acc.password not in text and sasl not in text
          and base64.b64encode(acc.password.encode()).decode() not in text, "password leaked")
    p = acc.run("-d", "bogus", "-o")
    check("-d unknown type warns", "Invalid debug type: bogus" in out(p), out(p))

    prof = os.path.join(acc.home, "prof")
    conn = acc.imap()
    append(conn, "INBOX", "dbg-1")
    conn.logout()
    p = acc.run("-P", prof)
    files = os.listdir(prof) if os.path.isdir(prof) else []
    check("-P writes one profile per account", p.returncode == 0 and len(files) == 1
          and re.match(r"^\d{14}_Test\.prof$", files[0]), (files, out(p)))
    if files:
        rows = [l.split("\t") for l in open(os.path.join(prof, files[0])) if not l.startswith("#")]
        folder_rows = [r for r in rows if r[0] == "folder" and r[2] == "INBOX"]
        check("-P has a row per folder with the messages copied",
              folder_rows and int(folder_rows[0][6]) == 1, rows)
        imap_rows = [r for r in rows if r[0] == "imap"]
        check("-P: the IMAP traffic of the remote only (a Maildir keeps no statistics)",
              [r[1] for r in imap_rows] == ["Remote"] and all(int(x) > 0 for x in imap_rows[0][2:5]), rows)


def scenario_interrupt(server, root):
    """SIGTERM mid-sync stops at a folder boundary; the next run completes."""
    acc = Account(server, root, "interrupt")
    for folder in ("INBOX", "Alpha", "Beta", "Gamma"):
        subprocess.run([HARNESS, "fill", server.dir, acc.user, folder, "150"], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
    d = acc.start("-1")
    started = wait_for(lambda: sum(max(0, local_count(acc.home, f)) for f in ("INBOX", "Alpha", "Beta", "Gamma")) > 0,
                       60)
    d.send_signal(signal.SIGTERM)
    so, se = mailsync_tap.communicate_or_kill(d, 60)
    check("SIGTERM mid-sync: the sync had started", started)
    check("SIGTERM mid-sync: stops without error", d.returncode == 0, (d.returncode, (so + se)[-300:]))
    check("SIGTERM mid-sync: announced", "Preparing to shutdown after sync" in so + se, (so + se)[-300:])
    partial = {f: local_count(acc.home, f) for f in ("INBOX", "Alpha", "Beta", "Gamma")}
    check("SIGTERM mid-sync: some folder left for later", min(partial.values()) < 150, partial)
    p = acc.run("-1")
    full = {f: local_count(acc.home, f) for f in ("INBOX", "Alpha", "Beta", "Gamma")}
    check("after SIGTERM the next run completes", p.returncode == 0 and all(v == 150 for v in full.values()),
          (full, out(p)[-1500:]))
    conn = acc.imap()
    counts = {f: server_count(conn, f) for f in ("INBOX", "Alpha", "Beta", "Gamma")}
    conn.logout()
    check("after SIGTERM nothing was duplicated on the server", all(v == 150 for v in counts.values()), counts)

    # A second signal stops the folder in progress too; the next run completes it.
    acc2 = Account(server, root, "interrupt2")
    for folder in ("INBOX", "Alpha"):
        subprocess.run([HARNESS, "fill", server.dir, acc2.user, folder, "400"], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
    d = acc2.start("-1")
    wait_for(lambda: max(local_count(acc2.home, "Alpha"), local_count(acc2.home, "INBOX")) > 0, 60)
    # back to back: with a pause, a loaded machine could let the first
    # signal's graceful stop finish the run before the second arrives
    d.send_signal(signal.SIGTERM)
    d.send_signal(signal.SIGINT)
    so, se = mailsync_tap.communicate_or_kill(d, 30)
    partial = {f: local_count(acc2.home, f) for f in ("Alpha", "INBOX")}
    check("a second signal stops the folder in progress", "Stopping the folders in progress now" in so + se
          and min(partial.values()) < 400, (partial, (so + se)[-400:]))
    p = acc2.run("-1")
    full = {f: local_count(acc2.home, f) for f in ("Alpha", "INBOX")}
    conn = acc2.imap()
    counts = {f: server_count(conn, f) for f in ("Alpha", "INBOX")}
    conn.logout()
    check("after two signals the next run completes, nothing doubled", p.returncode == 0
          and all(v == 400 for v in full.values()) and all(v == 400 for v in counts.values()),
          (full, counts, out(p)[-800:]))

    d = Daemon(acc, "-k", "Account_Test:autorefresh=5")
    check("SIGQUIT: the daemon sleeps after its sync", d.wait_sleeping(), d.text()[-500:])
    d.proc.send_signal(signal.SIGQUIT)
    rc, so, se = d.finish()
    check("SIGQUIT dumps where each account is and aborts",
          rc == -signal.SIGABRT and "Account sync Test: sleeping" in se, (rc, se[-800:]))


def scenario_machineui(server, root):
    acc = Account(server, root, "machine", extra_account="postsynchook = echo post-hook-ran")
    p = acc.run("-u", "machineui")
    lines = p.stdout.splitlines()
    check("machineui sync exits 0", p.returncode == 0, out(p)[-1500:])
    check("machineui hook lines", "msg:callhook:Account+sync+Test:Calling+hook%3A+echo+post-hook-ran" in lines
          and "msg:callhook:Account+sync+Test:Hook+return+code%3A+0" in lines, lines)
    check("machineui ends with terminate", lines and lines[-1].startswith("msg:terminate:MainThread:0"), lines[-3:])
    p = acc.run("-u", "machineui", "-a", "Nope")
    check("machineui exits with its terminate status", p.returncode == 1, (p.returncode, p.stdout[-500:]))


def scenario_migrate_fmd5(server, root):
    acc = Account(server, root, "fmd5", extra_remote="nametrans = lambda f: 'Remote.' + f if f != 'INBOX' else f")
    with open(acc.config) as f:
        text = f.read()
    text = text.replace("localfolders = %s/Mail" % acc.home,
                        "localfolders = %s/Mail\nnametrans = lambda f: f[len('Remote.'):] if f.startswith('Remote.') "
                        "else f" % acc.home)
    with open(acc.config, "w") as f:
        f.write(text)
    folder = os.path.join(acc.home, "Mail", "Remote.Work")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(folder, sub))
    import hashlib
    old = hashlib.md5(b"Remote.Work").hexdigest()
    new = hashlib.md5(b"Work").hexdigest()
    name = "1700000000_0.1.host,U=1,FMD5=%s:2,S" % old
    with open(os.path.join(folder, "cur", name), "w") as f:
        f.write("Subject: old scheme\n\nx\n")
    p = acc.run("--migrate-fmd5-using-nametrans", "--dry-run")
    check("--migrate-fmd5 --dry-run renames nothing",
          os.listdir(os.path.join(folder, "cur")) == [name] and "Migrating file" in out(p), out(p))
    p = acc.run("--migrate-fmd5-using-nametrans")
    check("--migrate-fmd5 renames to md5(visible name)", p.returncode == 0 and
          os.listdir(os.path.join(folder, "cur")) == [name.replace(old, new)],
          (os.listdir(os.path.join(folder, "cur")), out(p)))


def scenario_idle(server, root):
    log = os.path.join(root, "idle-syncs")
    acc = Account(server, root, "idle", extra_account="autorefresh = 10\npostsynchook = echo $OFFLINEIMAPSYNCMODE >> %s"
                  % log, extra_remote="idlefolders = ['INBOX']")

    def modes():
        try:
            with open(log) as f:
                return f.read().split()
        except OSError:
            return []

    d = acc.start()
    check("idlefolders: first sync done", wait_for(lambda: modes() == ["full"], 30), modes())
    time.sleep(1.5)
    conn = acc.imap()
    append(conn, "INBOX", "idle-0")
    conn.logout()
    check("idlefolders: new mail syncs at once, in idle mode", wait_for(lambda: modes() == ["full", "idle"], 20),
          modes())
    check("idlefolders: the new mail is local", local_count(acc.home, "INBOX") == 1, local_count(acc.home, "INBOX"))
    time.sleep(1)
    t0 = time.time()
    d.send_signal(signal.SIGTERM)
    # "At once" against IDLE's 29-minute wait: within a deadline generous
    # for a loaded machine (communicate_or_kill kills it after that).
    so, se = mailsync_tap.communicate_or_kill(d, 60)
    check("SIGTERM during IDLE exits at once with 0", d.returncode == 0,
          (d.returncode, time.time() - t0, (so + se)[-800:]))


def scenario_accounts(server, root):
    """Two accounts: -a picks, maxsyncaccounts runs them in parallel, -1
    one after the other; -l logs in offlineimap's format."""
    user2, pw2 = server.new_user()
    acc = Account(server, root, "accounts", extra_account="presynchook = sleep 3\necho-hook = x",
                  tail=account_config(server, os.path.join(root, "accounts"), "Two", "2", user2, pw2,
                                      extra_account="presynchook = sleep 3"))
    with open(acc.config) as f:
        text = f.read().replace("echo-hook = x\n", "")
    with open(acc.config, "w") as f:
        f.write(text)
    os.makedirs(os.path.join(acc.home, "Mail2"))
    conn = server.imap(user2, pw2)
    append(conn, "INBOX", "two-0")
    conn.logout()

    p = acc.run("-a", "Two")
    check("-a Two syncs only Two", p.returncode == 0 and local_count(acc.home, "INBOX") == -1
          and os.path.isdir(os.path.join(acc.home, "Mail2", "INBOX")), out(p))
    check("-a Two: its hook output is logged", "Hook stdout: \nHook stderr:" in out(p)
          and "Hook return code: 0" in out(p), out(p))
    p = acc.run("-a", "Two", "-k", "Account_Two:presynchook=echo out; echo err >&2; kill -TERM $$",
                "-k", "Account_Two:postsynchook=exit 3")
    check("hook output, and a killed hook's code as Python gives it",
          "Hook stdout: out\n\nHook stderr:err\n" in out(p) and "Hook return code: -15" in out(p), out(p))
    check("a failing hook does not fail the sync", p.returncode == 0 and "Hook return code: 3" in out(p), out(p))
    # In parallel, each account's presynchook waits (up to 120 s) for the
    # other's to have started: both see the other only if they ran at once.
    # In sequence (-1), the hooks log each account's start and end: the
    # order proves it, whatever the machine's speed.
    barrier = os.path.join(root, "accounts-barrier")
    os.makedirs(barrier)

    def waiting_hook(me, other):
        return ("Account_%s:presynchook=touch %s/%s; n=0; while [ ! -e %s/%s ] && [ $n -lt 1200 ]; "
                "do sleep 0.1; n=$((n+1)); done; [ -e %s/%s ] && echo %s >> %s/overlap"
                % (me, barrier, me, barrier, other, barrier, other, me, barrier))

    p = acc.run("-k", "accounts=Test,Two", "-k", "maxsyncaccounts=2",
                "-k", waiting_hook("Test", "Two"), "-k", waiting_hook("Two", "Test"), timeout=300)
    check("maxsyncaccounts = 2 syncs both", p.returncode == 0 and local_count(acc.home, "INBOX") == 0, out(p))
    try:
        with open(os.path.join(barrier, "overlap")) as f:
            overlap = sorted(f.read().split())
    except OSError:
        overlap = []
    order_log = os.path.join(root, "accounts-order")
    log = os.path.join(acc.home, "run.log")
    p = acc.run("-k", "accounts=Test,Two", "-k", "maxsyncaccounts=2", "-1", "-l", log,
                "-k", "Account_Test:presynchook=echo start-Test >> " + order_log,
                "-k", "Account_Test:postsynchook=echo end-Test >> " + order_log,
                "-k", "Account_Two:presynchook=echo start-Two >> " + order_log,
                "-k", "Account_Two:postsynchook=echo end-Two >> " + order_log)
    try:
        with open(order_log) as f:
            order = f.read().split()
    except OSError:
        order = []
    sequence = (len(order) == 4 and order[0].startswith("start-") and order[1] == "end-" + order[0][6:]
                and order[2].startswith("start-") and order[3] == "end-" + order[2][6:] and order[0] != order[2])
    check("maxsyncaccounts = 2 runs accounts in parallel, -1 in sequence",
          p.returncode == 0 and overlap == ["Test", "Two"] and sequence, (overlap, order, out(p)[-500:]))
    lines = open(log).read().splitlines() if os.path.exists(log) else []
    check("-l writes offlineimap's log format",
          any(re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO: \*\*\* Processing account Two$", l) for l in lines),
          lines[:10])


def scenario_password_prompt(server, root):
    """No password in the config: asked when the account connects (after
    its "acct" and "connecting" lines, as offlineimap 8 asks), never for
    an account that does not connect; a UI that cannot ask fails that
    account at that time with one line naming it, and the other accounts
    sync."""
    user2, pw2 = server.new_user()
    acc = Account(server, root, "prompt", tail=account_config(server, os.path.join(root, "prompt"), "Two", "2",
                                                              user2, pw2))
    os.makedirs(os.path.join(acc.home, "Mail2"))
    with open(acc.config) as f:
        text = f.read()
    text = re.sub(r"\nremotepass = .*\n", "\n", text, count=1)
    with open(acc.config, "w") as f:
        f.write(text)
    # -d ALL: the typed password must not be in the debug output either
    p = subprocess.run([MAILSYNC, "-u", "machineui", "-a", "Test", "-d", "ALL"], env=acc.env(),
                       input=acc.password + "\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    check("machineui asks for the password (getpass) and syncs with it",
          p.returncode == 0 and any(l.startswith("msg:getpass:") for l in p.stdout.splitlines()),
          (p.returncode, p.stdout[-800:], p.stderr[-300:]))
    check("the typed password is never echoed, -d ALL included", acc.password not in p.stdout + p.stderr)
    p = acc.run("-u", "basic", "-a", "Test,Two", timeout=60)
    lines = out(p).splitlines()
    said = [l for l in lines if "no password for" in l]
    check("basic cannot ask: that account fails when it connects, with one ERROR line naming it, after its "
          "Processing and Establishing connection lines",
          p.returncode == 1 and len(said) >= 1 and said[0].startswith("ERROR: ") and "(account Test)" in said[0]
          and "*** Processing account Test" in lines and lines.index("*** Processing account Test") <
          [i for i, l in enumerate(lines) if l.startswith("Establishing connection to") and "(Remote)" in l][0] <
          lines.index(said[0]), out(p)[-1200:])
    check("basic cannot ask: the other account syncs",
          "*** Finished account 'Two'" in out(p) and os.path.isdir(os.path.join(acc.home, "Mail2", "INBOX")),
          out(p)[-1200:])
    # An account that never connects is never asked: the FMD5 migration
    # reads the local Maildir only (before session 20 it asked, and
    # failed at stdin's end).
    p = subprocess.run([MAILSYNC, "-u", "machineui", "-a", "Test", "--migrate-fmd5-using-nametrans"], env=acc.env(),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    check("a run that does not connect (--migrate-fmd5-using-nametrans) does not ask for the password",
          p.returncode == 0 and not any(l.startswith("msg:getpass:") for l in p.stdout.splitlines()),
          (p.returncode, p.stdout[-600:], p.stderr[-300:]))


def scenario_refused_unattended(server, root):
    """A configured password the server refuses (doc/design.md "Asking the
    user"): never asked for since session 23 (offlineimap 8's rule; a
    machineui driver with its stdin open waited forever before,
    check-cli-refused.py). A run without a terminal (cron, a systemd
    timer: no controlling terminal, stdin open and never written) fails
    at once with the server's refusal, whatever the UI."""
    acc = Account(server, root, "refused-cron", password="Wr0ng-cr0n-pw")
    for ui, stdin in (("ttyui", "open pipe"), ("blinkenlights", "open pipe"), ("basic", "open pipe"),
                      ("machineui", "/dev/null")):
        rfd, wfd = os.pipe()
        with open(os.path.join(acc.home, "out-" + ui), "w+") as outf:
            p = subprocess.Popen([MAILSYNC, "-u", ui], env=acc.env(), start_new_session=True,
                                 stdin=rfd if stdin == "open pipe" else subprocess.DEVNULL, stdout=outf,
                                 stderr=subprocess.STDOUT)
            os.close(rfd)
            try:
                status = p.wait(timeout=90)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                status = "hung"
            os.close(wfd)
            outf.seek(0)
            text = outf.read()
        check("refused configured password, no terminal, -u %s, stdin %s: fails at once (exit 1), no prompt "
              "waited on" % (ui, stdin),
              status == 1 and "Enter password" not in text and "Wr0ng-cr0n-pw" not in text and
              re.search(r"(?i)authenticat|password", text) is not None, (status, text[-800:]))


def scenario_mapped_password(server, root):
    """IMAP<->IMAP: the local IMAP's password, missing from the config,
    is asked through the UI's prompt, and a wrong answer refused by its
    server asked again, as the remote's is (the local side's interaction
    reaches the IMAP repository it wraps; a configured one would not be
    asked for since session 23), and
    machineui says `connecting` for the local IMAP after the remote, from
    the account's thread, as offlineimap 8 does."""
    acc = Account(server, root, "mapped-prompt")
    user2, pw2 = server.new_user()
    with open(acc.config) as f:
        text = f.read()
    text = text.replace("[Repository Local]\ntype = Maildir\nlocalfolders = %s/Mail\n" % acc.home,
                        "[Repository Local]\ntype = IMAP\nremotehost = %s\nremoteport = %s\nremoteuser = %s\n"
                        "ssl = no\nstarttls = yes\nsslcacertfile = %s\n"
                        % (server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"], user2, server.env["DOVECOT_CA"]))
    with open(acc.config, "w") as f:
        f.write(text)
    p = subprocess.run([MAILSYNC, "-u", "machineui"], env=acc.env(), input="Wr0ng-l0cal-pw\n" + pw2 + "\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    lines = [l.split(":", 3) for l in p.stdout.splitlines() if l.count(":") >= 3]
    asked = [l[3] for l in lines if l[1] == "getpass"]
    check("IMAP<->IMAP: the local IMAP's password is asked (getpass), a refused answer asked again, and the "
          "sync succeeds",
          p.returncode == 0 and asked == [user2, user2], (p.returncode, asked, p.stdout[-800:], p.stderr[-300:]))
    connecting = [(l[2], l[3].rsplit("%0A", 1)[-1]) for l in lines if l[1] == "connecting"]
    check("IMAP<->IMAP: connecting for the remote, then for the local IMAP, from the account's thread",
          connecting == [("Account+sync+Test", "Remote"), ("Account+sync+Test", "Local")], connecting)
    check("IMAP<->IMAP: the typed passwords are never echoed",
          pw2 not in p.stdout + p.stderr and "Wr0ng-l0cal-pw" not in p.stdout + p.stderr)


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    if not os.path.exists(MAILSYNC):
        print("1..0 # SKIP %s is not built" % MAILSYNC)
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-cli-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    only = sys.argv[1:]
    try:
        server = Server(root)
        for name, fn in [("basic", scenario_basic), ("bad_input", scenario_bad_input),
                         ("like_offlineimap", scenario_like_offlineimap),
                         ("overrides", scenario_overrides), ("filter_includes", scenario_filter_includes),
                         ("dry_run", scenario_dry_run),
                         ("info_delete", scenario_info_delete), ("info_mapped", scenario_info_mapped),
                         ("lock", scenario_lock),
                         ("daemon", scenario_daemon), ("validity", scenario_validity),
                         ("mbnames", scenario_mbnames), ("mbnames_lambdas", scenario_mbnames_lambdas),
                         ("debug_profile", scenario_debug_profile),
                         ("interrupt", scenario_interrupt), ("machineui", scenario_machineui),
                         ("migrate_fmd5", scenario_migrate_fmd5), ("idle", scenario_idle),
                         ("accounts", scenario_accounts), ("password_prompt", scenario_password_prompt),
                         ("mapped_password", scenario_mapped_password),
                         ("refused_unattended", scenario_refused_unattended)]:
            if only and name not in only:
                continue
            try:
                fn(server, root)
            except Exception as e:  # a crash of one scenario must not hide the others
                check("scenario %s ran to its end" % name, False, repr(e))
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
