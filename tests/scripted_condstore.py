"""A scripted CONDSTORE server for the prefetch tests (check-imap-prefetch.py,
check-imap-prefetch-guards.c) and the record after our own flag STOREs
(check-sync-unchanged.py): HIGHESTMODSEQ in SELECT and STATUS, the
listing's UID FETCH ... (CHANGEDSINCE m) answered with the messages added
or changed since the initial sync, partial fetches (BODY.PEEK[]<o.n>)
answered with that part, and the faults a test asks for:

- refuse_select = (mailbox, text): the next SELECT of that mailbox is
  answered "<tag> NO <text>" while (a misbehaving server) the previous
  mailbox stays selected, so the FETCHes behind it read that mailbox;
- prefetch_reply(server, session, tag, line, parts) -> bytes: the answer
  to the prefetch's `UID FETCH a:b (UID BODY.PEEK[]<0.n>)` instead of
  the normal one; @parts is [(seq, uid, part bytes, whole bytes)];
- rest_reply(server, session, tag, line, parts): the same for a partial
  fetch from another origin (the rest of a prefetched part);
- size_skew: added to every RFC822.SIZE of the CHANGEDSINCE listing (a
  server whose sizes are not its bodies' lengths, as Exchange's).

With store_modseqs (check-sync-unchanged.py "scripted own stores"), a UID
STORE is RFC 7162's: when it changes messages it takes the next
mod-sequence (one for the command, as Dovecot) and is answered `FETCH (UID
u MODSEQ (m))` for each message it changed (and FLAGS without .SILENT),
after what another client's changes left to report (foreign_store);
before_store(server, session), called before a STORE is applied, makes
another client's change right then. With report_unchanged, a STORE also
answers `FETCH (UID u MODSEQ (m))` for each message of its set it did not
change, m that message's current mod-sequence (RFC 4551 Example 3,
erratum 3401: a server may). With deliver_early, another client's changes
are reported in the answer to the next command that is not a UID STORE
(as a body FETCH, a NOOP or a SELECT again may carry them), not in the
STORE's; before_command(server, session, verb, line) is called before
every command is answered.

Every partial FETCH line is kept in `partials`."""

import re

import scripted_imap

PARTIAL = re.compile(r"BODY\.PEEK\[\]<(\d+)\.(\d+)>")


def part_item(seq, uid, origin, part):
    return b"* %d FETCH (UID %d BODY[]<%d> {%d}\r\n" % (seq, uid, origin, len(part)) + part + b")\r\n"


class CondstoreServer(scripted_imap.ScriptedImapServer):
    CAPABILITIES = "IMAP4rev1 UIDPLUS NAMESPACE CONDSTORE"

    def __init__(self, folders=("INBOX",)):
        super().__init__(folders)
        self.greeting = "* OK [CAPABILITY %s AUTH=PLAIN] scripted server ready\r\n" % self.CAPABILITIES
        self.modseq = {n: 10 for n in folders}
        self.changed = {n: set() for n in folders}
        self.refuse_select = None
        self.refused = None
        self.fetch_after_refusal = 0
        self.prefetch_reply = None
        self.rest_reply = None
        self.partials = []
        self.size_skew = 0
        self.store_modseqs = False
        self.before_store = None
        self.pending = []           # another client's changes, to report
        self.report_unchanged = False
        self.deliver_early = False
        self.before_command = None
        self.msg_modseq = {}        # (mailbox, uid) -> its last change's mod-sequence
        self.hook = self.early_hook

    def new_mail(self, name, body, flags=()):
        """Adds a message to @name as new mail since the initial sync."""
        with self.lock:
            uid = self.mailboxes[name].add(body, flags)
            self.changed[name].add(uid)
            self.modseq[name] += 1
            self.msg_modseq[(name, uid)] = self.modseq[name]
        return uid

    def foreign_store(self, name, uid, flags, notify=True):
        """Another client adds @flags to message @uid of @name: the next
        mod-sequence; with @notify, the change is reported (FETCH with
        FLAGS and MODSEQ) in the next STORE's answer."""
        with self.lock:
            for seq, m in enumerate(self.mailboxes[name].messages, 1):
                if m[0] == uid:
                    m[1] |= set(flags)
                    self.modseq[name] += 1
                    self.msg_modseq[(name, uid)] = self.modseq[name]
                    self.changed[name].add(uid)
                    if notify:
                        self.pending.append("* %d FETCH (UID %d FLAGS (%s) MODSEQ (%d))\r\n"
                                            % (seq, uid, " ".join(sorted(m[1])), self.modseq[name]))

    def store_answer(self, session, tag, line):
        """UID STORE as RFC 7162 has it (store_modseqs)."""
        name = session.selected
        mb = self.mailboxes[name]
        set_text, op, flags = line.split(" ", 2)[2].split(" ", 2)
        flags = set(flags.strip("()").split())
        silent = op.upper().endswith(".SILENT")
        with self.lock:
            out = ""
            if not self.deliver_early:
                out, self.pending = "".join(self.pending), []
            uids = scripted_imap.uid_set(set_text, mb)
            changed, unchanged = [], []
            for seq, m in enumerate(mb.messages, 1):
                if m[0] not in uids:
                    continue
                new = m[1] | flags if op.startswith("+") else m[1] - flags if op.startswith("-") else set(flags)
                if new != m[1]:
                    m[1] = new
                    changed.append((seq, m))
                else:
                    unchanged.append((seq, m))
            if changed:
                self.modseq[name] += 1
            for seq, m in changed:
                self.changed[name].add(m[0])
                self.msg_modseq[(name, m[0])] = self.modseq[name]
                out += "* %d FETCH (UID %d MODSEQ (%d)%s)\r\n" % (
                    seq, m[0], self.modseq[name], "" if silent else " FLAGS (%s)" % " ".join(sorted(m[1])))
            if self.report_unchanged:
                for seq, m in unchanged:
                    out += "* %d FETCH (UID %d MODSEQ (%d))\r\n" % (seq, m[0], self.msg_modseq.get((name, m[0]), 1))
        return out + "%s OK Store completed\r\n" % tag

    def recreate(self, name, bodies):
        """@name deleted and created again (another UIDVALIDITY) with
        @bodies, at UIDs 1 and up."""
        with self.lock:
            old = self.mailboxes[name]
            mb = scripted_imap.Mailbox(old.uidvalidity + 100)
            for body in bodies:
                mb.add(body)
            self.mailboxes[name] = mb
            self.changed[name] = set(m[0] for m in mb.messages)
            self.modseq[name] += 1

    def fetch_answer(self, session, tag, line):
        """The UID FETCH of the mailbox the session has selected, whatever
        the client meant (a server that kept it after a refused SELECT)."""
        name = session.selected
        mb = self.mailboxes[name]
        set_text = line.split(" ")[2]
        partial = PARTIAL.search(line)
        parts, out = [], b""
        with self.lock:
            uids = scripted_imap.uid_set(set_text, mb)
            for seq, m in enumerate(mb.messages, 1):
                if m[0] not in uids:
                    continue
                if partial:
                    origin, count = int(partial.group(1)), int(partial.group(2))
                    parts.append((seq, m[0], m[2][origin:origin + count], m[2]))
                elif m[0] in self.changed[name]:
                    out += ("* %d FETCH (UID %d FLAGS (%s) RFC822.SIZE %d INTERNALDATE "
                            "\"25-Nov-2026 10:00:00 +0000\" MODSEQ (%d))\r\n"
                            % (seq, m[0], " ".join(sorted(m[1])), len(m[2]) + self.size_skew,
                               self.modseq[name])).encode()
        if partial:
            origin = int(partial.group(1))
            reply = self.prefetch_reply if origin == 0 else self.rest_reply
            if reply is not None:
                return reply(self, session, tag, line, parts)
            out = b"".join(part_item(seq, uid, origin, part) for seq, uid, part, _ in parts)
        return out + ("%s OK Fetch completed\r\n" % tag).encode()

    def early_hook(self, server, session, tag, verb, line):
        """condstore_hook, after before_command, with deliver_early's
        reports in front of the answer."""
        if self.before_command is not None:
            self.before_command(self, session, verb, line)
        reply = self.condstore_hook(server, session, tag, verb, line)
        with self.lock:
            if not self.deliver_early or not self.pending or verb in ("UID STORE", "LOGOUT", "APPEND") \
                    or session.selected is None or not isinstance(reply, (scripted_imap.Reply, type(None))):
                return reply
            early, self.pending = "".join(self.pending).encode(), []
        if reply is None:
            out = self.answer(session, tag, verb, line, [])
            reply = scripted_imap.Reply(out if isinstance(out, bytes) else out.encode())
        return scripted_imap.Reply(early + reply.text, reply.close)

    def condstore_hook(self, server, session, tag, verb, line):
        args = line.split(" ", 1)[1] if " " in line else ""
        if verb == "SELECT":
            name = self.mailbox_name(args)
            before = session.selected
            if self.refuse_select and self.refuse_select[0] == name and before not in (None, name):
                self.refused, text = name, self.refuse_select[1]
                self.refuse_select = None
                return scripted_imap.Reply("%s NO %s\r\n" % (tag, text))
            out = self.answer(session, tag, verb, line, [])
            return scripted_imap.Reply(out.replace("* OK [UIDNEXT", "* OK [HIGHESTMODSEQ %d] ok\r\n* OK [UIDNEXT"
                                                   % self.modseq.get(name, 1), 1))
        if verb == "STATUS":
            name = self.mailbox_name(args)
            mb = self.mailboxes[name]
            return scripted_imap.Reply('* STATUS "%s" (MESSAGES %d UIDNEXT %d UIDVALIDITY %d HIGHESTMODSEQ %d)\r\n'
                                       '%s OK STATUS completed\r\n'
                                       % (name, len(mb.messages), mb.uidnext, mb.uidvalidity,
                                          self.modseq[name], tag))
        if verb == "UID STORE" and self.store_modseqs and session.selected is not None:
            if self.before_store is not None:
                self.before_store(self, session)
            return scripted_imap.Reply(self.store_answer(session, tag, line))
        if verb == "UID FETCH" and ("CHANGEDSINCE" in line or PARTIAL.search(line)):
            if PARTIAL.search(line):
                with self.lock:
                    self.partials.append(line)
                if self.refused is not None:
                    self.fetch_after_refusal += 1
            return scripted_imap.Reply(self.fetch_answer(session, tag, line))
        return None
