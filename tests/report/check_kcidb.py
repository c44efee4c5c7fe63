#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Check a KCIDB file against the v5.3 I/O schema (kernelci/kcidb-io,
kcidb_io/schema/v05_03.py), written from its published properties, required
fields and patterns, because kcidb-io is not packaged in Debian 12.

usage: check_kcidb.py FILE.json [--origin smmutrace] [--compatible STR ...]
Exits 1 with one line per problem.
"""
import json
import re
import sys

ORIGIN_RE = re.compile(r"^[a-z0-9_]+$")
ID_RE = re.compile(r"^[a-z0-9_]+:.*$")
STATUS = {"FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"}
NO_NUL = re.compile(r"^[^\0]*$")
COMPATIBLE_RE = re.compile(r"^[^ \0]+(,[^ \0]+)*$")
# dot-separated words; stricter than needed is fine for a producer-side check
PATH_RE = re.compile(r"^$|^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
ARCH_RE = re.compile(r"^[a-z0-9_]*$")

# properties of each object (additionalProperties is false for all of them)
PROPS = {
    "checkout": {"_timestamp", "id", "origin", "tree_name", "git_repository_url",
                 "git_commit_hash", "git_commit_name", "git_commit_tags",
                 "git_commit_message", "git_repository_branch", "git_repository_branch_tip",
                 "patchset_files", "patchset_hash", "message_id", "comment", "start_time",
                 "origin_builds_finish_time", "origin_tests_finish_time", "log_url",
                 "log_excerpt", "valid", "misc"},
    "build": {"_timestamp", "checkout_id", "id", "origin", "comment", "start_time", "duration",
              "architecture", "command", "compiler", "input_files", "output_files",
              "config_name", "config_url", "log_url", "log_excerpt", "status", "misc"},
    "test": {"_timestamp", "build_id", "id", "origin", "environment", "path", "comment",
             "log_url", "log_excerpt", "status", "number", "start_time", "duration",
             "input_files", "output_files", "misc"},
    "issue": {"_timestamp", "id", "version", "origin", "categories", "report_url",
              "report_subject", "culprit", "comment", "misc"},
    "incident": {"_timestamp", "id", "origin", "issue_id", "issue_version", "build_id",
                 "test_id", "present", "comment", "misc"},
}
REQUIRED = {
    "checkout": ["id", "origin"],
    "build": ["checkout_id", "id", "origin"],
    "test": ["build_id", "id", "origin"],
    "issue": ["id", "version", "origin"],
    "incident": ["id", "origin", "issue_id", "issue_version"],
}
LISTS = {"checkouts": "checkout", "builds": "build", "tests": "test", "issues": "issue",
         "incidents": "incident"}

problems = []


def bad(where, what):
    problems.append("%s: %s" % (where, what))


def no_nulls(where, v):
    """'no properties can be null' (schema description)"""
    if v is None:
        bad(where, "null value")
    elif isinstance(v, dict):
        for k, x in v.items():
            no_nulls("%s.%s" % (where, k), x)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            no_nulls("%s[%d]" % (where, i), x)


def check_str(where, v, pattern=NO_NUL, max_len=None):
    if not isinstance(v, str):
        bad(where, "not a string")
        return
    if not pattern.match(v):
        bad(where, "%r does not match %s" % (v[:80], pattern.pattern))
    if max_len is not None and len(v) > max_len:
        bad(where, "longer than %d" % max_len)


def check_obj(kind, where, o, origin):
    if not isinstance(o, dict):
        bad(where, "not an object")
        return
    for k in o:
        if k not in PROPS[kind]:
            bad(where, "unknown property %r (additionalProperties is false)" % k)
    for k in REQUIRED[kind]:
        if k not in o:
            bad(where, "required property %r missing" % k)
    check_str(where + ".origin", o.get("origin", ""), ORIGIN_RE)
    for k in ("id", "checkout_id", "build_id", "test_id", "issue_id"):
        if k in o:
            check_str("%s.%s" % (where, k), o[k], ID_RE)
    if o.get("origin") and isinstance(o.get("id"), str) and not o["id"].startswith(o["origin"] + ":"):
        bad(where, "id %r does not start with its origin %r" % (o["id"], o["origin"]))
    if origin and o.get("origin") != origin:
        bad(where, "origin %r is not %r" % (o.get("origin"), origin))
    for k in ("comment", "log_excerpt", "report_subject", "tree_name", "config_name"):
        if k in o:
            check_str("%s.%s" % (where, k), o[k], NO_NUL, 16384 if k == "log_excerpt" else None)
    if "status" in o and o["status"] not in STATUS:
        bad(where, "status %r not one of %s" % (o["status"], sorted(STATUS)))
    for k in ("valid", "present"):
        if k in o and not isinstance(o[k], bool):
            bad("%s.%s" % (where, k), "not a boolean")
    for k in ("version", "issue_version"):
        if k in o and (not isinstance(o[k], int) or isinstance(o[k], bool) or o[k] < 0):
            bad("%s.%s" % (where, k), "not an integer >= 0")
    if "duration" in o and not isinstance(o["duration"], (int, float)):
        bad(where + ".duration", "not a number")
    if "misc" in o and not isinstance(o["misc"], dict):
        bad(where + ".misc", "not an object")
    if "architecture" in o:
        check_str(where + ".architecture", o["architecture"], ARCH_RE)
    if "path" in o:
        check_str(where + ".path", o["path"], PATH_RE)
    if kind == "test":
        n = o.get("number")
        if n is not None:
            if not isinstance(n, dict) or set(n) - {"value", "unit", "prefix"} or "value" not in n:
                bad(where + ".number", "must be {value[, unit, prefix]}")
            elif not isinstance(n["value"], (int, float)) or isinstance(n["value"], bool):
                bad(where + ".number.value", "not a number")
            elif "prefix" in n and n["prefix"] not in ("metric", "binary"):
                bad(where + ".number.prefix", "not metric or binary")
        env = o.get("environment")
        if env is not None:
            if not isinstance(env, dict) or set(env) - {"compatible", "comment", "misc"}:
                bad(where + ".environment", "only compatible, comment, misc are allowed")
            else:
                for i, c in enumerate(env.get("compatible", [])):
                    check_str("%s.environment.compatible[%d]" % (where, i), c, COMPATIBLE_RE)
    if kind == "issue":
        c = o.get("culprit")
        if c is not None:
            if not isinstance(c, dict) or set(c) - {"code", "tool", "harness"} or \
               not all(isinstance(x, bool) for x in c.values()):
                bad(where + ".culprit", "must hold only boolean code/tool/harness")
        for i, p in enumerate(o.get("categories", [])):
            check_str("%s.categories[%d]" % (where, i), p, PATH_RE)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    origin = None
    compatible = []
    path = args[0]
    i = 1
    while i < len(args):
        if args[i] == "--origin":
            origin = args[i + 1]
            i += 2
        elif args[i] == "--compatible":
            compatible.append(args[i + 1])
            i += 2
        else:
            sys.exit("unknown argument %s" % args[i])
    try:
        data = json.load(open(path))
    except (OSError, ValueError) as e:
        print("%s: not JSON: %s" % (path, e))
        return 1
    if not isinstance(data, dict):
        bad(path, "top level is not an object")
    else:
        no_nulls("$", data)
        for k in data:
            if k != "version" and k not in LISTS:
                bad("$", "unknown top-level property %r" % k)
        v = data.get("version")
        if not isinstance(v, dict) or v.get("major") != 5 or set(v) - {"major", "minor"}:
            bad("$.version", "must be {major: 5[, minor]}")
        elif not isinstance(v.get("minor", 0), int) or not 0 <= v.get("minor", 0) <= 3:
            bad("$.version.minor", "must be 0..3 for schema v5.3")
        ids = {}
        for lst, kind in LISTS.items():
            items = data.get(lst, [])
            if not isinstance(items, list):
                bad("$." + lst, "not an array")
                continue
            for n, o in enumerate(items):
                check_obj(kind, "$.%s[%d]" % (lst, n), o, origin)
                if isinstance(o, dict) and "id" in o:
                    key = (kind, o["id"])
                    if key in ids:
                        bad("$.%s[%d]" % (lst, n), "duplicate id %r" % o["id"])
                    ids[key] = o
        # links must resolve inside this file (we submit a complete set)
        for lst, kind, field, target in (("builds", "build", "checkout_id", "checkout"),
                                         ("tests", "test", "build_id", "build"),
                                         ("incidents", "incident", "issue_id", "issue"),
                                         ("incidents", "incident", "test_id", "test"),
                                         ("incidents", "incident", "build_id", "build")):
            for n, o in enumerate(data.get(lst, [])):
                if isinstance(o, dict) and field in o and (target, o[field]) not in ids:
                    bad("$.%s[%d].%s" % (lst, n, field), "%r names no %s here" % (o[field], target))
        for n, o in enumerate(data.get("incidents", [])):
            if isinstance(o, dict) and "test_id" not in o and "build_id" not in o:
                bad("$.incidents[%d]" % n, "links neither a test nor a build")
            iss = ids.get(("issue", o.get("issue_id"))) if isinstance(o, dict) else None
            if iss and iss.get("version") != o.get("issue_version"):
                bad("$.incidents[%d]" % n, "issue_version does not match its issue")
        if compatible:
            seen = [t.get("environment", {}).get("compatible") for t in data.get("tests", [])]
            if not seen or any(c != compatible for c in seen):
                bad("$.tests", "environment.compatible is not %r in every test" % compatible)
    for p in problems:
        print(p)
    if problems:
        print("%s: %d problem(s) against KCIDB v5.3" % (path, len(problems)))
        return 1
    print("%s: valid KCIDB v5.3 (%s)" % (path, ", ".join(
        "%d %s" % (len(data.get(k, [])), k) for k in LISTS)))
    return 0


sys.exit(main())
