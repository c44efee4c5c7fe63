# replay: findings, summary and exit status through the real CLI.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/clean.jsonl" <<'J'
{"ev":"meta","ts":0,"kernel":"6.12.117+deb12-arm64","strict":true,"since_boot":true}
{"ev":"attach","ts":1,"domain":"0xffff0000c1a2b000","dev":"0000:00:01.0","smmu":"9050000.smmuv3","sids":[8]}
{"ev":"map","ts":100,"domain":"0xffff0000c1a2b000","iova":"0xfffff000","size":4096,"ret":0}
{"ev":"unmap","ts":200,"domain":"0xffff0000c1a2b000","iova":"0xfffff000","size":4096,"ret":4096}
{"ev":"tlbi","ts":210,"domain":"0xffff0000c1a2b000","scope":"va","iova":"0xfffff000","size":4096}
{"ev":"sync","ts":220,"domain":"0xffff0000c1a2b000","scope":"context","dur":1500}
{"ev":"map","ts":300,"domain":18446462601981505536,"iova":4294963200,"size":4096,"ret":0}
J
run "$SMMUTRACE" replay --json "$TMP/clean.jsonl"
expect_rc "clean stream exits 0" 0
expect_json "clean stream: no findings, one summary" 'f == [] and s["events"] == 7 and sum(s["findings"].values()) == 0'
expect_json "integer and 0x addresses name the same domain" 's["domains"] == 1 and s["live_mappings"] == 1'

run "$SMMUTRACE" replay "$TMP/clean.jsonl"
expect_rc "text mode exits 0" 0
expect_out "text summary names the events" "events:        7"

# the 2017 deferred-unmap sequence, with the board that says what gates the GPU TBU
run "$SMMUTRACE" replay --json --board "$DATA/board/sdm845-gpu.ini" "$DATA/streams/deferred-unmap-2017.jsonl"
expect_rc "2017 sequence exits 1" 1
expect_json "2017: stale-pte found" 'c.get("stale-pte") == 1'
expect_json "2017: unmap while the GPU TBU is gated is an error" \
	'[x["severity"] for x in f if x["rule"] == "unmap-while-gated"] == ["error"] and f[0]["tbus"] == ["gpu_tbu0"]'
expect_json "2017: evidence carries ts, pid and comm" \
	'any(e.get("comm") == "kgsl_worker" and e["pid"] == 812 and e["ts"] == 30000 for x in f if x["rule"] == "stale-pte" for e in x["evidence"])'
expect_json "2017: addresses written as 0x strings" 'all(x["domain"] == "0xffff800012340000" for x in f)'

run "$SMMUTRACE" replay --fail-on never --board "$DATA/board/sdm845-gpu.ini" "$DATA/streams/deferred-unmap-2017.jsonl"
expect_rc "--fail-on never exits 0 with errors" 0
expect_out "text finding line names the rule" "stale-pte"
# SPEC §6: one line per finding, then the summary
if [ "$(sed -n '/^summary$/q;/^$/d;p' "$TMP/out" | wc -l)" = 2 ] &&
   [ "$(grep -c ' error ' "$TMP/out")" = 2 ]; then
	ok "text output: one line per finding before the summary"
else
	notok "text output: one line per finding before the summary"
fi
expect_out "text finding line carries its evidence" "| evidence: unmap@0.000030000 iova=0x100000 pid=812 comm=kgsl_worker"

# warnings only: exit depends on --fail-on
cat >"$TMP/warn.jsonl" <<'J'
{"ev":"sync","ts":5,"smmu":"9050000.smmuv3","scope":"global","dur":5000000}
J
run "$SMMUTRACE" replay "$TMP/warn.jsonl"
expect_rc "a warning alone exits 0 by default" 0
run "$SMMUTRACE" replay --fail-on warning "$TMP/warn.jsonl"
expect_rc "--fail-on warning exits 1 on sync-slow" 1
run "$SMMUTRACE" replay --sync-slow 10ms --fail-on warning "$TMP/warn.jsonl"
expect_rc "--sync-slow raises the threshold" 0

# stdin
run sh -c "cat '$TMP/clean.jsonl' | '$SMMUTRACE' replay --json -"
expect_rc "stdin replay exits 0" 0
expect_json "stdin replay sees every event" 's["events"] == 7'

# bad input: exit 2, the message names file:line and the field; the events before are analysed
cat >"$TMP/bad.jsonl" <<'J'
{"ev":"map","ts":100,"domain":"0x1000","iova":"0x2000","size":4096,"ret":0}
{"ev":"map","ts":200,"domain":"0x1000","iova":"0x2000","size":4096,"ret":0}
{"ev":"unmap","ts":300,"domain":"0x1000","iova":"0xZZ","size":4096,"ret":4096}
J
run "$SMMUTRACE" replay --json "$TMP/bad.jsonl"
expect_rc "malformed address exits 2" 2
expect_err "message names file, line and field" "bad.jsonl:3: iova:"
expect_json "findings before the bad line are reported" 'c.get("map-over-live") == 1 and s["events"] == 2'

printf '{"ev":"map","ts":100,"domain":"0x1","iova":"0x2","ret":0}\n' >"$TMP/missing.jsonl"
run "$SMMUTRACE" replay "$TMP/missing.jsonl"
expect_rc "missing size exits 2" 2
expect_err "missing field named" "missing.jsonl:1: size:"

printf '{"ev":"teleport","ts":1}\n' >"$TMP/unknown.jsonl"
run "$SMMUTRACE" replay "$TMP/unknown.jsonl"
expect_rc "unknown ev exits 2" 2
expect_err "unknown ev named" "unknown.jsonl:1: ev:"

printf '{"ev":"clk","ts":10,"clk":"a","on":true}\n{"ev":"clk","ts":9,"clk":"a","on":false}\n' >"$TMP/order.jsonl"
run "$SMMUTRACE" replay "$TMP/order.jsonl"
expect_rc "out-of-order ts exits 2" 2
expect_err "out-of-order ts named" "order.jsonl:2: ts:"

run "$SMMUTRACE" replay "$TMP/does-not-exist.jsonl"
expect_rc "missing file exits 2" 2
expect_err "missing file named" "does-not-exist.jsonl"

run "$SMMUTRACE" replay --fail-on sometimes "$TMP/clean.jsonl"
expect_rc "bad --fail-on exits 2" 2
expect_err "bad --fail-on explained" "--fail-on"

printf '[tbu x]\nsids = 0x0-0xfffff\n' >"$TMP/bad.ini"
run "$SMMUTRACE" replay --board "$TMP/bad.ini" "$TMP/clean.jsonl"
expect_rc "bad board exits 2" 2
expect_err "bad board names file:line" "bad.ini:2:"

# issue 9: page tables and TLBs are separate; each unmap owes its own invalidation
run "$SMMUTRACE" replay --json "$DATA/streams/remap-before-sync.jsonl"
expect_rc "remap before sync: exit 1 (errors)" 1
expect_json "remap before sync: each reuse, the map over live, the fault after the remap" \
	'sorted((x["rule"], x["ts"]) for x in f if x["rule"] != "unmap-unmapped") == [("fault-after-unmap", 4000), ("iova-reuse-before-sync", 2000), ("iova-reuse-before-sync", 3000), ("map-over-live", 3000), ("unmap-no-invalidate", 1000)]'
expect_json "second unmap keeps the first one's deadline, not its own" \
	'[(x["ts"], x["iova"], x["size"]) for x in f if x["rule"] == "unmap-no-invalidate"] == [(1000, "0x1000", 4096)]'
run "$SMMUTRACE" replay --json "$DATA/streams/reuse-after-partial-tlbi.jsonl"
expect_json "reuse of the half no TLBI covered" \
	'[(x["rule"], x["ts"], x["iova"], x["size"]) for x in f] == [("iova-reuse-before-sync", 4000, "0x2000", 4096)]'

run "$SMMUTRACE" replay --help
expect_rc "--help exits 0" 0
expect_out "--help shows an example" "Examples:"

# no TBU known: the summary says the gate rules cannot fire (issue 11 item 7)
run "$SMMUTRACE" replay "$DATA/streams/gpu-tbu-gated.jsonl"
expect_rc "no board: no finding, exit 0" 0
expect_out "no board: the summary says no TBU is known" "TBUs:          none known (no --board, none in the device tree or the recording): the gate rules cannot fire and 11 clk/rpm/pd events were not judged; give --board FILE"
run "$SMMUTRACE" replay --json "$DATA/streams/gpu-tbu-gated.jsonl"
expect_json "no board: the JSON summary has tbus 0" "s['tbus'] == 0"
run "$SMMUTRACE" replay --board "$DATA/board/gpu-tbu.ini" "$DATA/streams/gpu-tbu-gated.jsonl"
if grep -q "TBUs:" "$TMP/out"; then notok "with a board: no TBU line"; else ok "with a board: no TBU line"; fi

finish
