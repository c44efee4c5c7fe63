# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench-board` in the guest (smtmode=bench; not a test scenario: its
# name has no number). The same direct read under four setups, the setups
# alternated inside each round so that the emulator's drift between boots and
# over a boot hits them all alike:
#   none     nothing traced
#   ftrace   the kernel's iommu:map/iommu:unmap tracepoints into the trace
#            buffer (8 MiB, no overrun), read out after the timed read: the
#            tracepoints' own cost, the strict comparison
#   ftrace-reader  the same with the binary per-CPU pages read out while
#            the read runs, as trace-cmd record does (here by cat, which
#            wakes for partly filled pages: an upper bound)
#   count    smmutrace record with SMMUTRACE_COUNT_ONLY: the same hooks, same
#            attach methods, every program only counting its run (the floor)
#   discard  smmutrace record with SMMUTRACE_DISCARD: the programs' full work,
#            the records taken off the ring buffer and dropped unread (record
#            less discard is the consumer: decode, order, encode, compress)
#   record   smmutrace record -o FILE
# Only the read is timed, two ways: wall time, and busy time = wall time minus
# the CPU's idle and iowait time (NO_HZ accounting, exact to 10 ms): the CPU
# time everything (dd, interrupts, smmutrace's consumer, the ftrace reader)
# spent while the read ran. Under scripts/vmtest's -icount (BENCH_ICOUNT=1)
# busy time counts guest instructions, so it does not depend on the host's
# load; the overhead figures are computed from it. Prints "bench: ROUND SETUP
# WALL BUSY" lines and the medians between "# SMT-BENCH-BEGIN" and
# "# SMT-BENCH-END".
# SMT_BENCH_READS (8192) 4 KiB reads per run, SMT_BENCH_ROUNDS (5).
. ./lib.sh >/dev/null
# failures are part of the figures' story: on the console between the markers
exec 2>&1
reads=${SMT_BENCH_READS:-8192}
rounds=${SMT_BENCH_ROUNDS:-5}
DD="dd if=/dev/vda of=/dev/null bs=4k count=$reads iflag=direct"
setups="none ftrace ftrace-reader count discard record"

# idle_s: seconds the CPU was idle or waiting for I/O since boot
idle_s() { awk '$1 == "cpu" { printf "%.2f", ($5 + $6) / 100 }' /proc/stat; }

# timed_dd: "WALL BUSY" seconds of the read (guest clock, centiseconds)
timed_dd() {
	local t0 i0
	t0=$(now_s)
	i0=$(idle_s)
	$DD 2>/dev/null || return 1
	awk -v t0="$t0" -v t1="$(now_s)" -v i0="$i0" -v i1="$(idle_s)" \
		'BEGIN { printf "%.2f %.2f\n", t1 - t0, (t1 - t0) - (i1 - i0) }'
}

run_none() { timed_dd; }

# run_ftrace [reader]: the tracepoints around one timed read; with "reader",
# the binary pages are read out concurrently
run_ftrace() {
	local t d pids=""
	truth_start
	if [ "$1" = reader ]; then
		for d in $TRACEFS/per_cpu/cpu*; do
			cat "$d/trace_pipe_raw" >"/tmp/ftrace.${d##*/}" &
			pids="$pids $!"
		done
	fi
	t=$(timed_dd)
	echo 0 >$TRACEFS/tracing_on
	if [ -n "$pids" ]; then
		sleep 1
		kill $pids 2>/dev/null
		wait $pids 2>/dev/null
	else
		cat $TRACEFS/per_cpu/cpu*/trace_pipe_raw >/tmp/ftrace.after &
		pids=$!
		sleep 2
		kill $pids 2>/dev/null
		wait $pids 2>/dev/null
	fi
	echo 0 >$TRACEFS/events/iommu/enable
	echo "$t"
}

# run_smt NAME: smmutrace record around one timed read; NAME count is the
# counting-only floor
run_smt() {
	local name=$1 t rc=0
	[ "$name" = count ] && export SMMUTRACE_COUNT_ONLY=1
	[ "$name" = discard ] && export SMMUTRACE_DISCARD=1
	smt_start "$name" record -o /tmp/$name.smtrec || rc=1
	unset SMMUTRACE_COUNT_ONLY SMMUTRACE_DISCARD
	if [ $rc != 0 ]; then
		echo "bench: smmutrace record ($name) did not start: $(head -c 300 /tmp/$name.err)" >&2
		return 1
	fi
	t=$(timed_dd)
	smt_stop "$name" || echo "bench: smmutrace record ($name) exited with status $?" >&2
	echo "$t"
}

echo "# SMT-BENCH-BEGIN"
echo "bench: kernel $(uname -r), $reads direct 4 KiB reads per run, $rounds rounds"
"$SMT_BIN" probe --json 2>/dev/null | sed 's/},{/}\n{/g' | grep -E '"status" *: *"attached"' |
	sed -E 's/.*"hook" *: *"([^"]*)".*"method" *: *"([^"]*)".*/\1=\2/' | tr '\n' ' ' |
	sed 's/^/bench: hooks attached: /; s/ $/\n/'
: >/tmp/bench.times
r=0
while [ $r -lt $rounds ]; do
	r=$((r + 1))
	# rotate the order each round: no setup always runs first after a restart
	order=$(echo $setups | awk -v r=$r '{ for (i = 0; i < NF; i++) printf "%s ", $((i + r - 1) % NF + 1) }')
	for s in $order; do
		case $s in
		none) t=$(run_none) ;;
		ftrace | ftrace-reader)
			if [ $s = ftrace ]; then t=$(run_ftrace); else t=$(run_ftrace reader); fi
			ft="$ft $s: $(awk '$1 == "overrun:" { s += $2 } END { print s + 0 }' $TRACEFS/per_cpu/cpu*/stats) overrun;"
			;;
		*) t=$(run_smt $s) ;;
		esac
		[ -n "$t" ] || t="fail fail"
		set -- $t
		echo "bench: round $r $s wall $1 s, busy $2 s"
		echo "$s $1 $2" >>/tmp/bench.times
	done
done
# where record's added time goes: one more record run, outside the medians,
# with the kernel counting BPF run time (which itself costs a little per run)
# and smmutrace -v printing its own CPU time and each program's run time
breakdown() {
	local t
	[ -w /proc/sys/kernel/bpf_stats_enabled ] || { echo "bench: breakdown: no bpf_stats_enabled"; return; }
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	if smt_start costed record -v -o /tmp/costed.smtrec; then
		t=$(timed_dd)
		smt_stop costed
		# (the process's own CPU time is no measure here: with one CPU busy,
		# ticks of the IRQs that interrupt it are charged to it)
		echo "bench: breakdown run (bpf_stats on, not in the medians; each run's time includes bpf_stats' own clock reads): wall, busy $t s"
		grep -E 'BPF run time|^smmutrace:   ' /tmp/costed.err | sed 's/^smmutrace: /bench: breakdown: /'
	else
		echo "bench: breakdown: record did not start"
	fi
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
}
breakdown
echo "bench: ftrace runs:${ft:-?}"
grep -h 'count-only:' /tmp/count.err 2>/dev/null | sed 's/^/bench: last count run: /'
# what the last record run holds (grep, not the JSON helpers: 130 000 events)
echo "bench: last record run captured: $("$SMT_BIN" dump /tmp/record.smtrec 2>/dev/null |
	grep -oE '"ev" *: *"[a-z_]+"' | sed -E 's/.*"([a-z_]+)"$/\1/' | sort | uniq -c |
	awk '{ printf "%s=%s ", $2, $1 }')"
# medians; "added" = setup's median minus the untraced median
awk '
$2 == "fail" { failed[$1]++; next }
{ n[$1]++; w[$1, n[$1]] = $2; b[$1, n[$1]] = $3 }
function median(arr, s,   i, j, t, k) {
	k = n[s]
	if (!k) return -1
	for (i = 1; i <= k; i++) a[i] = arr[s, i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
END {
	ns = split("none ftrace ftrace-reader count discard record", S, " ")
	split("nothing traced|ftrace iommu:map/unmap|ftrace + concurrent reader|counting-only BPF (floor)|records dropped unread|smmutrace record", L, "|")
	for (i = 1; i <= ns; i++) { mb[S[i]] = median(b, S[i]); mw[S[i]] = median(w, S[i]) }
	base = mb["none"]
	printf "  medians of %d rounds        busy (s)  added busy      wall (s)\n", n["none"]
	for (i = 1; i <= ns; i++) {
		s = S[i]
		if (mb[s] < 0) { printf "  %-28s no successful run\n", L[i]; continue }
		if (i == 1) printf "  %-28s %7.2f  %-14s %8.2f\n", L[i], mb[s], "", mw[s]
		else printf "  %-28s %7.2f  %+6.2f (%+4.0f %%) %8.2f%s\n", L[i], mb[s], mb[s] - base,
			(base > 0 ? (mb[s] - base) * 100 / base : 0), mw[s],
			failed[s] ? sprintf("  (%d runs failed)", failed[s]) : ""
	}
	if (base < 0 || mb["ftrace"] < 0) exit
	ft = mb["ftrace"] - base
	if (ft <= 0) {
		printf "capture overhead vs ftrace: n/a (ftrace added %.2f s: below the noise)\n", ft
		exit
	}
	if (mb["record"] >= 0) printf "capture overhead vs ftrace: %.1f\n", (mb["record"] - base) / ft
	if (mb["count"] >= 0) printf "counting-only floor vs ftrace: %.1f\n", (mb["count"] - base) / ft
	if (mb["count"] >= 0 && mb["discard"] >= 0 && mb["record"] >= 0)
		printf "record added time: hooks %.2f s, handlers %.2f s, consumer %.2f s\n",
			mb["count"] - base, mb["discard"] - mb["count"], mb["record"] - mb["discard"]
	if (mb["ftrace-reader"] > base && mb["record"] >= 0)
		printf "capture overhead vs ftrace with a concurrent reader: %.1f\n",
			(mb["record"] - base) / (mb["ftrace-reader"] - base)
}' /tmp/bench.times
echo "# SMT-BENCH-END"
_planned=0
_n=0
