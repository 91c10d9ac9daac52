#!/usr/bin/env python3
"""Ownership across the Python binding, C -> Python: every public function
that returns an array, a boxed type or a GObject, called from Python (the
Maildir repository and folders, the status stores, the boxed records, the
config, the interaction, the folder state and its watch).  The other
direction (a backend written in Python) is test-ownership-backend.py; what
both use is ownership_common.py.

The checks below look at values; the memory errors themselves (a
container whose free function drops references the binding took for
itself, elements the binding frees while the engine still reads them)
are what bindings/check-python-memcheck.sh runs this under valgrind for.
Objects are dropped and gc.collect() called between a call and the use
of what it returned, so that a wrong (transfer) frees memory the test
then reads.

Prints TAP (with a plan unless MAILSYNC_TAP_PLAN=0: the wrapper adds its
own checks and the plan).  Needs GI_TYPELIB_PATH/LD_LIBRARY_PATH at the
build tree (make check).
"""

import os
import sys

from ownership_common import (Flags, check, collect, message, make_maildir, deliver, maildir_names, lf,
                              read_stream, run_async, run_until, main)
from gi.repository import Mailsync, Gio, GLib   # after ownership_common: it asks for Mailsync 1.0

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


if __name__ == '__main__':
    sys.exit(main('test-ownership.py', (
        ('maildir containers', test_maildir_containers),
        ('sqlite status', lambda top: test_status_load(top, Mailsync.StatusSqlite.new, 'sqlite')),
        ('plain status', lambda top: test_status_load(top, Mailsync.StatusPlain.new, 'plain')),
        ('records', lambda top: test_boxed_records()),
        ('config', test_config),
        ('misc', lambda top: test_misc()),
        ('interaction', lambda top: test_interaction()),
        ('interaction-ask', lambda top: test_interaction_ask()),
        ('folder state', test_folder_state))))
