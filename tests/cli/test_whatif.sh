# whatif (SPEC §8): golden outputs per policy, the JSON object's shape, exit
# status as replay, bad policy names, a recording carrying [smmu] gates =.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
GOLD=tests/data/whatif
S=tests/data/streams/smmu-suspended-reuse.jsonl
B=tests/data/board/smmu-rpm.ini

# golden_text NAME FILE: the part of stdout from "what-if:" on equals FILE
golden_text() {
	sed -n '/^what-if:/,$p' "$TMP/out" >"$TMP/tail"
	if cmp -s "$TMP/tail" "$2"; then ok "$1"; else diff "$2" "$TMP/tail" | sed 's/^/#   /' | head -20; notok "$1"; fi
}
# golden_json NAME FILE: the whatif object equals FILE (the last line of stdout)
golden_json() {
	tail -n1 "$TMP/out" >"$TMP/tail"
	if cmp -s "$TMP/tail" "$2"; then ok "$1"; else diff "$2" "$TMP/tail" | sed 's/^/#   /' | head -20; notok "$1"; fi
}
# json_check NAME PYEXPR: f = finding objects, w = the whatif object (last line)
json_check() {
	if python3 - "$TMP/out" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert lines and lines[-1]["type"] == "whatif", "last line is not the whatif object"
assert all(l["type"] == "finding" for l in lines[:-1]), "only findings before it"
f, w = lines[:-1], lines[-1]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
	then ok "$1"; else echo "#   false: $2"; notok "$1"; fi
}

for p in defer-unmap skip-tlbi wake-tbu; do
	run "$SMMUTRACE" whatif --policy $p --board $B $S
	golden_text "$p: text table and changes (golden)" $GOLD/smmu-suspended-reuse.$p.txt
	run "$SMMUTRACE" whatif --policy $p --json --board $B $S
	golden_json "$p: --json whatif object (golden)" $GOLD/smmu-suspended-reuse.$p.json
done

# defer-unmap: the reuse while suspended fails (stale-pte), exit as replay
run "$SMMUTRACE" whatif --policy defer-unmap --board $B $S
expect_rc "defer-unmap: an error under the policy exits 1" 1
expect_out "defer-unmap: the finding line comes first" "error   stale-pte"
run "$SMMUTRACE" whatif --policy defer-unmap --json --board $B $S
json_check "defer-unmap --json: one stale-pte finding, then the object" \
	'[x["rule"] for x in f] == ["stale-pte"] and w["policy"] == "defer-unmap"'
json_check "--json: all six changes keys, every rule in both maps" \
	'sorted(w["changes"]) == sorted(["deferred_unmaps","failed_maps","skipped_tlbis","skipped_syncs","tbu_wakes","events_dropped"]) and len(w["actual"]) == 13 and w["actual"].keys() == w["under_policy"].keys()'
run "$SMMUTRACE" whatif --policy defer-unmap --fail-on never --board $B $S
expect_rc "--fail-on never exits 0" 0
run "$SMMUTRACE" whatif --policy skip-tlbi --json --board $B $S
json_check "skip-tlbi --json: the reuse before any invalidation" '[x["rule"] for x in f] == ["iova-reuse-before-sync"]'
run "$SMMUTRACE" whatif --policy wake-tbu --board $B $S
expect_rc "wake-tbu: no finding exits 0" 0

# wake-tbu on the GPU TBU example: every gate finding goes away
run "$SMMUTRACE" whatif --policy wake-tbu --board tests/data/board/gpu-tbu.ini tests/data/streams/gpu-tbu-gated.jsonl
expect_rc "wake-tbu on gpu-tbu-gated exits 0" 0
golden_text "wake-tbu on gpu-tbu-gated: table (golden)" $GOLD/gpu-tbu-gated.wake-tbu.txt
run "$SMMUTRACE" whatif --policy wake-tbu --json --board tests/data/board/gpu-tbu.ini tests/data/streams/gpu-tbu-gated.jsonl
golden_json "wake-tbu on gpu-tbu-gated: --json object (golden)" $GOLD/gpu-tbu-gated.wake-tbu.json
# ... and an SMMU that never suspends gives the other policies nothing to do
run "$SMMUTRACE" whatif --policy defer-unmap --board tests/data/board/gpu-tbu.ini tests/data/streams/gpu-tbu-gated.jsonl
expect_out "an SMMU never suspended is said so" "note: no SMMU was suspended in this stream, so defer-unmap had nothing to change"
expect_out "the gates each SMMU was judged by are named" "smmu 3da0000.iommu: suspended 0 times (gates: rpm:3da0000.iommu)"

# the same from a recording: the board (with [smmu] gates =) travels inside it
printf '[smmu 15000000.iommu]\ngates = rpm:15000000.iommu\n' >"$TMP/b.ini"
"$SMMUTRACE" convert --board "$TMP/b.ini" $S -o "$TMP/r.smt" >/dev/null 2>&1
run "$SMMUTRACE" whatif --policy defer-unmap --json "$TMP/r.smt"
json_check "a recording replays under the policy with its own board" \
	'w["under_policy"]["stale-pte"] == 1 and w["changes"]["failed_maps"] == 1'
run "$SMMUTRACE" whatif --policy defer-unmap --json - <$S
json_check "stdin works like a file" 'w["changes"]["deferred_unmaps"] == 1'

# a real recording from the emulated board (tests/vm/80-whatif.sh): the SMMU's
# gate is the test module's runtime-PM device, named in the board it carries
R=tests/data/streams/emulated-smmu-suspended.smtrec
for p in defer-unmap skip-tlbi wake-tbu; do
	run "$SMMUTRACE" whatif --policy $p --json $R
	golden_json "emulated board recording, $p: --json object (golden)" $GOLD/emulated-smmu-suspended.$p.json
done
run "$SMMUTRACE" whatif --policy wake-tbu $R
expect_rc "emulated board recording, wake-tbu: nothing left, exits 0" 0

# bad usage: exit 2, the message lists the policies
run "$SMMUTRACE" whatif --policy defer $S
expect_rc "unknown policy exits 2" 2
expect_err "unknown policy: the message lists the policies" \
	"smmutrace: whatif: --policy: 'defer' is not a policy: use one of defer-unmap, skip-tlbi, wake-tbu"
run "$SMMUTRACE" whatif $S
expect_rc "no --policy exits 2" 2
expect_err "no --policy: says what to give" "whatif: give --policy P, one of defer-unmap, skip-tlbi, wake-tbu"
run "$SMMUTRACE" whatif --policy skip-tlbi
expect_rc "no FILE exits 2" 2
run "$SMMUTRACE" whatif --help
expect_rc "--help exits 0" 0
expect_out "--help names every policy" "wake-tbu      before an unmap or TLBI"
# bad input mid-stream: what came before is judged, then exit 2 with FILE:LINE
head -n 10 $S >"$TMP/bad.jsonl"
echo '{"ev":"map","ts":90000000,"domain":"0xffffff8012340000","iova":"0x200000","size":"big","ret":0}' >>"$TMP/bad.jsonl"
run "$SMMUTRACE" whatif --policy defer-unmap --board $B "$TMP/bad.jsonl"
expect_rc "bad input exits 2" 2
expect_err "bad input names file, line and field" "bad.jsonl:11: size:"
expect_out "bad input: events before it were judged" "stale-pte                         0                  1"
# a failed write to stdout is an error (SPEC §2)
if [ -w /dev/full ]; then
	"$SMMUTRACE" whatif --policy skip-tlbi --board $B $S >/dev/full 2>"$TMP/err"
	RC=$?
	expect_rc "a full stdout exits 3" 3
fi

# SPEC §9: a capture blind to tlbi judges no rule needing it, in either column
run "$SMMUTRACE" whatif --policy skip-tlbi --json tests/data/streams/blind-tlbi.jsonl
expect_rc "blind tlbi: no finding from the blind spot, exit 0" 0
json_check "blind tlbi: neither column counts iova-reuse-before-sync" \
	"w['actual']['iova-reuse-before-sync'] == 0 and w['under_policy']['iova-reuse-before-sync'] == 0 and not f"
expect_err "blind tlbi: the rule is listed as not judged" "whatif: not judged: iova-reuse-before-sync (tlbi not captured on 9050000.smmuv3"

finish
