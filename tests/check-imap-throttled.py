#!/usr/bin/env python3
"""Tests of the IMAP client against a scripted server that limits it
(tests/scripted_imap.py), end to end through the mailsync command
(issue 12):

- item 9, a server that limits the client (Gmail, Office 365, WorkMail
  style): "* BYE [UNAVAILABLE] Too many simultaneous connections" at the
  greeting, "NO [ALERT] Too many simultaneous connections" to the login,
  "NO [THROTTLED] Request is throttled. Suggested Backoff Time: N
  milliseconds" to a UID FETCH, "* BYE [ALERT] Account exceeded command or
  bandwidth limits" in the middle of a folder: the client waits (growing,
  jittered waits, the server's hint honoured; MAILSYNC_TEST_THROTTLE_BASE_MS
  makes them short here), resumes where it stopped (no finished message
  fetched again), asks no new password, and finishes with exit 0; a server
  that never stops limiting gets a bounded number of attempts and a clear
  error (exit 1), the folder is not recorded as done, and the next run
  completes it with nothing lost or duplicated. Outside a folder's
  messages (throttled-outside): a NO [THROTTLED] or a BYE with a retry
  hint to the LIST, to the CREATE of a local-only folder, to the next
  folder's SELECT between two folders, each waited out and sent again
  once per refusal; a BYE to every LIST gives up after 1 + 8 connections
  with one error line. The pipelined window (throttled-window): the
  scripted server counts the tagged commands outstanding at once (64),
  then 32 after a [THROTTLED] for the rest of the sync, and 64 again at
  the next sync of an autorefresh daemon.

Split from check-imap-faults.py; what the two share is in
imap_faults_common.py. No Dovecot needed."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import imap_faults_common
import mailsync_tap
import scripted_imap
from imap_faults_common import (TAP, body_fetch_of, check, error_texts, filled_server, imap_account, lines_naming,
                                local_messages, run_mailsync, write_config)


# Every wait of the backoff is this many ms times 2^n (jittered down to half
# of it at least), and a server's suggested wait is scaled by BASE/2000.
BASE = 40
THROTTLE_ENV = {"MAILSYNC_TEST_THROTTLE_BASE_MS": str(BASE)}


def without_throttle_knob(name):
    """MAILSYNC_TEST_THROTTLE_BASE_MS is a test hook: a library built
    without --enable-test-hooks waits its real back-off (seconds to
    minutes), so the throttle checks are SKIPs there.  True when @name
    was skipped."""
    if mailsync_tap.TEST_HOOKS:
        return False
    TAP.skip(name, mailsync_tap.NO_HOOKS)
    return True


def throttle_hook(mode, limit):
    """@limit times (None: always) the server limits the client; @mode
    says where and how."""
    count = {"n": 0}

    def hook(server, session, tag, verb, line):
        if limit is not None and count["n"] >= limit:
            return None
        reply = None
        if mode == "greeting" and verb == "GREETING":
            reply = scripted_imap.Reply("* BYE [UNAVAILABLE] Too many simultaneous connections\r\n", close=True)
        elif mode == "login" and verb in ("LOGIN", "AUTHENTICATE"):
            reply = scripted_imap.Reply("%s NO [ALERT] Too many simultaneous connections. (Failure)\r\n" % tag)
        elif mode == "fetch" and verb == "UID FETCH" and body_fetch_of(3).search(line):
            reply = scripted_imap.Reply("%s NO [THROTTLED] Request is throttled. Suggested Backoff Time: "
                                        "4000 milliseconds\r\n" % tag)
        elif mode == "bye" and verb == "UID FETCH" and body_fetch_of(3).search(line):
            reply = scripted_imap.Reply("* BYE [ALERT] Account exceeded command or bandwidth limits\r\n", close=True)
        if reply is not None:
            count["n"] += 1
        return reply
    return hook


def gaps(times):
    return [b - a for a, b in zip(times, times[1:])]


def scenario_throttled(root):
    all_inbox = {"inbox-%d" % i: 1 for i in range(1, 6)}
    for mode in ("greeting", "login", "fetch", "bye"):
        if without_throttle_knob("throttled-" + mode):
            continue
        server = filled_server()
        try:
            name = "throttled-" + mode
            work, path = imap_account(root, name, server)
            server.hook = throttle_hook(mode, 3 if mode != "bye" else 1)
            p = run_mailsync(work, path, THROTTLE_ENV)
            check("%s: the run waits it out and succeeds" % name, p.returncode == 0,
                  (p.returncode, p.stdout[-800:], p.stderr[-1500:]))
            check("%s: everything arrived once" % name,
                  local_messages(work, "INBOX") == all_inbox and local_messages(work, "Archive") == {"archive-1": 1},
                  (local_messages(work, "INBOX"), local_messages(work, "Archive")))
            check("%s: no password asked, no login failure reported" % name,
                  "assword" not in p.stdout + p.stderr and "uthentication" not in p.stdout + p.stderr,
                  p.stderr[-800:])
            if mode in ("greeting", "login"):
                # The waits double from BASE and are jittered down to half at
                # most: each gap is at least BASE/2 * 2^n.
                times = server.connect_times
                check("%s: one connection per attempt, 4 in all" % name, len(times) == 4, len(times))
                g = gaps(times)
                check("%s: the waits grow (at least %s ms, doubling)" % (name, BASE // 2),
                      all(gap >= (BASE / 2.0) * (2 ** i) / 1000.0 for i, gap in enumerate(g)), g)
            else:
                fetches = server.commands(body_fetch_of(3))
                check("%s: UID 3 asked again after each limit" % name, len(fetches) == (4 if mode == "fetch" else 2),
                      fetches)
                others = [c for c in server.commands(r"^UID FETCH \d+ \(UID BODY") if not body_fetch_of(3).search(c)]
                check("%s: resumes where it stopped: no finished message fetched twice" % name,
                      len(others) == len(set(others)) == 5, others)
                said = lines_naming(p, "limits this client")
                check("%s: each limit is said once, with the server's words" % name,
                      len(said) == (3 if mode == "fetch" else 1) and
                      all(("THROTTLED" if mode == "fetch" else "bandwidth limits") in l for l in said), said)
            if mode == "fetch":
                times = server.command_times(body_fetch_of(3))
                # the server's suggested 4000 ms, scaled by BASE/2000
                check("%s: the server's suggested wait is honoured" % name,
                      all(gap >= 4000 * BASE / 2000 / 1000.0 for gap in gaps(times)), gaps(times))
            p = run_mailsync(work, path, THROTTLE_ENV)
            check("%s: the next run has nothing to do" % name,
                  p.returncode == 0 and local_messages(work, "INBOX") == all_inbox
                  and len(server.mailboxes["INBOX"].messages) == 5, (p.returncode, p.stderr[-800:]))
        finally:
            server.close()

    # A server that never stops limiting: a bounded number of attempts.
    for mode in ("greeting", "fetch"):
        if without_throttle_knob("throttled-forever-" + mode):
            continue
        # Zeta is synced after INBOX
        server = filled_server(("Zeta",))
        server.mailboxes["Zeta"].add(scripted_imap.message("zeta-1"))
        try:
            name = "throttled-forever-" + mode
            work, path = imap_account(root, name, server)
            server.hook = throttle_hook(mode, None)
            p = run_mailsync(work, path, THROTTLE_ENV)
            errors = error_texts(p)
            check("%s: exit 1" % name, p.returncode == 1, (p.returncode, p.stderr[-800:]))
            check("%s: a clear error with the server's words" % name,
                  errors and all("still limits this client" in e or "Aborting sync" in e for e in errors)
                  and any(("Too many simultaneous" if mode == "greeting" else "THROTTLED") in e for e in errors),
                  errors)
            attempts = len(server.connect_times) if mode == "greeting" else len(server.commands(body_fetch_of(3)))
            check("%s: gives up after a bounded number of attempts (9)" % name, attempts == 9, attempts)
            if mode == "fetch":
                check("%s: the other folder synced, the rest of INBOX too" % name,
                      local_messages(work, "Archive") == {"archive-1": 1}
                      and local_messages(work, "INBOX") == {"inbox-%d" % i: 1 for i in (1, 2, 4, 5)},
                      (local_messages(work, "Archive"), local_messages(work, "INBOX")))
                # The account's move pass may list Zeta before INBOX's
                # messages are fetched: only what follows the last attempt
                # counts.
                cmds = server.commands()
                gave_up = max((i for i, c in enumerate(cmds) if body_fetch_of(3).search(c)), default=len(cmds))
                check("%s: once it gave up, the folders after it send nothing" % name,
                      not [c for c in cmds[gave_up:] if re.search(r'SELECT "?Zeta', c)], cmds[gave_up:])
            server.hook = None
            p = run_mailsync(work, path, THROTTLE_ENV)
            check("%s: the limit lifted, the next run completes the folder (not recorded as done before)" % name,
                  p.returncode == 0 and local_messages(work, "INBOX") == all_inbox
                  and local_messages(work, "Archive") == {"archive-1": 1}
                  and local_messages(work, "Zeta") == {"zeta-1": 1}
                  and len(server.mailboxes["INBOX"].messages) == 5, (p.returncode, p.stderr[-800:]))
        finally:
            server.close()


def limit_at(verb_re, kind, limit, line_re=None):
    """A hook that limits the client at a command outside a folder's
    messages (LIST, CREATE, a folder's SELECT): @limit times (None:
    always), the commands whose verb matches @verb_re (and line @line_re)
    get "NO [THROTTLED]" (@kind "no") or "* BYE [UNAVAILABLE] ... retry
    after 3 seconds" and a close ("bye")."""
    count = {"n": 0}

    def hook(server, session, tag, verb, line):
        if (limit is not None and count["n"] >= limit) or not re.search(verb_re, verb) or \
                (line_re and not re.search(line_re, line)):
            return None
        count["n"] += 1
        if kind == "no":
            return scripted_imap.Reply("%s NO [THROTTLED] Request is throttled. Suggested Backoff Time: "
                                       "4000 milliseconds\r\n" % tag)
        return scripted_imap.Reply("* BYE [UNAVAILABLE] Server busy, retry after 3 seconds\r\n", close=True)
    return hook


def scenario_throttled_outside(root):
    """Item 9 outside a folder's messages, where the engine's
    reopen-and-resume of a folder does not reach: a NO [THROTTLED] to the
    LIST (twice), a BYE with a retry hint to the login, to the LIST, and
    between two folders (to the next folder's SELECT), a NO [THROTTLED] to
    the CREATE of a folder that exists only locally (twice); two runs,
    two kinds of limit each. Each run waits
    and finishes with exit 0, everything once on both sides, the refused
    command sent again once per refusal, the server's hint honoured; the
    next run has nothing to do. A server that sends a BYE to every LIST: a
    bounded number of connections (1 + 8 waits), one error line with the
    server's words, exit 1, no folder made or recorded, and the next run
    against a healthy server syncs everything."""
    if mailsync_tap.SANITIZED:
        TAP.skip("throttled-outside", "under the sanitizers: the -Werror build runs it")
        return
    if without_throttle_knob("throttled-outside"):
        return
    everything = {"INBOX": {"inbox-%d" % i: 1 for i in range(1, 6)}, "Archive": {"archive-1": 1},
                  "Zeta": {"zeta-1": 1}, "Local": {"local-1": 1}}

    def account(name, server):
        work, path = imap_account(root, name, server)
        # a folder only this side has: the folder pass CREATEs it
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(work, "Mail", "Local", sub))
        with open(os.path.join(work, "Mail", "Local", "cur", "1.local:2,S"), "wb") as f:
            f.write(scripted_imap.message("local-1"))
        return work, path

    def synced(work, server):
        local = {name: local_messages(work, name) for name in everything}
        remote = {name: len(server.mailboxes[name].messages) if name in server.mailboxes else 0
                  for name in everything}
        return local == everything and remote == {name: len(v) for name, v in everything.items()}, (local, remote)

    hint = 3000 * BASE / 2000 / 1000.0      # "retry after 3 seconds", scaled

    def both(*hooks):
        def hook(server, session, tag, verb, line):
            for h in hooks:
                action = h(server, session, tag, verb, line)
                if action is not None:
                    return action
            return None
        return hook
    # (the refused commands and how often each is sent in all)
    cases = (("list-create-no", both(limit_at("^LIST$", "no", 2), limit_at("^CREATE$", "no", 2)),
              (("^LIST ", 3), ("^CREATE ", 3))),
             ("login-list-between-folders-bye",
              both(limit_at("^(LOGIN|AUTHENTICATE)$", "bye", 1), limit_at("^LIST$", "bye", 1),
                   limit_at("^SELECT$", "bye", 1, "Zeta")),
              # a login on each of the 4 connections
              (("^(LOGIN|AUTHENTICATE) ", 4), ("^LIST ", 2), ("^SELECT \"?Zeta", 2))))
    for case, hook, refused in cases:
        server = filled_server(("Zeta",))
        server.mailboxes["Zeta"].uidnext = 200
        server.mailboxes["Zeta"].add(scripted_imap.message("zeta-1"))
        try:
            name = "throttled-" + case
            work, path = account(name, server)
            server.hook = hook
            p = run_mailsync(work, path, THROTTLE_ENV)
            check("%s: the run waits it out and succeeds" % name, p.returncode == 0,
                  (p.returncode, p.stdout[-800:], p.stderr[-1500:]))
            ok, detail = synced(work, server)
            check("%s: everything once on both sides" % name, ok, detail)
            sent = [(pattern, len(server.commands(pattern))) for pattern, _ in refused]
            check("%s: each refused command sent again once per refusal" % name, sent == list(refused), sent)
            check("%s: no password asked, no login failure reported" % name,
                  "assword" not in p.stdout + p.stderr and "uthentication" not in p.stdout + p.stderr,
                  p.stderr[-800:])
            if case.endswith("-bye"):
                # the command after each BYE opens the next connection
                check("%s: a new connection after each BYE, after the server's suggested wait" % name,
                      len(server.connect_times) == 4 and all(g >= hint for g in gaps(server.connect_times)),
                      (gaps(server.connect_times), hint))
                bodies = server.commands(r"^UID FETCH \d+ \(UID BODY")
                check("%s: resumes where it stopped: no message fetched twice" % name,
                      len(bodies) == len(set(bodies)) == 7, bodies)
            before = len(server.commands())
            server.hook = None
            p = run_mailsync(work, path, THROTTLE_ENV)
            ok, detail = synced(work, server)
            check("%s: the next run has nothing to do" % name,
                  p.returncode == 0 and ok and not [c for c in server.commands()[before:] if re.match(r"(APPEND|CREATE|UID FETCH \S+ \(UID BODY)", c)],
                  (p.returncode, detail, p.stderr[-800:]))
        finally:
            server.close()

    # A server that never stops: every LIST gets a BYE. Waits of 5 ms
    # doubling (0.75 s at most each): the budget's 8 waits in about 1.3 s.
    server = filled_server(("Zeta",))
    server.mailboxes["Zeta"].uidnext = 200
    server.mailboxes["Zeta"].add(scripted_imap.message("zeta-1"))
    try:
        name = "throttled-forever-list"
        work, path = account(name, server)
        server.hook = limit_at("^LIST$", "bye", None)
        p = run_mailsync(work, path, {"MAILSYNC_TEST_THROTTLE_BASE_MS": "5"})
        errors = error_texts(p)
        check("%s: exit 1" % name, p.returncode == 1, (p.returncode, p.stderr[-800:]))
        check("%s: one error line, with the server's words and the giving up" % name,
              len(errors) == 1 and "still limits this client" in errors[0] and "Server busy" in errors[0], errors)
        check("%s: a bounded number of connections and LISTs (1 + 8 waits)" % name,
              len(server.connect_times) == 9 and len(server.commands("^LIST ")) == 9,
              (len(server.connect_times), len(server.commands())))
        check("%s: nothing else sent, no folder made or synced" % name,
              not server.commands(r"^(SELECT|EXAMINE|CREATE|APPEND|UID)") and
              sorted(os.listdir(os.path.join(work, "Mail"))) == ["Local"],
              (server.commands(), os.listdir(os.path.join(work, "Mail"))))
        server.hook = None
        p = run_mailsync(work, path, THROTTLE_ENV)
        ok, detail = synced(work, server)
        check("%s: the limit lifted, the next run syncs everything once" % name, p.returncode == 0 and ok,
              (p.returncode, detail, p.stderr[-800:]))
    finally:
        server.close()


# The account's sliding window of 64 copies, which a throttled connection
# halves from (MAILSYNC_IMAP_THROTTLE_IN_FLIGHT; the connection's own
# default of 256 leaves room for the downloads of small messages, which
# run up to 4 windows deep: the test's messages are large enough to keep
# one window, WINDOW_SIZE bytes each, issue 13 item 6).
WINDOW = 64
WINDOW_SIZE = 40000
BODY_FETCH = r"^UID FETCH \d+ \(UID BODY"


def scenario_throttled_window(root, hold=False):
    """After a [THROTTLED], the client keeps fewer commands in flight: the
    scripted server holds the body fetches of a burst until as many wait
    as the window the test expects (scripted_imap.Probe), so it sees the
    largest number outstanding at once. One sync of 200 messages: 64
    before the limit; one NO [THROTTLED] to a fetch; after the wait, the
    resumed folder's bursts are 32 (halved), and stay 32 for the rest of
    the sync (no growth inside a sync, the code's intent). The account
    refreshes (autorefresh) and the next sync starts with 64 again (the
    repository's close restores the window), 100 new messages. With
    @hold (holdconnectionopen: no close between the syncs, the same
    connection) the next sync's start restores it (review22: only close
    did, and a held connection stayed halved for good)."""
    name = "throttled-window-held" if hold else "throttled-window"
    if mailsync_tap.SANITIZED:
        # the back-off code is the same in the -Werror run; this one costs
        # an autorefresh daemon and 300 fetches
        TAP.skip(name, "under the sanitizers: the -Werror build runs it")
        return
    if without_throttle_knob(name):
        return
    server = scripted_imap.ScriptedImapServer(("INBOX",))
    for i in range(1, 201):
        server.mailboxes["INBOX"].add(scripted_imap.message("m-%d" % i, WINDOW_SIZE))
    state = {"throttled": 0, "resumed": False, "logouts": 0}

    def may_start(probe):
        # the first sync's first burst; its first two after the resumption;
        # the second sync's first
        n = len(probe.peaks)
        return n == 0 or (n in (1, 2) and state["resumed"] and not state["logouts"]) or \
            (n == 3 and state["logouts"])
    probe = scripted_imap.Probe(BODY_FETCH, [WINDOW, WINDOW // 2, WINDOW // 2, WINDOW], may_start)
    server.probe = probe

    def hook(server, session, tag, verb, line):
        if verb == "UID FETCH" and re.search(BODY_FETCH, line) and len(probe.peaks) == 1 and not state["throttled"]:
            state["throttled"] = 1
            return scripted_imap.Reply("%s NO [THROTTLED] Request is throttled. Suggested Backoff Time: "
                                       "100 milliseconds\r\n" % tag)
        if verb == "SELECT" and state["throttled"]:
            # the folder resumed on the waited connection: measure again
            state["resumed"] = True
        # the first sync is over (held: the next one lists): the next
        # one has new messages
        over = verb in ("LIST", "LSUB") and state["throttled"] if hold else verb == "LOGOUT"
        if over and state["logouts"] == 0:
            state["logouts"] += 1
            with server.lock:
                for i in range(201, 301):
                    server.mailboxes["INBOX"].add(scripted_imap.message("m-%d" % i, WINDOW_SIZE))
        return None
    server.hook = hook
    # a refresh 0.3 s after the first sync; a long socktimeout, as the
    # server holds its answers while it counts
    work = os.path.join(root, name)
    path = write_config(work, "127.0.0.1", server.port, socktimeout=60, account="autorefresh = 0.005",
                        remote="holdconnectionopen = yes\n" if hold else "")
    env = dict(os.environ, HOME=work, **THROTTLE_ENV)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    out = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([mailsync_tap.MAILSYNC, "-c", path], env=env, stdout=out, stderr=subprocess.STDOUT,
                            text=True)
    want = {"m-%d" % i: 1 for i in range(1, 301)}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and \
                not (len(probe.peaks) == 4 and local_messages(work, "INBOX") == want):
            time.sleep(0.1)
        rc_early = proc.poll()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.seek(0)
        text = out.read()
        check("%s: the daemon ran both syncs (not stopped early)" % name, rc_early is None,
              (rc_early, text[-1500:]))
        peaks = probe.peaks
        check("%s: %d commands in flight before the limit" % (name, WINDOW), peaks[:1] == [WINDOW],
              (peaks, text[-1500:]))
        check("%s: one [THROTTLED], the folder resumed after it" % name,
              state["throttled"] == 1 and len(peaks) >= 3, (state, peaks))
        check("%s: then %d at most, and still pipelined: the window halved" % (name, WINDOW // 2),
              peaks[1:2] == [WINDOW // 2], peaks)
        check("%s: it stays halved for the rest of the sync" % name, peaks[2:3] == [WINDOW // 2], peaks)
        check("%s: the next sync starts with %d again" % (name, WINDOW), peaks[3:4] == [WINDOW], peaks)
        if hold:
            check("%s: on the same connection" % name, len(server.sessions) == 1, len(server.sessions))
        got = local_messages(work, "INBOX")
        check("%s: all 300 messages arrived once" % name, got == want,
              sorted(k for k, v in got.items() if v != 1) + sorted(set(want) - set(got)))
        check("%s: nothing stored twice on the server" % name, len(server.mailboxes["INBOX"].messages) == 300,
              len(server.mailboxes["INBOX"].messages))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.close()


def scenario_throttled_cancel(root):
    """A stop request during a back-off wait ends the wait at once: the
    wait's cancellable source once called its callback with the
    GCancellable for its data and crashed (review of 477f90e)."""
    if without_throttle_knob("throttled-cancelled"):
        return
    server = filled_server()
    try:
        name = "throttled-cancelled"
        work, path = imap_account(root, name, server, general="")
        server.hook = throttle_hook("greeting", None)
        env = dict(os.environ)
        env["HOME"] = work
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        # a first wait of 5 minutes at least: only the cancel can end it
        env["MAILSYNC_TEST_THROTTLE_BASE_MS"] = "600000"
        proc = subprocess.Popen([mailsync_tap.MAILSYNC, "-c", path, "-d", "imap"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = []
        waiting = threading.Event()

        def read():
            for line in proc.stdout:
                lines.append(line)
                if "throttled (" in line and "waiting" in line:
                    waiting.set()
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            if not check("%s: the client waits (debug line)" % name, waiting.wait(60), "".join(lines)[-800:]):
                return
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(60)
            except subprocess.TimeoutExpired:
                rc = None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join(10)
        out = "".join(lines)
        check("%s: SIGTERM ends the wait: the run exits, not killed by a signal" % name,
              rc is not None and rc >= 0, (rc, out[-1500:]))
        check("%s: no GLib critical or warning" % name,
              "CRITICAL" not in out and "GLib-GObject-WARNING" not in out, out[-1500:])
        check("%s: no second connection" % name, len(server.connect_times) == 1, len(server.connect_times))
    finally:
        server.close()


def main():
    return imap_faults_common.main((
        ("throttled", scenario_throttled),
        ("throttled-cancel", scenario_throttled_cancel),
        ("throttled-outside", scenario_throttled_outside),
        ("throttled-window", scenario_throttled_window),
        ("throttled-window-held", lambda root: scenario_throttled_window(root, hold=True))))


if __name__ == "__main__":
    sys.exit(main())

