#!/usr/bin/env python3
"""End-to-end check of `mailsync -u machineui` (and basic) against a private
Dovecot, compared with offlineimap3's output for the same mailbox.

Two users get the same messages; mailsync syncs one, offlineimap the
other, with the same config. The machineui lines must follow protocol
7.2.0's grammar, and once offlineimap's per-message "Copy message from"
threads are set aside, both programs must print the same lines (order
aside: mailsync's folders' copies finish as the disk and server answer),
each folder's listing lines in offlineimap's order (local loading,
loaded, remote loading, loaded; an empty server folder says no
messagelistloaded). Then the same local deletion and
flag change on both sides must give the same deletingmessages / addingflags
lines, a no-change run with -u basic the same texts; a folder recreated on
the server must give offlineimap's validityproblem line and exit status 2;
getpass reads the password from stdin; -u syslog writes to /dev/log only;
and -d imap must never show the password. Skipped (1..0 # SKIP) without Dovecot or the mailsync binary;
without offlineimap (not installed, or the sanitizer build: see
mailsync_tap.comparison_offlineimap) only the grammar is checked, the
comparisons are SKIPs."""

import collections
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

import mailsync_tap
from mailsync_tap import HARNESS, MAILSYNC, harness

# Every offlineimap run here is a comparison: -Werror build only.
OFFLINEIMAP, NO_OFFLINEIMAP = mailsync_tap.comparison_offlineimap()

LINE = re.compile(r"^(msg|warn|error|debug|critical):([A-Za-z_]*):([A-Za-z0-9_.~%+-]*):([A-Za-z0-9_.~%+-]*)$")
COMMANDS = {"", "protocol", "initbanner", "_display", "registerthread", "unregisterthread", "debugging",
            "acct", "acctdone", "connecting", "syncfolders", "syncingfolder", "loadmessagelist",
            "messagelistloaded", "syncingmessages", "copyingmessage", "ignorecopyingmessage",
            "deletingmessages", "addingflags", "deletingflags", "validityproblem", "callhook", "sleeping",
            "threadExited", "threadException", "terminate", "getpass", "getpasserror", "mainException"}
THREAD = re.compile(r"^(MainThread|Account sync .+|Folder .+ \[acc: .+\]|Copy message from .+)$")

TAP = mailsync_tap.Tap(1500)
check = TAP.check


def skip_comparisons(*labels):
    for label in labels:
        TAP.skip(label, NO_OFFLINEIMAP)


def write_config(root, name, env, user, password):
    return mailsync_tap.write_imaps_config(root, name, env, user, password)


def run(program, config, *args):
    cmd = [program, "-c", config, "-o"] + list(args)
    # offlineimap 8.0 sometimes loses its own STARTTLS handshake on a
    # loaded machine; only its runs are retried
    for attempt in range(3 if program == OFFLINEIMAP else 1):
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=300)
        if "Failed to start TLS" not in p.stdout + p.stderr:
            break
    return p.returncode, p.stdout, p.stderr


def parse_machine(label, out):
    """Checks the grammar; returns the decoded lines after the banner."""
    lines = out.splitlines()
    check(label + ": two raw banner lines, then the protocol line",
          len(lines) > 3 and not LINE.match(lines[0]) and lines[1].startswith("  Licensed")
          and lines[2] == "msg:protocol:MainThread:7.2.0", lines[:4])
    bad = [l for l in lines[2:] if not LINE.match(l)]
    check(label + ": every line is severity:command:thread:payload, quote_plus encoded", not bad, bad)
    decoded = []
    for l in lines[2:]:
        m = LINE.match(l)
        if not m:
            continue
        sev, cmd, thread, payload = m.groups()
        decoded.append((sev, cmd, urllib.parse.unquote_plus(thread), urllib.parse.unquote_plus(payload)))
    unknown = sorted({d[1] for d in decoded} - COMMANDS)
    check(label + ": only protocol 7.2.0 commands", not unknown, unknown)
    threads = sorted({d[2] for d in decoded if not THREAD.match(d[2])})
    check(label + ": offlineimap's thread names", not threads, threads)
    return decoded


def comparable(decoded):
    """What both programs must agree on: no banner, no copy threads."""
    out = []
    for sev, cmd, thread, payload in decoded:
        if cmd in ("protocol", "initbanner") or (cmd == "" and thread == "MainThread"):
            continue
        if thread.startswith("Copy message from") or payload.startswith("Copy message from"):
            continue
        out.append((sev, cmd, thread, payload))
    return collections.Counter(out)


def listing_order(decoded):
    """Each folder thread's listing (and connecting) lines, in order."""
    per = collections.defaultdict(list)
    for sev, cmd, thread, payload in decoded:
        if cmd in ("loadmessagelist", "messagelistloaded", "connecting") and thread.startswith("Folder"):
            per[thread].append((cmd, payload))
    return dict(per)


def maildir_files(root, folder):
    return sorted(glob.glob(os.path.join(root, folder, "cur", "*")) +
                  glob.glob(os.path.join(root, folder, "new", "*")))


def change_locally(mail):
    """Deletes the message with U=2 and flags the one with U=1 in INBOX."""
    for path in maildir_files(mail, "INBOX"):
        name = os.path.basename(path)
        if ",U=2," in name:
            os.unlink(path)
        elif ",U=1," in name:
            base, _, flags = name.partition(":2,")
            flags = "".join(sorted(set(flags + "F")))
            os.rename(path, os.path.join(mail, "INBOX", "cur", base + ":2," + flags))


SYSLOG_CHILD = r"""
import os, socket, subprocess, sys
# A private /dev: our own /dev/log socket, nothing else of the machine's.
subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/dev"], check=True)
for name, minor in (("null", 3), ("zero", 5), ("urandom", 9), ("random", 8)):
    os.mknod("/dev/" + name, 0o20666, os.makedev(1, minor))
    os.chmod("/dev/" + name, 0o666)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("/dev/log")
p = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
sock.settimeout(0.5)
records = []
try:
    while True:
        records.append(sock.recv(65536).decode("utf-8", "replace"))
except socket.timeout:
    pass
print("RC=%d" % p.returncode)
print("STDOUT=%r" % p.stdout.decode())
print("STDERR=%r" % p.stderr.decode())
for r in records:
    print("RECORD=%r" % r)
"""


def test_syslog(conf):
    if shutil.which("unshare") is None or os.geteuid() != 0:
        check("syslog: skipped (needs root and unshare for a private /dev/log)", True)
        return
    p = subprocess.run(["unshare", "-m", sys.executable, "-c", SYSLOG_CHILD, MAILSYNC, "-c", conf, "-o",
                        "-u", "syslog"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=300)
    fields = {}
    records = []
    for line in p.stdout.splitlines():
        key, _, value = line.partition("=")
        if key == "RECORD":
            records.append(eval(value))
        elif key in ("RC", "STDOUT", "STDERR"):
            fields[key] = value
    check("syslog: the sync exits 0", fields.get("RC") == "0", (p.stderr[-500:], fields))
    check("syslog: nothing on the terminal", fields.get("STDOUT") == "''" and fields.get("STDERR") == "''", fields)
    # <14> is user.info, the facility of offlineimap's SysLogHandler.
    wanted = re.compile(r"^<14>.*mailsync\[\d+\]: \*\*\* Processing account Test$")
    check("syslog: mailsync[PID]: offlineimap's texts at user.info",
          any(wanted.match(r.rstrip("\0")) for r in records), records[:6])
    check("syslog: the banner and the end of the account",
          any("Licensed under" in r for r in records)
          and any("*** Finished account 'Test' in " in r for r in records), records[:6])


def main():
    if not os.access(MAILSYNC, os.X_OK) or shutil.which("dovecot") is None and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP no mailsync binary or no Dovecot")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-ui-")
    os.chmod(root, 0o755)  # Dovecot's mail processes run as another user
    server = os.path.join(root, "dovecot")
    try:
        harness("start", server, "--lifetime", "900")
        env = mailsync_tap.parse_env(harness("env", server))
        password = "Pw-uiZq81x"
        harness("adduser", server, "uims", password, "uioi", password)
        time.sleep(1.1)  # Dovecot re-reads its passwd-file on a new mtime
        for user in ("uims", "uioi"):
            harness("fill", server, user, "INBOX", "3", "--seed", "1", "--flags", "seen")
            harness("fill", server, user, "Sent", "2", "--seed", "2", "--flags", "seen")
            # offlineimap's IMAP folder says no messagelistloaded when empty
            harness("fill", server, user, "Empty", "0", "--seed", "3")
        ms_conf = write_config(root, "ms", env, "uims", password)
        oi_conf = write_config(root, "oi", env, "uioi", password)

        # 1. initial sync
        rc, out, err = run(MAILSYNC, ms_conf, "-u", "machineui")
        check("mailsync machineui initial sync exits 0", rc == 0, err)
        ms = parse_machine("mailsync", out)
        check("mailsync: terminate is the last line", ms and ms[-1][1] == "terminate" and ms[-1][3] == "0\n\n",
              ms[-1:])
        if OFFLINEIMAP:
            rc, oout, oerr = run(OFFLINEIMAP, oi_conf, "-u", "machineui")
            oi = parse_machine("offlineimap", oout)
            a, b = comparable(ms), comparable(oi)
            check("initial sync: the same lines as offlineimap (order aside)", a == b,
                  "only mailsync: %s\nonly offlineimap: %s" % (sorted((a - b).elements()), sorted((b - a).elements())))
            check("initial sync: each folder's listing lines in offlineimap's order",
                  listing_order(ms) == listing_order(oi) and len(listing_order(ms)) == 3,
                  "mailsync %s\nofflineimap %s" % (listing_order(ms), listing_order(oi)))
        else:
            skip_comparisons("initial sync: offlineimap's machineui grammar",
                             "initial sync: the same lines as offlineimap (order aside)",
                             "initial sync: each folder's listing lines in offlineimap's order")

        # 2. a local deletion and flag change, on both sides
        change_locally(os.path.join(root, "ms", "mail"))
        rc, out, err = run(MAILSYNC, ms_conf, "-u", "machineui")
        check("mailsync second sync exits 0", rc == 0, err)
        ms = parse_machine("mailsync (changes)", out)
        mine = sorted(d for d in ms if d[1] in ("deletingmessages", "addingflags", "deletingflags"))
        check("mailsync reports the deletion and the flag", mine == [
            ("msg", "addingflags", "Folder INBOX [acc: Test]", "1\nF\nINBOX"),
            ("msg", "deletingmessages", "Folder INBOX [acc: Test]", "2\nIMAP\tINBOX")], mine)
        if OFFLINEIMAP:
            change_locally(os.path.join(root, "oi", "mail"))
            rc, oout, oerr = run(OFFLINEIMAP, oi_conf, "-u", "machineui")
            oi = parse_machine("offlineimap (changes)", oout)
            a, b = comparable(ms), comparable(oi)
            check("changes: the same lines as offlineimap (order aside)", a == b,
                  "only mailsync: %s\nonly offlineimap: %s" % (sorted((a - b).elements()), sorted((b - a).elements())))
            check("changes: each folder's listing lines in offlineimap's order",
                  listing_order(ms) == listing_order(oi) and len(listing_order(ms)) == 3,
                  "mailsync %s\nofflineimap %s" % (listing_order(ms), listing_order(oi)))
        else:
            skip_comparisons("changes: offlineimap's machineui grammar",
                             "changes: the same lines as offlineimap (order aside)",
                             "changes: each folder's listing lines in offlineimap's order")

        # 3. nothing changed, basic
        rc, out, err = run(MAILSYNC, ms_conf, "-u", "basic")
        check("mailsync basic no-op sync exits 0", rc == 0, err)
        lines = out.splitlines()
        check("basic: banner first", lines[:1] and lines[0].startswith("mailsync "), lines[:2])
        mine = sorted(l for l in lines[3:] if not l.startswith("*** Finished"))
        check("basic: offlineimap's texts", mine == sorted([
            "*** Processing account Test",
            "Establishing connection to localhost:%s (Remote)" % env["DOVECOT_IMAPS_PORT"],
            "Syncing Empty: IMAP -> Maildir",
            "Syncing INBOX: IMAP -> Maildir",
            "Syncing Sent: IMAP -> Maildir"]), mine)
        check("basic: the account's time", re.search(r"^\*\*\* Finished account 'Test' in \d+:\d\d$", out, re.M), out)
        if OFFLINEIMAP:
            rc, oout, oerr = run(OFFLINEIMAP, oi_conf, "-u", "basic")
            theirs = sorted(l for l in oout.splitlines()[3:] if not l.startswith("*** Finished"))
            check("basic: the same lines as offlineimap", mine == theirs, (mine, theirs))
        else:
            skip_comparisons("basic: the same lines as offlineimap")

        # 3b. Sent is recreated on the server: a new UIDVALIDITY
        status = harness("doveadm", server, "mailbox", "status", "-u", "uims", "uidvalidity", "Sent")
        saved = re.search(r"uidvalidity=(\d+)", status).group(1)
        harness("doveadm", server, "mailbox", "delete", "-u", "uims", "Sent")
        harness("doveadm", server, "mailbox", "create", "-u", "uims", "Sent")
        harness("fill", server, "uims", "Sent", "1", "--seed", "5")
        status = harness("doveadm", server, "mailbox", "status", "-u", "uims", "uidvalidity", "Sent")
        current = re.search(r"uidvalidity=(\d+)", status).group(1)
        rc, out, err = run(MAILSYNC, ms_conf, "-u", "machineui")
        ms = parse_machine("mailsync (validity)", out)
        check("validity problem: exit status 2", rc == 2, (rc, err[-300:]))
        check("validity problem: offlineimap's validityproblem line",
              ("warn", "validityproblem", "Folder Sent [acc: Test]", "Sent\nRemote\n%s\n%s" % (saved, current))
              in ms, [d for d in ms if d[1] == "validityproblem"])
        check("validity problem: the folder is skipped, nothing deleted",
              not [d for d in ms if d[1] in ("deletingmessages", "copyingmessage")], ms)
        check("validity problem: terminate says 2", ms and ms[-1][1:] == ("terminate", "MainThread", "2\n\n"),
              ms[-1:])
        rc, out, err = run(MAILSYNC, ms_conf, "-u", "basic")
        check("validity problem, basic: the warning and the closing note",
              "UID validity problem for folder Sent (repo Remote) (saved %s; got %s); skipping it. Please see FAQ "
              "and manual on how to handle this.\n" % (saved, current) in out
              and out.endswith("At least one folder skipped due to UID validity problem\n") and rc == 2,
              (rc, out[-600:]))
        harness("doveadm", server, "mailbox", "delete", "-u", "uims", "Sent")
        shutil.rmtree(os.path.join(root, "ms", "mail", "Sent"))
        for path in glob.glob(os.path.join(root, "ms", "meta", "Account-Test", "*", "Sent*")):
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)

        # 4. getpass: the password is asked on stdout, read on stdin
        with open(ms_conf) as f:
            conf = f.read().replace("remotepass = %s\n" % password, "")
        ask_conf = os.path.join(root, "ask.conf")
        with open(ask_conf, "w") as f:
            f.write(conf)
        home = os.path.join(root, "home")  # no ~/.netrc to find
        os.makedirs(home, exist_ok=True)
        p = subprocess.run([MAILSYNC, "-c", ask_conf, "-o", "-u", "machineui"], input=password + "\n",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300,
                           env=dict(os.environ, HOME=home))
        ms = parse_machine("mailsync (getpass)", p.stdout)
        check("machineui asks with a getpass line", ("msg", "getpass", "Account sync Test", "uims") in ms,
              [d for d in ms if d[1] == "getpass"])
        # offlineimap asks when it connects: registerthread, acct,
        # connecting, then getpass (mailsync asked before them until
        # session 20, when it built the account)
        first = [d[1] for d in ms if d[2] == "Account sync Test"][:4]
        check("getpass: asked after registerthread, acct and connecting, as offlineimap asks",
              first == ["registerthread", "acct", "connecting", "getpass"], first)
        if OFFLINEIMAP:
            oi_home = os.path.join(root, "oi-home")
            os.makedirs(oi_home, exist_ok=True)
            oi_conf = write_config(root, "oi-ask", env, "uioi", None)
            for attempt in range(3):  # its STARTTLS can fail under load (see run())
                q = subprocess.run([OFFLINEIMAP, "-c", oi_conf, "-o", "-u", "machineui"], input=password + "\n",
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                   timeout=300, env=dict(os.environ, HOME=oi_home))
                if "Failed to start TLS" not in q.stdout + q.stderr:
                    break
            oi = parse_machine("offlineimap (getpass)", q.stdout)
            theirs = [d[1] for d in oi if d[2] == "Account sync Test"][:4]
            check("getpass: the same order as offlineimap's", first == theirs, (first, theirs))
        else:
            skip_comparisons("getpass: offlineimap's machineui grammar", "getpass: the same order as offlineimap's")
        check("machineui reads the password from stdin and syncs", p.returncode == 0, p.stderr[-500:])
        check("machineui never writes the password", password not in p.stdout and password not in p.stderr)

        # 5. syslog: everything to /dev/log, nothing on the terminal
        test_syslog(ms_conf)

        # 6. the password never shows, debug included
        for ui in ("machineui", "basic", "ttyui"):
            rc, out, err = run(MAILSYNC, ms_conf, "-u", ui, "-d", "imap")
            check("-u %s -d imap never shows the password" % ui,
                  password not in out and password not in err and rc == 0, (rc, err[-300:]))
    finally:
        subprocess.run([HARNESS, "stop", server, "--clean"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
