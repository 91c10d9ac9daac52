#!/usr/bin/env python3
"""IMAP backend features against a private Dovecot and small fake servers.

- reconnect: a transport tunnel cuts the connection after N bytes in the
  middle of a folder; the sync reconnects, resumes, and neither loses,
  doubles nor re-downloads a finished message (the UID FETCH commands in
  the debug log are counted).
- socktimeout: client tests against fake servers that accept and then go
  silent; a tunnel that dies must not kill the process with SIGPIPE.

The helpers (Server, run_sync, server_state...) are those of
check-imap-sync.py, in imap_sync_common.py. Skipped (1..0 # SKIP) when
Dovecot is not installed."""

import importlib.util
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time

import imap_sync_common as base
import mailsync_tap

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir", os.path.join(HERE, ".."))
# scenario_variants runs check-imap-sync.py's scenario_basic (its checks
# count on the same TAP, imap_sync_common's)
_spec = importlib.util.spec_from_file_location("imapsync", os.path.join(SRCDIR, "tests", "check-imap-sync.py"))
imapsync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(imapsync)

check = base.check
PYTHON = "/usr/bin/python3"

# A transport tunnel that relays stdin/stdout to Dovecot's plain port and,
# the first time it runs (no STATE file yet), exits abruptly once DOWN bytes
# went to the client or UP bytes to the server: a connection cut at an
# arbitrary byte, mid-literal included.
TUNNEL = r'''
import os, select, socket, sys
host, port, down, up, state = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
cut = not os.path.exists(state)
if cut:
    open(state, "w").close()
s = socket.create_connection((host, port))
sent_down = sent_up = 0
while True:
    r, _, _ = select.select([0, s], [], [])
    if s in r:
        data = s.recv(65536)
        if not data:
            os._exit(0)
        if cut and down and sent_down + len(data) >= down:
            os.write(1, data[:down - sent_down])
            os._exit(0)
        sent_down += len(data)
        while data:
            data = data[os.write(1, data):]
    if 0 in r:
        data = os.read(0, 65536)
        if not data:
            os._exit(0)
        if cut and up and sent_up + len(data) >= up:
            s.sendall(data[:up - sent_up])
            os._exit(0)
        sent_up += len(data)
        s.sendall(data)
'''


def tunnel_command(server, work, down=0, up=0):
    script = os.path.join(work, "tunnel.py")
    os.makedirs(work, exist_ok=True)
    with open(script, "w") as f:
        f.write(TUNNEL)
    return "%s %s %s %s %d %d %s" % (PYTHON, script, server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"],
                                     down, up, os.path.join(work, "tunnel-cut"))


def log_of(p):
    return p.stdout + p.stderr


def fetch_log(text):
    """(uids whose UID FETCH BODY completed before the cut, uids fetched
    after it, every fetch command's uid in order)."""
    tag_uid = {}
    finished_before = set()
    after = []
    every = []
    cut = False
    for line in text.splitlines():
        m = re.search(r"C: (A\d+) UID FETCH (\d+) \(UID BODY\.PEEK\[\]\)", line)
        if m:
            tag_uid[m.group(1)] = int(m.group(2))
            every.append(int(m.group(2)))
            if cut:
                after.append(int(m.group(2)))
            continue
        if "connection failed" in line:
            cut = True
            continue
        m = re.search(r"S: (A\d+) OK", line)
        if m and not cut and m.group(1) in tag_uid:
            finished_before.add(tag_uid[m.group(1)])
    return finished_before, after, every


def scenario_reconnect_download(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "reconnect-down")
    conn = server.imap(user, pw)
    for i in range(40):
        base.append(conn, "INBOX", "cut-%d" % i, ["", "\\Seen"][i % 2], size=30000)
    conn.logout()
    extra = {"MAILSYNC_TEST_IMAP_TUNNEL": tunnel_command(server, work, down=500000),
             "G_MESSAGES_DEBUG": "Mailsync-IMAP", "MAILSYNC_TEST_MAX_IN_FLIGHT": "4"}
    p = base.run_sync(server, user, pw, work, security="none", extra=extra)
    text = log_of(p)
    check("reconnect: the tunnel did cut the connection", os.path.exists(os.path.join(work, "tunnel-cut"))
          and "connection failed" in text, text[-500:])
    check("reconnect: the sync reconnects and succeeds", p.returncode == 0 and "reconnecting" in p.stdout,
          p.stderr[-500:])
    remote, local = base.same_both_sides(server, user, pw, work)
    check("reconnect: local equals remote, 40 messages, none doubled",
          remote == local and len(local.get("INBOX", [])) == 40, {k: len(v) for k, v in local.items()})
    finished, after, every = fetch_log(text)
    check("reconnect: some messages were finished before the cut", len(finished) > 0 and len(finished) < 40,
          sorted(finished))
    check("reconnect: no finished message is fetched again", not (finished & set(after)),
          sorted(finished & set(after)))
    check("reconnect: at most the in-flight batch is fetched twice", len(every) - len(set(every)) <= 4,
          len(every) - len(set(every)))
    p = base.run_sync(server, user, pw, work, security="none",
                      extra={"MAILSYNC_TEST_IMAP_TUNNEL": tunnel_command(server, work)})
    check("reconnect: the next sync changes nothing", p.returncode == 0 and not base.changes(p), base.changes(p))


def scenario_reconnect_upload(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "reconnect-up")
    inbox = os.path.join(work, "local", "INBOX")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(inbox, sub))
    for i in range(12):
        with open(os.path.join(inbox, "new", "up-%d" % i), "w") as f:
            f.write("Subject: upload %d\n\n%s\n" % (i, ("line %d of a long body\n" % i) * 2000))
    extra = {"MAILSYNC_TEST_IMAP_TUNNEL": tunnel_command(server, work, up=250000),
             "G_MESSAGES_DEBUG": "Mailsync-IMAP", "MAILSYNC_TEST_MAX_IN_FLIGHT": "4"}
    p = base.run_sync(server, user, pw, work, security="none", extra=extra)
    check("reconnect during APPEND: the sync resumes and succeeds",
          p.returncode == 0 and "connection failed" in log_of(p), p.stderr[-500:])
    # The cut connection's last APPENDs may still be stored by its server
    # session after a new connection lists the folder, so the run keeps
    # their intents instead of sending them again (doc/design.md "A killed
    # run's last APPENDs"); runs after the grace (the test hook's, set by
    # check-imap-sync.py) upload what never arrived.
    if mailsync_tap.PENDING_TEXT in p.stdout + p.stderr:
        mailsync_tap.rerun_until_uploaded(
            lambda: base.run_sync(server, user, pw, work, security="none",
                                  extra={"MAILSYNC_TEST_IMAP_TUNNEL": tunnel_command(server, work)}))
    remote, local = base.same_both_sides(server, user, pw, work)
    check("reconnect during APPEND: 12 messages on the server, none doubled",
          remote == local and len(remote.get("INBOX", [])) == 12 and len(set(remote.get("INBOX", []))) == 12,
          {k: len(v) for k, v in remote.items()})
    p = base.run_sync(server, user, pw, work, security="none",
                      extra={"MAILSYNC_TEST_IMAP_TUNNEL": tunnel_command(server, work)})
    check("reconnect during APPEND: the next sync changes nothing", p.returncode == 0 and not base.changes(p),
          base.changes(p))


def scenario_no_retry(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "noretry")
    conn = server.imap(user, pw)
    for i in range(10):
        base.append(conn, "INBOX", "nr-%d" % i, size=30000)
    conn.logout()
    extra = {"MAILSYNC_TEST_IMAP_TUNNEL": tunnel_command(server, work, down=150000), "MAILSYNC_TEST_IMAP_RETRY": "0"}
    p = base.run_sync(server, user, pw, work, security="none", extra=extra)
    check("retrycount 0: a cut fails the sync with a clear error",
          p.returncode != 0 and "lost" in p.stderr and server.env["DOVECOT_HOST"] in p.stderr, p.stderr)
    p = base.run_sync(server, user, pw, work, security="none",
                      extra={"MAILSYNC_TEST_IMAP_TUNNEL": tunnel_command(server, work)})
    remote, local = base.same_both_sides(server, user, pw, work)
    check("retrycount 0: the next run completes", p.returncode == 0 and remote == local, p.stderr)


def sanitized():
    """ASan keeps freed memory in quarantine: RSS says nothing there."""
    with open(base.DRIVER, "rb") as f:
        return b"__asan_init" in f.read()


def peak_rss_kb(p):
    m = re.search(r"^peak-rss-kb=(\d+)$", p.stdout, re.M)
    return int(m.group(1)) if m else None


def scenario_streaming(server, root):
    """A 10 MB message each way: the peak RSS of the sync grows by far
    less than the message (bodies go through spool files and streams)."""
    user, pw = server.new_user()
    work = os.path.join(root, "stream")
    conn = server.imap(user, pw)
    base.append(conn, "INBOX", "small")
    conn.logout()
    p = base.run_sync(server, user, pw, work, extra={"MAILSYNC_TEST_REPORT_RSS": "1"})
    baseline = peak_rss_kb(p)
    check("streaming: baseline sync reports its peak RSS", p.returncode == 0 and baseline, p.stderr)
    conn = server.imap(user, pw)
    base.append(conn, "INBOX", "big-down", size=10 * 1024 * 1024)
    conn.logout()
    p = base.run_sync(server, user, pw, work, extra={"MAILSYNC_TEST_REPORT_RSS": "1"})
    down = peak_rss_kb(p)
    remote, local = base.same_both_sides(server, user, pw, work)
    check("streaming: 10 MB download intact", p.returncode == 0 and remote == local, p.stderr)
    check("streaming: 10 MB download peak RSS grows < 3 MB (baseline %s KB, now %s KB)%s"
          % (baseline, down, " # SKIP ASan keeps freed memory" if sanitized() else ""),
          sanitized() or (down is not None and baseline is not None and down - baseline < 3 * 1024), (baseline, down))
    with open(os.path.join(work, "local", "INBOX", "new", "bigup"), "wb") as f:
        f.write(base.message("big-up", size=10 * 1024 * 1024).replace(b"\r\n", b"\n"))
    p = base.run_sync(server, user, pw, work, extra={"MAILSYNC_TEST_REPORT_RSS": "1"})
    up = peak_rss_kb(p)
    remote, local = base.same_both_sides(server, user, pw, work)
    check("streaming: 10 MB upload intact", p.returncode == 0 and remote == local and len(remote["INBOX"]) == 3,
          p.stderr)
    check("streaming: 10 MB upload peak RSS grows < 3 MB (baseline %s KB, now %s KB)%s"
          % (baseline, up, " # SKIP ASan keeps freed memory" if sanitized() else ""),
          sanitized() or (up is not None and baseline is not None and up - baseline < 3 * 1024), (baseline, up))


def idle_process(server, user, pw, seconds, work, extra=None):
    import subprocess
    env = dict(os.environ)
    env.update(extra or {})
    env.update(server.env)
    env.update({"DOVECOT_USER": user, "DOVECOT_PASS": pw, "MAILSYNC_TEST_IMAP_SECURITY": "starttls",
                "MAILSYNC_TEST_IDLE": str(seconds), "G_MESSAGES_DEBUG": "Mailsync-IMAP"})
    os.makedirs(os.path.join(work, "local"), exist_ok=True)
    p = subprocess.Popen([base.DRIVER, "imap", os.path.join(work, "local"), os.path.join(work, "meta")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # GLib writes debug lines to stdout too: skip to ours.
    line = p.stdout.readline()
    while line and line.strip() != "idling":
        line = p.stdout.readline()
    return p, line


def scenario_idle(server, root):
    import subprocess
    user, pw = server.new_user()
    work = os.path.join(root, "idle")
    # A change while idling ends the wait: a message delivered by the harness.
    p, first = idle_process(server, user, pw, 60, work)
    check("IDLE: the wait starts", first.strip() == "idling", first + p.stderr.read() if p.poll() is not None else first)
    # The delivery comes once the IDLE command is on the wire (not after a
    # guessed second: on a loaded machine it came before, or the log did
    # not show the order the check reads).
    running = mailsync_tap.Running(None, proc=p)
    running.wait_text(lambda t: re.search(r"C: A\d+ IDLE", t) is not None, 90)
    start = time.monotonic()
    subprocess.run([base.HARNESS, "fill", server.dir, user, "INBOX", "1", "--sizes", "small"], check=True,
                   stdout=subprocess.DEVNULL, timeout=300)
    _, out, err = running.finish(40)
    took = time.monotonic() - start
    text = out + err
    check("IDLE: a delivered message ends the wait (changed)", p.returncode == 0 and "changed=1" in out,
          (p.returncode, out, err[-500:]))
    check("IDLE: it returns promptly (%.1f s)" % took, took < 35, took)
    check("IDLE: IDLE sent, then DONE after the server's report",
          re.search(r"C: A\d+ IDLE", text) is not None and "C: DONE" in text
          and text.index("C: DONE") > text.index("EXISTS"), text[-2500:])
    # Nothing happens: the timeout ends the wait, with DONE sent properly.
    p, first = idle_process(server, user, pw, 2, work)
    start = time.monotonic()
    out, err = p.communicate(timeout=30)
    took = time.monotonic() - start
    check("IDLE: a quiet folder times out (changed=0) after ~2 s",
          p.returncode == 0 and "changed=0" in out and 1.5 < took < 28, (p.returncode, out, err[-300:], took))
    check("IDLE: the timeout ends IDLE with DONE and a tagged OK",
          "C: DONE" in err + out and re.search(r"S: A\d+ OK", (err + out).split("C: DONE", 1)[-1]) is not None,
          err[-500:])
    # Renewal (every 29 minutes, shortened here to 1 s): IDLE, DONE, IDLE
    # again..., and a change after a few renewals still ends the wait.
    # MAILSYNC_TEST_REIDLE_SECONDS is a test hook: without it the renewal
    # would take 29 minutes.
    if not mailsync_tap.TEST_HOOKS:
        base.TAP.skip("IDLE: renewed, and a change after renewals ends the wait", mailsync_tap.NO_HOOKS)
        return
    p, first = idle_process(server, user, pw, 60, work, extra={"MAILSYNC_TEST_REIDLE_SECONDS": "1"})
    # the change comes after 3 renewals, however long they take here
    running = mailsync_tap.Running(None, proc=p)
    running.wait_text(lambda t: len(re.findall(r"C: A\d+ IDLE", t)) >= 3, 90)
    subprocess.run([base.HARNESS, "fill", server.dir, user, "INBOX", "1", "--sizes", "small"], check=True,
                   stdout=subprocess.DEVNULL, timeout=60)
    _, out, err = running.finish(40)
    text = out + err
    idles = re.findall(r"C: A\d+ IDLE", text)
    check("IDLE: renewed (%d IDLE commands, each ended by DONE)" % len(idles),
          len(idles) >= 3 and text.count("C: DONE") == len(idles), text[-600:])
    check("IDLE: a change after renewals ends the wait", p.returncode == 0 and "changed=1" in out, (out, err[-300:]))


def commands(text, verb):
    return re.findall(r"C: A\d+ (?:UID )?%s\b" % verb, text)


def scenario_readonly_repository(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "ro-repo")
    conn = server.imap(user, pw)
    for i in range(5):
        base.append(conn, "INBOX", "ro-%d" % i)
    conn.logout()
    p = base.run_sync(server, user, pw, work)
    check("readonly repository: first sync", p.returncode == 0, p.stderr)
    before = base.same_both_sides(server, user, pw, work)[0]
    inbox = os.path.join(work, "local", "INBOX")
    names = sorted(os.listdir(os.path.join(inbox, "cur")) + os.listdir(os.path.join(inbox, "new")))
    with open(os.path.join(inbox, "new", "local-only"), "w") as f:
        f.write("Subject: local only\n\nnot for the server\n")
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(inbox, sub)):
            if name != "local-only" and ":2," in name:
                os.rename(os.path.join(inbox, sub, name), os.path.join(inbox, "cur", name.split(":2,")[0] + ":2,FS"))
                break
    p = base.run_sync(server, user, pw, work, extra={"MAILSYNC_TEST_REMOTE_READONLY": "1",
                                                      "G_MESSAGES_DEBUG": "Mailsync-IMAP"})
    text = log_of(p)
    after = base.same_both_sides(server, user, pw, work)[0]
    check("readonly repository: sync succeeds", p.returncode == 0, p.stderr[-300:])
    check("readonly repository: folders are EXAMINEd, never SELECTed",
          commands(text, "EXAMINE") and not commands(text, "SELECT"), re.findall(r"C: A\d+ \w+", text))
    check("readonly repository: no APPEND, STORE or EXPUNGE sent",
          not commands(text, "APPEND") and not commands(text, "STORE") and not commands(text, "EXPUNGE"), "")
    check("readonly repository: the server is unchanged", before == after, (before, after))
    check("readonly repository: local mail stays local", os.path.exists(os.path.join(inbox, "new", "local-only")), names)


def scenario_readonly_folder(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "ro-folder")
    conn = server.imap(user, pw)
    conn.create("Shared")
    for i in range(4):
        base.append(conn, "Shared", "shared-%d" % i, "\\Seen")
    base.append(conn, "INBOX", "inbox-1")
    conn.logout()
    p = base.run_sync(server, user, pw, work)
    check("read-only folder: first sync", p.returncode == 0, p.stderr)
    # Take the mail user's write access away: Dovecot then opens the
    # mailbox read-only and SELECT answers [READ-ONLY].
    mdir = os.path.join(server.dir, "mail", user, ".Shared")
    for sub in ("cur", "new", "tmp", ""):
        os.chmod(os.path.join(mdir, sub), 0o555)
    import imaplib
    conn = server.imap(user, pw)
    try:
        data = conn.select("Shared")
        ro = False
    except imaplib.IMAP4.readonly as e:  # imaplib's way to say [READ-ONLY]
        data, ro = e, True
    conn.shutdown()
    if not check("read-only folder: Dovecot SELECTs it [READ-ONLY]", ro, data):
        return
    before = base.same_both_sides(server, user, pw, work)[0]
    shared = os.path.join(work, "local", "Shared")
    with open(os.path.join(shared, "new", "local-new"), "w") as f:
        f.write("Subject: new in a read-only folder\n\nx\n")
    victims = sorted(os.listdir(os.path.join(shared, "cur")))
    os.rename(os.path.join(shared, "cur", victims[0]),
              os.path.join(shared, "cur", victims[0].split(":2,")[0] + ":2,FS"))
    os.unlink(os.path.join(shared, "cur", victims[1]))
    with open(os.path.join(work, "local", "INBOX", "new", "inbox-local"), "w") as f:
        f.write("Subject: to a writable folder\n\ny\n")
    p = base.run_sync(server, user, pw, work, extra={"G_MESSAGES_DEBUG": "Mailsync-IMAP"})
    after = base.same_both_sides(server, user, pw, work)[0]
    text = log_of(p)
    check("read-only folder: no APPEND, STORE or EXPUNGE is even tried on it",
          not re.search(r"C: A\d+ APPEND \"Shared\"", text)
          and not re.search(r"SELECT \"Shared\"[^\n]*\n(?:(?!SELECT)[^\n]*\n)*?[^\n]*C: A\d+ UID (?:STORE|EXPUNGE)", text),
          re.findall(r"C: A\d+ [^\n]*", text))
    warnings = [l for l in p.stdout.splitlines() if l.startswith("warning") and "read-only" in l]
    check("read-only folder: the sync succeeds (warnings, not errors)", p.returncode == 0, p.stderr[-300:])
    check("read-only folder: offlineimap's warnings for the copy, the flags and the deletion",
          any("will not be copied" in l for l in warnings) and any("No flags have been modified" in l for l in warnings)
          and any("No messages have been deleted" in l for l in warnings), p.stdout[-1500:])
    check("read-only folder: nothing written to it", before["Shared"] == after["Shared"],
          (before["Shared"], after["Shared"]))
    check("read-only folder: other folders still sync", len(after["INBOX"]) == 2, after["INBOX"])
    for sub in ("cur", "new", "tmp", ""):
        os.chmod(os.path.join(mdir, sub), 0o700)


def scenario_window(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "window")
    conn = server.imap(user, pw)
    old = time.time() - 400 * 86400
    # The old ones first: offlineimap's maxage (which mailsync follows)
    # also takes every message above the lowest UID in the window.
    for i in range(3):
        typ, data = conn.append("INBOX", None, imaplib_date(old), base.message("old-%d" % i))
    for i in range(3):
        base.append(conn, "INBOX", "recent-%d" % i)
    base.append(conn, "INBOX", "big-1", size=60000)
    conn.logout()
    p = base.run_sync(server, user, pw, work, extra={"MAILSYNC_TEST_MAX_AGE": "30", "G_MESSAGES_DEBUG": "Mailsync-IMAP"})
    local = base.local_state(os.path.join(work, "local"))
    text = log_of(p)
    check("maxage 30: only the 4 recent messages are synced", p.returncode == 0 and len(local.get("INBOX", [])) == 4,
          (p.stderr, local))
    check("maxage 30: the server filters (UID SEARCH SINCE), the old ones are never listed",
          re.search(r"C: A\d+ UID SEARCH SINCE \d+-\w+-\d{4}", text) is not None
          and not re.search(r"UID FETCH 1:\* \(UID FLAGS", text)
          and len(re.findall(r"S: \* FETCH \d+ UID=\d+ FLAGS=\S+ SIZE=", text)) == 4,
          re.findall(r"C: A\d+ UID [^\n]*", text))
    p = base.run_sync(server, user, pw, work, extra={"MAILSYNC_TEST_MAX_AGE": "30"})
    check("maxage 30: a second run changes nothing", p.returncode == 0 and not base.changes(p), base.changes(p))
    user, pw = server.new_user()
    work = os.path.join(root, "window-size")
    conn = server.imap(user, pw)
    for i in range(2):
        base.append(conn, "INBOX", "small-%d" % i)
        base.append(conn, "INBOX", "large-%d" % i, size=60000)
    conn.logout()
    p = base.run_sync(server, user, pw, work, extra={"MAILSYNC_TEST_MAX_SIZE": "20000",
                                                      "G_MESSAGES_DEBUG": "Mailsync-IMAP"})
    local = base.local_state(os.path.join(work, "local"))
    check("maxsize: the server filters (UID SEARCH SMALLER 20000, offlineimap's)", "UID SEARCH SMALLER 20000" in log_of(p),
          re.findall(r"C: A\d+ UID [^\n]*", log_of(p)))
    check("maxsize 20000: only the 2 small messages are synced", p.returncode == 0 and len(local.get("INBOX", [])) == 2,
          (p.stderr, local))
    remote = base.same_both_sides(server, user, pw, work)[0]
    check("maxsize: the large ones stay on the server", len(remote["INBOX"]) == 4, remote)


def body_fetch_depth(text):
    """The most body FETCHes the client had sent and not seen answered at
    once, from the debug log (C: and S: lines in the order the
    connection's thread wrote and read them)."""
    out, most = set(), 0
    for line in text.splitlines():
        m = re.search(r"C: (A\d+) UID FETCH \d+ \(UID BODY\.PEEK\[\]\)", line)
        if m:
            out.add(m.group(1))
            most = max(most, len(out))
            continue
        m = re.search(r"S: (A\d+) (OK|NO|BAD)", line)
        if m:
            out.discard(m.group(1))
    return most


def scenario_download_depth(server, root):
    """Issue 13 item 6: the downloads of small messages run four windows
    deep (256 body FETCHes on the wire at once, not the 64 of the
    account's max-in-flight), so that a distant server's round trip is
    covered; large messages keep one window (their bytes in flight, and
    the memory their answers take, stay a window of 32 KiB each)."""
    for name, count, size, want in (("small", 300, 0, 256), ("large", 90, 40000, 64)):
        user, pw = server.new_user()
        work = os.path.join(root, "depth-" + name)
        conn = server.imap(user, pw)
        for i in range(count):
            base.append(conn, "INBOX", "%s-%d" % (name, i), size=size)
        conn.logout()
        p = base.run_sync(server, user, pw, work, extra={"G_MESSAGES_DEBUG": "Mailsync-IMAP"})
        remote, local = base.same_both_sides(server, user, pw, work)
        check("download depth, %d %s messages: the sync succeeds, each once" % (count, name),
              p.returncode == 0 and remote == local and len(local.get("INBOX", [])) == count and
              len(set(local["INBOX"])) == count, (p.stderr[-500:], {k: len(v) for k, v in local.items()}))
        depth = body_fetch_depth(log_of(p))
        check("download depth, %s messages: %d body FETCHes in flight at most" % (name, want), depth == want,
              depth)


def imaplib_date(when):
    import imaplib
    return imaplib.Time2Internaldate(when)


def scenario_variants(root):
    for variant in ("noliteralplus", "nocondstore"):
        vroot = os.path.join(root, variant)
        os.makedirs(vroot)
        os.chmod(vroot, 0o755)
        server = base.Server(vroot, variant)
        try:
            before = base.TAP.checks
            imapsync.scenario_basic(server, vroot)
            print("# the %d checks above ran against the %s variant" % (base.TAP.checks - before, variant))
        finally:
            server.stop()


class FakeServer:
    """Accepts connections on 127.0.0.1; greets with GREETING (if any)
    and then reads without ever answering."""

    def __init__(self, greeting=None):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.greeting = greeting
        self.received = b""
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.greeting:
                c.sendall(self.greeting)
            threading.Thread(target=self.drain, args=(c,), daemon=True).start()

    def drain(self, c):
        while True:
            try:
                data = c.recv(4096)
            except OSError:
                return
            if not data:
                return
            self.received += data

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def run_fake(port, extra, work, security="none"):
    env = {"DOVECOT_HOST": "127.0.0.1", "DOVECOT_PORT": str(port), "DOVECOT_IMAPS_PORT": str(port),
           "DOVECOT_CA": "/nonexistent"}

    class Fake:
        pass
    fake = Fake()
    fake.env = env
    start = time.monotonic()
    p = base.run_sync(fake, "fakeuser", "fake-secret-pw", work, security=security, extra=extra, timeout=60)
    return p, time.monotonic() - start


def scenario_timeouts(root):
    silent = FakeServer()
    try:
        p, took = run_fake(silent.port, {"MAILSYNC_TEST_IMAP_TIMEOUT": "2"}, os.path.join(root, "t-silent"))
        where = "127.0.0.1:%d" % silent.port
        check("socktimeout: no greeting -> timed out error naming host:port",
              p.returncode != 0 and "timed out" in p.stderr and where in p.stderr, p.stderr)
        # The bound tells socktimeout (2 s) from a hang until the run's
        # own 60 s timeout; a loaded ASan build took 11 s to give up.
        check("socktimeout: gives up on its own, well before the test's 60 s deadline", took < 45, took)
        check("socktimeout: one line", p.stderr.strip().count("\n") == 0, p.stderr)
        # Any CA will do: the handshake never gets that far.
        p, took = run_fake(silent.port, {"MAILSYNC_TEST_IMAP_TIMEOUT": "2",
                                         "DOVECOT_CA": "/etc/ssl/certs/ca-certificates.crt"},
                           os.path.join(root, "t-tls"), security="ssl")
        check("socktimeout: a silent TLS handshake (implicit TLS) times out naming host:port",
              p.returncode != 0 and "timed out" in p.stderr and where in p.stderr and took < 45, (took, p.stderr))
    finally:
        silent.close()
    mute = FakeServer(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake server\r\n")
    try:
        p, took = run_fake(mute.port, {"MAILSYNC_TEST_IMAP_TIMEOUT": "2", "MAILSYNC_TEST_IMAP_AUTH": "LOGIN"},
                           os.path.join(root, "t-mute"))
        check("socktimeout: server stops answering after the greeting -> timed out",
              p.returncode != 0 and "timed out" in p.stderr and ("127.0.0.1:%d" % mute.port) in p.stderr
              and took < 45, (took, p.stderr))
        check("socktimeout: the client did send its command", b"LOGIN" in mute.received, mute.received[:200])
        check("socktimeout: no password in the output", "fake-secret-pw" not in p.stdout + p.stderr, "")
    finally:
        mute.close()
    # Without socktimeout a silent server is waited for: still waiting
    # after 3 s (the run is killed by the test's own timeout).
    silent = FakeServer()
    try:
        import subprocess
        try:
            run_fake_env = dict(os.environ, DOVECOT_HOST="127.0.0.1", DOVECOT_PORT=str(silent.port),
                                DOVECOT_USER="u", DOVECOT_PASS="p", MAILSYNC_TEST_IMAP_SECURITY="none")
            os.makedirs(os.path.join(root, "t-none", "local"), exist_ok=True)
            subprocess.run([base.DRIVER, "imap", os.path.join(root, "t-none", "local"), os.path.join(root, "t-none", "m")],
                           env=run_fake_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=3)
            waited = False
        except subprocess.TimeoutExpired:
            waited = True
        check("socktimeout 0: no timeout (offlineimap's default)", waited, "")
    finally:
        silent.close()


def scenario_sigpipe(root):
    # The tunnel closes its stdin, greets, and lingers: our LOGIN is
    # written into a pipe with no reader (EPIPE, SIGPIPE by default).
    tunnel = "exec 0<&-; printf '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] tunnel\\r\\n'; sleep 2"
    p, took = run_fake(1, {"MAILSYNC_TEST_IMAP_TUNNEL": tunnel, "MAILSYNC_TEST_IMAP_AUTH": "LOGIN"},
                       os.path.join(root, "t-pipe"))
    check("a dead tunnel is an error, not a SIGPIPE death", p.returncode == 1 and p.stderr.startswith("ERROR"),
          (p.returncode, p.stderr))


class ScriptedServer(FakeServer):
    """A fake IMAP server answering LOGIN, CAPABILITY, NAMESPACE and LIST
    with a namespace layout Dovecot's default does not have: personal
    "INBOX/", other users "Other Users/", shared "Shared/"."""

    ANSWERS = {
        "NAMESPACE": '* NAMESPACE (("INBOX/" "/")) (("Other Users/" "/")) (("Shared/" "/"))\r\n',
        "LIST": ('* LIST () "/" INBOX\r\n* LIST () "/" "INBOX/Sent"\r\n'
                 '* LIST (\\Noselect) "/" "Other Users"\r\n* LIST () "/" "Other Users/bob/INBOX"\r\n'
                 '* LIST () "/" "Shared/team"\r\n'),
        "CAPABILITY": "* CAPABILITY IMAP4rev1 NAMESPACE\r\n",
        "LOGOUT": "* BYE bye\r\n",
    }

    def __init__(self):
        super().__init__(b"* OK [CAPABILITY IMAP4rev1 NAMESPACE AUTH=PLAIN] scripted\r\n")
        self.commands = []

    def drain(self, c):
        buf = b""
        while True:
            try:
                data = c.recv(4096)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                tag, _, rest = line.decode(errors="replace").partition(" ")
                cmd = rest.split(" ", 1)[0].upper()
                self.commands.append(rest)
                c.sendall((self.ANSWERS.get(cmd, "") + "%s OK done\r\n" % tag).encode())


class Utf8Server(ScriptedServer):
    ANSWERS = {
        "ENABLE": "* ENABLED UTF8=ACCEPT\r\n",
        "LIST": '* LIST () "/" INBOX\r\n* LIST () "/" "Entw\u00fcrfe"\r\n* LIST () "/" "R&D"\r\n',
        "CAPABILITY": "* CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT\r\n",
        "LOGOUT": "* BYE bye\r\n",
    }

    def __init__(self):
        FakeServer.__init__(self, b"* OK [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT AUTH=PLAIN] utf8\r\n")
        self.commands = []


def scenario_utf8_accept(root):
    server = Utf8Server()
    try:
        p, _ = run_fake(server.port, {"MAILSYNC_TEST_LIST": "1", "MAILSYNC_TEST_IMAP_AUTH": "LOGIN",
                                      "MAILSYNC_TEST_IMAP_INCLUDES": "Gel&APY-scht,Gr\u00fcn"},
                        os.path.join(root, "utf8"))
        folders = [l.split(" ", 1)[1] for l in p.stdout.splitlines() if l.startswith("folder ")]
        check("UTF8=ACCEPT: a mUTF-7 name (folderincludes) goes on the wire in UTF-8",
              'STATUS "Gel\u00f6scht" (UIDVALIDITY)' in server.commands and "Gel&APY-scht" in folders,
              (server.commands, folders))
        check("UTF8=ACCEPT: a UTF-8 folderinclude is named by its mUTF-7 name (utf8foldernames = no)",
              'STATUS "Gr\u00fcn" (UIDVALIDITY)' in server.commands and "Gr&APw-n" in folders,
              (server.commands, folders))
        folders.remove("Gel&APY-scht")
        folders.remove("Gr&APw-n")
        check("UTF8=ACCEPT: ENABLEd after login", any(c.upper().startswith("ENABLE UTF8=ACCEPT") for c in server.commands),
              server.commands)
        check("UTF8=ACCEPT: mailbox names are read as UTF-8 and named in modified UTF-7 (utf8foldernames = no)",
              p.returncode == 0 and sorted(folders) == ["Entw&APw-rfe", "INBOX", "R&-D"], (p.stderr, folders))
        server.commands.clear()
        p, _ = run_fake(server.port, {"MAILSYNC_TEST_LIST": "1", "MAILSYNC_TEST_IMAP_AUTH": "LOGIN",
                                      "MAILSYNC_TEST_IMAP_UTF8_NAMES": "1"}, os.path.join(root, "utf8-names"))
        folders = [l.split(" ", 1)[1] for l in p.stdout.splitlines() if l.startswith("folder ")]
        check("UTF8=ACCEPT: mailbox names are read as UTF-8, not modified UTF-7 (utf8foldernames = yes)",
              p.returncode == 0 and sorted(folders) == ["Entw\u00fcrfe", "INBOX", "R&D"], (p.stderr, folders))
    finally:
        server.close()


def scenario_namespace(root):
    server = ScriptedServer()
    try:
        # offlineimap's default: every folder LIST names is synced
        p, _ = run_fake(server.port, {"MAILSYNC_TEST_LIST": "1", "MAILSYNC_TEST_IMAP_AUTH": "LOGIN"},
                        os.path.join(root, "ns0"))
        folders = [l.split(" ", 1)[1] for l in p.stdout.splitlines() if l.startswith("folder ")]
        check("NAMESPACE: by default every listed folder is synced, shared ones included (as offlineimap)",
              p.returncode == 0 and len(folders) == 4 and not any(c.startswith("NAMESPACE") for c in server.commands),
              (p.stderr, folders, server.commands))
        server.commands.clear()
        p, _ = run_fake(server.port, {"MAILSYNC_TEST_LIST": "1", "MAILSYNC_TEST_IMAP_AUTH": "LOGIN",
                                      "MAILSYNC_TEST_IMAP_PERSONAL_ONLY": "1"},
                        os.path.join(root, "ns"))
        folders = [l.split(" ", 1)[1] for l in p.stdout.splitlines() if l.startswith("folder ")]
        check("NAMESPACE: asked with personal-namespace-only and no reference", any(c.startswith("NAMESPACE") for c in server.commands),
              server.commands)
        check("NAMESPACE: only the personal namespace is synced (INBOX, INBOX/Sent)",
              p.returncode == 0 and sorted(folders) == ["INBOX", "INBOX/Sent"], (p.stderr, folders))
        check("NAMESPACE: the separator is the server's", "separator /" in p.stdout, p.stdout)
        server.commands.clear()
        p, _ = run_fake(server.port, {"MAILSYNC_TEST_LIST": "1", "MAILSYNC_TEST_IMAP_AUTH": "LOGIN",
                                      "MAILSYNC_TEST_IMAP_PERSONAL_ONLY": "1",
                                      "MAILSYNC_TEST_IMAP_REFERENCE": ""}, os.path.join(root, "ns2"))
        folders = [l.split(" ", 1)[1] for l in p.stdout.splitlines() if l.startswith("folder ")]
        check("NAMESPACE: not used when a reference is set (every listed folder kept)",
              p.returncode == 0 and len(folders) == 4 and not any(c.startswith("NAMESPACE") for c in server.commands),
              (folders, server.commands))
    finally:
        server.close()


class LiteralServer(FakeServer):
    """Records the raw bytes of the client's commands, answers synchronizing
    literals with "+", and refuses the LOGIN."""

    def __init__(self):
        super().__init__(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] literal test\r\n")
        self.raw = b""

    def drain(self, c):
        buf = b""
        while True:
            try:
                data = c.recv(4096)
            except OSError:
                return
            if not data:
                return
            buf += data
            self.raw += data
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                m = re.search(rb"\{(\d+)\}$", line)
                if m:
                    need = int(m.group(1))
                    c.sendall(b"+ go on\r\n")
                    while len(buf) < need:
                        more = c.recv(4096)
                        if not more:
                            return
                        buf += more
                        self.raw += more
                    buf = buf[need:]
                    continue
                tag = line.split(b" ", 1)[0]
                c.sendall(tag + b" NO [AUTHENTICATIONFAILED] no\r\n")


def scenario_login_quoting(root):
    server = LiteralServer()
    secret = 'p\u00e4"ss\\word'
    try:
        p, _ = run_fake(server.port, {"MAILSYNC_TEST_IMAP_AUTH": "LOGIN", "DOVECOT_PASS": secret,
                                      "G_MESSAGES_DEBUG": "all"}, os.path.join(root, "login"))
        wire = secret.encode()
        check("LOGIN: a UTF-8 password is sent as a literal, byte for byte",
              re.search(rb'LOGIN "fakeuser" \{%d\}\r\n' % len(wire) + re.escape(wire) + rb"\r\n", server.raw)
              is not None, server.raw[:200])
        check("LOGIN: the password is in no output", secret not in p.stdout + p.stderr, "")
    finally:
        server.close()
    server = LiteralServer()
    try:
        p, _ = run_fake(server.port, {"MAILSYNC_TEST_IMAP_AUTH": "LOGIN", "DOVECOT_PASS": 'a"b\\c'},
                        os.path.join(root, "login2"))
        check("LOGIN: a 7-bit password is quoted with only \\\" and \\\\ escaped",
              b'LOGIN "fakeuser" "a\\"b\\\\c"\r\n' in server.raw, server.raw[:200])
    finally:
        server.close()


def scenario_login_dovecot(server, root):
    import subprocess
    user, pw = "utf8user", 'gr\u00fc"n\\pass'
    subprocess.run([base.HARNESS, "adduser", server.dir, user, pw], check=True, stdout=subprocess.DEVNULL, timeout=300)
    time.sleep(1.1)  # Dovecot re-reads the passwd-file by mtime (1 s)
    p = base.run_sync(server, user, pw, os.path.join(root, "login-dovecot"), extra={"MAILSYNC_TEST_IMAP_AUTH": "LOGIN"})
    check("LOGIN with a UTF-8 password and quotes works on Dovecot", p.returncode == 0, p.stderr)


def scenario_includes(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "includes")
    conn = server.imap(user, pw)
    for name in ("Work", "Work.Sub", "Archive", "Other"):
        conn.create(name)
        base.append(conn, name, "in-" + name)
    base.append(conn, "INBOX", "in-inbox")
    conn.logout()
    extra = {"MAILSYNC_TEST_IMAP_REFERENCE": "Work", "MAILSYNC_TEST_IMAP_INCLUDES": "Archive,Missing"}
    p = base.run_sync(server, user, pw, work, extra=extra)
    local = base.local_state(os.path.join(work, "local"))
    check("folderincludes: the sync succeeds", p.returncode == 0, p.stderr)
    check("folderincludes: reference's folders plus the included one, nothing else",
          sorted(local) == ["Archive", "Work", "Work.Sub"] and all(len(v) == 1 for v in local.values()),
          {k: len(v) for k, v in local.items()})
    errors = [l for l in p.stdout.splitlines() if l.startswith("error ")]
    check("folderincludes: a missing one is an error event of the run, the others sync",
          len(errors) == 1 and "Invalid folderinclude 'Missing'" in errors[0], p.stdout[-1500:])


def main():
    root = tempfile.mkdtemp(prefix="mailsync-imapfeat-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        scenario_timeouts(root)
        scenario_sigpipe(root)
        scenario_namespace(root)
        scenario_login_quoting(root)
        scenario_utf8_accept(root)
        if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
            base.TAP.skip("the Dovecot scenarios", "dovecot is not installed")
        else:
            server = base.Server(root)
            only = os.environ.get("MAILSYNC_TEST_ONLY")
            for name, fn in (("login", scenario_login_dovecot),
                             ("includes", scenario_includes),
                             ("readonly-repo", scenario_readonly_repository),
                             ("readonly-folder", scenario_readonly_folder),
                             ("window", scenario_window),
                             ("depth", scenario_download_depth),
                             ("idle", scenario_idle),
                             ("streaming", scenario_streaming),
                             ("reconnect-down", scenario_reconnect_download),
                             ("reconnect-up", scenario_reconnect_upload),
                             ("noretry", scenario_no_retry)):
                if not only or only == name:
                    fn(server, root)
            if not only or only == "variants":
                scenario_variants(root)
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return base.TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
