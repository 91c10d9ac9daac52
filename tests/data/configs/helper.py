# The ~/.offlineimap.py of the corpus configs (pythonfile): what users keep
# there, password lookups and folder-name translations.
import re


def get_pass(host):
    return {"mail.example.org": "helper-password"}.get(host, "fallback")


def get_secret(name):
    return "secret-" + name


def remote_to_local(folder):
    return re.sub(r"^INBOX\.", "", folder)


def local_to_remote(folder):
    return folder if folder == "INBOX" else "INBOX." + folder


def wanted(folder):
    return folder not in ("INBOX.Trash", "INBOX.Spam")
