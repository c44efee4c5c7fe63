# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# modes: strict
# Gated run: with tests/vm/boards/virt-tbu.ini the pretend TBU smt_tbu0 serves
# virtio-blk (SID 0x8) and is gated by the test module's clock, power domain
# and device. Gate it, run the golden read: exactly 4096 unmap-while-gated
# errors and 4096 tlbi-while-gated errors; ungate it: exactly one
# tbu-stale-exposure; the same read ungated afterwards: no new findings.
. ./lib.sh
smt_need live
plan 12

BOARD=/smt/boards/virt-tbu.ini
tbu_ctl get	# the TBU is up when tracing starts
t0=$(now_s)
if smt_start gated live $SMT_OPTS --board $BOARD --json --interval 0; then
	ok live-attached
	diag "attached after $(secs_since $t0) s"
	tbu_ctl put
	check_eq tbu-gated "$(tbu_status | cut -d' ' -f1-3)" "rpm=suspended clk=0 pd=0"
	t0=$(now_s)
	$GOLDEN_DD 2>/tmp/dd.err
	tbu_ctl get
	diag "gated read $(secs_since $t0) s"
	t0=$(now_s)
	$GOLDEN_DD 2>/tmp/dd.err
	diag "ungated read $(secs_since $t0) s"
	m=$(bpf_misses gated)
	diag "BPF recursion misses: $m"
	set_lossy "$m"
	t0=$(now_s)
	smt_stop gated
	rc=$?
	diag "stopped after $(secs_since $t0) s"
else
	not_ok live-attached
	not_ok tbu-gated
	rc=255
fi
tbu_ctl put
diag_file /tmp/gated.err 5
t0=$(now_s)
diag "findings: $(rule_counts /tmp/gated.out) (digested in $(secs_since $t0) s)"
check_exact live-exit-status-findings "$rc" 1
check_exact unmap-while-gated-errors "$(count_findings /tmp/gated.out unmap-while-gated error)" 4096
check_exact unmap-while-gated-all-errors "$(count_findings /tmp/gated.out unmap-while-gated)" 4096
check_exact tlbi-while-gated-errors "$(count_findings /tmp/gated.out tlbi-while-gated error)" 4096
check_exact one-tbu-stale-exposure "$(count_findings /tmp/gated.out tbu-stale-exposure error)" 1
check_eq stale-exposure-names-tbu "$(grep '^tbu-stale-exposure ' /tmp/gated.out.ftab | cut -d' ' -f4)" smt_tbu0
# the stale-exposure finding is stamped with the TBU's return; the second
# (ungated) read comes after it and must add nothing
back=$(grep '^tbu-stale-exposure ' /tmp/gated.out.ftab | cut -d' ' -f3 | head -n1)
after=$(awk -v b="${back:-0}" '$3 > b' /tmp/gated.out.ftab | wc -l)
check_exact no-findings-after-ungate "${back:+$after}" 0
bad=$(cut -d' ' -f1 /tmp/gated.out.ftab |
	grep -vE '^(unmap-while-gated|tlbi-while-gated|sync-while-gated|tbu-stale-exposure)$' | sort | uniq -c | tr '\n' ' ')
check_exact no-other-rules "${bad:-none}" none
check_lost zero-lost "$(summary_lost /tmp/gated.out)" 0
check_exact summary-counts-match "$(grep -E '"type" *: *"summary"' /tmp/gated.out | grep -oE '"unmap-while-gated" *: *[0-9]+' | grep -oE '[0-9]+$')" 4096
