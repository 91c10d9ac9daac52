#!/usr/bin/env python3
"""sync-client.py: a small libmailsync client in Python, the one to copy.

The same program as sync-client.c, through GObject-Introspection: syncs
one IMAP account with a local Maildir, with its own GLib main loop, one
Account.sync_async(), progress from the account's "event" signal, Ctrl-C
(SIGINT) or SIGTERM cancelling through a Gio.Cancellable, and the exit
status from Account.sync_finish().

    MAILSYNC_PASSWORD=... sync-client.py --host HOST --user USER MAILDIR

    --port PORT      default 993 (imaps) or 143
    --tls MODE       imaps (default), starttls or none
    --ca-file FILE   CA certificates to trust instead of the system's
    --metadata DIR   the status store (default .sync-client-ACCOUNT
                     beside MAILDIR)
    --account NAME   account name (default "example")

The password comes from the environment (MAILSYNC_PASSWORD), never from
the command line, which every user of the machine can read (ps).

Exit status: 0 when every folder synced, 1 when the sync (or a folder)
failed, 2 on a usage error, 130 when cancelled (a shell's Ctrl-C).

It needs the Mailsync-1.0 typelib: installed, or GI_TYPELIB_PATH and
LD_LIBRARY_PATH pointing at a build (tests/check-examples.py does that).
"""

import argparse
import os
import signal
import sys

import gi
gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Mailsync', '1.0')
from gi.repository import GLib, Gio, Mailsync  # noqa: E402

Kind = Mailsync.SyncEventKind


class Client:
    def __init__(self):
        self.loop = GLib.MainLoop()
        self.cancellable = Gio.Cancellable()
        self.error = None
        self.ok = False
        self.folders = self.copied = self.deleted = self.flag_changes = self.errors = 0

    @staticmethod
    def message_of(event):
        """The text of an event: its error's message if it has one."""
        error = event.get_error()
        return error.message if error is not None else event.get_text() or ''

    def on_event(self, account, event):
        """The account's "event" signal: one line for each event a user
        cares about.  It is emitted on the thread-default main context of
        the caller of sync_async() (here the main loop's), so it may touch
        the program's state (a GUI's widgets) without locks."""
        kind = event.get_kind()
        folder = event.get_folder() or ''
        repository, n = event.get_repository(), event.get_n()
        if kind == Kind.ACCOUNT_STARTED:
            print('account %s: sync started' % account.get_name())
        elif kind == Kind.CONNECTING:
            print('connecting to %s' % self.message_of(event))
        elif kind == Kind.FOLDER_CREATED:
            print('%s: folder created in %s' % (folder, repository))
        elif kind == Kind.MESSAGE_COPIED:
            # n of total: the progress within the folder.
            self.copied += 1
            print('%s: copied message %d to %s (%d/%d)'
                  % (folder, event.get_uid(),
                     'local' if event.get_direction() == Mailsync.Direction.TO_LOCAL else 'remote',
                     n, event.get_total()))
        elif kind == Kind.MESSAGES_DELETED:
            self.deleted += n
            print('%s: deleted %d messages in %s' % (folder, n, repository))
        elif kind in (Kind.FLAGS_ADDED, Kind.FLAGS_REMOVED):
            self.flag_changes += n
            print('%s: flag %s %s on %d messages in %s'
                  % (folder, event.get_flags(), 'added' if kind == Kind.FLAGS_ADDED else 'removed',
                     n, repository))
        elif kind == Kind.FOLDER_FINISHED:
            self.folders += 1
            if event.get_error() is not None:
                print('%s: failed: %s' % (folder, self.message_of(event)))
            else:
                print('%s: done' % folder)
        elif kind == Kind.FOLDER_SKIPPED:
            print('%s: skipped: %s' % (folder, self.message_of(event)))
        elif kind in (Kind.WARNING, Kind.ERROR):
            if kind == Kind.ERROR:
                self.errors += 1
            print('%s: %s%s' % ('error' if kind == Kind.ERROR else 'warning',
                                folder + ': ' if folder else '', self.message_of(event)))
        # The rest (folder started, lists loaded, debug, ...) are for
        # verbose logs: see Mailsync.SyncEventKind.

    def on_signal(self):
        """SIGINT or SIGTERM, dispatched by the main loop like any source:
        cancel.  The loop goes on until the sync has stopped and called
        on_synced(), so nothing is left half-written and the next sync
        goes on from where this one stopped."""
        if not self.cancellable.is_cancelled():
            print('interrupted: cancelling the sync')
        self.cancellable.cancel()
        return GLib.SOURCE_CONTINUE

    def on_synced(self, account, result):
        try:
            self.ok = account.sync_finish(result)
        except GLib.Error as e:
            self.error = e
        self.loop.quit()


def port_number(text):
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError('%s is not a port number' % text)
    return port


def main(argv):
    parser = argparse.ArgumentParser(prog='sync-client.py',
                                     description='Sync an IMAP account with a Maildir.',
                                     epilog='The password is read from MAILSYNC_PASSWORD.')
    parser.add_argument('--host', required=True, help='IMAP server')
    # 0 lets the repository choose 993 or 143 from "ssl".
    parser.add_argument('--port', type=port_number, default=0, help='port (default: 993 or 143)')
    parser.add_argument('--user', help='login name')
    parser.add_argument('--tls', default='imaps', choices=('imaps', 'starttls', 'none'),
                        help='default: imaps')
    parser.add_argument('--ca-file', help='CA certificates to trust')
    parser.add_argument('--metadata', help='status directory')
    parser.add_argument('--account', default='example', help='account name (default: example)')
    parser.add_argument('maildir')
    args = parser.parse_args(argv[1:])
    # One line at a time, so that the progress shows through a pipe too.
    sys.stdout.reconfigure(line_buffering=True)

    # The remote side.  Whatever offlineimap's [Repository] sections can
    # say is a property of Mailsync.ImapRepository.
    remote = Mailsync.ImapRepository.new('Remote', args.host, args.port)
    remote.props.ssl = args.tls == 'imaps'
    remote.props.starttls = args.tls == 'starttls'
    if args.user:
        remote.props.user = args.user
    if 'MAILSYNC_PASSWORD' in os.environ:
        remote.props.password = os.environ['MAILSYNC_PASSWORD']
    if args.ca_file:
        remote.props.ca_file = args.ca_file

    # The local side, a Maildir++ tree ('.' between folder names), and the
    # status store: what both sides agreed on at the last sync, which is
    # how a sync tells "new here" from "deleted there" (offlineimap's
    # SQLite format, so offlineimap could take over, and back).
    metadata = args.metadata or os.path.join(os.path.dirname(os.path.abspath(args.maildir)),
                                             '.sync-client-' + args.account)
    os.makedirs(args.maildir, mode=0o700, exist_ok=True)
    os.makedirs(metadata, mode=0o700, exist_ok=True)
    local = Mailsync.MaildirRepository.new('Local', args.maildir, ord('.'))
    status = Mailsync.StatusSqlite.new(metadata)
    account = Mailsync.Account.new(args.account, remote, local, status)

    client = Client()
    account.connect('event', client.on_event)
    # GLib catches the signals, as in C: the handler runs as a source of
    # the loop, between two events (PyGObject's MainLoop.run() sees that a
    # SIGINT handler is set and adds none of its own).
    ids = [GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, client.on_signal)
           for sig in (signal.SIGINT, signal.SIGTERM)]

    account.sync_async(client.cancellable, client.on_synced)
    client.loop.run()
    for source_id in ids:
        GLib.source_remove(source_id)

    print('summary: %d folders, %d copied, %d deleted, %d flag changes, %d errors'
          % (client.folders, client.copied, client.deleted, client.flag_changes, client.errors))
    if client.ok:
        print('sync finished')
        return 0
    if client.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
        print('sync cancelled')
        return 130
    # Mailsync.Error.PARTIAL when only some folders failed (the events said
    # which); anything else stopped the whole sync.
    print('sync-client.py: sync failed: %s' % client.error.message, file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
