# Coverage (SPEC §9): no finding from a blind spot. The 7.2 case: v2's TLBI
# hooks resolve, v3's do not, and v3 is the SMMU translating: probe exits 1
# naming the blind spot, record refuses (exit 3), record --force writes the
# blind spots, and replay reports none of the rules they blind ("not judged").
. "$(dirname "$0")/lib.sh"

STREAM="$DATA/streams/blind-tlbi.jsonl"
K72="$DATA/kallsyms/7.2-arm64-v2v3-no-v3-tlbi.txt"
REASON='no hook for arm-smmu-v3 tlbi on this kernel (tlbi-range@v3: missing; tlbi-context@v3: missing; cmdq@v3: missing)'

# --- replay: a stream whose meta says tlbi was blind -------------------------
run "$SMMUTRACE" replay "$STREAM"
expect_rc "replay of a tlbi-blind stream exits 0 (nothing judged wrong)" 0
expect_out "replay lists iova-reuse-before-sync as not judged, with the reason" \
	"  not judged:    iova-reuse-before-sync (tlbi not captured on 9050000.smmuv3: $REASON)"
expect_out "replay lists unmap-no-invalidate as not judged" \
	"  not judged:    unmap-no-invalidate (tlbi not captured on 9050000.smmuv3: $REASON)"
if grep -q 'error   iova-reuse-before-sync' "$TMP/out"; then notok "replay reports no iova-reuse-before-sync"; else ok "replay reports no iova-reuse-before-sync"; fi

run "$SMMUTRACE" replay --json "$STREAM"
expect_rc "replay --json of a tlbi-blind stream exits 0" 0
expect_json "replay --json: 0 iova-reuse-before-sync, not_judged names the rule and why" \
	"c.get('iova-reuse-before-sync', 0) == 0 and s['findings']['iova-reuse-before-sync'] == 0 and s['not_judged']['iova-reuse-before-sync'] == 'tlbi not captured on 9050000.smmuv3: $REASON' and sorted(s['not_judged']) == ['iova-reuse-before-sync', 'tbu-stale-exposure', 'tlbi-while-gated', 'unmap-no-invalidate']"

# the same events without the blind key: the false alarm the key prevents
grep -v '"blind"' "$STREAM" > "$TMP/noblind.jsonl"
run "$SMMUTRACE" replay --json "$TMP/noblind.jsonl"
expect_rc "without the blind key the same events are a finding (exit 1)" 1
expect_json "without the blind key: 1 iova-reuse-before-sync, nothing not judged" \
	"c.get('iova-reuse-before-sync') == 1 and s['not_judged'] == {}"

# through a recording and back: the blind spots travel with the meta event
run "$SMMUTRACE" convert "$STREAM" -o "$TMP/blind.smt"
expect_rc "convert a tlbi-blind stream to a recording" 0
run "$SMMUTRACE" replay --json "$TMP/blind.smt"
expect_json "replay of its recording: still not judged" \
	"c == {} and 'iova-reuse-before-sync' in s['not_judged']"

# report and monitor --input take the same key
run "$SMMUTRACE" report --format json "$STREAM"
expect_rc "report of a tlbi-blind stream exits 0" 0
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert not [f for f in d["findings"] if f["rule"] == "iova-reuse-before-sync"], d["findings"]
assert not d["findings_by_rule"].get("iova-reuse-before-sync"), d["findings_by_rule"]
PY
then ok "report: no iova-reuse-before-sync finding"; else notok "report: no iova-reuse-before-sync finding"; fi
expect_err "report says which rules were not judged" \
	"smmutrace: report: not judged: iova-reuse-before-sync (tlbi not captured on 9050000.smmuv3: $REASON)"
run "$SMMUTRACE" monitor --no-listen --input "$STREAM"
expect_rc "monitor --input of a tlbi-blind stream: period ok, exit 0" 0
expect_out "monitor prints the rules not judged as KTAP diagnostics" \
	"# not judged: iova-reuse-before-sync (tlbi not captured on 9050000.smmuv3: $REASON)"
expect_out "monitor: the period passes" "ok 1 period-1"

# a malformed blind key is bad input, never silently ignored
printf '%s\n' '{"ev":"meta","ts":0,"blind":[{"event":"tlb","smmu":"9050000.smmuv3"}]}' > "$TMP/badblind.jsonl"
run "$SMMUTRACE" replay "$TMP/badblind.jsonl"
expect_rc "replay: malformed blind key exits 2" 2
expect_err "replay: malformed blind key names file, line and field" \
	"smmutrace: $TMP/badblind.jsonl:1: blind: element 0: event: \"tlb\" is not one of map, unmap, tlbi, sync, flush_all, smmu_reset, attach, fault, rpm, clk, pd"

# probe reads the board before BPF: a bad board is bad input (exit 2), no root needed
run "$SMMUTRACE" probe --board "$DATA/board/bad-gate-kind.ini"
expect_rc "probe: a bad board file exits 2" 2
expect_err "probe: a bad board file is named with its line" \
	"smmutrace: $DATA/board/bad-gate-kind.ini:4: gates: unknown gate kind 'regulator:': use clk:NAME (clock), pd:NAME (power domain) or rpm:DEV (runtime PM of a device)"

# --- live side: probe and record need root and BPF ---------------------------
if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	skip "probe/record coverage" "needs root and kernel BTF"
	finish; exit
fi

# a sysfs where arm-smmu-v3 drives 9050000.smmuv3 and arm-smmu (v2) drives nothing
SYS="$TMP/sys"
mkdir -p "$SYS/bus/platform/drivers/arm-smmu-v3" "$SYS/bus/platform/drivers/arm-smmu"
ln -s ../../../../devices/platform/9050000.smmuv3 "$SYS/bus/platform/drivers/arm-smmu-v3/9050000.smmuv3"
: > "$SYS/bus/platform/drivers/arm-smmu-v3/bind"
ln -s ../../../../module/arm_smmu "$SYS/bus/platform/drivers/arm-smmu/module"

run "$SMMUTRACE" probe --load-only --kallsyms "$K72" --sysfs "$SYS"
expect_rc "probe: v3 translating without v3 TLBI hooks exits 1" 1
cp "$TMP/out" "$TMP/probe.txt"
R="no hook for arm-smmu-v3 tlbi on this kernel (cmdq@v3: missing)"
expect_out "probe names the v3 tlbi blind spot and the rules it blinds" \
	"blind: 9050000.smmuv3 (arm-smmu-v3) cannot see tlbi: $R; not judged: iova-reuse-before-sync, unmap-no-invalidate"
expect_out "probe's table shows v3 tlbi as NO" \
	"9050000.smmuv3       arm-smmu-v3  tlbi        NO       $R"
expect_out "probe says what to do" "live and record refuse to trace (exit 3) unless --force"
if grep -q '^tlbi-range@v2  *arm_smmu_tlb_inv_range_s1 .* resolved' "$TMP/probe.txt"; then
	ok "probe: the v2 TLBI hook resolved (the 7.2 case, not an empty kernel)"
else notok "probe: the v2 TLBI hook resolved (the 7.2 case, not an empty kernel)"; fi

run "$SMMUTRACE" probe --load-only --json --kallsyms "$K72" --sysfs "$SYS"
expect_rc "probe --json: exit 1 too" 1
if python3 - "$TMP/out" "$R" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["coverage"]
s = c["smmus"][0]
assert s["smmu"] == "9050000.smmuv3" and s["driver"] == "arm-smmu-v3", s
assert s["events"]["tlbi"] == {"captured": False, "needed": True, "how": sys.argv[2]}, s["events"]["tlbi"]
assert s["events"]["map"]["captured"] is True, s["events"]["map"]
assert {"event": "tlbi", "smmu": "9050000.smmuv3", "reason": sys.argv[2]} in c["blind"], c["blind"]
assert c["not_judged"]["iova-reuse-before-sync"].startswith(("tlbi not captured", "sync not captured")), c
PY
then ok "probe --json: per-SMMU coverage, blind spots and not_judged"; else notok "probe --json: per-SMMU coverage, blind spots and not_judged"; fi

mkdir -p "$TMP/nosmmu/bus/platform/drivers/arm-smmu-v3"
run "$SMMUTRACE" probe --load-only --kallsyms "$K72" --sysfs "$TMP/nosmmu"
expect_rc "probe: no translating SMMU exits 0" 0
expect_out "probe: no translating SMMU is said plainly" \
	"coverage: no translating SMMU (no device bound to arm-smmu-v3 or arm-smmu under $TMP/nosmmu/bus/platform/drivers): no SMMU events can occur here, so no rule has a blind spot"

run "$SMMUTRACE" probe --load-only --kallsyms "$K72" --sysfs "$TMP/nonexistent"
expect_rc "probe: a --sysfs that is not a sysfs is an environment error" 3
expect_err "probe: a --sysfs that is not a sysfs says so" \
	"smmutrace: $TMP/nonexistent/bus/platform/drivers: No such file or directory (cannot tell which SMMUs translate)"

# record: the same blind spot when hooks are attached (missing symbols stay missing)
run "$SMMUTRACE" record -o "$TMP/cap.smt" --duration 1s --kallsyms "$K72" --sysfs "$SYS"
expect_rc "record refuses a blind spot with exit 3" 3
expect_err "record names the tlbi blind spot" \
	"smmutrace: record: blind: 9050000.smmuv3 (arm-smmu-v3) cannot see tlbi: $R; not judged: iova-reuse-before-sync, unmap-no-invalidate"
expect_err "record says what to do" \
	"blind spots: those rules would report false alarms or nothing (see 'smmutrace probe'); --force traces anyway and records the blind spots, and their rules are then not judged"
if [ -e "$TMP/cap.smt" ]; then notok "record writes no file when it refuses"; else ok "record writes no file when it refuses"; fi

run "$SMMUTRACE" record -o "$TMP/cap.smt" --duration 1s --force --kallsyms "$K72" --sysfs "$SYS"
expect_rc "record --force traces anyway" 0
expect_err "record --force warns about the rules it will not judge" \
	"smmutrace: record: --force: tracing with"
"$SMMUTRACE" dump --header "$TMP/cap.smt" > "$TMP/header.json"
run "$SMMUTRACE" dump "$TMP/cap.smt"
if python3 - "$TMP/out" "$R" "$TMP/header.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want = {"event": "tlbi", "smmu": "9050000.smmuv3", "reason": sys.argv[2]}
header = json.load(open(sys.argv[3]))
assert want in header["blind"], header.get("blind")
meta = [l for l in lines if l.get("ev") == "meta"]
assert meta and want in meta[0]["blind"], meta
PY
then ok "record --force: the blind spot is in the header and the meta event"; else notok "record --force: the blind spot is in the header and the meta event"; fi
run "$SMMUTRACE" replay --json "$TMP/cap.smt"
expect_json "replay of the forced recording: iova-reuse-before-sync not judged" \
	"c.get('iova-reuse-before-sync', 0) == 0 and 'iova-reuse-before-sync' in s['not_judged']"

run "$SMMUTRACE" live --duration 1s --kallsyms "$K72" --sysfs "$SYS"
expect_rc "live refuses a blind spot with exit 3" 3
expect_err "live names the tlbi blind spot" \
	"smmutrace: live: blind: 9050000.smmuv3 (arm-smmu-v3) cannot see tlbi: $R; not judged: iova-reuse-before-sync, unmap-no-invalidate"
run "$SMMUTRACE" live --duration 1s --force --json --kallsyms "$K72" --sysfs "$SYS"
expect_rc "live --force traces anyway" 0
expect_json "live --force: the summary lists the rules not judged" \
	"s['not_judged']['iova-reuse-before-sync'].endswith('$R') or s['not_judged']['iova-reuse-before-sync'].startswith('sync not captured')"
finish
