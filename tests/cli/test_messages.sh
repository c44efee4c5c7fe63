# Messages that say what is wrong, not something near it (issue 11 item 9).
. "$(dirname "$0")/lib.sh"

printf '[tbu t]\nsids = 0x0-0xffffffffffffffffff\n' >"$TMP/b.ini"
run "$SMMUTRACE" topology --board "$TMP/b.ini"
expect_rc "a 72-bit SID: exit 2" 2
expect_err "a 72-bit SID: quoted as written, not saturated" "b.ini:2: sids: 0xffffffffffffffffff is above 0xffff: stream IDs are 16 bits"

echo '{"ev":"unmap","ts":1,"domain":1,"iova":4096,"size":4096,"ret":9223372036854775808}' >"$TMP/ret.jsonl"
run "$SMMUTRACE" replay "$TMP/ret.jsonl"
expect_rc "unmap ret 2^63: exit 2" 2
expect_err "unmap ret 2^63: says the range, not 'expected an integer'" "ret.jsonl:1: ret: expected bytes unmapped (an integer 0..9223372036854775807) or a negative errno, got 9223372036854775808"

for cmd in live record; do
	run "$SMMUTRACE" $cmd --ringbuf 4G -o "$TMP/x.smt"
	[ $cmd = live ] && run "$SMMUTRACE" $cmd --ringbuf 4G
	expect_rc "$cmd --ringbuf 4G: a usage error (exit 2), not a BPF load failure" 2
	expect_err "$cmd --ringbuf 4G: says the limit" "$cmd: --ringbuf: '4G' is over 2G, the largest ring buffer the kernel takes"
done
run "$SMMUTRACE" monitor --ringbuf 4G --no-listen
expect_rc "monitor --ringbuf 4G: exit 2" 2

# input that would be quietly changed is refused (issue 11 item 10)
S="$DATA/streams/gpu-tbu-gated.jsonl"
: >"$TMP/empty.ini"
run "$SMMUTRACE" replay --board "$TMP/empty.ini" "$S"
expect_rc "an empty board file: exit 2" 2
expect_err "an empty board file: says it describes nothing" "empty.ini: no [tbu NAME] or [smmu NAME] section: the board file describes nothing"
echo '{"ev":"sync","ts":1,"scope":"global","dur":5,"dur":7}' >"$TMP/dup.jsonl"
run "$SMMUTRACE" replay "$TMP/dup.jsonl"
expect_rc "a key given twice: exit 2" 2
expect_err "a key given twice: names it" "dup.jsonl:1: dur: given twice in one event"
"$SMMUTRACE" convert "$S" -o "$TMP/s.smt" 2>/dev/null
run "$SMMUTRACE" convert "$TMP/s.smt" -o "$TMP/t.smt"
expect_rc "convert recording -o X.smt (JSONL under a recording name): exit 2" 2
expect_err "convert recording -o X.smt: says why" "is a recording, so OUT is JSONL; '$TMP/t.smt' is a recording's name (.smt): give a .jsonl name, or - for stdout"
if [ -e "$TMP/t.smt" ]; then notok "convert -o X.smt: nothing written"; else ok "convert -o X.smt: nothing written"; fi
run "$SMMUTRACE" convert "$S" -o "$TMP/t.jsonl"
expect_rc "convert JSONL -o X.jsonl (a recording under a JSONL name): exit 2" 2

finish
