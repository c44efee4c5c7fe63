# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# modes: strict
# A real SMMU translation fault on a just-unmapped IOVA. The test module maps
# a page for QEMU's edu PCI device with the DMA API, lets the edu DMA into it,
# unmaps it (map, unmap, TLBI, sync), then has the edu DMA to the freed IOVA:
# the SMMU (strict mode: nothing cached) records a translation fault in its
# event queue and the driver logs it. Checked separately:
#  - the kernel side: the DMA worked before the unmap, the SMMU reported event
#    0x10 (F_TRANSLATION) for the edu's stream ID after it, and the kernel's
#    iommu:map/unmap tracepoints saw that IOVA mapped and unmapped;
#  - smmutrace's side, under `smmutrace record`: the recording's map/unmap of
#    that IOVA, its fault, and (guest replay here, host replay in
#    scripts/vm/fault-check.sh) a fault-after-unmap naming that unmap.
# Lazy mode is not run: there the stale IOTLB entry may let the late DMA
# through without a fault (the hazard itself, but not a fault).
. ./lib.sh
plan 8

EDU_CTL=/sys/kernel/debug/smt_edu/ctl
EDU_STATUS=/sys/kernel/debug/smt_edu/status
edu=$(sed -n 's/^edu=\([^ ]*\).*/\1/p' $EDU_STATUS 2>/dev/null)
if [ -z "$edu" ] || [ "$edu" = absent ]; then
	skip_all "no edu device bound to smmutrace_testmod (QEMU without -device edu?)"
fi
check edu-in-iommu-group test -e /sys/bus/pci/devices/$edu/iommu_group
diag "edu at $edu, status: $(cat $EDU_STATUS)"

# smmutrace records the run when it can; the kernel-side checks do not need it
rec=no
rm -f /tmp/fault.smtrec*
if smt_can record; then
	if smt_start frec record -o /tmp/fault.smtrec; then rec=yes; else rec=failed; fi
fi

trace_reset
echo 1024 >$TRACEFS/buffer_size_kb
echo 1 >$TRACEFS/events/iommu/map/enable
echo 1 >$TRACEFS/events/iommu/unmap/enable
echo 1 >$TRACEFS/tracing_on
FAULT_RE='arm-smmu-v3.*(event 0x10|F_TRANSLATION)'
dmesg >/tmp/dmesg.before
old=$(grep -ciE "$FAULT_RE" /tmp/dmesg.before)
echo fault >$EDU_CTL 2>/tmp/edu.err
ctl_rc=$?
# the driver reports the event from its event-queue IRQ thread: wait up to 5 s
i=0
while [ "$(dmesg | grep -ciE "$FAULT_RE")" -le "$old" ] && [ $i -lt 50 ]; do
	usleep 100000
	i=$((i + 1))
done
echo 0 >$TRACEFS/tracing_on
status=$(cat $EDU_STATUS)
diag "after the run: $status (write: status $ctl_rc $(cat /tmp/edu.err))"
iova=$(echo "$status" | sed -n 's/.* iova=\(0x[0-9a-f]*\) .*/\1/p')
check_eq edu-dma-before-unmap-worked "$(echo "$status" | sed -n 's/.* dma_err=\([-0-9]*\) .*/\1/p')" 0

dmesg | grep -vF -f /tmp/dmesg.before | grep -iE 'arm-smmu' >/tmp/dmesg.smmu
diag_file /tmp/dmesg.smmu 8
check_ge kernel-smmu-translation-fault-logged "$(($(dmesg | grep -ciE "$FAULT_RE") - old))" 1
# the event record's input address (dw2) is the IOVA the edu used: the driver
# prints the record's raw dwords ("0x<16 hex digits>"; 7.x also decoded)
if [ -n "$iova" ] && grep -qiE "0x0*${iova#0x}([^0-9a-f]|\$)" /tmp/dmesg.smmu; then
	ok kernel-fault-names-the-unmapped-iova
else
	diag "no arm-smmu line after the run names IOVA ${iova:-?}"
	not_ok kernel-fault-names-the-unmapped-iova
fi

# ground truth: the kernel's tracepoints saw the IOVA mapped and unmapped
tmap=$(count_trace map "iova=0x0*${iova#0x}[ ]")
tunmap=$(count_trace unmap "iova=0x0*${iova#0x}[ ]")
check_eq tracefs-edu-iova-mapped-and-unmapped "$tmap:$tunmap" "1:1"
echo 0 >$TRACEFS/events/enable
trace_reset

if [ "$rec" != yes ]; then
	[ "$rec" = no ] && reason="smmutrace record not available" || reason="smmutrace record did not attach"
	skip smmutrace-recorded-the-edu-map-and-unmap "$reason"
	skip smmutrace-captured-the-fault "$reason"
	skip smmutrace-fault-after-unmap-names-the-unmap "$reason"
	exit 0
fi
smt_stop frec
diag "record exit status $?"
diag_file /tmp/frec.err 5
"$SMT_BIN" dump /tmp/fault.smtrec >/tmp/fault.events 2>/tmp/fault.dump.err
ev_iova() { grep -E "\"ev\" *: *\"$1\"" /tmp/fault.events | grep -ciE "\"iova\" *: *\"$iova\""; }
diag "recording: $(ev_counts /tmp/fault.events)"
check_eq smmutrace-recorded-the-edu-map-and-unmap "$(ev_iova map):$(ev_iova unmap)" "1:1"
check_ge smmutrace-captured-the-fault "$(count_ev /tmp/fault.events fault)" 1
"$SMT_BIN" replay $SMT_OPTS --json /tmp/fault.smtrec >/tmp/fault.replay 2>/tmp/fault.replay.err
# the finding's evidence names the unmap, with its IOVA
grep -E '"rule" *: *"fault-after-unmap"' /tmp/fault.replay >/tmp/fau.lines
if grep -qiE "\"ev\" *: *\"unmap\"[^}]*\"iova\" *: *\"$iova\"" /tmp/fau.lines; then
	ok smmutrace-fault-after-unmap-names-the-unmap
else
	diag "findings: $(rule_counts /tmp/fault.replay)"
	not_ok smmutrace-fault-after-unmap-names-the-unmap
fi
# the host replays the recording too (scripts/vm/fault-check.sh)
send_file fault.smtrec /tmp/fault.smtrec
echo "$iova" >/tmp/fault.iova
send_file fault.iova /tmp/fault.iova
