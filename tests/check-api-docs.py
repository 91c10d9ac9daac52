#!/usr/bin/env python3
"""Every public symbol of libmailsync is documented and says since when.

Reads the introspection data the build made (libmailsync/Mailsync-1.0.gir,
from the doc comments of the public headers and sources): each class,
interface, record, enumeration, constant, callback, function, method,
constructor, virtual method, property, signal and function-like macro must
carry a doc text and a version (the comment's "Since:"), each enumeration
member a doc text; every exported function (libmailsync.symbols) must be
in the .gir, so that none escapes these checks.
The .gir leaves out most macros, so every macro the installed headers
define (all but the _-prefixed ones, which are private) must have a doc
comment with "Since:" in the public headers or sources.  Then `gi-docgen
check`, when gi-docgen is installed, for every parameter.  TAP; skipped
(1..0 # SKIP) when introspection is not built."""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import mailsync_tap

TOP_BUILDDIR = os.environ.get("top_builddir", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TOP_SRCDIR = os.environ.get("top_srcdir", TOP_BUILDDIR)
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
    GLIB + "signal": "signal", CORE + "function-macro": "macro", CORE + "member": "member",
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
            if label is not None:
                yield label, child
            if kind in ("class", "interface", "record", "enum", "flags"):
                yield from walk(child, name)
    yield from walk(ns, "")


def make_variables(makefile):
    """The variables of a generated Makefile, unexpanded."""
    with open(makefile) as f:
        text = f.read().replace("\\\n", " ")
    return dict(m.groups() for m in re.finditer(r"^([A-Za-z_][A-Za-z0-9_]*) *= *(.*)$", text, re.M))


def expand(value, variables):
    return re.sub(r"\$\(([A-Za-z0-9_]+)\)", lambda m: expand(variables.get(m.group(1), ""), variables), value)


def public_files():
    """(installed headers, all files the scanner reads), as paths."""
    v = make_variables(os.path.join(TOP_BUILDDIR, "libmailsync", "Makefile"))

    def paths(name):
        out = []
        for f in expand(v.get(name, ""), v).split():
            for d in (TOP_SRCDIR, TOP_BUILDDIR):
                if os.path.exists(os.path.join(d, "libmailsync", f)):
                    out.append(os.path.join(d, "libmailsync", f))
                    break
            else:
                raise FileNotFoundError("libmailsync/" + f)
        return out
    headers = paths("public_headers") + paths("nodist_libmailsyncinclude_HEADERS")
    return headers, headers + paths("public_sources")


DOC_BLOCK = re.compile(r"/\*\*\s*\n\s*\*\s*([A-Za-z_][A-Za-z0-9_]*):(.*?)\*/", re.S)


def undocumented_macros():
    """(number of public macros, [those without a doc comment with Since:])."""
    headers, scanned = public_files()
    docs = {}
    for path in scanned:
        with open(path) as f:
            for m in DOC_BLOCK.finditer(f.read()):
                docs[m.group(1)] = m.group(2)
    macros = set()
    for path in headers:
        with open(path) as f:
            macros.update(re.findall(r"^\s*#\s*define\s+([A-Za-z][A-Za-z0-9_]*)", f.read(), re.M))
    missing = sorted("macro %s%s" % (name, "" if name not in docs else " (no Since:)")
                     for name in macros if not re.search(r"^\s*\*\s*Since:", docs.get(name, ""), re.M))
    return len(macros), missing


def main():
    if not os.path.exists(GIR):
        print("1..0 # SKIP %s is not built (configure --enable-introspection)" % GIR)
        return 0
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
        # an enumeration member is as old as its enumeration (a newer one
        # would say so in its text)
        if not elem.get("version") and not label.startswith("member "):
            unversioned.append(label)
    tap = mailsync_tap.Tap()

    def check(ok, label, detail):
        """One check; a failure lists @detail, one item a line."""
        tap.check(label, ok)
        if not ok:
            for line in detail:
                print("#   " + line)
        return ok

    ok = check(total > 100, "the .gir describes the API (%d symbols)" % total, ["only %d symbols" % total])
    ok &= check(not undocumented, "every public symbol has a doc text (%d without)" % len(undocumented), undocumented)
    ok &= check(not unversioned, "every public symbol says Since: (%d without)" % len(unversioned), unversioned)
    # GType getters are the classes' glib:get-type.
    in_gir = {e.get("{http://www.gtk.org/introspection/c/1.0}identifier") for e in root.iter()}
    with open(os.path.join(TOP_SRCDIR, "libmailsync", "libmailsync.symbols")) as f:
        exported = [s for s in f.read().split() if not s.endswith("_get_type")]
    missing = [s for s in exported if s not in in_gir]
    ok &= check(not missing, "every exported function is in the .gir (%d, %d missing)" % (len(exported), len(missing)),
                missing)
    nmacros, macros = undocumented_macros()
    ok &= check(nmacros > 20 and not macros,
                "every macro of the installed headers has a doc comment with Since: (%d macros, %d without)"
                % (nmacros, len(macros)), macros)
    # gi-docgen's own check also covers every parameter.
    docgen = shutil.which("gi-docgen")
    if docgen is None:
        tap.skip("gi-docgen check", "gi-docgen is not installed")
    else:
        p = subprocess.run([docgen, "check", "--add-include-path", os.path.dirname(GIR), GIR],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        out = re.sub(r"\x1b\[[0-9;]*m", "", p.stdout)  # no colours in the log
        warnings = [l for l in out.splitlines() if "WARNING" in l or "ERROR" in l]
        ok &= check(p.returncode == 0 and not warnings, "gi-docgen check finds nothing undocumented",
                    warnings or out.splitlines()[-5:])
    tap.finish()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
