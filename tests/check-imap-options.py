#!/usr/bin/env python3
"""offlineimap IMAP repository options that change what the sync does,
driven from a config file (tests/check-config-driver) against a private
Dovecot; the server side is changed and inspected with imaplib as another
client would.

- expunge = no: a local deletion flags the message \\Deleted on the server
  and does not expunge it; the next run neither downloads it again nor
  loses anything, and a later run with expunge = yes leaves it alone too.
- subscribedonly = yes: only LSUB's folders are synced; a folder that is
  unsubscribed later is neither deleted nor created again, and its local
  copy stays as it was.
- ipv6 forces the address family; remote_identity is PLAIN's authzid.
- holdconnectionopen: autorefresh syncs reuse one logged-in connection.
- mailsync --info prints the server's greeting and capabilities, and -P
  the IMAP traffic (bytes each way, commands) of the repositories.
- startdate: the first sync takes the messages since the date and needs
  the local folder empty; later syncs take every UID from the first one
  on; older messages are never copied nor deleted.  The same on a local
  IMAP repository, the sides swapped; refused on a Maildir.
- remove = local: a folder deleted on the server is deleted locally,
  unless it holds a change the server never got (a new message, a flag,
  a keyword).
- APPEND's INTERNALDATE for a new local message: the earlier of its
  Date: header and its file's mtime.
- filterheaders and a kill -9 at each step of an upload: no duplicate.

Skipped (1..0 # SKIP) when Dovecot is not installed."""

import importlib.util
import os
import re
import shutil
import sys
import tempfile
import imaplib
import signal
import subprocess
import time

import imap_sync_common as imapsync
import mailsync_tap

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir", os.path.join(HERE, ".."))


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(SRCDIR, "tests", file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cfg = _load("configsync", "check-config-sync.py")
check = cfg.check
append = imapsync.append
quote = imapsync.quote


def imap(server, user, pw):
    return mailsync_tap.imap_starttls(server.env, user, pw)


def uids_and_flags(conn, folder):
    """uid -> set of flags of FOLDER, as another client sees it."""
    typ, _ = conn.select(quote(folder), readonly=True)
    assert typ == "OK"
    typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
    out = {}
    for line in data:
        if not line:
            continue
        text = line.decode() if isinstance(line, bytes) else line[0].decode()
        m = re.search(r"UID (\d+)", text)
        f = re.search(r"FLAGS \((.*?)\)", text)
        if m and f:
            out[int(m.group(1))] = set(f.group(1).split())
    return out


def local_files(work, folder="INBOX"):
    d = os.path.join(work, "Mail", folder)
    if not os.path.isdir(d):
        return []
    return sorted(n for sub in ("cur", "new") for n in os.listdir(os.path.join(d, sub)))


def config(server, work, user, pw, remote_extra=""):
    return cfg.write_config(work, user, cfg.starttls(server) + "remotepass = %s\n" % pw + remote_extra)


def scenario_expunge_no(server, root):
    user, pw = server.new_user(0)
    conn = imap(server, user, pw)
    for i in range(4):
        append(conn, "INBOX", "exp-%d" % i, "\\Seen")
    conn.logout()
    work = os.path.join(root, "expunge-no")
    path = config(server, work, user, pw, "expunge = no\n")
    p = cfg.run(path)
    check("expunge=no: initial sync succeeds", p.returncode == 0, p.stderr)
    files = local_files(work)
    check("expunge=no: 4 messages downloaded", len(files) == 4, files)

    # delete two locally
    gone = files[:2]
    for name in gone:
        for sub in ("cur", "new"):
            f = os.path.join(work, "Mail", "INBOX", sub, name)
            if os.path.exists(f):
                os.unlink(f)
    gone_uids = {int(re.search(r",U=(\d+)", n).group(1)) for n in gone}
    p = cfg.run(path)
    check("expunge=no: sync with local deletions succeeds", p.returncode == 0, p.stderr)
    conn = imap(server, user, pw)
    state = uids_and_flags(conn, "INBOX")
    conn.logout()
    check("expunge=no: deleted messages still on the server", set(state) == set(state) | gone_uids and len(state) == 4,
          state)
    check("expunge=no: deleted messages flagged \\Deleted",
          all("\\Deleted" in state.get(u, ()) for u in gone_uids), state)
    check("expunge=no: the others are not flagged \\Deleted",
          all("\\Deleted" not in fl for u, fl in state.items() if u not in gone_uids), state)
    check("expunge=no: local has the 2 kept messages", len(local_files(work)) == 2, local_files(work))

    p = cfg.run(path)
    check("expunge=no: third sync succeeds", p.returncode == 0, p.stderr)
    check("expunge=no: the \\Deleted messages are not downloaded again", len(local_files(work)) == 2,
          (local_files(work), cfg.copies(p)))
    check("expunge=no: third sync copies nothing", not cfg.copies(p), p.stdout[-500:])

    # another client undeletes one: it is mail again and comes back
    conn = imap(server, user, pw)
    conn.select("INBOX")
    back = min(gone_uids)
    conn.uid("STORE", str(back), "-FLAGS.SILENT", "(\\Deleted)")
    conn.logout()
    p = cfg.run(path)
    check("expunge=no: an undeleted message is downloaded again", p.returncode == 0 and
          any(",U=%d," % back in n for n in local_files(work)), (local_files(work), p.stderr))

    # switch to expunge = yes: nothing downloaded, nothing lost
    path = config(server, work, user, pw, "")
    p = cfg.run(path)
    check("expunge=yes afterwards: sync succeeds", p.returncode == 0, p.stderr)
    check("expunge=yes afterwards: nothing copied", not cfg.copies(p), p.stdout[-800:])
    conn = imap(server, user, pw)
    state = uids_and_flags(conn, "INBOX")
    conn.logout()
    check("expunge=yes afterwards: the 3 live messages kept on both sides",
          len(local_files(work)) == 3 and len([u for u, f in state.items() if "\\Deleted" not in f]) == 3,
          (local_files(work), state))
    check("expunge=yes afterwards: the still-\\Deleted message is not downloaded",
          not any(",U=%d," % u in n for n in local_files(work) for u in gone_uids - {back}), local_files(work))

    # deleting locally with expunge = yes really expunges
    victim = local_files(work)[0]
    vuid = int(re.search(r",U=(\d+)", victim).group(1))
    for sub in ("cur", "new"):
        f = os.path.join(work, "Mail", "INBOX", sub, victim)
        if os.path.exists(f):
            os.unlink(f)
    p = cfg.run(path)
    conn = imap(server, user, pw)
    state = uids_and_flags(conn, "INBOX")
    conn.logout()
    check("expunge=yes: a local deletion is expunged", p.returncode == 0 and vuid not in state, (state, p.stderr))


def lsub(conn):
    typ, data = conn.lsub()
    names = set()
    for line in data:
        if line:
            m = re.match(rb'\((.*?)\) "(.)" (.*)', line)
            names.add(m.group(3).decode().strip('"'))
    return names


def write_local(work, folder, tag):
    """A new message @tag in the local Maildir folder @folder (made if need be)."""
    d = os.path.join(work, "Mail", folder)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    with open(os.path.join(d, "new", "%s.%d.local" % (tag, os.getpid())), "wb") as f:
        f.write(imapsync.message(tag))


def sent_before_answer(log, first, second):
    """Whether the debug @log shows command @second written after command
    @first and before @first's tagged answer (one burst)."""
    lines = [l for l in log.splitlines() if "-DEBUG: " in l]
    for i, l in enumerate(lines):
        m = re.search(r" C: (\S+) %s " % first, l)
        if not m:
            continue
        for later in lines[i + 1:]:
            if re.search(r" S: %s (OK|NO|BAD)" % re.escape(m.group(1)), later):
                return False
            if re.search(r" C: \S+ %s " % second, later):
                return True
    return False


def scenario_subscribed_only(server, root):
    user, pw = server.new_user(0)
    conn = imap(server, user, pw)
    for folder in ("Sub", "Unsub", "Later"):
        conn.create(folder)
        append(conn, folder, "%s-1" % folder.lower(), "\\Seen")
    append(conn, "INBOX", "inbox-1")
    for folder in ("INBOX", "Sub", "Later"):
        conn.subscribe(folder)
    conn.logout()

    work = os.path.join(root, "subscribed")
    path = config(server, work, user, pw, "subscribedonly = yes\n")
    p = cfg.run(path)
    check("subscribedonly: sync succeeds", p.returncode == 0, p.stderr)
    check("subscribedonly: subscribed folders synced",
          all(len(local_files(work, f)) == 1 for f in ("INBOX", "Sub", "Later")),
          {f: local_files(work, f) for f in ("INBOX", "Sub", "Later")})
    check("subscribedonly: unsubscribed folder not synced",
          not os.path.isdir(os.path.join(work, "Mail", "Unsub")), os.listdir(os.path.join(work, "Mail")))

    # unsubscribe Later, add mail to it on both sides
    conn = imap(server, user, pw)
    conn.unsubscribe("Later")
    append(conn, "Later", "later-2")
    conn.logout()
    later_before = local_files(work, "Later")
    p = cfg.run(path)
    check("subscribedonly: sync after an unsubscribe succeeds", p.returncode == 0, p.stderr)
    conn = imap(server, user, pw)
    state = uids_and_flags(conn, "Later")
    subs = lsub(conn)
    conn.logout()
    check("subscribedonly: the unsubscribed folder is kept on the server with its mail", len(state) == 2, state)
    check("subscribedonly: the unsubscribed folder is not subscribed again", "Later" not in subs, subs)
    check("subscribedonly: its local copy is left as it was", local_files(work, "Later") == later_before,
          local_files(work, "Later"))
    check("subscribedonly: no folder created", "folder-created" not in p.stdout, p.stdout[-800:])

    # subscribe it again: its new mail arrives, nothing duplicated
    conn = imap(server, user, pw)
    conn.subscribe("Later")
    conn.logout()
    p = cfg.run(path)
    check("subscribedonly: resubscribed folder syncs its new mail", p.returncode == 0 and
          len(local_files(work, "Later")) == 2, (local_files(work, "Later"), p.stderr))

    # A folder made locally is created on the server and subscribed, with
    # the SUBSCRIBE written behind the CREATE before its answer (one round
    # trip); so the next run's LSUB names it and its new mail goes up
    # (unsubscribed, it would be hidden from then on).
    write_local(work, "Fresh", "fresh-1")
    p = cfg.run(path, {"G_MESSAGES_DEBUG": "Mailsync-IMAP"})
    conn = imap(server, user, pw)
    subs = lsub(conn)
    conn.logout()
    check("subscribedonly: a local folder is created on the server and subscribed",
          p.returncode == 0 and "Fresh" in subs, (subs, p.stderr[-600:]))
    check("subscribedonly: SUBSCRIBE went out with the CREATE, before its answer",
          sent_before_answer(p.stdout + p.stderr, "CREATE", "SUBSCRIBE"), p.stderr[-600:])
    write_local(work, "Fresh", "fresh-2")
    p = cfg.run(path)
    conn = imap(server, user, pw)
    state = uids_and_flags(conn, "Fresh")
    conn.logout()
    check("subscribedonly: the created folder syncs at the next run", p.returncode == 0 and len(state) == 2,
          (state, p.stderr[-600:]))

    # without subscribedonly every folder is synced
    path = config(server, work, user, pw, "")
    p = cfg.run(path)
    check("subscribedonly off: unsubscribed folder synced", p.returncode == 0 and
          len(local_files(work, "Unsub")) == 1, (p.stderr, os.listdir(os.path.join(work, "Mail"))))


def append_dated(conn, folder, tag, when):
    """APPEND with INTERNALDATE WHEN (YYYY-MM-DD)."""
    import time as _t
    stamp = _t.mktime(_t.strptime(when + " 12", "%Y-%m-%d %H")) - _t.timezone
    typ, data = conn.append(quote(folder), None, imaplib.Time2Internaldate(stamp), imapsync.message(tag))
    assert typ == "OK", data


def local_tags(work, folder="INBOX"):
    tags = set()
    d = os.path.join(work, "Mail", folder)
    for sub in ("cur", "new"):
        for n in os.listdir(os.path.join(d, sub)) if os.path.isdir(os.path.join(d, sub)) else ():
            with open(os.path.join(d, sub, n), "rb") as f:
                m = re.search(rb"Subject: (\S+)", f.read())
                tags.add(m.group(1).decode())
    return tags


def scenario_startdate(server, root):
    user, pw = server.new_user(0)
    conn = imap(server, user, pw)
    append_dated(conn, "INBOX", "old-1", "2020-01-01")
    append_dated(conn, "INBOX", "new-1", "2024-06-01")
    append_dated(conn, "INBOX", "old-2", "2019-05-01")  # higher UID, older date
    conn.create("Archive")
    append_dated(conn, "Archive", "arch-1", "2024-06-01")
    conn.logout()
    work = os.path.join(root, "startdate")
    # a local Archive that is not empty: startdate refuses that folder
    os.makedirs(os.path.join(work, "Mail", "Archive", "tmp"))
    os.makedirs(os.path.join(work, "Mail", "Archive", "new"))
    os.makedirs(os.path.join(work, "Mail", "Archive", "cur"))
    with open(os.path.join(work, "Mail", "Archive", "cur", "1.local:2,S"), "wb") as f:
        f.write(imapsync.message("local-1"))
    path = config(server, work, user, pw, "startdate = 2023-01-01\n")
    p = cfg.run(path)
    check("startdate: first sync copies only the messages since the date",
          local_tags(work) == {"new-1"}, (local_tags(work), p.stderr))
    check("startdate: a non-empty local folder is refused at first sync",
          p.returncode != 0 and re.search(r"startdate on folder Archive .*must be empty at first sync",
                                          p.stdout + p.stderr), p.stdout[-800:] + p.stderr)
    check("startdate: the refused folder is left alone on both sides",
          local_tags(work, "Archive") == {"local-1"}, local_tags(work, "Archive"))

    conn = imap(server, user, pw)
    append_dated(conn, "INBOX", "new-2", "2025-01-01")
    conn.logout()
    shutil.rmtree(os.path.join(work, "Mail", "Archive"))
    p = cfg.run(path)
    check("startdate: second sync succeeds", p.returncode == 0, p.stderr)
    check("startdate: later syncs take every message from the first UID on (offlineimap's rule)",
          local_tags(work) == {"new-1", "old-2", "new-2"}, local_tags(work))
    check("startdate: the emptied folder syncs from its start date", local_tags(work, "Archive") == {"arch-1"},
          local_tags(work, "Archive"))
    p = cfg.run(path)
    check("startdate: third sync copies nothing", p.returncode == 0 and not cfg.copies(p), p.stdout[-500:])

    # deleting everything locally deletes only the synced messages remotely
    for sub in ("cur", "new"):
        d = os.path.join(work, "Mail", "INBOX", sub)
        for n in os.listdir(d):
            os.unlink(os.path.join(d, n))
    p = cfg.run(path)
    conn = imap(server, user, pw)
    conn.select("INBOX", readonly=True)
    typ, data = conn.search(None, "ALL")
    remaining = len(data[0].split())
    conn.logout()
    check("startdate: messages before the start UID are never deleted", p.returncode == 0 and remaining == 1,
          (remaining, p.stderr))


def scenario_ipv6_identity(server, root):
    user, pw = server.new_user(2)
    other, _ = server.new_user(0)
    host = server.env["DOVECOT_HOST"]
    v4 = ":" not in host
    work = os.path.join(root, "family")
    path = config(server, work, user, pw, "ipv6 = %s\n" % ("no" if v4 else "yes"))
    p = cfg.run(path)
    check("ipv6: the server's own family connects", p.returncode == 0 and cfg.count_local(work) == 2, p.stderr)
    work = os.path.join(root, "family-other")
    path = config(server, work, user, pw, "ipv6 = %s\n" % ("yes" if v4 else "no"))
    p = cfg.run(path)
    check("ipv6: the other family does not reach %s" % host, p.returncode != 0 and cfg.count_local(work) <= 0 and
          "Cannot connect" in p.stderr,
          (p.returncode, p.stderr))

    work = os.path.join(root, "identity-self")
    path = config(server, work, user, pw, "auth_mechanisms = PLAIN\nremote_identity = %s\n" % user)
    p = cfg.run(path)
    check("remote_identity: one's own identity logs in", p.returncode == 0 and cfg.count_local(work) == 2, p.stderr)
    work = os.path.join(root, "identity-other")
    path = config(server, work, user, pw, "auth_mechanisms = PLAIN\nremote_identity = %s\n" % other)
    p = cfg.run(path)
    # Dovecot lets only master users act as someone else: the authzid was sent
    check("remote_identity: acting as another user is refused by the server",
          p.returncode != 0 and cfg.count_local(work) <= 0 and "PLAIN: AUTHENTICATE NO" in p.stderr,
          (p.returncode, p.stderr))
    check("remote_identity: the password is not printed", pw not in p.stdout + p.stderr)


MAILSYNC = os.path.join(os.environ.get("top_builddir", os.path.join(cfg.BUILDDIR, "..")),
                        "frontends", "mailsync", "mailsync")


def run_mailsync(work, *args):
    env = dict(os.environ)
    env["HOME"] = work
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run([MAILSYNC] + list(args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)


def scenario_cli_server_info(server, root):
    user, pw = server.new_user(0)
    conn = imap(server, user, pw)
    sizes = 0
    for i in range(5):
        append(conn, "INBOX", "cli-%d" % i, size=20000)
    typ, data = conn.select("INBOX", readonly=True)
    typ, data = conn.fetch("1:*", "(RFC822.SIZE)")
    sizes = sum(int(re.search(rb"RFC822.SIZE (\d+)", d).group(1)) for d in data)
    conn.logout()
    work = os.path.join(root, "cli-info")
    path = config(server, work, user, pw)

    # what the server itself says, to compare with --info
    conn = imap(server, user, pw)
    caps = {c.upper() for c in conn.capabilities}
    conn.logout()
    p = run_mailsync(work, "-c", path, "--info")
    text = p.stdout + p.stderr
    m = re.search(r"^Server capabilities: \((.*)\)$", text, re.M)
    shown = set(re.findall(r"'([^']*)'", m.group(1))) if m else set()
    check("--info: exits 0", p.returncode == 0, text[-800:])
    check("--info: Server capabilities lists the server's (after login)",
          m is not None and "IMAP4REV1" in shown and len(shown & caps) >= len(caps) - 2, (shown, caps))
    check("--info: Server welcome string is the greeting",
          re.search(r"^Server welcome string: \S.*ready", text, re.M) is not None, text[-800:])
    check("--info: ID extension named when offered",
          ("Server supports ID extension." in text) == ("ID" in shown), text[-800:])

    prof = os.path.join(work, "prof")
    p = run_mailsync(work, "-c", path, "-P", prof)
    files = os.listdir(prof) if os.path.isdir(prof) else []
    rows = [l.rstrip("\n").split("\t") for f in files for l in open(os.path.join(prof, f))]
    imap_rows = [r for r in rows if r[0] == "imap" and r[1] == "Remote"]
    check("-P: one imap row for the remote repository", p.returncode == 0 and len(imap_rows) == 1,
          (rows, p.stderr[-500:]))
    if imap_rows:
        bytes_read, bytes_written, commands = (int(x) for x in imap_rows[0][2:5])
        check("-P: bytes read cover the 5 messages downloaded", sizes <= bytes_read < sizes * 3,
              (bytes_read, sizes))
        check("-P: bytes written and commands counted", 0 < bytes_written < 20000 and 3 <= commands < 200,
              (bytes_written, commands))


def held_env(work):
    """The environment of a daemon-mode run holding its connection. (Leak
    detection used to be off here for a 168-byte report at the signal
    stop, from the nested-loop IMAP code that the worker-thread design
    replaced; it is on again.)"""
    env = dict(os.environ)
    env["HOME"] = work
    return env


def scenario_hold_connection(server, root):
    user, pw = server.new_user(1)
    for hold in ("no", "yes"):
        work = os.path.join(root, "hold-" + hold)
        path = cfg.write_config(work, user, cfg.starttls(server) + "remotepass = %s\nholdconnectionopen = %s\n"
                                % (pw, hold), account_extra="autorefresh = 0.01\n")
        env = held_env(work)
        p = mailsync_tap.Running([MAILSYNC, "-c", path, "-d", "imap"], env=env)

        def processed(text):
            return len(re.findall(r"\*\*\* Processing account", text))

        if hold == "yes":
            # mail that arrives between syncs comes over the held connection
            check("holdconnectionopen=yes: the first sync is done", p.wait_text(lambda t: processed(t) >= 2, 90),
                  p.text()[-500:])
            conn = imap(server, user, pw)
            append(conn, "INBOX", "held-1")
            conn.logout()
            mailsync_tap.wait_for(lambda: "held-1" in local_tags(work), 90)
        else:
            p.wait_text(lambda t: processed(t) >= 2, 90)
        p.send_signal(signal.SIGUSR2)  # stop after the current sync
        _, out, err = p.finish(60)
        text = out + err
        logins = len(re.findall(r"C: A\d+ (AUTHENTICATE|LOGIN) ", text))
        syncs = len(re.findall(r"\*\*\* Processing account", text))
        check("holdconnectionopen=%s: autorefresh runs and stops on SIGUSR2" % hold,
              p.returncode == 0 and syncs >= 2, (p.returncode, syncs, "stderr: " + err[-700:]))
        if hold == "yes":
            check("holdconnectionopen=yes: one login for %d syncs" % syncs, logins == 1, (logins, syncs))
            # the held connection logs out once, when the account goes away
            logouts = re.findall(r"C: A\d+ LOGOUT", text)
            check("holdconnectionopen=yes: no LOGOUT between syncs, one at the end",
                  len(logouts) == 1 and text.rfind("LOGOUT") > text.rfind("*** Processing account"),
                  (len(logouts), text[-800:]))
            check("holdconnectionopen=yes: later syncs see new mail", local_tags(work) >= {"held-1"},
                  local_tags(work))
        else:
            check("holdconnectionopen=no: one login per sync", logins == syncs, (logins, syncs))

    # keepalive: NOOPs while the held connection sleeps, none without it
    for keepalive in (0, 1):
        work = os.path.join(root, "keepalive-%d" % keepalive)
        path = cfg.write_config(work, user, cfg.starttls(server) + "remotepass = %s\nholdconnectionopen = yes\n"
                                "keepalive = %d\n" % (pw, keepalive), account_extra="autorefresh = 0.06\n")
        env = held_env(work)
        p = mailsync_tap.Running([MAILSYNC, "-c", path, "-d", "imap"], env=env)
        # the first sync, a whole 3.6 s sleep (keepalive NOOPs every second
        # or none), then the second sync has begun
        p.wait_text(lambda t: len(re.findall(r"\*\*\* Processing account", t)) >= 2, 90)
        p.send_signal(signal.SIGUSR2)  # stop after the current sync
        _, out, err = p.finish(60)
        text = out + err
        noops = len(re.findall(r"C: A\d+ NOOP", text))
        syncs = len(re.findall(r"\*\*\* Processing account", text))
        logins = len(re.findall(r"C: A\d+ (AUTHENTICATE|LOGIN) ", text))
        if keepalive:
            check("keepalive=1: NOOPs while the held connection sleeps, one login",
                  p.returncode == 0 and noops >= 2 and logins == 1 and syncs >= 2, (noops, logins, syncs, text[-800:]))
        else:
            check("keepalive unset: no NOOP", p.returncode == 0 and noops == 0 and syncs >= 2,
                  (p.returncode, noops, syncs, "stderr: " + err[-600:]))


def server_tags(server, user, pw, folder="INBOX"):
    conn = imap(server, user, pw)
    typ, _ = conn.select(quote(folder), readonly=True)
    tags = set()
    if typ == "OK":
        typ, data = conn.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        for item in data:
            if isinstance(item, tuple):
                m = re.search(rb"Subject: (\S+)", item[1])
                tags.add(m.group(1).decode())
    conn.logout()
    return tags


def scenario_local_startdate(server, root):
    """startdate on a local IMAP repository (offlineimap's IMAP-IMAP
    cloning with the local folder as the partial one): the first sync
    needs the remote folder empty and uploads the local messages since the
    date; later syncs take every local message from the first one's UID on;
    older local messages are never copied nor deleted."""
    user, pw = server.new_user(0)
    luser, lpw = server.new_user(0)
    conn = imap(server, luser, lpw)
    append_dated(conn, "INBOX", "old-1", "2020-01-01")
    append_dated(conn, "INBOX", "new-1", "2024-06-01")
    append_dated(conn, "INBOX", "old-2", "2019-05-01")  # higher UID, older date
    conn.create("Archive")
    append_dated(conn, "Archive", "larch-1", "2024-06-01")
    conn.logout()
    conn = imap(server, user, pw)
    conn.create("Archive")
    append_dated(conn, "Archive", "rarch-1", "2024-06-01")  # not empty: refused
    conn.logout()
    work = os.path.join(root, "local-startdate")
    path = config(server, work, user, pw)
    with open(path) as f:
        text = f.read()
    text = text.replace("type = Maildir\nlocalfolders = %s/Mail\n" % work,
                        "type = IMAP\nremotehost = %s\nremoteuser = %s\nremotepass = %s\nssl = no\n%s"
                        "startdate = 2023-01-01\n" % (server.env["DOVECOT_HOST"], luser, lpw, cfg.starttls(server)))
    with open(path, "w") as f:
        f.write(text)
    p = cfg.run(path)
    check("local startdate: the first sync uploads only the local messages since the date",
          server_tags(server, user, pw) == {"new-1"}, (server_tags(server, user, pw), p.stderr[-800:]))
    check("local startdate: a folder whose remote side is not empty is refused at first sync",
          p.returncode != 0 and re.search(r"startdate on folder Archive .*must be empty at first sync",
                                          p.stdout + p.stderr), p.stdout[-800:] + p.stderr[-800:])
    check("local startdate: the refused folder is left alone on both sides",
          server_tags(server, user, pw, "Archive") == {"rarch-1"} and
          server_tags(server, luser, lpw, "Archive") == {"larch-1"},
          (server_tags(server, user, pw, "Archive"), server_tags(server, luser, lpw, "Archive")))

    conn = imap(server, luser, lpw)
    append_dated(conn, "INBOX", "new-2", "2025-01-01")
    conn.logout()
    conn = imap(server, user, pw)
    conn.select("Archive")
    conn.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
    conn.expunge()
    conn.logout()
    p = cfg.run(path)
    check("local startdate: second sync succeeds", p.returncode == 0, p.stderr[-800:])
    check("local startdate: later syncs take every local message from the first UID on",
          server_tags(server, user, pw) == {"new-1", "old-2", "new-2"}, server_tags(server, user, pw))
    check("local startdate: the emptied remote folder gets the local one since its start date",
          server_tags(server, user, pw, "Archive") == {"larch-1"}, server_tags(server, user, pw, "Archive"))
    p = cfg.run(path)
    check("local startdate: third sync copies nothing", p.returncode == 0 and not cfg.copies(p), p.stdout[-500:])

    # deleting everything on the remote deletes only the synced local ones
    conn = imap(server, user, pw)
    conn.select("INBOX")
    conn.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
    conn.expunge()
    conn.logout()
    p = cfg.run(path)
    check("local startdate: local messages before the start UID are never deleted",
          p.returncode == 0 and server_tags(server, luser, lpw) == {"old-1"},
          (server_tags(server, luser, lpw), p.stderr[-600:]))

    work = os.path.join(root, "local-startdate-maildir")
    path = config(server, work, user, pw)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("localfolders = %s/Mail\n" % work, "localfolders = %s/Mail\nstartdate = 2023-01-01\n"
                             % work))
    p = cfg.run(path)
    check("local startdate on a Maildir: refused with the reason and maxage named",
          p.returncode != 0 and "use the account's maxage instead" in p.stderr, p.stderr[-600:])


def scenario_append_date(server, root):
    """APPEND's INTERNALDATE for a new local message (issue 11 item 7,
    beyond offlineimap, which sends the file's mtime): the earlier of its
    Date: header and its file's mtime, so that a message copied into the
    Maildir today keeps its own date on the server; the mtime when the
    header is missing, later (a date in the future) or before 1981. Read
    back with a raw UID FETCH INTERNALDATE."""
    import datetime
    user, pw = server.new_user(0)
    work = os.path.join(root, "append-date")
    path = config(server, work, user, pw)
    cur = os.path.join(work, "Mail", "INBOX", "cur")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(work, "Mail", "INBOX", sub), exist_ok=True)
    stamp = lambda text: int(datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z").timestamp())
    cases = [  # tag, Date: header or None, mtime or None (now), the INTERNALDATE wanted
        ("old-header", "Mon, 02 Mar 2020 10:00:00 +0100", None, stamp("2020-03-02 09:00:00 +0000")),
        ("older-mtime", "Tue, 05 Jan 2021 08:00:00 +0000", stamp("2019-05-05 12:00:00 +0000"),
         stamp("2019-05-05 12:00:00 +0000")),
        ("no-header", None, stamp("2018-01-01 00:00:00 +0000"), stamp("2018-01-01 00:00:00 +0000")),
        ("future-header", "Sat, 01 Jun 2030 00:00:00 +0000", stamp("2019-07-07 07:07:07 +0000"),
         stamp("2019-07-07 07:07:07 +0000")),
        ("ancient-header", "Thu, 01 Jan 1970 00:00:00 +0000", stamp("2017-02-02 02:02:02 +0000"),
         stamp("2017-02-02 02:02:02 +0000")),
        # a file with CRLF line ends: its blank line ends the header block too
        ("crlf-header", "Wed, 04 Mar 2020 10:00:00 +0000", stamp("2022-02-02 02:02:02 +0000"),
         stamp("2020-03-04 10:00:00 +0000")),
        ("crlf-body-date", None, stamp("2016-06-06 06:06:06 +0000"), stamp("2016-06-06 06:06:06 +0000")),
    ]
    for i, (tag, date, mtime, _) in enumerate(cases):
        head = "From: test@example.org\nSubject: %s\nMessage-ID: <%s@date>\n" % (tag, tag)
        if date:
            head += "Date: %s\n" % date
        text = head + "\nDate: Fri, 01 Jan 1999 00:00:00 +0000 (a body line, not the date)\n"
        if tag.startswith("crlf"):
            text = text.replace("\n", "\r\n")
        name = os.path.join(cur, "1764000000.%d_%s.host:2,S" % (i, tag))
        with open(name, "w", newline="") as f:
            f.write(text)
        if mtime:
            os.utime(name, (mtime, mtime))
    p = cfg.run(path)
    check("APPEND date: the sync uploads the new local messages", p.returncode == 0, p.stderr[-600:])
    conn = imap(server, user, pw)
    conn.select("INBOX", readonly=True)
    typ, data = conn.uid("FETCH", "1:*", "(INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    conn.logout()
    got = {}
    for item in data:
        if isinstance(item, tuple):
            m = re.search(r'INTERNALDATE "([^"]+)"', item[0].decode())
            t = re.search(r"<([^@>]*)@date>", item[1].decode())
            if m and t:
                got[t.group(1)] = int(datetime.datetime.strptime(m.group(1), "%d-%b-%Y %H:%M:%S %z").timestamp())
    for tag, date, mtime, want in cases:
        check("APPEND date: %s: INTERNALDATE %s" % (tag, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(want))),
              got.get(tag) == want, (got.get(tag), want, got))


def scenario_filter_crash(server, root):
    """filterheaders and a crash (kill -9 at each step of an upload: the
    intent written, the APPEND done, the file renamed, the status
    committed): the next run finds the copy the server got (its digest is
    over the filtered bytes) and makes no second one; the server's copy
    lacks the filtered field, the local file keeps it, and a third run
    copies nothing."""
    if not mailsync_tap.TEST_HOOKS:
        cfg.TAP.skip("filterheaders upload crash", mailsync_tap.NO_HOOKS)
        return
    user, pw = server.new_user(0)
    work = os.path.join(root, "filter-crash")
    path = config(server, work, user, pw)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("[Account Test]\n", "[Account Test]\nfilterheaders = X-Spam-Status\n", 1))
    p = cfg.run(path)
    check("filterheaders crash: the first sync succeeds", p.returncode == 0, p.stderr[-600:])
    cur = os.path.join(work, "Mail", "INBOX", "cur")
    for point in ("runner-upload-intent", "runner-upload-appended", "runner-upload-renamed",
                  "runner-upload-committed"):
        tag = "crash-" + point
        data = ("From: test@example.org\nX-Spam-Status: No, score=-1.0\n\tfolded=yes\nSubject: %s\n"
                "Message-ID: <%s@filter>\n\nbody of %s\n" % (tag, tag, tag)).encode()
        with open(os.path.join(cur, "1764000000.%s.host:2,S" % point), "wb") as f:
            f.write(data)
        killed = cfg.run(path, {"MAILSYNC_CRASH_AT": point})
        # A kill leaves its upload's intent young: runs within the grace
        # (the test hook's) keep it, a run after it uploads once.
        after, _ = mailsync_tap.rerun_until_uploaded(
            lambda: cfg.run(path, {"MAILSYNC_TEST_UPLOAD_GRACE": mailsync_tap.UPLOAD_GRACE}))
        again = cfg.run(path)
        conn = imap(server, user, pw)
        conn.select("INBOX", readonly=True)
        typ, found = conn.uid("SEARCH", None, "HEADER", "Message-ID", "<%s@filter>" % tag)
        uids = found[0].split() if typ == "OK" and found and found[0] else []
        heads = []
        for uid in uids:
            typ, body = conn.uid("FETCH", uid, "(BODY.PEEK[HEADER])")
            heads += [i[1] for i in body if isinstance(i, tuple)]
        conn.logout()
        local = [n for n in os.listdir(cur) if open(os.path.join(cur, n), "rb").read() == data]
        check("filterheaders crash at %s: killed, then one copy on the server, without the field" % point,
              killed.returncode != 0 and after.returncode == 0 and len(uids) == 1 and
              all(b"X-Spam-Status" not in h and b"folded=yes" not in h for h in heads),
              (killed.returncode, after.returncode, uids, heads, after.stderr[-600:]))
        check("filterheaders crash at %s: one local file, unchanged; the next run copies nothing" % point,
              len(local) == 1 and cfg.count_local(work) == len(os.listdir(cur)) and again.returncode == 0
              and cfg.copies(again) == [], (local, os.listdir(cur), again.stdout[-600:], again.stderr[-600:]))


def scenario_filter_cr_lines(server, root):
    """filterheaders decides where the header block ends as the upload
    sends the message: a line of nothing but CRs before its LF ("\\r\\r\\n")
    goes as "\\r\\n" (ac74185), a blank line, so what follows it is the
    server's body: a named field there is kept (it was cut out of the
    body), one before it is removed; a message whose first line is such a
    line has no header to filter. The next run copies nothing."""
    user, pw = server.new_user(0)
    work = os.path.join(root, "filter-cr")
    path = config(server, work, user, pw)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("[Account Test]\n", "[Account Test]\nfilterheaders = X-Spam-Status\n", 1))
    p = cfg.run(path)
    check("filterheaders CR lines: the first sync succeeds", p.returncode == 0, p.stderr[-600:])
    cur = os.path.join(work, "Mail", "INBOX", "cur")
    messages = {
        "lf": b"From: a@example.org\nX-Spam-Status: header, removed\nMessage-ID: <lf@filtercr>\n\r\r\n"
              b"X-Spam-Status: body line, kept\n\nbody\n",
        "crlf": b"From: a@example.org\r\nX-Spam-Status: header, removed\r\nMessage-ID: <crlf@filtercr>\r\n"
                b"\r\r\r\nX-Spam-Status: body line, kept\r\n\r\nbody\r\n",
        "first": b"\r\r\nX-Spam-Status: body line, kept\nMessage-ID: <first@filtercr>\n\nbody\n",
    }
    for tag, data in messages.items():
        with open(os.path.join(cur, "1764000000.filtercr-%s.host:2,S" % tag), "wb") as f:
            f.write(data)
    p = cfg.run(path)
    again = cfg.run(path)
    conn = imap(server, user, pw)
    conn.select("INBOX", readonly=True)
    typ, found = conn.uid("SEARCH", None, "ALL")
    got = {}
    for uid in (found[0].split() if typ == "OK" and found and found[0] else []):
        typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
        whole = b"".join(i[1] for i in data if isinstance(i, tuple))
        for tag in messages:
            if b"<%s@filtercr>" % tag.encode() in whole:
                got.setdefault(tag, []).append(whole)
    conn.logout()
    check("filterheaders CR lines: each message uploaded once", p.returncode == 0 and
          sorted((t, len(c)) for t, c in got.items()) == [(t, 1) for t in sorted(messages)],
          (p.returncode, {t: len(c) for t, c in got.items()}, p.stderr[-600:]))
    for tag in messages:
        copy = got.get(tag, [b""])[0]
        # the header block ends at the first blank line, the first line included
        head, _, body = (b"", b"", copy[2:]) if copy.startswith(b"\r\n") else copy.partition(b"\r\n\r\n")
        check("filterheaders CR lines (%s): the field after the CR line is in the server's body, kept; "
              "the one in the header is removed" % tag,
              b"X-Spam-Status: body line, kept" in body and b"X-Spam-Status" not in head and
              b"header, removed" not in copy, copy)
    check("filterheaders CR lines: the next run copies nothing", again.returncode == 0 and cfg.copies(again) == [],
          (again.stdout[-600:], again.stderr[-600:]))


def scenario_remove_local(server, root):
    """remove = local (issue 11 item 7, mbsync's Remove Near): a folder
    deleted on the server is deleted locally with its status, instead of
    being created on the server again; a folder with a local change the
    server never got (a new message, or only a keyword) is kept and
    skipped with a warning; a new local
    folder is still created on the server; without the option the
    deleted folder comes back on the server (offlineimap's behaviour)."""
    user, pw = server.new_user(2)
    conn = imap(server, user, pw)
    for name in ("Gone", "Changed", "KwChanged", "Kept"):
        conn.create(name)
        append(conn, name, "in-" + name, "\\Seen")
    conn.logout()
    work = os.path.join(root, "remove-local")
    path = config(server, work, user, pw)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("[Account Test]\n", "[Account Test]\nremove = local\n", 1))
    p = cfg.run(path)
    check("remove = local: the first sync succeeds", p.returncode == 0 and cfg.count_local(work, "Gone") == 1,
          p.stderr[-600:])
    conn = imap(server, user, pw)
    conn.delete("Gone")
    conn.delete("Changed")
    conn.delete("KwChanged")
    conn.logout()
    # a keyword added locally (dovecot-keywords' letter a) holds that one
    # back: keywords are synced state, lost with the folder otherwise
    kw = os.path.join(work, "Mail", "KwChanged")
    with open(os.path.join(kw, "dovecot-keywords"), "w") as f:
        f.write("0 $Label1\n")
    (kwfile,) = local_files(work, "KwChanged")
    kwsub = "cur" if os.path.exists(os.path.join(kw, "cur", kwfile)) else "new"
    os.rename(os.path.join(kw, kwsub, kwfile), os.path.join(kw, "cur", kwfile.split(":2,")[0] + ":2,Sa"))
    # a local change in Changed (a new message) holds that folder back
    with open(os.path.join(work, "Mail", "Changed", "new", "1700000000.9.host"), "wb") as f:
        f.write(imapsync.message("local-only"))
    os.makedirs(os.path.join(work, "Mail", "NewLocal", "cur"))
    os.makedirs(os.path.join(work, "Mail", "NewLocal", "new"))
    os.makedirs(os.path.join(work, "Mail", "NewLocal", "tmp"))
    p = cfg.run(path)
    conn = imap(server, user, pw)
    typ, data = conn.list()
    conn.logout()
    names = {l.decode().rsplit(" ", 1)[-1].strip('"') for l in data}
    statuses = os.listdir(os.path.join(work, "meta", "Account-Test", "LocalStatus-sqlite"))
    check("remove = local: the folder deleted on the server is deleted locally",
          not os.path.exists(os.path.join(work, "Mail", "Gone")) and "Gone" not in names,
          (os.listdir(os.path.join(work, "Mail")), names, p.stdout[-600:] + p.stderr[-600:]))
    check("remove = local: its status is gone too", not any(n.startswith("Gone") for n in statuses), statuses)
    check("remove = local: a folder with a local change is kept, not recreated, with a warning",
          cfg.count_local(work, "Changed") == 2 and "Changed" not in names and
          "has local changes the server never got" in p.stdout + p.stderr, (names, p.stdout[-800:], p.stderr[-800:]))
    kept = [l for l in (p.stdout + p.stderr).splitlines() if "KwChanged" in l and "is kept" in l]
    check("remove = local: a folder with only a local keyword change is kept, not recreated, with a warning",
          cfg.count_local(work, "KwChanged") == 1 and "KwChanged" not in names and
          any("has local changes the server never got" in l for l in kept), (names, p.stdout[-800:], p.stderr[-800:]))
    check("remove = local: a new local folder is still created on the server, the others untouched",
          "NewLocal" in names and "Kept" in names and cfg.count_local(work, "Kept") == 1, names)

    # without the option: offlineimap's behaviour, the folder comes back
    conn = imap(server, user, pw)
    conn.delete("Kept")
    conn.logout()
    with open(path, "w") as f:
        f.write(text)
    p = cfg.run(path)
    conn = imap(server, user, pw)
    typ, data = conn.list()
    conn.logout()
    names = {l.decode().rsplit(" ", 1)[-1].strip('"') for l in data}
    check("remove unset: a folder deleted on the server is created there again",
          "Kept" in names and cfg.count_local(work, "Kept") == 1, (names, p.stderr[-500:]))

    with open(path, "w") as f:
        f.write(text.replace("[Account Test]\n", "[Account Test]\nremove = both\n", 1))
    p = cfg.run(path)
    check("remove = both: refused, saying why", p.returncode != 0 and "only 'local' is supported" in p.stderr,
          p.stderr[-500:])


def main():
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP needs root and dovecot-imapd")
        return 0
    if not os.path.exists(cfg.DRIVER):
        print("Bail out! %s not built" % cfg.DRIVER)
        return 99
    root = tempfile.mkdtemp(prefix="mailsync-imap-options.")
    os.chmod(root, 0o755)  # the harness needs it traversable by the mail users
    server = cfg.Server(root)
    cfg.SERVER = server
    try:
        for scenario in (scenario_expunge_no, scenario_subscribed_only, scenario_startdate, scenario_local_startdate,
                         scenario_remove_local, scenario_append_date, scenario_filter_crash,
                         scenario_filter_cr_lines,
                         scenario_ipv6_identity, scenario_cli_server_info,
                         scenario_hold_connection):
            try:
                scenario(server, root)
            except Exception as e:  # a broken scenario fails, the others still run
                import traceback
                check(scenario.__name__ + " raised", False, traceback.format_exc() or e)
    finally:
        server.stop()
        if not cfg.failures:
            shutil.rmtree(root, ignore_errors=True)
    return cfg.TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
