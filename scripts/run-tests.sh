#!/bin/bash
# `make test`: every test suite, in order, then one closing line
# "tests: N passed, N failed, N skipped" over all of them. Suites:
#   unit      cmocka unit tests (tests/unit), normal build
#   unit-asan the same under ASan/UBSan
#   cli       CLI golden tests (tests/cli) against the ASan/UBSan binary
#   oracle    differential oracle (tests/oracle): a few hundred seeded random
#             streams through `replay --json` (ASan/UBSan binary) and through a
#             slow model of SPEC sections 3-5; any difference fails, shrunk
#   bpf       BPF programs on the running kernel (root): load, attach, real
#             runtime-PM events, BPF_PROG_TEST_RUN twins, forced drops
#   monitor   monitor: outputs, follow mode, signals, a real Prometheus
#             scraping it, a 60 s soak (normal build: it bounds RSS)
#   vm        the emulated arm64 board: Debian 5.10, 6.1, 6.12 and sid with a real SMMUv3
#             (scripts/vmtest), strict and lazy, every golden count
#   report    HTML report in headless Chromium, KCIDB and Perfetto checks
#   fuzz      every libFuzzer target for FUZZ_SECONDS (default 20) each
# SUITES="unit cli" make test   runs a subset.
set -u
cd "$(dirname "$0")/.."
SUITES=${SUITES:-"unit unit-asan cli oracle bpf report monitor fuzz vm"}
JOBS=${JOBS:-2}
pass=0 fail=0 skip=0 failed_suites=""

# cmocka_sum LOG WORD: the sum of cmocka's "[  WORD ] N test(s)" summary lines
cmocka_sum() {
	grep -Eo "^\[  $2 *\] [0-9]+ test" "$1" | awk '{s+=$(NF-1)} END{print s+0}'
}

# count a suite's results: cmocka summaries and KTAP "ok - "/"not ok - " lines;
# "ok - NAME # SKIP why" is a test that could not run here, not a pass
tally() {
	local log=$1 name=$2 p f s
	p=$(cmocka_sum "$log" PASSED)
	f=$(cmocka_sum "$log" FAILED)
	s=$(cmocka_sum "$log" SKIPPED)
	p=$((p + $(grep '^ok - ' "$log" | grep -vc '# SKIP')))
	s=$((s + $(grep '^ok - ' "$log" | grep -c '# SKIP')))
	f=$((f + $(grep -c '^not ok - ' "$log")))
	# the board rig reports KTAP per kernel and one closing line
	if grep -qE '^vmtest: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log"; then
		local totals
		totals=$(sed -nE 's/^vmtest: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/p' \
			"$log" | tail -1)
		set -- $totals
		p=$((p + $1)) f=$((f + $2)) s=$((s + $3))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "## $name: $p passed, $f failed, $s skipped"
}

suite() {
	local name=$1; shift
	local log
	log=$(mktemp)
	echo "## suite $name"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	tally "$log" "$name"
	if [ "$rc" != 0 ]; then
		failed_suites="$failed_suites $name"
		# a suite that died without reporting a failure still counts as one
		grep -qE '^\[  FAILED  \]|^not ok - ' "$log" || fail=$((fail + 1))
	fi
	rm -f "$log"
}

for s in $SUITES; do
	case $s in
	# the benchmarks are built (not run) with the unit tests, so that a change
	# to what they link cannot leave `make bench` broken unnoticed
	unit) suite unit sh -c "make -s -j$JOBS unit-bins bench-bins && scripts/run-unit.sh .output" ;;
	unit-asan) suite unit-asan sh -c "make -s -j$JOBS OUTPUT=.output-asan SANITIZE=1 unit-bins && \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		scripts/run-unit.sh .output-asan" ;;
	cli) suite cli sh -c "make -s -j$JOBS OUTPUT=.output-asan SANITIZE=1 .output-asan/smmutrace && \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 tests/cli/run.sh .output-asan/smmutrace" ;;
	oracle) suite oracle sh -c "make -s -j$JOBS OUTPUT=.output-asan SANITIZE=1 .output-asan/smmutrace && \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
		python3 tests/oracle/run.py .output-asan/smmutrace" ;;
	fuzz) suite fuzz scripts/run-fuzz.sh "${FUZZ_SECONDS:-20}" ;;
	bpf) suite bpf sh -c "make -s -j$JOBS OUTPUT=.output-asan SANITIZE=1 bpf-test-bins && \
		ASAN_OPTIONS=detect_leaks=1 tests/bpf/run.sh .output-asan" ;;
	vm) suite vm scripts/vmtest test ;;
	monitor) suite monitor sh -c "make -s -j$JOBS .output/smmutrace && \
		SOAK_SECONDS=${SOAK_SECONDS:-60} tests/monitor/run.sh .output/smmutrace" ;;
	report) suite report sh -c "make -s -j$JOBS OUTPUT=.output-asan SANITIZE=1 .output-asan/smmutrace && \
		ASAN_OPTIONS=detect_leaks=1 tests/report/run.sh .output-asan/smmutrace" ;;
	*) echo "run-tests.sh: unknown suite $s" >&2; fail=$((fail + 1)) ;;
	esac
done

[ -n "$failed_suites" ] && echo "## failed suites:$failed_suites"
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] && [ -z "$failed_suites" ]
