"""What the Dovecot suites of the sync share: check-imap-sync.py (the
sync's paths), check-imap-crashes.py (crashes and kills) and
check-imap-downloads.py (killed downloads, the downloads entry), and the
helpers check-imap-features.py and check-imap-options.py use: one TAP
stream, the private Dovecot and its users, messages put on the server,
both sides' state as another client sees it, the sync through
tests/sync-maildirs, and a suite's main.

The harness (tests/harness/dovecot-harness) starts Dovecot on 127.0.0.1;
the sync runs through tests/sync-maildirs with an IMAP remote; the server
side is changed and inspected with Python's imaplib, as another mail
client would. Skipped (1..0 # SKIP) when Dovecot is not installed."""

import hashlib
import os
import re
import shutil
import tempfile

import mailsync_tap

HERE = os.path.dirname(os.path.abspath(__file__))
BUILDDIR = os.environ.get("TEST_BUILDDIR", HERE)
SRCDIR = os.environ.get("top_srcdir", os.path.join(HERE, ".."))
HARNESS = mailsync_tap.HARNESS
DRIVER = os.path.join(BUILDDIR, "sync-maildirs")
CHANGES = ("message-copied", "messages-deleted", "flags-added", "flags-removed", "folder-created")

TAP = mailsync_tap.Tap(500)
# a killed run's uploads are kept for seconds, not a minute (rerun_until_uploaded)
os.environ.setdefault("MAILSYNC_TEST_UPLOAD_GRACE", mailsync_tap.UPLOAD_GRACE)
check = TAP.check
failures = TAP.failures
__getattr__ = TAP.module_getattr  # .checks


def Server(root, variant=None):
    return mailsync_tap.DovecotUsers(root, "user", 100, variant)


def message(tag, size=0):
    body = "Body of %s\r\n" % tag
    if size:
        line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy\r\n"
        body += line * (size // len(line))
    return ("From: test@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@test>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n%s" % (tag, tag, body)).encode()


def append(conn, folder, tag, flags="", size=0):
    typ, data = conn.append(quote(folder), "(%s)" % flags if flags else None, None, message(tag, size))
    assert typ == "OK", data


def quote(name):
    return '"%s"' % name.replace("\\", "\\\\").replace('"', '\\"')


def decode_mutf7(name):
    """RFC 3501 §5.1.3 modified UTF-7 to str (for comparing names)."""
    import base64
    out, i = [], 0
    while i < len(name):
        if name[i] == "&":
            j = name.index("-", i)
            if j == i + 1:
                out.append("&")
            else:
                b64 = name[i + 1:j].replace(",", "/")
                b64 += "=" * (-len(b64) % 4)
                out.append(base64.b64decode(b64).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def server_state(conn):
    """folder -> sorted [(digest, flags)] as another client sees it."""
    state = {}
    typ, data = conn.list()
    for line in data:
        m = re.match(rb'\((.*?)\) "(.)" (.*)', line)
        name = m.group(3).decode()
        if name.startswith('"'):
            name = name[1:-1]
        if "\\Noselect" in m.group(1).decode():
            continue
        conn.select(quote(name), readonly=True)
        typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
        items = []
        for part in data:
            if isinstance(part, tuple):
                flags = re.search(rb"FLAGS \((.*?)\)", part[0]).group(1).decode().split()
                letters = "".join(sorted({"\\Seen": "S", "\\Flagged": "F", "\\Answered": "R",
                                          "\\Deleted": "T", "\\Draft": "D"}.get(f, "") for f in flags))
                items.append((hashlib.md5(part[1].replace(b"\r", b"")).hexdigest(), letters))
        state[decode_mutf7(name)] = sorted(items)
    return state


def local_state(root):
    state = {}
    for folder in sorted(os.listdir(root)):
        fdir = os.path.join(root, folder)
        if not os.path.isdir(os.path.join(fdir, "cur")):
            continue
        items = []
        for sub in ("cur", "new"):
            for name in os.listdir(os.path.join(fdir, sub)):
                with open(os.path.join(fdir, sub, name), "rb") as f:
                    digest = hashlib.md5(f.read().replace(b"\r", b"")).hexdigest()
                items.append((digest, name.split(":2,", 1)[1] if ":2," in name else ""))
        state[folder] = sorted(items)
    return state


def run_sync(server, user, password, work, security="starttls", extra=None, timeout=300, local=None, status=None):
    return mailsync_tap.run_driver(server, user, password, work, security=security, extra=extra, timeout=timeout,
                                   local=local, status=status)


def changes(p):
    return [l for l in p.stdout.splitlines() if l.split(" ", 1)[0] in CHANGES]


def same_both_sides(server, user, password, work):
    conn = server.imap(user, password)
    remote = server_state(conn)
    conn.logout()
    # The local folders have the IMAP names (modified UTF-7, the default
    # of utf8foldernames), the server's are compared decoded.
    local = {decode_mutf7(k): v for k, v in local_state(os.path.join(work, "local")).items()}
    # Maildir names folders with '.', Dovecot's Maildir++ too.
    return remote, local


def message_ids_both_sides(server, user, pw, work):
    """folder -> sorted Message-IDs, on the server and in the local Maildir."""
    conn = server.imap(user, pw)
    remote = {}
    typ, data = conn.list()
    for line in data:
        name = re.match(rb'\((.*?)\) "(.)" (.*)', line).group(3).decode().strip('"')
        conn.select(quote(name), readonly=True)
        typ, items = conn.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        remote[name] = sorted(re.search(rb"<(.*?)>", i[1]).group(1).decode() for i in items if isinstance(i, tuple))
    conn.logout()
    local = {}
    root = os.path.join(work, "local")
    for folder in os.listdir(root):
        ids = []
        for sub in ("cur", "new"):
            d = os.path.join(root, folder, sub)
            for name in os.listdir(d) if os.path.isdir(d) else ():
                with open(os.path.join(d, name), "rb") as f:
                    m = re.search(rb"^Message-ID: <(.*?)>", f.read(), re.M | re.I)
                ids.append(m.group(1).decode() if m else name)
        local[folder] = sorted(ids)
    return remote, local




def main(scenarios):
    """A suite's main: @scenarios, each called with (server, root), in
    order against one private Dovecot in a temporary root; the TAP plan's
    exit status."""
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-imap-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = Server(root)
        for scenario in scenarios:
            scenario(server, root)
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()
