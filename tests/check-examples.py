#!/usr/bin/env python3
"""The example clients, examples/sync-client (C) and sync-client.py
(PyGObject), run as a user would run them against the harness Dovecot:
a first sync brings every message (compared with the server's files,
count and content), a second changes nothing, and Ctrl-C in the middle of
a sync ends it cleanly (exit 130, nothing on stderr: no warning, no
sanitizer report) with a rerun completing it without duplicates.

The Ctrl-C runs go through the async contract suite's delay proxy, so a
sync takes round trips per folder, and SIGINT is sent when the client has
printed its first copied message: it lands mid-sync without a sleep.

The Python client runs when introspection is built and PyGObject loads
Mailsync-1.0, else its checks are "# SKIP" with the reason. Skipped
(1..0 # SKIP) when Dovecot is not installed."""

import hashlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

import mailsync_tap

HERE = os.path.dirname(os.path.abspath(__file__))
C_CLIENT = os.path.join(mailsync_tap.TOP_BUILDDIR, "examples", "sync-client")
PY_CLIENT = os.path.join(mailsync_tap.SRCDIR, "examples", "sync-client.py")
TYPELIB = os.path.join(mailsync_tap.TOP_BUILDDIR, "libmailsync", "Mailsync-1.0.typelib")
FOLDERS = {"INBOX": 12, "Work": 6, "Archive.2023": 4}  # IMAP name (Maildir++) -> messages
TOTAL = sum(FOLDERS.values())
RTT_MS = 150
CHANGE = re.compile(r": (copied message|deleted|flag|folder created) ")

# DelayProxy, of the async contract suite (loaded as check-cli-accept.py
# loads check-cli.py).
_spec = importlib.util.spec_from_file_location("check_async_contract", os.path.join(HERE, "check-async-contract.py"))
contract = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(contract)

TAP = mailsync_tap.Tap()
check = TAP.check


def skip(label, reason):
    TAP.skip(label, reason)


def digests(directory):
    """file name -> md5 of the content (without CRs) of a Maildir folder."""
    out = {}
    for sub in ("cur", "new"):
        path = os.path.join(directory, sub)
        for name in os.listdir(path) if os.path.isdir(path) else []:
            with open(os.path.join(path, name), "rb") as f:
                out[sub + "/" + name] = hashlib.md5(f.read().replace(b"\r", b"")).hexdigest()
    return out


def server_state(env):
    """folder -> sorted digests, read from Dovecot's own Maildir++."""
    root = env["DOVECOT_MAILDIR"]
    return {f: sorted(digests(root if f == "INBOX" else os.path.join(root, "." + f)).values()) for f in FOLDERS}


def local_state(maildir):
    """folder -> sorted digests in the client's Maildir (folders named as on the server)."""
    names = sorted(os.listdir(maildir)) if os.path.isdir(maildir) else []
    return {f: sorted(digests(os.path.join(maildir, f)).values()) for f in names}


def local_names(maildir):
    return {(f, n) for f in os.listdir(maildir) for n in digests(os.path.join(maildir, f))}


def counts(state):
    return {f: len(v) for f, v in state.items()}


def python_unavailable():
    """Why the Python client cannot run here, or None."""
    if not os.path.exists(TYPELIB):
        return "introspection is not built (no %s)" % os.path.basename(TYPELIB)
    p = subprocess.run([sys.executable, "-c", "import gi; gi.require_version('Mailsync', '1.0'); "
                        "from gi.repository import Mailsync"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if p.returncode != 0:
        return "PyGObject cannot load Mailsync-1.0 with %s: %s" % (
            sys.executable, (p.stderr.strip().splitlines() or ["?"])[-1])
    return None


class Runner:
    """Runs one client with the options a user would give; the password in
    the environment, as the examples want it."""

    def __init__(self, argv, tls, env, work):
        self.argv, self.tls, self.env, self.work = argv, tls, env, work
        self.port = env["DOVECOT_IMAPS_PORT"] if tls == "imaps" else env["DOVECOT_PORT"]

    def command(self, name, port=None):
        return self.argv + ["--host", self.env["DOVECOT_HOST"], "--port", str(port or self.port),
                            "--tls", self.tls, "--user", self.env["DOVECOT_USER"],
                            "--ca-file", self.env["DOVECOT_CA"], "--account", "examples",
                            "--metadata", os.path.join(self.work, name + "-metadata"),
                            os.path.join(self.work, name)]

    def environ(self):
        env = dict(os.environ)
        env["MAILSYNC_PASSWORD"] = self.env["DOVECOT_PASS"]
        return env

    def run(self, name):
        return subprocess.run(self.command(name), env=self.environ(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=120)

    def interrupt(self, name, port):
        """Runs it through the proxy on @port; SIGINT once it has printed its
        first copied message.  (process, the lines before SIGINT, rest, stderr)."""
        with tempfile.TemporaryFile("w+") as err:
            p = subprocess.Popen(self.command(name, port), env=self.environ(), stdout=subprocess.PIPE,
                                 stderr=err, text=True)
            watchdog = threading.Timer(120, p.kill)
            watchdog.start()
            before = []
            try:
                for line in iter(p.stdout.readline, ""):
                    before.append(line)
                    if ": copied message " in line:
                        p.send_signal(signal.SIGINT)
                        break
                # The rest through the same file object: communicate()
                # reads the pipe itself and would miss what readline()
                # has already buffered.
                rest = p.stdout.read()
                p.wait()
            finally:
                watchdog.cancel()
                p.stdout.close()
            err.seek(0)
            return p, "".join(before), rest, err.read()


def clean_exit(p, out, err, status=0, last="sync finished"):
    return p.returncode == status and out.rstrip().endswith(last) and not err.strip()


def exercise(label, runner, env, proxy_port):
    """The checks of one client: [(label, ok, detail)], printed by main()."""
    results = []

    def check(name, ok, detail=""):
        results.append((name, ok, detail))

    expected = server_state(env)
    maildir = os.path.join(runner.work, "Mail")

    p = runner.run("Mail")
    check("%s: first sync exits 0" % label, clean_exit(p, p.stdout, p.stderr),
          (p.returncode, p.stdout[-300:], p.stderr[-600:]))
    got = local_state(maildir)
    check("%s: first sync: every message, %d in %d folders" % (label, TOTAL, len(FOLDERS)),
          counts(got) == counts(expected), (counts(got), counts(expected)))
    check("%s: first sync: the same content as the server's" % label, got == expected,
          [f for f in expected if got.get(f) != expected[f]])
    check("%s: first sync printed its progress and a summary" % label,
          len([l for l in p.stdout.splitlines() if ": copied message " in l]) == TOTAL
          and "summary: %d folders, %d copied, 0 deleted" % (len(FOLDERS), TOTAL) in p.stdout, repr(p.stdout[-400:]))

    names = local_names(maildir)
    p = runner.run("Mail")
    changes = [l for l in p.stdout.splitlines() if CHANGE.search(l)]
    check("%s: second sync exits 0" % label, clean_exit(p, p.stdout, p.stderr),
          (p.returncode, p.stdout[-300:], p.stderr[-600:]))
    check("%s: second sync changes nothing" % label,
          not changes and "0 copied, 0 deleted, 0 flag changes, 0 errors" in p.stdout
          and local_names(maildir) == names, (changes, p.stdout[-300:]))

    p, before, rest, err = runner.interrupt("Interrupted", proxy_port)
    check("%s: Ctrl-C: the sync had started copying" % label, ": copied message " in before, repr(before[-400:]))
    check("%s: Ctrl-C: exit status 130, 'sync cancelled', nothing on stderr" % label,
          clean_exit(p, rest, err, 130, "sync cancelled"), (p.returncode, rest[-400:], err[-1500:]))
    copied = (before + rest).count(": copied message ")
    check("%s: Ctrl-C: it stopped mid-sync (%d of %d copied)" % (label, copied, TOTAL),
          0 < copied < TOTAL, repr((before + rest)[-400:]))
    p = runner.run("Interrupted")
    check("%s: after Ctrl-C a rerun exits 0" % label, clean_exit(p, p.stdout, p.stderr),
          (p.returncode, p.stdout[-300:], p.stderr[-600:]))
    got = local_state(os.path.join(runner.work, "Interrupted"))
    check("%s: after Ctrl-C and a rerun: every message once, the same content" % label,
          got == expected, (counts(got), counts(expected)))
    return results


def exercise_safely(*args):
    try:
        return exercise(*args)
    except Exception as e:  # a timeout, a missing file: one failed check, not a lost plan
        return [("%s: ran to the end" % args[0], False, repr(e))]


def main():
    if shutil.which("dovecot") is None and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    if not os.path.exists(C_CLIENT):
        print("Bail out! %s is not built" % C_CLIENT)
        return 1
    root = tempfile.mkdtemp(prefix="mailsync-examples-")
    os.chmod(root, 0o755)  # the mail user must reach the Dovecot directory
    server = os.path.join(root, "dovecot")
    try:
        mailsync_tap.harness("start", server)
        env = mailsync_tap.read_env(server)
        # The folders are filled side by side: each fill waits for Dovecot
        # to index what it wrote.
        fills = [subprocess.Popen([mailsync_tap.HARNESS, "fill", server, env["DOVECOT_USER"], folder, str(n),
                                   "--sizes", "small", "--seed", "9"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for folder, n in FOLDERS.items()]
        for p in fills:
            err = mailsync_tap.communicate_or_kill(p, 60)[1]
            if p.returncode != 0:
                print("Bail out! dovecot-harness fill: %s" % err.strip())
                return 1
        proxies = {tls: contract.DelayProxy(env["DOVECOT_HOST"], int(env[port]), RTT_MS / 2000.0)
                   for tls, port in (("imaps", "DOVECOT_IMAPS_PORT"), ("starttls", "DOVECOT_PORT"))}

        # The C client over IMAPS, the Python one over STARTTLS (both
        # modes), side by side: both only read the server (BODY.PEEK).
        python = []
        why = python_unavailable()
        if not why:
            py_runner = Runner([sys.executable, PY_CLIENT], "starttls", env, os.path.join(root, "python"))
            thread = threading.Thread(target=lambda: python.extend(
                exercise_safely("Python", py_runner, env, proxies["starttls"].port)))
            thread.start()
        c_runner = Runner([C_CLIENT], "imaps", env, os.path.join(root, "c"))
        for result in exercise_safely("C", c_runner, env, proxies["imaps"].port):
            check(*result)
        if why:
            skip("Python: sync-client.py", why)
        else:
            thread.join()
            for result in python:
                check(*result)
    finally:
        subprocess.run([mailsync_tap.HARNESS, "stop", server], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
