#!/usr/bin/env python3
"""maxconnections 1 over a Maildir (issue 13 item 2, doc/design.md
"One connection, two folder syncs"): the next folder sync lists its
Maildir while a folder talks to the server, and its SELECT goes out on
the one connection once that folder's last server command is answered,
while that folder still writes its files and commits. Against a private
Dovecot seen through a relay that notes every connection's commands.

- hang: a resync with new mail and server flag changes in every folder,
  the first folder sync to reach its local flags' flush stopped there
  (before its final commit, MAILSYNC_CRASH_AT=...:hang): every other
  folder's SELECT still goes out, on one connection; then a SIGKILL in
  that window and a rerun: both sides hold the same messages, none
  twice, the same flags, and a third run changes nothing.
- same as one by one: two accounts with the same mail and the same
  changes (new mail, server flags, a local deletion and a local flag),
  one synced with the overlap and one without
  (MAILSYNC_TEST_ONE_CONNECTION_OVERLAP=off): the same machineui lines
  in the same order, the same Maildirs message by message, the same
  server folders and status rows; one connection each.
- async: mailsync_account_sync_async() (PyGObject) with max-connections
  1: every event on the caller's main loop, one folder's events after
  the other's, the account's progress never going back, the callback
  after the last (SKIP without PyGObject or the typelib).

Skipped (1..0 # SKIP) when Dovecot or the mailsync binary is missing;
the checks that need the test hooks print SKIP without them."""

import email
import hashlib
import imaplib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading

import mailsync_tap
from imap_relay import Relay, selections, sync_async, write_config
from mailsync_tap import MAILSYNC, harness

TAP = mailsync_tap.Tap(1500)
check = TAP.check

FOLDERS = ("INBOX", "Aa", "Bb", "Cc")
MESSAGES = 40
HANG_POINT = "runner-flags-local-flushed"

def command(config, *args):
    return [MAILSYNC, "-c", config, "-o"] + list(args)


def run(config, *args, env=None):
    p = subprocess.run(command(config, *args), stdin=subprocess.DEVNULL, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def fill(server, user):
    for folder in FOLDERS:
        harness("fill", server.dir, user, folder, str(MESSAGES), "--sizes", "small", "--seed", "11")


def server_changes(server, user, password, tag):
    """New mail in every folder and \\Flagged toggled on two messages of
    each (bench row 3's kind of change), the same for every user."""
    imap = imaplib.IMAP4(server.env["DOVECOT_HOST"], int(server.env["DOVECOT_PORT"]))
    imap.login(user, password)
    for folder in FOLDERS:
        for i in range(4):
            imap.append(folder, None, None, b"From: a@example.org\r\nMessage-ID: <%s.%d.%s@example.org>\r\n"
                        b"Subject: new %d\r\n\r\nbody %d of %s\r\n" %
                        (tag.encode(), i, folder.encode(), i, i, tag.encode()))
        imap.select(folder)
        imap.uid("STORE", "3,7", "+FLAGS", "(\\Flagged)")
        imap.uid("STORE", "5", "-FLAGS", "(\\Seen)")
    imap.logout()


def local_messages(home, folder):
    """{Message-ID: [(Maildir flags, body digest)]} of a local folder."""
    out = {}
    for sub in ("cur", "new"):
        d = os.path.join(home, "mail", folder, sub)
        for name in os.listdir(d) if os.path.isdir(d) else ():
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            mid = email.message_from_bytes(data).get("Message-ID")
            flags = name.partition(":2,")[2]
            out.setdefault(mid, []).append((flags, hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()))
    return out


def server_messages(server, user, password, folder):
    """{Message-ID: [(flags, size)]} of a server folder."""
    imap = imaplib.IMAP4(server.env["DOVECOT_HOST"], int(server.env["DOVECOT_PORT"]))
    imap.login(user, password)
    imap.select(folder, readonly=True)
    typ, data = imap.uid("FETCH", "1:*", "(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    imap.logout()
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta = item[0].decode()
        flags = " ".join(sorted(re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split()))
        size = int(re.search(r"RFC822\.SIZE (\d+)", meta).group(1))
        mid = email.message_from_bytes(item[1]).get("Message-ID")
        out.setdefault(mid, []).append((flags, size))
    return out


def status_rows(home):
    """{folder: sorted (uid, flags)} from the SQLite status of @home."""
    out = {}
    base = os.path.join(home, "meta", "Account-Test", "LocalStatus-sqlite")
    for name in FOLDERS:
        if not os.path.isfile(os.path.join(base, name)):
            continue
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(base, name), uri=True)
        try:
            out[name] = sorted(db.execute("SELECT id, flags FROM status").fetchall())
        finally:
            db.close()
    return out


LETTERS = {"\\Flagged": "F", "\\Seen": "S", "\\Answered": "R", "\\Draft": "D", "\\Deleted": "T"}


def letters(flags):
    """IMAP flags ("\\Flagged \\Seen") as Maildir letters ("FS")."""
    return "".join(sorted(LETTERS.get(f, "") for f in flags.split()))


def converged(server, user, password, home):
    """Folders whose local and server messages differ (Message-IDs or
    flags), or hold one twice."""
    differ = {}
    for folder in FOLDERS:
        local = local_messages(home, folder)
        remote = server_messages(server, user, password, folder)
        twice = [m for m, v in list(local.items()) + list(remote.items()) if len(v) != 1]
        flags = [(m, v[0][0], remote[m][0][0]) for m, v in local.items()
                 if m in remote and v[0][0] != letters(remote[m][0][0])]
        if set(local) != set(remote) or twice or flags:
            differ[folder] = (len(local), len(remote), sorted(set(local) ^ set(remote), key=str)[:3], twice[:3],
                              flags[:3])
    return differ


def changed_lines(out):
    return [line[:120] for line in out.splitlines()
            if line.startswith(("msg:copyingmessage", "msg:deletingmessage", "msg:addingflags",
                                "msg:deletingflags"))]


def scenario_hang(server, root):
    """The first folder sync to reach its local flags' flush stops there,
    before its final commit: the other folders' SELECTs still go out on
    the one connection; a SIGKILL there and a rerun converge."""
    label = "hang"
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("%s: every folder SELECTed while a folder stops before its final commit" % label,
                 mailsync_tap.NO_HOOKS)
        return
    user, password = server.new_user()
    fill(server, user)
    relay = Relay(server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"])
    try:
        conf, home = write_config(root, "hang", relay.port, user, password, 1)
        rc, out, err = run(conf, "-u", "quiet")
        check("%s: the first sync exits 0 on one connection" % label, rc == 0 and len(relay.take()) == 1, err)
        server_changes(server, user, password, "h")
        env = dict(os.environ, MAILSYNC_CRASH_AT=HANG_POINT + ":1:hang")
        p = mailsync_tap.Running(command(conf, "-u", "quiet"), stdin=subprocess.DEVNULL, env=env)
        try:
            hung = p.wait_text(lambda t: "hanging at %s:1" % HANG_POINT in t, timeout=120)

            def all_selected():
                with relay.lock:
                    return {m for s in relay.sessions for m, _, _ in selections(s)} >= {f.encode() for f in FOLDERS}
            selected = hung and mailsync_tap.wait_for(all_selected, timeout=120)
            with relay.lock:
                seen = [[m for m, _, _ in selections(s)] for s in relay.sessions]
            check("%s: a folder sync stops before its final commit" % label, hung, p.text()[-800:])
            check("%s: every folder's SELECT goes out while a folder has not made its final commit" % label,
                  selected, seen)
            check("%s: one connection" % label, len(seen) == 1, seen)
        finally:
            p.send_signal(signal.SIGKILL)
            killed, _, kill_err = p.finish(timeout=60)
        relay.take()
        check("%s: the run is killed" % label, killed == -signal.SIGKILL, (killed, kill_err[-300:]))
        rc, out, err = run(conf, "-u", "quiet")
        relay.take()
        differ = converged(server, user, password, home)
        check("%s: the rerun exits 0" % label, rc == 0, err[-500:])
        check("%s: both sides hold the same messages with the same flags, none twice" % label, not differ, differ)
        rc, out, err = run(conf, "-u", "machineui")
        relay.take()
        check("%s: a third run changes nothing" % label, rc == 0 and not changed_lines(out),
              (rc, changed_lines(out)[:5], err[-300:]))
    finally:
        relay.close()


def local_changes(home, tag):
    """A local deletion in Aa and a local \\Flagged in Bb, chosen by
    Message-ID so both accounts make the same ones."""
    for folder, kind in (("Aa", "delete"), ("Bb", "flag")):
        cur = os.path.join(home, "mail", folder, "cur")
        names = sorted(os.listdir(cur), key=lambda n: str(email.message_from_bytes(
            open(os.path.join(cur, n), "rb").read()).get("Message-ID")))
        name = next(n for n in names if "F" not in n.partition(":2,")[2])
        if kind == "delete":
            os.unlink(os.path.join(cur, name))
        else:
            base, _, flags = name.partition(":2,")
            os.rename(os.path.join(cur, name), os.path.join(cur, base + ":2," + "".join(sorted(set(flags + "F")))))


def clone(server, src, dst):
    """@dst's folders made equal to @src's: the same messages, flags and
    dates appended in UID order, so that both have the same UIDs."""
    host, port = server.env["DOVECOT_HOST"], int(server.env["DOVECOT_PORT"])
    a, b = imaplib.IMAP4(host, port), imaplib.IMAP4(host, port)
    a.login(*src)
    b.login(*dst)
    for folder in FOLDERS:
        if folder != "INBOX":
            b.create(folder)
            b.subscribe(folder)
        a.select(folder, readonly=True)
        typ, data = a.uid("FETCH", "1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            meta = item[0].decode()
            flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1).replace("\\Recent", "").strip()
            date = re.search(r'INTERNALDATE ("[^"]*")', meta).group(1)
            b.append(folder, "(%s)" % flags, date, item[1])
    a.logout()
    b.logout()


def normalized(out):
    """machineui lines with what a message line says of its message
    (UIDs, counts) left out: the folders' lines in order, whatever order
    the concurrent downloads within a folder end in."""
    return [re.sub(r"\d+", "#", line) if line.startswith("msg:copyingmessage:") else line
            for line in out.splitlines()]


def scenario_same(server, root):
    """Two accounts with the same mail and the same changes, one synced
    with the overlap, one without: the same lines, Maildirs, server
    folders and status rows."""
    label = "same as one by one"
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("%s: the same results with the overlap off" % label, mailsync_tap.NO_HOOKS)
        return
    sides = {}
    users = [server.new_user(), server.new_user()]
    fill(server, users[0][0])
    clone(server, users[0], users[1])
    relay = Relay(server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"])
    try:
        for (name, extra), (user, password) in zip((("on", {}), ("off", {"MAILSYNC_TEST_ONE_CONNECTION_OVERLAP": "off"})),
                                                   users):
            conf, home = write_config(root, "same-" + name, relay.port, user, password, 1)
            env = dict(os.environ, **extra)
            first = run(conf, "-u", "machineui", env=env)
            connections = [len(relay.take())]
            server_changes(server, user, password, "s")
            local_changes(home, "s")
            second = run(conf, "-u", "machineui", env=env)
            sessions = relay.take()
            connections.append(len(sessions))
            third = run(conf, "-u", "machineui", env=env)
            connections.append(len(relay.take()))
            sides[name] = {
                "runs": (first, second, third), "connections": connections,
                "local": {f: local_messages(home, f) for f in FOLDERS},
                "server": {f: server_messages(server, user, password, f) for f in FOLDERS},
                "status": status_rows(home), "converged": converged(server, user, password, home),
            }
    finally:
        relay.close()
    on, off = sides["on"], sides["off"]
    check("%s: every run exits 0" % label,
          all(r[0] == 0 for side in (on, off) for r in side["runs"]),
          [(r[0], r[2][-300:]) for side in (on, off) for r in side["runs"] if r[0] != 0])
    check("%s: one connection per run" % label, on["connections"] == off["connections"] == [1, 1, 1],
          (on["connections"], off["connections"]))
    for i, run_name in enumerate(("initial sync", "resync", "third run")):
        a, b = on["runs"][i][1], off["runs"][i][1]
        diff = [(x, y) for x, y in zip(normalized(a), normalized(b)) if x != y][:4]
        check("%s: %s: the same machineui lines, in the same order but for the copies within a folder" %
              (label, run_name),
              normalized(a) == normalized(b) and sorted(a.splitlines()) == sorted(b.splitlines()) and a,
              (len(a.splitlines()), len(b.splitlines()), diff, sorted(set(a.splitlines()) ^ set(b.splitlines()))[:4]))
    check("%s: the resync changed something (the check means something)" % label,
          len(changed_lines(on["runs"][1][1])) > len(FOLDERS), changed_lines(on["runs"][1][1])[:3])
    check("%s: the same Maildirs, message by message" % label, on["local"] == off["local"],
          [f for f in FOLDERS if on["local"][f] != off["local"][f]])
    check("%s: the same server folders" % label, on["server"] == off["server"],
          [f for f in FOLDERS if on["server"][f] != off["server"][f]])
    check("%s: the same status rows" % label, on["status"] == off["status"] and len(on["status"]) == len(FOLDERS),
          (sorted(on["status"]), [f for f in on["status"] if on["status"][f] != off["status"].get(f)]))
    check("%s: both converge (local = server, none twice)" % label, not on["converged"] and not off["converged"],
          (on["converged"], off["converged"]))
    check("%s: the third run changes nothing" % label, not changed_lines(on["runs"][2][1]),
          changed_lines(on["runs"][2][1])[:5])


def scenario_async(server, root):
    """mailsync_account_sync_async() (PyGObject) with max-connections 1:
    every event on the caller's main loop, the folders' events one
    folder after the other (each FOLDER_STARTED after the previous
    folder's FOLDER_FINISHED, counting up), the callback after the last
    event, every message there."""
    label = "async"
    user, password = server.new_user()
    fill(server, user)
    home = os.path.join(root, "async")
    got = sync_async(server.env["DOVECOT_PORT"], user, password, home, 1,
                     lambda ev: (ev.get_kind(), ev.get_folder(), ev.get_n(), ev.get_account_messages_done(),
                                 ev.get_account_messages_total()))
    if isinstance(got, str):
        TAP.skip("%s: events in folder order with max-connections 1" % label, got)
        return
    Mailsync, records, result = got
    Kind = Mailsync.SyncEventKind
    me = threading.get_ident()
    events = [(kind, folder, n, t) for kind, folder, n, _, _, t in records]
    done_counts = [(d, total) for _, _, _, d, total, _ in records]
    check("%s: the sync succeeds" % label, result.get("ok") is True, result)
    check("%s: every event on the caller's thread, the callback after the last" % label,
          all(t == me for _, _, _, t in events) and result.get("events") == len(events),
          (result.get("events"), len(events)))
    order, current, started = [], None, []
    for kind, folder, n, _ in events:
        if kind == Kind.FOLDER_STARTED:
            order.append(("started", folder, current))
            current = folder
            started.append(n)
        elif kind == Kind.FOLDER_FINISHED:
            order.append(("finished", folder, current))
            current = None
        elif current is not None and folder not in (None, current):
            order.append(("foreign", folder, current))
    wrong = [o for o in order if (o[0] == "started" and o[2] is not None) or (o[0] != "started" and o[1] != o[2])]
    check("%s: one folder's events after the other's, FOLDER_STARTED counting up" % label,
          not wrong and started == list(range(1, len(FOLDERS) + 1)), (wrong[:4], started))
    back = [(a, b) for a, b in zip(done_counts, done_counts[1:]) if b[0] < a[0]]
    check("%s: the account's messages done never go back, and reach the total" % label,
          not back and done_counts and done_counts[-1][0] == done_counts[-1][1] == MESSAGES * len(FOLDERS),
          (back[:3], done_counts[-1:]))
    counts = {f: len(local_messages(home, f)) for f in FOLDERS}
    check("%s: every message arrives" % label, counts == {f: MESSAGES for f in FOLDERS}, counts)


def main():
    if not os.access(MAILSYNC, os.X_OK):
        print("1..0 # SKIP the mailsync binary is not built")
        return 0
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-overlap-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = mailsync_tap.DovecotUsers(root, "ovl", 5)
        for scenario in (scenario_hang, scenario_same, scenario_async):
            try:
                scenario(server, root)
            except Exception:  # one broken scenario must not hide the other
                import traceback
                check("%s raised nothing" % scenario.__name__, False, traceback.format_exc())
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
