#!/usr/bin/env python3
"""Ownership across the Python binding, Python -> C: a backend written in
Python (a MailsyncRepository and MailsyncFolder subclass with the async
vfuncs, and a MailsyncStatusStore) driven by the C sync engine, the
values it hands to C and those C hands to it.  The other direction (the
library's functions called from Python) is test-ownership.py; what both
use is ownership_common.py.

As there, the checks look at values and bindings/check-python-memcheck.sh
runs this under valgrind for the memory errors; objects are dropped and
gc.collect() called between a call and the use of what it returned.

Prints TAP (with a plan unless MAILSYNC_TAP_PLAN=0).  Needs
GI_TYPELIB_PATH/LD_LIBRARY_PATH at the build tree (make check).
"""

import os
import sys
import threading
import traceback

from ownership_common import (Kind, Flags, check, collect, message, deliver, maildir_names, find_local,
                              read_stream, run_async, main)
from gi.repository import Mailsync, Gio, GLib, GObject   # after ownership_common: it asks for Mailsync 1.0

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


if __name__ == '__main__':
    sys.exit(main('test-ownership-backend.py', (
        ('python backend', test_python_backend),
        ('python keywords', test_python_keywords))))
