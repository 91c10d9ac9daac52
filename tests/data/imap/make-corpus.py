#!/usr/bin/env python3
"""Writes the IMAP parser corpus (valid/, invalid/, impl/) byte-exactly.

Each entry is a server stream. Lines are joined with CRLF; L(b) makes a
literal "{n}" CRLF <bytes> so sizes are always right. The valid transcripts
follow Dovecot 2.3 (the lab server, reference/dovecot-harness.md) plus
Gmail and Exchange quirks. Run from this directory; commit the output.
"""
import os

CRLF = b"\r\n"


def L(data, prefix=b""):
    if isinstance(data, str):
        data = data.encode()
    return prefix + b"{%d}" % len(data) + CRLF + data


def L8(data):
    return b"~" + L(data)


def stream(*lines):
    out = b""
    for line in lines:
        out += line.encode() if isinstance(line, str) else line
        out += CRLF
    return out


MSG1 = (b"Return-Path: <alice@example.org>\r\nX-OfflineIMAP: 1795626001-123\r\n"
        b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n"
        b"Subject: Hello\r\nDate: Wed, 25 Nov 2026 17:06:43 +0000\r\n\r\n"
        b"Hello Bob,\r\n(this body has parens) and {braces} and \"quotes\"\r\n* 3 EXPUNGE\r\n")
MSG2 = b"Subject: second\r\n\r\nshort\r\n"

VALID = {
    "dovecot-greeting-login": stream(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.",
        "A0001 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE] Logged in",
        "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN",
        "A0002 OK Pre-login capabilities listed, post-login capabilities have more.",
        '* ID ("name" "Dovecot" "version" NIL)',
        "A0003 OK ID completed (0.001 + 0.000 secs).",
        "* ENABLED CONDSTORE QRESYNC",
        "A0004 OK Enabled.",
        '* NAMESPACE (("" ".")) NIL NIL',
        "A0005 OK Namespace completed (0.001 + 0.000 secs).",
        "* BYE Logging out",
        "A0006 OK Logout completed (0.001 + 0.000 secs)."),
    "dovecot-select": stream(
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $MDNSent)",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $MDNSent \\*)] Flags permitted.",
        "* 11 EXISTS",
        "* 0 RECENT",
        "* OK [UNSEEN 3] First unseen.",
        "* OK [UIDVALIDITY 1795626001] UIDs valid",
        "* OK [UIDNEXT 12] Predicted next UID",
        "* OK [HIGHESTMODSEQ 5] Highest",
        "A0007 OK [READ-WRITE] Select completed (0.002 + 0.000 + 0.001 secs)."),
    "dovecot-qresync-select": stream(
        "* OK [CLOSED] Previous mailbox closed.",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* OK [PERMANENTFLAGS ()] Read-only mailbox.",
        "* 8 EXISTS",
        "* OK [UIDVALIDITY 1795626001] UIDs valid",
        "* OK [UIDNEXT 12] Predicted next UID",
        "* OK [HIGHESTMODSEQ 9223372036854775807] Highest",
        "* VANISHED (EARLIER) 1:3,7,9:10",
        "* 5 FETCH (UID 9 FLAGS (\\Seen) MODSEQ (12))",
        "* VANISHED 11",
        "A0008 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs)."),
    "dovecot-fetch-meta": stream(
        '* 1 FETCH (UID 1 RFC822.SIZE 1234 FLAGS (\\Seen $Forwarded) INTERNALDATE "25-Nov-2026 17:06:43 +0000" MODSEQ (3))',
        '* 2 FETCH (UID 4 RFC822.SIZE 99 FLAGS (\\Recent \\Answered \\Flagged \\Deleted \\Draft) INTERNALDATE " 5-Nov-2026 07:06:43 -0800" MODSEQ (4))',
        "* 3 EXPUNGE",
        '* 3 FETCH (UID 7 RFC822.SIZE 5000000000 FLAGS () INTERNALDATE "01-Jan-1970 00:00:00 +0000" MODSEQ (5))',
        "* 4 EXISTS",
        "* 2 FETCH (FLAGS (\\Seen))",
        "A0009 OK Fetch completed (0.001 + 0.000 secs)."),
    "dovecot-fetch-bodies": (
        b"* 1 FETCH (UID 1 BODY[] " + L(MSG1) + b")" + CRLF
        + b"* 3 EXPUNGE" + CRLF
        + b"* 2 FETCH (UID 2 FLAGS (\\Seen) BODY[] " + L(MSG2) + b" MODSEQ (7))" + CRLF
        + b"* 4 FETCH (UID 8 BODY[HEADER.FIELDS (X-OFFLINEIMAP MESSAGE-ID)] "
        + L(b"X-OfflineIMAP: 1795626001-9\r\n\r\n") + b")" + CRLF
        + b"* 5 FETCH (UID 9 BODY[]<0> " + L(b"Subj") + b" BODY[TEXT] \"inline\")" + CRLF
        + b"* 6 FETCH (UID 10 BODY[] NIL)" + CRLF
        + b"* 7 FETCH (UID 11 BODY[] " + L(b"") + b")" + CRLF
        + b"* 8 FETCH (UID 12 BINARY[] " + L8(b"bin\x00ary\r\n") + b" BINARY.SIZE[] 10)" + CRLF
        + b"* 9 FETCH (UID 13 RFC822.HEADER " + L(b"A: b\r\n\r\n") + b" RFC822 " + L(b"A: b\r\n\r\nx") + b")" + CRLF
        + b"A0010 OK Fetch completed (0.001 + 0.000 secs)." + CRLF),
    "dovecot-fetch-structure": stream(
        '* 1 FETCH (UID 1 BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 1 NIL NIL NIL NIL)("application" "pdf" ("name" "a.pdf") NIL NIL "base64" 4096 NIL ("attachment" ("filename" "a.pdf")) NIL NIL) "mixed" ("boundary" "xyz") NIL NIL NIL) ENVELOPE ("Wed, 25 Nov 2026 17:06:43 +0000" "Hello" (("Alice" NIL "alice" "example.org")) NIL NIL (("Bob" NIL "bob" "example.org")) NIL NIL NIL "<id@example.org>") PREVIEW "Hi there" EMAILID (M6d99ac3275bb4e) X-UNKNOWN-ITEM (a "b" (c NIL) 12) X-SECTIONED[1.2] (x) BINARY.SIZE[1] 42)',
        "A0011 OK Fetch completed."),
    "dovecot-append-copy": stream(
        "+ OK",
        "A0012 OK [APPENDUID 1795626001 12] Append completed (0.004 + 0.006 + 0.003 secs).",
        "A0013 OK [APPENDUID 1795626001 13:15] Append completed.",
        "A0014 OK [COPYUID 1795626001 1:3,5 20:23] Copy completed.",
        "* OK [COPYUID 1795626002 4,2 31:32] Moved UIDs.",
        "* 4 EXPUNGE",
        "* 2 EXPUNGE",
        "A0015 OK Move completed.",
        "A0016 NO [TRYCREATE] Mailbox doesn't exist: Archive",
        "A0017 NO [ALREADYEXISTS] Mailbox already exists",
        "* OK [UIDNEXT 16] after append"),
    "dovecot-list": (
        stream('* LIST (\\HasNoChildren) "." INBOX',
               '* LIST (\\HasChildren \\Noselect) "." Archive',
               '* LIST (\\HasNoChildren \\Drafts) "." "Entw&APw-rfe"',
               '* LIST (\\HasNoChildren \\Sent) "/" "Sent Items"',
               '* LIST (\\HasNoChildren) "." "&ZeVnLIqe-"',
               '* LIST (\\HasNoChildren) "." "Tom &- Jerry"',
               '* LIST (\\Noinferiors) NIL "flat"',
               '* LIST (\\HasNoChildren) "\\\\" "a\\\\b"',
               '* LIST (\\Subscribed) "/" "Foo/Bar" ("CHILDINFO" ("SUBSCRIBED"))',
               '* LIST () "." inbox',
               '* LSUB () "." "Archive.2026"',
               '* STATUS INBOX (MESSAGES 11 UIDNEXT 12 UIDVALIDITY 1795626001 UNSEEN 2 HIGHESTMODSEQ 5)',
               '* STATUS "Entw&APw-rfe" (MESSAGES 0 SIZE 0 RECENT 0)',
               "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292) ")
        + b"* LIST (\\HasNoChildren) \"/\" " + L("folder name") + CRLF
        + b"* STATUS " + L(b"a\"b") + b" (MESSAGES 1)" + CRLF
        + stream("A0018 OK List completed (0.001 + 0.000 secs).")),
    "search": stream(
        "* SEARCH 2 3 6",
        "* SEARCH",
        "* SEARCH 1 5 (MODSEQ 917162500)",
        '* ESEARCH (TAG "A0019") UID ALL 1:3,5 COUNT 4 MIN 1 MAX 5',
        '* ESEARCH (TAG "A0020") UID COUNT 0',
        "* ESEARCH UID MODSEQ 42 ALL 4294967295",
        "A0021 OK Search completed (0.001 + 0.000 secs)."),
    "gmail": stream(
        "* OK Gimap ready for requests from 192.0.2.1 k1mb1234",
        "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584",
        '* 1 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID 1278455344230334865 X-GM-LABELS (\\Inbox \\Sent Important "Muy Importante" "&AOk-t&AOk-") UID 1 FLAGS (\\Seen))',
        '* 2 FETCH (X-GM-LABELS () UID 2)',
        '* LIST (\\HasNoChildren \\All) "/" "[Gmail]/All Mail"',
        '* LIST (\\HasChildren \\Noselect) "/" "[Gmail]"',
        "A1 OK Success"),
    "status-responses": stream(
        "* OK [ALERT] System shutdown in 10 minutes",
        "* NO [UNAVAILABLE] Temporary failure",
        "* BAD Something odd",
        "* OK [XPROPRIETARY foo bar (baz)] vendor code",
        "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences",
        "* OK [CAPABILITY IMAP4rev1 IDLE] caps",
        "* OK [BADCHARSET (UTF-8 US-ASCII)] bad charset",
        "* OK [MODIFIED 7,9] Conditional STORE failed",
        "+ idling",
        "+ dGVzdA==",
        "* PREAUTH IMAP4rev1 server logged in as Smith",
        "a.b-c OK done",
        "A1 BAD Error in IMAP command: Unknown command.",
        "A2 NO [AUTHENTICATIONFAILED] Authentication failed.",
        "* XAPPLEPUSHSERVICE aps-version 2 (a b) x",
        "* 7 XWEIRD (a b)",
        "* BYE Server shutting down."),
    "exchange": stream(
        "* OK The Microsoft Exchange IMAP4 service is ready. [TQBOADIAUABSADAAMQBDAEEAMAAwADEANgA2AC4AbgBhAG0AcAByAGQAMAAxAC4AcAByAG8AZAAuAG8AdQB0AGwAbwBvAGsALgBjAG8AbQA=]",
        "* 14 FETCH (FLAGS (\\Seen \\Recent) )",
        "* 15 FETCH (UID 102 )",
        "* LIST (\\Marked \\HasNoChildren) \"/\" \"Sent Items\"",
        "A5 OK [READ-WRITE] SELECT completed."),
}

INVALID = {
    "huge-literal-count": b"* 1 FETCH (BODY[] {99999999999999999999999}\r\nabc",
    "number-overflow": stream("* 4294967296 EXISTS"),
    "uid-overflow": stream("* 1 FETCH (UID 4294967296)"),
    "uid-zero": stream("* 1 FETCH (UID 0)"),
    "uid-negative": stream("* 1 FETCH (UID -3)"),
    "uidnext-negative": stream("* OK [UIDNEXT -5] Predicted"),
    "modseq-overflow": stream("* 1 FETCH (MODSEQ (9223372036854775808))"),
    "rfc822-size-overflow": stream("* 1 FETCH (RFC822.SIZE 99999999999999999999)"),
    "unterminated-quote": stream('* LIST () "/ INBOX'),
    "unterminated-quote-literal": stream('* LIST () "/" "abc {5}') + b"hello" + CRLF,
    "nul-byte": b"* OK hel\x00lo\r\n",
    "missing-crlf": b"* OK no end of line",
    "deep-parens": b"* 1 FETCH (BODYSTRUCTURE " + b"(" * 10000 + b")" * 10000 + b")\r\n",
    "deep-parens-unclosed": b"* 1 FETCH (X " + b"(" * 100 + CRLF,
    "bare-cr": b"* OK a\rb\r\n",
    "bare-lf": b"* OK fine\r\n* OK hi\n",
    "lf-first": b"\n* OK after a bare LF\r\n",  # fuzzer: empty line text in the error path
    "truncated-literal": b"* 1 FETCH (BODY[] {10}\r\nabc",
    "literal-mid-line": stream('* LIST () "/" {5} x'),
    "bad-tagged-status": stream("A1 MAYBE done"),
    "tagged-bye": stream("A1 BYE done"),
    "tag-with-plus": stream("A+1 OK done"),
    "vanished-trailing-comma": stream("* VANISHED 1:3,"),
    "vanished-star": stream("* VANISHED 1:*"),
    "appenduid-zero": stream("A1 OK [APPENDUID 1 0] x"),
    "copyuid-mismatch": stream("A1 OK [COPYUID 1 1:3 4:5] x"),
    "bad-date": stream('* 1 FETCH (INTERNALDATE "32-Nov-2026 17:06:43 +0000")'),
    "bad-date-month": stream('* 1 FETCH (INTERNALDATE "02-Foo-2026 17:06:43 +0000")'),
    "garbage-after-exists": stream("* 3 EXISTS foo"),
    "unbalanced-fetch": stream("* 1 FETCH (UID 1"),
    "bad-escape": stream('* LIST () "/" "a\\qb"'),
    "long-delimiter": stream('* LIST () "//" INBOX'),
    "expunge-zero": stream("* 0 EXPUNGE"),
    "fetch-zero": stream("* 0 FETCH (UID 1)"),
    "code-unclosed": stream("* OK [UIDNEXT 5 text"),
    "empty-line": stream(""),
    "only-star": stream("*"),
    "list-missing-name": stream('* LIST () "/"'),
    "status-unclosed": stream("* STATUS INBOX (MESSAGES 1"),
    "nul-in-literal-name": b"* LIST () \"/\" " + L(b"a\x00b") + CRLF,
    "search-zero": stream("* SEARCH 1 0 2"),
    "after-error": stream("* 1 FETCH (UID x)", "* OK fine"),
}

IMPL = {
    "plus-alone": stream("+", "+ "),
    "ok-alone": stream("* OK", "A1 OK"),
    "search-trailing-space": stream("* SEARCH "),
    "eight-bit-text": "* OK Grüße aus Köln\r\n".encode("utf-8") + b"* OK \xff\xfe broken\r\n",
    "eight-bit-mailbox": '* LIST () "/" "Entwürfe"\r\n'.encode("utf-8"),
    "server-literal-plus": b"* LIST () \"/\" {3+}\r\nabc\r\n",
    "bad-mutf7-names": stream('* LIST () "/" "&AGE-"', '* LIST () "/" "&Jjo"',
                              '* LIST () "/" "&AOQ-&APY-"', '* LIST () "/" "&2D3eAA-"'),
    "section-literal": b"* 1 FETCH (BODY[HEADER.FIELDS (" + L(b"X-Foo") + b")] {2}\r\nab)\r\n",
    "stray-bracket-permanentflags": stream("* OK [PERMANENTFLAGS (\\Seen foo])] x"),
    "empty-text-after-code": stream("* OK [READ-WRITE]", "A1 OK [READ-ONLY]"),
    "lowercase-keywords": stream("* ok [uidnext 5] lower", "* 2 exists", "* 1 fetch (uid 4 flags (\\seen))", "a1 ok done"),
    "unicode-quoted-tag": stream("A\u00e91 OK done"),
    "bodystructure-no-sp": stream('* 1 FETCH (BODY (("text" "plain" NIL NIL NIL "7bit" 1 1)("text" "html" NIL NIL NIL "7bit" 1 1) "alternative"))'),
    "literal8-in-list": b"* LIST () \"/\" ~{3}\r\nabc\r\n",
    "bare-lf-everywhere": b"* OK a\n* 1 EXISTS\n",
    "id-nil": stream("* ID NIL"),
    "namespace-ext": stream('* NAMESPACE (("" "/")("#mh/" "/" "X-PARAM" ("FLAG1" "FLAG2"))) (("~" "/")) (("#shared/" "/")("#public/" "/"))'),
}


def write(kind, entries):
    os.makedirs(kind, exist_ok=True)
    for name, data in entries.items():
        with open(os.path.join(kind, name + ".txt"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("valid", VALID)
    write("invalid", INVALID)
    write("impl", IMPL)
