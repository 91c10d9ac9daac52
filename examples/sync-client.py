#!/usr/bin/env python3
"""sync-client.py: a small libmailsync client in Python, through
GObject-Introspection.  The same program as sync-client.c: syncs one IMAP
account with a local Maildir, with its own GLib main loop, one
Account.sync_async(), progress from the account's "event" signal, Ctrl-C
(SIGINT) or SIGTERM cancelling through a Gio.Cancellable, and the exit
status from Account.sync_finish().

    sync-client.py [OPTION...] MAILDIR

Each option can come from the environment instead:

    --host HOST          MAILSYNC_HOST      the IMAP server
    --port PORT          MAILSYNC_PORT      default 993 (imaps) or 143
    --user USER          MAILSYNC_USER      login name
                         MAILSYNC_PASSWORD  password (never on the command line)
    --tls MODE           MAILSYNC_TLS       imaps (default), starttls or none
    --ca-file FILE       MAILSYNC_CA_FILE   CA certificates to trust instead
                                            of the system's
    --metadata DIR       MAILSYNC_METADATA  where the status is kept (default
                                            .sync-client-ACCOUNT beside MAILDIR)
    --account NAME                          account name (default "example")

Exit status: 0 when everything was synced, 1 when the sync failed (or some
folder did), 2 on a usage error, 130 when cancelled.

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
        error = event.get_error()
        if error is not None:
            return error.message
        return event.get_text() or ''

    def on_event(self, account, event):
        """The account's "event" signal, emitted on the main context of
        the caller of sync_async(): ours."""
        kind = event.get_kind()
        folder = event.get_folder() or ''
        where = folder + ': ' if folder else ''
        if kind == Kind.ACCOUNT_STARTED:
            print('account %s: sync started' % account.get_name())
        elif kind == Kind.CONNECTING:
            print('connecting to %s' % self.message_of(event))
        elif kind == Kind.FOLDER_CREATED:
            print('%s: folder created in %s' % (folder, event.get_repository()))
        elif kind == Kind.MESSAGE_COPIED:
            self.copied += 1
            print('%s: copied message %d to %s (%d/%d)'
                  % (folder, event.get_uid(),
                     'local' if event.get_direction() == Mailsync.Direction.TO_LOCAL else 'remote',
                     event.get_n(), event.get_total()))
        elif kind == Kind.MESSAGES_DELETED:
            self.deleted += event.get_n()
            print('%s: deleted %d messages in %s' % (folder, event.get_n(), event.get_repository()))
        elif kind in (Kind.FLAGS_ADDED, Kind.FLAGS_REMOVED):
            self.flag_changes += event.get_n()
            print('%s: flag %s %s on %d messages in %s'
                  % (folder, event.get_flags(), 'added' if kind == Kind.FLAGS_ADDED else 'removed',
                     event.get_n(), event.get_repository()))
        elif kind == Kind.FOLDER_FINISHED:
            self.folders += 1
            if event.get_error() is not None:
                print('%s: failed: %s' % (folder, self.message_of(event)))
            else:
                print('%s: done' % folder)
        elif kind == Kind.FOLDER_SKIPPED:
            print('%s: skipped: %s' % (folder, self.message_of(event)))
        elif kind == Kind.WARNING:
            print('warning: %s%s' % (where, self.message_of(event)))
        elif kind == Kind.ERROR:
            self.errors += 1
            print('error: %s%s' % (where, self.message_of(event)))
        sys.stdout.flush()

    def on_signal(self):
        """SIGINT or SIGTERM: cancel; the loop goes on until the sync has
        stopped and reported."""
        if not self.cancellable.is_cancelled():
            print('interrupted: cancelling the sync', flush=True)
        self.cancellable.cancel()
        return GLib.SOURCE_CONTINUE

    def on_synced(self, account, result):
        try:
            self.ok = account.sync_finish(result)
        except GLib.Error as e:
            self.error = e
        self.loop.quit()


def main(argv):
    parser = argparse.ArgumentParser(prog='sync-client.py',
                                     description='Sync an IMAP account with a Maildir.')
    env = os.environ.get
    parser.add_argument('--host', default=env('MAILSYNC_HOST'), help='IMAP server (MAILSYNC_HOST)')
    parser.add_argument('--port', type=int, default=int(env('MAILSYNC_PORT') or 0),
                        help='port (MAILSYNC_PORT; default 993 or 143)')
    parser.add_argument('--user', default=env('MAILSYNC_USER'), help='login name (MAILSYNC_USER)')
    parser.add_argument('--tls', default=env('MAILSYNC_TLS') or 'imaps',
                        choices=('imaps', 'starttls', 'none'), help='MAILSYNC_TLS; default imaps')
    parser.add_argument('--ca-file', default=env('MAILSYNC_CA_FILE'),
                        help='CA certificates to trust (MAILSYNC_CA_FILE)')
    parser.add_argument('--metadata', default=env('MAILSYNC_METADATA'),
                        help='status directory (MAILSYNC_METADATA)')
    parser.add_argument('--account', default='example', help='account name (default: example)')
    parser.add_argument('maildir')
    args = parser.parse_args(argv[1:])
    if not args.host:
        parser.error('no --host and no MAILSYNC_HOST')
    if not 0 <= args.port <= 65535:
        parser.error('bad port %d' % args.port)

    # The remote side: an IMAP repository.  Everything offlineimap's
    # [Repository] sections say is a property (see Mailsync.ImapRepository).
    remote = Mailsync.ImapRepository.new('Remote', args.host, args.port)
    remote.props.ssl = args.tls == 'imaps'
    remote.props.starttls = args.tls == 'starttls'
    if args.user:
        remote.props.user = args.user
    if env('MAILSYNC_PASSWORD') is not None:
        remote.props.password = env('MAILSYNC_PASSWORD')
    if args.ca_file:
        remote.props.ca_file = args.ca_file

    # The local side, a Maildir++ tree, and the status store
    # (offlineimap's SQLite format).
    status_dir = args.metadata or os.path.join(os.path.dirname(os.path.abspath(args.maildir)),
                                               '.sync-client-' + args.account)
    os.makedirs(args.maildir, mode=0o700, exist_ok=True)
    os.makedirs(status_dir, mode=0o700, exist_ok=True)
    local = Mailsync.MaildirRepository.new('Local', args.maildir, ord('.'))
    status = Mailsync.StatusSqlite.new(status_dir)
    account = Mailsync.Account.new(args.account, remote, local, status)

    client = Client()
    account.connect('event', client.on_event)
    # GLib, not Python, handles the signals (so they are seen while the
    # loop waits in C).  SIG_DFL first: PyGObject's MainLoop.run() puts
    # back a Python handler for SIGINT only while Python's default one is
    # installed.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
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
    if client.error is not None and client.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
        print('sync cancelled')
        return 130
    print('sync failed: %s' % (client.error.message if client.error else 'unknown error'))
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
