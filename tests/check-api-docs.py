#!/usr/bin/env python3
"""Every public symbol of libmailsync is documented and says since when.

Reads the introspection data the build made (libmailsync/Mailsync-1.0.gir,
from the doc comments of the public headers and sources): each class,
interface, record, enumeration, constant, callback, function, method,
constructor, virtual method, property and signal must carry a doc text and
a version (the comment's "Since:"); then `gi-docgen check`, when
gi-docgen is installed, for the rest (macros, every parameter).  TAP;
exit 77 (skip) when introspection is not built."""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

TOP_BUILDDIR = os.environ.get("top_builddir", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
GIR = os.path.join(TOP_BUILDDIR, "libmailsync", "Mailsync-1.0.gir")
NS = {"c": "http://www.gtk.org/introspection/core/1.0", "glib": "http://www.gtk.org/introspection/glib/1.0"}
CORE = "{%s}" % NS["c"]
GLIB = "{%s}" % NS["glib"]

# element kinds that are symbols of the API, with how to name them
KINDS = {
    CORE + "class": "class", CORE + "interface": "interface", CORE + "record": "record",
    CORE + "enumeration": "enum", CORE + "bitfield": "flags", CORE + "constant": "constant",
    CORE + "callback": "callback", CORE + "function": "function", CORE + "method": "method",
    CORE + "constructor": "constructor", CORE + "virtual-method": "vfunc", CORE + "property": "property",
    GLIB + "signal": "signal",
}


def symbols(ns):
    """(label, element) for every API symbol under the namespace."""
    def walk(elem, owner):
        for child in elem:
            kind = KINDS.get(child.tag)
            if kind is None:
                continue
            name = child.get("name")
            if kind == "record" and (child.get(GLIB + "is-gtype-struct-for") or name.endswith("Private")):
                # class structures are documented by their class; private
                # instance data is not API
                label = None
            else:
                label = "%s %s%s" % (kind, owner + "." if owner else "", name)
            if label is not None and child.get("introspectable") != "0" or kind in ("vfunc",):
                yield label, child
            if kind in ("class", "interface", "record"):
                yield from walk(child, name)
    yield from walk(ns, "")


def main():
    if not os.path.exists(GIR):
        print("1..0 # SKIP %s is not built (configure --enable-introspection)" % GIR)
        return 77
    root = ET.parse(GIR).getroot()
    ns = root.find("c:namespace", NS)
    undocumented, unversioned, total = [], [], 0
    for label, elem in symbols(ns):
        if label is None:
            continue
        total += 1
        doc = elem.find("c:doc", NS)
        if doc is None or not (doc.text or "").strip():
            undocumented.append(label)
        if not elem.get("version"):
            unversioned.append(label)
    n = 0

    def check(ok, label, detail):
        nonlocal n
        n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, label))
        if not ok:
            for line in detail:
                print("#   " + line)
        return ok

    ok = check(total > 100, "the .gir describes the API (%d symbols)" % total, ["only %d symbols" % total])
    ok &= check(not undocumented, "every public symbol has a doc text (%d without)" % len(undocumented), undocumented)
    ok &= check(not unversioned, "every public symbol says Since: (%d without)" % len(unversioned), unversioned)
    # gi-docgen's own check also covers the macros and every parameter.
    docgen = shutil.which("gi-docgen")
    if docgen is None:
        n += 1
        print("ok %d - gi-docgen check # SKIP gi-docgen is not installed" % n)
    else:
        p = subprocess.run([docgen, "check", "--add-include-path", os.path.dirname(GIR), GIR],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        warnings = [l for l in p.stdout.splitlines() if "WARNING" in l or "ERROR" in l]
        ok &= check(p.returncode == 0 and not warnings, "gi-docgen check finds nothing undocumented",
                    warnings or p.stdout.splitlines()[-5:])
    print("1..%d" % n)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
