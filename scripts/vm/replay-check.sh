#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Host half of tests/vm/60-record-replay.sh: replay the guest's recording with
# the host's smmutrace and compare with the guest's own replay (exactly) and
# the guest's live run (per-rule counts). Prints KTAP results (indented as a
# subtest); exit 0 when all pass.
#   scripts/vm/replay-check.sh HOST_SMMUTRACE CONSOLE_LOG WORKDIR
set -uo pipefail
. "$(dirname "$0")/host-check-lib.sh" replay-check.sh 4 "$@"
[ -s "$dir/rec.smtrec" ]; res $? recording-came-back "$(cat "$dir/extract.err")"
# same analysis options as the guest's runs (tests/vm/lib.sh SMT_OPTS)
"$bin" replay --sync-slow 1s --json "$dir/rec.smtrec" >"$dir/host-replay.jsonl" 2>"$dir/host-replay.err"
rc=$?
[ $rc = 1 ]; res $? host-replay-exit-status "exit $rc $(head -c 300 "$dir/host-replay.err")"
# findings only: the summary may carry host-specific fields
findings() { grep -E '"type" *: *"finding"' "$1" 2>/dev/null; }
if diff <(findings "$dir/replay.jsonl") <(findings "$dir/host-replay.jsonl") >"$dir/diff" 2>&1; then
	res 0 host-replay-identical-to-guest-replay "$(findings "$dir/host-replay.jsonl" | wc -l) findings"
else
	res 1 host-replay-identical-to-guest-replay "differ: $(head -c 400 "$dir/diff")"
fi
rules() { findings "$1" | sed -n 's/.*"rule" *: *"\([^"]*\)".*/\1/p' | sort | uniq -c | tr -s ' \n' '  '; }
a=$(rules "$dir/live.jsonl") b=$(rules "$dir/host-replay.jsonl")
# live and record are two captures: when the kernel skipped runs of either's
# programs (reported as lost events, see tests/vm/lib.sh set_lossy) they saw
# different events, and only the replays above must agree
lost() { grep -E '"type" *: *"summary"' "$1" 2>/dev/null | grep -oE '"lost" *: *[0-9]+' | grep -oE '[0-9]+$' | head -n1; }
ll=$(lost "$dir/live.jsonl") lr=$(lost "$dir/host-replay.jsonl")
if [ "$a" != "$b" ] && { [ "${ll:-0}" -gt 0 ] || [ "${lr:-0}" -gt 0 ]; }; then
	n=$((n + 1))
	echo "  # live: $a; host replay: $b"
	echo "  ok $n host-replay-finds-what-guest-live-found # SKIP events lost (live ${ll:-0}, recording ${lr:-0})"
else
	[ "$a" = "$b" ]; res $? host-replay-finds-what-guest-live-found "live: $a; host replay: $b"
fi
exit $fail
