# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make demo` in the guest: smmutrace catching unmaps on a gated TBU, live.
# The recording made alongside goes back to the host for the replayed summary.
. ./lib.sh >/dev/null
BOARD=/smt/boards/virt-tbu.ini
DD="dd if=/dev/vda of=/dev/null bs=4k count=1 iflag=direct"
echo "=== smmutrace demo on the emulated board: $(uname -r), arm-smmu-v3 (QEMU virt) ==="
echo "--- board file $BOARD:"
grep -v '^;' $BOARD | grep .
echo "--- smmutrace probe:"
"$SMT_BIN" probe | grep -E "hooks attached"
tbu_ctl get
smt_start rec record --board $BOARD -o /tmp/demo.smtrec >/dev/null || exit 1
SMT_STDOUT=console smt_start live live $SMT_OPTS --board $BOARD --interval 0 || exit 1
echo "--- TBU up, reading 4 KiB from the virtio-blk disk: nothing to report"
$DD 2>/dev/null
sleep 1
echo "--- gating the TBU (runtime-suspend smt-tbu.0: clock smt_tbu_clk and domain smt_tbu_pd go off)"
tbu_ctl put
echo "--- reading 4 KiB while the TBU is gated (4 DMA mappings: request header, data, status, descriptors):"
$DD 2>/dev/null
sleep 1
echo "--- TBU back on:"
tbu_ctl get
sleep 1
echo "--- stopping live (its summary follows):"
smt_stop live
smt_stop rec
tbu_ctl put
send_file demo.smtrec /tmp/demo.smtrec
echo "=== the recording goes back to the host for replay ==="
