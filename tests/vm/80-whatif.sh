# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# modes: strict
# What-if replay on a real recording: with tests/vm/boards/virt-smmu-suspend.ini
# the SMMU is "suspended" while the test module's device is, and the pretend
# TBU is gated with it. Record a few direct reads while suspended (the IOVA
# allocator hands the same IOVA back at once), then resume and read again;
# each policy must turn that into its own findings. The recording goes back
# to the host (tests/data/recordings/emulated-smmu-suspended.smtrec).
. ./lib.sh
smt_need record whatif
plan 10

BOARD=/smt/boards/virt-smmu-suspend.ini
SMALL_DD="dd if=/dev/vda of=/dev/null bs=4k count=4 iflag=direct"
REC=/tmp/whatif.smtrec
tbu_ctl get
rm -f $REC
if smt_start wrec record --board $BOARD -o $REC; then
	ok record-attached
	tbu_ctl put
	$SMALL_DD 2>/dev/null
	tbu_ctl get
	$SMALL_DD 2>/dev/null
	set_lossy "$(bpf_misses wrec)"
	smt_stop wrec
	rc=$?
else
	not_ok record-attached
	rc=x
	smt_stop wrec
fi
tbu_ctl put
diag_file /tmp/wrec.err 5
check_eq record-exit-status "$rc" 0

# N of RULE in the "under_policy" (or "actual") map of the whatif object in FILE
under() { sed -n 's/.*"'"${3:-under_policy}"'":{\([^}]*\)}.*/\1/p' "$2" | grep -oE "\"$1\":[0-9]+" | grep -oE '[0-9]+$'; }
change() { grep -oE "\"$1\":[0-9]+" "$2" | tail -n1 | grep -oE '[0-9]+$'; }
for p in defer-unmap skip-tlbi wake-tbu; do
	"$SMT_BIN" whatif --policy $p --json $REC >/tmp/wi-$p.out 2>/tmp/wi-$p.err
	echo $? >/tmp/wi-$p.rc
	diag "$p: $(grep '"type":"whatif"' /tmp/wi-$p.out)"
done
# defer-unmap: the IOVA unmapped while suspended comes straight back: its PTEs
# are still there, the map fails with -EEXIST (stale-pte)
check_ge defer-unmap-stale-pte "$(under stale-pte /tmp/wi-defer-unmap.out)" 1
check_ge defer-unmap-deferred "$(change deferred_unmaps /tmp/wi-defer-unmap.out)" 1
check_eq defer-unmap-failed-maps-are-stale-ptes "$(change failed_maps /tmp/wi-defer-unmap.out)" \
	"$(under stale-pte /tmp/wi-defer-unmap.out)"
# skip-tlbi: the same reuse now comes before any invalidation
check_ge skip-tlbi-reuse-before-sync "$(under iova-reuse-before-sync /tmp/wi-skip-tlbi.out)" 1
check_ge skip-tlbi-skipped "$(change skipped_tlbis /tmp/wi-skip-tlbi.out)" 1
# wake-tbu: the gated reads had gate findings; woken for each, none remain
check_ge wake-tbu-actual-gated-unmaps "$(under unmap-while-gated /tmp/wi-wake-tbu.out actual)" 4
check_eq wake-tbu-no-gate-findings "$(( $(under unmap-while-gated /tmp/wi-wake-tbu.out) + \
	$(under tlbi-while-gated /tmp/wi-wake-tbu.out) + $(under tbu-stale-exposure /tmp/wi-wake-tbu.out) ))" 0
check_ge wake-tbu-wakes "$(change tbu_wakes /tmp/wi-wake-tbu.out)" 4
send_file whatif.smtrec $REC
