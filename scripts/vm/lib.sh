# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# Host-side helpers shared by scripts/vmtest and scripts/vm/*.sh (sourced, bash).

VM_CACHE=${SMMUTRACE_CACHE:-$HOME/.cache/smmutrace-vm}

vm_log() { printf 'vmtest: %s\n' "$*" >&2; }
vm_die() {
	# $1 = exit status, rest = message (already says what to do next)
	local rc=$1; shift
	printf 'vmtest: %s\n' "$*" >&2
	exit "$rc"
}

# The kernels the rig knows, by short name. Debian's meta packages name the
# current ABI, so package versions drift without this file changing.
vm_meta_pkg() {
	case "$1" in
	6.1) echo linux-image-arm64 ;;
	6.12) echo linux-image-6.12-arm64 ;;
	*) return 1 ;;
	esac
}

# 6.1 -> 6.1.0-56-arm64 (the kernel release, `uname -r` in the guest)
vm_resolve_kver() {
	local meta dep
	meta=$(vm_meta_pkg "$1") || vm_die 2 "unknown kernel '$1': use 6.1 or 6.12"
	dep=$(apt-cache depends "$meta:arm64" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([^:]*-arm64\)\(-unsigned\)\?:arm64$/\1/p' | head -n1)
	[ -n "$dep" ] || vm_die 3 "apt knows no $meta:arm64: run 'scripts/setup-deps.sh --board' (enables arm64 multiarch and runs apt-get update)"
	echo "$dep"
}

# vm_resolve_debs SPEC...: fill DEB[SPEC]=file name that apt-get download gives
# each package's candidate. --print-uris prints nothing for files already
# present, so ask from an empty directory; one apt call for all (apt is slow).
declare -gA DEB
vm_resolve_debs() {
	local spec name arch line f
	mkdir -p "$VM_CACHE/.empty"
	local out
	out=$(cd "$VM_CACHE/.empty" && apt-get download --print-uris "$@" 2>/dev/null | awk '{print $2}') || true
	for spec in "$@"; do
		name=${spec%%:*}
		arch=
		case "$spec" in *:*) arch=${spec#*:} ;; esac
		f=
		while read -r line; do
			case "$line" in
			"${name}_"*"_${arch:-}"*.deb | "${name}_"*_all.deb) f=$line ;;
			"${name}_"*.deb) [ -n "$arch" ] || f=$line ;;
			esac
		done <<<"$out"
		[ -n "$f" ] || vm_die 3 "apt cannot find package $spec: run 'scripts/setup-deps.sh --board' (arm64 multiarch + apt-get update)"
		DEB[$spec]=$f
	done
}

# vm_download SPEC...: download into $VM_CACHE/debs what is not there yet
# (after vm_resolve_debs). Returns 1 when apt-get download fails (the error is
# in $VM_CACHE/debs/.apt.err).
vm_download() {
	local debs="$VM_CACHE/debs" p want=()
	mkdir -p "$debs"
	for p in "$@"; do
		[ -s "$debs/${DEB[$p]}" ] || want+=("$p")
	done
	if [ ${#want[@]} -gt 0 ]; then
		vm_log "downloading ${want[*]}"
		(cd "$debs" && apt-get download -q "${want[@]}" >/dev/null 2>"$debs/.apt.err") || return 1
	fi
}

vm_deb_path() {
	echo "$VM_CACHE/debs/${DEB[$1]}"
}
