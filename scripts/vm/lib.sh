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

# The kernels the rig knows, by short name: the Debian suite that has them
# ("" = this machine's own apt sources, bookworm) and the meta package naming
# the current ABI, so package versions drift without this file changing.
VM_KERNELS="5.10 6.1 6.12 sid"
vm_meta_pkg() {
	case "$1" in
	5.10) echo "bullseye linux-image-arm64" ;;
	6.1) echo " linux-image-arm64" ;;
	6.12) echo " linux-image-6.12-arm64" ;;
	sid) echo "sid linux-image-arm64" ;;
	*) return 1 ;;
	esac
}

# The Debian mirror this machine already uses (first .../debian URI of the apt
# sources), so the other suites come from the same host.
vm_mirror() {
	local u
	u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ')
	echo "${u:-http://deb.debian.org/debian}" | sed 's|/$||'
}

# vm_use_suite SUITE: point VM_APT (options for every apt-get/apt-cache call)
# at SUITE. "" = the machine's own sources. Any other suite gets a private
# sources list, package lists and cache under $VM_CACHE/apt/SUITE, so the
# machine's apt configuration is never changed. Its lists are refreshed when
# missing or older than a day (sid moves daily), or when FORCE=1 is given.
declare -ga VM_APT=()
vm_use_suite() {
	local suite=$1 force=${2:-0} d m arch
	VM_APT=()
	[ -n "$suite" ] || return 0
	d="$VM_CACHE/apt/$suite"
	VM_APT=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache")
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	m=$(vm_mirror)
	arch=arm64,$(dpkg --print-architecture)
	{
		echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m $suite main"
		# bullseye's kernel updates are in its security suite (LTS)
		[ "$suite" = sid ] ||
			echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m-security $suite-security main"
	} >"$d/sources.list.new"
	if ! cmp -s "$d/sources.list.new" "$d/sources.list"; then
		mv "$d/sources.list.new" "$d/sources.list"
		force=1
	else
		rm -f "$d/sources.list.new"
	fi
	if [ "$force" = 1 ] || [ -z "$(find "$d/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
		vm_log "apt-get update for $suite (private lists in $d)"
		apt-get "${VM_APT[@]}" update -q >"$d/update.log" 2>&1 ||
			vm_die 3 "apt-get update for $suite failed (log: $d/update.log): check the network and $d/sources.list"
	fi
}

# The newest package-list file apt uses for the current suite (resolutions
# cached before it are stale).
vm_lists_dir() {
	local i
	for ((i = 0; i < ${#VM_APT[@]}; i++)); do
		case "${VM_APT[$i]}" in Dir::State::Lists=*) echo "${VM_APT[$i]#Dir::State::Lists=}"; return ;; esac
	done
	echo /var/lib/apt/lists
}

# vm_resolve_kver K [N]: 6.1 -> 6.1.0-56-arm64 (the kernel release, `uname -r`
# in the guest), after vm_use_suite with that kernel's suite. N (default 0)
# picks an older ABI the meta package also lists (bullseye: the point
# release's next to the security suite's), newest first, for a mirror that
# lacks the newest one.
vm_resolve_kver() {
	local meta dep
	meta=$(vm_meta_pkg "$1") || vm_die 2 "unknown kernel '$1': use $VM_KERNELS or all"
	meta=${meta#* }
	dep=$(apt-cache "${VM_APT[@]}" show "$meta:arm64" 2>/dev/null | sed -n 's/^Depends: //p' |
		grep -oE 'linux-image-[^ ,]*-arm64' | sed 's/^linux-image-//' | awk '!seen[$0]++' |
		sort -rV | sed -n "$((${2:-0} + 1))p")
	[ -n "$dep" ] || [ "${2:-0}" != 0 ] ||
		vm_die 3 "apt knows no $meta:arm64: run 'scripts/setup-deps.sh --board' (enables arm64 multiarch and runs apt-get update)"
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
	out=$(cd "$VM_CACHE/.empty" && apt-get "${VM_APT[@]}" download --print-uris "$@" 2>/dev/null | awk '{print $2}') || true
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
		(cd "$debs" && apt-get "${VM_APT[@]}" download -q "${want[@]}" >/dev/null 2>"$debs/.apt.err") || return 1
	fi
}

vm_deb_path() {
	echo "$VM_CACHE/debs/${DEB[$1]}"
}
