# A pythonfile as users write them for offlineimap (~/.offlineimap.py):
# helpers for remotepasseval, a name map for nametrans, a newmail_hook.
import re

import mailsync_test_helper     # found through PYTHONPATH

PASSWORDS = {"work": "hunter2", "home": "correct horse"}

LOCAL_TO_REMOTE = {
    "sent": "[Gmail]/Sent Mail",
    "drafts": "[Gmail]/Drafts",
}
REMOTE_TO_LOCAL = {v: k for k, v in LOCAL_TO_REMOTE.items()}

IDLE = ["INBOX", "Lists/dev"]

calls = []
hooked = []


def get_password(account):
    return PASSWORDS[account]


def get_password_bytes(account):
    return PASSWORDS[account].encode("utf-8")


def get_password_int():
    return 12345


def get_password_bad_bytes():
    return b"hunter\xff2"


def counter():
    calls.append(1)
    return str(len(calls))


def nametrans_remote(folder):
    return REMOTE_TO_LOCAL.get(folder, re.sub(r"^\[Gmail\]/", "", folder))


def newmail():
    hooked.append(1)


def fails(folder):
    raise RuntimeError("cannot translate " + folder)


def helper_name():
    return mailsync_test_helper.NAME


# offlineimap imports this file under the name "<none>": a self-test
# block must not run.
if __name__ == "__main__":
    raise SystemExit("pythonfile run as __main__")


# Fixed objects whose reference counts check-python watches: a reference
# leaked per call shows up as a count that grows with the number of calls.
FIXED = "fixed-" + str(len(PASSWORDS))
FIXED_NUM = 12345.5
FIXED_LIST = [1, 2]
FIXED_STRS = ["a", "b"]
FIXED_KEY = ("k",)
KEEP = []
