# --inval-window and --fault-window (SPEC §5): each moves the verdict, the
# boundary is inclusive ("exactly the window is in time"), every analysing
# command honours them, and bad values are usage errors naming the option.
. "$(dirname "$0")/lib.sh"

# An unmap at 1 s whose TLBI comes 99 ms later and whose sync 100 ms later:
# in time for the default window, exactly at its edge.
INVAL="$TMP/inval.jsonl"
cat >"$INVAL" <<'EOF'
{"ev":"meta","ts":0,"strict":true,"since_boot":true}
{"ev":"attach","ts":0,"domain":"0xd0","dev":"dev0","sids":[1]}
{"ev":"map","ts":0,"domain":"0xd0","iova":"0x1000","size":4096,"ret":0}
{"ev":"unmap","ts":1000000000,"domain":"0xd0","iova":"0x1000","size":4096,"ret":4096}
{"ev":"tlbi","ts":1099000000,"domain":"0xd0","scope":"va","iova":"0x1000","size":4096}
{"ev":"sync","ts":1100000000,"domain":"0xd0","scope":"context","dur":1000}
EOF

# An unmap at 1 s, invalidated and synced at once, and a device fault on the
# range exactly 1 s after the unmap: at the edge of the default fault window.
FAULT="$TMP/fault.jsonl"
cat >"$FAULT" <<'EOF'
{"ev":"meta","ts":0,"strict":true,"since_boot":true}
{"ev":"attach","ts":0,"domain":"0xd0","dev":"dev0","sids":[1]}
{"ev":"map","ts":0,"domain":"0xd0","iova":"0x1000","size":4096,"ret":0}
{"ev":"unmap","ts":1000000000,"domain":"0xd0","iova":"0x1000","size":4096,"ret":4096}
{"ev":"tlbi","ts":1000001000,"domain":"0xd0","scope":"va","iova":"0x1000","size":4096}
{"ev":"sync","ts":1000002000,"domain":"0xd0","scope":"context","dur":1000}
{"ev":"fault","ts":2000000000,"domain":"0xd0","dev":"dev0","iova":"0x1800"}
EOF

# ---- --inval-window ----------------------------------------------------------
run "$SMMUTRACE" replay --json --fail-on warning "$INVAL"
expect_rc "inval-window default 100ms: a sync exactly 100ms after the unmap is in time (exit 0)" 0
expect_json "inval-window default 100ms: no finding" \
	'not f and s["warnings"] == 0 and s["findings"]["unmap-no-invalidate"] == 0'

run "$SMMUTRACE" replay --json --fail-on warning --inval-window 100ms "$INVAL"
expect_rc "--inval-window 100ms: the same as the default (exit 0)" 0

run "$SMMUTRACE" replay --json --fail-on warning --inval-window 99999999ns "$INVAL"
expect_rc "--inval-window 1ns shorter: the sync falls just outside (exit 1)" 1
expect_json "--inval-window 1ns shorter: one unmap-no-invalidate on the unmapped range" \
	'c == {"unmap-no-invalidate": 1} and s["findings"]["unmap-no-invalidate"] == 1 and f[0]["iova"] == "0x1000" and f[0]["size"] == 4096'
run "$SMMUTRACE" replay --inval-window 99999999ns "$INVAL"
expect_out "--inval-window 1ns shorter: the TLBI was in time, the sync was not" \
	"is still not synced after its TLBI"

run "$SMMUTRACE" replay --fail-on warning --inval-window 99ms "$INVAL"
expect_rc "--inval-window 99ms: the TLBI falls exactly at the edge, still in time for it (exit 1 for the sync)" 1
expect_out "--inval-window 99ms: only the sync is late" "is still not synced after its TLBI 99 ms later"

run "$SMMUTRACE" replay --fail-on warning --inval-window 98999999ns "$INVAL"
expect_rc "--inval-window 1ns before the TLBI: late (exit 1)" 1
expect_out "--inval-window 1ns before the TLBI: neither TLBI nor sync was in time" \
	"is still not invalidated (TLBI + sync)"

run "$SMMUTRACE" replay --fail-on warning --inval-window 0.1 "$INVAL"
expect_rc "--inval-window 0.1 (bare seconds): the same as 100ms (exit 0)" 0

# Every analysing command takes the window from the same option.
run "$SMMUTRACE" report --format json --inval-window 99999999ns "$INVAL"
expect_out "report --inval-window: the finding is in the report" '"rule":"unmap-no-invalidate"'
run "$SMMUTRACE" report --format json "$INVAL"
expect_no_out "report without --inval-window: no finding" '"rule":"unmap-no-invalidate"'
run "$SMMUTRACE" whatif --policy wake-tbu --json --fail-on warning --inval-window 99999999ns "$INVAL"
expect_rc "whatif --inval-window: the finding under the policy too (exit 1)" 1
run "$SMMUTRACE" whatif --policy wake-tbu --json --fail-on warning "$INVAL"
expect_rc "whatif without --inval-window: none (exit 0)" 0
run "$SMMUTRACE" monitor --no-listen --period 10s --fail-on warning --inval-window 99999999ns --input "$INVAL"
expect_out "monitor --inval-window: the period fails on it" \
	"not ok 1 period-1 # warnings: 1 (unmap-no-invalidate 1)"
run "$SMMUTRACE" monitor --no-listen --period 10s --fail-on warning --input "$INVAL"
expect_out "monitor without --inval-window: the period passes" "ok 1 period-1"

# ---- --fault-window ----------------------------------------------------------
run "$SMMUTRACE" replay --json "$FAULT"
expect_rc "fault-window default 1s: a fault exactly 1s after the unmap is inside (exit 1)" 1
expect_json "fault-window default 1s: one fault-after-unmap naming the unmap" \
	'c == {"fault-after-unmap": 1} and [e["ev"] for e in f[0]["evidence"]] == ["fault", "unmap"]'

run "$SMMUTRACE" replay --json --fault-window 999999999ns "$FAULT"
expect_rc "--fault-window 1ns shorter: the fault falls just outside (exit 0)" 0
expect_json "--fault-window 1ns shorter: no finding" 'not f'

run "$SMMUTRACE" replay --json --fault-window 500ms "$FAULT"
expect_rc "--fault-window 500ms: no finding (exit 0)" 0
run "$SMMUTRACE" replay --json --fault-window 1.5s "$FAULT"
expect_rc "--fault-window 1.5s: the fault is inside (exit 1)" 1

run "$SMMUTRACE" report --format json --fault-window 999999999ns "$FAULT"
expect_no_out "report --fault-window 1ns shorter: no finding" '"rule":"fault-after-unmap"'
run "$SMMUTRACE" report --format json "$FAULT"
expect_out "report without --fault-window: the finding is in the report" '"rule":"fault-after-unmap"'
run "$SMMUTRACE" whatif --policy wake-tbu --fault-window 999999999ns "$FAULT"
expect_rc "whatif --fault-window 1ns shorter: none under the policy (exit 0)" 0
run "$SMMUTRACE" monitor --no-listen --period 10s --fault-window 999999999ns --input "$FAULT"
expect_rc "monitor --fault-window 1ns shorter: every period passes (exit 0)" 0

# ---- bad values --------------------------------------------------------------
# The messages name the option and the value; exit 2 before any input is read
# (the stream path does not exist).
for opt in inval-window fault-window; do
	run "$SMMUTRACE" replay --$opt -5ms "$TMP/none.jsonl"
	expect_rc "--$opt -5ms (negative): exit 2" 2
	expect_err "--$opt -5ms: says what a duration is" \
		"smmutrace: --$opt: '-5ms' is not a duration: give a number with a unit (ns, us, ms, s, m, h)"
	run "$SMMUTRACE" replay --$opt 366d "$TMP/none.jsonl"
	expect_rc "--$opt 366d (no such unit): exit 2" 2
	expect_err "--$opt 366d: says what a duration is" "--$opt: '366d' is not a duration"
	run "$SMMUTRACE" replay --$opt 8761h "$TMP/none.jsonl"
	expect_rc "--$opt 8761h (absurd): exit 2" 2
	expect_err "--$opt 8761h: names the limit" "--$opt: '8761h' is over the 365-day limit of a duration"
	run "$SMMUTRACE" replay --$opt 0.4ns "$TMP/none.jsonl"
	expect_rc "--$opt 0.4ns (rounds to zero): exit 2" 2
	expect_err "--$opt 0.4ns: says zero" "--$opt: '0.4ns' is zero"
	run "$SMMUTRACE" replay --$opt "" "$TMP/none.jsonl"
	expect_rc "--$opt '' (empty): exit 2" 2
	expect_err "--$opt '': says what a duration is" "--$opt: '' is not a duration"
	# the capture and monitor commands parse the same options the same way
	for cmd in "live --duration 1s" "monitor --no-listen --input $TMP/none.jsonl" \
		"report $TMP/none.jsonl" "whatif --policy wake-tbu $TMP/none.jsonl"; do
		run "$SMMUTRACE" $cmd --$opt 5parsecs
		expect_rc "${cmd%% *} --$opt 5parsecs: exit 2" 2
		expect_err "${cmd%% *} --$opt 5parsecs: names the option" "--$opt: '5parsecs' is not a duration"
	done
done

finish
