#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fetch and unpack one Debian arm64 kernel (image, modules, headers for the test
# module, its BTF) plus busybox-static:arm64 into the cache. Idempotent: packages
# already downloaded or unpacked are reused.
#   scripts/vm/fetch.sh 6.1|6.12
# Prints the kernel release (e.g. 6.1.0-56-arm64) on stdout.
# Layout: $VM_CACHE/debs/*.deb, $VM_CACHE/busybox/, $VM_CACHE/k/<kver>/{root,hdr,btf.raw}
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ $# -eq 1 ] || vm_die 2 "usage: fetch.sh 6.1|6.12"
mkdir -p "$VM_CACHE"
# apt look-ups take seconds each: keep the answer until the next apt-get update.
res="$VM_CACHE/resolved-$1"
resolve() {
	if [ -s "$res" ] && [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -newer "$res" 2>/dev/null | head -n1)" ]; then
		. "$res"
		return
	fi
	kver=$(vm_resolve_kver "$1")
	kbase=${kver%-arm64}
	kbuild=$(apt-cache depends "linux-headers-$kver:arm64" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-kbuild-[^:]*\)\(:arm64\)\?$/\1/p' | head -n1)
	[ -n "$kbuild" ] || vm_die 3 "cannot tell which linux-kbuild package linux-headers-$kver needs: run 'apt-get update'"
	# The kbuild tools run on the build host, so that one is the host's (amd64) package.
	pkgs=("linux-image-$kver:arm64" "linux-headers-$kver:arm64" "linux-headers-$kbase-common" "$kbuild" "busybox-static:arm64")
	vm_resolve_debs "${pkgs[@]}"
	{
		echo "kver='$kver' kbase='$kbase' kbuild='$kbuild'"
		echo "pkgs=(${pkgs[*]})"
		for p in "${pkgs[@]}"; do echo "DEB[$p]='${DEB[$p]}'"; done
	} >"$res.tmp" && mv "$res.tmp" "$res"
}
resolve "$1"
if ! vm_download "${pkgs[@]}"; then
	# Debian drops superseded kernel ABIs from the mirror: with stale package
	# lists the download 404s. Refresh them once (as root) and resolve again.
	err=$(tail -n1 "$VM_CACHE/debs/.apt.err")
	[ "$(id -u)" = 0 ] || vm_die 3 "apt-get download failed ($err): run 'apt-get update' as root and retry"
	vm_log "apt-get download failed ($err); running apt-get update and retrying"
	apt-get update -q >/dev/null 2>&1 || vm_die 3 "apt-get update failed: check the network and apt sources"
	rm -f "$res"
	resolve "$1"
	vm_download "${pkgs[@]}" ||
		vm_die 3 "apt-get download failed ($(tail -n1 "$VM_CACHE/debs/.apt.err")); check the network and apt sources"
fi

# unpack DIR STAMP DEB...: (re)unpack when the set of .debs differs from last time
unpack() {
	local dir=$1 stamp=$2 d; shift 2
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$*" ]; then return 1; fi
	rm -rf "$dir" && mkdir -p "$dir"
	for d in "$@"; do dpkg -x "$d" "$dir"; done
	echo "$*" >"$stamp"
}

kdir="$VM_CACHE/k/$kver"
mkdir -p "$kdir"
if unpack "$kdir/root" "$kdir/root.stamp" "$(vm_deb_path "linux-image-$kver:arm64")"; then
	vm_log "unpacked linux-image-$kver"
	# Debian ships no modules.dep; the initramfs builder resolves dependencies from it.
	depmod -b "$kdir/root" "$kver"
	rm -f "$kdir/btf.raw"
fi
img="$kdir/root/boot/vmlinuz-$kver"
[ -s "$img" ] || vm_die 3 "$img missing after unpacking: delete $kdir and retry"
if [ ! -s "$kdir/btf.raw" ]; then
	python3 "$here/btf-extract.py" "$img" "$kdir/btf.raw.tmp" && mv "$kdir/btf.raw.tmp" "$kdir/btf.raw"
fi

if unpack "$kdir/hdr" "$kdir/hdr.stamp" "$(vm_deb_path "linux-headers-$kver:arm64")" \
	"$(vm_deb_path "linux-headers-$kbase-common")" "$(vm_deb_path "$kbuild")"; then
	vm_log "unpacked headers for $kver"
	# The arm64 headers include the -common tree by an absolute /usr/src path,
	# and their scripts/tools links point at /usr/lib/linux-kbuild-*: rewrite
	# both to the unpacked copies.
	h="$kdir/hdr/usr/src/linux-headers-$kver"
	sed -i "s|/usr/src/|$kdir/hdr/usr/src/|g" "$h/Makefile"
	for l in "$h"/scripts "$h"/tools "$kdir/hdr/usr/src/linux-headers-$kbase-common"/scripts \
		"$kdir/hdr/usr/src/linux-headers-$kbase-common"/tools; do
		[ -L "$l" ] || continue
		t=$(readlink "$l")
		case "$t" in /*) ln -sfn "$kdir/hdr$t" "$l" ;; esac
	done
fi

if unpack "$VM_CACHE/busybox" "$VM_CACHE/busybox.stamp" "$(vm_deb_path busybox-static:arm64)"; then
	vm_log "unpacked busybox-static:arm64"
fi
echo "$kver"
