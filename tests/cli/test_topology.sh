# topology: the model from --dt and --board, exit codes and where errors point.
. "$(dirname "$0")/lib.sh"

BOARD="$DATA/board"
mkdt() {
	python3 "$TOP/scripts/mk-dt.py" "$DATA/dt/$1.json" "$TMP/$1" >"$TMP/mkdt.err" 2>&1 ||
		{ echo "# mk-dt.py $1 failed:"; sed 's/^/#   /' "$TMP/mkdt.err"; }
}
mkdt sdm845
mkdt sc7280-gpu

run "$SMMUTRACE" topology --help
expect_rc "--help exits 0" 0
expect_out "--help shows a board file" "gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, rpm:3d00000.gpu"

run "$SMMUTRACE" topology --dt "$TMP/sdm845"
expect_rc "sdm845 tree exits 0" 0
expect_out "sdm845: apps_smmu by kernel device name" "15000000.iommu  qcom,sdm845-smmu-500"
expect_out "sdm845: eight TBUs" "TBUs: 8"
expect_out "sdm845: last TBU's SID range" "sids:  0x1c00-0x1fff"
expect_out "sdm845: unnamed gcc power domain is listed as unresolved" \
	"cell 0xc: the device tree has no name for it; name it in a board file: gates = pd:NAME"
expect_out "sdm845: says how a board file fixes unresolved gates" \
	"hint: a [tbu NAME] section in a board file (--board) replaces the TBU of that name wholly"

run "$SMMUTRACE" topology --dt "$TMP/sdm845" --board "$BOARD/sdm845.ini" --json
expect_rc "sdm845 + board --json exits 0" 0
if python3 - "$TMP/out" <<'PY'
import json, sys
o = json.loads(open(sys.argv[1]).read())
t = {x["name"]: x for x in o["tbus"]}
assert len(o["smmus"]) == 1 and len(t) == 8, o
p = t["anoc_1_pcie_tbu"]
assert p["gates"] == ["clk:gcc_aggre_noc_pcie_tbu_clk", "pd:hlos1_vote_aggre_noc_mmu_pcie_tbu_gdsc"], p
assert p["unresolved"] == [] and p["origin"].endswith("sdm845.ini:11"), p
assert t["anoc_2_tbu"]["origin"] == "dt /soc@0/tbu@150c9000"
assert t["mnoc_sf_0_tbu"]["sids"] == [{"first": 0x1000, "last": 0x13ff}]
assert o["model"] == "Qualcomm Technologies, Inc. SDM845 MTP"
PY
then ok "board overrides DT TBUs by name (JSON)"; else notok "board overrides DT TBUs by name (JSON)"; fi

run "$SMMUTRACE" topology --dt "$TMP/sc7280-gpu" --board "$BOARD/sc7280-gpu.ini"
expect_rc "sc7280 GPU TBUs with board gates exit 0" 0
expect_out "sc7280: gates come from the board" "gates: clk:gpu_cc_hlos1_vote_gpu_smmu_clk, pd:gpu_cc_cx_gdsc, rpm:3d00000.gpu"

run "$SMMUTRACE" topology --board "$BOARD/two-smmus.ini"
expect_rc "board alone exits 0" 0
expect_out "overlapping SIDs of one SMMU get a note" "note: TBUs gpu_tbu0 and gpu_tbu1 of 5040000.iommu share SIDs"

run "$SMMUTRACE" topology --board "$BOARD/long-line.ini"
expect_rc "a line past 200 bytes is read whole" 0
expect_out "long line: last SID kept" "0x256"

for f in bad-section-kind:4:section bad-sid-range:3:sids bad-no-sids:4:section \
	 bad-gate-kind:4:gates bad-smmu-name:4:smmu bad-key-outside:2:sids; do
	name=${f%%:*}; rest=${f#*:}; line=${rest%%:*}; field=${rest#*:}
	run "$SMMUTRACE" topology --board "$BOARD/$name.ini"
	expect_rc "$name.ini exits 2" 2
	expect_err "$name.ini: message names line $line and field $field" \
		"smmutrace: $BOARD/$name.ini:$line: $field: "
done

run "$SMMUTRACE" topology --board "$TMP/nonexistent.ini"
expect_rc "missing board file exits 2" 2
expect_err "missing board file is named" "$TMP/nonexistent.ini: No such file or directory"

printf '\0\0\0\1\0' >"$TMP/sdm845/soc@0/tbu@150c5000/qcom,stream-id-range"
run "$SMMUTRACE" topology --dt "$TMP/sdm845"
expect_rc "malformed DT property exits 2" 2
expect_err "malformed DT property names its file" \
	"smmutrace: $TMP/sdm845/soc@0/tbu@150c5000/qcom,stream-id-range: 5 bytes"

run "$SMMUTRACE" topology --dt "$TMP/none"
expect_rc "missing DT directory exits 2" 2

run "$SMMUTRACE" topology --frobnicate
expect_rc "unknown option exits 2" 2
run "$SMMUTRACE" topology stray-arg --board "$BOARD/minimal.ini"
expect_rc "stray argument exits 2" 2

if [ -d /proc/device-tree ]; then
	skip "no source and no /proc/device-tree exits 2" "this system has /proc/device-tree, which is then read"
else
	run "$SMMUTRACE" topology
	expect_rc "no source and no /proc/device-tree exits 2" 2
	expect_err "no source: says what to give" "no topology source: give --board FILE and/or --dt DIR"
fi

# --state: each gate's state now, read from this system's sysfs; a device whose
# runtime PM is on here gives a known state, a name that exists nowhere "unknown"
dev=""
for f in /sys/bus/*/devices/*/power/runtime_status; do
	# power/control "on" keeps the device active: its state cannot change under the test
	[ "$(cat "$(dirname "$f")/control" 2>/dev/null)" = on ] || continue
	case "$(cat "$f" 2>/dev/null)" in
	active) dev=$(basename "$(dirname "$(dirname "$f")")"); st=active; break ;;
	esac
done
printf '[tbu t0]\nsids = 0x0-0xf\ngates = rpm:smmutrace-no-such-dev\n' >"$TMP/state.ini"
run "$SMMUTRACE" topology --board "$TMP/state.ini" --state
expect_rc "--state exits 0" 0
expect_out "--state: a gate never found is unknown" "rpm:smmutrace-no-such-dev unknown"
if [ -n "$dev" ]; then
	printf '[tbu t1]\nsids = 0x0-0xf\ngates = rpm:%s\n' "$dev" >"$TMP/state2.ini"
	run "$SMMUTRACE" topology --board "$TMP/state2.ini" --state
	if [ "$st" = suspended ]; then want="rpm:$dev off (suspended)"; else want="rpm:$dev on"; fi
	expect_out "--state reads the runtime-PM status of $dev" "$want"
	# SPEC §4: the SMMU itself is suspended while one of its gates is off
	printf '[smmu s0]\ngates = rpm:%s\n[smmu s1]\n' "$dev" >"$TMP/state3.ini"
	run "$SMMUTRACE" topology --board "$TMP/state3.ini" --state
	expect_out "--state: an SMMU's gates = is read like a TBU's" "smmu s0                  up        $want"
	expect_out "--state: without gates = the SMMU's gate is its own runtime PM" \
		"smmu s1                  unknown   rpm:s1 unknown"
fi

# SPEC §4: [smmu NAME] may carry gates =; without it the gate is rpm:NAME
printf '[smmu 15000000.iommu]\ngates = clk:tcu_clk, pd:tcu_gdsc\n[smmu 16000000.iommu]\n' \
	>"$TMP/smmugates.ini"
run "$SMMUTRACE" topology --board "$TMP/smmugates.ini"
expect_rc "SMMU gates: exits 0" 0
expect_out "SMMU gates: given gates listed" "    gates: clk:tcu_clk, pd:tcu_gdsc"
expect_out "SMMU gates: default named" "    gates: rpm:16000000.iommu (default: its own runtime PM)"
run "$SMMUTRACE" topology --board "$TMP/smmugates.ini" --json
expect_out "SMMU gates: JSON lists them" '"gates":["clk:tcu_clk","pd:tcu_gdsc"],"gates_given":true'
expect_out "SMMU gates: JSON default" '"gates":["rpm:16000000.iommu"],"gates_given":false'
printf '[smmu s]\nsids = 1\n' >"$TMP/smmukey.ini"
run "$SMMUTRACE" topology --board "$TMP/smmukey.ini"
expect_rc "SMMU section: unknown key exits 2" 2
expect_err "SMMU section: unknown key names file, line, field" \
	"smmukey.ini:2: sids: unknown key in [smmu s]: the only key is gates"

finish
