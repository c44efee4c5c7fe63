# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# modes: strict
# Overhead figures (printed, not asserted): the golden read with no tracing,
# with empty counting kprobes (tracefs, tracing off) on the functions
# smmutrace attaches kprobes to, and under `smmutrace live`. Best of 3 each.
. ./lib.sh
smt_need live probe
plan 5

# best_of3: fastest of three golden reads, seconds
best_of3() {
	local best="" i t0 t
	for i in 1 2 3; do
		t0=$(now_s)
		$GOLDEN_DD 2>/dev/null || return 1
		t=$(secs_since "$t0")
		best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
	done
	echo "$best"
}

base=$(best_of3)
check dd-no-tracing test -n "$base"

# the same functions smmutrace uses, as plain kprobes that only count
"$SMT_BIN" probe --json 2>/dev/null | sed 's/},{/}\n{/g' >/tmp/oh.all
grep -E '"status" *: *"attached"' /tmp/oh.all | grep -E '"method" *: *"kprobe' >/tmp/oh.hooks
: >$TRACEFS/kprobe_events
i=0
while read -r h; do
	a=$(echo "$h" | jfield addr)
	t=$(echo "$h" | jfield target)
	t=${t%@*}
	i=$((i + 1))
	if [ -n "$a" ]; then echo "p:smtoh/k$i $a" >>$TRACEFS/kprobe_events 2>/dev/null
	else echo "p:smtoh/k$i $t" >>$TRACEFS/kprobe_events 2>/dev/null; fi
done </tmp/oh.hooks
echo 0 >$TRACEFS/tracing_on
echo 1 >$TRACEFS/events/smtoh/enable 2>/dev/null
nk=$(grep -c . $TRACEFS/kprobe_events)
kp=$(best_of3)
hitsum=$(awk '{ s += $2 } END { print s + 0 }' $TRACEFS/kprobe_profile)
echo 0 >$TRACEFS/events/smtoh/enable 2>/dev/null
: >$TRACEFS/kprobe_events
# where map and unmap are hooked in the iommu core by trampoline (6.12+), no
# kprobe of smmutrace's is left on the DMA path; else the drivers' map/unmap
# kprobes are hit by every DMA buffer
if grep -E '"hook" *: *"unmap@core"' /tmp/oh.all | grep -qE '"method" *: *"fentry".*"status" *: *"attached"'; then
	check_eq dd-no-smmutrace-kprobe-on-the-dma-path "$hitsum" 0
else
	check_ge dd-counting-kprobes-hit "$hitsum" 4096
fi
diag "$nk counting kprobes, $hitsum hits over 3 reads"

if smt_start oh live $SMT_OPTS --json --interval 0; then
	full=$(best_of3)
	misses=$(bpf_misses oh)
	set_lossy "$misses"
	smt_stop oh
	check_exact dd-under-smmutrace-live "$?" 0
	# A BPF program the kernel skipped (another one was running on this CPU,
	# e.g. an IRQ-context unmap during a map's program) lost its event: the
	# capture must say so with a lost event (SPEC section 3), not stay silent.
	lost=$(summary_lost /tmp/oh.out)
	diag "BPF recursion misses: $misses, lost events reported: ${lost:-none}"
	if [ "$misses" -gt 0 ]; then check_ge skipped-bpf-runs-reported-as-lost "${lost:-0}" 1
	else ok "skipped-bpf-runs-reported-as-lost # no runs skipped this time"; fi
	diag "findings: $(rule_counts /tmp/oh.out)"
	grep -m2 -E '"type" *: *"finding"' /tmp/oh.out | cut -c1-600 | sed 's/^/  # | /'
	send_file overhead-live.jsonl /tmp/oh.out
else
	not_ok dd-under-smmutrace-live
	not_ok skipped-bpf-runs-reported-as-lost
	full=""
fi
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b != "") printf "%+.0f%%", (b - a) * 100 / a; else print "?" }'; }
diag "overhead, golden 4 MiB read (best of 3, TCG): no tracing ${base}s, counting kprobes ${kp}s ($(pct "$base" "$kp")), smmutrace live ${full}s ($(pct "$base" "$full"))"
ok overhead-figures-printed
