#!/usr/bin/env python3
"""What the IMAP client's login looks like on the wire, seen through a
relay in front of a private Dovecot that records the TLS records the
client sends (their headers are in the clear; their content is not read).

- secret-length: two accounts whose user names are as long as each
  other's and whose passwords are not (3 and 40 characters) are synced
  the same way, over IMAPS and over STARTTLS, with AUTHENTICATE PLAIN
  (SASL-IR: the request's own text) and AUTHENTICATE LOGIN (the user name
  and the password as continuation lines). The client's records must have
  the same lengths for both: the login line goes out in one write with
  the rest of its command, and a write that carries a credential is
  padded (TLS 1.3, RFC 8446 5.4) to a multiple of 512 bytes, so that the
  password's length does not show. Before, the credential was a record
  of its own whose length was the password's (plus a constant). (The
  LOGIN command takes the same path; Dovecot offers AUTH=LOGIN, so the
  client never chooses it here.)
- the folder list's LIST written behind AUTHENTICATE PLAIN (SASL-IR) goes
  in the same write as the login, not in a record of its own after it.
- the protocol log (G_MESSAGES_DEBUG) never shows the password, in plain
  or in base64.

Skipped (1..0 # SKIP) when Dovecot is not installed."""

import base64
import os
import shutil
import socket
import sys
import tempfile
import threading

import mailsync_tap

TAP = mailsync_tap.Tap(300)
check = TAP.check

USERS = [("wirea", "p3x"), ("wireb", "thisPasswordIsFortyCharactersLong0123456")]


class Relay:
    """A TCP relay to (host, port) that keeps, per connection, the bytes
    the client sent."""

    def __init__(self, host, port):
        self.upstream = (host, int(port))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.sessions = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            sent = bytearray()
            with self.lock:
                self.sessions.append(sent)
            threading.Thread(target=self.pump, args=(client, server, sent), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, None), daemon=True).start()

    @staticmethod
    def pump(src, dst, keep):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if keep is not None:
                    keep += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def take(self):
        with self.lock:
            sessions, self.sessions = self.sessions, []
        return [bytes(s) for s in sessions]

    def close(self):
        self.listener.close()


def records(data):
    """The (type, length) of each TLS record in @data, from the first
    record header on (the plain IMAP before STARTTLS is skipped)."""
    if not data.startswith(b"\x16\x03"):
        at = data.find(b"STARTTLS\r\n")
        data = data[at + len(b"STARTTLS\r\n"):] if at >= 0 else b""
    out, i = [], 0
    while i + 5 <= len(data):
        kind, length = data[i], int.from_bytes(data[i + 3:i + 5], "big")
        out.append((kind, length))
        i += 5 + length
    return out


def login_window(recs):
    """The records up to and including the last padded one (TLS 1.3: a
    record is its text + 1 + 16 bytes, a credential's text is padded to a
    multiple of 512; SASL LOGIN sends two): the handshake and the login.
    What follows (the sync's commands, LOGOUT, the close alert) is cut
    into records as the writes happen to meet their answers, which
    depends on the machine's load; None when no record is padded."""
    padded = [i for i, (kind, length) in enumerate(recs)
              if kind == 23 and length >= 512 + 17 and (length - 17) % 512 == 0]
    return recs[:padded[-1] + 1] if padded else None


def sync(server, relay, user, password, work, security, auth):
    extra = {"DOVECOT_IMAPS_PORT" if security == "ssl" else "DOVECOT_PORT": str(relay.port)}
    if auth:
        extra["MAILSYNC_TEST_IMAP_AUTH"] = auth
    relay.take()
    p = mailsync_tap.run_driver(server, user, password, work, security=security, debug="Mailsync-IMAP",
                                extra=extra)
    return p, relay.take()


def leaks(p, user, password):
    log = p.stdout + p.stderr
    plain_ir = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
    return password in log or plain_ir in log or base64.b64encode(password.encode()).decode() in log


def scenario_secret_length(server, root):
    relay = Relay(server.env["DOVECOT_HOST"], server.env["DOVECOT_IMAPS_PORT"])
    plain = Relay(server.env["DOVECOT_HOST"], server.env["DOVECOT_PORT"])
    try:
        for security in ("ssl", "starttls"):
            for auth in (None, "LOGIN"):
                name = "%s %s" % ("IMAPS" if security == "ssl" else "STARTTLS", "AUTHENTICATE LOGIN" if auth else "AUTHENTICATE PLAIN")
                seen = []
                for user, password in USERS:
                    work = os.path.join(root, "%s-%s-%s" % (security, auth or "plain", user))
                    p, sessions = sync(server, relay if security == "ssl" else plain, user, password, work,
                                       security, auth)
                    check("%s, a %d-character password: sync succeeds over one connection" % (name, len(password)),
                          p.returncode == 0 and len(sessions) == 1,
                          "rc=%d sessions=%d %s" % (p.returncode, len(sessions), mailsync_tap.stderr_without_debug(p)))
                    check("%s, a %d-character password: the protocol log does not show it" % (name, len(password)),
                          not leaks(p, user, password))
                    every = records(sessions[0]) if sessions else []
                    seen.append(login_window(every))
                    if not auth:
                        # TLS 1.3 (AEAD): a record is its text + 1 + 16 bytes.
                        lists = [l.split(" C: ", 1)[1] for l in (p.stdout + p.stderr).splitlines()
                                 if " C: " in l and " LIST " in l]
                        alone = [len(l) + 2 + 17 for l in lists]
                        check("%s, a %d-character password: the LIST goes in the login's record, not one of its own"
                              % (name, len(password)),
                              len(lists) == 1 and not any(n in alone for _, n in every), (lists, every))
                print("# %s: the client's records up to the login (type, length): %s" % (name, seen[0]))
                check("%s: the client's TLS records up to the login are as long for a %d- as for a %d-character "
                      "password" % (name, len(USERS[0][1]), len(USERS[1][1])),
                      seen[0] is not None and seen[0] == seen[1] and len(seen[0]) > 3,
                      "\n%s\n%s" % (seen[0], seen[1]))
    finally:
        relay.close()
        plain.close()


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-wire-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = mailsync_tap.Dovecot(os.path.join(root, "dovecot"), USERS)
        scenario_secret_length(server, root)
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
