"""What check-imap-faults.py and check-imap-throttled.py share: one TAP
stream, the account's offlineimaprc for a server on 127.0.0.1, a run of
the mailsync command, its error lines, the scripted server
(tests/scripted_imap.py) filled with two folders, what the local Maildir
holds, and a suite's main."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import mailsync_tap
import scripted_imap

TAP = mailsync_tap.Tap()
check = TAP.check

# Any CA file will do: no handshake here gets as far as the certificate.
CA = os.path.join(os.environ.get("top_srcdir", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")),
                  "tests", "data", "tls", "ca.pem")


def write_config(work, host, port, ssl="no", starttls="no", general="", remote="", socktimeout=2, account=""):
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "offlineimaprc")
    with open(path, "w") as f:
        f.write("[general]\naccounts = T\nmetadata = %s/meta\nsocktimeout = %d\n%s\n"
                "[Account T]\nlocalrepository = L\nremoterepository = R\n%s\n"
                "[Repository L]\ntype = Maildir\nlocalfolders = %s/Mail\n\n"
                "[Repository R]\ntype = IMAP\nremotehost = %s\nremoteport = %d\nremoteuser = u\n"
                "remotepass = secret-pw\nssl = %s\nstarttls = %s\nsslcacertfile = %s\n%s"
                % (work, socktimeout, general, account, work, host, port, ssl, starttls, CA, remote))
    return path


def run_mailsync(work, path, extra_env=None, timeout=120):
    env = dict(os.environ)
    env["HOME"] = work
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.update(extra_env or {})
    start = time.monotonic()
    p = subprocess.run([mailsync_tap.MAILSYNC, "-c", path], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    p.took = time.monotonic() - start
    return p


def error_texts(p):
    """The distinct errors of a run (offlineimap repeats each in its
    summary after "Exceptions occurred during the run!")."""
    out = []
    for line in (p.stdout + p.stderr).splitlines():
        line = line.strip()
        if line.startswith("ERROR:") and "Exceptions occurred" not in line and line not in out:
            out.append(line)
    return out


def imap_account(root, name, server, general="", socktimeout=2, account=""):
    work = os.path.join(root, name)
    return work, write_config(work, "127.0.0.1", server.port, general=general, socktimeout=socktimeout,
                              account=account)


def local_messages(work, folder):
    """Subject -> number of files of @folder in the local Maildir."""
    out = {}
    for sub in ("cur", "new"):
        d = os.path.join(work, "Mail", folder, sub)
        for n in os.listdir(d) if os.path.isdir(d) else ():
            with open(os.path.join(d, n), "rb") as f:
                m = re.search(rb"^Subject: (.*)$", f.read(), re.M)
            key = m.group(1).decode().strip() if m else n
            out[key] = out.get(key, 0) + 1
    return out


def filled_server(extra=()):
    server = scripted_imap.ScriptedImapServer(("INBOX", "Archive") + tuple(extra))
    for i in range(1, 6):
        server.mailboxes["INBOX"].add(scripted_imap.message("inbox-%d" % i), ["\\Seen"] if i % 2 else [])
    # UIDs of their own, so that the log tells the folders' fetches apart
    server.mailboxes["Archive"].uidnext = 100
    server.mailboxes["Archive"].add(scripted_imap.message("archive-1"))
    return server


def body_fetch_of(uid):
    return re.compile(r"^UID FETCH %d \(.*BODY" % uid)


def lines_naming(p, *words):
    return [l for l in (p.stdout + p.stderr).splitlines() if all(w in l for w in words)]




def main(scenarios):
    """A suite's main: @scenarios, (name, function of a root directory)
    pairs, run in order in one temporary root (MAILSYNC_TEST_ONLY=name:
    only that one); the TAP plan's exit status."""
    root = tempfile.mkdtemp(prefix="mailsync-faults-", dir="/tmp")
    try:
        only = os.environ.get("MAILSYNC_TEST_ONLY")
        for name, fn in scenarios:
            if not only or only == name:
                fn(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()
