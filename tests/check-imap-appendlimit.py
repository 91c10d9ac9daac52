#!/usr/bin/env python3
"""Per-mailbox APPENDLIMIT (RFC 7889; issue 12 item 1), end to end through
the mailsync command against the scripted server (tests/scripted_imap.py),
since Dovecot announces only a global APPENDLIMIT=N.

The server says a bare APPENDLIMIT in its capabilities: each mailbox has
its own limit, which STATUS (APPENDLIMIT) tells (INBOX 4096 bytes, Work
NIL: none). A local message larger than INBOX's limit is skipped with one
warning line naming the file and the limit, never sent (the server would
refuse it with [TOOBIG]); the same size goes up to Work; the rest of the
folder syncs; the run exits nonzero; the next run says it again and
uploads nothing twice. The client asks each folder's limit once per run.
No Dovecot needed."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import mailsync_tap
import scripted_imap

TAP = mailsync_tap.Tap()
check = TAP.check


class LimitedServer(scripted_imap.ScriptedImapServer):
    CAPABILITIES = "IMAP4rev1 UIDPLUS NAMESPACE APPENDLIMIT"


def run_mailsync(work, path):
    env = dict(os.environ)
    env["HOME"] = work
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    p = subprocess.run([mailsync_tap.MAILSYNC, "-c", path], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    p.out = p.stdout + p.stderr
    return p


def subjects(server, name):
    with server.lock:
        bodies = [m[2] for m in server.mailboxes[name].messages]
    out = []
    for b in bodies:
        m = re.search(rb"^Subject: (.*)$", b, re.M)
        out.append(m.group(1).decode().strip() if m else "?")
    return sorted(out)


def put_new(work, folder, name, body):
    path = os.path.join(work, "Mail", folder, "new", name)
    with open(path, "wb") as f:
        f.write(body)
    return path


def lines_naming(text, word):
    return [l for l in text.splitlines() if word in l]


def main():
    root = tempfile.mkdtemp(prefix="mailsync-appendlimit-", dir="/tmp")
    server = LimitedServer(("INBOX", "Work"))
    try:
        server.append_limits = {"INBOX": 4096, "Work": None}
        server.mailboxes["INBOX"].add(scripted_imap.message("inbox-1"), ["\\Seen"])
        server.mailboxes["Work"].add(scripted_imap.message("work-1"))
        work = os.path.join(root, "acc")
        path = mailsync_tap.write_scripted_config(work, server.port)
        p = run_mailsync(work, path)
        if not check("first sync downloads both folders", p.returncode == 0
                     and os.path.isdir(os.path.join(work, "Mail", "Work", "new")), p.out):
            return TAP.finish()
        big = put_new(work, "INBOX", "1700000010.big.host", scripted_imap.message("big", 8000))
        put_new(work, "INBOX", "1700000011.small.host", scripted_imap.message("small"))
        put_new(work, "Work", "1700000012.bigwork.host", scripted_imap.message("bigwork", 8000))
        before = len(server.commands())
        p = run_mailsync(work, path)
        sent = server.commands()[before:]
        check("a message over its folder's limit: nonzero exit", p.returncode != 0,
              "rc %d: %s" % (p.returncode, p.out))
        lines = lines_naming(p.out, os.path.basename(big))
        check("one warning line names the file and the folder's limit",
              len(lines) == 1 and "APPENDLIMIT" in lines[0] and "4096" in lines[0], p.out)
        check("the limit is asked with STATUS (APPENDLIMIT), once for each folder that uploads",
              sorted(c for c in sent if re.match(r"STATUS \S+ \(APPENDLIMIT\)$", c))
              == ['STATUS "INBOX" (APPENDLIMIT)', 'STATUS "Work" (APPENDLIMIT)'], sent)
        appends = [c for c in sent if c.startswith("APPEND ")]
        check("the big message is never sent to INBOX (the server would refuse it)",
              len([c for c in appends if c.startswith('APPEND "INBOX"')]) == 1, appends)
        check("the rest of INBOX syncs: the small message is uploaded, the big one is not",
              subjects(server, "INBOX") == ["inbox-1", "small"], subjects(server, "INBOX"))
        check("Work has no limit (NIL): the same size goes up there",
              subjects(server, "Work") == ["bigwork", "work-1"], subjects(server, "Work"))
        check("the big message is still there locally", os.path.exists(big), p.out)
        p = run_mailsync(work, path)
        check("the next run says it again and uploads nothing twice",
              p.returncode != 0 and len(lines_naming(p.out, os.path.basename(big))) == 1
              and subjects(server, "INBOX") == ["inbox-1", "small"]
              and subjects(server, "Work") == ["bigwork", "work-1"],
              p.out + repr(subjects(server, "INBOX")))
    finally:
        server.close()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
