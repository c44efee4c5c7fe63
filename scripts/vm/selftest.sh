#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Host-only self-test of the board rig's result handling (no QEMU needed):
# ktap-check.py must pass a good console log and fail each kind of bad one,
# extract-files.sh must bring a file back byte-identical.
# Prints "ok - NAME" / "not ok - NAME" and "selftest: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
t() { # t NAME WANT_RC CMD...
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>&1 || rc=$?
	if [ "$rc" = "$want" ]; then echo "ok - $name"; pass=$((pass + 1))
	else echo "not ok - $name (exit $rc, want $want)"; sed 's/^/# /' "$tmp/out" | head -n 10; fail=$((fail + 1)); fi
}

b64=$(printf hello | gzip -c | base64 -w0)
printf '%s\r\n' '[    1.0] booting' 'KTAP version 1' '# board' '1..2' '  KTAP version 1' '  1..2' \
	'  ok 1 a' '  ok 2 b' 'ok 1 s1' 'ok 2 s2 # SKIP nope' '# SMT-KTAP-END' \
	'SMT-FILE-BEGIN x' "$b64" 'SMT-FILE-END' \
	'# SMT-DMESG-BEGIN' '[    0.1] all fine' '# SMT-DMESG-END' '# SMT-DONE' >"$tmp/good.log"
check() { python3 "$here/ktap-check.py" "$1" test; }
t ktap-good-log-passes 0 check "$tmp/good.log"
sed 's/all fine/------------[ cut here ]------------/' "$tmp/good.log" >"$tmp/warn.log"
t ktap-kernel-warning-fails 1 check "$tmp/warn.log"
sed 's/all fine/arm-smmu 1.iommu: TLB sync timed out -- SMMU may be deadlocked/' "$tmp/good.log" >"$tmp/sync.log"
t ktap-tlb-sync-timeout-fails 1 check "$tmp/sync.log"
sed 's/  ok 2 b/  not ok 2 b/' "$tmp/good.log" >"$tmp/fail.log"
t ktap-not-ok-subtest-fails 1 check "$tmp/fail.log"
sed 's/^1\.\.2/1..3/' "$tmp/good.log" >"$tmp/plan.log"
t ktap-plan-mismatch-fails 1 check "$tmp/plan.log"
sed 's/^  1\.\.2/  1..5/' "$tmp/good.log" >"$tmp/subplan.log"
t ktap-subtest-plan-mismatch-fails 1 check "$tmp/subplan.log"
head -n 8 "$tmp/good.log" >"$tmp/dead.log"
t ktap-dead-guest-fails 1 check "$tmp/dead.log"
: >"$tmp/empty.log"
t ktap-empty-console-fails 1 check "$tmp/empty.log"
t extract-files-finds-file 0 "$here/extract-files.sh" "$tmp/good.log" "$tmp/x"
t extract-files-content-intact 0 test "$(cat "$tmp/x/x" 2>/dev/null)" = hello
t extract-files-none-sent-fails 1 "$here/extract-files.sh" "$tmp/dead.log" "$tmp/y"
echo "selftest: $pass passed, $fail failed"
[ "$fail" = 0 ]
