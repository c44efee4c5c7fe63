# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# modes: strict lazy
# Validates the rig without smmutrace: the golden 4 KiB direct read of the
# virtio-blk disk makes exactly 4096 iommu:map and 4096 iommu:unmap events, and
# the arm-smmu-v3 hooks (kprobes by address: the names exist twice) count
# 4096 unmaps; strict mode syncs each unmap, lazy mode flushes in batches.
. ./lib.sh
plan 8

check strict-mode-as-booted grep -q "iommu.strict=$([ "$SMT_MODE" = lazy ] && echo 0 || echo 1)" /proc/cmdline
check virtio-blk-in-iommu-group test -e /sys/bus/pci/devices/0000:00:01.0/iommu_group

trace_reset
echo 4096 >$TRACEFS/buffer_size_kb
: >$TRACEFS/kprobe_events
for f in arm_smmu_map_pages arm_smmu_unmap_pages arm_smmu_iotlb_sync arm_smmu_flush_iotlb_all; do
	a=$(ksym_v3 $f)
	# before 5.18 (bullseye's 5.10) the map/unmap callbacks are arm_smmu_map/_unmap
	case "$a:$f" in :*_pages) a=$(ksym_v3 ${f%_pages}) ;; esac
	[ -n "$a" ] && echo "p:smt/${f#arm_smmu_} 0x$a" >>$TRACEFS/kprobe_events
done
echo 1 >$TRACEFS/events/smt/enable 2>/dev/null
echo 1 >$TRACEFS/events/iommu/map/enable
echo 1 >$TRACEFS/events/iommu/unmap/enable
# kprobe hit counts without the trace buffer: tracing_on stays 0 for those
echo 1 >$TRACEFS/tracing_on
$GOLDEN_DD 2>/tmp/dd.err
echo 0 >$TRACEFS/tracing_on
diag "$(tail -n1 /tmp/dd.err)"

hits() { awk -v e="$1" '$1 == e { print $2 }' $TRACEFS/kprobe_profile; }
check_eq iommu-map-events "$(count_trace map)" 4096
check_eq iommu-unmap-events "$(count_trace unmap)" 4096
check_eq v3-map-pages-hits "$(hits map_pages)" 4096
check_eq v3-unmap-pages-hits "$(hits unmap_pages)" 4096
if [ "$SMT_MODE" = lazy ]; then
	# lazy: no per-unmap sync, the flush queue flushes the whole context
	check_eq v3-iotlb-sync-hits "$(hits iotlb_sync)" 0
	check_ge v3-flush-iotlb-all-hits "$(hits flush_iotlb_all)" 1
else
	check_eq v3-iotlb-sync-hits "$(hits iotlb_sync)" 4096
	check_eq v3-flush-iotlb-all-hits "$(hits flush_iotlb_all)" 0
fi
diag "kprobe_profile: $(awk '{printf "%s=%s ", $1, $2}' $TRACEFS/kprobe_profile)"

echo 0 >$TRACEFS/events/enable
: >$TRACEFS/kprobe_events
trace_reset
