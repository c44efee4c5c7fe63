#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fetch and unpack one Debian arm64 kernel (image, modules, headers for the test
# module, its BTF) plus busybox-static:arm64 into the cache. Idempotent: packages
# already downloaded or unpacked are reused.
#   scripts/vm/fetch.sh 5.10|6.1|6.12|sid
# Prints the kernel release (e.g. 6.1.0-56-arm64) on stdout. bullseye (5.10)
# and sid packages come through a private apt state (lib.sh: vm_use_suite).
# Layout: $VM_CACHE/debs/*.deb, $VM_CACHE/busybox/, $VM_CACHE/k/<kver>/{root,hdr,btf.raw}
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ $# -eq 1 ] || vm_die 2 "usage: fetch.sh ${VM_KERNELS// /|}"
meta=$(vm_meta_pkg "$1") || vm_die 2 "unknown kernel '$1': use ${VM_KERNELS// /, }"
suite=${meta%% *}
mkdir -p "$VM_CACHE"
vm_use_suite "$suite"
# apt look-ups take seconds each: keep the answer until the next apt-get update.
res="$VM_CACHE/resolved-$1"
resolve() {
	if [ "${2:-0}" = 0 ] && [ -s "$res" ] && [ -z "$(find "$(vm_lists_dir)" -maxdepth 1 -name '*Packages*' -newer "$res" 2>/dev/null | head -n1)" ]; then
		. "$res"
		# a cache written by an older rig lacks imgpkgs: resolve again
		[ -n "${imgpkgs+x}" ] && return
	fi
	kver=$(vm_resolve_kver "$1" "${2:-0}")
	[ -n "$kver" ] || return 1
	kbase=${kver%-arm64}
	kbuild=$(apt-cache "${VM_APT[@]}" depends "linux-headers-$kver:arm64" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-kbuild-[^:]*\)\(:arm64\)\?$/\1/p' | head -n1)
	[ -n "$kbuild" ] || vm_die 3 "cannot tell which linux-kbuild package linux-headers-$kver needs: run 'apt-get update'"
	# Since 6.17 (sid) linux-image-* is empty and depends on the kernel image
	# (linux-binary-*), its modules (linux-modules-*) and config/System.map
	# (linux-base-*), all merged-/usr; older ones carry everything themselves.
	imgpkgs=("linux-image-$kver:arm64")
	local p
	for p in $(apt-cache "${VM_APT[@]}" depends "linux-image-$kver:arm64" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-\(binary\|modules\|base\)-$kver\)\(:arm64\)\?\$/\1/p"); do
		imgpkgs+=("$p:arm64")
	done
	# The kbuild tools run on the build host, so that one is the host's (amd64) package.
	pkgs=("${imgpkgs[@]}" "linux-headers-$kver:arm64" "linux-headers-$kbase-common" "$kbuild")
	vm_resolve_debs "${pkgs[@]}"
	# busybox is static and the same for every kernel: always the machine's own suite's
	local saved=("${VM_APT[@]}")
	VM_APT=()
	vm_resolve_debs busybox-static:arm64
	VM_APT=("${saved[@]}")
	{
		echo "kver='$kver' kbase='$kbase' kbuild='$kbuild'"
		echo "imgpkgs=(${imgpkgs[*]})"
		echo "pkgs=(${pkgs[*]})"
		for p in "${pkgs[@]}" busybox-static:arm64; do echo "DEB[$p]='${DEB[$p]}'"; done
	} >"$res.tmp" && mv "$res.tmp" "$res"
}
# download_all: the kernel's packages from its suite, busybox from the machine's
download_all() {
	vm_download "${pkgs[@]}" || return 1
	local saved=("${VM_APT[@]}") rc=0
	VM_APT=()
	vm_download busybox-static:arm64 || rc=1
	VM_APT=("${saved[@]}")
	return $rc
}
resolve "$1"
if ! download_all; then
	# Debian drops superseded kernel ABIs from the mirror: with stale package
	# lists the download 404s. Refresh them once (as root) and resolve again.
	err=$(tail -n1 "$VM_CACHE/debs/.apt.err")
	[ "$(id -u)" = 0 ] || vm_die 3 "apt-get download failed ($err): run 'apt-get update' as root and retry"
	vm_log "apt-get download failed ($err); running apt-get update and retrying"
	if [ -n "$suite" ]; then
		vm_use_suite "$suite" 1
	else
		apt-get update -q >/dev/null 2>&1 || vm_die 3 "apt-get update failed: check the network and apt sources"
	fi
	rm -f "$res"
	resolve "$1"
	alt=0
	until download_all; do
		# the mirror may lack the newest ABI (seen: bullseye-security's arm64
		# kernel 404s while bullseye's point release is there): take the next
		alt=$((alt + 1))
		[ $alt -le 3 ] && resolve "$1" $alt ||
			vm_die 3 "apt-get download failed ($(tail -n1 "$VM_CACHE/debs/.apt.err")); check the network and apt sources"
		vm_log "trying the older $1 ABI $kver"
	done
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
imgdebs=()
for p in "${imgpkgs[@]}"; do imgdebs+=("$(vm_deb_path "$p")"); done
if unpack "$kdir/root" "$kdir/root.stamp" "${imgdebs[@]}"; then
	vm_log "unpacked linux-image-$kver"
	# merged-/usr packages (sid) have usr/lib/modules/KVER/{vmlinuz,kernel}:
	# give them the classic /lib/modules and /boot paths the rest of the rig
	# (and the host's depmod) use
	if [ ! -e "$kdir/root/lib" ] && [ -d "$kdir/root/usr/lib/modules/$kver" ]; then
		ln -s usr/lib "$kdir/root/lib"
	fi
	if [ ! -e "$kdir/root/boot/vmlinuz-$kver" ] && [ -f "$kdir/root/usr/lib/modules/$kver/vmlinuz" ]; then
		mkdir -p "$kdir/root/boot"
		ln -s "../usr/lib/modules/$kver/vmlinuz" "$kdir/root/boot/vmlinuz-$kver"
	fi
	# Debian ships no modules.dep; the initramfs builder resolves dependencies from it.
	depmod -b "$kdir/root" "$kver"
	rm -f "$kdir/btf.raw"
fi
# for the KTAP output: which package and suite this kernel came from
pv=$(dpkg-deb -f "$(vm_deb_path "linux-image-$kver:arm64")" Version)
echo "linux-image-$kver $pv (${suite:-$(. /etc/os-release && echo "${VERSION_CODENAME:-host}")})" >"$kdir/package.tmp" &&
	mv "$kdir/package.tmp" "$kdir/package"
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
	rm -f "$kdir/hdr/glibc.stamp"
fi

# The kbuild tools (modpost, genksyms, resolve_btfids, ...) of a newer suite
# are linked against its newer glibc (sid: GLIBC_2.38; this host: 2.36). Run
# those through that suite's own dynamic loader and libc, unpacked next to
# them: the binaries stay Debian's, only their loader changes.
if [ ! -f "$kdir/hdr/glibc.stamp" ]; then
	kb="$kdir/hdr/usr/lib/$kbuild"
	old=()
	while IFS= read -r -d '' f; do
		[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = 177ELF ] || continue
		# the loader refuses before main() runs: no side effects
		case "$("$f" --help </dev/null 2>&1)" in *"version \`GLIBC_"*"' not found"*) old+=("$f") ;; esac
	done < <(find "$kb" -type f -perm -u+x ! -name '*.glibc-bin' -print0)
	if [ ${#old[@]} -gt 0 ]; then
		[ -n "$suite" ] || vm_die 3 "kbuild tools of $kver need a newer glibc than this host's, and the suite is the host's own"
		vm_resolve_debs "libc6:$(dpkg --print-architecture)"
		vm_download "libc6:$(dpkg --print-architecture)" ||
			vm_die 3 "apt-get download libc6 from $suite failed ($(tail -n1 "$VM_CACHE/debs/.apt.err"))"
		rm -rf "$kdir/hdr/glibc" && dpkg -x "$(vm_deb_path "libc6:$(dpkg --print-architecture)")" "$kdir/hdr/glibc"
		ld=$(find "$kdir/hdr/glibc" -name 'ld-linux*.so.*' \( -type f -o -type l \) | head -n1)
		libc=$(find "$kdir/hdr/glibc" -name libc.so.6 | head -n1)
		[ -n "$ld" ] && [ -n "$libc" ] || vm_die 3 "no dynamic loader or libc.so.6 in $suite's libc6 package"
		for f in "${old[@]}"; do
			mv "$f" "$f.glibc-bin"
			printf '#!/bin/sh\n# %s\nexec "%s" --library-path "%s" "$0.glibc-bin" "$@"\n' \
				"run with $suite's glibc (scripts/vm/fetch.sh)" "$ld" "$(dirname "$libc")" >"$f"
			chmod 755 "$f"
			case "$("$f" --help </dev/null 2>&1)" in *"version \`GLIBC_"*) vm_die 3 "$f still fails with $suite's glibc" ;; esac
		done
		vm_log "kbuild tools run with $suite's glibc: ${old[*]##*/}"
	fi
	touch "$kdir/hdr/glibc.stamp"
fi

if unpack "$VM_CACHE/busybox" "$VM_CACHE/busybox.stamp" "$(vm_deb_path busybox-static:arm64)"; then
	vm_log "unpacked busybox-static:arm64"
fi
echo "$kver"
