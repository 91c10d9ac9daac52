#!/usr/bin/env python3
"""Keywords both ways (issue 10 item 3) against the harness Dovecot, with
the mailsync command and an offlineimap config: a keyword set on the
server gets a letter in the local file name (customflag_a for $Label1,
dovecot-keywords for the rest), a letter added locally reaches the
server, removals go both ways, and Debian's offlineimap3 reads the status
afterwards without an error. Also IMAP<->IMAP (two Dovecot users, keywords
by name in the status labels column; a keyword with a comma written
%2C there), 27 keywords in a folder, $junk vs
$Junk, a new local message's keywords in its APPEND and an upload
interrupted after it. Skipped (1..0 # SKIP) without Dovecot."""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import mailsync_tap
import scripted_imap

TAP = mailsync_tap.Tap(200)


def check(ok, label, detail="", todo=None):
    return TAP.check(label, ok, detail, todo=todo)


def message(tag):
    return ("From: test@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@test>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nBody of %s\r\n"
            % (tag, tag, tag)).encode()


def imap_repository(server, user, password):
    # Implicit TLS, not STARTTLS: offlineimap3's imaplib2 runs STARTTLS's
    # handshake while its reader thread still reads the socket, and with
    # two IMAP repositories (IMAP<->IMAP) the handshake lost bytes to that
    # race in CI ("tlsv1 alert protocol version", then a 3-minute hang).
    # "localhost": offlineimap3 matches the certificate by DNS name only.
    return ("type = IMAP\nremotehost = %(host)s\nremoteport = %(port)s\n"
            "remoteuser = %(user)s\nremotepass = %(pw)s\nssl = yes\n"
            "sslcacertfile = %(ca)s\n"
            % {"host": "localhost", "port": server.env["DOVECOT_IMAPS_PORT"], "user": user,
               "pw": password, "ca": server.env["DOVECOT_CA"]})


class Account:
    def __init__(self, server, root, user, password, local_user=None):
        """@local_user: (user, password) of a second Dovecot user as the
        local repository (IMAP<->IMAP), else a Maildir."""
        self.server, self.user, self.password = server, user, password
        self.local_user = local_user
        self.home = os.path.join(root, user)
        self.mail = os.path.join(self.home, "Mail")
        os.makedirs(self.mail)
        if local_user:
            local = imap_repository(server, *local_user)
        else:
            local = "type = Maildir\nlocalfolders = %s/Mail\ncustomflag_a = $Label1\n" % self.home
        with open(os.path.join(self.home, ".offlineimaprc"), "w") as f:
            f.write("[general]\naccounts = Test\nmetadata = %(home)s/meta\nui = basic\n\n"
                    "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n\n"
                    "[Repository Local]\n%(local)s\n"
                    "[Repository Remote]\n%(remote)s"
                    % {"home": self.home, "local": local, "remote": imap_repository(server, user, password)})

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

    def server_keywords(self, user=None):
        """subject tag -> set of keywords (non-system flags) on the server
        (@user: (user, password) of another account there)"""
        if user:
            conn = self.server.imap(*user)
            conn.select("INBOX")
        else:
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

    def status_rows(self, column="flags"):
        db = sqlite3.connect(os.path.join(self.home, "meta", "Account-Test", "LocalStatus-sqlite", "INBOX"))
        try:
            return dict(db.execute("SELECT id, %s FROM status" % column).fetchall())
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
    # its own flip-flop with unknown letters), keeps customflag_a's.  Its
    # runs here (and below) set up what mailsync then continues from, so
    # they run in the sanitizer build too.
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
        TAP.skip("mailsync brings back the letter offlineimap3 stripped",
                 "offlineimap3 is not installed: the status is not read by it")

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


def client_stores(p):
    """the STORE commands in a -d imap run's output"""
    return [l for l in p.out.splitlines() if " C: " in l and " STORE " in l]


def store(server, user, tag, op, keywords):
    """UID STORE @op FLAGS (@keywords) on the message of subject @tag"""
    conn = server.imap(*user)
    conn.select("INBOX")
    typ, data = conn.uid("SEARCH", "SUBJECT", tag)
    uid = data[0].split()[0].decode()
    typ, data = conn.uid("STORE", uid, op + "FLAGS", "(%s)" % keywords)
    conn.logout()
    return typ == "OK"


def scenario_imap_imap(server, root, remote, local):
    """IMAP<->IMAP: the local repository is another Dovecot user, behind
    offlineimap's UID map; the status keeps keywords by name in the labels
    column (no letters), which offlineimap3 reads and keeps."""
    acc = Account(server, root, remote[0], remote[1], local_user=local)
    conn = acc.imap()
    for tag in ("ia", "ib"):
        typ, data = conn.append("INBOX", "(\\Seen)", None, message(tag))
        assert typ == "OK", data
    conn.logout()
    check(store(server, remote, "ia", "+", "$Junk"), "IMAP<->IMAP: the remote takes $Junk")

    p = acc.run()
    check(p.returncode == 0, "IMAP<->IMAP: first sync exits 0", p.out)
    check(acc.server_keywords(local) == {"ia": {"$Junk"}, "ib": set()},
          "IMAP<->IMAP: a remote keyword is on the local server", acc.server_keywords(local))
    check(acc.status_rows() == {1: "S", 2: "S"} and acc.status_rows("labels") == {1: "$Junk", 2: ""},
          "IMAP<->IMAP: the status has no letters, the keyword by name in the labels column",
          (acc.status_rows(), acc.status_rows("labels")))

    # local add (on the local server, through its own UIDs), remote add of
    # another keyword on the other message
    check(store(server, local, "ib", "+", "$Label1"), "IMAP<->IMAP: the local server takes $Label1")
    check(store(server, remote, "ia", "+", "$Forwarded"), "IMAP<->IMAP: the remote takes $Forwarded")
    p = acc.run()
    check(p.returncode == 0, "IMAP<->IMAP: second sync exits 0", p.out)
    both = {"ia": {"$Junk", "$Forwarded"}, "ib": {"$Label1"}}
    check(acc.server_keywords() == both, "IMAP<->IMAP: a local keyword reaches the remote", acc.server_keywords())
    check(acc.server_keywords(local) == both, "IMAP<->IMAP: a remote keyword reaches the local server",
          acc.server_keywords(local))
    labels = acc.status_rows("labels")
    check(set(labels[1].split(", ")) == {"$Junk", "$Forwarded"} and labels[2] == "$Label1",
          "IMAP<->IMAP: the labels column has both sides' keywords", labels)

    # removals both ways
    check(store(server, remote, "ia", "-", "$Junk"), "IMAP<->IMAP: $Junk removed on the remote")
    check(store(server, local, "ib", "-", "$Label1"), "IMAP<->IMAP: $Label1 removed locally")
    p = acc.run()
    check(p.returncode == 0, "IMAP<->IMAP: third sync exits 0", p.out)
    one = {"ia": {"$Forwarded"}, "ib": set()}
    check(acc.server_keywords() == one and acc.server_keywords(local) == one,
          "IMAP<->IMAP: removals go both ways", (acc.server_keywords(), acc.server_keywords(local)))
    check(acc.status_rows("labels") == {1: "$Forwarded", 2: ""}, "IMAP<->IMAP: status after removals",
          acc.status_rows("labels"))
    p = acc.run([mailsync_tap.MAILSYNC, "-o", "-d", "imap"])
    check(p.returncode == 0 and client_stores(p) == [], "IMAP<->IMAP: a resync stores nothing", client_stores(p))

    if shutil.which("offlineimap"):
        p = acc.run(["offlineimap", "-o", "-u", "basic"])
        if not check(p.returncode == 0 and "ERROR" not in p.out and "Traceback" not in p.out,
                     "IMAP<->IMAP: offlineimap3 reads the status without an error", p.returncode):
            print("\n".join("# " + l for l in p.out.splitlines()))
        check(acc.server_keywords() == one and acc.server_keywords(local) == one,
              "IMAP<->IMAP: offlineimap3 leaves the keywords", (acc.server_keywords(), acc.server_keywords(local)))
        check(acc.status_rows("labels") == {1: "$Forwarded", 2: ""},
              "IMAP<->IMAP: offlineimap3 keeps the labels column", acc.status_rows("labels"))
        # a message offlineimap3 copies gets no keywords from it (it sends
        # system flags only): mailsync adds them on its next run
        conn = acc.imap()
        typ, data = conn.append("INBOX", "($Junk)", None, message("ic"))
        conn.logout()
        p = acc.run(["offlineimap", "-o", "-u", "basic"])
        if not check(p.returncode == 0 and acc.server_keywords(local).get("ic") == set(),
                     "IMAP<->IMAP: offlineimap3 copies a new message without its keyword",
                     (p.returncode, acc.server_keywords(local))):
            print("\n".join("# " + l for l in p.out.splitlines()))
        p = acc.run()
        check(p.returncode == 0 and acc.server_keywords(local).get("ic") == {"$Junk"}
              and acc.server_keywords().get("ic") == {"$Junk"},
              "IMAP<->IMAP: mailsync after offlineimap3 adds it locally, keeps it remotely",
              (p.out, acc.server_keywords(local), acc.server_keywords()))
    else:
        TAP.skip("IMAP<->IMAP: mailsync after offlineimap3",
                 "offlineimap3 is not installed: the IMAP<->IMAP status is not read by it")


def scenario_comma(server, root, remote, local):
    """IMAP<->IMAP, a keyword with a comma (an atom may hold one): the
    labels column is comma-separated, so the comma is written %2C; the
    keyword round-trips, its removal on one side reaches the other (it
    was left out of the row before, so the removal read as an addition on
    the other side and was undone), and offlineimap3 reads the status."""
    acc = Account(server, root, remote[0], remote[1], local_user=local)
    conn = acc.imap()
    for tag in ("ca", "cb"):
        typ, data = conn.append("INBOX", "(\\Seen)", None, message(tag))
        assert typ == "OK", data
    conn.logout()
    if not check(store(server, remote, "ca", "+", "a,b $Junk"), "comma: the remote takes the keyword a,b"):
        return
    p = acc.run()
    check(p.returncode == 0, "comma: first sync exits 0", p.out)
    check(acc.server_keywords(local).get("ca") == {"a,b", "$Junk"},
          "comma: the keyword reaches the local server whole", acc.server_keywords(local))
    labels = acc.status_rows("labels")
    check(set(labels.get(1, "").split(", ")) == {"a%2Cb", "$Junk"},
          "comma: the labels column has it as a%2Cb (one label for offlineimap3)", labels)
    check(store(server, local, "ca", "-", "a,b"), "comma: a,b removed on the local server")
    p = acc.run()
    check(p.returncode == 0, "comma: second sync exits 0", p.out)
    want = {"ca": {"$Junk"}, "cb": set()}
    check(acc.server_keywords() == want and acc.server_keywords(local) == want,
          "comma: the removal reaches the remote, not undone", (acc.server_keywords(), acc.server_keywords(local)))
    check(store(server, remote, "cb", "+", "x,y,z"), "comma: the remote takes x,y,z")
    p = acc.run()
    check(p.returncode == 0 and acc.server_keywords(local).get("cb") == {"x,y,z"}
          and acc.status_rows("labels").get(2) == "x%2Cy%2Cz",
          "comma: x,y,z reaches the local server, one label in the status",
          (p.out[-400:], acc.server_keywords(local), acc.status_rows("labels")))
    p = acc.run([mailsync_tap.MAILSYNC, "-o", "-d", "imap"])
    check(p.returncode == 0 and client_stores(p) == [], "comma: a resync stores nothing", client_stores(p))
    if shutil.which("offlineimap"):
        p = acc.run(["offlineimap", "-o", "-u", "basic"])
        check(p.returncode == 0 and "ERROR" not in p.out and "Traceback" not in p.out
              and acc.status_rows("labels").get(2) == "x%2Cy%2Cz",
              "comma: offlineimap3 reads the status, keeps the label", (p.returncode, p.out[-600:],
                                                                        acc.status_rows("labels")))
        p = acc.run([mailsync_tap.MAILSYNC, "-o", "-d", "imap"])
        check(p.returncode == 0 and client_stores(p) == [] and acc.server_keywords(local).get("cb") == {"x,y,z"},
              "comma: mailsync after offlineimap3 stores nothing", client_stores(p))
    else:
        TAP.skip("comma: offlineimap3 reads the status", "offlineimap3 is not installed")


def scenario_overflow(server, root, user, password):
    """27 keywords in one folder: a Maildir has 25 letters left (a is
    customflag_a's): one warning names the 2 extras, the server keeps all
    27 after two syncs."""
    acc = Account(server, root, user, password)
    conn = acc.imap()
    for tag in ("o1", "o2"):
        typ, data = conn.append("INBOX", "(\\Seen)", None, message(tag))
        assert typ == "OK", data
    conn.logout()
    first = " ".join("$k%02d" % i for i in range(1, 15))
    second = " ".join("$k%02d" % i for i in range(15, 28))
    check(store(server, (user, password), "o1", "+", first) and store(server, (user, password), "o2", "+", second),
          "overflow: the server takes 27 keywords")
    want = {"o1": set(first.split()), "o2": set(second.split())}
    check(acc.server_keywords() == want, "overflow: the server lists 27 keywords", acc.server_keywords())
    p = acc.run()
    warnings = [l for l in p.out.splitlines() if "Keywords not stored" in l]
    check(p.returncode == 0, "overflow: first sync exits 0", p.out)
    # The letters are given in UID order before the two deliveries run
    # (in parallel): o1's 14 and o2's first 11 get b-z, o2's $k26 $k27 are
    # the extras, in every run (before, o1's $k13 $k14 were when o2 was
    # delivered first).
    names = [l.split()[1] for l in acc.keywords_file().splitlines()]
    extras = sorted((set(first.split()) | set(second.split())) - set(names))
    named = sorted(re.findall(r"\$k\d\d", warnings[0])) if len(warnings) == 1 else None
    check(len(warnings) == 1 and extras == ["$k26", "$k27"] and named == extras,
          "overflow: one warning names the extras, the last two in UID order", (warnings, extras))
    check(names == ["$k%02d" % i for i in range(1, 26)],
          "overflow: dovecot-keywords holds 25 (b-z) in UID order", names)
    check(acc.server_keywords() == want, "overflow: the server keeps all 27 after one sync", acc.server_keywords())
    p = acc.run()
    check(p.returncode == 0, "overflow: second sync exits 0", p.out)
    check(acc.server_keywords() == want, "overflow: the server keeps all 27 after two syncs", acc.server_keywords())
    files = acc.files()
    # each file: S plus one letter per keyword of its own that got a letter
    check(len(files["o1"][1]) == 1 + len(set(first.split()) - set(extras))
          and len(files["o2"][1]) == 1 + len(set(second.split()) - set(extras)),
          "overflow: letters in the file names", (files, extras))


ORDER_MESSAGES = 16
ORDER_RUNS = 8


def order_run(server, home, user, password, names, extra=None):
    """One mailsync run of accounts @names, each from @user's mailbox into
    a fresh Maildir home/<name>."""
    os.makedirs(home)
    with open(os.path.join(home, ".offlineimaprc"), "w") as f:
        f.write("[general]\naccounts = %s\nmetadata = %s/meta\nui = basic\n\n" % (", ".join(names), home))
        for name in names:
            os.makedirs(os.path.join(home, name))
            f.write("[Account %(n)s]\nlocalrepository = L%(n)s\nremoterepository = R%(n)s\n\n"
                    "[Repository L%(n)s]\ntype = Maildir\nlocalfolders = %(home)s/%(n)s\n\n"
                    "[Repository R%(n)s]\n%(remote)s\n"
                    % {"n": name, "home": home, "remote": imap_repository(server, user, password)})
    return order_again(home, extra)


def order_again(home, extra=None):
    env = dict(os.environ, HOME=home, **(extra or {}))
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("G_MESSAGES_DEBUG", None)
    return subprocess.run([mailsync_tap.MAILSYNC, "-o"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)


def order_keywords(folder):
    try:
        with open(os.path.join(folder, "INBOX", "dovecot-keywords")) as f:
            return f.read()
    except FileNotFoundError:
        return None


def scenario_order(server, root, user, password):
    """A download's new keywords get their dovecot-keywords letters in UID
    order, whatever order its parallel deliveries run in (the download
    window delivers on several worker threads; before, the first message
    delivered took the next letter, so two runs on fresh Maildirs could
    letter the same mailbox differently: check-imap-sync.py's "download
    paths" flake of 4080d85). 16 messages with a new keyword each, synced
    by one mailsync run into 8 fresh Maildirs (8 accounts): every folder's
    file is the same, in UID order (the check failed in 5 of 5 runs before).
    A run killed once the letters are written, before any delivery: the
    next run keeps them and letters its files with them. Then keywords new
    to the folder added on the server to 8 of the messages: the local
    keyword stores run in parallel too, and letter them in UID order."""
    conn = server.imap(user, password)
    for i in range(1, ORDER_MESSAGES + 1):
        typ, data = conn.append("INBOX", "(\\Seen $o%02d)" % i, None, message("o%02d" % i))
        assert typ == "OK", data
    conn.logout()
    want = "".join("%d $o%02d\n" % (i - 1, i) for i in range(1, ORDER_MESSAGES + 1))
    home = os.path.join(root, "order")
    names = ["T%d" % n for n in range(ORDER_RUNS)]
    p = order_run(server, home, user, password, names)
    check(p.returncode == 0, "order: %d syncs exit 0" % ORDER_RUNS, p.stdout)
    differ = {n: order_keywords(os.path.join(home, n)) for n in names}
    differ = {n: v for n, v in differ.items() if v != want}
    check(not differ, "order: every fresh Maildir letters the keywords in UID order",
          "%d of %d differ; %r" % (len(differ), ORDER_RUNS, differ))
    label = "order: a run killed between the letters and the deliveries"
    if mailsync_tap.TEST_HOOKS:
        order_killed(server, root, user, password, want, label)
    else:
        TAP.skip(label, mailsync_tap.NO_HOOKS)
    # keywords new to the folder set on its messages: the local stores
    # run in parallel too (one per keyword change), their letters in UID
    # order as well
    conn = server.imap(user, password)
    conn.select("INBOX")
    for i in range(1, ORDER_MESSAGES // 2 + 1):
        typ, data = conn.uid("STORE", str(i), "+FLAGS", "($q%02d)" % i)
        assert typ == "OK", data
    conn.logout()
    more = want + "".join("%d $q%02d\n" % (ORDER_MESSAGES + i - 1, i) for i in range(1, ORDER_MESSAGES // 2 + 1))
    p = order_again(home)
    differ = {n: order_keywords(os.path.join(home, n)) for n in names}
    differ = {n: v for n, v in differ.items() if v != more}
    check(p.returncode == 0 and not differ, "order: keywords stored on local messages are lettered in UID order",
          "%d of %d differ; %r %s" % (len(differ), ORDER_RUNS, differ, p.stdout))


def order_killed(server, root, user, password, want, label):
    """scenario_order's run killed once the letters are written"""
    home = os.path.join(root, "order-killed")
    folder = os.path.join(home, "K", "INBOX")
    p = order_run(server, home, user, password, ["K"], {"MAILSYNC_CRASH_AT": "runner-keywords-reserved:1"})
    delivered = [n for sub in ("cur", "new", "tmp") for n in os.listdir(os.path.join(folder, sub))]
    check(p.returncode != 0 and order_keywords(os.path.join(home, "K")) == want and delivered == [],
          label + ": the letters written, no file", (p.returncode, order_keywords(os.path.join(home, "K")),
                                                     delivered, p.stdout))
    p = order_again(home)
    acc = Account.__new__(Account)  # for its files() of that Maildir
    acc.mail = os.path.join(home, "K")
    files = acc.files()
    bad = {t: l for t, (_, l) in files.items() if l != "S" + chr(ord("a") + int(t[1:]) - 1)}
    check(p.returncode == 0 and order_keywords(os.path.join(home, "K")) == want and len(files) == ORDER_MESSAGES
          and not bad, label + ": the next run keeps them and letters each file with its own",
          (p.returncode, order_keywords(os.path.join(home, "K")), bad or files, p.stdout))

def scenario_case_and_upload(server, root, user, password):
    """$junk in dovecot-keywords and $Junk on the server are one keyword;
    a new local message's keywords go up with its APPEND, and an upload
    interrupted after the APPEND is recorded with them."""
    acc = Account(server, root, user, password)
    conn = acc.imap()
    typ, data = conn.append("INBOX", "(\\Seen)", None, message("kc"))
    conn.logout()
    p = acc.run()
    check(p.returncode == 0 and acc.files()["kc"][1] == "S", "case: first sync", p.out)
    # another program's letter for "$junk" locally, $Junk on the server
    with open(os.path.join(acc.mail, "INBOX", "dovecot-keywords"), "w") as f:
        f.write("3 $junk\n")
    acc.set_letters("kc", "Sd")
    check(store(server, (user, password), "kc", "+", "$Junk"), "case: the server takes $Junk")
    p = acc.run([mailsync_tap.MAILSYNC, "-o", "-d", "imap"])
    check(p.returncode == 0, "case: sync exits 0", p.out)
    stores = client_stores(p)
    check(stores == [], "case: $junk and $Junk are one keyword: nothing stored on the server", stores)
    check(acc.files()["kc"][1] == "Sd" and acc.keywords_file() == "3 $junk\n",
          "case: the local letter stays, no new dovecot-keywords entry", (acc.files(), acc.keywords_file()))
    check(acc.server_keywords()["kc"] == {"$Junk"}, "case: the server has one keyword", acc.server_keywords())
    check(acc.status_rows() == {1: "Sd"}, "case: the status records it", acc.status_rows())

    # a new local message with customflag_a's letter: the APPEND carries $Label1
    cur = os.path.join(acc.mail, "INBOX", "cur")
    with open(os.path.join(cur, "1700000000.up1.host:2,Sa"), "wb") as f:
        f.write(message("up1"))
    p = acc.run()
    check(p.returncode == 0, "upload: sync exits 0", p.out)
    check(acc.server_keywords().get("up1") == {"$Label1"}, "upload: the keyword goes up with the message",
          acc.server_keywords())
    p = acc.run()
    check(p.returncode == 0 and acc.files()["up1"][1] == "Sa", "upload: the next sync keeps the letter",
          (p.out, acc.files()))

    # interrupted after the APPEND: the next run finds the copy by content
    # and records the keywords both copies have, so it sends nothing again
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("recovery after a crash at runner-upload-appended", mailsync_tap.NO_HOOKS)
        return
    with open(os.path.join(cur, "1700000001.up2.host:2,Sa"), "wb") as f:
        f.write(message("up2"))
    env_run = dict(os.environ, HOME=acc.home, MAILSYNC_CRASH_AT="runner-upload-appended")
    env_run.pop("XDG_CONFIG_HOME", None)
    p = subprocess.run([mailsync_tap.MAILSYNC, "-o"], env=env_run, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    check(p.returncode != 0 and acc.server_keywords().get("up2") == {"$Label1"},
          "recovery: the run stops after the APPEND, which carried the keyword", (p.returncode, p.stdout[-2000:]))
    p = acc.run()
    rows = acc.status_rows()
    up2 = [uid for uid, fl in rows.items() if uid not in (1,) and acc.files()["up2"][0].find("U=%d," % uid) >= 0]
    check(p.returncode == 0 and len(up2) == 1 and rows[up2[0]] == "Sa",
          "recovery: the recovered upload's status row has the keyword", (p.out, rows, acc.files()))
    p = acc.run([mailsync_tap.MAILSYNC, "-o", "-d", "imap"])
    stores = client_stores(p)
    check(p.returncode == 0 and stores == [], "recovery: the next run sends no keyword again", stores)
    check(len([t for t in acc.server_keywords() if t == "up2"]) == 1, "recovery: one copy on the server",
          acc.server_keywords())


def scenario_permanentflags(root):
    """A test of the client against the scripted server, whose
    PERMANENTFLAGS has no \\* and lists $Junk only: $Label1 (a local
    letter) is never sent, neither by STORE nor in an APPEND, and not
    again on the next sync; $Junk is sent once; the local letter stays."""
    server = scripted_imap.ScriptedImapServer()
    server.permanentflags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk"
    server.mailboxes["INBOX"].add(message("p1"), ["\\Seen"])
    try:
        home = os.path.join(root, "permanentflags")
        mail = os.path.join(home, "Mail")
        os.makedirs(mail)
        with open(os.path.join(home, ".offlineimaprc"), "w") as f:
            f.write("[general]\naccounts = Test\nmetadata = %(home)s/meta\nui = basic\n\n"
                    "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n\n"
                    "[Repository Local]\ntype = Maildir\nlocalfolders = %(home)s/Mail\ncustomflag_a = $Label1\n\n"
                    "[Repository Remote]\ntype = IMAP\nremotehost = 127.0.0.1\nremoteport = %(port)d\n"
                    "remoteuser = u\nremotepass = pw\nssl = no\nstarttls = no\n"
                    % {"home": home, "port": server.port})
        env = dict(os.environ, HOME=home)
        env.pop("XDG_CONFIG_HOME", None)

        def run():
            return subprocess.run([mailsync_tap.MAILSYNC, "-o"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=120)

        p = run()
        cur = os.path.join(mail, "INBOX", "cur")
        names = os.listdir(cur)
        check(p.returncode == 0 and len(names) == 1, "PERMANENTFLAGS: first sync", p.stdout)
        with open(os.path.join(mail, "INBOX", "dovecot-keywords"), "w") as f:
            f.write("1 $Junk\n")
        os.rename(os.path.join(cur, names[0]), os.path.join(cur, names[0].split(":2,")[0] + ":2,Sab"))
        with open(os.path.join(cur, "1700000000.p2.host:2,Sa"), "wb") as f:
            f.write(message("p2"))
        p = run()
        check(p.returncode == 0, "PERMANENTFLAGS: second sync exits 0", p.stdout)
        stores = server.commands(r"STORE")
        appends = server.commands(r"APPEND")
        check(len(stores) == 1 and "$Junk" in stores[0] and "$Label1" not in stores[0],
              "PERMANENTFLAGS: the keyword it lists is stored, the other never sent", stores)
        check(len(appends) == 1 and "$Label1" not in appends[0], "PERMANENTFLAGS: nor in an APPEND", appends)
        flags = {m[0]: m[1] for m in server.mailboxes["INBOX"].messages}
        check(flags == {1: {"\\Seen", "$Junk"}, 2: {"\\Seen"}}, "PERMANENTFLAGS: the server's flags", flags)
        p = run()
        check(p.returncode == 0 and len(server.commands(r"STORE")) == 1,
              "PERMANENTFLAGS: nothing is sent again on the next sync", server.commands(r"STORE"))
        letters = sorted(n.split(":2,")[1] for n in os.listdir(cur))
        check(letters == ["Sa", "Sab"], "PERMANENTFLAGS: the local letters stay (no removal read)", letters)
    finally:
        server.close()


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-keywords-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        scenario_permanentflags(root)
        server = mailsync_tap.Dovecot(os.path.join(root, "dovecot"),
                                      [("kw1", "pw-kw1"), ("kw2", "pw-kw2"), ("kw3", "pw-kw3"),
                                       ("kw4", "pw-kw4"), ("kw5", "pw-kw5"), ("kw6", "pw-kw6"),
                                       ("kw7", "pw-kw7"), ("kw8", "pw-kw8")])
        scenario(server, root, "kw1", "pw-kw1")
        scenario_imap_imap(server, root, ("kw2", "pw-kw2"), ("kw3", "pw-kw3"))
        scenario_comma(server, root, ("kw6", "pw-kw6"), ("kw7", "pw-kw7"))
        scenario_overflow(server, root, "kw4", "pw-kw4")
        scenario_case_and_upload(server, root, "kw5", "pw-kw5")
        scenario_order(server, root, "kw8", "pw-kw8")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
