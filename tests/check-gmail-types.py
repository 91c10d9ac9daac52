#!/usr/bin/env python3
"""type = Gmail and type = GmailMaildir without synclabels, side by side
with Debian's offlineimap3 on the harness Dovecot (issue 11 item 1): a
Gmail-typed config whose remotehost, port and ssl are overridden (as users
do to point it at another server) runs as offlineimap's IMAP -> Maildir
sync, with the type names offlineimap prints, and writes the same messages
and the same status rows (id, flags, mtime 0, labels "") as offlineimap.

offlineimap runs over implicit TLS to "localhost" (its 8.0 STARTTLS hangs
now and then on a loaded machine).  Skipped (1..0 # SKIP) without Dovecot or
root; the offlineimap half is SKIPped when it is not installed and in the
sanitizer build (mailsync_tap.comparison_offlineimap)."""

import collections
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import mailsync_tap
from mailsync_tap import MAILSYNC

TAP = mailsync_tap.Tap(1200)
check = TAP.check
# Every offlineimap run here is a comparison: -Werror build only.
OFFLINEIMAP, NO_OFFLINEIMAP = mailsync_tap.comparison_offlineimap()
TOOLS = ("offlineimap", "mailsync")


def message(tag):
    return ("From: test@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@gmail-types>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n"
            "Body of %s\r\n" % (tag, tag, tag)).encode()


class Pair:
    """One server account, one config, two HOMEs: offlineimap's and mailsync's."""

    def __init__(self, server, root, name, user, password, ui="basic", extra=""):
        self.server = server
        self.user, self.password = user, password
        self.dir = os.path.join(root, name)
        self.homes = {tool: os.path.join(self.dir, tool) for tool in TOOLS}
        self.ui = ui
        for tool, home in self.homes.items():
            os.makedirs(home)
            with open(os.path.join(home, ".offlineimaprc"), "w") as f:
                f.write("[general]\naccounts = Test\nmetadata = %(home)s/meta\nui = %(ui)s\n\n"
                        "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n\n"
                        "[Repository Local]\ntype = GmailMaildir\nlocalfolders = %(home)s/Mail\n\n"
                        "[Repository Remote]\ntype = Gmail\nremotehost = localhost\nremoteport = %(port)s\n"
                        "remoteuser = %(user)s\nremotepass = %(pw)s\nssl = yes\nsslcacertfile = %(ca)s\n"
                        "trashfolder = [Gmail]/Bin\nspamfolder = [Gmail]/Junk\n%(extra)s\n"
                        % {"home": home, "ui": ui, "port": server.env["DOVECOT_IMAPS_PORT"], "user": user,
                           "pw": password, "ca": server.env["DOVECOT_CA"], "extra": extra})

    def env(self, tool):
        env = dict(os.environ, HOME=self.homes[tool])
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("G_MESSAGES_DEBUG", None)
        return env

    def run(self, tool):
        """The tool's completed process; returncode None: it hung.
        offlineimap is retried when it died while connecting (its 8.0 does
        on a loaded machine: nothing changed yet)."""
        if tool == "mailsync":
            return subprocess.run([MAILSYNC], env=self.env(tool), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, timeout=120)
        for attempt in range(3):
            try:
                p = subprocess.run([OFFLINEIMAP, "-u", self.ui], env=self.env(tool), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, timeout=120)
            except subprocess.TimeoutExpired as e:
                out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
                p = subprocess.CompletedProcess(e.cmd, None, out + "[offlineimap hung]", "")
            if p.returncode is not None and (p.returncode == 0 or "Syncing " in p.stdout + p.stderr):
                return p
            sys.stderr.write("offlineimap failed while connecting (attempt %d, exit %s): %s\n"
                             % (attempt + 1, p.returncode, (p.stdout + p.stderr)[-400:]))
        return p

    def messages(self, tool):
        """{folder: sorted (Message-ID, Maildir flags)} of that tool's Maildir."""
        root = os.path.join(self.homes[tool], "Mail")
        found = collections.defaultdict(list)
        for path in glob.glob(os.path.join(root, "**", "cur", "*"), recursive=True) + \
                glob.glob(os.path.join(root, "**", "new", "*"), recursive=True):
            with open(path, "rb") as f:
                m = re.search(rb"(?im)^message-id:\s*<([^>]*)>", f.read(16384))
            folder = os.path.relpath(os.path.dirname(os.path.dirname(path)), root)
            flags = path.rsplit(":2,", 1)[1] if ":2," in path else ""
            found[folder].append((m.group(1).decode() if m else path, flags))
        return {k: sorted(v) for k, v in found.items()}

    def status(self, tool):
        """{folder: sorted status rows (id, flags, mtime, labels)} as the tool left them."""
        rows = {}
        for path in glob.glob(os.path.join(self.homes[tool], "meta", "Account-Test", "LocalStatus-sqlite", "*")):
            # SQLite's -wal/-shm beside a database: reading the database
            # below may checkpoint and delete them before the loop gets there.
            if path.endswith(("-wal", "-shm", "-journal")):
                continue
            with open(path, "rb") as f:
                if not f.read(16).startswith(b"SQLite format 3"):
                    continue  # a lock or journal beside the databases
            with sqlite3.connect(path) as db:
                rows[os.path.basename(path)] = sorted(db.execute("SELECT id, flags, mtime, labels FROM status"))
        return rows


def syncing_lines(p):
    return sorted(set(l.split("] ", 1)[-1] for l in (p.stdout + p.stderr).splitlines() if "Syncing " in l))


def compare(pair, label):
    """Runs both tools once and compares what they did."""
    o = None
    if OFFLINEIMAP is None:
        TAP.skip("%s: offlineimap" % label, NO_OFFLINEIMAP)
    else:
        o = pair.run("offlineimap")
        if o.returncode is None:
            check("%s: offlineimap # SKIP offlineimap hung: %r" % (label, o.stdout[-200:]), True)
            o = None
    p = pair.run("mailsync")
    mine = pair.messages("mailsync")
    check("%s: mailsync exits 0" % label, p.returncode == 0, p.stdout[-600:] + p.stderr[-600:])
    if o is None:
        return p, mine
    theirs = pair.messages("offlineimap")
    check("%s: the same exit status as offlineimap (%s)" % (label, o.returncode), p.returncode == o.returncode,
          o.stdout[-600:] + o.stderr[-600:])
    check("%s: the same messages and flags in the same folders" % label, mine == theirs,
          "offlineimap %s\nmailsync %s" % (theirs, mine))
    check("%s: the same status rows" % label, pair.status("mailsync") == pair.status("offlineimap"),
          "offlineimap %s\nmailsync %s" % (pair.status("offlineimap"), pair.status("mailsync")))
    check("%s: the same 'Syncing' lines" % label, syncing_lines(p) == syncing_lines(o),
          "offlineimap %s\nmailsync %s" % (syncing_lines(o), syncing_lines(p)))
    return p, mine


def change_locally(pair, tag, flags):
    """Renames message @tag's file in both HOMEs to carry @flags (or removes it for None)."""
    for home in pair.homes.values():
        for path in glob.glob(os.path.join(home, "Mail", "*", "*", "*")):
            with open(path, "rb") as f:
                if ("<%s@gmail-types>" % tag).encode() not in f.read(4096):
                    continue
            if flags is None:
                os.unlink(path)
            else:
                folder = os.path.dirname(os.path.dirname(path))
                os.rename(path, os.path.join(folder, "cur", os.path.basename(path).split(":2,")[0] + ":2," + flags))


def scenario_types(server, root):
    user, password = "gmt1", "pw-gmt1"
    pair = Pair(server, root, "types", user, password)
    conn = server.imap(user, password)
    conn.create("Archive")
    for folder, tag, flags in (("INBOX", "one", None), ("INBOX", "two", "(\\Seen)"),
                               ("INBOX", "three", "(\\Flagged \\Seen)"), ("Archive", "old", "(\\Seen)")):
        typ, data = conn.append(folder, flags, None, message(tag))
        assert typ == "OK", data
    conn.logout()

    p, mine = compare(pair, "Gmail -> GmailMaildir, first run")
    check("Gmail -> GmailMaildir: every message synced",
          sorted(m for m, _ in mine.get("INBOX", [])) == ["one@gmail-types", "three@gmail-types", "two@gmail-types"]
          and [m for m, _ in mine.get("Archive", [])] == ["old@gmail-types"], mine)
    check("Gmail -> GmailMaildir: offlineimap's type names in the folder lines",
          "Syncing INBOX: Gmail -> GmailMaildir" in p.stdout + p.stderr, p.stdout[-800:])
    check("trashfolder/spamfolder accepted without a warning", "WARNING" not in p.stdout + p.stderr,
          p.stdout[-800:] + p.stderr[-800:])

    # a local flag change and a local deletion go up; a server change comes down
    change_locally(pair, "one", "FS")
    change_locally(pair, "two", None)
    conn = server.imap(user, password)
    conn.select("Archive")
    conn.uid("STORE", "1", "+FLAGS", "(\\Answered)")
    conn.logout()
    compare(pair, "Gmail -> GmailMaildir, changes both ways")
    conn = server.imap(user, password)
    conn.select("INBOX", readonly=True)
    typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
    conn.logout()
    check("changes reached the server: 'one' flagged, 'two' gone",
          len([d for d in data if d]) == 2 and b"\\Flagged" in b" ".join(d for d in data if d), data)
    compare(pair, "Gmail -> GmailMaildir, a run with nothing to do")

    # offlineimap's machineui names the types the same way
    def folder_lines(q):
        return sorted(l for l in (q.stdout + q.stderr).splitlines()
                      if re.match(r"msg:(syncfolders|syncingfolder|loadmessagelist|messagelistloaded):", l))
    m = Pair(server, root, "machineui", "gmt2", "pw-gmt2", ui="machineui")
    conn = server.imap("gmt2", "pw-gmt2")
    conn.append("INBOX", None, None, message("mui"))
    conn.logout()
    if OFFLINEIMAP is None:
        p = m.run("mailsync")
        check("machineui: mailsync exits 0 with its folder and message-list lines",
              p.returncode == 0 and folder_lines(p), p.stdout[-600:] + p.stderr[-400:])
        TAP.skip("machineui: the same syncfolders/syncingfolder/message-list lines", NO_OFFLINEIMAP)
    else:
        o, p = m.run("offlineimap"), m.run("mailsync")
        if o.returncode is None:
            check("machineui # SKIP offlineimap hung", True)
        else:
            check("machineui: the same syncfolders/syncingfolder/message-list lines",
                  o.returncode == p.returncode == 0 and folder_lines(o) == folder_lines(p) and folder_lines(p),
                  "offlineimap %s\nmailsync %s\n%s" % (folder_lines(o), folder_lines(p), p.stderr[-400:]))


def main():
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP needs root and dovecot-imapd")
        return 0
    if not os.path.exists(MAILSYNC):
        print("1..0 # SKIP %s is not built" % MAILSYNC)
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-gmail-types-", dir="/tmp")
    os.chmod(root, 0o755)  # the harness needs it traversable by the mail users
    server = None
    try:
        server = mailsync_tap.Dovecot(os.path.join(root, "dovecot"), [("gmt1", "pw-gmt1"), ("gmt2", "pw-gmt2")])
        if not server.env.get("DOVECOT_IMAPS_PORT"):
            print("1..0 # SKIP the harness has no IMAPS port")
            return 0
        try:
            scenario_types(server, root)
        except Exception as e:  # report, do not hide the checks made so far
            check("scenario types ran to its end", False, repr(e))
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
