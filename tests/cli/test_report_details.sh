# Report and banner details that misled readers (issue 11 item 11).
. "$(dirname "$0")/lib.sh"

S="$DATA/streams/gpu-tbu-gated.jsonl"
B="$DATA/board/gpu-tbu.ini"

# markdown: evidence items start at column 0, or CommonMark renders them as code
run "$SMMUTRACE" report "$S" --board "$B" --format markdown
if grep -q '^- `+0.120000s unmap' "$TMP/out" && ! grep -q '^    - `' "$TMP/out"; then
	ok "markdown evidence is an unindented list"
else
	notok "markdown evidence is an unindented list"
fi
expect_out "markdown Domains header says the last columns count lifetimes" "| lifetimes with an error | lifetimes with a warning |"

run "$SMMUTRACE" report "$S" --board "$B"
expect_out "text Domains header: lt-err, lt-warn" "lifetimes lt-err lt-warn"
expect_out "text stale ranges: counts the ranges listed, and the TLBIs" "stale ranges (1, from 2 TLBIs): 0xffffff80a1c2e000:0x100000+0x14000"

run "$SMMUTRACE" report "$S" --board "$B" --format json
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["rule"] == "tbu-stale-exposure"][0]
assert f["ranges_total"] == len(f["ranges"]) == 1, f
assert f["tlbis_while_gated"] == 2 and f["ranges_truncated"] is False, f
PY
then ok "json: ranges_total is the number of ranges listed; TLBIs counted apart"
else notok "json: ranges_total is the number of ranges listed; TLBIs counted apart"; fi

# a finding without domain: "rule: message", no padding before the colon
echo '{"ev":"sync","ts":1,"scope":"global","dur":5,"timeout":true}' >"$TMP/st.jsonl"
run "$SMMUTRACE" replay "$TMP/st.jsonl"
expect_out "a finding without domain: rule then colon" "error   sync-timeout: TLB sync timed out"

# the monitor banner says the period as given
run "$SMMUTRACE" monitor --input "$S" --board "$B" --no-listen
expect_out "monitor banner: period 60s, not 60000ms" "period 60s (event time)"

finish
