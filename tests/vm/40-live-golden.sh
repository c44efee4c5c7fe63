# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# modes: strict lazy
# Golden clean run: the 4 KiB direct read under `smmutrace live --json` gives
# exactly 4096 map and 4096 unmap events for the virtio-blk domain, zero
# findings, zero lost events. Strict: one TLBI and one sync per unmap. Lazy:
# no per-unmap sync, the flush queue's flush_all events instead. Ground truth:
# the kernel's iommu:map/unmap tracepoints, read through tracefs over the same
# DMA, must each be in the capture, (iova,size) for (iova,size).
. ./lib.sh
smt_need live
plan 12

if smt_start live live $SMT_OPTS --json --interval 0 --events /tmp/live.events; then
	ok live-attached
	truth_start
	$GOLDEN_DD 2>/tmp/dd.err
	truth_stop
	m=$(bpf_misses live)
	diag "BPF recursion misses: $m"
	set_lossy "$m"
	smt_stop live
	rc=$?
else
	not_ok live-attached
	rc=255
fi
check_exact live-exit-status "$rc" 0
diag_file /tmp/live.err 5
check_exact zero-findings "$(count_findings /tmp/live.out)" 0
lost=$(summary_lost /tmp/live.out)
check_lost zero-lost "$lost:$(count_ev /tmp/live.events lost)" "0:0"
# one line for scripts/vm/loss-figures.sh, with the check_truth lines below
diag "loss: smmutrace lost ${lost:-none}, kernel-skipped runs ${m:-none}"
dom=$(virtio_domain /tmp/live.events)
diag "virtio-blk domain: ${dom:-none}; events: $(ev_counts /tmp/live.events)"
diag "findings: $(rule_counts /tmp/live.out)"
check_exact virtio-domain-maps "$(count_ev /tmp/live.events map "$dom")" 4096
check_exact virtio-domain-unmaps "$(count_ev /tmp/live.events unmap "$dom")" 4096
check_exact no-other-maps "$(count_ev /tmp/live.events map)" 4096
check_truth tracefs-maps-all-captured map /tmp/live.events
check_truth tracefs-unmaps-all-captured unmap /tmp/live.events
if [ "$SMT_MODE" = lazy ]; then
	check_eq lazy-no-per-unmap-sync "$(count_ev /tmp/live.events sync)" 0
	check_ge lazy-flush-all-captured "$(count_ev /tmp/live.events flush_all)" 1
	m=$(grep -E '"ev" *: *"meta"' /tmp/live.events | jfield strict | head -n1)
	if [ -n "$m" ]; then check_eq lazy-meta-says-not-strict "$m" false; else skip lazy-meta-says-not-strict "no meta event in --events"; fi
else
	check_exact tlbi-per-unmap "$(count_ev /tmp/live.events tlbi)" 4096
	check_exact sync-per-unmap "$(count_ev /tmp/live.events sync)" 4096
	check_eq flush-all-none "$(count_ev /tmp/live.events flush_all)" 0
fi
