#!/usr/bin/env python3
"""Ownership across the Python binding: every public function that returns
an array, a boxed type or a GObject, called from Python, and a backend
written in Python (a MailsyncRepository and MailsyncFolder subclass with
the async vfuncs, and a MailsyncStatusStore) driven by the C sync engine.

The checks below look at values; the memory errors themselves (a
container whose free function drops references the binding took for
itself, elements the binding frees while the engine still reads them)
are what bindings/check-python-memcheck.sh runs this under valgrind for.
Objects are dropped and gc.collect() called between a call and the use
of what it returned, so that a wrong (transfer) frees memory the test
then reads.

Prints TAP (no plan: the wrapper adds its own check and the plan).
Needs GI_TYPELIB_PATH/LD_LIBRARY_PATH at the build tree (make check).
"""

import gc
import os
import sys
import tempfile
import threading
import time
import traceback

try:
    import gi
    gi.require_version('Mailsync', '1.0')
    from gi.repository import Mailsync, Gio, GLib, GObject
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


# ---- a backend in Python ----------------------------------------------------

def async_vfunc(fn):
    """An exception in an async vfunc would leave the engine waiting for a
    callback forever: it fails the task instead."""
    def wrapper(self, *args):
        try:
            return fn(self, *args)
        except Exception as e:   # noqa: BLE001 - becomes the task's error
            traceback.print_exc()
            callback = [a for a in args if callable(a)][-1]
            self.tasks.complete(self, None, callback,
                                error=GLib.Error('%s: %s' % (fn.__name__, e), 'mailsync-error-quark', 0))
    wrapper.__name__ = fn.__name__
    return wrapper


class Tasks:
    """Results ride next to a GTask that only says "done": a Python async
    vfunc cannot give the task a pointer, so the finish vfunc looks the
    result up here."""

    def __init__(self):
        self.results = {}
        self.lock = threading.Lock()

    def complete(self, source, cancellable, callback, value=None, error=None):
        # The engine's callback arrives with its user_data bound: the task
        # calls it with (source, result).
        task = Gio.Task.new(source, cancellable,
                            (lambda s, r, d: callback(s, r)) if callback else None, None)
        with self.lock:
            self.results[task] = value
        if error is not None:
            task.return_error(error)
        else:
            task.return_boolean(True)

    def take(self, result):
        with self.lock:
            value = self.results.pop(result, None)
        result.propagate_boolean()   # raises the task's error
        return value


class PyFolder(Mailsync.Folder):
    """An in-memory IMAP-like folder: the backend assigns UIDs."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.tasks = Tasks()
        self.messages = {}        # uid -> [bytes, Flags]
        self.keywords = {}        # uid -> set of keywords
        self.next_uid = 1
        self.calls = []

    def add(self, content, flags=Flags.NONE):
        uid = self.next_uid
        self.next_uid += 1
        self.messages[uid] = [content, flags]
        return uid

    def do_get_uidvalidity(self):
        return 42

    @async_vfunc
    def do_list_messages_async(self, cancellable, callback, user_data):
        self.calls.append('list')
        self.tasks.complete(self, cancellable, callback)

    def do_list_messages_finish(self, result):
        self.tasks.take(result)
        # Fresh infos that only this list holds: with (transfer container)
        # they died when the list did, before the engine read them.
        return [Mailsync.MessageInfo.new(uid, None, m[1], sorted(self.keywords.get(uid, ())), len(m[0]),
                                         1704103200)
                for uid, m in sorted(self.messages.items())]

    @async_vfunc
    def do_fetch_message_async(self, info, cancellable, callback, user_data):
        m = self.messages.get(info.get_uid())
        if m is None:
            self.tasks.complete(self, cancellable, callback,
                                error=GLib.Error('no message %d' % info.get_uid(),
                                                 'mailsync-error-quark', 0))
            return
        self.tasks.complete(self, cancellable, callback,
                            Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(m[0])))

    def do_fetch_message_finish(self, result):
        return self.tasks.take(result)

    @async_vfunc
    def do_append_message_async(self, info, content, cancellable, callback, user_data):
        self.calls.append('append')
        data = read_stream(content)
        uid = self.add(data, info.get_flags())
        self.tasks.complete(self, cancellable, callback,
                            Mailsync.MessageInfo.new(uid, None, info.get_flags(), None,
                                                     len(data), info.get_internal_date()))

    def do_append_message_finish(self, result):
        return self.tasks.take(result)

    # PyGObject 3.42 passes a vfunc's array length too (n_uids): take the
    # arguments after the UIDs from the end.
    @async_vfunc
    def do_set_flags_async(self, uids, *args):
        add, remove, cancellable, callback, user_data = args[-5:]
        self.calls.append('flags')
        for uid in uids:
            if uid in self.messages:
                self.messages[uid][1] = Flags((int(self.messages[uid][1]) | int(add)) & ~int(remove))
        self.tasks.complete(self, cancellable, callback)

    def do_set_flags_finish(self, result):
        self.tasks.take(result)
        return True

    @async_vfunc
    def do_delete_messages_async(self, uids, *args):
        cancellable, callback, user_data = args[-3:]
        self.calls.append('delete %s' % sorted(uids))
        for uid in uids:
            self.messages.pop(uid, None)
        self.tasks.complete(self, cancellable, callback)

    def do_delete_messages_finish(self, result):
        self.tasks.take(result)
        return True

    @async_vfunc
    def do_set_message_uid_async(self, info, uid, cancellable, callback, user_data):
        self.tasks.complete(self, cancellable, callback,
                            error=GLib.Error('UIDs are the server\'s', 'mailsync-error-quark', 0))

    def do_set_message_uid_finish(self, result):
        return self.tasks.take(result)

    # The new UIDs come back through out parameters (a C array with its
    # length): the finish vfunc returns (True, [uid, ...]), and PyGObject
    # 3.42, which hands a vfunc the in-array's length (n_uids here), wants
    # the out-array's length as well: (True, [uid, ...], n).
    @async_vfunc
    def do_transfer_messages_async(self, uids, *args):
        destination, delete_originals, cancellable, callback, user_data = args[-5:]
        self.lengths_are_arguments = len(args) > 5
        self.calls.append('%s %s' % ('move' if delete_originals else 'copy', sorted(uids)))
        new_uids = []
        for uid in uids:
            content, flags = self.messages[uid]
            new_uids.append(destination.add(content, flags))
            if delete_originals:
                del self.messages[uid]
        self.tasks.complete(self, cancellable, callback, new_uids)

    def do_transfer_messages_finish(self, result):
        new_uids = self.tasks.take(result)
        if self.lengths_are_arguments:
            return True, new_uids, len(new_uids)
        return True, new_uids

    # The optional members a backend outside the library implements to
    # take part in keyword sync and move detection (issue 14 item 3):
    # keywords and Message-IDs, no labels, no change stamp.
    def do_get_capabilities(self):
        return Mailsync.FolderCapabilities.KEYWORDS | Mailsync.FolderCapabilities.MESSAGE_IDS

    def do_can_store_keyword(self, keyword):
        return keyword != '$Refused'

    @async_vfunc
    def do_set_keywords_async(self, uids, *args):
        add, remove, cancellable, callback, user_data = args[-5:]
        add, remove = list(add or []), list(remove or [])
        self.calls.append('keywords %s +%s -%s' % (sorted(uids), add, remove))
        for uid in uids:
            if uid in self.messages:
                words = self.keywords.setdefault(uid, set())
                words |= {k for k in add if k != '$Refused'}
                words -= set(remove)
        self.tasks.complete(self, cancellable, callback, [k for k in add if k == '$Refused'])

    def do_set_keywords_finish(self, result):
        return True, self.tasks.take(result)

    @async_vfunc
    def do_fetch_message_ids_async(self, uids, *args):
        cancellable, callback, user_data = args[-3:]
        ids = {}
        for uid in uids:
            for line in self.messages.get(uid, [b''])[0].split(b'\r\n'):
                if line.lower().startswith(b'message-id:'):
                    ids[uid] = line[11:].strip().decode()
        self.tasks.complete(self, cancellable, callback, ids)

    def do_fetch_message_ids_finish(self, result):
        # fresh strings only this dict holds: with (transfer container)
        # they died with it, before the engine read them
        return {uid: ''.join(list(v)) for uid, v in self.tasks.take(result).items()}

    @async_vfunc
    def do_flush_async(self, cancellable, callback, user_data):
        self.tasks.complete(self, cancellable, callback)

    def do_flush_finish(self, result):
        self.tasks.take(result)
        return True


class PyRepository(Mailsync.Repository):

    def __init__(self, **kw):
        super().__init__(**kw)
        self.tasks = Tasks()
        self.folders = {}

    def add_folder(self, name):
        folder = self.folders.get(name)
        if folder is None:
            folder = self.folders[name] = PyFolder(name=name, repository=self)
        return folder

    def break_cycles(self):
        self.folders.clear()

    def _done(self, cancellable, callback, value=None):
        self.tasks.complete(self, cancellable, callback, value)

    @async_vfunc
    def do_open_async(self, cancellable, callback, user_data):
        self._done(cancellable, callback)

    def do_open_finish(self, result):
        self.tasks.take(result)
        return True

    @async_vfunc
    def do_close_async(self, cancellable, callback, user_data):
        self._done(cancellable, callback)

    def do_close_finish(self, result):
        self.tasks.take(result)
        return True

    @async_vfunc
    def do_list_folders_async(self, cancellable, callback, user_data):
        self._done(cancellable, callback)

    def do_list_folders_finish(self, result):
        self.tasks.take(result)
        return list(self.folders.values())

    @async_vfunc
    def do_create_folder_async(self, name, cancellable, callback, user_data):
        self._done(cancellable, callback, self.add_folder(name))

    def do_create_folder_finish(self, result):
        return self.tasks.take(result)

    @async_vfunc
    def do_delete_folder_async(self, name, cancellable, callback, user_data):
        self.folders.pop(name, None)
        self._done(cancellable, callback)

    def do_delete_folder_finish(self, result):
        self.tasks.take(result)
        return True

    # The generic description and statistics (issue 14): chains up for the
    # base keys, adds its own; a GVariant and a boxed type cross to C.
    def do_describe(self):
        parent = Mailsync.Repository.do_describe(self)
        entries = {key: parent.lookup_value(key, None) for key in parent.keys()}
        entries['location'] = GLib.Variant('s', 'memory:' + self.get_name())
        return GLib.Variant('a{sv}', entries)

    def do_get_statistics(self):
        stats = Mailsync.RepositoryStatistics.new()
        stats.set_commands_sent(len(self.folders))
        stats.set_bytes_received(1000)
        stats.set_bytes_sent(10)
        return stats


class PyStatusStore(GObject.Object, Mailsync.StatusStore):
    """A status store in Python: load() hands the engine a records array
    and a meta table that the binding built (no free function, no destroy
    functions)."""

    def __init__(self):
        super().__init__()
        self.folders = {}   # name -> ({uid: (flags, mtime, labels)}, {key: value})
        self.loads = 0
        self.lock = threading.Lock()

    def do_load(self, folder, cancellable):
        with self.lock:
            self.loads += 1
            records, meta = self.folders.get(folder, ({}, {}))
            return (True,
                    [Mailsync.StatusRecord.new(uid, *rest) for uid, rest in sorted(records.items())],
                    dict(meta))

    def do_commit(self, folder, batch, cancellable):
        with self.lock:
            records, meta = self.folders.setdefault(folder, ({}, {}))
            for i in range(batch.get_length()):
                kind, record, uid, key, value = batch.get_op(i)
                if kind == Mailsync.StatusOpKind.PUT:
                    records[record.uid] = (record.flags, record.mtime, record.labels)
                elif kind == Mailsync.StatusOpKind.REMOVE:
                    records.pop(uid, None)
                elif value is None:
                    meta.pop(key, None)
                else:
                    meta[key] = value
        return True

    def do_purge(self, folder, cancellable):
        with self.lock:
            self.folders.pop(folder, None)
        return True

    def do_get_path(self, folder):
        return 'python:' + folder


# ---- C -> Python ------------------------------------------------------------

def test_maildir_containers(top):
    root = os.path.join(top, 'md')
    inbox_dir = os.path.join(root, 'INBOX')
    make_maildir(inbox_dir)
    make_maildir(os.path.join(root, 'INBOX.Work'))
    repo = Mailsync.MaildirRepository.new('Local', root, ord('.'))

    folders = repo.list_folders(None)
    names = sorted(f.get_name() for f in folders)
    check('Repository.list_folders gives Folder objects',
          names == ['INBOX', 'INBOX.Work'] and all(isinstance(f, Mailsync.Folder) for f in folders), names)
    del folders
    collect()
    folders = run_async(lambda cb: repo.list_folders_async(None, cb),
                        repo.list_folders_finish)
    inbox = [f for f in folders if f.get_name() == 'INBOX'][0]
    del folders
    collect()
    check('Repository.list_folders_finish: a folder outlives the list',
          inbox.get_name() == 'INBOX' and inbox.get_repository() is repo)

    # A local Maildir stores a message under the UID of the info it is given.
    for i in range(4):
        info = Mailsync.MessageInfo.new(i + 1, None, Flags.SEEN if i % 2 else Flags.NONE, None, 0,
                                        1704103200 + i)
        stored = inbox.append_message(info, Gio.MemoryInputStream.new_from_bytes(
            GLib.Bytes.new(message(i))), None)
        check('Folder.append_message gives the stored message (%d)' % (i + 1),
              stored.get_uid() == i + 1, stored.get_uid())
        del info, stored
    collect()

    infos = inbox.list_messages(None)
    uids = sorted(i.get_uid() for i in infos)
    keep = infos[0]
    del infos
    collect()
    check('Folder.list_messages: MessageInfo objects that outlive the list',
          uids == [1, 2, 3, 4] and keep.get_uid() in uids and keep.get_size() > 0, uids)
    infos = run_async(lambda cb: inbox.list_messages_async(None, cb), inbox.list_messages_finish)
    check('Folder.list_messages_finish', sorted(i.get_uid() for i in infos) == [1, 2, 3, 4])
    first = sorted(infos, key=lambda i: i.get_uid())[0]
    del infos
    collect()

    stream = inbox.fetch_message(first, None)
    content = read_stream(stream)
    check('Folder.fetch_message gives the content', lf(content) == lf(message(0)), content)
    del stream
    stream = run_async(lambda cb: inbox.fetch_message_async(first, None, cb), inbox.fetch_message_finish)
    check('Folder.fetch_message_finish', lf(read_stream(stream)) == lf(message(0)))
    del stream

    new = Mailsync.MessageInfo.new(9, None, Flags.SEEN | Flags.FLAGGED, ['$label1', 'work'], 0, 1704103200)
    kw = new.get_keywords()
    collect()
    check('MessageInfo.get_keywords', list(kw) == ['$label1', 'work'], kw)
    stored = inbox.append_message(new, Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(message(9))), None)
    del new
    collect()
    check('Folder.append_message with flags and keywords',
          stored.get_uid() == 9 and stored.get_flags() == Flags.SEEN | Flags.FLAGGED, stored.get_uid())
    new = Mailsync.MessageInfo.new(10, None, Flags.NONE, None, 0, 1704103200)
    stored = run_async(lambda cb: inbox.append_message_async(
        new, Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(message(10))), None, cb),
        inbox.append_message_finish)
    check('Folder.append_message_finish', stored.get_uid() == 10)

    # A message without a UID (new local mail) gets one.
    deliver(inbox_dir, '1700000099.M99P1.host', message(99))
    nouid = [i for i in inbox.list_messages(None) if i.get_uid() == 0]
    check('a new local message is listed with uid 0 and a key',
          len(nouid) == 1 and nouid[0].get_key(), [i.get_key() for i in nouid])
    if nouid:
        renamed = inbox.set_message_uid(nouid[0], 77, None)
        del nouid
        collect()
        check('Folder.set_message_uid', renamed.get_uid() == 77 and
              any(',U=77' in n for n in maildir_names(inbox_dir)), maildir_names(inbox_dir))
    deliver(inbox_dir, '1700000098.M98P1.host', message(98))
    nouid = [i for i in inbox.list_messages(None) if i.get_uid() == 0]
    if nouid:
        renamed = run_async(lambda cb: inbox.set_message_uid_async(nouid[0], 78, None, cb),
                            inbox.set_message_uid_finish)
        del nouid
        collect()
        check('Folder.set_message_uid_finish', renamed.get_uid() == 78 and
              any(',U=78' in n for n in maildir_names(inbox_dir)), maildir_names(inbox_dir))
    else:
        check('Folder.set_message_uid_finish: a second new message is listed with uid 0', False)

    created = repo.create_folder('INBOX.New', None)
    check('Repository.create_folder', created.get_name() == 'INBOX.New' and
          os.path.isdir(os.path.join(root, 'INBOX.New', 'cur')))
    created = run_async(lambda cb: repo.create_folder_async('INBOX.Newer', None, cb),
                        repo.create_folder_finish)
    check('Repository.create_folder_finish', created.get_name() == 'INBOX.Newer')
    check('MaildirRepository.get_root', repo.get_root() == root)
    desc = repo.describe()
    check('Repository.describe: a Maildir\'s kind, name, separator, root, location',
          desc.get_type_string() == 'a{sv}' and desc.unpack() == {
              'kind': 'Maildir', 'name': 'Local', 'separator': '.', 'root': root, 'location': root}, desc)
    check('Repository.get_statistics: none for a Maildir', repo.get_statistics() is None)
    del desc

    # Copy and move give the new UIDs as an array of guint32 (0: the
    # Maildir destination has none for them yet).
    copied = inbox.copy_messages([1], created, None)
    check('Folder.copy_messages', list(copied) == [0], copied)
    copied = run_async(lambda cb: inbox.copy_messages_async([2], created, None, cb), inbox.copy_messages_finish)
    check('Folder.copy_messages_finish', list(copied) == [0], copied)
    moved = inbox.move_messages([3], created, None)
    check('Folder.move_messages', list(moved) == [0] and
          3 not in [i.get_uid() for i in inbox.list_messages(None)], moved)
    moved = run_async(lambda cb: inbox.move_messages_async([4], created, None, cb), inbox.move_messages_finish)
    check('Folder.move_messages_finish', list(moved) == [0] and len(created.list_messages(None)) == 4, moved)
    del copied, moved
    collect()

    mapped_dir = os.path.join(top, 'map')
    os.makedirs(mapped_dir)
    mapped = Mailsync.MappedRepository.new(repo, mapped_dir)
    inner = mapped.get_inner()
    repo = None
    collect()
    check('MappedRepository.get_inner', inner.get_root() == root)
    mapped_folders = mapped.list_folders(None)
    check('MappedRepository.list_folders', 'INBOX' in [f.get_name() for f in mapped_folders])
    desc = mapped.describe().unpack()
    check('mapped Repository.describe: the inner\'s kind, the inner\'s description, the map directory',
          desc.get('kind') == 'Maildir' and desc.get('inner', {}).get('root') == root
          and desc.get('uid-map-directory') == mapped_dir and 'root' not in desc, desc)
    check('mapped Repository.get_statistics: the inner\'s (none)', mapped.get_statistics() is None)
    del desc
    minbox = [f for f in mapped_folders if f.get_name() == 'INBOX'][0]
    del mapped_folders
    collect()
    mlist = minbox.list_messages(None)
    # eight, less the two moved to INBOX.New above
    check('mapped Folder.list_messages', len(mlist) == 6, len(mlist))


def test_status_load(top, new, label):
    d = os.path.join(top, 'status-' + label)
    os.makedirs(d)
    store = new(d)
    batch = Mailsync.StatusBatch.new()
    for uid in (3, 1, 2):
        batch.put(uid, 'S' if uid != 2 else 'FS', 0, '')
    batch.set_meta('uidvalidity', '42')
    batch.set_meta('note', 'ünïcode')
    same = batch.ref()
    kind, record, uid, key, value = same.get_op(0)
    check('%s: StatusBatch.get_op gives a copy of the record' % label,
          kind == Mailsync.StatusOpKind.PUT and record.uid == 3 and record.flags == 'S',
          (kind, record and record.uid))
    del same
    check('%s: commit' % label, store.commit('INBOX', batch, None))
    del batch
    collect()
    for attempt in range(3):
        ok, records, meta = store.load('INBOX', None)
        copy = records[0].copy()
        del records[1:]
        collect()
    got = sorted((r.uid, r.flags) for r in store.load('INBOX', None)[1])
    check('%s: StatusStore.load records' % label,
          got == [(1, 'S'), (2, 'FS'), (3, 'S')], got)
    check('%s: StatusStore.load meta' % label,
          meta.get('uidvalidity') == '42' and meta.get('note') == 'ünïcode', meta)
    check('%s: a loaded record outlives its list' % label,
          records[0].uid in (1, 2, 3) and copy.uid == records[0].uid)
    ok, records, meta = store.load('Never', None)
    check('%s: a folder never synced loads empty' % label, ok and records == [] and meta == {})
    path = store.get_path('INBOX')
    check('%s: get_path' % label, isinstance(path, str) and path.startswith(d), path)


def test_boxed_records():
    r = Mailsync.StatusRecord.new(5, 'RS', 123, 'a, b')
    c = r.copy()
    del r
    collect()
    check('StatusRecord.new/copy', (c.uid, c.flags, c.mtime, c.labels) == (5, 'RS', 123, 'a, b'))


def test_config(top):
    cf = Mailsync.ConfigFile.new()
    text = ('[general]\naccounts = Main\nmetadata = %s\n'
            '[Account Main]\nlocalrepository = L\nremoterepository = R\n'
            '[Repository L]\ntype = Maildir\nlocalfolders = %s\n'
            '[Repository R]\ntype = Maildir\nlocalfolders = %s\n'
            'idlefolders = [\'INBOX\', \'Sent\']\n'
            % (os.path.join(top, 'cfg-meta'), os.path.join(top, 'cfg-l'), os.path.join(top, 'cfg-r')))
    for d in ('cfg-l', 'cfg-r'):
        make_maildir(os.path.join(top, d, 'INBOX'))
    data = text.encode()
    check('ConfigFile.load_from_data', cf.load_from_data(data, 'test.rc'))
    check('ConfigFile.get_sections', list(cf.get_sections()) ==
          ['general', 'Account Main', 'Repository L', 'Repository R'], cf.get_sections())
    check('ConfigFile.get_keys', 'localfolders' in cf.get_keys('Repository L'))
    check('ConfigFile.get_list', list(cf.get_list('general', 'accounts')) == ['Main'])
    config = Mailsync.Config.new(cf)
    del cf
    collect()
    check('Config.get_file', config.get_file().get_string('general', 'accounts') == 'Main')
    check('Config.get_account_names', list(config.get_account_names()) == ['Main'])
    check('Config.get_all_account_names', list(config.get_all_account_names()) == ['Main'])
    check('Config.get_warnings', isinstance(config.get_warnings(), list))
    check('Config.eval_list (a literal list)',
          list(config.eval_list('Repository R', 'idlefolders')) == ['INBOX', 'Sent'])
    account = config.create_account('Main', None)
    del config
    collect()
    check('Config.create_account', account.get_name() == 'Main' and
          isinstance(account.get_local(), Mailsync.MaildirRepository))


def test_misc():
    imap = Mailsync.ImapRepository.new('R', '127.0.0.1', 1)
    check('ImapRepository.new / get_capabilities before a connection',
          isinstance(imap, Mailsync.ImapRepository) and not imap.get_capabilities())
    check('ImapRepository.get_stats', tuple(imap.get_stats()) == (0, 0, 0), imap.get_stats())
    default_max = imap.props.max_connections
    imap.props.max_connections = 2
    check('ImapRepository:max-connections (1 by default, settable)',
          default_max == 1 and imap.props.max_connections == 2, (default_max, imap.props.max_connections))
    default_cache = imap.props.capability_cache
    imap.props.capability_cache = '/tmp/nowhere/mailsync-capabilities'
    check('ImapRepository:capability-cache (none by default, settable)',
          default_cache is None and imap.props.capability_cache == '/tmp/nowhere/mailsync-capabilities',
          (default_cache, imap.props.capability_cache))
    desc = imap.describe().unpack()
    check('Repository.describe: an IMAP repository before a connection (where, no greeting yet)',
          desc.get('kind') == 'IMAP' and desc.get('host') == '127.0.0.1' and desc.get('port') == 1
          and desc.get('location') == '127.0.0.1:1' and desc.get('ssl') is not None
          and 'greeting' not in desc and 'capabilities' not in desc, desc)
    stats = imap.get_statistics()
    check('Repository.get_statistics: an IMAP repository counts from 0',
          (stats.get_bytes_received(), stats.get_bytes_sent(), stats.get_commands_sent()) == (0, 0, 0))
    stats = Mailsync.RepositoryStatistics.new()
    stats.set_bytes_received(1 << 40)
    stats.set_bytes_sent(7)
    stats.set_commands_sent(3)
    copy = stats.copy()
    del stats
    collect()
    check('RepositoryStatistics.new / copy / setters and getters (64-bit counts)',
          (copy.get_bytes_received(), copy.get_bytes_sent(), copy.get_commands_sent()) == (1 << 40, 7, 3))
    del copy
    check('flags_to_maildir', Mailsync.flags_to_maildir(Flags.SEEN | Flags.FLAGGED) == 'FS')
    check('status_folder_file_name', Mailsync.status_folder_file_name('a/b') != '')


class PyInteraction(Mailsync.Interaction):
    """Answers every question; the strings cross C with their owners."""

    def do_ask_password(self, repository, user, host, previous_error, cancellable):
        return Mailsync.InteractionResult.HANDLED, 'pw-%s-%s' % (repository, previous_error.message
                                                                 if previous_error else 'first')

    def do_accept_certificate(self, repository, host, pem, errors, cancellable):
        return Mailsync.InteractionResult.HANDLED, pem.startswith('-----BEGIN') and host == 'h'


def test_interaction():
    # PyGObject does not pass None for a (nullable) GError argument: the
    # calls from Python give one (the library's own calls may pass NULL).
    refused = GLib.Error.new_literal(Mailsync.error_quark(), 'refused', Mailsync.Error.AUTHENTICATION_FAILED)
    base = Mailsync.Interaction.new()
    check('Interaction.new answers nothing',
          tuple(base.ask_oauth2_token('R', None, None, refused, None)) ==
          (Mailsync.InteractionResult.UNHANDLED, None))
    imap = Mailsync.ImapRepository.new('R', '127.0.0.1', 1)
    imap.set_interaction(PyInteraction())
    collect()
    mine = imap.dup_interaction()
    check('Repository.dup_interaction: the Python object outlives its last Python name',
          isinstance(mine, PyInteraction))
    check('Interaction.ask_password through a Python vfunc (out string)',
          tuple(mine.ask_password('R', 'u', 'h', refused, None)) ==
          (Mailsync.InteractionResult.HANDLED, 'pw-R-refused'))
    check('Interaction.accept_certificate through a Python vfunc',
          tuple(mine.accept_certificate('R', 'h', '-----BEGIN CERTIFICATE-----\n', 0, None)) ==
          (Mailsync.InteractionResult.HANDLED, True))
    answer = run_async(lambda cb: mine.ask_password_async('R', 'u', 'h', refused, None, cb),
                       lambda r: mine.ask_password_finish(r))
    check('Interaction.ask_password_async / ask_password_finish',
          tuple(answer) == (Mailsync.InteractionResult.HANDLED, 'pw-R-refused'), answer)
    imap.set_interaction(None)
    check('Repository.dup_interaction after unsetting it', imap.dup_interaction() is None)
    del imap
    mine = None
    collect()



def test_interaction_ask():
    """The "ask" signal (no subclass): each Question getter crosses C with
    its owner; the handler keeps the Question and answers it later, from
    an idle, as a client answers when its user does."""
    refused = GLib.Error.new_literal(Mailsync.error_quark(), 'refused', Mailsync.Error.AUTHENTICATION_FAILED)
    pem_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'data', 'tls', 'ca.pem')
    try:
        with open(pem_path) as f:
            pem = f.read()
    except OSError:
        pem = '-----BEGIN CERTIFICATE-----\n'
    asker = Mailsync.Interaction.new()
    seen = []
    kept = []

    def answer_later():
        question = kept.pop()
        if question.get_kind() == Mailsync.QuestionKind.CERTIFICATE:
            question.accept()
        else:
            question.answer_password('later')
        return GLib.SOURCE_REMOVE

    def on_ask(interaction, question):
        previous = question.get_previous_error()
        seen.append((question.get_kind(), question.get_repository(), question.get_user(), question.get_host(),
                     previous.message if previous is not None else None, question.get_certificate_pem(),
                     question.get_certificate(), question.get_certificate_errors(),
                     question.get_cancellable()))
        kept.append(question)
        GLib.idle_add(answer_later)

    handler = asker.connect('ask', on_ask)
    cancellable = Gio.Cancellable()
    answer = run_async(lambda cb: asker.ask_password_async('R', 'u', 'h', refused, cancellable, cb),
                       lambda r: asker.ask_password_finish(r))
    check('Interaction::ask: a password answered later through the Question',
          tuple(answer) == (Mailsync.InteractionResult.HANDLED, 'later'), answer)
    check('Question getters of a password question',
          len(seen) == 1 and seen[0][:5] == (Mailsync.QuestionKind.NEW_PASSWORD, 'R', 'u', 'h', 'refused')
          and isinstance(seen[0][8], Gio.Cancellable), seen)
    answer = run_async(lambda cb: asker.accept_certificate_async('R', 'h', pem, Gio.TlsCertificateFlags.UNKNOWN_CA,
                                                                  None, cb),
                       lambda r: asker.accept_certificate_finish(r))
    check('Interaction::ask: a certificate accepted later through the Question',
          tuple(answer) == (Mailsync.InteractionResult.HANDLED, True), answer)
    check('Question getters of a certificate question',
          len(seen) == 2 and seen[1][0] == Mailsync.QuestionKind.CERTIFICATE and seen[1][5] == pem
          and seen[1][7] == Gio.TlsCertificateFlags.UNKNOWN_CA
          and (seen[1][6] is None or isinstance(seen[1][6], Gio.TlsCertificate)), seen)
    asker.disconnect(handler)
    del seen[:], kept[:]
    asker = None
    collect()


# ---- Python -> C: a backend and a status store in Python --------------------

def test_python_backend(top):
    local_root = os.path.join(top, 'pylocal')
    os.makedirs(local_root)
    remote = PyRepository(name='Remote', separator=ord('.'))
    inbox = remote.add_folder('INBOX')
    for i in range(5):
        inbox.add(message(i, 'py'), Flags.SEEN if i % 2 else Flags.NONE)
    remote.add_folder('Archive').add(message(100, 'arch'))
    local = Mailsync.MaildirRepository.new('Local', local_root, ord('.'))
    status = PyStatusStore()
    account = Mailsync.Account.new('py', remote, local, status)
    check('Account getters give the objects back',
          account.get_remote() is remote and account.get_local() is local and account.get_status() is status)
    events = []
    lock = threading.Lock()

    def on_event(acct, ev):
        err = ev.get_error()
        uids = ev.get_uids()
        with lock:
            events.append((ev.get_kind(), ev.get_folder(), err.message if err else None,
                           list(uids) if uids is not None else None))
    account.connect('event', on_event)

    def sync(label):
        del events[:]
        try:
            ok = account.sync(None)
        except GLib.Error as e:
            ok = False
            events.append((Kind.ERROR, None, e.message, None))
        collect()
        errors = [e for e in events if e[0] == Kind.ERROR]
        check('%s: no error' % label, ok and not errors, errors)
        return events

    inbox_dir = os.path.join(local_root, 'INBOX')
    sync('python backend, first sync')
    check('first sync copies the five remote messages', len(maildir_names(inbox_dir)) == 5,
          maildir_names(inbox_dir))
    check('the Archive folder too', len(maildir_names(os.path.join(local_root, 'Archive'))) == 1)
    check('the Python status store was loaded', status.loads >= 2, status.loads)
    desc = remote.describe().unpack()
    check('Repository.describe calls the Python vfunc (chained up to the base)',
          desc.get('location') == 'memory:Remote' and desc.get('name') == 'Remote'
          and desc.get('separator') == '.' and desc.get('kind'), desc)
    stats = remote.get_statistics()
    check('Repository.get_statistics calls the Python vfunc',
          (stats.get_bytes_received(), stats.get_bytes_sent(), stats.get_commands_sent()) == (1000, 10, 2))
    del desc, stats
    check('and holds five records for INBOX', len(status.folders.get('INBOX', ({}, {}))[0]) == 5,
          status.folders.get('INBOX'))

    before = maildir_names(inbox_dir)
    ev = sync('python backend, second sync')
    deleted = [e for e in ev if e[0] == Kind.MESSAGES_DELETED]
    copied = [e for e in ev if e[0] == Kind.MESSAGE_COPIED]
    check('a second sync deletes nothing', not deleted and maildir_names(inbox_dir) == before,
          (deleted, inbox.calls))
    check('and copies nothing', not copied, copied)
    check('and leaves the remote alone', len(inbox.messages) == 5 and
          not [c for c in inbox.calls if c.startswith('delete')], inbox.calls)

    # New local mail goes up through append_message; a local flag change
    # through set_flags; a remote deletion comes down.
    deliver(inbox_dir, '1700000500.M500P1.host', message(500, 'local'))
    unread = find_local(inbox_dir, message(0, 'py'))
    os.rename(unread, os.path.join(inbox_dir, 'cur', os.path.basename(unread).split(':2,')[0] + ':2,FS'))
    gone = 4    # not 1, whose flags change
    del inbox.messages[gone]
    ev = sync('python backend, third sync')
    up = [e for e in ev if e[0] == Kind.MESSAGE_COPIED]
    check('a new local message is appended to the Python folder',
          len(up) == 1 and any(m[0] == message(500, 'local') for m in inbox.messages.values()),
          (up, inbox.calls))
    check('a local flag change reaches the Python folder',
          inbox.messages.get(1, [0, 0])[1] == Flags.SEEN | Flags.FLAGGED,
          (inbox.calls, inbox.messages.get(1, [0, 0])[1], ev))
    dels = [e for e in ev if e[0] == Kind.MESSAGES_DELETED]
    check('a remote deletion deletes the local copy (SyncEvent.get_uids)',
          len(maildir_names(inbox_dir)) == 5 and dels and dels[0][3] == [gone],
          (maildir_names(inbox_dir), dels))

    # The invokers, called from Python on Python objects: vfunc (transfer
    # full) into C, invoker (transfer container) back out.
    listed = inbox.list_messages(None)
    check('Folder.list_messages on a Python folder',
          sorted(i.get_uid() for i in listed) == sorted(inbox.messages))
    del listed
    folders = remote.list_folders(None)
    check('Repository.list_folders on a Python repository',
          sorted(f.get_name() for f in folders) == ['Archive', 'INBOX'] and
          all(isinstance(f, PyFolder) for f in folders))
    del folders
    ok, records, meta = status.load('INBOX', None)
    check('StatusStore.load on a Python store', ok and len(records) == 5 and
          sorted(r.uid for r in records) == sorted(inbox.messages), (len(records), meta))
    del records, meta
    created = remote.create_folder('Made', None)
    check('Repository.create_folder on a Python repository', isinstance(created, PyFolder))
    del created
    # Copy and move through the Python vfuncs: the new UIDs are the Python
    # list given back as out parameters, then a GArray of the invokers.
    archive = remote.add_folder('Archive')
    moving = sorted(inbox.messages)[:2]
    moved = inbox.move_messages(moving, archive, None)
    check('Folder.move_messages on a Python folder (do_transfer_messages_finish)',
          list(moved) == [2, 3] and not set(moving) & set(inbox.messages) and len(archive.messages) == 3,
          (list(moved), inbox.calls))
    copied = run_async(lambda cb: archive.copy_messages_async([2], inbox, None, cb), archive.copy_messages_finish)
    check('Folder.copy_messages_finish on a Python folder', list(copied) == [inbox.next_uid - 1] and
          len(archive.messages) == 3, list(copied))
    del moved, copied
    archive = None
    account = None
    remote.break_cycles()
    collect()


def test_python_keywords(top):
    """Keyword sync through the engine with a remote backend written in
    Python: the engine asks the folder's public keyword members, so a
    backend outside the library takes part (with the engine's former
    private table it did not: no keyword crossed)."""
    local_root = os.path.join(top, 'kwlocal')
    os.makedirs(local_root)
    remote = PyRepository(name='KwRemote', separator=ord('.'))
    inbox = remote.add_folder('INBOX')
    uids = [inbox.add(message(i, 'kw'), Flags.SEEN) for i in range(3)]
    local = Mailsync.MaildirRepository.new('KwLocal', local_root, ord('.'))
    account = Mailsync.Account.new('kw', remote, local, PyStatusStore())
    inbox_dir = os.path.join(local_root, 'INBOX')

    def sync(label):
        try:
            ok = account.sync(None)
        except GLib.Error as e:
            ok = False
            label += ': ' + e.message
        collect()
        check('%s: synced' % label, ok)

    def letters(uid):
        path = find_local(inbox_dir, message(uid - 1, 'kw'))
        return path, os.path.basename(path).split(':2,', 1)[1]

    folders = remote.list_folders(None)
    py_inbox = [f for f in folders if f.get_name() == 'INBOX'][0]
    check('Folder.get_capabilities of a Python folder (do_get_capabilities)',
          py_inbox.get_capabilities() == Mailsync.FolderCapabilities.KEYWORDS |
          Mailsync.FolderCapabilities.MESSAGE_IDS and py_inbox.supports(Mailsync.FolderCapabilities.KEYWORDS)
          and not py_inbox.supports(Mailsync.FolderCapabilities.LABELS), py_inbox.get_capabilities())
    check('Folder.can_store_keyword on a Python folder',
          py_inbox.can_store_keyword('$Work') and not py_inbox.can_store_keyword('$Refused'))
    del folders, py_inbox

    inbox.keywords[uids[0]] = {'$Work'}
    sync('python keywords, first sync')
    kw_file = os.path.join(inbox_dir, 'dovecot-keywords')
    path, first = letters(uids[0])
    check('a remote keyword of the Python folder reaches the local Maildir',
          'a' in first and os.path.exists(kw_file) and '$Work' in open(kw_file).read(),
          (first, os.path.exists(kw_file) and open(kw_file).read()))

    path, second = letters(uids[1])
    base = os.path.basename(path).split(':2,', 1)[0]
    os.rename(path, os.path.join(inbox_dir, 'cur', base + ':2,' + second + 'a'))
    path, first = letters(uids[0])
    base = os.path.basename(path).split(':2,', 1)[0]
    os.rename(path, os.path.join(inbox_dir, 'cur', base + ':2,' + first.replace('a', '')))
    sync('python keywords, second sync')
    check('a local keyword reaches the Python folder through do_set_keywords_async',
          inbox.keywords.get(uids[1]) == {'$Work'} and
          any(c.startswith('keywords [%d]' % uids[1]) for c in inbox.calls), (inbox.keywords, inbox.calls))
    check('a keyword removed locally is removed from the Python folder',
          not inbox.keywords.get(uids[0]), inbox.keywords)

    # The invokers, called from Python on the Python folder and on a Maildir.
    folders = remote.list_folders(None)
    py_inbox = [f for f in folders if f.get_name() == 'INBOX'][0]
    del folders
    ok, not_stored = run_async(lambda cb: py_inbox.set_keywords_async([uids[2]], ['$Other', '$Refused'], None, None,
                                                                      cb),
                               py_inbox.set_keywords_finish)
    check('Folder.set_keywords_finish on a Python folder (do_set_keywords_finish): the keywords not stored',
          list(not_stored) == ['$Refused'] and inbox.keywords.get(uids[2]) == {'$Other'}, (not_stored, inbox.keywords))
    ids = run_async(lambda cb: py_inbox.fetch_message_ids_async(uids, None, cb), py_inbox.fetch_message_ids_finish)
    collect()
    check('Folder.fetch_message_ids_finish on a Python folder (do_fetch_message_ids_finish)',
          ids == {u: '<kw.%d@example.org>' % (u - 1) for u in uids}, ids)
    maildir = [f for f in local.list_folders(None) if f.get_name() == 'INBOX'][0]
    check('a Maildir folder has keywords and the local move, no Message-IDs',
          maildir.get_capabilities() == Mailsync.FolderCapabilities.KEYWORDS |
          Mailsync.FolderCapabilities.MOVE_MESSAGE, maildir.get_capabilities())
    try:
        run_async(lambda cb: maildir.fetch_message_ids_async([1], None, cb), maildir.fetch_message_ids_finish)
        check('Folder.fetch_message_ids on a Maildir: not supported', False)
    except GLib.Error as e:
        check('Folder.fetch_message_ids on a Maildir: not supported',
              e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_SUPPORTED), e.message)
    try:
        run_async(lambda cb: maildir.probe_stamp_async(None, cb), maildir.probe_stamp_finish)
        check('Folder.probe_stamp on a Maildir: not supported', False)
    except GLib.Error as e:
        check('Folder.probe_stamp on a Maildir: not supported',
              e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_SUPPORTED) and
              maildir.dup_listing_stamp() is None, e.message)
    try:
        run_async(lambda cb: maildir.store_labels_async([1], Mailsync.LabelOperation.ADD, ['x'], None, cb),
                  maildir.store_labels_finish)
        check('Folder.store_labels on a Maildir: not supported', False)
    except GLib.Error as e:
        check('Folder.store_labels on a Maildir: not supported',
              e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_SUPPORTED), e.message)
    try:
        run_async(lambda cb: maildir.fetch_labels_async(None, cb), maildir.fetch_labels_finish_joined)
        check('Folder.fetch_labels_finish_joined on a Maildir: not supported', False)
    except GLib.Error as e:
        check('Folder.fetch_labels_finish_joined on a Maildir: not supported',
              e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_SUPPORTED), e.message)
    try:
        py_inbox.move_message(uids[2], maildir, 9, None)
        check('Folder.move_message between classes: not supported', False)
    except GLib.Error as e:
        check('Folder.move_message between classes: not supported',
              e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_SUPPORTED), e.message)
    try:
        run_async(lambda cb: py_inbox.move_message_async(uids[2], maildir, 9, None, cb), py_inbox.move_message_finish)
        check('Folder.move_message_async between classes: not supported', False)
    except GLib.Error as e:
        check('Folder.move_message_async between classes: not supported',
              e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_SUPPORTED), e.message)
    moved_to = local.create_folder('Moved', None)
    ok = run_async(lambda cb: maildir.move_message_async(uids[2], moved_to, 77, None, cb), maildir.move_message_finish)
    listed = [i.get_uid() for i in moved_to.list_messages(None)]
    check('Folder.move_message_async on a Maildir (its synchronous member): under the UID given',
          ok and listed == [77] and uids[2] not in [i.get_uid() for i in maildir.list_messages(None)], (ok, listed))
    cancelled = Gio.Cancellable()
    cancelled.cancel()
    try:
        moved_to.move_message(77, maildir, 78, cancelled)
        check('Folder.move_message with a cancelled GCancellable: CANCELLED, nothing moved', False)
    except GLib.Error as e:
        check('Folder.move_message with a cancelled GCancellable: CANCELLED, nothing moved',
              e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED) and
              [i.get_uid() for i in moved_to.list_messages(None)] == [77], e.message)
    try:
        run_async(lambda cb: moved_to.move_message_async(77, maildir, 78, cancelled, cb), moved_to.move_message_finish)
        check('Folder.move_message_async with a cancelled GCancellable: CANCELLED, nothing moved', False)
    except GLib.Error as e:
        check('Folder.move_message_async with a cancelled GCancellable: CANCELLED, nothing moved',
              e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED) and
              [i.get_uid() for i in moved_to.list_messages(None)] == [77], e.message)
    ok = moved_to.move_message(77, maildir, 78, None)
    check('Folder.move_message on a Maildir: under the UID given',
          ok and [i.get_uid() for i in moved_to.list_messages(None)] == [] and
          78 in [i.get_uid() for i in maildir.list_messages(None)], ok)
    del ids, not_stored
    py_inbox = maildir = moved_to = cancelled = None
    account = None
    remote.break_cycles()
    collect()


def run_until(cond, seconds=60):
    """Iterates this thread's default context until cond() or the deadline."""
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + seconds
    timer = GLib.timeout_add_seconds(1, lambda: True)
    while not cond() and time.monotonic() < deadline:
        ctx.iteration(True)
    GLib.source_remove(timer)
    return cond()


def test_folder_state(top):
    root = os.path.join(top, 'state')
    make_maildir(os.path.join(root, 'INBOX'))
    make_maildir(os.path.join(root, 'Sent'))
    deliver(os.path.join(root, 'INBOX'), '1700000001.M1P1.host', message(1))
    repo = Mailsync.MaildirRepository.new('State', root, ord('.'))

    infos = repo.list_folder_info(None)
    sent = [i for i in infos if i.get_name() == 'Sent'][0]
    del infos
    collect()
    check('Repository.list_folder_info: a FolderInfo outlives the list',
          sent.get_role() == Mailsync.FolderRole.SENT and sent.get_total() == 0 and
          sent.get_display_name() == 'Sent', (sent.get_name(), sent.get_role()))
    infos = run_async(lambda cb: repo.list_folder_info_async(None, cb), repo.list_folder_info_finish)
    inbox_info = [i for i in infos if i.get_name() == 'INBOX'][0]
    check('Repository.list_folder_info_finish: counts of new/',
          inbox_info.get_total() == 1 and inbox_info.get_unseen() == 1 and inbox_info.get_recent() == 1 and
          inbox_info.get_role() == Mailsync.FolderRole.INBOX, (inbox_info.get_total(), inbox_info.get_unseen()))
    del infos, inbox_info
    made = Mailsync.FolderInfo(name='A/B', separator=ord('/'), total=3)
    check('FolderInfo from g_object_new: display name and unknown counts',
          made.get_display_name() == 'B' and made.get_total() == 3 and made.get_unseen() == -1)

    # A watch of a Maildir folder polls; the signal's arrays are borrowed.
    inbox = [f for f in repo.list_folders(None) if f.get_name() == 'INBOX'][0]
    seen = {'added': [], 'changed': [], 'removed': [], 'ended': None}

    def on_changed(folder, changes):
        seen['added'] += [i.get_key() for i in changes.get_added()]
        seen['changed'] += [i.get_key() for i in changes.get_flags_changed()]
        seen['removed'] += [i.get_key() for i in changes.get_removed()]

    def on_ended(folder, result, *unused):
        try:
            folder.watch_finish(result)
            seen['ended'] = 'no error'
        except GLib.Error as e:
            seen['ended'] = e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)

    handler = inbox.connect('folder-changed', on_changed)
    cancellable = Gio.Cancellable()
    inbox.watch_async(1, cancellable, on_ended)
    check('Folder.watch_async: watching', run_until(inbox.is_watching))
    deliver(os.path.join(root, 'INBOX'), '1700000002.M2P1.host', message(2))
    check('folder-changed: the new message', run_until(lambda: seen['added']) and
          len(seen['added']) == 1 and not seen['removed'], seen)
    cancellable.cancel()
    check('Folder.watch_finish: cancelled', run_until(lambda: seen['ended'] is not None) and
          seen['ended'] is True, seen['ended'])
    inbox.disconnect(handler)
    del inbox
    repo = None
    collect()


def main():
    with tempfile.TemporaryDirectory(prefix='mailsync-own-') as top:
        for name, fn in (('maildir containers', lambda: test_maildir_containers(top)),
                         ('sqlite status', lambda: test_status_load(top, Mailsync.StatusSqlite.new, 'sqlite')),
                         ('plain status', lambda: test_status_load(top, Mailsync.StatusPlain.new, 'plain')),
                         ('records', test_boxed_records),
                         ('config', lambda: test_config(top)),
                         ('misc', test_misc),
                         ('interaction', test_interaction),
                         ('interaction-ask', test_interaction_ask),
                         ('folder state', lambda: test_folder_state(top)),
                         ('python backend', lambda: test_python_backend(top)),
                         ('python keywords', lambda: test_python_keywords(top))):
            try:
                fn()
            except Exception:   # noqa: BLE001 - a crash of one part is one failed check
                check('%s: ran to the end' % name, False, traceback.format_exc())
            collect()
    return 1 if FAILED else 0


if __name__ == '__main__':
    status = main()
    # bindings/check-python-memcheck.sh looks for this line (a crash never
    # prints it) and prints the plan itself.
    print('# test-ownership.py: done')
    if os.environ.get('MAILSYNC_TAP_PLAN', '1') == '1':
        print('1..%d' % N)
    sys.exit(status)
