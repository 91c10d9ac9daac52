#!/usr/bin/env python3
"""Non-ASCII IMAP folder names (offlineimap's utf8foldernames) against a
private Dovecot: by default the folder names are the IMAP modified UTF-7
names, as offlineimap's (Maildir folder `Entw&APw-rfe`, status files), so
an offlineimap setup is taken over without a download or a new server
folder; utf8foldernames = yes names them in UTF-8. The driver is
tests/check-config-driver, --delete-folder runs the mailsync command.
Skipped (1..0 # SKIP) without Dovecot."""

import imaplib
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile

import mailsync_tap

HERE = os.path.dirname(os.path.abspath(__file__))
BUILDDIR = os.environ.get("TEST_BUILDDIR", HERE)
HARNESS = mailsync_tap.HARNESS
DRIVER = os.path.join(BUILDDIR, "check-config-driver")
TOP_BUILDDIR = os.environ.get("top_builddir", os.path.join(HERE, ".."))
MAILSYNC = os.path.join(TOP_BUILDDIR, "frontends", "mailsync", "mailsync")
# offlineimap as a set-up (the takeover's first run) runs in both builds;
# as a comparison, or on what mailsync left, only in the -Werror build
# (mailsync_tap.comparison_offlineimap).
OFFLINEIMAP = shutil.which("offlineimap")
COMPARISON_OFFLINEIMAP, NO_COMPARISON = mailsync_tap.comparison_offlineimap()
WIRE = "Entw&APw-rfe"
UTF8 = "Entw\u00fcrfe"

TAP = mailsync_tap.Tap(800)
check = TAP.check


class Server(mailsync_tap.DovecotUsers):
    """The suite's Dovecot (mailsync_tap's: stopped when the suite ends,
    by a signal too) with 8 users."""

    def __init__(self, root):
        super().__init__(root, "u7n", 8)

    def new_user(self):
        """A user with 2 messages in INBOX and 3 in the folder Entwürfe
        (doveadm takes the UTF-8 name; IMAP lists Entw&APw-rfe)."""
        user, password = super().new_user()
        for folder, n in (("INBOX", 2), (UTF8, 3)):
            subprocess.run([HARNESS, "fill", self.dir, user, folder, str(n), "--sizes", "small", "--seed", "7"],
                           check=True, stdout=subprocess.DEVNULL, timeout=60)
        return user, password

    def folders(self, user, pw):
        ctx = ssl.create_default_context(cafile=self.env["DOVECOT_CA"])
        conn = imaplib.IMAP4(self.env["DOVECOT_HOST"], int(self.env["DOVECOT_PORT"]))
        conn.starttls(ctx)
        conn.login(user, pw)
        typ, data = conn.list()
        conn.logout()
        names = []
        for line in data:
            name = re.match(rb'\((.*?)\) "(.)" (.*)', line).group(3).decode()
            names.append(name[1:-1] if name.startswith('"') else name)
        return sorted(names)


def write_config(work, user, pw, account_extra=""):
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "offlineimaprc")
    # Implicit TLS on localhost where the harness has it (offlineimap checks
    # the certificate's DNS name): offlineimap 8.0's STARTTLS hangs or fails
    # now and then on a loaded machine.
    host, port, implicit = SERVER.env["DOVECOT_HOST"], SERVER.env["DOVECOT_PORT"], "no"
    if SERVER.env.get("DOVECOT_IMAPS_PORT"):
        host, port, implicit = "localhost", SERVER.env["DOVECOT_IMAPS_PORT"], "yes"
    with open(path, "w") as f:
        f.write("[general]\naccounts = Test\nmetadata = {work}/meta\n\n"
                "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n{account}\n"
                "[Repository Local]\ntype = Maildir\nlocalfolders = {work}/Mail\n\n"
                "[Repository Remote]\ntype = IMAP\nremotehost = {host}\nremoteport = {port}\nremoteuser = {user}\n"
                "remotepass = {pw}\nssl = {ssl}\nsslcacertfile = {ca}\n"
                .format(work=work, host=host, port=port, ssl=implicit, user=user,
                        pw=pw, ca=SERVER.env["DOVECOT_CA"], account=account_extra))
    return path


def run(path):
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run([DRIVER, path], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=300)


def offlineimap(work, path):
    env = dict(os.environ, HOME=work)
    # offlineimap 8.0 sometimes loses its own STARTTLS handshake on a
    # loaded machine: retry that, it is not what is tested here
    for attempt in range(3):
        try:
            o = subprocess.run([OFFLINEIMAP, "-c", path, "-u", "basic", "-o"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            return None
        if "Failed to start TLS" not in o.stdout:
            break
    return o


def local_folders(work):
    d = os.path.join(work, "Mail")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def count_local(work, folder):
    d = os.path.join(work, "Mail", folder)
    if not os.path.isdir(d):
        return -1
    return sum(len(os.listdir(os.path.join(d, sub))) for sub in ("cur", "new"))


def copies(p):
    return [l for l in p.stdout.splitlines() if l.startswith("message-copied")]


def created(p):
    return [l for l in p.stdout.splitlines() if l.startswith("folder-created")]


def scenario_default(server, root):
    """(a) utf8foldernames unset: the Maildir folder is the mUTF-7 name,
    exactly offlineimap's; a second run copies nothing; nothing is created
    on the server."""
    user, pw = server.new_user()
    work = os.path.join(root, "default")
    path = write_config(work, user, pw)
    p = run(path)
    check("default: the sync succeeds", p.returncode == 0, p.stdout[-500:] + p.stderr)
    check("default: the local folder is named %s" % WIRE, local_folders(work) == sorted(["INBOX", WIRE]),
          repr(local_folders(work)))
    check("default: its 3 messages are downloaded once", count_local(work, WIRE) == 3 and len(copies(p)) == 5,
          p.stdout[-500:])
    check("default: the status file is named by the mUTF-7 name",
          os.path.exists(os.path.join(work, "meta", "Account-Test", "LocalStatus-sqlite", WIRE)),
          repr(os.listdir(os.path.join(work, "meta", "Account-Test", "LocalStatus-sqlite"))))
    p = run(path)
    check("default: a second run copies and creates nothing", p.returncode == 0 and not copies(p) and not created(p),
          p.stdout[-500:] + p.stderr)
    check("default: no folder appears on the server", server.folders(user, pw) == sorted(["INBOX", WIRE]),
          repr(server.folders(user, pw)))
    if COMPARISON_OFFLINEIMAP is None:
        TAP.skip("offlineimap names the folder alike", NO_COMPARISON)
    else:
        # the same mailbox into a second Maildir: the directory names agree
        other = os.path.join(root, "default-offlineimap")
        o = offlineimap(other, write_config(other, user, pw))
        check("offlineimap makes the same directory names as mailsync",
              o is not None and o.returncode == 0 and local_folders(other) == local_folders(work),
              (o.stdout[-800:] if o else "hung") + repr(local_folders(other)))
    # --delete-folder NAME takes NAME as the IMAP name as it is (reference §1)
    d = subprocess.run([MAILSYNC, "-c", path, "-a", "Test", "--delete-folder", WIRE], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    check("--delete-folder %s deletes that server folder" % WIRE,
          d.returncode == 0 and server.folders(user, pw) == ["INBOX"], d.stdout + repr(server.folders(user, pw)))


def scenario_takeover(server, root):
    """(b) offlineimap syncs first, then mailsync with the same config and
    metadata: nothing downloaded again, nothing created anywhere."""
    if OFFLINEIMAP is None:
        TAP.skip("takeover of an offlineimap setup", "offlineimap is not installed")
        return
    user, pw = server.new_user()
    work = os.path.join(root, "takeover")
    path = write_config(work, user, pw)
    o = offlineimap(work, path)
    if o is None:
        TAP.skip("takeover of an offlineimap setup", "offlineimap hung")
        return
    check("offlineimap syncs first into %s" % WIRE, o.returncode == 0 and count_local(work, WIRE) == 3,
          o.stdout[-800:])
    p = run(path)
    check("mailsync takes over: exit 0, nothing downloaded again, nothing created",
          p.returncode == 0 and not copies(p) and not created(p), p.stdout[-800:] + p.stderr)
    check("takeover: no new local folder", local_folders(work) == sorted(["INBOX", WIRE]), repr(local_folders(work)))
    check("takeover: no new server folder", server.folders(user, pw) == sorted(["INBOX", WIRE]),
          repr(server.folders(user, pw)))
    if COMPARISON_OFFLINEIMAP is None:
        TAP.skip("offlineimap after mailsync copies nothing", NO_COMPARISON)
        return
    o = offlineimap(work, path)
    check("offlineimap after mailsync copies nothing",
          o is not None and o.returncode == 0 and "Copy message" not in o.stdout, o.stdout[-800:] if o else "hung")


def scenario_utf8(server, root):
    """(c) utf8foldernames = yes: the folder is named in UTF-8."""
    user, pw = server.new_user()
    work = os.path.join(root, "utf8")
    path = write_config(work, user, pw, "utf8foldernames = yes\n")
    p = run(path)
    check("utf8foldernames = yes: the local folder is named %s" % UTF8,
          p.returncode == 0 and local_folders(work) == sorted(["INBOX", UTF8]) and count_local(work, UTF8) == 3,
          repr(local_folders(work)) + p.stderr)
    p = run(path)
    check("utf8foldernames = yes: a second run copies and creates nothing",
          p.returncode == 0 and not copies(p) and not created(p), p.stdout[-500:] + p.stderr)
    check("utf8foldernames = yes: no folder appears on the server",
          server.folders(user, pw) == sorted(["INBOX", WIRE]), repr(server.folders(user, pw)))


def scenario_local_utf8(server, root):
    """Default names, a local folder named in UTF-8 (made by a mail
    client): not created on the server under a name that would come back
    as another folder, and the error says so."""
    user, pw = server.new_user()
    work = os.path.join(root, "local-utf8")
    path = write_config(work, user, pw)
    p = run(path)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(work, "Mail", "Gel\u00f6scht", sub))
    p = run(path)
    check("a local UTF-8 folder name is refused with a clear error",
          p.returncode != 0 and "utf8foldernames" in p.stdout + p.stderr, p.stdout[-500:] + p.stderr)
    check("and nothing is created on the server", server.folders(user, pw) == sorted(["INBOX", WIRE]),
          repr(server.folders(user, pw)))
    check("and no second local folder appears", local_folders(work) == sorted(["Gel\u00f6scht", "INBOX", WIRE]),
          repr(local_folders(work)))


SERVER = None


def main():
    global SERVER
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP needs root and dovecot-imapd")
        return 0
    if not os.path.exists(DRIVER) or not os.path.exists(MAILSYNC):
        print("Bail out! %s or %s not built" % (DRIVER, MAILSYNC))
        return 99
    root = tempfile.mkdtemp(prefix="mailsync-utf7-names.")
    os.chmod(root, 0o755)  # the harness needs it traversable by the mail users
    try:
        SERVER = Server(root)
        try:
            for scenario in (scenario_default, scenario_takeover, scenario_utf8, scenario_local_utf8):
                scenario(SERVER, root)
        finally:
            SERVER.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
