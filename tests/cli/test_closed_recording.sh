# Closed vs cut recordings (SPEC §7): a close block at a clean end; without
# it, or cut inside a block, a warning saying where it ends and the exit status
# of the findings; damage exit 2. The real killed capture is in tests/bpf/record.sh.
. "$(dirname "$0")/lib.sh"

S="$DATA/streams/gpu-tbu-gated.jsonl"
B="$DATA/board/gpu-tbu.ini"
"$SMMUTRACE" convert "$S" -o "$TMP/c.smt" --board "$B" 2>/dev/null
size=$(wc -c <"$TMP/c.smt")
hdr=$(python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(); print(16 + struct.unpack_from("<I", b, 12)[0] + 4)' "$TMP/c.smt")
header_closed() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["closed"], d["format_version"])' "$TMP/out"; }

run "$SMMUTRACE" replay "$TMP/c.smt"
expect_rc "a closed recording: exit by its findings (1)" 1
if grep -q "warning:" "$TMP/err"; then notok "a closed recording: no warning"; else ok "a closed recording: no warning"; fi
run "$SMMUTRACE" dump --header "$TMP/c.smt"
expect_rc "dump --header of a closed recording: exit 0" 0
if [ "$(header_closed)" = "True 3" ]; then ok "dump --header: closed true, format 3"; else notok "dump --header: closed true, format 3"; fi

# killed between two writes: every block whole, no close block
head -c $((size - 20)) "$TMP/c.smt" >"$TMP/k.smt"
run "$SMMUTRACE" replay "$TMP/k.smt"
expect_rc "not closed: exit by its findings (1), not 2" 1
expect_err "not closed: the warning says where it ends" "k.smt: warning: not closed (the capture was killed or the board lost power): it ends after block 1 at byte $((size - 20)); its 30 events were read"
expect_out "not closed: every event analysed" "events:        30"
run "$SMMUTRACE" dump --header "$TMP/k.smt"
if [ "$(header_closed)" = "False 3" ]; then ok "dump --header: closed false"; else notok "dump --header: closed false"; fi

# killed right after the header
head -c "$hdr" "$TMP/c.smt" >"$TMP/h.smt"
run "$SMMUTRACE" replay "$TMP/h.smt"
expect_rc "cut right after the header: exit 0 (no findings)" 0
expect_err "cut right after the header: says so" "h.smt: warning: not closed (the capture was killed or the board lost power): it ends right after its header at byte $hdr, with no events"

# cut inside a block: the normal state of a capture from a crashed board
head -c $((size - 60)) "$TMP/c.smt" >"$TMP/m.smt"
run "$SMMUTRACE" replay "$TMP/m.smt"
expect_rc "cut inside a block: exit 0 (its whole blocks hold no finding)" 0
expect_err "cut inside a block: the warning says where" "m.smt: warning: cut at byte $((size - 60)) inside block 1 (the capture was killed or the board lost power): read up to its last whole block, which ends at byte $hdr (0 events)"
run "$SMMUTRACE" report "$TMP/m.smt"
expect_err "report warns about a cut recording too" "m.smt: warning: cut at byte"
run "$SMMUTRACE" convert "$TMP/m.smt" -o "$TMP/m.jsonl"
expect_rc "convert of a cut recording: exit 0" 0
expect_err "convert warns about a cut recording too" "m.smt: warning: cut at byte"

# a 0-byte file is said to be empty, not taken silently as an empty stream
: >"$TMP/empty.smt"
run "$SMMUTRACE" replay "$TMP/empty.smt"
expect_rc "0-byte input: exit 0" 0
expect_err "0-byte input: says it is empty" "empty.smt: warning: empty (0 bytes): no events to read"

# damage is exit 2: a checksum, the close block, the magic, the header
python3 - "$TMP/c.smt" "$TMP" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
t = sys.argv[2]
x = bytearray(b); x[-3] ^= 0x40; open(t + "/closecrc.smt", "wb").write(x)
x = bytearray(b); x[1] ^= 0x01; open(t + "/magic.smt", "wb").write(x)
x = bytearray(b); struct.pack_into("<I", x, 12, 100000); open(t + "/metalen.smt", "wb").write(x)
PY
run "$SMMUTRACE" replay "$TMP/closecrc.smt"
expect_rc "a damaged close block: exit 2" 2
expect_err "a damaged close block: names it" "close block: checksum mismatch (corrupt recording)"
run "$SMMUTRACE" replay "$TMP/magic.smt"
expect_rc "one flipped byte in the magic: exit 2" 2
expect_err "one flipped byte in the magic: a damaged recording, not JSONL" "magic.smt: offset 0: the recording magic is damaged (1 of its 8 bytes differ): corrupt recording"
run "$SMMUTRACE" replay "$TMP/metalen.smt"
expect_rc "a corrupt metadata length: exit 2" 2
expect_err "a corrupt metadata length: not called a killed capture" "metalen.smt: offset 12: header: the file ends at byte $size, inside the recording header (metadata length 100000)"

# format 1 files (no close block defined) read as before, closed unknown: a
# real one, as the first release wrote it on the emulated board
cp "$DATA/streams/emulated-smmu-suspended.smtrec" "$TMP/v1.smt"
run "$SMMUTRACE" replay "$TMP/v1.smt"
expect_rc "format 1: exit by its findings (1)" 1
if grep -q "warning:" "$TMP/err"; then notok "format 1: no warning"; else ok "format 1: no warning"; fi
run "$SMMUTRACE" dump --header "$TMP/v1.smt"
if [ "$(header_closed)" = "None 1" ]; then ok "dump --header of format 1: closed null"; else notok "dump --header of format 1: closed null"; fi

finish
