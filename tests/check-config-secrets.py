#!/usr/bin/env python3
"""A distinctive password must reach no output of `mailsync`: not stdout,
stderr or the -l log, whatever the UI, with every debug type on, whether
the login works or fails, and whatever goes wrong in the configuration
around it (an *eval that raises, a *cmd that fails, a bad interpolation,
a -k override, an unknown option holding it).  Each run also asserts its
outcome, so a run that never got as far as using the password cannot pass
for a clean one.  Against a private Dovecot; skipped (1..0 # SKIP) without it or
without the mailsync binary."""

import base64
import os
import shutil
import subprocess
import sys
import tempfile

import mailsync_tap
from mailsync_tap import HARNESS, MAILSYNC

USER = "secretuser"
# Identifier-shaped, so that a forgotten pair of quotes in remotepasseval
# (a NameError) is one of the cases.
PASSWORD = "Zq9Hunter2Pw"
WRONG = "Zq9Wrong7Pw"

TAP = mailsync_tap.Tap(1500)
check = TAP.check


def forms(secret):
    """The secret as it could leak: plain, URL-quoted (machineui), and in
    the SASL blobs of LOGIN, PLAIN, XOAUTH2 and OAUTHBEARER."""
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    return [secret, b64(secret), b64("\0%s\0%s" % (USER, secret)), b64("%s\0%s\0%s" % (USER, USER, secret)),
            b64("user=%s\x01auth=Bearer %s\x01\x01" % (USER, secret)),
            b64("n,a=%s,\x01auth=Bearer %s\x01\x01" % (USER, secret))]


# (label, secret, remote options, extra mailsync args, stdin, expected exit: 0, or None for "nonzero")
CASES = [
    ("remotepass, basic", PASSWORD, "remotepass = {pw}", ["-u", "basic"], None, 0),
    ("remotepass, machineui", PASSWORD, "remotepass = {pw}", ["-u", "machineui"], None, 0),
    ("remotepass, ttyui", PASSWORD, "remotepass = {pw}", ["-u", "ttyui"], None, 0),
    ("remotepass, quiet", PASSWORD, "remotepass = {pw}", ["-u", "quiet"], None, 0),
    ("wrong remotepass, basic", WRONG, "remotepass = {pw}", ["-u", "basic"], None, None),
    ("wrong remotepass, machineui", WRONG, "remotepass = {pw}", ["-u", "machineui"], None, None),
    ("remotepasscmd", PASSWORD, "remotepasscmd = echo {pw}", ["-u", "machineui"], None, 0),
    ("remotepasscmd failing after printing it", PASSWORD, "remotepasscmd = echo {pw}; exit 3",
     ["-u", "basic"], None, None),
    ("remotepassfile", PASSWORD, "remotepassfile = {home}/pass", ["-u", "machineui"], None, 0),
    ("netrc", PASSWORD, "", ["-u", "basic"], None, 0),
    ("remotepasseval", PASSWORD, "remotepasseval = '{pw}'", ["-u", "machineui"], None, 0),
    ("remotepasseval raising with it", PASSWORD, "remotepasseval = int('{pw}')", ["-u", "basic"], None, None),
    ("remotepasseval without quotes", PASSWORD, "remotepasseval = {pw}", ["-u", "machineui"], None, None),
    ("remotepass with a bad interpolation", PASSWORD, "remotepass = {pw}%(nope)s", ["-u", "basic"], None, None),
    ("remotepass with a lone %", PASSWORD, "remotepass = {pw}%", ["-u", "machineui"], None, None),
    ("-k remotepass with a lone %", PASSWORD, "remotepass = x",
     ["-u", "basic", "-k", "Repository_Remote:remotepass={pw}%"], None, None),
    ("-k remotepass", PASSWORD, "remotepass = x", ["-u", "machineui", "-k", "Repository_Remote:remotepass={pw}"],
     None, 0),
    ("an unknown option holding it", PASSWORD, "remotepass = {pw}\nremotepas = {pw}", ["-u", "basic"], None, 0),
    ("prompted by machineui", PASSWORD, "", ["-u", "machineui"], "{pw}\n", 0),
    ("wrong password prompted by machineui", WRONG, "", ["-u", "machineui"], "{pw}\n", None),
    ("oauth2_access_token", PASSWORD, "oauth2_access_token = {pw}\nauth_mechanisms = XOAUTH2, OAUTHBEARER",
     ["-u", "basic"], None, None),
    ("--info", PASSWORD, "remotepass = {pw}", ["--info"], None, 0),
]


def run_case(env, root, index, case):
    label, secret, remote, args, stdin, expected = case
    work = os.path.join(root, "case%d" % index)
    home = os.path.join(work, "home")
    os.makedirs(home)
    with open(os.path.join(home, "pass"), "w") as f:
        f.write(secret + "\n")
    if label == "netrc":
        netrc = os.path.join(home, ".netrc")
        with open(netrc, "w") as f:
            f.write("machine %s login %s password %s\n" % (env["DOVECOT_HOST"], USER, secret))
        os.chmod(netrc, 0o600)
    conf = os.path.join(work, "rc")
    with open(conf, "w") as f:
        f.write("[general]\naccounts = Test\nmetadata = %s/meta\n"
                "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n"
                "[Repository Local]\ntype = Maildir\nlocalfolders = %s/Mail\n"
                "[Repository Remote]\ntype = IMAP\nremotehost = %s\nremoteport = %s\nremoteuser = %s\n"
                "ssl = no\nstarttls = no\n%s\n"
                % (work, work, env["DOVECOT_HOST"], env["DOVECOT_PORT"], USER,
                   remote.format(pw=secret, home=home)))
    log = os.path.join(work, "log")
    argv = [MAILSYNC, "-c", conf, "-o", "-d", "imap,maildir,thread", "-l", log]
    argv += [a.format(pw=secret) for a in args]
    try:
        p = subprocess.run(argv, input=stdin.format(pw=secret) if stdin else "", stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                           env=dict(os.environ, HOME=home, DBUS_SESSION_BUS_ADDRESS=""))
    except subprocess.TimeoutExpired as e:
        check("%s: finishes" % label, False, e)
        return
    text = p.stdout + p.stderr
    if os.path.exists(log):
        with open(log, errors="replace") as f:
            text += f.read()
    if expected == 0:
        check("%s: exits 0" % label, p.returncode == 0, (p.returncode, text[-1500:]))
    else:
        check("%s: fails" % label, p.returncode != 0 and "Traceback" not in text, (p.returncode, text[-1500:]))
    leaked = [form for form in forms(secret) if form in text]
    where = [line for line in text.splitlines() if any(form in line for form in leaked)]
    check("%s: the password is in no output" % label, not leaked, where[:5])


def main():
    if not os.access(MAILSYNC, os.X_OK) or not os.path.exists(HARNESS) or not shutil.which("dovecot"):
        print("1..0 # SKIP needs dovecot and the mailsync binary")
        return 0
    root = tempfile.mkdtemp(prefix="check-config-secrets-")
    os.chmod(root, 0o755)
    server = os.path.join(root, "dovecot")
    try:
        try:
            # mailsync_tap's start: the server is stopped when the suite
            # ends, by a signal too.
            mailsync_tap.harness("start", server, "--lifetime", "900")
        except RuntimeError as e:
            print("1..0 # SKIP %s" % str(e)[-300:])
            return 0
        env = mailsync_tap.read_env(server)
        subprocess.run([HARNESS, "adduser", server, USER, PASSWORD], check=True, stdout=subprocess.DEVNULL,
                       timeout=30)
        subprocess.run([HARNESS, "fill", server, USER, "INBOX", "2", "--sizes", "small"], check=True,
                       stdout=subprocess.DEVNULL, timeout=60)
        for i, case in enumerate(CASES):
            run_case(env, root, i, case)
    finally:
        subprocess.run([HARNESS, "stop", server, "--clean"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
