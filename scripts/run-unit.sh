#!/bin/sh
# Run every cmocka unit-test binary in OUTPUT/tests; print their summaries.
# Exit 1 if any failed.
out=${1:-.output}
rc=0
for t in "$out"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "# $(basename "$t")"
	"$t" || rc=1
done
exit $rc
