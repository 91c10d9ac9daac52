"""The state of a sync's local Maildir and status store, for comparing
two runs (check-imap-sync.py's download paths)."""

import hashlib
import os


def download_state(work):
    """folder -> sorted [(U=, FMD5, flags, raw bytes' digest, mtime)] of
    the local Maildir, and the status store's every row (meta/*), so that
    two runs' downloads can be compared whatever their unique names."""
    import sqlite3
    files = {}
    root = os.path.join(work, "local")
    for folder in sorted(os.listdir(root)):
        if not os.path.isdir(os.path.join(root, folder, "cur")):
            continue
        items = []
        for sub in ("cur", "new"):
            for name in os.listdir(os.path.join(root, folder, sub)):
                path = os.path.join(root, folder, sub, name)
                with open(path, "rb") as f:
                    digest = hashlib.md5(f.read()).hexdigest()
                fields = dict(kv.split("=", 1) for kv in name.split(":2,")[0].split(",")[1:] if "=" in kv)
                items.append((sub, fields.get("U"), fields.get("FMD5"), name.split(":2,", 1)[-1], digest,
                              int(os.stat(path).st_mtime)))
        files[folder] = sorted(items)
    rows = {}
    meta = os.path.join(work, "meta")
    for dirpath, _, names in os.walk(meta):
        for name in names:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, meta)
            if name.endswith((".sqlite", ".db")) or "sqlite" in dirpath:
                try:
                    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
                    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
                    # the downloads entry names this process (its stem): not compared
                    rows[rel] = {t: sorted(r for r in db.execute("SELECT * FROM %s" % t)
                                           if not (t == "mailsync_meta" and "download" in str(r[0])))
                                 for t in tables}
                    db.close()
                except sqlite3.DatabaseError:
                    pass
    return files, rows
