#!/usr/bin/env python3
"""Quickstart demo: sync a generated "remote" Maildir into a local one.

    demo-sync.py DIR generate   make DIR/remote: ~50 messages in 3 folders
    demo-sync.py DIR sync       sync DIR/remote into DIR/Mail (status in DIR/metadata)
    demo-sync.py DIR mark-read N  mark the N oldest unread messages of DIR/Mail/INBOX read

The remote is an IMAP account when MAILSYNC_HOST (a real account:
MAILSYNC_PORT, MAILSYNC_USER, MAILSYNC_PASSWORD or ~/.netrc) or DOVECOT_HOST
(the quickstart's private Dovecot) is set; otherwise DIR/remote, a Maildir
that assigns UIDs as an IMAP server would.  Needs GI_TYPELIB_PATH/LD_LIBRARY_PATH set to
a built libmailsync (./quickstart does that).
"""

import os
import sys
import time

import gi
gi.require_version('Mailsync', '1.0')
from gi.repository import Mailsync  # noqa: E402

Kind = Mailsync.SyncEventKind
FOLDERS = (('INBOX', 25), ('Work', 15), ('Lists.debian', 10))


def generate(top):
    remote = os.path.join(top, 'remote')
    now = int(time.time())
    for folder, count in FOLDERS:
        for sub in ('cur', 'new', 'tmp'):
            os.makedirs(os.path.join(remote, folder, sub), exist_ok=True)
        for i in range(count):
            stamp = now - 3600 * (count - i)
            name = '%d.M%dP%d.demo' % (stamp, i, os.getpid())
            # Older messages have been read already.
            path = os.path.join(remote, folder, 'cur', name + ':2,S') if i < count // 2 \
                else os.path.join(remote, folder, 'new', name)
            with open(path, 'w', newline='') as f:
                f.write('From: Demo Sender <sender%d@example.org>\r\n'
                        'To: you@example.org\r\n'
                        'Subject: [%s] message %d\r\n'
                        'Message-ID: <%d.%d.%s@example.org>\r\n'
                        'Date: %s\r\n'
                        '\r\n'
                        'This is demo message %d in %s.\r\n'
                        % (i, folder, i + 1, stamp, i, folder.replace('.', '-'),
                           time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(stamp)),
                           i + 1, folder))
    print('generated %d messages in %d folders under %s'
          % (sum(c for _, c in FOLDERS), len(FOLDERS), remote))


class Report:
    """Turns the account's event signal into one line per folder."""

    def __init__(self):
        self.totals = {'copied': 0, 'deleted': 0, 'flags': 0, 'created': 0, 'errors': 0}
        self.folders = 0
        self.current = None

    def on_event(self, account, ev):
        kind = ev.get_kind()
        n = max(ev.get_n(), 1)
        if kind == Kind.FOLDER_STARTED:
            self.current = {'copied': 0, 'to_local': 0, 'to_remote': 0,
                            'deleted': 0, 'flags': 0}
        elif kind == Kind.FOLDER_CREATED:
            self.totals['created'] += 1
            print('  created folder %s in %s' % (ev.get_folder(), ev.get_repository()))
        elif kind == Kind.MESSAGE_COPIED and self.current is not None:
            self.current['copied'] += 1
            if ev.get_direction() == Mailsync.Direction.TO_LOCAL:
                self.current['to_local'] += 1
            else:
                self.current['to_remote'] += 1
        elif kind == Kind.MESSAGES_DELETED and self.current is not None:
            self.current['deleted'] += n
        elif kind in (Kind.FLAGS_ADDED, Kind.FLAGS_REMOVED) and self.current is not None:
            self.current['flags'] += n
        elif kind == Kind.FOLDER_FINISHED and self.current is not None:
            c = self.current
            print('  %-14s copied %d (%d to local, %d to remote), deleted %d, flags %d%s'
                  % (ev.get_folder() + ':', c['copied'], c['to_local'], c['to_remote'],
                     c['deleted'], c['flags'],
                     '  ERROR: %s' % ev.get_error().message if ev.get_error() else ''))
            self.folders += 1
            for k in ('copied', 'deleted', 'flags'):
                self.totals[k] += c[k]
            self.current = None
        elif kind in (Kind.ERROR, Kind.WARNING, Kind.FOLDER_SKIPPED):
            if kind == Kind.ERROR:
                self.totals['errors'] += 1
            err = ev.get_error()
            print('  %s: %s %s' % (kind.value_nick, ev.get_folder() or '',
                                   err.message if err else (ev.get_text() or '')))


def imap_remote():
    """The IMAP account from the environment: MAILSYNC_HOST etc. for a real
    account, else the demo Dovecot's DOVECOT_* variables."""
    env = os.environ
    host = env.get('MAILSYNC_HOST') or env.get('DOVECOT_HOST')
    if not host:
        return None
    if env.get('MAILSYNC_HOST'):
        port = int(env.get('MAILSYNC_PORT', '993'))
        remote = Mailsync.ImapRepository.new('Remote', host, port)
        remote.set_property('ssl', port == 993)
        remote.set_property('user', env.get('MAILSYNC_USER'))
        if env.get('MAILSYNC_PASSWORD'):
            remote.set_property('password', env['MAILSYNC_PASSWORD'])
        # else: ~/.netrc, as offlineimap does
    else:
        remote = Mailsync.ImapRepository.new('Remote', host, int(env['DOVECOT_PORT']))
        remote.set_property('ssl', False)    # STARTTLS on the plain port
        remote.set_property('user', env['DOVECOT_USER'])
        remote.set_property('password', env['DOVECOT_PASS'])
        remote.set_property('ca-file', env['DOVECOT_CA'])
    return remote


def sync(top):
    remote = imap_remote()
    if remote is None:
        remote = Mailsync.MaildirRepository.new('Remote', os.path.join(top, 'remote'), ord('.'))
        remote.set_property('assign-uids', True)
    os.makedirs(os.path.join(top, 'Mail'), exist_ok=True)
    os.makedirs(os.path.join(top, 'metadata'), exist_ok=True)
    local = Mailsync.MaildirRepository.new('Local', os.path.join(top, 'Mail'), ord('.'))
    status = Mailsync.StatusSqlite.new(os.path.join(top, 'metadata'))
    account = Mailsync.Account.new('demo', remote, local, status)
    report = Report()
    account.connect('event', report.on_event)
    t0 = time.monotonic()
    try:
        account.sync(None)
        ok = True
    except gi.repository.GLib.Error as e:
        print('  sync failed: %s' % e.message)
        ok = False
    t = report.totals
    print('summary: %d folders, copied %d, deleted %d, flag changes %d, '
          'folders created %d, errors %d, %.2f s'
          % (report.folders, t['copied'], t['deleted'], t['flags'], t['created'],
             t['errors'], time.monotonic() - t0))
    return 0 if ok and t['errors'] == 0 else 1


def mark_read(top, count):
    cur = os.path.join(top, 'Mail', 'INBOX', 'cur')
    new = os.path.join(top, 'Mail', 'INBOX', 'new')
    done = 0
    for d in (new, cur):
        for name in sorted(os.listdir(d)):
            if done == count:
                break
            base, _, flags = name.partition(':2,')
            if 'S' in flags:
                continue
            os.rename(os.path.join(d, name),
                      os.path.join(cur, base + ':2,' + ''.join(sorted(flags + 'S'))))
            done += 1
    print('marked %d messages in Mail/INBOX as read' % done)


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    top, cmd = argv[1], argv[2]
    if cmd == 'generate':
        generate(top)
        return 0
    if cmd == 'sync':
        return sync(top)
    if cmd == 'mark-read':
        mark_read(top, int(argv[3]) if len(argv) > 3 else 3)
        return 0
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
