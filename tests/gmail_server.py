"""A scripted Gmail-like IMAP server for the client's tests (issue 11 item 1):
IMAP4rev1 with UIDPLUS and Gmail's X-GM-EXT-1 (X-GM-LABELS in FETCH and
STORE, X-GM-MSGID, X-GM-THRID), over implicit TLS with a certificate for
"localhost" signed by the harness' CA, in memory, on 127.0.0.1.

It implements what the mailsync client and offlineimap3 send for a sync
(CAPABILITY, LOGIN, NAMESPACE, LIST/LSUB, SELECT/EXAMINE, STATUS, FETCH and
UID FETCH, UID SEARCH, UID STORE of FLAGS and X-GM-LABELS, APPEND, EXPUNGE,
CREATE, CHECK, NOOP, LOGOUT, ENABLE/ID answered with nothing), not Gmail's
whole model: a message's labels are a set shared by every folder that
shows it, and changing them does not move it between folders.  Folders:
INBOX, "[Gmail]" (\\Noselect) and "[Gmail]/All Mail" (\\All), plus what a
test or a client creates.

    server = GmailServer(directory, {"user": "password"})
    msg = server.add("user", b"...", labels={"\\\\Inbox", "Work"}, folders=["INBOX", "[Gmail]/All Mail"])
    ... server.port, server.ca ...
    server.stop()

With objectid=True it also offers OBJECTID (RFC 8474) and answers FETCH
EMAILID: each Message has an EMAILID of its own, kept when move() moves it
to another folder (check-objectid-client.py: the Debian Dovecot 2.3 of the
harness has no OBJECTID).
"""

import importlib.machinery
import importlib.util
import os
import re
import socketserver
import ssl
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CRLF = b"\r\n"
SYSTEM_FLAGS = ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")


def harness_module():
    """The harness script as a module: its make_certs() writes the CA and
    the "localhost" certificate Dovecot uses (gnutls certtool)."""
    path = os.path.join(HERE, "harness", "dovecot-harness")
    loader = importlib.machinery.SourceFileLoader("dovecot_harness", path)
    spec = importlib.util.spec_from_loader("dovecot_harness", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def quote(s):
    if s.startswith("\\") and re.fullmatch(r"\\[A-Za-z]+", s):
        return s  # a system label such as \Inbox is an atom
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tokenize(data):
    """IMAP arguments -> nested lists of str/bytes (literals are bytes)."""
    out, stack, i = [], [], 0
    cur = out
    while i < len(data):
        c = data[i:i + 1]
        if c == b" ":
            i += 1
        elif c == b"(":
            stack.append(cur)
            cur.append([])
            cur = cur[-1]
            i += 1
        elif c == b")":
            cur = stack.pop()
            i += 1
        elif c == b'"':
            j, s = i + 1, b""
            while data[j:j + 1] != b'"':
                if data[j:j + 1] == b"\\":
                    j += 1
                s += data[j:j + 1]
                j += 1
            cur.append(s.decode())
            i = j + 1
        elif c == b"\0":  # a literal placeholder: \0 index \0
            j = data.index(b"\0", i + 1)
            cur.append(int(data[i + 1:j]))
            i = j + 1
        else:
            m = re.match(rb"[^ ()\"[]*(\[[^\]]*\](<[0-9.]+>)?)?[^ ()\"]*", data[i:])
            cur.append(m.group(0).decode())
            i += len(m.group(0))
    return out


def seqset(text, top):
    """A sequence set over 1..top (or UIDs up to top) -> set of numbers."""
    out = set()
    for part in text.split(","):
        a, _, b = part.partition(":")
        lo = top if a == "*" else int(a)
        hi = lo if not b else (top if b == "*" else int(b))
        lo, hi = min(lo, hi), max(lo, hi)
        out.update(range(lo, hi + 1))
    return out


class Message:
    next_id = 1000

    def __init__(self, body, labels=(), flags=(), date=None):
        Message.next_id += 1
        self.msgid = Message.next_id
        self.thrid = Message.next_id
        self.body = body
        self.labels = set(labels)
        self.flags = set(flags)
        self.date = date or time.time()
        self.emailid = "M%08x" % self.msgid


class Folder:
    def __init__(self, name, attrs=()):
        self.name = name
        self.attrs = list(attrs)
        self.uidvalidity = int(time.time()) % 100000 + len(name)
        self.uidnext = 1
        self.entries = []  # [uid, Message]

    def add(self, msg):
        self.entries.append([self.uidnext, msg])
        self.uidnext += 1
        return self.uidnext - 1


class Account:
    def __init__(self):
        self.lock = threading.RLock()
        self.folders = {}
        for name, attrs in (("INBOX", ["\\HasNoChildren"]), ("[Gmail]", ["\\Noselect", "\\HasChildren"]),
                            ("[Gmail]/All Mail", ["\\HasNoChildren", "\\All"])):
            self.folders[name] = Folder(name, attrs)


class Session(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.user = None
        self.folder = None
        self.readonly = False

    # ---- I/O -------------------------------------------------------------
    def send(self, text):
        data = text if isinstance(text, bytes) else text.encode()
        self.server.owner.log.append((self.user, "S", data))
        self.wfile.write(data)
        self.wfile.flush()

    def read_command(self):
        """One command with its literals -> (line with \\0N\\0 placeholders, [literals])."""
        line, literals = b"", []
        while True:
            part = self.rfile.readline()
            if not part:
                return None, None
            part = part.rstrip(b"\r\n")
            m = re.search(rb"\{(\d+)(\+?)\}$", part)
            if not m:
                line += part
                break
            line += part[:m.start()] + b"\0%d\0" % len(literals)
            if not m.group(2):
                self.send("+ go ahead\r\n")
            literals.append(self.rfile.read(int(m.group(1))))
        self.server.owner.log.append((self.user, "C", line))
        return line, literals

    def handle(self):
        self.send("* OK [CAPABILITY %s] Gimap ready\r\n" % self.capabilities())
        while True:
            line, literals = self.read_command()
            if line is None:
                return
            tag, _, rest = line.partition(b" ")
            verb, _, args = rest.partition(b" ")
            verb = verb.decode().upper()
            tag = tag.decode()
            try:
                if verb == "UID":
                    sub, _, args = args.partition(b" ")
                    verb = "UID " + sub.decode().upper()
                hook = self.server.owner.hook
                if hook and hook(self, tag, verb, args):
                    continue
                method = getattr(self, "cmd_" + verb.replace(" ", "_"), None)
                if method is None:
                    self.send("%s BAD unknown command %s\r\n" % (tag, verb))
                    continue
                args = tokenize(args)
                args = [literals[a] if isinstance(a, int) else a for a in args]
                if method(tag, args) == "logout":
                    return
            except Exception as e:  # a test server: say what broke
                self.send("%s BAD server error %r\r\n" % (tag, e))

    def capabilities(self):
        return "IMAP4rev1 UNSELECT NAMESPACE ID CHILDREN X-GM-EXT-1 UIDPLUS" + \
            (" OBJECTID" if self.server.owner.objectid else "")

    # ---- state -----------------------------------------------------------
    @property
    def account(self):
        return self.server.owner.accounts[self.user]

    def ok(self, tag, text="done"):
        self.send("%s OK %s\r\n" % (tag, text))

    # ---- commands --------------------------------------------------------
    def cmd_CAPABILITY(self, tag, args):
        self.send("* CAPABILITY %s\r\n" % self.capabilities())
        self.ok(tag)

    def cmd_NOOP(self, tag, args):
        self.ok(tag)

    cmd_CHECK = cmd_NOOP

    def cmd_ID(self, tag, args):
        self.send('* ID ("name" "GImap" "vendor" "Google, Inc.")\r\n')
        self.ok(tag)

    def cmd_ENABLE(self, tag, args):
        self.send("* ENABLED\r\n")
        self.ok(tag)

    def cmd_LOGOUT(self, tag, args):
        self.send("* BYE LOGOUT Requested\r\n")
        self.ok(tag)
        return "logout"

    def cmd_LOGIN(self, tag, args):
        user, password = [a.decode() if isinstance(a, bytes) else a for a in args[:2]]
        if self.server.owner.users.get(user) != password:
            self.send("%s NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n" % tag)
            return
        self.user = user
        self.send("%s OK [CAPABILITY %s] %s authenticated (Success)\r\n" % (tag, self.capabilities(), user))

    def cmd_NAMESPACE(self, tag, args):
        self.send('* NAMESPACE (("" "/")) NIL NIL\r\n')
        self.ok(tag)

    def cmd_LIST(self, tag, args, verb="LIST"):
        pattern = args[1]
        with self.account.lock:
            if pattern == "":
                self.send('* %s (\\Noselect) "/" ""\r\n' % verb)
            else:
                rx = re.compile("^" + re.escape(pattern).replace(r"\*", ".*").replace("%", "[^/]*") + "$")
                for name, folder in sorted(self.account.folders.items()):
                    if rx.match(name):
                        self.send('* %s (%s) "/" %s\r\n' % (verb, " ".join(folder.attrs), quote(name)))
        self.ok(tag, "Success")

    def cmd_LSUB(self, tag, args):
        self.cmd_LIST(tag, args, "LSUB")

    def cmd_XLIST(self, tag, args):
        self.cmd_LIST(tag, args, "XLIST")

    def cmd_CREATE(self, tag, args):
        with self.account.lock:
            self.account.folders.setdefault(args[0], Folder(args[0], ["\\HasNoChildren"]))
        self.ok(tag, "Success")

    def cmd_SUBSCRIBE(self, tag, args):
        self.ok(tag)

    def cmd_STATUS(self, tag, args):
        folder = self.account.folders.get(args[0])
        if folder is None:
            self.send("%s NO [NONEXISTENT] Unknown Mailbox\r\n" % tag)
            return
        items = []
        for item in args[1]:
            value = {"MESSAGES": len(folder.entries), "UIDNEXT": folder.uidnext,
                     "UIDVALIDITY": folder.uidvalidity, "RECENT": 0,
                     "UNSEEN": len([1 for _, m in folder.entries if "\\Seen" not in m.flags])}.get(item.upper())
            if value is not None:
                items.append("%s %d" % (item.upper(), value))
        self.send("* STATUS %s (%s)\r\n" % (quote(folder.name), " ".join(items)))
        self.ok(tag)

    def cmd_SELECT(self, tag, args, readonly=False):
        folder = self.account.folders.get(args[0])
        if folder is None or "\\Noselect" in folder.attrs:
            self.send("%s NO [NONEXISTENT] Unknown Mailbox: %s\r\n" % (tag, args[0]))
            return
        self.folder, self.readonly = folder, readonly
        self.send("* FLAGS (%s)\r\n* OK [PERMANENTFLAGS (%s \\*)] Flags permitted.\r\n"
                  "* OK [UIDVALIDITY %d] UIDs valid.\r\n* %d EXISTS\r\n* 0 RECENT\r\n"
                  "* OK [UIDNEXT %d] Predicted next UID.\r\n"
                  % (" ".join(SYSTEM_FLAGS), " ".join(SYSTEM_FLAGS), folder.uidvalidity, len(folder.entries),
                     folder.uidnext))
        self.ok(tag, "[%s] %s (Success)" % ("READ-ONLY" if readonly else "READ-WRITE", folder.name))

    def cmd_EXAMINE(self, tag, args):
        self.cmd_SELECT(tag, args, True)

    def cmd_UNSELECT(self, tag, args):
        self.folder = None
        self.ok(tag)

    cmd_CLOSE = cmd_UNSELECT

    def fetch_items(self, seq, uid, msg, items, uid_command):
        out, literal = [], None
        names = [i.upper() if isinstance(i, str) else i for i in items]
        if uid_command and "UID" not in names:
            names.insert(0, "UID")
        for item in names:
            if item == "UID":
                out.append("UID %d" % uid)
            elif item == "FLAGS":
                out.append("FLAGS (%s)" % " ".join(sorted(msg.flags)))
            elif item == "X-GM-LABELS":
                out.append("X-GM-LABELS (%s)" % " ".join(quote(l) for l in sorted(msg.labels)))
            elif item == "X-GM-MSGID":
                out.append("X-GM-MSGID %d" % msg.msgid)
            elif item == "X-GM-THRID":
                out.append("X-GM-THRID %d" % msg.thrid)
            elif item == "EMAILID" and self.server.owner.objectid:
                out.append("EMAILID (%s)" % msg.emailid)
            elif item == "RFC822.SIZE":
                out.append("RFC822.SIZE %d" % len(msg.body))
            elif item == "INTERNALDATE":
                out.append('INTERNALDATE "%s"' % time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(msg.date)))
            elif item in ("BODY[]", "BODY.PEEK[]", "RFC822"):
                literal = ("BODY[]" if item != "RFC822" else "RFC822", msg.body)
                if item != "BODY.PEEK[]" and not self.readonly:
                    msg.flags.add("\\Seen")
            elif item == "MODSEQ":
                pass
            elif isinstance(item, str) and re.fullmatch(r"BODY(\.PEEK)?\[HEADER\.FIELDS \(([^)]*)\)\]", item):
                # the header lines of those fields (the move pass asks for Message-ID)
                fields = re.fullmatch(r"BODY(?:\.PEEK)?\[HEADER\.FIELDS \(([^)]*)\)\]", item).group(1).split()
                head = msg.body.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
                lines = [l for l in head if l.split(b":", 1)[0].decode().upper() in fields]
                literal = ("BODY[HEADER.FIELDS (%s)]" % " ".join(fields), b"".join(l + CRLF for l in lines) + CRLF)
        head = "* %d FETCH (%s" % (seq, " ".join(out))
        if literal:
            self.send(("%s%s%s {%d}\r\n" % (head, " " if out else "", literal[0], len(literal[1]))).encode()
                      + literal[1] + b")\r\n")
        else:
            self.send(head + ")\r\n")

    def expand_items(self, spec):
        if isinstance(spec, list):
            return spec
        return {"ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"], "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
                "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"]}.get(spec.upper(), [spec])

    def cmd_FETCH(self, tag, args, uid_command=False):
        if self.folder is None:
            self.send("%s BAD no folder selected\r\n" % tag)
            return
        with self.account.lock:
            entries = list(self.folder.entries)
            top = entries[-1][0] if uid_command and entries else len(entries)
            wanted = seqset(args[0], top if top else 0) if entries else set()
            for seq, (uid, msg) in enumerate(entries, 1):
                if (uid if uid_command else seq) in wanted:
                    self.fetch_items(seq, uid, msg, self.expand_items(args[1]), uid_command)
        self.ok(tag, "Success")

    def cmd_UID_FETCH(self, tag, args):
        self.cmd_FETCH(tag, args, True)

    def cmd_UID_SEARCH(self, tag, args):
        with self.account.lock:
            uids = [uid for uid, _ in self.folder.entries]
            if len(args) >= 2 and args[0].upper() == "UID":
                top = uids[-1] if uids else 0
                wanted = seqset(args[1], max(top, 1))
                uids = [u for u in uids if u in wanted]
        self.send("* SEARCH%s\r\n" % "".join(" %d" % u for u in uids))
        self.ok(tag, "SEARCH completed (Success)")

    def cmd_SEARCH(self, tag, args):
        with self.account.lock:
            n = len(self.folder.entries)
        self.send("* SEARCH%s\r\n" % "".join(" %d" % i for i in range(1, n + 1)))
        self.ok(tag, "SEARCH completed (Success)")

    def cmd_UID_STORE(self, tag, args):
        if self.readonly:
            self.send("%s NO read-only folder\r\n" % tag)
            return
        what = args[1].upper()
        values = args[2] if isinstance(args[2], list) else [args[2]]
        values = [v.decode() if isinstance(v, bytes) else v for v in values]
        silent = what.endswith(".SILENT")
        what = what.replace(".SILENT", "")
        with self.account.lock:
            top = self.folder.entries[-1][0] if self.folder.entries else 0
            wanted = seqset(args[0], max(top, 1))
            for seq, (uid, msg) in enumerate(self.folder.entries, 1):
                if uid not in wanted:
                    continue
                target = msg.labels if "X-GM-LABELS" in what else msg.flags
                if what.startswith("+"):
                    target.update(values)
                elif what.startswith("-"):
                    target.difference_update(values)
                else:
                    target.clear()
                    target.update(values)
                if not silent:
                    item = "X-GM-LABELS" if "X-GM-LABELS" in what else "FLAGS"
                    self.fetch_items(seq, uid, msg, [item], True)
        self.ok(tag, "Success")

    def cmd_APPEND(self, tag, args):
        name, body = args[0], args[-1]
        flags = next((a for a in args[1:-1] if isinstance(a, list)), [])
        with self.account.lock:
            folder = self.account.folders.get(name)
            if folder is None:
                self.send("%s NO [TRYCREATE] Folder doesn't exist.\r\n" % tag)
                return
            msg = Message(body, ["\\Inbox"] if name == "INBOX" else [], flags)
            uid = folder.add(msg)
            if name != "[Gmail]/All Mail" and self.server.owner.append_to_all_mail:
                self.account.folders["[Gmail]/All Mail"].add(msg)
        self.ok(tag, "[APPENDUID %d %d] (Success)" % (folder.uidvalidity, uid))

    def cmd_EXPUNGE(self, tag, args):
        with self.account.lock:
            seq = 1
            for uid, msg in list(self.folder.entries):
                if "\\Deleted" in msg.flags:
                    self.folder.entries.remove([uid, msg])
                    self.send("* %d EXPUNGE\r\n" % seq)
                else:
                    seq += 1
        self.ok(tag, "Success")

    def cmd_UID_EXPUNGE(self, tag, args):
        self.cmd_EXPUNGE(tag, args)


class TLSServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner, context):
        self.owner = owner
        self.context = context
        super().__init__(("127.0.0.1", 0), Session)

    def get_request(self):
        sock, addr = super().get_request()
        sock.settimeout(120)
        return self.context.wrap_socket(sock, server_side=True), addr


class GmailServer:
    def __init__(self, directory, users, objectid=False):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        harness_module().make_certs(directory)
        self.ca = os.path.join(directory, "ca.pem")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(os.path.join(directory, "tls", "server.pem"),
                                os.path.join(directory, "tls", "server.key"))
        self.users = dict(users)
        self.accounts = {user: Account() for user in users}
        self.log = []
        self.hook = None
        self.objectid = objectid  # OBJECTID (RFC 8474): FETCH EMAILID
        self.append_to_all_mail = True  # Gmail shows an appended message in All Mail too
        self.server = TLSServer(self, context)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, user, body, labels=(), flags=(), folders=("INBOX",), all_mail=True, date=None):
        """A message shown in @folders (and in All Mail, as Gmail does,
        unless @all_mail is False: a test that wants one folder only)."""
        account = self.accounts[user]
        msg = Message(body, labels, flags, date)
        with account.lock:
            for name in list(folders) + (["[Gmail]/All Mail"] if all_mail else []):
                if name not in account.folders:
                    account.folders[name] = Folder(name, ["\\HasNoChildren"])
                if all(m is not msg for _, m in account.folders[name].entries):
                    account.folders[name].add(msg)
        return msg

    def move(self, user, msg, source, dest):
        """Another client's UID MOVE: @msg leaves @source and arrives in
        @dest under that folder's next UID, the same message (its EMAILID
        kept).  Returns the new UID."""
        account = self.accounts[user]
        with account.lock:
            account.folders[source].entries = [e for e in account.folders[source].entries if e[1] is not msg]
            return account.folders[dest].add(msg)

    def remove(self, user, msg, folder):
        """@msg expunged from @folder."""
        account = self.accounts[user]
        with account.lock:
            account.folders[folder].entries = [e for e in account.folders[folder].entries if e[1] is not msg]

    def messages(self, user, folder):
        """[(uid, Message)] of @folder."""
        with self.accounts[user].lock:
            return [tuple(e) for e in self.accounts[user].folders[folder].entries]

    def commands(self, user=None):
        """The command lines the clients sent (of @user)."""
        return [line.decode(errors="replace") for u, d, line in self.log if d == "C" and (user is None or u == user)]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
