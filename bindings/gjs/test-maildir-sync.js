// GJS test of the Mailsync-1.0 typelib: open a Maildir repository, list
// its folders and messages, fetch one, sync it to a second Maildir (a
// SQLite status store in between), then sync again with a status store
// written in JavaScript, whose load vfunc hands C containers that GJS
// built ((transfer full), see bindings/gir-fixup.awk).
//
// Prints TAP.  Run by bindings/check-gjs.sh with GI_TYPELIB_PATH and
// LD_LIBRARY_PATH at the build tree.

imports.gi.versions.Mailsync = '1.0';
const {GLib, Gio, GObject} = imports.gi;
const Mailsync = imports.gi.Mailsync;
const System = imports.system;

let n = 0;
let failed = 0;
function check(label, ok, detail) {
    n++;
    if (!ok)
        failed++;
    print(`${ok ? 'ok' : 'not ok'} ${n} - ${label}${ok || detail === undefined ? '' : ': ' + detail}`);
}

function makeMaildir(path) {
    for (const sub of ['cur', 'new', 'tmp'])
        GLib.mkdir_with_parents(GLib.build_filenamev([path, sub]), 0o700);
}

function message(i, tag) {
    return `From: alice@example.org\r\nTo: bob@example.org\r\nSubject: ${tag} ${i}\r\n` +
        `Message-ID: <${tag}.${i}@example.org>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n` +
        `\r\nBody ${i}.\r\n`;
}

function deliver(folder, name, text) {
    GLib.file_set_contents(GLib.build_filenamev([folder, 'new', name]), text);
}

function names(folder) {
    const out = [];
    for (const sub of ['new', 'cur']) {
        const dir = GLib.build_filenamev([folder, sub]);
        if (!GLib.file_test(dir, GLib.FileTest.IS_DIR))
            continue;
        const e = Gio.File.new_for_path(dir).enumerate_children('standard::name',
            Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
        let info;
        while ((info = e.next_file(null)) !== null)
            out.push(info.get_name());
        e.close(null);
    }
    return out.sort();
}

function readAll(stream) {
    const chunks = [];
    for (;;) {
        const bytes = stream.read_bytes(65536, null);
        if (bytes.get_size() === 0)
            break;
        chunks.push(new TextDecoder().decode(bytes.toArray()));
    }
    return chunks.join('');
}

function rmTree(path) {
    const file = Gio.File.new_for_path(path);
    const walk = f => {
        const type = f.query_file_type(Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
        if (type === Gio.FileType.DIRECTORY) {
            const e = f.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
            let info;
            while ((info = e.next_file(null)) !== null)
                walk(f.get_child(info.get_name()));
        }
        f.delete(null);
    };
    walk(file);
}

// A status store in JavaScript (GJS 1.74 cannot implement the async
// vfuncs of a folder: it refuses vfuncs that take a callback).  Its load
// vfunc hands C an array and a table that GJS built: (transfer full).
const JsStatusStore = GObject.registerClass({
    Implements: [Mailsync.StatusStore],
}, class JsStatusStore extends GObject.Object {
    _init() {
        super._init();
        this.folders = new Map();
        this.loads = 0;
    }

    vfunc_load(folder, cancellable) {
        this.loads++;
        const f = this.folders.get(folder) || {records: new Map(), meta: new Map()};
        const records = [...f.records.entries()].sort((a, b) => a[0] - b[0])
            .map(([uid, r]) => Mailsync.StatusRecord.new(uid, r.flags, r.mtime, r.labels));
        return [true, records, Object.fromEntries(f.meta)];
    }

    vfunc_commit(folder, batch, cancellable) {
        if (!this.folders.has(folder))
            this.folders.set(folder, {records: new Map(), meta: new Map()});
        const f = this.folders.get(folder);
        for (let i = 0; i < batch.get_length(); i++) {
            const [kind, record, uid, key, value] = batch.get_op(i);
            if (kind === Mailsync.StatusOpKind.PUT)
                f.records.set(record.uid, {flags: record.flags, mtime: record.mtime, labels: record.labels});
            else if (kind === Mailsync.StatusOpKind.REMOVE)
                f.records.delete(uid);
            else if (value === null)
                f.meta.delete(key);
            else
                f.meta.set(key, value);
        }
        return true;
    }

    vfunc_purge(folder, cancellable) {
        this.folders.delete(folder);
        return true;
    }

    vfunc_get_path(folder) {
        return `js:${folder}`;
    }
});

const top = GLib.dir_make_tmp('mailsync-gjs-XXXXXX');
const SEP = '.'.charCodeAt(0);
try {
    const remoteRoot = GLib.build_filenamev([top, 'remote']);
    const localRoot = GLib.build_filenamev([top, 'local']);
    const statusDir = GLib.build_filenamev([top, 'metadata']);
    makeMaildir(GLib.build_filenamev([remoteRoot, 'INBOX']));
    makeMaildir(GLib.build_filenamev([remoteRoot, 'Work']));
    GLib.mkdir_with_parents(localRoot, 0o700);
    GLib.mkdir_with_parents(statusDir, 0o700);
    for (let i = 0; i < 3; i++)
        deliver(GLib.build_filenamev([remoteRoot, 'INBOX']), `170000000${i}.M${i}P1.gjs`, message(i, 'inbox'));
    deliver(GLib.build_filenamev([remoteRoot, 'Work']), '1700000009.M9P1.gjs', message(9, 'work'));

    // Open a Maildir repository and list what it has.
    const remote = Mailsync.MaildirRepository.new('Remote', remoteRoot, SEP);
    remote.assign_uids = true;
    check('Maildir repository opens', remote.open(null));
    let folders = remote.list_folders(null);
    const folderNames = folders.map(f => f.get_name()).sort();
    check('Repository.list_folders gives the folders', folderNames.join(',') === 'INBOX,Work', folderNames);
    const inbox = folders.find(f => f.get_name() === 'INBOX');
    folders = null;
    System.gc();
    check('a folder outlives the list', inbox.get_name() === 'INBOX' && inbox instanceof Mailsync.MaildirFolder);
    let infos = inbox.list_messages(null);
    check('Folder.list_messages gives three MessageInfos', infos.length === 3 &&
          infos.every(i => i instanceof Mailsync.MessageInfo), infos.length);
    const first = infos[0];
    infos = null;
    System.gc();
    check('a message outlives the list', first.get_size() > 0);
    const text = readAll(inbox.fetch_message(first, null));
    check('Folder.fetch_message gives the content', text.includes('Subject: inbox '), text.slice(0, 80));

    // Maildir -> Maildir sync.
    const local = Mailsync.MaildirRepository.new('Local', localRoot, SEP);
    const status = Mailsync.StatusSqlite.new(statusDir);
    const account = Mailsync.Account.new('gjs', remote, local, status);
    const events = [];
    account.connect('event', (acct, ev) => events.push([ev.get_kind(), ev.get_folder(),
        ev.get_error() ? ev.get_error().message : null]));
    check('Account.sync', account.sync(null));
    const errors = events.filter(e => e[0] === Mailsync.SyncEventKind.ERROR);
    check('no error events', errors.length === 0, JSON.stringify(errors));
    const copied = events.filter(e => e[0] === Mailsync.SyncEventKind.MESSAGE_COPIED).length;
    check('four messages copied', copied === 4, copied);
    const localInbox = names(GLib.build_filenamev([localRoot, 'INBOX']));
    check('local INBOX has the three messages with their UIDs',
          localInbox.length === 3 && localInbox.every(name => name.includes(',U=')), localInbox.join(' '));
    check('local Work has one', names(GLib.build_filenamev([localRoot, 'Work'])).length === 1);
    events.length = 0;
    check('a second sync', account.sync(null));
    check('copies nothing', events.filter(e => e[0] === Mailsync.SyncEventKind.MESSAGE_COPIED).length === 0);

    // StatusStore.load from JavaScript: (transfer container) out arrays.
    const [ok, records, meta] = status.load('INBOX', null);
    check('StatusStore.load', ok && records.length === 3 && records.every(r => r.uid > 0),
          `${ok} ${records.length}`);
    check('StatusStore.load meta is an object', typeof meta === 'object');

    // The same sync again with the status store in JavaScript.
    const jsStatus = new JsStatusStore();
    const jsLocalRoot = GLib.build_filenamev([top, 'local-js']);
    GLib.mkdir_with_parents(jsLocalRoot, 0o700);
    const jsAccount = Mailsync.Account.new('gjs-js', remote,
        Mailsync.MaildirRepository.new('LocalJs', jsLocalRoot, SEP), jsStatus);
    events.length = 0;
    jsAccount.connect('event', (acct, ev) => events.push([ev.get_kind(), ev.get_folder(),
        ev.get_error() ? ev.get_error().message : null]));
    check('Account.sync with a JavaScript status store', jsAccount.sync(null));
    check('copies the four messages', events.filter(e => e[0] === Mailsync.SyncEventKind.MESSAGE_COPIED).length === 4,
          JSON.stringify(events.filter(e => e[0] === Mailsync.SyncEventKind.ERROR)));
    System.gc();
    events.length = 0;
    check('a second sync with it', jsAccount.sync(null));
    const deleted = events.filter(e => e[0] === Mailsync.SyncEventKind.MESSAGES_DELETED).length;
    const copiedAgain = events.filter(e => e[0] === Mailsync.SyncEventKind.MESSAGE_COPIED).length;
    check('reads back what it stored: nothing copied or deleted', deleted === 0 && copiedAgain === 0 &&
          jsStatus.loads >= 4, `${copiedAgain} copied, ${deleted} deletions, ${jsStatus.loads} loads`);
    const [jsOk, jsRecords, jsMeta] = jsStatus.load('INBOX', null);
    check('StatusStore.load on a JavaScript store, through the C invoker',
          jsOk && jsRecords.map(r => r.uid).join(',') === '1,2,3', jsRecords.map(r => r.uid).join(','));
} catch (e) {
    check('ran to the end', false, `${e}\n${e.stack}`);
} finally {
    rmTree(top);
}
print(`1..${n}`);
System.exit(failed ? 1 : 0);
