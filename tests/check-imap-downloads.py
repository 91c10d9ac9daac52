#!/usr/bin/env python3
"""Integration tests of IMAP <-> Maildir against a private Dovecot: runs
killed while downloading, the download rows held for the folder's final
commit, and the status store's downloads entry (a file moved in by
another account, the same pid, an incomplete or in-flight download).
Split from check-imap-sync.py; what they share is in imap_sync_common.py.

The harness (tests/harness/dovecot-harness) starts Dovecot on 127.0.0.1;
the sync runs through tests/sync-maildirs with an IMAP remote; the server
side is changed and inspected with Python's imaplib, as another mail
client would. Skipped (1..0 # SKIP) when Dovecot is not installed."""

import hashlib
import os
import re
import shutil
import sys

import imap_sync_common
import mailsync_tap
from imap_sync_common import (TAP, append, changes, check, message, message_ids_both_sides, quote)

# An assignment, not an import: scenario_killed_download_expunged defines
# a run_sync of its own (with its status store) in its loop.
run_sync = imap_sync_common.run_sync


def scenario_held_download_rows(server, root):
    """Review 1 of 190d7a9: the last downloads' rows wait for the folder's
    final commit only when nothing that can be killed runs before it.
    Killed in the upload pass (runner-upload-committed:1) after downloading
    m2 and m3, then m2 expunged on the server and m3's new file deleted
    locally: the next runs must delete m3 on the server and m2 locally, not
    upload m2 again (a file with U= and no row looks new) nor download m3
    again. A folder with only downloads still holds them
    (runner-download-held:1) and converges after a kill there."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("held download rows", mailsync_tap.NO_HOOKS)
        return

    def start(tag):
        user, pw = server.new_user()
        work = os.path.join(root, "held-" + tag)
        conn = server.imap(user, pw)
        append(conn, "INBOX", "held-m1-" + tag, "\\Seen")
        conn.logout()
        p = run_sync(server, user, pw, work)
        check("held rows %s: first sync" % tag, p.returncode == 0, p.stderr[-800:])
        conn = server.imap(user, pw)
        append(conn, "INBOX", "held-m2-" + tag)
        append(conn, "INBOX", "held-m3-" + tag)
        conn.logout()
        return user, pw, work

    def local_file(work, tag):
        inbox = os.path.join(work, "local", "INBOX")
        for sub in ("cur", "new"):
            for name in os.listdir(os.path.join(inbox, sub)):
                with open(os.path.join(inbox, sub, name), "rb") as f:
                    if re.search(rb"^Subject: " + tag.encode() + rb"\r?$", f.read(), re.M):
                        return os.path.join(inbox, sub, name)
        return None

    # killed in the upload pass, then a change on each side
    user, pw, work = start("upload")
    with open(os.path.join(work, "local", "INBOX", "new", "1800000000.M1P1.held"), "wb") as f:
        f.write(message("held-l1-upload").replace(b"\r\n", b"\n"))
    p = run_sync(server, user, pw, work, extra={"MAILSYNC_CRASH_AT": "runner-upload-committed:1"})
    check("held rows: crash at runner-upload-committed:1 exits as a crash", p.returncode == 77,
          (p.returncode, p.stderr[-800:]))
    _, local = message_ids_both_sides(server, user, pw, work)
    check("held rows: the killed run downloaded m2 and m3",
          local.get("INBOX") == sorted("held-%s-upload@test" % t for t in ("l1", "m1", "m2", "m3")), local)
    conn = server.imap(user, pw)
    conn.select("INBOX")
    uid = conn.uid("SEARCH", None, "HEADER", "Message-ID", "held-m2-upload@test")[1][0].split()[0]
    conn.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    conn.expunge()
    conn.logout()
    m3 = local_file(work, "held-m3-upload")
    if m3:
        os.unlink(m3)
    p, _ = mailsync_tap.rerun_until_uploaded(lambda: run_sync(server, user, pw, work))
    p2 = run_sync(server, user, pw, work)
    remote, local = message_ids_both_sides(server, user, pw, work)
    want = sorted("held-%s-upload@test" % t for t in ("l1", "m1"))
    check("held rows: after a kill in the upload pass, m2 expunged on the server and m3 deleted locally "
          "stay deleted (not uploaded or downloaded again)",
          m3 is not None and p.returncode == 0 and p2.returncode == 0 and not changes(p2) and
          remote.get("INBOX") == want and local.get("INBOX") == want,
          (m3, p.returncode, changes(p2), remote, local, p.stderr[-500:]))

    # only downloads: their rows are still held for the final commit
    user, pw, work = start("download")
    p = run_sync(server, user, pw, work, extra={"MAILSYNC_CRASH_AT": "runner-download-held:1"})
    check("held rows: a folder with only downloads holds their rows (crash at runner-download-held:1)",
          p.returncode == 77, (p.returncode, p.stderr[-800:]))
    p = run_sync(server, user, pw, work)
    p2 = run_sync(server, user, pw, work)
    remote, local = message_ids_both_sides(server, user, pw, work)
    want = sorted("held-%s-download@test" % t for t in ("m1", "m2", "m3"))
    check("held rows: crash at runner-download-held:1: resync converges, nothing lost or doubled",
          p.returncode == 0 and p2.returncode == 0 and not changes(p2) and
          remote.get("INBOX") == want and local.get("INBOX") == want,
          (p.returncode, changes(p2), remote, local, p.stderr[-500:]))


def expunge_tagged(server, user, pw, tag, folder="INBOX"):
    """Expunges the message <tag@test> of @folder on the server."""
    conn = server.imap(user, pw)
    conn.select(quote(folder))
    uid = conn.uid("SEARCH", None, "HEADER", "Message-ID", "%s@test" % tag)[1][0].split()[0]
    conn.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    conn.expunge()
    conn.logout()


def killed_while_downloading(server, user, pw, work, tags, step, extra=None):
    """The set-up of the killed-download scenarios: a first sync, then
    @tags appended to the server's INBOX and a sync killed at @step
    (MAILSYNC_CRASH_AT) while it downloads them. (first sync, killed run)."""
    p0 = run_sync(server, user, pw, work)
    conn = server.imap(user, pw)
    for t in tags:
        append(conn, "INBOX", t)
    conn.logout()
    env = dict(extra or {})
    env["MAILSYNC_CRASH_AT"] = step
    return p0, run_sync(server, user, pw, work, extra=env)


def local_uids(work, folder="INBOX"):
    """{U= of the file: file path} of a local folder (U= of any FMD5)."""
    out = {}
    for sub in ("cur", "new"):
        d = os.path.join(work, "local", folder, sub)
        for name in os.listdir(d):
            m = re.search(r",U=(\d+)", name)
            if m:
                out[int(m.group(1))] = os.path.join(d, name)
    return out


def scenario_downloads_entry_foreign(server, root):
    """Review 1 S3 of session 17: inside a killed download's window, a
    file of this folder's FMD5 with one of the killed run's row-less UIDs
    that the server expunged, but a name that run did not give (another
    account's message of its INBOX moved in before the rerun), was deleted
    as a server deletion. The downloads entry keeps the run's name stem
    ("<pid>.<host>"): that copy is new mail (kept, uploaded), while the
    killed run's own file of an expunged UID is still deleted, not
    uploaded again."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("downloads entry: another account's file moved in after a kill", mailsync_tap.NO_HOOKS)
        return
    ua, pa = server.new_user()
    ub, pb = server.new_user()
    wa = os.path.join(root, "dl-entry-s3-a")
    wb = os.path.join(root, "dl-entry-s3-b")
    # one download in flight: the kill at the first batch's flush leaves
    # UID 1's file and none of UID 3
    p0, p = killed_while_downloading(server, ua, pa, wa, ("dls3-a1", "dls3-a2", "dls3-a3"),
                                     "runner-download-flushed:1", {"MAILSYNC_TEST_MAX_IN_FLIGHT": "1"})
    own = local_uids(wa)
    if not check("downloads entry S3: killed after the first download's flush, its file kept",
                 p0.returncode == 0 and p.returncode == 77 and 1 in own, (p0.returncode, p.returncode, own,
                                                                           p.stderr[-800:])):
        return
    if 3 in own:
        # (a slower kill) the user deletes it: UID 3 row-less and file-less all the same
        os.unlink(own[3])
    expunge_tagged(server, ua, pa, "dls3-a1")
    expunge_tagged(server, ua, pa, "dls3-a3")
    conn = server.imap(ub, pb)
    for t in ("dls3-b1", "dls3-b2", "dls3-b3"):
        append(conn, "INBOX", t)
    conn.logout()
    pb_ = run_sync(server, ub, pb, wb)
    foreign = local_uids(wb).get(3)
    if not check("downloads entry S3: another account's INBOX has a file with U=3", pb_.returncode == 0 and foreign,
                 (pb_.returncode, local_uids(wb), pb_.stderr[-800:])):
        return
    shutil.move(foreign, os.path.join(wa, "local", "INBOX", "cur", os.path.basename(foreign)))
    p = run_sync(server, ua, pa, wa)
    p2 = run_sync(server, ua, pa, wa)
    remote, local = message_ids_both_sides(server, ua, pa, wa)
    want = ["dls3-a2@test", "dls3-b3@test"]
    check("downloads entry S3: the file moved in with the killed run's U=3 (expunged) is kept and uploaded, the "
          "killed run's own file of expunged UID 1 deleted, not uploaded",
          p.returncode == 0 and p2.returncode == 0 and not changes(p2) and
          remote.get("INBOX") == want and local.get("INBOX") == want,
          (p.returncode, p2.returncode, changes(p), changes(p2), remote, local, p.stderr[-800:]))


def name_stem_of(path):
    """The part of a Maildir file name a run gives all its names: after
    "<T>_<SEQ>." up to the first ',' ("<pid>.<host>" in offlineimap's and
    older builds' names)."""
    m = re.match(r"-?\d+_\d+\.([^,:!]*)", os.path.basename(path))
    return m.group(1) if m else None


def scenario_downloads_entry_same_pid(server, root):
    """Session 19: the downloads entry kept each run's "<pid>.<host>", so a
    container that runs every sync as the same pid under a fixed hostname
    (MAILSYNC_TEST_NAME_PID) gave the killed run, the rerun and any other
    sync there the same stem: another account's mailsync file, or one
    offlineimap wrote there, with a UID the killed run had in flight and
    the server then expunged, was deleted as a server deletion. Each
    repository's names now carry a random token the entry keeps: both are
    new mail (kept, uploaded), the killed run's own file is still deleted."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("downloads entry: same pid, same host", mailsync_tap.NO_HOOKS)
        return
    pid = {"MAILSYNC_TEST_NAME_PID": "4242"}
    ua, pa = server.new_user()
    ub, pb = server.new_user()
    wa = os.path.join(root, "dl-entry-s4-a")
    wb = os.path.join(root, "dl-entry-s4-b")
    p0, p = killed_while_downloading(server, ua, pa, wa, ("dls4-a1", "dls4-a2", "dls4-a3", "dls4-a4"),
                                     "runner-download-flushed:1", dict(pid, MAILSYNC_TEST_MAX_IN_FLIGHT="1"))
    own = local_uids(wa)
    if not check("downloads entry S4 (same pid): killed after the first download's flush, its file kept",
                 p0.returncode == 0 and p.returncode == 77 and 1 in own, (p0.returncode, p.returncode, own,
                                                                           p.stderr[-800:])):
        return
    for u in (3, 4):
        if u in own:
            os.unlink(own[u])
    for t in ("dls4-a1", "dls4-a3", "dls4-a4"):
        expunge_tagged(server, ua, pa, t)
    conn = server.imap(ub, pb)
    for t in ("dls4-b1", "dls4-b2", "dls4-b3"):
        append(conn, "INBOX", t)
    conn.logout()
    pb_ = run_sync(server, ub, pb, wb, extra=pid)
    foreign = local_uids(wb).get(3)
    if not check("downloads entry S4 (same pid): another account's INBOX has a file with U=3, named by pid 4242",
                 pb_.returncode == 0 and foreign and name_stem_of(foreign).startswith("4242"),
                 (pb_.returncode, local_uids(wb), pb_.stderr[-800:])):
        return
    shutil.move(foreign, os.path.join(wa, "local", "INBOX", "cur", os.path.basename(foreign)))
    # offlineimap in the same container: "<T>_<SEQ>.<pid>.<host>", this
    # folder's FMD5 (that of INBOX) and U=4, a UID the killed run had in flight
    host = re.match(r"\d+(?:R[0-9a-v]+)?\.(.*)", name_stem_of(own[1])).group(1)
    offlineimap_name = "1700000000_0.4242.%s,U=4,FMD5=%s:2,S" % (host, hashlib.md5(b"INBOX").hexdigest())
    with open(os.path.join(wa, "local", "INBOX", "cur", offlineimap_name), "wb") as f:
        f.write(message("dls4-off4").replace(b"\r\n", b"\n"))
    p = run_sync(server, ua, pa, wa, extra=pid)
    p2 = run_sync(server, ua, pa, wa, extra=pid)
    remote, local = message_ids_both_sides(server, ua, pa, wa)
    want = ["dls4-a2@test", "dls4-b3@test", "dls4-off4@test"]
    check("downloads entry S4 (same pid, same host): another account's file and offlineimap's with the killed "
          "run's expunged U=3 and U=4 are kept and uploaded, the killed run's own file of expunged UID 1 deleted",
          p.returncode == 0 and p2.returncode == 0 and not changes(p2) and
          remote.get("INBOX") == want and local.get("INBOX") == want,
          (p.returncode, p2.returncode, changes(p), changes(p2), remote, local, p.stderr[-800:]))


def scenario_killed_download_rounds(server, root):
    """Session 19: kill rounds along the download path (MAILSYNC_CRASH_AT:
    a delivery's tmp file written, linked, a batch appended, flushed,
    held, committed, the status commit), every run with the same pid (a
    container), then the server expunges two of the messages the killed
    run was downloading before the rerun: nothing lost, nothing copied
    twice, no expunged message uploaded again."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("killed download rounds with a server expunge", mailsync_tap.NO_HOOKS)
        return
    pid = {"MAILSYNC_TEST_NAME_PID": "4343"}
    # the sanitizer build: one round in the delivery, the batch, the held
    # rows and the status commit
    for step in mailsync_tap.sanitized_sample(
            TAP, ("maildir-tmp-written:2", "maildir-delivered:2", "runner-download-appended:1",
                  "runner-download-flushed:1", "runner-download-held:1", "runner-download-committed:1",
                  "status-sqlite-before-commit:2", "status-sqlite-committed:2"),
            lambda step: step in ("maildir-delivered:2", "runner-download-flushed:1", "runner-download-held:1",
                                  "status-sqlite-committed:2"),
            "killed download round %s, m2 and m5 expunged before the rerun"):
        tag = step.replace(":", "-")
        user, pw = server.new_user()
        work = os.path.join(root, "kdl-rounds-" + tag)
        conn = server.imap(user, pw)
        append(conn, "INBOX", "kdr-m1-" + tag, "\\Seen")
        conn.logout()
        p0 = run_sync(server, user, pw, work, extra=pid)
        conn = server.imap(user, pw)
        for i in range(2, 7):
            append(conn, "INBOX", "kdr-m%d-%s" % (i, tag))
        conn.logout()
        p = run_sync(server, user, pw, work, extra=dict(pid, MAILSYNC_CRASH_AT=step, MAILSYNC_TEST_MAX_IN_FLIGHT="2"))
        if not check("killed download round %s: the run is killed" % step, p0.returncode == 0 and p.returncode == 77,
                     (p0.returncode, p.returncode, p.stderr[-800:])):
            continue
        for i in (2, 5):
            expunge_tagged(server, user, pw, "kdr-m%d-%s" % (i, tag))
        p = run_sync(server, user, pw, work, extra=pid)
        p2 = run_sync(server, user, pw, work, extra=pid)
        remote, local = message_ids_both_sides(server, user, pw, work)
        want = sorted("kdr-m%d-%s@test" % (i, tag) for i in (1, 3, 4, 6))
        check("killed download round %s, m2 and m5 expunged before the rerun: no loss, no duplicate, neither "
              "uploaded again" % step,
              p.returncode == 0 and p2.returncode == 0 and not changes(p2) and
              remote.get("INBOX") == want and local.get("INBOX") == want,
              (p.returncode, p2.returncode, changes(p), changes(p2), remote, local, p.stderr[-800:]))


def scenario_killed_download_expunged(server, root):
    """Review 2 Low 3 of session 16: killed after a download batch's flush
    and before its rows (runner-download-flushed:1, and
    runner-download-held:1 where a downloads-only folder holds them), then
    the server expunges one of the downloaded messages before the rerun.
    The file has this folder's U= and no row: it was that run's download,
    so the rerun deletes it locally as a server deletion; it used to read
    as new local mail and was uploaded again. The other download is only
    recorded (nothing copied twice). With both status stores."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("killed download, then a server expunge", mailsync_tap.NO_HOOKS)
        return
    for step, store in (("runner-download-flushed:1", None), ("runner-download-held:1", None),
                        ("runner-download-flushed:1", "plain")):
        tag = step.split(":")[0].split("-")[-1] + ("-" + store if store else "")
        user, pw = server.new_user()
        work = os.path.join(root, "killed-dl-" + tag)

        def run_sync(server, user, password, work, extra=None, store=store):
            return mailsync_tap.run_driver(server, user, password, work, extra=extra, status=store)

        conn = server.imap(user, pw)
        append(conn, "INBOX", "kdl-m1-" + tag, "\\Seen")
        conn.logout()
        p = run_sync(server, user, pw, work)
        step_label = step + (", plain status" if store else "")
        if not check("killed download (%s): first sync" % step_label, p.returncode == 0, p.stderr[-800:]):
            continue
        conn = server.imap(user, pw)
        append(conn, "INBOX", "kdl-m2-" + tag)
        append(conn, "INBOX", "kdl-m3-" + tag)
        conn.logout()
        p = run_sync(server, user, pw, work, extra={"MAILSYNC_CRASH_AT": step})
        _, local = message_ids_both_sides(server, user, pw, work)
        check("killed download: crash at %s after m2 and m3 were written" % step_label,
              p.returncode == 77 and local.get("INBOX") == sorted("kdl-%s-%s@test" % (t, tag) for t in ("m1", "m2", "m3")),
              (p.returncode, local, p.stderr[-800:]))
        expunge_tagged(server, user, pw, "kdl-m2-" + tag)
        p = run_sync(server, user, pw, work)
        p2 = run_sync(server, user, pw, work)
        remote, local = message_ids_both_sides(server, user, pw, work)
        want = sorted("kdl-%s-%s@test" % (t, tag) for t in ("m1", "m3"))
        check("killed download (%s), m2 expunged on the server before the rerun: m2 deleted locally, not "
              "uploaded again; m3 kept once on each side" % step_label,
              p.returncode == 0 and p2.returncode == 0 and not changes(p2) and
              remote.get("INBOX") == want and local.get("INBOX") == want and
              not [l for l in changes(p) if l.startswith("message-copied")],
              (p.returncode, p2.returncode, changes(p), changes(p2), remote, local, p.stderr[-800:]))


def local_file_of(work, tag, folder="INBOX"):
    for sub in ("cur", "new"):
        d = os.path.join(work, "local", folder, sub)
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as fh:
                if ("<%s@test>" % tag).encode() in fh.read():
                    return os.path.join(d, name)
    return None


def scenario_downloads_entry_incomplete(server, root):
    """Review 1 of session 17 on ab4bf35: a folder left incomplete (an
    empty file it skips) kept the downloads entry, so it named every UID
    downloaded since; a file of one of those UIDs with no row and no
    server copy was deleted as a server deletion. S1: the user deletes a
    downloaded message (propagated), then restores its file from a backup.
    S2: another account's file of its INBOX (same FMD5), with a UID this
    account downloaded and deleted, moved into this account's INBOX. Both
    are new local mail: kept and uploaded."""
    user, pw = server.new_user()
    work = os.path.join(root, "dl-entry-s1")
    p = run_sync(server, user, pw, work)
    conn = server.imap(user, pw)
    for t in ("dle-r1", "dle-r2", "dle-r3"):
        append(conn, "INBOX", t)
    conn.logout()
    with open(os.path.join(work, "local", "INBOX", "new", "1700000000.empty.host"), "wb"):
        pass
    p1 = run_sync(server, user, pw, work)
    f = local_file_of(work, "dle-r2")
    if not check("downloads entry S1: downloaded in a folder left incomplete (an empty file)",
                 p.returncode == 0 and f is not None, (p.returncode, p1.returncode, p1.stderr[-800:])):
        return
    backup = os.path.join(root, "dl-entry-s1-backup")
    shutil.copy2(f, backup)
    os.unlink(f)
    p2 = run_sync(server, user, pw, work)
    shutil.copy2(backup, os.path.join(work, "local", "INBOX", "cur", os.path.basename(f)))
    p3 = run_sync(server, user, pw, work)
    remote, local = message_ids_both_sides(server, user, pw, work)
    check("downloads entry S1: a deleted message's file restored from a backup is kept and uploaded, not "
          "deleted as a server deletion",
          "dle-r2@test" in local.get("INBOX", []) and "dle-r2@test" in remote.get("INBOX", []),
          (p2.returncode, p3.returncode, changes(p3), remote, local, p3.stderr[-800:]))

    ua, pa = server.new_user()
    ub, pb = server.new_user()
    wa = os.path.join(root, "dl-entry-s2-a")
    wb = os.path.join(root, "dl-entry-s2-b")
    run_sync(server, ua, pa, wa)
    conn = server.imap(ua, pa)
    for t in ("dle-a1", "dle-a2", "dle-a3"):
        append(conn, "INBOX", t)
    conn.logout()
    with open(os.path.join(wa, "local", "INBOX", "new", "1700000000.empty.host"), "wb"):
        pass
    run_sync(server, ua, pa, wa)
    fa = local_file_of(wa, "dle-a2")
    if fa is not None:
        os.unlink(fa)
    run_sync(server, ua, pa, wa)
    conn = server.imap(ub, pb)
    for t in ("dle-b1", "dle-b2"):
        append(conn, "INBOX", t)
    conn.logout()
    run_sync(server, ub, pb, wb)
    fb = local_file_of(wb, "dle-b2")
    if not check("downloads entry S2: set up (a2 downloaded and deleted in A, b2 downloaded in B)",
                 fa is not None and fb is not None, (fa, fb)):
        return
    shutil.move(fb, os.path.join(wa, "local", "INBOX", "cur", os.path.basename(fb)))
    p = run_sync(server, ua, pa, wa)
    remote, local = message_ids_both_sides(server, ua, pa, wa)
    check("downloads entry S2: another account's message moved into the same-named folder is kept and "
          "uploaded, not deleted as a server deletion",
          "dle-b2@test" in local.get("INBOX", []) and "dle-b2@test" in remote.get("INBOX", []),
          (p.returncode, changes(p), remote, local, p.stderr[-800:]))


def status_downloads_entry(work):
    """(the downloads entry's UIDs or None, the row UIDs) from the SQLite
    status of INBOX; None, None with another store."""
    import sqlite3
    for dirpath, _, names in os.walk(os.path.join(work, "meta")):
        for n in names:
            full = os.path.join(dirpath, n)
            if n.endswith(("-wal", "-shm")) or "INBOX" not in n:
                continue
            with open(full, "rb") as f:
                if not f.read(16).startswith(b"SQLite format 3"):
                    continue
            db = sqlite3.connect(full)
            try:
                rows = {r[0] for r in db.execute("SELECT id FROM status")}
                entry = [r[0] for r in db.execute("SELECT value FROM mailsync_meta WHERE key = 'mailsync.downloads.remote'")]
            finally:
                db.close()
            uids = None
            if entry:
                uids = set()
                # "<validity> <ranges>[ <stem>...]"
                for part in entry[0].split(" ")[1].split(","):
                    lo, _, hi = part.partition(":")
                    uids.update(range(int(lo), int(hi or lo) + 1))
            return uids, rows
    return None, None


def scenario_downloads_entry_in_flight(server, root):
    """Review 1 of session 17 on ab4bf35: each download batch's commit
    takes its UIDs out of the downloads entry, so that a run killed after
    it names only the downloads without their row."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("downloads entry after a batch's commit", mailsync_tap.NO_HOOKS)
        return
    user, pw = server.new_user()
    work = os.path.join(root, "dl-entry-flight")
    run_sync(server, user, pw, work)
    conn = server.imap(user, pw)
    for i in range(6):
        append(conn, "INBOX", "dlf-%d" % i)
    conn.logout()
    p = run_sync(server, user, pw, work,
                 extra={"MAILSYNC_CRASH_AT": "runner-download-committed:1", "MAILSYNC_TEST_MAX_IN_FLIGHT": "2"})
    entry, rows = status_downloads_entry(work)
    if rows is None:
        TAP.skip("downloads entry after a batch's commit", "not the SQLite status store")
        return
    check("downloads entry: killed after a download batch's commit, the entry names the downloads without "
          "their row and none with it",
          p.returncode == 77 and rows and entry and not (entry & rows) and entry | rows == set(range(1, 7)),
          (p.returncode, entry, rows, p.stderr[-500:]))
    p = run_sync(server, user, pw, work)
    entry, rows = status_downloads_entry(work)
    remote, local = message_ids_both_sides(server, user, pw, work)
    check("downloads entry: the rerun completes the downloads and removes the entry",
          p.returncode == 0 and entry is None and rows == set(range(1, 7)) and remote == local,
          (p.returncode, entry, rows, remote, local, p.stderr[-500:]))


def main():
    return imap_sync_common.main((
        scenario_held_download_rows,
        scenario_killed_download_expunged,
        scenario_downloads_entry_incomplete,
        scenario_downloads_entry_in_flight,
        scenario_downloads_entry_foreign,
        scenario_downloads_entry_same_pid,
        scenario_killed_download_rounds))


if __name__ == "__main__":
    sys.exit(main())

