#!/usr/bin/env python3
"""Asking the user from Python (issue 10 item 1): a Python subclass of
Mailsync.Interaction (PyGObject, through the typelib) on an IMAP
repository of the harness Dovecot.

- password retry: a wrong password, then the interaction is asked with
  MAILSYNC_ERROR_AUTHENTICATION_FAILED and gives the right one; Dovecot's
  log shows exactly one failed login;
- certificate: implicit TLS without the harness CA (UNKNOWN_CA), rejected
  (the open fails with the TLS error) and accepted (the open succeeds,
  asked once, from a GLib main loop with open_async);
- the "ask" signal: a plain Mailsync.Interaction whose handler keeps the
  Mailsync.Question and answers it later from the main loop (password
  after a refusal, certificate rejected and accepted with its
  Gio.TlsCertificate); a question dropped unanswered cancels the open;
- throttled asks (scripted server, test hooks): refused logins with a
  server limit waited out in between are asked again 10 times in all,
  not 10 times per wait.

SKIP without PyGObject, the typelib or Dovecot."""

import os
import re
import shutil
import sys
import tempfile
import time

from mailsync_tap import Tap, harness, read_env

try:
    import gi
    gi.require_version("Mailsync", "1.0")
    from gi.repository import GLib, Gio, Mailsync
except (ImportError, ValueError) as e:
    print("1..0 # SKIP no PyGObject or no Mailsync typelib: %s" % e)
    sys.exit(0)

DEADLINE = 60  # seconds; nothing here sleeps for a guessed time
tap = Tap()
check = tap.check
Result = Mailsync.InteractionResult


class Asker(Mailsync.Interaction):
    """Answers from a script: passwords in turn, a certificate decision."""

    def __init__(self, passwords=(), accept=False):
        super().__init__()
        self.passwords = list(passwords)
        self.accept = accept
        self.previous = []
        self.certificates = []

    def do_ask_password(self, repository, user, host, previous_error, cancellable):
        self.previous.append(previous_error)
        if self.passwords:
            return Result.HANDLED, self.passwords.pop(0)
        return Result.UNHANDLED, None

    def do_accept_certificate(self, repository, host, pem, errors, cancellable):
        self.certificates.append((repository, host, pem, errors))
        return Result.HANDLED, self.accept


def failed_logins(log, offset, connections):
    """Sum of N in Dovecot's "(auth failed, N attempts" lines past
    @offset, once @connections such lines are there (deadline)."""
    end = time.monotonic() + DEADLINE
    while True:
        with open(log, errors="replace") as f:
            f.seek(offset)
            found = [int(n) for n in re.findall(r"\(auth failed, (\d+) attempts", f.read())]
        if len(found) >= connections or time.monotonic() > end:
            return len(found), sum(found)
        time.sleep(0.05)  # polling a file Dovecot writes


def password_retry(env):
    repo = Mailsync.ImapRepository.new("Remote", env["DOVECOT_HOST"], int(env["DOVECOT_PORT"]))
    repo.set_property("ssl", False)
    repo.set_property("starttls", True)
    repo.set_property("user", env["DOVECOT_USER"])
    repo.set_property("password", "Wr0ng-from-python")
    repo.set_property("ca-file", env["DOVECOT_CA"])
    asker = Asker(passwords=[env["DOVECOT_PASS"]])
    repo.set_interaction(asker)
    check("the interaction is the repository's property", repo.props.interaction is asker)
    offset = os.path.getsize(env["DOVECOT_LOG"])
    try:
        ok = repo.open(None)
    except GLib.Error as e:
        ok = e.message
    check("password retry: the open succeeds with the second password", ok is True, ok)
    check("password retry: asked once", len(asker.previous) == 1, asker.previous)
    prev = asker.previous[0] if asker.previous else None
    check("password retry: asked with the server's refusal as MailsyncError.AUTHENTICATION_FAILED",
          prev is not None and prev.matches(Mailsync.error_quark(), Mailsync.Error.AUTHENTICATION_FAILED),
          prev)
    lines, attempts = failed_logins(env["DOVECOT_LOG"], offset, 1)
    check("password retry: exactly one failed login at the server", (lines, attempts) == (1, 1),
          (lines, attempts))
    repo.close(None)

    # a client that does not answer: the distinct error, one failed login
    quiet = Asker()
    offset = os.path.getsize(env["DOVECOT_LOG"])
    repo2 = Mailsync.ImapRepository.new("Remote", env["DOVECOT_HOST"], int(env["DOVECOT_PORT"]))
    for name, value in (("ssl", False), ("starttls", True), ("user", env["DOVECOT_USER"]),
                        ("password", "Wr0ng-again"), ("ca-file", env["DOVECOT_CA"])):
        repo2.set_property(name, value)
    repo2.set_interaction(quiet)
    try:
        repo2.open(None)
        err = None
    except GLib.Error as e:
        err = e
    check("no answer: the open fails with MailsyncError.AUTHENTICATION_FAILED",
          err is not None and err.matches(Mailsync.error_quark(), Mailsync.Error.AUTHENTICATION_FAILED), err)
    check("no answer: the wrong password is not in the error", err is not None and "Wr0ng" not in err.message,
          err)
    lines, attempts = failed_logins(env["DOVECOT_LOG"], offset, 1)
    check("no answer: one failed login", (lines, attempts) == (1, 1), (lines, attempts))


def untrusted(env):
    repo = Mailsync.ImapRepository.new("Remote", env["DOVECOT_HOST"], int(env["DOVECOT_IMAPS_PORT"]))
    repo.set_property("ssl", True)
    repo.set_property("user", env["DOVECOT_USER"])
    repo.set_property("password", env["DOVECOT_PASS"])
    return repo


def open_in_loop(repo):
    """open_async from a GLib main loop: the interaction runs in it."""
    loop = GLib.MainLoop()
    outcome = []

    def done(source, result, *unused):
        try:
            outcome.append(source.open_finish(result))
        except GLib.Error as e:
            outcome.append(e)
        loop.quit()

    repo.open_async(None, done)
    GLib.timeout_add_seconds(DEADLINE, loop.quit)
    loop.run()
    return outcome[0] if outcome else "no result within %d s" % DEADLINE


def certificates(env):
    repo = untrusted(env)
    no = Asker(accept=False)
    repo.set_interaction(no)
    result = open_in_loop(repo)
    check("certificate rejected: the open fails with the TLS error",
          isinstance(result, GLib.Error) and result.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE),
          result)
    check("certificate rejected: asked once", len(no.certificates) == 1, no.certificates)
    if no.certificates:
        name, host, pem, errors = no.certificates[0]
        check("certificate: the repository and host are passed", (name, host) == ("Remote", env["DOVECOT_HOST"]),
              (name, host))
        check("certificate: the flags say UNKNOWN_CA", bool(errors & Gio.TlsCertificateFlags.UNKNOWN_CA), errors)
        check("certificate: the PEM is a certificate", pem.startswith("-----BEGIN CERTIFICATE-----\n"), pem[:80])

    repo = untrusted(env)
    yes = Asker(accept=True)
    repo.set_interaction(yes)
    result = open_in_loop(repo)
    check("certificate accepted: the open succeeds", result is True, result)
    check("certificate accepted: asked once", len(yes.certificates) == 1, yes.certificates)
    repo.close(None)
    result = open_in_loop(repo)
    check("certificate accepted: not asked again in the process", result is True and len(yes.certificates) == 1,
          (result, len(yes.certificates)))
    repo.close(None)


class SignalAsker:
    """A client without a subclass: connects to Mailsync.Interaction's
    "ask" signal, keeps each Mailsync.Question and answers it later from
    the main loop (an idle source standing for the user's click), after
    the loop has run other sources meanwhile."""

    def __init__(self, answer):
        self.interaction = Mailsync.Interaction()
        self.interaction.connect("ask", self.on_ask)
        self.answer = answer  # question -> None (answers it)
        self.asked = []       # (kind, repository, user, host, previous error, cert, errors, ticks at answer)

    def on_ask(self, interaction, question):
        state = {"ticks": 0}

        def tick():
            state["ticks"] += 1
            if state["ticks"] < 3:
                return GLib.SOURCE_CONTINUE
            self.asked.append((question.get_kind(), question.get_repository(), question.get_user(),
                               question.get_host(), question.get_previous_error(), question.get_certificate(),
                               question.get_certificate_errors(), state["ticks"]))
            self.answer(question)
            return GLib.SOURCE_REMOVE

        # the question stays open across main-loop iterations; the
        # closure keeps the only reference until then
        GLib.timeout_add(1, tick)


def question_signal(env):
    """The "ask" signal (issue 10 item 1): asynchronous answers without
    implementing a virtual method."""
    Kind = Mailsync.QuestionKind
    repo = Mailsync.ImapRepository.new("Remote", env["DOVECOT_HOST"], int(env["DOVECOT_PORT"]))
    for name, value in (("ssl", False), ("starttls", True), ("user", env["DOVECOT_USER"]),
                        ("password", "Wr0ng-by-signal"), ("ca-file", env["DOVECOT_CA"])):
        repo.set_property(name, value)
    asker = SignalAsker(lambda q: q.answer_password(env["DOVECOT_PASS"]))
    repo.set_interaction(asker.interaction)
    result = open_in_loop(repo)
    check("ask signal: the open succeeds with the password answered later", result is True, result)
    check("ask signal: asked once", len(asker.asked) == 1, asker.asked)
    if asker.asked:
        kind, name, user, host, previous, _cert, _errors, ticks = asker.asked[0]
        check("ask signal: a NEW_PASSWORD question with the server's refusal",
              kind == Kind.NEW_PASSWORD and previous is not None
              and previous.matches(Mailsync.error_quark(), Mailsync.Error.AUTHENTICATION_FAILED),
              (kind, previous))
        check("ask signal: the repository, user and host", (name, user, host) ==
              ("Remote", env["DOVECOT_USER"], env["DOVECOT_HOST"]), (name, user, host))
        check("ask signal: answered after other main-loop sources ran", ticks >= 3, ticks)
    if result is True:
        repo.close(None)

    # a handler that drops the question unanswered: the open is
    # cancelled, it does not hang
    repo = Mailsync.ImapRepository.new("Remote", env["DOVECOT_HOST"], int(env["DOVECOT_PORT"]))
    for name, value in (("ssl", False), ("starttls", True), ("user", env["DOVECOT_USER"]),
                        ("ca-file", env["DOVECOT_CA"])):
        repo.set_property(name, value)
    dropped = Mailsync.Interaction()
    kinds = []
    dropped.connect("ask", lambda interaction, question: kinds.append(question.get_kind()))
    repo.set_interaction(dropped)
    result = open_in_loop(repo)
    check("ask signal: a question dropped unanswered cancels the open",
          isinstance(result, GLib.Error) and result.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED),
          result)
    check("ask signal: no password configured is a PASSWORD question", kinds == [Kind.PASSWORD], kinds)

    # certificates: rejected, then accepted, with the certificate as a
    # Gio.TlsCertificate
    for accept in (False, True):
        repo = untrusted(env)
        asker = SignalAsker(lambda q, accept=accept: q.accept() if accept else q.reject())
        repo.set_interaction(asker.interaction)
        result = open_in_loop(repo)
        what = "accepted" if accept else "rejected"
        if accept:
            check("ask signal: certificate accepted: the open succeeds", result is True, result)
        else:
            check("ask signal: certificate rejected: the open fails with the TLS error",
                  isinstance(result, GLib.Error)
                  and result.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE), result)
        check("ask signal: certificate %s: asked once" % what, len(asker.asked) == 1, asker.asked)
        if asker.asked:
            kind, name, _user, host, _prev, cert, errors, _ticks = asker.asked[0]
            check("ask signal: certificate %s: a CERTIFICATE question for the host, UNKNOWN_CA" % what,
                  kind == Kind.CERTIFICATE and (name, host) == ("Remote", env["DOVECOT_HOST"])
                  and bool(errors & Gio.TlsCertificateFlags.UNKNOWN_CA), (kind, name, host, errors))
            check("ask signal: certificate %s: a Gio.TlsCertificate with the harness CA as issuer" % what,
                  isinstance(cert, Gio.TlsCertificate)
                  and cert.verify(None, Gio.TlsCertificate.new_from_file(env["DOVECOT_CA"])) == 0,
                  cert)
        if result is True:
            repo.close(None)


def throttled_asks(root):
    """A test of the client, against the scripted server (Dovecot cannot
    be made to limit a client): every login is refused, and every fourth
    connection is greeted with BYE [UNAVAILABLE] (a limit, waited out).
    The interaction always answers. The bound on asking again
    (MAX_ASKS_AFTER_REFUSAL, 10) holds for the whole open, waits
    included: it does not start over after each wait."""
    if not os.environ.get("MAILSYNC_TEST_HOOKS"):
        tap.skip("throttle, then refused passwords: the asks stay bounded (10)",
                 "needs a build with --enable-test-hooks")
        return
    import ssl
    import scripted_imap
    tls_data = os.path.join(os.environ.get("top_srcdir", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")),
                            "tests", "data", "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(tls_data, "server.pem"), os.path.join(tls_data, "server-key.pem"))
    server = scripted_imap.ScriptedImapServer(folders=("INBOX",), tls=context)
    server.greeting = "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] scripted server ready\r\n"

    def hook(server, session, tag, verb, line):
        if verb == "GREETING" and session.number % 4 == 0:
            return scripted_imap.Reply(b"* BYE [UNAVAILABLE] Too many simultaneous connections\r\n", close=True)
        if verb in ("LOGIN", "AUTHENTICATE"):
            return scripted_imap.Reply("%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" % tag)
        return None
    server.hook = hook
    saved = os.environ.get("MAILSYNC_TEST_THROTTLE_BASE_MS")
    os.environ["MAILSYNC_TEST_THROTTLE_BASE_MS"] = "20"
    try:
        repo = Mailsync.ImapRepository.new("Remote", "127.0.0.1", server.port)
        for name, value in (("ssl", True), ("user", "u"), ("password", "Wr0ng-0"),
                            ("ca-file", os.path.join(tls_data, "ca.pem"))):
            repo.set_property(name, value)
        asker = Asker(passwords=["Wr0ng-%d" % i for i in range(1, 100)])
        repo.set_interaction(asker)
        try:
            repo.open(None)
            err = None
        except GLib.Error as e:
            err = e
        refused = sum(1 for n, _, l in list(server.log) if l.split(" ", 1)[0].upper() in ("LOGIN", "AUTHENTICATE"))
        check("throttle, then refused passwords: the open fails as a failed login",
              err is not None and err.matches(Mailsync.error_quark(), Mailsync.Error.AUTHENTICATION_FAILED), err)
        check("throttle, then refused passwords: asked at most 10 times in all, waits included",
              len(asker.previous) == 10 and refused == 11 and len(server.sessions) >= 13,
              (len(asker.previous), refused, len(server.sessions)))
        try:
            repo.close(None)
        except GLib.Error:
            pass
    finally:
        if saved is None:
            os.environ.pop("MAILSYNC_TEST_THROTTLE_BASE_MS", None)
        else:
            os.environ["MAILSYNC_TEST_THROTTLE_BASE_MS"] = saved
        server.close()


def main():
    if shutil.which("dovecot") is None and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP needs Dovecot")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-interaction-py-")
    os.chmod(root, 0o755)  # Dovecot's mail processes run as another user
    server = os.path.join(root, "dovecot")
    try:
        harness("start", server, "--lifetime", "600")
        env = read_env(server)
        password_retry(env)
        certificates(env)
        question_signal(env)
        throttled_asks(root)
    finally:
        try:
            harness("stop", server, "--clean")
        except RuntimeError:
            pass
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
