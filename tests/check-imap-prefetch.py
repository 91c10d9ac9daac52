#!/usr/bin/env python3
"""New mail's bodies fetched with a changed folder's SELECT (issue 13
item 2, session 18; libmailsync/backends/imap/mailsync-imap-folder-prefetch.c).

When this run's probe (LIST-STATUS or STATUS) shows UIDs above every one
the status knows, the folder sync's listing writes
`UID FETCH <first new>:<last new> (UID BODY.PEEK[]<0.N>)` right behind its
SELECT and CHANGEDSINCE FETCH, and the engine's fetches of those messages
are answered from it: no body FETCH round trip for new mail shorter than N.

- dovecot: small new mail arrives without a body FETCH of its own, a
  message longer than N gets only its rest fetched (BODY.PEEK[]<N.M>,
  issue 13 item 2: one whose rest is held in memory, one whose rest is
  spooled), both sides equal and byte-equal, a resync changes nothing; a folder recreated with another
  UIDVALIDITY (the probe's hint ignored, so that the FETCH goes out):
  its bodies are dropped, nothing of the new folder stored.
- select-no (a scripted server, a test of the client: Dovecot never
  answers a FETCH after a failed SELECT): the second folder's SELECT is
  refused while the server, misbehaving, keeps the first folder selected
  and answers the FETCHes behind it with that folder's messages. With a
  plain NO the refused folder fails alone and nothing of the other folder
  is stored in it; with NO [UNAVAILABLE] (select-no-retried) the client
  waits, syncs the folder again in the same run and stores its own new
  mail only; the next run changes nothing of that.

Skipped parts say SKIP (Dovecot not installed, no test hooks)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import mailsync_tap
import scripted_imap

TAP = mailsync_tap.Tap(600)
check = TAP.check

MESSAGES = mailsync_tap.TaggedMessages("prefetch")
append, uid_of = MESSAGES.append, MESSAGES.uid_of
PREFETCH = re.compile(r"UID FETCH \d+:\d+ \(UID BODY\.PEEK\[\]<0\.\d+>\)")


def debug_lines(p):
    return [l for l in (p.stdout + p.stderr).splitlines() if "-DEBUG: " in l]


def commands(p):
    return mailsync_tap.imap_commands(p)


def prefetch_behind_select(p, mailbox):
    """Whether the prefetch FETCH went out behind @mailbox's SELECT before
    the SELECT's tagged answer."""
    lines = debug_lines(p)
    for i, l in enumerate(lines):
        m = re.search(r" C: (\S+) SELECT \"?%s\"?( |$)" % re.escape(mailbox), l)
        if not m:
            continue
        for later in lines[i + 1:]:
            if re.search(r" S: %s (OK|NO|BAD)" % re.escape(m.group(1)), later):
                break
            if re.search(r" C: \S+ " + PREFETCH.pattern, later):
                return True
    return False


def body_fetches(p, uid):
    return [c for c in commands(p) if c == "UID FETCH %d (UID BODY.PEEK[])" % uid]


def rest_fetches(p, uid):
    return [c for c in commands(p) if re.match(r"UID FETCH %d \(UID BODY\.PEEK\[\]<[1-9]\d*\.\d+>\)$" % uid, c)]


def big_message(tag, size):
    head = MESSAGES.message(tag)
    line = b"0123456789" * 7 + b"\r\n"
    return head + line * (size // len(line))


def server_body(conn, folder, uid):
    conn.select(folder, readonly=True)
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    return data[0][1] if typ == "OK" else None


def local_body(work, folder, tag):
    with open(mailsync_tap.local_file(work, folder, tag), "rb") as f:
        return f.read()



def scenario_dovecot(root):
    server = mailsync_tap.DovecotUsers(root, "prefetch", 2)
    try:
        user, pw = server.new_user()
        work = os.path.join(root, "dovecot")
        conn = server.imap(user, pw)
        conn.create("Work")
        for i in range(6):
            append(conn, "INBOX", "in-%d" % i)
        for i in range(4):
            append(conn, "Work", "work-%d" % i, "\\Seen")
        conn.logout()
        p = mailsync_tap.run_driver(server, user, pw, work)
        if not check("dovecot: initial sync", p.returncode == 0, p.stderr[-800:]):
            return

        conn = server.imap(user, pw)
        for i in range(3):
            append(conn, "INBOX", "new-%d" % i, "\\Seen" if i == 1 else "")
        # longer than any part the prefetch asks for (at most 240 KiB);
        # the second one's rest is spooled (over 256 KiB)
        conn.append("INBOX", "", None, big_message("big", 300 * 1024))
        conn.append("INBOX", "", None, big_message("huge", 700 * 1024))
        append(conn, "Work", "work-new")
        small = [int(uid_of(conn, "INBOX", "new-%d" % i)) for i in range(3)]
        small.append(int(uid_of(conn, "Work", "work-new")))
        big = [int(uid_of(conn, "INBOX", tag)) for tag in ("big", "huge")]
        conn.logout()
        p = mailsync_tap.run_driver(server, user, pw, work, debug="Mailsync-IMAP",
                                    extra={"MAILSYNC_TEST_DRY_RUN": "1"})
        check("dovecot: a dry run with new mail asks for no body (no FETCH behind the SELECT)",
              p.returncode == 0 and not any("BODY" in c for c in commands(p)),
              [c for c in commands(p) if "LOGIN" not in c][:20])
        p = mailsync_tap.run_driver(server, user, pw, work, debug="Mailsync-IMAP")
        check("dovecot: resync with new mail succeeds", p.returncode == 0, mailsync_tap.stderr_without_debug(p))
        check("dovecot: the bodies' FETCH went out behind each changed folder's SELECT",
              prefetch_behind_select(p, "INBOX") and prefetch_behind_select(p, "Work"),
              [c for c in commands(p) if "LOGIN" not in c][:20])
        check("dovecot: no body FETCH of its own for the small new messages",
              not any(body_fetches(p, uid) for uid in small), [c for c in commands(p) if "BODY" in c])
        check("dovecot: the messages longer than the part asked get their rest fetched, once, not the whole",
              all(len(rest_fetches(p, uid)) == 1 and not body_fetches(p, uid) for uid in big),
              [c for c in commands(p) if "BODY" in c])
        remote, local = mailsync_tap.subjects_both_sides(server, user, pw, work)
        check("dovecot: both sides equal", remote == local and ("new-1", "S") in local.get("INBOX", []),
              (remote, local))
        conn = server.imap(user, pw)
        same = all(server_body(conn, f, uid_of(conn, f, tag)).replace(b"\r\n", b"\n") ==
                   local_body(work, f, tag).replace(b"\r\n", b"\n")
                   for f, tag in (("INBOX", "new-0"), ("INBOX", "new-2"), ("INBOX", "big"), ("INBOX", "huge"),
                                  ("Work", "work-new")))
        conn.logout()
        check("dovecot: the local copies are the server's messages, byte for byte", same)
        p = mailsync_tap.run_driver(server, user, pw, work, debug="Mailsync-IMAP")
        check("dovecot: a resync after it fetches nothing",
              p.returncode == 0 and not any("BODY" in c for c in commands(p)),
              [c for c in commands(p) if "LOGIN" not in c][:12])

        # Work recreated: UIDs 1..8 of other messages, the status knows
        # 1..5 of the old folder: the FETCH asks for 6 and up.
        labels = ("the bodies' FETCH went out with the SELECT and its answer was dropped",
                  "the folder's UIDVALIDITY change is reported",
                  "nothing of the recreated folder stored")
        if not mailsync_tap.TEST_HOOKS:
            for label in labels:
                TAP.skip("dovecot: UIDVALIDITY changed: " + label, mailsync_tap.NO_HOOKS)
            return
        old, new = mailsync_tap.new_uidvalidity(server, user, pw, "Work")
        if not check("dovecot: Work recreated with another UIDVALIDITY", old is not None and new != old, (old, new)):
            return
        conn = server.imap(user, pw)
        for i in range(8):
            append(conn, "Work", "other-%d" % i)
        conn.logout()
        p = mailsync_tap.run_driver(server, user, pw, work, debug="Mailsync-IMAP",
                                    extra={"MAILSYNC_TEST_IMAP_PROBE_HINT": "ignore"})
        check("dovecot: UIDVALIDITY changed: " + labels[0],
              prefetch_behind_select(p, "Work")
              and any("Work: the bodies fetched with the SELECT are dropped" in l for l in debug_lines(p)),
              [l[-120:] for l in debug_lines(p) if "Work" in l][:10])
        check("dovecot: UIDVALIDITY changed: " + labels[1],
              p.returncode != 0 and "UIDVALIDITY" in p.stdout + p.stderr, mailsync_tap.stderr_without_debug(p))
        names = []
        for sub in ("cur", "new"):
            d = os.path.join(work, "local", "Work", sub)
            for n in os.listdir(d) if os.path.isdir(d) else ():
                with open(os.path.join(d, n), "rb") as f:
                    if b"Subject: other-" in f.read():
                        names.append(n)
        check("dovecot: UIDVALIDITY changed: " + labels[2], not names, names)
    finally:
        server.stop()


# ---- a scripted server: a refused SELECT, the previous mailbox kept --------

def run_mailsync(work, path, extra_env=None):
    env = dict(os.environ)
    env["HOME"] = work
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.update(extra_env or {})
    return subprocess.run([mailsync_tap.MAILSYNC, "-c", path], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=300)


def local_subjects(work, folder):
    out = []
    for sub in ("cur", "new"):
        d = os.path.join(work, "Mail", folder, sub)
        for n in os.listdir(d) if os.path.isdir(d) else ():
            with open(os.path.join(d, n), "rb") as f:
                m = re.search(rb"^Subject: (.*)$", f.read(), re.M)
            out.append(m.group(1).decode().strip() if m else n)
    return sorted(out)


def scenario_select_no(root, retried):
    """CONDSTORE on a scripted server (HIGHESTMODSEQ in SELECT and STATUS,
    CHANGEDSINCE), and the partial FETCH the prefetch asks. @retried: the
    refusal says [UNAVAILABLE] (the client waits and syncs the folder
    again in the same run) rather than a plain NO (the folder fails)."""
    label = "select-no%s" % ("-retried" if retried else "")
    folders = ("INBOX", "Other")
    server = scripted_imap.ScriptedImapServer(folders)
    server.CAPABILITIES = "IMAP4rev1 UIDPLUS NAMESPACE CONDSTORE"
    server.greeting = "* OK [CAPABILITY %s AUTH=PLAIN] scripted server ready\r\n" % server.CAPABILITIES
    for name in folders:
        for i in range(1, 4):
            server.mailboxes[name].add(scripted_imap.message("%s-%d" % (name.lower(), i)))
    state = {"modseq": {n: 10 for n in folders}, "changed": {n: set() for n in folders},
             "refuse": False, "refused": None, "prefetch_after_refusal": 0}

    def fetch_answer(session, tag, line):
        """The UID FETCH of the mailbox the session has selected, whatever
        the client meant (a server that kept it after a refused SELECT)."""
        mb = server.mailboxes[session.selected]
        set_text = line.split(" ")[2]
        out = b""
        with server.lock:
            uids = scripted_imap.uid_set(set_text, mb)
            for seq, m in enumerate(mb.messages, 1):
                if m[0] not in uids:
                    continue
                if "BODY.PEEK[]<0." in line:
                    limit = int(re.search(r"<0\.(\d+)>", line).group(1))
                    body = m[2][:limit]
                    out += b"* %d FETCH (UID %d BODY[]<0> {%d}\r\n" % (seq, m[0], len(body)) + body + b")\r\n"
                elif m[0] in state["changed"][session.selected]:
                    out += ("* %d FETCH (UID %d FLAGS (%s) RFC822.SIZE %d INTERNALDATE "
                            "\"25-Nov-2026 10:00:00 +0000\" MODSEQ (%d))\r\n"
                            % (seq, m[0], " ".join(sorted(m[1])), len(m[2]),
                               state["modseq"][session.selected])).encode()
        return out + ("%s OK Fetch completed\r\n" % tag).encode()

    def hook(server, session, tag, verb, line):
        args = line.split(" ", 1)[1] if " " in line else ""
        if verb == "SELECT":
            name = server.mailbox_name(args)
            before = getattr(session, "selected", None)
            if state["refuse"] and state["refused"] is None and before is not None and before != name:
                # refused, and (misbehaving) the previous mailbox stays selected
                state["refused"] = name
                return scripted_imap.Reply("%s NO %smailbox busy, try later\r\n"
                                           % (tag, "[UNAVAILABLE] " if retried else ""))
            out = server.answer(session, tag, verb, line, [])
            return scripted_imap.Reply(out.replace("* OK [UIDNEXT", "* OK [HIGHESTMODSEQ %d] ok\r\n* OK [UIDNEXT"
                                                   % state["modseq"][name], 1))
        if verb == "STATUS":
            name = server.mailbox_name(args)
            mb = server.mailboxes[name]
            return scripted_imap.Reply('* STATUS "%s" (MESSAGES %d UIDNEXT %d UIDVALIDITY %d HIGHESTMODSEQ %d)\r\n'
                                       '%s OK STATUS completed\r\n'
                                       % (name, len(mb.messages), mb.uidnext, mb.uidvalidity,
                                          state["modseq"][name], tag))
        if verb == "UID FETCH" and ("CHANGEDSINCE" in line or "BODY.PEEK[]<0." in line):
            if state["refused"] is not None and "BODY.PEEK[]<0." in line:
                state["prefetch_after_refusal"] += 1
            return scripted_imap.Reply(fetch_answer(session, tag, line))
        return None

    server.hook = hook
    try:
        work = os.path.join(root, label)
        path = mailsync_tap.write_scripted_config(work, server.port, socktimeout=10)
        p = run_mailsync(work, path, {"MAILSYNC_TEST_THROTTLE_BASE_MS": "10"})
        if not check("%s: initial sync" % label, p.returncode == 0, p.stderr[-800:]):
            return
        with server.lock:
            for name in folders:
                for i in (1, 2):
                    uid = server.mailboxes[name].add(scripted_imap.message("%s-new-%d" % (name.lower(), i)))
                    state["changed"][name].add(uid)
                state["modseq"][name] += 2
        state["refuse"] = True
        p = run_mailsync(work, path, {"G_MESSAGES_DEBUG": "Mailsync-IMAP", "MAILSYNC_TEST_THROTTLE_BASE_MS": "10"})
        victim = state["refused"]
        other = [n for n in folders if n != victim][0] if victim else None
        check("%s: the second folder's SELECT was refused, the bodies' FETCH went out behind it" % label,
              victim is not None and state["prefetch_after_refusal"] >= 1 and prefetch_behind_select(p, victim),
              (state, [c for c in commands(p) if "LOGIN" not in c][:20]))
        if victim is None:
            return
        own = ["%s-%d" % (victim.lower(), i) for i in range(1, 4)]
        own_new = own + ["%s-new-%d" % (victim.lower(), i) for i in (1, 2)]
        got = local_subjects(work, victim)
        if retried:
            check("%s: the refusal is waited out, the run ends well" % label,
                  p.returncode == 0 and "busy" in p.stdout + p.stderr, (p.returncode, p.stderr[-600:]))
            check("%s: the refused folder gets its own new mail, nothing of the other folder" % label,
                  got == sorted(own_new), got)
        else:
            check("%s: the run reports the refused folder" % label,
                  p.returncode != 0 and "busy" in p.stdout + p.stderr, (p.returncode, p.stderr[-600:]))
            check("%s: nothing of the other folder stored in the refused one, nothing new in it" % label,
                  got == sorted(own), got)
        check("%s: the other folder synced its new mail" % label,
              local_subjects(work, other) == sorted(["%s-%d" % (other.lower(), i) for i in range(1, 4)] +
                                                    ["%s-new-%d" % (other.lower(), i) for i in (1, 2)]),
              local_subjects(work, other))
        state["refuse"] = False
        p = run_mailsync(work, path)
        got = local_subjects(work, victim)
        check("%s: the next run leaves the refused folder with its own mail, nothing else" % label,
              p.returncode == 0 and got == sorted(own_new), (p.returncode, got, p.stderr[-400:]))
    finally:
        server.close()


def main():
    root = tempfile.mkdtemp(prefix="mailsync-prefetch-", dir="/tmp")
    os.chmod(root, 0o755)
    try:
        if shutil.which("dovecot") or os.path.exists("/usr/sbin/dovecot"):
            scenario_dovecot(root)
        else:
            TAP.skip("dovecot: the prefetch against Dovecot", "dovecot is not installed")
        scenario_select_no(root, False)
        scenario_select_no(root, True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
