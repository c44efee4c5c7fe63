# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench-board` in the guest (smtmode=bench; not a test scenario: its
# name has no number). The same direct read under four setups, the setups
# alternated inside each round so that the emulator's drift between boots and
# over a boot hits them all alike:
#   none     nothing traced
#   ftrace   the kernel's iommu:map/iommu:unmap tracepoints into the trace
#            buffer, its binary pages read out while the read runs
#   count    smmutrace record with SMMUTRACE_COUNT_ONLY: the same hooks, same
#            attach methods, every program only counting its run (the floor)
#   record   smmutrace record -o FILE
# Only the read is timed. Prints "bench: ROUND SETUP SECONDS" lines and the
# medians between "# SMT-BENCH-BEGIN" and "# SMT-BENCH-END".
# SMT_BENCH_READS (8192) 4 KiB reads per run, SMT_BENCH_ROUNDS (5).
. ./lib.sh >/dev/null
# failures are part of the figures' story: on the console between the markers
exec 2>&1
reads=${SMT_BENCH_READS:-8192}
rounds=${SMT_BENCH_ROUNDS:-5}
DD="dd if=/dev/vda of=/dev/null bs=4k count=$reads iflag=direct"
setups="none ftrace count record"

# timed_dd: seconds the read took (guest clock, centiseconds)
timed_dd() {
	local t0
	t0=$(now_s)
	$DD 2>/dev/null || return 1
	secs_since "$t0"
}

run_none() { timed_dd; }

# ftrace as trace-cmd record runs it: the binary per-CPU pages read out by a
# reader while the read runs (trace_pipe's text formatting would cost several
# times the tracepoints themselves here and flatter the comparison)
run_ftrace() {
	local t d pids=""
	truth_start
	for d in $TRACEFS/per_cpu/cpu*; do
		cat "$d/trace_pipe_raw" >"/tmp/ftrace.${d##*/}" &
		pids="$pids $!"
	done
	t=$(timed_dd)
	echo 0 >$TRACEFS/tracing_on
	sleep 1
	kill $pids 2>/dev/null
	wait $pids 2>/dev/null
	echo 0 >$TRACEFS/events/iommu/enable
	echo "$t"
}

# run_smt NAME: smmutrace record around one timed read; NAME count is the
# counting-only floor
run_smt() {
	local name=$1 t rc=0
	[ "$name" = count ] && export SMMUTRACE_COUNT_ONLY=1
	smt_start "$name" record -o /tmp/$name.smtrec || rc=1
	unset SMMUTRACE_COUNT_ONLY
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
		ftrace)
			t=$(run_ftrace)
			ft="$(cat /tmp/ftrace.cpu* | wc -c) bytes read out, $(awk '$1 == "overrun:" { s += $2 } END { print s + 0 }' $TRACEFS/per_cpu/cpu*/stats) overrun"
			;;
		*) t=$(run_smt $s) ;;
		esac
		[ -n "$t" ] || t=fail
		echo "bench: round $r $s $t s"
		echo "$s $t" >>/tmp/bench.times
	done
done
echo "bench: last ftrace run: ${ft:-?}"
grep -h 'count-only:' /tmp/count.err 2>/dev/null | sed 's/^/bench: last count run: /'
if "$SMT_BIN" dump /tmp/record.smtrec >/tmp/record.jsonl 2>/dev/null; then
	echo "bench: last record run captured: $(ev_counts /tmp/record.jsonl)"
fi
# medians; "added" = setup's median minus the untraced median
awk '
$2 == "fail" { failed[$1]++; next }
{ v[$1, ++n[$1]] = $2 }
function median(s,   i, j, t, k) {
	k = n[s]
	if (!k) return -1
	for (i = 1; i <= k; i++) a[i] = v[s, i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
END {
	split("none ftrace count record", S, " ")
	split("nothing traced|ftrace iommu:map/unmap|counting-only BPF (floor)|smmutrace record", L, "|")
	for (i = 1; i <= 4; i++) m[S[i]] = median(S[i])
	base = m["none"]
	for (i = 1; i <= 4; i++) {
		s = S[i]
		if (m[s] < 0) { printf "  %-28s no successful run\n", L[i]; continue }
		if (i == 1) printf "  %-28s %7.2f s (median of %d)\n", L[i], m[s], n[s]
		else printf "  %-28s %7.2f s  added %+6.2f s (%+.0f %%)%s\n", L[i], m[s], m[s] - base,
			(m[s] - base) * 100 / base, failed[s] ? sprintf(", %d runs failed", failed[s]) : ""
	}
	ft = m["ftrace"] - base
	if (base < 0 || m["ftrace"] < 0) exit
	if (ft <= 0) {
		printf "capture overhead vs ftrace: n/a (ftrace added %.2f s: below the noise)\n", ft
		exit
	}
	if (m["record"] >= 0) printf "capture overhead vs ftrace: %.1f\n", (m["record"] - base) / ft
	if (m["count"] >= 0) printf "counting-only floor vs ftrace: %.1f\n", (m["count"] - base) / ft
}' /tmp/bench.times
echo "# SMT-BENCH-END"
_planned=0
_n=0
