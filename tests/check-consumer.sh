#!/bin/sh
# Build a program against an *installed* libmailsync, the way a consumer
# does: install the library, headers and .pc file into a scratch DESTDIR,
# compile with the flags pkg-config gives, run it.  Also checks that the
# umbrella header compiles cleanly under strict warnings, that the
# other public headers refuse to be included directly, that they declare
# exactly the symbols of libmailsync/libmailsync.symbols, and that the
# version macros work as a consumer uses them.  TAP: what a failed step
# printed follows its "not ok" line as "# " comments.
set -u

: "${top_builddir:?run me from make check}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
fail=0
n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
flunk() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }
comment() { sed 's/^/# /' "$@"; }

# The test runs inside make check: do not talk to the parent's jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL GNUMAKEFLAGS
MAKE=${MAKE:-make}

# Compiler and flags of this build (sanitizer flags included, as the
# library may need the sanitizer runtime).
mkvar() { sed -n "s/^$1 = //p" "$top_builddir/libmailsync/Makefile" | head -n 1; }
CC=$(mkvar CC)
CFLAGS=$(mkvar CFLAGS)
LDFLAGS=$(mkvar LDFLAGS)
prefix=$(mkvar prefix)

if ! $MAKE -C "$top_builddir/libmailsync" install DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
   ! $MAKE -C "$top_builddir" install-pkgconfigDATA DESTDIR="$dest" >>"$tmp/install.log" 2>&1; then
  echo "Bail out! install into DESTDIR"
  comment "$tmp/install.log"
  exit 99
fi

# Relocate the installed .pc into the DESTDIR (PKG_CONFIG_SYSROOT_DIR would
# also prefix GLib's own paths).
pc=$(find "$dest" -name libmailsync-1.0.pc | head -n 1)
if [ -z "$pc" ]; then
  echo "Bail out! libmailsync-1.0.pc was not installed"
  exit 1
fi
mkdir -p "$tmp/pc"
sed -E "s#^(prefix|exec_prefix|libdir|includedir)=/#\1=$dest/#" "$pc" >"$tmp/pc/libmailsync-1.0.pc"
PKG_CONFIG_PATH=$tmp/pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
if ! flags=$(pkg-config --cflags --libs libmailsync-1.0); then
  echo "Bail out! pkg-config libmailsync-1.0"
  exit 1
fi
libdir=$(pkg-config --variable=libdir libmailsync-1.0)
echo "# pkg-config: $flags"

# 1. A consumer program.
cat >"$tmp/consumer.c" <<'C'
#include <libmailsync/mailsync.h>
#include <glib/gstdio.h>

int
main (int argc, char **argv)
{
  const char *dir = argv[1];
  char *remote_root = g_build_filename (dir, "remote", NULL);
  char *local_root = g_build_filename (dir, "local", NULL);
  char *status_dir = g_build_filename (dir, "status", NULL);
  MailsyncRepository *remote, *local;
  MailsyncStatusStore *status;
  MailsyncAccount *account;
  GError *error = NULL;
  gboolean ok;

  (void) argc;
  g_mkdir_with_parents (remote_root, 0700);
  g_mkdir_with_parents (local_root, 0700);
  g_mkdir_with_parents (status_dir, 0700);

  remote = mailsync_maildir_repository_new ("Remote", remote_root, '.');
  local = mailsync_maildir_repository_new ("Local", local_root, '.');
  mailsync_maildir_repository_set_assign_uids (MAILSYNC_MAILDIR_REPOSITORY (remote), TRUE);
  status = mailsync_status_sqlite_new (status_dir);
  account = mailsync_account_new ("consumer", remote, local, status);

  g_assert_true (MAILSYNC_IS_REPOSITORY (remote));
  g_assert_true (MAILSYNC_IS_STATUS_STORE (status));
  g_assert_cmpstr (mailsync_account_get_name (account), ==, "consumer");
  g_assert_true (mailsync_account_get_remote (account) == remote);
  g_assert_cmpstr (mailsync_maildir_repository_get_root (MAILSYNC_MAILDIR_REPOSITORY (remote)),
                   ==, remote_root);

  ok = mailsync_account_sync (account, NULL, &error);
  if (!ok)
    g_printerr ("sync: %s\n", error->message);
  g_clear_error (&error);

  g_object_unref (account);
  g_object_unref (status);
  g_object_unref (local);
  g_object_unref (remote);
  g_free (remote_root);
  g_free (local_root);
  g_free (status_dir);
  g_print ("consumer: %s\n", ok ? "ok" : "sync failed");
  return ok ? 0 : 1;
}
C
# shellcheck disable=SC2086 # word splitting of flags is intended
if $CC $CFLAGS -Wall -Wextra -Werror -o "$tmp/consumer" "$tmp/consumer.c" $LDFLAGS $flags >"$tmp/cc.log" 2>&1; then
  pass "consumer compiles and links against the installed tree"
  if LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$tmp/consumer" "$tmp/run" >"$tmp/run.log" 2>&1; then
    pass "consumer runs"
  else
    flunk "consumer run"
    comment "$tmp/run.log"
  fi
else
  flunk "consumer build"
  comment "$tmp/cc.log"
fi

# 2. The umbrella header alone, under strict warnings: ISO C11 and GNU C17
# with -pedantic, GNU C99 (typedef redefinition, which G_DECLARE_* and
# forward declarations rely on, is C11), and C++ when there is a compiler.
printf '#include <libmailsync/mailsync.h>\n' >"$tmp/umbrella.c"
hdrflags=$(pkg-config --cflags libmailsync-1.0)
header_check() { # LABEL COMPILER FLAGS...
  label=$1
  shift
  # shellcheck disable=SC2086
  if "$@" -Wall -Wextra -Werror -Wshadow -Wundef -c -o "$tmp/umbrella.o" $hdrflags \
       >"$tmp/hdr.log" 2>&1; then
    pass "<libmailsync/mailsync.h> compiles cleanly as $label"
  else
    flunk "<libmailsync/mailsync.h> as $label"
    comment "$tmp/hdr.log"
  fi
}
header_check "C11 -pedantic" $CC -std=c11 -pedantic -Wstrict-prototypes -Wmissing-prototypes "$tmp/umbrella.c"
header_check "GNU C17 -pedantic" $CC -std=gnu17 -pedantic -Wstrict-prototypes "$tmp/umbrella.c"
header_check "GNU C99" $CC -std=gnu99 -Wstrict-prototypes "$tmp/umbrella.c"
if command -v c++ >/dev/null 2>&1; then
  header_check "C++17" c++ -std=c++17 -x c++ "$tmp/umbrella.c"
fi

# 3. Every other public header refuses direct inclusion.
incdir=$(pkg-config --variable=includedir libmailsync-1.0)/libmailsync-1.0
direct_fail=0
nhdr=0
for h in $(cd "$incdir" && find libmailsync -name '*.h' ! -path libmailsync/mailsync.h | sort); do
  nhdr=$((nhdr + 1))
  printf '#include <%s>\n' "$h" >"$tmp/direct.c"
  # -Wfatal-errors: stop at the #error (a second each, without it); the
  # failure must be that #error, not any other.
  # shellcheck disable=SC2086
  if $CC -Wfatal-errors -c -o "$tmp/direct.o" "$tmp/direct.c" $hdrflags >"$tmp/direct.log" 2>&1 ||
     ! grep -q 'Only <libmailsync/mailsync.h> can be included directly' "$tmp/direct.log"; then
    echo "# <$h> can be included directly:"
    comment "$tmp/direct.log"
    direct_fail=1
  fi
done
if [ $direct_fail = 0 ]; then
  pass "the $nhdr other public headers refuse direct inclusion"
else
  flunk "the $nhdr other public headers refuse direct inclusion (those above do not)"
fi

# 4. The symbol file against the installed headers: every function the
# headers export (declared with a MAILSYNC_AVAILABLE_IN_* or
# MAILSYNC_DEPRECATED_IN_* macro, which expand to _MAILSYNC_EXTERN) is in
# libmailsync/libmailsync.symbols, every listed symbol is declared there,
# and every mailsync_ name in them is listed (check-exports.sh compares
# the list with the library's exports).
symbols=${top_srcdir:?}/libmailsync/libmailsync.symbols
# shellcheck disable=SC2086
if $CC -E -P -D_MAILSYNC_EXTERN=__mailsync_exported__ $hdrflags "$tmp/umbrella.c" >"$tmp/pp.c" 2>"$tmp/pp.log"; then
  # A declaration runs from the marker to its ';'; its name is the last
  # identifier before the first '('.
  tr '\n' ' ' <"$tmp/pp.c" | sed 's/__mailsync_exported__/\n&/g' | sed -n 's/^__mailsync_exported__\([^;(]*\)(.*/\1/p' |
    sed 's/.*[^A-Za-z0-9_]\([A-Za-z_][A-Za-z0-9_]*\) *$/\1/' | LC_ALL=C sort -u >"$tmp/declared"
  LC_ALL=C sort -u "$symbols" >"$tmp/listed"
  # A function declared without the marker would be hidden: a consumer's
  # link would fail.  Every mailsync_ name in the headers must be listed.
  grep -o '\bmailsync_[A-Za-z0-9_]*' "$tmp/pp.c" | LC_ALL=C sort -u | LC_ALL=C comm -23 - "$tmp/listed" >"$tmp/hidden"
  if [ -s "$tmp/hidden" ]; then
    flunk "the installed headers name functions that are not exported (no MAILSYNC_AVAILABLE_IN_*?):"
    comment "$tmp/hidden"
  else
    pass "every mailsync_ function the installed headers name is exported"
  fi
  if [ "$(wc -l <"$tmp/declared")" -lt 100 ]; then
    flunk "found only $(wc -l <"$tmp/declared") exported declarations in the installed headers"
  elif diff -u "$tmp/listed" "$tmp/declared" >"$tmp/symdiff"; then
    pass "the installed headers declare exactly the $(wc -l <"$tmp/listed") symbols of libmailsync.symbols"
  else
    flunk "libmailsync.symbols (-) and the installed headers' exported declarations (+) differ:"
    sed '1,2d' "$tmp/symdiff" | comment
  fi
else
  flunk "preprocessing <libmailsync/mailsync.h>"
  comment "$tmp/pp.log"
fi

# 5. The version macros, as a consumer uses them (MAILSYNC_CHECK_VERSION,
# MAILSYNC_VERSION_MIN_REQUIRED/MAX_ALLOWED): each case must compile, or
# must fail under -Werror, as said.
version=$(sed -n 's/^VERSION = //p' "$top_builddir/Makefile")
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}; micro=${rest#*.}
version_case() { # LABEL EXPECT(ok|fail) CPPFLAGS BODY [WHY: what a failure must say]
  label=$1 expect=$2 cppflags=$3 body=$4 why=${5:-deprecated-declarations}
  printf '%s\n#include <libmailsync/mailsync.h>\n%s\nint main (void) { return 0; }\n' "$cppflags" "$body" >"$tmp/ver.c"
  # shellcheck disable=SC2086
  if $CC -std=gnu11 -Wall -Wextra -Werror -c -o "$tmp/ver.o" "$tmp/ver.c" $hdrflags >"$tmp/ver.log" 2>&1; then
    got=ok
  else
    got=fail
    # failing for the wrong reason (a typo in the case) is not a pass
    grep -q -e "$why" "$tmp/ver.log" || got="fail for another reason"
  fi
  if [ "$got" = "$expect" ]; then
    pass "version macros: $label"
  else
    flunk "version macros: $label (expected $expect, got $got)"
    comment "$tmp/ver.c" "$tmp/ver.log"
  fi
}
version_case "MAILSYNC_*_VERSION and the string are configure's $version" ok "" \
  "_Static_assert (MAILSYNC_MAJOR_VERSION == $major && MAILSYNC_MINOR_VERSION == $minor && MAILSYNC_MICRO_VERSION == $micro, \"parts\");
   static const char v[] = MAILSYNC_VERSION_STRING; _Static_assert (sizeof v == sizeof \"$version\", \"string\");"
version_case "MAILSYNC_CHECK_VERSION: true for this version and older ones" ok "" \
  "_Static_assert (MAILSYNC_CHECK_VERSION ($major, $minor, $micro), \"same\");
   _Static_assert (MAILSYNC_CHECK_VERSION (0, 0, 0), \"older\");"
version_case "MAILSYNC_CHECK_VERSION: false for newer ones" ok "" \
  "_Static_assert (!MAILSYNC_CHECK_VERSION ($major, $minor, $((micro + 1))), \"micro\");
   _Static_assert (!MAILSYNC_CHECK_VERSION ($major, $((minor + 1)), 0), \"minor\");
   _Static_assert (!MAILSYNC_CHECK_VERSION ($((major + 1)), 0, 0), \"major\");"
version_case "MAILSYNC_CHECK_VERSION in #if, as consumers use it" ok "" \
  "#if !MAILSYNC_CHECK_VERSION ($major, $minor, $micro) || MAILSYNC_CHECK_VERSION ($major, $((minor + 1)), 0)
   #error \"MAILSYNC_CHECK_VERSION is wrong in #if\"
   #endif"
version_case "the API compiles without warnings with MIN_REQUIRED = MAX_ALLOWED = 0.1" ok \
  "#define MAILSYNC_VERSION_MIN_REQUIRED MAILSYNC_VERSION_0_1
   #define MAILSYNC_VERSION_MAX_ALLOWED MAILSYNC_VERSION_0_1" \
  "static void use (void) __attribute__ ((used));
   static void use (void) { MailsyncAccount *a = mailsync_account_new (\"a\", NULL, NULL, NULL); (void) a; }"
# A function of the next version, declared as the headers will declare it.
next="MAILSYNC_AVAILABLE_IN_0_2 void mailsync_from_the_future (void);
      static void use (void) __attribute__ ((used)); static void use (void) { mailsync_from_the_future (); }"
version_case "API newer than MAILSYNC_VERSION_MAX_ALLOWED warns" fail \
  "#define MAILSYNC_VERSION_MAX_ALLOWED MAILSYNC_VERSION_0_1" "$next"
version_case "API newer than the default MAX_ALLOWED (this version) warns" fail "" "$next"
version_case "API up to MAILSYNC_VERSION_MAX_ALLOWED does not warn" ok \
  "#define MAILSYNC_VERSION_MAX_ALLOWED MAILSYNC_VERSION_0_2" "$next"
old="MAILSYNC_DEPRECATED_IN_0_1 void mailsync_from_the_past (void);
     static void use (void) __attribute__ ((used)); static void use (void) { mailsync_from_the_past (); }"
version_case "API deprecated in MAILSYNC_VERSION_MIN_REQUIRED warns" fail \
  "#define MAILSYNC_VERSION_MIN_REQUIRED MAILSYNC_VERSION_0_1" "$old"
version_case "API deprecated after MAILSYNC_VERSION_MIN_REQUIRED does not warn" ok \
  "#define MAILSYNC_VERSION_MIN_REQUIRED MAILSYNC_VERSION_0_1" \
  "MAILSYNC_DEPRECATED_IN_0_2 void mailsync_deprecated_later (void);
   static void use (void) __attribute__ ((used)); static void use (void) { mailsync_deprecated_later (); }"
version_case "a type newer than MAX_ALLOWED warns" fail \
  "#define MAILSYNC_VERSION_MAX_ALLOWED MAILSYNC_VERSION_0_1" \
  "typedef int MailsyncFuture MAILSYNC_AVAILABLE_TYPE_IN_0_2;
   static MailsyncFuture future __attribute__ ((used));"
version_case "an enumerator newer than MAX_ALLOWED warns" fail \
  "#define MAILSYNC_VERSION_MAX_ALLOWED MAILSYNC_VERSION_0_1" \
  "enum { MAILSYNC_FUTURE MAILSYNC_AVAILABLE_ENUMERATOR_IN_0_2 = 1 };
   static int future __attribute__ ((used)) = MAILSYNC_FUTURE;"
version_case "MAILSYNC_DISABLE_DEPRECATION_WARNINGS silences it" ok \
  "#define MAILSYNC_DISABLE_DEPRECATION_WARNINGS" "$old"
version_case "MIN_REQUIRED newer than the headers is an error" fail \
  "#define MAILSYNC_VERSION_MIN_REQUIRED MAILSYNC_VERSION_0_2" "" "MIN_REQUIRED must be"

echo "1..$n"
exit $fail
