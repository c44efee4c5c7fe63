# Output paths and write errors (SPEC §2): regular files replaced atomically,
# devices, FIFOs and symlinks written in place and never replaced, and every
# failed write (stdout included) exit 3 with a message naming the output.
. "$(dirname "$0")/lib.sh"

S="$DATA/streams/gpu-tbu-gated.jsonl"
B="$DATA/board/gpu-tbu.ini"

# a device node of our own: /dev/full's numbers (1,7), in a temp dir
if mknod "$TMP/full" c 1 7 2>/dev/null; then
	for opt in --html --kcidb --perfetto; do
		run "$SMMUTRACE" report "$S" --board "$B" $opt "$TMP/full"
		expect_rc "report $opt into a full device: exit 3" 3
		expect_err "report $opt into a full device: says which output and why" "$TMP/full: "
		expect_err "report $opt into a full device: the reason" "write failed: No space left on device"
		if [ -c "$TMP/full" ]; then ok "report $opt: the device node is still a device"
		else notok "report $opt: the device node is still a device"; fi
	done
	run "$SMMUTRACE" monitor --input "$S" --board "$B" --no-listen --textfile "$TMP/full"
	expect_rc "monitor --textfile into a full device: exit 3" 3
	expect_err "monitor --textfile: names the output" "$TMP/full: --textfile: write failed: No space left on device"
	if [ -c "$TMP/full" ]; then ok "monitor --textfile: the device node is still a device"
	else notok "monitor --textfile: the device node is still a device"; fi
	run "$SMMUTRACE" convert "$S" -o "$TMP/full"
	expect_rc "convert -o into a full device: exit 3" 3
	expect_err "convert -o into a full device: names it" "$TMP/full: -o: write failed: No space left on device"
else
	echo "# not root: mknod skipped, /dev/full used instead"
fi

# /dev/null written in place, never replaced (a root run must not damage it)
run "$SMMUTRACE" report "$S" --board "$B" --html /dev/null
expect_rc "report --html /dev/null: findings exit 1" 1
if [ -c /dev/null ]; then ok "/dev/null is still a device"; else notok "/dev/null is still a device"; fi
if ls /dev/null.tmp* >/dev/null 2>&1; then notok "no temp file left next to /dev/null"
else ok "no temp file left next to /dev/null"; fi

# a FIFO is written into, not replaced
mkfifo "$TMP/fifo"
cat "$TMP/fifo" >"$TMP/fifo.out" &
run "$SMMUTRACE" report "$S" --board "$B" --html "$TMP/fifo"
wait
expect_rc "report --html FIFO: exit 1 (findings)" 1
if [ -p "$TMP/fifo" ] && grep -q '<html' "$TMP/fifo.out"; then ok "the FIFO stays a FIFO and carried the report"
else notok "the FIFO stays a FIFO and carried the report"; fi

# a symlink is written through: the link stays, its target gets the report
echo old >"$TMP/target.html"
ln -s "$TMP/target.html" "$TMP/link.html"
run "$SMMUTRACE" report "$S" --board "$B" --html "$TMP/link.html"
expect_rc "report --html through a symlink: exit 1 (findings)" 1
if [ -L "$TMP/link.html" ] && grep -q '<html' "$TMP/target.html"; then
	ok "the symlink stays and its target holds the report"
else
	notok "the symlink stays and its target holds the report"
fi

# a regular file is replaced atomically and keeps no temp file behind
echo old >"$TMP/r.html"
run "$SMMUTRACE" report "$S" --board "$B" --html "$TMP/r.html"
if grep -q '<html' "$TMP/r.html" && [ "$(ls "$TMP" | grep -c 'r.html')" = 1 ]; then
	ok "a regular file is replaced, no temp file left"
else
	notok "a regular file is replaced, no temp file left"
fi

# a directory is a usage error, the same for every writer
run "$SMMUTRACE" report "$S" --board "$B" --html "$TMP"
expect_rc "report --html DIR: exit 2" 2
expect_err "report --html DIR: says it is a directory" "$TMP: HTML report: is a directory; give a file name"
run "$SMMUTRACE" convert "$S" -o "$TMP"
expect_rc "convert -o DIR: exit 2" 2
expect_err "convert -o DIR: says it is a directory" "$TMP: -o: is a directory; give a file name"
run "$SMMUTRACE" record -o "$TMP"
expect_rc "record -o DIR: exit 2, as convert" 2
expect_err "record -o DIR: says it is a directory" "$TMP: -o: is a directory; give a file name"
run "$SMMUTRACE" record -o /dev/null --max-size 1M
expect_rc "record -o DEVICE --max-size: exit 2 (rotation would rename the device)" 2
expect_err "record -o DEVICE --max-size: says why" "/dev/null: -o: --max-size rotates by renaming the file, and this is not a regular file"

# stdout: a failed write is exit 3 with a message, for every command
run sh -c "'$SMMUTRACE' replay --board '$B' '$S' >/dev/full"
expect_rc "replay > /dev/full: exit 3" 3
expect_err "replay > /dev/full: says so" "<stdout>: write failed: No space left on device"
run sh -c "'$SMMUTRACE' replay --json --board '$B' '$S' >/dev/full"
expect_rc "replay --json > /dev/full: exit 3" 3
"$SMMUTRACE" convert "$S" -o "$TMP/s.smt" 2>/dev/null
run sh -c "'$SMMUTRACE' dump '$TMP/s.smt' >/dev/full"
expect_rc "dump > /dev/full: exit 3" 3
expect_err "dump > /dev/full: says so" "write failed: No space left on device"
run sh -c "'$SMMUTRACE' report --board '$B' '$S' --format markdown >/dev/full"
expect_rc "report > /dev/full: exit 3" 3
run sh -c "'$SMMUTRACE' convert '$TMP/s.smt' -o - >/dev/full"
expect_rc "convert -o - > /dev/full: exit 3" 3
run sh -c "'$SMMUTRACE' probe --help >/dev/full"
expect_rc "--help > /dev/full: exit 3" 3

# monitor outputs: checked at start and on every write
run "$SMMUTRACE" monitor --input "$S" --board "$B" --no-listen --textfile /nonexistent/m.prom
expect_rc "monitor --textfile in a missing directory: exit 3 at start" 3
expect_err "monitor --textfile: names the option and the path" "/nonexistent/m.prom: --textfile: cannot create: No such file or directory"
if [ "$(grep -c 'm.prom' "$TMP/err")" = 1 ]; then ok "monitor --textfile: the error is said once"
else notok "monitor --textfile: the error is said once"; fi
run "$SMMUTRACE" monitor --input "$S" --board "$B" --no-listen --findings-log /dev/full
expect_rc "monitor --findings-log /dev/full: exit 3" 3
expect_err "monitor --findings-log /dev/full: says so" "/dev/full: --findings-log: write failed: No space left on device"

finish
