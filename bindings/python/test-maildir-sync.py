#!/usr/bin/env python3
"""Python (PyGObject) smoke test of the Mailsync-1.0 bindings.

Two Maildir trees in a temporary directory: a "remote" one that assigns
UIDs (the stand-in for an IMAP server until the IMAP backend exists) and a
plain local one, with a SQLite status store.  A sync must copy every message
both ways with U=<uid> in the file names; a second sync must copy nothing.

Run by "make check" with GI_TYPELIB_PATH and LD_LIBRARY_PATH pointing at the
build tree (bindings/Makefile.am).  Prints TAP (one line per test
method), read by automake's TAP driver; without PyGObject or the typelib,
the skip plan "1..0 # SKIP" and exit status 0.
"""

import os
import sys
import tempfile
import unittest

# Without PyGObject or the Mailsync typelib, importing ownership_common
# prints the skip plan and exits (status 0). messages(): the file names
# of a Maildir folder's messages (new and cur).
from ownership_common import Mailsync, make_maildir, maildir_names as messages

Kind = Mailsync.SyncEventKind

MESSAGE = ('From: alice@example.org\r\n'
           'To: bob@example.org\r\n'
           'Subject: %s\r\n'
           'Message-ID: <%s@example.org>\r\n'
           'Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n'
           '\r\n'
           'Body of %s.\r\n')


def deliver(folder, name, subject):
    with open(os.path.join(folder, 'new', name), 'w', newline='') as f:
        f.write(MESSAGE % (subject, name, subject))


def subjects(folder):
    found = set()
    for sub in ('new', 'cur'):
        d = os.path.join(folder, sub)
        for n in os.listdir(d) if os.path.isdir(d) else ():
            with open(os.path.join(d, n), newline='') as f:
                for line in f:
                    if line.startswith('Subject: '):
                        found.add(line[len('Subject: '):].strip())
    return found


class MaildirSyncTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='mailsync-py-')
        top = self.tmp.name
        self.remote_root = os.path.join(top, 'remote')
        self.local_root = os.path.join(top, 'local')
        self.status_dir = os.path.join(top, 'metadata')
        os.makedirs(self.status_dir)

        make_maildir(os.path.join(self.remote_root, 'INBOX'))
        make_maildir(os.path.join(self.local_root, 'INBOX'))
        for i in range(3):
            deliver(os.path.join(self.remote_root, 'INBOX'),
                    '170000000%d.M%dP1.remote' % (i, i), 'remote %d' % i)
        deliver(os.path.join(self.local_root, 'INBOX'),
                '1700000009.M9P1.local', 'local 0')

    def tearDown(self):
        self.tmp.cleanup()

    def make_account(self):
        remote = Mailsync.MaildirRepository.new('Remote', self.remote_root, ord('.'))
        remote.set_property('assign-uids', True)
        local = Mailsync.MaildirRepository.new('Local', self.local_root, ord('.'))
        status = Mailsync.StatusSqlite.new(self.status_dir)
        account = Mailsync.Account.new('py', remote, local, status)
        events = []
        account.connect('event', lambda acct, ev: events.append(
            (ev.get_kind(), ev.get_folder(), ev.get_direction(), ev.get_uid())))
        return account, events

    def sync(self):
        account, events = self.make_account()
        self.assertTrue(account.sync(None))
        return events

    def copied(self, events):
        return [e for e in events if e[0] == Kind.MESSAGE_COPIED]

    def test_types(self):
        account, _ = self.make_account()
        self.assertIsInstance(account.get_remote(), Mailsync.MaildirRepository)
        self.assertIsInstance(account.get_remote(), Mailsync.Repository)
        self.assertTrue(account.get_remote().get_property('assign-uids'))
        self.assertEqual(account.get_name(), 'py')
        self.assertEqual(account.get_remote().get_root(), self.remote_root)

    def test_public_settings(self):
        # Settings a client sets without a config file (issue 14): real
        # properties with accessors, on the object each belongs to.
        account, _ = self.make_account()
        local = account.get_local()
        self.assertFalse(local.get_restore_atime())
        local.set_property('restore-atime', True)
        self.assertTrue(local.get_restore_atime())
        self.assertFalse(account.get_remove_deleted_folders())
        account.set_remove_deleted_folders(True)
        self.assertTrue(account.get_property('remove-deleted-folders'))
        imap = Mailsync.ImapRepository.new('Server', 'localhost', 0)
        self.assertEqual(imap.translate_name('Entw&APw-rfe'), 'Entw&APw-rfe')
        imap.set_decode_folder_names(True)
        self.assertTrue(imap.get_property('decode-folder-names'))
        self.assertEqual(imap.translate_name('Entw&APw-rfe'), 'Entw\u00fcrfe')

    def test_sync_both_ways_then_nothing(self):
        events = self.sync()
        kinds = [e[0] for e in events]
        self.assertIn(Kind.ACCOUNT_STARTED, kinds)
        self.assertIn(Kind.ACCOUNT_FINISHED, kinds)
        self.assertNotIn(Kind.ERROR, kinds)
        copied = self.copied(events)
        self.assertEqual(len(copied), 4, events)
        to_local = [e for e in copied if e[2] == Mailsync.Direction.TO_LOCAL]
        to_remote = [e for e in copied if e[2] == Mailsync.Direction.TO_REMOTE]
        self.assertEqual((len(to_local), len(to_remote)), (3, 1))

        want = {'remote 0', 'remote 1', 'remote 2', 'local 0'}
        for root in (self.remote_root, self.local_root):
            inbox = os.path.join(root, 'INBOX')
            self.assertEqual(subjects(inbox), want, root)
            names = messages(inbox)
            self.assertEqual(len(names), 4, names)
            for n in names:
                self.assertIn(',U=', n, '%s: %s has no UID' % (root, n))

        # Same UIDs on both sides.
        def uids(root):
            return sorted(n.split(',U=')[1].split(',')[0].split(':')[0]
                          for n in messages(os.path.join(root, 'INBOX')))
        self.assertEqual(uids(self.remote_root), uids(self.local_root))

        # Nothing changed: a second run copies nothing and changes nothing.
        before = (messages(os.path.join(self.remote_root, 'INBOX')),
                  messages(os.path.join(self.local_root, 'INBOX')))
        events = self.sync()
        self.assertEqual(self.copied(events), [])
        self.assertNotIn(Kind.ERROR, [e[0] for e in events])
        after = (messages(os.path.join(self.remote_root, 'INBOX')),
                 messages(os.path.join(self.local_root, 'INBOX')))
        self.assertEqual(before, after)

    def test_progress_from_python(self):
        # issue 10 item 5: the counts a client draws its bar from; the
        # bytes are the sources' sizes, so they are the files before the sync
        sources = [os.path.join(self.remote_root, 'INBOX', 'new', n)
                   for n in messages(os.path.join(self.remote_root, 'INBOX'))]
        sources += [os.path.join(self.local_root, 'INBOX', 'new', n)
                    for n in messages(os.path.join(self.local_root, 'INBOX'))]
        total = sum(os.path.getsize(p) for p in sources)
        account, _ = self.make_account()
        seen = []
        account.connect('event', lambda acct, ev: seen.append(
            (ev.get_kind(), ev.get_n(), ev.get_bytes(), ev.get_account_messages_done(),
             ev.get_account_messages_total(), ev.get_account_bytes_done(), ev.get_account_bytes_total(),
             ev.get_folder_bytes_done(), ev.get_folder_bytes_total())))
        self.assertTrue(account.sync(None))
        planned = [e for e in seen if e[0] == Kind.FOLDER_PLANNED]
        self.assertEqual([(e[1], e[2]) for e in planned], [(4, total)])
        copied = [e for e in seen if e[0] == Kind.MESSAGE_COPIED]
        self.assertEqual(sum(e[2] for e in copied), total)
        self.assertEqual([e[3] for e in copied], [1, 2, 3, 4])
        finished = [e for e in seen if e[0] == Kind.ACCOUNT_FINISHED][0]
        self.assertEqual(finished[3:7], (4, 4, total, total))


class TapResult(unittest.TestResult):
    """unittest's results as TAP on stdout; a failure's traceback follows
    its "not ok" line as "# " comments."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def line(self, ok, test, directive='', detail=''):
        self.n += 1
        print('%s %d - %s%s' % ('ok' if ok else 'not ok', self.n, test.id().split('.', 1)[-1], directive))
        for text in detail.splitlines():
            print('#   ' + text)
        sys.stdout.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.line(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.line(False, test, detail=self.failures[-1][1])

    def addError(self, test, err):
        super().addError(test, err)
        self.line(False, test, detail=self.errors[-1][1])

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.line(True, test, ' # SKIP ' + reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.line(False, test, ' # TODO expected to fail')

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.line(True, test, ' # TODO expected to fail')


if __name__ == '__main__':
    result = TapResult()
    unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__]).run(result)
    print('1..%d' % result.n)
    sys.exit(0 if result.wasSuccessful() else 1)
