#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Lost-event figures over many boots (issue 8): boots one kernel N times with
# only the golden live scenario (tests/vm/40-live-golden.sh), one after the
# other, and sums what the kernel's iommu:map/unmap tracepoints recorded, what
# smmutrace missed of it, the lost events smmutrace reported and the program
# runs the kernel said it skipped. A boot that missed records without any
# lost event is a silent loss: the figure that must stay 0.
#
# usage: scripts/vm/loss-figures.sh -k KERNEL [-n BOOTS] [-m strict|lazy] [VMTEST OPTIONS]
#   -k KERNEL   5.10, 6.1, 6.12 or sid (one)
#   -n BOOTS    boots (default 10)
#   -m MODE     strict (default) or lazy
#   other options go to scripts/vmtest (e.g. --bin, --host-bin, -t)
# Prints one line per boot and a closing "figures:" line; the boots' KTAP
# output is kept in $VM_OUT/loss-figures/, with the console log of a boot
# that missed records. Exit: 0 no silent loss, 1 a silent
# loss or a boot without figures, 2 usage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

kernel= boots=10 mode=strict
pass=()
while [ $# -gt 0 ]; do
	case "$1" in
	-k) [ $# -ge 2 ] || vm_die 2 "-k needs a kernel"; kernel=$2; shift ;;
	-n) [ $# -ge 2 ] || vm_die 2 "-n needs a number of boots"; boots=$2; shift ;;
	-m) [ $# -ge 2 ] || vm_die 2 "-m needs strict or lazy"; mode=$2; shift ;;
	-h | --help) sed -n '/^# usage:/,/^# loss or/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) pass+=("$1") ;;
	esac
	shift
done
[ -n "$kernel" ] || vm_die 2 "give the kernel: -k ${VM_KERNELS// /|}"
vm_meta_pkg "$kernel" >/dev/null || vm_die 2 "unknown kernel '$kernel': use ${VM_KERNELS// /, }"
case "$boots" in '' | *[!0-9]* | 0) vm_die 2 "-n wants a positive whole number, got '$boots'" ;; esac
case "$mode" in strict | lazy) ;; *) vm_die 2 "unknown mode '$mode': use strict or lazy" ;; esac

OUT=${VM_OUT:-$top/.output-vm}/loss-figures
mkdir -p "$OUT"
# sums over the boots: truth = the kernel's records, miss = not captured
t_map=0 t_unmap=0 m_map=0 m_unmap=0 lost=0 skipped=0 silent=0 nofig=0 failed=0

# figure TEXT KTAP: the number after TEXT on KTAP's first line holding it
figure() { grep -oE "$1 [0-9]+" "$2" | head -n1 | grep -oE '[0-9]+$' || true; }

for i in $(seq 1 "$boots"); do
	ktap="$OUT/$kernel-$mode-$i.ktap"
	rc=0
	# no second boot of a failed one: each boot counts
	SMMUTRACE_VM_RETRY=0 "$top/scripts/vmtest" test -k "$kernel" -m "$mode" --only 40 \
		${pass[@]+"${pass[@]}"} >"$ktap" 2>"$ktap.err" || rc=$?
	[ $rc = 0 ] || failed=$((failed + 1))
	tm=$(figure 'kernel iommu:map records' "$ktap")
	tu=$(figure 'kernel iommu:unmap records' "$ktap")
	mm=$(grep -E 'tracefs-maps-all-captured: kernel' "$ktap" | grep -oE 'missing [0-9]+' | grep -oE '[0-9]+' || true)
	mu=$(grep -E 'tracefs-unmaps-all-captured: kernel' "$ktap" | grep -oE 'missing [0-9]+' | grep -oE '[0-9]+' || true)
	l=$(figure 'smmutrace lost' "$ktap")
	s=$(figure 'kernel-skipped runs' "$ktap")
	if [ -z "$tm" ] || [ -z "$tu" ] || [ -z "$mm" ] || [ -z "$mu" ]; then
		nofig=$((nofig + 1))
		echo "boot $i: no figures (vmtest exit $rc; output in $ktap)"
		continue
	fi
	l=${l:-0} s=${s:-0}
	t_map=$((t_map + tm)) t_unmap=$((t_unmap + tu)) m_map=$((m_map + mm)) m_unmap=$((m_unmap + mu))
	lost=$((lost + l)) skipped=$((skipped + s))
	note=
	if [ $((mm + mu)) -gt 0 ] && [ "$l" = 0 ]; then
		silent=$((silent + 1))
		note=" SILENT LOSS"
	fi
	if [ $((mm + mu)) -gt 0 ]; then
		# the console log holds the guest's diagnostics and the files it sent back
		kv=$(grep -m1 -oE '^# kernel: [^,]+' "$ktap" | cut -d' ' -f3)
		cp "${VM_OUT:-$top/.output-vm}/$kv/$mode.log" "$ktap.console" 2>/dev/null &&
			note="$note (console log: $ktap.console)"
	fi
	echo "boot $i: map $tm records, $mm missed; unmap $tu records, $mu missed; lost events $l; kernel-skipped runs $s; vmtest exit $rc$note"
done
kv=$(grep -m1 -oE '^# kernel: [^,]+' "$OUT/$kernel-$mode-1.ktap" 2>/dev/null | cut -d' ' -f3 || true)
echo "figures: kernel ${kv:-$kernel} $mode, $boots boots ($nofig without figures, $failed failed a check):" \
	"iommu:map $t_map records, $m_map missed; iommu:unmap $t_unmap records, $m_unmap missed;" \
	"lost events reported $lost; kernel-skipped runs $skipped; boots with a silent loss $silent"
[ $silent = 0 ] && [ $nofig = 0 ]
