"""The state of a sync's local Maildir and status store, for comparing
two runs (check-imap-sync.py's download paths)."""

import hashlib
import os


def keyword_names(folder_dir):
    """letter -> keyword of a Maildir folder's dovecot-keywords ("0 $Junk": 'a')."""
    names = {}
    try:
        with open(os.path.join(folder_dir, "dovecot-keywords")) as f:
            for line in f:
                index, _, name = line.rstrip("\n").partition(" ")
                if index.isdigit() and name:
                    names[chr(ord("a") + int(index))] = name
    except FileNotFoundError:
        pass
    return names


def named_flags(letters, names):
    """Maildir flag letters with each keyword letter (a-z) replaced by its
    keyword: "Sbc" -> "S $Junk custom1"."""
    keywords = sorted(names.get(c, c) for c in letters if "a" <= c <= "z")
    return " ".join(["".join(sorted(c for c in letters if not "a" <= c <= "z"))] + keywords)


def download_state(work):
    """folder -> sorted [(new or cur, U=, FMD5, flags, raw bytes' digest,
    mtime)] of the local Maildir, and the status store's every row
    (meta/*), so that two runs' downloads can be compared whatever their
    unique names.

    Keywords are compared by name, not letter: a folder's dovecot-keywords
    gave the next free letter to the first keyword delivered, and a
    download window's deliveries run in parallel (GIO's worker threads),
    so which of two messages' new keywords got 'a' varied from run to run
    on either path, each Maildir consistent with its own file (the files
    and status rows differed in 7 of 100 ASan runs under load: $Forwarded
    'a' in one run, 'c' in the other). The keywords stamp's digest (of the
    rows' letters) is left out for the same reason, its count compared.
    Since then the letters are given in UID order before the deliveries
    (check-keywords.py "order" asserts that); by name stays the
    comparison of what the two paths stored.
    The mtime is the message's INTERNALDATE on both paths (the clock only
    for a message without one, which Dovecot never sends)."""
    import sqlite3
    files = {}
    keywords = {}
    root = os.path.join(work, "local")
    for folder in sorted(os.listdir(root)):
        if not os.path.isdir(os.path.join(root, folder, "cur")):
            continue
        keywords[folder] = keyword_names(os.path.join(root, folder))
        items = []
        for sub in ("cur", "new"):
            for name in os.listdir(os.path.join(root, folder, sub)):
                path = os.path.join(root, folder, sub, name)
                with open(path, "rb") as f:
                    digest = hashlib.md5(f.read()).hexdigest()
                fields = dict(kv.split("=", 1) for kv in name.split(":2,")[0].split(",")[1:] if "=" in kv)
                items.append((sub, fields.get("U"), fields.get("FMD5"),
                              named_flags(name.split(":2,", 1)[-1], keywords[folder]), digest,
                              int(os.stat(path).st_mtime)))
        files[folder] = sorted(items)
    rows = {}
    meta = os.path.join(work, "meta")
    for dirpath, _, names in os.walk(meta):
        for name in names:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, meta)
            if name.endswith((".sqlite", ".db")) or "sqlite" in dirpath:
                # the status of the folder of the same name (LocalStatus-sqlite/INBOX)
                letters = keywords.get(name, {})
                try:
                    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
                    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
                    rows[rel] = {}
                    for t in tables:
                        got = []
                        for r in db.execute("SELECT * FROM %s" % t):
                            # the downloads entry names this process (its stem): not compared
                            if t == "mailsync_meta" and "download" in str(r[0]):
                                continue
                            # "1 <rows with keywords> <digest of their letters>"
                            if t == "mailsync_meta" and r[0] == "mailsync.keywords-stamp":
                                r = (r[0], str(r[1]).rsplit(" ", 1)[0] + " <digest>")
                            elif t == "status":
                                r = (r[0], named_flags(r[1] or "", letters)) + tuple(r[2:])
                            got.append(r)
                        rows[rel][t] = sorted(got)
                    db.close()
                except sqlite3.DatabaseError:
                    pass
    return files, rows


def differing(a, b):
    """Only what differs between two download_state() halves (dicts of
    lists, or of dicts of lists): a failure's detail fits in TAP's cut."""
    out = {}
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if x == y:
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            out[key] = differing(x, y)
        elif isinstance(x, list) and isinstance(y, list):
            out[key] = {"internal only": [i for i in x if i not in y], "public only": [i for i in y if i not in x]}
        else:
            out[key] = {"internal": x, "public": y}
    return out
