#!/usr/bin/env python3
"""A killed run's last APPENDs, stored late (doc/design.md "A killed run's
last APPENDs"): a test of the client against the scripted server
(tests/scripted_imap.py), which can do what Dovecot does only by chance:
hold a dead connection's APPENDs and store them after the next run's
connection has SELECTed and listed the folder.

- late: a run is killed (SIGKILL) while the server holds its APPENDs of
  three new local messages unanswered; the server stores them right
  after the next run's first listing of the folder. That run must not
  upload them again: it keeps their intents, does the folder's other work
  (a download), lists again, finds the late copies and gives the local
  files their UIDs. Exit 0, three messages on the server.
- never: the same kill, but the held APPENDs are never stored. The next
  run (within the grace, MAILSYNC_TEST_UPLOAD_GRACE) uploads nothing,
  says in one warning line that the folder's 3 messages are not on the
  server yet and when they will be sent again, and exits 1 (a skipped
  message's status); a run after the grace uploads them, once.
- renamed / renamed-found: as late, but the mail program renames the
  files between the kill and the next run (new/ to cur/ with a flag, as
  when it shows them): the intents find them by the Maildir unique name.
  In "renamed" the copies are stored after the next run's listing, in
  "renamed-found" before it (the copy found at once). Either way no
  message is sent again and none downloaded back.
- busy: the held APPENDs are never stored, and every run after the kill
  uploads a new local message of its own, less than the grace apart. The
  dead run's intents must still age out one grace after its last commit
  (a run that ends with nothing on the wire does not keep them young):
  the message is uploaded, once, by the first run that starts after the
  grace.
- old: a status written before the start was recorded (an intent of
  three fields) counts as old: the message is uploaded at once.
- slow: the held APPEND is never stored, and the next run (within the
  grace) has other work that takes longer than the grace (the server
  answers the STORE of a flag set locally late). When the folder is listed again
  the grace is over: the message is uploaded in that run, once, exit 0,
  and no warning.
- dry-run: within the grace, --dry-run says the message is held, until
  when, in the basic, ttyui and machineui outputs, and lists no upload.
- dry-run-found: as dry-run, but the held APPEND is stored before the
  --dry-run (within the grace): its copy is on the server, which a real
  run records, so the dry run says nothing is held and lists neither an
  upload nor the copy as a download (review 1 Low 4 of session 16); the
  real run after it copies nothing.
- deleted / deleted-found: as late, but the user deletes one of the three
  local files between the kill and the next run. Its late copy (stored
  after the next run's listing, or before it) is recorded with no local
  side, so the sync deletes it on the server: the user's delete wins,
  the message does not come back, the two others are found.
- deleted-later: one held APPEND, its local file deleted; the next run
  (within the grace) sees no copy yet, warns of nothing and exits 0; the
  copy is stored after it, and the run after that deletes it on the
  server: the message never comes back.
- aged-out: one held APPEND of a file whose name dates it 40 days back,
  uploaded by a run with maxage = 3650; the next run has maxage = 30, so
  the file is out of the local window (the server has nothing since the
  window's day: the listing by name) and its copy is stored after that
  run's first SEARCH. Out of the window is not deleted: the copy is not
  deleted on the server, the file stays, and no run after takes it off.

Needs the test hooks (the grace is a minute otherwise); no Dovecot."""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

import mailsync_tap
import scripted_imap

TAP = mailsync_tap.Tap()
check = TAP.check
# The grace of the runs that test its end (never's run after it, busy,
# slow): seconds, so that they wait seconds.
GRACE = 4
# The grace of every other run, which must come within the grace of the
# killed run's intents: no run of a loaded machine (ASan, load 20)
# outlasts it. The grace is read by the run that finds the intents.
WITHIN = 120


def within_grace(started_at):
    """Whether a run that ended now found the intents of a killed run
    started at @started_at within WITHIN. The grace runs from the intent,
    which is after the killed run's start and before its kill, and is
    counted in whole seconds (the status's unit): a second off."""
    return time.time() - started_at < WITHIN - 1


class LateServer(scripted_imap.ScriptedImapServer):
    """Holds the APPENDs of the sessions in @holding unanswered (the
    client waits); release() stores them, as the dead session's server
    process finally does."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.holding = set()
        self.held = []
        self.on_listed = None       # called after a listing's answer went out
        self.notify = set()         # sessions to tell of the stored messages
        self.slow_store = 0         # seconds the next STORE is answered late

    def process(self, session, tag, verb, rest, literals):
        if verb == "APPEND" and session.number in self.holding:
            with self.lock:
                self.held.append((tag, rest.split(" ", 1)[1], literals))
            return True
        if verb == "UID STORE" and self.slow_store:
            delay, self.slow_store = self.slow_store, 0
            time.sleep(delay)
        if session.number in self.notify and verb not in ("SELECT", "EXAMINE"):
            # what any server tells a session of messages another one added
            self.notify.discard(session.number)
            if session.selected == "INBOX":
                session.send("* %d EXISTS\r\n" % len(self.mailboxes["INBOX"].messages))
        ok = super().process(session, tag, verb, rest, literals)
        # the listing of the messages the client does not know yet (after
        # the known ones' FLAGS in a fast listing)
        if (verb == "UID FETCH" and "RFC822.SIZE" in rest and session.number not in self.holding
                and self.on_listed is not None):
            hook, self.on_listed = self.on_listed, None
            hook(self)
        return ok

    def release(self):
        with self.lock:
            held, self.held = self.held, []
        for tag, args, literals in held:
            self.append(tag, args, literals)
        self.notify.update(s.number for s in self.sessions)
        return len(held)


def write_config(work, port):
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "offlineimaprc")
    with open(path, "w") as f:
        f.write("[general]\naccounts = T\nmetadata = %s/meta\nsocktimeout = 60\n\n"
                "[Account T]\nlocalrepository = L\nremoterepository = R\n\n"
                "[Repository L]\ntype = Maildir\nlocalfolders = %s/Mail\n\n"
                "[Repository R]\ntype = IMAP\nremotehost = 127.0.0.1\nremoteport = %d\nremoteuser = u\n"
                "remotepass = secret-pw\nssl = no\nstarttls = no\n"
                % (work, work, port))
    return path


def env_of(work, grace=WITHIN):
    env = dict(os.environ)
    env["HOME"] = work
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env["MAILSYNC_TEST_UPLOAD_GRACE"] = str(grace)
    return env


def run(work, path, grace=WITHIN):
    return subprocess.run([mailsync_tap.MAILSYNC, "-c", path], env=env_of(work, grace), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


def new_local(work, tags):
    d = os.path.join(work, "Mail", "INBOX", "new")
    os.makedirs(d, exist_ok=True)
    for i, tag in enumerate(tags):
        with open(os.path.join(d, "1800000%03d.M%dP9.late" % (i, i)), "wb") as f:
            f.write(scripted_imap.message(tag))


def local_files(work):
    out = []
    for sub in ("cur", "new"):
        d = os.path.join(work, "Mail", "INBOX", sub)
        out += [n for n in os.listdir(d)] if os.path.isdir(d) else []
    return out


def server_tags(server):
    out = []
    with server.lock:
        for m in server.mailboxes["INBOX"].messages:
            found = re.search(rb"^Subject: (.*?)\r?$", m[2], re.M)
            out.append(found.group(1).decode() if found else "?")
    return sorted(out)


def killed_while_held(server, work, path, count):
    """Starts a run, waits until the server holds @count APPENDs of it,
    kills it. True when that happened within the deadline."""
    server.holding = {len(server.sessions) + 1}
    p = subprocess.Popen([mailsync_tap.MAILSYNC, "-c", path], env=env_of(work), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    ok = mailsync_tap.wait_for(lambda: len(server.held) >= count or p.poll() is not None, timeout=60)
    held = len(server.held)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return ok and held == count


def prepared(root, name):
    server = LateServer(("INBOX",))
    server.mailboxes["INBOX"].add(scripted_imap.message("old-1"), ["\\Seen"])
    work = os.path.join(root, name)
    path = write_config(work, server.port)
    p = run(work, path)
    check("%s: first sync exits 0" % name, p.returncode == 0, p.stdout + p.stderr)
    return server, work, path


def scenario_late(root):
    server, work, path = prepared(root, "late")
    tags = ["late-%d" % i for i in range(3)]
    new_local(work, tags)
    if not check("late: a run killed while the server holds its 3 APPENDs", killed_while_held(server, work, path, 3),
                 "held %d" % len(server.held)):
        return
    # other work for the next run: a message to download
    server.mailboxes["INBOX"].add(scripted_imap.message("new-remote"))
    stored = []
    server.on_listed = lambda s: stored.append(s.release())
    p = run(work, path)
    check("late: the held APPENDs were stored after the next run's listing", stored == [3], stored)
    check("late: the next run exits 0", p.returncode == 0, p.stdout + p.stderr)
    appends = [c for c in server.commands("^APPEND") if True]
    check("late: no message sent again (3 APPENDs in all, the held ones)",
          len(appends) == 3, appends)
    check("late: each message once on the server", server_tags(server) == sorted(["old-1", "new-remote"] + tags),
          server_tags(server))
    files = local_files(work)
    check("late: 5 local files, each with its UID", len(files) == 5 and all(",U=" in n for n in files), files)
    p = run(work, path)
    check("late: a third run copies nothing and exits 0",
          p.returncode == 0 and len(server.commands("^APPEND")) == 3 and len(local_files(work)) == 5,
          p.stdout + p.stderr)
    server.close()


def rename_local(work):
    """What a mail program does to new mail it shows: moves it to cur/
    and sets flags (\\Seen; one flagged too)."""
    d = os.path.join(work, "Mail", "INBOX")
    for i, n in enumerate(sorted(os.listdir(os.path.join(d, "new")))):
        os.rename(os.path.join(d, "new", n), os.path.join(d, "cur", n + (":2,FS" if i == 0 else ":2,S")))


def scenario_renamed(root, name):
    server, work, path = prepared(root, name)
    tags = ["%s-%d" % (name, i) for i in range(3)]
    new_local(work, tags)
    if not check("%s: a run killed while the server holds its 3 APPENDs" % name,
                 killed_while_held(server, work, path, 3), "held %d" % len(server.held)):
        return
    rename_local(work)
    stored = []
    if name == "renamed":
        server.on_listed = lambda s: stored.append(s.release())
    else:
        stored.append(server.release())
    server.holding = set()
    p = run(work, path)
    check("%s: the held APPENDs were stored" % name, stored == [3], stored)
    check("%s: the next run exits 0" % name, p.returncode == 0, p.stdout + p.stderr)
    check("%s: no message sent again (3 APPENDs in all, the held ones)" % name,
          len(server.commands("^APPEND")) == 3, server.commands("^APPEND"))
    check("%s: each message once on the server" % name, server_tags(server) == sorted(["old-1"] + tags),
          server_tags(server))
    files = local_files(work)
    check("%s: 4 local files, each with its UID" % name, len(files) == 4 and all(",U=" in n for n in files), files)
    p = run(work, path)
    check("%s: a third run copies nothing and exits 0" % name,
          p.returncode == 0 and len(server.commands("^APPEND")) == 3 and len(local_files(work)) == 4,
          p.stdout + p.stderr)
    server.close()


def scenario_never(root):
    server, work, path = prepared(root, "never")
    tags = ["never-%d" % i for i in range(3)]
    new_local(work, tags)
    started_at = time.time()
    if not check("never: a run killed while the server holds its 3 APPENDs", killed_while_held(server, work, path, 3),
                 "held %d" % len(server.held)):
        return
    killed_at = time.time()
    server.held = []                    # the dead session's APPENDs are lost
    server.holding = set()
    p = run(work, path)
    lines = [l for l in (p.stdout + p.stderr).splitlines() if "not on the server yet" in l]
    if within_grace(started_at):
        check("never: within the grace the next run uploads nothing", len(server.commands("^APPEND")) == 3,
              server.commands("^APPEND"))
        check("never: one warning line naming the folder, the count and when",
              len(lines) == 1 and "INBOX" in lines[0] and " 3 messages" in lines[0]
              and re.search(r"before \d\d:\d\d:\d\d", lines[0]) is not None, p.stdout + p.stderr)
        check("never: the run exits 1 (the folder is not complete)", p.returncode == 1, p.returncode)
        check("never: the server has none of them", server_tags(server) == ["old-1"], server_tags(server))
    else:
        TAP.skip("never: the run within the grace", "the machine took longer than the %d s grace" % WITHIN)
    # the grace (GRACE for this run) is a wall-clock rule from the intent,
    # before the kill: wait until it is over for sure
    while time.time() < killed_at + GRACE + 1.5:
        time.sleep(0.2)
    p = run(work, path, grace=GRACE)
    check("never: after the grace they are uploaded, exit 0", p.returncode == 0, p.stdout + p.stderr)
    check("never: each message once on the server", server_tags(server) == sorted(["old-1"] + tags),
          server_tags(server))
    files = local_files(work)
    check("never: 4 local files, each with its UID", len(files) == 4 and all(",U=" in n for n in files), files)
    server.close()


def scenario_busy(root):
    server, work, path = prepared(root, "busy")
    new_local(work, ["busy-x"])
    if not check("busy: a run killed while the server holds its APPEND", killed_while_held(server, work, path, 1),
                 "held %d" % len(server.held)):
        return
    killed_at = time.time()
    server.held = []                    # never stored
    server.holding = set()
    d = os.path.join(work, "Mail", "INBOX", "new")
    runs = []
    # a run about every second, each with a new local message, until the
    # dead run's message is on the server, or until a run that started
    # after the grace (from the intent, before the kill) is over: that one
    # must have uploaded it, however long each run took (a deadline in
    # runs, not in seconds: the machine may be loaded)
    over = killed_at + GRACE + 1.5
    after = False
    while "busy-x" not in server_tags(server) and not after and time.time() < killed_at + 300:
        with open(os.path.join(d, "1800001%03d.M0P9.busy" % len(runs)), "wb") as f:
            f.write(scripted_imap.message("busy-y%d" % len(runs)))
        after = time.time() > over
        runs.append(run(work, path, grace=GRACE).returncode)
        time.sleep(1)
    check("busy: the held message uploaded by the first run after the grace though every run uploaded",
          "busy-x" in server_tags(server), "runs' exit codes %s, server %s" % (runs, server_tags(server)))
    check("busy: once on the server", server_tags(server).count("busy-x") == 1, server_tags(server))
    p = run(work, path, grace=GRACE)
    check("busy: the next run exits 0, every message once",
          p.returncode == 0 and server_tags(server) == sorted(["old-1", "busy-x"] + ["busy-y%d" % i for i in range(len(runs))]),
          p.stdout + p.stderr + repr(server_tags(server)))
    server.close()


def scenario_old(root):
    """An intent without its start (a status of before this change)."""
    server, work, path = prepared(root, "old")
    new_local(work, ["old-intent"])
    if not check("old: a run killed while the server holds its APPEND", killed_while_held(server, work, path, 1),
                 "held %d" % len(server.held)):
        return
    server.held = []
    server.holding = set()
    # take the start out of the intent (the SQLite store's mailsync_meta
    # table, or the plain store's meta file and journal, %-escaped)
    changed = 0
    for dirpath, _, names in os.walk(os.path.join(work, "meta")):
        for n in names:
            full = os.path.join(dirpath, n)
            if n.endswith(("-wal", "-shm")) or not os.path.exists(full):
                continue
            with open(full, "rb") as f:
                data = f.read()
            if data.startswith(b"SQLite format 3"):
                db = sqlite3.connect(full)
                for key, value in db.execute("SELECT key, value FROM mailsync_meta WHERE key LIKE 'mailsync.upload.%'"):
                    db.execute("UPDATE mailsync_meta SET value = ? WHERE key = ?", (value.rsplit("\t", 1)[0], key))
                    changed += 1
                db.commit()
                db.close()
                continue
            new = re.sub(rb"(mailsync\.upload\.[^\n]*?%09[^\n]*?%09[^\n]*?)%09\d+", rb"\1", data)
            if new != data:
                changed += 1
                with open(full, "wb") as f:
                    f.write(new)
    check("old: the intent's start taken out of the status", changed > 0, changed)
    p = run(work, path)
    check("old: uploaded again at once, exit 0", p.returncode == 0 and len(server.commands("^APPEND")) == 2,
          p.stdout + p.stderr + repr(server.commands("^APPEND")))
    check("old: once on the server", server_tags(server) == ["old-1", "old-intent"], server_tags(server))
    server.close()


def scenario_slow(root):
    server, work, path = prepared(root, "slow")
    new_local(work, ["slow-x"])
    if not check("slow: a run killed while the server holds its APPEND", killed_while_held(server, work, path, 1),
                 "held %d" % len(server.held)):
        return
    killed_at = time.time()
    server.held = []                    # never stored
    server.holding = set()
    # other work for the next run: a flag set locally, whose STORE the
    # server answers after the grace (the reconcile sends no STORE)
    cur = os.path.join(work, "Mail", "INBOX", "cur")
    old = [n for n in os.listdir(cur) if n.endswith(":2,S")]
    os.rename(os.path.join(cur, old[0]), os.path.join(cur, old[0][:-1] + "FS"))
    server.slow_store = GRACE + 1.5
    p = run(work, path, grace=GRACE)
    if time.time() - killed_at > 3 * GRACE:
        TAP.skip("slow: the run within the grace", "the machine took too long")
        server.close()
        return
    out = p.stdout + p.stderr
    check("slow: the folder's work outlasted the grace, the held message is uploaded in the same run, exit 0",
          p.returncode == 0 and "not on the server yet" not in out, out)
    check("slow: the STORE was answered late", server.slow_store == 0 and len(server.commands("^UID STORE")) == 1,
          server.commands("^UID STORE"))
    check("slow: once on the server", server_tags(server) == ["old-1", "slow-x"], server_tags(server))
    check("slow: 2 APPENDs in all (the held one, the upload)", len(server.commands("^APPEND")) == 2,
          server.commands("^APPEND"))
    files = local_files(work)
    check("slow: 2 local files, each with its UID", len(files) == 2 and all(",U=" in n for n in files), files)
    p = run(work, path)
    check("slow: the next run copies nothing and exits 0",
          p.returncode == 0 and len(server.commands("^APPEND")) == 2 and len(local_files(work)) == 2,
          p.stdout + p.stderr)
    server.close()


def dry_runs(work, path):
    """The --dry-run's output in the three UIs that word the held uploads
    (machineui's lines unquoted)."""
    outs = {}
    for ui in ("basic", "ttyui", "machineui"):
        p = subprocess.run([mailsync_tap.MAILSYNC, "-c", path, "--dry-run", "-u", ui], env=env_of(work),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        outs[ui] = p.stdout + p.stderr
        if ui == "machineui":
            outs[ui] = "\n".join(urllib.parse.unquote_plus(l) for l in outs[ui].splitlines())
    return outs


def scenario_dry_run(root):
    server, work, path = prepared(root, "dry-run")
    new_local(work, ["dry-x"])
    # the grace runs from the killed run's intent, which is after its start
    # and before the kill: measured from the start, a check is within it
    started_at = time.time()
    if not check("dry-run: a run killed while the server holds its APPEND", killed_while_held(server, work, path, 1),
                 "held %d" % len(server.held)):
        return
    server.held = []                    # never stored
    server.holding = set()
    outs = dry_runs(work, path)
    if not within_grace(started_at):
        TAP.skip("dry-run: the runs within the grace", "the machine took longer than the %d s grace" % WITHIN)
        server.close()
        return
    for ui, out in outs.items():
        held = [l for l in out.splitlines() if "DRYRUN" in l and "held" in l]
        check("dry-run -u %s: one line says the message is held and until when" % ui,
              len(held) == 1 and re.search(r"before \d\d:\d\d:\d\d", held[0]) is not None, out)
        check("dry-run -u %s: no upload listed" % ui, not re.search(r"DRYRUN\]? Copy \d+ messages from INBOX\[L\]", out),
              out)
    check("dry-run: nothing sent", len(server.commands("^APPEND")) == 1, server.commands("^APPEND"))
    server.close()


def scenario_deleted(root, name):
    server, work, path = prepared(root, name)
    tags = ["%s-%d" % (name, i) for i in range(3)]
    new_local(work, tags)
    if not check("%s: a run killed while the server holds its 3 APPENDs" % name,
                 killed_while_held(server, work, path, 3), "held %d" % len(server.held)):
        return
    # the user deletes the second message before the next run
    gone = [n for n in local_files(work) if n.startswith("1800000001.")]
    os.unlink(os.path.join(work, "Mail", "INBOX", "new", gone[0]))
    stored = []
    if name == "deleted":
        server.on_listed = lambda s: stored.append(s.release())
    else:
        stored.append(server.release())
    server.holding = set()
    p = run(work, path)
    check("%s: the held APPENDs were stored" % name, stored == [3], stored)
    check("%s: the next run exits 0" % name, p.returncode == 0, p.stdout + p.stderr)
    check("%s: no message sent again (3 APPENDs in all, the held ones)" % name,
          len(server.commands("^APPEND")) == 3, server.commands("^APPEND"))
    check("%s: the deleted message's late copy is deleted on the server, the others stay" % name,
          server_tags(server) == sorted(["old-1", tags[0], tags[2]]), server_tags(server))
    files = local_files(work)
    check("%s: 3 local files, each with its UID, the deleted one not back" % name,
          len(files) == 3 and all(",U=" in n for n in files), files)
    p = run(work, path)
    check("%s: a third run copies nothing and exits 0" % name,
          p.returncode == 0 and len(server.commands("^APPEND")) == 3 and len(local_files(work)) == 3
          and server_tags(server) == sorted(["old-1", tags[0], tags[2]]),
          p.stdout + p.stderr + repr(server_tags(server)))
    server.close()


def scenario_deleted_later(root):
    server, work, path = prepared(root, "deleted-later")
    new_local(work, ["gone-x"])
    started_at = time.time()
    if not check("deleted-later: a run killed while the server holds its APPEND",
                 killed_while_held(server, work, path, 1), "held %d" % len(server.held)):
        return
    for n in local_files(work):
        if n.startswith("1800000000."):
            os.unlink(os.path.join(work, "Mail", "INBOX", "new", n))
    server.holding = set()
    p = run(work, path)
    if not within_grace(started_at):
        TAP.skip("deleted-later: the run within the grace", "the machine took longer than the %d s grace" % WITHIN)
    else:
        check("deleted-later: within the grace, no warning, exit 0",
              p.returncode == 0 and "not on the server yet" not in p.stdout + p.stderr, p.stdout + p.stderr)
    check("deleted-later: the late copy is stored after that run", server.release() == 1)
    p = run(work, path)
    check("deleted-later: the next run deletes it on the server, exit 0",
          p.returncode == 0 and server_tags(server) == ["old-1"], p.stdout + p.stderr + repr(server_tags(server)))
    check("deleted-later: it is not back locally", len(local_files(work)) == 1, local_files(work))
    server.close()


class AgedServer(LateServer):
    """Answers UID SEARCH SINCE with the messages stored after the first
    sync only (the ones there then are older than any window), and stores
    the held APPENDs right after the first such answer to @release_on."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.old_uids = set()
        self.release_on = None

    def process(self, session, tag, verb, rest, literals):
        if verb == "UID SEARCH" and " SINCE " in " %s " % rest.upper() and session.selected in self.mailboxes:
            with self.lock:
                uids = [m[0] for m in self.mailboxes[session.selected].messages if m[0] not in self.old_uids]
            if self.release_on == session.number:
                self.release_on = None
                self.release()
            session.send("* SEARCH%s\r\n%s OK UID SEARCH completed\r\n" % ("".join(" %d" % u for u in uids), tag))
            return True
        return super().process(session, tag, verb, rest, literals)


def set_maxage(path, days):
    with open(path) as f:
        text = re.sub(r"\nmaxage = \d+\n", "\n", f.read())
    with open(path, "w") as f:
        f.write(text.replace("remoterepository = R\n", "remoterepository = R\nmaxage = %d\n" % days))


def scenario_aged_out(root):
    server = AgedServer(("INBOX",))
    server.mailboxes["INBOX"].add(scripted_imap.message("old-1"), ["\\Seen"])
    server.old_uids = {m[0] for m in server.mailboxes["INBOX"].messages}
    work = os.path.join(root, "aged-out")
    path = write_config(work, server.port)
    set_maxage(path, 3650)
    d = os.path.join(work, "Mail", "INBOX", "new")
    os.makedirs(d, exist_ok=True)
    for sub in ("cur", "tmp"):
        os.makedirs(os.path.join(work, "Mail", "INBOX", sub), exist_ok=True)
    with open(os.path.join(d, "%d.M1P9.aged" % (time.time() - 40 * 86400)), "wb") as f:
        f.write(scripted_imap.message("aged-a"))
    if not check("aged-out: a run (maxage 3650) killed while the server holds its APPEND",
                 killed_while_held(server, work, path, 1), "held %d" % len(server.held)):
        return
    server.holding = set()
    set_maxage(path, 30)
    server.release_on = len(server.sessions) + 1
    p = run(work, path)
    check("aged-out: the next run (maxage 30) exits 0, the late copy stored during it",
          p.returncode == 0 and not server.held and server.release_on is None, p.stdout + p.stderr)
    check("aged-out: the copy of the file out of the window is not deleted on the server",
          server_tags(server) == ["aged-a", "old-1"], p.stdout + p.stderr + repr(server_tags(server)))
    p = run(work, path)
    check("aged-out: the run after keeps it on the server, the file stays, exit 0",
          p.returncode == 0 and server_tags(server) == ["aged-a", "old-1"] and len(local_files(work)) == 1,
          p.stdout + p.stderr + repr(server_tags(server)) + repr(local_files(work)))
    server.close()


def scenario_dry_run_found(root):
    server, work, path = prepared(root, "dry-run-found")
    new_local(work, ["dry-f"])
    started_at = time.time()          # as in scenario_dry_run
    if not check("dry-run-found: a run killed while the server holds its APPEND",
                 killed_while_held(server, work, path, 1), "held %d" % len(server.held)):
        return
    server.holding = set()
    stored = server.release()
    outs = dry_runs(work, path)
    if not within_grace(started_at):
        TAP.skip("dry-run-found: the runs within the grace", "the machine took longer than the %d s grace" % WITHIN)
        server.close()
        return
    for ui, out in outs.items():
        check("dry-run-found -u %s: the stored copy is neither held, uploaded nor downloaded" % ui,
              stored == 1 and not [l for l in out.splitlines() if "DRYRUN" in l and "held" in l] and
              not re.search(r"DRYRUN\]? Copy \d+ messages? from INBOX\[[LR]\]", out), out)
    p = run(work, path)
    check("dry-run-found: the real run records the copy: nothing sent or fetched again, exit 0",
          p.returncode == 0 and len(server.commands("^APPEND")) == 1 and server_tags(server) == ["dry-f", "old-1"]
          and len(local_files(work)) == 2 and all(",U=" in n for n in local_files(work)),
          p.stdout + p.stderr + repr(local_files(work)))
    server.close()


def main():
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("late APPEND scenarios", mailsync_tap.NO_HOOKS)
        return TAP.finish()
    root = tempfile.mkdtemp(prefix="mailsync-late-", dir="/tmp")
    try:
        only = os.environ.get("MAILSYNC_TEST_ONLY")
        for name, fn in (("late", scenario_late), ("renamed", lambda r: scenario_renamed(r, "renamed")),
                         ("renamed-found", lambda r: scenario_renamed(r, "renamed-found")),
                         ("never", scenario_never), ("busy", scenario_busy), ("old", scenario_old),
                         ("slow", scenario_slow), ("dry-run", scenario_dry_run),
                         ("dry-run-found", scenario_dry_run_found),
                         ("deleted", lambda r: scenario_deleted(r, "deleted")),
                         ("deleted-found", lambda r: scenario_deleted(r, "deleted-found")),
                         ("deleted-later", scenario_deleted_later), ("aged-out", scenario_aged_out)):
            if not only or only == name:
                fn(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
