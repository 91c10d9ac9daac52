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

No Dovecot needed."""

import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import shutil

import mailsync_tap
import scripted_imap

TAP = mailsync_tap.Tap()
check = TAP.check

# Any CA file will do: no handshake here gets as far as the certificate.
CA = os.path.join(os.environ.get("top_srcdir", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")),
                  "tests", "data", "tls", "ca.pem")


def write_config(work, host, port, ssl="no", starttls="no", general="", remote=""):
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "offlineimaprc")
    with open(path, "w") as f:
        f.write("[general]\naccounts = T\nmetadata = %s/meta\nsocktimeout = 2\n%s\n"
                "[Account T]\nlocalrepository = L\nremoterepository = R\n\n"
                "[Repository L]\ntype = Maildir\nlocalfolders = %s/Mail\n\n"
                "[Repository R]\ntype = IMAP\nremotehost = %s\nremoteport = %d\nremoteuser = u\n"
                "remotepass = secret-pw\nssl = %s\nstarttls = %s\nsslcacertfile = %s\n%s"
                % (work, general, work, host, port, ssl, starttls, CA, remote))
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


def main():
    root = tempfile.mkdtemp(prefix="mailsync-faults-", dir="/tmp")
    try:
        only = os.environ.get("MAILSYNC_TEST_ONLY")
        for name, fn in (("network", scenario_network),):
            if not only or only == name:
                fn(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
