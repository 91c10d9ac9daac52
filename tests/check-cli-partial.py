#!/usr/bin/env python3
"""What one bad thing costs a run of the mailsync command, against a
private Dovecot (audit s23 F3, F6, F7):

- an empty -f (a wrapper's -f "$FOLDERS" with FOLDERS unset) is no -f, as
  offlineimap's "if options.folders:" makes it: every folder syncs; -f ','
  names no folder and fails as offlineimap does; an empty -a is every account;
- a dangling symbolic link among a folder's new messages is one warning
  line naming it, exit status 1, and the folder's other new message is
  uploaded;
- a local folder whose name the server cannot hold (Tést without
  utf8foldernames) is one error naming it while another folder's new
  message is uploaded, exit status 1 (offlineimap stops the account).

Uses check-cli.py's server, account and TAP helpers.
Skipped (1..0 # SKIP) when Dovecot is not installed."""

import importlib.util
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("check_cli", os.path.join(HERE, "check-cli.py"))
cli = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli)

check, out, append, local_count, Account = cli.check, cli.out, cli.append, cli.local_count, cli.Account
SUMMARY = "ERROR: Exceptions occurred during the run!"


def live(text):
    """What a run said before its end-of-run summary (which repeats every
    error, as offlineimap's does)."""
    return text.split(SUMMARY)[0]


def put_local(acc, folder, name, tag):
    """A new message @tag in the Maildir folder @folder (made if missing)."""
    root = os.path.join(acc.home, "Mail", folder)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    path = os.path.join(root, "new", name)
    with open(path, "wb") as f:
        f.write(cli.message(tag))
    return path


def synced_account(server, root, name, label):
    """An account with one server message in INBOX, synced once."""
    acc = Account(server, root, name)
    conn = acc.imap()
    append(conn, "INBOX", "inbox-0")
    conn.logout()
    p = acc.run()
    check("%s: the first sync exits 0" % label, p.returncode == 0, out(p))
    return acc

def scenario_empty_folders(server, root):
    acc = Account(server, root, "empty-f")
    conn = acc.imap()
    append(conn, "INBOX", "inbox-0")
    conn.create("Archive")
    append(conn, "Archive", "archive-0")
    conn.logout()

    p = acc.run("-f", "")
    check("-f '': exit 0, as offlineimap (an empty -f is no -f)", p.returncode == 0, out(p))
    check("-f '': every folder is synced",
          local_count(acc.home, "INBOX") == 1 and local_count(acc.home, "Archive") == 1, out(p))
    p = acc.run("-f", ",")
    check("-f ',': names no folder: 'no folder to sync', exit 1, as offlineimap",
          p.returncode == 1 and "no folder to sync" in out(p), out(p))
    conn = acc.imap()
    append(conn, "INBOX", "inbox-1")
    conn.logout()
    p = acc.run("-a", "")
    check("-a '': every account is synced, exit 0, as offlineimap",
          p.returncode == 0 and local_count(acc.home, "INBOX") == 2, out(p))


def scenario_dangling_symlink(server, root):
    acc = synced_account(server, root, "symlink", "symlink")
    link = os.path.join(acc.home, "Mail", "INBOX", "new", "1796700999.P9.host")
    os.symlink("/nonexistent/x", link)
    put_local(acc, "INBOX", "1796701000.P10.host", "local-new")

    p = acc.run()
    lines = [l for l in live(out(p)).splitlines() if link in l]
    check("symlink: one warning line names the link",
          len(lines) == 1 and lines[0].lstrip().startswith("Skipping local file")
          and "symbolic link" in lines[0],
          out(p))
    check("symlink: exit status 1", p.returncode == 1, "rc %d: %s" % (p.returncode, out(p)))
    conn = acc.imap()
    check("symlink: the folder's other new message is uploaded", cli.server_count(conn, "INBOX") == 2, out(p))
    conn.logout()
    check("symlink: the link is left as it was", os.path.islink(link), out(p))


def scenario_bad_folder_name(server, root):
    acc = synced_account(server, root, "badname", "bad name")
    put_local(acc, "T\u00e9st", "1796702000.P1.host", "bad-name")
    put_local(acc, "New", "1796702001.P2.host", "new-folder")

    for run in (1, 2):
        p = acc.run()
        naming = [l for l in live(out(p)).splitlines() if "'T\u00e9st'" in l and "cannot create" in l]
        check("bad name, run %d: one error line says why T\u00e9st cannot be created" % run,
              len(naming) == 1 and "utf8foldernames" in naming[0], out(p))
        check("bad name, run %d: exit status 1" % run, p.returncode == 1, "rc %d: %s" % (p.returncode, out(p)))
        conn = acc.imap()
        folders = cli.server_folders(conn)
        check("bad name, run %d: the other new folder and its message reach the server" % run,
              "New" in folders and cli.server_count(conn, "New") == 1, repr(folders) + out(p))
        check("bad name, run %d: nothing named after T\u00e9st on the server" % run,
              folders == ["INBOX", "New"], repr(folders))
        conn.logout()


def main():
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP dovecot is not installed")
        return 0
    if not os.path.exists(cli.MAILSYNC):
        print("1..0 # SKIP %s is not built" % cli.MAILSYNC)
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-cli-partial-", dir="/tmp")
    os.chmod(root, 0o755)
    server = None
    try:
        server = cli.Server(root)
        for name, fn in [("empty_folders", scenario_empty_folders), ("dangling_symlink", scenario_dangling_symlink),
                         ("bad_folder_name", scenario_bad_folder_name)]:
            try:
                fn(server, root)
            except Exception as e:  # a crash of one scenario must not hide the others
                check("scenario %s ran to its end" % name, False, repr(e))
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return cli.TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
