#!/usr/bin/env python3
"""A password the configuration gives, refused by the server (session 23,
audit F2): mailsync asks nobody for another, as offlineimap 8 never asks
for a password its configuration gives (imapserver.py's __getpassword
reads the configured one again before it would prompt). The account ends
with the server's refusal as its error line, the exit status says so, and
a driver that answers no question because its configuration has the
password (machineui with its stdin a pipe left open) is never waited on:
before the fix mailsync printed `msg:getpass:` and read stdin forever.

Against the harness Dovecot, for each configured source (remotepass,
remotepassfile, remotepasseval, remotepasscmd, ~/.netrc), machineui with
stdin open and never written: exit 1 within the deadline, no getpass
line, an error line naming the source, the password in no output (plain,
URL-quoted, in a SASL blob). -u json: no question line. offlineimap on
the same configuration asks nothing either (a comparison: -Werror build
only). The interactive case is unchanged: without a password in the
configuration machineui asks, a wrong typed answer is refused and asked
again, the right one syncs. Skipped (1..0 # SKIP) without Dovecot or the
mailsync binary."""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

import mailsync_tap
from mailsync_tap import HARNESS, MAILSYNC

OFFLINEIMAP, NO_OFFLINEIMAP = mailsync_tap.comparison_offlineimap()

TAP = mailsync_tap.Tap(1500)
check = TAP.check

WRONG = "Wr0ngConfPw7"
# generous: a loaded machine; a run that asks waits until killed
DEADLINE = 90

# (source, the [Repository Remote] line giving it; {pw} and {home} filled in)
SOURCES = [
    ("remotepass", "remotepass = {pw}"),
    ("remotepassfile", "remotepassfile = {home}/pass"),
    ("remotepasseval", "remotepasseval = '{pw}'"),
    ("remotepasscmd", "remotepasscmd = echo {pw}"),
    ("~/.netrc", ""),
]


def forms(secret, user):
    """@secret as it could leak: plain, URL-quoted (machineui), and in the
    SASL blobs of PLAIN and LOGIN."""
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    return [secret, urllib.parse.quote_plus(secret), b64(secret), b64("\0%s\0%s" % (user, secret)),
            b64("%s\0%s\0%s" % (user, user, secret))]


def write_case(root, name, env, user, remote, secret):
    """<root>/<name>/rc: account Test, the Maildir <root>/<name>/Mail and
    @user's account on the harness Dovecot over STARTTLS, @remote the
    password's line; <root>/<name>/home is HOME, with a pass file and, for
    the netrc case (@remote empty), a ~/.netrc holding @secret (None: no
    password anywhere). Returns (config path, home)."""
    work = os.path.join(root, name)
    home = os.path.join(work, "home")
    os.makedirs(os.path.join(work, "Mail"))
    os.makedirs(home)
    if secret is not None:
        with open(os.path.join(home, "pass"), "w") as f:
            f.write(secret + "\n")
        if remote == "":
            netrc = os.path.join(home, ".netrc")
            with open(netrc, "w") as f:
                f.write("machine %s login %s password %s\n" % (env["DOVECOT_HOST"], user, secret))
            os.chmod(netrc, 0o600)
    conf = os.path.join(work, "rc")
    with open(conf, "w") as f:
        f.write("[general]\naccounts = Test\nmetadata = %s/meta\n"
                "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n"
                "[Repository Local]\ntype = Maildir\nlocalfolders = %s/Mail\n"
                "[Repository Remote]\ntype = IMAP\nremotehost = %s\nremoteport = %s\nremoteuser = %s\n"
                "ssl = no\nstarttls = yes\nsslcacertfile = %s\n%s\n"
                % (work, work, env["DOVECOT_HOST"], env["DOVECOT_PORT"], user, env["DOVECOT_CA"],
                   remote.format(pw=secret, home=home)))
    return conf, home


def run_stdin_open(argv, home):
    """Runs @argv with HOME=@home and stdin a pipe that stays open and is
    never written (a driver that answers no question), in a session of its
    own (no controlling terminal). (status, stdout, stderr); status is
    "hung" when it had not ended after DEADLINE seconds (then killed)."""
    rfd, wfd = os.pipe()
    try:
        p = subprocess.Popen(argv, stdin=rfd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True,
                             env=dict(os.environ, HOME=home, DBUS_SESSION_BUS_ADDRESS=""))
        os.close(rfd)
        try:
            out, err = p.communicate(timeout=DEADLINE)
            status = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            status = "hung"
    finally:
        os.close(wfd)
    return status, out, err


def machine_lines(out):
    """The machineui lines as (severity, command, thread, decoded payload)."""
    lines = []
    for line in out.splitlines():
        parts = line.split(":", 3)
        if len(parts) == 4:
            lines.append((parts[0], parts[1], urllib.parse.unquote_plus(parts[2]),
                          urllib.parse.unquote_plus(parts[3])))
    return lines


def test_configured_sources(root, env, user):
    for index, (source, remote) in enumerate(SOURCES):
        conf, home = write_case(root, "src%d" % index, env, user, remote, WRONG)
        status, out, err = run_stdin_open([MAILSYNC, "-c", conf, "-o", "-u", "machineui"], home)
        lines = machine_lines(out)
        getpass = [l for l in lines if l[1] in ("getpass", "getpasserror")]
        errors = [l[3] for l in lines if l[0] == "error" and l[2] == "Account sync Test"]
        check("%s wrong, machineui, stdin open: exits 1 within %d s, no getpass" % (source, DEADLINE),
              status == 1 and not getpass, (status, getpass, out[-1200:], err[-400:]))
        check("%s wrong: the account's error line is the refusal and names %s" % (source, source),
              any("Authentication" in e and "comes from %s" % source in e for e in errors), (errors, out[-800:]))
        leaked = [form for form in forms(WRONG, user) if form in out + err]
        check("%s wrong: the password is in no output" % source, not leaked, leaked)


def test_json(root, env, user):
    conf, home = write_case(root, "json", env, user, "remotepass = {pw}", WRONG)
    status, out, err = run_stdin_open([MAILSYNC, "-c", conf, "-o", "-u", "json"], home)
    objs = []
    for line in out.splitlines():
        try:
            objs.append(json.loads(line))
        except ValueError:
            pass
    questions = [o for o in objs if o.get("kind") in ("question", "unanswered")]
    errors = [o["error"] for o in objs if "error" in o]
    check("remotepass wrong, -u json, stdin open: exits 1 within %d s, no question" % DEADLINE,
          status == 1 and not questions, (status, questions, out[-1200:], err[-400:]))
    check("remotepass wrong, -u json: an authentication-failed error object",
          any(e.get("code") == "authentication-failed" for e in errors), errors)
    check("remotepass wrong, -u json: the password is in no output", WRONG not in out + err)


def test_offlineimap(root, env, user):
    """The premise: offlineimap 8 asks nothing for a refused configured
    password either."""
    label = "offlineimap: remotepass wrong, machineui, stdin open: no getpass, exits within %d s" % DEADLINE
    if not OFFLINEIMAP:
        TAP.skip(label, NO_OFFLINEIMAP)
        return
    conf, home = write_case(root, "oi", env, user, "remotepass = {pw}", WRONG)
    status, out, err = run_stdin_open([OFFLINEIMAP, "-c", conf, "-o", "-u", "machineui"], home)
    getpass = [l for l in machine_lines(out) if l[1] == "getpass"]
    check(label, status != "hung" and not getpass, (status, getpass, out[-800:], err[-400:]))


def test_asked_when_missing(root, env, user, password):
    """No password in the configuration: machineui asks (getpass), a
    wrong answer is refused and asked again, the right one syncs."""
    conf, home = write_case(root, "ask", env, user, "", None)
    run = mailsync_tap.Running([MAILSYNC, "-c", conf, "-o", "-u", "machineui"], stdin=subprocess.PIPE,
                               env=dict(os.environ, HOME=home, DBUS_SESSION_BUS_ADDRESS=""))
    for n, answer in ((1, WRONG), (2, password)):
        if not run.wait_text(lambda t: t.count("msg:getpass:") >= n, DEADLINE):
            break
        run.proc.stdin.write(answer + "\n")
        run.proc.stdin.flush()
    run.proc.stdin.close()
    status, out, err = run.finish(DEADLINE)
    lines = machine_lines(out)
    asked = [l[3] for l in lines if l[1] == "getpass"]
    check("no password configured: machineui asks, a wrong answer is asked again, the right one syncs",
          status == 0 and asked == [user, user], (status, asked, out[-1200:], err[-400:]))
    refusal = [l for l in lines if l[0] == "warn" and "Authentication" in l[3]]
    check("no password configured: the refusal is shown before the second question", len(refusal) == 1,
          (refusal, out[-800:]))
    leaked = [form for form in forms(WRONG, user) + forms(password, user) if form in out + err]
    check("no password configured: neither typed password is in any output", not leaked, leaked)


def main():
    if not os.path.exists(HARNESS) or not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        return mailsync_tap.skip_all("dovecot is not installed")
    if not os.access(MAILSYNC, os.X_OK):
        return mailsync_tap.skip_all("%s is not built" % MAILSYNC)
    root = tempfile.mkdtemp(prefix="check-cli-refused-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = mailsync_tap.DovecotUsers(root, "rf", 2)
        user, password = server.new_user()
        test_configured_sources(root, server.env, user)
        test_json(root, server.env, user)
        test_offlineimap(root, server.env, user)
        user, password = server.new_user()
        test_asked_when_missing(root, server.env, user, password)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
