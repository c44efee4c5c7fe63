#!/bin/sh
# Run every cmocka unit-test binary in OUTPUT/tests; print their summaries
# (run-tests.sh counts cmocka's [ PASSED ]/[ FAILED ]/[ SKIPPED ] lines). A
# binary that dies before its summary (a crash, a sanitizer abort) gets a
# "not ok - NAME" line so that it is counted too. Exit 1 if any failed.
out=${1:-.output}
log=$(mktemp "${TMPDIR:-/tmp}/smmutrace-unit.XXXXXX") || exit 3
trap 'rm -f "$log"' EXIT
rc=0
for t in "$out"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "# $(basename "$t")"
	"$t" >"$log" 2>&1
	st=$?
	cat "$log"
	[ "$st" = 0 ] && continue
	rc=1
	grep -q '^\[  FAILED  \] [0-9]' "$log" ||
		echo "not ok - $(basename "$t") (exit $st before its cmocka summary)"
done
exit $rc
