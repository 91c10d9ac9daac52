#!/usr/bin/env python3
"""The engine's move (issue 10 item 4) against a private Dovecot.

A message another client moves on the server (UID MOVE INBOX -> Archive)
between two syncs is renamed into the local Archive by the next sync, not
downloaded again: the bytes the server sent during that sync (the
harness's byte count, Dovecot's rawlog) are fewer than the message's size
(200 KB, far more than the listings cost), the local copy keeps its
content, the old local copy is gone and nothing is doubled on either
side. A kill -9 (MAILSYNC_CRASH_AT) before and after the rename: the next
sync converges to the same state, no duplicate. Two messages with the same
Message-ID, size and date moved together are ambiguous: downloaded and
deleted as before, both kept; so are equal keys on one side only (one
moved beside an identical new copy, or one of two copies moved and the
other deleted).

IMAP<->IMAP (a second Dovecot user as the local side, behind the UID
map): the moved message is moved on the local server (same content in
its Archive, gone from its INBOX), the remote sends fewer bytes than the
message, nothing is appended to the local server; a kill -9 before the
local MOVE, after its intent, between the MOVE and the map write, and
after: the next sync converges the same way, nothing doubled on either
server. Skipped (1..0 # SKIP) when Dovecot is not installed."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import mailsync_tap

DATE = '"25-Nov-2026 10:00:00 +0000"'

TAP = mailsync_tap.Tap(600)
check = TAP.check


def Server(root, users=32):
    return mailsync_tap.DovecotUsers(root, "move", users)


def message(tag, size=0, msgid=None):
    body = "".join("line %06d of %s, padding the message out\r\n" % (i, tag) for i in range(size // 40 + 1))
    return ("From: test@example.org\r\nSubject: %s\r\nMessage-ID: <%s@move>\r\n"
            "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n%s" % (tag, msgid or tag, body)).encode()


def append(conn, folder, data):
    typ, resp = conn.append(folder, None, DATE, data)
    assert typ == "OK", resp


def uid_of(conn, folder, tag):
    conn.select(folder)
    typ, data = conn.uid("SEARCH", None, "HEADER", "Subject", tag)
    return data[0].split()


def server_state(conn):
    state = {}
    for name in ("INBOX", "Archive"):
        conn.select(name, readonly=True)
        typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        state[name] = sorted(part[1].decode().strip().split(":", 1)[1].strip()
                             for part in data if isinstance(part, tuple))
    return state


def local_state(work):
    state = {}
    for folder in ("INBOX", "Archive"):
        items = []
        fdir = os.path.join(work, "local", folder)
        for sub in ("cur", "new"):
            for name in os.listdir(os.path.join(fdir, sub)) if os.path.isdir(os.path.join(fdir, sub)) else ():
                with open(os.path.join(fdir, sub, name), "rb") as f:
                    m = re.search(rb"^Subject: (.*?)\r?$", f.read(), re.M)
                items.append(m.group(1).decode() if m else "?")
        state[folder] = sorted(items)
    return state


def local_files(work, folder, tag):
    out = []
    fdir = os.path.join(work, "local", folder)
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(fdir, sub)):
            path = os.path.join(fdir, sub, name)
            with open(path, "rb") as f:
                data = f.read()
            if re.search(rb"^Subject: %s\r?$" % tag.encode(), data, re.M):
                out.append((path, data))
    return out


def bytes_offset(server):
    p = subprocess.run([mailsync_tap.HARNESS, "bytes", server.dir, "--no-wait"], stdout=subprocess.PIPE,
                       text=True, timeout=60)
    m = re.search(r"offset=(\d+)", p.stdout)
    return int(m.group(1)) if m else None


def bytes_since(server, user, offset):
    """What the server sent to @user since @offset (waits for the log)."""
    p = subprocess.run([mailsync_tap.HARNESS, "bytes", server.dir, "--user", user, "--since", str(offset)],
                       stdout=subprocess.PIPE, text=True, timeout=120)
    d = dict(re.findall(r"(\w+)=(\d+)", p.stdout))
    return {k: int(v) for k, v in d.items()}, p.stdout


def run_sync(server, user, password, work, crash=None, local=None):
    return mailsync_tap.run_driver(server, user, password, work, debug="all",
                                   extra={"MAILSYNC_CRASH_AT": crash} if crash else None, local=local)


def summary(p):
    return "rc=%d stderr=%s" % (p.returncode, "\n".join(l for l in p.stderr.splitlines()
                                                        if "move" in l or "rror" in l)[-600:])


def prepare(server, root, tag, big=200000):
    """A user with INBOX (the big message 'mover', two others) and an
    empty Archive, synced once."""
    user, pw = server.new_user()
    work = os.path.join(root, tag)
    conn = server.imap(user, pw)
    conn.create("Archive")
    append(conn, "INBOX", message("mover", big))
    append(conn, "INBOX", message("stay-1"))
    append(conn, "INBOX", message("stay-2"))
    conn.logout()
    p = run_sync(server, user, pw, work)
    assert p.returncode == 0, p.stderr
    return user, pw, work


def move_on_server(server, user, pw, tags):
    conn = server.imap(user, pw)
    uids = []
    for tag in tags:
        uids += uid_of(conn, "INBOX", tag)
    conn.select("INBOX")
    typ, data = conn.uid("MOVE", b",".join(uids).decode(), "Archive")
    assert typ == "OK", data
    conn.logout()


def converged(server, user, pw, work, name, expect_archive):
    conn = server.imap(user, pw)
    remote = server_state(conn)
    conn.logout()
    local = local_state(work)
    check("%s: server and local hold the same messages, none twice" % name,
          remote == local and remote["Archive"] == sorted(expect_archive) and
          len(remote["INBOX"]) == len(set(remote["INBOX"])), (remote, local))
    p = run_sync(server, user, pw, work)
    check("%s: a sync after it changes nothing" % name, p.returncode == 0 and
          "MESSAGE_COPIED" not in p.stdout and local_state(work) == local, summary(p))


def scenario_move(server, root):
    user, pw, work = prepare(server, root, "move")
    before = local_files(work, "INBOX", "mover")
    before_ino = os.stat(before[0][0]).st_ino
    move_on_server(server, user, pw, ["mover"])
    offset = bytes_offset(server)
    p = run_sync(server, user, pw, work)
    sent, raw = bytes_since(server, user, offset)
    check("move: the sync succeeds", p.returncode == 0, summary(p))
    after = local_files(work, "Archive", "mover")
    check("move: the message is in the local Archive once, with the same content",
          len(before) == 1 and len(after) == 1 and after[0][1] == before[0][1],
          (len(before), len(after)))
    check("move: the old local copy is gone", not local_files(work, "INBOX", "mover"))
    check("move: the local file was renamed (same inode), not written again",
          len(after) == 1 and os.stat(after[0][0]).st_ino == before_ino, (before_ino, after))
    size = len(message("mover", 200000))
    check("move: the server sent fewer bytes than the message (%d) in that sync: not fetched again" % size,
          sent.get("sessions", 0) >= 1 and sent.get("out", size) < size, raw)
    check("move: the engine said it renamed it", "renamed locally, not downloaded again" in p.stderr + p.stdout,
          summary(p))
    converged(server, user, pw, work, "move", ["mover"])


def scenario_ambiguous(server, root):
    """Two messages with one Message-ID, size and date, both moved: no
    unique pair, so they are downloaded into Archive and deleted from
    INBOX as before; nothing lost."""
    user, pw = server.new_user()
    work = os.path.join(root, "ambiguous")
    conn = server.imap(user, pw)
    conn.create("Archive")
    twin = message("twin", 2000)
    append(conn, "INBOX", twin)
    append(conn, "INBOX", twin)
    append(conn, "INBOX", message("stay-1"))
    conn.logout()
    p = run_sync(server, user, pw, work)
    assert p.returncode == 0, p.stderr
    move_on_server(server, user, pw, ["twin"])
    p = run_sync(server, user, pw, work)
    check("ambiguous: the sync succeeds", p.returncode == 0, summary(p))
    check("ambiguous: not taken as a move", "renamed locally" not in p.stderr + p.stdout, summary(p))
    files = local_files(work, "Archive", "twin")
    check("ambiguous: both copies are in the local Archive, with their content",
          len(files) == 2 and all(data.replace(b"\r\n", b"\n") == twin.replace(b"\r\n", b"\n")
                                  for _, data in files), len(files))
    check("ambiguous: none is left in the local INBOX", not local_files(work, "INBOX", "twin"))
    converged(server, user, pw, work, "ambiguous", ["twin", "twin"])


def scenario_kill(server, root, step):
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("kill at %s" % step, mailsync_tap.NO_HOOKS)
        return
    user, pw, work = prepare(server, root, "kill-" + step, big=20000)
    before = local_files(work, "INBOX", "mover")
    move_on_server(server, user, pw, ["mover"])
    p = run_sync(server, user, pw, work, crash=step + ":1")
    check("kill at %s: the sync was killed there" % step, p.returncode == 77, summary(p))
    p = run_sync(server, user, pw, work)
    check("kill at %s: the next sync succeeds" % step, p.returncode == 0, summary(p))
    after = local_files(work, "Archive", "mover")
    check("kill at %s: the message is in the local Archive once, same content" % step,
          len(after) == 1 and len(before) == 1 and after[0][1] == before[0][1], len(after))
    check("kill at %s: the old local copy is gone" % step, not local_files(work, "INBOX", "mover"))
    converged(server, user, pw, work, "kill at " + step, ["mover"])


def delete_on_server(server, user, pw, folder, tag):
    conn = server.imap(user, pw)
    uids = uid_of(conn, folder, tag)
    conn.select(folder)
    conn.uid("STORE", b",".join(uids).decode(), "+FLAGS.SILENT", "(\\Deleted)")
    conn.expunge()
    conn.logout()


def scenario_deleted_after_rename(server, root, step):
    """A kill right after the rename (imap-move-moved: before the
    destination's row is written, only its intent; imap-move-renamed:
    after), then the moved message is deleted on the server before the
    next sync: the local copy goes too, never uploaded again as a new
    local message (the row, or the intent the next sync turns into it)."""
    name = "deleted after rename (%s)" % step
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip(name, mailsync_tap.NO_HOOKS)
        return
    user, pw, work = prepare(server, root, "deleted-after-" + step, big=20000)
    move_on_server(server, user, pw, ["mover"])
    p = run_sync(server, user, pw, work, crash=step + ":1")
    check("%s: the sync was killed after the rename" % name, p.returncode == 77
          and len(local_files(work, "Archive", "mover")) == 1, summary(p))
    delete_on_server(server, user, pw, "Archive", "mover")
    p = run_sync(server, user, pw, work)
    check("%s: the next sync succeeds" % name, p.returncode == 0, summary(p))
    check("%s: the local copy is gone too" % name, not local_files(work, "Archive", "mover")
          and not local_files(work, "INBOX", "mover"), local_state(work))
    converged(server, user, pw, work, name, [])


def scenario_collisions(server, root):
    """Equal keys on one side only (issue 10 item 4, move pairing
    collisions): a pair is made only when exactly one vanished local
    message and exactly one arrived remote message share the Message-ID,
    size and date. (a) one moved, and an identical copy delivered beside
    it into Archive: two arrived, one vanished; (b) two identical copies,
    one moved and the other deleted: two vanished, one arrived. Neither is
    a move (no guess at which copy is which): downloaded and deleted as
    before, the server's state reached, nothing lost or doubled."""
    for name, copies, extra in (("collision two arrived", 1, "append"), ("collision two vanished", 2, "delete")):
        user, pw = server.new_user()
        work = os.path.join(root, name.replace(" ", "-"))
        twin = message("twin", 2000)
        conn = server.imap(user, pw)
        conn.create("Archive")
        for _ in range(copies):
            append(conn, "INBOX", twin)
        append(conn, "INBOX", message("stay-1"))
        conn.logout()
        p = run_sync(server, user, pw, work)
        assert p.returncode == 0, p.stderr
        conn = server.imap(user, pw)
        uids = uid_of(conn, "INBOX", "twin")
        conn.select("INBOX")
        typ, data = conn.uid("MOVE", uids[0].decode(), "Archive")
        assert typ == "OK", data
        if extra == "append":
            append(conn, "Archive", twin)
        else:
            conn.uid("STORE", uids[1].decode(), "+FLAGS.SILENT", "(\\Deleted)")
            conn.expunge()
        conn.logout()
        p = run_sync(server, user, pw, work)
        check("%s: the sync succeeds" % name, p.returncode == 0, summary(p))
        check("%s: not taken as a move" % name, "renamed locally" not in p.stderr + p.stdout, summary(p))
        expect = ["twin", "twin"] if extra == "append" else ["twin"]
        converged(server, user, pw, work, name, expect)


# ---- IMAP <-> IMAP: the local side is another Dovecot user behind a UID map

def imap_bodies(conn, folder, tag):
    """The whole messages of @folder whose Subject is @tag."""
    conn.select(folder, readonly=True)
    typ, data = conn.uid("SEARCH", None, "HEADER", "Subject", tag)
    out = []
    for uid in data[0].split():
        typ, msg = conn.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
        out += [part[1] for part in msg if isinstance(part, tuple)]
    return out


def appends(p):
    return [c for c in mailsync_tap.imap_commands(p) if re.match(r"(UID )?APPEND\b", c)]


def prepare_imap(server, root, tag, big):
    """A remote user with INBOX (the big message 'mover', two others) and
    an empty Archive, synced once with a second user as the local side."""
    user, pw = server.new_user()
    local = server.new_user()
    work = os.path.join(root, tag)
    conn = server.imap(user, pw)
    conn.create("Archive")
    append(conn, "INBOX", message("mover", big))
    append(conn, "INBOX", message("stay-1"))
    append(conn, "INBOX", message("stay-2"))
    conn.logout()
    p = run_sync(server, user, pw, work, local=local)
    assert p.returncode == 0, p.stderr
    return user, pw, local, work


def converged_imap(server, user, pw, local, work, name, expect_archive):
    conn = server.imap(user, pw)
    remote = server_state(conn)
    conn.logout()
    conn = server.imap(*local)
    mirror = server_state(conn)
    conn.logout()
    check("%s: both servers hold the same messages, none twice" % name,
          remote == mirror and remote["Archive"] == sorted(expect_archive) and
          len(remote["INBOX"]) == len(set(remote["INBOX"])), (remote, mirror))
    p = run_sync(server, user, pw, work, local=local)
    check("%s: a sync after it appends nothing and changes nothing" % name, p.returncode == 0 and
          not appends(p) and "MESSAGE_COPIED" not in p.stdout, summary(p))


def moved_on_local_server(server, local, before, name):
    conn = server.imap(*local)
    after = imap_bodies(conn, "Archive", "mover")
    left = imap_bodies(conn, "INBOX", "mover")
    conn.logout()
    check("%s: the message is in the local server's Archive once, same content" % name,
          len(before) == 1 and after == before, (len(before), len(after)))
    check("%s: the local server's INBOX no longer has it" % name, not left, len(left))


def scenario_imap_move(server, root):
    """A move on the remote server is a move on the local one: UID MOVE
    there and the UID map entry moved, not fetched from the remote again
    nor appended to the local server again."""
    user, pw, local, work = prepare_imap(server, root, "imap-move", 200000)
    conn = server.imap(*local)
    before = imap_bodies(conn, "INBOX", "mover")
    conn.logout()
    move_on_server(server, user, pw, ["mover"])
    offset = bytes_offset(server)
    p = run_sync(server, user, pw, work, local=local)
    sent, raw = bytes_since(server, user, offset)
    local_sent, local_raw = bytes_since(server, local[0], offset)
    check("IMAP<->IMAP move: the sync succeeds", p.returncode == 0, summary(p))
    moved_on_local_server(server, local, before, "IMAP<->IMAP move")
    size = len(message("mover", 200000))
    check("IMAP<->IMAP move: the remote sent fewer bytes than the message (%d): not fetched again" % size,
          sent.get("sessions", 0) >= 1 and sent.get("out", size) < size, raw)
    # the move pass tells the local candidate by its Message-ID (one UID
    # FETCH of the header) and the move reads it once for its pending map
    # line: not twice (identity, then digest)
    check("IMAP<->IMAP move: the local server sent the message once, not twice (%d bytes)" % size,
          local_sent.get("sessions", 0) >= 1 and size <= local_sent.get("out", 0) < size * 3 // 2, local_raw)
    check("IMAP<->IMAP move: nothing appended to the local server", not appends(p), appends(p))
    check("IMAP<->IMAP move: the engine said it moved it", "renamed locally, not downloaded again"
          in p.stderr + p.stdout, summary(p))
    converged_imap(server, user, pw, local, work, "IMAP<->IMAP move", ["mover"])


def scenario_imap_kill(server, root, step):
    """A kill -9 before the local MOVE, after the intent, between the MOVE
    and the map write, after it all: the next sync maps or moves the
    message, fetches nothing from the remote, appends nothing, and nothing
    is doubled on either server."""
    name = "IMAP<->IMAP kill at %s" % step
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip(name, mailsync_tap.NO_HOOKS)
        return
    user, pw, local, work = prepare_imap(server, root, "imap-kill-" + step, 100000)
    conn = server.imap(*local)
    before = imap_bodies(conn, "INBOX", "mover")
    conn.logout()
    move_on_server(server, user, pw, ["mover"])
    p = run_sync(server, user, pw, work, crash=step + ":1", local=local)
    check("%s: the sync was killed there" % name, p.returncode == 77, summary(p))
    offset = bytes_offset(server)
    p = run_sync(server, user, pw, work, local=local)
    sent, raw = bytes_since(server, user, offset)
    check("%s: the next sync succeeds" % name, p.returncode == 0, summary(p))
    moved_on_local_server(server, local, before, name)
    size = len(message("mover", 100000))
    check("%s: the next sync fetched less than the message (%d) from the remote" % (name, size),
          sent.get("out", size) < size, raw)
    check("%s: the next sync appended nothing" % name, not appends(p), appends(p))
    converged_imap(server, user, pw, local, work, name, ["mover"])


def scenario_imap_deleted_after(server, root, step):
    """IMAP<->IMAP: a kill after the local MOVE (before the map line, before
    the destination's row, after it), then the remote deletes the moved
    message: the local server's copy goes too, never uploaded again."""
    name = "IMAP<->IMAP deleted after a kill at %s" % step
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip(name, mailsync_tap.NO_HOOKS)
        return
    user, pw, local, work = prepare_imap(server, root, "imap-deleted-" + step, 20000)
    move_on_server(server, user, pw, ["mover"])
    p = run_sync(server, user, pw, work, crash=step + ":1", local=local)
    check("%s: the sync was killed there" % name, p.returncode == 77, summary(p))
    delete_on_server(server, user, pw, "Archive", "mover")
    p = run_sync(server, user, pw, work, local=local)
    check("%s: the next sync succeeds" % name, p.returncode == 0, summary(p))
    conn = server.imap(*local)
    left = imap_bodies(conn, "Archive", "mover") + imap_bodies(conn, "INBOX", "mover")
    conn.logout()
    check("%s: the local server's copy is gone too" % name, not left, len(left))
    check("%s: nothing appended" % name, not appends(p), appends(p))
    converged_imap(server, user, pw, local, work, name, [])


def pending_map_lines(work):
    """The UID maps' pending lines ("?<remote uid>:<digest>") under @work."""
    found = []
    for top, dirs, files in os.walk(os.path.join(work, "meta")):
        if "UIDMapping" not in top.split(os.sep):
            continue
        for name in files:
            with open(os.path.join(top, name), "rb") as f:
                found += [(name, l) for l in f.read().decode(errors="replace").splitlines() if l.startswith("?")]
    return found


def scenario_imap_stale_pending(server, root):
    """A kill after the move's pending map line, before the local MOVE;
    then the remote deletes the message from Archive, so no sync moves it
    again: the next listing of the local Archive finds no copy for the
    pending line and the line goes from the map file too."""
    name = "IMAP<->IMAP pending line without a copy"
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip(name, mailsync_tap.NO_HOOKS)
        return
    user, pw, local, work = prepare_imap(server, root, "imap-stale-pending", 20000)
    move_on_server(server, user, pw, ["mover"])
    p = run_sync(server, user, pw, work, crash="mapped-move-intent:1", local=local)
    check("%s: the sync was killed after the pending line" % name,
          p.returncode == 77 and len(pending_map_lines(work)) == 1, (summary(p), pending_map_lines(work)))
    delete_on_server(server, user, pw, "Archive", "mover")
    p = run_sync(server, user, pw, work, local=local)
    check("%s: the next sync succeeds" % name, p.returncode == 0, summary(p))
    check("%s: no pending line is left in the UID maps" % name, not pending_map_lines(work),
          pending_map_lines(work))
    converged_imap(server, user, pw, local, work, name, [])


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-moves-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = Server(root)
        scenario_move(server, root)
        scenario_ambiguous(server, root)
        scenario_collisions(server, root)
        for step in ("imap-move-before-rename", "imap-move-moved", "imap-move-renamed"):
            scenario_kill(server, root, step)
        for step in ("imap-move-moved", "imap-move-renamed"):
            scenario_deleted_after_rename(server, root, step)
        scenario_imap_move(server, root)
        for step in ("imap-move-before-rename", "mapped-move-intent", "mapped-moved", "imap-move-moved",
                     "imap-move-renamed"):
            scenario_imap_kill(server, root, step)
        for step in ("mapped-moved", "imap-move-moved", "imap-move-renamed"):
            scenario_imap_deleted_after(server, root, step)
        scenario_imap_stale_pending(server, root)
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
