#!/usr/bin/env python3
"""Tests of the IMAP client's login before the greeting over IMAPS (issue
13 item 6; doc/design.md "The no-op's fixed cost, and logging in before
the greeting"), end to end through the mailsync command, against the
scripted server of tests/scripted_imap.py over implicit TLS: it can greet
PREAUTH, BYE or with other capabilities than last time, which Dovecot
cannot be made to do.

- The first run waits for the greeting and keeps its capabilities in
  <metadata>/Repository-R/mailsync-capabilities (server, port, user and
  the list; no password); the next run's login reaches the server before
  the server greets (the server waits for the client's first bytes).
- A greeting that is not what the login was sent for (PREAUTH, BYE, the
  capabilities changed): that connection fails, the file is dropped, one
  normal connection follows and the run finishes; never a second login on
  one connection. The next run keeps the new greeting's capabilities.
  A greeting without [CAPABILITY] is other capabilities too; an OK
  without a code before the greeting (Dovecot's "Waiting for
  authentication process to respond.." on a loaded machine) is a notice,
  not the greeting: one connection.
- A login refused with NO [AUTHENTICATIONFAILED] before the greeting is a
  wrong password as it is after it: one connection, one login, exit 1.
- A BYE [UNAVAILABLE] at that greeting is waited out as before (test
  hooks only), then one normal connection; a server that negotiates TLS
  1.2 gets no early login.
- A server that does not take a login before its greeting (it closes, or
  drops what came first and greets): a normal connection in the same run,
  and the file says early=false, so that later runs need one connection
  each (until the capabilities change). A NO to the login before any
  greeting is a wrong password, reported at once (not after socktimeout).
  A server that greets and never answers the login sent before is given
  up on long before a socktimeout of 600 s ("discard-bounded").
- Session 20 (review 1 of session 19): a server that closes on early
  talkers gives no word, which is no proof: counted (early-unanswered),
  started over by an answered run, early=false only after 3 in a row
  ("talker"); a dropped login is told by a NOOP sent behind it, answered
  while the login is not ("discard"); a wrong password's NO that comes
  after the bound is the answer: one connection, the password sent once
  ("slow-no", test hooks).
- Session 21 (review of session 20): the NOOP goes whatever the
  pipeline's limit ("probe-full") and has a bound of its own, so that
  socktimeout none never waits for ever ("probe-hung"); a run counts one
  early-unanswered whatever its connections ("talker-pool"); a NOOP
  answered before a slow NO costs a second login once, not every run
  ("out-of-order").
- Session 21 (review of session 21): a login left unanswered is sent once
  in the run, not again by the retry or the pool's other connections
  ("unanswered-pool"); a server that talks and never answers the early
  login is given up on at a deadline set at its greeting ("chatter").
- Session 22 (review22 H1): that sync fails, and the next one (autorefresh,
  the account kept) logs in again ("unanswered-autorefresh"). Review of
  session 21 L3: after a greeting with other capabilities the login's
  answer is awaited, and a NO, or no answer, is not followed by a second
  login on another connection ("changed-no", "changed-silent").
- Session 23 (review25 M2): a pool connection's login unanswered, with
  idlefolders: the sleep after that sync is without IDLE too
  ("unanswered-pool-idle"). Review25 L2: a NO to an early LOGIN after a
  greeting listing LOGINDISABLED is "mechanism gone" ("changed-logindisabled");
  after a greeting with no AUTH= at all, a NO to an early AUTHENTICATE is a
  wrong password, not sent again ("changed-noauth").
- verify-certificate FALSE (API, PyGObject): no early login unless a
  fingerprint is pinned.

No Dovecot needed. The tests of the client against Dovecot (2 waits
instead of 3, never over STARTTLS or plain) are in check-imap-fastpath.py."""

import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import mailsync_tap
import scripted_imap
import early_scripted
from early_scripted import EARLY_WAIT, IMAPS, TLS_DATA, first_session_waits, logins, server_context

TAP = mailsync_tap.Tap()
check = TAP.check

CAPABILITIES = "IMAP4rev1 UIDPLUS NAMESPACE SASL-IR AUTH=PLAIN"


def tls_server():
    server = scripted_imap.ScriptedImapServer(folders=("INBOX",), tls=server_context())
    server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % CAPABILITIES
    with server.lock:
        server.mailboxes["INBOX"].add(b"Subject: one\r\nMessage-ID: <one@early>\r\n\r\nbody\r\n")
    return server


def Account(root, name, server, socktimeout=60):
    return early_scripted.Account(root, name, server, IMAPS, socktimeout=socktimeout)


def detail(p, sessions, server):
    return (p.returncode, [(s.number, s.early[:40], len(logins(server, s))) for s in sessions],
            p.stdout[-600:], p.stderr[-900:])


def early_logins(session):
    """The logins among what the client sent before the greeting: a
    session closed at its greeting (BYE) reads no commands, so the log
    alone would never show a second login there."""
    return early_logins_in(session.early)


def early_logins_in(data):
    return sum(1 for l in data.split(b"\r\n") if l.split(b" ")[1:2] in ([b"AUTHENTICATE"], [b"LOGIN"]))


def at_most_one_login_each(server, sessions):
    return all(max(len(logins(server, s)), early_logins(s)) <= 1 for s in sessions)


def logged_in_early(session):
    """One login came before the greeting (read, or read and dropped)."""
    return early_logins(session) == 1 or early_logins_in(getattr(session, "dropped", b"")) == 1


def greeting_hook(first_greeting, then=None):
    """The first session of the run greets with @first_greeting (bytes
    sent, then the hook says how the session goes on); later sessions as
    usual. A PREAUTH session answers a login BAD, as a server in the
    authenticated state does."""
    state = {"first": None, "preauth": set()}

    def hook(server, session, tag, verb, line):
        if verb == "GREETING":
            if state["first"] is None:
                state["first"] = session.number
                if first_greeting.startswith(b"* PREAUTH"):
                    state["preauth"].add(session.number)
                return scripted_imap.Reply(first_greeting, close=first_greeting.startswith(b"* BYE"))
            if then == "preauth":
                state["preauth"].add(session.number)
                return scripted_imap.Reply(b"* PREAUTH [CAPABILITY %s] logged in already\r\n" % CAPABILITIES.encode())
            return None
        if verb in ("LOGIN", "AUTHENTICATE") and session.number in state["preauth"]:
            return scripted_imap.Reply("%s BAD already authenticated\r\n" % tag)
        return None
    return hook


def prime(account, name):
    """A run that waits for the greeting and keeps its capabilities."""
    account.server.hook = None
    account.server.early_wait = 0
    p, sessions = account.run()
    check("%s: a run keeps the greeting's capabilities" % name,
          p.returncode == 0 and "SASL-IR" in account.cached() and "user=u" in account.cached()
          and "secret-pw" not in account.cached(), (detail(p, sessions, account.server), account.cached()))


def scenario_early(root):
    server = tls_server()
    try:
        account = Account(root, "early", server)
        p, sessions = account.run()
        check("early: the first run waits for the greeting and syncs",
              p.returncode == 0 and len(sessions) == 1 and not sessions[0].early, detail(p, sessions, server))
        text = account.cached()
        check("early: it keeps the greeting's capabilities, server, port and user, no password",
              "capabilities=IMAP4rev1;UIDPLUS;NAMESPACE;SASL-IR;AUTH=PLAIN;" in text and "host=127.0.0.1" in text
              and "port=%d" % server.port in text and "user=u" in text and "secret-pw" not in text, text)
        check("early: the file is the user's only (0600)", os.path.exists(account.cache)
              and os.stat(account.cache).st_mode & 0o077 == 0, account.cache)
        server.early_wait = EARLY_WAIT
        p, sessions = account.run()
        check("early: the next run's login reaches the server before its greeting",
              p.returncode == 0 and len(sessions) == 1 and sessions[0].early.split(b" ")[1:2] == [b"AUTHENTICATE"],
              detail(p, sessions, server))
        check("early: one login on the connection", len(sessions) == 1 and len(logins(server, sessions[0])) == 1,
              detail(p, sessions, server))
    finally:
        server.close()


def scenario_fallback(root, name, first_greeting, then=None, changed=None):
    """The greeting the early login meets is @first_greeting: that
    connection fails, one normal connection follows, the run finishes."""
    server = tls_server()
    try:
        account = Account(root, name, server)
        prime(account, name)
        if changed is not None:
            server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % changed
        server.hook = greeting_hook(first_greeting, then) if first_greeting is not None else None
        server.early_wait = first_session_waits(server)
        p, sessions = account.run()
        server.early_wait = 0
        check("%s: the first connection logged in before the greeting" % name,
              len(sessions) >= 1 and logged_in_early(sessions[0]), detail(p, sessions, server))
        check("%s: the run finishes (exit 0) on a second, normal connection" % name,
              p.returncode == 0 and len(sessions) == 2, detail(p, sessions, server))
        check("%s: at most one login per connection" % name, at_most_one_login_each(server, sessions),
              detail(p, sessions, server))
        if then == "preauth":
            check("%s: no login at all on the PREAUTH connection that follows" % name,
                  len(sessions) == 2 and not logins(server, sessions[1]), detail(p, sessions, server))
            check("%s: the capabilities are forgotten (a PREAUTH greeting is not kept)" % name,
                  account.cached() == "", account.cached())
        else:
            check("%s: the next connection logs in once, after the greeting" % name,
                  len(sessions) == 2 and len(logins(server, sessions[1])) == 1 and not sessions[1].early,
                  detail(p, sessions, server))
            want = changed if changed is not None else CAPABILITIES
            check("%s: the new greeting's capabilities are kept" % name,
                  account.cached().count("capabilities=%s;" % ";".join(want.split())) == 1, account.cached())
        # The run after: one connection, no failed one.
        server.hook = greeting_hook(b"* PREAUTH [CAPABILITY %s] logged in already\r\n" % CAPABILITIES.encode(),
                                    "preauth") if then == "preauth" else None
        p, sessions = account.run()
        check("%s: the run after needs one connection" % name, p.returncode == 0 and len(sessions) == 1,
              detail(p, sessions, server))
    finally:
        server.close()


def scenario_changed_judged(root, name, answer, changed=CAPABILITIES + " ID"):
    """The greeting has other capabilities than the login sent before it
    was chosen by, and the server judges that login (it reads it after
    its greeting): @answer(tag) is its answer (a NO to a wrong password),
    or None: no answer at all, nor to the NOOP behind it (socktimeout
    none). Its answer is awaited, bounded as any early login's, and the
    password is not sent again on another connection: a NO is a wrong
    password (exit 1), no answer a login that may have been judged (exit
    1); one login in the run either way (review of session 21 L3:
    before, the connection failed at the greeting and the next one sent
    the password a second time). The file is forgotten. @changed: the
    greeting's capabilities (one with no AUTH= at all says nothing of the
    mechanisms: the NO is a wrong password, not "unsupported mechanism";
    review25 L2)."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("%s: one login after a greeting with other capabilities" % name, mailsync_tap.NO_HOOKS)
        return
    server = tls_server()
    try:
        account = Account(root, name, server, socktimeout=0)
        prime(account, name)
        server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % changed

        def judged(server, session, tag, verb, line):
            if verb in ("LOGIN", "AUTHENTICATE"):
                return scripted_imap.Reply(answer(tag)) if answer is not None else scripted_imap.Silence()
            if verb == "NOOP" and answer is None:
                return scripted_imap.Silence()
            return None
        # a wrong password is wrong on every connection; a silent server
        # only on the first (a second login, as before, is answered)
        server.hook = judged if answer is not None else early_scripted.first_session_hook(judged)
        server.early_wait = first_session_waits(server)
        p, sessions = account.run(extra_env=early_scripted.SHORT_BOUND, deadline=120)
        server.early_wait = 0
        server.hook = None
        every = sum(max(len(logins(server, s)), early_logins(s)) for s in sessions)
        check("%s: the login went before a greeting with other capabilities" % name,
              len(sessions) >= 1 and logged_in_early(sessions[0]), detail(p, sessions, server))
        check("%s: its answer awaited: exit 1, one connection, the password sent once" % name,
              p.returncode == 1 and len(sessions) == 1 and every == 1, (detail(p, sessions, server), every))
        check("%s: the file is forgotten" % name, "SASL-IR" not in account.cached(), account.cached())
    finally:
        server.close()


def scenario_changed_nomech(root, name="changed-nomech", primed=CAPABILITIES,
                            changed="IMAP4rev1 UIDPLUS NAMESPACE SASL-IR AUTH=SCRAM-SHA-1"):
    """The greeting has other capabilities (@changed; the run before was
    greeted with @primed), and the mechanism the login sent before it
    used is no longer among them: AUTHENTICATE PLAIN where other AUTH=
    are listed and not AUTH=PLAIN, or the LOGIN command where LOGINDISABLED
    is listed ("changed-logindisabled"). The server answers that login NO:
    most likely "unsupported mechanism", not a judged password (review24
    L1): the connection fails as for any other capabilities and one
    normal connection follows; the run finishes, the new capabilities are
    kept."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("%s: a NO to a mechanism no longer offered is not a wrong password" % name,
                 mailsync_tap.NO_HOOKS)
        return
    server = tls_server()
    try:
        server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % primed
        account = Account(root, name, server, socktimeout=0)
        prime(account, name)
        server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % changed
        early_verb = "AUTHENTICATE" if "AUTH=PLAIN" in primed.split() else "LOGIN"

        def no_mechanism(server, session, tag, verb, line):
            if verb == early_verb:
                return scripted_imap.Reply("%s NO Unsupported authentication mechanism.\r\n" % tag)
            return None
        server.hook = early_scripted.first_session_hook(no_mechanism)
        server.early_wait = first_session_waits(server)
        p, sessions = account.run(extra_env=early_scripted.SHORT_BOUND, deadline=120)
        server.early_wait = 0
        server.hook = None
        check("%s: the login went before the greeting (%s)" % (name, early_verb),
              len(sessions) >= 1 and logged_in_early(sessions[0])
              and sessions[0].early.split(b" ")[1:2] == [early_verb.encode()], detail(p, sessions, server))
        check("%s: the run finishes (exit 0) on a second, normal connection that logs in once" % name,
              p.returncode == 0 and len(sessions) == 2 and len(logins(server, sessions[1])) == 1
              and not sessions[1].early, detail(p, sessions, server))
        check("%s: the new greeting's capabilities are kept" % name,
              account.cached().count("capabilities=%s;" % ";".join(changed.split())) == 1, account.cached())
    finally:
        server.close()


def scenario_notice(root):
    """Dovecot's login process, not yet connected to its auth process when
    the login arrives (a loaded machine), answers the client's first bytes
    with "* OK Waiting for authentication process to respond.." and greets
    once connected: that notice is not the greeting, and the login sent
    early goes through on the one connection (check-imap-fastpath.py saw
    two logins under load). A greeting with no [CAPABILITY] at all still
    falls back (scenario_fallback "nocaps")."""
    server = tls_server()
    try:
        account = Account(root, "notice", server)
        prime(account, "notice")
        server.hook = greeting_hook(b"* OK Waiting for authentication process to respond..\r\n"
                                    b"* OK [CAPABILITY %s] scripted server ready\r\n" % CAPABILITIES.encode())
        server.early_wait = first_session_waits(server)
        p, sessions = account.run()
        server.early_wait = 0
        check("notice: the login went before the greeting",
              len(sessions) >= 1 and logged_in_early(sessions[0]), detail(p, sessions, server))
        check("notice: an OK without a code before the greeting is not the greeting: one connection, one login",
              p.returncode == 0 and len(sessions) == 1 and len(logins(server, sessions[0])) == 1,
              detail(p, sessions, server))
        check("notice: the file keeps the capabilities, early allowed",
              "capabilities=%s;" % ";".join(CAPABILITIES.split()) in account.cached()
              and "early=false" not in account.cached(), account.cached())
        server.hook = None
        server.early_wait = EARLY_WAIT
        p, sessions = account.run()
        server.early_wait = 0
        check("notice: the run after logs in early again, on one connection",
              p.returncode == 0 and len(sessions) == 1 and sessions[0].early.split(b" ")[1:2] == [b"AUTHENTICATE"],
              detail(p, sessions, server))
    finally:
        server.close()


def scenario_throttled(root):
    """A BYE that limits us ("[UNAVAILABLE] too many connections") at the
    greeting after an early login: waited out as before, then one normal
    connection (the file was dropped). Needs the throttle test hook."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("throttled: BYE [UNAVAILABLE] at the greeting after an early login", mailsync_tap.NO_HOOKS)
        return
    server = tls_server()
    try:
        account = Account(root, "throttled", server)
        prime(account, "throttled")
        server.hook = greeting_hook(b"* BYE [UNAVAILABLE] Too many simultaneous connections\r\n")
        server.early_wait = first_session_waits(server)
        p, sessions = account.run({"MAILSYNC_TEST_THROTTLE_BASE_MS": "40"})
        server.early_wait = 0
        check("throttled: the first connection logged in before the greeting",
              len(sessions) >= 1 and logged_in_early(sessions[0]), detail(p, sessions, server))
        check("throttled: the run waits, connects once more and finishes (exit 0)",
              p.returncode == 0 and len(sessions) == 2 and "uthentication" not in p.stdout + p.stderr,
              detail(p, sessions, server))
        check("throttled: at most one login per connection, the second after its greeting",
              at_most_one_login_each(server, sessions) and len(sessions) == 2
              and len(logins(server, sessions[1])) == 1, detail(p, sessions, server))
    finally:
        server.close()


def scenario_ignored(root, name, hook, socktimeout=60, deadline=300, proof=True, env=None):
    """A server (or a box on the way) that does not take a login before its
    greeting (early_scripted.scenario_ignored): one normal connection
    follows in the same run, and the file says early=false. With a
    @socktimeout beyond the @deadline, a server that greets and never
    answers the login is given up on sooner (review 2 Low 4 of session
    18)."""
    server = tls_server()
    try:
        account = Account(root, name, server, socktimeout=socktimeout)
        prime(account, name)

        def change(server):
            server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % (CAPABILITIES + " ID")
            return CAPABILITIES + " ID"
        early_scripted.scenario_ignored(TAP, account, name, "the login", hook, logged_in_early, detail, CAPABILITIES,
                                        change, deadline=deadline, proof=proof, env=env)
    finally:
        server.close()


def scenario_slow_no(root):
    """A wrong password whose NO comes after the bound on the login's
    answer (Dovecot's auth_failure_delay is 2 s, other servers wait 10-60
    s; the bound is shortened by a test hook, and the server holds its NO
    until the client has given up waiting, not for a fixed time): the NO
    is the answer. Before (review 1 of session 19, item 3) the client took
    the silence for a server that drops early logins, connected again and
    sent the same password a second time (two failed logins counted
    against the account), and wrote early=false."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("slow-no: a NO after the bound on the early login's answer", mailsync_tap.NO_HOOKS)
        return
    server = tls_server()
    try:
        account = Account(root, "slow-no", server, socktimeout=600)
        prime(account, "slow-no")

        def slow_no(server, session, tag, verb, line):
            if verb in ("LOGIN", "AUTHENTICATE"):
                # until the client's NOOP is read, however slow the client
                # (before, until the socket was readable: the LIST sent
                # with the login, in a TLS record of its own, was enough,
                # and the NO went before the client's bound; seen once
                # under load); the NOOP is answered after the NO
                session.noop_tag = server.wait_for_command(session, "NOOP")
                return scripted_imap.Reply("%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" % tag)
            return None
        server.hook = early_scripted.first_session_hook(slow_no)
        server.early_wait = first_session_waits(server)
        p, sessions = account.run(extra_env=early_scripted.SHORT_BOUND, deadline=150)
        server.early_wait = 0
        server.hook = None
        every = [l for s in sessions for l in logins(server, s)]
        check("slow-no: the login went before the greeting",
              len(sessions) >= 1 and logged_in_early(sessions[0]), detail(p, sessions, server))
        check("slow-no: a failed login (exit 1), one connection, the password sent once",
              p.returncode == 1 and len(sessions) == 1 and len(every) == 1 and "uthentication" in p.stdout + p.stderr,
              (detail(p, sessions, server), every))
        check("slow-no: a NOOP went behind the unanswered login, no second login",
              len(sessions) >= 1 and getattr(sessions[0], "noop_tag", None) is not None
              and "NOOP" in early_scripted.verbs(server, sessions[0]),
              ("the server waited 120 s for the client's NOOP and gave up" if sessions
               and getattr(sessions[0], "noop_tag", "") is None else "",
               early_scripted.commands(server, sessions[0]) if sessions else None))
        check("slow-no: the file keeps the capabilities, early, nothing counted",
              "capabilities=%s;" % ";".join(CAPABILITIES.split()) in account.cached()
              and "early=" not in account.cached() and "early-unanswered" not in account.cached(), account.cached())
    finally:
        server.close()


def scenario_out_of_order(root):
    """A server that works on pipelined commands at once (RFC 9051 5.5
    allows it; none is known to do so before login) and answers the NOOP
    behind a slow early login before the login: taken for one that dropped
    the login, so the password goes once more on the usual connection
    (review of session 20 Low 2; doc/design.md says why that is accepted).
    With a wrong password that is two failed logins, once: the file says
    early=false at once, so the next run sends it once. Before, early=false
    was written only when the usual connection logged in, and every run
    with a wrong password sent it twice."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("out-of-order: a NOOP answered before a slow NO costs one second login, once",
                 mailsync_tap.NO_HOOKS)
        return
    server = tls_server()
    try:
        account = Account(root, "out-of-order", server, socktimeout=600)
        prime(account, "out-of-order")

        def wrong_password(server, session, tag, verb, line):
            if verb in ("LOGIN", "AUTHENTICATE"):
                return scripted_imap.Reply("%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" % tag)
            return None

        def noop_first(server, session, tag, verb, line):
            if verb in ("LOGIN", "AUTHENTICATE") and session.early:
                # until the client's NOOP is read (not any write: the
                # LIST sent with the login may come in a TLS record of
                # its own), which is answered first; the login's NO after
                noop = server.wait_for_command(session, "NOOP", take=True)
                if noop is not None:
                    session.noop_first = noop
                    session.send("%s OK NOOP completed\r\n" % noop)
            return wrong_password(server, session, tag, verb, line)

        def run(wait):
            first = early_scripted.first_session_hook(noop_first)
            server.hook = lambda *a: first(*a) or wrong_password(*a)
            server.early_wait = first_session_waits(server, wait)
            p, sessions = account.run(extra_env=early_scripted.SHORT_BOUND, deadline=150)
            server.early_wait = 0
            server.hook = None
            every = [l for s in sessions for l in logins(server, s)]
            return p, sessions, every

        p, sessions, every = run(EARLY_WAIT)
        check("out-of-order: the NOOP went behind the early login and was answered first",
              len(sessions) >= 1 and logged_in_early(sessions[0])
              and getattr(sessions[0], "noop_first", None) is not None
              and "NOOP" in early_scripted.verbs(server, sessions[0]),
              ("" if sessions and getattr(sessions[0], "noop_first", None) is not None
               else "the server waited 120 s for the client's NOOP and gave up", detail(p, sessions, server)))
        check("out-of-order: taken for a dropped login: the password once more on the usual connection (exit 1)",
              p.returncode == 1 and len(sessions) == 2 and len(every) == 2 and not sessions[1].early,
              (detail(p, sessions, server), every))
        check("out-of-order: early=false is written at once, though no login succeeded",
              "early=false" in account.cached() and "SASL-IR" in account.cached(), account.cached())
        # long enough to see a login sent early, short for the greeting it delays
        p, sessions, every = run(2)
        check("out-of-order: the run after sends the password once, after the greeting (exit 1)",
              p.returncode == 1 and len(sessions) == 1 and len(every) == 1 and not sessions[0].early,
              (detail(p, sessions, server), every))
    finally:
        server.close()


def scenario_probe_full(root):
    """The NOOP behind an unanswered early login goes whatever the
    pipeline's limit (review of session 20 Low 1): 5 throttles halve it to
    2, which the login and its LIST fill; the NOOP was held behind them,
    never written, and with socktimeout none (0) a server that dropped the
    login kept the run waiting for ever. Here the server refuses 5 early
    logins NO [THROTTLED], then drops the 6th and greets: the NOOP goes,
    is answered, and one normal connection follows."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("probe-full: the NOOP goes with the pipeline full of throttled halvings", mailsync_tap.NO_HOOKS)
        return
    throttles = 5
    server = tls_server()
    try:
        account = Account(root, "probe-full", server, socktimeout=0)
        prime(account, "probe-full")
        base = len(server.sessions)

        def hook(server, session, tag, verb, line):
            n = session.number - base
            if n <= throttles and verb in ("LOGIN", "AUTHENTICATE"):
                return scripted_imap.Reply("%s NO [THROTTLED] Too many logins, try again later\r\n" % tag)
            if n == throttles + 1:
                return early_scripted.drop_before_greeting(server, session, tag, verb, line)
            return None
        server.hook = hook
        server.early_wait = lambda session: EARLY_WAIT if session.number - base <= throttles + 1 else 0
        env = dict(early_scripted.SHORT_BOUND, MAILSYNC_TEST_THROTTLE_BASE_MS="40")
        p, sessions = account.run(extra_env=env, args=("-d", "imap"), deadline=120)
        server.early_wait = 0
        server.hook = None
        check("probe-full: %d throttled early logins leave 2 commands in flight, then one dropped" % throttles,
              len(sessions) > throttles and "then 2 commands in flight" in p.stdout + p.stderr
              and logged_in_early(sessions[throttles]) and bool(getattr(sessions[throttles], "dropped", b"")),
              detail(p, sessions, server))
        check("probe-full: the NOOP went behind the dropped login, and a normal connection ends the run (exit 0)",
              p.returncode == 0 and len(sessions) == throttles + 2
              and "NOOP" in early_scripted.verbs(server, sessions[throttles])
              and not sessions[-1].early and len(logins(server, sessions[-1])) == 1, detail(p, sessions, server))
    finally:
        server.close()


def scenario_probe_hung(root):
    """A server that greets, says one untagged line more, and then answers
    nothing, neither the early login nor the NOOP behind it, with
    socktimeout none (0): the bound on the login's answer runs again after
    that line, and the NOOP has a bound of its own (review of session 20
    Low 1; before, the line ended the bound and the run waited for ever).
    The login may be judged: a failed run, the password sent once, nothing
    counted in the file."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("probe-hung: the NOOP's own bound ends a server that answers nothing", mailsync_tap.NO_HOOKS)
        return
    server = tls_server()
    try:
        account = Account(root, "probe-hung", server, socktimeout=0)
        prime(account, "probe-hung")
        before = account.cached()

        def hung(server, session, tag, verb, line):
            # an untagged line after the greeting, and then not a word
            if verb == "GREETING":
                return scripted_imap.Reply(server.greeting + "* OK [ALERT] busy, please wait\r\n")
            return scripted_imap.Silence()
        server.hook = early_scripted.first_session_hook(hung)
        server.early_wait = first_session_waits(server)
        p, sessions = account.run(extra_env=early_scripted.SHORT_BOUND, deadline=120)
        server.early_wait = 0
        server.hook = None
        every = [l for s in sessions for l in logins(server, s)]
        check("probe-hung: the login went before the greeting",
              len(sessions) >= 1 and logged_in_early(sessions[0]), detail(p, sessions, server))
        check("probe-hung: the run ends (exit 1) on that connection, a NOOP behind the login, the password sent once",
              p.returncode == 1 and len(sessions) == 1 and len(every) == 1
              and "NOOP" in early_scripted.verbs(server, sessions[0]) and "NOOP" in p.stdout + p.stderr,
              (detail(p, sessions, server), every))
        check("probe-hung: the file is left as it was (early, nothing counted)",
              account.cached() == before and "SASL-IR" in before, (before, account.cached()))
    finally:
        server.close()


def add_to_each(server, folders, word):
    """Something new in every folder (Message-ID <WORD-FOLDER@early>): each
    is synced."""
    with server.lock:
        for folder in folders:
            server.mailboxes[folder].add(b"Subject: %s\r\nMessage-ID: <%s-%s@early>\r\n\r\nbody\r\n"
                                         % (word.encode(), word.encode(), folder.encode()))


def folders_server(folders):
    """tls_server() with @folders, one message in each."""
    server = scripted_imap.ScriptedImapServer(folders=folders, tls=server_context())
    server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % CAPABILITIES
    add_to_each(server, folders, "one")
    return server


def scenario_unanswered_pool(root):
    """maxconnections 2, three folders, retrycount 1, socktimeout none: the
    run's first connection (the open, its LIST) is answered; the second
    is greeted and then answered nothing, neither the login sent before
    the greeting nor the NOOP behind it (pool_hook). That connect
    fails with the password on the wire, maybe being judged: it is sent
    there once, and no other connection of the run logs in again, neither
    the runner's retry nor the pool's other slot (review of session 21
    M1: before, up to 1 + folders x (1 + retrycount) times); one error,
    the run fails."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("unanswered-pool: the password sent once in the run", mailsync_tap.NO_HOOKS)
        return
    server = folders_server(("INBOX", "A", "B"))
    try:
        account = early_scripted.Account(root, "unanswered-pool", server, IMAPS, socktimeout=0,
                                         remote="maxconnections = 2\nretrycount = 1\n")
        prime(account, "unanswered-pool")
        add_to_each(server, ("INBOX", "A", "B"), "two")
        server.hook, state = pool_hook()
        p, sessions = account.run(extra_env=early_scripted.SHORT_BOUND, deadline=120)
        server.hook = None
        check("unanswered-pool: a second connection greeted while the first's download was held (100 s)",
              not state["late"], detail(p, sessions, server))
        later = [l for s in sessions if s.number != state["first"] for l in logins(server, s)]
        # the account's error (a folder's "Aborting sync" repeats it)
        errors = [l for l in p.stderr.splitlines() if l.startswith(" ERROR:") and "Aborting sync" not in l]
        check("unanswered-pool: the run fails (exit 1); after the first connection the password went once, "
              "one error, no retry",
              p.returncode == 1 and len(later) == 1 and len(errors) == 1 and "Repository R" in errors[0]
              and "NOOP" in errors[0] and "reconnecting" not in p.stderr,
              (detail(p, sessions, server), later, errors))
    finally:
        server.close()


def pool_hook():
    """The hook of a run whose first connection is answered and whose
    second is greeted and then answered nothing (neither the login sent
    before the greeting nor the NOOP behind it); later ones as usual. The
    first's downloads are held until a second connection is greeted (else
    its folders may all finish there first and no second connection is
    made: review24). state["silent"]: the second's number; state["late"]:
    no second connection within 100 s."""
    state = {"first": None, "silent": None, "late": False}
    greeted = threading.Condition()

    def hook(server, session, tag, verb, line):
        if verb == "GREETING":
            with greeted:
                if state["first"] is None:
                    state["first"] = session.number
                elif state["silent"] is None:
                    state["silent"] = session.number
                greeted.notify_all()
        if session.number == state["first"] and downloading(verb, line):
            with greeted:
                if not greeted.wait_for(lambda: state["silent"] is not None, 100):
                    state["late"] = True
        if session.number != state["silent"] or verb == "GREETING":
            return None
        return scripted_imap.Silence()
    return hook, state


def first_hook():
    """The hook of a run whose first connection is greeted and then
    answered nothing; the others as usual (state["silent"])."""
    state = {"silent": None}

    def hook(server, session, tag, verb, line):
        if state["silent"] is None and verb == "GREETING":
            state["silent"] = session.number
        if session.number != state["silent"] or verb == "GREETING":
            return None
        return scripted_imap.Silence()
    return hook, state


def scenario_unanswered_autorefresh(root, idle=False, pool=False):
    """autorefresh (one account kept across syncs, as an API client keeping
    its account does): the first sync's login is never answered (nor the
    NOOP behind it), socktimeout none; the later connections are answered.
    That sync fails, and no other connection of it logs in; the next sync
    connects and logs in again, and syncs (review22 H1: the record of the
    unanswered login was cleared only at close, which a failed open never
    reaches: every sync failed at once for an hour, and the CLI's loop
    ended after three failures). @idle: idlefolders = INBOX, A: the sleep
    after the failed sync is without IDLE, no login before the next sync
    (review24 M-B: each IDLE account logged in within seconds). @pool
    (with @idle): maxconnections 2, three folders, the first connection
    answered and the second's login unanswered: only that connection's
    folders fail, the account's sync is partial, and the sleep is without
    IDLE all the same (review25 M2: the runner looked at the account's
    error only, and IDLE logged in again within seconds)."""
    name = "unanswered-pool-idle" if pool else "unanswered-autorefresh-idle" if idle else "unanswered-autorefresh"
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("%s: the next sync logs in again" % name, mailsync_tap.NO_HOOKS)
        return
    folders = ("INBOX", "A", "B") if pool else ("INBOX",)
    server = folders_server(folders)
    if idle and not pool:
        server.mailboxes["A"] = scripted_imap.Mailbox(1100)
    remote = "idlefolders = ['INBOX', 'A']\n" if idle else ""
    if pool:
        remote += "maxconnections = 2\nretrycount = 1\n"
    try:
        account = early_scripted.Account(root, name, server, IMAPS, socktimeout=0, remote=remote)
        with open(account.config) as f:
            config = f.read()
        with open(account.config, "w") as f:
            f.write(config.replace("[Account T]\n", "[Account T]\nautorefresh = 0.01\n", 1))
        server.hook = None
        p, sessions = account.run(args=("-o",))
        check("%s: a first run (-o) syncs" % name, p.returncode == 0, detail(p, sessions, server))
        add_to_each(server, folders, "two")
        server.hook, state = pool_hook() if pool else first_hook()
        first = len(server.sessions)
        env = dict(os.environ, HOME=account.work, **early_scripted.SHORT_BOUND)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        d = mailsync_tap.Running([mailsync_tap.MAILSYNC, "-c", account.config], env=env,
                                 stdin=subprocess.DEVNULL)
        # two syncs finished, or the loop ended (three failures)
        d.wait_text(lambda t: t.count("*** Finished account") >= 2 or d.proc.poll() is not None, 120)
        if d.proc.poll() is None:
            d.send_signal(signal.SIGUSR2)  # stop after the current sync
        _, out, err = d.finish(60)
        server.hook = None
        sessions = server.sessions[first:]
        later = [s for s in sessions if state["silent"] is not None and s.number > state["silent"]]
        errors = [l for l in err.splitlines() if l.startswith(" ERROR:") and "Aborting sync" not in l]
        received = all(any(b"<two-%s@early>" % folder.encode() in open(os.path.join(dirpath, f), "rb").read()
                           for dirpath, _, names in os.walk(os.path.join(account.work, "Mail"))
                           for f in names) for folder in folders)
        if pool:
            check("%s: a second connection greeted while the first's download was held (100 s)" % name,
                  not state["late"], detail(p, sessions, server))
        check("%s: the first sync's login unanswered, sent once, one error" % name,
              state["silent"] is not None and len(errors) == 1 and "NOOP" in errors[0]
              and sum(max(len(logins(server, s)), early_logins(s)) for s in sessions
                      if s.number == state["silent"]) == 1,
              (errors, [(s.number, len(logins(server, s))) for s in sessions], err[-900:]))
        check("%s: the next sync logs in again and syncs (the new messages are here)" % name,
              len(later) >= 1 and len(logins(server, later[0])) + early_logins(later[0]) >= 1 and received
              and (out + err).count("*** Finished account") >= 2,
              ([(s.number, len(logins(server, s))) for s in sessions], received, out[-600:], err[-900:]))
        if idle:
            # the next sync's session is the first to SELECT after the
            # unanswered one (it downloads the new message); an IDLE
            # account's session logs in and LISTs, and here ends at the
            # IDLE the server does not offer
            syncing = [s.number for s in later if "SELECT" in early_scripted.verbs(server, s)]
            between = [s for s in later if syncing and s.number < syncing[0]]
            check("%s: no login between the two syncs" % name,
                  syncing and not any(logins(server, s) or early_logins(s) for s in between),
                  ([(s.number, early_scripted.verbs(server, s)) for s in sessions], out[-600:], err[-900:]))
            check("%s: the sleep said it was without IDLE" % name, "sleeping without IDLE" in out + err,
                  (out[-600:], err[-900:]))
    finally:
        server.close()


def scenario_chatter(root):
    """A server that greets and then sends an untagged line every 300 ms,
    more often than the bound (1 s here), and never answers the login sent
    before its greeting, with socktimeout none (0): each line starts the
    bound again (a server that talks is alive), but never past a deadline
    set at the greeting (review of session 21 L1: before, the run waited
    for ever). The run ends, failed, the password sent once."""
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("chatter: a server that talks and never answers ends the run", mailsync_tap.NO_HOOKS)
        return
    server = tls_server()
    stop = {"now": False}
    try:
        account = Account(root, "chatter", server, socktimeout=0)
        prime(account, "chatter")

        def chatter(server, session, tag, verb, line):
            # runs on the session's thread, which reads nothing meanwhile:
            # the login stays unread, unanswered; ends when the client
            # closes (the write fails) or the test is over
            if verb != "GREETING":
                return scripted_imap.Silence()
            session.send(server.greeting)
            until = time.monotonic() + 100
            while not stop["now"] and time.monotonic() < until:
                time.sleep(0.3)
                session.send(b"* OK still here\r\n")
            return scripted_imap.Close()
        server.hook = early_scripted.first_session_hook(chatter)
        server.early_wait = first_session_waits(server)
        p, sessions = account.run(extra_env=early_scripted.SHORT_BOUND, deadline=60)
        stop["now"] = True
        server.early_wait = 0
        server.hook = None
        every = sum(max(len(logins(server, s)), early_logins(s)) for s in sessions)
        check("chatter: the run ends (exit 1) within the test's deadline, on one connection, the password sent once",
              p.returncode == 1 and len(sessions) == 1 and every == 1, (detail(p, sessions, server), every))
    finally:
        stop["now"] = True
        server.close()


def close_early_talkers(server, session, tag, verb, line):
    """Closes a connection whose client spoke before the greeting."""
    if verb == "GREETING" and session.early:
        return scripted_imap.Close()
    return None


def downloading(verb, line):
    """A message's download (not a listing's FETCH of flags)."""
    return verb == "UID FETCH" and "BODY" in line.upper()


def hold_downloads(count, hook=None, deadline=120):
    """A hook that holds every download unanswered until @count sessions
    have logged in (after their greeting), so that a run with as many
    folders, each with a new message, opens that many connections
    whatever the machine's speed: a folder that finished on the main
    connection first released it to the next folder, and no further
    connection was made (review24: talker-pool saw 2 of 3 once under
    ASan). Not the SELECTs: the listings before the folders' syncs
    (one connection) would wait for connections never asked for. At
    most @deadline seconds; then the downloads go on and state["late"]
    says so. Other commands go to @hook."""
    held = threading.Condition()
    state = {"logged_in": set(), "late": False}

    def hook_(server, session, tag, verb, line):
        action = hook(server, session, tag, verb, line) if hook else None
        if action is not None:
            return action
        if verb in ("LOGIN", "AUTHENTICATE"):
            with held:
                state["logged_in"].add(session.number)
                held.notify_all()
        elif downloading(verb, line):
            with held:
                if not held.wait_for(lambda: len(state["logged_in"]) >= count, deadline):
                    state["late"] = True
        return None
    return hook_, state


def scenario_talker_pool(root):
    """maxconnections 3 and a server that closes on early talkers (one
    network blip that stalls every connect of a run): each connection of
    the run goes early, is closed and falls back, and the run counts one
    early-unanswered, not three (review of session 20 Low 3: three was
    early=false, the fast path off until the capabilities change). The
    server holds the downloads until three sessions have logged in: three
    connections whatever the machine's speed."""
    server = scripted_imap.ScriptedImapServer(folders=("INBOX", "A", "B"), tls=server_context())
    server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % CAPABILITIES
    with server.lock:
        for name in ("INBOX", "A", "B"):
            server.mailboxes[name].add(b"Subject: one\r\nMessage-ID: <one-%s@early>\r\n\r\nbody\r\n" % name.encode())
    try:
        account = early_scripted.Account(root, "talker-pool", server, IMAPS, remote="maxconnections = 3\n")
        prime(account, "talker-pool")
        # something new in every folder: each is synced, in parallel
        with server.lock:
            for name in ("INBOX", "A", "B"):
                server.mailboxes[name].add(b"Subject: two\r\nMessage-ID: <two-%s@early>\r\n\r\nbody\r\n"
                                           % name.encode())
        base = len(server.sessions)
        # connects take turns (one at a time): each early one, closed, is
        # followed by its usual one, which the server greets at once
        server.early_wait = lambda session: EARLY_WAIT if (session.number - base) % 2 == 1 else 0
        server.hook, held = hold_downloads(3, close_early_talkers)
        p, sessions = account.run()
        server.early_wait = 0
        server.hook = None
        talked = [s for s in sessions if s.early]
        check("talker-pool: the downloads held until 3 sessions had logged in (120 s)", not held["late"],
              ("only %d sessions logged in within 120 s" % len(held["logged_in"]), detail(p, sessions, server)))
        check("talker-pool: the run finishes (exit 0); its 3 connections each went early and fell back",
              p.returncode == 0 and len(talked) == 3 and len(sessions) == 6, detail(p, sessions, server))
        check("talker-pool: one early-unanswered counted for the run, not one per connection",
              "early-unanswered=1" in account.cached() and "early=false" not in account.cached(), account.cached())
    finally:
        server.close()


def scenario_no_before_greeting(root):
    """A tagged NO [AUTHENTICATIONFAILED] to the login, before any
    greeting: a wrong password, reported at once, not after socktimeout."""
    server = tls_server()
    try:
        # far apart: the run's own time under load (ASan, load 10+)
        # against a wait for socktimeout
        account = Account(root, "no-first", server, socktimeout=150)
        prime(account, "no-first")
        seen = []

        def hook(server, session, tag, verb, line):
            if verb == "GREETING" and session.early:
                seen.append(session.early)
                first = session.early.split(b" ", 1)[0]
                session.early = b""
                return scripted_imap.Reply(first + b" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
            return None
        server.hook = hook
        server.early_wait = first_session_waits(server)
        start = time.monotonic()
        p, sessions = account.run()
        took = time.monotonic() - start
        server.early_wait = 0
        check("no-first: the login went before the greeting, and was answered NO before any greeting",
              len(sessions) >= 1 and len(seen) == 1 and b"AUTHENTICATE" in seen[0], detail(p, sessions, server))
        check("no-first: a failed login (exit 1) on one connection, well before socktimeout (150 s)",
              p.returncode == 1 and len(sessions) == 1 and "uthentication" in p.stdout + p.stderr and took < 90,
              (took, detail(p, sessions, server)))
    finally:
        server.close()


def scenario_noverify(root):
    """verify-certificate FALSE (API only): a certificate nobody checked
    gets no login before the greeting, unless a pinned fingerprint
    (cert-fingerprint) names it. Through the GObject API (PyGObject)."""
    try:
        import gi
        gi.require_version("Mailsync", "1.0")
        from gi.repository import Mailsync
    except (ImportError, ValueError) as e:
        TAP.skip("noverify: no login before the greeting to an unchecked certificate", "no PyGObject: %s" % e)
        TAP.skip("noverify: a pinned fingerprint still logs in before the greeting", "no PyGObject: %s" % e)
        return
    import hashlib
    server = tls_server()
    try:
        cache = os.path.join(root, "noverify-capabilities")
        with open(cache, "w") as f:
            f.write("[greeting]\nhost=127.0.0.1\nport=%d\nuser=u\ncapabilities=%s;\n"
                    % (server.port, CAPABILITIES.replace(" ", ";")))
        with open(os.path.join(TLS_DATA, "server.pem")) as f:
            pin = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()

        def open_once(fingerprint):
            repo = Mailsync.ImapRepository.new("R", "127.0.0.1", server.port)
            # no ca-file: the test CA is not trusted, and nothing is verified
            for name, value in (("ssl", True), ("user", "u"), ("password", "secret-pw"),
                                ("verify-certificate", False), ("capability-cache", cache)):
                repo.set_property(name, value)
            if fingerprint:
                repo.set_property("cert-fingerprint", fingerprint)
            first = len(server.sessions)
            try:
                repo.open(None)
                result = "opened"
            except Exception as e:  # the check below shows it
                result = str(e)
            try:
                repo.close(None)
            except Exception:
                pass
            return result, [s.early[:40] for s in server.sessions[first:]]

        # long enough to see a login sent early, short for the greeting it delays
        server.early_wait = 3
        result, early = open_once(None)
        check("noverify: no login before the greeting to an unchecked certificate",
              result == "opened" and early == [b""], (result, early))
        server.early_wait = first_session_waits(server)
        result, early = open_once(pin)
        check("noverify: a pinned fingerprint still logs in before the greeting",
              result == "opened" and len(early) == 1 and b"AUTHENTICATE" in early[0], (result, early))
    finally:
        server.close()


def command_before_greeting(p):
    """From `mailsync -d imap`'s protocol lines: whether a command went out
    before the server's first line was read."""
    for line in (p.stdout + p.stderr).splitlines():
        if line.startswith("[imap]") and " C: " in line:
            return True
        if line.startswith("[imap]") and " S: " in line:
            return False
    return None


def scenario_tls12(root):
    """A server that negotiates TLS 1.2: the client's Finished is not the
    last word of the handshake there, and nothing is gained; the login
    waits for the greeting even with the file in place."""
    server = tls_server()
    server.tls.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        account = Account(root, "tls12", server)
        prime(account, "tls12")
        p, sessions = account.run(args=("-d", "imap"))
        check("tls12: with the file, the greeting still comes before any command",
              p.returncode == 0 and command_before_greeting(p) is False and len(sessions) == 1,
              (command_before_greeting(p), detail(p, sessions, server)))
    finally:
        server.close()


def scenario_refused(root):
    """NO [AUTHENTICATIONFAILED] to the login sent before the greeting: a
    wrong password, as after it (one login, no second connection)."""
    server = tls_server()
    try:
        account = Account(root, "refused", server)
        prime(account, "refused")
        early_scripted.scenario_refused(TAP, account, lambda session: bool(session.early), detail)
    finally:
        server.close()


def main():
    if not os.access(mailsync_tap.MAILSYNC, os.X_OK):
        return mailsync_tap.skip_all("the mailsync command is not built")
    root = tempfile.mkdtemp(prefix="mailsync-early-", dir="/tmp")
    try:
        scenario_early(root)
        scenario_fallback(root, "preauth", b"* PREAUTH [CAPABILITY %s] logged in already\r\n" % CAPABILITIES.encode(),
                          then="preauth")
        scenario_fallback(root, "bye", b"* BYE shutting down for maintenance\r\n")
        scenario_fallback(root, "changed", None, changed="IMAP4rev1 UIDPLUS NAMESPACE AUTH=PLAIN")
        scenario_fallback(root, "nocaps", b"* OK scripted server ready\r\n")
        scenario_notice(root)
        scenario_changed_judged(root, "changed-no",
                                lambda tag: "%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" % tag)
        scenario_changed_judged(root, "changed-silent", None)
        scenario_changed_nomech(root)
        scenario_changed_nomech(root, "changed-logindisabled", primed="IMAP4rev1 UIDPLUS NAMESPACE SASL-IR",
                                changed="IMAP4rev1 UIDPLUS NAMESPACE SASL-IR LOGINDISABLED AUTH=PLAIN")
        scenario_changed_judged(root, "changed-noauth",
                                lambda tag: "%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" % tag,
                                changed="IMAP4rev1 UIDPLUS NAMESPACE SASL-IR")
        scenario_refused(root)
        scenario_ignored(root, "talker", close_early_talkers, proof=False)
        scenario_talker_pool(root)
        scenario_ignored(root, "discard", early_scripted.drop_before_greeting, socktimeout=8)
        scenario_ignored(root, "discard-bounded", early_scripted.drop_before_greeting, socktimeout=600, deadline=150,
                         env=early_scripted.SHORT_BOUND)
        scenario_slow_no(root)
        scenario_out_of_order(root)
        scenario_probe_full(root)
        scenario_probe_hung(root)
        scenario_unanswered_pool(root)
        scenario_unanswered_autorefresh(root)
        scenario_unanswered_autorefresh(root, idle=True)
        scenario_unanswered_autorefresh(root, idle=True, pool=True)
        scenario_chatter(root)
        scenario_no_before_greeting(root)
        scenario_noverify(root)
        scenario_throttled(root)
        scenario_tls12(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
