# recordings through the CLI: convert both ways, dump, truncated and corrupt files.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/small.jsonl" <<'J'
{"ev":"meta","ts":0,"kernel":"6.12.117+deb12-arm64","strict":true,"arch":"arm64","since_boot":true,"board_name":"qemu-virt","hooks":{"unmap":"fentry"}}
{"ev":"attach","ts":1,"domain":"0xffff0000c1a2b000","dev":"3d00000.gpu","smmu":"15000000.iommu","sids":[0,1,1024]}
{"ev":"map","ts":100,"cpu":2,"pid":812,"comm":"kgsl_worker","domain":"0xffff0000c1a2b000","iova":"0xfffff000","size":4096,"paddr":"0x880000000","ret":0}
{"ev":"rpm","ts":150,"dev":"3d00000.gpu","state":"suspended"}
{"ev":"unmap","ts":200,"domain":"0xffff0000c1a2b000","iova":"0xfffff000","size":4096,"ret":4096}
{"ev":"tlbi","ts":210,"domain":"0xffff0000c1a2b000","scope":"va","iova":"0xfffff000","size":4096}
{"ev":"rpm","ts":215,"dev":"3d00000.gpu","state":"active"}
{"ev":"sync","ts":220,"smmu":"15000000.iommu","scope":"global","dur":1500,"timeout":false}
{"ev":"clk","ts":230,"clk":"gpu_cc_ahb_clk","on":false}
{"ev":"pd","ts":231,"pd":"gpu_cx_gdsc","on":true}
{"ev":"fault","ts":240,"smmu":"15000000.iommu","iova":"0xfffff000","flags":1}
{"ev":"flush_all","ts":250,"domain":"0xffff0000c1a2b000"}
{"ev":"smmu_reset","ts":260,"smmu":"15000000.iommu"}
{"ev":"detach","ts":270,"domain":"0xffff0000c1a2b000","dev":"3d00000.gpu"}
{"ev":"domain_free","ts":280,"domain":18446462601981505536}
{"ev":"lost","ts":290,"count":18446744073709551615}
J
cat >"$TMP/board.ini" <<'B'
[tbu gpu_tbu0]
smmu = 15000000.iommu
sids = 0x0-0x3ff
gates = rpm:3d00000.gpu
B

run "$SMMUTRACE" convert "$TMP/small.jsonl" -o "$TMP/small.smt" --board "$TMP/board.ini" --meta ticket=LAB-42
expect_rc "convert JSONL to a recording exits 0" 0
if [ "$(head -c 7 "$TMP/small.smt")" = "SMMUTRC" ]; then ok "convert writes a recording"; else notok "convert writes a recording"; fi

run "$SMMUTRACE" dump "$TMP/small.jsonl"; cp "$TMP/out" "$TMP/small.norm"
run "$SMMUTRACE" dump "$TMP/small.smt"; cp "$TMP/out" "$TMP/small.dump"
expect_rc "dump of a recording exits 0" 0
if cmp -s "$TMP/small.norm" "$TMP/small.dump" && [ "$(wc -l <"$TMP/small.dump")" = 16 ]; then
	ok "dump of the recording equals the normalized JSONL"
else
	diff "$TMP/small.norm" "$TMP/small.dump" | head -5 | sed 's/^/#   /'; notok "dump of the recording equals the normalized JSONL"
fi
expect_out "dump keeps free-form meta fields" '"hooks":{"unmap":"fentry"}'
expect_out "dump keeps 64-bit values" '"count":18446744073709551615'

run "$SMMUTRACE" convert "$TMP/small.smt" -o "$TMP/back.jsonl"
expect_rc "convert recording to JSONL exits 0" 0
if cmp -s "$TMP/back.jsonl" "$TMP/small.dump"; then ok "convert rec->JSONL equals dump"; else notok "convert rec->JSONL equals dump"; fi
run "$SMMUTRACE" convert "$TMP/back.jsonl" -o "$TMP/again.smt"
run "$SMMUTRACE" dump "$TMP/again.smt"
if cmp -s "$TMP/out" "$TMP/small.dump"; then ok "JSONL->rec->JSONL->rec->JSONL is stable"; else notok "JSONL->rec->JSONL->rec->JSONL is stable"; fi

run sh -c "cat '$TMP/small.smt' | '$SMMUTRACE' dump -"
if [ "$RC" = 0 ] && cmp -s "$TMP/out" "$TMP/small.dump"; then ok "dump reads a recording from stdin"; else notok "dump reads a recording from stdin"; fi

run "$SMMUTRACE" dump --header "$TMP/small.smt"
expect_json_obj() {
	if python3 -c "import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$TMP/out"; then
		ok "$1"; else notok "$1"; fi
}
expect_json_obj "header carries the board file, source and --meta" \
	'm["board"] == open("'"$TMP/board.ini"'").read() and m["source"] == "convert" and m["ticket"] == "LAB-42"'

# replay of the recording uses the board it carries: same findings as JSONL + --board
run "$SMMUTRACE" replay --json --fail-on never --board "$TMP/board.ini" "$TMP/small.jsonl"; cp "$TMP/out" "$TMP/replay.jsonl"
run "$SMMUTRACE" replay --json --fail-on never "$TMP/small.smt"
if cmp -s "$TMP/out" "$TMP/replay.jsonl" && grep -q '"tbus":\["gpu_tbu0"\]' "$TMP/out"; then
	ok "replay of the recording equals replay of JSONL with --board"
else
	notok "replay of the recording equals replay of JSONL with --board"
fi

run "$SMMUTRACE" convert "$TMP/small.smt" -o "$TMP/x.jsonl" --meta a=b
expect_rc "--meta on a recording input is a usage error" 2
run "$SMMUTRACE" convert "$TMP/small.jsonl" -o "$TMP/x.smt" --meta novalue
expect_rc "--meta without = is a usage error" 2
run "$SMMUTRACE" convert "$TMP/small.jsonl" -o "$TMP/small.jsonl"
expect_rc "convert refuses to overwrite its input" 2
printf '[tbu t]\nsids = zz\n' >"$TMP/bad.ini"
run "$SMMUTRACE" convert "$TMP/small.jsonl" -o "$TMP/x.smt" --board "$TMP/bad.ini"
expect_rc "a bad board file is refused at convert time" 2
expect_err "the board error names file and line" "bad.ini:2:"

# a bad line in the middle: exit 2, and the recording holds every event before it
{ head -n 5 "$TMP/small.jsonl"; echo '{"ev":"map","ts":300,"domain":"0x1"}'; tail -n 3 "$TMP/small.jsonl"; } >"$TMP/badline.jsonl"
run "$SMMUTRACE" convert "$TMP/badline.jsonl" -o "$TMP/badline.smt"
expect_rc "convert of JSONL with a bad line exits 2" 2
expect_err "the message names the line" "badline.jsonl:6:"
run "$SMMUTRACE" dump "$TMP/badline.smt"
if [ "$RC" = 0 ] && [ "$(wc -l <"$TMP/out")" = 5 ]; then ok "the partial recording is complete and holds the 5 events before the bad line"
else notok "the partial recording is complete and holds the 5 events before the bad line"; fi

# a stream large enough for many blocks
awk 'BEGIN { for (i = 0; i < 30000; i++) {
	d = sprintf("0xffff0000c1a%d000", i % 7); iova = 4096 * (i % 512)
	printf "{\"ev\":\"map\",\"ts\":%d,\"pid\":%d,\"domain\":\"%s\",\"iova\":%d,\"size\":4096,\"ret\":0}\n", 10 * i, i % 97, d, iova + 1048576 * i
} }' >"$TMP/big.jsonl"
run "$SMMUTRACE" convert "$TMP/big.jsonl" -o "$TMP/big.smt"
expect_rc "convert of 30000 events exits 0" 0
run "$SMMUTRACE" dump "$TMP/big.smt"; cp "$TMP/out" "$TMP/big.dump"
if [ "$RC" = 0 ] && [ "$(wc -l <"$TMP/big.dump")" = 30000 ]; then ok "dump of a many-block recording gives every event"; else notok "dump of a many-block recording gives every event"; fi

# block layout, from the format (recording.c): header, then 40-byte block
# headers, then the 20-byte close block
blocks() {
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
off = 16 + struct.unpack_from("<I", b, 12)[0] + 4
n = 0
while off < len(b) and b[off:off + 4] != b"SMTE":
    ulen, clen, cnt = struct.unpack_from("<III", b, off + 4)
    n += cnt
    print(off, off + 40 + clen, n)
    off += 40 + clen
PY
}
blocks "$TMP/big.smt" >"$TMP/blocks"
if [ "$(wc -l <"$TMP/blocks")" -ge 3 ]; then ok "30000 events make several blocks"; else notok "30000 events make several blocks"; fi

# cut inside the third block, as a killed capture leaves it
set -- $(sed -n 3p "$TMP/blocks"); start3=$1
set -- $(sed -n 2p "$TMP/blocks"); end2=$2 n2=$3
cut=$((start3 + 100))
head -c "$cut" "$TMP/big.smt" >"$TMP/cut.smt"
run "$SMMUTRACE" dump "$TMP/cut.smt"
expect_rc "dump of a recording cut inside a block exits 0 (SPEC §7: a crashed board's capture)" 0
expect_err "the cut warning says where" "cut.smt: warning: cut at byte $cut inside block 3 (the capture was killed or the board lost power): read up to its last whole block, which ends at byte $end2 ($n2 events)"
if [ "$(wc -l <"$TMP/out")" = "$n2" ] && head -n "$n2" "$TMP/big.dump" | cmp -s - "$TMP/out"; then
	ok "dump of a truncated recording prints every event of the whole blocks first"
else
	notok "dump of a truncated recording prints every event of the whole blocks first"
fi

# one flipped byte in the payload of the second block
set -- $(sed -n 2p "$TMP/blocks"); start2=$1
set -- $(sed -n 1p "$TMP/blocks"); n1=$3
python3 - "$TMP/big.smt" "$TMP/flip.smt" $((start2 + 200)) <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[3])] ^= 0x10
open(sys.argv[2], "wb").write(b)
PY
run "$SMMUTRACE" dump "$TMP/flip.smt"
expect_rc "dump of a corrupt recording exits 2" 2
expect_err "the corruption message names the block's offset" "flip.smt: offset $start2: block 2: checksum mismatch (corrupt recording); events before it were read"
if [ "$(wc -l <"$TMP/out")" = "$n1" ]; then ok "events before the corrupt block were printed"; else notok "events before the corrupt block were printed"; fi
run "$SMMUTRACE" replay "$TMP/flip.smt"
expect_rc "replay of a corrupt recording exits 2" 2

# the version check
python3 - "$TMP/small.smt" "$TMP/v9.smt" <<'PY'
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", b, 8, 9)
mlen = struct.unpack_from("<I", b, 12)[0]
struct.pack_into("<I", b, 16 + mlen, zlib.crc32(bytes(b[:16 + mlen])))
open(sys.argv[2], "wb").write(b)
PY
run "$SMMUTRACE" dump "$TMP/v9.smt"
expect_rc "a newer format version exits 2" 2
expect_err "the message says which version this smmutrace reads" "recording format version 9; this smmutrace reads versions 1 to 3"

run "$SMMUTRACE" dump --help
expect_rc "dump --help exits 0" 0
expect_out "dump --help has an example" "smmutrace dump cap.smt"
run "$SMMUTRACE" convert --help
expect_out "convert --help has an example" "smmutrace convert events.jsonl -o events.smt"

finish
