#!/usr/bin/env python3
"""The shell completions of the mailsync command (issue 14 item 5), as
built from its option table by mailsync-completions: each file is valid
for its shell (bash -n; zsh -n and fish --no-execute when those shells are
installed, else SKIP) and offers every option `mailsync --help` lists. The
bash one is also run: options by prefix, the UI names after -u, the
accounts of the -c file after -a (comma lists too), files after -c.

No server, no network; well under a second."""

import os
import re
import shutil
import subprocess
import tempfile

import mailsync_tap
from mailsync_tap import MAILSYNC, TOP_BUILDDIR

TAP = mailsync_tap.Tap(600)
check = TAP.check

DATA = os.path.join(TOP_BUILDDIR, "frontends", "mailsync", "data")
FILES = {"bash": os.path.join(DATA, "bash", "mailsync"), "zsh": os.path.join(DATA, "_mailsync"),
         "fish": os.path.join(DATA, "mailsync.fish")}
SYNTAX = {"bash": ["-n"], "zsh": ["-n"], "fish": ["--no-execute"]}


def help_options():
    """Every option of `mailsync --help`, by its own text, not the table the
    completions were made from."""
    p = subprocess.run([MAILSYNC, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=30)
    longs, shorts = set(), set()
    for line in p.stdout.splitlines():
        m = re.match(r"^  (-\w)?(?:[ =]\S+)?(?:, )?(--[\w-]+)?", line)
        if m:
            if m.group(1):
                shorts.add(m.group(1))
            if m.group(2):
                longs.add(m.group(2))
    return p.returncode, longs, shorts


def bash_complete(words, env_home):
    """Completes the last of @words with the bash file; the candidates."""
    script = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); ' \
             '_mailsync; printf "%s\\n" "${COMPREPLY[@]}"'
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", FILES["bash"]] + words,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=30,
                       env={"HOME": env_home, "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    return [w for w in p.stdout.split("\n") if w], p.stderr


def main():
    if not os.access(MAILSYNC, os.X_OK):
        print("1..0 # SKIP no mailsync binary")
        return 0
    rc, longs, shorts = help_options()
    check("mailsync --help lists options", rc == 0 and len(longs) >= 8 and len(shorts) >= 10, (rc, longs, shorts))

    for shell, path in sorted(FILES.items()):
        if not check("%s: the completion file is built" % shell, os.path.isfile(path), path):
            continue
        with open(path) as f:
            text = f.read()
        missing = sorted(o for o in longs | shorts if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(o), text)
                         and not (shell == "fish" and re.search(r" -%s %s(?!\S)" % ("l" if o.startswith("--")
                                                                                       else "s", o.lstrip("-")),
                                                                 text)))
        check("%s: every option of --help is offered" % shell, not missing, missing)
        exe = shutil.which(shell)
        if exe is None:
            TAP.skip("%s: syntax" % shell, "%s is not installed" % shell)
            continue
        p = subprocess.run([exe] + SYNTAX[shell] + [path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=30)
        check("%s: the file parses (%s %s)" % (shell, shell, " ".join(SYNTAX[shell])), p.returncode == 0,
              p.stderr)

    if not os.path.isfile(FILES["bash"]):
        return TAP.finish()
    home = tempfile.mkdtemp(prefix="mailsync-completions-")
    try:
        conf = os.path.join(home, "my.conf")
        with open(conf, "w") as f:
            f.write("[general]\naccounts = Work, Home\n\n[Account Work]\nlocalrepository = L\n\n"
                    "[Account  Home Mail ]\nlocalrepository = L\n\n[Repository L]\ntype = Maildir\n")
        got, err = bash_complete(["mailsync", "--d"], home)
        check("bash: --d completes to --dry-run and --delete-folder", sorted(got) == ["--delete-folder", "--dry-run"],
              (got, err))
        got, err = bash_complete(["mailsync", "-"], home)
        check("bash: - offers every option", set(got) == longs | shorts, sorted(set(got) ^ (longs | shorts)))
        got, err = bash_complete(["mailsync", "-u", ""], home)
        check("bash: -u offers the UIs", set(got) == {"ttyui", "basic", "quiet", "syslog", "machineui",
                                                      "blinkenlights", "json"}, got)
        got, err = bash_complete(["mailsync", "-c", conf, "-a", ""], home)
        check("bash: -a offers the accounts of the -c file", sorted(got) == ["Home Mail", "Work"], (got, err))
        got, err = bash_complete(["mailsync", "-c" + conf, "-a", "Work,H"], home)
        check("bash: -a completes the item after the comma", got == ["Work,Home Mail"], (got, err))
        os.makedirs(os.path.join(home, ".config", "offlineimap"))
        shutil.copy(conf, os.path.join(home, ".config", "offlineimap", "config"))
        got, err = bash_complete(["mailsync", "-a", "W"], home)
        check("bash: without -c, the accounts of the default file", got == ["Work"], (got, err))
        got, err = bash_complete(["mailsync", "-d", "imap,m"], home)
        check("bash: -d completes debug types in a list", got == ["imap,maildir"], (got, err))
        got, err = bash_complete(["mailsync", "-c", os.path.join(home, "my.c")], home)
        check("bash: -c completes file names", got == [conf], (got, err))
        got, err = bash_complete(["mailsync", "-k", ""], home)
        check("bash: -k's free value offers nothing", got == [], got)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    raise SystemExit(main())
