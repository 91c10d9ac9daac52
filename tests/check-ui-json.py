#!/usr/bin/env python3
"""End-to-end check of `mailsync -u json` (issue 10 item 6) against a
private Dovecot: every line of real runs parses with Python's json module
and follows the schema of mailsyncui(7), which SCHEMA below mirrors.

Runs: a successful first sync (whose byte counts must be the server's
RFC822.SIZEs, issue 10 item 5), an authentication failure with a wrong
password, a folder error (a server folder named "new", which a Maildir
cannot hold), a kill -9 in the middle of a download (every line written
is whole: each is one write(2)), --info -u json (one document), and a
configuration without a password: the "question" line answered with a JSON
line on stdin (the password, a stale id, a cancel) or not at all (stdin at
its end: "unanswered"), and a refused answer asked again (a refused
configured password is not asked for). No password ever appears. Skipped (1..0 # SKIP) without Dovecot or the binary."""

import imaplib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import mailsync_tap
from mailsync_tap import MAILSYNC, harness

TAP = mailsync_tap.Tap(400)
check = TAP.check

# ---- the schema of mailsyncui(7), JSON LINES, schema 1 ----------------------
# member -> (types, required); types are Python types after json.loads.
INT = (int,)
STR = (str,)
NUM = (int, float)
BOOL = (bool,)
COMMON = {"kind": (STR, True), "time": (NUM, True)}
ERROR = {"domain": (STR, True), "code": (STR, True), "message": (STR, True), "scope": (STR, True),
         "transient": (BOOL, True)}
COUNTS = {"messages_done": (INT, True), "messages_total": (INT, True), "bytes_done": (INT, True),
          "bytes_total": (INT, True)}
PROGRESS = {"folder": (COUNTS, True), "account": (COUNTS, True)}
EVENT = {
    "n": (INT, True), "total": (INT, True),
    "account": (STR, False), "folder": (STR, False), "repository": (STR, False),
    "source_repository": (STR, False), "source_type": (STR, False), "destination_type": (STR, False),
    "source_folder": (STR, False), "destination_folder": (STR, False),
    "direction": (STR, False), "uid": (INT, False), "flags": (STR, False), "uids": ([int], False),
    "text": (STR, False), "error": (ERROR, False),
}
EVENT_KINDS = ["account-started", "account-finished", "connecting", "sync-folders", "folder-created",
               "status-created", "folder-started", "folder-planned", "account-planned", "list-loading",
               "list-loaded",
               "syncing-messages", "message-copied", "message-ignored", "messages-deleted", "flags-added",
               "flags-removed", "labels-added", "labels-removed", "labels-set", "collecting-data",
               "folder-skipped", "validity-problem", "warning", "error", "folder-finished", "debug"]
WITH_PROGRESS = {"folder-started", "folder-planned", "account-planned", "message-copied", "folder-finished",
                 "account-finished"}
WITH_ERROR = {"account-finished", "folder-finished", "warning", "error"}
SCHEMA = {
    "hello": {"schema": (INT, True), "program": (STR, True), "version": (STR, True)},
    "message": {"level": (STR, True), "thread": (STR, True), "command": (STR, False), "text": (STR, True)},
    "sleeping": {"account": (STR, True), "remaining": (INT, True)},
    "end": {"status": (INT, True), "errors": (INT, True), "skipped": (INT, True),
            "validity_problem": (BOOL, True), "title": (STR, False), "message": (STR, False)},
    "question": {"id": (INT, True), "type": (STR, True), "account": (STR, True), "user": (STR, True)},
    "unanswered": {"id": (INT, True), "reason": (STR, True), "text": (STR, True)},
}
for kind in EVENT_KINDS:
    members = dict(EVENT)
    if kind in WITH_PROGRESS:
        members["progress"] = (PROGRESS, True)
    if kind not in WITH_ERROR:
        del members["error"]
    if kind == "message-copied":
        members["source_uid"] = (INT, True)
        members["bytes"] = (INT, True)
    if kind in ("folder-planned", "account-planned"):
        members["bytes"] = (INT, True)
    if kind == "validity-problem":
        members["saved_uidvalidity"] = (INT, True)
        members["uidvalidity"] = (INT, True)
    SCHEMA[kind] = members
FOLDER_INFO = {"name": (STR, True), "visible_name": (STR, True), "display_name": (STR, False),
               "included": (BOOL, True), "total": (INT + (type(None),), True),
               "unseen": (INT + (type(None),), True), "recent": (INT + (type(None),), True),
               "special_use": (STR + (type(None),), True), "subscribed": (BOOL, False),
               "selectable": (BOOL, False), "last_sync": (STR + (type(None),), False)}
REPOSITORY_INFO = {"role": (STR, True), "name": (STR, True), "type": (STR, True), "host": (STR, False),
                   "port": (INT, False), "ssl": (BOOL, False), "capabilities": ([str], False),
                   "greeting": (STR, False), "error": (ERROR, False), "folders": ([FOLDER_INFO], False)}
ACCOUNT_INFO = {"name": (STR, True), "error": (ERROR, False), "repositories": ([REPOSITORY_INFO], False)}
INFO = {"kind": (STR, True), "schema": (INT, True), "accounts": ([ACCOUNT_INFO], True)}
LEVELS = {"debug", "info", "warning", "error"}
SCOPES = {"message", "folder", "repository", "account"}


def violations(obj, members, where="$"):
    """What in @obj breaks @members (see SCHEMA); [] when it follows it."""
    out = []
    if not isinstance(obj, dict):
        return ["%s: not an object" % where]
    for name in obj:
        if name not in members:
            out.append("%s.%s: not in the schema" % (where, name))
    for name, (types, required) in members.items():
        path = "%s.%s" % (where, name)
        if name not in obj:
            if required:
                out.append(path + ": missing")
            continue
        value = obj[name]
        if isinstance(types, dict):
            out += violations(value, types, path)
        elif isinstance(types, list):
            if not isinstance(value, list):
                out.append(path + ": not an array")
            elif isinstance(types[0], dict):
                for i, item in enumerate(value):
                    out += violations(item, types[0], "%s[%d]" % (path, i))
            elif not all(isinstance(v, types[0]) and not isinstance(v, bool) for v in value):
                out.append(path + ": an item of another type")
        elif isinstance(value, bool) and bool not in types:
            out.append(path + ": a boolean")
        elif not isinstance(value, types):
            out.append("%s: %r is not %s" % (path, value, "/".join(t.__name__ for t in types)))
    return out


def parse_lines(label, out, torn_allowed=False):
    """Parses every line of @out; checks each against SCHEMA; returns the
    objects. A last line without its newline fails unless @torn_allowed."""
    objects, bad, unknown = [], [], []
    complete = out == "" or out.endswith("\n")
    lines = out.split("\n")
    if complete:
        lines = lines[:-1]
    for i, line in enumerate(lines):
        if not complete and i == len(lines) - 1 and torn_allowed:
            break
        try:
            obj = json.loads(line)
        except ValueError as e:
            bad.append("line %d: %s: %r" % (i + 1, e, line[:200]))
            continue
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if kind not in SCHEMA:
            unknown.append(kind)
            continue
        members = dict(COMMON)
        members.update(SCHEMA[kind])
        bad += ["line %d (%s): %s" % (i + 1, kind, v) for v in violations(obj, members)]
        if kind == "message" and obj.get("level") not in LEVELS:
            bad.append("line %d: level %r" % (i + 1, obj.get("level")))
        if "error" in obj and isinstance(obj["error"], dict) and obj["error"].get("scope") not in SCOPES:
            bad.append("line %d: scope %r" % (i + 1, obj["error"].get("scope")))
        objects.append(obj)
    check(label + ": output ends with a whole line", complete or torn_allowed, repr(out[-200:]))
    check(label + ": every line is a JSON object of the documented schema", not bad, bad[:8])
    check(label + ": only documented kinds", not unknown, unknown)
    check(label + ": the first line is hello with schema 1",
          bool(objects) and objects[0]["kind"] == "hello" and objects[0]["schema"] == 1, objects[:1])
    return objects


def write_config(root, env, user, password, name=None):
    return mailsync_tap.write_imaps_config(root, name or user, env, user, password, home=user)


def run(config, *args):
    p = subprocess.run([MAILSYNC, "-c", config, "-o"] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def server_sizes(env, user, password, folder):
    conn = imaplib.IMAP4_SSL("localhost", int(env["DOVECOT_IMAPS_PORT"]),
                             ssl_context=__import__("ssl").create_default_context(cafile=env["DOVECOT_CA"]))
    conn.login(user, password)
    conn.select(folder, readonly=True)
    typ, data = conn.uid("FETCH", "1:*", "(RFC822.SIZE)")
    conn.logout()
    sizes = {}
    for item in data:
        m = re.search(rb"UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)", item or b"")
        if m:
            uid, size = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            sizes[int(uid)] = int(size)
    return sizes


def of_kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


def test_success(env, root, user, password):
    conf = write_config(root, env, user, password)
    rc, out, err = run(conf, "-u", "json")
    check("success: exit 0", rc == 0, (rc, err[-500:], out[-500:]))
    objs = parse_lines("success", out)
    check("success: nothing but JSON on stdout, nothing on stderr", err == "", err[-300:])
    check("success: end is the last line, status 0", objs and objs[-1]["kind"] == "end"
          and objs[-1]["status"] == 0 and objs[-1]["errors"] == 0, objs[-1:])
    copied = of_kind(objs, "message-copied")
    sizes = {}
    for folder in ("INBOX", "Sent"):
        for uid, size in server_sizes(env, user, password, folder).items():
            sizes[(folder, uid)] = size
    check("success: one message-copied per server message", len(copied) == len(sizes) == 5,
          (len(copied), len(sizes)))
    check("success: each copy's bytes are the server's RFC822.SIZE",
          all(sizes.get((o.get("folder"), o.get("uid"))) == o["bytes"] for o in copied),
          ([(o.get("folder"), o.get("uid"), o["bytes"]) for o in copied], sizes))
    planned = of_kind(objs, "folder-planned")
    check("success: each folder planned before its first copy, with its copies' bytes",
          sorted((o["folder"], o["n"], o["bytes"]) for o in planned)
          == sorted((f, sum(1 for k in sizes if k[0] == f), sum(v for k, v in sizes.items() if k[0] == f))
                    for f in ("INBOX", "Sent")), planned)
    first_copy = {}
    for i, o in enumerate(objs):
        if o["kind"] == "message-copied":
            first_copy.setdefault(o["folder"], i)
    check("success: folder-planned comes before the folder's copies",
          all(objs.index(p) < first_copy.get(p["folder"], len(objs)) for p in planned), first_copy)
    done = of_kind(objs, "account-finished")
    total = sum(sizes.values())
    acc = done[0]["progress"]["account"] if done else {}
    check("success: account-finished: every byte copied, done == total == sum of sizes",
          acc.get("bytes_done") == acc.get("bytes_total") == total and acc.get("messages_done") == 5, (acc, total))
    running = [o["progress"]["account"]["bytes_done"] for o in copied]
    check("success: the account's bytes_done grows with each copy",
          running == sorted(running) and running[-1:] == [total], running)
    # the account's totals up front (issue 10 item 5): one account-planned
    # before any folder's plan or copy, with what the folders then plan
    # and copy; every later event's account totals are those
    ahead = of_kind(objs, "account-planned")
    check("success: one account-planned, before the first folder-planned and the first copy",
          len(ahead) == 1 and objs.index(ahead[0]) < min([objs.index(o) for o in planned + copied] or [0]),
          [o["kind"] for o in objs][:12])
    up = ahead[0] if ahead else {}
    check("success: account-planned's messages and bytes are the sum of the folders' plans and the server's sizes",
          (up.get("n"), up.get("bytes")) == (sum(o["n"] for o in planned), sum(o["bytes"] for o in planned))
          == (len(sizes), total), (up, planned, total))
    check("success: account-planned's account totals are those, nothing done yet",
          up.get("progress", {}).get("account") == {"messages_done": 0, "messages_total": len(sizes),
                                                    "bytes_done": 0, "bytes_total": total}, up)
    check("success: every copy's account totals are the up-front ones",
          all((o["progress"]["account"]["messages_total"], o["progress"]["account"]["bytes_total"])
              == (len(sizes), total) for o in copied), [o["progress"]["account"] for o in copied])
    started = of_kind(objs, "folder-started")
    check("success: folder-started counts the folders (n of total)",
          [(o["n"], o["total"]) for o in started] == [(1, 2), (2, 2)], [(o["n"], o["total"]) for o in started])
    check("success: no password in the output", password not in out + err)
    return conf


def test_incremental(env, root, server, conf, user, password):
    """A resync after one new server message: the totals up front are that
    message, and the account's done reaches them."""
    before = server_sizes(env, user, password, "Sent")
    harness("fill", server, user, "Sent", "1", "--seed", "3", "--flags", "seen")
    new = {uid: size for uid, size in server_sizes(env, user, password, "Sent").items() if uid not in before}
    rc, out, err = run(conf, "-u", "json")
    objs = parse_lines("incremental", out)
    ahead = of_kind(objs, "account-planned")
    done = of_kind(objs, "account-finished")
    check("incremental: exit 0, one account-planned with the new message and its bytes",
          rc == 0 and len(new) == 1 and len(ahead) == 1
          and (ahead[0]["n"], ahead[0]["bytes"]) == (1, sum(new.values())), (rc, new, ahead, err[-300:]))
    acc = done[0]["progress"]["account"] if done else {}
    check("incremental: account-finished: done == total == the new message",
          (acc.get("messages_done"), acc.get("messages_total"), acc.get("bytes_done"), acc.get("bytes_total"))
          == (1, 1, sum(new.values()), sum(new.values())), acc)


def test_auth_failure(env, root, user, password):
    wrong = "Wrong-pw-Zz71q"
    conf = write_config(root, env, user, wrong, name="wrong")
    rc, out, err = run(conf, "-u", "json")
    check("auth failure: exit not 0", rc != 0, rc)
    objs = parse_lines("auth failure", out)
    errors = [o["error"] for o in objs if "error" in o]
    for e in errors:
        print("# auth failure error: %s" % json.dumps(e))
    check("auth failure: an error object with the domain and its code by name",
          any(e["domain"].startswith("mailsync-") and e["code"] == "authentication-failed" for e in errors), errors)
    check("auth failure: end has the exit status", objs and objs[-1]["kind"] == "end" and objs[-1]["status"] == rc,
          objs[-1:])
    # A configured password is never asked for again (session 23,
    # offlineimap's rule: check-cli-refused.py).
    asked = [(o["kind"], o.get("id"), o.get("reason")) for o in objs if o["kind"] in ("question", "unanswered")]
    check("auth failure: the refused configured password is not asked for (no question)", asked == [], asked)
    check("auth failure: neither password appears", wrong not in out + err and password not in out + err)


def test_folder_error(env, root, user, password, conf):
    conn = imaplib.IMAP4_SSL("localhost", int(env["DOVECOT_IMAPS_PORT"]),
                             ssl_context=__import__("ssl").create_default_context(cafile=env["DOVECOT_CA"]))
    conn.login(user, password)
    conn.create("new")
    conn.logout()
    rc, out, err = run(conf, "-u", "json")
    check("folder error: exit not 0", rc != 0, (rc, out[-500:]))
    objs = parse_lines("folder error", out)
    bad = [o for o in objs if o["kind"] == "error" and o.get("folder") == "new"]
    for o in bad:
        print("# folder error: %s" % json.dumps(o))
    check("folder error: an error object naming the folder, with domain, code, scope folder",
          bad and bad[0]["error"]["scope"] in ("folder", "message") and bad[0]["error"]["message"],
          bad or [o for o in objs if o["kind"] in ("error", "warning", "message", "account-finished")])
    check("folder error: the other folders still finished",
          any(o["kind"] == "folder-finished" and o.get("folder") == "INBOX" and "error" not in o for o in objs))
    check("folder error: end counts the error", objs and objs[-1]["kind"] == "end" and objs[-1]["errors"] >= 1,
          objs[-1:])


def test_kill(env, root, server, password):
    user = "uijk"
    harness("adduser", server, user, password)
    time.sleep(1.1)  # Dovecot re-reads its passwd-file on a new mtime
    harness("fill", server, user, "INBOX", "600", "--sizes", "realistic")
    conf = write_config(root, env, user, password)
    proc = subprocess.Popen([MAILSYNC, "-c", conf, "-o", "-u", "json"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # Read as it comes; kill once a few copies were reported (a condition,
    # not a time), while the download is surely under way.
    data = b""
    deadline = time.monotonic() + 120
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline and data.count(b'"kind":"message-copied"') < 20 and proc.poll() is None:
        chunk = proc.stdout.read()
        if chunk:
            data += chunk
        else:
            time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    os.set_blocking(proc.stdout.fileno(), True)
    data += proc.stdout.read()
    proc.stdout.close()
    copies = data.count(b'"kind":"message-copied"')
    check("kill -9: killed during the download", proc.returncode == -signal.SIGKILL and 20 <= copies < 600,
          (proc.returncode, copies))
    objs = parse_lines("kill -9", data.decode("utf-8"))
    check("kill -9: no end line", not of_kind(objs, "end"))


def converse(conf, answers):
    """Runs `mailsync -u json` and answers each "question" line with the next
    of @answers (a dict, written as one JSON line; None closes stdin). The
    exit status and the output; stops waiting after 120 s, not on time."""
    proc = subprocess.Popen([MAILSYNC, "-c", conf, "-o", "-u", "json"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    answers = list(answers)
    data = b""
    answered = 0
    deadline = time.monotonic() + 120
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline and proc.poll() is None:
        chunk = proc.stdout.read()
        if not chunk:
            time.sleep(0.02)
            continue
        data += chunk
        while data.count(b'"kind":"question"') > answered:
            answer = answers.pop(0) if answers else None
            if answer is None:
                proc.stdin.close()
            else:
                proc.stdin.write((json.dumps(answer) + "\n").encode())
                proc.stdin.flush()
            answered += 1
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    os.set_blocking(proc.stdout.fileno(), True)
    data += proc.stdout.read()
    err = proc.stderr.read().decode("utf-8", "replace")
    for f in (proc.stdout, proc.stderr):
        f.close()
    if not proc.stdin.closed:
        proc.stdin.close()
    return proc.returncode, data.decode("utf-8"), err


def test_password_question(env, root, user, password):
    conf = write_config(root, env, user, None, name="ask")

    # Asked when the account connects (after account-started and
    # connecting, as offlineimap's getpass follows acct and connecting);
    # answered, the sync runs.
    rc, out, err = converse(conf, [{"id": 1, "password": password}])
    objs = parse_lines("asked", out)
    questions = of_kind(objs, "question")
    check("asked: one question, for the password of the account's user",
          len(questions) == 1 and questions[0]["type"] == "password" and questions[0]["account"] == "Test"
          and questions[0]["user"] == user and questions[0]["id"] == 1, questions)
    order = [o["kind"] for o in objs if o["kind"] in ("account-started", "connecting", "question")]
    check("asked: the question follows account-started and connecting (offlineimap's acct, connecting, getpass)",
          order[:3] == ["account-started", "connecting", "question"], order)
    check("asked: the answer logs in, exit 0", rc == 0 and objs[-1:] and objs[-1]["kind"] == "end"
          and objs[-1]["status"] == 0, (rc, err[-300:], objs[-3:]))
    check("asked: the password is not in the output", password not in out + err)

    # A refused answer is asked again, after the refusal (a configured
    # password is not: test_auth_failure). The harness's Dovecot has no
    # auth penalty (auth_failure_delay = 0).
    wrong = "Wrong-typed-Qq3"
    rc, out, err = converse(conf, [{"id": 1, "password": wrong}, {"id": 2, "password": password}])
    objs = parse_lines("asked again", out)
    questions = of_kind(objs, "question")
    check("a refused answer is asked again (question 2), the right one syncs, exit 0",
          [q["id"] for q in questions] == [1, 2] and rc == 0, (rc, questions, err[-300:], objs[-3:]))
    check("asked again: neither password is in the output", wrong not in out + err and password not in out + err)

    rc, out, err = converse(conf, [None])
    objs = parse_lines("no answer", out)
    un = of_kind(objs, "unanswered")
    check("no answer (stdin at its end): unanswered, reason no-input, the sync fails",
          un and un[0]["reason"] == "no-input" and un[0]["id"] == 1 and rc != 0
          and objs[-1]["kind"] == "end" and objs[-1]["status"] == rc, (rc, un, objs[-3:]))
    # Asked when the account connects: the error is the account's, one
    # event's error object that names it and says which options give one.
    errs = [o for o in objs if "error" in o]
    check("no answer: the account's error says no password was given, and where to set one",
          any(o["error"].get("code") == "interaction-required" and o.get("account") == "Test"
              and "no password for %s@" % user in o["error"].get("message", "")
              and "remotepass" in o["error"].get("message", "") for o in errs), errs)

    rc, out, err = converse(conf, [{"id": 7, "password": password}])
    objs = parse_lines("stale answer", out)
    un = of_kind(objs, "unanswered")
    check("an answer to another question id is not taken: unanswered, reason invalid, the sync fails",
          un and un[0]["reason"] == "invalid" and rc != 0, (rc, un))

    rc, out, err = converse(conf, [{"id": 1, "cancel": True}])
    objs = parse_lines("cancelled", out)
    un = of_kind(objs, "unanswered")
    check("a cancel: unanswered, reason cancelled, the sync fails",
          un and un[0]["reason"] == "cancelled" and rc != 0, (rc, un))


def test_info(env, root, conf, password):
    rc, out, err = run(conf, "--info", "-u", "json")
    check("--info -u json: exit 0", rc == 0, (rc, err[-300:]))
    lines = out.splitlines()
    check("--info -u json: one line", len(lines) == 1 and out.endswith("\n"), [l[:200] for l in lines])
    try:
        doc = json.loads(lines[0]) if lines else None
    except ValueError as e:
        doc = None
        check("--info -u json: parses", False, e)
    bad = violations(doc, INFO) if doc is not None else ["no document"]
    check("--info -u json: the documented schema", not bad, bad[:8])
    if doc is None or bad:
        return
    check("--info -u json: kind info, schema 1", doc["kind"] == "info" and doc["schema"] == 1)
    repos = doc["accounts"][0].get("repositories", [])
    remote = [r for r in repos if r["role"] == "remote"]
    local = [r for r in repos if r["role"] == "local"]
    check("--info: remote IMAP repository with capabilities", remote and remote[0]["type"] == "IMAP"
          and "IMAP4REV1" in remote[0].get("capabilities", []), remote[:1])
    folders = {f["name"]: f for f in remote[0].get("folders", [])} if remote else {}
    inbox, sent = folders.get("INBOX", {}), folders.get("Sent", {})
    check("--info: INBOX with its counts (3 messages)", inbox.get("total") == 3 and inbox.get("unseen") == 0, inbox)
    check("--info: Sent's special use", sent.get("special_use") == "sent", sent)
    check("--info: last sync of a synced folder", isinstance(inbox.get("last_sync"), str)
          and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", inbox["last_sync"]), inbox.get("last_sync"))
    check("--info: the local Maildir repository and its folders", local and local[0]["type"] == "Maildir"
          and any(f["name"] == "INBOX" for f in local[0].get("folders", [])), local[:1])
    check("--info: no password", password not in out + err)


def main():
    if not os.access(MAILSYNC, os.X_OK) or shutil.which("dovecot") is None and not os.path.exists("/usr/sbin/dovecot"):
        print("1..0 # SKIP no mailsync binary or no Dovecot")
        return 0
    root = tempfile.mkdtemp(prefix="mailsync-json-")
    os.chmod(root, 0o755)  # Dovecot's mail processes run as another user
    server = os.path.join(root, "dovecot")
    try:
        harness("start", server, "--lifetime", "900")
        env = mailsync_tap.parse_env(harness("env", server))
        password = "Pw-jsQ83x"
        user = "uijs"
        harness("adduser", server, user, password)
        time.sleep(1.1)  # Dovecot re-reads its passwd-file on a new mtime
        harness("fill", server, user, "INBOX", "3", "--seed", "1", "--flags", "seen")
        harness("fill", server, user, "Sent", "2", "--seed", "2", "--flags", "seen")
        conf = test_success(env, root, user, password)
        test_incremental(env, root, server, conf, user, password)
        test_info(env, root, conf, password)
        # before the failed logins: Dovecot delays the logins after them
        test_password_question(env, root, user, password)
        test_auth_failure(env, root, user, password)
        test_folder_error(env, root, user, password, conf)
        test_kill(env, root, server, password)
    finally:
        subprocess.run([mailsync_tap.HARNESS, "stop", server], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
    return TAP.finish()


if __name__ == "__main__":
    raise SystemExit(main())
