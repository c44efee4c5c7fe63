#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Extract the files a guest sent over the serial console (scripts/vm/init:
# "SMT-FILE-BEGIN NAME", gzip+base64, "SMT-FILE-END") into DIR.
#   scripts/vm/extract-files.sh CONSOLE_LOG DIR
# Exit 0 when at least one file came out, 1 when none was sent.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: extract-files.sh CONSOLE_LOG DIR" >&2; exit 2; }
log=$1 dir=$2
mkdir -p "$dir"
tr -d '\r' <"$log" | awk -v dir="$dir" '
	/^SMT-FILE-BEGIN / { name = $2; f = dir "/" name ".b64"; printf "" >f; next }
	/^SMT-FILE-END/ { close(f); f = ""; next }
	f != "" { print >>f }'
n=0
for b in "$dir"/*.b64; do
	[ -f "$b" ] || continue
	if ! base64 -d "$b" | gunzip >"${b%.b64}.part"; then
		rm -f "${b%.b64}.part"
		echo "extract-files.sh: ${b%.b64}: damaged on the console (base64/gzip check failed)" >&2
		exit 1
	fi
	mv "${b%.b64}.part" "${b%.b64}"
	rm -f "$b"
	n=$((n + 1))
done
[ $n -gt 0 ]
