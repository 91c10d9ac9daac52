#!/usr/bin/env python3
"""Integration tests of IMAP <-> Maildir against a private Dovecot: runs
crashed at each crash point (Maildir <-> IMAP and IMAP <-> IMAP, with one
and two connections) and repeatedly killed during uploads, each followed
by a run that finishes the work without losing or doubling a message.
Split from check-imap-sync.py; what they share is in imap_sync_common.py.

The harness (tests/harness/dovecot-harness) starts Dovecot on 127.0.0.1;
the sync runs through tests/sync-maildirs with an IMAP remote; the server
side is changed and inspected with Python's imaplib, as another mail
client would. Skipped (1..0 # SKIP) when Dovecot is not installed."""

import os
import re
import signal
import sys

import imap_sync_common
import mailsync_tap
from imap_sync_common import (DRIVER, SRCDIR, TAP, append, changes, check, message, message_ids_both_sides, quote,
                              run_sync, same_both_sides, server_state)


def scenario_imap_to_imap_crashes(server, root):
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("IMAP <-> IMAP crashes", mailsync_tap.NO_HOOKS)
        return

    def prepare(tag):
        ruser, rpw = server.new_user()
        luser, lpw = server.new_user()
        work = os.path.join(root, "i2i-crash-" + tag)
        a = server.imap(ruser, rpw)
        for i in range(6):
            append(a, "INBOX", "base-%d" % i)
        a.logout()
        p = run_sync(server, ruser, rpw, work, local=(luser, lpw))
        assert p.returncode == 0, p.stderr
        a = server.imap(ruser, rpw)
        for i in range(3):
            append(a, "INBOX", "rnew-%d" % i, "\\Seen")
        a.select("INBOX")
        uid = a.uid("SEARCH", None, "ALL")[1][0].split()[0]
        a.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        a.expunge()
        a.logout()
        b = server.imap(luser, lpw)
        for i in range(3):
            append(b, "INBOX", "lnew-%d" % i)
        b.logout()
        return ruser, rpw, luser, lpw, work

    def states(ruser, rpw, luser, lpw):
        a, b = server.imap(ruser, rpw), server.imap(luser, lpw)
        sa, sb = server_state(a), server_state(b)
        a.logout()
        b.logout()
        return sa, sb

    r = prepare("reference")
    run_sync(server, r[0], r[1], r[4], local=(r[2], r[3]))
    ref_a, ref_b = states(*r[:4])
    check("IMAP <-> IMAP crash reference converges", ref_a == ref_b, (ref_a, ref_b))
    # the sanitizer build: one step of each kind (a mapped APPEND, a
    # download, an upload, a \Deleted)
    steps = mailsync_tap.sanitized_sample(
        TAP, ("mapped-appended", "runner-download-appended", "runner-download-flushed",
              "runner-upload-intent", "runner-upload-appended", "runner-upload-renamed",
              "runner-delete-local-flushed", "imap-deleted-flagged"),
        lambda step: step in ("mapped-appended", "runner-download-flushed", "runner-upload-appended",
                              "imap-deleted-flagged"),
        "IMAP <-> IMAP crash at %s: converges, nothing lost or doubled")
    for step in steps:
        ruser, rpw, luser, lpw, work = prepare(step)
        p = run_sync(server, ruser, rpw, work, local=(luser, lpw),
                     extra={"MAILSYNC_CRASH_AT": step + ":1", "MAILSYNC_TEST_MAX_IN_FLIGHT": "2"})
        if not check("IMAP <-> IMAP crash at %s exits as a crash" % step, p.returncode == 77, (p.returncode, p.stderr)):
            continue
        p2, _ = mailsync_tap.rerun_until_uploaded(lambda: run_sync(server, ruser, rpw, work, local=(luser, lpw)))
        p3 = run_sync(server, ruser, rpw, work, local=(luser, lpw))
        sa, sb = states(ruser, rpw, luser, lpw)
        check("IMAP <-> IMAP crash at %s: converges, nothing lost or doubled" % step,
              p2.returncode == 0 and p3.returncode == 0 and not changes(p3) and sa == ref_a and sb == ref_b,
              (p2.stderr, changes(p3), {k: (len(sa.get(k, [])), len(ref_a.get(k, []))) for k in sa}))


def crash_steps():
    pattern = re.compile(r'_mailsync_crash_point \("([a-z0-9-]+)"\)')
    steps = set()
    for d, _, files in os.walk(os.path.join(SRCDIR, "libmailsync")):
        for name in files:
            if name.endswith(".c"):
                with open(os.path.join(d, name)) as f:
                    steps.update(pattern.findall(f.read()))
    steps.update({"runner-delete-local-flushed", "runner-delete-local-committed",
                  "runner-delete-remote-flushed", "runner-delete-remote-committed"})
    return sorted(s for s in steps if not s.startswith("status-plain") and not s.startswith("account-"))


def scenario_crashes(server, root):
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("IMAP crashes", mailsync_tap.NO_HOOKS)
        return

    def prepare(tag):
        user, pw = server.new_user()
        work = os.path.join(root, "crash-" + tag)
        conn = server.imap(user, pw)
        for i in range(8):
            append(conn, "INBOX", "base-%d" % i, ["", "\\Seen"][i % 2])
        conn.logout()
        p = run_sync(server, user, pw, work)
        assert p.returncode == 0, p.stderr
        # Changes on both sides.
        conn = server.imap(user, pw)
        for i in range(3):
            append(conn, "INBOX", "rnew-%d" % i)
        conn.select("INBOX")
        typ, data = conn.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        conn.uid("STORE", uids[0], "+FLAGS", "(\\Flagged)")
        conn.logout()
        inbox = os.path.join(work, "local", "INBOX")
        for i in range(3):
            with open(os.path.join(inbox, "new", "lnew-%d" % i), "w") as f:
                f.write("Subject: local new %d\n\nbody\n" % i)
        # Delete the local copy of base-3 (chosen by content: file names
        # carry times and pids, so an order of names differs between runs).
        for sub in ("cur", "new"):
            for name in os.listdir(os.path.join(inbox, sub)):
                with open(os.path.join(inbox, sub, name), "rb") as f:
                    if b"Subject: base-3" in f.read():
                        os.unlink(os.path.join(inbox, sub, name))
        return user, pw, work

    ref_user, ref_pw, ref_work = prepare("reference")
    p = run_sync(server, ref_user, ref_pw, ref_work)
    ref_remote, ref_local = same_both_sides(server, ref_user, ref_pw, ref_work)
    check("crash reference run converges", p.returncode == 0 and ref_remote == ref_local, p.stderr)
    reached = set()
    only = os.environ.get("MAILSYNC_TEST_ONLY_STEP")
    # The sanitizer build runs the steps on the IMAP side of a sync, and a
    # status commit's two (the recovery of an IMAP upload after them: its
    # intents, the Message-ID search on the server); the other Maildir,
    # status store and engine steps' recovery runs under ASan in
    # check-crash.py (Maildir <-> Maildir, every step's first passage).
    imap_side = ("imap-", "mapped-", "runner-upload-", "runner-download-", "runner-delete-",
                 "runner-status-committed", "status-sqlite-committed")
    for step in mailsync_tap.sanitized_sample(TAP, crash_steps(), lambda step: step.startswith(imap_side),
                                              "IMAP crash at %s: resync converges, nothing lost or doubled"):
        if only and step != only:
            continue
        user, pw, work = prepare(step)
        p = run_sync(server, user, pw, work, extra={"MAILSYNC_CRASH_AT": step + ":1", "MAILSYNC_TEST_MAX_IN_FLIGHT": "2"})
        if p.returncode == 0:
            continue
        if not check("IMAP crash at %s exits as a crash" % step, p.returncode == 77, p.stderr):
            continue
        reached.add(step)
        p2, _ = mailsync_tap.rerun_until_uploaded(lambda: run_sync(server, user, pw, work))
        p3 = run_sync(server, user, pw, work)
        remote, local = same_both_sides(server, user, pw, work)
        check("IMAP crash at %s: resync converges, nothing lost or doubled" % step,
              p2.returncode == 0 and p3.returncode == 0 and not changes(p3) and remote == ref_remote and local == ref_local,
              (p2.stderr, changes(p3), {k: (sorted(set(remote.get(k, [])) ^ set(ref_remote.get(k, []))),
                                             sorted(set(local.get(k, [])) ^ set(ref_local.get(k, []))))
                                        for k in remote}))
    check("IMAP crash points reached include APPEND and \\Deleted steps",
          {"runner-upload-appended", "imap-deleted-flagged"} <= reached, sorted(reached))


def harness_bytes(server, user, since=None):
    """dovecot-harness bytes of @user's sessions (since the log offset @since)."""
    return mailsync_tap.harness("bytes", server.dir, "--user", user, *(["--since", since] if since else []))


def scenario_crashes_concurrent(server, root):
    """maxconnections 2 (the driver's MAILSYNC_TEST_IMAP_MAX_CONNECTIONS):
    three folders synced two at a time, changed on both sides; a crash at
    a step's 2nd passage (the whole process exits there, the other
    folder's sync wherever it was) and a SIGKILL mid-run must converge
    to what a run that never crashed gives: nothing lost or doubled."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("IMAP crashes with maxconnections 2", mailsync_tap.NO_HOOKS)
        return
    folders = ("INBOX", "Lists", "Work")
    two = {"MAILSYNC_TEST_IMAP_MAX_CONNECTIONS": "2"}

    def prepare(tag):
        user, pw = server.new_user()
        work = os.path.join(root, "conc-crash-" + tag)
        conn = server.imap(user, pw)
        for folder in folders[1:]:
            conn.create(quote(folder))
        for folder in folders:
            for i in range(6):
                append(conn, folder, "%s-base-%d" % (folder, i), ["", "\\Seen"][i % 2])
        conn.logout()
        p = run_sync(server, user, pw, work, extra=two)
        assert p.returncode == 0, p.stderr
        conn = server.imap(user, pw)
        for folder in folders:
            for i in range(3):
                append(conn, folder, "%s-rnew-%d" % (folder, i))
            conn.select(quote(folder))
            uids = conn.uid("SEARCH", None, "ALL")[1][0].split()
            conn.uid("STORE", uids[0], "+FLAGS", "(\\Flagged)")
        conn.logout()
        for folder in folders:
            for i in range(3):
                with open(os.path.join(work, "local", folder, "new", "lnew-%d" % i), "w") as f:
                    f.write("Subject: %s local new %d\n\nbody\n" % (folder, i))
        return user, pw, work

    def converges(label, user, pw, work):
        p2, _ = mailsync_tap.rerun_until_uploaded(lambda: run_sync(server, user, pw, work, extra=two))
        p3 = run_sync(server, user, pw, work, extra=two)
        remote, local = same_both_sides(server, user, pw, work)
        check("maxconnections 2: %s: resync converges, nothing lost or doubled" % label,
              p2.returncode == 0 and p3.returncode == 0 and not changes(p3) and remote == ref_remote and
              local == ref_local,
              (p2.stderr, changes(p3), {k: (len(remote.get(k, [])), len(ref_remote.get(k, []))) for k in ref_remote}))

    user, pw, work = prepare("reference")
    since = re.search(r"offset=(\d+)", harness_bytes(server, user)).group(1)
    p = run_sync(server, user, pw, work, extra=two)
    sessions = re.search(r"sessions=(\d+)", harness_bytes(server, user, since)).group(1)
    ref_remote, ref_local = same_both_sides(server, user, pw, work)
    check("maxconnections 2: crash reference run converges over two connections",
          p.returncode == 0 and ref_remote == ref_local and sorted(ref_remote) == sorted(folders) and sessions == "2",
          (p.stderr, sorted(ref_remote), sessions))
    # (runner-download-held is not reached here: every folder has uploads
    # and flag changes, so its downloads commit their own rows; see
    # scenario_held_download_rows.)
    for step in mailsync_tap.sanitized_sample(
            TAP, ("runner-download-flushed", "runner-upload-appended", "runner-status-committed"),
            lambda step: step == "runner-upload-appended",
            "maxconnections 2: %s:2: resync converges, nothing lost or doubled"):
        user, pw, work = prepare(step)
        p = run_sync(server, user, pw, work,
                     extra=dict(two, MAILSYNC_CRASH_AT=step + ":2", MAILSYNC_TEST_MAX_IN_FLIGHT="2"))
        if not check("maxconnections 2: crash at %s:2 exits as a crash" % step, p.returncode == 77,
                     (p.returncode, p.stderr)):
            continue
        converges("crash at %s:2" % step, user, pw, work)
    # the kill: enough new mail that the run is still copying when killed
    user, pw, work = prepare("kill")
    conn = server.imap(user, pw)
    for folder in folders:
        for i in range(60):
            append(conn, folder, "%s-more-%d" % (folder, i))
    conn.logout()
    env = dict(os.environ)
    env.update(server.env)
    env.update({"DOVECOT_USER": user, "DOVECOT_PASS": pw, "MAILSYNC_TEST_IMAP_SECURITY": "starttls",
                "MAILSYNC_TEST_MAX_IN_FLIGHT": "1"}, **two)
    # The kill must land mid-run: a count of copied messages alone lost
    # the race on a loaded machine (the run ended first, exit 0). With the
    # test hooks, the second download batch to reach its delivered-not-
    # flushed point stops there ("<step>:<n>:hang") while the other
    # connection's folder goes on, and the SIGKILL follows its line.
    env.pop("MAILSYNC_CRASH_AT", None)
    if mailsync_tap.TEST_HOOKS:
        env["MAILSYNC_CRASH_AT"] = "runner-download-appended:2:hang"
    run = mailsync_tap.Running([DRIVER, "imap", os.path.join(work, "local"), os.path.join(work, "meta")],
                               env=env)
    if mailsync_tap.TEST_HOOKS:
        copied = run.wait_text(lambda t: "mailsync: hanging at runner-download-appended:2" in t, timeout=120)
    else:
        copied = run.wait_text(lambda t: t.count("message-copied") >= 4, timeout=120)
    run.send_signal(signal.SIGKILL)
    rc, out, err = run.finish()
    check("maxconnections 2: SIGKILL mid-run", copied and rc == -signal.SIGKILL,
          (copied, rc, (out + err).count("message-copied"), err[-500:]))
    p2, _ = mailsync_tap.rerun_until_uploaded(lambda: run_sync(server, user, pw, work, extra=two))
    p3 = run_sync(server, user, pw, work, extra=two)
    remote, local = same_both_sides(server, user, pw, work)
    doubled = {k: len(v) - len(set(d for d, _ in v)) for k, v in remote.items()}
    check("maxconnections 2: SIGKILL mid-run: resync converges, nothing lost or doubled",
          p2.returncode == 0 and p3.returncode == 0 and not changes(p3) and remote == local and
          {k: len(v) for k, v in remote.items()} == {f: 6 - 0 + 3 + 3 + 60 for f in folders} and
          not any(doubled.values()),
          (p2.stderr, changes(p3), {k: len(v) for k, v in remote.items()}, doubled))


def scenario_repeated_kills(server, root):
    """Review 2a's repeated kill (doc/design.md "A killed run's last
    APPENDs"): five runs in a row killed while they upload, each at a
    random point of its progress (a count of copies, seeded), then clean
    runs until the uploads pending for a killed run's connection are
    stored or their grace (MAILSYNC_TEST_UPLOAD_GRACE) ends: every
    Message-ID once on each side, the same on both. With MULTIAPPEND off
    and on (MAILSYNC_TEST_MULTIAPPEND)."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("repeated kills during uploads", mailsync_tap.NO_HOOKS)
        return
    import random
    folders = ("INBOX", "Aa", "Bb")
    UPLOADS = 200
    # the sanitizer build: MULTIAPPEND on (Dovecot's and the default path)
    for multiappend in mailsync_tap.sanitized_sample(TAP, ("0", "1"), lambda m: m == "1",
                                                     "repeated kills during uploads (MAILSYNC_TEST_MULTIAPPEND=%s)"):
        rng = random.Random(11 + int(multiappend))
        label = "repeated kills during uploads (MULTIAPPEND %s)" % ("on" if multiappend == "1" else "off")
        # a grace long enough for a loaded machine's window of uploads
        # between a commit and the kill, and Dovecot's late stores
        extra = {"MAILSYNC_TEST_IMAP_MAX_CONNECTIONS": "1", "MAILSYNC_TEST_UPLOAD_GRACE": "8"}
        if multiappend == "0":
            extra["MAILSYNC_TEST_MULTIAPPEND"] = "0"
        user, pw = server.new_user()
        work = os.path.join(root, "repeated-kills-" + multiappend)
        conn = server.imap(user, pw)
        for folder in folders[1:]:
            conn.create(quote(folder))
        for folder in folders:
            for i in range(20):
                append(conn, folder, "%s-base-%d-%s" % (folder, i, multiappend))
        conn.logout()
        p = run_sync(server, user, pw, work, extra=extra)
        if not check("%s: first sync" % label, p.returncode == 0, p.stderr[-800:]):
            continue
        for folder in folders:
            for i in range(UPLOADS):
                with open(os.path.join(work, "local", folder, "new", "1700000%03d.M%dP1.kill" % (i, i)), "wb") as f:
                    f.write(message("%s-up-%d-%s" % (folder, i, multiappend), 3000).replace(b"\r\n", b"\n"))
        env = dict(os.environ)
        env.update(server.env)
        env.update({"DOVECOT_USER": user, "DOVECOT_PASS": pw, "MAILSYNC_TEST_IMAP_SECURITY": "starttls"}, **extra)
        env.pop("MAILSYNC_CRASH_AT", None)
        kills = 0
        for _ in range(5):
            at = rng.randint(1, 40)
            run = mailsync_tap.Running([DRIVER, "imap", os.path.join(work, "local"), os.path.join(work, "meta")],
                                       env=env)
            run.wait_text(lambda t: t.count("message-copied") >= at or run.proc.poll() is not None, timeout=120)
            if run.proc.poll() is None:
                run.send_signal(signal.SIGKILL)
                kills += 1
            run.finish()
        p, pending = mailsync_tap.rerun_until_uploaded(lambda: run_sync(server, user, pw, work, extra=extra))
        p2 = run_sync(server, user, pw, work, extra=extra)
        remote, local = message_ids_both_sides(server, user, pw, work)
        want = {f: sorted(["%s-base-%d-%s@test" % (f, i, multiappend) for i in range(20)] +
                          ["%s-up-%d-%s@test" % (f, i, multiappend) for i in range(UPLOADS)]) for f in folders}
        doubled = {f: len(ids) - len(set(ids)) for f, ids in remote.items()}
        check("%s: %d kills, then converged (%d runs waited for pending uploads): every Message-ID once on "
              "each side" % (label, kills, pending),
              p.returncode == 0 and p2.returncode == 0 and not changes(p2) and remote == want and local == want,
              (p.returncode, p2.returncode, changes(p2)[:5], doubled,
               {f: (len(remote.get(f, [])), len(local.get(f, []))) for f in folders},
               {f: sorted(set(want[f]) ^ set(remote.get(f, [])))[:4] for f in folders},
               {f: sorted(set(want[f]) ^ set(local.get(f, [])))[:4] for f in folders}, p.stderr[-300:]))


def main():
    return imap_sync_common.main((
        scenario_imap_to_imap_crashes,
        scenario_crashes,
        scenario_crashes_concurrent,
        scenario_repeated_kills))


if __name__ == "__main__":
    sys.exit(main())

