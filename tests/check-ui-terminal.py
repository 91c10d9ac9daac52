#!/usr/bin/env python3
"""ttyui and blinkenlights driven in a real terminal against a private
Dovecot.

ttyui runs under script(1): on a terminal it must draw its progress line
(folder counts, the account's messages and bytes, rate, ETA) in place with \\r ESC[K and clear it
before the log goes on; through a pipe it must print offlineimap's plain
lines only. blinkenlights runs in a tmux pane: the account row with its
thread light, the log window, the hotkey 1 (sync now) and q (quit) are
checked by capturing the pane. Off a terminal blinkenlights must say so and
fall back to ttyui's lines. Skipped (1..0 # SKIP) without Dovecot, tmux, script or
the mailsync binary."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import mailsync_tap
from mailsync_tap import HARNESS, MAILSYNC, harness

TMUX = shutil.which("tmux")
SCRIPT = shutil.which("script")

INBOX = 600  # enough for a sync to last long enough to watch
TAP = mailsync_tap.Tap(1500)
check = TAP.check


def write_config(root, name, env, autorefresh=None, password=True):
    return mailsync_tap.write_imaps_config(root, name, env, env["DOVECOT_USER"],
                                           env["DOVECOT_PASS"] if password else None,
                                           account_extra="autorefresh = %s\n" % autorefresh if autorefresh else "",
                                           fresh=True)


class Pane:
    def __init__(self, root, command):
        # A socket of its own per pane: the previous pane's server may still
        # be shutting down after kill-server, and a client that reaches it
        # gets "server exited unexpectedly".
        Pane.count = getattr(Pane, "count", 0) + 1
        self.socket = "mailsync-ui-%d-%d" % (os.getpid(), Pane.count)
        self.exit_file = os.path.join(root, "pane.exit")
        shell = "%s; echo $? > %s; sleep 60" % (command, self.exit_file)
        # A loaded machine sometimes loses a fresh tmux server ("server
        # exited unexpectedly"); that is tmux's trouble, not the UI's.
        for attempt in range(3):
            r = subprocess.run([TMUX, "-L", self.socket, "new-session", "-d", "-s", "ui", "-x", "110", "-y", "30",
                                shell], timeout=30)
            if r.returncode == 0:
                break
            subprocess.run([TMUX, "-L", self.socket, "kill-server"], stderr=subprocess.DEVNULL, timeout=30)
            time.sleep(1)
        else:
            raise RuntimeError("tmux could not start a session")

    def text(self):
        return subprocess.run([TMUX, "-L", self.socket, "capture-pane", "-p", "-t", "ui"], stdout=subprocess.PIPE,
                              universal_newlines=True, timeout=30).stdout

    def keys(self, keys):
        subprocess.run([TMUX, "-L", self.socket, "send-keys", "-t", "ui", keys], check=True, timeout=30)

    def wait_for(self, predicate, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            text = self.text()
            if predicate(text):
                return text
            time.sleep(0.2)
        return self.text()

    def exit_status(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if os.path.exists(self.exit_file):
                with open(self.exit_file) as f:
                    content = f.read().strip()
                if content:
                    return int(content)
            time.sleep(0.2)
        return None

    def close(self):
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)


def test_ttyui(root, env):
    conf = write_config(root, "tty", env)
    raw = os.path.join(root, "tty.raw")
    p = subprocess.run([SCRIPT, "-q", "-e", "-c", "%s -c %s -u ttyui -o" % (MAILSYNC, conf), raw],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    check("ttyui on a terminal: sync exits 0", p.returncode == 0, p.returncode)
    with open(raw, "rb") as f:
        out = f.read().decode("utf-8", "replace")
    # "[INBOX 12/600] Test 1/2: 12/605 msgs, 1.2 MB/4.5 MB, 350.0 kB/s, ETA 0:12": the folders
    # being copied (left out when the line would not fit), then the account's running totals.
    size = r"([0-9.]+ (?:bytes?|[kMG]B))"
    statuses = re.findall(r"\r\x1b\[K((?:\[[^\r\n\]]*\] )*Test (\d+)/(\d+): (\d+)/(\d+) msgs, %s/%s[^\r\n]*)"
                          % (size, size), out)
    check("ttyui on a terminal: progress redrawn in place", len(statuses) >= 100, len(statuses))
    check("ttyui: progress names the folder with its counts",
          any(re.match(r"\[INBOX \d+/%d\] " % INBOX, s[0]) for s in statuses), statuses[:3])
    last = statuses[-1] if statuses else ("", "0", "0", "0", "0", "", "")
    check("ttyui: the account's messages reach its total", last[3] == last[4] == str(INBOX + 5), last)
    check("ttyui: the account's bytes reach its total", last[5] == last[6] and last[5] != "0 bytes", last)
    check("ttyui: every folder counted", last[1] == last[2] and int(last[2]) >= 2, last)
    check("ttyui: byte rate and ETA",
          any(re.search(r", [0-9.]+ (?:bytes?|[kMG]B)/s, ETA \d+:\d\d$", s[0]) for s in statuses), statuses[-3:])
    check("ttyui: the bytes done grow", len({s[5] for s in statuses}) > 2, [s[5] for s in statuses[:5]])
    tail = out[out.rfind("*** Finished account 'Test'"):]
    check("ttyui: the progress line is gone at the end", " msgs, " not in tail, tail)
    plain = re.sub(r"\r\x1b\[K(\[[^\r\n]*)?", "", out).replace("\r\n", "\n")
    check("ttyui: the log lines keep offlineimap's thread headers",
          "Account sync Test:\n *** Processing account Test\n" in plain
          and "Folder INBOX [acc: Test]:\n Syncing INBOX: IMAP -> Maildir\n" in plain, plain[:800])

    conf = write_config(root, "pipe", env)
    p = subprocess.run([MAILSYNC, "-c", conf, "-u", "ttyui", "-o"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    check("ttyui through a pipe: sync exits 0", p.returncode == 0, p.stderr[-500:])
    check("ttyui through a pipe: no escape sequence, no progress line",
          "\x1b" not in p.stderr and "\r" not in p.stderr and " msgs, " not in p.stderr, p.stderr[:500])
    check("ttyui through a pipe: every copy logged", p.stderr.count(" Copy message UID ") == INBOX + 5,
          p.stderr.count(" Copy message UID "))


def test_blinkenlights(root, env):
    conf = write_config(root, "blink", env, autorefresh=5)
    pane = Pane(root, "%s -c %s -u blinkenlights" % (MAILSYNC, conf))
    try:
        progress = re.compile(r"^1: \[ active\] Test +: @+ INBOX (\d+)/%d$" % INBOX, re.M)
        seen = set()
        end = time.time() + 60
        while time.time() < end:
            text = pane.text()
            seen.update(int(n) for n in progress.findall(text))
            if "*** Finished account 'Test'" in text:
                break
        check("blinkenlights: the row shows the copy in progress", seen and min(seen) < INBOX, sorted(seen)[:5])
        check("blinkenlights: the progress is gone when the folder is done",
              not re.search(r"(INBOX|Sent) \d+/", (pane.text().splitlines() or [""])[0]), pane.text()[:200])
        check("blinkenlights: the log window shows the sync", "*** Finished account 'Test'" in text, text)
        row = text.splitlines()[0] if text else ""
        # Between the end of the sync and the start of the sleep the row is
        # idle and has no thread left to light; the lights of a running
        # sync are checked above with the progress.
        check("blinkenlights: an account row with its state",
              re.match(r"^1: \[(\d\d:\d\d| active|   idle)\] Test +:", row) is not None, row)
        check("blinkenlights: the row counts down the sleep",
              re.match(r"^1: \[0[45]:\d\d\] Test", pane.wait_for(lambda t: re.match(r"^1: \[0\d:", t) is not None))
              is not None, pane.text()[:200])
        check("blinkenlights: a rule between the lights and the log", "\u2500" * 20 in text or "-" * 20 in text,
              text[:400])
        # The first run's copies pushed its "Processing" line out of the
        # log window; a second run adds its own, and another "Finished".
        before = text.count("*** Finished account 'Test'")
        pane.keys("1")
        text = pane.wait_for(lambda t: t.count("*** Finished account 'Test'") > before
                             and "*** Processing account Test" in t, timeout=20)
        check("blinkenlights: hotkey 1 syncs the account now (long before the 5 minutes)",
              text.count("*** Finished account 'Test'") > before and "*** Processing account Test" in text, text)
        subprocess.run([TMUX, "-L", pane.socket, "resize-window", "-t", "ui", "-x", "70", "-y", "20"],
                       check=True, timeout=30)
        text = pane.wait_for(lambda t: "\u2500" * 70 in t.splitlines()[1] and "\u2500" * 71 not in t)
        lines = text.splitlines()
        check("blinkenlights: follows a resize (rule as wide as the new terminal)",
              len(lines) > 1 and lines[1].strip("\u2500") == "" and len(lines[1]) == 70, lines[:3])
        check("blinkenlights: the row is still there after the resize", lines and lines[0].startswith("1: ["),
              lines[:2])
        pane.keys("q")
        status = pane.exit_status()
        check("blinkenlights: q quits", status == 0, status)
        check("blinkenlights: the terminal is given back", "Copy message" not in pane.text(), pane.text()[:300])
    finally:
        pane.close()

    conf = write_config(root, "blinkpipe", env)
    p = subprocess.run([MAILSYNC, "-c", conf, "-u", "blinkenlights", "-o"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    check("blinkenlights off a terminal: sync exits 0", p.returncode == 0, p.stderr[-500:])
    check("blinkenlights off a terminal: says why", "blinkenlights cannot run" in p.stderr, p.stderr[:300])
    check("blinkenlights off a terminal: ttyui's lines instead",
          "Account sync Test:\n *** Processing account Test\n" in p.stderr, p.stderr[:600])


def test_ttyui_password(root, env):
    conf = write_config(root, "ask", env, password=False)
    home = os.path.join(root, "home")  # no ~/.netrc to find
    os.makedirs(home, exist_ok=True)
    pane = Pane(root, "HOME=%s %s -c %s -u ttyui -o" % (home, MAILSYNC, conf))
    try:
        # (tmux drops the prompt's trailing space)
        prompt = "Enter password for user '%s':" % env["DOVECOT_USER"]
        text = pane.wait_for(lambda t: prompt in t)
        check("ttyui asks for the password on the terminal", prompt in text, text)
        # when it connects, after the account's lines, as offlineimap asks
        # (it asked before them until session 20)
        check("ttyui: the prompt follows the account's Processing and Establishing connection lines",
              re.search(r"Account sync Test:\n \*\*\* Processing account Test\n Establishing connection to "
                        r"localhost:\d+ \(Remote\)\n" + re.escape(prompt), text) is not None, text)
        pane.keys(env["DOVECOT_PASS"])
        pane.keys("Enter")
        status = pane.exit_status(timeout=60)
        text = pane.text()
        check("ttyui: the sync goes on with the typed password", status == 0, (status, text))
        check("ttyui: the password is not echoed", env["DOVECOT_PASS"] not in text, text)
    finally:
        pane.close()
        os.unlink(pane.exit_file)


def main():
    if (not os.access(MAILSYNC, os.X_OK) or TMUX is None or SCRIPT is None or
            (shutil.which("dovecot") is None and not os.path.exists("/usr/sbin/dovecot"))):
        print("1..0 # SKIP needs the mailsync binary, Dovecot, tmux and script")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-ui-term-")
    os.chmod(root, 0o755)  # Dovecot's mail processes run as another user
    server = os.path.join(root, "dovecot")
    try:
        harness("start", server, "--lifetime", "900")
        env = mailsync_tap.parse_env(harness("env", server))
        harness("fill", server, env["DOVECOT_USER"], "INBOX", str(INBOX), "--seed", "3")
        harness("fill", server, env["DOVECOT_USER"], "Sent", "5", "--seed", "4")
        test_ttyui(root, env)
        test_ttyui_password(root, env)
        test_blinkenlights(root, env)
    finally:
        subprocess.run([HARNESS, "stop", server, "--clean"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
