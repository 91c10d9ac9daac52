#!/bin/sh
# What each binary links (doc/design.md, "What the library links"):
# libmailsync-1.0.so needs neither libpython nor libsecret nor curses (the
# Python and keyring modules link those), nor GnuTLS or SQLite (loaded on
# first use, as the mailsync command loads curses and json-glib: "Libraries
# loaded on first use"), and libmailsync-1.0.pc declares what the library
# links.  Reads the NEEDED
# entries of the built files with readelf, and what ldd resolves.
# TAP output; run by make check with top_builddir set.
set -u

: "${top_builddir:?run from make check}"
lib=$top_builddir/libmailsync/.libs/libmailsync-1.0.so
modules=$top_builddir/libmailsync/modules/.libs
pc=$top_builddir/pkgconfig/libmailsync-1.0.pc
config_h=$top_builddir/config.h

if ! command -v readelf >/dev/null 2>&1; then
  echo "1..0 # SKIP readelf (binutils) not installed"
  exit 77
fi
if [ ! -f "$lib" ]; then
  echo "Bail out! $lib not built"
  exit 99
fi

n=0
failed=0
ok () {                         # ok CONDITION-STATUS DESCRIPTION [DIAGNOSTIC]
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    [ -n "${3:-}" ] && echo "$3" | sed 's/^/# /'
    failed=1
  fi
}
skip () {
  n=$((n + 1))
  echo "ok $n - $1 # SKIP $2"
}
needed () {                     # the NEEDED sonames of $1, one a line
  LC_ALL=C readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'
}
built_with () {                 # built_with HAVE_X
  grep -q "^#define $1 1" "$config_h"
}
# the real executable behind libtool's wrapper script
program () {
  for f in "$1/.libs/$2" "$1/.libs/lt-$2" "$1/$2"; do
    if [ -f "$f" ] && LC_ALL=C readelf -h "$f" >/dev/null 2>&1; then
      echo "$f"
      return 0
    fi
  done
  return 1
}

forbidden='^lib(python|secret|soup|ncurses|tinfo|panel|form|menu)'

# The library's own NEEDED entries.
lib_needed=$(needed "$lib")
bad=$(echo "$lib_needed" | grep -E "$forbidden")
ok $([ -n "$lib_needed" ] && [ -z "$bad" ]; echo $?) \
   "libmailsync-1.0.so needs no libpython, libsecret, libsoup or curses" "NEEDED: $(echo $lib_needed)"
echo "$lib_needed" | grep -q '^libgmodule-2\.0\.so'
ok $? "libmailsync-1.0.so links GModule (it loads the modules)" "NEEDED: $(echo $lib_needed)"
# GnuTLS and SQLite are loaded on first use (issue 13 item 3,
# libmailsync/mailsync-lazy-lib.c): linked, every run would pay the
# dynamic loader for them (they are built with BIND_NOW).
# A sanitizer build links GnuTLS on purpose (configure.ac, SAN_LIB_LIBS:
# LeakSanitizer and a dlopen()ed library's thread-local variables).
if [ -n "${MAILSYNC_TEST_SANITIZED:-}" ]; then
  bad=$(echo "$lib_needed" | grep -E '^libsqlite3\.so')
  ok $([ -n "$lib_needed" ] && [ -z "$bad" ]; echo $?) \
     "libmailsync-1.0.so does not link SQLite (loaded on first use)" "NEEDED: $(echo $lib_needed)"
  skip "libmailsync-1.0.so does not link GnuTLS" "a sanitizer build links it (configure.ac SAN_LIB_LIBS)"
else
  bad=$(echo "$lib_needed" | grep -E '^lib(gnutls|sqlite3)\.so')
  ok $([ -n "$lib_needed" ] && [ -z "$bad" ]; echo $?) \
     "libmailsync-1.0.so does not link GnuTLS or SQLite (loaded on first use)" "NEEDED: $(echo $lib_needed)"
fi

# A library loaded on first use is searched by dlopen() as a NEEDED entry
# of the object calling it would be (LD_LIBRARY_PATH, that object's
# RUNPATH, ld.so.cache, the system directories).  Where configure found
# one in a -L directory outside the loader's, that directory is in the
# calling object's RUNPATH (configure.ac MAILSYNC_LAZY_RPATH), as libtool
# put it there when the library was linked: libmailsync's for GnuTLS and
# SQLite, the command's for json-glib and curses (below).
config_string () {              # config_string NAME: a string of config.h
  sed -n "s/^#define $1 \"\(.*\)\"\$/\1/p" "$config_h"
}
runpath_has () {                # runpath_has FILE DIR
  case ":$(LC_ALL=C readelf -d "$1" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\].*/\2/p'):" in
    *":$2:"*|*":$2/:"*) return 0 ;;
  esac
  return 1
}
lazy_runpath () {               # lazy_runpath FILE NAME LIBRARY
  dir=$(config_string "MAILSYNC_$2_SONAME_DIR")
  if [ -z "$dir" ]; then
    skip "$(basename "$1")'s RUNPATH finds $3 where configure did" "found in the dynamic loader's directories"
  else
    runpath_has "$1" "$dir"
    ok $? "$(basename "$1")'s RUNPATH finds $3 where configure did ($dir)" "$(LC_ALL=C readelf -d "$1" | grep PATH)"
  fi
}
lazy_runpath "$lib" GNUTLS GnuTLS
lazy_runpath "$lib" SQLITE SQLite

# Everything the loader pulls in with it (ldd: the transitive closure).
if command -v ldd >/dev/null 2>&1; then
  resolved=$(LC_ALL=C ldd "$lib" 2>&1)
  bad=$(echo "$resolved" | awk '{print $1}' | grep -E "$forbidden")
  ok $([ -z "$bad" ]; echo $?) "ldd libmailsync-1.0.so shows no libpython, libsecret, libsoup or curses" "$resolved"
else
  skip "ldd libmailsync-1.0.so shows no libpython, libsecret, libsoup or curses" "no ldd"
fi

# The modules link what the library does not, and not the library.
if built_with HAVE_PYTHON_EMBED; then
  m_needed=$(needed "$modules/mailsync-python.so" 2>&1)
  echo "$m_needed" | grep -q '^libpython3' && ! echo "$m_needed" | grep -q '^libmailsync'
  ok $? "mailsync-python.so links libpython, not libmailsync" "NEEDED: $(echo $m_needed)"
else
  [ ! -e "$modules/mailsync-python.so" ]
  ok $? "no Python module when built without Python"
fi
if built_with HAVE_LIBSECRET; then
  m_needed=$(needed "$modules/mailsync-keyring.so" 2>&1)
  echo "$m_needed" | grep -q '^libsecret-1' && ! echo "$m_needed" | grep -q '^libmailsync'
  ok $? "mailsync-keyring.so links libsecret, not libmailsync" "NEEDED: $(echo $m_needed)"
else
  [ ! -e "$modules/mailsync-keyring.so" ]
  ok $? "no keyring module when built without libsecret"
fi
if built_with HAVE_LIBSOUP; then
  m_needed=$(needed "$modules/mailsync-oauth2.so" 2>&1)
  echo "$m_needed" | grep -q '^libsoup-3' && ! echo "$m_needed" | grep -q '^libmailsync'
  ok $? "mailsync-oauth2.so links libsoup, not libmailsync" "NEEDED: $(echo $m_needed)"
else
  [ ! -e "$modules/mailsync-oauth2.so" ]
  ok $? "no OAuth2 module when built without libsoup"
fi

# The mailsync command: curses and json-glib are its own business, Python
# and the keyring are not.  It loads curses (blinkenlights) and json-glib
# (-u json, --info's JSON) on first use (ui/mailsync-ui-lazy.h), and
# GnuTLS and SQLite come with the library's first use of them: it links
# none of them.
if exe=$(program "$top_builddir/frontends/mailsync" mailsync); then
  e_needed=$(needed "$exe")
  bad=$(echo "$e_needed" | grep -E '^lib(python|secret|soup)')
  ok $([ -z "$bad" ]; echo $?) "mailsync needs no libpython, libsecret or libsoup" "NEEDED: $(echo $e_needed)"
  bad=$(echo "$e_needed" | grep -E '^lib(ncurses|tinfo|json-glib|gnutls|sqlite3)')
  ok $([ -n "$e_needed" ] && [ -z "$bad" ]; echo $?) \
     "mailsync links no curses, json-glib, GnuTLS or SQLite (loaded on first use)" "NEEDED: $(echo $e_needed)"
  lazy_runpath "$exe" JSON_GLIB json-glib
  if built_with HAVE_CURSES; then
    lazy_runpath "$exe" CURSES ncursesw
  fi
else
  skip "mailsync needs no libpython or libsecret" "the mailsync command is not built"
fi

# What a run loads besides what it links (issue 13 items 3 and 4), seen
# by the dynamic loader (LD_DEBUG=files): --version, a configuration read
# and a connection tried (127.0.0.1 port 1, nothing listens, no TLS) load
# none of the library's modules (no Python option, no keyring, no OAuth2
# in it) and none of GIO's: without a proxy option GIO's proxy resolver
# is not asked (it loaded libproxy with libstdc++ and GSettings with
# dconf, 2.5 MB of RSS in every run); nor GnuTLS (no TLS) or SQLite (no
# status database opened), which the library loads on first use.
if exe=$(program "$top_builddir/frontends/mailsync" mailsync); then
  work=$(mktemp -d "${TMPDIR:-/tmp}/mailsync-linkage.XXXXXX") || exit 99
  cat > "$work/rc" <<EOF_RC
[general]
accounts = a
metadata = $work/meta
[Account a]
localrepository = l
remoterepository = r
[Repository l]
type = Maildir
localfolders = $work/mail
[Repository r]
type = IMAP
remotehost = 127.0.0.1
remoteport = 1
remoteuser = u
remotepass = p
ssl = no
starttls = no
EOF_RC
  mkdir -p "$work/mail" "$work/meta"
  for run in "version:--version" "config:-a nosuch" "connect:"; do
    what=${run%%:*}
    loaded=$(env HOME="$work" LD_LIBRARY_PATH="$top_builddir/libmailsync/.libs" LD_DEBUG=files \
             "$exe" -c "$work/rc" -o -u quiet ${run#*:} 2>&1 >/dev/null | sed -n 's/.*file=\([^ ]*\).*/\1/p' | sort -u)
    # (libstdc++ is no sign of libproxy here: the sanitizers' runtimes link it)
    bad=$(echo "$loaded" | grep -E 'gio/modules|libproxy|libdconf|libpython|libsecret|libsoup|mailsync-(python|keyring|oauth2)')
    ok $([ -n "$loaded" ] && [ -z "$bad" ]; echo $?) \
       "mailsync ($what) loads no module of the library and none of GIO's" "loaded: $(echo $loaded)"
    if [ -n "${MAILSYNC_TEST_SANITIZED:-}" ]; then
      # GnuTLS is linked in a sanitizer build (above)
      bad=$(echo "$loaded" | grep -E 'lib(sqlite3|ncursesw|tinfo|json-glib-1\.0)\.so')
      ok $([ -n "$loaded" ] && [ -z "$bad" ]; echo $?) \
         "mailsync ($what) loads no SQLite, curses or json-glib (GnuTLS: linked in a sanitizer build)" "loaded: $(echo $loaded)"
    else
      bad=$(echo "$loaded" | grep -E 'lib(gnutls|sqlite3|ncursesw|tinfo|json-glib-1\.0)\.so')
      ok $([ -n "$loaded" ] && [ -z "$bad" ]; echo $?) \
         "mailsync ($what) loads no GnuTLS, SQLite, curses or json-glib" "loaded: $(echo $loaded)"
    fi
  done
  rm -rf "$work"
else
  skip "mailsync loads no module of the library and none of GIO's" "the mailsync command is not built"
fi

# libmailsync-1.0.pc: Requires and Requires.private declare what the
# library links: every NEEDED library comes from a declared package, and
# every declared package gives at least one of them.
if [ -f "$pc" ] && command -v pkg-config >/dev/null 2>&1; then
  packages=$(sed -n 's/^Requires\(\.private\)\{0,1\}: *//p' "$pc" \
             | tr ' ' '\n' | grep -E '^[A-Za-z]' | sort -u)
  bad=$(echo "$packages" | grep -E '^(python|libsecret|ncurses)')
  ok $([ -z "$bad" ]; echo $?) "libmailsync-1.0.pc requires no Python, libsecret or curses" "$bad"
  declared=""
  unused=""
  for p in $packages; do
    libs=$(pkg-config --libs-only-l "$p" 2>/dev/null | tr ' ' '\n' | sed -n 's/^-l//p')
    declared="$declared $libs"
    used=no
    for l in $libs; do
      echo "$lib_needed" | grep -q "^lib$l\.so" && used=yes
    done
    [ $used = yes ] || unused="$unused $p"
  done
  ok $([ -z "$unused" ]; echo $?) "every package in libmailsync-1.0.pc is linked" "not linked:$unused"
  undeclared=""
  for soname in $lib_needed; do
    name=$(echo "$soname" | sed 's/^lib//; s/\.so.*//')
    case $name in
      c|m|pthread|dl|rt|gcc_s|asan|ubsan|lsan|tsan|stdc++) continue ;;
    esac
    echo " $declared " | tr ' ' '\n' | grep -qx "$name" || undeclared="$undeclared $soname"
  done
  ok $([ -z "$undeclared" ]; echo $?) "every library libmailsync-1.0.so links is in libmailsync-1.0.pc" \
     "not declared:$undeclared"
else
  skip "libmailsync-1.0.pc matches what is linked" "no pkg-config or no $pc"
fi

echo "1..$n"
exit $failed
