#!/usr/bin/env python3
"""Tests of the IMAP client's STARTTLS in fewer round trips (issue 13 item
6, session 18; doc/design.md "STARTTLS in two round trips fewer"), end to
end through the mailsync command, against the scripted server of
tests/scripted_imap.py with STARTTLS: it can greet PREAUTH or BYE, stop
offering STARTTLS, refuse what came before its greeting and change its
capabilities after TLS, which Dovecot cannot be made to do.

- The first run waits for the greeting and keeps the list the server
  answered to CAPABILITY after STARTTLS (starttls=true; never the list
  before TLS, RFC 9051 6.2.1). The next run writes STARTTLS before the
  greeting (the server waits for the client's first bytes) and nothing
  else in clear; after the handshake CAPABILITY comes before the login,
  one connection, one login.
- The server no longer offers STARTTLS (greeting without it, STARTTLS
  refused): no login anywhere, no command in clear but STARTTLS and
  CAPABILITY, the run fails naming STARTTLS, the file is gone.
- The capabilities after TLS changed (SASL-IR and AUTH=PLAIN gone; or
  LOGINDISABLED where LOGIN was used): that connection fails at
  CAPABILITY's answer, one normal connection follows with the right
  login, at most one login on each, the new list is kept.
- A CAPABILITY answered BAD, a PREAUTH or BYE greeting: one failed
  connection, one normal one, exit 0.
- A STARTTLS before the greeting refused by a server that still offers
  STARTTLS (it does not take commands before its greeting): one normal
  connection follows, the file says early=false, the run after needs
  one connection and waits for the greeting.
- "* OK Waiting for authentication process to respond.." before the
  greeting is a notice: one connection.
- NO [AUTHENTICATIONFAILED] to the login sent with CAPABILITY is a wrong
  password: exit 1, one connection, one login.
- TLS 1.2: STARTTLS early, the login after CAPABILITY's answer.
- Session 19 (the reviews of session 18): a greeting without [CAPABILITY]
  (Exchange) followed by STARTTLS's OK is the greeting, one connection;
  a tagged line injected in clear behind STARTTLS's OK fails that
  connection before any handshake, the file stays early; untagged lines
  and a line cut short there are dropped, never read after TLS; a server
  that greets and drops the STARTTLS sent before is given up on long
  before socktimeout (early=false); a self-signed certificate: the run
  fails with the certificate error, nothing sent but STARTTLS.
- Session 20 (review 1 of session 19): a STARTTLS dropped and never
  answered is no word, which is no proof: counted, started over by an
  answered run, early=false after 3 in a row ("dropped"); a connection
  reset right after the handshake, before CAPABILITY's answer, is a
  connection lost during the login: exit 1, no second login, the file
  untouched ("reset-tls").
- Every session of every scenario: no LOGIN or AUTHENTICATE before TLS.

No Dovecot needed. The round trips against Dovecot (2 waits instead of 4)
are in check-imap-fastpath.py "roundtrips"."""

import os
import re
import shutil
import ssl
import sys
import tempfile

import early_scripted
import mailsync_tap
import scripted_imap
from early_scripted import (EARLY_WAIT, STARTTLS, commands, first_session_hook, first_session_waits, logins,
                            server_context, verbs)

TAP = mailsync_tap.Tap()
check = TAP.check

CLEAR_CAPABILITIES = "IMAP4rev1 STARTTLS LOGINDISABLED"
TLS_CAPABILITIES = "IMAP4rev1 UIDPLUS NAMESPACE SASL-IR AUTH=PLAIN"
GREETING = "* OK [CAPABILITY %s] scripted server ready\r\n" % CLEAR_CAPABILITIES
ALL_SESSIONS = []


def starttls_server():
    server = scripted_imap.ScriptedImapServer(folders=("INBOX",), starttls=server_context())
    server.greeting = GREETING
    server.tls_capabilities = TLS_CAPABILITIES
    with server.lock:
        server.mailboxes["INBOX"].add(b"Subject: one\r\nMessage-ID: <one@starttls>\r\n\r\nbody\r\n")
    return server


def Account(root, name, server, socktimeout=60):
    """Every session of every run goes to ALL_SESSIONS (the last check)."""
    return early_scripted.Account(root, name, server, STARTTLS, socktimeout=socktimeout, seen=ALL_SESSIONS)


def detail(p, sessions, server):
    return (p.returncode, [(s.number, s.early[:40], s.clear, verbs(server, s)) for s in sessions],
            p.stdout[-600:], p.stderr[-900:])


def starttls_early(session):
    """The client's first bytes, before the greeting: STARTTLS alone."""
    return re.fullmatch(rb"\S+ STARTTLS\r\n", session.early) is not None


def prime(account, name):
    """A run that waits for the greeting and keeps the list after TLS."""
    account.server.hook = None
    account.server.early_wait = 0
    p, sessions = account.run()
    text = account.cached()
    check("%s: a run keeps the capabilities after STARTTLS" % name,
          p.returncode == 0 and len(sessions) == 1 and "starttls=true" in text
          and "capabilities=%s;" % ";".join(account.server.tls_capabilities.split()) in text
          and "secret-pw" not in text, (detail(p, sessions, account.server), text))


def early_again(account, name):
    """The run after (the server as usual) needs one connection and sends
    STARTTLS early."""
    server = account.server
    server.hook = None
    server.early_wait = EARLY_WAIT
    p, sessions = account.run()
    server.early_wait = 0
    check("%s: the run after needs one connection, STARTTLS early" % name,
          p.returncode == 0 and len(sessions) == 1 and starttls_early(sessions[0]), detail(p, sessions, server))


def scenario_early(root):
    server = starttls_server()
    try:
        account = Account(root, "early", server)
        p, sessions = account.run()
        check("early: the first run waits for the greeting, STARTTLS, CAPABILITY, then logs in",
              p.returncode == 0 and len(sessions) == 1 and not sessions[0].early
              and verbs(server, sessions[0])[:3] == ["STARTTLS", "CAPABILITY", "AUTHENTICATE"],
              detail(p, sessions, server))
        text = account.cached()
        check("early: it keeps the list after STARTTLS (starttls=true), not the one before TLS, no password",
              "capabilities=IMAP4rev1;UIDPLUS;NAMESPACE;SASL-IR;AUTH=PLAIN;" in text and "starttls=true" in text
              and "LOGINDISABLED" not in text and "port=%d" % server.port in text and "user=u" in text
              and "secret-pw" not in text, text)
        check("early: the file is the user's only (0600)", os.path.exists(account.cache)
              and os.stat(account.cache).st_mode & 0o077 == 0, account.cache)
        server.early_wait = EARLY_WAIT
        p, sessions = account.run()
        server.early_wait = 0
        check("early: the next run writes STARTTLS before the greeting, and nothing else in clear",
              p.returncode == 0 and len(sessions) == 1 and starttls_early(sessions[0])
              and sessions[0].clear == ["STARTTLS"] and sessions[0].after_starttls == b"",
              detail(p, sessions, server))
        check("early: after the handshake CAPABILITY, then the login (one), then the LIST",
              len(sessions) == 1 and verbs(server, sessions[0])[:4] == ["STARTTLS", "CAPABILITY", "AUTHENTICATE", "LIST"]
              and len(logins(server, sessions[0])) == 1, detail(p, sessions, server))
        p, sessions = account.run({"MAILSYNC_TEST_NO_CAPABILITY_CACHE": "1"})
        check("early: without the cache the greeting is waited for (nothing sent early)",
              p.returncode == 0 and len(sessions) == 1 and not sessions[0].early, detail(p, sessions, server))
    finally:
        server.close()


def scenario_no_starttls(root):
    """The server stopped offering STARTTLS: fail safe, never clear text."""
    server = starttls_server()
    try:
        account = Account(root, "nostarttls", server)
        prime(account, "nostarttls")
        server.greeting = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] scripted server ready\r\n"

        def hook(server, session, tag, verb, line):
            if verb == "STARTTLS":
                return scripted_imap.Reply("%s BAD unknown command STARTTLS\r\n" % tag)
            return None
        server.hook = hook
        server.early_wait = first_session_waits(server)
        p, sessions = account.run()
        server.early_wait = 0
        check("nostarttls: STARTTLS went before the greeting", len(sessions) >= 1 and starttls_early(sessions[0]),
              detail(p, sessions, server))
        check("nostarttls: no login on any connection, nothing in clear but STARTTLS and CAPABILITY",
              sessions and all(not logins(server, s) and set(s.clear) <= {"STARTTLS", "CAPABILITY"} for s in sessions),
              detail(p, sessions, server))
        check("nostarttls: the run fails (exit 1) and says the server offers no STARTTLS",
              p.returncode != 0 and "STARTTLS" in p.stdout + p.stderr and len(sessions) == 2,
              detail(p, sessions, server))
        check("nostarttls: the capability cache is forgotten", account.cached() == "", account.cached())
    finally:
        server.close()


def scenario_changed(root, name, first_caps, changed_caps, refuse_login=None, want_second=None):
    """The list after TLS changed since the file was written: the early
    connection fails at CAPABILITY's answer (its login goes to the verified
    server, once), a normal connection follows with the login the new list
    asks for, the new list is kept."""
    server = starttls_server()
    server.tls_capabilities = first_caps
    try:
        account = Account(root, name, server)
        prime(account, name)
        server.tls_capabilities = changed_caps

        def hook(server, session, tag, verb, line):
            if refuse_login is not None and verb == refuse_login:
                return scripted_imap.Reply("%s NO %s is not offered\r\n" % (tag, refuse_login))
            return None
        server.hook = hook
        server.early_wait = first_session_waits(server)
        p, sessions = account.run()
        server.early_wait = 0
        check("%s: STARTTLS went before the greeting" % name, len(sessions) >= 1 and starttls_early(sessions[0]),
              detail(p, sessions, server))
        check("%s: the run finishes (exit 0) on a second, normal connection" % name,
              p.returncode == 0 and len(sessions) == 2 and not sessions[1].early, detail(p, sessions, server))
        check("%s: at most one login per connection, the second one %s" % (name, want_second),
              len(sessions) == 2 and all(len(logins(server, s)) <= 1 for s in sessions)
              and [l.split(" ")[0] for l in logins(server, sessions[1])] == [want_second],
              detail(p, sessions, server))
        check("%s: the new list is kept" % name,
              "capabilities=%s;" % ";".join(changed_caps.split()) in account.cached(), account.cached())
        early_again(account, name)
    finally:
        server.close()


def scenario_fallback(root, name, on_first):
    """The first connection of the run meets @on_first: it fails, one
    normal connection follows, the run finishes."""
    server = starttls_server()
    try:
        account = Account(root, name, server)
        prime(account, name)
        server.hook = first_session_hook(on_first)
        server.early_wait = first_session_waits(server)
        p, sessions = account.run()
        server.early_wait = 0
        check("%s: STARTTLS went before the greeting" % name, len(sessions) >= 1 and starttls_early(sessions[0]),
              detail(p, sessions, server))
        check("%s: the run finishes (exit 0) on a second, normal connection with one login" % name,
              p.returncode == 0 and len(sessions) == 2 and not sessions[1].early
              and len(logins(server, sessions[1])) == 1 and len(logins(server, sessions[0])) <= 1,
              detail(p, sessions, server))
    finally:
        server.close()


def greet(text, close=False):
    def on_first(server, session, tag, verb, line):
        if verb == "GREETING":
            return scripted_imap.Reply(text, close=close)
        if verb in ("STARTTLS", "LOGIN", "AUTHENTICATE") and text.startswith("* PREAUTH"):
            return scripted_imap.Reply("%s BAD already authenticated\r\n" % tag)
        return None
    return on_first


def capability_bad(server, session, tag, verb, line):
    if verb == "CAPABILITY" and session.tls:
        return scripted_imap.Reply("%s BAD not now\r\n" % tag)
    return None


def starttls_refused_early(server, session, tag, verb, line):
    if verb == "STARTTLS":
        return scripted_imap.Reply("%s BAD command before the greeting\r\n" % tag)
    return None


def scenario_notice(root):
    server = starttls_server()
    try:
        account = Account(root, "notice", server)
        prime(account, "notice")
        server.hook = first_session_hook(greet("* OK Waiting for authentication process to respond..\r\n" + GREETING))
        server.early_wait = first_session_waits(server)
        p, sessions = account.run()
        server.early_wait = 0
        check("notice: an OK without a code before the greeting is a notice: one connection, one login",
              p.returncode == 0 and len(sessions) == 1 and starttls_early(sessions[0])
              and len(logins(server, sessions[0])) == 1, detail(p, sessions, server))
    finally:
        server.close()


def scenario_refused(root):
    """NO [AUTHENTICATIONFAILED] to the login sent with CAPABILITY: a wrong
    password (one login, no second connection)."""
    server = starttls_server()
    try:
        account = Account(root, "refused", server)
        prime(account, "refused")
        early_scripted.scenario_refused(TAP, account, starttls_early, detail)
    finally:
        server.close()


def scenario_tls12(root):
    """A server that negotiates TLS 1.2: STARTTLS still goes before the
    greeting (nothing secret), the login waits for CAPABILITY's answer (the
    IMAPS early login's rule: TLS 1.3 only), one connection, one login."""
    server = starttls_server()
    server.starttls.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        account = Account(root, "tls12", server)
        prime(account, "tls12")
        server.early_wait = EARLY_WAIT
        p, sessions = account.run({"G_MESSAGES_DEBUG": "Mailsync-IMAP"})
        server.early_wait = 0
        log = p.stdout + p.stderr
        check("tls12: STARTTLS before the greeting, then one connection, one login (exit 0)",
              p.returncode == 0 and len(sessions) == 1 and starttls_early(sessions[0])
              and len(logins(server, sessions[0])) == 1, detail(p, sessions, server))
        answer = log.find("S: * CAPABILITY")
        login = re.search(r"C: \S+ AUTHENTICATE", log)
        check("tls12: no login with CAPABILITY (it waits for the answer)",
              "logging in with CAPABILITY after STARTTLS" not in log and answer >= 0 and login is not None
              and answer < login.start(), log[-1500:])
    finally:
        server.close()


def scenario_codeless(root):
    """A greeting without [CAPABILITY] (Exchange: "* OK The Microsoft
    Exchange IMAP4 service is ready."), then STARTTLS's OK: that plain OK
    was the greeting (review 1 Low 1 of session 18), not a notice whose
    greeting never came: one connection, and the file stays early."""
    server = starttls_server()
    server.greeting = "* OK The Microsoft Exchange IMAP4 service is ready.\r\n"

    def hook(server, session, tag, verb, line):
        if verb == "CAPABILITY" and not session.tls:
            return scripted_imap.Reply("* CAPABILITY %s\r\n%s OK CAPABILITY completed.\r\n" % (CLEAR_CAPABILITIES, tag))
        return None
    try:
        account = Account(root, "codeless", server)
        server.hook = hook
        p, sessions = account.run()
        check("codeless: a run against a greeting without [CAPABILITY] keeps the list after STARTTLS",
              p.returncode == 0 and len(sessions) == 1 and "starttls=true" in account.cached()
              and "capabilities=%s;" % ";".join(TLS_CAPABILITIES.split()) in account.cached(),
              (detail(p, sessions, server), account.cached()))
        for i in range(2):
            server.early_wait = EARLY_WAIT
            p, sessions = account.run()
            server.early_wait = 0
            check("codeless: run %d after: STARTTLS before that greeting, one connection, one login" % (i + 1),
                  p.returncode == 0 and len(sessions) == 1 and starttls_early(sessions[0])
                  and len(logins(server, sessions[0])) == 1 and "early=false" not in account.cached(),
                  (detail(p, sessions, server), account.cached()))
    finally:
        server.close()


def scenario_injected(root, name, injected, refused):
    """Clear text behind the OK to STARTTLS, in the same write (STARTTLS
    injection, CVE-2011-0411 class; review 2 Low 2 of session 18). None of
    it is ever read as an answer after TLS. @refused: a tagged line fails
    the connection (an answer to no command): no handshake, nothing more
    sent on it, a normal connection follows, and the file stays early (an
    injected line must not turn the fast path off). Otherwise (untagged
    lines and a line cut short) it is dropped with the clear-text parser:
    one connection, the list after TLS is the server's."""
    server = starttls_server()
    try:
        account = Account(root, name, server)
        prime(account, name)
        state = {"first": None}

        def inject(session):
            if state["first"] is None:
                state["first"] = session.number
            return injected if session.number == state["first"] else None
        server.starttls_inject = inject
        server.early_wait = first_session_waits(server)
        p, sessions = account.run()
        server.early_wait = 0
        server.starttls_inject = None
        check("%s: STARTTLS went before the greeting" % name, len(sessions) >= 1 and starttls_early(sessions[0]),
              detail(p, sessions, server))
        if refused:
            check("%s: that connection fails before any handshake, nothing sent on it after STARTTLS" % name,
                  len(sessions) >= 1 and not sessions[0].tls and verbs(server, sessions[0]) == ["STARTTLS"],
                  detail(p, sessions, server))
            check("%s: the run finishes (exit 0) on a second, normal connection with one login" % name,
                  p.returncode == 0 and len(sessions) == 2 and not sessions[1].early
                  and len(logins(server, sessions[1])) == 1, detail(p, sessions, server))
        else:
            check("%s: one connection, one login (exit 0)" % name,
                  p.returncode == 0 and len(sessions) == 1 and len(logins(server, sessions[0])) == 1,
                  detail(p, sessions, server))
        text = account.cached()
        check("%s: the file keeps the server's list after TLS, early" % name,
              "capabilities=%s;" % ";".join(TLS_CAPABILITIES.split()) in text and "INJECTED" not in text
              and "early=false" not in text, text)
        early_again(account, name)
    finally:
        server.close()


def scenario_ignored(root, name, hook, socktimeout=60, deadline=300, proof=True, env=None):
    """A server that does not take the STARTTLS sent before its greeting
    (early_scripted.scenario_ignored): @hook refuses it (BAD, while the
    greeting still offers STARTTLS), or drops it and greets, so that it is
    never answered: with a @socktimeout far beyond the test's @deadline,
    the wait for that answer is bounded once the greeting is in (review 2
    Low 4 of session 18). One normal connection follows in the same run,
    the file says early=false, the runs after send nothing early until
    the list after TLS changes."""
    server = starttls_server()
    try:
        account = Account(root, name, server, socktimeout=socktimeout)
        prime(account, name)

        def went_early(session):
            return starttls_early(session) or re.fullmatch(rb"\S+ STARTTLS\r\n", getattr(session, "dropped", b""))

        def change(server):
            server.tls_capabilities = TLS_CAPABILITIES + " ID"
            return server.tls_capabilities
        early_scripted.scenario_ignored(TAP, account, name, "STARTTLS", hook, went_early, detail, TLS_CAPABILITIES,
                                        change, deadline=deadline, proof=proof, env=env)
    finally:
        server.close()


def scenario_reset_after_tls(root):
    """The connection reset right after the handshake of a STARTTLS sent
    early, before CAPABILITY is answered (review 1 of session 19, item 2):
    no word from the server, and the login went in the same flight, so
    this is a connection lost during the login (the run fails, as it does
    after the usual CAPABILITY), never a second login on another
    connection, and not a server that ignores early commands: the file
    keeps its list, early, nothing counted; the run after is early again.
    Before, the file said early=false for good."""
    server = starttls_server()
    try:
        account = Account(root, "reset-tls", server)
        prime(account, "reset-tls")
        before = account.cached()

        def reset_at_capability(server, session, tag, verb, line):
            return scripted_imap.Reset() if verb == "CAPABILITY" and session.tls else None
        server.hook = first_session_hook(reset_at_capability)
        server.early_wait = first_session_waits(server)
        p, sessions = account.run()
        server.early_wait = 0
        server.hook = None
        check("reset-tls: STARTTLS went before the greeting", len(sessions) >= 1 and starttls_early(sessions[0]),
              detail(p, sessions, server))
        check("reset-tls: the run fails on that connection (exit 1), no second connection, at most one login",
              p.returncode == 1 and len(sessions) == 1 and len(logins(server, sessions[0])) <= 1,
              detail(p, sessions, server))
        # review of session 20 Low 4: the login was written (queued, maybe
        # not sent): the error says why it is not sent again, not only that
        # the connection was lost
        check("reset-tls: the error says the login was written, unanswered and is not sent again",
              "not sent again" in p.stdout + p.stderr, detail(p, sessions, server))
        check("reset-tls: the file is left as it was (early, nothing counted)",
              account.cached() == before and "early=" not in before and "early-unanswered" not in before, (before, account.cached()))
        early_again(account, "reset-tls")
    finally:
        server.close()


def scenario_badcert(root):
    """The file is in place and the server's certificate does not verify
    (self-signed; review 1 Low 3 of session 18): STARTTLS goes before the
    greeting, the handshake fails on the certificate, and the run fails
    with that error. No login, no password ever leaves the client: not in
    clear, not to the peer that failed verification."""
    server = starttls_server()
    try:
        account = Account(root, "badcert", server)
        prime(account, "badcert")
        before = account.cached()
        server.starttls = server_context("selfsigned")
        server.early_wait = first_session_waits(server)
        p, sessions = account.run()
        server.early_wait = 0
        check("badcert: STARTTLS went before the greeting", len(sessions) >= 1 and starttls_early(sessions[0]),
              detail(p, sessions, server))
        check("badcert: the run fails with the certificate error",
              p.returncode not in (0, None) and "certificate" in (p.stdout + p.stderr).lower(),
              detail(p, sessions, server))
        received = [s.early + s.after_starttls + getattr(s, "dropped", b"") for s in sessions]
        # (the server may see its side of the handshake complete: the client
        # checks the certificate at its end of it, then sends nothing)
        check("badcert: no command but STARTTLS, no password on any connection",
              sessions and all(set(verbs(server, s)) <= {"STARTTLS"} for s in sessions)
              and not any(b"secret-pw" in r for r in received)
              and not any("secret-pw" in l for s in sessions for l in commands(server, s)),
              (detail(p, sessions, server), received))
        check("badcert: the file is left as it was", account.cached() == before, account.cached())
    finally:
        server.close()


def main():
    if not os.access(mailsync_tap.MAILSYNC, os.X_OK):
        return mailsync_tap.skip_all("the mailsync command is not built")
    root = tempfile.mkdtemp(prefix="mailsync-starttls-", dir="/tmp")
    try:
        scenario_early(root)
        scenario_no_starttls(root)
        scenario_changed(root, "mechanism", TLS_CAPABILITIES, "IMAP4rev1 UIDPLUS NAMESPACE", refuse_login="AUTHENTICATE",
                         want_second="LOGIN")
        scenario_changed(root, "logindisabled", "IMAP4rev1 UIDPLUS NAMESPACE",
                         "IMAP4rev1 UIDPLUS NAMESPACE LOGINDISABLED SASL-IR AUTH=PLAIN", refuse_login="LOGIN",
                         want_second="AUTHENTICATE")
        scenario_fallback(root, "capbad", capability_bad)
        scenario_fallback(root, "preauth", greet("* PREAUTH [CAPABILITY %s] logged in already\r\n" % TLS_CAPABILITIES))
        scenario_fallback(root, "bye", greet("* BYE shutting down for maintenance\r\n", close=True))
        scenario_ignored(root, "notbefore", first_session_hook(starttls_refused_early))
        scenario_notice(root)
        scenario_refused(root)
        scenario_tls12(root)
        scenario_codeless(root)
        scenario_injected(root, "inject-tagged", b"X1 OK [CAPABILITY IMAP4rev1 INJECTED AUTH=PLAIN] injected\r\n",
                          refused=True)
        scenario_injected(root, "inject-untagged",
                          b"* CAPABILITY IMAP4rev1 INJECTED AUTH=PLAIN\r\n* CAPABILITY IMAP4rev1 INJECTED",
                          refused=False)
        scenario_ignored(root, "dropped", early_scripted.drop_before_greeting, socktimeout=600, deadline=150,
                         proof=False, env=early_scripted.SHORT_BOUND)
        scenario_reset_after_tls(root)
        scenario_badcert(root)
        check("no session of any scenario had a login before TLS",
              ALL_SESSIONS and all(not any(l.split(" ", 1)[0].upper() in ("LOGIN", "AUTHENTICATE") for l in s.clear)
                                   for s in ALL_SESSIONS), [(s.number, s.clear) for s in ALL_SESSIONS])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
