#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# live_rpm.sh again with the tracepoint handlers attached as raw_tp (the path
# for kernels without /sys/kernel/btf/vmlinux, where tp_btf cannot attach):
# SMMUTRACE_NO_TP_BTF=1 makes the loader take it here; probe must say so.
# usage: tests/bpf/live_rpm_raw_tp.sh OUTPUT_DIR
set -u
OUT=${1:-.output}
if [ "$(id -u)" != 0 ]; then echo "skipped: live_rpm_raw_tp needs root"; exit 0; fi
method=$(SMMUTRACE_NO_TP_BTF=1 "$OUT/smmutrace" probe 2>/dev/null | awk '$1 == "rpm" { print $3 }')
if [ "$method" != raw_tp ]; then
	echo "FAIL live_rpm_raw_tp: probe shows the rpm hook as '$method', not raw_tp"
	exit 1
fi
SMMUTRACE_NO_TP_BTF=1 exec "$(dirname "$0")/live_rpm.sh" "$OUT"
