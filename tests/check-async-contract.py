#!/usr/bin/env python3
"""The async contract suite (issue 9): tests/async-contract (C, so that it
runs under ASan in the sanitizer build) against the harness Dovecot
through a delay proxy of CONTRACT_RTT_MS (default 200) milliseconds of
round trip. This script starts Dovecot and the proxy, fills INBOX with
CONTRACT_MESSAGES (default 2000) messages, and passes the TAP of the
program through. Skipped (1..0 # SKIP) when Dovecot is not installed."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import mailsync_tap

PROGRAM = os.path.join(mailsync_tap.TOP_BUILDDIR, "tests", "async-contract")
RTT_MS = int(os.environ.get("CONTRACT_RTT_MS", "200"))
MESSAGES = int(os.environ.get("CONTRACT_MESSAGES", "2000"))
CANCEL_MESSAGES = 150


class DelayProxy:
    """A TCP proxy adding RTT/2 to each direction, without limiting the
    bandwidth: every chunk is held until its arrival time plus the delay."""

    def __init__(self, target_host, target_port, one_way):
        self.target = (target_host, target_port)
        self.one_way = one_way
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for a, b in ((client, server), (server, client)):
                self.pipe(a, b)

    def pipe(self, src, dst):
        cond = threading.Condition()
        queue = []  # (due, bytes); None marks EOF

        def reader():
            while True:
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b""
                with cond:
                    queue.append((time.monotonic() + self.one_way, data))
                    cond.notify()
                if not data:
                    return

        def writer():
            while True:
                with cond:
                    while not queue:
                        cond.wait()
                    due, data = queue.pop(0)
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if not data:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                try:
                    dst.sendall(data)
                except OSError:
                    return

        threading.Thread(target=reader, daemon=True).start()
        threading.Thread(target=writer, daemon=True).start()


def fill(server, user, password, count, archive=True):
    """INBOX with @count small messages (the harness writes them into the
    Maildir: much faster than APPENDs), and an empty Archive."""
    subprocess.run([mailsync_tap.HARNESS, "fill", server.dir, user, "INBOX", str(count), "--sizes", "small",
                    "--seed", "7"], check=True, stdout=subprocess.DEVNULL, timeout=120)
    if archive:
        conn = server.imap(user, password)
        conn.create("Archive")
        conn.logout()


def main():
    if shutil.which("dovecot") is None and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-contract-")
    os.chmod(root, 0o755)  # the mail users must reach the Dovecot directory
    server = mailsync_tap.Dovecot(os.path.join(root, "dovecot"), [("contract", "contract-pw"),
                                                                  ("cancel", "cancel-pw")])
    try:
        fill(server, "contract", "contract-pw", MESSAGES)
        fill(server, "cancel", "cancel-pw", CANCEL_MESSAGES, archive=False)
        proxy = DelayProxy(server.env["DOVECOT_HOST"], int(server.env["DOVECOT_PORT"]), RTT_MS / 2000.0)
        env = dict(os.environ)
        env.update(server.env)
        env.update({"DOVECOT_USER": "contract", "DOVECOT_PASS": "contract-pw",
                    "CONTRACT_PROXY_PORT": str(proxy.port), "CONTRACT_RTT_MS": str(RTT_MS),
                    "CONTRACT_MESSAGES": str(MESSAGES), "CONTRACT_WORK": os.path.join(root, "work"),
                    "CONTRACT_CANCEL_USER": "cancel", "CONTRACT_CANCEL_PASS": "cancel-pw",
                    "CONTRACT_CANCEL_MESSAGES": str(CANCEL_MESSAGES)})
        os.makedirs(env["CONTRACT_WORK"])
        p = subprocess.Popen([PROGRAM], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = mailsync_tap.communicate_or_kill(p, 600)
        sys.stdout.write(out)
        if err.strip():
            sys.stdout.write("".join("# " + line + "\n" for line in err.splitlines()[-40:]))
        if "1..%d" % out.count("ok ") not in out and p.returncode == 0:
            print("not ok - the contract program ended without its plan")
            return 1
        return p.returncode
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
