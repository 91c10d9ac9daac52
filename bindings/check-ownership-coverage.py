#!/usr/bin/env python3
"""The Python ownership test covers the whole API it is meant to: every
public function, method and constructor of Mailsync-1.0.gir that returns a
container (C array, GList, GSList, GPtrArray, GHashTable, GBytes), a boxed
type or an object is called by python/test-ownership.py (the test that
bindings/check-python-memcheck.sh runs under valgrind).  Made from the
.gir, so a new function of that kind fails this test until it is
exercised.  TAP lines; exit 77 (skip) when introspection is not built."""

import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("srcdir", HERE)
BUILDDIR = os.environ.get("abs_builddir", HERE)
GIR = os.path.join(BUILDDIR, "..", "libmailsync", "Mailsync-1.0.gir")
TEST = os.path.join(SRCDIR, "python", "test-ownership.py")
C = "{http://www.gtk.org/introspection/core/1.0}"
BASIC = {"none", "utf8", "filename", "gboolean", "gint", "guint", "gint8", "guint8", "gint16", "guint16",
         "gint32", "guint32", "gint64", "guint64", "glong", "gulong", "gsize", "gssize", "gdouble", "gfloat",
         "gchar", "guchar", "gunichar", "GType", "gpointer", "gconstpointer", "GLib.Quark", "gshort", "gushort"}
CONTAINERS = {"GLib.List", "GLib.SList", "GLib.PtrArray", "GLib.HashTable", "GLib.Bytes", "GLib.Array"}


def main():
    if not os.path.exists(GIR):
        print("1..0 # SKIP %s not built (configure --enable-introspection)" % GIR)
        return 77
    root = ET.parse(GIR).getroot()
    ns = root.find(C + "namespace")
    enums = {e.get("name") for e in ns if e.tag in (C + "enumeration", C + "bitfield")}

    def interesting(ret):
        if ret is None:
            return False
        if ret.find(C + "array") is not None:
            return True
        t = ret.find(C + "type")
        if t is None:
            return False
        name = t.get("name")
        if name in CONTAINERS:
            return True
        return name not in BASIC and name not in enums and not name.startswith("GLib.")

    wanted = []
    for elem in ns.iter():
        if elem.tag not in (C + "function", C + "method", C + "constructor"):
            continue
        if elem.get("introspectable") == "0" or elem.get("moved-to"):
            continue
        if interesting(elem.find(C + "return-value")):
            wanted.append(elem.get("name"))
    with open(TEST) as f:
        text = f.read()
    # a call, or a method passed to a helper (run_async(obj.x_async, obj.x_finish))
    called = set(re.findall(r"\.([a-z_][a-z0-9_]*)\b", text))
    missing = sorted(set(n for n in wanted if n not in called))
    print("ok 1 - the .gir has %d such functions" % len(set(wanted)) if wanted else "not ok 1 - none found")
    if missing:
        print("not ok 2 - python/test-ownership.py calls every one of them: %d never called" % len(missing))
        for name in missing:
            print("#   " + name)
    else:
        print("ok 2 - python/test-ownership.py calls every one of them")
    print("1..2")
    return 1 if missing or not wanted else 0


if __name__ == "__main__":
    sys.exit(main())
