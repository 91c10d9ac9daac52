#!/usr/bin/env python3
"""Tests of the IMAP client against network faults and a hostile scripted
server (tests/scripted_imap.py), end to end through the mailsync command
(issue 12):

- item 6, network faults: a port nobody listens on (refused), a server
  that resets the connection during the TLS handshake (implicit TLS, and
  after STARTTLS), one that resets while the client waits for the STARTTLS
  answer, one that accepts and never speaks (timeout, plain and TLS), an
  unresolvable host name (.invalid: no DNS needed). Each: exit 1, one error
  text naming host:port and what happened (reset, refused, timed out,
  name resolution), and no STARTTLS/TLS policy wording.
- item 7, a body not delivered: the server answers UID FETCH of one
  message with only its tagged OK, with FETCH data without the body, or
  never (socktimeout): exit 1, one line naming the UID, the folder and the
  server's reply, every other message and folder synced, and the next run
  fetches it again (and gets it once the server delivers); a message
  really expunged meanwhile stays a warning (exit 0).
- closed (RFC 7162 3.2.11): with QRESYNC on, the old mailbox's FETCH
  sent before a second folder's `* OK [CLOSED]` changes nothing in that
  folder's Maildir.

A server that limits the client (item 9) is check-imap-throttled.py's;
what the two share is in imap_faults_common.py. No Dovecot needed."""

import os
import re
import socket
import subprocess
import sys
import threading

import imap_faults_common
import mailsync_tap
import scripted_imap
from imap_faults_common import (body_fetch_of, check, error_texts, filled_server, imap_account, lines_naming,
                                local_messages, run_mailsync, write_config)


class FaultServer:
    """Accepts on 127.0.0.1 and misbehaves: "reset" resets after the
    client's first bytes (a TLS ClientHello), "starttls-reset" greets,
    answers STARTTLS OK, then resets during the handshake,
    "starttls-wait-reset" greets and resets when STARTTLS arrives, "silent"
    never says anything."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.handle, args=(c,), daemon=True).start()

    def handle(self, c):
        try:
            if self.mode == "silent":
                return
            if self.mode.startswith("starttls"):
                c.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fault server\r\n")
                buf = b""
                while b"STARTTLS" not in buf.upper():
                    data = c.recv(4096)
                    if not data:
                        return
                    buf += data
                if self.mode == "starttls-reset":
                    c.sendall(buf.split()[0] + b" OK begin TLS now\r\n")
                else:
                    scripted_imap.reset(c)
                    return
            c.recv(4096)            # the ClientHello
            scripted_imap.reset(c)
        except OSError:
            pass

    def close(self):
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def unused_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


POLICY = re.compile(r"STARTTLS|refusing|policy|does not speak TLS|certificate", re.I)


def network_case(root, name, host, port, ssl, starttls, want, where=None):
    work = os.path.join(root, name)
    p = run_mailsync(work, write_config(work, host, port, ssl, starttls))
    errors = error_texts(p)
    where = where or "%s:%d" % (host, port)
    check("%s: exit 1" % name, p.returncode == 1, (p.returncode, p.stderr[-800:]))
    check("%s: one error" % name, len(errors) == 1, errors)
    text = errors[0] if errors else ""
    check("%s: the error names %s and says %r" % (name, where, want),
          where in text and re.search(want, text, re.I) is not None, text)
    check("%s: no STARTTLS/TLS policy wording" % name, not POLICY.search(text), text)
    check("%s: no password in the output" % name, "secret-pw" not in p.stdout + p.stderr, "")
    return p


def scenario_network(root):
    network_case(root, "refused", "127.0.0.1", unused_port(), "no", "no", r"connection refused")
    network_case(root, "refused-tls", "127.0.0.1", unused_port(), "yes", "no", r"connection refused")
    network_case(root, "dns", "no-such-host.invalid", 993, "yes", "no", r"cannot be resolved|resol")

    server = FaultServer("reset")
    try:
        network_case(root, "tls-reset", "127.0.0.1", server.port, "yes", "no", r"reset")
    finally:
        server.close()
    server = FaultServer("starttls-reset")
    try:
        network_case(root, "starttls-handshake-reset", "127.0.0.1", server.port, "no", "yes", r"reset")
    finally:
        server.close()
    server = FaultServer("starttls-wait-reset")
    try:
        network_case(root, "starttls-answer-reset", "127.0.0.1", server.port, "no", "yes", r"reset")
    finally:
        server.close()
    server = FaultServer("silent")
    try:
        p = network_case(root, "silent", "127.0.0.1", server.port, "no", "no", r"timed out")
        check("silent: gives up well before the test's deadline (socktimeout 2)", p.took < 60, p.took)
        p = network_case(root, "silent-tls", "127.0.0.1", server.port, "yes", "no", r"timed out")
        check("silent-tls: gives up well before the test's deadline (socktimeout 2)", p.took < 60, p.took)
    finally:
        server.close()


def withhold(mode, uid=3):
    """A hook that does not deliver message @uid's body: "ok" answers only
    the tagged OK, "flags" FETCH data without the body, "silent" nothing,
    "expunged" expunges it first (a real disappearance), "stuck" nothing
    more on that connection (a server that answers in order and hangs on
    it: the fetches pipelined after it are not answered either)."""
    def hook(server, session, tag, verb, line):
        if getattr(session, "stuck", False):
            return scripted_imap.Silence()
        if verb != "UID FETCH" or not body_fetch_of(uid).search(line):
            return None
        if mode == "stuck":
            session.stuck = True
            return scripted_imap.Silence()
        if mode == "ok":
            return scripted_imap.Reply("%s OK Fetch completed.\r\n" % tag)
        if mode == "flags":
            return scripted_imap.Reply("* %d FETCH (UID %d FLAGS ())\r\n%s OK Fetch completed.\r\n" % (uid, uid, tag))
        if mode == "silent":
            return scripted_imap.Silence()
        if mode == "expunged":
            mb = server.mailboxes[session.selected]
            with server.lock:
                mb.messages = [m for m in mb.messages if m[0] != uid]
            return scripted_imap.Reply("* %d EXPUNGE\r\n%s OK Fetch completed.\r\n" % (uid, tag))
        return None
    return hook


def scenario_missing_body(root):
    for mode, reply in (("ok", "OK Fetch completed"), ("flags", "OK Fetch completed"), ("silent", "socktimeout"),
                        ("stuck", "socktimeout")):
        server = filled_server()
        try:
            name = "body-" + mode
            work, path = imap_account(root, name, server)
            server.hook = withhold(mode)
            p = run_mailsync(work, path)
            check("%s: exit 1" % name, p.returncode == 1, (p.returncode, p.stderr[-1500:]))
            said = lines_naming(p, "UID 3", "INBOX", reply)
            check("%s: one line names UID 3, INBOX and the server's reply" % name, len(said) == 1,
                  p.stdout + p.stderr)
            got = local_messages(work, "INBOX")
            check("%s: the other 4 messages of INBOX arrived, once each" % name,
                  got == {"inbox-%d" % i: 1 for i in (1, 2, 4, 5)}, got)
            check("%s: the other folder synced" % name, local_messages(work, "Archive") == {"archive-1": 1},
                  local_messages(work, "Archive"))
            if mode in ("silent", "stuck"):
                check("%s: the never-answered fetch is not asked again on the reconnected connection" % name,
                      len(server.commands(body_fetch_of(3))) == 1, server.commands(body_fetch_of(3)))
            asked = len(server.commands(body_fetch_of(3)))
            p = run_mailsync(work, path)
            check("%s: still withheld: the next run asks for it again, exit 1" % name,
                  p.returncode == 1 and len(server.commands(body_fetch_of(3))) > asked,
                  (p.returncode, server.commands(body_fetch_of(3)), p.stderr[-800:]))
            server.hook = None
            p = run_mailsync(work, path)
            got = local_messages(work, "INBOX")
            check("%s: delivered at last: the next run gets it, exit 0" % name,
                  p.returncode == 0 and got == {"inbox-%d" % i: 1 for i in range(1, 6)},
                  (p.returncode, got, p.stderr[-800:]))
            p = run_mailsync(work, path)
            check("%s: then nothing to do, nothing duplicated on the server" % name,
                  p.returncode == 0 and len(server.mailboxes["INBOX"].messages) == 5
                  and local_messages(work, "INBOX") == got, (p.returncode, p.stderr[-800:]))
        finally:
            server.close()

    server = filled_server()
    try:
        work, path = imap_account(root, "body-expunged", server)
        server.hook = withhold("expunged")
        p = run_mailsync(work, path)
        check("body-expunged: a message expunged before its fetch is no error (exit 0)", p.returncode == 0,
              (p.returncode, p.stderr[-800:]))
        check("body-expunged: it is said to be gone", len(lines_naming(p, "UID 3", "no longer")) == 1,
              p.stderr[-800:])
        check("body-expunged: the others arrived",
              local_messages(work, "INBOX") == {"inbox-%d" % i: 1 for i in (1, 2, 4, 5)},
              local_messages(work, "INBOX"))
    finally:
        server.close()


def scenario_debug_redacted(root):
    """-d imap prints the protocol, never the password: not in LOGIN, nor
    in an AUTHENTICATE PLAIN initial response or continuation (base64),
    for LOGIN and for SASL PLAIN (review of d28ce00/7330463)."""
    import base64
    secrets = ["secret-pw", base64.b64encode(b"\0u\0secret-pw").decode(),
               base64.b64encode(b"u\0u\0secret-pw").decode()]
    for mech in ("LOGIN", "PLAIN"):
        server = filled_server()
        try:
            name = "debug-redacted-" + mech.lower()
            work, path = imap_account(root, name, server)
            with open(path, "a") as f:
                f.write("auth_mechanisms = %s\n" % mech)
            env = dict(os.environ, HOME=work)
            env.pop("DBUS_SESSION_BUS_ADDRESS", None)
            p = subprocess.run([mailsync_tap.MAILSYNC, "-c", path, "-d", "imap"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=120)
            out = p.stdout + p.stderr
            said = [l for l in out.splitlines() if ("C: " in l and (" LOGIN " in l or " AUTHENTICATE " in l))]
            check("%s: the run logged in and synced, its login command is in the debug log" % name,
                  p.returncode == 0 and said, (p.returncode, out[-1200:]))
            check("%s: no password, plain or base64, in the debug log" % name,
                  not any(s in out for s in secrets), [l for l in out.splitlines() if any(s in l for s in secrets)])
        finally:
            server.close()


def scenario_plus_after_initial_response(root):
    """A server that offers SASL-IR and AUTH=PLAIN but answers AUTHENTICATE
    PLAIN <initial response> with a "+" reads the next line as the SASL
    answer. The LIST sent in the login's burst (issue 13) was that line:
    the server said BAD to the login, LOGIN then worked, and the client
    waited for the LIST's answer forever (socktimeout 0; review of
    5d4104c). The client now drops that connection and connects again
    without the pipeline: it finishes, the folders synced, the LIST not
    waited for, no password in the -d imap log."""
    import base64
    caps = scripted_imap.ScriptedImapServer.CAPABILITIES + " SASL-IR AUTH=PLAIN"
    secrets = ["secret-pw", base64.b64encode(b"\0u\0secret-pw").decode()]

    def hook(server, session, tag, verb, line):
        wanted = getattr(session, "sasl_tag", None)
        if wanted is not None and verb != "GREETING":
            # this line, whatever it is, is the answer to the "+"
            session.sasl_tag = None
            return scripted_imap.Reply("%s BAD Invalid base64 data in continued response\r\n" % wanted)
        if tag == "*":
            return scripted_imap.Reply("* BAD Error in IMAP command received by server.\r\n")
        if verb == "AUTHENTICATE" and len(line.split(" ")) > 2:
            session.sasl_tag = tag
            return scripted_imap.Reply("+ \r\n")
        return None

    server = filled_server()
    server.CAPABILITIES = caps
    server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % caps
    server.hook = hook
    try:
        work, path = imap_account(root, "plus-after-ir", server, socktimeout=0)
        env = dict(os.environ, HOME=work)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        try:
            p = subprocess.run([mailsync_tap.MAILSYNC, "-c", path, "-d", "imap"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=60)
            out, rc = p.stdout + p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
            rc = "hung (killed after 60 s)"
        check("plus-after-ir: a \"+\" to AUTHENTICATE PLAIN with SASL-IR, the burst's LIST taken as its answer: "
              "the run finishes (exit 0), no hang", rc == 0, (rc, out[-1500:]))
        check("plus-after-ir: the folders synced after the fallback", local_messages(work, "INBOX") ==
              {"inbox-%d" % i: 1 for i in range(1, 6)}, local_messages(work, "INBOX"))
        logins = server.commands(r"^(LOGIN|AUTHENTICATE)")
        check("plus-after-ir: connected again without the burst (two connections, a LIST after the login "
              "that worked)", len(server.connect_times) >= 2 and len(server.commands(r"^LIST")) >= 2,
              (len(server.connect_times), server.commands()[:16]))
        check("plus-after-ir: no password, plain or base64, in the debug log", logins and
              not any(s in out for s in secrets), [l for l in out.splitlines() if any(s in l for s in secrets)])
    finally:
        server.close()


def scenario_reselect(root):
    """A folder selected again for its downloads (the move pre-pass listed
    both changed folders first) sends its body FETCHes with the SELECT,
    all of the first window's in one burst before the SELECT's answer
    (issue 13: one round trip for the SELECT and the downloads);
    when that SELECT finds another UIDVALIDITY than the listing's (the
    folder recreated in between, which Dovecot cannot be made to do at that
    moment), the FETCH's answer is dropped: no message of the new folder is
    stored under the old folder's UIDs."""
    server = filled_server()
    try:
        work, path = imap_account(root, "reselect", server)
        p = run_mailsync(work, path)
        if not check("reselect: initial sync", p.returncode == 0, p.stderr[-800:]):
            return
        with server.lock:
            for name in ("inbox-new", "inbox-new-2", "inbox-new-3"):
                server.mailboxes["INBOX"].add(scripted_imap.message(name))
            server.mailboxes["Archive"].add(scripted_imap.message("archive-new"))
        state = {"inbox_selects": 0, "recreated": False}

        def hook(server, session, tag, verb, line):
            if verb == "SELECT" and "INBOX" in line:
                state["inbox_selects"] += 1
                if state["inbox_selects"] == 2 and state["recreate"]:
                    # same UIDs, other messages, another UIDVALIDITY
                    other = scripted_imap.Mailbox(7000)
                    with server.lock:
                        for m in server.mailboxes["INBOX"].messages:
                            other.add(scripted_imap.message("other-%d" % m[0]))
                        server.mailboxes["INBOX"] = other
                    state["recreated"] = True
            return None
        state["recreate"] = False
        server.hook = hook
        p = run_mailsync(work, path, {"G_MESSAGES_DEBUG": "Mailsync-IMAP"})
        debug = [l for l in (p.stdout + p.stderr).splitlines() if "-DEBUG: " in l]
        burst = 0
        for i, l in enumerate(debug):
            m = re.search(r" C: (\S+) SELECT \"?INBOX", l)
            if not m:
                continue
            burst = 0
            for later in debug[i + 1:]:
                if re.search(r" S: %s (OK|NO|BAD)" % re.escape(m.group(1)), later):
                    break
                if re.search(r" C: \S+ UID FETCH \d+ \(UID BODY", later):
                    burst += 1
        check("reselect: INBOX selected again, its 3 body FETCHes sent with the SELECT",
              p.returncode == 0 and state["inbox_selects"] == 2 and burst == 3,
              (p.returncode, state, burst, [l[-100:] for l in debug if " C: " in l][-12:]))
        got = local_messages(work, "INBOX")
        check("reselect: the new mail of both folders arrived",
              all(got.get(name) == 1 for name in ("inbox-new", "inbox-new-2", "inbox-new-3"))
              and local_messages(work, "Archive").get("archive-new") == 1,
              (got, local_messages(work, "Archive")))

        # Now the folder is recreated at the SELECT again.
        with server.lock:
            server.mailboxes["INBOX"].add(scripted_imap.message("inbox-newer"))
            server.mailboxes["Archive"].add(scripted_imap.message("archive-newer"))
        state.update(inbox_selects=0, recreate=True)
        before = local_messages(work, "INBOX")
        p = run_mailsync(work, path)
        got = local_messages(work, "INBOX")
        check("reselect: INBOX recreated between its listing and its downloads: reported",
              state["recreated"] and p.returncode == 2
              and re.search(r"UIDVALIDITY|UID validity", p.stdout + p.stderr) is not None,
              (p.returncode, state, error_texts(p)))
        check("reselect: no message of the recreated folder stored, nothing lost locally",
              not any(k.startswith("other-") for k in got) and all(got.get(k) == n for k, n in before.items()),
              (before, got))
        check("reselect: the other folder synced", local_messages(work, "Archive").get("archive-newer") == 1,
              local_messages(work, "Archive"))
    finally:
        server.close()


def scenario_closed(root):
    """RFC 7162 §3.2.11: with QRESYNC enabled, a SELECT sent while another
    mailbox is selected may be answered first with the old mailbox's
    unsolicited news (here an EXISTS and a FETCH of a UID the new folder
    also has, flagging it \\Deleted \\Seen), then `* OK [CLOSED]`, then the new
    mailbox's answer. Dovecot cannot be made to send such news at that
    moment. The old mailbox's news must not reach the new folder's
    (CHANGEDSINCE) listing: every folder keeps its messages and flags."""
    server = scripted_imap.ScriptedImapServer(("INBOX", "Other"))
    server.CAPABILITIES = "IMAP4rev1 UIDPLUS NAMESPACE ENABLE CONDSTORE QRESYNC"
    server.greeting = "* OK [CAPABILITY %s AUTH=PLAIN] scripted server ready\r\n" % server.CAPABILITIES
    for name in ("INBOX", "Other"):
        for i in range(1, 4):
            server.mailboxes[name].add(scripted_imap.message("%s-%d" % (name.lower(), i)))
    state = {"modseq": {"INBOX": 10, "Other": 10}, "changed": {"INBOX": set(), "Other": set()},
             "news": 0, "closed_selects": 0}

    def hook(server, session, tag, verb, line):
        if verb == "SELECT":
            before = getattr(session, "selected", None)
            args = line.split(" ", 1)[1] if " " in line else ""
            name = server.mailbox_name(args)
            out = server.answer(session, tag, verb, line, [])
            if name in state["modseq"]:
                out = out.replace("* OK [UIDNEXT", "* OK [HIGHESTMODSEQ %d] ok\r\n* OK [UIDNEXT"
                                  % state["modseq"][name], 1)
            if before is not None:
                state["closed_selects"] += 1
                news = ""
                if state["news"]:
                    # a message arrived there, another was flagged
                    news = "* 9 EXISTS\r\n* 1 FETCH (UID 1 FLAGS (\\Deleted \\Seen))\r\n"
                out = news + "* OK [CLOSED] previous mailbox closed\r\n" + out
            return scripted_imap.Reply(out)
        if verb == "UID FETCH" and "CHANGEDSINCE" in line and session.selected in state["changed"]:
            mb = server.mailboxes[session.selected]
            out = ""
            with server.lock:
                for seq, m in enumerate(mb.messages, 1):
                    if m[0] in state["changed"][session.selected]:
                        out += ("* %d FETCH (UID %d FLAGS (%s) RFC822.SIZE %d INTERNALDATE "
                                "\"25-Nov-2026 10:00:00 +0000\" MODSEQ (%d))\r\n"
                                % (seq, m[0], " ".join(sorted(m[1])), len(m[2]),
                                   state["modseq"][session.selected]))
            return scripted_imap.Reply(out + "%s OK Fetch completed\r\n" % tag)
        return None
    server.hook = hook
    try:
        work, path = imap_account(root, "closed", server)
        p = run_mailsync(work, path)
        if not check("closed: initial sync", p.returncode == 0, p.stderr[-800:]):
            return
        # both folders changed: both listed from their saved state
        with server.lock:
            for name in ("INBOX", "Other"):
                uid = server.mailboxes[name].add(scripted_imap.message("%s-new" % name.lower()))
                state["changed"][name].add(uid)
                state["modseq"][name] += 1
        state["news"] = 1
        state["closed_selects"] = 0
        p = run_mailsync(work, path, {"G_MESSAGES_DEBUG": "Mailsync-IMAP"})
        out = p.stdout + p.stderr
        check("closed: a second folder's SELECT answered with the old mailbox's FETCH before [CLOSED]",
              p.returncode == 0 and state["closed_selects"] > 0 and "CHANGEDSINCE" in out,
              (p.returncode, state["closed_selects"], error_texts(p)))
        for name in ("INBOX", "Other"):
            got = local_messages(work, name)
            check("closed: %s keeps its messages and gets its new one" % name,
                  all(got.get("%s-%d" % (name.lower(), i)) == 1 for i in range(1, 4))
                  and got.get("%s-new" % name.lower()) == 1, got)
            flagged = []
            for sub in ("cur", "new"):
                d = os.path.join(work, "Mail", name, sub)
                for n in os.listdir(d) if os.path.isdir(d) else ():
                    if ":2," in n and re.search(r"[ST]", n.split(":2,", 1)[1]):
                        flagged.append(n)
            check("closed: %s: no message flagged by the other mailbox's news" % name, not flagged, flagged)
    finally:
        server.close()


def main():
    return imap_faults_common.main((
        ("network", scenario_network),
        ("body", scenario_missing_body),
        ("debug-redacted", scenario_debug_redacted),
        ("plus-after-ir", scenario_plus_after_initial_response),
        ("reselect", scenario_reselect),
        ("closed", scenario_closed)))


if __name__ == "__main__":
    sys.exit(main())

