"""What bindings/python/test-ownership.py (values the library hands to
Python, C -> Python) and test-ownership-backend.py (a backend and a status
store written in Python, driven by the C engine: Python -> C) share: the
TAP check() and its count, collect(), messages and Maildir helpers, the
main-loop waits (run_async(), run_until()) and main().
test-maildir-sync.py takes its Maildir helpers (make_maildir(),
maildir_names()) from here too.

Importing it needs PyGObject and the Mailsync typelib; without them it
prints a TAP skip plan and exits (status 0).
"""

import gc
import os
import sys
import tempfile
import time
import traceback

try:
    import gi
    gi.require_version('Mailsync', '1.0')
    from gi.repository import Mailsync, GLib
except (ImportError, ValueError) as e:
    print('1..0 # SKIP no PyGObject or no Mailsync typelib: %s' % e)
    sys.exit(0)

Kind = Mailsync.SyncEventKind
Flags = Mailsync.Flags

N = 0
FAILED = []


def check(label, ok, detail=''):
    global N
    N += 1
    print('%s %d - %s%s' % ('ok' if ok else 'not ok', N, label,
                           '' if ok else ': ' + str(detail)[:600]))
    sys.stdout.flush()
    if not ok:
        FAILED.append(label)
    return ok


def collect():
    for _ in range(2):
        gc.collect()


def message(i, tag='m'):
    return ('From: alice@example.org\r\n'
            'To: bob@example.org\r\n'
            'Subject: %s %d\r\n'
            'Message-ID: <%s.%d@example.org>\r\n'
            'Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n'
            '\r\n'
            'Body %d.\r\n' % (tag, i, tag, i, i)).encode()


def make_maildir(path):
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(path, sub), exist_ok=True)


def deliver(folder, name, content):
    with open(os.path.join(folder, 'new', name), 'wb') as f:
        f.write(content)


def maildir_names(folder):
    names = []
    for sub in ('new', 'cur'):
        d = os.path.join(folder, sub)
        if os.path.isdir(d):
            names += [n for n in os.listdir(d) if not n.startswith('.')]
    return sorted(names)


def lf(data):
    return data.replace(b'\r\n', b'\n')


def find_local(folder, content):
    """The path of the message of a Maildir folder with this content."""
    for sub in ('new', 'cur'):
        for n in os.listdir(os.path.join(folder, sub)):
            with open(os.path.join(folder, sub, n), 'rb') as f:
                if lf(f.read()) == lf(content):
                    return os.path.join(folder, sub, n)
    raise LookupError('no such message in %s' % folder)


def read_stream(stream):
    data = b''
    while True:
        chunk = stream.read_bytes(65536, None).get_data()
        if not chunk:
            return data
        data += chunk


def run_async(start, finish):
    """start(callback) begins an async call; returns finish(result) once
    the callback ran (in a main loop of this thread's default context).
    A test drops a name that its @start lambdas read with `name = None`,
    not `del name`: pyflakes checks a lambda's body at the end of its
    function, after the del, and would call the name undefined."""
    loop = GLib.MainLoop()
    out = {}

    def done(source, result, *unused):
        try:
            out['value'] = finish(result)
        except Exception as e:   # noqa: BLE001 - reported by the caller
            out['error'] = e
        loop.quit()

    start(done)
    loop.run()
    if 'error' in out:
        raise out['error']
    return out['value']



def run_until(cond, seconds=60):
    """Iterates this thread's default context until cond() or the deadline."""
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + seconds
    timer = GLib.timeout_add_seconds(1, lambda: True)
    while not cond() and time.monotonic() < deadline:
        ctx.iteration(True)
    GLib.source_remove(timer)
    return cond()



def main(script, parts):
    """Runs each (name, fn(top)) of @parts in a temporary directory @top;
    a part that raises is one failed check.  Prints the line that
    bindings/check-python-memcheck.sh looks for (a crash never prints it)
    and, unless MAILSYNC_TAP_PLAN=0 (the wrapper prints its own plan), the
    plan.  Returns the exit status."""
    with tempfile.TemporaryDirectory(prefix='mailsync-own-') as top:
        for name, fn in parts:
            try:
                fn(top)
            except Exception:   # noqa: BLE001 - a crash of one part is one failed check
                check('%s: ran to the end' % name, False, traceback.format_exc())
            collect()
    print('# %s: done' % script)
    if os.environ.get('MAILSYNC_TAP_PLAN', '1') == '1':
        print('1..%d' % N)
    return 1 if FAILED else 0
