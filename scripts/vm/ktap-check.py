#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Check one board boot's serial console log (scripts/vm/init's output).

usage: ktap-check.py LOG NAME
Prints the boot's KTAP document indented by four spaces (to nest it as a
subtest of the kernel's document), then "ok/not ok" diagnostics, and writes
"passed failed skipped" counts of leaf results to fd 3 if it is open.
Exit 0 when: the document is complete (end marker), every plan matches its
result count, nothing is "not ok", and the guest dmesg has no WARN/BUG/Oops/
panic/TLB sync timeout; 1 otherwise.
"""
import os
import re
import sys

BAD_DMESG = re.compile(
    r"------------\[ cut here \]|WARNING: CPU|BUG:|Oops|Unable to handle kernel|"
    r"Kernel panic|TLB sync timed out|CMD_SYNC timeout|soft lockup|rcu_sched self-detected|"
    r"rcu: INFO|blocked for more than|Call trace:")
KTAP_LINE = re.compile(r"^( *)(KTAP version \d+|1\.\.\d+|ok \d+.*|not ok \d+.*|#.*)$")
RESULT = re.compile(r"^( *)(not )?ok (\d+)( .*)?$")


def main():
    log, name = sys.argv[1], sys.argv[2]
    with open(log, "rb") as f:
        lines = f.read().decode("utf-8", "replace").replace("\r", "").split("\n")
    problems = []
    doc, dmesg = [], []
    state = "boot"
    seen_end = seen_done = seen_dmesg = False
    for ln in lines:
        if state == "boot":
            if ln == "KTAP version 1":
                state = "ktap"
                doc.append(ln)
        elif state == "ktap":
            if ln == "# SMT-KTAP-END":
                seen_end = True
                state = "after"
            elif KTAP_LINE.match(ln):
                doc.append(ln)
            elif ln.strip():
                doc.append("# console: " + ln)
        if ln == "# SMT-DMESG-BEGIN":
            state = "dmesg"
            seen_dmesg = True
            continue
        if state == "dmesg":
            if ln == "# SMT-DMESG-END":
                state = "after"
            else:
                dmesg.append(ln)
        if ln == "# SMT-DONE":
            seen_done = True
        if "Kernel panic" in ln and state != "dmesg":
            problems.append("console: " + ln.strip())

    if not doc:
        problems.append("no KTAP document on the console (guest did not reach /init's tests)")
    elif not seen_end:
        problems.append("KTAP document incomplete (no end marker): guest crashed, hung or was killed")
    if not seen_dmesg:
        problems.append("no dmesg section on the console")
    if not seen_done:
        problems.append("guest did not finish (no SMT-DONE marker)")

    # plans vs results per nesting level; a deeper "KTAP version" opens a subtest
    stack = []  # [indent, plan, count]
    passed = failed = skipped = 0
    for ln in doc:
        m = re.match(r"^( *)KTAP version", ln)
        if m:
            stack.append([len(m.group(1)), None, 0])
            continue
        m = re.match(r"^( *)1\.\.(\d+)$", ln)
        if m and stack and stack[-1][0] == len(m.group(1)):
            stack[-1][1] = int(m.group(2))
            continue
        m = RESULT.match(ln)
        if not m:
            continue
        ind = len(m.group(1))
        # a result at a shallower level closes the subtests above it: it is
        # their parent, not a leaf
        leaf = True
        while stack and stack[-1][0] > ind:
            lvl = stack.pop()
            if lvl[1] is not None and lvl[1] != lvl[2]:
                problems.append("subtest before '%s': plan %d, %d results" % (ln.strip(), lvl[1], lvl[2]))
            leaf = False
        if stack and stack[-1][0] == ind:
            stack[-1][2] += 1
        if m.group(2):
            problems.append("not ok: " + ln.strip())
        if leaf:
            if m.group(2):
                failed += 1
            elif "# SKIP" in ln:
                skipped += 1
            else:
                passed += 1
    if stack:
        top = stack[0]
        if top[1] is None:
            problems.append("no test plan")
        elif top[1] != top[2]:
            problems.append("plan %d, %d results" % (top[1], top[2]))

    bad = [d for d in dmesg if BAD_DMESG.search(d)]
    if bad:
        problems.append("guest dmesg has kernel warnings/errors:")
        problems += ["  " + b.strip() for b in bad[:20]]

    for ln in doc:
        print("  " + ln)
    if problems:
        for p in problems:
            print("  # " + p)
        # the console's last lines show where a dead guest stopped
        tail = [t for t in lines if t.strip()][-15:]
        if not seen_done:
            for t in tail:
                print("  # console| " + t)
        failed += 1 if not failed else 0
    try:
        os.write(3, ("%d %d %d\n" % (passed, failed, skipped)).encode())
    except OSError:
        pass
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
