#!/usr/bin/env python3
"""A damaged or missing status (issue 12 item 5), with the mailsync
command against the harness Dovecot, for both status formats (SQLite and
plain):

- damage (garbage over the SQLite log, a newer db_version; an empty plain
  file, a torn last line): the run exits nonzero with one error line naming
  the file, the other folder still syncs (a new server message arrives),
  and the damaged folder's Maildir is not touched (a new server message
  there does not arrive, no file is renamed);
- a missing status beside a synced Maildir is rebuilt from the U= names:
  nothing already there is downloaded again (the files keep their inodes),
  no flag either side has is lost, the new server message arrives, the
  message deleted locally comes back, and the run says it copied back 1;
- a message deleted on the server while the status was missing is
  uploaded back, never deleted locally;
- a server folder recreated (new UIDVALIDITY, other messages under the same
  UIDs) with the status missing: the folder is refused, nothing is paired,
  copied or deleted.
- plain: after every completed run, small ones too, offlineimap's own
  file (LocalStatus/<folder>, which is all offlineimap reads: never the
  journal) is there, in its grammar (the FORMAT 2 magic line, then
  `uid|flags|mtime|labels` lines), and holds exactly the folder's pairs
  (each local file's U= and flags); a no-op run does not write it.

Skipped (1..0 # SKIP) when Dovecot is not installed."""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import mailsync_tap

TAP = mailsync_tap.Tap()
check = TAP.check


class Server(mailsync_tap.Dovecot):
    def __init__(self, root):
        self.users = 0
        super().__init__(os.path.join(root, "dovecot"), [("sd%d" % i, "pw-sd%d" % i) for i in range(1, 21)])

    def new_user(self):
        self.users += 1
        return "sd%d" % self.users, "pw-sd%d" % self.users


def message(tag):
    return ("From: test@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@test>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nBody of %s\r\n"
            % (tag, tag, tag)).encode()


class Account:
    """A HOME with an offlineimap config for one server user."""

    def __init__(self, server, root, backend, folders):
        self.server = server
        self.backend = backend
        self.user, self.password = server.new_user()
        self.home = os.path.join(root, self.user)
        os.makedirs(os.path.join(self.home, "Mail"))
        self.config = os.path.join(self.home, ".offlineimaprc")
        with open(self.config, "w") as f:
            f.write("[general]\naccounts = Test\nmetadata = %(home)s/meta\nui = basic\n\n"
                    "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n%(backend)s\n"
                    "[Repository Local]\ntype = Maildir\nlocalfolders = %(home)s/Mail\n\n"
                    "[Repository Remote]\ntype = IMAP\nremotehost = %(host)s\nremoteport = %(port)s\n"
                    "remoteuser = %(user)s\nremotepass = %(pw)s\nssl = no\nstarttls = yes\n"
                    "sslcacertfile = %(ca)s\n"
                    % {"home": self.home, "host": server.env["DOVECOT_HOST"], "port": server.env["DOVECOT_PORT"],
                       "user": self.user, "pw": self.password, "ca": server.env["DOVECOT_CA"],
                       "backend": "status_backend = plain\n" if backend == "plain" else ""})
        conn = self.imap()
        for folder, tags in folders.items():
            if folder != "INBOX":
                conn.create(folder)
            for tag, flags in tags:
                self.append(conn, folder, tag, flags)
        conn.logout()

    def imap(self):
        return self.server.imap(self.user, self.password)

    @staticmethod
    def append(conn, folder, tag, flags=""):
        typ, data = conn.append(folder, "(%s)" % flags if flags else None, None, message(tag))
        assert typ == "OK", data

    def run(self, timeout=300):
        env = dict(os.environ, HOME=self.home)
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("G_MESSAGES_DEBUG", None)
        p = subprocess.run([mailsync_tap.MAILSYNC, "-o"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        p.out = (p.stdout or "") + (p.stderr or "")
        return p

    def status_dir(self):
        return os.path.join(self.home, "meta", "Account-Test",
                            "LocalStatus-sqlite" if self.backend == "sqlite" else "LocalStatus")

    def status_path(self, folder):
        return os.path.join(self.status_dir(), folder)

    def remove_status(self, folder):
        """Every file of the folder's status: the main file, SQLite's -wal
        and -shm, the plain format's .journal and .meta."""
        removed = []
        for name in os.listdir(self.status_dir()):
            if name == folder or re.fullmatch(re.escape(folder) + r"(-wal|-shm|-journal|\.journal|\.meta)", name):
                os.unlink(os.path.join(self.status_dir(), name))
                removed.append(name)
        return removed

    def local(self, folder):
        """file name -> (inode, md5 without CRs, flags) of a local folder."""
        out = {}
        for sub in ("cur", "new"):
            d = os.path.join(self.home, "Mail", folder, sub)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                path = os.path.join(d, name)
                with open(path, "rb") as f:
                    digest = hashlib.md5(f.read().replace(b"\r", b"")).hexdigest()
                out[sub + "/" + name] = (os.stat(path).st_ino, digest,
                                         name.split(":2,", 1)[1] if ":2," in name else "")
        return out

    def remote(self, folder):
        """sorted [(subject tag, flag letters)] of a server folder."""
        conn = self.imap()
        conn.select(folder, readonly=True)
        typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        items = []
        for part in data:
            if isinstance(part, tuple):
                flags = re.search(rb"FLAGS \((.*?)\)", part[0]).group(1).decode().split()
                letters = "".join(sorted({"\\Seen": "S", "\\Flagged": "F", "\\Answered": "R",
                                          "\\Deleted": "T", "\\Draft": "D"}.get(f, "") for f in flags))
                tag = re.search(rb"Subject: (\S+)", part[1]).group(1).decode()
                items.append((tag, letters))
        conn.logout()
        return sorted(items)


def tags_of(local, tag_digests):
    """sorted [(tag, flags)] of a local listing, by content."""
    by_digest = {d: t for t, d in tag_digests.items()}
    return sorted((by_digest.get(d, "?"), flags) for _, d, flags in local.values())


def digest_of(tag):
    return hashlib.md5(message(tag).replace(b"\r", b"")).hexdigest()


TAGS = {t: digest_of(t) for t in ["m1", "m2", "m3", "m4", "m5", "w1", "w2", "w3", "x1", "x2", "n1"]}


def error_lines(out, path):
    """The lines naming @path, before the end of run summary (which repeats
    every error, as offlineimap's does)."""
    live = out.split("ERROR: Exceptions occurred during the run!")[0]
    return [l for l in live.splitlines() if path in l]


def damage_sqlite_wal(acc):
    path = acc.status_path("INBOX")
    wal = path + "-wal"
    if not os.path.exists(wal) or os.path.getsize(wal) <= 32:
        return None, "no log after the sync: %s" % wal
    with open(wal, "r+b") as f:
        f.write(b"garbage garbage garbage garbage!")
    return wal, None


def damage_sqlite_version(acc):
    import sqlite3
    path = acc.status_path("INBOX")
    db = sqlite3.connect(path)
    db.execute("UPDATE metadata SET value='3' WHERE key='db_version'")
    db.commit()
    db.close()
    return path, None


def damage_plain_empty(acc):
    path = acc.status_path("INBOX")
    # The journal first folds into the file: make sure there is one.
    for extra in (".journal",):
        if os.path.exists(path + extra):
            os.unlink(path + extra)
    open(path, "w").close()
    return path, None


def damage_plain_torn(acc):
    path = acc.status_path("INBOX")
    journal = path + ".journal"
    with open(path, "a") as f:
        f.write("3|S|0")           # a last line without its newline
    if os.path.exists(journal):
        os.unlink(journal)
    return path, None


def scenario_damage(server, root, backend, kind, damage):
    label = "%s, %s" % (backend, kind)
    acc = Account(server, os.path.join(root, "damage-%s-%s" % (backend, kind)), backend,
                  {"INBOX": [("m1", "\\Seen"), ("m2", ""), ("m3", "")], "Work": [("w1", ""), ("w2", "")]})
    p = acc.run()
    if not check("%s: first sync" % label, p.returncode == 0, p.out):
        return
    damaged, why = damage(acc)
    if not check("%s: status damaged" % label, damaged is not None, why):
        return
    before = acc.local("INBOX")
    conn = acc.imap()
    acc.append(conn, "Work", "w3")
    acc.append(conn, "INBOX", "m4")
    conn.logout()

    p = acc.run()
    check("%s: nonzero exit" % label, p.returncode != 0, "rc %d: %s" % (p.returncode, p.out))
    lines = error_lines(p.out, damaged)
    check("%s: one error line names %s" % (label, damaged), len(lines) == 1, p.out)
    check("%s: the summary names the file too" % label, damaged in p.out.split("occurred during the run!")[-1],
          p.out)
    check("%s: the other folder synced (new server message arrived)" % label,
          tags_of(acc.local("Work"), TAGS) == [("w1", ""), ("w2", ""), ("w3", "")], acc.local("Work"))
    check("%s: the damaged folder's Maildir is untouched" % label, acc.local("INBOX") == before,
          "%s -> %s" % (sorted(before), sorted(acc.local("INBOX"))))
    check("%s: nothing uploaded from the damaged folder" % label,
          acc.remote("INBOX") == [("m1", "S"), ("m2", ""), ("m3", ""), ("m4", "")], acc.remote("INBOX"))


def copied_back(out):
    m = re.search(r"Status of folder \S+ was missing: rebuilt .*?copied back (\d+) messages", out)
    return int(m.group(1)) if m else None


def rename_flags(acc, folder, tag, flags):
    for key, (ino, digest, _) in acc.local(folder).items():
        if digest == TAGS[tag]:
            old = os.path.join(acc.home, "Mail", folder, key)
            base = os.path.basename(old).split(":2,", 1)[0]
            os.rename(old, os.path.join(acc.home, "Mail", folder, "cur", base + ":2," + flags))
            return True
    return False


def delete_local(acc, folder, tag):
    for key, (ino, digest, _) in acc.local(folder).items():
        if digest == TAGS[tag]:
            os.unlink(os.path.join(acc.home, "Mail", folder, key))
            return True
    return False


def uid_of(conn, tag):
    typ, data = conn.uid("SEARCH", "HEADER", "Subject", tag)
    return data[0].decode().split()[0]


def scenario_rebuild(server, root, backend):
    label = "%s, missing status" % backend
    acc = Account(server, os.path.join(root, "rebuild-" + backend), backend,
                  {"INBOX": [("m1", "\\Seen"), ("m2", "\\Seen"), ("m3", "\\Seen"), ("m4", "")],
                   "Work": [("w1", "")]})
    p = acc.run()
    if not check("%s: first sync" % label, p.returncode == 0, p.out):
        return
    before = acc.local("INBOX")
    # Deleted locally, a flag set on each side, a new server message, and
    # the whole status of the folder gone.
    check("%s: m2 deleted locally" % label, delete_local(acc, "INBOX", "m2"))
    check("%s: m4 flagged locally" % label, rename_flags(acc, "INBOX", "m4", "F"))
    conn = acc.imap()
    conn.select("INBOX")
    conn.uid("STORE", uid_of(conn, "m3"), "+FLAGS", "(\\Flagged)")
    acc.append(conn, "INBOX", "m5")
    conn.logout()
    removed = acc.remove_status("INBOX")
    check("%s: status removed" % label, removed != [], removed)
    kept = {ino for ino, d, _ in acc.local("INBOX").values()}

    p = acc.run()
    check("%s: exit 0" % label, p.returncode == 0, p.out)
    check("%s: the run says the status was rebuilt and it copied back 1" % label, copied_back(p.out) == 1, p.out)
    after = acc.local("INBOX")
    check("%s: no re-download (the files there keep their inodes)" % label,
          kept <= {ino for ino, d, _ in after.values()},
          "%s -> %s" % (sorted(before.values()), sorted(after.values())))
    check("%s: local: m2 back, m5 arrived, every flag kept, no duplicate" % label,
          tags_of(after, TAGS) == [("m1", "S"), ("m2", "S"), ("m3", "FS"), ("m4", "F"), ("m5", "")],
          tags_of(after, TAGS))
    check("%s: server: every flag kept, no duplicate" % label,
          acc.remote("INBOX") == [("m1", "S"), ("m2", "S"), ("m3", "FS"), ("m4", "F"), ("m5", "")],
          acc.remote("INBOX"))
    # (the plain format keeps a small folder's status in its journal)
    check("%s: the status is back" % label,
          any(os.path.exists(acc.status_path("INBOX") + s) for s in ("", ".journal")),
          os.listdir(acc.status_dir()))

    # A message deleted on the server while the status is missing comes
    # back from the local copy; nothing is deleted.
    conn = acc.imap()
    conn.select("INBOX")
    conn.uid("STORE", uid_of(conn, "m1"), "+FLAGS", "(\\Deleted)")
    conn.expunge()
    conn.logout()
    acc.remove_status("INBOX")
    inodes = {d: ino for ino, d, _ in acc.local("INBOX").values()}
    p = acc.run()
    check("%s, server deletion: exit 0" % label, p.returncode == 0, p.out)
    check("%s, server deletion: the run says it copied back 1" % label, copied_back(p.out) == 1, p.out)
    check("%s, server deletion: uploaded back, not deleted" % label,
          acc.remote("INBOX") == [("m1", "S"), ("m2", "S"), ("m3", "FS"), ("m4", "F"), ("m5", "")],
          acc.remote("INBOX"))
    after = acc.local("INBOX")
    check("%s, server deletion: local copy kept (same file), no duplicate" % label,
          tags_of(after, TAGS) == [("m1", "S"), ("m2", "S"), ("m3", "FS"), ("m4", "F"), ("m5", "")]
          and {d: ino for ino, d, _ in after.values()}[TAGS["m1"]] == inodes[TAGS["m1"]],
          tags_of(after, TAGS))
    p = acc.run()
    check("%s: the next run is quiet (exit 0, nothing rebuilt)" % label,
          p.returncode == 0 and copied_back(p.out) is None and "rebuilt" not in p.out, p.out)


def scenario_uidvalidity(server, root, backend):
    """The server folder recreated: same UIDs, other messages."""
    label = "%s, missing status, folder recreated" % backend
    acc = Account(server, os.path.join(root, "uidvalidity-" + backend), backend,
                  {"INBOX": [("n1", "")], "Work": [("w1", "\\Seen"), ("w2", "")]})
    p = acc.run()
    if not check("%s: first sync" % label, p.returncode == 0, p.out):
        return
    acc.remove_status("Work")
    before = acc.local("Work")
    conn = acc.imap()
    conn.delete("Work")
    conn.create("Work")
    acc.append(conn, "Work", "x1")
    acc.append(conn, "Work", "x2")
    conn.logout()
    p = acc.run()
    check("%s: nonzero exit" % label, p.returncode != 0, p.out)
    check("%s: the error says the UIDs are of another UIDVALIDITY" % label,
          "another UIDVALIDITY" in p.out, p.out)
    check("%s: nothing copied or deleted locally" % label, acc.local("Work") == before,
          "%s -> %s" % (sorted(before), sorted(acc.local("Work"))))
    check("%s: nothing copied or deleted on the server" % label,
          acc.remote("Work") == [("x1", ""), ("x2", "")], acc.remote("Work"))


def scenario_marker(server, root, backend):
    """The server's copy carries the X-OfflineIMAP header that an upload to
    a server without UIDPLUS adds and the local file lacks: still the same
    message, so the rebuild pairs it."""
    label = "%s, missing status, X-OfflineIMAP on the server's copy" % backend
    acc = Account(server, os.path.join(root, "marker-" + backend), backend, {"INBOX": [("k1", "\\Seen")]})
    conn = acc.imap()
    conn.create("Sent")
    typ, data = conn.append("Sent", None, None,
                            b"X-OfflineIMAP: 1234567890-0123456789abcdef\r\n\t-continued\r\n" + message("s1"))
    conn.logout()
    p = acc.run()
    if not check("%s: first sync" % label, p.returncode == 0 and typ == "OK", p.out):
        return
    files = acc.local("Sent")
    path = os.path.join(acc.home, "Mail", "Sent", next(iter(files)))
    with open(path, "rb") as f:
        text = f.read()
    stripped = re.sub(rb"^X-OfflineIMAP: [^\n]*\n\t[^\n]*\n", b"", text)
    with open(path, "wb") as f:
        f.write(stripped)
    acc.remove_status("Sent")
    p = acc.run()
    check("%s: the header was there to strip" % label, stripped != text, text[:120])
    check("%s: paired, not refused (exit 0, no UIDVALIDITY error)" % label,
          p.returncode == 0 and "another UIDVALIDITY" not in p.out, p.out)
    check("%s: nothing copied either way" % label,
          acc.remote("Sent") == [("s1", "")] and len(acc.local("Sent")) == 1,
          (acc.remote("Sent"), acc.local("Sent")))


PLAIN_MAGIC = "OFFLINEIMAP LocalStatus CACHE DATA - DO NOT MODIFY - FORMAT 2"


def plain_rows(path):
    """{uid: flags} of an offlineimap plain status file, read as
    offlineimap 7 reads it (LocalStatus.py: the magic line, then
    uid|flags|mtime|labels), or a string saying why it cannot be."""
    if not os.path.exists(path):
        return "no file %s" % path
    with open(path) as f:
        lines = f.read().split("\n")
    if lines[0] != PLAIN_MAGIC:
        return "magic line %r" % lines[0]
    if lines[-1] != "":
        return "no final newline"
    rows = {}
    for line in lines[1:-1]:
        m = re.fullmatch(r"(\d+)\|([A-Za-z]*)\|(\d+)\|(.*)", line)
        if m is None:
            return "line %r" % line
        rows[int(m.group(1))] = m.group(2)
    return rows


def local_pairs(acc, folder):
    """{uid: flags} of the local files' U= and flags."""
    out = {}
    for key in acc.local(folder):
        m = re.search(r",U=(\d+)", key)
        out[int(m.group(1)) if m else key] = key.split(":2,", 1)[1] if ":2," in key else ""
    return out


def scenario_plain_readable(server, root):
    label = "plain, offlineimap's file"
    acc = Account(server, os.path.join(root, "plain-readable"), "plain",
                  {"INBOX": [("m1", "\\Seen"), ("m2", ""), ("m3", "")], "Work": [("w1", "")]})
    p = acc.run()
    if not check("%s: first sync" % label, p.returncode == 0, p.out):
        return
    for folder in ("INBOX", "Work"):
        rows = plain_rows(acc.status_path(folder))
        check("%s: after a first small run %s's file is there, readable, with the folder's pairs" % (label, folder),
              rows == local_pairs(acc, folder) and len(rows) > 0, "%r vs %r" % (rows, local_pairs(acc, folder)))
    path = acc.status_path("INBOX")
    stamp = lambda: (os.stat(path).st_ino, os.stat(path).st_mtime_ns) if os.path.exists(path) else None
    before = stamp()
    p = acc.run()
    check("%s: a no-op run does not write it" % label,
          p.returncode == 0 and before is not None and stamp() == before, p.out)
    # small changes both ways: a flag set locally, a new server message,
    # a message deleted locally
    check("%s: flag set locally" % label, rename_flags(acc, "INBOX", "m2", "FS"))
    check("%s: message deleted locally" % label, delete_local(acc, "INBOX", "m3"))
    conn = acc.imap()
    acc.append(conn, "INBOX", "m4", "\\Flagged")
    conn.logout()
    p = acc.run()
    rows = plain_rows(path)
    check("%s: after a small run the file holds the folder's pairs" % label,
          p.returncode == 0 and rows == local_pairs(acc, "INBOX") and len(rows) == 3,
          "%r vs %r: %s" % (rows, local_pairs(acc, "INBOX"), p.out))
    check("%s: the server agrees" % label, acc.remote("INBOX") == [("m1", "S"), ("m2", "FS"), ("m4", "F")],
          acc.remote("INBOX"))


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-status-damage-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = Server(root)
        scenario_damage(server, root, "sqlite", "garbage log", damage_sqlite_wal)
        scenario_damage(server, root, "sqlite", "newer db_version", damage_sqlite_version)
        scenario_damage(server, root, "plain", "empty file", damage_plain_empty)
        scenario_damage(server, root, "plain", "torn last line", damage_plain_torn)
        for backend in ("sqlite", "plain"):
            scenario_rebuild(server, root, backend)
            scenario_uidvalidity(server, root, backend)
        scenario_marker(server, root, "sqlite")
        scenario_plain_readable(server, root)
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
