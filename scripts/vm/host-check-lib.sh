# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared by the host halves of board scenarios (replay-check.sh,
# fault-check.sh), sourced after `set -uo pipefail`:
#   . host-check-lib.sh NAME PLAN "$@"
# checks the arguments (HOST_SMMUTRACE CONSOLE_LOG WORKDIR) into bin, log and
# dir, empties WORKDIR, prints the KTAP header with PLAN tests and extracts the
# files the guest sent back into WORKDIR (errors in WORKDIR/extract.err).
# res OK NAME [DIAG] then prints one result; $fail is 1 after a failed one.
_hc_name=$1 _hc_plan=$2
shift 2
[ $# -eq 3 ] || { echo "usage: $_hc_name HOST_SMMUTRACE CONSOLE_LOG WORKDIR" >&2; exit 2; }
bin=$1 log=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir"
n=0 fail=0
res() { # res OK NAME [DIAG]
	n=$((n + 1))
	[ -n "${3:-}" ] && echo "  # $3"
	if [ "$1" = 0 ]; then echo "  ok $n $2"; else echo "  not ok $n $2"; fail=1; fi
}
echo "  KTAP version 1"
echo "  1..$_hc_plan"
"$(dirname "${BASH_SOURCE[0]}")/extract-files.sh" "$log" "$dir" 2>"$dir/extract.err"
