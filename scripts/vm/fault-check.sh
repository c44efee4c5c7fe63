#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Host half of tests/vm/80-edu-fault.sh: replay the guest's recording of the
# edu fault with the host's smmutrace; a fault-after-unmap finding must name
# the unmap of the IOVA the guest's edu device faulted on. Prints KTAP results
# (indented as a subtest); exit 0 when all pass.
#   scripts/vm/fault-check.sh HOST_SMMUTRACE CONSOLE_LOG WORKDIR
set -uo pipefail
. "$(dirname "$0")/host-check-lib.sh" fault-check.sh 3 "$@"
iova=$(tr -d ' \n' <"$dir/fault.iova" 2>/dev/null)
[ -s "$dir/fault.smtrec" ] && [ -n "$iova" ]
res $? fault-recording-came-back "$(cat "$dir/extract.err")"
"$bin" replay --sync-slow 1s --json "$dir/fault.smtrec" >"$dir/host-replay.jsonl" 2>"$dir/host-replay.err"
rc=$?
[ $rc = 1 ]; res $? host-replay-exit-status "exit $rc $(head -c 300 "$dir/host-replay.err")"
# the finding's evidence names the unmap, with its IOVA
if grep -E '"rule" *: *"fault-after-unmap"' "$dir/host-replay.jsonl" |
	grep -qiE "\"ev\" *: *\"unmap\"[^}]*\"iova\" *: *\"$iova\""; then
	res 0 host-replay-fault-after-unmap-names-the-unmap "IOVA $iova"
else
	res 1 host-replay-fault-after-unmap-names-the-unmap \
		"no fault-after-unmap naming the unmap of $iova; findings: $(grep -o '"rule":"[^"]*"' "$dir/host-replay.jsonl" | sort | uniq -c | tr -s ' \n' '  ')"
fi
exit $fail
