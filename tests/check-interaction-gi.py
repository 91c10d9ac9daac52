#!/usr/bin/env python3
"""Asking the user from Python (issue 10 item 1): a Python subclass of
Mailsync.Interaction (PyGObject, through the typelib) on an IMAP
repository of the harness Dovecot.

- password retry: a wrong password, then the interaction is asked with
  MAILSYNC_ERROR_AUTHENTICATION_FAILED and gives the right one; Dovecot's
  log shows exactly one failed login;
- certificate: implicit TLS without the harness CA (UNKNOWN_CA), rejected
  (the open fails with the TLS error) and accepted (the open succeeds,
  asked once, from a GLib main loop with open_async).

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
    finally:
        try:
            harness("stop", server, "--clean")
        except RuntimeError:
            pass
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
