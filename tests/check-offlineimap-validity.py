#!/usr/bin/env python3
"""offlineimap's saved UIDVALIDITY (reference §4.4: one decimal line in
<metadata>/Repository-<REPO>/FolderValidity/<FOLDERFILE>) across a switch
between offlineimap and mailsync, against the harness Dovecot (audit F1):

- offlineimap -> mailsync: offlineimap synced a folder, the server folder
  was then deleted and refilled (new UIDVALIDITY, UIDs from 1 again).
  mailsync, on offlineimap's status (which has no value of mailsync's),
  reads the FolderValidity file: "UID validity problem ... skipping it",
  exit 2, the folder's local mail untouched, the other folder synced;
- mailsync -> offlineimap: mailsync writes the files as offlineimap does
  (the server's value for the IMAP side, 42 for the Maildir side, one line
  with LF), so offlineimap after the same change warns and exits 2 too;
- the file names are offlineimap's (the folder's own name in its
  repository, '/' -> '.'): the same set of files as offlineimap's own run
  on the same folders, with the same values;
- a folder empty on both sides is re-saved with its new value (no warning,
  as offlineimap); a dry run writes no file;
- a crash right after the files are written and before the status commit
  (MAILSYNC_CRASH_AT=runner-validity-saved) converges; a crash in the
  middle of a first sync's downloads leaves the file already there, so a
  later change is still seen.

offlineimap (Debian's, or offlineimap3 from tools/install-deps) makes the
set-ups in both builds; where it runs on what mailsync left (a hand-back)
it runs only in the -Werror build (mailsync_tap.comparison_offlineimap).
Skipped (1..0 # SKIP) when Dovecot or offlineimap is not installed."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import mailsync_tap

TAP = mailsync_tap.Tap()
check = TAP.check


class Server(mailsync_tap.Dovecot):
    def __init__(self, root, variant=None):
        self.users = 0
        super().__init__(os.path.join(root, "dovecot-%s" % (variant or "default")),
                         [("fv%d" % i, "pw-fv%d" % i) for i in range(1, 13)], variant=variant)

    def new_user(self):
        self.users += 1
        return "fv%d" % self.users, "pw-fv%d" % self.users


MESSAGES = mailsync_tap.TaggedMessages("test")


class Account:
    """A HOME with an offlineimap config for one server user (@user: share
    another Account's user), syncing the folders @folders only."""

    def __init__(self, server, root, name, folders, user=None):
        self.server = server
        self.user, self.password = user or server.new_user()
        self.home = os.path.join(root, name)
        os.makedirs(os.path.join(self.home, "Mail"))
        self.config = os.path.join(self.home, ".offlineimaprc")
        self.meta = os.path.join(self.home, "meta")
        with open(self.config, "w") as f:
            f.write("[general]\naccounts = Test\nmetadata = %(meta)s\n\n"
                    "[Account Test]\nlocalrepository = Local\nremoterepository = Remote\n\n"
                    "[Repository Local]\ntype = Maildir\nlocalfolders = %(home)s/Mail\n\n"
                    "[Repository Remote]\ntype = IMAP\nremotehost = %(host)s\nremoteport = %(port)s\n"
                    "remoteuser = %(user)s\nremotepass = %(pw)s\nssl = no\nstarttls = yes\n"
                    "sslcacertfile = %(ca)s\nfolderfilter = lambda f: f in %(folders)r\n"
                    % {"home": self.home, "meta": self.meta, "host": server.env["DOVECOT_HOST"],
                       "port": server.env["DOVECOT_PORT"], "user": self.user, "pw": self.password,
                       "ca": server.env["DOVECOT_CA"], "folders": list(folders)})

    def imap(self):
        return self.server.imap(self.user, self.password)

    def env(self):
        env = dict(os.environ, HOME=self.home)
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("G_MESSAGES_DEBUG", None)
        return env

    def run(self, *args, program=None, extra=None, timeout=300):
        argv = [program or mailsync_tap.MAILSYNC, "-c", self.config, "-u", "basic"] + list(args)
        p = subprocess.run(argv, env=dict(self.env(), **(extra or {})), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        p.out = (p.stdout or "") + (p.stderr or "")
        return p

    def validity(self, repo):
        """{file name: contents} of a repository's FolderValidity files."""
        d = os.path.join(self.meta, "Repository-" + repo, "FolderValidity")
        out = {}
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name)) as f:
                out[name] = f.read()
        return out

    def local(self, folder):
        """sorted file names (new/ and cur/) of a local folder."""
        names = []
        for sub in ("cur", "new"):
            d = os.path.join(self.home, "Mail", folder, sub)
            names += [sub + "/" + n for n in os.listdir(d)] if os.path.isdir(d) else []
        return sorted(names)


def fill(conn, folder, tags):
    for tag in tags:
        MESSAGES.append(conn, folder, tag)


def recreate(acc, folder, tags):
    """@folder deleted and recreated with another UIDVALIDITY, filled with
    @tags: UIDs from 1 again, other messages. Returns (old, new)."""
    old, new = mailsync_tap.new_uidvalidity(acc.server, acc.user, acc.password, folder)
    conn = acc.imap()
    fill(conn, folder, tags)
    conn.logout()
    return old, new


def prepare(server, root, name, user=None):
    """An account on folders F (ten messages) and G (one), E (empty)."""
    acc = Account(server, root, name, ["F", "G", "E"], user=user)
    if user is None:
        conn = acc.imap()
        for folder in ("F", "G", "E"):
            conn.create(folder)
        fill(conn, "F", ["f%d" % i for i in range(10)])
        fill(conn, "G", ["g0"])
        conn.logout()
    return acc


def scenario_from_offlineimap(server, root, offlineimap):
    label = "offlineimap -> mailsync"
    acc = prepare(server, root, "from-offlineimap")
    p = acc.run(program=offlineimap)
    files = acc.validity("Remote")
    if not check("%s: offlineimap's sync wrote its FolderValidity files" % label,
                 p.returncode == 0 and len(acc.local("F")) == 10 and "F" in files, (p.returncode, p.out[-600:], files)):
        return
    before = acc.local("F")
    old, new = recreate(acc, "F", ["new%d" % i for i in range(4)])
    fill(acc.imap(), "G", ["g1"])
    check("%s: F recreated with another UIDVALIDITY" % label, old is not None and new != old, (old, new))
    p = acc.run()
    check("%s: the UID validity problem is reported for F, exit 2" % label,
          p.returncode == 2 and "UID validity problem for folder F (repo Remote) (saved %d; got %d); skipping it"
          % (old, new) in p.out, (p.returncode, p.out[-800:]))
    check("%s: F's local mail is untouched (nothing deleted, renamed or downloaded)" % label,
          acc.local("F") == before, (before, acc.local("F")))
    check("%s: the other folder synced" % label, len(acc.local("G")) == 2, acc.local("G"))
    check("%s: the saved value is kept" % label, acc.validity("Remote").get("F") == "%d\n" % old,
          acc.validity("Remote"))


def scenario_to_offlineimap(server, root, offlineimap, why):
    label = "mailsync -> offlineimap"
    acc = prepare(server, root, "to-offlineimap")
    p = acc.run()
    conn = acc.imap()
    value = mailsync_tap.status_uidvalidity(conn, "F")
    conn.logout()
    check("%s: mailsync's sync exits 0" % label, p.returncode == 0 and len(acc.local("F")) == 10, p.out[-600:])
    check("%s: the IMAP side's file holds the server's UIDVALIDITY, one line" % label,
          acc.validity("Remote").get("F") == "%d\n" % value, (value, acc.validity("Remote")))
    check("%s: the Maildir side's file holds 42, as offlineimap's" % label,
          acc.validity("Local") == {"E": "42\n", "F": "42\n", "G": "42\n"}, acc.validity("Local"))
    modes = {os.stat(os.path.join(acc.meta, d)).st_mode & 0o777
             for d in ("Repository-Remote", "Repository-Remote/FolderValidity")}
    check("%s: the directories are private (0700)" % label, modes == {0o700}, modes)
    check("%s: no .tmp file left" % label,
          not [n for n in os.listdir(os.path.join(acc.meta, "Repository-Remote", "FolderValidity"))
               if n.endswith(".tmp")], os.listdir(os.path.join(acc.meta, "Repository-Remote", "FolderValidity")))
    before = acc.local("F")
    old, new = recreate(acc, "F", ["new%d" % i for i in range(4)])
    if offlineimap is None:
        TAP.skip("%s: offlineimap reports the UID validity problem, exit 2" % label, why)
        return
    p = acc.run(program=offlineimap)
    check("%s: offlineimap reports the UID validity problem, exit 2" % label,
          p.returncode == 2 and re.search(r"UID validity problem for folder F .*saved %d; got %d" % (old, new), p.out)
          is not None, (p.returncode, p.out[-800:], before))


def scenario_names(root, offlineimap, why):
    """Same folders, same user: offlineimap's files against mailsync's, on
    a server whose hierarchy separator is '/'."""
    label = "file names"
    server = Server(root, "slash")
    try:
        names(server, root, label, offlineimap, why)
    finally:
        server.stop()


def names(server, root, label, offlineimap, why):
    acc = Account(server, root, "names-mailsync", ["INBOX", "A", "A/B", "A/B/C", "Sp ace"])
    conn = acc.imap()
    for folder in ("A", "A/B", "A/B/C", '"Sp ace"'):
        conn.create(folder)
    fill(conn, "INBOX", ["i0"])
    fill(conn, "A/B", ["ab0"])
    conn.logout()
    p = acc.run()
    ours = (acc.validity("Remote"), acc.validity("Local"))
    check("%s: '/' becomes '.' in both repositories' files" % label,
          p.returncode == 0 and sorted(ours[0]) == ["A", "A.B", "A.B.C", "INBOX", "Sp ace"]
          and sorted(ours[1]) == sorted(ours[0]), (p.out[-600:], ours))
    if offlineimap is None:
        TAP.skip("%s: the same files and values as offlineimap's own run" % label, why)
        return
    theirs_acc = Account(server, root, "names-offlineimap", ["INBOX", "A", "A/B", "A/B/C", "Sp ace"],
                         user=(acc.user, acc.password))
    p = theirs_acc.run(program=offlineimap)
    theirs = (theirs_acc.validity("Remote"), theirs_acc.validity("Local"))
    check("%s: the same files and values as offlineimap's own run" % label,
          p.returncode == 0 and theirs == ours, (p.out[-600:], theirs, ours))


def scenario_empty_and_dry_run(server, root):
    label = "empty folder"
    acc = prepare(server, root, "empty")
    p = acc.run("--dry-run")
    check("dry run: no FolderValidity file written", p.returncode == 0 and acc.validity("Remote") == {}
          and acc.validity("Local") == {}, (p.out[-600:], acc.validity("Remote")))
    p = acc.run()
    saved = acc.validity("Remote").get("E")
    old, new = recreate(acc, "E", [])
    p = acc.run()
    check("%s: recreated while empty on both sides: re-saved, no warning (as offlineimap)" % label,
          p.returncode == 0 and saved == "%d\n" % old and acc.validity("Remote").get("E") == "%d\n" % new
          and "UID validity" not in p.out, (p.returncode, p.out[-600:], saved, old, new, acc.validity("Remote")))


def scenario_crashes(server, root):
    if not mailsync_tap.TEST_HOOKS:
        TAP.skip("crash after the files, before the status commit", mailsync_tap.NO_HOOKS)
        TAP.skip("crash amid the first downloads: the file is there already", mailsync_tap.NO_HOOKS)
        return
    acc = prepare(server, root, "crash-saved")
    p = acc.run(extra={"MAILSYNC_CRASH_AT": "runner-validity-saved:1"})
    # the first folder synced (E, F or G) crashed with its files written
    crashed = p.returncode == 77 and len(acc.validity("Remote")) == 1
    p2 = acc.run()
    check("crash after the files, before the status commit: the rerun converges",
          crashed and p2.returncode == 0 and len(acc.local("F")) == 10 and len(acc.validity("Remote")) == 3,
          (p.returncode, acc.validity("Remote"), p2.returncode, p2.out[-600:]))

    acc = prepare(server, root, "crash-downloads")
    p = acc.run(extra={"MAILSYNC_CRASH_AT": "runner-status-committed:2", "MAILSYNC_TEST_MAX_IN_FLIGHT": "2"})
    conn = acc.imap()
    value = mailsync_tap.status_uidvalidity(conn, "F")
    conn.logout()
    files = acc.validity("Remote")
    check("crash amid the first downloads: the file is there already",
          p.returncode == 77 and files.get("F") == "%d\n" % value, (p.returncode, p.out[-600:], files))
    before = acc.local("F")
    recreate(acc, "F", ["new0"])
    p = acc.run()
    check("crash amid the first downloads: a later change is still seen, nothing touched",
          p.returncode == 2 and "UID validity problem for folder F" in p.out and acc.local("F") == before,
          (p.returncode, p.out[-600:]))


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    setup = shutil.which("offlineimap")
    if setup is None:
        return mailsync_tap.skip_all("offlineimap is not installed")
    handback, why = mailsync_tap.comparison_offlineimap()
    root = tempfile.mkdtemp(prefix="mailsync-offlineimap-validity-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = Server(root)
        scenario_from_offlineimap(server, root, setup)
        scenario_to_offlineimap(server, root, handback, why)
        scenario_names(root, handback, why)
        scenario_empty_and_dry_run(server, root)
        scenario_crashes(server, root)
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
