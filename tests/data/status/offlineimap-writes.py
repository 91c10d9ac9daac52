#!/usr/bin/python3
# Writes a LocalStatus-sqlite file with offlineimap's own code (Debian
# package offlineimap3), to check sqlite-v2/INBOX is what offlineimap makes:
#   /usr/bin/python3 offlineimap-writes.py /tmp/x/INBOX
#   diff <(sqlite3 sqlite-v2/INBOX .dump) <(sqlite3 /tmp/x/INBOX .dump)
# (no differences with offlineimap3 0.0~git20211018 on Debian 12). Not run by
# "make check": it needs offlineimap3 installed.
import sqlite3
import sys
import types

sys.path.insert(0, '/usr/share/offlineimap3')
from offlineimap.folder.LocalStatusSQLite import LocalStatusSQLiteFolder, DatabaseFileLock

# Skip BaseFolder.__init__ (it wants a whole repository and config); set
# just what openfiles()/savemessage() use.
f = LocalStatusSQLiteFolder.__new__(LocalStatusSQLiteFolder)
f.filename = sys.argv[1]
f.name = 'INBOX'
f.repository = 'R'
f.messagelist = {}
f._databaseFileLock = DatabaseFileLock()
f._threading_mode_const = sqlite3.threadsafety
f._in_transactions = 0
f.dofsync = lambda: True
f.ui = types.SimpleNamespace(_msg=print, debug=lambda *a: None)

f.openfiles()
f.cachemessagelist()
f.savemessage(1, None, set('S'), 0)
f.savemessage(2, None, set(), 0)
f.savemessage(3, None, set('SF'), 0)
f.savemessage(17, None, set('S'), 0, 1446590057, {'work', '\\Inbox'})
f.closefiles()
