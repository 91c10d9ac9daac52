#!/usr/bin/env python3
"""Crash tests of the sync engine on Maildir <-> Maildir.

For every crash point in the library's sources (found by grepping for
_mailsync_crash_point, so a new step is covered the day it is added), and
for its 1st..3rd passage, the driver syncs a changed pair of trees and
_exit()s there; a resync must then converge to exactly the state of a run
that never crashed: no message lost, none duplicated, same flags; and a
third run must change nothing. Then the same with random SIGKILLs.

In the sanitizer build (MAILSYNC_TEST_SANITIZED, set by tests/Makefile.am)
each of its 1,000-odd processes costs several times more, so it runs a
sample: every crash point's 1st passage, one recovery crash (SQLite store),
6 kills.
The -Werror build runs the whole matrix.

The crash points exist only in a library configured with
--enable-test-hooks (MAILSYNC_TEST_HOOKS, set by tests/Makefile.am);
without them those checks are SKIPs and only the kills run."""

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import mailsync_tap

BUILDDIR = os.environ.get("TEST_BUILDDIR", os.path.dirname(os.path.abspath(__file__)))
SRCDIR = os.environ.get("top_srcdir", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DRIVER = os.path.join(BUILDDIR, "sync-maildirs")
CHANGE_EVENTS = ("message-copied", "messages-deleted", "flags-added", "flags-removed", "folder-created")

SANITIZED = mailsync_tap.SANITIZED
PASSAGES = (1,) if SANITIZED else (1, 2, 3)
RECOVERY_FIRSTS = (("runner-upload-appended:1",) if SANITIZED else
                   ("runner-upload-intent:1", "runner-upload-appended:1", "runner-upload-renamed:1"))
KILLS = 6 if SANITIZED else 12

TAP = mailsync_tap.Tap(2000)
check = TAP.check


def crash_steps():
    steps = set()
    pattern = re.compile(r'_mailsync_crash_point \("([a-z0-9-]+)"\)')
    for root, _, files in os.walk(os.path.join(SRCDIR, "libmailsync")):
        for name in files:
            if name.endswith(".c"):
                with open(os.path.join(root, name)) as f:
                    steps.update(pattern.findall(f.read()))
    # The Gmail label pass runs only between a Gmail and a GmailMaildir
    # repository: check-gmail-client.py kills at its steps.
    steps = {s for s in steps if not s.startswith("labels-")}
    # Reached only when downloads or local stores bring keywords new to a
    # Maildir folder, which this scenario's messages have none of:
    # check-keywords.py "order" kills there and reruns.
    steps.discard("runner-keywords-reserved")
    # Only an account of the config loader has offlineimap's FolderValidity
    # files, the driver's (an API client's) none: check-offlineimap-validity.py
    # crashes there and reruns.
    steps.discard("runner-validity-saved")
    # run_deletes() composes its step names from a prefix.
    for prefix in ("runner-delete-local", "runner-delete-remote"):
        steps.update({prefix + "-flushed", prefix + "-committed"})
    return sorted(steps)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def maildir(root, folder):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, folder, sub), exist_ok=True)
    return os.path.join(root, folder)


def message(tag):
    return "From: test@example.org\nSubject: %s\nMessage-ID: <%s@test>\n\nBody of %s\n" % (tag, tag, tag)


def files(folder_dir):
    out = []
    for sub in ("cur", "new"):
        d = os.path.join(folder_dir, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if not name.startswith("."):
                out.append(os.path.join(d, name))
    return out


def set_flags(path, flags):
    base = os.path.basename(path).split(":2,")[0]
    folder = os.path.dirname(os.path.dirname(path))
    sub = "cur" if "S" in flags else "new"
    os.rename(path, os.path.join(folder, sub, base + ":2," + "".join(sorted(flags))))


def make_base(work):
    remote, local, meta = (os.path.join(work, x) for x in ("remote", "local", "meta"))
    os.makedirs(local)
    os.makedirs(meta)
    inbox = maildir(remote, "INBOX")
    for i in range(30):
        flags = ["", "S", "FS", "RS"][i % 4]
        sub = "cur" if "S" in flags else "new"
        write(os.path.join(inbox, sub, "base%02d:2,%s" % (i, flags)), message("inbox-%d" % i))
    archive = maildir(remote, "Archive")
    for i in range(10):
        write(os.path.join(archive, "cur", "arch%02d:2,S" % i), message("archive-%d" % i))
    run(work, check_rc=True)


def apply_changes(work):
    remote, local = os.path.join(work, "remote"), os.path.join(work, "local")
    r_inbox, l_inbox = files(os.path.join(remote, "INBOX")), files(os.path.join(local, "INBOX"))
    # Remote: 8 new, 3 deleted, 3 reflagged, a new folder.
    for i in range(8):
        write(os.path.join(remote, "INBOX", "new", "rnew%02d" % i), message("remote-new-%d" % i))
    for path in r_inbox[0:3]:
        os.unlink(path)
    for path in r_inbox[3:6]:
        set_flags(path, "FS")
    r2 = maildir(remote, "Remote2")
    for i in range(3):
        write(os.path.join(r2, "new", "r2-%d" % i), message("remote2-%d" % i))
    # Local: 4 new, 2 deleted (not the remote's), 3 reflagged, a new folder.
    for i in range(4):
        write(os.path.join(local, "INBOX", "new", "lnew%02d" % i), message("local-new-%d" % i))
    by_name = sorted(l_inbox, key=os.path.basename)
    for path in by_name[-2:]:
        os.unlink(path)
    for path in by_name[-6:-3]:
        set_flags(path, "R")
    ln = maildir(local, "LocalNew")
    for i in range(2):
        write(os.path.join(ln, "cur", "ln-%d:2,S" % i), message("localnew-%d" % i))
    arch = files(os.path.join(local, "Archive"))
    os.unlink(arch[0])


def state(work):
    """Per side and folder: the multiset of (content digest, flags)."""
    out = {}
    for side in ("remote", "local"):
        root = os.path.join(work, side)
        for folder in sorted(os.listdir(root)):
            fdir = os.path.join(root, folder)
            if not os.path.isdir(os.path.join(fdir, "cur")):
                continue
            items = []
            for path in files(fdir):
                with open(path, "rb") as f:
                    digest = hashlib.md5(f.read().replace(b"\r", b"")).hexdigest()
                name = os.path.basename(path)
                flags = name.split(":2,", 1)[1] if ":2," in name else ""
                items.append((digest, flags))
            out[(side, folder)] = sorted(items)
    return out


def run(work, crash=None, store="sqlite", check_rc=False, max_in_flight="4"):
    env = dict(os.environ)
    env.pop("MAILSYNC_CRASH_AT", None)
    if crash:
        env["MAILSYNC_CRASH_AT"] = crash
    env["MAILSYNC_TEST_MAX_IN_FLIGHT"] = max_in_flight
    env["MAILSYNC_TEST_FOLD_EVERY"] = "5"
    env["MAILSYNC_TEST_NO_FSYNC"] = "1"  # a killed process, not a lost machine
    p = subprocess.run([DRIVER, os.path.join(work, "remote"), os.path.join(work, "local"),
                        os.path.join(work, "meta"), store],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if check_rc and p.returncode != 0:
        raise RuntimeError("sync failed (%d): %s" % (p.returncode, p.stderr))
    return p


def changes(output):
    return [l for l in output.splitlines() if l.split(" ", 1)[0] in CHANGE_EVENTS]


def converge_and_compare(label, work, reference, store):
    second = run(work, store=store)
    if second.returncode != 0:
        check(label, False, "resync failed: " + second.stderr.strip())
        return
    third = run(work, store=store)
    got = state(work)
    if third.returncode != 0 or changes(third.stdout):
        check(label, False, "third run was not a no-op: %s %s" % (third.stderr.strip(), changes(third.stdout)[:3]))
        return
    if got != reference:
        diff = [k for k in set(got) | set(reference) if got.get(k) != reference.get(k)]
        detail = "; ".join("%s: got %d want %d" % (k, len(got.get(k, [])), len(reference.get(k, []))) for k in diff)
        check(label, False, "state differs from an uncrashed run: " + detail)
        return
    check(label, True)


def main():
    if SANITIZED:
        print("# sanitizer build: a sample of the crash matrix (passage 1, one recovery crash with the SQLite "
              "store, %d kills)" % KILLS)
    tmp = tempfile.mkdtemp(prefix="mailsync-crash-")
    try:
        base = os.path.join(tmp, "base")
        make_base(base)
        # steps the SQLite store's run reached only while recovering (the
        # sanitizer build leaves the plain store's recovery crashes to the
        # -Werror build: those steps are not missed there)
        reached_recovering = set()
        for store in ("sqlite", "plain"):
            sbase = os.path.join(tmp, "base-" + store)
            if store == "sqlite":
                shutil.copytree(base, sbase, symlinks=True)
            else:
                os.makedirs(sbase)
                make_base(sbase) if False else None
                shutil.rmtree(sbase)
                shutil.copytree(base, sbase, symlinks=True)
                shutil.rmtree(os.path.join(sbase, "meta"))
                os.makedirs(os.path.join(sbase, "meta"))
                # A plain status made from scratch: the first sync repairs it.
                run(sbase, store="plain", check_rc=True)

            ref = os.path.join(tmp, "ref-" + store)
            shutil.copytree(sbase, ref, symlinks=True)
            apply_changes(ref)
            run(ref, store=store, check_rc=True)
            reference = state(ref)
            again = run(ref, store=store, check_rc=True)
            check("%s: reference run is idempotent" % store, not changes(again.stdout), str(changes(again.stdout)))
            # The reference itself must hold every message: nothing lost.
            check("%s: both sides agree after a clean run" % store,
                  all(reference.get(("remote", f)) == reference.get(("local", f))
                      for (_, f) in reference), "")

            crashed_steps = set()
            if not mailsync_tap.TEST_HOOKS:
                TAP.skip("%s: every crash point, then a crash while recovering" % store, mailsync_tap.NO_HOOKS)
            for step in crash_steps() if mailsync_tap.TEST_HOOKS else []:
                for n in PASSAGES:
                    work = os.path.join(tmp, "w")
                    shutil.rmtree(work, ignore_errors=True)
                    shutil.copytree(sbase, work, symlinks=True)
                    apply_changes(work)
                    p = run(work, crash="%s:%d" % (step, n), store=store)
                    if p.returncode == 0:
                        break  # this step is passed fewer than n times
                    if p.returncode != 77:
                        check("%s: crash at %s:%d" % (store, step, n), False,
                              "driver failed instead of crashing: " + p.stderr.strip())
                        break
                    crashed_steps.add(step)
                    converge_and_compare("%s: crash at %s:%d" % (store, step, n), work, reference, store)
            # Crash again while recovering from a crash after an upload:
            # the recovery path has steps of its own.
            # The sanitizer build crashes while recovering with the SQLite
            # store only: the recovery is the engine's, the same for both
            # stores, and the plain store's own steps crash above.
            firsts = RECOVERY_FIRSTS if mailsync_tap.TEST_HOOKS else ()
            if SANITIZED and store == "plain":
                for first in firsts:
                    TAP.skip("plain: crash at %s, then at every step" % first, mailsync_tap.SAMPLED)
                firsts = ()
            for first in firsts:
                for step in crash_steps():
                    work = os.path.join(tmp, "w")
                    shutil.rmtree(work, ignore_errors=True)
                    shutil.copytree(sbase, work, symlinks=True)
                    apply_changes(work)
                    if run(work, crash=first, store=store).returncode != 77:
                        continue
                    p = run(work, crash=step + ":1", store=store)
                    if p.returncode == 77:
                        if step not in crashed_steps and store == "sqlite":
                            reached_recovering.add(step)
                        crashed_steps.add(step)
                        converge_and_compare("%s: crash at %s, then at %s:1" % (store, first, step),
                                             work, reference, store)
                    elif p.returncode != 0:
                        check("%s: crash at %s, then %s" % (store, first, step), False, p.stderr.strip())

            # Steps of the other store are naturally not reached.
            other = "status-plain" if store == "sqlite" else "status-sqlite"
            # IMAP and UID-map steps belong to the IMAP crash runs.
            if SANITIZED and store == "plain":
                crashed_steps |= reached_recovering
            missed = [s for s in crash_steps() if s not in crashed_steps
                      and not s.startswith(other) and not s.startswith("imap-")
                      and not s.startswith("mapped-")]
            if mailsync_tap.TEST_HOOKS:
                check("%s: every crash point was reached" % store, not missed, "never reached: %s" % missed)

            rng = random.Random(1234)
            for k in range(KILLS):
                work = os.path.join(tmp, "w")
                shutil.rmtree(work, ignore_errors=True)
                shutil.copytree(sbase, work, symlinks=True)
                apply_changes(work)
                env = dict(os.environ, MAILSYNC_TEST_MAX_IN_FLIGHT="2", MAILSYNC_TEST_NO_FSYNC="1")
                env.pop("MAILSYNC_CRASH_AT", None)
                proc = subprocess.Popen([DRIVER, os.path.join(work, "remote"), os.path.join(work, "local"),
                                         os.path.join(work, "meta"), store],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(rng.uniform(0.0, 0.08))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                converge_and_compare("%s: kill -9 #%d" % (store, k), work, reference, store)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
