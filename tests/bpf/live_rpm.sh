#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Real runtime-PM transitions end to end on the CI kernel: while
# `smmutrace live --json --board B` and `smmutrace record` run, the host
# bridge (0000:00:00.0, no driver: safe) is runtime-suspended and resumed
# through power/control (ci-host-kernel.md §4). B has a TBU gated by
# rpm:0000:00:00.0. Checks: live saw the initial state and every transition in
# order; replay of the recording made at the same time saw the same states.
# Never touches 0000:00:02.0/03.0/04.0 (root disk, network, vsock).
# usage: tests/bpf/live_rpm.sh OUTPUT_DIR
set -u
OUT=${1:-.output}
B=$OUT/smmutrace
DEV=0000:00:00.0
CTL=/sys/bus/pci/devices/$DEV/power/control

if [ "$(id -u)" != 0 ]; then echo "skipped: live_rpm needs root"; exit 0; fi
if [ ! -w "$CTL" ]; then echo "skipped: no $CTL on this machine"; exit 0; fi

tmp=$(mktemp -d)
old=$(cat "$CTL")
cleanup() { echo "$old" > "$CTL"; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL live_rpm: $*"; exit 1; }

cat > "$tmp/board.ini" <<EOB
[smmu fake.iommu]
[tbu hostbridge_tbu]
sids = 0x0-0xff
gates = rpm:$DEV
EOB

echo on > "$CTL"
"$B" live --json --board "$tmp/board.ini" --duration 5s --interval 0 \
	--events "$tmp/live.jsonl" > "$tmp/live.out" 2> "$tmp/live.err" &
lpid=$!
"$B" record -o "$tmp/rec.smt" --board "$tmp/board.ini" --duration 5s 2> "$tmp/rec.err" &
rpid=$!
# live writes its first events (meta + initial state) once attached
i=0
while [ ! -s "$tmp/live.jsonl" ] && [ $i -lt 40 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$tmp/live.jsonl" ] || fail "live produced no events: $(cat "$tmp/live.err")"
sleep 0.5
echo auto > "$CTL"
i=0
while [ "$(cat /sys/bus/pci/devices/$DEV/power/runtime_status)" != suspended ] && [ $i -lt 30 ]; do
	sleep 0.1; i=$((i + 1))
done
echo on > "$CTL"
wait $lpid; lrc=$?
wait $rpid; rrc=$?
[ $lrc = 0 ] || fail "live exited $lrc: $(cat "$tmp/live.err")"
[ $rrc = 0 ] || fail "record exited $rrc: $(cat "$tmp/rec.err")"

states() { grep "\"dev\":\"$DEV\"" | sed 's/.*"state":"\([a-z]*\)".*/\1/' | tr '\n' ' '; }
live_states=$(states < "$tmp/live.jsonl")
case "$live_states" in
"active "*"suspending suspended "*"resuming active "*) ;;
*) fail "live states of $DEV: '$live_states' (want active ... suspending suspended ... resuming active)";;
esac
head -1 "$tmp/live.jsonl" | grep -q '"ev":"meta".*"since_boot":false' || fail "first event is not meta since_boot:false"
summary=$(tail -1 "$tmp/live.out")
echo "$summary" | grep -q '"type":"summary"' || fail "live --json did not end with a summary"
echo "$summary" | grep -q '"unknown_gates":\[\]' || fail "rpm gate still unknown: $summary"

"$B" replay --json "$tmp/rec.smt" > "$tmp/replay.out" 2>&1 || fail "replay failed: $(cat "$tmp/replay.out")"
lrpm=$(echo "$summary" | sed 's/.*"rpm":\([0-9]*\).*/\1/')
rrpm=$(tail -1 "$tmp/replay.out" | sed 's/.*"rpm":\([0-9]*\).*/\1/')
[ "$lrpm" = "$rrpm" ] || fail "live saw $lrpm rpm events, the recording replays $rrpm"
if "$B" dump "$tmp/rec.smt" > "$tmp/dump.jsonl" 2>/dev/null; then
	rec_states=$(states < "$tmp/dump.jsonl")
	[ "$rec_states" = "$live_states" ] || fail "recording states '$rec_states' != live '$live_states'"
else
	echo "# dump not available in this build: compared event counts only"
fi
echo "ok live_rpm: $DEV states: $live_states(replay: $rrpm rpm events)"
