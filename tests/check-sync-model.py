#!/usr/bin/env python3
"""The three-way model-based random sync test with kills (issue 12, Tests).

A model of one account holds, per folder, the messages (named by a unique
Message-ID) and their flags on the server, in the local Maildir, and what
the last sync agreed on. A seeded PRNG drives rounds: each round applies a
few random operations to the server (imaplib against the harness Dovecot:
APPEND, STORE flags, EXPUNGE, UID MOVE, CREATE) and to the local Maildir
(a new file in new/ or cur/, a flag rename, an unlink, a new folder), then
runs the mailsync command (-o), sometimes first killed: at a crash point
(MAILSYNC_CRASH_AT=<step>:<n>, any step of the library's sources that an
IMAP <-> Maildir sync with this status backend passes) or by SIGKILL once
its output has reached a random number of lines (a point in the program's
progress, not in time: no sleep guesses the machine's speed). A clean run
follows every killed one; between the two, the user goes on (new messages,
flag changes and deletions on both sides, on the messages and folders the
killed run had nothing to do with, see user_ops_after_kill), so that a
crash followed by user activity is covered. After each clean run both sides must hold
exactly what offlineimap's three-way rules give
(/work/shared/reference/offlineimap.md 5.5): every message once per
folder on each side, nothing lost that the user did not delete,
deletions propagated (a deletion beats a flag change on the other side),
flags merged per flag (a flag changed on one side takes that side's
value; changed on both, they agree). The agreed state is then the next
round's base.

A server-side move (UID MOVE) takes a message the local side did not
touch in that round: with a local flag change on it, the engine's move
(bb03735, doc/design.md) keeps the local copy and merges its flags where
offlineimap downloads the server's copy, so the expected flags would not
be one thing.

Every seed is printed; a failure prints the seed, its operation log and
how to replay it:

  MAILSYNC_MODEL_SEED=<seed> MAILSYNC_MODEL_ROUNDS=<rounds> \\
      make -C tests check TESTS=check-sync-model.py

MAILSYNC_MODEL_SEEDS=<n> runs n seeds from MAILSYNC_MODEL_SEED on (long
runs). The operations replay exactly; where a SIGKILL lands is the one
thing a replay does not repeat. Even seeds use the SQLite status, odd ones
the plain one. In CI: 2 seeds x 6 rounds (-Werror build), 1 seed x 5
rounds under the sanitizers. Crash points need a library built with them
(configure --enable-test-hooks); without, those kills are TAP SKIPs and the
SIGKILLs still run. Skipped (1..0 # SKIP) when Dovecot is not installed."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import mailsync_tap

TAP = mailsync_tap.Tap(3000)
check = TAP.check

SANITIZED = bool(os.environ.get("MAILSYNC_TEST_SANITIZED"))
# mailsync_tap says whether the library has its crash points where the
# build can leave them out; where it cannot say, they are always there.
HOOKS = mailsync_tap.TEST_HOOKS
NO_HOOKS = mailsync_tap.NO_HOOKS

FIRST_SEED = int(os.environ.get("MAILSYNC_MODEL_SEED", "1"))
SEEDS = int(os.environ.get("MAILSYNC_MODEL_SEEDS", "1" if "MAILSYNC_MODEL_SEED" in os.environ
                           else "1" if SANITIZED else "2"))
ROUNDS = int(os.environ.get("MAILSYNC_MODEL_ROUNDS", "5" if SANITIZED else "6"))

# The Maildir letters offlineimap maps to IMAP system flags (its
# imaputil.flagmap); T (\Deleted) is left out: a message the model keeps
# never carries it.
LETTERS = {"S": "\\Seen", "F": "\\Flagged", "R": "\\Answered", "D": "\\Draft"}
FLAG_LETTER = dict((v.lower(), k) for k, v in LETTERS.items())
FLAG_LETTER["\\deleted"] = "T"
# Folder names either side may create: both sides creating the same one
# in a round is a case of its own (the two folders are one).
NEW_FOLDERS = ("Work", "Lists", "Old", "Projects", "Notes")
# What a round's operation (its log line's start) makes a sync do, as
# words of the crash points' names.
ACTIVITY_STEPS = (
    ("server: APPEND", ("download", "maildir-delivered", "maildir-tmp-written")),
    ("server: STORE", ("flags-local",)),
    ("server: EXPUNGE", ("delete-local",)),
    ("server: MOVE", ("imap-move", "download", "delete-local")),
    ("server: CREATE", ("folder-created",)),
    ("local: new folder", ("folder-created", "upload")),
    ("local: new", ("upload", "maildir-uid-set")),
    ("local: flags", ("flags-remote",)),
    ("local: delete", ("delete-remote", "imap-deleted")),
)
MSGID_RE = re.compile(rb"^Message-ID:\s*<([^>]*)>", re.M | re.I)


def flagstr(letters):
    return "".join(sorted(set(letters)))


def merge(base, remote, local):
    """offlineimap's flag passes, remote -> local first, then local ->
    remote: per flag, the side that changed it since @base wins; both
    changed means both hold the same value."""
    out = set()
    for letter in LETTERS:
        b, r, l = letter in base, letter in remote, letter in local
        if r if r != b else l:
            out.add(letter)
    return flagstr(out)


class Model:
    """Per side and folder, {message-id: flag letters}; @base is what the
    last clean sync left on both sides."""

    def __init__(self, state):
        self.base = {f: dict(m) for f, m in state.items()}
        self.remote = {f: dict(m) for f, m in state.items()}
        self.local = {f: dict(m) for f, m in state.items()}

    def expected(self):
        out = {}
        for folder in set(self.base) | set(self.remote) | set(self.local):
            b, r, l = (self.base.get(folder, {}), self.remote.get(folder, {}), self.local.get(folder, {}))
            res = {}
            for m in set(b) | set(r) | set(l):
                if m in b:
                    # Gone from either side: the deletion is propagated
                    # and beats a flag change on the other side.
                    if m in r and m in l:
                        res[m] = merge(b[m], r[m], l[m])
                elif m in r and m in l:
                    raise AssertionError("model: %s new on both sides of %s" % (m, folder))
                else:
                    res[m] = r[m] if m in r else l[m]
            out[folder] = res
        return out

    def agree(self, state):
        self.base = {f: dict(m) for f, m in state.items()}
        self.remote = {f: dict(m) for f, m in state.items()}
        self.local = {f: dict(m) for f, m in state.items()}


def message(msgid, n):
    # LF line ends as a local MUA writes them; APPEND sends CRLF.
    return ("From: model@example.org\nTo: alice@example.org\nSubject: model message %d\n"
            "Message-ID: <%s>\nDate: Wed, 25 Nov 2026 10:00:00 +0000\n\nBody %d of the model test.\n"
            % (n, msgid, n)).encode()


def crash_steps(backend):
    """The crash points of the library's sources (as check-crash.py finds
    them) that an IMAP <-> Maildir sync with @backend can pass."""
    steps = set()
    pattern = re.compile(r'_mailsync_crash_point \("([a-z0-9-]+)"\)')
    for root, _, names in os.walk(os.path.join(mailsync_tap.SRCDIR, "libmailsync")):
        for name in names:
            if name.endswith(".c"):
                with open(os.path.join(root, name)) as f:
                    steps.update(pattern.findall(f.read()))
    # run_deletes() composes its step names from a prefix.
    for prefix in ("runner-delete-local", "runner-delete-remote"):
        steps.update({prefix + "-flushed", prefix + "-committed"})
    other = "status-plain" if backend == "sqlite" else "status-sqlite"
    # Gmail labels and the IMAP <-> IMAP UID map are other account kinds.
    return sorted(s for s in steps if not s.startswith(("labels-", "mapped-", other)))


class Account:
    """One server user, a HOME with an offlineimap config for it, and the
    seeded model of both sides."""

    def __init__(self, server, root, seed, user, password):
        import random
        self.server, self.seed = server, seed
        self.user, self.password = user, password
        self.rng = random.Random(seed)
        self.backend = "sqlite" if seed % 2 == 0 else "plain"
        self.home = os.path.join(root, "seed%d" % seed)
        self.mail = os.path.join(self.home, "Mail")
        os.makedirs(self.mail)
        with open(os.path.join(self.home, ".offlineimaprc"), "w") as f:
            f.write("[general]\naccounts = Model\nmetadata = %(home)s/meta\nui = basic\n\n"
                    "[Account Model]\nlocalrepository = Local\nremoterepository = Remote\n"
                    "status_backend = %(backend)s\n\n"
                    "[Repository Local]\ntype = Maildir\nlocalfolders = %(home)s/Mail\n\n"
                    "[Repository Remote]\ntype = IMAP\nremotehost = %(host)s\nremoteport = %(port)s\n"
                    "remoteuser = %(user)s\nremotepass = %(pw)s\nssl = no\nstarttls = yes\n"
                    "sslcacertfile = %(ca)s\n"
                    % {"home": self.home, "host": server.env["DOVECOT_HOST"], "backend": self.backend,
                       "port": server.env["DOVECOT_PORT"], "user": user, "pw": password,
                       "ca": server.env["DOVECOT_CA"]})
        self.count = 0
        self.log = []
        self.steps = crash_steps(self.backend)
        self.stats = {"rounds": 0, "crash-at": 0, "crashed": 0, "kill-9": 0, "killed": 0, "after-kill": 0,
                      "runs": 0}

    # --- the two sides as they are -------------------------------------

    def imap(self):
        return self.server.imap(self.user, self.password)

    def server_state(self):
        """{folder: [(message-id, flags)]}, duplicates kept."""
        conn = self.imap()
        try:
            typ, data = conn.list()
            assert typ == "OK", data
            folders = []
            for line in data:
                m = re.match(rb'\((.*?)\) (?:NIL|"[^"]*") (.*)$', line)
                name = m.group(2).decode()
                if name.startswith('"'):
                    name = name[1:-1]
                if "\\noselect" not in m.group(1).decode().lower():
                    folders.append(name)
            state = {}
            for folder in folders:
                typ, data = conn.select('"%s"' % folder, readonly=True)
                assert typ == "OK", data
                items = []
                if int(data[0]) > 0:
                    typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                    assert typ == "OK", data
                    for part in data:
                        if not isinstance(part, tuple):
                            continue
                        fm = re.search(rb"FLAGS \((.*?)\)", part[0])
                        flags = flagstr(FLAG_LETTER.get(f.lower(), "")
                                        for f in fm.group(1).decode().split()) if fm else "?"
                        mm = MSGID_RE.search(part[1])
                        items.append((mm.group(1).decode() if mm else "(no Message-ID)", flags))
                state[folder] = sorted(items)
            return state
        finally:
            conn.logout()

    def local_files(self, folder):
        """[(path, message-id, flags)] of a local folder's cur/ and new/."""
        out = []
        for sub in ("cur", "new"):
            d = os.path.join(self.mail, folder, sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else ():
                if name.startswith("."):
                    continue
                path = os.path.join(d, name)
                with open(path, "rb") as f:
                    mm = MSGID_RE.search(f.read())
                out.append((path, mm.group(1).decode() if mm else "(no Message-ID)",
                            flagstr(name.split(":2,", 1)[1]) if ":2," in name else ""))
        return out

    def local_state(self):
        state = {}
        for name in sorted(os.listdir(self.mail)):
            if os.path.isdir(os.path.join(self.mail, name, "cur")):
                state[name] = sorted((m, fl) for _, m, fl in self.local_files(name))
        return state

    # --- operations ----------------------------------------------------

    def new_msgid(self):
        self.count += 1
        return "s%d.m%04d@model" % (self.seed, self.count)

    def random_flags(self):
        return flagstr(l for l in LETTERS if self.rng.random() < 0.4)

    def uid_of(self, conn, folder, msgid):
        typ, data = conn.select('"%s"' % folder)
        assert typ == "OK", data
        typ, data = conn.uid("SEARCH", None, "HEADER", "Message-ID", '"<%s>"' % msgid)
        assert typ == "OK" and len(data[0].split()) == 1, (folder, msgid, data)
        return data[0].decode()

    def server_ops(self, conn, count, touched_local, moved, settled=None):
        """@count random operations on the server; with @settled (after a
        killed run), only APPEND to the folders both sides had at the last
        clean sync, STORE and EXPUNGE of the messages in @settled."""
        for _ in range(count):
            folders = sorted(self.model.remote)
            nonempty = [f for f in folders if self.model.remote[f]]
            op = self.rng.choice(["append", "append", "store", "store", "expunge", "move", "create"])
            if settled is not None:
                folders = [f for f in folders if f in self.model.base and f in self.model.local]
                nonempty = sorted({f for f, _ in settled})
                if op in ("move", "create"):
                    op = "append"
            if op in ("store", "expunge", "move") and not nonempty:
                op = "append"
            if op == "append":
                folder = self.rng.choice(folders)
                msgid, flags = self.new_msgid(), self.random_flags()
                typ, data = conn.append('"%s"' % folder, "(%s)" % " ".join(LETTERS[l] for l in flags),
                                        None, message(msgid, self.count).replace(b"\n", b"\r\n"))
                assert typ == "OK", data
                self.model.remote[folder][msgid] = flags
                self.log.append("server: APPEND %s to %s flags '%s'" % (msgid, folder, flags))
            elif op == "store":
                folder = self.rng.choice(nonempty)
                msgid = self.rng.choice(self.choices(self.model.remote, folder, settled))
                flags = self.random_flags()
                uid = self.uid_of(conn, folder, msgid)
                typ, data = conn.uid("STORE", uid, "FLAGS.SILENT",
                                     "(%s)" % " ".join(LETTERS[l] for l in flags))
                assert typ == "OK", data
                self.log.append("server: STORE %s in %s flags '%s' (was '%s')"
                                % (msgid, folder, flags, self.model.remote[folder][msgid]))
                self.model.remote[folder][msgid] = flags
            elif op == "expunge":
                folder = self.rng.choice(nonempty)
                msgid = self.rng.choice(self.choices(self.model.remote, folder, settled))
                if settled is not None:
                    settled.discard((folder, msgid))
                uid = self.uid_of(conn, folder, msgid)
                typ, data = conn.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)")
                assert typ == "OK", data
                typ, data = conn.uid("EXPUNGE", uid)
                assert typ == "OK", data
                del self.model.remote[folder][msgid]
                self.log.append("server: EXPUNGE %s from %s" % (msgid, folder))
            elif op == "move":
                candidates = [(f, m) for f in nonempty for m in sorted(self.model.remote[f])
                              if (f, m) not in touched_local]
                if len(folders) < 2 or not candidates:
                    continue
                folder, msgid = self.rng.choice(candidates)
                dest = self.rng.choice([f for f in folders if f != folder])
                uid = self.uid_of(conn, folder, msgid)
                typ, data = conn.uid("MOVE", uid, '"%s"' % dest)
                assert typ == "OK", data
                self.model.remote[dest][msgid] = self.model.remote[folder].pop(msgid)
                moved.add(msgid)
                self.log.append("server: MOVE %s from %s to %s" % (msgid, folder, dest))
            else:
                free = [f for f in NEW_FOLDERS if f not in self.model.remote]
                if not free:
                    continue
                folder = self.rng.choice(free)
                typ, data = conn.create('"%s"' % folder)
                assert typ == "OK", data
                self.model.remote[folder] = {}
                self.log.append("server: CREATE %s" % folder)

    def choices(self, side, folder, settled):
        return sorted(m for m in side[folder] if settled is None or (folder, m) in settled)

    def local_ops(self, count, touched_local, moved, settled=None):
        """@count random operations on the Maildir; with @settled (after a
        killed run), only new messages in the folders both sides had at
        the last clean sync, flag changes and deletions of the messages in
        @settled."""
        for _ in range(count):
            folders = sorted(self.model.local)
            candidates = [(f, m) for f in folders for m in sorted(self.model.local[f]) if m not in moved]
            op = self.rng.choice(["new", "new", "flags", "flags", "delete", "folder"])
            if settled is not None:
                folders = [f for f in folders if f in self.model.base and f in self.model.remote]
                candidates = [(f, m) for f, m in candidates if (f, m) in settled]
                if op == "folder":
                    op = "new"
            if op in ("flags", "delete") and not candidates:
                op = "new"
            if op == "new":
                folder = self.rng.choice(folders)
                msgid, flags = self.new_msgid(), self.random_flags()
                self.deliver(folder, msgid, flags)
                self.model.local[folder][msgid] = flags
                self.log.append("local: new %s in %s flags '%s'" % (msgid, folder, flags))
            elif op == "flags":
                folder, msgid = self.rng.choice(candidates)
                flags = self.random_flags()
                path = self.local_path(folder, msgid)
                base = os.path.basename(path).split(":2,", 1)[0]
                # A MUA moves a message it has seen into cur/, and
                # offlineimap's rule keeps one without S in new/: both
                # are read.
                sub = self.rng.choice(("cur", "new")) if "S" not in flags else "cur"
                os.rename(path, os.path.join(self.mail, folder, sub, base + ":2," + flags))
                self.log.append("local: flags of %s in %s '%s' (was '%s')"
                                % (msgid, folder, flags, self.model.local[folder][msgid]))
                self.model.local[folder][msgid] = flags
                touched_local.add((folder, msgid))
            elif op == "delete":
                folder, msgid = self.rng.choice(candidates)
                os.unlink(self.local_path(folder, msgid))
                del self.model.local[folder][msgid]
                touched_local.add((folder, msgid))
                if settled is not None:
                    settled.discard((folder, msgid))
                self.log.append("local: delete %s from %s" % (msgid, folder))
            else:
                free = [f for f in NEW_FOLDERS if f not in self.model.local]
                if not free:
                    continue
                folder = self.rng.choice(free)
                for sub in ("cur", "new", "tmp"):
                    os.makedirs(os.path.join(self.mail, folder, sub))
                self.model.local[folder] = {}
                self.log.append("local: new folder %s" % folder)
                for _ in range(self.rng.randint(0, 2)):
                    msgid, flags = self.new_msgid(), self.random_flags()
                    self.deliver(folder, msgid, flags)
                    self.model.local[folder][msgid] = flags
                    self.log.append("local: new %s in %s flags '%s'" % (msgid, folder, flags))

    def deliver(self, folder, msgid, flags):
        """As a MUA or MDA does: written in tmp/, renamed into new/ (no
        info) or cur/ (with its flags)."""
        name = "%d.M%dP%d.model" % (1700000000 + self.count, self.count, os.getpid())
        tmp = os.path.join(self.mail, folder, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(message(msgid, self.count))
        if flags or self.rng.random() < 0.5:
            os.rename(tmp, os.path.join(self.mail, folder, "cur", name + ":2," + flags))
        else:
            os.rename(tmp, os.path.join(self.mail, folder, "new", name))

    def local_path(self, folder, msgid):
        paths = [p for p, m, _ in self.local_files(folder) if m == msgid]
        assert len(paths) == 1, (folder, msgid, paths)
        return paths[0]

    # --- running mailsync ----------------------------------------------

    def env(self, crash=None):
        env = dict(os.environ, HOME=self.home)
        for name in ("XDG_CONFIG_HOME", "G_MESSAGES_DEBUG", "MAILSYNC_CRASH_AT"):
            env.pop(name, None)
        if crash:
            env["MAILSYNC_CRASH_AT"] = crash
        env["MAILSYNC_TEST_UPLOAD_GRACE"] = mailsync_tap.UPLOAD_GRACE
        return env

    def run(self, crash=None):
        p = self.run_process(crash)
        return p.returncode, p.stdout

    def run_process(self, crash=None):
        self.stats["runs"] += 1
        return subprocess.run([mailsync_tap.MAILSYNC, "-o"], env=self.env(crash), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=300, errors="replace")

    def run_killed(self, lines):
        """Runs mailsync -o and SIGKILLs it once it has printed @lines
        lines; (killed, returncode, output). A run that ends first was
        not killed."""
        self.stats["runs"] += 1
        r = mailsync_tap.Running([mailsync_tap.MAILSYNC, "-o"], env=self.env())
        r.wait_text(lambda text: text.count("\n") >= lines or r.proc.poll() is not None, timeout=300)
        killed = r.proc.poll() is None
        if killed:
            r.send_signal(signal.SIGKILL)
        rc, out, err = r.finish(timeout=60)
        return killed, rc, out + err

    # --- one seed ------------------------------------------------------

    def fail(self, label, detail):
        check("seed %d: %s" % (self.seed, label), False, detail)
        print("# seed %d (%s status) failed; its operations:" % (self.seed, self.backend))
        for line in self.log:
            print("#   " + line)
        print("# replay: MAILSYNC_MODEL_SEED=%d MAILSYNC_MODEL_ROUNDS=%d make -C tests check "
              "TESTS=check-sync-model.py" % (self.seed, ROUNDS))
        sys.stdout.flush()
        return False

    def verify(self, when):
        """Both sides against the model's expected state; True if equal."""
        want = {f: sorted(m.items()) for f, m in self.model.expected().items()}
        for side, got in (("server", self.server_state()), ("local", self.local_state())):
            if got == want:
                continue
            problems = []
            for folder in sorted(set(got) | set(want)):
                g, w = got.get(folder), want.get(folder)
                if g == w:
                    continue
                if g is None:
                    problems.append("folder %s missing" % folder)
                    continue
                if w is None:
                    problems.append("unexpected folder %s: %s" % (folder, g))
                    continue
                ids = [m for m, _ in g]
                dups = sorted({m for m in ids if ids.count(m) > 1})
                gd, wd = dict(g), dict(w)
                lost = sorted(set(wd) - set(gd))
                extra = sorted(set(gd) - set(wd))
                flags = ["%s '%s' want '%s'" % (m, gd[m], wd[m]) for m in sorted(set(gd) & set(wd))
                         if gd[m] != wd[m]]
                for what, items in (("duplicated", dups), ("lost", lost),
                                    ("not deleted / unexpected", extra), ("flags", flags)):
                    if items:
                        problems.append("%s %s: %s" % (folder, what, ", ".join(items)))
            return self.fail("%s: %s holds what the three-way rules give" % (when, side),
                             "; ".join(problems))
        return True

    def steps_for(self, log):
        """The crash points that the changes in @log make a sync pass (by
        the words in their names; a renamed step is still drawn from all
        steps at times)."""
        words = ["reconciled", "status-"]
        for line in log:
            for prefix, step_words in ACTIVITY_STEPS:
                if line.startswith(prefix):
                    words += step_words
        return [s for s in self.steps if any(w in s for w in words)]

    def user_ops_after_kill(self, touched_local, moved):
        """The user goes on between a killed run and the next: new
        messages on both sides, flag changes and deletions on both sides.
        Only where the killed run's partial work leaves one expected state:
        the messages no operation of the round touched (the same on the
        server, locally and at the last clean sync, so that the killed run
        had nothing to do for them and their status rows are the last
        clean sync's), and the folders both sides had then; a message the
        killed run may have copied, deleted or re-flagged half-way has no
        single three-way base to change it from."""
        self.stats["after-kill"] += 1
        self.log.append("after the kill:")
        settled = set()
        for folder, msgs in self.model.base.items():
            for msgid, flags in msgs.items():
                if msgid not in moved and (folder, msgid) not in touched_local and \
                        self.model.remote.get(folder, {}).get(msgid) == flags and \
                        self.model.local.get(folder, {}).get(msgid) == flags:
                    settled.add((folder, msgid))
        conn = self.imap()
        try:
            self.server_ops(conn, self.rng.randint(1, 3), touched_local, moved, settled)
        finally:
            conn.logout()
        # A message the server changed now is settled no more for the
        # local side's choice, except for the both-sides rules the rounds
        # already cover (flags merged per flag, a deletion beats a flag
        # change): it stays a candidate.
        self.local_ops(self.rng.randint(1, 3), touched_local, moved, settled)

    def round(self, n):
        self.log.append("round %d:" % n)
        touched_local, moved = set(), set()
        conn = self.imap()
        try:
            # Server operations first, then local ones: a local op never
            # takes a message the server moved in this round, and a move
            # never takes one the local side touched (see the top).
            self.server_ops(conn, self.rng.randint(1, 4), touched_local, moved)
        finally:
            conn.logout()
        self.local_ops(self.rng.randint(1, 4), touched_local, moved)

        kind = self.rng.choice(["clean", "crash-at", "crash-at", "kill-9", "kill-9"])
        interrupted = False
        if kind == "crash-at":
            # Mostly a step this round's changes pass (any step of the
            # sources otherwise), and mostly its first passage: a step
            # the run never reaches, or reaches fewer times, is no crash.
            steps = self.steps_for(self.log[self.log.index("round %d:" % n):])
            if self.rng.random() < 0.2 or not steps:
                steps = self.steps
            step = "%s:%d" % (self.rng.choice(steps), self.rng.choice((1, 1, 1, 2, 3)))
            if not HOOKS:
                self.log.append("run: (no crash points in this build) clean")
            else:
                self.stats["crash-at"] += 1
                rc, out = self.run(crash=step)
                self.log.append("run: MAILSYNC_CRASH_AT=%s -> exit %d" % (step, rc))
                if rc == 77:
                    self.stats["crashed"] += 1
                    interrupted = True
                elif rc != 0:
                    return self.fail("round %d: run with MAILSYNC_CRASH_AT=%s" % (n, step),
                                     "exit %d, neither the crash (77) nor success: %s" % (rc, out[-1500:]))
        elif kind == "kill-9":
            # The banner, the account and the connection take the first
            # five lines; a kill then is before any change, later ones
            # land among the copies, deletions and flag changes.
            lines = self.rng.randint(4, 16)
            self.stats["kill-9"] += 1
            killed, rc, out = self.run_killed(lines)
            self.log.append("run: SIGKILL after %d output lines -> %s" % (
                lines, "killed" if killed else "ended first, exit %d" % rc))
            if killed:
                self.stats["killed"] += 1
                interrupted = True
            elif rc != 0:
                return self.fail("round %d: run to be killed" % n, "exit %d: %s" % (rc, out[-1500:]))
        if interrupted:
            self.user_ops_after_kill(touched_local, moved)
            # the killed run's last uploads may still be stored by its
            # connection: the clean run waits for them (their grace is
            # seconds here), saying so with exit 1
            p, pending = mailsync_tap.rerun_until_uploaded(self.run_process)
            rc, out = p.returncode, p.stdout
            if pending:
                self.log.append("run: %d clean runs found uploads pending" % pending)
        else:
            rc, out = self.run()
        self.log.append("run: clean -> exit %d" % rc)
        if rc != 0:
            return self.fail("round %d: the clean run succeeds" % n, "exit %d: %s" % (rc, out[-1500:]))
        if not self.verify("round %d" % n):
            return False
        self.model.agree(self.model.expected())
        self.stats["rounds"] += 1
        return True

    def play(self, rounds):
        print("# seed %d: %s status, %d rounds" % (self.seed, self.backend, rounds))
        sys.stdout.flush()
        conn = self.imap()
        try:
            conn.create("Archive")
            for folder, n in (("INBOX", 6), ("Archive", 3)):
                for _ in range(n):
                    msgid, flags = self.new_msgid(), self.random_flags()
                    typ, data = conn.append(folder, "(%s)" % " ".join(LETTERS[l] for l in flags), None,
                                            message(msgid, self.count).replace(b"\n", b"\r\n"))
                    assert typ == "OK", data
        finally:
            conn.logout()
        self.model = Model({f: dict(items) for f, items in self.server_state().items()})
        self.log.append("start: server %s" % self.model.remote)
        rc, out = self.run()
        if rc != 0:
            return self.fail("first sync succeeds", "exit %d: %s" % (rc, out[-1500:]))
        if not self.verify("first sync"):
            return False
        for n in range(1, rounds + 1):
            if not self.round(n):
                return False
        rc, out = self.run()
        changes = [l for l in out.splitlines() if re.match(r"\s*(Copy message|Deleting|Adding flag|Creating)", l)]
        if rc != 0 or changes:
            return self.fail("a run after the last round changes nothing",
                             "exit %d: %s" % (rc, changes or out[-800:]))
        if not self.verify("after the last round"):
            return False
        s = self.stats
        check("seed %d (%s status): %d rounds converge to the three-way model; %d crash-point runs "
              "(%d crashed), %d SIGKILL runs (%d killed), user operations after %d of the kills, %d runs"
              % (self.seed, self.backend, s["rounds"], s["crash-at"], s["crashed"], s["kill-9"],
                 s["killed"], s["after-kill"], s["runs"]), True)
        return True


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    # A SIGTERM (a long run stopped, make's timeout) unwinds through the
    # finally below, so the private Dovecot is stopped and /tmp cleaned.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.monotonic()
    seeds = list(range(FIRST_SEED, FIRST_SEED + SEEDS))
    print("# seeds %s, %d rounds each%s" % (", ".join(map(str, seeds)), ROUNDS,
                                              " (sanitizer build: fewer rounds)" if SANITIZED else ""))
    root = tempfile.mkdtemp(prefix="mailsync-model-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    totals = {"rounds": 0, "crash-at": 0, "crashed": 0, "kill-9": 0, "killed": 0, "after-kill": 0, "runs": 0}
    try:
        users = [("model%d" % s, "pw-model%d" % s) for s in seeds]
        server = mailsync_tap.Dovecot(os.path.join(root, "dovecot"), users)
        if not HOOKS:
            TAP.skip("kills at crash points (MAILSYNC_CRASH_AT)", NO_HOOKS)
        for seed, (user, password) in zip(seeds, users):
            account = Account(server, root, seed, user, password)
            account.play(ROUNDS)
            for k in totals:
                totals[k] += account.stats[k]
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    print("# %d seeds, %d rounds, %d crash-point runs (%d crashed), %d SIGKILL runs (%d killed), "
          "user operations after %d kills, %d mailsync runs in %.0f s"
          % (len(seeds), totals["rounds"], totals["crash-at"], totals["crashed"], totals["kill-9"],
             totals["killed"], totals["after-kill"], totals["runs"], time.monotonic() - started))
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
