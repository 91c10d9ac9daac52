/* maildir-sync.vala: a Vala client of libmailsync through the shipped
 * libmailsync-1.0.vapi.  Syncs the Maildir REMOTE into LOCAL (status in
 * STATUS) with Account.sync_async from its own main loop, counts the
 * copied messages from the account's events, then syncs again and
 * expects no copy, and lists what LOCAL holds through the .vapi's
 * containers (GenericArray of folders and of messages, sync and async).
 * Prints TAP; built and run by bindings/check-vala.sh. */

int checks = 0;
bool failed = false;

void check (bool ok, string label) {
    checks++;
    print ("%s %d - %s\n", ok ? "ok" : "not ok", checks, label);
    if (!ok)
        failed = true;
}

async bool sync_once (Mailsync.Account account, out int copied) throws Error {
    int n = 0;
    /* events arrive on this thread's main context, the one sync_async
     * was called from */
    ulong id = account.event.connect ((event) => {
        if (event.get_kind () == Mailsync.SyncEventKind.MESSAGE_COPIED)
            n++;
    });
    bool ok = yield account.sync_async (null);
    account.disconnect (id);
    copied = n;
    return ok;
}

/* The messages of every folder of REPOSITORY: list_folders (a
 * GenericArray of weak folders, transfer container) and
 * list_messages_async (owned, the finish function's array). */
async int count_messages (Mailsync.Repository repository) throws Error {
    int n = 0;
    var folders = repository.list_folders ();
    foreach (unowned Mailsync.Folder folder in folders) {
        var infos = yield folder.list_messages_async (null);
        foreach (var info in infos) {
            if (info.get_uid () > 0)
                n++;
        }
    }
    return n;
}

int main (string[] args) {
    if (args.length != 4) {
        stderr.printf ("usage: %s REMOTE LOCAL STATUS\n", args[0]);
        return 2;
    }
    var remote = new Mailsync.MaildirRepository ("Remote", args[1], '.');
    remote.set_assign_uids (true);
    var local = new Mailsync.MaildirRepository ("Local", args[2], '.');
    /* returns the interface type, so the .vapi has it as a static "new" */
    var status = Mailsync.StatusSqlite.@new (args[3]);
    var account = new Mailsync.Account ("vala", remote, local, status);
    var loop = new MainLoop ();

    sync_once.begin (account, (obj, res) => {
        try {
            int copied;
            bool ok = sync_once.end (res, out copied);
            check (ok, "Account.sync_async from Vala");
            check (copied == 3, "the three messages are copied (%d)".printf (copied));
            sync_once.begin (account, (obj2, res2) => {
                try {
                    int again;
                    check (sync_once.end (res2, out again) && again == 0, "a second sync copies nothing");
                } catch (Error e) {
                    check (false, "a second sync: " + e.message);
                }
                count_messages.begin (local, (obj3, res3) => {
                    try {
                        int listed = count_messages.end (res3);
                        check (listed == 3, "Repository.list_folders and Folder.list_messages_async list the three (%d)".printf (listed));
                    } catch (Error e) {
                        check (false, "listing the local Maildir: " + e.message);
                    }
                    loop.quit ();
                });
            });
        } catch (Error e) {
            check (false, "Account.sync_async from Vala: " + e.message);
            loop.quit ();
        }
    });
    loop.run ();
    print ("1..%d\n", checks);
    return failed ? 1 : 0;
}
