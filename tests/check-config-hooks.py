#!/usr/bin/env python3
"""offlineimap's Python hooks of an IMAP repository, from a configuration
file, against a private Dovecot (tests/harness/dovecot-harness):
newmail_hook runs after a sync that downloaded unread mail into INBOX, not
after a sync with nothing new, not in a dry run; an exception is an error
naming the option's FILE:LINE.  The driver is tests/check-config-driver.
Skipped (1..0 # SKIP) without Dovecot or without Python in the library."""

import os
import shutil
import subprocess
import sys
import tempfile

import mailsync_tap

HERE = os.path.dirname(os.path.abspath(__file__))
BUILDDIR = os.environ.get("TEST_BUILDDIR", HERE)
HARNESS = mailsync_tap.HARNESS
DRIVER = os.path.join(BUILDDIR, "check-config-driver")

TAP = mailsync_tap.Tap(100)
check = TAP.check


class Server(mailsync_tap.Dovecot):
    def __init__(self, root):
        self.users = 0
        super().__init__(os.path.join(root, "dovecot"), [("hook%d" % i, "pw-hook%d" % i) for i in range(1, 6)])

    def new_user(self):
        self.users += 1
        return "hook%d" % self.users, "pw-hook%d" % self.users

    def fill(self, user, folder, count, flags="none"):
        subprocess.run([HARNESS, "fill", self.dir, user, folder, str(count), "--sizes", "small",
                        "--seed", "5", "--flags", flags],
                       check=True, stdout=subprocess.DEVNULL, timeout=60)


def write_config(server, work, user, pw, remote_extra, general_extra=""):
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "offlineimaprc")
    with open(path, "w") as f:
        f.write("[general]\naccounts = Test\nmetadata = {work}/meta\npythonfile = {work}/helpers.py\n{general}\n"
                "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n\n"
                "[Repository Local]\ntype = Maildir\nlocalfolders = {work}/Mail\n\n"
                "[Repository Remote]\ntype = IMAP\nremotehost = {host}\nremoteport = {port}\n"
                "sslcacertfile = {ca}\nssl = no\nremoteuser = {user}\nremotepass = {pw}\n{remote}"
                .format(work=work, host=server.env["DOVECOT_HOST"], port=server.env["DOVECOT_PORT"],
                        ca=server.env["DOVECOT_CA"], user=user, pw=pw, remote=remote_extra,
                        general=general_extra))
    return path


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


def line_of(path, key):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.split("=")[0].strip() == key:
                return "%s:%d" % (path, n)
    raise KeyError(key)


def run(path):
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run([DRIVER, path], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=300)


def count_local(work, folder="INBOX"):
    d = os.path.join(work, "Mail", folder)
    if not os.path.isdir(d):
        return -1
    return sum(len(os.listdir(os.path.join(d, sub))) for sub in ("cur", "new"))


def events(p, kind):
    return [l for l in p.stdout.splitlines() if l.startswith(kind + " ")]


def marks(work):
    path = os.path.join(work, "marks")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return len(f.read().splitlines())


def scenario_newmail_hook(server, root):
    user, pw = server.new_user()
    server.fill(user, "INBOX", 2)
    server.fill(user, "Archive", 1)
    work = os.path.join(root, "newmail")
    os.makedirs(work, exist_ok=True)
    write_file(os.path.join(work, "helpers.py"),
               "def newmail():\n    open(%r, 'a').write('new mail\\n')\n" % os.path.join(work, "marks"))
    path = write_config(server, work, user, pw, "newmail_hook = newmail\n")
    p = run(path)
    if p.returncode != 0 and "need a mailsync built with Python" in p.stderr:
        return False
    check("newmail_hook: sync succeeds", p.returncode == 0 and count_local(work) == 2, p.stdout[-500:] + p.stderr)
    check("newmail_hook: called once after unread mail came into INBOX", marks(work) == 1, marks(work))
    p = run(path)
    check("newmail_hook: not called after a sync with nothing new",
          p.returncode == 0 and not events(p, "message-copied") and marks(work) == 1, (marks(work), p.stdout[-500:]))
    server.fill(user, "Archive", 1)
    p = run(path)
    check("newmail_hook: not called for new mail in another folder",
          p.returncode == 0 and len(events(p, "message-copied")) == 1 and marks(work) == 1,
          (marks(work), p.stdout[-500:]))
    server.fill(user, "INBOX", 1, flags="seen")
    p = run(path)
    check("newmail_hook: not called for new mail already seen",
          p.returncode == 0 and len(events(p, "message-copied")) == 1 and marks(work) == 1,
          (marks(work), p.stdout[-500:]))
    server.fill(user, "INBOX", 1)
    dry = write_config(server, work, user, pw, "newmail_hook = newmail\n", "dry-run = yes\n")
    p = run(dry)
    check("newmail_hook: not called in a dry run", p.returncode == 0 and marks(work) == 1 and count_local(work) == 3,
          (marks(work), count_local(work), p.stdout[-500:] + p.stderr))
    path = write_config(server, work, user, pw, "newmail_hook = newmail\n")
    p = run(path)
    check("newmail_hook: called again for the next unread message", p.returncode == 0 and marks(work) == 2,
          (marks(work), p.stdout[-500:]))

    # an exception is an error event naming FILE:LINE of the option
    server.fill(user, "INBOX", 1)
    write_file(os.path.join(work, "helpers.py"), "def newmail():\n    raise RuntimeError('hook broke')\n")
    p = run(path)
    errors = [l for l in events(p, "error") if "hook broke" in l]
    check("newmail_hook: an exception is an error naming the option's FILE:LINE",
          len(errors) == 1 and line_of(path, "newmail_hook") in errors[0] and "newmail_hook" in errors[0],
          p.stdout[-800:] + p.stderr)
    check("newmail_hook: the mail is downloaded all the same", count_local(work) == 5, count_local(work))
    return True


def scenario_copy_ignore_eval(server, root):
    user, pw = server.new_user()
    server.fill(user, "INBOX", 2)
    server.fill(user, "Archive", 1)
    work = os.path.join(root, "ignore")
    os.makedirs(work, exist_ok=True)
    write_file(os.path.join(work, "helpers.py"), "")
    path = write_config(server, work, user, pw, "copy_ignore_eval = lambda f: [1] if f == 'INBOX' else None\n")
    p = run(path)
    copied = events(p, "message-copied")
    check("copy_ignore_eval: sync succeeds", p.returncode == 0, p.stdout[-500:] + p.stderr)
    check("copy_ignore_eval: the ignored UID is not copied, the other one is",
          count_local(work) == 1 and [l for l in copied if "folder=INBOX " in l and "uid=2 " in l] and
          not [l for l in copied if "folder=INBOX " in l and "uid=1 " in l], p.stdout[-800:])
    check("copy_ignore_eval: other folders are copied whole", count_local(work, "Archive") == 1,
          count_local(work, "Archive"))
    ignored = events(p, "message-ignored")
    check("copy_ignore_eval: one message-ignored event for UID 1 of INBOX",
          len(ignored) == 1 and "folder=INBOX uid=1 " in ignored[0], ignored)
    p = run(path)
    check("copy_ignore_eval: the next run neither copies nor deletes anything",
          p.returncode == 0 and not events(p, "message-copied") and not events(p, "messages-deleted") and
          count_local(work) == 1, p.stdout[-800:] + p.stderr)
    check("copy_ignore_eval: the ignored message stays on the server",
          len(events(p, "message-ignored")) == 1, p.stdout[-800:])
    # without the option the message comes down, nothing is deleted
    path = write_config(server, work, user, pw, "")
    p = run(path)
    check("copy_ignore_eval removed: the message is copied then",
          p.returncode == 0 and len(events(p, "message-copied")) == 1 and count_local(work) == 2 and
          not events(p, "messages-deleted"), p.stdout[-800:] + p.stderr)

    # an exception fails that folder (nothing guessed), naming FILE:LINE
    user, pw = server.new_user()
    server.fill(user, "INBOX", 2)
    server.fill(user, "Archive", 1)
    work = os.path.join(root, "ignore-raises")
    os.makedirs(work, exist_ok=True)
    write_file(os.path.join(work, "helpers.py"),
               "def ignore(f):\n    if f == 'INBOX':\n        raise KeyError('no list')\n    return None\n")
    path = write_config(server, work, user, pw, "copy_ignore_eval = ignore\n")
    p = run(path)
    errors = [l for l in events(p, "error") if "no list" in l]
    check("copy_ignore_eval: an exception is an error naming the option's FILE:LINE",
          errors and "folder=INBOX " in errors[0] and line_of(path, "copy_ignore_eval") in errors[0],
          p.stdout[-800:] + p.stderr)
    check("copy_ignore_eval: an exception copies nothing from that folder, the others sync",
          count_local(work) <= 0 and count_local(work, "Archive") == 1, (count_local(work), p.stdout[-800:]))


def scenario_hook_changes_maildir(server, root):
    """The unchanged-folder record (issue 13, doc/design.md) is written at
    the end of the account's run, after newmail_hook: a hook that renames
    a message file of INBOX (a flag change) must keep INBOX from being
    recorded as unchanged, so the next sync lists it and sends the flag."""
    user, pw = server.new_user()
    server.fill(user, "INBOX", 3)
    work = os.path.join(root, "hook-changes")
    os.makedirs(work, exist_ok=True)
    inbox = os.path.join(work, "Mail", "INBOX")
    write_file(os.path.join(work, "helpers.py"),
               "import os\n"
               "def newmail():\n"
               "    d = %r\n"
               "    sub, name = sorted((s, n) for s in ('cur', 'new') for n in os.listdir(os.path.join(d, s))"
               " if ',U=' in n)[0]\n"
               "    base = name.split(':2,')[0]\n"
               "    os.rename(os.path.join(d, sub, name), os.path.join(d, 'cur', base + ':2,F'))\n" % inbox)
    path = write_config(server, work, user, pw, "newmail_hook = newmail\n")
    record = os.path.join(work, "meta", "Account-Test", "LocalStatus-sqlite", "INBOX.mailsync-unchanged")
    p = run(path)
    flagged = [n for n in os.listdir(os.path.join(inbox, "cur")) if n.endswith(":2,F")]
    check("hook changes Maildir: sync succeeds and the hook renamed one file",
          p.returncode == 0 and count_local(work) == 3 and len(flagged) == 1,
          (os.listdir(os.path.join(inbox, "cur")), p.stdout[-500:] + p.stderr))
    check("hook changes Maildir: INBOX is not recorded as unchanged", not os.path.exists(record))
    p = run(path)
    conn = server.imap(user, pw)
    conn.select("INBOX", readonly=True)
    typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
    conn.logout()
    n_flagged = sum(1 for d in data if isinstance(d, bytes) and b"\\Flagged" in d)
    check("hook changes Maildir: the next sync sends the hook's flag to the server",
          p.returncode == 0 and n_flagged == 1, (data, p.stdout[-500:] + p.stderr))
    p = run(path)
    check("hook changes Maildir: a sync that changes nothing records INBOX (the check above can fail)",
          p.returncode == 0 and os.path.exists(record), p.stdout[-500:] + p.stderr)


def main():
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP needs root and dovecot-imapd")
        return 0
    if not os.path.exists(DRIVER):
        print("Bail out! %s not built" % DRIVER)
        return 99
    root = tempfile.mkdtemp(prefix="mailsync-config-hooks.")
    os.chmod(root, 0o755)
    try:
        server = Server(root)
        try:
            if not scenario_newmail_hook(server, root):
                print("1..0 # SKIP mailsync built without Python")
                return 0
            scenario_copy_ignore_eval(server, root)
            scenario_hook_changes_maildir(server, root)
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
