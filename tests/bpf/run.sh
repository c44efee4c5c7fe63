#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Run every BPF test on the running kernel: the cmocka binaries built from
# tests/bpf/test_*.c, then the scripts tests/bpf/*.sh. Needs root: a test that
# cannot run here prints "skipped: REASON" and exits 0, which is reported as
# "ok - NAME # SKIP REASON" (KTAP), never as a pass. Output "ok - "/"not ok - "
# lines and one closing "bpf: N passed, N failed, N skipped".
# usage: tests/bpf/run.sh OUTPUT_DIR
OUT=${1:-.output}
pass=0 failed=0 skipped=0
log=$(mktemp "${TMPDIR:-/tmp}/smmutrace-bpf.XXXXXX") || exit 3
trap 'rm -f "$log"' EXIT

# run_one KIND NAME CMD...: run a test, show its output, then count it. KIND
# "binary": cmocka prints and run-tests.sh counts its own [ PASSED ]/[ FAILED ]
# summary, so a binary that ran to its summary is only noted here, not counted
# twice.
run_one() {
	kind=$1 name=$2
	shift 2
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	reason=$(sed -n 's/^skipped: //p' "$log" | head -n 1)
	if [ "$rc" = 0 ] && [ -n "$reason" ]; then
		skipped=$((skipped + 1))
		echo "ok - $name # SKIP $reason"
	elif [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		if [ "$kind" = binary ]; then echo "# binary ok: $name"; else echo "ok - $name"; fi
	else
		failed=$((failed + 1))
		# a binary that died before its summary (a crash) is a "not ok" here
		if [ "$kind" = binary ] && grep -q '^\[  FAILED  \] [0-9]' "$log"; then
			echo "# binary FAILED: $name (exit $rc)"
		else
			echo "not ok - $name (exit $rc)"
		fi
	fi
}

for t in "$OUT"/tests/bpf/test_*; do
	[ -x "$t" ] || continue
	run_one binary "$(basename "$t")" "$t"
	# again with the entry state in the LRU hashes, as on kernels before 6.2
	# (this kernel's kprobe programs may use task storage: the first run took it)
	run_one binary "$(basename "$t") (entry state in LRU hashes)" \
		env SMMUTRACE_NO_TASK_STATE=1 "$t"
done
for s in tests/bpf/*.sh; do
	[ "$(basename "$s")" = run.sh ] && continue
	run_one script "$(basename "$s")" "$s" "$OUT"
done
echo "bpf: $pass passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
