#!/usr/bin/env python3
"""maxconnections (issue 13 item 5, doc/design.md "maxconnections"): an
account syncs its folders concurrently, one connection per folder, up to
the IMAP repository's maxconnections, against a private Dovecot, seen
through a relay in front of it that notes, per connection, when each
SELECT went out and each tagged answer came back.

- overlap: with maxconnections = 2, two connections sync two different
  folders at the same time (each SELECTed on its own connection, the
  commands of one in flight while the other's are); every message
  arrives, a second run changes nothing. With maxconnections = 1 the
  same account uses one connection (the old way).
- handover: with maxconnections = 2 three folders start before the
  first ends (one folder sync more than connections, each connection
  handed on once a folder's last server command is answered), still on
  two connections; a local flag goes out under its own folder's SELECT;
  every change arrives both ways, a second run changes nothing.
- order: `-u machineui` with maxconnections = 2 prints each folder's
  lines in the same order as a maxconnections = 1 run of the same
  account does (folders' lines interleave, a folder's own never swap),
  and FOLDER_STARTED's "n of total" still count up; the folder that
  makes the second connection says `connecting` from its own thread, as
  offlineimap does when a folder thread makes a new connection (right
  after its local listing's end, right before its remote listing's
  start), and no other does.
- repository error: when every connection after the first is cut by the
  relay, the folder sync that needs a second connection fails with a
  connection error, the other folder sync is stopped, and the run ends
  (exit status not 0, no crash, well within its deadline); a run through
  a working relay then syncs everything.
- clash: a folder name clash (decided before anything syncs) with
  maxconnections 3 ends the account as with one connection: the same
  folders sync, the same exit status, no folder cancelled.
- IMAP<->IMAP: the local IMAP's maxconnections 1 limits the folder
  syncs (one remote connection although the remote allows 3).
- cancel last: a cancel as the last folder to sync ends, with folders
  the filter passes over after it, fails the sync CANCELLED.
- dry-run probe: the unchanged check's STATUS without a cached stamp
  goes on the folder's own connection, the one that then SELECTs it.
- kill: a run killed while connections are handed on (a folder's
  downloads held or committed), a server expunge, a rerun: no message
  lost or doubled, a third run changes nothing.
- async: mailsync_account_sync_async() (PyGObject) with max-connections
  2: every event on the caller's main loop, each folder's between its
  FOLDER_STARTED and FOLDER_FINISHED, the folders overlapping, the
  callback after the last event (SKIP without PyGObject or the typelib).

Skipped (1..0 # SKIP) when Dovecot or the mailsync binary is missing."""

import email
import imaplib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import mailsync_tap
from mailsync_tap import MAILSYNC, harness

TAP = mailsync_tap.Tap(1500)
check = TAP.check

FOLDERS = ("INBOX", "Aa", "Bb", "Cc")
MESSAGES = 120
CLASH_MESSAGES = 400
TAGGED = re.compile(rb"^(\S+) (OK|NO|BAD)\b")
COMMAND = re.compile(rb"^(\S+) (?:UID )?([A-Za-z]+)(?: (.*))?$")


class Relay:
    """A TCP relay to (host, port) that notes per connection the client's
    commands (tag, verb, argument, time sent) and the server's tagged
    answers (tag, time). With @cut_after, connections after that many
    are closed at once (a server that refuses a second session)."""

    def __init__(self, host, port, cut_after=None):
        self.upstream = (host, int(port))
        self.cut_after = cut_after
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.sessions = []
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                n = len(self.sessions)
                session = {"commands": [], "answers": {}, "cut": False}
                self.sessions.append(session)
            if self.cut_after is not None and n >= self.cut_after:
                session["cut"] = True
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self.pump, args=(client, server, session, True), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, session, False), daemon=True).start()

    def note(self, session, line, from_client):
        now = time.monotonic()
        with self.lock:
            if from_client:
                m = COMMAND.match(line)
                if m:
                    session["commands"].append((m.group(1), m.group(2).upper(), m.group(3) or b"", now))
            else:
                m = TAGGED.match(line)
                if m:
                    session["answers"].setdefault(m.group(1), now)

    def pump(self, src, dst, session, from_client):
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                buf += data
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    # long literal text (message bodies) is not a command
                    if len(line) < 2000:
                        self.note(session, line, from_client)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def take(self):
        with self.lock:
            sessions, self.sessions = self.sessions, []
        return sessions

    def close(self):
        self.listener.close()


def selections(session):
    """The folders a connection SELECTed, each as (mailbox, start, end):
    from its SELECT going out to the last tagged answer before the next
    SELECT (or the end of the session)."""
    out = []
    commands = session["commands"]
    for i, (tag, verb, arg, sent) in enumerate(commands):
        if verb not in (b"SELECT", b"EXAMINE"):
            continue
        end = sent
        for tag2, verb2, _, _ in commands[i:]:
            if verb2 in (b"SELECT", b"EXAMINE", b"LOGOUT") and tag2 != tag:
                break
            end = max(end, session["answers"].get(tag2, end))
        mailbox = arg.split(b" (")[0].strip(b'"')
        out.append((mailbox, sent, end))
    return out


def overlapping(sessions):
    """Pairs of different folders SELECTed on two connections at once."""
    found = []
    sel = [selections(s) for s in sessions]
    for i in range(len(sel)):
        for j in range(i + 1, len(sel)):
            for a in sel[i]:
                for b in sel[j]:
                    if a[0] != b[0] and a[1] < b[2] and b[1] < a[2]:
                        found.append((a[0], b[0]))
    return found


CONFIG = """[general]
accounts = Test
metadata = %(home)s/meta

[Account Test]
localrepository = Local
remoterepository = Remote

[Repository Local]
type = Maildir
localfolders = %(home)s/mail

[Repository Remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = %(port)s
ssl = no
starttls = no
remoteuser = %(user)s
remotepass = %(password)s
maxconnections = %(maxconn)s
retrycount = %(retry)s
"""

# two remote folders that nametrans maps to one local name
CLASH_NAMETRANS = "nametrans = lambda f: 'Bc' if f.startswith('Bc') else f\n"


def write_config(root, name, port, user, password, maxconn, retry=2, fresh=True, extra=""):
    home = os.path.join(root, name)
    if fresh:
        shutil.rmtree(home, ignore_errors=True)
    os.makedirs(os.path.join(home, "mail"), exist_ok=True)
    path = os.path.join(root, name + ".conf")
    with open(path, "w") as f:
        f.write(CONFIG % {"home": home, "port": port, "user": user, "password": password, "maxconn": maxconn,
                          "retry": retry} + extra)
    return path, home


def run(config, *args, timeout=300, env=None):
    t0 = time.monotonic()
    p = subprocess.run([MAILSYNC, "-c", config, "-o"] + list(args), stdin=subprocess.DEVNULL, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def rerun_basic(config):
    """One run with the basic UI (it prints a held-back upload's warning,
    which mailsync_tap.rerun_until_uploaded() looks for) and a grace of
    mailsync_tap.UPLOAD_GRACE seconds, as a finished process."""
    env = dict(os.environ, MAILSYNC_TEST_UPLOAD_GRACE=mailsync_tap.UPLOAD_GRACE)
    rc, out, err, _ = run(config, "-u", "basic", env=env)
    return subprocess.CompletedProcess([], rc, out, err)


def local_count(home):
    n = {}
    for folder in FOLDERS:
        d = os.path.join(home, "mail", folder)
        n[folder] = sum(len(os.listdir(os.path.join(d, sub))) for sub in ("cur", "new")
                        if os.path.isdir(os.path.join(d, sub)))
    return n


def fill(server, user):
    for folder in FOLDERS:
        harness("fill", server.dir, user, folder, str(MESSAGES), "--sizes", "small", "--seed", "7")


def scenario_overlap(server, root):
    user, password = server.new_user()
    fill(server, user)
    relay = Relay(server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"])
    try:
        conf, home = write_config(root, "one", relay.port, user, password, 1)
        rc, out, err, _ = run(conf, "-u", "quiet")
        one = relay.take()
        check("maxconnections 1: the sync exits 0", rc == 0, err)
        check("maxconnections 1: one connection", len(one) == 1, len(one))
        check("maxconnections 1: every message arrives", local_count(home) == {f: MESSAGES for f in FOLDERS},
              local_count(home))

        conf, home = write_config(root, "two", relay.port, user, password, 2)
        rc, out, err, _ = run(conf, "-u", "quiet")
        two = relay.take()
        check("maxconnections 2: the sync exits 0, no warning about maxconnections",
              rc == 0 and "maxconnections" not in out + err, (rc, out, err))
        check("maxconnections 2: two connections", len(two) == 2, len(two))
        both = overlapping(two)
        check("maxconnections 2: two folders SELECTed on two connections at once", both,
              [[(m, round(s, 3), round(e, 3)) for m, s, e in selections(x)] for x in two])
        selected = set()
        for s in two:
            selected |= {m for m, _, _ in selections(s)}
        check("maxconnections 2: every folder SELECTed", selected >= {f.encode() for f in FOLDERS}, selected)
        check("maxconnections 2: every message arrives", local_count(home) == {f: MESSAGES for f in FOLDERS},
              local_count(home))
        rc, out, err, _ = run(conf, "-u", "machineui")
        relay.take()
        check("maxconnections 2: a second run exits 0 and copies nothing",
              rc == 0 and "copyingmessage" not in out, (rc, out[-1500:], err))
    finally:
        relay.close()


def handed_on_early(sessions, lines):
    """Whether on one connection a folder SELECTed after folder X had
    its server listing loaded (machineui's messagelistloaded of the
    remote) before X's folder sync ended (its threadExited): only a
    connection handed back before X's end allows it, as X's end is said
    before a lease held to the end is released."""
    def first(test):
        return next((i for i, line in enumerate(lines) if test(line)), None)

    for session in sessions:
        order = [m.decode() for m, _, _ in selections(session)]
        for x, y in zip(order, order[1:]):
            ended = first(lambda line: line.startswith("msg:threadExited:") and ":Folder+%s+" % x in line)
            loaded = first(lambda line: line.startswith("msg:messagelistloaded:Folder+%s+" % y) and
                           ":IMAP%%0A%s%%0A" % y in line)
            if ended is not None and loaded is not None and loaded < ended:
                return True
    return False


def scenario_handover(server, root):
    """Connections handed on (doc/design.md "session 17"): with
    maxconnections 2 over a Maildir one folder sync more than connections
    runs; each leases its connection when it first needs the server and
    hands it back once its last server command is answered, while it
    writes its files. Three folders start before the first ends, on two
    connections still; a folder with a change for the server (a flag set
    locally) sends it on its own SELECT; everything arrives both ways and
    a second run changes nothing."""
    user, password = server.new_user()
    fill(server, user)
    host, port = server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"]
    relay = Relay(host, port)
    try:
        conf, home = write_config(root, "handover", relay.port, user, password, 2)
        rc, out, err, _ = run(conf, "-u", "quiet")
        relay.take()
        check("handover: the first sync exits 0", rc == 0, err)
        imap = imaplib.IMAP4(host, int(port))
        imap.login(user, password)
        for folder in FOLDERS:
            for i in range(3):
                imap.append(folder, None, None,
                            b"From: a@example.org\r\nSubject: new %d in %s\r\n\r\nbody\r\n" % (i, folder.encode()))
        imap.logout()
        cur = os.path.join(home, "mail", "Bb", "cur")
        name = next(n for n in sorted(os.listdir(cur)) if "F" not in n.partition(":2,")[2])
        uid = re.search(r",U=(\d+)", name).group(1)
        base, _, flags = name.partition(":2,")
        os.rename(os.path.join(cur, name), os.path.join(cur, base + ":2," + "".join(sorted(set(flags + "F")))))

        # the first folder sync that hands its connection back pauses
        # right after (a slow disk), so the folder that takes the
        # connection next lists its server side before that one ends
        env = dict(os.environ, MAILSYNC_TEST_HANDBACK_PAUSE="5") if mailsync_tap.TEST_HOOKS else None
        rc, out, err, _ = run(conf, "-u", "machineui", env=env)
        sessions = relay.take()
        check("handover: the resync exits 0", rc == 0, (out[-1500:], err))
        if mailsync_tap.TEST_HOOKS:
            check("handover: a connection handed back early serves the next folder before the first folder's sync ends",
                  handed_on_early(sessions, out.splitlines()),
                  ([[m for m, _, _ in selections(x)] for x in sessions],
                   [line[:100] for line in out.splitlines() if "messagelistloaded" in line or "threadExited" in line]))
        else:
            TAP.skip("handover: a connection handed back early serves the next folder before the first folder's sync ends",
                     mailsync_tap.NO_HOOKS)
        check("handover: two connections at most", 1 <= len(sessions) <= 2, len(sessions))
        lines = out.splitlines()
        started = [i for i, line in enumerate(lines) if line.startswith("msg:syncingfolder:")]
        ended = [i for i, line in enumerate(lines) if line.startswith("msg:threadExited:") and "Folder" in line]
        check("handover: with maxconnections 2 three folders start before the first ends",
              len(started) >= 3 and ended and started[2] < ended[0],
              [line[:90] for line in lines if "syncingfolder" in line or "threadExited" in line])
        wrong = []
        for session in sessions:
            selected = None
            for tag, verb, arg, _ in session["commands"]:
                if verb in (b"SELECT", b"EXAMINE"):
                    selected = arg.split(b" (")[0].strip(b'"')
                elif verb in (b"STORE", b"EXPUNGE") and selected != b"Bb":
                    wrong.append((tag, verb, arg, selected))
        check("handover: the local flag goes out under its own folder's SELECT", not wrong, wrong)
        check("handover: every new message arrives", local_count(home) == {f: MESSAGES + 3 for f in FOLDERS},
              local_count(home))
        imap = imaplib.IMAP4(host, int(port))
        imap.login(user, password)
        imap.select("Bb", readonly=True)
        typ, data = imap.uid("SEARCH", "UID", uid, "FLAGGED")
        imap.logout()
        check("handover: the server has the flag", typ == "OK" and data[0].split() == [uid.encode()], (uid, typ, data))
        rc, out, err, _ = run(conf, "-u", "machineui")
        relay.take()
        check("handover: a second run exits 0 and changes nothing",
              rc == 0 and "copyingmessage" not in out and "addingflags" not in out, (rc, out[-1500:], err))
    finally:
        relay.close()


def message_ids(home, imap, folder):
    """The Message-IDs of @folder locally and on the server, sorted."""
    local = []
    for sub in ("cur", "new"):
        d = os.path.join(home, "mail", folder, sub)
        for name in os.listdir(d) if os.path.isdir(d) else ():
            with open(os.path.join(d, name), "rb") as f:
                local.append(email.message_from_bytes(f.read()).get("Message-ID"))
    imap.select(folder, readonly=True)
    typ, data = imap.uid("SEARCH", None, "ALL")
    remote = []
    for uid in data[0].split():
        typ, d = imap.uid("FETCH", uid, "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        remote.append(email.message_from_bytes(d[0][1]).get("Message-ID"))
    return sorted(local, key=str), sorted(remote, key=str)


def header_of(path, name):
    with open(path, "rb") as f:
        return email.message_from_bytes(f.read()).get(name)


def local_change(home, folder, kind, tag):
    """One change for the server made in @folder's Maildir: "delete" a
    message, "flag" one (\\Flagged), "upload" a new one (Message-ID
    <@tag.folder@example.org>); "none" makes none. Returns (kind,
    Message-ID) for check_local_changes()."""
    if kind == "none":
        return None
    cur = os.path.join(home, "mail", folder, "cur")
    if kind == "upload":
        path = os.path.join(home, "mail", folder, "new", "%d.%s_%s.host" % (time.time(), tag, folder))
        mid = "<%s.%s@example.org>" % (tag, folder)
        with open(path, "wb") as f:
            f.write(b"From: b@example.org\r\nMessage-ID: %s\r\nSubject: local %s\r\n\r\nbody\r\n" %
                    (mid.encode(), tag.encode()))
        return kind, mid
    name = next(n for n in sorted(os.listdir(cur)) if "F" not in n.partition(":2,")[2])
    path = os.path.join(cur, name)
    mid = header_of(path, "Message-ID")
    if kind == "delete":
        os.unlink(path)
    else:
        base, _, flags = name.partition(":2,")
        os.rename(path, os.path.join(cur, base + ":2," + "".join(sorted(set(flags + "F")))))
    return kind, mid


def check_local_changes(imap, home, changes):
    """What local_change() did is on the server (and still local): a
    deletion gone from both sides, a flag on the server, an upload on
    both sides once. Returns what is not."""
    wrong = []
    for folder, change in changes.items():
        if change is None:
            continue
        kind, mid = change
        local, remote = message_ids(home, imap, folder)
        if kind == "delete" and (mid in local or mid in remote):
            wrong.append((folder, kind, mid, mid in local, mid in remote))
        elif kind == "upload" and (local.count(mid), remote.count(mid)) != (1, 1):
            wrong.append((folder, kind, mid, local.count(mid), remote.count(mid)))
        elif kind == "flag":
            imap.select(folder, readonly=True)
            typ, data = imap.uid("SEARCH", "FLAGGED", "HEADER", "Message-ID", mid)
            if typ != "OK" or len(data[0].split()) != 1:
                wrong.append((folder, kind, mid, typ, data))
    return wrong


def scenario_handover_server_changes(server, root):
    """Connections handed on by folders with changes for the server
    (issue 13 item 2, session 18): a folder whose last server command is
    an APPEND, the deletion's EXPUNGE or a flag's STORE hands its
    connection back once it is answered, while it renames and commits.
    With the first such folder paused right after (a slow disk) the next
    folder on that connection lists the server before it ends; each
    change goes out under its own folder's SELECT and arrives.

    Then, on the same account (one set-up for all), kills while
    connections are handed on (review 2 of the hand-over): each round
    puts 40 new messages in each folder and, per round, makes a change
    of one kind in every folder's Maildir; the run is killed at a point
    after a folder handed its connection on (the downloads held or
    committed, the status committed, the uploads renamed, the server
    deletion flushed, the server flags flushed: the :2 hit, a second
    folder's), the server expunges every second new message of the
    round, a rerun: both sides hold the same Message-IDs, none twice,
    the local changes are on the server, and a third run changes
    nothing."""
    user, password = server.new_user()
    for folder in FOLDERS:
        harness("fill", server.dir, user, folder, "60", "--sizes", "small", "--seed", "3")
    host, port = server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"]
    relay = Relay(host, port)
    imap = None
    try:
        conf, home = write_config(root, "handover-server", relay.port, user, password, 2)
        rc, out, err, _ = run(conf, "-u", "quiet")
        relay.take()
        check("handover, changes for the server: the first sync exits 0", rc == 0, err)
        kinds = dict(zip(FOLDERS, ("delete", "flag", "upload", "delete")))
        changes = {folder: local_change(home, folder, kinds[folder], "h0") for folder in FOLDERS}
        env = dict(os.environ, MAILSYNC_TEST_HANDBACK_PAUSE="5") if mailsync_tap.TEST_HOOKS else None
        rc, out, err, _ = run(conf, "-u", "machineui", env=env)
        sessions = relay.take()
        check("handover, changes for the server: the resync exits 0", rc == 0, (out[-1500:], err))
        if mailsync_tap.TEST_HOOKS:
            check("handover, changes for the server: a connection handed back after a folder's last APPEND, "
                  "EXPUNGE or STORE serves the next folder before that folder's sync ends",
                  handed_on_early(sessions, out.splitlines()),
                  ([[m for m, _, _ in selections(x)] for x in sessions],
                   [line[:100] for line in out.splitlines() if "messagelistloaded" in line or "threadExited" in line]))
        else:
            TAP.skip("handover, changes for the server: a connection handed back after a folder's last APPEND, "
                     "EXPUNGE or STORE serves the next folder before that folder's sync ends", mailsync_tap.NO_HOOKS)
        check("handover, changes for the server: two connections at most", 1 <= len(sessions) <= 2, len(sessions))
        wrong = []
        for session in sessions:
            selected = None
            for tag, verb, arg, _ in session["commands"]:
                if verb in (b"SELECT", b"EXAMINE"):
                    selected = arg.split(b" (")[0].strip(b'"').decode()
                elif verb in (b"STORE", b"EXPUNGE") and kinds.get(selected) not in ("delete", "flag"):
                    wrong.append((tag, verb, arg, selected))
        check("handover, changes for the server: each STORE and EXPUNGE goes out under its own folder's SELECT",
              not wrong, wrong)
        imap = imaplib.IMAP4(host, int(port))
        imap.login(user, password)
        wrong = check_local_changes(imap, home, changes)
        check("handover, changes for the server: the deletions, the flag and the upload are on the server",
              not wrong, wrong)
        rc, out, err, _ = run(conf, "-u", "machineui")
        relay.take()
        check("handover, changes for the server: a second run exits 0 and changes nothing",
              rc == 0 and "copyingmessage" not in out and "addingflags" not in out and "deletingmessage" not in out,
              (rc, out[-1500:], err))

        rounds = (("runner-download-held:2", "none"), ("runner-download-committed:2", "none"),
                  ("runner-status-committed:2", "none"), ("runner-upload-renamed:2", "upload"),
                  ("runner-delete-remote-flushed:2", "delete"), ("runner-flags-remote-flushed:2", "flag"))
        if not mailsync_tap.TEST_HOOKS:
            for point, _ in rounds:
                TAP.skip("kill at %s while connections are handed on" % point, mailsync_tap.NO_HOOKS)
            return
        grace_env = dict(os.environ, MAILSYNC_TEST_UPLOAD_GRACE=mailsync_tap.UPLOAD_GRACE)
        # the sanitizer build: a round of each kind of local change
        rounds = mailsync_tap.sanitized_sample(
            TAP, rounds, lambda r: r[0] not in ("runner-download-committed:2", "runner-status-committed:2"),
            "kill at %s (local change: %s) while connections are handed on")
        for n, (point, kind) in enumerate(rounds, 1):
            label = "kill at %s while connections are handed on" % point
            for folder in FOLDERS:
                for i in range(40):
                    imap.append(folder, None, None, b"From: a@example.org\r\nMessage-ID: <n%d.r%d.%s@example.org>\r\n"
                                b"Subject: new r%d %d in %s\r\n\r\nbody %d\r\n" %
                                (i, n, folder.encode(), n, i, folder.encode(), i))
            changes = {folder: local_change(home, folder, kind, "r%d" % n) for folder in FOLDERS}
            killed, _, kill_err, _ = run(conf, "-u", "quiet", env=dict(grace_env, MAILSYNC_CRASH_AT=point))
            for folder in FOLDERS:
                imap.select(folder)
                typ, data = imap.uid("SEARCH", None, "SUBJECT", '"new r%d "' % n)
                for uid in data[0].split()[::2]:
                    imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
                imap.expunge()
            # A folder whose APPEND was in flight when another folder's
            # thread hit the crash point has an upload with no copy on the
            # server: the rerun holds it back for the grace and exits 1
            # (which folder that is depends on the machine's load), so
            # rerun until it is sent, as every suite that kills uploads.
            last, _ = mailsync_tap.rerun_until_uploaded(lambda: rerun_basic(conf))
            rerun, rerun_err = last.returncode, last.stderr
            differ = {}
            for folder in FOLDERS:
                local, remote = message_ids(home, imap, folder)
                if local != remote or len(set(local)) != len(local):
                    differ[folder] = (len(local), len(remote), sorted(set(local) ^ set(remote), key=str)[:5])
            wrong = check_local_changes(imap, home, changes)
            third, out, third_err, _ = run(conf, "-u", "machineui")
            relay.take()
            check("%s: the killed run is killed (77), the rerun exits 0" % label,
                  (killed, rerun) == (77, 0), (killed, rerun, kill_err[-300:], rerun_err[-500:]))
            check("%s: both sides hold the same messages, none twice" % label, not differ, differ)
            check("%s: the local changes (%s) are on the server" % (label, kind), not wrong, wrong)
            check("%s: a third run changes nothing" % label,
                  third == 0 and "copyingmessage" not in out and "deletingmessage" not in out and
                  "addingflags" not in out,
                  (third, [line for line in out.splitlines() if "copying" in line or "deleting" in line][:5],
                   third_err))
    finally:
        if imap is not None:
            imap.logout()
        relay.close()


def scenario_dry_run_probe(server, root):
    """A STATUS probe of the unchanged check without a cached stamp (here
    --dry-run, which makes no pre-pass) goes on the folder's own leased
    connection (review 2 of the hand-over, Low 4): against a Dovecot
    without LIST-STATUS, with maxconnections 2 and every folder changed
    since the last sync, each folder's STATUS is followed on its
    connection by that folder's SELECT, never sent on a connection
    another folder then goes on using."""
    server = mailsync_tap.DovecotUsers(root, "nols", 1, "noliststatus")
    relay = None
    try:
        user, password = server.new_user()
        fill(server, user)
        host, port = server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"]
        relay = Relay(host, port)
        conf, home = write_config(root, "dryprobe", relay.port, user, password, 2)
        rc, out, err, _ = run(conf, "-u", "quiet")
        imap = imaplib.IMAP4(host, int(port))
        imap.login(user, password)
        for folder in FOLDERS:
            imap.append(folder, None, None, b"From: a@example.org\r\nSubject: dry %s\r\n\r\nbody\r\n" % folder.encode())
        imap.logout()
        relay.take()
        rc2, out, err2, _ = run(conf, "--dry-run", "-u", "quiet")
        sessions = relay.take()
        check("dry-run probe: the sync and the dry run exit 0", (rc, rc2) == (0, 0), (err[-500:], err2[-500:]))
        probes, wrong = 0, []
        for n, session in enumerate(sessions):
            commands = session["commands"]
            for i, (tag, verb, arg, _) in enumerate(commands):
                if verb != b"STATUS":
                    continue
                probes += 1
                mailbox = arg.split(b" (")[0].strip(b'"')
                nxt = next((a.split(b" (")[0].strip(b'"') for _, v, a, _ in commands[i + 1:]
                            if v in (b"SELECT", b"EXAMINE")), None)
                if nxt != mailbox:
                    wrong.append((n, mailbox, nxt))
        check("dry-run probe: each folder's STATUS on the connection that then SELECTs it (%d STATUS)" % probes,
              probes >= len(FOLDERS) and not wrong,
              (wrong, [[(v, a[:30]) for _, v, a, _ in s["commands"] if v in (b"STATUS", b"SELECT", b"EXAMINE")]
                       for s in sessions]))

        # Every folder unchanged, probed without a cached stamp (--dry-run
        # makes no pre-pass) and skipped (-q): a folder whose probe made
        # a connection says so, before its skip line (offlineimap's quick
        # check connects and says it before "Skipping").
        rc3, _, err3, _ = run(conf, "-u", "quiet")
        relay.take()
        rc4, out, err4, _ = run(conf, "--dry-run", "-q", "-u", "machineui")
        sessions = relay.take()
        lines = [line.split(":", 3) for line in out.splitlines() if line.count(":") >= 3]
        said = [p[2] for p in lines if p[1] == "connecting" and p[2].startswith("Folder")]
        early = [t for t in said if not any(p[2] == t and "Skipping" in p[3] for p in lines[
            next(i for i, p in enumerate(lines) if p[1] == "connecting" and p[2] == t):])]
        check("dry-run probe, unchanged folders skipped: a folder whose probe makes a connection says connecting, "
              "before its skip line (%d connections)" % len(sessions),
              (rc3, rc4) == (0, 0) and len(said) == len(sessions) - 1 and not early,
              (rc3, rc4, err4[-300:], len(sessions), said, early,
               [p[1] + ":" + p[2][:20] + ":" + p[3][:40] for p in lines][:30]))
    finally:
        if relay is not None:
            relay.close()
        server.stop()


def folder_lines(out, skip=()):
    """machineui's lines per folder thread (the thread field left out),
    but commands in @skip. The copies of a pass finish in the order the
    server and the disk answer them, with one connection too: a run of
    copyingmessage lines is compared as a set (sorted), everything around
    it in order."""
    per = {}
    for line in out.splitlines():
        parts = line.split(":", 3)
        if len(parts) < 4 or not parts[2].startswith("Folder") or parts[1] in skip:
            continue
        lines = per.setdefault(parts[2], [])
        text = parts[0] + ":" + parts[1] + ":" + parts[3]
        if parts[1] == "copyingmessage" and lines and isinstance(lines[-1], list):
            lines[-1].append(text)
        else:
            lines.append([text] if parts[1] == "copyingmessage" else text)
    return {t: [sorted(x) if isinstance(x, list) else x for x in lines] for t, lines in per.items()}


def scenario_order(server, root):
    user, password = server.new_user()
    fill(server, user)
    port = server.env["DOVECOT_PORT"]
    conf1, _ = write_config(root, "order1", port, user, password, 1)
    conf2, _ = write_config(root, "order2", port, user, password, 2)
    rc1, out1, err1, _ = run(conf1, "-u", "machineui")
    rc2, out2, err2, _ = run(conf2, "-u", "machineui")
    check("order: both runs exit 0", rc1 == 0 and rc2 == 0, (err1, err2))
    # the second connection's line (below) is the one a folder adds
    one, two = folder_lines(out1), folder_lines(out2, skip=("connecting",))
    check("order: the same folders have lines", sorted(one) == sorted(two) and len(one) >= len(FOLDERS),
          (sorted(one), sorted(two)))
    differ = [t for t in one if one[t] != two.get(t)]
    def first_difference(a, b):
        at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        return at, a[max(0, at - 2):at + 3], b[max(0, at - 2):at + 3], len(a), len(b)

    check("order: each folder's lines are the same, in the same order, as with one connection", not differ,
          [(t, first_difference(one[t], two.get(t, []))) for t in differ[:2]])
    # the folders do overlap in the output (else this proves nothing)
    threads = [line.split(":", 3)[2] for line in out2.splitlines() if line.count(":") >= 3]
    folder_threads = [t for t in threads if t.startswith("Folder")]
    switches = sum(1 for a, b in zip(folder_threads, folder_threads[1:]) if a != b)
    check("order: folders' lines interleave with maxconnections 2", switches > len(one) - 1,
          (switches, len(one)))

    # offlineimap: a folder thread that makes a new connection of the pool
    # says so ("Establishing connection to ..."), with the account's
    # words: one such line with two connections, none with one
    def connecting(out):
        lines = [line.split(":", 3) for line in out.splitlines() if line.count(":") >= 3]
        return ([p for p in lines if p[1] == "connecting" and p[2].startswith("Folder")],
                [p for p in lines if p[1] == "connecting" and p[2].startswith("Account")])
    folders1, _ = connecting(out1)
    folders2, account2 = connecting(out2)
    check("order: with one connection no folder says connecting", not folders1, folders1)
    remote = [p for p in account2 if p[3].endswith("%0ARemote")]
    check("order: with maxconnections 2 the folder that makes the second connection says connecting, "
          "as the account said it for the first", len(folders2) == 1 and len(remote) == 1 and
          folders2[0][0] == "msg" and folders2[0][3] == remote[0][3], (folders2, account2))
    if folders2:
        mine = [p[1] + ":" + p[3] for p in (line.split(":", 3) for line in out2.splitlines())
                if len(p) == 4 and p[2] == folders2[0][2]]
        at = mine.index("connecting:" + folders2[0][3])
        # offlineimap's folder thread connects to check the UIDVALIDITY:
        # after its local listing's end, before its remote listing's start
        check("order: the connecting line comes right after the folder's local listing ends and right "
              "before its remote listing starts (offlineimap's order)",
              0 < at < len(mine) - 1 and mine[at - 1].startswith("messagelistloaded:Maildir") and
              mine[at + 1].startswith("loadmessagelist:IMAP"), mine[:8])
        lists = [x.split(":", 1)[0] + ":" + x.split(":", 1)[1].split("%0A", 1)[0] for x in mine
                 if x.split(":", 1)[0] in ("loadmessagelist", "messagelistloaded", "connecting")]
        check("order: a folder's listing lines are offlineimap's: Maildir loading, loaded, connecting, "
              "IMAP loading, loaded", lists[:1] + lists[1:2] + lists[3:] == [
                  "loadmessagelist:Maildir", "messagelistloaded:Maildir", "loadmessagelist:IMAP",
                  "messagelistloaded:IMAP"] and lists[2].startswith("connecting:"), lists)


def scenario_repository_error(server, root):
    user, password = server.new_user()
    fill(server, user)
    cut = Relay(server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"], cut_after=1)
    try:
        conf, home = write_config(root, "cut", cut.port, user, password, 2, retry=1)
        rc, out, err, took = run(conf, "-u", "basic", timeout=240)
        sessions = cut.take()
        check("repository error: a second connection was tried and cut", any(s["cut"] for s in sessions),
              len(sessions))
        check("repository error: the run fails cleanly (exit 1, no crash, an error said)",
              rc == 1 and "ERROR" in (out + err).upper() and took < 200, (rc, took, out[-800:], err[-800:]))
        check("repository error: the folder sync it stopped reports no error of its own (no \"cancelled\")",
              "cancelled" not in (out + err).lower(), (out[-800:], err[-800:]))
    finally:
        cut.close()
    relay = Relay(server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"])
    try:
        conf, home = write_config(root, "cut", relay.port, user, password, 2, fresh=False)
        rc, out, err, _ = run(conf, "-u", "quiet")
        check("repository error: the next run syncs everything", rc == 0 and
              local_count(home) == {f: MESSAGES for f in FOLDERS}, (rc, err, local_count(home)))
    finally:
        relay.close()


def scenario_clash(server, root):
    """A name clash decided before anything syncs (Bc1 and Bc2 both
    nametrans'd to Bc, sorted between Aa, Bb and Cc) ends the account as
    with one connection: the folders taken before it (Aa, Bb, still
    running with maxconnections 3) finish, none after it starts, the
    same exit status; they are not cancelled."""
    user, password = server.new_user()
    imap = imaplib.IMAP4(server.env["DOVECOT_HOST"], int(server.env["DOVECOT_PORT"]))
    imap.login(user, password)
    for folder in ("Bc1", "Bc2"):
        imap.create(folder)
    imap.logout()
    for folder, n in (("Aa", CLASH_MESSAGES), ("Bb", CLASH_MESSAGES), ("Cc", 5)):
        harness("fill", server.dir, user, folder, str(n), "--sizes", "small", "--seed", "7")
    port = server.env["DOVECOT_PORT"]
    outcome = {}
    for maxconn in (1, 3):
        conf, home = write_config(root, "clash%d" % maxconn, port, user, password, maxconn,
                                  extra=CLASH_NAMETRANS)
        rc, out, err, _ = run(conf, "-u", "basic")
        count = {}
        for folder in ("Aa", "Bb", "Cc"):
            d = os.path.join(home, "mail", folder)
            count[folder] = sum(len(os.listdir(os.path.join(d, sub))) for sub in ("cur", "new")
                                if os.path.isdir(os.path.join(d, sub)))
        outcome[maxconn] = (rc, count, "cancelled" in (out + err).lower(), (out + err)[-1500:])
    rc1, count1, _, said1 = outcome[1]
    rc3, count3, cancelled3, said3 = outcome[3]
    check("clash: with one connection the folders before the clash sync, none after, exit not 0",
          rc1 != 0 and count1 == {"Aa": CLASH_MESSAGES, "Bb": CLASH_MESSAGES, "Cc": 0}, (rc1, count1, said1))
    check("clash: with maxconnections 3 the same folders sync, the same exit status",
          rc3 == rc1 and count3 == count1, (rc1, rc3, count1, count3, said3))
    check("clash: with maxconnections 3 no folder is cancelled", not cancelled3, said3)


IMAP_LOCAL_CONFIG = """[general]
accounts = Test
metadata = %(home)s/meta

[Account Test]
localrepository = Local
remoterepository = Remote

[Repository Local]
type = IMAP
remotehost = 127.0.0.1
remoteport = %(local_port)s
ssl = no
starttls = no
remoteuser = %(local_user)s
remotepass = %(local_password)s
maxconnections = 1

[Repository Remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = %(port)s
ssl = no
starttls = no
remoteuser = %(user)s
remotepass = %(password)s
maxconnections = 3
"""


def scenario_imap_local_limit(server, root):
    """IMAP<->IMAP: the local IMAP's maxconnections 1 limits the folder
    syncs as the remote's would (the smaller of the two sides): one
    connection to the remote (maxconnections 3) through the relay, not
    three folders each holding a remote connection while waiting for
    the one local."""
    user, password = server.new_user()
    local_user, local_password = server.new_user()
    fill(server, user)
    relay = Relay(server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"])
    try:
        home = os.path.join(root, "imap-local")
        os.makedirs(home, exist_ok=True)
        conf = os.path.join(root, "imap-local.conf")
        with open(conf, "w") as f:
            f.write(IMAP_LOCAL_CONFIG % {"home": home, "port": relay.port, "user": user, "password": password,
                                         "local_port": server.env["DOVECOT_PORT"], "local_user": local_user,
                                         "local_password": local_password})
        rc, out, err, _ = run(conf, "-u", "quiet")
        sessions = relay.take()
        check("IMAP<->IMAP: local maxconnections 1 limits the sync to one remote connection",
              rc == 0 and len(sessions) == 1, (rc, len(sessions), out[-800:], err[-800:]))
        imap = imaplib.IMAP4(server.env["DOVECOT_HOST"], int(server.env["DOVECOT_PORT"]))
        imap.login(local_user, local_password)
        got = {}
        for folder in FOLDERS:
            typ, data = imap.select(folder, readonly=True)
            got[folder] = int(data[0]) if typ == "OK" else None
        imap.logout()
        check("IMAP<->IMAP: every message arrives", got == {f: MESSAGES for f in FOLDERS}, got)
    finally:
        relay.close()


def scenario_cancel_last(server, root):
    """A cancel while the last folder to sync ends (in its FOLDER_FINISHED
    handler), with folders after it that the filter passes over: the
    blocking sync fails CANCELLED, as when the folders were walked one by
    one (each passed-over folder saw the cancel), not success."""
    try:
        import gi
        gi.require_version("Mailsync", "1.0")
        from gi.repository import Gio, GLib, Mailsync
    except (ImportError, ValueError) as e:
        TAP.skip("cancel last: CANCELLED, not success", "no PyGObject or no typelib: %s" % e)
        return
    user, password = server.new_user()
    for folder in ("Aa", "Zz"):
        harness("fill", server.dir, user, folder, "5", "--sizes", "small", "--seed", "7")
    home = os.path.join(root, "cancel-last")
    for sub in ("mail", "meta"):
        os.makedirs(os.path.join(home, sub), exist_ok=True)
    remote = Mailsync.ImapRepository.new("Remote", "127.0.0.1", int(server.env["DOVECOT_PORT"]))
    for name, value in (("ssl", False), ("starttls", False), ("user", user), ("password", password),
                        ("max-connections", 1)):
        remote.set_property(name, value)
    remote.set_folder_filter(lambda name: name == "Aa")
    local = Mailsync.MaildirRepository.new("Local", os.path.join(home, "mail"), ord("."))
    status = Mailsync.StatusSqlite.new(os.path.join(home, "meta"))
    account = Mailsync.Account.new("Test", remote, local, status)
    cancellable = Gio.Cancellable()
    finished = []

    def on_event(acct, ev):
        if ev.get_kind() == Mailsync.SyncEventKind.FOLDER_FINISHED:
            finished.append(ev.get_folder())
            cancellable.cancel()
    account.connect("event", on_event)
    try:
        outcome = account.sync(cancellable)
    except GLib.Error as e:
        outcome = (e.domain, e.code, e.message)
    check("cancel last: the folder synced, then the sync fails CANCELLED, not success",
          finished == ["Aa"] and isinstance(outcome, tuple) and
          outcome[0] == "g-io-error-quark" and outcome[1] == Gio.IOErrorEnum.CANCELLED, (finished, outcome))


def scenario_async(server, root):
    """mailsync_account_sync_async() with max-connections 2 (PyGObject):
    the events come on the caller's main loop, each folder's between its
    FOLDER_STARTED and its FOLDER_FINISHED, the folders interleaved, the
    STARTED numbers counting up, and the callback after the last event."""
    try:
        import gi
        gi.require_version("Mailsync", "1.0")
        from gi.repository import GLib, Mailsync
    except (ImportError, ValueError) as e:
        TAP.skip("async: events and callback with max-connections 2", "no PyGObject or no typelib: %s" % e)
        return
    user, password = server.new_user()
    fill(server, user)
    home = os.path.join(root, "async")
    for sub in ("mail", "meta"):
        os.makedirs(os.path.join(home, sub), exist_ok=True)
    remote = Mailsync.ImapRepository.new("Remote", "127.0.0.1", int(server.env["DOVECOT_PORT"]))
    for name, value in (("ssl", False), ("starttls", False), ("user", user), ("password", password),
                        ("max-connections", 2)):
        remote.set_property(name, value)
    local = Mailsync.MaildirRepository.new("Local", os.path.join(home, "mail"), ord("."))
    status = Mailsync.StatusSqlite.new(os.path.join(home, "meta"))
    account = Mailsync.Account.new("Test", remote, local, status)
    Kind = Mailsync.SyncEventKind
    events, result = [], {}
    me = threading.get_ident()
    account.connect("event", lambda acct, ev: events.append((ev.get_kind(), ev.get_folder(), ev.get_n(),
                                                             threading.get_ident())))
    loop = GLib.MainLoop()

    def done(acct, res):
        try:
            result["ok"] = acct.sync_finish(res)
        except GLib.Error as e:
            result["error"] = e.message
        result["events"] = len(events)
        loop.quit()

    account.sync_async(None, done)
    deadline = GLib.timeout_add_seconds(240, loop.quit)
    loop.run()
    GLib.source_remove(deadline)
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass
    check("async: the sync succeeds", result.get("ok") is True, result)
    check("async: every event on the caller's thread, the callback after the last",
          all(t == me for _, _, _, t in events) and result.get("events") == len(events),
          (result.get("events"), len(events)))
    per, open_folders, overlapped, started = {}, set(), False, []
    for kind, folder, n, _ in events:
        if kind == Kind.FOLDER_STARTED:
            started.append(n)
            open_folders.add(folder)
            overlapped |= len(open_folders) > 1
        if folder in FOLDERS:
            per.setdefault(folder, []).append(kind)
        if kind == Kind.FOLDER_FINISHED:
            open_folders.discard(folder)
    # (the folder's creation, in the structure pass, comes before)
    per = {f: k[k.index(Kind.FOLDER_STARTED):] if Kind.FOLDER_STARTED in k else k for f, k in per.items()}
    check("async: each folder's events between its FOLDER_STARTED and its FOLDER_FINISHED",
          sorted(per) == sorted(FOLDERS) and
          all(k[0] == Kind.FOLDER_STARTED and k[-1] == Kind.FOLDER_FINISHED and
              k.count(Kind.FOLDER_STARTED) == 1 and k.count(Kind.FOLDER_FINISHED) == 1 and len(k) > MESSAGES
              for k in per.values()),
          {f: [int(x) for x in k[:3]] + [int(x) for x in k[-2:]] + [len(k)] for f, k in per.items()})
    check("async: the folders overlap, FOLDER_STARTED counts up",
          overlapped and started == list(range(1, len(FOLDERS) + 1)), (overlapped, started))
    check("async: every message arrives", local_count(home) == {f: MESSAGES for f in FOLDERS}, local_count(home))


def main():
    if not os.access(MAILSYNC, os.X_OK):
        print("1..0 # SKIP the mailsync binary is not built")
        return 0
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-conc-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = mailsync_tap.DovecotUsers(root, "conc", 14)
        for scenario in (scenario_overlap, scenario_handover, scenario_order, scenario_repository_error, scenario_clash,
                         scenario_imap_local_limit, scenario_cancel_last, scenario_async, scenario_dry_run_probe,
                         scenario_handover_server_changes):
            try:
                scenario(server, root)
            except Exception:  # one broken scenario must not hide the others
                import traceback
                check("%s raised nothing" % scenario.__name__, False, traceback.format_exc())
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
