#!/bin/sh
# Run every tests/cli/test_*.sh against the binary $1; print the TAP-ish lines
# and a closing "cli: N passed, N failed, N skipped" ("ok - NAME # SKIP why"
# is a check that could not run here, not a pass).
bin=${1:?usage: run.sh SMMUTRACE_BINARY}
case "$bin" in /*) ;; *) bin="$(pwd)/$bin" ;; esac
dir=$(dirname "$0")
pass=0 fail=0 skipped=0
for t in "$dir"/test_*.sh; do
	echo "# $(basename "$t")"
	out=$(sh "$t" "$bin" 2>&1)
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep '^ok - ' | grep -vc '# SKIP')
	s=$(printf '%s\n' "$out" | grep '^ok - ' | grep -c '# SKIP')
	f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
	pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + s))
done
echo "cli: $pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ]
