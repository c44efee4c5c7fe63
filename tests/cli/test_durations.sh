# Durations (SPEC §2): one parser for every option; a bare number is seconds;
# zero and absurd durations are usage errors with their own message.
. "$(dirname "$0")/lib.sh"

S="$DATA/streams/gpu-tbu-gated.jsonl"
B="$DATA/board/gpu-tbu.ini"

run "$SMMUTRACE" replay --board "$B" --inval-window 6 --fault-window 1.5 --sync-slow 2m "$S"
expect_rc "bare seconds, decimals and minutes are durations" 1

for opt in inval-window fault-window sync-slow; do
	run "$SMMUTRACE" replay --$opt 0 "$S"
	expect_rc "--$opt 0: exit 2" 2
	expect_err "--$opt 0: says zero" "--$opt: '0' is zero: give a positive duration, e.g. 100ms"
done
run "$SMMUTRACE" replay --inval-window 99999999999s "$S"
expect_rc "--inval-window 99999999999s: exit 2" 2
expect_err "--inval-window 99999999999s: says too long" "--inval-window: '99999999999s' is over the 365-day limit of a duration"
run "$SMMUTRACE" replay --inval-window 10sec "$S"
expect_rc "--inval-window 10sec: exit 2" 2
expect_err "--inval-window 10sec: says what a duration is" "--inval-window: '10sec' is not a duration: give a number with a unit (ns, us, ms, s, m, h), e.g. 250us, 100ms, 2s; a bare number is seconds"

# the capture commands refuse a zero --duration before anything else (it ran forever)
for cmd in record live; do
	run "$SMMUTRACE" $cmd --duration 0s -o "$TMP/x.smt"
	[ $cmd = live ] && run "$SMMUTRACE" $cmd --duration 0s
	expect_rc "$cmd --duration 0s: exit 2" 2
	expect_err "$cmd --duration 0s: says zero" "--duration: '0s' is zero"
done
run "$SMMUTRACE" monitor --input "$S" --no-listen --period 0
expect_rc "monitor --period 0: exit 2" 2
expect_err "monitor --period 0: says zero" "--period: '0' is zero"
run "$SMMUTRACE" monitor --input "$S" --board "$B" --no-listen --period 6 --duration 6
expect_rc "monitor --period 6 --duration 6: bare seconds accepted" 1
run "$SMMUTRACE" report "$S" --window 0
expect_rc "report --window 0: exit 2" 2
expect_err "report --window 0: says zero" "--window: '0' is zero"

finish
