#!/bin/sh
# Install every Debian 12 package smmutrace's build, tests and demo need.
# Idempotent; run as root on a bare Debian 12 (CI does).
#   scripts/setup-deps.sh              everything: host build, tests, the arm64
#                                      cross build and the emulated board
#   scripts/setup-deps.sh --host-only  only the host build and its tests
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "setup-deps.sh: run as root (it calls apt-get)" >&2
	exit 3
fi

HOST_PKGS="make gcc clang llvm libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev
libzstd-dev libjson-c-dev libdeflate-dev libcmocka-dev pkg-config python3 git ca-certificates
chromium prometheus"
BOARD_PKGS="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross kmod cpio xz-utils bc
dwarves libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libzstd-dev:arm64 libjson-c-dev:arm64
libdeflate-dev:arm64"

# `make test` boots the emulated board too, so the board packages are part of
# the default set; --host-only leaves them out (no cross build, no QEMU).
want="$HOST_PKGS $BOARD_PKGS"
for a in "$@"; do
	case "$a" in
	--board) ;;
	--host-only) want="$HOST_PKGS" ;;
	*) echo "setup-deps.sh: unknown option $a (--board, --host-only)" >&2; exit 2 ;;
	esac
done

case " $want " in
*:arm64*)
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
	fi ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
echo "setup-deps.sh: all packages present"
