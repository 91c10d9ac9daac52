#!/usr/bin/env python3
"""A corpus of offlineimap configs as users write them (tests/data/configs:
Gmail with and without labels, Fastmail, Microsoft 365 OAuth2, a
self-hosted server with a Python helper file, IMAP-to-IMAP backup, several
accounts, [DEFAULT] interpolation, odd whitespace and comments; issue 11
item 5).

Every file is loaded offline: tests/check-config-driver --load-only builds
its accounts (passwords from the file, a command, the helper file or
~/.netrc) and syncs nothing, so imap.gmail.com and the others are never
contacted.  The harness-*.conf files point at the test's Dovecot
(@HOST@, @PORT@, @USER@, @PASS@, @USER2@, @PASS2@ and @CA@ are filled in
here): each is synced by the mailsync command and by Debian's offlineimap3
from the same server account, and the Maildirs must be the same (folders,
message names minus their unique part, contents, flags).  The Dovecot half
is skipped (SKIP) without root or Dovecot, the offlineimap half without
offlineimap."""

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import mailsync_tap
from mailsync_tap import MAILSYNC

HERE = os.path.dirname(os.path.abspath(__file__))
BUILDDIR = os.environ.get("TEST_BUILDDIR", HERE)
SRCDIR = os.environ.get("top_srcdir", os.path.join(HERE, ".."))
CORPUS = os.path.join(SRCDIR, "tests", "data", "configs")
DRIVER = os.path.join(BUILDDIR, "check-config-driver")
HARNESS = mailsync_tap.HARNESS
# The side-by-side runs only in the -Werror build (as the other parity
# suites): under ASan they cost CI minutes and check nothing new.
OFFLINEIMAP, NO_OFFLINEIMAP = mailsync_tap.comparison_offlineimap()

TAP = mailsync_tap.Tap(1200)
check = TAP.check

# What a load may lack in this build: a SKIP, not a failure.
MISSING_FEATURE = re.compile(r"need a mailsync built with Python|OAuth2 module could not be loaded|"
                             r"built without libsoup")


def make_home(root, name):
    """A HOME with what the corpus' files refer to: the helper file, a
    password file and a netrc."""
    home = os.path.join(root, name)
    os.makedirs(home)
    shutil.copy(os.path.join(CORPUS, "helper.py"), os.path.join(home, ".offlineimap.py"))
    with open(os.path.join(home, ".gmail-pass"), "w") as f:
        f.write("from-a-file\n")
    netrc = os.path.join(home, ".netrc")
    with open(netrc, "w") as f:
        f.write("machine imap.netrc.example login nina password from-netrc\n")
    os.chmod(netrc, 0o600)
    return home


def env_for(home):
    env = dict(os.environ, HOME=home)
    # no keyring (GDBus would autolaunch a bus), no user config, no debug
    for key in ("DBUS_SESSION_BUS_ADDRESS", "XDG_CONFIG_HOME", "G_MESSAGES_DEBUG"):
        env.pop(key, None)
    return env


def fill(text, values):
    for key, value in values.items():
        text = text.replace("@%s@" % key, value)
    return text


def accounts_of(text):
    m = re.search(r"(?m)^accounts\s*[=:]\s*(.*?)\s*$", text)
    return [a.strip() for a in m.group(1).split(",")] if m else []


def load_all(root):
    """Every config builds its accounts without a network."""
    dummy = {"HOST": "localhost", "PORT": "1", "USER": "u1", "PASS": "p1", "USER2": "u2", "PASS2": "p2",
             "CA": "/etc/ssl/certs/ca-certificates.crt"}
    files = sorted(glob.glob(os.path.join(CORPUS, "*.conf")))
    check("the corpus has 25 configs or more", len(files) >= 25, len(files))
    for path in files:
        name = os.path.basename(path)
        home = make_home(root, "load-" + name)
        with open(path, newline="") as f:
            text = fill(f.read(), dummy)
        config = os.path.join(home, "config")
        with open(config, "w", newline="") as f:
            f.write(text)
        p = subprocess.run([DRIVER, "--load-only", config], env=env_for(home), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        if p.returncode != 0 and MISSING_FEATURE.search(p.stderr):
            check("%s loads # SKIP %s" % (name, MISSING_FEATURE.search(p.stderr).group(0)), True)
            continue
        built = re.findall(r"(?m)^account (\S+) ", p.stdout)
        check("%s loads: every account is built" % name,
              p.returncode == 0 and built == accounts_of(text.replace("\r", "")),
              "exit %s, built %s\n%s" % (p.returncode, built, p.stderr[-800:]))
        unknown = [l for l in p.stderr.splitlines() if "unknown" in l]
        check("%s: no option or section is unknown to mailsync" % name, not unknown, unknown)


def maildir_state(top):
    """{(folder, cur|new, name after its unique part): sha256 of the file}:
    the flags and U= are in the name, the contents in the digest."""
    state = {}
    for path in glob.glob(os.path.join(top, "**", "cur", "*"), recursive=True) + \
            glob.glob(os.path.join(top, "**", "new", "*"), recursive=True):
        sub = os.path.dirname(path)
        folder = os.path.relpath(os.path.dirname(sub), top)
        base = os.path.basename(path)
        # offlineimap's name: TIME_N.PID.HOST,U=UID,FMD5=...:2,FLAGS
        tail = base.split(",", 1)[1] if "," in base else base
        with open(path, "rb") as f:
            state[(folder, os.path.basename(sub), tail)] = hashlib.sha256(f.read()).hexdigest()[:16]
    for cur in glob.glob(os.path.join(top, "**", "cur"), recursive=True):
        state.setdefault((os.path.relpath(os.path.dirname(cur), top), "folder", ""), "")
    return state


def run(argv, home):
    try:
        return subprocess.run(argv, env=env_for(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=180)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return subprocess.CompletedProcess(argv, None, out + "[hung]", "")


def offlineimap(config, home):
    """offlineimap, retried when it failed before syncing anything (its 8.0
    sometimes dies while connecting on a loaded machine)."""
    p = None
    for _ in range(3):
        p = run([OFFLINEIMAP, "-u", "basic", "-c", config], home)
        if p.returncode == 0 or "Copy message" in p.stdout + p.stderr:
            return p
    return p


def populate(server, user, password):
    dovecot_dir = server.dir
    for folder, count in (("INBOX", 4), ("Archive", 3), ("Skipped", 2)):
        subprocess.run([HARNESS, "fill", dovecot_dir, user, folder, str(count), "--sizes", "small", "--seed",
                        "11"], check=True, stdout=subprocess.DEVNULL, timeout=60)
    conn = server.imap(user, password)
    conn.select("INBOX")
    conn.uid("STORE", "1", "+FLAGS", r"(\Seen \Flagged)")
    conn.uid("STORE", "2", "+FLAGS", r"(\Answered)")
    conn.logout()


def sync_harness(root):
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/dovecot"):
        check("the harness configs sync # SKIP needs root and dovecot-imapd", True)
        return
    files = sorted(glob.glob(os.path.join(CORPUS, "harness-*.conf")))
    users = [("corp%d" % i, "pw-corp%d" % i) for i in range(1, 2 * len(files) + 1)]
    server = mailsync_tap.Dovecot(os.path.join(root, "dovecot"), users)
    try:
        for i, path in enumerate(files):
            name = os.path.basename(path)
            (u1, p1), (u2, p2) = users[2 * i], users[2 * i + 1]
            populate(server, u1, p1)
            populate(server, u2, p2)
            values = {"HOST": "localhost", "PORT": server.env["DOVECOT_IMAPS_PORT"], "USER": u1, "PASS": p1,
                      "USER2": u2, "PASS2": p2, "CA": server.env["DOVECOT_CA"]}
            with open(path) as f:
                text = fill(f.read(), values)
            results = {}
            for tool in ("offlineimap", "mailsync"):
                if tool == "offlineimap" and OFFLINEIMAP is None:
                    continue
                home = make_home(root, "%s-%s" % (tool, name))
                config = os.path.join(home, "config")
                with open(config, "w") as f:
                    f.write(text)
                if tool == "offlineimap":
                    p = offlineimap(config, home)
                else:
                    p = run([MAILSYNC, "-u", "basic", "-c", config], home)
                results[tool] = (p, maildir_state(home))
            p, mine = results["mailsync"]
            if p.returncode != 0 and MISSING_FEATURE.search(p.stderr + p.stdout):
                check("%s syncs # SKIP %s" % (name, MISSING_FEATURE.search(p.stderr + p.stdout).group(0)), True)
                continue
            # the comparison below means something only with messages,
            # folders and flags in the Maildir
            check("%s: mailsync syncs it (messages, a flagged one, several folders)" % name,
                  p.returncode == 0 and any(k[2].endswith(":2,FS") for k in mine)
                  and len({k[0] for k in mine}) >= 2,
                  "exit %s: %s\n%s" % (p.returncode, sorted(mine)[:8], (p.stdout + p.stderr)[-800:]))
            if "offlineimap" not in results:
                check("%s: the same Maildir as offlineimap # SKIP %s" % (name, NO_OFFLINEIMAP), True)
                continue
            o, theirs = results["offlineimap"]
            if o.returncode is None:
                check("%s: the same Maildir as offlineimap # SKIP offlineimap hung" % name, True)
                continue
            check("%s: offlineimap syncs it" % name, o.returncode == 0,
                  "exit %s: %s" % (o.returncode, (o.stdout + o.stderr)[-800:]))
            only_theirs = sorted(set(theirs.items()) - set(mine.items()))
            only_mine = sorted(set(mine.items()) - set(theirs.items()))
            check("%s: the same Maildir as offlineimap (folders, names, flags, contents)" % name,
                  not only_theirs and not only_mine,
                  "only offlineimap's: %s\nonly mailsync's: %s" % (only_theirs[:8], only_mine[:8]))
    finally:
        server.stop()


def main():
    if not os.path.exists(DRIVER):
        print("1..0 # SKIP check-config-driver is not built")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-corpus-")
    os.chmod(root, 0o711)  # Dovecot's users must traverse it
    try:
        load_all(root)
        sync_harness(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
