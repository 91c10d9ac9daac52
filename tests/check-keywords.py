#!/usr/bin/env python3
"""Keywords both ways (issue 10 item 3) against the harness Dovecot, with
the mailsync command and an offlineimap config: a keyword set on the
server gets a letter in the local file name (customflag_a for $Label1,
dovecot-keywords for the rest), a letter added locally reaches the
server, removals go both ways, and Debian's offlineimap3 reads the status
afterwards without an error. Exit 77 (skip) without Dovecot."""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import mailsync_tap

TAP = mailsync_tap.Tap(200)


def check(ok, label, detail="", todo=None):
    TAP.check(label, ok, detail, todo=todo)


def message(tag):
    return ("From: test@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@test>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nBody of %s\r\n"
            % (tag, tag, tag)).encode()


class Account:
    def __init__(self, server, root, user, password):
        self.server, self.user, self.password = server, user, password
        self.home = os.path.join(root, user)
        self.mail = os.path.join(self.home, "Mail")
        os.makedirs(self.mail)
        with open(os.path.join(self.home, ".offlineimaprc"), "w") as f:
            f.write("[general]\naccounts = Test\nmetadata = %(home)s/meta\nui = basic\n\n"
                    "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n\n"
                    "[Repository Local]\ntype = Maildir\nlocalfolders = %(home)s/Mail\n"
                    "customflag_a = $Label1\n\n"
                    "[Repository Remote]\ntype = IMAP\nremotehost = %(host)s\nremoteport = %(port)s\n"
                    "remoteuser = %(user)s\nremotepass = %(pw)s\nssl = no\nstarttls = yes\n"
                    "sslcacertfile = %(ca)s\n"
                    % {"home": self.home, "host": server.env["DOVECOT_HOST"],
                       "port": server.env["DOVECOT_PORT"], "user": user, "pw": password,
                       "ca": server.env["DOVECOT_CA"]})

    def imap(self):
        conn = self.server.imap(self.user, self.password)
        conn.select("INBOX")
        return conn

    def run(self, command=None):
        env = dict(os.environ, HOME=self.home)
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("G_MESSAGES_DEBUG", None)
        p = subprocess.run(command or [mailsync_tap.MAILSYNC, "-o"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
        p.out = (p.stdout or "") + (p.stderr or "")
        return p

    def files(self):
        """subject tag -> (path, letters after :2,)"""
        out = {}
        for sub in ("cur", "new"):
            d = os.path.join(self.mail, "INBOX", sub)
            for name in os.listdir(d):
                with open(os.path.join(d, name), "rb") as f:
                    tag = re.search(rb"Subject: (\S+)", f.read()).group(1).decode()
                out[tag] = (os.path.join(d, name), name.split(":2,", 1)[1])
        return out

    def server_keywords(self):
        """subject tag -> set of keywords (non-system flags) on the server"""
        conn = self.imap()
        typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        out = {}
        for part in data:
            if isinstance(part, tuple):
                flags = re.search(rb"FLAGS \((.*?)\)", part[0]).group(1).decode().split()
                tag = re.search(rb"Subject: (\S+)", part[1]).group(1).decode()
                out[tag] = {f for f in flags if not f.startswith("\\")}
        conn.logout()
        return out

    def keywords_file(self):
        path = os.path.join(self.mail, "INBOX", "dovecot-keywords")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    def status_rows(self):
        db = sqlite3.connect(os.path.join(self.home, "meta", "Account-Test", "LocalStatus-sqlite", "INBOX"))
        try:
            return dict(db.execute("SELECT id, flags FROM status").fetchall())
        finally:
            db.close()

    def set_letters(self, tag, letters):
        path, _ = self.files()[tag]
        base = os.path.basename(path).split(":2,", 1)[0]
        os.rename(path, os.path.join(self.mail, "INBOX", "cur", base + ":2," + letters))


def scenario(server, root, user, password):
    acc = Account(server, root, user, password)
    conn = acc.imap()
    for tag in ("ka", "kb"):
        typ, data = conn.append("INBOX", "(\\Seen)", None, message(tag))
        assert typ == "OK", data
    typ, data = conn.uid("STORE", "1", "+FLAGS", "($Junk)")
    check(typ == "OK", "the server takes $Junk", data)
    conn.logout()

    p = acc.run()
    check(p.returncode == 0, "first sync exits 0", p.out)
    files = acc.files()
    # 'a' is customflag_a's: $Junk gets dovecot-keywords index 1, letter b
    check(files["ka"][1] == "Sb", "a keyword set on the server is a letter locally", files)
    check(acc.keywords_file() == "1 $Junk\n", "the letter is in dovecot-keywords", repr(acc.keywords_file()))
    check(files["kb"][1] == "S", "the other message has none", files)
    check(acc.status_rows() == {1: "Sb", 2: "S"}, "the status row holds the letters", acc.status_rows())

    # a letter added locally: customflag_a ($Label1), and a new keyword
    # can only be added by its letter, so use a's
    acc.set_letters("kb", "Sa")
    p = acc.run()
    check(p.returncode == 0, "second sync exits 0", p.out)
    kw = acc.server_keywords()
    check(kw.get("kb") == {"$Label1"}, "a letter added locally is on the server", kw)
    check(kw.get("ka") == {"$Junk"}, "the server keyword stays", kw)
    check(acc.status_rows() == {1: "Sb", 2: "Sa"}, "status after a local add", acc.status_rows())

    p = acc.run()
    check(p.returncode == 0 and "flag" not in p.out.lower(), "a third sync changes nothing", p.out)

    # offlineimap3 on the same config, metadata and Maildir: it reads the
    # status; it strips the letter it has no customflag for ($Junk's b:
    # its own flip-flop with unknown letters), keeps customflag_a's
    if shutil.which("offlineimap"):
        p = acc.run(["offlineimap", "-o", "-u", "basic"])
        check(p.returncode == 0 and "ERROR" not in p.out and "Traceback" not in p.out,
              "offlineimap3 reads the result without an error", p.out)
        files = acc.files()
        check(files["kb"][1] == "Sa", "offlineimap3 keeps the customflag letter", files)
        kw = acc.server_keywords()
        check(kw.get("ka") == {"$Junk"} and kw.get("kb") == {"$Label1"},
              "offlineimap3 takes no keyword off the server", kw)
        p = acc.run()
        check(p.returncode == 0, "mailsync after offlineimap3 exits 0", p.out)
        files = acc.files()
        # The fast resync (CONDSTORE) takes an unchanged server message's
        # keywords from the status; offlineimap3 rewrote it, which the
        # status's keyword stamp shows: the server's flags are listed in
        # full, and the letter comes back.
        check(files["ka"][1] == "Sb", "mailsync brings back the letter offlineimap3 stripped", files)
        check(acc.status_rows() == {1: "Sb", 2: "Sa"}, "and the status row has it again", acc.status_rows())
        check(acc.server_keywords().get("ka") == {"$Junk"}, "and the server keeps $Junk", acc.server_keywords())
    else:
        print("# SKIP offlineimap3 is not installed: the status is not read by it")

    # removals both ways
    conn = acc.imap()
    conn.uid("STORE", "1", "-FLAGS", "($Junk)")
    conn.logout()
    acc.set_letters("kb", "S")
    p = acc.run()
    check(p.returncode == 0, "sync after removals exits 0", p.out)
    files = acc.files()
    check(files["ka"][1] == "S", "a keyword removed on the server goes locally", files)
    kw = acc.server_keywords()
    check(kw.get("kb") == set(), "a letter removed locally goes on the server", kw)
    check(acc.keywords_file() == "1 $Junk\n", "dovecot-keywords is never renumbered", repr(acc.keywords_file()))
    check(acc.status_rows() == {1: "S", 2: "S"}, "status after removals", acc.status_rows())


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 77
    root = tempfile.mkdtemp(prefix="mailsync-keywords-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = mailsync_tap.Dovecot(os.path.join(root, "dovecot"), [("kw1", "pw-kw1")])
        scenario(server, root, "kw1", "pw-kw1")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
