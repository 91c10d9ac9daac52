"""A scripted CONDSTORE server for the prefetch tests (check-imap-prefetch.py,
check-imap-prefetch-guards.c): HIGHESTMODSEQ in SELECT and STATUS, the
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
        self.hook = self.condstore_hook

    def new_mail(self, name, body, flags=()):
        """Adds a message to @name as new mail since the initial sync."""
        with self.lock:
            uid = self.mailboxes[name].add(body, flags)
            self.changed[name].add(uid)
            self.modseq[name] += 1
        return uid

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
        if verb == "UID FETCH" and ("CHANGEDSINCE" in line or PARTIAL.search(line)):
            if PARTIAL.search(line):
                with self.lock:
                    self.partials.append(line)
                if self.refused is not None:
                    self.fetch_after_refusal += 1
            return scripted_imap.Reply(self.fetch_answer(session, tag, line))
        return None
