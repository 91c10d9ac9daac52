#!/bin/sh
# The library's modules (Python, keyring, OAuth2) are loaded at run time from
# $MAILSYNC_MODULE_DIR.  With the module missing, a configuration that needs
# it is refused with an error naming the option and saying why, and the
# command exits 1 (never a crash); with it there (make check points
# MAILSYNC_MODULE_DIR at the build tree), the same configuration works.
# TAP output; run by make check with top_builddir set.
set -u

: "${top_builddir:?run from make check}"
mailsync=$top_builddir/frontends/mailsync/mailsync
config_h=$top_builddir/config.h

if [ ! -x "$mailsync" ]; then
  echo "1..0 # SKIP $mailsync is not built"
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mailsync-modules.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/remote/INBOX/cur" "$work/remote/INBOX/new" "$work/remote/INBOX/tmp" "$work/empty"

n=0
failed=0
ok () {                         # ok STATUS DESCRIPTION [DIAGNOSTIC]
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
    failed=1
  fi
}
skip () {
  n=$((n + 1))
  echo "ok $n - $1 # SKIP $2"
}
built_with () {
  grep -q "^#define $1 1" "$config_h"
}
# run NAME MODULE_DIR: mailsync -c $work/NAME.rc, output in $out, status in $status
run () {
  out=$(MAILSYNC_MODULE_DIR=$2 "$mailsync" -c "$work/$1.rc" -o -u basic </dev/null 2>&1)
  status=$?
}

# A Maildir <-> Maildir account with a Python nametrans and a pythonfile
# that imports C extension modules (they need libpython's symbols global).
cat > "$work/helper.py" <<'EOF'
import _json, subprocess
def helper(name):
    return subprocess.run(["echo", name], capture_output=True, text=True).stdout.strip()
EOF
cat > "$work/python.rc" <<EOF
[general]
accounts = A
metadata = $work/meta
pythonfile = $work/helper.py

[Account A]
localrepository = L
remoterepository = R

[Repository L]
type = Maildir
localfolders = $work/local

[Repository R]
type = Maildir
localfolders = $work/remote
nametrans = lambda f: helper(f)
EOF

run python "$work/empty"
ok $([ $status -eq 1 ]; echo $?) "Python module missing: exit status 1" "status $status: $out"
echo "$out" | grep -q "python.rc:[0-9]*: option 'nametrans' in section 'Repository R': Python expressions need"
ok $? "Python module missing: the error names the option" "$out"
if built_with HAVE_PYTHON_EMBED; then
  echo "$out" | grep -q "could not be loaded: $work/empty/mailsync-python.so: "
  ok $? "Python module missing: the error says which file could not be loaded" "$out"
  run python "${MAILSYNC_MODULE_DIR:-$top_builddir/libmailsync/modules/.libs}"
  ok $([ $status -eq 0 ] && [ -d "$work/local/INBOX" ]; echo $?) \
     "Python module found: the account syncs (pythonfile imports C extensions)" "status $status: $out"
else
  skip "Python module missing: the error says which file could not be loaded" "built without Python"
  skip "Python module found: the account syncs" "built without Python"
fi

# update-keyring needs the keyring module before any connection.
cat > "$work/keyring.rc" <<EOF
[general]
accounts = A
metadata = $work/meta-keyring
update-keyring = yes

[Account A]
localrepository = L
remoterepository = R

[Repository L]
type = Maildir
localfolders = $work/local-keyring

[Repository R]
type = IMAP
remotehost = 127.0.0.1
remoteport = 9
remoteuser = u
sslcacertfile = OS-DEFAULT
EOF
run keyring "$work/empty"
ok $([ $status -eq 1 ]; echo $?) "keyring module missing: exit status 1" "status $status: $out"
if built_with HAVE_LIBSECRET; then
  echo "$out" | grep -q "keyring.rc:4: option 'update-keyring' in section 'general': mailsync's keyring module could not be loaded ($work/empty/mailsync-keyring.so: "
else
  echo "$out" | grep -q "keyring.rc:4: option 'update-keyring' in section 'general': this mailsync was built without libsecret"
fi
ok $? "keyring module missing: the error names update-keyring and says why" "$out"

# oauth2_refresh_token needs the OAuth2 module before any connection.
cat > "$work/oauth2.rc" <<EOF
[general]
accounts = A
metadata = $work/meta-oauth2

[Account A]
localrepository = L
remoterepository = R

[Repository L]
type = Maildir
localfolders = $work/local-oauth2

[Repository R]
type = Gmail
remoteuser = u@example.org
sslcacertfile = OS-DEFAULT
oauth2_client_id = id
oauth2_client_secret = secret-canary
oauth2_refresh_token = refresh-canary
EOF
run oauth2 "$work/empty"
ok $([ $status -eq 1 ]; echo $?) "OAuth2 module missing: exit status 1" "status $status: $out"
if built_with HAVE_LIBSOUP; then
  echo "$out" | grep -q "oauth2.rc:[0-9]*: option 'oauth2_refresh_token' in section 'Repository R': mailsync's OAuth2 module could not be loaded ($work/empty/mailsync-oauth2.so: "
else
  echo "$out" | grep -q "oauth2.rc:[0-9]*: option 'oauth2_refresh_token' in section 'Repository R': this mailsync was built without libsoup"
fi
ok $? "OAuth2 module missing: the error names oauth2_refresh_token and says why" "$out"
! echo "$out" | grep -q "canary"
ok $? "OAuth2 module missing: neither the secret nor the refresh token is shown" "$out"

echo "1..$n"
exit $failed
