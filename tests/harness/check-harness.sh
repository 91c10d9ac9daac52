#!/bin/sh
# make-check test for tests/harness/dovecot-harness: starts two private
# Dovecot instances (default and nouidplus variants) in parallel, fills a
# mailbox, talks IMAP over plain+STARTTLS and IMAPS with python3's imaplib
# (certificate verified against the instance's CA and 127.0.0.1), checks the
# PREAUTH tunnel and the byte counter, then stops both and asserts that no
# process of either instance is left.  TAP: the first failed step is a
# "not ok" and ends the script (no plan: the driver reports an ERROR too);
# a TAP skip plan without dovecot/root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
H="$here/dovecot-harness"

skip() { echo "1..0 # SKIP $*"; exit 0; }
[ -x /usr/sbin/dovecot ] || command -v dovecot >/dev/null 2>&1 \
	|| skip "dovecot not installed (apt-get install dovecot-imapd)"
command -v certtool >/dev/null 2>&1 || skip "certtool not installed (apt-get install gnutls-bin)"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
[ "$(id -u)" = 0 ] || skip "needs root (the Dovecot master runs as root)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dvh-check.XXXXXX")
chmod 755 "$tmp"
a="$tmp/a"
b="$tmp/b"
cleanup() {
	rc=$?
	trap - EXIT
	"$H" stop "$a" >/dev/null 2>&1 || :
	"$H" stop "$b" >/dev/null 2>&1 || :
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
# A failed step ends the script: its "not ok" and the plan so far.
fail() { echo "not ok $((n + 1)) - $*"; echo "1..$((n + 1))"; exit 1; }
t0=$(date +%s)

# Two instances at once, as under make -j. --owner: the harness runs
# Dovecot in a session of its own, so if this script dies of a SIGKILL (no
# trap runs), their watchdogs stop them.
"$H" start "$a" --owner $$ >"$tmp/a.out" &
pa=$!
"$H" start "$b" --variant nouidplus --owner $$ >"$tmp/b.out" &
pb=$!
wait $pa || fail "start default"
wait $pb || fail "start nouidplus"
pass "two instances started at once"
cmp -s "$tmp/a.out" "$a/env" || fail "start output differs from $a/env"
pass "start prints the env file"

"$H" fill "$a" alice INBOX 5 --seed 1 >"$tmp/fill.out" || fail "fill"
sed "s/^/# /" "$tmp/fill.out"
"$H" fill "$a" alice Work 3 --seed 2 --sizes small >/dev/null || fail "fill Work"
[ "$(ls "$a/mail/alice/new" "$a/mail/alice/cur" | grep -c harness)" = 5 ] \
	|| fail "fill did not write 5 files into the INBOX Maildir"
[ "$(stat -c %U "$a/mail/alice/.Work/cur")" = mail ] || fail "Work not owned by mail"
pass "fill writes the messages, owned by the mail user"

off=$("$H" bytes "$a" | sed 's/.*offset=\([0-9]*\).*/\1/')

# The Python checks print unnumbered TAP lines ("ok - ..."), counted
# into the plan below; a failed one prints "not ok" and exits 1.
if python3 - "$a/env" "$b/env" >"$tmp/py.out" <<'EOF'
import hashlib, imaplib, shlex, ssl, sys

def env(path):
    d = {}
    for line in open(path):
        k, _, v = line.rstrip("\n").partition("=")
        d[k] = (shlex.split(v) or [""])[0]
    return d

def check(cond, what):
    if not cond:
        print("not ok -", what)
        sys.exit(1)
    print("ok -", what)

a, b = env(sys.argv[1]), env(sys.argv[2])
ctx = ssl.create_default_context(cafile=a["DOVECOT_CA"])  # verifies host too

# plain + STARTTLS, hostname 127.0.0.1 (IP SAN)
m = imaplib.IMAP4(a["DOVECOT_HOST"], int(a["DOVECOT_PORT"]), timeout=10)
check("STARTTLS" in m.capabilities, "plain port offers STARTTLS")
m.starttls(ssl_context=ctx)
fp = hashlib.sha256(m.sock.getpeercert(binary_form=True)).hexdigest()
check(fp == a["DOVECOT_CERT_SHA256"], "STARTTLS cert matches DOVECOT_CERT_SHA256")
m.login(a["DOVECOT_USER"], a["DOVECOT_PASS"])
typ, data = m.select("INBOX")
check(typ == "OK" and int(data[0]) == 5, "SELECT INBOX: EXISTS 5 (got %r)" % data)
typ, data = m.capability()
caps = data[0].decode().split()
check("UIDPLUS" in caps and "COMPRESS=DEFLATE" in caps and "LITERAL+" in caps,
      "default CAPABILITY has UIDPLUS, LITERAL+, COMPRESS=DEFLATE")
typ, data = m.fetch("1:*", "(UID FLAGS RFC822.SIZE)")
check(typ == "OK" and len(data) == 5, "FETCH 1:* returns 5 messages")
typ, data = m.status("Work", "(MESSAGES)")
check(typ == "OK" and b"MESSAGES 3" in data[0], "STATUS Work: 3 messages")
m.logout()

# IMAPS, hostname localhost (DNS SAN)
m = imaplib.IMAP4_SSL("localhost", int(a["DOVECOT_IMAPS_PORT"]), ssl_context=ctx, timeout=10)
m.login(a["DOVECOT_USER2"], a["DOVECOT_PASS2"])
check(m.select("INBOX")[0] == "OK", "IMAPS (localhost) as bob: SELECT INBOX")
m.logout()
m = imaplib.IMAP4_SSL(a["DOVECOT_HOST"], int(a["DOVECOT_IMAPS_PORT"]), ssl_context=ctx, timeout=10)
m.login(a["DOVECOT_USER"], a["DOVECOT_PASS"])
check(int(m.select("INBOX")[1][0]) == 5, "IMAPS (127.0.0.1) as alice: EXISTS 5")
m.logout()

# the CA of instance b must not validate instance a's certificate
other = ssl.create_default_context(cafile=b["DOVECOT_CA"])
try:
    imaplib.IMAP4_SSL(a["DOVECOT_HOST"], int(a["DOVECOT_IMAPS_PORT"]), ssl_context=other, timeout=10)
    check(False, "foreign CA rejected")
except ssl.SSLCertVerificationError:
    check(True, "foreign CA rejected")

# nouidplus variant
m = imaplib.IMAP4(b["DOVECOT_HOST"], int(b["DOVECOT_PORT"]), timeout=10)
m.starttls(ssl_context=ssl.create_default_context(cafile=b["DOVECOT_CA"]))
m.login(b["DOVECOT_USER"], b["DOVECOT_PASS"])
caps = m.capability()[1][0].decode().split()
check("UIDPLUS" not in caps and "MOVE" in caps, "nouidplus: UIDPLUS absent, MOVE present")
m.logout()
EOF
then
	cat "$tmp/py.out"
	n=$((n + $(grep -c '^ok' "$tmp/py.out")))
else
	cat "$tmp/py.out"
	echo "1..$((n + $(grep -c '^ok\|^not ok' "$tmp/py.out")))"
	exit 1
fi

out=$(printf 'a SELECT INBOX\r\na LOGOUT\r\n' | "$a/preauth-tunnel" alice)
echo "$out" | grep -q '^\* PREAUTH' || fail "preauth tunnel: no PREAUTH greeting: $out"
echo "$out" | grep -q '^\* 5 EXISTS' || fail "preauth tunnel: no 5 EXISTS: $out"
pass "preauth tunnel"

bytes=$("$H" bytes "$a" --since "$off")
echo "# bytes since fill: $bytes"
case $bytes in
"in="[1-9]*" out="[1-9]*" sessions=4 open=0 "*) ;;
*) fail "bytes: unexpected '$bytes'" ;;
esac
[ "$("$H" bytes "$a" --user bob --since "$off" | cut -d' ' -f3)" = sessions=1 ] \
	|| fail "bytes --user bob"
pass "the byte counter: 4 sessions since the fill, 1 of bob"

# Dovecot's log process leaves a line's "imap(USER)<PID><SESSION>: "
# prefix off when it reads it after the master reported the process gone
# (seen on a loaded machine): the logout still ends that session, by the
# user and session imap_logout_format writes at the line's end.
mkdir "$tmp/canned"
cat >"$tmp/canned/dovecot.log" <<'LOG'
Dec 07 10:19:41 imap-login: Info: Login: user=<alice>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=23251, TLS, session=<P0JWkAhiHMh/AAAB>
Dec 07 10:19:41 imap-login: Info: Login: user=<bob>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=23252, TLS, session=<Q0JWkAhiHMh/AAAB>
Dec 07 10:19:44 imap: Info: Disconnected: Logged out in=183 out=1622 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0 user=<alice> session=<P0JWkAhiHMh/AAAB>
LOG
bytes=$("$H" bytes "$tmp/canned" --user alice --no-wait)
case $bytes in
"in=183 out=1622 sessions=1 open=0 "*) ;;
*) fail "bytes, a logout without its prefix: unexpected '$bytes'" ;;
esac
bytes=$("$H" bytes "$tmp/canned" --user bob --no-wait)
case $bytes in
"in=0 out=0 sessions=0 open=1 "*) ;;
*) fail "bytes, another user's logout without its prefix: unexpected '$bytes'" ;;
esac
pass "the byte counter: a logout line without its imap(USER) prefix ends its session"

pids="$("$H" pids "$a") $("$H" pids "$b")"
[ "$(echo $pids | wc -w)" -ge 4 ] || fail "too few instance processes: $pids"
"$H" stop "$a" & sa=$!
"$H" stop "$b" & sb=$!
wait $sa || fail "stop default"
wait $sb || fail "stop nouidplus"
# running: /proc/PID exists and is not a zombie
running() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
for p in $pids; do
	# A process already in its exit has released its memory (empty
	# cmdline) but may not be reaped yet on a loaded machine: wait for it
	# (deadline 30 s). One that still has its command line was left running.
	deadline=$(( $(date +%s) + 30 ))
	while running "$p" && [ -z "$(tr -d '\0' < "/proc/$p/cmdline" 2>/dev/null)" ] &&
	      [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.1
	done
	if running "$p"; then
		fail "process $p still alive after stop: $(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)"
	fi
done
[ -z "$("$H" pids "$a")$("$H" pids "$b")" ] || fail "instance processes left"
pass "both instances stopped, $(echo $pids | wc -w) processes gone"
echo "# total $(( $(date +%s) - t0 )) s"
echo "1..$n"
