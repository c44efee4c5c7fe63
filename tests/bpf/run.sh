#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Run every BPF test on the running kernel: the cmocka binaries built from
# tests/bpf/test_*.c, then the scripts tests/bpf/*.sh. Needs root (each test
# prints "skipped: reason" and passes without it). Output "ok - "/"not ok - " lines and
# one closing "N passed, N failed".
# usage: tests/bpf/run.sh OUTPUT_DIR
OUT=${1:-.output}
pass=0; failed=0
for t in "$OUT"/tests/bpf/test_*; do
	[ -x "$t" ] || continue
	# cmocka prints its own [ PASSED ]/[ FAILED ] summary: not counted twice
	if "$t"; then pass=$((pass + 1)); echo "# binary ok: $(basename "$t")"
	else failed=$((failed + 1)); echo "# binary FAILED: $(basename "$t")"; fi
done
for s in tests/bpf/*.sh; do
	[ "$(basename "$s")" = run.sh ] && continue
	if "$s" "$OUT"; then pass=$((pass + 1)); echo "ok - $(basename "$s")"
	else failed=$((failed + 1)); echo "not ok - $(basename "$s")"; fi
done
echo "bpf: $pass passed, $failed failed"
[ $failed = 0 ]
