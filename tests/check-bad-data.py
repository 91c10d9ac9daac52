#!/usr/bin/env python3
"""Bad local data (issue 12 items 1, 3 and 4), end to end with the mailsync
command against the harness Dovecot. For every case: one warning line
naming the file, the rest of the folder syncs (a flag change and a
deletion in the same folder go through, a new server message arrives),
the other folder syncs, the exit status says whether anything was
skipped, and the server holds nothing twice (counted over IMAP):

- an empty file, a FIFO, a directory and a symlink to a file outside the
  Maildir among a folder's new messages: skipped, never uploaded (the
  symlink's target is not read), a real new message beside them is;
- a message above the server's APPENDLIMIT (RFC 7889; Dovecot is made to
  advertise APPENDLIMIT=N in its capabilities, so this tests the client's
  refusal before sending): skipped, the smaller one uploaded;
- a file copied inside a folder with its U= and FMD5: an identical copy
  is never uploaded (and goes with its message when the server deletes
  it), a copy with other content is uploaded once as a new message;
- tmp/: a file older than 36 hours is removed during the sync, a fresh
  one, an old directory and an old symlink stay, a tmp/ that is a
  symlink is not followed, and a delivery of a message with an old date
  never leaves its tmp/ file with that date as mtime.

Skipped (1..0 # SKIP) when Dovecot is not installed."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import mailsync_tap

TAP = mailsync_tap.Tap()
check = TAP.check


class Server(mailsync_tap.Dovecot):
    def __init__(self, root, name="dovecot"):
        self.users = 0
        super().__init__(os.path.join(root, name), [("bd%d" % i, "pw-bd%d" % i) for i in range(1, 21)])

    def new_user(self):
        self.users += 1
        return "bd%d" % self.users, "pw-bd%d" % self.users

    def set_append_limit(self, limit):
        """Advertise APPENDLIMIT=@limit after login (only new sessions)."""
        conf = os.path.join(self.dir, "dovecot.conf")
        with open(conf) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^(\s*imap_capability = .*)$", r"\1 APPENDLIMIT=%d" % limit, text)
        assert n == 1, "no imap_capability line in %s" % conf
        with open(conf, "w") as f:
            f.write(text)
        subprocess.run(["doveadm", "-c", conf, "reload"], check=True, timeout=30)


def message(tag, size=0):
    body = "Body of %s\r\n" % tag + ("x" * 70 + "\r\n") * (size // 72)
    return ("From: test@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@test>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n%s"
            % (tag, tag, body)).encode()


class Account:
    """A HOME with an offlineimap config for one server user."""

    def __init__(self, server, root, folders):
        self.server = server
        self.user, self.password = server.new_user()
        self.home = os.path.join(root, self.user)
        self.mail = os.path.join(self.home, "Mail")
        os.makedirs(self.mail)
        with open(os.path.join(self.home, ".offlineimaprc"), "w") as f:
            f.write("[general]\naccounts = Test\nmetadata = %(home)s/meta\nui = basic\n\n"
                    "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n\n"
                    "[Repository Local]\ntype = Maildir\nlocalfolders = %(home)s/Mail\n\n"
                    "[Repository Remote]\ntype = IMAP\nremotehost = %(host)s\nremoteport = %(port)s\n"
                    "remoteuser = %(user)s\nremotepass = %(pw)s\nssl = no\nstarttls = yes\n"
                    "sslcacertfile = %(ca)s\n"
                    % {"home": self.home, "host": server.env["DOVECOT_HOST"],
                       "port": server.env["DOVECOT_PORT"], "user": self.user, "pw": self.password,
                       "ca": server.env["DOVECOT_CA"]})
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
    def append(conn, folder, tag, flags="", size=0):
        typ, data = conn.append(folder, "(%s)" % flags if flags else None, None, message(tag, size))
        assert typ == "OK", data

    def run(self, timeout=300):
        env = dict(os.environ, HOME=self.home)
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("G_MESSAGES_DEBUG", None)
        p = subprocess.run([mailsync_tap.MAILSYNC, "-o"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        p.out = (p.stdout or "") + (p.stderr or "")
        return p

    def path(self, folder, *parts):
        return os.path.join(self.mail, folder, *parts)

    def files(self, folder):
        """[(key, subject tag or None, flags)] of the regular files of a folder."""
        out = []
        for sub in ("cur", "new"):
            d = self.path(folder, sub)
            for name in sorted(os.listdir(d)):
                p = os.path.join(d, name)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                with open(p, "rb") as f:
                    m = re.search(rb"Subject: (\S+)", f.read())
                out.append((sub + "/" + name, m.group(1).decode() if m else None,
                            name.split(":2,", 1)[1] if ":2," in name else ""))
        return out

    def tags(self, folder):
        return sorted((t, f) for _, t, f in self.files(folder) if t is not None)

    def key_of(self, folder, tag):
        for key, t, _ in self.files(folder):
            if t == tag:
                return key
        return None

    def remote(self, folder):
        """sorted [(subject tag, flag letters)] of a server folder, duplicates kept."""
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

    def server_expunge(self, folder, tag):
        conn = self.imap()
        conn.select(folder)
        typ, data = conn.uid("SEARCH", "HEADER", "Subject", tag)
        conn.uid("STORE", data[0].decode().split()[0], "+FLAGS", "(\\Deleted)")
        conn.expunge()
        conn.logout()

    def server_append(self, folder, tag, size=0):
        conn = self.imap()
        self.append(conn, folder, tag, "", size)
        conn.logout()

    def put_new(self, folder, name, data):
        """A new local message, delivered as a MUA does (tmp/, then new/)."""
        tmp = self.path(folder, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, self.path(folder, "new", name))
        return self.path(folder, "new", name)

    def set_flags(self, folder, tag, flags):
        key = self.key_of(folder, tag)
        old = self.path(folder, key)
        base = os.path.basename(old).split(":2,", 1)[0]
        os.rename(old, self.path(folder, "cur", base + ":2," + flags))

    def delete(self, folder, tag):
        os.unlink(self.path(folder, self.key_of(folder, tag)))


def live(out):
    """What the run said before the end of run summary (which repeats every
    error, as offlineimap's does)."""
    return out.split("ERROR: Exceptions occurred during the run!")[0]


def lines_naming(out, what):
    return [l for l in live(out).splitlines() if what in l]


def common_changes(acc):
    """A flag change, a deletion and a new server message in INBOX, and a new
    server message in Work: what must go through beside the bad data."""
    acc.set_flags("INBOX", "m2", "F")
    acc.delete("INBOX", "m3")
    acc.server_append("INBOX", "m4")
    acc.server_append("Work", "w2")


def check_common(label, acc, inbox_extra=()):
    check("%s: INBOX on the server: flag change and deletion went through, nothing twice" % label,
          acc.remote("INBOX") == sorted([("m1", "S"), ("m2", "F"), ("m4", "")] + list(inbox_extra)),
          acc.remote("INBOX"))
    check("%s: the new server message arrived in INBOX" % label, ("m4", "") in acc.tags("INBOX"),
          acc.tags("INBOX"))
    check("%s: the other folder synced" % label, acc.tags("Work") == [("w1", ""), ("w2", "")],
          acc.tags("Work"))


def scenario_bad_files(server, root):
    label = "bad files"
    acc = Account(server, os.path.join(root, "badfiles"),
                  {"INBOX": [("m1", "\\Seen"), ("m2", ""), ("m3", "")], "Work": [("w1", "")]})
    p = acc.run()
    if not check("%s: first sync" % label, p.returncode == 0, p.out):
        return
    outside = os.path.join(root, "badfiles", "outside-secret")
    with open(outside, "wb") as f:
        f.write(message("outside"))
    bad = {
        "empty": acc.put_new("INBOX", "1700000000.empty.host", b""),
        "FIFO": acc.path("INBOX", "cur", "1700000001.fifo.host:2,S"),
        "directory": acc.path("INBOX", "cur", "1700000002.dir.host:2,S"),
        "symlink": acc.path("INBOX", "cur", "1700000003.link.host:2,S"),
    }
    os.mkfifo(bad["FIFO"])
    os.mkdir(bad["directory"])
    os.symlink(outside, bad["symlink"])
    acc.put_new("INBOX", "1700000004.good.host", message("l1"))
    common_changes(acc)

    for run in (1, 2):
        p = acc.run()
        check("%s, run %d: nonzero exit" % (label, run), p.returncode != 0, "rc %d: %s" % (p.returncode, p.out))
        for kind, path in bad.items():
            lines = lines_naming(p.out, path)
            check("%s, run %d: one warning line names the %s (%s)" % (label, run, kind, path),
                  len(lines) == 1 and "Skipping" in lines[0], lines or p.out)
        check("%s, run %d: the symlink's target was not uploaded" % (label, run),
              "outside" not in [t for t, _ in acc.remote("INBOX")], acc.remote("INBOX"))
        check_common("%s, run %d" % (label, run), acc, [("l1", "")])
    check("%s: the bad entries are still there, untouched" % label,
          os.path.getsize(bad["empty"]) == 0 and os.path.islink(bad["symlink"])
          and os.path.isdir(bad["directory"]) and os.readlink(bad["symlink"]) == outside,
          os.listdir(acc.path("INBOX", "cur")))
    # Once the bad files are gone, the run is clean again.
    os.unlink(bad["empty"])
    os.unlink(bad["FIFO"])
    os.rmdir(bad["directory"])
    os.unlink(bad["symlink"])
    p = acc.run()
    check("%s: without them the run exits 0" % label, p.returncode == 0, p.out)


def scenario_append_limit(server, root):
    label = "APPENDLIMIT"
    acc = Account(server, os.path.join(root, "appendlimit"),
                  {"INBOX": [("m1", "\\Seen"), ("m2", ""), ("m3", "")], "Work": [("w1", "")]})
    p = acc.run()
    if not check("%s: first sync" % label, p.returncode == 0, p.out):
        return
    big = acc.put_new("INBOX", "1700000010.big.host", message("big", 8000))
    acc.put_new("INBOX", "1700000011.small.host", message("small"))
    common_changes(acc)
    p = acc.run()
    check("%s: nonzero exit" % label, p.returncode != 0, "rc %d: %s" % (p.returncode, p.out))
    lines = lines_naming(p.out, os.path.basename(big))
    check("%s: one warning line names the file and the limit" % label,
          len(lines) == 1 and "APPENDLIMIT" in lines[0], p.out)
    check("%s: the big message was not uploaded, the small one was" % label,
          ("big", "") not in acc.remote("INBOX") and ("small", "") in acc.remote("INBOX"), acc.remote("INBOX"))
    check_common(label, acc, [("small", "")])
    check("%s: the big message is still there locally" % label, os.path.exists(big), acc.files("INBOX"))
    p = acc.run()
    check("%s: the next run says it again and uploads nothing twice" % label,
          p.returncode != 0 and len(lines_naming(p.out, os.path.basename(big))) == 1
          and acc.remote("INBOX") == sorted([("m1", "S"), ("m2", "F"), ("m4", ""), ("small", "")]),
          p.out + repr(acc.remote("INBOX")))


def scenario_duplicate_uid(server, root):
    label = "duplicate U="
    acc = Account(server, os.path.join(root, "dupuid"),
                  {"INBOX": [("m1", "\\Seen"), ("m2", ""), ("m3", ""), ("m5", "\\Seen"), ("m6", "\\Seen")],
                   "Work": [("w1", "")]})
    p = acc.run()
    if not check("%s: first sync" % label, p.returncode == 0, p.out):
        return
    # An identical copy of m5 and a copy of m6 edited afterwards, both
    # keeping the U= and FMD5 of their original (as cp does).
    key5 = acc.key_of("INBOX", "m5")
    key6 = acc.key_of("INBOX", "m6")
    same = acc.path("INBOX", "cur", "copy-" + os.path.basename(key5))
    other = acc.path("INBOX", "cur", "copy-" + os.path.basename(key6))
    shutil.copyfile(acc.path("INBOX", key5), same)
    with open(other, "wb") as f:
        f.write(message("m6edited"))
    # The copies are the newer files: the originals keep their UIDs.
    past = time.time() - 3600
    os.utime(acc.path("INBOX", key5), (past, past))
    os.utime(acc.path("INBOX", key6), (past, past))
    common_changes(acc)

    p = acc.run()
    check("%s: exit 0 (nothing was skipped)" % label, p.returncode == 0, p.out)
    lines = lines_naming(p.out, os.path.basename(same))
    check("%s: one warning names the identical copy" % label,
          len(lines) == 1 and "identical" in lines[0], p.out)
    lines = lines_naming(p.out, os.path.basename(other))
    check("%s: one warning names the copy with other content" % label,
          len(lines) == 1 and "new local message" in lines[0], p.out)
    expected = [("m1", "S"), ("m2", "F"), ("m4", ""), ("m5", "S"), ("m6", "S"), ("m6edited", "S")]
    check("%s: the server has the other copy once and the identical one not again" % label,
          acc.remote("INBOX") == expected, acc.remote("INBOX"))
    check_common(label, acc, [("m5", "S"), ("m6", "S"), ("m6edited", "S")])
    check("%s: both copies kept locally" % label, os.path.exists(same)
          and sorted(t for _, t, _ in acc.files("INBOX")).count("m5") == 2, acc.files("INBOX"))

    p = acc.run()
    check("%s: the next run uploads nothing (server unchanged)" % label,
          acc.remote("INBOX") == expected, acc.remote("INBOX"))
    check("%s: the next run warns only about the identical copy" % label,
          len(lines_naming(p.out, os.path.basename(same))) == 1
          and "new local message" not in p.out, p.out)

    # The server deletes m5: both local copies go, and nothing comes back.
    acc.server_expunge("INBOX", "m5")
    p = acc.run()
    check("%s: server deletion: exit 0" % label, p.returncode == 0, p.out)
    check("%s: server deletion: the identical copy went with the message" % label,
          "m5" not in [t for _, t, _ in acc.files("INBOX")], acc.files("INBOX"))
    p = acc.run()
    check("%s: server deletion: it does not come back" % label,
          ("m5", "S") not in acc.remote("INBOX") and p.returncode == 0, p.out + repr(acc.remote("INBOX")))


def scenario_no_uid(root):
    """A new message in a Maildir that is the remote side (assign-uids: the
    listing renames each new file to take U= and FMD5=) whose longer name
    would pass NAME_MAX, 255 bytes, so the rename fails even for root: the
    listing cannot give it a UID. The library used to print that with
    g_warning on stderr; now it is one of the listing's warnings, which the
    sync emits and the frontend prints as one warning line naming the file
    (issue 14 item 3). The rest of the folder syncs, the file stays."""
    label = "no UID"
    work = os.path.join(root, "nouid")
    for side in ("Remote", "Mail"):
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(work, side, "INBOX", sub))
    path = os.path.join(work, "offlineimaprc")
    with open(path, "w") as f:
        f.write("[general]\naccounts = T\nmetadata = %s/meta\nui = basic\n\n"
                "[Account T]\nlocalrepository = L\nremoterepository = R\n\n"
                "[Repository L]\ntype = Maildir\nlocalfolders = %s/Mail\n\n"
                "[Repository R]\ntype = Maildir\nlocalfolders = %s/Remote\n" % (work, work, work))
    inbox = os.path.join(work, "Remote", "INBOX")
    name = "1700000005." + "x" * 230 + ".host"
    with open(os.path.join(inbox, "new", "1700000006.good.host"), "wb") as f:
        f.write(message("good"))
    with open(os.path.join(inbox, "new", name), "wb") as f:
        f.write(message("long"))
    env = dict(os.environ, HOME=work)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.pop("G_MESSAGES_DEBUG", None)
    p = subprocess.run([mailsync_tap.MAILSYNC, "-o", "-c", path], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300, errors="replace")
    lines = lines_naming(p.stdout, name)
    # the UI's line, not GLib's log line ("libmailsync-WARNING **: ...")
    check("%s: one warning line names the file" % label,
          len(lines) == 1 and "Cannot give a UID to" in lines[0] and "WARNING **" not in lines[0], p.stdout)
    check("%s: the file is still there, as it was" % label, os.path.exists(os.path.join(inbox, "new", name)),
          os.listdir(os.path.join(inbox, "new")))
    local = [n for sub in ("cur", "new") for n in os.listdir(os.path.join(work, "Mail", "INBOX", sub))]
    check("%s: the other message arrived" % label, len(local) == 1, "%r\n%s" % (local, p.stdout))


def scenario_tmp(server, root):
    label = "tmp/ cleanup"
    acc = Account(server, os.path.join(root, "tmpclean"),
                  {"INBOX": [("m1", "\\Seen"), ("m2", ""), ("m3", "")], "Work": [("w1", "")]})
    p = acc.run()
    if not check("%s: first sync" % label, p.returncode == 0, p.out):
        return
    tmp = acc.path("INBOX", "tmp")
    old = os.path.join(tmp, "1600000000.killed.host")
    fresh = os.path.join(tmp, "1700000000.inprogress.host")
    old_dir = os.path.join(tmp, "olddir")
    old_link = os.path.join(tmp, "oldlink")
    outside = os.path.join(root, "tmpclean", "outside-old")
    for path in (old, fresh, outside):
        with open(path, "wb") as f:
            f.write(message("x"))
    os.mkdir(old_dir)
    with open(os.path.join(old_dir, "inside"), "wb") as f:
        f.write(b"x")
    os.symlink(outside, old_link)
    # Work's tmp/ is a symlink to a directory that is not the Maildir's
    # (review of 9a31de7: its old files were removed)
    elsewhere = os.path.join(root, "tmpclean", "elsewhere")
    os.mkdir(elsewhere)
    elsewhere_old = os.path.join(elsewhere, "1600000000.someone-elses.file")
    with open(elsewhere_old, "wb") as f:
        f.write(b"not mail")
    os.rmdir(acc.path("Work", "tmp"))
    os.symlink(elsewhere, acc.path("Work", "tmp"))
    past = time.time() - 37 * 3600
    for path in (old, old_dir, outside, elsewhere_old):
        os.utime(path, (past, past))
    os.utime(old_link, (past, past), follow_symlinks=False)
    common_changes(acc)
    p = acc.run()
    check("%s: exit 0" % label, p.returncode == 0, p.out)
    check("%s: the old file is removed" % label, not os.path.exists(old), os.listdir(tmp))
    check("%s: the fresh file stays" % label, os.path.exists(fresh), os.listdir(tmp))
    check("%s: an old directory and an old symlink stay, the link's target too" % label,
          os.path.isdir(old_dir) and os.path.exists(os.path.join(old_dir, "inside"))
          and os.path.islink(old_link) and os.path.exists(outside), os.listdir(tmp))
    check("%s: a tmp/ that is a symlink is not followed: the old file it points at stays" % label,
          os.path.exists(elsewhere_old), os.listdir(elsewhere))
    check_common(label, acc)
    scenario_tmp_old_date(acc, label, "old1", named=True)
    scenario_tmp_old_date(acc, label, "old2", named=False)


def scenario_tmp_old_date(acc, label, tag, named):
    """A delivery of a message with an old date never leaves a tmp/ file
    with that date as mtime: another sync's cleanup would take it for a
    killed delivery's leftover and remove it under the delivery (issue 12
    leftover). The crash point after the tmp/ file is written and closed
    stops the delivery where a concurrent cleanup would see it. A
    delivery writes a nameless tmp/ file (O_TMPFILE) where it can, which
    leaves nothing at all; @named: a named one, as where it cannot (the
    test hook MAILSYNC_TEST_MAILDIR_NAMED_TMP)."""
    label += ", old message date, %s tmp/ file" % ("named" if named else "nameless")
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("%s: the delivery's tmp/ file is younger than 36 hours" % label, mailsync_tap.NO_HOOKS)
        return
    conn = acc.imap()
    typ, data = conn.append("INBOX", None, '"01-Jan-2001 00:00:00 +0000"', message(tag))
    assert typ == "OK", data
    conn.logout()
    tmp = acc.path("INBOX", "tmp")
    before = set(os.listdir(tmp))
    os.environ["MAILSYNC_CRASH_AT"] = "maildir-tmp-written"
    if named:
        os.environ["MAILSYNC_TEST_MAILDIR_NAMED_TMP"] = "1"
    try:
        p = acc.run()
    finally:
        del os.environ["MAILSYNC_CRASH_AT"]
        os.environ.pop("MAILSYNC_TEST_MAILDIR_NAMED_TMP", None)
    left = [os.path.join(tmp, n) for n in sorted(set(os.listdir(tmp)) - before)]
    if named:
        if check("%s: the run stopped with the message in tmp/" % label,
                 p.returncode == 77 and len(left) == 1, "rc %d, new in tmp/: %r" % (p.returncode, left)):
            age = time.time() - os.stat(left[0]).st_mtime
            check("%s: the delivery's tmp/ file is younger than 36 hours" % label,
                  age < 36 * 3600, "mtime %.0f s ago" % age)
    else:
        check("%s: the run stopped, nothing left in tmp/" % label,
              p.returncode == 77 and len(left) == 0, "rc %d, new in tmp/: %r" % (p.returncode, left))
    check("%s: the message is not in new/ or cur/" % label, acc.key_of("INBOX", tag) is None,
          acc.key_of("INBOX", tag))
    p = acc.run()
    key = acc.key_of("INBOX", tag)
    check("%s: the next run delivers it with the message's date as mtime" % label,
          p.returncode == 0 and key is not None
          and int(os.stat(acc.path("INBOX", key)).st_mtime) == 978307200,
          "%s %r" % (p.out, key and os.stat(acc.path("INBOX", key)).st_mtime))


def scenario_folder_names(server, root):
    """Server folders named like a Maildir's own subdirectories. (Names with
    control characters: Dovecot refuses to create them and does not list
    one made on its disk, so they are left to the scripted server.)"""
    label = "folder names"
    acc = Account(server, os.path.join(root, "names"),
                  {"INBOX": [("m1", "\\Seen"), ("m2", ""), ("m3", "")], "Work": [("w1", "")]})
    conn = acc.imap()
    for name in ("new", "cur", "tmp"):
        typ, data = conn.create(name)
        check("%s: server folder %s created" % (label, name), typ == "OK", data)
        acc.append(conn, name, "in-" + name)
    conn.logout()
    p = acc.run()
    check("%s: nonzero exit" % label, p.returncode != 0, "rc %d: %s" % (p.returncode, p.out))
    for name in ("new", "cur", "tmp"):
        # The UI's folder error (offlineimap's "Aborting sync, folder" and
        # the reason on the next line) said once.
        lines = [l for l in live(p.out).splitlines() if '"%s"' % name in l]
        check("%s: one error names server folder %s and why" % (label, name),
              len(lines) == 1 and "subdirectories" in lines[0]
              and live(p.out).count("folder '%s'" % name) == 1, lines or p.out)
    check("%s: INBOX and Work synced" % label,
          acc.tags("INBOX") == [("m1", "S"), ("m2", ""), ("m3", "")] and acc.tags("Work") == [("w1", "")],
          "%s %s" % (acc.tags("INBOX"), acc.tags("Work")))
    check("%s: nothing of the refused folders landed in INBOX's own new/cur/tmp" % label,
          sorted(os.listdir(acc.path("INBOX"))) in (["cur", "new", "tmp"],) and
          all(not os.path.isdir(acc.path("INBOX", s, "cur")) for s in ("cur", "new", "tmp"))
          and not any(os.path.exists(os.path.join(acc.mail, n, "cur")) for n in ("new", "cur", "tmp")),
          os.listdir(acc.mail))


def scenario_scripted_folder_names(root):
    """Server folder names Dovecot will not make (issue 12 item 2), from the
    scripted server (scripted_imap.py): a quoted name with \\x01, a literal
    name with a newline, '.', '..', and a separator clash ('a.b' beside
    'a/b', local sep '.'). Each is skipped with its name (escaped: the
    error stays on one line) and the reason; INBOX, Work and a/b (locally
    a.b) sync; exit nonzero. Nothing is dropped silently."""
    import scripted_imap
    label = "scripted folder names"
    bad = {"ctl\x01name": r"ctl\\001name.*control character",
           "line\nbreak": r"line\\nbreak.*control character",
           ".": r"'\.'.*'\.' and '\.\.' are not folder names",
           "..": r"'\.\.'.*'\.' and '\.\.' are not folder names",
           "a.b": r"'a\.b'.*unsupported '\.' character serving as local separator"}
    names = ("INBOX", "Work", "a/b") + tuple(bad)
    server = scripted_imap.ScriptedImapServer(names)
    for i, name in enumerate(names):
        server.mailboxes[name].add(scripted_imap.message("msg-%d" % i))

    def list_line(verb, name):
        if "\n" in name:
            raw = name.encode()
            return b'* %s () "/" {%d}\r\n%s\r\n' % (verb.encode(), len(raw), raw)
        return ('* %s () "/" "%s"\r\n' % (verb, name)).encode()

    def hook(srv, session, tag, verb, line):
        if verb in ("LIST", "LSUB") and not line.rstrip().endswith('""'):
            return scripted_imap.Reply(b"".join(list_line(verb, n) for n in names)
                                       + b"%s OK %s done\r\n" % (tag.encode(), verb.encode()))
        return None
    server.hook = hook
    work = os.path.join(root, "scripted-names")
    os.makedirs(work)
    path = os.path.join(work, "offlineimaprc")
    with open(path, "w") as f:
        f.write("[general]\naccounts = T\nmetadata = %s/meta\n\n"
                "[Account T]\nlocalrepository = L\nremoterepository = R\n\n"
                "[Repository L]\ntype = Maildir\nlocalfolders = %s/Mail\nsep = .\n\n"
                "[Repository R]\ntype = IMAP\nremotehost = 127.0.0.1\nremoteport = %d\nremoteuser = u\n"
                "remotepass = pw\nssl = no\nstarttls = no\n" % (work, work, server.port))
    try:
        env = dict(os.environ, HOME=work)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        p = subprocess.run([mailsync_tap.MAILSYNC, "-c", path], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=300, errors="replace")
    finally:
        server.close()
    out = p.stdout
    live_out = live(out)
    check("%s: nonzero exit" % label, p.returncode != 0, "rc %d: %s" % (p.returncode, out[-2000:]))
    check("%s: no raw control character in the output" % label,
          not re.search(r"[\x00-\x08\x0b-\x1f]", out) and "line\nbreak" not in out, repr(out[-2000:]))
    lines = live_out.splitlines()
    for name, want in bad.items():
        hits = [l for l in lines if re.search(want, l)]
        check("%s: %r skipped, one line with its name and the reason" % (label, name), len(hits) == 1,
              hits or out[-2000:])
    mail = os.path.join(work, "Mail")

    def count(folder):
        return sum(len(os.listdir(os.path.join(mail, folder, sub))) for sub in ("cur", "new")
                   if os.path.isdir(os.path.join(mail, folder, sub)))
    check("%s: INBOX, Work and a/b (locally a.b) synced" % label,
          count("INBOX") == 1 and count("Work") == 1 and count("a.b") == 1,
          sorted(os.listdir(mail)) if os.path.isdir(mail) else out[-2000:])
    check("%s: no local folder for a skipped name" % label,
          sorted(os.listdir(mail)) == ["INBOX", "Work", "a.b"], sorted(os.listdir(mail)))


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-bad-data-", dir="/tmp")
    os.chmod(root, 0o755)
    servers = []
    try:
        server = Server(root)
        servers.append(server)
        scenario_folder_names(server, root)
        scenario_scripted_folder_names(root)
        scenario_bad_files(server, root)
        scenario_duplicate_uid(server, root)
        scenario_no_uid(root)
        scenario_tmp(server, root)
        limited = Server(root, "dovecot-appendlimit")
        servers.append(limited)
        limited.set_append_limit(4096)
        scenario_append_limit(limited, root)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
