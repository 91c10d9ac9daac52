#!/usr/bin/env python3
"""The inventory of what crosses the binding with an owner, made from
Mailsync-1.0.gir each time (so it cannot go stale), and a check that
the Python ownership tests (python/test-ownership.py, C -> Python, and
python/test-ownership-backend.py, Python -> C, with their
ownership_common.py: what check-python-memcheck.sh runs under valgrind)
exercise every entry, between them:

- every function, method and constructor that returns, or gives in an
  out parameter, a container (C array, GList, GSList, GPtrArray,
  GHashTable, GBytes), a boxed type or an object is called (a method is
  found by its name; a constructor or static function as Class.name, a
  namespace function as Mailsync.name);
- every virtual method that does so is implemented in Python (a
  do_NAME method: the backend and status store written in Python);
- every signal that passes an object or a boxed type is connected to.

Names are read from the tests' syntax trees, never from their strings or
comments: a label that says "Folder.list_messages" does not count.

One line per entry (the inventory, in the log); the exit status says
whether all are covered.  A TAP skip plan only when the build has no
introspection; a missing .gir in a build that has it is a failure."""

import ast
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("srcdir", HERE)
BUILDDIR = os.environ.get("abs_builddir", HERE)
GIR = os.path.join(BUILDDIR, "..", "libmailsync", "Mailsync-1.0.gir")
TESTS = [os.path.join(SRCDIR, "python", name)
         for name in ("test-ownership.py", "test-ownership-backend.py", "ownership_common.py")]
C = "{http://www.gtk.org/introspection/core/1.0}"
GLIB = "{http://www.gtk.org/introspection/glib/1.0}"
BASIC = {"none", "utf8", "filename", "gboolean", "gint", "guint", "gint8", "guint8", "gint16", "guint16",
         "gint32", "guint32", "gint64", "guint64", "glong", "gulong", "gsize", "gssize", "gdouble", "gfloat",
         "gchar", "guchar", "gunichar", "GType", "gpointer", "gconstpointer", "GLib.Quark", "gshort",
         "gushort", "GLib.Pid"}


def describe(node):
    """The owned type of a return value or parameter node, or None."""
    arr = node.find(C + "array")
    if arr is not None:
        elem = arr.find(C + "type")
        return "%s<%s>" % (arr.get("name") or "C array", elem.get("name") if elem is not None else "?")
    t = node.find(C + "type")
    if t is None:
        return None
    name = t.get("name")
    if name in BASIC or name in ENUMS:
        return None
    inner = [x.get("name") for x in t.findall(C + "type")]
    return name + ("<%s>" % ",".join(inner) if inner else "")


def owned(callable_elem):
    """What a callable hands back with an owner: [(where, type, transfer)]."""
    out = []
    rv = callable_elem.find(C + "return-value")
    if rv is not None and describe(rv):
        out.append(("returns", describe(rv), rv.get("transfer-ownership")))
    params = callable_elem.find(C + "parameters")
    for p in params if params is not None else ():
        if p.get("direction") in ("out", "inout") and describe(p):
            out.append(("@" + p.get("name"), describe(p), p.get("transfer-ownership")))
    return out


def signal_passes(sig):
    params = sig.find(C + "parameters")
    return [("passes @" + p.get("name"), describe(p), p.get("transfer-ownership"))
            for p in (params if params is not None else ()) if describe(p)]


def dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def used_names(path):
    """Attribute names, dotted tails (Class.name), do_* definitions and
    connect('signal') names of a Python file."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    attrs, tails, defs, signals = set(), set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            attrs.add(node.attr)
            chain = dotted(node).split(".")
            if len(chain) >= 2:
                tails.add(".".join(chain[-2:]))
        elif isinstance(node, ast.FunctionDef):
            defs.add(node.name)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("connect", "connect_after") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            signals.add(node.args[0].value.split("::")[0].replace("_", "-"))
    return attrs, tails, defs, signals


def inventory(ns):
    """[(label, how it is found, what it hands over)]"""
    items = []
    for top in ns:
        tname = top.get("name")
        if top.tag == C + "function":
            if top.get("introspectable") != "0" and owned(top):
                items.append(("Mailsync.%s" % tname, ("tail", "Mailsync." + tname), owned(top)))
            continue
        for e in top:
            if e.get("introspectable") == "0" or e.get("moved-to"):
                continue
            name = e.get("name")
            if e.tag == C + "method" and owned(e):
                items.append(("%s.%s" % (tname, name), ("attr", name), owned(e)))
            elif e.tag in (C + "constructor", C + "function") and owned(e):
                items.append(("%s.%s" % (tname, name), ("tail", "%s.%s" % (tname, name)), owned(e)))
            elif e.tag == C + "virtual-method" and owned(e):
                items.append(("%s.do_%s (Python)" % (tname, name), ("def", "do_" + name), owned(e)))
            elif e.tag == GLIB + "signal" and signal_passes(e):
                items.append(("%s::%s" % (tname, name), ("signal", name), signal_passes(e)))
    return items


def main():
    global ENUMS
    if not os.path.exists(GIR):
        if os.environ.get("HAVE_INTROSPECTION", "no") == "yes":
            print("not ok 1 - %s exists in a build with introspection" % GIR)
            return 1
        print("1..0 # SKIP libmailsync built without GObject-Introspection")
        return 0
    ns = ET.parse(GIR).getroot().find(C + "namespace")
    ENUMS = {e.get("name") for e in ns if e.tag in (C + "enumeration", C + "bitfield")}
    attrs, tails, defs, signals = set(), set(), set(), set()
    for test in TESTS:
        for found_set, names in zip((attrs, tails, defs, signals), used_names(test)):
            found_set |= names
    found = {"attr": attrs, "tail": tails, "def": defs, "signal": signals}

    items = inventory(ns)
    n = 0
    missing = 0
    for label, (how, key), what in sorted(items):
        n += 1
        ok = key in found[how]
        missing += not ok
        detail = "; ".join("%s %s (transfer %s)" % w for w in what)
        print("%s %d - %s: %s" % ("ok" if ok else "not ok", n, label, detail))
    n += 1
    # A .gir that lost its annotations (or a broken parse) must not pass
    # by having nothing to check.
    kinds = {how for _, (how, _), _ in items}
    if len(items) >= 30 and kinds >= {"attr", "tail", "def", "signal"}:
        print("ok %d - the inventory has %d entries of every kind" % (n, len(items)))
    else:
        print("not ok %d - the inventory has %d entries (kinds: %s)" % (n, len(items), sorted(kinds)))
        missing += 1
    print("1..%d" % n)
    if missing:
        print("# %d not exercised by %s" % (missing, ", ".join(os.path.relpath(t, SRCDIR) for t in TESTS)))
    return 1 if missing else 0


ENUMS = set()

if __name__ == "__main__":
    sys.exit(main())
