#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Cross-build tests/vm/module (the test kernel module) for one fetched kernel.
#   scripts/vm/build-module.sh KVER OUTDIR     -> OUTDIR/smmutrace_testmod.ko
# The module source is copied to OUTDIR so the tree stays clean.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ $# -eq 2 ] || vm_die 2 "usage: build-module.sh KVER OUTDIR"
kver=$1 out=$2
src="$here/../../tests/vm/module"
kdir="$VM_CACHE/k/$kver"
hdr="$kdir/hdr/usr/src/linux-headers-$kver"
[ -f "$hdr/Makefile" ] || vm_die 3 "no headers for $kver in $kdir: run scripts/vm/fetch.sh first"

mkdir -p "$out"
if [ -f "$out/smmutrace_testmod.ko" ] && [ "$out/smmutrace_testmod.ko" -nt "$src/smmutrace_testmod.c" ] &&
	[ "$out/smmutrace_testmod.ko" -nt "$src/Kbuild" ] && [ "$out/smmutrace_testmod.ko" -nt "$0" ] &&
	[ "$out/smmutrace_testmod.ko" -nt "$hdr/Makefile" ]; then
	exit 0
fi
cp "$src/smmutrace_testmod.c" "$src/Kbuild" "$out/"

extra=()
case "$kver" in
6.1.*)
	# 6.1's kbuild package has no resolve_btfids and its headers no vmlinux:
	# skip the BTF-ID step (module BTF needs a vmlinux; see the research notes).
	extra+=(RESOLVE_BTFIDS=true)
	# Module BTF: give kbuild a stand-in vmlinux that carries the kernel's BTF.
	if command -v pahole >/dev/null && [ -s "$kdir/btf.raw" ] && [ ! -e "$hdr/vmlinux" ]; then
		aarch64-linux-gnu-objcopy -I binary -O elf64-littleaarch64 \
			--rename-section .data=.BTF "$kdir/btf.raw" "$hdr/vmlinux" 2>/dev/null || rm -f "$hdr/vmlinux"
	fi
	;;
esac
# Module BTF: kbuild picks pahole's flags from the kernel's pahole version
# (sid: 1.32, --btf_features); with this host's older pahole (bookworm 1.24)
# say that version instead, so it is asked only for what it knows (sid's
# kernel accepts the result).
kpahole=$(sed -n 's/^CONFIG_PAHOLE_VERSION=//p' "$hdr/.config" 2>/dev/null)
hpahole=$(pahole --version 2>/dev/null | tr -dc '0-9')
if [ -z "$hpahole" ]; then
	extra+=(CONFIG_DEBUG_INFO_BTF_MODULES=)
elif [ -n "$kpahole" ] && [ "$hpahole" -lt "$kpahole" ]; then
	extra+=(CONFIG_PAHOLE_VERSION="$hpahole")
fi
# Debian's headers name the compiler the kernel was built with (bullseye:
# gcc-10, sid: gcc-16); cross-build with Debian 12's gcc 12 instead. Flags the
# kernel's config enabled for a newer gcc are turned back into the kernel's
# own fallbacks when gcc 12 lacks them.
cc=aarch64-linux-gnu-gcc
extra+=(CC="$cc")
cc_has() { echo 'int x;' | "$cc" -Werror "$@" -c -x c - -o /dev/null 2>/dev/null; }
# CONFIG_FUNCTION_ALIGNMENT via -fmin-function-alignment (gcc 14) falls back
# to -falign-functions (Makefile)
cc_has -fmin-function-alignment=8 || extra+=(CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=)

if ! make -C "$hdr" M="$(cd "$out" && pwd)" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- "${extra[@]}" modules \
	>"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	vm_die 3 "test module build for $kver failed (log above, also in $out/build.log)"
fi
[ -f "$out/smmutrace_testmod.ko" ] || vm_die 3 "test module build for $kver produced no .ko (see $out/build.log)"
