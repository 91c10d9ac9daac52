#!/bin/sh
# Build a program against an *installed* libmailsync, the way a consumer
# does: install the library, headers and .pc file into a scratch DESTDIR,
# compile with the flags pkg-config gives, run it.  Also checks that the
# umbrella header compiles cleanly under strict warnings, and that the
# other public headers refuse to be included directly.
set -u

: "${top_builddir:?run me from make check}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
fail=0

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
  cat "$tmp/install.log"
  echo "FAIL: install into DESTDIR"
  exit 99
fi

# Relocate the installed .pc into the DESTDIR (PKG_CONFIG_SYSROOT_DIR would
# also prefix GLib's own paths).
pc=$(find "$dest" -name libmailsync-1.0.pc | head -n 1)
if [ -z "$pc" ]; then
  echo "FAIL: libmailsync-1.0.pc was not installed"
  exit 1
fi
mkdir -p "$tmp/pc"
sed -E "s#^(prefix|exec_prefix|libdir|includedir)=/#\1=$dest/#" "$pc" >"$tmp/pc/libmailsync-1.0.pc"
PKG_CONFIG_PATH=$tmp/pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
if ! flags=$(pkg-config --cflags --libs libmailsync-1.0); then
  echo "FAIL: pkg-config libmailsync-1.0"
  exit 1
fi
libdir=$(pkg-config --variable=libdir libmailsync-1.0)
echo "pkg-config: $flags"

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
  echo "ok: consumer compiles and links against the installed tree"
  if LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$tmp/consumer" "$tmp/run"; then
    echo "ok: consumer runs"
  else
    echo "FAIL: consumer run"
    fail=1
  fi
else
  cat "$tmp/cc.log"
  echo "FAIL: consumer build"
  fail=1
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
    echo "ok: <libmailsync/mailsync.h> compiles cleanly as $label"
  else
    cat "$tmp/hdr.log"
    echo "FAIL: <libmailsync/mailsync.h> as $label"
    fail=1
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
  # shellcheck disable=SC2086
  if $CC -c -o "$tmp/direct.o" "$tmp/direct.c" $(pkg-config --cflags libmailsync-1.0) \
       >/dev/null 2>&1; then
    echo "FAIL: <$h> can be included directly"
    direct_fail=1
  fi
done
if [ $direct_fail = 0 ]; then
  echo "ok: the $nhdr other public headers refuse direct inclusion"
fi
[ $direct_fail = 0 ] || fail=1

exit $fail
