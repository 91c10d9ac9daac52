"""A TCP relay in front of the harness' Dovecot that notes, per
connection, each command the client sent and each tagged answer, with
their times, and the IMAP <-> Maildir account that syncs through it
(check-imap-concurrent.py, check-imap-overlap.py)."""

import os
import re
import shutil
import socket
import threading
import time

TAGGED = re.compile(rb"^(\S+) (OK|NO|BAD)\b")
COMMAND = re.compile(rb"^(\S+) (?:UID )?([A-Za-z]+)(?: (.*))?$")


class Relay:
    """A TCP relay to (host, port) that notes per connection the client's
    commands (tag, verb, argument, time sent) and the server's tagged
    answers (tag, time). With @cut_after, connections after that many
    are closed at once (a server that refuses a second session)."""

    def __init__(self, host, port, cut_after=None):
        self.upstream = (host, int(port))
        self.cut_after = cut_after
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.sessions = []
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                n = len(self.sessions)
                session = {"commands": [], "answers": {}, "cut": False}
                self.sessions.append(session)
            if self.cut_after is not None and n >= self.cut_after:
                session["cut"] = True
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self.pump, args=(client, server, session, True), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, session, False), daemon=True).start()

    def note(self, session, line, from_client):
        now = time.monotonic()
        with self.lock:
            if from_client:
                m = COMMAND.match(line)
                if m:
                    session["commands"].append((m.group(1), m.group(2).upper(), m.group(3) or b"", now))
            else:
                m = TAGGED.match(line)
                if m:
                    session["answers"].setdefault(m.group(1), now)

    def pump(self, src, dst, session, from_client):
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                buf += data
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    # long literal text (message bodies) is not a command
                    if len(line) < 2000:
                        self.note(session, line, from_client)
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
        return sessions

    def close(self):
        self.listener.close()


def selections(session):
    """The folders a connection SELECTed, each as (mailbox, start, end):
    from its SELECT going out to the last tagged answer before the next
    SELECT (or the end of the session)."""
    out = []
    commands = session["commands"]
    for i, (tag, verb, arg, sent) in enumerate(commands):
        if verb not in (b"SELECT", b"EXAMINE"):
            continue
        end = sent
        for tag2, verb2, _, _ in commands[i:]:
            if verb2 in (b"SELECT", b"EXAMINE", b"LOGOUT") and tag2 != tag:
                break
            end = max(end, session["answers"].get(tag2, end))
        mailbox = arg.split(b" (")[0].strip(b'"')
        out.append((mailbox, sent, end))
    return out


def overlapping(sessions):
    """Pairs of different folders SELECTed on two connections at once."""
    found = []
    sel = [selections(s) for s in sessions]
    for i in range(len(sel)):
        for j in range(i + 1, len(sel)):
            for a in sel[i]:
                for b in sel[j]:
                    if a[0] != b[0] and a[1] < b[2] and b[1] < a[2]:
                        found.append((a[0], b[0]))
    return found


CONFIG = """[general]
accounts = Test
metadata = %(home)s/meta

[Account Test]
localrepository = Local
remoterepository = Remote

[Repository Local]
type = Maildir
localfolders = %(home)s/mail

[Repository Remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = %(port)s
ssl = no
starttls = no
remoteuser = %(user)s
remotepass = %(password)s
maxconnections = %(maxconn)s
retrycount = %(retry)s
"""


def write_config(root, name, port, user, password, maxconn, retry=2, fresh=True, extra=""):
    """<root>/<name>.conf: account Test, the Maildir <root>/<name>/mail,
    the server at 127.0.0.1:@port in plain IMAP; returns (path, home)."""
    home = os.path.join(root, name)
    if fresh:
        shutil.rmtree(home, ignore_errors=True)
    os.makedirs(os.path.join(home, "mail"), exist_ok=True)
    path = os.path.join(root, name + ".conf")
    with open(path, "w") as f:
        f.write(CONFIG % {"home": home, "port": port, "user": user, "password": password, "maxconn": maxconn,
                          "retry": retry} + extra)
    return path, home


def sync_async(port, user, password, home, maxconn, record):
    """mailsync_account_sync_async() (PyGObject) of account Test: the
    server at 127.0.0.1:@port in plain IMAP with @maxconn connections,
    the Maildir <home>/mail, the SQLite status in <home>/meta; @record
    (ev) -> a tuple is kept for every event, with the thread it came on
    last. Runs the default main context until the callback (at most 240
    s) and what it has left; returns (Mailsync, records, result:
    {"ok" or "error", "events": records when the callback ran}), or a
    string saying why PyGObject or the typelib is missing."""
    import threading
    try:
        import gi
        gi.require_version("Mailsync", "1.0")
        from gi.repository import GLib, Mailsync
    except (ImportError, ValueError) as e:
        return "no PyGObject or no typelib: %s" % e
    for sub in ("mail", "meta"):
        os.makedirs(os.path.join(home, sub), exist_ok=True)
    remote = Mailsync.ImapRepository.new("Remote", "127.0.0.1", int(port))
    for name, value in (("ssl", False), ("starttls", False), ("user", user), ("password", password),
                        ("max-connections", maxconn)):
        remote.set_property(name, value)
    local = Mailsync.MaildirRepository.new("Local", os.path.join(home, "mail"), ord("."))
    account = Mailsync.Account.new("Test", remote, local, Mailsync.StatusSqlite.new(os.path.join(home, "meta")))
    records, result = [], {}
    account.connect("event", lambda acct, ev: records.append(record(ev) + (threading.get_ident(),)))
    loop = GLib.MainLoop()

    def done(acct, res):
        try:
            result["ok"] = acct.sync_finish(res)
        except GLib.Error as e:
            result["error"] = e.message
        result["events"] = len(records)
        loop.quit()

    account.sync_async(None, done)
    deadline = GLib.timeout_add_seconds(240, loop.quit)
    loop.run()
    GLib.source_remove(deadline)
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass
    return Mailsync, records, result
