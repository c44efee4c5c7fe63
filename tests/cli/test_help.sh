# Help texts and the man page agree with the tool (issue 11 item 8).
. "$(dirname "$0")/lib.sh"

MAN="$TOP/src/smmutrace.8"

run "$SMMUTRACE" monitor --help
expect_rc "monitor --help: exit 0" 0
if [ "$(grep -c -- '--fail-on' "$TMP/out")" = 1 ]; then ok "monitor --help lists --fail-on once"
else notok "monitor --help lists --fail-on once"; fi
if grep -q -- '^  --json' "$TMP/out"; then notok "monitor --help does not offer --json (monitor refuses it)"
else ok "monitor --help does not offer --json (monitor refuses it)"; fi

run "$SMMUTRACE" report --help
if [ "$(grep -c -- '--json' "$TMP/out")" = 1 ]; then ok "report --help mentions --json once"
else notok "report --help mentions --json once"; fi
expect_out "report --help: the window is [FROM, TO]" "show only events in [FROM, TO]"
if grep -qF '[TS, TS]' "$TMP/out"; then notok "report --help: no [TS, TS]"; else ok "report --help: no [TS, TS]"; fi

run "$SMMUTRACE" probe --help
expect_out "probe --help has examples" "Examples:"
expect_out "probe --help shows --kallsyms in its usage" "[--kallsyms FILE]"

run "$SMMUTRACE" help replay
expect_rc "help replay: exit 0" 0
expect_out "help replay prints replay's help" "Usage: smmutrace replay"
run "$SMMUTRACE" help nosuch
expect_rc "help nosuch: exit 2" 2
expect_err "help nosuch: says it is not a command" "'nosuch' is not a command"

for cmd in replay dump convert report record live probe; do
	run "$SMMUTRACE" $cmd --no-such-option
	expect_rc "$cmd --no-such-option: exit 2" 2
	expect_err "$cmd --no-such-option: points at the help" "$cmd: see 'smmutrace $cmd --help' for the options"
	if [ "$(wc -l <"$TMP/err")" -le 2 ]; then ok "$cmd --no-such-option: no help dump"
	else notok "$cmd --no-such-option: no help dump"; fi
done

run "$SMMUTRACE" probe --kallsyms /nonexistent
expect_rc "probe --kallsyms /nonexistent: exit 2" 2
expect_err "probe --kallsyms /nonexistent: names the option" "probe: --kallsyms: /nonexistent: No such file or directory"

# the man page documents every option the tool takes
for opt in 'kallsyms' 'meta' 'from' 'to' 'around\\-finding' 'window' 'header' 'all\\-gates'; do
	if grep -q -- "\\\\-\\\\-$opt" "$MAN"; then ok "man page documents --$opt"
	else notok "man page documents --$opt"; fi
done

finish
