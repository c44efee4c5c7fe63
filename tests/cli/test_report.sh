# report: formats, windows, exit status and bad usage through the real CLI.
. "$(dirname "$0")/lib.sh"

S="$DATA/streams/gpu-tbu-gated.jsonl"
B="$DATA/board/gpu-tbu.ini"

run "$SMMUTRACE" report --help
expect_rc "report --help exits 0" 0
expect_out "report --help teaches the window options" "--around-finding N"

run "$SMMUTRACE" report "$S" --board "$B"
expect_rc "gpu example: error findings exit 1" 1
expect_out "gpu example: text verdict" "Verdict: FAIL: 5 errors, 2 warnings"
expect_out "gpu example: stale exposure listed with its ranges" "stale ranges (1, from 2 TLBIs): 0xffffff80a1c2e000:0x100000+0x14000"
expect_out "gpu example: the TBU's gated interval" "gated   +0.080040s .. +0.200080s (120ms)"
expect_out "gpu example: device tree compatible from the meta event" "qcom,qcs6490-rb3gen2, qcom,qcm6490"

run "$SMMUTRACE" report "$S" --board "$B" --fail-on never --format markdown
expect_rc "--fail-on never exits 0" 0
expect_out "markdown has a heading per section" "## IOVA lifetimes touched by findings"

run "$SMMUTRACE" report "$S" --board "$B" --format json
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "report" and d["worst"] == "error", d["worst"]
assert [f["number"] for f in d["findings"]] == list(range(1, 8))
assert d["findings_by_rule"] == {"unmap-while-gated": 2, "tlbi-while-gated": 2,
                                 "sync-while-gated": 2, "tbu-stale-exposure": 1}
lt = [l for l in d["lifetimes"] if l["iova"] == "0x100000"]
assert len(lt) == 2 and all(l["hazard"] == "error" for l in lt), lt
tbu = [l for l in d["lanes"] if l["kind"] == "tbu"][0]
assert [i["state"] for i in tbu["intervals"]] == ["unknown", "gated"], tbu
assert d["capture"]["dma_mode"] == "strict" and d["histograms"]["sync_latency"]["count"] == 4
PY
then ok "json: findings, hazardous lifetimes, gate intervals, histograms"; else notok "json: findings, hazardous lifetimes, gate intervals, histograms"; fi

run "$SMMUTRACE" report "$S" --board "$B" --around-finding 7 --window 10ms --format json
expect_rc "window around finding 7 holds an error: exit 1" 1
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
w = d["window"]
assert w["windowed"] and w["from"] == 5195080000 and w["to"] == 5205080000, w
assert [f["number"] for f in d["findings"]] == [7], d["findings"]
assert w["findings_outside"] == 6
PY
then ok "--around-finding keeps the capture's finding number and centres the window"; else notok "--around-finding keeps the capture's finding number and centres the window"; fi

run "$SMMUTRACE" report "$S" --board "$B" --from +200ms --to +216ms --fail-on warning
expect_rc "--from/--to relative to the first event" 1
expect_out "relative window is shown" "+0.200000s to +0.216000s (--from/--to)"

run "$SMMUTRACE" report "$S" --board "$B" --from 5000000000 --to 5100000000
expect_rc "a window without findings exits 0" 0
expect_out "a window without findings passes" "Verdict: PASS"

run "$SMMUTRACE" report "$S" --board "$B" --html "$TMP/r.html" --kcidb "$TMP/r.kcidb" --perfetto "$TMP/r.trace" --fail-on never
expect_rc "file outputs exit 0 with --fail-on never" 0
expect_out "each written file is named" "r.kcidb: KCIDB report written"
if [ -s "$TMP/r.html" ] && [ -s "$TMP/r.kcidb" ] && [ -s "$TMP/r.trace" ] && ! ls "$TMP"/*.tmp* >/dev/null 2>&1; then
	ok "HTML, KCIDB and Perfetto files written, no temporary left"
else
	notok "HTML, KCIDB and Perfetto files written, no temporary left"
fi

# bad usage and bad input: exit 2 with a message that says what to do
run "$SMMUTRACE" report
expect_rc "no input file: exit 2" 2
expect_err "no input file: says what to give" "give the recording or JSONL file"
run "$SMMUTRACE" report "$S" --format html
expect_rc "--format html: exit 2" 2
expect_err "--format html: points to --html" "have their own options"
run "$SMMUTRACE" report "$S" --board "$B" --around-finding 9
expect_rc "--around-finding past the last finding: exit 2" 2
expect_err "--around-finding past the last: says how many" "has only 7 findings"
run "$SMMUTRACE" report "$S" --around-finding 1 --from 1s
expect_rc "--around-finding with --from: exit 2" 2
run "$SMMUTRACE" report "$S" --window 5ms
expect_rc "--window alone: exit 2" 2
run "$SMMUTRACE" report "$S" --from 6s --to 5s
expect_rc "--from after --to: exit 2" 2
run "$SMMUTRACE" report "$S" --to 5x
expect_rc "--to with a bad unit: exit 2" 2
expect_err "--to with a bad unit: shows the forms" "+120ms"
run sh -c "'$SMMUTRACE' report - --around-finding 1 < '$S'"
expect_rc "--around-finding on stdin: exit 2" 2
expect_err "--around-finding on stdin: says to save to a file" "save the stream to a file first"
printf '{"ev":"meta","ts":1}\n{"ev":"map","ts":2,"domain":"0x1","iova":"0x1000","size":4096,"ret":0}\n{"ev":"nope","ts":3}\n' >"$TMP/bad.jsonl"
run "$SMMUTRACE" report "$TMP/bad.jsonl"
expect_rc "malformed stream: exit 2" 2
expect_err "malformed stream: names the file and line" "bad.jsonl:3:"
# issue 9 C: the report's lifetimes are the engine's, one per part of a partly invalidated unmap
run "$SMMUTRACE" report --format json "$DATA/streams/reuse-after-partial-tlbi.jsonl"
if python3 - "$TMP/out" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
lt = sorted((l["iova"], l["size"], l["map_ts"], l["unmap_ts"], l["invalidated_ts"], l["synced_ts"])
            for l in o["lifetimes"])
sys.exit(0 if lt == [("0x1000", 4096, 0, 1000, 2000, 3000), ("0x2000", 4096, 0, 1000, None, None),
                     ("0x2000", 4096, 4000, None, None, None)] else 1)
PY
then ok "report json: partly invalidated unmap is two lifetimes, the uncovered half never synced"
else notok "report json: partly invalidated unmap is two lifetimes, the uncovered half never synced"; fi

run "$SMMUTRACE" report "$S" --html "$TMP/no/such/dir/r.html"
expect_rc "unwritable output: exit 3" 3
expect_err "unwritable output: says what to check" "check that the directory exists"

# --policy P: the same capture judged under a what-if policy, after the recorded one
WS="$DATA/streams/smmu-suspended-reuse.jsonl"
WB="$DATA/board/smmu-rpm.ini"
run "$SMMUTRACE" report "$WS" --board "$WB" --policy defer-unmap
expect_rc "--policy: exit status of the findings under the policy" 1
expect_out "--policy text: recorded verdict first" "Verdict: PASS: no hazard found in 15 events"
expect_out "--policy text: then the report under the policy" "==== under policy defer-unmap (smmutrace whatif)"
expect_out "--policy text: its stale-pte finding" "#1 error stale-pte at +0.061000s"
run "$SMMUTRACE" report "$WS" --board "$WB" --policy skip-tlbi --format markdown
expect_out "--policy markdown: a section for the policy" "# Under policy skip-tlbi (smmutrace whatif)"
run "$SMMUTRACE" report "$WS" --board "$WB" --policy skip-tlbi --format json
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["policy"] == "skip-tlbi" and set(d) == {"policy", "actual", "under_policy"}
assert json.dumps(d["actual"]).count("iova-reuse-before-sync") < json.dumps(d["under_policy"]).count("iova-reuse-before-sync")
' "$TMP/out"; then ok "--policy json: {policy, actual, under_policy}"; else notok "--policy json: {policy, actual, under_policy}"; fi
run "$SMMUTRACE" report "$WS" --board "$WB" --policy wake-tbu --html "$TMP/wi.html"
expect_rc "--policy wake-tbu: no finding under it exits 0" 0
expect_out "--policy --html: both verdicts on stdout" "under policy wake-tbu: PASS"
if grep -q 'id="policy-timeline-svg"' "$TMP/wi.html" && grep -q 'id="timeline-svg"' "$TMP/wi.html"; then
	ok "--policy --html: two timelines on the page"; else notok "--policy --html: two timelines on the page"; fi
run "$SMMUTRACE" report "$WS" --policy defer
expect_rc "--policy: unknown name exits 2" 2
expect_err "--policy: unknown name lists the policies" "--policy: 'defer' is not a policy: use one of defer-unmap, skip-tlbi, wake-tbu"
run "$SMMUTRACE" report "$WS" --policy wake-tbu --perfetto "$TMP/p.json"
expect_rc "--policy with --perfetto exits 2" 2
expect_err "--policy with --perfetto says why" "KCIDB and Perfetto outputs describe the recorded capture only"

# Names come from the input: a comm or device holding ESC or a newline is
# written as \xNN in text, so a line stays one line and cannot drive the terminal.
printf '%s\n' \
 '{"ev":"meta","ts":0,"kernel":"6.6.0","strict":true,"arch":"arm64","since_boot":true}' \
 '{"ev":"attach","ts":100,"domain":"0x1000","dev":"gpu\u001b[2J","smmu":"s0","sids":[1]}' \
 '{"ev":"map","ts":200,"domain":"0x1000","iova":"0x100000","size":4096,"ret":0,"pid":7,"comm":"ev\u001b[31mil\nx"}' \
 '{"ev":"unmap","ts":300,"domain":"0x1000","iova":"0x100000","size":4096,"ret":4096,"pid":7,"comm":"ev\u001b[31mil\nx"}' \
 '{"ev":"map","ts":400,"domain":"0x1000","iova":"0x100000","size":4096,"ret":0,"pid":7,"comm":"ev\u001b[31mil\nx"}' \
 >"$TMP/ctl.jsonl"
for cmd in report replay; do
	run "$SMMUTRACE" $cmd "$TMP/ctl.jsonl" --fail-on never
	expect_rc "$cmd: control characters in names: exit 0" 0
	expect_out "$cmd: ESC in a comm written as \\x1b" 'ev\x1b[31mil\x0ax'
	if grep -q "$(printf '\033')" "$TMP/out"; then notok "$cmd: no raw ESC in text output"; else ok "$cmd: no raw ESC in text output"; fi
done
run "$SMMUTRACE" report "$TMP/ctl.jsonl" --fail-on never
expect_out "report: ESC in a device name written as \\x1b" 'gpu\x1b[2J'

finish
