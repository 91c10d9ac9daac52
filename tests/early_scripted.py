"""What check-imap-early-login.py (the login before the greeting over
IMAPS) and check-imap-early-starttls.py (STARTTLS before the greeting)
share: one mailsync account against the scripted server of
tests/scripted_imap.py, its capability cache, what each session of the
server read, and the scenario skeletons both transports go through (a
wrong password to what went early, a server that drops what came before
its greeting).

The suites run as $(PYTHON) $(srcdir)/check-*.py, so this module, next to
them, is on sys.path (faults.am ships it)."""

import os
import ssl
import subprocess

import mailsync_tap
import scripted_imap

TLS_DATA = os.path.join(os.environ.get("top_srcdir", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")),
                        "tests", "data", "tls")
CA = os.path.join(TLS_DATA, "ca.pem")
PASSWORD = "secret-pw"
# Generous: the server waits this long for the client's first bytes
# before it greets; a client that sends something early does so at once.
EARLY_WAIT = 30
# A test hook (MAILSYNC_TEST_EARLY_ANSWER_MS): the least wait for the
# answer to what went before the greeting, once the server has greeted
# (5 s for STARTTLS, 30 s for a login otherwise); an empty environment
# without test hooks, where the suites wait the real bound.
SHORT_BOUND = {"MAILSYNC_TEST_EARLY_ANSWER_MS": "1000"} if mailsync_tap.TEST_HOOKS else {}
# How the account reaches the server.
IMAPS = "ssl = yes"
STARTTLS = "ssl = no\nstarttls = yes"


def server_context(name="server"):
    """A server's TLS context with tests/data/tls/@name.pem (the test CA's
    "server", or "selfsigned")."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(TLS_DATA, "%s.pem" % name), os.path.join(TLS_DATA, "%s-key.pem" % name))
    return context


def text_of(data):
    """A killed child's output so far (bytes, str or None) as text."""
    return data.decode(errors="replace") if isinstance(data, bytes) else (data or "")


class Account:
    """One account (Maildir <-> the scripted server over @transport) in
    @root/@name; every session a run opened is added to @seen too; @remote:
    more lines for the remote repository's section."""

    def __init__(self, root, name, server, transport, socktimeout=60, seen=None, remote=""):
        self.server = server
        self.seen = seen
        self.work = os.path.join(root, name)
        os.makedirs(self.work, exist_ok=True)
        self.config = os.path.join(self.work, "offlineimaprc")
        with open(self.config, "w") as f:
            f.write("[general]\naccounts = T\nmetadata = %s/meta\nsocktimeout = %d\n"
                    "[Account T]\nlocalrepository = L\nremoterepository = R\n"
                    "[Repository L]\ntype = Maildir\nlocalfolders = %s/Mail\n\n"
                    "[Repository R]\ntype = IMAP\nremotehost = 127.0.0.1\nremoteport = %d\nremoteuser = u\n"
                    "remotepass = %s\n%s\nsslcacertfile = %s\n%s"
                    % (self.work, socktimeout, self.work, server.port, PASSWORD, transport, CA, remote))
        self.cache = os.path.join(self.work, "meta", "Repository-R", "mailsync-capabilities")

    def run(self, extra_env=None, args=(), deadline=300):
        """Runs mailsync once; returns (process, the sessions it opened).
        A run still going at @deadline is killed: its returncode is None."""
        first = len(self.server.sessions)
        env = dict(os.environ)
        env["HOME"] = self.work
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.update(extra_env or {})
        try:
            p = subprocess.run([mailsync_tap.MAILSYNC, "-c", self.config] + list(args), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                               timeout=deadline)
        except subprocess.TimeoutExpired as e:
            p = subprocess.CompletedProcess(e.cmd, None, text_of(e.stdout),
                                            text_of(e.stderr) + "\n(killed after %d s)" % deadline)
        sessions = self.server.sessions[first:]
        if self.seen is not None:
            self.seen.extend(sessions)
        return p, sessions

    def cached(self):
        try:
            with open(self.cache) as f:
                return f.read()
        except OSError:
            return ""


def commands(server, session):
    """The command lines @session's server read (after TLS where there is
    TLS)."""
    with server.lock:
        return [l for n, _, l in server.log if n == session.number]


def logins(server, session):
    return [l for l in commands(server, session) if l.split(" ", 1)[0].upper() in ("LOGIN", "AUTHENTICATE")]


def verbs(server, session):
    return [l.split(" ", 1)[0].upper() for l in commands(server, session)]


def first_session_waits(server, wait=EARLY_WAIT):
    """The server waits @wait seconds for the client's first bytes before
    it greets on the run's first connection only, so that session.early
    shows what was sent before the greeting; the normal connection after
    it is greeted at once."""
    state = {"first": None}

    def early_wait(session):
        if state["first"] is None:
            state["first"] = session.number
        return wait if session.number == state["first"] else 0
    return early_wait


def first_session_hook(on_first):
    """@on_first(server, session, tag, verb, line) answers the run's first
    session's commands (and its GREETING); later sessions as usual. The
    first is the first to be greeted once the hook is in: a session of the
    run before may still be reading (the client does not wait for LOGOUT's
    answer), and its LOGOUT must not make it the first (a flake seen at
    load 30: the PREAUTH greeting went to nobody)."""
    state = {"first": None}

    def hook(server, session, tag, verb, line):
        if state["first"] is None and verb == "GREETING":
            state["first"] = session.number
        if session.number == state["first"]:
            return on_first(server, session, tag, verb, line)
        return None
    return hook


def drop_before_greeting(server, session, tag, verb, line):
    """Drops what came before the greeting (kept in session.dropped), then
    greets as usual: what was sent early is never answered."""
    if verb == "GREETING" and session.early:
        session.dropped, session.early = session.early, b""
    return None


def scenario_refused(tap, account, went_early, detail):
    """NO [AUTHENTICATIONFAILED] to the login that went early (before the
    greeting over IMAPS, with CAPABILITY after the STARTTLS sent early): a
    wrong password, as after the greeting: one connection, one login, exit
    1, no second connection. @went_early(session): whether the session
    shows the early start; @detail(p, sessions, server): the failure's
    detail."""
    server = account.server

    def hook(server, session, tag, verb, line):
        if verb in ("LOGIN", "AUTHENTICATE"):
            return scripted_imap.Reply("%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" % tag)
        return None
    server.hook = hook
    server.early_wait = EARLY_WAIT
    p, sessions = account.run()
    server.early_wait = 0
    tap.check("refused: the login went early", len(sessions) >= 1 and went_early(sessions[0]),
              detail(p, sessions, server))
    tap.check("refused: a failed login (exit 1), one connection, one login",
              p.returncode == 1 and len(sessions) == 1 and len(logins(server, sessions[0])) == 1
              and "uthentication" in p.stdout + p.stderr, detail(p, sessions, server))


def scenario_ignored(tap, account, name, what, hook, went_early, detail, capabilities, change, deadline=300,
                     proof=True, env=None):
    """A server (or a box on the way) that does not take what is sent
    before its greeting (@hook: it closes, drops it, refuses it): that
    connection fails, but it is not the server's word on the password:
    one normal connection follows in the same run. With @proof (the server
    said so: it refused what came early, or answered a NOOP sent after the
    login and not the login) the file keeps @capabilities with early=false
    at once; without (no word: closed, reset, timed out; review 1 Low 4 of
    session 19) it counts early-unanswered, an answered early command
    starts the count over, and only the 3rd in a row writes early=false.
    Then the runs after need one connection each and send nothing (@what:
    "the login", "STARTTLS") early, until @change(server) changes the
    capabilities (it returns the new list): then the file has those, early
    again. A @deadline below the account's socktimeout shows that the wait
    for an answer that never comes is bounded once the server has greeted
    (review 2 Low 4 of session 18); @env: the runs' extra environment (a
    shorter bound, test hooks). @went_early(session): the session shows
    @what sent before the greeting."""
    server = account.server
    in_list = "capabilities=%s;" % ";".join(capabilities.split())

    def run_ignored(label):
        server.hook = hook
        server.early_wait = first_session_waits(server)
        p, sessions = account.run(deadline=deadline, extra_env=env)
        server.early_wait = 0
        tap.check("%s: %sthe first connection sent %s before the greeting" % (name, label, what),
                  len(sessions) >= 1 and bool(went_early(sessions[0])), detail(p, sessions, server))
        tap.check("%s: %sthe run finishes (exit 0) on a second, normal connection with one login" % (name, label),
                  p.returncode == 0 and len(sessions) == 2 and not sessions[1].early
                  and len(logins(server, sessions[1])) == 1 and len(logins(server, sessions[0])) <= 1,
                  detail(p, sessions, server))

    run_ignored("")
    if not proof:
        tap.check("%s: no word is no proof: the file keeps the capabilities, early, one unanswered counted" % name,
                  in_list in account.cached() and "early=false" not in account.cached()
                  and "early-unanswered=1" in account.cached(), account.cached())
        # a server that answers what came early starts the count over
        server.hook = None
        server.early_wait = first_session_waits(server)
        p, sessions = account.run(extra_env=env)
        server.early_wait = 0
        tap.check("%s: answered the next time: one connection, %s early, the count starts over" % (name, what),
                  p.returncode == 0 and len(sessions) == 1 and bool(went_early(sessions[0]))
                  and in_list in account.cached() and "early=" not in account.cached()
                  and "early-unanswered" not in account.cached(),
                  (detail(p, sessions, server), account.cached()))
        for i in range(3):
            run_ignored("%d in a row: " % (i + 1))
            tap.check("%s: %d in a row unanswered: %s" % (name, i + 1, "counted" if i < 2 else "early=false"),
                      in_list in account.cached()
                      and ("early-unanswered=%d" % (i + 1) in account.cached() and "early=false" not in account.cached()
                           if i < 2 else "early=false" in account.cached()
                           and "early-unanswered" not in account.cached()), account.cached())
    else:
        tap.check("%s: the file keeps the capabilities, with early=false" % name,
                  in_list in account.cached() and "early=false" in account.cached(), account.cached())
    # long enough to see something sent early, short for the greeting it delays
    server.early_wait = 2
    for i in range(2):
        p, sessions = account.run()
        tap.check("%s: run %d after: one connection, nothing sent before the greeting" % (name, i + 1),
                  p.returncode == 0 and len(sessions) == 1 and not sessions[0].early
                  and "early=false" in account.cached(), (detail(p, sessions, server), account.cached()))
    server.early_wait = 0
    changed = change(server)
    server.hook = None
    account.run()
    p, sessions = account.run()
    tap.check("%s: other capabilities later: the file has them and no early=false" % name,
              p.returncode == 0 and "capabilities=%s;" % ";".join(changed.split()) in account.cached()
              and "early=" not in account.cached(), (detail(p, sessions, server), account.cached()))
