"""A scripted IMAP server for the client's tests: a small, in-memory IMAP4rev1
server on 127.0.0.1 that answers what the mailsync client sends, and that a
test can make misbehave command by command (a missing body, a NO with a
response code, a BYE, silence, a reset), which Dovecot cannot be made to do.

Used by check-imap-faults.py (issue 12 items 6 and 7), check-imap-throttled.py (item 9),
check-imap-early-login.py and check-imap-early-starttls.py (STARTTLS:
``starttls=context``) and
check-keywords.py (PERMANENTFLAGS without \\*, issue 10 item 3). It is a test of
the client: the server implements only what the client's sync needs
(LOGIN, CAPABILITY, NAMESPACE, LIST, LSUB, SELECT/EXAMINE, STATUS, UID
FETCH/SEARCH/STORE, APPEND with literals, EXPUNGE, CHECK, NOOP, LOGOUT) and
keeps its mailboxes in memory, so that a test can look at what the client
stored.

A test changes behaviour by setting ``server.hook``: a function
``hook(server, session, tag, verb, line)`` called before each command; it
returns None to let the server answer normally, or an ``Action``:
``Reply(text)`` (sent instead of the normal answer, may be several lines),
``Silence()`` (never answer this command), ``Reset()`` (close the
connection with RST) or ``Close()`` (a FIN). A hook that must not answer
before the client has sent something more (a NOOP behind a slow login)
waits for it with ``server.wait_for_command()``, a condition with a
generous deadline, never a fixed delay.

A test measures the client's pipelining with ``server.probe =
Probe(pattern, targets)``: the server holds the commands matching
@pattern (and every command after the first held one, so that answers
stay in order) unanswered until as many as the burst's target are waiting,
then answers them all; how many were waiting at once is the client's
window of outstanding tagged commands (see Probe)."""

import re
import socket
import struct
import threading
import time

CRLF = b"\r\n"


class Reply:
    """Sends @text instead of the normal answer; with @close, then closes
    the connection (as a server does after a BYE)."""

    def __init__(self, text, close=False):
        self.text = text if isinstance(text, bytes) else text.encode()
        self.close = close


class Silence:
    pass


class Reset:
    pass


class Close:
    pass


def reset(sock):
    """Closes @sock with an RST (SO_LINGER 0) instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


def message(tag, size=0):
    body = ("From: test@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@scripted>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nBody of %s\r\n"
            % (tag, tag, tag)).encode()
    if size > len(body):
        body += b"x" * (size - len(body) - 2) + CRLF
    return body


class Probe:
    """Measures how many tagged commands the client has outstanding at once
    (issue 12 item 9: the pipelined window shrinks after a [THROTTLED]).

    For each burst, the server holds the first command matching @pattern
    and everything that follows it, unanswered, until @targets[burst]
    commands wait (the window the test expects), then @grace seconds more
    (a client that sends more than its window sends them at once), then
    answers them in order; the number that waited is in ``peaks``. A
    client that stops short of the target is answered once nothing came for
    @deadline seconds (generous: only a broken client waits for it, and the
    test then fails on the peak). A burst starts only where
    @may_start(probe) says so (read before the command is answered: a
    test sets its markers in its hook, at a resumed folder's SELECT, say).
    After the last target, nothing is held."""

    def __init__(self, pattern, targets, may_start=None, grace=0.3, deadline=15.0):
        self.pattern = re.compile(pattern)
        self.targets = list(targets)
        self.may_start = may_start or (lambda probe: True)
        self.grace = grace
        self.deadline = deadline
        self.peaks = []

    def active(self):
        return len(self.peaks) < len(self.targets) and self.may_start(self)


class Mailbox:
    def __init__(self, uidvalidity):
        self.uidvalidity = uidvalidity
        self.uidnext = 1
        self.messages = []          # [uid, flags (set), body bytes]

    def add(self, body, flags=()):
        uid = self.uidnext
        self.uidnext += 1
        self.messages.append([uid, set(flags), body])
        return uid

    def by_uid(self, uid):
        for m in self.messages:
            if m[0] == uid:
                return m
        return None


def uid_set(text, mailbox):
    """The UIDs of @mailbox a sequence set like 1:3,5,7:* names."""
    top = max([m[0] for m in mailbox.messages] + [0])
    out = set()
    for part in text.split(","):
        if ":" in part:
            a, b = part.split(":")
            a = top if a == "*" else int(a)
            b = top if b == "*" else int(b)
            lo, hi = min(a, b), max(a, b)
            out.update(m[0] for m in mailbox.messages if lo <= m[0] <= hi)
        else:
            n = top if part == "*" else int(part)
            out.update(m[0] for m in mailbox.messages if m[0] == n)
    return out


class Session:
    def __init__(self, server, sock, number):
        self.server = server
        self.sock = sock
        self.number = number
        self.selected = None
        self.early = b""            # what the client sent before the greeting
        self.tls = False            # STARTTLS done (server.starttls)
        self.clear = []             # the command lines read before TLS (STARTTLS)
        self.after_starttls = b""   # what the client sent behind STARTTLS in clear (dropped)
        self.inbuf = b""            # read from the client, not yet taken as commands

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)


class ScriptedImapServer:
    CAPABILITIES = "IMAP4rev1 UIDPLUS NAMESPACE"

    def __init__(self, folders=("INBOX",), tls=None, starttls=None):
        # an ssl.SSLContext: implicit TLS (IMAPS) on every connection
        self.tls = tls
        # an ssl.SSLContext: STARTTLS answered OK and the handshake run
        # with it (what was read behind the command in clear is dropped,
        # kept in session.after_starttls); CAPABILITY after it answers
        # tls_capabilities (None: CAPABILITIES)
        self.starttls = starttls
        self.tls_capabilities = None
        # bytes sent in clear right behind the OK to STARTTLS, in the same
        # write (the STARTTLS injection, CVE-2011-0411 class, from the
        # server's side), or a function of the session that gives them
        # (None: nothing)
        self.starttls_inject = None
        # seconds a new session waits for the client to speak before it
        # greets (0: greets at once); what came is session.early. Or a
        # function of the session that gives those seconds (a test that
        # waits on the first connection of a run only).
        self.early_wait = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.mailboxes = {name: Mailbox(1000 + i) for i, name in enumerate(folders)}
        self.hook = None
        self.probe = None
        # what SELECT says the client may store (check-keywords.py takes
        # \* out: a server that keeps only the keywords it lists)
        self.permanentflags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*"
        # RFC 7889 per-mailbox limits (check-imap-appendlimit.py): a test
        # that sets this and adds a bare APPENDLIMIT to CAPABILITIES gets
        # STATUS (APPENDLIMIT) answered from it (None: NIL) and an APPEND
        # over a mailbox's limit refused with [TOOBIG]
        self.append_limits = {}
        # a test's refusal of a message (body -> NO text, or None)
        self.refuse_append = None
        self.appended = []          # messages stored by each APPEND that stored
        self.greeting = "* OK [CAPABILITY %s AUTH=PLAIN] scripted server ready\r\n" % self.CAPABILITIES
        self.log = []               # (session number, time, command line) of every command
        self.connect_times = []     # monotonic time of every accepted connection
        self.sessions = []
        self.open_sessions = 0
        self.peak_sessions = 0
        threading.Thread(target=self.serve, daemon=True).start()

    # -- what the tests look at ---------------------------------------------

    def commands(self, pattern=None):
        with self.lock:
            lines = [l for _, _, l in self.log]
        return [l for l in lines if pattern is None or re.search(pattern, l)]

    def command_times(self, pattern):
        with self.lock:
            return [t for _, t, l in self.log if re.search(pattern, l)]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        for s in self.sessions:
            try:
                s.sock.close()
            except OSError:
                pass

    # -- for hooks ----------------------------------------------------------

    def wait_for_command(self, session, verb, deadline=120.0, take=False):
        """For a hook, which runs on @session's thread (nothing else reads
        it meanwhile): waits until the client has sent a command @verb
        after the one being answered, at most @deadline seconds (generous:
        a condition, never a guess at the client's speed). Returns its tag,
        or None at the deadline or when the client closed. The command is
        then answered as usual after the hook's, unless @take: then it is
        logged, taken out of what is read, and the hook answers it."""
        end = time.monotonic() + deadline
        while True:
            lines = session.inbuf.split(CRLF)[:-1]
            for i, line in enumerate(lines):
                parts = line.split(b" ", 2)
                if len(parts) >= 2 and parts[1].upper() == verb.encode():
                    if take:
                        with self.lock:
                            self.log.append((session.number, time.monotonic(),
                                             b" ".join(parts[1:]).decode(errors="replace")))
                        session.inbuf = CRLF.join(lines[:i] + lines[i + 1:] + [session.inbuf.split(CRLF)[-1]])
                    return parts[0].decode(errors="replace")
            left = end - time.monotonic()
            if left <= 0:
                return None
            session.sock.settimeout(left)
            try:
                data = session.sock.recv(65536)
            except socket.timeout:
                return None
            finally:
                session.sock.settimeout(None)
            if not data:
                return None
            session.inbuf += data

    # -- serving ------------------------------------------------------------

    def serve(self):
        n = 0
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            n += 1
            session = Session(self, c, n)
            self.sessions.append(session)
            threading.Thread(target=self.run_session, args=(session,), daemon=True).start()

    def run_session(self, session):
        with self.lock:
            self.connect_times.append(time.monotonic())
            self.open_sessions += 1
            self.peak_sessions = max(self.peak_sessions, self.open_sessions)
        try:
            if self.tls is not None:
                session.sock = self.tls.wrap_socket(session.sock, server_side=True)
            early_wait = self.early_wait(session) if callable(self.early_wait) else self.early_wait
            if early_wait:
                session.sock.settimeout(early_wait)
                try:
                    session.early = session.sock.recv(65536)
                except socket.timeout:
                    pass
                finally:
                    session.sock.settimeout(None)
            action = self.hook(self, session, None, "GREETING", "") if self.hook else None
            if not self.act(session, action):
                return
            if action is None:
                session.send(self.greeting)
            self.read_commands(session, session.early)
        except (OSError, ValueError):
            pass
        finally:
            with self.lock:
                self.open_sessions -= 1

    def act(self, session, action):
        """Performs a hook's action; False when the session is over."""
        if action is None:
            return True
        if isinstance(action, Reply):
            session.send(action.text)
            if action.close:
                session.sock.close()
                return False
            return True
        if isinstance(action, Silence):
            return True
        if isinstance(action, Reset):
            reset(session.sock)
            return False
        if isinstance(action, Close):
            session.sock.close()
            return False
        raise TypeError(action)

    def read_commands(self, session, buf=b""):
        # what was read and not yet taken: on the session, so that a hook
        # can wait for what comes next (wait_for_command)
        session.inbuf = buf
        held = []                   # a probe's burst: commands read, not answered
        wait_until = None           # when the held burst is answered anyway
        while True:
            while CRLF not in session.inbuf:
                if held:
                    probe = self.probe
                    full = len(held) >= probe.targets[len(probe.peaks)]
                    if full and wait_until is None:
                        wait_until = time.monotonic() + probe.grace
                    left = (wait_until if full else time.monotonic() + probe.deadline) - time.monotonic()
                    session.sock.settimeout(max(left, 0.001))
                    try:
                        data = session.sock.recv(65536)
                    except socket.timeout:
                        data = None
                    finally:
                        session.sock.settimeout(None)
                    if data is None:
                        # the burst is complete (or the client stopped short)
                        with self.lock:
                            probe.peaks.append(len(held))
                        burst, held, wait_until = held, [], None
                        for command in burst:
                            if not self.process(session, *command):
                                return
                        continue
                else:
                    data = session.sock.recv(65536)
                if not data:
                    return
                session.inbuf += data
            line, session.inbuf = session.inbuf.split(CRLF, 1)
            literals = []
            # A command line may end in {n} or {n+}: read the literal, then
            # the rest of the line.
            while True:
                m = re.search(rb"\{(\d+)(\+?)\}$", line)
                if not m:
                    break
                size = int(m.group(1))
                if not m.group(2):
                    session.send(b"+ go ahead\r\n")
                while len(session.inbuf) < size:
                    data = session.sock.recv(65536)
                    if not data:
                        return
                    session.inbuf += data
                literals.append(session.inbuf[:size])
                session.inbuf = session.inbuf[size:]
                while CRLF not in session.inbuf:
                    data = session.sock.recv(65536)
                    if not data:
                        return
                    session.inbuf += data
                rest, session.inbuf = session.inbuf.split(CRLF, 1)
                line = line[:m.start()] + b"{}" + rest
            text = line.decode(errors="replace")
            tag, _, rest = text.partition(" ")
            verb = rest.split(" ", 1)[0].upper()
            if verb == "UID":
                verb = "UID " + rest.split(" ", 2)[1].upper()
            with self.lock:
                self.log.append((session.number, time.monotonic(), rest))
                if self.tls is None and not session.tls:
                    session.clear.append(rest)
            if verb == "DONE":
                continue
            if verb == "STARTTLS" and self.starttls is not None and not session.tls and not held:
                action = self.hook(self, session, tag, verb, rest) if self.hook else None
                if not self.act(session, action):
                    return
                if action is None:
                    inject = self.starttls_inject(session) if callable(self.starttls_inject) else self.starttls_inject
                    session.send(("%s OK Begin TLS negotiation now\r\n" % tag).encode() + (inject or b""))
                    session.after_starttls, session.inbuf = session.inbuf, b""
                    session.sock = self.starttls.wrap_socket(session.sock, server_side=True)
                    session.tls = True
                continue
            probe = self.probe
            if held or (probe is not None and probe.active() and probe.pattern.search(rest)):
                held.append((tag, verb, rest, literals))
                continue
            if not self.process(session, tag, verb, rest, literals):
                return

    def process(self, session, tag, verb, rest, literals):
        """Answers one command (the hook first); False when the session is
        over."""
        action = self.hook(self, session, tag, verb, rest) if self.hook else None
        if not self.act(session, action):
            return False
        if action is not None:
            return True
        out = self.answer(session, tag, verb, rest, literals)
        session.send(out)
        if verb == "LOGOUT":
            session.sock.close()
            return False
        return True

    # -- the normal answers -------------------------------------------------

    def answer(self, session, tag, verb, rest, literals):
        ok = "%s OK %s completed\r\n" % (tag, verb)
        args = rest.split(" ", 1)[1] if " " in rest else ""
        if verb == "CAPABILITY":
            caps = self.tls_capabilities if session.tls and self.tls_capabilities is not None else self.CAPABILITIES
            return "* CAPABILITY %s\r\n" % caps + ok
        if verb in ("LOGIN", "AUTHENTICATE"):
            return "%s OK [CAPABILITY %s] logged in\r\n" % (tag, self.CAPABILITIES)
        if verb in ("NOOP", "CHECK", "ENABLE", "ID", "SUBSCRIBE"):
            return ok
        if verb == "LOGOUT":
            return "* BYE logging out\r\n" + ok
        if verb == "NAMESPACE":
            return '* NAMESPACE (("" "/")) NIL NIL\r\n' + ok
        if verb in ("LIST", "LSUB"):
            if args.endswith('""'):
                return '* %s (\\Noselect) "/" ""\r\n' % verb + ok
            return "".join('* %s () "/" "%s"\r\n' % (verb, n) for n in self.mailboxes) + ok
        if verb in ("SELECT", "EXAMINE", "STATUS"):
            name = self.mailbox_name(args)
            mb = self.mailboxes.get(name)
            if mb is None:
                return "%s NO [NONEXISTENT] no such mailbox\r\n" % tag
            if verb == "STATUS" and "APPENDLIMIT" in args.upper():
                limit = self.append_limits.get(name)
                return ('* STATUS "%s" (APPENDLIMIT %s)\r\n' % (name, "NIL" if limit is None else limit)) + ok
            if verb == "STATUS":
                return ('* STATUS "%s" (MESSAGES %d UIDNEXT %d UIDVALIDITY %d UNSEEN 0)\r\n'
                        % (name, len(mb.messages), mb.uidnext, mb.uidvalidity)) + ok
            session.selected = name
            return ("* %d EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY %d] ok\r\n* OK [UIDNEXT %d] ok\r\n"
                    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                    "* OK [PERMANENTFLAGS (%s)] ok\r\n"
                    % (len(mb.messages), mb.uidvalidity, mb.uidnext, self.permanentflags)
                    + "%s OK [%s] done\r\n" % (tag, "READ-ONLY" if verb == "EXAMINE" else "READ-WRITE"))
        if verb == "CREATE":
            name = self.mailbox_name(args)
            self.mailboxes.setdefault(name, Mailbox(2000 + len(self.mailboxes)))
            return ok
        if verb == "APPEND":
            return self.append(tag, args, literals)
        mb = self.mailboxes.get(session.selected) if session.selected else None
        if verb == "UID FETCH" and mb is not None:
            _, _, what = rest.split(" ", 2)
            set_text, _, items = what.partition(" ")
            out = []
            with self.lock:
                uids = sorted(uid_set(set_text, mb))
                for seq, m in enumerate(mb.messages, 1):
                    if m[0] not in uids:
                        continue
                    if "BODY.PEEK[]" in items or "BODY[]" in items:
                        body = self.body_of(session, m)
                        out.append(b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (seq, m[0], len(body)) + body + b")\r\n")
                    else:
                        out.append(("* %d FETCH (UID %d FLAGS (%s) RFC822.SIZE %d INTERNALDATE "
                                    "\"25-Nov-2026 10:00:00 +0000\")\r\n"
                                    % (seq, m[0], " ".join(sorted(m[1])), len(m[2]))).encode())
            return b"".join(out) + ok.encode()
        if verb == "UID SEARCH" and mb is not None:
            m = re.search(r"UID (\S+)", rest.split(" ", 2)[2])
            with self.lock:
                uids = sorted(uid_set(m.group(1), mb)) if m else [x[0] for x in mb.messages]
            return "* SEARCH%s\r\n" % "".join(" %d" % u for u in uids) + ok
        if verb == "UID STORE" and mb is not None:
            _, _, what = rest.split(" ", 2)
            set_text, op, flags = what.split(" ", 2)
            flags = set(flags.strip("()").split())
            with self.lock:
                for m in mb.messages:
                    if m[0] in uid_set(set_text, mb):
                        if op.startswith("+"):
                            m[1] |= flags
                        elif op.startswith("-"):
                            m[1] -= flags
                        else:
                            m[1] = set(flags)
            return ok
        if verb in ("EXPUNGE", "UID EXPUNGE") and mb is not None:
            with self.lock:
                mb.messages = [m for m in mb.messages if "\\Deleted" not in m[1]]
            return ok
        if verb in ("CLOSE", "UNSELECT"):
            session.selected = None
            return ok
        return "%s BAD unknown command %s\r\n" % (tag, verb)

    def append(self, tag, args, literals):
        """APPEND, and MULTIAPPEND (RFC 3502) when CAPABILITIES names it:
        all the messages stored or none (a [TOOBIG] over the mailbox's
        append_limits, or a NO for a message @refuse_append names)."""
        name = self.mailbox_name(args)
        mb = self.mailboxes.get(name)
        if mb is None:
            return "%s NO [TRYCREATE] no such mailbox\r\n" % tag
        if len(literals) > 1 and "MULTIAPPEND" not in self.CAPABILITIES.split():
            return "%s BAD one message per APPEND\r\n" % tag
        limit = self.append_limits.get(name)
        for body in literals:
            if limit is not None and len(body) > limit:
                return "%s NO [TOOBIG] message larger than %d bytes\r\n" % (tag, limit)
            refused = self.refuse_append(body) if self.refuse_append else None
            if refused:
                return "%s NO %s\r\n" % (tag, refused)
        # the text before each literal: its flag list and date
        segments = args.split("{}")
        uids = []
        with self.lock:
            for i, body in enumerate(literals or [b""]):
                flags = re.search(r"\(([^)]*)\)", segments[i] if i < len(segments) else "")
                uids.append(mb.add(body, flags.group(1).split() if flags else ()))
        self.appended.append(len(uids))
        uid_text = ("%d:%d" % (uids[0], uids[-1]) if uids == list(range(uids[0], uids[-1] + 1))
                    else ",".join(str(u) for u in uids))
        return "%s OK [APPENDUID %d %s] appended\r\n" % (tag, mb.uidvalidity, uid_text)

    def body_of(self, session, m):
        return m[2]

    @staticmethod
    def mailbox_name(args):
        args = args.strip()
        if args.startswith('"'):
            return re.match(r'"((?:[^"\\]|\\.)*)"', args).group(1).replace('\\"', '"').replace("\\\\", "\\")
        return args.split(" ", 1)[0]
