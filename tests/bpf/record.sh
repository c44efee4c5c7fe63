#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `smmutrace record` on the running kernel with real runtime-PM events from the
# host bridge (0000:00:00.0, ci-host-kernel.md §4): size cap + rotation keep
# FILE.1..N, each file replays on its own; SIGTERM finishes the file; kill -9
# leaves a file readable up to its last flushed block.
# usage: tests/bpf/record.sh OUTPUT_DIR
set -u
OUT=${1:-.output}
B=$OUT/smmutrace
DEV=0000:00:00.0
CTL=/sys/bus/pci/devices/$DEV/power/control
if [ "$(id -u)" != 0 ]; then echo "skipped: record needs root"; exit 0; fi
if [ ! -w "$CTL" ]; then echo "skipped: no $CTL on this machine"; exit 0; fi
tmp=$(mktemp -d)
old=$(cat "$CTL")
cleanup() { echo "$old" > "$CTL"; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL record: $*"; exit 1; }
printf '[tbu t]\nsids = 0x0-0xff\ngates = rpm:%s\n' "$DEV" > "$tmp/board.ini"

toggle() {	# N suspend/resume cycles of the host bridge
	for i in $(seq "$1"); do
		echo auto > "$CTL"; sleep 0.06; echo on > "$CTL"; sleep 0.02
	done
}
rpm_events() { "$B" replay --json "$1" 2>/dev/null | tail -1 | sed -n 's/.*"rpm":\([0-9]*\).*/\1/p'; }

# 1. SIGTERM finishes the file; rotation at 4 KiB keeps at most 2 old files
"$B" record -o "$tmp/r.smt" --board "$tmp/board.ini" --max-size 4096 --rotate 2 \
	2> "$tmp/err" &
pid=$!
sleep 1
toggle 40
sleep 1.2
kill -TERM $pid; wait $pid; rc=$?
[ $rc = 0 ] || fail "record after SIGTERM: exit $rc: $(cat "$tmp/err")"
[ -s "$tmp/r.smt" ] || fail "no file"
[ -s "$tmp/r.smt.1" ] || fail "no rotation to r.smt.1 at --max-size 4096 ($(ls -l "$tmp"))"
[ ! -e "$tmp/r.smt.3" ] || fail "--rotate 2 kept r.smt.3"
for f in "$tmp"/r.smt*; do
	"$B" replay "$f" > "$tmp/replay.out" 2>&1 || fail "replay $f: $(cat "$tmp/replay.out")"
done
# every kept file stands alone: meta + initial state + traced events
total=0
for f in "$tmp"/r.smt*; do
	n=$(rpm_events "$f")
	want=2	# a rotated file: initial state + at least one traced event
	[ "$f" = "$tmp/r.smt" ] && want=1	# the newest may hold only the initial state
	[ "$n" -ge $want ] || fail "$f replays only '$n' rpm events"
	if "$B" dump "$f" > "$tmp/dump.jsonl" 2>/dev/null; then
		head -1 "$tmp/dump.jsonl" | grep -q '"ev":"meta"' || fail "$f does not start with meta"
		sed 's/.*"ts":\([0-9]*\).*/\1/' "$tmp/dump.jsonl" |
			awk 'NR > 1 && $1 < last { bad = 1 } { last = $1 } END { exit bad }' ||
			fail "$f: timestamps go backwards"
	fi
	total=$((total + n))
done

# 2. kill -9: what was flushed (once a second) still replays
"$B" record -o "$tmp/k.smt" --board "$tmp/board.ini" 2> "$tmp/err" &
pid=$!
sleep 1
toggle 5
sleep 1.5
kill -9 $pid; wait $pid 2>/dev/null
n=$(rpm_events "$tmp/k.smt")
[ -n "$n" ] && [ "$n" -ge 10 ] || fail "after kill -9: '$n' rpm events replayed (want >= 10)"
echo "ok record: rotation ($(ls "$tmp" | grep -c 'r.smt') files, $total rpm events), kill -9 kept $n"
