#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Check the structure of a Chrome/Perfetto trace-event JSON file.

usage: check_perfetto.py TRACE.json STREAM_FIRST_TS_NS STREAM_LAST_TS_NS [--min-findings N]

- a JSON object with a traceEvents array (the form ui.perfetto.dev loads)
- every event has ph, pid; every non-metadata event has a numeric ts, name, tid
- ts are microseconds: every ts lies within [first, last] of the stream's
  nanosecond ts divided by 1000 (a nanosecond ts would be 1000x outside)
- every async begin ("b") has exactly one end ("e") with the same cat and id,
  not before it; no "e" without its "b"; instants ("i") have scope t, p or g
- ts never goes backwards on a track (pid, tid) in file order
"""
import json
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    min_findings = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--min-findings" else 0
    problems = []
    try:
        data = json.load(open(path))
    except (OSError, ValueError) as e:
        print("%s: not JSON: %s" % (path, e))
        return 1
    evs = data.get("traceEvents") if isinstance(data, dict) else None
    if not isinstance(evs, list):
        print("%s: no traceEvents array" % path)
        return 1
    lo, hi = first / 1000.0, last / 1000.0
    open_async = {}
    last_ts = {}
    counts = {}
    for n, e in enumerate(evs):
        where = "traceEvents[%d]" % n
        ph = e.get("ph")
        counts[ph] = counts.get(ph, 0) + 1
        if ph is None or "pid" not in e:
            problems.append(where + ": no ph or pid")
            continue
        if ph == "M":
            if e.get("name") not in ("process_name", "thread_name") or "name" not in e.get("args", {}):
                problems.append(where + ": metadata without a name")
            continue
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or isinstance(ts, bool):
            problems.append(where + ": ts is not a number")
            continue
        if not (lo - 1e-6 <= ts <= hi + 1e-6):
            problems.append(where + ": ts %r outside the stream's [%r, %r] us: not microseconds?"
                            % (ts, lo, hi))
        if "tid" not in e or not e.get("name"):
            problems.append(where + ": no tid or name")
        track = (e["pid"], e.get("tid"))
        if ts < last_ts.get(track, float("-inf")):
            problems.append(where + ": ts %r goes backwards on track %r (was %r)"
                            % (ts, track, last_ts[track]))
        last_ts[track] = ts
        if ph in ("b", "e"):
            key = (e.get("cat"), e.get("id"))
            if key[1] is None:
                problems.append(where + ": async event without id")
            elif ph == "b":
                if key in open_async:
                    problems.append(where + ": async begin %r already open" % (key,))
                open_async[key] = (ts, e.get("name"))
            else:
                if key not in open_async:
                    problems.append(where + ": async end %r without a begin" % (key,))
                else:
                    bts, bname = open_async.pop(key)
                    if ts < bts:
                        problems.append(where + ": async end before its begin %r" % (key,))
                    if bname != e.get("name"):
                        problems.append(where + ": async end name %r differs from begin %r"
                                        % (e.get("name"), bname))
        elif ph in ("i", "I"):
            if e.get("s", "t") not in ("t", "p", "g"):
                problems.append(where + ": instant scope %r" % e.get("s"))
        elif ph not in ("X", "B", "E", "C", "s", "t", "f"):
            problems.append(where + ": unknown ph %r" % ph)
    for key in open_async:
        problems.append("async begin %r never ends" % (key,))
    findings = sum(1 for e in evs if e.get("cat") == "finding")
    if findings < min_findings:
        problems.append("%d finding instants, expected at least %d" % (findings, min_findings))
    for p in problems[:50]:
        print(p)
    if problems:
        print("%s: %d problem(s)" % (path, len(problems)))
        return 1
    print("%s: %d events (%s), %d tracks, %d findings: structure ok" % (
        path, len(evs), ", ".join("%s %d" % (k, v) for k, v in sorted(counts.items())),
        len(last_ts), findings))
    return 0


sys.exit(main())
