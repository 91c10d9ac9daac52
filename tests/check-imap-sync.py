#!/usr/bin/env python3
"""Integration tests of IMAP <-> Maildir against a private Dovecot: the
sync's paths (both ways, a big message, the download paths, COMPRESS,
uploads from memory, IMAP <-> IMAP, failures) and servers without UIDPLUS
or STARTTLS. Crashes and kills are in check-imap-crashes.py, killed
downloads and the downloads entry in check-imap-downloads.py; what the
three share in imap_sync_common.py.

The harness (tests/harness/dovecot-harness) starts Dovecot on 127.0.0.1;
the sync runs through tests/sync-maildirs with an IMAP remote; the server
side is changed and inspected with Python's imaplib, as another mail
client would. Skipped (1..0 # SKIP) when Dovecot is not installed."""

import os
import re
import sys

import imap_sync_common
import mailsync_tap
from imap_sync_common import (DRIVER, TAP, Server, append, changes, check, message, quote, run_sync, same_both_sides,
                              server_state)
from maildir_state import differing, download_state


def scenario_basic(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "basic")
    conn = server.imap(user, pw)
    for i in range(10):
        append(conn, "INBOX", "inbox-%d" % i, ["", "\\Seen", "\\Seen \\Flagged"][i % 3])
    conn.create("Archive")
    conn.create(quote("Entw&APw-rfe"))
    for i in range(3):
        append(conn, "Archive", "archive-%d" % i, "\\Seen")
    conn.logout()

    p = run_sync(server, user, pw, work)
    check("initial sync succeeds", p.returncode == 0, p.stderr)
    remote, local = same_both_sides(server, user, pw, work)
    check("initial sync: local equals remote", remote == local, (remote, local))
    check("initial sync: 10 messages in INBOX", len(local.get("INBOX", [])) == 10, local.keys())
    p = run_sync(server, user, pw, work)
    check("second sync changes nothing", p.returncode == 0 and not changes(p), changes(p))

    # New mail both ways, flags both ways, deletions both ways.
    conn = server.imap(user, pw)
    append(conn, "INBOX", "remote-new", "\\Flagged")
    conn.select("INBOX")
    typ, data = conn.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    conn.uid("STORE", uids[0], "+FLAGS", "(\\Answered)")
    conn.uid("STORE", uids[1], "+FLAGS", "(\\Deleted)")
    conn.expunge()
    conn.logout()
    inbox = os.path.join(work, "local", "INBOX")
    with open(os.path.join(inbox, "new", "local-new-1"), "w") as f:
        f.write("Subject: local new\n\nwritten by a MUA\n")
    names = sorted(os.listdir(os.path.join(inbox, "cur")))
    os.unlink(os.path.join(inbox, "cur", names[-1]))
    victim = names[-2]
    base, flags = victim.split(":2,")
    os.rename(os.path.join(inbox, "cur", victim), os.path.join(inbox, "cur", base + ":2," + "".join(sorted(set(flags + "D")))))
    os.makedirs(os.path.join(work, "local", "Local.Sub", "cur"))
    os.makedirs(os.path.join(work, "local", "Local.Sub", "new"))
    os.makedirs(os.path.join(work, "local", "Local.Sub", "tmp"))
    with open(os.path.join(work, "local", "Local.Sub", "cur", "x:2,S"), "w") as f:
        f.write("Subject: in a new local folder\n\nx\n")

    p = run_sync(server, user, pw, work)
    check("two-way sync succeeds", p.returncode == 0, p.stderr)
    remote, local = same_both_sides(server, user, pw, work)
    check("two-way sync: both sides equal", remote == local,
          {k: (len(remote.get(k, [])), len(local.get(k, []))) for k in set(remote) | set(local)})
    check("local folder created on the server", "Local.Sub" in remote, remote.keys())
    check("non-ASCII folder synced, under its modified UTF-7 name as offlineimap's",
          "Entw\u00fcrfe" in local and os.path.isdir(os.path.join(work, "local", "Entw&APw-rfe")), local.keys())
    p = run_sync(server, user, pw, work)
    check("third sync changes nothing", p.returncode == 0 and not changes(p), changes(p))


def scenario_big_message(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "big")
    conn = server.imap(user, pw)
    append(conn, "INBOX", "big", "", size=10 * 1024 * 1024)
    conn.logout()
    cache = {"MAILSYNC_TEST_REPORT_RSS": "1", "XDG_CACHE_HOME": os.path.join(work, "cache")}
    p = run_sync(server, user, pw, work, extra=cache)
    remote, local = same_both_sides(server, user, pw, work)
    check("10 MB message downloaded intact", p.returncode == 0 and remote == local, p.stderr)
    # Streamed to the Maildir: the peak RSS (VmHWM) exceeds that of a
    # no-op run by far less than the message.
    idle = run_sync(server, user, pw, work, extra=cache)
    peaks = [int(m.group(1)) for m in (re.search(r"^peak-rss-kb=(\d+)$", x.stdout, re.M) for x in (p, idle)) if m]
    with open(DRIVER, "rb") as f:
        asan = b"__asan_init" in f.read()  # ASan's quarantine keeps freed memory resident
    check("10 MB message: peak RSS grows by less than 3 MB" + (" # SKIP ASan keeps freed memory" if asan else ""),
          asan or (len(peaks) == 2 and peaks[0] - peaks[1] < 3 * 1024), peaks)
    # Written once: the spooled body is linked into the Maildir's tmp/
    # (same file system: the cache and the Maildir are both under work/),
    # not copied there from the spool.
    written = [int(m.group(1)) for m in (re.search(r"^written-kb=(\d+)$", x.stdout, re.M) for x in (p, idle)) if m]
    check("10 MB message: the body is written to disk once, not twice",
          len(written) == 2 and written[0] - written[1] < 12 * 1024, written)
    with open(os.path.join(work, "local", "INBOX", "new", "bigup"), "wb") as f:
        f.write(message("big-upload", size=10 * 1024 * 1024).replace(b"\r\n", b"\n"))
    p = run_sync(server, user, pw, work)
    remote, local = same_both_sides(server, user, pw, work)
    check("10 MB message uploaded intact", p.returncode == 0 and remote == local, p.stderr)


def scenario_download_paths(server, root):
    """The downloads' engine-internal path (fetched bytes straight to the
    Maildir's delivery, no append task, stream or info per message: issue 13
    item 5, session 19) stores what the public per-message calls
    (fetch_message, append_message; MAILSYNC_TEST_DOWNLOAD_PUBLIC=1) store:
    the same files (UID, FMD5, flags, bytes, mtime) and status rows, for
    flags, keywords, CRLF and bare LF bodies, an empty body, dates, and a
    body large enough to be spooled."""
    user, pw = server.new_user()
    conn = server.imap(user, pw)
    flags = ["", "\\Seen", "\\Seen \\Flagged", "\\Answered", "\\Draft \\Seen", "$Forwarded",
             "\\Seen $Junk custom1"]
    for i, f in enumerate(flags):
        append(conn, "INBOX", "paths-%d" % i, f)
    conn.create("Other")
    raw = [b"Subject: bare LF\nDate: Tue, 24 Nov 2026 08:00:00 +0000\n\nline one\nline two\n",
           b"Subject: lone CR\r\n\r\nA\rB\r\n",
           b"Subject: no body\r\n\r\n"]
    for i, body in enumerate(raw):
        typ, data = conn.append("Other", "(\\Seen)", imaplib_date(1700000000 + i * 86400), body)
        assert typ == "OK", data
    append(conn, "Other", "paths-big", "\\Flagged", size=600 * 1024)
    conn.logout()
    out = {}
    paths = [("internal", {})]
    # the public half needs the test hook that turns the internal path
    # off: without it that run would take the internal path too
    if mailsync_tap.TEST_HOOKS:
        paths.append(("public", {"MAILSYNC_TEST_DOWNLOAD_PUBLIC": "1"}))
    for path, extra in paths:
        work = os.path.join(root, "paths-" + path)
        p = mailsync_tap.run_driver(server, user, pw, work, debug="Mailsync", extra=extra)
        counts = re.findall(r"(\d+) downloads, (\d+) of them on the internal path", p.stdout + p.stderr)
        said = sorted(counts) == [("4", "4" if path == "internal" else "0"), ("7", "7" if path == "internal" else "0")]
        check("download paths: the %s path's sync succeeds and %s" % (path, "takes it" if path == "internal"
                                                                      else "takes the public calls"),
              p.returncode == 0 and said, (counts, mailsync_tap.stderr_without_debug(p)))
        # the events a library user sees (the driver prints one line
        # each), in any order, without the running count
        events = sorted(re.sub(r" n=\d+ ", " ", l) for l in p.stdout.splitlines() if "-DEBUG: " not in l)
        out[path] = download_state(work) + (events,)
    check("download paths: 11 messages stored", sum(len(v) for v in out["internal"][0].values()) == 11,
          out["internal"][0])
    if "public" not in out:
        for what in ("the public path's sync succeeds and takes the public calls",
                     "the same Maildir files (UID, FMD5, flags, bytes, mtime)", "the same status rows",
                     "the same events"):
            TAP.skip("download paths: " + what, mailsync_tap.NO_HOOKS)
        return
    check("download paths: the same Maildir files (UID, FMD5, flags, bytes, mtime)",
          out["internal"][0] == out["public"][0], differing(out["internal"][0], out["public"][0]))
    check("download paths: the same status rows", out["internal"][1] == out["public"][1] and out["internal"][1],
          differing(out["internal"][1], out["public"][1]) or out["internal"][1])
    check("download paths: the same events", out["internal"][2] == out["public"][2] and
          len([l for l in out["internal"][2] if l.startswith("message-copied")]) == 11,
          (out["internal"][2], out["public"][2]))


def imaplib_date(t):
    import imaplib
    return imaplib.Time2Internaldate(t)


def scenario_compression(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "compress")
    conn = server.imap(user, pw)
    for i in range(20):
        append(conn, "INBOX", "compressed-%d" % i, "\\Seen", size=20000)
    conn.logout()
    extra = {"MAILSYNC_TEST_IMAP_COMPRESS": "1", "G_MESSAGES_DEBUG": "Mailsync-IMAP"}
    p = run_sync(server, user, pw, work, extra=extra)
    check("COMPRESS=DEFLATE negotiated", "COMPRESS=DEFLATE active" in p.stderr + p.stdout, p.stderr[-300:])
    with open(os.path.join(work, "local", "INBOX", "new", "up"), "w") as f:
        f.write("Subject: uploaded compressed\n\n" + "x" * 50000 + "\n")
    p = run_sync(server, user, pw, work, extra=extra)
    remote, local = same_both_sides(server, user, pw, work)
    check("compressed sync both ways converges", p.returncode == 0 and remote == local and len(local["INBOX"]) == 21,
          p.stderr[-300:])
    p = run_sync(server, user, pw, work, security="ssl", extra=extra)
    check("compression over implicit TLS: no-op resync", p.returncode == 0 and not changes(p), p.stderr[-300:])


def scenario_failures(server, root):
    user, pw = server.new_user()
    work = os.path.join(root, "fail")
    p = run_sync(server, user, "wrong-password", work)
    check("wrong password: nonzero exit", p.returncode != 0, p.returncode)
    check("wrong password: one clear line", "uthentication" in p.stderr and p.stderr.count("\n") <= 1, p.stderr)
    check("wrong password: password not shown", "wrong-password" not in p.stderr + p.stdout, "")
    check("wrong password: nothing written locally", not os.listdir(os.path.join(work, "local")), "")
    p = run_sync(server, user, pw, work, extra={"DOVECOT_CA": os.path.join(server.dir, "untrusted.pem")})
    check("untrusted certificate rejected by default", p.returncode != 0 and "ertificate" in p.stderr, p.stderr)
    fp = server.env.get("DOVECOT_CERT_SHA256")
    if fp:
        p = run_sync(server, user, pw, work, extra={"MAILSYNC_TEST_IMAP_FINGERPRINT": fp})
        check("pinned certificate accepted without a CA", p.returncode == 0, p.stderr)
    p = run_sync(server, user, pw, work, security="ssl")
    check("implicit TLS (IMAPS) works", p.returncode == 0, p.stderr)
    home = os.path.join(root, "home")
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, ".netrc"), "w") as f:
        f.write("machine other.example login x password y\nmachine %s\n  login %s\n  password %s\n"
                % (server.env["DOVECOT_HOST"], user, pw))
    os.chmod(os.path.join(home, ".netrc"), 0o600)
    p = run_sync(server, user, "", work, extra={"HOME": home})
    check("password taken from ~/.netrc", p.returncode == 0, p.stderr)
    # Debug logging on, every mechanism: the password never shows.
    for mech in ("PLAIN", "LOGIN"):
        p = run_sync(server, user, pw, work, extra={"G_MESSAGES_DEBUG": "all", "MAILSYNC_TEST_IMAP_AUTH": mech})
        logged = p.stdout + p.stderr
        check("%s login works with full debug output" % mech, p.returncode == 0 and "C: A" in logged, p.stderr[-300:])
        check("%s: the password is not in the debug output" % mech,
              pw not in logged and base64_plain(user, pw) not in logged, "")
    p = run_sync(server, user, "wrong", work, extra={"MAILSYNC_TEST_IMAP_AUTH": "CRAM-MD5, PLAIN, LOGIN"})
    # A refused password ends the login at the first mechanism offered:
    # LOGIN after PLAIN would be a second failure at the server (issue 10
    # item 1). CRAM-MD5 is not offered by the harness, so PLAIN is named.
    check("wrong password: only the first offered mechanism is tried, and named",
          p.returncode != 0 and "PLAIN" in p.stderr and "LOGIN" not in p.stderr, p.stderr)


def base64_plain(user, pw):
    import base64
    return base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode()


def scenario_no_starttls(root):
    try:
        server = Server(root, "nostarttls")
    except Exception as e:  # pragma: no cover
        check("nostarttls variant starts", False, e)
        return
    try:
        user, pw = server.new_user()
        work = os.path.join(root, "nostarttls")
        log = os.path.join(server.dir, "dovecot.log")
        p = run_sync(server, user, pw, work)
        check("STARTTLS missing: abort", p.returncode != 0 and "STARTTLS" in p.stderr, p.stderr)
        # Dovecot logs the login process's end when it notices the
        # disconnection: wait for that line, not a guessed half second.

        def logged():
            with open(log, errors="replace") as f:
                return f.read()
        mailsync_tap.wait_for(lambda: "no auth attempts" in logged(), 30)
        text = logged()
        # Dovecot logs how a login connection ended; ours must have made
        # no authentication attempt at all.
        check("STARTTLS missing: no credentials sent", "no auth attempts" in text and "user=<%s>" % user not in text,
              text[-800:])
    finally:
        server.stop()


def scenario_no_uidplus(root):
    server = Server(root, "nouidplus")
    try:
        user, pw = server.new_user()
        work = os.path.join(root, "nouidplus")
        os.makedirs(os.path.join(work, "local", "INBOX", "cur"))
        os.makedirs(os.path.join(work, "local", "INBOX", "new"))
        os.makedirs(os.path.join(work, "local", "INBOX", "tmp"))
        for i in range(3):
            with open(os.path.join(work, "local", "INBOX", "new", "n%d" % i), "w") as f:
                f.write("Subject: no uidplus %d\n\nbody %d\n" % (i, i))
        # one larger than what is made ready in memory: spooled to a file
        with open(os.path.join(work, "local", "INBOX", "new", "n3"), "w") as f:
            f.write("Subject: no uidplus 3\n\n" + "spooled line\n" * 30000)
        p = run_sync(server, user, pw, work)
        check("no UIDPLUS: upload succeeds", p.returncode == 0, p.stderr)
        names = os.listdir(os.path.join(work, "local", "INBOX", "new"))
        check("no UIDPLUS: UIDs found by X-OfflineIMAP search", len(names) == 4 and all(",U=" in n for n in names),
              names)
        # The X-OfflineIMAP header is the last header line, the rest of the
        # message as it was (CRLF line ends), in memory and in a spool file.
        conn = server.imap(user, pw)
        conn.select("INBOX")
        typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
        conn.logout()
        bodies = sorted(x[1] for x in data if isinstance(x, tuple))
        wanted = sorted([b"Subject: no uidplus %d\r\n\r\nbody %d\r\n" % (i, i) for i in range(3)] +
                        [b"Subject: no uidplus 3\r\n\r\n" + b"spooled line\r\n" * 30000])
        got = sorted(re.sub(rb"X-OfflineIMAP: [0-9]+-[0-9]+\r\n\r\n", b"\r\n", b, count=1) for b in bodies)
        check("no UIDPLUS: each message intact behind its X-OfflineIMAP header",
              len(bodies) == 4 and got == wanted and all(b.count(b"X-OfflineIMAP: ") == 1 for b in bodies),
              [b[:120] for b in bodies])
        p = run_sync(server, user, pw, work)
        check("no UIDPLUS: second sync changes nothing", p.returncode == 0 and not changes(p), changes(p))
        scenario_no_uidplus_crash(server, root)
        scenario_no_uidplus_crash_cr(server, root)
    finally:
        server.stop()


def scenario_no_uidplus_crash(server, root):
    """Without UIDPLUS, a crash after an APPEND's answer (the message
    stored, the status not written) with messages that are all header
    and lack a final line end: the upload puts a CRLF before the
    X-OfflineIMAP line it adds, and the next run must find the stored
    copies again by that line, not upload them a second time."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("no UIDPLUS: crash after an APPEND of headers without a final newline", mailsync_tap.NO_HOOKS)
        return
    user, pw = server.new_user()
    work = os.path.join(root, "nouidplus-crash")
    inbox = os.path.join(work, "local", "INBOX")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(inbox, sub))
    for i in range(3):
        with open(os.path.join(inbox, "new", "h%d" % i), "wb") as f:
            f.write(b"From: a\nSubject: h%d" % i)

    def count():
        conn = server.imap(user, pw)
        typ, data = conn.select("INBOX", readonly=True)
        conn.logout()
        return int(data[0])
    p = run_sync(server, user, pw, work, extra={"MAILSYNC_CRASH_AT": "runner-upload-appended:1"})
    stored = count()
    check("no UIDPLUS, headers without a final newline: the run dies after an APPEND, stored",
          p.returncode == 77 and stored >= 1, (p.returncode, stored, p.stderr[-500:]))
    # one more uploaded by the next run: its UID found by the search
    with open(os.path.join(inbox, "new", "h3"), "wb") as f:
        f.write(b"From: a\nSubject: h3")
    # the crashed run's other APPENDs may be kept for the grace
    p2, _ = mailsync_tap.rerun_until_uploaded(lambda: run_sync(server, user, pw, work))
    locals_ = [n for sub in ("cur", "new") for n in os.listdir(os.path.join(inbox, sub))]
    p3 = run_sync(server, user, pw, work)
    remote, local = same_both_sides(server, user, pw, work)
    check("no UIDPLUS, headers without a final newline: after a crash one copy of each on each side",
          p2.returncode == 0 and count() == 4 and len(locals_) == 4 and len(local.get("INBOX", [])) == 4,
          (p2.returncode, count(), sorted(locals_), p2.stderr[-800:]))
    conn = server.imap(user, pw)
    conn.select("INBOX", readonly=True)
    typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
    conn.logout()
    bodies = sorted(x[1] for x in data if isinstance(x, tuple))
    wanted = [b"From: a\r\nSubject: h%d\r\nX-OfflineIMAP: " % i for i in range(4)]
    check("no UIDPLUS, headers without a final newline: the copy ends in the X-OfflineIMAP line, the "
          "new one's UID found by the search",
          len(bodies) == 4 and all(b.startswith(w) and re.fullmatch(rb"[0-9]+-[0-9]+", b[len(w):])
                                   for b, w in zip(bodies, wanted)) and all(",U=" in n for n in locals_),
          (bodies, sorted(locals_)))
    check("no UIDPLUS, headers without a final newline: the run after changes nothing",
          p3.returncode == 0 and not changes(p3), (p3.returncode, changes(p3)))


# Messages with CRs before their line ends or at their end (issue 14
# review): Dovecot stores "\r\r\n" as "\r\n", so a line of CRs is a blank
# line on the server. The upload sends a run of CRs before a line end as
# one CRLF and leaves out CRs that end a message it adds the
# X-OfflineIMAP line to, so that the line is the last header line of the
# stored copy, where the search and the next run's scan look.
CR_MESSAGES = {
    "cr-a": b"From: a\r\r\nSubject: crcrlf\r\r\n\r\r\nbody\r\r\n",
    "cr-b": b"From: a\n\r\r\nSubject: h",
    "cr-c": b"From: a\rb\r\r\r\nSubject: c\r\r\n\r\r\r\nbody\rmore\r\n",
    "cr-d": b"From: a\nSubject: d\n\r",
    "cr-e": b"Subject: e\r\r",
}


def scenario_no_uidplus_crash_cr(server, root):
    """Without UIDPLUS, a crash after the APPEND of messages with CRs
    before their line ends: the next run finds each stored copy again by
    its X-OfflineIMAP line, and no message is uploaded twice."""
    label = "no UIDPLUS, CRs before line ends"
    if not mailsync_tap.TEST_HOOKS:
        for what in ("a crash after the APPEND, then one copy of each on each side",
                     "each copy is the message, its X-OfflineIMAP line the last of the server's header",
                     "the run after changes nothing"):
            TAP.skip("%s: %s" % (label, what), mailsync_tap.NO_HOOKS)
        return
    user, pw = server.new_user()
    work = os.path.join(root, "nouidplus-crash-cr")
    inbox = os.path.join(work, "local", "INBOX")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(inbox, sub))
    for name, content in CR_MESSAGES.items():
        with open(os.path.join(inbox, "new", name), "wb") as f:
            f.write(content)
    # all five go in one MULTIAPPEND: the run dies after its answer
    p = run_sync(server, user, pw, work, extra={"MAILSYNC_CRASH_AT": "runner-upload-appended:1"})
    conn = server.imap(user, pw)
    stored = int(conn.select("INBOX", readonly=True)[1][0])
    conn.logout()
    p2 = run_sync(server, user, pw, work)
    p3 = run_sync(server, user, pw, work)
    conn = server.imap(user, pw)
    conn.select("INBOX", readonly=True)
    typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[HEADER] BODY.PEEK[])")
    conn.logout()
    headers = [x[1] for x in data if isinstance(x, tuple) and b"BODY[HEADER]" in x[0]]
    copies = list(zip(headers, [x[1] for x in data if isinstance(x, tuple) and b"BODY[]" in x[0]]))
    locals_ = sorted(n for sub in ("cur", "new") for n in os.listdir(os.path.join(inbox, sub)))
    check("%s: a crash after the APPEND, then one copy of each on each side" % label,
          p.returncode == 77 and stored == len(CR_MESSAGES) and p2.returncode == 0 and
          len(copies) == len(CR_MESSAGES) and len(locals_) == len(CR_MESSAGES) and all(",U=" in n for n in locals_),
          (p.returncode, stored, p2.returncode, len(copies), locals_, p2.stderr[-800:]))
    # Each copy is the message (CRs aside) with the X-OfflineIMAP line
    # in its header block.
    marker = re.compile(rb"X-OfflineIMAP: [0-9]+-[0-9]+\r\n|\r\nX-OfflineIMAP: [0-9]+-[0-9]+$")
    wanted = sorted(m.replace(b"\r", b"") for m in CR_MESSAGES.values())
    got = sorted(marker.sub(b"", whole, count=1).replace(b"\r", b"") for header, whole in copies)
    check("%s: each copy is the message, its X-OfflineIMAP line the last of the server's header" % label,
          got == wanted and all(re.search(rb"\nX-OfflineIMAP: [0-9]+-[0-9]+(\r\n)?(\r\n)?$", header)
                                for header, whole in copies),
          copies)
    check("%s: the run after changes nothing" % label, p3.returncode == 0 and not changes(p3),
          (p3.returncode, changes(p3)))


def scenario_upload_in_memory(server, root):
    """A message under 256 KB is made ready for its APPEND in memory, not
    in a spool file: with no usable cache or temporary directory (the
    spool's places) small messages are still uploaded; a larger one is
    uploaded through the spool once there is one (issue 13 item 5)."""
    user, pw = server.new_user()
    work = os.path.join(root, "upload-memory")
    inbox = os.path.join(work, "local", "INBOX")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(inbox, sub))
    for i in range(3):
        with open(os.path.join(inbox, "new", "small%d" % i), "wb") as f:
            f.write(message("upload-small-%d" % i, size=100 * 1024 * i).replace(b"\r\n", b"\n"))
    # the spool's places: $XDG_CACHE_HOME/mailsync, else $TMPDIR
    with open(os.path.join(work, "not-a-directory"), "w") as f:
        f.write("x")
    no_spool = {"XDG_CACHE_HOME": os.path.join(work, "not-a-directory"),
                "TMPDIR": os.path.join(work, "missing")}
    p = run_sync(server, user, pw, work, extra=no_spool)
    remote, local = same_both_sides(server, user, pw, work)
    check("upload without a spool directory: 3 messages up to 200 KB uploaded intact",
          p.returncode == 0 and remote == local and len(remote.get("INBOX", [])) == 3,
          (p.returncode, p.stderr[-500:], {k: len(v) for k, v in remote.items()}))
    with open(os.path.join(inbox, "new", "large"), "wb") as f:
        f.write(message("upload-large", size=300 * 1024).replace(b"\r\n", b"\n"))
    p = run_sync(server, user, pw, work, extra=no_spool)
    check("upload without a spool directory: a 300 KB message is not uploaded",
          p.returncode != 0 and len(server_state(server.imap(user, pw)).get("INBOX", [])) == 3,
          (p.returncode, p.stderr[-300:]))
    p = run_sync(server, user, pw, work)
    remote, local = same_both_sides(server, user, pw, work)
    check("upload: a 300 KB message through the spool file, intact",
          p.returncode == 0 and remote == local and len(remote.get("INBOX", [])) == 4, p.stderr[-500:])


def scenario_imap_to_imap(server, root):
    ruser, rpw = server.new_user()
    luser, lpw = server.new_user()
    work = os.path.join(root, "imap2imap")
    conn = server.imap(ruser, rpw)
    for i in range(6):
        append(conn, "INBOX", "r-%d" % i, ["", "\\Seen"][i % 2])
    conn.create("Projects")
    append(conn, "Projects", "project-1")
    conn.logout()
    conn = server.imap(luser, lpw)
    append(conn, "INBOX", "l-0", "\\Flagged")
    conn.logout()

    def both():
        a, b = server.imap(ruser, rpw), server.imap(luser, lpw)
        sa, sb = server_state(a), server_state(b)
        a.logout()
        b.logout()
        return sa, sb

    p = run_sync(server, ruser, rpw, work, local=(luser, lpw))
    sa, sb = both()
    check("IMAP <-> IMAP: initial sync makes both accounts equal", p.returncode == 0 and sa == sb, (p.stderr, sa, sb))
    # Changes on both: a flag, a deletion, a new message each.
    a = server.imap(ruser, rpw)
    a.select("INBOX")
    uids = a.uid("SEARCH", None, "ALL")[1][0].split()
    a.uid("STORE", uids[0], "+FLAGS", "(\\Answered)")
    append(a, "INBOX", "r-new")
    a.logout()
    b = server.imap(luser, lpw)
    b.select("INBOX")
    uids = b.uid("SEARCH", None, "ALL")[1][0].split()
    b.uid("STORE", uids[-1], "+FLAGS", "(\\Deleted)")
    b.expunge()
    append(b, "INBOX", "l-new")
    b.logout()
    p = run_sync(server, ruser, rpw, work, local=(luser, lpw))
    sa, sb = both()
    check("IMAP <-> IMAP: changes on both sides converge", p.returncode == 0 and sa == sb, (p.stderr, sa, sb))
    p = run_sync(server, ruser, rpw, work, local=(luser, lpw))
    check("IMAP <-> IMAP: third sync changes nothing", p.returncode == 0 and not changes(p), changes(p))
    maps = os.path.join(work, "meta", "Repository-Local", "UIDMapping", "INBOX")
    with open(maps) as f:
        lines = f.read().splitlines()
    check("IMAP <-> IMAP: offlineimap UIDMapping file written", lines and all(re.match(r"^\d+:\d+$", l) for l in lines), lines)


def main():
    return imap_sync_common.main((
        scenario_basic,
        scenario_big_message,
        scenario_download_paths,
        scenario_compression,
        scenario_upload_in_memory,
        scenario_imap_to_imap,
        scenario_failures,
        lambda server, root: scenario_no_uidplus(root),
        lambda server, root: scenario_no_starttls(root)))


if __name__ == "__main__":
    sys.exit(main())

