#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Build a directory laid out like /proc/device-tree from a small JSON description.

Usage: mk-dt.py DESC.json OUTDIR

DESC.json:
  {
    "symbols": true,              # optional: write /__symbols__ like dtc -@
    "root": NODE
  }
  NODE = { "label": "gcc",        # optional DTS label (for &gcc and __symbols__)
           "props": { NAME: VALUE, ... },
           "nodes": { "name@unit": NODE, ... } }
  VALUE:
    "text"                  string, NUL-terminated
    ["a", "b"]              string list, NUL-separated
    [1, "0x400", "&gcc"]    u32 cells, big-endian; "&label" or "&/path/to/node"
                            is the phandle of that node (given one if it has none)
    true                    empty property
    {"bytes": "de ad be"}   raw bytes (for malformed-tree tests)

OUTDIR must not exist or be empty. python3 standard library only.
"""
import json
import os
import re
import sys

CELL_RE = re.compile(r"^(0[xX][0-9a-fA-F]+|[0-9]+|&.+)$")


def die(msg):
    sys.stderr.write("mk-dt.py: %s\n" % msg)
    sys.exit(2)


def walk(node, path, out):
    """(path, node) for NODE and its descendants, parents first."""
    out.append((path, node))
    for name in sorted(node.get("nodes", {})):
        walk(node["nodes"][name], path.rstrip("/") + "/" + name, out)
    return out


def is_cells(v):
    """Cells when every element is a number, "0x..", "123" or "&ref"."""
    if not isinstance(v, list) or not v:
        return False
    return all((isinstance(x, int) and not isinstance(x, bool)) or
               (isinstance(x, str) and CELL_RE.match(x)) for x in v)


def main():
    if len(sys.argv) != 3:
        die("usage: mk-dt.py DESC.json OUTDIR")
    with open(sys.argv[1]) as f:
        desc = json.load(f)
    outdir = sys.argv[2]
    if os.path.exists(outdir) and os.listdir(outdir):
        die("%s exists and is not empty" % outdir)
    nodes = walk(desc["root"], "/", [])

    by_label = {}
    for path, node in nodes:
        if "label" in node:
            if node["label"] in by_label:
                die("label %s used twice" % node["label"])
            by_label[node["label"]] = path
    by_path = {path: node for path, node in nodes}

    phandles = {}
    used = set()
    for path, node in nodes:
        ph = node.get("props", {}).get("phandle")
        if isinstance(ph, list) and len(ph) == 1 and isinstance(ph[0], int):
            phandles[path] = ph[0]
            used.add(ph[0])
    next_ph = [1]

    def phandle_of(ref):
        target = ref[1:]
        path = target if target.startswith("/") else by_label.get(target)
        if path is None or path not in by_path:
            die("reference %s: no such node or label" % ref)
        if path not in phandles:
            while next_ph[0] in used:
                next_ph[0] += 1
            phandles[path] = next_ph[0]
            used.add(next_ph[0])
        return phandles[path]

    def encode(name, v):
        if v is True:
            return b""
        if isinstance(v, str):
            return v.encode() + b"\0"
        if isinstance(v, dict) and "bytes" in v:
            return bytes.fromhex(v["bytes"])
        if is_cells(v):
            out = b""
            for x in v:
                if isinstance(x, str) and x.startswith("&"):
                    x = phandle_of(x)
                elif isinstance(x, str):
                    x = int(x, 0)
                if not 0 <= x <= 0xffffffff:
                    die("%s: cell %d does not fit 32 bits" % (name, x))
                out += x.to_bytes(4, "big")
            return out
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return b"".join(s.encode() + b"\0" for s in v)
        die("%s: cannot encode %r" % (name, v))

    # encode everything first: references hand out phandles
    files = []
    for path, node in nodes:
        for name, v in sorted(node.get("props", {}).items()):
            files.append((path, name, encode(path + ":" + name, v)))
    for path, ph in phandles.items():
        if "phandle" not in by_path[path].get("props", {}):
            files.append((path, "phandle", ph.to_bytes(4, "big")))
    if desc.get("symbols"):
        for label, path in by_label.items():
            files.append(("/__symbols__", label, path.encode() + b"\0"))

    os.makedirs(outdir, exist_ok=True)
    for path, _ in nodes:
        os.makedirs(os.path.join(outdir, path.lstrip("/")), exist_ok=True)
    for path, name, data in files:
        d = os.path.join(outdir, path.lstrip("/"))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
